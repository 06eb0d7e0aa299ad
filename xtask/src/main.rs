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
    /// Build the release: archives, manifest, checksums (signed when GPG_FINGERPRINT is set),
    /// a filesystem mirror and a network mirror.
    Release {
        /// The output directory (emptied first).
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Package the binaries already built for this machine in this directory instead of
        /// building release ones.
        #[arg(long, conflicts_with_all = ["target", "from_archives"])]
        bin_dir: Option<PathBuf>,
        /// Build only this Rust target (repeatable). Default: every release target installed
        /// (`rustup target list --installed`).
        #[arg(long)]
        target: Vec<String>,
        /// Assemble the release from the platform zips in this directory (built by the
        /// release workflow's per-platform jobs) instead of building.
        #[arg(long, conflicts_with = "target")]
        from_archives: Option<PathBuf>,
    },
}

/// The targets to build: those named, else every release target installed here.
fn targets(named: &[String]) -> anyhow::Result<Vec<release::Target>> {
    if named.is_empty() {
        let (here, _) = release::split_targets(&release::installed_targets()?);
        if here.is_empty() {
            bail!(
                "no release target is installed: add one (`rustup target add {}`)",
                release::TARGETS[0].triple
            );
        }
        return Ok(here);
    }
    named
        .iter()
        .map(|triple| {
            release::TARGETS
                .iter()
                .find(|t| t.triple == triple)
                .copied()
                .ok_or_else(|| {
                    let known: Vec<&str> = release::TARGETS.iter().map(|t| t.triple).collect();
                    anyhow::anyhow!(
                        "{triple} is not a release target; choose from {}",
                        known.join(", ")
                    )
                })
        })
        .collect()
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
        Job::Release {
            dist,
            bin_dir,
            target,
            from_archives,
        } => {
            let absolute = |path: PathBuf| {
                if path.is_absolute() {
                    path
                } else {
                    root.join(path)
                }
            };
            let binaries = match (bin_dir, from_archives) {
                (Some(dir), _) => release::Binaries::In(absolute(dir)),
                (None, Some(dir)) => release::Binaries::Archives(absolute(dir)),
                (None, None) => release::Binaries::Build(targets(&target)?),
            };
            let signing = release::Signing::from_env(|name| std::env::var(name).ok());
            let built = release::run(
                &root,
                &release::Options {
                    version: VERSION.to_owned(),
                    dist: absolute(dist),
                    binaries,
                    signing,
                },
            )?;
            let platforms: Vec<&str> = built.provider.iter().map(|a| a.platform.as_str()).collect();
            println!("Released version {VERSION} for {}:", platforms.join(", "));
            for path in built.files() {
                println!("  {}", path.display());
            }
            println!("  filesystem mirror: {}", built.mirror.display());
            println!("  network mirror:    {}", built.network_mirror.display());
            let missing: Vec<&str> = release::TARGETS
                .iter()
                .map(|t| t.platform)
                .filter(|p| !platforms.contains(p))
                .collect();
            if !missing.is_empty() {
                println!(
                    "Not in this release: {} (no Rust target for them here; \
                     .github/workflows/release.yml builds every platform).",
                    missing.join(", ")
                );
            }
            if built.signature.is_none() {
                println!("{}", release::UNSIGNED_NOTICE);
            }
        }
    }
    Ok(())
}
