//! `otaseal bench`: the report has every measurement with a positive value, the CPU features of
//! this architecture, and bad sizes are refused with a message that names them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::process::Output;

use serde_json::Value;

fn otaseal(args: &[&str]) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, None)
}

const MEASUREMENTS: [(&str, &str); 6] = [
    ("aes128_cbc_decrypt", "MB/s"),
    ("sha256", "MB/s"),
    ("v2_decrypt_verify", "MB/s"),
    ("v2_encrypt", "MB/s"),
    ("rsa2048_public_op", "µs"),
    ("rsa2048_private_op", "µs"),
];

#[test]
fn json_report_has_every_measurement() {
    let out = otaseal(&["bench", "--size", "4K", "--seconds", "0.01", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["size"], 4096);
    assert_eq!(v["threads"], 1);
    assert_eq!(v["arch"], std::env::consts::ARCH);
    assert!(v["rsa2048_keygen_ms"].as_f64().unwrap() > 0.0);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), MEASUREMENTS.len());
    for ((name, unit), r) in MEASUREMENTS.iter().zip(results) {
        assert_eq!(r["name"], *name);
        assert_eq!(r["unit"], *unit);
        let value = r["value"].as_f64().unwrap();
        assert!(value.is_finite() && value > 0.0, "{name}: {value}");
        assert!(r["iterations"].as_u64().unwrap() >= 1, "{name}");
        assert!(r["seconds"].as_f64().unwrap() >= 0.01, "{name}");
    }
    let features = v["cpu_features"].as_object().unwrap();
    let names: Vec<&str> = features.keys().map(String::as_str).collect();
    if cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
        assert_eq!(names, ["aes", "sha_ni", "avx2", "vaes", "pclmulqdq"]);
    } else if cfg!(target_arch = "aarch64") {
        assert_eq!(names, ["aes", "sha2"]);
    } else {
        assert!(names.is_empty());
    }
    assert!(features.values().all(Value::is_boolean));
}

#[test]
fn text_report_names_each_line() {
    // 64 KiB: even V2 encrypt, with its two RSA private operations per bundle, prints a rate of
    // at least 0.1 MB/s on a slow, loaded machine (the text shows one decimal).
    let out = otaseal(&["bench", "--size", "64K", "--seconds", "0.01"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("otaseal bench: 65536-byte buffers"),
        "{text}"
    );
    assert!(text.contains("cpu features: "), "{text}");
    for line in [
        "AES-128-CBC decrypt",
        "SHA-256",
        "V2 decrypt + verify",
        "V2 encrypt",
        "RSA-2048 public op",
        "RSA-2048 private op",
    ] {
        let row = text
            .lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("no {line:?} in {text}"));
        let value: f64 = row
            .split_whitespace()
            .rev()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert!(value > 0.0, "{row}");
    }
}

#[test]
fn bad_sizes_and_durations_are_refused() {
    for (args, needle) in [
        (["--size", "8"], "out of range"),
        (["--size", "2G"], "out of range"),
        (["--size", "12X"], "is not a size"),
        (["--seconds", "0"], "out of range"),
        (["--seconds", "soon"], "is not a number"),
    ] {
        let mut all = vec!["bench"];
        all.extend(args);
        let out = otaseal(&all);
        assert!(!out.status.success(), "{all:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{all:?}: {err}");
    }
}
