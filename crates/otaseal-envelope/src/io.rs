//! Output that gets its name only once verified, and input checked against its limit before
//! any work: the one implementation every otaseal command and library function uses
//! (`spec/v2.md` 8.1, `SECURITY.md` "Files").
//!
//! - [`PendingFile`]: a file that is written, verified, then [`persist`](PendingFile::persist)ed
//!   under its destination name. On Linux it has no name at all until then (`O_TMPFILE`, then
//!   `linkat`), so a crash, a kill or a full disk leaves nothing behind; elsewhere (or on a file
//!   system without `O_TMPFILE`) it is a temporary file beside the destination whose name is
//!   derived from the destination, and stale ones are removed the next time that destination is
//!   written. An existing destination is untouched until the final rename, and the folder is
//!   synced after it.
//! - [`StagingDir`]: the same for a folder (delta manifests), committed by an atomic exchange
//!   where the OS has one.
//! - [`open_input`]: opens a file and checks its size against a [`Limit`] before anything is
//!   read; [`ensure_distinct`] refuses an output that is the input.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use otaseal_wire::{Limit, LimitExceeded, Limits};

/// The permissions of a file otaseal writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Readable and writable by the owner only (`0600` on Unix): private keys and decrypted
    /// plaintext. The default.
    #[default]
    Private,
    /// What a new file gets from the process umask (`0666 & !umask`): public keys, ciphertext,
    /// manifests.
    Umask,
    /// The mode of the file it replaces, or [`Mode::Umask`] for a new file: rewritten
    /// configuration files.
    KeepExisting,
}

/// What to do when the destination exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Existing {
    /// Replace it, atomically, once the new content is verified. The default.
    #[default]
    Replace,
    /// Refuse: checked before any work, and again (without a race) at the final link.
    Refuse,
}

/// An output could not be created or given its name.
#[derive(Debug)]
#[non_exhaustive]
pub enum OutputError {
    /// The destination exists and [`Existing::Refuse`] was asked for.
    Exists(PathBuf),
    /// The destination is a folder where a file is to be written.
    IsFolder(PathBuf),
    /// The destination exists and is not a folder, where a folder is to be written.
    NotFolder(PathBuf),
    /// The destination is the input itself.
    SameAsInput(PathBuf),
    /// A symbolic link where the destination should be; links are never followed.
    Symlink(PathBuf),
    /// A file system operation failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl OutputError {
    fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        OutputError::Io {
            path: path.into(),
            source,
        }
    }
}

impl core::fmt::Display for OutputError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OutputError::Exists(p) => {
                write!(f, "{} already exists", p.display())
            }
            OutputError::IsFolder(p) => {
                write!(
                    f,
                    "{} is a folder; give the name of the file to write",
                    p.display()
                )
            }
            OutputError::NotFolder(p) => write!(
                f,
                "{} exists and is not a folder; give the name of a folder to write",
                p.display()
            ),
            OutputError::SameAsInput(p) => {
                write!(
                    f,
                    "{} is the input itself; choose another output",
                    p.display()
                )
            }
            OutputError::Symlink(p) => write!(
                f,
                "{} is a symbolic link; links are not followed",
                p.display()
            ),
            OutputError::Io { path, .. } => write!(f, "cannot write {}", path.display()),
        }
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutputError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An input could not be opened, or is over its limit.
#[derive(Debug)]
#[non_exhaustive]
pub enum InputError {
    /// The input is larger than its limit: found from its size, before anything was read.
    TooLarge(LimitExceeded),
    /// The input is a folder or another kind of entry that is not a file.
    NotAFile(PathBuf),
    /// Opening or reading it failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl core::fmt::Display for InputError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InputError::TooLarge(e) => write!(f, "{e}"),
            InputError::NotAFile(p) => write!(f, "{} is not a file", p.display()),
            InputError::Io { path, .. } => write!(f, "cannot read {}", path.display()),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Opens `path` for reading and checks its size against `limit` before anything is read
/// (`spec/v2.md` 8.1 step 5). Returns the file and its size.
///
/// # Errors
/// [`InputError::TooLarge`], [`InputError::NotAFile`], [`InputError::Io`].
pub fn open_input(path: &Path, limit: Limit, limits: &Limits) -> Result<(File, u64), InputError> {
    let file = File::open(path).map_err(|source| InputError::Io {
        path: path.to_owned(),
        source,
    })?;
    let meta = file.metadata().map_err(|source| InputError::Io {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_dir() {
        return Err(InputError::NotAFile(path.to_owned()));
    }
    // Pipes and character devices have no size; their readers stop at the limit instead.
    if meta.is_file() {
        limits
            .check(limit, meta.len())
            .map_err(InputError::TooLarge)?;
    }
    Ok((file, meta.len()))
}

/// Refuses an output that is the input: the same path, or the same file through another name.
///
/// # Errors
/// [`OutputError::SameAsInput`].
pub fn ensure_distinct(input: &Path, output: &Path) -> Result<(), OutputError> {
    if input == output {
        return Err(OutputError::SameAsInput(output.to_owned()));
    }
    if let (Ok(a), Ok(b)) = (fs::metadata(input), fs::metadata(output))
        && same_file(&a, &b)
    {
        return Err(OutputError::SameAsInput(output.to_owned()));
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    false
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
pub(crate) fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The folder that holds `dest`.
fn parent_of(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The marker in every temporary name otaseal gives: `.{destination name}.otaseal-{random}.{kind}`.
const MARKER: &str = ".otaseal-";
/// Kinds of temporary names.
const PART: &str = "part"; // a file being written (named fallback)
const NEW: &str = "new"; // a verified file linked in, about to be renamed over its destination
const STAGING: &str = "staging"; // a folder being filled
const OLD: &str = "old"; // a replaced folder, moved aside until the new one is in place

/// The prefix of every temporary name for `dest`: `.{name}.otaseal-`. Long names are cut so
/// that the whole temporary name stays under 255 bytes.
fn temp_prefix(dest: &Path) -> OsString {
    let name = dest.file_name().unwrap_or_else(|| OsStr::new("out"));
    let bytes = name.as_encoded_bytes();
    let cut = if bytes.len() > 200 {
        // Cut at a char boundary of the (possibly non-UTF-8) name: keep it simple and lossy.
        OsString::from(String::from_utf8_lossy(&bytes[..200]).into_owned())
    } else {
        name.to_owned()
    };
    let mut s = OsString::from(".");
    s.push(cut);
    s.push(MARKER);
    s
}

fn temp_name(dest: &Path, kind: &str) -> io::Result<PathBuf> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
    let mut name = temp_prefix(dest);
    for b in random {
        name.push(format!("{b:02x}"));
    }
    name.push(".");
    name.push(kind);
    Ok(parent_of(dest).join(name))
}

/// Splits a temporary name `.{destination name}.otaseal-{16 hex}.{kind}` into the destination
/// name and the kind; `None` for any other name.
fn parse_temp_name(name: &OsStr) -> Option<(&[u8], &str)> {
    let bytes = name.as_encoded_bytes().strip_prefix(b".")?;
    let marker = MARKER.as_bytes();
    let at = bytes.windows(marker.len()).rposition(|w| w == marker)?;
    let (dest, rest) = (&bytes[..at], &bytes[at + marker.len()..]);
    let (random, kind) = std::str::from_utf8(rest).ok()?.split_once('.')?;
    (random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit())).then_some((dest, kind))
}

/// Removes what interrupted writes left in `dir`: every temporary entry otaseal names (for the
/// destination `only` if given, else for any), and puts back a folder that a crash left moved
/// aside (its destination missing and its `.old` copy present).
fn sweep(dir: &Path, only: Option<&OsStr>) -> Result<(), OutputError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(OutputError::io(dir, e)),
    };
    let only = only.map(|o| {
        // Compare with the (possibly cut) name the prefix holds.
        let p = temp_prefix(Path::new(o));
        p.as_encoded_bytes()[1..p.len() - MARKER.len()].to_vec()
    });
    for entry in entries {
        let entry = entry.map_err(|e| OutputError::io(dir, e))?;
        let name = entry.file_name();
        let Some((dest_name, kind)) = parse_temp_name(&name) else {
            continue;
        };
        if only.as_deref().is_some_and(|o| o != dest_name) {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let gone = |r: io::Result<()>| match r {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(OutputError::io(&path, e)),
            _ => Ok(()),
        };
        match kind {
            PART | NEW if !is_dir => gone(fs::remove_file(&path))?,
            STAGING if is_dir => gone(fs::remove_dir_all(&path))?,
            OLD if is_dir => {
                let Some(dest) = os_str(dest_name).map(|n| dir.join(n)) else {
                    continue;
                };
                if fs::symlink_metadata(&dest).is_err() {
                    fs::rename(&path, &dest).map_err(|e| OutputError::io(&dest, e))?;
                } else {
                    gone(fs::remove_dir_all(&path))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Bytes of a file name back as a name.
fn os_str(bytes: &[u8]) -> Option<&OsStr> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(OsStr::new)
    }
}

/// Removes what an interrupted earlier write of `dest` left beside it.
fn remove_stale(dest: &Path) -> Result<(), OutputError> {
    sweep(parent_of(dest), dest.file_name())
}

/// Removes every temporary file and staging folder that interrupted otaseal writes left in
/// `dir`, whatever their destination (on systems without unnamed files, a crash leaves them
/// under names derived from the destination), and puts back a folder that a crash left moved
/// aside. For tools that own a whole folder, such as a batch migration.
///
/// # Errors
/// [`OutputError::Io`].
pub fn remove_stale_in(dir: &Path) -> Result<(), OutputError> {
    sweep(dir, None)
}

/// Fails if `dest` is a symbolic link, the wrong kind of entry, or exists when it must not.
fn check_destination(dest: &Path, want_dir: bool, existing: Existing) -> Result<(), OutputError> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::io(dest, e)),
        Ok(m) if m.file_type().is_symlink() => Err(OutputError::Symlink(dest.to_owned())),
        Ok(m) if m.is_dir() && !want_dir => Err(OutputError::IsFolder(dest.to_owned())),
        Ok(m) if !m.is_dir() && want_dir => Err(OutputError::NotFolder(dest.to_owned())),
        Ok(_) if want_dir && existing == Existing::Refuse => {
            // An empty folder may be filled.
            let empty = fs::read_dir(dest)
                .map_err(|e| OutputError::io(dest, e))?
                .next()
                .is_none();
            if empty {
                Ok(())
            } else {
                Err(OutputError::Exists(dest.to_owned()))
            }
        }
        Ok(_) if existing == Existing::Refuse => Err(OutputError::Exists(dest.to_owned())),
        Ok(_) => Ok(()),
    }
}

/// Syncs a folder, so that a rename in it survives a power loss.
fn sync_dir(dir: &Path) -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| OutputError::io(dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// How a [`PendingFile`] exists on disk until it is persisted.
#[derive(Debug)]
enum Backing {
    /// No name at all (Linux `O_TMPFILE`): nothing to clean up, ever.
    Unnamed,
    /// A temporary name beside the destination, removed on drop.
    Named(PathBuf),
}

/// A file that exists under its destination name only once [`persist`](Self::persist) is
/// called, after its content was verified.
///
/// ```
/// use std::io::Write;
/// use otaseal_envelope::io::{Existing, Mode, PendingFile};
///
/// let dir = tempfile::tempdir()?;
/// let dest = dir.path().join("out.zip");
/// let mut out = PendingFile::create(&dest, Mode::Private, Existing::Refuse)?;
/// out.write_all(b"verified bytes")?;
/// assert!(!dest.exists()); // no name yet
/// out.persist()?;
/// assert_eq!(std::fs::read(&dest)?, b"verified bytes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PendingFile {
    file: File,
    dest: PathBuf,
    backing: Backing,
    mode: Mode,
    existing: Existing,
    writeback: Writeback,
}

/// Bytes written between two write-back starts.
const WRITEBACK_EVERY: u64 = 8 << 20;

/// Write-back that overlaps with writing: every [`WRITEBACK_EVERY`] bytes a helper thread syncs
/// the data written so far, so that the sync of [`PendingFile::persist`] has little left to do
/// (the data stays unnamed, or under its temporary name, until then).
#[derive(Debug, Default)]
struct Writeback {
    written: u64,
    next_at: u64,
    worker: Option<(std::sync::mpsc::SyncSender<()>, std::thread::JoinHandle<()>)>,
}

impl Writeback {
    fn wrote(&mut self, n: usize, file: &File) {
        self.written = self.written.saturating_add(n as u64);
        if self.written < self.next_at.max(WRITEBACK_EVERY) {
            return;
        }
        self.next_at = self.written.saturating_add(WRITEBACK_EVERY);
        if self.worker.is_none() {
            let Ok(clone) = file.try_clone() else { return };
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
            let Ok(handle) = std::thread::Builder::new()
                .name("otaseal-writeback".into())
                .spawn(move || {
                    for () in rx {
                        // A failure shows again, and is reported, at the final sync.
                        let _ = clone.sync_data();
                    }
                })
            else {
                return;
            };
            self.worker = Some((tx, handle));
        }
        if let Some((tx, _)) = &self.worker {
            // A sync already queued covers this data too.
            let _ = tx.try_send(());
        }
    }

    /// Waits for the helper thread to finish its last sync.
    fn stop(&mut self) {
        if let Some((tx, handle)) = self.worker.take() {
            drop(tx);
            let _ = handle.join();
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        self.stop();
    }
}

impl PendingFile {
    /// Prepares to write `dest`: checks it (not a folder or a link; absent if `existing` is
    /// [`Existing::Refuse`]), removes what an interrupted earlier write of `dest` left behind,
    /// and opens a file without a name in `dest`'s folder (or a temporary one where the OS or
    /// file system cannot).
    ///
    /// # Errors
    /// [`OutputError`].
    pub fn create(dest: &Path, mode: Mode, existing: Existing) -> Result<Self, OutputError> {
        check_destination(dest, false, existing)?;
        remove_stale(dest)?;
        let create_mode = match mode {
            Mode::Private => 0o600,
            Mode::Umask | Mode::KeepExisting => 0o666,
        };
        let (file, backing) = match open_unnamed(parent_of(dest), create_mode) {
            Some(file) => (file, Backing::Unnamed),
            None => {
                let path = temp_name(dest, PART).map_err(|e| OutputError::io(dest, e))?;
                let file = open_new(&path, create_mode).map_err(|e| OutputError::io(&path, e))?;
                (file, Backing::Named(path))
            }
        };
        Ok(Self {
            file,
            dest: dest.to_owned(),
            backing,
            mode,
            existing,
            writeback: Writeback::default(),
        })
    }

    /// The destination.
    #[must_use]
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The open file (readable and writable), for example to read the content back and verify
    /// it before persisting.
    #[must_use]
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Rewinds the file to its start, to read back what was written.
    ///
    /// # Errors
    /// [`OutputError::Io`].
    pub fn rewind(&mut self) -> Result<&mut File, OutputError> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| OutputError::io(&self.dest, e))?;
        Ok(&mut self.file)
    }

    /// Gives the file its name: sets its mode, syncs it to disk, links (or renames) it to the
    /// destination, replacing an existing one atomically if allowed, and syncs the folder.
    ///
    /// # Errors
    /// [`OutputError`]; nothing is left under the destination name on error, and an existing
    /// destination is as it was.
    pub fn persist(mut self) -> Result<(), OutputError> {
        let dest = self.dest.clone();
        let io_err = |e| OutputError::io(&dest, e);
        self.apply_mode().map_err(io_err)?;
        self.file.flush().map_err(io_err)?;
        self.writeback.stop();
        self.file.sync_all().map_err(io_err)?;
        let backing = std::mem::replace(&mut self.backing, Backing::Unnamed);
        match (backing, self.existing) {
            (Backing::Unnamed, Existing::Refuse) => {
                link_unnamed(&self.file, &dest).map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => OutputError::Exists(dest.clone()),
                    _ => io_err(e),
                })?;
            }
            (Backing::Unnamed, Existing::Replace) => {
                let new = temp_name(&dest, NEW).map_err(io_err)?;
                link_unnamed(&self.file, &new).map_err(|e| OutputError::io(&new, e))?;
                if let Err(e) = fs::rename(&new, &dest) {
                    let _ = fs::remove_file(&new);
                    return Err(io_err(e));
                }
            }
            (Backing::Named(path), Existing::Refuse) => {
                // A hard link fails if the destination exists: no race with another writer.
                let linked = fs::hard_link(&path, &dest);
                let _ = fs::remove_file(&path);
                linked.map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => OutputError::Exists(dest.clone()),
                    _ => io_err(e),
                })?;
            }
            (Backing::Named(path), Existing::Replace) => {
                if let Err(e) = fs::rename(&path, &dest) {
                    let _ = fs::remove_file(&path);
                    return Err(io_err(e));
                }
            }
        }
        sync_dir(parent_of(&dest))
    }

    fn apply_mode(&self) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if self.mode == Mode::KeepExisting
                && let Ok(m) = fs::metadata(&self.dest)
            {
                self.file
                    .set_permissions(fs::Permissions::from_mode(m.permissions().mode() & 0o7777))?;
            }
        }
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Backing::Named(path) = &self.backing {
            let _ = fs::remove_file(path);
        }
    }
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.writeback.wrote(n, &self.file);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Seek for PendingFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl Read for PendingFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

/// Opens a new file `path` for reading and writing, failing if it exists; `mode` is reduced by
/// the umask.
fn open_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    o.open(path)
}

/// A file without a name in `dir` (Linux `O_TMPFILE`), or `None` where the OS or the file
/// system has none.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn open_unnamed(dir: &Path, mode: u32) -> Option<File> {
    use rustix::fs::{CWD, Mode as RMode, OFlags, openat};
    openat(
        CWD,
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        RMode::from_raw_mode(mode),
    )
    .ok()
    .map(File::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn open_unnamed(_dir: &Path, _mode: u32) -> Option<File> {
    None
}

/// Gives an `O_TMPFILE` file the name `path` (fails if `path` exists).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn link_unnamed(file: &File, path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    use rustix::fs::{AtFlags, CWD, linkat};
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    match linkat(CWD, proc_path.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(()),
        // Without /proc, linking the descriptor itself needs CAP_DAC_READ_SEARCH.
        Err(e) if e == rustix::io::Errno::NOENT => {
            linkat(file, "", CWD, path, AtFlags::EMPTY_PATH).map_err(io::Error::from)
        }
        Err(e) => Err(io::Error::from(e)),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn link_unnamed(_file: &File, _path: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Writes `bytes` to `dest` through a [`PendingFile`].
///
/// # Errors
/// [`OutputError`].
pub fn write_file(
    dest: &Path,
    bytes: &[u8],
    mode: Mode,
    existing: Existing,
) -> Result<(), OutputError> {
    let mut out = PendingFile::create(dest, mode, existing)?;
    out.write_all(bytes).map_err(|e| OutputError::io(dest, e))?;
    out.persist()
}

/// A private folder beside its destination that replaces the destination only when
/// [`commit`](Self::commit)ted, after everything in it was verified. Removed when dropped; a
/// crash leaves it under a name derived from the destination, which the next write of that
/// destination removes.
#[derive(Debug)]
pub struct StagingDir {
    path: PathBuf,
    dest: PathBuf,
    existing: Existing,
    committed: bool,
}

impl StagingDir {
    /// Prepares to fill the folder `dest`: checks it (a folder or absent; empty or absent if
    /// `existing` is [`Existing::Refuse`]; never a link), removes what an interrupted earlier
    /// write of `dest` left behind (putting back a folder a crash left moved aside), and creates
    /// the staging folder (mode 0700 on Unix).
    ///
    /// # Errors
    /// [`OutputError`].
    pub fn create(dest: &Path, existing: Existing) -> Result<Self, OutputError> {
        remove_stale(dest)?;
        check_destination(dest, true, existing)?;
        let path = temp_name(dest, STAGING).map_err(|e| OutputError::io(dest, e))?;
        let mut b = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(&path).map_err(|e| OutputError::io(&path, e))?;
        Ok(Self {
            path,
            dest: dest.to_owned(),
            existing,
            committed: false,
        })
    }

    /// The staging folder, to write into.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the staging folder to the destination. An existing destination (allowed by
    /// `existing`) is exchanged atomically where the OS can (Linux `renameat2`), otherwise moved
    /// aside first and removed once the new folder is in place; the folder is synced.
    ///
    /// # Errors
    /// [`OutputError`]; the destination is as it was on error.
    pub fn commit(mut self) -> Result<(), OutputError> {
        check_destination(&self.dest, true, self.existing)?;
        let dest = self.dest.clone();
        let io_err = |e| OutputError::io(&dest, e);
        set_dir_mode_umask(&self.path).map_err(io_err)?;
        if fs::symlink_metadata(&dest).is_err() {
            fs::rename(&self.path, &dest).map_err(io_err)?;
            self.committed = true;
            return sync_dir(parent_of(&dest));
        }
        if exchange(&self.path, &dest).is_ok() {
            // The old folder is now at the staging name: removed on drop.
            sync_dir(parent_of(&dest))?;
            return Ok(());
        }
        let aside = temp_name(&dest, OLD).map_err(io_err)?;
        fs::rename(&dest, &aside).map_err(io_err)?;
        if let Err(e) = fs::rename(&self.path, &dest) {
            let _ = fs::rename(&aside, &dest);
            return Err(io_err(e));
        }
        self.committed = true;
        sync_dir(parent_of(&dest))?;
        let _ = fs::remove_dir_all(&aside);
        Ok(())
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Gives a finished staging folder the mode a new folder gets (0777 & !umask): it was private
/// while unverified files were in it.
fn set_dir_mode_umask(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The umask is read by creating a folder with 0777 and looking at what it got.
        let probe = path.join(".otaseal-mode-probe");
        fs::DirBuilder::new().create(&probe)?;
        let mode = fs::metadata(&probe)?.permissions().mode() & 0o777;
        fs::remove_dir(&probe)?;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Swaps two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_file_has_no_name_until_persisted_and_leaves_nothing_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.bin");
        let mut p = PendingFile::create(&dest, Mode::Private, Existing::Refuse).unwrap();
        p.write_all(b"x").unwrap();
        drop(p);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut p = PendingFile::create(&dest, Mode::Private, Existing::Refuse).unwrap();
        p.write_all(b"y").unwrap();
        p.persist().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"y");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Refuse keeps the old content; Replace replaces it.
        assert!(matches!(
            PendingFile::create(&dest, Mode::Private, Existing::Refuse),
            Err(OutputError::Exists(_))
        ));
        write_file(&dest, b"z", Mode::Private, Existing::Replace).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"z");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let private = dir.path().join("private");
        write_file(&private, b"k", Mode::Private, Existing::Refuse).unwrap();
        assert_eq!(mode(&private), 0o600);
        let kept = dir.path().join("kept");
        fs::write(&kept, b"old").unwrap();
        fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
        write_file(&kept, b"new", Mode::KeepExisting, Existing::Replace).unwrap();
        assert_eq!(mode(&kept), 0o640);
        let public = dir.path().join("public");
        write_file(&public, b"p", Mode::Umask, Existing::Refuse).unwrap();
        let probe = dir.path().join("probe");
        fs::write(&probe, b"").unwrap();
        assert_eq!(mode(&public), mode(&probe));
    }

    #[test]
    fn stale_temporary_files_of_the_same_destination_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.zip");
        let stale = dir.path().join(".out.zip.otaseal-0123456789abcdef.part");
        let other = dir.path().join(".other.zip.otaseal-0123456789abcdef.part");
        let unrelated = dir.path().join(".out.zip.otaseal-notrandom.part");
        for p in [&stale, &other, &unrelated] {
            fs::write(p, b"unverified").unwrap();
        }
        write_file(&dest, b"ok", Mode::Private, Existing::Refuse).unwrap();
        assert!(!stale.exists());
        assert!(other.exists() && unrelated.exists());
    }

    #[test]
    fn refuses_folders_links_and_the_input() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            PendingFile::create(dir.path(), Mode::Private, Existing::Replace),
            Err(OutputError::IsFolder(_))
        ));
        let input = dir.path().join("in");
        fs::write(&input, b"i").unwrap();
        assert!(matches!(
            ensure_distinct(&input, &input),
            Err(OutputError::SameAsInput(_))
        ));
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(matches!(
                ensure_distinct(&input, &link),
                Err(OutputError::SameAsInput(_))
            ));
            assert!(matches!(
                PendingFile::create(&link, Mode::Private, Existing::Replace),
                Err(OutputError::Symlink(_))
            ));
        }
    }

    #[test]
    fn input_size_is_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        let f = File::create(&big).unwrap();
        f.set_len(4 << 30).unwrap(); // sparse
        let err = open_input(&big, Limit::BundleLen, &Limits::default()).unwrap_err();
        assert!(matches!(err, InputError::TooLarge(e) if e.len == 4 << 30));
        assert!(matches!(
            open_input(dir.path(), Limit::BundleLen, &Limits::default()),
            Err(InputError::NotAFile(_))
        ));
    }

    #[test]
    fn staging_dir_replaces_its_destination_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("www");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("old.txt"), b"old").unwrap();
        assert!(matches!(
            StagingDir::create(&dest, Existing::Refuse),
            Err(OutputError::Exists(_))
        ));
        let s = StagingDir::create(&dest, Existing::Replace).unwrap();
        fs::write(s.path().join("new.txt"), b"new").unwrap();
        drop(s);
        assert!(dest.join("old.txt").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let s = StagingDir::create(&dest, Existing::Replace).unwrap();
        fs::write(s.path().join("new.txt"), b"new").unwrap();
        s.commit().unwrap();
        assert!(!dest.join("old.txt").exists());
        assert!(dest.join("new.txt").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_moved_aside_by_a_crash_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("www");
        let aside = dir.path().join(".www.otaseal-0123456789abcdef.old");
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("keep.txt"), b"previous").unwrap();
        let s = StagingDir::create(&dest, Existing::Replace).unwrap();
        assert_eq!(fs::read(dest.join("keep.txt")).unwrap(), b"previous");
        drop(s);
    }
}
