//! The configured client that resources receive.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// A Lookout for Vision client plus the provider-wide settings resources apply to every call.
///
/// The SDK client itself is built on the first call. Building it loads the operating system's
/// trust store (a few milliseconds, more where `SSL_CERT_DIR` names a directory of hundreds of
/// certificates), and Terraform configures the provider in processes that never call the API,
/// such as the one that plans new resources.
#[derive(Clone, Debug)]
pub struct Client {
    config: aws_sdk_lookoutvision::Config,
    /// Shared by clones, so that every resource uses one SDK client and its connection pool.
    api: Arc<OnceLock<aws_sdk_lookoutvision::Client>>,
    /// Tags the provider block's `default_tags` adds to every taggable resource.
    pub default_tags: BTreeMap<String, String>,
}

impl Client {
    /// A client that will call the API as `config` says.
    pub fn new(
        config: aws_sdk_lookoutvision::Config,
        default_tags: BTreeMap<String, String>,
    ) -> Self {
        Client {
            config,
            api: Arc::default(),
            default_tags,
        }
    }

    /// The region requests go to.
    pub fn region(&self) -> Option<&str> {
        self.config.region().map(|region| region.as_ref())
    }

    /// The SDK client, with retries and endpoint configured; built on first use.
    pub fn api(&self) -> &aws_sdk_lookoutvision::Client {
        self.api
            .get_or_init(|| aws_sdk_lookoutvision::Client::from_conf(self.config.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> aws_sdk_lookoutvision::Config {
        aws_sdk_lookoutvision::Config::builder()
            .behavior_version(aws_sdk_lookoutvision::config::BehaviorVersion::latest())
            .region(aws_sdk_lookoutvision::config::Region::new("us-east-1"))
            .build()
    }

    #[test]
    fn the_sdk_client_is_built_on_first_use_and_shared_by_clones() {
        let client = Client::new(config(), BTreeMap::new());
        let clone = client.clone();
        assert!(client.api.get().is_none(), "built before any call");
        let first = clone.api() as *const aws_sdk_lookoutvision::Client;
        assert!(std::ptr::eq(first, client.api()), "clones built their own");
        assert_eq!(
            client.api().config().region().map(|r| r.as_ref()),
            Some("us-east-1")
        );
        assert_eq!(client.region(), Some("us-east-1"));
    }
}
