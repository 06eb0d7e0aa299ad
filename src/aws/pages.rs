//! The List operations, read one page at a time by following `NextToken`.
//!
//! A caller that streams what it finds (a list resource) takes one page, hands its items on,
//! and asks for the next only if more are wanted; one that needs everything (a data source)
//! takes pages until there are none left. The page size is the caller's: a list asked for three
//! items reads a page of three, not the service's hundred.

use std::future::Future;

use super::ApiError;

/// The service's largest `MaxResults`, also its default.
pub const MAX_PAGE_SIZE: usize = 100;

/// The pages of one List operation.
#[derive(Debug, Default)]
pub struct Pages {
    next_token: Option<String>,
    done: bool,
    requested: usize,
}

/// One page: its items and the token of the next page, if there is one.
pub type Page<T> = (Vec<T>, Option<String>);

impl Pages {
    /// The first page has not been read.
    pub fn new() -> Self {
        Pages::default()
    }

    /// How many pages were requested so far.
    pub fn requested(&self) -> usize {
        self.requested
    }

    /// Reads the next page with `call`, which gets the token to send (none for the first page);
    /// `None` once the last page was read.
    pub async fn next<T, F, Fut>(&mut self, call: F) -> Option<Result<Vec<T>, ApiError>>
    where
        F: FnOnce(Option<String>) -> Fut,
        Fut: Future<Output = Result<Page<T>, ApiError>>,
    {
        if self.done {
            return None;
        }
        self.requested += 1;
        match call(self.next_token.take()).await {
            Ok((items, next_token)) => {
                // An empty token would ask for the first page again.
                self.next_token = next_token.filter(|token| !token.is_empty());
                self.done = self.next_token.is_none();
                Some(Ok(items))
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}

/// The `MaxResults` for a page when at most `wanted` more items are needed.
pub fn page_size(wanted: usize) -> i32 {
    // Both bounds fit an i32: the service takes 1 to 100.
    wanted.clamp(1, MAX_PAGE_SIZE) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ErrorKind;

    /// A List operation over `0..total`, `size` at a time, with the offset as the token.
    async fn page(total: u32, size: usize, token: Option<String>) -> Result<Page<u32>, ApiError> {
        let start: u32 = token.map_or(0, |t| t.parse().expect("a numeric token"));
        let end = (start + size as u32).min(total);
        let next = (end < total).then(|| end.to_string());
        Ok(((start..end).collect(), next))
    }

    #[tokio::test]
    async fn pages_follow_the_token_until_there_is_none() {
        let mut pages = Pages::new();
        let mut seen = Vec::new();
        while let Some(items) = pages.next(|token| page(7, 3, token)).await {
            seen.extend(items.expect("no error"));
        }
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        assert_eq!(pages.requested(), 3);
    }

    #[tokio::test]
    async fn an_error_ends_the_pages() {
        let mut pages = Pages::new();
        let failed = pages
            .next(|_| async {
                Err::<Page<u32>, _>(ApiError {
                    operation: "ListProjects",
                    kind: ErrorKind::Throttling,
                    code: None,
                    message: None,
                    request_id: None,
                    status: Some(429),
                })
            })
            .await;
        assert!(matches!(failed, Some(Err(_))));
        assert!(pages.next(|token| page(7, 3, token)).await.is_none());
    }

    #[test]
    fn page_sizes_stay_within_what_the_service_takes() {
        assert_eq!(page_size(0), 1);
        assert_eq!(page_size(3), 3);
        assert_eq!(page_size(usize::MAX), 100);
    }
}
