//! The string rules of the protocol, one function per rule of `spec/protocol.md` section 5.
//!
//! Capgo's backend is JavaScript. Where it measures a string with `.length`, the length here is
//! counted in UTF-16 code units ([`js_len`]); its patterns are JavaScript regular expressions
//! without the `u` flag, so `\d`, `\w` and `/i` are ASCII-only; `String.prototype.trim` removes
//! its own set of white space. Those JavaScript semantics, not a fear of regex backtracking
//! (Rust's `regex` does not backtrack), are why the `app_id`, UUID and strict `X.Y.Z` patterns
//! and the trimming are written out here: each is a few lines, and written out it cannot
//! silently take Unicode classes or Unicode case folding where JavaScript does not.
//!
//! Where a well-kept crate implements the grammar itself, it does the work: `semver` parses
//! SemVer 2.0.0 and `url` parses URLs (the WHATWG URL Standard); only the JavaScript-specific
//! wrapper around each is written here. Percent-decoding and the rules of delta-manifest names
//! live in `otaseal_wire::manifest`.

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

/// `^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$`: the strict `X.Y.Z` form of Capgo's
/// `plugin_version` schema. Unlike SemVer parsing it has no bound on the numbers.
pub(crate) fn is_strict_xyz(s: &str) -> bool {
    let numeric = |p: &str| match p.as_bytes() {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        b => b.iter().all(u8::is_ascii_digit),
    };
    let mut n = 0usize;
    for part in s.split('.') {
        if !numeric(part) {
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

/// `@std/semver`'s `parse`, the backend's version parser: at most 256 UTF-16 code units, then
/// trimmed as JavaScript trims, then an optional `v`, then SemVer 2.0.0 with each of
/// `MAJOR.MINOR.PATCH` at most 2^53 - 1.
///
/// The SemVer grammar itself (numbers without leading zeros, pre-release identifiers that are
/// numeric without a leading zero or contain a non-digit, build identifiers of alphanumerics
/// and hyphens) is exactly `@std/semver`'s `FULL_REGEXP`, and is the `semver` crate's. What is
/// written here is what JavaScript adds around it: the length in UTF-16 units, `trim`, the
/// `v` prefix and `Number.MAX_SAFE_INTEGER`.
pub(crate) fn std_semver_parse(s: &str) -> Option<semver::Version> {
    if js_len(s) > SEMVER_MAX_LENGTH {
        return None;
    }
    let t = s.trim_matches(is_js_whitespace);
    let t = t.strip_prefix('v').unwrap_or(t);
    let v = semver::Version::parse(t).ok()?;
    [v.major, v.minor, v.patch]
        .iter()
        .all(|&n| n <= MAX_SAFE_INTEGER)
        .then_some(v)
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

/// An absolute `http` or `https` URL with a non-empty host, no userinfo and no white space or
/// control characters: what a device can download. Returns the scheme.
///
/// The `url` crate parses the URL (scheme, host, port). It follows the WHATWG URL Standard,
/// which *repairs* some input that this rule refuses: it removes tabs, line feeds and leading or
/// trailing control characters, reads `https:h` and `https:///h` as `https://h/`, and drops an
/// empty userinfo (`https://@h`). So the text itself is checked first: no white space or control
/// character, the scheme followed by `://`, and a non-empty authority without `@`.
pub(crate) fn http_url(s: &str) -> Option<UrlScheme> {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = s.split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        UrlScheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        UrlScheme::Http
    } else {
        return None;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    // Userinfo is not needed by any device and hides the real host from a reader.
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let url = url::Url::parse(s).ok()?;
    url.host_str()
        .is_some_and(|h| !h.is_empty())
        .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use test_case::test_case;

    #[test_case("com.example.app")]
    #[test_case("ee.forgr.capacitor_go")]
    #[test_case("A1.b-c")]
    #[test_case("io.ionic.starter")]
    #[test_case("x.y.z_1")]
    fn app_ids(ok: &str) {
        assert!(is_app_id(ok));
    }

    #[test_case(""; "empty")]
    #[test_case("com")]
    #[test_case("com.")]
    #[test_case(".com.x")]
    #[test_case("com..x")]
    #[test_case("com_x.y")]
    #[test_case("com-x.y")]
    #[test_case("com.x!")]
    #[test_case("com.x y")]
    #[test_case("com.x\n"; "line feed")]
    #[test_case("cöm.x"; "non-ASCII first segment")]
    #[test_case("com.é"; "non-ASCII word character")]
    fn not_app_ids(bad: &str) {
        assert!(!is_app_id(bad));
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b"));
        assert!(is_uuid("0B5F5E4A-2C1D-4F3E-9A8B-7C6D5E4F3A2B"));
    }

    #[test_case(""; "empty")]
    #[test_case("0b5f5e4a2c1d4f3e9a8b7c6d5e4f3a2b"; "no hyphens")]
    #[test_case("0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2"; "short")]
    #[test_case("0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2bb"; "long")]
    #[test_case("0b5f5e4a-2c1d-4f3e-9a8b_7c6d5e4f3a2b"; "underscore")]
    #[test_case("gb5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b"; "not hex")]
    #[test_case("{b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b}"; "braces")]
    fn not_uuids(bad: &str) {
        assert!(!is_uuid(bad));
    }

    #[test]
    fn strict_xyz() {
        assert!(is_strict_xyz("8.51.14"));
        assert!(is_strict_xyz("0.0.0"));
        assert!(
            is_strict_xyz("99999999999999999999.0.0"),
            "no bound on numbers"
        );
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
    }

    #[test_case("1.2.3")]
    #[test_case("v1.2.3"; "v prefix")]
    #[test_case(" 1.2.3 "; "spaces trimmed")]
    #[test_case("\u{feff}1.2.3"; "BOM trimmed")]
    #[test_case("\u{3000}1.2.3\u{2028}"; "JavaScript white space trimmed")]
    #[test_case("1.2.3-rc.1")]
    #[test_case("1.2.3-0.alpha-1")]
    #[test_case("1.2.3+build.7")]
    #[test_case("1.2.3+001"; "leading zeros in build metadata")]
    #[test_case("1.2.3-rc.1+b.2")]
    #[test_case("1.2.3-01a"; "alphanumeric pre-release with a leading zero")]
    #[test_case("9007199254740991.0.0"; "MAX_SAFE_INTEGER")]
    fn std_semver_accepts(ok: &str) {
        assert!(std_semver_parse(ok).is_some());
    }

    #[test_case("1.2")]
    #[test_case("1.2.3.4")]
    #[test_case("01.2.3"; "leading zero")]
    #[test_case("1.2.3-"; "empty pre-release")]
    #[test_case("1.2.3-01"; "numeric pre-release with a leading zero")]
    #[test_case("1.2.3-a..b"; "empty pre-release identifier")]
    #[test_case("1.2.3+"; "empty build")]
    #[test_case("1.2.3+a_b"; "underscore in build")]
    #[test_case("V1.2.3"; "upper-case V")]
    #[test_case("vv1.2.3"; "two v")]
    #[test_case("v 1.2.3"; "space after v")]
    #[test_case("=1.2.3"; "npm's loose =")]
    #[test_case("1.2.3\u{85}"; "NEL is not JavaScript white space")]
    #[test_case("9007199254740992.0.0"; "over MAX_SAFE_INTEGER")]
    #[test_case("1.9007199254740992.0"; "minor over MAX_SAFE_INTEGER")]
    #[test_case("99999999999999999999999.0.0"; "over u64")]
    #[test_case("1.2.3-é"; "non-ASCII pre-release")]
    fn std_semver_rejects(bad: &str) {
        assert!(std_semver_parse(bad).is_none());
    }

    #[test]
    fn std_semver_length_and_numbers() {
        assert!(std_semver_parse(&format!("1.2.3+{}", "a".repeat(250))).is_some());
        assert!(std_semver_parse(&format!("1.2.3+{}", "a".repeat(251))).is_none());
        // The 256-unit limit applies before trimming, in UTF-16 units.
        assert!(std_semver_parse(&format!("1.2.3{}", " ".repeat(251))).is_some());
        assert!(std_semver_parse(&format!("1.2.3{}", " ".repeat(252))).is_none());
        let v = std_semver_parse("v2.10.0-beta").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (2, 10, 0));
    }

    /// The hand-written SemVer grammar this crate had before it used the `semver` crate,
    /// kept as an oracle: the accepted language must not have changed.
    fn reference_semver_core(t: &str) -> bool {
        fn numeric(s: &str) -> bool {
            match s.as_bytes() {
                [] => false,
                [b'0'] => true,
                [b'0', ..] => false,
                b => b.iter().all(u8::is_ascii_digit),
            }
        }
        fn number(s: &str) -> bool {
            numeric(s) && s.parse::<u64>().is_ok_and(|n| n <= MAX_SAFE_INTEGER)
        }
        let ident =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let (rest, build) = match t.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (t, None),
        };
        if build.is_some_and(|b| !b.split('.').all(ident)) {
            return false;
        }
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let pre_ident =
            |s: &str| ident(s) && (numeric(s) || !s.bytes().all(|b| b.is_ascii_digit()));
        if pre.is_some_and(|p| !p.split('.').all(pre_ident)) {
            return false;
        }
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| number(p))
    }

    proptest! {
        #[test]
        fn semver_crate_accepts_the_same_language(s in "v?[0-9]{1,3}(\\.[0-9]{1,3}){0,3}([-+.][0-9a-zA-Z_.+-]{0,8})?") {
            let trimmed = s.trim_matches(is_js_whitespace);
            let core = trimmed.strip_prefix('v').unwrap_or(trimmed);
            prop_assert_eq!(std_semver_parse(&s).is_some(), reference_semver_core(core), "{:?}", s);
        }
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

    #[test_case("https://cdn.example.com/b.zip", UrlScheme::Https)]
    #[test_case("HTTP://h:8080", UrlScheme::Http; "upper-case scheme and a port")]
    #[test_case("https://h?x=1", UrlScheme::Https; "query without a path")]
    #[test_case("https://h#f", UrlScheme::Https; "fragment")]
    #[test_case("https://h:/x", UrlScheme::Https; "empty port")]
    #[test_case("https://h/a@b", UrlScheme::Https; "at sign in the path")]
    #[test_case("http://127.0.0.1:8080/b.zip", UrlScheme::Http; "IPv4 address")]
    #[test_case("https://[::1]/b.zip", UrlScheme::Https; "IPv6 address")]
    fn http_urls(s: &str, scheme: UrlScheme) {
        assert_eq!(http_url(s), Some(scheme));
    }

    #[test_case(""; "empty")]
    #[test_case("cdn.example.com/b.zip"; "no scheme")]
    #[test_case("ftp://h/b.zip"; "ftp")]
    #[test_case("https://"; "nothing after the scheme")]
    #[test_case("https//h"; "no colon")]
    #[test_case("https://:80/x"; "port without a host")]
    #[test_case("https://u:p@h/b.zip"; "userinfo")]
    #[test_case("https://h/b c.zip"; "space")]
    #[test_case("https://h/\n"; "line feed")]
    // What the `url` crate would repair and accept:
    #[test_case("https:///b.zip"; "empty authority, read by WHATWG as host b.zip")]
    #[test_case("https:h/b.zip"; "no slashes, read by WHATWG as https://h/")]
    #[test_case("https:/h/b.zip"; "one slash")]
    #[test_case("https://@h/b.zip"; "empty userinfo, dropped by WHATWG")]
    #[test_case("https://:@h/b.zip"; "empty user and password")]
    #[test_case("https://h\\@evil/b.zip"; "at sign after a backslash")]
    #[test_case("https://h/b.zip\t"; "tab, removed by WHATWG")]
    #[test_case("https://h/\u{0}"; "NUL, removed by WHATWG")]
    #[test_case(" https://h/b.zip"; "leading space, trimmed by WHATWG")]
    #[test_case("https://h/\u{a0}"; "no-break space")]
    // What the `url` crate refuses on top of the text rules:
    #[test_case("https://h:99999/b.zip"; "port out of range")]
    #[test_case("https://[::1/b.zip"; "malformed IPv6 address")]
    #[test_case("https://exa%mple.com/"; "bad percent escape in the host")]
    #[test_case("https://1.2.3.4.5/"; "malformed IPv4 address")]
    #[test_case("https://xn--/"; "malformed IDNA label")]
    #[test_case("xhttps://h/"; "another scheme")]
    #[test_case("http:s://h/"; "colon in the scheme")]
    fn not_http_urls(bad: &str) {
        assert_eq!(http_url(bad), None);
    }

    /// The hand-written rule this crate had before it used the `url` crate.
    fn reference_http_url(s: &str) -> bool {
        let Some((scheme, rest)) = s.split_once("://") else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return false;
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return false;
        }
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        !(authority.is_empty() || authority.contains('@') || authority.starts_with(':'))
    }

    proptest! {
        #[test]
        fn the_url_crate_only_tightens_the_rule(s in "(https?|HTTP|ftp)?:?/{0,3}[a-z0-9.:@\\[\\]%/?#\\\\ -]{0,24}") {
            if http_url(&s).is_some() {
                prop_assert!(reference_http_url(&s), "{:?}", s);
            }
        }
    }
}
