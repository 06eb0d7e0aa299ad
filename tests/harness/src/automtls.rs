//! The client side of go-plugin's AutoMTLS, as Terraform does it: a certificate like the one
//! Terraform generates, and a rustls client that trusts exactly the certificate the plugin
//! announced. Used by the protocol suite and the benchmark.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P521_SHA512,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme, SupportedProtocolVersion};

/// A client certificate and key, plus the PEM Terraform would put in `PLUGIN_CLIENT_CERT`.
pub struct ClientIdentity {
    /// The certificate.
    pub cert: CertificateDer<'static>,
    /// Its private key.
    pub key: PrivateKeyDer<'static>,
    /// The certificate as PEM.
    pub pem: String,
}

impl ClientIdentity {
    /// What go-plugin generates for Terraform's side: ECDSA P-521 / SHA-512, self-signed,
    /// `CA:TRUE`.
    pub fn terraform_like() -> Self {
        let key_pair = KeyPair::generate_for(&PKCS_ECDSA_P521_SHA512).expect("a P-521 key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned()]).expect("valid parameters");
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "localhost");
        name.push(DnType::OrganizationName, "HashiCorp");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params
            .self_signed(&key_pair)
            .expect("a self-signed certificate");
        Self {
            pem: cert.pem(),
            cert: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der())),
        }
    }
}

/// Trusts exactly the announced server certificate, as go-plugin's client does by making it its
/// only root. rustls' WebPKI verifier cannot: it rejects a `CA:TRUE` certificate as the end
/// entity, which Go accepts when that certificate is itself a root.
#[derive(Debug)]
struct PinnedServerCert {
    cert: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() != self.cert.as_ref() {
            return Err(rustls::CertificateError::UnknownIssuer.into());
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A client configuration on aws-lc-rs that pins `server_cert`, presents `identity` (if any)
/// and offers ALPN `h2`, limited to `versions`.
pub fn client_config(
    server_cert: &[u8],
    identity: Option<&ClientIdentity>,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServerCert {
        cert: CertificateDer::from(server_cert.to_vec()),
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("aws-lc-rs supports these versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(vec![identity.cert.clone()], identity.key.clone_key())
            .expect("the client key matches its certificate"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// A gRPC channel over mutual TLS to the unix socket `socket`, as Terraform connects under
/// AutoMTLS: pinning the announced `server_cert`, presenting `client`'s certificate, offering
/// ALPN `h2`. `endpoint` carries the caller's timeouts; its URI only names the HTTP/2
/// authority, the connector decides where to connect.
pub async fn connect(
    endpoint: tonic::transport::Endpoint,
    socket: &str,
    server_cert: &[u8],
    client: &ClientIdentity,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let config = client_config(server_cert, Some(client), rustls::DEFAULT_VERSIONS);
    let connector = tokio_rustls::TlsConnector::from(config);
    let socket = socket.to_owned();
    endpoint
        .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
            let (connector, socket) = (connector.clone(), socket.clone());
            async move {
                let stream = tokio::net::UnixStream::connect(&socket).await?;
                let localhost = ServerName::try_from("localhost").expect("a valid name");
                let tls = connector.connect(localhost, stream).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}
