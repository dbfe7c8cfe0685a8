//! Small helpers shared by the commands: bounded input, JSON output, private files.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Reads a whole file (or standard input for `-`), refusing more than `max` bytes.
pub(crate) fn read_bounded(path: &Path, max: usize) -> Result<Vec<u8>> {
    let what = path.display();
    let mut buf = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if path.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        File::open(path)
            .with_context(|| format!("cannot open {what}"))?
            .take(limit)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read {what}"))?;
    }
    if buf.len() > max {
        bail!("{what} is larger than the limit of {max} bytes");
    }
    Ok(buf)
}

/// Prints a JSON value on standard output, pretty and with a final newline.
pub(crate) fn print_json(value: &serde_json::Value) -> Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, made
/// readable by the owner only when `private`, renamed over `path` at the end. Without
/// `overwrite`, an existing `path` is an error and is left as it is.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    private: bool,
    overwrite: bool,
) -> Result<()> {
    if !overwrite && path.exists() {
        bail!(
            "{} already exists (use --force to replace it)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".otaseal-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    if private {
        restrict_permissions(tmp.as_file())?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if overwrite {
        tmp.persist(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        tmp.persist_noclobber(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn restrict_permissions(file: &File) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_file: &File) -> Result<()> {
    Ok(())
}

/// Wraps a reader in a progress bar on standard error when that is a terminal and the input
/// is larger than a few MiB; otherwise returns it as it is.
pub(crate) fn progress_reader<R: Read + 'static>(reader: R, len: u64) -> Box<dyn Read> {
    use std::io::IsTerminal;
    const SHOW_ABOVE: u64 = 4 << 20;
    if len <= SHOW_ABOVE || !io::stderr().is_terminal() {
        return Box::new(reader);
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    Box::new(bar.wrap_read(reader))
}

/// Lower-case hex SHA-256 of a file, read in 64 KiB pieces.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
