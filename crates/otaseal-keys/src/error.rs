use core::fmt;

use otaseal_wire::{LimitExceeded, WireError};

use crate::KeyKind;

/// The cause of a key that could not be decoded or encoded: the error of the RustCrypto
/// decoder or encoder involved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// RFC 7468 PEM framing.
    Pem(pkcs8::der::pem::Error),
    /// PKCS#1 (`RSAPublicKey`, `RSAPrivateKey`).
    Pkcs1(pkcs1::Error),
    /// PKCS#8 (`PrivateKeyInfo`).
    Pkcs8(pkcs8::Error),
    /// SubjectPublicKeyInfo.
    Spki(spki::Error),
    /// The key id of the encoded key.
    Wire(WireError),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Pem(e) => write!(f, "{e}"),
            CodecError::Pkcs1(e) => write!(f, "{e}"),
            CodecError::Pkcs8(e) => write!(f, "{e}"),
            CodecError::Spki(e) => write!(f, "{e}"),
            CodecError::Wire(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CodecError {}

macro_rules! codec_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for CodecError {
            fn from(e: $ty) -> Self {
                CodecError::$variant(e)
            }
        }
    )*};
}

codec_from!(
    Pem(pkcs8::der::pem::Error),
    Pkcs1(pkcs1::Error),
    Pkcs8(pkcs8::Error),
    Spki(spki::Error),
    Wire(WireError),
);

/// A key could not be read, written or generated.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The input is larger than `Limits::max_key_file_len`; nothing was parsed.
    TooLarge(LimitExceeded),
    /// The input is empty.
    Empty,
    /// PEM text that is not UTF-8.
    NotUtf8,
    /// A PEM block whose label is not one of the key labels of `spec/keys.md` section 1.
    UnknownPemLabel(String),
    /// An encrypted PKCS#8 private key (`ENCRYPTED PRIVATE KEY`), which otaseal does not read.
    EncryptedPrivateKey,
    /// The input is PEM or DER of a known key type but its content is invalid.
    Malformed {
        /// What the input claimed to be (e.g. "PKCS#1 public key PEM").
        what: &'static str,
        /// The decoder's error.
        source: CodecError,
    },
    /// Neither PEM nor DER of any supported key encoding.
    NotAKey,
    /// A private key where a public key was expected, or the other way round.
    WrongKind {
        /// The kind the caller asked for.
        expected: KeyKind,
        /// The kind found.
        found: KeyKind,
    },
    /// A modulus size that otaseal does not read or generate (only 2048, 3072 and 4096 bits).
    UnsupportedSize {
        /// The requested size in bits.
        bits: usize,
    },
    /// A public exponent other than 65537.
    UnsupportedExponent,
    /// The key is readable but not what Capgo devices accept (RSA-2048, e = 65537).
    NotCapgoCompatible {
        /// Modulus size in bits.
        bits: usize,
    },
    /// Key generation failed (the OS random number generator or prime search failed).
    Generation(rsa::Error),
    /// Encoding a key failed (only for a key the encoder considers invalid).
    Encoding(CodecError),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::TooLarge(e) => write!(f, "{e}"),
            KeyError::Empty => f.write_str("key file is empty"),
            KeyError::NotUtf8 => f.write_str("PEM key file is not valid UTF-8"),
            KeyError::UnknownPemLabel(l) => write!(
                f,
                "PEM label \"{l}\" is not a key (expected RSA PUBLIC KEY, PUBLIC KEY, RSA PRIVATE KEY or PRIVATE KEY)"
            ),
            KeyError::EncryptedPrivateKey => f.write_str(
                "encrypted PKCS#8 private keys are not supported; decrypt it first (openssl pkey -in KEY -out PLAIN)",
            ),
            KeyError::Malformed { what, .. } => write!(f, "malformed {what}"),
            KeyError::NotAKey => f.write_str(
                "not an RSA key: expected PEM (PKCS#1, PKCS#8 or SPKI) or DER of one of those",
            ),
            KeyError::WrongKind { expected, found } => {
                write!(f, "expected a {expected} key but found a {found} key")
            }
            KeyError::UnsupportedSize { bits } => {
                write!(f, "RSA-{bits} is not supported; use 2048, 3072 or 4096 bits")
            }
            KeyError::UnsupportedExponent => {
                f.write_str("RSA public exponent is not 65537, the only exponent otaseal accepts")
            }
            KeyError::NotCapgoCompatible { bits } => write!(
                f,
                "RSA-{bits} key: Capgo devices accept only RSA-2048 keys with exponent 65537"
            ),
            KeyError::Generation(_) => f.write_str("key generation failed"),
            KeyError::Encoding(_) => f.write_str("key encoding failed"),
        }
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyError::Malformed { source, .. } | KeyError::Encoding(source) => Some(source),
            KeyError::Generation(e) => Some(e),
            _ => None,
        }
    }
}

impl KeyError {
    /// A key encoder failed.
    pub(crate) fn encoding(e: impl Into<CodecError>) -> Self {
        KeyError::Encoding(e.into())
    }
}
