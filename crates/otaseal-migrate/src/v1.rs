//! The legacy Capgo encryption V1 reader (`spec/v1.md`).
//!
//! A V1 bundle is raw AES-128-CBC/PKCS#7 ciphertext; its session key travels in an
//! `ivSessionKey` string of the V2 shape whose RSA block is RSAES-OAEP (SHA-256, MGF1-SHA-256,
//! empty label) under the V1 *public* key. Opening it takes the V1 *private* key, the key that
//! V1 apps shipped. The optional checksum is the CRC-32 of the plaintext.
//!
//! There is deliberately no V1 writer here (otaseal MUST NOT write V1, `spec/v1.md`), except
//! `insecure_testing` behind the feature `v1-writer-insecure-testing`, for test fixtures.

use std::io::{Read, Write};
use std::path::Path;

use otaseal_envelope::cbc;
use otaseal_keys::PrivateKey;
use otaseal_wire::{Crc32Checksum, Field, IvSessionKey, Limits, SESSION_KEY_LEN, WireError};
use rsa::Oaep;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::{Error, fsutil};

/// A V1 bundle that decrypted and verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct V1Verified {
    /// CRC-32 of the plaintext (`spec/v1.md` section 5).
    pub crc32: Crc32Checksum,
    /// Plaintext length in bytes.
    pub plaintext_len: u64,
    /// `true` when the plaintext was compared with a CRC32 given by the caller; `false` when
    /// only the session key and the padding were checked. Even when `true`, a CRC32 is not a
    /// MAC: V1 input stays untrusted data (`spec/v1.md` section 8).
    pub crc32_checked: bool,
}

/// CRC-32/ISO-HDLC of `data` (the CRC of zip and zlib), V1's checksum (`spec/v1.md`
/// section 5).
///
/// ```
/// use otaseal_migrate::v1::crc32;
///
/// assert_eq!(crc32(b"").to_string(), "00000000");
/// assert_eq!(crc32(b"123456789").to_string(), "cbf43926");
/// ```
#[must_use]
pub fn crc32(data: &[u8]) -> Crc32Checksum {
    Crc32Checksum::new(crc32fast::hash(data))
}

/// Unwraps the session key: `spec/v1.md` section 6 step 2, RSAES-OAEP-DECRYPT with SHA-256,
/// MGF1-SHA-256 and an empty label, blinded with the OS generator; the result MUST be 16
/// bytes.
///
/// Never fails visibly: on any failure it returns a random key and a false [`Choice`], so that
/// the caller decrypts the body either way and reports one verdict at the end (no OAEP oracle
/// apart from the rest, in the manner of implicit rejection).
fn unwrap_session_key(
    key: &PrivateKey,
    block: &[u8],
) -> Result<(Zeroizing<[u8; SESSION_KEY_LEN]>, Choice), Error> {
    let mut out = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    getrandom::fill(out.as_mut()).map_err(|_| Error::Random)?;
    let opened = key
        .as_rsa()
        .decrypt_blinded(&mut getrandom::SysRng, Oaep::<Sha256>::new(), block)
        .map(Zeroizing::new);
    match opened {
        Ok(k) if k.len() == SESSION_KEY_LEN => {
            out.copy_from_slice(&k);
            Ok((out, Choice::from(1)))
        }
        _ => Ok((out, Choice::from(0))),
    }
}

/// Decrypts and verifies a V1 bundle from `reader` to `writer` with a fixed
/// [`STREAM_BUFFER_LEN`](crate::STREAM_BUFFER_LEN) buffer: `spec/v1.md` section 6. The `ivSessionKey` block must be
/// exactly the V1 key's modulus length; the session key is unwrapped with RSA-OAEP-SHA256;
/// the body is decrypted and CRC'd as it streams; then the PKCS#7 padding and, when
/// `expected_crc32` is given, the CRC32 are checked.
///
/// `writer` receives plaintext **before** it is verified: give it something you discard on
/// error (a temporary file as [`decrypt_to_file`] does, or a V2
/// [`Encryptor`](otaseal_envelope::v2::Encryptor) whose output you discard, as
/// [`Migrator`](crate::Migrator) does).
///
/// # Errors
/// [`Error::Wire`] if the block length differs from the modulus length; [`Error::Truncated`]
/// if the ciphertext is not a positive multiple of 16 bytes; [`Error::TooLarge`];
/// [`Error::Decryption`] for a session key that does not unwrap, bad padding or a CRC32
/// mismatch, without saying which; [`Error::Io`]; [`Error::Random`].
///
/// ```
/// use otaseal_keys::{Limits, PrivateKey};
/// use otaseal_migrate::{Error, v1};
/// use otaseal_wire::{Crc32Checksum, IvSessionKey};
///
/// let l = Limits::default();
/// let v1_key = PrivateKey::from_bytes(include_bytes!("../../../spec/vectors/capgo-cli/keys/v1k1.key"), &l)?;
/// let ciphertext = include_bytes!("../../../spec/vectors/capgo-cli/v1/rand-17.v1k1.enc");
/// # let iv_session_key = "V6zXFmzWudCe/8P0/bl/wA==:ilzBb+AtkUcXuZ6shmKsuKzsLNbx/aLubtiNb9/1x9ZjQYny5btjYJRssP+3gEq6Jew3x511xr2EJhJoJBaHfrbp8oEaCtgCTaQkqHn+ublqIpd+Zv6TAuiMhI1dXB4ejeTxdM//cfdlW/RUhpgl9ETnTPXjnVnjMhpdfP6bzhIIkGGhwRh3w3nOgl1gjz5ixSiPr/0EZkgEDsqMJvfSimvEM82pwqQZwyNuKXDN9q2x5hVzWXcuM5oJvoOM0uxaVLolPd3GB9mYvHROPWOLFzDrUcSV6B3VMLmBWarJmMaCzVXBNGmncxYmIqt0p+uNhsHJtt5LGHwoONhOa5Dx8w==";
/// let ivsk = IvSessionKey::parse(iv_session_key, &l)?;
///
/// let mut plain = Vec::new();
/// let v = v1::decrypt_stream(&ciphertext[..], &mut plain, &v1_key, &ivsk, None, &l)?;
/// assert_eq!(v.crc32.to_string(), "f7df1b24");
/// assert!(!v.crc32_checked);
///
/// // A wrong CRC32 is the same opaque error as a wrong key or an altered body.
/// let wrong = Some(Crc32Checksum::new(0));
/// let r = v1::decrypt_stream(&ciphertext[..], std::io::sink(), &v1_key, &ivsk, wrong, &l);
/// assert!(matches!(r, Err(Error::Decryption)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decrypt_stream<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<V1Verified, Error> {
    // spec/v1.md 6 step 1: a block of exactly k bytes (public information, reported as such).
    let k = key.public_key().modulus_len();
    let block = iv_session_key.wrapped_key();
    if block.len() != k {
        return Err(Error::Wire(WireError::ModulusLengthMismatch {
            field: Field::WrappedKey,
            expected: k,
            actual: block.len(),
        }));
    }
    // Step 2.
    let (session, unwrap_ok) = unwrap_session_key(key, block)?;
    // Step 3: decrypt, then one verdict for unwrap, padding and CRC32.
    let mut crc = crc32fast::Hasher::new();
    let body = cbc::decrypt_stream(reader, &session, iv_session_key.iv(), limits, |plain| {
        crc.update(plain);
        writer.write_all(plain)
    })?;
    writer.flush()?;
    let crc32 = Crc32Checksum::new(crc.finalize());
    let crc_ok = match expected_crc32 {
        Some(want) => want
            .value()
            .to_be_bytes()
            .ct_eq(&crc32.value().to_be_bytes()),
        None => Choice::from(1),
    };
    // spec/v1.md 6: failures of steps 2 and 3 are one opaque error.
    if bool::from(unwrap_ok & body.padding_valid & crc_ok) {
        Ok(V1Verified {
            crc32,
            plaintext_len: body.plaintext_len,
            crc32_checked: expected_crc32.is_some(),
        })
    } else {
        Err(Error::Decryption)
    }
}

/// Decrypts and verifies a V1 bundle to the file `dest`, atomically: the plaintext goes to a
/// temporary file beside `dest` (mode 0600 on Unix) that is renamed over `dest` only after the
/// checks of [`decrypt_stream`] passed (`spec/v1.md` section 6 step 3). On any error nothing is
/// left and an existing `dest` is untouched.
///
/// # Errors
/// As [`decrypt_stream`].
pub fn decrypt_to_file(
    reader: impl Read,
    dest: &Path,
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<V1Verified, Error> {
    let mut tmp = fsutil::temp_beside(dest)?;
    fsutil::restrict_permissions(tmp.as_file())?;
    let verified = decrypt_stream(
        reader,
        &mut tmp,
        key,
        iv_session_key,
        expected_crc32,
        limits,
    )?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
    Ok(verified)
}

/// Decrypts and verifies a whole V1 bundle in memory; the plaintext is returned only if it
/// verified.
///
/// # Errors
/// As [`decrypt_stream`]; [`Error::TooLarge`] is checked before any work.
pub fn decrypt(
    ciphertext: &[u8],
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<Vec<u8>, Error> {
    if ciphertext.len() as u64 > limits.max_bundle_len {
        return Err(Error::TooLarge {
            max: limits.max_bundle_len,
        });
    }
    let mut out = Vec::with_capacity(ciphertext.len());
    match decrypt_stream(
        ciphertext,
        &mut out,
        key,
        iv_session_key,
        expected_crc32,
        limits,
    ) {
        Ok(_) => Ok(out),
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut out);
            Err(e)
        }
    }
}

/// A V1 **writer**, for building test fixtures only.
///
/// V1 gives no security (`spec/v1.md` section 8) and otaseal MUST NOT write V1 bundles for
/// real use: this module exists only behind the feature `v1-writer-insecure-testing` (and in
/// this crate's own unit tests), so that tests can make V1 bundles the way `@capgo/cli` 4.x
/// did: RSA-OAEP-SHA256 under the V1 *public* key, AES-128-CBC/PKCS#7, CRC32 of the
/// plaintext.
#[cfg(any(test, feature = "v1-writer-insecure-testing"))]
pub mod insecure_testing {
    use aes::Aes128;
    use aes::cipher::{Array, BlockModeEncrypt, KeyIvInit};
    use otaseal_keys::PublicKey;
    use otaseal_wire::{Crc32Checksum, IV_LEN, IvSessionKey, SESSION_KEY_LEN};
    use sha2::Sha256;
    use zeroize::Zeroizing;

    use crate::Error;

    /// Encrypts `plaintext` as a V1 bundle for `v1_public`; returns the ciphertext, its
    /// `ivSessionKey` and the CRC32 of the plaintext.
    ///
    /// # Errors
    /// [`Error::Random`] if the OS generator fails; [`Error::InvalidInput`] if RSA-OAEP
    /// rejects the key.
    pub fn encrypt(
        plaintext: &[u8],
        v1_public: &PublicKey,
    ) -> Result<(Vec<u8>, IvSessionKey, Crc32Checksum), Error> {
        let mut key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
        let mut iv = [0u8; IV_LEN];
        getrandom::fill(key.as_mut()).map_err(|_| Error::Random)?;
        getrandom::fill(&mut iv).map_err(|_| Error::Random)?;
        let block = v1_public
            .as_rsa()
            .oaep_encrypt::<Sha256>(key.as_ref())
            .map_err(|e| Error::InvalidInput(format!("RSA-OAEP encryption failed: {e}")))?;
        let mut buf = plaintext.to_vec();
        let pad = 16 - buf.len() % 16;
        buf.resize(buf.len() + pad, u8::try_from(pad).unwrap_or(16));
        let mut cipher = cbc::Encryptor::<Aes128>::new(&Array(*key), &Array(iv));
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        cipher.encrypt_blocks(blocks);
        Ok((buf, IvSessionKey::new(iv, block), super::crc32(plaintext)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::cast_possible_truncation,
        reason = "test code"
    )]
    use super::*;
    use crate::STREAM_BUFFER_LEN;
    use otaseal_keys::KeySize;
    use std::io;

    #[test]
    fn round_trip_across_buffer_boundaries() {
        let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
        let l = Limits::default();
        for len in [
            0,
            1,
            15,
            16,
            17,
            STREAM_BUFFER_LEN - 1,
            STREAM_BUFFER_LEN,
            STREAM_BUFFER_LEN + 1,
            3 * STREAM_BUFFER_LEN + 5,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let (ct, ivsk, crc) = insecure_testing::encrypt(&plain, key.public_key()).unwrap();
            assert_eq!(decrypt(&ct, &key, &ivsk, Some(crc), &l).unwrap(), plain);
            // A reader that returns one byte at a time gives the same result.
            let mut out = Vec::new();
            let slow = io::BufReader::with_capacity(1, &ct[..]);
            let v = decrypt_stream(slow, &mut out, &key, &ivsk, None, &l).unwrap();
            assert_eq!(out, plain);
            assert_eq!(v.crc32, crc);
            assert!(!v.crc32_checked);
            assert_eq!(v.plaintext_len, len as u64);
        }
    }

    #[test]
    fn size_limit_is_enforced() {
        let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
        let (ct, ivsk, _) = insecure_testing::encrypt(&[1u8; 100], key.public_key()).unwrap();
        let mut l = Limits::default();
        l.max_bundle_len = 64;
        assert!(matches!(
            decrypt(&ct, &key, &ivsk, None, &l),
            Err(Error::TooLarge { max: 64 })
        ));
        let mut sink = io::sink();
        assert!(matches!(
            decrypt_stream(&ct[..], &mut sink, &key, &ivsk, None, &l),
            Err(Error::TooLarge { max: 64 })
        ));
    }
}
