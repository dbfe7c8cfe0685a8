//! The OpenSSL backend of [`Signer`] (feature `openssl`).
//!
//! - Type-1: `RSA_private_encrypt` with `RSA_PKCS1_PADDING`, which is what Node's
//!   `crypto.privateEncrypt` (and so `@capgo/cli`) calls.
//! - PSS-SHA256 and OAEP-SHA256 through `EVP_PKEY_CTX` with explicit digests, MGF1 digests,
//!   salt length and label.
//!
//! OpenSSL's RSA private operations are blinded and use constant-time modular exponentiation,
//! and its OAEP decoding is constant time: RUSTSEC-2023-0071 does not apply (`SECURITY.md`,
//! "Key backends"). The key's secret integers live in OpenSSL's memory and are cleared by
//! `RSA_free` (`BN_clear_free`) when the key is dropped.

use core::fmt;

use openssl::md::Md;
use openssl::pkey::{PKey, Private};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::{Padding, Rsa};
use openssl::sign::RsaPssSaltlen;
use zeroize::Zeroizing;

use crate::signer::{PSS_SALT_LEN, check_block_len, check_ciphertext_len, check_type1_payload};
use crate::{PrivateKey, PublicKey, SignError, Signer};

/// An RSA private key held by OpenSSL.
///
/// Not `Clone`; `Debug` shows only the size and the public fingerprint.
pub struct OpensslKey {
    pkey: PKey<Private>,
    rsa: Rsa<Private>,
    public: PublicKey,
}

impl OpensslKey {
    /// Copies a key into OpenSSL (through a zeroized PKCS#1 DER buffer).
    ///
    /// # Errors
    /// [`LoadError::Key`](crate::LoadError::Key) if the key cannot be encoded,
    /// [`LoadError::OpenSsl`](crate::LoadError::OpenSsl) if OpenSSL refuses it.
    pub fn from_private_key(key: &PrivateKey) -> Result<Self, crate::LoadError> {
        let der = key.to_pkcs1_der()?;
        let rsa = Rsa::private_key_from_der(&der).map_err(crate::LoadError::OpenSsl)?;
        if !rsa.check_key().map_err(crate::LoadError::OpenSsl)? {
            return Err(crate::LoadError::Key(crate::KeyError::NotAKey));
        }
        let pkey = PKey::from_rsa(rsa.clone()).map_err(crate::LoadError::OpenSsl)?;
        Ok(Self {
            pkey,
            rsa,
            public: key.public_key().clone(),
        })
    }
}

impl fmt::Debug for OpensslKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpensslKey")
            .field("bits", &self.public.bits())
            .field("fingerprint", &self.public.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Signer for OpensslKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign_type1(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        let modulus_len = self.public.modulus_len();
        check_type1_payload(payload, modulus_len)?;
        let mut out = vec![0u8; modulus_len];
        let n = self
            .rsa
            .private_encrypt(payload, &mut out, Padding::PKCS1)
            .map_err(SignError::OpenSsl)?;
        out.truncate(n);
        check_block_len(out, self.public.modulus_len())
    }

    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        let run = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let mut ctx = PkeyCtx::new(&self.pkey)?;
            ctx.sign_init()?;
            ctx.set_rsa_padding(Padding::PKCS1_PSS)?;
            ctx.set_signature_md(Md::sha256())?;
            ctx.set_rsa_mgf1_md(Md::sha256())?;
            ctx.set_rsa_pss_saltlen(RsaPssSaltlen::custom(i32::from(PSS_SALT_LEN)))?;
            let mut sig = Vec::new();
            ctx.sign_to_vec(digest, &mut sig)?;
            Ok(sig)
        };
        check_block_len(
            run().map_err(SignError::OpenSsl)?,
            self.public.modulus_len(),
        )
    }

    fn decrypt_oaep_sha256(
        &self,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SignError> {
        check_ciphertext_len(ciphertext, self.public.modulus_len())?;
        let mut out = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
        let run = |out: &mut Vec<u8>| -> Result<(), openssl::error::ErrorStack> {
            let mut ctx = PkeyCtx::new(&self.pkey)?;
            ctx.decrypt_init()?;
            ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
            ctx.set_rsa_oaep_md(Md::sha256())?;
            ctx.set_rsa_mgf1_md(Md::sha256())?;
            if !label.is_empty() {
                ctx.set_rsa_oaep_label(label)?;
            }
            ctx.decrypt_to_vec(ciphertext, out)?;
            Ok(())
        };
        // One opaque error, whatever OpenSSL says (its queue is cleared by dropping it).
        run(&mut out).map_err(|_| SignError::Decryption)?;
        Ok(out)
    }
}
