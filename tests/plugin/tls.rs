//! AutoMTLS over real loopback sockets: the plugin's transport and TLS pieces against a client
//! built the way Terraform builds its own (ECDSA P-521 / SHA-512, self-signed, `CA:TRUE`).

use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use harness::automtls::{client_config, ClientIdentity};
use lookoutvision::plugin::handshake::handshake_line;
use lookoutvision::plugin::tls::{server_config, ServerIdentity};
use lookoutvision::plugin::transport::{NetworkChoice, PluginIo, PluginListener};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio_rustls::TlsConnector;

/// Upper bound for any single client attempt, so a regression fails instead of hanging.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The three handshake-line fields a client needs.
struct Announced {
    network: String,
    address: String,
    server_cert: CertificateDer<'static>,
}

fn parse_line(line: &str) -> Announced {
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    assert_eq!(&fields[..2], ["1", "6"], "{line}");
    assert_eq!(fields[4], "grpc", "{line}");
    assert!(!fields[5].ends_with('='), "CERT must be unpadded: {line}");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .unwrap();
    Announced {
        network: fields[2].to_owned(),
        address: fields[3].to_owned(),
        server_cert: CertificateDer::from(der),
    }
}

/// Starts a plugin-side server that answers `ping\n` with `pong\n` on every connection the TLS
/// `incoming` stream yields, and returns its handshake line.
fn start_server(choice: NetworkChoice, client_cert_pem: &str) -> String {
    let identity = ServerIdentity::generate().unwrap();
    let config = server_config(client_cert_pem, &identity).unwrap();
    let listener = PluginListener::bind(choice, 0..=0).unwrap();
    let line = handshake_line(
        listener.network(),
        listener.address(),
        Some(identity.cert_der()),
    );
    let mut incoming = Box::pin(listener.incoming(Some(config.into())));
    tokio::spawn(async move {
        while let Some(conn) = incoming.next().await {
            if let Ok(io) = conn {
                tokio::spawn(serve_ping(io));
            }
        }
    });
    line
}

async fn serve_ping(mut io: PluginIo) {
    let mut request = [0u8; 5];
    if io.read_exact(&mut request).await.is_ok() && &request == b"ping\n" {
        let _ = io.write_all(b"pong\n").await;
        let _ = io.flush().await;
    }
}

/// Connects, says `ping`, and returns the negotiated ALPN protocol if the server answered
/// `pong`; any refusal comes back as the error text the client saw.
async fn ping(
    line: &str,
    identity: Option<&ClientIdentity>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Option<Vec<u8>>, String> {
    let announced = parse_line(line);
    let connector = TlsConnector::from(client_config(&announced.server_cert, identity, versions));
    let attempt = async {
        match announced.network.as_str() {
            "unix" => {
                let stream = tokio::net::UnixStream::connect(&announced.address)
                    .await
                    .map_err(|err| err.to_string())?;
                ping_over(&connector, stream).await
            }
            "tcp" => {
                let stream = tokio::net::TcpStream::connect(&announced.address)
                    .await
                    .map_err(|err| err.to_string())?;
                ping_over(&connector, stream).await
            }
            other => panic!("unexpected network {other}"),
        }
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()))
}

async fn ping_over<S>(connector: &TlsConnector, stream: S) -> Result<Option<Vec<u8>>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let localhost = ServerName::try_from("localhost").unwrap();
    let mut tls = connector
        .connect(localhost, stream)
        .await
        .map_err(|err| format!("handshake: {err}"))?;
    // With TLS 1.3 the client finishes its side before the server has judged its certificate,
    // so a refusal shows up on the first read, not in `connect`.
    tls.write_all(b"ping\n")
        .await
        .map_err(|err| format!("write: {err}"))?;
    tls.flush().await.map_err(|err| format!("flush: {err}"))?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 5];
    let read = tls
        .read(&mut buf)
        .await
        .map_err(|err| format!("read: {err}"))?;
    reply.extend_from_slice(&buf[..read]);
    if reply != b"pong\n" {
        return Err(format!("read: unexpected reply {reply:?}"));
    }
    Ok(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
}

const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];

async fn terraform_like_client_connects(choice: NetworkChoice, expected_network: &str) {
    let terraform = ClientIdentity::terraform_like();
    let line = start_server(choice, &terraform.pem);
    assert_eq!(parse_line(&line).network, expected_network);
    for versions in [TLS13, TLS12] {
        let alpn = ping(&line, Some(&terraform), versions).await.unwrap();
        assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    }
}

#[tokio::test]
async fn terraform_like_client_connects_over_unix_with_h2() {
    terraform_like_client_connects(NetworkChoice::Auto, "unix").await;
}

#[tokio::test]
async fn terraform_like_client_connects_over_tcp_with_h2() {
    terraform_like_client_connects(NetworkChoice::Tcp, "tcp").await;
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let terraform = ClientIdentity::terraform_like();
    for choice in [NetworkChoice::Auto, NetworkChoice::Tcp] {
        let line = start_server(choice, &terraform.pem);
        for versions in [TLS13, TLS12] {
            let err = ping(&line, None, versions).await.unwrap_err();
            assert!(err.ends_with("fatal alert: CertificateRequired"), "{err}");
        }
    }
}

#[tokio::test]
async fn client_with_another_p521_ca_certificate_is_refused() {
    let terraform = ClientIdentity::terraform_like();
    let impostor = ClientIdentity::terraform_like();
    for choice in [NetworkChoice::Auto, NetworkChoice::Tcp] {
        let line = start_server(choice, &terraform.pem);
        for versions in [TLS13, TLS12] {
            let err = ping(&line, Some(&impostor), versions).await.unwrap_err();
            assert!(err.ends_with("fatal alert: CertificateUnknown"), "{err}");
        }
    }
}

#[tokio::test]
async fn refused_and_stalled_clients_do_not_stop_good_ones() {
    let terraform = ClientIdentity::terraform_like();
    let impostor = ClientIdentity::terraform_like();
    for choice in [NetworkChoice::Auto, NetworkChoice::Tcp] {
        let line = start_server(choice, &terraform.pem);
        let announced = parse_line(&line);

        // Connections that never start a TLS handshake stay open for the whole test.
        let mut stalled_unix = Vec::new();
        let mut stalled_tcp = Vec::new();
        for _ in 0..3 {
            match announced.network.as_str() {
                "unix" => stalled_unix.push(
                    tokio::net::UnixStream::connect(&announced.address)
                        .await
                        .unwrap(),
                ),
                _ => stalled_tcp.push(
                    tokio::net::TcpStream::connect(&announced.address)
                        .await
                        .unwrap(),
                ),
            }
        }

        for round in 0..3 {
            ping(&line, None, TLS13).await.unwrap_err();
            ping(&line, Some(&impostor), TLS13).await.unwrap_err();
            let alpn = ping(&line, Some(&terraform), TLS13)
                .await
                .unwrap_or_else(|err| panic!("good client failed in round {round}: {err}"));
            assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
        }

        // Several good clients at once are all served.
        let together =
            futures_util::future::join_all((0..8).map(|_| ping(&line, Some(&terraform), TLS13)))
                .await;
        assert!(together.iter().all(Result::is_ok), "{together:?}");
        drop((stalled_unix, stalled_tcp));
    }
}

/// The stream plugs into tonic as the serving code will use it: tonic answers an HTTP/2 preface
/// over the mutual-TLS connection, and shutting down closes the listener and its directory.
#[tokio::test]
async fn tonic_serves_http2_over_the_tls_stream() {
    let terraform = ClientIdentity::terraform_like();
    let identity = ServerIdentity::generate().unwrap();
    let config = server_config(&terraform.pem, &identity).unwrap();
    let listener = PluginListener::bind(NetworkChoice::Auto, 0..=0).unwrap();
    let line = handshake_line(
        listener.network(),
        listener.address(),
        Some(identity.cert_der()),
    );
    let incoming = listener.incoming(Some(config.into()));
    let (_reporter, health) = tonic_health::server::health_reporter();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stop_rx.await;
            }),
    );

    let announced = parse_line(&line);
    let connector = TlsConnector::from(client_config(
        &announced.server_cert,
        Some(&terraform),
        TLS13,
    ));
    let stream = tokio::net::UnixStream::connect(&announced.address)
        .await
        .unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), stream)
        .await
        .unwrap();
    // Client preface, then an empty SETTINGS frame.
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    tls.flush().await.unwrap();
    let mut frame_header = [0u8; 9];
    tokio::time::timeout(ATTEMPT_TIMEOUT, tls.read_exact(&mut frame_header))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        frame_header[3], 0x04,
        "the server's first frame is SETTINGS"
    );
    drop(tls);

    stop_tx.send(()).unwrap();
    tokio::time::timeout(ATTEMPT_TIMEOUT, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let dir = std::path::Path::new(&announced.address)
        .parent()
        .unwrap()
        .to_owned();
    for _ in 0..100 {
        if !dir.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} was not removed after shutdown", dir.display());
}
