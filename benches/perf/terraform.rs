//! Terraform working directories, run the way a user runs them: the release provider through
//! dev_overrides (so every terraform phase starts the provider process and talks AutoMTLS to it),
//! no init, default parallelism.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::binaries::Binaries;
use crate::reference;

const SOURCE: &str = "registry.terraform.io/lookoutvision/lookoutvision";

/// A temporary working directory with its own CLI configuration.
pub struct Workspace {
    terraform: PathBuf,
    dir: tempfile::TempDir,
    cli_config: PathBuf,
}

impl Workspace {
    /// A directory whose `main.tf` is `config`.
    pub fn new(bins: &Binaries, config: &str) -> anyhow::Result<Workspace> {
        let dir = tempfile::Builder::new()
            .prefix("perf-tf-")
            .tempdir()
            .context("creating a terraform directory")?;
        let cli_config = dir.path().join("terraform.tfrc");
        // Every configuration gets the same file (terraform_data, the reference provider, ours),
        // so that all sides of a comparison read the same CLI configuration.
        let mut overrides = format!("    \"{SOURCE}\" = \"{}\"\n", bins.plugin_dir().display());
        if let Some(dir) = bins.reference_dir() {
            overrides += &format!("    \"{}\" = \"{}\"\n", reference::SOURCE, dir.display());
        }
        let overrides = format!(
            "provider_installation {{\n  dev_overrides {{\n{overrides}  }}\n  direct {{}}\n}}\n"
        );
        std::fs::write(&cli_config, overrides).context("writing the CLI configuration")?;
        std::fs::write(dir.path().join("main.tf"), config).context("writing main.tf")?;
        Ok(Workspace {
            terraform: bins.terraform.clone(),
            dir,
            cli_config,
        })
    }

    /// `terraform apply -auto-approve`, timed.
    pub fn apply(&self) -> anyhow::Result<Duration> {
        self.run(&["apply", "-auto-approve"])
    }

    /// `terraform destroy -auto-approve`, timed.
    pub fn destroy(&self) -> anyhow::Result<Duration> {
        self.run(&["destroy", "-auto-approve"])
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let child = self.spawn(args)?;
        finish(args, child, started)
    }

    /// Starts terraform with `args` (plus `-no-color -input=false`), its output captured.
    pub fn spawn(&self, args: &[&str]) -> anyhow::Result<Child> {
        Command::new(&self.terraform)
            .args(args)
            .args(["-no-color", "-input=false"])
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_REATTACH_PROVIDERS")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting terraform")
    }
}

/// Waits for a terraform started at `started` and returns how long it ran; a failure is an
/// error carrying its output, since a figure from a failed run would mean nothing.
pub fn finish(args: &[&str], child: Child, started: Instant) -> anyhow::Result<Duration> {
    let output = child.wait_with_output().context("waiting for terraform")?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "terraform {} failed ({}):\n{}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

/// The `terraform` and `provider` blocks for an emulator at `url`.
pub fn provider_block(url: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    lookoutvision = {{
      source = "{SOURCE}"
    }}
  }}
}}

provider "lookoutvision" {{
  region     = "us-east-1"
  access_key = "perf"
  secret_key = "perf"
  endpoints {{
    lookoutvision = "{url}"
  }}
}}
"#
    )
}
