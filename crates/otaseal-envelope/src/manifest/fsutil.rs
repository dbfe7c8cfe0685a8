//! Staging folders that replace their destination only at the end, and file creation inside
//! them that never follows a symbolic link.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::ManifestError;

/// The folder that holds `dest`, for a staging folder on the same file system.
fn parent_of(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh, private staging folder beside `dest`, removed when dropped.
pub(crate) fn staging_beside(dest: &Path) -> Result<TempDir, ManifestError> {
    let parent = parent_of(dest);
    tempfile::Builder::new()
        .prefix(".otaseal-staging-")
        .tempdir_in(parent)
        .map_err(|e| ManifestError::io(parent, e))
}

/// Fails unless `dest` is absent, an empty folder, or a folder that may be replaced.
/// A symbolic link at `dest` is always refused.
pub(crate) fn check_destination(dest: &Path, replace: bool) -> Result<(), ManifestError> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ManifestError::io(dest, e)),
        Ok(m) if m.file_type().is_symlink() => Err(ManifestError::Symlink {
            path: dest.to_owned(),
        }),
        Ok(m) if !m.is_dir() => Err(ManifestError::io(
            dest,
            io::Error::new(io::ErrorKind::NotADirectory, "exists and is not a folder"),
        )),
        Ok(_) => {
            let empty = fs::read_dir(dest)
                .map_err(|e| ManifestError::io(dest, e))?
                .next()
                .is_none();
            if empty || replace {
                Ok(())
            } else {
                Err(ManifestError::DestinationExists {
                    path: dest.to_owned(),
                })
            }
        }
    }
}

/// Moves the finished staging folder to `dest`. An existing `dest` folder (already allowed by
/// [`check_destination`]) is first moved aside, then removed once the new folder is in place;
/// if the final rename fails it is moved back. On error the staging folder is removed.
pub(crate) fn commit(staging: TempDir, dest: &Path, replace: bool) -> Result<(), ManifestError> {
    check_destination(dest, replace)?;
    let exists = fs::symlink_metadata(dest).is_ok();
    if !exists {
        let path = staging.path().to_owned();
        return match fs::rename(&path, dest) {
            Ok(()) => {
                // Nothing left to clean up.
                let _ = staging.keep();
                Ok(())
            }
            Err(e) => Err(ManifestError::io(dest, e)),
        };
    }
    let aside = staging_beside(dest)?;
    let old = aside.path().join("old");
    fs::rename(dest, &old).map_err(|e| ManifestError::io(dest, e))?;
    let path = staging.path().to_owned();
    match fs::rename(&path, dest) {
        Ok(()) => {
            let _ = staging.keep();
            // `aside` (with the old folder in it) is removed on drop.
            drop(aside);
            Ok(())
        }
        Err(e) => {
            // Put the old folder back; the staging folder is removed on drop.
            let _ = fs::rename(&old, dest);
            Err(ManifestError::io(dest, e))
        }
    }
}

/// Creates the parent folders of `rel` (a checked relative path) under `root` and then the
/// file itself with `create_new`, refusing to pass through anything that is not a real folder.
pub(crate) fn create_file_in(root: &Path, rel: &str) -> Result<(File, PathBuf), ManifestError> {
    let mut dir = root.to_path_buf();
    let mut segments = rel.split('/').peekable();
    while let Some(seg) = segments.next() {
        if segments.peek().is_none() {
            let path = dir.join(seg);
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| ManifestError::io(&path, e))?;
            return Ok((file, path));
        }
        dir.push(seg);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ManifestError::Symlink { path: dir });
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(ManifestError::io(
                    &dir,
                    io::Error::new(io::ErrorKind::NotADirectory, "not a folder"),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir(&dir) {
                Ok(()) => {}
                // Another thread created it meanwhile: check it on the next round.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let m = fs::symlink_metadata(&dir).map_err(|e| ManifestError::io(&dir, e))?;
                    if !m.is_dir() || m.file_type().is_symlink() {
                        return Err(ManifestError::Symlink { path: dir });
                    }
                }
                Err(e) => return Err(ManifestError::io(&dir, e)),
            },
            Err(e) => return Err(ManifestError::io(&dir, e)),
        }
    }
    Err(ManifestError::invalid(rel, "empty name"))
}

/// Opens `rel` under `root` for reading without following a symbolic link at any step.
pub(crate) fn open_in(root: &Path, rel: &str) -> Result<(File, u64), ManifestError> {
    let mut path = root.to_path_buf();
    for seg in rel.split('/') {
        path.push(seg);
        let m = fs::symlink_metadata(&path).map_err(|e| ManifestError::io(&path, e))?;
        if m.file_type().is_symlink() {
            return Err(ManifestError::Symlink { path });
        }
    }
    let file = File::open(&path).map_err(|e| ManifestError::io(&path, e))?;
    let meta = file.metadata().map_err(|e| ManifestError::io(&path, e))?;
    if !meta.is_file() {
        return Err(ManifestError::io(
            &path,
            io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        ));
    }
    Ok((file, meta.len()))
}
