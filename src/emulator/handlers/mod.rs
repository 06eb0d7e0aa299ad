//! One function per API operation: read and validate the input, then run it against the
//! state through the [`Service`].

mod datasets;
mod models;
mod packaging;
mod projects;
mod shapes;
mod tags;

use super::error::ApiError;
use super::request::ApiRequest;
use super::response::Reply;
use super::routes::Operation;
use super::service::Service;

/// Runs `operation` for `request`.
pub fn dispatch(
    service: &Service,
    operation: Operation,
    request: &ApiRequest,
) -> Result<Reply, ApiError> {
    match operation {
        Operation::CreateProject => projects::create(service, request),
        Operation::DescribeProject => projects::describe(service, request),
        Operation::ListProjects => projects::list(service, request),
        Operation::DeleteProject => projects::delete(service, request),
        Operation::CreateDataset => datasets::create(service, request),
        Operation::DescribeDataset => datasets::describe(service, request),
        Operation::DeleteDataset => datasets::delete(service, request),
        Operation::ListDatasetEntries => datasets::list_entries(service, request),
        Operation::UpdateDatasetEntries => datasets::update_entries(service, request),
        Operation::CreateModel => models::create(service, request),
        Operation::DescribeModel => models::describe(service, request),
        Operation::ListModels => models::list(service, request),
        Operation::DeleteModel => models::delete(service, request),
        Operation::StartModel => models::start(service, request),
        Operation::StopModel => models::stop(service, request),
        Operation::DetectAnomalies => models::detect(service, request),
        Operation::StartModelPackagingJob => packaging::start(service, request),
        Operation::DescribeModelPackagingJob => packaging::describe(service, request),
        Operation::ListModelPackagingJobs => packaging::list(service, request),
        Operation::TagResource => tags::tag(service, request),
        Operation::UntagResource => tags::untag(service, request),
        Operation::ListTagsForResource => tags::list(service, request),
    }
}
