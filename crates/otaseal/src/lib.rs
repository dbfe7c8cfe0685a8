#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use otaseal_envelope::{STREAM_BUFFER_LEN, io, v2};
pub use otaseal_keys::{
    DecodedKey, Fingerprint, KeyError, KeyId, KeySize, KeySource, LoadError, PrivateKey, PublicKey,
    SignError, Signer, decode_any,
};
pub use otaseal_wire::{
    Checksum, ChecksumFormat, IvSessionKey, Limit, LimitExceeded, Limits, Sha256Checksum,
    SignedChecksum, WireError,
};

/// The wire formats alone (`otaseal-wire`): parsers and encoders, no cryptography.
pub mod wire {
    pub use otaseal_wire::*;
}

/// RSA keys and key backends (`otaseal-keys`).
pub mod keys {
    pub use otaseal_keys::*;
}

/// otaseal V3 sealed bundles (`otaseal-envelope::v3`).
#[cfg(feature = "v3")]
#[cfg_attr(docsrs, doc(cfg(feature = "v3")))]
pub use otaseal_envelope::v3;

/// Capgo delta (manifest) updates (`otaseal-manifest`).
#[cfg(feature = "manifest")]
#[cfg_attr(docsrs, doc(cfg(feature = "manifest")))]
pub mod manifest {
    pub use otaseal_manifest::*;
}

/// Capgo encryption V1 and the migration to V2 (`otaseal-migrate`).
#[cfg(feature = "migrate")]
#[cfg_attr(docsrs, doc(cfg(feature = "migrate")))]
pub mod migrate {
    pub use otaseal_migrate::*;
}

/// The update protocol's messages (`otaseal-protocol`).
#[cfg(feature = "protocol")]
#[cfg_attr(docsrs, doc(cfg(feature = "protocol")))]
pub mod protocol {
    pub use otaseal_protocol::*;
}
