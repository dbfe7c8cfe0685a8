//! Atomic output: temporary files beside their destination, renamed only after verification.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::Error;

/// Prefix of every temporary file this crate creates, so that a resumed batch can recognise
/// and remove the ones a crash left behind.
pub(crate) const TEMP_PREFIX: &str = ".otaseal-migrate-";
/// Suffix of those temporary files.
pub(crate) const TEMP_SUFFIX: &str = ".part";

/// A temporary file in `dest`'s directory, so that the final rename stays on one file system.
pub(crate) fn temp_beside(dest: &Path) -> Result<NamedTempFile, Error> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?)
}

/// Writes `bytes` to `dest` atomically (temporary file, fsync, rename).
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut tmp = temp_beside(dest)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
    Ok(())
}

/// Makes a file readable and writable by its owner only (plaintext, private keys).
#[cfg(unix)]
pub(crate) fn restrict_permissions(file: &File) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Makes a file readable and writable by its owner only (a no-op off Unix).
#[cfg(not(unix))]
pub(crate) fn restrict_permissions(_file: &File) -> Result<(), Error> {
    Ok(())
}
