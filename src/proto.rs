//! Protocol types and gRPC stubs generated at build time (see `build.rs`) from the project's own
//! `proto/` files: the Terraform plugin protocol tfplugin6.10 and go-plugin's controller service.
//!
//! Each module holds the prost messages plus the tonic server (`*_server`) and client (`*_client`)
//! for its package; the clients are what the tests use to play Terraform's part.

/// The Terraform plugin protocol, version 6.10 (`package tfplugin6`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's controller service (`package plugin`), through which Terraform shuts a provider down.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod plugin {
    tonic::include_proto!("plugin");
}

/// The protobuf well-known types that tfplugin6 uses (only `Timestamp`), generated here because
/// the crate does not depend on `prost-types`.
pub mod google {
    /// `package google.protobuf`.
    #[allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod protobuf {
        tonic::include_proto!("google.protobuf");
    }
}
