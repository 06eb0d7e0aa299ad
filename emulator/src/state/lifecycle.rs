//! The one mechanism behind every asynchronous status change of datasets, models and
//! model packaging jobs.
//!
//! A resource's [`Phase`] holds its current status and, while it is changing, the
//! [`Outcome`] it is heading for and when it gets there; an outcome may itself be a
//! [`Outcome::Step`] through an intermediate status (a packaging job passes through
//! `RUNNING`). Nothing runs in the background:
//! [`Phase::advance`] completes a change once the clock has passed its time, and the
//! emulator calls it for every resource before each request, so a test that moves a
//! manual clock sees the change on its next call.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::clock::Timestamp;

/// A status enum of the API (`DatasetStatus`, `ModelStatus`, `ModelPackagingJobStatus`).
pub trait Status: Copy + PartialEq + fmt::Debug + Serialize {
    /// The `StatusMessage` shown with this status unless a change gives a specific one.
    fn message(self) -> &'static str;

    /// The wire value (`TRAINING`), for messages and logs.
    fn wire_name(self) -> String {
        // Status enums serialize as plain strings, so this never falls back.
        serde_json::to_value(self)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Where a resource is in its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Phase<S> {
    /// `Status`.
    pub status: S,
    /// `StatusMessage`.
    pub status_message: String,
    /// When `status` was entered (a dataset's `LastUpdatedTimestamp`).
    pub since: Timestamp,
    /// The change under way, if any.
    pub pending: Option<Pending<S>>,
}

/// A change under way.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Pending<S> {
    /// When it completes.
    pub at: Timestamp,
    /// What it ends in.
    pub then: Outcome<S>,
}

/// How a change ends.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome<S> {
    /// The resource settles in `status`, showing `message`.
    Settle {
        /// The final status.
        status: S,
        /// Its `StatusMessage`.
        message: String,
    },
    /// The resource passes through `status` (with `message`, or its usual message) and keeps
    /// changing: `next` is the rest of the change.
    Step {
        /// The intermediate status.
        status: S,
        /// Its `StatusMessage`, when not the usual one (a failure being rolled back).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// What follows, and when.
        next: Box<Pending<S>>,
    },
    /// The resource disappears (a deletion).
    Gone,
}

impl<S: Status> Outcome<S> {
    /// Settling in `status` with its usual message.
    pub fn settle(status: S) -> Self {
        Self::Settle {
            status,
            message: status.message().to_owned(),
        }
    }

    /// Settling in `status` (a failure) with `message`.
    pub fn fail(status: S, message: String) -> Self {
        Self::Settle { status, message }
    }

    /// Passing through `status`, then ending in `then` at `at`.
    pub fn step(status: S, at: Timestamp, then: Outcome<S>) -> Self {
        Self::Step {
            status,
            message: None,
            next: Box::new(Pending { at, then }),
        }
    }

    /// Failing: passing through `status` with `message`, then settling in `last` with the
    /// same message at `at` (an update rolled back).
    pub fn fail_through(status: S, message: String, at: Timestamp, last: S) -> Self {
        Self::Step {
            status,
            message: Some(message.clone()),
            next: Box::new(Pending {
                at,
                then: Self::fail(last, message),
            }),
        }
    }
}

/// What [`Phase::advance`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance<S> {
    /// Nothing was due.
    Unchanged,
    /// A change completed in this status.
    Settled(S),
    /// A deletion completed: the owner must drop the resource.
    Gone,
}

impl<S: Status> Phase<S> {
    /// A resource resting in `status` since `now`.
    pub fn new(status: S, now: Timestamp) -> Self {
        Self {
            status,
            status_message: status.message().to_owned(),
            since: now,
            pending: None,
        }
    }

    /// A resource that starts out in `status` and ends in `then` after `takes`.
    pub fn changing(status: S, now: Timestamp, takes: Duration, then: Outcome<S>) -> Self {
        let mut phase = Self::new(status, now);
        phase.change(status, now, takes, then);
        phase
    }

    /// Moves to `status` now and on to `then` after `takes`.
    pub fn change(&mut self, status: S, now: Timestamp, takes: Duration, then: Outcome<S>) {
        *self = Self {
            pending: Some(Pending {
                at: now + takes,
                then,
            }),
            ..Self::new(status, now)
        };
    }

    /// Whether a change is under way.
    pub fn is_changing(&self) -> bool {
        self.pending.is_some()
    }

    /// When the change under way (or its next step) completes, if one is under way.
    pub fn due(&self) -> Option<Timestamp> {
        self.pending.as_ref().map(|pending| pending.at)
    }

    /// Completes the change under way if it is due by `now`, stepping through as many
    /// intermediate statuses as are due. Each new status counts from its own scheduled time,
    /// not from `now`, so the result does not depend on when the resource is next looked at.
    pub fn advance(&mut self, now: Timestamp) -> Advance<S> {
        let mut advanced = Advance::Unchanged;
        while let Some(Pending { at, then }) = self.pending.take_if(|pending| pending.at <= now) {
            let status = match then {
                Outcome::Settle { status, message } => {
                    self.status_message = message;
                    status
                }
                Outcome::Step {
                    status,
                    message,
                    next,
                } => {
                    self.status_message = message.unwrap_or_else(|| status.message().to_owned());
                    self.pending = Some(*next);
                    status
                }
                Outcome::Gone => return Advance::Gone,
            };
            self.status = status;
            self.since = at;
            advanced = Advance::Settled(status);
        }
        advanced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[derive(Debug, Clone, Copy, PartialEq, Serialize)]
    enum Light {
        Off,
        Warming,
        On,
    }

    impl Status for Light {
        fn message(self) -> &'static str {
            match self {
                Self::Off => "off",
                Self::Warming => "warming up",
                Self::On => "on",
            }
        }
    }

    const TAKES: Duration = Duration::from_secs(2);

    #[test]
    fn a_change_completes_exactly_at_its_time_and_counts_from_then() {
        let clock = ManualClock::default();
        let start = clock.now();
        let mut phase = Phase::changing(Light::Warming, start, TAKES, Outcome::settle(Light::On));
        assert!(phase.is_changing());
        assert_eq!(phase.status_message, "warming up");

        clock.advance(TAKES - Duration::from_millis(1));
        assert_eq!(phase.advance(clock.now()), Advance::Unchanged);
        assert_eq!(phase.status, Light::Warming);

        // Looked at long after it was due: it still completed at its own time.
        clock.advance(Duration::from_secs(60));
        assert_eq!(phase.advance(clock.now()), Advance::Settled(Light::On));
        assert_eq!(
            (phase.status, phase.status_message.as_str(), phase.since),
            (Light::On, "on", start + TAKES)
        );
        assert!(!phase.is_changing());
        assert_eq!(phase.advance(clock.now()), Advance::Unchanged);
    }

    #[test]
    fn zero_durations_complete_on_the_next_look_and_failures_keep_their_message() {
        let now = ManualClock::default().now();
        let mut phase = Phase::new(Light::Off, now);
        assert_eq!(phase.advance(now), Advance::Unchanged);
        phase.change(
            Light::Warming,
            now,
            Duration::ZERO,
            Outcome::fail(Light::Off, "bulb broke".into()),
        );
        assert_eq!(phase.status, Light::Warming);
        assert_eq!(phase.advance(now), Advance::Settled(Light::Off));
        assert_eq!(phase.status_message, "bulb broke");

        phase.change(Light::Off, now, TAKES, Outcome::Gone);
        assert_eq!(phase.advance(now + TAKES), Advance::Gone);
    }

    #[test]
    fn a_stepped_change_passes_through_each_status_at_its_own_time() {
        let clock = ManualClock::default();
        let start = clock.now();
        let then = Outcome::step(
            Light::Warming,
            start + TAKES * 2,
            Outcome::settle(Light::On),
        );
        let mut phase = Phase::changing(Light::Off, start, TAKES, then.clone());
        assert_eq!(
            phase.advance(start + TAKES),
            Advance::Settled(Light::Warming)
        );
        assert_eq!(
            (phase.status_message.as_str(), phase.since),
            ("warming up", start + TAKES)
        );
        assert!(phase.is_changing());
        assert_eq!(phase.advance(start + TAKES), Advance::Unchanged);
        assert_eq!(
            phase.advance(start + TAKES * 2),
            Advance::Settled(Light::On)
        );
        assert!(!phase.is_changing());

        // Looked at after both were due: both complete, the last one counts.
        let mut phase = Phase::changing(Light::Off, start, TAKES, then);
        assert_eq!(
            phase.advance(start + TAKES * 5),
            Advance::Settled(Light::On)
        );
        assert_eq!((phase.status, phase.since), (Light::On, start + TAKES * 2));
    }

    #[test]
    fn a_failure_passed_through_shows_its_message_at_each_step() {
        let start = ManualClock::default().now();
        let then = Outcome::fail_through(
            Light::Warming,
            "bulb broke".into(),
            start + TAKES * 2,
            Light::Off,
        );
        let mut phase = Phase::changing(Light::On, start, TAKES, then);
        assert_eq!(phase.status_message, "on");
        phase.advance(start + TAKES);
        assert_eq!(
            (phase.status, phase.status_message.as_str()),
            (Light::Warming, "bulb broke")
        );
        phase.advance(start + TAKES * 2);
        assert_eq!(
            (phase.status, phase.status_message.as_str()),
            (Light::Off, "bulb broke")
        );
        assert!(!phase.is_changing());
    }
}
