//! A `lookoutvision-emulator` process on a free loopback port, and the bits of its admin API the
//! measurements need.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context as _};

/// A running emulator, killed on drop.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

/// How long each asynchronous change takes in the emulator, in its flag syntax (`0s`, `2s`).
pub struct Durations<'a> {
    pub dataset: &'a str,
    pub training: &'a str,
    pub hosting: &'a str,
    /// Model deletion.
    pub delete: &'a str,
    /// Dataset deletion.
    pub dataset_delete: &'a str,
}

impl Durations<'_> {
    /// Every change complete by the next request: only what a measurement varies takes time.
    pub const INSTANT: Durations<'static> = Durations {
        dataset: "0s",
        training: "0s",
        hosting: "0s",
        delete: "0s",
        dataset_delete: "0s",
    };
}

impl Emulator {
    /// Starts the emulator binary at `bin` and waits for its `listening on URL` line.
    pub fn start(bin: &Path, durations: &Durations<'_>) -> anyhow::Result<Emulator> {
        let mut child = Command::new(bin)
            .args(["--listen", "127.0.0.1:0"])
            .args(["--dataset-duration", durations.dataset])
            .args(["--training-duration", durations.training])
            .args(["--hosting-duration", durations.hosting])
            .args(["--delete-duration", durations.delete])
            .args(["--dataset-delete-duration", durations.dataset_delete])
            // The load figures fill one project with 10,000 models and the throughput figures
            // hold up to 500 projects: above the default quotas' reach.
            .args(["--quota-models-per-project", "1000000"])
            .args(["--quota-projects", "1000000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut line = String::new();
        BufReader::new(
            child
                .stdout
                .take()
                .context("the emulator's stdout is piped")?,
        )
        .read_line(&mut line)
        .context("reading the emulator's first line")?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!("the emulator printed {line:?} instead of its address");
        };
        Ok(Emulator {
            url: url.to_owned(),
            child,
        })
    }

    /// The process id, for reading its memory use.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `host:port`.
    pub fn authority(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Forgets every resource and logged request, so that rounds start alike.
    pub fn reset(&self) -> anyhow::Result<()> {
        let (status, body) = self.admin("POST", "/_emulator/reset")?;
        if status != 204 {
            bail!("POST /_emulator/reset answered {status}: {body}");
        }
        Ok(())
    }

    /// How many requests of `operation` the emulator has answered since start or reset.
    pub fn count(&self, operation: &str) -> anyhow::Result<u64> {
        let (status, body) = self.admin("GET", "/_emulator/requests")?;
        if status != 200 {
            bail!("GET /_emulator/requests answered {status}: {body}");
        }
        let log: serde_json::Value =
            serde_json::from_str(&body).context("the request log is JSON")?;
        let per_status = log["counts"][operation].as_object();
        Ok(per_status
            .into_iter()
            .flatten()
            .filter_map(|(_, n)| n.as_u64())
            .sum())
    }

    /// One HTTP/1.1 exchange with the admin API (a bare socket is all it needs).
    fn admin(&self, method: &str, path: &str) -> anyhow::Result<(u16, String)> {
        let authority = self.authority();
        let mut stream = TcpStream::connect(authority).context("connecting to the emulator")?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .context("reading an admin answer")?;
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("no status in the admin answer {head:?}"))?;
        Ok((status, body.to_owned()))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
