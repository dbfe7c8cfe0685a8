use otaseal_keys::{PublicKey, SignError, Signer};
use otaseal_wire::{ChecksumFormat, Sha256Checksum, SignedChecksum};

use super::DecryptError;
use crate::rsa_ops::{recover_payload, sign_payload};

/// Signs a checksum in the given form (`spec/v2.md` 5): the type-1 private-key operation over
/// the 32 digest bytes (hex form) or over `base64decode(hex)` (base64 form). Deterministic.
///
/// # Errors
/// [`SignError`] from the signer.
///
/// ```
/// use otaseal_envelope::v2::{recover_checksum, sign_checksum};
/// use otaseal_keys::{KeySize, PrivateKey};
/// use otaseal_wire::{ChecksumFormat, Sha256Checksum};
///
/// let key = PrivateKey::generate(KeySize::Rsa2048)?;
/// let sum = Sha256Checksum::from_bytes([7; 32]);
/// let signed = sign_checksum(&key, &sum, ChecksumFormat::Base64)?;
/// assert_eq!(signed.to_string().len(), 344);
/// assert_eq!(recover_checksum(key.public_key(), &signed)?, sum);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_checksum(
    signer: &dyn Signer,
    checksum: &Sha256Checksum,
    format: ChecksumFormat,
) -> Result<SignedChecksum, SignError> {
    let block = sign_payload(signer, &checksum.signing_input(format))?;
    Ok(SignedChecksum::new(format, block))
}

/// Recovers the SHA-256 a signed checksum carries, with the public key, checking the type-1
/// padding strictly and the payload length of the checksum's form (32 or 48 bytes).
///
/// # Errors
/// [`DecryptError::Wire`] for a block of another length than the modulus;
/// [`DecryptError::ChecksumDoesNotOpen`] if the block does not open to a checksum of its form.
pub fn recover_checksum(
    key: &PublicKey,
    signed: &SignedChecksum,
) -> Result<Sha256Checksum, DecryptError> {
    signed.check_modulus(key.modulus_len())?;
    let format = signed.format();
    let payload = recover_payload(key, signed.block(), format.payload_len())
        .ok_or(DecryptError::ChecksumDoesNotOpen)?;
    match format {
        ChecksumFormat::Hex => {
            let mut digest = [0u8; 32];
            digest.copy_from_slice(&payload);
            Ok(Sha256Checksum::from_bytes(digest))
        }
        // The payload is base64decode(hex); re-encoding it must give 64 lower-case hex
        // characters, or the signer did not sign a checksum.
        _ => {
            use base64ct::Encoding;
            let text = base64ct::Base64Unpadded::encode_string(&payload);
            text.parse::<Sha256Checksum>()
                .map_err(|_| DecryptError::ChecksumDoesNotOpen)
        }
    }
}
