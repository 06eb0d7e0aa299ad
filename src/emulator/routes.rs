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
}

impl Operation {
    /// The operation's name in the service model.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateProject => "CreateProject",
            Self::DescribeProject => "DescribeProject",
            Self::ListProjects => "ListProjects",
            Self::DeleteProject => "DeleteProject",
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
    let segments: Vec<&str> = path.strip_prefix(VERSION_PREFIX)?.split('/').collect();
    let (operation, labels): (Operation, &[&str]) = match (method.as_str(), segments.as_slice()) {
        ("POST", ["projects"]) => (Operation::CreateProject, &[]),
        ("GET", ["projects"]) => (Operation::ListProjects, &[]),
        ("GET", ["projects", name]) => (Operation::DescribeProject, &[*name]),
        ("DELETE", ["projects", name]) => (Operation::DeleteProject, &[*name]),
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
    fn unknown_paths_methods_and_empty_labels_do_not_resolve() {
        assert_eq!(resolve(&Method::PUT, "/2020-11-20/projects"), None);
        assert_eq!(resolve(&Method::GET, "/2020-11-20/projects/"), None);
        assert_eq!(resolve(&Method::GET, "/2020-11-20/projects/a/b"), None);
        assert_eq!(resolve(&Method::GET, "/projects"), None);
        assert_eq!(resolve(&Method::GET, "/"), None);
    }
}
