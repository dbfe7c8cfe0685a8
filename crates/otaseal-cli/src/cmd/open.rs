//! `otaseal open`: verify and decrypt an otaseal V3 sealed bundle (`spec/v3.md` section 7),
//! atomically, with rollback and channel protection that is on unless explicitly waived, and
//! an optional verifier state (`spec/v3.md` section 11) that remembers the key set and the
//! highest sequence opened.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{ArgGroup, Args};
use otaseal_envelope::io::{Mode, PendingFile, ensure_distinct};
use otaseal_envelope::v3::{
    self, Channel, Policy, RotationStatement, Sequence, TrustedKeys, VerifierState,
};
use otaseal_keys::{Limit, Limits, PublicKey};
use serde_json::{Value, json};

use super::v3out::{fail_open, fail_rotation, fail_state, header_json, now};
use crate::util::{
    HashWriter, Overwrite, format_time, load_private_key, load_public_key, open_for_output,
    parse_key_source, parse_time, print_json, read_bounded,
};

/// Arguments of `otaseal open`.
#[derive(Debug, Args)]
#[command(
    disable_version_flag = true,
    group(ArgGroup::new("channel_rule").required(true).args(["channel", "any_channel"])),
)]
pub(crate) struct OpenArgs {
    /// The sealed bundle.
    sealed: PathBuf,
    /// A trusted signing public key; repeat for several. With --state, these only seed a new
    /// state (key-set version 1); once the state has the app, it governs and these are ignored.
    #[arg(long, value_name = "PUB", num_args = 1..)]
    trust: Vec<PathBuf>,
    /// The verifier state (JSON, mode 0600, written atomically): the app's key set and the
    /// highest sequence opened per channel. A bundle whose sequence is not greater is refused;
    /// its sequence is recorded once it is written.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// A key-rotation statement (`otaseal key rotate`), applied to the key set in order before
    /// the bundle is verified, and recorded in --state. Statements the state has passed are
    /// skipped. Repeat for a chain.
    #[arg(long, value_name = "FILE")]
    rotation: Vec<PathBuf>,
    /// The recipient private key to decrypt with: a key file, env:NAME (the PEM in an
    /// environment variable), - (standard input) or a pkcs11: URI.
    #[arg(long, value_name = "PRIV", value_parser = parse_key_source)]
    decryption_key: String,
    /// The app id the bundle must be for.
    #[arg(long, value_name = "ID")]
    app_id: String,
    /// The channel the bundle must be for.
    #[arg(long, value_name = "C")]
    channel: Option<String>,
    /// Accept a bundle of any channel (with --state, its sequence must then be greater than the
    /// highest opened on every channel).
    #[arg(long)]
    any_channel: bool,
    /// Refuse bundles whose sequence is below N (the sequence of the bundle installed now).
    /// Required without --state; with it, a floor for a new state.
    #[arg(long, value_name = "N")]
    min_sequence: Option<u64>,
    /// Verify as of this time (RFC 3339 or Unix seconds) instead of the system clock.
    #[arg(long, value_name = "TIME", value_parser = parse_time, hide = true)]
    now: Option<u64>,
    /// Output file: has no name until the last chunk verified; nothing is left on failure.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    #[command(flatten)]
    overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The verifier state of a run, and where it lives.
struct StateFile {
    path: PathBuf,
    state: VerifierState,
}

pub(crate) fn run(a: &OpenArgs) -> Result<()> {
    let limits = Limits::default();
    if a.state.is_none() && a.min_sequence.is_none() {
        bail!(
            "refusing to open without rollback protection: pass --state FILE (records the highest \
             sequence opened and refuses anything not greater; recommended) or --min-sequence N \
             (the sequence of the bundle installed now; --min-sequence 0 accepts any)"
        );
    }
    let channel = match &a.channel {
        Some(c) => Channel::Only(c.clone()),
        None => Channel::Any,
    };
    let now = a.now.unwrap_or_else(now);
    // The input's size and the output's place are checked before any work.
    let (input, _, existing) = open_for_output(
        &a.sealed,
        &a.output,
        &a.overwrite,
        Limit::BundleLen,
        &limits,
    )?;
    if let Some(s) = &a.state {
        ensure_distinct(s, &a.output)?;
        ensure_distinct(&a.sealed, s)?;
    }
    let mut rotations = Vec::new();
    let (policy, mut state) = match &a.state {
        Some(path) => {
            let mut sf = StateFile {
                state: VerifierState::load(path, &limits)
                    .map_err(|e| fail_state(e, a.json))?
                    .unwrap_or_default(),
                path: path.clone(),
            };
            seed(&mut sf, a, &limits)?;
            let applied = rotate_state(&mut sf, a, now, &limits, &mut rotations)?;
            if applied {
                // Trust changes are kept even if the bundle is then refused (spec/v3.md 11.1).
                sf.state.save(&sf.path).map_err(|e| fail_state(e, a.json))?;
            }
            let mut policy = sf
                .state
                .policy(&a.app_id, channel)
                .map_err(|e| fail_state(e, a.json))?;
            if let Some(min) = a.min_sequence {
                policy = policy.and_sequence(Sequence::AtLeast(min));
            }
            (policy.now(now), Some(sf))
        }
        None => {
            let mut trusted = TrustedKeys::from_keys(configured_keys(a, &limits)?);
            for p in &a.rotation {
                let bytes = read_bounded(p, v3::max_statement_len(&limits))?;
                let done = trusted
                    .accept_rotation(&bytes, &a.app_id, now, &limits)
                    .map_err(|e| fail_rotation(e, a.json))
                    .with_context(|| format!("rotation statement {} refused", p.display()))?;
                rotations.push(json!({"file": p.display().to_string(), "applied": true,
                    "key_set_version": done.key_set_version}));
            }
            let min = a.min_sequence.unwrap_or(0);
            let policy = Policy::new(trusted, a.app_id.clone(), channel, Sequence::AtLeast(min));
            (policy.now(now), None)
        }
    };
    let key = load_private_key(&a.decryption_key.parse()?, &limits)?;
    let mut output = PendingFile::create(&a.output, Mode::Private, existing)?;
    let mut hashed = HashWriter::new(&mut output);
    let opened = v3::open(input, &mut hashed, key.as_ref(), &policy, &limits)
        .map_err(|e| fail_open(e, a.json))
        .with_context(|| format!("{} refused; nothing written", a.sealed.display()))?;
    let sha256 = hashed.finish();
    output.persist()?;
    // Recorded only now that the plaintext has its name (spec/v3.md 11.1, rule 4).
    if let Some(sf) = &mut state {
        sf.state
            .record(&opened)
            .and_then(|()| sf.state.save(&sf.path))
            .map_err(|e| fail_state(e, a.json))
            .with_context(|| {
                format!(
                    "{} was written, but the state could not be recorded",
                    a.output.display()
                )
            })?;
    }
    let h = &opened.header;
    let c = h.context();
    if a.json {
        let mut v = header_json(h);
        v["filename"] = json!(a.output.display().to_string());
        v["sha256"] = json!(sha256.to_string());
        v["key_set_version"] = json!(policy.trusted().version());
        v["rotations"] = Value::Array(rotations);
        v["state"] = state
            .as_ref()
            .map_or(Value::Null, |sf| json!(sf.path.display().to_string()));
        print_json(&v)?;
    } else {
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
        match &state {
            Some(sf) => println!(
                "recorded:    sequence {} of channel {} in {}",
                c.sequence,
                c.channel,
                sf.path.display()
            ),
            None => println!(
                "next:        pass --min-sequence {} next time, or keep a --state",
                c.sequence
            ),
        }
    }
    Ok(())
}

/// The keys of --trust; at least one.
fn configured_keys(a: &OpenArgs, limits: &Limits) -> Result<Vec<PublicKey>> {
    if a.trust.is_empty() {
        bail!("no trusted signing key: pass --trust PUB (the developer's signing public key)");
    }
    a.trust.iter().map(|p| load_public_key(p, limits)).collect()
}

/// Seeds the state's key set for the app with --trust if it has none (spec/v3.md 11.1, rule
/// 1); otherwise says which --trust keys it ignores.
fn seed(sf: &mut StateFile, a: &OpenArgs, limits: &Limits) -> Result<()> {
    if let Some(keys) = sf.state.key_set(&a.app_id) {
        for p in &a.trust {
            let k = load_public_key(p, limits)?;
            if keys.get(&k.fingerprint()).is_none() && !a.json {
                eprintln!(
                    "note: --trust {} ignored: {} governs (key set version {}), and it does not trust {}",
                    p.display(),
                    sf.path.display(),
                    keys.version(),
                    k.fingerprint()
                );
            }
        }
        return Ok(());
    }
    let keys = configured_keys(a, limits)
        .with_context(|| format!("{} has no key set for app {}", sf.path.display(), a.app_id))?;
    sf.state
        .seed(&a.app_id, TrustedKeys::from_keys(keys))
        .map_err(|e| fail_state(e, a.json))?;
    Ok(())
}

/// Applies --rotation to the state's key set, skipping statements at or below its version
/// (spec/v3.md 8.2). Returns whether any was applied.
fn rotate_state(
    sf: &mut StateFile,
    a: &OpenArgs,
    now: u64,
    limits: &Limits,
    report: &mut Vec<Value>,
) -> Result<bool> {
    let mut applied = false;
    for p in &a.rotation {
        let bytes = read_bounded(p, v3::max_statement_len(limits))?;
        let current = sf.state.key_set(&a.app_id).map_or(0, TrustedKeys::version);
        if let Ok(s) = RotationStatement::parse(&bytes, limits)
            && s.rotation.key_set_version <= current
        {
            note_skipped(p, s.rotation.key_set_version, current, a.json);
            report.push(json!({"file": p.display().to_string(), "applied": false,
                "key_set_version": s.rotation.key_set_version}));
            continue;
        }
        let done = sf
            .state
            .accept_rotation(&a.app_id, &bytes, now, limits)
            .map_err(|e| fail_state(e, a.json))
            .with_context(|| format!("rotation statement {} refused", p.display()))?;
        if !a.json {
            eprintln!(
                "key set version {}: trusting {}{} (rotation statement {})",
                done.key_set_version,
                done.added,
                done.retired
                    .map(|r| format!(", retired {r}"))
                    .unwrap_or_default(),
                p.display()
            );
        }
        report.push(json!({"file": p.display().to_string(), "applied": true,
            "key_set_version": done.key_set_version}));
        applied = true;
    }
    Ok(applied)
}

fn note_skipped(p: &Path, version: u64, current: u64, json: bool) {
    if !json {
        eprintln!(
            "note: rotation statement {} (key set version {version}) skipped: the state is at version {current}",
            p.display()
        );
    }
}
