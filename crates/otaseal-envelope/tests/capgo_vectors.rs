//! Conformance with `@capgo/cli@8.68.1` (spec/vectors/capgo-cli/, V2 part) and the plugin's
//! own contract fixtures (spec/vectors/capacitor-updater/crypto-rsa.json): one test per vector.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::io::Write;

use otaseal_envelope::hazmat::{recover_type1, sign_type1};
use otaseal_envelope::v2::{
    self, DecryptError, SessionKey, Verification, recover_checksum, sign_checksum,
};
use otaseal_keys::PublicKey;
use otaseal_testkit::{LIMITS as L, capgo};
use otaseal_wire::{IvSessionKey, SignedChecksum};
use serde_json::Value;
use test_case::test_case;

const V2_IDS: [&str; 19] = [
    "rand-0.k1.hex",
    "rand-1.k1.hex",
    "rand-15.k1.hex",
    "rand-16.k1.hex",
    "rand-17.k1.hex",
    "rand-1024.k1.hex",
    "rand-1048576.k1.hex",
    "bundle-zip.k1.hex",
    "rand-0.k2.hex",
    "rand-1.k2.hex",
    "rand-15.k2.hex",
    "rand-16.k2.hex",
    "rand-17.k2.hex",
    "rand-1024.k2.hex",
    "rand-1048576.k2.hex",
    "bundle-zip.k2.hex",
    "rand-17.k1.base64",
    "rand-1024.k1.base64",
    "bundle-zip.k1.base64",
];

#[test]
fn the_tests_cover_every_v2_vector() {
    capgo::assert_covers("v2", &V2_IDS);
}

#[test_case("rand-0.k1.hex")]
#[test_case("rand-1.k1.hex")]
#[test_case("rand-15.k1.hex")]
#[test_case("rand-16.k1.hex")]
#[test_case("rand-17.k1.hex")]
#[test_case("rand-1024.k1.hex")]
#[test_case("rand-1048576.k1.hex")]
#[test_case("bundle-zip.k1.hex")]
#[test_case("rand-0.k2.hex")]
#[test_case("rand-1.k2.hex")]
#[test_case("rand-15.k2.hex")]
#[test_case("rand-16.k2.hex")]
#[test_case("rand-17.k2.hex")]
#[test_case("rand-1024.k2.hex")]
#[test_case("rand-1048576.k2.hex")]
#[test_case("bundle-zip.k2.hex")]
#[test_case("rand-17.k1.base64")]
#[test_case("rand-1024.k1.base64")]
#[test_case("bundle-zip.k1.base64")]
fn v2_vector_decrypts_verifies_and_re_signs_byte_for_byte(id: &str) {
    let v = capgo::v2(id);
    let form = capgo::entry("v2", id)["checksum_format"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(v.signed_checksum.format().to_string(), form);
    assert!(
        IvSessionKey::parse_for_modulus(&v.iv_session_key_text, 256, &L).is_ok(),
        "an RSA-2048 block"
    );

    // Recover the checksum and decrypt, one shot and streaming.
    assert_eq!(
        recover_checksum(&v.public, &v.signed_checksum).unwrap(),
        v.sha256
    );
    let check = Verification::SignedChecksum(&v.signed_checksum);
    let out = v2::decrypt(&v.encrypted, &v.public, &v.iv_session_key, check, &L).unwrap();
    assert_eq!(out.as_slice(), v.plain);
    let mut streamed = Vec::new();
    let verified = v2::decrypt_stream(
        &v.encrypted[..],
        &mut streamed,
        &v.public,
        &v.iv_session_key,
        check,
        &L,
    )
    .unwrap();
    assert_eq!(streamed, v.plain);
    assert_eq!(verified.checksum, v.sha256);
    assert!(verified.authenticated);

    // Type-1 signing is deterministic: ours equals the CLI's, byte for byte.
    let session = SessionKey::open(&v.public, &v.iv_session_key).unwrap();
    assert_eq!(
        session.wrap(&v.private).unwrap().to_string(),
        v.iv_session_key_text
    );
    assert_eq!(
        sign_checksum(&v.private, &v.sha256, v.signed_checksum.format())
            .unwrap()
            .to_string(),
        v.signed_checksum_text
    );

    // And re-encrypting with the CLI's session key gives the CLI's ciphertext.
    let mut enc = v2::Encryptor::with_session_key(
        &v.private,
        v.signed_checksum.format(),
        session,
        Vec::new(),
    );
    enc.write_all(&v.plain).unwrap();
    let (again, eo) = enc.finish().unwrap();
    assert_eq!(again, v.encrypted);
    assert_eq!(
        eo.checksum, v.sha256,
        "the streaming hash equals the CLI's checksum"
    );
    assert_eq!(eo.iv_session_key.to_string(), v.iv_session_key_text);
}

#[test]
fn both_checksum_forms_are_covered() {
    let forms: std::collections::BTreeSet<String> = V2_IDS
        .iter()
        .map(|id| {
            capgo::entry("v2", id)["checksum_format"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(forms.into_iter().collect::<Vec<_>>(), ["base64", "hex"]);
}

fn plugin_public_key(fx: &Value) -> PublicKey {
    PublicKey::from_bytes(fx["publicKeyPem"].as_str().unwrap().as_bytes(), &L).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    base16ct::mixed::decode_vec(s).unwrap()
}

fn plugin_case(list: &str, id: &str) -> Value {
    let fx = capgo::plugin_fixture("crypto-rsa");
    fx[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {list} case {id}"))
        .clone()
}

#[test]
fn plugin_contract_cases_are_all_tested() {
    let fx = capgo::plugin_fixture("crypto-rsa");
    let ids = |list: &str| -> Vec<String> {
        fx[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut all = ids("rsaPublicDecrypt");
    all.extend(ids("decryptChecksum"));
    all.extend(ids("decryptChecksumInvalid"));
    all.sort();
    let mut tested: Vec<String> = PLUGIN_DECRYPT_CASES
        .iter()
        .chain(PLUGIN_CHECKSUM_CASES.iter())
        .map(|s| (*s).to_owned())
        .collect();
    tested.sort();
    assert_eq!(tested, all);
}

const PLUGIN_DECRYPT_CASES: [&str; 2] = ["session-key-16-bytes", "checksum-sha256-32-bytes"];
const PLUGIN_CHECKSUM_CASES: [&str; 2] = ["hex-encoded-rsa-ciphertext", "wrong-size-255-bytes"];

#[test_case("session-key-16-bytes")]
#[test_case("checksum-sha256-32-bytes")]
fn plugin_contract_rsa_public_decrypt(id: &str) {
    let pk = plugin_public_key(&capgo::plugin_fixture("crypto-rsa"));
    let c = plugin_case("rsaPublicDecrypt", id);
    let block = hex(c["input"]["ciphertextHex"].as_str().unwrap());
    match c["expect"].get("plaintextHex").and_then(Value::as_str) {
        Some(want) => {
            let want = hex(want);
            assert_eq!(
                recover_type1(&pk, &block, want.len()).unwrap().as_slice(),
                want.as_slice()
            );
        }
        // Cases the plugin must reject (e.g. a 255-byte block): rejected for every payload
        // length.
        None => {
            for n in [16, 32, 48] {
                assert!(recover_type1(&pk, &block, n).is_none());
            }
        }
    }
}

#[test_case("hex-encoded-rsa-ciphertext")]
fn plugin_contract_decrypt_checksum(id: &str) {
    let pk = plugin_public_key(&capgo::plugin_fixture("crypto-rsa"));
    let c = plugin_case("decryptChecksum", id);
    let signed = SignedChecksum::parse(c["input"]["checksumHex"].as_str().unwrap(), &L).unwrap();
    let want = c["expect"]["decryptedHex"].as_str().unwrap();
    assert_eq!(recover_checksum(&pk, &signed).unwrap().to_string(), want);
}

/// The plugin refuses a signed checksum whose block is not 256 bytes; so does the parser.
#[test_case("wrong-size-255-bytes")]
fn plugin_contract_decrypt_checksum_invalid(id: &str) {
    let c = plugin_case("decryptChecksumInvalid", id);
    let text = c["input"]["checksumHex"].as_str().unwrap();
    assert_eq!(
        SignedChecksum::parse(text, &L),
        Err(otaseal_wire::WireError::UnsupportedRsaBlockLength {
            field: otaseal_wire::Field::SignedChecksum,
            len: 255
        })
    );
}

/// Blocks with lax type-1 padding that Capgo's iOS parser accepts (it only looks for the
/// separator) must be rejected. They are forged here with a raw private-key operation.
#[test_case("block type 2")]
#[test_case("fewer than 8 FF")]
#[test_case("non-FF padding byte")]
#[test_case("leading byte not zero")]
#[test_case("17-byte payload")]
#[test_case("15-byte payload")]
fn forged_padding_form_is_rejected(what: &str) {
    let (sk, pk) = capgo::keys("k1");
    let key = [0x5Au8; 16];
    let good = otaseal_wire::type1::encode(&key, 256).unwrap();
    let mut em = good.clone();
    match what {
        "block type 2" => em[1] = 2,
        "fewer than 8 FF" => {
            em = vec![0u8; 256];
            em[1] = 1;
            em[2..9].fill(0xFF); // 7 FF bytes, then 00, then a 238-byte payload
        }
        "non-FF padding byte" => em[100] = 0xFE,
        "leading byte not zero" => {
            em[0] = 0x01;
            em[1] = 0x01;
        }
        "17-byte payload" => em[256 - 18] = 0x00, // separator earlier
        "15-byte payload" => {
            em[256 - 17] = 0xFF; // no separator where a 16-byte key needs it
            em[256 - 16] = 0x00;
        }
        other => panic!("unknown case {other}"),
    }
    let block = forge(&sk, &em);
    assert!(recover_type1(&pk, &block, 16).is_none());
    let ivsk = IvSessionKey::new([0; 16], block);
    assert!(matches!(
        SessionKey::open(&pk, &ivsk),
        Err(DecryptError::SessionKeyDoesNotOpen)
    ));
    // The forger is right: the well-formed block is what the signer makes.
    assert_eq!(forge(&sk, &good), sign_type1(&sk, &key).unwrap());
}

/// RSASP1 over any encoded message, to forge blocks that the signer would never make.
fn forge(sk: &otaseal_keys::PrivateKey, em: &[u8]) -> Vec<u8> {
    assert_eq!(em.len(), 256);
    let m = rsa::BoxedUint::from_be_slice(em, 2048).unwrap();
    let c = rsa::hazmat::rsa_decrypt_and_check(sk.as_rsa(), None::<&mut getrandom::SysRng>, &m)
        .unwrap();
    let bytes = c.to_be_bytes();
    bytes[bytes.len() - 256..].to_vec()
}

#[test]
fn blocks_at_or_above_the_modulus_are_not_representatives() {
    let (sk, pk) = capgo::keys("k1");
    let n = pk.to_pkcs1_der().unwrap();
    let modulus = &n[9..9 + 256];
    assert!(recover_type1(&pk, modulus, 16).is_none());
    assert!(recover_type1(&pk, &[0xFF; 256], 16).is_none());
    assert_eq!(sk.public_key(), &pk);
}
