//! The `otaseal migrate` commands, run as a user runs them: every `@capgo/cli@4.34.6` V1 vector
//! migrated and then opened by `otaseal bundle decrypt` as plain V2, failures that leave
//! nothing, a resumable batch, key pair creation and capacitor.config rewriting.
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

use otaseal_keys::{Limits, PrivateKey, PublicKey};
use otaseal_testkit::cli::{json_ok, stderr};
use otaseal_testkit::entries as names;
use serde_json::{Value, json};

fn otaseal(args: &[&str], cwd: &Path) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, Some(cwd))
}

fn vectors() -> PathBuf {
    otaseal_testkit::vectors("capgo-cli")
}

fn key_path(name: &str) -> String {
    vectors().join("keys").join(name).display().to_string()
}

fn manifest() -> Value {
    serde_json::from_slice(&fs::read(vectors().join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn every_v1_vector_migrates_to_a_bundle_that_otaseal_bundle_decrypt_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest();
    let list = m["v1"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for v in list {
        let id = v["id"].as_str().unwrap();
        let plain = fs::read(vectors().join(v["plain"].as_str().unwrap())).unwrap();
        let src = dir.path().join(format!("{id}.zip"));
        fs::copy(vectors().join(v["encrypted"].as_str().unwrap()), &src).unwrap();
        for format in ["hex", "base64"] {
            let out_name = format!("{id}.{format}.v2.zip");
            let out = json_ok(&otaseal(
                &[
                    "migrate",
                    "bundle",
                    &format!("{id}.zip"),
                    "--v1-key",
                    &key_path("v1k1.key"),
                    "--iv-session-key",
                    v["iv_session_key"].as_str().unwrap(),
                    "--crc32",
                    v["crc32"].as_str().unwrap(),
                    "--key",
                    &key_path("k1.key"),
                    "--checksum-format",
                    format,
                    "-o",
                    &out_name,
                    "--json",
                ],
                dir.path(),
            ));
            let mut keys: Vec<&str> = out
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, ["checksum", "filename", "ivSessionKey", "sha256"]);
            assert_eq!(out["filename"], out_name.as_str());
            let checksum = out["checksum"].as_str().unwrap();
            if format == "hex" {
                assert_eq!(checksum.len(), 512);
            } else {
                assert_eq!(checksum.len(), 344);
            }
            // Plain V2: our V2 decrypt opens it with the V2 public key and the signed checksum.
            let dec = json_ok(&otaseal(
                &[
                    "bundle",
                    "decrypt",
                    &out_name,
                    out["ivSessionKey"].as_str().unwrap(),
                    "--key",
                    &key_path("k1.pub"),
                    "--checksum",
                    checksum,
                    "-o",
                    &format!("{id}.{format}.plain"),
                    "--json",
                ],
                dir.path(),
            ));
            assert_eq!(dec["sha256"], out["sha256"]);
            assert_eq!(
                fs::read(dir.path().join(format!("{id}.{format}.plain"))).unwrap(),
                plain,
                "{id} {format}"
            );
        }
    }
    // Default output name, and the V1 key warning on stderr.
    let v = &list[1];
    let out = otaseal(
        &[
            "migrate",
            "bundle",
            "rand-17.v1k1.zip",
            "--v1-key",
            &key_path("v1k1.key"),
            "--iv-session-key",
            v["iv_session_key"].as_str().unwrap(),
            "--key",
            &key_path("k1.key"),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("treat it as public"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no --crc32 given"), "{text}");
    assert!(dir.path().join("rand-17.v1k1.zip_v2.zip").is_file());
}

#[test]
fn failed_migrations_name_the_cause_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest();
    let v = &m["v1"][3];
    fs::copy(
        vectors().join(v["encrypted"].as_str().unwrap()),
        dir.path().join("b.zip"),
    )
    .unwrap();
    let ivsk = v["iv_session_key"].as_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["migrate", "bundle", "b.zip", "--iv-session-key", ivsk];
        args.extend_from_slice(extra);
        otaseal(&args, dir.path())
    };
    let k1 = key_path("k1.key");
    let k2 = key_path("k2.key");
    let v1 = key_path("v1k1.key");
    for (extra, expect) in [
        (
            vec!["--v1-key", k2.as_str(), "--key", k1.as_str()],
            "failed to decrypt and verify",
        ),
        (
            vec![
                "--v1-key",
                v1.as_str(),
                "--key",
                k1.as_str(),
                "--crc32",
                "00000001",
            ],
            "failed to decrypt and verify",
        ),
        (
            vec![
                "--v1-key",
                v1.as_str(),
                "--key",
                k1.as_str(),
                "--crc32",
                "xyz",
            ],
            "invalid --crc32",
        ),
        (
            vec!["--v1-key", v1.as_str(), "--key", v1.as_str()],
            "must never be reused",
        ),
        (
            vec![
                "--v1-key",
                key_path("v1k1.pub").as_str(),
                "--key",
                k1.as_str(),
            ],
            "V1 private key",
        ),
    ] {
        let out = run(&extra);
        assert!(!out.status.success(), "{extra:?} should fail");
        assert!(stderr(&out).contains(expect), "{extra:?}: {}", stderr(&out));
        assert_eq!(names(dir.path()), ["b.zip"], "{extra:?} left nothing");
    }
    // A dry run checks the V1 side and writes nothing.
    let out = json_ok(&run(&[
        "--v1-key",
        &v1,
        "--key",
        &k1,
        "--crc32",
        v["crc32"].as_str().unwrap(),
        "--dry-run",
        "--json",
    ]));
    assert_eq!(out["dry_run"], true);
    assert_eq!(out["crc32"], v["crc32"]);
    assert_eq!(names(dir.path()), ["b.zip"]);
    // An existing output is not replaced without --force.
    fs::write(dir.path().join("b.zip_v2.zip"), b"old").unwrap();
    let out = run(&["--v1-key", &v1, "--key", &k1]);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(fs::read(dir.path().join("b.zip_v2.zip")).unwrap(), b"old");
    let out = run(&["--v1-key", &v1, "--key", &k1, "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn batch_migrates_reports_failures_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("v1");
    fs::create_dir(&input).unwrap();
    let l = Limits::default();
    let v1_public = PublicKey::from_bytes(&fs::read(key_path("v1k1.pub")).unwrap(), &l).unwrap();
    let mut list = Vec::new();
    let mut plains = Vec::new();
    for i in 0..10usize {
        let plain: Vec<u8> = (0..i * 100 + 3).map(|j| (j * 31 + i) as u8).collect();
        let (mut ct, ivsk, crc) =
            otaseal_migrate::v1::insecure_testing::encrypt(&plain, &v1_public).unwrap();
        if i == 6 {
            let n = ct.len();
            ct[n - 1] ^= 0x55;
        }
        fs::write(input.join(format!("b{i}.zip")), ct).unwrap();
        list.push(json!({"file": format!("b{i}.zip"), "ivSessionKey": ivsk.to_string(), "checksum": crc.to_string()}));
        plains.push(plain);
    }
    fs::write(input.join("list.json"), serde_json::to_vec(&list).unwrap()).unwrap();
    let args = [
        "migrate",
        "batch",
        "v1/list.json",
        "--v1-key",
        &key_path("v1k1.key"),
        "--key",
        &key_path("k1.key"),
        "--out-dir",
        "v2",
        "--json",
    ];
    // Dry run first: nothing written.
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let dry = otaseal(&dry_args, dir.path());
    assert!(!dry.status.success());
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(
        (report["checked"].as_u64(), report["failed"].as_u64()),
        (Some(9), Some(1))
    );
    assert!(!dir.path().join("v2").exists());

    let first = otaseal(&args, dir.path());
    assert!(!first.status.success(), "one bundle failed: exit status 1");
    assert!(
        stderr(&first).contains("1 of 10 bundles failed"),
        "{}",
        stderr(&first)
    );
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(report["migrated"], 9);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["bundles"][6]["status"], "failed");
    assert!(
        report["bundles"][6]["message"]
            .as_str()
            .unwrap()
            .contains("b6.zip")
    );
    assert_eq!(
        serde_json::from_slice::<Value>(
            &fs::read(dir.path().join("v2/otaseal-migrate.report.json")).unwrap()
        )
        .unwrap(),
        report
    );
    // Every migrated bundle opens as plain V2 with `bundle decrypt`.
    for (i, plain) in plains.iter().enumerate() {
        let r = &report["bundles"][i];
        if i == 6 {
            assert!(!dir.path().join("v2/b6.zip").exists());
            continue;
        }
        assert_eq!(r["filename"], format!("b{i}.zip"));
        let dec = json_ok(&otaseal(
            &[
                "bundle",
                "decrypt",
                &format!("v2/b{i}.zip"),
                r["ivSessionKey"].as_str().unwrap(),
                "--key",
                &key_path("k1.pub"),
                "--checksum",
                r["checksum"].as_str().unwrap(),
                "-o",
                &format!("p{i}"),
                "--json",
            ],
            dir.path(),
        ));
        assert_eq!(dec["sha256"], r["sha256"]);
        assert_eq!(&fs::read(dir.path().join(format!("p{i}"))).unwrap(), plain);
    }
    // Fix the broken bundle and run again: only it is done.
    let (ct, ivsk, crc) =
        otaseal_migrate::v1::insecure_testing::encrypt(&plains[6], &v1_public).unwrap();
    fs::write(input.join("b6.zip"), ct).unwrap();
    list[6] =
        // The list's older spelling, iv_session_key, is still read.
        json!({"file": "b6.zip", "iv_session_key": ivsk.to_string(), "checksum": crc.to_string()});
    fs::write(input.join("list.json"), serde_json::to_vec(&list).unwrap()).unwrap();
    let second = json_ok(&otaseal(&args, dir.path()));
    assert_eq!(second["runs"], 2);
    assert_eq!(second["resumed"], 9);
    assert_eq!(second["migrated_this_run"], 1);
    assert_eq!(second["failed"], 0);
    assert_eq!(second["bundles"][6]["run"], 2);
    assert_eq!(second["bundles"][0]["run"], 1);
    // Text mode summarises.
    let text = otaseal(&args[..args.len() - 1], dir.path());
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("migrated 10 bundles (0 in this run, 10 from earlier runs), 0 failed")
    );
    // A broken list is an error that names it.
    fs::write(input.join("bad.json"), b"{\"file\": 1}").unwrap();
    let out = otaseal(
        &[
            "migrate",
            "batch",
            "v1/bad.json",
            "--v1-key",
            &key_path("v1k1.key"),
            "--key",
            &key_path("k1.key"),
            "--out-dir",
            "v2",
        ],
        dir.path(),
    );
    assert!(
        stderr(&out).contains("cannot read the batch list v1/bad.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn keys_creates_a_new_v2_pair_next_to_the_v1_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(key_path("v1k1.key"), dir.path().join(".capgo_key")).unwrap();
    fs::copy(key_path("v1k1.pub"), dir.path().join(".capgo_key.pub")).unwrap();
    let dry = json_ok(&otaseal(
        &["migrate", "keys", "--dry-run", "--json"],
        dir.path(),
    ));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(names(dir.path()), [".capgo_key", ".capgo_key.pub"]);
    let out = otaseal(&["migrate", "keys", "--json"], dir.path());
    assert!(stderr(&out).contains("treat it as public"));
    let out = json_ok(&out);
    assert_eq!(
        names(dir.path()),
        [
            ".capgo_key",
            ".capgo_key.pub",
            ".capgo_key_v2",
            ".capgo_key_v2.pub"
        ]
    );
    let l = Limits::default();
    let v2 =
        PrivateKey::from_bytes(&fs::read(dir.path().join(".capgo_key_v2")).unwrap(), &l).unwrap();
    assert!(v2.public_key().capgo_compatible());
    assert_eq!(
        out["fingerprint"],
        v2.public_key().fingerprint().to_string()
    );
    assert_ne!(out["fingerprint"], out["v1_fingerprint"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join(".capgo_key_v2"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Not twice without --force.
    let again = otaseal(&["migrate", "keys"], dir.path());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    // A V1 public key of another pair is refused.
    let other = tempfile::tempdir().unwrap();
    fs::copy(key_path("v1k1.key"), other.path().join(".capgo_key")).unwrap();
    fs::copy(key_path("k1.pub"), other.path().join(".capgo_key.pub")).unwrap();
    let out = otaseal(&["migrate", "keys"], other.path());
    assert!(
        stderr(&out).contains("are not one key pair"),
        "{}",
        stderr(&out)
    );
    assert_eq!(names(other.path()), [".capgo_key", ".capgo_key.pub"]);
}

#[test]
fn config_replaces_the_v1_private_key_with_the_v2_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let v1_pem = fs::read_to_string(key_path("v1k1.key")).unwrap();
    let config = json!({
        "appId": "com.example.app",
        "webDir": "dist",
        "plugins": {"CapacitorUpdater": {"autoUpdate": true, "privateKey": v1_pem}, "Other": {"x": 1}}
    });
    let text = serde_json::to_string_pretty(&config).unwrap() + "\n";
    fs::write(dir.path().join("capacitor.config.json"), &text).unwrap();
    // The V1 key's own public half is refused as the "V2" key.
    let out = otaseal(
        &["migrate", "config", "--key", &key_path("v1k1.pub")],
        dir.path(),
    );
    assert!(
        stderr(&out).contains("public half of the V1 private key"),
        "{}",
        stderr(&out)
    );
    // Dry run: nothing changes.
    let out = json_ok(&otaseal(
        &[
            "migrate",
            "config",
            "--key",
            &key_path("k1.pub"),
            "--dry-run",
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(out["changed"], true);
    assert_eq!(
        fs::read_to_string(dir.path().join("capacitor.config.json")).unwrap(),
        text
    );
    let out = json_ok(&otaseal(
        &["migrate", "config", "--key", &key_path("k1.pub"), "--json"],
        dir.path(),
    ));
    assert_eq!(out["removed_private_key"], true);
    let new: Value =
        serde_json::from_slice(&fs::read(dir.path().join("capacitor.config.json")).unwrap())
            .unwrap();
    let want = manifest()["keys"]["k1"]["capacitor_config_public_key"].clone();
    assert_eq!(new["plugins"]["CapacitorUpdater"]["publicKey"], want);
    assert!(
        new["plugins"]["CapacitorUpdater"]
            .get("privateKey")
            .is_none()
    );
    assert_eq!(new["plugins"]["CapacitorUpdater"]["autoUpdate"], true);
    assert_eq!(new["plugins"]["Other"], json!({"x": 1}));
    assert_eq!(new["appId"], "com.example.app");

    // A TypeScript config.
    let ts = "import type { CapacitorConfig } from '@capacitor/cli';\n\nconst config: CapacitorConfig = {\n  appId: 'com.example.app',\n  plugins: {\n    CapacitorUpdater: {\n      privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nMII\\n-----END RSA PRIVATE KEY-----\\n',\n      autoUpdate: true,\n    },\n  },\n};\n\nexport default config;\n";
    let ts_path = dir.path().join("capacitor.config.ts");
    fs::write(&ts_path, ts).unwrap();
    let out = json_ok(&otaseal(
        &[
            "migrate",
            "config",
            "--config",
            "capacitor.config.ts",
            "--key",
            &key_path("k1.pub"),
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(out["removed_private_key"], true);
    let new_ts = fs::read_to_string(&ts_path).unwrap();
    let literal = serde_json::to_string(want.as_str().unwrap()).unwrap();
    assert_eq!(
        new_ts,
        ts.replace(
            "privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nMII\\n-----END RSA PRIVATE KEY-----\\n'",
            &format!("publicKey: {literal}")
        )
    );
}
