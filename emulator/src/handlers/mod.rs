//! One function per API operation: read and validate the input, then run it against the
//! state through the [`Service`].

mod datasets;
mod models;
mod packaging;
mod projects;
mod shapes;
mod tags;

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::clock::Timestamp;
use super::error::{ApiError, Resource};
use super::pagination::{PageRequest, Scope};
use super::request::ApiRequest;
use super::response::Reply;
use super::routes::Operation;
use super::service::Service;
use super::state::{Project, State};
use super::validate::{Validator, PROJECT_NAME};

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

/// The end of every mutating call that takes a client token: reads the token into `v` (the
/// last member checked), finishes validation, and runs `call` for `operation` through
/// [`Service::idempotent`], which answers a repeat of the call from its first answer and a
/// token reused with other input with a ConflictException about `resource`.
/// Runs `work` that takes long on the CPU or the disk (training, a manifest's images) so that
/// the other requests on this runtime thread move elsewhere meanwhile. Only a multi-threaded
/// runtime (the binary's) can do that; on another (a test's) it simply runs.
fn heavy<R>(work: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let multi_threaded = Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi_threaded {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

fn run_idempotent(
    service: &Service,
    request: &ApiRequest,
    mut v: Validator,
    operation: Operation,
    resource: Resource,
    call: impl FnOnce(&mut State, Timestamp) -> Result<Reply, ApiError>,
) -> Result<Reply, ApiError> {
    let token = request.client_token(&mut v);
    v.finish()?;
    service.idempotent(
        operation,
        token.as_deref(),
        request.fingerprint(),
        resource,
        call,
    )
}

/// `GET /2020-11-20/projects/{projectName}/...?maxResults=&nextToken=` of a list the
/// project holds by key (its models or its packaging jobs): the page `member` of the
/// `children` map, each shown by `shape` (which also gets the project name). Page tokens are
/// scoped to `operation` and the project, so one project's token does not page another's.
fn list_in_project<K, V>(
    service: &Service,
    request: &ApiRequest,
    operation: Operation,
    member: &str,
    children: fn(&Project) -> &BTreeMap<K, V>,
    shape: fn(&str, &V) -> Value,
) -> Result<Reply, ApiError>
where
    K: Ord + Clone + Serialize + DeserializeOwned,
{
    let mut v = Validator::new();
    let project = v.string("projectName", request.label(0), &PROJECT_NAME);
    let page_request = PageRequest::from_query(request, &mut v);
    v.finish()?;
    service.read(|state| {
        let children = children(state.project(project)?);
        let scope = Scope {
            operation,
            parent: project,
        };
        let items = children
            .iter()
            .map(|(key, child)| (key.clone(), shape(project, child)));
        let page = service.paginator.page(scope, &page_request, items)?;
        Ok(Reply::ok(page.into_output(member)))
    })
}
