//! What the figures were measured on. On a shared machine the load average before and after the
//! run says how much of it the run had.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _};

/// The machine and toolchain.
pub struct Machine {
    /// `nproc`.
    pub cpus: String,
    /// The first `model name` in /proc/cpuinfo.
    pub cpu_model: String,
    /// MemTotal, in GiB.
    pub memory_gib: f64,
    /// `uname -sr`.
    pub kernel: String,
    /// The first line of `terraform version`.
    pub terraform: String,
    /// `rustc --version`.
    pub rustc: String,
    /// The load average when the run started.
    pub load_at_start: Load,
}

/// The 1, 5 and 15 minute load averages.
pub struct Load(pub String);

impl Load {
    /// Reads /proc/loadavg.
    pub fn now() -> anyhow::Result<Load> {
        let text = std::fs::read_to_string("/proc/loadavg").context("reading /proc/loadavg")?;
        Ok(Load(
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        ))
    }
}

impl Machine {
    /// One line for the progress output.
    pub fn summary(&self) -> String {
        format!(
            "{} CPUs ({}), {:.1} GiB, {}, {}, load {}",
            self.cpus,
            self.cpu_model,
            self.memory_gib,
            self.terraform,
            self.rustc,
            self.load_at_start.0
        )
    }
}

/// Describes this machine.
pub fn describe(terraform: &Path) -> anyhow::Result<Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").context("reading /proc/cpuinfo")?;
    let meminfo = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    Ok(Machine {
        cpus: first_line("nproc", &[])?,
        cpu_model: field(&cpuinfo, "model name")
            .unwrap_or("unknown")
            .to_owned(),
        memory_gib: field(&meminfo, "MemTotal")
            .and_then(|kib| kib.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / (1024.0 * 1024.0)),
        kernel: first_line("uname", &["-sr"])?,
        terraform: first_line(terraform, &["version"])?,
        // Cargo puts the toolchain's rustc first on PATH for what it runs.
        rustc: first_line(
            std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()),
            &["--version"],
        )?,
        load_at_start: Load::now()?,
    })
}

/// The value of the first `key: value` line for `key`.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim())
}

fn first_line(program: impl AsRef<OsStr>, args: &[&str]) -> anyhow::Result<String> {
    let mut command = Command::new(program);
    let output = command
        .args(args)
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}
