//! The record of API calls the emulator answered, for tests to assert what went over the wire.
//!
//! Memory stays bounded on long soak runs: only the most recent records are kept (10,000 by
//! default, [`Config::request_log_limit`](super::Config::request_log_limit)), while the
//! per-operation counts cover every call since start or reset.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::{json, Value};

use super::clock::Timestamp;
use super::faults::FaultSource;

/// The `operation` recorded for a request that matched no operation.
pub const UNKNOWN_OPERATION: &str = "UnknownOperation";
/// The status key under which `counts` tallies connections dropped without an answer.
const DROPPED: &str = "dropped";

/// One answered API call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// The operation name, or [`UNKNOWN_OPERATION`].
    pub operation: &'static str,
    /// The HTTP method.
    pub method: String,
    /// The raw path and query, as sent.
    pub path: String,
    /// The HTTP status answered; `None` when the connection was dropped without an answer.
    pub status: Option<u16>,
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
    /// Whether the answer (an error or a dropped connection) was injected, and by what.
    pub fault: Option<FaultSource>,
    /// When the call was answered, by the emulator's clock.
    pub time: Timestamp,
}

/// The most recent answered API calls, in the order they were answered, and counts over all
/// of them.
#[derive(Debug, Clone)]
pub struct RequestLog {
    records: VecDeque<RequestRecord>,
    limit: usize,
    total: u64,
    /// Answers per operation and HTTP status (or [`DROPPED`]).
    by_status: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Error answers per operation and error code.
    by_error: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
}

impl RequestLog {
    /// An empty log that keeps the `limit` most recent records (`0` keeps only the counts).
    pub fn new(limit: usize) -> Self {
        Self {
            records: VecDeque::new(),
            limit,
            total: 0,
            by_status: BTreeMap::new(),
            by_error: BTreeMap::new(),
        }
    }

    /// Appends a record, dropping the oldest one beyond the limit, and counts it.
    pub fn push(&mut self, record: RequestRecord) {
        self.total += 1;
        let status = record
            .status
            .map_or_else(|| DROPPED.to_owned(), |status| status.to_string());
        *self
            .by_status
            .entry(record.operation)
            .or_default()
            .entry(status)
            .or_default() += 1;
        if let Some(code) = record.error {
            *self
                .by_error
                .entry(record.operation)
                .or_default()
                .entry(code)
                .or_default() += 1;
        }
        if self.limit == 0 {
            return;
        }
        if self.records.len() == self.limit {
            self.records.pop_front();
        }
        self.records.push_back(record);
    }

    /// `{"requests": [...], "counts": {"CreateProject": {"200": 1}}}`: the kept records, and
    /// how many answers each operation got per HTTP status over all calls.
    pub fn to_json(&self) -> Value {
        json!({ "requests": self.records, "counts": self.by_status })
    }

    /// `{"total", "retained", "limit", "counts", "errors"}`: how many calls were answered,
    /// how many records are kept, and the counts per status and per error code.
    pub fn summary(&self) -> Value {
        json!({
            "total": self.total,
            "retained": self.records.len(),
            "limit": self.limit,
            "counts": self.by_status,
            "errors": self.by_error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn record(
        operation: &'static str,
        status: Option<u16>,
        error: Option<&'static str>,
    ) -> RequestRecord {
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
            fault: None,
            time: ManualClock::default().now(),
        }
    }

    #[test]
    fn counts_group_by_operation_and_status_and_by_error_code() {
        let mut log = RequestLog::new(10);
        log.push(record("CreateProject", Some(200), None));
        log.push(record(
            "CreateProject",
            Some(409),
            Some("ConflictException"),
        ));
        log.push(record("CreateProject", Some(200), None));
        log.push(record("DeleteProject", None, None));
        let json = log.to_json();
        assert_eq!(
            json["counts"],
            json!({"CreateProject": {"200": 2, "409": 1}, "DeleteProject": {"dropped": 1}})
        );
        assert_eq!(json["requests"][1]["error"], "ConflictException");
        assert_eq!(json["requests"][0]["error"], Value::Null);
        assert_eq!(json["requests"][3]["status"], Value::Null);
        assert_eq!(
            log.summary()["errors"],
            json!({"CreateProject": {"ConflictException": 1}})
        );
    }

    #[test]
    fn only_the_most_recent_records_are_kept_but_counts_cover_all() {
        let mut log = RequestLog::new(2);
        for status in [200, 201, 202] {
            log.push(record("CreateProject", Some(status), None));
        }
        let json = log.to_json();
        let kept: Vec<_> = json["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(kept, [201, 202]);
        assert_eq!(
            log.summary(),
            json!({"total": 3, "retained": 2, "limit": 2,
                   "counts": {"CreateProject": {"200": 1, "201": 1, "202": 1}}, "errors": {}})
        );

        let mut counts_only = RequestLog::new(0);
        counts_only.push(record("CreateProject", Some(200), None));
        assert_eq!(counts_only.to_json()["requests"], json!([]));
        assert_eq!(counts_only.summary()["total"], 1);
        assert_eq!(counts_only.summary()["retained"], 0);
    }
}
