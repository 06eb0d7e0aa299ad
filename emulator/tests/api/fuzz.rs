//! The emulator survives a fuzzed request stream: random methods, paths (with odd
//! percent-escapes), headers and bodies each get a well-formed HTTP answer with a request ID,
//! and the emulator keeps serving real API calls afterwards.

use std::net::SocketAddr;

use proptest::prelude::*;

use lookoutvision_emulator::{Config, Emulator};

use crate::support::try_raw_http;

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("DELETE".to_owned()),
        Just("PATCH".to_owned()),
        Just("PUT".to_owned()),
        "[A-Z]{1,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just("2020-11-20".to_owned()),
        Just("projects".to_owned()),
        Just("datasets".to_owned()),
        Just("models".to_owned()),
        Just("tags".to_owned()),
        Just("entries".to_owned()),
        Just("modelpackagingjobs".to_owned()),
        Just("%2F%3A%ZZ%".to_owned()),
        "[a-zA-Z0-9_.~-]{0,12}",
        "(%[0-9A-F]{2}){1,4}",
    ];
    proptest::collection::vec(segment, 0..7).prop_map(|segments| format!("/{}", segments.join("/")))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        Just(br#"{"ProjectName": "fuzz"}"#.to_vec()),
        Just(br#"{"DatasetType": 7, "DatasetSource": []}"#.to_vec()),
        Just(b"{\"Changes\": \"!!!not-base64\"}".to_vec()),
        Just(b"{".to_vec()),
    ]
}

/// Sends one raw HTTP/1.1 request and returns the response head (empty when there was no
/// answer).
async fn exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> String {
    let headers = [
        ("Content-Type", content_type),
        ("X-Amzn-Client-Token", "fuzz-1"),
    ];
    let answer = try_raw_http(address, method, path, &headers, body).await;
    answer.map(|answer| answer.head).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_fuzzed_request_gets_an_answer_and_the_emulator_keeps_serving(
        requests in proptest::collection::vec(
            (method(), path(), prop_oneof![Just("application/json"), Just("image/png"), Just("text/plain")], body()),
            1..12,
        ),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let emulator = Emulator::start(Config::default()).await.expect("the emulator starts");
            let address = emulator.address();
            for (method, path, content_type, body) in &requests {
                let head = exchange(address, method, path, content_type, body).await;
                let status: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("no status line for {method} {path}: {head:?}"));
                prop_assert!((200..500).contains(&status), "{method} {path} answered {status}: {head}");
                if !path.starts_with("/_emulator") {
                    prop_assert!(head.to_ascii_lowercase().contains("x-amzn-requestid:"), "{head}");
                }
            }
            let head = exchange(address, "GET", "/2020-11-20/projects", "application/json", b"").await;
            prop_assert!(head.starts_with("HTTP/1.1 200"), "still serving: {head}");
            Ok(())
        })?;
    }
}
