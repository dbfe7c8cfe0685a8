//! Every backend of `Signer` against the others: type-1 blocks byte-identical (the scheme is
//! deterministic), PSS signatures that verify with the public key, OAEP that decrypts what the
//! public key wrapped; and the PKCS#11 errors that name what is wrong.
//!
//! The token tests run in a child process each, with a SoftHSM2 token of their own
//! (`otaseal_testkit::softhsm`); they skip without SoftHSM2 unless `OTASEAL_REQUIRE_SOFTHSM` is
//! set.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::path::PathBuf;

use otaseal_keys::rsa::pss::Pss;
use otaseal_keys::rsa::{Oaep, Pkcs1v15Sign};
use otaseal_keys::{KeySource, Limits, LoadOptions, PrivateKey, Signer, SoftwareBackend};
use sha2::{Digest, Sha256};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn k1() -> PrivateKey {
    PrivateKey::from_file(data("k1.key"), &Limits::default())
        .unwrap()
        .into_key()
}

/// The payloads Capgo V2 signs: a session key (16 bytes), a hex-form checksum (32), a
/// base64-form checksum (48), and the longest a 2048-bit block holds (245).
fn payloads() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [16usize, 32, 48, 245]
        .iter()
        .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
        .collect();
    v.push(Sha256::digest(b"otaseal").to_vec());
    v
}

/// Every in-memory backend of this build, holding k1.
fn software() -> Vec<(String, Box<dyn Signer>)> {
    SoftwareBackend::ALL
        .iter()
        .map(|&b| {
            let s = KeySource::File(data("k1.key"))
                .load(&LoadOptions::default().backend(b))
                .unwrap()
                .into_key();
            (b.to_string(), s)
        })
        .collect()
}

/// The checks every backend must pass, against the RustCrypto key as reference.
fn check_backend(name: &str, signer: &dyn Signer, oaep: bool) {
    let reference = k1();
    assert_eq!(
        signer.public_key().fingerprint(),
        reference.public_key().fingerprint(),
        "{name}"
    );
    let rsa_public = reference.public_key().as_rsa();
    for p in payloads() {
        let block = signer.sign_type1(&p).unwrap();
        assert_eq!(
            block,
            reference.sign_type1(&p).unwrap(),
            "{name}: type-1 block of a {}-byte payload",
            p.len()
        );
        rsa_public
            .verify(Pkcs1v15Sign::new_unprefixed(), &p, &block)
            .unwrap();
    }
    // 246 bytes leave 7 padding bytes: refused by every backend, before the key is used.
    assert!(matches!(
        signer.sign_type1(&[0; 246]),
        Err(otaseal_keys::SignError::PayloadTooLong { len: 246, .. })
    ));
    let digest: [u8; 32] = Sha256::digest(b"header").into();
    let sig = signer.sign_pss_sha256(&digest).unwrap();
    assert_eq!(sig.len(), 256, "{name}");
    rsa_public
        .verify(Pss::<Sha256>::new_with_salt(32), &digest, &sig)
        .unwrap_or_else(|e| panic!("{name}: PSS signature does not verify: {e}"));
    for label in [&b""[..], b"otaseal-v3 recipient"] {
        if !oaep {
            break;
        }
        let ct = rsa_public
            .encrypt(
                &mut getrandom::SysRng,
                Oaep::<Sha256>::new_with_label(label),
                b"content key 32 bytes long.......",
            )
            .unwrap();
        let pt = signer.decrypt_oaep_sha256(label, &ct).unwrap();
        assert_eq!(pt.as_slice(), b"content key 32 bytes long.......", "{name}");
        // Wrong label, altered block, wrong length: one opaque error.
        let wrong = signer.decrypt_oaep_sha256(b"other", &ct);
        assert!(
            matches!(wrong, Err(otaseal_keys::SignError::Decryption)),
            "{name}"
        );
        let mut bad = ct.clone();
        bad[100] ^= 1;
        assert!(matches!(
            signer.decrypt_oaep_sha256(label, &bad),
            Err(otaseal_keys::SignError::Decryption)
        ));
        assert!(matches!(
            signer.decrypt_oaep_sha256(label, &ct[1..]),
            Err(otaseal_keys::SignError::Decryption)
        ));
    }
}

#[test]
fn software_backends_agree() {
    for (name, s) in software() {
        check_backend(&name, s.as_ref(), true);
    }
}

#[cfg(feature = "pkcs11")]
mod token {
    use super::*;
    use otaseal_keys::{LoadError, Pkcs11Error};
    use otaseal_testkit::softhsm;

    fn load(uri: &str) -> Result<Box<dyn Signer>, LoadError> {
        uri.parse::<KeySource>()
            .unwrap()
            .load(&LoadOptions::default())
            .map(otaseal_keys::Loaded::into_key)
    }

    fn pkcs11_error(uri: &str) -> Pkcs11Error {
        match load(uri) {
            Err(LoadError::Pkcs11(e)) => e,
            other => panic!("{uri}: expected a PKCS#11 error, got {other:?}"),
        }
    }

    #[test]
    fn token_agrees_with_software() {
        let Some(hsm) = softhsm::in_child("token::token_agrees_with_software") else {
            return;
        };
        hsm.import(&data("k1.key"), "capgo", "01");
        let signer = load(&hsm.uri("capgo")).unwrap();
        assert!(format!("{signer:?}").contains("object=capgo"));
        assert!(!format!("{signer:?}").contains(softhsm::PIN));
        // SoftHSM 2.6 (Debian 12) implements CKM_RSA_PKCS_OAEP with SHA-1 only: the token
        // refuses the mechanism at C_DecryptInit, which is reported as a token error, not as
        // an opaque decryption failure. Tokens with OAEP-SHA256 are checked in full.
        let ct = k1()
            .public_key()
            .as_rsa()
            .encrypt(&mut getrandom::SysRng, Oaep::<Sha256>::new(), b"k")
            .unwrap();
        let oaep = match signer.decrypt_oaep_sha256(b"", &ct) {
            Ok(k) => {
                assert_eq!(k.as_slice(), b"k");
                true
            }
            Err(otaseal_keys::SignError::Pkcs11(e)) => {
                eprintln!("this token refuses OAEP-SHA256 ({e}); OAEP not checked");
                false
            }
            Err(e) => panic!("{e:?}"),
        };
        check_backend("pkcs11", signer.as_ref(), oaep);
    }

    #[test]
    fn token_signs_in_parallel() {
        let Some(hsm) = softhsm::in_child("token::token_signs_in_parallel") else {
            return;
        };
        hsm.import(&data("k1.key"), "capgo", "01");
        let signer = load(&hsm.uri("capgo")).unwrap();
        let reference = k1();
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let (signer, reference) = (&signer, &reference);
                s.spawn(move || {
                    for i in 0..20u8 {
                        let p = [t, i, 0xAA, 0x55];
                        assert_eq!(
                            signer.sign_type1(&p).unwrap(),
                            reference.sign_type1(&p).unwrap()
                        );
                    }
                });
            }
        });
    }

    #[test]
    fn token_errors_name_the_problem() {
        let Some(hsm) = softhsm::in_child("token::token_errors_name_the_problem") else {
            return;
        };
        hsm.import(&data("k1.key"), "capgo", "01");
        hsm.import(&data("k2.key"), "capgo-b", "02");
        hsm.import(&data("rsa1024.key"), "small", "03");
        let pin = format!("pin-value={}", softhsm::PIN);

        let e = pkcs11_error(&hsm.uri_with("object=capgo", "pin-value=0000"));
        assert!(matches!(e, Pkcs11Error::WrongPin { .. }), "{e:?}");
        assert_eq!(e.to_string(), "wrong PIN for PKCS#11 token \"otaseal\"");

        let e = pkcs11_error(&hsm.uri_with("object=capgo", ""));
        assert!(matches!(e, Pkcs11Error::NoPin { .. }), "{e:?}");

        let e = pkcs11_error(&hsm.uri_with("object=nothing", &pin));
        assert!(matches!(e, Pkcs11Error::NoObject { .. }), "{e:?}");
        assert!(e.to_string().contains("object=nothing"), "{e}");

        let e = pkcs11_error(&hsm.uri_with("id=%09", &pin));
        assert!(matches!(e, Pkcs11Error::NoObject { .. }), "{e:?}");

        let e = pkcs11_error(&hsm.uri_with("type=private", &pin));
        assert!(
            matches!(e, Pkcs11Error::SeveralObjects { count: 3, .. }),
            "{e:?}"
        );

        let e = pkcs11_error(&hsm.uri_with("object=small", &pin));
        assert!(matches!(e, Pkcs11Error::UnsupportedKey { .. }), "{e:?}");
        assert!(e.to_string().contains("RSA-1024"), "{e}");

        let e = pkcs11_error(&format!(
            "pkcs11:token=nosuch;object=capgo?module-path={}&{pin}",
            hsm.module_path().display()
        ));
        assert!(matches!(e, Pkcs11Error::NoToken { .. }), "{e:?}");

        let e = pkcs11_error(&format!(
            "pkcs11:object=capgo?module-path=/nonexistent/p11.so&{pin}"
        ));
        assert!(matches!(e, Pkcs11Error::ModuleNotFound { .. }), "{e:?}");
        assert!(e.to_string().contains("/nonexistent/p11.so"), "{e}");

        let not_a_module = data("k1.key");
        let e = pkcs11_error(&format!(
            "pkcs11:object=capgo?module-path={}&{pin}",
            not_a_module.display()
        ));
        assert!(matches!(e, Pkcs11Error::Module { .. }), "{e:?}");

        let e = pkcs11_error(&format!("pkcs11:object=capgo?{pin}"));
        assert!(matches!(e, Pkcs11Error::NoModule), "{e:?}");

        // By id, and a PIN from a file: a loose file mode is reported.
        let pin_file = hsm.dir().join("pin");
        std::fs::write(&pin_file, format!("{}\n", softhsm::PIN)).unwrap();
        let uri = hsm.uri_with("id=%02", &format!("pin-source=file:{}", pin_file.display()));
        let loaded = uri
            .parse::<KeySource>()
            .unwrap()
            .load(&LoadOptions::default())
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&pin_file).unwrap().permissions().mode() & 0o777;
            assert_eq!(loaded.loose_permissions().is_some(), mode & 0o077 != 0);
        }
        let k2 = PrivateKey::from_file(data("k2.key"), &Limits::default())
            .unwrap()
            .into_key();
        assert_eq!(
            loaded.key().public_key().fingerprint(),
            k2.public_key().fingerprint()
        );
        let missing = hsm.uri_with("id=%02", "pin-source=file:/nonexistent/pin");
        assert!(matches!(pkcs11_error(&missing), Pkcs11Error::PinSource(_)));
    }
}
