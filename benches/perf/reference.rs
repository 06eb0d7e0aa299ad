//! The reference provider: `benches/reference-provider`, a Go provider that does no work at
//! all. Timing Terraform against it shows what Terraform itself spends on any plugin (a process
//! per phase, AutoMTLS, a gRPC round trip per operation), which `terraform_data` never pays.
//! It needs Go and a few Debian packages, so it is measured only where they are installed.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};

/// The reference provider's source address and resource type.
pub const SOURCE: &str = "registry.terraform.io/perf/nullref";
pub const RESOURCE_TYPE: &str = "nullref_thing";

/// The exit status with which `build.sh` says a tool or library is missing.
const MISSING_TOOLS: i32 = 2;

/// Builds the reference provider into a fresh directory for dev_overrides; `None`, after saying
/// why on stderr, when the tools it needs are not installed.
pub fn build() -> anyhow::Result<Option<tempfile::TempDir>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/reference-provider/build.sh");
    let dir = tempfile::Builder::new()
        .prefix("perf-reference-")
        .tempdir()
        .context("creating a directory for the reference provider")?;
    eprintln!("perf: building the reference provider ...");
    let output = Command::new("bash")
        .arg(&script)
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    let said = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => Ok(Some(dir)),
        Some(MISSING_TOOLS) => {
            eprintln!(
                "perf: the reference provider is not measured: {}",
                said.trim()
            );
            Ok(None)
        }
        _ => bail!("{} failed ({}):\n{said}", script.display(), output.status),
    }
}

/// `n` reference resources, shaped like the projects the provider is measured with.
pub fn config(n: usize) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    nullref = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\n\
         resource \"{RESOURCE_TYPE}\" \"r\" {{\n  count = {n}\n  name  = \"perf-${{count.index}}\"\n}}\n"
    )
}
