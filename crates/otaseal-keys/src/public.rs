use core::fmt;

use otaseal_wire::{KeyId, Limits};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey, LineEnding};
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;

use crate::decode;
use crate::{CAPGO_KEY_BITS, Fingerprint, KeyError, KeySize};

/// An RSA public key: what a device holds, and what verifies V2 bundles.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    inner: rsa::PublicKey,
    // Derived once at construction so that the accessors cannot fail.
    key_id: KeyId,
    fingerprint: Fingerprint,
}

impl PublicKey {
    /// Wraps an `rsa` public key.
    ///
    /// # Errors
    /// [`KeyError::Encoding`] if the key cannot be DER-encoded (an invalid key).
    /// [`KeyError::UnsupportedSize`] unless the modulus is 2048, 3072 or 4096 bits and
    /// [`KeyError::UnsupportedExponent`] unless `e` = 65537 (`spec/keys.md` section 2).
    pub fn from_rsa(inner: rsa::PublicKey) -> Result<Self, KeyError> {
        let bits = inner.n().as_ref().bit_width_vartime() as usize;
        if KeySize::try_from(bits).is_err() {
            return Err(KeyError::UnsupportedSize { bits });
        }
        if *inner.e() != rsa::BoxedUint::from(65_537u32) {
            return Err(KeyError::UnsupportedExponent);
        }
        let pkcs1 = inner.to_pkcs1_der().map_err(KeyError::encoding)?;
        let key_id = KeyId::from_pkcs1_der(pkcs1.as_bytes()).map_err(KeyError::encoding)?;
        let spki = inner.to_public_key_der().map_err(KeyError::encoding)?;
        let fingerprint = crate::fingerprint_of_spki_der(spki.as_bytes());
        Ok(Self {
            inner,
            key_id,
            fingerprint,
        })
    }

    /// A public key from its big-endian modulus and exponent, as a PKCS#11 token or another
    /// backend reports them. The size is checked first, so a key of an unsupported size is
    /// reported as [`KeyError::UnsupportedSize`] whatever its length.
    ///
    /// # Errors
    /// [`KeyError::UnsupportedSize`], [`KeyError::UnsupportedExponent`], or
    /// [`KeyError::Malformed`] for integers that are not an RSA public key.
    pub fn from_modulus_exponent(modulus: &[u8], exponent: &[u8]) -> Result<Self, KeyError> {
        use rsa::pkcs1::der::{Encode, asn1::UintRef};
        const WHAT: &str = "RSA modulus and exponent";
        let first = modulus
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(modulus.len());
        let n = &modulus[first..];
        let bits = n
            .first()
            .map_or(0, |&b| (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize));
        KeySize::try_from(bits)?;
        let der = pkcs1::RsaPublicKey {
            modulus: UintRef::new(n).map_err(|e| decode::malformed(WHAT, pkcs1::Error::from(e)))?,
            public_exponent: UintRef::new(exponent)
                .map_err(|e| decode::malformed(WHAT, pkcs1::Error::from(e)))?,
        }
        .to_der()
        .map_err(|e| decode::malformed(WHAT, pkcs1::Error::from(e)))?;
        rsa::PublicKey::from_pkcs1_der(&der)
            .map_err(|e| decode::malformed(WHAT, e))
            .and_then(Self::from_rsa)
    }

    /// The underlying `rsa` key, for the RSA operations of `otaseal-envelope`.
    #[must_use]
    pub fn as_rsa(&self) -> &rsa::PublicKey {
        &self.inner
    }

    /// Reads a public key from PEM (`RSA PUBLIC KEY` or `PUBLIC KEY`) or DER (PKCS#1 or SPKI).
    ///
    /// # Errors
    /// [`KeyError`] naming the problem; [`KeyError::WrongKind`] for a private key.
    pub fn from_bytes(bytes: &[u8], limits: &Limits) -> Result<Self, KeyError> {
        decode::decode_any(bytes, limits)?.into_public()
    }

    /// Reads a PKCS#1 `RSA PUBLIC KEY` PEM, the form of `.capgo_key_v2.pub` and of
    /// capacitor.config's `publicKey`.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] if it is not exactly that.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, KeyError> {
        rsa::PublicKey::from_pkcs1_pem(pem)
            .map_err(|e| decode::malformed("PKCS#1 public key PEM", e))
            .and_then(Self::from_rsa)
    }

    /// Modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.inner.n().as_ref().bit_width_vartime() as usize
    }

    /// Modulus length in bytes: the length of every RSA block this key makes or opens.
    #[must_use]
    pub fn modulus_len(&self) -> usize {
        self.inner.size()
    }

    /// `true` for the keys Capgo devices accept: RSA-2048 with public exponent 65537.
    #[must_use]
    pub fn capgo_compatible(&self) -> bool {
        self.bits() == CAPGO_KEY_BITS
            && self.modulus_len() == 256
            && *self.inner.e() == rsa::BoxedUint::from(65_537u32)
    }

    /// Fails unless [`capgo_compatible`](Self::capgo_compatible).
    ///
    /// # Errors
    /// [`KeyError::NotCapgoCompatible`].
    pub fn check_capgo_compatible(&self) -> Result<(), KeyError> {
        if self.capgo_compatible() {
            Ok(())
        } else {
            Err(KeyError::NotCapgoCompatible { bits: self.bits() })
        }
    }

    /// PKCS#1 `RSA PUBLIC KEY` PEM with `\n` line endings, as `@capgo/cli` writes
    /// `.capgo_key_v2.pub`.
    ///
    /// # Errors
    /// [`KeyError::Encoding`] (only if the key itself is invalid).
    pub fn to_pkcs1_pem(&self) -> Result<String, KeyError> {
        self.inner
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(KeyError::encoding)
    }

    /// PKCS#1 DER.
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_pkcs1_der(&self) -> Result<Vec<u8>, KeyError> {
        self.inner
            .to_pkcs1_der()
            .map(|d| d.into_vec())
            .map_err(KeyError::encoding)
    }

    /// SPKI `PUBLIC KEY` PEM with `\n` line endings.
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .map_err(KeyError::encoding)
    }

    /// SPKI DER, the input of the [`Fingerprint`].
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn to_spki_der(&self) -> Result<Vec<u8>, KeyError> {
        self.inner
            .to_public_key_der()
            .map(|d| d.into_vec())
            .map_err(KeyError::encoding)
    }

    /// The value to store at `plugins.CapacitorUpdater.publicKey` in capacitor.config
    /// (`spec/keys.md` section 4): the whole PKCS#1 PEM with headers and `\n` line breaks.
    ///
    /// # Errors
    /// [`KeyError::Encoding`].
    pub fn capacitor_config_value(&self) -> Result<String, KeyError> {
        self.to_pkcs1_pem()
    }

    /// Capgo's key id: the first 20 characters of the PKCS#1 PEM body (`spec/keys.md`
    /// section 5). Computed from the canonical PKCS#1 encoding, so a key read from SPKI or
    /// DER gets the id its Capgo PEM would have.
    #[must_use]
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The SHA-256 fingerprint of the SPKI DER (`spec/keys.md` section 6).
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}
