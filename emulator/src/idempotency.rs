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

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
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

/// One remembered call; also the form a cache entry takes in the state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry<R> {
    operation: String,
    token: String,
    fingerprint: Value,
    reply: R,
    recorded: Timestamp,
}

/// Remembered answers of successful calls, by operation and token.
///
/// Operations are keyed by name rather than by [`Operation`] so that a cache read back from
/// a state file needs no way to turn names into operations.
#[derive(Debug, Clone)]
pub struct IdempotencyCache<R> {
    entries: HashMap<Key, Entry<R>>,
    /// Every entry's key by the time it was recorded, oldest first, so that expiring tokens
    /// visits only those that expire instead of every remembered one.
    by_age: BTreeSet<(Timestamp, Key)>,
}

/// Operation name and token.
type Key = (String, String);

impl<R> Default for IdempotencyCache<R> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            by_age: BTreeSet::new(),
        }
    }
}

fn key(operation: Operation, token: &str) -> Key {
    (operation.name().to_owned(), token.to_owned())
}

impl<R> IdempotencyCache<R> {
    /// Forgets every token recorded at or before `oldest_active`.
    fn expire(&mut self, oldest_active: Timestamp) {
        while let Some(first) = self.by_age.first() {
            if first.0 > oldest_active {
                break;
            }
            let Some((recorded, key)) = self.by_age.pop_first() else {
                break;
            };
            // A key recorded again later has a younger entry, which stays.
            if self
                .entries
                .get(&key)
                .is_some_and(|entry| entry.recorded == recorded)
            {
                self.entries.remove(&key);
            }
        }
    }

    /// Adds `entry`, replacing any entry under the same key.
    fn insert(&mut self, entry: Entry<R>) {
        let key = (entry.operation.clone(), entry.token.clone());
        self.by_age.insert((entry.recorded, key.clone()));
        if let Some(replaced) = self.entries.insert(key, entry) {
            let key = (replaced.operation, replaced.token);
            self.by_age.remove(&(replaced.recorded, key));
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
        // Dropping every expired entry here keeps the cache bounded by 8 hours of traffic. The
        // entries are also kept in the order they were recorded, so this visits only the
        // expired ones: scanning all of them made every call cost time in proportion to the
        // tokens of the last 8 hours.
        self.expire(now - TOKEN_LIFETIME);
        match self.entries.get(&key(operation, token)) {
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
        let (operation, token) = key(operation, token);
        self.insert(Entry {
            operation,
            token,
            fingerprint,
            reply,
            recorded: now,
        });
    }
}

/// Written as a list of entries (oldest first, so the state file is stable), since JSON
/// object keys cannot be pairs.
impl<R: Serialize> Serialize for IdempotencyCache<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<&Entry<R>> = self.entries.values().collect();
        entries.sort_by(|a, b| {
            (a.recorded, &a.operation, &a.token).cmp(&(b.recorded, &b.operation, &b.token))
        });
        serializer.collect_seq(entries)
    }
}

impl<'de, R: Deserialize<'de>> Deserialize<'de> for IdempotencyCache<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<Entry<R>>::deserialize(deserializer)?;
        let mut cache = Self::default();
        for entry in entries {
            cache.insert(entry);
        }
        Ok(cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use serde_json::json;

    /// The input of the call the tests remember: CreateProject of p1.
    fn p1() -> Value {
        json!({"ProjectName": "p1"})
    }

    /// Remembers `reply` as the answer to CreateProject [`p1`] with token `t1`, made now.
    fn record<R: Clone>(cache: &mut IdempotencyCache<R>, clock: &ManualClock, reply: R) {
        cache.record(Operation::CreateProject, "t1", p1(), reply, clock.now());
    }

    /// A cache that has remembered [`record`]'s call with `reply`, and the clock it runs on.
    fn recorded<R: Clone>(reply: R) -> (ManualClock, IdempotencyCache<R>) {
        let clock = ManualClock::default();
        let mut cache = IdempotencyCache::default();
        record(&mut cache, &clock, reply);
        (clock, cache)
    }

    #[test]
    fn same_token_same_input_replays_until_the_token_expires() {
        let clock = ManualClock::default();
        let mut cache = IdempotencyCache::default();
        let input = p1();
        assert_eq!(
            cache.lookup(Operation::CreateProject, "t1", &input, clock.now()),
            Lookup::Fresh
        );
        record(&mut cache, &clock, "first answer");

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
        let (clock, mut cache) = recorded(());
        let other = json!({"ProjectName": "p2"});
        assert_eq!(
            cache.lookup(Operation::CreateProject, "t1", &other, clock.now()),
            Lookup::Mismatch
        );
    }

    #[test]
    fn the_cache_round_trips_through_json_and_still_replays() {
        let (clock, cache) = recorded("answer".to_owned());
        let input = p1();
        let json = serde_json::to_value(&cache).unwrap();
        assert_eq!(json[0]["operation"], "CreateProject");
        let mut restored: IdempotencyCache<String> = serde_json::from_value(json).unwrap();
        assert_eq!(
            restored.lookup(Operation::CreateProject, "t1", &input, clock.now()),
            Lookup::Replay("answer".to_owned())
        );
        assert_eq!(
            restored.lookup(Operation::CreateProject, "t2", &input, clock.now()),
            Lookup::Fresh
        );
    }

    #[test]
    fn tokens_are_scoped_to_their_operation() {
        let (clock, mut cache) = recorded(());
        assert_eq!(
            cache.lookup(Operation::DeleteProject, "t1", &p1(), clock.now()),
            Lookup::Fresh
        );
    }

    #[test]
    fn tokens_expire_one_by_one_in_the_order_they_were_recorded() {
        let clock = ManualClock::default();
        let mut cache = IdempotencyCache::default();
        let hour = Duration::from_secs(60 * 60);
        let start = clock.now();
        for (token, reply) in [("t1", 1), ("t2", 2)] {
            cache.record(Operation::CreateProject, token, p1(), reply, clock.now());
            clock.advance(hour);
        }
        let lookup = |cache: &mut IdempotencyCache<i32>, token, at| {
            cache.lookup(Operation::CreateProject, token, &p1(), at)
        };
        let t1_expires = start + TOKEN_LIFETIME;
        assert_eq!(lookup(&mut cache, "t1", t1_expires), Lookup::Fresh);
        assert_eq!(lookup(&mut cache, "t2", t1_expires), Lookup::Replay(2));

        // Recorded again after it expired: only the later recording counts.
        cache.record(Operation::CreateProject, "t1", p1(), 3, t1_expires);
        assert_eq!(lookup(&mut cache, "t2", t1_expires + hour), Lookup::Fresh);
        let just_before = t1_expires + TOKEN_LIFETIME - Duration::from_millis(1);
        assert_eq!(lookup(&mut cache, "t1", just_before), Lookup::Replay(3));
        assert_eq!(
            lookup(&mut cache, "t1", t1_expires + TOKEN_LIFETIME),
            Lookup::Fresh
        );
        assert!(cache.entries.is_empty() && cache.by_age.is_empty());
    }
}
