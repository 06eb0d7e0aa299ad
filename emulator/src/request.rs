//! One API request after routing: its URI labels, query, headers and body, with the
//! accessors handlers need to read input members from their wire locations.

use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::error::ApiError;
use super::validate::{Validator, CLIENT_TOKEN};

/// The header that carries `ClientToken`.
pub const CLIENT_TOKEN_HEADER: &str = "x-amzn-client-token";

/// A routed API request.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    labels: Vec<String>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

impl ApiRequest {
    /// A request with the already-decoded URI `labels`, the raw query string, headers and body.
    pub fn new(
        labels: Vec<String>,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        Self {
            labels,
            query: raw_query.map(parse_query).unwrap_or_default(),
            headers,
            body,
        }
    }

    /// The `index`th URI label of the route, in path order.
    pub fn label(&self, index: usize) -> &str {
        self.labels.get(index).map_or("", String::as_str)
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of query parameter `name`, in order (`tagKeys=a&tagKeys=b`).
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The raw body (DetectAnomalies' image).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The value of header `name`; bytes that are not UTF-8 are replaced, so validation
    /// rejects them instead of the header being silently ignored.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
    }

    /// The `X-Amzn-Client-Token` header, if sent, checked against its constraint in `v`.
    pub fn client_token(&self, v: &mut Validator) -> Option<String> {
        let token = self.header(CLIENT_TOKEN_HEADER);
        v.optional("clientToken", token.as_deref(), &CLIENT_TOKEN)
            .map(str::to_owned)
    }

    /// The call's input as client-token checks compare it: URI labels, query and body (as
    /// JSON when it is JSON, so spacing and member order do not matter; else as base64).
    pub fn fingerprint(&self) -> Value {
        let body = serde_json::from_slice::<Value>(&self.body)
            .unwrap_or_else(|_| Value::String(STANDARD.encode(&self.body)));
        json!({ "labels": self.labels, "query": self.query, "body": body })
    }

    /// The JSON body as `T`; an empty body counts as `{}`.
    pub fn json_body<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        serde_json::from_slice(&self.body).map_err(|err| {
            ApiError::validation(format!(
                "The request body is not valid JSON for this operation: {err}"
            ))
        })
    }
}

/// Splits a raw query string into decoded pairs. `+` stays a plus sign: AWS clients
/// percent-encode query values per RFC 3986, and base64 page tokens contain `+`.
fn parse_query(raw: &str) -> Vec<(String, String)> {
    let decode = |part: &str| percent_decode_str(part).decode_utf8_lossy().into_owned();
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (decode(key), decode(value)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde::Deserialize;

    #[test]
    fn query_values_are_percent_decoded_and_plus_is_kept() {
        let request = ApiRequest::new(
            vec![],
            Some("maxResults=5&nextToken=ab%2Bc%2F%3D+x&flag"),
            HeaderMap::new(),
            Bytes::new(),
        );
        assert_eq!(request.query("maxResults"), Some("5"));
        assert_eq!(request.query("nextToken"), Some("ab+c/=+x"));
        assert_eq!(request.query("flag"), Some(""));
        assert_eq!(request.query("missing"), None);
    }

    #[test]
    fn repeated_query_keys_keep_every_value_in_order() {
        let request = ApiRequest::new(
            vec![],
            Some("tagKeys=a&other=x&tagKeys=b%20c"),
            HeaderMap::new(),
            Bytes::new(),
        );
        assert_eq!(request.query_all("tagKeys"), ["a", "b c"]);
        assert!(request.query_all("missing").is_empty());
    }

    #[test]
    fn client_token_is_read_from_its_header_and_validated() {
        let mut headers = HeaderMap::new();
        headers.insert("X-Amzn-Client-Token", HeaderValue::from_static("abc-123"));
        let request = ApiRequest::new(vec![], None, headers, Bytes::new());
        let mut v = Validator::new();
        assert_eq!(request.client_token(&mut v).as_deref(), Some("abc-123"));

        let mut headers = HeaderMap::new();
        headers.insert(
            "X-Amzn-Client-Token",
            HeaderValue::from_static("not valid!"),
        );
        let request = ApiRequest::new(vec![], None, headers, Bytes::new());
        assert_eq!(request.client_token(&mut v).as_deref(), Some("not valid!"));
        assert!(v
            .finish()
            .unwrap_err()
            .message()
            .contains("at 'clientToken'"));
    }

    #[test]
    fn fingerprints_ignore_json_spacing_and_member_order_but_not_values() {
        let request = |label: &str, body: &'static str| {
            ApiRequest::new(
                vec![label.to_owned()],
                None,
                HeaderMap::new(),
                Bytes::from_static(body.as_bytes()),
            )
        };
        let a = request("p1", r#"{"A":1,"B":2}"#).fingerprint();
        assert_eq!(a, request("p1", r#"{ "B": 2, "A": 1 }"#).fingerprint());
        assert_ne!(a, request("p2", r#"{"A":1,"B":2}"#).fingerprint());
        assert_ne!(a, request("p1", r#"{"A":1,"B":3}"#).fingerprint());
        assert_ne!(
            request("p1", "").fingerprint(),
            request("p1", "x").fingerprint()
        );
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Input {
        #[serde(rename = "Name")]
        name: Option<String>,
    }

    #[test]
    fn json_body_treats_empty_as_empty_object_and_rejects_malformed() {
        let body = |text: &'static str| {
            ApiRequest::new(
                vec![],
                None,
                HeaderMap::new(),
                Bytes::from_static(text.as_bytes()),
            )
        };
        assert_eq!(body("").json_body::<Input>().unwrap(), Input::default());
        assert_eq!(
            body(r#"{"Name":"x","Extra":1}"#)
                .json_body::<Input>()
                .unwrap(),
            Input {
                name: Some("x".into())
            }
        );
        let err = body("{not json").json_body::<Input>().unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert!(
            err.message().contains("not valid JSON"),
            "{}",
            err.message()
        );
    }
}
