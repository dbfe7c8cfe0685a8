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
