//! ValidateDataResourceConfig and ReadDataSource: the provider has no data sources, so both
//! explain that to whoever declared one.

use super::{convert, pb};
use crate::framework::diag::Diagnostic;

/// ValidateDataResourceConfig.
pub(super) fn validate(
    req: &pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    pb::validate_data_resource_config::Response {
        diagnostics: convert::diagnostics(&no_data_source(&req.type_name).into()),
    }
}

/// ReadDataSource.
pub(super) fn read(req: &pb::read_data_source::Request) -> pb::read_data_source::Response {
    pb::read_data_source::Response {
        diagnostics: convert::diagnostics(&no_data_source(&req.type_name).into()),
        ..Default::default()
    }
}

fn no_data_source(type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown data source {type_name}"),
        format!(
            "This provider has no data sources. Remove the `data {type_name:?}` block; to use an \
             existing object, import it as a resource instead."
        ),
    )
}
