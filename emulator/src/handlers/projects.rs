//! CreateProject, DescribeProject, ListProjects and DeleteProject.

use serde::Deserialize;
use serde_json::json;

use super::run_idempotent;
use super::shapes::{project_description, project_metadata};
use crate::error::{ApiError, Resource};
use crate::pagination::{PageRequest, Scope};
use crate::request::ApiRequest;
use crate::response::Reply;
use crate::routes::Operation;
use crate::service::Service;
use crate::validate::{Validator, PROJECT_NAME};

#[derive(Debug, Default, Deserialize)]
struct CreateProjectInput {
    #[serde(rename = "ProjectName")]
    project_name: Option<String>,
}

/// `POST /2020-11-20/projects`
pub fn create(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let input: CreateProjectInput = request.json_body()?;
    let mut v = Validator::new();
    let name = v.required("projectName", input.project_name.as_deref(), &PROJECT_NAME);
    let arn = service.config.project_arn(name);
    run_idempotent(
        service,
        request,
        v,
        Operation::CreateProject,
        Resource::project(name),
        |state, now| {
            service.config.quotas.check_create_project(state, name)?;
            let project = state.create_project(name, arn, now)?;
            Ok(Reply::ok(
                json!({ "ProjectMetadata": project_metadata(project) }),
            ))
        },
    )
}

/// `GET /2020-11-20/projects/{projectName}`
pub fn describe(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let name = v.string("projectName", request.label(0), &PROJECT_NAME);
    v.finish()?;
    service.read(|state| {
        let project = state.project(name)?;
        Ok(Reply::ok(
            json!({ "ProjectDescription": project_description(project) }),
        ))
    })
}

/// `GET /2020-11-20/projects?nextToken=&maxResults=`
pub fn list(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let page_request = PageRequest::from_query(request, &mut v);
    v.finish()?;
    service.read(|state| {
        let scope = Scope {
            operation: Operation::ListProjects,
            parent: "",
        };
        let projects = state
            .projects
            .iter()
            .map(|(name, project)| (name.clone(), project_metadata(project)));
        let page = service.paginator.page(scope, &page_request, projects)?;
        Ok(Reply::ok(page.into_output("Projects")))
    })
}

/// `DELETE /2020-11-20/projects/{projectName}`
pub fn delete(service: &Service, request: &ApiRequest) -> Result<Reply, ApiError> {
    let mut v = Validator::new();
    let name = v.string("projectName", request.label(0), &PROJECT_NAME);
    run_idempotent(
        service,
        request,
        v,
        Operation::DeleteProject,
        Resource::project(name),
        |state, _| {
            let project = state.delete_project(name)?;
            Ok(Reply::ok(json!({ "ProjectArn": project.arn })))
        },
    )
}
