use core::fmt;

use otaseal_keys::{PrivateKey, PublicKey};
use otaseal_wire::{IV_LEN, IvSessionKey, SESSION_KEY_LEN};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, recover_payload, sign_payload};

/// A bundle's AES-128 session key and CBC IV. Zeroized on drop; `Debug` is redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionKey {
    key: [u8; SESSION_KEY_LEN],
    iv: [u8; IV_LEN],
}

impl SessionKey {
    /// A fresh random key and IV from the operating system's generator (`spec/v2.md` 2).
    ///
    /// # Errors
    /// [`Error::Random`] if the generator fails.
    pub fn generate() -> Result<Self, Error> {
        let mut s = Self {
            key: [0; SESSION_KEY_LEN],
            iv: [0; IV_LEN],
        };
        getrandom::fill(&mut s.key).map_err(|_| Error::Random)?;
        getrandom::fill(&mut s.iv).map_err(|_| Error::Random)?;
        Ok(s)
    }

    /// Builds a session key from known bytes (tests, migrations, delta manifests that reuse
    /// the bundle's key).
    #[must_use]
    pub fn from_parts(key: [u8; SESSION_KEY_LEN], iv: [u8; IV_LEN]) -> Self {
        Self { key, iv }
    }

    /// The AES-128 key.
    #[must_use]
    pub fn key(&self) -> &[u8; SESSION_KEY_LEN] {
        &self.key
    }

    /// The CBC IV.
    #[must_use]
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// Wraps the key with the developer's private key (`spec/v2.md` 3 and 6) and returns the
    /// `ivSessionKey` for the update server.
    ///
    /// # Errors
    /// [`Error::Signing`] if the key is too small for the payload.
    pub fn wrap(&self, key: &PrivateKey) -> Result<IvSessionKey, Error> {
        Ok(IvSessionKey::new(self.iv, sign_payload(key, &self.key)?))
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey").finish_non_exhaustive()
    }
}

/// Recovers the session key of an `ivSessionKey` with the public key, checking the type-1
/// padding strictly (`spec/v2.md` 6) and that the block is exactly the modulus length.
///
/// # Errors
/// [`Error::Wire`] if the block length differs from the key's modulus length;
/// [`Error::SessionKeyDoesNotOpen`] if the block does not open to exactly a 16-byte key.
pub fn open_session_key(
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
) -> Result<SessionKey, Error> {
    let block = iv_session_key.wrapped_key();
    if block.len() != key.modulus_len() {
        return Err(Error::Wire(
            otaseal_wire::WireError::ModulusLengthMismatch {
                field: otaseal_wire::Field::WrappedKey,
                expected: key.modulus_len(),
                actual: block.len(),
            },
        ));
    }
    let payload =
        recover_payload(key, block, SESSION_KEY_LEN).ok_or(Error::SessionKeyDoesNotOpen)?;
    let mut k = [0u8; SESSION_KEY_LEN];
    k.copy_from_slice(&payload);
    Ok(SessionKey::from_parts(k, *iv_session_key.iv()))
}
