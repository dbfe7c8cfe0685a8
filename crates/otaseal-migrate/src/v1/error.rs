use core::fmt;
use std::io;

use otaseal_envelope::hazmat::BodyError;
use otaseal_envelope::io::{InputError, OutputError};
use otaseal_wire::{LimitExceeded, WireError};

/// Why a V1 bundle could not be read.
///
/// The cryptographic failures (the RSA-OAEP unwrap of the session key, the PKCS#7 padding, the
/// CRC32 comparison) are one opaque variant, [`DecryptError::Decryption`]: no result says which
/// of them failed (`spec/v1.md` section 6).
#[derive(Debug)]
#[non_exhaustive]
pub enum DecryptError {
    /// A wire string (ivSessionKey, CRC32 checksum) is malformed, or its RSA block does not
    /// have the length of the V1 key's modulus.
    Wire(WireError),
    /// The ciphertext length is not a positive multiple of 16 bytes: truncated, or not an
    /// AES-CBC body at all.
    Truncated {
        /// Bytes read.
        len: u64,
    },
    /// The V1 bundle does not decrypt and verify with this key, ivSessionKey and CRC32: the
    /// wrong V1 key, an altered ivSessionKey or ciphertext, or a checksum of another bundle.
    Decryption,
    /// The input is larger than `Limits::max_bundle_len`.
    TooLarge(LimitExceeded),
    /// The operating system's random number generator failed.
    Random,
    /// The input file could not be opened.
    Input(InputError),
    /// The output file could not be created or given its name.
    Output(OutputError),
    /// Reading the input or writing the output failed.
    Io(io::Error),
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecryptError::Wire(e) => write!(f, "{e}"),
            DecryptError::Truncated { len } => write!(
                f,
                "ciphertext is {len} bytes, not a positive multiple of 16: truncated or not an encrypted bundle"
            ),
            DecryptError::Decryption => f.write_str(
                "V1 bundle failed to decrypt and verify: wrong V1 private key, altered ivSessionKey or ciphertext, or a CRC32 of another bundle",
            ),
            DecryptError::TooLarge(e) => write!(f, "{e}"),
            DecryptError::Random => {
                f.write_str("the operating system's random number generator failed")
            }
            DecryptError::Input(e) => write!(f, "{e}"),
            DecryptError::Output(e) => write!(f, "{e}"),
            DecryptError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for DecryptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecryptError::Input(e) => e.source(),
            DecryptError::Output(e) => e.source(),
            DecryptError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl From<WireError> for DecryptError {
    fn from(e: WireError) -> Self {
        DecryptError::Wire(e)
    }
}

impl From<io::Error> for DecryptError {
    fn from(e: io::Error) -> Self {
        DecryptError::Io(e)
    }
}

impl From<OutputError> for DecryptError {
    fn from(e: OutputError) -> Self {
        DecryptError::Output(e)
    }
}

impl From<InputError> for DecryptError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::TooLarge(l) => DecryptError::TooLarge(l),
            e => DecryptError::Input(e),
        }
    }
}

impl From<BodyError> for DecryptError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(l) => DecryptError::TooLarge(l),
            BodyError::Truncated { len } => DecryptError::Truncated { len },
            BodyError::Io(e) => DecryptError::Io(e),
            // BodyError is non-exhaustive.
            _ => DecryptError::Decryption,
        }
    }
}
