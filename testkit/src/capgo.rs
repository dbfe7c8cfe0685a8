//! Vectors of the real `@capgo/cli` (`spec/vectors/capgo-cli/manifest.json`) and the plugin's
//! contract fixtures (`spec/vectors/capacitor-updater`).

use otaseal_keys::{PrivateKey, PublicKey};
use otaseal_wire::{IvSessionKey, Sha256Checksum, SignedChecksum};
use serde_json::Value;

use crate::{LIMITS, read, read_json, vectors};

/// `spec/vectors/capgo-cli/manifest.json`.
#[must_use]
pub fn manifest() -> Value {
    read_json(vectors("capgo-cli/manifest.json"))
}

/// The ids of a section (`"v2"` or `"v1"`), in manifest order.
#[must_use]
pub fn ids(section: &str) -> Vec<String> {
    manifest()[section]
        .as_array()
        .unwrap_or_else(|| panic!("manifest.json has no {section} section"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The manifest entry of a vector.
#[must_use]
pub fn entry(section: &str, id: &str) -> Value {
    manifest()[section]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no {section} vector {id} in manifest.json"))
        .clone()
}

/// The key pair `name` (`k1`, `k2`, `v1k1`) of the CLI's vectors.
#[must_use]
pub fn keys(name: &str) -> (PrivateKey, PublicKey) {
    (
        crate::private_key(vectors(format!("capgo-cli/keys/{name}.key"))),
        crate::public_key(vectors(format!("capgo-cli/keys/{name}.pub"))),
    )
}

/// A key file of the CLI's vectors, as bytes.
#[must_use]
pub fn key_file(name: &str) -> std::path::PathBuf {
    vectors(format!("capgo-cli/keys/{name}"))
}

/// One V2 vector, read.
#[derive(Debug)]
pub struct V2Vector {
    /// Its id.
    pub id: String,
    /// The key pair that made it.
    pub private: PrivateKey,
    /// Its public half.
    pub public: PublicKey,
    /// The `ivSessionKey` string, as the CLI printed it.
    pub iv_session_key_text: String,
    /// It, parsed.
    pub iv_session_key: IvSessionKey,
    /// The signed checksum string, as the CLI printed it.
    pub signed_checksum_text: String,
    /// It, parsed.
    pub signed_checksum: SignedChecksum,
    /// SHA-256 of the plaintext.
    pub sha256: Sha256Checksum,
    /// The plugin version the vector was made for.
    pub plugin_version: String,
    /// The ciphertext.
    pub encrypted: Vec<u8>,
    /// The plaintext.
    pub plain: Vec<u8>,
}

/// The V2 vector `id`.
#[must_use]
pub fn v2(id: &str) -> V2Vector {
    let v = entry("v2", id);
    assert_eq!(v["expect"], "ok", "{id}");
    let (private, public) = keys(v["key"].as_str().unwrap());
    let ivsk = v["iv_session_key"].as_str().unwrap().to_owned();
    let signed = v["signed_checksum"].as_str().unwrap().to_owned();
    let plain = read(vectors("capgo-cli").join(v["plain"].as_str().unwrap()));
    assert_eq!(plain.len() as u64, v["plain_len"].as_u64().unwrap(), "{id}");
    V2Vector {
        id: id.to_owned(),
        iv_session_key: IvSessionKey::parse(&ivsk, &LIMITS).unwrap(),
        signed_checksum: SignedChecksum::parse(&signed, &LIMITS).unwrap(),
        iv_session_key_text: ivsk,
        signed_checksum_text: signed,
        sha256: v["sha256"].as_str().unwrap().parse().unwrap(),
        plugin_version: v["plugin_version"].as_str().unwrap_or_default().to_owned(),
        encrypted: read(vectors("capgo-cli").join(v["encrypted"].as_str().unwrap())),
        plain,
        private,
        public,
    }
}

/// One V1 vector, read.
#[derive(Debug)]
pub struct V1Vector {
    /// Its id.
    pub id: String,
    /// The V1 key pair (`v1k1`).
    pub private: PrivateKey,
    /// The V1 `ivSessionKey` string.
    pub iv_session_key_text: String,
    /// It, parsed.
    pub iv_session_key: IvSessionKey,
    /// The CRC32 of the plaintext, 8 hex characters.
    pub crc32: String,
    /// The ciphertext.
    pub encrypted: Vec<u8>,
    /// The plaintext.
    pub plain: Vec<u8>,
    /// Where the ciphertext is.
    pub encrypted_path: std::path::PathBuf,
}

/// The V1 vector `id`.
#[must_use]
pub fn v1(id: &str) -> V1Vector {
    let v = entry("v1", id);
    assert_eq!(v["expect"], "ok", "{id}");
    let (private, _) = keys(v["key"].as_str().unwrap());
    let ivsk = v["iv_session_key"].as_str().unwrap().to_owned();
    let encrypted_path = vectors("capgo-cli").join(v["encrypted"].as_str().unwrap());
    V1Vector {
        id: id.to_owned(),
        private,
        iv_session_key: IvSessionKey::parse(&ivsk, &LIMITS).unwrap(),
        iv_session_key_text: ivsk,
        crc32: v["crc32"].as_str().unwrap().to_owned(),
        encrypted: read(&encrypted_path),
        plain: read(vectors("capgo-cli").join(v["plain"].as_str().unwrap())),
        encrypted_path,
    }
}

/// A contract fixture of the plugin (`spec/vectors/capacitor-updater/<name>.json`).
#[must_use]
pub fn plugin_fixture(name: &str) -> Value {
    read_json(vectors(format!("capacitor-updater/{name}.json")))
}

/// Asserts that the ids tested by a suite are exactly the manifest's ids of `section`, so that
/// a vector added to the manifest without a test fails.
pub fn assert_covers(section: &str, tested: &[&str]) {
    let mut want = ids(section);
    let mut got: Vec<String> = tested.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "the {section} tests and manifest.json disagree");
}
