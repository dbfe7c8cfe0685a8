//! Key parsing (PEM), per key: what `otaseal` does before every command that takes a key file.
//!
//! - `keys/public_pkcs1_pem`: `.capgo_key_v2.pub` (and capacitor.config's `publicKey`);
//! - `keys/private_pkcs1_pem`: `.capgo_key_v2`;
//! - `keys/decode_any_private_pkcs1_pem`: the same through [`decode_any`], which also detects
//!   the encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench code")]
#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented public functions"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use otaseal_benches::{K1_PRIVATE_PEM, K1_PUBLIC_PEM};
use otaseal_keys::{Limits, PrivateKey, PublicKey, decode_any};

fn keys(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("keys");
    group.throughput(Throughput::Elements(1));
    group.bench_function("public_pkcs1_pem", |b| {
        b.iter(|| PublicKey::from_bytes(black_box(K1_PUBLIC_PEM), &limits).unwrap());
    });
    group.bench_function("private_pkcs1_pem", |b| {
        b.iter(|| PrivateKey::from_bytes(black_box(K1_PRIVATE_PEM), &limits).unwrap());
    });
    group.bench_function("decode_any_private_pkcs1_pem", |b| {
        b.iter(|| decode_any(black_box(K1_PRIVATE_PEM), &limits).unwrap());
    });
    group.finish();
}

criterion::criterion_group!(benches, keys);
criterion::criterion_main!(benches);
