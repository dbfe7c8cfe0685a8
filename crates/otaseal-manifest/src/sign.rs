//! Signing many checksums: one RSA private-key operation per *distinct* SHA-256, on all cores.

use std::collections::HashMap;

use otaseal_envelope::v2::sign_checksum;
use otaseal_keys::{SignError, Signer};
use otaseal_wire::{ChecksumFormat, Sha256Checksum, SignedChecksum};
use rayon::prelude::*;

/// Signs every checksum of `sums` in `format` (`spec/v2.md` 5), returning the signed checksums
/// in the same order.
///
/// Type-1 signing is deterministic, so identical checksums (the same file in several places)
/// are signed once and the block is reused. The distinct checksums are signed in parallel on
/// the current rayon pool (one thread per core unless the caller installed another pool).
///
/// # Errors
/// [`SignError`] from the signer.
///
/// ```
/// use otaseal_keys::{KeySize, PrivateKey};
/// use otaseal_manifest::sign_checksums;
/// use otaseal_wire::{ChecksumFormat, Sha256Checksum};
///
/// let key = PrivateKey::generate(KeySize::Rsa2048)?;
/// let a = Sha256Checksum::from_bytes([1; 32]);
/// let b = Sha256Checksum::from_bytes([2; 32]);
/// let signed = sign_checksums(&key, &[a, b, a], ChecksumFormat::Hex)?;
/// assert_eq!(signed.len(), 3);
/// assert_eq!(signed[0], signed[2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_checksums(
    signer: &dyn Signer,
    sums: &[Sha256Checksum],
    format: ChecksumFormat,
) -> Result<Vec<SignedChecksum>, SignError> {
    let mut distinct: Vec<Sha256Checksum> = Vec::new();
    let mut index: HashMap<[u8; 32], usize> = HashMap::with_capacity(sums.len());
    let positions: Vec<usize> = sums
        .iter()
        .map(|sum| {
            *index.entry(*sum.as_bytes()).or_insert_with(|| {
                distinct.push(*sum);
                distinct.len() - 1
            })
        })
        .collect();
    let signed = distinct
        .par_iter()
        .map(|sum| sign_checksum(signer, sum, format))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(positions.into_iter().map(|i| signed[i].clone()).collect())
}
