//! One function per API operation: read and validate the input, then run it against the
//! state through the [`Service`].

mod projects;
mod shapes;

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
    }
}
