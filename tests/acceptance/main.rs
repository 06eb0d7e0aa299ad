//! The acceptance suite: the real `terraform` CLI (from `PATH`, or `TF_ACC_TERRAFORM_PATH`)
//! against the provider and an emulator on loopback. Without terraform every test here fails
//! and says so. One binary, one module per concern; the harness lives in `tests/harness`.

mod bad_input;
mod data_sources;
mod distribution;
mod examples;
mod interrupts;
mod local_data;
mod move_state;
mod outcomes;
mod project;
mod reliability;
mod settings;
mod stack;

use harness::ProviderMode;

/// The provider binary this test run built, started by Terraform itself (AutoMTLS), as users
/// run it.
fn provider_binary() -> ProviderMode {
    ProviderMode::Binary(env!("CARGO_BIN_EXE_terraform-provider-lookoutvision").into())
}
