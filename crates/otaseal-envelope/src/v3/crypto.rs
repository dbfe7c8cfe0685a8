//! The cryptographic operations of V3 suite 2 (`spec/v3.md` sections 4 to 6).

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use hkdf::Hkdf;
use otaseal_keys::{PublicKey, SignError, Signer};
use otaseal_wire::v3::{KEY_COMMITMENT_LEN, TAG_LEN};
use rand_core::TryCryptoRng;
use rsa::Oaep;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// `spec/v3.md` section 4: the RSA-OAEP label of the content-key wrap.
pub const OAEP_LABEL: &[u8] = b"otaseal/v3/content-key";
/// `spec/v3.md` section 5: the context string prefixed to a header before it is signed.
pub const HEADER_SIGNATURE_CONTEXT: &[u8] = b"otaseal/v3/header-signature\0";
/// `spec/v3.md` section 4.1: the HKDF-SHA256 `info` of the payload key, the AES-256-GCM key
/// of the chunks.
pub const PAYLOAD_KEY_INFO: &[u8] = b"otaseal/v3/payload-key";
/// `spec/v3.md` section 4.1: the HKDF-SHA256 `info` of the key commitment, the header field
/// that binds the signed header to one content key.
pub const KEY_COMMITMENT_INFO: &[u8] = b"otaseal/v3/key-commitment";
/// `spec/v3.md` section 8: the context string prefixed to a key-rotation statement.
pub const ROTATION_SIGNATURE_CONTEXT: &[u8] = b"otaseal/v3/key-rotation\0";
/// Length of the content key (AES-256).
pub const CONTENT_KEY_LEN: usize = 32;
/// `spec/v3.md` section 3.2: the PSS salt length of suite 2.
const PSS_SALT_LEN: usize = 32;

pub(crate) type ContentKey = Zeroizing<[u8; CONTENT_KEY_LEN]>;

/// A fresh content key, or `None` if the generator failed.
pub(crate) fn random_content_key<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Option<ContentKey> {
    let mut k = Zeroizing::new([0u8; CONTENT_KEY_LEN]);
    rng.try_fill_bytes(k.as_mut()).ok()?;
    Some(k)
}

/// `spec/v3.md` section 4: RSAES-OAEP-SHA256 with the otaseal label, to one recipient.
pub(crate) fn wrap_key<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    recipient: &PublicKey,
    key: &ContentKey,
) -> Result<Vec<u8>, rsa::Error> {
    recipient.as_rsa().encrypt(
        rng,
        Oaep::<Sha256>::new_with_label(OAEP_LABEL),
        key.as_ref(),
    )
}

/// `spec/v3.md` section 4: every failure is the same `None` (an opaque error for the caller).
fn unwrap_key(key: &dyn Signer, wrapped: &[u8]) -> Option<ContentKey> {
    if wrapped.len() != key.public_key().modulus_len() {
        return None;
    }
    let plain = key.decrypt_oaep_sha256(OAEP_LABEL, wrapped).ok()?;
    let k: [u8; CONTENT_KEY_LEN] = plain.as_slice().try_into().ok()?;
    Some(Zeroizing::new(k))
}

/// `SHA-256(context || bytes)`: the message representative that is PSS-signed.
fn prefixed_digest(context: &[u8], bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(context);
    h.update(bytes);
    h.finalize().into()
}

/// `spec/v3.md` section 5: RSASSA-PSS-SHA256, salt 32, over `context || bytes`.
pub(crate) fn pss_sign(
    signer: &dyn Signer,
    context: &[u8],
    bytes: &[u8],
) -> Result<Vec<u8>, SignError> {
    signer.sign_pss_sha256(&prefixed_digest(context, bytes))
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

/// `spec/v3.md` section 4.1: HKDF-SHA256 over the content key `K` (no salt): the payload key
/// (the AES-256-GCM key of the chunks) and the key commitment. `K` itself never keys AES.
fn derive(key: &ContentKey) -> (ContentKey, [u8; KEY_COMMITMENT_LEN]) {
    let (mut prk, hkdf) = Hkdf::<Sha256>::extract(None, key.as_ref());
    prk.as_mut_slice().zeroize();
    let mut payload_key = Zeroizing::new([0u8; CONTENT_KEY_LEN]);
    let mut commitment = [0u8; KEY_COMMITMENT_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte maximum: expand cannot fail.
    let _ = hkdf.expand(PAYLOAD_KEY_INFO, payload_key.as_mut());
    let _ = hkdf.expand(KEY_COMMITMENT_INFO, &mut commitment);
    (payload_key, commitment)
}

/// The body cipher of one bundle, keyed with the payload key derived from the content key.
/// An opening cipher exists only once the key commitment matched ([`ChunkCipher::open`]).
pub(crate) struct ChunkCipher(Aes256Gcm);

impl ChunkCipher {
    /// The producer's cipher for the content key `key`, and the key commitment to put in the
    /// header (`spec/v3.md` sections 4.1 and 6).
    pub(crate) fn seal(key: &ContentKey) -> (Self, [u8; KEY_COMMITMENT_LEN]) {
        let (payload_key, commitment) = derive(key);
        (Self::keyed(&payload_key), commitment)
    }

    /// `spec/v3.md` section 7, step 7: unwraps the content key from `wrapped` with the
    /// recipient key and checks, in constant time, that it derives `commitment`; only then is
    /// there a cipher to decrypt chunks with. Every failure is the same `None` (one opaque
    /// error for the caller).
    pub(crate) fn open(
        key: &dyn Signer,
        wrapped: &[u8],
        commitment: &[u8; KEY_COMMITMENT_LEN],
    ) -> Option<Self> {
        let content_key = unwrap_key(key, wrapped)?;
        let (payload_key, derived) = derive(&content_key);
        if !bool::from(derived.ct_eq(commitment)) {
            return None;
        }
        Some(Self::keyed(&payload_key))
    }

    fn keyed(payload_key: &ContentKey) -> Self {
        let k: &[u8; CONTENT_KEY_LEN] = payload_key;
        Self(Aes256Gcm::new(k.into()))
    }

    /// Encrypts `buf[..len - 16]` in place and writes the tag into `buf[len - 16..]`; `false`
    /// if the buffer is shorter than a tag.
    pub(crate) fn seal_chunk(&self, i: u32, last: bool, buf: &mut [u8]) -> bool {
        let Some(split) = buf.len().checked_sub(TAG_LEN) else {
            return false;
        };
        let (data, tag_out) = buf.split_at_mut(split);
        match self
            .0
            .encrypt_inout_detached(&nonce(i, last), b"", data.into())
        {
            Ok(tag) => {
                tag_out.copy_from_slice(&tag);
                true
            }
            Err(_) => false,
        }
    }

    /// Decrypts `chunk` (ciphertext then tag) into `out` (its length less the tag), leaving
    /// `chunk` as it is, so that its commitment can be computed at the same time. `false` for a
    /// tag that does not verify (the tag is checked before anything is written to `out`) or
    /// lengths that do not fit.
    pub(crate) fn open_chunk(&self, i: u32, last: bool, chunk: &[u8], out: &mut [u8]) -> bool {
        let Some(split) = chunk.len().checked_sub(TAG_LEN) else {
            return false;
        };
        let (data, tag) = chunk.split_at(split);
        let Ok(tag) = Tag::try_from(tag) else {
            return false;
        };
        let Ok(buf) = aes_gcm::aead::inout::InOutBuf::new(data, out) else {
            return false;
        };
        self.0
            .decrypt_inout_detached(&nonce(i, last), b"", buf, &tag)
            .is_ok()
    }
}

/// `spec/v3.md` section 6.3.
pub(crate) fn commitment(chunk: &[u8]) -> [u8; 32] {
    Sha256::digest(chunk).into()
}
