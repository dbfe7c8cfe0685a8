//! The private-key operations otaseal needs, behind one trait so that a key can live in
//! memory, in OpenSSL or in a hardware token (`spec/keys.md` section 7).
//!
//! Every producer and every V3 verifier in otaseal takes a `&dyn Signer` (or `impl Signer`),
//! never a key type. The backends:
//!
//! | backend | type | feature | private operations |
//! |---|---|---|---|
//! | RustCrypto, in memory | [`PrivateKey`](crate::PrivateKey) | always | blinded, not constant time (RUSTSEC-2023-0071) |
//! | OpenSSL, in memory | `OpensslKey` | `openssl` | blinded and constant time |
//! | PKCS#11 token or HSM | `Pkcs11Key` | `pkcs11` | the token's; the key never leaves it |
//!
//! [`KeySource`](crate::KeySource) loads any of them from the forms a command line takes.
//!
//! These are RSA primitives, not protocols: [`Signer::sign_type1`] signs whatever bytes it is
//! given. Call them through `otaseal-envelope` (which feeds them only the payloads of
//! `spec/v2.md` and `spec/v3.md`) unless you are writing a backend.

use core::fmt;

use zeroize::Zeroizing;

use crate::PublicKey;

/// A private RSA key, wherever it is kept.
///
/// Implementations must be deterministic where the scheme is (type-1 signing gives one block
/// per payload, byte for byte what Node's `privateEncrypt` gives), blind their private-key
/// operations, and never return a partial result.
pub trait Signer: Send + Sync + fmt::Debug {
    /// The public half.
    fn public_key(&self) -> &PublicKey;

    /// RSASP1 over `00 01 FF.. 00 payload` of the modulus length: PKCS#1 v1.5 signature padding
    /// with no DigestInfo (RFC 8017 9.2 step 5 without the hash). Capgo V2's session-key wrap
    /// and signed checksum (`spec/v2.md` section 6); PKCS#11 `CKM_RSA_PKCS`; OpenSSL
    /// `RSA_private_encrypt` with `RSA_PKCS1_PADDING`.
    ///
    /// # Errors
    /// [`SignError`]; [`SignError::PayloadTooLong`] if fewer than 8 padding bytes would remain.
    fn sign_type1(&self, payload: &[u8]) -> Result<Vec<u8>, SignError>;

    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 8017 8.1) over a message
    /// whose SHA-256 is `digest`: V3 headers and rotation statements (`spec/v3.md` section 5).
    ///
    /// # Errors
    /// [`SignError`].
    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError>;

    /// RSAES-OAEP-DECRYPT with SHA-256, MGF1-SHA-256 and `label` (RFC 8017 7.1.2): the V3
    /// recipient's content-key unwrap (`spec/v3.md` section 4).
    ///
    /// # Errors
    /// [`SignError::Decryption`] for any ciphertext that does not decrypt: one opaque error,
    /// whatever the cause.
    fn decrypt_oaep_sha256(
        &self,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SignError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }

    fn sign_type1(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign_type1(payload)
    }

    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        (**self).sign_pss_sha256(digest)
    }

    fn decrypt_oaep_sha256(
        &self,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SignError> {
        (**self).decrypt_oaep_sha256(label, ciphertext)
    }
}

/// `spec/v3.md` section 3.2: the PSS salt length of suite 1, for every backend (a `u8`, so that
/// each backend's integer type takes it with a lossless `From`).
pub(crate) const PSS_SALT_LEN: u8 = 32;

/// The type-1 length rule of `spec/v2.md` section 6, for every backend: `00 01`, at least
/// [`MIN_PS_LEN`](otaseal_wire::type1::MIN_PS_LEN) bytes of `FF`, `00`, then the payload.
pub(crate) fn check_type1_payload(payload: &[u8], modulus_len: usize) -> Result<(), SignError> {
    if payload
        .len()
        .saturating_add(3 + otaseal_wire::type1::MIN_PS_LEN)
        > modulus_len
    {
        return Err(SignError::PayloadTooLong {
            len: payload.len(),
            modulus_len,
        });
    }
    Ok(())
}

/// A block from a backend must be exactly the modulus length (a faulty token or library could
/// return less).
#[cfg(any(feature = "openssl", feature = "pkcs11"))]
pub(crate) fn check_block_len(block: Vec<u8>, modulus_len: usize) -> Result<Vec<u8>, SignError> {
    if block.len() == modulus_len {
        Ok(block)
    } else {
        Err(SignError::WrongLength {
            len: block.len(),
            modulus_len,
        })
    }
}

/// An RSA-OAEP ciphertext is exactly the modulus length (RFC 8017 7.1.2 step 1b); anything else
/// is the same opaque [`SignError::Decryption`] as a block that does not decrypt.
pub(crate) fn check_ciphertext_len(ciphertext: &[u8], modulus_len: usize) -> Result<(), SignError> {
    if ciphertext.len() == modulus_len {
        Ok(())
    } else {
        Err(SignError::Decryption)
    }
}

/// A private-key operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignError {
    /// The payload does not fit a type-1 block of this key's modulus length.
    PayloadTooLong {
        /// The payload length in bytes.
        len: usize,
        /// The modulus length in bytes.
        modulus_len: usize,
    },
    /// The ciphertext does not decrypt (opaque: no detail, no oracle).
    Decryption,
    /// The in-memory RustCrypto backend failed.
    Rsa(rsa::Error),
    /// The operating system's random number generator failed (blinding, salts).
    Random,
    /// The OpenSSL backend failed.
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::error::ErrorStack),
    /// The PKCS#11 token failed (removed, logged out, or it does not offer the mechanism).
    #[cfg(feature = "pkcs11")]
    Pkcs11(cryptoki::error::Error),
    /// A backend returned a block of the wrong length (a faulty token or library).
    WrongLength {
        /// The length returned.
        len: usize,
        /// The modulus length in bytes.
        modulus_len: usize,
    },
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::PayloadTooLong { len, modulus_len } => write!(
                f,
                "a {len}-byte payload does not fit a type-1 block of a {modulus_len}-byte key"
            ),
            SignError::Decryption => f.write_str("RSA-OAEP decryption failed"),
            SignError::Rsa(_) => f.write_str("the RSA private-key operation failed"),
            SignError::Random => {
                f.write_str("the operating system's random number generator failed")
            }
            #[cfg(feature = "openssl")]
            SignError::OpenSsl(_) => f.write_str("the OpenSSL private-key operation failed"),
            #[cfg(feature = "pkcs11")]
            SignError::Pkcs11(_) => f.write_str("the PKCS#11 private-key operation failed"),
            SignError::WrongLength { len, modulus_len } => write!(
                f,
                "the key backend returned {len} bytes for a {modulus_len}-byte key"
            ),
        }
    }
}

impl std::error::Error for SignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignError::Rsa(e) => Some(e),
            #[cfg(feature = "openssl")]
            SignError::OpenSsl(e) => Some(e),
            #[cfg(feature = "pkcs11")]
            SignError::Pkcs11(e) => Some(e),
            _ => None,
        }
    }
}
