//! Where private keys come from (`--key`, `--signing-key`, `--decryption-key`, `--v1-key`,
//! `key inspect`): a file, `env:NAME`, `-`, or a `pkcs11:` URI into a SoftHSM2 token; the
//! permissions warning; public-key options that refuse a private key; and token failures that
//! name what is wrong and write nothing.
//!
//! Each token test makes its own SoftHSM2 configuration and token folder and passes
//! `SOFTHSM2_CONF` to the `otaseal` it runs; without SoftHSM2 they skip, unless
//! `OTASEAL_REQUIRE_SOFTHSM` is set (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use otaseal_testkit::cli::Cli;
#[cfg(feature = "pkcs11")]
use otaseal_testkit::softhsm::SoftHsm;
use serde_json::Value;
use test_case::test_case;

fn keys() -> PathBuf {
    otaseal_testkit::vectors("capgo-cli").join("keys")
}

fn key(name: &str) -> String {
    keys().join(name).display().to_string()
}

fn cli(dir: &Path) -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_otaseal")).in_dir(dir)
}

/// A working folder with `bundle.zip` and a private copy (mode 0600) of k1.key.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("web")).unwrap();
    std::fs::write(dir.path().join("web/index.html"), b"<html>otaseal</html>").unwrap();
    std::fs::write(
        dir.path().join("web/app.js"),
        b"CapacitorUpdater.notifyAppReady()",
    )
    .unwrap();
    cli(dir.path())
        .run(&["bundle", "zip", "web", "-o", "bundle.zip"])
        .success();
    private_copy(&keys().join("k1.key"), &dir.path().join("k1.key"), 0o600);
    dir
}

fn private_copy(from: &Path, to: &Path, mode: u32) {
    std::fs::copy(from, to).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

fn encrypt(c: &Cli, key: &str, out: &str) -> Value {
    c.run(&[
        "bundle",
        "encrypt",
        "bundle.zip",
        "--key",
        key,
        "-o",
        out,
        "--json",
    ])
    .success()
    .json()
}

fn decrypts(c: &Cli, enc: &Value, out: &str) {
    c.run(&[
        "bundle",
        "decrypt",
        enc["filename"].as_str().unwrap(),
        enc["ivSessionKey"].as_str().unwrap(),
        "--checksum",
        enc["checksum"].as_str().unwrap(),
        "--key",
        &key("k1.pub"),
        "-o",
        out,
    ])
    .success();
}

#[test]
fn env_and_stdin_sources_sign_like_the_file() {
    let dir = workspace();
    let pem = std::fs::read_to_string(keys().join("k1.key")).unwrap();
    let file = encrypt(&cli(dir.path()), "k1.key", "file.enc");
    let env = encrypt(
        &cli(dir.path()).env("OTASEAL_TEST_KEY", &pem),
        "env:OTASEAL_TEST_KEY",
        "env.enc",
    );
    let stdin = cli(dir.path())
        .run_with_stdin(
            &[
                "bundle",
                "encrypt",
                "bundle.zip",
                "--key",
                "-",
                "-o",
                "stdin.enc",
                "--json",
            ],
            pem.as_bytes(),
        )
        .success()
        .json();
    // Type-1 signing is deterministic: the signed checksum is the same block, byte for byte.
    assert_eq!(env["checksum"], file["checksum"]);
    assert_eq!(stdin["checksum"], file["checksum"]);
    decrypts(&cli(dir.path()), &env, "env.zip");
    decrypts(&cli(dir.path()), &stdin, "stdin.zip");

    let c = cli(dir.path());
    c.run(&[
        "bundle",
        "encrypt",
        "bundle.zip",
        "--key",
        "env:OTASEAL_SURELY_UNSET",
        "-o",
        "x.enc",
    ])
    .failure("environment variable OTASEAL_SURELY_UNSET is not set");
    assert!(!dir.path().join("x.enc").exists());
    c.run(&[
        "bundle",
        "encrypt",
        "bundle.zip",
        "--key",
        "env:",
        "-o",
        "x.enc",
    ])
    .failure("env: needs a variable name");
    let inspect = c
        .env("OTASEAL_TEST_KEY", &pem)
        .run(&["key", "inspect", "env:OTASEAL_TEST_KEY", "--json"])
        .success()
        .json();
    assert_eq!(inspect["kind"], "private");
    assert_eq!(inspect["key_id"], "MIIBCgKCAQEAuGbpniuu");
}

#[cfg(unix)]
#[test_case(0o600, false ; "owner only")]
#[test_case(0o644, true ; "world readable")]
#[test_case(0o640, true ; "group readable")]
fn loose_key_file_is_warned_about(mode: u32, warned: bool) {
    let dir = workspace();
    private_copy(&keys().join("k1.key"), &dir.path().join("loose.key"), mode);
    let out = cli(dir.path()).run(&[
        "bundle",
        "encrypt",
        "bundle.zip",
        "--key",
        "loose.key",
        "-o",
        "b.enc",
    ]);
    out.success();
    let err = out.stderr();
    assert_eq!(err.contains("chmod 600 loose.key"), warned, "{err}");
    assert_eq!(err.contains(&format!("mode {mode:04o}")), warned, "{err}");
    // Every read of a private key warns, whatever the command (key inspect here).
    let out = cli(dir.path()).run(&["key", "inspect", "loose.key"]);
    assert_eq!(
        out.success().stderr().contains("chmod 600 loose.key"),
        warned
    );
    // A public key file is not a secret: no warning however readable.
    let out = cli(dir.path()).run(&["key", "inspect", &key("k1.pub")]);
    assert!(!out.success().stderr().contains("chmod"));
}

#[test]
fn a_public_key_is_refused_where_a_private_key_belongs() {
    let dir = workspace();
    cli(dir.path())
        .run(&[
            "bundle",
            "encrypt",
            "bundle.zip",
            "--key",
            &key("k1.pub"),
            "-o",
            "b.enc",
        ])
        .failure("expected a private key but found a public key");
    assert!(!dir.path().join("b.enc").exists());
}

#[test]
fn a_private_key_is_refused_where_a_public_key_belongs() {
    let dir = workspace();
    let c = cli(dir.path());
    let enc = encrypt(&c, "k1.key", "b.enc");
    let (ivsk, signed) = (
        enc["ivSessionKey"].as_str().unwrap(),
        enc["checksum"].as_str().unwrap(),
    );
    c.run(&[
        "bundle",
        "decrypt",
        "b.enc",
        ivsk,
        "--checksum",
        signed,
        "--key",
        "k1.key",
        "-o",
        "d.zip",
    ])
    .failure("k1.key is a private key; give the public key (k1.key.pub)");
    assert!(!dir.path().join("d.zip").exists());
    c.run(&[
        "bundle",
        "inspect",
        "--key",
        "k1.key",
        "--iv-session-key",
        ivsk,
    ])
    .failure("is a private key");
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("m.json"), "[]").unwrap();
    c.run(&[
        "manifest",
        "apply",
        "m.json",
        "--files",
        "empty",
        "--key",
        "k1.key",
        "--iv-session-key",
        ivsk,
        "--out-dir",
        "out",
    ])
    .failure("is a private key");
    // A sealed file to name (never read: the trusted key is refused first).
    std::fs::write(dir.path().join("x.v3"), b"not sealed").unwrap();
    c.run(&[
        "open",
        "x.v3",
        "--trust",
        "k1.key",
        "--decryption-key",
        "k1.key",
        "--any-channel",
        "--min-sequence",
        "0",
        "--app-id",
        "a",
        "-o",
        "o",
    ])
    .failure("is a private key");
    assert!(!dir.path().join("o").exists());
}

#[test]
fn malformed_uri_is_a_usage_error() {
    let dir = workspace();
    let out = cli(dir.path()).run(&[
        "bundle",
        "encrypt",
        "bundle.zip",
        "--key",
        "pkcs11:object=a;object=b",
    ]);
    out.failure("attribute object appears twice");
    assert_eq!(out.code(), Some(2));
}

#[cfg(feature = "pkcs11")]
/// A token holding k1 as `capgo`, k2 as `other` and an RSA-1024 key as `small`.
fn token(test: &str) -> Option<SoftHsm> {
    let hsm = SoftHsm::new(test)?;
    hsm.import(&keys().join("k1.key"), "capgo", "01");
    hsm.import(&keys().join("k2.key"), "other", "02");
    let small =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../otaseal-keys/tests/data/rsa1024.key");
    hsm.import(&small, "small", "03");
    Some(hsm)
}

#[cfg(feature = "pkcs11")]
fn with_token(dir: &Path, hsm: &SoftHsm) -> Cli {
    hsm.env()
        .into_iter()
        .fold(cli(dir), |c, (k, v)| c.env(k, &v))
}

#[cfg(feature = "pkcs11")]
#[test]
fn token_key_signs_v2_and_manifests_like_the_file() {
    let Some(hsm) = token("token_key_signs_v2_and_manifests_like_the_file") else {
        return;
    };
    let dir = workspace();
    let c = with_token(dir.path(), &hsm);
    let uri = hsm.uri("capgo");
    let by_file = encrypt(&c, "k1.key", "file.enc");
    let by_token = encrypt(&c, &uri, "token.enc");
    assert_eq!(by_token["checksum"], by_file["checksum"]);
    decrypts(&c, &by_token, "token.zip");

    let inspect = c.run(&["key", "inspect", &uri, "--json"]).success().json();
    let file = c
        .run(&["key", "inspect", "k1.key", "--json"])
        .success()
        .json();
    for field in ["kind", "bits", "key_id", "fingerprint", "capgo_compatible"] {
        assert_eq!(inspect[field], file[field], "{field}");
    }
    assert_eq!(inspect["encoding"], "pkcs11");
    assert_eq!(inspect["uri"], "pkcs11:token=otaseal;object=capgo");
    let text = c.run(&["key", "inspect", &uri]).success().stdout();
    assert!(
        text.contains("token key:   pkcs11:token=otaseal;object=capgo"),
        "{text}"
    );
    assert!(!text.contains(otaseal_testkit::softhsm::PIN));

    let manifest = |key: &str, out: &str| {
        c.run(&[
            "manifest",
            "create",
            "web",
            "--key",
            key,
            "--base-url",
            "https://x/",
            "--out-dir",
            out,
            "--json",
        ])
        .success()
        .json()
    };
    let (m_file, m_token) = (manifest("k1.key", "m-file"), manifest(&uri, "m-token"));
    let hashes = |m: &Value| -> Vec<Value> {
        m["manifest"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["file_hash"].clone())
            .collect()
    };
    assert_eq!(hashes(&m_token), hashes(&m_file));
    assert_eq!(hashes(&m_token).len(), 2);
}

#[cfg(feature = "pkcs11")]
#[test]
fn token_key_seals_v3_that_opens_with_its_public_key() {
    let Some(hsm) = token("token_key_seals_v3_that_opens_with_its_public_key") else {
        return;
    };
    let dir = workspace();
    let c = with_token(dir.path(), &hsm);
    let sealed = c
        .run(&[
            "seal",
            "bundle.zip",
            "--signing-key",
            &hsm.uri("capgo"),
            "--recipient",
            &key("k2.pub"),
            "--app-id",
            "com.example.app",
            "--channel",
            "production",
            "--version",
            "1.0.0",
            "--sequence",
            "3",
            "-o",
            "b.v3",
            "--json",
        ])
        .success()
        .json();
    let file = c
        .run(&["key", "inspect", "k1.key", "--json"])
        .success()
        .json();
    assert_eq!(sealed["signer"], file["fingerprint"]);
    private_copy(&keys().join("k2.key"), &dir.path().join("k2.key"), 0o600);
    c.run(&[
        "open",
        "b.v3",
        "--trust",
        &key("k1.pub"),
        "--decryption-key",
        "k2.key",
        "--channel",
        "production",
        "--min-sequence",
        "0",
        "--app-id",
        "com.example.app",
        "-o",
        "opened.zip",
    ])
    .success();
    assert_eq!(
        std::fs::read(dir.path().join("opened.zip")).unwrap(),
        std::fs::read(dir.path().join("bundle.zip")).unwrap()
    );
}

#[cfg(feature = "pkcs11")]
#[test]
fn token_failures_name_the_problem_and_write_nothing() {
    let Some(hsm) = token("token_failures_name_the_problem_and_write_nothing") else {
        return;
    };
    let dir = workspace();
    let c = with_token(dir.path(), &hsm);
    let pin = format!("pin-value={}", otaseal_testkit::softhsm::PIN);
    let module = hsm.module_path().display().to_string();
    let cases = [
        (
            hsm.uri_with("object=capgo", "pin-value=0000"),
            "wrong PIN for PKCS#11 token \"otaseal\"",
        ),
        (hsm.uri_with("object=capgo", ""), "needs a PIN"),
        (
            format!("pkcs11:object=capgo?module-path=/nonexistent/libp11.so&{pin}"),
            "PKCS#11 module /nonexistent/libp11.so does not exist",
        ),
        (format!("pkcs11:object=capgo?{pin}"), "has no module-path"),
        (
            hsm.uri_with("object=missing", &pin),
            "no private key matches pkcs11:token=otaseal;object=missing",
        ),
        (
            hsm.uri_with("object=small", &pin),
            "RSA-1024 is not supported",
        ),
        (
            format!("pkcs11:token=other;object=capgo?module-path={module}&{pin}"),
            "no PKCS#11 token matches pkcs11:token=other",
        ),
    ];
    for (uri, needle) in &cases {
        let out = c.run(&[
            "bundle",
            "encrypt",
            "bundle.zip",
            "--key",
            uri,
            "-o",
            "b.enc",
        ]);
        out.failure(needle);
        assert!(
            !out.stderr().contains("0000") && !out.stderr().contains(otaseal_testkit::softhsm::PIN),
            "{}",
            out.stderr()
        );
        assert!(!dir.path().join("b.enc").exists(), "{uri}");
        c.run(&[
            "manifest",
            "create",
            "web",
            "--key",
            uri,
            "--base-url",
            "https://x/",
            "--out-dir",
            "m",
        ])
        .failure(needle);
        assert!(!dir.path().join("m").exists(), "{uri}");
        c.run(&["key", "inspect", uri]).failure(needle);
    }
    // The other key of the same token still works: a failed login left nothing behind.
    c.run(&[
        "bundle",
        "encrypt",
        "bundle.zip",
        "--key",
        &hsm.uri("other"),
        "-o",
        "b.enc",
    ])
    .success();
    // The V1 key of a migration is never a token key.
    c.run(&[
        "migrate",
        "bundle",
        "x.v1",
        "--v1-key",
        &hsm.uri("capgo"),
        "--iv-session-key",
        "a:b",
        "--key",
        "k1.key",
    ])
    .failure("a PKCS#11 key cannot be used here");
}
