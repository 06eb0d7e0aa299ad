//! The built `terraform-provider-lookoutvision` binary, started the way Terraform starts it (a
//! clean environment holding only the handshake variables) and driven over gRPC on the socket it
//! announces.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use x509_parser::extensions::GeneralName;

use crate::grpc::{assert_plugin_serving, endpoint, send_shutdown, within, WAIT};
use harness::automtls::ClientIdentity;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-lookoutvision");

/// What Terraform puts in `TF_PLUGIN_MAGIC_COOKIE`.
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// How long a provider may take to exit once asked to (Terraform kills it after 2 s).
const EXIT_LIMIT: Duration = Duration::from_secs(5);

/// A running provider process; killed if dropped while still running.
struct Plugin {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: JoinHandle<String>,
}

/// How a provider process ended.
struct Exited {
    status: ExitStatus,
    /// Everything printed on stdout after the lines already read.
    stdout: String,
    stderr: String,
}

impl Plugin {
    /// Starts the binary with `args` and only the environment variables in `env`.
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Plugin {
        let mut child = Command::new(BINARY)
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the provider binary starts");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut stderr = child.stderr.take().expect("stderr is piped");
        // Drained all along, so that a chatty provider never blocks on a full pipe.
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            stderr
                .read_to_string(&mut text)
                .await
                .expect("stderr is UTF-8");
            text
        });
        Plugin {
            child,
            stdout,
            stderr,
        }
    }

    /// Starts the binary as Terraform does, with `extra` handshake variables.
    fn managed(extra: &[(&str, &str)]) -> Plugin {
        let mut env = vec![
            ("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE),
            ("PLUGIN_PROTOCOL_VERSIONS", "6,5"),
        ];
        env.extend_from_slice(extra);
        Plugin::spawn(&[], &env)
    }

    /// The next line on stdout, with its newline.
    async fn next_line(&mut self) -> String {
        let mut line = String::new();
        let read = within(
            WAIT,
            "a line on the provider's stdout",
            self.stdout.read_line(&mut line),
        )
        .await
        .expect("stdout is readable");
        assert!(
            read > 0,
            "the provider closed stdout without printing a line"
        );
        line
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("the provider is still running")
    }

    /// Sends SIGINT, as Ctrl-C in Terraform's terminal does (same process group).
    fn interrupt(&self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -INT failed: {status}");
    }

    /// Waits at most `limit` for the process to exit, then collects the rest of its output.
    async fn exit(mut self, limit: Duration) -> Exited {
        let status = within(limit, "the provider exiting", self.child.wait())
            .await
            .expect("the provider can be waited for");
        let mut stdout = String::new();
        within(
            WAIT,
            "the end of the provider's stdout",
            self.stdout.read_to_string(&mut stdout),
        )
        .await
        .expect("stdout is UTF-8");
        let stderr = within(WAIT, "the end of the provider's stderr", self.stderr)
            .await
            .expect("the stderr reader does not panic");
        Exited {
            status,
            stdout,
            stderr,
        }
    }
}

/// The fields of the go-plugin handshake line `1|6|NETWORK|ADDRESS|grpc|CERT`.
struct Handshake {
    network: String,
    address: String,
    cert: String,
}

fn parse_handshake(line: &str) -> Handshake {
    let text = line
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("the handshake line ends with a newline: {line:?}"));
    let fields: Vec<&str> = text.split('|').collect();
    assert_eq!(fields.len(), 6, "six fields: {line:?}");
    assert_eq!(
        fields[..2],
        ["1", "6"],
        "core and app protocol versions: {line:?}"
    );
    assert_eq!(fields[4], "grpc", "{line:?}");
    Handshake {
        network: fields[2].to_owned(),
        address: fields[3].to_owned(),
        cert: fields[5].to_owned(),
    }
}

/// A plaintext gRPC channel to the unix socket the handshake announced.
async fn connect_plaintext(handshake: &Handshake) -> Channel {
    assert_eq!(handshake.network, "unix");
    endpoint(&format!("unix:{}", handshake.address))
        .connect()
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {}: {err}", handshake.address))
}

/// Starts a managed provider with `extra` variables, checks it serves, shuts it down through
/// go-plugin's controller and returns how it ended (which must be exit status 0).
async fn serve_and_shut_down(extra: &[(&str, &str)]) -> Exited {
    let mut plugin = Plugin::managed(extra);
    let handshake = parse_handshake(&plugin.next_line().await);
    let channel = connect_plaintext(&handshake).await;
    assert_plugin_serving(&channel).await;
    send_shutdown(&channel).await;
    let exited = plugin.exit(EXIT_LIMIT).await;
    assert_eq!(exited.status.code(), Some(0), "stderr: {}", exited.stderr);
    exited
}

/// A gRPC channel over mutual TLS to `socket`, as Terraform connects under AutoMTLS.
async fn connect_mtls(socket: &str, server_cert: &[u8], client: &ClientIdentity) -> Channel {
    harness::automtls::connect(endpoint("http://localhost"), socket, server_cert, client)
        .await
        .unwrap_or_else(|err| panic!("no mutual-TLS gRPC connection to {socket}: {err}"))
}

#[tokio::test]
async fn run_by_hand_it_explains_itself_and_exits_1() {
    for env in [
        &[][..],
        &[
            ("TF_PLUGIN_MAGIC_COOKIE", "wrong"),
            ("PLUGIN_PROTOCOL_VERSIONS", "6"),
        ][..],
    ] {
        let exited = Plugin::spawn(&[], env).exit(WAIT).await;
        assert_eq!(
            exited.status.code(),
            Some(1),
            "with {env:?}: {}",
            exited.stderr
        );
        assert!(
            exited.stderr.contains("not meant to be run by hand"),
            "with {env:?}: {}",
            exited.stderr
        );
        assert_eq!(exited.stdout, "", "with {env:?}: nothing on stdout");
    }
}

#[tokio::test]
async fn managed_start_serves_over_a_private_unix_socket_until_shutdown() {
    let mut plugin = Plugin::managed(&[]);
    let line = plugin.next_line().await;
    let handshake = parse_handshake(&line);
    assert_eq!(
        line,
        format!("1|6|unix|{}|grpc|\n", handshake.address),
        "plaintext on a unix socket, with an empty CERT field"
    );
    let dir = Path::new(&handshake.address)
        .parent()
        .expect("the socket is in a directory")
        .to_owned();
    let mode = std::fs::metadata(&dir)
        .expect("the socket directory exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "{} must be private", dir.display());

    let channel = connect_plaintext(&handshake).await;
    assert_plugin_serving(&channel).await;
    send_shutdown(&channel).await;
    let exited = plugin.exit(EXIT_LIMIT).await;
    assert_eq!(exited.status.code(), Some(0), "stderr: {}", exited.stderr);
    assert_eq!(
        exited.stdout, "",
        "the handshake is the only line on stdout"
    );
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[tokio::test]
async fn a_host_offering_only_protocol_5_is_refused() {
    let exited = Plugin::spawn(
        &[],
        &[
            ("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5"),
        ],
    )
    .exit(WAIT)
    .await;
    let code = exited.status.code().expect("the provider exits by itself");
    assert_ne!(code, 0, "stderr: {}", exited.stderr);
    assert!(
        exited.stderr.contains("[5]") && exited.stderr.contains("version 6"),
        "the message names the offered versions and the one spoken: {}",
        exited.stderr
    );
    assert_eq!(exited.stdout, "", "no handshake line when refusing");
}

#[tokio::test]
async fn with_a_client_certificate_the_server_certificate_is_announced_and_mtls_serves() {
    let client = ClientIdentity::terraform_like();
    let mut plugin = Plugin::managed(&[("PLUGIN_CLIENT_CERT", &client.pem)]);
    let handshake = parse_handshake(&plugin.next_line().await);
    assert_eq!(handshake.network, "unix");
    // go-plugin ignores a CERT of 50 characters or fewer.
    assert!(handshake.cert.len() > 50, "CERT {:?}", handshake.cert);
    assert!(!handshake.cert.ends_with('='), "CERT must be unpadded");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&handshake.cert)
        .expect("CERT is unpadded standard base64");

    let (rest, cert) =
        x509_parser::parse_x509_certificate(&der).expect("CERT is a DER certificate");
    assert!(rest.is_empty(), "trailing bytes after the certificate");
    assert!(cert.is_ca(), "the server certificate is its own CA");
    let san = cert
        .subject_alternative_name()
        .expect("a well-formed SAN extension")
        .expect("a SAN extension");
    assert!(
        san.value
            .general_names
            .iter()
            .any(|name| matches!(name, GeneralName::DNSName("localhost"))),
        "SAN {:?}",
        san.value.general_names
    );

    // A client that trusts only the announced certificate gets answers: it is the server's.
    let channel = connect_mtls(&handshake.address, &der, &client).await;
    assert_plugin_serving(&channel).await;
    send_shutdown(&channel).await;
    let exited = plugin.exit(EXIT_LIMIT).await;
    assert_eq!(exited.status.code(), Some(0), "stderr: {}", exited.stderr);
}

#[tokio::test]
async fn tf_log_provider_debug_writes_hclog_json_lines_to_stderr() {
    let exited = serve_and_shut_down(&[("TF_LOG_PROVIDER", "debug")]).await;
    let six_digit_stamp =
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$")
            .expect("the pattern compiles");
    let mut levels = Vec::new();
    for line in exited.stderr.lines() {
        let entry: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("not a JSON object ({err}): {line}"));
        for key in ["@level", "@message", "@module", "@timestamp"] {
            assert!(entry[key].is_string(), "{key} missing from {line}");
        }
        let stamp = entry["@timestamp"].as_str().expect("checked above");
        assert!(
            six_digit_stamp.is_match(stamp),
            "@timestamp needs exactly six fractional digits: {line}"
        );
        let module = entry["@module"].as_str().expect("checked above");
        assert!(module.starts_with("provider"), "{line}");
        levels.push(entry["@level"].as_str().expect("checked above").to_owned());
    }
    assert!(
        levels.iter().any(|level| level == "debug"),
        "debug lines are written at TF_LOG_PROVIDER=debug: {}",
        exited.stderr
    );
    assert!(
        levels
            .iter()
            .all(|level| ["debug", "info", "warn", "error"].contains(&level.as_str())),
        "nothing below debug: {levels:?}"
    );
}

#[tokio::test]
async fn without_tf_log_nothing_is_written_to_stderr() {
    let exited = serve_and_shut_down(&[]).await;
    assert_eq!(exited.stderr, "", "stderr must stay silent without TF_LOG*");
}

#[tokio::test]
async fn sigint_does_not_stop_a_managed_provider() {
    let mut plugin = Plugin::managed(&[]);
    let handshake = parse_handshake(&plugin.next_line().await);
    let channel = connect_plaintext(&handshake).await;
    assert_plugin_serving(&channel).await;

    // A fatal signal ends the whole process before kill(2) returns, so the provider answering
    // afterwards shows that SIGINT was ignored rather than slow.
    plugin.interrupt();
    assert_plugin_serving(&channel).await;
    assert!(
        plugin
            .child
            .try_wait()
            .expect("the provider can be polled")
            .is_none(),
        "the provider exited on SIGINT"
    );

    send_shutdown(&channel).await;
    let exited = plugin.exit(EXIT_LIMIT).await;
    assert_eq!(exited.status.code(), Some(0), "stderr: {}", exited.stderr);
}

#[tokio::test]
async fn version_flag_prints_the_crate_version() {
    let exited = Plugin::spawn(&["--version"], &[]).exit(WAIT).await;
    assert_eq!(exited.status.code(), Some(0), "stderr: {}", exited.stderr);
    assert_eq!(
        exited.stdout.trim_end(),
        format!(
            "terraform-provider-lookoutvision {}",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[tokio::test]
async fn debug_flag_prints_a_reattach_config_that_accepts_grpc() {
    const PREFIX: &str =
        r#"TF_REATTACH_PROVIDERS='{"registry.terraform.io/lookoutvision/lookoutvision":"#;
    let mut plugin = Plugin::spawn(&["--debug"], &[]);
    let mut line = plugin.next_line().await;
    // A short banner may come first; the export line follows within a few lines.
    for _ in 0..5 {
        if line.contains(PREFIX) {
            break;
        }
        line = plugin.next_line().await;
    }
    assert!(
        line.contains(PREFIX),
        "no reattach line; last line {line:?}"
    );
    let json = line
        .split('\'')
        .nth(1)
        .unwrap_or_else(|| panic!("the value is single-quoted: {line:?}"));
    let reattach: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|err| panic!("not JSON ({err}): {json}"));
    let entry = &reattach["registry.terraform.io/lookoutvision/lookoutvision"];
    assert_eq!(entry["Test"], true, "{json}");
    assert_eq!(entry["Protocol"], "grpc", "{json}");
    assert_eq!(entry["ProtocolVersion"], 6, "{json}");
    assert_eq!(entry["Pid"], plugin.pid(), "{json}");
    let address = entry["Addr"]["String"].as_str().expect("an address");
    let uri = match entry["Addr"]["Network"].as_str() {
        Some("unix") => format!("unix:{address}"),
        Some("tcp") => format!("http://{address}"),
        other => panic!("unexpected network {other:?} in {json}"),
    };
    let channel = endpoint(&uri)
        .connect()
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {uri}: {err}"));
    assert_plugin_serving(&channel).await;

    // In debug mode the developer owns the process: Ctrl-C ends it cleanly.
    plugin.interrupt();
    let exited = plugin.exit(EXIT_LIMIT).await;
    assert_eq!(exited.status.code(), Some(0), "stderr: {}", exited.stderr);
}
