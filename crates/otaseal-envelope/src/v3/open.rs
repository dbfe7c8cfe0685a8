//! Opening (`spec/v3.md` section 7, verifier side) as a typestate, after rage's
//! `Decryptor`: [`Decryptor::new`] reads and parses the header (nothing verified),
//! [`Decryptor::verify`] checks the signer, the signature and the policy and returns a
//! [`VerifiedDecryptor`], and only that can [`decrypt`](VerifiedDecryptor::decrypt) into a
//! [`StreamReader`] that releases nothing but chunks verified against their signed commitment
//! and GCM tag. A caller never holds "parsed" and "verified" in the same type, so no code path
//! can unwrap the content key under a header whose signature was not checked.

use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use otaseal_keys::Signer;
use otaseal_wire::Limits;
use otaseal_wire::v3::{
    Header, MAGIC, PREFIX_LEN, ParseError, ParseErrorKind, SIGNATURE_LEN_LEN, TAG_LEN,
    parse_prefix, parse_signature_len,
};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::crypto::{self, ChunkCipher, HEADER_SIGNATURE_CONTEXT};
use super::error::OpenError;
use super::rotation::TrustedKeys;
use crate::io::{Existing, Mode, PendingFile, read_full};

/// Default allowed clock skew for `created_at`, in seconds (`spec/v3.md` section 7, step 6).
pub const DEFAULT_CLOCK_SKEW: u64 = 600;

/// Which channel a bundle must be for (`spec/v3.md` section 7, step 6). There is no default:
/// accepting any channel is a choice the caller writes out.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// Only bundles signed for this channel.
    Only(String),
    /// Bundles of any channel (the sequence rule then spans all channels, `spec/v3.md` 11).
    Any,
}

impl Channel {
    /// [`Channel::Only`] this channel.
    #[must_use]
    pub fn only(channel: impl Into<String>) -> Self {
        Channel::Only(channel.into())
    }

    /// `true` if a bundle signed for `channel` satisfies the rule.
    #[must_use]
    pub fn accepts(&self, channel: &str) -> bool {
        match self {
            Channel::Only(c) => c == channel,
            Channel::Any => true,
        }
    }
}

/// Rollback protection: which sequence numbers a policy accepts (`spec/v3.md` section 7,
/// step 6). There is no default: `AtLeast(0)`, which accepts every bundle, must be written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sequence {
    /// `sequence >= n`: `n` is the sequence of the bundle installed now, which may be installed
    /// again.
    AtLeast(u64),
    /// `sequence > n`: `n` is the highest sequence opened before, as a verifier state records
    /// it (`spec/v3.md` section 11).
    After(u64),
}

impl Sequence {
    /// `true` if a bundle of this sequence number is accepted.
    #[must_use]
    pub fn accepts(self, sequence: u64) -> bool {
        match self {
            Sequence::AtLeast(n) => sequence >= n,
            Sequence::After(n) => sequence > n,
        }
    }

    /// The rule that accepts exactly the sequences both rules accept.
    #[must_use]
    pub fn and(self, other: Sequence) -> Sequence {
        // The lowest accepted sequence of each, as u128 so that After(u64::MAX) has one.
        let lowest = |r: Sequence| match r {
            Sequence::AtLeast(n) => u128::from(n),
            Sequence::After(n) => u128::from(n) + 1,
        };
        if lowest(self) >= lowest(other) {
            self
        } else {
            other
        }
    }
}

impl core::fmt::Display for Sequence {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Sequence::AtLeast(n) => write!(f, "at least {n}"),
            Sequence::After(n) => write!(f, "greater than {n}, the highest opened before"),
        }
    }
}

/// What a verifier requires of a bundle beyond its signature (`spec/v3.md` section 7,
/// step 6): the trusted key set, the app id, a channel rule, a sequence rule, and a clock.
/// Channel and rollback protection are arguments, not options: nothing is accepted by default.
/// A verifier state (`VerifierState`, feature `state`) makes the policy for a bundle from what
/// it recorded.
///
/// ```
/// use otaseal_envelope::v3::{Channel, Policy, Sequence, TrustedKeys};
///
/// let policy = Policy::new(
///     TrustedKeys::new(),
///     "com.example.app",
///     Channel::only("production"),
///     Sequence::AtLeast(41), // the sequence of the bundle installed now
/// )
/// .now(1_750_000_000); // injectable clock; the system clock when not set
/// assert_eq!(policy.app_id(), "com.example.app");
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    trusted: TrustedKeys,
    app_id: String,
    channel: Channel,
    sequence: Sequence,
    now: Option<u64>,
    clock_skew: u64,
}

impl Policy {
    /// A policy trusting `trusted` for bundles of `app_id` whose channel and sequence satisfy
    /// `channel` and `sequence`, with the system clock.
    #[must_use]
    pub fn new(
        trusted: TrustedKeys,
        app_id: impl Into<String>,
        channel: Channel,
        sequence: Sequence,
    ) -> Self {
        Self {
            trusted,
            app_id: app_id.into(),
            channel,
            sequence,
            now: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
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

    /// Also requires `sequence` (both rules must hold): for example a floor below which even a
    /// new verifier state accepts nothing.
    #[must_use]
    pub fn and_sequence(mut self, sequence: Sequence) -> Self {
        self.sequence = self.sequence.and(sequence);
        self
    }

    /// The trusted signing keys.
    #[must_use]
    pub fn trusted(&self) -> &TrustedKeys {
        &self.trusted
    }

    /// The expected app id.
    #[must_use]
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The channel rule.
    #[must_use]
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The sequence rule.
    #[must_use]
    pub fn sequence(&self) -> Sequence {
        self.sequence
    }

    /// The time the policy checks against: the injected one, or the system clock.
    #[must_use]
    pub fn current_time(&self) -> u64 {
        self.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }

    /// Checks the signed context against the policy (`spec/v3.md` section 7, step 6). Only
    /// [`Decryptor::verify`] calls it, after the signature verified.
    fn check(&self, header: &Header) -> Result<(), OpenError> {
        let ctx = header.context();
        if ctx.app_id != self.app_id {
            return Err(OpenError::WrongApp {
                found: ctx.app_id.clone(),
            });
        }
        if !self.channel.accepts(&ctx.channel) {
            return Err(OpenError::WrongChannel {
                found: ctx.channel.clone(),
            });
        }
        if !self.sequence.accepts(ctx.sequence) {
            return Err(OpenError::Rollback {
                sequence: ctx.sequence,
                required: self.sequence,
            });
        }
        let now = self.current_time();
        if now >= ctx.expires_at {
            return Err(OpenError::Expired {
                expires_at: ctx.expires_at,
                now,
            });
        }
        if ctx.created_at > now.saturating_add(self.clock_skew) {
            return Err(OpenError::NotYetValid {
                created_at: ctx.created_at,
                now,
            });
        }
        Ok(())
    }
}

/// A parsed header with its signature, exactly as read: **not verified**. For inspecting a
/// bundle ([`read_signed_header`]); opening goes through [`Decryptor`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeader {
    header: Header,
    bytes: Vec<u8>,
    signature: Vec<u8>,
}

impl SignedHeader {
    /// The parsed header (unverified).
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
        self.bytes.len() + SIGNATURE_LEN_LEN + self.signature.len()
    }

    /// Always `false`: a header is never empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `spec/v3.md` section 7, steps 4 to 6: the signer is trusted, the signature verifies,
    /// and the signed context satisfies `policy`.
    fn verify(&self, policy: &Policy) -> Result<(), OpenError> {
        let signer = self.header.signer();
        let key = policy
            .trusted
            .get(&signer)
            .ok_or(OpenError::UntrustedSigner { signer })?;
        if !crypto::pss_verify(key, HEADER_SIGNATURE_CONTEXT, &self.bytes, &self.signature) {
            return Err(OpenError::BadSignature);
        }
        policy.check(&self.header)
    }
}

/// Reads and parses the header and signature field from the start of a sealed stream
/// (`spec/v3.md` section 7, steps 1 and 2), allocating only what `limits` allow. Nothing is
/// verified: use it to inspect a bundle; to open one, use [`Decryptor`].
///
/// # Errors
/// [`OpenError::Parse`] (truncated input is [`ParseErrorKind::UnexpectedEnd`]),
/// [`OpenError::Io`].
pub fn read_signed_header<R: Read>(
    mut reader: R,
    limits: &Limits,
) -> Result<SignedHeader, OpenError> {
    let end = |offset| ParseError {
        offset,
        kind: ParseErrorKind::UnexpectedEnd,
    };
    let mut prefix = [0u8; PREFIX_LEN];
    let n = read_full(&mut reader, &mut prefix)?;
    // Check what is there before complaining that it is short: a short file with a wrong
    // magic is "not V3", not "truncated".
    if n < PREFIX_LEN {
        return Err(if MAGIC.starts_with(&prefix[..n.min(8)]) {
            end(n)
        } else {
            ParseError {
                offset: 0,
                kind: ParseErrorKind::BadMagic,
            }
        }
        .into());
    }
    let (_suite, header_len) = parse_prefix(&prefix, limits)?;
    // header_len is bounded by max_header_len(limits) in parse_prefix.
    let mut bytes = vec![0u8; header_len];
    bytes[..PREFIX_LEN].copy_from_slice(&prefix);
    let n = read_full(&mut reader, &mut bytes[PREFIX_LEN..])?;
    if PREFIX_LEN + n < header_len {
        return Err(end(PREFIX_LEN + n).into());
    }
    let header = Header::parse(&bytes, limits)?;
    let mut len = [0u8; SIGNATURE_LEN_LEN];
    if read_full(&mut reader, &mut len)? < SIGNATURE_LEN_LEN {
        return Err(end(header_len).into());
    }
    let sig_len = parse_signature_len(len, header_len, limits)?;
    let mut signature = vec![0u8; sig_len];
    let n = read_full(&mut reader, &mut signature)?;
    if n < sig_len {
        return Err(end(header_len + SIGNATURE_LEN_LEN + n).into());
    }
    Ok(SignedHeader {
        header,
        bytes,
        signature,
    })
}

/// Opening, step 1: a sealed stream whose header and signature field were read and parsed.
/// Nothing is verified yet; [`verify`](Self::verify) is the only way on.
///
/// ```
/// use otaseal_envelope::v3::{self, Channel, Context, Decryptor, Policy, Sequence, TrustedKeys};
/// use otaseal_keys::{KeySize, Limits, PrivateKey};
/// use std::io::Read;
///
/// let signing = PrivateKey::generate(KeySize::Rsa2048)?;
/// let device = PrivateKey::generate(KeySize::Rsa2048)?;
/// let ctx = Context::new("com.example.app", "production", "2.0.0", 3, 1_700_000_000, 1_800_000_000);
/// let sealed = v3::seal(b"zip bytes", &signing, &[device.public_key()], ctx)?;
///
/// let keys = TrustedKeys::from_keys([signing.public_key().clone()]);
/// let policy = Policy::new(keys, "com.example.app", Channel::only("production"), Sequence::After(2))
///     .now(1_750_000_000);
/// let parsed = Decryptor::new(sealed.as_slice(), &Limits::default())?;
/// let verified = parsed.verify(&policy)?; // a server can stop here: no private key needed
/// assert_eq!(verified.header().context().sequence, 3);
/// let mut plain = Vec::new();
/// verified.decrypt(&device)?.read_to_end(&mut plain)?;
/// assert_eq!(plain, b"zip bytes");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Decryptor<R> {
    reader: R,
    signed: SignedHeader,
}

impl<R: Read> Decryptor<R> {
    /// Reads and parses the header and signature field (`spec/v3.md` section 7, steps 1 and 2).
    ///
    /// # Errors
    /// As [`read_signed_header`].
    pub fn new(mut reader: R, limits: &Limits) -> Result<Self, OpenError> {
        let signed = read_signed_header(&mut reader, limits)?;
        Ok(Self { reader, signed })
    }

    /// The parsed header, **not verified**: for display only.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.signed.header
    }

    /// `spec/v3.md` section 7, steps 4 to 6: the signer is trusted, the signature verifies,
    /// and the signed context satisfies `policy`. Needs no private key: a server can check a
    /// bundle it cannot decrypt.
    ///
    /// # Errors
    /// [`OpenError::UntrustedSigner`], [`OpenError::BadSignature`], [`OpenError::WrongApp`],
    /// [`OpenError::WrongChannel`], [`OpenError::Rollback`], [`OpenError::Expired`],
    /// [`OpenError::NotYetValid`].
    pub fn verify(self, policy: &Policy) -> Result<VerifiedDecryptor<R>, OpenError> {
        self.signed.verify(policy)?;
        Ok(VerifiedDecryptor {
            reader: self.reader,
            header: self.signed.header,
        })
    }
}

/// Opening, step 2: the header's signer is trusted, its signature verified and its context
/// satisfied the policy.
#[derive(Debug)]
pub struct VerifiedDecryptor<R> {
    reader: R,
    header: Header,
}

impl<R: Read> VerifiedDecryptor<R> {
    /// The verified header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// `spec/v3.md` section 7, steps 3 and 7: the decryption key is not the signer (one key,
    /// one purpose), the bundle has a recipient stanza for it, the content key unwraps, and it
    /// matches the signed key commitment. The returned reader decrypts the body (step 8).
    ///
    /// # Errors
    /// [`OpenError::KeyReuse`], [`OpenError::NotARecipient`], [`OpenError::Decryption`].
    pub fn decrypt(self, key: &dyn Signer) -> Result<StreamReader<R>, OpenError> {
        let own = key.public_key().fingerprint();
        if self.header.signer() == own {
            return Err(OpenError::KeyReuse);
        }
        let stanza = self
            .header
            .recipients()
            .iter()
            .find(|s| s.fingerprint == own)
            .ok_or(OpenError::NotARecipient)?;
        let cipher = ChunkCipher::open(key, &stanza.wrapped_key, self.header.key_commitment())
            .ok_or(OpenError::Decryption)?;
        let chunk_size = self.header.chunk_size() as usize;
        Ok(StreamReader {
            reader: self.reader,
            cipher,
            sealed: vec![0u8; chunk_size + TAG_LEN],
            buf: Zeroizing::new(vec![0u8; chunk_size]),
            header: self.header,
            next: 0,
            ready: 0..0,
            state: State::Body,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Body,
    Done,
    Failed,
}

/// Opening, step 3: a reader of the plaintext that releases a chunk only after it matched its
/// signed commitment and its GCM tag (`spec/v3.md` section 7, steps 8 and 9).
///
/// If a later chunk fails, or the input is truncated or followed by extra bytes, a read
/// returns an error (an [`io::Error`] whose inner error is the [`OpenError`]) after an
/// authentic but **incomplete prefix** of the plaintext: discard it unless the reader reached
/// its end. [`open_to`] does.
pub struct StreamReader<R> {
    reader: R,
    cipher: ChunkCipher,
    /// The chunk as read: ciphertext and tag (not secret).
    sealed: Vec<u8>,
    /// Its plaintext, once it verified.
    buf: Zeroizing<Vec<u8>>,
    header: Header,
    next: u32,
    ready: core::ops::Range<usize>,
    state: State,
}

impl<R> core::fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamReader")
            .field("next_chunk", &self.next)
            .finish_non_exhaustive()
    }
}

impl<R: Read> StreamReader<R> {
    /// The verified header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next verified chunk of plaintext, or `None` after the last one (once the input
    /// was found to end there).
    ///
    /// # Errors
    /// [`OpenError::Truncated`], [`OpenError::Decryption`], [`OpenError::TrailingData`],
    /// [`OpenError::Io`]; every later call fails too.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, OpenError> {
        match self.state {
            State::Done => return Ok(None),
            State::Failed => return Err(OpenError::Decryption),
            State::Body => {}
        }
        match self.read_chunk() {
            Ok(Some(len)) => Ok(Some(&self.buf[..len])),
            Ok(None) => {
                self.state = State::Done;
                Ok(None)
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// Reads, checks and decrypts chunk `self.next`; returns its plaintext length, or `None`
    /// once all chunks were read and the input ends.
    fn read_chunk(&mut self) -> Result<Option<usize>, OpenError> {
        let n = self.header.chunk_count();
        let i = self.next;
        if i == n {
            // Step 9.
            let mut extra = [0u8; 1];
            if read_full(&mut self.reader, &mut extra)? != 0 {
                return Err(OpenError::TrailingData);
            }
            return Ok(None);
        }
        let want = self
            .header
            .commitments()
            .get(i as usize)
            .ok_or(OpenError::Decryption)?;
        let len = self.header.chunk_plaintext_len(i) + TAG_LEN;
        let chunk = &mut self.sealed[..len];
        if read_full(&mut self.reader, chunk)? < len {
            return Err(OpenError::Truncated);
        }
        // Step 8: the commitment and the tag, on two cores when there are two; the plaintext
        // is released (below, by the caller) only if both hold.
        let chunk = &self.sealed[..len];
        let out = &mut self.buf[..len - TAG_LEN];
        let cipher = &self.cipher;
        let (committed, opened) = crate::par::join(
            len,
            || bool::from(crypto::commitment(chunk).ct_eq(want)),
            || cipher.open_chunk(i, i + 1 == n, chunk, out),
        );
        if !(committed && opened) {
            return Err(OpenError::Decryption);
        }
        self.next = i + 1;
        Ok(Some(len - TAG_LEN))
    }

    /// Consumes the reader, returning the verified header.
    #[must_use]
    pub fn into_header(self) -> Header {
        self.header
    }
}

impl<R: Read> Read for StreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.ready.is_empty() {
            match self.next_chunk() {
                Ok(Some(chunk)) => self.ready = 0..chunk.len(),
                Ok(None) => return Ok(0),
                Err(OpenError::Io(e)) => return Err(e),
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
        let n = out.len().min(self.ready.len());
        out[..n].copy_from_slice(&self.buf[self.ready.start..self.ready.start + n]);
        self.ready.start += n;
        Ok(n)
    }
}

/// A successfully opened bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opened {
    /// The verified header. A verifier state records its sequence (`VerifierState::record`,
    /// feature `state`); without one, keep it as the next minimum.
    pub header: Header,
    /// Plaintext bytes written.
    pub plaintext_len: u64,
}

/// Verifies and decrypts a sealed bundle from `reader` to `writer` (`spec/v3.md` section 7)
/// through [`Decryptor`], with memory bounded by one chunk and the header.
///
/// Every chunk is checked against its signed commitment and its GCM tag **before** its
/// plaintext is written. If a later chunk fails, or the input is truncated or followed by
/// extra bytes, an error is returned and `writer` holds an authentic but **incomplete prefix**
/// of the plaintext: discard it. Use [`open_to`] for output that gets its name only when
/// complete.
///
/// # Errors
/// Any [`OpenError`] of `spec/v3.md` section 7.1.
pub fn open<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    key: &dyn Signer,
    policy: &Policy,
    limits: &Limits,
) -> Result<Opened, OpenError> {
    let mut body = Decryptor::new(reader, limits)?
        .verify(policy)?
        .decrypt(key)?;
    while let Some(chunk) = body.next_chunk()? {
        writer.write_all(chunk)?;
    }
    writer.flush()?;
    let header = body.into_header();
    Ok(Opened {
        plaintext_len: header.plaintext_len(),
        header,
    })
}

/// Verifies and decrypts a sealed bundle into `output`, which is persisted (given its name)
/// only after the last chunk verified and the input ended; on any error it is dropped, leaving
/// nothing behind and an existing destination untouched.
///
/// # Errors
/// As [`open`]; [`OpenError::Output`].
pub fn open_to<R: Read>(
    reader: R,
    mut output: PendingFile,
    key: &dyn Signer,
    policy: &Policy,
    limits: &Limits,
) -> Result<Opened, OpenError> {
    let opened = open(reader, &mut output, key, policy, limits)?;
    output.persist()?;
    Ok(opened)
}

/// [`open_to`] a new [`PendingFile`] for `dest`, private to its owner (the plaintext), that
/// replaces an existing `dest` once verified.
///
/// # Errors
/// As [`open_to`].
pub fn open_to_file<R: Read>(
    reader: R,
    dest: &Path,
    key: &dyn Signer,
    policy: &Policy,
    limits: &Limits,
) -> Result<Opened, OpenError> {
    let output = PendingFile::create(dest, Mode::Private, Existing::Replace)?;
    open_to(reader, output, key, policy, limits)
}

/// Verifies and decrypts a whole sealed bundle in memory; the plaintext is returned only if
/// everything verified (a partial plaintext is wiped).
///
/// # Errors
/// As [`open`].
pub fn open_bytes(
    sealed: &[u8],
    key: &dyn Signer,
    policy: &Policy,
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let mut out = Zeroizing::new(Vec::new());
    open(sealed, &mut *out, key, policy, limits)?;
    Ok(out)
}
