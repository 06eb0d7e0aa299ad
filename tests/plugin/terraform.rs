//! A gRPC client that plays Terraform 1.14's part in the RPCs Terraform 1.11 never calls:
//! resource identities (protocol 6.9), list resources (6.10) and cross-provider moves.
//!
//! It does what Terraform's `internal/plugin6/grpc_provider.go` and the graph nodes that call
//! it do, as far as a provider can tell: every provider instance loads its schemas with
//! GetProviderSchema and, at once, GetResourceIdentitySchemas, checked as Terraform checks them
//! (a failure there is "Failed to obtain provider schema"); values are msgpack of types built
//! from those schemas, not from the provider's own code; and each flow checks the answers as
//! Terraform does, failing with Terraform's words.

use std::collections::{BTreeMap, HashMap};

use lookoutvision::framework::msgpack;
use lookoutvision::framework::value::{Type, Value};
use lookoutvision::plugin::server::PluginServer;
use lookoutvision::plugin::transport::NetworkChoice;
use lookoutvision::proto::tfplugin6 as pb;
use lookoutvision::proto::tfplugin6::provider_client::ProviderClient;
use lookoutvision::provider::{LookoutVisionProvider, SOURCE_ADDRESS};
use serde_json::Value as Json;
use tokio::sync::oneshot;
use tonic::transport::Channel;

use crate::grpc::endpoint;

/// One provider instance, started fresh (as Terraform starts one per phase), with its schemas
/// loaded.
pub struct Terraform {
    /// The instance's tfplugin6 client.
    pub provider: ProviderClient<Channel>,
    schemas: pb::get_provider_schema::Response,
    identities: HashMap<String, pb::ResourceIdentitySchema>,
    _stop: oneshot::Sender<()>,
}

/// A resource imported by identity, refreshed and planned, as `terraform plan` with an
/// `import { identity = ... }` block leaves it.
#[derive(Debug)]
pub struct Imported {
    /// The state after the refresh.
    pub state: Value,
    /// The identity the import returned.
    pub imported_identity: Value,
    /// The identity after the refresh.
    pub identity: Value,
    /// The plan's answer.
    pub plan: pb::plan_resource_change::Response,
    /// The planned identity.
    pub planned_identity: Value,
}

/// One result of a list block, as Terraform keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListResult {
    /// How the provider names it.
    pub display_name: String,
    /// Its identity.
    pub identity: Value,
    /// Its state, when `include_resource` was asked for (null otherwise).
    pub state: Value,
}

/// What a list block produced: its results, and the diagnostics that came with them. With an
/// error, Terraform 1.14 prints none of the results.
#[derive(Debug, Default)]
pub struct Listed {
    /// The results accepted, in order.
    pub results: Vec<ListResult>,
    /// Every diagnostic, errors included.
    pub diagnostics: Vec<pb::Diagnostic>,
}

impl Listed {
    /// The error summaries.
    pub fn errors(&self) -> Vec<&str> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
            .map(|d| d.summary.as_str())
            .collect()
    }
}

impl Terraform {
    /// Starts an instance and loads its schemas; it is not configured (as the instance that
    /// receives a move is not).
    pub async fn start() -> Terraform {
        let server = PluginServer::unmanaged(LookoutVisionProvider, NetworkChoice::Tcp)
            .expect("the in-process server binds a loopback port");
        let reattach: Json = serde_json::from_str(&server.reattach_config(SOURCE_ADDRESS))
            .expect("the reattach configuration is JSON");
        let address = reattach[SOURCE_ADDRESS]["Addr"]["String"]
            .as_str()
            .expect("an address")
            .to_owned();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        let channel = endpoint(&format!("http://{address}"))
            .connect()
            .await
            .expect("the provider accepts the connection");
        let mut provider = ProviderClient::new(channel);

        let schemas = provider
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .expect("GetProviderSchema answers OK")
            .into_inner();
        assert!(
            errors(&schemas.diagnostics).is_empty(),
            "Failed to obtain provider schema: {:?}",
            schemas.diagnostics
        );
        // Terraform asks for identities at once; Unimplemented would mean "none".
        let identities = provider
            .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
            .await
            .expect("GetResourceIdentitySchemas answers OK (a gRPC error fails schema loading)")
            .into_inner();
        assert!(
            errors(&identities.diagnostics).is_empty(),
            "Failed to obtain provider schema: {:?}",
            identities.diagnostics
        );
        for (type_name, identity) in &identities.identity_schemas {
            check_identity_schema(type_name, identity);
        }
        Terraform {
            provider,
            schemas,
            identities: identities.identity_schemas.into_iter().collect(),
            _stop: stop,
        }
    }

    /// Starts an instance and configures it against `endpoint` with static credentials, as
    /// the plan and apply walks do.
    pub async fn configured(endpoint: &str) -> Terraform {
        let mut terraform = Terraform::start().await;
        let config = Value::object([
            ("region", "us-east-1".into()),
            ("access_key", "test".into()),
            ("secret_key", "test".into()),
            (
                "endpoints",
                Value::object([("lookoutvision", endpoint.into())]),
            ),
        ]);
        let ty = block_type(schema_block(self_provider(&terraform.schemas)));
        let validated = terraform
            .provider
            .validate_provider_config(pb::validate_provider_config::Request {
                config: Some(dynamic(&config, &ty)),
            })
            .await
            .expect("ValidateProviderConfig answers OK")
            .into_inner();
        assert!(errors(&validated.diagnostics).is_empty(), "{validated:?}");
        let configured = terraform
            .provider
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.14.9".to_owned(),
                config: Some(dynamic(&config, &ty)),
                client_capabilities: Some(pb::ClientCapabilities {
                    deferral_allowed: true,
                    write_only_attributes_allowed: true,
                }),
            })
            .await
            .expect("ConfigureProvider answers OK")
            .into_inner();
        assert!(errors(&configured.diagnostics).is_empty(), "{configured:?}");
        terraform
    }

    /// The server capabilities the instance announced.
    pub fn capabilities(&self) -> pb::ServerCapabilities {
        self.schemas
            .server_capabilities
            .expect("server capabilities are announced")
    }

    /// The identity schema of resource type `type_name`, if it has one.
    pub fn identity_schema(&self, type_name: &str) -> Option<&pb::ResourceIdentitySchema> {
        self.identities.get(type_name)
    }

    /// The type of `type_name`'s values, from its schema.
    pub fn resource_type(&self, type_name: &str) -> Type {
        let schema = self
            .schemas
            .resource_schemas
            .get(type_name)
            .unwrap_or_else(|| panic!("unknown resource type {type_name:?}"));
        block_type(schema_block(schema))
    }

    /// The type of `type_name`'s identities, from its identity schema.
    pub fn identity_type(&self, type_name: &str) -> Type {
        let identity = self
            .identity_schema(type_name)
            .unwrap_or_else(|| panic!("identity schema not found for resource type {type_name}"));
        Type::Object(
            identity
                .identity_attributes
                .iter()
                .map(|a| (a.name.clone(), json_type(&parse_type(&a.r#type))))
                .collect(),
        )
    }

    /// The type of the `config` block of `type_name`'s list blocks.
    pub fn list_config_type(&self, type_name: &str) -> Type {
        let schema = self
            .schemas
            .list_resource_schemas
            .get(type_name)
            .unwrap_or_else(|| panic!("unknown list resource type {type_name:?}"));
        block_type(schema_block(schema))
    }

    /// The list resource types, sorted.
    pub fn list_resource_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self.schemas.list_resource_schemas.keys().cloned().collect();
        types.sort();
        types
    }

    /// Decodes an identity answer, checking it as Terraform does: present, wholly known, of
    /// the identity type.
    pub fn decode_identity(
        &self,
        type_name: &str,
        data: Option<&pb::ResourceIdentityData>,
    ) -> Result<Value, String> {
        let Some(value) = data.and_then(|d| d.identity_data.as_ref()) else {
            return Ok(Value::Null);
        };
        let identity = decode(value, &self.identity_type(type_name)).map_err(|err| {
            format!("Provider produced an identity that doesn't match the schema: {err}")
        })?;
        if !identity.is_wholly_known() {
            return Err("Provider produced invalid identity".to_owned());
        }
        Ok(identity)
    }

    /// `terraform plan` with `import { to = TYPE.x  identity = { ... } }` and resource
    /// `config`: ImportResourceState with the identity and an empty ID, ReadResource with the
    /// imported identity, then PlanResourceChange with the refreshed one. `Err` holds what
    /// Terraform would print.
    pub async fn import_by_identity(
        &mut self,
        type_name: &str,
        identity: pb::DynamicValue,
        config: &Value,
    ) -> Result<Imported, String> {
        let imported = self
            .provider
            .import_resource_state(pb::import_resource_state::Request {
                type_name: type_name.to_owned(),
                id: String::new(),
                client_capabilities: Some(pb::ClientCapabilities {
                    deferral_allowed: true,
                    write_only_attributes_allowed: true,
                }),
                identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(identity),
                }),
            })
            .await
            .expect("ImportResourceState answers OK")
            .into_inner();
        fail_on_errors(&imported.diagnostics)?;
        let resource = match imported.imported_resources.as_slice() {
            [] => return Err("Import returned no resources".to_owned()),
            [one] => one.clone(),
            _ => return Err("Multiple import states not supported".to_owned()),
        };
        if resource.type_name.is_empty() {
            return Err(format!("import of {type_name} didn't set type"));
        }
        let imported_identity = self.decode_identity(type_name, resource.identity.as_ref())?;
        if imported_identity.is_null() {
            return Err(format!("import of {type_name} didn't return an identity"));
        }
        let ty = self.resource_type(type_name);
        let read = self
            .provider
            .read_resource(pb::read_resource::Request {
                type_name: type_name.to_owned(),
                current_state: resource.state.clone(),
                private: resource.private.clone(),
                current_identity: resource.identity.clone(),
                ..Default::default()
            })
            .await
            .expect("ReadResource answers OK")
            .into_inner();
        fail_on_errors(&read.diagnostics)?;
        let state = match read.new_state.as_ref() {
            Some(state) => decode(state, &ty).map_err(|err| err.to_string())?,
            None => Value::Null,
        };
        if state.is_null() {
            return Err("Cannot import non-existent remote object".to_owned());
        }
        let identity = self.decode_identity(type_name, read.new_identity.as_ref())?;
        let proposed = proposed_new(&state, config);
        let plan = self
            .provider
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_owned(),
                prior_state: read.new_state.clone(),
                proposed_new_state: Some(dynamic(&proposed, &ty)),
                config: Some(dynamic(config, &ty)),
                prior_private: read.private.clone(),
                prior_identity: read.new_identity.clone(),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange answers OK")
            .into_inner();
        fail_on_errors(&plan.diagnostics)?;
        let planned_identity = self.decode_identity(type_name, plan.planned_identity.as_ref())?;
        Ok(Imported {
            state,
            imported_identity,
            identity,
            plan,
            planned_identity,
        })
    }

    /// ValidateListResourceConfig as Terraform sends it: the type and the `config` block only.
    pub async fn validate_list(&mut self, type_name: &str, config: &Value) -> Vec<pb::Diagnostic> {
        let ty = self.list_config_type(type_name);
        self.provider
            .validate_list_resource_config(pb::validate_list_resource_config::Request {
                type_name: type_name.to_owned(),
                config: Some(dynamic(config, &ty)),
                ..Default::default()
            })
            .await
            .expect("ValidateListResourceConfig answers OK")
            .into_inner()
            .diagnostics
    }

    /// A list block read as Terraform 1.14 reads it: it stops receiving (and so cancels the
    /// call) once it holds `limit` results, stops at the first error, skips warning-only
    /// events, requires an identity in every event and decodes the object only if it asked for
    /// it.
    pub async fn list(
        &mut self,
        type_name: &str,
        config: &Value,
        include_resource: bool,
        limit: i64,
    ) -> Listed {
        let ty = self.list_config_type(type_name);
        let stream = self
            .provider
            .list_resource(pb::list_resource::Request {
                type_name: type_name.to_owned(),
                config: Some(dynamic(config, &ty)),
                include_resource_object: include_resource,
                limit,
            })
            .await
            .expect("ListResource answers OK")
            .into_inner();
        self.consume(type_name, stream, include_resource, limit)
            .await
    }

    /// Consumes a ListResource stream as Terraform 1.14 does (see [`Terraform::list`]).
    pub async fn consume(
        &self,
        type_name: &str,
        mut stream: tonic::codec::Streaming<pb::list_resource::Event>,
        include_resource: bool,
        limit: i64,
    ) -> Listed {
        let mut listed = Listed::default();
        let resource_type = self.resource_type(type_name);
        loop {
            if listed.results.len() as i64 >= limit {
                break;
            }
            let event = match stream.message().await {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(status) => {
                    listed.diagnostics.push(pb::Diagnostic {
                        severity: pb::diagnostic::Severity::Error as i32,
                        summary: format!("transport: {status}"),
                        ..Default::default()
                    });
                    break;
                }
            };
            listed.diagnostics.extend(event.diagnostic.iter().cloned());
            if !listed.errors().is_empty() {
                break;
            }
            let identity_data = event
                .identity
                .as_ref()
                .and_then(|i| i.identity_data.as_ref());
            if !event.diagnostic.is_empty() && identity_data.is_none() {
                continue;
            }
            let identity = match self.decode_identity(type_name, event.identity.as_ref()) {
                Ok(identity) if !identity.is_null() => identity,
                Ok(_) => {
                    listed.diagnostics.push(error_diagnostic(&format!(
                        "missing identity data in ListResource event for {type_name}"
                    )));
                    break;
                }
                Err(err) => {
                    listed.diagnostics.push(error_diagnostic(&err));
                    break;
                }
            };
            let state = match (&event.resource_object, include_resource) {
                (Some(object), true) => match decode(object, &resource_type) {
                    Ok(state) => state,
                    Err(err) => {
                        listed.diagnostics.push(error_diagnostic(&err.to_string()));
                        break;
                    }
                },
                _ => Value::Null,
            };
            listed.results.push(ListResult {
                display_name: event.display_name,
                identity,
                state,
            });
        }
        // Dropping the stream cancels the call, as Terraform's deferred cancel does.
        listed
    }
}

fn self_provider(schemas: &pb::get_provider_schema::Response) -> &pb::Schema {
    schemas.provider.as_ref().expect("missing provider schema")
}

fn schema_block(schema: &pb::Schema) -> &pb::schema::Block {
    schema.block.as_ref().expect("a schema has a block")
}

/// Terraform's checks of an identity schema (`loadschemas` and `convert.ProtoToIdentitySchema`):
/// exactly one of required/optional for import, a version of 0 or more, and primitive or list
/// types that parse (bytes that do not parse make Terraform panic).
fn check_identity_schema(type_name: &str, identity: &pb::ResourceIdentitySchema) {
    assert!(
        identity.version >= 0,
        "Failed to obtain provider schema: {type_name} identity version {}",
        identity.version
    );
    assert!(
        !identity.identity_attributes.is_empty(),
        "{type_name}: an empty identity"
    );
    for attribute in &identity.identity_attributes {
        assert!(
            attribute.required_for_import != attribute.optional_for_import,
            "Failed to obtain provider schema: {type_name}.{} must set exactly one of \
             required_for_import and optional_for_import",
            attribute.name
        );
        let ty = parse_type(&attribute.r#type);
        assert!(
            matches!(ty, Json::String(_)) || ty.get(0).and_then(Json::as_str) == Some("list"),
            "Failed to obtain provider schema: {type_name}.{} has type {ty}, not a primitive or \
             a list",
            attribute.name
        );
    }
}

fn parse_type(bytes: &[u8]) -> Json {
    serde_json::from_slice(bytes).unwrap_or_else(|err| {
        panic!(
            "panic: type {:?} does not parse: {err}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// A cty type from its JSON form.
pub fn json_type(json: &Json) -> Type {
    match json {
        Json::String(name) => match name.as_str() {
            "string" => Type::String,
            "number" => Type::Number,
            "bool" => Type::Bool,
            other => panic!("type {other:?} is not one the provider's schemas use"),
        },
        Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
            (Some("list"), Some(element)) => Type::list(json_type(element)),
            (Some("set"), Some(element)) => Type::set(json_type(element)),
            (Some("map"), Some(element)) => Type::map(json_type(element)),
            (Some("object"), Some(Json::Object(attributes))) => Type::Object(
                attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), json_type(ty)))
                    .collect::<BTreeMap<_, _>>(),
            ),
            _ => panic!("type {json} does not parse"),
        },
        other => panic!("type {other} does not parse"),
    }
}

/// The object type of a schema block, as Terraform's `configschema.Block.ImpliedType`.
pub fn block_type(block: &pb::schema::Block) -> Type {
    use pb::schema::nested_block::NestingMode;
    let attributes = block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), json_type(&parse_type(&a.r#type))));
    let blocks = block.block_types.iter().map(|nested| {
        let object = block_type(nested.block.as_ref().expect("a nested block"));
        let ty = match NestingMode::try_from(nested.nesting) {
            Ok(NestingMode::Single | NestingMode::Group) => object,
            Ok(NestingMode::List) => Type::list(object),
            Ok(NestingMode::Set) => Type::set(object),
            Ok(NestingMode::Map) => Type::map(object),
            _ => panic!("invalid nesting of {}", nested.type_name),
        };
        (nested.type_name.clone(), ty)
    });
    Type::Object(attributes.chain(blocks).collect())
}

/// The proposed new state of an existing object: its state with the configuration's non-null
/// top-level values over it (Terraform's `objchange.ProposedNew`, for flat configurations).
fn proposed_new(prior: &Value, config: &Value) -> Value {
    let mut proposed = prior.clone();
    if let Some(entries) = config.entries() {
        for (name, value) in entries {
            if !value.is_null() {
                proposed.set(name, value.clone());
            }
        }
    }
    proposed
}

/// `value` as Terraform sends it.
/// A project configuration: only `name` is set, as in `resource "lookoutvision_project" {...}`
/// (encoding it against the schema's type sends the other attributes as null).
pub fn project_config(name: &str) -> Value {
    Value::object([("name", name.into())])
}

pub fn dynamic(value: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: msgpack::encode(value, ty)
            .unwrap_or_else(|err| panic!("test value {value:?} does not fit {ty}: {err}")),
        json: Vec::new(),
    }
}

/// A value the provider sent, decoded with `ty`.
pub fn decode(value: &pb::DynamicValue, ty: &Type) -> Result<Value, msgpack::DecodeError> {
    msgpack::decode(&value.msgpack, ty)
}

/// The summaries of the errors among `diags`.
pub fn errors(diags: &[pb::Diagnostic]) -> Vec<&str> {
    diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.as_str())
        .collect()
}

fn fail_on_errors(diags: &[pb::Diagnostic]) -> Result<(), String> {
    let failed: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

fn error_diagnostic(summary: &str) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error as i32,
        summary: summary.to_owned(),
        ..Default::default()
    }
}

/// A runtime for a test that also owns a `harness::Emulator` (which must be started, and
/// dropped, outside any runtime).
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// How many API requests `emulator` has answered: the mark after which a test's own requests
/// start.
pub fn mark(emulator: &harness::Emulator) -> usize {
    emulator.requests().len()
}

/// Asserts that every API request `emulator` answered since `mark` only read (Describe*,
/// List*).
pub fn assert_read_only_since(emulator: &harness::Emulator, mark: usize) {
    let changing: Vec<String> = emulator.requests()[mark..]
        .iter()
        .filter_map(|r| r["operation"].as_str())
        .filter(|op| !op.starts_with("Describe") && !op.starts_with("List"))
        .map(str::to_owned)
        .collect();
    assert!(
        changing.is_empty(),
        "a read changed something: {changing:?}"
    );
}
