//! Which model statuses the next plan finishes or replaces (see [`crate::resources::unfinished`]):
//! a model recorded while it trained or started or stopped hosting is waited for (and then
//! hosted if the configuration asks), one whose hosting failed is started again, one whose
//! training failed is replaced.

use aws_sdk_lookoutvision::types::{ModelDescription, ModelStatus};

use super::lifecycle::status_of;
use super::state::{
    Key, EVALUATION_END_TIMESTAMP, EVALUATION_MANIFEST, EVALUATION_RESULT, MIN_INFERENCE_UNITS,
    PERFORMANCE, STATUS, STATUS_MESSAGE,
};
use crate::framework::diag::Diagnostic;
use crate::framework::plan::Planned;
use crate::framework::value::Value;
use crate::resources::unfinished::{self, NextStep};

/// Whether a model in `status` is in the middle of a change that ends by itself.
pub(super) fn is_changing(status: Option<&ModelStatus>) -> bool {
    matches!(
        status,
        Some(
            ModelStatus::Training
                | ModelStatus::StartingHosting
                | ModelStatus::StoppingHosting
                | ModelStatus::SystemUpdating
        )
    )
}

fn next_step(status: Option<&ModelStatus>, wants_hosting: bool) -> NextStep {
    match status {
        Some(ModelStatus::TrainingFailed) => NextStep::Replace,
        // The service updates hosted models itself; that is not a change this apply made.
        Some(ModelStatus::SystemUpdating) => NextStep::Nothing,
        status if is_changing(status) => NextStep::Finish,
        Some(ModelStatus::HostingFailed) if wants_hosting => NextStep::Finish,
        _ => NextStep::Nothing,
    }
}

/// The attributes that change when a model's change finishes, its status first.
const OUTCOME: [&str; 6] = [
    STATUS,
    STATUS_MESSAGE,
    EVALUATION_END_TIMESTAMP,
    PERFORMANCE,
    EVALUATION_MANIFEST,
    EVALUATION_RESULT,
];

/// Adjusts the update `plan` of the model `prior` (null on create) for a change it recorded
/// unfinished.
pub(super) fn plan(prior: &Value, plan: &mut Planned) {
    if prior.is_null() {
        return;
    }
    let status = prior.get(STATUS).as_str().map(ModelStatus::from);
    let wants_hosting = !plan.state.get(MIN_INFERENCE_UNITS).is_null();
    unfinished::plan(next_step(status.as_ref(), wants_hosting), &OUTCOME, plan);
}

/// The error of an update that found the model's training failed (after an interrupted apply).
pub(super) fn training_failed(key: &Key, model: &ModelDescription) -> Diagnostic {
    let message = model
        .status_message()
        .map(|m| format!(" The service says: {m}"))
        .unwrap_or_default();
    Diagnostic::error(
        format!("Training of {} failed", key.subject()),
        format!(
            "{} ended with status {} while no apply waited for it.{message} A model whose \
             training failed cannot be trained again: run `terraform apply` again and Terraform \
             replaces it with a new version. Check the project's datasets first (their \
             `image_stats`): training needs enough labeled images, both normal and anomalous.",
            key.subject(),
            status_of(model)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(status: &str, units: Option<i64>) -> (Value, Planned) {
        let state = Value::object([
            (STATUS, status.into()),
            (STATUS_MESSAGE, "recorded".into()),
            (MIN_INFERENCE_UNITS, units.map_or(Value::Null, Value::from)),
        ]);
        let planned = Planned {
            state: state.clone(),
            requires_replace: Vec::new(),
        };
        (state, planned)
    }

    #[test]
    fn a_model_recorded_mid_change_is_planned_to_be_finished() {
        for status in ["TRAINING", "STARTING_HOSTING", "STOPPING_HOSTING"] {
            let (prior, mut planned) = recorded(status, Some(1));
            plan(&prior, &mut planned);
            assert_eq!(planned.state.get(STATUS), &Value::Unknown, "{status}");
            assert_eq!(planned.state.get(STATUS_MESSAGE), &Value::Unknown);
            assert!(planned.requires_replace.is_empty(), "{status}");
        }
    }

    #[test]
    fn a_failed_training_is_replaced_and_a_failed_hosting_restarted_if_wanted() {
        use crate::framework::diag::AttributePath;

        let (prior, mut planned) = recorded("TRAINING_FAILED", None);
        plan(&prior, &mut planned);
        assert_eq!(planned.requires_replace, [AttributePath::root(STATUS)]);
        assert_eq!(planned.state.get(STATUS), &Value::Unknown);

        let (prior, mut planned) = recorded("HOSTING_FAILED", Some(1));
        plan(&prior, &mut planned);
        assert_eq!(planned.state.get(STATUS), &Value::Unknown);
        assert!(planned.requires_replace.is_empty());

        // Not asked to host: a model whose hosting failed is a trained model.
        let (prior, mut planned) = recorded("HOSTING_FAILED", None);
        plan(&prior, &mut planned);
        assert_eq!(planned.state, prior);
    }

    #[test]
    fn settled_models_and_creates_plan_nothing_more() {
        for (status, units) in [
            ("TRAINED", None),
            ("HOSTED", Some(1)),
            ("SYSTEM_UPDATING", Some(1)),
        ] {
            let (prior, mut planned) = recorded(status, units);
            plan(&prior, &mut planned);
            assert_eq!(planned.state, prior, "{status}");
            assert!(planned.requires_replace.is_empty(), "{status}");
        }
        let (_, mut planned) = recorded("TRAINING", None);
        let before = planned.clone();
        plan(&Value::Null, &mut planned);
        assert_eq!(planned, before, "a create is left alone");
    }

    #[test]
    fn a_failed_training_found_by_an_update_says_the_next_apply_replaces_it() {
        let model = ModelDescription::builder()
            .status(ModelStatus::TrainingFailed)
            .status_message("Not enough anomalous images")
            .build();
        let diag = training_failed(&Key::new("boards", "1"), &model);
        assert_eq!(
            diag.summary,
            r#"Training of lookoutvision_model "boards:1" failed"#
        );
        assert!(diag.detail.contains("status TRAINING_FAILED"), "{diag:?}");
        assert!(
            diag.detail
                .contains("The service says: Not enough anomalous images"),
            "{diag:?}"
        );
        assert!(diag.detail.contains("Terraform replaces it"), "{diag:?}");
    }
}
