use core::fmt;
use std::io;

use otaseal_keys::KeyError;

/// What is wrong with a V3 header or rotation statement (`spec/v3.md` sections 3, 5 and 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The first 8 bytes are not the magic.
    BadMagic,
    /// The version byte is not 3.
    UnsupportedVersion(u8),
    /// The suite id is not in the closed list of `spec/v3.md` section 3.2.
    UnknownSuite(u8),
    /// The input ends inside a field.
    UnexpectedEnd,
    /// A declared length or count exceeds its limit (`spec/v3.md` section 3.4).
    TooLarge,
    /// `header_len` does not match the bytes the fields occupy, or bytes follow the structure.
    TrailingData,
    /// A string is empty, not UTF-8, or contains a control character.
    BadString,
    /// An RSA block length (wrapped key or signature) is not 256, 384 or 512.
    BadBlockLength,
    /// No recipients, or recipients not strictly ascending by fingerprint.
    RecipientOrder,
    /// `created_at` is not before `expires_at`.
    BadTimes,
    /// `chunk_size` or `chunk_count` disagree with the suite and `plaintext_len`.
    BadChunking,
    /// A rotation statement whose fingerprints or key do not agree.
    BadRotationKey,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::BadMagic => f.write_str("not an otaseal V3 file (bad magic)"),
            ParseErrorKind::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            ParseErrorKind::UnknownSuite(s) => write!(f, "unknown suite id {s}"),
            ParseErrorKind::UnexpectedEnd => f.write_str("input ends inside a field"),
            ParseErrorKind::TooLarge => f.write_str("a length or count exceeds its limit"),
            ParseErrorKind::TrailingData => {
                f.write_str("length does not match the fields (trailing or missing bytes)")
            }
            ParseErrorKind::BadString => {
                f.write_str("string is empty, not UTF-8, or contains a control character")
            }
            ParseErrorKind::BadBlockLength => {
                f.write_str("RSA block length is not 256, 384 or 512 or exceeds the limit")
            }
            ParseErrorKind::RecipientOrder => {
                f.write_str("recipients missing, or not strictly ascending by fingerprint")
            }
            ParseErrorKind::BadTimes => f.write_str("created_at is not before expires_at"),
            ParseErrorKind::BadChunking => f.write_str(
                "chunk size or chunk count disagree with the suite and plaintext length",
            ),
            ParseErrorKind::BadRotationKey => {
                f.write_str("rotation statement key does not match its fingerprints")
            }
        }
    }
}

/// A V3 structure could not be parsed: what was wrong and at which byte offset the offending
/// field starts. Small and `Copy`, as parser errors should be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// Offset of the field in the parsed structure.
    pub offset: usize,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Why a V3 bundle could not be sealed or opened (`spec/v3.md` section 7).
///
/// Failures that depend on the content key or the plaintext (key unwrap, chunk commitment,
/// GCM tag) are one opaque variant, [`Error::Decryption`]. Everything else depends only on
/// public data and says precisely what is wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The header, signature field or rotation statement is malformed.
    Parse(ParseError),
    /// The signer is the verifier's own recipient key (one key, one purpose).
    KeyReuse,
    /// The header is signed by a key that is not trusted.
    UntrustedSigner {
        /// Fingerprint of the signing key named in the header.
        signer: otaseal_keys::Fingerprint,
    },
    /// The signature does not verify with the trusted key.
    BadSignature,
    /// The bundle is for another app.
    WrongApp {
        /// The signed app id.
        found: String,
    },
    /// The bundle is for another channel.
    WrongChannel {
        /// The signed channel.
        found: String,
    },
    /// The sequence number is below the minimum (rollback).
    Rollback {
        /// The signed sequence.
        sequence: u64,
        /// The verifier's minimum.
        min: u64,
    },
    /// The bundle expired.
    Expired {
        /// Signed expiry, Unix seconds.
        expires_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// The bundle was created in the future (beyond the allowed clock skew).
    NotYetValid {
        /// Signed creation time, Unix seconds.
        created_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// The bundle has no recipient stanza for this decryption key.
    NotARecipient,
    /// Opaque: the content key does not unwrap, or a chunk does not match its signed
    /// commitment or its GCM tag.
    Decryption,
    /// The input ends before the last chunk.
    Truncated,
    /// Bytes follow the last chunk.
    TrailingData,
    /// A key is unusable, or a producer's arguments are inconsistent.
    Key(KeyError),
    /// The caller's arguments are not acceptable (empty field, no recipient, signer listed as
    /// a recipient, expiry not after creation).
    InvalidInput(&'static str),
    /// The plaintext is larger than `Limits::max_bundle_len`.
    TooLarge {
        /// The limit in bytes.
        max: u64,
    },
    /// A V2 input for [`seal_from_v2`](super::seal_from_v2) failed to decrypt or verify.
    V2(crate::Error),
    /// Reading the input or writing the output failed.
    Io(io::Error),
    /// The random number generator failed, or an RSA private-key operation failed.
    Crypto(&'static str),
}

impl Error {
    /// The stable error code of `spec/v3.md` section 7.1 (`"io"`, `"key"`, `"invalid-input"`,
    /// `"v2"` and `"crypto"` for the failures that are not about the bundle).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::Parse(p) => match p.kind {
                ParseErrorKind::BadMagic => "bad-magic",
                ParseErrorKind::UnsupportedVersion(_) => "unsupported-version",
                ParseErrorKind::UnknownSuite(_) => "unknown-suite",
                ParseErrorKind::TooLarge => "too-large",
                _ => "malformed-header",
            },
            Error::KeyReuse => "key-reuse",
            Error::UntrustedSigner { .. } => "untrusted-signer",
            Error::BadSignature => "bad-signature",
            Error::WrongApp { .. } => "wrong-app",
            Error::WrongChannel { .. } => "wrong-channel",
            Error::Rollback { .. } => "rollback",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not-yet-valid",
            Error::NotARecipient => "not-a-recipient",
            Error::Decryption => "decryption",
            Error::Truncated => "truncated",
            Error::TrailingData => "trailing-data",
            Error::TooLarge { .. } => "too-large",
            Error::Key(_) => "key",
            Error::InvalidInput(_) => "invalid-input",
            Error::V2(_) => "v2",
            Error::Io(_) => "io",
            Error::Crypto(_) => "crypto",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "malformed V3 header: {e}"),
            Error::KeyReuse => f.write_str(
                "the bundle is signed with the decryption key itself; a key must be either a signing key or a recipient key",
            ),
            Error::UntrustedSigner { signer } => {
                write!(f, "the bundle is signed by an untrusted key ({signer})")
            }
            Error::BadSignature => {
                f.write_str("the header signature does not verify: the header was altered")
            }
            Error::WrongApp { found } => write!(f, "the bundle is for app id {found:?}"),
            Error::WrongChannel { found } => write!(f, "the bundle is for channel {found:?}"),
            Error::Rollback { sequence, min } => write!(
                f,
                "rollback: the bundle's sequence {sequence} is below the minimum {min}"
            ),
            Error::Expired { expires_at, now } => write!(
                f,
                "the bundle expired at {expires_at} (Unix seconds; now {now})"
            ),
            Error::NotYetValid { created_at, now } => write!(
                f,
                "the bundle claims to be created at {created_at}, after now ({now}) plus the allowed clock skew"
            ),
            Error::NotARecipient => {
                f.write_str("the bundle is not encrypted to this decryption key")
            }
            Error::Decryption => f.write_str(
                "bundle failed verification: the content key or a chunk was tampered with",
            ),
            Error::Truncated => f.write_str("the bundle is truncated"),
            Error::TrailingData => f.write_str("bytes follow the last chunk of the bundle"),
            Error::Key(e) => write!(f, "{e}"),
            Error::InvalidInput(why) => write!(f, "invalid input: {why}"),
            Error::TooLarge { max } => write!(f, "bundle is larger than the limit of {max} bytes"),
            Error::V2(e) => write!(f, "V2 input: {e}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Crypto(what) => write!(f, "cryptographic operation failed: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Parse(e) => Some(e),
            Error::Key(e) => Some(e),
            Error::V2(e) => Some(e),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Key(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
