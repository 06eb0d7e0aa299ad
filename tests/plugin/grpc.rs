//! Playing Terraform's part over gRPC, shared by `protocol.rs` (in-process server) and
//! `binary.rs` (the built binary): bounded channels, health and go-plugin's Shutdown.

use std::future::Future;
use std::time::Duration;

use lookoutvision::proto::plugin::grpc_controller_client::GrpcControllerClient;
use lookoutvision::proto::plugin::Empty;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// The upper bound of any single RPC or wait, so that a regression fails instead of hanging.
/// Generous because other builds may share the machine's two cores.
pub const WAIT: Duration = Duration::from_secs(20);

/// An endpoint (`http://127.0.0.1:PORT` or `unix:/path`) whose connection and every request are
/// bounded by [`WAIT`].
pub fn endpoint(uri: &str) -> Endpoint {
    Endpoint::from_shared(uri.to_owned())
        .unwrap_or_else(|err| panic!("{uri} is not a valid endpoint: {err}"))
        .connect_timeout(WAIT)
        .timeout(WAIT)
}

/// Awaits `future` for at most `limit`, panicking with `what` if it takes longer.
pub async fn within<T>(limit: Duration, what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within {limit:?}"))
}

/// Asserts that go-plugin's health check reports the `plugin` service as SERVING.
pub async fn assert_plugin_serving(channel: &Channel) {
    let response = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await
        .expect("the health service answers a check of \"plugin\"")
        .into_inner();
    assert_eq!(
        response.status,
        ServingStatus::Serving as i32,
        "go-plugin requires the \"plugin\" service to be SERVING"
    );
}

/// Sends go-plugin's `GRPCController/Shutdown`, which Terraform calls when it is done.
pub async fn send_shutdown(channel: &Channel) {
    GrpcControllerClient::new(channel.clone())
        .shutdown(Empty {})
        .await
        .expect("GRPCController/Shutdown answers OK");
}
