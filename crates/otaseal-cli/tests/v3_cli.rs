//! `otaseal seal`, `otaseal seal inspect`, `otaseal seal from-v2` and `otaseal open`
//! (`spec/v3.md`): round trips, JSON output, and every refusal leaving the output untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use otaseal_testkit::cli::{json_of, stderr};
use serde_json::Value;

const APP: &str = "com.example.app";

fn vectors() -> PathBuf {
    otaseal_testkit::vectors("v3")
}

fn key(name: &str, ext: &str) -> String {
    vectors()
        .join(format!("keys/{name}.{ext}"))
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, None)
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Seals `plain` with signer1 for recipient1 at sequence 7 (and more arguments) into `dir/b.v3`.
fn seal(dir: &Path, plain: &[u8], extra: &[&str]) -> (PathBuf, Value) {
    seal_with(dir, "b.v3", plain, "signer1", 7, extra)
}

/// Seals `plain` with `signer` for recipient1 at `seq` (and more arguments) into `dir/name`.
fn seal_with(
    dir: &Path,
    name: &str,
    plain: &[u8],
    signer: &str,
    seq: u64,
    extra: &[&str],
) -> (PathBuf, Value) {
    let zip = dir.join(format!("{name}.zip"));
    std::fs::write(&zip, plain).unwrap();
    let out_path = dir.join(name);
    let (s, r) = (key(signer, "key"), key("recipient1", "pub"));
    let seq = seq.to_string();
    let mut args = vec![
        "seal",
        zip.to_str().unwrap(),
        "--signing-key",
        &s,
        "--recipient",
        &r,
        "--app-id",
        APP,
        "--channel",
        "production",
        "--version",
        "1.2.3",
        "--sequence",
        &seq,
        "-o",
        out_path.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out_path, json_of(&out))
}

/// `open` replacing `dest` (`--force`), as a device replaces its installed bundle; `[..11]`
/// is the same without `--json`.
fn open_args<'a>(sealed: &'a str, dest: &'a str, t: &'a str, d: &'a str) -> Vec<&'a str> {
    vec![
        "open",
        sealed,
        "--trust",
        t,
        "--decryption-key",
        d,
        "--app-id",
        APP,
        "-o",
        dest,
        "--force",
        "--json",
    ]
}

#[test]
fn seal_inspect_open_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let plain = sample(150_000);
    let (sealed, j) = seal(
        dir.path(),
        &plain,
        &["--expires", "2099-01-01T02:00:00+02:00"],
    );
    assert!(j["error"].is_null() && j["filename"].is_string(), "{j}");
    assert_eq!(j["app_id"], APP);
    assert_eq!(j["sequence"], 7);
    assert_eq!(j["chunk_count"], 3);
    assert_eq!(j["expires_at"], 4_070_908_800u64);
    assert_eq!(j["expires_at_rfc3339"], "2099-01-01T00:00:00Z");
    assert_eq!(j["sealed_len"], std::fs::metadata(&sealed).unwrap().len());
    let fp = |name: &str| {
        json_of(&run(&["key", "inspect", &key(name, "pub"), "--json"]))["fingerprint"].clone()
    };
    assert_eq!(j["signer"], fp("signer1"));
    assert_eq!(j["recipients"][0]["fingerprint"], fp("recipient1"));

    let out = run(&["seal", "inspect", sealed.to_str().unwrap(), "--json"]);
    assert!(out.status.success());
    let i = json_of(&out);
    assert_eq!(i["bundle_version"], "1.2.3");
    assert_eq!(i["channel"], "production");
    assert_eq!(i["plaintext_len"], 150_000);
    assert_eq!(i["verified"], false);
    assert_eq!(i["file_len"], i["expected_file_len"]);
    assert_eq!(i["recipients"][0]["wrapped_key_len"], 512);
    // No secrets: no key material, content key or plaintext in the inspection.
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("PRIVATE"));

    let dest = dir.path().join("out.zip");
    let (t, d) = (key("signer1", "pub"), key("recipient1", "key"));
    let mut args = open_args(sealed.to_str().unwrap(), dest.to_str().unwrap(), &t, &d);
    args.extend_from_slice(&["--channel", "production", "--min-sequence", "7"]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o = json_of(&out);
    assert!(o["error"].is_null() && o["filename"].is_string(), "{o}");
    assert_eq!(std::fs::read(&dest).unwrap(), plain);
    let want = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&plain)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(o["sha256"], want);
    // Text output too.
    let mut args =
        open_args(sealed.to_str().unwrap(), dest.to_str().unwrap(), &t, &d)[..11].to_vec();
    args.extend_from_slice(&["--any-channel", "--min-sequence", "0"]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified:"));
}

#[test]
fn refusals_leave_the_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (sealed, _) = seal(dir.path(), &sample(70_000), &["--expires", "4070908800"]);
    let s = sealed.to_str().unwrap().to_owned();
    let mut tampered = std::fs::read(&sealed).unwrap();
    let at = tampered.len() - 100;
    tampered[at] ^= 1;
    let tampered_path = dir.path().join("tampered.v3");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let tp = tampered_path.to_str().unwrap().to_owned();
    let out_dir = tempfile::tempdir().unwrap();
    let dest = out_dir.path().join("app.zip");
    std::fs::write(&dest, b"installed bundle").unwrap();
    let d = dest.to_str().unwrap().to_owned();
    let (s1, s2) = (key("signer1", "pub"), key("signer2", "pub"));
    let (r1, r2) = (key("recipient1", "key"), key("recipient2", "key"));
    let any: &[&str] = &["--any-channel", "--min-sequence", "0"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&open_args(&s, &d, &s2, &r1)[..], any].concat(),
            "untrusted-signer",
        ),
        (
            [&open_args(&s, &d, &s1, &r2)[..], any].concat(),
            "not-a-recipient",
        ),
        (
            [&open_args(&tp, &d, &s1, &r1)[..], any].concat(),
            "decryption",
        ),
        (
            [
                &open_args(&s, &d, &s1, &r1)[..],
                &["--channel", "beta", "--min-sequence", "0"],
            ]
            .concat(),
            "wrong-channel",
        ),
        (
            [
                &open_args(&s, &d, &s1, &r1)[..],
                &["--any-channel", "--min-sequence", "8"],
            ]
            .concat(),
            "rollback",
        ),
        (
            [
                &open_args(&s, &d, &s1, &r1)[..],
                any,
                &["--now", "2099-01-01T00:00:00Z"],
            ]
            .concat(),
            "expired",
        ),
        (
            [&open_args(&s, &d, &s1, &r1)[..], any, &["--now", "1000"]].concat(),
            "not-yet-valid",
        ),
    ];
    for (args, code) in cases {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{code}");
        assert_eq!(json_of(&out)["error"], code);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("[{code}]")), "{stderr}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"installed bundle", "{code}");
        assert_eq!(
            std::fs::read_dir(out_dir.path()).unwrap().count(),
            1,
            "{code}"
        );
    }
    // Wrong app id.
    let mut args = [&open_args(&s, &d, &s1, &r1)[..], any].concat();
    args[7] = "com.example.other";
    let out = run(&args);
    assert_eq!(json_of(&out)["error"], "wrong-app");
    assert_eq!(std::fs::read(&dest).unwrap(), b"installed bundle");
    // Every failing vector fails the same way through the CLI.
    let m: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("manifest.json")).unwrap()).unwrap();
    let mut n = 0;
    for v in m["vectors"].as_array().unwrap() {
        let expect = v["expect"].as_str().unwrap();
        let plain_rot = v["rotations"].as_array().unwrap().is_empty();
        if expect == "success" || !plain_rot || v["trusted"].as_array().unwrap().len() != 1 {
            continue;
        }
        let file = vectors().join(v["file"].as_str().unwrap());
        let t = key(v["trusted"][0].as_str().unwrap(), "pub");
        let k = key(v["decryption_key"].as_str().unwrap(), "key");
        let min = v["min_sequence"].to_string();
        let now = v["now"].to_string();
        let mut args = open_args(file.to_str().unwrap(), &d, &t, &k);
        args[7] = v["app_id"].as_str().unwrap();
        args.extend_from_slice(&[
            "--channel",
            v["channel"].as_str().unwrap(),
            "--min-sequence",
            &min,
            "--now",
            &now,
        ]);
        let out = run(&args);
        assert_eq!(json_of(&out)["error"], expect, "{}", v["file"]);
        assert_eq!(std::fs::read(&dest).unwrap(), b"installed bundle");
        n += 1;
    }
    assert!(n >= 25, "{n}");
    assert_eq!(std::fs::read_dir(out_dir.path()).unwrap().count(), 1);
}

#[test]
fn seal_refuses_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("z.zip");
    std::fs::write(&zip, b"zip").unwrap();
    let out_path = dir.path().join("o.v3");
    let (s, s_pub, r) = (
        key("signer1", "key"),
        key("signer1", "pub"),
        key("recipient1", "pub"),
    );
    let base = |recipient: &str, expires: &str| {
        run(&[
            "seal",
            zip.to_str().unwrap(),
            "--signing-key",
            &s,
            "--recipient",
            recipient,
            "--app-id",
            APP,
            "--channel",
            "production",
            "--version",
            "1",
            "--sequence",
            "1",
            "--expires",
            expires,
            "-o",
            out_path.to_str().unwrap(),
        ])
    };
    for (recipient, expires, needle) in [
        (r.as_str(), "2020-01-01T00:00:00Z", "not in the future"),
        (r.as_str(), "tomorrow", "RFC 3339"),
        (
            s_pub.as_str(),
            "2099-01-01T00:00:00Z",
            "signing key must not be a recipient",
        ),
        (
            s.as_str(),
            "2099-01-01T00:00:00Z",
            "signing key must not be a recipient",
        ),
    ] {
        let out = base(recipient, expires);
        assert_eq!(
            out.status.code(),
            Some(if needle == "RFC 3339" { 2 } else { 1 })
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!out_path.exists());
    }
    // A signing key that is a public key.
    let out = run(&[
        "seal",
        zip.to_str().unwrap(),
        "--signing-key",
        &s_pub,
        "--recipient",
        &r,
        "--app-id",
        APP,
        "--channel",
        "c",
        "--version",
        "1",
        "--sequence",
        "1",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(!out_path.exists());
    // Missing required arguments.
    let out = run(&["seal", zip.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // Inspecting something that is not V3.
    let out = run(&["seal", "inspect", zip.to_str().unwrap(), "--json"]);
    assert_eq!(json_of(&out)["error"], "bad-magic");
}

#[test]
fn rotation_statements_extend_trust() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.bin");
    let file = vectors().join("ok-signed-by-rotated-key.v3");
    let (t, k) = (key("signer1", "pub"), key("recipient1", "key"));
    let mut args = open_args(file.to_str().unwrap(), dest.to_str().unwrap(), &t, &k);
    args.extend_from_slice(&[
        "--now",
        "1780000000",
        "--any-channel",
        "--min-sequence",
        "0",
    ]);
    assert_eq!(json_of(&run(&args))["error"], "untrusted-signer");
    let rot = vectors().join("rotation-2-add-signer2.bin");
    let bad_rot = vectors().join("rotation-2-by-untrusted-key.bin");
    let mut bad = args.clone();
    bad.extend_from_slice(&["--rotation", bad_rot.to_str().unwrap()]);
    assert_eq!(json_of(&run(&bad))["error"], "untrusted-signer");
    assert!(!dest.exists());
    args.extend_from_slice(&["--rotation", rot.to_str().unwrap()]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&dest).unwrap(), sample(100));
}

#[test]
fn from_v2_reseals_capgo_bundles() {
    let capgo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/capgo-cli");
    let m: Value =
        serde_json::from_slice(&std::fs::read(capgo.join("manifest.json")).unwrap()).unwrap();
    let v = m["v2"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "bundle-zip.k1.hex")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sealed = dir.path().join("b.v3");
    let ivsk_file = dir.path().join("ivsk.txt");
    std::fs::write(&ivsk_file, v["iv_session_key"].as_str().unwrap()).unwrap();
    let ivsk_arg = format!("@{}", ivsk_file.display());
    let enc = capgo.join(v["encrypted"].as_str().unwrap());
    let v2_key = capgo.join("keys/k1.pub");
    let (s, r) = (key("signer1", "key"), key("recipient1", "pub"));
    let args = |checksum: &str| {
        run(&[
            "seal",
            "from-v2",
            enc.to_str().unwrap(),
            "--v2-key",
            v2_key.to_str().unwrap(),
            "--session-key",
            &ivsk_arg,
            "--checksum",
            checksum,
            "--signing-key",
            &s,
            "--recipient",
            &r,
            "--app-id",
            APP,
            "--channel",
            "production",
            "--version",
            "2.0.0",
            "--sequence",
            "3",
            "-o",
            sealed.to_str().unwrap(),
            "--json",
        ])
    };
    // A signed checksum of another bundle: the V2 verification fails, nothing is written.
    let other = m["v2"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "rand-1.k1.hex")
        .unwrap();
    let out = args(other["signed_checksum"].as_str().unwrap());
    assert_eq!(json_of(&out)["error"], "v2");
    assert!(!sealed.exists());
    let out = args(v["signed_checksum"].as_str().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["plaintext_len"], v["plain_len"]);
    let dest = dir.path().join("plain.zip");
    let (t, k) = (key("signer1", "pub"), key("recipient1", "key"));
    let mut args = open_args(sealed.to_str().unwrap(), dest.to_str().unwrap(), &t, &k);
    args.extend_from_slice(&["--channel", "production", "--min-sequence", "3"]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        std::fs::read(capgo.join(v["plain"].as_str().unwrap())).unwrap()
    );
    assert_eq!(json_of(&out)["sha256"], v["sha256"]);
}

/// A 1000-byte bundle sealed by `signer` at `seq`, into `dir/name`.
fn seal_seq(dir: &Path, name: &str, seq: u64, signer: &str) -> PathBuf {
    seal_with(dir, name, &sample(1000), signer, seq, &[]).0
}

#[test]
fn open_fails_closed_without_rollback_or_channel_rules() {
    // Issue 17, item 9: before, `open` took --min-sequence 0 and any channel by default.
    let dir = tempfile::tempdir().unwrap();
    let sealed = seal_seq(dir.path(), "b.v3", 7, "signer1");
    let dest = dir.path().join("out.zip");
    let (t, d) = (key("signer1", "pub"), key("recipient1", "key"));
    let base = open_args(sealed.to_str().unwrap(), dest.to_str().unwrap(), &t, &d);
    let out = run(&[&base[..], &["--channel", "production"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--state") && stderr.contains("--min-sequence"),
        "{stderr}"
    );
    let out = run(&[&base[..], &["--min-sequence", "7"]].concat());
    assert_eq!(out.status.code(), Some(2), "no channel rule");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--channel") && stderr.contains("--any-channel"),
        "{stderr}"
    );
    let out = run(&[
        &base[..],
        &["--channel", "c", "--any-channel", "--min-sequence", "7"],
    ]
    .concat());
    assert_eq!(out.status.code(), Some(2), "both channel rules");
    assert!(!dest.exists());
    // The state file is neither the input nor the output.
    for state in [&sealed, &dest] {
        let out = run(&[
            &base[..],
            &["--any-channel", "--state", state.to_str().unwrap()],
        ]
        .concat());
        assert!(!out.status.success());
    }
    assert!(!dest.exists());
}

#[test]
fn a_state_file_refuses_what_is_not_newer_and_governs_trust() {
    let dir = tempfile::tempdir().unwrap();
    let (b7, b8) = (
        seal_seq(dir.path(), "b7.v3", 7, "signer1"),
        seal_seq(dir.path(), "b8.v3", 8, "signer1"),
    );
    let state = dir.path().join("state.json");
    let dest = dir.path().join("out.zip");
    let (t, d) = (key("signer1", "pub"), key("recipient1", "key"));
    let open = |sealed: &Path, extra: &[&str]| {
        let mut args = open_args(sealed.to_str().unwrap(), dest.to_str().unwrap(), &t, &d);
        args.extend_from_slice(&[
            "--channel",
            "production",
            "--state",
            state.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let out = open(&b7, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["key_set_version"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let recorded: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(recorded["apps"][0]["sequences"][0]["sequence"], 7);
    std::fs::write(&dest, b"installed").unwrap();
    // The same bundle again: not greater than 7.
    let out = open(&b7, &[]);
    assert_eq!(json_of(&out)["error"], "rollback");
    assert_eq!(std::fs::read(&dest).unwrap(), b"installed");
    let out = open(&b8, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A floor above the record.
    let b9 = seal_seq(dir.path(), "b9.v3", 9, "signer1");
    assert_eq!(
        json_of(&open(&b9, &["--min-sequence", "10"]))["error"],
        "rollback"
    );

    // Retire signer1 in favour of signer2 (key set version 2), recorded in the state.
    let stmt = dir.path().join("rot2.bin");
    let out = run(&[
        "key",
        "rotate",
        "--from",
        &key("signer1", "key"),
        "--to",
        &key("signer2", "key"),
        "--app-id",
        APP,
        "--key-set-version",
        "2",
        "--retire",
        "-o",
        stmt.to_str().unwrap(),
        "--json",
    ]);
    let j = json_of(&out);
    assert!(
        j["error"].is_null(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(j["retire_old"], true);
    let rot = ["--rotation", stmt.to_str().unwrap()];
    // signer1's bundle is refused from now on, although --trust still names signer1 ...
    let out = open(&b9, &rot);
    assert_eq!(json_of(&out)["error"], "untrusted-signer");
    let recorded: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        recorded["apps"][0]["key_set"]["version"], 2,
        "kept although refused"
    );
    let out = open(&b9, &[]);
    assert_eq!(
        json_of(&out)["error"],
        "untrusted-signer",
        "retired stays retired"
    );
    // ... and signer2's opens; the statement, passed again, is skipped.
    let by2 = seal_seq(dir.path(), "by2.v3", 10, "signer2");
    let out = open(&by2, &rot);
    let j = json_of(&out);
    assert!(
        j["error"].is_null(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(j["key_set_version"], 2);
    assert_eq!(j["rotations"][0]["applied"], false);
    // Text mode says what it ignores.
    let mut args = open_args(by2.to_str().unwrap(), dest.to_str().unwrap(), &t, &d)[..11].to_vec();
    args.extend_from_slice(&["--any-channel", "--state", state.to_str().unwrap()]);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "10 again");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignored"));
}

#[test]
fn key_rotate_needs_both_private_keys() {
    let dir = tempfile::tempdir().unwrap();
    let stmt = dir.path().join("r.bin");
    let args = |to: &str, version: &str| {
        run(&[
            "key",
            "rotate",
            "--from",
            &key("signer1", "key"),
            "--to",
            to,
            "--app-id",
            APP,
            "--key-set-version",
            version,
            "-o",
            stmt.to_str().unwrap(),
        ])
    };
    let out = args(&key("signer2", "pub"), "2");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the new key signs the statement too"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());
    let out = args(&key("signer1", "key"), "2");
    assert!(!out.status.success(), "a key cannot vouch for itself");
    let out = args(&key("signer2", "key"), "1");
    assert!(!out.status.success(), "version 1 is the configured set");
    assert!(!stmt.exists());
    let out = args(&key("signer2", "key"), "2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("stays trusted"));
    assert!(
        !args(&key("signer2", "key"), "2").status.success(),
        "exists"
    );
}

#[test]
fn every_state_vector_through_the_cli() {
    let m: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("manifest.json")).unwrap()).unwrap();
    let states = m["states"].as_array().unwrap();
    assert!(states.len() >= 10);
    for v in states {
        let what = format!("{} ({})", v["name"], v["comment"]);
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        if !v["state"].is_null() {
            std::fs::write(&state, v["state"].to_string()).unwrap();
        }
        let dest = dir.path().join("out.zip");
        let file = vectors().join(v["file"].as_str().unwrap());
        let t = key(v["trusted"][0].as_str().unwrap(), "pub");
        let k = key(v["decryption_key"].as_str().unwrap(), "key");
        let now = v["now"].to_string();
        let mut args = open_args(file.to_str().unwrap(), dest.to_str().unwrap(), &t, &k);
        args.extend_from_slice(&["--state", state.to_str().unwrap(), "--now", &now]);
        match v["channel"].as_str() {
            Some(c) => args.extend_from_slice(&["--channel", c]),
            None => args.push("--any-channel"),
        }
        let floor = v["min_sequence"].to_string();
        if !v["min_sequence"].is_null() {
            args.extend_from_slice(&["--min-sequence", &floor]);
        }
        let rotations: Vec<PathBuf> = v["rotations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| vectors().join(r.as_str().unwrap()))
            .collect();
        for r in &rotations {
            args.extend_from_slice(&["--rotation", r.to_str().unwrap()]);
        }
        let out = run(&args);
        let j = json_of(&out);
        match v["expect"].as_str().unwrap() {
            "success" => assert!(
                j["error"].is_null(),
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            code => {
                assert_eq!(j["error"], code, "{what}");
                assert!(!dest.exists(), "{what}");
            }
        }
        // The state file after: as the vector says, unless nothing was to be written (a new
        // state whose bundle was refused is not created).
        match std::fs::read(&state) {
            Ok(bytes) => {
                let after: Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(after, v["state_after"], "{what}");
            }
            Err(_) => assert!(v["state"].is_null() && v["expect"] != "success", "{what}"),
        }
    }
}

#[test]
fn seal_and_open_check_input_and_output_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let (sealed, _) = seal(dir.path(), &sample(1000), &[]);
    let sealed_s = sealed.to_str().unwrap().to_owned();
    let before = std::fs::read(&sealed).unwrap();
    let (t, d) = (key("signer1", "pub"), key("recipient1", "key"));
    // open: the output is the input.
    let mut args = open_args(&sealed_s, &sealed_s, &t, &d);
    args.extend(["--channel", "production", "--min-sequence", "0"]);
    let out = run(&args);
    assert!(
        stderr(&out).contains("is the input itself"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&sealed).unwrap(), before);
    // seal: the output is the input, refused before the keys are even read.
    let zip = dir.path().join("b.v3.zip");
    let zip_s = zip.to_str().unwrap();
    let out = run(&[
        "seal",
        zip_s,
        "--signing-key",
        "missing.key",
        "--recipient",
        "missing.pub",
        "--app-id",
        APP,
        "--channel",
        "production",
        "--version",
        "1",
        "--sequence",
        "1",
        "-o",
        zip_s,
    ]);
    assert!(
        stderr(&out).contains("is the input itself"),
        "{}",
        stderr(&out)
    );
    // Over the limit (sparse): refused by size, before the keys are read.
    let big = dir.path().join("huge.zip");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(otaseal_keys::Limits::default().max_bundle_len + 1)
        .unwrap();
    let out = run(&[
        "seal",
        big.to_str().unwrap(),
        "--signing-key",
        "missing.key",
        "--recipient",
        "missing.pub",
        "--app-id",
        APP,
        "--channel",
        "production",
        "--version",
        "1",
        "--sequence",
        "1",
        "-o",
        dir.path().join("x.v3").to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains("more than the limit"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("x.v3").exists());
}
