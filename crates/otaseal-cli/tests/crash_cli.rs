//! Nothing unverified survives a crash (issue "Step 2", items 1 to 3): a decryption killed
//! halfway leaves no file at all, an over-limit input is refused before any work, and an output
//! that is the input or a folder is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use otaseal_envelope::v2;
use otaseal_testkit::{LIMITS, capgo, entries};
use otaseal_wire::ChecksumFormat;

const BIN: &str = env!("CARGO_BIN_EXE_otaseal");

/// A V2 bundle of `len` bytes made with the k1 key: (ciphertext, ivSessionKey, checksum).
fn bundle(len: usize) -> (Vec<u8>, String, String) {
    let (key, _) = capgo::keys("k1");
    let plain = otaseal_testkit::pattern(len);
    let (ct, out) = v2::encrypt(&plain, &key, ChecksumFormat::Hex).unwrap();
    (
        ct,
        out.iv_session_key.to_string(),
        out.signed_checksum.to_string(),
    )
}

fn decrypt_args<'a>(input: &'a str, ivsk: &'a str, sum: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "bundle",
        "decrypt",
        input,
        ivsk,
        "--checksum",
        sum,
        "--key",
        KEY,
        "-o",
        out,
    ]
}

const KEY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/vectors/capgo-cli/keys/k1.pub"
);

#[cfg(unix)]
#[test]
fn a_decryption_killed_halfway_leaves_nothing_and_a_rerun_leaves_only_the_output() {
    let (ct, ivsk, sum) = bundle(4 << 20);
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("kill");
    std::fs::create_dir(&out_dir).unwrap();
    let fifo = dir.path().join("bundle.enc");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let out = out_dir.join("out.zip");
    let (fifo_s, out_s) = (fifo.display().to_string(), out.display().to_string());
    let mut child = otaseal_testkit::cli::command(BIN)
        .args(decrypt_args(&fifo_s, &ivsk, &sum, &out_s))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Feed half the bundle through the pipe: otaseal decrypts and writes it, unverified.
    let mut pipe = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    pipe.write_all(&ct[..ct.len() / 2]).unwrap();
    pipe.flush().unwrap();
    // Until the process has read everything that was written, wait; then kill it hard.
    wait_until_read(&child, &fifo);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(pipe);
    let left = entries(&out_dir);
    // Linux: the output had no name at all (O_TMPFILE). Elsewhere: at most a temporary file
    // named after the output, which the next write of that output removes.
    if cfg!(any(target_os = "linux", target_os = "android")) {
        assert!(left.is_empty(), "a killed decryption left {left:?}");
    } else {
        assert!(
            left.iter()
                .all(|n| n.starts_with(".out.zip.otaseal-") && n.ends_with(".part")),
            "a killed decryption left {left:?}"
        );
    }

    // A complete run afterwards leaves the output and nothing else.
    let real = dir.path().join("bundle.bin");
    std::fs::write(&real, &ct).unwrap();
    let real_s = real.display().to_string();
    let run = otaseal_testkit::cli::command(BIN)
        .args(decrypt_args(&real_s, &ivsk, &sum, &out_s))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        otaseal_testkit::cli::stderr(&run)
    );
    assert_eq!(entries(&out_dir), ["out.zip"]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        otaseal_testkit::pattern(4 << 20)
    );
}

/// Waits (bounded) until `child` has drained the pipe, so that the kill lands after it wrote
/// plaintext.
#[cfg(unix)]
fn wait_until_read(child: &std::process::Child, fifo: &Path) {
    let _ = fifo;
    let fd_dir = format!("/proc/{}/fd", child.id());
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(25));
        // The pipe is drained when a non-blocking read end would see nothing; approximate
        // with the process's write progress: it has an open file in the output folder.
        if std::fs::read_dir(&fd_dir).is_ok_and(|d| {
            d.filter_map(Result::ok).any(|e| {
                std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().contains("kill"))
            })
        }) {
            std::thread::sleep(std::time::Duration::from_millis(200));
            return;
        }
    }
    panic!("otaseal never opened its output");
}

#[test]
fn an_input_over_the_limit_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.enc");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(LIMITS.max_bundle_len + 1)
        .unwrap(); // sparse
    let (_, ivsk, sum) = bundle(16);
    let out = dir.path().join("out.zip");
    let (big_s, out_s) = (big.display().to_string(), out.display().to_string());
    let run = otaseal_testkit::cli::command(BIN)
        .args(decrypt_args(&big_s, &ivsk, &sum, &out_s))
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = otaseal_testkit::cli::stderr(&run);
    assert!(
        err.contains("a bundle of 1073741825 bytes is more than the limit of 1073741824 bytes"),
        "{err}"
    );
    assert_eq!(entries(dir.path()), ["huge.enc"]);
    let run = otaseal_testkit::cli::command(BIN)
        .args([
            "bundle",
            "encrypt",
            &big_s,
            "--key",
            &capgo::key_file("k1.key").display().to_string(),
            "--checksum-format",
            "hex",
        ])
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(otaseal_testkit::cli::stderr(&run).contains("more than the limit"));
    assert_eq!(entries(dir.path()), ["huge.enc"]);
}

#[test]
fn an_output_that_is_the_input_or_a_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ct, ivsk, sum) = bundle(100);
    let input = dir.path().join("b.enc");
    std::fs::write(&input, &ct).unwrap();
    let input_s = input.display().to_string();
    let run = otaseal_testkit::cli::command(BIN)
        .args(decrypt_args(&input_s, &ivsk, &sum, &input_s))
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(
        otaseal_testkit::cli::stderr(&run).contains("is the input itself"),
        "{}",
        otaseal_testkit::cli::stderr(&run)
    );
    assert_eq!(std::fs::read(&input).unwrap(), ct, "the input is untouched");
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let run = otaseal_testkit::cli::command(BIN)
        .args(decrypt_args(
            &input_s,
            &ivsk,
            &sum,
            &folder.display().to_string(),
        ))
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(otaseal_testkit::cli::stderr(&run).contains("folder"));
    assert!(entries(&folder).is_empty());
}
