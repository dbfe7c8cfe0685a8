//! The V1 reader and the one-bundle migration on every V1 vector made by `@capgo/cli@4.34.6`
//! (spec/vectors/capgo-cli/, `v1` entries of manifest.json, spec/v1.md section 9), and the
//! negative cases: wrong key, altered ivSessionKey, altered body, wrong CRC32, a V2 bundle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::fs;
use std::path::{Path, PathBuf};

use otaseal_envelope::v2::{self, Verification};
use otaseal_keys::{Limits, PrivateKey};
use otaseal_migrate::{Error, Migrator, v1};
use otaseal_wire::{ChecksumFormat, Crc32Checksum, IvSessionKey};
use serde_json::Value;

const L: Limits = Limits::DEFAULT;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/capgo-cli")
}

fn manifest() -> Value {
    serde_json::from_slice(&fs::read(dir().join("manifest.json")).unwrap()).unwrap()
}

fn private_key(name: &str) -> PrivateKey {
    PrivateKey::from_bytes(
        &fs::read(dir().join("keys").join(format!("{name}.key"))).unwrap(),
        &L,
    )
    .unwrap()
}

struct Vector {
    id: String,
    plain: Vec<u8>,
    encrypted: Vec<u8>,
    ivsk: IvSessionKey,
    crc: Crc32Checksum,
}

fn v1_vectors() -> Vec<Vector> {
    let m = manifest();
    let list = m["v1"].as_array().unwrap();
    assert_eq!(list.len(), 4, "all four V1 vectors of manifest.json");
    list.iter()
        .map(|v| {
            assert_eq!(v["expect"], "ok");
            assert_eq!(v["key"], "v1k1");
            Vector {
                id: v["id"].as_str().unwrap().to_string(),
                plain: fs::read(dir().join(v["plain"].as_str().unwrap())).unwrap(),
                encrypted: fs::read(dir().join(v["encrypted"].as_str().unwrap())).unwrap(),
                ivsk: IvSessionKey::parse_for_modulus(
                    v["iv_session_key"].as_str().unwrap(),
                    256,
                    &L,
                )
                .unwrap(),
                crc: v["crc32"].as_str().unwrap().parse().unwrap(),
            }
        })
        .collect()
}

/// Files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn every_v1_vector_decrypts_to_its_plaintext_and_crc32() {
    let key = private_key("v1k1");
    let tmp = tempfile::tempdir().unwrap();
    for v in v1_vectors() {
        assert_eq!(v1::crc32(&v.plain), v.crc, "{}: manifest CRC32", v.id);
        // One shot, with and without the CRC32.
        assert_eq!(
            v1::decrypt(&v.encrypted, &key, &v.ivsk, Some(v.crc), &L).unwrap(),
            v.plain,
            "{}",
            v.id
        );
        assert_eq!(
            v1::decrypt(&v.encrypted, &key, &v.ivsk, None, &L).unwrap(),
            v.plain
        );
        // Streaming, one byte per read.
        let mut out = Vec::new();
        let slow = std::io::BufReader::with_capacity(1, &v.encrypted[..]);
        let verified = v1::decrypt_stream(slow, &mut out, &key, &v.ivsk, Some(v.crc), &L).unwrap();
        assert_eq!(out, v.plain);
        assert_eq!(verified.crc32, v.crc);
        assert!(verified.crc32_checked);
        assert_eq!(verified.plaintext_len, v.plain.len() as u64);
        // Atomic file output, owner-only.
        let dest = tmp.path().join(format!("{}.zip", v.id));
        v1::decrypt_to_file(&v.encrypted[..], &dest, &key, &v.ivsk, Some(v.crc), &L).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), v.plain);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    assert_eq!(listing(tmp.path()).len(), 4, "no temporary file left");
}

#[test]
fn every_v1_vector_migrates_to_a_v2_bundle_that_verifies() {
    let v1_key = private_key("v1k1");
    let v2_key = private_key("k1");
    let tmp = tempfile::tempdir().unwrap();
    for format in [ChecksumFormat::Hex, ChecksumFormat::Base64] {
        let migrator = Migrator::new(&v1_key, &v2_key)
            .unwrap()
            .checksum_format(format);
        for v in v1_vectors() {
            // In memory.
            let (ct, out) = migrator
                .migrate_stream(&v.encrypted[..], Vec::new(), &v.ivsk, Some(v.crc))
                .unwrap();
            assert_eq!(out.signed_checksum.format(), format);
            assert_eq!(out.v1_crc32, v.crc);
            assert!(out.v1_crc32_checked);
            assert_eq!(out.plaintext_len, v.plain.len() as u64);
            assert_eq!(out.ciphertext_len, ct.len() as u64);
            assert_ne!(out.iv_session_key.iv(), v.ivsk.iv(), "a fresh IV");
            let plain = v2::decrypt(
                &ct,
                v2_key.public_key(),
                &out.iv_session_key,
                Verification::SignedChecksum(&out.signed_checksum),
                &L,
            )
            .unwrap();
            assert_eq!(plain, v.plain, "{} {format}", v.id);
            // The strings survive a round trip through text, as the server stores them.
            let ivsk = IvSessionKey::parse(&out.iv_session_key.to_string(), &L).unwrap();
            assert_eq!(ivsk, out.iv_session_key);
            let signed =
                otaseal_wire::SignedChecksum::parse(&out.signed_checksum.to_string(), &L).unwrap();
            assert_eq!(signed, out.signed_checksum);
            // To a file, atomically.
            let src = tmp.path().join(format!("{}.v1", v.id));
            let dest = tmp.path().join(format!("{}.{format}.v2", v.id));
            fs::write(&src, &v.encrypted).unwrap();
            let out = migrator
                .migrate_file(&src, &dest, &v.ivsk, Some(v.crc))
                .unwrap();
            let ct = fs::read(&dest).unwrap();
            assert_eq!(ct.len() as u64, out.ciphertext_len);
            let plain = v2::decrypt(
                &ct,
                v2_key.public_key(),
                &out.iv_session_key,
                Verification::SignedChecksum(&out.signed_checksum),
                &L,
            )
            .unwrap();
            assert_eq!(plain, v.plain);
            assert_eq!(out.checksum.to_hex().len(), 64);
        }
    }
    // Sources and outputs only: no temporary file left.
    assert_eq!(listing(tmp.path()).len(), 4 * 3);
}

fn assert_opaque(r: Result<Vec<u8>, Error>, what: &str) {
    match r {
        Err(Error::Decryption) => {}
        other => panic!("{what}: expected the opaque decryption error, got {other:?}"),
    }
}

#[test]
fn wrong_key_altered_inputs_and_wrong_crc32_fail_with_one_opaque_error() {
    let key = private_key("v1k1");
    let other = private_key("k2");
    for v in v1_vectors() {
        let id = &v.id;
        assert_opaque(
            v1::decrypt(&v.encrypted, &other, &v.ivsk, Some(v.crc), &L),
            &format!("{id}: wrong V1 key"),
        );
        assert_opaque(
            v1::decrypt(&v.encrypted, &other, &v.ivsk, None, &L),
            &format!("{id}: wrong V1 key, no CRC32"),
        );
        for at in [0usize, 100, 255] {
            let mut block = v.ivsk.wrapped_key().to_vec();
            block[at] ^= 0x01;
            let bad = IvSessionKey::new(*v.ivsk.iv(), block);
            assert_opaque(
                v1::decrypt(&v.encrypted, &key, &bad, None, &L),
                &format!("{id}: wrapped key byte {at} altered"),
            );
        }
        // The last block holds the padding: altering it breaks the padding (or, rarely, gives
        // another valid padding; the CRC32 catches that).
        let mut body = v.encrypted.clone();
        let n = body.len();
        body[n - 1] ^= 0x80;
        assert_opaque(
            v1::decrypt(&body, &key, &v.ivsk, Some(v.crc), &L),
            &format!("{id}: last block altered"),
        );
        // The first block: the padding stays valid, only the CRC32 catches it.
        if v.encrypted.len() > 16 {
            let mut body = v.encrypted.clone();
            body[3] ^= 0x01;
            assert_opaque(
                v1::decrypt(&body, &key, &v.ivsk, Some(v.crc), &L),
                &format!("{id}: first block altered"),
            );
        }
        let wrong = Crc32Checksum::new(v.crc.value() ^ 1);
        assert_opaque(
            v1::decrypt(&v.encrypted, &key, &v.ivsk, Some(wrong), &L),
            &format!("{id}: wrong CRC32"),
        );
        // The altered IV changes only the first block: caught by the CRC32.
        let mut iv = *v.ivsk.iv();
        iv[0] ^= 1;
        let bad_iv = IvSessionKey::new(iv, v.ivsk.wrapped_key().to_vec());
        if v.plain.len() >= 16 {
            assert_opaque(
                v1::decrypt(&v.encrypted, &key, &bad_iv, Some(v.crc), &L),
                &format!("{id}: IV altered"),
            );
        }
    }
}

#[test]
fn truncation_and_block_length_are_reported_as_such() {
    let key = private_key("v1k1");
    let v = &v1_vectors()[2];
    let cut = &v.encrypted[..v.encrypted.len() - 5];
    assert!(matches!(
        v1::decrypt(cut, &key, &v.ivsk, None, &L),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        v1::decrypt(&[], &key, &v.ivsk, None, &L),
        Err(Error::Truncated { len: 0 })
    ));
    let long = IvSessionKey::new(*v.ivsk.iv(), vec![7u8; 384]);
    assert!(matches!(
        v1::decrypt(&v.encrypted, &key, &long, None, &L),
        Err(Error::Wire(
            otaseal_wire::WireError::ModulusLengthMismatch { .. }
        ))
    ));
}

#[test]
fn a_v2_bundle_given_to_the_v1_reader_fails_cleanly() {
    // k1 is the V2 vectors' key; used here as if it were a V1 private key.
    let k1 = private_key("k1");
    let m = manifest();
    let mut seen = 0;
    for v in m["v2"].as_array().unwrap() {
        if v["key"] != "k1" {
            continue;
        }
        let ct = fs::read(dir().join(v["encrypted"].as_str().unwrap())).unwrap();
        let ivsk = IvSessionKey::parse(v["iv_session_key"].as_str().unwrap(), &L).unwrap();
        assert_opaque(
            v1::decrypt(&ct, &k1, &ivsk, None, &L),
            v["id"].as_str().unwrap(),
        );
        seen += 1;
    }
    assert!(seen >= 5);
}

#[test]
fn failed_migrations_leave_nothing_and_keep_an_existing_output() {
    let v1_key = private_key("v1k1");
    let v2_key = private_key("k1");
    let migrator = Migrator::new(&v1_key, &v2_key).unwrap();
    let v = &v1_vectors()[3];
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("bundle.v1");
    let dest = tmp.path().join("bundle.v2");
    let mut body = v.encrypted.clone();
    body[5] ^= 1;
    fs::write(&src, &body).unwrap();
    let r = migrator.migrate_file(&src, &dest, &v.ivsk, Some(v.crc));
    assert!(matches!(r, Err(Error::Decryption)), "{r:?}");
    assert_eq!(listing(tmp.path()), ["bundle.v1"]);
    // An existing output is left as it was.
    fs::write(&dest, b"previous").unwrap();
    let wrong = Crc32Checksum::new(v.crc.value().wrapping_add(1));
    fs::write(&src, &v.encrypted).unwrap();
    assert!(matches!(
        migrator.migrate_file(&src, &dest, &v.ivsk, Some(wrong)),
        Err(Error::Decryption)
    ));
    assert_eq!(fs::read(&dest).unwrap(), b"previous");
    assert_eq!(listing(tmp.path()), ["bundle.v1", "bundle.v2"]);
    // A missing input is an I/O error, and still leaves nothing.
    assert!(matches!(
        migrator.migrate_file(&tmp.path().join("missing"), &dest, &v.ivsk, None),
        Err(Error::Io(_))
    ));
    assert_eq!(listing(tmp.path()), ["bundle.v1", "bundle.v2"]);
    // The dry-run check reads without writing.
    let checked = migrator.check_v1_file(&src, &v.ivsk, Some(v.crc)).unwrap();
    assert_eq!(checked.crc32, v.crc);
    // Size limit before any work.
    let mut small = L;
    small.max_bundle_len = 16;
    let limited = Migrator::new(&v1_key, &v2_key).unwrap().limits(small);
    assert!(matches!(
        limited.migrate_file(&src, &dest, &v.ivsk, None),
        Err(Error::TooLarge { max: 16 })
    ));
}

#[test]
fn the_v1_key_cannot_become_the_v2_key() {
    let v1_key = private_key("v1k1");
    assert!(matches!(
        Migrator::new(&v1_key, &v1_key.clone()),
        Err(Error::KeyReused)
    ));
    let pub1 =
        otaseal_keys::PublicKey::from_bytes(&fs::read(dir().join("keys/v1k1.pub")).unwrap(), &L)
            .unwrap();
    otaseal_migrate::check_v1_key_pair(&v1_key, &pub1).unwrap();
    assert!(otaseal_migrate::check_v1_key_pair(&private_key("k1"), &pub1).is_err());
}
