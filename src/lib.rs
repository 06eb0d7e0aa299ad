//! Terraform/OpenTofu provider for Amazon Lookout for Vision, and an emulator of its API.
//!
//! The layers, each depending only on the ones listed before it:
//! - [`proto`]: the tfplugin6 and go-plugin protocol types, generated at build time.
//! - [`framework`]: values, schemas, plans and the generic resource model; knows nothing about AWS.
//! - [`plugin`]: the plugin runtime (handshake, AutoMTLS, logging, the gRPC services).
//! - [`aws`]: client configuration, error classification, retries and waiters.
//! - [`resources`] and [`provider`]: the Lookout for Vision provider built on the layers above.
//! - [`emulator`]: the Lookout for Vision API on loopback; shares no code with the provider.
#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

pub mod aws;
pub mod emulator;
pub mod framework;
pub mod plugin;
pub mod proto;
pub mod provider;
pub mod resources;
