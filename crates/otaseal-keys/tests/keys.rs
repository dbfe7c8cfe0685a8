//! Key encodings against the keys made by `@capgo/cli` (spec/vectors/capgo-cli/keys) and the
//! plugin's contract fixtures, plus round trips and rejections.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::path::PathBuf;

use otaseal_keys::{
    Container, KeyEncoding, KeyError, KeyKind, KeySize, Limits, PrivateKey, PublicKey, decode_any,
};
use proptest::prelude::*;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors")
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

const L: Limits = Limits::DEFAULT;

#[test]
fn every_capgo_cli_key_loads_with_the_config_key_id() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors().join("capgo-cli/manifest.json")).unwrap())
            .unwrap();
    let keys = manifest["keys"].as_object().unwrap();
    assert_eq!(keys.len(), 3);
    for (name, entry) in keys {
        let dir = vectors().join("capgo-cli");
        let private = std::fs::read(dir.join(entry["private"].as_str().unwrap())).unwrap();
        let public = std::fs::read(dir.join(entry["public"].as_str().unwrap())).unwrap();
        let decoded = decode_any(&private, &L).unwrap();
        assert_eq!(
            (decoded.encoding(), decoded.container()),
            (KeyEncoding::Pkcs1, Container::Pem),
            "{name}"
        );
        let sk = decoded.into_private().unwrap();
        let pk = PublicKey::from_bytes(&public, &L).unwrap();
        assert_eq!(
            sk.public_key(),
            &pk,
            "{name}: private and public halves match"
        );
        assert_eq!(pk.bits(), 2048);
        assert!(pk.capgo_compatible());
        // Our PKCS#1 PEM is byte-identical to the CLI's file.
        assert_eq!(
            pk.to_pkcs1_pem().unwrap().as_bytes(),
            public.as_slice(),
            "{name}"
        );
        assert_eq!(
            sk.to_pkcs1_pem().unwrap().as_bytes(),
            private.as_slice(),
            "{name}"
        );
        // The key id a device would send: first 20 characters of the config's PEM body.
        if let Some(cfg) = entry
            .get("capacitor_config_public_key")
            .and_then(|v| v.as_str())
        {
            assert_eq!(pk.capacitor_config_value().unwrap(), cfg);
            let body = cfg.lines().nth(1).unwrap();
            assert_eq!(pk.key_id().as_str(), &body[..20], "{name}");
        }
    }
}

#[test]
fn plugin_contract_key_fixtures() {
    let fx: serde_json::Value = serde_json::from_slice(
        &std::fs::read(vectors().join("capacitor-updater/crypto-rsa.json")).unwrap(),
    )
    .unwrap();
    for case in fx["calcKeyId"].as_array().unwrap() {
        let pem = case["input"]["publicKeyPem"].as_str().unwrap();
        let pk = PublicKey::from_bytes(pem.as_bytes(), &L).unwrap();
        assert_eq!(
            pk.key_id().as_str(),
            case["expect"]["keyId"].as_str().unwrap()
        );
    }
    let loads = fx["rsaPublicKeyLoad"].as_array().unwrap();
    assert!(!loads.is_empty());
    for case in loads {
        let pem = case["input"]["publicKeyPem"].as_str().unwrap();
        let expect = case["expect"]["loads"].as_bool().unwrap();
        assert_eq!(
            PublicKey::from_bytes(pem.as_bytes(), &L).is_ok(),
            expect,
            "{}",
            case["id"]
        );
    }
}

#[test]
fn all_encodings_round_trip() {
    let sk = PrivateKey::from_bytes(&data("k2.key"), &L).unwrap();
    let pk = sk.public_key().clone();
    let fp = pk.fingerprint();
    let cases: Vec<(Vec<u8>, KeyKind, KeyEncoding, Container)> = vec![
        (
            sk.to_pkcs1_pem().unwrap().as_bytes().to_vec(),
            KeyKind::Private,
            KeyEncoding::Pkcs1,
            Container::Pem,
        ),
        (
            sk.to_pkcs8_pem().unwrap().as_bytes().to_vec(),
            KeyKind::Private,
            KeyEncoding::Pkcs8,
            Container::Pem,
        ),
        (
            sk.to_pkcs1_der().unwrap().to_vec(),
            KeyKind::Private,
            KeyEncoding::Pkcs1,
            Container::Der,
        ),
        (
            sk.to_pkcs8_der().unwrap().to_vec(),
            KeyKind::Private,
            KeyEncoding::Pkcs8,
            Container::Der,
        ),
        (
            pk.to_pkcs1_pem().unwrap().into_bytes(),
            KeyKind::Public,
            KeyEncoding::Pkcs1,
            Container::Pem,
        ),
        (
            pk.to_spki_pem().unwrap().into_bytes(),
            KeyKind::Public,
            KeyEncoding::Spki,
            Container::Pem,
        ),
        (
            pk.to_pkcs1_der().unwrap(),
            KeyKind::Public,
            KeyEncoding::Pkcs1,
            Container::Der,
        ),
        (
            pk.to_spki_der().unwrap(),
            KeyKind::Public,
            KeyEncoding::Spki,
            Container::Der,
        ),
    ];
    for (bytes, kind, enc, cont) in cases {
        let d = decode_any(&bytes, &L).unwrap();
        assert_eq!((d.kind(), d.encoding(), d.container()), (kind, enc, cont));
        assert_eq!(d.public_key().fingerprint(), fp);
        assert_eq!(d.public_key().key_id(), pk.key_id());
    }
}

#[test]
fn fingerprint_is_sha256_of_spki_der() {
    use sha2::Digest;
    let pk = PublicKey::from_bytes(&data("k1.pub"), &L).unwrap();
    let want = format!(
        "sha256:{}",
        base16ct::lower::encode_string(&sha2::Sha256::digest(pk.to_spki_der().unwrap()))
    );
    assert_eq!(pk.fingerprint().to_string(), want);
    let other = PublicKey::from_bytes(&data("k2.pub"), &L).unwrap();
    assert_ne!(pk.fingerprint(), other.fingerprint());
    // Capgo's key id shares its first 12 characters between any two RSA-2048 keys.
    assert_eq!(pk.key_id().as_str()[..12], other.key_id().as_str()[..12]);
}

#[test]
fn private_key_debug_is_redacted() {
    let sk = PrivateKey::from_bytes(&data("k1.key"), &L).unwrap();
    let dbg = format!("{sk:?}");
    assert!(
        dbg.starts_with("PrivateKey { bits: 2048, fingerprint: Fingerprint(sha256:"),
        "{dbg}"
    );
    assert!(dbg.ends_with(".. }"));
    // No base64 or decimal of the private material.
    let pem = sk.to_pkcs1_pem().unwrap();
    for line in pem.lines().skip(1).take(20) {
        assert!(!dbg.contains(&line[..16]));
    }
}

#[test]
fn wrong_kind_is_reported() {
    assert_eq!(
        PublicKey::from_bytes(&data("k1.key"), &L).unwrap_err(),
        KeyError::WrongKind {
            expected: KeyKind::Public,
            found: KeyKind::Private
        }
    );
    assert_eq!(
        PrivateKey::from_bytes(&data("k1.pub"), &L).unwrap_err(),
        KeyError::WrongKind {
            expected: KeyKind::Private,
            found: KeyKind::Public
        }
    );
}

#[test]
fn malformed_keys_are_rejected_with_the_reason() {
    let pem = String::from_utf8(data("k1.pub")).unwrap();
    // Wrong label.
    let wrong = pem.replace("RSA PUBLIC KEY", "CERTIFICATE");
    assert_eq!(
        decode_any(wrong.as_bytes(), &L).unwrap_err(),
        KeyError::UnknownPemLabel("CERTIFICATE".into())
    );
    // PKCS#1 body under the SPKI label.
    let relabelled = pem.replace("RSA PUBLIC KEY", "PUBLIC KEY");
    assert!(matches!(
        decode_any(relabelled.as_bytes(), &L),
        Err(KeyError::Malformed { .. })
    ));
    // Mismatched BEGIN/END labels.
    let mismatched = pem.replacen("BEGIN RSA PUBLIC KEY", "BEGIN PUBLIC KEY", 1);
    assert!(decode_any(mismatched.as_bytes(), &L).is_err());
    // Truncated body.
    let lines: Vec<&str> = pem.lines().collect();
    let truncated = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[lines.len() - 1]);
    assert!(matches!(
        decode_any(truncated.as_bytes(), &L),
        Err(KeyError::Malformed { .. })
    ));
    // Trailing garbage after the END line.
    let trailing = format!("{pem}garbage\n");
    assert!(decode_any(trailing.as_bytes(), &L).is_err());
    // Explanatory text before BEGIN.
    assert_eq!(
        decode_any(format!("key:\n{pem}").as_bytes(), &L).unwrap_err(),
        KeyError::NotAKey
    );
    // Encrypted PKCS#8.
    let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_eq!(
        decode_any(enc.as_bytes(), &L).unwrap_err(),
        KeyError::EncryptedPrivateKey
    );
    // DER with a trailing byte, and truncated DER.
    let mut der = PublicKey::from_bytes(pem.as_bytes(), &L)
        .unwrap()
        .to_pkcs1_der()
        .unwrap();
    der.push(0);
    assert!(matches!(
        decode_any(&der, &L),
        Err(KeyError::Malformed { .. })
    ));
    der.truncate(der.len() - 10);
    assert!(matches!(
        decode_any(&der, &L),
        Err(KeyError::Malformed { .. })
    ));
    // Garbage, empty, oversized.
    assert_eq!(decode_any(b"not-a-key", &L).unwrap_err(), KeyError::NotAKey);
    assert_eq!(decode_any(b"", &L).unwrap_err(), KeyError::Empty);
    let big = vec![b'A'; L.max_key_file_len + 1];
    assert!(matches!(
        decode_any(&big, &L),
        Err(KeyError::TooLarge { .. })
    ));
    // Invalid UTF-8 in PEM.
    let mut bad = b"-----BEGIN RSA PUBLIC KEY-----\n".to_vec();
    bad.push(0xff);
    assert_eq!(decode_any(&bad, &L).unwrap_err(), KeyError::NotUtf8);
}

#[test]
fn other_sizes_and_exponents_are_rejected() {
    assert_eq!(
        decode_any(&data("rsa1024.key"), &L).unwrap_err(),
        KeyError::UnsupportedSize { bits: 1024 }
    );
    assert_eq!(
        decode_any(&data("rsa2048-e3.key"), &L).unwrap_err(),
        KeyError::UnsupportedExponent
    );
}

#[test]
fn sizes_are_generated_and_flagged() {
    assert_eq!(
        KeySize::try_from(1024).unwrap_err(),
        KeyError::UnsupportedSize { bits: 1024 }
    );
    assert_eq!(KeySize::try_from(4096).unwrap(), KeySize::Rsa4096);
    let sk = PrivateKey::generate(KeySize::Rsa3072).unwrap();
    assert_eq!(sk.public_key().bits(), 3072);
    assert_eq!(sk.public_key().modulus_len(), 384);
    assert!(!sk.public_key().capgo_compatible());
    assert_eq!(
        sk.public_key().check_capgo_compatible().unwrap_err(),
        KeyError::NotCapgoCompatible { bits: 3072 }
    );
    // Still readable after a round trip.
    let back = PrivateKey::from_bytes(sk.to_pkcs8_pem().unwrap().as_bytes(), &L).unwrap();
    assert_eq!(back.public_key(), sk.public_key());
}

/// Keys we write load in OpenSSL (`openssl rsa` / `openssl pkey`), when it is installed.
#[test]
fn openssl_reads_our_keys() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl not installed; skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("otaseal-keys-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sk = PrivateKey::generate(KeySize::Rsa2048).unwrap();
    let pk = sk.public_key();
    let files: [(&str, Vec<u8>, &[&str]); 4] = [
        (
            "k.pkcs1.pem",
            sk.to_pkcs1_pem().unwrap().as_bytes().to_vec(),
            &["rsa", "-check", "-noout", "-in"],
        ),
        (
            "k.pkcs8.pem",
            sk.to_pkcs8_pem().unwrap().as_bytes().to_vec(),
            &["pkey", "-noout", "-in"],
        ),
        (
            "p.pkcs1.pem",
            pk.to_pkcs1_pem().unwrap().into_bytes(),
            &["rsa", "-RSAPublicKey_in", "-noout", "-in"],
        ),
        (
            "p.spki.pem",
            pk.to_spki_pem().unwrap().into_bytes(),
            &["pkey", "-pubin", "-noout", "-in"],
        ),
    ];
    for (name, bytes, args) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = std::process::Command::new("openssl")
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?} {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // And OpenSSL's SPKI DER hashes to our fingerprint.
    let out = std::process::Command::new("openssl")
        .args(["pkey", "-pubin", "-outform", "DER", "-in"])
        .arg(dir.join("p.spki.pem"))
        .output()
        .unwrap();
    assert_eq!(
        otaseal_keys::fingerprint_of_spki_der(&out.stdout),
        pk.fingerprint()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_any(&bytes, &L);
    }

    #[test]
    fn mutated_der_never_panics(pos in 0usize..294, val in any::<u8>(), cut in 0usize..294) {
        let mut der = PublicKey::from_bytes(&data("k1.pub"), &L).unwrap().to_spki_der().unwrap();
        let p = pos % der.len();
        der[p] = val;
        der.truncate(der.len() - cut % der.len());
        let _ = decode_any(&der, &L);
    }

    #[test]
    fn mutated_pem_never_panics(pos in 0usize..426, val in 0u8..128) {
        let mut pem = data("k1.pub");
        pem[pos % 426] = val;
        if let Ok(d) = decode_any(&pem, &L) {
            // Whatever loads must re-encode to something that loads to the same key.
            let again = decode_any(d.public_key().to_pkcs1_pem().unwrap().as_bytes(), &L).unwrap();
            prop_assert_eq!(again.public_key(), d.public_key());
        }
    }
}
