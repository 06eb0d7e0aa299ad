//! Client-token idempotency.
//!
//! The service documents that a call repeated with the same `ClientToken` and the same
//! parameters completes only once, that a different token is a new call, that reusing a
//! token with different parameters is an error, and that a token stays active for 8 hours.
//! Tokens are remembered per operation, so the same token on CreateProject and on
//! DeleteProject are two unrelated calls.
//!
//! Only calls that succeeded are remembered: a failed call did not "complete", so retrying it
//! with the same token runs it again (inferred; AWS does not say).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::clock::Timestamp;
use super::routes::Operation;

/// How long a token stays active.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// What to do with a call that carries a client token.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<R> {
    /// The token is new (or expired): run the call and [`record`](IdempotencyCache::record) it.
    Fresh,
    /// The same call was already answered: send this answer again.
    Replay(R),
    /// The token was used with different parameters.
    Mismatch,
}

#[derive(Debug, Clone)]
struct Entry<R> {
    fingerprint: Value,
    reply: R,
    recorded: Timestamp,
}

/// Remembered answers of successful calls, by operation and token.
#[derive(Debug, Clone)]
pub struct IdempotencyCache<R> {
    entries: HashMap<(Operation, String), Entry<R>>,
}

impl<R> Default for IdempotencyCache<R> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<R: Clone> IdempotencyCache<R> {
    /// Looks `token` up for `operation`; `fingerprint` is the call's parameters in a form
    /// where equal means "the same input". Forgets tokens that have expired by `now`.
    pub fn lookup(
        &mut self,
        operation: Operation,
        token: &str,
        fingerprint: &Value,
        now: Timestamp,
    ) -> Lookup<R> {
        // Dropping every expired entry here keeps the cache bounded by 8 hours of traffic.
        self.entries
            .retain(|_, entry| entry.recorded + TOKEN_LIFETIME > now);
        match self.entries.get(&(operation, token.to_owned())) {
            None => Lookup::Fresh,
            Some(entry) if entry.fingerprint == *fingerprint => Lookup::Replay(entry.reply.clone()),
            Some(_) => Lookup::Mismatch,
        }
    }

    /// Remembers the answer to a call that ran after a [`Lookup::Fresh`].
    pub fn record(
        &mut self,
        operation: Operation,
        token: &str,
        fingerprint: Value,
        reply: R,
        now: Timestamp,
    ) {
        self.entries.insert(
            (operation, token.to_owned()),
            Entry {
                fingerprint,
                reply,
                recorded: now,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::clock::{Clock, ManualClock};
    use serde_json::json;

    #[test]
    fn same_token_same_input_replays_until_the_token_expires() {
        let clock = ManualClock::default();
        let mut cache = IdempotencyCache::default();
        let input = json!({"ProjectName": "p1"});
        assert_eq!(
            cache.lookup(Operation::CreateProject, "t1", &input, clock.now()),
            Lookup::Fresh
        );
        cache.record(
            Operation::CreateProject,
            "t1",
            input.clone(),
            "first answer",
            clock.now(),
        );

        clock.advance(TOKEN_LIFETIME - Duration::from_millis(1));
        assert_eq!(
            cache.lookup(Operation::CreateProject, "t1", &input, clock.now()),
            Lookup::Replay("first answer")
        );

        clock.advance(Duration::from_millis(1));
        assert_eq!(
            cache.lookup(Operation::CreateProject, "t1", &input, clock.now()),
            Lookup::Fresh
        );
    }

    #[test]
    fn same_token_different_input_is_a_mismatch() {
        let clock = ManualClock::default();
        let mut cache = IdempotencyCache::default();
        cache.record(
            Operation::CreateProject,
            "t1",
            json!({"ProjectName": "p1"}),
            (),
            clock.now(),
        );
        let other = json!({"ProjectName": "p2"});
        assert_eq!(
            cache.lookup(Operation::CreateProject, "t1", &other, clock.now()),
            Lookup::Mismatch
        );
    }

    #[test]
    fn tokens_are_scoped_to_their_operation() {
        let clock = ManualClock::default();
        let mut cache = IdempotencyCache::default();
        let input = json!({"ProjectName": "p1"});
        cache.record(
            Operation::CreateProject,
            "t1",
            input.clone(),
            (),
            clock.now(),
        );
        assert_eq!(
            cache.lookup(Operation::DeleteProject, "t1", &input, clock.now()),
            Lookup::Fresh
        );
    }
}
