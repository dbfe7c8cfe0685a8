//! Delta-manifest entries and their file names (`spec/v2.md` section 9): the only home of the
//! name rules. The producer (`otaseal-manifest`'s `create`), the device side (its `apply`) and
//! the protocol validator (`otaseal-protocol`) all call these functions, so that a name one of
//! them accepts is accepted by all.
//!
//! A manifest entry's `file_name` is the file's relative path, plus [`BROTLI_SUFFIX`] when the
//! stored content is Brotli-compressed, with each `/`-separated segment percent-encoded as
//! JavaScript's `encodeURIComponent` does ([`encode_name`]). A verifier decodes it strictly
//! ([`decode_name`]), checks that the result is a safe relative path ([`check_path`]) and
//! refuses two entries that name one file ([`NameSet`]): names are compared after Unicode NFC
//! normalisation and lower-casing ([`same_file_key`]), as APFS, HFS+ and NTFS compare them, and
//! a file may not also be another entry's folder.
//!
//! ```
//! use otaseal_wire::manifest::{EntryName, NameSet, encode_name};
//! use otaseal_wire::Limits;
//!
//! let l = Limits::default();
//! assert_eq!(encode_name("assets/app main.js.br"), "assets/app%20main.js.br");
//! let name = EntryName::parse("assets/app%20main.js.br", &l)?;
//! assert_eq!(name.target(), "assets/app main.js");
//! assert!(name.is_brotli());
//!
//! let mut seen = NameSet::new();
//! seen.insert(&EntryName::parse("%C3%A9.txt", &l)?)?; // "é" in NFC
//! // "é" in NFD, and an upper-case twin, are the same file on a phone's file system.
//! assert!(seen.insert(&EntryName::parse("e%CC%81.txt", &l)?).is_err());
//! assert!(seen.insert(&EntryName::parse("%C3%89.TXT", &l)?).is_err());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use unicode_normalization::UnicodeNormalization;

use crate::{Limit, LimitExceeded, Limits};

/// The suffix of a stored name whose content is Brotli-compressed (`spec/v2.md` 9.1 step 2).
pub const BROTLI_SUFFIX: &str = ".br";

/// One entry of a delta manifest, as it travels in the update response's `manifest` array and
/// in `manifest.json` (`spec/v2.md` section 9).
///
/// The strings are as received; [`EntryName::parse`] checks `file_name`, and
/// `SignedChecksum::parse` (or, for an unencrypted bundle, `Sha256Checksum`) reads `file_hash`.
///
/// ```
/// use otaseal_wire::manifest::ManifestEntry;
///
/// let e = ManifestEntry::new("assets/app.js.br", "ab".repeat(256), "https://cdn.example/f/1");
/// assert_eq!(e.file_name, "assets/app.js.br");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ManifestEntry {
    /// The stored name: the relative path, plus `.br` when Brotli-compressed, each segment
    /// percent-encoded. Not signed.
    pub file_name: String,
    /// The file's checksum: signed like the bundle's (hex or base64 form), or the plain
    /// SHA-256 hex of an unencrypted bundle.
    pub file_hash: String,
    /// Where the device downloads the (encrypted) file.
    pub download_url: String,
}

impl ManifestEntry {
    /// An entry of an encrypted bundle, with its signed checksum in its form.
    #[must_use]
    pub fn signed(
        file_name: impl Into<String>,
        file_hash: &crate::SignedChecksum,
        download_url: impl Into<String>,
    ) -> Self {
        Self::new(file_name, file_hash.to_string(), download_url)
    }

    /// `file_hash` as a signed checksum ([`SignedChecksum::parse`](crate::SignedChecksum::parse)).
    ///
    /// # Errors
    /// [`WireError`](crate::WireError) if it is not a signed checksum.
    pub fn signed_file_hash(
        &self,
        limits: &Limits,
    ) -> Result<crate::SignedChecksum, crate::WireError> {
        crate::SignedChecksum::parse(&self.file_hash, limits)
    }

    /// An entry from its three fields.
    #[must_use]
    pub fn new(
        file_name: impl Into<String>,
        file_hash: impl Into<String>,
        download_url: impl Into<String>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            file_hash: file_hash.into(),
            download_url: download_url.into(),
        }
    }
}

/// Why a manifest file name was refused (`spec/v2.md` 9.2). Each variant is one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameError {
    /// The name is longer than `Limits::max_path_len` bytes.
    TooLong(LimitExceeded),
    /// The name (or its path without `.br`) is empty.
    Empty,
    /// A `%` not followed by two hex digits.
    BadPercentEncoding,
    /// An encoded `/` (`%2F`), which would change how the name splits into segments.
    EncodedSlash,
    /// The bytes after percent-decoding are not UTF-8.
    NotUtf8,
    /// The path starts with `/`.
    Absolute,
    /// The path contains a backslash (a separator on Windows).
    Backslash,
    /// The path contains a NUL byte.
    Nul,
    /// The path contains another control character.
    ControlCharacter,
    /// The path contains `:` (a drive letter such as `C:`, or an NTFS alternate data stream).
    Colon,
    /// An empty path segment (`a//b`, a trailing `/`).
    EmptySegment,
    /// A `.` or `..` segment.
    DotSegment,
}

impl NameError {
    /// The rule broken, as a short phrase ("is an absolute path").
    #[must_use]
    pub const fn reason(&self) -> &'static str {
        match self {
            NameError::TooLong(_) => "is longer than the path length limit",
            NameError::Empty => "is empty",
            NameError::BadPercentEncoding => "has a '%' not followed by two hex digits",
            NameError::EncodedSlash => "has an encoded '/' (%2F)",
            NameError::NotUtf8 => "is not UTF-8 after percent-decoding",
            NameError::Absolute => "is an absolute path",
            NameError::Backslash => "contains a backslash",
            NameError::Nul => "contains a NUL byte",
            NameError::ControlCharacter => "contains a control character",
            NameError::Colon => "contains ':' (a drive letter or an alternate data stream)",
            NameError::EmptySegment => "has an empty path segment",
            NameError::DotSegment => "has a '.' or '..' segment",
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::TooLong(e) => write!(f, "is too long: {e}"),
            other => f.write_str(other.reason()),
        }
    }
}

impl core::error::Error for NameError {}

/// The bytes `encodeURIComponent` escapes: everything but ASCII letters, digits and
/// `-_.!~*'()` (ECMA-262 "uriUnreserved" and marks). `/` is kept too, as the segment separator:
/// Capgo's `encodePathSegments` encodes each segment and joins them with `/`.
const ENCODE_URI_COMPONENT_PER_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'/');

/// Percent-encodes each `/`-separated segment of `path` as `encodeURIComponent` does (upper-case
/// hex of the UTF-8 bytes), keeping the `/` separators: Capgo's `encodePathSegments`
/// (`spec/v2.md` 9.1 step 4).
///
/// ```
/// use otaseal_wire::manifest::encode_name;
///
/// assert_eq!(encode_name("assets/app@2x.png"), "assets/app%402x.png");
/// assert_eq!(encode_name("é/x(1).js"), "%C3%A9/x(1).js");
/// ```
#[must_use]
pub fn encode_name(path: &str) -> String {
    utf8_percent_encode(path, ENCODE_URI_COMPONENT_PER_SEGMENT).collect()
}

/// Decodes `%XX` escapes strictly: a `%` not followed by two hex digits is an error, and so are
/// an encoded `/` and a result that is not UTF-8.
///
/// # Errors
/// [`NameError::BadPercentEncoding`], [`NameError::EncodedSlash`], [`NameError::NotUtf8`].
pub fn decode_name(name: &str) -> Result<String, NameError> {
    // percent-encoding passes a malformed escape through unchanged; the rule here is stricter,
    // so the escapes are checked first.
    let bytes = name.as_bytes();
    for (i, _) in bytes.iter().enumerate().filter(|&(_, &b)| b == b'%') {
        match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                if *h == b'2' && l.eq_ignore_ascii_case(&b'f') {
                    return Err(NameError::EncodedSlash);
                }
            }
            _ => return Err(NameError::BadPercentEncoding),
        }
    }
    percent_decode_str(name)
        .decode_utf8()
        .map(alloc::borrow::Cow::into_owned)
        .map_err(|_| NameError::NotUtf8)
}

/// Checks a decoded relative path against `spec/v2.md` 9.2: not empty, not absolute, no
/// backslash, NUL or other control character, no `:`, no empty, `.` or `..` segment (so no
/// trailing `/` either).
///
/// # Errors
/// The [`NameError`] of the first rule broken.
pub fn check_path(path: &str) -> Result<(), NameError> {
    if path.is_empty() {
        return Err(NameError::Empty);
    }
    if path.starts_with('/') {
        return Err(NameError::Absolute);
    }
    if path.contains('\\') {
        return Err(NameError::Backslash);
    }
    if path.contains('\0') {
        return Err(NameError::Nul);
    }
    if path.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    if path.contains(':') {
        return Err(NameError::Colon);
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(NameError::EmptySegment),
            "." | ".." => return Err(NameError::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

/// A checked manifest file name: where the encrypted file is stored, and the path its
/// plaintext is written to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntryName {
    stored: String,
    target: String,
    brotli: bool,
}

impl EntryName {
    /// Reads an entry's `file_name` (`spec/v2.md` 9.2): at most `limits.max_path_len` bytes,
    /// strictly percent-decoded, and both the stored name and the target (the stored name
    /// without `.br`) safe relative paths.
    ///
    /// # Errors
    /// The [`NameError`] of the first rule broken.
    pub fn parse(file_name: &str, limits: &Limits) -> Result<Self, NameError> {
        limits
            .check(Limit::PathLen, file_name.len() as u64)
            .map_err(NameError::TooLong)?;
        let stored = decode_name(file_name)?;
        check_path(&stored)?;
        let (target, brotli) = match stored.strip_suffix(BROTLI_SUFFIX) {
            Some(t) => (t.to_owned(), true),
            None => (stored.clone(), false),
        };
        check_path(&target)?;
        Ok(Self {
            stored,
            target,
            brotli,
        })
    }

    /// The name of a source file at `path` (a relative, `/`-separated path), stored
    /// Brotli-compressed or not, and its encoded `file_name`.
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn for_path(
        path: &str,
        brotli: bool,
        limits: &Limits,
    ) -> Result<(Self, String), NameError> {
        let stored = if brotli {
            let mut s = String::with_capacity(path.len() + BROTLI_SUFFIX.len());
            s.push_str(path);
            s.push_str(BROTLI_SUFFIX);
            s
        } else {
            path.to_owned()
        };
        let file_name = encode_name(&stored);
        let name = Self::parse(&file_name, limits)?;
        Ok((name, file_name))
    }

    /// The decoded stored name: where the encrypted file is found.
    #[must_use]
    pub fn stored(&self) -> &str {
        &self.stored
    }

    /// The path the original file is written to: the stored name without `.br`.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the stored content is Brotli-compressed.
    #[must_use]
    pub fn is_brotli(&self) -> bool {
        self.brotli
    }
}

/// The key two paths are compared by: Unicode NFC, then lower case, then NFC again (lower-casing
/// can leave a string unnormalised). `%C3%A9.txt` (é, NFC), `e%CC%81.txt` (e + combining acute,
/// NFD) and `%C3%89.TXT` are one file on APFS and HFS+ (and the last two on NTFS), so they get
/// one key.
#[must_use]
pub fn same_file_key(path: &str) -> String {
    let nfc: String = path.nfc().collect();
    nfc.to_lowercase().nfc().collect()
}

/// Two manifest entries name one file (`spec/v2.md` 9.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Duplicate {
    /// Both are the same file once normalised and lower-cased.
    SameFile {
        /// The target path seen first.
        first: String,
    },
    /// One entry's file is a folder of the other (`a.js` and `a.js/x`).
    FileIsFolder {
        /// The path of the entry that is also used as a folder (or holds one).
        other: String,
    },
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Duplicate::SameFile { first } => write!(
                f,
                "names the same file as {first:?} (names are compared after Unicode NFC normalisation, ignoring letter case)"
            ),
            Duplicate::FileIsFolder { other } => {
                write!(f, "uses {other:?} both as a file and as a folder")
            }
        }
    }
}

impl core::error::Error for Duplicate {}

/// The target paths seen so far, to refuse two entries that name one file.
#[derive(Clone, Debug, Default)]
pub struct NameSet {
    /// Key of each file -> its path as first seen.
    files: BTreeMap<String, String>,
    /// Key of each folder a file needs -> the path of the first file that needs it.
    folders: BTreeMap<String, String>,
}

impl NameSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry's target path.
    ///
    /// # Errors
    /// [`Duplicate`] if it names a file already in the set, is a folder of one, or has one as
    /// a folder; the set is unchanged then.
    pub fn insert(&mut self, name: &EntryName) -> Result<(), Duplicate> {
        self.insert_path(name.target())
    }

    /// Adds a checked relative path (a target path, or a source file's path).
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_path(&mut self, path: &str) -> Result<(), Duplicate> {
        let key = same_file_key(path);
        if let Some(first) = self.files.get(&key) {
            return Err(Duplicate::SameFile {
                first: first.clone(),
            });
        }
        if let Some(other) = self.folders.get(&key) {
            return Err(Duplicate::FileIsFolder {
                other: other.clone(),
            });
        }
        let folders: Vec<&str> = key
            .match_indices('/')
            .filter_map(|(i, _)| key.get(..i))
            .collect();
        if let Some(other) = folders.iter().find_map(|f| self.files.get(*f)) {
            return Err(Duplicate::FileIsFolder {
                other: other.clone(),
            });
        }
        for f in folders {
            self.folders
                .entry(f.to_owned())
                .or_insert_with(|| path.to_owned());
        }
        self.files.insert(key, path.to_owned());
        Ok(())
    }

    /// Number of paths in the set.
    #[must_use]
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// `true` if the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const L: Limits = Limits::DEFAULT;

    #[test]
    fn encode_matches_encode_uri_component() {
        // Values from Node: encodeURIComponent on each segment.
        assert_eq!(encode_name("a b"), "a%20b");
        assert_eq!(encode_name("x+y&z=1?#"), "x%2By%26z%3D1%3F%23");
        assert_eq!(encode_name("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(encode_name("日本.js"), "%E6%97%A5%E6%9C%AC.js");
        assert_eq!(encode_name("a/b/c.js.br"), "a/b/c.js.br");
        assert_eq!(encode_name("%"), "%25");
        assert_eq!(encode_name("a:b\\c"), "a%3Ab%5Cc");
    }

    #[test]
    fn decode_is_strict_and_inverts_encode() {
        for p in ["a b/c", "日本/x+y.js", "%/@", "plain/path.js"] {
            assert_eq!(decode_name(&encode_name(p)).as_deref(), Ok(p));
        }
        assert_eq!(decode_name("a%2"), Err(NameError::BadPercentEncoding));
        assert_eq!(decode_name("a%zz"), Err(NameError::BadPercentEncoding));
        assert_eq!(decode_name("a%"), Err(NameError::BadPercentEncoding));
        assert_eq!(decode_name("x%2Fy"), Err(NameError::EncodedSlash));
        assert_eq!(decode_name("x%2fy"), Err(NameError::EncodedSlash));
        assert_eq!(decode_name("%FF"), Err(NameError::NotUtf8));
        assert_eq!(decode_name("%C3%A9").as_deref(), Ok("é"));
    }

    #[test]
    fn each_rule_has_a_case() {
        for (name, err) in [
            ("", NameError::Empty),
            ("/etc/x", NameError::Absolute),
            ("%2Fetc", NameError::EncodedSlash),
            ("../x", NameError::DotSegment),
            ("a/%2E%2E/b", NameError::DotSegment),
            ("./a", NameError::DotSegment),
            ("a/.", NameError::DotSegment),
            ("a//b", NameError::EmptySegment),
            ("a/", NameError::EmptySegment),
            ("a\\b", NameError::Backslash),
            ("a%5Cb", NameError::Backslash),
            ("a%00b", NameError::Nul),
            ("a%07b", NameError::ControlCharacter),
            ("a%0Ab", NameError::ControlCharacter),
            ("C:evil", NameError::Colon),
            ("C%3A%5Cx", NameError::Backslash),
            ("a%C2%85b", NameError::ControlCharacter),
            (".br", NameError::Empty),
            ("x/.br", NameError::EmptySegment),
        ] {
            assert_eq!(EntryName::parse(name, &L), Err(err), "{name:?}");
        }
        for good in [
            "a",
            "a/b.js",
            "assets/x.y.z",
            "..a",
            "a..",
            ".well-known/x",
            "a.br",
        ] {
            assert!(EntryName::parse(good, &L).is_ok(), "{good:?}");
        }
        let long = "a".repeat(L.max_path_len + 1);
        assert!(matches!(
            EntryName::parse(&long, &L),
            Err(NameError::TooLong(_))
        ));
    }

    #[test]
    fn brotli_names() {
        let n = EntryName::parse("a/b.js.br", &L).unwrap();
        assert_eq!(
            (n.stored(), n.target(), n.is_brotli()),
            ("a/b.js.br", "a/b.js", true)
        );
        let (n, file_name) = EntryName::for_path("x y/é.js", true, &L).unwrap();
        assert_eq!(file_name, "x%20y/%C3%A9.js.br");
        assert_eq!(n.target(), "x y/é.js");
    }

    #[test]
    fn duplicates_after_normalisation_and_case_folding() {
        let mut set = NameSet::new();
        let p = |s: &str| EntryName::parse(s, &L).unwrap();
        set.insert(&p("%C3%A9.txt")).unwrap();
        assert_eq!(
            set.insert(&p("e%CC%81.txt")),
            Err(Duplicate::SameFile {
                first: "é".to_owned() + ".txt"
            })
        );
        assert!(set.insert(&p("%C3%89.TXT")).is_err());
        set.insert(&p("A/b.js")).unwrap();
        assert!(set.insert(&p("a/B.JS")).is_err());
        // a .br twin is the same target.
        set.insert(&p("c.js")).unwrap();
        assert!(set.insert(&p("c.js.br")).is_err());
        // file and folder.
        assert!(matches!(
            set.insert(&p("a")),
            Err(Duplicate::FileIsFolder { .. })
        ));
        assert!(matches!(
            set.insert(&p("c.js/x")),
            Err(Duplicate::FileIsFolder { .. })
        ));
        set.insert(&p("a/c/d")).unwrap();
        assert_eq!(set.len(), 4);
        // Error messages name the first path.
        let e = set.insert(&p("A/C/D")).unwrap_err();
        assert!(format!("{e}").contains("\"a/c/d\""), "{e}");
    }
}
