//! Legacy Capgo encryption V1 reader and V1 -> V2 migration (`spec/v1.md`).
//!
//! Apps that used Capgo's first encryption format shipped the V1 **private** key inside the
//! app; their bundles must move to V2 (`spec/v2.md`), where the app holds only a public key.
//! This crate is the only otaseal crate that holds V1 algorithms (RSA-OAEP-SHA256 key unwrap,
//! CRC32); the V2 path never depends on it.
//!
//! - [`v1`]: read a V1 bundle, streaming with a fixed 64 KiB buffer: [`v1::decrypt_stream`],
//!   [`v1::decrypt_to_file`] (atomic), [`v1::decrypt`].
//! - [`Migrator`]: one V1 bundle to one V2 bundle without the plaintext ever touching the disk;
//!   [`Migrator::migrate_file`] writes the V2 file atomically after verifying both sides.
//! - [`batch`]: many bundles from a JSON list into an output directory, with a per-bundle
//!   report, resumable after a crash; a bad bundle is reported and skipped.
//! - [`config`]: every edit of `capacitor.config.json`/`.ts`/`.js` (setting `publicKey`,
//!   replacing a V1 `privateKey`); [`check_v1_key_pair`] for the key files.
//!
//! **A V1 private key has shipped in every copy of the app: treat it as public** (`spec/v1.md`
//! section 7 step 4). It is needed once, here, to read the old bundles; never use it again,
//! and treat every bundle ever encrypted to it as disclosed. V1 input is untrusted data even
//! when its CRC32 matches (`spec/v1.md` section 8).
//!
//! ```
//! use otaseal_keys::{Limits, PrivateKey};
//! use otaseal_migrate::v1;
//! use otaseal_wire::IvSessionKey;
//!
//! // A bundle made by @capgo/cli 4.34.6 (spec/vectors/capgo-cli/v1/rand-17.v1k1.*).
//! let l = Limits::default();
//! let v1_key = PrivateKey::from_bytes(include_bytes!("../tests/data/v1k1.key"), &l)?;
//! let ciphertext = include_bytes!("../tests/data/rand-17.v1k1.enc");
//! # let iv_session_key = "V6zXFmzWudCe/8P0/bl/wA==:ilzBb+AtkUcXuZ6shmKsuKzsLNbx/aLubtiNb9/1x9ZjQYny5btjYJRssP+3gEq6Jew3x511xr2EJhJoJBaHfrbp8oEaCtgCTaQkqHn+ublqIpd+Zv6TAuiMhI1dXB4ejeTxdM//cfdlW/RUhpgl9ETnTPXjnVnjMhpdfP6bzhIIkGGhwRh3w3nOgl1gjz5ixSiPr/0EZkgEDsqMJvfSimvEM82pwqQZwyNuKXDN9q2x5hVzWXcuM5oJvoOM0uxaVLolPd3GB9mYvHROPWOLFzDrUcSV6B3VMLmBWarJmMaCzVXBNGmncxYmIqt0p+uNhsHJtt5LGHwoONhOa5Dx8w==";
//! let ivsk = IvSessionKey::parse(iv_session_key, &l)?;
//! let crc32 = "f7df1b24".parse()?;
//!
//! let plain = v1::decrypt(ciphertext, &v1_key, &ivsk, Some(crc32), &l)?;
//! assert_eq!(plain.as_slice(), include_bytes!("../tests/data/rand-17.v1k1.plain"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
