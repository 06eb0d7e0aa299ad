//! The plugin runtime: everything go-plugin and Terraform expect of a provider process, independent
//! of what the provider manages.

pub mod handshake;
pub mod logging;
pub mod tls;
pub mod transport;
