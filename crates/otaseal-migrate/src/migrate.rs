//! Migration of one V1 bundle to V2 (`spec/v1.md` section 7 step 3).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use otaseal_envelope::STREAM_BUFFER_LEN;
use otaseal_envelope::io::{Existing, Mode, PendingFile, ensure_distinct, open_input};
use otaseal_envelope::v2::{self, DecryptError, Encryptor, Verification};
use otaseal_keys::{PrivateKey, Signer};
use otaseal_wire::{
    ChecksumFormat, Crc32Checksum, IvSessionKey, Limit, Limits, Sha256Checksum, SignedChecksum,
};

use crate::MigrateError;
use crate::v1::{self, V1Verified};

/// What migrating one bundle gives the update server: the V2 `session_key` and `checksum`,
/// plus the plain SHA-256 and the V1 CRC32 for the record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migrated {
    /// The new V2 `ivSessionKey` (API `session_key`).
    pub iv_session_key: IvSessionKey,
    /// SHA-256 of the plaintext zip.
    pub checksum: Sha256Checksum,
    /// The checksum signed by the V2 key, in the requested form (API `checksum`).
    pub signed_checksum: SignedChecksum,
    /// CRC-32 of the plaintext, as V1 recorded it.
    pub v1_crc32: Crc32Checksum,
    /// Whether the V1 side was checked against a CRC32 given by the caller.
    pub v1_crc32_checked: bool,
    /// Plaintext length in bytes.
    pub plaintext_len: u64,
    /// V2 ciphertext length in bytes.
    pub ciphertext_len: u64,
}

/// Migrates V1 bundles to V2 with one V1 private key and one V2 private key.
///
/// The plaintext is never written anywhere: the V1 body is decrypted in 64 KiB pieces straight
/// into a V2 [`Encryptor`], and the V2 result is kept only if the V1 side verified (padding,
/// and the CRC32 when given).
///
/// ```
/// use otaseal_envelope::v2::{self, Verification};
/// use otaseal_keys::{KeySize, Limits, PrivateKey};
/// use otaseal_migrate::Migrator;
/// use otaseal_wire::IvSessionKey;
///
/// let l = Limits::default();
/// let v1_key = PrivateKey::from_bytes(include_bytes!("../tests/data/v1k1.key"), &l)?;
/// let v2_key = PrivateKey::generate(KeySize::Rsa2048)?;
/// let v1_bundle = include_bytes!("../tests/data/rand-17.v1k1.enc");
/// # let iv_session_key = "V6zXFmzWudCe/8P0/bl/wA==:ilzBb+AtkUcXuZ6shmKsuKzsLNbx/aLubtiNb9/1x9ZjQYny5btjYJRssP+3gEq6Jew3x511xr2EJhJoJBaHfrbp8oEaCtgCTaQkqHn+ublqIpd+Zv6TAuiMhI1dXB4ejeTxdM//cfdlW/RUhpgl9ETnTPXjnVnjMhpdfP6bzhIIkGGhwRh3w3nOgl1gjz5ixSiPr/0EZkgEDsqMJvfSimvEM82pwqQZwyNuKXDN9q2x5hVzWXcuM5oJvoOM0uxaVLolPd3GB9mYvHROPWOLFzDrUcSV6B3VMLmBWarJmMaCzVXBNGmncxYmIqt0p+uNhsHJtt5LGHwoONhOa5Dx8w==";
/// let v1_ivsk = IvSessionKey::parse(iv_session_key, &l)?;
///
/// let migrator = Migrator::new(&v1_key, &v2_key)?;
/// let crc32 = Some("f7df1b24".parse()?);
/// let (v2_bundle, out) = migrator.migrate_stream(&v1_bundle[..], Vec::new(), &v1_ivsk, crc32)?;
///
/// // What a device does with the new session_key and checksum.
/// let plain = v2::decrypt(
///     &v2_bundle,
///     v2_key.public_key(),
///     &out.iv_session_key,
///     Verification::SignedChecksum(&out.signed_checksum),
///     &l,
/// )?;
/// assert_eq!(plain.as_slice(), include_bytes!("../tests/data/rand-17.v1k1.plain"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Migrator<'k> {
    v1_key: &'k PrivateKey,
    v2_key: &'k dyn Signer,
    format: ChecksumFormat,
    limits: Limits,
}

impl<'k> Migrator<'k> {
    /// A migrator from `v1_key` (the V1 private key that V1 apps shipped) to `v2_key` (the
    /// developer's new V2 private key), writing hex signed checksums under default limits.
    ///
    /// # Errors
    /// [`MigrateError::Key`] if the V2 key is not what Capgo devices accept (RSA-2048,
    /// e = 65537); [`MigrateError::KeyReused`] if the V2 key is the V1 key (`spec/v1.md`
    /// section 7 step 1).
    pub fn new(v1_key: &'k PrivateKey, v2_key: &'k dyn Signer) -> Result<Self, MigrateError> {
        v2_key.public_key().check_capgo_compatible()?;
        if v1_key.public_key().fingerprint() == v2_key.public_key().fingerprint() {
            return Err(MigrateError::KeyReused);
        }
        Ok(Self {
            v1_key,
            v2_key,
            format: ChecksumFormat::Hex,
            limits: Limits::default(),
        })
    }

    /// Sets the signed checksum's form, which the target plugin version dictates
    /// (`spec/v2.md` section 5).
    #[must_use]
    pub fn checksum_format(mut self, format: ChecksumFormat) -> Self {
        self.format = format;
        self
    }

    /// Sets the limits (the largest bundle, in particular).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in use.
    #[must_use]
    pub fn limits_ref(&self) -> &Limits {
        &self.limits
    }

    /// The signed checksum form in use.
    #[must_use]
    pub fn format(&self) -> ChecksumFormat {
        self.format
    }

    /// Migrates one V1 bundle read from `reader` into V2 ciphertext written to `writer`.
    ///
    /// `writer` receives V2 ciphertext before the V1 side is verified: on error, discard it
    /// ([`migrate_file`](Self::migrate_file) does). The ciphertext reveals nothing without the
    /// V2 session key, which is only output on success.
    ///
    /// # Errors
    /// [`MigrateError::V1`] (the errors of [`v1::decrypt_stream`]), and
    /// [`MigrateError::Encrypt`] if V2 encryption or signing fails.
    pub fn migrate_stream<R: Read, W: Write>(
        &self,
        reader: R,
        writer: W,
        v1_iv_session_key: &IvSessionKey,
        v1_crc32: Option<Crc32Checksum>,
    ) -> Result<(W, Migrated), MigrateError> {
        let mut enc = Encryptor::new(self.v2_key, self.format, writer)?;
        let v1 = v1::decrypt_stream(
            reader,
            &mut enc,
            self.v1_key,
            v1_iv_session_key,
            v1_crc32,
            &self.limits,
        )?;
        let (writer, out) = enc.finish()?;
        Ok((
            writer,
            Migrated {
                iv_session_key: out.iv_session_key,
                checksum: out.checksum,
                signed_checksum: out.signed_checksum,
                v1_crc32: v1.crc32,
                v1_crc32_checked: v1.crc32_checked,
                plaintext_len: out.plaintext_len,
                ciphertext_len: out.ciphertext_len,
            },
        ))
    }

    /// Migrates the V1 bundle `src` to the V2 bundle `dest`, replacing an existing `dest`
    /// ([`migrate_to`](Self::migrate_to) with a [`PendingFile`] that replaces).
    ///
    /// # Errors
    /// As [`migrate_to`](Self::migrate_to).
    pub fn migrate_file(
        &self,
        src: &Path,
        dest: &Path,
        v1_iv_session_key: &IvSessionKey,
        v1_crc32: Option<Crc32Checksum>,
    ) -> Result<Migrated, MigrateError> {
        ensure_distinct(src, dest)?;
        let output = PendingFile::create(dest, Mode::Umask, Existing::Replace)?;
        self.migrate_to(src, output, v1_iv_session_key, v1_crc32)
    }

    /// Migrates the V1 bundle `src` into `output`: the V2 ciphertext is verified with the V2
    /// public key (`spec/v1.md` section 7 step 3: session key, padding and signed checksum, in
    /// a second streaming pass), and only then is `output` given its name (as its
    /// [`Existing`] policy allows). On any error nothing is left and an existing destination
    /// is untouched.
    ///
    /// # Errors
    /// As [`migrate_stream`](Self::migrate_stream); [`MigrateError::TooLarge`] is checked on
    /// the file's size before any work; [`MigrateError::Verify`] if the V2 result does not
    /// verify; [`MigrateError::Output`] for an output that is the input.
    pub fn migrate_to(
        &self,
        src: &Path,
        output: PendingFile,
        v1_iv_session_key: &IvSessionKey,
        v1_crc32: Option<Crc32Checksum>,
    ) -> Result<Migrated, MigrateError> {
        ensure_distinct(src, output.dest())?;
        let input = self.open_bounded(src)?;
        let (mut output, out) = self.migrate_stream(
            io::BufReader::with_capacity(STREAM_BUFFER_LEN, input),
            output,
            v1_iv_session_key,
            v1_crc32,
        )?;
        let verified = v2::decrypt_stream(
            io::BufReader::with_capacity(STREAM_BUFFER_LEN, output.rewind()?),
            io::sink(),
            self.v2_key.public_key(),
            &out.iv_session_key,
            Verification::SignedChecksum(&out.signed_checksum),
            &self.limits,
        )
        .map_err(MigrateError::Verify)?;
        if verified.checksum != out.checksum || verified.plaintext_len != out.plaintext_len {
            // Cannot happen unless the disk changed the file under us.
            return Err(MigrateError::Verify(DecryptError::Decryption));
        }
        output.persist()?;
        Ok(out)
    }

    /// Decrypts and verifies the V1 bundle `src` without writing anything: what a dry run
    /// checks.
    ///
    /// # Errors
    /// As [`v1::decrypt_stream`].
    pub fn check_v1_file(
        &self,
        src: &Path,
        v1_iv_session_key: &IvSessionKey,
        v1_crc32: Option<Crc32Checksum>,
    ) -> Result<V1Verified, MigrateError> {
        let input = self.open_bounded(src)?;
        Ok(v1::decrypt_stream(
            io::BufReader::with_capacity(STREAM_BUFFER_LEN, input),
            io::sink(),
            self.v1_key,
            v1_iv_session_key,
            v1_crc32,
            &self.limits,
        )?)
    }

    fn open_bounded(&self, src: &Path) -> Result<File, MigrateError> {
        Ok(open_input(src, Limit::BundleLen, &self.limits)?.0)
    }
}
