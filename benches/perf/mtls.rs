//! Terraform's side of AutoMTLS, so that the handshake is timed against the same TLS work
//! Terraform makes the provider do: a P-521 client certificate like go-plugin's, and a client
//! that trusts exactly the certificate the provider announced.

use anyhow::Context as _;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::UnixStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

// The Terraform-side AutoMTLS client the protocol tests use, so both connect identically.
use harness::automtls::client_config;
pub use harness::automtls::ClientIdentity;

/// A gRPC channel over mutual TLS to the unix socket `socket`, pinning `server_cert` and
/// offering ALPN `h2`, as Terraform connects.
pub async fn connect(
    socket: &str,
    server_cert: CertificateDer<'static>,
    client: &ClientIdentity,
) -> anyhow::Result<Channel> {
    let config = client_config(&server_cert, Some(client), rustls::DEFAULT_VERSIONS);
    let connector = TlsConnector::from(config);
    let socket = socket.to_owned();
    // The URI only names the HTTP/2 authority; the connector decides where to connect.
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let (connector, socket) = (connector.clone(), socket.clone());
            async move {
                let stream = UnixStream::connect(&socket).await?;
                let localhost = ServerName::try_from("localhost").expect("a valid name");
                let tls = connector.connect(localhost, stream).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
        .context("no mutual-TLS gRPC connection to the provider")
}
