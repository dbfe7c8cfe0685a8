use core::fmt;
use std::io;

use otaseal_keys::SignError;
use otaseal_wire::plugin::DeviceRefusal;
use otaseal_wire::{LimitExceeded, WireError};

use crate::cbc::BodyError;
use crate::io::{InputError, OutputError};

/// Why a V2 bundle could not be decrypted or verified.
///
/// The body's cryptographic failures (bad PKCS#7 padding, a SHA-256 that does not match the
/// signed checksum) are one opaque variant, [`DecryptError::Decryption`], so that no caller can
/// tell them apart and build a padding oracle. The RSA blocks are opened with the *public* key,
/// which every device holds, so naming which block failed leaks nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum DecryptError {
    /// A wire string (ivSessionKey, signed checksum) is malformed, or its RSA block does not
    /// have the length of the key's modulus.
    Wire(WireError),
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
    /// The ciphertext is larger than `Limits::max_bundle_len`.
    TooLarge(LimitExceeded),
    /// The plugin version of a device-exact verification would refuse the bundle
    /// (`Verification::Device`): the checksum form it cannot read, a non-RSA-2048 block, or
    /// an empty plaintext.
    Device(DeviceRefusal),
    /// The input file could not be opened or is over the limit.
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
            DecryptError::SessionKeyDoesNotOpen => f.write_str(
                "the session key does not open with this public key (wrong key, or the ivSessionKey was altered)",
            ),
            DecryptError::ChecksumDoesNotOpen => f.write_str(
                "the signed checksum does not open with this public key (wrong key, or the checksum was altered)",
            ),
            DecryptError::Truncated { len } => write!(
                f,
                "ciphertext is {len} bytes, not a positive multiple of 16: truncated or not a V2 bundle"
            ),
            DecryptError::Decryption => f.write_str(
                "bundle failed verification: the ciphertext was tampered with, or the session key and checksum belong to another bundle",
            ),
            DecryptError::TooLarge(e) => write!(f, "{e}"),
            DecryptError::Device(e) => write!(f, "{e}"),
            DecryptError::Input(e) => write!(f, "{e}"),
            DecryptError::Output(e) => write!(f, "{e}"),
            DecryptError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for DecryptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Variants that print their cause's message pass on the cause's own source, so that a
        // chain printer shows each clause once.
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

impl From<DeviceRefusal> for DecryptError {
    fn from(e: DeviceRefusal) -> Self {
        DecryptError::Device(e)
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
        }
    }
}

/// Why a V2 bundle could not be encrypted.
#[derive(Debug)]
#[non_exhaustive]
pub enum EncryptError {
    /// The plaintext is larger than `Limits::max_bundle_len`.
    TooLarge(LimitExceeded),
    /// The signer failed to wrap the session key or sign the checksum.
    Signing(SignError),
    /// The operating system's random number generator failed.
    Random,
    /// The input file could not be opened or is over the limit.
    Input(InputError),
    /// The output file could not be created or given its name.
    Output(OutputError),
    /// Reading the input or writing the output failed.
    Io(io::Error),
}

impl fmt::Display for EncryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncryptError::TooLarge(e) => write!(f, "{e}"),
            EncryptError::Signing(_) => f.write_str("signing the bundle failed"),
            EncryptError::Random => {
                f.write_str("the operating system's random number generator failed")
            }
            EncryptError::Input(e) => write!(f, "{e}"),
            EncryptError::Output(e) => write!(f, "{e}"),
            EncryptError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for EncryptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EncryptError::Signing(e) => Some(e),
            EncryptError::Input(e) => e.source(),
            EncryptError::Output(e) => e.source(),
            EncryptError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl From<SignError> for EncryptError {
    fn from(e: SignError) -> Self {
        EncryptError::Signing(e)
    }
}

impl From<io::Error> for EncryptError {
    fn from(e: io::Error) -> Self {
        EncryptError::Io(e)
    }
}

impl From<OutputError> for EncryptError {
    fn from(e: OutputError) -> Self {
        EncryptError::Output(e)
    }
}

impl From<InputError> for EncryptError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::TooLarge(l) => EncryptError::TooLarge(l),
            e => EncryptError::Input(e),
        }
    }
}
