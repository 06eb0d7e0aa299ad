//! The project's jobs that write files, kept out of the test suite: the registry docs
//! ([`docs`]) and the release archives ([`release`]). Run them as `cargo xtask docs` and
//! `cargo xtask release`.
#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

pub mod docs;
pub mod release;

use std::path::PathBuf;

/// The workspace's root directory (this crate lives in `xtask/` under it).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// The workspace's version, the one every release file name carries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    /// CHANGELOG.md follows the Terraform providers' convention: `## X.Y.Z (Unreleased)` or a
    /// dated heading, sections from a fixed list, and entries that start with what they
    /// concern (`**New Resource:**`, `provider:`, `resource/TYPE:`, ...).
    #[test]
    fn the_changelog_follows_the_providers_convention() {
        let text = std::fs::read_to_string(crate::workspace_root().join("CHANGELOG.md"))
            .expect("CHANGELOG.md");
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("## ") && first.ends_with("(Unreleased)"),
            "the first line must be the next version's heading: {first}"
        );
        const SECTIONS: [&str; 5] = [
            "BREAKING CHANGES:",
            "NOTES:",
            "FEATURES:",
            "ENHANCEMENTS:",
            "BUG FIXES:",
        ];
        const SUBJECTS: [&str; 11] = [
            "**New Resource:** ",
            "**New Data Source:** ",
            "**New List Resource:** ",
            "**New Guide:** ",
            "provider: ",
            "resource/lookoutvision_",
            "data-source/lookoutvision_",
            "release: ",
            "docs: ",
            "emulator: ",
            "development: ",
        ];
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(version) = line.strip_prefix("## ") {
                let number = version.split(' ').next().unwrap_or_default();
                assert_eq!(number.split('.').count(), 3, "not a version: {line}");
            } else if let Some(entry) = line.strip_prefix("* ") {
                assert!(
                    SUBJECTS.iter().any(|s| entry.starts_with(s)),
                    "an entry must say what it concerns: {line}"
                );
            } else {
                assert!(
                    SECTIONS.contains(&line),
                    "not a section of the convention: {line}"
                );
            }
        }
    }

    /// Every shell script users run or copy (`scripts/`, the examples) passes ShellCheck,
    /// following what it sources; a missing shellcheck fails the test with what to install.
    #[test]
    fn the_shell_scripts_pass_shellcheck() {
        let root = crate::workspace_root();
        let mut scripts = Vec::new();
        let mut dirs = vec![root.join("scripts"), root.join("examples")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a readable directory") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "sh") {
                    scripts.push(path.strip_prefix(&root).unwrap().to_owned());
                }
            }
        }
        assert!(scripts.len() >= 5, "{scripts:?}");
        let output = std::process::Command::new("shellcheck")
            // The examples' import.sh files are snippets without a shebang; they are bash too.
            .args(["-x", "--shell=bash"])
            .args(&scripts)
            .current_dir(&root)
            .output()
            .unwrap_or_else(|err| {
                panic!(
                    "shellcheck was not run because it is not installed ({err}): install the \
                     Debian package shellcheck, as scripts/test-tools.sh does"
                )
            });
        assert!(
            output.status.success(),
            "shellcheck finds problems:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}
