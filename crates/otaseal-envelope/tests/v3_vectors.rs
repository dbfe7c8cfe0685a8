//! otaseal's V3 vectors (spec/vectors/v3/), one test per vector: every success opens through
//! every API path, every failure fails with its stated code and leaves nothing behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use otaseal_envelope::v3::{
    self, Channel, Header, Policy, RotationStatement, Sequence, TrustedKeys, VerifierState,
};
use otaseal_keys::PublicKey;
use otaseal_testkit::{LIMITS as L, v3 as vectors};
use serde_json::Value;
use sha2::{Digest, Sha256};
use test_case::test_case;

fn trusted(v: &Value) -> TrustedKeys {
    TrustedKeys::from_keys(
        v["trusted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| vectors::public(n.as_str().unwrap())),
    )
}

/// The entry's key set after accepting each statement of `v[key]`, in order.
fn rotated(v: &Value, key: &str) -> TrustedKeys {
    let mut keys = trusted(v);
    let app = v["app_id"].as_str().unwrap();
    let now = v["now"].as_u64().unwrap();
    for r in v[key].as_array().unwrap() {
        keys.accept_rotation(&vectors::file(r.as_str().unwrap()), app, now, &L)
            .unwrap();
    }
    keys
}

fn policy(v: &Value) -> Policy {
    let keys = rotated(v, "rotations");
    let app = v["app_id"].as_str().unwrap();
    Policy::new(
        keys,
        app,
        Channel::only(v["channel"].as_str().unwrap()),
        Sequence::AtLeast(v["min_sequence"].as_u64().unwrap()),
    )
    .now(v["now"].as_u64().unwrap())
}

#[test]
fn keys_match_the_manifest() {
    let m = vectors::manifest();
    for (name, k) in m["keys"].as_object().unwrap() {
        let key = vectors::private(name);
        assert_eq!(key.public_key(), &vectors::public(name));
        assert_eq!(key.public_key().bits() as u64, k["bits"].as_u64().unwrap());
        assert_eq!(
            key.public_key().fingerprint().to_string(),
            k["fingerprint"].as_str().unwrap()
        );
    }
}

#[test]
fn the_tests_cover_every_vector() {
    assert_eq!(
        vectors::entries().len(),
        VECTORS,
        "add a #[test_case] for each new vector"
    );
    let m = vectors::manifest();
    assert_eq!(m["rotations"].as_array().unwrap().len(), ROTATIONS);
    assert_eq!(m["states"].as_array().unwrap().len(), STATES);
}

const VECTORS: usize = 46;
const ROTATIONS: usize = 15;
const STATES: usize = 11;

#[test_case(0 ; "00_ok_empty_success")]
#[test_case(1 ; "01_ok_one_byte_success")]
#[test_case(2 ; "02_ok_chunk_minus_one_success")]
#[test_case(3 ; "03_ok_one_chunk_success")]
#[test_case(4 ; "04_ok_chunk_plus_one_success")]
#[test_case(5 ; "05_ok_three_chunks_success")]
#[test_case(6 ; "06_ok_two_recipients_success")]
#[test_case(7 ; "07_ok_two_recipients_success")]
#[test_case(8 ; "08_ok_two_recipients_wrong_app")]
#[test_case(9 ; "09_ok_two_recipients_wrong_channel")]
#[test_case(10 ; "10_ok_two_recipients_rollback")]
#[test_case(11 ; "11_ok_two_recipients_expired")]
#[test_case(12 ; "12_ok_two_recipients_not_yet_valid")]
#[test_case(13 ; "13_ok_one_byte_not_a_recipient")]
#[test_case(14 ; "14_ok_one_byte_untrusted_signer")]
#[test_case(15 ; "15_bad_flipped_header_byte_bad_signature")]
#[test_case(16 ; "16_bad_flipped_signature_byte_bad_signature")]
#[test_case(17 ; "17_bad_flipped_chunk_byte_decryption")]
#[test_case(18 ; "18_bad_truncated_last_chunk_truncated")]
#[test_case(19 ; "19_bad_truncated_to_chunk_boundary_truncated")]
#[test_case(20 ; "20_bad_dropped_chunk_decryption")]
#[test_case(21 ; "21_bad_swapped_chunks_decryption")]
#[test_case(22 ; "22_bad_duplicated_chunk_decryption")]
#[test_case(23 ; "23_bad_extra_chunk_trailing_data")]
#[test_case(24 ; "24_bad_trailing_byte_trailing_data")]
#[test_case(25 ; "25_bad_unknown_suite_unknown_suite")]
#[test_case(26 ; "26_bad_withdrawn_suite_unknown_suite")]
#[test_case(27 ; "27_bad_version_unsupported_version")]
#[test_case(28 ; "28_bad_magic_bad_magic")]
#[test_case(29 ; "29_bad_header_too_large_too_large")]
#[test_case(30 ; "30_bad_unsorted_recipients_malformed_header")]
#[test_case(31 ; "31_bad_header_trailing_byte_malformed_header")]
#[test_case(32 ; "32_bad_chunk_count_malformed_header")]
#[test_case(33 ; "33_bad_expiry_not_after_creation_malformed_header")]
#[test_case(34 ; "34_bad_header_from_other_bundle_bad_signature")]
#[test_case(35 ; "35_bad_key_commitment_flipped_decryption")]
#[test_case(36 ; "36_bad_key_commitment_split_decryption")]
#[test_case(37 ; "37_bad_key_commitment_split_decryption")]
#[test_case(38 ; "38_bad_signed_by_recipient_key_untrusted_signer")]
#[test_case(39 ; "39_bad_signed_by_own_key_key_reuse")]
#[test_case(40 ; "40_ok_signed_by_rotated_key_success")]
#[test_case(41 ; "41_ok_signed_by_rotated_key_success")]
#[test_case(42 ; "42_ok_signed_by_rotated_key_untrusted_signer")]
#[test_case(43 ; "43_ok_one_byte_untrusted_signer")]
#[test_case(44 ; "44_ok_signed_by_signer3_success")]
#[test_case(45 ; "45_ok_signed_by_signer3_untrusted_signer")]
fn vector(index: usize) {
    let v = vectors::entry(index);
    let file = v["file"].as_str().unwrap();
    let sealed = vectors::file(file);
    let key = vectors::private(v["decryption_key"].as_str().unwrap());
    let policy = policy(&v);
    let expect = v["expect"].as_str().unwrap();
    let what = format!("{file} ({})", v["comment"]);
    let tmp = tempfile::tempdir().unwrap();

    let mut streamed = Vec::new();
    let streaming = v3::open(sealed.as_slice(), &mut streamed, &key, &policy, &L);
    let in_memory = v3::open_bytes(&sealed, &key, &policy, &L);
    let dest = tmp.path().join("out.zip");
    let to_file = v3::open_to_file(sealed.as_slice(), &dest, &key, &policy, &L);

    if expect == "success" {
        let opened = streaming.unwrap_or_else(|e| panic!("{what}: {e}"));
        let plain = in_memory.unwrap();
        to_file.unwrap();
        let on_disk = std::fs::read(&dest).unwrap();
        for p in [&streamed, &*plain, &on_disk] {
            assert_eq!(
                p.len() as u64,
                v["plaintext_len"].as_u64().unwrap(),
                "{what}"
            );
            assert_eq!(
                base16ct::lower::encode_string(&Sha256::digest(p)),
                v["plaintext_sha256"].as_str().unwrap(),
                "{what}"
            );
        }
        assert_eq!(opened.plaintext_len, plain.len() as u64);
        let signed = v3::read_signed_header(sealed.as_slice(), &L).unwrap();
        assert_eq!(signed.header().encode(), signed.header_bytes(), "{what}");
        assert_eq!(&opened.header, signed.header());
    } else {
        for (path, r) in [
            ("stream", streaming.map(|_| ())),
            ("bytes", in_memory.map(|_| ())),
            ("file", to_file.map(|_| ())),
        ] {
            let e = r.expect_err(&what);
            assert_eq!(e.code(), expect, "{what} via {path}: {e}");
        }
        assert!(
            otaseal_testkit::entries(tmp.path()).is_empty(),
            "{what}: output left behind"
        );
        if !matches!(expect, "decryption" | "truncated" | "trailing-data") {
            assert!(streamed.is_empty(), "{what}");
        }
    }
}

#[test_case(0 ; "00_rotation_2_add_signer2_success")]
#[test_case(1 ; "01_rotation_2_retire_signer1_success")]
#[test_case(2 ; "02_rotation_3_add_signer3_success")]
#[test_case(3 ; "03_rotation_3_by_signer1_success")]
#[test_case(4 ; "04_rotation_3_by_signer1_untrusted_signer")]
#[test_case(5 ; "05_rotation_2_add_signer2_replay")]
#[test_case(6 ; "06_rotation_4_skips_3_version_gap")]
#[test_case(7 ; "07_rotation_3_by_signer1_version_gap")]
#[test_case(8 ; "08_rotation_3_created_before_2_stale")]
#[test_case(9 ; "09_rotation_2_from_the_future_not_yet_valid")]
#[test_case(10 ; "10_rotation_2_other_app_wrong_app")]
#[test_case(11 ; "11_rotation_2_by_untrusted_key_untrusted_signer")]
#[test_case(12 ; "12_rotation_2_new_key_did_not_sign_bad_new_key_signature")]
#[test_case(13 ; "13_rotation_2_no_new_key_signature_malformed_rotation")]
#[test_case(14 ; "14_rotation_2_flipped_signature_bad_signature")]
fn rotation_statement(index: usize) {
    let m = vectors::manifest();
    let r = &m["rotations"][index];
    let bytes = vectors::file(r["file"].as_str().unwrap());
    let mut keys = rotated(r, "apply");
    let res = keys.accept_rotation(
        &bytes,
        r["app_id"].as_str().unwrap(),
        r["now"].as_u64().unwrap(),
        &L,
    );
    match (r["expect"].as_str().unwrap(), res) {
        ("success", Ok(done)) => {
            assert_eq!(done.key_set_version, keys.version());
            let s = RotationStatement::parse(&bytes, &L).unwrap();
            assert_eq!(done.added, s.rotation.new);
            assert_eq!(done.retired.is_some(), s.rotation.retire_old);
        }
        ("success", Err(e)) => panic!("{r}: {e}"),
        (code, res) => assert_eq!(res.unwrap_err().code(), code, "{r}"),
    }
    // The key set after it, unchanged on failure.
    let after = &r["key_set_after"];
    assert_eq!(keys.version(), after["version"].as_u64().unwrap(), "{r}");
    let mut want: Vec<_> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| vectors::public(n.as_str().unwrap()).fingerprint())
        .collect();
    let mut have: Vec<_> = keys.iter().map(PublicKey::fingerprint).collect();
    want.sort();
    have.sort();
    assert_eq!(have, want, "{r}");
}

#[test_case(0 ; "00_new_state_success")]
#[test_case(1 ; "01_same_sequence_rollback")]
#[test_case(2 ; "02_next_sequence_success")]
#[test_case(3 ; "03_other_channel_wrong_channel")]
#[test_case(4 ; "04_per_channel_success")]
#[test_case(5 ; "05_any_channel_rollback_rollback")]
#[test_case(6 ; "06_any_channel_success")]
#[test_case(7 ; "07_floor_rollback")]
#[test_case(8 ; "08_retired_stays_retired_untrusted_signer")]
#[test_case(9 ; "09_rotation_recorded_success")]
#[test_case(10 ; "10_rotation_kept_untrusted_signer")]
fn state(index: usize) {
    let m = vectors::manifest();
    let v = &m["states"][index];
    let what = format!("{} ({})", v["name"], v["comment"]);
    let app = v["app_id"].as_str().unwrap();
    let now = v["now"].as_u64().unwrap();
    let mut state = match &v["state"] {
        Value::Null => VerifierState::new(),
        s => VerifierState::from_json(s.to_string().as_bytes(), &L).unwrap(),
    };
    let seeded = state.seed(app, trusted(v)).unwrap();
    assert_eq!(seeded, v["state"].is_null(), "{what}");
    for r in v["rotations"].as_array().unwrap() {
        state
            .accept_rotation(app, &vectors::file(r.as_str().unwrap()), now, &L)
            .unwrap();
    }
    let channel = v["channel"].as_str().map_or(Channel::Any, Channel::only);
    let mut policy = state.policy(app, channel).unwrap().now(now);
    if let Some(floor) = v["min_sequence"].as_u64() {
        policy = policy.and_sequence(Sequence::AtLeast(floor));
    }
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out.zip");
    let key = vectors::private(v["decryption_key"].as_str().unwrap());
    let sealed = vectors::file(v["file"].as_str().unwrap());
    match (
        v["expect"].as_str().unwrap(),
        v3::open_to_file(sealed.as_slice(), &dest, &key, &policy, &L),
    ) {
        ("success", Ok(opened)) => state.record(&opened).unwrap(),
        ("success", Err(e)) => panic!("{what}: {e}"),
        (code, Ok(_)) => panic!("{what}: opened, expected {code}"),
        (code, Err(e)) => {
            assert_eq!(e.code(), code, "{what}: {e}");
            assert!(otaseal_testkit::entries(tmp.path()).is_empty(), "{what}");
        }
    }
    let after: Value = serde_json::from_slice(&state.to_json()).unwrap();
    assert_eq!(after, v["state_after"], "{what}");
    // The file form: written private and atomically, read back to the same state.
    let path = tmp.path().join("state.json");
    state.save(&path).unwrap();
    let back = VerifierState::load(&path, &L).unwrap().unwrap();
    assert_eq!(back.to_json(), state.to_json(), "{what}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{what}");
    }
}

#[test]
fn every_vector_header_parses_or_fails_without_panicking() {
    // The raw header parser on every prefix length of every vector's header: never a panic,
    // and success only on the exact header.
    for v in vectors::entries() {
        let sealed = vectors::file(v["file"].as_str().unwrap());
        let Ok(signed) = v3::read_signed_header(sealed.as_slice(), &L) else {
            continue;
        };
        let h = signed.header_bytes();
        for cut in (0..h.len()).step_by(7) {
            assert!(Header::parse(&h[..cut], &L).is_err());
        }
        let mut longer = h.to_vec();
        longer.push(0);
        assert!(Header::parse(&longer, &L).is_err());
    }
}
