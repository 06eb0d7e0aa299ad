//! The real `terraform` binary against the provider and an emulator on loopback.
//!
//! Most tests serve the provider in-process and attach Terraform to it through
//! `TF_REATTACH_PROVIDERS` (how terraform-plugin-testing does it); [`ProviderMode::Binary`] runs
//! the built plugin through `dev_overrides`, so Terraform starts it with AutoMTLS.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use lookoutvision::framework::resource::Provider;
use lookoutvision::plugin::server::PluginServer;
use lookoutvision::plugin::transport::NetworkChoice;
use lookoutvision::provider::{LookoutVisionProvider, SOURCE_ADDRESS};

use crate::emulator::Emulator;

/// The `terraform` binary to drive: `TF_ACC_TERRAFORM_PATH`, else the first on PATH.
/// Acceptance tests fail loudly without it rather than passing vacuously.
pub fn terraform_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TF_ACC_TERRAFORM_PATH") {
        return PathBuf::from(path);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("terraform"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "acceptance tests need the terraform CLI, which is not on PATH: install Terraform \
             1.11 or newer (see README), or point TF_ACC_TERRAFORM_PATH at the binary"
        )
    })
}

/// How Terraform reaches the provider.
pub enum ProviderMode {
    /// Served in this test process; Terraform attaches through `TF_REATTACH_PROVIDERS`.
    InProcess,
    /// The built binary at this path (a test's `env!("CARGO_BIN_EXE_terraform-provider-lookoutvision")`),
    /// started by Terraform itself through `dev_overrides` (AutoMTLS).
    Binary(PathBuf),
}

struct InProcessProvider {
    runtime: tokio::runtime::Runtime,
    reattach: String,
}

/// A Terraform working directory wired to the provider and an emulator.
pub struct Workspace {
    dir: tempfile::TempDir,
    cli_config: PathBuf,
    provider: Option<InProcessProvider>,
    terraform: PathBuf,
    /// The emulator this workspace's configurations point at.
    pub emulator: Emulator,
    /// Extra environment variables for terraform (and so for a provider binary it starts).
    pub env: Vec<(String, String)>,
    /// Environment variables removed for terraform (and a provider binary it starts), so that
    /// the test's machine cannot lend the provider credentials or settings.
    pub unset: Vec<String>,
}

/// The result of a terraform command.
pub struct Run {
    /// Exit status code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Everything terraform printed.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Everything terraform printed, with line wrapping undone (runs of white space become one
    /// space), for matching sentences that terraform wraps.
    pub fn text(&self) -> String {
        self.all_output()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Workspace {
    /// A workspace with an in-process provider and a fresh emulator.
    pub fn in_process() -> Workspace {
        Workspace::with(ProviderMode::InProcess, Emulator::start())
    }

    /// A workspace with the given provider mode and emulator.
    pub fn with(mode: ProviderMode, emulator: Emulator) -> Workspace {
        let terraform = terraform_binary();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let cli_config = dir.path().join("terraform.tfrc");
        let provider = match mode {
            ProviderMode::InProcess => {
                std::fs::write(&cli_config, "").expect("the CLI config is written");
                Some(start_in_process())
            }
            ProviderMode::Binary(binary) => {
                let plugin_dir = binary
                    .parent()
                    .expect("the binary has a directory")
                    .to_owned();
                std::fs::write(
                    &cli_config,
                    format!(
                        "provider_installation {{\n  dev_overrides {{\n    \"{SOURCE_ADDRESS}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                        plugin_dir.display()
                    ),
                )
                .expect("the CLI config is written");
                None
            }
        };
        Workspace {
            dir,
            cli_config,
            provider,
            terraform,
            emulator,
            env: Vec::new(),
            unset: Vec::new(),
        }
    }

    /// Serves `provider` in this process too, under the source address `source` (for example
    /// a stand-in for another provider that a state names), and attaches Terraform to it
    /// beside this workspace's provider: `TF_REATTACH_PROVIDERS` holds both. Terraform neither
    /// installs nor locks a reattached provider, so `terraform init` works offline.
    ///
    /// # Panics
    /// Unless the workspace serves its provider in-process (`ProviderMode::InProcess`).
    pub fn attach<P: Provider>(&mut self, source: &str, provider: P) {
        let in_process = self
            .provider
            .as_mut()
            .expect("attaching a provider needs ProviderMode::InProcess");
        let attached = in_process.runtime.block_on(async {
            let server = PluginServer::unmanaged(provider, NetworkChoice::Auto)
                .expect("the attached provider binds a socket");
            let reattach = server.reattach_config(source);
            tokio::spawn(server.run(std::future::pending()));
            reattach
        });
        let mut providers: serde_json::Value =
            serde_json::from_str(&in_process.reattach).expect("the reattach config is JSON");
        let attached: serde_json::Value =
            serde_json::from_str(&attached).expect("the reattach config is JSON");
        for (address, entry) in attached.as_object().expect("an object").iter() {
            providers[address] = entry.clone();
        }
        in_process.reattach = providers.to_string();
    }

    /// Detaches Terraform from the provider attached under `source` (it keeps running).
    pub fn detach(&mut self, source: &str) {
        let in_process = self
            .provider
            .as_mut()
            .expect("detaching a provider needs ProviderMode::InProcess");
        let mut providers: serde_json::Value =
            serde_json::from_str(&in_process.reattach).expect("the reattach config is JSON");
        if let Some(providers) = providers.as_object_mut() {
            providers.remove(source);
        }
        in_process.reattach = providers.to_string();
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The provider block and `terraform` block for this workspace's emulator.
    pub fn provider_config(&self) -> String {
        self.provider_config_with("")
    }

    /// The provider configuration with `extra` lines inside the provider block.
    pub fn provider_config_with(&self, extra: &str) -> String {
        self.provider_config_at(&self.emulator.url, extra)
    }

    /// The provider configuration aimed at `endpoint` instead of this workspace's emulator
    /// (a closed port, a server that never answers), with `extra` lines inside the block.
    pub fn provider_config_at(&self, endpoint: &str, extra: &str) -> String {
        format!(
            r#"terraform {{
  required_providers {{
    lookoutvision = {{
      source = "{SOURCE_ADDRESS}"
    }}
  }}
}}

provider "lookoutvision" {{
  region     = "us-east-1"
  access_key = "test"
  secret_key = "test"
  endpoints {{
    lookoutvision = "{endpoint}"
  }}
{extra}
}}
"#
        )
    }

    /// Writes `main.tf`: the provider configuration followed by `resources`.
    pub fn write_config(&self, resources: &str) {
        let text = format!("{}\n{resources}", self.provider_config());
        std::fs::write(self.path().join("main.tf"), text).expect("main.tf is written");
    }

    /// Writes `main.tf` exactly as given (for provider-block tests).
    pub fn write_raw_config(&self, text: &str) {
        std::fs::write(self.path().join("main.tf"), text).expect("main.tf is written");
    }

    /// Runs terraform with `args` and returns what happened.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("terraform runs"))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_REATTACH_PROVIDERS");
        for name in &self.unset {
            command.env_remove(name);
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        if let Some(provider) = &self.provider {
            command.env("TF_REATTACH_PROVIDERS", &provider.reattach);
        }
        command
    }

    /// Starts terraform with `args` without waiting for it (for interrupting it).
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut command = self.command(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().expect("terraform starts")
    }

    /// Runs terraform and panics with its output unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            0,
            "terraform {args:?} failed:\n{}",
            run.all_output()
        );
        run
    }

    /// `terraform init` (not needed, and not possible offline, with dev_overrides).
    pub fn init(&self) {
        if self.provider.is_some() {
            self.ok(&["init", "-no-color"]);
        }
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    /// `terraform destroy -auto-approve`, which must succeed.
    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "-auto-approve", "-no-color"])
    }

    /// Asserts that a plan (with or without refresh) proposes no change.
    pub fn assert_plan_empty(&self, refresh: bool) {
        let refresh_flag = format!("-refresh={refresh}");
        let run = self.run(&["plan", "-detailed-exitcode", "-no-color", &refresh_flag]);
        assert_eq!(
            run.code,
            0,
            "plan {refresh_flag} should be empty but was not:\n{}",
            run.all_output()
        );
    }

    /// The state as `terraform show -json` reports it.
    pub fn state(&self) -> serde_json::Value {
        let run = self.ok(&["show", "-json", "-no-color"]);
        serde_json::from_str(&run.stdout).expect("show -json prints JSON")
    }

    /// The attribute values of resource `address` in the state.
    pub fn resource(&self, address: &str) -> serde_json::Value {
        let state = self.state();
        state["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|resources| resources.iter().find(|r| r["address"] == address))
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{address} is not in the state: {state:#}"))
    }

    /// The addresses of every resource in the state.
    pub fn addresses(&self) -> Vec<String> {
        self.state()["values"]["root_module"]["resources"]
            .as_array()
            .map(|resources| {
                resources
                    .iter()
                    .map(|r| r["address"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs `future` on a runtime (the provider's, when it runs in-process).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.provider {
            Some(provider) => provider.runtime.block_on(future),
            None => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(future),
        }
    }
}

fn start_in_process() -> InProcessProvider {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the provider");
    let reattach = runtime.block_on(async {
        let server = PluginServer::unmanaged(LookoutVisionProvider, NetworkChoice::Auto)
            .expect("the provider binds a socket");
        let reattach = server.reattach_config(SOURCE_ADDRESS);
        tokio::spawn(server.run(std::future::pending()));
        reattach
    });
    InProcessProvider { runtime, reattach }
}
