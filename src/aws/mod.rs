//! The AWS layer: client configuration, error classification, time limits and retries. It knows the
//! Lookout for Vision SDK but nothing about Terraform.

pub mod budget;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod pages;
pub mod retry;
pub mod role;
pub mod waiter;

pub use client::Client;
pub use error::{ApiError, ErrorKind};

/// A fresh idempotency token for one logical call, reused across the caller's own retries.
pub fn client_token() -> String {
    uuid::Uuid::new_v4().to_string()
}
