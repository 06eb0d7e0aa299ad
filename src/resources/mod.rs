//! The Lookout for Vision resources, one module each, and what they share: user-facing error
//! messages, timestamp and name conventions, and typed values ([`typed`]).

use std::time::Duration;

use aws_sdk_lookoutvision::primitives::{DateTime, DateTimeFormat};

use crate::aws::budget::UNANSWERED_BUDGET;
use crate::aws::retry::{RetryError, IN_FLIGHT_GRACE};
use crate::aws::waiter::WaitError;
use crate::aws::{ApiError, ErrorKind};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::framework::resource::{invalid_import_id, Context, Failure};
use crate::framework::schema::Attribute;
use crate::framework::timeouts::{format_duration, Operation};
use crate::framework::validate;
use crate::framework::value::{Type, Value};

pub mod dataset;
pub mod identity;
pub mod model;
pub mod project;
pub mod typed;
pub(crate) mod unfinished;

pub use dataset::{Dataset, DatasetList};
pub use model::{Model, ModelList};
pub use project::{Project, ProjectList};

/// A resource instance as messages name it.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    /// An object with an ID, by type and ID: `lookoutvision_model "boards:1"`.
    Existing {
        /// The resource type.
        type_name: &'static str,
        /// The resource's ID.
        id: &'a str,
    },
    /// An object whose ID the service has not assigned yet (a model version being created), by
    /// the project it is created in: `a new lookoutvision_model in project "boards"`.
    New {
        /// The resource type.
        type_name: &'static str,
        /// The project the object is created in.
        project: &'a str,
    },
    /// The objects a list or a data source reads, in a project or everywhere:
    /// `lookoutvision_model in project "boards"`.
    Listing {
        /// The resource type or data source.
        type_name: &'static str,
        /// The project listed, if the listing is of one project's objects.
        project: Option<&'a str>,
    },
}

impl std::fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Existing { type_name, id } => write!(f, "{type_name} {id:?}"),
            Subject::New { type_name, project } => {
                write!(f, "a new {type_name} in project {project:?}")
            }
            Subject::Listing {
                type_name,
                project: None,
            } => f.write_str(type_name),
            Subject::Listing {
                type_name,
                project: Some(project),
            } => write!(f, "{type_name} in project {project:?}"),
        }
    }
}

/// What the provider was doing when something went wrong, as messages say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Creating the object and waiting until it is usable.
    Create,
    /// Refreshing the object.
    Read,
    /// Listing objects.
    List,
    /// Changing the object in place.
    Update,
    /// Deleting the object and waiting until it is gone.
    Delete,
    /// Starting to host a model.
    Start,
    /// Stopping a hosted model.
    Stop,
}

impl Action {
    /// As in "Failed to create ...".
    fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::List => "list",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Start => "start",
            Action::Stop => "stop",
        }
    }

    /// As in "Timed out creating ...".
    fn gerund(self) -> &'static str {
        match self {
            Action::Create => "creating",
            Action::Read => "reading",
            Action::List => "listing",
            Action::Update => "updating",
            Action::Delete => "deleting",
            Action::Start => "starting",
            Action::Stop => "stopping",
        }
    }
}

/// The `timeouts` entry that bounds a wait or retry, and its value. It is passed separately from
/// the [`Action`] because a step does not determine it: a model starts hosting during a create
/// or an update, and stops during an update or a delete.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// The Terraform operation, which names the `timeouts` entry.
    pub operation: Operation,
    /// The limit in force.
    pub duration: Duration,
}

impl Limit {
    /// The limit of `ctx`, which runs `operation`.
    pub fn of<C>(operation: Operation, ctx: &Context<'_, C>) -> Self {
        Limit {
            operation,
            duration: ctx.timeout,
        }
    }
}

/// A failure during a create, once the object exists, leaves it in the state as tainted: the
/// user must know that the next apply replaces it.
const TAINTED: &str =
    "Terraform keeps it in the state marked as tainted, so the next apply replaces it.";

/// What a failure (other than a timeout or an interruption) after the object exists means for it.
fn consequence(limit: Limit) -> String {
    match limit.operation {
        Operation::Create => format!("{TAINTED}\n\n"),
        Operation::Update | Operation::Delete => String::new(),
    }
}

/// What to do after a wait or a retry ran out of time: name the exact `timeouts` entry to raise.
fn timed_out_advice(limit: Limit) -> String {
    let raise = format!(
        "set `timeouts {{ {} = \"...\" }}` in its resource block to more than {}",
        limit.operation.name(),
        format_duration(limit.duration)
    );
    match limit.operation {
        Operation::Create => format!(
            "{TAINTED} To wait longer, {raise} before applying again; or, to keep this one as it \
             is, run `terraform untaint` with its address (shown above)."
        ),
        Operation::Update | Operation::Delete => {
            format!("To wait longer, {raise}, then run the command again.")
        }
    }
}

/// How a message about an interruption opens.
const INTERRUPTED: &str = "Terraform was interrupted (for example with Ctrl-C)";
/// How it ends: every operation returns the state known so far, so nothing is lost or orphaned.
const KEPT: &str = "It is kept in the state; run the command again to finish.";
/// How it ends for an object the service had not numbered yet: there is nothing to keep.
const NOT_KEPT: &str = "The provider never learnt which object it is, so none is in the state.";

/// `text` ending with a full stop, unless it already ends a sentence.
fn sentence(text: String) -> String {
    if text.ends_with(['.', '!', '?']) {
        text
    } else {
        text + "."
    }
}

/// What to do about an error of this kind, when nothing more specific applies.
fn generic_advice(err: &ApiError) -> String {
    match err.kind {
        ErrorKind::AccessDenied => format!(
            "Check that the provider's credentials are allowed the IAM action \
             `lookoutvision:{}` in this region.",
            err.operation
        ),
        ErrorKind::Throttling => "The service limited the request rate, and the provider's \
             retries ran out. Run the command again later, or raise `max_retries` or set \
             `retry_mode = \"adaptive\"` in the provider block."
            .to_owned(),
        ErrorKind::Internal => "The service failed on its side, and the provider's retries ran \
             out. Run the command again later, or raise `max_retries` in the provider block."
            .to_owned(),
        ErrorKind::Unreachable => format!(
            "The provider tried to connect for {} (long enough for an endpoint to restart). \
             Check that the endpoint is right and running: the provider's \
             `endpoints {{ lookoutvision = \"...\" }}`, or the AWS_ENDPOINT_URL_LOOKOUTVISION \
             environment variable. AWS closed Amazon Lookout for Vision on 2025-10-31, so the \
             endpoint must be an emulator such as `lookoutvision-emulator`, and it must be \
             running.",
            format_duration(UNANSWERED_BUDGET)
        ),
        ErrorKind::NoAnswer => "The endpoint took the request but its answer never came (the \
             connection dropped, or no answer came in time). Run the command again; if it keeps \
             happening, check the endpoint and any proxy between it and the provider."
            .to_owned(),
        ErrorKind::QuotaExceeded => "Delete Lookout for Vision resources that are no longer \
             needed, or ask for a higher service quota, then apply again."
            .to_owned(),
        ErrorKind::Validation => {
            "Correct the value the service's message points to, then apply again.".to_owned()
        }
        ErrorKind::NotFound => "Check that the project named in the configuration exists and \
             was not deleted outside Terraform, then run the command again."
            .to_owned(),
        ErrorKind::Conflict => "The service refuses this while the object, or another in its \
             project, is still changing. Run the command again once that change has finished."
            .to_owned(),
        ErrorKind::Other => "Run the command again. If it keeps failing, check the provider's \
             endpoint, region and credentials against the message above."
            .to_owned(),
    }
}

/// "Failed to create lookoutvision_project "demo"".
fn failed(action: Action, subject: Subject<'_>) -> String {
    format!("Failed to {} {subject}", action.verb())
}

/// The service's answer, what it means for the object, then what to do.
fn api_detail(err: &ApiError, consequence: &str, advice: Option<&str>) -> String {
    let advice = advice.map_or_else(|| generic_advice(err), str::to_owned);
    format!("{}\n\n{consequence}{advice}", sentence(err.to_string()))
}

/// The diagnostic for a failed API call while doing `action` on `subject`. `advice` replaces
/// the advice for the kind of error when the caller knows better.
pub fn api_failure(
    action: Action,
    subject: Subject<'_>,
    err: &ApiError,
    advice: Option<&str>,
) -> Diagnostic {
    Diagnostic::error(failed(action, subject), api_detail(err, "", advice))
}

/// The diagnostic for a call retried on conflicts that still failed. `until` completes "the
/// service refuses to delete it until ..." with what the object waits for; `advice`, if any,
/// says what the user can do about that.
pub fn retry_failure(
    action: Action,
    subject: Subject<'_>,
    limit: Limit,
    err: &RetryError,
    until: &str,
    advice: Option<&str>,
) -> Diagnostic {
    let verb = action.verb();
    let kept = match subject {
        Subject::New { .. } => NOT_KEPT,
        _ => KEPT,
    };
    match err {
        RetryError::Failed(api) => Diagnostic::error(
            failed(action, subject),
            api_detail(api, &consequence(limit), None),
        ),
        RetryError::TimedOut {
            last,
            attempts,
            waited,
        } if last.is_unanswered() => Diagnostic::error(
            format!("Timed out {} {subject}", action.gerund()),
            format!(
                "{} got no answer: the provider repeated it with the same client token for {} \
                 ({attempts} attempts), which the service answers with the first call's \
                 outcome instead of acting twice. The last failure was: {}\n\nWhether the \
                 service acted is unknown. {}",
                last.operation,
                format_duration(*waited),
                sentence(last.to_string()),
                timed_out_advice(limit)
            ),
        ),
        RetryError::TimedOut {
            last,
            attempts,
            waited,
        } => Diagnostic::error(
            format!("Timed out {} {subject}", action.gerund()),
            format!(
                "The service refuses to {verb} it until {until}. The provider retried for {} \
                 ({attempts} attempts); the last answer was: {}\n\n{}{}",
                format_duration(*waited),
                sentence(last.to_string()),
                advice.map(|a| format!("{a} ")).unwrap_or_default(),
                timed_out_advice(limit)
            ),
        ),
        RetryError::Cancelled {
            abandoned: true, ..
        } => Diagnostic::error(
            format!("Interrupted while {} {subject}", action.gerund()),
            format!(
                "{INTERRUPTED} while a call to {verb} it was in flight, and the service did not \
                 answer within {} more, so whether it acted is unknown. {kept}",
                format_duration(IN_FLIGHT_GRACE)
            ),
        ),
        RetryError::Cancelled {
            last: Some(last), ..
        } if last.is_unanswered() => Diagnostic::error(
            format!("Interrupted while {} {subject}", action.gerund()),
            format!(
                "{INTERRUPTED} while the provider repeated a call whose answer was lost, so \
                 whether the service acted is unknown. The last failure was: {} {kept}",
                sentence(last.to_string())
            ),
        ),
        RetryError::Cancelled { last, .. } => Diagnostic::error(
            format!("Interrupted while {} {subject}", action.gerund()),
            match last {
                Some(last) => format!(
                    "{INTERRUPTED} while the provider retried, because the service refuses to \
                     {verb} it until {until}. The last answer was: {} {kept}",
                    sentence(last.to_string())
                ),
                None => format!("{INTERRUPTED} before the provider could {verb} it. {kept}"),
            },
        ),
    }
}

/// The failure of a create whose outcome `err` may leave unknown, for an object whose identity
/// is known before the service answers (a project's name, a dataset's project and type). When
/// the service may have created it, the identity is kept in the state (`identified`, the
/// planned state with nothing the service reports) so that the next refresh settles it: an
/// object that exists is adopted instead of failing "already exists", and one that does not is
/// dropped and created. An interruption keeps it untainted, as interruptions do elsewhere.
pub fn unknown_outcome(diag: Diagnostic, err: &RetryError, identified: Value) -> Failure {
    let unknown = match err {
        RetryError::Failed(_) => false,
        RetryError::TimedOut { last, .. } => last.is_unanswered(),
        RetryError::Cancelled { last, abandoned } => {
            *abandoned || last.as_ref().is_some_and(ApiError::is_unanswered)
        }
    };
    if !unknown {
        return diag.into();
    }
    let mut diag = diag;
    diag.detail.push_str(
        "\n\nThe provider keeps it in the state, so that the next plan reads it back: if the \
         service did not create it, Terraform reports it as deleted outside Terraform and \
         creates it.",
    );
    if matches!(err, RetryError::Cancelled { .. }) {
        diag.severity = Severity::Warning;
    }
    Failure::from(diag).with_state(identified)
}

/// The diagnostic for a wait that did not reach `target`, which completes "the provider waited
/// for ..." (e.g. "status TRAINED"). `advice` says what to do when the service reports a failure
/// status; waits that have no failure status pass `None`.
pub fn wait_failure<T>(
    action: Action,
    subject: Subject<'_>,
    limit: Limit,
    target: &str,
    err: &WaitError<T>,
    advice: Option<&str>,
) -> Diagnostic {
    let last_status = || {
        err.last_status().map_or_else(
            || "the service had not reported a status yet".to_owned(),
            |status| format!("the last status was {status}"),
        )
    };
    match err {
        WaitError::Failed(observation) => Diagnostic::error(
            format!("{}: status {}", failed(action, subject), observation.status),
            format!(
                "{}\n\n{}{}",
                sentence(format!(
                    "The provider waited for {target}, but the service reports status {}{}",
                    observation.status,
                    observation
                        .message
                        .as_ref()
                        .map(|m| format!(" with the message: {m}"))
                        .unwrap_or_default()
                )),
                consequence(limit),
                advice.unwrap_or("Run the command again to retry.")
            ),
        ),
        WaitError::TimedOut { waited, .. } => Diagnostic::error(
            format!("Timed out {} {subject}", action.gerund()),
            format!(
                "The provider waited {} for {target}; {}.\n\n{}",
                format_duration(*waited),
                last_status(),
                timed_out_advice(limit)
            ),
        ),
        WaitError::Cancelled { .. } => Diagnostic::error(
            format!("Interrupted while {} {subject}", action.gerund()),
            format!(
                "{INTERRUPTED} while the provider waited for {target}; {}. {KEPT}",
                last_status()
            ),
        ),
        WaitError::Api(api) => Diagnostic::error(
            failed(action, subject),
            api_detail(api, &consequence(limit), None),
        ),
    }
}

/// The most tags the service accepts on one resource.
pub const MAX_TAGS: usize = 200;

/// Checks, for a resource's [`modify_plan`](crate::framework::resource::Resource::modify_plan),
/// that its planned `tags_all` (its `tags` merged over the provider's `default_tags`) holds no
/// more tags than the service accepts: the `tags` validator sees only the resource's own.
pub fn check_merged_tags(planned: &Value, diags: &mut Diagnostics) {
    let all = planned.get("tags_all");
    let Some(count) = all.entries().map(|entries| entries.len()) else {
        return;
    };
    if count > MAX_TAGS {
        let own = planned.get("tags").entries().map_or(0, |e| e.len());
        diags.push(
            Diagnostic::error(
                "Invalid value for tags",
                format!(
                    "tags and the provider's default_tags make {count} tags together ({own} of \
                     this resource's own), but the service accepts at most {MAX_TAGS} on one \
                     resource. Remove tags here or from `default_tags` in the provider block."
                ),
            )
            .at(AttributePath::root("tags")),
        );
    }
}

/// A number attribute from the service's 32-bit float, without float noise (0.85, not
/// 0.8500000238418579).
pub fn score(value: Option<f32>) -> Option<f64> {
    value.and_then(|v| v.to_string().parse::<f64>().ok())
}

/// A timestamp attribute: RFC 3339 in UTC.
pub fn timestamp(time: Option<&DateTime>) -> Option<String> {
    // The service keeps milliseconds, but its JSON carries epoch seconds as a float, which the
    // SDK decodes to the nearest nanosecond: `.819999` for `.82`. Rounding to the millisecond
    // shows the time the service has.
    let millis = |t: &DateTime| i64::try_from((t.as_nanos() + 500_000).div_euclid(1_000_000));
    time.and_then(|t| millis(t).ok())
        .and_then(|ms| DateTime::from_millis(ms).fmt(DateTimeFormat::DateTime).ok())
}

/// A required, replacement-forcing project name attribute, validated as the API constrains it.
pub fn project_name_attribute(name: &str, description: &str) -> Attribute {
    Attribute::required(name, Type::String)
        .describe(description)
        .requires_replace()
        .validate(validate::string_length(1, 255))
        .validate(validate::string_matches(
            "[a-zA-Z0-9][a-zA-Z0-9_\\-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
        ))
}

/// Splits a composite import ID `a:b`, explaining the expected `format` (e.g.
/// `<project_name>:<train|test>`) with an `example` when it does not fit.
pub fn split_id<'a>(
    type_name: &str,
    id: &'a str,
    format: &str,
    example: &str,
) -> Result<(&'a str, &'a str), Diagnostic> {
    id.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains(':'))
        .ok_or_else(|| {
            invalid_import_id(
                type_name,
                &format!("The ID must look like `{format}`, for example `{example}`; got {id:?}."),
            )
        })
}

/// How to adopt an existing object, completing "To manage it with Terraform, ...": the
/// `terraform import` command and the equivalent `import` block.
pub fn import_how(type_name: &str, id: &str) -> String {
    format!(
        "import it:\n  terraform import {type_name}.<name> {id}\nor add an import block:\n  \
         import {{\n    to = {type_name}.<name>\n    id = \"{id}\"\n  }}"
    )
}

/// S3 location attributes, validated as the API constrains them.
pub mod s3 {
    use crate::framework::schema::Attribute;
    use crate::framework::validate;
    use crate::framework::value::Type;

    const KEY_PATTERN: &str = "([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?";
    const KEY_EXPLAINED: &str = "letters, digits, and the characters ! _ . * ' ( ) - and /";

    /// A required bucket name.
    pub fn bucket(name: &str, description: &str) -> Attribute {
        Attribute::required(name, Type::String)
            .describe(description)
            .validate(validate::string_length(3, 63))
            .validate(validate::string_matches(
                "[0-9A-Za-z.\\-_]*",
                "letters, digits, dots, hyphens and underscores",
            ))
    }

    /// A required object key.
    pub fn key(name: &str, description: &str) -> Attribute {
        Attribute::required(name, Type::String)
            .describe(description)
            .validate(validate::string_length(1, 1024))
            .validate(validate::string_matches(KEY_PATTERN, KEY_EXPLAINED))
    }

    /// An optional key prefix.
    pub fn prefix(name: &str, description: &str) -> Attribute {
        Attribute::optional(name, Type::String)
            .describe(description)
            .validate(validate::string_length(0, 1024))
            .validate(validate::string_matches(KEY_PATTERN, KEY_EXPLAINED))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn timestamps_show_the_milliseconds_the_service_has() {
        for (seconds, shown) in [
            (1_607_277_318.389, "2020-12-06T17:55:18.389Z"),
            (1_764_659_601.82, "2025-12-02T07:13:21.82Z"),
            (1_764_659_601.0, "2025-12-02T07:13:21Z"),
            (1_764_659_601.999_9, "2025-12-02T07:13:22Z"),
        ] {
            let time = DateTime::from_secs_f64(seconds);
            assert_eq!(timestamp(Some(&time)).as_deref(), Some(shown), "{seconds}");
        }
        assert_eq!(timestamp(None), None);
    }

    use super::*;
    use crate::aws::waiter::{Observation, Phase};

    const MODEL: Subject<'static> = Subject::Existing {
        type_name: "lookoutvision_model",
        id: "boards:1",
    };
    const NAMED: &str = r#"lookoutvision_model "boards:1""#;

    fn api_error(kind: ErrorKind, code: &str, message: &str) -> ApiError {
        ApiError {
            operation: "DeleteModel",
            kind,
            code: Some(code.to_owned()),
            message: Some(message.to_owned()),
            request_id: Some("req-42".to_owned()),
            status: Some(409),
        }
    }

    fn conflict() -> ApiError {
        api_error(
            ErrorKind::Conflict,
            "ConflictException",
            "Model boards:1 is training",
        )
    }

    fn limit(operation: Operation) -> Limit {
        Limit {
            operation,
            duration: Duration::from_secs(3600),
        }
    }

    /// The four elements of an error: what failed and on which resource (the summary, one
    /// line), the service's own words, and what to do next (the detail).
    fn assert_complete(diag: &Diagnostic, what: &str, service: &[&str], advice: &[&str]) {
        assert_eq!(diag.severity, crate::framework::diag::Severity::Error);
        assert!(diag.summary.starts_with(what), "{diag:#?}");
        assert!(diag.summary.contains(NAMED), "{diag:#?}");
        assert!(!diag.summary.contains('\n'), "{diag:#?}");
        for fragment in service.iter().chain(advice) {
            assert!(diag.detail.contains(fragment), "{fragment:?} in {diag:#?}");
        }
        // No internal type names or Rust debug output.
        for internal in [
            "Some(",
            "None",
            "ErrorKind",
            "RetryError",
            "WaitError",
            "Observation",
        ] {
            assert!(!diag.detail.contains(internal), "{internal} in {diag:#?}");
        }
    }

    const SERVICE: [&str; 3] = ["ConflictException", "Model boards:1 is training", "req-42"];

    fn observation(status: &str, message: Option<&str>) -> Observation<()> {
        Observation {
            phase: Phase::Pending,
            status: status.to_owned(),
            message: message.map(str::to_owned),
            value: (),
        }
    }

    #[test]
    fn subjects_name_the_type_and_id_or_the_project_of_a_new_object() {
        assert_eq!(MODEL.to_string(), NAMED);
        let new = Subject::New {
            type_name: "lookoutvision_model",
            project: "boards",
        };
        assert_eq!(
            new.to_string(),
            r#"a new lookoutvision_model in project "boards""#
        );
        let listing = |project| Subject::Listing {
            type_name: "lookoutvision_model",
            project,
        };
        assert_eq!(listing(None).to_string(), "lookoutvision_model");
        assert_eq!(
            listing(Some("boards")).to_string(),
            r#"lookoutvision_model in project "boards""#
        );
    }

    #[test]
    fn api_failures_quote_the_service_and_advise_by_kind() {
        let cases = [
            (ErrorKind::AccessDenied, "`lookoutvision:DeleteModel`"),
            (ErrorKind::Throttling, "raise `max_retries`"),
            (ErrorKind::Internal, "raise `max_retries`"),
            (ErrorKind::Unreachable, "AWS_ENDPOINT_URL_LOOKOUTVISION"),
            (ErrorKind::NoAnswer, "its answer never came"),
            (ErrorKind::QuotaExceeded, "service quota"),
            (ErrorKind::Validation, "Correct the value"),
            (ErrorKind::NotFound, "Check that the project"),
            (ErrorKind::Conflict, "once that change has finished"),
            (ErrorKind::Other, "check the provider's endpoint"),
        ];
        for (kind, advice) in cases {
            let err = api_error(kind, "SomeException", "the service's words");
            let diag = api_failure(Action::Delete, MODEL, &err, None);
            assert_complete(
                &diag,
                "Failed to delete",
                &[
                    "DeleteModel failed: SomeException: the service's words",
                    "req-42",
                ],
                &[advice],
            );
        }
        let diag = api_failure(Action::Create, MODEL, &conflict(), Some("Import it."));
        assert_complete(&diag, "Failed to create", &SERVICE, &["Import it."]);
        assert!(!diag.detail.contains("once that change"), "{diag:#?}");
    }

    #[test]
    fn retry_failures_explain_the_conflict_and_the_timeout_to_raise() {
        let until = "its datasets and models are deleted";

        let failed = RetryError::Failed(api_error(
            ErrorKind::Validation,
            "ValidationException",
            "bad units",
        ));
        let diag = retry_failure(
            Action::Start,
            MODEL,
            limit(Operation::Create),
            &failed,
            until,
            None,
        );
        assert_complete(
            &diag,
            "Failed to start",
            &["ValidationException: bad units", "req-42"],
            &["marked as tainted", "Correct the value"],
        );

        let timed_out = RetryError::TimedOut {
            last: conflict(),
            attempts: 12,
            waited: Duration::from_secs(3600),
        };
        let diag = retry_failure(
            Action::Delete,
            MODEL,
            limit(Operation::Delete),
            &timed_out,
            until,
            Some("Delete them first."),
        );
        assert_complete(
            &diag,
            "Timed out deleting",
            &SERVICE,
            &[
                "refuses to delete it until its datasets and models are deleted",
                "12 attempts",
                "Delete them first.",
                r#"`timeouts { delete = "..." }`"#,
                "more than 1h0m0s",
            ],
        );
        assert!(!diag.detail.contains("tainted"), "{diag:#?}");

        let interrupted = RetryError::Cancelled {
            last: Some(conflict()),
            abandoned: false,
        };
        let diag = retry_failure(
            Action::Delete,
            MODEL,
            limit(Operation::Delete),
            &interrupted,
            until,
            None,
        );
        assert_complete(
            &diag,
            "Interrupted while deleting",
            &SERVICE,
            &[until, "kept in the state", "run the command again"],
        );

        let diag = retry_failure(
            Action::Delete,
            MODEL,
            limit(Operation::Delete),
            &RetryError::Cancelled {
                last: None,
                abandoned: false,
            },
            until,
            None,
        );
        assert_complete(
            &diag,
            "Interrupted while deleting",
            &[],
            &[
                "before the provider could delete it",
                "run the command again",
            ],
        );
    }

    #[test]
    fn wait_failures_give_the_status_and_the_timeout_to_raise() {
        let target = "status TRAINED";
        let advice = Some("Check the datasets.");

        let failed: WaitError<()> =
            WaitError::Failed(observation("TRAINING_FAILED", Some("Too few images")));
        let diag = wait_failure(
            Action::Create,
            MODEL,
            limit(Operation::Create),
            target,
            &failed,
            advice,
        );
        assert_complete(
            &diag,
            "Failed to create",
            &["status TRAINING_FAILED with the message: Too few images."],
            &[
                "waited for status TRAINED",
                "marked as tainted",
                "Check the datasets.",
            ],
        );
        assert!(
            diag.summary.ends_with("status TRAINING_FAILED"),
            "{diag:#?}"
        );

        let timed_out: WaitError<()> = WaitError::TimedOut {
            last: Some(observation("TRAINING", None)),
            waited: Duration::from_secs(3600),
        };
        let diag = wait_failure(
            Action::Create,
            MODEL,
            limit(Operation::Create),
            target,
            &timed_out,
            advice,
        );
        assert_complete(
            &diag,
            "Timed out creating",
            &["the last status was TRAINING"],
            &[
                r#"`timeouts { create = "..." }`"#,
                "more than 1h0m0s",
                "marked as tainted",
                "terraform untaint",
            ],
        );
        let diag = wait_failure(
            Action::Stop,
            MODEL,
            limit(Operation::Update),
            target,
            &WaitError::<()>::TimedOut {
                last: None,
                waited: Duration::from_secs(5),
            },
            None,
        );
        assert_complete(
            &diag,
            "Timed out stopping",
            &["had not reported a status yet"],
            &[r#"`timeouts { update = "..." }`"#],
        );

        let interrupted: WaitError<()> = WaitError::Cancelled {
            last: Some(observation("TRAINING", None)),
        };
        let diag = wait_failure(
            Action::Create,
            MODEL,
            limit(Operation::Create),
            target,
            &interrupted,
            advice,
        );
        assert_complete(
            &diag,
            "Interrupted while creating",
            &["the last status was TRAINING"],
            &["kept in the state", "run the command again"],
        );
        assert!(!diag.detail.contains("tainted"), "{diag:#?}");

        let api: WaitError<()> = WaitError::Api(conflict());
        let diag = wait_failure(
            Action::Delete,
            MODEL,
            limit(Operation::Delete),
            "the model to be gone",
            &api,
            None,
        );
        assert_complete(
            &diag,
            "Failed to delete",
            &SERVICE,
            &["once that change has finished"],
        );
    }

    #[test]
    fn merged_tags_over_the_limit_fail_the_plan_naming_tags() {
        let tags = |n: usize| {
            Value::Map(
                (0..n)
                    .map(|i| (format!("k{i}"), Value::from(format!("v{i}"))))
                    .collect(),
            )
        };
        let planned =
            |own: usize, all: usize| Value::object([("tags", tags(own)), ("tags_all", tags(all))]);
        let mut diags = Diagnostics::default();
        check_merged_tags(&planned(150, MAX_TAGS), &mut diags);
        check_merged_tags(&Value::object([("tags_all", Value::Unknown)]), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        check_merged_tags(&planned(150, MAX_TAGS + 1), &mut diags);
        assert!(diags.has_errors());
        let diag = &diags.0[0];
        assert_eq!(diag.summary, "Invalid value for tags");
        assert_eq!(diag.path, Some(AttributePath::root("tags")));
        assert!(
            diag.detail.contains("make 201 tags together (150 of"),
            "{diag:?}"
        );
        assert!(diag.detail.contains("at most 200"), "{diag:?}");
    }

    #[test]
    fn lost_answers_and_abandoned_calls_say_the_outcome_is_unknown_and_keep_the_identity() {
        let lost = api_error(
            ErrorKind::NoAnswer,
            "",
            "no answer from http://127.0.0.1:1: connection closed before message completed",
        );
        let timed_out = RetryError::TimedOut {
            last: lost.clone(),
            attempts: 9,
            waited: Duration::from_secs(3600),
        };
        let diag = retry_failure(
            Action::Delete,
            MODEL,
            limit(Operation::Delete),
            &timed_out,
            "never",
            None,
        );
        assert_complete(
            &diag,
            "Timed out deleting",
            &["no answer from http://127.0.0.1:1"],
            &[
                "DeleteModel got no answer",
                "same client token",
                "9 attempts",
                "Whether the service acted is unknown",
                r#"`timeouts { delete = "..." }`"#,
            ],
        );
        let identified = Value::object([("id", "boards:1".into())]);
        let kept = unknown_outcome(diag, &timed_out, identified.clone());
        assert_eq!(kept.partial_state.as_ref(), Some(&identified));
        assert!(
            kept.diagnostics.has_errors(),
            "a timed-out create is tainted"
        );

        let abandoned = RetryError::Cancelled {
            last: None,
            abandoned: true,
        };
        let diag = retry_failure(
            Action::Create,
            MODEL,
            limit(Operation::Create),
            &abandoned,
            "never",
            None,
        );
        assert_complete(
            &diag,
            "Interrupted while creating",
            &[],
            &["did not answer within 5s", "whether it acted is unknown"],
        );
        let kept = unknown_outcome(diag, &abandoned, identified.clone());
        assert_eq!(kept.partial_state.as_ref(), Some(&identified));
        assert!(
            !kept.diagnostics.has_errors(),
            "an interruption keeps it untainted"
        );
        assert!(kept.diagnostics.0[0].detail.contains("reads it back"));

        // A final answer is no unknown outcome: nothing is kept.
        let refused = RetryError::Failed(conflict());
        let diag = retry_failure(
            Action::Create,
            MODEL,
            limit(Operation::Create),
            &refused,
            "never",
            None,
        );
        assert!(unknown_outcome(diag, &refused, identified)
            .partial_state
            .is_none());
    }

    #[test]
    fn import_ids_that_do_not_fit_show_the_format_and_an_example() {
        let err = split_id(
            "lookoutvision_dataset",
            "boards",
            "<project>:<type>",
            "boards:train",
        )
        .expect_err("no colon");
        assert_eq!(err.summary, "Invalid import ID for lookoutvision_dataset");
        assert!(err
            .detail
            .contains("`<project>:<type>`, for example `boards:train`; got \"boards\""));
        assert!(err.detail.contains("`terraform import`"));
    }
}
