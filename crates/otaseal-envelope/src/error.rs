use core::fmt;
use std::io;

use otaseal_keys::KeyError;
use otaseal_wire::WireError;

/// Why a bundle could not be encrypted, decrypted or verified.
///
/// The body's cryptographic failures (bad PKCS#7 padding, a SHA-256 that does not match the
/// signed checksum) are one opaque variant, [`Error::Decryption`], so that no caller can tell
/// them apart and build a padding oracle. The RSA blocks are opened with the *public* key,
/// which every device holds, so naming which block failed leaks nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A wire string (ivSessionKey, signed checksum) is malformed.
    Wire(WireError),
    /// A key is unusable (for Capgo V2: anything but RSA-2048 with e = 65537).
    Key(KeyError),
    /// The RSA block of the ivSessionKey does not open with this public key: the bundle was
    /// encrypted for another key, or the session key was altered.
    SessionKeyDoesNotOpen,
    /// The signed checksum does not open with this public key: it was signed by another key,
    /// or altered.
    ChecksumDoesNotOpen,
    /// The ciphertext length is not a positive multiple of 16 bytes: the file is truncated or
    /// is not a V2 ciphertext.
    Truncated {
        /// Bytes read.
        len: u64,
    },
    /// The ciphertext does not decrypt and verify: it was tampered with, or the session key
    /// and checksum belong to another bundle.
    Decryption,
    /// The input is larger than `Limits::max_bundle_len`.
    TooLarge {
        /// The limit in bytes.
        max: u64,
    },
    /// Reading the input or writing the output failed.
    Io(io::Error),
    /// The operating system's random number generator failed.
    Random,
    /// RSA signing failed (a key the `rsa` crate rejects).
    Signing(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Wire(e) => write!(f, "{e}"),
            Error::Key(e) => write!(f, "{e}"),
            Error::SessionKeyDoesNotOpen => f.write_str(
                "the session key does not open with this public key (wrong key, or the ivSessionKey was altered)",
            ),
            Error::ChecksumDoesNotOpen => f.write_str(
                "the signed checksum does not open with this public key (wrong key, or the checksum was altered)",
            ),
            Error::Truncated { len } => write!(
                f,
                "ciphertext is {len} bytes, not a positive multiple of 16: truncated or not a V2 bundle"
            ),
            Error::Decryption => f.write_str(
                "bundle failed verification: the ciphertext was tampered with, or the session key and checksum belong to another bundle",
            ),
            Error::TooLarge { max } => write!(f, "bundle is larger than the limit of {max} bytes"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Random => f.write_str("the operating system's random number generator failed"),
            Error::Signing(e) => write!(f, "RSA signing failed: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Wire(e) => Some(e),
            Error::Key(e) => Some(e),
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
