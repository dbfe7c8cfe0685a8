//! The cryptographic operations of V3 suite 1 (`spec/v3.md` sections 4 to 6).

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use otaseal_keys::{PrivateKey, PublicKey};
use rand_core::TryCryptoRng;
use rsa::Oaep;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::Error;
use super::header::TAG_LEN;

/// `spec/v3.md` section 4: the RSA-OAEP label of the content-key wrap.
pub const OAEP_LABEL: &[u8] = b"otaseal/v3/content-key";
/// `spec/v3.md` section 5: the context string prefixed to a header before it is signed.
pub const HEADER_SIGNATURE_CONTEXT: &[u8] = b"otaseal/v3/header-signature\0";
/// `spec/v3.md` section 8: the context string prefixed to a key-rotation statement.
pub const ROTATION_SIGNATURE_CONTEXT: &[u8] = b"otaseal/v3/key-rotation\0";
/// Length of the content key (AES-256).
pub const CONTENT_KEY_LEN: usize = 32;
/// `spec/v3.md` section 3.2: the PSS salt length of suite 1.
const PSS_SALT_LEN: usize = 32;

pub(crate) type ContentKey = Zeroizing<[u8; CONTENT_KEY_LEN]>;

pub(crate) fn random_content_key<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
) -> Result<ContentKey, Error> {
    let mut k = Zeroizing::new([0u8; CONTENT_KEY_LEN]);
    rng.try_fill_bytes(k.as_mut())
        .map_err(|_| Error::Crypto("random number generator"))?;
    Ok(k)
}

/// `spec/v3.md` section 4: RSAES-OAEP-SHA256 with the otaseal label.
pub(crate) fn wrap_key<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    recipient: &PublicKey,
    key: &ContentKey,
) -> Result<Vec<u8>, Error> {
    recipient
        .as_rsa()
        .encrypt(
            rng,
            Oaep::<Sha256>::new_with_label(OAEP_LABEL),
            key.as_ref(),
        )
        .map_err(|_| Error::Crypto("RSA-OAEP encryption"))
}

/// `spec/v3.md` section 4: every failure is the opaque [`Error::Decryption`].
pub(crate) fn unwrap_key(key: &PrivateKey, wrapped: &[u8]) -> Result<ContentKey, Error> {
    if wrapped.len() != key.as_rsa().size() {
        return Err(Error::Decryption);
    }
    let plain = Zeroizing::new(
        key.as_rsa()
            .decrypt(Oaep::<Sha256>::new_with_label(OAEP_LABEL), wrapped)
            .map_err(|_| Error::Decryption)?,
    );
    let mut k = Zeroizing::new([0u8; CONTENT_KEY_LEN]);
    if plain.len() != CONTENT_KEY_LEN {
        return Err(Error::Decryption);
    }
    k.copy_from_slice(&plain);
    Ok(k)
}

fn prefixed_digest(context: &[u8], bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(context);
    h.update(bytes);
    h.finalize().into()
}

/// `spec/v3.md` section 5: RSASSA-PSS-SHA256, salt 32, over `context || bytes`.
pub(crate) fn pss_sign<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    key: &PrivateKey,
    context: &[u8],
    bytes: &[u8],
) -> Result<Vec<u8>, Error> {
    let digest = prefixed_digest(context, bytes);
    key.as_rsa()
        .sign_with_rng(
            rng,
            rsa::pss::Pss::<Sha256>::new_with_salt(PSS_SALT_LEN),
            &digest,
        )
        .map_err(|_| Error::Crypto("RSA-PSS signing"))
}

/// `spec/v3.md` section 5: the signature must be exactly the modulus length and verify with
/// salt length 32.
pub(crate) fn pss_verify(key: &PublicKey, context: &[u8], bytes: &[u8], sig: &[u8]) -> bool {
    if sig.len() != key.as_rsa().size() {
        return false;
    }
    let digest = prefixed_digest(context, bytes);
    key.as_rsa()
        .verify(
            rsa::pss::Pss::<Sha256>::new_with_salt(PSS_SALT_LEN),
            &digest,
            sig,
        )
        .is_ok()
}

/// `spec/v3.md` section 6.2: `I2OSP(i, 11) || last`.
pub(crate) fn nonce(i: u32, last: bool) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[7..11].copy_from_slice(&i.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

/// The body cipher of one bundle.
pub(crate) struct ChunkCipher(Aes256Gcm);

impl ChunkCipher {
    pub(crate) fn new(key: &ContentKey) -> Self {
        let k: &[u8; CONTENT_KEY_LEN] = key;
        Self(Aes256Gcm::new(k.into()))
    }

    /// Encrypts `buf[..len - 16]` in place and writes the tag into `buf[len - 16..]`.
    pub(crate) fn seal_chunk(&self, i: u32, last: bool, buf: &mut [u8]) -> Result<(), Error> {
        let split = buf
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::Crypto("chunk"))?;
        let (data, tag_out) = buf.split_at_mut(split);
        let tag = self
            .0
            .encrypt_inout_detached(&nonce(i, last), b"", data.into())
            .map_err(|_| Error::Crypto("AES-GCM encryption"))?;
        tag_out.copy_from_slice(&tag);
        Ok(())
    }

    /// Decrypts `buf` (ciphertext then tag) in place; the plaintext is `buf[..len - 16]`.
    pub(crate) fn open_chunk(&self, i: u32, last: bool, buf: &mut [u8]) -> Result<(), Error> {
        let split = buf.len().checked_sub(TAG_LEN).ok_or(Error::Decryption)?;
        let (data, tag) = buf.split_at_mut(split);
        let tag = Tag::try_from(&*tag).map_err(|_| Error::Decryption)?;
        self.0
            .decrypt_inout_detached(&nonce(i, last), b"", data.into(), &tag)
            .map_err(|_| Error::Decryption)
    }
}

/// `spec/v3.md` section 6.3.
pub(crate) fn commitment(chunk: &[u8]) -> [u8; 32] {
    Sha256::digest(chunk).into()
}
