//! What otaseal does with the files it writes: one overwrite policy for every command (an
//! existing output is replaced only with `--force`, and then atomically), and file modes (new
//! outputs get the umask's mode, private keys and plaintext 0600, rewritten files keep theirs).
//! README "Files otaseal writes" and SECURITY.md say the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use otaseal_testkit::cli::{json_ok, stderr};

const BIN: &str = env!("CARGO_BIN_EXE_otaseal");

/// Runs otaseal in `dir` under `umask` (through `sh`, which sets it; and through the emulator
/// of `OTASEAL_TEST_RUNNER` when the tests are cross-compiled).
fn run_umask(dir: &Path, umask: &str, args: &[&str]) -> Output {
    let runner = std::env::var("OTASEAL_TEST_RUNNER").unwrap_or_default();
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$@\""))
        .arg("sh")
        .args(runner.split_whitespace())
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_umask(dir, "022", args)
}

fn capgo_key(name: &str) -> String {
    otaseal_testkit::vectors("capgo-cli")
        .join("keys")
        .join(name)
        .display()
        .to_string()
}

fn v3_key(name: &str) -> String {
    otaseal_testkit::vectors("v3")
        .join("keys")
        .join(name)
        .display()
        .to_string()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A project: capacitor.config.json, package.json 1.0.0, dist/ that passes the code check.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(
        p.join("capacitor.config.json"),
        "{\n  \"appId\": \"com.example.app\",\n  \"webDir\": \"dist\"\n}\n",
    )
    .unwrap();
    fs::write(p.join("package.json"), r#"{"version":"1.0.0"}"#).unwrap();
    fs::create_dir(p.join("dist")).unwrap();
    fs::write(p.join("dist/index.html"), "<script src=app.js></script>").unwrap();
    fs::write(p.join("dist/app.js"), "CapacitorUpdater.notifyAppReady()").unwrap();
    dir
}

/// Every command that writes a file, in order, each with the file it writes; run once to
/// create, then again to test the policy.
struct Steps {
    dir: tempfile::TempDir,
    ivsk: String,
    checksum: String,
}

impl Steps {
    fn new() -> Self {
        let dir = project();
        let enc = json_ok(&run(dir.path(), &["bundle", "zip", "--json"]));
        assert_eq!(enc["filename"], "com.example.app_1.0.0.zip");
        let enc = json_ok(&run(
            dir.path(),
            &[
                "bundle",
                "encrypt",
                "com.example.app_1.0.0.zip",
                "--key",
                &capgo_key("k1.key"),
                "-o",
                "b.enc",
                "--json",
            ],
        ));
        Self {
            ivsk: enc["ivSessionKey"].as_str().unwrap().to_owned(),
            checksum: enc["checksum"].as_str().unwrap().to_owned(),
            dir,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// (command line, the file it writes).
    fn commands(&self) -> Vec<(Vec<String>, &'static str)> {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let seal = |out: &str| {
            s(&[
                "seal",
                "com.example.app_1.0.0.zip",
                "--signing-key",
                &v3_key("signer1.key"),
                "--recipient",
                &v3_key("recipient1.pub"),
                "--app-id",
                "com.example.app",
                "--channel",
                "production",
                "--version",
                "1.0.0",
                "--sequence",
                "1",
                "-o",
                out,
            ])
        };
        vec![
            (s(&["bundle", "zip"]), "com.example.app_1.0.0.zip"),
            (
                s(&[
                    "bundle",
                    "encrypt",
                    "com.example.app_1.0.0.zip",
                    "--key",
                    &capgo_key("k1.key"),
                    "-o",
                    "b2.enc",
                ]),
                "b2.enc",
            ),
            (
                s(&[
                    "bundle",
                    "decrypt",
                    "b.enc",
                    &self.ivsk,
                    "--checksum",
                    &self.checksum,
                    "--key",
                    &capgo_key("k1.pub"),
                    "-o",
                    "b.zip",
                ]),
                "b.zip",
            ),
            (seal("b.v3"), "b.v3"),
            (
                s(&[
                    "open",
                    "b.v3",
                    "--trust",
                    &v3_key("signer1.pub"),
                    "--decryption-key",
                    &v3_key("recipient1.key"),
                    "--app-id",
                    "com.example.app",
                    "--channel",
                    "production",
                    "--min-sequence",
                    "0",
                    "-o",
                    "opened.zip",
                ]),
                "opened.zip",
            ),
        ]
    }
}

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let steps = Steps::new();
    let dir = steps.dir.path();
    for (args, file) in steps.commands() {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let existed = steps.path(file).exists();
        let first = run(dir, &args);
        if existed {
            assert!(
                stderr(&first).contains("already exists; use --force"),
                "{file}: {}",
                stderr(&first)
            );
        } else {
            assert!(first.status.success(), "{file}: {}", stderr(&first));
        }
        let made = fs::read(steps.path(file)).unwrap();
        fs::write(steps.path(file), b"precious").unwrap();
        let again = run(dir, &args);
        assert_eq!(again.status.code(), Some(1), "{file}");
        assert!(
            stderr(&again).contains(&format!("{file} already exists; use --force to replace it")),
            "{file}: {}",
            stderr(&again)
        );
        assert_eq!(fs::read(steps.path(file)).unwrap(), b"precious", "{file}");
        let mut forced = args.clone();
        forced.push("--force");
        let out = run(dir, &forced);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        assert_ne!(fs::read(steps.path(file)).unwrap(), b"precious", "{file}");
        // Put back what the first run made, for the steps after it.
        fs::write(steps.path(file), made).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn new_outputs_get_the_umask_plaintext_and_private_keys_0600() {
    let steps = Steps::new();
    let dir = steps.dir.path();
    for (args, file) in steps.commands() {
        fs::remove_file(steps.path(file)).ok();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_umask(dir, "027", &args);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let want = if matches!(file, "b.zip" | "opened.zip") {
            0o600 // plaintext
        } else {
            0o640 // 0666 under umask 027
        };
        assert_eq!(mode(&steps.path(file)), want, "{file}");
    }
    let keys = dir.join("keys");
    fs::create_dir(&keys).unwrap();
    let out = run_umask(
        dir,
        "027",
        &["key", "create", "--dir", "keys", "--no-config"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&keys.join(".capgo_key_v2")), 0o600);
    assert_eq!(mode(&keys.join(".capgo_key_v2.pub")), 0o640);
}

#[cfg(unix)]
#[test]
fn a_rewritten_config_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    for before in [0o644, 0o664, 0o600] {
        let p = project();
        let config = p.path().join("capacitor.config.json");
        fs::set_permissions(&config, fs::Permissions::from_mode(before)).unwrap();
        let out = run_umask(
            p.path(),
            "077",
            &["key", "save", "--key", &capgo_key("k1.pub")],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(fs::read_to_string(&config).unwrap().contains("publicKey"));
        assert_eq!(mode(&config), before, "key save, {before:o}");
    }
}
