//! `otaseal manifest`: Capgo delta (manifest) updates, `spec/v2.md` section 9.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use otaseal_keys::Limits;
use otaseal_manifest::{
    self as manifest, ApplyOptions, CreateOptions, FILES_DIR, MANIFEST_FILE, Manifest,
};
use otaseal_wire::IvSessionKey;
use otaseal_wire::plugin::PluginVersion;
use serde_json::json;

use super::plugin::{FormArgs, judge_rules, parse_plugin_version};
use crate::util::{
    arg_or_file, load_private_key, load_public_key, parse_key_source, print_json, read_bounded,
};

/// Delta-manifest commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ManifestCommand {
    /// Encrypt a built web folder file by file and write manifest.json, as @capgo/cli's delta
    /// upload does: OUT_DIR/files/NAME[.br] and OUT_DIR/manifest.json.
    Create(CreateArgs),
    /// Decrypt, decompress and verify a delta update into a folder, as a device does.
    Apply(ApplyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The built web folder (Capacitor's webDir, e.g. dist).
    dist: PathBuf,
    /// The V2 private key (.capgo_key_v2): a key file, env:NAME (the PEM in an environment
    /// variable), - (standard input) or a pkcs11: URI.
    #[arg(long, value_parser = parse_key_source)]
    key: String,
    /// URL the encrypted files will be served from; download_url = URL + file_name.
    #[arg(long)]
    base_url: String,
    /// Output folder; created atomically (it must not exist or be empty, unless --force).
    #[arg(long)]
    out_dir: PathBuf,
    #[command(flatten)]
    form: FormArgs,
    /// Glob pattern of files never Brotli-compressed (repeatable, or comma-separated), e.g.
    /// '**/*.wasm'. `*` stays within one folder, `**` crosses folders.
    #[arg(long = "no-brotli", value_name = "PATTERN")]
    no_brotli: Vec<String>,
    /// Replace a non-empty output folder.
    #[arg(long)]
    force: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// manifest.json (a JSON array of {file_name, file_hash, download_url}).
    manifest: PathBuf,
    /// Folder holding the encrypted files at their file_name paths (OUT_DIR/files of create).
    #[arg(long)]
    files: PathBuf,
    /// The V2 public key (.capgo_key_v2.pub; a private key is refused, as a device never
    /// holds one).
    #[arg(long)]
    key: PathBuf,
    /// The manifest's ivSessionKey (API session_key), or @FILE to read it from a file.
    #[arg(long)]
    iv_session_key: String,
    /// Destination folder, written only when every file verified.
    #[arg(long)]
    out_dir: PathBuf,
    /// Replace a non-empty destination folder (after everything verified).
    #[arg(long)]
    force: bool,
    /// Judge exactly as this @capgo/capacitor-updater version does: only the file_hash form
    /// it reads, no file that decrypts to 0 bytes where it refuses one. Default: otaseal's
    /// strict verdict.
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_plugin_version)]
    plugin_version: Option<PluginVersion>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: ManifestCommand) -> Result<()> {
    match cmd {
        ManifestCommand::Create(a) => create(&a),
        ManifestCommand::Apply(a) => apply(&a),
    }
}

fn create(a: &CreateArgs) -> Result<()> {
    let limits = Limits::default();
    let key = load_private_key(&a.key.parse()?, &limits)?;
    let choice = a.form.choose(&limits)?;
    choice.report();
    let mut options = CreateOptions::new(a.base_url.clone());
    options.format = choice.format;
    // A form the app's plugin (given, or found in the project) cannot read is refused.
    options.device.clone_from(if choice.rules.is_some() {
        &choice.rules
    } else {
        &choice.overridden
    });
    options.no_brotli.clone_from(&a.no_brotli);
    options.replace = a.force;
    let start = Instant::now();
    let created = manifest::create(&a.dist, &a.out_dir, key.as_ref(), &options)
        .context("cannot build a delta update")?;
    let secs = start.elapsed().as_secs_f64();
    let files = created.manifest.entries().len();
    for skipped in &created.skipped_empty {
        eprintln!(
            "warning: {skipped} is empty and left out, as Capgo's delta format does: devices that apply this update will not have it"
        );
    }
    if a.json {
        let entries = serde_json::to_value(created.manifest.entries())?;
        return print_json(&json!({
            "manifest": entries,
            "ivSessionKey": created.iv_session_key.to_string(),
            "files": files,
            "filename": a.out_dir.display().to_string(),
            "plugin_version": choice.plugin_version(),
            "checksum_format": choice.format.to_string(),
            "skipped_empty": created.skipped_empty,
        }));
    }
    println!(
        "{files} files ({} Brotli-compressed, {} distinct hashes signed) in {secs:.2} s",
        created.brotli_files, created.distinct_hashes
    );
    println!(
        "{} bytes -> {} encrypted bytes in {}",
        created.total_len,
        created.stored_len,
        a.out_dir.join(FILES_DIR).display()
    );
    if !created.skipped_empty.is_empty() {
        println!(
            "{} empty files left out: {}",
            created.skipped_empty.len(),
            created.skipped_empty.join(", ")
        );
    }
    println!("manifest: {}", a.out_dir.join(MANIFEST_FILE).display());
    println!("ivSessionKey: {}", created.iv_session_key);
    Ok(())
}

fn apply(a: &ApplyArgs) -> Result<()> {
    let limits = Limits::default();
    let key = load_public_key(&a.key, &limits)?;
    let ivsk_text = arg_or_file(&a.iv_session_key)?;
    let ivsk = IvSessionKey::parse_for_modulus(&ivsk_text, key.modulus_len(), &limits)
        .context("--iv-session-key")?;
    // max_json_len is checked before reading past it and before parsing.
    let json = read_bounded(&a.manifest, limits.max_json_len)?;
    let parsed = Manifest::parse(&json, &limits)
        .with_context(|| format!("{} is not an acceptable manifest", a.manifest.display()))?;
    let mut options = ApplyOptions::default();
    options.replace = a.force;
    options.device = judge_rules(a.plugin_version.as_ref())?;
    let applied = manifest::apply(&parsed, &a.files, &a.out_dir, &key, &ivsk, &options)
        .with_context(|| {
            format!(
                "delta update not applied; {} is unchanged",
                a.out_dir.display()
            )
        })?;
    if a.json {
        return print_json(&json!({
            "files": applied.files,
            "plaintext_len": applied.total_len,
            "filename": a.out_dir.display().to_string(),
            "verified": true,
            "plugin_version": a.plugin_version.as_ref().map(ToString::to_string),
        }));
    }
    println!(
        "{} files ({} bytes) verified and written to {}",
        applied.files,
        applied.total_len,
        a.out_dir.display()
    );
    if let Some(v) = &a.plugin_version {
        println!("plugin {v} accepts this delta update");
    }
    Ok(())
}
