//! The V3 header (`spec/v3.md` section 3): layout, canonical parser and encoder.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use super::cursor::{Cursor, check_str};
use super::{ParseError, ParseErrorKind};
use crate::{Fingerprint, Limits, RSA_BLOCK_LENS};

/// `spec/v3.md` section 3.1: `"otaseal"` and a zero byte.
pub const MAGIC: [u8; 8] = *b"otaseal\0";
/// `spec/v3.md` section 3.1: the format version byte.
pub const VERSION: u8 = 3;
/// Length of the fixed prefix (magic, version, suite, `header_len`) that a stream reader
/// reads and checks before anything else.
pub const PREFIX_LEN: usize = 14;
/// `spec/v3.md` section 3.4: most recipient stanzas in one header.
pub const MAX_RECIPIENTS: usize = 64;
/// Length of one chunk commitment (SHA-256).
pub const COMMITMENT_LEN: usize = 32;
/// Length of the key commitment (`spec/v3.md` section 4.1).
pub const KEY_COMMITMENT_LEN: usize = 32;
/// Length of the GCM tag that ends every chunk.
pub const TAG_LEN: usize = 16;
/// `spec/v3.md` section 3.4: the smallest possible header (one RSA-2048 recipient, one chunk).
pub const MIN_HEADER_LEN: usize = 448;
/// `spec/v3.md` section 3.4: the largest header without recipients and commitments.
const MAX_FIXED_LEN: usize = 14 + 32 + 3 * 256 + 4 * 8 + 4 + 4 + KEY_COMMITMENT_LEN + 2;
/// `spec/v3.md` section 3.2: the suite id of otaseal-wire-spec v0.1.0 (no key commitment),
/// withdrawn in v0.2.0. Parsers reject it like any unknown id; only the message differs.
pub const WITHDRAWN_SUITE: u8 = 1;

/// A V3 algorithm suite (`spec/v3.md` section 3.2). The list is closed: a parser rejects any
/// other id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// Suite `02`: RSA-OAEP-SHA256 key wrap, RSA-PSS-SHA256 signature, HKDF-SHA256 payload key
    /// and key commitment, AES-256-GCM in 64 KiB chunks.
    RsaOaepPssHkdfAes256Gcm64K,
}

impl Suite {
    /// The suite's id byte.
    #[must_use]
    pub const fn id(self) -> u8 {
        match self {
            Suite::RsaOaepPssHkdfAes256Gcm64K => 2,
        }
    }

    /// The suite with this id, if any.
    #[must_use]
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            2 => Some(Suite::RsaOaepPssHkdfAes256Gcm64K),
            _ => None,
        }
    }

    /// The plaintext chunk size the suite fixes, in bytes.
    #[must_use]
    pub const fn chunk_size(self) -> u32 {
        match self {
            Suite::RsaOaepPssHkdfAes256Gcm64K => 64 * 1024,
        }
    }

    /// The suite's name as in `spec/v3.md` section 3.2.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Suite::RsaOaepPssHkdfAes256Gcm64K => {
                "RSA-OAEP-SHA256/RSA-PSS-SHA256/HKDF-SHA256/AES-256-GCM/64K"
            }
        }
    }
}

/// What a bundle is for, signed in its header (`spec/v3.md` section 3.1): the fields a
/// verifier's policy (`otaseal_envelope::v3::Policy`) checks.
///
/// ```
/// use otaseal_wire::v3::Context;
///
/// let ctx = Context::new("com.example.app", "production", "1.4.0", 42, 1_700_000_000, 1_800_000_000);
/// assert_eq!(ctx.sequence, 42);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Context {
    /// The app id (for example `com.example.app`).
    pub app_id: String,
    /// The release channel (for example `production`).
    pub channel: String,
    /// The bundle's version name.
    pub bundle_version: String,
    /// Monotonic sequence number: rollback protection.
    pub sequence: u64,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Expiry time, Unix seconds: freeze protection. Must be after `created_at`.
    pub expires_at: u64,
}

impl Context {
    /// A context from its fields.
    #[must_use]
    pub fn new(
        app_id: impl Into<String>,
        channel: impl Into<String>,
        bundle_version: impl Into<String>,
        sequence: u64,
        created_at: u64,
        expires_at: u64,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            channel: channel.into(),
            bundle_version: bundle_version.into(),
            sequence,
            created_at,
            expires_at,
        }
    }

    /// Checks the rules of `spec/v3.md` sections 2 and 3.1: every string is 1 to 255 bytes
    /// without control characters, and `created_at < expires_at`.
    ///
    /// # Errors
    /// The [`ContextError`] of the first rule broken.
    pub fn validate(&self) -> Result<(), ContextError> {
        if check_str(self.app_id.as_bytes()).is_none() {
            return Err(ContextError::AppId);
        }
        if check_str(self.channel.as_bytes()).is_none() {
            return Err(ContextError::Channel);
        }
        if check_str(self.bundle_version.as_bytes()).is_none() {
            return Err(ContextError::BundleVersion);
        }
        if self.created_at >= self.expires_at {
            return Err(ContextError::Times);
        }
        Ok(())
    }
}

/// A [`Context`] field breaks a rule of `spec/v3.md` sections 2 and 3.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContextError {
    /// The app id is empty, longer than 255 bytes or has a control character.
    AppId,
    /// The channel is empty, longer than 255 bytes or has a control character.
    Channel,
    /// The bundle version is empty, longer than 255 bytes or has a control character.
    BundleVersion,
    /// The expiry is not after the creation time.
    Times,
}

impl core::fmt::Display for ContextError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ContextError::AppId => "app id must be 1 to 255 bytes without control characters",
            ContextError::Channel => "channel must be 1 to 255 bytes without control characters",
            ContextError::BundleVersion => {
                "bundle version must be 1 to 255 bytes without control characters"
            }
            ContextError::Times => "expiry must be after the creation time",
        })
    }
}

impl core::error::Error for ContextError {}

/// One recipient stanza (`spec/v3.md` section 3.3): the content key wrapped to one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecipientStanza {
    /// Fingerprint of the recipient public key.
    pub fingerprint: Fingerprint,
    /// RSA-OAEP ciphertext of the content key, as long as the recipient's modulus.
    pub wrapped_key: Vec<u8>,
}

/// A parsed, canonical V3 header (`spec/v3.md` section 3).
///
/// Obtained from [`Header::parse`] (untrusted bytes; nothing is verified but the encoding) or
/// from sealing. [`Header::encode`] gives back exactly the bytes it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    suite: Suite,
    signer: Fingerprint,
    context: Context,
    plaintext_len: u64,
    chunk_count: u32,
    key_commitment: [u8; KEY_COMMITMENT_LEN],
    recipients: Vec<RecipientStanza>,
    commitments: Vec<[u8; COMMITMENT_LEN]>,
}

/// The most chunks a bundle within `limits` can have (`spec/v3.md` section 3.4, `C`).
#[must_use]
pub fn max_chunk_count(suite: Suite, limits: &Limits) -> u64 {
    limits
        .max_bundle_len
        .div_ceil(u64::from(suite.chunk_size()))
        .max(1)
}

/// The largest header allowed by `limits` (`spec/v3.md` section 3.4).
#[must_use]
pub fn max_header_len(suite: Suite, limits: &Limits) -> u64 {
    let block = u64::try_from(limits.max_rsa_block_len).unwrap_or(u64::MAX);
    let recipients = (MAX_RECIPIENTS as u64).saturating_mul(block.saturating_add(34));
    let commitments = max_chunk_count(suite, limits).saturating_mul(COMMITMENT_LEN as u64);
    (MAX_FIXED_LEN as u64)
        .saturating_add(recipients)
        .saturating_add(commitments)
}

/// The chunk count `max(1, ceil(len / chunk_size))` (`spec/v3.md` section 3.1).
#[must_use]
pub fn chunk_count_for(len: u64, chunk_size: u32) -> u64 {
    len.div_ceil(u64::from(chunk_size)).max(1)
}

fn err(offset: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { offset, kind }
}

/// Checks the 14-byte prefix (`spec/v3.md` section 3.4): magic, version, suite, and the bounds
/// of `header_len`. Returns the suite and `header_len`.
///
/// # Errors
/// [`ParseError`] for a bad magic, version or suite, or an out-of-bounds `header_len`.
pub fn parse_prefix(prefix: &[u8], limits: &Limits) -> Result<(Suite, usize), ParseError> {
    let mut c = Cursor::new(prefix);
    let magic: [u8; 8] = c.field(Cursor::take_array)?;
    if magic != MAGIC {
        return Err(err(0, ParseErrorKind::BadMagic));
    }
    let version = c.field(Cursor::u8)?;
    if version != VERSION {
        return Err(err(8, ParseErrorKind::UnsupportedVersion(version)));
    }
    let id = c.field(Cursor::u8)?;
    let suite = Suite::from_id(id).ok_or(err(9, ParseErrorKind::UnknownSuite(id)))?;
    let header_len = c.field(Cursor::u32)?;
    if u64::from(header_len) > max_header_len(suite, limits) {
        return Err(err(10, ParseErrorKind::TooLarge));
    }
    let header_len = usize::try_from(header_len).map_err(|_| err(10, ParseErrorKind::TooLarge))?;
    if header_len < MIN_HEADER_LEN {
        return Err(err(10, ParseErrorKind::TrailingData));
    }
    Ok((suite, header_len))
}

impl Header {
    /// A header for a sealed bundle, from what the producer knows once the body is sealed.
    /// Recipients are sorted by fingerprint here.
    ///
    /// # Errors
    /// The [`ParseErrorKind`] that [`parse`](Self::parse) would report for the encoding of
    /// these values: [`ParseErrorKind::BadString`] or [`ParseErrorKind::BadTimes`] for an
    /// invalid context, [`ParseErrorKind::RecipientOrder`] for no or duplicate recipients,
    /// [`ParseErrorKind::TooLarge`] for more than [`MAX_RECIPIENTS`] or too many chunks,
    /// [`ParseErrorKind::BadChunking`] if the commitments do not match `plaintext_len`,
    /// [`ParseErrorKind::BadBlockLength`] for a wrapped key of an unsupported length.
    #[allow(clippy::too_many_arguments, reason = "one argument per header field")]
    pub fn new(
        suite: Suite,
        signer: Fingerprint,
        context: Context,
        plaintext_len: u64,
        key_commitment: [u8; KEY_COMMITMENT_LEN],
        mut recipients: Vec<RecipientStanza>,
        commitments: Vec<[u8; COMMITMENT_LEN]>,
    ) -> Result<Self, ParseErrorKind> {
        context.validate().map_err(|e| match e {
            ContextError::Times => ParseErrorKind::BadTimes,
            _ => ParseErrorKind::BadString,
        })?;
        recipients.sort_by(|a, b| a.fingerprint.as_bytes().cmp(b.fingerprint.as_bytes()));
        if recipients.is_empty()
            || recipients
                .windows(2)
                .any(|w| w[0].fingerprint == w[1].fingerprint)
        {
            return Err(ParseErrorKind::RecipientOrder);
        }
        if recipients.len() > MAX_RECIPIENTS {
            return Err(ParseErrorKind::TooLarge);
        }
        if recipients
            .iter()
            .any(|r| !RSA_BLOCK_LENS.contains(&r.wrapped_key.len()))
        {
            return Err(ParseErrorKind::BadBlockLength);
        }
        if chunk_count_for(plaintext_len, suite.chunk_size()) != commitments.len() as u64 {
            return Err(ParseErrorKind::BadChunking);
        }
        let chunk_count = u32::try_from(commitments.len()).map_err(|_| ParseErrorKind::TooLarge)?;
        Ok(Self {
            suite,
            signer,
            context,
            plaintext_len,
            chunk_count,
            key_commitment,
            recipients,
            commitments,
        })
    }

    /// Parses exactly one canonical header: `bytes` must be the whole header, from the magic
    /// to the last commitment, and nothing else (`spec/v3.md` section 3). Every length is
    /// checked against `limits` before anything is allocated. Nothing is verified beyond the
    /// encoding: the signature and the policy are checked by `otaseal_envelope::v3`.
    ///
    /// # Errors
    /// [`ParseError`] with the offset of the offending field.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        let prefix = bytes
            .get(..PREFIX_LEN)
            .ok_or(err(bytes.len(), ParseErrorKind::UnexpectedEnd))?;
        let (suite, header_len) = parse_prefix(prefix, limits)?;
        if bytes.len() != header_len {
            let kind = if bytes.len() > header_len {
                ParseErrorKind::TrailingData
            } else {
                ParseErrorKind::UnexpectedEnd
            };
            return Err(err(header_len.min(bytes.len()), kind));
        }
        let mut c = Cursor::new(bytes);
        c.take(PREFIX_LEN);
        let signer = Fingerprint::from_bytes(c.field(Cursor::take_array)?);
        let app_id = c.str8()?.to_owned();
        let channel = c.str8()?.to_owned();
        let bundle_version = c.str8()?.to_owned();
        let sequence = c.field(Cursor::u64)?;
        let created_at = c.field(Cursor::u64)?;
        let at = c.pos();
        let expires_at = c.field(Cursor::u64)?;
        if created_at >= expires_at {
            return Err(err(at, ParseErrorKind::BadTimes));
        }
        let at = c.pos();
        let plaintext_len = c.field(Cursor::u64)?;
        if plaintext_len > limits.max_bundle_len {
            return Err(err(at, ParseErrorKind::TooLarge));
        }
        let at = c.pos();
        let chunk_size = c.field(Cursor::u32)?;
        if chunk_size != suite.chunk_size() {
            return Err(err(at, ParseErrorKind::BadChunking));
        }
        let at = c.pos();
        let chunk_count = c.field(Cursor::u32)?;
        if u64::from(chunk_count) > max_chunk_count(suite, limits) {
            return Err(err(at, ParseErrorKind::TooLarge));
        }
        if u64::from(chunk_count) != chunk_count_for(plaintext_len, chunk_size) {
            return Err(err(at, ParseErrorKind::BadChunking));
        }
        let key_commitment = c.field(Cursor::take_array)?;
        let at = c.pos();
        let recipient_count = usize::from(c.field(Cursor::u16)?);
        if recipient_count == 0 {
            return Err(err(at, ParseErrorKind::RecipientOrder));
        }
        if recipient_count > MAX_RECIPIENTS {
            return Err(err(at, ParseErrorKind::TooLarge));
        }
        let mut recipients: Vec<RecipientStanza> = Vec::with_capacity(recipient_count);
        for _ in 0..recipient_count {
            let at = c.pos();
            let fingerprint = Fingerprint::from_bytes(c.field(Cursor::take_array)?);
            if let Some(prev) = recipients.last()
                && prev.fingerprint.as_bytes() >= fingerprint.as_bytes()
            {
                return Err(err(at, ParseErrorKind::RecipientOrder));
            }
            let at = c.pos();
            let wrapped_len = usize::from(c.field(Cursor::u16)?);
            if !RSA_BLOCK_LENS.contains(&wrapped_len) || wrapped_len > limits.max_rsa_block_len {
                return Err(err(at, ParseErrorKind::BadBlockLength));
            }
            let wrapped_key = c.field(|c| c.take(wrapped_len))?.to_vec();
            recipients.push(RecipientStanza {
                fingerprint,
                wrapped_key,
            });
        }
        // chunk_count is bounded by limits above, so this allocation is bounded too.
        let n = usize::try_from(chunk_count).map_err(|_| err(at, ParseErrorKind::TooLarge))?;
        if c.remaining() < n.saturating_mul(COMMITMENT_LEN) {
            return Err(err(c.pos(), ParseErrorKind::UnexpectedEnd));
        }
        let mut commitments = Vec::with_capacity(n);
        for _ in 0..n {
            commitments.push(c.field(Cursor::take_array)?);
        }
        c.finish()?;
        Ok(Header {
            suite,
            signer,
            context: Context {
                app_id,
                channel,
                bundle_version,
                sequence,
                created_at,
                expires_at,
            },
            plaintext_len,
            chunk_count,
            key_commitment,
            recipients,
            commitments,
        })
    }

    /// The canonical encoding: the only byte string that [`Header::parse`] maps to `self`.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let len = self.encoded_len();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(self.suite.id());
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(self.signer.as_bytes());
        for s in [
            &self.context.app_id,
            &self.context.channel,
            &self.context.bundle_version,
        ] {
            out.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(s.as_bytes());
        }
        for v in [
            self.context.sequence,
            self.context.created_at,
            self.context.expires_at,
            self.plaintext_len,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.suite.chunk_size().to_be_bytes());
        out.extend_from_slice(&self.chunk_count.to_be_bytes());
        out.extend_from_slice(&self.key_commitment);
        out.extend_from_slice(
            &u16::try_from(self.recipients.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for r in &self.recipients {
            out.extend_from_slice(r.fingerprint.as_bytes());
            out.extend_from_slice(
                &u16::try_from(r.wrapped_key.len())
                    .unwrap_or(u16::MAX)
                    .to_be_bytes(),
            );
            out.extend_from_slice(&r.wrapped_key);
        }
        for c in &self.commitments {
            out.extend_from_slice(c);
        }
        out
    }

    fn encoded_len(&self) -> usize {
        let strings = self.context.app_id.len()
            + self.context.channel.len()
            + self.context.bundle_version.len()
            + 3;
        let recipients: usize = self
            .recipients
            .iter()
            .map(|r| 34 + r.wrapped_key.len())
            .sum();
        PREFIX_LEN
            + 32
            + strings
            + 32
            + 4
            + 4
            + KEY_COMMITMENT_LEN
            + 2
            + recipients
            + COMMITMENT_LEN * self.commitments.len()
    }

    /// The algorithm suite.
    #[must_use]
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// Fingerprint of the key that signed (or claims to have signed) the header.
    #[must_use]
    pub fn signer(&self) -> Fingerprint {
        self.signer
    }

    /// The signed context: app id, channel, version, sequence, times.
    #[must_use]
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Plaintext length in bytes.
    #[must_use]
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// Plaintext chunk size in bytes.
    #[must_use]
    pub fn chunk_size(&self) -> u32 {
        self.suite.chunk_size()
    }

    /// Number of chunks.
    #[must_use]
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }

    /// The key commitment (`spec/v3.md` section 4.1): a value derived from the content key,
    /// which a recipient checks after the unwrap and before decrypting any chunk.
    #[must_use]
    pub fn key_commitment(&self) -> &[u8; KEY_COMMITMENT_LEN] {
        &self.key_commitment
    }

    /// The recipient stanzas, ascending by fingerprint.
    #[must_use]
    pub fn recipients(&self) -> &[RecipientStanza] {
        &self.recipients
    }

    /// The chunk commitments, `SHA-256(chunk[i])`.
    #[must_use]
    pub fn commitments(&self) -> &[[u8; COMMITMENT_LEN]] {
        &self.commitments
    }

    /// Length of the sealed body (all chunks with their tags).
    #[must_use]
    pub fn body_len(&self) -> u64 {
        self.plaintext_len + TAG_LEN as u64 * u64::from(self.chunk_count)
    }

    /// Plaintext length of chunk `i` (`spec/v3.md` section 6.1); 0 for an index out of range.
    #[must_use]
    pub fn chunk_plaintext_len(&self, i: u32) -> usize {
        let cs = u64::from(self.chunk_size());
        let start = u64::from(i) * cs;
        let len = self.plaintext_len.saturating_sub(start).min(cs);
        usize::try_from(len).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::cast_possible_truncation,
        reason = "test code"
    )]

    use proptest::prelude::*;

    use super::*;

    const L: Limits = Limits::DEFAULT;

    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9._é-]{1,40}"
    }

    prop_compose! {
        fn any_header()(
            app_id in text(),
            channel in text(),
            bundle_version in text(),
            sequence in any::<u64>(),
            created_at in 0u64..u64::MAX - 1,
            validity in 1u64..1 << 40,
            plaintext_len in 0u64..(4 << 16),
            signer in any::<[u8; 32]>(),
            key_commitment in any::<[u8; 32]>(),
            recipients in proptest::collection::btree_map(
                any::<[u8; 32]>(),
                (0usize..3, any::<u8>()),
                1..5,
            ),
            fill in any::<u8>(),
        ) -> Header {
            let suite = Suite::RsaOaepPssHkdfAes256Gcm64K;
            let n = chunk_count_for(plaintext_len, suite.chunk_size());
            let context = Context::new(
                app_id,
                channel,
                bundle_version,
                sequence,
                created_at,
                created_at.saturating_add(validity),
            );
            let recipients = recipients
                .into_iter()
                .map(|(fp, (size, byte))| RecipientStanza {
                    fingerprint: Fingerprint::from_bytes(fp),
                    wrapped_key: alloc::vec![byte; RSA_BLOCK_LENS[size]],
                })
                .collect();
            let commitments = (0..n).map(|i| [fill ^ (i as u8); 32]).collect();
            Header::new(
                suite,
                Fingerprint::from_bytes(signer),
                context,
                plaintext_len,
                key_commitment,
                recipients,
                commitments,
            )
            .unwrap()
        }
    }

    proptest! {
        #[test]
        fn encoding_round_trips_and_is_canonical(h in any_header(), at in any::<usize>(), b in any::<u8>()) {
            let bytes = h.encode();
            let parsed = Header::parse(&bytes, &L).unwrap();
            prop_assert_eq!(&parsed, &h);
            prop_assert_eq!(parsed.encode(), bytes.clone());
            let (suite, len) = parse_prefix(&bytes[..PREFIX_LEN], &L).unwrap();
            prop_assert_eq!(suite, h.suite());
            prop_assert_eq!(len, bytes.len());
            // Any edit either fails to parse or parses to a header that re-encodes to it.
            let mut edited = bytes.clone();
            let at = at % edited.len();
            edited[at] = b;
            if let Ok(e) = Header::parse(&edited, &L) {
                prop_assert_eq!(e.encode(), edited);
            }
            // Every strict prefix and every extension fails.
            prop_assert!(Header::parse(&bytes[..at], &L).is_err());
            let mut longer = bytes;
            longer.push(b);
            prop_assert!(Header::parse(&longer, &L).is_err());
        }
    }

    #[test]
    fn the_withdrawn_suite_is_refused_with_its_own_message() {
        let mut prefix = [0u8; PREFIX_LEN];
        prefix[..8].copy_from_slice(&MAGIC);
        prefix[8] = VERSION;
        prefix[9] = WITHDRAWN_SUITE;
        prefix[10..].copy_from_slice(&(MIN_HEADER_LEN as u32).to_be_bytes());
        let e = parse_prefix(&prefix, &L).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnknownSuite(1));
        assert!(alloc::format!("{e}").contains("withdrawn"), "{e}");
        prefix[9] = 2;
        assert!(parse_prefix(&prefix, &L).is_ok());
    }
}
