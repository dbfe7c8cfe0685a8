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
    name: &'static str,
    kind: MessageKind,
    doc: Vec<u8>,
    limits: Limits,
    expect: &'static [(&'static str, &'static str)],
}

fn case(
    name: &'static str,
    kind: MessageKind,
    doc: Value,
    expect: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        kind,
        doc: serde_json::to_vec(&doc).unwrap(),
        limits: Limits::default(),
        expect,
    }
}

fn cases() -> Vec<Case> {
    use MessageKind::{
        ChannelRequest, ChannelResponse, StatsRequest, UpdateRequest, UpdateResponse,
    };
    let mut tiny = Limits::default();
    tiny.max_json_len = 10;
    let mut short_paths = Limits::default();
    short_paths.max_path_len = 4;
    let mut few_entries = Limits::default();
    few_entries.max_manifest_entries = 1;
    let mut short_fields = Limits::default();
    short_fields.max_field_len = 36;
    let stats = with(request(), "action", json!("set"));
    let mut out = vec![
        Case {
            name: "document over max_json_len, not parsed",
            kind: UpdateRequest,
            doc: b"{ this is not JSON }".to_vec(),
            limits: tiny,
            expect: &[("$", "max_json_len")],
        },
        Case {
            name: "not JSON",
            kind: UpdateRequest,
            doc: b"{\"platform\":".to_vec(),
            limits: Limits::default(),
            expect: &[("$", "json_syntax")],
        },
        case(
            "array instead of object",
            UpdateRequest,
            json!([]),
            &[("$", "type")],
        ),
        case(
            "wrong JSON types",
            UpdateRequest,
            with(
                with(request(), "is_prod", json!("true")),
                "custom_id",
                json!(5),
            ),
            &[("custom_id", "type"), ("is_prod", "type")],
        ),
        case(
            "missing required fields",
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
        case(
            "empty version_name and version_build",
            UpdateRequest,
            with(
                with(request(), "version_name", json!("")),
                "version_build",
                json!(""),
            ),
            &[
                ("version_build", "non_empty"),
                ("version_name", "non_empty"),
            ],
        ),
        case(
            "Capgo length limits",
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
        Case {
            name: "max_field_len",
            kind: UpdateRequest,
            doc: serde_json::to_vec(&with(request(), "version_os", json!("v".repeat(37)))).unwrap(),
            limits: short_fields,
            expect: &[("version_os", "max_length")],
        },
        case(
            "app id pattern",
            UpdateRequest,
            with(request(), "app_id", json!("com")),
            &[("app_id", "app_id")],
        ),
        case(
            "UUID pattern",
            UpdateRequest,
            with(
                request(),
                "device_id",
                json!("0b5f5e4a2c1d4f3e9a8b7c6d5e4f3a2b"),
            ),
            &[("device_id", "uuid")],
        ),
        case(
            "platform set",
            UpdateRequest,
            with(request(), "platform", json!("web")),
            &[("platform", "one_of")],
        ),
        case(
            "plugin version",
            UpdateRequest,
            with(request(), "plugin_version", json!("8.51")),
            &[("plugin_version", "semver")],
        ),
        case(
            "version_build after fixSemver",
            UpdateRequest,
            with(request(), "version_build", json!("1.2-beta")),
            &[("version_build", "version_build")],
        ),
        case(
            "unknown stats action",
            StatsRequest,
            with(stats.clone(), "action", json!("teleported")),
            &[("action", "stats_action")],
        ),
        case(
            "stats limits",
            StatsRequest,
            with(
                with(stats.clone(), "custom_id", json!("c".repeat(37))),
                "metadata",
                Value::Object((0..31).map(|i| (format!("k{i}"), json!("v"))).collect()),
            ),
            &[("custom_id", "max_length"), ("metadata", "max_entries")],
        ),
        case(
            "stats metadata key and value",
            StatsRequest,
            with(
                stats.clone(),
                "metadata",
                json!({"k": "v".repeat(2049), "n": 1}),
            ),
            &[("metadata.k", "max_length"), ("metadata.n", "type")],
        ),
        case(
            "stats batch with two apps",
            StatsRequest,
            json!([
                stats.clone(),
                with(stats.clone(), "app_id", json!("com.example.other"))
            ]),
            &[("[1].app_id", "same_app_id")],
        ),
        case(
            "stats requires version_os, any platform",
            StatsRequest,
            json!([with(
                with(stats.clone(), "platform", json!("web")),
                "version_os",
                Value::Null
            )]),
            &[("[0].version_os", "type")],
        ),
        case(
            "update url",
            UpdateResponse,
            with(update(), "url", json!("ftp://cdn.example.com/b.zip")),
            &[("url", "http_url")],
        ),
        case(
            "session key format",
            UpdateResponse,
            with(update(), "session_key", json!("abc:def")),
            &[("session_key", "wire_format")],
        ),
        case(
            "legacy CRC32 checksum",
            UpdateResponse,
            with(
                with(update(), "session_key", json!("")),
                "checksum",
                json!("f7df1b24"),
            ),
            &[("checksum", "sha256_checksum")],
        ),
        case(
            "encrypted bundle with a plain checksum",
            UpdateResponse,
            with(update(), "checksum", json!(SHA)),
            &[("checksum", "signed_checksum")],
        ),
        case(
            "checksum and session key from different key sizes",
            UpdateResponse,
            with(update(), "checksum", json!("ab".repeat(384))),
            &[("checksum", "same_key")],
        ),
        case(
            "success body with an empty error key",
            UpdateResponse,
            with(update(), "error", json!("")),
            &[
                ("error", "non_empty"),
                ("message", "required"),
                ("kind", "required"),
            ],
        ),
        case(
            "kind does not match the code",
            UpdateResponse,
            json!({"error": "no_new_version_available", "message": "m", "kind": "failed"}),
            &[("kind", "kind_matches_error")],
        ),
        case(
            "unknown kind",
            UpdateResponse,
            json!({"error": "no_channel", "message": "m", "kind": "update_available"}),
            &[("kind", "one_of")],
        ),
        case(
            "unsafe and duplicate manifest paths",
            UpdateResponse,
            with(
                update(),
                "manifest",
                json!([entry("a.js"), entry("/etc/x"), entry("a.js")]),
            ),
            &[
                ("manifest[1].file_name", "manifest_path"),
                ("manifest[2].file_name", "unique_file_name"),
            ],
        ),
        Case {
            name: "manifest path over max_path_len",
            kind: UpdateResponse,
            doc: serde_json::to_vec(&with(update(), "manifest", json!([entry("abcde")]))).unwrap(),
            limits: short_paths,
            expect: &[("manifest[0].file_name", "max_length")],
        },
        Case {
            name: "manifest over max_manifest_entries",
            kind: UpdateResponse,
            doc: serde_json::to_vec(&with(update(), "manifest", json!([entry("a"), entry("b")])))
                .unwrap(),
            limits: few_entries,
            expect: &[("manifest", "max_entries")],
        },
        case(
            "channel set without channel",
            ChannelRequest(ChannelMethod::Set),
            request(),
            &[("channel", "required")],
        ),
        case(
            "channel list query booleans",
            ChannelRequest(ChannelMethod::List),
            json!({"platform": "ios", "device_id": DEVICE, "app_id": "com.example.app",
                   "version_build": "1", "version_name": "1", "is_prod": "yes"}),
            &[("is_prod", "one_of")],
        ),
        case(
            "channel get status",
            ChannelResponse(ChannelMethod::Get),
            json!({"channel": "beta", "status": "forced"}),
            &[("status", "one_of")],
        ),
    ];
    out.sort_by_key(|c| c.name);
    out
}

#[test]
fn every_rejection_names_field_and_rule() {
    for c in cases() {
        let got = errors(c.kind, &c.doc, &c.limits);
        let want: Vec<(String, String)> = c
            .expect
            .iter()
            .map(|(f, r)| ((*f).to_owned(), (*r).to_owned()))
            .collect();
        assert_eq!(got, want, "{}", c.name);
    }
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
        .flat_map(|c| c.expect.iter().map(|(_, r)| (*r).to_owned()))
        .collect();
    seen.insert("https_url".into()); // the_v2_builder_rejects_http
    let spec = spec_rules();
    assert_eq!(spec.len(), 23, "{spec:?}");
    assert_eq!(seen, spec);
}
