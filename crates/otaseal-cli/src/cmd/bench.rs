//! `otaseal bench`: how fast this machine runs the work of a V2 bundle, for people sizing a
//! target device. One thread, in memory, output into a sink; see docs/performance.md.
//!
//! Throughputs are in MB/s with MB = 10^6 bytes (as `openssl speed`); RSA operations in µs per
//! operation, with a freshly generated RSA-2048 key.

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use aes::Aes128;
use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit};
use anyhow::{Context, Result, bail};
use clap::Args;
use otaseal_envelope::v2::{self, Encryptor, SessionKey, Verification};
use otaseal_keys::{KeySize, Limits, PrivateKey, Signer};
use otaseal_wire::ChecksumFormat;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::util::print_json;

/// The largest `--size`: the default `Limits::max_bundle_len` (1 GiB). The bench holds about
/// three buffers of this size.
const MAX_SIZE: usize = 1 << 30;

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Bytes per measured buffer: a number, or with K, M or G for KiB, MiB, GiB (16 to 1G).
    #[arg(long, default_value = "16M", value_parser = parse_size)]
    size: usize,
    /// Seconds spent on each measurement (each is repeated until this much time has passed).
    #[arg(long, default_value_t = 0.5, value_parser = parse_seconds)]
    seconds: f64,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Parses `4096`, `64K`, `16M`, `1G` (binary multiples).
fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, mult) = match s.char_indices().last() {
        Some((i, 'K' | 'k')) => (&s[..i], 1usize << 10),
        Some((i, 'M' | 'm')) => (&s[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (a number, optionally followed by K, M or G)"))?;
    let size = n
        .checked_mul(mult)
        .filter(|&v| (16..=MAX_SIZE).contains(&v))
        .ok_or_else(|| format!("size {s} is out of range: 16 bytes to 1G"))?;
    Ok(size)
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 60.0 {
        Ok(v)
    } else {
        Err(format!(
            "seconds {s} is out of range: more than 0, at most 60"
        ))
    }
}

/// CPU features that decide the speed of AES, SHA-256 and GHASH, as detected at run time.
fn cpu_features() -> Vec<(&'static str, bool)> {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        vec![
            ("aes", std::arch::is_x86_feature_detected!("aes")),
            ("sha_ni", std::arch::is_x86_feature_detected!("sha")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("vaes", std::arch::is_x86_feature_detected!("vaes")),
            (
                "pclmulqdq",
                std::arch::is_x86_feature_detected!("pclmulqdq"),
            ),
        ]
    }
    #[cfg(target_arch = "aarch64")]
    {
        vec![
            ("aes", std::arch::is_aarch64_feature_detected!("aes")),
            ("sha2", std::arch::is_aarch64_feature_detected!("sha2")),
        ]
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
    {
        Vec::new()
    }
}

/// One timed operation: how many times it ran in how long.
#[derive(Debug, Clone, Copy)]
struct Timing {
    iterations: u64,
    elapsed: Duration,
}

impl Timing {
    /// Throughput in MB/s (10^6 bytes) for `bytes` per iteration.
    fn mb_per_s(self, bytes: usize) -> f64 {
        bytes as f64 * self.iterations as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    /// Microseconds per iteration.
    fn us_per_op(self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.iterations as f64
    }
}

/// Runs `op` once untimed (warm-up: page faults, lazy CPU detection), then repeatedly until
/// `seconds` have passed.
fn measure(seconds: f64, mut op: impl FnMut() -> Result<()>) -> Result<Timing> {
    op()?;
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut iterations = 0u64;
    loop {
        op()?;
        iterations += 1;
        let elapsed = start.elapsed();
        if elapsed >= budget {
            return Ok(Timing {
                iterations,
                elapsed,
            });
        }
    }
}

/// One line of the report.
struct Row {
    name: &'static str,
    what: &'static str,
    unit: &'static str,
    value: f64,
    timing: Timing,
}

pub(crate) fn run(a: &BenchArgs) -> Result<()> {
    let size = a.size;
    let plain = pattern(size);
    let keygen_start = Instant::now();
    let key = PrivateKey::generate(KeySize::Rsa2048).context("generating an RSA-2048 key")?;
    let keygen = keygen_start.elapsed();
    let public = key.public_key();
    let mut limits = Limits::default();
    limits.max_bundle_len = u64::MAX;

    let (ciphertext, sealed) = v2::encrypt(&plain, &key, ChecksumFormat::Hex)
        .context("encrypting the benchmark bundle")?;
    // Time only the success path: the bundle must decrypt and verify first.
    let check = v2::decrypt(
        &ciphertext,
        public,
        &sealed.iv_session_key,
        Verification::SignedChecksum(&sealed.signed_checksum),
        &limits,
    )
    .context("the benchmark bundle does not decrypt")?;
    if *check != plain {
        bail!("the benchmark bundle decrypts to something else");
    }
    drop(check);

    let mut rows = Vec::new();
    let mut blocks = ciphertext[..size / 16 * 16].to_vec();
    let t = measure(a.seconds, || {
        let mut c = cbc::Decryptor::<Aes128>::new(&Array([7; 16]), &Array([9; 16]));
        let (chunks, _) = Array::slice_as_chunks_mut(&mut blocks);
        c.decrypt_blocks(chunks);
        black_box(&blocks);
        Ok(())
    })?;
    rows.push(throughput(
        "aes128_cbc_decrypt",
        "AES-128-CBC decrypt",
        t,
        blocks.len(),
    ));
    drop(blocks);

    let t = measure(a.seconds, || {
        black_box(Sha256::digest(black_box(&plain)));
        Ok(())
    })?;
    rows.push(throughput("sha256", "SHA-256", t, size));

    let t = measure(a.seconds, || {
        let v = v2::decrypt_stream(
            ciphertext.as_slice(),
            io::sink(),
            public,
            &sealed.iv_session_key,
            Verification::SignedChecksum(&sealed.signed_checksum),
            &limits,
        )?;
        black_box(v);
        Ok(())
    })?;
    rows.push(throughput(
        "v2_decrypt_verify",
        "V2 decrypt + verify",
        t,
        size,
    ));

    let t = measure(a.seconds, || {
        let mut enc = Encryptor::new(&key, ChecksumFormat::Hex, io::sink())?;
        enc.write_all(&plain)?;
        black_box(enc.finish()?);
        Ok(())
    })?;
    rows.push(throughput("v2_encrypt", "V2 encrypt", t, size));

    let t = measure(a.seconds, || {
        black_box(SessionKey::open(public, black_box(&sealed.iv_session_key))?);
        Ok(())
    })?;
    rows.push(per_op("rsa2048_public_op", "RSA-2048 public op", t));

    let t = measure(a.seconds, || {
        black_box(key.sign_type1(black_box(&[0x5A; 16]))?);
        Ok(())
    })?;
    rows.push(per_op("rsa2048_private_op", "RSA-2048 private op", t));

    let features = cpu_features();
    if a.json {
        let features_json: serde_json::Map<String, Value> = features
            .iter()
            .map(|&(n, on)| (n.to_owned(), Value::Bool(on)))
            .collect();
        let results: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "unit": r.unit,
                    "value": r.value,
                    "iterations": r.timing.iterations,
                    "seconds": r.timing.elapsed.as_secs_f64(),
                })
            })
            .collect();
        print_json(&json!({
            "size": size,
            "seconds_per_measurement": a.seconds,
            "threads": 1,
            "arch": std::env::consts::ARCH,
            "cpu_features": features_json,
            "rsa2048_keygen_ms": keygen.as_secs_f64() * 1e3,
            "results": results,
        }))?;
    } else {
        println!(
            "otaseal bench: {size}-byte buffers, {} s per measurement, one thread, {}",
            a.seconds,
            std::env::consts::ARCH
        );
        let on: Vec<&str> = features.iter().filter(|f| f.1).map(|f| f.0).collect();
        let off: Vec<&str> = features.iter().filter(|f| !f.1).map(|f| f.0).collect();
        println!(
            "cpu features: {} (absent: {})",
            if on.is_empty() {
                "none".to_owned()
            } else {
                on.join(" ")
            },
            if off.is_empty() {
                "none".to_owned()
            } else {
                off.join(" ")
            },
        );
        for r in &rows {
            println!("{:<24} {:>10.1} {}", r.what, r.value, r.unit);
        }
        println!(
            "(MB = 10^6 bytes; RSA with a fresh RSA-2048 key, generated in {:.0} ms)",
            keygen.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn throughput(name: &'static str, what: &'static str, timing: Timing, bytes: usize) -> Row {
    Row {
        name,
        what,
        unit: "MB/s",
        value: timing.mb_per_s(bytes),
        timing,
    }
}

fn per_op(name: &'static str, what: &'static str, timing: Timing) -> Row {
    Row {
        name,
        what,
        unit: "µs",
        value: timing.us_per_op(),
        timing,
    }
}

/// `len` bytes that do not compress (the cipher does not care, but a hypothetical
/// compression layer would).
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("16m"), Ok(16 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("16"), Ok(16));
        for bad in [
            "",
            "K",
            "15",
            "0",
            "2G",
            "1.5M",
            "-1",
            "1T",
            "99999999999999999999G",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn seconds_are_bounded() {
        assert_eq!(parse_seconds("0.5"), Ok(0.5));
        for bad in ["0", "-1", "NaN", "inf", "61", "x"] {
            assert!(parse_seconds(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rates_are_computed_per_iteration() {
        let t = Timing {
            iterations: 4,
            elapsed: Duration::from_secs(2),
        };
        assert!((t.mb_per_s(1_000_000) - 2.0).abs() < 1e-9);
        assert!((t.us_per_op() - 500_000.0).abs() < 1e-6);
    }
}
