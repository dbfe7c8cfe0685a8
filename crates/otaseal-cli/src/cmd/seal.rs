//! `otaseal seal`: make otaseal V3 sealed bundles (`spec/v3.md`), re-seal Capgo V2 bundles as
//! V3, and inspect sealed bundles.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use otaseal_envelope::v3::{self, Context, Sealed, Sealer};
use otaseal_keys::{Limit, Limits, PublicKey, Signer};
use otaseal_wire::{IvSessionKey, SignedChecksum};
use serde_json::json;

use super::v3out::{fail_open, fail_seal, header_json, now};
use otaseal_envelope::io::{Mode, PendingFile};

use crate::util::{
    Overwrite, arg_or_file, format_time, load_private_key, load_public_half, open_for_output,
    parse_key_source, parse_time, print_json,
};

/// Validity of a sealed bundle when `--expires` is not given, in days.
const DEFAULT_VALIDITY_DAYS: u64 = 90;

/// `otaseal seal ZIP ...`, or one of its subcommands.
///
/// clap's idiom for "a positional argument or a subcommand": the zip is required unless a
/// subcommand is given (`subcommand_negates_reqs`), and the sealing options are a group that is
/// present exactly when the zip form is used.
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
    seal: Option<SealArgs>,
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
    /// The developer's signing private key (RSA, 4096 bits recommended), never a recipient
    /// key: a key file, env:NAME (the PEM in an environment variable), - (standard input) or
    /// a pkcs11: URI.
    #[arg(long, value_name = "PRIV", value_parser = parse_key_source)]
    signing_key: String,
    /// A recipient public key (the key devices decrypt with), or a private key whose public
    /// half is used; repeat for several.
    #[arg(long, value_name = "PUB", num_args = 1.., required = true)]
    recipient: Vec<PathBuf>,
    /// The app id the bundle is for (for example com.example.app).
    #[arg(long, value_name = "ID")]
    app_id: String,
    /// The release channel (for example production).
    #[arg(long, value_name = "C")]
    channel: String,
    /// The bundle's version name.
    #[arg(long = "version", value_name = "V")]
    bundle_version: String,
    /// Monotonic sequence number; verifiers refuse bundles below the last one they installed.
    #[arg(long, value_name = "N")]
    sequence: u64,
    /// Expiry: RFC 3339 (2027-01-01T00:00:00Z, or with an offset such as +02:00) or Unix
    /// seconds [default: 90 days from now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    expires: Option<u64>,
    /// Output file, written atomically.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Replace an existing output (atomically, once the new one is complete and verified).
    // Not a flattened `Overwrite`: clap cannot tell whether an `Option` of arguments holding a
    // flattened group is present.
    #[arg(long)]
    force: bool,
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
    /// The app's Capgo V2 public key (.capgo_key_v2.pub, or the private key, whose public half
    /// is used).
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
    match (cmd.sub, cmd.zip, cmd.seal) {
        (Some(SealSub::Inspect(a)), ..) => inspect(&a),
        (Some(SealSub::FromV2(a)), ..) => from_v2(&a),
        (None, Some(zip), Some(seal)) => seal_zip(&zip, &seal),
        _ => bail!("give a bundle zip and the sealing options, or a subcommand (see --help)"),
    }
}

struct Prepared {
    signer: Box<dyn Signer>,
    recipients: Vec<PublicKey>,
    context: Context,
}

fn prepare(a: &SealArgs, limits: &Limits) -> Result<Prepared> {
    let signer = load_private_key(&a.signing_key.parse()?, limits)?;
    let recipients = a
        .recipient
        .iter()
        .map(|p| load_public_half(p, limits))
        .collect::<Result<Vec<_>>>()?;
    let created = now();
    let expires = a
        .expires
        .unwrap_or(created + DEFAULT_VALIDITY_DAYS * 86_400);
    if expires <= created {
        bail!(
            "--expires {} is not in the future (now {})",
            format_time(expires),
            format_time(created)
        );
    }
    let context = Context::new(
        a.app_id.clone(),
        a.channel.clone(),
        a.bundle_version.clone(),
        a.sequence,
        created,
        expires,
    );
    Ok(Prepared {
        signer,
        recipients,
        context,
    })
}

fn report(sealed: &Sealed, output: &Path, json: bool) -> Result<()> {
    let h = &sealed.header;
    if json {
        let mut v = header_json(h);
        v["filename"] = json!(output.display().to_string());
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
        println!("expires:     {}", format_time(c.expires_at));
        println!("signed by:   {}", h.signer());
        for r in h.recipients() {
            println!("recipient:   {}", r.fingerprint);
        }
        Ok(())
    }
}

fn seal_zip(zip: &Path, a: &SealArgs) -> Result<()> {
    let limits = Limits::default();
    // The input's size and the output's place are checked before any work.
    let overwrite = Overwrite { force: a.force };
    let (input, _, existing) =
        open_for_output(zip, &a.output, &overwrite, Limit::BundleLen, &limits)?;
    let p = prepare(a, &limits)?;
    let recipients: Vec<&PublicKey> = p.recipients.iter().collect();
    let sealer = Sealer::new(p.signer.as_ref(), &recipients, p.context)
        .map_err(|e| fail_seal(e, a.json))?
        .limits(limits);
    let sealed = sealer
        .seal_to(
            input,
            PendingFile::create(&a.output, Mode::Umask, existing)?,
        )
        .map_err(|e| fail_seal(e, a.json))?;
    report(&sealed, &a.output, a.json)
}

pub(crate) fn from_v2(a: &FromV2Args) -> Result<()> {
    let limits = Limits::default();
    let overwrite = Overwrite {
        force: a.seal.force,
    };
    let (input, _, existing) = open_for_output(
        &a.encrypted,
        &a.seal.output,
        &overwrite,
        Limit::BundleLen,
        &limits,
    )?;
    let p = prepare(&a.seal, &limits)?;
    let v2_key = load_public_half(&a.v2_key, &limits)?;
    let ivsk = IvSessionKey::parse(&arg_or_file(&a.session_key)?, &limits)
        .context("--session-key is not a valid V2 ivSessionKey")?;
    let checksum = SignedChecksum::parse(&arg_or_file(&a.checksum)?, &limits)
        .context("--checksum is not a valid V2 signed checksum")?;
    let recipients: Vec<&PublicKey> = p.recipients.iter().collect();
    let sealer = Sealer::new(p.signer.as_ref(), &recipients, p.context)
        .map_err(|e| fail_seal(e, a.seal.json))?
        .limits(limits);
    let sealed = v3::seal_from_v2_to(
        input,
        &v2_key,
        &ivsk,
        &checksum,
        &sealer,
        PendingFile::create(&a.seal.output, Mode::Umask, existing)?,
        &limits,
    )
    .map_err(|e| fail_seal(e, a.seal.json))?;
    report(&sealed, &a.seal.output, a.seal.json)
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let limits = Limits::default();
    let file =
        File::open(&a.sealed).with_context(|| format!("cannot open {}", a.sealed.display()))?;
    let file_len = file.metadata()?.len();
    let signed = v3::read_signed_header(file, &limits).map_err(|e| fail_open(e, a.json))?;
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
        println!("created:     {}", format_time(c.created_at));
        println!("expires:     {}", format_time(c.expires_at));
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
