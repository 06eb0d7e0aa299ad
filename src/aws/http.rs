//! The HTTP client every AWS call of the provider goes through (Lookout for Vision, STS, IAM
//! Identity Center, container and instance credentials): the SDK's own hyper and rustls client
//! (aws-lc), given the trust store of `custom_ca_bundle` and the proxies of `http_proxy`,
//! `https_proxy` and `no_proxy`, which the SDK's default client does not read.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;

/// A setting's value with where it came from: the provider argument, or the environment
/// variable named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// The environment variable it came from; `None` for the provider argument.
    pub env_var: Option<&'static str>,
}

/// The HTTP settings of the provider block, after environment fallbacks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpSettings {
    /// `custom_ca_bundle` / `AWS_CA_BUNDLE`: a PEM file of CA certificates trusted besides the
    /// system's.
    pub ca_bundle: Option<Sourced<PathBuf>>,
    /// `http_proxy` / `HTTP_PROXY` / `http_proxy`: the proxy for `http://` requests.
    pub http_proxy: Option<Sourced<String>>,
    /// `https_proxy` / `HTTPS_PROXY` / `https_proxy`: the proxy for `https://` requests.
    pub https_proxy: Option<Sourced<String>>,
    /// `no_proxy` / `NO_PROXY` / `no_proxy`: hosts reached without a proxy.
    pub no_proxy: Option<Sourced<String>>,
}

/// The HTTP client cannot be built from the settings.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpSettingsError {
    /// The CA bundle cannot be read.
    #[error("cannot read the CA bundle {}: {reason}", path.display())]
    UnreadableCaBundle {
        /// The file.
        path: PathBuf,
        /// Where the path came from.
        env_var: Option<&'static str>,
        /// Why (the operating system's words).
        reason: String,
    },
    /// The CA bundle is not a PEM file of certificates.
    #[error("the CA bundle {} {reason}", path.display())]
    InvalidCaBundle {
        /// The file.
        path: PathBuf,
        /// Where the path came from.
        env_var: Option<&'static str>,
        /// What is wrong with its contents.
        reason: String,
    },
    /// A proxy URL is not one.
    #[error("{shown} is not a proxy URL: {reason}")]
    InvalidProxy {
        /// The provider argument (`http_proxy` or `https_proxy`).
        argument: &'static str,
        /// Where the URL came from.
        env_var: Option<&'static str>,
        /// The URL with any password hidden.
        shown: String,
        /// What is wrong.
        reason: String,
    },
}

/// `url` with the password of any `user:password@` hidden, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// Reads and checks a PEM bundle the way the TLS layer will load it (which would panic on what
/// it cannot parse), so a bad file fails when the provider is configured, naming the file.
fn read_ca_bundle(bundle: &Sourced<PathBuf>) -> Result<Vec<u8>, HttpSettingsError> {
    let path = &bundle.value;
    let pem = std::fs::read(path).map_err(|err| HttpSettingsError::UnreadableCaBundle {
        path: path.clone(),
        env_var: bundle.env_var,
        reason: err.to_string(),
    })?;
    let invalid = |reason: String| HttpSettingsError::InvalidCaBundle {
        path: path.clone(),
        env_var: bundle.env_var,
        reason,
    };
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid(format!("is not valid PEM ({err})")))?;
    if certificates.is_empty() {
        return Err(invalid(
            "holds no certificate (no `-----BEGIN CERTIFICATE-----` block)".to_owned(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (index, certificate) in certificates.into_iter().enumerate() {
        roots.add(certificate).map_err(|err| {
            invalid(format!(
                "holds a certificate (number {}) that cannot be parsed: {err}",
                index + 1
            ))
        })?;
    }
    Ok(pem)
}

/// One proxy setting checked and turned into the client's configuration for its scheme.
fn proxy(
    setting: &Option<Sourced<String>>,
    argument: &'static str,
    no_proxy: &Option<Sourced<String>>,
    make: fn(String) -> Result<ProxyConfig, aws_smithy_http_client::proxy::ProxyError>,
) -> Result<Option<ProxyConfig>, HttpSettingsError> {
    let Some(Sourced { value, env_var }) = setting else {
        return Ok(None);
    };
    let config = make(value.clone()).map_err(|err| HttpSettingsError::InvalidProxy {
        argument,
        env_var: *env_var,
        shown: redact_url(value),
        // The client's message repeats the URL; say what is expected instead.
        reason: format!(
            "expected http://HOST:PORT or https://HOST:PORT ({})",
            redact_url(&err.to_string())
        ),
    })?;
    Ok(Some(match no_proxy {
        Some(hosts) => config.no_proxy(&hosts.value),
        None => config,
    }))
}

/// Which proxy each scheme uses: one connector when one configuration covers both schemes, a
/// connector per scheme when they name different proxies.
#[derive(Clone, Debug)]
enum Proxies {
    One(Option<ProxyConfig>),
    PerScheme {
        http: Option<ProxyConfig>,
        https: Option<ProxyConfig>,
    },
}

impl HttpSettings {
    fn proxies(&self) -> Result<Proxies, HttpSettingsError> {
        let same = match (&self.http_proxy, &self.https_proxy) {
            (Some(http), Some(https)) => http.value == https.value,
            _ => true,
        };
        Ok(match (&self.http_proxy, &self.https_proxy) {
            (None, None) => Proxies::One(None),
            (Some(_), Some(_)) if same => Proxies::One(proxy(
                &self.http_proxy,
                "http_proxy",
                &self.no_proxy,
                ProxyConfig::all::<String>,
            )?),
            (Some(_), None) => Proxies::One(proxy(
                &self.http_proxy,
                "http_proxy",
                &self.no_proxy,
                ProxyConfig::http::<String>,
            )?),
            (None, Some(_)) => Proxies::One(proxy(
                &self.https_proxy,
                "https_proxy",
                &self.no_proxy,
                ProxyConfig::https::<String>,
            )?),
            (Some(_), Some(_)) => Proxies::PerScheme {
                http: proxy(
                    &self.http_proxy,
                    "http_proxy",
                    &self.no_proxy,
                    ProxyConfig::http::<String>,
                )?,
                https: proxy(
                    &self.https_proxy,
                    "https_proxy",
                    &self.no_proxy,
                    ProxyConfig::https::<String>,
                )?,
            },
        })
    }

    /// The HTTP client for these settings. The CA bundle is read and checked here, so that a
    /// bad file fails when the provider is configured.
    pub fn client(&self) -> Result<SharedHttpClient, HttpSettingsError> {
        let mut trust = TrustStore::default();
        if let Some(bundle) = &self.ca_bundle {
            trust = trust.with_pem_certificate(read_ca_bundle(bundle)?);
        }
        let tls = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .expect("a TLS context with a checked trust store");
        Ok(SharedHttpClient::new(ProviderHttpClient {
            tls,
            proxies: self.proxies()?,
            connectors: RwLock::default(),
        }))
    }
}

/// Connectors are kept per timeout settings, as the SDK's own client keeps them, so that every
/// call with the same settings shares one connection pool.
type CacheKey = (Option<Duration>, Option<Duration>);

#[derive(Debug)]
struct ProviderHttpClient {
    tls: TlsContext,
    proxies: Proxies,
    connectors: RwLock<HashMap<CacheKey, SharedHttpConnector>>,
}

impl ProviderHttpClient {
    fn connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
        proxy: Option<ProxyConfig>,
    ) -> SharedHttpConnector {
        let mut builder = Connector::builder().connector_settings(settings.clone());
        if let Some(sleep) = components.sleep_impl() {
            builder = builder.sleep_impl(sleep);
        }
        if let Some(proxy) = proxy {
            builder = builder.proxy_config(proxy);
        }
        SharedHttpConnector::new(
            builder
                .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                .tls_context(self.tls.clone())
                .build(),
        )
    }
}

impl HttpClient for ProviderHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(NamingEndpoint(self.pooled(settings, components)))
    }
}

impl ProviderHttpClient {
    /// The connector for `settings`, built once per settings.
    fn pooled(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        if let Some(connector) = self
            .connectors
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return connector.clone();
        }
        let mut cache = self
            .connectors
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(key)
            .or_insert_with(|| match &self.proxies {
                Proxies::One(proxy) => self.connector(settings, components, proxy.clone()),
                Proxies::PerScheme { http, https } => SharedHttpConnector::new(BySchemes {
                    http: self.connector(settings, components, http.clone()),
                    https: self.connector(settings, components, https.clone()),
                }),
            })
            .clone()
    }
}

/// A request that got no answer from the endpoint it was sent to: the error of every such
/// failure, so that each message names the URL (the connector's own errors do not) and says
/// whether the request reached it.
#[derive(Debug, thiserror::Error)]
#[error("{} {endpoint}", if *.reached { "no answer from" } else { "could not connect to" })]
pub struct EndpointFailure {
    /// `scheme://host:port` of the request, without any password.
    pub endpoint: String,
    /// Whether the connection was made, so that the request may have reached the service.
    pub reached: bool,
    #[source]
    source: aws_smithy_runtime_api::box_error::BoxError,
}

/// Whether `err` happened while connecting: before any byte of the request was sent. hyper
/// marks connection failures (refused, DNS, TLS handshake, connect timeout) as such; a refused
/// connection is recognised by itself too, for errors that did not come through hyper.
pub fn never_connected(err: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(err), |e| e.source()).any(|e| {
        e.downcast_ref::<EndpointFailure>()
            .is_some_and(|failure| !failure.reached)
            || e.downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(hyper_util::client::legacy::Error::is_connect)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    })
}

/// `scheme://authority` of `uri`, with any password hidden.
fn endpoint_of(uri: &str) -> String {
    let end = uri.find("://").map_or(uri.len(), |at| {
        uri[at + 3..].find('/').map_or(uri.len(), |p| at + 3 + p)
    });
    redact_url(&uri[..end])
}

/// Wraps every connection error in an [`EndpointFailure`], keeping its kind (which decides how
/// the SDK retries it) and what it knows of the connection.
#[derive(Debug)]
struct NamingEndpoint(SharedHttpConnector);

impl HttpConnector for NamingEndpoint {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let endpoint = endpoint_of(request.uri());
        let call = self.0.call(request);
        HttpConnectorFuture::new(async move {
            call.await.map_err(|err| {
                let reached = !never_connected(&err);
                let connection = err.connection_metadata().cloned();
                let (timeout, io, user, other) =
                    (err.is_timeout(), err.is_io(), err.is_user(), err.as_other());
                let source: aws_smithy_runtime_api::box_error::BoxError =
                    Box::new(EndpointFailure {
                        endpoint,
                        reached,
                        source: err.into_source(),
                    });
                let named = if timeout {
                    ConnectorError::timeout(source)
                } else if io {
                    ConnectorError::io(source)
                } else if user {
                    ConnectorError::user(source)
                } else {
                    ConnectorError::other(source, other)
                };
                match (connection, reached) {
                    (Some(connection), _) => named.with_connection(connection),
                    (None, false) => named.never_connected(),
                    (None, true) => named,
                }
            })
        })
    }
}

/// Sends `http://` requests through one connector and the others through another, so that
/// `http_proxy` and `https_proxy` can name different proxies.
#[derive(Debug)]
struct BySchemes {
    http: SharedHttpConnector,
    https: SharedHttpConnector,
}

impl HttpConnector for BySchemes {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if request.uri().starts_with("http://") {
            self.http.call(request)
        } else {
            self.https.call(request)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sourced<T>(value: T) -> Option<Sourced<T>> {
        Some(Sourced {
            value,
            env_var: None,
        })
    }

    #[test]
    fn passwords_in_proxy_urls_are_hidden() {
        assert_eq!(
            redact_url("http://user:hunter2@proxy:3128/path"),
            "http://user:***@proxy:3128/path"
        );
        assert_eq!(redact_url("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn one_connector_unless_the_schemes_name_different_proxies() {
        let settings = |http: Option<&str>, https: Option<&str>| HttpSettings {
            http_proxy: http.map(|v| v.to_owned()).and_then(sourced),
            https_proxy: https.map(|v| v.to_owned()).and_then(sourced),
            ..Default::default()
        };
        assert!(matches!(
            settings(None, None).proxies(),
            Ok(Proxies::One(None))
        ));
        assert!(matches!(
            settings(Some("http://p:1"), Some("http://p:1")).proxies(),
            Ok(Proxies::One(Some(_)))
        ));
        assert!(matches!(
            settings(None, Some("http://p:1")).proxies(),
            Ok(Proxies::One(Some(_)))
        ));
        assert!(matches!(
            settings(Some("http://p:1"), Some("http://q:2")).proxies(),
            Ok(Proxies::PerScheme {
                http: Some(_),
                https: Some(_)
            })
        ));
        let err = settings(Some("socks5://user:pw@p:1"), None)
            .proxies()
            .unwrap_err();
        let HttpSettingsError::InvalidProxy {
            argument, shown, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (*argument, shown.as_str()),
            ("http_proxy", "socks5://user:***@p:1")
        );
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn a_ca_bundle_must_be_a_readable_pem_file_of_certificates() {
        let dir = tempfile::tempdir().expect("a directory");
        let bundle = |name: &str, contents: Option<&str>| {
            let path = dir.path().join(name);
            if let Some(contents) = contents {
                std::fs::write(&path, contents).expect("a file");
            }
            HttpSettings {
                ca_bundle: sourced(path),
                ..Default::default()
            }
            .client()
            .map(drop)
        };
        let err = bundle("missing.pem", None).unwrap_err();
        assert!(
            matches!(err, HttpSettingsError::UnreadableCaBundle { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("missing.pem"), "{err}");
        let err = bundle("empty.pem", Some("not a certificate\n")).unwrap_err();
        assert!(err.to_string().contains("holds no certificate"), "{err}");
        let err = bundle(
            "garbage.pem",
            Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be parsed"), "{err}");

        let key = rcgen::KeyPair::generate().expect("a key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let pem = params.self_signed(&key).expect("a certificate").pem();
        bundle("good.pem", Some(&pem)).expect("a bundle of one certificate");
    }
}
