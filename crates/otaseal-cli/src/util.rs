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

/// Parses `--checksum-format`: `hex` (plugin >= 5.30.0 / 6.30.0 / 7.30.0 and 8.x) or `base64`.
pub(crate) fn parse_checksum_format(s: &str) -> Result<otaseal_wire::ChecksumFormat, String> {
    s.parse()
        .map_err(|_| format!("unknown checksum format {s:?} (expected hex or base64)"))
}

/// The argument itself, or the content of FILE for `@FILE`, without surrounding white space.
pub(crate) fn arg_or_file(arg: &str) -> Result<String> {
    let text = match arg.strip_prefix('@') {
        Some(path) => String::from_utf8(read_bounded(Path::new(path), 4096)?)
            .with_context(|| format!("{path} is not UTF-8"))?,
        None => arg.to_owned(),
    };
    Ok(text.trim().to_owned())
}

/// `PATH` + suffix, as @capgo/cli names its outputs (`bundle.zip` -> `bundle.zip_encrypted.zip`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

/// Reads the public key from a public or a private key file.
pub(crate) fn load_public_key(
    path: &Path,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PublicKey> {
    use otaseal_keys::DecodedKey;
    let bytes = read_bounded(path, limits.max_key_file_len)?;
    match otaseal_keys::decode_any(&bytes, limits)
        .with_context(|| format!("{} is not a usable key", path.display()))?
    {
        DecodedKey::Public { key, .. } => Ok(key),
        DecodedKey::Private { key, .. } => Ok(key.public_key().clone()),
        _ => bail!("{} holds a key of an unknown kind", path.display()),
    }
}

/// Reads a private key file, refusing a public key with a hint.
pub(crate) fn load_private_key(
    path: &Path,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PrivateKey> {
    let bytes = read_bounded(path, limits.max_key_file_len)?;
    otaseal_keys::PrivateKey::from_bytes(&bytes, limits).with_context(|| {
        format!(
            "{} is not a usable private key (this needs the private key, e.g. .capgo_key_v2)",
            path.display()
        )
    })
}

/// Capacitor config file names, in the order Capacitor looks for them.
pub(crate) const CONFIG_NAMES: [&str; 3] = [
    "capacitor.config.json",
    "capacitor.config.ts",
    "capacitor.config.js",
];

/// The config given with `--config`, or the first of [`CONFIG_NAMES`] in the current directory.
pub(crate) fn find_config(explicit: Option<&Path>) -> Result<std::path::PathBuf> {
    if let Some(c) = explicit {
        return Ok(c.to_path_buf());
    }
    CONFIG_NAMES
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .with_context(|| {
            format!(
                "no capacitor config found here (looked for {}); pass --config",
                CONFIG_NAMES.join(", ")
            )
        })
}

/// Wraps a library error with a hint of what to check, when there is one ("" for none).
pub(crate) fn with_hint<E>(e: E, hint: &'static str) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    let e = anyhow::Error::new(e);
    if hint.is_empty() { e } else { e.context(hint) }
}
