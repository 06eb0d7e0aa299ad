//! An emulator for an acceptance test: `lookoutvision-emulator` served in the test process on
//! an ephemeral loopback port, configured with the binary's own flags, on a runtime of its own
//! so that a restart can drop every connection at once, as a crash would.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use clap::Parser as _;
use lookoutvision_emulator::cli::Options;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// A running emulator; dropping it stops it and closes its connections.
pub struct Emulator {
    runtime: Option<Runtime>,
    args: Vec<String>,
    address: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Emulator {
    /// Starts the emulator with default settings.
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    /// Starts the emulator with extra `lookoutvision-emulator` flags, such as
    /// `["--training-duration", "2s"]`. Bad flags fail the test with clap's message.
    pub fn start_with(args: &[&str]) -> Emulator {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (runtime, address) = serve((Ipv4Addr::LOCALHOST, 0).into(), &args);
        Emulator {
            runtime: Some(runtime),
            args,
            address,
            url: format!("http://{address}"),
        }
    }

    /// Stops the emulator abruptly, as a crash would (every connection is dropped and nothing
    /// in flight is answered), and starts it again on the same address with the same flags (a
    /// `--state-file` brings its state back).
    pub fn restart(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Waits until every task (the listener among them) is dropped, so that the port is
            // free again; in-flight requests are not answered.
            runtime.shutdown_timeout(Duration::from_secs(10));
        }
        let (runtime, address) = serve(self.address, &self.args);
        assert_eq!(
            address, self.address,
            "the emulator came back on another address"
        );
        self.runtime = Some(runtime);
    }

    /// Where it listens (for a TLS front or a proxy test).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    fn admin(&self, method: &str, path: &str) -> serde_json::Value {
        let (status, body) = http(&self.url, method, path, "");
        assert_eq!(status, 200, "{method} {path} answered {status}: {body}");
        serde_json::from_str(&body).expect("admin answers are JSON")
    }

    /// Calls an admin endpoint that changes the emulator, such as arming a failure.
    pub fn admin_post(&self, path: &str, body: &str) {
        let (status, answer) = http(&self.url, "POST", path, body);
        assert!(
            (200..300).contains(&status),
            "POST {path} answered {status}: {answer}"
        );
    }

    /// How many scripted faults are still armed: a fault with a count of 1 is disarmed the
    /// moment the call it hits arrives, so this tells when a delayed call is in flight.
    pub fn armed_faults(&self) -> usize {
        self.admin("GET", "/_emulator/faults")["faults"]
            .as_array()
            .map_or(0, Vec::len)
    }

    /// The emulator's whole state (projects with their datasets and models).
    pub fn dump(&self) -> serde_json::Value {
        self.admin("GET", "/_emulator/state")
    }

    /// How many answers of `operation` carried the error code `error`.
    pub fn count_errors(&self, operation: &str, error: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r["operation"] == operation && r["error"] == error)
            .count()
    }

    /// The model versions the emulator holds in `project`.
    pub fn model_versions(&self, project: &str) -> Vec<String> {
        let state = self.dump();
        state["projects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["name"] == project)
            .flat_map(|p| p["models"].as_array().cloned().unwrap_or_default())
            .map(|m| m["version"].to_string().trim_matches('"').to_owned())
            .collect()
    }

    /// The API requests the emulator has answered, oldest first (operation, status, error).
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.admin("GET", "/_emulator/requests")["requests"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// How many requests of `operation` were answered.
    pub fn count(&self, operation: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r["operation"] == operation)
            .count()
    }

    /// The names of the projects the emulator holds.
    pub fn project_names(&self) -> Vec<String> {
        let state = self.admin("GET", "/_emulator/state");
        let mut names: Vec<String> = state["projects"]
            .as_array()
            .expect("the state dump lists projects")
            .iter()
            .map(|p| p["name"].as_str().expect("projects have names").to_owned())
            .collect();
        names.sort();
        names
    }

    /// An SDK client for this emulator, for changes behind Terraform's back.
    pub fn sdk(&self) -> aws_sdk_lookoutvision::Client {
        let config = aws_sdk_lookoutvision::Config::builder()
            .behavior_version(aws_sdk_lookoutvision::config::BehaviorVersion::latest())
            .region(aws_sdk_lookoutvision::config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_lookoutvision::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .build();
        aws_sdk_lookoutvision::Client::from_conf(config)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Serves an emulator configured by `args` on `address`, on a new runtime.
fn serve(address: SocketAddr, args: &[String]) -> (Runtime, SocketAddr) {
    let options = Options::try_parse_from(
        std::iter::once("lookoutvision-emulator".to_owned()).chain(args.iter().cloned()),
    )
    .unwrap_or_else(|err| panic!("bad emulator flags {args:?}: {err}"));
    let config = options
        .config()
        .unwrap_or_else(|err| panic!("the emulator cannot start with {args:?}: {err}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("emulator")
        .enable_all()
        .build()
        .expect("a runtime for the emulator");
    let listener = runtime
        .block_on(TcpListener::bind(address))
        .unwrap_or_else(|err| panic!("the emulator cannot listen on {address}: {err}"));
    let address = listener.local_addr().expect("the listener has an address");
    runtime.spawn(lookoutvision_emulator::serve(listener, config));
    (runtime, address)
}

/// A minimal HTTP/1.1 exchange, enough for the emulator's admin API.
fn http(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let authority = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).expect("the emulator accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeouts can be set");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .expect("the response has a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("the status line has a code");
    (status, body.to_owned())
}
