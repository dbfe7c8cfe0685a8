//! Delta-manifest signing: one RSA-2048 private-key operation per distinct file hash, per
//! `Signer` backend (RustCrypto, OpenSSL, and a SoftHSM2 token when SoftHSM2 is installed).
//!
//! The input is the same for this bench and for `benches/manifest_node.js` (Node's
//! `crypto.privateEncrypt`, the operation `@capgo/cli` uses): 10,000 hashes where hash `i` is
//! `SHA-256(i as 8-byte little-endian)` for `i < 9,500`, and entries 9,500..10,000 repeat
//! hash `(j * 19) % 9,500` (5% duplicates, as when one file appears in several folders).
//! The key is `spec/vectors/capgo-cli/keys/k1.key`.
//!
//! - `cargo bench -p otaseal-manifest --bench manifest`: criterion groups
//!   `sign_checksums/BACKEND/N` for the first 1,000 and all 10,000 hashes on all cores,
//!   `sign_checksums_one_thread` and the duplicate cache, `Throughput::Elements`.
//! - `MANIFEST_BENCH_FULL=1 cargo bench -p otaseal-manifest --bench manifest`: additionally
//!   one timed run over all 10,000 hashes per backend, printed as files/s, for comparison with
//!   `node crates/otaseal-manifest/benches/manifest_node.js`.
//! - The whole `otaseal manifest create` command against Node: `benches/manifest_compare.sh`.
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
use otaseal_keys::Signer;
use otaseal_manifest::sign_checksums;
use otaseal_testkit::softhsm;
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

fn k1_file() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors/capgo-cli/keys/k1.key")
}

/// `sign_checksums` on a rayon pool of `threads` threads (`None`: the global pool).
fn sign_on(
    key: &dyn Signer,
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

fn bench_backends(
    c: &mut Criterion,
    signers: &[(String, Box<dyn Signer>)],
    sums: &[Sha256Checksum],
) {
    let reference = sign_on(signers[0].1.as_ref(), &sums[..1000], None);
    let mut g = c.benchmark_group("sign_checksums");
    g.sample_size(10);
    for n in [1_000, TOTAL] {
        let input = &sums[..n];
        g.throughput(Throughput::Elements(n as u64));
        for (name, key) in signers {
            // Byte-identical across backends (type-1 is deterministic).
            assert_eq!(
                sign_on(key.as_ref(), &sums[..1000], None),
                reference,
                "{name}"
            );
            g.bench_with_input(BenchmarkId::new(name.as_str(), n), input, |b, s| {
                b.iter(|| sign_on(key.as_ref(), black_box(s), None));
            });
        }
    }
    g.finish();
}

fn bench_sign(c: &mut Criterion, key: &dyn Signer, sums: &[Sha256Checksum]) {
    let small = &sums[..500];
    let one = NonZeroUsize::MIN;
    let mut g = c.benchmark_group("sign_checksums_one_thread");
    g.sample_size(10);
    g.throughput(Throughput::Elements(small.len() as u64));
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

fn full_run(name: &str, key: &dyn Signer, sums: &[Sha256Checksum]) {
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
            "otaseal sign_checksums [{name}], {} hashes ({DISTINCT} distinct), {label} ({cores} available): {secs:.2} s, {:.0} files/s, {:.3} ms per distinct hash per thread",
            sums.len(),
            sums.len() as f64 / secs,
            secs * 1e3 / DISTINCT as f64 * threads.map_or(cores, NonZeroUsize::get) as f64,
        );
    }
}

fn main() {
    let token = softhsm::token_for_bench(&k1_file());
    let signers = softhsm::signers(&k1_file(), token.as_deref());
    let sums = hashes();
    let mut c = Criterion::default().configure_from_args();
    bench_backends(&mut c, &signers, &sums);
    bench_sign(&mut c, signers[0].1.as_ref(), &sums);
    c.final_summary();
    if std::env::var_os("MANIFEST_BENCH_FULL").is_some() {
        for (name, key) in &signers {
            full_run(name, key.as_ref(), &sums);
        }
    }
}
