//! Terraform's side of AutoMTLS, so that the handshake is timed against the same TLS work
//! Terraform makes the provider do: a P-521 client certificate like go-plugin's, and a client
//! that trusts exactly the certificate the provider announced.

use anyhow::Context as _;
use rustls::pki_types::CertificateDer;
use tonic::transport::{Channel, Endpoint};

// The Terraform-side AutoMTLS client the protocol tests use, so both connect identically.
pub use harness::automtls::ClientIdentity;

/// A gRPC channel over mutual TLS to the unix socket `socket`, pinning `server_cert` and
/// offering ALPN `h2`, as Terraform connects.
pub async fn connect(
    socket: &str,
    server_cert: CertificateDer<'static>,
    client: &ClientIdentity,
) -> anyhow::Result<Channel> {
    harness::automtls::connect(
        Endpoint::from_static("http://localhost"),
        socket,
        &server_cert,
        client,
    )
    .await
    .context("no mutual-TLS gRPC connection to the provider")
}
