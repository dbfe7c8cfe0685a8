//! File names of delta manifests: JavaScript `encodeURIComponent` per segment, strict
//! percent-decoding, and the safety rules of `spec/v2.md` section 9.

use core::fmt::Write as _;

use super::ManifestError;

/// Characters `encodeURIComponent` leaves as they are (ECMA-262 "uriUnreserved" plus the
/// marks `-_.!~*'()`).
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Percent-encodes each `/`-separated segment of `path` as `encodeURIComponent` does, keeping
/// the `/` separators: Capgo's `encodePathSegments` (`spec/v2.md` 9.1, step 4).
///
/// ```
/// use otaseal_envelope::manifest::encode_path;
///
/// assert_eq!(encode_path("assets/app@2x.png"), "assets/app%402x.png");
/// assert_eq!(encode_path("é/x(1).js"), "%C3%A9/x(1).js");
/// ```
#[must_use]
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b == b'/' || unreserved(b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes strictly: a `%` not followed by two hex digits is an error, and so is
/// a result that is not UTF-8. An encoded `/` (`%2F`) is refused, since it would change how the
/// name splits into segments.
///
/// # Errors
/// [`ManifestError::InvalidName`].
pub fn decode_path(name: &str) -> Result<String, ManifestError> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_val);
            let lo = bytes.get(i + 2).copied().and_then(hex_val);
            match (hi, lo) {
                (Some(h), Some(l)) => {
                    let v = h << 4 | l;
                    if v == b'/' {
                        return Err(ManifestError::invalid(name, "encoded '/' (%2F)"));
                    }
                    out.push(v);
                    i += 3;
                }
                _ => return Err(ManifestError::invalid(name, "invalid percent-encoding")),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ManifestError::invalid(name, "not UTF-8 after percent-decoding"))
}

/// Checks a decoded relative path against `spec/v2.md` 9.2: not empty, not absolute, no
/// empty, `.` or `..` segment, no backslash, NUL or other control character, no `:` (drive
/// letters such as `C:` and NTFS alternate streams), no trailing `/`.
///
/// `shown` is the name as received, for the error message.
///
/// # Errors
/// [`ManifestError::InvalidName`] naming the rule.
pub fn check_relative_path(path: &str, shown: &str) -> Result<(), ManifestError> {
    if path.is_empty() {
        return Err(ManifestError::invalid(shown, "empty name"));
    }
    if path.starts_with('/') {
        return Err(ManifestError::invalid(shown, "absolute path"));
    }
    if path.contains('\\') {
        return Err(ManifestError::invalid(shown, "backslash"));
    }
    if path.contains('\0') {
        return Err(ManifestError::invalid(shown, "NUL byte"));
    }
    if path.chars().any(char::is_control) {
        return Err(ManifestError::invalid(shown, "control character"));
    }
    if path.contains(':') {
        return Err(ManifestError::invalid(
            shown,
            "':' (drive letter or alternate data stream)",
        ));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(ManifestError::invalid(shown, "empty path segment")),
            "." | ".." => return Err(ManifestError::invalid(shown, "'.' or '..' segment")),
            _ => {}
        }
    }
    Ok(())
}

/// The key two names are compared by for duplicates: case-folded, so that `A.js` and `a.js`
/// (one file on macOS, iOS and Windows) count as the same name.
pub(crate) fn fold(path: &str) -> String {
    path.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_encode_uri_component() {
        // Values from Node: encodeURIComponent on each segment.
        assert_eq!(encode_path("a b"), "a%20b");
        assert_eq!(encode_path("x+y&z=1?#"), "x%2By%26z%3D1%3F%23");
        assert_eq!(encode_path("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(encode_path("日本.js"), "%E6%97%A5%E6%9C%AC.js");
        assert_eq!(encode_path("a/b/c.js.br"), "a/b/c.js.br");
    }

    #[test]
    fn decode_is_strict_and_inverts_encode() {
        for p in ["a b/c", "日本/x+y.js", "%/@", "plain/path.js"] {
            assert_eq!(decode_path(&encode_path(p)).unwrap(), p);
        }
        assert!(decode_path("a%2").is_err());
        assert!(decode_path("a%zz").is_err());
        assert!(decode_path("a%2Fb").is_err());
        assert!(decode_path("%FF").is_err());
        assert_eq!(decode_path("a%2fx").ok(), None);
    }

    #[test]
    fn unsafe_paths_are_rejected() {
        for bad in [
            "",
            "/etc/x",
            "../x",
            "a/../../x",
            "a//b",
            "a/",
            "./a",
            "a/.",
            "C:\\x",
            "C:x",
            "a\\b",
            "a\0b",
            "a\nb",
        ] {
            assert!(check_relative_path(bad, bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b.js", "assets/x.y.z", "..a", "a..", ".well-known/x"] {
            check_relative_path(good, good).unwrap();
        }
    }
}
