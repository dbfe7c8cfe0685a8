//! Every `Signer` backend with the Capgo test key k1 (RSA-2048): RustCrypto, OpenSSL and a
//! SoftHSM2 token (PKCS#11; measured when SoftHSM2 is installed, the bench then re-runs itself
//! with its own token).
//!
//! - `private_op/type1/BACKEND`: one type-1 signature of a 32-byte checksum (V2 checksum,
//!   manifest file hash; the session-key wrap is the same operation);
//! - `private_op/pss_sha256/BACKEND`: one V3 header signature;
//! - `private_op/oaep_sha256/BACKEND`: one V3 content-key unwrap (not for a token that refuses
//!   OAEP-SHA256, as SoftHSM 2.6 does);
//! - `v2_encrypt_small/BACKEND/SIZE`: a whole V2 bundle of 1 KiB and 64 KiB into a sink, with
//!   its two private operations.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench code")]
#![allow(missing_docs, reason = "bench code")]

use std::hint::black_box;
use std::io::{self, Write};
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput};
use otaseal_benches::plaintext;
use otaseal_envelope::v2::Encryptor;
use otaseal_keys::Signer;
use otaseal_keys::rsa::Oaep;
use otaseal_testkit::softhsm;
use otaseal_wire::ChecksumFormat;
use sha2::{Digest, Sha256};

fn k1_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/capgo-cli/keys/k1.key")
}

fn private_ops(c: &mut Criterion, signers: &[(String, Box<dyn Signer>)]) {
    let digest: [u8; 32] = Sha256::digest(b"otaseal").into();
    let public = signers[0].1.public_key().as_rsa().clone();
    let label: &[u8] = b"otaseal-v3";
    let wrapped = public
        .encrypt(
            &mut getrandom::SysRng,
            Oaep::<Sha256>::new_with_label(label),
            &[7; 32],
        )
        .unwrap();
    let mut g = c.benchmark_group("private_op");
    g.throughput(Throughput::Elements(1));
    for (name, s) in signers {
        assert_eq!(
            s.sign_type1(&digest).unwrap(),
            signers[0].1.sign_type1(&digest).unwrap()
        );
        g.bench_function(BenchmarkId::new("type1", name), |b| {
            b.iter(|| s.sign_type1(black_box(&digest)).unwrap());
        });
        g.bench_function(BenchmarkId::new("pss_sha256", name), |b| {
            b.iter(|| s.sign_pss_sha256(black_box(&digest)).unwrap());
        });
        if s.decrypt_oaep_sha256(label, &wrapped).is_ok() {
            g.bench_function(BenchmarkId::new("oaep_sha256", name), |b| {
                b.iter(|| s.decrypt_oaep_sha256(label, black_box(&wrapped)).unwrap());
            });
        }
    }
    g.finish();
}

fn v2_encrypt_small(c: &mut Criterion, signers: &[(String, Box<dyn Signer>)]) {
    let mut g = c.benchmark_group("v2_encrypt_small");
    for size in [1usize << 10, 64 << 10] {
        let plain = plaintext(size);
        g.throughput(Throughput::Bytes(size as u64));
        for (name, s) in signers {
            g.bench_with_input(BenchmarkId::new(name.as_str(), size), &plain, |b, p| {
                b.iter(|| {
                    let mut enc =
                        Encryptor::new(s.as_ref(), ChecksumFormat::Hex, io::sink()).unwrap();
                    enc.write_all(p).unwrap();
                    black_box(enc.finish().unwrap().1)
                });
            });
        }
    }
    g.finish();
}

fn main() {
    let token = softhsm::token_for_bench(&k1_file());
    let signers = softhsm::signers(&k1_file(), token.as_deref());
    let mut c = Criterion::default().configure_from_args();
    private_ops(&mut c, &signers);
    v2_encrypt_small(&mut c, &signers);
    c.final_summary();
}
