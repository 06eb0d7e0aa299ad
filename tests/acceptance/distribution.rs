//! Distribution: the release archives install with `terraform init` from a filesystem mirror,
//! offline, the way users (and OpenTofu) install them, and the installed provider works.

use std::path::Path;
use std::process::Command;

use harness::{terraform_binary, Emulator};
use xtask::release::{Binaries, Options};

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

#[test]
fn release_archives_install_from_a_filesystem_mirror_offline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    let work = tempfile::tempdir().expect("a temporary directory");
    let dist = work.path().join("dist");
    // The project's own release job (`cargo xtask release`), packaging the provider this test
    // run built; a nested cargo build could wait on the build lock the test runner holds.
    let release = xtask::release::run(
        root,
        &Options {
            version: version.to_owned(),
            dist: dist.clone(),
            binaries: Binaries::ProviderOnly(
                env!("CARGO_BIN_EXE_terraform-provider-lookoutvision").into(),
            ),
        },
    )
    .expect("the release is packaged");
    assert_eq!(release.mirror, dist.join("mirror"));

    // The archive and checksums follow the registry's naming.
    let zip_name = format!(
        "terraform-provider-lookoutvision_{version}_{}.zip",
        xtask::release::platform()
    );
    let sums = std::fs::read_to_string(dist.join(format!(
        "terraform-provider-lookoutvision_{version}_SHA256SUMS"
    )))
    .expect("the checksum file exists");
    assert!(
        sums.lines().any(|l| l.ends_with(&format!("  {zip_name}"))),
        "{sums}"
    );
    run(Command::new("sha256sum")
        .arg("--check")
        .arg("--strict")
        .current_dir(&dist)
        .arg(dist.join(format!(
            "terraform-provider-lookoutvision_{version}_SHA256SUMS"
        ))));
    let listing = run(Command::new("unzip").arg("-l").arg(dist.join(&zip_name)));
    assert!(
        listing.contains(&format!("terraform-provider-lookoutvision_v{version}")),
        "{listing}"
    );

    // terraform init installs from the mirror with no network and no dev_overrides.
    let emulator = Emulator::start();
    let project = work.path().join("project");
    std::fs::create_dir(&project).expect("the project directory");
    let cli_config = work.path().join("mirror.tfrc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/lookoutvision/lookoutvision\"]\n  }}\n}}\n",
            dist.join("mirror").display()
        ),
    )
    .expect("the CLI config is written");
    std::fs::write(
        project.join("main.tf"),
        format!(
            r#"terraform {{
  required_providers {{
    lookoutvision = {{
      source  = "registry.terraform.io/lookoutvision/lookoutvision"
      version = "{version}"
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
    let terraform = |args: &[&str]| {
        run(Command::new(terraform_binary())
            .args(args)
            .current_dir(&project)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_REATTACH_PROVIDERS"))
    };
    let init = terraform(&["init", "-no-color"]);
    assert!(
        init.contains(&format!(
            "Installing lookoutvision/lookoutvision v{version}"
        )),
        "{init}"
    );
    let lock = std::fs::read_to_string(project.join(".terraform.lock.hcl")).expect("a lock file");
    assert!(
        lock.contains(&format!("version     = \"{version}\"")),
        "{lock}"
    );
    assert!(
        lock.contains("h1:"),
        "the lock records the package's hash: {lock}"
    );

    terraform(&["apply", "-auto-approve", "-no-color"]);
    let state = terraform(&["state", "list"]);
    assert!(state.contains("lookoutvision_project.installed"), "{state}");
    terraform(&["destroy", "-auto-approve", "-no-color"]);
}
