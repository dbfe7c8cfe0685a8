//! `otaseal protocol validate`: exit codes, messages and the `--json` report, on the golden
//! fixtures of `otaseal-protocol` and on broken documents.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::{Value, json};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../otaseal-protocol/tests/fixtures")
        .join(name)
}

fn otaseal(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = otaseal_testkit::cli::command(env!("CARGO_BIN_EXE_otaseal"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        // A broken pipe only means the command stopped reading early.
        let _ = pipe.write_all(bytes);
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn validate_file(kind: &str, name: &str, extra: &[&str]) -> Output {
    let path = fixture(name);
    let mut args = vec!["protocol", "validate", kind, path.to_str().unwrap()];
    args.extend_from_slice(extra);
    otaseal(&args, None)
}

#[test]
fn golden_fixtures_are_valid() {
    let cases = [
        ("request", "update.request.android.json", None),
        ("request", "update.request.ios.json", None),
        ("response", "update.available.json", None),
        ("response", "update.manifest.json", None),
        ("response", "update.up-to-date.json", None),
        ("response", "update.blocked.major.json", None),
        ("response", "update.rate-limited.json", None),
        ("stats", "stats.single.android.json", None),
        ("stats", "stats.batch.ios.json", None),
        ("stats-response", "stats.response.batch.json", None),
        ("channel", "channel.set.request.json", None),
        ("channel", "channel.get.request.json", None),
        ("channel", "channel.delete.request.json", Some("delete")),
        ("channel", "channel.list.query.json", Some("list")),
        ("channel-response", "channel.list.response.json", None),
        ("channel-response", "channel.get.response.json", None),
        ("channel-response", "channel.error.json", Some("get")),
    ];
    for (kind, name, method) in cases {
        let mut extra = vec![];
        if let Some(m) = method {
            extra.extend(["--method", m]);
        }
        let out = validate_file(kind, name, &extra);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("ok: "), "{name}: {stdout}");
    }
}

#[test]
fn json_report_for_a_valid_document() {
    let out = validate_file("channel", "channel.set.request.json", &["--json"]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report,
        json!({"valid": true, "kind": "channel", "errors": [], "method": "set"})
    );
}

#[test]
fn invalid_documents_exit_1_naming_field_and_rule() {
    let body = br#"{"platform":"web","device_id":"nope","app_id":"com.example.app","version_build":"1.0","version_name":"1.0.1","plugin_version":"8.51.14"}"#;
    let out = otaseal(&["protocol", "validate", "request", "-"], Some(body));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("platform: \"web\" is not one of ios, android, electron [rule one_of]"),
        "{stderr}"
    );
    assert!(stderr.contains("device_id: is not a UUID"), "{stderr}");
    assert!(
        stderr.contains(
            "error: - is not a valid update request: platform breaks rule one_of (and 1 more)"
        ),
        "{stderr}"
    );

    let out = otaseal(
        &["protocol", "validate", "request", "-", "--json"],
        Some(body),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], json!(false));
    assert_eq!(report["kind"], json!("request"));
    let errors: Vec<(String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
            (
                e["field"].as_str().unwrap().to_owned(),
                e["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("platform".to_owned(), "one_of".to_owned()),
            ("device_id".to_owned(), "uuid".to_owned())
        ]
    );
}

#[test]
fn duplicate_keys_are_rejected() {
    // The same key twice with different values: a validator cannot know which one a device
    // reads.
    let body = br#"{"platform":"android","device_id":"0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b","app_id":"com.example.app","version_build":"1.0","version_name":"1.0.1","version_name":"9.9.9","plugin_version":"8.51.14"}"#;
    let out = otaseal(
        &["protocol", "validate", "request", "-", "--json"],
        Some(body),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], json!(false));
    assert_eq!(report["errors"].as_array().unwrap().len(), 1);
    assert_eq!(report["errors"][0]["field"], json!("version_name"));
    assert_eq!(report["errors"][0]["rule"], json!("unique_key"));
}

#[test]
fn manifest_names_follow_the_device_rules() {
    let entry = |name: &str| json!({"file_name": name, "file_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "download_url": "https://cdn.example.com/f"});
    let body = json!({
        "version": "1.0.1",
        "url": "https://cdn.example.com/b.zip",
        "session_key": "",
        "checksum": null,
        "manifest": [entry("x%2Fy"), entry("A.js"), entry("a.js")],
    });
    let out = otaseal(
        &["protocol", "validate", "response", "-", "--json"],
        Some(&serde_json::to_vec(&body).unwrap()),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<(&str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("manifest[0].file_name", "manifest_path"),
            ("manifest[2].file_name", "unique_file_name")
        ]
    );
}

#[test]
fn a_success_body_with_an_error_key_is_rejected() {
    // The self-hosting docs' channel success with "error": "" reads as a failure on Android.
    let out = otaseal(
        &["protocol", "validate", "channel-response", "-", "--json"],
        Some(br#"{"status":"ok","error":""}"#),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["field"], json!("error"));
    assert_eq!(report["errors"][0]["rule"], json!("non_empty"));
    // And an update without kind is classified as failed by current plugins.
    let out = otaseal(
        &["protocol", "validate", "response", "-"],
        Some(br#"{"error":"no_new_version_available","message":"No new version available"}"#),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kind: is required [rule required]"));
}

#[test]
fn broken_and_oversized_input() {
    let out = otaseal(
        &["protocol", "validate", "stats", "-", "--json"],
        Some(b"{nope"),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["field"], json!("$"));
    assert_eq!(report["errors"][0]["rule"], json!("json_syntax"));

    let big = vec![b' '; (8 << 20) + 1];
    let out = otaseal(
        &["protocol", "validate", "stats", "-", "--json"],
        Some(&big),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["rule"], json!("max_json_len"));
    assert_eq!(
        report["errors"][0]["message"],
        json!("a JSON document of 8388609 bytes is more than the limit of 8388608 bytes")
    );

    // Far more than the limit, on standard input and in a file: the limit is 8 MiB, and a
    // file's own size is reported.
    let bigger = vec![b' '; 9 << 20];
    let out = otaseal(&["protocol", "validate", "stats", "-"], Some(&bigger));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("$: a JSON document of 8388609 bytes is more than the limit of 8388608 bytes [rule max_json_len]"),
        "{stderr}"
    );
    let path =
        std::env::temp_dir().join(format!("otaseal-protocol-cli-{}.json", std::process::id()));
    std::fs::write(&path, &bigger).unwrap();
    let out = otaseal(
        &[
            "protocol",
            "validate",
            "stats",
            path.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["errors"][0]["message"],
        json!("a JSON document of 9437184 bytes is more than the limit of 8388608 bytes")
    );

    let out = otaseal(
        &["protocol", "validate", "stats", "-", "--method", "set"],
        Some(b"[]"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--method applies to channel"));

    let out = otaseal(
        &["protocol", "validate", "stats", "/nonexistent/otaseal.json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot open"));
}
