//! One `--json` vocabulary: every key that any command prints is a key of the table in
//! `docs/json.md`, and none of the retired spellings (`iv_session_key`, `session_key`,
//! `out_dir`, `output`, `bytes`, `ok`) appears. The commands run here cover every `--json`
//! output of otaseal, successes and V3 failures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn otaseal(args: &[&str], cwd: &Path) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, Some(cwd))
}

fn vector(rel: &str) -> String {
    otaseal_testkit::vectors("").join(rel).display().to_string()
}

/// The keys documented in `docs/json.md`: the first cell of each table row, in backticks.
fn documented() -> BTreeSet<String> {
    let doc = fs::read_to_string(otaseal_testkit::repo_root().join("docs/json.md")).unwrap();
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// Every object key in `v`, recursively, with the command that printed it.
fn collect(v: &Value, command: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.entry(k.clone()).or_default().insert(command.to_owned());
                // Entries of a delta manifest are Capgo's objects, and the CPU features a map
                // of flags: each documented as one key.
                if k != "manifest" && k != "cpu_features" {
                    collect(x, command, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, command, out)),
        _ => {}
    }
}

struct Session {
    dir: tempfile::TempDir,
    seen: BTreeMap<String, BTreeSet<String>>,
    runs: usize,
}

impl Session {
    /// Runs `args` (with `--json` appended), which must print one JSON object.
    fn json(&mut self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = otaseal(&all, self.dir.path());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: {e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        collect(&v, &args[..2.min(args.len())].join(" "), &mut self.seen);
        self.runs += 1;
        v
    }
}

#[test]
fn every_json_key_is_in_docs_json_md() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_path_buf();
    fs::write(
        p.join("capacitor.config.json"),
        "{\n  \"appId\": \"com.example.app\",\n  \"webDir\": \"dist\"\n}\n",
    )
    .unwrap();
    fs::write(p.join("package.json"), r#"{"version":"1.0.0"}"#).unwrap();
    fs::create_dir_all(p.join("dist/js")).unwrap();
    fs::write(p.join("dist/index.html"), "<script src=js/app.js></script>").unwrap();
    fs::write(
        p.join("dist/js/app.js"),
        "CapacitorUpdater.notifyAppReady();".repeat(400),
    )
    .unwrap();
    let mut s = Session {
        dir,
        seen: BTreeMap::new(),
        runs: 0,
    };
    let k1 = vector("capgo-cli/keys/k1.key");
    let k1p = vector("capgo-cli/keys/k1.pub");

    s.json(&["key", "create", "--dir", "keys"]);
    s.json(&["key", "inspect", &k1p]);
    s.json(&["key", "save", "--key", &k1p]);
    let zip = s.json(&["bundle", "zip"]);
    let zip = zip["filename"].as_str().unwrap().to_owned();
    let enc = s.json(&["bundle", "encrypt", &zip, "--key", &k1, "-o", "b.enc"]);
    let (ivsk, sum) = (
        enc["ivSessionKey"].as_str().unwrap().to_owned(),
        enc["checksum"].as_str().unwrap().to_owned(),
    );
    s.json(&[
        "bundle",
        "decrypt",
        "b.enc",
        &ivsk,
        "--checksum",
        &sum,
        "--key",
        &k1p,
        "-o",
        "b.zip",
    ]);
    s.json(&[
        "bundle",
        "inspect",
        "--key",
        &k1p,
        "--iv-session-key",
        &ivsk,
        "--checksum",
        &sum,
    ]);
    let delta = s.json(&[
        "manifest",
        "create",
        "dist",
        "--key",
        &k1,
        "--base-url",
        "https://cdn.example/1",
        "--out-dir",
        "delta",
    ]);
    s.json(&[
        "manifest",
        "apply",
        "delta/manifest.json",
        "--files",
        "delta/files",
        "--iv-session-key",
        delta["ivSessionKey"].as_str().unwrap(),
        "--key",
        &k1p,
        "--out-dir",
        "applied",
    ]);
    let v1 =
        &otaseal_testkit::read_json(otaseal_testkit::vectors("capgo-cli/manifest.json"))["v1"][1];
    s.json(&[
        "migrate",
        "bundle",
        &vector(&format!("capgo-cli/{}", v1["encrypted"].as_str().unwrap())),
        "--v1-key",
        &vector("capgo-cli/keys/v1k1.key"),
        "--iv-session-key",
        v1["iv_session_key"].as_str().unwrap(),
        "--key",
        &k1,
        "-o",
        "migrated.enc",
    ]);
    let v1_args = |extra: &[&str]| {
        let mut a = vec![
            "migrate".to_owned(),
            "bundle".to_owned(),
            vector(&format!("capgo-cli/{}", v1["encrypted"].as_str().unwrap())),
            "--v1-key".to_owned(),
            vector("capgo-cli/keys/v1k1.key"),
            "--iv-session-key".to_owned(),
            v1["iv_session_key"].as_str().unwrap().to_owned(),
            "--key".to_owned(),
            k1.clone(),
            "--crc32".to_owned(),
            v1["crc32"].as_str().unwrap().to_owned(),
        ];
        a.extend(extra.iter().map(|x| (*x).to_owned()));
        a
    };
    let args = v1_args(&["-o", "dry.enc", "--dry-run"]);
    s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    fs::write(
        p.join("list.json"),
        serde_json::to_vec(&serde_json::json!([{
            "file": vector(&format!("capgo-cli/{}", v1["encrypted"].as_str().unwrap())),
            "ivSessionKey": v1["iv_session_key"],
        }]))
        .unwrap(),
    )
    .unwrap();
    s.json(&[
        "migrate",
        "batch",
        "list.json",
        "--v1-key",
        &vector("capgo-cli/keys/v1k1.key"),
        "--key",
        &k1,
        "--out-dir",
        "v2",
    ]);
    fs::create_dir(p.join("v1keys")).unwrap();
    fs::copy(
        vector("capgo-cli/keys/v1k1.key"),
        p.join("v1keys/.capgo_key"),
    )
    .unwrap();
    fs::copy(
        vector("capgo-cli/keys/v1k1.pub"),
        p.join("v1keys/.capgo_key.pub"),
    )
    .unwrap();
    s.json(&["migrate", "keys", "--dir", "v1keys", "--dry-run"]);
    s.json(&["migrate", "config", "--key", &k1p, "--dry-run"]);
    let (signer, recipient) = (
        vector("v3/keys/signer1.key"),
        vector("v3/keys/recipient1.pub"),
    );
    let seal = |out: &str, seq: &str| {
        vec![
            "seal".to_owned(),
            zip.clone(),
            "--signing-key".to_owned(),
            signer.clone(),
            "--recipient".to_owned(),
            recipient.clone(),
            "--app-id".to_owned(),
            "com.example.app".to_owned(),
            "--channel".to_owned(),
            "production".to_owned(),
            "--version".to_owned(),
            "1.0.0".to_owned(),
            "--sequence".to_owned(),
            seq.to_owned(),
            "-o".to_owned(),
            out.to_owned(),
        ]
    };
    let args = seal("b.v3", "5");
    s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    s.json(&["seal", "inspect", "b.v3"]);
    let open = |sealed: &str, out: &str, extra: &[&str]| {
        let mut a = vec![
            "open".to_owned(),
            sealed.to_owned(),
            "--trust".to_owned(),
            vector("v3/keys/signer1.pub"),
            "--decryption-key".to_owned(),
            vector("v3/keys/recipient1.key"),
            "--app-id".to_owned(),
            "com.example.app".to_owned(),
            "--channel".to_owned(),
            "production".to_owned(),
            "--state".to_owned(),
            "state.json".to_owned(),
            "-o".to_owned(),
            out.to_owned(),
        ];
        a.extend(extra.iter().map(|x| (*x).to_owned()));
        a
    };
    let args = open("b.v3", "opened.zip", &[]);
    s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // The same sequence again: a V3 failure, as JSON.
    let args = open("b.v3", "again.zip", &[]);
    let failed = s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(failed["error"], "rollback");
    s.json(&[
        "key",
        "rotate",
        "--from",
        &signer,
        "--to",
        &vector("v3/keys/signer2.key"),
        "--app-id",
        "com.example.app",
        "--key-set-version",
        "2",
        "-o",
        "rotation.bin",
    ]);
    let args = seal("b6.v3", "6");
    s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let args = open("b6.v3", "opened6.zip", &["--rotation", "rotation.bin"]);
    let rotated = s.json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(rotated["rotations"][0]["applied"], true, "{rotated}");
    let fixtures = otaseal_testkit::repo_root().join("crates/otaseal-protocol/tests/fixtures");
    s.json(&[
        "protocol",
        "validate",
        "request",
        &fixtures
            .join("update.request.android.json")
            .display()
            .to_string(),
    ]);
    fs::write(p.join("bad.json"), br#"{"app_id": "not an app id"}"#).unwrap();
    s.json(&["protocol", "validate", "request", "bad.json"]);
    s.json(&[
        "protocol",
        "validate",
        "channel",
        &fixtures
            .join("channel.get.request.json")
            .display()
            .to_string(),
    ]);
    let bench = s.json(&["bench", "--size", "4K", "--seconds", "0.01"]);
    fs::write(p.join("bench.json"), bench.to_string()).unwrap();
    s.json(&["bench", "--load", "bench.json", "--compare", "bench.json"]);

    let documented = documented();
    let retired = [
        "iv_session_key",
        "session_key",
        "out_dir",
        "output",
        "bytes",
        "ok",
    ];
    for r in retired {
        assert!(
            !documented.contains(r),
            "docs/json.md documents retired {r}"
        );
    }
    let unknown: Vec<String> = s
        .seen
        .iter()
        .filter(|(k, _)| !documented.contains(*k))
        .map(|(k, cmds)| format!("{k} (from {cmds:?})"))
        .collect();
    assert!(
        unknown.is_empty(),
        "keys missing from docs/json.md: {unknown:#?}"
    );
    // Every documented key is printed by some command here (the table has no dead rows).
    let unused: Vec<&String> = documented
        .iter()
        .filter(|k| !s.seen.contains_key(*k))
        .collect();
    assert!(
        unused.is_empty(),
        "documented but never printed: {unused:?}"
    );
    assert!(s.runs >= 18);
}
