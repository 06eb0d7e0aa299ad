//! Processes as a test sees them: the provider plugins Terraform starts, signals sent to them,
//! and waiting for a condition without sleeping longer than needed.

use std::process::Command;
use std::time::{Duration, Instant};

/// The pids of provider plugin processes whose parent is `parent` (terraform starts them).
pub fn provider_children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The fourth field, after the parenthesised command name, is the parent pid.
            let parent_of = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            let command =
                std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            parent_of == Some(parent) && command.contains("terraform-provider-lookoutvision")
        })
        .collect()
}

/// Sends `signal` (e.g. "INT", "KILL") to `pid` with kill(1); the crate forbids unsafe code.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Waits up to `limit` for `condition`, polling every 50 ms.
pub fn wait_for(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
