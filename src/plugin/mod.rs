//! The plugin runtime: everything go-plugin and Terraform expect of a provider process, independent
//! of what the provider manages.

pub mod convert;
pub mod handshake;
pub mod logging;
pub mod provider_service;
pub mod server;
pub mod tls;
pub mod transport;
