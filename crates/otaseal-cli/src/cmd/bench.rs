//! `otaseal bench`: how fast this machine runs the work of a V2 bundle, for people sizing a
//! target device. One thread, in memory, output into a sink; see docs/performance.md and, for
//! phones and boards, docs/devices.md.
//!
//! Throughputs are in MB/s with MB = 10^6 bytes (as `openssl speed`); RSA operations in µs per
//! operation, with a freshly generated RSA-2048 key. The report names the CPU (`cpu`), and
//! `--compare OTHER.json` puts it beside another machine's report, result by result.

mod cpu;

use std::hint::black_box;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aes::Aes128;
use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit};
use anyhow::{Context, Result, bail};
use clap::Args;
use otaseal_envelope::v2::{self, Encryptor, SessionKey, Verification};
use otaseal_envelope::v3;
use otaseal_keys::{KeySize, Limits, PrivateKey, Signer};
use otaseal_wire::ChecksumFormat;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use self::cpu::Cpu;
use crate::util::{print_json, read_bounded};

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
    /// A report saved by `otaseal bench --json` on another machine: print, per result, both
    /// values and how many times faster this machine is.
    #[arg(long, value_name = "OTHER.json")]
    compare: Option<PathBuf>,
    /// Take this machine's results from a saved `--json` report instead of measuring (to
    /// compare two saved reports).
    #[arg(long, value_name = "THIS.json", requires = "compare")]
    load: Option<PathBuf>,
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
            ("pmull", std::arch::is_aarch64_feature_detected!("pmull")),
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

    /// The report's result for `m`, with `bytes` per iteration (throughputs only).
    fn result(self, m: &Measure, bytes: usize) -> Measurement {
        Measurement {
            name: m.name.to_owned(),
            unit: m.unit.as_str().to_owned(),
            value: match m.unit {
                Unit::MbPerS => self.mb_per_s(bytes),
                Unit::MicrosPerOp => self.us_per_op(),
            },
            iterations: self.iterations,
            seconds: self.elapsed.as_secs_f64(),
            threads: 1,
        }
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

/// How a result is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Throughput in MB/s (10^6 bytes): higher is faster.
    MbPerS,
    /// Microseconds per operation: lower is faster.
    MicrosPerOp,
}

impl Unit {
    const ALL: [Unit; 2] = [Unit::MbPerS, Unit::MicrosPerOp];

    const fn as_str(self) -> &'static str {
        match self {
            Unit::MbPerS => "MB/s",
            Unit::MicrosPerOp => "µs",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// How many times faster a machine that measured `this` is than one that measured `other`.
    fn speedup(self, this: f64, other: f64) -> f64 {
        match self {
            Unit::MbPerS => this / other,
            Unit::MicrosPerOp => other / this,
        }
    }
}

/// One measurement: its name in the JSON report, its label in the text report, its unit.
#[derive(Debug)]
struct Measure {
    name: &'static str,
    what: &'static str,
    unit: Unit,
}

impl Measure {
    const fn new(name: &'static str, what: &'static str, unit: Unit) -> Self {
        Self { name, what, unit }
    }
}

const AES128_CBC_DECRYPT: Measure =
    Measure::new("aes128_cbc_decrypt", "AES-128-CBC decrypt", Unit::MbPerS);
const SHA256: Measure = Measure::new("sha256", "SHA-256", Unit::MbPerS);
const V2_DECRYPT_VERIFY: Measure =
    Measure::new("v2_decrypt_verify", "V2 decrypt + verify", Unit::MbPerS);
const V2_ENCRYPT: Measure = Measure::new("v2_encrypt", "V2 encrypt", Unit::MbPerS);
const V3_SEAL: Measure = Measure::new("v3_seal", "V3 seal (spooled)", Unit::MbPerS);
const V3_OPEN: Measure = Measure::new("v3_open", "V3 open + verify", Unit::MbPerS);
const RSA2048_PUBLIC_OP: Measure =
    Measure::new("rsa2048_public_op", "RSA-2048 public op", Unit::MicrosPerOp);
const RSA2048_PRIVATE_OP: Measure = Measure::new(
    "rsa2048_private_op",
    "RSA-2048 private op",
    Unit::MicrosPerOp,
);
/// Every measurement, in the order of the report.
const MEASURES: [&Measure; 8] = [
    &AES128_CBC_DECRYPT,
    &SHA256,
    &V2_DECRYPT_VERIFY,
    &V2_ENCRYPT,
    &V3_SEAL,
    &V3_OPEN,
    &RSA2048_PUBLIC_OP,
    &RSA2048_PRIVATE_OP,
];

/// The text label of a result (a report of another otaseal version may have other names).
fn label(name: &str) -> &str {
    MEASURES
        .iter()
        .find(|m| m.name == name)
        .map_or(name, |m| m.what)
}

/// What `otaseal bench --json` prints, and what `--compare` and `--load` read back (a
/// report of an older otaseal lacks some fields: they read as empty).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Report {
    /// The otaseal version that measured.
    otaseal: String,
    /// Whether that otaseal was a debug build (`cfg!(debug_assertions)`): many times slower
    /// than a release build, so not a measure of the machine.
    debug_build: bool,
    /// Bytes per measured buffer (`docs/json.md`: sizes are `*_len`; `size` in reports of
    /// otaseal before 0.2).
    #[serde(rename = "buffer_len", alias = "size")]
    size: u64,
    seconds_per_measurement: f64,
    /// The most threads any result used.
    threads: u32,
    arch: String,
    cpu: Cpu,
    cpu_features: serde_json::Map<String, Value>,
    /// `aes::hardware_accelerated()`: whether the AES crate runs on AES instructions here.
    aes_hardware: bool,
    rsa2048_keygen_ms: f64,
    results: Vec<Measurement>,
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    comparison: Option<Comparison>,
}

/// One result of a report.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
struct Measurement {
    name: String,
    unit: String,
    value: f64,
    iterations: u64,
    seconds: f64,
    /// Threads the measured path ran on: 1 for a primitive, 2 for a path that hashes on a second
    /// core (V2 and V3, when the machine has one and the buffer is long enough).
    threads: u32,
}

/// A report put beside another machine's (`--compare`).
#[derive(Debug, Serialize)]
struct Comparison {
    /// The other report's file.
    file: String,
    arch: String,
    cpu: Cpu,
    #[serde(rename = "buffer_len")]
    size: u64,
    /// Every result of both reports, in this report's order.
    results: Vec<Ratio>,
    /// Results of the other report that this one lacks.
    only_in_other: Vec<String>,
    /// Whether the other report was measured by a debug build.
    debug_build: bool,
}

/// One result on both machines.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Ratio {
    name: String,
    unit: String,
    this: f64,
    other: f64,
    /// How many times faster this machine is: this/other for MB/s, other/this for µs.
    speedup: f64,
}

pub(crate) fn run(a: &BenchArgs) -> Result<()> {
    // The other report first: a bad file fails before seconds of measuring.
    let other = a.compare.as_deref().map(load).transpose()?;
    let mut report = match &a.load {
        Some(path) => load(path)?,
        None => measure_all(a)?,
    };
    if let (Some(path), Some(other)) = (&a.compare, &other) {
        report.comparison = Some(compare(&report, other, path)?);
    }
    if a.json {
        print_json(&serde_json::to_value(&report)?)
    } else {
        print_text(&report);
        Ok(())
    }
}

/// Reads a report saved by `otaseal bench --json`, checking what a comparison relies on.
fn load(path: &Path) -> Result<Report> {
    let what = path.display();
    let bytes = read_bounded(path, Limits::default().max_json_len)?;
    let report: Report = serde_json::from_slice(&bytes)
        .with_context(|| format!("{what} is not a report of `otaseal bench --json`"))?;
    if report.results.is_empty() {
        bail!("{what} has no results: is it a report of `otaseal bench --json`?");
    }
    for r in &report.results {
        if Unit::parse(&r.unit).is_none() {
            bail!(
                "{what}: result {:?} has an unknown unit {:?}",
                r.name,
                r.unit
            );
        }
        if !(r.value.is_finite() && r.value > 0.0) {
            bail!(
                "{what}: result {:?} has the value {}, not a positive number",
                r.name,
                r.value
            );
        }
    }
    Ok(report)
}

/// Puts `this` beside `other` (read from `file`), result by result.
fn compare(this: &Report, other: &Report, file: &Path) -> Result<Comparison> {
    let mut results = Vec::new();
    for r in &this.results {
        let Some(o) = other.results.iter().find(|o| o.name == r.name) else {
            continue;
        };
        let unit = Unit::parse(&r.unit)
            .with_context(|| format!("result {:?} has an unknown unit {:?}", r.name, r.unit))?;
        if o.unit != r.unit {
            bail!(
                "{}: result {:?} is in {}, not {} as here",
                file.display(),
                r.name,
                o.unit,
                r.unit
            );
        }
        results.push(Ratio {
            name: r.name.clone(),
            unit: r.unit.clone(),
            this: r.value,
            other: o.value,
            speedup: unit.speedup(r.value, o.value),
        });
    }
    if results.is_empty() {
        bail!(
            "{} has no result in common with this report",
            file.display()
        );
    }
    let only_in_other = other
        .results
        .iter()
        .filter(|o| !this.results.iter().any(|r| r.name == o.name))
        .map(|o| o.name.clone())
        .collect();
    Ok(Comparison {
        file: file.display().to_string(),
        arch: other.arch.clone(),
        cpu: other.cpu.clone(),
        size: other.size,
        results,
        only_in_other,
        debug_build: other.debug_build,
    })
}

/// Threads a pipelined path (V2 decrypt and encrypt, V3 seal and open) runs on for `len`-byte
/// buffers: the hash moves to a second core when there is one and the buffer is long enough
/// (`otaseal_envelope`'s `pipe` and `par`, from 1 MiB and 16 KiB chunks: 1 MiB covers both).
fn pipeline_threads(len: usize) -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if cores > 1 && len >= 1 << 20 { 2 } else { 1 }
}

impl Measurement {
    /// This result, as measured on `threads` threads.
    fn on(mut self, threads: u32) -> Self {
        self.threads = threads;
        self
    }
}

/// Runs every measurement on this machine.
fn measure_all(a: &BenchArgs) -> Result<Report> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this otaseal is a debug build: its numbers are many times below a release build's and say nothing about this machine; measure with a release build (cargo run --release -p otaseal-cli -- bench)"
        );
    }
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

    let mut results = Vec::new();
    let mut blocks = ciphertext[..size / 16 * 16].to_vec();
    let t = measure(a.seconds, || {
        let mut c = cbc::Decryptor::<Aes128>::new(&Array([7; 16]), &Array([9; 16]));
        let (chunks, _) = Array::slice_as_chunks_mut(&mut blocks);
        c.decrypt_blocks(chunks);
        black_box(&blocks);
        Ok(())
    })?;
    results.push(t.result(&AES128_CBC_DECRYPT, blocks.len()));
    drop(blocks);

    let t = measure(a.seconds, || {
        black_box(Sha256::digest(black_box(&plain)));
        Ok(())
    })?;
    results.push(t.result(&SHA256, size));

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
    let pipelined = pipeline_threads(size);
    results.push(t.result(&V2_DECRYPT_VERIFY, size).on(pipelined));

    let t = measure(a.seconds, || {
        let mut enc = Encryptor::new(&key, ChecksumFormat::Hex, io::sink())?;
        enc.write_all(&plain)?;
        black_box(enc.finish()?);
        Ok(())
    })?;
    results.push(t.result(&V2_ENCRYPT, size).on(pipelined));

    // V3 with RSA-2048 keys (keeps key generation short on a device): sealing spools its chunks
    // to a temporary file, as `otaseal seal` does; opening streams from memory.
    let recipient = PrivateKey::generate(KeySize::Rsa2048).context("generating an RSA-2048 key")?;
    let context = v3::Context::new("com.example.bench", "bench", "1.0.0", 1, 0, u64::MAX >> 1);
    let sealer = v3::Sealer::new(&key, &[recipient.public_key()], context)?.limits(limits);
    let mut sealed_v3 = Vec::new();
    sealer.seal_stream(plain.as_slice(), &mut sealed_v3)?;
    let t = measure(a.seconds, || {
        black_box(sealer.seal_stream(plain.as_slice(), io::sink())?);
        Ok(())
    })?;
    results.push(t.result(&V3_SEAL, size).on(pipelined));
    let policy = v3::Policy::new(
        v3::TrustedKeys::from_keys([public.clone()]),
        "com.example.bench",
        v3::Channel::only("bench"),
        v3::Sequence::AtLeast(1),
    )
    .now(1);
    let t = measure(a.seconds, || {
        let opened = v3::open(
            sealed_v3.as_slice(),
            io::sink(),
            &recipient,
            &policy,
            &limits,
        )?;
        black_box(opened);
        Ok(())
    })?;
    results.push(t.result(&V3_OPEN, size).on(pipelined));

    let t = measure(a.seconds, || {
        black_box(SessionKey::open(public, black_box(&sealed.iv_session_key))?);
        Ok(())
    })?;
    results.push(t.result(&RSA2048_PUBLIC_OP, 0));

    let t = measure(a.seconds, || {
        black_box(key.sign_type1(black_box(&[0x5A; 16]))?);
        Ok(())
    })?;
    results.push(t.result(&RSA2048_PRIVATE_OP, 0));

    Ok(Report {
        otaseal: env!("CARGO_PKG_VERSION").to_owned(),
        debug_build: cfg!(debug_assertions),
        size: size as u64,
        seconds_per_measurement: a.seconds,
        threads: results.iter().map(|r| r.threads).max().unwrap_or(1),
        arch: std::env::consts::ARCH.to_owned(),
        cpu: Cpu::detect(),
        cpu_features: cpu_features()
            .into_iter()
            .map(|(n, on)| (n.to_owned(), Value::Bool(on)))
            .collect(),
        aes_hardware: aes::hardware_accelerated(),
        rsa2048_keygen_ms: keygen.as_secs_f64() * 1e3,
        results,
        comparison: None,
    })
}

const DEBUG_BUILD_NOTE: &str = "note: a debug build of otaseal: many times slower than a release build \
     (cargo build --release), so not a measure of this machine";

/// The text report (and the comparison, if any).
fn print_text(r: &Report) {
    println!(
        "otaseal bench: {}-byte buffers, {} s per measurement, up to {} thread{}, {}",
        r.size,
        r.seconds_per_measurement,
        r.threads,
        if r.threads == 1 { "" } else { "s" },
        r.arch
    );
    println!("cpu: {}", r.cpu.describe());
    if r.debug_build {
        println!("{DEBUG_BUILD_NOTE}");
    }
    let (on, off): (Vec<_>, Vec<_>) = r
        .cpu_features
        .iter()
        .partition(|(_, v)| **v == Value::Bool(true));
    let names = |v: Vec<(&String, &Value)>| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(" ")
        }
    };
    println!(
        "cpu features: {} (absent: {}); AES in {}",
        names(on),
        names(off),
        if r.aes_hardware {
            "hardware"
        } else {
            "software (bitsliced, constant time)"
        },
    );
    for m in &r.results {
        let threads = if m.threads > 1 {
            format!("  ({} threads)", m.threads)
        } else {
            String::new()
        };
        println!(
            "{:<24} {:>10} {}{threads}",
            label(&m.name),
            fixed(m.value),
            m.unit
        );
    }
    println!(
        "(MB = 10^6 bytes; RSA with a fresh RSA-2048 key, generated in {:.0} ms)",
        r.rsa2048_keygen_ms
    );
    if let Some(c) = &r.comparison {
        print_comparison(r, c);
    }
}

fn print_comparison(r: &Report, c: &Comparison) {
    println!();
    println!("compared with {}: {}, {}", c.file, c.arch, c.cpu.describe());
    if c.debug_build {
        println!("note: {} was measured by a debug build of otaseal", c.file);
    }
    if c.size != r.size {
        println!(
            "note: {} measured {}-byte buffers, this report {}-byte buffers",
            c.file, c.size, r.size
        );
    }
    println!(
        "{:<24} {:>10} {:>10} {:<5} {:>8}",
        "", "this", "other", "", "speed"
    );
    for x in &c.results {
        println!(
            "{:<24} {:>10} {:>10} {:<5} {:>7}x",
            label(&x.name),
            fixed(x.this),
            fixed(x.other),
            x.unit,
            fixed(x.speedup)
        );
    }
    if !c.only_in_other.is_empty() {
        println!("only in {}: {}", c.file, c.only_in_other.join(" "));
    }
    println!(
        "(speed: how many times faster this machine is: this/other for MB/s, other/this for µs)"
    );
}

/// `v` with at least one decimal and three significant digits (`1234.5`, `12.3`, `1.23`,
/// `0.0250`): a slow device or a small `--size` must not print `0.0`.
fn fixed(v: f64) -> String {
    let mut decimals = 1;
    let mut bound = 10.0;
    while v > 0.0 && v < bound && decimals < 9 {
        decimals += 1;
        bound /= 10.0;
    }
    format!("{v:.decimals$}")
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
    use test_case::test_case;

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

    fn report(results: &[(&str, &str, f64)]) -> Report {
        Report {
            results: results
                .iter()
                .map(|&(name, unit, value)| Measurement {
                    name: name.to_owned(),
                    unit: unit.to_owned(),
                    value,
                    ..Measurement::default()
                })
                .collect(),
            ..Report::default()
        }
    }

    #[test]
    fn comparison_is_a_speedup_per_result_in_both_reports() {
        let this = report(&[
            ("sha256", "MB/s", 200.0),
            ("new_here", "MB/s", 1.0),
            ("rsa2048_public_op", "µs", 50.0),
        ]);
        let mut other = report(&[
            ("rsa2048_public_op", "µs", 100.0),
            ("old_there", "µs", 1.0),
            ("sha256", "MB/s", 400.0),
        ]);
        other.arch = "x86_64".to_owned();
        other.size = 4096;
        let c = compare(&this, &other, Path::new("other.json")).unwrap();
        let got: Vec<(&str, f64, f64, f64)> = c
            .results
            .iter()
            .map(|r| (r.name.as_str(), r.this, r.other, r.speedup))
            .collect();
        // Half the throughput: 0.5x; half the time per operation: 2x.
        assert_eq!(
            got,
            [
                ("sha256", 200.0, 400.0, 0.5),
                ("rsa2048_public_op", 50.0, 100.0, 2.0)
            ]
        );
        assert_eq!(c.only_in_other, ["old_there"]);
        assert_eq!(
            (c.file.as_str(), c.arch.as_str(), c.size),
            ("other.json", "x86_64", 4096)
        );
    }

    #[test]
    fn comparison_refuses_other_units_and_nothing_in_common() {
        let this = report(&[("sha256", "MB/s", 200.0)]);
        let err = compare(
            &this,
            &report(&[("sha256", "µs", 1.0)]),
            Path::new("o.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("o.json") && err.contains("\"sha256\" is in µs"),
            "{err}"
        );
        let err = compare(&this, &report(&[("aes", "MB/s", 1.0)]), Path::new("o.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no result in common"), "{err}");
    }

    #[test]
    fn every_measure_has_a_known_unit_and_one_name() {
        for (i, m) in MEASURES.iter().enumerate() {
            assert_eq!(Unit::parse(m.unit.as_str()), Some(m.unit));
            assert_eq!(label(m.name), m.what);
            assert!(MEASURES[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        }
        assert_eq!(label("from_a_newer_otaseal"), "from_a_newer_otaseal");
    }

    #[test_case(1234.56, "1234.6" ; "large")]
    #[test_case(12.345, "12.3" ; "tens")]
    #[test_case(1.2345, "1.23" ; "ones")]
    #[test_case(0.025, "0.0250" ; "a slow device")]
    #[test_case(0.000_001_5, "0.00000150" ; "tiny")]
    #[test_case(1e-12, "0.000000000" ; "at most nine decimals")]
    fn values_keep_three_significant_digits(v: f64, want: &str) {
        assert_eq!(fixed(v), want);
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
