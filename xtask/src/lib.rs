//! The project's jobs that write files, kept out of the test suite: the registry docs
//! ([`docs`]) and the release archives ([`release`]). Run them as `cargo xtask docs` and
//! `cargo xtask release`.
#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

pub mod docs;
pub mod release;

use std::path::PathBuf;

/// The workspace's root directory (this crate lives in `xtask/` under it).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// The workspace's version, the one every release file name carries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
