//! Objects the state recorded in the middle of a change (an apply interrupted while a dataset
//! imported or a model trained), or whose change failed while nobody watched. The next plan
//! does not call such an object converged: it plans an update that finishes the change (the
//! apply waits for it) or, after a failure that cannot be undone, a replacement. Each resource
//! says which of its statuses need what; this puts it into the plan.

use crate::framework::diag::AttributePath;
use crate::framework::plan::Planned;
use crate::framework::value::Value;

/// What the next apply must do for an object, judged from its recorded status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NextStep {
    /// Nothing beyond what the configuration's differences call for.
    Nothing,
    /// Wait for the change under way (or start again what failed but can be retried).
    Finish,
    /// Replace the object: its change failed, and the service cannot repeat it on that object.
    Replace,
}

/// Puts `step` into the update `plan`: the attributes a finished change sets (`outcome`, the
/// first of which is the status) become unknown, which makes Terraform plan an update, and a
/// replacement is attributed to the status.
pub(crate) fn plan(step: NextStep, outcome: &[&str], plan: &mut Planned) {
    if step == NextStep::Nothing || plan.state.is_null() {
        return;
    }
    for attribute in outcome {
        plan.state.set(attribute, Value::Unknown);
    }
    if step == NextStep::Replace {
        let path = AttributePath::root(outcome[0]);
        if !plan.requires_replace.contains(&path) {
            plan.requires_replace.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded() -> Planned {
        Planned {
            state: Value::object([("status", "BUSY".into()), ("note", "recorded".into())]),
            requires_replace: Vec::new(),
        }
    }

    #[test]
    fn finishing_makes_the_outcome_unknown_and_replacing_names_the_status() {
        let mut planned = recorded();
        plan(NextStep::Nothing, &["status", "note"], &mut planned);
        assert_eq!(planned, recorded());

        plan(NextStep::Finish, &["status", "note"], &mut planned);
        assert_eq!(planned.state.get("status"), &Value::Unknown);
        assert_eq!(planned.state.get("note"), &Value::Unknown);
        assert!(planned.requires_replace.is_empty());

        let mut planned = recorded();
        plan(NextStep::Replace, &["status"], &mut planned);
        plan(NextStep::Replace, &["status"], &mut planned);
        assert_eq!(planned.state.get("status"), &Value::Unknown);
        assert_eq!(planned.state.get("note").as_str(), Some("recorded"));
        assert_eq!(planned.requires_replace, [AttributePath::root("status")]);

        let mut destroyed = Planned {
            state: Value::Null,
            requires_replace: Vec::new(),
        };
        plan(NextStep::Replace, &["status"], &mut destroyed);
        assert!(destroyed.requires_replace.is_empty());
    }
}
