//! Key-rotation statements (`spec/v3.md` section 8): an old, trusted signing key vouches for
//! a new one. The layout is `otaseal_wire::v3::RotationStatement`; this module signs and
//! verifies it.

use otaseal_keys::{Fingerprint, PublicKey, Signer};
use otaseal_wire::Limits;
use otaseal_wire::v3::{ParseError, ParseErrorKind, RotationStatement, encode_signature_field};

use super::crypto::{self, ROTATION_SIGNATURE_CONTEXT};
use super::error::{OpenError, SealError};
use super::open::TrustedKeys;

/// Signs a statement with `old`, vouching for `new` within `app_id`.
///
/// # Errors
/// [`SealError::InvalidRotation`] if the keys are the same or the app id is invalid;
/// [`SealError::Key`], [`SealError::Signing`].
pub fn sign_rotation(
    old: &dyn Signer,
    new: &PublicKey,
    app_id: &str,
    created_at: u64,
) -> Result<Vec<u8>, SealError> {
    let spki = new.to_spki_der()?;
    let mut out = RotationStatement::encode_signed_part(
        &old.public_key().fingerprint(),
        &new.fingerprint(),
        app_id,
        created_at,
        &spki,
    )
    .map_err(SealError::InvalidRotation)?;
    let sig = crypto::pss_sign(old, ROTATION_SIGNATURE_CONTEXT, &out)?;
    out.extend_from_slice(&encode_signature_field(&sig).map_err(SealError::InvalidHeader)?);
    Ok(out)
}

impl TrustedKeys {
    /// Accepts a rotation statement (`spec/v3.md` section 8): its old key must be trusted,
    /// its signature must verify with it, its new key must be the one it names, and it must
    /// be for `app_id`. On success the new key is trusted too (the old one stays) and its
    /// fingerprint is returned.
    ///
    /// # Errors
    /// [`OpenError::Parse`], [`OpenError::UntrustedSigner`], [`OpenError::BadSignature`],
    /// [`OpenError::WrongApp`].
    pub fn accept_rotation(
        &mut self,
        statement: &[u8],
        app_id: &str,
        limits: &Limits,
    ) -> Result<Fingerprint, OpenError> {
        let s = RotationStatement::parse(statement, limits)?;
        let bad_key = || {
            OpenError::Parse(ParseError {
                offset: s.signed_len - s.new_spki.len() - 2,
                kind: ParseErrorKind::BadRotationKey,
            })
        };
        let new_key = PublicKey::from_bytes(&s.new_spki, limits).map_err(|_| bad_key())?;
        let canonical = new_key.to_spki_der().map_err(OpenError::Key)?;
        if new_key.fingerprint() != s.new || canonical != s.new_spki {
            return Err(bad_key());
        }
        let old = self
            .get(&s.old)
            .ok_or(OpenError::UntrustedSigner { signer: s.old })?;
        let signed = statement
            .get(..s.signed_len)
            .ok_or(OpenError::BadSignature)?;
        if !crypto::pss_verify(old, ROTATION_SIGNATURE_CONTEXT, signed, &s.signature) {
            return Err(OpenError::BadSignature);
        }
        if s.app_id != app_id {
            return Err(OpenError::WrongApp { found: s.app_id });
        }
        let fp = new_key.fingerprint();
        self.add(new_key);
        Ok(fp)
    }
}
