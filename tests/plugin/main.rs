//! The protocol suite: the provider as Terraform's plugin client sees it, without Terraform.
//! gRPC clients play Terraform's part against the in-process server and the built binary (with
//! AutoMTLS); the value codecs are fuzzed; `proto/` is checked against the tfplugin6.10 field
//! table. One binary, one module per concern.

mod binary;
mod codec;
mod fuzz;
mod grpc;
mod proto_conformance;
mod protocol;
mod tls;
