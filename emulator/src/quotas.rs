//! Service quotas: how many projects, model versions, trainings, inference units, running
//! models and packaging jobs an account may have, and the ServiceQuotaExceededException
//! (402) for going past one. AWS published no numbers or quota codes for Lookout for Vision
//! (see `docs/guides/emulator.md`), so the defaults and codes are the emulator's own; every quota
//! is a flag.

use crate::error::{ApiError, Resource};
use crate::state::{ModelStatus, State};

/// The Service Quotas service code of Lookout for Vision.
pub const SERVICE_CODE: &str = "lookoutvision";

/// The limits the emulator enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Projects in the account (CreateProject).
    pub projects: usize,
    /// Model versions in one project, including those being deleted (CreateModel).
    pub models_per_project: usize,
    /// Models training at once, across the account (CreateModel).
    pub concurrent_trainings: usize,
    /// Inference units one model may be started with, minimum or maximum (StartModel).
    pub inference_units: u32,
    /// Models starting, running or stopping at once, across the account (StartModel).
    pub running_models: usize,
    /// Model packaging jobs created or running at once, across the account
    /// (StartModelPackagingJob).
    pub concurrent_packaging_jobs: usize,
}

impl Default for Quotas {
    /// Generous enough for any test suite's stacks, small enough that a runaway loop or a
    /// mistyped unit count meets them.
    fn default() -> Self {
        Self {
            projects: 1_000,
            models_per_project: 1_000,
            concurrent_trainings: 100,
            inference_units: 100,
            running_models: 100,
            concurrent_packaging_jobs: 100,
        }
    }
}

/// One quota: its code and what it counts, for the error message.
struct Quota {
    code: &'static str,
    what: &'static str,
}

const PROJECTS: Quota = Quota {
    code: "L-4C560001",
    what: "projects in this account",
};
const MODELS_PER_PROJECT: Quota = Quota {
    code: "L-4C560002",
    what: "model versions in a project",
};
const CONCURRENT_TRAININGS: Quota = Quota {
    code: "L-4C560003",
    what: "models training at the same time in this account",
};
const INFERENCE_UNITS: Quota = Quota {
    code: "L-4C560004",
    what: "inference units for one model",
};
const RUNNING_MODELS: Quota = Quota {
    code: "L-4C560005",
    what: "models starting, running or stopping at the same time in this account",
};
const CONCURRENT_PACKAGING_JOBS: Quota = Quota {
    code: "L-4C560006",
    what: "model packaging jobs in progress at the same time in this account",
};

fn exceeded(quota: &Quota, limit: impl std::fmt::Display, resource: Resource) -> ApiError {
    ApiError::ServiceQuotaExceeded {
        message: format!(
            "You have reached the quota of {limit} {} (quota code {}).",
            quota.what, quota.code
        ),
        quota_code: quota.code.to_owned(),
        service_code: SERVICE_CODE.to_owned(),
        resource: Some(resource),
    }
}

impl Quotas {
    /// Before CreateProject `name`.
    pub fn check_create_project(&self, state: &State, name: &str) -> Result<(), ApiError> {
        if state.projects.len() >= self.projects && !state.projects.contains_key(name) {
            return Err(exceeded(&PROJECTS, self.projects, Resource::project(name)));
        }
        Ok(())
    }

    /// Before CreateModel in `project`.
    pub fn check_create_model(&self, state: &State, project: &str) -> Result<(), ApiError> {
        let models = state.project(project)?.models.len();
        if models >= self.models_per_project {
            return Err(exceeded(
                &MODELS_PER_PROJECT,
                self.models_per_project,
                Resource::project(project),
            ));
        }
        if state.models_changing_to(ModelStatus::Training) >= self.concurrent_trainings {
            return Err(exceeded(
                &CONCURRENT_TRAININGS,
                self.concurrent_trainings,
                Resource::project(project),
            ));
        }
        Ok(())
    }

    /// Before StartModel of `version` with `min` (and `max`) inference units.
    pub fn check_start_model(
        &self,
        state: &State,
        version: &str,
        min: u32,
        max: Option<u32>,
    ) -> Result<(), ApiError> {
        if min.max(max.unwrap_or(0)) > self.inference_units {
            return Err(exceeded(
                &INFERENCE_UNITS,
                self.inference_units,
                Resource::model(version),
            ));
        }
        if state.running_models() >= self.running_models {
            return Err(exceeded(
                &RUNNING_MODELS,
                self.running_models,
                Resource::model(version),
            ));
        }
        Ok(())
    }

    /// Before StartModelPackagingJob for `version`.
    pub fn check_start_packaging_job(&self, state: &State, version: &str) -> Result<(), ApiError> {
        if state.packaging_jobs_in_progress() >= self.concurrent_packaging_jobs {
            return Err(exceeded(
                &CONCURRENT_PACKAGING_JOBS,
                self.concurrent_packaging_jobs,
                Resource::model(version),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn projects_past_the_quota_are_refused_with_its_codes() {
        let clock = ManualClock::default();
        let mut state = State::default();
        let quotas = Quotas {
            projects: 2,
            ..Quotas::default()
        };
        for name in ["a", "b"] {
            quotas.check_create_project(&state, name).unwrap();
            state
                .create_project(name, format!("arn:{name}"), clock.now())
                .unwrap();
        }
        // A name that exists is the ConflictException's business, not the quota's.
        quotas.check_create_project(&state, "a").unwrap();
        let err = quotas.check_create_project(&state, "c").unwrap_err();
        assert_eq!(err.code(), "ServiceQuotaExceededException");
        assert_eq!(err.status().as_u16(), 402);
        assert_eq!(
            err.message(),
            "You have reached the quota of 2 projects in this account (quota code L-4C560001)."
        );
        let ApiError::ServiceQuotaExceeded {
            quota_code,
            service_code,
            ..
        } = err
        else {
            unreachable!()
        };
        assert_eq!(
            (quota_code.as_str(), service_code.as_str()),
            ("L-4C560001", "lookoutvision")
        );
    }

    #[test]
    fn inference_units_count_the_larger_of_minimum_and_maximum() {
        let state = State::default();
        let quotas = Quotas {
            inference_units: 4,
            ..Quotas::default()
        };
        quotas.check_start_model(&state, "1", 4, Some(4)).unwrap();
        for (min, max) in [(5, None), (1, Some(5))] {
            let err = quotas.check_start_model(&state, "1", min, max).unwrap_err();
            assert!(
                err.message().contains("4 inference units for one model"),
                "{err}"
            );
        }
    }
}
