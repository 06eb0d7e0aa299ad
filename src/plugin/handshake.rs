//! The go-plugin start-up handshake: what Terraform passes in the environment, and the one line the
//! plugin answers with on stdout.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::RangeInclusive;

use base64::Engine as _;

/// The value Terraform puts in `TF_PLUGIN_MAGIC_COOKIE`; its absence means a human ran the binary.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The go-plugin core protocol version, the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;

/// The Terraform plugin protocol version this provider speaks (tfplugin6).
pub const PLUGIN_PROTOCOL_VERSION: u32 = 6;

const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const PROTOCOL_VERSIONS_KEY: &str = "PLUGIN_PROTOCOL_VERSIONS";
const MIN_PORT_KEY: &str = "PLUGIN_MIN_PORT";
const MAX_PORT_KEY: &str = "PLUGIN_MAX_PORT";
const CLIENT_CERT_KEY: &str = "PLUGIN_CLIENT_CERT";

/// Why the environment does not describe a usable plugin start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The magic cookie is missing or wrong: the binary was not started by Terraform or OpenTofu.
    #[error(
        "This binary is a plugin for Terraform and OpenTofu; it is not meant to be run by hand. \
         Run `terraform` or `tofu` instead, which start their plugins automatically. To attach \
         a debugger, run it with --debug."
    )]
    NotLaunchedByHost,
    /// The host does not speak the protocol version this provider implements.
    #[error(
        "Terraform offers plugin protocol versions [{offered}] (PLUGIN_PROTOCOL_VERSIONS), but this \
         provider speaks only version {PLUGIN_PROTOCOL_VERSION}; use Terraform 1.0 or newer, or OpenTofu"
    )]
    UnsupportedProtocol {
        /// The versions the host offered, as written in the environment variable.
        offered: String,
    },
    /// `PLUGIN_PROTOCOL_VERSIONS` holds something that is not a version number.
    #[error("PLUGIN_PROTOCOL_VERSIONS contains `{entry}`, which is not a protocol version number")]
    BadProtocolVersion {
        /// The offending comma-separated entry.
        entry: String,
    },
    /// A port bound is not a port number.
    #[error("{key} is `{value}`, which is not a TCP port number")]
    BadPort {
        /// The variable name.
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// The port bounds are inverted.
    #[error("PLUGIN_MIN_PORT ({min}) is greater than PLUGIN_MAX_PORT ({max})")]
    InvertedPortRange {
        /// `PLUGIN_MIN_PORT`.
        min: u16,
        /// `PLUGIN_MAX_PORT`.
        max: u16,
    },
}

/// What Terraform told the plugin through the environment at start-up.
#[derive(Clone, PartialEq, Eq)]
pub struct HandshakeEnv {
    /// The protocol versions the host offered; always contains [`PLUGIN_PROTOCOL_VERSION`].
    pub offered_protocol_versions: BTreeSet<u32>,
    /// The ports a tcp listener may use. `0..=0` (both variables unset) lets the OS pick any port,
    /// as go-plugin does.
    pub port_range: RangeInclusive<u16>,
    /// Terraform's client certificate (PEM) for AutoMTLS; `None` means serve plaintext.
    pub client_cert_pem: Option<String>,
}

// Written by hand so that a debug print does not dump the whole certificate.
impl fmt::Debug for HandshakeEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeEnv")
            .field("offered_protocol_versions", &self.offered_protocol_versions)
            .field("port_range", &self.port_range)
            .field(
                "client_cert_pem",
                &self.client_cert_pem.as_ref().map(|_| "<PEM>"),
            )
            .finish()
    }
}

impl HandshakeEnv {
    /// Reads the handshake variables from the process environment.
    pub fn from_env() -> Result<Self, HandshakeError> {
        // Only the variables we need are read: `std::env::vars` would panic on any unrelated
        // non-UTF-8 variable. A non-UTF-8 value of ours fails validation after lossy conversion.
        Self::from_lookup(|key| {
            std::env::var_os(key).map(|value| value.to_string_lossy().into_owned())
        })
    }

    /// Reads the handshake variables from explicit `(name, value)` pairs, for tests and embedding.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, HandshakeError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self::from_lookup(|key| vars.get(key).cloned())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, HandshakeError> {
        // The cookie comes first: a person running the binary by hand should see only that hint.
        if lookup(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotLaunchedByHost);
        }

        let versions_raw = lookup(PROTOCOL_VERSIONS_KEY).unwrap_or_default();
        let offered_protocol_versions = parse_versions(&versions_raw)?;
        if !offered_protocol_versions.contains(&PLUGIN_PROTOCOL_VERSION) {
            return Err(HandshakeError::UnsupportedProtocol {
                offered: versions_raw.trim().to_owned(),
            });
        }

        let min = parse_port(MIN_PORT_KEY, lookup(MIN_PORT_KEY))?;
        let max = parse_port(MAX_PORT_KEY, lookup(MAX_PORT_KEY))?;
        if min > max {
            return Err(HandshakeError::InvertedPortRange { min, max });
        }

        // go-plugin treats an empty value like an absent one: no AutoMTLS.
        let client_cert_pem = lookup(CLIENT_CERT_KEY).filter(|pem| !pem.trim().is_empty());

        Ok(Self {
            offered_protocol_versions,
            port_range: min..=max,
            client_cert_pem,
        })
    }
}

/// Parses `5,6` / `6,5` / `6` into a set; the host lists versions in no particular order.
fn parse_versions(raw: &str) -> Result<BTreeSet<u32>, HandshakeError> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<u32>()
                .map_err(|_| HandshakeError::BadProtocolVersion {
                    entry: entry.to_owned(),
                })
        })
        .collect()
}

/// An unset or empty bound means 0, like go-plugin, so that `0..=0` asks the OS for any port.
fn parse_port(key: &'static str, value: Option<String>) -> Result<u16, HandshakeError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| HandshakeError::BadPort {
            key,
            value: text.to_owned(),
        }),
    }
}

/// Formats the single stdout line that tells the host where to connect:
/// `1|6|NETWORK|ADDRESS|grpc|CERT`, CERT being the server certificate's DER in unpadded standard
/// base64, or empty when serving plaintext. The caller prints it with a newline and flushes.
pub fn handshake_line(network: &str, address: &str, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(extra: &[(&str, &str)]) -> Result<HandshakeEnv, HandshakeError> {
        let mut vars = vec![
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            (PROTOCOL_VERSIONS_KEY, "5,6"),
        ];
        for (key, value) in extra {
            vars.retain(|(k, _)| k != key);
            vars.push((key, value));
        }
        HandshakeEnv::from_vars(vars)
    }

    #[test]
    fn missing_or_wrong_cookie_gives_the_friendly_message() {
        let none = HandshakeEnv::from_vars(Vec::<(String, String)>::new()).unwrap_err();
        assert_eq!(none, HandshakeError::NotLaunchedByHost);
        let wrong = env(&[(MAGIC_COOKIE_KEY, "nope")]).unwrap_err();
        assert_eq!(wrong, HandshakeError::NotLaunchedByHost);
        let text = wrong.to_string();
        assert!(text.starts_with("This binary is a plugin"), "{text}");
        assert!(text.contains("terraform"), "{text}");
    }

    #[test]
    fn protocol_versions_are_a_set_in_any_order() {
        for raw in ["5,6", "6,5", "6", " 6 , 5 ", "6,5,"] {
            let parsed = env(&[(PROTOCOL_VERSIONS_KEY, raw)]).unwrap();
            assert!(parsed.offered_protocol_versions.contains(&6), "{raw}");
        }
        let both = env(&[(PROTOCOL_VERSIONS_KEY, "6,5")]).unwrap();
        assert_eq!(both.offered_protocol_versions, BTreeSet::from([5, 6]));
    }

    #[test]
    fn missing_version_six_names_what_was_offered() {
        let err = env(&[(PROTOCOL_VERSIONS_KEY, "4,5")]).unwrap_err();
        assert_eq!(
            err,
            HandshakeError::UnsupportedProtocol {
                offered: "4,5".into()
            }
        );
        assert!(err.to_string().contains("[4,5]"), "{err}");

        let unset = HandshakeEnv::from_vars([(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)]).unwrap_err();
        assert!(matches!(unset, HandshakeError::UnsupportedProtocol { .. }));

        let junk = env(&[(PROTOCOL_VERSIONS_KEY, "5,six")]).unwrap_err();
        assert_eq!(
            junk,
            HandshakeError::BadProtocolVersion {
                entry: "six".into()
            }
        );
    }

    #[test]
    fn ports_default_to_any_and_are_validated() {
        assert_eq!(env(&[]).unwrap().port_range, 0..=0);
        let set = env(&[(MIN_PORT_KEY, "10000"), (MAX_PORT_KEY, "25000")]).unwrap();
        assert_eq!(set.port_range, 10000..=25000);
        assert_eq!(
            env(&[(MIN_PORT_KEY, "70000")]).unwrap_err(),
            HandshakeError::BadPort {
                key: MIN_PORT_KEY,
                value: "70000".into()
            }
        );
        assert_eq!(
            env(&[(MIN_PORT_KEY, "20"), (MAX_PORT_KEY, "10")]).unwrap_err(),
            HandshakeError::InvertedPortRange { min: 20, max: 10 }
        );
    }

    #[test]
    fn client_cert_is_optional_and_empty_means_absent() {
        assert_eq!(env(&[]).unwrap().client_cert_pem, None);
        assert_eq!(env(&[(CLIENT_CERT_KEY, "")]).unwrap().client_cert_pem, None);
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let parsed = env(&[(CLIENT_CERT_KEY, pem)]).unwrap();
        assert_eq!(parsed.client_cert_pem.as_deref(), Some(pem));
        assert!(!format!("{parsed:?}").contains("BEGIN"));
    }

    #[test]
    fn handshake_line_with_and_without_certificate() {
        assert_eq!(
            handshake_line("unix", "/tmp/plugin-x/plugin.sock", None),
            "1|6|unix|/tmp/plugin-x/plugin.sock|grpc|"
        );
        // Five bytes would need one `=` of padding in standard base64; go-plugin wants none.
        assert_eq!(
            handshake_line("tcp", "127.0.0.1:10000", Some(&[1, 2, 3, 4, 5])),
            "1|6|tcp|127.0.0.1:10000|grpc|AQIDBAU"
        );
    }
}
