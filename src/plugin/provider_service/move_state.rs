//! MoveResourceState: refused, as the server capabilities announce.

use super::{convert, pb};
use crate::framework::diag::Diagnostic;

/// MoveResourceState: this provider has no resource type that another's state can become.
pub(super) fn refuse(req: &pb::move_resource_state::Request) -> pb::move_resource_state::Response {
    let diag = Diagnostic::error(
        "Moving resources between types is not supported",
        format!(
            "{} cannot be moved to {}: this provider does not support `moved` blocks across \
             resource types. Remove the `moved` block and import the object instead.",
            req.source_type_name, req.target_type_name
        ),
    );
    pb::move_resource_state::Response {
        diagnostics: convert::diagnostics(&diag.into()),
        ..Default::default()
    }
}
