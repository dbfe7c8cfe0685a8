use core::fmt;
use std::io;

use otaseal_envelope::io::{InputError, OutputError};
use otaseal_envelope::v2::{DecryptError as V2DecryptError, EncryptError};
use otaseal_keys::KeyError;
use otaseal_wire::LimitExceeded;

use crate::v1::DecryptError as V1DecryptError;

/// Why one V1 bundle could not be migrated to V2, or a migration was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum MigrateError {
    /// The V1 bundle does not decrypt and verify (its cause says how).
    V1(V1DecryptError),
    /// The V2 key is not what Capgo devices accept (RSA-2048, e = 65537).
    Key(KeyError),
    /// The V2 key is the V1 key: `spec/v1.md` section 7 step 1 requires a new pair, since the
    /// V1 private key shipped inside every V1 app.
    KeyReused,
    /// A V1 public key does not belong to the V1 private key.
    KeyPairMismatch,
    /// V2 encryption or signing failed.
    Encrypt(EncryptError),
    /// The V2 result did not verify with the V2 public key when read back.
    Verify(V2DecryptError),
    /// The input is larger than `Limits::max_bundle_len`.
    TooLarge(LimitExceeded),
    /// The input file could not be opened.
    Input(InputError),
    /// The output file could not be created or given its name.
    Output(OutputError),
    /// Reading the input or writing the output failed.
    Io(io::Error),
}

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateError::V1(e) => write!(f, "{e}"),
            MigrateError::Key(e) => write!(f, "{e}"),
            MigrateError::KeyReused => f.write_str(
                "the V2 key is the V1 key; V1 private keys shipped inside apps and must never be reused: create a new V2 key pair",
            ),
            MigrateError::KeyPairMismatch => {
                f.write_str("the V1 public key does not belong to the V1 private key")
            }
            MigrateError::Encrypt(_) => f.write_str("V2 re-encryption failed"),
            MigrateError::Verify(_) => {
                f.write_str("the V2 result did not verify with the V2 public key")
            }
            MigrateError::TooLarge(e) => write!(f, "{e}"),
            MigrateError::Input(e) => write!(f, "{e}"),
            MigrateError::Output(e) => write!(f, "{e}"),
            MigrateError::Io(e) => write!(f, "I/O error: {e}"),
        }
    }
}

impl std::error::Error for MigrateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MigrateError::V1(e) => e.source(),
            MigrateError::Key(e) => e.source(),
            MigrateError::Encrypt(e) => Some(e),
            MigrateError::Verify(e) => Some(e),
            MigrateError::Input(e) => e.source(),
            MigrateError::Output(e) => e.source(),
            MigrateError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl From<V1DecryptError> for MigrateError {
    fn from(e: V1DecryptError) -> Self {
        match e {
            // The writer's own failures are ours to report as such.
            V1DecryptError::Io(e) => MigrateError::Io(e),
            V1DecryptError::TooLarge(l) => MigrateError::TooLarge(l),
            e => MigrateError::V1(e),
        }
    }
}

impl From<KeyError> for MigrateError {
    fn from(e: KeyError) -> Self {
        MigrateError::Key(e)
    }
}

impl From<EncryptError> for MigrateError {
    fn from(e: EncryptError) -> Self {
        match e {
            EncryptError::Io(e) => MigrateError::Io(e),
            e => MigrateError::Encrypt(e),
        }
    }
}

impl From<io::Error> for MigrateError {
    fn from(e: io::Error) -> Self {
        MigrateError::Io(e)
    }
}

impl From<OutputError> for MigrateError {
    fn from(e: OutputError) -> Self {
        MigrateError::Output(e)
    }
}

impl From<InputError> for MigrateError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::TooLarge(l) => MigrateError::TooLarge(l),
            e => MigrateError::Input(e),
        }
    }
}
