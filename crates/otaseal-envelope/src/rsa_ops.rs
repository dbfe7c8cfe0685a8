//! The two RSA operations of Capgo V2 (`spec/v2.md` section 6): the private-key operation
//! over a type-1 padded payload (Node's `privateEncrypt`), through a [`Signer`], and its inverse
//! with the public key.

use otaseal_keys::{PublicKey, SignError, Signer};
use otaseal_wire::type1;
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

/// Puts `payload` through the signer's type-1 private-key operation:
/// `RSASP1(00 01 FF.. 00 payload)`. Deterministic: the same key and payload always give the
/// same block, byte for byte what `@capgo/cli` produces.
pub(crate) fn sign_payload(signer: &dyn Signer, payload: &[u8]) -> Result<Vec<u8>, SignError> {
    signer.sign_type1(payload)
}

/// Recovers the `payload_len`-byte payload of a type-1 block with the public key:
/// `RSAVP1(block)`, then a strict check of every padding byte.
///
/// Returns `None` unless the block is exactly the modulus length, is less than the modulus,
/// and opens to `00 01`, at least 8 `FF`, `00`, then exactly `payload_len` bytes.
pub(crate) fn recover_payload(
    key: &PublicKey,
    block: &[u8],
    payload_len: usize,
) -> Option<Zeroizing<Vec<u8>>> {
    let rsa = key.as_rsa();
    let k = rsa.size();
    if block.len() != k {
        return None;
    }
    let c = BoxedUint::from_be_slice(block, rsa.n_bits_precision()).ok()?;
    if c >= *rsa.n().as_ref() {
        return None;
    }
    let m = rsa::hazmat::rsa_encrypt(rsa, &c).ok()?;
    let bytes = Zeroizing::new(m.to_be_bytes());
    // to_be_bytes() is the full limb precision; the value is < n, so the extra leading bytes
    // are zero and the last k bytes are I2OSP(m, k).
    let em = bytes.get(bytes.len().checked_sub(k)?..)?;
    if bytes[..bytes.len() - k].iter().any(|&b| b != 0) {
        return None;
    }
    type1::decode(em, payload_len)
        .ok()
        .map(|p| Zeroizing::new(p.to_vec()))
}
