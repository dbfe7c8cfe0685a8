//! Delta-manifest signing: one RSA-2048 private-key operation per distinct file hash.
//!
//! The input is the same for this bench and for `benches/manifest_node.js` (Node's
//! `crypto.privateEncrypt`, the operation `@capgo/cli` uses): 10,000 hashes where hash `i` is
//! `SHA-256(i as 8-byte little-endian)` for `i < 9,500`, and entries 9,500..10,000 repeat
//! hash `(j * 19) % 9,500` (5% duplicates, as when one file appears in several folders).
//! The key is `spec/vectors/capgo-cli/keys/k1.key`.
//!
//! - `cargo bench -p otaseal-envelope --bench manifest`: criterion groups on the first 500
//!   hashes (all cores, one thread, and the duplicate cache), `Throughput::Elements`.
//! - `MANIFEST_BENCH_FULL=1 cargo bench -p otaseal-envelope --bench manifest`: additionally
//!   one timed run over all 10,000 hashes, printed as files/s, for comparison with
//!   `node crates/otaseal-manifest/benches/manifest_node.js`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput};
use otaseal_keys::{Limits, PrivateKey};
use otaseal_manifest::sign_checksums;
use otaseal_wire::{ChecksumFormat, Sha256Checksum};
use sha2::{Digest, Sha256};

const TOTAL: usize = 10_000;
const DISTINCT: usize = 9_500;

fn hashes() -> Vec<Sha256Checksum> {
    let mut v: Vec<Sha256Checksum> = (0..DISTINCT as u64)
        .map(|i| Sha256Checksum::from_bytes(Sha256::digest(i.to_le_bytes()).into()))
        .collect();
    for j in DISTINCT..TOTAL {
        v.push(v[(j * 19) % DISTINCT]);
    }
    v
}

fn key() -> PrivateKey {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/vectors/capgo-cli/keys/k1.key"
    );
    PrivateKey::from_bytes(&std::fs::read(path).unwrap(), &Limits::default()).unwrap()
}

/// `sign_checksums` on a rayon pool of `threads` threads (`None`: the global pool).
fn sign_on(
    key: &PrivateKey,
    sums: &[Sha256Checksum],
    threads: Option<NonZeroUsize>,
) -> Vec<otaseal_wire::SignedChecksum> {
    let run = || sign_checksums(key, sums, ChecksumFormat::Hex).unwrap();
    match threads {
        None => run(),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.get())
            .build()
            .unwrap()
            .install(run),
    }
}

fn bench_sign(c: &mut Criterion, key: &PrivateKey, sums: &[Sha256Checksum]) {
    let small = &sums[..500];
    let one = NonZeroUsize::MIN;
    let mut g = c.benchmark_group("sign_checksums");
    g.sample_size(10);
    g.throughput(Throughput::Elements(small.len() as u64));
    g.bench_with_input(BenchmarkId::new("all_cores", small.len()), small, |b, s| {
        b.iter(|| sign_on(key, black_box(s), None));
    });
    g.bench_with_input(
        BenchmarkId::new("one_thread", small.len()),
        small,
        |b, s| {
            b.iter(|| sign_on(key, black_box(s), Some(one)));
        },
    );
    // 500 entries that are 10 distinct hashes: the cache makes this 10 RSA operations.
    let repeated: Vec<Sha256Checksum> = (0..500).map(|i| sums[i % 10]).collect();
    g.bench_with_input(
        BenchmarkId::new("cached_10_distinct", 500),
        &repeated,
        |b, s| {
            b.iter(|| sign_on(key, black_box(s), None));
        },
    );
    g.finish();
}

fn full_run(key: &PrivateKey, sums: &[Sha256Checksum]) {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    for (label, threads) in [("all cores", None), ("one thread", Some(NonZeroUsize::MIN))] {
        let start = Instant::now();
        let signed = sign_on(key, sums, threads);
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(signed.len(), sums.len());
        // Type-1 signing is deterministic: compare with the Node script's first block.
        let first = signed[0].to_string();
        println!("first block: {}...", &first[..32]);
        println!(
            "otaseal sign_checksums, {} hashes ({DISTINCT} distinct), {label} ({cores} available): {secs:.2} s, {:.0} files/s, {:.3} ms per distinct hash per thread",
            sums.len(),
            sums.len() as f64 / secs,
            secs * 1e3 / DISTINCT as f64 * threads.map_or(cores, NonZeroUsize::get) as f64,
        );
    }
}

fn main() {
    let key = key();
    let sums = hashes();
    let mut c = Criterion::default().configure_from_args();
    bench_sign(&mut c, &key, &sums);
    c.final_summary();
    if std::env::var_os("MANIFEST_BENCH_FULL").is_some() {
        full_run(&key, &sums);
    }
}
