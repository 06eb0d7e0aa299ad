//! Time as the emulator sees it.
//!
//! Every timestamp the emulator hands out, and every expiry it checks (client tokens, dataset,
//! training, hosting and deletion transitions), goes through a [`Clock`], so tests can move
//! time forward with a [`ManualClock`] instead of sleeping. [`parse_duration`] reads the
//! transition times given on the command line.

use std::fmt;
use std::ops::{Add, Sub};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: fmt::Debug + Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::new(OffsetDateTime::now_utc())
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = *now + by;
    }

    /// Sets the clock to `to`, which may lie in the past.
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Default for ManualClock {
    /// A clock stopped at 2024-01-01T00:00:00Z, a fixed point so test output is reproducible.
    fn default() -> Self {
        Self::new(Timestamp::from_unix_millis(1_704_067_200_000))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A point in time with millisecond precision.
///
/// The precision is fixed at creation so that what the emulator stores and what it puts on
/// the wire never differ. It serializes the way the API does: epoch seconds as a JSON
/// number with a fractional part (`1607277318.389`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// `at`, truncated to whole milliseconds.
    pub fn new(at: OffsetDateTime) -> Self {
        let millis = at.unix_timestamp_nanos() / 1_000_000;
        // Out of range only for dates far outside anything a clock returns.
        Self(OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap_or(at))
    }

    /// The time `millis` milliseconds after the Unix epoch.
    pub fn from_unix_millis(millis: i64) -> Self {
        Self::new(OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(millis))
    }

    /// Reads an ISO-8601 (RFC 3339) date-time such as `2024-01-01T00:00:00.389Z`, the form
    /// AWS SDKs use for timestamps in query strings.
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(Self::new)
    }

    /// Seconds since the Unix epoch, as the API's JSON timestamps carry them.
    pub fn epoch_seconds(self) -> f64 {
        // Whole milliseconds up to year 275,000 fit an f64 exactly.
        (self.0.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0
    }

    /// The same instant as a `time` date-time, in UTC.
    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    /// The HTTP `Date` header form (IMF-fixdate): `Mon, 01 Jan 2024 00:00:00 GMT`.
    pub fn http_date(self) -> String {
        let format = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        // Formatting a UTC date-time with a fixed description only fails for years beyond
        // 9999, which no clock returns.
        self.0.format(format).unwrap_or_default()
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, rhs: Duration) -> Timestamp {
        Timestamp::new(self.0 + rhs)
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;

    fn sub(self, rhs: Duration) -> Timestamp {
        Timestamp::new(self.0 - rhs)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.epoch_seconds())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Reads epoch seconds (the form [`Serialize`] writes), rounded to whole milliseconds, so
    /// a timestamp survives a round trip through the state file unchanged.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        if !seconds.is_finite() {
            return Err(serde::de::Error::custom(
                "a timestamp must be a finite number",
            ));
        }
        Ok(Self::from_unix_millis((seconds * 1000.0).round() as i64))
    }
}

/// Parses a duration such as `1s`, `500ms`, `2m` or `1m30s`: one or more whole numbers, each
/// followed by a unit (`ms`, `s`, `m` or `h`). `0s` is allowed.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?}: expected e.g. 500ms, 1s, 2m, 1h or 1m30s");
    let mut rest = text;
    let mut total = Duration::ZERO;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit_millis: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        let millis = number.checked_mul(unit_millis).ok_or_else(invalid)?;
        total = total
            .checked_add(Duration::from_millis(millis))
            .ok_or_else(invalid)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_milliseconds_and_serialize_as_epoch_seconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_607_277_318_389_999_999).unwrap();
        let ts = Timestamp::new(at);
        assert_eq!(ts.epoch_seconds(), 1_607_277_318.389);
        assert_eq!(serde_json::to_string(&ts).unwrap(), "1607277318.389");
    }

    #[test]
    fn timestamps_round_trip_through_json_and_format_as_http_dates() {
        let ts = Timestamp::from_unix_millis(1_704_067_200_389);
        let json = serde_json::to_string(&ts).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), ts);
        assert_eq!(
            serde_json::from_str::<Timestamp>("1704067200").unwrap(),
            ManualClock::default().now()
        );
        assert_eq!(
            ManualClock::default().now().http_date(),
            "Mon, 01 Jan 2024 00:00:00 GMT"
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::default();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start + Duration::from_secs(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn iso8601_timestamps_parse_with_and_without_fractions() {
        let ts = Timestamp::parse_iso8601("2024-01-01T00:00:00.389Z").unwrap();
        assert_eq!(ts.epoch_seconds(), 1_704_067_200.389);
        assert_eq!(
            Timestamp::parse_iso8601("2024-01-01T01:00:00+01:00"),
            Some(ManualClock::default().now())
        );
        assert_eq!(Timestamp::parse_iso8601("1704067200"), None);
    }

    #[test]
    fn durations_parse_units_and_sums() {
        let cases = [
            ("0s", 0),
            ("500ms", 500),
            ("1s", 1_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("1m30s", 90_000),
        ];
        for (text, millis) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(millis)),
                "{text}"
            );
        }
        for bad in [
            "",
            "1",
            "s",
            "1.5s",
            "-1s",
            "1d",
            "1s ",
            " 1s",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
