//! The device side: encrypted files plus a manifest to a verified folder, atomically.

use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use otaseal_envelope::STREAM_BUFFER_LEN;
use otaseal_envelope::io::{Existing, StagingDir};
use otaseal_envelope::v2::{
    DecryptError, SessionKey, Verification, decrypt_stream, recover_checksum,
};
use otaseal_keys::PublicKey;
use otaseal_wire::plugin::DeviceRules;
use otaseal_wire::{IvSessionKey, Limit, LimitExceeded, Limits};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Manifest, ManifestError, error::display_name, fs};

/// Options of [`apply`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Limits: `max_manifest_total_len` bounds the sum of the written (decompressed) files,
    /// `max_bundle_len` each encrypted file.
    pub limits: Limits,
    /// Replace an existing, non-empty destination folder once everything verified.
    /// Default: refuse.
    pub replace: bool,
    /// Judge exactly as this plugin version does (`spec/v2.md` 12): every `file_hash` must be
    /// in the form it reads (checked for all entries before any file is touched), and a file
    /// that decrypts to 0 bytes is refused by the versions that refuse it. Default: none, the
    /// strict version-free verdict.
    pub device: Option<DeviceRules>,
}

/// What [`apply`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Files written, each verified against its signed `file_hash`.
    pub files: usize,
    /// Their total size in bytes.
    pub total_len: u64,
}

/// Applies a delta manifest as a device does (`spec/v2.md` 9.2 and 8): for every entry, in
/// order, recover the SHA-256 from the signed `file_hash` with the public key, decrypt the
/// encrypted file `files_dir/<stored name>` with the manifest's session key and IV, Brotli-
/// decompress it when the name ends in `.br` (output bounded by what is left of
/// `max_manifest_total_len`: no decompression bombs), and compare its SHA-256 with the
/// recovered one in constant time.
///
/// The files are written to a private staging folder beside `dest`
/// ([`StagingDir`]), created with `create_new` and never through a symbolic link; the staging
/// folder replaces `dest` only when every file verified. On any error it is removed and an
/// existing `dest` is untouched.
///
/// # Errors
/// [`ManifestError::SessionKey`] if the `ivSessionKey` does not open;
/// [`ManifestError::FileHash`] for a `file_hash` that does not open;
/// [`ManifestError::FileFailed`] for a file that does not decrypt, decompress and verify (one
/// opaque error); [`ManifestError::Device`] with `options.device`;
/// [`ManifestError::TooLarge`], [`ManifestError::Symlink`],
/// [`ManifestError::Output`], [`ManifestError::Io`].
pub fn apply(
    manifest: &Manifest,
    files_dir: &Path,
    dest: &Path,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    options: &ApplyOptions,
) -> Result<Applied, ManifestError> {
    let limits = &options.limits;
    let existing = if options.replace {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    // Fail early, before any file is touched, if the session key is not for this key.
    drop(SessionKey::open(key, iv_session_key).map_err(ManifestError::SessionKey)?);
    let device = |entry: &super::ManifestEntry, refusal| ManifestError::Device {
        name: Some(display_name(&entry.file_name)),
        refusal,
    };
    if let Some(rules) = &options.device {
        for (entry, c) in manifest.entries.iter().zip(&manifest.checked) {
            rules
                .check_checksum_form(c.signed.format())
                .and_then(|()| rules.check_rsa_block_len(c.signed.block().len()))
                .map_err(|r| device(entry, r))?;
        }
    }
    let staging = StagingDir::create(dest, existing)?;
    let mut total: u64 = 0;
    for (entry, c) in manifest.entries.iter().zip(&manifest.checked) {
        let shown = || display_name(&entry.file_name);
        let expected =
            recover_checksum(key, &c.signed).map_err(|source| ManifestError::FileHash {
                name: shown(),
                source,
            })?;
        let (file, len) = fs::open_in(files_dir, c.name.stored())?;
        limits
            .check(Limit::BundleLen, len)
            .map_err(ManifestError::TooLarge)?;
        let (out, out_path) = fs::create_file_in(staging.path(), c.name.target())?;
        let mut sink = Sink {
            out: BufWriter::with_capacity(STREAM_BUFFER_LEN, out),
            hasher: Sha256::new(),
            written: 0,
            budget: limits.max_manifest_total_len.saturating_sub(total),
            over_budget: false,
            write_error: None,
        };
        let mut reader = Source {
            inner: file,
            read_error: None,
        };
        let outcome = decrypt_one(
            &mut reader,
            &mut sink,
            c.name.is_brotli(),
            key,
            iv_session_key,
            limits,
        );
        if let Some(e) = reader.read_error {
            return Err(ManifestError::io(files_dir.join(c.name.stored()), e));
        }
        if sink.over_budget {
            return Err(ManifestError::TooLarge(LimitExceeded {
                limit: Limit::ManifestTotalLen,
                len: total.saturating_add(sink.written).saturating_add(1),
                max: limits.max_manifest_total_len,
            }));
        }
        if let Some(e) = sink.write_error.take() {
            return Err(ManifestError::io(out_path, e));
        }
        let decrypted_len = match outcome {
            Err(DecryptError::TooLarge(e)) => return Err(ManifestError::TooLarge(e)),
            Err(_) => return Err(ManifestError::FileFailed { name: shown() }),
            Ok(len) => len,
        };
        let digest: [u8; 32] = sink.hasher.clone().finalize().into();
        // One verdict for padding, Brotli and checksum: decrypt_one ran with the padding
        // checked, and this comparison is constant time.
        if !bool::from(digest.ct_eq(expected.as_bytes())) {
            return Err(ManifestError::FileFailed { name: shown() });
        }
        // Only once the file verified, so that the length check is no oracle.
        if let Some(rules) = &options.device {
            rules
                .check_plaintext_len(decrypted_len)
                .map_err(|r| device(entry, r))?;
        }
        sink.out
            .flush()
            .map_err(|e| ManifestError::io(&out_path, e))?;
        total = total.saturating_add(sink.written);
    }
    staging.commit()?;
    Ok(Applied {
        files: manifest.entries.len(),
        total_len: total,
    })
}

/// Decrypts (padding checked, checksum not yet) and, for `.br`, decompresses into `sink`;
/// returns the length of the decrypted (stored, still compressed) content.
fn decrypt_one<R: Read, W: Write>(
    reader: R,
    sink: &mut W,
    brotli: bool,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    limits: &Limits,
) -> Result<u64, DecryptError> {
    // The checksum is of the decompressed file, so it is compared by the caller; padding is
    // still checked here.
    let skip = Verification::UnsafeSkipVerification;
    let verified = if brotli {
        let mut dec = brotli::DecompressorWriter::new(sink, STREAM_BUFFER_LEN);
        let verified = decrypt_stream(reader, &mut dec, key, iv_session_key, skip, limits)?;
        // A truncated Brotli stream fails here; trailing data already failed in write().
        dec.close()?;
        verified
    } else {
        decrypt_stream(reader, sink, key, iv_session_key, skip, limits)?
    };
    Ok(verified.plaintext_len)
}

/// The reader of an encrypted file, remembering a real I/O error so that it is not reported
/// as a verification failure.
struct Source<R> {
    inner: R,
    read_error: Option<io::Error>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                self.read_error = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

/// Hashes and writes plaintext, refusing to write past the remaining budget.
struct Sink<W: Write> {
    out: BufWriter<W>,
    hasher: Sha256,
    written: u64,
    budget: u64,
    over_budget: bool,
    write_error: Option<io::Error>,
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let next = self.written.saturating_add(buf.len() as u64);
        if next > self.budget {
            self.over_budget = true;
            return Err(io::Error::other("over the manifest size budget"));
        }
        if let Err(e) = self.out.write_all(buf) {
            self.write_error = Some(io::Error::new(e.kind(), e.to_string()));
            return Err(e);
        }
        self.hasher.update(buf);
        self.written = next;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush().inspect_err(|e| {
            self.write_error = Some(io::Error::new(e.kind(), e.to_string()));
        })
    }
}
