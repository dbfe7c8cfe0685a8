use std::io::{self, Read, Write};
use std::path::Path;

use aes::Aes128;
use aes::cipher::{Array, BlockModeEncrypt, KeyIvInit};
use otaseal_keys::Signer;
use otaseal_wire::{ChecksumFormat, IvSessionKey, Sha256Checksum, SignedChecksum};

use super::{EncryptError, SessionKey, sign_checksum};
use crate::STREAM_BUFFER_LEN;
use crate::io::{Existing, Mode, PendingFile};
use crate::pipe::Sha256Pipe;

const BLOCK: usize = 16;

/// What encrypting a bundle gives the update server (`spec/v2.md` 3 to 5): the strings of the
/// `/updates` response, and the plain SHA-256 for the record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncryptOutput {
    /// `ivSessionKey` / API `session_key`.
    pub iv_session_key: IvSessionKey,
    /// SHA-256 of the plaintext zip.
    pub checksum: Sha256Checksum,
    /// The checksum signed by the developer's key: API `checksum`.
    pub signed_checksum: SignedChecksum,
    /// Plaintext length in bytes.
    pub plaintext_len: u64,
    /// Ciphertext length in bytes (plaintext rounded up to the next multiple of 16).
    pub ciphertext_len: u64,
}

/// Streaming V2 encryption: a [`Write`] adapter that encrypts and hashes what is written to it,
/// holding at most [`STREAM_BUFFER_LEN`] bytes, and writes raw AES-128-CBC ciphertext to the
/// inner writer. Call [`finish`](Self::finish) to write the PKCS#7-padded last block and get
/// the [`EncryptOutput`]; dropping it without `finish` leaves the output incomplete.
///
/// ```
/// use std::io::Write;
/// use otaseal_envelope::v2::Encryptor;
/// use otaseal_keys::{KeySize, PrivateKey};
/// use otaseal_wire::ChecksumFormat;
///
/// let key = PrivateKey::generate(KeySize::Rsa2048)?;
/// let mut enc = Encryptor::new(&key, ChecksumFormat::Hex, Vec::new())?;
/// enc.write_all(b"first part, ")?;
/// enc.write_all(b"second part")?;
/// let (ciphertext, out) = enc.finish()?;
/// assert_eq!(ciphertext.len(), 32);
/// assert_eq!(out.plaintext_len, 23);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Encryptor<'k, W: Write> {
    inner: W,
    signer: &'k dyn Signer,
    format: ChecksumFormat,
    session: SessionKey,
    cipher: cbc::Encryptor<Aes128>,
    hasher: Sha256Pipe,
    buf: Vec<u8>,
    plaintext_len: u64,
}

impl<'k, W: Write> Encryptor<'k, W> {
    /// Starts encrypting to `inner` with a fresh random session key and IV.
    ///
    /// # Errors
    /// [`EncryptError::Random`] if the OS generator fails.
    pub fn new(
        signer: &'k dyn Signer,
        format: ChecksumFormat,
        inner: W,
    ) -> Result<Self, EncryptError> {
        Ok(Self::start(signer, format, SessionKey::generate()?, inner))
    }

    /// Starts encrypting with a given session key, to reproduce a bundle of a test vector.
    /// Reusing a key and IV for two bundles is insecure.
    #[cfg(feature = "test-vectors")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-vectors")))]
    #[must_use]
    pub fn with_session_key(
        signer: &'k dyn Signer,
        format: ChecksumFormat,
        session: SessionKey,
        inner: W,
    ) -> Self {
        Self::start(signer, format, session, inner)
    }

    fn start(
        signer: &'k dyn Signer,
        format: ChecksumFormat,
        session: SessionKey,
        inner: W,
    ) -> Self {
        let cipher = cbc::Encryptor::<Aes128>::new(&Array(*session.key()), &Array(*session.iv()));
        Self {
            inner,
            signer,
            format,
            session,
            cipher,
            hasher: Sha256Pipe::new(),
            buf: Vec::with_capacity(STREAM_BUFFER_LEN),
            plaintext_len: 0,
        }
    }

    /// Encrypts the whole blocks in the buffer and writes them out.
    fn flush_blocks(&mut self) -> io::Result<()> {
        let full = self.buf.len() / BLOCK * BLOCK;
        if full == 0 {
            return Ok(());
        }
        let (blocks, _) = Array::slice_as_chunks_mut(&mut self.buf[..full]);
        self.cipher.encrypt_blocks(blocks);
        self.inner.write_all(&self.buf[..full])?;
        self.buf.copy_within(full.., 0);
        self.buf.truncate(self.buf.len() - full);
        Ok(())
    }

    /// Pads and writes the last block, wraps the session key, signs the checksum, flushes the
    /// inner writer and returns it with the [`EncryptOutput`].
    ///
    /// # Errors
    /// [`EncryptError::Io`] from the writer; [`EncryptError::Signing`] from the signer.
    pub fn finish(mut self) -> Result<(W, EncryptOutput), EncryptError> {
        self.flush_blocks()?;
        // PKCS#7 (RFC 5652 6.3): 1 to 16 bytes, each holding the pad length.
        let pad = BLOCK - self.buf.len();
        self.buf.resize(BLOCK, u8::try_from(pad).unwrap_or(16));
        self.flush_blocks()?;
        self.inner.flush()?;
        let checksum = Sha256Checksum::from_bytes(self.hasher.finalize()?);
        let out = EncryptOutput {
            iv_session_key: self.session.wrap(self.signer)?,
            checksum,
            signed_checksum: sign_checksum(self.signer, &checksum, self.format)?,
            plaintext_len: self.plaintext_len,
            ciphertext_len: (self.plaintext_len / BLOCK as u64 + 1) * BLOCK as u64,
        };
        Ok((self.inner, out))
    }
}

impl<W: Write> Write for Encryptor<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = STREAM_BUFFER_LEN - self.buf.len();
        let n = data.len().min(room);
        self.hasher.update(&data[..n]);
        self.buf.extend_from_slice(&data[..n]);
        self.plaintext_len += n as u64;
        if self.buf.len() == STREAM_BUFFER_LEN {
            self.flush_blocks()?;
        }
        Ok(n)
    }

    /// Flushes the inner writer. The last, partial block stays buffered until
    /// [`finish`](Encryptor::finish).
    fn flush(&mut self) -> io::Result<()> {
        self.flush_blocks()?;
        self.inner.flush()
    }
}

impl<W: Write> core::fmt::Debug for Encryptor<'_, W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encryptor")
            .field("format", &self.format)
            .field("plaintext_len", &self.plaintext_len)
            .finish_non_exhaustive()
    }
}

/// Encrypts a whole bundle in memory with a fresh session key.
///
/// # Errors
/// [`EncryptError::Random`] or [`EncryptError::Signing`].
pub fn encrypt(
    plaintext: &[u8],
    signer: &dyn Signer,
    format: ChecksumFormat,
) -> Result<(Vec<u8>, EncryptOutput), EncryptError> {
    let mut enc = Encryptor::new(signer, format, Vec::with_capacity(plaintext.len() + BLOCK))?;
    enc.write_all(plaintext)?;
    enc.finish()
}

/// Encrypts from a reader into `output`, which is persisted (given its name) only when
/// encryption completed; on failure nothing is left and an existing destination is untouched.
///
/// # Errors
/// [`EncryptError::Io`], [`EncryptError::Random`], [`EncryptError::Signing`],
/// [`EncryptError::Output`].
pub fn encrypt_to(
    mut reader: impl Read,
    output: PendingFile,
    signer: &dyn Signer,
    format: ChecksumFormat,
) -> Result<EncryptOutput, EncryptError> {
    let mut enc = Encryptor::new(signer, format, output)?;
    io::copy(&mut reader, &mut enc)?;
    let (output, out) = enc.finish()?;
    output.persist()?;
    Ok(out)
}

/// [`encrypt_to`] a new [`PendingFile`] for `dest` (ciphertext: the umask's mode) that replaces
/// an existing `dest` once complete.
///
/// # Errors
/// As [`encrypt_to`].
pub fn encrypt_file(
    reader: impl Read,
    dest: &Path,
    signer: &dyn Signer,
    format: ChecksumFormat,
) -> Result<EncryptOutput, EncryptError> {
    let output = PendingFile::create(dest, Mode::Umask, Existing::Replace)?;
    encrypt_to(reader, output, signer, format)
}
