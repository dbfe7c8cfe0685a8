//! Replays every file of `fuzz/corpus/<target>/` through the fuzz target of that name, on
//! stable Rust, so that CI checks the committed seeds and every crash input added to them
//! without libFuzzer. The target bodies are the plain functions of `fuzz/src/lib.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::collections::BTreeSet;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_corpus_file_passes_its_target() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for &(name, target) in otaseal_fuzz::TARGETS {
        let dir = fuzz_dir().join("corpus").join(name);
        let inputs = files(&dir);
        let seeds = inputs
            .iter()
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("seed-")
            })
            .count();
        assert!(seeds > 0, "{} has no committed seed-* file", dir.display());
        for input in inputs {
            let data = fs::read(&input).unwrap();
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failures.push(input.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
    assert!(replayed >= otaseal_fuzz::TARGETS.len());
}

/// The table of `fuzz/src/lib.rs`, the binaries of `fuzz/fuzz_targets/` and the corpus
/// directories name the same targets, so that none is left out of the replay.
#[test]
fn targets_binaries_and_corpora_agree() {
    let table: BTreeSet<String> = otaseal_fuzz::TARGETS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    let stems = |dir: &str, ext: Option<&str>| -> BTreeSet<String> {
        fs::read_dir(fuzz_dir().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(stems("fuzz_targets", Some("rs")), table);
    assert_eq!(stems("corpus", None), table);
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for name in &table {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}
