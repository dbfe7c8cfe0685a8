//! Capgo delta (manifest) updates, `spec/v2.md` section 9: a bundle shipped as individually
//! encrypted files plus a manifest of `{file_name, file_hash, download_url}` entries.
//!
//! - Producer: [`scan`] walks a built web folder as `@capgo/cli` does, [`create`] compresses
//!   (Brotli), encrypts and signs every file and writes the encrypted files and
//!   `manifest.json`, in a staging folder that gets its name only when complete. Signing runs
//!   on all cores and signs each distinct SHA-256 once ([`sign_checksums`]).
//! - Device: [`Manifest::parse`] checks a received manifest against [`Limits`] and the name
//!   rules of `otaseal_wire::manifest` before anything else, and [`apply`] decrypts,
//!   decompresses (bounded) and verifies every file into a staging folder that replaces the
//!   destination only when every file verified.
//!
//! ```
//! use otaseal_keys::{KeySize, Limits, PrivateKey};
//! use otaseal_manifest::{self as manifest, ApplyOptions, CreateOptions, Manifest};
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod apply;
mod create;
mod error;
mod fs;
mod glob;
mod scan;
mod sign;

use otaseal_wire::manifest::{EntryName, NameSet};
use otaseal_wire::{Limit, Limits, SignedChecksum};

pub use apply::{Applied, ApplyOptions, apply};
pub use create::{CreateOptions, Created, create};
pub use error::ManifestError;
pub use glob::glob_match;
pub use otaseal_wire::manifest::{BROTLI_SUFFIX, ManifestEntry};
pub use scan::{IGNORED, Listing, SourceFile, scan};
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

/// What one entry resolves to once checked.
#[derive(Clone, Debug)]
struct Checked {
    name: EntryName,
    /// The parsed `file_hash`.
    signed: SignedChecksum,
}

/// A delta manifest whose every entry passed the checks of `spec/v2.md` 9.2 that need no
/// key: entry count, name lengths, safe relative names, no two entries for one file (after
/// Unicode normalisation and case folding, and no file that is also another entry's folder),
/// well-formed `file_hash`.
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
        limits
            .check(Limit::JsonLen, json.len() as u64)
            .map_err(ManifestError::TooLarge)?;
        let entries: Vec<ManifestEntry> =
            serde_json::from_slice(json).map_err(ManifestError::Json)?;
        Self::from_entries(entries, limits)
    }

    /// Checks a list of entries (`spec/v2.md` 9.2 and `limits.md`): the count against
    /// `max_manifest_entries` first, then each `download_url` against `max_field_len`, then
    /// the names ([`EntryName::parse`], [`NameSet`]) and the `file_hash` encodings.
    ///
    /// # Errors
    /// [`ManifestError::TooLarge`], [`ManifestError::InvalidName`],
    /// [`ManifestError::DuplicateName`], [`ManifestError::FileHash`].
    pub fn from_entries(
        entries: Vec<ManifestEntry>,
        limits: &Limits,
    ) -> Result<Self, ManifestError> {
        limits
            .check(Limit::ManifestEntries, entries.len() as u64)
            .map_err(ManifestError::TooLarge)?;
        for e in &entries {
            limits
                .check(Limit::FieldLen, e.download_url.len() as u64)
                .map_err(ManifestError::TooLarge)?;
        }
        let mut checked = Vec::with_capacity(entries.len());
        let mut names = NameSet::new();
        for e in &entries {
            let name = EntryName::parse(&e.file_name, limits)
                .map_err(|rule| ManifestError::invalid(&e.file_name, rule))?;
            names
                .insert(&name)
                .map_err(|d| ManifestError::duplicate(&e.file_name, d))?;
            let signed = e.signed_file_hash(limits).map_err(|source| {
                ManifestError::FileHash {
                    name: error::display_name(&e.file_name),
                    source: source.into(),
                }
            })?;
            checked.push(Checked { name, signed });
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
        self.checked.iter().map(|c| c.name.target())
    }

    /// `manifest.json`: the entries as a pretty-printed JSON array.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.entries).unwrap_or_else(|_| String::from("[]"))
    }
}
