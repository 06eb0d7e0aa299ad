//! The gRPC server of a plugin process: the provider service, health, and go-plugin's controller,
//! over the listener and TLS set up from the handshake.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;
use tonic::{Request, Response, Status};

use super::handshake::{handshake_line, HandshakeEnv};
use super::provider_service::ProviderService;
use super::tls::{self, ServerIdentity, TlsError};
use super::transport::{NetworkChoice, PluginListener, TransportError};
use crate::framework::resource::Provider;
use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::plugin::Empty;
use crate::proto::tfplugin6::provider_server::ProviderServer;

/// terraform-plugin-go's limit: schemas and states of large configurations exceed tonic's 4 MiB.
const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// No socket could be bound.
    #[error("could not open the plugin's listening socket")]
    Listen(#[from] TransportError),
    /// AutoMTLS could not be set up.
    #[error("could not set up mutual TLS with Terraform")]
    Tls(#[from] TlsError),
    /// The handshake line could not be written.
    #[error("could not write the handshake line to stdout")]
    Handshake(#[source] std::io::Error),
    /// The gRPC server failed.
    #[error("the gRPC server failed")]
    Grpc(#[from] tonic::transport::Error),
}

/// A bound plugin server, ready to announce itself and serve.
pub struct PluginServer<P: Provider> {
    service: Arc<ProviderService<P>>,
    listener: PluginListener,
    tls: Option<TlsAcceptor>,
    server_cert: Option<Vec<u8>>,
}

impl<P: Provider> PluginServer<P> {
    /// Binds as Terraform asked in `env`: AutoMTLS when it sent a client certificate.
    pub fn managed(provider: P, env: &HandshakeEnv) -> Result<Self, ServeError> {
        let listener = PluginListener::bind(NetworkChoice::Auto, env.port_range.clone())?;
        let (tls, server_cert) = match &env.client_cert_pem {
            Some(pem) => {
                let identity = ServerIdentity::generate()?;
                let config = tls::server_config(pem, &identity)?;
                (
                    Some(TlsAcceptor::from(config)),
                    Some(identity.cert_der().to_vec()),
                )
            }
            None => (None, None),
        };
        Ok(PluginServer {
            service: Arc::new(ProviderService::new(provider)),
            listener,
            tls,
            server_cert,
        })
    }

    /// Binds in plaintext for a debugger or an in-process test, which Terraform reaches through
    /// `TF_REATTACH_PROVIDERS` instead of starting the plugin itself.
    pub fn unmanaged(provider: P, network: NetworkChoice) -> Result<Self, ServeError> {
        Ok(PluginServer {
            service: Arc::new(ProviderService::new(provider)),
            listener: PluginListener::bind(network, 0..=0)?,
            tls: None,
            server_cert: None,
        })
    }

    /// The go-plugin handshake line announcing this server.
    pub fn handshake_line(&self) -> String {
        handshake_line(
            self.listener.network(),
            self.listener.address(),
            self.server_cert.as_deref(),
        )
    }

    /// Prints the handshake line, the one thing the plugin ever writes to stdout.
    pub fn announce(&self) -> Result<(), ServeError> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", self.handshake_line())
            .and_then(|()| stdout.flush())
            .map_err(ServeError::Handshake)
    }

    /// The value of `TF_REATTACH_PROVIDERS` that points Terraform at this server for provider
    /// `source_address`. `Test: true` tells Terraform not to stop the process when it is done.
    pub fn reattach_config(&self, source_address: &str) -> String {
        serde_json::json!({
            source_address: {
                "Protocol": "grpc",
                "ProtocolVersion": 6,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": { "Network": self.listener.network(), "String": self.listener.address() },
            }
        })
        .to_string()
    }

    /// Serves until go-plugin's `Shutdown` RPC or `shutdown` completes, then drains in-flight
    /// requests and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ServeError> {
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_service_status("plugin", tonic_health::ServingStatus::Serving)
            .await;
        let controller = Controller::default();
        let controller_requested = controller.requested.clone();
        let provider = ProviderServer::from_arc(self.service)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let stop = async move {
            tokio::select! {
                () = controller_requested.notified() => {
                    tracing::debug!("Terraform sent Shutdown; the provider is exiting.");
                }
                () = shutdown => {}
            }
        };
        tonic::transport::Server::builder()
            .add_service(health_service)
            .add_service(GrpcControllerServer::new(controller))
            .add_service(provider)
            .serve_with_incoming_shutdown(self.listener.incoming(self.tls), stop)
            .await?;
        Ok(())
    }
}

/// go-plugin's `plugin.GRPCController`: `Shutdown` asks the plugin to exit gracefully.
#[derive(Debug, Default)]
struct Controller {
    requested: Arc<Notify>,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        // notify_one stores a permit, so a Shutdown that arrives before the server awaits it
        // still counts.
        self.requested.notify_one();
        Ok(Response::new(Empty {}))
    }
}

// Ctrl-C and the parent watch below exist for unix and Windows only; the listener falls back
// to TCP where unix sockets do not exist, as go-plugin does on Windows.
#[cfg(not(any(unix, windows)))]
compile_error!(
    "terraform-provider-lookoutvision runs on unix and Windows: src/plugin/server.rs must learn \
     how this platform delivers Ctrl-C and tells that the parent process has gone."
);

/// Resolves when the process that started the plugin has gone (the plugin was re-parented),
/// so that a provider never outlives a killed Terraform.
#[cfg(unix)]
pub async fn parent_exited() {
    let parent = std::os::unix::process::parent_id();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        if std::os::unix::process::parent_id() != parent {
            tracing::warn!(
                "The process that started the provider has exited; the provider is exiting too."
            );
            return;
        }
    }
}

/// Never resolves: the standard library offers no handle on the parent process on Windows,
/// and opening one needs unsafe code. Terraform ends its plugins itself (go-plugin's `Kill`),
/// which is what Go providers on Windows rely on too.
#[cfg(windows)]
pub async fn parent_exited() {
    std::future::pending::<()>().await;
}

/// Ctrl-C (SIGINT on unix, the console's Ctrl-C on Windows) as a stream of events. While one
/// exists, Ctrl-C no longer ends the process.
#[cfg(unix)]
#[derive(Debug)]
pub struct Interrupts(tokio::signal::unix::Signal);

/// Ctrl-C (SIGINT on unix, the console's Ctrl-C on Windows) as a stream of events. While one
/// exists, Ctrl-C no longer ends the process.
#[cfg(windows)]
#[derive(Debug)]
pub struct Interrupts(tokio::signal::windows::CtrlC);

impl Interrupts {
    /// Starts listening, at once: an interrupt that arrives before the first [`Self::recv`] is
    /// kept for it rather than ending the process.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime with I/O enabled.
    pub fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        let interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        // Windows delivers a console's Ctrl-C to every process attached to it, Terraform's
        // plugins included, as unix delivers SIGINT to the process group.
        #[cfg(windows)]
        let interrupts = tokio::signal::windows::ctrl_c();
        interrupts.map(Self)
    }

    /// Waits for the next interrupt; `None` once no more can arrive.
    pub async fn recv(&mut self) -> Option<()> {
        self.0.recv().await
    }
}

/// Ignores Ctrl-C for the life of the process. Terraform shares the process group (on Windows,
/// the console) and turns Ctrl-C into `StopProvider`, which lets in-flight operations save
/// state; dying on Ctrl-C would lose it.
pub fn ignore_interrupts() -> std::io::Result<()> {
    let mut interrupts = Interrupts::listen()?;
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            tracing::debug!("Ignoring Ctrl-C; Terraform stops the provider through StopProvider.");
        }
    });
    Ok(())
}
