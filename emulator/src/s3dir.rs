//! A local directory standing for S3 (`--s3-dir`): the object `s3://bucket/key` is the file
//! `DIR/bucket/key`. Every lookup stays inside the directory: a bucket or key that would
//! leave it (a `..` segment, an absolute key, a symlink pointing elsewhere) is refused, so a
//! manifest cannot make the emulator read arbitrary files of the machine.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Why a directory cannot stand for S3.
#[derive(Debug, thiserror::Error)]
pub enum S3DirError {
    /// It does not exist, cannot be resolved or is not a directory.
    #[error("the S3 directory {path} is not a readable directory: {source}")]
    NotADirectory {
        /// The path as given.
        path: PathBuf,
        /// What resolving it said.
        source: io::Error,
    },
}

/// Why an object cannot be read or written. The messages are written to end up in a `StatusMessage`.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The bucket or key cannot name a file inside the directory.
    #[error("s3://{bucket}/{key} is not a valid object name: {why}")]
    InvalidName {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// No such object.
    #[error("s3://{bucket}/{key} does not exist")]
    NoSuchKey {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// The object's file resolves to a place outside the directory (through a symlink).
    #[error("s3://{bucket}/{key} leads outside the S3 directory")]
    Escapes {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// No such bucket (to write into).
    #[error("the bucket {bucket} does not exist in the S3 directory")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// The object cannot be written.
    #[error("s3://{bucket}/{key} cannot be written: {source}")]
    Unwritable {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The file exists but cannot be read.
    #[error("s3://{bucket}/{key} cannot be read: {source}")]
    Unreadable {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The I/O error.
        source: io::Error,
    },
}

/// The directory that stands for S3, resolved once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Dir {
    /// Canonical (absolute, symlink-free), so that a resolved object path can be checked to
    /// start with it.
    root: PathBuf,
}

impl S3Dir {
    /// Resolves `path`, which must be an existing directory.
    pub fn new(path: impl AsRef<Path>) -> Result<Self, S3DirError> {
        let path = path.as_ref();
        let failed = |source| S3DirError::NotADirectory {
            path: path.to_owned(),
            source,
        };
        let root = path.canonicalize().map_err(failed)?;
        if !root.is_dir() {
            return Err(failed(io::Error::other("not a directory")));
        }
        Ok(Self { root })
    }

    /// The directory, canonical.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path `s3://bucket/key` names, before any symlink is followed; refuses names that
    /// could leave the directory by their spelling alone.
    fn path_of(&self, bucket: &str, key: &str) -> Result<PathBuf, ObjectError> {
        let invalid = |why| ObjectError::InvalidName {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            why,
        };
        if bucket.is_empty() || bucket.contains(['/', '\\', '\0']) || bucket.starts_with('.') {
            return Err(invalid("the bucket must be one plain path segment"));
        }
        if key.is_empty() || key.starts_with('/') {
            return Err(invalid("the key must be a relative path"));
        }
        if key.contains('\0') {
            return Err(invalid("the key must not contain NUL"));
        }
        // `.` segments are harmless but `..` would climb out of the bucket before the
        // prefix check could see it, through a directory that may not even exist.
        if key.split('/').any(|segment| segment == "..") {
            return Err(invalid("the key must not have a `..` segment"));
        }
        if key.ends_with('/') {
            return Err(invalid("the key must name an object, not end in `/`"));
        }
        Ok(self.root.join(bucket).join(key))
    }

    /// Whether the bucket exists (as a directory inside the S3 directory).
    pub fn has_bucket(&self, bucket: &str) -> bool {
        self.path_of(bucket, "probe").is_ok()
            && self
                .root
                .join(bucket)
                .canonicalize()
                .is_ok_and(|path| path.starts_with(&self.root) && path.is_dir())
    }

    /// Writes `bytes` to `s3://bucket/key`, creating the key's directories inside the
    /// bucket, which must exist. The same names are refused as for reading, and neither the
    /// bucket nor any directory on the way may lead outside through a symlink.
    pub fn write(&self, bucket: &str, key: &str, bytes: &[u8]) -> Result<(), ObjectError> {
        let path = self.path_of(bucket, key)?;
        let failed = |source| ObjectError::Unwritable {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        };
        if !self.has_bucket(bucket) {
            return Err(ObjectError::NoSuchBucket {
                bucket: bucket.to_owned(),
            });
        }
        let escapes = || ObjectError::Escapes {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        };
        // One directory at a time, each checked before the next is made inside it, so a
        // symlinked directory on the way cannot get directories created outside.
        let mut directory = self.root.join(bucket);
        let segments: Vec<&str> = key.split('/').collect();
        for segment in &segments[..segments.len() - 1] {
            directory = directory.join(segment);
            if !directory.exists() {
                std::fs::create_dir(&directory).map_err(failed)?;
            }
            directory = directory.canonicalize().map_err(failed)?;
            if !directory.starts_with(&self.root) {
                return Err(escapes());
            }
        }
        // An existing object that is a symlink out of the directory is not overwritten.
        if let Ok(existing) = path.canonicalize() {
            if !existing.starts_with(&self.root) {
                return Err(escapes());
            }
        }
        std::fs::write(&path, bytes).map_err(failed)
    }

    /// The file holding `s3://bucket/key`, canonical and inside the directory.
    pub fn resolve(&self, bucket: &str, key: &str) -> Result<PathBuf, ObjectError> {
        let path = self.path_of(bucket, key)?;
        let canonical = match path.canonicalize() {
            Ok(canonical) => canonical,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(ObjectError::NoSuchKey {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                })
            }
            Err(source) => {
                return Err(ObjectError::Unreadable {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    source,
                })
            }
        };
        if !canonical.starts_with(&self.root) {
            return Err(ObjectError::Escapes {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            });
        }
        // A directory is a key prefix in S3, not an object.
        if !canonical.is_file() {
            return Err(ObjectError::NoSuchKey {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            });
        }
        Ok(canonical)
    }

    /// Opens `s3://bucket/key` for reading.
    pub fn open(&self, bucket: &str, key: &str) -> Result<File, ObjectError> {
        let path = self.resolve(bucket, key)?;
        File::open(path).map_err(|source| ObjectError::Unreadable {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        })
    }

    /// The whole of `s3://bucket/key` as text.
    pub fn read_to_string(&self, bucket: &str, key: &str) -> Result<String, ObjectError> {
        let path = self.resolve(bucket, key)?;
        std::fs::read_to_string(path).map_err(|source| ObjectError::Unreadable {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A temporary S3 directory holding `s3://b/in.txt`, and beside it (outside) `secret.txt`.
    fn setup() -> (tempfile::TempDir, S3Dir) {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir_all(temp.path().join("s3/b/sub")).unwrap();
        fs::write(temp.path().join("s3/b/in.txt"), "inside").unwrap();
        fs::write(temp.path().join("secret.txt"), "outside").unwrap();
        let dir = S3Dir::new(temp.path().join("s3")).unwrap();
        (temp, dir)
    }

    #[test]
    fn an_object_is_the_file_under_its_bucket() {
        let (_temp, dir) = setup();
        assert_eq!(dir.read_to_string("b", "in.txt").unwrap(), "inside");
        assert_eq!(
            dir.resolve("b", "./in.txt").unwrap(),
            dir.root().join("b/in.txt")
        );
    }

    #[test]
    fn missing_objects_and_directories_are_no_such_key() {
        let (_temp, dir) = setup();
        for (bucket, key) in [("b", "nope.txt"), ("other", "in.txt"), ("b", "sub")] {
            let err = dir.resolve(bucket, key).unwrap_err();
            assert!(
                matches!(err, ObjectError::NoSuchKey { .. }),
                "{bucket}/{key}: {err}"
            );
            assert_eq!(
                err.to_string(),
                format!("s3://{bucket}/{key} does not exist")
            );
        }
    }

    #[test]
    fn dot_dot_segments_are_refused() {
        let (_temp, dir) = setup();
        for key in [
            "../../secret.txt",
            "sub/../../../secret.txt",
            "sub/../in.txt",
            "..",
        ] {
            let err = dir.resolve("b", key).unwrap_err();
            assert!(err.to_string().contains("`..` segment"), "{key}: {err}");
        }
    }

    #[test]
    fn absolute_keys_are_refused() {
        let (temp, dir) = setup();
        let absolute = temp.path().join("secret.txt");
        let err = dir.resolve("b", absolute.to_str().unwrap()).unwrap_err();
        assert!(err.to_string().contains("relative path"), "{err}");
    }

    #[test]
    fn buckets_that_are_not_one_plain_segment_are_refused() {
        let (_temp, dir) = setup();
        for bucket in ["", "..", ".", "b/..", "/tmp"] {
            let err = dir.resolve(bucket, "in.txt").unwrap_err();
            assert!(
                matches!(err, ObjectError::InvalidName { .. }),
                "{bucket:?}: {err}"
            );
        }
    }

    #[test]
    fn symlinks_pointing_outside_are_refused_and_inside_followed() {
        let (temp, dir) = setup();
        let outside = temp.path().join("secret.txt");
        std::os::unix::fs::symlink(&outside, dir.root().join("b/link.txt")).unwrap();
        std::os::unix::fs::symlink(temp.path(), dir.root().join("b/up")).unwrap();
        for key in ["link.txt", "up/secret.txt"] {
            let err = dir.resolve("b", key).unwrap_err();
            assert!(matches!(err, ObjectError::Escapes { .. }), "{key}: {err}");
            assert_eq!(
                err.to_string(),
                format!("s3://b/{key} leads outside the S3 directory")
            );
        }
        // Links that stay inside are followed, as a bucket or within one.
        std::os::unix::fs::symlink(dir.root().join("b"), dir.root().join("alias")).unwrap();
        assert_eq!(dir.read_to_string("alias", "in.txt").unwrap(), "inside");
        std::os::unix::fs::symlink("in.txt", dir.root().join("b/alias.txt")).unwrap();
        assert_eq!(dir.read_to_string("b", "alias.txt").unwrap(), "inside");
    }

    #[test]
    fn writes_land_inside_existing_buckets_only() {
        let (temp, dir) = setup();
        dir.write("b", "out/deep/result.json", b"{}").unwrap();
        assert_eq!(
            dir.read_to_string("b", "out/deep/result.json").unwrap(),
            "{}"
        );
        let err = dir.write("nobucket", "x.json", b"{}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the bucket nobucket does not exist in the S3 directory"
        );
        for key in ["../secret.txt", "/abs.json", "dir/"] {
            let err = dir.write("b", key, b"x").unwrap_err();
            assert!(
                matches!(err, ObjectError::InvalidName { .. }),
                "{key}: {err}"
            );
        }
        std::os::unix::fs::symlink(temp.path(), dir.root().join("b/up")).unwrap();
        std::os::unix::fs::symlink(
            temp.path().join("secret.txt"),
            dir.root().join("b/link.txt"),
        )
        .unwrap();
        for key in ["up/new.json", "up/sub/new.json", "link.txt"] {
            let err = dir.write("b", key, b"x").unwrap_err();
            assert!(matches!(err, ObjectError::Escapes { .. }), "{key}: {err}");
        }
        assert!(!temp.path().join("new.json").exists());
        assert!(!temp.path().join("sub").exists());
        assert_eq!(
            std::fs::read_to_string(temp.path().join("secret.txt")).unwrap(),
            "outside"
        );
    }

    #[test]
    fn the_directory_must_exist_and_be_one() {
        let (temp, _dir) = setup();
        for path in [temp.path().join("missing"), temp.path().join("secret.txt")] {
            let err = S3Dir::new(&path).unwrap_err();
            assert!(
                err.to_string().contains("not a readable directory"),
                "{err}"
            );
        }
    }
}
