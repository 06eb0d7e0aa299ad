//! Helpers shared by the emulator's test modules: SDK clients for an emulator
//! URL, an in-process emulator on a manual clock, the built `lookoutvision-emulator` binary as
//! a child process, hand-written HTTP/1.1 exchanges (for the admin API and for what the SDK
//! cannot show), and the project, dataset and model fixtures the tests start from.
//!
//! A module may add its own fixture methods to [`Harness`] in an `impl Harness` block of its own.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_lookoutvision::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lookoutvision::operation::create_model::CreateModelOutput;
use aws_sdk_lookoutvision::operation::create_project::CreateProjectOutput;
use aws_sdk_lookoutvision::primitives::{Blob, DateTime};
use aws_sdk_lookoutvision::types::{
    DatasetGroundTruthManifest, DatasetSource, InputS3Object, OutputConfig, S3Location, Tag,
};
use aws_sdk_lookoutvision::Client;
use lookoutvision_emulator::clock::{Clock, ManualClock};
use lookoutvision_emulator::{Config, Durations, Emulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long every transition takes with the default durations: one step of the manual clock.
pub const STEP: Duration = Duration::from_secs(1);

/// How long a hand-written exchange may wait for the emulator's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

// SDK clients.

/// The credentials the tests sign with where the emulator checks none.
pub fn test_credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "test")
}

/// The SDK configuration for the emulator at `url`, in us-east-1, signing with `credentials`.
pub fn sdk_config(url: &str, credentials: Credentials) -> aws_sdk_lookoutvision::config::Builder {
    aws_sdk_lookoutvision::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(credentials)
}

/// An SDK client for the emulator at `url`, with [`test_credentials`] and default retries.
pub fn client(url: &str) -> Client {
    Client::from_conf(sdk_config(url, test_credentials()).build())
}

// In-process emulators.

/// An emulator started in-process with `config`, its clock replaced by a new manual clock,
/// and that clock.
pub async fn manual_clock_emulator(config: Config) -> (Emulator, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    let emulator = Emulator::start(Config {
        clock: clock.clone(),
        ..config
    })
    .await
    .unwrap();
    (emulator, clock)
}

/// Durations under which every transition is complete by the next request.
pub fn instant_durations() -> Durations {
    Durations {
        dataset: Duration::ZERO,
        training: Duration::ZERO,
        hosting: Duration::ZERO,
        delete: Duration::ZERO,
        dataset_delete: Duration::ZERO,
        packaging: Duration::ZERO,
    }
}

/// An emulator on a manual clock, and an SDK client pointed at it.
pub struct Harness {
    pub emulator: Emulator,
    pub clock: Arc<ManualClock>,
    pub client: Client,
}

impl Harness {
    /// The default configuration (one-second transitions) on a manual clock.
    pub async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    /// `config` on a manual clock.
    pub async fn start_with(config: Config) -> Self {
        let (emulator, clock) = manual_clock_emulator(config).await;
        let client = client(&emulator.url());
        Self {
            emulator,
            clock,
            client,
        }
    }

    /// Where the emulator listens, for hand-written exchanges.
    pub fn address(&self) -> SocketAddr {
        self.emulator.address()
    }

    /// Lets one transition of the default durations complete.
    pub fn step(&self) {
        self.clock.advance(STEP);
    }

    /// One admin call that must succeed (2xx): its JSON body (`null` when empty).
    pub async fn admin(&self, method: &str, path: &str) -> Value {
        admin(self.address(), method, path, Value::Null).await
    }

    /// One admin call, whatever its answer: the status and the JSON body (`null` when empty).
    pub async fn admin_answer(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let answer = raw_http(self.address(), method, path, &[], body).await;
        (answer.status, answer.json_or_null())
    }

    /// The emulator's clock, as the SDK decodes timestamps.
    pub fn now(&self) -> DateTime {
        DateTime::from_secs_f64(self.clock.now().epoch_seconds())
    }
}

// The built binary.

/// The built `lookoutvision-emulator` listening on an ephemeral loopback port, and `args`;
/// nothing is started yet.
pub fn emulator_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lookoutvision-emulator"));
    command.args(["--listen", "127.0.0.1:0"]).args(args);
    command
}

/// A `lookoutvision-emulator` process started by this test; killed, by its own id, if the
/// test ends without stopping it.
pub struct EmulatorProcess {
    pub child: Child,
    /// The URL it announced.
    pub url: String,
}

impl EmulatorProcess {
    /// Starts the binary on an ephemeral port with `args` and reads the URL it announces on
    /// its first line.
    pub fn start(args: &[&str]) -> Self {
        let mut child = emulator_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let url = first_line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {first_line:?}"))
            .to_owned();
        Self { child, url }
    }

    /// Where it listens, for hand-written exchanges.
    pub fn address(&self) -> SocketAddr {
        let address = self.url.strip_prefix("http://").unwrap();
        address.parse().unwrap()
    }

    /// An SDK client for it.
    pub fn client(&self) -> Client {
        client(&self.url)
    }

    /// Calls its admin API; see [`admin`].
    pub async fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        admin(self.address(), method, path, body).await
    }

    /// Ends it with SIGTERM, by its own id, and returns how it exited, within 10 seconds.
    pub fn terminate(mut self) -> ExitStatus {
        self.signal("-TERM");
        wait_for_exit(&mut self.child, Duration::from_secs(10))
            .expect("emulator did not exit after SIGTERM")
    }

    /// Kills it with SIGKILL, by its own id, and reaps it.
    pub fn kill(mut self) {
        self.signal("-KILL");
        self.child.wait().unwrap();
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How `child` exited, polling for up to `timeout`; `None` if it is still running then.
pub fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// Hand-written HTTP/1.1.

/// The answer to a hand-written HTTP/1.1 request.
#[derive(Debug, PartialEq)]
pub struct RawResponse {
    pub status: u16,
    /// The status line and the header lines, as received.
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    /// The value of header `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON, which it must be.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// The body as JSON, `null` when it is empty or not JSON.
    pub fn json_or_null(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends one HTTP/1.1 request written by hand, so tests see exactly what is on the wire:
/// `Host`, `Connection: close` and `Content-Length`, then `headers`, then `body`. `None` when
/// the emulator closed (or reset) the connection without answering.
pub async fn try_raw_http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> Option<RawResponse> {
    let body = body.as_ref();
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut request = request.into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(ANSWER_WITHIN, stream.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within {ANSWER_WITHIN:?}"));
    let answer = String::from_utf8_lossy(&answer);
    // A dropped connection may end in a reset rather than a clean close, but only before
    // anything was answered.
    if let Err(err) = read {
        assert!(answer.is_empty(), "{method} {path}: {err} after {answer:?}");
        return None;
    }
    let Some((head, body)) = answer.split_once("\r\n\r\n") else {
        assert!(answer.is_empty(), "partial answer: {answer:?}");
        return None;
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1)?.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no status line in {head:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Some(RawResponse {
        status,
        head: head.to_owned(),
        headers,
        body: body.to_owned(),
    })
}

/// [`try_raw_http`] for a request that must be answered.
pub async fn raw_http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> RawResponse {
    try_raw_http(address, method, path, headers, body)
        .await
        .unwrap_or_else(|| panic!("{method} {path}: the connection closed without an answer"))
}

/// Calls the admin API with `body` (none when `null`), asserts a 2xx answer, and returns its
/// JSON (`null` when empty).
pub async fn admin(address: SocketAddr, method: &str, path: &str, body: Value) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let answer = raw_http(address, method, path, &[], body).await;
    assert!(
        answer.head.starts_with("HTTP/1.1 2"),
        "{method} {path}: {answer:?}"
    );
    answer.json_or_null()
}

/// The names in the `projects` list of a state dump or state file.
pub fn project_names(projects: &Value) -> Vec<String> {
    projects
        .as_array()
        .unwrap()
        .iter()
        .map(|project| project["name"].as_str().unwrap().to_owned())
        .collect()
}

// Inputs and fixtures.

/// The output location the tests train models into.
pub fn output_config() -> OutputConfig {
    let location = S3Location::builder()
        .bucket("model-output")
        .prefix("runs/")
        .build();
    OutputConfig::builder().s3_location(location).build()
}

/// A dataset source importing the manifest at `s3://{bucket}/{key}`.
pub fn manifest(bucket: &str, key: &str) -> DatasetSource {
    let object = InputS3Object::builder().bucket(bucket).key(key).build();
    DatasetSource::builder()
        .ground_truth_manifest(
            DatasetGroundTruthManifest::builder()
                .s3_object(object)
                .build(),
        )
        .build()
}

pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// Dataset entry changes as JSON Lines, which the SDK base64-encodes.
pub fn changes(lines: &[Value]) -> Blob {
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    Blob::new(text.join("\n"))
}

/// Creates project `name`.
pub async fn create_project(client: &Client, name: &str) -> CreateProjectOutput {
    client
        .create_project()
        .project_name(name)
        .send()
        .await
        .unwrap()
}

/// Creates project `name` with a complete, empty train dataset, ready for training.
pub async fn create_trainable_project(client: &Client, name: &str) {
    create_project(client, name).await;
    client
        .create_dataset()
        .project_name(name)
        .dataset_type("train")
        .send()
        .await
        .unwrap();
}

/// Starts training a model of `project` into [`output_config`].
pub async fn create_model(client: &Client, project: &str) -> CreateModelOutput {
    client
        .create_model()
        .project_name(project)
        .output_config(output_config())
        .send()
        .await
        .unwrap()
}

/// Starts training a model of `project` into bucket `out`, tagged `team=vision`.
pub async fn create_tagged_model(client: &Client, project: &str) -> CreateModelOutput {
    client
        .create_model()
        .project_name(project)
        .output_config(
            OutputConfig::builder()
                .s3_location(S3Location::builder().bucket("out").build())
                .build(),
        )
        .tags(tag("team", "vision"))
        .send()
        .await
        .unwrap()
}

/// A 64x64 PNG (the service's smallest size) whose first pixel is `seed`: different seeds give
/// different images, and so different synthetic verdicts.
pub fn png(seed: u8) -> Vec<u8> {
    encode(seed, image::ImageFormat::Png)
}

/// A 64x64 JPEG whose first pixel is `seed`.
pub fn jpeg(seed: u8) -> Vec<u8> {
    encode(seed, image::ImageFormat::Jpeg)
}

fn encode(seed: u8, format: image::ImageFormat) -> Vec<u8> {
    let mut pixels = image::RgbImage::from_pixel(64, 64, image::Rgb([120, 120, 120]));
    pixels.put_pixel(0, 0, image::Rgb([seed, seed, seed]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    pixels
        .write_to(&mut bytes, format)
        .expect("the image encodes");
    bytes.into_inner()
}
