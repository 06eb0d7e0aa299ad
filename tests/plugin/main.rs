//! The protocol suite: the provider as Terraform's plugin client sees it, without Terraform.
//! gRPC clients play Terraform's part against the in-process server and the built binary (with
//! AutoMTLS), and Terraform 1.14's in the RPCs Terraform 1.11 never calls (identities, list
//! resources, moves: `terraform.rs`); the value codecs are fuzzed; `proto/` is checked against
//! the tfplugin6.10 field table. One binary, one module per concern.

mod behind;
mod binary;
mod codec;
mod fuzz;
mod grpc;
mod identity;
mod list;
mod move_state;
mod proto_conformance;
mod protocol;
mod terraform;
mod tls;
