//! A GPG signing key made for one test, in a keyring of its own, and signature checks with
//! `gpgv`, as a registry checks a release.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A passphrase-less key in a private GNUPGHOME.
pub struct ThrowawayKey {
    /// The keyring directory (`GNUPGHOME`).
    pub gnupg_home: PathBuf,
    /// The key's fingerprint (`GPG_FINGERPRINT`).
    pub fingerprint: String,
    /// The public key, exported in binary form: a keyring `gpgv --keyring` reads.
    pub public_keyring: PathBuf,
}

fn run(what: &str, command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|err| {
        panic!(
            "{what}: cannot run {command:?} ({err}); these tests need GnuPG: install the Debian \
             packages `gpg` and `gpgv`"
        )
    });
    assert!(
        output.status.success(),
        "{what}: {command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

impl ThrowawayKey {
    /// Generates an Ed25519 signing key under `dir` (`gpg --batch --quick-gen-key`, no
    /// passphrase) and exports its public half.
    pub fn generate(dir: &Path) -> ThrowawayKey {
        let gnupg_home = dir.join("gnupg");
        std::fs::create_dir_all(&gnupg_home).expect("a keyring directory");
        // gpg refuses to trust a keyring others can read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&gnupg_home, std::fs::Permissions::from_mode(0o700))
                .expect("the keyring is private");
        }
        let gpg = || {
            let mut command = Command::new("gpg");
            command.env("GNUPGHOME", &gnupg_home).arg("--batch");
            command
        };
        run(
            "generating a throwaway key",
            gpg().args([
                "--passphrase",
                "",
                "--quick-gen-key",
                "Release Test <release-test@example.invalid>",
                "ed25519",
                "sign",
                "never",
            ]),
        );
        let listing = run(
            "listing the key",
            gpg().args(["--with-colons", "--list-secret-keys"]),
        );
        let fingerprint = String::from_utf8_lossy(&listing.stdout)
            .lines()
            .find_map(|line| line.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|field| !field.is_empty()))
            .expect("gpg lists the key's fingerprint")
            .to_owned();
        let public_keyring = dir.join("release-key.gpg");
        run(
            "exporting the public key",
            gpg()
                .arg("--output")
                .arg(&public_keyring)
                .args(["--export", &fingerprint]),
        );
        ThrowawayKey {
            gnupg_home,
            fingerprint,
            public_keyring,
        }
    }

    /// Whether `gpgv`, trusting only this key, accepts `signature` as a signature of `data`.
    /// Panics if gpgv is not installed.
    pub fn verifies(&self, signature: &Path, data: &Path) -> bool {
        Command::new("gpgv")
            .arg("--keyring")
            .arg(&self.public_keyring)
            .arg(signature)
            .arg(data)
            .output()
            .unwrap_or_else(|err| {
                panic!("cannot run gpgv ({err}): install the Debian package `gpgv`")
            })
            .status
            .success()
    }
}
