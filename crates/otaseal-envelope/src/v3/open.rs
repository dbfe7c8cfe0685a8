//! Opening (`spec/v3.md` section 7, verifier side): trusted keys, policy, streaming
//! decryption that releases only verified chunks.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use otaseal_keys::{Fingerprint, PrivateKey, PublicKey};
use otaseal_wire::{Limits, RSA_BLOCK_LENS};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::crypto::{self, ChunkCipher, HEADER_SIGNATURE_CONTEXT};
use super::error::{Error, ParseError, ParseErrorKind};
use super::header::{Header, PREFIX_LEN, TAG_LEN, parse_prefix};
use super::{read_full, temp_beside};

/// The signing keys a verifier trusts (`spec/v3.md` section 7, step 4): several at once, so
/// that keys can be rotated; extended by accepted rotation statements
/// ([`TrustedKeys::accept_rotation`]).
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<PublicKey>,
}

impl TrustedKeys {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of the given keys.
    #[must_use]
    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        let mut s = Self::new();
        for k in keys {
            s.add(k);
        }
        s
    }

    /// Adds a key (no effect if it is already trusted).
    pub fn add(&mut self, key: PublicKey) {
        if self.get(&key.fingerprint()).is_none() {
            self.keys.push(key);
        }
    }

    /// The trusted key with this fingerprint.
    #[must_use]
    pub fn get(&self, fingerprint: &Fingerprint) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find(|k| k.fingerprint().as_bytes() == fingerprint.as_bytes())
    }

    /// The trusted keys.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter()
    }

    /// Number of trusted keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` if no key is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Default allowed clock skew for `created_at`, in seconds (`spec/v3.md` section 7, step 6).
pub const DEFAULT_CLOCK_SKEW: u64 = 600;

/// What a verifier requires of a bundle beyond its signature (`spec/v3.md` section 7,
/// step 6): app id, optional channel, minimum sequence, and a clock.
///
/// ```
/// use otaseal_envelope::v3::{Policy, TrustedKeys};
///
/// let policy = Policy::new(TrustedKeys::new(), "com.example.app")
///     .channel("production")
///     .min_sequence(41)      // the sequence of the bundle installed now
///     .now(1_750_000_000);   // injectable clock; the system clock when not set
/// assert_eq!(policy.app_id(), "com.example.app");
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    trusted: TrustedKeys,
    app_id: String,
    channel: Option<String>,
    min_sequence: u64,
    now: Option<u64>,
    clock_skew: u64,
}

impl Policy {
    /// A policy trusting `trusted` for bundles of `app_id`, any channel, any sequence, with
    /// the system clock.
    #[must_use]
    pub fn new(trusted: TrustedKeys, app_id: impl Into<String>) -> Self {
        Self {
            trusted,
            app_id: app_id.into(),
            channel: None,
            min_sequence: 0,
            now: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
    }

    /// Requires this channel.
    #[must_use]
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Requires `sequence >= min` (rollback protection).
    #[must_use]
    pub fn min_sequence(mut self, min: u64) -> Self {
        self.min_sequence = min;
        self
    }

    /// Uses `unix_seconds` as the current time instead of the system clock.
    #[must_use]
    pub fn now(mut self, unix_seconds: u64) -> Self {
        self.now = Some(unix_seconds);
        self
    }

    /// Allowed skew for `created_at` in the future, in seconds (default 600).
    #[must_use]
    pub fn clock_skew(mut self, seconds: u64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// The trusted signing keys.
    #[must_use]
    pub fn trusted(&self) -> &TrustedKeys {
        &self.trusted
    }

    /// The trusted signing keys, to extend (for example with a rotation statement).
    pub fn trusted_mut(&mut self) -> &mut TrustedKeys {
        &mut self.trusted
    }

    /// The expected app id.
    #[must_use]
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    fn current_time(&self) -> u64 {
        self.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }

    /// Checks the signed context against the policy (`spec/v3.md` section 7, step 6). Call
    /// only on a header whose signature verified ([`SignedHeader::verify`] does both).
    ///
    /// # Errors
    /// [`Error::WrongApp`], [`Error::WrongChannel`], [`Error::Rollback`], [`Error::Expired`],
    /// [`Error::NotYetValid`].
    pub fn check(&self, header: &Header) -> Result<(), Error> {
        let ctx = header.context();
        if ctx.app_id != self.app_id {
            return Err(Error::WrongApp {
                found: ctx.app_id.clone(),
            });
        }
        if let Some(ch) = &self.channel
            && *ch != ctx.channel
        {
            return Err(Error::WrongChannel {
                found: ctx.channel.clone(),
            });
        }
        if ctx.sequence < self.min_sequence {
            return Err(Error::Rollback {
                sequence: ctx.sequence,
                min: self.min_sequence,
            });
        }
        let now = self.current_time();
        if now >= ctx.expires_at {
            return Err(Error::Expired {
                expires_at: ctx.expires_at,
                now,
            });
        }
        if ctx.created_at > now.saturating_add(self.clock_skew) {
            return Err(Error::NotYetValid {
                created_at: ctx.created_at,
                now,
            });
        }
        Ok(())
    }
}

/// A parsed header with its signature, exactly as read: not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeader {
    header: Header,
    bytes: Vec<u8>,
    signature: Vec<u8>,
}

impl SignedHeader {
    /// The parsed header (unverified until [`verify`](Self::verify) succeeds).
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The header bytes as received.
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The RSA-PSS signature.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Length of header and signature field: the offset of the first chunk.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len() + 2 + self.signature.len()
    }

    /// Always `false`: a header is never empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `spec/v3.md` section 7, steps 4 to 6: the signer is trusted, the signature verifies,
    /// and the signed context satisfies `policy`. Needs no private key: a server can check a
    /// bundle it cannot decrypt.
    ///
    /// # Errors
    /// [`Error::UntrustedSigner`], [`Error::BadSignature`] and the errors of [`Policy::check`].
    pub fn verify(&self, policy: &Policy) -> Result<(), Error> {
        let signer = self.header.signer();
        let key = policy
            .trusted
            .get(&signer)
            .ok_or(Error::UntrustedSigner { signer })?;
        if !crypto::pss_verify(key, HEADER_SIGNATURE_CONTEXT, &self.bytes, &self.signature) {
            return Err(Error::BadSignature);
        }
        policy.check(&self.header)
    }
}

/// Reads and parses the header and signature field from the start of a sealed stream
/// (`spec/v3.md` section 7, steps 1 and 2), allocating only what `limits` allow. Nothing is
/// verified: use it to inspect a bundle, then [`SignedHeader::verify`].
///
/// # Errors
/// [`Error::Parse`] (truncated input is [`ParseErrorKind::UnexpectedEnd`]), [`Error::Io`].
pub fn read_signed_header<R: Read>(mut reader: R, limits: &Limits) -> Result<SignedHeader, Error> {
    let mut prefix = [0u8; PREFIX_LEN];
    let n = read_full(&mut reader, &mut prefix)?;
    // Check what is there before complaining that it is short: a short file with a wrong
    // magic is "not V3", not "truncated".
    if n < PREFIX_LEN {
        let kind = if super::header::MAGIC.starts_with(&prefix[..n.min(8)]) {
            ParseErrorKind::UnexpectedEnd
        } else {
            ParseErrorKind::BadMagic
        };
        let offset = if kind == ParseErrorKind::BadMagic {
            0
        } else {
            n
        };
        return Err(ParseError { offset, kind }.into());
    }
    let (_suite, header_len) = parse_prefix(&prefix, limits)?;
    // header_len is bounded by max_header_len(limits) in parse_prefix.
    let mut bytes = vec![0u8; header_len];
    bytes[..PREFIX_LEN].copy_from_slice(&prefix);
    let n = read_full(&mut reader, &mut bytes[PREFIX_LEN..])?;
    if PREFIX_LEN + n < header_len {
        return Err(ParseError {
            offset: PREFIX_LEN + n,
            kind: ParseErrorKind::UnexpectedEnd,
        }
        .into());
    }
    let header = Header::parse(&bytes, limits)?;
    let mut len = [0u8; 2];
    if read_full(&mut reader, &mut len)? < 2 {
        return Err(ParseError {
            offset: header_len,
            kind: ParseErrorKind::UnexpectedEnd,
        }
        .into());
    }
    let sig_len = usize::from(u16::from_be_bytes(len));
    if !RSA_BLOCK_LENS.contains(&sig_len) || sig_len > limits.max_rsa_block_len {
        return Err(ParseError {
            offset: header_len,
            kind: ParseErrorKind::BadBlockLength,
        }
        .into());
    }
    let mut signature = vec![0u8; sig_len];
    let n = read_full(&mut reader, &mut signature)?;
    if n < sig_len {
        return Err(ParseError {
            offset: header_len + 2 + n,
            kind: ParseErrorKind::UnexpectedEnd,
        }
        .into());
    }
    Ok(SignedHeader {
        header,
        bytes,
        signature,
    })
}

/// A successfully opened bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opened {
    /// The verified header. Store `header.context().sequence` as the next minimum sequence.
    pub header: Header,
    /// Plaintext bytes written.
    pub plaintext_len: u64,
}

/// Verifies and decrypts a sealed bundle from `reader` to `writer` (`spec/v3.md` section 7),
/// with memory bounded by one chunk and the header.
///
/// Every chunk is checked against its signed commitment and its GCM tag **before** its
/// plaintext is written. If a later chunk fails, or the input is truncated or followed by
/// extra bytes, an error is returned and `writer` holds an authentic but **incomplete prefix**
/// of the plaintext: discard it. Use [`open_to_file`] for atomic output.
///
/// # Errors
/// Any [`Error`] of `spec/v3.md` section 7.1.
pub fn open<R: Read, W: Write>(
    mut reader: R,
    mut writer: W,
    key: &PrivateKey,
    policy: &Policy,
    limits: &Limits,
) -> Result<Opened, Error> {
    let signed = read_signed_header(&mut reader, limits)?;
    let header = &signed.header;
    let own = key.public_key().fingerprint();
    // Step 3: one key, one purpose.
    if header.signer() == own {
        return Err(Error::KeyReuse);
    }
    // Steps 4 to 6.
    signed.verify(policy)?;
    // Step 7.
    let stanza = header
        .recipients()
        .iter()
        .find(|s| s.fingerprint == own)
        .ok_or(Error::NotARecipient)?;
    let content_key = crypto::unwrap_key(key, &stanza.wrapped_key)?;
    let cipher = ChunkCipher::new(&content_key);
    // Step 8.
    let cs = header.chunk_size() as usize;
    let mut buf = Zeroizing::new(vec![0u8; cs + TAG_LEN]);
    let n = header.chunk_count();
    for (i, want) in (0..n).zip(header.commitments()) {
        let len = header.chunk_plaintext_len(i) + TAG_LEN;
        let chunk = &mut buf[..len];
        if read_full(&mut reader, chunk)? < len {
            return Err(Error::Truncated);
        }
        let ok = crypto::commitment(chunk).ct_eq(want);
        if !bool::from(ok) {
            return Err(Error::Decryption);
        }
        cipher.open_chunk(i, i + 1 == n, chunk)?;
        writer.write_all(&chunk[..len - TAG_LEN])?;
    }
    // Step 9.
    let mut extra = [0u8; 1];
    if read_full(&mut reader, &mut extra)? != 0 {
        return Err(Error::TrailingData);
    }
    writer.flush()?;
    Ok(Opened {
        plaintext_len: header.plaintext_len(),
        header: signed.header,
    })
}

/// Verifies and decrypts a sealed bundle into the file `dest`, atomically: plaintext goes to a
/// temporary file beside `dest` (mode 0600 on Unix), renamed over `dest` only after the last
/// chunk verified and the input ended; on any error the temporary file is removed and an
/// existing `dest` is left untouched.
///
/// # Errors
/// As [`open`].
pub fn open_to_file<R: Read>(
    reader: R,
    dest: &Path,
    key: &PrivateKey,
    policy: &Policy,
    limits: &Limits,
) -> Result<Opened, Error> {
    let mut tmp = temp_beside(dest)?;
    let opened = open(reader, &mut tmp, key, policy, limits)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
    Ok(opened)
}

/// Verifies and decrypts a whole sealed bundle in memory; the plaintext is returned only if
/// everything verified (a partial plaintext is wiped).
///
/// # Errors
/// As [`open`].
pub fn open_bytes(
    sealed: &[u8],
    key: &PrivateKey,
    policy: &Policy,
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut out = Zeroizing::new(Vec::new());
    open(sealed, &mut *out, key, policy, limits)?;
    Ok(out)
}
