//! File creation and opening inside a folder that never follows a symbolic link. Staging
//! folders are `otaseal_envelope::io::StagingDir`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use otaseal_wire::manifest::NameError;

use super::ManifestError;

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
    Err(ManifestError::invalid(rel, NameError::Empty))
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
