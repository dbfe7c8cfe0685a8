//! `otaseal seal`: make otaseal V3 sealed bundles (`spec/v3.md`), re-seal Capgo V2 bundles as
//! V3, and inspect sealed bundles.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use otaseal_envelope::v3::{self, Context, Sealed, Sealer};
use otaseal_keys::{DecodedKey, Limits, PrivateKey, PublicKey, decode_any};
use otaseal_wire::{IvSessionKey, SignedChecksum};
use serde_json::{Value, json};

use crate::util::{print_json, read_bounded};

/// Validity of a sealed bundle when `--expires` is not given, in days.
const DEFAULT_VALIDITY_DAYS: u64 = 90;

/// `otaseal seal ZIP ...`, or one of its subcommands.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_version_flag = true
)]
pub(crate) struct SealCommand {
    #[command(subcommand)]
    sub: Option<SealSub>,
    /// The plaintext bundle zip.
    #[arg(required = true)]
    zip: Option<PathBuf>,
    #[command(flatten)]
    seal: SealArgs,
}

/// Subcommands of `otaseal seal`.
#[derive(Debug, Subcommand)]
enum SealSub {
    /// Show a sealed bundle's header: context, sizes, key fingerprints (no secrets, nothing
    /// verified).
    Inspect(InspectArgs),
    /// Decrypt and verify a Capgo V2 bundle and seal it as V3 in one stream, without writing
    /// plaintext to disk.
    #[command(name = "from-v2", disable_version_flag = true)]
    FromV2(Box<FromV2Args>),
}

/// What every sealing needs: keys, context, output.
#[derive(Debug, Args)]
struct SealArgs {
    /// The developer's signing private key (RSA, 4096 bits recommended). Never a recipient key.
    #[arg(long, value_name = "PRIV", required = true)]
    signing_key: Option<PathBuf>,
    /// A recipient public key (the key devices decrypt with); repeat for several.
    #[arg(long, value_name = "PUB", num_args = 1.., required = true)]
    recipient: Vec<PathBuf>,
    /// The app id the bundle is for (for example com.example.app).
    #[arg(long, value_name = "ID", required = true)]
    app_id: Option<String>,
    /// The release channel (for example production).
    #[arg(long, value_name = "C", required = true)]
    channel: Option<String>,
    /// The bundle's version name.
    #[arg(long = "version", value_name = "V", required = true)]
    bundle_version: Option<String>,
    /// Monotonic sequence number; verifiers refuse bundles below the last one they installed.
    #[arg(long, value_name = "N", required = true)]
    sequence: Option<u64>,
    /// Expiry: RFC 3339 (2027-01-01T00:00:00Z, or with an offset such as +02:00) or Unix
    /// seconds [default: 90 days from now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    expires: Option<u64>,
    /// Output file, written atomically.
    #[arg(short, long, value_name = "OUT", required = true)]
    output: Option<PathBuf>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The sealed bundle.
    sealed: PathBuf,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FromV2Args {
    /// The V2 encrypted bundle.
    encrypted: PathBuf,
    /// The app's Capgo V2 public key (.capgo_key_v2.pub).
    #[arg(long, value_name = "PUB")]
    v2_key: PathBuf,
    /// The V2 ivSessionKey (API `session_key`), or @FILE.
    #[arg(long, value_name = "IVSK")]
    session_key: String,
    /// The V2 signed checksum (API `checksum`), or @FILE.
    #[arg(long, value_name = "SIGNED")]
    checksum: String,
    #[command(flatten)]
    seal: SealArgs,
}

pub(crate) fn run(cmd: SealCommand) -> Result<()> {
    match cmd.sub {
        Some(SealSub::Inspect(a)) => inspect(&a),
        Some(SealSub::FromV2(a)) => from_v2(&a),
        None => {
            let zip = cmd
                .zip
                .ok_or_else(|| anyhow!("the bundle zip is required"))?;
            seal_zip(&zip, &cmd.seal)
        }
    }
}

/// Reads a private key file.
pub(crate) fn load_private(path: &Path, what: &str, limits: &Limits) -> Result<PrivateKey> {
    let bytes = read_bounded(path, limits.max_key_file_len)?;
    PrivateKey::from_bytes(&bytes, limits)
        .with_context(|| format!("{} is not a usable {what} private key", path.display()))
}

/// Reads a public key, or the public half of a private key file.
pub(crate) fn load_public(path: &Path, limits: &Limits) -> Result<PublicKey> {
    let bytes = read_bounded(path, limits.max_key_file_len)?;
    match decode_any(&bytes, limits)
        .with_context(|| format!("{} is not a usable key", path.display()))?
    {
        DecodedKey::Public { key, .. } => Ok(key),
        DecodedKey::Private { key, .. } => Ok(key.public_key().clone()),
        _ => bail!("{} holds a key of an unknown kind", path.display()),
    }
}

/// Turns a V3 error into a message with its spec code (`spec/v3.md` section 7.1).
pub(crate) fn explain(e: v3::Error) -> anyhow::Error {
    let code = e.code();
    anyhow!("{e} [{code}]")
}

/// Prints `{"ok": false, "error": code, "message": ...}` when `json`, then returns the error.
pub(crate) fn fail(e: v3::Error, json: bool) -> anyhow::Error {
    if json {
        let _ = print_json(&json!({"ok": false, "error": e.code(), "message": e.to_string()}));
    }
    explain(e)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct Prepared {
    signer: PrivateKey,
    recipients: Vec<PublicKey>,
    context: Context,
    output: PathBuf,
}

fn prepare(a: &SealArgs, limits: &Limits) -> Result<Prepared> {
    let req =
        |o: &Option<String>, name: &str| o.clone().ok_or_else(|| anyhow!("--{name} is required"));
    let signer = load_private(
        a.signing_key
            .as_deref()
            .ok_or_else(|| anyhow!("--signing-key is required"))?,
        "signing",
        limits,
    )?;
    if a.recipient.is_empty() {
        bail!("at least one --recipient is required");
    }
    let recipients = a
        .recipient
        .iter()
        .map(|p| load_public(p, limits))
        .collect::<Result<Vec<_>>>()?;
    let created = now();
    let expires = a
        .expires
        .unwrap_or(created + DEFAULT_VALIDITY_DAYS * 86_400);
    if expires <= created {
        bail!(
            "--expires {} is not in the future (now {})",
            format_rfc3339(expires),
            format_rfc3339(created)
        );
    }
    let context = Context::new(
        req(&a.app_id, "app-id")?,
        req(&a.channel, "channel")?,
        req(&a.bundle_version, "version")?,
        a.sequence
            .ok_or_else(|| anyhow!("--sequence is required"))?,
        created,
        expires,
    );
    let output = a
        .output
        .clone()
        .ok_or_else(|| anyhow!("--output is required"))?;
    Ok(Prepared {
        signer,
        recipients,
        context,
        output,
    })
}

fn report(sealed: &Sealed, output: &Path, json: bool) -> Result<()> {
    let h = &sealed.header;
    if json {
        let mut v = header_json(h);
        v["ok"] = json!(true);
        v["output"] = json!(output.display().to_string());
        v["sealed_len"] = json!(sealed.sealed_len);
        print_json(&v)
    } else {
        let c = h.context();
        println!(
            "sealed:      {} ({} bytes)",
            output.display(),
            sealed.sealed_len
        );
        println!(
            "bundle:      {} {} on {} (sequence {})",
            c.app_id, c.bundle_version, c.channel, c.sequence
        );
        println!("expires:     {}", format_rfc3339(c.expires_at));
        println!("signed by:   {}", h.signer());
        for r in h.recipients() {
            println!("recipient:   {}", r.fingerprint);
        }
        Ok(())
    }
}

fn seal_zip(zip: &Path, a: &SealArgs) -> Result<()> {
    let limits = Limits::default();
    let p = prepare(a, &limits)?;
    let recipients: Vec<&PublicKey> = p.recipients.iter().collect();
    let sealer = Sealer::new(&p.signer, &recipients, p.context)
        .map_err(|e| fail(e, a.json))?
        .limits(limits);
    let input = File::open(zip).with_context(|| format!("cannot open {}", zip.display()))?;
    let len = input.metadata()?.len();
    if len > limits.max_bundle_len {
        bail!(
            "{} is {len} bytes, more than the limit of {} bytes",
            zip.display(),
            limits.max_bundle_len
        );
    }
    let sealed = sealer
        .seal_to_file(input, &p.output)
        .map_err(|e| fail(e, a.json))?;
    report(&sealed, &p.output, a.json)
}

/// The argument itself, or the content of FILE for `@FILE`, trimmed.
fn arg_or_file(arg: &str) -> Result<String> {
    let text = match arg.strip_prefix('@') {
        Some(path) => String::from_utf8(read_bounded(Path::new(path), 4096)?)
            .with_context(|| format!("{path} is not UTF-8"))?,
        None => arg.to_owned(),
    };
    Ok(text.trim().to_owned())
}

pub(crate) fn from_v2(a: &FromV2Args) -> Result<()> {
    let limits = Limits::default();
    let p = prepare(&a.seal, &limits)?;
    let v2_key = load_public(&a.v2_key, &limits)?;
    let ivsk = IvSessionKey::parse(&arg_or_file(&a.session_key)?, &limits)
        .context("--session-key is not a valid V2 ivSessionKey")?;
    let checksum = SignedChecksum::parse(&arg_or_file(&a.checksum)?, &limits)
        .context("--checksum is not a valid V2 signed checksum")?;
    let recipients: Vec<&PublicKey> = p.recipients.iter().collect();
    let sealer = Sealer::new(&p.signer, &recipients, p.context)
        .map_err(|e| fail(e, a.seal.json))?
        .limits(limits);
    let input = File::open(&a.encrypted)
        .with_context(|| format!("cannot open {}", a.encrypted.display()))?;
    let sealed = v3::seal_from_v2_to_file(
        input, &v2_key, &ivsk, &checksum, &sealer, &p.output, &limits,
    )
    .map_err(|e| fail(e, a.seal.json))?;
    report(&sealed, &p.output, a.seal.json)
}

/// The header as JSON: public values only (fingerprints, sizes, context).
pub(crate) fn header_json(h: &v3::Header) -> Value {
    let c = h.context();
    json!({
        "format": "otaseal-v3",
        "suite": h.suite().name(),
        "suite_id": h.suite().id(),
        "signer": h.signer().to_string(),
        "app_id": c.app_id,
        "channel": c.channel,
        "bundle_version": c.bundle_version,
        "sequence": c.sequence,
        "created_at": c.created_at,
        "created_at_rfc3339": format_rfc3339(c.created_at),
        "expires_at": c.expires_at,
        "expires_at_rfc3339": format_rfc3339(c.expires_at),
        "plaintext_len": h.plaintext_len(),
        "chunk_size": h.chunk_size(),
        "chunk_count": h.chunk_count(),
        "recipients": h.recipients().iter().map(|r| json!({
            "fingerprint": r.fingerprint.to_string(),
            "wrapped_key_len": r.wrapped_key.len(),
        })).collect::<Vec<_>>(),
    })
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let limits = Limits::default();
    let file =
        File::open(&a.sealed).with_context(|| format!("cannot open {}", a.sealed.display()))?;
    let file_len = file.metadata()?.len();
    let signed = v3::read_signed_header(file, &limits).map_err(|e| fail(e, a.json))?;
    let h = signed.header();
    let expected_len = signed.len() as u64 + h.body_len();
    if a.json {
        let mut v = header_json(h);
        v["header_len"] = json!(signed.header_bytes().len());
        v["signature_len"] = json!(signed.signature().len());
        v["file_len"] = json!(file_len);
        v["expected_file_len"] = json!(expected_len);
        v["verified"] = json!(false);
        print_json(&v)?;
    } else {
        let c = h.context();
        println!("format:      otaseal V3, suite {}", h.suite().name());
        println!("app id:      {}", c.app_id);
        println!("channel:     {}", c.channel);
        println!("version:     {}", c.bundle_version);
        println!("sequence:    {}", c.sequence);
        println!("created:     {}", format_rfc3339(c.created_at));
        println!("expires:     {}", format_rfc3339(c.expires_at));
        println!(
            "plaintext:   {} bytes in {} chunks of {}",
            h.plaintext_len(),
            h.chunk_count(),
            h.chunk_size()
        );
        println!("signed by:   {}", h.signer());
        for r in h.recipients() {
            println!(
                "recipient:   {} (RSA-{})",
                r.fingerprint,
                r.wrapped_key.len() * 8
            );
        }
        println!("file:        {file_len} bytes (expected {expected_len})");
        println!("note:        nothing verified; `otaseal open` checks the signature and policy");
    }
    Ok(())
}

/// Parses a time as Unix seconds (digits only) or RFC 3339 `date-time`
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, `T`/`t`/space and `Z`/`z` accepted),
/// rounding fractions down. Times before 1970 are refused.
pub(crate) fn parse_time(s: &str) -> Result<u64, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map_err(|_| format!("{s:?}: Unix time out of range"));
    }
    parse_rfc3339(s).ok_or_else(|| {
        format!("{s:?} is neither Unix seconds nor RFC 3339 (2027-01-01T00:00:00Z or with +HH:MM)")
    })
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let d = b.get(at..at + n)?;
    d.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
    }
    let offset = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') => {
            if b.len() != at + 6 || b.get(at + 3) != Some(&b':') {
                return None;
            }
            let oh = digits(b, at + 1, 2)?;
            let om = digits(b, at + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let t = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(t).ok()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as RFC 3339 in UTC (`2027-01-01T00:00:00Z`).
pub(crate) fn format_rfc3339(t: u64) -> String {
    let Ok(t) = i64::try_from(t) else {
        return format!("@{t}");
    };
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_and_unix_seconds() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1798761600"), Ok(1_798_761_600));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2027-01-01T00:00:00Z"), Ok(1_798_761_600));
        assert_eq!(parse_time("2027-01-01t00:00:00z"), Ok(1_798_761_600));
        assert_eq!(parse_time("2027-01-01 02:00:00+02:00"), Ok(1_798_761_600));
        assert_eq!(parse_time("2026-12-31T19:00:00-05:00"), Ok(1_798_761_600));
        assert_eq!(parse_time("2027-01-01T00:00:00.999Z"), Ok(1_798_761_600));
        assert_eq!(parse_time("2024-02-29T12:00:00Z"), Ok(1_709_208_000));
        assert_eq!(parse_time("2000-03-01T00:00:00Z"), Ok(951_868_800));
        for bad in [
            "",
            "2027-01-01",
            "2027-01-01T00:00:00",
            "2027-01-01T00:00Z",
            "2027-13-01T00:00:00Z",
            "2027-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2027-01-01T24:00:00Z",
            "2027-01-01T00:00:00.Z",
            "2027-01-01T00:00:00+0200",
            "2027-01-01T00:00:00+24:00",
            "2027-01-01T00:00:00Zjunk",
            "1969-12-31T23:59:59Z",
            "-1",
            "+5",
            "99999999999999999999999",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formatting_inverts_parsing() {
        for t in [
            0u64,
            951_868_800,
            1_709_208_000,
            1_798_761_600,
            4_102_444_799,
            253_402_300_799,
        ] {
            let s = format_rfc3339(t);
            assert_eq!(parse_time(&s), Ok(t), "{s}");
        }
        assert_eq!(format_rfc3339(1_798_761_600), "2027-01-01T00:00:00Z");
    }
}
