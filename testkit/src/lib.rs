//! Shared test support of the otaseal workspace (not published).
//!
//! - [`capgo`]: the vectors made by the real `@capgo/cli` (`spec/vectors/capgo-cli`) and the
//!   plugin's contract fixtures (`spec/vectors/capacitor-updater`), one entry by id.
//! - [`v3`]: otaseal's own V3 vectors (`spec/vectors/v3`).
//! - [`cli`]: running the `otaseal` binary in a test and reading its JSON.
//! - [`softhsm`]: a SoftHSM2 token of its own for each test that needs a PKCS#11 key.
//!
//! Every loader panics with the path and what was wrong: this crate is for tests only.
#![forbid(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test support: a failure is a test failure, with its message"
)]

pub mod capgo;
pub mod cli;
pub mod softhsm;
pub mod v3;

use std::path::{Path, PathBuf};

use otaseal_keys::{Limits, PrivateKey, PublicKey};

/// The limits every test uses unless it tests a limit.
pub const LIMITS: Limits = Limits::DEFAULT;

/// The repository's root folder.
#[must_use]
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives in the repository root")
        .to_path_buf()
}

/// `spec/vectors` (or a file below it).
#[must_use]
pub fn vectors(rel: impl AsRef<Path>) -> PathBuf {
    repo_root().join("spec/vectors").join(rel)
}

/// Reads a file, naming it on failure.
#[must_use]
pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads and parses a JSON file.
#[must_use]
pub fn read_json(path: impl AsRef<Path>) -> serde_json::Value {
    let path = path.as_ref();
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A private key file.
#[must_use]
pub fn private_key(path: impl AsRef<Path>) -> PrivateKey {
    let path = path.as_ref();
    PrivateKey::from_bytes(&read(path), &LIMITS)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A public key file.
#[must_use]
pub fn public_key(path: impl AsRef<Path>) -> PublicKey {
    let path = path.as_ref();
    PublicKey::from_bytes(&read(path), &LIMITS)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A deterministic test payload of `len` bytes (`i * 7 mod 251`).
#[must_use]
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i * 7 % 251).unwrap_or(0))
        .collect()
}

/// The names of the entries of `dir` (for "nothing left behind" checks).
#[must_use]
pub fn entries(dir: impl AsRef<Path>) -> Vec<String> {
    let dir = dir.as_ref();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
