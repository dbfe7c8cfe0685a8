//! `otaseal bundle`: Capgo encryption V2 bundles, with Capgo's command names and JSON keys.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use otaseal_envelope::io::{Existing, Mode, PendingFile, ensure_distinct, open_input};
use otaseal_envelope::v2::{self, DecryptError, SessionKey, Verification};
use otaseal_keys::{Limit, Limits};
use otaseal_wire::plugin::{DeviceRefusal, PluginVersion};
use otaseal_wire::{IvSessionKey, Sha256Checksum, SignedChecksum};
use serde_json::json;

use super::plugin::{FormArgs, judge_rules, parse_plugin_version};
use crate::util::{
    arg_or_file, load_private_key, load_public_key, parse_key_source, print_json, progress_reader,
    sha256_reader, sibling,
};

/// Bundle commands.
#[derive(Debug, Subcommand)]
pub(crate) enum BundleCommand {
    /// Zip a built web folder reproducibly and print its SHA-256.
    Zip(ZipArgs),
    /// Encrypt a bundle zip for Capgo devices (encryption V2) and sign its checksum.
    Encrypt(EncryptArgs),
    /// Decrypt a V2 bundle and verify it against its signed checksum, atomically.
    Decrypt(DecryptArgs),
    /// Open an ivSessionKey (and a signed checksum) with a public key and show what they hold.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ZipArgs {
    /// The built web folder (Capacitor's webDir).
    dir: PathBuf,
    /// Output zip file.
    #[arg(short, long)]
    output: PathBuf,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    /// The plaintext bundle zip.
    zip: PathBuf,
    /// The developer's private key (.capgo_key_v2): a key file, env:NAME (the PEM in an
    /// environment variable), - (standard input) or a pkcs11: URI.
    #[arg(long, default_value = otaseal_keys::CAPGO_PRIVATE_KEY_FILE, value_parser = parse_key_source)]
    key: String,
    /// Output file (default: ZIP_encrypted.zip, as @capgo/cli).
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    form: FormArgs,
    /// Allow a key that Capgo devices reject (anything but RSA-2048).
    #[arg(long)]
    allow_non_capgo_key: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    /// The encrypted bundle.
    file: PathBuf,
    /// The bundle's ivSessionKey (API `session_key`), or @FILE to read it from a file.
    iv_session_key: String,
    /// The public key (.capgo_key_v2.pub; a private key is refused, as a device never holds
    /// one).
    #[arg(long, default_value = otaseal_keys::CAPGO_PUBLIC_KEY_FILE)]
    key: PathBuf,
    /// The signed checksum (API `checksum`), hex or base64, or @FILE to read it from a file.
    #[arg(long)]
    checksum: Option<String>,
    /// Decrypt without a checksum. The result is NOT authenticated: anyone with the app's
    /// public key can make a bundle that passes.
    #[arg(long, conflicts_with_all = ["checksum", "plugin_version"])]
    no_verify: bool,
    /// Judge exactly as this @capgo/capacitor-updater version does: only the checksum form it
    /// reads, no empty bundle where it refuses one. Default: otaseal's strict verdict, which
    /// accepts both forms.
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_plugin_version)]
    plugin_version: Option<PluginVersion>,
    /// Output file (default: FILE_decrypted.zip). Written only if the bundle verified.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The public key.
    #[arg(long, default_value = otaseal_keys::CAPGO_PUBLIC_KEY_FILE)]
    key: PathBuf,
    /// The ivSessionKey to open.
    #[arg(long)]
    iv_session_key: String,
    /// A signed checksum to open too.
    #[arg(long)]
    checksum: Option<String>,
    /// Judge the checksum as this @capgo/capacitor-updater version does (its form and size).
    #[arg(long, value_name = "X.Y.Z", value_parser = parse_plugin_version, requires = "checksum")]
    plugin_version: Option<PluginVersion>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: BundleCommand) -> Result<()> {
    match cmd {
        BundleCommand::Zip(a) => zip_dir(&a),
        BundleCommand::Encrypt(a) => encrypt(&a),
        BundleCommand::Decrypt(a) => decrypt(&a),
        BundleCommand::Inspect(a) => inspect(&a),
    }
}

fn encrypt(a: &EncryptArgs) -> Result<()> {
    let limits = Limits::default();
    let out_path = a
        .output
        .clone()
        .unwrap_or_else(|| sibling(&a.zip, "_encrypted.zip"));
    // The input's size and the output's place are checked before any work.
    let (file, len) = open_input(&a.zip, Limit::BundleLen, &limits)?;
    ensure_distinct(&a.zip, &out_path)?;
    let key = load_private_key(&a.key.parse()?, &limits)?;
    if !a.allow_non_capgo_key {
        key.public_key()
            .check_capgo_compatible()
            .context("key of the wrong size (pass --allow-non-capgo-key for non-Capgo devices)")?;
    }
    if len == 0 {
        bail!(
            "{} is empty (0 bytes): a bundle is a zip and no zip is 0 bytes; plugins from 6.51.15 / 7.51.14 / 8.51.14 refuse it (\"Empty decrypted data\") and older ones fail to unzip it",
            a.zip.display()
        );
    }
    let choice = a.form.choose(&limits)?;
    choice.report();
    if let Some(rules) = &choice.overridden
        && let Err(refusal) = rules.check_checksum_form(choice.format)
    {
        eprintln!("warning: {refusal} (the project's plugin; --checksum-format overrides it)");
    }
    let out = v2::encrypt_file(
        progress_reader(file, len),
        &out_path,
        key.as_ref(),
        choice.format,
    )
    .with_context(|| format!("cannot encrypt {}", a.zip.display()))?;
    print_encrypted_with(
        "encrypted:",
        &out_path,
        &out.iv_session_key,
        &out.signed_checksum,
        &out.checksum,
        a.json,
        &[
            ("plugin_version", json!(choice.plugin_version())),
            ("checksum_format", json!(choice.format.to_string())),
        ],
    )
}

/// Prints what an update server needs of a V2 bundle, with @capgo/cli's JSON keys
/// (`{"filename","ivSessionKey","checksum","sha256"}`): shared by `bundle encrypt` and
/// `migrate bundle`, whose outputs are the same.
pub(crate) fn print_encrypted(
    verb: &str,
    path: &Path,
    iv_session_key: &IvSessionKey,
    signed: &SignedChecksum,
    sha256: &Sha256Checksum,
    json: bool,
) -> Result<()> {
    print_encrypted_with(verb, path, iv_session_key, signed, sha256, json, &[])
}

/// [`print_encrypted`] with more JSON keys after @capgo/cli's (`bundle encrypt`: the plugin
/// version and checksum form).
fn print_encrypted_with(
    verb: &str,
    path: &Path,
    iv_session_key: &IvSessionKey,
    signed: &SignedChecksum,
    sha256: &Sha256Checksum,
    json: bool,
    extra: &[(&str, serde_json::Value)],
) -> Result<()> {
    if json {
        let mut object = serde_json::Map::new();
        object.insert("filename".into(), json!(path.display().to_string()));
        object.insert("ivSessionKey".into(), json!(iv_session_key.to_string()));
        object.insert("checksum".into(), json!(signed.to_string()));
        object.insert("sha256".into(), json!(sha256.to_string()));
        for (k, v) in extra {
            object.insert((*k).into(), v.clone());
        }
        print_json(&serde_json::Value::Object(object))
    } else {
        println!("{verb:<13} {}", path.display());
        println!("ivSessionKey: {iv_session_key}");
        println!("checksum:     {signed}");
        println!("sha256:       {sha256}");
        Ok(())
    }
}

fn decrypt(a: &DecryptArgs) -> Result<()> {
    let limits = Limits::default();
    let out_path = a
        .output
        .clone()
        .unwrap_or_else(|| sibling(&a.file, "_decrypted.zip"));
    // The input's size and the output's place are checked before any work (spec/v2.md 8.1).
    let (file, len) = open_input(&a.file, Limit::BundleLen, &limits)?;
    ensure_distinct(&a.file, &out_path)?;
    let output = PendingFile::create(&out_path, Mode::Private, Existing::Replace)?;
    let key = load_public_key(&a.key, &limits)?;
    key.check_capgo_compatible()
        .context("key of the wrong size for Capgo V2 bundles")?;
    let ivsk = IvSessionKey::parse_for_modulus(
        &arg_or_file(&a.iv_session_key)?,
        key.modulus_len(),
        &limits,
    )
    .context("invalid ivSessionKey")?;
    let signed = match &a.checksum {
        Some(c) => Some(
            SignedChecksum::parse_for_modulus(&arg_or_file(c)?, key.modulus_len(), &limits)
                .context("invalid --checksum")?,
        ),
        None if a.no_verify => None,
        None => bail!(
            "no --checksum given: a bundle is only authentic with its signed checksum (pass --no-verify to decrypt without it)"
        ),
    };
    let rules = judge_rules(a.plugin_version.as_ref())?;
    let verification = match (&signed, &rules) {
        (Some(signed), Some(rules)) => Verification::Device { signed, rules },
        (Some(signed), None) => Verification::SignedChecksum(signed),
        (None, _) => Verification::UnsafeSkipVerification,
    };
    let verified = v2::decrypt_to(
        progress_reader(file, len),
        output,
        &key,
        &ivsk,
        verification,
        &limits,
    )
    .map_err(explain)
    .with_context(|| {
        format!(
            "{} was not decrypted; nothing was written",
            a.file.display()
        )
    })?;
    if a.json {
        print_json(&json!({
            "filename": out_path.display().to_string(),
            "sha256": verified.checksum.to_string(),
            "bytes": verified.plaintext_len,
            "verified": verified.authenticated,
            "plugin_version": a.plugin_version.as_ref().map(ToString::to_string),
        }))?;
    } else {
        println!(
            "decrypted: {} ({} bytes)",
            out_path.display(),
            verified.plaintext_len
        );
        println!("sha256:    {}", verified.checksum);
        if verified.authenticated {
            println!("Checksum matches");
            if let Some(v) = &a.plugin_version {
                println!("plugin {v} accepts this bundle");
            }
        } else {
            eprintln!("warning: not verified (--no-verify): this bundle is not authenticated");
        }
    }
    Ok(())
}

/// Turns envelope errors into the messages a user acts on.
fn explain(e: DecryptError) -> anyhow::Error {
    let hint = match &e {
        DecryptError::Truncated { .. } => {
            "the download is incomplete or this is not an encrypted bundle"
        }
        DecryptError::Decryption => "wrong checksum, or the file was modified after encryption",
        DecryptError::SessionKeyDoesNotOpen | DecryptError::ChecksumDoesNotOpen => {
            "was the bundle encrypted with the private key of this public key?"
        }
        DecryptError::Device(DeviceRefusal::ChecksumForm { .. }) => {
            "encrypt the bundle again for the app's plugin: otaseal bundle encrypt --plugin-version X.Y.Z"
        }
        _ => "",
    };
    crate::util::with_hint(e, hint)
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let limits = Limits::default();
    let key = load_public_key(&a.key, &limits)?;
    let ivsk = IvSessionKey::parse_for_modulus(a.iv_session_key.trim(), key.modulus_len(), &limits)
        .context("invalid ivSessionKey")?;
    let session = SessionKey::open(&key, &ivsk).map_err(explain)?;
    let rules = judge_rules(a.plugin_version.as_ref())?;
    let (checksum, format) = match &a.checksum {
        Some(c) => {
            let signed = SignedChecksum::parse(c.trim(), &limits).context("invalid --checksum")?;
            if let Some(rules) = &rules {
                rules
                    .check_checksum_form(signed.format())
                    .and_then(|()| rules.check_rsa_block_len(signed.block().len()))
                    .map_err(|r| explain(DecryptError::Device(r)))?;
            }
            let sum = v2::recover_checksum(&key, &signed).map_err(explain)?;
            (Some(sum.to_string()), Some(signed.format().to_string()))
        }
        None => (None, None),
    };
    let hex = |b: &[u8]| base16ct::lower::encode_string(b);
    let info = json!({
        "iv": hex(ivsk.iv()),
        "session_key": hex(session.expose_key()),
        "checksum": checksum,
        "checksum_format": format,
        "key_id": key.key_id().as_str(),
        "plugin_version": a.plugin_version.as_ref().map(ToString::to_string),
    });
    if a.json {
        print_json(&info)?;
    } else {
        println!("iv:          {}", hex(ivsk.iv()));
        println!("session key: {}", hex(session.expose_key()));
        if let (Some(c), Some(f)) = (&checksum, &format) {
            println!("checksum:    {c} ({f} form)");
        }
        if let Some(v) = &a.plugin_version {
            println!("plugin:      {v} reads this checksum");
        }
        println!("key id:      {}", key.key_id());
    }
    Ok(())
}

/// Zips `dir` reproducibly: entries sorted by path, fixed timestamps (1980-01-01) and
/// permissions, deflate. Symbolic links to files inside `dir` are stored as the file they
/// point to; any other link is refused.
fn zip_dir(a: &ZipArgs) -> Result<()> {
    let root =
        fs::canonicalize(&a.dir).with_context(|| format!("cannot open {}", a.dir.display()))?;
    if !root.is_dir() {
        bail!("{} is not a directory", a.dir.display());
    }
    let mut files = Vec::new();
    collect(&root, &root, &mut files)?;
    files.sort();
    let tmp = PendingFile::create(&a.output, Mode::Umask, Existing::Replace)?;
    let mut zip = zip::ZipWriter::new(tmp);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, path) in &files {
        zip.start_file(name.as_str(), options)?;
        io::copy(&mut File::open(path)?, &mut zip)?;
    }
    let mut tmp = zip.finish()?;
    tmp.flush()?;
    let checksum = sha256_reader(tmp.rewind()?)?;
    tmp.persist()?;
    if a.json {
        print_json(
            &json!({"filename": a.output.display().to_string(), "checksum": checksum.to_string()}),
        )?;
    } else {
        println!("zipped {} files into {}", files.len(), a.output.display());
        println!("checksum: {checksum}");
    }
    Ok(())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path)?;
        let target = if meta.file_type().is_symlink() {
            let t = fs::canonicalize(&path)
                .with_context(|| format!("broken symbolic link {}", path.display()))?;
            if !t.starts_with(root) {
                bail!(
                    "{} is a symbolic link that leaves {}: refused",
                    path.display(),
                    root.display()
                );
            }
            if t.is_dir() {
                bail!(
                    "{} is a symbolic link to a directory: refused (it could loop)",
                    path.display()
                );
            }
            t
        } else {
            path.clone()
        };
        if meta.is_dir() {
            collect(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root)?;
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .with_context(|| format!("{} is not a UTF-8 path", rel.display()))?
                .join("/");
            out.push((name, target));
        }
    }
    Ok(())
}
