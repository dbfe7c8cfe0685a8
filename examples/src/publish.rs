//! A CI publisher in Rust, with the one `otaseal` crate (feature `zip`): zip the built web
//! folder reproducibly, encrypt it for Capgo devices, and return what the update server stores.
//! `examples/publish.rs` runs it from the command line.

use std::path::Path;

use otaseal::io::Existing;
use otaseal::manifest::zip;
use otaseal::{ChecksumFormat, Limits, PrivateKey, v2};
use serde_json::{Value, json};

/// Publishes `dist` as `OUT.zip` and the Capgo V2 bundle `OUT.enc`, signed with the private
/// key file `key`; returns `{filename, ivSessionKey, checksum, sha256}` (`docs/json.md`).
///
/// # Errors
/// Any error of the code check, the zipper, the key file or the encryption.
pub fn publish(dist: &Path, key: &Path, out: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let limits = Limits::default();
    let key = PrivateKey::from_file(key, &limits)?.into_key();
    zip::code_check(dist, &limits)?;
    let zip_path = format!("{out}.zip");
    let zipped = zip::zip_folder_to_file(dist, zip_path.as_ref(), Existing::Replace, &limits)?;
    let bundle = format!("{out}.enc");
    let input = std::fs::File::open(&zip_path)?;
    let made = v2::encrypt_file(input, bundle.as_ref(), &key, ChecksumFormat::Hex)?;
    if made.checksum != zipped.checksum {
        return Err(format!("{zip_path} changed while it was encrypted").into());
    }
    Ok(json!({
        "filename": bundle,
        "ivSessionKey": made.iv_session_key.to_string(),
        "checksum": made.signed_checksum.to_string(),
        "sha256": made.checksum.to_string(),
    }))
}
