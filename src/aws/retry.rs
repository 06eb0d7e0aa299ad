//! Retrying calls that the service refuses with a conflict while another change is in progress.
//!
//! The SDK retries throttling, server errors and I/O failures itself but never a 409: a
//! `ConflictException` means "not yet" (a model still deleting, a dataset still being created),
//! which only the caller can wait out. Time comes from tokio's clock so tests run it paused.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;

/// The shortest pause between two polls or retries.
pub const MIN_INTERVAL: Duration = Duration::from_millis(200);
/// The longest pause between two polls or retries.
pub const MAX_INTERVAL: Duration = Duration::from_secs(30);

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

/// Why a retried call gave up.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// The call failed with something other than a conflict.
    #[error(transparent)]
    Failed(ApiError),
    /// Conflicts lasted past the time limit; `last` is the last conflict.
    #[error("the service still reported a conflict after {attempts} attempts over {waited:?}")]
    TimedOut {
        /// The last conflict answer.
        last: ApiError,
        /// How many calls were made.
        attempts: u32,
        /// How long was spent.
        waited: Duration,
    },
    /// Terraform asked the provider to stop.
    #[error("stopped while retrying")]
    Cancelled {
        /// The last conflict answer, if any.
        last: Option<ApiError>,
    },
}

/// Calls `call` until it returns anything but a conflict, for at most `timeout`.
///
/// `call` is expected to reuse one client token across attempts so that a request the service
/// did receive is not applied twice.
pub async fn retry_conflicts<T, F, Fut>(
    timeout: Duration,
    cancel: &CancellationToken,
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
            return Err(RetryError::Cancelled { last: None });
        }
        attempts += 1;
        let last = match call().await {
            Ok(value) => return Ok(value),
            Err(err) if err.is_conflict() => err,
            Err(err) => return Err(RetryError::Failed(err)),
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
            "The service reported a conflict; retrying after a pause."
        );
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = cancel.cancelled() => return Err(RetryError::Cancelled { last: Some(last) }),
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
            Err(RetryError::Cancelled { last: Some(_) })
        ));
        assert!(start.elapsed() < Duration::from_secs(4));
    }
}
