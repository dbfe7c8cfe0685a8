//! What each version of the device plugin, `@capgo/capacitor-updater`, does with a V2 bundle:
//! the one home of the plugin's behaviour (`spec/v2.md` section 12).
//!
//! otaseal's own verifier is strict and version-free: it accepts a signed checksum in either
//! form and an empty plaintext. A device is not: its plugin version decides which one form of
//! signed checksum it can read and whether it refuses empty decrypted data, and a bundle that
//! otaseal calls "verified" can still be rolled back by every device of the app. [`DeviceRules`]
//! says what one plugin version does, so that a producer writes the form the app reads and a
//! verifier judges exactly as that version.
//!
//! The rules are read from the plugin's Android sources as published on npm, file
//! `android/src/main/java/ee/forgr/capacitor_updater/CryptoCipher.java`, and its git history
//! (tags and commits named below):
//!
//! | plugin versions | signed checksum read (bundle and delta) | empty decrypted data |
//! |---|---|---|
//! | 5.x below 5.30.0, 6.x below 6.30.0, 7.x below 7.30.0 | base64 only | accepted |
//! | 5.30.0 and up, 6.30.0 up to 6.51.14, 7.30.0 up to 7.51.13, 8.0.0 up to 8.51.13 | hex only | accepted |
//! | 6.51.15 and up, 7.51.14 and up, 8.51.14 and up, 9 and later | hex only | refused |
//! | 4.x and older | none: encryption V1 only | - |
//!
//! ```
//! use otaseal_wire::ChecksumFormat;
//! use otaseal_wire::plugin::{DeviceRules, PluginVersion};
//!
//! let v: PluginVersion = "7.25.0".parse()?;
//! let rules = DeviceRules::for_version(v)?;
//! assert_eq!(rules.checksum_format(), ChecksumFormat::Base64);
//! assert!(rules.check_checksum_form(ChecksumFormat::Hex).is_err());
//!
//! let rules = DeviceRules::for_version("8.51.23".parse()?)?;
//! assert_eq!(rules.checksum_format(), ChecksumFormat::Hex);
//! assert!(rules.check_plaintext_len(0).is_err());
//! # Ok::<(), otaseal_wire::plugin::PluginError>(())
//! ```

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use crate::{CAPGO_RSA_BLOCK_LEN, ChecksumFormat};

/// Longest version string accepted, in bytes (the `MAX_LENGTH` of the semver parser that
/// `@capgo/cli` uses).
pub const MAX_VERSION_LEN: usize = 256;

/// A plugin release `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` (Semantic Versioning 2.0.0).
///
/// Parsed as `@capgo/cli` 8.68.1 parses the version it finds (its bundled `@std/semver`
/// `parse`): surrounding white space and one leading `v` are allowed, numbers have no leading
/// zeros, pre-release and build identifiers are `[0-9A-Za-z-]+`. A pre-release sorts before
/// its release, so `7.30.0-rc.1` is older than `7.30.0`. Build metadata is ignored.
///
/// ```
/// use otaseal_wire::plugin::PluginVersion;
///
/// let v: PluginVersion = "v8.0.0-beta.2+sha.1".parse()?;
/// assert_eq!((v.major(), v.minor(), v.patch()), (8, 0, 0));
/// assert!(v.is_prerelease());
/// assert_eq!(v.to_string(), "8.0.0-beta.2");
/// assert!("8.0".parse::<PluginVersion>().is_err());
/// assert!("^8.0.0".parse::<PluginVersion>().is_err());
/// # Ok::<(), otaseal_wire::plugin::PluginError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PluginVersion {
    major: u64,
    minor: u64,
    patch: u64,
    /// The pre-release identifiers without the `-`; empty for a release.
    pre: String,
}

impl PluginVersion {
    /// A release version (no pre-release).
    #[must_use]
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
            pre: String::new(),
        }
    }

    /// The major version.
    #[must_use]
    pub const fn major(&self) -> u64 {
        self.major
    }

    /// The minor version.
    #[must_use]
    pub const fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch version.
    #[must_use]
    pub const fn patch(&self) -> u64 {
        self.patch
    }

    /// `true` for a pre-release such as `8.0.0-beta.1`.
    #[must_use]
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// `true` if this version sorts before the release `major.minor.patch`.
    fn is_before(&self, (major, minor, patch): Release) -> bool {
        let own = (self.major, self.minor, self.patch);
        own < (major, minor, patch) || (own == (major, minor, patch) && self.is_prerelease())
    }

    /// `true` if this version is at or after the first release of its major line in `table`;
    /// `None` if the table has no entry for its major line.
    fn at_or_after(&self, table: &[Release]) -> Option<bool> {
        table
            .iter()
            .find(|r| r.0 == self.major)
            .map(|&r| !self.is_before(r))
    }

    /// Parses a version; see the type's documentation for the grammar.
    ///
    /// # Errors
    /// [`PluginError::Empty`], [`PluginError::TooLong`] or [`PluginError::Syntax`] with the
    /// offset of the first byte that does not fit.
    pub fn parse(s: &str) -> Result<Self, PluginError> {
        if s.len() > MAX_VERSION_LEN {
            return Err(PluginError::TooLong { len: s.len() });
        }
        let lead = s.len() - s.trim_start().len();
        let text = s.trim();
        if text.is_empty() {
            return Err(PluginError::Empty);
        }
        let b = text.as_bytes();
        let mut p = Parser {
            b,
            at: usize::from(b.first() == Some(&b'v')),
            base: lead,
        };
        let major = p.number()?;
        p.expect(b'.')?;
        let minor = p.number()?;
        p.expect(b'.')?;
        let patch = p.number()?;
        let mut pre = String::new();
        if p.peek() == Some(b'-') {
            p.at += 1;
            let start = p.at;
            p.identifiers(true)?;
            pre.push_str(&text[start..p.at]);
        }
        if p.peek() == Some(b'+') {
            p.at += 1;
            p.identifiers(false)?;
        }
        if p.at != b.len() {
            return Err(p.error());
        }
        Ok(Self {
            major,
            minor,
            patch,
            pre,
        })
    }
}

/// A release `(major, minor, patch)` in the rule tables.
type Release = (u64, u64, u64);

/// The hand-written cursor of [`PluginVersion::parse`].
struct Parser<'a> {
    b: &'a [u8],
    at: usize,
    /// Offset of `b` in the caller's string (leading white space), for error offsets.
    base: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn error(&self) -> PluginError {
        PluginError::Syntax {
            offset: self.base + self.at,
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), PluginError> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// `0` or a digit 1-9 followed by digits, fitting a `u64`.
    fn number(&mut self) -> Result<u64, PluginError> {
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            if self.at > start && self.b[start] == b'0' {
                return Err(self.error());
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(c - b'0')))
                .ok_or_else(|| self.error())?;
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error());
        }
        Ok(n)
    }

    /// Dot-separated, non-empty `[0-9A-Za-z-]+` identifiers; numeric ones without leading
    /// zeros when `numeric_rule` (pre-release, not build metadata).
    fn identifiers(&mut self, numeric_rule: bool) -> Result<(), PluginError> {
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'-') {
                self.at += 1;
            }
            let id = &self.b[start..self.at];
            if id.is_empty() {
                return Err(self.error());
            }
            if numeric_rule && id.len() > 1 && id[0] == b'0' && id.iter().all(u8::is_ascii_digit) {
                return Err(PluginError::Syntax {
                    offset: self.base + start,
                });
            }
            if self.peek() != Some(b'.') {
                return Ok(());
            }
            self.at += 1;
        }
    }
}

impl FromStr for PluginVersion {
    type Err = PluginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PluginVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.is_prerelease() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

impl fmt::Debug for PluginVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PluginVersion({self})")
    }
}

/// The first release of each major line whose `CryptoCipher.decryptChecksum` reads the hex
/// form (it tests `^[0-9a-fA-F]+$`, decodes hex and returns the recovered payload as hex). From
/// these versions on, a base64 signed checksum opens to 48 bytes whose hex (96 characters) never
/// equals the 64-character SHA-256 hex, so the base64 form always fails. Before them,
/// `decryptChecksum` base64-decodes the string and returns the payload re-encoded as base64,
/// which matches only for the base64 form's `base64decode(hex)` payload; a hex string decodes to
/// 384 bytes, more than the RSA-2048 block, and fails. Thresholds: the plugin's comment "new
/// format from CLI for plugin versions >= 5.30.0, 6.30.0, 7.30.0" and `@capgo/cli` 8.68.1
/// (`isDeprecatedPluginVersion(v, "5.30.0", "6.30.0", "7.30.0")`); 7.x checked against git tags
/// 7.29.0 (base64) and 7.30.0 (hex, commit 6f10d9ee). Every major line from 8 on reads hex.
const HEX_FORM_SINCE: [Release; 3] = [(5, 30, 0), (6, 30, 0), (7, 30, 0)];

/// The first release of each major line whose `CryptoCipher.decryptAesFile` throws "Empty
/// decrypted data" for a file that decrypts to 0 bytes (bundles and delta files alike). 8.x:
/// commit 34418a49 (#862), first in tag 8.51.14 (8.51.13 lacks it). 7.x: the backport
/// (commit 1a6044ce) sits on 7.51.13, so from 7.51.14 (npm: 7.50.2 lacks it, 7.51.15 has it).
/// 6.x: npm 6.50.2 lacks it, 6.51.15 has it. The 5.x line (last 5.50.2) never got it; every
/// major line from 9 on is taken to have it.
const EMPTY_REFUSED_SINCE: [Release; 3] = [(6, 51, 15), (7, 51, 14), (8, 51, 14)];

/// What one plugin version decides about a V2 bundle or delta file, where that differs from
/// otaseal's version-free strict verifier (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRules {
    version: PluginVersion,
    checksum_format: ChecksumFormat,
    refuses_empty: bool,
}

impl DeviceRules {
    /// The rules of `version`.
    ///
    /// # Errors
    /// [`PluginError::NoEncryptionV2`] for 4.x and older, which know only encryption V1 (their
    /// `CryptoCipher` decrypts the session key with a private key held by the app).
    pub fn for_version(version: PluginVersion) -> Result<Self, PluginError> {
        if version.major <= 4 {
            return Err(PluginError::NoEncryptionV2 { version });
        }
        let hex = version.at_or_after(&HEX_FORM_SINCE).unwrap_or(true);
        let refuses_empty = match version.at_or_after(&EMPTY_REFUSED_SINCE) {
            Some(since) => since,
            None => version.major > 8,
        };
        Ok(Self {
            checksum_format: if hex {
                ChecksumFormat::Hex
            } else {
                ChecksumFormat::Base64
            },
            refuses_empty,
            version,
        })
    }

    /// The plugin version.
    #[must_use]
    pub fn version(&self) -> &PluginVersion {
        &self.version
    }

    /// The one signed-checksum form this version reads, for bundles and delta files alike: the
    /// form a producer must write for it.
    #[must_use]
    pub fn checksum_format(&self) -> ChecksumFormat {
        self.checksum_format
    }

    /// `true` if this version refuses a bundle or delta file that decrypts to 0 bytes.
    #[must_use]
    pub fn refuses_empty(&self) -> bool {
        self.refuses_empty
    }

    /// Checks that this version reads a signed checksum of the form `found`.
    ///
    /// # Errors
    /// [`DeviceRefusal::ChecksumForm`].
    pub fn check_checksum_form(&self, found: ChecksumFormat) -> Result<(), DeviceRefusal> {
        if found == self.checksum_format {
            Ok(())
        } else {
            Err(DeviceRefusal::ChecksumForm {
                version: self.version.clone(),
                reads: self.checksum_format,
                found,
            })
        }
    }

    /// Checks the length of an RSA block (signed checksum): `decryptChecksum` of every
    /// version reads RSA-2048 blocks only (5.43.3, 6.42.9, 7.42.9, 8.41.12 and later say so
    /// explicitly: "checksumBytes.length != 256"; older ones fail to open a longer block with
    /// the app's 2048-bit key).
    ///
    /// # Errors
    /// [`DeviceRefusal::RsaBlockLen`].
    pub fn check_rsa_block_len(&self, len: usize) -> Result<(), DeviceRefusal> {
        if len == CAPGO_RSA_BLOCK_LEN {
            Ok(())
        } else {
            Err(DeviceRefusal::RsaBlockLen {
                version: self.version.clone(),
                len,
            })
        }
    }

    /// Checks the length of a verified plaintext (a bundle, or a delta file as stored, before
    /// Brotli decompression).
    ///
    /// # Errors
    /// [`DeviceRefusal::EmptyData`] for 0 bytes on a version that refuses it.
    pub fn check_plaintext_len(&self, len: u64) -> Result<(), DeviceRefusal> {
        if len == 0 && self.refuses_empty {
            Err(DeviceRefusal::EmptyData {
                version: self.version.clone(),
            })
        } else {
            Ok(())
        }
    }
}

/// A plugin version would refuse the input: it names the version and the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceRefusal {
    /// The signed checksum is in the form this version cannot read.
    ChecksumForm {
        /// The plugin version.
        version: PluginVersion,
        /// The one form it reads.
        reads: ChecksumFormat,
        /// The form found.
        found: ChecksumFormat,
    },
    /// The signed checksum's RSA block is not 256 bytes (the app's key is not RSA-2048).
    RsaBlockLen {
        /// The plugin version.
        version: PluginVersion,
        /// The block length found, in bytes.
        len: usize,
    },
    /// The data decrypts to 0 bytes, which this version refuses.
    EmptyData {
        /// The plugin version.
        version: PluginVersion,
    },
}

impl fmt::Display for DeviceRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceRefusal::ChecksumForm {
                version,
                reads,
                found,
            } => {
                let range = match reads {
                    ChecksumFormat::Base64 => "below 5.30.0 / 6.30.0 / 7.30.0",
                    _ => "from 5.30.0 / 6.30.0 / 7.30.0 and all of 8.x",
                };
                write!(
                    f,
                    "plugin {version} reads only {reads} signed checksums (CryptoCipher.decryptChecksum, plugin versions {range}); this one is {found}: every device on it would refuse the update"
                )
            }
            DeviceRefusal::RsaBlockLen { version, len } => write!(
                f,
                "plugin {version} reads only 256-byte (RSA-2048) signed checksums (CryptoCipher.decryptChecksum); this one is {len} bytes"
            ),
            DeviceRefusal::EmptyData { version } => write!(
                f,
                "plugin {version} refuses data that decrypts to 0 bytes (CryptoCipher.decryptAesFile: \"Empty decrypted data\", from 6.51.15 / 7.51.14 / 8.51.14)"
            ),
        }
    }
}

impl core::error::Error for DeviceRefusal {}

/// A plugin version string was rejected, or names a version otaseal cannot serve.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginError {
    /// The string is empty.
    Empty,
    /// The string is longer than [`MAX_VERSION_LEN`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// Not `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
    Syntax {
        /// Byte offset of the first character that does not fit.
        offset: usize,
    },
    /// The version knows only encryption V1: it cannot install V2 bundles at all.
    NoEncryptionV2 {
        /// The version.
        version: PluginVersion,
    },
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginError::Empty => f.write_str("plugin version is empty"),
            PluginError::TooLong { len } => write!(
                f,
                "plugin version is {len} bytes long, more than the limit of {MAX_VERSION_LEN}"
            ),
            PluginError::Syntax { offset } => write!(
                f,
                "plugin version is not MAJOR.MINOR.PATCH[-PRERELEASE] (bad character at byte {offset})"
            ),
            PluginError::NoEncryptionV2 { version } => write!(
                f,
                "plugin {version} knows only encryption V1 (4.x and older): it cannot install V2 bundles"
            ),
        }
    }
}

impl core::error::Error for PluginError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use test_case::test_case;

    fn rules(v: &str) -> DeviceRules {
        DeviceRules::for_version(v.parse().unwrap()).unwrap()
    }

    // One row per threshold of the module table, both sides of it.
    #[test_case("5.29.9", ChecksumFormat::Base64, false)]
    #[test_case("5.30.0", ChecksumFormat::Hex, false)]
    #[test_case("5.50.2", ChecksumFormat::Hex, false)]
    #[test_case("6.29.0", ChecksumFormat::Base64, false)]
    #[test_case("6.30.0", ChecksumFormat::Hex, false)]
    #[test_case("6.51.14", ChecksumFormat::Hex, false)]
    #[test_case("6.51.15", ChecksumFormat::Hex, true)]
    #[test_case("7.25.0", ChecksumFormat::Base64, false)]
    #[test_case("7.29.99", ChecksumFormat::Base64, false)]
    #[test_case("7.30.0-rc.1", ChecksumFormat::Base64, false)]
    #[test_case("7.30.0", ChecksumFormat::Hex, false)]
    #[test_case("7.51.13", ChecksumFormat::Hex, false)]
    #[test_case("7.51.14", ChecksumFormat::Hex, true)]
    #[test_case("8.0.0", ChecksumFormat::Hex, false)]
    #[test_case("8.51.13", ChecksumFormat::Hex, false)]
    #[test_case("8.51.14-beta.1", ChecksumFormat::Hex, false)]
    #[test_case("8.51.14", ChecksumFormat::Hex, true)]
    #[test_case("8.51.23", ChecksumFormat::Hex, true)]
    #[test_case("9.0.0", ChecksumFormat::Hex, true)]
    fn rules_of_each_line(v: &str, form: ChecksumFormat, refuses_empty: bool) {
        let r = rules(v);
        assert_eq!(r.checksum_format(), form, "{v}");
        assert_eq!(r.refuses_empty(), refuses_empty, "{v}");
        assert!(r.check_checksum_form(form).is_ok());
        let other = match form {
            ChecksumFormat::Hex => ChecksumFormat::Base64,
            _ => ChecksumFormat::Hex,
        };
        assert!(matches!(
            r.check_checksum_form(other),
            Err(DeviceRefusal::ChecksumForm { found, .. }) if found == other
        ));
        assert_eq!(r.check_plaintext_len(0).is_err(), refuses_empty);
        assert!(r.check_plaintext_len(1).is_ok());
        assert!(r.check_rsa_block_len(256).is_ok());
        assert!(r.check_rsa_block_len(384).is_err());
    }

    #[test_case("4.61.11")]
    #[test_case("0.0.1")]
    fn v1_only_lines_are_refused(v: &str) {
        assert!(matches!(
            DeviceRules::for_version(v.parse().unwrap()),
            Err(PluginError::NoEncryptionV2 { .. })
        ));
    }

    #[test_case("8.51.23", "8.51.23")]
    #[test_case(" v7.25.0\n", "7.25.0")]
    #[test_case("1.2.3-alpha.0.x-y+build.007", "1.2.3-alpha.0.x-y")]
    #[test_case("0.0.0", "0.0.0")]
    fn parses(s: &str, shown: &str) {
        assert_eq!(PluginVersion::parse(s).unwrap().to_string(), shown);
    }

    #[test_case("", PluginError::Empty)]
    #[test_case("   ", PluginError::Empty)]
    #[test_case("8", PluginError::Syntax { offset: 1 })]
    #[test_case("8.0", PluginError::Syntax { offset: 3 })]
    #[test_case("^8.0.0", PluginError::Syntax { offset: 0 })]
    #[test_case("08.0.0", PluginError::Syntax { offset: 1 })]
    #[test_case("8.0.0-", PluginError::Syntax { offset: 6 })]
    #[test_case("8.0.0-01", PluginError::Syntax { offset: 6 })]
    #[test_case("8.0.0-a..b", PluginError::Syntax { offset: 8 })]
    #[test_case("8.0.0+", PluginError::Syntax { offset: 6 })]
    #[test_case("8.0.0 x", PluginError::Syntax { offset: 5 })]
    #[test_case("vv8.0.0", PluginError::Syntax { offset: 1 })]
    #[test_case("18446744073709551616.0.0", PluginError::Syntax { offset: 19 })]
    #[test_case(" 1.x.0", PluginError::Syntax { offset: 3 })]
    fn rejects(s: &str, e: PluginError) {
        assert_eq!(PluginVersion::parse(s), Err(e));
    }

    #[test]
    fn too_long_is_refused_before_parsing() {
        let s = "1".repeat(MAX_VERSION_LEN + 1);
        assert_eq!(
            PluginVersion::parse(&s),
            Err(PluginError::TooLong {
                len: MAX_VERSION_LEN + 1
            })
        );
    }

    #[test]
    fn refusals_name_version_and_rule() {
        let r = rules("8.51.23");
        let e = r.check_checksum_form(ChecksumFormat::Base64).unwrap_err();
        assert!(e.to_string().starts_with(
            "plugin 8.51.23 reads only hex signed checksums (CryptoCipher.decryptChecksum"
        ));
        let e = r.check_plaintext_len(0).unwrap_err();
        assert!(e.to_string().contains("Empty decrypted data"));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_display_round_trips(s in "\\PC{0,40}") {
            if let Ok(v) = PluginVersion::parse(&s) {
                proptest::prop_assert_eq!(PluginVersion::parse(&v.to_string()), Ok(v));
            }
        }

        #[test]
        fn release_triples_round_trip(a in 0u64..100_000, b in 0u64..1000, c in 0u64..1000) {
            let v = PluginVersion::new(a, b, c);
            proptest::prop_assert_eq!(PluginVersion::parse(&v.to_string()), Ok(v));
        }
    }
}
