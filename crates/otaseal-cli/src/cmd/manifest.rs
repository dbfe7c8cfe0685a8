//! `otaseal manifest`: Capgo delta (manifest) updates, `spec/v2.md` section 9.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use otaseal_keys::Limits;
use otaseal_manifest::{
    self as manifest, ApplyOptions, CreateOptions, FILES_DIR, MANIFEST_FILE, Manifest,
};
use otaseal_wire::{ChecksumFormat, IvSessionKey};
use serde_json::json;

use crate::util::{
    arg_or_file, load_private_key, load_public_key, parse_checksum_format, parse_key_source,
    print_json, read_bounded,
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
    /// Signed checksum form of file_hash: hex (plugin >= 5.30.0/6.30.0/7.30.0, 8.x) or
    /// base64 (older plugins).
    #[arg(long, default_value = "hex", value_parser = parse_checksum_format)]
    checksum_format: ChecksumFormat,
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
    let mut options = CreateOptions::new(a.base_url.clone());
    options.format = a.checksum_format;
    options.no_brotli.clone_from(&a.no_brotli);
    options.replace = a.force;
    let start = Instant::now();
    let created = manifest::create(&a.dist, &a.out_dir, key.as_ref(), &options)
        .with_context(|| format!("cannot build a delta update from {}", a.dist.display()))?;
    let secs = start.elapsed().as_secs_f64();
    let files = created.manifest.entries().len();
    if a.json {
        let entries = serde_json::to_value(created.manifest.entries())?;
        return print_json(&json!({
            "manifest": entries,
            "ivSessionKey": created.iv_session_key.to_string(),
            "files": files,
            "out_dir": a.out_dir.display().to_string(),
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
    println!("manifest: {}", a.out_dir.join(MANIFEST_FILE).display());
    println!("ivSessionKey: {}", created.iv_session_key);
    Ok(())
}

fn apply(a: &ApplyArgs) -> Result<()> {
    let limits = Limits::default();
    let key = load_public_key(&a.key, &limits)?;
    let ivsk_text = arg_or_file(&a.iv_session_key)?;
    let ivsk = IvSessionKey::parse_for_modulus(&ivsk_text, key.modulus_len(), &limits)
        .context("--iv-session-key is not a valid ivSessionKey for this key")?;
    // max_json_len is checked before reading past it and before parsing.
    let json = read_bounded(&a.manifest, limits.max_json_len)?;
    let parsed = Manifest::parse(&json, &limits)
        .with_context(|| format!("{} is not an acceptable manifest", a.manifest.display()))?;
    let mut options = ApplyOptions::default();
    options.replace = a.force;
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
            "bytes": applied.total_len,
            "out_dir": a.out_dir.display().to_string(),
            "verified": true,
        }));
    }
    println!(
        "{} files ({} bytes) verified and written to {}",
        applied.files,
        applied.total_len,
        a.out_dir.display()
    );
    Ok(())
}
