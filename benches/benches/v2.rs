//! V2 throughput over 1 KiB to 64 MiB, with the single-core baselines the speed targets are
//! stated against (docs/performance.md):
//!
//! - `v2_decrypt/decrypt_verify`: [`v2::decrypt_stream`] into a sink, with the signed checksum
//!   (two RSA-2048 public operations, AES-128-CBC decryption, SHA-256, padding check), against
//!   `v2_decrypt/sha256` (the bound: ≥ 80 %) and `v2_decrypt/aes128cbc_decrypt`;
//! - `v2_encrypt/encrypt`: [`v2::Encryptor`] into a sink, including the two RSA-2048 private
//!   operations of `finish`, against `v2_encrypt/aes128cbc_encrypt` (what `openssl enc` does).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench code")]
#![allow(
    missing_docs,
    reason = "criterion_group! generates undocumented public functions"
)]

use std::hint::black_box;
use std::io::{self, Write};
use std::time::Duration;

use aes::Aes128;
use aes::cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};
use otaseal_benches::{SIZES, Sealed, k1_private, plaintext};
use otaseal_envelope::v2::{self, Encryptor};
use otaseal_keys::Limits;
use otaseal_wire::ChecksumFormat;
use sha2::{Digest, Sha256};

/// Fewer, longer samples for the large sizes, so that a full run stays around five minutes.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, size: usize) {
    group.throughput(Throughput::Bytes(size as u64));
    if size >= 16 << 20 {
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(4));
    } else {
        group.sample_size(30);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
    }
}

/// Raw AES-128-CBC over whole blocks, in place, as the envelope's streaming loop does it.
fn cbc_encrypt(buf: &mut [u8]) {
    let mut c = cbc::Encryptor::<Aes128>::new(&Array([1; 16]), &Array([2; 16]));
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    c.encrypt_blocks(blocks);
}

fn cbc_decrypt(buf: &mut [u8]) {
    let mut c = cbc::Decryptor::<Aes128>::new(&Array([1; 16]), &Array([2; 16]));
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    c.decrypt_blocks(blocks);
}

fn decrypt(c: &mut Criterion) {
    let key = k1_private();
    let mut limits = Limits::default();
    limits.max_bundle_len = u64::MAX;
    let mut group = c.benchmark_group("v2_decrypt");
    for size in SIZES {
        let plain = plaintext(size);
        let sealed = Sealed::new(&plain, &key);
        sealed.assert_decrypts(&plain);
        configure(&mut group, size);
        group.bench_with_input(BenchmarkId::new("decrypt_verify", size), &sealed, |b, s| {
            b.iter(|| {
                let v = v2::decrypt_stream(
                    s.ciphertext.as_slice(),
                    io::sink(),
                    &s.public,
                    &s.out.iv_session_key,
                    s.verification(),
                    &limits,
                )
                .expect("decrypts");
                black_box(v)
            });
        });
        group.bench_with_input(BenchmarkId::new("sha256", size), &plain, |b, p| {
            b.iter(|| black_box(Sha256::digest(black_box(p.as_slice()))));
        });
        let mut buf = sealed.ciphertext.clone();
        group.bench_function(BenchmarkId::new("aes128cbc_decrypt", size), |b| {
            b.iter(|| cbc_decrypt(black_box(&mut buf)));
        });
    }
    group.finish();
}

fn encrypt(c: &mut Criterion) {
    let key = k1_private();
    let mut group = c.benchmark_group("v2_encrypt");
    for size in SIZES {
        let plain = plaintext(size);
        configure(&mut group, size);
        group.bench_with_input(BenchmarkId::new("encrypt", size), &plain, |b, p| {
            b.iter(|| {
                let mut enc = Encryptor::new(&key, ChecksumFormat::Hex, io::sink()).unwrap();
                enc.write_all(p).unwrap();
                black_box(enc.finish().unwrap().1)
            });
        });
        let mut buf = plain.clone();
        buf.truncate(size / 16 * 16);
        group.bench_function(BenchmarkId::new("aes128cbc_encrypt", size), |b| {
            b.iter(|| cbc_encrypt(black_box(&mut buf)));
        });
    }
    group.finish();
}

criterion::criterion_group!(benches, decrypt, encrypt);
criterion::criterion_main!(benches);
