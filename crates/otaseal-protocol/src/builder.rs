//! Building the update response for a V2 bundle from the outputs of the envelope, as plain
//! wire types. This crate does not depend on `otaseal-envelope`: a caller passes what the
//! envelope produced (`IvSessionKey`, `SignedChecksum`), and gets a validated response.

use otaseal_wire::{IvSessionKey, Limits, SignedChecksum};
use serde_json::Map;

use otaseal_wire::manifest::ManifestEntry;

use crate::error::{ValidationError, ValidationErrors};
use crate::grammar::{UrlScheme, http_url};
use crate::response::UpdateAvailable;

/// The update-available response for a V2 bundle (`spec/protocol.md` section 6).
///
/// - `version`: the bundle's version name;
/// - `url`: where devices download the encrypted zip; it MUST be `https`. For a delta-only
///   bundle pass a placeholder such as Capgo's `https://404.capgo.app/no.zip`: Android refuses
///   an update without a URL;
/// - `session_key` and `checksum`: the envelope's outputs for this bundle;
/// - `manifest`: the files of a delta update (a [`ManifestEntry`] per file, whose `file_hash`
///   is the file's [`SignedChecksum`]), or empty. Their `download_url`s MUST be `https` too.
///
/// The result has `session_key`, `checksum` and, when not empty, `manifest`, in Capgo's field
/// order, and passes [`UpdateAvailable::validate`].
///
/// ```
/// use otaseal_protocol::{Limits, ManifestEntry, UpdateResponse, v2_update_response};
/// use otaseal_wire::{ChecksumFormat, IvSessionKey, SignedChecksum};
///
/// let limits = Limits::default();
/// let key = IvSessionKey::new([7; 16], vec![0x42; 256]);
/// let checksum = SignedChecksum::new(ChecksumFormat::Hex, vec![0x17; 256]);
/// let file = SignedChecksum::new(ChecksumFormat::Hex, vec![0x18; 256]);
/// let manifest = vec![ManifestEntry::new("index.html", file.to_string(), "https://cdn.example.com/f/1")];
/// let u = v2_update_response("1.0.1", "https://cdn.example.com/b.zip", &key, &checksum, manifest, &limits)?;
/// assert_eq!(u.iv_session_key(&limits).unwrap(), Some(key.clone()));
/// assert_eq!(u.signed_checksum(&limits).unwrap(), checksum);
///
/// let http = v2_update_response("1.0.1", "http://cdn.example.com/b.zip", &key, &checksum, vec![], &limits);
/// assert_eq!(http.unwrap_err().first().rule(), "https_url");
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
///
/// # Errors
/// Every problem found: a URL that is not `https`, an empty or too long version, a session key
/// and a checksum made with keys of different sizes, or an invalid manifest entry.
pub fn v2_update_response(
    version: &str,
    url: &str,
    session_key: &IvSessionKey,
    checksum: &SignedChecksum,
    manifest: Vec<ManifestEntry>,
    limits: &Limits,
) -> Result<UpdateAvailable, ValidationErrors> {
    let mut https_errors = Vec::new();
    if http_url(url) != Some(UrlScheme::Https) {
        https_errors.push(ValidationError::NotHttpsUrl {
            field: "url".into(),
        });
    }
    for (i, e) in manifest.iter().enumerate() {
        if http_url(&e.download_url) != Some(UrlScheme::Https) {
            https_errors.push(ValidationError::NotHttpsUrl {
                field: format!("manifest[{i}].download_url"),
            });
        }
    }
    let response = UpdateAvailable {
        version: Some(version.to_owned()),
        url: Some(url.to_owned()),
        session_key: Some(session_key.to_string()),
        checksum: Some(Some(checksum.to_string())),
        manifest: (!manifest.is_empty()).then_some(manifest),
        extra: Map::new(),
        ..UpdateAvailable::default()
    };
    let mut errors = https_errors;
    if let Err(e) = response.validate(limits) {
        // A URL that is not http(s) is already reported above as not https.
        errors.extend(
            e.into_iter()
                .filter(|e| !matches!(e, ValidationError::NotHttpUrl { .. })),
        );
    }
    match ValidationErrors::from_vec(errors) {
        None => Ok(response),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otaseal_wire::ChecksumFormat;

    fn key(len: usize) -> IvSessionKey {
        IvSessionKey::new([1; 16], vec![2; len])
    }

    fn sum(len: usize) -> SignedChecksum {
        SignedChecksum::new(ChecksumFormat::Hex, vec![3; len])
    }

    use crate::error::field_rules as rules;

    #[test]
    fn builds_valid_responses() {
        let l = Limits::DEFAULT;
        let u = v2_update_response("1.0.1", "https://h/b.zip", &key(256), &sum(256), vec![], &l)
            .unwrap();
        assert!(u.manifest.is_none());
        assert_eq!(u.link, None);
        let text = u.to_json().unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.split('"').next())
            .collect();
        assert_eq!(keys, ["version", "url", "session_key", "checksum"]);
        // Base64 form, for old plugins.
        let b64 = SignedChecksum::new(ChecksumFormat::Base64, vec![3; 256]);
        v2_update_response("1.0.1", "https://h/b.zip", &key(256), &b64, vec![], &l).unwrap();
    }

    #[test]
    fn rejects_what_devices_would_refuse() {
        let l = Limits::DEFAULT;
        assert_eq!(
            rules(v2_update_response(
                "",
                "http://h/b.zip",
                &key(256),
                &sum(384),
                vec![],
                &l
            )),
            ["url https_url", "version non_empty", "checksum same_key"]
        );
        let manifest = vec![
            ManifestEntry::new("index.html", sum(256).to_string(), "http://h/1"),
            ManifestEntry::new("../x", sum(256).to_string(), "https://h/2"),
        ];
        assert_eq!(
            rules(v2_update_response(
                "1",
                "https://h/b.zip",
                &key(256),
                &sum(256),
                manifest,
                &l
            )),
            [
                "manifest[0].download_url https_url",
                "manifest[1].file_name manifest_path"
            ]
        );
        let mut small = Limits::DEFAULT;
        small.max_rsa_block_len = 256;
        assert_eq!(
            rules(v2_update_response(
                "1",
                "https://h/b.zip",
                &key(512),
                &sum(512),
                vec![],
                &small
            )),
            ["session_key wire_format", "checksum wire_format"]
        );
    }
}
