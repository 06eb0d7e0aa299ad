//! Repeating calls whose outcome is not final: refused with a conflict while another change is
//! in progress, or sent without an answer coming back.
//!
//! The SDK retries throttling, server errors and I/O failures itself but never a 409: a
//! `ConflictException` means "not yet" (a model still deleting, a dataset still being created),
//! which only the caller can wait out. And the SDK's retries end (after `max_retries`, or after
//! [`super::budget::UNANSWERED_BUDGET`] without an answer) whether or not the service acted on
//! a request whose answer was lost: a create that succeeded would be reported as failed and
//! saved nowhere. Every mutating call carries a client token, and the service answers a call
//! repeated with the same token and parameters with the first call's answer instead of acting
//! twice; so repeating it with that token until an answer comes is how the outcome is learnt,
//! not guessed. Time comes from tokio's clock so tests run it paused.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;

/// The shortest pause between two polls or retries.
pub const MIN_INTERVAL: Duration = Duration::from_millis(200);
/// The longest pause between two polls or retries.
pub const MAX_INTERVAL: Duration = Duration::from_secs(30);
/// How long a call already sent when Terraform asks the provider to stop may still answer. An
/// answer that comes is used (a created object's identity is saved); one that does not is
/// abandoned, so that a hung endpoint cannot hold up Ctrl-C.
pub const IN_FLIGHT_GRACE: Duration = Duration::from_secs(5);

/// How far ahead a deadline lies when `start + limit` is past what the clock can hold: further
/// than any wait lasts, as tokio does for its own sleeps.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `limit` after `start`, saturating: a limit no clock can represent (a `timeouts`
/// value of centuries) gives a deadline far in the future instead of a panic.
pub fn deadline(start: Instant, limit: Duration) -> Instant {
    start
        .checked_add(limit)
        .unwrap_or_else(|| start + FAR_FUTURE)
}

/// The pause before the next poll or retry after waiting `elapsed`: an eighth of the time
/// already spent, so a short wait is noticed promptly and a long one is not hammered.
pub fn next_interval(elapsed: Duration) -> Duration {
    (elapsed / 8).clamp(MIN_INTERVAL, MAX_INTERVAL)
}

/// Why a repeated call gave up.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// The call failed with an answer that repeating it would not change.
    #[error(transparent)]
    Failed(ApiError),
    /// No answer but conflicts, or no answer at all, until the time limit; `last` is the last
    /// failure.
    #[error("the call had no final answer after {attempts} attempts over {waited:?}: {last}")]
    TimedOut {
        /// The last failure: a conflict, or a request that got no answer.
        last: ApiError,
        /// How many calls were made.
        attempts: u32,
        /// How long was spent.
        waited: Duration,
    },
    /// Terraform asked the provider to stop.
    #[error("stopped while retrying")]
    Cancelled {
        /// The last failure, if any.
        last: Option<ApiError>,
        /// Whether a call was in flight and gave no answer within [`IN_FLIGHT_GRACE`], so that
        /// whether the service acted on it is unknown.
        abandoned: bool,
    },
}

/// Calls `call` until it returns anything but a conflict or a lost answer, for at most
/// `timeout`: for calls the service refuses while something else is changing (deletes, and
/// starting or stopping a model).
///
/// `call` must reuse one client token across attempts, so that a request the service did
/// receive is answered again rather than applied twice.
pub async fn retry_conflicts<T, F, Fut>(
    timeout: Duration,
    cancel: &CancellationToken,
    call: F,
) -> Result<T, RetryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    repeat(timeout, cancel, true, call).await
}

/// Calls `call` until it gets an answer, for at most `timeout`: for creates, where a conflict
/// is final (the name is taken; the project already has a dataset of that type).
///
/// `call` must reuse one client token across attempts, so that a create the service did
/// receive is answered with the object it created rather than creating a second one.
pub async fn retry_unanswered<T, F, Fut>(
    timeout: Duration,
    cancel: &CancellationToken,
    call: F,
) -> Result<T, RetryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    repeat(timeout, cancel, false, call).await
}

/// What became of a call when Terraform may have asked to stop.
enum Outcome<T> {
    Answered(T),
    Abandoned,
}

/// Awaits `call`; once `cancel` fires, for at most [`IN_FLIGHT_GRACE`] more.
async fn answer<T>(call: impl Future<Output = T>, cancel: &CancellationToken) -> Outcome<T> {
    tokio::pin!(call);
    tokio::select! {
        result = &mut call => return Outcome::Answered(result),
        _ = cancel.cancelled() => {}
    }
    match tokio::time::timeout(IN_FLIGHT_GRACE, call).await {
        Ok(result) => Outcome::Answered(result),
        Err(_) => Outcome::Abandoned,
    }
}

/// The one loop behind [`retry_conflicts`] and [`retry_unanswered`].
async fn repeat<T, F, Fut>(
    timeout: Duration,
    cancel: &CancellationToken,
    conflicts: bool,
    mut call: F,
) -> Result<T, RetryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let start = Instant::now();
    let deadline = deadline(start, timeout);
    let mut attempts = 0;
    loop {
        if cancel.is_cancelled() {
            return Err(RetryError::Cancelled {
                last: None,
                abandoned: false,
            });
        }
        attempts += 1;
        let last = match answer(call(), cancel).await {
            Outcome::Answered(Ok(value)) => return Ok(value),
            Outcome::Answered(Err(err))
                if err.is_unanswered() || (conflicts && err.is_conflict()) =>
            {
                err
            }
            Outcome::Answered(Err(err)) => return Err(RetryError::Failed(err)),
            Outcome::Abandoned => {
                return Err(RetryError::Cancelled {
                    last: None,
                    abandoned: true,
                })
            }
        };
        let now = Instant::now();
        if now >= deadline {
            return Err(RetryError::TimedOut {
                last,
                attempts,
                waited: now - start,
            });
        }
        let pause = next_interval(now - start).min(deadline - now);
        tracing::debug!(
            operation = last.operation,
            attempts,
            pause_ms = pause.as_millis() as u64,
            error = %last,
            "The call has no final answer yet; repeating it with the same client token after a pause."
        );
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = cancel.cancelled() => return Err(RetryError::Cancelled { last: Some(last), abandoned: false }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::ErrorKind;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    proptest! {
        /// Any limit at all, up to `Duration::MAX`, gives a deadline: none panics.
        #[test]
        fn every_limit_has_a_deadline(nanos in any::<u64>(), seconds in any::<u64>()) {
            let start = Instant::now();
            for limit in [Duration::from_nanos(nanos), Duration::from_secs(seconds), Duration::MAX] {
                let due = deadline(start, limit);
                prop_assert!(due >= start);
                prop_assert!(due - start <= limit);
            }
        }
    }

    #[tokio::test]
    async fn waits_and_retries_take_limits_no_clock_can_hold() {
        let cancel = CancellationToken::new();
        let answered = retry_conflicts(Duration::MAX, &cancel, || async { Ok::<_, ApiError>(7) })
            .await
            .unwrap();
        assert_eq!(answered, 7);
        let done = crate::aws::waiter::wait_until(Duration::MAX, &cancel, || async {
            Ok(crate::aws::waiter::Observation {
                phase: crate::aws::waiter::Phase::Done,
                status: "TRAINED".to_owned(),
                message: None,
                value: (),
            })
        })
        .await;
        assert!(done.is_ok());
    }

    fn api_error(kind: ErrorKind) -> ApiError {
        ApiError {
            operation: "DeleteProject",
            kind,
            code: None,
            message: Some("busy".into()),
            request_id: None,
            status: None,
        }
    }

    #[test]
    fn interval_grows_with_elapsed_time_within_bounds() {
        assert_eq!(next_interval(Duration::ZERO), MIN_INTERVAL);
        assert_eq!(
            next_interval(Duration::from_secs(8)),
            Duration::from_secs(1)
        );
        assert_eq!(next_interval(Duration::from_secs(3600)), MAX_INTERVAL);
    }

    #[tokio::test(start_paused = true)]
    async fn conflicts_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = retry_conflicts(
            Duration::from_secs(60),
            &CancellationToken::new(),
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0..=3 => Err(api_error(ErrorKind::Conflict)),
                    _ => Ok("deleted"),
                }
            },
        )
        .await;
        assert_eq!(result.unwrap(), "deleted");
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn lost_answers_are_repeated_until_one_comes_and_conflicts_end_a_create() {
        for conflicts in [true, false] {
            let calls = AtomicU32::new(0);
            let call = || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0..=2 => Err(api_error(ErrorKind::NoAnswer)),
                    3 => Err(api_error(ErrorKind::Conflict)),
                    _ => Ok("created"),
                }
            };
            let cancel = CancellationToken::new();
            let timeout = Duration::from_secs(60);
            let result = if conflicts {
                retry_conflicts(timeout, &cancel, call).await
            } else {
                retry_unanswered(timeout, &cancel, call).await
            };
            if conflicts {
                assert_eq!(result.unwrap(), "created");
                assert_eq!(calls.load(Ordering::SeqCst), 5);
            } else {
                // For a create, a conflict after a lost answer is final: the caller reads it.
                assert!(matches!(result, Err(RetryError::Failed(e)) if e.is_conflict()));
                assert_eq!(calls.load(Ordering::SeqCst), 4);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn lost_answers_are_repeated_until_the_timeout_whatever_max_retries_says() {
        let start = Instant::now();
        let result: Result<(), _> = retry_unanswered(
            Duration::from_secs(30),
            &CancellationToken::new(),
            || async { Err(api_error(ErrorKind::NoAnswer)) },
        )
        .await;
        match result {
            Err(RetryError::TimedOut { last, attempts, .. }) => {
                assert!(last.is_unanswered());
                assert!(attempts > 5, "asked only {attempts} times in 30s");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_endpoint_is_not_asked_again() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_conflicts(
            Duration::from_secs(60),
            &CancellationToken::new(),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(api_error(ErrorKind::Unreachable))
            },
        )
        .await;
        assert!(matches!(result, Err(RetryError::Failed(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// Stops the provider `after` from now.
    fn stop_after(after: Duration) -> CancellationToken {
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            stopper.cancel();
        });
        cancel
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_in_flight_when_stopped_keeps_an_answer_that_comes_in_the_grace() {
        let cancel = stop_after(Duration::from_secs(1));
        let answered = retry_unanswered(Duration::from_secs(600), &cancel, || async {
            tokio::time::sleep(IN_FLIGHT_GRACE).await;
            Ok::<_, ApiError>("created")
        })
        .await;
        assert_eq!(answered.unwrap(), "created");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_in_flight_when_stopped_is_abandoned_after_the_grace() {
        let cancel = stop_after(Duration::from_secs(3));
        let start = Instant::now();
        let result: Result<(), _> =
            retry_unanswered(Duration::from_secs(600), &cancel, std::future::pending).await;
        assert!(matches!(
            result,
            Err(RetryError::Cancelled {
                last: None,
                abandoned: true
            })
        ));
        assert_eq!(start.elapsed(), Duration::from_secs(3) + IN_FLIGHT_GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_conflicts(
            Duration::from_secs(60),
            &CancellationToken::new(),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(api_error(ErrorKind::Validation))
            },
        )
        .await;
        assert!(matches!(result, Err(RetryError::Failed(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline_with_the_last_conflict() {
        let start = Instant::now();
        let result: Result<(), _> = retry_conflicts(
            Duration::from_secs(10),
            &CancellationToken::new(),
            || async { Err(api_error(ErrorKind::Conflict)) },
        )
        .await;
        match result {
            Err(RetryError::TimedOut {
                last,
                attempts,
                waited,
            }) => {
                assert!(last.is_conflict());
                assert!(attempts > 5, "polled only {attempts} times in 10s");
                assert_eq!(waited, Duration::from_secs(10));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_the_wait_at_once() {
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            stopper.cancel();
        });
        let start = Instant::now();
        let result: Result<(), _> = retry_conflicts(Duration::from_secs(600), &cancel, || async {
            Err(api_error(ErrorKind::Conflict))
        })
        .await;
        assert!(matches!(
            result,
            Err(RetryError::Cancelled {
                last: Some(_),
                abandoned: false
            })
        ));
        assert!(start.elapsed() < Duration::from_secs(4));
    }
}
