//! `otaseal key`: create, inspect and install key pairs, with Capgo's file names.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use otaseal_keys::{
    CAPGO_PRIVATE_KEY_FILE, CAPGO_PUBLIC_KEY_FILE, KeySize, KeySource, Limits, PrivateKey,
};
use serde_json::{Value, json};

use crate::util::{
    KeyData, find_config, load_private_key, load_public_half_or_data, parse_key_source, print_json,
    read_any_key, read_bounded, write_atomic,
};

/// Key commands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a key pair: .capgo_key_v2 (private, mode 0600) and .capgo_key_v2.pub, and, as
    /// @capgo/cli does, save the public key in the project's capacitor.config.
    Create(CreateArgs),
    /// Put a public key into capacitor.config at plugins.CapacitorUpdater.publicKey.
    Save(SaveArgs),
    /// Describe a key: a file (PEM or DER, PKCS#1, PKCS#8 or SPKI), env:NAME, - or a token key
    /// (pkcs11: URI).
    Inspect(InspectArgs),
    /// Sign a V3 key-rotation statement (spec/v3.md section 8): the next version of an app's
    /// trusted signing keys, adding NEW, signed by OLD (a key of the current set) and by NEW.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The private key of a signing key of the current key set: a key file, env:NAME, - or a
    /// pkcs11: URI.
    #[arg(long, value_name = "OLD.key", value_parser = parse_key_source)]
    from: String,
    /// The private key of the signing key to add: it signs the statement too, proving that
    /// its holder has it and consents (a key file, env:NAME, - or a pkcs11: URI).
    #[arg(long, value_name = "NEW.key", value_parser = parse_key_source)]
    to: String,
    /// The app whose key set this is.
    #[arg(long, value_name = "ID")]
    app_id: String,
    /// The key-set version the statement makes: the current version plus one (verifiers start
    /// at version 1, their configured keys, so the first statement is version 2).
    #[arg(long, value_name = "N")]
    key_set_version: u64,
    /// Retire OLD: verifiers that apply the statement no longer trust it, for bundles or
    /// statements.
    #[arg(long)]
    retire: bool,
    /// Sign as of this time (RFC 3339 or Unix seconds) instead of the system clock.
    #[arg(long, value_name = "TIME", value_parser = crate::util::parse_time, hide = true)]
    now: Option<u64>,
    /// The statement file, written atomically.
    #[arg(short, long, value_name = "STATEMENT")]
    output: PathBuf,
    /// Replace an existing statement file.
    #[arg(long)]
    force: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Directory to write the key files to.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Modulus size: 2048 (the only size Capgo devices accept), 3072 or 4096.
    #[arg(long, default_value_t = 2048)]
    bits: usize,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
    /// The capacitor.config to save the public key in [default: the one in the current folder,
    /// if any].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not save the public key in capacitor.config (`otaseal key save` does it later; an
    /// app shipped without it cannot verify updates).
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SaveArgs {
    /// The public key file (PKCS#1 or SPKI, PEM or DER), or a private key to take it from.
    #[arg(long, default_value = CAPGO_PUBLIC_KEY_FILE)]
    key: PathBuf,
    #[command(flatten)]
    key_data: KeyData,
    /// capacitor.config.json, .ts or .js; found in the current directory when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// A key file, env:NAME (the PEM in an environment variable), - (standard input) or a
    /// pkcs11: URI.
    #[arg(value_parser = parse_key_source)]
    key: String,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Create(a) => create(&a),
        KeyCommand::Save(a) => save(&a),
        KeyCommand::Inspect(a) => inspect(&a),
        KeyCommand::Rotate(a) => rotate(&a),
    }
}

/// Where Capgo's V2 key pair lives in `dir`: `.capgo_key_v2` and `.capgo_key_v2.pub`.
pub(crate) fn key_pair_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (
        dir.join(CAPGO_PRIVATE_KEY_FILE),
        dir.join(CAPGO_PUBLIC_KEY_FILE),
    )
}

/// Fails, naming the file and `hint`, if either key file exists already.
pub(crate) fn refuse_existing(private_path: &Path, public_path: &Path, hint: &str) -> Result<()> {
    for p in [private_path, public_path] {
        if p.exists() {
            bail!("{} already exists; {hint}", p.display());
        }
    }
    Ok(())
}

/// Generates a key pair and writes it as PKCS#1 PEM, as `@capgo/cli` does: the private file
/// with mode 0600, each file atomically.
pub(crate) fn write_new_key_pair(
    private_path: &Path,
    public_path: &Path,
    size: KeySize,
    overwrite: bool,
) -> Result<PrivateKey> {
    let key = PrivateKey::generate(size)?;
    write_atomic(
        private_path,
        key.to_pkcs1_pem()?.as_bytes(),
        true,
        overwrite,
    )?;
    write_atomic(
        public_path,
        key.public_key().to_pkcs1_pem()?.as_bytes(),
        false,
        overwrite,
    )?;
    Ok(key)
}

/// The JSON fields both `key create` and `migrate keys` print about a new key pair.
pub(crate) fn key_pair_json(
    private_path: &Path,
    public_path: &Path,
    public: &otaseal_keys::PublicKey,
) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("private".into(), json!(private_path.display().to_string()));
    m.insert("public".into(), json!(public_path.display().to_string()));
    m.insert("key_id".into(), json!(public.key_id().as_str()));
    m.insert(
        "fingerprint".into(),
        json!(public.fingerprint().to_string()),
    );
    m
}

/// The text both `key create` and `migrate keys` print about a new key pair; `label` prefixes
/// each name ("V2 " for the migration).
pub(crate) fn print_key_pair(
    label: &str,
    private_path: &Path,
    public_path: &Path,
    public: &otaseal_keys::PublicKey,
) {
    let w = label.len() + 13;
    let line = |name: &str, value: &dyn std::fmt::Display| {
        println!("{:<w$}{value}", format!("{label}{name}:"));
    };
    line(
        "private key",
        &format_args!(
            "{} (keep it secret, never ship it in an app)",
            private_path.display()
        ),
    );
    line("public key", &public_path.display());
    line("key id", public.key_id());
    line("fingerprint", &public.fingerprint());
}

fn create(a: &CreateArgs) -> Result<()> {
    let limits = Limits::default();
    let size = KeySize::try_from(a.bits)?;
    let (private_path, public_path) = key_pair_paths(&a.dir);
    if !a.force {
        refuse_existing(
            &private_path,
            &public_path,
            "use --force to replace the key pair",
        )?;
    }
    // The config is found (and an explicit one checked) before any key is made.
    let config = match (&a.config, a.no_config) {
        (_, true) => None,
        (Some(c), false) => Some(c.clone()),
        (None, false) => otaseal_migrate::config::find_config(Path::new("")),
    };
    if let Some(c) = &a.config
        && !c.is_file()
    {
        bail!("--config {}: no such file", c.display());
    }
    fs::create_dir_all(&a.dir).with_context(|| format!("cannot create {}", a.dir.display()))?;
    let key = write_new_key_pair(&private_path, &public_path, size, a.force)?;
    let public = key.public_key();
    // As @capgo/cli's `key create`: the app needs the public key to verify updates.
    let saved = match &config {
        Some(c) if public.capgo_compatible() => {
            save_in_config(c, public, &limits)?;
            Some(c)
        }
        _ => None,
    };
    if a.json {
        let mut v = key_pair_json(&private_path, &public_path, public);
        v.insert(
            "config".into(),
            json!(saved.map(|c| c.display().to_string())),
        );
        print_json(&Value::Object(v))?;
    } else {
        print_key_pair("", &private_path, &public_path, public);
        if !public.capgo_compatible() {
            eprintln!(
                "warning: RSA-{} keys are not accepted by Capgo devices (RSA-2048 only); not saved in capacitor.config",
                public.bits()
            );
        }
        match (saved, a.no_config) {
            (Some(c), _) => println!("saved the public key in {}", c.display()),
            (None, true) => println!(
                "next: otaseal key save --key {} (in your Capacitor project)",
                public_path.display()
            ),
            (None, false) => println!(
                "no capacitor.config here: run otaseal key save --key {} in your Capacitor project",
                public_path.display()
            ),
        }
    }
    Ok(())
}

/// What `key inspect` shows of a key, whatever its source.
struct Described {
    kind: String,
    encoding: String,
    container: String,
    public: otaseal_keys::PublicKey,
}

fn describe(source: &KeySource, limits: &Limits) -> Result<Described> {
    if let KeySource::Pkcs11(_) = source {
        let signer = load_private_key(source, limits)?;
        return Ok(Described {
            kind: otaseal_keys::KeyKind::Private.to_string(),
            encoding: "pkcs11".into(),
            container: "token".into(),
            public: signer.public_key().clone(),
        });
    }
    let key = read_any_key(source, limits)?;
    Ok(Described {
        kind: key.kind().to_string(),
        encoding: key.encoding().to_string(),
        container: key.container().to_string(),
        public: key.public_key().clone(),
    })
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let limits = Limits::default();
    let source: KeySource = a.key.parse()?;
    let key = describe(&source, &limits)?;
    let public = &key.public;
    let mut info = json!({
        "kind": key.kind,
        "encoding": key.encoding,
        "container": key.container,
        "bits": public.bits(),
        "key_id": public.key_id().as_str(),
        "fingerprint": public.fingerprint().to_string(),
        "capgo_compatible": public.capgo_compatible(),
    });
    if let KeySource::Pkcs11(_) = source {
        info["uri"] = json!(source.to_string());
    }
    if a.json {
        print_json(&info)?;
    } else {
        println!("kind:        {}", key.kind);
        println!("encoding:    {} ({})", key.encoding, key.container);
        if let KeySource::Pkcs11(_) = source {
            println!("token key:   {source}");
        }
        println!("bits:        {}", public.bits());
        println!("key id:      {}", public.key_id());
        println!("fingerprint: {}", public.fingerprint());
        if !public.capgo_compatible() {
            println!("warning:     Capgo devices accept only RSA-2048 keys with exponent 65537");
        }
    }
    Ok(())
}

fn save(a: &SaveArgs) -> Result<()> {
    let limits = Limits::default();
    let public = load_public_half_or_data(&a.key, a.key_data.get(), &limits)?;
    if !public.capgo_compatible() {
        bail!(
            "RSA-{} key: Capgo devices accept only RSA-2048 keys with exponent 65537",
            public.bits()
        );
    }
    let config = find_config(a.config.as_deref())?;
    save_in_config(&config, &public, &limits)?;
    if a.json {
        print_json(&json!({
            "config": config.display().to_string(),
            "key_id": public.key_id().as_str(),
            "fingerprint": public.fingerprint().to_string(),
        }))?;
    } else {
        println!(
            "saved the public key {} in {}",
            public.key_id(),
            config.display()
        );
    }
    Ok(())
}

/// Sets `plugins.CapacitorUpdater.publicKey` in `config` (`otaseal_migrate::config`), which
/// keeps its mode: `key save` and `key create`.
fn save_in_config(config: &Path, public: &otaseal_keys::PublicKey, limits: &Limits) -> Result<()> {
    let pem = public.capacitor_config_value()?;
    let text = String::from_utf8(read_bounded(config, limits.max_json_len)?)
        .with_context(|| format!("{} is not UTF-8", config.display()))?;
    let edit = otaseal_migrate::config::set_public_key(
        &text,
        otaseal_migrate::config::ConfigFormat::of(config),
        &pem,
    )
    .with_context(|| format!("cannot update {}", config.display()))?;
    write_atomic(config, edit.text.as_bytes(), false, true)
}

/// `otaseal key rotate` (`spec/v3.md` section 8).
fn rotate(a: &RotateArgs) -> Result<()> {
    use otaseal_envelope::v3;
    let limits = Limits::default();
    let old = load_private_key(&a.from.parse()?, &limits)?;
    let new = load_private_key(&a.to.parse()?, &limits).with_context(|| {
        format!(
            "--to {}: the new key signs the statement too (spec/v3.md 8.2), so its private key is needed",
            a.to
        )
    })?;
    let created_at = a.now.unwrap_or_else(super::v3out::now);
    let statement = v3::sign_rotation(
        old.as_ref(),
        new.as_ref(),
        &a.app_id,
        a.key_set_version,
        created_at,
        a.retire,
    )
    .map_err(|e| super::v3out::fail_seal(e, a.json))?;
    write_atomic(&a.output, &statement, false, a.force)?;
    let (old_fp, new_fp) = (
        old.public_key().fingerprint(),
        new.public_key().fingerprint(),
    );
    if a.json {
        print_json(&json!({
            "filename": a.output.display().to_string(),
            "app_id": a.app_id,
            "key_set_version": a.key_set_version,
            "created_at": created_at,
            "old": old_fp.to_string(),
            "new": new_fp.to_string(),
            "retire_old": a.retire,
        }))?;
    } else {
        println!("statement:   {}", a.output.display());
        println!("key set:     version {} of {}", a.key_set_version, a.app_id);
        println!("adds:        {new_fp}");
        if a.retire {
            println!("retires:     {old_fp}");
        } else {
            println!("signed by:   {old_fp} (stays trusted)");
        }
        println!(
            "next:        otaseal open ... --state STATE --rotation {}",
            a.output.display()
        );
    }
    Ok(())
}
