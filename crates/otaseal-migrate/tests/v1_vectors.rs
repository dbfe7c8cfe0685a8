//! The V1 reader and the one-bundle migration on every V1 vector made by `@capgo/cli@4.34.6`
//! (spec/vectors/capgo-cli/, `v1` entries of manifest.json, spec/v1.md section 9), one test per
//! vector, and the negative cases: wrong key, altered ivSessionKey, altered body, wrong CRC32,
//! a V2 bundle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::fs;

use otaseal_envelope::v2::{self, Verification};
use otaseal_keys::PrivateKey;
use otaseal_migrate::v1::{self, DecryptError as Error};
use otaseal_migrate::{MigrateError, Migrator};
use otaseal_testkit::{LIMITS as L, capgo, entries as listing};
use otaseal_wire::{ChecksumFormat, Crc32Checksum, IvSessionKey};
use test_case::test_case;
use zeroize::Zeroizing;

fn private_key(name: &str) -> PrivateKey {
    capgo::keys(name).0
}

struct Vector {
    id: String,
    plain: Vec<u8>,
    encrypted: Vec<u8>,
    ivsk: IvSessionKey,
    crc: Crc32Checksum,
}

fn vector(id: &str) -> Vector {
    let v = capgo::v1(id);
    assert_eq!(capgo::entry("v1", id)["key"], "v1k1");
    Vector {
        id: v.id,
        ivsk: IvSessionKey::parse_for_modulus(&v.iv_session_key_text, 256, &L).unwrap(),
        crc: v.crc32.parse().unwrap(),
        plain: v.plain,
        encrypted: v.encrypted,
    }
}

const V1_IDS: [&str; 4] = [
    "rand-0.v1k1",
    "rand-17.v1k1",
    "rand-1024.v1k1",
    "bundle-zip.v1k1",
];

fn v1_vectors() -> Vec<Vector> {
    V1_IDS.iter().map(|id| vector(id)).collect()
}

#[test]
fn the_tests_cover_every_v1_vector() {
    capgo::assert_covers("v1", &V1_IDS);
}

#[test_case("rand-0.v1k1")]
#[test_case("rand-17.v1k1")]
#[test_case("rand-1024.v1k1")]
#[test_case("bundle-zip.v1k1")]
fn v1_vector_decrypts_to_its_plaintext_and_crc32(id: &str) {
    let v = vector(id);
    let key = private_key("v1k1");
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(v1::crc32(&v.plain), v.crc, "{}: manifest CRC32", v.id);
    // One shot, with and without the CRC32.
    assert_eq!(
        *v1::decrypt(&v.encrypted, &key, &v.ivsk, Some(v.crc), &L).unwrap(),
        v.plain
    );
    assert_eq!(
        *v1::decrypt(&v.encrypted, &key, &v.ivsk, None, &L).unwrap(),
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
    assert_eq!(listing(tmp.path()).len(), 1, "no temporary file left");
}

#[test_case("rand-0.v1k1", ChecksumFormat::Hex)]
#[test_case("rand-17.v1k1", ChecksumFormat::Hex)]
#[test_case("rand-1024.v1k1", ChecksumFormat::Hex)]
#[test_case("bundle-zip.v1k1", ChecksumFormat::Hex)]
#[test_case("rand-0.v1k1", ChecksumFormat::Base64)]
#[test_case("rand-17.v1k1", ChecksumFormat::Base64)]
#[test_case("rand-1024.v1k1", ChecksumFormat::Base64)]
#[test_case("bundle-zip.v1k1", ChecksumFormat::Base64)]
fn v1_vector_migrates_to_a_v2_bundle_that_verifies(id: &str, format: ChecksumFormat) {
    let v = vector(id);
    let v1_key = private_key("v1k1");
    let v2_key = private_key("k1");
    let tmp = tempfile::tempdir().unwrap();
    let migrator = Migrator::new(&v1_key, &v2_key)
        .unwrap()
        .checksum_format(format);
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
    assert_eq!(*plain, v.plain);
    // The strings survive a round trip through text, as the server stores them.
    let ivsk = IvSessionKey::parse(&out.iv_session_key.to_string(), &L).unwrap();
    assert_eq!(ivsk, out.iv_session_key);
    let signed = otaseal_wire::SignedChecksum::parse(&out.signed_checksum.to_string(), &L).unwrap();
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
    assert_eq!(*plain, v.plain);
    assert_eq!(out.checksum.to_hex().len(), 64);
    // Source and output only: no temporary file left.
    assert_eq!(listing(tmp.path()).len(), 2);
}

fn assert_opaque(r: Result<Zeroizing<Vec<u8>>, Error>, what: &str) {
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
    let mut seen = 0;
    for id in capgo::ids("v2") {
        let v = capgo::v2(&id);
        if capgo::entry("v2", &id)["key"] != "k1" {
            continue;
        }
        assert_opaque(
            v1::decrypt(&v.encrypted, &k1, &v.iv_session_key, None, &L),
            &id,
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
    assert!(
        matches!(r, Err(MigrateError::V1(Error::Decryption))),
        "{r:?}"
    );
    assert_eq!(listing(tmp.path()), ["bundle.v1"]);
    // An existing output is left as it was.
    fs::write(&dest, b"previous").unwrap();
    let wrong = Crc32Checksum::new(v.crc.value().wrapping_add(1));
    fs::write(&src, &v.encrypted).unwrap();
    assert!(matches!(
        migrator.migrate_file(&src, &dest, &v.ivsk, Some(wrong)),
        Err(MigrateError::V1(Error::Decryption))
    ));
    assert_eq!(fs::read(&dest).unwrap(), b"previous");
    assert_eq!(listing(tmp.path()), ["bundle.v1", "bundle.v2"]);
    // A missing input is an I/O error, and still leaves nothing.
    assert!(matches!(
        migrator.migrate_file(&tmp.path().join("missing"), &dest, &v.ivsk, None),
        Err(MigrateError::Input(_))
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
        Err(MigrateError::TooLarge(l)) if l.max == 16
    ));
}

#[test]
fn the_v1_key_cannot_become_the_v2_key() {
    let v1_key = private_key("v1k1");
    let again = private_key("v1k1");
    assert!(matches!(
        Migrator::new(&v1_key, &again),
        Err(MigrateError::KeyReused)
    ));
    let pub1 = capgo::keys("v1k1").1;
    otaseal_migrate::check_v1_key_pair(&v1_key, &pub1).unwrap();
    assert!(otaseal_migrate::check_v1_key_pair(&private_key("k1"), &pub1).is_err());
}
