//! Property tests: no input makes parsing or validation panic, and whatever parses writes back
//! to a fixed point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use otaseal_protocol::{
    ChannelListQuery, ChannelMethod, ChannelRequest, ChannelResponse, ErrorResponse, Limits,
    MessageKind, StatsBody, StatsResponse, UpdateRequest, UpdateResponse, classify_update_response,
    validate_json,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const KINDS: [MessageKind; 12] = [
    MessageKind::UpdateRequest,
    MessageKind::UpdateResponse,
    MessageKind::StatsRequest,
    MessageKind::StatsResponse,
    MessageKind::ChannelRequest(ChannelMethod::Set),
    MessageKind::ChannelRequest(ChannelMethod::Get),
    MessageKind::ChannelRequest(ChannelMethod::Delete),
    MessageKind::ChannelRequest(ChannelMethod::List),
    MessageKind::ChannelResponse(ChannelMethod::Set),
    MessageKind::ChannelResponse(ChannelMethod::Get),
    MessageKind::ChannelResponse(ChannelMethod::Delete),
    MessageKind::ChannelResponse(ChannelMethod::List),
];

/// Keys that the validators look at, so that generated objects reach the deep rules.
const KEYS: &[&str] = &[
    "platform",
    "device_id",
    "app_id",
    "custom_id",
    "version_build",
    "version_code",
    "version_os",
    "version_name",
    "plugin_version",
    "is_emulator",
    "is_prod",
    "install_source",
    "defaultChannel",
    "key_id",
    "old_version_name",
    "action",
    "channel",
    "timestamp",
    "metadata",
    "version",
    "url",
    "session_key",
    "checksum",
    "manifest",
    "file_name",
    "file_hash",
    "download_url",
    "link",
    "comment",
    "breaking",
    "major",
    "message",
    "error",
    "kind",
    "retryAfterSeconds",
    "rateLimitResetAt",
    "moreInfo",
    "status",
    "results",
    "index",
    "allowSet",
    "unset",
    "id",
    "name",
    "public",
    "allow_self_set",
    "other",
];

/// Strings that are, or are close to, values the rules accept.
fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("ios".to_owned()),
        Just("android".to_owned()),
        Just("0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b".to_owned()),
        Just("com.example.app".to_owned()),
        Just("8.51.14".to_owned()),
        Just("builtin".to_owned()),
        Just("https://cdn.example.com/b.zip".to_owned()),
        Just("no_new_version_available".to_owned()),
        Just("too_many_requests".to_owned()),
        Just("up_to_date".to_owned()),
        Just("ok".to_owned()),
        Just("true".to_owned()),
        Just("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_owned()),
        Just("ab".repeat(256)),
        Just("AAAAAAAAAAAAAAAAAAAAAA==:".to_owned() + &"A".repeat(344)),
        "[ -~]{0,40}",
        "\\PC{0,12}",
        "[0-9v.+-]{0,12}",
        "[a-z0-9%./\\\\]{0,16}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        interesting_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(KEYS).prop_map(str::to_owned),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..10
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Reads `bytes` with every reader; for each one that accepts, the canonical text must read
/// back to the same canonical text.
fn exercise(bytes: &[u8]) {
    let l = Limits::default();
    for kind in KINDS {
        let _ = validate_json(kind, bytes, &l);
    }
    macro_rules! fixed_point {
        ($read:expr, $validate:expr) => {
            if let Ok(m) = $read(bytes) {
                let text = m.to_json().unwrap();
                let again = $read(text.as_bytes()).unwrap();
                assert_eq!(again.to_json().unwrap(), text);
                $validate(&m);
            }
        };
    }
    fixed_point!(|b| UpdateRequest::from_json(b, &l), |m: &UpdateRequest| m
        .validate(&l)
        .is_ok());
    fixed_point!(
        |b| UpdateResponse::from_json(b, &l),
        |m: &UpdateResponse| m.validate(&l).is_ok()
    );
    fixed_point!(|b| StatsBody::from_json(b, &l), |m: &StatsBody| m
        .validate(&l)
        .is_ok());
    fixed_point!(|b| StatsResponse::from_json(b, &l), |m: &StatsResponse| m
        .validate(&l)
        .is_ok());
    fixed_point!(|b| ErrorResponse::from_json(b, &l), |m: &ErrorResponse| m
        .validate(&l)
        .is_ok());
    fixed_point!(
        |b| ChannelListQuery::from_json(b, &l),
        |m: &ChannelListQuery| m.validate(&l).is_ok()
    );
    fixed_point!(
        |b| ChannelRequest::from_json(b, &l),
        |m: &ChannelRequest| {
            for method in [ChannelMethod::Set, ChannelMethod::Get, ChannelMethod::List] {
                let _ = m.validate(method, &l);
            }
        }
    );
    for m in [ChannelMethod::Set, ChannelMethod::Get, ChannelMethod::List] {
        fixed_point!(
            |b| ChannelResponse::from_json(b, m, &l),
            |r: &ChannelResponse| r.validate(&l).is_ok()
        );
    }
    // Strict parsing succeeds only on valid documents, whose canonical text is valid too; the
    // lenient reader reads them as the same message, which validates.
    macro_rules! readers_agree {
        ($ty:ty) => {
            if let Ok(m) = <$ty>::parse(bytes, &l) {
                let text = m.to_json().unwrap();
                <$ty>::parse(text.as_bytes(), &l).unwrap();
                assert_eq!(<$ty>::from_json(bytes, &l).unwrap(), m);
                m.validate(&l).unwrap();
            }
        };
    }
    readers_agree!(UpdateRequest);
    readers_agree!(UpdateResponse);
    readers_agree!(StatsBody);
    readers_agree!(StatsResponse);
    readers_agree!(ErrorResponse);
    readers_agree!(ChannelListQuery);
    for method in [
        ChannelMethod::Set,
        ChannelMethod::Get,
        ChannelMethod::Delete,
    ] {
        if let Ok(m) = ChannelRequest::parse(bytes, method, &l) {
            m.validate(method, &l).unwrap();
        }
        if let Ok(m) = ChannelResponse::parse(bytes, method, &l) {
            assert_eq!(ChannelResponse::from_json(bytes, method, &l).unwrap(), m);
            m.validate(&l).unwrap();
        }
    }
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        let _ = classify_update_response(&v);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        exercise(&serde_json::to_vec(&v).unwrap());
        exercise(&serde_json::to_vec(&Value::Array(vec![v.clone(), v])).unwrap());
    }

    #[test]
    fn the_lenient_reader_keeps_every_field(v in json_value()) {
        // Whatever the lenient reader accepts as an object, it writes back with the same
        // fields and values (key order aside), except unknown fields inside manifest entries,
        // which the one manifest entry type of otaseal does not have (spec/protocol.md 8).
        let bytes = serde_json::to_vec(&v).unwrap();
        if let Ok(r) = UpdateRequest::from_json(&bytes, &Limits::default()) {
            prop_assert_eq!(serde_json::to_value(&r).unwrap(), v.clone());
        }
        if let Ok(r) = UpdateResponse::from_json(&bytes, &Limits::default()) {
            let mut expected = v;
            if matches!(r, UpdateResponse::Available(_)) {
                drop_unknown_entry_fields(&mut expected);
            }
            prop_assert_eq!(serde_json::to_value(&r).unwrap(), expected);
        }
    }

    #[test]
    fn manifests_read_leniently_keep_their_entries(
        entries in prop::collection::vec(manifest_entry(), 0..6),
    ) {
        let v = serde_json::json!({
            "version": "1.0.1",
            "url": "https://cdn.example.com/b.zip",
            "session_key": "",
            "checksum": null,
            "manifest": entries,
        });
        let bytes = serde_json::to_vec(&v).unwrap();
        exercise(&bytes);
        let complete = entries.iter().all(|e| {
            ["file_name", "file_hash", "download_url"]
                .iter()
                .all(|k| e.get(k).is_some_and(Value::is_string))
        });
        match UpdateResponse::from_json(&bytes, &Limits::default()) {
            Ok(r) => {
                prop_assert!(complete, "an entry without its three string fields was read");
                let mut expected = v;
                drop_unknown_entry_fields(&mut expected);
                prop_assert_eq!(serde_json::to_value(&r).unwrap(), expected);
            }
            Err(e) => prop_assert!(!complete, "{}", e),
        }
    }
}

/// A manifest entry with some of its three fields, values of any type, and unknown fields.
fn manifest_entry() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        3 => interesting_string().prop_map(Value::String),
        1 => json_value(),
    ];
    prop::collection::vec(
        (
            prop_oneof![
                prop::sample::select(&["file_name", "file_hash", "download_url"][..])
                    .prop_map(str::to_owned),
                "[a-z]{1,6}",
            ],
            field,
        ),
        0..6,
    )
    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>()))
}

/// Removes from every object of `v["manifest"]` the keys a manifest entry does not have.
fn drop_unknown_entry_fields(v: &mut Value) {
    if let Some(Value::Array(entries)) = v.get_mut("manifest") {
        for e in entries {
            if let Value::Object(o) = e {
                o.retain(|k, _| ["file_name", "file_hash", "download_url"].contains(&k.as_str()));
            }
        }
    }
}
