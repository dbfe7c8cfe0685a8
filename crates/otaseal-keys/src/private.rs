use core::fmt;

use otaseal_wire::Limits;
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::EncodePrivateKey;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::decode;
use crate::{KeyError, PublicKey, SignError, Signer};

/// The RSA modulus sizes otaseal generates (`spec/keys.md` section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeySize {
    /// RSA-2048: the only size Capgo devices accept. The default.
    #[default]
    Rsa2048,
    /// RSA-3072.
    Rsa3072,
    /// RSA-4096: the V3 default.
    Rsa4096,
}

impl KeySize {
    /// The size in bits.
    #[must_use]
    pub const fn bits(self) -> usize {
        match self {
            KeySize::Rsa2048 => 2048,
            KeySize::Rsa3072 => 3072,
            KeySize::Rsa4096 => 4096,
        }
    }
}

impl TryFrom<usize> for KeySize {
    type Error = KeyError;

    fn try_from(bits: usize) -> Result<Self, Self::Error> {
        match bits {
            2048 => Ok(KeySize::Rsa2048),
            3072 => Ok(KeySize::Rsa3072),
            4096 => Ok(KeySize::Rsa4096),
            _ => Err(KeyError::UnsupportedSize { bits }),
        }
    }
}

/// An RSA private key held in memory: the developer's signing key for V2 bundles, and the
/// in-memory RustCrypto backend of [`Signer`].
///
/// Zeroized on drop (the `rsa` key wipes its secret integers); not `Clone`, so that a copy of
/// the secret exists only where one is made on purpose; `Debug` shows only the size and the
/// public fingerprint. Encoders return [`Zeroizing`] buffers.
///
/// Its private-key operations are blinded with the operating system's generator but are not
/// constant time (RUSTSEC-2023-0071, "Marvin"): see `SECURITY.md` for where otaseal runs them.
pub struct PrivateKey {
    inner: rsa::PrivateKey,
    public: PublicKey,
}

impl ZeroizeOnDrop for PrivateKey {}

impl PrivateKey {
    /// Generates a new key with public exponent 65537 from the OS random number generator.
    ///
    /// # Errors
    /// [`KeyError::Generation`] if the OS generator fails.
    ///
    /// ```
    /// use otaseal_keys::{KeySize, PrivateKey};
    ///
    /// let key = PrivateKey::generate(KeySize::Rsa2048)?;
    /// assert_eq!(key.public_key().bits(), 2048);
    /// assert!(key.public_key().capgo_compatible());
    /// # Ok::<(), otaseal_keys::KeyError>(())
    /// ```
    pub fn generate(size: KeySize) -> Result<Self, KeyError> {
        let inner = rsa::PrivateKey::new(&mut getrandom::SysRng, size.bits())
            .map_err(KeyError::Generation)?;
        Self::from_rsa(inner)
    }

    /// Wraps an `rsa` private key.
    ///
    /// # Errors
    /// [`KeyError::Encoding`] if its public half cannot be encoded (an invalid key).
    pub fn from_rsa(inner: rsa::PrivateKey) -> Result<Self, KeyError> {
        let public = PublicKey::from_rsa(inner.to_public_key())?;
        Ok(Self { inner, public })
    }

    /// Reads a private key from PEM (`RSA PRIVATE KEY` or `PRIVATE KEY`) or DER.
    ///
    /// # Errors
    /// [`KeyError`] naming the problem; [`KeyError::WrongKind`] for a public key.
    pub fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, KeyError> {
        decode::decode_any(bytes, limits)?.into_private()
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The underlying `rsa` key, for the RSA operations of `otaseal-envelope`.
    #[must_use]
    pub fn as_rsa(&self) -> &rsa::PrivateKey {
        &self.inner
    }

    /// PKCS#1 `RSA PRIVATE KEY` PEM with `\n` line endings, as `@capgo/cli` writes
    /// `.capgo_key_v2`.
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_pkcs1_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.inner
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(KeyError::encoding)
    }

    /// PKCS#1 DER.
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_pkcs1_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.inner
            .to_pkcs1_der()
            .map(|d| Zeroizing::new(d.as_bytes().to_vec()))
            .map_err(KeyError::encoding)
    }

    /// PKCS#8 `PRIVATE KEY` PEM with `\n` line endings (unencrypted).
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        self.inner
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(KeyError::encoding)
    }

    /// PKCS#8 DER (unencrypted).
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.inner
            .to_pkcs8_der()
            .map(|d| Zeroizing::new(d.as_bytes().to_vec()))
            .map_err(KeyError::encoding)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.public.bits())
            .field("fingerprint", &self.public.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Signer for PrivateKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign_type1(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        crate::signer::check_type1_payload(payload, self.public.modulus_len())?;
        self.inner
            .sign_with_rng(
                &mut getrandom::SysRng,
                rsa::Pkcs1v15Sign::new_unprefixed(),
                payload,
            )
            .map_err(SignError::Rsa)
    }

    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        self.inner
            .sign_with_rng(
                &mut getrandom::SysRng,
                rsa::pss::Pss::<sha2::Sha256>::new_with_salt(usize::from(
                    crate::signer::PSS_SALT_LEN,
                )),
                digest,
            )
            .map_err(SignError::Rsa)
    }

    fn decrypt_oaep_sha256(
        &self,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SignError> {
        crate::signer::check_ciphertext_len(ciphertext, self.public.modulus_len())?;
        self.inner
            .decrypt_blinded(
                &mut getrandom::SysRng,
                rsa::Oaep::<sha2::Sha256>::new_with_label(label),
                ciphertext,
            )
            .map(Zeroizing::new)
            .map_err(|_| SignError::Decryption)
    }
}
