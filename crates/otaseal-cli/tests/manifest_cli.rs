//! `otaseal manifest create` and `otaseal manifest apply`: round trips in both checksum forms,
//! JSON output, and the failures a user sees (spaces, tampering, traversal, wrong key).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn keys() -> PathBuf {
    otaseal_testkit::vectors("capgo-cli/keys")
}

fn otaseal(args: &[&str]) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, None)
}

fn ok(args: &[&str]) -> String {
    let out = otaseal(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = otaseal(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

fn web_folder(dir: &Path) {
    fs::create_dir_all(dir.join("assets/js")).unwrap();
    fs::write(dir.join("index.html"), b"<!doctype html><title>x</title>").unwrap();
    let js: Vec<u8> = b"export const x = 1;\n"
        .iter()
        .copied()
        .cycle()
        .take(40_000)
        .collect();
    fs::write(dir.join("assets/js/app.js"), js).unwrap();
    fs::write(dir.join("assets/empty.css"), b"").unwrap();
    fs::write(dir.join(".DS_Store"), b"junk").unwrap();
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn round_trip(format: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    web_folder(&dist);
    let out = tmp.path().join("out");
    let private = keys().join("k1.key");
    let public = keys().join("k1.pub");
    let stdout = ok(&[
        "manifest",
        "create",
        p(&dist),
        "--key",
        p(&private),
        "--base-url",
        "https://cdn.example/b1",
        "--out-dir",
        p(&out),
        "--checksum-format",
        format,
        "--json",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["files"], 2);
    assert_eq!(v["filename"], p(&out));
    let manifest = v["manifest"].as_array().unwrap();
    let names: Vec<&str> = manifest
        .iter()
        .map(|e| e["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["assets/js/app.js.br", "index.html"]);
    assert_eq!(
        manifest[1]["download_url"],
        "https://cdn.example/b1/index.html"
    );
    let hash_len = manifest[0]["file_hash"].as_str().unwrap().len();
    assert_eq!(hash_len, if format == "hex" { 512 } else { 344 });
    // manifest.json on disk is the same array.
    let on_disk: Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(&on_disk, &v["manifest"]);
    let ivsk = v["ivSessionKey"].as_str().unwrap();
    assert_eq!(ivsk.len(), 369);

    let dest = tmp.path().join("www");
    let applied = ok(&[
        "manifest",
        "apply",
        p(&out.join("manifest.json")),
        "--files",
        p(&out.join("files")),
        "--key",
        p(&public),
        "--iv-session-key",
        ivsk,
        "--out-dir",
        p(&dest),
        "--json",
    ]);
    let a: Value = serde_json::from_str(&applied).unwrap();
    assert_eq!(a["files"], 2);
    assert_eq!(a["verified"], true);
    assert_eq!(
        fs::read(dest.join("index.html")).unwrap(),
        fs::read(dist.join("index.html")).unwrap()
    );
    assert_eq!(
        fs::read(dest.join("assets/js/app.js")).unwrap(),
        fs::read(dist.join("assets/js/app.js")).unwrap()
    );
    assert!(!dest.join("assets/empty.css").exists());
    assert!(!dest.join(".DS_Store").exists());

    // @FILE for the session key, and --force to replace the folder.
    let ivsk_file = tmp.path().join("ivsk.txt");
    fs::write(&ivsk_file, format!("{ivsk}\n")).unwrap();
    let at = format!("@{}", p(&ivsk_file));
    let err = fails(&[
        "manifest",
        "apply",
        p(&out.join("manifest.json")),
        "--files",
        p(&out.join("files")),
        "--key",
        p(&public),
        "--iv-session-key",
        &at,
        "--out-dir",
        p(&dest),
    ]);
    assert!(err.contains("already exists"), "{err}");
    let text = ok(&[
        "manifest",
        "apply",
        p(&out.join("manifest.json")),
        "--files",
        p(&out.join("files")),
        "--key",
        p(&public),
        "--iv-session-key",
        &at,
        "--out-dir",
        p(&dest),
        "--force",
    ]);
    assert!(text.contains("2 files"), "{text}");
}

#[test]
fn round_trip_hex() {
    round_trip("hex");
}

#[test]
fn round_trip_base64() {
    round_trip("base64");
}

#[test]
fn failures_name_their_cause_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let private = keys().join("k1.key");
    let public = keys().join("k1.pub");

    // Spaces in names are refused as @capgo/cli does.
    let spaced = tmp.path().join("spaced");
    fs::create_dir_all(&spaced).unwrap();
    fs::write(spaced.join("my file.js"), b"x").unwrap();
    let out = tmp.path().join("out-spaced");
    let err = fails(&[
        "manifest",
        "create",
        p(&spaced),
        "--key",
        p(&private),
        "--base-url",
        "https://x/",
        "--out-dir",
        p(&out),
    ]);
    assert!(err.contains("space") && err.contains("rename"), "{err}");
    assert!(!out.exists());

    // A good update, then broken copies of it.
    let dist = tmp.path().join("dist");
    web_folder(&dist);
    let out = tmp.path().join("out");
    let v: Value = serde_json::from_str(&ok(&[
        "manifest",
        "create",
        p(&dist),
        "--key",
        p(&private),
        "--base-url",
        "https://x/",
        "--out-dir",
        p(&out),
        "--json",
    ]))
    .unwrap();
    let ivsk = v["ivSessionKey"].as_str().unwrap().to_owned();
    let manifest_path = out.join("manifest.json");
    let files = out.join("files");
    let dest = tmp.path().join("www");
    let apply = |manifest: &Path, key: &Path| {
        fails(&[
            "manifest",
            "apply",
            p(manifest),
            "--files",
            p(&files),
            "--key",
            p(key),
            "--iv-session-key",
            &ivsk,
            "--out-dir",
            p(&dest),
        ])
    };

    // Tampered file.
    let target = files.join("index.html");
    let original = fs::read(&target).unwrap();
    let mut bad = original.clone();
    bad[0] ^= 1;
    fs::write(&target, &bad).unwrap();
    let err = apply(&manifest_path, &public);
    assert!(err.contains("failed verification"), "{err}");
    assert!(!dest.exists());
    fs::write(&target, &original).unwrap();

    // Traversal in file_name.
    let mut entries: Value = serde_json::from_slice(&fs::read(&manifest_path).unwrap()).unwrap();
    entries[1]["file_name"] = Value::from("../../etc/passwd");
    let evil = tmp.path().join("evil.json");
    fs::write(&evil, serde_json::to_vec(&entries).unwrap()).unwrap();
    let err = apply(&evil, &public);
    assert!(err.contains("unsafe or invalid file name"), "{err}");
    assert!(!dest.exists());

    // Not JSON.
    fs::write(&evil, b"{not json").unwrap();
    let err = apply(&evil, &public);
    assert!(err.contains("not an acceptable manifest"), "{err}");

    // Another key.
    let err = apply(&manifest_path, &keys().join("k2.pub"));
    assert!(err.contains("does not open"), "{err}");
    assert!(!dest.exists());
}

#[test]
fn create_refuses_unicode_twins_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    web_folder(&dist);
    // "é.txt" in NFC and in NFD: one file on APFS and HFS+.
    fs::write(dist.join("\u{e9}.txt"), b"nfc").unwrap();
    fs::write(dist.join("e\u{301}.txt"), b"nfd").unwrap();
    let out = tmp.path().join("out");
    let err = fails(&[
        "manifest",
        "create",
        p(&dist),
        "--key",
        p(&keys().join("k1.key")),
        "--base-url",
        "https://cdn.example/b1",
        "--out-dir",
        p(&out),
    ]);
    assert!(
        err.contains("\"\u{e9}.txt\"") && err.contains(r#""e\u{301}.txt""#),
        "{err}"
    );
    assert!(!out.exists());
}
