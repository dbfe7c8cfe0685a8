use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use crate::codec::{
    b64_decode, b64_encode, hex_decode_exact, hex_decode_vec, hex_encode, looks_like_hex,
};
use crate::{Field, Limits, WireError, check_rsa_block_len};

/// The SHA-256 of a plaintext bundle zip, written as 64 lower-case hex characters.
///
/// From the wire spec, `spec/v2.md` section 4: devices compare the checksum string
/// case-sensitively against their own lower-case hex, so only lower-case is canonical.
///
/// ```
/// use otaseal_wire::Sha256Checksum;
///
/// let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// let c: Sha256Checksum = empty.parse()?;
/// assert_eq!(c.to_string(), empty);
/// assert!(empty.to_uppercase().parse::<Sha256Checksum>().is_err());
/// # Ok::<(), otaseal_wire::WireError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Checksum([u8; 32]);

crate::bytes32_newtype!(Sha256Checksum, "digest");

impl Sha256Checksum {
    /// Length of the digest in bytes.
    pub const LEN: usize = 32;

    /// The 64-character lower-case hex form.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }

    /// The bytes that the RSA private key signs for this checksum in `format`
    /// (`spec/v2.md` section 5):
    ///
    /// - [`ChecksumFormat::Hex`]: the 32 raw digest bytes;
    /// - [`ChecksumFormat::Base64`]: `base64decode(hex string)`, 48 bytes. This is a historical
    ///   quirk of Capgo's older plugins, kept for compatibility: the hex text is decoded as if
    ///   it were base64.
    #[must_use]
    pub fn signing_input(&self, format: ChecksumFormat) -> Vec<u8> {
        match format {
            ChecksumFormat::Hex => self.0.to_vec(),
            ChecksumFormat::Base64 => hex_as_base64_bytes(&self.to_hex()),
        }
    }
}

/// Decodes 64 hex characters as if they were base64: 64 characters of the base64 alphabet
/// without padding decode to exactly 48 bytes. Written out (not via a base64 library) because
/// the input is known to be in `[0-9a-f]`, a subset of the alphabet, so it cannot fail.
fn hex_as_base64_bytes(hex: &str) -> Vec<u8> {
    fn sextet(c: u8) -> u32 {
        match c {
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            // Unreachable for lower-case hex input; mapped like base64 upper-case for totality.
            b'A'..=b'Z' => u32::from(c - b'A'),
            _ => 0,
        }
    }
    let mut out = Vec::with_capacity(hex.len() / 4 * 3);
    for quad in hex.as_bytes().chunks_exact(4) {
        let n = quad.iter().fold(0u32, |acc, &c| (acc << 6) | sextet(c));
        out.extend_from_slice(&n.to_be_bytes()[1..]);
    }
    out
}

impl FromStr for Sha256Checksum {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 32];
        hex_decode_exact(Field::Checksum, s, &mut out)?;
        Ok(Self(out))
    }
}

impl fmt::Display for Sha256Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Checksum({})", self.to_hex())
    }
}

/// A legacy CRC-32 (ISO-HDLC) checksum, 8 lower-case hex characters, as V1 bundles carried.
///
/// Current plugins compute only SHA-256, so a bundle announced with a CRC32 checksum always
/// fails on them; otaseal reads CRC32 only to migrate V1 bundles.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Crc32Checksum(u32);

impl Crc32Checksum {
    /// Wraps a CRC-32 value.
    #[must_use]
    pub const fn new(value: u32) -> Self {
        Self(value)
    }

    /// The CRC-32 value.
    #[must_use]
    pub const fn value(self) -> u32 {
        self.0
    }
}

impl FromStr for Crc32Checksum {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 4];
        hex_decode_exact(Field::Checksum, s, &mut out)?;
        Ok(Self(u32::from_be_bytes(out)))
    }
}

impl fmt::Display for Crc32Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for Crc32Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Crc32Checksum({:08x})", self.0)
    }
}

/// A plain (unsigned) checksum: SHA-256 (64 hex characters) or legacy CRC32 (8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Checksum {
    /// SHA-256, the only checksum current devices compute.
    Sha256(Sha256Checksum),
    /// CRC32, legacy (V1 bundles).
    Crc32(Crc32Checksum),
}

impl FromStr for Checksum {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.len() {
            64 => s.parse().map(Checksum::Sha256),
            8 => s.parse().map(Checksum::Crc32),
            0 => Err(WireError::Empty {
                field: Field::Checksum,
            }),
            n => Err(WireError::WrongLength {
                field: Field::Checksum,
                expected: 64,
                actual: n,
            }),
        }
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Sha256(c) => c.fmt(f),
            Checksum::Crc32(c) => c.fmt(f),
        }
    }
}

/// How a signed checksum is written, chosen by the app's plugin version (`spec/v2.md` 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ChecksumFormat {
    /// Lower-case hex of the RSA block over the 32 digest bytes. Plugin >= 5.30.0 / 6.30.0 /
    /// 7.30.0 and all of 8.x. The default.
    #[default]
    Hex,
    /// Base64 of the RSA block over `base64decode(hex checksum)` (48 bytes). Older plugins.
    Base64,
}

impl ChecksumFormat {
    /// Length of the signed payload inside the type-1 block: 32 (hex) or 48 (base64).
    #[must_use]
    pub const fn payload_len(self) -> usize {
        match self {
            ChecksumFormat::Hex => 32,
            ChecksumFormat::Base64 => 48,
        }
    }

    /// The format a device infers from a signed checksum string: hex when every character
    /// matches `[0-9a-fA-F]` (the plugin's test), otherwise base64.
    #[must_use]
    pub fn detect(s: &str) -> Self {
        if looks_like_hex(s) {
            ChecksumFormat::Hex
        } else {
            ChecksumFormat::Base64
        }
    }
}

impl fmt::Display for ChecksumFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChecksumFormat::Hex => "hex",
            ChecksumFormat::Base64 => "base64",
        })
    }
}

impl FromStr for ChecksumFormat {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hex" => Ok(ChecksumFormat::Hex),
            "base64" => Ok(ChecksumFormat::Base64),
            _ => Err(WireError::InvalidEncoding {
                field: Field::SignedChecksum,
                offset: None,
            }),
        }
    }
}

/// A signed checksum: the RSA block produced by the developer's private key over the
/// checksum, as sent in the update response's `checksum` field and in manifest `file_hash`.
///
/// ```
/// use otaseal_wire::{ChecksumFormat, Limits, SignedChecksum};
///
/// let hex = "ab".repeat(256);
/// let s = SignedChecksum::parse(&hex, &Limits::default())?;
/// assert_eq!(s.format(), ChecksumFormat::Hex);
/// assert_eq!(s.block().len(), 256);
/// assert_eq!(s.to_string(), hex);
/// # Ok::<(), otaseal_wire::WireError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SignedChecksum {
    format: ChecksumFormat,
    block: Vec<u8>,
}

impl SignedChecksum {
    /// Builds the value from an RSA block and the form it is to be written in.
    #[must_use]
    pub fn new(format: ChecksumFormat, block: Vec<u8>) -> Self {
        Self { format, block }
    }

    /// Parses a signed checksum. The form is detected as the device does it
    /// ([`ChecksumFormat::detect`]); then the encoding must be canonical (lower-case hex, or
    /// padded standard base64) and the block must have a supported RSA modulus length.
    ///
    /// # Errors
    /// A [`WireError`] naming what is wrong.
    pub fn parse(s: &str, limits: &Limits) -> Result<Self, WireError> {
        const F: Field = Field::SignedChecksum;
        let max = limits.max_rsa_block_len.saturating_mul(2);
        if s.len() > max {
            return Err(WireError::TooLong {
                field: F,
                len: s.len(),
                max,
            });
        }
        let format = ChecksumFormat::detect(s);
        let block = match format {
            ChecksumFormat::Hex => hex_decode_vec(F, s, limits.max_rsa_block_len)?,
            ChecksumFormat::Base64 => b64_decode(F, s, limits.max_rsa_block_len)?,
        };
        check_rsa_block_len(F, block.len(), limits)?;
        Ok(Self { format, block })
    }

    /// Parses like [`parse`](Self::parse) and requires a block of exactly `modulus_len` bytes.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), plus [`WireError::ModulusLengthMismatch`].
    pub fn parse_for_modulus(
        s: &str,
        modulus_len: usize,
        limits: &Limits,
    ) -> Result<Self, WireError> {
        let v = Self::parse(s, limits)?;
        v.check_modulus(modulus_len)?;
        Ok(v)
    }

    /// Checks that the block is exactly `modulus_len` bytes, the modulus length of the key that
    /// will open it ([`check_modulus_len`](crate::check_modulus_len)).
    ///
    /// # Errors
    /// [`WireError::ModulusLengthMismatch`].
    pub fn check_modulus(&self, modulus_len: usize) -> Result<(), WireError> {
        crate::check_modulus_len(Field::SignedChecksum, self.block.len(), modulus_len)
    }

    /// The form the checksum is written in.
    #[must_use]
    pub fn format(&self) -> ChecksumFormat {
        self.format
    }

    /// The RSA block.
    #[must_use]
    pub fn block(&self) -> &[u8] {
        &self.block
    }
}

impl fmt::Display for SignedChecksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            ChecksumFormat::Hex => f.write_str(&hex_encode(&self.block)),
            ChecksumFormat::Base64 => f.write_str(&b64_encode(&self.block)),
        }
    }
}

impl fmt::Debug for SignedChecksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedChecksum")
            .field("format", &self.format)
            .field("block_len", &self.block.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use base64ct::Encoding;

    const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn base64_signing_input_matches_a_base64_decoder() {
        let c: Sha256Checksum = EMPTY_SHA.parse().unwrap();
        let ours = c.signing_input(ChecksumFormat::Base64);
        let theirs = base64ct::Base64Unpadded::decode_vec(EMPTY_SHA).unwrap();
        assert_eq!(ours.len(), 48);
        assert_eq!(ours, theirs);
        assert_eq!(c.signing_input(ChecksumFormat::Hex), c.as_bytes().to_vec());
    }

    #[test]
    fn checksum_kinds_by_length() {
        assert!(matches!(
            EMPTY_SHA.parse::<Checksum>(),
            Ok(Checksum::Sha256(_))
        ));
        assert_eq!(
            "f7df1b24".parse::<Checksum>().unwrap().to_string(),
            "f7df1b24"
        );
        assert_eq!(
            "abc".parse::<Checksum>(),
            Err(WireError::WrongLength {
                field: Field::Checksum,
                expected: 64,
                actual: 3
            })
        );
        assert_eq!(
            "".parse::<Checksum>(),
            Err(WireError::Empty {
                field: Field::Checksum
            })
        );
        assert_eq!(
            "F7DF1B24".parse::<Crc32Checksum>(),
            Err(WireError::NonCanonical {
                field: Field::Checksum
            })
        );
    }

    #[test]
    fn signed_checksum_forms() {
        let l = Limits::DEFAULT;
        let b64 = base64ct::Base64::encode_string(&[7u8; 256]);
        assert_eq!(b64.len(), 344);
        let s = SignedChecksum::parse(&b64, &l).unwrap();
        assert_eq!(s.format(), ChecksumFormat::Base64);
        assert_eq!(s.to_string(), b64);
        // Upper-case hex is what the device would accept but is not canonical.
        assert_eq!(
            SignedChecksum::parse(&"AB".repeat(256), &l),
            Err(WireError::NonCanonical {
                field: Field::SignedChecksum
            })
        );
        // Odd-length hex.
        assert!(SignedChecksum::parse(&"a".repeat(511), &l).is_err());
        // Wrong block size.
        assert_eq!(
            SignedChecksum::parse(&"ab".repeat(255), &l),
            Err(WireError::UnsupportedRsaBlockLength {
                field: Field::SignedChecksum,
                len: 255
            })
        );
        assert!(matches!(
            SignedChecksum::parse_for_modulus(&"ab".repeat(512), 256, &l),
            Err(WireError::ModulusLengthMismatch { .. })
        ));
        assert!(matches!(
            SignedChecksum::parse(&"ab".repeat(600), &l),
            Err(WireError::TooLong { .. })
        ));
    }
}
