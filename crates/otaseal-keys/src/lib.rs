#![doc = include_str!("../README.md")]
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
    ENV_PREFIX, InlineKey, KeySource, LoadError, LoadOptions, Loaded, LoosePermissions,
    SoftwareBackend, SourceError,
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
