//! Maps a method and raw path to an API operation.
//!
//! Routing works on the raw, still percent-encoded path and decodes each label only after
//! the route is known: AWS SDKs encode `/` inside a label as `%2F` (tag ARNs rely on it), so
//! decoding first would split one label into several segments.

use std::fmt;

use axum::http::Method;
use percent_encoding::percent_decode_str;

/// The API version prefix every operation's path starts with.
const VERSION_PREFIX: &str = "/2020-11-20/";

/// An operation the emulator implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /2020-11-20/projects`
    CreateProject,
    /// `GET /2020-11-20/projects/{projectName}`
    DescribeProject,
    /// `GET /2020-11-20/projects`
    ListProjects,
    /// `DELETE /2020-11-20/projects/{projectName}`
    DeleteProject,
    /// `POST /2020-11-20/projects/{projectName}/datasets`
    CreateDataset,
    /// `GET /2020-11-20/projects/{projectName}/datasets/{datasetType}`
    DescribeDataset,
    /// `DELETE /2020-11-20/projects/{projectName}/datasets/{datasetType}`
    DeleteDataset,
    /// `GET /2020-11-20/projects/{projectName}/datasets/{datasetType}/entries`
    ListDatasetEntries,
    /// `PATCH /2020-11-20/projects/{projectName}/datasets/{datasetType}/entries`
    UpdateDatasetEntries,
    /// `POST /2020-11-20/projects/{projectName}/models`
    CreateModel,
    /// `GET /2020-11-20/projects/{projectName}/models/{modelVersion}`
    DescribeModel,
    /// `GET /2020-11-20/projects/{projectName}/models`
    ListModels,
    /// `DELETE /2020-11-20/projects/{projectName}/models/{modelVersion}`
    DeleteModel,
    /// `POST /2020-11-20/projects/{projectName}/models/{modelVersion}/start`
    StartModel,
    /// `POST /2020-11-20/projects/{projectName}/models/{modelVersion}/stop`
    StopModel,
    /// `POST /2020-11-20/projects/{projectName}/models/{modelVersion}/detect`
    DetectAnomalies,
    /// `POST /2020-11-20/projects/{projectName}/modelpackagingjobs`
    StartModelPackagingJob,
    /// `GET /2020-11-20/projects/{projectName}/modelpackagingjobs/{jobName}`
    DescribeModelPackagingJob,
    /// `GET /2020-11-20/projects/{projectName}/modelpackagingjobs`
    ListModelPackagingJobs,
    /// `POST /2020-11-20/tags/{resourceArn}`
    TagResource,
    /// `DELETE /2020-11-20/tags/{resourceArn}`
    UntagResource,
    /// `GET /2020-11-20/tags/{resourceArn}`
    ListTagsForResource,
}

impl Operation {
    /// The operation's name in the service model.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateProject => "CreateProject",
            Self::DescribeProject => "DescribeProject",
            Self::ListProjects => "ListProjects",
            Self::DeleteProject => "DeleteProject",
            Self::CreateDataset => "CreateDataset",
            Self::DescribeDataset => "DescribeDataset",
            Self::DeleteDataset => "DeleteDataset",
            Self::ListDatasetEntries => "ListDatasetEntries",
            Self::UpdateDatasetEntries => "UpdateDatasetEntries",
            Self::CreateModel => "CreateModel",
            Self::DescribeModel => "DescribeModel",
            Self::ListModels => "ListModels",
            Self::DeleteModel => "DeleteModel",
            Self::StartModel => "StartModel",
            Self::StopModel => "StopModel",
            Self::DetectAnomalies => "DetectAnomalies",
            Self::StartModelPackagingJob => "StartModelPackagingJob",
            Self::DescribeModelPackagingJob => "DescribeModelPackagingJob",
            Self::ListModelPackagingJobs => "ListModelPackagingJobs",
            Self::TagResource => "TagResource",
            Self::UntagResource => "UntagResource",
            Self::ListTagsForResource => "ListTagsForResource",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The operation for `method` and the raw `path`, with its percent-decoded URI labels in
/// path order; `None` when nothing matches (including an empty label).
pub fn resolve(method: &Method, path: &str) -> Option<(Operation, Vec<String>)> {
    use Operation as Op;
    let segments: Vec<&str> = path.strip_prefix(VERSION_PREFIX)?.split('/').collect();
    let (operation, labels): (Operation, Vec<&str>) = match (method.as_str(), segments.as_slice()) {
        ("POST", &["projects"]) => (Op::CreateProject, vec![]),
        ("GET", &["projects"]) => (Op::ListProjects, vec![]),
        ("GET", &["projects", p]) => (Op::DescribeProject, vec![p]),
        ("DELETE", &["projects", p]) => (Op::DeleteProject, vec![p]),
        ("POST", &["projects", p, "datasets"]) => (Op::CreateDataset, vec![p]),
        ("GET", &["projects", p, "datasets", t]) => (Op::DescribeDataset, vec![p, t]),
        ("DELETE", &["projects", p, "datasets", t]) => (Op::DeleteDataset, vec![p, t]),
        ("GET", &["projects", p, "datasets", t, "entries"]) => (Op::ListDatasetEntries, vec![p, t]),
        ("PATCH", &["projects", p, "datasets", t, "entries"]) => {
            (Op::UpdateDatasetEntries, vec![p, t])
        }
        ("POST", &["projects", p, "models"]) => (Op::CreateModel, vec![p]),
        ("GET", &["projects", p, "models"]) => (Op::ListModels, vec![p]),
        ("GET", &["projects", p, "models", v]) => (Op::DescribeModel, vec![p, v]),
        ("DELETE", &["projects", p, "models", v]) => (Op::DeleteModel, vec![p, v]),
        ("POST", &["projects", p, "models", v, "start"]) => (Op::StartModel, vec![p, v]),
        ("POST", &["projects", p, "models", v, "stop"]) => (Op::StopModel, vec![p, v]),
        ("POST", &["projects", p, "models", v, "detect"]) => (Op::DetectAnomalies, vec![p, v]),
        ("POST", &["projects", p, "modelpackagingjobs"]) => (Op::StartModelPackagingJob, vec![p]),
        ("GET", &["projects", p, "modelpackagingjobs"]) => (Op::ListModelPackagingJobs, vec![p]),
        ("GET", &["projects", p, "modelpackagingjobs", j]) => {
            (Op::DescribeModelPackagingJob, vec![p, j])
        }
        ("POST", &["tags", arn]) => (Op::TagResource, vec![arn]),
        ("DELETE", &["tags", arn]) => (Op::UntagResource, vec![arn]),
        ("GET", &["tags", arn]) => (Op::ListTagsForResource, vec![arn]),
        _ => return None,
    };
    labels
        .iter()
        .map(|label| {
            (!label.is_empty()).then(|| percent_decode_str(label).decode_utf8_lossy().into_owned())
        })
        .collect::<Option<Vec<_>>>()
        .map(|labels| (operation, labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_routes_resolve_with_decoded_labels() {
        assert_eq!(
            resolve(&Method::POST, "/2020-11-20/projects"),
            Some((Operation::CreateProject, vec![]))
        );
        assert_eq!(
            resolve(&Method::GET, "/2020-11-20/projects"),
            Some((Operation::ListProjects, vec![]))
        );
        assert_eq!(
            resolve(&Method::GET, "/2020-11-20/projects/a%2Fb"),
            Some((Operation::DescribeProject, vec!["a/b".to_owned()]))
        );
        assert_eq!(
            resolve(&Method::DELETE, "/2020-11-20/projects/p1"),
            Some((Operation::DeleteProject, vec!["p1".to_owned()]))
        );
    }

    #[test]
    fn dataset_model_and_packaging_routes_take_their_labels_in_path_order() {
        let cases = [
            (
                "POST",
                "projects/p/datasets",
                Operation::CreateDataset,
                &["p"][..],
            ),
            (
                "GET",
                "projects/p/datasets/train",
                Operation::DescribeDataset,
                &["p", "train"],
            ),
            (
                "DELETE",
                "projects/p/datasets/test",
                Operation::DeleteDataset,
                &["p", "test"],
            ),
            (
                "GET",
                "projects/p/datasets/train/entries",
                Operation::ListDatasetEntries,
                &["p", "train"],
            ),
            (
                "PATCH",
                "projects/p/datasets/train/entries",
                Operation::UpdateDatasetEntries,
                &["p", "train"],
            ),
            ("POST", "projects/p/models", Operation::CreateModel, &["p"]),
            ("GET", "projects/p/models", Operation::ListModels, &["p"]),
            (
                "GET",
                "projects/p/models/latest",
                Operation::DescribeModel,
                &["p", "latest"],
            ),
            (
                "DELETE",
                "projects/p/models/2",
                Operation::DeleteModel,
                &["p", "2"],
            ),
            (
                "POST",
                "projects/p/models/1/start",
                Operation::StartModel,
                &["p", "1"],
            ),
            (
                "POST",
                "projects/p/models/1/stop",
                Operation::StopModel,
                &["p", "1"],
            ),
            (
                "POST",
                "projects/p/models/1/detect",
                Operation::DetectAnomalies,
                &["p", "1"],
            ),
            (
                "POST",
                "projects/p/modelpackagingjobs",
                Operation::StartModelPackagingJob,
                &["p"],
            ),
            (
                "GET",
                "projects/p/modelpackagingjobs",
                Operation::ListModelPackagingJobs,
                &["p"],
            ),
            (
                "GET",
                "projects/p/modelpackagingjobs/job-1",
                Operation::DescribeModelPackagingJob,
                &["p", "job-1"],
            ),
        ];
        for (method, path, operation, labels) in cases {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let resolved = resolve(&method, &format!("/2020-11-20/{path}"));
            assert_eq!(
                resolved,
                Some((operation, labels.iter().map(|l| l.to_string()).collect())),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn a_tag_arn_is_one_encoded_segment_decoded_after_routing() {
        let path = "/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A123456789012%3Amodel%2Fp1%2F1";
        let arn = "arn:aws:lookoutvision:us-east-1:123456789012:model/p1/1".to_owned();
        for (method, operation) in [
            (Method::POST, Operation::TagResource),
            (Method::DELETE, Operation::UntagResource),
            (Method::GET, Operation::ListTagsForResource),
        ] {
            assert_eq!(resolve(&method, path), Some((operation, vec![arn.clone()])));
        }
        // Unencoded, the ARN's slashes would make extra segments, which no route has.
        assert_eq!(
            resolve(&Method::GET, "/2020-11-20/tags/arn:model/p1/1"),
            None
        );
    }

    #[test]
    fn unknown_paths_methods_and_empty_labels_do_not_resolve() {
        assert_eq!(resolve(&Method::PUT, "/2020-11-20/projects"), None);
        assert_eq!(resolve(&Method::GET, "/2020-11-20/projects/"), None);
        assert_eq!(resolve(&Method::GET, "/2020-11-20/projects/a/b"), None);
        assert_eq!(resolve(&Method::GET, "/projects"), None);
        assert_eq!(resolve(&Method::GET, "/"), None);
        assert_eq!(
            resolve(&Method::PUT, "/2020-11-20/projects/p/models/1/start"),
            None
        );
        assert_eq!(
            resolve(&Method::GET, "/2020-11-20/projects/p/datasets//entries"),
            None
        );
        assert_eq!(
            resolve(
                &Method::DELETE,
                "/2020-11-20/projects/p/modelpackagingjobs/j"
            ),
            None
        );
        assert_eq!(
            resolve(&Method::POST, "/2020-11-20/projects/p/modelpackagingjobs/j"),
            None
        );
    }
}
