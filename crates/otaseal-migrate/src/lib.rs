#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod batch;
pub mod config;
mod error;
mod migrate;
pub mod v1;

pub use error::MigrateError;
pub use migrate::{Migrated, Migrator};

use otaseal_keys::{PrivateKey, PublicKey};

/// Checks that a V1 public key file belongs to the V1 private key (same modulus and exponent,
/// compared by SPKI fingerprint).
///
/// # Errors
/// [`MigrateError::KeyPairMismatch`] if they differ.
pub fn check_v1_key_pair(private: &PrivateKey, public: &PublicKey) -> Result<(), MigrateError> {
    if private.public_key().fingerprint() == public.fingerprint() {
        Ok(())
    } else {
        Err(MigrateError::KeyPairMismatch)
    }
}
