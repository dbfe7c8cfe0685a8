//! Delta manifests (`spec/v2.md` 9): create then apply round trips in both checksum forms,
//! and every tamper, rename, traversal, duplicate and limit case fails with nothing written.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use otaseal_envelope::v2::recover_checksum;
use otaseal_keys::{Limits, PrivateKey};
use otaseal_manifest::{
    self as manifest, ApplyOptions, CreateOptions, Created, FILES_DIR, MANIFEST_FILE, Manifest,
    ManifestEntry, ManifestError,
};
use otaseal_wire::{ChecksumFormat, IvSessionKey, Sha256Checksum, SignedChecksum};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const BASE: &str = "https://cdn.example.com/delta/v1";

fn key(name: &str) -> PrivateKey {
    let path = format!(
        "{}/../../spec/vectors/capgo-cli/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    PrivateKey::from_bytes(&fs::read(path).unwrap(), &Limits::default()).unwrap()
}

/// Pseudo-random, incompressible bytes (xorshift).
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn text(len: usize) -> Vec<u8> {
    b"console.log('otaseal delta');\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

/// The tree the manifest must reproduce, and the files it must skip.
fn write_tree(dist: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut expected = BTreeMap::new();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "index.html",
            b"<!doctype html><script src=assets/js/app.js></script>".to_vec(),
        ),
        ("assets/js/app.js", text(50_000)),
        ("assets/js/vendor/lib.js", text(20_000)),
        ("assets/copy/lib.js", text(20_000)), // same content: signed once
        ("assets/img/noise.bin", noise(20_000, 7)),
        ("exact8192.txt", text(8192)),
        ("just8191.txt", text(8191)),
        ("deep/a/b/c/d/e.css", b"body{margin:0}".to_vec()),
        ("ünï/é@2x+1.png", noise(300, 3)),
        (".well-known/assetlinks.json", b"[]".to_vec()),
    ];
    for (p, data) in files {
        let path = dist.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &data).unwrap();
        expected.insert(p.to_owned(), data);
    }
    // Skipped: empty files and Capgo's ignore list.
    fs::write(dist.join("empty.txt"), b"").unwrap();
    fs::write(dist.join(".DS_Store"), b"x").unwrap();
    fs::write(dist.join("tsconfig.json"), b"{}").unwrap();
    fs::create_dir_all(dist.join("node_modules/pkg")).unwrap();
    fs::write(dist.join("node_modules/pkg/index.js"), b"x").unwrap();
    fs::create_dir_all(dist.join(".git")).unwrap();
    fs::write(dist.join(".git/HEAD"), b"ref").unwrap();
    expected
}

fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let t = e.file_type().unwrap();
            assert!(!t.is_symlink());
            if t.is_dir() {
                walk(&e.path(), &rel, out);
            } else {
                out.insert(rel, fs::read(e.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    expected: BTreeMap<String, Vec<u8>>,
    out: PathBuf,
    created: Created,
    key: PrivateKey,
}

impl Fixture {
    fn new(format: ChecksumFormat) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_owned();
        let dist = root.join("dist");
        let expected = write_tree(&dist);
        let out = root.join("out");
        let key = key("k1.key");
        let mut opts = CreateOptions::new(BASE);
        opts.format = format;
        let created = manifest::create(&dist, &out, &key, &opts).unwrap();
        Self {
            _tmp: tmp,
            root,
            expected,
            out,
            created,
            key,
        }
    }

    fn files(&self) -> PathBuf {
        self.out.join(FILES_DIR)
    }

    fn entries(&self) -> Vec<ManifestEntry> {
        self.created.manifest.entries().to_vec()
    }

    fn dest(&self) -> PathBuf {
        self.root.join("www")
    }

    fn apply_entries(&self, entries: Vec<ManifestEntry>) -> Result<(), ManifestError> {
        let m = Manifest::from_entries(entries, &Limits::default())?;
        self.apply(&m, &ApplyOptions::default())
    }

    fn apply(&self, m: &Manifest, opts: &ApplyOptions) -> Result<(), ManifestError> {
        manifest::apply(
            m,
            &self.files(),
            &self.dest(),
            self.key.public_key(),
            &self.created.iv_session_key,
            opts,
        )
        .map(|_| ())
    }

    /// Nothing of a failed apply is left: no destination, no staging folder.
    fn assert_nothing_written(&self) {
        assert!(!self.dest().exists(), "destination was created");
        let leftovers: Vec<_> = fs::read_dir(&self.root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".otaseal"))
            .collect();
        assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    }
}

fn round_trip(format: ChecksumFormat) {
    let f = Fixture::new(format);
    let json = fs::read(f.out.join(MANIFEST_FILE)).unwrap();
    let parsed = Manifest::parse(&json, &Limits::default()).unwrap();
    assert_eq!(parsed.entries(), f.created.manifest.entries());
    // Deterministic order: sorted by path.
    let targets: Vec<&str> = parsed.target_paths().collect();
    let mut sorted = targets.clone();
    sorted.sort_unstable();
    assert_eq!(targets, sorted);
    assert_eq!(targets.len(), f.expected.len());

    let names: BTreeMap<&str, &ManifestEntry> = parsed
        .entries()
        .iter()
        .map(|e| (e.file_name.as_str(), e))
        .collect();
    // Brotli: >= 8192 bytes and saves more than 10 bytes.
    for br in [
        "assets/js/app.js.br",
        "assets/js/vendor/lib.js.br",
        "exact8192.txt.br",
    ] {
        assert!(names.contains_key(br), "{br} missing: {names:?}");
    }
    for plain in ["just8191.txt", "assets/img/noise.bin", "index.html"] {
        assert!(names.contains_key(plain), "{plain} missing");
    }
    assert_eq!(f.created.brotli_files, 4);
    // Percent-encoding of the stored name, and the download URL built from it.
    let png = names["%C3%BCn%C3%AF/%C3%A9%402x%2B1.png"];
    assert_eq!(
        png.download_url,
        format!("{BASE}/%C3%BCn%C3%AF/%C3%A9%402x%2B1.png")
    );
    // Identical files are signed once.
    assert_eq!(f.created.distinct_hashes, f.expected.len() - 1);
    // file_hash is the signed SHA-256 of the original file, in the requested form.
    for (entry, target) in parsed.entries().iter().zip(parsed.target_paths()) {
        let signed = SignedChecksum::parse(&entry.file_hash, &Limits::default()).unwrap();
        assert_eq!(signed.format(), format);
        let sum = recover_checksum(f.key.public_key(), &signed).unwrap();
        let want = Sha256Checksum::from_bytes(Sha256::digest(&f.expected[target]).into());
        assert_eq!(sum, want, "{target}");
    }

    let dest = f.dest();
    let applied = manifest::apply(
        &parsed,
        &f.files(),
        &dest,
        f.key.public_key(),
        &f.created.iv_session_key,
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(applied.files, f.expected.len());
    assert_eq!(read_tree(&dest), f.expected);
    assert_eq!(
        applied.total_len,
        f.expected.values().map(|v| v.len() as u64).sum::<u64>()
    );

    // The ivSessionKey string round-trips as the update server would send it.
    let ivsk =
        IvSessionKey::parse(&f.created.iv_session_key.to_string(), &Limits::default()).unwrap();
    let again = f.root.join("www2");
    manifest::apply(
        &parsed,
        &f.files(),
        &again,
        f.key.public_key(),
        &ivsk,
        &ApplyOptions::default(),
    )
    .unwrap();
    assert_eq!(read_tree(&again), f.expected);
}

#[test]
fn round_trip_hex() {
    round_trip(ChecksumFormat::Hex);
}

#[test]
fn round_trip_base64() {
    round_trip(ChecksumFormat::Base64);
}

#[test]
fn tampered_files_fail_with_nothing_written() {
    let f = Fixture::new(ChecksumFormat::Hex);
    let m = f.created.manifest.clone();
    for (i, (entry, _)) in m.entries().iter().zip(m.target_paths()).enumerate() {
        let path = f
            .files()
            .join(otaseal_wire::manifest::decode_name(&entry.file_name).unwrap());
        let original = fs::read(&path).unwrap();
        let len = original.len();
        // First byte (garbles the first block), a byte of the next-to-last block (flips a
        // plaintext byte of the last block), and the last byte (padding).
        let mut positions = vec![0, len - 1];
        if len >= 32 {
            positions.push(len - 20);
        }
        for pos in positions {
            let mut bad = original.clone();
            bad[pos] ^= 0x01;
            fs::write(&path, &bad).unwrap();
            let err = f.apply(&m, &ApplyOptions::default()).unwrap_err();
            assert!(
                matches!(err, ManifestError::FileFailed { .. }),
                "entry {i} byte {pos}: {err}"
            );
            f.assert_nothing_written();
        }
        // Truncated by one block, and one extra block.
        fs::write(&path, &original[..len - 16]).unwrap();
        assert!(f.apply(&m, &ApplyOptions::default()).is_err());
        f.assert_nothing_written();
        let mut longer = original.clone();
        longer.extend_from_slice(&[0u8; 16]);
        fs::write(&path, &longer).unwrap();
        assert!(f.apply(&m, &ApplyOptions::default()).is_err());
        f.assert_nothing_written();
        fs::write(&path, &original).unwrap();
    }
    f.apply(&m, &ApplyOptions::default()).unwrap();
}

#[test]
fn swapped_hashes_and_renamed_entries_fail() {
    let f = Fixture::new(ChecksumFormat::Hex);
    let entries = f.entries();
    let (a, b) = (0, entries.len() - 1);

    let mut swapped = entries.clone();
    let h = swapped[a].file_hash.clone();
    swapped[a].file_hash = swapped[b].file_hash.clone();
    swapped[b].file_hash = h;
    assert!(matches!(
        f.apply_entries(swapped).unwrap_err(),
        ManifestError::FileFailed { .. }
    ));
    f.assert_nothing_written();

    // Two entries trade names (their files stay): each name now holds the other file.
    let mut renamed = entries.clone();
    let n = renamed[a].file_name.clone();
    renamed[a].file_name = renamed[b].file_name.clone();
    renamed[b].file_name = n;
    assert!(matches!(
        f.apply_entries(renamed).unwrap_err(),
        ManifestError::FileFailed { .. }
    ));
    f.assert_nothing_written();

    // An entry renamed to a name that has no file.
    let mut missing = entries.clone();
    missing[a].file_name = "nothing-here.js".into();
    assert!(matches!(
        f.apply_entries(missing).unwrap_err(),
        ManifestError::Io { .. }
    ));
    f.assert_nothing_written();

    // A .br entry renamed without .br: its content is Brotli, so its hash does not match.
    let mut unbr = entries.clone();
    let i = unbr
        .iter()
        .position(|e| e.file_name == "exact8192.txt.br")
        .unwrap();
    fs::copy(
        f.files().join("exact8192.txt.br"),
        f.files().join("exact8192.txt"),
    )
    .unwrap();
    unbr[i].file_name = "exact8192.txt".into();
    assert!(matches!(
        f.apply_entries(unbr).unwrap_err(),
        ManifestError::FileFailed { .. }
    ));
    f.assert_nothing_written();
    fs::remove_file(f.files().join("exact8192.txt")).unwrap();

    // A file_hash signed by another key.
    let other = key("k2.key");
    let mut foreign = entries.clone();
    let sum = Sha256Checksum::from_bytes(Sha256::digest(&f.expected["index.html"]).into());
    let i = foreign
        .iter()
        .position(|e| e.file_name == "index.html")
        .unwrap();
    foreign[i].file_hash = otaseal_envelope::v2::sign_checksum(&other, &sum, ChecksumFormat::Hex)
        .unwrap()
        .to_string();
    assert!(matches!(
        f.apply_entries(foreign).unwrap_err(),
        ManifestError::FileHash { .. }
    ));
    f.assert_nothing_written();

    // The ivSessionKey of another manifest (another session key and IV).
    let g = Fixture::new(ChecksumFormat::Hex);
    let err = manifest::apply(
        &f.created.manifest,
        &f.files(),
        &f.dest(),
        f.key.public_key(),
        &g.created.iv_session_key,
        &ApplyOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ManifestError::FileFailed { .. }), "{err}");
    f.assert_nothing_written();

    // An ivSessionKey wrapped by another key does not open at all.
    let err = manifest::apply(
        &f.created.manifest,
        &f.files(),
        &f.dest(),
        other.public_key(),
        &f.created.iv_session_key,
        &ApplyOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ManifestError::SessionKey(_)), "{err}");
    f.assert_nothing_written();
}

#[test]
fn traversal_and_unsafe_names_are_rejected() {
    let f = Fixture::new(ChecksumFormat::Hex);
    let template = f.entries()[0].clone();
    for bad in [
        "../x",
        "/etc/x",
        "C:\\x",
        "C:/x",
        "a/../../x",
        "a//b",
        "a/./b",
        "",
        "a/",
        "%2e%2e/x",
        "a%2Fb",
        "a%5Cb",
        "a%00b",
        "%ZZ",
        "%C3",
        "x\\..\\y",
        "a\nb",
    ] {
        let mut e = template.clone();
        e.file_name = bad.into();
        let err = f.apply_entries(vec![e]).unwrap_err();
        assert!(
            matches!(err, ManifestError::InvalidName { .. }),
            "{bad:?}: {err}"
        );
        f.assert_nothing_written();
    }
}

#[test]
fn duplicate_names_are_rejected() {
    let f = Fixture::new(ChecksumFormat::Hex);
    let e = f.entries()[0].clone();
    let named = |n: &str| {
        let mut x = e.clone();
        x.file_name = n.into();
        x
    };
    for (a, b) in [
        ("a.js", "a.js"),
        ("a.js", "A.JS"),
        ("a.js", "a.js.br"),
        ("dir/x", "DIR/X"),
        ("a", "a/b"),
        ("a/b", "a"),
        ("a/b", "A/b/c"),
        ("%61.js", "a.js"),
        // é as one code point (NFC) and as e + combining acute (NFD): one file on APFS/HFS+.
        ("%C3%A9.txt", "e%CC%81.txt"),
        ("e%CC%81.txt", "%C3%89.TXT"),
        ("caf%C3%A9/a.js", "CAFE%CC%81/A.JS"),
    ] {
        let err = f.apply_entries(vec![named(a), named(b)]).unwrap_err();
        assert!(
            matches!(err, ManifestError::DuplicateName { .. }),
            "{a} {b}: {err}"
        );
    }
    f.assert_nothing_written();
}

#[test]
fn existing_destination_is_untouched_on_failure_and_replaced_on_success() {
    let f = Fixture::new(ChecksumFormat::Hex);
    let dest = f.dest();
    fs::create_dir_all(&dest).unwrap();
    fs::write(dest.join("old.txt"), b"old").unwrap();
    let m = &f.created.manifest;

    // Not replaced without permission.
    let err = f.apply(m, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::Output(otaseal_envelope::io::OutputError::Exists(_))
        ),
        "{err}"
    );

    let mut replace = ApplyOptions::default();
    replace.replace = true;
    let path = f.files().join("index.html");
    let original = fs::read(&path).unwrap();
    let mut bad = original.clone();
    bad[3] ^= 0x80;
    fs::write(&path, &bad).unwrap();
    assert!(f.apply(m, &replace).is_err());
    assert_eq!(read_tree(&dest).keys().collect::<Vec<_>>(), vec!["old.txt"]);

    fs::write(&path, &original).unwrap();
    f.apply(m, &replace).unwrap();
    assert_eq!(read_tree(&dest), f.expected);
}

#[test]
fn limits_bound_the_work() {
    let f = Fixture::new(ChecksumFormat::Hex);
    let json = fs::read(f.out.join(MANIFEST_FILE)).unwrap();

    let mut l = Limits::default();
    l.max_json_len = json.len() - 1;
    assert!(matches!(
        Manifest::parse(&json, &l).unwrap_err(),
        ManifestError::TooLarge { .. }
    ));

    let mut l = Limits::default();
    l.max_manifest_entries = f.expected.len() - 1;
    assert!(matches!(
        Manifest::parse(&json, &l).unwrap_err(),
        ManifestError::TooLarge { .. }
    ));

    let mut l = Limits::default();
    l.max_path_len = 10;
    assert!(matches!(
        Manifest::parse(&json, &l).unwrap_err(),
        ManifestError::TooLarge { .. }
    ));

    // The decompressed total is bounded: Brotli output stops at the budget (app.js alone
    // decompresses to 50,000 bytes from a few hundred).
    let m = Manifest::parse(&json, &Limits::default()).unwrap();
    let mut opts = ApplyOptions::default();
    opts.limits.max_manifest_total_len = 40_000;
    let err = f.apply(&m, &opts).unwrap_err();
    assert!(matches!(err, ManifestError::TooLarge { .. }), "{err}");
    f.assert_nothing_written();
}

#[test]
fn decompression_bomb_is_stopped_at_the_budget() {
    // One 64 MiB file of zeros compresses to a few KiB; with a 1 MiB budget the device side
    // must stop after about 1 MiB.
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    fs::create_dir_all(&dist).unwrap();
    fs::write(dist.join("zeros.bin"), vec![0u8; 64 << 20]).unwrap();
    let key = key("k1.key");
    let out = tmp.path().join("out");
    let created = manifest::create(&dist, &out, &key, &CreateOptions::new(BASE)).unwrap();
    let stored = fs::metadata(out.join(FILES_DIR).join("zeros.bin.br"))
        .unwrap()
        .len();
    assert!(stored < 1 << 20, "{stored}");
    let mut opts = ApplyOptions::default();
    opts.limits.max_manifest_total_len = 1 << 20;
    let dest = tmp.path().join("www");
    let err = manifest::apply(
        &created.manifest,
        &out.join(FILES_DIR),
        &dest,
        key.public_key(),
        &created.iv_session_key,
        &opts,
    )
    .unwrap_err();
    assert!(matches!(err, ManifestError::TooLarge { .. }), "{err}");
    assert!(!dest.exists());
}

#[test]
fn create_refuses_spaces_symlinks_and_case_clashes() {
    let key = key("k1.key");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let dist = tmp.path().join("spaces");
    fs::create_dir_all(dist.join("my folder")).unwrap();
    fs::write(dist.join("my folder/a.js"), b"x").unwrap();
    let err = manifest::create(&dist, &out, &key, &CreateOptions::new(BASE)).unwrap_err();
    assert!(matches!(err, ManifestError::SpaceInName { .. }), "{err}");
    assert!(err.to_string().contains("rename"), "{err}");
    assert!(!out.exists());

    let dist = tmp.path().join("case");
    fs::create_dir_all(&dist).unwrap();
    fs::write(dist.join("a.js"), b"x").unwrap();
    fs::write(dist.join("A.js"), b"y").unwrap();
    let err = manifest::create(&dist, &out, &key, &CreateOptions::new(BASE)).unwrap_err();
    assert!(matches!(err, ManifestError::DuplicateName { .. }), "{err}");

    // Unicode twins: "é.txt" in NFC and in NFD are one file on a phone; the error names both.
    let dist = tmp.path().join("unicode");
    fs::create_dir_all(&dist).unwrap();
    fs::write(dist.join("\u{e9}.txt"), b"x").unwrap();
    fs::write(dist.join("e\u{301}.txt"), b"y").unwrap();
    let err = manifest::create(&dist, &out, &key, &CreateOptions::new(BASE)).unwrap_err();
    assert!(matches!(err, ManifestError::DuplicateName { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("\"\u{e9}.txt\"") && msg.contains(r#""e\u{301}.txt""#),
        "both names (the combining accent escaped): {msg}"
    );
    assert!(!out.exists());

    // A stored name clash: a.js compresses to a.js.br, and a.js.br also exists.
    let dist = tmp.path().join("brclash");
    fs::create_dir_all(&dist).unwrap();
    fs::write(dist.join("a.js"), text(10_000)).unwrap();
    fs::write(dist.join("a.js.br"), b"z").unwrap();
    assert!(manifest::create(&dist, &out, &key, &CreateOptions::new(BASE)).is_err());

    #[cfg(unix)]
    {
        let dist = tmp.path().join("links");
        fs::create_dir_all(&dist).unwrap();
        fs::write(tmp.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret"), dist.join("leak.txt")).unwrap();
        let err = manifest::create(&dist, &out, &key, &CreateOptions::new(BASE)).unwrap_err();
        assert!(matches!(err, ManifestError::Symlink { .. }), "{err}");
    }
    assert!(!out.exists());
    let leftovers = fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".otaseal")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn no_brotli_patterns_and_threshold() {
    let key = key("k1.key");
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    fs::create_dir_all(dist.join("wasm")).unwrap();
    fs::write(dist.join("wasm/app.wasm"), text(30_000)).unwrap();
    fs::write(dist.join("app.js"), text(30_000)).unwrap();
    fs::write(dist.join("map.js.map"), text(30_000)).unwrap();
    let mut opts = CreateOptions::new(BASE);
    opts.no_brotli = vec!["**/*.wasm".into(), "*.map, other".into()];
    let out = tmp.path().join("out");
    let created = manifest::create(&dist, &out, &key, &opts).unwrap();
    let names: Vec<&str> = created
        .manifest
        .entries()
        .iter()
        .map(|e| e.file_name.as_str())
        .collect();
    assert_eq!(names, ["app.js.br", "map.js.map", "wasm/app.wasm"]);
    // An existing non-empty output folder is refused unless replacing is allowed.
    let err = manifest::create(&dist, &out, &key, &opts).unwrap_err();
    assert!(matches!(
        err,
        ManifestError::Output(otaseal_envelope::io::OutputError::Exists(_))
    ));
    opts.replace = true;
    manifest::create(&dist, &out, &key, &opts).unwrap();
}

#[cfg(unix)]
#[test]
fn symlinks_on_the_device_side_are_not_followed() {
    let f = Fixture::new(ChecksumFormat::Hex);
    // The encrypted index.html replaced by a link to a valid encrypted file elsewhere.
    let files = f.files();
    let elsewhere = f.root.join("elsewhere.bin");
    fs::rename(files.join("index.html"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, files.join("index.html")).unwrap();
    let err = f
        .apply(&f.created.manifest, &ApplyOptions::default())
        .unwrap_err();
    assert!(matches!(err, ManifestError::Symlink { .. }), "{err}");
    f.assert_nothing_written();
    fs::remove_file(files.join("index.html")).unwrap();
    fs::rename(&elsewhere, files.join("index.html")).unwrap();

    // A destination that is a link is refused.
    let real = f.root.join("real");
    fs::create_dir_all(&real).unwrap();
    std::os::unix::fs::symlink(&real, f.dest()).unwrap();
    let mut replace = ApplyOptions::default();
    replace.replace = true;
    let err = f.apply(&f.created.manifest, &replace).unwrap_err();
    assert!(matches!(err, ManifestError::Symlink { .. }), "{err}");
    assert_eq!(fs::read_dir(&real).unwrap().count(), 0);
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._%/\\\\:-]{0,40}",
        proptest::collection::vec(
            prop_oneof!["..", ".", "", "a", "%2e", "%2F", "%", "C:", "\u{0}"],
            0..6
        )
        .prop_map(|v| v.join("/")),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Manifest::parse(&bytes, &Limits::default());
    }

    #[test]
    fn arbitrary_entries_never_panic(
        entries in proptest::collection::vec((name_strategy(), "[0-9a-fA-F+/=]{0,600}", any::<String>()), 0..8)
    ) {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .map(|(n, h, u)| serde_json::json!({"file_name": n, "file_hash": h, "download_url": u}))
            .collect();
        let json = serde_json::to_vec(&list).unwrap();
        if let Ok(m) = Manifest::parse(&json, &Limits::default()) {
            // Whatever is accepted is a safe relative path.
            for t in m.target_paths() {
                prop_assert!(!t.starts_with('/') && !t.contains('\\') && !t.contains('\0'));
                prop_assert!(t.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
            }
        }
    }
}
