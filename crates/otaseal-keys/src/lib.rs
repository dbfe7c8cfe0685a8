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
//! - Load a private key from where it is kept ([`KeySource`]: a file, `env:NAME`, `-` or a
//!   `pkcs11:` URI) into a [`Signer`] backend: [`PrivateKey`] (RustCrypto, pure Rust),
//!   `OpensslKey` (feature `openssl`) or `Pkcs11Key` (feature `pkcs11`, a key that never
//!   leaves its token).
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
#![cfg_attr(docsrs, feature(doc_cfg))]

mod decode;
mod error;
mod fingerprint;
#[cfg(feature = "openssl")]
mod openssl_key;
#[cfg(feature = "pkcs11")]
mod pkcs11_key;
mod pkcs11_uri;
mod private;
mod public;
mod signer;
mod source;

pub use decode::{Container, DecodedKey, KeyEncoding, KeyKind, decode_any};
pub use error::{CodecError, KeyError};
pub use fingerprint::{Fingerprint, fingerprint_of_spki_der};
#[cfg(feature = "openssl")]
pub use openssl_key::OpensslKey;
pub use otaseal_wire::{KeyId, Limit, LimitExceeded, Limits};
#[cfg(feature = "pkcs11")]
pub use pkcs11_key::{Pkcs11Error, Pkcs11Key};
pub use pkcs11_uri::{PKCS11_SCHEME, PinSource, Pkcs11Uri, UriError};
pub use private::{KeySize, PrivateKey};
pub use public::PublicKey;
/// The `rsa` crate whose key types [`PublicKey::as_rsa`] and [`PrivateKey::as_rsa`] expose.
pub use rsa;
pub use signer::{SignError, Signer};
pub use source::{
    ENV_PREFIX, KeySource, LoadError, LoadOptions, Loaded, LoosePermissions, SoftwareBackend,
    SourceError,
};

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
