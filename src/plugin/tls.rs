//! AutoMTLS as go-plugin does it: the plugin makes a fresh self-signed server certificate per start
//! and announces it in the handshake line; the host passes its own one-off client certificate in
//! `PLUGIN_CLIENT_CERT`, and only that exact certificate may connect.
//!
//! Terraform's client certificate is ECDSA P-521 / SHA-512, self-signed and `CA:TRUE`. `ring`
//! cannot verify P-521, hence the aws-lc-rs provider; the stock WebPKI verifier rejects a CA used
//! as an end entity, hence the pinning verifier below.

use std::fmt;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName as TlsDistinguishedName, OtherError,
    SignatureScheme,
};
use time::{Duration, OffsetDateTime};

/// The only application protocol offered: gRPC clients from grpc-go 1.67 on insist on it.
const ALPN_H2: &[u8] = b"h2";

/// How far back the certificate's validity starts, to tolerate small clock differences.
const BACKDATE: Duration = Duration::minutes(1);

/// How long the certificate stays valid; it only lives as long as the process, so "forever".
const LIFETIME: Duration = Duration::days(30 * 365);

/// Why the TLS set-up failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The client certificate text is not well-formed PEM.
    #[error("the client certificate (PLUGIN_CLIENT_CERT) is not valid PEM")]
    BadPem {
        /// The PEM parser's complaint.
        #[source]
        source: pem::Error,
    },
    /// The PEM text holds no `CERTIFICATE` section.
    #[error("the client certificate (PLUGIN_CLIENT_CERT) contains no CERTIFICATE section")]
    NoCertificate,
    /// Generating the server's key or certificate failed.
    #[error("could not generate the server's self-signed TLS certificate")]
    Generate {
        /// rcgen's error.
        #[source]
        source: rcgen::Error,
    },
    /// rustls refused the configuration (for example, the key does not match the certificate).
    #[error("could not build the TLS server configuration")]
    Config {
        /// rustls' error.
        #[source]
        source: rustls::Error,
    },
}

/// The server's certificate and private key for one run of the plugin.
#[derive(Debug)]
pub struct ServerIdentity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// Generates a fresh self-signed certificate shaped like go-plugin's: ECDSA key, SAN and CN
    /// `localhost`, `CA:TRUE`, key usages digital signature + key encipherment + cert sign, EKU
    /// server and client auth, valid from a minute ago for about 30 years.
    pub fn generate() -> Result<Self, TlsError> {
        let key_pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|source| TlsError::Generate { source })?;

        let mut params = CertificateParams::new(vec!["localhost".to_owned()])
            .map_err(|source| TlsError::Generate { source })?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "localhost");
        params.distinguished_name = name;
        // The host trusts exactly this certificate as its root, so it is its own CA.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + LIFETIME;

        let cert = params
            .self_signed(&key_pair)
            .map_err(|source| TlsError::Generate { source })?;
        Ok(Self {
            cert: cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der())),
        })
    }

    /// The certificate in DER, as announced (base64) in the handshake line.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }
}

/// Builds the rustls server configuration for AutoMTLS: aws-lc-rs crypto, TLS 1.2 and 1.3, ALPN
/// `h2`, the given server identity, and mandatory client authentication with exactly the
/// certificate in `client_cert_pem` (the first `CERTIFICATE` section, as Terraform sends one).
pub fn server_config(
    client_cert_pem: &str,
    identity: &ServerIdentity,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let client_cert =
        CertificateDer::from_pem_slice(client_cert_pem.as_bytes()).map_err(|err| match err {
            pem::Error::NoItemsFound => TlsError::NoCertificate,
            source => TlsError::BadPem { source },
        })?;

    // Explicitly aws-lc-rs rather than the process default, which another dependency could set
    // to a provider without P-521.
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedClientCertVerifier {
        expected: client_cert,
        algorithms: provider.signature_verification_algorithms,
    });

    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|source| TlsError::Config { source })?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert.clone()], identity.key.clone_key())
        .map_err(|source| TlsError::Config { source })?;
    config.alpn_protocols = vec![ALPN_H2.to_vec()];
    Ok(Arc::new(config))
}

/// The reason given (as a rustls certificate error) when a client shows any other certificate.
#[derive(thiserror::Error)]
#[error("the client certificate is not the one the host announced in PLUGIN_CLIENT_CERT")]
struct UnexpectedClientCert;

// rustls displays `CertificateError::Other` through `Debug`, so Debug carries the sentence too.
impl fmt::Debug for UnexpectedClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Accepts exactly one client certificate, byte for byte, and checks that the client holds its
/// key by verifying the handshake signature.
#[derive(Debug)]
struct PinnedClientCertVerifier {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    // Optional client auth would let a Go client connect without its certificate, silently
    // downgrading to server-only TLS.
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    // Go picks its (only) certificate regardless of the CA names we hint.
    fn root_hint_subjects(&self) -> &[TlsDistinguishedName] {
        &[]
    }

    // Validity dates and chains do not matter: the host generated this certificate moments ago and
    // handed it to us out of band, so byte equality is the whole trust decision.
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(UnexpectedClientCert)),
            )))
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_of(der: &[u8]) -> String {
        let body = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|chunk| std::str::from_utf8(chunk).expect("base64 is ASCII"))
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn generated_identity_is_usable_and_fresh_each_time() {
        let first = ServerIdentity::generate().unwrap();
        let second = ServerIdentity::generate().unwrap();
        assert_ne!(first.cert_der(), second.cert_der());

        // Self-pinning is enough to prove the PEM path and the key/cert pairing.
        let config = server_config(&pem_of(second.cert_der()), &first).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);

        let parsed = rustls::server::ParsedCertificate::try_from(first.cert_der()).unwrap();
        let localhost = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        rustls::client::verify_server_name(&parsed, &localhost).unwrap();
    }

    #[test]
    fn pem_errors_are_typed() {
        let identity = ServerIdentity::generate().unwrap();
        assert!(matches!(
            server_config("not pem at all", &identity),
            Err(TlsError::NoCertificate)
        ));
        let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            server_config(bad, &identity),
            Err(TlsError::BadPem { .. })
        ));
    }

    #[test]
    fn verifier_pins_exact_bytes_and_is_mandatory() {
        let expected = ServerIdentity::generate().unwrap();
        let other = ServerIdentity::generate().unwrap();
        let verifier = PinnedClientCertVerifier {
            expected: expected.cert_der().clone(),
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        };
        assert!(verifier.offer_client_auth() && verifier.client_auth_mandatory());
        assert!(verifier.root_hint_subjects().is_empty());
        assert!(verifier
            .supported_verify_schemes()
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));

        let now = UnixTime::now();
        assert!(verifier
            .verify_client_cert(expected.cert_der(), &[], now)
            .is_ok());
        let err = verifier
            .verify_client_cert(other.cert_der(), &[], now)
            .unwrap_err();
        assert!(err.to_string().contains("PLUGIN_CLIENT_CERT"), "{err}");
    }
}
