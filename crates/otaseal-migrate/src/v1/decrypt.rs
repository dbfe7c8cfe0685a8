use std::io::{Read, Write};
use std::path::Path;

use otaseal_envelope::hazmat::decrypt_cbc_stream;
use otaseal_envelope::io::{Existing, Mode, PendingFile};
use otaseal_keys::PrivateKey;
use otaseal_wire::{Crc32Checksum, IvSessionKey, Limit, Limits, SESSION_KEY_LEN};
use rsa::Oaep;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use super::DecryptError;

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
) -> Result<(Zeroizing<[u8; SESSION_KEY_LEN]>, Choice), DecryptError> {
    let mut out = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    getrandom::fill(out.as_mut()).map_err(|_| DecryptError::Random)?;
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
/// [`STREAM_BUFFER_LEN`](otaseal_envelope::STREAM_BUFFER_LEN) buffer: `spec/v1.md` section 6. The `ivSessionKey` block must be
/// exactly the V1 key's modulus length; the session key is unwrapped with RSA-OAEP-SHA256;
/// the body is decrypted and CRC'd as it streams; then the PKCS#7 padding and, when
/// `expected_crc32` is given, the CRC32 are checked.
///
/// `writer` receives plaintext **before** it is verified: give it something you discard on
/// error (a [`PendingFile`] as [`decrypt_to`] does, or a V2
/// [`Encryptor`](otaseal_envelope::v2::Encryptor) whose output you discard, as
/// [`Migrator`](crate::Migrator) does).
///
/// # Errors
/// [`DecryptError::Wire`] if the block length differs from the modulus length;
/// [`DecryptError::Truncated`] if the ciphertext is not a positive multiple of 16 bytes;
/// [`DecryptError::TooLarge`]; [`DecryptError::Decryption`] for a session key that does not
/// unwrap, bad padding or a CRC32 mismatch, without saying which; [`DecryptError::Io`];
/// [`DecryptError::Random`].
///
/// ```
/// use otaseal_keys::{Limits, PrivateKey};
/// use otaseal_migrate::v1::{self, DecryptError};
/// use otaseal_wire::{Crc32Checksum, IvSessionKey};
///
/// let l = Limits::default();
/// let v1_key = PrivateKey::from_bytes(include_bytes!("../../tests/data/v1k1.key"), &l)?;
/// let ciphertext = include_bytes!("../../tests/data/rand-17.v1k1.enc");
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
/// assert!(matches!(r, Err(DecryptError::Decryption)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decrypt_stream<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<V1Verified, DecryptError> {
    // spec/v1.md 6 step 1: a block of exactly k bytes (public information, reported as such).
    iv_session_key.check_modulus(key.public_key().modulus_len())?;
    // Step 2.
    let (session, unwrap_ok) = unwrap_session_key(key, iv_session_key.wrapped_key())?;
    // Step 3: decrypt, then one verdict for unwrap, padding and CRC32.
    let mut crc = crc32fast::Hasher::new();
    let body = decrypt_cbc_stream(reader, &session, iv_session_key.iv(), limits, |plain| {
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
        Err(DecryptError::Decryption)
    }
}

/// Decrypts and verifies a V1 bundle into `output`, which is persisted (given its name) only
/// after the checks of [`decrypt_stream`] passed (`spec/v1.md` section 6 step 3). On any error
/// nothing is left and an existing destination is untouched.
///
/// # Errors
/// As [`decrypt_stream`]; [`DecryptError::Output`].
pub fn decrypt_to(
    reader: impl Read,
    mut output: PendingFile,
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<V1Verified, DecryptError> {
    let verified = decrypt_stream(
        reader,
        &mut output,
        key,
        iv_session_key,
        expected_crc32,
        limits,
    )?;
    output.persist()?;
    Ok(verified)
}

/// [`decrypt_to`] a new [`PendingFile`] for `dest`, private to its owner (the plaintext), that
/// replaces an existing `dest` once verified.
///
/// # Errors
/// As [`decrypt_to`].
pub fn decrypt_to_file(
    reader: impl Read,
    dest: &Path,
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<V1Verified, DecryptError> {
    let output = PendingFile::create(dest, Mode::Private, Existing::Replace)?;
    decrypt_to(reader, output, key, iv_session_key, expected_crc32, limits)
}

/// Decrypts and verifies a whole V1 bundle in memory; the plaintext is returned only if it
/// verified, in a buffer that is wiped when dropped.
///
/// # Errors
/// As [`decrypt_stream`]; [`DecryptError::TooLarge`] is checked before any work.
pub fn decrypt(
    ciphertext: &[u8],
    key: &PrivateKey,
    iv_session_key: &IvSessionKey,
    expected_crc32: Option<Crc32Checksum>,
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    limits
        .check(Limit::BundleLen, ciphertext.len() as u64)
        .map_err(DecryptError::TooLarge)?;
    let mut out = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    decrypt_stream(
        ciphertext,
        &mut *out,
        key,
        iv_session_key,
        expected_crc32,
        limits,
    )?;
    Ok(out)
}
