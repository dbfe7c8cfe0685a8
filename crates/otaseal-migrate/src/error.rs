use core::fmt;
use std::io;

use otaseal_keys::KeyError;
use otaseal_wire::WireError;

/// Why a V1 bundle could not be read or migrated, or a migration input was rejected.
///
/// The cryptographic failures of the V1 side (the RSA-OAEP unwrap of the session key, the
/// PKCS#7 padding, the CRC32 comparison) are one opaque variant, [`Error::Decryption`]: no
/// result says which of them failed (`spec/v1.md` section 6).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A wire string (ivSessionKey, CRC32 checksum) is malformed, or its RSA block does not
    /// have the length of the V1 key's modulus.
    Wire(WireError),
    /// A key is unusable (for the V2 side: anything but RSA-2048 with e = 65537).
    Key(KeyError),
    /// The V2 key is the V1 key: `spec/v1.md` section 7 step 1 requires a new pair, since the
    /// V1 private key shipped inside every V1 app.
    KeyReused,
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
    TooLarge {
        /// The limit in bytes.
        max: u64,
    },
    /// Re-encrypting as V2 failed, or the V2 result did not verify with the new public key.
    Envelope(otaseal_envelope::Error),
    /// A batch list, batch report or configuration file is not what was expected.
    InvalidInput(String),
    /// Reading the input or writing the output failed.
    Io(io::Error),
    /// The operating system's random number generator failed.
    Random,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Wire(e) => write!(f, "{e}"),
            Error::Key(e) => write!(f, "{e}"),
            Error::KeyReused => f.write_str(
                "the V2 key is the V1 key; V1 private keys shipped inside apps and must never be reused: create a new V2 key pair",
            ),
            Error::Truncated { len } => write!(
                f,
                "ciphertext is {len} bytes, not a positive multiple of 16: truncated or not an encrypted bundle"
            ),
            Error::Decryption => f.write_str(
                "V1 bundle failed to decrypt and verify: wrong V1 private key, altered ivSessionKey or ciphertext, or a CRC32 of another bundle",
            ),
            Error::TooLarge { max } => write!(f, "bundle is larger than the limit of {max} bytes"),
            Error::Envelope(e) => write!(f, "V2 re-encryption failed: {e}"),
            Error::InvalidInput(e) => f.write_str(e),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Random => f.write_str("the operating system's random number generator failed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Wire(e) => Some(e),
            Error::Key(e) => Some(e),
            Error::Envelope(e) => Some(e),
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Key(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<otaseal_envelope::Error> for Error {
    fn from(e: otaseal_envelope::Error) -> Self {
        match e {
            // An I/O error of the writer is ours to report as such.
            otaseal_envelope::Error::Io(e) => Error::Io(e),
            // The shared CBC body layer reports the input's own shape problems.
            otaseal_envelope::Error::Truncated { len } => Error::Truncated { len },
            otaseal_envelope::Error::TooLarge { max } => Error::TooLarge { max },
            e => Error::Envelope(e),
        }
    }
}
