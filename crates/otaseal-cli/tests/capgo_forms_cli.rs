//! @capgo/cli's own argument forms, run unchanged with otaseal (`bundle zip [APPID] --path`,
//! `bundle encrypt ZIP CHECKSUM`), in a Capacitor project laid out as Capgo's docs have it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::fs;
use std::path::Path;
use std::process::Output;

use otaseal_testkit::cli::{json_ok, stderr};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn otaseal(args: &[&str], cwd: &Path) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, Some(cwd))
}

/// A Capacitor project: capacitor.config.json (appId, webDir dist), package.json 1.2.3, a
/// built dist/ that calls notifyAppReady().
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("capacitor.config.json"),
        r#"{"appId":"com.example.app","appName":"example","webDir":"dist"}"#,
    )
    .unwrap();
    fs::write(
        p.join("package.json"),
        r#"{"name":"example","version":"1.2.3"}"#,
    )
    .unwrap();
    fs::create_dir_all(p.join("dist/assets")).unwrap();
    fs::write(
        p.join("dist/index.html"),
        "<script src=assets/app.js></script>",
    )
    .unwrap();
    fs::write(
        p.join("dist/assets/app.js"),
        "import { CapacitorUpdater } from '@capgo/capacitor-updater';\nCapacitorUpdater.notifyAppReady();\n",
    )
    .unwrap();
    dir
}

fn sha256_hex(path: &Path) -> String {
    base16ct::lower::encode_string(&Sha256::digest(fs::read(path).unwrap()))
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[test]
fn bundle_zip_without_arguments_takes_capgo_defaults() {
    let dir = project();
    let out = json_ok(&otaseal(&["bundle", "zip", "--json"], dir.path()));
    assert_eq!(keys(&out), ["bundle", "checksum", "filename"]);
    assert_eq!(out["bundle"], "1.2.3");
    assert_eq!(out["filename"], "com.example.app_1.2.3.zip");
    assert_eq!(
        out["checksum"],
        sha256_hex(&dir.path().join("com.example.app_1.2.3.zip"))
    );
}

#[test]
fn bundle_zip_capgo_form_with_appid_path_bundle_and_name() {
    let dir = project();
    let out = json_ok(&otaseal(
        &[
            "bundle",
            "zip",
            "com.other.app",
            "--path",
            "dist",
            "--bundle",
            "2.0.0",
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(out["filename"], "com.other.app_2.0.0.zip");
    assert_eq!(out["bundle"], "2.0.0");
    let named = json_ok(&otaseal(
        &[
            "bundle",
            "zip",
            "com.other.app",
            "--path",
            "dist",
            "--name",
            "web.zip",
            "--json",
            "--key-v2",
        ],
        dir.path(),
    ));
    assert_eq!(named["filename"], "web.zip");
    // The same folder gives the same zip, whatever the form.
    assert_eq!(named["checksum"], out["checksum"]);
    let own = json_ok(&otaseal(
        &["bundle", "zip", "dist", "-o", "own.zip", "--json"],
        dir.path(),
    ));
    assert_eq!(own["checksum"], out["checksum"]);
}

#[test]
fn bundle_zip_refuses_a_version_that_is_not_semver() {
    let dir = project();
    let r = otaseal(&["bundle", "zip", "--bundle", "v1", "--json"], dir.path());
    assert_eq!(r.status.code(), Some(1));
    assert!(
        stderr(&r).contains("not a semantic version"),
        "{}",
        stderr(&r)
    );
}

#[test]
fn bundle_zip_runs_capgo_code_check() {
    let dir = project();
    fs::write(dir.path().join("dist/assets/app.js"), "console.log(1)").unwrap();
    let r = otaseal(&["bundle", "zip"], dir.path());
    assert_eq!(r.status.code(), Some(1));
    assert!(stderr(&r).contains("notifyAppReady"), "{}", stderr(&r));
    assert!(!dir.path().join("com.example.app_1.2.3.zip").exists());
    assert!(
        otaseal(&["bundle", "zip", "--no-code-check"], dir.path())
            .status
            .success()
    );
    fs::remove_file(dir.path().join("dist/index.html")).unwrap();
    let r = otaseal(
        &["bundle", "zip", "--no-code-check", "-o", "x.zip"],
        dir.path(),
    );
    assert!(r.status.success(), "{}", stderr(&r));
    let r = otaseal(&["bundle", "zip", "-o", "y.zip"], dir.path());
    assert!(stderr(&r).contains("no index.html"), "{}", stderr(&r));
}

#[test]
fn bundle_zip_without_project_asks_for_names() {
    let dir = project();
    fs::remove_file(dir.path().join("capacitor.config.json")).unwrap();
    let r = otaseal(&["bundle", "zip"], dir.path());
    assert!(stderr(&r).contains("no folder to zip"), "{}", stderr(&r));
    let r = otaseal(&["bundle", "zip", "dist"], dir.path());
    assert!(stderr(&r).contains("no output name"), "{}", stderr(&r));
}

#[test]
fn bundle_encrypt_takes_capgo_checksum_argument_and_refuses_a_wrong_one() {
    let dir = project();
    let key = otaseal_testkit::vectors("capgo-cli").join("keys/k1.key");
    let key = key.to_str().unwrap();
    let zipped = json_ok(&otaseal(&["bundle", "zip", "--json"], dir.path()));
    let zip = zipped["filename"].as_str().unwrap();
    let sha = zipped["checksum"].as_str().unwrap();
    let enc = json_ok(&otaseal(
        &["bundle", "encrypt", zip, sha, "--key", key, "--json"],
        dir.path(),
    ));
    assert_eq!(enc["sha256"], sha);
    assert_eq!(enc["filename"], format!("{zip}_encrypted.zip"));
    fs::remove_file(dir.path().join(format!("{zip}_encrypted.zip"))).unwrap();

    let wrong = "0".repeat(64);
    let r = otaseal(
        &["bundle", "encrypt", zip, &wrong, "--key", key],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(
        stderr(&r).contains("is not the SHA-256 of"),
        "{}",
        stderr(&r)
    );
    assert!(!dir.path().join(format!("{zip}_encrypted.zip")).exists());

    let signed = enc["checksum"].as_str().unwrap();
    let r = otaseal(
        &["bundle", "encrypt", zip, signed, "--key", key],
        dir.path(),
    );
    assert!(
        stderr(&r).contains("not a signed checksum"),
        "{}",
        stderr(&r)
    );
}

#[test]
fn key_create_in_a_project_saves_the_public_key_in_its_config() {
    let dir = project();
    let out = json_ok(&otaseal(&["key", "create", "--json"], dir.path()));
    assert_eq!(out["config"], "capacitor.config.json");
    let config: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("capacitor.config.json")).unwrap(),
    )
    .unwrap();
    let public = fs::read_to_string(dir.path().join(".capgo_key_v2.pub")).unwrap();
    assert_eq!(config["plugins"]["CapacitorUpdater"]["publicKey"], public);
    assert_eq!(config["appId"], "com.example.app", "the rest is kept");

    // --no-config leaves the config alone and says what to run.
    let dir = project();
    let before = fs::read(dir.path().join("capacitor.config.json")).unwrap();
    let run = otaseal(&["key", "create", "--no-config"], dir.path());
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stdout).contains("otaseal key save"));
    assert_eq!(
        fs::read(dir.path().join("capacitor.config.json")).unwrap(),
        before
    );

    // Outside a project: the keys, and a note.
    let bare = tempfile::tempdir().unwrap();
    let run = otaseal(&["key", "create"], bare.path());
    assert!(String::from_utf8_lossy(&run.stdout).contains("no capacitor.config here"));
    let out = json_ok(&otaseal(
        &["key", "create", "--force", "--json"],
        bare.path(),
    ));
    assert!(out["config"].is_null());
}

#[test]
fn key_data_takes_the_pem_text_where_capgo_does() {
    let dir = project();
    let keys = otaseal_testkit::vectors("capgo-cli").join("keys");
    let private = fs::read_to_string(keys.join("k1.key")).unwrap();
    let public = fs::read_to_string(keys.join("k1.pub")).unwrap();
    let zipped = json_ok(&otaseal(&["bundle", "zip", "--json"], dir.path()));
    let zip = zipped["filename"].as_str().unwrap();
    let run = otaseal(
        &["bundle", "encrypt", zip, "--key-data", &private, "--json"],
        dir.path(),
    );
    assert!(stderr(&run).contains("--key-data puts the private key on the command line"));
    let enc = json_ok(&run);
    let dec = json_ok(&otaseal(
        &[
            "bundle",
            "decrypt",
            enc["filename"].as_str().unwrap(),
            enc["ivSessionKey"].as_str().unwrap(),
            "--checksum",
            enc["checksum"].as_str().unwrap(),
            "--key-data",
            &public,
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(dec["verified"], true);
    assert_eq!(dec["sha256"], zipped["checksum"]);
    // A device-side option refuses the private key here too.
    let run = otaseal(
        &[
            "bundle",
            "decrypt",
            "x",
            "y",
            "--checksum",
            "z",
            "--key-data",
            &private,
            "-o",
            "out.zip",
        ],
        dir.path(),
    );
    assert_eq!(run.status.code(), Some(1));
    let saved = json_ok(&otaseal(
        &["key", "save", "--key-data", &public, "--json"],
        dir.path(),
    ));
    assert_eq!(saved["config"], "capacitor.config.json");
    // --key and --key-data together are a usage error.
    let run = otaseal(
        &[
            "bundle",
            "encrypt",
            zip,
            "--key",
            "k",
            "--key-data",
            &private,
        ],
        dir.path(),
    );
    assert_eq!(run.status.code(), Some(2));
}
