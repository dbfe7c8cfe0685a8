//! Error messages: one line that says each thing once and, where there is one, the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::fs;
use std::path::Path;

use otaseal_testkit::cli::{output, stderr};

fn keys(name: &str) -> String {
    otaseal_testkit::vectors("capgo-cli/keys")
        .join(name)
        .display()
        .to_string()
}

fn v3(name: &str) -> String {
    otaseal_testkit::vectors("v3/keys")
        .join(name)
        .display()
        .to_string()
}

/// The message of a failing run, checked to be one line of clauses that never repeat.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = output(env!("CARGO_BIN_EXE_otaseal"), args, Some(dir));
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("{args:?}: no error line in {err}"));
    let clauses: Vec<&str> = line["error: ".len()..]
        .split(": ")
        .flat_map(|c| c.split("; "))
        .map(str::trim)
        .collect();
    for (i, c) in clauses.iter().enumerate() {
        assert!(
            !clauses[i + 1..].contains(c),
            "{args:?}: {c:?} twice in {line}"
        );
    }
    line.to_owned()
}

#[test]
fn no_clause_twice_and_the_fix_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("z.zip"), b"PK\x03\x04 not much of a zip").unwrap();
    let enc = otaseal_testkit::cli::json_ok(&output(
        env!("CARGO_BIN_EXE_otaseal"),
        &[
            "bundle",
            "encrypt",
            "z.zip",
            "--key",
            &keys("k1.key"),
            "--json",
        ],
        Some(d),
    ));
    let (ivsk, sum, sha) = (
        enc["ivSessionKey"].as_str().unwrap(),
        enc["checksum"].as_str().unwrap(),
        enc["sha256"].as_str().unwrap(),
    );
    let enc_file = enc["filename"].as_str().unwrap();
    let (k1, k1p, s1p, r1) = (
        keys("k1.key"),
        keys("k1.pub"),
        v3("signer1.pub"),
        v3("recipient1.key"),
    );
    let missing = [
        vec!["bundle", "encrypt", "nope", "--key", &k1],
        vec![
            "bundle", "encrypt", "z.zip", "--key", "nope.key", "-o", "new.enc",
        ],
        vec![
            "bundle",
            "decrypt",
            "nope",
            ivsk,
            "--checksum",
            sum,
            "--key",
            &k1p,
        ],
        vec!["bundle", "zip", "nope", "-o", "x.zip"],
        vec!["key", "inspect", "nope"],
        vec![
            "manifest",
            "create",
            "nope",
            "--key",
            &k1,
            "--base-url",
            "https://x",
            "--out-dir",
            "d",
        ],
        vec![
            "open",
            "nope",
            "--trust",
            &s1p,
            "--decryption-key",
            &r1,
            "--app-id",
            "a.b",
            "--channel",
            "p",
            "--min-sequence",
            "0",
            "-o",
            "o.zip",
        ],
        vec!["protocol", "validate", "request", "nope.json"],
    ];
    for args in &missing {
        let line = fails(d, args);
        assert!(line.contains("No such file"), "{line}");
    }
    // Wrong strings name the argument once and the field once.
    let line = fails(
        d,
        &[
            "bundle",
            "decrypt",
            enc_file,
            "AAAA",
            "--checksum",
            sum,
            "--key",
            &keys("k1.pub"),
        ],
    );
    assert!(line.contains("no ':'"), "{line}");
    // The zip's SHA-256 where the signed checksum belongs: what to pass instead.
    let line = fails(
        d,
        &[
            "bundle",
            "decrypt",
            enc_file,
            ivsk,
            "--checksum",
            sha,
            "--key",
            &keys("k1.pub"),
        ],
    );
    assert!(
        line.contains("unsigned SHA-256")
            && line.contains("signed checksum that bundle encrypt printed"),
        "{line}"
    );
    // The wrong key: which key to pass.
    let line = fails(
        d,
        &[
            "bundle",
            "decrypt",
            enc_file,
            ivsk,
            "--checksum",
            sum,
            "--key",
            &keys("k2.pub"),
        ],
    );
    assert!(
        line.contains("pass the public key of the private key that encrypted"),
        "{line}"
    );
    // An existing output: the flag that replaces it.
    let line = fails(d, &["bundle", "encrypt", "z.zip", "--key", &keys("k1.key")]);
    assert!(
        line.ends_with("already exists; use --force to replace it"),
        "{line}"
    );
    // A truncated body says so once.
    fs::write(d.join("short.enc"), b"abc").unwrap();
    let line = fails(
        d,
        &[
            "bundle",
            "decrypt",
            "short.enc",
            ivsk,
            "--checksum",
            sum,
            "--key",
            &keys("k1.pub"),
        ],
    );
    assert!(line.contains("not a positive multiple of 16"), "{line}");
}
