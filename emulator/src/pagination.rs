//! `maxResults`/`nextToken` paging for the List operations.
//!
//! A token is opaque to clients but self-describing to the emulator: base64 of a small JSON
//! cursor (which operation, which parent resource, the key of the last item returned)
//! followed by a keyed hash of it. The hash key is random per process, so a token that was
//! made up, edited, or issued by another emulator run is rejected, and the cursor's
//! operation and parent must match the request it comes back with. Resuming after the last
//! returned key (rather than at an offset) keeps paging stable when items are added or
//! removed between pages.

use std::hash::{BuildHasher, Hasher, RandomState};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::request::ApiRequest;
use super::routes::Operation;
use super::validate::{Validator, PAGINATION_TOKEN};

/// The largest and default `maxResults` (the model's `PageSize`).
pub const MAX_PAGE_SIZE: usize = 100;

/// What a List call asked for: a page size and maybe a token from an earlier page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    max_results: usize,
    next_token: Option<String>,
}

impl PageRequest {
    /// Reads `maxResults` and `nextToken` from the query string, recording violations in `v`
    /// (only use the result once `v` finished without any).
    pub fn from_query(request: &ApiRequest, v: &mut Validator) -> Self {
        let max_results = v
            .optional_integer(
                "maxResults",
                request.query("maxResults"),
                1,
                MAX_PAGE_SIZE as i64,
            )
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(MAX_PAGE_SIZE);
        // An empty token matches the model's pattern; treat it as "first page".
        let next_token = v
            .optional("nextToken", request.query("nextToken"), &PAGINATION_TOKEN)
            .filter(|token| !token.is_empty())
            .map(str::to_owned);
        Self {
            max_results,
            next_token,
        }
    }
}

/// Which list a token belongs to: the operation and the parent resource it lists under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The List operation.
    pub operation: Operation,
    /// The parent's identity (a project name), or `""` for account-level lists.
    pub parent: &'a str,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The token for the next page; `None` on the last page.
    pub next_token: Option<String>,
}

impl Page<Value> {
    /// The List output: the items under `member`, plus `NextToken` unless this is the last page.
    pub fn into_output(self, member: &str) -> Value {
        let mut output = Map::new();
        output.insert(member.to_owned(), Value::Array(self.items));
        if let Some(token) = self.next_token {
            output.insert("NextToken".to_owned(), Value::String(token));
        }
        Value::Object(output)
    }
}

/// Issues and checks page tokens.
#[derive(Debug, Default)]
pub struct Paginator {
    key: RandomState,
}

#[derive(Serialize, Deserialize)]
struct Cursor<K> {
    operation: String,
    parent: String,
    after: K,
}

/// Length of the keyed hash appended to the cursor.
const TAG_LEN: usize = 8;

impl Paginator {
    /// A paginator with a fresh random key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cuts one page out of `items`, which must be in ascending key order.
    pub fn page<K, T>(
        &self,
        scope: Scope<'_>,
        request: &PageRequest,
        items: impl IntoIterator<Item = (K, T)>,
    ) -> Result<Page<T>, ApiError>
    where
        K: Ord + Serialize + DeserializeOwned,
    {
        let after = match &request.next_token {
            Some(token) => Some(self.decode::<K>(scope, token)?),
            None => None,
        };
        let mut remaining = items
            .into_iter()
            .filter(|(key, _)| after.as_ref().is_none_or(|after| key > after));
        let mut page = Vec::new();
        let mut last_key = None;
        for (key, item) in remaining.by_ref().take(request.max_results) {
            page.push(item);
            last_key = Some(key);
        }
        let next_token = match (remaining.next(), last_key) {
            (Some(_), Some(last_key)) => Some(self.encode(scope, last_key)),
            _ => None,
        };
        Ok(Page {
            items: page,
            next_token,
        })
    }

    fn encode<K: Serialize>(&self, scope: Scope<'_>, after: K) -> String {
        let cursor = Cursor {
            operation: scope.operation.name().to_owned(),
            parent: scope.parent.to_owned(),
            after,
        };
        let mut bytes = serde_json::to_vec(&cursor).expect("a cursor always serializes");
        let tag = self.tag(&bytes);
        bytes.extend_from_slice(&tag);
        STANDARD.encode(bytes)
    }

    fn decode<K: DeserializeOwned>(&self, scope: Scope<'_>, token: &str) -> Result<K, ApiError> {
        let invalid = || {
            ApiError::validation(format!(
                "Invalid nextToken: it was not returned by an earlier {} call for this resource",
                scope.operation
            ))
        };
        let bytes = STANDARD.decode(token).map_err(|_| invalid())?;
        let split = bytes.len().checked_sub(TAG_LEN).ok_or_else(invalid)?;
        let (payload, tag) = bytes.split_at(split);
        if self.tag(payload) != tag {
            return Err(invalid());
        }
        let cursor: Cursor<K> = serde_json::from_slice(payload).map_err(|_| invalid())?;
        if cursor.operation != scope.operation.name() || cursor.parent != scope.parent {
            return Err(invalid());
        }
        Ok(cursor.after)
    }

    fn tag(&self, payload: &[u8]) -> [u8; TAG_LEN] {
        let mut hasher = self.key.build_hasher();
        hasher.write(payload);
        hasher.finish().to_be_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECTS: Scope<'static> = Scope {
        operation: Operation::ListProjects,
        parent: "",
    };

    fn request(max_results: usize, next_token: Option<String>) -> PageRequest {
        PageRequest {
            max_results,
            next_token,
        }
    }

    fn names(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("p{i:02}"), i)).collect()
    }

    #[test]
    fn pages_walk_the_whole_list_and_the_last_has_no_token() {
        let paginator = Paginator::new();
        let first = paginator
            .page(PROJECTS, &request(2, None), names(5))
            .unwrap();
        assert_eq!(first.items, vec![0, 1]);
        let token = first.next_token.unwrap();
        let mut v = Validator::new();
        assert!(
            v.optional("nextToken", Some(&token), &PAGINATION_TOKEN)
                .is_some(),
            "{token}"
        );
        let second = paginator
            .page(PROJECTS, &request(2, Some(token)), names(5))
            .unwrap();
        assert_eq!(second.items, vec![2, 3]);
        let third = paginator
            .page(PROJECTS, &request(2, second.next_token), names(5))
            .unwrap();
        assert_eq!(third.items, vec![4]);
        assert_eq!(third.next_token, None);
    }

    #[test]
    fn output_has_next_token_only_when_there_is_more() {
        let last = Page {
            items: vec![Value::from(1)],
            next_token: None,
        };
        assert_eq!(
            last.into_output("Projects"),
            serde_json::json!({"Projects": [1]})
        );
        let more = Page {
            items: vec![],
            next_token: Some("abc".to_owned()),
        };
        assert_eq!(
            more.into_output("Projects"),
            serde_json::json!({"Projects": [], "NextToken": "abc"})
        );
    }

    #[test]
    fn an_exactly_full_page_has_no_token() {
        let page = Paginator::new()
            .page(PROJECTS, &request(3, None), names(3))
            .unwrap();
        assert_eq!((page.items.len(), page.next_token), (3, None));
    }

    #[test]
    fn paging_resumes_after_the_last_key_even_if_it_was_removed() {
        let paginator = Paginator::new();
        let first = paginator
            .page(PROJECTS, &request(2, None), names(5))
            .unwrap();
        let without_p01: Vec<_> = names(5)
            .into_iter()
            .filter(|(name, _)| name != "p01")
            .collect();
        let second = paginator
            .page(PROJECTS, &request(2, first.next_token), without_p01)
            .unwrap();
        assert_eq!(second.items, vec![2, 3]);
    }

    #[test]
    fn tokens_from_another_scope_or_process_or_made_up_are_rejected() {
        let paginator = Paginator::new();
        let token = paginator
            .page(PROJECTS, &request(1, None), names(3))
            .unwrap()
            .next_token
            .unwrap();
        let other_operation = Scope {
            operation: Operation::DescribeProject,
            parent: "",
        };
        let other_parent = Scope {
            operation: Operation::ListProjects,
            parent: "p1",
        };
        for scope in [other_operation, other_parent] {
            let err = paginator
                .page(scope, &request(1, Some(token.clone())), names(3))
                .unwrap_err();
            assert_eq!(err.code(), "ValidationException");
        }
        let stranger = Paginator::new();
        assert!(stranger
            .page(PROJECTS, &request(1, Some(token.clone())), names(3))
            .is_err());
        for made_up in ["AAAA", "bm9wZQ==", "not/base64", ""] {
            assert!(
                paginator
                    .page(PROJECTS, &request(1, Some(made_up.into())), names(3))
                    .is_err(),
                "{made_up}"
            );
        }
    }
}
