//! Capgo encryption V2 (`spec/v2.md`), byte-compatible with `@capgo/cli` 8.x and
//! `@capgo/capacitor-updater`.
//!
//! - Encrypt: [`encrypt`] (one shot) or [`Encryptor`] (a [`std::io::Write`] adapter), then
//!   [`Encryptor::finish`] gives the [`EncryptOutput`] strings for the update server.
//! - Decrypt and verify: [`decrypt`] (one shot), [`decrypt_stream`] (any reader and writer)
//!   or [`decrypt_to_file`] (atomic: nothing is left at the destination unless it verified).
//! - The checksum alone: [`sign_checksum`] and [`recover_checksum`], for servers and delta
//!   manifests.
//! - The session key alone: [`SessionKey`], [`open_session_key`].

mod checksum;
mod decrypt;
mod encrypt;
mod session;

pub use checksum::{recover_checksum, sign_checksum};
pub use decrypt::{Verification, Verified, decrypt, decrypt_stream, decrypt_to_file};
pub use encrypt::{EncryptOutput, Encryptor, encrypt, encrypt_file};
pub use session::{SessionKey, open_session_key};
