use core::fmt;
use std::io;

use otaseal_keys::{Fingerprint, KeyError, SignError};
use otaseal_wire::LimitExceeded;
use otaseal_wire::v3::{ContextError, ParseError, ParseErrorKind};

use super::open::Sequence;
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
    /// The header or signature field is malformed.
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
    /// The sequence number is not accepted by the policy's rule (rollback).
    Rollback {
        /// The signed sequence.
        sequence: u64,
        /// The rule it breaks.
        required: Sequence,
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
            OpenError::Parse(p) => parse_code(p.kind, "malformed-header"),
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
            OpenError::Input(InputError::TooLarge(_)) => "too-large",
            OpenError::Input(_) | OpenError::Output(_) | OpenError::Io(_) => "io",
        }
    }
}

/// The code of a parse error (`spec/v3.md` sections 7.1 and 8.3): `malformed` for every kind
/// without a code of its own.
fn parse_code(kind: ParseErrorKind, malformed: &'static str) -> &'static str {
    match kind {
        ParseErrorKind::BadMagic => "bad-magic",
        ParseErrorKind::UnsupportedVersion(_) => "unsupported-version",
        ParseErrorKind::UnknownSuite(_) => "unknown-suite",
        ParseErrorKind::TooLarge => "too-large",
        _ => malformed,
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
            OpenError::Rollback { sequence, required } => write!(
                f,
                "rollback: the bundle's sequence is {sequence}; it must be {required}"
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
            OpenError::Input(e) => write!(f, "{e}"),
            OpenError::Output(e) => write!(f, "{e}"),
            OpenError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
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

/// Why a key-rotation statement was refused (`spec/v3.md` section 8.2). The key set it was
/// offered to is unchanged. [`code`](Self::code) gives the stable code of `spec/v3.md` 8.3.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationError {
    /// The statement is malformed, or its new key is not the valid key it names.
    Parse(ParseError),
    /// The old key is not in the key set (never trusted, or retired).
    UntrustedSigner {
        /// Fingerprint of the old key named in the statement.
        signer: Fingerprint,
    },
    /// The old key's signature does not verify.
    BadSignature,
    /// The new key's signature does not verify: the new key did not sign the statement.
    BadNewKeySignature,
    /// The statement is for another app.
    WrongApp {
        /// The signed app id.
        found: String,
    },
    /// The statement makes a key-set version the verifier already has or has passed.
    Replay {
        /// The statement's key-set version.
        version: u64,
        /// The verifier's key-set version.
        current: u64,
    },
    /// The statement skips versions: it is not for the next one.
    VersionGap {
        /// The statement's key-set version.
        version: u64,
        /// The verifier's key-set version.
        current: u64,
    },
    /// The statement was created before the statement that made the current key set.
    Stale {
        /// The statement's creation time, Unix seconds.
        created_at: u64,
        /// The creation time of the current key set's statement.
        key_set_created_at: u64,
    },
    /// The statement was created in the future (beyond the allowed clock skew).
    NotYetValid {
        /// The statement's creation time, Unix seconds.
        created_at: u64,
        /// The verifier's time.
        now: u64,
    },
    /// The new key set would have more keys than allowed.
    TooManyKeys {
        /// The most keys a key set may have.
        max: usize,
    },
}

impl RotationError {
    /// The stable error code of `spec/v3.md` section 8.3.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            RotationError::Parse(p) => parse_code(p.kind, "malformed-rotation"),
            RotationError::UntrustedSigner { .. } => "untrusted-signer",
            RotationError::BadSignature => "bad-signature",
            RotationError::BadNewKeySignature => "bad-new-key-signature",
            RotationError::WrongApp { .. } => "wrong-app",
            RotationError::Replay { .. } => "replay",
            RotationError::VersionGap { .. } => "version-gap",
            RotationError::Stale { .. } => "stale",
            RotationError::NotYetValid { .. } => "not-yet-valid",
            RotationError::TooManyKeys { .. } => "too-many-keys",
        }
    }
}

impl fmt::Display for RotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotationError::Parse(e) => write!(f, "malformed rotation statement: {e}"),
            RotationError::UntrustedSigner { signer } => write!(
                f,
                "the rotation statement is signed by a key that is not in the key set ({signer}): never trusted, or retired"
            ),
            RotationError::BadSignature => {
                f.write_str("the old key's signature on the rotation statement does not verify")
            }
            RotationError::BadNewKeySignature => f.write_str(
                "the new key's signature on the rotation statement does not verify: the new key must sign it too",
            ),
            RotationError::WrongApp { found } => {
                write!(f, "the rotation statement is for app id {found:?}")
            }
            RotationError::Replay { version, current } => write!(
                f,
                "replay: the rotation statement makes key-set version {version}, and the key set is at version {current}"
            ),
            RotationError::VersionGap { version, current } => write!(
                f,
                "the rotation statement makes key-set version {version}, but the key set is at version {current}: apply the statements in between first"
            ),
            RotationError::Stale {
                created_at,
                key_set_created_at,
            } => write!(
                f,
                "the rotation statement was created at {created_at}, before the current key set ({key_set_created_at}; Unix seconds)"
            ),
            RotationError::NotYetValid { created_at, now } => write!(
                f,
                "the rotation statement claims to be created at {created_at}, after now ({now}) plus the allowed clock skew"
            ),
            RotationError::TooManyKeys { max } => write!(
                f,
                "the rotation would make a key set of more than {max} keys; retire a key"
            ),
        }
    }
}

impl std::error::Error for RotationError {}

impl From<ParseError> for RotationError {
    fn from(e: ParseError) -> Self {
        RotationError::Parse(e)
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
    /// The rotation statement would name the same key twice, has an invalid app id, or a
    /// key-set version below 2.
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
