//! The configured client that resources receive.

use std::collections::BTreeMap;

/// A Lookout for Vision client plus the provider-wide settings resources apply to every call.
#[derive(Clone, Debug)]
pub struct Client {
    /// The SDK client, with retries and endpoint configured.
    pub api: aws_sdk_lookoutvision::Client,
    /// Tags the provider block's `default_tags` adds to every taggable resource.
    pub default_tags: BTreeMap<String, String>,
}
