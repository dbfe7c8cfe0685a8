use core::fmt;
use std::io;

use otaseal_keys::{Fingerprint, KeyError, SignError};
use otaseal_wire::LimitExceeded;
use otaseal_wire::v3::{ContextError, ParseError, ParseErrorKind};

use crate::io::{InputError, OutputError};
use crate::v2::DecryptError;

/// Why a V3 bundle could not be opened (`spec/v3.md` section 7).
///
/// Failures that depend on the content key or the plaintext (key unwrap, chunk commitment,
/// GCM tag) are one opaque variant, [`OpenError::Decryption`]. Everything else depends only on
/// public data and says precisely what is wrong. [`code`](Self::code) gives the stable error
/// code of `spec/v3.md` section 7.1.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// The header, signature field or rotation statement is malformed.
    Parse(ParseError),
    /// The signer is the verifier's own recipient key (one key, one purpose).
    KeyReuse,
    /// The header is signed by a key that is not trusted.
    UntrustedSigner {
        /// Fingerprint of the signing key named in the header.
        signer: Fingerprint,
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
    /// The key in a rotation statement is not a usable key.
    Key(KeyError),
    /// The input file could not be opened or is over the limit.
    Input(InputError),
    /// The output file could not be created or given its name.
    Output(OutputError),
    /// Reading the input or writing the output failed.
    Io(io::Error),
}

impl OpenError {
    /// The stable error code of `spec/v3.md` section 7.1 (`"io"` and `"key"` for the failures
    /// that are not about the bundle).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::Parse(p) => parse_code(p.kind),
            OpenError::KeyReuse => "key-reuse",
            OpenError::UntrustedSigner { .. } => "untrusted-signer",
            OpenError::BadSignature => "bad-signature",
            OpenError::WrongApp { .. } => "wrong-app",
            OpenError::WrongChannel { .. } => "wrong-channel",
            OpenError::Rollback { .. } => "rollback",
            OpenError::Expired { .. } => "expired",
            OpenError::NotYetValid { .. } => "not-yet-valid",
            OpenError::NotARecipient => "not-a-recipient",
            OpenError::Decryption => "decryption",
            OpenError::Truncated => "truncated",
            OpenError::TrailingData => "trailing-data",
            OpenError::Key(_) => "key",
            OpenError::Input(InputError::TooLarge(_)) => "too-large",
            OpenError::Input(_) | OpenError::Output(_) | OpenError::Io(_) => "io",
        }
    }
}

/// The code of a parse error (`spec/v3.md` section 7.1).
fn parse_code(kind: ParseErrorKind) -> &'static str {
    match kind {
        ParseErrorKind::BadMagic => "bad-magic",
        ParseErrorKind::UnsupportedVersion(_) => "unsupported-version",
        ParseErrorKind::UnknownSuite(_) => "unknown-suite",
        ParseErrorKind::TooLarge => "too-large",
        _ => "malformed-header",
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Parse(e) => write!(f, "malformed V3 header: {e}"),
            OpenError::KeyReuse => f.write_str(
                "the bundle is signed with the decryption key itself; a key must be either a signing key or a recipient key",
            ),
            OpenError::UntrustedSigner { signer } => {
                write!(f, "the bundle is signed by an untrusted key ({signer})")
            }
            OpenError::BadSignature => {
                f.write_str("the header signature does not verify: the header was altered")
            }
            OpenError::WrongApp { found } => write!(f, "the bundle is for app id {found:?}"),
            OpenError::WrongChannel { found } => write!(f, "the bundle is for channel {found:?}"),
            OpenError::Rollback { sequence, min } => write!(
                f,
                "rollback: the bundle's sequence {sequence} is below the minimum {min}"
            ),
            OpenError::Expired { expires_at, now } => write!(
                f,
                "the bundle expired at {expires_at} (Unix seconds; now {now})"
            ),
            OpenError::NotYetValid { created_at, now } => write!(
                f,
                "the bundle claims to be created at {created_at}, after now ({now}) plus the allowed clock skew"
            ),
            OpenError::NotARecipient => {
                f.write_str("the bundle is not encrypted to this decryption key")
            }
            OpenError::Decryption => f.write_str(
                "bundle failed verification: the content key or a chunk was tampered with",
            ),
            OpenError::Truncated => f.write_str("the bundle is truncated"),
            OpenError::TrailingData => f.write_str("bytes follow the last chunk of the bundle"),
            OpenError::Key(_) => f.write_str("the rotation statement's key is not usable"),
            OpenError::Input(e) => write!(f, "{e}"),
            OpenError::Output(e) => write!(f, "{e}"),
            OpenError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Key(e) => Some(e),
            OpenError::Input(e) => e.source(),
            OpenError::Output(e) => e.source(),
            OpenError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl From<ParseError> for OpenError {
    fn from(e: ParseError) -> Self {
        OpenError::Parse(e)
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        OpenError::Io(e)
    }
}

impl From<OutputError> for OpenError {
    fn from(e: OutputError) -> Self {
        OpenError::Output(e)
    }
}

impl From<InputError> for OpenError {
    fn from(e: InputError) -> Self {
        OpenError::Input(e)
    }
}

/// What is wrong with the recipients given to a [`Sealer`](super::Sealer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecipientsError {
    /// No recipient.
    None,
    /// More than [`MAX_RECIPIENTS`](otaseal_wire::v3::MAX_RECIPIENTS).
    TooMany,
    /// A recipient is listed twice.
    Duplicate,
    /// The signing key is also a recipient (one key, one purpose: `spec/v3.md` section 4).
    SignerIsRecipient,
}

impl fmt::Display for RecipientsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecipientsError::None => "at least one recipient is required",
            RecipientsError::TooMany => "at most 64 recipients",
            RecipientsError::Duplicate => "a recipient is listed twice",
            RecipientsError::SignerIsRecipient => {
                "the signing key must not be a recipient: use separate keys for signing and decryption"
            }
        })
    }
}

impl std::error::Error for RecipientsError {}

/// Why a V3 bundle (or a rotation statement) could not be sealed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SealError {
    /// A field of the context breaks a rule of `spec/v3.md` sections 2 and 3.1.
    InvalidContext(ContextError),
    /// The recipients are not acceptable.
    InvalidRecipients(RecipientsError),
    /// The rotation statement would name the same key twice, or has an invalid app id.
    InvalidRotation(ParseErrorKind),
    /// The header or signature field could not be encoded as `spec/v3.md` requires (a
    /// signature or wrapped key of an unsupported length, from a misbehaving signer).
    InvalidHeader(ParseErrorKind),
    /// The plaintext is larger than `Limits::max_bundle_len`.
    TooLarge(LimitExceeded),
    /// The signer failed.
    Signing(SignError),
    /// Wrapping the content key to a recipient failed (RSA-OAEP).
    Wrap(rsa::Error),
    /// The operating system's random number generator failed.
    Random,
    /// A key could not be encoded.
    Key(KeyError),
    /// A V2 input for [`seal_from_v2`](super::seal_from_v2) failed to decrypt or verify.
    V2(DecryptError),
    /// The input file could not be opened or is over the limit.
    Input(InputError),
    /// The output file could not be created or given its name.
    Output(OutputError),
    /// Reading the input or writing the output failed.
    Io(io::Error),
}

impl SealError {
    /// A stable code for the failure, as `otaseal seal --json` prints it.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            SealError::InvalidContext(_)
            | SealError::InvalidRecipients(_)
            | SealError::InvalidRotation(_)
            | SealError::InvalidHeader(_) => "invalid-input",
            SealError::TooLarge(_) | SealError::Input(InputError::TooLarge(_)) => "too-large",
            SealError::Signing(_) | SealError::Wrap(_) | SealError::Random => "crypto",
            SealError::Key(_) => "key",
            SealError::V2(_) => "v2",
            SealError::Input(_) | SealError::Output(_) | SealError::Io(_) => "io",
        }
    }
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::InvalidContext(e) => write!(f, "invalid input: {e}"),
            SealError::InvalidRecipients(e) => write!(f, "invalid input: {e}"),
            SealError::InvalidRotation(e) => write!(f, "invalid rotation statement: {e}"),
            SealError::InvalidHeader(e) => write!(f, "the V3 header cannot be encoded: {e}"),
            SealError::TooLarge(e) => write!(f, "{e}"),
            SealError::Signing(_) => f.write_str("signing failed"),
            SealError::Wrap(_) => f.write_str("wrapping the content key (RSA-OAEP) failed"),
            SealError::Random => {
                f.write_str("the operating system's random number generator failed")
            }
            SealError::Key(_) => f.write_str("a key could not be encoded"),
            SealError::V2(_) => f.write_str("the V2 input does not decrypt and verify"),
            SealError::Input(e) => write!(f, "{e}"),
            SealError::Output(e) => write!(f, "{e}"),
            SealError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for SealError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SealError::Signing(e) => Some(e),
            SealError::Wrap(e) => Some(e),
            SealError::Key(e) => Some(e),
            SealError::V2(e) => Some(e),
            SealError::Input(e) => e.source(),
            SealError::Output(e) => e.source(),
            SealError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl From<SignError> for SealError {
    fn from(e: SignError) -> Self {
        SealError::Signing(e)
    }
}

impl From<io::Error> for SealError {
    fn from(e: io::Error) -> Self {
        SealError::Io(e)
    }
}

impl From<OutputError> for SealError {
    fn from(e: OutputError) -> Self {
        SealError::Output(e)
    }
}

impl From<InputError> for SealError {
    fn from(e: InputError) -> Self {
        SealError::Input(e)
    }
}

impl From<KeyError> for SealError {
    fn from(e: KeyError) -> Self {
        SealError::Key(e)
    }
}
