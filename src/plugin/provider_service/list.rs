//! ValidateListResourceConfig and ListResource (`terraform query`): a list block's `config`
//! checked as a resource's configuration is, then the list run in a task of its own that
//! streams each object found, with its identity, as it is found.
//!
//! The stream ends when the list is done, when the request's limit is reached, when Terraform
//! stops reading (it cancels the call once it has `limit` results), or when StopProvider
//! interrupts the list, which then ends with an error event: the results so far are
//! incomplete. Errors are events that carry only diagnostics, never a gRPC status.

use std::future::ready;

use futures_util::stream::{self, StreamExt};
use tokio::sync::oneshot;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;

use super::{
    convert, diags_only, pb, read_timed_out, ListType, ProviderService, ResourceType, READ_TIMEOUT,
};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::list::{Found, ListRequest, ListSink};
use crate::framework::resource::{Context, Provider};
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// ValidateListResourceConfig. Terraform sends only the `config` block (which may hold
    /// values not known yet); it never fills `include_resource_object` or `limit` here.
    pub(super) fn validate_list(
        &self,
        req: &pb::validate_list_resource_config::Request,
    ) -> pb::validate_list_resource_config::Response {
        let checked = self
            .list_resource(&req.type_name)
            .and_then(|lt| checked_list_config(lt, req.config.as_ref()))
            .map(|(_, diags)| diags);
        pb::validate_list_resource_config::Response {
            diagnostics: diags_only(checked),
        }
    }

    /// ListResource.
    pub(super) fn list(
        &self,
        req: pb::list_resource::Request,
    ) -> BoxStream<pb::list_resource::Event> {
        match self.start_list(req) {
            Ok(events) => events,
            Err(diags) => Box::pin(stream::once(ready(Ok(diagnostics_event(&diags))))),
        }
    }

    fn start_list(
        &self,
        req: pb::list_resource::Request,
    ) -> Result<BoxStream<pb::list_resource::Event>, Diagnostics> {
        let lt = self.list_resource(&req.type_name)?;
        let rt = self.resource(&req.type_name)?.clone();
        let (config, diags) = checked_list_config(lt, req.config.as_ref())?;
        if diags.has_errors() {
            return Err(diags);
        }
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("{} listed before its configuration is known", req.type_name),
                format!(
                    "Terraform asked the provider to list {} while the `config` block still \
                     held values not known yet. This is a bug in Terraform or in the provider; \
                     please report it.",
                    req.type_name
                ),
            )
            .into());
        }
        let limit = usize::try_from(req.limit).map_err(|_| {
            Diagnostic::error(
                "Invalid limit",
                format!(
                    "The limit of a list block must be 0 or more; Terraform sent {}. This is a \
                     bug in Terraform; please report it.",
                    req.limit
                ),
            )
        })?;
        let client = self.configured_client()?;
        let request = ListRequest {
            config,
            include_resource: req.include_resource_object,
        };
        let (mut sink, found) = ListSink::new(limit);
        let (done, outcome) = oneshot::channel::<Diagnostics>();
        let list = lt.list.clone();
        let cancel = self.stop.token();
        let list_client = client.clone();
        let type_name = req.type_name.clone();
        let include_resource = request.include_resource;
        tokio::spawn(async move {
            let ctx = Context {
                client: list_client.as_ref(),
                cancel: cancel.clone(),
                timeout: READ_TIMEOUT,
            };
            let abandoned = sink.abandoned();
            let diags = if sink.is_done() {
                Diagnostics::default()
            } else {
                tokio::select! {
                    listed = list.list(&ctx, &request, &mut sink) => listed.err().unwrap_or_default(),
                    () = cancel.cancelled() => interrupted(&type_name).into(),
                    () = tokio::time::sleep(READ_TIMEOUT) => read_timed_out(&type_name, READ_TIMEOUT).into(),
                    () = abandoned => Diagnostics::default(),
                }
            };
            // Ends the stream of objects found, so that the outcome comes last.
            drop(sink);
            let _ = done.send(diags);
        });

        let head = (!diags.is_empty()).then(|| Ok(diagnostics_event(&diags)));
        let found = ReceiverStream::new(found)
            .map(move |found| Ok(found_event(&rt, found, include_resource, client.as_ref())));
        let end = stream::once(outcome).filter_map(|outcome| {
            ready(match outcome {
                Ok(diags) if !diags.is_empty() => Some(Ok(diagnostics_event(&diags))),
                _ => None,
            })
        });
        Ok(Box::pin(stream::iter(head).chain(found).chain(end)))
    }
}

/// Decodes a list block's `config` and checks it: the schema's rules (required arguments and
/// validators), then the list's own checks. Terraform 1.13 sends a null `config` when the block is left
/// out, Terraform 1.14 an object of nulls; both are read as the latter.
fn checked_list_config<C>(
    lt: &ListType<C>,
    config: Option<&pb::DynamicValue>,
) -> Result<(Value, Diagnostics), Diagnostic> {
    let mut config = convert::decode(config, &lt.ty, "list configuration")?;
    if config.is_null() {
        config = Value::object(
            lt.schema
                .block
                .attributes
                .iter()
                .map(|a| (a.name.as_str(), Value::Null)),
        );
    }
    // The schema's validation covers required arguments left null, as for resources.
    let mut diags = Diagnostics::default();
    lt.schema
        .block
        .validate(&config, &AttributePath::default(), &mut diags);
    lt.list.validate(&config, &mut diags);
    Ok((config, diags))
}

/// The event for an object a list found: its identity (which Terraform requires), its display
/// name, and the object itself if Terraform asked for it.
fn found_event<C>(
    rt: &ResourceType<C>,
    found: Found,
    include_resource: bool,
    client: &C,
) -> pb::list_resource::Event {
    let identity = rt.identity_of(&found.state, &Value::Null, Some(client));
    let encoded = (|| {
        let type_name = rt.resource.type_name();
        if identity.is_null() || !identity.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("{type_name} listed without an identity"),
                format!(
                    "The provider listed {type_name} {:?} without a complete identity. This is \
                     a bug in the provider; please report it.",
                    found.display_name
                ),
            ));
        }
        let identity = rt.encode_identity(&identity, "listed identity")?;
        let object = match include_resource {
            true => Some(convert::encode(&found.state, &rt.ty, "listed object")?),
            false => None,
        };
        Ok((identity, object))
    })();
    match encoded {
        Ok((identity, resource_object)) => pb::list_resource::Event {
            identity,
            display_name: found.display_name,
            resource_object,
            diagnostic: Vec::new(),
        },
        Err(diag) => diagnostics_event(&diag.into()),
    }
}

/// An event that carries only diagnostics, as terraform-plugin-framework sends errors.
fn diagnostics_event(diags: &Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: convert::diagnostics(diags),
        ..Default::default()
    }
}

/// The error that ends a list StopProvider interrupted.
fn interrupted(type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Interrupted while listing {type_name}"),
        format!(
            "Terraform was interrupted (for example with Ctrl-C) while the provider listed \
             {type_name}, so the results are incomplete. Run the command again for all of them."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        configured, decode, decode_identity, encode, service, widget_identity, widget_list_type,
        widget_state, widget_type, WIDGET,
    };
    use super::*;

    fn config(count: Value, hang: bool) -> pb::DynamicValue {
        encode(
            &Value::object([("count", count), ("hang", hang.into())]),
            &widget_list_type(),
        )
    }

    fn summaries(diags: &[pb::Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.summary.as_str()).collect()
    }

    fn validate(config: Option<pb::DynamicValue>) -> Vec<pb::Diagnostic> {
        service()
            .validate_list(&pb::validate_list_resource_config::Request {
                type_name: WIDGET.to_owned(),
                config,
                ..Default::default()
            })
            .diagnostics
    }

    #[test]
    fn validation_checks_required_arguments_and_validators_but_not_unknowns() {
        assert!(validate(Some(config(2.into(), false))).is_empty());
        assert!(validate(Some(config(Value::Unknown, false))).is_empty());
        let missing = validate(None);
        assert_eq!(summaries(&missing), ["Invalid value for count"]);
        assert!(missing[0]
            .detail
            .contains("count is required, but it is null"));
        assert_eq!(
            summaries(&validate(Some(config(101.into(), false)))),
            ["Invalid value for count"]
        );
    }

    async fn events(
        service: &ProviderService<super::super::testing::TestProvider>,
        type_name: &str,
        config: pb::DynamicValue,
        include_resource_object: bool,
        limit: i64,
    ) -> Vec<pb::list_resource::Event> {
        service
            .list(pb::list_resource::Request {
                type_name: type_name.to_owned(),
                config: Some(config),
                include_resource_object,
                limit,
            })
            .map(|event| event.expect("events, never a gRPC error"))
            .collect()
            .await
    }

    #[tokio::test]
    async fn a_list_streams_identities_up_to_the_limit() {
        let service = configured().await;
        let listed = events(&service, WIDGET, config(5.into(), false), false, 2).await;
        let names: Vec<&str> = listed.iter().map(|e| e.display_name.as_str()).collect();
        assert_eq!(names, ["w0", "w1"]);
        assert_eq!(
            decode_identity(listed[1].identity.as_ref()),
            widget_identity("w1", Some("east"), None)
        );
        assert!(listed.iter().all(|e| e.resource_object.is_none()));

        let included = events(&service, WIDGET, config(1.into(), false), true, 100).await;
        let object = included[0].resource_object.as_ref().expect("the object");
        assert_eq!(decode(object, &widget_type()), widget_state("w0"));

        assert!(events(&service, WIDGET, config(5.into(), false), false, 0)
            .await
            .is_empty());
    }

    #[tokio::test]
    async fn failures_are_a_single_diagnostics_event() {
        let configured = configured().await;
        let invalid = events(&configured, WIDGET, config(101.into(), false), false, 10).await;
        assert_eq!(invalid.len(), 1);
        assert_eq!(
            summaries(&invalid[0].diagnostic),
            ["Invalid value for count"]
        );
        assert!(invalid[0].identity.is_none());

        let unknown = events(
            &configured,
            "test_gadget",
            config(1.into(), false),
            false,
            10,
        )
        .await;
        assert_eq!(
            summaries(&unknown[0].diagnostic),
            ["Unknown list resource test_gadget"]
        );

        let unconfigured = events(&service(), WIDGET, config(1.into(), false), false, 10).await;
        assert_eq!(
            summaries(&unconfigured[0].diagnostic),
            ["Provider not configured"]
        );
    }

    #[tokio::test]
    async fn stop_provider_ends_a_list_with_an_interruption() {
        let service = configured().await;
        let mut stream = service.list(pb::list_resource::Request {
            type_name: WIDGET.to_owned(),
            config: Some(config(5.into(), true)),
            include_resource_object: false,
            limit: 100,
        });
        let first = stream
            .next()
            .await
            .expect("an event")
            .expect("not an error");
        assert_eq!(first.display_name, "w0");
        service.stop_operations();
        let rest: Vec<_> = stream.map(|e| e.expect("not an error")).collect().await;
        assert_eq!(rest.len(), 1, "{rest:?}");
        assert_eq!(
            summaries(&rest[0].diagnostic),
            ["Interrupted while listing test_widget"]
        );
    }
}
