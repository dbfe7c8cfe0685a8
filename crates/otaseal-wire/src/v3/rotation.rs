//! The key-rotation statement layout (`spec/v3.md` section 8): a key of the verifier's current
//! key set and the new key both sign the next version of the key set, which adds the new key and
//! may retire the old one. The signatures are made and checked, and the key-set rules applied,
//! by `otaseal-envelope`.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use super::cursor::{Cursor, check_str};
use super::header::{Suite, VERSION};
use super::{
    ParseError, ParseErrorKind, SIGNATURE_LEN_LEN, encode_signature_field, parse_signature_len,
};
use crate::{Fingerprint, Limits};

/// `spec/v3.md` section 8: `"otasealR"`.
pub const ROTATION_MAGIC: [u8; 8] = *b"otasealR";
/// `spec/v3.md` section 8: longest SPKI DER of a new key.
pub const MAX_SPKI_LEN: usize = 2048;
/// `spec/v3.md` section 8: the key set a verifier starts from (its configured keys) has version
/// 1, so the first statement makes version 2.
pub const FIRST_ROTATION_VERSION: u64 = 2;
/// Offset of `app_id`: the fields before it have fixed lengths.
const APP_ID_OFFSET: usize = 74;

/// The longest statement `limits` allow (`spec/v3.md` section 8.1): the fixed fields, a 255-byte
/// app id, a [`MAX_SPKI_LEN`]-byte key and two signatures of `limits.max_rsa_block_len` bytes. A
/// reader can refuse a longer file before reading it.
#[must_use]
pub fn max_statement_len(limits: &Limits) -> usize {
    let signature = SIGNATURE_LEN_LEN.saturating_add(limits.max_rsa_block_len);
    (APP_ID_OFFSET + 1 + 255 + 8 + 8 + 1 + 2 + MAX_SPKI_LEN)
        .saturating_add(signature.saturating_mul(2))
}

fn err(offset: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { offset, kind }
}

/// What a rotation statement says: its signed part (`spec/v3.md` section 8).
///
/// ```
/// use otaseal_wire::Fingerprint;
/// use otaseal_wire::v3::Rotation;
///
/// let r = Rotation::new(
///     Fingerprint::from_bytes([1; 32]),
///     Fingerprint::from_bytes([2; 32]),
///     "com.example.app",
///     2,
///     1_767_225_600,
///     true,
///     vec![0x30; 10],
/// );
/// let signed = r.encode()?;
/// assert_eq!(&signed[..8], b"otasealR");
/// # Ok::<(), otaseal_wire::v3::ParseErrorKind>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Rotation {
    /// Fingerprint of the old key: a key of the current key set, which signs first.
    pub old: Fingerprint,
    /// Fingerprint of the new key, which signs second.
    pub new: Fingerprint,
    /// The app whose key set this is.
    pub app_id: String,
    /// Version of the key set the statement makes: exactly the current version plus one.
    pub key_set_version: u64,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Whether the old key leaves the key set.
    pub retire_old: bool,
    /// SubjectPublicKeyInfo DER of the new key.
    pub new_spki: Vec<u8>,
}

impl Rotation {
    /// A statement's signed part from its fields.
    #[must_use]
    pub fn new(
        old: Fingerprint,
        new: Fingerprint,
        app_id: impl Into<String>,
        key_set_version: u64,
        created_at: u64,
        retire_old: bool,
        new_spki: Vec<u8>,
    ) -> Self {
        Self {
            old,
            new,
            app_id: app_id.into(),
            key_set_version,
            created_at,
            retire_old,
            new_spki,
        }
    }

    /// The signed part: every byte before the first signature field.
    ///
    /// # Errors
    /// [`ParseErrorKind::BadRotationKey`] if the fingerprints are equal,
    /// [`ParseErrorKind::BadString`] for an invalid app id, [`ParseErrorKind::BadKeySetVersion`]
    /// for a version below [`FIRST_ROTATION_VERSION`], [`ParseErrorKind::TooLarge`] for an SPKI
    /// of more than [`MAX_SPKI_LEN`] bytes (or none).
    pub fn encode(&self) -> Result<Vec<u8>, ParseErrorKind> {
        if self.old == self.new {
            return Err(ParseErrorKind::BadRotationKey);
        }
        let app_len = check_str(self.app_id.as_bytes())
            .and_then(|s| u8::try_from(s.len()).ok())
            .ok_or(ParseErrorKind::BadString)?;
        if self.key_set_version < FIRST_ROTATION_VERSION {
            return Err(ParseErrorKind::BadKeySetVersion);
        }
        let spki_len = u16::try_from(self.new_spki.len())
            .ok()
            .filter(|&n| n > 0 && usize::from(n) <= MAX_SPKI_LEN)
            .ok_or(ParseErrorKind::TooLarge)?;
        let mut out = Vec::with_capacity(APP_ID_OFFSET + 1 + 255 + 17 + 2 + self.new_spki.len());
        out.extend_from_slice(&ROTATION_MAGIC);
        out.push(VERSION);
        out.push(Suite::RsaOaepPssHkdfAes256Gcm64K.id());
        out.extend_from_slice(self.old.as_bytes());
        out.extend_from_slice(self.new.as_bytes());
        out.push(app_len);
        out.extend_from_slice(self.app_id.as_bytes());
        out.extend_from_slice(&self.key_set_version.to_be_bytes());
        out.extend_from_slice(&self.created_at.to_be_bytes());
        out.push(u8::from(self.retire_old));
        out.extend_from_slice(&spki_len.to_be_bytes());
        out.extend_from_slice(&self.new_spki);
        Ok(out)
    }
}

/// A parsed key-rotation statement, not verified: the bytes say who signed, not that they did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RotationStatement {
    /// The signed part.
    pub rotation: Rotation,
    /// Length of the signed part: the offset of the first signature field.
    pub signed_len: usize,
    /// The RSA-PSS signature by the old key.
    pub old_signature: Vec<u8>,
    /// The RSA-PSS signature by the new key.
    pub new_signature: Vec<u8>,
}

impl RotationStatement {
    /// A statement from its signed part and the two signatures over it.
    ///
    /// # Errors
    /// As [`Rotation::encode`].
    pub fn new(
        rotation: Rotation,
        old_signature: Vec<u8>,
        new_signature: Vec<u8>,
    ) -> Result<Self, ParseErrorKind> {
        let signed_len = rotation.encode()?.len();
        Ok(Self {
            rotation,
            signed_len,
            old_signature,
            new_signature,
        })
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
        let at = c.pos();
        let key_set_version = c.field(Cursor::u64)?;
        if key_set_version < FIRST_ROTATION_VERSION {
            return Err(err(at, ParseErrorKind::BadKeySetVersion));
        }
        let created_at = c.field(Cursor::u64)?;
        let at = c.pos();
        let retire_old = match c.field(Cursor::u8)? {
            0 => false,
            1 => true,
            _ => return Err(err(at, ParseErrorKind::BadRetireFlag)),
        };
        let at = c.pos();
        let spki_len = usize::from(c.field(Cursor::u16)?);
        if spki_len == 0 || spki_len > MAX_SPKI_LEN {
            return Err(err(at, ParseErrorKind::TooLarge));
        }
        let new_spki = c.field(|c| c.take(spki_len))?.to_vec();
        let signed_len = c.pos();
        let signature = |c: &mut Cursor<'_>| -> Result<Vec<u8>, ParseError> {
            let at = c.pos();
            let len = parse_signature_len(c.field(Cursor::take_array)?, at, limits)?;
            Ok(c.field(|c| c.take(len))?.to_vec())
        };
        let old_signature = signature(&mut c)?;
        let new_signature = signature(&mut c)?;
        c.finish()?;
        Ok(Self {
            rotation: Rotation {
                old,
                new,
                app_id,
                key_set_version,
                created_at,
                retire_old,
                new_spki,
            },
            signed_len,
            old_signature,
            new_signature,
        })
    }

    /// The canonical encoding: the signed part, then both signature fields.
    ///
    /// # Errors
    /// As [`Rotation::encode`]; [`ParseErrorKind::BadBlockLength`] for a signature that is not
    /// 256, 384 or 512 bytes.
    pub fn encode(&self) -> Result<Vec<u8>, ParseErrorKind> {
        let mut out = self.rotation.encode()?;
        out.reserve(2 * SIGNATURE_LEN_LEN + self.old_signature.len() + self.new_signature.len());
        out.extend_from_slice(&encode_signature_field(&self.old_signature)?);
        out.extend_from_slice(&encode_signature_field(&self.new_signature)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use proptest::prelude::*;

    use super::*;

    const L: Limits = Limits::DEFAULT;

    prop_compose! {
        fn any_statement()(
            old in any::<[u8; 32]>(),
            new in any::<[u8; 32]>(),
            app_id in "[a-z0-9.]{1,40}",
            key_set_version in FIRST_ROTATION_VERSION..,
            created_at in any::<u64>(),
            retire_old in any::<bool>(),
            new_spki in proptest::collection::vec(any::<u8>(), 1..=MAX_SPKI_LEN),
            old_len in 0usize..3,
            new_len in 0usize..3,
            fill in any::<u8>(),
        ) -> RotationStatement {
            let mut new = new;
            if new == old {
                new[0] ^= 1;
            }
            let rotation = Rotation::new(
                Fingerprint::from_bytes(old),
                Fingerprint::from_bytes(new),
                app_id,
                key_set_version,
                created_at,
                retire_old,
                new_spki,
            );
            let signed_len = rotation.encode().unwrap().len();
            RotationStatement {
                rotation,
                signed_len,
                old_signature: alloc::vec![fill; crate::RSA_BLOCK_LENS[old_len]],
                new_signature: alloc::vec![!fill; crate::RSA_BLOCK_LENS[new_len]],
            }
        }
    }

    proptest! {
        #[test]
        fn encoding_round_trips_and_is_canonical(
            s in any_statement(),
            at in any::<usize>(),
            b in any::<u8>(),
        ) {
            let bytes = s.encode().unwrap();
            let parsed = RotationStatement::parse(&bytes, &L).unwrap();
            prop_assert_eq!(&parsed, &s);
            let mut edited = bytes.clone();
            let at = at % edited.len();
            edited[at] = b;
            if let Ok(e) = RotationStatement::parse(&edited, &L) {
                prop_assert_eq!(e.encode().unwrap(), edited);
            }
            prop_assert!(RotationStatement::parse(&bytes[..at], &L).is_err());
            let mut longer = bytes;
            longer.push(b);
            prop_assert!(RotationStatement::parse(&longer, &L).is_err());
        }
    }

    proptest! {
        #[test]
        fn no_statement_is_longer_than_the_bound(s in any_statement()) {
            prop_assert!(s.encode().unwrap().len() <= max_statement_len(&L));
        }
    }

    #[test]
    fn field_rules() {
        let r = Rotation::new(
            Fingerprint::from_bytes([1; 32]),
            Fingerprint::from_bytes([2; 32]),
            "app",
            2,
            5,
            false,
            alloc::vec![7; 3],
        );
        let signed = r.encode().unwrap();
        let sig = encode_signature_field(&[9; 256]).unwrap();
        let whole = [&signed[..], &sig, &sig].concat();
        let version_at = APP_ID_OFFSET + 4;
        let retire_at = version_at + 16;
        let parsed = RotationStatement::parse(&whole, &L).unwrap();
        assert_eq!(parsed.signed_len, signed.len());
        assert_eq!(parsed.rotation, r);
        let edit = |at: usize, b: u8| {
            let mut w = whole.clone();
            w[at] = b;
            RotationStatement::parse(&w, &L).unwrap_err()
        };
        assert_eq!(
            edit(version_at + 7, 1),
            err(version_at, ParseErrorKind::BadKeySetVersion)
        );
        assert_eq!(
            edit(retire_at, 2),
            err(retire_at, ParseErrorKind::BadRetireFlag)
        );
        assert_eq!(edit(9, 1).kind, ParseErrorKind::UnknownSuite(1));
        // No new-key signature.
        let short = [&signed[..], &sig].concat();
        assert_eq!(
            RotationStatement::parse(&short, &L).unwrap_err(),
            err(short.len(), ParseErrorKind::UnexpectedEnd)
        );
        for bad in [
            Rotation {
                key_set_version: 1,
                ..r.clone()
            },
            Rotation {
                new: r.old,
                ..r.clone()
            },
            Rotation {
                new_spki: alloc::vec![],
                ..r.clone()
            },
            Rotation {
                app_id: String::new(),
                ..r.clone()
            },
        ] {
            assert!(bad.encode().is_err(), "{bad:?}");
        }
    }
}
