//! Malformed protocol messages: arbitrary bytes where Terraform sends values, and arbitrary
//! type names, reach every value-carrying RPC of the provider service. Each must answer with
//! diagnostics inside an OK response, never a gRPC error and never a panic.
//!
//! ConfigureProvider is left out on purpose: a configuration that happens to decode (an empty
//! map does) would send the credential chain looking for instance metadata, off loopback. Its
//! decoding is the same as ValidateProviderConfig's, which is fuzzed.

use proptest::prelude::*;
use tonic::Request;

use lookoutvision::plugin::provider_service::ProviderService;
use lookoutvision::proto::tfplugin6 as pb;
use lookoutvision::proto::tfplugin6::provider_server::Provider as _;
use lookoutvision::provider::LookoutVisionProvider;

fn value(bytes: Vec<u8>, as_json: bool) -> Option<pb::DynamicValue> {
    Some(if as_json {
        pb::DynamicValue {
            msgpack: Vec::new(),
            json: bytes,
        }
    } else {
        pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }
    })
}

/// Bytes that are often almost valid: msgpack maps and nils mixed with noise.
fn wire_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(
            prop_oneof![
                Just(0x80u8),
                Just(0xc0),
                Just(0xd4),
                Just(0xa1),
                Just(0x81),
                any::<u8>()
            ],
            0..32
        ),
    ]
}

fn type_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("lookoutvision_project".to_owned()),
        Just("lookoutvision_dataset".to_owned()),
        Just("lookoutvision_model".to_owned()),
        "[a-z_]{0,24}",
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn malformed_values_give_diagnostics_not_errors(
        bytes in wire_bytes(),
        other in wire_bytes(),
        as_json in any::<bool>(),
        type_name in type_name(),
    ) {
        let service = ProviderService::new(LookoutVisionProvider);
        runtime().block_on(async {
            let validated = service
                .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                    type_name: type_name.clone(),
                    config: value(bytes.clone(), as_json),
                    ..Default::default()
                }))
                .await;
            prop_assert!(validated.is_ok());

            let validated = service
                .validate_provider_config(Request::new(pb::validate_provider_config::Request {
                    config: value(bytes.clone(), as_json),
                }))
                .await;
            prop_assert!(validated.is_ok());

            let planned = service
                .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                    type_name: type_name.clone(),
                    prior_state: value(other.clone(), false),
                    proposed_new_state: value(bytes.clone(), as_json),
                    config: value(bytes.clone(), as_json),
                    prior_private: other.clone(),
                    ..Default::default()
                }))
                .await;
            prop_assert!(planned.is_ok());

            let applied = service
                .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                    type_name: type_name.clone(),
                    prior_state: value(other.clone(), false),
                    planned_state: value(bytes.clone(), as_json),
                    ..Default::default()
                }))
                .await
                .expect("apply answers OK");
            // An apply that could not even decode its input keeps the prior state untouched.
            let applied = applied.into_inner();
            prop_assert!(!applied.diagnostics.is_empty() || applied.new_state.is_some());

            let read = service
                .read_resource(Request::new(pb::read_resource::Request {
                    type_name: type_name.clone(),
                    current_state: value(bytes.clone(), as_json),
                    ..Default::default()
                }))
                .await;
            prop_assert!(read.is_ok());

            let upgraded = service
                .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                    type_name: type_name.clone(),
                    version: 0,
                    raw_state: Some(pb::RawState {
                        json: bytes.clone(),
                        ..Default::default()
                    }),
                }))
                .await;
            prop_assert!(upgraded.is_ok());

            let imported = service
                .import_resource_state(Request::new(pb::import_resource_state::Request {
                    type_name,
                    id: String::from_utf8_lossy(&bytes).into_owned(),
                    ..Default::default()
                }))
                .await;
            prop_assert!(imported.is_ok());
            Ok(())
        })?;
    }
}
