//! Distribution: the project's release job (`cargo xtask release`) writes what a registry
//! needs (zips, the protocol manifest, checksums and their GPG signature), and `terraform init`
//! installs the provider from both mirrors it writes, offline, the way users (and OpenTofu)
//! install it: a filesystem mirror, and a network mirror served over HTTPS. The installed
//! provider then works against the emulator.

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::gpg::ThrowawayKey;
use harness::net::{HttpServer, TestCa};
use harness::{terraform_binary, Emulator};
use xtask::release::{Binaries, Options, Release, Signing};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const PROVIDER: &str = "terraform-provider-lookoutvision";

fn run(command: &mut Command) -> String {
    let output = command.output().expect("the command runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// The project's own release job, packaging the provider this test run built; a nested cargo
/// build could wait on the build lock the test runner holds.
fn release(dist: &Path, signing: Signing) -> Release {
    xtask::release::run(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &Options {
            version: VERSION.to_owned(),
            dist: dist.to_owned(),
            binaries: Binaries::ProviderOnly(
                env!("CARGO_BIN_EXE_terraform-provider-lookoutvision").into(),
            ),
            signing,
        },
    )
    .expect("the release is packaged")
}

/// A Terraform project using the released provider against `emulator`, with `cli_config` as
/// its CLI configuration.
struct Project {
    dir: PathBuf,
    cli_config: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
}

impl Project {
    fn new(work: &Path, emulator: &Emulator, installation: &str) -> Project {
        let dir = work.join("project");
        std::fs::create_dir(&dir).expect("the project directory");
        let cli_config = work.join("mirror.tfrc");
        std::fs::write(
            &cli_config,
            format!("provider_installation {{\n{installation}\n}}\n"),
        )
        .expect("the CLI config is written");
        std::fs::write(
            dir.join("main.tf"),
            format!(
                r#"terraform {{
  required_providers {{
    lookoutvision = {{
      source  = "registry.terraform.io/lookoutvision/lookoutvision"
      version = "{VERSION}"
    }}
  }}
}}

provider "lookoutvision" {{
  region     = "us-east-1"
  access_key = "test"
  secret_key = "test"
  endpoints {{
    lookoutvision = "{}"
  }}
}}

resource "lookoutvision_project" "installed" {{
  name = "from-the-mirror"
}}
"#,
                emulator.url
            ),
        )
        .expect("main.tf is written");
        Project {
            dir,
            cli_config,
            env: Vec::new(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(terraform_binary());
        command
            .args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_REATTACH_PROVIDERS")
            .env_remove("SSL_CERT_DIR")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    fn terraform(&self, args: &[&str]) -> String {
        run(&mut self.command(args))
    }

    /// `terraform init`, then apply, list and destroy: the installed provider works.
    fn install_and_use(&self) -> (String, String) {
        let init = self.terraform(&["init", "-no-color"]);
        assert!(
            init.contains(&format!(
                "Installing lookoutvision/lookoutvision v{VERSION}"
            )),
            "{init}"
        );
        let lock =
            std::fs::read_to_string(self.dir.join(".terraform.lock.hcl")).expect("a lock file");
        assert!(
            lock.contains(&format!("version     = \"{VERSION}\"")),
            "{lock}"
        );
        self.terraform(&["apply", "-auto-approve", "-no-color"]);
        let state = self.terraform(&["state", "list"]);
        assert!(state.contains("lookoutvision_project.installed"), "{state}");
        self.terraform(&["destroy", "-auto-approve", "-no-color"]);
        (init, lock)
    }
}

#[test]
fn a_signed_release_verifies_with_gpgv_and_installs_from_a_filesystem_mirror_offline() {
    let work = tempfile::tempdir().expect("a temporary directory");
    let key = ThrowawayKey::generate(work.path());
    let dist = work.path().join("dist");
    let release = release(
        &dist,
        Signing::Key {
            fingerprint: key.fingerprint.clone(),
            gnupg_home: Some(key.gnupg_home.clone()),
            passphrase: None,
        },
    );
    assert_eq!(release.mirror, dist.join("mirror"));

    // The registry's files: the zip, the manifest, the checksums of both, their signature.
    let zip_name = format!("{PROVIDER}_{VERSION}_{}.zip", xtask::release::platform());
    let sums_name = format!("{PROVIDER}_{VERSION}_SHA256SUMS");
    let manifest_name = format!("{PROVIDER}_{VERSION}_manifest.json");
    let mut listing: Vec<String> = std::fs::read_dir(&dist)
        .expect("dist is listed")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    listing.sort();
    assert_eq!(
        listing,
        [
            "mirror".to_owned(),
            "network-mirror".to_owned(),
            sums_name.clone(),
            format!("{sums_name}.sig"),
            zip_name.clone(),
            manifest_name.clone(),
        ]
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dist.join(&manifest_name)).expect("the manifest"),
    )
    .expect("the manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    let sums = std::fs::read_to_string(dist.join(&sums_name)).expect("the checksum file");
    for name in [&zip_name, &manifest_name] {
        assert!(
            sums.lines().any(|l| l.ends_with(&format!("  {name}"))),
            "{sums}"
        );
    }
    run(Command::new("sha256sum")
        .args(["--check", "--strict"])
        .arg(&sums_name)
        .current_dir(&dist));
    let unzipped = run(Command::new("unzip").arg("-l").arg(dist.join(&zip_name)));
    assert!(
        unzipped.contains(&format!("{PROVIDER}_v{VERSION}")),
        "{unzipped}"
    );

    // The signature is a detached binary one (an OpenPGP packet, not ASCII armour) that gpgv
    // accepts with only the release key, and refuses for altered checksums.
    let signature = release.signature.clone().expect("the checksums are signed");
    assert_eq!(signature, dist.join(format!("{sums_name}.sig")));
    let bytes = std::fs::read(&signature).expect("the signature");
    assert!(!bytes.starts_with(b"-----BEGIN"), "an armoured signature");
    assert!(
        key.verifies(&signature, &release.sums),
        "gpgv refused the signature"
    );
    let altered = work.path().join("altered-SHA256SUMS");
    std::fs::write(&altered, sums.replace(&zip_name[..4], "XXXX")).expect("a copy");
    assert!(
        !key.verifies(&signature, &altered),
        "gpgv accepted altered checksums"
    );

    // terraform init installs from the mirror with no network and no dev_overrides.
    let emulator = Emulator::start();
    let project = Project::new(
        work.path(),
        &emulator,
        &format!(
            "  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/lookoutvision/lookoutvision\"]\n  }}",
            release.mirror.display()
        ),
    );
    let (_, lock) = project.install_and_use();
    assert!(
        lock.contains("h1:"),
        "the lock records the package's hash: {lock}"
    );
}

#[test]
fn the_release_installs_from_a_network_mirror_over_https() {
    let work = tempfile::tempdir().expect("a temporary directory");
    let release = release(&work.path().join("dist"), Signing::Unconfigured);
    assert_eq!(release.signature, None);

    // The network mirror layout, served as static files over HTTPS with a throwaway CA that
    // Terraform trusts through SSL_CERT_FILE (and only through it).
    let ca = TestCa::new();
    let ca_file = ca.write_pem(&work.path().join("ca.pem"));
    let server = HttpServer::files(&ca, &release.network_mirror);
    let emulator = Emulator::start();
    let mut project = Project::new(
        work.path(),
        &emulator,
        &format!(
            "  network_mirror {{\n    url     = \"{}/\"\n    include = [\"registry.terraform.io/lookoutvision/lookoutvision\"]\n  }}",
            server.url
        ),
    );

    let untrusted = project
        .command(&["init", "-no-color"])
        .output()
        .expect("terraform runs");
    let text = String::from_utf8_lossy(&untrusted.stderr);
    assert!(!untrusted.status.success(), "init trusted an unknown CA");
    assert!(text.contains("certificate"), "{text}");

    project.env.push(("SSL_CERT_FILE", ca_file));
    let (_, lock) = project.install_and_use();
    let zip = &release.provider[0].path;
    // Terraform checked the zip against the hashes the mirror published and records the h1:
    // it computes itself, which must be the one the release job computed.
    let h1 = xtask::release::h1_zip(zip).expect("h1");
    assert!(lock.contains(&format!("\"{h1}\"")), "{lock}");

    // Terraform followed the protocol: the version list, the version's archives, the zip.
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    let base = "/registry.terraform.io/lookoutvision/lookoutvision";
    for expected in [
        format!("{base}/index.json"),
        format!("{base}/{VERSION}.json"),
        format!("{base}/{}", zip.file_name().unwrap().to_string_lossy()),
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} not requested: {paths:?}"
        );
    }
}
