use sha2::{Digest, Sha256};

pub use otaseal_wire::Fingerprint;

/// Computes the fingerprint of an SPKI DER document (`spec/keys.md` section 6): its SHA-256.
///
/// ```
/// use otaseal_keys::fingerprint_of_spki_der;
///
/// let f = fingerprint_of_spki_der(b"abc");
/// assert_eq!(f.to_string().len(), 7 + 64);
/// ```
#[must_use]
pub fn fingerprint_of_spki_der(spki_der: &[u8]) -> Fingerprint {
    Fingerprint::from_bytes(Sha256::digest(spki_der).into())
}
