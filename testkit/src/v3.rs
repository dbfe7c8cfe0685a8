//! otaseal's V3 vectors (`spec/vectors/v3/manifest.json`).

use otaseal_keys::{PrivateKey, PublicKey};
use serde_json::Value;

use crate::{read, read_json, vectors};

/// `spec/vectors/v3/manifest.json`.
#[must_use]
pub fn manifest() -> Value {
    read_json(vectors("v3/manifest.json"))
}

/// The vector entries, in manifest order.
#[must_use]
pub fn entries() -> Vec<Value> {
    manifest()["vectors"].as_array().unwrap().clone()
}

/// The entry at `index` of the manifest's `vectors` (entries may share a file).
#[must_use]
pub fn entry(index: usize) -> Value {
    entries()
        .get(index)
        .unwrap_or_else(|| panic!("no V3 vector #{index}"))
        .clone()
}

/// A V3 file (sealed bundle or rotation statement).
#[must_use]
pub fn file(rel: &str) -> Vec<u8> {
    read(vectors("v3").join(rel))
}

/// A private key of the V3 vectors.
#[must_use]
pub fn private(name: &str) -> PrivateKey {
    crate::private_key(vectors(format!("v3/keys/{name}.key")))
}

/// A public key of the V3 vectors.
#[must_use]
pub fn public(name: &str) -> PublicKey {
    crate::public_key(vectors(format!("v3/keys/{name}.pub")))
}
