//! The listener the host connects to: a unix socket in a private directory by default, or tcp on
//! loopback, and the stream of accepted (optionally TLS-wrapped) connections handed to tonic.

use std::fmt;
use std::io;
use std::ops::RangeInclusive;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;

/// A client that has not finished its TLS handshake by then is dropped, so that idle or hostile
/// connections do not pile up tasks.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after a failed `accept` so that a persistent error (such as running out of file
/// descriptors) does not turn the accept loop into a busy loop.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Ready connections buffered between the accept loop and the server.
const READY_QUEUE: usize = 16;

/// Which kind of socket to listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkChoice {
    /// A unix socket where the platform allows it, else tcp on loopback; what the host expects.
    Auto,
    /// Tcp on 127.0.0.1 only.
    Tcp,
}

/// Why no listener could be bound.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No port in the allowed range could be bound on 127.0.0.1.
    #[error("could not bind a TCP listener on 127.0.0.1 to any port in {min}..={max}")]
    TcpBind {
        /// `PLUGIN_MIN_PORT`.
        min: u16,
        /// `PLUGIN_MAX_PORT`.
        max: u16,
        /// The error for the last port tried.
        #[source]
        source: io::Error,
    },
    /// The bound socket could not be set up for Tokio or queried for its address.
    #[error("could not prepare the {network} listener")]
    Setup {
        /// `unix` or `tcp`.
        network: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// A bound listener, not yet accepting. Creating one needs a Tokio runtime context.
#[derive(Debug)]
pub struct PluginListener {
    inner: Listener,
    address: String,
}

#[derive(Debug)]
enum Listener {
    #[cfg(unix)]
    Unix {
        listener: tokio::net::UnixListener,
        // Owned here so the directory (and the socket in it) lives exactly as long as the listener.
        _dir: PrivateDir,
    },
    Tcp(tokio::net::TcpListener),
}

impl PluginListener {
    /// Binds according to `choice`. `ports` limits the tcp port (`0..=0` lets the OS choose); with
    /// [`NetworkChoice::Auto`], tcp is only used if the unix socket cannot be created.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime with I/O enabled.
    pub fn bind(choice: NetworkChoice, ports: RangeInclusive<u16>) -> Result<Self, TransportError> {
        #[cfg(unix)]
        if choice == NetworkChoice::Auto {
            match bind_unix() {
                Ok(listener) => return Ok(listener),
                Err(err) => tracing::debug!(
                    error = %err,
                    "Unix sockets are unavailable, so the plugin listens on TCP instead."
                ),
            }
        }
        #[cfg(not(unix))]
        let _ = choice; // Tcp is the only option here.
        bind_tcp(ports)
    }

    /// The network name for the handshake line: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self.inner {
            #[cfg(unix)]
            Listener::Unix { .. } => "unix",
            Listener::Tcp(_) => "tcp",
        }
    }

    /// The address for the handshake line: the socket path, or `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Starts accepting. Each connection is TLS-wrapped with `tls` when given; handshakes run in
    /// their own tasks so that a slow client cannot hold up others, and failed ones are logged and
    /// left out. The stream ends only when dropped; dropping it closes the listener and removes
    /// the socket directory. Accept errors are passed on (tonic logs and skips them).
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn incoming(
        self,
        tls: Option<TlsAcceptor>,
    ) -> impl Stream<Item = Result<PluginIo, io::Error>> + Send + 'static {
        let (ready_tx, ready_rx) = mpsc::channel(READY_QUEUE);
        tokio::spawn(accept_loop(self.inner, tls, ready_tx));
        ReceiverStream::new(ready_rx)
    }
}

#[cfg(unix)]
fn bind_unix() -> io::Result<PluginListener> {
    let dir = PrivateDir::create()?;
    let path = dir.path().join("plugin.sock");
    // The path goes into the handshake line as text, so it must be exactly representable.
    let address = path
        .to_str()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "socket path is not UTF-8"))?
        .to_owned();
    let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    std_listener.set_nonblocking(true)?;
    let listener = tokio::net::UnixListener::from_std(std_listener)?;
    Ok(PluginListener {
        inner: Listener::Unix {
            listener,
            _dir: dir,
        },
        address,
    })
}

fn bind_tcp(ports: RangeInclusive<u16>) -> Result<PluginListener, TransportError> {
    let (min, max) = (*ports.start(), *ports.end());
    let mut last_error = io::Error::new(io::ErrorKind::InvalidInput, "the port range is empty");
    for port in ports {
        match std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)) {
            Ok(std_listener) => {
                let setup = |source| TransportError::Setup {
                    network: "tcp",
                    source,
                };
                std_listener.set_nonblocking(true).map_err(setup)?;
                let address = std_listener.local_addr().map_err(setup)?.to_string();
                let listener = tokio::net::TcpListener::from_std(std_listener).map_err(setup)?;
                return Ok(PluginListener {
                    inner: Listener::Tcp(listener),
                    address,
                });
            }
            Err(err) => last_error = err,
        }
    }
    Err(TransportError::TcpBind {
        min,
        max,
        source: last_error,
    })
}

impl Listener {
    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        Ok(match self {
            #[cfg(unix)]
            Listener::Unix { listener, .. } => Box::new(listener.accept().await?.0),
            Listener::Tcp(listener) => Box::new(listener.accept().await?.0),
        })
    }
}

async fn accept_loop(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    ready: mpsc::Sender<io::Result<PluginIo>>,
) {
    loop {
        let accepted = tokio::select! {
            // The server dropped the stream: stop, which closes the listener.
            () = ready.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let conn = match accepted {
            Ok(conn) => conn,
            Err(err) => {
                tracing::debug!(error = %err, "Accepting a plugin connection failed.");
                tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                if ready.send(Err(err)).await.is_err() {
                    return;
                }
                continue;
            }
        };
        match &tls {
            None => {
                if ready.send(Ok(PluginIo(conn))).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                tokio::spawn(handshake(acceptor.clone(), conn, ready.clone()));
            }
        }
    }
}

async fn handshake(
    acceptor: TlsAcceptor,
    conn: Box<dyn Io>,
    ready: mpsc::Sender<io::Result<PluginIo>>,
) {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(conn)).await {
        Ok(Ok(stream)) => {
            // A send error means the server stopped accepting; dropping the stream closes it.
            let _ = ready.send(Ok(PluginIo(Box::new(stream)))).await;
        }
        Ok(Err(err)) => tracing::debug!(
            error = %err,
            "A client failed the TLS handshake, so its connection was dropped."
        ),
        Err(_) => tracing::debug!(
            timeout_secs = HANDSHAKE_TIMEOUT.as_secs(),
            "A client did not finish the TLS handshake in time, so its connection was dropped."
        ),
    }
}

/// The byte stream tonic needs, over any socket kind.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One accepted connection (unix or tcp, plaintext or TLS), ready for
/// [`tonic::transport::Server::serve_with_incoming_shutdown`].
pub struct PluginIo(Box<dyn Io>);

impl fmt::Debug for PluginIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginIo").finish_non_exhaustive()
    }
}

// tonic implements `Connected` for TLS streams only behind a feature this crate does not enable;
// the host is the only peer, so there is no connection information worth carrying.
impl tonic::transport::server::Connected for PluginIo {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PluginIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
}

/// A directory only this user can enter, holding the socket; removed with its contents on drop.
#[cfg(unix)]
#[derive(Debug)]
struct PrivateDir(PathBuf);

#[cfg(unix)]
impl PrivateDir {
    fn create() -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt as _;

        // `create` (not `create_all`) fails if the name exists, so nobody can pre-plant the
        // directory or a symlink; a clash with a random name is retried a few times. The name is
        // short because socket paths are limited to about 100 bytes.
        let mut clashes = 0;
        loop {
            let random = uuid::Uuid::new_v4().as_u64_pair().0;
            let path = std::env::temp_dir().join(format!("plugin-{random:016x}"));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && clashes < 3 => {
                    clashes += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

#[cfg(unix)]
impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.0) {
            tracing::debug!(
                error = %err,
                path = %self.0.display(),
                "The plugin socket directory could not be removed."
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[cfg(unix)]
    #[tokio::test]
    async fn unix_socket_lives_in_a_private_directory_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt as _;

        let listener = PluginListener::bind(NetworkChoice::Auto, 0..=0).unwrap();
        assert_eq!(listener.network(), "unix");
        let socket = PathBuf::from(listener.address());
        let dir = socket.parent().unwrap().to_owned();
        assert!(dir.starts_with(std::env::temp_dir()));
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(socket.exists());
        drop(listener);
        assert!(!dir.exists());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn dropping_the_stream_closes_the_listener_and_cleans_up() {
        let listener = PluginListener::bind(NetworkChoice::Auto, 0..=0).unwrap();
        let dir = Path::new(listener.address()).parent().unwrap().to_owned();
        drop(listener.incoming(None));
        for _ in 0..100 {
            if !dir.exists() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{} was not removed", dir.display());
    }

    // Paused time jumps ahead whenever every task is waiting, so the timeout passes instantly.
    #[tokio::test(start_paused = true)]
    async fn stalled_tls_clients_are_dropped_after_the_handshake_timeout() {
        use crate::plugin::tls::{server_config, ServerIdentity};

        let client = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let identity = ServerIdentity::generate().unwrap();
        let config = server_config(&client.cert.pem(), &identity).unwrap();
        let listener = PluginListener::bind(NetworkChoice::Tcp, 0..=0).unwrap();
        let address = listener.address().to_owned();
        let _incoming = listener.incoming(Some(config.into()));

        let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
        let started = tokio::time::Instant::now();
        let mut buf = [0u8; 1];
        assert_eq!(stalled.read(&mut buf).await.unwrap(), 0, "expected EOF");
        assert!(started.elapsed() >= HANDSHAKE_TIMEOUT);
    }

    #[tokio::test]
    async fn tcp_binds_loopback_within_the_range_and_serves_plaintext() {
        let listener = PluginListener::bind(NetworkChoice::Tcp, 0..=0).unwrap();
        assert_eq!(listener.network(), "tcp");
        let addr: std::net::SocketAddr = listener.address().parse().unwrap();
        assert!(addr.ip().is_loopback());
        let port = addr.port();

        // The same port is now taken, so a range of just that port must fail with context.
        let err = PluginListener::bind(NetworkChoice::Tcp, port..=port).unwrap_err();
        assert!(
            matches!(err, TransportError::TcpBind { min, max, .. } if min == port && max == port)
        );

        let mut incoming = Box::pin(listener.incoming(None));
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut server = incoming.next().await.unwrap().unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    }
}
