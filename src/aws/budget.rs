//! How long one API call may wait for the endpoint: the SDK's timeouts, and the budget that
//! ends its retries of requests that got no answer.
//!
//! The SDK retries a refused connection, a dropped one and a timeout as it retries a 500: up to
//! `max_retries` times (25 by default), backing off up to 20 s between attempts, so an endpoint
//! that is down took minutes to report. Throttling and server errors deserve those retries (the
//! service answered, and will again); an endpoint that does not answer for
//! [`UNANSWERED_BUDGET`] is down, not busy, and the call fails then. The budget still outlasts
//! an endpoint's restart (an emulator's takes well under a second, a load balancer's failover a
//! few seconds). Time comes from tokio's clock, so tests run it paused.

use std::time::Duration;

use aws_sdk_lookoutvision::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_sdk_lookoutvision::config::retry::RetryConfig;
use aws_sdk_lookoutvision::config::timeout::TimeoutConfig;
use aws_sdk_lookoutvision::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use tokio::time::Instant;

/// How long connecting to the endpoint may take (TCP and TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the endpoint may take to start answering a request once it is sent. Every Lookout
/// for Vision call answers at once (waits are polls), so an answer this late is not coming.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one attempt may take in all, its answer's body included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the SDK keeps retrying a call whose requests get no answer (refused or dropped
/// connections, timeouts), counted from the call's start.
pub const UNANSWERED_BUDGET: Duration = Duration::from_secs(20);

/// The SDK's timeouts for every Lookout for Vision call.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

/// When the current call started.
#[derive(Clone, Copy, Debug)]
struct CallStarted(Instant);

impl Storable for CallStarted {
    type Storer = StoreReplace<Self>;
}

/// Ends the SDK's retries of a call whose requests get no answer once the call is older than
/// its budget, by capping its attempts at those made: the retry strategy reads the retry
/// configuration from the call's config bag before every retry.
#[derive(Debug)]
pub struct UnansweredBudget {
    budget: Duration,
}

impl UnansweredBudget {
    /// A budget of `budget` per call.
    pub fn new(budget: Duration) -> Self {
        UnansweredBudget { budget }
    }
}

impl Intercept for UnansweredBudget {
    fn name(&self) -> &'static str {
        "UnansweredBudget"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state()
            .store_put(CallStarted(Instant::now()));
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let unanswered = matches!(
            context.output_or_error(),
            Some(Err(err)) if err.is_connector_error() || err.is_timeout_error() || err.is_response_error()
        );
        let Some(CallStarted(started)) = cfg.load::<CallStarted>().copied() else {
            return Ok(());
        };
        if !unanswered || started.elapsed() < self.budget {
            return Ok(());
        }
        let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if let Some(retry) = cfg.load::<RetryConfig>().cloned() {
            tracing::debug!(
                attempts,
                budget_ms = self.budget.as_millis() as u64,
                "The endpoint has not answered for the whole budget; no more retries."
            );
            cfg.interceptor_state()
                .store_put(retry.with_max_attempts(attempts));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use aws_sdk_lookoutvision::config::{BehaviorVersion, Credentials, Region};
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    /// An endpoint that refuses every connection, counting the attempts.
    #[derive(Clone, Debug, Default)]
    struct Refusing(Arc<AtomicU32>);

    impl HttpConnector for Refusing {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            self.0.fetch_add(1, Ordering::SeqCst);
            let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
            HttpConnectorFuture::ready(Err(ConnectorError::io(Box::new(refused))))
        }
    }

    impl HttpClient for Refusing {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_endpoint_fails_a_call_after_the_budget_not_after_every_retry() {
        let endpoint = Refusing::default();
        let config = aws_sdk_lookoutvision::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("a", "b", None, None, "test"))
            .endpoint_url("http://127.0.0.1:1")
            .http_client(endpoint.clone())
            .retry_config(RetryConfig::standard().with_max_attempts(26))
            .timeout_config(timeouts())
            .interceptor(UnansweredBudget::new(UNANSWERED_BUDGET))
            .build();
        let client = aws_sdk_lookoutvision::Client::from_conf(config);
        let start = Instant::now();
        let err = client
            .describe_project()
            .project_name("p")
            .send()
            .await
            .expect_err("nothing answers");
        assert!(matches!(
            err,
            aws_sdk_lookoutvision::error::SdkError::DispatchFailure(_)
        ));
        let attempts = endpoint.0.load(Ordering::SeqCst);
        assert!(
            (2..26).contains(&attempts),
            "{attempts} attempts: the budget did not end the retries"
        );
        // The last retry starts within the budget; the backoff before it is at most 20 s.
        let waited = start.elapsed();
        assert!(
            waited >= UNANSWERED_BUDGET && waited <= UNANSWERED_BUDGET + Duration::from_secs(20),
            "{waited:?}"
        );
    }
}
