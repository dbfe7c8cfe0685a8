//! Batch migration of stored V1 bundles, resumable after a crash (`spec/v1.md` section 7
//! step 3).
//!
//! Input: a JSON list of V1 bundles, `[{"file": "...", "ivSessionKey": "...",
//! "checksum": "crc32 hex"}]` (`checksum` optional), with `file` relative to a base directory.
//! Output, in an output directory: one V2 bundle per entry, under the entry's file name; a
//! journal [`JOURNAL_FILE`] that gets one JSON line, flushed to disk, after each bundle; and at
//! the end of each run the report [`REPORT_FILE`], written atomically.
//!
//! A bundle that fails (missing file, bad ivSessionKey, wrong key, corrupt body, CRC32
//! mismatch) is recorded as failed and skipped; it never stops the others or touches their
//! output. A run that is interrupted (crash, power loss) is resumed by running it again: a
//! bundle recorded as migrated, from the same V1 `ivSessionKey`, whose output still exists with
//! the recorded size, is not redone; everything else is. Each record carries the number of the
//! run that produced it.

use core::fmt;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use otaseal_envelope::io::{Existing, Mode, OutputError, remove_stale_in, write_file};
use otaseal_wire::{Crc32Checksum, IvSessionKey, Limit, LimitExceeded, Limits};
use serde::{Deserialize, Serialize};

use crate::{MigrateError, Migrator};

/// Why a batch as a whole could not run (a single bundle's failure is a failed record).
#[derive(Debug)]
#[non_exhaustive]
pub enum BatchError {
    /// The batch list or report is larger than its limit.
    TooLarge(LimitExceeded),
    /// The batch list is not a JSON array of `{"file", "ivSessionKey", "checksum"?}`, or a
    /// report is not a batch report.
    Json(serde_json::Error),
    /// A report's `format` is not [`REPORT_FORMAT`].
    WrongFormat {
        /// The format found.
        found: String,
    },
    /// Another batch migration holds the output directory's journal lock.
    Locked {
        /// The output directory.
        out_dir: PathBuf,
    },
    /// The journal or the report could not be written.
    Output(OutputError),
    /// A file system operation failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl BatchError {
    fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        BatchError::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::TooLarge(e) => write!(f, "{e}"),
            BatchError::Json(_) => f.write_str(
                "not a JSON array of {\"file\", \"ivSessionKey\", \"checksum\"?} entries (or not a batch report)",
            ),
            BatchError::WrongFormat { found } => {
                write!(f, "the report has format {found:?}, expected {REPORT_FORMAT:?}")
            }
            BatchError::Locked { out_dir } => write!(
                f,
                "another batch migration is running on {}",
                out_dir.display()
            ),
            BatchError::Output(e) => write!(f, "{e}"),
            BatchError::Io { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BatchError::Json(e) => Some(e),
            BatchError::Output(e) => e.source(),
            BatchError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<OutputError> for BatchError {
    fn from(e: OutputError) -> Self {
        BatchError::Output(e)
    }
}

/// The journal in the output directory: one [`BatchRecord`] per line, appended and synced
/// after each bundle; read back to resume.
pub const JOURNAL_FILE: &str = "otaseal-migrate.journal.jsonl";
/// The report in the output directory: a [`BatchReport`], rewritten atomically at the end of
/// each run.
pub const REPORT_FILE: &str = "otaseal-migrate.report.json";
/// The report's `format` value.
pub const REPORT_FORMAT: &str = "otaseal-migrate-report/1";

/// Longest journal line read back, in bytes; longer (corrupt) lines are ignored.
const MAX_JOURNAL_LINE: usize = 64 << 10;

/// One V1 bundle of a batch list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BatchEntry {
    /// The V1 ciphertext, relative to the batch's base directory (or absolute).
    pub file: String,
    /// Its V1 `ivSessionKey` (JSON `ivSessionKey`; `iv_session_key` and the update API's
    /// `session_key` are read too).
    #[serde(
        rename = "ivSessionKey",
        alias = "iv_session_key",
        alias = "session_key"
    )]
    pub iv_session_key: String,
    /// Its CRC32 (8 lower-case hex characters), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
}

impl BatchEntry {
    /// An entry.
    #[must_use]
    pub fn new(file: String, iv_session_key: String, checksum: Option<String>) -> Self {
        Self {
            file,
            iv_session_key,
            checksum,
        }
    }
}

/// Parses a batch list, bounded by `limits.max_json_len` bytes and
/// `limits.max_manifest_entries` entries.
///
/// # Errors
/// [`BatchError::TooLarge`], [`BatchError::Json`].
pub fn parse_list(json: &[u8], limits: &Limits) -> Result<Vec<BatchEntry>, BatchError> {
    limits
        .check(Limit::JsonLen, json.len() as u64)
        .map_err(BatchError::TooLarge)?;
    let entries: Vec<BatchEntry> = serde_json::from_slice(json).map_err(BatchError::Json)?;
    limits
        .check(Limit::ManifestEntries, entries.len() as u64)
        .map_err(BatchError::TooLarge)?;
    Ok(entries)
}

/// The outcome of one bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Status {
    /// Migrated: the V2 bundle is in the output directory.
    Migrated,
    /// Dry run: the V1 bundle decrypted and verified; nothing was written.
    Verified,
    /// Failed; see the record's `error`. Retried by the next run.
    Failed,
}

/// The record of one bundle in the journal and the report, in otaseal's JSON vocabulary
/// (`docs/json.md`); the names of reports written before it are read too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchRecord {
    /// The entry's `file`, as given in the list (JSON `file`).
    #[serde(rename = "file", alias = "old_name")]
    pub old_name: String,
    /// The V2 bundle's file name in the output directory (JSON `filename`).
    #[serde(rename = "filename", alias = "new_name")]
    pub new_name: Option<String>,
    /// The V1 `ivSessionKey` the entry was migrated from (identifies the input on resume; JSON
    /// `v1_ivSessionKey`).
    #[serde(rename = "v1_ivSessionKey", alias = "v1_iv_session_key")]
    pub v1_iv_session_key: String,
    /// The new V2 `ivSessionKey` (the update API's `session_key`; JSON `ivSessionKey`).
    #[serde(rename = "ivSessionKey", alias = "iv_session_key")]
    pub iv_session_key: Option<String>,
    /// The new signed checksum (API `checksum`).
    pub checksum: Option<String>,
    /// SHA-256 of the plaintext zip, lower-case hex.
    pub sha256: Option<String>,
    /// CRC32 of the plaintext, lower-case hex.
    pub crc32: Option<String>,
    /// Size of the V2 bundle in bytes (checked on resume; JSON `ciphertext_len`).
    #[serde(rename = "ciphertext_len", alias = "size")]
    pub size: Option<u64>,
    /// The outcome.
    pub status: Status,
    /// Why it failed (JSON `message`: in otaseal's vocabulary `error` is a code).
    #[serde(rename = "message", alias = "error")]
    pub error: Option<String>,
    /// The run (1, 2, ...) that produced this record.
    pub run: u32,
}

impl BatchRecord {
    /// A record of `entry` with nothing known yet but its outcome.
    fn new(entry: &BatchEntry, status: Status, run: u32) -> Self {
        Self {
            old_name: entry.file.clone(),
            new_name: None,
            v1_iv_session_key: entry.iv_session_key.clone(),
            iv_session_key: None,
            checksum: None,
            sha256: None,
            crc32: None,
            size: None,
            status,
            error: None,
            run,
        }
    }

    fn failed(entry: &BatchEntry, new_name: Option<String>, error: String, run: u32) -> Self {
        Self {
            new_name,
            error: Some(error),
            ..Self::new(entry, Status::Failed, run)
        }
    }
}

/// The report of a batch: one record per list entry, in list order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchReport {
    /// [`REPORT_FORMAT`].
    pub format: String,
    /// How many runs have worked on this output directory, this one included.
    pub runs: u32,
    /// Bundles migrated (in this run or an earlier one).
    pub migrated: usize,
    /// Bundles migrated by this run.
    pub migrated_this_run: usize,
    /// Bundles found migrated by an earlier run and not redone.
    pub resumed: usize,
    /// Bundles verified without writing (dry run; JSON `checked`: in otaseal's vocabulary
    /// `verified` says whether an output was authenticated).
    #[serde(rename = "checked", alias = "verified")]
    pub verified: usize,
    /// Bundles that failed.
    pub failed: usize,
    /// Whether this run was a dry run (nothing written).
    pub dry_run: bool,
    /// The records.
    pub bundles: Vec<BatchRecord>,
}

/// Where a batch reads and writes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Directory that relative `file` paths are resolved against.
    pub base_dir: PathBuf,
    /// Directory that receives the V2 bundles, the journal and the report; created if needed.
    pub out_dir: PathBuf,
    /// Check every V1 bundle without writing anything (no output, journal or report).
    pub dry_run: bool,
}

impl BatchOptions {
    /// Options for a real run.
    #[must_use]
    pub fn new(base_dir: PathBuf, out_dir: PathBuf) -> Self {
        Self {
            base_dir,
            out_dir,
            dry_run: false,
        }
    }
}

/// Migrates every entry of a batch with `migrator`, resuming an earlier run on the same output
/// directory, and returns the report (also written to [`REPORT_FILE`] unless dry-run).
/// `progress` is called after each entry with its record and whether it was resumed.
///
/// # Errors
/// Only for the batch as a whole: the output directory, journal or report cannot be created
/// or written ([`BatchError::Io`], [`BatchError::Output`]), or another run holds the output
/// directory's journal lock ([`BatchError::Locked`]). Every per-bundle problem is a failed
/// record instead.
pub fn run(
    migrator: &Migrator<'_>,
    entries: &[BatchEntry],
    options: &BatchOptions,
    progress: &mut dyn FnMut(&BatchRecord, bool),
) -> Result<BatchReport, BatchError> {
    let out_dir = &options.out_dir;
    let journal_path = out_dir.join(JOURNAL_FILE);
    let report_path = out_dir.join(REPORT_FILE);
    let (previous, last_run) = read_journal(&journal_path, &report_path)?;
    let this_run = last_run.saturating_add(1);
    let mut journal = if options.dry_run {
        None
    } else {
        fs::create_dir_all(out_dir).map_err(|e| BatchError::io(out_dir, e))?;
        let journal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal_path)
            .map_err(|e| BatchError::io(&journal_path, e))?;
        // One run per output directory at a time. The OS releases the lock if the process
        // dies, so a crash never blocks the resume.
        journal.try_lock().map_err(|e| match e {
            fs::TryLockError::WouldBlock => BatchError::Locked {
                out_dir: out_dir.clone(),
            },
            fs::TryLockError::Error(e) => BatchError::io(&journal_path, e),
        })?;
        // What a crashed run left (on systems without unnamed files).
        remove_stale_in(out_dir)?;
        Some(journal)
    };
    let reserved: HashSet<&str> = [JOURNAL_FILE, REPORT_FILE].into_iter().collect();
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut records = Vec::with_capacity(entries.len());
    let mut resumed = 0usize;
    for (index, entry) in entries.iter().enumerate() {
        let new_name = output_name(&entry.file);
        let claim = new_name.as_ref().map(|n| match used.get(n) {
            Some(&other) => Err(other),
            None => {
                used.insert(n.clone(), index);
                Ok(())
            }
        });
        let (record, was_resumed) = match (new_name, claim) {
            (None, _) => (
                BatchRecord::failed(
                    entry,
                    None,
                    format!(
                        "\"{}\" has no file name to write the V2 bundle as",
                        entry.file
                    ),
                    this_run,
                ),
                false,
            ),
            (Some(name), _) if reserved.contains(name.as_str()) => (
                BatchRecord::failed(
                    entry,
                    Some(name.clone()),
                    format!("\"{name}\" is the name of the batch's journal or report"),
                    this_run,
                ),
                false,
            ),
            (Some(name), Some(Err(other))) => (
                BatchRecord::failed(
                    entry,
                    Some(name.clone()),
                    format!(
                        "entry {} of the list is already written as \"{name}\"",
                        other + 1
                    ),
                    this_run,
                ),
                false,
            ),
            (Some(name), _) => {
                let dest = out_dir.join(&name);
                match previous.get(&entry.file) {
                    Some(done) if is_finished(done, entry, &name, &dest) => (done.clone(), true),
                    _ => (
                        migrate_one(migrator, entry, name, &dest, options, this_run),
                        false,
                    ),
                }
            }
        };
        if was_resumed {
            resumed += 1;
        } else if let Some(j) = journal.as_mut() {
            append_record(j, &record).map_err(|e| BatchError::io(&journal_path, e))?;
        }
        progress(&record, was_resumed);
        records.push(record);
    }
    let count = |s: Status| records.iter().filter(|r| r.status == s).count();
    let report = BatchReport {
        format: REPORT_FORMAT.into(),
        runs: if options.dry_run { last_run } else { this_run },
        migrated: count(Status::Migrated),
        migrated_this_run: count(Status::Migrated) - resumed,
        resumed,
        verified: count(Status::Verified),
        failed: count(Status::Failed),
        dry_run: options.dry_run,
        bundles: records,
    };
    if !options.dry_run {
        let json = serde_json::to_vec_pretty(&report).map_err(BatchError::Json)?;
        write_file(&report_path, &json, Mode::Umask, Existing::Replace)?;
        // The journal now holds no more than the report: compact it to this run's records so
        // that it does not grow without bound over many runs.
        let mut compact = Vec::new();
        for r in &report.bundles {
            write_record_line(&mut compact, r).map_err(|e| BatchError::io(&journal_path, e))?;
        }
        write_file(&journal_path, &compact, Mode::Umask, Existing::Replace)?;
    }
    Ok(report)
}

/// The output file name for a list entry: its last path component.
fn output_name(file: &str) -> Option<String> {
    let name = Path::new(file).file_name()?.to_str()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether an earlier record says this entry is done and its output is still there.
fn is_finished(done: &BatchRecord, entry: &BatchEntry, name: &str, dest: &Path) -> bool {
    done.status == Status::Migrated
        && done.v1_iv_session_key == entry.iv_session_key
        && done.new_name.as_deref() == Some(name)
        && fs::metadata(dest).is_ok_and(|m| m.is_file() && Some(m.len()) == done.size)
}

fn migrate_one(
    migrator: &Migrator<'_>,
    entry: &BatchEntry,
    name: String,
    dest: &Path,
    options: &BatchOptions,
    run: u32,
) -> BatchRecord {
    let src = options.base_dir.join(&entry.file);
    match migrate_entry(migrator, entry, &src, dest, options.dry_run) {
        Ok(mut r) => {
            r.new_name = Some(name);
            r.run = run;
            r
        }
        Err(e) => BatchRecord::failed(entry, Some(name), e, run),
    }
}

fn migrate_entry(
    migrator: &Migrator<'_>,
    entry: &BatchEntry,
    src: &Path,
    dest: &Path,
    dry_run: bool,
) -> Result<BatchRecord, String> {
    let limits = migrator.limits_ref();
    let ivsk = IvSessionKey::parse(&entry.iv_session_key, limits).map_err(|e| e.to_string())?;
    let crc = entry
        .checksum
        .as_deref()
        .map(str::parse::<Crc32Checksum>)
        .transpose()
        .map_err(|e| format!("{e} (expected the V1 CRC32, 8 lower-case hex)"))?;
    if !src.is_file() {
        return Err(format!("{} is not a file", src.display()));
    }
    // Renaming the V2 bundle over its own V1 input would lose the input if the run then
    // crashed before recording it: refuse.
    if let (Ok(a), Ok(b)) = (fs::canonicalize(src), fs::canonicalize(dest))
        && a == b
    {
        return Err(format!(
            "the output {} is the input itself; choose another output directory",
            dest.display()
        ));
    }
    let ctx = |e: MigrateError| format!("{}: {}", src.display(), chain(&e));
    let mut record = BatchRecord::new(entry, Status::Verified, 0);
    if dry_run {
        let v = migrator.check_v1_file(src, &ivsk, crc).map_err(ctx)?;
        record.crc32 = Some(v.crc32.to_string());
    } else {
        let out = migrator.migrate_file(src, dest, &ivsk, crc).map_err(ctx)?;
        record.iv_session_key = Some(out.iv_session_key.to_string());
        record.checksum = Some(out.signed_checksum.to_string());
        record.sha256 = Some(out.checksum.to_hex());
        record.crc32 = Some(out.v1_crc32.to_string());
        record.size = Some(out.ciphertext_len);
        record.status = Status::Migrated;
    }
    Ok(record)
}

/// An error and its causes, `: `-separated, for a record's `error` field.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

fn write_record_line(out: &mut impl Write, record: &BatchRecord) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}

/// Appends one record to the journal as one `write` of a whole line, then syncs the file, so
/// that a crash leaves at worst a torn last line, which [`read_journal`] ignores.
fn append_record(journal: &mut File, record: &BatchRecord) -> io::Result<()> {
    let mut line = Vec::new();
    write_record_line(&mut line, record)?;
    journal.write_all(&line)?;
    journal.sync_data()?;
    Ok(())
}

/// Reads what earlier runs recorded: the last record per `old_name`, and the highest run
/// number (from the journal, or the report if the journal is gone). Torn, corrupt or
/// over-long lines are skipped: they only cause a bundle to be redone.
fn read_journal(
    journal: &Path,
    report: &Path,
) -> Result<(HashMap<String, BatchRecord>, u32), BatchError> {
    let mut records = HashMap::new();
    let mut last_run = 0u32;
    if let Ok(r) = read_report(report) {
        last_run = r.runs;
    }
    let file = match File::open(journal) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((records, last_run)),
        Err(e) => return Err(BatchError::io(journal, e)),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_JOURNAL_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| BatchError::io(journal, e))?;
        if n == 0 {
            break;
        }
        if line.last() != Some(&b'\n') {
            if n > MAX_JOURNAL_LINE {
                // Skip the rest of an over-long line.
                let mut sink = Vec::new();
                reader
                    .read_until(b'\n', &mut sink)
                    .map_err(|e| BatchError::io(journal, e))?;
            }
            continue; // torn last line or over-long line
        }
        if let Ok(r) = serde_json::from_slice::<BatchRecord>(&line) {
            last_run = last_run.max(r.run);
            records.insert(r.old_name.clone(), r);
        }
    }
    Ok((records, last_run))
}

/// Reads a batch report written by [`run`].
///
/// # Errors
/// [`BatchError::Io`] if it cannot be read; [`BatchError::Json`] or
/// [`BatchError::WrongFormat`] if it is not a report.
pub fn read_report(path: &Path) -> Result<BatchReport, BatchError> {
    let limits = Limits::default();
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| {
            f.take(limits.max_json_len as u64 * 16 + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| BatchError::io(path, e))?;
    let report: BatchReport = serde_json::from_slice(&bytes).map_err(BatchError::Json)?;
    if report.format != REPORT_FORMAT {
        return Err(BatchError::WrongFormat {
            found: report.format,
        });
    }
    Ok(report)
}
