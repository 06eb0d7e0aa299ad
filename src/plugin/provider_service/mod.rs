//! The tfplugin6 `Provider` service: protocol messages in, framework calls out.
//!
//! Every problem is reported as diagnostics inside an OK response (a gRPC error reads as
//! "Plugin error" to users), and every RPC works on a cold process: Terraform skips
//! `GetProviderSchema` on later processes because `get_provider_schema_optional` is set.
//!
//! One module per RPC family, as terraform-plugin-framework's `internal/fwserver` has it; this
//! one holds what they share and the gRPC trait implementation, which only delegates.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::convert;
use crate::framework::data_source::DataSource;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::identity::IdentitySchema;
use crate::framework::list::ListResource;
use crate::framework::resource::{full_schema, Context, Provider, Resource};
use crate::framework::schema::Schema;
use crate::framework::timeouts::Timeouts;
use crate::framework::value::Type;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as ProviderRpc;

mod apply;
mod data_source;
mod identity;
mod import;
mod list;
mod move_state;
mod plan;
mod provider_config;
mod read;
mod schema;
#[cfg(test)]
mod testing;
mod upgrade;
mod validate;

/// Private data of a freshly imported resource: its unobservable arguments are still unknown.
/// Import writes it, plan reads it, and apply spends it.
const IMPORTED: &[u8] = br#"{"imported":true}"#;

/// Reads (refreshes, data sources and lists) have no `timeouts` entry; this bounds one whose
/// calls keep being retried or answer slowly, so that `terraform plan` always ends. It is far
/// above what a healthy read takes (one or two calls, or a page per 100 objects).
const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Runs `read` (`what`, e.g. `lookoutvision_project "demo"`) within its context's limit and
/// until Terraform asks the provider to stop. A read changes nothing, so abandoning one is safe.
async fn bounded_read<C, T, E: From<Diagnostic>>(
    ctx: &Context<'_, C>,
    what: &str,
    read: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    tokio::select! {
        result = read => result,
        () = ctx.cancel.cancelled() => Err(Diagnostic::error(
            format!("Interrupted while reading {what}"),
            format!(
                "Terraform was interrupted (for example with Ctrl-C) before the provider had read \
                 {what}. Nothing was changed; run the command again."
            ),
        )
        .into()),
        () = tokio::time::sleep(ctx.timeout) => Err(read_timed_out(what, ctx.timeout).into()),
    }
}

/// The error of a read that took longer than `limit`.
fn read_timed_out(what: &str, limit: Duration) -> Diagnostic {
    Diagnostic::error(
        format!("Timed out reading {what}"),
        format!(
            "The provider gave up reading {what} after {}: reads have no `timeouts` entry, and are \
             bounded so that a service that answers too slowly cannot hold up the command. Check \
             that the provider's endpoint is healthy, then run the command again.",
            crate::framework::timeouts::format_duration(limit)
        ),
    )
}

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

/// A resource type with what the service derives from it once, up front.
struct ResourceType<C> {
    resource: Arc<dyn Resource<C>>,
    schema: Schema,
    ty: Type,
    timeouts: Timeouts,
    identity: Option<Identity>,
}

/// A resource type's identity schema and the type of its values.
struct Identity {
    schema: IdentitySchema,
    ty: Type,
}

/// A data source with its schema and value type, derived once.
struct DataSourceType<C> {
    data_source: Arc<dyn DataSource<C>>,
    schema: Schema,
    ty: Type,
}

/// A list resource with its `config` block's schema and value type, derived once.
struct ListType<C> {
    list: Arc<dyn ListResource<C>>,
    schema: Schema,
    ty: Type,
}

/// Serves one [`Provider`] over tfplugin6.
pub struct ProviderService<P: Provider> {
    provider: Arc<P>,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<String, Arc<ResourceType<P::Client>>>,
    data_sources: BTreeMap<String, DataSourceType<P::Client>>,
    list_resources: BTreeMap<String, ListType<P::Client>>,
    client: RwLock<Option<Arc<P::Client>>>,
    stop: StopSignal,
}

impl<P: Provider> ProviderService<P> {
    /// Prepares the schemas of `provider`, its resources, data sources and list resources once,
    /// up front.
    ///
    /// # Panics
    /// When a list resource lists a type that is not one of the provider's resource types with
    /// an identity: Terraform could not read its results (a programming error, which the
    /// provider's own tests meet at once).
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let resources: BTreeMap<String, Arc<ResourceType<P::Client>>> = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = full_schema(resource.as_ref());
                let identity = resource.identity_schema().map(|schema| Identity {
                    ty: schema.implied_type(),
                    schema,
                });
                let entry = ResourceType {
                    ty: schema.block.implied_type(),
                    timeouts: resource.timeouts(),
                    resource: resource.clone(),
                    schema,
                    identity,
                };
                (resource.type_name().to_owned(), Arc::new(entry))
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let entry = DataSourceType {
                    ty: schema.block.implied_type(),
                    data_source: data_source.clone(),
                    schema,
                };
                (data_source.type_name().to_owned(), entry)
            })
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|list| {
                let type_name = list.type_name();
                assert!(
                    resources
                        .get(type_name)
                        .is_some_and(|rt| rt.identity.is_some()),
                    "the list resource {type_name} lists no resource type with an identity"
                );
                let schema = list.schema();
                let entry = ListType {
                    ty: schema.block.implied_type(),
                    list: list.clone(),
                    schema,
                };
                (type_name.to_owned(), entry)
            })
            .collect();
        ProviderService {
            provider_type: provider_schema.block.implied_type(),
            provider_schema,
            provider: Arc::new(provider),
            resources,
            data_sources,
            list_resources,
            client: RwLock::new(None),
            stop: StopSignal::default(),
        }
    }

    /// The signal `StopProvider` fires.
    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<ResourceType<P::Client>>, Diagnostic> {
        self.resources
            .get(type_name)
            .ok_or_else(|| unknown_type("resource type", type_name, &self.resources))
    }

    fn list_resource(&self, type_name: &str) -> Result<&ListType<P::Client>, Diagnostic> {
        self.list_resources
            .get(type_name)
            .ok_or_else(|| unknown_type("list resource", type_name, &self.list_resources))
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceType<P::Client>, Diagnostic> {
        self.data_sources
            .get(type_name)
            .ok_or_else(|| unknown_type("data source", type_name, &self.data_sources))
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

    /// What an operation that only reads gets: the client, the stop signal, and
    /// [`READ_TIMEOUT`].
    fn read_context<'c>(&self, client: &'c P::Client) -> Context<'c, P::Client> {
        Context {
            client,
            cancel: self.stop.token(),
            timeout: READ_TIMEOUT,
        }
    }
}

/// The error for a `kind` (e.g. "data source") this provider does not offer, naming those it
/// does.
fn unknown_type<V>(kind: &str, type_name: &str, offered: &BTreeMap<String, V>) -> Diagnostic {
    let offered = if offered.is_empty() {
        format!("it offers no {kind}s")
    } else {
        let names: Vec<&str> = offered.keys().map(String::as_str).collect();
        format!("it offers {}", names.join(", "))
    };
    Diagnostic::error(
        format!("Unknown {kind} {type_name}"),
        format!(
            "This provider has no {kind} {type_name:?}; {offered}. Check the type's spelling, and \
             that `required_providers` selects the provider version that offers it."
        ),
    )
}

fn span(rpc: &'static str, resource_type: &str) -> tracing::Span {
    tracing::info_span!("rpc", tf_rpc = rpc, tf_resource_type = resource_type)
}

/// The diagnostics of an RPC whose only answer is diagnostics.
fn diags_only(result: Result<Diagnostics, Diagnostic>) -> Vec<pb::Diagnostic> {
    convert::diagnostics(&result.unwrap_or_else(Diagnostics::from))
}

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(self.metadata()))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(self.provider_schemas()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let _span = span("ValidateProviderConfig", "").entered();
        Ok(Response::new(self.validate_provider(&req.into_inner())))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let _span = span("ValidateResourceConfig", &req.type_name).entered();
        Ok(Response::new(self.validate_resource(&req)))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let _span = span("ValidateDataResourceConfig", &req.type_name).entered();
        Ok(Response::new(self.validate_data_source(&req)))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = span("UpgradeResourceState", &req.type_name).entered();
        Ok(Response::new(self.upgrade(&req)))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(self.identity_schemas()))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = req.into_inner();
        let _span = span("UpgradeResourceIdentity", &req.type_name).entered();
        Ok(Response::new(self.upgrade_identity(&req)))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let response = self
            .configure(&req)
            .instrument(span("ConfigureProvider", ""))
            .await;
        Ok(Response::new(response))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let span = span("ReadResource", &req.type_name);
        Ok(Response::new(self.read(req).instrument(span).await))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let _span = span("PlanResourceChange", &req.type_name).entered();
        Ok(Response::new(self.plan(&req)))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let response = self
            .apply(&req)
            .instrument(span("ApplyResourceChange", &req.type_name))
            .await;
        Ok(Response::new(response))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = span("ImportResourceState", &req.type_name).entered();
        Ok(Response::new(self.import(&req)))
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = span("MoveResourceState", &req.target_type_name).entered();
        Ok(Response::new(self.move_resource(&req)))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let span = span("ReadDataSource", &req.type_name);
        Ok(Response::new(
            self.read_data_source(&req).instrument(span).await,
        ))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = req.into_inner();
        let _span = span("ValidateListResourceConfig", &req.type_name).entered();
        Ok(Response::new(self.validate_list(&req)))
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<BoxStream<pb::list_resource::Event>>, Status> {
        let req = req.into_inner();
        let _span = span("ListResource", &req.type_name).entered();
        Ok(Response::new(self.list(req)))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(schema::functions()))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        Ok(Response::new(self.stop_operations()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_read_that_does_not_finish_is_cut_at_its_limit() {
        let ctx = Context {
            client: &(),
            cancel: CancellationToken::new(),
            timeout: READ_TIMEOUT,
        };
        let start = tokio::time::Instant::now();
        let err = bounded_read(
            &ctx,
            "widget \"w\"",
            std::future::pending::<Result<(), Diagnostics>>(),
        )
        .await
        .unwrap_err();
        assert_eq!(start.elapsed(), READ_TIMEOUT);
        assert_eq!(err.0[0].summary, "Timed out reading widget \"w\"");
        assert!(err.0[0].detail.contains("after 5m0s"), "{err:?}");

        ctx.cancel.cancel();
        let err = bounded_read(
            &ctx,
            "widget \"w\"",
            std::future::pending::<Result<(), Diagnostics>>(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.0[0].summary, "Interrupted while reading widget \"w\"");
    }
}
