//! A V1 **writer**, for building test fixtures only.
//!
//! V1 gives no security (`spec/v1.md` section 8) and otaseal MUST NOT write V1 bundles for
//! real use: this module exists only behind the feature `v1-writer-insecure-testing` (and in
//! this crate's own unit tests), so that tests can make V1 bundles the way `@capgo/cli` 4.x
//! did: RSA-OAEP-SHA256 under the V1 *public* key, AES-128-CBC/PKCS#7, CRC32 of the
//! plaintext.
use aes::Aes128;
use aes::cipher::{Array, BlockModeEncrypt, KeyIvInit};
use otaseal_keys::PublicKey;
use otaseal_wire::{Crc32Checksum, IV_LEN, IvSessionKey, SESSION_KEY_LEN};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::DecryptError;

/// Encrypts `plaintext` as a V1 bundle for `v1_public`; returns the ciphertext, its
/// `ivSessionKey` and the CRC32 of the plaintext.
///
/// # Errors
/// [`DecryptError::Random`] if the OS generator (or RSA-OAEP, which draws from it) fails.
pub fn encrypt(
    plaintext: &[u8],
    v1_public: &PublicKey,
) -> Result<(Vec<u8>, IvSessionKey, Crc32Checksum), DecryptError> {
    let mut key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    let mut iv = [0u8; IV_LEN];
    getrandom::fill(key.as_mut()).map_err(|_| DecryptError::Random)?;
    getrandom::fill(&mut iv).map_err(|_| DecryptError::Random)?;
    let block = v1_public
        .as_rsa()
        .oaep_encrypt::<Sha256>(key.as_ref())
        .map_err(|_| DecryptError::Random)?;
    let mut buf = plaintext.to_vec();
    let pad = 16 - buf.len() % 16;
    buf.resize(buf.len() + pad, u8::try_from(pad).unwrap_or(16));
    let mut cipher = cbc::Encryptor::<Aes128>::new(&Array(*key), &Array(iv));
    let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
    cipher.encrypt_blocks(blocks);
    Ok((buf, IvSessionKey::new(iv, block), super::crc32(plaintext)))
}
