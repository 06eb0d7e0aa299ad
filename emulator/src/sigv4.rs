//! Optional checking of AWS Signature Version 4 on API requests.
//!
//! With [`Config::credentials`](super::Config::credentials) set, every API request must carry
//! `Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/lookoutvision/aws4_request,
//! SignedHeaders=..., Signature=...` and `x-amz-date`, signed with those credentials over the
//! canonical request, within 15 minutes of the emulator's clock. The canonical request is
//! built the way the AWS SDKs build it for a service that is not S3:
//!
//! - the canonical URI is the path as sent (already percent-encoded once by the SDK), with
//!   dot segments removed and then percent-encoded a second time, so `%3A` becomes `%253A`;
//! - the canonical query decodes each parameter (`+` as a space) and re-encodes it, sorted
//!   by name and then value;
//! - signed headers are lower case, their values trimmed with runs of spaces collapsed, and
//!   repeated headers joined with `,`;
//! - the payload hash is `x-amz-content-sha256` when sent, otherwise the SHA-256 of the
//!   body; `UNSIGNED-PAYLOAD` is also accepted, because the SDKs sign bodies they cannot
//!   read in advance (a streamed DetectAnomalies image) that way without saying so.
//!
//! Failures get the error codes AWS's JSON front ends use (see [`AuthError`]); the session
//! token (`x-amz-security-token`) is not checked.

use std::fmt;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::PrimitiveDateTime;

use super::clock::Timestamp;
use super::response::ErrorAnswer;

/// The only signing algorithm accepted.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The signing name of the service.
const SERVICE: &str = "lookoutvision";
/// The last element of every credential scope.
const TERMINATOR: &str = "aws4_request";
/// How far `x-amz-date` may be from the emulator's clock.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// The payload hash of a request signed without hashing its body.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The header with the request time.
const DATE_HEADER: &str = "x-amz-date";
/// The header with a precomputed payload hash.
const CONTENT_SHA256_HEADER: &str = "x-amz-content-sha256";

/// Everything but RFC 3986's unreserved characters is encoded in a query component.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The same for a path, where `/` stays as it is.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

type HmacSha256 = Hmac<Sha256>;

/// The access key pair every API request must be signed with.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
}

impl Credentials {
    /// The access key id and its secret.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
}

impl fmt::Debug for Credentials {
    /// Leaves the secret out, so configurations can be logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header: 403 `MissingAuthenticationTokenException`.
    #[error("Missing Authentication Token")]
    Missing,
    /// An `Authorization` header or `x-amz-date` that cannot be read: 400
    /// `IncompleteSignatureException`.
    #[error("{0}")]
    Incomplete(String),
    /// An access key id other than the configured one: 403 `UnrecognizedClientException`.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// A wrong signature, scope or time: 403 `InvalidSignatureException`.
    #[error("{0}")]
    Invalid(String),
}

impl AuthError {
    /// The error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "MissingAuthenticationTokenException",
            Self::Incomplete(_) => "IncompleteSignatureException",
            Self::UnknownAccessKey => "UnrecognizedClientException",
            Self::Invalid(_) => "InvalidSignatureException",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Incomplete(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::FORBIDDEN,
        }
    }

    fn mismatch() -> Self {
        Self::Invalid(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
                .to_owned(),
        )
    }
}

impl From<&AuthError> for ErrorAnswer {
    fn from(err: &AuthError) -> Self {
        let message = err.to_string();
        Self {
            status: err.status(),
            code: err.code(),
            body: json!({ "Message": message }),
            message,
            retry_after_seconds: None,
        }
    }
}

/// The parts of a request the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The raw, still percent-encoded path.
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// The headers as received.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

/// The parsed `Authorization` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(header: &'a str) -> Result<Self, AuthError> {
        let Some(parameters) = header
            .strip_prefix(ALGORITHM)
            .filter(|rest| rest.starts_with(' '))
        else {
            return Err(AuthError::Incomplete(format!(
                "Unsupported Authorization Type: only {ALGORITHM} is accepted"
            )));
        };
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for parameter in parameters.split(',') {
            match parameter.trim().split_once('=') {
                Some(("Credential", value)) => credential = Some(value),
                Some(("SignedHeaders", value)) => signed_headers = Some(value),
                Some(("Signature", value)) => signature = Some(value),
                _ => {}
            }
        }
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            let missing: Vec<String> = [
                ("Credential", credential),
                ("SignedHeaders", signed_headers),
                ("Signature", signature),
            ]
            .into_iter()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| format!("Authorization header requires '{name}' parameter."))
            .collect();
            return Err(AuthError::Incomplete(missing.join(" ")));
        };
        let scope: Vec<&str> = credential.split('/').collect();
        let &[access_key_id, date, region, service, terminator] = scope.as_slice() else {
            return Err(AuthError::Incomplete(format!(
                "Credential {credential:?} is malformed; expected \
                 ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/{TERMINATOR}"
            )));
        };
        Ok(Self {
            access_key_id,
            date,
            region,
            service,
            terminator,
            signed_headers: signed_headers.split(';').collect(),
            signature,
        })
    }
}

/// Checks `request`'s signature against `credentials`, its scope against `region` and its
/// time against `now`.
pub fn verify(
    credentials: &Credentials,
    region: &str,
    now: Timestamp,
    request: &SignedRequest<'_>,
) -> Result<(), AuthError> {
    let header = request
        .headers
        .get("authorization")
        .ok_or(AuthError::Missing)?;
    let header = header.to_str().map_err(|_| {
        AuthError::Incomplete("The Authorization header is not printable ASCII".to_owned())
    })?;
    let auth = Authorization::parse(header)?;
    let amz_date = request
        .headers
        .get(DATE_HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            AuthError::Incomplete(
                "Authorization header requires existence of a 'X-Amz-Date' header.".to_owned(),
            )
        })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        AuthError::Incomplete(format!(
            "X-Amz-Date {amz_date:?} is not in the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z'"
        ))
    })?;
    if auth.access_key_id != credentials.access_key_id {
        return Err(AuthError::UnknownAccessKey);
    }
    check_scope(&auth, region, amz_date)?;
    check_time(signed_at, now)?;
    if !auth.signed_headers.contains(&"host") {
        return Err(AuthError::Invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }

    let body_hash = hex::encode(Sha256::digest(request.body));
    let payload_hashes: Vec<&str> = match request
        .headers
        .get(CONTENT_SHA256_HEADER)
        .and_then(|value| value.to_str().ok())
    {
        Some(UNSIGNED_PAYLOAD) => vec![UNSIGNED_PAYLOAD],
        Some(declared) if declared != body_hash => {
            return Err(AuthError::Invalid(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_owned(),
            ))
        }
        _ => vec![&body_hash, UNSIGNED_PAYLOAD],
    };
    if signature_matches(
        &credentials.secret_access_key,
        &auth,
        amz_date,
        request,
        &payload_hashes,
    ) {
        Ok(())
    } else {
        Err(AuthError::mismatch())
    }
}

/// Whether `auth`'s signature is the one `secret` gives over the canonical request with one
/// of `payload_hashes`.
fn signature_matches(
    secret: &str,
    auth: &Authorization<'_>,
    amz_date: &str,
    request: &SignedRequest<'_>,
    payload_hashes: &[&str],
) -> bool {
    let Ok(signature) = hex::decode(auth.signature) else {
        return false;
    };
    let key = signing_key(secret, auth);
    let scope = format!(
        "{}/{}/{}/{}",
        auth.date, auth.region, auth.service, auth.terminator
    );
    payload_hashes.iter().any(|payload_hash| {
        let canonical = canonical_request(request, &auth.signed_headers, payload_hash);
        let string_to_sign = format!(
            "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut mac = hmac(&key);
        mac.update(string_to_sign.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&signature).is_ok()
    })
}

/// The credential scope must name the request's date, the emulator's region and this
/// service.
fn check_scope(auth: &Authorization<'_>, region: &str, amz_date: &str) -> Result<(), AuthError> {
    let day = amz_date.get(..8).unwrap_or(amz_date);
    if auth.date != day {
        return Err(AuthError::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{day}', from '{amz_date}'.",
            auth.date
        )));
    }
    if auth.region != region {
        return Err(AuthError::Invalid(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    if auth.service != SERVICE {
        return Err(AuthError::Invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    if auth.terminator != TERMINATOR {
        return Err(AuthError::Invalid(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'.",
            auth.terminator
        )));
    }
    Ok(())
}

/// The request time must be within [`MAX_SKEW`] of the emulator's clock.
fn check_time(signed_at: Timestamp, now: Timestamp) -> Result<(), AuthError> {
    if signed_at + MAX_SKEW < now {
        let earliest = Timestamp::new(now.datetime() - MAX_SKEW);
        return Err(AuthError::Invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            format_amz_date(signed_at),
            format_amz_date(earliest),
            format_amz_date(now)
        )));
    }
    if now + MAX_SKEW < signed_at {
        return Err(AuthError::Invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_amz_date(signed_at),
            format_amz_date(now + MAX_SKEW),
            format_amz_date(now)
        )));
    }
    Ok(())
}

/// The canonical request of SigV4, for a service other than S3.
fn canonical_request(
    request: &SignedRequest<'_>,
    signed_headers: &[&str],
    payload_hash: &str,
) -> String {
    let mut canonical = format!(
        "{}\n{}\n{}\n",
        request.method,
        canonical_uri(request.path),
        canonical_query(request.query.unwrap_or_default())
    );
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|value| collapse_spaces(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        canonical.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    canonical.push_str(&format!("\n{}\n{payload_hash}", signed_headers.join(";")));
    canonical
}

/// The path with dot segments removed (as the SDKs normalize it before signing), then
/// percent-encoded again.
fn canonical_uri(path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let normalized = if path.contains('.') || path.contains("//") {
        remove_dot_segments(path)
    } else {
        path.to_owned()
    };
    utf8_percent_encode(&normalized, PATH_SET).to_string()
}

/// RFC 3986 section 5.2.4, dropping empty segments as the SDKs' signer does.
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            segment => kept.push(segment),
        }
    }
    let mut normalized = format!("/{}", kept.join("/"));
    let ends_in_directory = ["/", "/.", "/.."].iter().any(|end| path.ends_with(end));
    if ends_in_directory && !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

/// The query's parameters decoded (`+` as a space, as form decoding does), re-encoded and
/// sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let decode = |part: &str| {
        let part = part.replace('+', " ");
        let decoded = percent_decode_str(&part).decode_utf8_lossy().into_owned();
        utf8_percent_encode(&decoded, QUERY_SET).to_string()
    };
    let mut parameters: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect();
    parameters.sort();
    parameters
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trims spaces and collapses runs of them into one (other whitespace is left alone).
fn collapse_spaces(value: &str) -> String {
    value
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
fn signing_key(secret: &str, auth: &Authorization<'_>) -> Vec<u8> {
    [auth.date, auth.region, auth.service, auth.terminator]
        .iter()
        .fold(format!("AWS4{secret}").into_bytes(), |key, part| {
            let mut mac = hmac(&key);
            mac.update(part.as_bytes());
            mac.finalize().into_bytes().to_vec()
        })
}

fn hmac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: longer ones are hashed, shorter ones padded.
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn parse_amz_date(text: &str) -> Option<Timestamp> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|at| Timestamp::new(at.assume_utc()))
}

fn format_amz_date(at: Timestamp) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    // A UTC date-time in years 0000–9999 always formats.
    at.datetime().format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// AWS's documented example: `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`
    /// signed on 2015-08-30 with the documentation's example secret.
    const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const EXAMPLE_DATE: &str = "20150830T123600Z";

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert(DATE_HEADER, HeaderValue::from_static(EXAMPLE_DATE));
        headers.insert("authorization", authorization.parse().unwrap());
        headers
    }

    fn request(headers: &HeaderMap) -> SignedRequest<'_> {
        SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers,
            body: b"",
        }
    }

    #[test]
    fn aws_documented_example_verifies() {
        let authorization = |signature: &str| {
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature={signature}"
            )
        };
        let matches = |signature: &str| {
            let header = authorization(signature);
            let headers = headers(&header);
            let auth = Authorization::parse(&header).unwrap();
            let empty_body = hex::encode(Sha256::digest(b""));
            signature_matches(
                EXAMPLE_SECRET,
                &auth,
                EXAMPLE_DATE,
                &request(&headers),
                &[&empty_body],
            )
        };
        assert!(matches(
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        ));
        assert!(!matches(
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d8"
        ));
        assert!(!matches("not-hex"));
    }

    #[test]
    fn keys_scopes_and_times_are_checked_before_the_signature() {
        let at = parse_amz_date(EXAMPLE_DATE).unwrap();
        let check = |key: &str, region: &str, service: &str, now: Timestamp| {
            let header = format!(
                "AWS4-HMAC-SHA256 Credential={key}/20150830/{region}/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=00"
            );
            let headers = headers(&header);
            verify(
                &Credentials::new("AKID", "SK"),
                "us-east-1",
                now,
                &request(&headers),
            )
        };
        assert_eq!(
            check("AKID", "us-east-1", SERVICE, at),
            Err(AuthError::mismatch())
        );
        assert_eq!(
            check("OTHER", "us-east-1", SERVICE, at),
            Err(AuthError::UnknownAccessKey)
        );
        let message = |result: Result<(), AuthError>| result.unwrap_err().to_string();
        assert!(message(check("AKID", "eu-west-1", SERVICE, at))
            .contains("valid region, not 'eu-west-1'"));
        assert!(message(check("AKID", "us-east-1", "iam", at))
            .contains("correct service: 'lookoutvision'"));
        assert_eq!(
            message(check(
                "AKID",
                "us-east-1",
                SERVICE,
                at + Duration::from_secs(15 * 60 + 1)
            )),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z \
             (20150830T125101Z - 15 min.)"
        );
        let early = Timestamp::new(at.datetime() - Duration::from_secs(15 * 60 + 1));
        assert!(message(check("AKID", "us-east-1", SERVICE, early))
            .starts_with("Signature not yet current"));
        // Exactly 15 minutes off is still fine: only the signature is wrong.
        assert_eq!(
            check(
                "AKID",
                "us-east-1",
                SERVICE,
                at + Duration::from_secs(15 * 60)
            ),
            Err(AuthError::mismatch())
        );
    }

    #[test]
    fn missing_and_malformed_authorization_get_their_own_errors() {
        let now = parse_amz_date(EXAMPLE_DATE).unwrap();
        let check = |authorization: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
            if let Some(value) = authorization {
                headers.insert("authorization", value.parse().unwrap());
            }
            let request = SignedRequest {
                method: "GET",
                path: "/",
                query: None,
                headers: &headers,
                body: b"",
            };
            verify(&Credentials::new("AK", "SK"), "us-east-1", now, &request)
        };
        assert_eq!(check(None), Err(AuthError::Missing));
        let err = check(Some("Basic dXNlcjpwYXNz")).unwrap_err();
        assert_eq!(
            (err.code(), err.status()),
            ("IncompleteSignatureException", StatusCode::BAD_REQUEST)
        );
        let err = check(Some(
            "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/lookoutvision/aws4_request",
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter."
        );
        let err = check(Some(
            "AWS4-HMAC-SHA256 Credential=AK/20150830, SignedHeaders=host, Signature=00",
        ))
        .unwrap_err();
        assert!(err.to_string().contains("malformed"), "{err}");
        let err = check(Some("AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/lookoutvision/aws4_request, SignedHeaders=x-amz-date, Signature=00")).unwrap_err();
        assert!(err.to_string().contains("'Host'"), "{err}");
    }

    #[test]
    fn canonical_uris_are_encoded_twice_and_queries_sorted_and_reencoded() {
        assert_eq!(
            canonical_uri("/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A1%3Amodel%2Fp1%2F1"),
            "/2020-11-20/tags/arn%253Aaws%253Alookoutvision%253Aus-east-1%253A1%253Amodel%252Fp1%252F1"
        );
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(
            canonical_query("tagKeys=b&tagKeys=a%20c&maxResults=5&flag&x=%2B+y"),
            "flag=&maxResults=5&tagKeys=a%20c&tagKeys=b&x=%2B%20y"
        );
        assert_eq!(collapse_spaces("  a   b c "), "a b c");
    }

    #[test]
    fn credentials_never_print_their_secret() {
        let printed = format!("{:?}", Credentials::new("AKID", "very-secret"));
        assert!(
            printed.contains("AKID") && !printed.contains("very-secret"),
            "{printed}"
        );
    }
}
