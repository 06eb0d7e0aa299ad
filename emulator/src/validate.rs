//! Input constraints and the AWS-style `ValidationException` messages for them.
//!
//! A handler feeds every input member through one [`Validator`], which collects all
//! violations and reports them together the way AWS does:
//! `2 validation errors detected: Value '' at 'projectName' failed to satisfy constraint: …; …`.

use std::fmt::Display;
use std::sync::OnceLock;

use regex::Regex;

use super::clock::Timestamp;
use super::error::ApiError;

/// The length range and pattern of a string member, as in the service model.
#[derive(Debug)]
pub struct StringConstraint {
    min: usize,
    max: usize,
    pattern: &'static str,
    compiled: OnceLock<Regex>,
}

impl StringConstraint {
    /// Lengths `min..=max` (in characters) and a pattern the whole value must match.
    pub const fn new(min: usize, max: usize, pattern: &'static str) -> Self {
        Self {
            min,
            max,
            pattern,
            compiled: OnceLock::new(),
        }
    }

    fn matches(&self, value: &str) -> bool {
        // The model's patterns are written unanchored; the service applies them to the whole
        // value (a name with a space is rejected), so anchor them here.
        self.compiled
            .get_or_init(|| {
                Regex::new(&format!("^(?:{})$", self.pattern))
                    .expect("constraint patterns are valid regexes")
            })
            .is_match(value)
    }
}

/// `ProjectName`.
pub static PROJECT_NAME: StringConstraint =
    StringConstraint::new(1, 255, r"[a-zA-Z0-9][a-zA-Z0-9_\-]*");
/// `ClientToken` (the `X-Amzn-Client-Token` header).
pub static CLIENT_TOKEN: StringConstraint = StringConstraint::new(1, 64, r"^[a-zA-Z0-9-]+$");
/// `PaginationToken` (`nextToken`).
pub static PAGINATION_TOKEN: StringConstraint =
    StringConstraint::new(0, 2048, r"^[a-zA-Z0-9\/\+\=]{0,2048}$");
/// `DatasetType`.
pub static DATASET_TYPE: StringConstraint = StringConstraint::new(1, 10, r"train|test");
/// `ModelVersion`: a number or `latest`.
pub static MODEL_VERSION: StringConstraint = StringConstraint::new(1, 10, r"([1-9][0-9]*|latest)");
/// `ModelVersionNoLatest` (DeleteModel).
pub static MODEL_VERSION_NO_LATEST: StringConstraint =
    StringConstraint::new(1, 10, r"([1-9][0-9]*)");
/// `ModelDescriptionMessage`: no spaces.
pub static MODEL_DESCRIPTION: StringConstraint =
    StringConstraint::new(1, 500, r"[0-9A-Za-z\.\-_]*");
/// `S3BucketName`.
pub static S3_BUCKET: StringConstraint = StringConstraint::new(3, 63, r"[0-9A-Za-z\.\-_]*");
/// `S3ObjectKey`.
pub static S3_KEY: StringConstraint =
    StringConstraint::new(1, 1024, r"^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$");
/// `S3KeyPrefix`.
pub static S3_PREFIX: StringConstraint =
    StringConstraint::new(0, 1024, r"^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$");
/// `S3ObjectVersion`: any text.
pub static S3_VERSION: StringConstraint = StringConstraint::new(1, 1024, r"(?s).*");
/// `KmsKeyId`.
pub static KMS_KEY_ID: StringConstraint =
    StringConstraint::new(1, 2048, r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$");
/// `TagKey`.
pub static TAG_KEY: StringConstraint =
    StringConstraint::new(1, 128, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$");
/// `TagValue`.
pub static TAG_VALUE: StringConstraint =
    StringConstraint::new(0, 256, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$");
/// `TagArn`: any text.
pub static TAG_ARN: StringConstraint = StringConstraint::new(1, 1011, r"(?s).*");
/// `AnomalyClassFilter` (ListDatasetEntries `anomalyClass`).
pub static ANOMALY_CLASS: StringConstraint = StringConstraint::new(1, 10, r"(normal|anomaly)");
/// `QueryString` (ListDatasetEntries `sourceRefContains`).
pub static SOURCE_REF_CONTAINS: StringConstraint = StringConstraint::new(1, 2048, r".*\S.*");
/// `ContentType` of DetectAnomalies, narrowed to the two image types the service accepts.
pub static IMAGE_CONTENT_TYPE: StringConstraint =
    StringConstraint::new(1, 255, r"image/png|image/jpeg");
/// `ModelPackagingJobName`.
pub static PACKAGING_JOB_NAME: StringConstraint = StringConstraint::new(1, 64, r"[a-zA-Z0-9-]+");
/// `ModelPackagingJobDescription`.
pub static PACKAGING_JOB_DESCRIPTION: StringConstraint =
    StringConstraint::new(1, 256, r"[a-zA-Z0-9-_. ()':,;?]+");
/// `CompilerOptions`: any text.
pub static COMPILER_OPTIONS: StringConstraint = StringConstraint::new(3, 1024, r"(?s).*");
/// `ComponentName`.
pub static COMPONENT_NAME: StringConstraint = StringConstraint::new(1, 128, r"[a-zA-Z0-9-_.]+");
/// `ComponentVersion`; the length limit is Greengrass's (inferred), the pattern the model's.
pub static COMPONENT_VERSION: StringConstraint =
    StringConstraint::new(1, 64, r"^([0-9]{1,6})\.([0-9]{1,6})\.([0-9]{1,6})$");
/// `ComponentDescription`.
pub static COMPONENT_DESCRIPTION: StringConstraint =
    StringConstraint::new(1, 256, r"[a-zA-Z0-9-_. ()':,;?]+");

/// `TargetDevice`.
pub const TARGET_DEVICES: &[&str] = &["jetson_xavier"];
/// `TargetPlatformOs`.
pub const TARGET_OSES: &[&str] = &["LINUX"];
/// `TargetPlatformArch`.
pub const TARGET_ARCHES: &[&str] = &["ARM64", "X86_64"];
/// `TargetPlatformAccelerator`.
pub const TARGET_ACCELERATORS: &[&str] = &["NVIDIA"];

/// Collects constraint violations for one request.
///
/// The checking methods hand back the values they were given, so a handler reads its input
/// as it validates it; those values are only known to be valid once
/// [`finish`](Self::finish) has returned `Ok`.
#[derive(Debug, Default)]
pub struct Validator {
    violations: Vec<String>,
}

impl Validator {
    /// A validator with nothing recorded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks a string member that is always present (a URI label) and returns it.
    pub fn string<'v>(
        &mut self,
        field: &str,
        value: &'v str,
        constraint: &StringConstraint,
    ) -> &'v str {
        let length = value.chars().count();
        if length < constraint.min {
            self.violation(
                field,
                value,
                format_args!(
                    "Member must have length greater than or equal to {}",
                    constraint.min
                ),
            );
        }
        if length > constraint.max {
            self.violation(
                field,
                value,
                format_args!(
                    "Member must have length less than or equal to {}",
                    constraint.max
                ),
            );
        }
        if !constraint.matches(value) {
            self.violation(
                field,
                value,
                format_args!(
                    "Member must satisfy regular expression pattern: {}",
                    constraint.pattern
                ),
            );
        }
        value
    }

    /// Checks a required string member and returns it, or `""` when it is absent (after
    /// recording "must not be null", so [`finish`](Self::finish) fails).
    pub fn required<'v>(
        &mut self,
        field: &str,
        value: Option<&'v str>,
        constraint: &StringConstraint,
    ) -> &'v str {
        match value {
            Some(value) => self.string(field, value, constraint),
            None => {
                self.violations.push(format!(
                    "Value null at '{field}' failed to satisfy constraint: Member must not be null"
                ));
                ""
            }
        }
    }

    /// Checks an optional string member and returns it.
    pub fn optional<'v>(
        &mut self,
        field: &str,
        value: Option<&'v str>,
        constraint: &StringConstraint,
    ) -> Option<&'v str> {
        value.map(|value| self.string(field, value, constraint))
    }

    /// Checks an optional enum member against its `values` and returns it.
    pub fn optional_enum<'v>(
        &mut self,
        field: &str,
        value: Option<&'v str>,
        values: &[&str],
    ) -> Option<&'v str> {
        let value = value?;
        if !values.contains(&value) {
            self.violation(
                field,
                value,
                format_args!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ),
            );
        }
        Some(value)
    }

    /// Checks a required enum member against its `values` and returns it, or `""` when it
    /// is absent (after recording "must not be null").
    pub fn required_enum<'v>(
        &mut self,
        field: &str,
        value: Option<&'v str>,
        values: &[&str],
    ) -> &'v str {
        let value = self.not_null(field, value);
        self.optional_enum(field, value, values).unwrap_or_default()
    }

    /// Records "must not be null" when a required member of any type is absent; returns it.
    pub fn not_null<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.violations.push(format!(
                "Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ));
        }
        value
    }

    /// Checks an optional integer member given as text (a query parameter) against
    /// `min..=max`. Returns the number when present and an integer.
    pub fn optional_integer(
        &mut self,
        field: &str,
        value: Option<&str>,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let raw = value?;
        let Ok(number) = raw.parse::<i64>() else {
            self.violation(field, raw, format_args!("Member must be an integer"));
            return None;
        };
        Some(self.integer(field, number, min, max))
    }

    /// Reads an optional boolean given as text (a query parameter): `true` or `false`.
    pub fn optional_bool(&mut self, field: &str, value: Option<&str>) -> Option<bool> {
        match value? {
            "true" => Some(true),
            "false" => Some(false),
            other => {
                self.violation(field, other, format_args!("Member must be a boolean"));
                None
            }
        }
    }

    /// Reads an optional timestamp given as text (a query parameter) in ISO-8601, the form
    /// AWS SDKs send.
    pub fn optional_timestamp(&mut self, field: &str, value: Option<&str>) -> Option<Timestamp> {
        let raw = value?;
        let parsed = Timestamp::parse_iso8601(raw);
        if parsed.is_none() {
            self.violation(
                field,
                raw,
                format_args!("Member must be an ISO-8601 date-time"),
            );
        }
        parsed
    }

    /// Checks an integer member against `min..=max` and returns it.
    pub fn integer(&mut self, field: &str, value: i64, min: i64, max: i64) -> i64 {
        if value < min {
            self.violation(
                field,
                value,
                format_args!("Member must have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.violation(
                field,
                value,
                format_args!("Member must have value less than or equal to {max}"),
            );
        }
        value
    }

    /// Checks the number of items (or bytes) of a list (or blob) member against `min..=max`.
    pub fn length(&mut self, field: &str, length: usize, min: usize, max: usize) {
        let rule = if length < min {
            format!("Member must have length greater than or equal to {min}")
        } else if length > max {
            format!("Member must have length less than or equal to {max}")
        } else {
            return;
        };
        self.violations.push(format!(
            "Value with length {length} at '{field}' failed to satisfy constraint: {rule}"
        ));
    }

    /// Records that `field` breaks `rule`, a rule the model's constraints cannot express
    /// (`Value at 'changes' failed to satisfy constraint: Member must be base64-encoded`).
    pub fn unmet(&mut self, field: &str, rule: impl Display) {
        self.violations.push(format!(
            "Value at '{field}' failed to satisfy constraint: {rule}"
        ));
    }

    /// Records a violation of a rule the model cannot express, worded by the caller.
    pub fn fail(&mut self, message: impl Into<String>) {
        self.violations.push(message.into());
    }

    /// Whether nothing has been violated so far.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// `Ok` when nothing was violated, otherwise one `ValidationException` listing everything.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.violations.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.violations[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.violations.join("; ")
            ))),
        }
    }

    /// Records that `value` at `field` breaks `rule` (a constraint no [`StringConstraint`]
    /// expresses), in the service's words: `Value '…' at '…' failed to satisfy constraint: …`.
    pub fn violation(&mut self, field: &str, value: impl Display, rule: impl Display) {
        self.violations.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {rule}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<(), ApiError>) -> String {
        match result {
            Err(ApiError::Validation { message }) => message,
            other => panic!("expected a ValidationException, got {other:?}"),
        }
    }

    #[test]
    fn valid_values_pass_and_are_returned() {
        let mut v = Validator::new();
        assert_eq!(
            v.required("projectName", Some("my-project_1"), &PROJECT_NAME),
            "my-project_1"
        );
        assert_eq!(v.string("projectName", "P", &PROJECT_NAME), "P");
        assert_eq!(v.optional("clientToken", None, &CLIENT_TOKEN), None);
        assert_eq!(
            v.optional_integer("maxResults", Some("100"), 1, 100),
            Some(100)
        );
        assert_eq!(v.optional_integer("maxResults", None, 1, 100), None);
        assert_eq!(
            v.optional("nextToken", Some(""), &PAGINATION_TOKEN),
            Some("")
        );
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn pattern_is_applied_to_the_whole_value() {
        let mut v = Validator::new();
        v.string("projectName", "has space", &PROJECT_NAME);
        assert_eq!(
            message(v.finish()),
            "1 validation error detected: Value 'has space' at 'projectName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9_\\-]*"
        );
    }

    #[test]
    fn every_violation_is_reported_once_in_order() {
        let mut v = Validator::new();
        v.required("projectName", Some(""), &PROJECT_NAME);
        v.required("other", None, &PROJECT_NAME);
        let message = message(v.finish());
        assert!(
            message.starts_with("3 validation errors detected: "),
            "{message}"
        );
        assert!(message.contains("Value '' at 'projectName' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'projectName' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{message}");
        assert!(
            message.ends_with(
                "Value null at 'other' failed to satisfy constraint: Member must not be null"
            ),
            "{message}"
        );
    }

    #[test]
    fn lengths_count_characters() {
        let mut v = Validator::new();
        static ANY_THREE: StringConstraint = StringConstraint::new(1, 3, ".*");
        v.string("tagValue", "ééé", &ANY_THREE);
        v.string("projectName", &"a".repeat(255), &PROJECT_NAME);
        v.string("clientToken", &"a".repeat(64), &CLIENT_TOKEN);
        assert_eq!(v.finish(), Ok(()));
        let mut v = Validator::new();
        v.string("clientToken", &"a".repeat(65), &CLIENT_TOKEN);
        let message = message(v.finish());
        assert!(
            message.contains("Member must have length less than or equal to 64"),
            "{message}"
        );
    }

    #[test]
    fn integers_are_range_checked() {
        let mut v = Validator::new();
        v.optional_integer("maxResults", Some("101"), 1, 100);
        assert_eq!(
            message(v.finish()),
            "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: \
             Member must have value less than or equal to 100"
        );
        let mut v = Validator::new();
        v.optional_integer("maxResults", Some("0"), 1, 100);
        assert_eq!(v.optional_integer("maxResults", Some("ten"), 1, 100), None);
        let message = message(v.finish());
        assert!(
            message.contains("greater than or equal to 1")
                && message.contains("Member must be an integer")
        );
    }

    #[test]
    fn pagination_tokens_use_the_base64_alphabet() {
        let mut v = Validator::new();
        v.optional("nextToken", Some("abc+/=="), &PAGINATION_TOKEN);
        assert_eq!(v.finish(), Ok(()));
        let mut v = Validator::new();
        v.optional("nextToken", Some("abc-def"), &PAGINATION_TOKEN);
        assert!(message(v.finish()).contains("at 'nextToken'"));
    }

    #[test]
    fn non_string_members_lengths_and_free_rules_share_the_format() {
        let mut v = Validator::new();
        assert_eq!(v.not_null("outputConfig", Some(1)), Some(1));
        assert_eq!(v.integer("minInferenceUnits", 1, 1, 10), 1);
        v.length("tags", 200, 0, 200);
        assert_eq!(v.finish(), Ok(()));

        let mut v = Validator::new();
        assert_eq!(v.not_null::<u8>("outputConfig", None), None);
        v.integer("minInferenceUnits", 0, 1, 10);
        v.length("tags", 201, 0, 200);
        v.fail("Line 2 of 'changes' is not valid");
        v.unmet("changes", "Member must be base64-encoded");
        assert_eq!(
            message(v.finish()),
            "5 validation errors detected: \
             Value null at 'outputConfig' failed to satisfy constraint: Member must not be null; \
             Value '0' at 'minInferenceUnits' failed to satisfy constraint: Member must have value greater than or equal to 1; \
             Value with length 201 at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200; \
             Line 2 of 'changes' is not valid; \
             Value at 'changes' failed to satisfy constraint: Member must be base64-encoded"
        );
    }

    #[test]
    fn enums_accept_only_their_values_and_name_them_all() {
        let mut v = Validator::new();
        assert_eq!(
            v.required_enum("arch", Some("X86_64"), TARGET_ARCHES),
            "X86_64"
        );
        assert_eq!(
            v.optional_enum("accelerator", None, TARGET_ACCELERATORS),
            None
        );
        assert_eq!(v.finish(), Ok(()));

        let mut v = Validator::new();
        assert_eq!(v.required_enum("os", None, TARGET_OSES), "");
        v.optional_enum("arch", Some("x86_64"), TARGET_ARCHES);
        assert_eq!(
            message(v.finish()),
            "2 validation errors detected: \
             Value null at 'os' failed to satisfy constraint: Member must not be null; \
             Value 'x86_64' at 'arch' failed to satisfy constraint: Member must satisfy enum value set: [ARM64, X86_64]"
        );
    }

    #[test]
    fn booleans_and_timestamps_are_read_from_text() {
        let mut v = Validator::new();
        assert_eq!(v.optional_bool("labeled", Some("true")), Some(true));
        assert_eq!(v.optional_bool("labeled", Some("false")), Some(false));
        assert_eq!(v.optional_bool("labeled", None), None);
        assert!(v
            .optional_timestamp("createdBefore", Some("2024-01-01T00:00:00Z"))
            .is_some());
        assert_eq!(v.finish(), Ok(()));
        let mut v = Validator::new();
        assert_eq!(v.optional_bool("labeled", Some("yes")), None);
        assert_eq!(
            v.optional_timestamp("createdAfter", Some("yesterday")),
            None
        );
        let message = message(v.finish());
        assert!(
            message.contains(
                "Value 'yes' at 'labeled' failed to satisfy constraint: Member must be a boolean"
            ),
            "{message}"
        );
        assert!(message.contains("Value 'yesterday' at 'createdAfter' failed to satisfy constraint: Member must be an ISO-8601 date-time"), "{message}");
    }

    #[test]
    fn model_constraints_accept_and_reject_as_documented() {
        let mut v = Validator::new();
        v.string("datasetType", "train", &DATASET_TYPE);
        v.string("modelVersion", "latest", &MODEL_VERSION);
        v.string("modelVersion", "12", &MODEL_VERSION_NO_LATEST);
        v.string("tagKey", "Team Name:é/+=@", &TAG_KEY);
        v.string("tagValue", "", &TAG_VALUE);
        v.string("bucket", "my.bucket-1", &S3_BUCKET);
        v.string("prefix", "", &S3_PREFIX);
        v.string("key", "dir/train.manifest", &S3_KEY);
        v.string("jobName", "job-1", &PACKAGING_JOB_NAME);
        v.string(
            "compilerOptions",
            "{\"gpu-code\": \"sm_72\"}",
            &COMPILER_OPTIONS,
        );
        v.string("componentName", "com.example-model_1", &COMPONENT_NAME);
        v.string("componentVersion", "1.0.123456", &COMPONENT_VERSION);
        v.string(
            "componentDescription",
            "A model, packaged.",
            &COMPONENT_DESCRIPTION,
        );
        assert_eq!(v.finish(), Ok(()));
        let too_long_job_name = "a".repeat(65);
        for (value, constraint) in [
            ("trains", &DATASET_TYPE),
            ("0", &MODEL_VERSION),
            ("latest", &MODEL_VERSION_NO_LATEST),
            ("has space", &MODEL_DESCRIPTION),
            ("tag*", &TAG_KEY),
            ("/leading-slash", &S3_KEY),
            ("image/gif", &IMAGE_CONTENT_TYPE),
            ("  ", &SOURCE_REF_CONTAINS),
            ("job_1", &PACKAGING_JOB_NAME),
            (too_long_job_name.as_str(), &PACKAGING_JOB_NAME),
            ("-O", &COMPILER_OPTIONS),
            ("has space", &COMPONENT_NAME),
            ("1.0", &COMPONENT_VERSION),
            ("1234567.0.0", &COMPONENT_VERSION),
            ("", &COMPONENT_DESCRIPTION),
            ("bad!", &COMPONENT_DESCRIPTION),
            ("bad!", &PACKAGING_JOB_DESCRIPTION),
            ("tab\there", &PACKAGING_JOB_DESCRIPTION),
        ] {
            let mut v = Validator::new();
            v.string("field", value, constraint);
            assert!(v.finish().is_err(), "{value}");
        }
    }
}
