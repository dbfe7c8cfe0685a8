//! `otaseal key`: create, inspect and install key pairs, with Capgo's file names.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use otaseal_keys::{
    CAPGO_PRIVATE_KEY_FILE, CAPGO_PUBLIC_KEY_FILE, KeySize, Limits, PrivateKey, decode_any,
};
use serde_json::{Value, json};

use crate::util::{find_config, load_public_key, print_json, read_bounded, write_atomic};

/// Key commands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a key pair: .capgo_key_v2 (private, mode 0600) and .capgo_key_v2.pub.
    Create(CreateArgs),
    /// Put a public key into capacitor.config at plugins.CapacitorUpdater.publicKey.
    Save(SaveArgs),
    /// Describe a key file (PEM or DER, PKCS#1, PKCS#8 or SPKI).
    Inspect(InspectArgs),
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
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SaveArgs {
    /// The public key file (PKCS#1 or SPKI, PEM or DER), or a private key to take it from.
    #[arg(long, default_value = CAPGO_PUBLIC_KEY_FILE)]
    key: PathBuf,
    /// capacitor.config.json, .ts or .js; found in the current directory when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Key file, or - for standard input.
    file: PathBuf,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: KeyCommand) -> Result<()> {
    match cmd {
        KeyCommand::Create(a) => create(&a),
        KeyCommand::Save(a) => save(&a),
        KeyCommand::Inspect(a) => inspect(&a),
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

fn create(a: &CreateArgs) -> Result<()> {
    let size = KeySize::try_from(a.bits)?;
    let (private_path, public_path) = key_pair_paths(&a.dir);
    if !a.force {
        refuse_existing(
            &private_path,
            &public_path,
            "use --force to replace the key pair",
        )?;
    }
    fs::create_dir_all(&a.dir).with_context(|| format!("cannot create {}", a.dir.display()))?;
    let key = write_new_key_pair(&private_path, &public_path, size, a.force)?;
    let public = key.public_key();
    if a.json {
        print_json(&json!({
            "private": private_path.display().to_string(),
            "public": public_path.display().to_string(),
            "key_id": public.key_id().as_str(),
            "fingerprint": public.fingerprint().to_string(),
        }))?;
    } else {
        println!(
            "private key: {} (keep it secret, never ship it in an app)",
            private_path.display()
        );
        println!("public key:  {}", public_path.display());
        println!("key id:      {}", public.key_id());
        println!("fingerprint: {}", public.fingerprint());
        if !public.capgo_compatible() {
            eprintln!(
                "warning: RSA-{} keys are not accepted by Capgo devices (RSA-2048 only)",
                public.bits()
            );
        }
        println!("next: otaseal key save --key {}", public_path.display());
    }
    Ok(())
}

fn inspect(a: &InspectArgs) -> Result<()> {
    let limits = Limits::default();
    let bytes = read_bounded(&a.file, limits.max_key_file_len)?;
    let key = decode_any(&bytes, &limits)
        .with_context(|| format!("{} is not a usable key", a.file.display()))?;
    let public = key.public_key();
    let info = json!({
        "kind": key.kind().to_string(),
        "encoding": key.encoding().to_string(),
        "container": key.container().to_string(),
        "bits": public.bits(),
        "key_id": public.key_id().as_str(),
        "fingerprint": public.fingerprint().to_string(),
        "capgo_compatible": public.capgo_compatible(),
    });
    if a.json {
        print_json(&info)?;
    } else {
        println!("kind:        {}", key.kind());
        println!("encoding:    {} ({})", key.encoding(), key.container());
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
    let public = load_public_key(&a.key, &limits)?;
    if !public.capgo_compatible() {
        bail!(
            "RSA-{} key: Capgo devices accept only RSA-2048 keys with exponent 65537",
            public.bits()
        );
    }
    let pem = public.capacitor_config_value()?;
    let config = find_config(a.config.as_deref())?;
    let text = String::from_utf8(read_bounded(&config, limits.max_json_len)?)
        .with_context(|| format!("{} is not UTF-8", config.display()))?;
    let updated = if config.extension().is_some_and(|e| e == "json") {
        set_public_key_json(&text, &pem)
            .with_context(|| format!("cannot update {}", config.display()))?
    } else {
        set_public_key_script(&text, &pem)
            .with_context(|| format!("cannot update {}", config.display()))?
    };
    write_atomic(&config, updated.as_bytes(), false, true)?;
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

/// Sets `plugins.CapacitorUpdater.publicKey` in a JSON config, keeping the order of every
/// other key, the indentation (spaces or tabs, and how many) and the final newline.
pub(crate) fn set_public_key_json(text: &str, pem: &str) -> Result<String> {
    let mut root: Value = serde_json::from_str(text).context("the config is not valid JSON")?;
    let obj = root
        .as_object_mut()
        .context("the config's top level is not a JSON object")?;
    let plugins = obj.entry("plugins").or_insert_with(|| json!({}));
    let updater = plugins
        .as_object_mut()
        .context("\"plugins\" is not an object")?
        .entry("CapacitorUpdater")
        .or_insert_with(|| json!({}));
    let updater = updater
        .as_object_mut()
        .context("\"plugins.CapacitorUpdater\" is not an object")?;
    updater.insert("publicKey".into(), Value::String(pem.into()));
    // V1 configs carried the private key; a V2 public key replaces it (spec/v1.md).
    updater.remove("privateKey");
    let indent = detect_indent(text);
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(&root, &mut ser)?;
    let mut s = String::from_utf8(out)?;
    if text.ends_with('\n') {
        s.push('\n');
    }
    Ok(s)
}

/// The indentation unit of the first indented line: a tab or a run of spaces (default two).
fn detect_indent(text: &str) -> String {
    text.lines()
        .skip(1)
        .find_map(|l| {
            let ws: String = l.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            (!ws.is_empty()).then(|| {
                if ws.starts_with('\t') {
                    "\t".to_string()
                } else {
                    ws
                }
            })
        })
        .unwrap_or_else(|| "  ".into())
}

/// Replaces the string literal after an existing `publicKey:` in a TypeScript or JavaScript
/// config. Without one, explains what to paste: editing code safely is not our job.
pub(crate) fn set_public_key_script(text: &str, pem: &str) -> Result<String> {
    let literal = serde_json::to_string(pem)?; // a valid JS string literal with \n escapes
    let snippet = format!(
        "plugins: {{\n    CapacitorUpdater: {{\n      publicKey: {literal},\n    }},\n  }},"
    );
    let Some(pos) = find_property(text, "publicKey") else {
        bail!("no publicKey property in this config; add it by hand:\n\n  {snippet}\n");
    };
    let rest = &text[pos..];
    let value_start = pos + rest.find(':').map_or(0, |i| i + 1);
    let after_colon = &text[value_start..];
    let trimmed = after_colon.trim_start();
    let lit_start = value_start + (after_colon.len() - trimmed.len());
    let Some(quote) = trimmed
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))
    else {
        bail!(
            "publicKey is not a plain string literal in this config; set it by hand:\n\n  {snippet}\n"
        );
    };
    let Some(len) = string_literal_len(&trimmed[1..], quote) else {
        bail!(
            "publicKey's string is not terminated in this config; set it by hand:\n\n  {snippet}\n"
        );
    };
    let lit_end = lit_start + 1 + len + 1;
    Ok(format!(
        "{}{}{}",
        &text[..lit_start],
        literal,
        &text[lit_end..]
    ))
}

/// Byte offset of `name` used as an object property (`name:` or `"name":` / `'name':`).
fn find_property(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(name) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start();
        let word_start = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        if word_start && after.starts_with(':') {
            return Some(at);
        }
        from = at + name.len();
    }
    None
}

/// Length in bytes of a string literal's body (up to, not including, the closing quote).
fn string_literal_len(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n";

    #[test]
    fn json_config_keeps_order_indent_and_newline() {
        let text = "{\n    \"appId\": \"com.example.app\",\n    \"webDir\": \"dist\",\n    \"plugins\": {\n        \"CapacitorUpdater\": {\n            \"autoUpdate\": true,\n            \"privateKey\": \"old\"\n        }\n    }\n}\n";
        let out = set_public_key_json(text, PEM).unwrap();
        assert!(
            out.starts_with("{\n    \"appId\": \"com.example.app\",\n    \"webDir\": \"dist\","),
            "{out}"
        );
        assert!(out.contains("        \"CapacitorUpdater\": {\n            \"autoUpdate\": true,\n            \"publicKey\": \"-----BEGIN RSA PUBLIC KEY-----\\nAAAA\\n-----END RSA PUBLIC KEY-----\\n\""));
        assert!(!out.contains("privateKey"));
        assert!(out.ends_with("}\n"));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["plugins"]["CapacitorUpdater"]["publicKey"], PEM);
    }

    #[test]
    fn json_config_with_tabs_and_no_plugins() {
        let out = set_public_key_json("{\n\t\"appId\": \"a.b\"\n}", PEM).unwrap();
        assert!(
            out.contains("\n\t\"plugins\": {\n\t\t\"CapacitorUpdater\": {\n\t\t\t\"publicKey\""),
            "{out}"
        );
        assert!(!out.ends_with('\n'));
        assert!(set_public_key_json("[1]", PEM).is_err());
        assert!(set_public_key_json("{\"plugins\": 3}", PEM).is_err());
    }

    #[test]
    fn script_config_replaces_existing_literal_only() {
        let text = "const config: CapacitorConfig = {\n  appId: 'a.b',\n  plugins: {\n    CapacitorUpdater: {\n      publicKey: '-----BEGIN RSA PUBLIC KEY-----\\nOLD\\n-----END RSA PUBLIC KEY-----\\n', // key\n      autoUpdate: true,\n    },\n  },\n};\nexport default config;\n";
        let out = set_public_key_script(text, PEM).unwrap();
        assert!(out.contains("publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\nAAAA\\n-----END RSA PUBLIC KEY-----\\n\", // key\n"), "{out}");
        assert!(out.contains("autoUpdate: true"));
        assert!(!out.contains("OLD"));
        let missing = set_public_key_script("export default { appId: 'a.b' };", PEM)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\nAAAA"),
            "{missing}"
        );
        assert!(set_public_key_script("const x = { publicKey: process.env.KEY };", PEM).is_err());
        // `myPublicKey:` is not the property.
        assert!(set_public_key_script("const x = { myPublicKey: 'a' };", PEM).is_err());
    }
}
