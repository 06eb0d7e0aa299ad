//! The provider as Terraform sees it over gRPC: the in-process plugin server (the one debug mode
//! and reattach tests use) driven through the generated tfplugin6, health and go-plugin
//! controller clients, with an in-process emulator where an RPC reaches the API.

use std::time::Duration;

use lookoutvision::framework::msgpack;
use lookoutvision::framework::resource::{Provider as _, Resource as _};
use lookoutvision::framework::value::{Type, Value};
use lookoutvision::plugin::server::{PluginServer, ServeError};
use lookoutvision::plugin::transport::NetworkChoice;
use lookoutvision::proto::tfplugin6 as pb;
use lookoutvision::proto::tfplugin6::provider_client::ProviderClient;
use lookoutvision::provider::{LookoutVisionProvider, SOURCE_ADDRESS};
use lookoutvision::resources::Project;
use lookoutvision_emulator::{Config as EmulatorConfig, Emulator};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::grpc::{assert_plugin_serving, endpoint, send_shutdown, within, WAIT};
use crate::terraform::project_config;

const PROJECT: &str = "lookoutvision_project";

/// msgpack nil: a null object, as Terraform sends and expects for absent resources.
const NULL: &[u8] = &[0xc0];

/// The in-process plugin server and a client connected to it. Dropping it stops the server.
struct Served {
    channel: Channel,
    provider: ProviderClient<Channel>,
    run: JoinHandle<Result<(), ServeError>>,
    _stop: oneshot::Sender<()>,
}

impl Served {
    /// Serves the provider on loopback tcp and connects to the address that the reattach
    /// configuration (what `TF_REATTACH_PROVIDERS` would carry) announces.
    async fn start() -> Served {
        let server = PluginServer::unmanaged(LookoutVisionProvider, NetworkChoice::Tcp)
            .expect("the in-process server binds a loopback port");
        let reattach: serde_json::Value =
            serde_json::from_str(&server.reattach_config(SOURCE_ADDRESS))
                .expect("the reattach configuration is JSON");
        let addr = &reattach[SOURCE_ADDRESS]["Addr"];
        assert_eq!(addr["Network"], "tcp", "{reattach}");
        let address = addr["String"]
            .as_str()
            .unwrap_or_else(|| panic!("no address in {reattach}"))
            .to_owned();

        let (stop, stopped) = oneshot::channel::<()>();
        let run = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let channel = endpoint(&format!("http://{address}"))
            .connect()
            .await
            .unwrap_or_else(|err| panic!("cannot connect to the provider at {address}: {err}"));
        Served {
            provider: ProviderClient::new(channel.clone()),
            channel,
            run,
            _stop: stop,
        }
    }

    async fn validate(&mut self, config: pb::DynamicValue) -> Vec<pb::Diagnostic> {
        self.provider
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: PROJECT.to_owned(),
                config: Some(config),
                ..Default::default()
            })
            .await
            .expect("ValidateResourceConfig answers OK")
            .into_inner()
            .diagnostics
    }

    async fn configure(&mut self, config: &Value) -> Vec<pb::Diagnostic> {
        self.provider
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.11.4".to_owned(),
                config: Some(dynamic(config, &provider_type())),
                ..Default::default()
            })
            .await
            .expect("ConfigureProvider answers OK")
            .into_inner()
            .diagnostics
    }

    async fn plan_as(
        &mut self,
        type_name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> pb::plan_resource_change::Response {
        self.provider
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_owned(),
                prior_state: Some(project(prior)),
                proposed_new_state: Some(project(proposed)),
                config: Some(project(config)),
                prior_private: b"opaque".to_vec(),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange answers OK")
            .into_inner()
    }

    async fn plan(
        &mut self,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> pb::plan_resource_change::Response {
        self.plan_as(PROJECT, prior, proposed, config).await
    }

    async fn apply(
        &mut self,
        prior: pb::DynamicValue,
        planned: pb::DynamicValue,
        config: &Value,
    ) -> pb::apply_resource_change::Response {
        self.provider
            .apply_resource_change(apply_request(prior, planned, config))
            .await
            .expect("ApplyResourceChange answers OK")
            .into_inner()
    }

    async fn read(&mut self, current: pb::DynamicValue) -> pb::read_resource::Response {
        self.provider
            .read_resource(pb::read_resource::Request {
                type_name: PROJECT.to_owned(),
                current_state: Some(current),
                ..Default::default()
            })
            .await
            .expect("ReadResource answers OK")
            .into_inner()
    }

    /// Plans and applies the creation of project `name`, as `terraform apply` does, and returns
    /// the new state as the provider encoded it.
    async fn create(&mut self, name: &str) -> pb::DynamicValue {
        let config = project_config(name);
        let plan = self.plan(&Value::Null, &config, &config).await;
        assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
        let planned = plan.planned_state.expect("a create has a planned state");
        let applied = self.apply(project(&Value::Null), planned, &config).await;
        assert!(applied.diagnostics.is_empty(), "{:#?}", applied.diagnostics);
        applied.new_state.expect("a create returns a new state")
    }

    /// Applies the destruction of the resource in `state`, as `terraform destroy` does.
    async fn destroy(&mut self, state: pb::DynamicValue) -> pb::apply_resource_change::Response {
        self.apply(state, project(&Value::Null), &Value::Null).await
    }
}

fn apply_request(
    prior: pb::DynamicValue,
    planned: pb::DynamicValue,
    config: &Value,
) -> pb::apply_resource_change::Request {
    pb::apply_resource_change::Request {
        type_name: PROJECT.to_owned(),
        prior_state: Some(prior),
        planned_state: Some(planned),
        config: Some(project(config)),
        ..Default::default()
    }
}

/// The provider block's type, built from the provider's own schema as the server builds it.
fn provider_type() -> Type {
    LookoutVisionProvider.schema().block.implied_type()
}

/// `lookoutvision_project`'s type: its schema plus the `timeouts` block the framework adds,
/// built from the public pieces exactly as the provider service does.
fn project_type() -> Type {
    let mut schema = Project.schema();
    schema.block.blocks.extend(Project.timeouts().block());
    schema.block.implied_type()
}

fn dynamic(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty)
            .unwrap_or_else(|err| panic!("test value {value:?} does not fit {ty}: {err}")),
        json: Vec::new(),
    }
}

fn project(value: &Value) -> pb::DynamicValue {
    dynamic(value, &project_type())
}

fn decode_project(value: &pb::DynamicValue) -> Value {
    msgpack::decode(&value.msgpack, &project_type())
        .unwrap_or_else(|err| panic!("the provider sent an undecodable project value: {err}"))
}

/// A complete project state, as stored after an apply.
fn project_state(name: &str) -> Value {
    Value::object([
        ("id", name.into()),
        ("name", name.into()),
        (
            "arn",
            EmulatorConfig::default().project_arn(name).as_str().into(),
        ),
        ("creation_timestamp", "2025-05-01T10:00:00Z".into()),
    ])
}

/// Static credentials against `endpoint`, as the acceptance tests configure the provider.
fn provider_config(endpoint: &str) -> Value {
    Value::object([
        ("region", "us-east-1".into()),
        ("access_key", "test".into()),
        ("secret_key", "test".into()),
        (
            "endpoints",
            Value::object([("lookoutvision", endpoint.into())]),
        ),
    ])
}

/// An attribute path of attribute names, as Terraform receives it.
fn path(names: &[&str]) -> pb::AttributePath {
    pb::AttributePath {
        steps: names
            .iter()
            .map(|name| pb::attribute_path::Step {
                selector: Some(pb::attribute_path::step::Selector::AttributeName(
                    (*name).to_owned(),
                )),
            })
            .collect(),
    }
}

fn severity(diag: &pb::Diagnostic) -> pb::diagnostic::Severity {
    pb::diagnostic::Severity::try_from(diag.severity)
        .unwrap_or_else(|_| panic!("unknown severity in {diag:?}"))
}

/// The one diagnostic in `diags`, which must have severity `expected`.
fn only(diags: &[pb::Diagnostic], expected: pb::diagnostic::Severity) -> &pb::Diagnostic {
    assert_eq!(
        diags.len(),
        1,
        "expected exactly one diagnostic: {diags:#?}"
    );
    assert_eq!(severity(&diags[0]), expected, "{diags:#?}");
    &diags[0]
}

/// An emulator in this test's runtime, and a provider configured against it.
async fn configured() -> (Served, Emulator) {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("the emulator starts on loopback");
    let mut served = Served::start().await;
    let diags = served.configure(&provider_config(&emulator.url())).await;
    assert!(diags.is_empty(), "{diags:#?}");
    (served, emulator)
}

/// How many DeleteProject calls `emulator` answered with 409, from its admin request log
/// (`GET /_emulator/requests`, read with a bare HTTP/1.1 exchange).
async fn delete_project_conflicts(emulator: &Emulator) -> u64 {
    let mut stream = tokio::net::TcpStream::connect(emulator.address())
        .await
        .expect("the emulator accepts connections");
    stream
        .write_all(
            b"GET /_emulator/requests HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n\r\n",
        )
        .await
        .expect("the admin request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("the admin answer is read");
    let (_, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let log: serde_json::Value = serde_json::from_str(body)
        .unwrap_or_else(|err| panic!("the request log is not JSON ({err}): {body}"));
    log["counts"]["DeleteProject"]["409"].as_u64().unwrap_or(0)
}

/// An SDK client for `emulator`, for changes behind Terraform's back.
fn sdk(emulator: &Emulator) -> aws_sdk_lookoutvision::Client {
    use aws_sdk_lookoutvision::config::{BehaviorVersion, Credentials, Region};
    let config = aws_sdk_lookoutvision::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.url())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_lookoutvision::Client::from_conf(config)
}

fn assert_capabilities(capabilities: Option<&pb::ServerCapabilities>) {
    let capabilities = capabilities.expect("server capabilities are sent");
    assert!(capabilities.plan_destroy, "{capabilities:?}");
    assert!(
        capabilities.get_provider_schema_optional,
        "{capabilities:?}"
    );
}

#[tokio::test]
async fn health_reports_the_plugin_service_serving() {
    let served = Served::start().await;
    assert_plugin_serving(&served.channel).await;
}

/// Terraform skips GetProviderSchema on every process after the first because the provider
/// says it is optional, so each RPC must work as the first one a process sees.
#[tokio::test]
async fn a_cold_process_answers_without_get_provider_schema() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("the emulator starts on loopback");
    sdk(&emulator)
        .create_project()
        .project_name("existing")
        .send()
        .await
        .expect("the emulator creates a project");
    let mut served = Served::start().await;

    let metadata = served
        .provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata answers OK")
        .into_inner();
    assert!(
        metadata.diagnostics.is_empty(),
        "{:#?}",
        metadata.diagnostics
    );
    assert!(
        metadata.resources.iter().any(|r| r.type_name == PROJECT),
        "{PROJECT} is listed: {:?}",
        metadata.resources
    );
    assert_capabilities(metadata.server_capabilities.as_ref());

    let diags = served.validate(project(&project_config("cold"))).await;
    assert!(diags.is_empty(), "a valid configuration: {diags:#?}");

    let diags = served.configure(&provider_config(&emulator.url())).await;
    assert!(diags.is_empty(), "a valid provider block: {diags:#?}");

    let config = project_config("cold");
    let plan = served.plan(&Value::Null, &config, &config).await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    let planned = decode_project(plan.planned_state.as_ref().expect("a planned state"));
    assert_eq!(planned.get("name").as_str(), Some("cold"));
    assert!(planned.get("id").is_unknown(), "{planned:?}");

    // What an import leaves for the refresh: only the identifying attributes.
    let imported = Value::object([("id", "existing".into()), ("name", "existing".into())]);
    let read = served.read(project(&imported)).await;
    assert!(read.diagnostics.is_empty(), "{:#?}", read.diagnostics);
    let refreshed = decode_project(read.new_state.as_ref().expect("a refreshed state"));
    assert!(refreshed.is_wholly_known(), "{refreshed:?}");
    assert_eq!(
        refreshed.get("arn").as_str(),
        Some(EmulatorConfig::default().project_arn("existing").as_str())
    );
}

#[tokio::test]
async fn provider_schema_documents_every_argument() {
    let mut served = Served::start().await;
    let response = served
        .provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema answers OK")
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:#?}",
        response.diagnostics
    );
    assert_capabilities(response.server_capabilities.as_ref());
    let block = response
        .provider
        .and_then(|schema| schema.block)
        .expect("the provider schema has a block");
    assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);

    const STRING: &str = r#""string""#;
    const LIST: &str = r#"["list","string"]"#;
    // (name, JSON type, sensitive)
    let expected = [
        ("region", STRING, false),
        ("profile", STRING, false),
        ("access_key", STRING, false),
        ("secret_key", STRING, true),
        ("token", STRING, true),
        ("shared_config_files", LIST, false),
        ("shared_credentials_files", LIST, false),
        ("max_retries", r#""number""#, false),
        ("retry_mode", STRING, false),
        ("skip_credentials_validation", r#""bool""#, false),
        ("skip_requesting_account_id", r#""bool""#, false),
        ("skip_metadata_api_check", r#""bool""#, false),
        ("skip_region_validation", r#""bool""#, false),
        ("custom_ca_bundle", STRING, false),
        ("http_proxy", STRING, false),
        ("https_proxy", STRING, false),
        ("no_proxy", STRING, false),
    ];
    for (name, ty, sensitive) in expected {
        let attribute = block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("the provider has no argument {name}"));
        assert_eq!(
            String::from_utf8_lossy(&attribute.r#type),
            ty,
            "type of {name}"
        );
        assert_eq!(attribute.sensitive, sensitive, "sensitivity of {name}");
        assert!(
            attribute.optional && !attribute.required && !attribute.computed,
            "{name} must be optional only: {attribute:?}"
        );
        assert!(!attribute.description.is_empty(), "{name} is undocumented");
        assert_eq!(
            attribute.description_kind,
            pb::StringKind::Markdown as i32,
            "{name}"
        );
    }

    let endpoints = block
        .block_types
        .iter()
        .find(|b| b.type_name == "endpoints")
        .expect("the provider has an endpoints block");
    assert_eq!(
        endpoints.nesting,
        pb::schema::nested_block::NestingMode::Single as i32
    );
    let inner = endpoints.block.as_ref().expect("endpoints has a block");
    let names: Vec<&str> = inner.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["lookoutvision", "sts"], "{:#?}", inner.attributes);
    for endpoint in &inner.attributes {
        assert_eq!(endpoint.r#type, STRING.as_bytes());
        assert!(endpoint.optional && !endpoint.required && !endpoint.computed);
    }

    // The role blocks: one each, role_arn required only where no variable can give it, the
    // web identity token sensitive.
    let role_block = |name: &str| {
        let block = block
            .block_types
            .iter()
            .find(|b| b.type_name == name)
            .unwrap_or_else(|| panic!("the provider has no {name} block"));
        assert_eq!(
            block.nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
        block.block.clone().expect("a block")
    };
    let attribute = |block: &pb::schema::Block, name: &str| {
        block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no attribute {name}"))
    };
    let assume_role = role_block("assume_role");
    assert!(attribute(&assume_role, "role_arn").required);
    for name in ["session_name", "external_id", "duration", "policy", "tags"] {
        assert!(attribute(&assume_role, name).optional, "{name}");
    }
    let web_identity = role_block("assume_role_with_web_identity");
    assert!(attribute(&web_identity, "role_arn").optional);
    assert!(attribute(&web_identity, "web_identity_token").sensitive);
    for name in [
        "session_name",
        "web_identity_token_file",
        "duration",
        "policy",
    ] {
        assert!(attribute(&web_identity, name).optional, "{name}");
    }
}

#[tokio::test]
async fn project_schema_has_its_attributes_and_a_delete_timeout() {
    let mut served = Served::start().await;
    let response = served
        .provider
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema answers OK")
        .into_inner();
    let schema = response.resource_schemas.get(PROJECT).unwrap_or_else(|| {
        panic!(
            "no {PROJECT} schema among {:?}",
            response.resource_schemas.keys()
        )
    });
    assert_eq!(schema.version, 0);
    let block = schema
        .block
        .as_ref()
        .expect("the project schema has a block");
    assert!(!block.description.is_empty());
    assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);

    // (name, required, optional, computed)
    let expected = [
        ("id", false, false, true),
        ("name", true, false, false),
        ("arn", false, false, true),
        ("creation_timestamp", false, false, true),
    ];
    let names: Vec<&str> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, expected.map(|(name, ..)| name));
    for (attribute, (name, required, optional, computed)) in block.attributes.iter().zip(expected) {
        assert_eq!(
            (attribute.required, attribute.optional, attribute.computed),
            (required, optional, computed),
            "required/optional/computed of {name}"
        );
        assert_eq!(attribute.r#type, br#""string""#, "type of {name}");
        assert!(!attribute.sensitive, "{name}");
        assert!(!attribute.description.is_empty(), "{name} is undocumented");
        assert_eq!(
            attribute.description_kind,
            pb::StringKind::Markdown as i32,
            "{name}"
        );
    }

    assert_eq!(block.block_types.len(), 1, "{:#?}", block.block_types);
    let timeouts = &block.block_types[0];
    assert_eq!(timeouts.type_name, "timeouts");
    assert_eq!(
        timeouts.nesting,
        pb::schema::nested_block::NestingMode::Single as i32
    );
    let timeouts = timeouts.block.as_ref().expect("timeouts has a block");
    let operations: Vec<&str> = timeouts
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(operations, ["delete"], "only deletion waits");
    let delete = &timeouts.attributes[0];
    assert!(delete.optional && !delete.required && !delete.computed);
    assert_eq!(delete.r#type, br#""string""#);
    assert_eq!(delete.description_kind, pb::StringKind::Markdown as i32);
}

#[tokio::test]
async fn invalid_name_is_an_error_at_the_name_attribute() {
    let mut served = Served::start().await;
    let diags = served
        .validate(project(&project_config("not a valid name!")))
        .await;
    let diag = only(&diags, pb::diagnostic::Severity::Error);
    assert_eq!(diag.attribute, Some(path(&["name"])), "{diag:#?}");

    // A name only known after apply cannot be judged yet.
    let diags = served
        .validate(project(&Value::object([("name", Value::Unknown)])))
        .await;
    assert!(diags.is_empty(), "{diags:#?}");
}

#[tokio::test]
async fn malformed_msgpack_is_an_error_diagnostic_not_a_grpc_error() {
    let mut served = Served::start().await;
    let diags = served
        .validate(pb::DynamicValue {
            msgpack: vec![0xc1],
            json: Vec::new(),
        })
        .await;
    let diag = only(&diags, pb::diagnostic::Severity::Error);
    assert!(diag.summary.contains("Invalid configuration"), "{diag:#?}");
    assert_eq!(diag.attribute, None);
}

#[tokio::test]
async fn plan_create_leaves_computed_attributes_unknown() {
    let mut served = Served::start().await;
    let config = project_config("demo");
    let plan = served.plan(&Value::Null, &config, &config).await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    assert_eq!(
        plan.planned_private, b"opaque",
        "private bytes pass through"
    );

    let planned = plan.planned_state.expect("a create has a planned state");
    let expected = Value::object([
        ("id", Value::Unknown),
        ("name", "demo".into()),
        ("arn", Value::Unknown),
        ("creation_timestamp", Value::Unknown),
        ("timeouts", Value::Null),
    ]);
    assert_eq!(decode_project(&planned), expected);
    // Each unknown is written as fixext1 type 0 with a zero byte.
    let unknowns = planned
        .msgpack
        .windows(3)
        .filter(|w| *w == [0xd4, 0x00, 0x00])
        .count();
    assert_eq!(unknowns, 3, "{:02x?}", planned.msgpack);
    assert_eq!(planned, project(&expected));
}

#[tokio::test]
async fn plan_without_changes_keeps_prior_computed_values_byte_for_byte() {
    let mut served = Served::start().await;
    let prior = project_state("demo");
    let plan = served.plan(&prior, &prior, &project_config("demo")).await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    assert_eq!(
        plan.planned_state.map(|v| v.msgpack),
        Some(project(&prior).msgpack),
        "an unchanged resource must plan exactly its prior state"
    );
}

#[tokio::test]
async fn plan_renaming_requires_replacement_of_name() {
    let mut served = Served::start().await;
    let prior = project_state("demo");
    let mut proposed = prior.clone();
    proposed.set("name", "renamed".into());
    let plan = served
        .plan(&prior, &proposed, &project_config("renamed"))
        .await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert_eq!(plan.requires_replace, [path(&["name"])]);
    let planned = decode_project(plan.planned_state.as_ref().expect("a planned state"));
    assert_eq!(planned.get("name").as_str(), Some("renamed"));
}

#[tokio::test]
async fn plan_destroy_returns_a_null_planned_state() {
    let mut served = Served::start().await;
    let plan = served
        .plan(&project_state("demo"), &Value::Null, &Value::Null)
        .await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert!(
        plan.requires_replace.is_empty(),
        "{:?}",
        plan.requires_replace
    );
    assert_eq!(plan.planned_state.map(|v| v.msgpack).as_deref(), Some(NULL));
}

#[tokio::test]
async fn plan_for_an_unknown_resource_type_is_an_error_diagnostic() {
    let mut served = Served::start().await;
    let config = project_config("demo");
    let plan = served
        .plan_as("lookoutvision_nonexistent", &Value::Null, &config, &config)
        .await;
    let diag = only(&plan.diagnostics, pb::diagnostic::Severity::Error);
    assert!(
        diag.summary.contains("lookoutvision_nonexistent"),
        "{diag:#?}"
    );
    assert!(
        diag.detail.contains(PROJECT),
        "names what exists: {diag:#?}"
    );
    assert_eq!(plan.planned_state, None);
}

#[tokio::test]
async fn configure_rejects_legacy_retry_mode_at_its_attribute() {
    let mut served = Served::start().await;
    let mut config = provider_config("http://127.0.0.1:1");
    config.set("retry_mode", "legacy".into());
    let diags = served.configure(&config).await;
    let diag = only(&diags, pb::diagnostic::Severity::Error);
    assert_eq!(diag.attribute, Some(path(&["retry_mode"])), "{diag:#?}");
}

#[tokio::test]
async fn configure_with_static_credentials_and_an_endpoint_has_no_diagnostics() {
    let mut served = Served::start().await;
    // Nothing listens there: configuring must not call the API.
    let diags = served
        .configure(&provider_config("http://127.0.0.1:1"))
        .await;
    assert!(diags.is_empty(), "{diags:#?}");
}

#[tokio::test]
async fn apply_create_returns_a_wholly_known_state_that_reads_back_unchanged() {
    let (mut served, _emulator) = configured().await;
    let created = served.create("demo").await;
    let state = decode_project(&created);
    assert!(state.is_wholly_known(), "{state:?}");
    assert_eq!(state.get("id").as_str(), Some("demo"));
    assert_eq!(state.get("name").as_str(), Some("demo"));
    assert_eq!(
        state.get("arn").as_str(),
        Some(EmulatorConfig::default().project_arn("demo").as_str())
    );
    let created_at = state
        .get("creation_timestamp")
        .as_str()
        .expect("creation_timestamp is a string");
    time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|err| panic!("creation_timestamp {created_at:?} is not RFC 3339: {err}"));

    let read = served.read(created.clone()).await;
    assert!(read.diagnostics.is_empty(), "{:#?}", read.diagnostics);
    let refreshed = decode_project(read.new_state.as_ref().expect("a refreshed state"));
    assert_eq!(
        refreshed, state,
        "a refresh right after create changes nothing"
    );
}

/// A project created through the provider, then deleted behind its back through the SDK. The
/// emulator is returned to keep it serving.
async fn created_then_deleted_outside(name: &str) -> (Served, Emulator, pb::DynamicValue) {
    let (mut served, emulator) = configured().await;
    let created = served.create(name).await;
    sdk(&emulator)
        .delete_project()
        .project_name(name)
        .send()
        .await
        .expect("the emulator deletes the project");
    (served, emulator, created)
}

#[tokio::test]
async fn read_of_a_project_deleted_outside_terraform_is_null_with_a_warning() {
    let (mut served, _emulator, created) = created_then_deleted_outside("gone").await;
    let read = served.read(created).await;
    assert_eq!(
        read.new_state.map(|v| v.msgpack).as_deref(),
        Some(NULL),
        "a vanished resource is read as null"
    );
    let diag = only(&read.diagnostics, pb::diagnostic::Severity::Warning);
    assert!(
        diag.summary.contains("deleted outside Terraform"),
        "{diag:#?}"
    );
}

#[tokio::test]
async fn destroying_a_project_that_is_already_gone_succeeds() {
    let (mut served, _emulator, created) = created_then_deleted_outside("already-gone").await;
    let destroyed = served.destroy(created).await;
    assert!(
        destroyed.diagnostics.is_empty(),
        "not found counts as deleted: {:#?}",
        destroyed.diagnostics
    );
    assert_eq!(
        destroyed.new_state.map(|v| v.msgpack).as_deref(),
        Some(NULL)
    );
}

/// StopProvider cancels in-flight waits and must then re-arm: Terraform saves state and may
/// run more operations afterwards. A delete retries conflicts under the stop token and gives up
/// at once ("Interrupted") on a cancelled one, so a successful delete proves the re-arming.
#[tokio::test]
async fn stop_provider_answers_and_later_operations_still_run() {
    let (mut served, emulator) = configured().await;
    let created = served.create("after-stop").await;

    let stop = served
        .provider
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider answers OK")
        .into_inner();
    assert_eq!(
        stop.error, "",
        "StopProvider reports success with an empty error"
    );

    assert_plugin_serving(&served.channel).await;
    let destroyed = served.destroy(created).await;
    assert!(
        destroyed.diagnostics.is_empty(),
        "a delete after StopProvider must not be interrupted: {:#?}",
        destroyed.diagnostics
    );
    assert_eq!(
        destroyed.new_state.map(|v| v.msgpack).as_deref(),
        Some(NULL)
    );
    let listed = sdk(&emulator)
        .list_projects()
        .send()
        .await
        .expect("the emulator lists projects");
    assert!(listed.projects().is_empty(), "{listed:?}");
}

/// Terraform sends StopProvider on Ctrl-C while ApplyResourceChange is still running, then
/// saves the state that apply returns. A project that still holds a dataset answers DeleteProject
/// with 409, which the provider retries for up to the delete timeout (15 minutes).
#[tokio::test]
async fn stop_provider_interrupts_a_delete_stuck_on_conflicts_and_keeps_the_state() {
    let (mut served, emulator) = configured().await;
    let created = served.create("stuck").await;
    sdk(&emulator)
        .create_dataset()
        .project_name("stuck")
        .dataset_type("train")
        .send()
        .await
        .expect("the emulator creates an empty dataset in the project");

    let mut terraform = served.provider.clone();
    let request = apply_request(created.clone(), project(&Value::Null), &Value::Null);
    let delete = tokio::spawn(async move { terraform.apply_resource_change(request).await });
    within(WAIT, "DeleteProject being refused with 409", async {
        while delete_project_conflicts(&emulator).await == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        !delete.is_finished(),
        "the delete keeps retrying the conflict"
    );

    let stop = served
        .provider
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider answers OK while an apply runs")
        .into_inner();
    assert_eq!(stop.error, "");
    let applied = within(
        Duration::from_secs(5),
        "the stuck delete returning after StopProvider",
        delete,
    )
    .await
    .expect("the apply task does not panic")
    .expect("ApplyResourceChange answers OK")
    .into_inner();
    let diag = only(&applied.diagnostics, pb::diagnostic::Severity::Error);
    assert!(diag.summary.contains("Interrupted"), "{diag:#?}");
    assert_eq!(
        applied.new_state,
        Some(created),
        "the prior state is kept, so Terraform still tracks the project"
    );
}

#[tokio::test]
async fn grpc_controller_shutdown_makes_run_return() {
    let served = Served::start().await;
    assert_plugin_serving(&served.channel).await;
    send_shutdown(&served.channel).await;
    within(
        Duration::from_secs(5),
        "run() returning after GRPCController/Shutdown",
        served.run,
    )
    .await
    .expect("the server task does not panic")
    .expect("the server stops cleanly");
}

/// Asserts that `rpc` answered the gRPC status Unimplemented.
fn assert_unimplemented<T: std::fmt::Debug>(rpc: &str, answer: Result<T, tonic::Status>) {
    let status = answer.expect_err(&format!("{rpc} is not implemented"));
    assert_eq!(
        status.code(),
        tonic::Code::Unimplemented,
        "{rpc}: {status:?}"
    );
}

#[tokio::test]
async fn unimplemented_rpcs_answer_unimplemented() {
    let mut served = Served::start().await;
    assert_unimplemented(
        "PlanAction",
        served
            .provider
            .plan_action(pb::plan_action::Request {
                action_type: "lookoutvision_anything".to_owned(),
                ..Default::default()
            })
            .await,
    );
    assert_unimplemented(
        "OpenEphemeralResource",
        served
            .provider
            .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
                type_name: "lookoutvision_anything".to_owned(),
                ..Default::default()
            })
            .await,
    );
    // Terraform calls GenerateResourceConfig only when the server capability says so.
    assert_unimplemented(
        "GenerateResourceConfig",
        served
            .provider
            .generate_resource_config(pb::generate_resource_config::Request {
                type_name: PROJECT.to_owned(),
                ..Default::default()
            })
            .await,
    );

    // Nothing broke on the way.
    assert_plugin_serving(&served.channel).await;
    served
        .provider
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata still answers OK");
}
