//! The producer side: a built web folder to encrypted files plus `manifest.json`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::path::Path;

use aes::Aes128;
use aes::cipher::{Array, BlockModeEncrypt, KeyIvInit};
use otaseal_keys::PrivateKey;
use otaseal_wire::{ChecksumFormat, IvSessionKey, Limits, Sha256Checksum};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{
    BROTLI_MIN_LEN, BROTLI_MIN_SAVING, BROTLI_SUFFIX, FILES_DIR, MANIFEST_FILE, Manifest,
    ManifestEntry, ManifestError, SourceFile, encode_path, fsutil, glob_match, par, scan,
    sign_checksums,
};
use crate::v2::SessionKey;

const BLOCK: usize = 16;

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
    /// Glob patterns ([`glob_match`]) of paths never Brotli-compressed, `@capgo/cli`'s
    /// `--no-brotli-patterns`.
    pub no_brotli: Vec<String>,
    /// Limits on the folder: file count, path length, total size.
    pub limits: Limits,
    /// Threads for reading, compressing, encrypting and signing (`None`: all cores).
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
}

struct Processed {
    sha256: Sha256Checksum,
    brotli: bool,
    stored_len: u64,
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
///    entries; the whole folder is built in a staging folder beside `out_dir` and renamed into
///    place at the end, so nothing is left behind on error.
///
/// # Errors
/// Those of [`scan`], plus [`ManifestError::DestinationExists`], [`ManifestError::Io`],
/// [`ManifestError::Envelope`] (randomness, signing), and those of
/// [`Manifest::from_entries`] (a Brotli name clash such as `a.js` next to `a.js.br`).
pub fn create(
    src: &Path,
    out_dir: &Path,
    key: &PrivateKey,
    options: &CreateOptions,
) -> Result<Created, ManifestError> {
    fsutil::check_destination(out_dir, options.replace)?;
    let files = scan(src, &options.limits)?;
    let threads = options.threads.unwrap_or_else(par::default_threads);
    let session = SessionKey::generate()?;
    let iv_session_key = session.wrap(key)?;

    let staging = fsutil::staging_beside(out_dir)?;
    let files_root = staging.path().join(FILES_DIR);
    std::fs::create_dir(&files_root).map_err(|e| ManifestError::io(&files_root, e))?;
    let patterns: Vec<&str> = options
        .no_brotli
        .iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();

    let processed = par::try_map(&files, threads, |f| {
        process(f, &files_root, &session, &patterns)
    })?;
    let sums: Vec<Sha256Checksum> = processed.iter().map(|p| p.sha256).collect();
    let distinct_hashes = sums.iter().collect::<HashSet<_>>().len();
    let signed = sign_checksums(key, &sums, options.format, Some(threads))?;

    let base = if options.base_url.is_empty() || options.base_url.ends_with('/') {
        options.base_url.clone()
    } else {
        format!("{}/", options.base_url)
    };
    let entries: Vec<ManifestEntry> = files
        .iter()
        .zip(&processed)
        .zip(&signed)
        .map(|((f, p), s)| {
            let stored = if p.brotli {
                format!("{}{BROTLI_SUFFIX}", f.path)
            } else {
                f.path.clone()
            };
            let file_name = encode_path(&stored);
            let download_url = format!("{base}{file_name}");
            ManifestEntry::new(file_name, s.to_string(), download_url)
        })
        .collect();
    let manifest = Manifest::from_entries(entries, &options.limits)?;

    let json_path = staging.path().join(MANIFEST_FILE);
    let mut json = manifest.to_json();
    json.push('\n');
    std::fs::write(&json_path, json).map_err(|e| ManifestError::io(&json_path, e))?;
    fsutil::commit(staging, out_dir, options.replace)?;

    Ok(Created {
        manifest,
        iv_session_key,
        brotli_files: processed.iter().filter(|p| p.brotli).count(),
        distinct_hashes,
        total_len: files.iter().map(|f| f.len).sum(),
        stored_len: processed.iter().map(|p| p.stored_len).sum(),
    })
}

/// Reads, hashes, maybe compresses, encrypts and writes one file.
fn process(
    f: &SourceFile,
    files_root: &Path,
    session: &SessionKey,
    no_brotli: &[&str],
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
    let (content, stored) = match compressed {
        Some(c) => (c, format!("{}{BROTLI_SUFFIX}", f.path)),
        None => (data, f.path.clone()),
    };
    let ciphertext = encrypt_cbc(session, &content);
    let (mut file, path) = fsutil::create_file_in(files_root, &stored)?;
    file.write_all(&ciphertext)
        .map_err(|e| ManifestError::io(&path, e))?;
    Ok(Processed {
        sha256,
        brotli,
        stored_len: ciphertext.len() as u64,
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

/// AES-128-CBC with PKCS#7 padding of one whole file, `spec/v2.md` 7: the same transform as
/// [`crate::v2::Encryptor`], without its per-bundle RSA operations (a manifest wraps its
/// session key once and signs each distinct hash once).
pub(crate) fn encrypt_cbc(session: &SessionKey, plaintext: &[u8]) -> Vec<u8> {
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut buf = Vec::with_capacity(plaintext.len() + pad);
    buf.extend_from_slice(plaintext);
    buf.resize(plaintext.len() + pad, u8::try_from(pad).unwrap_or(16));
    let mut cipher = cbc::Encryptor::<Aes128>::new(&Array(*session.key()), &Array(*session.iv()));
    let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
    cipher.encrypt_blocks(blocks);
    buf
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::v2::Encryptor;
    use otaseal_keys::KeySize;

    /// The per-file transform is byte for byte what the V2 streaming encryptor produces.
    #[test]
    fn encrypt_cbc_matches_v2_encryptor() {
        let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
        let session = SessionKey::from_parts([3; 16], [9; 16]);
        for len in [0usize, 1, 15, 16, 17, 100_000] {
            let data: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i * 7 % 251).unwrap())
                .collect();
            let mut enc =
                Encryptor::with_session_key(&key, ChecksumFormat::Hex, session.clone(), Vec::new());
            enc.write_all(&data).unwrap();
            let (expected, _) = enc.finish().unwrap();
            assert_eq!(encrypt_cbc(&session, &data), expected, "len {len}");
        }
    }
}
