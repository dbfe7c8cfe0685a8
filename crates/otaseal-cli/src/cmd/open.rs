//! `otaseal open`: verify and decrypt an otaseal V3 sealed bundle (`spec/v3.md` section 7),
//! atomically.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use otaseal_envelope::io::{Existing, Mode, PendingFile, ensure_distinct, open_input};
use otaseal_envelope::v3::{self, Policy, TrustedKeys};
use otaseal_keys::{Limit, Limits};
use serde_json::json;

use super::v3out::{fail_open, header_json};
use crate::util::{
    HashWriter, format_time, load_private_key, load_public_key, parse_key_source, parse_time,
    print_json, read_bounded,
};

/// Arguments of `otaseal open`.
#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub(crate) struct OpenArgs {
    /// The sealed bundle.
    sealed: PathBuf,
    /// A trusted signing public key; repeat for several (key rotation).
    #[arg(long, value_name = "PUB", num_args = 1.., required = true)]
    trust: Vec<PathBuf>,
    /// A key-rotation statement signed by a trusted key; its new key is trusted too. Repeat
    /// for a chain.
    #[arg(long, value_name = "FILE")]
    rotation: Vec<PathBuf>,
    /// The recipient private key to decrypt with: a key file, env:NAME (the PEM in an
    /// environment variable), - (standard input) or a pkcs11: URI.
    #[arg(long, value_name = "PRIV", value_parser = parse_key_source)]
    decryption_key: String,
    /// The app id the bundle must be for.
    #[arg(long, value_name = "ID")]
    app_id: String,
    /// The channel the bundle must be for [default: any].
    #[arg(long, value_name = "C")]
    channel: Option<String>,
    /// Refuse bundles whose sequence is below N (the sequence installed now).
    #[arg(long, value_name = "N", default_value_t = 0)]
    min_sequence: u64,
    /// Verify as of this time (RFC 3339 or Unix seconds) instead of the system clock.
    #[arg(long, value_name = "TIME", value_parser = parse_time, hide = true)]
    now: Option<u64>,
    /// Output file: written to a temporary file beside it and renamed only after the last
    /// chunk verified; nothing is left on failure.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(a: &OpenArgs) -> Result<()> {
    let limits = Limits::default();
    let mut trusted = TrustedKeys::new();
    for p in &a.trust {
        trusted.add(load_public_key(p, &limits)?);
    }
    for p in &a.rotation {
        let bytes = read_bounded(p, 64 << 10)?;
        let fp = trusted
            .accept_rotation(&bytes, &a.app_id, &limits)
            .map_err(|e| fail_open(e, a.json))
            .with_context(|| format!("rotation statement {} refused", p.display()))?;
        if !a.json {
            eprintln!("trusting {fp} (rotation statement {})", p.display());
        }
    }
    let mut policy = Policy::new(trusted, a.app_id.clone()).min_sequence(a.min_sequence);
    if let Some(c) = &a.channel {
        policy = policy.channel(c.clone());
    }
    if let Some(t) = a.now {
        policy = policy.now(t);
    }
    let key = load_private_key(&a.decryption_key.parse()?, &limits)?;
    ensure_distinct(&a.sealed, &a.output)?;
    let (input, _) = open_input(&a.sealed, Limit::BundleLen, &limits)?;
    let mut output = PendingFile::create(&a.output, Mode::Private, Existing::Replace)?;
    let mut hashed = HashWriter::new(&mut output);
    let opened = v3::open(input, &mut hashed, key.as_ref(), &policy, &limits)
        .map_err(|e| fail_open(e, a.json))
        .with_context(|| format!("{} refused; nothing written", a.sealed.display()))?;
    let sha256 = hashed.finish();
    output.persist()?;
    let h = &opened.header;
    if a.json {
        let mut v = header_json(h);
        v["ok"] = json!(true);
        v["output"] = json!(a.output.display().to_string());
        v["sha256"] = json!(sha256.to_string());
        print_json(&v)?;
    } else {
        let c = h.context();
        println!(
            "verified:    {} {} on {} (sequence {}), signed by {}",
            c.app_id,
            c.bundle_version,
            c.channel,
            c.sequence,
            h.signer()
        );
        println!("expires:     {}", format_time(c.expires_at));
        println!(
            "written:     {} ({} bytes, sha256 {sha256})",
            a.output.display(),
            opened.plaintext_len
        );
        println!(
            "next:        store sequence {} as the minimum for the next bundle",
            c.sequence
        );
    }
    Ok(())
}
