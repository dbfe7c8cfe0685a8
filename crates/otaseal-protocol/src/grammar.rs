//! Hand-written matchers for the string rules of the protocol, one function per rule of
//! `spec/protocol.md` section 5. No regex engine: each rule is small enough to write out, and a
//! matcher written out cannot backtrack catastrophically on hostile input.
//!
//! Capgo's backend is JavaScript, so where it measures a string with `.length` the length here
//! is counted in UTF-16 code units ([`js_len`]), and `\d`, `\w` and `/i` are ASCII-only, as in
//! JavaScript regular expressions without the `u` flag.

use std::borrow::Cow;

/// JavaScript's `String.prototype.length`: the number of UTF-16 code units.
pub(crate) fn js_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `/^[a-z0-9]+(\.[\w-]+)+$/i`: a reverse-domain app id such as `com.example.app`.
pub(crate) fn is_app_id(s: &str) -> bool {
    let mut segments = s.split('.');
    let first_ok = segments
        .next()
        .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric()));
    let mut rest = 0usize;
    for seg in segments {
        if seg.is_empty()
            || !seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return false;
        }
        rest += 1;
    }
    first_ok && rest >= 1
}

/// `/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i`: a UUID in its
/// 36-character text form, any case.
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A numeric identifier of SemVer, `0|[1-9]\d*`.
fn is_numeric_identifier(s: &str) -> bool {
    match s.as_bytes() {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        b => b.iter().all(u8::is_ascii_digit),
    }
}

/// `^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$`: the strict `X.Y.Z` form.
pub(crate) fn is_strict_xyz(s: &str) -> bool {
    let mut n = 0usize;
    for part in s.split('.') {
        if !is_numeric_identifier(part) {
            return false;
        }
        n += 1;
    }
    n == 3
}

/// `Number.MAX_SAFE_INTEGER`: `@std/semver` rejects larger version numbers.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// `@std/semver`'s `MAX_LENGTH`.
const SEMVER_MAX_LENGTH: usize = 256;

/// The characters that JavaScript's `String.prototype.trim` removes (ECMA-262 `WhiteSpace` and
/// `LineTerminator`). Not the same set as Rust's `char::is_whitespace`: U+FEFF is in, U+0085
/// is out.
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// A version number that `@std/semver`'s `parse` accepts. Only what the protocol needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SemVer {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
}

fn version_number(s: &str) -> Option<u64> {
    if !is_numeric_identifier(s) {
        return None;
    }
    s.parse::<u64>().ok().filter(|&n| n <= MAX_SAFE_INTEGER)
}

fn is_prerelease_identifier(s: &str) -> bool {
    // `0|[1-9]\d*` or `\d*[a-zA-Z-][a-zA-Z0-9-]*`: alphanumerics and hyphens, either a numeric
    // identifier or containing at least one non-digit.
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && (is_numeric_identifier(s) || !s.bytes().all(|b| b.is_ascii_digit()))
}

fn is_build_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `@std/semver`'s `parse` (the backend's version parser): at most 256 UTF-16 code units, then
/// trimmed, then `^v?MAJOR.MINOR.PATCH(-PRERELEASE)?(+BUILD)?$` with each number at most
/// 2^53 - 1.
pub(crate) fn std_semver_parse(s: &str) -> Option<SemVer> {
    if js_len(s) > SEMVER_MAX_LENGTH {
        return None;
    }
    let t = s.trim_matches(is_js_whitespace);
    let t = t.strip_prefix('v').unwrap_or(t);
    let (rest, build) = match t.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (t, None),
    };
    if let Some(b) = build
        && !b.split('.').all(is_build_identifier)
    {
        return None;
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    if let Some(p) = pre
        && !p.split('.').all(is_prerelease_identifier)
    {
        return None;
    }
    let mut parts = core.split('.');
    let major = version_number(parts.next()?)?;
    let minor = version_number(parts.next()?)?;
    let patch = version_number(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    Some(SemVer {
        major,
        minor,
        patch,
    })
}

/// Capgo's `fixSemver`: `builtin` and `unknown` become `0.0.0`; otherwise `.0` is appended
/// until the string has two dots (`"1"` becomes `"1.0.0"`, `"1.2"` becomes `"1.2.0"`).
pub(crate) fn fix_semver(s: &str) -> Cow<'_, str> {
    if s == "builtin" || s == "unknown" {
        return Cow::Borrowed("0.0.0");
    }
    match s.bytes().filter(|&b| b == b'.').count() {
        0 => Cow::Owned(format!("{s}.0.0")),
        1 => Cow::Owned(format!("{s}.0")),
        _ => Cow::Borrowed(s),
    }
}

/// The backend's `version_build` rule: after [`fix_semver`], [`std_semver_parse`] succeeds.
pub(crate) fn version_build_ok(s: &str) -> bool {
    std_semver_parse(&fix_semver(s)).is_some()
}

/// The backend's `plugin_version` rule: strict `X.Y.Z`, or anything [`std_semver_parse`]
/// accepts.
pub(crate) fn plugin_version_ok(s: &str) -> bool {
    is_strict_xyz(s) || std_semver_parse(s).is_some()
}

/// The URL schemes a device downloads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UrlScheme {
    Http,
    Https,
}

/// An absolute `http` or `https` URL with a non-empty authority and no white space or control
/// characters: what a device can download. Returns the scheme.
pub(crate) fn http_url(s: &str) -> Option<UrlScheme> {
    let (scheme, rest) = s.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        UrlScheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        UrlScheme::Http
    } else {
        return None;
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    // Userinfo is not needed by any device and hides the real host from a reader.
    if authority.is_empty() || authority.contains('@') || authority.starts_with(':') {
        return None;
    }
    Some(scheme)
}

/// Why a manifest `file_name` is unsafe (`spec/v2.md` section 9).
pub(crate) fn manifest_path_problem(name: &str) -> Option<&'static str> {
    let Some(bytes) = percent_decode(name) else {
        return Some("has a '%' not followed by two hex digits");
    };
    let Ok(path) = String::from_utf8(bytes) else {
        return Some("is not UTF-8 after percent-decoding");
    };
    if path.contains('\0') {
        return Some("contains a NUL byte");
    }
    if path.contains('\\') {
        return Some("contains a backslash");
    }
    if path.starts_with('/') {
        return Some("is an absolute path");
    }
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Some("has an empty, '.' or '..' segment");
    }
    None
}

/// Decodes `%XX` escapes; `None` if a `%` is not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids() {
        for ok in [
            "com.example.app",
            "ee.forgr.capacitor_go",
            "A1.b-c",
            "io.ionic.starter",
            "x.y.z_1",
        ] {
            assert!(is_app_id(ok), "{ok}");
        }
        for bad in [
            "", "com", "com.", ".com.x", "com..x", "com_x.y", "com-x.y", "com.x!", "com.x y",
            "com.x\n", "cöm.x", "com.é",
        ] {
            assert!(!is_app_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b"));
        assert!(is_uuid("0B5F5E4A-2C1D-4F3E-9A8B-7C6D5E4F3A2B"));
        for bad in [
            "",
            "0b5f5e4a2c1d4f3e9a8b7c6d5e4f3a2b",
            "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2",
            "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2bb",
            "0b5f5e4a-2c1d-4f3e-9a8b_7c6d5e4f3a2b",
            "gb5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
            "{b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b}",
        ] {
            assert!(!is_uuid(bad), "{bad:?}");
        }
    }

    #[test]
    fn strict_and_std_semver() {
        assert!(is_strict_xyz("8.51.14"));
        assert!(is_strict_xyz("0.0.0"));
        for bad in [
            "8.51",
            "08.1.1",
            "1.2.3.4",
            "1.2.3-rc.1",
            "v1.2.3",
            "",
            "1..2",
        ] {
            assert!(!is_strict_xyz(bad), "{bad:?}");
        }
        for ok in [
            "1.2.3",
            "v1.2.3",
            " 1.2.3 ",
            "\u{feff}1.2.3",
            "1.2.3-rc.1",
            "1.2.3-0.alpha-1",
            "1.2.3+build.7",
            "1.2.3-rc.1+b.2",
            "1.2.3-01a",
            "9007199254740991.0.0",
        ] {
            assert!(std_semver_parse(ok).is_some(), "{ok:?}");
        }
        for bad in [
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3+a_b",
            "V1.2.3",
            "vv1.2.3",
            "1.2.3\u{85}",
            "9007199254740992.0.0",
            "99999999999999999999999.0.0",
        ] {
            assert!(std_semver_parse(bad).is_none(), "{bad:?}");
        }
        assert!(std_semver_parse(&format!("1.2.3+{}", "a".repeat(250))).is_some());
        assert!(std_semver_parse(&format!("1.2.3+{}", "a".repeat(251))).is_none());
        assert_eq!(
            std_semver_parse("v2.10.0-beta"),
            Some(SemVer {
                major: 2,
                minor: 10,
                patch: 0
            })
        );
    }

    #[test]
    fn fix_semver_matches_capgo() {
        assert_eq!(fix_semver("1"), "1.0.0");
        assert_eq!(fix_semver("1.2"), "1.2.0");
        assert_eq!(fix_semver("1.2.3"), "1.2.3");
        assert_eq!(fix_semver("1.2.3.4"), "1.2.3.4");
        assert_eq!(fix_semver("builtin"), "0.0.0");
        assert_eq!(fix_semver("unknown"), "0.0.0");
        assert_eq!(fix_semver(""), ".0.0");
        assert!(version_build_ok("1"));
        assert!(version_build_ok("2.4"));
        assert!(version_build_ok("builtin"));
        assert!(version_build_ok("unknown"));
        assert!(version_build_ok("1.0.0-beta.2"));
        assert!(!version_build_ok("1.2-beta"));
        assert!(!version_build_ok("abc"));
        assert!(!version_build_ok(""));
        assert!(!version_build_ok("1.2.3.4"));
        assert!(plugin_version_ok("8.51.14"));
        assert!(plugin_version_ok("8.0.0-alpha.3"));
        assert!(plugin_version_ok("99999999999999999999.0.0"));
        assert!(!plugin_version_ok("8.51"));
    }

    #[test]
    fn js_lengths() {
        assert_eq!(js_len("abc"), 3);
        assert_eq!(js_len("é"), 1);
        assert_eq!(js_len("😀"), 2);
    }

    #[test]
    fn urls() {
        assert_eq!(
            http_url("https://cdn.example.com/b.zip"),
            Some(UrlScheme::Https)
        );
        assert_eq!(http_url("HTTP://h:8080"), Some(UrlScheme::Http));
        assert_eq!(http_url("https://h?x=1"), Some(UrlScheme::Https));
        for bad in [
            "",
            "cdn.example.com/b.zip",
            "ftp://h/b.zip",
            "https://",
            "https:///b.zip",
            "https://u:p@h/b.zip",
            "https://h/b c.zip",
            "https://h/\n",
            "https//h",
            "https://:80/x",
        ] {
            assert_eq!(http_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn manifest_paths() {
        assert_eq!(manifest_path_problem("index.html"), None);
        assert_eq!(manifest_path_problem("assets/app%20x.js.br"), None);
        assert_eq!(manifest_path_problem("a/%C3%A9.js"), None);
        for (bad, why) in [
            ("/etc/passwd", "absolute"),
            ("%2Fetc", "absolute"),
            ("a/../b", "segment"),
            ("a/%2E%2E/b", "segment"),
            ("./a", "segment"),
            ("a//b", "segment"),
            ("a/", "segment"),
            ("", "segment"),
            ("a\\b", "backslash"),
            ("a%5Cb", "backslash"),
            ("a%00b", "NUL"),
            ("a%zz", "'%'"),
            ("a%4", "'%'"),
            ("a%FF", "UTF-8"),
        ] {
            let p = manifest_path_problem(bad);
            assert!(p.is_some_and(|p| p.contains(why)), "{bad:?}: {p:?}");
        }
    }
}
