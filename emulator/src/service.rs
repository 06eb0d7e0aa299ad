//! The emulator's shared core and the HTTP entry point for API calls.
//!
//! All mutable data (resources, remembered client tokens, armed faults, the request log)
//! sits behind one mutex, and every call does its check-then-change under a single
//! acquisition, so concurrent requests never lose updates and two calls with the same client
//! token cannot both run. Nothing awaits while the lock is held. Each acquisition for a call
//! first completes the status transitions due by the clock, so no background task is needed.
//!
//! An API request goes through, in order: the configured latency, reading the body, the
//! SigV4 check (when credentials are configured), the fault decision, the operation itself,
//! saving the state (when a state file is configured and something changed), the request
//! log, and the answer.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State as AxumState};
use axum::http::request::Parts;
use axum::http::Uri;
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;

use super::clock::Timestamp;
use super::error::{ApiError, Resource};
use super::faults::{Action, FaultSource, FaultState, Target};
use super::handlers;
use super::idempotency::{IdempotencyCache, Lookup};
use super::pagination::Paginator;
use super::persist::{self, Writer};
use super::request::{ApiRequest, CLIENT_TOKEN_HEADER};
use super::request_log::{RequestLog, RequestRecord, UNKNOWN_OPERATION};
use super::response::{dropped, render, ErrorAnswer, Reply};
use super::routes::{self, Operation};
use super::sigv4::{self, SignedRequest};
use super::state::State;
use super::Config;

/// The largest request body read: UpdateDatasetEntries allows 10 MiB of changes, which is
/// about 13.4 MiB once base64-encoded into JSON. The model documents no limit for the
/// DetectAnomalies image, so it gets the same cap.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One emulator instance: its configuration and everything it has been told.
#[derive(Debug)]
pub struct Service {
    /// Region, account and clock.
    pub config: Config,
    /// Issues and checks page tokens.
    pub paginator: Paginator,
    inner: Mutex<Inner>,
    /// Saves the state after changes, when a state file is configured.
    writer: Option<Arc<Writer>>,
}

/// Everything behind the lock.
#[derive(Debug)]
pub struct Inner {
    /// The account's resources.
    pub state: State,
    /// Answers remembered for client tokens.
    pub tokens: IdempotencyCache<Reply>,
    /// The API calls answered so far.
    pub log: RequestLog,
    /// Fault generators and armed scripted faults.
    pub faults: FaultState,
    /// Counts the changes worth saving, so a request can tell whether it changed anything.
    revision: u64,
}

impl Inner {
    /// Nothing in it, for `config`.
    fn empty(config: &Config) -> Self {
        Self {
            state: State::default(),
            tokens: IdempotencyCache::default(),
            log: RequestLog::new(config.request_log_limit),
            faults: FaultState::new(config.faults.seed, Vec::new()),
            revision: 0,
        }
    }

    /// What `config`'s state file held when it was opened, or nothing.
    fn restored(config: &Config) -> Self {
        let mut inner = Self::empty(config);
        let Some(saved) = config.state_file.as_ref().and_then(|file| file.loaded()) else {
            return inner;
        };
        if (saved.region.as_str(), saved.account_id.as_str())
            != (config.region.as_str(), config.account_id.as_str())
        {
            // Kept as they are: the ARNs in the file name the region and account they were
            // created in.
            tracing::warn!(
                saved_region = %saved.region,
                saved_account_id = %saved.account_id,
                region = %config.region,
                account_id = %config.account_id,
                "the state file was written for another region or account"
            );
        }
        inner.state = saved.state.clone();
        inner.tokens = saved.tokens.clone();
        inner.faults = FaultState::new(config.faults.seed, saved.faults.clone());
        inner
    }
}

/// What became of an API request.
enum Outcome {
    /// It was answered.
    Answered(Result<Reply, ErrorAnswer>),
    /// Its connection is to be closed without an answer.
    Dropped,
    /// It ran (and changed what it changed), but its connection is to be closed without the
    /// answer.
    DroppedAfter(Result<Reply, ErrorAnswer>),
}

impl Service {
    /// An emulator with what `config`'s state file held, or with nothing in it.
    pub fn new(config: Config) -> Self {
        let inner = Inner::restored(&config);
        if let Some(file) = &config.state_file {
            tracing::info!(
                path = %file.path().display(),
                projects = inner.state.projects.len(),
                "state file opened"
            );
        }
        Self {
            writer: config
                .state_file
                .as_ref()
                .map(|file| Arc::new(Writer::new(file))),
            config,
            paginator: Paginator::new(),
            inner: Mutex::new(inner),
        }
    }

    /// Exclusive access to the mutable data.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic cannot leave `Inner` half-changed in a way later calls would trip over
        // (each call re-checks what it needs), so keep serving after one.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access to the mutable data, with every transition due by now completed,
    /// and that now.
    pub fn lock_current(&self) -> (MutexGuard<'_, Inner>, Timestamp) {
        let mut inner = self.lock();
        let now = self.config.clock.now();
        inner.state.advance(now);
        (inner, now)
    }

    /// Forgets all resources, armed failures and faults, client tokens and logged requests;
    /// the random fault generators start over from the seed.
    pub fn reset(&self) {
        self.change(|inner| {
            let revision = inner.revision;
            *inner = Inner {
                revision,
                ..Inner::empty(&self.config)
            };
        });
    }

    /// Runs `call` on the mutable data as a change worth saving (the admin API's changes).
    pub fn change<R>(&self, call: impl FnOnce(&mut Inner) -> R) -> R {
        let mut inner = self.lock();
        inner.revision += 1;
        call(&mut inner)
    }

    /// How many changes have been made so far; compare with a later value to see whether
    /// anything changed in between.
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// Runs a read-only call against the current state.
    pub fn read<R>(&self, call: impl FnOnce(&State) -> R) -> R {
        call(&self.lock_current().0.state)
    }

    /// Runs a mutating call that carries no client token against the current state.
    pub fn write<R>(&self, call: impl FnOnce(&mut State, Timestamp) -> R) -> R {
        let (mut inner, now) = self.lock_current();
        inner.revision += 1;
        call(&mut inner.state, now)
    }

    /// Runs a mutating call, honouring its client token: a repeat of an earlier successful
    /// call (same operation, token and `fingerprint`) gets the earlier answer without running
    /// again; a token reused with a different fingerprint is a ConflictException about
    /// `resource`.
    pub fn idempotent(
        &self,
        operation: Operation,
        token: Option<&str>,
        fingerprint: Value,
        resource: Resource,
        call: impl FnOnce(&mut State, Timestamp) -> Result<Reply, ApiError>,
    ) -> Result<Reply, ApiError> {
        let (mut inner, now) = self.lock_current();
        let Inner {
            state,
            tokens,
            revision,
            ..
        } = &mut *inner;
        // Only a call that succeeded counts as a change: calls check before they change
        // anything, so a failed one left the state as it was.
        let Some(token) = token else {
            let reply = call(state, now)?;
            *revision += 1;
            return Ok(reply);
        };
        match tokens.lookup(operation, token, &fingerprint, now) {
            Lookup::Replay(reply) => Ok(Reply { replayed: true, ..reply }),
            // AWS documents only that "an error occurs"; ConflictException is our choice
            // (inferred), ValidationException would be the alternative.
            Lookup::Mismatch => Err(ApiError::conflict(
                resource,
                format!("Client token {token} was already used for a {operation} call with different parameters"),
            )),
            Lookup::Fresh => {
                let reply = call(state, now)?;
                *revision += 1;
                tokens.record(operation, token, fingerprint, reply.clone(), now);
                Ok(reply)
            }
        }
    }

    /// Saves the state if anything changed since `revision`, and returns once it is on
    /// disk (or saving failed, which is logged: the emulator keeps serving from memory).
    pub async fn save_changes_since(&self, revision: u64) {
        let Some(writer) = &self.writer else {
            return;
        };
        let encoded = {
            let inner = self.lock();
            if inner.revision == revision {
                return;
            }
            let faults = inner.faults.armed();
            let encoded = persist::encode(
                &self.config.region,
                &self.config.account_id,
                &inner.state,
                &inner.tokens,
                faults,
            );
            encoded.map(|bytes| (inner.revision, bytes))
        };
        let (revision, bytes) = match encoded {
            Ok(encoded) => encoded,
            Err(err) => {
                tracing::error!(path = %writer.path().display(), error = %err, "cannot encode the state");
                return;
            }
        };
        let writer = Arc::clone(writer);
        // File I/O (with fsync) blocks, so it runs off the async workers.
        let written = tokio::task::spawn_blocking(move || writer.write(revision, &bytes)).await;
        match written {
            Ok(Ok(())) => tracing::debug!(revision, "state saved"),
            Ok(Err(err)) => tracing::error!(error = %err, "state not saved"),
            Err(err) => tracing::error!(error = %err, "state saving task failed"),
        }
    }
}

/// Answers any request that is not for the admin API: routes it, runs the operation (unless a
/// signature check or an injected fault answers first), saves, logs it and renders the
/// answer.
pub async fn handle_api(AxumState(service): AxumState<Arc<Service>>, request: Request) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let client_token = parts
        .headers
        .get(CLIENT_TOKEN_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let path = path_and_query(&parts.uri);
    let method = parts.method.to_string();
    let route = routes::resolve(&parts.method, parts.uri.path());
    let operation = route
        .as_ref()
        .map_or(UNKNOWN_OPERATION, |(operation, _)| operation.name());

    let before = service.revision();
    let (outcome, fault) = answer(&service, parts, body, route, operation, &path).await;
    service.save_changes_since(before).await;

    // A call dropped after it ran is logged with the answer it did not get.
    let (status, error, message, replayed) = match &outcome {
        Outcome::Answered(Ok(reply)) | Outcome::DroppedAfter(Ok(reply)) => {
            (Some(reply.status.as_u16()), None, None, reply.replayed)
        }
        Outcome::Answered(Err(err)) | Outcome::DroppedAfter(Err(err)) => (
            Some(err.status.as_u16()),
            Some(err.code),
            Some(err.message.clone()),
            false,
        ),
        Outcome::Dropped => (None, None, None, false),
    };
    tracing::info!(
        request_id = %request_id,
        operation,
        method = %method,
        path = %path,
        status,
        error,
        replayed,
        fault = ?fault,
        "answered API request"
    );
    let now = service.config.clock.now();
    service.lock().log.push(RequestRecord {
        operation,
        method,
        path,
        status,
        error,
        message,
        request_id: request_id.clone(),
        client_token,
        replayed,
        fault,
        time: now,
    });
    match outcome {
        Outcome::Answered(outcome) => render(&outcome, &request_id, now),
        Outcome::Dropped | Outcome::DroppedAfter(_) => dropped(),
    }
}

/// Everything between receiving an API request and logging it: latency, the body, the
/// signature, faults and the operation. Returns the outcome and what injected it, if a fault
/// did.
async fn answer(
    service: &Service,
    parts: Parts,
    body: Body,
    route: Option<(Operation, Vec<String>)>,
    operation: &str,
    path: &str,
) -> (Outcome, Option<FaultSource>) {
    let latency = service.lock().faults.latency(&service.config.faults);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        let err = ApiError::validation(format!(
            "The request body could not be read in full; it may not exceed {MAX_BODY_BYTES} bytes"
        ));
        return (Outcome::Answered(Err(err.into())), None);
    };
    if let Some(credentials) = &service.config.credentials {
        let request = SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &body,
        };
        let now = service.config.clock.now();
        if let Err(err) = sigv4::verify(credentials, &service.config.region, now, &request) {
            tracing::info!(operation, code = err.code(), reason = %err, "signature refused");
            return (Outcome::Answered(Err((&err).into())), None);
        }
    }

    let labels = route
        .as_ref()
        .map_or(&[][..], |(_, labels)| labels.as_slice());
    let target = Target {
        operation,
        labels,
        path,
    };
    let decision = service
        .lock()
        .faults
        .decide(&service.config.faults, &target);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    // A drop after the call lets it run; the other faults answer instead of it.
    let mut drop_after = None;
    if let Some(injected) = decision.injected {
        tracing::info!(operation, path, source = ?injected.source, action = ?injected.action, "fault injected");
        let source = Some(injected.source);
        match injected.action {
            Action::Fail(err) => return (Outcome::Answered(Err(err.into())), source),
            Action::Drop => return (Outcome::Dropped, source),
            Action::DropAfter => drop_after = source,
        }
    }

    let outcome = match route {
        None => Err(ApiError::UnknownOperation {
            message: format!("No operation matches {} {}", parts.method, parts.uri.path()),
        }),
        Some((operation, labels)) => {
            let request = ApiRequest::new(labels, parts.uri.query(), parts.headers, body);
            handlers::dispatch(service, operation, &request)
        }
    };
    let outcome = outcome.map_err(ErrorAnswer::from);
    match drop_after {
        Some(source) => (Outcome::DroppedAfter(outcome), Some(source)),
        None => (Outcome::Answered(outcome), None),
    }
}

/// The raw path and query, as sent.
fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::idempotency::TOKEN_LIFETIME;
    use crate::state::DatasetType;
    use serde_json::json;

    fn service(clock: Arc<ManualClock>) -> Service {
        Service::new(Config {
            clock,
            ..Config::default()
        })
    }

    fn create(service: &Service, token: &str, name: &str) -> Result<Reply, ApiError> {
        service.idempotent(
            Operation::CreateProject,
            Some(token),
            json!({ "ProjectName": name }),
            Resource::project(name),
            |state, now| {
                let project = state.create_project(name, format!("arn:{name}"), now)?;
                Ok(Reply::ok(json!({ "created": project.created })))
            },
        )
    }

    #[test]
    fn a_repeated_token_replays_without_running_again_until_it_expires() {
        let clock = Arc::new(ManualClock::default());
        let service = service(clock.clone());
        let first = create(&service, "t1", "p1").unwrap();
        clock.advance(TOKEN_LIFETIME / 2);
        let again = create(&service, "t1", "p1").unwrap();
        assert!(again.replayed);
        assert_eq!(again.body, first.body);
        assert_eq!(service.read(|state| state.projects.len()), 1);

        // Once the token has expired the call runs again, and the project exists by now.
        clock.advance(TOKEN_LIFETIME);
        assert_eq!(
            create(&service, "t1", "p1").unwrap_err().code(),
            "ConflictException"
        );
    }

    #[test]
    fn a_token_reused_with_other_input_conflicts_and_failures_are_not_remembered() {
        let service = service(Arc::new(ManualClock::default()));
        create(&service, "t1", "p1").unwrap();
        let err = create(&service, "t1", "p2").unwrap_err();
        assert_eq!(err, ApiError::conflict(Resource::project("p2"), "Client token t1 was already used for a CreateProject call with different parameters"));

        // t2 fails (p1 exists); after p1 is gone the same token runs for real.
        assert!(create(&service, "t2", "p1").is_err());
        service.lock().state.delete_project("p1").unwrap();
        assert!(!create(&service, "t2", "p1").unwrap().replayed);
    }

    #[test]
    fn every_access_first_completes_the_transitions_due_by_the_clock() {
        let clock = Arc::new(ManualClock::default());
        let service = service(clock.clone());
        let takes = service.config.durations.delete;
        create(&service, "t1", "p1").unwrap();
        service
            .write(|state, now| {
                state.create_dataset("p1", DatasetType::Train, None, now, takes)?;
                state.delete_dataset("p1", DatasetType::Train, now, takes)
            })
            .unwrap();
        let datasets = || service.read(|state| state.project("p1").unwrap().datasets.len());
        assert_eq!(datasets(), 1);
        clock.advance(takes);
        assert_eq!(datasets(), 0);
    }

    #[test]
    fn reset_forgets_everything() {
        let service = service(Arc::new(ManualClock::default()));
        create(&service, "t1", "p1").unwrap();
        service
            .change(|inner| {
                let fault = json!({"operation": "ListProjects", "drop": true});
                inner
                    .faults
                    .arm(serde_json::from_value(fault).unwrap())
                    .map(|_| ())
            })
            .unwrap();
        service.reset();
        assert_eq!(service.read(|state| state.projects.len()), 0);
        assert!(service.lock().faults.armed().is_empty());
        assert!(!create(&service, "t1", "p1").unwrap().replayed);
    }

    #[test]
    fn only_calls_that_change_something_count_as_changes() {
        let service = service(Arc::new(ManualClock::default()));
        let start = service.revision();
        service.read(|state| state.projects.len());
        assert_eq!(service.revision(), start);
        create(&service, "t1", "p1").unwrap();
        let created = service.revision();
        assert!(created > start);
        // A replay, a token mismatch and a failed call change nothing.
        create(&service, "t1", "p1").unwrap();
        create(&service, "t1", "p2").unwrap_err();
        create(&service, "t2", "p1").unwrap_err();
        assert_eq!(service.revision(), created);
        service.write(|_, _| ());
        assert!(service.revision() > created);
    }

    /// Wire-level checks through the whole router, without a network.
    mod wire {
        use super::*;
        use crate::response::{ERROR_TYPE_HEADER, REQUEST_ID_HEADER};
        use crate::{router, FaultRates, RandomFaults};
        use axum::http::{header, Request as HttpRequest, StatusCode};
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine as _;
        use tower::ServiceExt as _;

        /// Sends one request; returns the status, the headers and the body as JSON (`Null`
        /// when there is none).
        async fn send(
            app: &axum::Router,
            method: &str,
            path: &str,
            body: impl Into<Body>,
        ) -> (StatusCode, axum::http::HeaderMap, Value) {
            let request = HttpRequest::builder()
                .method(method)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.into())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let (parts, body) = response.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap();
            let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            (parts.status, parts.headers, json)
        }

        fn app() -> axum::Router {
            router(Config {
                clock: Arc::new(ManualClock::default()),
                ..Config::default()
            })
        }

        #[tokio::test]
        async fn unknown_routes_and_methods_get_a_request_id_and_never_panic() {
            let app = app();
            let cases = [
                ("OPTIONS", "/"),
                ("HEAD", "/2020-11-20/projects"),
                ("TRACE", "/2020-11-20/projects"),
                ("PUT", "/2020-11-20/projects/p1/datasets/train/entries"),
                ("GET", "/2020-11-20/projects/%ZZ"),
                ("GET", "/2020-11-20/projects/%FF%FE"),
                ("DELETE", "/2020-11-20/tags/"),
                ("GET", "/2020-11-20//projects"),
                ("GET", "/2020-11-20/projects?maxResults=%FF&maxResults"),
                ("POST", "/_emulatorx"),
            ];
            for (method, path) in cases {
                let (status, headers, _) = send(&app, method, path, Body::empty()).await;
                assert!(status.is_client_error(), "{method} {path}: {status}");
                assert!(headers.contains_key(REQUEST_ID_HEADER), "{method} {path}");
                assert!(headers.contains_key(ERROR_TYPE_HEADER), "{method} {path}");
                assert!(headers.contains_key(header::DATE), "{method} {path}");
            }
            // Admin answers carry no AWS headers.
            let (status, headers, _) =
                send(&app, "GET", "/_emulator/requests", Body::empty()).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!headers.contains_key(REQUEST_ID_HEADER));
        }

        #[tokio::test]
        async fn malformed_json_is_a_clear_validation_error() {
            let app = app();
            for body in ["{", "[1, 2]", r#"{"ProjectName": 5}"#, "\u{0}"] {
                let (status, headers, json) =
                    send(&app, "POST", "/2020-11-20/projects", body.to_owned()).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
                assert_eq!(headers[ERROR_TYPE_HEADER], "ValidationException");
                let message = json["Message"].as_str().unwrap();
                assert!(
                    message.starts_with("The request body is not valid JSON for this operation"),
                    "{message}"
                );
            }
        }

        #[tokio::test]
        async fn changes_of_more_than_ten_mib_are_refused() {
            const LIMIT: usize = 10_485_760;
            let app = app();
            let ok = |status: StatusCode| assert!(status.is_success(), "{status}");
            ok(send(
                &app,
                "POST",
                "/2020-11-20/projects",
                r#"{"ProjectName": "p1"}"#,
            )
            .await
            .0);
            let datasets = "/2020-11-20/projects/p1/datasets";
            ok(send(&app, "POST", datasets, r#"{"DatasetType": "train"}"#)
                .await
                .0);

            // 2,560 lines of exactly 4,096 bytes (newline included) fill the limit exactly.
            let line = |i: usize| {
                let head = format!(r#"{{"source-ref": "s3://b/img-{i:05}.jpg", "pad": ""#);
                format!("{head}{}\"}}\n", "x".repeat(4096 - head.len() - 3))
            };
            let mut changes: String = (0..2560).map(line).collect();
            assert_eq!(changes.len(), LIMIT);
            let entries = "/2020-11-20/projects/p1/datasets/train/entries";
            let body = |changes: &str| json!({ "Changes": STANDARD.encode(changes) }).to_string();
            let (status, _, json) = send(&app, "PATCH", entries, body(&changes)).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{json}");

            changes.push('\n');
            let (status, headers, json) = send(&app, "PATCH", entries, body(&changes)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(headers[ERROR_TYPE_HEADER], "ValidationException");
            let message = json["Message"].as_str().unwrap();
            assert!(
                message.contains(&format!("length {} at 'changes'", LIMIT + 1)),
                "{message}"
            );
        }

        #[tokio::test]
        async fn faults_never_touch_admin_calls_and_faulted_calls_change_nothing() {
            let app = router(Config {
                clock: Arc::new(ManualClock::default()),
                faults: RandomFaults {
                    rates: FaultRates::new(1.0, 0.0, 0.0).unwrap(),
                    ..RandomFaults::default()
                },
                ..Config::default()
            });
            let (status, headers, _) = send(
                &app,
                "POST",
                "/2020-11-20/projects",
                r#"{"ProjectName": "p1"}"#,
            )
            .await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(headers[header::RETRY_AFTER], "1");
            let (status, _, dump) = send(&app, "GET", "/_emulator/state", Body::empty()).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(dump["projects"], json!([]));
            let (_, _, log) = send(&app, "GET", "/_emulator/requests", Body::empty()).await;
            assert_eq!(log["requests"][0]["fault"], "random");
            assert_eq!(log["requests"][0]["error"], "InternalServerException");
        }
    }
}
