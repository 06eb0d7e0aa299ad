//! Moves across resource types (`moved` blocks whose `from` is another type, possibly of
//! another provider): what the target resource type receives, and the error for a source it
//! does not accept.
//!
//! Terraform sends the source's stored state as it is, never upgraded by the source provider,
//! so a resource that accepts a move reads every schema version of its source it may meet.

use serde_json::Value as Json;

use super::diag::Diagnostic;

/// The object a `moved` block moves, as Terraform stored it.
#[derive(Clone, Copy, Debug)]
pub struct MoveSource<'a> {
    /// The source provider's address, e.g. `registry.terraform.io/hashicorp/awscc`.
    pub provider_address: &'a str,
    /// The source resource type, e.g. `awscc_lookoutvision_project`.
    pub type_name: &'a str,
    /// The schema version the source provider wrote the state with.
    pub schema_version: i64,
    /// The stored attributes (a JSON object).
    pub state: &'a Json,
    /// The stored identity, if Terraform holds one.
    pub identity: Option<&'a Json>,
}

impl MoveSource<'_> {
    /// The string attribute `name` of the stored state.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.state.get(name).and_then(Json::as_str)
    }
}

/// The error for a move into `target` from a `source` it does not accept; `supported` lists
/// the sources it does (as "TYPE of PROVIDER").
pub fn unsupported_move(target: &str, source: &MoveSource<'_>, supported: &[&str]) -> Diagnostic {
    let accepted = if supported.is_empty() {
        format!("{target} accepts no `moved` block from another resource type")
    } else {
        format!("{target} can only be moved from {}", supported.join(" or "))
    };
    Diagnostic::error(
        format!("Cannot move {} to {target}", source.type_name),
        format!(
            "{accepted}; this `moved` block moves {} of {}. Remove the `moved` block, and adopt \
             the object with an `import` block instead.",
            source.type_name, source.provider_address
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsupported_move_names_the_source_and_what_is_supported() {
        let state = serde_json::json!({"id": "x"});
        let source = MoveSource {
            provider_address: "registry.terraform.io/hashicorp/aws",
            type_name: "aws_s3_bucket",
            schema_version: 0,
            state: &state,
            identity: None,
        };
        let diag = unsupported_move("x_thing", &source, &["x_old of example/x"]);
        assert_eq!(diag.summary, "Cannot move aws_s3_bucket to x_thing");
        assert!(diag.detail.starts_with(
            "x_thing can only be moved from x_old of example/x; this `moved` block moves \
             aws_s3_bucket of registry.terraform.io/hashicorp/aws."
        ));
        let none = unsupported_move("x_thing", &source, &[]);
        assert!(none
            .detail
            .starts_with("x_thing accepts no `moved` block from another resource type;"));
        assert_eq!(source.text("id"), Some("x"));
    }
}
