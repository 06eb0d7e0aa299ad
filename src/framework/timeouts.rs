//! The `timeouts` block: per-operation time limits that users can raise in configuration.

use std::time::Duration;

use super::schema::{Attribute, Block, NestedBlock};
use super::validate;
use super::value::{Type, Value};

/// The operations a timeout can apply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Creating the remote object and waiting for it to be usable.
    Create,
    /// Changing it in place.
    Update,
    /// Deleting it and waiting until it is gone.
    Delete,
}

impl Operation {
    /// The attribute name inside the `timeouts` block.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The default time limit of each operation that waits; `None` means no `timeouts` entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Create timeout.
    pub create: Option<Duration>,
    /// Update timeout.
    pub update: Option<Duration>,
    /// Delete timeout.
    pub delete: Option<Duration>,
}

/// Used when an operation declares no timeout; long enough for any single API call with retries.
const FALLBACK: Duration = Duration::from_secs(20 * 60);

impl Timeouts {
    fn default_for(&self, operation: Operation) -> Option<Duration> {
        match operation {
            Operation::Create => self.create,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }

    fn declared(&self) -> impl Iterator<Item = (Operation, Duration)> + '_ {
        [Operation::Create, Operation::Update, Operation::Delete]
            .into_iter()
            .filter_map(|op| self.default_for(op).map(|d| (op, d)))
    }

    /// The `timeouts` block for a resource schema, or `None` if nothing waits.
    pub fn block(&self) -> Option<NestedBlock> {
        let mut block = Block::new("Time limits for operations that wait on the service.");
        for (operation, default) in self.declared() {
            block = block.attribute(
                Attribute::optional(operation.name(), Type::String)
                    .describe(format!(
                        "How long to wait for {} to finish, as a duration such as `30s` or `2h45m`. Default: `{}`.",
                        match operation {
                            Operation::Create => "creation",
                            Operation::Update => "an update",
                            Operation::Delete => "deletion",
                        },
                        format_duration(default)
                    ))
                    .validate(validate::duration()),
            );
        }
        (!block.attributes.is_empty())
            .then(|| NestedBlock::single("timeouts", block).provider_only())
    }

    /// The limit for `operation` given a resource value holding a `timeouts` block.
    pub fn resolve(&self, resource: &Value, operation: Operation) -> Duration {
        resource
            .get("timeouts")
            .get(operation.name())
            .as_str()
            .and_then(|s| parse_duration(s).ok())
            .or(self.default_for(operation))
            .unwrap_or(FALLBACK)
    }
}

/// The longest duration accepted: Go's `time.Duration` (int64 nanoseconds, about 292 years),
/// the most Terraform and its SDKs parse a duration to.
pub const MAX_DURATION: Duration = Duration::from_nanos(i64::MAX as u64);

/// Why a duration string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid duration {input:?}: {reason}")]
pub struct DurationError {
    input: String,
    reason: &'static str,
}

/// Parses Go's duration syntax (`300ms`, `1.5h`, `2h45m`), which Terraform users know.
/// Negative durations are rejected: a time limit cannot be negative.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let fail = |reason| DurationError {
        input: input.to_owned(),
        reason,
    };
    if input == "0" {
        return Ok(Duration::ZERO);
    }
    if input.is_empty() {
        return Err(fail("empty"));
    }
    let mut rest = input.strip_prefix('+').unwrap_or(input);
    if rest.starts_with('-') {
        return Err(fail("negative"));
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| fail("missing unit"))?;
        let (number, after) = rest.split_at(number_len);
        let amount: f64 = number.parse().map_err(|_| fail("expected a number"))?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let seconds = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(fail("missing unit")),
            _ => return Err(fail("unknown unit (use ns, us, ms, s, m or h)")),
        };
        total += amount * seconds;
        rest = after;
    }
    if total > MAX_DURATION.as_secs_f64() {
        return Err(fail(
            "out of range: at most 2562047h47m16s (about 292 years), the longest duration Terraform accepts",
        ));
    }
    Duration::try_from_secs_f64(total).map_err(|_| fail("out of range"))
}

/// Formats a duration the way Go prints it (`20m0s`), as users see defaults in docs.
pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a configuration says, parsing gives a duration Terraform could have
        /// written, or an error.
        #[test]
        fn extreme_durations_parse_within_the_limit_or_not_at_all(
            amount in prop_oneof![
                any::<u64>().prop_map(|n| n.to_string()),
                "[0-9]{1,40}(\\.[0-9]{1,20})?",
            ],
            unit in prop::sample::select(vec!["ns", "us", "ms", "s", "m", "h"]),
        ) {
            if let Ok(parsed) = parse_duration(&format!("{amount}{unit}")) {
                prop_assert!(parsed <= MAX_DURATION);
            }
        }
    }

    #[test]
    fn durations_past_go_s_limit_are_refused_with_the_limit() {
        let err = parse_duration("2562048h").unwrap_err();
        assert!(err.to_string().contains("at most 2562047h47m16s"), "{err}");
        assert!(parse_duration("2562047h").is_ok());
        assert!(parse_duration(&format!("{}h", u64::MAX)).is_err());
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2h45m"), Ok(Duration::from_secs(9900)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "10", "10 m", "-5s", "5d", "m", "1..5s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(Duration::from_secs(20 * 60)), "20m0s");
        assert_eq!(
            format_duration(Duration::from_secs(24 * 3600 + 90)),
            "24h1m30s"
        );
        assert_eq!(format_duration(Duration::from_secs(45)), "45s");
    }

    #[test]
    fn block_lists_only_declared_operations_and_resolves_overrides() {
        let timeouts = Timeouts {
            delete: Some(Duration::from_secs(600)),
            ..Timeouts::default()
        };
        let block = timeouts.block().expect("a delete timeout was declared");
        let names: Vec<&str> = block
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, ["delete"]);
        assert!(block.provider_only);
        assert!(block.block.attributes[0].description.contains("`10m0s`"));

        let configured = Value::object([("timeouts", Value::object([("delete", "90s".into())]))]);
        assert_eq!(
            timeouts.resolve(&configured, Operation::Delete),
            Duration::from_secs(90)
        );
        assert_eq!(
            timeouts.resolve(&Value::Null, Operation::Delete),
            Duration::from_secs(600)
        );
        assert_eq!(timeouts.resolve(&Value::Null, Operation::Create), FALLBACK);
        assert!(Timeouts::default().block().is_none());
    }
}
