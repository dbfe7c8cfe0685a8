//! The producer side: a built web folder to encrypted files plus `manifest.json`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::path::Path;

use otaseal_envelope::io::{Existing, StagingDir};
use otaseal_envelope::v2::SessionKey;
use otaseal_keys::Signer;
use otaseal_wire::manifest::EntryName;
use otaseal_wire::plugin::DeviceRules;
use otaseal_wire::{ChecksumFormat, IvSessionKey, Limits, Sha256Checksum};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{
    BROTLI_MIN_LEN, BROTLI_MIN_SAVING, FILES_DIR, MANIFEST_FILE, Manifest, ManifestEntry,
    ManifestError, SourceFile, fs, glob_match, scan, sign_checksums,
};

/// Options of [`create`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CreateOptions {
    /// The URL the encrypted files will be served from; each entry's `download_url` is this
    /// plus its percent-encoded stored name (a `/` is added between when missing).
    pub base_url: String,
    /// The signed-checksum form of `file_hash`, chosen by the app's plugin version
    /// (`spec/v2.md` 5). Default: hex.
    pub format: ChecksumFormat,
    /// The plugin version the update is for, when known: [`create`] refuses a `format` that
    /// its delta code cannot read, before any work (`spec/v2.md` 12). Default: none.
    pub device: Option<DeviceRules>,
    /// Glob patterns ([`glob_match`]) of paths never Brotli-compressed, `@capgo/cli`'s
    /// `--no-brotli-patterns`.
    pub no_brotli: Vec<String>,
    /// Limits on the folder: file count, path length, total size.
    pub limits: Limits,
    /// Threads for reading, compressing, encrypting and signing (`None`: rayon's global pool,
    /// one thread per core).
    pub threads: Option<NonZeroUsize>,
    /// Replace an existing, non-empty output folder. Default: refuse.
    pub replace: bool,
}

impl CreateOptions {
    /// Default options with the given base URL.
    #[must_use]
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            format: ChecksumFormat::Hex,
            device: None,
            no_brotli: Vec::new(),
            limits: Limits::default(),
            threads: None,
            replace: false,
        }
    }
}

/// What [`create`] produced.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Created {
    /// The manifest, also written as `manifest.json`.
    pub manifest: Manifest,
    /// The bundle's `ivSessionKey` (API `session_key`): one fresh session key and IV for all
    /// files of this manifest.
    pub iv_session_key: IvSessionKey,
    /// How many files were stored Brotli-compressed (`.br`).
    pub brotli_files: usize,
    /// How many distinct SHA-256 values were signed (one RSA operation each).
    pub distinct_hashes: usize,
    /// Total size of the original files, in bytes.
    pub total_len: u64,
    /// Total size of the encrypted files, in bytes.
    pub stored_len: u64,
    /// The empty files of the folder, which Capgo's delta format leaves out (`@capgo/cli`
    /// does too): a device that applies the manifest will not have them.
    pub skipped_empty: Vec<String>,
}

struct Processed {
    sha256: Sha256Checksum,
    brotli: bool,
    stored_len: u64,
    /// The encoded `file_name` of the entry.
    file_name: String,
}

/// Builds a delta update from the web folder `src` into the folder `out_dir`, as `@capgo/cli`
/// does (`spec/v2.md` 9.1):
///
/// 1. [`scan`] lists the files (ignore list, no empty files, sorted, names checked);
/// 2. each file is hashed (SHA-256), Brotli-compressed when it is at least
///    [`BROTLI_MIN_LEN`] bytes, matches no `no_brotli` pattern and compression saves more than
///    [`BROTLI_MIN_SAVING`] bytes (its stored name then ends in `.br`), and encrypted with
///    AES-128-CBC under one fresh session key **and IV** shared by all files;
/// 3. every distinct SHA-256 is signed once, on all cores ([`sign_checksums`]);
/// 4. `out_dir/files/<stored name>` holds the encrypted files and `out_dir/manifest.json` the
///    entries; the whole folder is built in a [`StagingDir`] beside `out_dir` that gets its
///    name at the end, so nothing is left behind on error.
///
/// # Errors
/// [`ManifestError::Device`] first, if `options.device` cannot read `options.format`;
/// those of [`scan`], plus [`ManifestError::Output`], [`ManifestError::Io`],
/// [`ManifestError::Signing`] (randomness, signing), and those of
/// [`Manifest::from_entries`] (a Brotli name clash such as `a.js` next to `a.js.br`).
pub fn create(
    src: &Path,
    out_dir: &Path,
    signer: &dyn Signer,
    options: &CreateOptions,
) -> Result<Created, ManifestError> {
    if let Some(rules) = &options.device {
        rules
            .check_checksum_form(options.format)
            .map_err(|refusal| ManifestError::Device {
                name: None,
                refusal,
            })?;
    }
    let existing = if options.replace {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    let staging = StagingDir::create(out_dir, existing)?;
    let listing = scan(src, &options.limits)?;
    let files = &listing.files;
    let session = SessionKey::generate()?;
    let iv_session_key = session.wrap(signer)?;

    let files_root = staging.path().join(FILES_DIR);
    std::fs::create_dir(&files_root).map_err(|e| ManifestError::io(&files_root, e))?;
    let patterns: Vec<&str> = options
        .no_brotli
        .iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();

    let work = || -> Result<(Vec<Processed>, Vec<otaseal_wire::SignedChecksum>), ManifestError> {
        let processed = files
            .par_iter()
            .map(|f| process(f, &files_root, &session, &patterns, &options.limits))
            .collect::<Result<Vec<_>, _>>()?;
        let sums: Vec<Sha256Checksum> = processed.iter().map(|p| p.sha256).collect();
        let signed = sign_checksums(signer, &sums, options.format)?;
        Ok((processed, signed))
    };
    let (processed, signed) = match options.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.get())
            .build()
            .map_err(|e| ManifestError::io(out_dir, std::io::Error::other(e)))?
            .install(work)?,
        None => work()?,
    };
    let distinct_hashes = processed
        .iter()
        .map(|p| p.sha256)
        .collect::<HashSet<_>>()
        .len();

    let base = if options.base_url.is_empty() || options.base_url.ends_with('/') {
        options.base_url.clone()
    } else {
        format!("{}/", options.base_url)
    };
    let entries: Vec<ManifestEntry> = processed
        .iter()
        .zip(&signed)
        .map(|(p, s)| {
            let download_url = format!("{base}{}", p.file_name);
            ManifestEntry::signed(p.file_name.clone(), s, download_url)
        })
        .collect();
    let manifest = Manifest::from_entries(entries, &options.limits)?;

    let json_path = staging.path().join(MANIFEST_FILE);
    let mut json = manifest.to_json();
    json.push('\n');
    std::fs::write(&json_path, json).map_err(|e| ManifestError::io(&json_path, e))?;
    staging.commit()?;

    Ok(Created {
        manifest,
        iv_session_key,
        brotli_files: processed.iter().filter(|p| p.brotli).count(),
        distinct_hashes,
        total_len: files.iter().map(|f| f.len).sum(),
        stored_len: processed.iter().map(|p| p.stored_len).sum(),
        skipped_empty: listing.skipped_empty,
    })
}

/// Reads, hashes, maybe compresses, encrypts and writes one file.
fn process(
    f: &SourceFile,
    files_root: &Path,
    session: &SessionKey,
    no_brotli: &[&str],
    limits: &Limits,
) -> Result<Processed, ManifestError> {
    let mut data = Zeroizing::new(Vec::new());
    File::open(&f.fs_path)
        .and_then(|file| file.take(f.len.saturating_add(1)).read_to_end(&mut data))
        .map_err(|e| ManifestError::io(&f.fs_path, e))?;
    if data.len() as u64 != f.len {
        return Err(ManifestError::io(
            &f.fs_path,
            std::io::Error::other("the file changed while the manifest was being built"),
        ));
    }
    let sha256 = Sha256Checksum::from_bytes(Sha256::digest(data.as_slice()).into());
    let compressed = if f.len >= BROTLI_MIN_LEN && !no_brotli.iter().any(|p| glob_match(p, &f.path))
    {
        Some(brotli_compress(&data).map_err(|e| ManifestError::io(&f.fs_path, e))?)
            .filter(|c| (c.len() as u64) < f.len - BROTLI_MIN_SAVING)
    } else {
        None
    };
    let brotli = compressed.is_some();
    let (name, file_name) = EntryName::for_path(&f.path, brotli, limits)
        .map_err(|rule| ManifestError::invalid(&f.path, rule))?;
    let content = compressed.unwrap_or(data);
    let ciphertext = session.encrypt_delta_file(&content);
    let (mut file, path) = fs::create_file_in(files_root, name.stored())?;
    file.write_all(&ciphertext)
        .map_err(|e| ManifestError::io(&path, e))?;
    Ok(Processed {
        sha256,
        brotli,
        stored_len: ciphertext.len() as u64,
        file_name,
    })
}

/// Brotli with the parameters of Node's `zlib.createBrotliCompress()` defaults: quality 11,
/// window 22 (RFC 7932).
fn brotli_compress(data: &[u8]) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let params = brotli::enc::BrotliEncoderParams::default();
    let mut out = Zeroizing::new(Vec::with_capacity(data.len() / 2));
    let mut input = data;
    brotli::BrotliCompress(&mut input, &mut *out, &params)?;
    Ok(out)
}
