#![doc = include_str!("../README.md")]
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
#[cfg(feature = "zip")]
#[cfg_attr(docsrs, doc(cfg(feature = "zip")))]
pub mod zip;

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
            let signed = e
                .signed_file_hash(limits)
                .map_err(|source| ManifestError::FileHash {
                    name: error::display_name(&e.file_name),
                    source: source.into(),
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
