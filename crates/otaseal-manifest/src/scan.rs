//! Walking a built web folder the way `@capgo/cli`'s `generateManifest` does.

use std::fs;
use std::path::{Path, PathBuf};

use otaseal_wire::manifest::{NameSet, check_path};
use otaseal_wire::{Limit, Limits};

use super::ManifestError;

/// `@capgo/cli`'s ignore list (`generateManifest` in `src/utils.ts`). As there, a file is
/// skipped when its path *contains* any of these strings, so `.git` also skips `.github/` and
/// `x.gitkeep`. Unlike `@capgo/cli`, which tests the absolute path, otaseal tests the path
/// relative to the folder, so a folder that itself lives under `node_modules` still works.
pub const IGNORED: [&str; 8] = [
    ".DS_Store",
    ".git",
    ".gitignore",
    "node_modules",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.app.json",
    "tsconfig.spec.json",
];

/// A file of the folder that goes into the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceFile {
    /// The relative, `/`-separated path.
    pub path: String,
    /// Where the file is on disk.
    pub fs_path: PathBuf,
    /// Its length in bytes (never 0: empty files are skipped).
    pub len: u64,
}

/// What [`scan`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Listing {
    /// The files that go into the manifest, sorted by path (byte order).
    pub files: Vec<SourceFile>,
    /// The empty files, which Capgo's delta format leaves out, sorted by path.
    pub skipped_empty: Vec<String>,
}

/// Lists the files of `dir` that a Capgo manifest contains (`spec/v2.md` 9.1), sorted by path
/// (byte order) so that the manifest is deterministic: every regular file, recursively, except
/// the [`IGNORED`] names and empty files (which are listed apart, since a device applying the
/// manifest will not have them).
///
/// Checked here, before any file is read: no symbolic links (never followed), UTF-8 names, no
/// spaces (`@capgo/cli` refuses them), names that pass [`check_path`], no two names that are
/// one file on a phone (`NameSet`: Unicode NFC and case folding), at most
/// `limits.max_manifest_entries` files, each path at most `limits.max_path_len` bytes, at most
/// `limits.max_manifest_total_len` bytes in total.
///
/// # Errors
/// [`ManifestError::Symlink`], [`ManifestError::SpaceInName`],
/// [`ManifestError::InvalidName`], [`ManifestError::DuplicateName`] (naming both files),
/// [`ManifestError::TooLarge`], [`ManifestError::Io`].
pub fn scan(dir: &Path, limits: &Limits) -> Result<Listing, ManifestError> {
    let meta = fs::symlink_metadata(dir).map_err(|e| ManifestError::io(dir, e))?;
    if meta.file_type().is_symlink() {
        return Err(ManifestError::Symlink {
            path: dir.to_owned(),
        });
    }
    if !meta.is_dir() {
        return Err(ManifestError::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        ));
    }
    let mut out = Listing::default();
    let mut total: u64 = 0;
    walk(dir, "", limits, &mut out, &mut total)?;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped_empty.sort();
    let mut seen = NameSet::new();
    for f in &out.files {
        seen.insert_path(&f.path)
            .map_err(|d| ManifestError::duplicate(&f.path, d))?;
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    limits: &Limits,
    out: &mut Listing,
    total: &mut u64,
) -> Result<(), ManifestError> {
    let entries = fs::read_dir(dir).map_err(|e| ManifestError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ManifestError::io(dir, e))?;
        let fs_path = entry.path();
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            return Err(ManifestError::invalid(
                &fs_path.to_string_lossy(),
                otaseal_wire::manifest::NameError::NotUtf8,
            ));
        };
        let rel = if prefix.is_empty() {
            file_name
        } else {
            format!("{prefix}/{file_name}")
        };
        if IGNORED.iter().any(|ignored| rel.contains(ignored)) {
            continue;
        }
        // file_type() does not follow links.
        let file_type = entry
            .file_type()
            .map_err(|e| ManifestError::io(&fs_path, e))?;
        if file_type.is_symlink() {
            return Err(ManifestError::Symlink { path: fs_path });
        }
        limits
            .check(Limit::PathLen, rel.len() as u64)
            .map_err(ManifestError::TooLarge)?;
        if file_type.is_dir() {
            walk(&fs_path, &rel, limits, out, total)?;
            continue;
        }
        if !file_type.is_file() {
            return Err(ManifestError::io(
                &fs_path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        let len = entry
            .metadata()
            .map_err(|e| ManifestError::io(&fs_path, e))?
            .len();
        if len == 0 {
            out.skipped_empty.push(rel);
            continue;
        }
        if rel.contains(' ') {
            return Err(ManifestError::SpaceInName { path: rel });
        }
        check_path(&rel).map_err(|rule| ManifestError::invalid(&rel, rule))?;
        *total = total.saturating_add(len);
        limits
            .check(Limit::ManifestTotalLen, *total)
            .map_err(ManifestError::TooLarge)?;
        limits
            .check(Limit::ManifestEntries, out.files.len() as u64 + 1)
            .map_err(ManifestError::TooLarge)?;
        out.files.push(SourceFile {
            path: rel,
            fs_path,
            len,
        });
    }
    Ok(())
}
