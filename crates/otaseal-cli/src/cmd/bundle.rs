//! `otaseal bundle`: Capgo encryption V2 bundles, with Capgo's command names and JSON keys.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use otaseal_envelope::io::{Mode, PendingFile, open_input};
use otaseal_envelope::v2::{self, DecryptError, SessionKey, Verification};
use otaseal_keys::{Limit, Limits};
use otaseal_manifest::zip;
use otaseal_migrate::config::{ConfigFormat, ProjectConfig, read_project};
use otaseal_wire::plugin::{DeviceRefusal, PluginVersion};
use otaseal_wire::{IvSessionKey, Sha256Checksum, SignedChecksum};
use serde_json::json;

use super::plugin::{FormArgs, judge_rules, parse_plugin_version};
use crate::util::{
    KeyData, Overwrite, arg_or_file, load_private_key, load_public_key, load_public_key_or_data,
    open_for_output, output_or_sibling, parse_key_source, print_json, private_source,
    progress_reader, sha256_reader,
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

/// `bundle zip` takes otaseal's form (`bundle zip DIR -o OUT`) and @capgo/cli's
/// (`bundle zip [APPID] --path DIR [--bundle V] [--name N]`): with `--path`, the positional
/// argument is the app id.
#[derive(Debug, Args)]
pub(crate) struct ZipArgs {
    /// The built web folder (Capacitor's webDir); with --path, as in @capgo/cli, the app id.
    /// Default: webDir and appId of capacitor.config in the current folder.
    #[arg(value_name = "DIR|APPID")]
    target: Option<String>,
    /// The built web folder (@capgo/cli's form).
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// The bundle version, for the default file name (default: "version" of package.json).
    #[arg(short, long, value_name = "VERSION")]
    bundle: Option<String>,
    /// Output zip file (default: APPID_VERSION.zip, as @capgo/cli). Replaced if it exists.
    #[arg(short, long, visible_alias = "name", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Skip @capgo/cli's code check: an index.html at the folder's root and a .js file that
    /// calls notifyAppReady() (without it, the plugin rolls the update back).
    #[arg(long)]
    no_code_check: bool,
    /// Accepted for @capgo/cli compatibility: otaseal's checksum is always SHA-256.
    #[arg(long, hide = true)]
    key_v2: bool,
    #[command(flatten)]
    overwrite: Overwrite,
    /// Print a JSON object instead of text: {"bundle","filename","checksum"} as @capgo/cli.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    /// The plaintext bundle zip.
    zip: PathBuf,
    /// The zip's SHA-256 (hex), as @capgo/cli takes it. otaseal computes it itself and signs
    /// only what it computed: a CHECKSUM that differs is refused.
    #[arg(value_name = "CHECKSUM")]
    expected: Option<String>,
    /// The developer's private key (.capgo_key_v2): a key file, env:NAME (the PEM in an
    /// environment variable), - (standard input) or a pkcs11: URI.
    #[arg(long, default_value = otaseal_keys::CAPGO_PRIVATE_KEY_FILE, value_parser = parse_key_source)]
    key: String,
    #[command(flatten)]
    key_data: KeyData,
    /// Output file (default: ZIP_encrypted.zip, as @capgo/cli).
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    form: FormArgs,
    /// Allow a key that Capgo devices reject (anything but RSA-2048).
    #[arg(long)]
    allow_non_capgo_key: bool,
    #[command(flatten)]
    overwrite: Overwrite,
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
    #[command(flatten)]
    key_data: KeyData,
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
    #[command(flatten)]
    overwrite: Overwrite,
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
    let out_path = output_or_sibling(a.output.as_deref(), &a.zip, "_encrypted.zip");
    // The input's size and the output's place are checked before any work.
    let (file, len, existing) =
        open_for_output(&a.zip, &out_path, &a.overwrite, Limit::BundleLen, &limits)?;
    let key = load_private_key(&private_source(&a.key, a.key_data.get())?, &limits)?;
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
    if let Some(expected) = &a.expected {
        check_expected(expected, &a.zip, &limits)?;
    }
    let choice = a.form.choose(&limits)?;
    choice.report();
    if let Some(rules) = &choice.overridden
        && let Err(refusal) = rules.check_checksum_form(choice.format)
    {
        eprintln!("warning: {refusal} (the project's plugin; --checksum-format overrides it)");
    }
    let output = PendingFile::create(&out_path, Mode::Umask, existing)?;
    let out = v2::encrypt_to(
        progress_reader(file, len),
        output,
        key.as_ref(),
        choice.format,
    )
    .with_context(|| format!("cannot encrypt {}", a.zip.display()))?;
    print_encrypted(
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

/// `bundle encrypt ZIP CHECKSUM`: CHECKSUM must be the zip's SHA-256, which otaseal computes
/// before encrypting (it never signs a checksum it did not compute).
fn check_expected(expected: &str, zip: &Path, limits: &Limits) -> Result<()> {
    let given: Sha256Checksum = expected.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "CHECKSUM {expected:?} is not a SHA-256 in hex (64 characters): bundle encrypt takes the zip's checksum as printed by bundle zip, not a signed checksum"
        )
    })?;
    let (file, _) = open_input(zip, Limit::BundleLen, limits)?;
    let actual = sha256_reader(file)?;
    if given != actual {
        bail!(
            "CHECKSUM {given} is not the SHA-256 of {} ({actual}): was the zip rebuilt after bundle zip? otaseal signs only the checksum it computes; pass the current one or leave CHECKSUM out",
            zip.display()
        );
    }
    Ok(())
}

/// Prints what an update server needs of a V2 bundle, with @capgo/cli's JSON keys
/// (`{"filename","ivSessionKey","checksum","sha256"}`), then `extra` keys (`bundle encrypt`:
/// the plugin version and checksum form): shared by `bundle encrypt` and `migrate bundle`,
/// whose outputs are the same.
pub(crate) fn print_encrypted(
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
    let out_path = output_or_sibling(a.output.as_deref(), &a.file, "_decrypted.zip");
    // The input's size and the output's place are checked before any work (spec/v2.md 8.1).
    let (file, len, existing) =
        open_for_output(&a.file, &out_path, &a.overwrite, Limit::BundleLen, &limits)?;
    let output = PendingFile::create(&out_path, Mode::Private, existing)?;
    let key = load_public_key_or_data(&a.key, a.key_data.get(), &limits)?;
    key.check_capgo_compatible()
        .context("key of the wrong size for Capgo V2 bundles")?;
    let ivsk = IvSessionKey::parse_for_modulus(
        &arg_or_file(&a.iv_session_key)?,
        key.modulus_len(),
        &limits,
    )
    .context("IV_SESSION_KEY")?;
    let signed = match &a.checksum {
        Some(c) => Some(parse_signed(&arg_or_file(c)?, key.modulus_len(), &limits)?),
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
            "plaintext_len": verified.plaintext_len,
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
/// `--checksum`: a signed checksum; the zip's plain SHA-256 is refused with what to pass.
fn parse_signed(s: &str, modulus_len: usize, limits: &Limits) -> Result<SignedChecksum> {
    if s.parse::<Sha256Checksum>().is_ok() {
        bail!(
            "--checksum: this is the unsigned SHA-256 of the zip; pass the signed checksum that bundle encrypt printed (its \"checksum\")"
        );
    }
    SignedChecksum::parse_for_modulus(s, modulus_len, limits).context("--checksum")
}

fn explain(e: DecryptError) -> anyhow::Error {
    // Only a fix the error does not already say.
    let hint = match &e {
        DecryptError::SessionKeyDoesNotOpen | DecryptError::ChecksumDoesNotOpen => {
            "pass the public key of the private key that encrypted the bundle (--key)"
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
        .context("--iv-session-key")?;
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
        "ivSessionKey": ivsk.to_string(),
        "iv": hex(ivsk.iv()),
        "aes_key": hex(session.expose_key()),
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

/// `bundle zip`: the folder, app id, version and output name resolved as @capgo/cli resolves
/// them, then `otaseal_manifest::zip`.
fn zip_dir(a: &ZipArgs) -> Result<()> {
    let limits = Limits::default();
    let project = project_config()?;
    let (dir, app_id) = match (&a.path, &a.target) {
        (Some(path), app_id) => (path.clone(), app_id.clone().or(project.app_id)),
        (None, Some(dir)) => (PathBuf::from(dir), project.app_id),
        (None, None) => (
            project.web_dir.map(PathBuf::from).context(
                "no folder to zip: pass DIR (or --path DIR), or run in a Capacitor project whose capacitor.config has webDir",
            )?,
            project.app_id,
        ),
    };
    let version = match &a.bundle {
        Some(v) => Some(v.clone()),
        None => package_version(&limits)?,
    };
    if let Some(v) = &version
        && semver::Version::parse(v).is_err()
    {
        bail!(
            "bundle version {v:?} is not a semantic version (https://semver.org), as @capgo/cli requires"
        );
    }
    let output = match (&a.output, &app_id, &version) {
        (Some(o), _, _) => o.clone(),
        (None, Some(id), Some(v)) => PathBuf::from(format!("{id}_{v}.zip")),
        _ => bail!(
            "no output name: pass -o FILE, or an app id (APPID with --path, or appId in capacitor.config) and a version (--bundle, or \"version\" in package.json) for @capgo/cli's APPID_VERSION.zip"
        ),
    };
    let existing = a.overwrite.check(&output)?;
    if !a.no_code_check {
        zip::code_check(&dir, &limits)?;
    }
    let z = zip::zip_folder_to_file(&dir, &output, existing, &limits)?;
    if a.json {
        print_json(&json!({
            "bundle": version,
            "filename": output.display().to_string(),
            "checksum": z.checksum.to_string(),
        }))?;
    } else {
        println!("zipped {} files into {}", z.files.len(), output.display());
        println!("checksum: {}", z.checksum);
    }
    Ok(())
}

/// `appId` and `webDir` of the capacitor.config in the current folder, if there is one.
fn project_config() -> Result<ProjectConfig> {
    let Some(path) = otaseal_migrate::config::find_config(Path::new("")) else {
        return Ok(ProjectConfig::default());
    };
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(read_project(&text, ConfigFormat::of(&path)))
}

/// `version` of package.json in the current folder, as @capgo/cli takes the bundle version.
fn package_version(limits: &Limits) -> Result<Option<String>> {
    let path = Path::new("package.json");
    if !path.is_file() {
        return Ok(None);
    }
    let json = super::plugin::read_json(path, limits)?;
    Ok(json
        .get("version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned))
}
