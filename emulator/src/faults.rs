//! Fault injection, off by default: random faults and latency from the configuration, and
//! scripted one-off faults armed per operation through the admin API.
//!
//! Faults only ever touch API requests (never `/_emulator/`), and each is decided before the
//! operation runs: a request answered with an injected error, or whose connection is dropped,
//! changes nothing.
//!
//! - **Random faults** ([`RandomFaults`]): every API request draws one number from a
//!   SplitMix64 generator seeded with [`RandomFaults::seed`] and, by the [`FaultRates`], is
//!   answered 500 InternalServerException, 429 ThrottlingException, has its connection
//!   dropped, or runs normally. Given the seed, the n-th request always gets the same outcome.
//!   The added latency's jitter comes from a second generator, so turning jitter on does not
//!   change which requests fail.
//! - **Scripted faults** ([`FaultSpec`]): "the next N calls of DeleteProject answer 409", or
//!   drop, or are delayed; optionally only calls whose path contains a string or that are
//!   about one project. They take precedence over a random fault for the same request.

use std::time::Duration;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::clock::parse_duration;
use super::error::{ApiError, Resource, ResourceType};

/// The service model's operations: the names scripted faults may be armed for.
const OPERATIONS: [&str; 22] = [
    "CreateDataset",
    "CreateModel",
    "CreateProject",
    "DeleteDataset",
    "DeleteModel",
    "DeleteProject",
    "DescribeDataset",
    "DescribeModel",
    "DescribeModelPackagingJob",
    "DescribeProject",
    "DetectAnomalies",
    "ListDatasetEntries",
    "ListModelPackagingJobs",
    "ListModels",
    "ListProjects",
    "ListTagsForResource",
    "StartModel",
    "StartModelPackagingJob",
    "StopModel",
    "TagResource",
    "UntagResource",
    "UpdateDatasetEntries",
];

/// Every `ResourceType`, to read one from its wire name.
const RESOURCE_TYPES: [ResourceType; 5] = [
    ResourceType::Project,
    ResourceType::Dataset,
    ResourceType::Model,
    ResourceType::Trial,
    ResourceType::ModelPackageJob,
];

/// The `QuotaCode` of an injected ServiceQuotaExceededException unless the fault names one;
/// AWS documents no quota codes for this service.
const DEFAULT_QUOTA_CODE: &str = "L-00000000";
/// The `ServiceCode` of an injected ServiceQuotaExceededException unless the fault names one.
const DEFAULT_SERVICE_CODE: &str = "lookoutvision";
/// The API version prefix of every operation's path.
const VERSION_PREFIX: &str = "/2020-11-20/";

/// Random fault settings that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultConfigError {
    /// A rate is not a probability.
    #[error("the {name} fault rate must be a probability between 0 and 1, not {value}")]
    RateOutOfRange {
        /// Which rate.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The rates add up to more than 1.
    #[error("the fault rates add up to {total}, more than 1")]
    RatesAboveOne {
        /// Their sum.
        total: f64,
    },
}

/// The probabilities that a request is answered 500, answered 429, dropped before it runs, or
/// run and then dropped. They are exclusive, so their sum is at most 1; the rest of the
/// requests run normally.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultRates {
    server_error: f64,
    throttling: f64,
    drop: f64,
    drop_after: f64,
}

impl FaultRates {
    /// Rates for 500 InternalServerException, 429 ThrottlingException and dropped
    /// connections; each must lie in 0..=1 and together they may not exceed 1.
    pub fn new(server_error: f64, throttling: f64, drop: f64) -> Result<Self, FaultConfigError> {
        for (name, value) in [("500", server_error), ("429", throttling), ("drop", drop)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultConfigError::RateOutOfRange { name, value });
            }
        }
        let total = server_error + throttling + drop;
        if total > 1.0 {
            return Err(FaultConfigError::RatesAboveOne { total });
        }
        Ok(Self {
            server_error,
            throttling,
            drop,
            drop_after: 0.0,
        })
    }

    /// These rates, plus `drop_after`: the share of requests that run (and change what they
    /// change) but whose connection is then closed without the answer, as when a network
    /// fails after the service acted. The four rates together may not exceed 1.
    pub fn with_drop_after(self, drop_after: f64) -> Result<Self, FaultConfigError> {
        if !(0.0..=1.0).contains(&drop_after) {
            return Err(FaultConfigError::RateOutOfRange {
                name: "drop-after",
                value: drop_after,
            });
        }
        let total = self.server_error + self.throttling + self.drop + drop_after;
        if total > 1.0 {
            return Err(FaultConfigError::RatesAboveOne { total });
        }
        Ok(Self { drop_after, ..self })
    }

    /// The share of requests answered 500 InternalServerException.
    pub fn server_error(self) -> f64 {
        self.server_error
    }

    /// The share of requests answered 429 ThrottlingException.
    pub fn throttling(self) -> f64 {
        self.throttling
    }

    /// The share of requests whose connection is closed without an answer before they run.
    pub fn drop(self) -> f64 {
        self.drop
    }

    /// The share of requests that run and whose connection is then closed without an answer.
    pub fn drop_after(self) -> f64 {
        self.drop_after
    }
}

/// Random faults and added latency for every API request; the default injects nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RandomFaults {
    /// Seeds the generators, so a run can be reproduced.
    pub seed: u64,
    /// How often each fault occurs.
    pub rates: FaultRates,
    /// A fixed delay before every API request is handled (real time, not the emulator's
    /// clock).
    pub latency: Duration,
    /// Up to this much more delay, uniformly drawn per request.
    pub jitter: Duration,
}

impl RandomFaults {
    /// The settings as the admin API lists them.
    pub fn to_json(&self) -> Value {
        json!({
            "seed": self.seed,
            "rate_500": self.rates.server_error,
            "rate_429": self.rates.throttling,
            "rate_drop": self.rates.drop,
            "rate_drop_after": self.rates.drop_after,
            "latency_ms": duration_millis(self.latency),
            "latency_jitter_ms": duration_millis(self.jitter),
        })
    }
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What injected a faulted answer, as the request log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultSource {
    /// Drawn by the seeded generator.
    Random,
    /// Armed through `POST /_emulator/faults`.
    Scripted,
}

/// The error codes a scripted fault can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::enum_variant_names)] // the variants are the wire names
pub enum ErrorCode {
    /// 409, with `ResourceId` and `ResourceType`.
    ConflictException,
    /// 429, with `Retry-After`.
    ThrottlingException,
    /// 500, with `Retry-After`.
    InternalServerException,
    /// 402, with `QuotaCode`, `ServiceCode` and optionally the resource.
    ServiceQuotaExceededException,
    /// 400.
    ValidationException,
    /// 403.
    AccessDeniedException,
    /// 404, with `ResourceId` and `ResourceType`.
    ResourceNotFoundException,
}

impl ErrorCode {
    /// The error built with `message`, `resource` (for the errors that name one) and the
    /// fault's extra members.
    fn error(self, spec: &FaultSpec, message: String, resource: Resource) -> ApiError {
        match self {
            Self::ConflictException => ApiError::conflict(resource, message),
            Self::ResourceNotFoundException => ApiError::not_found(resource, message),
            Self::ThrottlingException => ApiError::Throttling {
                message,
                retry_after_seconds: spec.retry_after,
            },
            Self::InternalServerException => ApiError::InternalServer {
                message,
                retry_after_seconds: spec.retry_after,
            },
            Self::ServiceQuotaExceededException => ApiError::ServiceQuotaExceeded {
                message,
                quota_code: spec
                    .quota_code
                    .as_deref()
                    .unwrap_or(DEFAULT_QUOTA_CODE)
                    .to_owned(),
                service_code: spec
                    .service_code
                    .as_deref()
                    .unwrap_or(DEFAULT_SERVICE_CODE)
                    .to_owned(),
                // The resource members are optional here: sent only when the fault names them.
                resource: (spec.resource_id.is_some() || spec.resource_type.is_some())
                    .then_some(resource),
            },
            Self::ValidationException => ApiError::validation(message),
            Self::AccessDeniedException => ApiError::AccessDenied { message },
        }
    }

    /// The wire name and documented HTTP status, without building an error.
    fn describe(self) -> (&'static str, u16) {
        let sample = self.error(&FaultSpec::default(), String::new(), Resource::project(""));
        (sample.code(), sample.status().as_u16())
    }

    fn names_resource(self) -> bool {
        matches!(
            self,
            Self::ConflictException
                | Self::ResourceNotFoundException
                | Self::ServiceQuotaExceededException
        )
    }
}

/// A scripted fault as `POST /_emulator/faults` takes it (unknown members are rejected):
///
/// ```json
/// {"operation": "DeleteProject", "count": 3, "error": "ConflictException",
///  "message": "...", "status": 409}
/// ```
///
/// Exactly one of `error` and `drop`, or neither with a `delay`, says what happens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The operation whose calls it hits, by its service-model name.
    pub operation: String,
    /// How many calls it hits (at least 1).
    #[serde(default = "one")]
    pub count: u32,
    /// The error to answer with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCode>,
    /// The error's `Message`; defaults to `<error> injected for <operation>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The HTTP status; if given it must be the error's documented one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` seconds of a ThrottlingException or InternalServerException.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// `ResourceId`; defaults to the request's last URI label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// `ResourceType` (`PROJECT`, `DATASET`, `MODEL`, `TRIAL`, `MODEL_PACKAGE_JOB`);
    /// defaults to the one the operation is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// `QuotaCode` of a ServiceQuotaExceededException.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_code: Option<String>,
    /// `ServiceCode` of a ServiceQuotaExceededException.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_code: Option<String>,
    /// Close the connection without answering.
    #[serde(default, skip_serializing_if = "is_false")]
    pub drop: bool,
    /// With `drop`: run the call first, then close the connection without its answer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub after: bool,
    /// Wait this long (`500ms`, `2s`, …) before answering, dropping or running the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    /// Only calls whose raw path and query contain this string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// Only calls about this project (its URI label, or the project in a tagged ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

fn one() -> u32 {
    1
}

fn is_false(value: &bool) -> bool {
    !value
}

/// A scripted fault that cannot be armed; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidFault(String);

impl FaultSpec {
    /// Checks that the fault makes sense.
    pub fn check(&self) -> Result<(), InvalidFault> {
        self.problem().map_err(InvalidFault)
    }

    /// The first thing wrong with the fault, if any.
    fn problem(&self) -> Result<(), String> {
        if !OPERATIONS.contains(&self.operation.as_str()) {
            return Err(format!(
                "unknown operation {:?}; expected one of {}",
                self.operation,
                OPERATIONS.join(", ")
            ));
        }
        if self.count == 0 {
            return Err("count must be at least 1".to_owned());
        }
        if self.after && !self.drop {
            return Err("\"after\" goes with \"drop\": true".to_owned());
        }
        match (self.error, self.drop, &self.delay) {
            (Some(_), true, _) => return Err("error and drop cannot be combined".to_owned()),
            (None, false, None) => {
                return Err("give an error, \"drop\": true, or a delay".to_owned())
            }
            _ => {}
        }
        if let Some(delay) = &self.delay {
            parse_duration(delay)?;
        }
        let only_with = |present: bool, what: &str, allowed: &[ErrorCode]| {
            if present && !self.error.is_some_and(|code| allowed.contains(&code)) {
                let names: Vec<_> = allowed.iter().map(|code| code.describe().0).collect();
                Err(format!(
                    "{what} is only allowed with {}",
                    names.join(" or ")
                ))
            } else {
                Ok(())
            }
        };
        use ErrorCode as E;
        let every = [
            E::ConflictException,
            E::ThrottlingException,
            E::InternalServerException,
            E::ServiceQuotaExceededException,
            E::ValidationException,
            E::AccessDeniedException,
            E::ResourceNotFoundException,
        ];
        only_with(self.message.is_some(), "message", &every)?;
        only_with(self.status.is_some(), "status", &every)?;
        only_with(
            self.retry_after.is_some(),
            "retry_after",
            &[E::ThrottlingException, E::InternalServerException],
        )?;
        let naming: Vec<_> = every
            .into_iter()
            .filter(|code| code.names_resource())
            .collect();
        only_with(
            self.resource_id.is_some() || self.resource_type.is_some(),
            "resource_id/resource_type",
            &naming,
        )?;
        only_with(
            self.quota_code.is_some() || self.service_code.is_some(),
            "quota_code/service_code",
            &[E::ServiceQuotaExceededException],
        )?;
        if let (Some(code), Some(status)) = (self.error, self.status) {
            let (name, documented) = code.describe();
            if status != documented {
                return Err(format!(
                    "{name} is answered with HTTP {documented}, not {status}"
                ));
            }
        }
        if let Some(kind) = &self.resource_type {
            resource_type(kind)?;
        }
        Ok(())
    }

    /// Whether a call is one this fault hits.
    fn matches(&self, target: &Target<'_>) -> bool {
        self.operation == target.operation
            && self
                .path_contains
                .as_deref()
                .is_none_or(|part| target.path.contains(part))
            && self
                .project
                .as_deref()
                .is_none_or(|project| project_of(target.path).as_deref() == Some(project))
    }

    /// The delay before the call is answered.
    fn delay(&self) -> Duration {
        // Checked when armed, so a parse failure cannot happen here.
        self.delay
            .as_deref()
            .and_then(|delay| parse_duration(delay).ok())
            .unwrap_or_default()
    }

    /// What the fault does to the call, beyond delaying it.
    fn action(&self, target: &Target<'_>) -> Option<Action> {
        if self.drop {
            return Some(if self.after {
                Action::DropAfter
            } else {
                Action::Drop
            });
        }
        let code = self.error?;
        let message = self
            .message
            .clone()
            .unwrap_or_else(|| format!("{} injected for {}", code.describe().0, self.operation));
        let kind = self
            .resource_type
            .as_deref()
            .and_then(|kind| resource_type(kind).ok())
            .unwrap_or_else(|| default_resource_type(&self.operation));
        let id = self
            .resource_id
            .clone()
            .or_else(|| target.labels.last().cloned())
            .unwrap_or_default();
        Some(Action::Fail(code.error(
            self,
            message,
            Resource { id, kind },
        )))
    }
}

fn resource_type(name: &str) -> Result<ResourceType, String> {
    RESOURCE_TYPES
        .into_iter()
        .find(|kind| kind.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<_> = RESOURCE_TYPES.iter().map(|kind| kind.as_str()).collect();
            format!(
                "unknown resource_type {name:?}; expected one of {}",
                names.join(", ")
            )
        })
}

/// The resource an operation is about, as the emulator's own errors name it.
fn default_resource_type(operation: &str) -> ResourceType {
    if operation.contains("ModelPackaging") {
        ResourceType::ModelPackageJob
    } else if operation.contains("Dataset") {
        ResourceType::Dataset
    } else if operation.contains("Project") {
        ResourceType::Project
    } else {
        ResourceType::Model
    }
}

/// The project a raw path is about: the `{projectName}` label, or the project named in the
/// ARN of a tagging call.
fn project_of(path: &str) -> Option<String> {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let mut segments = path.strip_prefix(VERSION_PREFIX)?.split('/');
    let (collection, label) = (segments.next()?, segments.next()?);
    let label = percent_decode_str(label).decode_utf8_lossy();
    match collection {
        "projects" if !label.is_empty() => Some(label.into_owned()),
        "tags" => {
            let (_, resource) = label
                .split_once(":project/")
                .or_else(|| label.split_once(":model/"))?;
            Some(resource.split('/').next()?.to_owned())
        }
        _ => None,
    }
}

/// A scripted fault and how many more calls it hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptedFault {
    /// The fault as armed.
    pub fault: FaultSpec,
    /// How many more calls it hits.
    pub remaining: u32,
}

/// The API request a fault is decided for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The operation's name, or `UnknownOperation`.
    pub operation: &'a str,
    /// The decoded URI labels, in path order.
    pub labels: &'a [String],
    /// The raw path and query, as sent.
    pub path: &'a str,
}

/// What an injected fault does instead of running the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Answer with this error.
    Fail(ApiError),
    /// Close the connection without answering.
    Drop,
    /// Run the call, then close the connection without its answer.
    DropAfter,
}

/// An injected fault and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Injected {
    /// What it does.
    pub action: Action,
    /// What injected it.
    pub source: FaultSource,
}

/// What happens to one request once it has passed the signature check.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// How long a scripted fault makes it wait first.
    pub delay: Duration,
    /// The fault to inject instead of running the call, if any.
    pub injected: Option<Injected>,
}

/// The fault generators and the armed scripted faults; lives behind the emulator's lock.
#[derive(Debug, Clone)]
pub struct FaultState {
    outcomes: SplitMix64,
    jitter: SplitMix64,
    armed: Vec<ScriptedFault>,
}

impl FaultState {
    /// Fresh generators from `seed`, with `armed` faults (oldest first).
    pub fn new(seed: u64, armed: Vec<ScriptedFault>) -> Self {
        Self {
            outcomes: SplitMix64(seed),
            // A separate stream, so drawing jitter never shifts the fault outcomes.
            jitter: SplitMix64(SplitMix64(!seed).next_u64()),
            armed,
        }
    }

    /// Arms a fault after [checking](FaultSpec::check) it.
    pub fn arm(&mut self, fault: FaultSpec) -> Result<&ScriptedFault, InvalidFault> {
        fault.check()?;
        self.armed.push(ScriptedFault {
            remaining: fault.count,
            fault,
        });
        Ok(&self.armed[self.armed.len() - 1])
    }

    /// The armed faults, oldest first.
    pub fn armed(&self) -> &[ScriptedFault] {
        &self.armed
    }

    /// Disarms every scripted fault, returning how many there were.
    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.armed).len()
    }

    /// The delay to add before handling an API request: the configured latency plus its
    /// jitter, drawn from the jitter generator.
    pub fn latency(&mut self, random: &RandomFaults) -> Duration {
        if random.jitter.is_zero() {
            random.latency
        } else {
            random.latency + random.jitter.mul_f64(self.jitter.next_f64())
        }
    }

    /// Decides what happens to `target`: one draw per request from the outcome generator
    /// (so the sequence depends only on the seed and the request order), then the oldest
    /// matching scripted fault, which wins over a random one.
    pub fn decide(&mut self, random: &RandomFaults, target: &Target<'_>) -> Decision {
        let draw = self.outcomes.next_f64();
        let mut delay = Duration::ZERO;
        if let Some(index) = self
            .armed
            .iter()
            .position(|armed| armed.fault.matches(target))
        {
            let armed = &mut self.armed[index];
            armed.remaining -= 1;
            delay = armed.fault.delay();
            let action = armed.fault.action(target);
            if armed.remaining == 0 {
                self.armed.remove(index);
            }
            if let Some(action) = action {
                let source = FaultSource::Scripted;
                return Decision {
                    delay,
                    injected: Some(Injected { action, source }),
                };
            }
        }
        let rates = random.rates;
        let action = if draw < rates.server_error {
            Some(Action::Fail(ApiError::InternalServer {
                message: "InternalServerException injected at random".to_owned(),
                retry_after_seconds: None,
            }))
        } else if draw < rates.server_error + rates.throttling {
            Some(Action::Fail(ApiError::Throttling {
                message: "Rate exceeded (ThrottlingException injected at random)".to_owned(),
                retry_after_seconds: None,
            }))
        } else if draw < rates.server_error + rates.throttling + rates.drop {
            Some(Action::Drop)
        } else if draw < rates.server_error + rates.throttling + rates.drop + rates.drop_after {
            Some(Action::DropAfter)
        } else {
            None
        };
        Decision {
            delay,
            injected: action.map(|action| Injected {
                action,
                source: FaultSource::Random,
            }),
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, and its output for a seed is fixed by its
/// definition, so a seed reproduces the same faults on every build (`rand`'s generators do
/// not promise that across versions).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 53 bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: Value) -> Result<FaultSpec, String> {
        let spec: FaultSpec = serde_json::from_value(value).map_err(|err| err.to_string())?;
        spec.check().map(|()| spec).map_err(|err| err.to_string())
    }

    fn target<'a>(operation: &'a str, path: &'a str, labels: &'a [String]) -> Target<'a> {
        Target {
            operation,
            labels,
            path,
        }
    }

    #[test]
    fn splitmix64_matches_its_reference_output() {
        // The first outputs for seed 1234567 of the reference C implementation.
        let mut rng = SplitMix64(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn rates_must_be_probabilities_that_sum_to_at_most_one() {
        assert!(FaultRates::new(0.2, 0.3, 0.5).is_ok());
        assert_eq!(
            FaultRates::new(1.5, 0.0, 0.0),
            Err(FaultConfigError::RateOutOfRange {
                name: "500",
                value: 1.5
            })
        );
        assert!(FaultRates::new(0.0, f64::NAN, 0.0).is_err());
        assert!(matches!(
            FaultRates::new(0.5, 0.5, 0.1),
            Err(FaultConfigError::RatesAboveOne { .. })
        ));
        let three = FaultRates::new(0.3, 0.3, 0.3).unwrap();
        assert_eq!(three.with_drop_after(0.1).unwrap().drop_after(), 0.1);
        assert!(matches!(
            three.with_drop_after(0.2),
            Err(FaultConfigError::RatesAboveOne { .. })
        ));
        assert!(three.with_drop_after(-0.1).is_err());
    }

    #[test]
    fn random_outcomes_depend_only_on_the_seed_and_the_request_order() {
        let random = RandomFaults {
            seed: 7,
            rates: FaultRates::new(0.3, 0.3, 0.2)
                .and_then(|rates| rates.with_drop_after(0.1))
                .unwrap(),
            ..RandomFaults::default()
        };
        let outcomes = |jitter: Duration| {
            let mut state = FaultState::new(7, Vec::new());
            let random = RandomFaults { jitter, ..random };
            (0..200)
                .map(|_| {
                    let delay = state.latency(&random);
                    assert!(delay <= jitter, "{delay:?}");
                    let decision = state.decide(&random, &target("ListProjects", "/", &[]));
                    match decision.injected.map(|injected| injected.action) {
                        None => "ok",
                        Some(Action::Drop) => "drop",
                        Some(Action::DropAfter) => "drop after",
                        Some(Action::Fail(err)) => err.code(),
                    }
                })
                .collect::<Vec<_>>()
        };
        let first = outcomes(Duration::ZERO);
        assert_eq!(first, outcomes(Duration::ZERO));
        assert_eq!(
            first,
            outcomes(Duration::from_millis(5)),
            "jitter changed outcomes"
        );
        for kind in [
            "ok",
            "drop",
            "drop after",
            "InternalServerException",
            "ThrottlingException",
        ] {
            assert!(first.contains(&kind), "{kind} never drawn");
        }
    }

    #[test]
    fn scripted_faults_hit_the_next_calls_of_their_operation_then_disarm() {
        let mut state = FaultState::new(0, Vec::new());
        let random = RandomFaults::default();
        state
            .arm(spec(json!({"operation": "DeleteProject", "count": 2, "error": "ConflictException", "status": 409})).unwrap())
            .unwrap();
        let labels = ["p1".to_owned()];
        let delete = target("DeleteProject", "/2020-11-20/projects/p1", &labels);
        assert!(state
            .decide(
                &random,
                &target("CreateProject", "/2020-11-20/projects", &[])
            )
            .injected
            .is_none());
        for remaining in [1, 0] {
            let decision = state.decide(&random, &delete);
            let Some(Injected {
                action: Action::Fail(err),
                source,
            }) = decision.injected
            else {
                panic!("not faulted: {decision:?}");
            };
            assert_eq!(source, FaultSource::Scripted);
            assert_eq!(
                err,
                ApiError::conflict(
                    Resource::project("p1"),
                    "ConflictException injected for DeleteProject"
                )
            );
            assert_eq!(state.armed().len(), remaining);
        }
        assert!(state.decide(&random, &delete).injected.is_none());
    }

    #[test]
    fn scripted_faults_can_be_scoped_delayed_or_drop_and_build_full_errors() {
        let mut state = FaultState::new(0, Vec::new());
        let random = RandomFaults::default();
        state
            .arm(spec(json!({"operation": "TagResource", "project": "p2", "drop": true, "delay": "2s"})).unwrap())
            .unwrap();
        state
            .arm(spec(json!({"operation": "StartModel", "path_contains": "/models/3/", "error": "ServiceQuotaExceededException", "quota_code": "L-1"})).unwrap())
            .unwrap();
        let arn = |project: &str| {
            format!("/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A123456789012%3Amodel%2F{project}%2F1")
        };
        let (other, mine) = (arn("p1"), arn("p2"));
        assert!(state
            .decide(&random, &target("TagResource", &other, &[]))
            .injected
            .is_none());
        let decision = state.decide(&random, &target("TagResource", &mine, &[]));
        assert_eq!(decision.delay, Duration::from_secs(2));
        assert_eq!(decision.injected.unwrap().action, Action::Drop);

        let labels = ["p1".to_owned(), "3".to_owned()];
        assert!(state
            .decide(
                &random,
                &target(
                    "StartModel",
                    "/2020-11-20/projects/p1/models/2/start",
                    &labels
                )
            )
            .injected
            .is_none());
        let decision = state.decide(
            &random,
            &target(
                "StartModel",
                "/2020-11-20/projects/p1/models/3/start",
                &labels,
            ),
        );
        let Some(Action::Fail(err)) = decision.injected.map(|i| i.action) else {
            panic!()
        };
        assert_eq!(err.status().as_u16(), 402);
        assert_eq!(
            err.body(),
            json!({"Message": "ServiceQuotaExceededException injected for StartModel", "QuotaCode": "L-1", "ServiceCode": "lookoutvision"})
        );
    }

    #[test]
    fn nonsensical_faults_are_refused_with_a_reason() {
        let cases = [
            (
                json!({"operation": "DeleteProjects", "error": "ConflictException"}),
                "unknown operation",
            ),
            (json!({"operation": "DeleteProject"}), "give an error"),
            (
                json!({"operation": "DeleteProject", "count": 0, "drop": true}),
                "at least 1",
            ),
            (
                json!({"operation": "DeleteProject", "drop": true, "error": "ConflictException"}),
                "cannot be combined",
            ),
            (
                json!({"operation": "DeleteProject", "error": "ConflictException", "status": 400}),
                "HTTP 409, not 400",
            ),
            (
                json!({"operation": "DeleteProject", "error": "ConflictException", "retry_after": 2}),
                "retry_after is only allowed",
            ),
            (
                json!({"operation": "DeleteProject", "delay": "soon"}),
                "invalid duration",
            ),
            (
                json!({"operation": "DeleteProject", "error": "NopeException"}),
                "unknown variant",
            ),
            (
                json!({"operation": "DeleteProject", "drop": true, "extra": 1}),
                "unknown field",
            ),
            (
                json!({"operation": "DeleteProject", "error": "ConflictException", "resource_type": "BUCKET"}),
                "unknown resource_type",
            ),
        ];
        for (value, expected) in cases {
            let err = spec(value.clone()).unwrap_err();
            assert!(err.contains(expected), "{value}: {err}");
        }
    }

    #[test]
    fn every_error_code_has_its_documented_status() {
        let documented = [
            ("ConflictException", 409),
            ("ThrottlingException", 429),
            ("InternalServerException", 500),
            ("ServiceQuotaExceededException", 402),
            ("ValidationException", 400),
            ("AccessDeniedException", 403),
            ("ResourceNotFoundException", 404),
        ];
        for (name, status) in documented {
            let code: ErrorCode = serde_json::from_value(json!(name)).unwrap();
            assert_eq!(code.describe(), (name, status));
        }
    }

    #[test]
    fn projects_are_read_from_labels_and_tagged_arns() {
        assert_eq!(
            project_of("/2020-11-20/projects/p%2D1/models?x=1").as_deref(),
            Some("p-1")
        );
        assert_eq!(
            project_of("/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A1%3Aproject%2Fp9")
                .as_deref(),
            Some("p9")
        );
        assert_eq!(project_of("/2020-11-20/projects"), None);
        assert_eq!(project_of("/elsewhere/projects/p1"), None);
    }
}
