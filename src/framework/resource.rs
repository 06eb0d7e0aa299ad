//! The provider and resource model: what a provider or resource declares, and nothing else.
//!
//! The protocol server drives these traits; a resource never sees protocol messages, msgpack,
//! plan rules or the `timeouts` block's plumbing.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value as Json;
use tokio_util::sync::CancellationToken;

use super::data_source::DataSource;
use super::diag::{Diagnostic, Diagnostics};
use super::identity::IdentitySchema;
use super::list::ListResource;
use super::moves::{unsupported_move, MoveSource};
use super::plan::Planned;
use super::schema::Schema;
use super::timeouts::Timeouts;
use super::value::Value;

/// A provider: its configuration schema, how configuration becomes a client, its resources,
/// data sources and list resources.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What resources receive once the provider is configured (for example an API client).
    type Client: Send + Sync + 'static;

    /// The provider's type name, the prefix of its resource type names.
    fn type_name(&self) -> &'static str;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Checks across attributes that validators on single attributes cannot express.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the client from the provider block's configuration.
    async fn configure(&self, config: &Value) -> Result<Self::Client, Diagnostics>;

    /// The resource types this provider offers.
    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Client>>>;

    /// The data sources this provider offers.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Client>>> {
        Vec::new()
    }

    /// The list resources this provider offers, each for one of its resource types that has
    /// an identity.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Self::Client>>> {
        Vec::new()
    }
}

/// What a resource or data source operation gets besides its values.
pub struct Context<'a, C> {
    /// The configured provider's client.
    pub client: &'a C,
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C): waits and retries end early.
    pub cancel: CancellationToken,
    /// The time limit of this operation (from the `timeouts` block or the resource's default).
    pub timeout: Duration,
}

/// A resource operation that did not complete: diagnostics, and the state to save if the remote
/// object exists. With only warnings, the operation stopped early but left a consistent object
/// (Terraform saves the state without tainting it); with an error after a create, Terraform
/// saves the state as tainted.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub diagnostics: Diagnostics,
    /// For a create that got as far as creating the object: its state, which Terraform saves as
    /// tainted so that nothing is orphaned and the next apply replaces it.
    pub partial_state: Option<Value>,
}

impl Failure {
    /// This failure, keeping `state` in Terraform's state.
    pub fn with_state(mut self, state: Value) -> Self {
        self.partial_state = Some(state);
        self
    }
}

impl From<Diagnostic> for Failure {
    fn from(diagnostic: Diagnostic) -> Self {
        Failure {
            diagnostics: diagnostic.into(),
            partial_state: None,
        }
    }
}

impl From<Diagnostics> for Failure {
    fn from(diagnostics: Diagnostics) -> Self {
        Failure {
            diagnostics,
            partial_state: None,
        }
    }
}

/// A managed resource type: schema, validation and CRUD. The framework does the rest.
#[async_trait]
pub trait Resource<C>: Send + Sync {
    /// The full type name, e.g. `lookoutvision_project`.
    fn type_name(&self) -> &'static str;

    /// The schema, without the `timeouts` block (the framework adds it from [`Self::timeouts`]).
    fn schema(&self) -> Schema;

    /// Default time limits of the operations that wait.
    fn timeouts(&self) -> Timeouts {
        Timeouts::default()
    }

    /// Checks across attributes that validators on single attributes cannot express.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Adjusts a create or update plan after the framework's rules were applied: values that
    /// can be known at plan time (such as tags merged with provider defaults), and what the
    /// `prior` state alone calls for (null on create), such as finishing or replacing an object
    /// whose last change did not complete. Errors here stop the plan: rules over values only the
    /// plan holds (such as the number of tags once the provider's defaults are merged in).
    fn modify_plan(
        &self,
        _client: Option<&C>,
        _prior: &Value,
        _plan: &mut Planned,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Creates the remote object and returns the new state.
    async fn create(&self, ctx: &Context<'_, C>, planned: &Value) -> Result<Value, Failure>;

    /// Refreshes `state`; `None` when the object no longer exists.
    async fn read(&self, ctx: &Context<'_, C>, state: &Value) -> Result<Option<Value>, Failure>;

    /// Changes the remote object in place and returns the new state. Only called when something
    /// other than provider-only settings (such as `timeouts`) changed and nothing forces
    /// replacement.
    ///
    /// Required even of a resource whose every argument forces replacement, so that no resource
    /// can record changes without making them: such a resource answers [`replace_only`].
    async fn update(
        &self,
        ctx: &Context<'_, C>,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Failure>;

    /// Deletes the remote object and waits until it is gone.
    async fn delete(&self, ctx: &Context<'_, C>, state: &Value) -> Result<(), Failure>;

    /// The identifying attributes for an import ID (read then fills in the rest).
    fn import(&self, id: &str) -> Result<Value, Diagnostic>;

    /// The resource's identity schema (Terraform 1.12 and later), if it has one. A resource
    /// with one implements [`Self::identity`] and [`Self::import_identity`] too.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` (a state or a plan) describes, an object of the
    /// identity schema's attributes: null where the state cannot tell (the framework keeps
    /// what Terraform already holds there), unknown where a plan does not know yet. `client` is
    /// the configured client; an unconfigured provider (during a move) has none.
    fn identity(&self, _state: &Value, _client: Option<&C>) -> Value {
        Value::Null
    }

    /// The state of an object another resource type held, for a `moved` block into this type:
    /// the identifying attributes at least (the next refresh reads the rest). A resource
    /// refuses sources it does not know with [`unsupported_move`], naming those it does.
    fn move_state(&self, source: &MoveSource<'_>) -> Result<Value, Diagnostic> {
        Err(unsupported_move(self.type_name(), source, &[]))
    }

    /// The identifying attributes for an import by identity, as [`Self::import`] gives them
    /// for an ID. The framework has checked that `identity` has every attribute required for
    /// import.
    fn import_identity(&self, _identity: &Value) -> Result<Value, Diagnostic> {
        Err(invalid_import_identity(
            self.type_name(),
            "This resource type has no identity to import by.",
        ))
    }

    /// Brings stored state written under an older schema version (`from_version`, below the
    /// schema's [`version`](Schema::version)) to the current version's shape, in Terraform's
    /// JSON form. State at the current version is never passed here: it needs no upgrade.
    /// Attributes the current schema no longer has may be left in; the framework drops them.
    ///
    /// The default knows no older version: a resource that raises its schema version overrides
    /// this, answering [`missing_upgrade`] for versions it cannot upgrade from.
    fn upgrade(&self, from_version: i64, _state: Json) -> Result<Json, Diagnostic> {
        Err(missing_upgrade(self.type_name(), from_version))
    }

    /// Top-level arguments the service never reports back, so an import leaves them null. The
    /// first plan after an import adopts their configured values in place instead of replacing
    /// the resource for them.
    fn unobservable(&self) -> &'static [&'static str] {
        &[]
    }
}

/// The error for an import ID that names no `type_name`; `problem` says what is wrong with it.
pub fn invalid_import_id(type_name: &str, problem: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid import ID for {type_name}"),
        format!(
            "{problem} Correct the ID in the `terraform import` command or the `import` block."
        ),
    )
}

/// The error for an import identity that names no `type_name`; `problem` says what is wrong.
pub fn invalid_import_identity(type_name: &str, problem: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid import identity for {type_name}"),
        format!("{problem} Correct the `identity` in the `import` block."),
    )
}

/// What [`Resource::update`] answers for a resource whose every argument forces replacement.
/// Terraform plans a replacement for any change to such a resource, so an in-place update that
/// reaches it anyway is a bug, which must fail rather than record values the service never got.
pub fn replace_only(type_name: &str) -> Failure {
    Diagnostic::error(
        format!("In-place update of {type_name} requested"),
        format!(
            "Terraform asked the provider to update {type_name} in place, but every argument of \
             {type_name} forces replacement, so the provider changed nothing. This is a bug in \
             the provider; please report it."
        ),
    )
    .into()
}

/// The error of [`Resource::upgrade`] for stored state of a schema version it cannot upgrade.
pub fn missing_upgrade(type_name: &str, from_version: i64) -> Diagnostic {
    Diagnostic::error(
        format!("No upgrade of {type_name} state from schema version {from_version}"),
        format!(
            "The provider cannot upgrade {type_name} state written under schema version \
             {from_version}. This is a bug in the provider; please report it."
        ),
    )
}

/// The schema Terraform sees for `resource`: its own, plus the `timeouts` block its declared
/// timeouts imply.
pub fn full_schema<C>(resource: &dyn Resource<C>) -> Schema {
    let mut schema = resource.schema();
    if let Some(block) = resource.timeouts().block() {
        schema.block.blocks.push(block);
    }
    schema
}
