//! The record of API calls the emulator answered, for tests to assert what went over the wire.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::clock::Timestamp;

/// The `operation` recorded for a request that matched no operation.
pub const UNKNOWN_OPERATION: &str = "UnknownOperation";

/// One answered API call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// The operation name, or [`UNKNOWN_OPERATION`].
    pub operation: &'static str,
    /// The HTTP method.
    pub method: String,
    /// The raw path and query, as sent.
    pub path: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The error code, for error answers.
    pub error: Option<&'static str>,
    /// The error message, for error answers.
    pub message: Option<String>,
    /// The `x-amzn-RequestId` answered.
    pub request_id: String,
    /// The `X-Amzn-Client-Token` sent, if any.
    pub client_token: Option<String>,
    /// Whether the answer was replayed for a repeated client token.
    pub replayed: bool,
    /// When the call was answered, by the emulator's clock.
    pub time: Timestamp,
}

/// Answered API calls in the order they were answered.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    records: Vec<RequestRecord>,
}

impl RequestLog {
    /// Appends a record.
    pub fn push(&mut self, record: RequestRecord) {
        self.records.push(record);
    }

    /// `{"requests": [...], "counts": {"CreateProject": {"200": 1}}}`: every record, and how
    /// many answers each operation got per HTTP status.
    pub fn to_json(&self) -> Value {
        let mut counts: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
        for record in &self.records {
            *counts
                .entry(record.operation)
                .or_default()
                .entry(record.status.to_string())
                .or_default() += 1;
        }
        json!({ "requests": self.records, "counts": counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::clock::{Clock, ManualClock};

    fn record(operation: &'static str, status: u16, error: Option<&'static str>) -> RequestRecord {
        RequestRecord {
            operation,
            method: "POST".into(),
            path: "/2020-11-20/projects".into(),
            status,
            error,
            message: None,
            request_id: "id".into(),
            client_token: None,
            replayed: false,
            time: ManualClock::default().now(),
        }
    }

    #[test]
    fn counts_group_by_operation_and_status() {
        let mut log = RequestLog::default();
        log.push(record("CreateProject", 200, None));
        log.push(record("CreateProject", 409, Some("ConflictException")));
        log.push(record("CreateProject", 200, None));
        let json = log.to_json();
        assert_eq!(
            json["counts"],
            json!({"CreateProject": {"200": 2, "409": 1}})
        );
        assert_eq!(json["requests"][1]["error"], "ConflictException");
        assert_eq!(json["requests"][0]["error"], Value::Null);
    }
}
