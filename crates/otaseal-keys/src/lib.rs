//! RSA keys for Capgo-compatible OTA bundles (`spec/keys.md`).
//!
//! - Generate keys: [`PrivateKey::generate`] (2048 bits by default, as Capgo; 3072 and 4096
//!   for V3).
//! - Read and write PEM and DER in PKCS#1, PKCS#8 (private) and SPKI (public):
//!   [`PublicKey::from_bytes`], [`PrivateKey::from_bytes`], [`decode_any`] and the `to_*`
//!   methods.
//! - The capacitor.config form of a public key: [`PublicKey::capacitor_config_value`].
//! - Capgo's `key_id` hint ([`PublicKey::key_id`]) and a real identity, the SHA-256
//!   [`Fingerprint`] of the SPKI DER.
//!
//! Private keys are zeroized on drop and their `Debug` output is redacted. Keys of a size that
//! Capgo devices reject (anything but RSA-2048 with e = 65537) are readable but flagged by
//! [`PublicKey::capgo_compatible`].
//!
//! ```
//! use otaseal_keys::{PublicKey, Limits};
//!
//! let pem = include_str!("../tests/data/k1.pub");
//! let key = PublicKey::from_bytes(pem.as_bytes(), &Limits::default())?;
//! assert_eq!(key.bits(), 2048);
//! assert!(key.capgo_compatible());
//! assert_eq!(key.key_id().as_str(), "MIIBCgKCAQEAuGbpniuu");
//! assert!(key.fingerprint().to_string().starts_with("sha256:"));
//! # Ok::<(), otaseal_keys::KeyError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod decode;
mod error;
mod fingerprint;
mod private;
mod public;
mod signer;

pub use decode::{Container, DecodedKey, KeyEncoding, KeyKind, decode_any};
pub use error::{CodecError, KeyError};
pub use fingerprint::{Fingerprint, fingerprint_of_spki_der};
pub use otaseal_wire::{KeyId, Limit, LimitExceeded, Limits};
pub use private::{KeySize, PrivateKey};
pub use public::PublicKey;
/// The `rsa` crate whose key types [`PublicKey::as_rsa`] and [`PrivateKey::as_rsa`] expose.
pub use rsa;
pub use signer::{SignError, Signer};

/// Bit length of the only RSA modulus Capgo devices accept.
pub const CAPGO_KEY_BITS: usize = 2048;

/// Capgo's V2 private key file name (`spec/keys.md` section 3).
pub const CAPGO_PRIVATE_KEY_FILE: &str = ".capgo_key_v2";
/// Capgo's V2 public key file name.
pub const CAPGO_PUBLIC_KEY_FILE: &str = ".capgo_key_v2.pub";
/// Capgo's legacy V1 private key file name (shipped inside V1 apps).
pub const CAPGO_V1_PRIVATE_KEY_FILE: &str = ".capgo_key";
/// Capgo's legacy V1 public key file name.
pub const CAPGO_V1_PUBLIC_KEY_FILE: &str = ".capgo_key.pub";
