//! Capgo encryption V2 (`spec/v2.md`), byte-compatible with `@capgo/cli` 8.x and
//! `@capgo/capacitor-updater`.
//!
//! - Encrypt: [`encrypt`] (one shot), [`Encryptor`] (a [`std::io::Write`] adapter) or
//!   [`encrypt_file`]; [`Encryptor::finish`] gives the [`EncryptOutput`] strings for the update
//!   server.
//! - Decrypt and verify: [`decrypt`] (one shot), [`decrypt_stream`] (any reader and writer)
//!   or [`decrypt_to_file`] / [`decrypt_to`] (the output gets its name only if it verified).
//! - The checksum alone: [`sign_checksum`] and [`recover_checksum`], for servers and delta
//!   manifests.
//! - The session key alone: [`SessionKey`].

mod checksum;
mod decrypt;
mod encrypt;
mod error;
mod session;

pub use checksum::{recover_checksum, sign_checksum};
pub use decrypt::{Verification, Verified, decrypt, decrypt_stream, decrypt_to, decrypt_to_file};
pub use encrypt::{EncryptOutput, Encryptor, encrypt, encrypt_file, encrypt_to};
pub use error::{DecryptError, EncryptError};
pub use session::SessionKey;
