//! `otaseal bench`: the report has every measurement with a positive value, the CPU and its
//! features, `--compare` prints the speed ratio per result, and bad sizes and bad reports are
//! refused with a message that names them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

fn otaseal(args: &[&str]) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, None)
}

const MEASUREMENTS: [(&str, &str); 8] = [
    ("aes128_cbc_decrypt", "MB/s"),
    ("sha256", "MB/s"),
    ("v2_decrypt_verify", "MB/s"),
    ("v2_encrypt", "MB/s"),
    ("v3_seal", "MB/s"),
    ("v3_open", "MB/s"),
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
    assert_eq!(v["buffer_len"], 4096);
    // 4 KiB buffers: below what moves a hash to a second core.
    assert_eq!(v["threads"], 1);
    assert_eq!(v["arch"], std::env::consts::ARCH);
    assert!(v["rsa2048_keygen_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(v["otaseal"], env!("CARGO_PKG_VERSION"));
    // The test builds the binary with this profile's debug assertions.
    assert_eq!(v["debug_build"], cfg!(debug_assertions));
    // And says so loudly on standard error, before measuring.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).contains("warning: this otaseal is a debug build"),
        cfg!(debug_assertions)
    );
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(v["cpu"]["cores"], cores);
    for key in ["model", "board"] {
        let field = &v["cpu"][key];
        assert!(
            field.is_null() || !field.as_str().unwrap().is_empty(),
            "{key}: {field}"
        );
    }
    if Path::new("/proc/cpuinfo").exists() && cfg!(target_arch = "x86_64") {
        assert!(v["cpu"]["model"].is_string(), "{}", v["cpu"]);
    }
    assert!(v["aes_hardware"].is_boolean());
    assert!(v.get("comparison").is_none());
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), MEASUREMENTS.len());
    for ((name, unit), r) in MEASUREMENTS.iter().zip(results) {
        assert_eq!(r["name"], *name);
        assert_eq!(r["unit"], *unit);
        let value = r["value"].as_f64().unwrap();
        assert!(value.is_finite() && value > 0.0, "{name}: {value}");
        assert!(r["iterations"].as_u64().unwrap() >= 1, "{name}");
        assert!(r["seconds"].as_f64().unwrap() >= 0.01, "{name}");
        assert_eq!(r["threads"], 1, "{name}");
    }
    let features = v["cpu_features"].as_object().unwrap();
    let names: Vec<&str> = features.keys().map(String::as_str).collect();
    if cfg!(any(target_arch = "x86", target_arch = "x86_64")) {
        assert_eq!(names, ["aes", "sha_ni", "avx2", "vaes", "pclmulqdq"]);
    } else if cfg!(target_arch = "aarch64") {
        assert_eq!(names, ["aes", "pmull", "sha2"]);
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
    assert!(text.contains("\ncpu: "), "{text}");
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

/// A report as `otaseal bench --json` writes it, with the given results.
fn report(arch: &str, model: &str, results: &[(&str, &str, f64)]) -> Value {
    let results: Vec<Value> = results
        .iter()
        .map(|&(name, unit, value)| {
            json!({"name": name, "unit": unit, "value": value, "iterations": 1, "seconds": 1.0})
        })
        .collect();
    json!({
        "otaseal": "0.1.0",
        "debug_build": false,
        "size": 16_777_216, // the name before buffer_len: still read
        "seconds_per_measurement": 0.5,
        "threads": 1,
        "arch": arch,
        "cpu": {"model": model, "board": null, "cores": 8},
        "cpu_features": {"aes": true},
        "aes_hardware": true,
        "rsa2048_keygen_ms": 100.0,
        "results": results,
    })
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn compare_prints_how_many_times_faster_per_result() {
    let dir = tempfile::tempdir().unwrap();
    let phone = write(
        dir.path(),
        "phone.json",
        &report(
            "aarch64",
            "4x ARM Cortex-A55 + 4x ARM Cortex-A76",
            &[
                ("sha256", "MB/s", 300.0),
                ("v2_decrypt_verify", "MB/s", 250.0),
                ("rsa2048_public_op", "µs", 80.0),
            ],
        ),
    );
    let laptop = write(
        dir.path(),
        "laptop.json",
        &report(
            "x86_64",
            "AMD Ryzen 7 7840U",
            &[
                ("rsa2048_public_op", "µs", 20.0),
                ("sha256", "MB/s", 1500.0),
                ("v2_decrypt_verify", "MB/s", 1000.0),
                ("v3_open", "MB/s", 900.0),
            ],
        ),
    );

    let out = otaseal(&["bench", "--load", &phone, "--compare", &laptop]);
    assert!(
        out.status.success(),
        "{}",
        otaseal_testkit::cli::stderr(&out)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "compared with {laptop}: x86_64, AMD Ryzen 7 7840U, 8 cores"
        )),
        "{text}"
    );
    for (label, ratio) in [
        ("SHA-256", "0.200x"),
        ("V2 decrypt + verify", "0.250x"),
        ("RSA-2048 public op", "0.250x"),
    ] {
        let row = text
            .lines()
            .rfind(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} in {text}"));
        assert!(row.ends_with(ratio), "{row}");
    }
    assert!(
        text.contains(&format!("only in {laptop}: v3_open")),
        "{text}"
    );
    assert!(!text.contains("debug build"), "{text}");

    // A report of a debug build is pointed out, as this machine's and as the other one.
    let mut debug = report("x86_64", "x", &[("sha256", "MB/s", 10.0)]);
    debug["debug_build"] = json!(true);
    let debug = write(dir.path(), "debug.json", &debug);
    let out = otaseal(&["bench", "--load", &debug, "--compare", &debug]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("note: a debug build of otaseal"), "{text}");
    assert!(
        text.contains(&format!("note: {debug} was measured by a debug build")),
        "{text}"
    );

    let v = otaseal_testkit::cli::json_ok(&otaseal(&[
        "bench",
        "--load",
        &laptop,
        "--compare",
        &phone,
        "--json",
    ]));
    let c = &v["comparison"];
    assert_eq!(c["arch"], "aarch64");
    assert_eq!(c["cpu"]["model"], "4x ARM Cortex-A55 + 4x ARM Cortex-A76");
    let got: Vec<(&str, f64)> = c["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["speedup"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("rsa2048_public_op", 4.0),
            ("sha256", 5.0),
            ("v2_decrypt_verify", 4.0)
        ]
    );
    assert_eq!(c["only_in_other"], json!([]));
}

#[test]
fn compare_measures_this_machine_against_a_saved_report() {
    let dir = tempfile::tempdir().unwrap();
    let saved = otaseal(&["bench", "--size", "1K", "--seconds", "0.01", "--json"]);
    let saved = write(
        dir.path(),
        "here.json",
        &otaseal_testkit::cli::json_ok(&saved),
    );
    let v = otaseal_testkit::cli::json_ok(&otaseal(&[
        "bench",
        "--size",
        "1K",
        "--seconds",
        "0.01",
        "--json",
        "--compare",
        &saved,
    ]));
    let ratios = v["comparison"]["results"].as_array().unwrap();
    assert_eq!(ratios.len(), MEASUREMENTS.len());
    for ((name, unit), r) in MEASUREMENTS.iter().zip(ratios) {
        assert_eq!(
            (r["name"].as_str(), r["unit"].as_str()),
            (Some(*name), Some(*unit))
        );
        let speedup = r["speedup"].as_f64().unwrap();
        assert!(speedup.is_finite() && speedup > 0.0, "{name}: {speedup}");
    }
}

#[test]
fn bad_reports_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.json",
        &report("x86_64", "x", &[("sha256", "MB/s", 1.0)]),
    );
    let cases = [
        (
            "not-json.json",
            json!("not a report"),
            "is not a report of `otaseal bench --json`",
        ),
        ("empty.json", json!({"results": []}), "has no results"),
        (
            "zero.json",
            report("x86_64", "x", &[("sha256", "MB/s", 0.0)]),
            "has the value 0, not a positive number",
        ),
        (
            "unit.json",
            report("x86_64", "x", &[("sha256", "furlongs", 1.0)]),
            "unknown unit \"furlongs\"",
        ),
        (
            "other-unit.json",
            report("x86_64", "x", &[("sha256", "µs", 1.0)]),
            "result \"sha256\" is in µs, not MB/s as here",
        ),
        (
            "disjoint.json",
            report("x86_64", "x", &[("aes", "MB/s", 1.0)]),
            "has no result in common",
        ),
    ];
    for (name, content, needle) in cases {
        let path = write(dir.path(), name, &content);
        let out = otaseal(&["bench", "--load", &good, "--compare", &path]);
        assert!(!out.status.success(), "{name} accepted");
        let err = otaseal_testkit::cli::stderr(&out);
        assert!(err.contains(needle) && err.contains(name), "{name}: {err}");
    }
    // A missing file is named.
    let missing = dir.path().join("missing.json");
    let out = otaseal(&[
        "bench",
        "--size",
        "1K",
        "--seconds",
        "0.01",
        "--compare",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(otaseal_testkit::cli::stderr(&out).contains("missing.json"));
    // --load only makes sense with --compare.
    let out = otaseal(&["bench", "--load", &good]);
    assert!(!out.status.success());
    assert!(otaseal_testkit::cli::stderr(&out).contains("--compare"));
}
