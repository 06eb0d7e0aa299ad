//! The emulator's API suite: the Lookout for Vision API as the official AWS SDK for Rust (and
//! raw HTTP where the SDK cannot show a detail) sees it, against in-process emulators and the
//! built `lookoutvision-emulator` binary. One binary, one module per concern.

mod conformance;
mod datasets_models;
mod faults;
mod fuzz;
mod persistence;
mod projects;
mod properties;
mod quotas;
mod s3_dir;
mod sigv4;
mod support;
mod training;
