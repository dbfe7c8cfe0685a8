//! Conformance with `@capgo/cli@8.68.1` (spec/vectors/capgo-cli/, V2 part) and the plugin's
//! own contract fixtures (spec/vectors/capacitor-updater/crypto-rsa.json).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::path::PathBuf;

use otaseal_envelope::v2::{self, Verification, open_session_key, recover_checksum, sign_checksum};
use otaseal_envelope::{recover_payload, sign_payload};
use otaseal_keys::{Limits, PrivateKey, PublicKey};
use otaseal_wire::{IvSessionKey, Sha256Checksum, SignedChecksum};
use serde_json::Value;

const L: Limits = Limits::DEFAULT;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("capgo-cli/manifest.json")).unwrap()).unwrap()
}

fn keys(name: &str) -> (PrivateKey, PublicKey) {
    let d = dir().join("capgo-cli/keys");
    let sk =
        PrivateKey::from_bytes(&std::fs::read(d.join(format!("{name}.key"))).unwrap(), &L).unwrap();
    let pk =
        PublicKey::from_bytes(&std::fs::read(d.join(format!("{name}.pub"))).unwrap(), &L).unwrap();
    (sk, pk)
}

#[test]
fn every_v2_vector_decrypts_verifies_and_re_signs_byte_for_byte() {
    let m = manifest();
    let vectors = m["v2"].as_array().unwrap();
    assert_eq!(vectors.len(), 19, "all 19 V2 vectors of manifest.json");
    let mut forms = std::collections::BTreeSet::new();
    for v in vectors {
        let id = v["id"].as_str().unwrap();
        assert_eq!(v["expect"], "ok", "{id}");
        let (sk, pk) = keys(v["key"].as_str().unwrap());
        let ivsk = IvSessionKey::parse_for_modulus(v["iv_session_key"].as_str().unwrap(), 256, &L)
            .unwrap();
        let signed = SignedChecksum::parse(v["signed_checksum"].as_str().unwrap(), &L).unwrap();
        assert_eq!(
            signed.format().to_string(),
            v["checksum_format"].as_str().unwrap(),
            "{id}"
        );
        forms.insert(signed.format().to_string());
        let ciphertext = std::fs::read(
            dir()
                .join("capgo-cli")
                .join(v["encrypted"].as_str().unwrap()),
        )
        .unwrap();
        let plain =
            std::fs::read(dir().join("capgo-cli").join(v["plain"].as_str().unwrap())).unwrap();
        assert_eq!(plain.len() as u64, v["plain_len"].as_u64().unwrap());

        // Recover the checksum and decrypt, one shot and streaming.
        let sum: Sha256Checksum = v["sha256"].as_str().unwrap().parse().unwrap();
        assert_eq!(recover_checksum(&pk, &signed).unwrap(), sum, "{id}");
        let out = v2::decrypt(
            &ciphertext,
            &pk,
            &ivsk,
            Verification::SignedChecksum(&signed),
            &L,
        )
        .unwrap();
        assert_eq!(out, plain, "{id}");
        let mut streamed = Vec::new();
        let verified = v2::decrypt_stream(
            &ciphertext[..],
            &mut streamed,
            &pk,
            &ivsk,
            Verification::SignedChecksum(&signed),
            &L,
        )
        .unwrap();
        assert_eq!(streamed, plain);
        assert_eq!(verified.checksum, sum);
        assert!(verified.authenticated);

        // Type-1 signing is deterministic: ours equals the CLI's, byte for byte.
        let session = open_session_key(&pk, &ivsk).unwrap();
        assert_eq!(
            session.wrap(&sk).unwrap().to_string(),
            v["iv_session_key"].as_str().unwrap(),
            "{id}"
        );
        assert_eq!(
            sign_checksum(&sk, &sum, signed.format())
                .unwrap()
                .to_string(),
            v["signed_checksum"].as_str().unwrap(),
            "{id}"
        );

        // And re-encrypting with the CLI's session key gives the CLI's ciphertext.
        let (again, eo) = {
            use std::io::Write;
            let mut enc =
                v2::Encryptor::with_session_key(&sk, signed.format(), session, Vec::new());
            enc.write_all(&plain).unwrap();
            enc.finish().unwrap()
        };
        assert_eq!(again, ciphertext, "{id}");
        assert_eq!(
            eo.checksum, sum,
            "{id}: the streaming hash equals the CLI's checksum"
        );
        assert_eq!(
            eo.iv_session_key.to_string(),
            v["iv_session_key"].as_str().unwrap()
        );
    }
    assert_eq!(forms.into_iter().collect::<Vec<_>>(), ["base64", "hex"]);
}

#[test]
fn plugin_contract_rsa_fixtures() {
    let fx: Value = serde_json::from_slice(
        &std::fs::read(dir().join("capacitor-updater/crypto-rsa.json")).unwrap(),
    )
    .unwrap();
    let pk = PublicKey::from_bytes(fx["publicKeyPem"].as_str().unwrap().as_bytes(), &L).unwrap();
    let hex = |s: &str| base16ct::mixed::decode_vec(s).unwrap();
    let cases = fx["rsaPublicDecrypt"].as_array().unwrap();
    assert!(cases.len() >= 2);
    for c in cases {
        let block = hex(c["input"]["ciphertextHex"].as_str().unwrap());
        match c["expect"].get("plaintextHex").and_then(Value::as_str) {
            Some(want) => {
                let want = hex(want);
                assert_eq!(
                    recover_payload(&pk, &block, want.len()).unwrap().as_slice(),
                    want.as_slice(),
                    "{}",
                    c["id"]
                );
            }
            None => {
                // Cases the plugin must reject (e.g. a 255-byte block): we reject them for every
                // payload length.
                for n in [16, 32, 48] {
                    assert!(recover_payload(&pk, &block, n).is_none(), "{}", c["id"]);
                }
            }
        }
    }
    for c in fx["decryptChecksum"].as_array().unwrap() {
        let signed =
            SignedChecksum::parse(c["input"]["checksumHex"].as_str().unwrap(), &L).unwrap();
        let want = c["expect"]["decryptedHex"].as_str().unwrap();
        assert_eq!(recover_checksum(&pk, &signed).unwrap().to_string(), want);
    }
}

/// Blocks with lax type-1 padding that Capgo's iOS parser accepts (it only looks for the
/// separator) must be rejected. They are forged here with a raw private-key operation.
#[test]
fn forged_padding_forms_are_rejected() {
    let (sk, pk) = keys("k1");
    let key = [0x5Au8; 16];
    let forge = |em: Vec<u8>| -> Vec<u8> {
        assert_eq!(em.len(), 256);
        let m = rsa::BoxedUint::from_be_slice(&em, 2048).unwrap();
        let c = rsa::hazmat::rsa_decrypt_and_check(sk.as_rsa(), None::<&mut getrandom::SysRng>, &m)
            .unwrap();
        let bytes = c.to_be_bytes();
        bytes[bytes.len() - 256..].to_vec()
    };
    let good = otaseal_wire::type1::encode(&key, 256).unwrap();
    assert_eq!(
        recover_payload(&pk, &forge(good.clone()), 16)
            .unwrap()
            .as_slice(),
        &key
    );
    assert_eq!(forge(good.clone()), sign_payload(&sk, &key).unwrap());

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut bt2 = good.clone();
    bt2[1] = 2;
    cases.push(("block type 2", bt2));
    let mut short_ps = vec![0u8; 256];
    short_ps[1] = 1;
    short_ps[2..9].fill(0xFF); // 7 FF bytes, then 00, then a 238-byte payload
    cases.push(("fewer than 8 FF", short_ps));
    let mut non_ff = good.clone();
    non_ff[100] = 0xFE;
    cases.push(("non-FF padding byte", non_ff));
    let mut lead = good.clone();
    lead[0] = 0x01;
    lead[1] = 0x01;
    cases.push(("leading byte not zero", lead));
    let mut long_key = good.clone();
    long_key[256 - 18] = 0x00; // separator earlier: 17-byte "key"
    cases.push(("17-byte payload", long_key));
    let mut short_key = good.clone();
    short_key[256 - 17] = 0xFF; // no separator where a 16-byte key needs it
    short_key[256 - 16] = 0x00; // 15-byte payload
    cases.push(("15-byte payload", short_key));
    for (what, em) in cases {
        let block = forge(em);
        assert!(recover_payload(&pk, &block, 16).is_none(), "{what}");
        let ivsk = IvSessionKey::new([0; 16], block);
        assert!(
            matches!(
                open_session_key(&pk, &ivsk),
                Err(otaseal_envelope::Error::SessionKeyDoesNotOpen)
            ),
            "{what}"
        );
    }
    // A block equal to or above the modulus is not a valid RSA representative.
    let n = pk.to_pkcs1_der().unwrap();
    let modulus = &n[9..9 + 256];
    assert!(recover_payload(&pk, modulus, 16).is_none());
    assert!(recover_payload(&pk, &[0xFF; 256], 16).is_none());
}
