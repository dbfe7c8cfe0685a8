//! `otaseal migrate`: move an app from Capgo encryption V1 to V2 (`spec/v1.md` section 7):
//! bundles (one or a batch), the key pair, and capacitor.config.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use otaseal_envelope::io::{Existing, Mode, PendingFile};
use otaseal_keys::{
    CAPGO_PRIVATE_KEY_FILE, CAPGO_PUBLIC_KEY_FILE, CAPGO_V1_PRIVATE_KEY_FILE,
    CAPGO_V1_PUBLIC_KEY_FILE, KeySize, KeySource, Limits, PrivateKey, Signer,
};
use otaseal_migrate::batch::{self, BatchOptions, BatchReport, Status};
use otaseal_migrate::config::{self, ConfigFormat};
use otaseal_migrate::v1::DecryptError as V1Error;
use otaseal_migrate::{MigrateError, Migrator};
use otaseal_wire::{ChecksumFormat, Crc32Checksum, IvSessionKey};
use serde_json::json;

use crate::cmd::key::{
    key_pair_json, key_pair_paths, print_key_pair, refuse_existing, write_new_key_pair,
};
use crate::util::{
    Overwrite, arg_or_file, find_config, load_private_key, load_private_key_in_memory,
    load_public_half, load_public_key, output_or_sibling, parse_checksum_format, parse_key_source,
    print_json, read_bounded, write_atomic,
};

/// The warning every migration command prints (`spec/v1.md` section 7 step 4).
const V1_KEY_WARNING: &str = "warning: the V1 private key shipped inside every copy of your app: treat it as public. Use it only to migrate, never again, and treat every bundle ever encrypted to it as disclosed.";

/// Migration commands.
#[derive(Debug, Subcommand)]
pub(crate) enum MigrateCommand {
    /// Re-encrypt one V1 bundle as V2 and sign it; the plaintext never touches the disk.
    Bundle(BundleArgs),
    /// Migrate a JSON list of V1 bundles into a directory, with a report; resumable.
    Batch(BatchArgs),
    /// Create the V2 key pair (.capgo_key_v2, .capgo_key_v2.pub) next to the V1 key files.
    Keys(KeysArgs),
    /// Rewrite capacitor.config: remove the V1 privateKey, set publicKey to the V2 public key.
    Config(ConfigArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BundleArgs {
    /// The V1 encrypted bundle.
    file: PathBuf,
    /// The V1 private key (.capgo_key, the key V1 apps shipped): a key file, env:NAME or -
    /// (not a pkcs11: URI: every V1 app carries this key, so it is not kept in a token).
    #[arg(long, default_value = CAPGO_V1_PRIVATE_KEY_FILE, value_parser = parse_key_source)]
    v1_key: String,
    /// The bundle's V1 ivSessionKey, or @FILE to read it from a file.
    #[arg(long)]
    iv_session_key: String,
    /// The new V2 private key (.capgo_key_v2): a key file, env:NAME (the PEM in an environment
    /// variable), - (standard input) or a pkcs11: URI.
    #[arg(long, default_value = CAPGO_PRIVATE_KEY_FILE, value_parser = parse_key_source)]
    key: String,
    /// Output file [default: FILE_v2.zip]. Written only if the V1 bundle verified.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Signed checksum form: hex for plugin >= 5.30.0 / 6.30.0 / 7.30.0 and 8.x, base64 for older.
    #[arg(long, default_value = "hex", value_parser = parse_checksum_format)]
    checksum_format: ChecksumFormat,
    /// The bundle's V1 checksum (CRC32, 8 hex characters), checked after decryption.
    #[arg(long)]
    crc32: Option<String>,
    #[command(flatten)]
    overwrite: Overwrite,
    /// Decrypt and verify the V1 bundle, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// JSON list: [{"file": "...", "ivSessionKey": "...", "checksum": "crc32 hex"?}].
    list: PathBuf,
    /// Directory the list's relative file names are in [default: the list's directory].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The V1 private key (.capgo_key): a key file, env:NAME or - (not a pkcs11: URI).
    #[arg(long, default_value = CAPGO_V1_PRIVATE_KEY_FILE, value_parser = parse_key_source)]
    v1_key: String,
    /// The new V2 private key (.capgo_key_v2): a key file, env:NAME, - or a pkcs11: URI.
    #[arg(long, default_value = CAPGO_PRIVATE_KEY_FILE, value_parser = parse_key_source)]
    key: String,
    /// Directory for the V2 bundles, the journal and the report (otaseal-migrate.report.json).
    #[arg(long)]
    out_dir: PathBuf,
    /// Signed checksum form: hex for plugin >= 5.30.0 / 6.30.0 / 7.30.0 and 8.x, base64 for older.
    #[arg(long, default_value = "hex", value_parser = parse_checksum_format)]
    checksum_format: ChecksumFormat,
    /// Decrypt and verify every V1 bundle, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    /// Directory of the V1 key files; the V2 pair is written there too.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Replace existing V2 key files.
    #[arg(long)]
    force: bool,
    /// Check the V1 keys, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// capacitor.config.json, .ts or .js; found in the current directory when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The V2 public key (.capgo_key_v2.pub, or the private key, whose public half is used).
    #[arg(long, default_value = CAPGO_PUBLIC_KEY_FILE)]
    key: PathBuf,
    /// Show the new config on standard output, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: MigrateCommand) -> Result<()> {
    match cmd {
        MigrateCommand::Bundle(a) => bundle(&a),
        MigrateCommand::Batch(a) => batch_cmd(&a),
        MigrateCommand::Keys(a) => keys(&a),
        MigrateCommand::Config(a) => config_cmd(&a),
    }
}

/// Loads both private keys and builds the migrator's keys, with messages that name the file.
fn load_keys(v1: &str, v2: &str, limits: &Limits) -> Result<(PrivateKey, Box<dyn Signer>)> {
    let v1_key = load_private_key_in_memory(&v1.parse()?, limits)
        .with_context(|| format!("reading the V1 private key {v1}"))?;
    let v2_key = load_private_key(&v2.parse()?, limits).with_context(|| {
        format!("reading the V2 private key {v2} (create it with `otaseal migrate keys`)")
    })?;
    Ok((v1_key, v2_key))
}

/// Turns migration errors into the messages a user acts on.
fn explain(e: MigrateError) -> anyhow::Error {
    let hint = match &e {
        MigrateError::V1(V1Error::Decryption) => {
            "check that --v1-key is the app's V1 private key and that --iv-session-key and --crc32 belong to this bundle"
        }
        MigrateError::V1(V1Error::Wire(_)) => "is --v1-key the V1 private key of this bundle?",
        _ => "",
    };
    crate::util::with_hint(e, hint)
}

fn bundle(a: &BundleArgs) -> Result<()> {
    let limits = Limits::default();
    let (v1_key, v2_key) = load_keys(&a.v1_key, &a.key, &limits)?;
    let migrator = Migrator::new(&v1_key, v2_key.as_ref())?.checksum_format(a.checksum_format);
    let ivsk = IvSessionKey::parse_for_modulus(
        &arg_or_file(&a.iv_session_key)?,
        v1_key.public_key().modulus_len(),
        &limits,
    )
    .context("--iv-session-key")?;
    let crc: Option<Crc32Checksum> = a
        .crc32
        .as_deref()
        .map(|c| c.trim().parse())
        .transpose()
        .context("invalid --crc32 (expected the V1 CRC32, 8 lower-case hex characters)")?;
    let out_path = output_or_sibling(a.output.as_deref(), &a.file, "_v2.zip");
    let existing = if a.dry_run {
        Existing::Refuse // nothing is written
    } else {
        a.overwrite.check(&out_path)?
    };
    eprintln!("{V1_KEY_WARNING}");
    if a.dry_run {
        let v = migrator
            .check_v1_file(&a.file, &ivsk, crc)
            .map_err(explain)
            .with_context(|| format!("cannot migrate {}", a.file.display()))?;
        if a.json {
            print_json(&json!({
                "filename": out_path.display().to_string(),
                "dry_run": true,
                "crc32": v.crc32.to_string(),
                "crc32_checked": v.crc32_checked,
                "plaintext_len": v.plaintext_len,
            }))?;
        } else {
            println!(
                "dry run: {} decrypts and verifies ({} bytes, CRC32 {}{}); would write {}",
                a.file.display(),
                v.plaintext_len,
                v.crc32,
                if v.crc32_checked { ", matches" } else { "" },
                out_path.display()
            );
        }
        return Ok(());
    }
    let out = migrator
        .migrate_to(
            &a.file,
            PendingFile::create(&out_path, Mode::Umask, existing)?,
            &ivsk,
            crc,
        )
        .map_err(explain)
        .with_context(|| format!("cannot migrate {}", a.file.display()))?;
    crate::cmd::bundle::print_encrypted(
        "migrated:",
        &out_path,
        &out.iv_session_key,
        &out.signed_checksum,
        &out.checksum,
        a.json,
        &[],
    )?;
    if !a.json && !out.v1_crc32_checked {
        println!(
            "note: no --crc32 given; the V1 side was checked by its padding only (CRC32 of the plaintext: {})",
            out.v1_crc32
        );
    }
    Ok(())
}

fn batch_cmd(a: &BatchArgs) -> Result<()> {
    let limits = Limits::default();
    let list = read_bounded(&a.list, limits.max_json_len)?;
    let entries = batch::parse_list(&list, &limits)
        .with_context(|| format!("cannot read the batch list {}", a.list.display()))?;
    let (v1_key, v2_key) = load_keys(&a.v1_key, &a.key, &limits)?;
    let migrator = Migrator::new(&v1_key, v2_key.as_ref())?.checksum_format(a.checksum_format);
    let base_dir = match &a.dir {
        Some(d) => d.clone(),
        None => match a.list.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
    };
    let mut options = BatchOptions::new(base_dir, a.out_dir.clone());
    options.dry_run = a.dry_run;
    eprintln!("{V1_KEY_WARNING}");
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(entries.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg} eta {eta}")
        {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let report = batch::run(&migrator, &entries, &options, &mut |record, _resumed| {
        if let Some(bar) = &bar {
            if record.status == Status::Failed {
                bar.println(format!(
                    "failed: {}: {}",
                    record.old_name,
                    record.error.as_deref().unwrap_or("")
                ));
            }
            bar.inc(1);
        }
    })
    .with_context(|| format!("batch migration into {} failed", a.out_dir.display()))?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if a.json {
        print_json(&serde_json::to_value(&report)?)?;
    } else {
        print_batch_summary(&report, &a.out_dir);
    }
    if report.failed > 0 {
        bail!(
            "{} of {} bundles failed (listed in the report); fix them and run the same command again: finished bundles are not redone",
            report.failed,
            report.bundles.len()
        );
    }
    Ok(())
}

fn print_batch_summary(report: &BatchReport, out_dir: &Path) {
    if report.dry_run {
        println!(
            "dry run: {} of {} bundles decrypt and verify, {} failed; nothing written",
            report.verified,
            report.bundles.len(),
            report.failed
        );
    } else {
        println!(
            "migrated {} bundles ({} in this run, {} from earlier runs), {} failed",
            report.migrated, report.migrated_this_run, report.resumed, report.failed
        );
        println!("report: {}", out_dir.join(batch::REPORT_FILE).display());
    }
    for r in report.bundles.iter().filter(|r| r.status == Status::Failed) {
        println!(
            "failed: {}: {}",
            r.old_name,
            r.error.as_deref().unwrap_or("")
        );
    }
}

fn keys(a: &KeysArgs) -> Result<()> {
    let limits = Limits::default();
    let v1_private_path = a.dir.join(CAPGO_V1_PRIVATE_KEY_FILE);
    let v1_public_path = a.dir.join(CAPGO_V1_PUBLIC_KEY_FILE);
    let v1_key = load_private_key_in_memory(&KeySource::File(v1_private_path.clone()), &limits)
        .with_context(|| format!("no usable V1 private key at {}", v1_private_path.display()))?;
    let v1_public = if v1_public_path.exists() {
        let public = load_public_key(&v1_public_path, &limits)?;
        otaseal_migrate::check_v1_key_pair(&v1_key, &public).with_context(|| {
            format!(
                "{} and {} are not one key pair",
                v1_private_path.display(),
                v1_public_path.display()
            )
        })?;
        Some(public)
    } else {
        None
    };
    let (private_path, public_path) = key_pair_paths(&a.dir);
    if !a.force {
        refuse_existing(
            &private_path,
            &public_path,
            "use --force to replace the V2 key pair (bundles signed with it will no longer verify)",
        )?;
    }
    eprintln!("{V1_KEY_WARNING}");
    let v1_fingerprint = v1_key.public_key().fingerprint().to_string();
    if a.dry_run {
        if a.json {
            print_json(&json!({
                "dry_run": true,
                "v1_private": v1_private_path.display().to_string(),
                "v1_public": v1_public.as_ref().map(|_| v1_public_path.display().to_string()),
                "v1_fingerprint": v1_fingerprint,
                "private": private_path.display().to_string(),
                "public": public_path.display().to_string(),
            }))?;
        } else {
            println!(
                "dry run: V1 key {v1_fingerprint} is readable; would write {} and {}",
                private_path.display(),
                public_path.display()
            );
        }
        return Ok(());
    }
    let key = write_new_key_pair(&private_path, &public_path, KeySize::Rsa2048, a.force)?;
    let public = key.public_key();
    if a.json {
        let mut v = serde_json::Map::new();
        v.insert(
            "v1_private".into(),
            json!(v1_private_path.display().to_string()),
        );
        v.insert(
            "v1_public".into(),
            json!(
                v1_public
                    .as_ref()
                    .map(|_| v1_public_path.display().to_string())
            ),
        );
        v.insert("v1_fingerprint".into(), json!(v1_fingerprint));
        v.extend(key_pair_json(&private_path, &public_path, public));
        print_json(&serde_json::Value::Object(v))?;
    } else {
        print_key_pair("V2 ", &private_path, &public_path, public);
        println!(
            "next: otaseal migrate config --key {}, then otaseal migrate batch LIST.json --out-dir DIR",
            public_path.display()
        );
    }
    Ok(())
}

fn config_cmd(a: &ConfigArgs) -> Result<()> {
    let limits = Limits::default();
    let public = load_public_half(&a.key, &limits)?;
    public
        .check_capgo_compatible()
        .context("the V2 public key must be RSA-2048 with exponent 65537 for Capgo devices")?;
    let config = find_config(a.config.as_deref())?;
    let text = String::from_utf8(read_bounded(&config, limits.max_json_len)?)
        .with_context(|| format!("{} is not UTF-8", config.display()))?;
    let edit = config::migrate_to_v2(&text, ConfigFormat::of(&config), &public, &limits)
        .with_context(|| format!("cannot update {}", config.display()))?;
    let changed = edit.text != text;
    eprintln!("{V1_KEY_WARNING}");
    if !a.dry_run && changed {
        write_atomic(&config, edit.text.as_bytes(), false, true)?;
    }
    if a.json {
        print_json(&json!({
            "config": config.display().to_string(),
            "changed": changed,
            "removed_private_key": edit.removed_private_key,
            "dry_run": a.dry_run,
            "key_id": public.key_id().as_str(),
            "fingerprint": public.fingerprint().to_string(),
        }))?;
    } else if a.dry_run {
        print!("{}", edit.text);
    } else {
        println!(
            "{}: {}publicKey set to the V2 key {}",
            config.display(),
            if edit.removed_private_key {
                "V1 privateKey removed, "
            } else {
                ""
            },
            public.key_id()
        );
        println!(
            "next: ship a native build with a V2-capable capacitor-updater; builds with the V1 config cannot verify V2 bundles"
        );
    }
    Ok(())
}
