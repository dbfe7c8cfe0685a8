//! Reproducible bundle zips of a built web folder (feature `zip`): what `otaseal bundle zip`
//! and a CI publisher in Rust upload before encrypting.
//!
//! `@capgo/cli`'s `bundle zip` uses `adm-zip`, whose archives carry each file's time stamp;
//! otaseal's carry fixed ones, so the same folder gives the same zip (and the same checksum) on
//! every machine. Devices read either: they only unzip.

use core::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use otaseal_envelope::io::{Existing, Mode, OutputError, PendingFile};
use otaseal_wire::manifest::{Duplicate, NameSet};
use otaseal_wire::{Limit, LimitExceeded, Limits, Sha256Checksum};
use sha2::{Digest, Sha256};

/// The file a Capacitor web folder must have at its root (`@capgo/cli`'s code check).
pub const INDEX_HTML: &str = "index.html";

/// The call a bundle must contain in one of its `.js` files, or the plugin rolls the update
/// back at the next start (`@capgo/cli`'s code check).
pub const NOTIFY_APP_READY: &str = "notifyAppReady";

/// What [`zip_folder`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Zipped {
    /// The files stored, by `/`-separated path relative to the folder, in the zip's order.
    pub files: Vec<String>,
}

/// What [`zip_folder_to_file`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZipFile {
    /// The files stored, in the zip's order.
    pub files: Vec<String>,
    /// The zip's length in bytes.
    pub len: u64,
    /// The SHA-256 of the zip: the `checksum` that `bundle encrypt` signs.
    pub checksum: Sha256Checksum,
}

/// Why a web folder could not be zipped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ZipError {
    /// The folder is not a folder.
    NotFolder {
        /// The path given.
        path: PathBuf,
    },
    /// A symbolic link that leaves the folder, points to a folder (it could loop) or is broken.
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// A name that is not UTF-8 (a zip name must be).
    NotUtf8 {
        /// The path concerned.
        path: PathBuf,
    },
    /// Two files that are one file on a phone (Unicode NFC and case folding, as
    /// `otaseal_wire::manifest::NameSet` decides).
    DuplicateName {
        /// The second path.
        path: String,
        /// Which path it collides with, and how.
        duplicate: Duplicate,
    },
    /// The files together are larger than `limits.max_bundle_len`, or a path longer than
    /// `limits.max_path_len`.
    TooLarge(LimitExceeded),
    /// The folder has no `index.html` at its root ([`code_check`]).
    NoIndexHtml {
        /// The folder.
        path: PathBuf,
    },
    /// No `.js` file of the folder calls `notifyAppReady` ([`code_check`]).
    NoNotifyAppReady {
        /// The folder.
        path: PathBuf,
    },
    /// The zip could not be given its name.
    Output(OutputError),
    /// Reading a file or writing the zip failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl ZipError {
    fn io(path: &Path, source: io::Error) -> Self {
        ZipError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipError::NotFolder { path } => write!(f, "{} is not a folder", path.display()),
            ZipError::Symlink { path } => write!(
                f,
                "{} is a symbolic link that is broken, leaves the folder or points to a folder: refused",
                path.display()
            ),
            ZipError::NotUtf8 { path } => write!(f, "{} is not a UTF-8 name", path.display()),
            ZipError::DuplicateName { path, duplicate } => write!(f, "{path}: {duplicate}"),
            ZipError::TooLarge(e) => e.fmt(f),
            ZipError::NoIndexHtml { path } => write!(
                f,
                "{} has no index.html at its root: is it the built web folder (webDir)? (--no-code-check skips this check)",
                path.display()
            ),
            ZipError::NoNotifyAppReady { path } => write!(
                f,
                "no .js file in {} calls notifyAppReady(): the plugin would roll this bundle back at the next start; call CapacitorUpdater.notifyAppReady() when the app has loaded (--no-code-check skips this check)",
                path.display()
            ),
            ZipError::Output(e) => e.fmt(f),
            ZipError::Io { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

impl std::error::Error for ZipError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ZipError::TooLarge(e) => Some(e),
            ZipError::Output(e) => Some(e),
            ZipError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// One file of the folder: its zip name and where its bytes are.
struct Entry {
    name: String,
    fs_path: PathBuf,
}

/// `@capgo/cli`'s code check of `bundle zip` (skipped there with `--no-code-check`): `dir` has
/// an [`INDEX_HTML`] at its root and some `.js` file below it contains [`NOTIFY_APP_READY`].
/// Each `.js` file is searched in 64 KiB pieces.
///
/// # Errors
/// [`ZipError::NoIndexHtml`], [`ZipError::NoNotifyAppReady`], or as [`zip_folder`] for the walk.
pub fn code_check(dir: &Path, limits: &Limits) -> Result<(), ZipError> {
    let entries = list(dir, limits)?;
    if !entries.iter().any(|e| e.name == INDEX_HTML) {
        return Err(ZipError::NoIndexHtml {
            path: dir.to_owned(),
        });
    }
    for e in entries.iter().filter(|e| e.name.ends_with(".js")) {
        let file = File::open(&e.fs_path).map_err(|s| ZipError::io(&e.fs_path, s))?;
        if contains(file, NOTIFY_APP_READY.as_bytes()).map_err(|s| ZipError::io(&e.fs_path, s))? {
            return Ok(());
        }
    }
    Err(ZipError::NoNotifyAppReady {
        path: dir.to_owned(),
    })
}

/// Whether `needle` (non-empty) occurs in what `r` yields, reading 64 KiB at a time and keeping
/// `needle.len() - 1` bytes across reads.
fn contains(mut r: impl Read, needle: &[u8]) -> io::Result<bool> {
    let keep = needle.len().saturating_sub(1);
    let mut buf = vec![0u8; (64 << 10) + keep];
    let mut held = 0;
    loop {
        let n = r.read(&mut buf[held..])?;
        if n == 0 {
            return Ok(false);
        }
        let filled = held + n;
        if buf[..filled].windows(needle.len()).any(|w| w == needle) {
            return Ok(true);
        }
        held = keep.min(filled);
        buf.copy_within(filled - held..filled, 0);
    }
}

/// Zips the files of `dir` into `out` reproducibly: every regular file below `dir`, sorted by
/// path (byte order), deflated, with the fixed time stamp 1980-01-01 00:00 and mode 0644, so
/// that the same folder gives the same bytes. A symbolic link to a file inside `dir` is stored
/// as that file; any other link is refused.
///
/// Checked before any file is read: UTF-8 names, each path at most `limits.max_path_len` bytes,
/// no two names that are one file on a phone, at most `limits.max_bundle_len` bytes of files
/// in total. [`code_check`] is separate.
///
/// # Errors
/// [`ZipError`].
pub fn zip_folder<W: Write + Seek>(
    dir: &Path,
    out: W,
    limits: &Limits,
) -> Result<Zipped, ZipError> {
    let entries = list(dir, limits)?;
    write_zip(dir, &entries, out)?;
    Ok(Zipped {
        files: entries.into_iter().map(|e| e.name).collect(),
    })
}

/// [`zip_folder`] into the file `dest`, which gets its name only once the zip is complete
/// ([`PendingFile`]: an interrupted run leaves nothing, and an existing `dest` as it was until
/// then); returns the zip's SHA-256. The file gets the umask's mode.
///
/// # Errors
/// [`ZipError`]; with [`Existing::Refuse`], [`ZipError::Output`] if `dest` exists.
pub fn zip_folder_to_file(
    dir: &Path,
    dest: &Path,
    existing: Existing,
    limits: &Limits,
) -> Result<ZipFile, ZipError> {
    let entries = list(dir, limits)?;
    let mut pending = PendingFile::create(dest, Mode::Umask, existing).map_err(ZipError::Output)?;
    write_zip(dir, &entries, &mut pending)?;
    let file = pending.rewind().map_err(ZipError::Output)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|s| ZipError::io(dest, s))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    pending.persist().map_err(ZipError::Output)?;
    Ok(ZipFile {
        files: entries.into_iter().map(|e| e.name).collect(),
        len,
        checksum: Sha256Checksum::from_bytes(hasher.finalize().into()),
    })
}

fn write_zip<W: Write + Seek>(dir: &Path, entries: &[Entry], out: W) -> Result<(), ZipError> {
    let zip_err = |e: ::zip::result::ZipError| ZipError::io(dir, io::Error::other(e));
    let mut zip = ::zip::ZipWriter::new(out);
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated)
        .last_modified_time(::zip::DateTime::default())
        .unix_permissions(0o644);
    for e in entries {
        zip.start_file(e.name.as_str(), options).map_err(zip_err)?;
        let mut f = File::open(&e.fs_path).map_err(|s| ZipError::io(&e.fs_path, s))?;
        io::copy(&mut f, &mut zip).map_err(|s| ZipError::io(&e.fs_path, s))?;
    }
    let mut out = zip.finish().map_err(zip_err)?;
    out.flush().map_err(|s| ZipError::io(dir, s))?;
    Ok(())
}

/// The files of `dir`, sorted, every rule of [`zip_folder`] checked.
fn list(dir: &Path, limits: &Limits) -> Result<Vec<Entry>, ZipError> {
    let root = fs::canonicalize(dir).map_err(|s| ZipError::io(dir, s))?;
    if !root.is_dir() {
        return Err(ZipError::NotFolder {
            path: dir.to_owned(),
        });
    }
    let mut out = Vec::new();
    let mut total = 0u64;
    walk(&root, &root, "", limits, &mut out, &mut total)?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    let mut seen = NameSet::new();
    for e in &out {
        seen.insert_path(&e.name)
            .map_err(|duplicate| ZipError::DuplicateName {
                path: e.name.clone(),
                duplicate,
            })?;
    }
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    limits: &Limits,
    out: &mut Vec<Entry>,
    total: &mut u64,
) -> Result<(), ZipError> {
    for entry in fs::read_dir(dir).map_err(|s| ZipError::io(dir, s))? {
        let entry = entry.map_err(|s| ZipError::io(dir, s))?;
        let path = entry.path();
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            return Err(ZipError::NotUtf8 { path });
        };
        let name = if prefix.is_empty() {
            file_name
        } else {
            format!("{prefix}/{file_name}")
        };
        limits
            .check(Limit::PathLen, name.len() as u64)
            .map_err(ZipError::TooLarge)?;
        let file_type = entry.file_type().map_err(|s| ZipError::io(&path, s))?;
        let fs_path = if file_type.is_symlink() {
            let target =
                fs::canonicalize(&path).map_err(|_| ZipError::Symlink { path: path.clone() })?;
            if !target.starts_with(root) || target.is_dir() {
                return Err(ZipError::Symlink { path });
            }
            target
        } else if file_type.is_dir() {
            walk(root, &path, &name, limits, out, total)?;
            continue;
        } else {
            path
        };
        let meta = fs::metadata(&fs_path).map_err(|s| ZipError::io(&fs_path, s))?;
        if !meta.is_file() {
            return Err(ZipError::io(
                &fs_path,
                io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        *total = total.saturating_add(meta.len());
        limits
            .check(Limit::BundleLen, *total)
            .map_err(ZipError::TooLarge)?;
        out.push(Entry { name, fs_path });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, data) in files {
            let p = dir.path().join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, data).unwrap();
        }
        dir
    }

    const APP: &[(&str, &[u8])] = &[
        ("index.html", b"<script src=js/app.js></script>"),
        ("js/app.js", b"CapacitorUpdater.notifyAppReady();"),
        ("assets/a b.png", b"\x89PNG"),
    ];

    #[test]
    fn same_folder_same_bytes() {
        let a = folder(APP);
        let b = folder(APP);
        let mut za = io::Cursor::new(Vec::new());
        let mut zb = io::Cursor::new(Vec::new());
        let listed = zip_folder(a.path(), &mut za, &Limits::default()).unwrap();
        zip_folder(b.path(), &mut zb, &Limits::default()).unwrap();
        assert_eq!(za.get_ref(), zb.get_ref());
        assert_eq!(listed.files, ["assets/a b.png", "index.html", "js/app.js"]);
    }

    #[test]
    fn file_checksum_is_sha256_of_the_zip() {
        let a = folder(APP);
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("app.zip");
        let z = zip_folder_to_file(a.path(), &dest, Existing::Refuse, &Limits::default()).unwrap();
        let bytes = fs::read(&dest).unwrap();
        assert_eq!(z.len, bytes.len() as u64);
        assert_eq!(
            z.checksum,
            Sha256Checksum::from_bytes(Sha256::digest(&bytes).into())
        );
        let again = zip_folder_to_file(a.path(), &dest, Existing::Refuse, &Limits::default());
        assert!(matches!(again, Err(ZipError::Output(_))), "{again:?}");
    }

    #[test]
    fn unzips_to_the_folder() {
        let a = folder(APP);
        let mut z = io::Cursor::new(Vec::new());
        zip_folder(a.path(), &mut z, &Limits::default()).unwrap();
        let mut archive = ::zip::ZipArchive::new(z).unwrap();
        for (name, data) in APP {
            let mut f = archive.by_name(name).unwrap();
            let mut got = Vec::new();
            f.read_to_end(&mut got).unwrap();
            assert_eq!(&got, data);
        }
    }

    #[test]
    fn code_check_wants_index_and_notify() {
        let l = Limits::default();
        code_check(folder(APP).path(), &l).unwrap();
        let no_index = folder(&[("js/app.js", b"notifyAppReady")]);
        assert!(matches!(
            code_check(no_index.path(), &l),
            Err(ZipError::NoIndexHtml { .. })
        ));
        let no_call = folder(&[("index.html", b"notifyAppReady"), ("a.js", b"x")]);
        assert!(matches!(
            code_check(no_call.path(), &l),
            Err(ZipError::NoNotifyAppReady { .. })
        ));
    }

    #[test]
    fn needle_across_reads() {
        // The call straddles the 64 KiB read boundary.
        let mut data = vec![b' '; (64 << 10) - 5];
        data.extend_from_slice(b"notifyAppReady()");
        assert!(contains(io::Cursor::new(&data), b"notifyAppReady").unwrap());
        data.truncate((64 << 10) + 3);
        assert!(!contains(io::Cursor::new(&data), b"notifyAppReady").unwrap());
    }

    #[test]
    fn twins_and_limits_refused_before_reading() {
        let twins = folder(&[("Index.html", b"a"), ("index.html", b"b")]);
        let r = zip_folder(
            twins.path(),
            io::Cursor::new(Vec::new()),
            &Limits::default(),
        );
        assert!(matches!(r, Err(ZipError::DuplicateName { .. })), "{r:?}");
        let big = folder(&[("a", &[0u8; 100]), ("b", &[0u8; 100])]);
        let mut small = Limits::default();
        small.max_bundle_len = 150;
        let r = zip_folder(big.path(), io::Cursor::new(Vec::new()), &small);
        assert!(matches!(r, Err(ZipError::TooLarge(_))), "{r:?}");
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_are_files_others_refused() {
        let a = folder(APP);
        std::os::unix::fs::symlink("index.html", a.path().join("copy.html")).unwrap();
        let z = zip_folder(a.path(), io::Cursor::new(Vec::new()), &Limits::default()).unwrap();
        assert!(z.files.contains(&"copy.html".to_owned()));
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), a.path().join("s")).unwrap();
        let r = zip_folder(a.path(), io::Cursor::new(Vec::new()), &Limits::default());
        assert!(matches!(r, Err(ZipError::Symlink { .. })), "{r:?}");
    }
}
