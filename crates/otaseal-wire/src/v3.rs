//! The byte layouts of otaseal V3 (`spec/v3.md`): the header codec (canonical parser and
//! encoder over a bounded cursor), the signature field and the key-rotation statement. No
//! cryptography and no verifier state: `otaseal-envelope` signs, verifies, wraps, decrypts and
//! keeps the trusted key set.
//!
//! Every length is checked against [`Limits`] before anything is allocated,
//! every parser rejects trailing bytes, and every error is a small `Copy` [`ParseError`] that
//! carries the byte offset of the offending field.

mod cursor;
mod header;
mod rotation;

use core::fmt;

pub use cursor::check_str;
pub use header::{
    COMMITMENT_LEN, Context, ContextError, Header, KEY_COMMITMENT_LEN, MAGIC, MAX_RECIPIENTS,
    MIN_HEADER_LEN, PREFIX_LEN, RecipientStanza, Suite, TAG_LEN, VERSION, WITHDRAWN_SUITE,
    chunk_count_for, max_chunk_count, max_header_len, parse_prefix,
};
pub use rotation::{
    FIRST_ROTATION_VERSION, MAX_SPKI_LEN, ROTATION_MAGIC, Rotation, RotationStatement,
    max_statement_len,
};

use crate::{Limits, RSA_BLOCK_LENS};

/// Length of the signature field's length prefix (`u16`, `spec/v3.md` section 5).
pub const SIGNATURE_LEN_LEN: usize = 2;

/// Reads the length prefix of a signature field (`spec/v3.md` section 5): the signature must be
/// 256, 384 or 512 bytes and at most `limits.max_rsa_block_len`. `offset` is where the field
/// starts, for the error.
///
/// # Errors
/// [`ParseErrorKind::BadBlockLength`].
pub fn parse_signature_len(
    prefix: [u8; SIGNATURE_LEN_LEN],
    offset: usize,
    limits: &Limits,
) -> Result<usize, ParseError> {
    let len = usize::from(u16::from_be_bytes(prefix));
    if !RSA_BLOCK_LENS.contains(&len) || len > limits.max_rsa_block_len {
        return Err(ParseError {
            offset,
            kind: ParseErrorKind::BadBlockLength,
        });
    }
    Ok(len)
}

/// Encodes a signature field: the `u16` length, then the signature.
///
/// # Errors
/// [`ParseErrorKind::BadBlockLength`] unless the signature is 256, 384 or 512 bytes.
pub fn encode_signature_field(signature: &[u8]) -> Result<alloc::vec::Vec<u8>, ParseErrorKind> {
    if !RSA_BLOCK_LENS.contains(&signature.len()) {
        return Err(ParseErrorKind::BadBlockLength);
    }
    let len = u16::try_from(signature.len()).map_err(|_| ParseErrorKind::BadBlockLength)?;
    let mut out = alloc::vec::Vec::with_capacity(SIGNATURE_LEN_LEN + signature.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(signature);
    Ok(out)
}
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
    /// A rotation statement's key-set version is below 2 (version 1 is the configured set).
    BadKeySetVersion,
    /// A rotation statement's retire flag is neither 0 nor 1.
    BadRetireFlag,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::BadMagic => f.write_str("not an otaseal V3 file (bad magic)"),
            ParseErrorKind::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            ParseErrorKind::UnknownSuite(WITHDRAWN_SUITE) => write!(
                f,
                "suite id {WITHDRAWN_SUITE} was withdrawn in otaseal-wire-spec v0.2.0 (no key commitment); seal the bundle again"
            ),
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
            ParseErrorKind::BadKeySetVersion => {
                f.write_str("rotation statement key-set version is below 2")
            }
            ParseErrorKind::BadRetireFlag => {
                f.write_str("rotation statement retire flag is neither 0 nor 1")
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

impl core::error::Error for ParseError {}
