//! Validators: checks on known configuration values that report the attribute and the rule.

use std::sync::OnceLock;

use regex::Regex;

use super::diag::{AttributePath, Diagnostic, Diagnostics};
use super::timeouts::parse_duration;
use super::value::Value;

/// A check on one known, non-null configuration value.
pub trait Validator: Send + Sync {
    /// The rule in words, for docs and messages ("between 1 and 255 characters").
    fn description(&self) -> String;

    /// Adds an error to `diags` when `value` breaks the rule.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

fn invalid(path: &AttributePath, rule: &str, got: &Value) -> Diagnostic {
    // Collections are described by size: quoting a map of 201 tags would bury the rule.
    let got = match got {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => format!("a list of {} elements", items.len()),
        Value::Set(items) => format!("a set of {} elements", items.len()),
        Value::Map(entries) | Value::Object(entries) => {
            format!("a map of {} entries", entries.len())
        }
        Value::Null => "null".to_owned(),
        Value::Unknown => "a value not known until apply".to_owned(),
    };
    Diagnostic::error(
        format!("Invalid value for {path}"),
        format!("{path} must be {rule}; got {got}."),
    )
    .at(path.clone())
}

/// A validator from a description and a predicate on the value.
struct Rule<F> {
    description: String,
    holds: F,
}

impl<F: Fn(&Value) -> bool + Send + Sync> Validator for Rule<F> {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if !(self.holds)(value) {
            diags.push(invalid(path, &self.description, value));
        }
    }
}

fn rule(
    description: String,
    holds: impl Fn(&Value) -> bool + Send + Sync + 'static,
) -> impl Validator {
    Rule { description, holds }
}

/// Strings of `min..=max` characters.
pub fn string_length(min: usize, max: usize) -> impl Validator {
    rule(
        format!("between {min} and {max} characters long"),
        move |v| {
            v.as_str()
                .is_some_and(|s| (min..=max).contains(&s.chars().count()))
        },
    )
}

/// Strings matching `pattern` entirely; `explained` says in words what that allows.
///
/// The expression is compiled when it first checks a value: Terraform starts the provider
/// afresh for every command, and most starts never validate most attributes.
///
/// # Panics
/// When `pattern` is not a valid regular expression (a programming error: debug builds, and
/// so every test that builds a schema, check it at once).
pub fn string_matches(pattern: &str, explained: &str) -> impl Validator {
    let anchored = format!("^(?:{pattern})$");
    debug_assert!(Regex::new(&anchored).is_ok(), "invalid pattern {pattern:?}");
    let regex = OnceLock::new();
    rule(format!("{explained} (pattern `{pattern}`)"), move |v| {
        let regex =
            regex.get_or_init(|| Regex::new(&anchored).expect("validator pattern compiles"));
        v.as_str().is_some_and(|s| regex.is_match(s))
    })
}

/// Strings equal to one of `allowed` (case-sensitive).
pub fn one_of(allowed: &'static [&'static str]) -> impl Validator {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
    rule(format!("one of {}", quoted.join(", ")), move |v| {
        v.as_str().is_some_and(|s| allowed.contains(&s))
    })
}

/// Whole numbers of at least `min`.
pub fn int_at_least(min: i64) -> impl Validator {
    rule(format!("a whole number of at least {min}"), move |v| {
        v.as_i64().is_some_and(|i| i >= min)
    })
}

/// Whole numbers in `min..=max`.
pub fn int_between(min: i64, max: i64) -> impl Validator {
    rule(format!("a whole number from {min} to {max}"), move |v| {
        v.as_i64().is_some_and(|i| (min..=max).contains(&i))
    })
}

/// Durations such as `30s`, `10m` or `2h45m`.
pub fn duration() -> impl Validator {
    rule(
        "a duration such as `30s`, `10m` or `2h45m` (units ns, us, ms, s, m, h) of at most \
         2562047h47m16s"
            .to_owned(),
        |v| v.as_str().is_some_and(|s| parse_duration(s).is_ok()),
    )
}

/// Absolute `http://` or `https://` URLs with a host.
pub fn http_url() -> impl Validator {
    rule(
        "an absolute http:// or https:// URL such as `http://127.0.0.1:4566`".to_owned(),
        |v| {
            v.as_str().is_some_and(|s| {
                let rest = s
                    .strip_prefix("http://")
                    .or_else(|| s.strip_prefix("https://"));
                rest.is_some_and(|r| {
                    let host = r.split(['/', '?', '#']).next().unwrap_or("");
                    !host.is_empty() && !r.contains(char::is_whitespace)
                })
            })
        },
    )
}

/// Maps of at most `max` entries.
pub fn map_at_most(max: usize) -> impl Validator {
    rule(format!("a map of at most {max} entries"), move |v| {
        v.entries().is_some_and(|e| e.len() <= max)
    })
}

/// Lists or sets of `min..=max` elements.
pub fn count_between(min: usize, max: usize) -> impl Validator {
    rule(format!("a list of {min} to {max} elements"), move |v| {
        (min..=max).contains(&v.elements().len())
    })
}

/// Applies `inner` to every known key of a map, reporting the key's path.
pub fn map_keys(inner: impl Validator + 'static) -> impl Validator {
    Each {
        inner,
        keys: true,
        what: "every key",
    }
}

/// Applies `inner` to every known element of a list, set or map.
pub fn each(inner: impl Validator + 'static) -> impl Validator {
    Each {
        inner,
        keys: false,
        what: "every element",
    }
}

struct Each<V> {
    inner: V,
    keys: bool,
    what: &'static str,
}

impl<V: Validator> Validator for Each<V> {
    fn description(&self) -> String {
        format!("{} {}", self.what, self.inner.description())
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let known = |v: &Value| !v.is_null() && !v.is_unknown();
        match value {
            Value::Map(entries) => {
                for (key, element) in entries {
                    if self.keys {
                        self.inner
                            .validate(&Value::string(key.clone()), &path.key(key), diags);
                    } else if known(element) {
                        self.inner.validate(element, &path.key(key), diags);
                    }
                }
            }
            Value::List(items) | Value::Set(items) => {
                for (i, element) in items.iter().enumerate().filter(|(_, e)| known(e)) {
                    self.inner.validate(element, &path.index(i), diags);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(validator: &dyn Validator, value: Value) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validator.validate(&value, &AttributePath::root("attr"), &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "invalid pattern")]
    fn invalid_patterns_fail_when_the_schema_is_built() {
        let _ = string_matches("(unclosed", "anything");
    }

    #[test]
    fn length_counts_characters_and_names_the_attribute() {
        let v = string_length(1, 3);
        assert!(errors(&v, "äöü".into()).is_empty());
        assert_eq!(
            errors(&v, "abcd".into()),
            [r#"attr must be between 1 and 3 characters long; got "abcd"."#]
        );
    }

    #[test]
    fn patterns_match_whole_strings() {
        let v = string_matches("[a-z]+", "lower-case letters");
        assert!(errors(&v, "abc".into()).is_empty());
        assert_eq!(errors(&v, "abc1".into()).len(), 1);
        assert!(errors(&v, "abc1".into())[0].contains("lower-case letters (pattern `[a-z]+`)"));
    }

    #[test]
    fn enums_are_case_sensitive() {
        let v = one_of(&["train", "test"]);
        assert!(errors(&v, "test".into()).is_empty());
        assert!(errors(&v, "TRAIN".into())[0].contains("one of `train`, `test`"));
    }

    #[test]
    fn numbers_and_durations() {
        assert!(errors(&int_at_least(1), 1i64.into()).is_empty());
        assert_eq!(errors(&int_at_least(1), 0i64.into()).len(), 1);
        assert_eq!(errors(&int_at_least(1), 1.5f64.into()).len(), 1);
        assert_eq!(errors(&int_between(0, 10), 11i64.into()).len(), 1);
        assert!(errors(&duration(), "2h45m".into()).is_empty());
        assert_eq!(errors(&duration(), "10 minutes".into()).len(), 1);
    }

    #[test]
    fn urls_need_a_scheme_and_host() {
        assert!(errors(&http_url(), "http://127.0.0.1:1234".into()).is_empty());
        assert!(errors(
            &http_url(),
            "https://lookoutvision.us-east-1.amazonaws.com/".into()
        )
        .is_empty());
        assert_eq!(errors(&http_url(), "127.0.0.1:1234".into()).len(), 1);
        assert_eq!(errors(&http_url(), "http://".into()).len(), 1);
    }

    #[test]
    fn map_validators_point_at_the_key() {
        let tags = Value::Map(
            [
                ("ok".to_owned(), "v".into()),
                ("b@d!".to_owned(), "v".into()),
            ]
            .into(),
        );
        let mut diags = Diagnostics::default();
        map_keys(string_matches("[a-z@]+", "letters")).validate(
            &tags,
            &AttributePath::root("tags"),
            &mut diags,
        );
        assert_eq!(diags.0.len(), 1);
        assert_eq!(
            diags.0[0].path.as_ref().unwrap().to_string(),
            r#"tags["b@d!"]"#
        );
        assert_eq!(
            errors(&map_at_most(1), tags),
            ["attr must be a map of at most 1 entries; got a map of 2 entries."]
        );
    }
}
