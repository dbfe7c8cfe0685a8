//! Every way a V2 bundle can be wrong yields a typed error and leaves no output file; round
//! trips hold for any plaintext and any write pattern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::io::Write;

use otaseal_envelope::v2::{self, DecryptError as Error, EncryptOutput, Encryptor, Verification};
use otaseal_keys::{PrivateKey, PublicKey};
use otaseal_testkit::{LIMITS as L, capgo, entries as list};
use otaseal_wire::{ChecksumFormat, IvSessionKey, SignedChecksum};
use proptest::prelude::*;

fn key(name: &str) -> PrivateKey {
    capgo::keys(name).0
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn sealed(len: usize, format: ChecksumFormat) -> (PrivateKey, Vec<u8>, Vec<u8>, EncryptOutput) {
    let sk = key("k1");
    let plain = sample(len);
    let (ct, out) = v2::encrypt(&plain, &sk, format).unwrap();
    (sk, plain, ct, out)
}

/// Runs decrypt_to_file into a fresh directory holding an existing destination file, and
/// checks that on error the destination is untouched and nothing else was left behind.
fn decrypt_into_dir(
    ct: &[u8],
    pk: &PublicKey,
    ivsk: &IvSessionKey,
    v: Verification<'_>,
) -> Result<Vec<u8>, Error> {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bundle.zip");
    std::fs::write(&dest, b"previous bundle").unwrap();
    let r = v2::decrypt_to_file(ct, &dest, pk, ivsk, v, &L);
    let names = list(dir.path());
    match r {
        Ok(_) => {
            assert_eq!(names, ["bundle.zip"]);
            Ok(std::fs::read(&dest).unwrap())
        }
        Err(e) => {
            assert_eq!(names, ["bundle.zip"], "no temporary file left behind");
            assert_eq!(
                std::fs::read(&dest).unwrap(),
                b"previous bundle",
                "destination untouched"
            );
            Err(e)
        }
    }
}

#[test]
fn good_bundle_replaces_the_destination() {
    let (sk, plain, ct, out) = sealed(5000, ChecksumFormat::Hex);
    let got = decrypt_into_dir(
        &ct,
        sk.public_key(),
        &out.iv_session_key,
        Verification::SignedChecksum(&out.signed_checksum),
    )
    .unwrap();
    assert_eq!(got, plain);
}

#[test]
fn flipped_ciphertext_bytes_fail_as_one_opaque_error() {
    let (sk, _, ct, out) = sealed(4096 + 7, ChecksumFormat::Hex);
    for pos in [0, 15, 16, 2048, ct.len() - 17, ct.len() - 16, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[pos] ^= 0x01;
        let e = decrypt_into_dir(
            &bad,
            sk.public_key(),
            &out.iv_session_key,
            Verification::SignedChecksum(&out.signed_checksum),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Decryption), "byte {pos}: {e}");
    }
}

#[test]
fn truncated_and_misaligned_ciphertexts() {
    let (sk, _, ct, out) = sealed(100, ChecksumFormat::Hex);
    let v = Verification::SignedChecksum(&out.signed_checksum);
    // Dropping whole blocks: still aligned, but the padding or checksum fails.
    let e = decrypt_into_dir(
        &ct[..ct.len() - 16],
        sk.public_key(),
        &out.iv_session_key,
        v,
    )
    .unwrap_err();
    assert!(matches!(e, Error::Decryption), "{e}");
    for len in [0, 1, 15, 17, ct.len() - 1] {
        let e = decrypt_into_dir(&ct[..len], sk.public_key(), &out.iv_session_key, v).unwrap_err();
        assert!(
            matches!(e, Error::Truncated { len: l } if l == len as u64),
            "len {len}: {e}"
        );
    }
    // Extended with an extra block.
    let mut longer = ct.clone();
    longer.extend_from_slice(&[0u8; 16]);
    assert!(matches!(
        decrypt_into_dir(&longer, sk.public_key(), &out.iv_session_key, v),
        Err(Error::Decryption)
    ));
}

#[test]
fn wrong_public_key() {
    let (_, _, ct, out) = sealed(64, ChecksumFormat::Hex);
    let other = key("k2");
    let e = decrypt_into_dir(
        &ct,
        other.public_key(),
        &out.iv_session_key,
        Verification::SignedChecksum(&out.signed_checksum),
    )
    .unwrap_err();
    assert!(matches!(e, Error::ChecksumDoesNotOpen), "{e}");
    let e = decrypt_into_dir(
        &ct,
        other.public_key(),
        &out.iv_session_key,
        Verification::UnsafeSkipVerification,
    )
    .unwrap_err();
    assert!(matches!(e, Error::SessionKeyDoesNotOpen), "{e}");
    assert!(e.to_string().contains("does not open with this public key"));
}

#[test]
fn swapped_session_key_and_wrong_checksum() {
    let (sk, _, ct, out) = sealed(300, ChecksumFormat::Hex);
    let (_, _, _, other) = sealed(301, ChecksumFormat::Hex); // different plaintext, so a different checksum
    // Another bundle's session key with this bundle's checksum.
    let e = decrypt_into_dir(
        &ct,
        sk.public_key(),
        &other.iv_session_key,
        Verification::SignedChecksum(&out.signed_checksum),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Decryption), "{e}");
    // This session key with another bundle's checksum.
    let e = decrypt_into_dir(
        &ct,
        sk.public_key(),
        &out.iv_session_key,
        Verification::SignedChecksum(&other.signed_checksum),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Decryption), "{e}");
    // The IV of another bundle with this key: the first block decrypts wrong.
    let mixed = IvSessionKey::new(
        *other.iv_session_key.iv(),
        out.iv_session_key.wrapped_key().to_vec(),
    );
    assert!(matches!(
        decrypt_into_dir(
            &ct,
            sk.public_key(),
            &mixed,
            Verification::SignedChecksum(&out.signed_checksum)
        ),
        Err(Error::Decryption)
    ));
    // The session key block given as the checksum: opens, but to 16 bytes, not 32.
    let as_checksum = SignedChecksum::new(
        ChecksumFormat::Hex,
        out.iv_session_key.wrapped_key().to_vec(),
    );
    assert!(matches!(
        decrypt_into_dir(
            &ct,
            sk.public_key(),
            &out.iv_session_key,
            Verification::SignedChecksum(&as_checksum)
        ),
        Err(Error::ChecksumDoesNotOpen)
    ));
    // A hex checksum block presented as base64 (48-byte payload expected).
    let relabelled =
        SignedChecksum::new(ChecksumFormat::Base64, out.signed_checksum.block().to_vec());
    assert!(matches!(
        decrypt_into_dir(
            &ct,
            sk.public_key(),
            &out.iv_session_key,
            Verification::SignedChecksum(&relabelled)
        ),
        Err(Error::ChecksumDoesNotOpen)
    ));
}

#[test]
fn blocks_of_the_wrong_length_for_the_key() {
    let (sk, _, ct, out) = sealed(10, ChecksumFormat::Hex);
    let short = IvSessionKey::new(
        *out.iv_session_key.iv(),
        out.iv_session_key.wrapped_key()[1..].to_vec(),
    );
    assert!(matches!(
        decrypt_into_dir(
            &ct,
            sk.public_key(),
            &short,
            Verification::SignedChecksum(&out.signed_checksum)
        ),
        Err(Error::Wire(
            otaseal_wire::WireError::ModulusLengthMismatch { .. }
        ))
    ));
}

#[test]
fn unverified_mode_still_checks_key_and_padding() {
    let (sk, plain, ct, out) = sealed(33, ChecksumFormat::Base64);
    let got = v2::decrypt(
        &ct,
        sk.public_key(),
        &out.iv_session_key,
        Verification::UnsafeSkipVerification,
        &L,
    )
    .unwrap();
    assert_eq!(*got, plain);
    let mut s = Vec::new();
    let v = v2::decrypt_stream(
        &ct[..],
        &mut s,
        sk.public_key(),
        &out.iv_session_key,
        Verification::UnsafeSkipVerification,
        &L,
    )
    .unwrap();
    assert!(!v.authenticated);
    let v = v2::decrypt_stream(
        &ct[..],
        &mut s,
        sk.public_key(),
        &out.iv_session_key,
        Verification::Checksum(out.checksum),
        &L,
    )
    .unwrap();
    assert!(v.authenticated);
}

#[test]
fn limits_are_enforced_while_streaming() {
    let (sk, _, ct, out) = sealed(200_000, ChecksumFormat::Hex);
    let mut small = L;
    small.max_bundle_len = 100_000;
    let mut sink = Vec::new();
    let e = v2::decrypt_stream(
        &ct[..],
        &mut sink,
        sk.public_key(),
        &out.iv_session_key,
        Verification::SignedChecksum(&out.signed_checksum),
        &small,
    )
    .unwrap_err();
    assert!(matches!(e, Error::TooLarge(l) if l.max == 100_000));
    assert!(sink.len() <= 100_000);
}

#[test]
fn encrypt_file_is_atomic_and_matches_memory() {
    let sk = key("k2");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.enc");
    let plain = sample(70_000);
    let out = v2::encrypt_file(&plain[..], &dest, &sk, ChecksumFormat::Hex).unwrap();
    assert_eq!(list(dir.path()), ["out.enc"]);
    let ct = std::fs::read(&dest).unwrap();
    assert_eq!(ct.len() as u64, out.ciphertext_len);
    assert_eq!(
        v2::decrypt(
            &ct,
            sk.public_key(),
            &out.iv_session_key,
            Verification::SignedChecksum(&out.signed_checksum),
            &L
        )
        .unwrap()
        .as_slice(),
        plain
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn round_trip_any_plaintext_any_chunking(
        plain in proptest::collection::vec(any::<u8>(), 0..200_000),
        chunk in 1usize..70_000,
        base64 in any::<bool>(),
    ) {
        let sk = key("k1");
        let format = if base64 { ChecksumFormat::Base64 } else { ChecksumFormat::Hex };
        let mut enc = Encryptor::new(&sk, format, Vec::new()).unwrap();
        for part in plain.chunks(chunk) {
            enc.write_all(part).unwrap();
        }
        let (ct, out) = enc.finish().unwrap();
        prop_assert_eq!(ct.len() as u64, out.ciphertext_len);
        prop_assert_eq!(ct.len() % 16, 0);
        let signed = SignedChecksum::parse(&out.signed_checksum.to_string(), &L).unwrap();
        let ivsk = IvSessionKey::parse(&out.iv_session_key.to_string(), &L).unwrap();
        let back = v2::decrypt(&ct, sk.public_key(), &ivsk, Verification::SignedChecksum(&signed), &L).unwrap();
        prop_assert_eq!(back.as_slice(), plain.as_slice());
    }

    #[test]
    fn arbitrary_ciphertext_never_panics(ct in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let sk = key("k1");
        let (_, _, _, out) = sealed(1, ChecksumFormat::Hex);
        let r = v2::decrypt(&ct, sk.public_key(), &out.iv_session_key, Verification::SignedChecksum(&out.signed_checksum), &L);
        prop_assert!(r.is_err());
    }
}
