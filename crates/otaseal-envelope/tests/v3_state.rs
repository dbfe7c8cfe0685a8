//! The verifier state file (`spec/v3.md` section 11.2): every malformed file is refused with
//! what is wrong, and the state's rules (seed once, record after opening, rollback across
//! channels) hold through the library API. The state vectors are in `v3_vectors.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use base64ct::{Base64, Encoding};
use otaseal_envelope::v3::{
    self, Channel, Context, Sealer, StateError, StateProblem, TrustedKeys, VerifierState,
};
use otaseal_keys::Limits;
use otaseal_testkit::{LIMITS as L, v3 as vectors};
use serde_json::{Value, json};
use test_case::test_case;

const APP: &str = "com.example.app";
const NOW: u64 = 1_780_000_000;

/// A valid state file: APP with key set {signer1} (version 1) and production at 41.
fn valid() -> Value {
    let mut state = VerifierState::new();
    state
        .seed(APP, TrustedKeys::from_keys([vectors::public("signer1")]))
        .unwrap();
    let mut v: Value = serde_json::from_slice(&state.to_json()).unwrap();
    v["apps"][0]["sequences"] = json!([{"channel": "production", "sequence": 41}]);
    v
}

fn parse(v: &Value) -> Result<VerifierState, StateError> {
    VerifierState::from_json(v.to_string().as_bytes(), &L)
}

fn problem(v: &Value) -> StateProblem {
    match parse(v) {
        Err(StateError::Invalid { problem, .. }) => problem,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_valid_file_round_trips_byte_for_byte() {
    let state = parse(&valid()).unwrap();
    let bytes = state.to_json();
    assert_eq!(
        VerifierState::from_json(&bytes, &L).unwrap().to_json(),
        bytes
    );
    assert!(bytes.ends_with(b"}\n"));
    assert_eq!(
        state.highest_sequence(APP, &Channel::only("production")),
        Some(41)
    );
    assert_eq!(state.highest_sequence(APP, &Channel::only("beta")), None);
    assert_eq!(state.key_set(APP).unwrap().version(), 1);
}

#[test_case("/format", json!("otaseal-verifier-state/2") ; "other format")]
#[test_case("/apps/0/key_set/version", json!(-1) ; "negative version")]
#[test_case("/apps/0/key_set/version", json!("1") ; "version as a string")]
#[test_case("/apps/0/sequences/0/sequence", json!(1.5) ; "fractional sequence")]
#[test_case("/apps/0/extra", json!(1) ; "unknown field")]
#[test_case("/apps/0/key_set/keys/0/comment", json!("x") ; "unknown key field")]
fn malformed_files_are_refused(pointer: &str, value: Value) {
    let mut v = valid();
    let (parent, field) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent).unwrap()[field] = value;
    let e = parse(&v).unwrap_err();
    assert!(
        matches!(e, StateError::Json(_) | StateError::Format { .. }),
        "{e:?}"
    );
    assert_eq!(e.code(), "invalid-state");
}

#[test]
fn entries_are_checked_one_by_one() {
    let mut v = valid();
    let app = v["apps"][0].clone();
    v["apps"] = json!([app.clone(), app.clone()]);
    assert_eq!(problem(&v), StateProblem::DuplicateApp);

    let mut v = valid();
    v["apps"][0]["sequences"] = json!([
        {"channel": "production", "sequence": 41},
        {"channel": "production", "sequence": 99},
    ]);
    assert_eq!(problem(&v), StateProblem::DuplicateChannel);

    for bad in ["", "a\nb", &"x".repeat(256)] {
        let mut v = valid();
        v["apps"][0]["sequences"][0]["channel"] = json!(bad);
        assert_eq!(problem(&v), StateProblem::Channel);
        let mut v = valid();
        v["apps"][0]["app_id"] = json!(bad);
        assert_eq!(problem(&v), StateProblem::AppId);
    }

    let key = &valid()["apps"][0]["key_set"]["keys"][0];
    let spki = key["spki"].as_str().unwrap().to_owned();
    let mut v = valid();
    v["apps"][0]["key_set"]["keys"][0]["spki"] = json!(spki.trim_end_matches('='));
    assert_eq!(problem(&v), StateProblem::KeyEncoding, "unpadded base64");
    let mut v = valid();
    v["apps"][0]["key_set"]["keys"][0]["fingerprint"] =
        vectors::public("signer2").fingerprint().to_string().into();
    assert_eq!(problem(&v), StateProblem::KeyFingerprint);
    let mut v = valid();
    let pkcs1 = vectors::public("signer1").to_pkcs1_der().unwrap();
    v["apps"][0]["key_set"]["keys"][0]["spki"] = json!(Base64::encode_string(&pkcs1));
    assert_eq!(problem(&v), StateProblem::KeyEncoding, "PKCS#1, not SPKI");
    let mut v = valid();
    v["apps"][0]["key_set"]["keys"][0]["spki"] = json!("AAAA");
    assert!(matches!(parse(&v), Err(StateError::Key { .. })));
    let mut v = valid();
    v["apps"][0]["key_set"]["keys"] = json!([key.clone(), key.clone()]);
    assert_eq!(
        problem(&v),
        StateProblem::KeySet(v3::KeySetError::Duplicate)
    );
    let mut v = valid();
    v["apps"][0]["key_set"]["keys"] = json!([]);
    assert_eq!(problem(&v), StateProblem::KeySet(v3::KeySetError::Empty));
}

#[test]
fn size_is_checked_before_parsing() {
    let mut small = Limits::DEFAULT;
    small.max_json_len = 100;
    let bytes = valid().to_string();
    let e = VerifierState::from_json(bytes.as_bytes(), &small).unwrap_err();
    assert_eq!(e.code(), "too-large", "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, &bytes).unwrap();
    let e = VerifierState::load(&path, &small).unwrap_err();
    assert_eq!(e.code(), "too-large", "{e}");
    assert!(
        VerifierState::load(&dir.path().join("none.json"), &L)
            .unwrap()
            .is_none()
    );
    assert_eq!(
        VerifierState::load(dir.path(), &L).unwrap_err().code(),
        "io"
    );
}

#[test]
fn seeding_happens_once_and_rollback_is_the_default() {
    let (signer1, signer2) = (vectors::private("signer1"), vectors::private("signer2"));
    let device = vectors::private("recipient1");
    let mut state = VerifierState::new();
    let e = state.policy(APP, Channel::Any).unwrap_err();
    assert!(matches!(e, StateError::UnknownApp { .. }), "{e}");
    assert!(
        state
            .seed(APP, TrustedKeys::from_keys([signer1.public_key().clone()]))
            .unwrap()
    );
    // A second seed with other keys changes nothing: the state governs.
    assert!(
        !state
            .seed(APP, TrustedKeys::from_keys([signer2.public_key().clone()]))
            .unwrap()
    );
    let keys = state.key_set(APP).unwrap();
    assert!(keys.get(&signer1.public_key().fingerprint()).is_some());
    assert!(keys.get(&signer2.public_key().fingerprint()).is_none());
    assert!(matches!(
        state.seed("a\nb", TrustedKeys::new()),
        Err(StateError::Invalid { .. })
    ));
    assert!(matches!(
        state.seed("other", TrustedKeys::new()),
        Err(StateError::Invalid {
            problem: StateProblem::KeySet(v3::KeySetError::Empty),
            ..
        })
    ));
    let bundle = |channel: &str, seq: u64| {
        let ctx = Context::new(APP, channel, "1", seq, NOW - 10, NOW + 1_000);
        Sealer::new(&signer1, &[device.public_key()], ctx)
            .unwrap()
            .seal(b"zip")
            .unwrap()
    };
    let open = |state: &mut VerifierState, channel: Channel, sealed: &[u8]| {
        let policy = state.policy(APP, channel).unwrap().now(NOW);
        let mut out = Vec::new();
        let opened = v3::open(sealed, &mut out, &device, &policy, &L)?;
        state.record(&opened).unwrap();
        Ok::<_, v3::OpenError>(())
    };
    // Nothing recorded: anything opens; then only greater sequences, per channel.
    open(&mut state, Channel::only("beta"), &bundle("beta", 5)).unwrap();
    let e = open(&mut state, Channel::only("beta"), &bundle("beta", 5)).unwrap_err();
    assert_eq!(e.code(), "rollback");
    assert!(e.to_string().contains("greater than 5"), "{e}");
    open(
        &mut state,
        Channel::only("production"),
        &bundle("production", 3),
    )
    .unwrap();
    // Any channel: greater than every channel's record.
    let e = open(&mut state, Channel::Any, &bundle("production", 4)).unwrap_err();
    assert_eq!(e.code(), "rollback");
    open(&mut state, Channel::Any, &bundle("production", 6)).unwrap();
    assert_eq!(state.highest_sequence(APP, &Channel::Any), Some(6));
    assert_eq!(state.highest_sequence(APP, &Channel::only("beta")), Some(5));
    // A rotation for an unknown app.
    assert!(matches!(
        state.accept_rotation("other", b"", NOW, &L),
        Err(StateError::UnknownApp { .. })
    ));
    assert_eq!(
        state
            .accept_rotation(APP, b"otasealR", NOW, &L)
            .unwrap_err()
            .code(),
        "malformed-rotation"
    );
}

#[test]
fn a_repeated_field_is_refused() {
    let text = r#"{"format": "otaseal-verifier-state/1", "format": "otaseal-verifier-state/1", "apps": []}"#;
    let e = VerifierState::from_json(text.as_bytes(), &L).unwrap_err();
    assert!(matches!(e, StateError::Json(_)), "{e:?}");
    assert!(e.to_string().contains("duplicate field"), "{e}");
    let ok = r#"{"format": "otaseal-verifier-state/1", "apps": []}"#;
    VerifierState::from_json(ok.as_bytes(), &L).unwrap();
}
