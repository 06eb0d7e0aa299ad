//! One waiter for every asynchronous change: poll a status until it settles.
//!
//! Lookout for Vision publishes no waiters, so the provider polls. The pause between polls is an
//! eighth of the time already waited (see [`next_interval`]): a 1-second change is noticed within
//! a few hundred milliseconds, a 24-hour training is polled every 30 seconds, and the overshoot is
//! never more than about an eighth of the wait. Time comes from tokio's clock, so tests run it
//! paused.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;
use super::retry::{deadline, next_interval};

/// Where a polled resource stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Still changing: poll again.
    Pending,
    /// Reached the target state.
    Done,
    /// Reached a terminal failure state: stop and report it.
    Failed,
}

/// One observation: the phase, the service's status and message, and whatever the caller keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation<T> {
    /// Where it stands.
    pub phase: Phase,
    /// The service's status, e.g. `TRAINING` (or a description such as `gone`).
    pub status: String,
    /// The service's status message, if any.
    pub message: Option<String>,
    /// The caller's data (for example the described resource).
    pub value: T,
}

/// Why a wait ended without reaching the target.
#[derive(Debug, thiserror::Error)]
pub enum WaitError<T> {
    /// The resource reached a failure state.
    #[error("the resource reached status {}{}", .0.status, .0.message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Failed(Observation<T>),
    /// The time limit passed; `last` is the last observation, if any poll answered.
    #[error("timed out after {waited:?}")]
    TimedOut {
        /// The last observation.
        last: Option<Observation<T>>,
        /// How long was spent.
        waited: Duration,
    },
    /// Terraform asked the provider to stop; `last` is the state known so far.
    #[error("stopped while waiting")]
    Cancelled {
        /// The last observation.
        last: Option<Observation<T>>,
    },
    /// Polling itself failed (after the SDK's own retries).
    #[error(transparent)]
    Api(ApiError),
}

impl<T> WaitError<T> {
    /// The caller's data from the last observation, if any poll answered.
    pub fn last_value(&self) -> Option<&T> {
        match self {
            WaitError::Failed(observation) => Some(&observation.value),
            WaitError::TimedOut { last, .. } | WaitError::Cancelled { last } => {
                last.as_ref().map(|o| &o.value)
            }
            WaitError::Api(_) => None,
        }
    }

    /// The last status seen, for messages.
    pub fn last_status(&self) -> Option<&str> {
        match self {
            WaitError::Failed(observation) => Some(&observation.status),
            WaitError::TimedOut { last, .. } | WaitError::Cancelled { last } => {
                last.as_ref().map(|o| o.status.as_str())
            }
            WaitError::Api(_) => None,
        }
    }
}

/// Polls `poll` until it reports [`Phase::Done`] (returning that observation), a failure, the
/// time limit, or cancellation. The first poll happens at once. A poll still unanswered at the
/// time limit is abandoned: polls only read, and the limit is the user's.
pub async fn wait_until<T, F, Fut>(
    timeout: Duration,
    cancel: &CancellationToken,
    mut poll: F,
) -> Result<Observation<T>, WaitError<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Observation<T>, ApiError>>,
{
    let start = Instant::now();
    let deadline = deadline(start, timeout);
    let mut last: Option<Observation<T>> = None;
    let mut polls = 0u32;
    loop {
        let observation = tokio::select! {
            // An answer that is ready counts, even at the deadline.
            biased;
            result = poll() => result.map_err(WaitError::Api)?,
            _ = cancel.cancelled() => return Err(WaitError::Cancelled { last }),
            _ = tokio::time::sleep_until(deadline) => {
                return Err(WaitError::TimedOut { last, waited: start.elapsed() })
            }
        };
        polls += 1;
        match observation.phase {
            Phase::Done => {
                tracing::debug!(status = %observation.status, polls, waited_ms = start.elapsed().as_millis() as u64, "The wait is over.");
                return Ok(observation);
            }
            Phase::Failed => return Err(WaitError::Failed(observation)),
            Phase::Pending => {}
        }
        tracing::trace!(status = %observation.status, polls, "Still waiting.");
        last = Some(observation);
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut {
                last,
                waited: now - start,
            });
        }
        let pause = next_interval(now - start).min(deadline - now);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = cancel.cancelled() => return Err(WaitError::Cancelled { last }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn observation(phase: Phase, status: &str) -> Observation<u32> {
        Observation {
            phase,
            status: status.into(),
            message: (phase == Phase::Failed).then(|| "not enough images".into()),
            value: 7,
        }
    }

    /// A resource that stays `TRAINING` for `duration`, then ends in `end`.
    fn resource(
        duration: Duration,
        end: Phase,
        polls: &AtomicU32,
    ) -> impl FnMut() -> std::future::Ready<Result<Observation<u32>, ApiError>> + '_ {
        let start = Instant::now();
        move || {
            polls.fetch_add(1, Ordering::SeqCst);
            let phase = if start.elapsed() >= duration {
                end
            } else {
                Phase::Pending
            };
            let status = match phase {
                Phase::Pending => "TRAINING",
                Phase::Done => "TRAINED",
                Phase::Failed => "TRAINING_FAILED",
            };
            std::future::ready(Ok(observation(phase, status)))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn notices_the_end_promptly_and_polls_sparingly() {
        for seconds in [2u64, 8, 60, 3600, 24 * 3600] {
            let polls = AtomicU32::new(0);
            let duration = Duration::from_secs(seconds);
            let start = Instant::now();
            let done = wait_until(
                Duration::from_secs(48 * 3600),
                &CancellationToken::new(),
                resource(duration, Phase::Done, &polls),
            )
            .await
            .expect("the wait succeeds");
            assert_eq!(done.status, "TRAINED");
            let overshoot = start.elapsed().as_secs_f64() / duration.as_secs_f64();
            assert!(
                overshoot <= 1.13,
                "a {seconds}s wait took {:?}",
                start.elapsed()
            );
            let polls = polls.load(Ordering::SeqCst);
            // Logarithmic while the interval grows, then one poll every 30 s at most.
            let bound = 60 + (seconds / 30) as u32;
            assert!(polls <= bound, "a {seconds}s wait polled {polls} times");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn fails_fast_with_the_status_message() {
        let polls = AtomicU32::new(0);
        let err = wait_until(
            Duration::from_secs(3600),
            &CancellationToken::new(),
            resource(Duration::from_secs(5), Phase::Failed, &polls),
        )
        .await
        .unwrap_err();
        match &err {
            WaitError::Failed(observation) => {
                assert_eq!(observation.status, "TRAINING_FAILED");
                assert_eq!(observation.message.as_deref(), Some("not enough images"));
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "the resource reached status TRAINING_FAILED: not enough images"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_reporting_the_last_state() {
        let polls = AtomicU32::new(0);
        let start = Instant::now();
        let err = wait_until(
            Duration::from_secs(30),
            &CancellationToken::new(),
            resource(Duration::from_secs(3600), Phase::Done, &polls),
        )
        .await
        .unwrap_err();
        assert_eq!(err.last_status(), Some("TRAINING"));
        assert!(
            matches!(err, WaitError::TimedOut { waited, .. } if waited == Duration::from_secs(30))
        );
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_that_does_not_answer_is_cut_at_the_deadline() {
        let polls = AtomicU32::new(0);
        let start = Instant::now();
        let err = wait_until(Duration::from_secs(90), &CancellationToken::new(), || {
            let first = polls.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if !first {
                    // The endpoint hangs from the second poll on.
                    std::future::pending::<()>().await;
                }
                Ok(observation(Phase::Pending, "TRAINING"))
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.last_status(), Some("TRAINING"));
        assert!(
            matches!(err, WaitError::TimedOut { waited, .. } if waited == Duration::from_secs(90))
        );
        assert_eq!(start.elapsed(), Duration::from_secs(90));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_returns_the_state_known_so_far() {
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            stopper.cancel();
        });
        let polls = AtomicU32::new(0);
        let start = Instant::now();
        let err = wait_until(
            Duration::from_secs(3600),
            &cancel,
            resource(Duration::from_secs(3600), Phase::Done, &polls),
        )
        .await
        .unwrap_err();
        assert!(matches!(&err, WaitError::Cancelled { last: Some(o) } if o.value == 7));
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }
}
