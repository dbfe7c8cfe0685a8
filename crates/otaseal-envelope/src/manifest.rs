//! Capgo delta (manifest) updates, `spec/v2.md` section 9: a bundle shipped as individually
//! encrypted files plus a manifest of `{file_name, file_hash, download_url}` entries.
//!
//! - Producer: [`scan`] walks a built web folder as `@capgo/cli` does, [`create`] compresses
//!   (Brotli), encrypts and signs every file and writes the encrypted files and
//!   `manifest.json` atomically. Signing runs on all cores and signs each distinct SHA-256
//!   once ([`sign_checksums`]).
//! - Device: [`Manifest::parse`] checks a received manifest against [`Limits`] and the path
//!   rules before anything else, and [`apply`] decrypts, decompresses (bounded) and verifies
//!   every file into a staging folder that replaces the destination only when every file
//!   verified.
//!
//! ```
//! use otaseal_envelope::manifest::{self, ApplyOptions, CreateOptions, Manifest};
//! use otaseal_keys::{KeySize, Limits, PrivateKey};
//!
//! let key = PrivateKey::generate(KeySize::Rsa2048)?;
//! let tmp = tempfile::tempdir()?;
//! let dist = tmp.path().join("dist");
//! std::fs::create_dir_all(dist.join("assets"))?;
//! std::fs::write(dist.join("index.html"), b"<html></html>")?;
//! std::fs::write(dist.join("assets/app.js"), "console.log(1);\n".repeat(1000))?;
//!
//! let out = tmp.path().join("out");
//! let created = manifest::create(&dist, &out, &key, &CreateOptions::new("https://cdn.example/v1/"))?;
//! assert_eq!(created.manifest.entries().len(), 2);
//! assert_eq!(created.brotli_files, 1); // app.js is >= 8192 bytes and compresses
//!
//! let json = std::fs::read(out.join(manifest::MANIFEST_FILE))?;
//! let parsed = Manifest::parse(&json, &Limits::default())?;
//! let dest = tmp.path().join("www");
//! manifest::apply(
//!     &parsed,
//!     &out.join(manifest::FILES_DIR),
//!     &dest,
//!     key.public_key(),
//!     &created.iv_session_key,
//!     &ApplyOptions::default(),
//! )?;
//! assert_eq!(std::fs::read(dest.join("index.html"))?, b"<html></html>");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod create;
mod error;
mod fsutil;
mod glob;
mod name;
mod par;
mod scan;
mod sign;

use std::collections::HashSet;

use otaseal_wire::{Limits, SignedChecksum};
use serde::{Deserialize, Serialize};

pub use apply::{Applied, ApplyOptions, apply};
pub use create::{CreateOptions, Created, create};
pub use error::ManifestError;
pub use glob::glob_match;
pub use name::{check_relative_path, decode_path, encode_path};
pub use scan::{IGNORED, SourceFile, scan};
pub use sign::sign_checksums;

/// Name of the manifest file that [`create`] writes in its output folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Folder of the output of [`create`] that holds the encrypted files, at their stored names.
pub const FILES_DIR: &str = "files";

/// Files of at least this many bytes are tried with Brotli (`spec/v2.md` 9.1, step 2; the
/// `BROTLI_MIN_SIZE` of `@capgo/cli`).
pub const BROTLI_MIN_LEN: u64 = 8192;

/// Brotli output is used only if it is more than this many bytes smaller than the file.
pub const BROTLI_MIN_SAVING: u64 = 10;

/// The suffix of a stored name whose content is Brotli-compressed.
pub const BROTLI_SUFFIX: &str = ".br";

/// One entry of a delta manifest, as it travels in the update response's `manifest` array and
/// in `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManifestEntry {
    /// The stored name: the relative path, plus `.br` when Brotli-compressed, each segment
    /// percent-encoded. Not signed.
    pub file_name: String,
    /// The signed SHA-256 of the original file (hex or base64 form).
    pub file_hash: String,
    /// Where the device downloads the encrypted file.
    pub download_url: String,
}

impl ManifestEntry {
    /// Builds an entry.
    #[must_use]
    pub fn new(file_name: String, file_hash: String, download_url: String) -> Self {
        Self {
            file_name,
            file_hash,
            download_url,
        }
    }
}

/// What one entry resolves to once checked.
#[derive(Clone, Debug)]
struct Checked {
    /// The percent-decoded stored name (where the encrypted file is found).
    stored: String,
    /// The path the original file is written to: `stored` without `.br`.
    target: String,
    /// Whether the content is Brotli-compressed.
    brotli: bool,
    /// The parsed `file_hash`.
    signed: SignedChecksum,
}

/// A delta manifest whose every entry passed the checks of `spec/v2.md` 9.2 that need no
/// key: entry count, name lengths, safe relative names, no duplicates (also ignoring letter
/// case, and no file that is also another entry's folder), well-formed `file_hash`.
#[derive(Clone, Debug)]
pub struct Manifest {
    entries: Vec<ManifestEntry>,
    checked: Vec<Checked>,
}

impl Manifest {
    /// Parses `manifest.json` (a JSON array of entries) and checks it. The document length is
    /// checked against `limits.max_json_len` before the JSON parser runs.
    ///
    /// # Errors
    /// [`ManifestError::TooLarge`], [`ManifestError::Json`], and those of
    /// [`from_entries`](Self::from_entries).
    pub fn parse(json: &[u8], limits: &Limits) -> Result<Self, ManifestError> {
        if json.len() > limits.max_json_len {
            return Err(ManifestError::TooLarge {
                what: "manifest.json",
                len: json.len() as u64,
                max: limits.max_json_len as u64,
            });
        }
        let entries: Vec<ManifestEntry> =
            serde_json::from_slice(json).map_err(|e| ManifestError::Json(e.to_string()))?;
        Self::from_entries(entries, limits)
    }

    /// Checks a list of entries (`spec/v2.md` 9.2 and `limits.md`): the count against
    /// `max_manifest_entries` first, then each `file_name` against `max_path_len`, each
    /// `download_url` against `max_field_len`, then the names and the `file_hash` encodings.
    ///
    /// # Errors
    /// [`ManifestError::TooLarge`], [`ManifestError::InvalidName`],
    /// [`ManifestError::DuplicateName`], [`ManifestError::FileHash`].
    pub fn from_entries(
        entries: Vec<ManifestEntry>,
        limits: &Limits,
    ) -> Result<Self, ManifestError> {
        if entries.len() > limits.max_manifest_entries {
            return Err(ManifestError::TooLarge {
                what: "manifest entry count",
                len: entries.len() as u64,
                max: limits.max_manifest_entries as u64,
            });
        }
        for e in &entries {
            if e.file_name.len() > limits.max_path_len {
                return Err(ManifestError::TooLarge {
                    what: "file_name",
                    len: e.file_name.len() as u64,
                    max: limits.max_path_len as u64,
                });
            }
            if e.download_url.len() > limits.max_field_len {
                return Err(ManifestError::TooLarge {
                    what: "download_url",
                    len: e.download_url.len() as u64,
                    max: limits.max_field_len as u64,
                });
            }
        }
        let mut checked = Vec::with_capacity(entries.len());
        // Case-folded target paths, and case-folded folders that targets need.
        let mut files: HashSet<String> = HashSet::with_capacity(entries.len());
        let mut folders: HashSet<String> = HashSet::new();
        for e in &entries {
            let stored = decode_path(&e.file_name)?;
            check_relative_path(&stored, &e.file_name)?;
            let (target, brotli) = match stored.strip_suffix(BROTLI_SUFFIX) {
                Some(t) => (t.to_owned(), true),
                None => (stored.clone(), false),
            };
            check_relative_path(&target, &e.file_name)?;
            let key = name::fold(&target);
            let duplicate = || ManifestError::DuplicateName {
                name: error::display_name(&e.file_name),
            };
            if folders.contains(&key) || !files.insert(key.clone()) {
                return Err(duplicate());
            }
            let mut end = 0;
            while let Some(pos) = key.get(end..).and_then(|rest| rest.find('/')) {
                let folder = key.get(..end + pos).unwrap_or_default();
                if files.contains(folder) {
                    return Err(duplicate());
                }
                folders.insert(folder.to_owned());
                end += pos + 1;
            }
            let signed = SignedChecksum::parse(&e.file_hash, limits).map_err(|w| {
                ManifestError::FileHash {
                    name: error::display_name(&e.file_name),
                    source: crate::Error::Wire(w),
                }
            })?;
            checked.push(Checked {
                stored,
                target,
                brotli,
                signed,
            });
        }
        Ok(Self { entries, checked })
    }

    /// The entries, in manifest order.
    #[must_use]
    pub fn entries(&self) -> &[ManifestEntry] {
        &self.entries
    }

    /// The relative paths the files are written to (decoded, without `.br`), in entry order.
    pub fn target_paths(&self) -> impl Iterator<Item = &str> {
        self.checked.iter().map(|c| c.target.as_str())
    }

    /// `manifest.json`: the entries as a pretty-printed JSON array.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.entries).unwrap_or_else(|_| String::from("[]"))
    }
}
