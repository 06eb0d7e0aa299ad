//! `cargo xtask`: the project's jobs that write files.
#![deny(rust_2018_idioms, unused_must_use)]
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::bail;
use clap::{Parser, Subcommand};
use xtask::{docs, release, workspace_root, VERSION};

/// The project's jobs that write files.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    job: Job,
}

#[derive(Debug, Subcommand)]
enum Job {
    /// Render the registry docs under docs/ from the schemas and examples/.
    Docs {
        /// Write nothing; fail if a page is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Build the release archives, checksums and a filesystem mirror.
    Release {
        /// The output directory (emptied first).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Package the binaries already built in this directory instead of building release ones.
        #[arg(long)]
        bin_dir: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let root = workspace_root();
    match Cli::parse().job {
        Job::Docs { check: true } => {
            let stale = docs::stale(&root)?;
            if !stale.is_empty() {
                for path in &stale {
                    eprintln!("out of date: {}", path.display());
                }
                bail!(
                    "{} page(s) differ from the schemas; run `{}`",
                    stale.len(),
                    docs::COMMAND
                );
            }
            println!("docs are up to date");
        }
        Job::Docs { check: false } => {
            let written = docs::write(&root)?;
            for path in &written {
                println!("wrote {}", path.display());
            }
            if written.is_empty() {
                println!("docs are up to date");
            }
        }
        Job::Release { dist, bin_dir } => {
            let dist = if dist.is_absolute() {
                dist
            } else {
                root.join(dist)
            };
            let built = release::run(
                &root,
                &release::Options {
                    version: VERSION.to_owned(),
                    dist,
                    binaries: bin_dir.map_or(release::Binaries::Build, release::Binaries::In),
                },
            )?;
            println!("Built version {VERSION} for {} :", release::platform());
            let emulator = built.emulator_zip.iter();
            for path in [&built.provider_zip]
                .into_iter()
                .chain(emulator)
                .chain([&built.sums])
            {
                println!("  {}", path.display());
            }
            println!("  mirror: {}", built.mirror.display());
        }
    }
    Ok(())
}
