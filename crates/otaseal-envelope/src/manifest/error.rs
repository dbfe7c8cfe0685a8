use core::fmt;
use std::io;
use std::path::PathBuf;

use crate::Error;

/// Why a delta manifest could not be created, parsed or applied.
///
/// A file that does not decrypt, does not decompress or does not match its signed `file_hash`
/// is one opaque variant, [`ManifestError::FileFailed`], so that no caller can tell those
/// failures apart and build a padding oracle (`spec/v2.md` 11.1).
#[derive(Debug)]
#[non_exhaustive]
pub enum ManifestError {
    /// `manifest.json` is not a JSON array of `{file_name, file_hash, download_url}` objects.
    Json(String),
    /// An input is larger than a [`Limits`](otaseal_wire::Limits) field allows.
    TooLarge {
        /// What was too large (`"manifest.json"`, `"file_name"`, `"total size"`, ...).
        what: &'static str,
        /// The size found, in bytes (or entries).
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A file name is unsafe or malformed (`spec/v2.md` 9.2): absolute, `..`, empty segment,
    /// backslash, NUL, drive letter, invalid percent-encoding, not UTF-8.
    InvalidName {
        /// The name as received (escaped for display).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two entries name the same file, or names that differ only by letter case, or a file is
    /// also used as a folder of another entry.
    DuplicateName {
        /// The second name.
        name: String,
    },
    /// A source file name contains a space: `@capgo/cli` refuses those for delta updates.
    SpaceInName {
        /// The relative path.
        path: String,
    },
    /// A symbolic link where a regular file or folder is required. Links are never followed.
    Symlink {
        /// The path of the link.
        path: PathBuf,
    },
    /// An entry's `file_hash` is malformed or does not open with the public key.
    FileHash {
        /// The entry's `file_name`.
        name: String,
        /// The cause.
        source: Error,
    },
    /// A file failed verification: it was tampered with, belongs to another manifest or
    /// session key, is not the file its `file_hash` was signed for, or is not valid Brotli.
    FileFailed {
        /// The entry's `file_name`.
        name: String,
    },
    /// The destination folder exists and replacing it was not allowed.
    DestinationExists {
        /// The destination.
        path: PathBuf,
    },
    /// The session key, the signing, or the randomness failed.
    Envelope(Error),
    /// A file system operation failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl ManifestError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        ManifestError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(name: &str, reason: &'static str) -> Self {
        ManifestError::InvalidName {
            name: display_name(name),
            reason,
        }
    }
}

/// A name made safe to print: at most 200 characters, control characters escaped.
pub(crate) fn display_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().take(200) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if name.chars().count() > 200 {
        out.push('…');
    }
    out
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Json(e) => write!(f, "manifest is not valid: {e}"),
            ManifestError::TooLarge { what, len, max } => {
                write!(f, "{what} is {len}, more than the limit of {max}")
            }
            ManifestError::InvalidName { name, reason } => {
                write!(f, "unsafe or invalid file name {name:?}: {reason}")
            }
            ManifestError::DuplicateName { name } => write!(
                f,
                "file name {name:?} is used twice (names are compared ignoring letter case, and a file cannot also be a folder)"
            ),
            ManifestError::SpaceInName { path } => write!(
                f,
                "file {path:?} has a space in its name; Capgo delta updates refuse such names, please rename the file"
            ),
            ManifestError::Symlink { path } => write!(
                f,
                "{} is a symbolic link; links are not followed, copy the file instead",
                path.display()
            ),
            ManifestError::FileHash { name, source } => {
                write!(f, "file_hash of {name:?} is not usable: {source}")
            }
            ManifestError::FileFailed { name } => write!(
                f,
                "file {name:?} failed verification: it was tampered with, or does not belong to this manifest and session key"
            ),
            ManifestError::DestinationExists { path } => write!(
                f,
                "{} already exists and is not empty (allow replacing it to overwrite)",
                path.display()
            ),
            ManifestError::Envelope(e) => write!(f, "{e}"),
            ManifestError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::FileHash { source, .. } => Some(source),
            ManifestError::Envelope(e) => Some(e),
            ManifestError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Error> for ManifestError {
    fn from(e: Error) -> Self {
        ManifestError::Envelope(e)
    }
}
