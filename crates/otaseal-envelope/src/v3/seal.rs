//! Sealing (`spec/v3.md` sections 3 to 6, producer side).

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use otaseal_keys::{PrivateKey, PublicKey};
use otaseal_wire::Limits;
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use super::crypto::{self, ChunkCipher, HEADER_SIGNATURE_CONTEXT};
use super::error::Error;
use super::header::{
    Context, Header, MAX_RECIPIENTS, RecipientStanza, Suite, TAG_LEN, chunk_count_for,
};
use super::temp_beside;

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
/// # use otaseal_envelope::v3::{Context, Policy, Sealer, TrustedKeys, open_bytes};
/// # use otaseal_keys::{KeySize, Limits, PrivateKey};
/// # let signer = PrivateKey::generate(KeySize::Rsa2048)?;
/// # let device = PrivateKey::generate(KeySize::Rsa2048)?;
/// let ctx = Context::new("com.example.app", "production", "1.0.0", 7, 1_700_000_000, 4_000_000_000);
/// let sealed = Sealer::new(&signer, &[device.public_key()], ctx)?.seal(b"PK\x03\x04...")?;
///
/// let policy = Policy::new(TrustedKeys::from_keys([signer.public_key().clone()]), "com.example.app")
///     .min_sequence(7)
///     .now(1_750_000_000);
/// let plain = open_bytes(&sealed, &device, &policy, &Limits::default())?;
/// assert_eq!(plain.as_slice(), b"PK\x03\x04...");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Sealer<'a> {
    signer: &'a PrivateKey,
    recipients: Vec<&'a PublicKey>,
    context: Context,
    limits: Limits,
}

impl<'a> Sealer<'a> {
    /// Checks the arguments: 1 to 64 distinct recipients, the signing key not among them
    /// (`spec/v3.md` section 4), and a valid context.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the problem.
    pub fn new(
        signer: &'a PrivateKey,
        recipients: &[&'a PublicKey],
        context: Context,
    ) -> Result<Self, Error> {
        context.validate().map_err(Error::InvalidInput)?;
        if recipients.is_empty() {
            return Err(Error::InvalidInput("at least one recipient is required"));
        }
        if recipients.len() > MAX_RECIPIENTS {
            return Err(Error::InvalidInput("at most 64 recipients"));
        }
        let mut sorted: Vec<&PublicKey> = recipients.to_vec();
        sorted.sort_by_key(|k| *k.fingerprint().as_bytes());
        if sorted
            .windows(2)
            .any(|w| w[0].fingerprint() == w[1].fingerprint())
        {
            return Err(Error::InvalidInput("a recipient is listed twice"));
        }
        let signer_fp = signer.public_key().fingerprint();
        if sorted.iter().any(|k| k.fingerprint() == signer_fp) {
            return Err(Error::InvalidInput(
                "the signing key must not be a recipient: use separate keys for signing and decryption",
            ));
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
    /// [`Error::TooLarge`], [`Error::Crypto`].
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.seal_with_rng(plaintext, &mut getrandom::SysRng)
    }

    /// Seals `plaintext` in memory, drawing the content key and the RSA randomness from `rng`.
    /// With a seeded generator the output is reproducible (test vectors); otherwise use
    /// [`seal`](Self::seal).
    ///
    /// # Errors
    /// As [`seal`](Self::seal).
    pub fn seal_with_rng<R: TryCryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
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
    /// As [`seal`](Self::seal); [`Error::Io`].
    pub fn seal_stream<R: Read, W: Write>(&self, input: R, output: W) -> Result<Sealed, Error> {
        let mut spool = tempfile::tempfile()?;
        self.seal_core(input, &mut spool, output, &mut getrandom::SysRng)
    }

    /// Seals a stream to the file `dest` atomically: a temporary file beside `dest`, renamed
    /// over it only when complete; nothing is left on failure.
    ///
    /// # Errors
    /// As [`seal_stream`](Self::seal_stream).
    pub fn seal_to_file<R: Read>(&self, input: R, dest: &Path) -> Result<Sealed, Error> {
        let mut tmp = temp_beside(dest)?;
        let sealed = self.seal_stream(input, &mut tmp)?;
        tmp.as_file().sync_all()?;
        tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
        Ok(sealed)
    }

    /// The whole producer for a reader: [`seal_with`](Self::seal_with) fed by `io::copy`.
    pub(crate) fn seal_core<I: Read, S: Read + Write + Seek, W: Write, R: TryCryptoRng + ?Sized>(
        &self,
        mut input: I,
        spool: &mut S,
        output: W,
        rng: &mut R,
    ) -> Result<Sealed, Error> {
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
    ) -> Result<Sealed, Error>
    where
        S: Read + Write + Seek,
        W: Write,
        R: TryCryptoRng + ?Sized,
        F: FnOnce(&mut BodyWriter<'_, S>) -> Result<(), Error>,
    {
        let suite = Suite::RsaOaepPssAes256Gcm64K;
        let key = crypto::random_content_key(rng)?;
        let mut body = BodyWriter {
            cipher: ChunkCipher::new(&key),
            chunk_size: suite.chunk_size() as usize,
            buf: Zeroizing::new(vec![0u8; suite.chunk_size() as usize + TAG_LEN]),
            filled: 0,
            index: 0,
            commitments: Vec::new(),
            total: 0,
            max: self.limits.max_bundle_len,
            too_large: false,
            spool,
        };
        let fed = feed(&mut body);
        if body.too_large {
            return Err(Error::TooLarge {
                max: self.limits.max_bundle_len,
            });
        }
        fed?;
        let (commitments, total, spool) = body.finish()?;
        let chunk_count = chunk_count_for(total, suite.chunk_size());
        if chunk_count != commitments.len() as u64 {
            return Err(Error::Crypto("chunk count"));
        }
        let mut recipients = Vec::with_capacity(self.recipients.len());
        for r in &self.recipients {
            recipients.push(RecipientStanza {
                fingerprint: r.fingerprint(),
                wrapped_key: crypto::wrap_key(rng, r, &key)?,
            });
        }
        let header = Header {
            suite,
            signer: self.signer.public_key().fingerprint(),
            context: self.context.clone(),
            plaintext_len: total,
            chunk_count: u32::try_from(chunk_count).map_err(|_| Error::TooLarge {
                max: self.limits.max_bundle_len,
            })?,
            recipients,
            commitments,
        };
        let bytes = header.encode();
        let sig = crypto::pss_sign(rng, self.signer, HEADER_SIGNATURE_CONTEXT, &bytes)?;
        output.write_all(&bytes)?;
        output.write_all(&sig_field(&sig)?)?;
        spool.seek(SeekFrom::Start(0))?;
        let copied = io::copy(spool, &mut output)?;
        output.flush()?;
        Ok(Sealed {
            sealed_len: (bytes.len() + 2 + sig.len()) as u64 + copied,
            header,
        })
    }
}

/// A [`Write`] sink that cuts plaintext into chunks (`spec/v3.md` section 6.1), encrypts each
/// with its STREAM nonce, records its commitment and appends it to a spool. A chunk is sealed
/// only when the next byte arrives (then it is not the last one) or at
/// [`finish`](Self::finish) (then it is).
pub(crate) struct BodyWriter<'s, S> {
    cipher: ChunkCipher,
    chunk_size: usize,
    buf: Zeroizing<Vec<u8>>,
    filled: usize,
    index: u32,
    commitments: Vec<[u8; 32]>,
    total: u64,
    max: u64,
    too_large: bool,
    spool: &'s mut S,
}

impl<'s, S: Write> BodyWriter<'s, S> {
    fn seal_buffered(&mut self, last: bool) -> Result<(), Error> {
        let chunk = &mut self.buf[..self.filled + TAG_LEN];
        self.cipher.seal_chunk(self.index, last, chunk)?;
        self.commitments.push(crypto::commitment(chunk));
        self.spool.write_all(chunk)?;
        self.filled = 0;
        self.index = self
            .index
            .checked_add(1)
            .ok_or(Error::TooLarge { max: self.max })?;
        Ok(())
    }

    fn finish(mut self) -> Result<(Vec<[u8; 32]>, u64, &'s mut S), Error> {
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
        if new_total > self.max {
            self.too_large = true;
            return Err(io::Error::other("bundle exceeds max_bundle_len"));
        }
        if self.filled == self.chunk_size {
            self.seal_buffered(false).map_err(|e| match e {
                Error::Io(e) => e,
                other => io::Error::other(other.to_string()),
            })?;
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

fn sig_field(sig: &[u8]) -> Result<Vec<u8>, Error> {
    let len = u16::try_from(sig.len()).map_err(|_| Error::Crypto("signature length"))?;
    let mut out = Vec::with_capacity(2 + sig.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(sig);
    Ok(out)
}

/// Signs arbitrary bytes as a V3 header and returns the signature field (`u16` length and
/// signature, `spec/v3.md` section 5), without checking that the bytes are a valid header.
///
/// Low level: for test vectors and tools that need a correctly signed but otherwise invalid
/// header (a verifier must still reject it). Producers use [`Sealer`].
///
/// # Errors
/// [`Error::Crypto`].
pub fn sign_header_bytes<R: TryCryptoRng + ?Sized>(
    header: &[u8],
    signer: &PrivateKey,
    rng: &mut R,
) -> Result<Vec<u8>, Error> {
    sig_field(&crypto::pss_sign(
        rng,
        signer,
        HEADER_SIGNATURE_CONTEXT,
        header,
    )?)
}

/// Seals `plaintext` in memory: [`Sealer::new`] then [`Sealer::seal`].
///
/// # Errors
/// As [`Sealer::new`] and [`Sealer::seal`].
pub fn seal(
    plaintext: &[u8],
    signer: &PrivateKey,
    recipients: &[&PublicKey],
    context: Context,
) -> Result<Vec<u8>, Error> {
    Sealer::new(signer, recipients, context)?.seal(plaintext)
}
