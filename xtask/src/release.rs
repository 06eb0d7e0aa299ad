//! `cargo xtask release`: the archives Terraform and OpenTofu install from, in the registry's
//! layout, for the platform this machine builds:
//!
//! - `terraform-provider-lookoutvision_VERSION_OS_ARCH.zip`, holding the binary as
//!   `terraform-provider-lookoutvision_vVERSION`;
//! - `terraform-provider-lookoutvision_VERSION_SHA256SUMS`, the archives' checksums in
//!   `sha256sum` format;
//! - `mirror/registry.terraform.io/lookoutvision/lookoutvision/`, a filesystem mirror in the
//!   packed layout (the registry zip under HOSTNAME/NAMESPACE/TYPE);
//! - `lookoutvision-emulator_VERSION_OS_ARCH.zip`, the emulator.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use sha2::{Digest as _, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// The provider's name, as the registry spells its archives.
pub const PROVIDER: &str = "terraform-provider-lookoutvision";
/// The emulator's binary.
pub const EMULATOR: &str = "lookoutvision-emulator";
/// Where the filesystem mirror puts the provider, under `mirror/`.
pub const MIRROR_PATH: &str = "registry.terraform.io/lookoutvision/lookoutvision";

/// What to release, and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The version in every file name (the workspace's version).
    pub version: String,
    /// The output directory; emptied first.
    pub dist: PathBuf,
    /// Which binaries to package.
    pub binaries: Binaries,
}

/// The binaries a release packages.
#[derive(Debug, Clone)]
pub enum Binaries {
    /// `cargo build --release` them, as users build them.
    Build,
    /// The provider and the emulator already built in this directory.
    In(PathBuf),
    /// Only the provider, at this path (a test that installs the provider needs nothing else).
    ProviderOnly(PathBuf),
}

impl Binaries {
    /// The provider's and (unless only the provider is wanted) the emulator's paths, built first
    /// when asked to.
    fn locate(&self, root: &Path) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
        let in_dir = |dir: &Path| -> anyhow::Result<_> {
            Ok((binary(dir, PROVIDER)?, Some(binary(dir, EMULATOR)?)))
        };
        match self {
            Binaries::Build => in_dir(&build_release_binaries(root)?),
            Binaries::In(dir) => in_dir(dir),
            Binaries::ProviderOnly(provider) => Ok((provider.clone(), None)),
        }
    }
}

/// What a release wrote.
#[derive(Debug)]
pub struct Release {
    /// The provider's zip.
    pub provider_zip: PathBuf,
    /// The emulator's zip, unless only the provider was packaged.
    pub emulator_zip: Option<PathBuf>,
    /// The checksum file.
    pub sums: PathBuf,
    /// The filesystem mirror's root (what `provider_installation { filesystem_mirror }` names).
    pub mirror: PathBuf,
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

/// Builds (when asked to) and packages a release.
pub fn run(root: &Path, options: &Options) -> anyhow::Result<Release> {
    let (provider, emulator) = options.binaries.locate(root)?;
    let Options { version, dist, .. } = options;
    let platform = platform();
    if dist.exists() {
        std::fs::remove_dir_all(dist)
            .with_context(|| format!("cannot empty {}", dist.display()))?;
    }
    std::fs::create_dir_all(dist).with_context(|| format!("cannot create {}", dist.display()))?;

    let provider_zip = dist.join(format!("{PROVIDER}_{version}_{platform}.zip"));
    zip_binary(
        &provider,
        &format!("{PROVIDER}_v{version}{}", std::env::consts::EXE_SUFFIX),
        &provider_zip,
    )?;
    let emulator_zip = match emulator {
        Some(emulator) => {
            let zip = dist.join(format!("{EMULATOR}_{version}_{platform}.zip"));
            zip_binary(
                &emulator,
                &format!("{EMULATOR}{}", std::env::consts::EXE_SUFFIX),
                &zip,
            )?;
            Some(zip)
        }
        None => None,
    };

    let sums = dist.join(format!("{PROVIDER}_{version}_SHA256SUMS"));
    let mut lines = String::new();
    for zip in emulator_zip.iter().chain([&provider_zip]) {
        lines.push_str(&format!("{}  {}\n", sha256_file(zip)?, file_name(zip)));
    }
    std::fs::write(&sums, lines).with_context(|| format!("cannot write {}", sums.display()))?;

    let mirror = dist.join("mirror");
    let packed = mirror.join(MIRROR_PATH);
    std::fs::create_dir_all(&packed)
        .with_context(|| format!("cannot create {}", packed.display()))?;
    std::fs::copy(&provider_zip, packed.join(file_name(&provider_zip)))
        .context("cannot copy the provider's zip into the mirror")?;

    Ok(Release {
        provider_zip,
        emulator_zip,
        sums,
        mirror,
    })
}

/// `cargo build --release` of the provider and the emulator, as users build them.
fn build_release_binaries(root: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--locked", "--release", "--package", PROVIDER])
        .args(["--package", EMULATOR, "--bins"])
        .current_dir(root)
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release failed ({status})");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release"))
}

fn binary(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
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

/// A zip holding `binary` as `name`, executable, with a fixed timestamp so that the same binary
/// always gives the same archive.
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

fn sha256_file(path: &Path) -> anyhow::Result<String> {
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
    }

    #[test]
    fn a_release_packages_given_binaries_in_the_registry_layout() {
        let work = tempfile::tempdir().expect("a scratch directory");
        let bin_dir = work.path().join("bin");
        std::fs::create_dir(&bin_dir).expect("a bin directory");
        for name in [PROVIDER, EMULATOR] {
            std::fs::write(bin_dir.join(name), format!("#!/bin/sh\necho {name}\n"))
                .expect("a stand-in binary");
        }
        let options = Options {
            version: "9.8.7".to_owned(),
            dist: work.path().join("dist"),
            binaries: Binaries::In(bin_dir),
        };
        let release = run(work.path(), &options).expect("the release is packaged");
        let platform = platform();
        assert_eq!(
            file_name(&release.provider_zip),
            format!("{PROVIDER}_9.8.7_{platform}.zip")
        );

        let mut archive =
            zip::ZipArchive::new(File::open(&release.provider_zip).expect("the zip opens"))
                .expect("a zip archive");
        let entry = archive.by_index(0).expect("one entry");
        assert_eq!(entry.name(), format!("{PROVIDER}_v9.8.7"));
        assert_eq!(entry.unix_mode().map(|mode| mode & 0o777), Some(0o755));
        drop(entry);

        let sums = std::fs::read_to_string(&release.sums).expect("the sums are written");
        let expected = format!(
            "{}  {}",
            sha256_file(&release.provider_zip).expect("a digest"),
            file_name(&release.provider_zip)
        );
        assert!(sums.lines().any(|line| line == expected), "{sums}");
        assert_eq!(sums.lines().count(), 2, "{sums}");
        assert!(release
            .mirror
            .join(MIRROR_PATH)
            .join(file_name(&release.provider_zip))
            .is_file());

        // The same binaries give byte-identical archives.
        let first = std::fs::read(&release.provider_zip).expect("the zip");
        let again = run(work.path(), &options).expect("the release is packaged again");
        assert_eq!(first, std::fs::read(&again.provider_zip).expect("the zip"));
    }
}
