use core::fmt;

use otaseal_wire::{Limit, Limits};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::der::pem;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};

use crate::{CodecError, KeyError, PrivateKey, PublicKey};

/// Whether a key is public or private.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// A public key.
    Public,
    /// A private key.
    Private,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Public => "public",
            KeyKind::Private => "private",
        })
    }
}

/// The ASN.1 structure a key was encoded in (`spec/keys.md` section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// PKCS#1 `RSAPublicKey` / `RSAPrivateKey` (RFC 8017 A.1), Capgo's format.
    Pkcs1,
    /// PKCS#8 `PrivateKeyInfo` (RFC 5958), private keys only.
    Pkcs8,
    /// X.509 `SubjectPublicKeyInfo` (RFC 5280), public keys only.
    Spki,
}

impl fmt::Display for KeyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyEncoding::Pkcs1 => "pkcs1",
            KeyEncoding::Pkcs8 => "pkcs8",
            KeyEncoding::Spki => "spki",
        })
    }
}

/// Whether a key was PEM text or raw DER.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Container {
    /// RFC 7468 PEM text.
    Pem,
    /// Raw DER bytes.
    Der,
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Container::Pem => "pem",
            Container::Der => "der",
        })
    }
}

/// A key of either kind, with how it was encoded: what [`decode_any`] returns.
#[derive(Debug)]
#[non_exhaustive]
pub enum DecodedKey {
    /// A public key.
    Public {
        /// The key.
        key: PublicKey,
        /// Its ASN.1 structure.
        encoding: KeyEncoding,
        /// PEM or DER.
        container: Container,
    },
    /// A private key.
    Private {
        /// The key (boxed: a private key is several times larger than a public one).
        key: Box<PrivateKey>,
        /// Its ASN.1 structure.
        encoding: KeyEncoding,
        /// PEM or DER.
        container: Container,
    },
}

impl DecodedKey {
    /// Public or private.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        match self {
            DecodedKey::Public { .. } => KeyKind::Public,
            DecodedKey::Private { .. } => KeyKind::Private,
        }
    }

    /// The ASN.1 structure.
    #[must_use]
    pub fn encoding(&self) -> KeyEncoding {
        match self {
            DecodedKey::Public { encoding, .. } | DecodedKey::Private { encoding, .. } => *encoding,
        }
    }

    /// PEM or DER.
    #[must_use]
    pub fn container(&self) -> Container {
        match self {
            DecodedKey::Public { container, .. } | DecodedKey::Private { container, .. } => {
                *container
            }
        }
    }

    /// The private key, or [`KeyError::WrongKind`] for a public key.
    ///
    /// # Errors
    /// [`KeyError::WrongKind`].
    pub fn into_private(self) -> Result<PrivateKey, KeyError> {
        match self {
            DecodedKey::Private { key, .. } => Ok(*key),
            DecodedKey::Public { .. } => Err(KeyError::WrongKind {
                expected: KeyKind::Private,
                found: KeyKind::Public,
            }),
        }
    }

    /// The public key, or [`KeyError::WrongKind`] for a private key (a device must never hold
    /// one; take [`public_key`](Self::public_key) to accept both on purpose).
    ///
    /// # Errors
    /// [`KeyError::WrongKind`].
    pub fn into_public(self) -> Result<PublicKey, KeyError> {
        match self {
            DecodedKey::Public { key, .. } => Ok(key),
            DecodedKey::Private { .. } => Err(KeyError::WrongKind {
                expected: KeyKind::Public,
                found: KeyKind::Private,
            }),
        }
    }

    /// The public key (the key itself, or the public half of a private key).
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        match self {
            DecodedKey::Public { key, .. } => key,
            DecodedKey::Private { key, .. } => key.public_key(),
        }
    }
}

pub(crate) fn malformed(what: &'static str, e: impl Into<CodecError>) -> KeyError {
    KeyError::Malformed {
        what,
        source: e.into(),
    }
}

/// Reads any supported key: PEM (by its label) or DER (by trying each structure).
///
/// The input is checked against `limits.max_key_file_len` before it is parsed. PEM must be
/// strict RFC 7468 with one of the labels of `spec/keys.md` section 1 and nothing after the
/// end line but white space; DER must be exactly one structure with no trailing bytes.
///
/// # Errors
/// [`KeyError`] naming the problem.
///
/// ```
/// use otaseal_keys::{decode_any, KeyEncoding, KeyKind, Limits};
///
/// let pem = include_bytes!("../tests/data/k1.key");
/// let key = decode_any(pem, &Limits::default())?;
/// assert_eq!(key.kind(), KeyKind::Private);
/// assert_eq!(key.encoding(), KeyEncoding::Pkcs1);
/// assert!(decode_any(b"not a key", &Limits::default()).is_err());
/// # Ok::<(), otaseal_keys::KeyError>(())
/// ```
pub fn decode_any(bytes: &[u8], limits: &Limits) -> Result<DecodedKey, KeyError> {
    if bytes.is_empty() {
        return Err(KeyError::Empty);
    }
    limits
        .check(Limit::KeyFileLen, bytes.len() as u64)
        .map_err(KeyError::TooLarge)?;
    if bytes.starts_with(b"-----BEGIN ") {
        decode_pem(bytes)
    } else if bytes.first() == Some(&0x30) {
        decode_der(bytes)
    } else {
        Err(KeyError::NotAKey)
    }
}

fn decode_pem(bytes: &[u8]) -> Result<DecodedKey, KeyError> {
    const C: Container = Container::Pem;
    let text = core::str::from_utf8(bytes).map_err(|_| KeyError::NotUtf8)?;
    let label = pem::decode_label(bytes).map_err(|e| malformed("PEM", e))?;
    match label {
        "RSA PUBLIC KEY" => {
            let key = rsa::PublicKey::from_pkcs1_pem(text)
                .map_err(|e| malformed("PKCS#1 public key PEM", e))?;
            Ok(DecodedKey::Public {
                key: PublicKey::from_rsa(key)?,
                encoding: KeyEncoding::Pkcs1,
                container: C,
            })
        }
        "PUBLIC KEY" => {
            let key = rsa::PublicKey::from_public_key_pem(text)
                .map_err(|e| malformed("SPKI public key PEM", e))?;
            Ok(DecodedKey::Public {
                key: PublicKey::from_rsa(key)?,
                encoding: KeyEncoding::Spki,
                container: C,
            })
        }
        "RSA PRIVATE KEY" => {
            let key = rsa::PrivateKey::from_pkcs1_pem(text)
                .map_err(|e| malformed("PKCS#1 private key PEM", e))?;
            Ok(DecodedKey::Private {
                key: Box::new(PrivateKey::from_rsa(key)?),
                encoding: KeyEncoding::Pkcs1,
                container: C,
            })
        }
        "PRIVATE KEY" => {
            let key = rsa::PrivateKey::from_pkcs8_pem(text)
                .map_err(|e| malformed("PKCS#8 private key PEM", e))?;
            Ok(DecodedKey::Private {
                key: Box::new(PrivateKey::from_rsa(key)?),
                encoding: KeyEncoding::Pkcs8,
                container: C,
            })
        }
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::EncryptedPrivateKey),
        other => Err(KeyError::UnknownPemLabel(other.chars().take(64).collect())),
    }
}

fn decode_der(bytes: &[u8]) -> Result<DecodedKey, KeyError> {
    const C: Container = Container::Der;
    if let Ok(key) = rsa::PrivateKey::from_pkcs1_der(bytes) {
        return Ok(DecodedKey::Private {
            key: Box::new(PrivateKey::from_rsa(key)?),
            encoding: KeyEncoding::Pkcs1,
            container: C,
        });
    }
    if let Ok(key) = rsa::PrivateKey::from_pkcs8_der(bytes) {
        return Ok(DecodedKey::Private {
            key: Box::new(PrivateKey::from_rsa(key)?),
            encoding: KeyEncoding::Pkcs8,
            container: C,
        });
    }
    if let Ok(key) = rsa::PublicKey::from_pkcs1_der(bytes) {
        return Ok(DecodedKey::Public {
            key: PublicKey::from_rsa(key)?,
            encoding: KeyEncoding::Pkcs1,
            container: C,
        });
    }
    match rsa::PublicKey::from_public_key_der(bytes) {
        Ok(key) => Ok(DecodedKey::Public {
            key: PublicKey::from_rsa(key)?,
            encoding: KeyEncoding::Spki,
            container: C,
        }),
        Err(e) => Err(malformed("DER key (tried PKCS#1, PKCS#8 and SPKI)", e)),
    }
}
