#![doc = include_str!("../README.md")]
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
