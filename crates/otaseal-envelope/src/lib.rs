#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg_attr(not(feature = "hazmat"), allow(unreachable_pub))]
mod cbc;
#[cfg(feature = "hazmat")]
pub mod hazmat;
pub mod io;
#[cfg(feature = "v3")]
mod par;
mod pipe;
mod rsa_ops;
pub mod v2;
#[cfg(feature = "v3")]
#[cfg_attr(docsrs, doc(cfg(feature = "v3")))]
pub mod v3;

/// Size of the streaming buffer: memory use of the streaming functions does not grow with
/// the bundle.
pub const STREAM_BUFFER_LEN: usize = 64 * 1024;
