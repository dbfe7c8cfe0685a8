//! The `otaseal key` and `otaseal bundle` commands, run as a user runs them.
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

use otaseal_testkit::cli::json_ok as json;
use otaseal_testkit::entries as names;
use serde_json::Value;

fn otaseal(args: &[&str], cwd: &Path) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, Some(cwd))
}

fn vectors() -> PathBuf {
    otaseal_testkit::vectors("capgo-cli")
}

#[test]
fn key_create_writes_capgo_files_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = json(&otaseal(&["key", "create", "--json"], dir.path()));
    assert_eq!(names(dir.path()), [".capgo_key_v2", ".capgo_key_v2.pub"]);
    let private = std::fs::read_to_string(dir.path().join(".capgo_key_v2")).unwrap();
    let public = std::fs::read_to_string(dir.path().join(".capgo_key_v2.pub")).unwrap();
    assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert!(public.starts_with("-----BEGIN RSA PUBLIC KEY-----\n"));
    assert_eq!(
        out["key_id"].as_str().unwrap(),
        &public.lines().nth(1).unwrap()[..20]
    );
    assert!(out["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(".capgo_key_v2"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = otaseal(&["key", "create"], dir.path());
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".capgo_key_v2")).unwrap(),
        private
    );
    assert!(
        otaseal(&["key", "create", "--force"], dir.path())
            .status
            .success()
    );
    assert_ne!(
        std::fs::read_to_string(dir.path().join(".capgo_key_v2")).unwrap(),
        private
    );
    assert_eq!(
        otaseal(&["key", "create", "--bits", "1024"], dir.path())
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn key_inspect_reports_the_capgo_key_id() {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(vectors().join("manifest.json")).unwrap()).unwrap();
    for name in ["k1", "k2"] {
        let cfg = manifest["keys"][name]["capacitor_config_public_key"]
            .as_str()
            .unwrap();
        let want = &cfg.lines().nth(1).unwrap()[..20];
        for file in [format!("{name}.pub"), format!("{name}.key")] {
            let path = vectors().join("keys").join(&file);
            let out = json(&otaseal(
                &["key", "inspect", path.to_str().unwrap(), "--json"],
                Path::new("."),
            ));
            assert_eq!(out["key_id"], want, "{file}");
            assert_eq!(out["encoding"], "pkcs1");
            assert_eq!(out["bits"], 2048);
            assert_eq!(
                out["kind"],
                if file.ends_with(".key") {
                    "private"
                } else {
                    "public"
                }
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("garbage"), b"hello").unwrap();
    let out = otaseal(&["key", "inspect", "garbage"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an RSA key"));
}

#[test]
fn key_save_updates_capacitor_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("capacitor.config.json"),
        "{\n  \"appId\": \"com.example.app\",\n  \"webDir\": \"dist\"\n}\n",
    )
    .unwrap();
    let _ = json(&otaseal(&["key", "create", "--json"], dir.path()));
    let out = json(&otaseal(&["key", "save", "--json"], dir.path()));
    assert_eq!(out["config"], "capacitor.config.json");
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("capacitor.config.json")).unwrap())
            .unwrap();
    assert_eq!(
        cfg["plugins"]["CapacitorUpdater"]["publicKey"]
            .as_str()
            .unwrap(),
        std::fs::read_to_string(dir.path().join(".capgo_key_v2.pub")).unwrap()
    );
    assert_eq!(cfg["appId"], "com.example.app");
}

#[test]
fn bundle_encrypt_decrypt_round_trip_and_failures_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = vectors().join("keys");
    let (k1, k1p, k2p) = (
        keys.join("k1.key"),
        keys.join("k1.pub"),
        keys.join("k2.pub"),
    );
    std::fs::create_dir(dir.path().join("web")).unwrap();
    std::fs::write(dir.path().join("web/index.html"), b"<html>otaseal</html>").unwrap();
    std::fs::write(
        dir.path().join("web/app.js"),
        b"CapacitorUpdater.notifyAppReady();",
    )
    .unwrap();
    let zipped = json(&otaseal(
        &["bundle", "zip", "web", "-o", "bundle.zip", "--json"],
        dir.path(),
    ));
    let enc = json(&otaseal(
        &[
            "bundle",
            "encrypt",
            "bundle.zip",
            "--key",
            k1.to_str().unwrap(),
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(enc["filename"], "bundle.zip_encrypted.zip");
    assert_eq!(enc["sha256"], zipped["checksum"]);
    let ivsk = enc["ivSessionKey"].as_str().unwrap();
    let signed = enc["checksum"].as_str().unwrap();
    assert_eq!(signed.len(), 512);

    let ok = json(&otaseal(
        &[
            "bundle",
            "decrypt",
            "bundle.zip_encrypted.zip",
            ivsk,
            "--key",
            k1p.to_str().unwrap(),
            "--checksum",
            signed,
            "-o",
            "out.zip",
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(ok["verified"], true);
    assert_eq!(
        std::fs::read(dir.path().join("out.zip")).unwrap(),
        std::fs::read(dir.path().join("bundle.zip")).unwrap()
    );

    // Without --checksum: refused unless --no-verify.
    let r = otaseal(
        &[
            "bundle",
            "decrypt",
            "bundle.zip_encrypted.zip",
            ivsk,
            "--key",
            k1p.to_str().unwrap(),
            "-o",
            "x.zip",
        ],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--no-verify"));

    // Wrong key, tampered file, truncated file: exit 1, message names the cause, nothing written.
    let before = names(dir.path());
    let r = otaseal(
        &[
            "bundle",
            "decrypt",
            "bundle.zip_encrypted.zip",
            ivsk,
            "--key",
            k2p.to_str().unwrap(),
            "--checksum",
            signed,
            "-o",
            "x.zip",
        ],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("does not open with this public key"));
    let mut ct = std::fs::read(dir.path().join("bundle.zip_encrypted.zip")).unwrap();
    ct[5] ^= 0x40;
    std::fs::write(dir.path().join("tampered.enc"), &ct).unwrap();
    std::fs::write(dir.path().join("truncated.enc"), &ct[..ct.len() - 3]).unwrap();
    let before_t = names(dir.path());
    for (file, needle) in [
        ("tampered.enc", "failed verification"),
        ("truncated.enc", "truncated"),
    ] {
        let r = otaseal(
            &[
                "bundle",
                "decrypt",
                file,
                ivsk,
                "--key",
                k1p.to_str().unwrap(),
                "--checksum",
                signed,
                "-o",
                "x.zip",
            ],
            dir.path(),
        );
        assert_eq!(r.status.code(), Some(1), "{file}");
        assert!(
            String::from_utf8_lossy(&r.stderr).contains(needle),
            "{file}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
    assert_eq!(names(dir.path()), before_t);
    assert!(!before.contains(&"x.zip".to_string()));

    // inspect recovers the key and the checksum.
    let info = json(&otaseal(
        &[
            "bundle",
            "inspect",
            "--key",
            k1p.to_str().unwrap(),
            "--iv-session-key",
            ivsk,
            "--checksum",
            signed,
            "--json",
        ],
        dir.path(),
    ));
    assert_eq!(info["checksum"], zipped["checksum"]);
    assert_eq!(info["checksum_format"], "hex");
    assert_eq!(info["aes_key"].as_str().unwrap().len(), 32);
    let r = otaseal(
        &[
            "bundle",
            "inspect",
            "--key",
            k2p.to_str().unwrap(),
            "--iv-session-key",
            ivsk,
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(1));
}

#[test]
fn bundle_zip_is_reproducible_and_refuses_escaping_links() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    std::fs::create_dir_all(web.join("b/c")).unwrap();
    std::fs::write(web.join("b/c/z.js"), b"z").unwrap();
    std::fs::write(web.join("a.html"), b"a").unwrap();
    let one = json(&otaseal(
        &[
            "bundle",
            "zip",
            "web",
            "-o",
            "1.zip",
            "--json",
            "--no-code-check",
        ],
        dir.path(),
    ));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(web.join("a.html"), b"a").unwrap(); // new mtime, same content
    let two = json(&otaseal(
        &[
            "bundle",
            "zip",
            "web",
            "-o",
            "2.zip",
            "--json",
            "--no-code-check",
        ],
        dir.path(),
    ));
    assert_eq!(one["checksum"], two["checksum"]);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", web.join("escape")).unwrap();
        let r = otaseal(
            &["bundle", "zip", "web", "-o", "3.zip", "--no-code-check"],
            dir.path(),
        );
        assert_eq!(r.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&r.stderr).contains("leaves"));
        assert!(!dir.path().join("3.zip").exists());
    }
}
