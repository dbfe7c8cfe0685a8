//! Device-exact verdicts (`Verification::Device`, `spec/v2.md` 12): otaseal judges a bundle as
//! one `@capgo/capacitor-updater` version does. One test per (plugin version, vector) pair of
//! the real `@capgo/cli` vectors, and the rules where the device differs from the strict
//! verifier: the checksum form, the empty plaintext, the RSA-2048 block.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use otaseal_envelope::v2::{self, DecryptError, Verification};
use otaseal_keys::{KeySize, PrivateKey};
use otaseal_testkit::{LIMITS as L, capgo, entries};
use otaseal_wire::ChecksumFormat;
use otaseal_wire::plugin::{DeviceRefusal, DeviceRules};
use test_case::test_case;

fn rules(v: &str) -> DeviceRules {
    DeviceRules::for_version(v.parse().unwrap()).unwrap()
}

/// `v2::decrypt` of `ct` with the session key of `v`, the signed checksum of `signed_by`
/// and the device-exact verdict of `plugin`.
fn as_plugin(
    ct: &[u8],
    v: &capgo::V2Vector,
    signed_by: &capgo::V2Vector,
    plugin: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, DecryptError> {
    v2::decrypt(
        ct,
        &v.public,
        &v.iv_session_key,
        Verification::Device {
            signed: &signed_by.signed_checksum,
            rules: &rules(plugin),
        },
        &L,
    )
}

/// What the plugin's Android code decides, written out per case (see interop/android for the
/// run of the plugin's own code on the same kinds of files): accepted, or which refusal.
#[derive(Debug, PartialEq)]
enum Want {
    Accept,
    WrongForm,
    Empty,
}

// 8.51.23: hex only, refuses empty. 8.51.13: hex only, accepts empty. 7.25.0: base64 only.
#[test_case("8.51.23", "rand-0.k1.hex", Want::Empty)]
#[test_case("8.51.23", "rand-1.k1.hex", Want::Accept)]
#[test_case("8.51.23", "rand-1048576.k2.hex", Want::Accept)]
#[test_case("8.51.23", "bundle-zip.k1.hex", Want::Accept)]
#[test_case("8.51.23", "bundle-zip.k1.base64", Want::WrongForm)]
#[test_case("8.51.23", "rand-17.k1.base64", Want::WrongForm)]
#[test_case("8.51.13", "rand-0.k2.hex", Want::Accept)]
#[test_case("8.51.13", "rand-1024.k1.base64", Want::WrongForm)]
#[test_case("7.51.21", "rand-0.k1.hex", Want::Empty)]
#[test_case("7.30.0", "rand-0.k1.hex", Want::Accept)]
#[test_case("7.25.0", "rand-0.k1.hex", Want::WrongForm)]
#[test_case("7.25.0", "bundle-zip.k1.hex", Want::WrongForm)]
#[test_case("7.25.0", "bundle-zip.k1.base64", Want::Accept)]
#[test_case("7.25.0", "rand-1024.k1.base64", Want::Accept)]
#[test_case("6.29.0", "rand-17.k1.base64", Want::Accept)]
#[test_case("5.50.2", "rand-0.k2.hex", Want::Accept)]
fn capgo_vector_as_plugin(plugin: &str, id: &str, want: Want) {
    let v = capgo::v2(id);
    let got = as_plugin(&v.encrypted, &v, &v, plugin);
    match (want, got) {
        (Want::Accept, Ok(plain)) => assert_eq!(plain.as_slice(), v.plain.as_slice()),
        (Want::WrongForm, Err(DecryptError::Device(DeviceRefusal::ChecksumForm { .. })))
        | (Want::Empty, Err(DecryptError::Device(DeviceRefusal::EmptyData { .. }))) => {}
        (want, got) => panic!("{plugin} {id}: wanted {want:?}, got {got:?}"),
    }
    // The strict, version-free verdict accepts every vector.
    v2::decrypt(
        &v.encrypted,
        &v.public,
        &v.iv_session_key,
        Verification::SignedChecksum(&v.signed_checksum),
        &L,
    )
    .unwrap();
}

#[test]
fn the_checksum_form_is_judged_before_any_work() {
    // A truncated body with the wrong form: the form is reported, not the truncation.
    let v = capgo::v2("rand-1024.k1.base64");
    let err = as_plugin(&v.encrypted[..7], &v, &v, "8.51.23").unwrap_err();
    assert!(matches!(
        err,
        DecryptError::Device(DeviceRefusal::ChecksumForm {
            reads: ChecksumFormat::Hex,
            found: ChecksumFormat::Base64,
            ..
        })
    ));
    assert!(err.to_string().starts_with("plugin 8.51.23 reads only hex"));
}

#[test]
fn a_tampered_body_stays_one_opaque_error() {
    let v = capgo::v2("rand-1024.k1.hex");
    let mut ct = v.encrypted.clone();
    ct[100] ^= 1;
    let err = as_plugin(&ct, &v, &v, "8.51.23").unwrap_err();
    assert!(matches!(err, DecryptError::Decryption), "{err:?}");
}

#[test]
fn an_empty_bundle_that_fails_verification_is_not_reported_as_empty() {
    // The empty-data rule is applied only after the bundle verified: a wrong checksum on an
    // empty bundle is the opaque failure, not a refusal that would reveal the length check.
    let empty = capgo::v2("rand-0.k1.hex");
    let other = capgo::v2("rand-1.k1.hex");
    let err = as_plugin(&empty.encrypted, &empty, &other, "8.51.23").unwrap_err();
    assert!(matches!(err, DecryptError::Decryption), "{err:?}");
}

#[test]
fn a_device_refusal_leaves_no_output() {
    let v = capgo::v2("rand-0.k1.hex");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bundle.zip");
    let err = v2::decrypt_to_file(
        v.encrypted.as_slice(),
        &dest,
        &v.public,
        &v.iv_session_key,
        Verification::Device {
            signed: &v.signed_checksum,
            rules: &rules("8.51.23"),
        },
        &L,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        DecryptError::Device(DeviceRefusal::EmptyData { .. })
    ));
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn a_non_rsa_2048_checksum_is_refused_as_the_plugin_does() {
    let key = PrivateKey::generate(KeySize::Rsa3072).unwrap();
    let (ct, out) = v2::encrypt(b"PK\x03\x04", &key, ChecksumFormat::Hex).unwrap();
    let err = v2::decrypt(
        &ct,
        key.public_key(),
        &out.iv_session_key,
        Verification::Device {
            signed: &out.signed_checksum,
            rules: &rules("8.51.23"),
        },
        &L,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        DecryptError::Device(DeviceRefusal::RsaBlockLen { len: 384, .. })
    ));
}
