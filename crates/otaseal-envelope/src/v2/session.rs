use core::fmt;

use aes::Aes128;
use aes::cipher::{Array, BlockModeEncrypt, KeyIvInit};
use otaseal_keys::{PublicKey, Signer};
use otaseal_wire::{IV_LEN, IvSessionKey, SESSION_KEY_LEN};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{DecryptError, EncryptError};
use crate::cbc::BLOCK_LEN;
use crate::rsa_ops::{recover_payload, sign_payload};

/// A bundle's AES-128 session key and CBC IV (`spec/v2.md` section 2).
///
/// Zeroized on drop; not `Clone`; `Debug` is redacted; the key bytes are reachable only inside
/// this crate. Obtained fresh ([`generate`](Self::generate)) or by opening an `ivSessionKey`
/// with the public key ([`open`](Self::open)).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SessionKey {
    key: [u8; SESSION_KEY_LEN],
    iv: [u8; IV_LEN],
}

impl SessionKey {
    /// A fresh random key and IV from the operating system's generator (`spec/v2.md` 2).
    ///
    /// # Errors
    /// [`EncryptError::Random`] if the generator fails.
    pub fn generate() -> Result<Self, EncryptError> {
        let mut s = Self {
            key: [0; SESSION_KEY_LEN],
            iv: [0; IV_LEN],
        };
        getrandom::fill(&mut s.key).map_err(|_| EncryptError::Random)?;
        getrandom::fill(&mut s.iv).map_err(|_| EncryptError::Random)?;
        Ok(s)
    }

    /// A session key from known bytes, to reproduce a bundle of a test vector. Reusing a key
    /// and IV for two bundles is insecure.
    #[cfg(feature = "test-vectors")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-vectors")))]
    #[must_use]
    pub fn from_parts(key: [u8; SESSION_KEY_LEN], iv: [u8; IV_LEN]) -> Self {
        Self { key, iv }
    }

    pub(crate) fn key(&self) -> &[u8; SESSION_KEY_LEN] {
        &self.key
    }

    /// The AES-128 key itself, deliberately: it decrypts the bundle. For inspection tools
    /// (`otaseal bundle inspect`); a V2 session key is no secret from anyone holding the app's
    /// public key, but it is from everyone else.
    #[must_use]
    pub fn expose_key(&self) -> &[u8; SESSION_KEY_LEN] {
        &self.key
    }

    /// The CBC IV (not secret: it travels in the `ivSessionKey`).
    #[must_use]
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// Wraps the key with the developer's private key (`spec/v2.md` 3 and 6) and returns the
    /// `ivSessionKey` for the update server.
    ///
    /// # Errors
    /// [`EncryptError::Signing`].
    pub fn wrap(&self, signer: &dyn Signer) -> Result<IvSessionKey, EncryptError> {
        Ok(IvSessionKey::new(self.iv, sign_payload(signer, &self.key)?))
    }

    /// Recovers the session key of an `ivSessionKey` with the public key (`spec/v2.md` 6),
    /// checking that the block is exactly the modulus length and every padding byte.
    ///
    /// # Errors
    /// [`DecryptError::Wire`] if the block length differs from the key's modulus length;
    /// [`DecryptError::SessionKeyDoesNotOpen`] if the block does not open to exactly a 16-byte
    /// key.
    pub fn open(key: &PublicKey, iv_session_key: &IvSessionKey) -> Result<Self, DecryptError> {
        iv_session_key.check_modulus(key.modulus_len())?;
        let payload = recover_payload(key, iv_session_key.wrapped_key(), SESSION_KEY_LEN)
            .ok_or(DecryptError::SessionKeyDoesNotOpen)?;
        let mut s = Self {
            key: [0; SESSION_KEY_LEN],
            iv: *iv_session_key.iv(),
        };
        s.key.copy_from_slice(&payload);
        Ok(s)
    }

    /// Encrypts one file of a delta manifest (`spec/v2.md` 9.1 step 3): AES-128-CBC with PKCS#7
    /// under this key **and this IV**, the same for every file of the manifest. That reuse is
    /// Capgo's design, which devices require (`SECURITY.md` lists its cost); use it for nothing
    /// else. A whole bundle is encrypted with [`Encryptor`](super::Encryptor).
    #[must_use]
    pub fn encrypt_delta_file(&self, content: &[u8]) -> Vec<u8> {
        let pad = BLOCK_LEN - content.len() % BLOCK_LEN;
        let mut buf = Vec::with_capacity(content.len() + pad);
        buf.extend_from_slice(content);
        buf.resize(content.len() + pad, u8::try_from(pad).unwrap_or(16));
        let mut cipher = cbc::Encryptor::<Aes128>::new(&Array(self.key), &Array(self.iv));
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        cipher.encrypt_blocks(blocks);
        buf
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey").finish_non_exhaustive()
    }
}
