//! Signing many checksums: one RSA private-key operation per *distinct* SHA-256, on all cores.

use std::collections::HashMap;
use std::num::NonZeroUsize;

use otaseal_keys::PrivateKey;
use otaseal_wire::{ChecksumFormat, Sha256Checksum, SignedChecksum};

use super::par;
use crate::Error;
use crate::v2::sign_checksum;

/// Signs every checksum of `sums` in `format` (`spec/v2.md` 5), returning the signed checksums
/// in the same order.
///
/// Type-1 signing is deterministic, so identical checksums (the same file in several places)
/// are signed once and the block is reused. The distinct checksums are signed on `threads`
/// threads (`None`: all available cores).
///
/// # Errors
/// [`Error::Signing`] if the `rsa` crate rejects the key.
///
/// ```
/// use otaseal_envelope::manifest::sign_checksums;
/// use otaseal_keys::{KeySize, PrivateKey};
/// use otaseal_wire::{ChecksumFormat, Sha256Checksum};
///
/// let key = PrivateKey::generate(KeySize::Rsa2048)?;
/// let a = Sha256Checksum::from_bytes([1; 32]);
/// let b = Sha256Checksum::from_bytes([2; 32]);
/// let signed = sign_checksums(&key, &[a, b, a], ChecksumFormat::Hex, None)?;
/// assert_eq!(signed.len(), 3);
/// assert_eq!(signed[0], signed[2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_checksums(
    key: &PrivateKey,
    sums: &[Sha256Checksum],
    format: ChecksumFormat,
    threads: Option<NonZeroUsize>,
) -> Result<Vec<SignedChecksum>, Error> {
    let mut distinct: Vec<Sha256Checksum> = Vec::new();
    let mut index: HashMap<[u8; 32], usize> = HashMap::with_capacity(sums.len());
    for sum in sums {
        index.entry(*sum.as_bytes()).or_insert_with(|| {
            distinct.push(*sum);
            distinct.len() - 1
        });
    }
    let threads = threads.unwrap_or_else(par::default_threads);
    let signed = par::try_map(&distinct, threads, |sum| sign_checksum(key, sum, format))?;
    sums.iter()
        .map(|sum| {
            index
                .get(sum.as_bytes())
                .and_then(|&i| signed.get(i))
                .cloned()
                .ok_or_else(|| Error::Signing("internal: a checksum was not signed".into()))
        })
        .collect()
}
