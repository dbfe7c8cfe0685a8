//! V3 throughput: `open` of a 64 MiB bundle (one core), sealing, and header parsing.
//!
//! Keys are the committed RSA-4096 vector keys (`spec/vectors/v3/keys/`), so no key is
//! generated here. The ciphertext is built outside the timed loop and checked to open.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    missing_docs,
    reason = "bench code; criterion_group! generates an undocumented function"
)]

use std::hint::black_box;
use std::io;
use std::path::PathBuf;

use aes_gcm::KeyInit;
use aes_gcm::aead::AeadInOut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use otaseal_envelope::v3::{self, Channel, Context, Header, Policy, Sealer, Sequence, TrustedKeys};
use otaseal_keys::{Limits, PrivateKey};
use sha2::Digest;

const L: Limits = Limits::DEFAULT;

fn key(name: &str) -> PrivateKey {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors/v3/keys")
        .join(format!("{name}.key"));
    PrivateKey::from_bytes(&std::fs::read(p).unwrap(), &L).unwrap()
}

fn bench(c: &mut Criterion) {
    let signer = key("signer1");
    let device = key("recipient1");
    let size: usize = 64 << 20;
    let plain: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let ctx = Context::new(
        "com.example.app",
        "production",
        "1.0.0",
        1,
        1_700_000_000,
        4_000_000_000,
    );
    let sealer = Sealer::new(&signer, &[device.public_key()], ctx).unwrap();
    let sealed = sealer.seal(&plain).unwrap();
    let policy = Policy::new(
        TrustedKeys::from_keys([signer.public_key().clone()]),
        "com.example.app",
        Channel::only("production"),
        Sequence::AtLeast(1),
    )
    .now(1_800_000_000);
    let opened = v3::open_bytes(&sealed, &device, &policy, &L).unwrap();
    assert_eq!(opened.as_slice(), plain.as_slice());

    let mut g = c.benchmark_group("v3");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(size as u64));
    g.bench_function("open_64MiB_to_sink", |b| {
        b.iter(|| {
            v3::open(
                black_box(sealed.as_slice()),
                io::sink(),
                &device,
                &policy,
                &L,
            )
            .unwrap()
        });
    });
    g.bench_function("seal_64MiB_in_memory", |b| {
        b.iter(|| sealer.seal(black_box(&plain)).unwrap());
    });
    g.finish();

    // What the 64 MiB number is made of: the fixed cost (header parse, one RSA-PSS verify
    // and one RSA-OAEP decryption with the RSA-4096 recipient key) and the two passes over
    // every chunk (SHA-256 commitment, AES-256-GCM).
    let tiny = sealer.seal(b"x").unwrap();
    let mut g = c.benchmark_group("v3_parts");
    g.sample_size(10);
    g.bench_function("open_1B_fixed_cost", |b| {
        b.iter(|| v3::open(black_box(tiny.as_slice()), io::sink(), &device, &policy, &L).unwrap());
    });
    g.throughput(Throughput::Bytes(size as u64));
    g.bench_function("sha256_64MiB", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(&plain)));
    });
    let gcm = aes_gcm::Aes256Gcm::new(&[7u8; 32].into());
    let mut buf = plain.clone();
    g.bench_function("aes256gcm_encrypt_64MiB_in_64KiB_chunks", |b| {
        b.iter(|| {
            for (i, chunk) in buf.chunks_mut(64 << 10).enumerate() {
                let mut nonce = [0u8; 12];
                nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
                black_box(
                    gcm.encrypt_inout_detached(&nonce.into(), b"", chunk.into())
                        .unwrap(),
                );
            }
        });
    });
    g.finish();

    let header_bytes = v3::read_signed_header(sealed.as_slice(), &L)
        .unwrap()
        .header_bytes()
        .to_vec();
    let mut g = c.benchmark_group("v3_header");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_1024_chunks", |b| {
        b.iter(|| Header::parse(black_box(&header_bytes), &L).unwrap());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
