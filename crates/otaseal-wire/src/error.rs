use core::fmt;

/// Which field of a wire string an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The whole `ivSessionKey` string.
    IvSessionKey,
    /// The IV half of `ivSessionKey`.
    Iv,
    /// The RSA-wrapped session key half of `ivSessionKey`.
    WrappedKey,
    /// A plain checksum (SHA-256 or CRC32 hex).
    Checksum,
    /// A signed checksum (hex or base64 RSA block).
    SignedChecksum,
    /// A Capgo key id.
    KeyId,
    /// A format version name.
    FormatVersion,
    /// A key fingerprint (`sha256:` and 64 hex characters).
    Fingerprint,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::IvSessionKey => "ivSessionKey",
            Field::Iv => "ivSessionKey IV",
            Field::WrappedKey => "ivSessionKey wrapped session key",
            Field::Checksum => "checksum",
            Field::SignedChecksum => "signed checksum",
            Field::KeyId => "key id",
            Field::FormatVersion => "format version",
            Field::Fingerprint => "key fingerprint",
        })
    }
}

/// A wire string was rejected. Each variant says what was wrong and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The field was empty.
    Empty {
        /// The field.
        field: Field,
    },
    /// The input is longer than the limit allows; nothing was decoded.
    TooLong {
        /// The field.
        field: Field,
        /// Length of the input in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// `ivSessionKey` has no `:` separator.
    MissingSeparator,
    /// `ivSessionKey` has more than one `:` separator.
    ExtraSeparator,
    /// A character outside the alphabet, or bad padding, at this byte offset of the field.
    InvalidEncoding {
        /// The field.
        field: Field,
        /// Byte offset of the first offending character, when known.
        offset: Option<usize>,
    },
    /// Decodes, but is not the one canonical encoding (non-zero trailing bits, missing
    /// padding, upper-case hex, whitespace).
    NonCanonical {
        /// The field.
        field: Field,
    },
    /// The decoded value has the wrong length.
    WrongLength {
        /// The field.
        field: Field,
        /// The length required, in bytes (or characters for text fields).
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// An RSA block whose length is not that of a 2048, 3072 or 4096-bit modulus.
    UnsupportedRsaBlockLength {
        /// The field.
        field: Field,
        /// The decoded length in bytes.
        len: usize,
    },
    /// The RSA block does not have the length of the key's modulus.
    ModulusLengthMismatch {
        /// The field.
        field: Field,
        /// The modulus length in bytes.
        expected: usize,
        /// The block length in bytes.
        actual: usize,
    },
    /// An unknown format version.
    UnknownVersion,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Empty { field } => write!(f, "{field} is empty"),
            WireError::TooLong { field, len, max } => {
                write!(
                    f,
                    "{field} is {len} bytes long, more than the limit of {max}"
                )
            }
            WireError::MissingSeparator => {
                f.write_str("ivSessionKey has no ':' between the IV and the wrapped key")
            }
            WireError::ExtraSeparator => f.write_str("ivSessionKey has more than one ':'"),
            WireError::InvalidEncoding {
                field,
                offset: Some(o),
            } => {
                write!(
                    f,
                    "{field} is not valid encoding (bad character or padding at byte {o})"
                )
            }
            WireError::InvalidEncoding {
                field,
                offset: None,
            } => {
                write!(f, "{field} is not valid encoding")
            }
            WireError::NonCanonical { field } => {
                write!(f, "{field} is not in canonical encoding")
            }
            WireError::WrongLength {
                field,
                expected,
                actual,
            } => {
                write!(f, "{field} has length {actual}, expected {expected}")
            }
            WireError::UnsupportedRsaBlockLength { field, len } => write!(
                f,
                "{field} is a {len}-byte RSA block; only 256, 384 or 512 bytes (RSA-2048/3072/4096) are supported"
            ),
            WireError::ModulusLengthMismatch {
                field,
                expected,
                actual,
            } => write!(
                f,
                "{field} is a {actual}-byte RSA block but the key's modulus is {expected} bytes"
            ),
            WireError::UnknownVersion => {
                f.write_str("unknown format version (expected v1, v2 or v3)")
            }
        }
    }
}

impl core::error::Error for WireError {}
