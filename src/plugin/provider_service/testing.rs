//! A provider and a resource for the service's unit tests: small schemas, canned behaviour and a
//! client that records the calls it receives.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::{convert, pb, ProviderService};
use crate::framework::data_source::{not_found, DataSource};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::identity::{IdentityAttribute, IdentitySchema};
use crate::framework::list::{Found, ListRequest, ListResource, ListSink};
use crate::framework::moves::{unsupported_move, MoveSource};
use crate::framework::plan::Planned;
use crate::framework::resource::{replace_only, Context, Failure, Provider, Resource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::timeouts::Timeouts;
use crate::framework::validate;
use crate::framework::value::{Type, Value};

/// The type name of the test resource with an argument that changes in place.
pub(super) const WIDGET: &str = "test_widget";

/// The type name of the test resource whose every argument forces replacement.
pub(super) const FIXTURE: &str = "test_fixture";

/// The type name of the test data source.
pub(super) const GAUGE: &str = "test_gauge";

/// The configured client: its region, and the resource operations it was used for, as
/// `"create <name>"`.
#[derive(Debug, Default)]
pub(super) struct Calls {
    region: Option<String>,
    calls: Mutex<Vec<String>>,
}

impl Calls {
    fn record(&self, operation: &str, state: &Value) {
        let name = state.get("name").as_str().unwrap_or_default();
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{operation} {name}"));
    }

    pub(super) fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A provider with a `region` (at most 5 characters; `"down"` fails to configure) and a
/// `refuse` flag that its cross-attribute check rejects.
pub(super) struct TestProvider;

#[async_trait]
impl Provider for TestProvider {
    type Client = Calls;

    fn type_name(&self) -> &'static str {
        "test"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("A test provider.")
                .attribute(
                    Attribute::optional("region", Type::String)
                        .validate(validate::string_length(1, 5)),
                )
                .attribute(Attribute::optional("refuse", Type::Bool)),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("refuse").as_bool() == Some(true) {
            diags.push(Diagnostic::error("Refused", "The test provider refuses."));
        }
    }

    async fn configure(&self, config: &Value) -> Result<Calls, Diagnostics> {
        match config.get("region").as_str() {
            Some("down") => Err(Diagnostic::error("Region is down", "Try another.").into()),
            region => Ok(Calls {
                region: region.map(str::to_owned),
                ..Calls::default()
            }),
        }
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Calls>>> {
        vec![Arc::new(Widget), Arc::new(Fixture)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Calls>>> {
        vec![Arc::new(Gauge)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Calls>>> {
        vec![Arc::new(WidgetList)]
    }
}

/// A resource with a replacing `name` (at most 6 characters), an in-place `size` (13 is
/// refused) and an unobservable, replacing `source`; its identity is its `name` and the
/// client's `region`. Names choose canned outcomes: a create of `"half"` fails after creating
/// the object; a read of `"gone"` finds nothing and a read of `"broken"` fails.
struct Widget;

#[async_trait]
impl Resource<Calls> for Widget {
    fn type_name(&self) -> &'static str {
        WIDGET
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("A widget.")
                .attribute(Attribute::computed("id", Type::String).stable())
                .attribute(
                    Attribute::required("name", Type::String)
                        .requires_replace()
                        .validate(validate::string_length(1, 6)),
                )
                .attribute(Attribute::optional_computed("size", Type::Number))
                .attribute(Attribute::optional("source", Type::String).requires_replace()),
        )
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            create: Some(Duration::from_secs(60)),
            ..Timeouts::default()
        }
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.get("size").as_i64() == Some(13) {
            diags.push(Diagnostic::error("Unlucky size", "Choose another size."));
        }
    }

    fn modify_plan(
        &self,
        _client: Option<&Calls>,
        _prior: &Value,
        plan: &mut Planned,
        diags: &mut Diagnostics,
    ) {
        if plan.state.get("size").is_unknown() {
            plan.state.set("size", 1.into());
        }
        // The size filled in above is only wrong with this name.
        let planned = &plan.state;
        if planned.get("size").as_i64() == Some(1) && planned.get("name").as_str() == Some("one") {
            diags.push(Diagnostic::error(
                "Lonely widget",
                "A widget named one needs a size.",
            ));
        }
    }

    async fn create(&self, ctx: &Context<'_, Calls>, planned: &Value) -> Result<Value, Failure> {
        ctx.client.record("create", planned);
        if planned.get("name").as_str() == Some("half") {
            return Err(
                Failure::from(Diagnostic::error("Create failed", "Half-way."))
                    .with_state(planned.clone()),
            );
        }
        Ok(planned.clone())
    }

    async fn read(
        &self,
        _ctx: &Context<'_, Calls>,
        state: &Value,
    ) -> Result<Option<Value>, Failure> {
        match state.get("id").as_str() {
            Some("gone") => Ok(None),
            Some("broken") => Err(Diagnostic::error("Read failed", "Try again.").into()),
            _ => Ok(Some(state.clone())),
        }
    }

    async fn update(
        &self,
        ctx: &Context<'_, Calls>,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, Failure> {
        ctx.client.record("update", planned);
        Ok(planned.clone())
    }

    async fn delete(&self, ctx: &Context<'_, Calls>, state: &Value) -> Result<(), Failure> {
        ctx.client.record("delete", state);
        Ok(())
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostic> {
        Ok(Value::object([("id", id.into()), ("name", id.into())]))
    }

    fn unobservable(&self) -> &'static [&'static str] {
        &["source"]
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new([
            IdentityAttribute::required("name", "The name."),
            IdentityAttribute::optional("region", "The region."),
            IdentityAttribute::optional("owner", "Known only to whoever imported it."),
        ]))
    }

    fn identity(&self, state: &Value, client: Option<&Calls>) -> Value {
        let region = client.and_then(|c| c.region.as_deref());
        Value::object([
            ("name", state.get("name").clone()),
            ("region", Value::opt_string(region)),
        ])
    }

    fn import_identity(&self, identity: &Value) -> Result<Value, Diagnostic> {
        self.import(identity.get("name").as_str().unwrap_or_default())
    }

    /// A widget can be moved from a `test_gizmo` of `example.com/test/gizmos`, whose `label`
    /// becomes the name.
    fn move_state(&self, source: &MoveSource<'_>) -> Result<Value, Diagnostic> {
        if source.type_name != "test_gizmo" {
            return Err(unsupported_move(
                WIDGET,
                source,
                &["test_gizmo of example.com/test/gizmos"],
            ));
        }
        let label = source.text("label").unwrap_or_default();
        Ok(Value::object([
            ("id", label.into()),
            ("name", label.into()),
        ]))
    }
}

/// A resource whose every argument (`name`) forces replacement.
struct Fixture;

#[async_trait]
impl Resource<Calls> for Fixture {
    fn type_name(&self) -> &'static str {
        FIXTURE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("A fixture.")
                .attribute(Attribute::computed("id", Type::String).stable())
                .attribute(Attribute::required("name", Type::String).requires_replace()),
        )
    }

    async fn create(&self, ctx: &Context<'_, Calls>, planned: &Value) -> Result<Value, Failure> {
        ctx.client.record("create", planned);
        Ok(planned.clone())
    }

    async fn read(&self, _: &Context<'_, Calls>, state: &Value) -> Result<Option<Value>, Failure> {
        Ok(Some(state.clone()))
    }

    async fn update(&self, _: &Context<'_, Calls>, _: &Value, _: &Value) -> Result<Value, Failure> {
        Err(replace_only(FIXTURE))
    }

    async fn delete(&self, ctx: &Context<'_, Calls>, state: &Value) -> Result<(), Failure> {
        ctx.client.record("delete", state);
        Ok(())
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostic> {
        Ok(Value::object([("id", id.into()), ("name", id.into())]))
    }
}

/// A data source with a `name` (at most 6 characters; one ending in 13 is refused) and a
/// computed `reading`, the name's length. The gauge `"gone"` does not exist.
struct Gauge;

#[async_trait]
impl DataSource<Calls> for Gauge {
    fn type_name(&self) -> &'static str {
        GAUGE
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("A gauge.")
                .attribute(
                    Attribute::required("name", Type::String)
                        .validate(validate::string_length(1, 6)),
                )
                .attribute(Attribute::computed("reading", Type::Number)),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config
            .get("name")
            .as_str()
            .is_some_and(|n| n.ends_with("13"))
        {
            diags.push(Diagnostic::error("Unlucky gauge", "Choose another name."));
        }
    }

    async fn read(&self, _ctx: &Context<'_, Calls>, config: &Value) -> Result<Value, Diagnostics> {
        let name = config.get("name").as_str().unwrap_or_default();
        if name == "gone" {
            return Err(not_found(GAUGE, "gauge \"gone\"", "Check the name.").into());
        }
        let mut state = config.clone();
        state.set("reading", Value::from(name.len() as i64));
        Ok(state)
    }
}

/// The list of widgets: `count` widgets (required, at most 100) named `w0`, `w1`, ...; with
/// `hang`, the list finds the first and then never ends.
struct WidgetList;

#[async_trait]
impl ListResource<Calls> for WidgetList {
    fn type_name(&self) -> &'static str {
        WIDGET
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Widgets.")
                .attribute(
                    Attribute::required("count", Type::Number)
                        .validate(validate::int_between(0, 100)),
                )
                .attribute(Attribute::optional("hang", Type::Bool)),
        )
    }

    async fn list(
        &self,
        _ctx: &Context<'_, Calls>,
        request: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics> {
        let count = request.config.get("count").as_i64().unwrap_or_default();
        for i in 0..count {
            let name = format!("w{i}");
            let found = Found {
                state: widget_state(&name),
                display_name: name,
            };
            if !sink.push(found).await {
                return Ok(());
            }
            if request.config.get("hang").as_bool() == Some(true) {
                std::future::pending::<()>().await;
            }
        }
        Ok(())
    }
}

/// The type of [`WidgetList`] configurations.
pub(super) fn widget_list_type() -> Type {
    service().list_resources[WIDGET].ty.clone()
}

/// The type of [`Gauge`] values.
pub(super) fn gauge_type() -> Type {
    service().data_sources[GAUGE].ty.clone()
}

/// A service for [`TestProvider`], not configured.
pub(super) fn service() -> ProviderService<TestProvider> {
    ProviderService::new(TestProvider)
}

/// A service for [`TestProvider`], configured.
pub(super) async fn configured() -> ProviderService<TestProvider> {
    let service = service();
    let response = service
        .configure(&pb::configure_provider::Request {
            config: Some(provider_config("east", false)),
            ..Default::default()
        })
        .await;
    assert!(response.diagnostics.is_empty(), "{response:?}");
    service
}

/// The provider block's configuration.
pub(super) fn provider_config(region: &str, refuse: bool) -> pb::DynamicValue {
    let config = Value::object([("region", region.into()), ("refuse", refuse.into())]);
    encode(&config, &service().provider_type)
}

/// The type of [`Widget`] values, `timeouts` block included.
pub(super) fn widget_type() -> Type {
    resource_type(WIDGET)
}

/// The type of the values of resource type `type_name`.
pub(super) fn resource_type(type_name: &str) -> Type {
    service().resources[type_name].ty.clone()
}

/// The type of [`Widget`] identities.
pub(super) fn widget_identity_type() -> Type {
    service().resources[WIDGET]
        .identity
        .as_ref()
        .expect("widgets have an identity")
        .ty
        .clone()
}

/// `json` as Terraform sends stored state.
pub(super) fn raw_json(json: &str) -> pb::RawState {
    pb::RawState {
        json: json.as_bytes().to_vec(),
        ..Default::default()
    }
}

/// A widget identity.
pub(super) fn widget_identity(name: &str, region: Option<&str>, owner: Option<&str>) -> Value {
    Value::object([
        ("name", name.into()),
        ("region", Value::opt_string(region)),
        ("owner", Value::opt_string(owner)),
    ])
}

/// `identity` as Terraform sends it.
pub(super) fn identity_data(identity: &Value) -> pb::ResourceIdentityData {
    pb::ResourceIdentityData {
        identity_data: Some(encode(identity, &widget_identity_type())),
    }
}

/// An identity the service sent.
pub(super) fn decode_identity(data: Option<&pb::ResourceIdentityData>) -> Value {
    let data = data
        .and_then(|d| d.identity_data.as_ref())
        .expect("an identity");
    decode(data, &widget_identity_type())
}

/// The state of a widget called `name`, of size 1.
pub(super) fn widget_state(name: &str) -> Value {
    Value::object([
        ("id", name.into()),
        ("name", name.into()),
        ("size", 1.into()),
        ("source", Value::Null),
        ("timeouts", Value::Null),
    ])
}

/// `value` as Terraform sends it.
pub(super) fn encode(value: &Value, ty: &Type) -> pb::DynamicValue {
    convert::encode(value, ty, "test value").expect("an encodable test value")
}

/// A value the service sent.
pub(super) fn decode(value: &pb::DynamicValue, ty: &Type) -> Value {
    convert::decode(Some(value), ty, "test value").expect("a decodable value")
}
