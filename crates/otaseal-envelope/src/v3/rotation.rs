//! Key-rotation statements (`spec/v3.md` section 8): an old, trusted signing key vouches for
//! a new one.

use otaseal_keys::{Fingerprint, PrivateKey, PublicKey};
use otaseal_wire::{Limits, RSA_BLOCK_LENS};
use rand_core::TryCryptoRng;

use super::crypto::{self, ROTATION_SIGNATURE_CONTEXT};
use super::cursor::{Cursor, check_str};
use super::error::{Error, ParseError, ParseErrorKind};
use super::header::{Suite, VERSION};
use super::open::TrustedKeys;

/// `spec/v3.md` section 8: `"otasealR"`.
pub const ROTATION_MAGIC: [u8; 8] = *b"otasealR";
/// `spec/v3.md` section 8: longest SPKI DER of a new key.
pub const MAX_SPKI_LEN: usize = 2048;

/// A parsed key-rotation statement (unverified until [`TrustedKeys::accept_rotation`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationStatement {
    /// Fingerprint of the old (signing) key.
    pub old: Fingerprint,
    /// The new key.
    pub new_key: PublicKey,
    /// The app the rotation applies to.
    pub app_id: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    signed_len: usize,
    signature: Vec<u8>,
}

fn err(offset: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { offset, kind }
}

impl RotationStatement {
    /// Signs a statement with `old`, vouching for `new` within `app_id` (OS random number
    /// generator).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the keys are the same or the app id is invalid;
    /// [`Error::Key`], [`Error::Crypto`].
    pub fn sign(
        old: &PrivateKey,
        new: &PublicKey,
        app_id: &str,
        created_at: u64,
    ) -> Result<Vec<u8>, Error> {
        Self::sign_with_rng(old, new, app_id, created_at, &mut getrandom::SysRng)
    }

    /// As [`sign`](Self::sign), drawing the PSS salt and blinding from `rng`.
    ///
    /// # Errors
    /// As [`sign`](Self::sign).
    pub fn sign_with_rng<R: TryCryptoRng + ?Sized>(
        old: &PrivateKey,
        new: &PublicKey,
        app_id: &str,
        created_at: u64,
        rng: &mut R,
    ) -> Result<Vec<u8>, Error> {
        if old.public_key().fingerprint() == new.fingerprint() {
            return Err(Error::InvalidInput("the new key is the old key"));
        }
        if check_str(app_id.as_bytes()).is_none() {
            return Err(Error::InvalidInput(
                "app id must be 1 to 255 bytes without control characters",
            ));
        }
        let spki = new.to_spki_der()?;
        let mut out = Vec::with_capacity(128 + spki.len() + 512);
        out.extend_from_slice(&ROTATION_MAGIC);
        out.push(VERSION);
        out.push(Suite::RsaOaepPssAes256Gcm64K.id());
        out.extend_from_slice(old.public_key().fingerprint().as_bytes());
        out.extend_from_slice(new.fingerprint().as_bytes());
        out.push(u8::try_from(app_id.len()).map_err(|_| Error::InvalidInput("app id"))?);
        out.extend_from_slice(app_id.as_bytes());
        out.extend_from_slice(&created_at.to_be_bytes());
        out.extend_from_slice(
            &u16::try_from(spki.len())
                .map_err(|_| Error::InvalidInput("key"))?
                .to_be_bytes(),
        );
        out.extend_from_slice(&spki);
        let sig = crypto::pss_sign(rng, old, ROTATION_SIGNATURE_CONTEXT, &out)?;
        out.extend_from_slice(
            &u16::try_from(sig.len())
                .map_err(|_| Error::Crypto("signature length"))?
                .to_be_bytes(),
        );
        out.extend_from_slice(&sig);
        Ok(out)
    }

    /// Parses a statement canonically (`spec/v3.md` section 8). Does not verify it.
    ///
    /// # Errors
    /// [`Error::Parse`] with the offset of the offending field.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let mut c = Cursor::new(bytes);
        let magic: [u8; 8] = c.field(Cursor::take_array)?;
        if magic != ROTATION_MAGIC {
            return Err(err(0, ParseErrorKind::BadMagic).into());
        }
        let version = c.field(Cursor::u8)?;
        if version != VERSION {
            return Err(err(8, ParseErrorKind::UnsupportedVersion(version)).into());
        }
        let id = c.field(Cursor::u8)?;
        if Suite::from_id(id).is_none() {
            return Err(err(9, ParseErrorKind::UnknownSuite(id)).into());
        }
        let old = Fingerprint::from_bytes(c.field(Cursor::take_array)?);
        let new = Fingerprint::from_bytes(c.field(Cursor::take_array)?);
        if old == new {
            return Err(err(42, ParseErrorKind::BadRotationKey).into());
        }
        let app_id = c.str8()?.to_owned();
        let created_at = c.field(Cursor::u64)?;
        let at = c.pos();
        let spki_len = usize::from(c.field(Cursor::u16)?);
        if spki_len == 0 || spki_len > MAX_SPKI_LEN {
            return Err(err(at, ParseErrorKind::TooLarge).into());
        }
        let spki = c.field(|c| c.take(spki_len))?;
        let new_key = PublicKey::from_bytes(spki, limits)
            .map_err(|_| Error::Parse(err(at, ParseErrorKind::BadRotationKey)))?;
        if new_key.fingerprint() != new || new_key.to_spki_der()?.as_slice() != spki {
            return Err(err(at, ParseErrorKind::BadRotationKey).into());
        }
        let signed_len = c.pos();
        let sig_len = usize::from(c.field(Cursor::u16)?);
        if !RSA_BLOCK_LENS.contains(&sig_len) || sig_len > limits.max_rsa_block_len {
            return Err(err(signed_len, ParseErrorKind::BadBlockLength).into());
        }
        let signature = c.field(|c| c.take(sig_len))?.to_vec();
        c.finish()?;
        Ok(Self {
            old,
            new_key,
            app_id,
            created_at,
            signed_len,
            signature,
        })
    }
}

impl TrustedKeys {
    /// Accepts a rotation statement (`spec/v3.md` section 8): its old key must be trusted,
    /// its signature must verify with it, and it must be for `app_id`. On success the new key
    /// is trusted too (the old one stays) and its fingerprint is returned.
    ///
    /// # Errors
    /// [`Error::Parse`], [`Error::UntrustedSigner`], [`Error::BadSignature`],
    /// [`Error::WrongApp`].
    pub fn accept_rotation(
        &mut self,
        statement: &[u8],
        app_id: &str,
        limits: &Limits,
    ) -> Result<Fingerprint, Error> {
        let s = RotationStatement::parse(statement, limits)?;
        let old = self
            .get(&s.old)
            .ok_or(Error::UntrustedSigner { signer: s.old })?;
        let signed = statement.get(..s.signed_len).ok_or(Error::BadSignature)?;
        if !crypto::pss_verify(old, ROTATION_SIGNATURE_CONTEXT, signed, &s.signature) {
            return Err(Error::BadSignature);
        }
        if s.app_id != app_id {
            return Err(Error::WrongApp { found: s.app_id });
        }
        let fp = s.new_key.fingerprint();
        self.add(s.new_key);
        Ok(fp)
    }
}
