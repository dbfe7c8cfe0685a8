//! Text edits of `capacitor.config.ts` / `.js` for the V1 -> V2 migration (`spec/v1.md`
//! section 7 step 2): the V1 `privateKey` property goes, the V2 `publicKey` takes its place.
//!
//! These are pure functions on the file's text. They recognise a property written
//! `privateKey: '...'` (or with `"`/`` ` `` quotes, or a quoted property name) whose value is
//! one string literal; anything else (an expression, an environment variable) is left to the
//! developer, with an error that says so. JSON configs are edited as JSON by the CLI.

use crate::Error;

/// The V1 property that held the private key.
pub const PRIVATE_KEY_PROPERTY: &str = "privateKey";
/// The V2 property that holds the public key.
pub const PUBLIC_KEY_PROPERTY: &str = "publicKey";

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

/// Whether `text` has a property `name:` (in any form: bare or quoted name).
#[must_use]
pub fn has_property(text: &str, name: &str) -> bool {
    find_property(text, name).is_some()
}

/// Replaces `privateKey: <literal>` with `publicKey: <pem as a string literal>`, in place, for a
/// config that has no `publicKey` yet. Returns `None` when there is no `privateKey` property.
///
/// ```
/// use otaseal_migrate::config::rename_private_key;
///
/// let ts = "plugins: {\n  CapacitorUpdater: {\n    privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nX\\n',\n    autoUpdate: true,\n  },\n},";
/// let out = rename_private_key(ts, "PEM\n")?.unwrap();
/// assert!(out.contains("    publicKey: \"PEM\\n\",\n    autoUpdate: true,"));
/// assert!(!out.contains("PRIVATE"));
/// # Ok::<(), otaseal_migrate::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] if `privateKey`'s value is not one string literal.
pub fn rename_private_key(text: &str, public_pem: &str) -> Result<Option<String>, Error> {
    let Some(p) = locate_literal(text, PRIVATE_KEY_PROPERTY)? else {
        return Ok(None);
    };
    let literal = js_string_literal(public_pem)?;
    Ok(Some(format!(
        "{}{PUBLIC_KEY_PROPERTY}: {literal}{}",
        &text[..p.start],
        &text[p.literal_end..]
    )))
}

/// Removes the `privateKey: <literal>` property, with its trailing comma, and its line when
/// nothing else is on it. Returns `None` when there is no `privateKey` property.
///
/// ```
/// use otaseal_migrate::config::remove_private_key;
///
/// let ts = "{\n  publicKey: 'P',\n  privateKey: 'S',\n  autoUpdate: true,\n}";
/// let out = remove_private_key(ts)?.unwrap();
/// assert_eq!(out, "{\n  publicKey: 'P',\n  autoUpdate: true,\n}");
/// # Ok::<(), otaseal_migrate::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] if `privateKey`'s value is not one string literal.
pub fn remove_private_key(text: &str) -> Result<Option<String>, Error> {
    let Some(p) = locate_literal(text, PRIVATE_KEY_PROPERTY)? else {
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

/// The PEM as a JavaScript string literal: JSON string syntax (double quotes, `\n` escapes)
/// is valid JavaScript.
fn js_string_literal(s: &str) -> Result<String, Error> {
    serde_json::to_string(s)
        .map_err(|e| Error::InvalidInput(format!("cannot quote the public key: {e}")))
}

/// Finds `name:` followed by a string literal.
fn locate_literal(text: &str, name: &str) -> Result<Option<Property>, Error> {
    let Some(start) = find_property(text, name) else {
        return Ok(None);
    };
    let not_literal = || {
        Error::InvalidInput(format!(
            "{name} in this config is not a plain string literal; edit it by hand"
        ))
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

    const V1_TS: &str = "import { CapacitorConfig } from '@capacitor/cli';\n\nconst config: CapacitorConfig = {\n  appId: 'com.example.app',\n  plugins: {\n    CapacitorUpdater: {\n      autoUpdate: true,\n      privateKey: '-----BEGIN RSA PRIVATE KEY-----\\nSECRET\\n-----END RSA PRIVATE KEY-----\\n', // V1\n      directUpdate: false,\n    },\n  },\n};\nexport default config;\n";

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
        assert!(has_property("{ 'publicKey': 'a' }", PUBLIC_KEY_PROPERTY));
        assert!(!has_property("{ publicKeyX: 'a' }", PUBLIC_KEY_PROPERTY));
    }
}
