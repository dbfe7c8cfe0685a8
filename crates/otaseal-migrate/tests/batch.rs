//! Batch migration: 100 V1 bundles with 3 corrupted (97 migrated, 3 reported), the report's
//! content, and resuming after a crash without redoing finished bundles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use otaseal_envelope::v2::{self, Verification};
use otaseal_keys::{Limits, PrivateKey};
use otaseal_migrate::batch::{self, BatchEntry, BatchOptions, BatchReport, Status};
use otaseal_migrate::{Migrator, v1};
use otaseal_wire::{ChecksumFormat, IvSessionKey, SignedChecksum};
use serde_json::Value;

const L: Limits = Limits::DEFAULT;

fn key(name: &str) -> PrivateKey {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors/capgo-cli/keys")
        .join(format!("{name}.key"));
    PrivateKey::from_bytes(&fs::read(p).unwrap(), &L).unwrap()
}

/// Deterministic pseudo-random bytes (xorshift), so that failures reproduce.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    input: PathBuf,
    out: PathBuf,
    entries: Vec<BatchEntry>,
    plain: HashMap<String, Vec<u8>>,
}

/// `n` V1 bundles of 0 to ~3000 bytes in `input/`, made with the V1 public key as @capgo/cli
/// 4.x did; the indexes in `corrupt` get an altered body (a flipped byte in the first block,
/// caught by the CRC32), a truncated body, or an altered wrapped key, in turn.
fn fixture(n: usize, corrupt: &[usize]) -> Fixture {
    let v1_public = key("v1k1").public_key().clone();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    let out = tmp.path().join("out");
    fs::create_dir(&input).unwrap();
    let mut entries = Vec::new();
    let mut plain = HashMap::new();
    for i in 0..n {
        let p = bytes(i as u64, (i * 37) % 3000 + usize::from(i % 3 == 0) * 16);
        let (mut ct, mut ivsk, crc) = v1::insecure_testing::encrypt(&p, &v1_public).unwrap();
        if let Some(k) = corrupt.iter().position(|&c| c == i) {
            match k % 3 {
                0 => ct[2] ^= 0x40,
                1 => ct.truncate(ct.len() - 3),
                _ => {
                    let mut block = ivsk.wrapped_key().to_vec();
                    block[17] ^= 1;
                    ivsk = IvSessionKey::new(*ivsk.iv(), block);
                }
            }
        }
        let name = format!("bundle-{i:03}.zip");
        fs::write(input.join(&name), &ct).unwrap();
        entries.push(BatchEntry::new(
            name.clone(),
            ivsk.to_string(),
            Some(crc.to_string()),
        ));
        plain.insert(name, p);
    }
    Fixture {
        _tmp: tmp,
        input,
        out,
        entries,
        plain,
    }
}

fn run(f: &Fixture) -> (BatchReport, usize) {
    let v1_key = key("v1k1");
    let v2_key = key("k1");
    let migrator = Migrator::new(&v1_key, &v2_key).unwrap();
    let mut calls = 0;
    let report = batch::run(
        &migrator,
        &f.entries,
        &BatchOptions::new(f.input.clone(), f.out.clone()),
        &mut |_, _| calls += 1,
    )
    .unwrap();
    (report, calls)
}

fn mtimes(dir: &Path) -> HashMap<String, SystemTime> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().modified().unwrap(),
            )
        })
        .collect()
}

fn check_output(f: &Fixture, record: &batch::BatchRecord) {
    let v2_public = key("k1").public_key().clone();
    let name = record.new_name.as_deref().unwrap();
    let ct = fs::read(f.out.join(name)).unwrap();
    assert_eq!(Some(ct.len() as u64), record.size);
    let ivsk = IvSessionKey::parse(record.iv_session_key.as_deref().unwrap(), &L).unwrap();
    let signed = SignedChecksum::parse(record.checksum.as_deref().unwrap(), &L).unwrap();
    assert_eq!(signed.format(), ChecksumFormat::Hex);
    let plain = v2::decrypt(
        &ct,
        &v2_public,
        &ivsk,
        Verification::SignedChecksum(&signed),
        &L,
    )
    .unwrap();
    assert_eq!(&*plain, &f.plain[&record.old_name]);
    let sha = v2::decrypt_stream(
        &ct[..],
        std::io::sink(),
        &v2_public,
        &ivsk,
        Verification::SignedChecksum(&signed),
        &L,
    )
    .unwrap()
    .checksum;
    assert_eq!(record.sha256.as_deref(), Some(sha.to_hex().as_str()));
    assert_eq!(
        record.crc32.as_deref(),
        Some(v1::crc32(&plain).to_string().as_str())
    );
}

#[test]
fn a_hundred_bundles_with_three_corrupted_migrate_97_and_report_3() {
    let corrupt = [7usize, 42, 93];
    let f = fixture(100, &corrupt);
    let (report, calls) = run(&f);
    assert_eq!(calls, 100);
    assert_eq!(report.migrated, 97);
    assert_eq!(report.migrated_this_run, 97);
    assert_eq!(report.failed, 3);
    assert_eq!(report.resumed, 0);
    assert_eq!(report.runs, 1);
    assert!(!report.dry_run);
    assert_eq!(report.bundles.len(), 100);
    for (i, r) in report.bundles.iter().enumerate() {
        assert_eq!(r.old_name, format!("bundle-{i:03}.zip"), "list order");
        assert_eq!(r.new_name.as_deref(), Some(r.old_name.as_str()));
        assert_eq!(r.v1_iv_session_key, f.entries[i].iv_session_key);
        assert_eq!(r.run, 1);
        if corrupt.contains(&i) {
            assert_eq!(r.status, Status::Failed, "{i}");
            let err = r.error.as_deref().unwrap();
            assert!(err.contains(&r.old_name), "the error names the file: {err}");
            assert!(r.iv_session_key.is_none() && r.checksum.is_none() && r.sha256.is_none());
            assert!(!f.out.join(&r.old_name).exists(), "no output for {i}");
        } else {
            assert_eq!(r.status, Status::Migrated, "{i}: {:?}", r.error);
            assert!(r.error.is_none());
            check_output(&f, r);
        }
    }
    let errors: Vec<&str> = corrupt
        .iter()
        .map(|&i| report.bundles[i].error.as_deref().unwrap())
        .collect();
    assert!(
        errors[0].contains("failed to decrypt and verify"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("not a positive multiple of 16"),
        "{errors:?}"
    );
    assert!(
        errors[2].contains("failed to decrypt and verify"),
        "{errors:?}"
    );

    // The report on disk is the returned one, in the documented JSON shape.
    let on_disk = batch::read_report(&f.out.join(batch::REPORT_FILE)).unwrap();
    assert_eq!(on_disk, report);
    let json: Value =
        serde_json::from_slice(&fs::read(f.out.join(batch::REPORT_FILE)).unwrap()).unwrap();
    assert_eq!(json["format"], batch::REPORT_FORMAT);
    assert_eq!(json["migrated"], 97);
    assert_eq!(json["failed"], 3);
    let b7 = &json["bundles"][7];
    assert_eq!(b7["status"], "failed");
    assert_eq!(b7["file"], "bundle-007.zip");
    let b0 = &json["bundles"][0];
    assert_eq!(b0["status"], "migrated");
    for k in [
        "file",
        "filename",
        "v1_ivSessionKey",
        "ivSessionKey",
        "checksum",
        "ciphertext_len",
        "sha256",
        "message",
    ] {
        assert!(b0.get(k).is_some(), "record has {k}");
    }
    // Outputs, journal and report; no temporary file.
    assert_eq!(fs::read_dir(&f.out).unwrap().count(), 97 + 2);
}

#[test]
fn a_resumed_run_redoes_only_what_is_missing() {
    let f = fixture(12, &[4]);
    let (first, _) = run(&f);
    assert_eq!((first.migrated, first.failed), (11, 1));
    let before = mtimes(&f.out);
    std::thread::sleep(std::time::Duration::from_millis(20));

    // A crash: bundle-002's output was lost, bundle-009 was written but the run died before
    // recording it (its journal line is missing and the report was never written), and a
    // temporary file was left half-written.
    fs::remove_file(f.out.join("bundle-002.zip")).unwrap();
    let journal = f.out.join(batch::JOURNAL_FILE);
    let kept: String = fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"bundle-009.zip\""))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&journal, format!("{kept}{{\"old_name\": \"torn")).unwrap();
    fs::remove_file(f.out.join(batch::REPORT_FILE)).unwrap();
    // What a crash leaves where files cannot be unnamed: a temporary file of an output.
    let stale = f.out.join(".bundle-009.zip.otaseal-0123456789abcdef.part");
    fs::write(&stale, b"half").unwrap();

    let (second, calls) = run(&f);
    assert_eq!(calls, 12);
    assert_eq!(second.runs, 2);
    assert_eq!(second.migrated, 11);
    assert_eq!(second.migrated_this_run, 2);
    assert_eq!(second.resumed, 9);
    assert_eq!(
        second.failed, 1,
        "the corrupted one is retried and fails again"
    );
    let after = mtimes(&f.out);
    for r in &second.bundles {
        let redone = ["bundle-002.zip", "bundle-009.zip", "bundle-004.zip"];
        if redone.contains(&r.old_name.as_str()) {
            assert_eq!(r.run, 2, "{} redone", r.old_name);
        } else {
            assert_eq!(r.run, 1, "{} not redone", r.old_name);
            assert_eq!(
                before[&r.old_name], after[&r.old_name],
                "{} untouched",
                r.old_name
            );
        }
        if r.status == Status::Migrated {
            check_output(&f, r);
        }
    }
    assert_ne!(before["bundle-009.zip"], after["bundle-009.zip"]);
    assert!(!stale.exists());

    // While another run holds the output directory, a second one refuses to start.
    let held = fs::OpenOptions::new().append(true).open(&journal).unwrap();
    held.lock().unwrap();
    let v1_key = key("v1k1");
    let v2_key = key("k1");
    let migrator = Migrator::new(&v1_key, &v2_key).unwrap();
    let busy = batch::run(
        &migrator,
        &f.entries,
        &BatchOptions::new(f.input.clone(), f.out.clone()),
        &mut |_, _| {},
    );
    assert!(
        matches!(&busy, Err(batch::BatchError::Locked { .. })),
        "{busy:?}"
    );
    drop(held);

    // A third run finds everything done, and the compacted journal holds one line per entry.
    let (third, _) = run(&f);
    assert_eq!(
        (third.runs, third.resumed, third.migrated_this_run),
        (3, 11, 0)
    );
    let lines = fs::read_to_string(&journal).unwrap().lines().count();
    assert_eq!(lines, 12);
    // A changed input (another ivSessionKey for the same file) is redone.
    let mut g = f;
    let v1_public = key("v1k1").public_key().clone();
    let (ct, ivsk, crc) = v1::insecure_testing::encrypt(b"new content", &v1_public).unwrap();
    fs::write(g.input.join("bundle-000.zip"), ct).unwrap();
    g.entries[0] = BatchEntry::new(
        "bundle-000.zip".into(),
        ivsk.to_string(),
        Some(crc.to_string()),
    );
    g.plain
        .insert("bundle-000.zip".into(), b"new content".to_vec());
    let (fourth, _) = run(&g);
    assert_eq!(fourth.migrated_this_run, 1);
    assert_eq!(fourth.bundles[0].run, 4);
    check_output(&g, &fourth.bundles[0]);
}

#[test]
fn list_problems_are_per_entry_and_dry_run_writes_nothing() {
    let f = fixture(3, &[]);
    let mut entries = f.entries.clone();
    entries.push(BatchEntry::new(
        "missing.zip".into(),
        f.entries[0].iv_session_key.clone(),
        None,
    ));
    entries.push(BatchEntry::new(
        "other.zip".into(),
        "not a session key".into(),
        None,
    ));
    entries.push(BatchEntry::new(
        "sub/../bundle-000.zip".into(),
        f.entries[0].iv_session_key.clone(),
        None,
    ));
    entries.push(BatchEntry::new(
        "bundle-002-copy.zip".into(),
        f.entries[2].iv_session_key.clone(),
        Some("XYZ".into()),
    ));
    entries.push(BatchEntry::new(
        "..".into(),
        f.entries[2].iv_session_key.clone(),
        None,
    ));
    let v1_key = key("v1k1");
    let v2_key = key("k1");
    let migrator = Migrator::new(&v1_key, &v2_key).unwrap();
    let mut opts = BatchOptions::new(f.input.clone(), f.out.clone());
    opts.dry_run = true;
    let dry = batch::run(&migrator, &entries, &opts, &mut |_, _| {}).unwrap();
    assert!(!f.out.exists(), "a dry run creates nothing");
    assert_eq!(dry.verified, 3);
    assert_eq!(dry.failed, 5);
    assert!(
        dry.bundles[..3]
            .iter()
            .all(|r| r.status == Status::Verified)
    );

    opts.dry_run = false;
    let report = batch::run(&migrator, &entries, &opts, &mut |_, _| {}).unwrap();
    let errs: Vec<String> = report.bundles[3..]
        .iter()
        .map(|r| r.error.clone().unwrap())
        .collect();
    assert!(errs[0].contains("is not a file"), "{errs:?}");
    // The field is named once (the wire error names it), not twice.
    assert!(errs[1].starts_with("ivSessionKey has no ':'"), "{errs:?}");
    assert!(
        errs[2].contains("entry 1 of the list is already written as \"bundle-000.zip\""),
        "{errs:?}"
    );
    assert!(errs[3].starts_with("checksum is not valid"), "{errs:?}");
    assert!(errs[4].contains("no file name"), "{errs:?}");
    assert_eq!(report.migrated, 3);

    // Input and output in the same directory: refused per entry, the input is kept.
    let same = BatchOptions::new(f.input.clone(), f.input.clone());
    let r = batch::run(&migrator, &f.entries[..1], &same, &mut |_, _| {}).unwrap();
    assert_eq!(r.failed, 1);
    assert!(
        r.bundles[0]
            .error
            .as_deref()
            .unwrap()
            .contains("is the input itself")
    );
    assert!(
        v1::decrypt(
            &fs::read(f.input.join("bundle-000.zip")).unwrap(),
            &v1_key,
            &IvSessionKey::parse(&f.entries[0].iv_session_key, &L).unwrap(),
            None,
            &L
        )
        .is_ok()
    );

    // The list parser.
    let list = serde_json::to_vec(&f.entries).unwrap();
    assert_eq!(batch::parse_list(&list, &L).unwrap(), f.entries);
    assert!(batch::parse_list(b"[{\"file\": \"a\"}]", &L).is_err());
    assert!(
        batch::parse_list(
            b"[{\"file\": \"a\", \"iv_session_key\": \"b\", \"x\": 1}]",
            &L
        )
        .is_err()
    );
    let mut tiny = L;
    tiny.max_manifest_entries = 2;
    assert!(batch::parse_list(&list, &tiny).is_err());
}
