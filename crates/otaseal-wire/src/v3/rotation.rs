//! The key-rotation statement layout (`spec/v3.md` section 8): an old signing key vouches for
//! a new one. The signature is made and checked by `otaseal-envelope`.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use super::cursor::{Cursor, check_str};
use super::header::{Suite, VERSION};
use super::{ParseError, ParseErrorKind, parse_signature_len};
use crate::{Fingerprint, Limits};

/// `spec/v3.md` section 8: `"otasealR"`.
pub const ROTATION_MAGIC: [u8; 8] = *b"otasealR";
/// `spec/v3.md` section 8: longest SPKI DER of a new key.
pub const MAX_SPKI_LEN: usize = 2048;

fn err(offset: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { offset, kind }
}

/// A parsed key-rotation statement, not verified: the bytes say who signed, not that they did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationStatement {
    /// Fingerprint of the old (signing) key.
    pub old: Fingerprint,
    /// Fingerprint of the new key.
    pub new: Fingerprint,
    /// The app the rotation applies to.
    pub app_id: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// SubjectPublicKeyInfo DER of the new key, as received.
    pub new_spki: Vec<u8>,
    /// Length of the signed part: the statement without its signature field.
    pub signed_len: usize,
    /// The RSA-PSS signature by the old key.
    pub signature: Vec<u8>,
}

impl RotationStatement {
    /// The signed part of a statement (everything before the signature field).
    ///
    /// # Errors
    /// [`ParseErrorKind::BadRotationKey`] if the fingerprints are equal,
    /// [`ParseErrorKind::BadString`] for an invalid app id, [`ParseErrorKind::TooLarge`] for an
    /// SPKI of more than [`MAX_SPKI_LEN`] bytes (or none).
    pub fn encode_signed_part(
        old: &Fingerprint,
        new: &Fingerprint,
        app_id: &str,
        created_at: u64,
        new_spki: &[u8],
    ) -> Result<Vec<u8>, ParseErrorKind> {
        if old == new {
            return Err(ParseErrorKind::BadRotationKey);
        }
        let app_len = check_str(app_id.as_bytes())
            .and_then(|s| u8::try_from(s.len()).ok())
            .ok_or(ParseErrorKind::BadString)?;
        let spki_len = u16::try_from(new_spki.len())
            .ok()
            .filter(|&n| n > 0 && usize::from(n) <= MAX_SPKI_LEN)
            .ok_or(ParseErrorKind::TooLarge)?;
        let mut out = Vec::with_capacity(128 + new_spki.len());
        out.extend_from_slice(&ROTATION_MAGIC);
        out.push(VERSION);
        out.push(Suite::RsaOaepPssHkdfAes256Gcm64K.id());
        out.extend_from_slice(old.as_bytes());
        out.extend_from_slice(new.as_bytes());
        out.push(app_len);
        out.extend_from_slice(app_id.as_bytes());
        out.extend_from_slice(&created_at.to_be_bytes());
        out.extend_from_slice(&spki_len.to_be_bytes());
        out.extend_from_slice(new_spki);
        Ok(out)
    }

    /// Parses a statement canonically (`spec/v3.md` section 8). Does not verify it, nor that
    /// `new_spki` is a key whose fingerprint is `new` (the caller decodes the key).
    ///
    /// # Errors
    /// [`ParseError`] with the offset of the offending field.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        let mut c = Cursor::new(bytes);
        let magic: [u8; 8] = c.field(Cursor::take_array)?;
        if magic != ROTATION_MAGIC {
            return Err(err(0, ParseErrorKind::BadMagic));
        }
        let version = c.field(Cursor::u8)?;
        if version != VERSION {
            return Err(err(8, ParseErrorKind::UnsupportedVersion(version)));
        }
        let id = c.field(Cursor::u8)?;
        if Suite::from_id(id).is_none() {
            return Err(err(9, ParseErrorKind::UnknownSuite(id)));
        }
        let old = Fingerprint::from_bytes(c.field(Cursor::take_array)?);
        let new = Fingerprint::from_bytes(c.field(Cursor::take_array)?);
        if old == new {
            return Err(err(42, ParseErrorKind::BadRotationKey));
        }
        let app_id = c.str8()?.to_owned();
        let created_at = c.field(Cursor::u64)?;
        let at = c.pos();
        let spki_len = usize::from(c.field(Cursor::u16)?);
        if spki_len == 0 || spki_len > MAX_SPKI_LEN {
            return Err(err(at, ParseErrorKind::TooLarge));
        }
        let new_spki = c.field(|c| c.take(spki_len))?.to_vec();
        let signed_len = c.pos();
        let sig_len = parse_signature_len(c.field(Cursor::take_array)?, signed_len, limits)?;
        let signature = c.field(|c| c.take(sig_len))?.to_vec();
        c.finish()?;
        Ok(Self {
            old,
            new,
            app_id,
            created_at,
            new_spki,
            signed_len,
            signature,
        })
    }
}
