//! Small helpers shared by the commands: bounded input, JSON output, private files.

use std::fs::File;
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

/// otaseal's one overwrite policy (README "Overwriting"): an existing output is never replaced
/// unless `--force` is given, and then only atomically, once the new one is complete and
/// verified. (Files that otaseal edits in place, capacitor.config and the V3 `--state` file, are
/// documents, not outputs.)
#[derive(Debug, clap::Args)]
pub(crate) struct Overwrite {
    /// Replace an existing output (atomically, once the new one is complete and verified).
    #[arg(long)]
    pub(crate) force: bool,
}

/// `--key-data PEM`: the key's PEM text itself, as `@capgo/cli` takes it, instead of `--key`
/// (`bundle encrypt`, `bundle decrypt`, `key save`). One definition, so the option reads the
/// same everywhere; what kind of key it must be is checked where it is loaded.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyData {
    /// The key's PEM text itself (@capgo/cli's option) instead of --key. A private key given
    /// here is visible to other users of the machine in the process list: prefer --key env:NAME.
    #[arg(
        long = "key-data",
        value_name = "PEM",
        conflicts_with = "key",
        allow_hyphen_values = true
    )]
    key_data: Option<String>,
}

impl KeyData {
    /// The PEM text, if given.
    pub(crate) fn get(&self) -> Option<&str> {
        self.key_data.as_deref()
    }
}

impl Overwrite {
    /// Checks `output` before any work: without `--force`, an existing one is an error that
    /// names the flag. Returns the policy for the output's `PendingFile`, which checks again
    /// when it is given its name.
    pub(crate) fn check(&self, output: &Path) -> Result<otaseal_envelope::io::Existing> {
        use otaseal_envelope::io::Existing;
        if self.force {
            return Ok(Existing::Replace);
        }
        if std::fs::symlink_metadata(output).is_ok() {
            bail!(
                "{} already exists; use --force to replace it",
                output.display()
            );
        }
        Ok(Existing::Refuse)
    }
}

/// Opens the input of a command that writes `output`, before any work: the input's size against
/// `limit` (spec/v2.md 8.1 step 5), `output` not the input (`otaseal_envelope::io`), and the
/// overwrite policy. Returns the input, its length and the policy for the output's
/// `PendingFile`.
pub(crate) fn open_for_output(
    input: &Path,
    output: &Path,
    overwrite: &Overwrite,
    limit: otaseal_keys::Limit,
    limits: &otaseal_keys::Limits,
) -> Result<(File, u64, otaseal_envelope::io::Existing)> {
    let (file, len) = otaseal_envelope::io::open_input(input, limit, limits)?;
    otaseal_envelope::io::ensure_distinct(input, output)?;
    Ok((file, len, overwrite.check(output)?))
}

/// Prints a JSON value on standard output, pretty and with a final newline.
pub(crate) fn print_json(value: &serde_json::Value) -> Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes `bytes` to `path` through a pending file that gets its name only when complete:
/// readable by the owner only when `private` (private keys), else with the umask's mode (a
/// rewritten file keeps its mode). Without `overwrite`, an existing `path` is an error and is
/// left as it is.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    private: bool,
    overwrite: bool,
) -> Result<()> {
    use otaseal_envelope::io::{Existing, Mode, write_file};
    let mode = if private {
        Mode::Private
    } else if overwrite {
        Mode::KeepExisting
    } else {
        Mode::Umask
    };
    let existing = if overwrite {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    write_file(path, bytes, mode, existing)?;
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

/// SHA-256 of what a reader yields, read in 64 KiB pieces.
pub(crate) fn sha256_reader(mut f: impl Read) -> Result<otaseal_wire::Sha256Checksum> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(otaseal_wire::Sha256Checksum::from_bytes(
        hasher.finalize().into(),
    ))
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

/// `PATH` + suffix (`.capgo_key_v2` -> `.capgo_key_v2.pub`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

/// The `-o` path, or else `INPUT` + suffix, as @capgo/cli names its outputs (`bundle.zip` ->
/// `bundle.zip_encrypted.zip`).
pub(crate) fn output_or_sibling(
    output: Option<&Path>,
    input: &Path,
    suffix: &str,
) -> std::path::PathBuf {
    output.map_or_else(|| sibling(input, suffix), Path::to_path_buf)
}

/// Reads a public key for a device-side operation (`bundle decrypt`/`inspect --key`,
/// `manifest apply --key`, `open --trust`): a private key is refused, pointing at its `.pub`
/// file, since a device must never hold the private key.
pub(crate) fn load_public_key(
    path: &Path,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PublicKey> {
    load_public_key_or_data(path, None, limits)
}

/// [`load_public_key`], or the key text of `--key-data` (`@capgo/cli`'s option) when given.
pub(crate) fn load_public_key_or_data(
    path: &Path,
    data: Option<&str>,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PublicKey> {
    if let Some(text) = data {
        return read_any_key(&otaseal_keys::KeySource::inline(text), limits)?
            .into_public()
            .context("--key-data is a private key; give the public key: a device must never hold the private key");
    }
    decode_public_file(path, limits)?.into_public().with_context(|| {
        format!(
            "{} is a private key; give the public key ({}): a device must never hold the private key",
            path.display(),
            sibling(path, ".pub").display()
        )
    })
}

/// Reads the public key from a public key file or from a private key file (its public half),
/// for producer-side options that may be given either (`seal --recipient`,
/// `seal from-v2 --v2-key`, `key save --key`, `migrate config --key`).
pub(crate) fn load_public_half(
    path: &Path,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PublicKey> {
    load_public_half_or_data(path, None, limits)
}

/// [`load_public_half`], or the key text of `--key-data` when given.
pub(crate) fn load_public_half_or_data(
    path: &Path,
    data: Option<&str>,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PublicKey> {
    let key = match data {
        Some(text) => read_any_key(&otaseal_keys::KeySource::inline(text), limits)?,
        None => decode_public_file(path, limits)?,
    };
    Ok(key.public_key().clone())
}

/// The private key of `--key SOURCE`, or of `--key-data PEM` (`@capgo/cli`'s option, which
/// puts the key on the command line: warned about).
pub(crate) fn private_source(key: &str, data: Option<&str>) -> Result<otaseal_keys::KeySource> {
    match data {
        Some(text) => {
            eprintln!(
                "warning: --key-data puts the private key on the command line, where other users of this machine can read it (ps, /proc); prefer --key env:NAME or a key file"
            );
            Ok(otaseal_keys::KeySource::inline(text))
        }
        None => Ok(key.parse()?),
    }
}

/// Reads and decodes a key file (or `-` for standard input).
fn decode_public_file(
    path: &Path,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::DecodedKey> {
    let source = if path.as_os_str() == "-" {
        otaseal_keys::KeySource::Stdin
    } else {
        otaseal_keys::KeySource::File(path.to_path_buf())
    };
    read_any_key(&source, limits)
}

/// Reads and decodes a key of either kind from a file, `env:NAME` or `-` (size checked before
/// reading), warning about the file's mode when it holds a private key: whenever a private key
/// is read.
pub(crate) fn read_any_key(
    source: &otaseal_keys::KeySource,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::DecodedKey> {
    let loaded = source.read(limits)?;
    let key = otaseal_keys::decode_any(loaded.key(), limits)
        .with_context(|| format!("{source} is not a usable key"))?;
    if key.kind() == otaseal_keys::KeyKind::Private {
        warn_loose(&loaded);
    }
    Ok(key)
}

/// clap's check of a private-key argument (`PATH`, `env:NAME`, `-` or `pkcs11:URI`), so that a
/// malformed URI is a usage error; the argument is kept as text and loaded later.
pub(crate) fn parse_key_source(s: &str) -> Result<String, String> {
    s.parse::<otaseal_keys::KeySource>()
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

/// Prints the loose-permissions warning of a loaded key, if any.
fn warn_loose<K>(loaded: &otaseal_keys::Loaded<K>) {
    if let Some(w) = loaded.loose_permissions() {
        eprintln!("warning: {w}");
    }
}

/// Loads a private key from any source (a file, `env:NAME`, `-`, a `pkcs11:` URI) into the
/// fastest backend of this build (OpenSSL unless built without it), warning on standard
/// error when its file (or PIN file) is readable by group or others. Refuses a public key.
pub(crate) fn load_private_key(
    source: &otaseal_keys::KeySource,
    limits: &otaseal_keys::Limits,
) -> Result<Box<dyn otaseal_keys::Signer>> {
    let options = otaseal_keys::LoadOptions::new(*limits);
    let loaded = source.load(&options).map_err(|e| explain_load(source, e))?;
    warn_loose(&loaded);
    Ok(loaded.into_key())
}

/// Loads a private key into memory (a file, `env:NAME` or `-`; not a token): for the V1 key
/// of a migration, which every V1 app shipped and the V1 reader takes as a `PrivateKey`.
pub(crate) fn load_private_key_in_memory(
    source: &otaseal_keys::KeySource,
    limits: &otaseal_keys::Limits,
) -> Result<otaseal_keys::PrivateKey> {
    let loaded = source
        .load_in_memory(limits)
        .map_err(|e| explain_load(source, e))?;
    warn_loose(&loaded);
    Ok(loaded.into_key())
}

/// Adds what was being loaded to a key-loading error, unless the error names it already (a
/// file that cannot be read, an unset variable).
fn explain_load(source: &otaseal_keys::KeySource, e: otaseal_keys::LoadError) -> anyhow::Error {
    use otaseal_keys::{KeySource, LoadError};
    let context = match (source, &e) {
        (KeySource::Pkcs11(_), _) => format!("cannot use the token key {source}"),
        (_, LoadError::Key(_) | LoadError::TooLarge(_) | LoadError::NotInMemory) => format!(
            "{source} is not a usable private key (this needs the private key, e.g. .capgo_key_v2)"
        ),
        _ => return e.into(),
    };
    anyhow::Error::new(e).context(context)
}

/// The config given with `--config`, or the first Capacitor config in the current directory.
pub(crate) fn find_config(explicit: Option<&Path>) -> Result<std::path::PathBuf> {
    use otaseal_migrate::config::{CONFIG_FILES, find_config};
    if let Some(c) = explicit {
        return Ok(c.to_path_buf());
    }
    find_config(Path::new("")).with_context(|| {
        format!(
            "no capacitor config found here (looked for {}); pass --config",
            CONFIG_FILES.join(", ")
        )
    })
}

/// Wraps a library error with the fix to try, printed after it (`ERROR; HINT`), when there is
/// one ("" for none).
pub(crate) fn with_hint<E>(e: E, hint: &'static str) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    if hint.is_empty() {
        anyhow::Error::new(e)
    } else {
        anyhow::Error::new(Hinted { error: e, hint })
    }
}

/// An error and the fix to try: displayed as `ERROR; HINT`, with the error's own causes after
/// it (the error itself is not repeated as a cause).
#[derive(Debug)]
struct Hinted<E> {
    error: E,
    hint: &'static str,
}

impl<E: std::fmt::Display> std::fmt::Display for Hinted<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.error, self.hint)
    }
}

impl<E: std::error::Error> std::error::Error for Hinted<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Parses a time as Unix seconds (digits only) or an RFC 3339 timestamp with a `Z` or
/// `+HH:MM`/`-HH:MM` offset (jiff's parser), rounding fractions down. Times before 1970 are
/// refused.
pub(crate) fn parse_time(s: &str) -> Result<u64, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map_err(|_| format!("{s:?}: Unix time out of range"));
    }
    let bad = || {
        format!("{s:?} is neither Unix seconds nor RFC 3339 (2027-01-01T00:00:00Z or with +HH:MM)")
    };
    let t: jiff::Timestamp = s.parse().map_err(|_| bad())?;
    u64::try_from(t.as_second()).map_err(|_| bad())
}

/// Unix seconds as RFC 3339 in UTC (`2027-01-01T00:00:00Z`).
pub(crate) fn format_time(t: u64) -> String {
    i64::try_from(t)
        .ok()
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map_or_else(
            || format!("@{t}"),
            |ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

/// A writer that hashes what it passes on, so that output is hashed once, as it is written.
pub(crate) struct HashWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> HashWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        use sha2::Digest;
        Self {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    /// The SHA-256 of everything written.
    pub(crate) fn finish(self) -> otaseal_wire::Sha256Checksum {
        use sha2::Digest;
        otaseal_wire::Sha256Checksum::from_bytes(self.hasher.finalize().into())
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_and_unix_seconds() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1798761600"), Ok(1_798_761_600));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2027-01-01T00:00:00Z"), Ok(1_798_761_600));
        assert_eq!(parse_time("2027-01-01t00:00:00z"), Ok(1_798_761_600));
        assert_eq!(parse_time("2027-01-01 02:00:00+02:00"), Ok(1_798_761_600));
        assert_eq!(parse_time("2026-12-31T19:00:00-05:00"), Ok(1_798_761_600));
        assert_eq!(parse_time("2027-01-01T00:00:00.999Z"), Ok(1_798_761_600));
        assert_eq!(parse_time("2024-02-29T12:00:00Z"), Ok(1_709_208_000));
        assert_eq!(parse_time("2000-03-01T00:00:00Z"), Ok(951_868_800));
        for bad in [
            "",
            "2027-01-01",
            "2027-01-01T00:00:00",
            "2027-13-01T00:00:00Z",
            "2027-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2027-01-01T24:00:00Z",
            "2027-01-01T00:00:00Zjunk",
            "1969-12-31T23:59:59Z",
            "-1",
            "+5",
            "99999999999999999999999",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formatting_inverts_parsing() {
        for t in [
            0u64,
            951_868_800,
            1_709_208_000,
            1_798_761_600,
            4_102_444_799,
        ] {
            let s = format_time(t);
            assert_eq!(parse_time(&s), Ok(t), "{s}");
        }
        assert_eq!(format_time(1_798_761_600), "2027-01-01T00:00:00Z");
    }
}
