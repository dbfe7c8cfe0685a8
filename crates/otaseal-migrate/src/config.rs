//! Every edit otaseal makes to a Capacitor config (`capacitor.config.json`, `.ts`, `.js`): the
//! one home of the config rules, used by `key save`, `key create` and `migrate config`.
//!
//! - JSON configs are edited as JSON: `plugins.CapacitorUpdater.publicKey` is set, a V1
//!   `privateKey` removed, and the order of every other key, the indentation and the final
//!   newline are kept.
//! - TypeScript and JavaScript configs are edited as text: a property written `name: '...'`
//!   (or with `"`/`` ` `` quotes, or a quoted property name) whose value is one string literal is
//!   replaced; anything else (an expression, an environment variable) is left to the developer,
//!   with an error that shows what to write.
//!
//! ```
//! use otaseal_migrate::config::{ConfigFormat, set_public_key};
//!
//! let json = "{\n  \"appId\": \"com.example.app\"\n}\n";
//! let edit = set_public_key(json, ConfigFormat::Json, "-----BEGIN RSA PUBLIC KEY-----\nK\n")?;
//! assert!(edit.text.contains("\"publicKey\": \"-----BEGIN RSA PUBLIC KEY-----\\nK\\n\""));
//! assert!(!edit.removed_private_key);
//! # Ok::<(), otaseal_migrate::config::ConfigError>(())
//! ```

use core::fmt;
use std::path::{Path, PathBuf};

use otaseal_keys::{Limits, PrivateKey, PublicKey};
use serde_json::{Value, json};

/// The V1 property that held the private key.
pub const PRIVATE_KEY_PROPERTY: &str = "privateKey";
/// The V2 property that holds the public key.
pub const PUBLIC_KEY_PROPERTY: &str = "publicKey";

/// Capacitor config file names, in the order Capacitor looks for them.
pub const CONFIG_FILES: [&str; 3] = [
    "capacitor.config.json",
    "capacitor.config.ts",
    "capacitor.config.js",
];

/// The first of [`CONFIG_FILES`] in `dir` (`""` for the current directory, giving bare file
/// names), as Capacitor finds it.
#[must_use]
pub fn find_config(dir: &Path) -> Option<PathBuf> {
    CONFIG_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// How a config file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigFormat {
    /// `capacitor.config.json`.
    Json,
    /// `capacitor.config.ts` or `.js`.
    Script,
}

impl ConfigFormat {
    /// The format of the config at `path`: JSON for a `.json` file, script otherwise.
    #[must_use]
    pub fn of(path: &Path) -> Self {
        if path.extension().is_some_and(|e| e == "json") {
            ConfigFormat::Json
        } else {
            ConfigFormat::Script
        }
    }
}

/// An edited config.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Edit {
    /// The new text.
    pub text: String,
    /// Whether a V1 `privateKey` was removed.
    pub removed_private_key: bool,
}

/// A config could not be edited.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A JSON config is not valid JSON.
    Json(serde_json::Error),
    /// A JSON value on the way to `plugins.CapacitorUpdater` is not an object.
    NotAnObject(&'static str),
    /// A script config has no such property: the snippet says what to add by hand.
    MissingProperty {
        /// The property.
        property: &'static str,
        /// What to write in the config.
        snippet: String,
    },
    /// A script config's property is not one terminated string literal (an expression, an
    /// environment variable, a template with substitutions): edit it by hand.
    NotALiteral {
        /// The property.
        property: &'static str,
        /// What to write in the config.
        snippet: String,
    },
    /// The new public key is the public half of the V1 private key in the config: V1 private
    /// keys shipped inside apps and must never be reused (`spec/v1.md` section 7 step 1).
    KeyReused,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Json(_) => f.write_str("the config is not valid JSON"),
            ConfigError::NotAnObject(path) => write!(f, "\"{path}\" is not a JSON object"),
            ConfigError::MissingProperty { property, snippet } => write!(
                f,
                "no {property} property in this config; add it by hand:\n\n  {snippet}\n"
            ),
            ConfigError::NotALiteral { property, snippet } => write!(
                f,
                "{property} is not a plain string literal in this config; set it by hand:\n\n  {snippet}\n"
            ),
            ConfigError::KeyReused => f.write_str(
                "the key is the public half of the V1 private key in the config; create a new V2 pair with `otaseal migrate keys`",
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Json(e) => Some(e),
            _ => None,
        }
    }
}

/// Sets `plugins.CapacitorUpdater.publicKey` to `public_pem` (and drops a V1 `privateKey` of a
/// JSON config): what `key save` and `key create` do.
///
/// # Errors
/// [`ConfigError`]: for a script config without a `publicKey` literal, the snippet to paste.
pub fn set_public_key(
    text: &str,
    format: ConfigFormat,
    public_pem: &str,
) -> Result<Edit, ConfigError> {
    match format {
        ConfigFormat::Json => set_json(text, public_pem),
        ConfigFormat::Script => Ok(Edit {
            text: replace_literal(text, PUBLIC_KEY_PROPERTY, public_pem)?,
            removed_private_key: false,
        }),
    }
}

/// The V1 -> V2 edit (`spec/v1.md` section 7 step 2): the V1 `privateKey` goes, the V2
/// `publicKey` takes its place (a script config's `privateKey` literal becomes the `publicKey`
/// when there is none yet). Refuses a V2 key that is the V1 key in the config.
///
/// # Errors
/// [`ConfigError::KeyReused`], and those of [`set_public_key`].
pub fn migrate_to_v2(
    text: &str,
    format: ConfigFormat,
    public: &PublicKey,
    limits: &Limits,
) -> Result<Edit, ConfigError> {
    let pem = public.capacitor_config_value().unwrap_or_default();
    match format {
        ConfigFormat::Json => {
            let root: Value = serde_json::from_str(text).map_err(ConfigError::Json)?;
            if let Some(old) = root
                .pointer("/plugins/CapacitorUpdater/privateKey")
                .and_then(Value::as_str)
                && PrivateKey::from_bytes(old.as_bytes(), limits)
                    .is_ok_and(|v1| v1.public_key().fingerprint() == public.fingerprint())
            {
                return Err(ConfigError::KeyReused);
            }
            set_json(text, &pem)
        }
        ConfigFormat::Script => {
            if locate(text, PUBLIC_KEY_PROPERTY, &pem)?.is_some() {
                let updated = replace_literal(text, PUBLIC_KEY_PROPERTY, &pem)?;
                return Ok(match remove_private_key(&updated)? {
                    Some(without) => Edit {
                        text: without,
                        removed_private_key: true,
                    },
                    None => Edit {
                        text: updated,
                        removed_private_key: false,
                    },
                });
            }
            match rename_private_key(text, &pem)? {
                Some(renamed) => Ok(Edit {
                    text: renamed,
                    removed_private_key: true,
                }),
                None => Ok(Edit {
                    text: replace_literal(text, PUBLIC_KEY_PROPERTY, &pem)?,
                    removed_private_key: false,
                }),
            }
        }
    }
}

/// Sets `plugins.CapacitorUpdater.publicKey` in a JSON config, keeping the order of every
/// other key, the indentation (spaces or tabs, and how many) and the final newline.
fn set_json(text: &str, pem: &str) -> Result<Edit, ConfigError> {
    let mut root: Value = serde_json::from_str(text).map_err(ConfigError::Json)?;
    let obj = root.as_object_mut().ok_or(ConfigError::NotAnObject("$"))?;
    let plugins = obj.entry("plugins").or_insert_with(|| json!({}));
    let updater = plugins
        .as_object_mut()
        .ok_or(ConfigError::NotAnObject("plugins"))?
        .entry("CapacitorUpdater")
        .or_insert_with(|| json!({}));
    let updater = updater
        .as_object_mut()
        .ok_or(ConfigError::NotAnObject("plugins.CapacitorUpdater"))?;
    updater.insert(PUBLIC_KEY_PROPERTY.into(), Value::String(pem.into()));
    // V1 configs carried the private key; a V2 public key replaces it (spec/v1.md).
    let removed_private_key = updater.remove(PRIVATE_KEY_PROPERTY).is_some();
    let indent = detect_indent(text);
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(&root, &mut ser).map_err(ConfigError::Json)?;
    let mut s = String::from_utf8_lossy(&out).into_owned();
    if text.ends_with('\n') {
        s.push('\n');
    }
    Ok(Edit {
        text: s,
        removed_private_key,
    })
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

/// The PEM as a JavaScript string literal: JSON string syntax (double quotes, `\n` escapes)
/// is valid JavaScript.
fn js_string_literal(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// What to paste where a script config cannot be edited.
fn snippet(pem: &str) -> String {
    let literal = js_string_literal(pem);
    format!("plugins: {{\n    CapacitorUpdater: {{\n      publicKey: {literal},\n    }},\n  }},")
}

/// Replaces the string literal of the property `name` with `value` as a literal.
fn replace_literal(text: &str, name: &'static str, value: &str) -> Result<String, ConfigError> {
    let p = locate(text, name, value)?.ok_or_else(|| ConfigError::MissingProperty {
        property: name,
        snippet: snippet(value),
    })?;
    Ok(format!(
        "{}{}{}",
        &text[..p.literal_start],
        js_string_literal(value),
        &text[p.literal_end..]
    ))
}

/// Replaces `privateKey: <literal>` with `publicKey: <pem as a string literal>`, in place, for a
/// script config that has no `publicKey` yet. Returns `None` when there is no `privateKey`.
///
/// ```
/// use otaseal_migrate::config::rename_private_key;
///
/// let ts = "plugins: {\n  CapacitorUpdater: {\n    privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nX\\n',\n    autoUpdate: true,\n  },\n},";
/// let out = rename_private_key(ts, "PEM\n")?.unwrap();
/// assert!(out.contains("    publicKey: \"PEM\\n\",\n    autoUpdate: true,"));
/// assert!(!out.contains("PRIVATE"));
/// # Ok::<(), otaseal_migrate::config::ConfigError>(())
/// ```
///
/// # Errors
/// [`ConfigError::NotALiteral`] if `privateKey`'s value is not one string literal.
pub fn rename_private_key(text: &str, public_pem: &str) -> Result<Option<String>, ConfigError> {
    let Some(p) = locate(text, PRIVATE_KEY_PROPERTY, public_pem)? else {
        return Ok(None);
    };
    Ok(Some(format!(
        "{}{PUBLIC_KEY_PROPERTY}: {}{}",
        &text[..p.start],
        js_string_literal(public_pem),
        &text[p.literal_end..]
    )))
}

/// Removes the `privateKey: <literal>` property of a script config, with its trailing comma,
/// and its line when nothing else is on it. Returns `None` when there is no `privateKey`.
///
/// ```
/// use otaseal_migrate::config::remove_private_key;
///
/// let ts = "{\n  publicKey: 'P',\n  privateKey: 'S',\n  autoUpdate: true,\n}";
/// let out = remove_private_key(ts)?.unwrap();
/// assert_eq!(out, "{\n  publicKey: 'P',\n  autoUpdate: true,\n}");
/// # Ok::<(), otaseal_migrate::config::ConfigError>(())
/// ```
///
/// # Errors
/// [`ConfigError::NotALiteral`] if `privateKey`'s value is not one string literal.
pub fn remove_private_key(text: &str) -> Result<Option<String>, ConfigError> {
    let Some(p) = locate(text, PRIVATE_KEY_PROPERTY, "")? else {
        return Ok(None);
    };
    let mut end = p.literal_end;
    let rest = &text[end..];
    let after_ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if rest[after_ws..].starts_with(',') {
        end += after_ws + 1;
    }
    let mut start = p.start;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before_blank = text[line_start..start].trim().is_empty();
    let tail = &text[end..];
    let tail_ws = tail.len() - tail.trim_start_matches([' ', '\t', '\r']).len();
    if before_blank && (tail[tail_ws..].starts_with('\n') || tail.len() == tail_ws) {
        // The property had the line to itself: remove the whole line.
        start = line_start;
        end += tail_ws + usize::from(tail[tail_ws..].starts_with('\n'));
    }
    Ok(Some(format!("{}{}", &text[..start], &text[end..])))
}

/// What `bundle zip` reads of a Capacitor project's config, as `@capgo/cli` does: the app id
/// and the built web folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectConfig {
    /// `appId`.
    pub app_id: Option<String>,
    /// `webDir`.
    pub web_dir: Option<String>,
}

/// Reads `appId` and `webDir` from a config's text. A JSON config is parsed (top-level keys);
/// a script config is read as text, like every edit here: the first property of that name whose
/// value is one string literal without escapes (anything else, such as an expression, reads as
/// absent, and the caller asks for the value).
#[must_use]
pub fn read_project(text: &str, format: ConfigFormat) -> ProjectConfig {
    match format {
        ConfigFormat::Json => {
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
            ProjectConfig {
                app_id: field("appId"),
                web_dir: field("webDir"),
            }
        }
        ConfigFormat::Script => {
            let field = |k: &'static str| {
                let p = locate(text, k, "").ok()??;
                let body = &text[p.literal_start + 1..p.literal_end - 1];
                (!body.contains('\\')).then(|| body.to_owned())
            };
            ProjectConfig {
                app_id: field("appId"),
                web_dir: field("webDir"),
            }
        }
    }
}

/// A property `name: <string literal>` found in script text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Property {
    /// Byte offset of the property name (or of its opening quote).
    start: usize,
    /// Byte offset of the literal's opening quote.
    literal_start: usize,
    /// Byte offset just after the literal's closing quote.
    literal_end: usize,
}

/// Finds `name:` followed by one string literal; `None` if there is no property `name`.
/// `value` is only for the snippet of the error.
fn locate(text: &str, name: &'static str, value: &str) -> Result<Option<Property>, ConfigError> {
    let Some(start) = find_property(text, name) else {
        return Ok(None);
    };
    let not_literal = || ConfigError::NotALiteral {
        property: name,
        snippet: snippet(value),
    };
    let colon = text[start..]
        .find(':')
        .map(|i| start + i)
        .ok_or_else(not_literal)?;
    let after = &text[colon + 1..];
    let literal_start = colon + 1 + (after.len() - after.trim_start().len());
    let quote = text[literal_start..]
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))
        .ok_or_else(not_literal)?;
    let body_len = literal_body_len(&text[literal_start + 1..], quote).ok_or_else(not_literal)?;
    let literal_end = literal_start + 1 + body_len + 1;
    // A template literal with substitutions, or a concatenation, is not one literal.
    let next = text[literal_end..].trim_start();
    if (quote == '`' && text[literal_start..literal_end].contains("${")) || next.starts_with('+') {
        return Err(not_literal());
    }
    Ok(Some(Property {
        start,
        literal_start,
        literal_end,
    }))
}

/// Byte offset of `name` used as an object property (`name:`, `"name":` or `'name':`); for a
/// quoted name, the offset of the opening quote.
fn find_property(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(name) {
        let at = from + i;
        let prefix = &text[..at];
        let (start, quote) = match prefix.chars().next_back() {
            Some(q @ ('"' | '\'')) => (at - 1, Some(q)),
            _ => (at, None),
        };
        let before = text[..start].chars().next_back();
        let mut after = &text[at + name.len()..];
        if let Some(q) = quote {
            after = after.strip_prefix(q).unwrap_or("\u{0}");
        }
        let word_start = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        if word_start && after.trim_start().starts_with(':') {
            return Some(start);
        }
        from = at + name.len();
    }
    None
}

/// Length in bytes of a string literal's body (up to, not including, the closing quote).
fn literal_body_len(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\n' if quote != '`' => return None,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    const PEM: &str = "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n";

    const V1_TS: &str = "import { CapacitorConfig } from '@capacitor/cli';\n\nconst config: CapacitorConfig = {\n  appId: 'com.example.app',\n  plugins: {\n    CapacitorUpdater: {\n      autoUpdate: true,\n      privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nSECRET\\n-----END RSA PRIVATE KEY-----\\n', // V1\n      directUpdate: false,\n    },\n  },\n};\nexport default config;\n";

    fn json_set(text: &str) -> Result<String, ConfigError> {
        set_public_key(text, ConfigFormat::Json, PEM).map(|e| e.text)
    }

    fn script_set(text: &str) -> Result<String, ConfigError> {
        set_public_key(text, ConfigFormat::Script, PEM).map(|e| e.text)
    }

    #[test]
    fn project_fields_of_json_and_script_configs() {
        let json = "{\"appId\": \"com.example.app\", \"webDir\": \"dist\"}";
        let p = read_project(json, ConfigFormat::Json);
        assert_eq!(p.app_id.as_deref(), Some("com.example.app"));
        assert_eq!(p.web_dir.as_deref(), Some("dist"));
        let p = read_project(V1_TS, ConfigFormat::Script);
        assert_eq!(p.app_id.as_deref(), Some("com.example.app"));
        assert_eq!(p.web_dir, None);
        let p = read_project(
            "{ webDir: process.env.WEB, appId: `a.b` }",
            ConfigFormat::Script,
        );
        assert_eq!((p.app_id.as_deref(), p.web_dir), (Some("a.b"), None));
        assert_eq!(
            read_project("not json", ConfigFormat::Json),
            ProjectConfig::default()
        );
    }

    #[test]
    fn json_config_keeps_order_indent_and_newline() {
        let text = "{\n    \"appId\": \"com.example.app\",\n    \"webDir\": \"dist\",\n    \"plugins\": {\n        \"CapacitorUpdater\": {\n            \"autoUpdate\": true,\n            \"privateKey\": \"old\"\n        }\n    }\n}\n";
        let edit = set_public_key(text, ConfigFormat::Json, PEM).unwrap();
        assert!(edit.removed_private_key);
        let out = edit.text;
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
        let out = json_set("{\n\t\"appId\": \"a.b\"\n}").unwrap();
        assert!(
            out.contains("\n\t\"plugins\": {\n\t\t\"CapacitorUpdater\": {\n\t\t\t\"publicKey\""),
            "{out}"
        );
        assert!(!out.ends_with('\n'));
        assert!(matches!(
            json_set("[1]"),
            Err(ConfigError::NotAnObject("$"))
        ));
        assert!(matches!(
            json_set("{\"plugins\": 3}"),
            Err(ConfigError::NotAnObject("plugins"))
        ));
        assert!(matches!(json_set("{"), Err(ConfigError::Json(_))));
    }

    #[test]
    fn script_config_replaces_existing_literal_only() {
        let text = "const config: CapacitorConfig = {\n  appId: 'a.b',\n  plugins: {\n    CapacitorUpdater: {\n      publicKey: '-----BEGIN RSA PUBLIC KEY-----\\nOLD\\n-----END RSA PUBLIC KEY-----\\n', // key\n      autoUpdate: true,\n    },\n  },\n};\nexport default config;\n";
        let out = script_set(text).unwrap();
        assert!(out.contains("publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\nAAAA\\n-----END RSA PUBLIC KEY-----\\n\", // key\n"), "{out}");
        assert!(out.contains("autoUpdate: true"));
        assert!(!out.contains("OLD"));
        let missing = script_set("export default { appId: 'a.b' };")
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\nAAAA"),
            "{missing}"
        );
        assert!(matches!(
            script_set("const x = { publicKey: process.env.KEY };"),
            Err(ConfigError::NotALiteral { .. })
        ));
        // `myPublicKey:` is not the property.
        assert!(matches!(
            script_set("const x = { myPublicKey: 'a' };"),
            Err(ConfigError::MissingProperty { .. })
        ));
    }

    #[test]
    fn rename_keeps_everything_else() {
        let out = rename_private_key(V1_TS, "-----BEGIN RSA PUBLIC KEY-----\nP\n")
            .unwrap()
            .unwrap();
        assert!(
            out.contains(
                "      publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\nP\\n\", // V1\n      directUpdate: false,"
            ),
            "{out}"
        );
        assert!(!out.contains("SECRET") && !out.contains("privateKey"));
        assert_eq!(
            out.replace("publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\nP\\n\"", "X"),
            V1_TS.replace(
                "privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nSECRET\\n-----END RSA PRIVATE KEY-----\\n'",
                "X"
            )
        );
    }

    #[test]
    fn remove_takes_the_line_or_just_the_property() {
        let out = remove_private_key(V1_TS).unwrap().unwrap();
        // A trailing comment keeps the line.
        assert!(
            out.contains("      autoUpdate: true,\n       // V1\n"),
            "{out}"
        );
        let inline = "{ publicKey: 'P', \"privateKey\": \"S\", autoUpdate: true }";
        assert_eq!(
            remove_private_key(inline).unwrap().unwrap(),
            "{ publicKey: 'P',  autoUpdate: true }"
        );
        let last = "{\n  publicKey: 'P',\n  privateKey: `S`\n}\n";
        assert_eq!(
            remove_private_key(last).unwrap().unwrap(),
            "{\n  publicKey: 'P',\n}\n"
        );
        assert_eq!(remove_private_key("{ a: 1 }").unwrap(), None);
    }

    #[test]
    fn rejects_non_literals_and_ignores_lookalikes() {
        assert!(rename_private_key("{ privateKey: process.env.KEY }", "P").is_err());
        assert!(rename_private_key("{ privateKey: `a${b}` }", "P").is_err());
        assert!(rename_private_key("{ privateKey: 'a' + b }", "P").is_err());
        assert!(rename_private_key("{ privateKey: 'unterminated }", "P").is_err());
        assert_eq!(
            rename_private_key("{ myprivateKey: 'a', privateKeys: 'b' }", "P").unwrap(),
            None
        );
        assert!(find_property("{ 'publicKey': 'a' }", PUBLIC_KEY_PROPERTY).is_some());
        assert!(find_property("{ publicKeyX: 'a' }", PUBLIC_KEY_PROPERTY).is_none());
    }

    fn v2_public() -> PublicKey {
        PrivateKey::from_bytes(include_bytes!("../tests/data/k1.key"), &Limits::default())
            .unwrap()
            .public_key()
            .clone()
    }

    #[test]
    fn script_with_only_a_private_key_gets_it_replaced() {
        let ts = "export default {\n  plugins: {\n    CapacitorUpdater: {\n      privateKey: 'SECRET',\n      autoUpdate: true,\n    },\n  },\n};\n";
        let pk = v2_public();
        let edit = migrate_to_v2(ts, ConfigFormat::Script, &pk, &Limits::default()).unwrap();
        assert!(edit.removed_private_key);
        assert!(!edit.text.contains("SECRET") && !edit.text.contains("privateKey"));
        assert!(
            edit.text
                .contains("      publicKey: \"-----BEGIN RSA PUBLIC KEY-----\\n")
        );
    }

    #[test]
    fn script_with_both_keys_updates_one_and_drops_the_other() {
        let ts = "export default {\n  plugins: {\n    CapacitorUpdater: {\n      publicKey: 'OLD',\n      privateKey: 'SECRET',\n    },\n  },\n};\n";
        let pk = v2_public();
        let edit = migrate_to_v2(ts, ConfigFormat::Script, &pk, &Limits::default()).unwrap();
        assert!(edit.removed_private_key);
        let literal = js_string_literal(&pk.capacitor_config_value().unwrap());
        assert_eq!(
            edit.text,
            format!(
                "export default {{\n  plugins: {{\n    CapacitorUpdater: {{\n      publicKey: {literal},\n    }},\n  }},\n}};\n"
            )
        );
        // Without any key property, the error explains what to paste.
        assert!(matches!(
            migrate_to_v2(
                "export default { appId: 'a' };",
                ConfigFormat::Script,
                &pk,
                &Limits::default()
            ),
            Err(ConfigError::MissingProperty { .. })
        ));
    }

    #[test]
    fn the_v1_key_is_not_accepted_as_the_v2_key() {
        let v1 = include_str!("../tests/data/v1k1.key");
        let json =
            serde_json::to_string(&json!({"plugins": {"CapacitorUpdater": {"privateKey": v1}}}))
                .unwrap();
        let v1_public = PrivateKey::from_bytes(v1.as_bytes(), &Limits::default())
            .unwrap()
            .public_key()
            .clone();
        assert!(matches!(
            migrate_to_v2(&json, ConfigFormat::Json, &v1_public, &Limits::default()),
            Err(ConfigError::KeyReused)
        ));
        let edit =
            migrate_to_v2(&json, ConfigFormat::Json, &v2_public(), &Limits::default()).unwrap();
        assert!(edit.removed_private_key);
    }
}
