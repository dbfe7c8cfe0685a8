//! The publisher example makes a bundle that a device verifies and decrypts to the zip.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::fs;

use otaseal::v2::{self, Verification};
use otaseal::{IvSessionKey, Limits, PrivateKey, SignedChecksum};

#[test]
fn a_published_bundle_opens_on_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    fs::create_dir(&dist).unwrap();
    fs::write(dist.join("index.html"), "<script src=app.js></script>").unwrap();
    fs::write(dist.join("app.js"), "CapacitorUpdater.notifyAppReady()").unwrap();
    let key_file = otaseal_testkit::vectors("capgo-cli/keys/k1.key");
    let out = dir.path().join("1.0.1").display().to_string();
    let v = otaseal_examples::publish::publish(&dist, &key_file, &out).unwrap();
    let limits = Limits::default();
    let public = PrivateKey::from_file(&key_file, &limits)
        .unwrap()
        .into_key()
        .public_key()
        .clone();
    let ivsk = IvSessionKey::parse(v["ivSessionKey"].as_str().unwrap(), &limits).unwrap();
    let signed = SignedChecksum::parse(v["checksum"].as_str().unwrap(), &limits).unwrap();
    let plain = v2::decrypt(
        &fs::read(format!("{out}.enc")).unwrap(),
        &public,
        &ivsk,
        Verification::SignedChecksum(&signed),
        &limits,
    )
    .unwrap();
    assert_eq!(*plain, fs::read(format!("{out}.zip")).unwrap());
    // Without notifyAppReady() the code check stops it, before anything is written.
    fs::write(dist.join("app.js"), "console.log(1)").unwrap();
    let err = otaseal_examples::publish::publish(&dist, &key_file, &format!("{out}b")).unwrap_err();
    assert!(err.to_string().contains("notifyAppReady"), "{err}");
    assert!(!dir.path().join("1.0.1b.zip").exists());
}
