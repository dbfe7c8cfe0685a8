//! Capgo-compatible bundle envelopes: encrypt, decrypt, sign and verify OTA bundles.
//!
//! [`v2`] is Capgo's encryption V2 (`spec/v2.md`), byte-compatible with `@capgo/cli` and
//! `@capgo/capacitor-updater`: a random AES-128 session key and IV per bundle, AES-128-CBC
//! with PKCS#7 over the whole zip, the session key and the bundle's SHA-256 both put through
//! the developer's RSA private key with PKCS#1 v1.5 type-1 padding.
//!
//! [`v3`] is otaseal's authenticated format (`spec/v3.md`): RSA-OAEP key wrap to recipients, an
//! RSA-PSS signed header bound to app, channel, version and sequence, and AES-256-GCM chunks
//! that are each verified before their plaintext is released.
//!
//! The API comes in two tiers:
//!
//! - one-shot functions on byte slices: [`v2::encrypt`], [`v2::decrypt`], [`v3::seal`],
//!   [`v3::open_bytes`];
//! - streaming over [`std::io::Read`] / [`std::io::Write`] with a fixed 64 KiB buffer,
//!   whatever the bundle size, and file output through [`io::PendingFile`], which gives the
//!   output its name only once it verified ([`v2::decrypt_to_file`], [`v3::open_to_file`]).
//!
//! Every private-key operation goes through [`otaseal_keys::Signer`], so a key may be in memory,
//! in OpenSSL or in a token. The RSA and CBC primitives under these formats are in [`hazmat`],
//! behind the `hazmat` feature.
//!
//! ```
//! use otaseal_envelope::v2::{self, Verification};
//! use otaseal_keys::{KeySize, Limits, PrivateKey};
//! use otaseal_wire::ChecksumFormat;
//!
//! let key = PrivateKey::generate(KeySize::Rsa2048)?;
//! let zip = b"PK\x03\x04 a bundle";
//! let (ciphertext, out) = v2::encrypt(zip, &key, ChecksumFormat::Hex)?;
//!
//! // What the update server sends: out.iv_session_key and out.signed_checksum as strings.
//! let plain = v2::decrypt(
//!     &ciphertext,
//!     key.public_key(),
//!     &out.iv_session_key,
//!     Verification::SignedChecksum(&out.signed_checksum),
//!     &Limits::default(),
//! )?;
//! assert_eq!(plain.as_slice(), zip);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg_attr(not(feature = "hazmat"), allow(unreachable_pub))]
mod cbc;
#[cfg(feature = "hazmat")]
pub mod hazmat;
pub mod io;
mod pipe;
mod rsa_ops;
pub mod v2;
#[cfg(feature = "v3")]
#[cfg_attr(docsrs, doc(cfg(feature = "v3")))]
pub mod v3;

/// Size of the streaming buffer: memory use of the streaming functions does not grow with
/// the bundle.
pub const STREAM_BUFFER_LEN: usize = 64 * 1024;
