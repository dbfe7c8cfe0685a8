/// Upper bounds that every otaseal parser checks **before** it allocates or decrypts.
///
/// The defaults are conservative and documented in `spec/limits.md`. A caller that needs
/// larger bundles raises a field:
///
/// ```
/// use otaseal_wire::Limits;
///
/// let mut limits = Limits::default();
/// limits.max_bundle_len = 4 << 30; // 4 GiB
/// assert_eq!(limits.max_rsa_block_len, 512);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest RSA block (modulus length) accepted, in bytes. Default 512 (RSA-4096).
    pub max_rsa_block_len: usize,
    /// Largest bundle (plaintext or ciphertext), in bytes. Default 1 GiB.
    pub max_bundle_len: u64,
    /// Largest key file (PEM or DER), in bytes. Default 64 KiB.
    pub max_key_file_len: usize,
    /// Largest JSON document (protocol message, manifest, config), in bytes. Default 8 MiB.
    pub max_json_len: usize,
    /// Largest single string field in a protocol message, in bytes. Default 4096.
    pub max_field_len: usize,
    /// Most entries in a delta manifest. Default 100 000.
    pub max_manifest_entries: usize,
    /// Largest total size of all files of a delta manifest, in bytes. Default 1 GiB.
    pub max_manifest_total_len: u64,
    /// Longest relative path in a delta manifest, in bytes. Default 1024.
    pub max_path_len: usize,
}

impl Limits {
    /// The default limits, usable in `const` context.
    pub const DEFAULT: Limits = Limits {
        max_rsa_block_len: 512,
        max_bundle_len: 1 << 30,
        max_key_file_len: 64 << 10,
        max_json_len: 8 << 20,
        max_field_len: 4096,
        max_manifest_entries: 100_000,
        max_manifest_total_len: 1 << 30,
        max_path_len: 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One field of [`Limits`], named in a [`LimitExceeded`] error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_rsa_block_len`].
    RsaBlockLen,
    /// [`Limits::max_bundle_len`].
    BundleLen,
    /// [`Limits::max_key_file_len`].
    KeyFileLen,
    /// [`Limits::max_json_len`].
    JsonLen,
    /// [`Limits::max_field_len`].
    FieldLen,
    /// [`Limits::max_manifest_entries`].
    ManifestEntries,
    /// [`Limits::max_manifest_total_len`].
    ManifestTotalLen,
    /// [`Limits::max_path_len`].
    PathLen,
}

impl Limit {
    /// What the limit bounds, as a noun phrase ("a bundle", "a JSON document").
    #[must_use]
    pub const fn what(self) -> &'static str {
        match self {
            Limit::RsaBlockLen => "an RSA block",
            Limit::BundleLen => "a bundle",
            Limit::KeyFileLen => "a key file",
            Limit::JsonLen => "a JSON document",
            Limit::FieldLen => "a string field",
            Limit::ManifestEntries => "a delta manifest",
            Limit::ManifestTotalLen => "the files of a delta manifest",
            Limit::PathLen => "a file path",
        }
    }

    /// The unit of the limit: `"bytes"`, or `"entries"` for [`Limit::ManifestEntries`].
    #[must_use]
    pub const fn unit(self) -> &'static str {
        match self {
            Limit::ManifestEntries => "entries",
            _ => "bytes",
        }
    }
}

/// A size is over a [`Limits`] field: checked before any work is done on the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LimitExceeded {
    /// Which limit.
    pub limit: Limit,
    /// The size found (at least `max + 1`; for streams, what was read when the limit was hit).
    pub len: u64,
    /// The limit.
    pub max: u64,
}

impl core::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let unit = self.limit.unit();
        write!(
            f,
            "{} of {} {unit} is more than the limit of {} {unit}",
            self.limit.what(),
            self.len,
            self.max
        )
    }
}

impl core::error::Error for LimitExceeded {}

impl Limits {
    /// The value of one limit, as `u64`.
    #[must_use]
    pub fn max(&self, limit: Limit) -> u64 {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        match limit {
            Limit::RsaBlockLen => as_u64(self.max_rsa_block_len),
            Limit::BundleLen => self.max_bundle_len,
            Limit::KeyFileLen => as_u64(self.max_key_file_len),
            Limit::JsonLen => as_u64(self.max_json_len),
            Limit::FieldLen => as_u64(self.max_field_len),
            Limit::ManifestEntries => as_u64(self.max_manifest_entries),
            Limit::ManifestTotalLen => self.max_manifest_total_len,
            Limit::PathLen => as_u64(self.max_path_len),
        }
    }

    /// Checks a size against one limit: the one place every size check of otaseal goes
    /// through, so that every caller says the same thing about it.
    ///
    /// ```
    /// use otaseal_wire::{Limit, Limits};
    ///
    /// let l = Limits::default();
    /// assert!(l.check(Limit::JsonLen, 8 << 20).is_ok());
    /// let e = l.check(Limit::JsonLen, (8 << 20) + 1).unwrap_err();
    /// assert_eq!(e.to_string(), "a JSON document of 8388609 bytes is more than the limit of 8388608 bytes");
    /// ```
    ///
    /// # Errors
    /// [`LimitExceeded`] if `len` is larger than the limit.
    pub fn check(&self, limit: Limit, len: u64) -> Result<(), LimitExceeded> {
        let max = self.max(limit);
        if len > max {
            Err(LimitExceeded { limit, len, max })
        } else {
            Ok(())
        }
    }
}
