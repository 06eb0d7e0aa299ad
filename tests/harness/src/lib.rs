//! What the provider's test suites and its benchmark share: an emulator served in-process with
//! the binary's flags, Terraform working directories wired to the provider, the processes
//! Terraform starts, the Terraform side of go-plugin's AutoMTLS, loopback stand-ins for the
//! network (a test CA, HTTP(S) servers, a proxy), throwaway GPG keys and small images for
//! the emulator's S3 directory.
#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

pub mod automtls;
pub mod aws;
pub mod emulator;
pub mod gpg;
pub mod images;
pub mod net;
pub mod process;
pub mod terraform;

pub use emulator::Emulator;
pub use process::{provider_children, signal, wait_for};
pub use terraform::{terraform_binary, ProviderMode, Run, Workspace};
