//! The emulator's shared core and the HTTP entry point for API calls.
//!
//! All mutable data (resources, remembered client tokens, the request log) sits behind one
//! mutex, and every call does its check-then-change under a single acquisition, so
//! concurrent requests never lose updates and two calls with the same client token cannot
//! both run. Nothing awaits while the lock is held. Each acquisition for a call first
//! completes the status transitions due by the clock, so no background task is needed.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::to_bytes;
use axum::extract::{Request, State as AxumState};
use axum::response::Response;
use serde_json::Value;
use uuid::Uuid;

use super::clock::Timestamp;
use super::error::{ApiError, Resource};
use super::handlers;
use super::idempotency::{IdempotencyCache, Lookup};
use super::pagination::Paginator;
use super::request::{ApiRequest, CLIENT_TOKEN_HEADER};
use super::request_log::{RequestLog, RequestRecord, UNKNOWN_OPERATION};
use super::response::{render, Reply};
use super::routes::{self, Operation};
use super::state::State;
use super::Config;

/// The largest request body read: UpdateDatasetEntries allows 10 MiB of changes, which is
/// about 13.4 MiB once base64-encoded into JSON.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One emulator instance: its configuration and everything it has been told.
#[derive(Debug)]
pub struct Service {
    /// Region, account and clock.
    pub config: Config,
    /// Issues and checks page tokens.
    pub paginator: Paginator,
    inner: Mutex<Inner>,
}

/// Everything behind the lock.
#[derive(Debug, Default)]
pub struct Inner {
    /// The account's resources.
    pub state: State,
    /// Answers remembered for client tokens.
    pub tokens: IdempotencyCache<Reply>,
    /// The API calls answered so far.
    pub log: RequestLog,
}

impl Service {
    /// An emulator with nothing in it.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            paginator: Paginator::new(),
            inner: Mutex::default(),
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

    /// Forgets all resources, armed failures, client tokens and logged requests.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    /// Runs a read-only call against the current state.
    pub fn read<R>(&self, call: impl FnOnce(&State) -> R) -> R {
        call(&self.lock_current().0.state)
    }

    /// Runs a mutating call that carries no client token against the current state.
    pub fn write<R>(&self, call: impl FnOnce(&mut State, Timestamp) -> R) -> R {
        let (mut inner, now) = self.lock_current();
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
        let Inner { state, tokens, .. } = &mut *inner;
        let Some(token) = token else {
            return call(state, now);
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
                tokens.record(operation, token, fingerprint, reply.clone(), now);
                Ok(reply)
            }
        }
    }
}

/// Answers any request that is not for the admin API: routes it, runs the operation, logs
/// it and renders the answer.
pub async fn handle_api(AxumState(service): AxumState<Arc<Service>>, request: Request) -> Response {
    let request_id = Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let client_token = parts
        .headers
        .get(CLIENT_TOKEN_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string);

    let (operation, outcome) = match routes::resolve(&parts.method, parts.uri.path()) {
        None => (
            UNKNOWN_OPERATION,
            Err(ApiError::UnknownOperation {
                message: format!("No operation matches {} {}", parts.method, parts.uri.path()),
            }),
        ),
        Some((operation, labels)) => {
            let outcome = match to_bytes(body, MAX_BODY_BYTES).await {
                Ok(body) => {
                    let request = ApiRequest::new(labels, parts.uri.query(), parts.headers, body);
                    handlers::dispatch(&service, operation, &request)
                }
                Err(_) => Err(ApiError::validation(format!(
                    "The request body could not be read in full; it may not exceed {MAX_BODY_BYTES} bytes"
                ))),
            };
            (operation.name(), outcome)
        }
    };

    let (status, error, replayed) = match &outcome {
        Ok(reply) => (reply.status, None, reply.replayed),
        Err(err) => (err.status(), Some(err.code()), false),
    };
    tracing::info!(
        request_id = %request_id,
        operation,
        method = %parts.method,
        path = %path,
        status = status.as_u16(),
        error,
        replayed,
        "answered API request"
    );
    service.lock().log.push(RequestRecord {
        operation,
        method: parts.method.to_string(),
        path,
        status: status.as_u16(),
        error,
        message: outcome.as_ref().err().map(|err| err.message().to_owned()),
        request_id: request_id.clone(),
        client_token,
        replayed,
        time: service.config.clock.now(),
    });
    render(&outcome, &request_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::clock::ManualClock;
    use crate::emulator::idempotency::TOKEN_LIFETIME;
    use crate::emulator::state::DatasetType;
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
        service.reset();
        assert_eq!(service.read(|state| state.projects.len()), 0);
        assert!(!create(&service, "t1", "p1").unwrap().replayed);
    }
}
