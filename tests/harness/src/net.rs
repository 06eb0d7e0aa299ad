//! Loopback network stand-ins: a throwaway certificate authority, a small HTTP(S) server whose
//! answers a test decides, a TLS front for a plain-HTTP server (the emulator over HTTPS), and an
//! HTTP proxy that records what went through it. Each runs on a runtime of its own and stops
//! when dropped.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_rustls::TlsAcceptor;

/// A certificate authority made for one test, and the certificate it issues for loopback
/// (`localhost` and `127.0.0.1`).
pub struct TestCa {
    /// The CA certificate, PEM.
    pub pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
}

impl TestCa {
    /// A fresh CA and a server certificate it signed.
    pub fn new() -> TestCa {
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "lookoutvision test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).expect("a CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("a server key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned()]).expect("server parameters");
        params
            .subject_alt_names
            .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server_cert = params
            .signed_by(&server_key, &issuer)
            .expect("a server certificate");
        TestCa {
            pem: ca_cert.pem(),
            server_chain: vec![server_cert.der().clone(), ca_cert.der().clone()],
            server_key: server_key.serialize_der(),
        }
    }

    /// Writes the CA certificate as PEM to `path` and returns the path.
    pub fn write_pem(&self, path: &Path) -> PathBuf {
        std::fs::write(path, &self.pem).expect("the CA certificate is written");
        path.to_owned()
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                self.server_chain.clone(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone())),
            )
            .expect("a server TLS configuration");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without `?`.
    pub query: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as `application/x-www-form-urlencoded` fields.
    pub fn form(&self) -> BTreeMap<String, String> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The query's parameters.
    pub fn query_params(&self) -> BTreeMap<String, String> {
        form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// An answer.
#[derive(Clone, Debug)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Other headers.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// An answer with `status`, `content_type` and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: content_type.to_owned(),
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// The answer with header `name` set to `value` too.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// A loopback HTTP or HTTPS server answering every request with what its handler returns, and
/// keeping every request for the test to look at.
pub struct HttpServer {
    runtime: Option<Runtime>,
    requests: Arc<Mutex<Vec<Request>>>,
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub url: String,
    /// Where it listens.
    pub address: SocketAddr,
}

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn full(status: u16, content_type: &str, body: Vec<u8>) -> hyper::Response<Full<Bytes>> {
    answer(Response::new(status, content_type, body))
}

fn answer(response: Response) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder()
        .status(response.status)
        .header("content-type", response.content_type);
    for (name, value) in response.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .expect("a response")
}

impl HttpServer {
    /// Serves plain HTTP on an ephemeral loopback port.
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> HttpServer {
        HttpServer::serve(None, Arc::new(handler))
    }

    /// Serves HTTPS with a certificate issued by `ca`, at `https://localhost:PORT`.
    pub fn start_tls(
        ca: &TestCa,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> HttpServer {
        HttpServer::serve(Some(ca.acceptor()), Arc::new(handler))
    }

    /// Serves the files under `root` (GET only; 404 for anything else).
    pub fn files(ca: &TestCa, root: &Path) -> HttpServer {
        let root = root.to_owned();
        HttpServer::start_tls(ca, move |request| {
            let relative = request.path.trim_start_matches('/');
            let path = root.join(relative);
            let inside = !relative.split('/').any(|part| part == "..");
            match std::fs::read(&path) {
                Ok(body) if inside && request.method == "GET" => {
                    let json = relative.ends_with(".json");
                    Response::new(
                        200,
                        if json {
                            "application/json"
                        } else {
                            "application/zip"
                        },
                        body,
                    )
                }
                _ => Response::new(404, "text/plain", "not found"),
            }
        })
    }

    fn serve(tls: Option<TlsAcceptor>, handler: Arc<Handler>) -> HttpServer {
        let runtime = runtime("stand-in");
        let listener = runtime
            .block_on(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .expect("a loopback port");
        let address = listener.local_addr().expect("an address");
        let url = match tls {
            Some(_) => format!("https://localhost:{}", address.port()),
            None => format!("http://{address}"),
        };
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let log = requests.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let log = log.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<Incoming>| {
                        let handler = handler.clone();
                        let log = log.clone();
                        async move {
                            let request = collect(request).await;
                            let response = handler(&request);
                            log.lock().expect("the log").push(request);
                            Ok::<_, Infallible>(answer(response))
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        HttpServer {
            runtime: Some(runtime),
            requests,
            url,
            address,
        }
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("the log").clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn collect(request: hyper::Request<Incoming>) -> Request {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Request {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}

/// HTTPS in front of a plain-HTTP server (such as the emulator): TLS with a certificate from a
/// test CA, the bytes passed through unchanged.
pub struct TlsFront {
    runtime: Option<Runtime>,
    /// `https://localhost:PORT`.
    pub url: String,
}

impl TlsFront {
    /// Terminates TLS for `backend` with a certificate issued by `ca`.
    pub fn start(ca: &TestCa, backend: SocketAddr) -> TlsFront {
        let acceptor = ca.acceptor();
        let runtime = runtime("tls-front");
        let listener = runtime
            .block_on(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .expect("a loopback port");
        let port = listener.local_addr().expect("an address").port();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut client) = acceptor.accept(stream).await else {
                        return;
                    };
                    if let Ok(mut server) = TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        TlsFront {
            runtime: Some(runtime),
            url: format!("https://localhost:{port}"),
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// What went through the proxy: `CONNECT host:port` for a tunnel (HTTPS), or the method and
/// absolute URL of a forwarded plain-HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxied {
    /// `CONNECT`, `GET`, `POST`, ...
    pub method: String,
    /// `host:port` for CONNECT, else the absolute URL.
    pub target: String,
}

/// A loopback HTTP proxy: tunnels CONNECT and forwards absolute-form HTTP requests, recording
/// each.
pub struct Proxy {
    runtime: Option<Runtime>,
    log: Arc<Mutex<Vec<Proxied>>>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Proxy {
    /// Starts the proxy.
    pub fn start() -> Proxy {
        let runtime = runtime("proxy");
        let listener = runtime
            .block_on(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .expect("a loopback port");
        let address = listener.local_addr().expect("an address");
        let log: Arc<Mutex<Vec<Proxied>>> = Arc::default();
        let seen = log.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<Incoming>| {
                        let seen = seen.clone();
                        async move { Ok::<_, Infallible>(proxy(request, &seen).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Proxy {
            runtime: Some(runtime),
            log,
            url: format!("http://{address}"),
        }
    }

    /// Everything proxied so far, oldest first.
    pub fn proxied(&self) -> Vec<Proxied> {
        self.log.lock().expect("the log").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn proxy(
    request: hyper::Request<Incoming>,
    seen: &Mutex<Vec<Proxied>>,
) -> hyper::Response<Full<Bytes>> {
    let bad_gateway = |why: String| full(502, "text/plain", why.into_bytes());
    if request.method() == hyper::Method::CONNECT {
        let Some(authority) = request.uri().authority().map(|a| a.to_string()) else {
            return full(400, "text/plain", b"CONNECT needs host:port".to_vec());
        };
        seen.lock().expect("the log").push(Proxied {
            method: "CONNECT".into(),
            target: authority.clone(),
        });
        let upstream = match TcpStream::connect(&authority).await {
            Ok(upstream) => upstream,
            Err(err) => return bad_gateway(err.to_string()),
        };
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(request).await {
                let mut upstream = upstream;
                let _ =
                    tokio::io::copy_bidirectional(&mut TokioIo::new(upgraded), &mut upstream).await;
            }
        });
        return full(200, "text/plain", Vec::new());
    }
    let uri = request.uri().clone();
    let Some(authority) = uri.authority().map(|a| a.to_string()) else {
        return full(400, "text/plain", b"a proxy needs an absolute URL".to_vec());
    };
    seen.lock().expect("the log").push(Proxied {
        method: request.method().to_string(),
        target: uri.to_string(),
    });
    let upstream = match TcpStream::connect(&authority).await {
        Ok(upstream) => upstream,
        Err(err) => return bad_gateway(err.to_string()),
    };
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(upstream)).await {
            Ok(pair) => pair,
            Err(err) => return bad_gateway(err.to_string()),
        };
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    parts.uri = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .parse()
        .expect("a path");
    parts.headers.remove("proxy-authorization");
    parts.headers.remove("proxy-connection");
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    match sender
        .send_request(hyper::Request::from_parts(parts, Full::new(body)))
        .await
    {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            hyper::Response::from_parts(parts, Full::new(body))
        }
        Err(err) => bad_gateway(err.to_string()),
    }
}
