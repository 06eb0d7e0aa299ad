//! The tfplugin6 `Provider` service: protocol messages in, framework calls out.
//!
//! Every problem is reported as diagnostics inside an OK response (a gRPC error reads as
//! "Plugin error" to users), and every RPC works on a cold process: Terraform skips
//! `GetProviderSchema` on later processes because `get_provider_schema_optional` is set.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::convert;
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics, PathStep};
use crate::framework::plan::{changes_remote_object, plan_change};
use crate::framework::resource::{
    full_schema, invalid_import_id, Context, Failure, Provider, Resource,
};
use crate::framework::schema::Schema;
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::value::{Type, Value};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderRpc;

/// Private data of a freshly imported resource: its unobservable arguments are still unknown.
const IMPORTED: &[u8] = br#"{"imported":true}"#;

/// Reads have no `timeouts` entry; this bounds a refresh whose API calls keep being retried.
const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Cancels every in-flight wait and retry when Terraform sends `StopProvider`, then re-arms so
/// that later operations (such as the state-saving after an interrupted apply) still run.
#[derive(Debug, Default)]
pub struct StopSignal {
    current: Mutex<CancellationToken>,
}

impl StopSignal {
    /// The token that operations starting now select on.
    pub fn token(&self) -> CancellationToken {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Cancels the current token and installs a fresh one.
    pub fn stop(&self) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *current).cancel();
    }
}

struct ResourceType<C> {
    resource: Arc<dyn Resource<C>>,
    schema: Schema,
    ty: Type,
    timeouts: Timeouts,
}

/// Serves one [`Provider`] over tfplugin6.
pub struct ProviderService<P: Provider> {
    provider: Arc<P>,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<String, ResourceType<P::Client>>,
    client: RwLock<Option<Arc<P::Client>>>,
    stop: StopSignal,
}

impl<P: Provider> ProviderService<P> {
    /// Prepares the schemas of `provider` and its resources once, up front.
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = full_schema(resource.as_ref());
                let entry = ResourceType {
                    ty: schema.block.implied_type(),
                    timeouts: resource.timeouts(),
                    resource: resource.clone(),
                    schema,
                };
                (resource.type_name().to_owned(), entry)
            })
            .collect();
        ProviderService {
            provider_type: provider_schema.block.implied_type(),
            provider_schema,
            provider: Arc::new(provider),
            resources,
            client: RwLock::new(None),
            stop: StopSignal::default(),
        }
    }

    /// The signal `StopProvider` fires.
    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceType<P::Client>, Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                format!("Unknown resource type {type_name}"),
                format!(
                    "This provider has no resource type {type_name:?}; it offers {}. Check the \
                     type's spelling, and that `required_providers` selects the provider version \
                     that offers it.",
                    self.resources
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    fn client(&self) -> Option<Arc<P::Client>> {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn configured_client(&self) -> Result<Arc<P::Client>, Diagnostic> {
        self.client().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "Terraform did not configure the provider before using a resource. This is a bug \
                 in the provider or in Terraform; please report it.",
            )
        })
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: false,
            generate_resource_config: false,
        }
    }

    fn validate_resource(
        &self,
        req: &pb::validate_resource_config::Request,
    ) -> Result<Diagnostics, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let config = convert::decode(req.config.as_ref(), &rt.ty, "configuration")?;
        let mut diags = Diagnostics::default();
        rt.schema
            .block
            .validate(&config, &AttributePath::default(), &mut diags);
        rt.resource.validate(&config, &mut diags);
        Ok(diags)
    }

    fn upgrade(
        &self,
        req: &pb::upgrade_resource_state::Request,
    ) -> Result<pb::DynamicValue, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        if req.version > rt.schema.version {
            return Err(Diagnostic::error(
                "State written by a newer provider",
                format!(
                    "The {} state has schema version {}, but this provider knows versions up to {}. \
                     Use the provider version that wrote the state, or a newer one (`terraform \
                     init -upgrade`).",
                    req.type_name, req.version, rt.schema.version
                ),
            ));
        }
        let raw = req.raw_state.as_ref().map(|r| pb::DynamicValue {
            msgpack: Vec::new(),
            json: r.json.clone(),
        });
        let state = convert::decode(raw.as_ref(), &rt.ty, "stored state")?;
        convert::encode(&state, &rt.ty, "upgraded state")
    }

    async fn configure(&self, req: &pb::configure_provider::Request) -> Diagnostics {
        let config = match convert::decode(
            req.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        ) {
            Ok(config) => config,
            Err(diag) => return diag.into(),
        };
        let mut diags = Diagnostics::default();
        self.provider_schema
            .block
            .validate(&config, &AttributePath::default(), &mut diags);
        self.provider.validate(&config, &mut diags);
        if diags.has_errors() {
            return diags;
        }
        match self.provider.configure(&config).await {
            Ok(client) => {
                *self.client.write().unwrap_or_else(PoisonError::into_inner) =
                    Some(Arc::new(client));
            }
            Err(errors) => diags.extend(errors),
        }
        diags
    }

    async fn read(
        &self,
        req: &pb::read_resource::Request,
    ) -> (Option<pb::DynamicValue>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let outcome = async {
            let rt = self.resource(&req.type_name)?;
            let state = convert::decode(req.current_state.as_ref(), &rt.ty, "current state")?;
            if state.is_null() {
                return Ok(None);
            }
            let client = self.configured_client()?;
            let ctx = Context {
                client: client.as_ref(),
                cancel: self.stop.token(),
                timeout: READ_TIMEOUT,
            };
            match rt.resource.read(&ctx, &state).await {
                Ok(Some(new_state)) => {
                    convert::encode(&new_state, &rt.ty, "refreshed state").map(Some)
                }
                Ok(None) => {
                    diags.push(gone_warning(&req.type_name, &state));
                    convert::encode(&Value::Null, &rt.ty, "refreshed state").map(Some)
                }
                Err(failure) => {
                    diags.extend(failure.diagnostics);
                    // Keep the stored state: a failed refresh must not drop the resource.
                    Ok(req.current_state.clone())
                }
            }
        }
        .await;
        match outcome {
            Ok(state) => (state, diags),
            Err(diag) => {
                diags.push(diag);
                (req.current_state.clone(), diags)
            }
        }
    }

    fn plan(
        &self,
        req: &pb::plan_resource_change::Request,
    ) -> Result<pb::plan_resource_change::Response, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let prior = convert::decode(req.prior_state.as_ref(), &rt.ty, "prior state")?;
        let proposed = convert::decode(
            req.proposed_new_state.as_ref(),
            &rt.ty,
            "proposed new state",
        )?;
        let config = convert::decode(req.config.as_ref(), &rt.ty, "configuration")?;
        let mut planned = plan_change(&rt.schema.block, &prior, &proposed, &config);
        if req.prior_private == IMPORTED {
            let unobservable = rt.resource.unobservable();
            planned.requires_replace.retain(|path| {
                !matches!(path.0.as_slice(), [PathStep::Attribute(name)]
                    if unobservable.contains(&name.as_str()) && prior.get(name).is_null())
            });
        }
        if !planned.state.is_null() {
            rt.resource
                .modify_plan(self.client().as_deref(), &mut planned.state);
        }
        Ok(pb::plan_resource_change::Response {
            planned_state: Some(convert::encode(&planned.state, &rt.ty, "planned state")?),
            requires_replace: planned
                .requires_replace
                .iter()
                .map(convert::attribute_path)
                .collect(),
            planned_private: req.prior_private.clone(),
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        req: &pb::apply_resource_change::Request,
    ) -> (Option<pb::DynamicValue>, Diagnostics) {
        let rt = match self.resource(&req.type_name) {
            Ok(rt) => rt,
            Err(diag) => return (req.prior_state.clone(), diag.into()),
        };
        let decoded = (|| {
            let prior = convert::decode(req.prior_state.as_ref(), &rt.ty, "prior state")?;
            let planned = convert::decode(req.planned_state.as_ref(), &rt.ty, "planned state")?;
            Ok::<_, Diagnostic>((prior, planned, self.configured_client()?))
        })();
        let (prior, planned, client) = match decoded {
            Ok(decoded) => decoded,
            Err(diag) => return (req.prior_state.clone(), diag.into()),
        };
        let context = |operation: Operation, value: &Value| Context {
            client: client.as_ref(),
            cancel: self.stop.token(),
            timeout: rt.timeouts.resolve(value, operation),
        };

        let (new_state, mut diags) = if planned.is_null() {
            match rt
                .resource
                .delete(&context(Operation::Delete, &prior), &prior)
                .await
            {
                Ok(()) => (Value::Null, Diagnostics::default()),
                Err(failure) => (prior, failure.diagnostics),
            }
        } else if prior.is_null() {
            match rt
                .resource
                .create(&context(Operation::Create, &planned), &planned)
                .await
            {
                Ok(state) => (state, Diagnostics::default()),
                Err(Failure {
                    diagnostics,
                    partial_state,
                }) => (partial_state.unwrap_or(Value::Null), diagnostics),
            }
        } else if !changes_remote_object(&rt.schema.block, &prior, &planned) {
            (planned, Diagnostics::default())
        } else {
            match rt
                .resource
                .update(&context(Operation::Update, &planned), &prior, &planned)
                .await
            {
                Ok(state) => (state, Diagnostics::default()),
                Err(Failure {
                    diagnostics,
                    partial_state,
                }) => (partial_state.unwrap_or(prior), diagnostics),
            }
        };
        if !new_state.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider left a value unknown after apply",
                format!(
                    "{} returned a state with unknown values. This is a bug in the provider; please report it.",
                    req.type_name
                ),
            ));
        }
        match convert::encode(&new_state, &rt.ty, "new state") {
            Ok(encoded) => (Some(encoded), diags),
            Err(diag) => {
                diags.push(diag);
                (req.prior_state.clone(), diags)
            }
        }
    }

    fn import(
        &self,
        req: &pb::import_resource_state::Request,
    ) -> Result<pb::import_resource_state::ImportedResource, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let state = rt.resource.import(&req.id)?;
        // The ID fills identifying attributes, so it must satisfy their validators too.
        let mut diags = Diagnostics::default();
        rt.schema
            .block
            .validate(&state, &AttributePath::default(), &mut diags);
        if let Some(invalid) = diags
            .0
            .into_iter()
            .find(|d| d.severity == crate::framework::diag::Severity::Error)
        {
            return Err(invalid_import_id(
                &req.type_name,
                &format!("The ID {:?} is not valid: {}", req.id, invalid.detail),
            ));
        }
        Ok(pb::import_resource_state::ImportedResource {
            type_name: req.type_name.clone(),
            state: Some(convert::encode(&state, &rt.ty, "imported state")?),
            private: IMPORTED.to_vec(),
            ..Default::default()
        })
    }
}

/// The warning for a resource that a refresh found gone. It is worded for every command that
/// refreshes (plan, apply, destroy, import) and every kind of ID: a model that comes back is a
/// new version with a new ID, so it says "a new one", not "it".
fn gone_warning(type_name: &str, state: &Value) -> Diagnostic {
    let id = state.get("id").as_str().unwrap_or("(unknown id)");
    Diagnostic::warning(
        format!("{type_name} {id:?} was deleted outside Terraform"),
        format!(
            "The service no longer has {type_name} {id:?} (or is deleting it), so Terraform \
             removed it from the state. While the configuration still declares it, \
             Terraform plans to create a new one in its place; to keep it deleted, remove its \
             resource block."
        ),
    )
}

fn span(rpc: &'static str, resource_type: &str) -> tracing::Span {
    tracing::info_span!("rpc", tf_rpc = rpc, tf_resource_type = resource_type)
}

fn diags_only(result: Result<Diagnostics, Diagnostic>) -> Vec<pb::Diagnostic> {
    convert::diagnostics(&result.unwrap_or_else(Diagnostics::from))
}

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let resources = self
            .resources
            .keys()
            .map(|type_name| pb::get_metadata::ResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            resources,
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let resource_schemas: HashMap<String, pb::Schema> = self
            .resources
            .iter()
            .map(|(name, rt)| (name.clone(), convert::schema(&rt.schema)))
            .collect();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas,
            server_capabilities: Some(Self::capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let _span = span("ValidateProviderConfig", "").entered();
        let req = req.into_inner();
        let result = convert::decode(
            req.config.as_ref(),
            &self.provider_type,
            "provider configuration",
        )
        .map(|config| {
            let mut diags = Diagnostics::default();
            self.provider_schema
                .block
                .validate(&config, &AttributePath::default(), &mut diags);
            self.provider.validate(&config, &mut diags);
            diags
        });
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diags_only(result),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let _span = span("ValidateResourceConfig", &req.type_name).entered();
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diags_only(self.validate_resource(&req)),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: convert::diagnostics(&no_data_source(&req.into_inner().type_name).into()),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = span("UpgradeResourceState", &req.type_name).entered();
        let response = match self.upgrade(&req) {
            Ok(state) => pb::upgrade_resource_state::Response {
                upgraded_state: Some(state),
                diagnostics: Vec::new(),
            },
            Err(diag) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: convert::diagnostics(&diag.into()),
            },
        };
        Ok(Response::new(response))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let diags = self
            .configure(&req)
            .instrument(span("ConfigureProvider", ""))
            .await;
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: convert::diagnostics(&diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let (new_state, diags) = self
            .read(&req)
            .instrument(span("ReadResource", &req.type_name))
            .await;
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: convert::diagnostics(&diags),
            private: req.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let _span = span("PlanResourceChange", &req.type_name).entered();
        let response = self
            .plan(&req)
            .unwrap_or_else(|diag| pb::plan_resource_change::Response {
                diagnostics: convert::diagnostics(&diag.into()),
                ..Default::default()
            });
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (new_state, diags) = self
            .apply(&req)
            .instrument(span("ApplyResourceChange", &req.type_name))
            .await;
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            // Any import marker is spent: the apply recorded the configured values.
            private: Vec::new(),
            diagnostics: convert::diagnostics(&diags),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = span("ImportResourceState", &req.type_name).entered();
        let response = match self.import(&req) {
            Ok(imported) => pb::import_resource_state::Response {
                imported_resources: vec![imported],
                ..Default::default()
            },
            Err(diag) => pb::import_resource_state::Response {
                diagnostics: convert::diagnostics(&diag.into()),
                ..Default::default()
            },
        };
        Ok(Response::new(response))
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        let diag = Diagnostic::error(
            "Moving resources between types is not supported",
            format!(
                "{} cannot be moved to {}: this provider does not support `moved` blocks across \
                 resource types. Remove the `moved` block and import the object instead.",
                req.source_type_name, req.target_type_name
            ),
        );
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: convert::diagnostics(&diag.into()),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        Ok(Response::new(pb::read_data_source::Response {
            diagnostics: convert::diagnostics(&no_data_source(&req.into_inner().type_name).into()),
            ..Default::default()
        }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!(
            "Terraform asked the provider to stop; cancelling in-flight waits and retries."
        );
        self.stop.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

fn no_data_source(type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown data source {type_name}"),
        format!(
            "This provider has no data sources. Remove the `data {type_name:?}` block; to use an \
             existing object, import it as a resource instead."
        ),
    )
}
