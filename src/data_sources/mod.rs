//! The Lookout for Vision data sources: projects, datasets and models read, never managed.
//!
//! They read through the same helpers as the resources (`resources::project::describe_project`,
//! `resources::dataset::describe_dataset`, `resources::model::describe_with_tags`) and show an
//! object with the resource's attribute names and descriptions. A data source never waits: an
//! object that is still changing (a dataset importing, a model training) is reported with its
//! current status.

use crate::aws::ApiError;
use crate::framework::data_source::not_found;
use crate::framework::diag::Diagnostic;
use crate::framework::value::Value;
use crate::resources::typed::Typed;
use crate::resources::{api_failure, Action, Subject};

pub mod dataset;
pub mod model;
pub mod project;

pub use dataset::DatasetDataSource;
pub use model::{ModelDataSource, ModelsDataSource};
pub use project::{ProjectDataSource, ProjectsDataSource};

/// The diagnostic for a read of data source `type_name` that failed: a missing object says what
/// was looked for (`what`, e.g. `project "boards"`) and `advice`; anything else quotes the
/// service, naming the data source and `id`.
fn read_failure(
    type_name: &'static str,
    id: &str,
    what: &str,
    advice: &str,
    err: &ApiError,
) -> Diagnostic {
    if err.is_not_found() {
        not_found(type_name, what, advice)
    } else {
        api_failure(Action::Read, Subject::Existing { type_name, id }, err, None)
    }
}

/// Reads the configuration of data source `type_name` into `T`, or explains why it cannot.
fn query<T: Typed>(type_name: &str, config: &Value) -> Result<T, Diagnostic> {
    T::read(config).map_err(|err| err.diagnostic(type_name))
}
