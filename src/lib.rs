//! Terraform/OpenTofu provider for Amazon Lookout for Vision.
//!
//! The layers, each depending only on the ones listed before it:
//! - [`proto`]: the tfplugin6 and go-plugin protocol types, generated at build time.
//! - [`framework`]: values, schemas, plans and the generic resource model; knows nothing about AWS.
//! - [`plugin`]: the plugin runtime (handshake, AutoMTLS, logging, the gRPC services).
//! - [`aws`]: client configuration, error classification, retries and waiters.
//! - [`resources`], [`data_sources`] and [`provider`]: the Lookout for Vision provider built on
//!   the layers above.
//!
//! The emulator it is tested against is the `lookoutvision-emulator` crate (`emulator/`), which
//! shares no code with this one.
#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

pub mod aws;
pub mod data_sources;
pub mod framework;
pub mod plugin;
pub mod proto;
pub mod provider;
pub mod resources;
