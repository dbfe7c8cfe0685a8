//! Every validation rule rejects what it should, naming the field, and every rule identifier of
//! `spec/protocol.md` section 5 is exercised here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use otaseal_protocol::{
    ChannelMethod, Limits, MessageKind, ValidationError, v2_update_response, validate_json,
};
use otaseal_wire::{ChecksumFormat, IvSessionKey, SignedChecksum};
use serde_json::{Value, json};

const DEVICE: &str = "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b";
const SK: &str = "djQ2ny8G/eH4ece6y3EsRw==:XQw6FBM8qpOxyf0F7wHkIjDcGw/MsqbL88JdIZQ7f2B0qUHXiK4XIYVOPGDs7F7/KJf/Gt/5fGnsuhVTudUluc4pNbnZNrpSRCbXi6hK6xyxhlmuwLm5TVBMFu/FxZs7brCrzKQSjcYgpgSnZbyZvEsPpub/W0v10jXGAUBrGpnDBuT7/msbSiFGZPELl+3gK/IJeY0bFDgc/2uQQ2mrwpWMsiFtK9KUAteRpWpKZOF58cMhXYz9HMeozDTAHwEnabS/3hgIy/FdpSJPMuGbkk62SC5MBsV7SJvYpVfdlESOx6dxrq+VVQHullrQT2gCQ2FmS/uv3MFwEYlCY4Kuwg==";
const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn request() -> Value {
    json!({
        "platform": "android",
        "device_id": DEVICE,
        "app_id": "com.example.app",
        "version_build": "1.0",
        "version_os": "14",
        "version_name": "1.0.1",
        "plugin_version": "8.51.14",
        "is_emulator": false,
        "is_prod": true,
    })
}

fn update() -> Value {
    json!({
        "version": "1.0.1",
        "url": "https://cdn.example.com/b.zip",
        "session_key": SK,
        "checksum": "ab".repeat(256),
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn entry(name: &str) -> Value {
    json!({"file_name": name, "file_hash": "cd".repeat(256), "download_url": "https://cdn/x"})
}

/// The (field, rule) pairs of a rejected document.
fn errors(kind: MessageKind, bytes: &[u8], limits: &Limits) -> Vec<(String, String)> {
    match validate_json(kind, bytes, limits) {
        Ok(()) => vec![],
        Err(e) => e
            .iter()
            .map(|e| (e.field().to_owned(), e.rule().to_owned()))
            .collect(),
    }
}

struct Case {
    kind: MessageKind,
    doc: Vec<u8>,
    limits: Limits,
    expect: &'static [(&'static str, &'static str)],
}

fn case(kind: MessageKind, doc: Value, expect: &'static [(&'static str, &'static str)]) -> Case {
    with_limits(kind, doc, Limits::default(), expect)
}

fn with_limits(
    kind: MessageKind,
    doc: Value,
    limits: Limits,
    expect: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        kind,
        doc: serde_json::to_vec(&doc).unwrap(),
        limits,
        expect,
    }
}

fn raw(
    kind: MessageKind,
    doc: &[u8],
    limits: Limits,
    expect: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        kind,
        doc: doc.to_vec(),
        limits,
        expect,
    }
}

fn limits(change: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    change(&mut l);
    l
}

fn stats() -> Value {
    with(request(), "action", json!("set"))
}

/// The document is rejected with exactly the expected (field, rule) pairs, in this order.
fn check(c: &Case) {
    let got = errors(c.kind, &c.doc, &c.limits);
    let want: Vec<(String, String)> = c
        .expect
        .iter()
        .map(|(f, r)| ((*f).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(got, want);
}

/// Lists the cases once: one generated test per case (`rejects::not_json`, ...), so that a
/// failure names its case, and the list that the spec's rules are compared with.
macro_rules! rejections {
    ($($name:ident: $case:expr,)*) => {
        fn cases() -> Vec<(&'static str, Case)> {
            use MessageKind::*;
            vec![$((stringify!($name), $case)),*]
        }

        mod rejects {
            use super::*;
            $(
                #[test]
                fn $name() {
                    use MessageKind::*;
                    check(&$case);
                }
            )*
        }
    };
}

rejections! {
    document_over_max_json_len_is_not_parsed: raw(
        UpdateRequest,
        b"{ this is not JSON }",
        limits(|l| l.max_json_len = 10),
        &[("$", "max_json_len")],
    ),
    not_json: raw(
        UpdateRequest,
        b"{\"platform\":",
        Limits::default(),
        &[("$", "json_syntax")],
    ),
    duplicate_keys_at_any_depth: raw(
        StatsRequest,
        br#"[{"version_name":"1.0.1","version_name":"1.0.2","metadata":{"k":"a","k":"b"}}]"#,
        Limits::default(),
        &[
            ("[0].version_name", "unique_key"),
            ("[0].metadata.k", "unique_key"),
            ("[0].platform", "required"),
            ("[0].device_id", "required"),
            ("[0].app_id", "required"),
            ("[0].version_os", "required"),
        ],
    ),
    array_instead_of_object: case(UpdateRequest, json!([]), &[("$", "type")]),
    wrong_json_types: case(
        UpdateRequest,
        with(with(request(), "is_prod", json!("true")), "custom_id", json!(5)),
        &[("custom_id", "type"), ("is_prod", "type")],
    ),
    missing_required_fields: case(
        UpdateRequest,
        json!({"platform": "ios"}),
        &[
            ("device_id", "required"),
            ("app_id", "required"),
            ("version_build", "required"),
            ("version_name", "required"),
            ("plugin_version", "required"),
        ],
    ),
    empty_version_name_and_version_build: case(
        UpdateRequest,
        with(with(request(), "version_name", json!("")), "version_build", json!("")),
        &[("version_build", "non_empty"), ("version_name", "non_empty")],
    ),
    capgo_length_limits: case(
        UpdateRequest,
        with(
            with(
                with(request(), "install_source", json!("s".repeat(65))),
                "key_id",
                json!("k".repeat(21)),
            ),
            "device_id",
            json!(format!("{DEVICE}0")),
        ),
        &[
            ("device_id", "max_length"),
            ("install_source", "max_length"),
            ("key_id", "max_length"),
        ],
    ),
    max_field_len: with_limits(
        UpdateRequest,
        with(request(), "version_os", json!("v".repeat(37))),
        limits(|l| l.max_field_len = 36),
        &[("version_os", "max_length")],
    ),
    app_id_pattern: case(
        UpdateRequest,
        with(request(), "app_id", json!("com")),
        &[("app_id", "app_id")],
    ),
    uuid_pattern: case(
        UpdateRequest,
        with(request(), "device_id", json!("0b5f5e4a2c1d4f3e9a8b7c6d5e4f3a2b")),
        &[("device_id", "uuid")],
    ),
    platform_set: case(
        UpdateRequest,
        with(request(), "platform", json!("web")),
        &[("platform", "one_of")],
    ),
    plugin_version: case(
        UpdateRequest,
        with(request(), "plugin_version", json!("8.51")),
        &[("plugin_version", "semver")],
    ),
    version_build_after_fix_semver: case(
        UpdateRequest,
        with(request(), "version_build", json!("1.2-beta")),
        &[("version_build", "version_build")],
    ),
    unknown_stats_action: case(
        StatsRequest,
        with(stats(), "action", json!("teleported")),
        &[("action", "stats_action")],
    ),
    stats_limits: case(
        StatsRequest,
        with(
            with(stats(), "custom_id", json!("c".repeat(37))),
            "metadata",
            Value::Object((0..31).map(|i| (format!("k{i}"), json!("v"))).collect()),
        ),
        &[("custom_id", "max_length"), ("metadata", "max_entries")],
    ),
    stats_metadata_key_and_value: case(
        StatsRequest,
        with(stats(), "metadata", json!({"k": "v".repeat(2049), "n": 1})),
        &[("metadata.k", "max_length"), ("metadata.n", "type")],
    ),
    stats_batch_with_two_apps: case(
        StatsRequest,
        json!([stats(), with(stats(), "app_id", json!("com.example.other"))]),
        &[("[1].app_id", "same_app_id")],
    ),
    stats_requires_version_os_any_platform: case(
        StatsRequest,
        json!([with(with(stats(), "platform", json!("web")), "version_os", Value::Null)]),
        &[("[0].version_os", "type")],
    ),
    update_url: case(
        UpdateResponse,
        with(update(), "url", json!("ftp://cdn.example.com/b.zip")),
        &[("url", "http_url")],
    ),
    session_key_format: case(
        UpdateResponse,
        with(update(), "session_key", json!("abc:def")),
        &[("session_key", "wire_format")],
    ),
    legacy_crc32_checksum: case(
        UpdateResponse,
        with(with(update(), "session_key", json!("")), "checksum", json!("f7df1b24")),
        &[("checksum", "sha256_checksum")],
    ),
    encrypted_bundle_with_a_plain_checksum: case(
        UpdateResponse,
        with(update(), "checksum", json!(SHA)),
        &[("checksum", "signed_checksum")],
    ),
    checksum_and_session_key_from_different_key_sizes: case(
        UpdateResponse,
        with(update(), "checksum", json!("ab".repeat(384))),
        &[("checksum", "same_key")],
    ),
    success_body_with_an_empty_error_key: case(
        UpdateResponse,
        with(update(), "error", json!("")),
        &[("error", "non_empty"), ("message", "required"), ("kind", "required")],
    ),
    kind_does_not_match_the_code: case(
        UpdateResponse,
        json!({"error": "no_new_version_available", "message": "m", "kind": "failed"}),
        &[("kind", "kind_matches_error")],
    ),
    unknown_kind: case(
        UpdateResponse,
        json!({"error": "no_channel", "message": "m", "kind": "update_available"}),
        &[("kind", "one_of")],
    ),
    unsafe_and_duplicate_manifest_paths: case(
        UpdateResponse,
        with(update(), "manifest", json!([entry("a.js"), entry("/etc/x"), entry("a.js")])),
        &[
            ("manifest[1].file_name", "manifest_path"),
            ("manifest[2].file_name", "unique_file_name"),
        ],
    ),
    manifest_names_as_the_device_reads_them: case(
        UpdateResponse,
        with(
            update(),
            "manifest",
            json!([
                entry("x%2Fy"),
                entry("C:evil"),
                entry("a%07b"),
                entry("A.js"),
                entry("a.js"),
                entry("%C3%A9.txt"),
                entry("e%CC%81.txt"),
                entry("A.js/x"),
                entry("b.js.br"),
                entry("b.js"),
            ]),
        ),
        &[
            ("manifest[0].file_name", "manifest_path"),
            ("manifest[1].file_name", "manifest_path"),
            ("manifest[2].file_name", "manifest_path"),
            ("manifest[4].file_name", "unique_file_name"),
            ("manifest[6].file_name", "unique_file_name"),
            ("manifest[7].file_name", "unique_file_name"),
            ("manifest[9].file_name", "unique_file_name"),
        ],
    ),
    manifest_path_over_max_path_len: with_limits(
        UpdateResponse,
        with(update(), "manifest", json!([entry("abcde")])),
        limits(|l| l.max_path_len = 4),
        &[("manifest[0].file_name", "max_length")],
    ),
    manifest_over_max_manifest_entries: with_limits(
        UpdateResponse,
        with(update(), "manifest", json!([entry("a"), entry("b")])),
        limits(|l| l.max_manifest_entries = 1),
        &[("manifest", "max_entries")],
    ),
    channel_set_without_channel: case(
        ChannelRequest(ChannelMethod::Set),
        request(),
        &[("channel", "required")],
    ),
    channel_list_query_booleans: case(
        ChannelRequest(ChannelMethod::List),
        json!({"platform": "ios", "device_id": DEVICE, "app_id": "com.example.app",
               "version_build": "1", "version_name": "1", "is_prod": "yes"}),
        &[("is_prod", "one_of")],
    ),
    channel_get_status: case(
        ChannelResponse(ChannelMethod::Get),
        json!({"channel": "beta", "status": "forced"}),
        &[("status", "one_of")],
    ),
}

#[test]
fn the_v2_builder_rejects_http() {
    let key = IvSessionKey::new([1; 16], vec![2; 256]);
    let sum = SignedChecksum::new(ChecksumFormat::Hex, vec![3; 256]);
    let e = v2_update_response(
        "1",
        "http://cdn/b.zip",
        &key,
        &sum,
        vec![],
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.first(),
        &ValidationError::NotHttpsUrl {
            field: "url".into()
        }
    );
}

/// The rule identifiers listed in the table of `spec/protocol.md` section 5.
fn spec_rules() -> BTreeSet<String> {
    let spec =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/protocol.md"))
            .unwrap();
    let start = spec.find("## 5. Validation rules").unwrap();
    let end = spec[start..].find("### 5.1").unwrap() + start;
    spec[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_rule_of_the_spec_is_exercised() {
    let mut seen: BTreeSet<String> = cases()
        .iter()
        .flat_map(|(_, c)| c.expect.iter().map(|(_, r)| (*r).to_owned()))
        .collect();
    seen.insert("https_url".into()); // the_v2_builder_rejects_http
    let spec = spec_rules();
    assert_eq!(spec.len(), 24, "{spec:?}");
    assert_eq!(seen, spec);
}

#[test]
fn case_names_are_unique() {
    let names: BTreeSet<&str> = cases().iter().map(|(n, _)| *n).collect();
    assert_eq!(names.len(), cases().len());
}
