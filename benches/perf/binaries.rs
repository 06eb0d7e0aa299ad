//! The programs under test: the release provider and emulator, built as a user builds them, and
//! the terraform CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};

const PROVIDER: &str = "terraform-provider-lookoutvision";
const EMULATOR: &str = "lookoutvision-emulator";

/// Where everything the measurements run lives.
pub struct Binaries {
    /// The terraform CLI.
    pub terraform: PathBuf,
    /// The private copy of the release provider that Terraform starts through dev_overrides.
    pub provider: PathBuf,
    /// The private copy of the release emulator.
    pub emulator: PathBuf,
    /// Holds the copies; dev_overrides points here.
    plugin_dir: tempfile::TempDir,
    /// Holds the reference provider, where it could be built.
    reference_dir: Option<tempfile::TempDir>,
}

impl Binaries {
    /// The directory dev_overrides names: it holds the provider and nothing else Terraform
    /// could mistake for it.
    pub fn plugin_dir(&self) -> &Path {
        self.plugin_dir.path()
    }

    /// The directory dev_overrides names for the reference provider, if it was built.
    pub fn reference_dir(&self) -> Option<&Path> {
        self.reference_dir.as_ref().map(tempfile::TempDir::path)
    }
}

/// Finds terraform, builds the release binaries and copies them aside, and builds the
/// reference provider where its tools are installed.
///
/// `cargo bench` builds the binaries too, but with the dev-dependencies' features unified in
/// (tokio's `test-util`, for one); `cargo build --release --bins` is what a user runs. The
/// copies keep the run independent of anyone rebuilding `target/` meanwhile.
pub fn prepare() -> anyhow::Result<Binaries> {
    let terraform = find_terraform()?;
    let built = cargo_build_release()?;
    let plugin_dir = tempfile::Builder::new()
        .prefix("perf-plugins-")
        .tempdir()
        .context("creating a directory for the provider copy")?;
    let copy = |name: &str| -> anyhow::Result<PathBuf> {
        let source = built
            .iter()
            .find(|path| path.file_name().is_some_and(|file| file == name))
            .with_context(|| format!("cargo build --release did not report the {name} binary"))?;
        let target = plugin_dir.path().join(name);
        std::fs::copy(source, &target)
            .with_context(|| format!("copying {} aside", source.display()))?;
        Ok(target)
    };
    let emulator = match std::env::var_os("PERF_EMULATOR") {
        // Another emulator build (a saved copy of the one before a change, say), so that two
        // builds can be measured in alternation on the same busy machine.
        Some(path) => {
            let path = PathBuf::from(path);
            if !path.is_file() {
                bail!(
                    "PERF_EMULATOR names {}, which is not a file",
                    path.display()
                );
            }
            eprintln!("perf: measuring the emulator at {}", path.display());
            path
        }
        None => copy(EMULATOR)?,
    };
    Ok(Binaries {
        terraform,
        provider: copy(PROVIDER)?,
        emulator,
        plugin_dir,
        reference_dir: crate::reference::build()?,
    })
}

/// `TF_ACC_TERRAFORM_PATH` (as the acceptance tests use), else the first `terraform` on PATH.
fn find_terraform() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("TF_ACC_TERRAFORM_PATH") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!(
                "TF_ACC_TERRAFORM_PATH names {}, which is not a file",
                path.display()
            );
        }
        return Ok(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("terraform"))
                .find(|candidate| candidate.is_file())
        })
        .context(
            "the performance run needs the terraform CLI, which is not on PATH: install \
             Terraform 1.11 or newer, or point TF_ACC_TERRAFORM_PATH at the binary",
        )
}

/// Runs `cargo build --release --bins` for this package and returns the executables cargo
/// reports, so that a custom target directory needs no guessing.
fn cargo_build_release() -> anyhow::Result<Vec<PathBuf>> {
    eprintln!("perf: cargo build --release --bins ...");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build --release")?;
    if !output.status.success() {
        bail!(
            "cargo build --release --bins failed ({}); see above",
            output.status
        );
    }
    let executables: Vec<PathBuf> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .collect();
    for name in [PROVIDER, EMULATOR] {
        if !executables
            .iter()
            .any(|path| path.ends_with(name) && path.is_file())
        {
            bail!("cargo build --release --bins produced no {name} binary");
        }
    }
    Ok(executables)
}
