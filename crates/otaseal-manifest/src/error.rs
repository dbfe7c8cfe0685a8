use core::fmt;
use std::io;
use std::path::PathBuf;

use otaseal_envelope::io::OutputError;
use otaseal_envelope::v2::{DecryptError, EncryptError};
use otaseal_keys::SignError;
use otaseal_wire::LimitExceeded;
use otaseal_wire::manifest::{Duplicate, NameError};
use otaseal_wire::plugin::DeviceRefusal;

/// Why a delta manifest could not be created, parsed or applied.
///
/// A file that does not decrypt, does not decompress or does not match its signed `file_hash`
/// is one opaque variant, [`ManifestError::FileFailed`], so that no caller can tell those
/// failures apart and build a padding oracle (`spec/v2.md` 11.1).
#[derive(Debug)]
#[non_exhaustive]
pub enum ManifestError {
    /// `manifest.json` is not a JSON array of `{file_name, file_hash, download_url}` objects.
    Json(serde_json::Error),
    /// An input is larger than a [`Limits`](otaseal_wire::Limits) field allows.
    TooLarge(LimitExceeded),
    /// A file name is unsafe or malformed (`spec/v2.md` 9.2).
    InvalidName {
        /// The name as received (escaped for display).
        name: String,
        /// The rule it breaks.
        rule: NameError,
    },
    /// Two entries (or two source files) name the same file once normalised and case-folded,
    /// or a file is also used as a folder of another.
    DuplicateName {
        /// The second name (escaped for display).
        name: String,
        /// Which name it collides with, and how.
        duplicate: Duplicate,
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
        source: DecryptError,
    },
    /// A file failed verification: it was tampered with, belongs to another manifest or
    /// session key, is not the file its `file_hash` was signed for, or is not valid Brotli.
    FileFailed {
        /// The entry's `file_name`.
        name: String,
    },
    /// The manifest's `ivSessionKey` does not open with the public key.
    SessionKey(DecryptError),
    /// The plugin version the delta update is made or judged for would refuse it: a
    /// `file_hash` form it cannot read, or a file that decrypts to 0 bytes
    /// (`otaseal_wire::plugin`).
    Device {
        /// The entry concerned, when the refusal is about one entry.
        name: Option<String>,
        /// What the plugin version refuses, and by which rule.
        refusal: DeviceRefusal,
    },
    /// Making the session key or signing a checksum failed.
    Signing(EncryptError),
    /// The output folder could not be created or given its name.
    Output(OutputError),
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

    pub(crate) fn invalid(name: &str, rule: NameError) -> Self {
        match rule {
            NameError::TooLong(e) => ManifestError::TooLarge(e),
            rule => ManifestError::InvalidName {
                name: display_name(name),
                rule,
            },
        }
    }

    pub(crate) fn duplicate(name: &str, duplicate: Duplicate) -> Self {
        ManifestError::DuplicateName {
            name: display_name(name),
            duplicate,
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
            ManifestError::Json(_) => f.write_str("manifest is not valid JSON of entries"),
            ManifestError::TooLarge(e) => write!(f, "{e}"),
            ManifestError::InvalidName { name, rule } => {
                write!(f, "unsafe or invalid file name {name:?}: it {rule}")
            }
            ManifestError::DuplicateName { name, duplicate } => {
                write!(f, "file name {name:?} {duplicate}")
            }
            ManifestError::SpaceInName { path } => write!(
                f,
                "file {path:?} has a space in its name; Capgo delta updates refuse such names, please rename the file"
            ),
            ManifestError::Symlink { path } => write!(
                f,
                "{} is a symbolic link; links are not followed, copy the file instead",
                path.display()
            ),
            ManifestError::FileHash { name, .. } => {
                write!(f, "file_hash of {name:?} is not usable")
            }
            ManifestError::FileFailed { name } => write!(
                f,
                "file {name:?} failed verification: it was tampered with, or does not belong to this manifest and session key"
            ),
            ManifestError::SessionKey(e) => write!(f, "{e}"),
            ManifestError::Device {
                name: Some(name),
                refusal,
            } => write!(f, "file {name:?}: {refusal}"),
            ManifestError::Device {
                name: None,
                refusal,
            } => write!(f, "{refusal}"),
            ManifestError::Signing(e) => write!(f, "{e}"),
            ManifestError::Output(e) => write!(f, "{e}"),
            ManifestError::Io { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Json(e) => Some(e),
            ManifestError::FileHash { source, .. } => Some(source),
            ManifestError::SessionKey(e) => e.source(),
            ManifestError::Signing(e) => e.source(),
            ManifestError::Output(e) => e.source(),
            ManifestError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<OutputError> for ManifestError {
    fn from(e: OutputError) -> Self {
        match e {
            OutputError::Symlink(path) => ManifestError::Symlink { path },
            e => ManifestError::Output(e),
        }
    }
}

impl From<EncryptError> for ManifestError {
    fn from(e: EncryptError) -> Self {
        ManifestError::Signing(e)
    }
}

impl From<SignError> for ManifestError {
    fn from(e: SignError) -> Self {
        ManifestError::Signing(EncryptError::Signing(e))
    }
}
