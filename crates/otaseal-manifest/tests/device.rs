//! Delta updates made and judged for one plugin version (`spec/v2.md` 12): `create` refuses a
//! `file_hash` form the plugin's delta code cannot read, `apply` refuses what that version
//! refuses (the form, a file that decrypts to 0 bytes) and nothing is written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::fs;
use std::path::Path;

use otaseal_envelope::v2::{SessionKey, sign_checksum};
use otaseal_keys::{Limits, PrivateKey};
use otaseal_manifest::{
    self as manifest, ApplyOptions, CreateOptions, Created, FILES_DIR, Manifest, ManifestEntry,
    ManifestError,
};
use otaseal_testkit::{capgo, entries};
use otaseal_wire::ChecksumFormat;
use otaseal_wire::plugin::{DeviceRefusal, DeviceRules};
use sha2::{Digest, Sha256};
use test_case::test_case;

fn rules(v: &str) -> DeviceRules {
    DeviceRules::for_version(v.parse().unwrap()).unwrap()
}

fn dist(root: &Path) -> std::path::PathBuf {
    let dist = root.join("dist");
    fs::create_dir_all(dist.join("assets")).unwrap();
    fs::write(dist.join("index.html"), b"<html></html>").unwrap();
    fs::write(dist.join("assets/app.js"), "console.log(1);\n".repeat(1000)).unwrap();
    fs::write(dist.join("assets/empty.css"), b"").unwrap();
    dist
}

fn create(root: &Path, key: &PrivateKey, format: ChecksumFormat) -> Created {
    let mut opts = CreateOptions::new("https://cdn.example/v1/");
    opts.format = format;
    manifest::create(&dist(root), &root.join("out"), key, &opts).unwrap()
}

fn apply(
    root: &Path,
    key: &PrivateKey,
    m: &Manifest,
    created: &Created,
    device: Option<&str>,
) -> Result<(), ManifestError> {
    let mut opts = ApplyOptions::default();
    opts.device = device.map(rules);
    manifest::apply(
        m,
        &root.join("out").join(FILES_DIR),
        &root.join("www"),
        key.public_key(),
        &created.iv_session_key,
        &opts,
    )
    .map(|_| ())
}

#[test_case("8.51.23", ChecksumFormat::Base64)]
#[test_case("7.30.0", ChecksumFormat::Base64)]
#[test_case("7.25.0", ChecksumFormat::Hex)]
fn create_refuses_a_form_the_delta_code_cannot_read(plugin: &str, format: ChecksumFormat) {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = CreateOptions::new("https://cdn.example/v1/");
    opts.format = format;
    opts.device = Some(rules(plugin));
    let err = manifest::create(
        &dist(tmp.path()),
        &tmp.path().join("out"),
        &capgo::keys("k1").0,
        &opts,
    )
    .unwrap_err();
    assert!(
        matches!(&err, ManifestError::Device { name: None, refusal: DeviceRefusal::ChecksumForm { found, .. } } if *found == format),
        "{err:?}"
    );
    assert!(!tmp.path().join("out").exists(), "refused before any work");
}

#[test_case("8.51.23", ChecksumFormat::Hex)]
#[test_case("7.25.0", ChecksumFormat::Base64)]
fn create_then_apply_as_the_matching_plugin(plugin: &str, format: ChecksumFormat) {
    let tmp = tempfile::tempdir().unwrap();
    let key = capgo::keys("k1").0;
    let mut opts = CreateOptions::new("https://cdn.example/v1/");
    opts.format = format;
    opts.device = Some(rules(plugin));
    let created =
        manifest::create(&dist(tmp.path()), &tmp.path().join("out"), &key, &opts).unwrap();
    assert_eq!(created.skipped_empty, ["assets/empty.css"]);
    apply(tmp.path(), &key, &created.manifest, &created, Some(plugin)).unwrap();
    assert_eq!(entries(tmp.path().join("www")), ["assets", "index.html"]);
}

#[test_case("8.51.23", ChecksumFormat::Base64)]
#[test_case("7.25.0", ChecksumFormat::Hex)]
fn apply_refuses_the_other_form_before_touching_anything(plugin: &str, format: ChecksumFormat) {
    let tmp = tempfile::tempdir().unwrap();
    let key = capgo::keys("k1").0;
    let created = create(tmp.path(), &key, format);
    // The strict verdict accepts either form ...
    apply(tmp.path(), &key, &created.manifest, &created, None).unwrap();
    fs::remove_dir_all(tmp.path().join("www")).unwrap();
    // ... the plugin does not.
    let err = apply(tmp.path(), &key, &created.manifest, &created, Some(plugin)).unwrap_err();
    assert!(
        matches!(
            &err,
            ManifestError::Device {
                name: Some(_),
                refusal: DeviceRefusal::ChecksumForm { .. }
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("plugin {plugin} reads only"))
    );
    assert!(!tmp.path().join("www").exists());
}

/// A manifest with an entry for an empty file, as another producer could write it.
fn with_empty_entry(root: &Path, key: &PrivateKey, created: &Created) -> Manifest {
    let session = SessionKey::open(key.public_key(), &created.iv_session_key).unwrap();
    let files = root.join("out").join(FILES_DIR);
    fs::write(files.join("blank.txt"), session.encrypt_delta_file(b"")).unwrap();
    let sum = otaseal_wire::Sha256Checksum::from_bytes(Sha256::digest(b"").into());
    let signed = sign_checksum(key, &sum, ChecksumFormat::Hex).unwrap();
    let mut list: Vec<ManifestEntry> = created.manifest.entries().to_vec();
    list.push(ManifestEntry::new(
        "blank.txt",
        signed.to_string(),
        "https://cdn.example/v1/blank.txt",
    ));
    Manifest::from_entries(list, &Limits::default()).unwrap()
}

#[test_case(None, true)]
#[test_case(Some("8.51.13"), true)]
#[test_case(Some("8.51.14"), false)]
#[test_case(Some("7.51.21"), false)]
fn a_file_that_decrypts_to_nothing(device: Option<&str>, accepted: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let key = capgo::keys("k1").0;
    let created = create(tmp.path(), &key, ChecksumFormat::Hex);
    let m = with_empty_entry(tmp.path(), &key, &created);
    let got = apply(tmp.path(), &key, &m, &created, device);
    if accepted {
        got.unwrap();
        assert_eq!(fs::read(tmp.path().join("www/blank.txt")).unwrap(), b"");
    } else {
        let err = got.unwrap_err();
        assert!(
            matches!(&err, ManifestError::Device { name: Some(n), refusal: DeviceRefusal::EmptyData { .. } } if n == "blank.txt"),
            "{err:?}"
        );
        assert!(!tmp.path().join("www").exists());
    }
}
