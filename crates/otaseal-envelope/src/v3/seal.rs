//! Sealing (`spec/v3.md` sections 3 to 6, producer side).

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use otaseal_keys::{PublicKey, Signer};
use otaseal_wire::v3::{
    Context, Header, MAX_RECIPIENTS, RecipientStanza, Suite, TAG_LEN, encode_signature_field,
};
use otaseal_wire::{Limit, Limits};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use super::crypto::{self, ChunkCipher, HEADER_SIGNATURE_CONTEXT};
use super::error::{RecipientsError, SealError};
use crate::io::{Existing, Mode, PendingFile};

/// What sealing produced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sealed {
    /// The signed header.
    pub header: Header,
    /// Total length of the sealed file in bytes.
    pub sealed_len: u64,
}

/// A configured producer: signing key, recipients and context (`spec/v3.md` section 1).
///
/// ```
/// # use otaseal_envelope::v3::{Channel, Context, Policy, Sealer, Sequence, TrustedKeys, open_bytes};
/// # use otaseal_keys::{KeySize, Limits, PrivateKey};
/// # let signer = PrivateKey::generate(KeySize::Rsa2048)?;
/// # let device = PrivateKey::generate(KeySize::Rsa2048)?;
/// let ctx = Context::new("com.example.app", "production", "1.0.0", 7, 1_700_000_000, 4_000_000_000);
/// let sealed = Sealer::new(&signer, &[device.public_key()], ctx)?.seal(b"PK\x03\x04...")?;
///
/// let keys = TrustedKeys::from_keys([signer.public_key().clone()]);
/// let policy = Policy::new(keys, "com.example.app", Channel::Any, Sequence::AtLeast(7))
///     .now(1_750_000_000);
/// let plain = open_bytes(&sealed, &device, &policy, &Limits::default())?;
/// assert_eq!(plain.as_slice(), b"PK\x03\x04...");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Sealer<'a> {
    signer: &'a dyn Signer,
    recipients: Vec<&'a PublicKey>,
    context: Context,
    limits: Limits,
}

impl<'a> Sealer<'a> {
    /// Checks the arguments: 1 to 64 distinct recipients, the signing key not among them
    /// (`spec/v3.md` section 4), and a valid context.
    ///
    /// # Errors
    /// [`SealError::InvalidContext`], [`SealError::InvalidRecipients`].
    pub fn new(
        signer: &'a dyn Signer,
        recipients: &[&'a PublicKey],
        context: Context,
    ) -> Result<Self, SealError> {
        context.validate().map_err(SealError::InvalidContext)?;
        let bad = |e| Err(SealError::InvalidRecipients(e));
        if recipients.is_empty() {
            return bad(RecipientsError::None);
        }
        if recipients.len() > MAX_RECIPIENTS {
            return bad(RecipientsError::TooMany);
        }
        let mut sorted: Vec<&PublicKey> = recipients.to_vec();
        sorted.sort_by_key(|k| *k.fingerprint().as_bytes());
        if sorted
            .windows(2)
            .any(|w| w[0].fingerprint() == w[1].fingerprint())
        {
            return bad(RecipientsError::Duplicate);
        }
        let signer_fp = signer.public_key().fingerprint();
        if sorted.iter().any(|k| k.fingerprint() == signer_fp) {
            return bad(RecipientsError::SignerIsRecipient);
        }
        Ok(Self {
            signer,
            recipients: sorted,
            context,
            limits: Limits::default(),
        })
    }

    /// Uses `limits` instead of the defaults (only `max_bundle_len` matters when sealing).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Seals `plaintext` in memory with the OS random number generator.
    ///
    /// # Errors
    /// [`SealError::TooLarge`], [`SealError::Signing`], [`SealError::Wrap`],
    /// [`SealError::Random`].
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_in_memory(plaintext, &mut getrandom::SysRng)
    }

    /// Seals `plaintext` in memory, drawing the content key and the OAEP seeds from `rng`
    /// (the PSS salt comes from the signer). With a seeded generator, and a signer that draws
    /// from the same one, the output is reproducible: for test vectors only, since a repeated
    /// content key repeats every GCM nonce.
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    #[cfg(feature = "test-vectors")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-vectors")))]
    pub fn seal_with_rng<R: TryCryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_in_memory(plaintext, rng)
    }

    fn seal_in_memory<R: TryCryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, SealError> {
        self.limits
            .check(Limit::BundleLen, plaintext.len() as u64)
            .map_err(SealError::TooLarge)?;
        let mut out = Vec::new();
        let mut spool = io::Cursor::new(Vec::new());
        self.seal_core(plaintext, &mut spool, &mut out, rng)?;
        Ok(out)
    }

    /// Seals a stream. The encrypted chunks are spooled to an anonymous temporary file (only
    /// ciphertext touches the disk) until the header can be signed, then the header, signature
    /// and chunks are written to `output`. Memory use is bounded by the chunk size and the
    /// header.
    ///
    /// # Errors
    /// As [`seal`](Self::seal); [`SealError::Io`].
    pub fn seal_stream<R: Read, W: Write>(&self, input: R, output: W) -> Result<Sealed, SealError> {
        let mut spool = tempfile::tempfile()?;
        self.seal_core(input, &mut spool, output, &mut getrandom::SysRng)
    }

    /// Seals a stream into `output`, which is persisted (given its name) only when complete;
    /// nothing is left on failure.
    ///
    /// # Errors
    /// As [`seal_stream`](Self::seal_stream); [`SealError::Output`].
    pub fn seal_to<R: Read>(&self, input: R, mut output: PendingFile) -> Result<Sealed, SealError> {
        let sealed = self.seal_stream(input, &mut output)?;
        output.persist()?;
        Ok(sealed)
    }

    /// [`seal_to`](Self::seal_to) a new [`PendingFile`] for `dest` (ciphertext: the umask's
    /// mode) that replaces an existing `dest` once complete.
    ///
    /// # Errors
    /// As [`seal_to`](Self::seal_to).
    pub fn seal_to_file<R: Read>(&self, input: R, dest: &Path) -> Result<Sealed, SealError> {
        self.seal_to(
            input,
            PendingFile::create(dest, Mode::Umask, Existing::Replace)?,
        )
    }

    /// The whole producer for a reader: [`seal_with`](Self::seal_with) fed by `io::copy`.
    pub(crate) fn seal_core<I: Read, S: Read + Write + Seek, W: Write, R: TryCryptoRng + ?Sized>(
        &self,
        mut input: I,
        spool: &mut S,
        output: W,
        rng: &mut R,
    ) -> Result<Sealed, SealError> {
        self.seal_with(spool, output, rng, |body| {
            io::copy(&mut input, body)?;
            Ok(())
        })
    }

    /// The whole producer: `feed` writes the plaintext into a [`BodyWriter`], which encrypts
    /// and commits to every chunk and spools the ciphertext; then the header is built, signed
    /// and written, then the chunks are copied after it.
    pub(crate) fn seal_with<S, W, R, F>(
        &self,
        spool: &mut S,
        mut output: W,
        rng: &mut R,
        feed: F,
    ) -> Result<Sealed, SealError>
    where
        S: Read + Write + Seek,
        W: Write,
        R: TryCryptoRng + ?Sized,
        F: FnOnce(&mut BodyWriter<'_, S>) -> Result<(), SealError>,
    {
        let suite = Suite::RsaOaepPssHkdfAes256Gcm64K;
        let key = crypto::random_content_key(rng).ok_or(SealError::Random)?;
        let (cipher, key_commitment) = ChunkCipher::seal(&key);
        let mut body = BodyWriter {
            cipher,
            chunk_size: suite.chunk_size() as usize,
            buf: Zeroizing::new(vec![0u8; suite.chunk_size() as usize + TAG_LEN]),
            filled: 0,
            sealed: Zeroizing::new(vec![0u8; suite.chunk_size() as usize + TAG_LEN]),
            sealed_len: 0,
            index: 0,
            commitments: Vec::new(),
            total: 0,
            limits: self.limits,
            too_large: None,
            spool,
        };
        let fed = feed(&mut body);
        if let Some(e) = body.too_large {
            return Err(SealError::TooLarge(e));
        }
        fed?;
        let (commitments, total, spool) = body.finish()?;
        let mut recipients = Vec::with_capacity(self.recipients.len());
        for r in &self.recipients {
            recipients.push(RecipientStanza {
                fingerprint: r.fingerprint(),
                wrapped_key: crypto::wrap_key(rng, r, &key).map_err(SealError::Wrap)?,
            });
        }
        let header = Header::new(
            suite,
            self.signer.public_key().fingerprint(),
            self.context.clone(),
            total,
            key_commitment,
            recipients,
            commitments,
        )
        .map_err(SealError::InvalidHeader)?;
        let bytes = header.encode();
        let sig = crypto::pss_sign(self.signer, HEADER_SIGNATURE_CONTEXT, &bytes)?;
        let sig = encode_signature_field(&sig).map_err(SealError::InvalidHeader)?;
        output.write_all(&bytes)?;
        output.write_all(&sig)?;
        spool.seek(SeekFrom::Start(0))?;
        let copied = io::copy(spool, &mut output)?;
        output.flush()?;
        Ok(Sealed {
            sealed_len: (bytes.len() + sig.len()) as u64 + copied,
            header,
        })
    }
}

/// A [`Write`] sink that cuts plaintext into chunks (`spec/v3.md` section 6.1), encrypts each
/// with its STREAM nonce, records its commitment and appends it to a spool. A chunk is sealed
/// only when the next byte arrives (then it is not the last one) or at
/// [`finish`](Self::finish) (then it is). A sealed chunk is hashed and spooled while the next
/// one is sealed (two cores, [`crate::par`]).
pub(crate) struct BodyWriter<'s, S> {
    cipher: ChunkCipher,
    chunk_size: usize,
    /// The chunk being filled with plaintext, then sealed in place.
    buf: Zeroizing<Vec<u8>>,
    filled: usize,
    /// The previous sealed chunk, not yet committed to nor spooled (`sealed_len` bytes).
    sealed: Zeroizing<Vec<u8>>,
    sealed_len: usize,
    index: u32,
    commitments: Vec<[u8; 32]>,
    total: u64,
    limits: Limits,
    too_large: Option<otaseal_wire::LimitExceeded>,
    spool: &'s mut S,
}

impl<'s, S: Write> BodyWriter<'s, S> {
    fn seal_buffered(&mut self, last: bool) -> io::Result<()> {
        let chunk = &mut self.buf[..self.filled + TAG_LEN];
        let prev = &self.sealed[..self.sealed_len];
        let (cipher, index) = (&self.cipher, self.index);
        let (prev_commitment, ok) = crate::par::join(
            chunk.len().min(prev.len()),
            || (!prev.is_empty()).then(|| crypto::commitment(prev)),
            || cipher.seal_chunk(index, last, chunk),
        );
        if !ok {
            return Err(io::Error::other("AES-GCM encryption of a chunk failed"));
        }
        if let Some(c) = prev_commitment {
            self.commitments.push(c);
            self.spool.write_all(prev)?;
        }
        // The chunk just sealed becomes the previous one.
        self.sealed_len = self.filled + TAG_LEN;
        core::mem::swap::<Vec<u8>>(&mut self.buf, &mut self.sealed);
        self.filled = 0;
        // 2^32 chunks of 64 KiB is more than any limit allows; the limit check stops first.
        self.index = self.index.saturating_add(1);
        if last {
            let prev = &self.sealed[..self.sealed_len];
            self.commitments.push(crypto::commitment(prev));
            self.spool.write_all(prev)?;
            self.sealed_len = 0;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(Vec<[u8; 32]>, u64, &'s mut S), SealError> {
        self.seal_buffered(true)?;
        self.spool.flush()?;
        Ok((self.commitments, self.total, self.spool))
    }
}

impl<S: Write> Write for BodyWriter<'_, S> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let new_total = self.total.saturating_add(data.len() as u64);
        if let Err(e) = self.limits.check(Limit::BundleLen, new_total) {
            self.too_large = Some(e);
            return Err(io::Error::other(e));
        }
        if self.filled == self.chunk_size {
            self.seal_buffered(false)?;
        }
        let n = data.len().min(self.chunk_size - self.filled);
        self.buf[self.filled..self.filled + n].copy_from_slice(&data[..n]);
        self.filled += n;
        self.total += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Signs arbitrary bytes as a V3 header and returns the signature field (`u16` length and
/// signature, `spec/v3.md` section 5), without checking that the bytes are a valid header.
/// Public only through [`crate::hazmat`].
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))]
pub(crate) fn sign_header_bytes(header: &[u8], signer: &dyn Signer) -> Result<Vec<u8>, SealError> {
    let sig = crypto::pss_sign(signer, HEADER_SIGNATURE_CONTEXT, header)?;
    encode_signature_field(&sig).map_err(SealError::InvalidHeader)
}

/// Seals `plaintext` in memory: [`Sealer::new`] then [`Sealer::seal`].
///
/// # Errors
/// As [`Sealer::new`] and [`Sealer::seal`].
pub fn seal(
    plaintext: &[u8],
    signer: &dyn Signer,
    recipients: &[&PublicKey],
    context: Context,
) -> Result<Vec<u8>, SealError> {
    Sealer::new(signer, recipients, context)?.seal(plaintext)
}
