//! RSA-2048 per operation, with the Capgo test key k1:
//!
//! - `rsa2048/recover_session_key`: [`SessionKey::open`], the public operation and the
//!   strict type-1 check a device does for every bundle;
//! - `rsa2048/recover_checksum`: [`v2::recover_checksum`], the same over the signed checksum;
//! - `rsa2048/sign_checksum`: [`v2::sign_checksum`], the (blinded) private operation;
//! - `rsa2048/wrap_session_key`: [`SessionKey::wrap`], the same over the session key.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench code")]
#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented public functions"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use otaseal_benches::{Sealed, k1_private, plaintext};
use otaseal_envelope::v2::{self, SessionKey};
use otaseal_wire::ChecksumFormat;

fn rsa(c: &mut Criterion) {
    let key = k1_private();
    let plain = plaintext(1024);
    let sealed = Sealed::new(&plain, &key);
    sealed.assert_decrypts(&plain);
    let public = key.public_key();
    let mut group = c.benchmark_group("rsa2048");
    group.throughput(Throughput::Elements(1));
    group.bench_function("recover_session_key", |b| {
        b.iter(|| SessionKey::open(public, black_box(&sealed.out.iv_session_key)).unwrap());
    });
    group.bench_function("recover_checksum", |b| {
        b.iter(|| v2::recover_checksum(public, black_box(&sealed.out.signed_checksum)).unwrap());
    });
    group.bench_function("sign_checksum", |b| {
        b.iter(|| {
            v2::sign_checksum(&key, black_box(&sealed.out.checksum), ChecksumFormat::Hex).unwrap()
        });
    });
    let session = SessionKey::from_parts([7; 16], [9; 16]);
    group.bench_function("wrap_session_key", |b| {
        b.iter(|| black_box(&session).wrap(&key).unwrap());
    });
    group.finish();
}

criterion::criterion_group!(benches, rsa);
criterion::criterion_main!(benches);
