//! Peak memory of processes, read from /proc (no tools to install): `VmHWM` is the kernel's own
//! high-water mark of a process's resident set, so sampling only has to see each process before
//! it exits, not at its peak.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::terraform::{finish, Workspace};

/// How often /proc is scanned for provider processes. Terraform starts one per phase; the short
/// ones (validate, plan of a few resources) can come and go between two scans, but the
/// long-lived apply process, which holds every resource's state, cannot.
const SCAN_INTERVAL: Duration = Duration::from_millis(50);

/// The highest resident sets seen during one terraform run, in bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct Peaks {
    /// Over every process running the provider binary.
    pub provider: u64,
    /// The terraform process itself.
    pub terraform: u64,
    /// How many distinct provider processes were seen.
    pub provider_processes: usize,
}

/// Runs terraform with `args` in `ws` while scanning /proc for processes of `provider_exe`.
/// Processes are matched by their executable's path, which is the benchmark's private copy, so
/// providers that other people's tests start on the same machine are not counted.
pub fn run_watching(ws: &Workspace, args: &[&str], provider_exe: &Path) -> anyhow::Result<Peaks> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let started = Instant::now();
        let child = ws.spawn(args)?;
        let terraform_pid = child.id();
        let stop = &stop;
        let sampler = scope.spawn(move || sample_until(stop, terraform_pid, provider_exe));
        let finished = finish(args, child, started);
        stop.store(true, Ordering::Relaxed);
        let peaks = sampler.join().expect("the /proc sampler does not panic");
        finished.map(|_| peaks)
    })
}

fn sample_until(stop: &AtomicBool, terraform_pid: u32, provider_exe: &Path) -> Peaks {
    let mut peaks = Peaks::default();
    let mut seen = std::collections::BTreeSet::new();
    while !stop.load(Ordering::Relaxed) {
        if let Some(hwm) = vm_hwm(terraform_pid) {
            peaks.terraform = peaks.terraform.max(hwm);
        }
        for pid in processes_of(provider_exe) {
            if let Some(hwm) = vm_hwm(pid) {
                peaks.provider = peaks.provider.max(hwm);
                seen.insert(pid);
            }
        }
        std::thread::sleep(SCAN_INTERVAL);
    }
    peaks.provider_processes = seen.len();
    peaks
}

/// The pids whose `/proc/PID/exe` is `exe`.
fn processes_of(exe: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|path| path == exe))
        .collect()
}

/// The peak resident set of `pid` so far, in bytes; `None` once it has exited.
pub fn vm_hwm(pid: u32) -> Option<u64> {
    status_bytes(pid, "VmHWM:")
}

/// The current resident set of process `pid`, in bytes (`VmRSS`).
pub fn vm_rss(pid: u32) -> Option<u64> {
    status_bytes(pid, "VmRSS:")
}

/// A `kB` field of `/proc/PID/status`, in bytes.
fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The size of a file in bytes.
pub fn file_size(path: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len())
}
