//! Strict, constant-time base64 and hex codecs shared by the wire parsers.

use alloc::string::String;
use alloc::vec::Vec;
use base64ct::{Base64, Encoding};

use crate::{Field, WireError};

/// Decodes standard, padded base64 (RFC 4648 section 4) and rejects every non-canonical form.
pub(crate) fn b64_decode(field: Field, s: &str, max_decoded: usize) -> Result<Vec<u8>, WireError> {
    if s.is_empty() {
        return Err(WireError::Empty { field });
    }
    if let Some(offset) = s.bytes().position(|b| !is_b64_byte(b)) {
        return Err(WireError::InvalidEncoding {
            field,
            offset: Some(offset),
        });
    }
    // Bound the allocation by the input before decoding.
    let max_encoded = max_decoded.div_ceil(3).saturating_mul(4);
    if s.len() > max_encoded {
        return Err(WireError::TooLong {
            field,
            len: s.len(),
            max: max_encoded,
        });
    }
    let out = Base64::decode_vec(s).map_err(|_| WireError::InvalidEncoding {
        field,
        offset: None,
    })?;
    // base64ct is strict about padding and trailing bits; re-encoding proves canonical form.
    if Base64::encode_string(&out) != s {
        return Err(WireError::NonCanonical { field });
    }
    Ok(out)
}

fn is_b64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// Encodes standard, padded base64.
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

/// Decodes lower-case hex into `out` (whose length is the expected decoded length).
pub(crate) fn hex_decode_exact(field: Field, s: &str, out: &mut [u8]) -> Result<(), WireError> {
    check_hex(field, s)?;
    let expected = out.len().saturating_mul(2);
    if s.len() != expected {
        return Err(WireError::WrongLength {
            field,
            expected,
            actual: s.len(),
        });
    }
    base16ct::lower::decode(s, out).map_err(|_| WireError::InvalidEncoding {
        field,
        offset: None,
    })?;
    Ok(())
}

/// Decodes lower-case hex of any even length up to `max_decoded` bytes.
pub(crate) fn hex_decode_vec(
    field: Field,
    s: &str,
    max_decoded: usize,
) -> Result<Vec<u8>, WireError> {
    check_hex(field, s)?;
    let max = max_decoded.saturating_mul(2);
    if s.len() > max {
        return Err(WireError::TooLong {
            field,
            len: s.len(),
            max,
        });
    }
    if !s.len().is_multiple_of(2) {
        return Err(WireError::InvalidEncoding {
            field,
            offset: Some(s.len()),
        });
    }
    base16ct::lower::decode_vec(s).map_err(|_| WireError::InvalidEncoding {
        field,
        offset: None,
    })
}

/// Rejects empty input, characters outside `[0-9a-fA-F]`, and upper-case hex (non-canonical).
fn check_hex(field: Field, s: &str) -> Result<(), WireError> {
    if s.is_empty() {
        return Err(WireError::Empty { field });
    }
    if let Some(offset) = s.bytes().position(|b| !b.is_ascii_hexdigit()) {
        return Err(WireError::InvalidEncoding {
            field,
            offset: Some(offset),
        });
    }
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(WireError::NonCanonical { field });
    }
    Ok(())
}

/// Encodes lower-case hex.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// `true` when every byte of `s` is an ASCII hex digit, either case: the device's test
/// `^[0-9a-fA-F]+$` that tells a hex signed checksum from a base64 one.
pub(crate) fn looks_like_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rejects_non_canonical_trailing_bits() {
        // "QQ==" is canonical for [0x41]; "QR==" decodes to the same byte in lax decoders.
        assert_eq!(b64_decode(Field::Iv, "QQ==", 16).unwrap(), [0x41]);
        assert!(matches!(
            b64_decode(Field::Iv, "QR==", 16),
            Err(WireError::InvalidEncoding { .. } | WireError::NonCanonical { .. })
        ));
    }

    #[test]
    fn base64_rejects_missing_padding_and_whitespace() {
        assert!(b64_decode(Field::Iv, "QQ", 16).is_err());
        assert_eq!(
            b64_decode(Field::Iv, "QQ ==", 16),
            Err(WireError::InvalidEncoding {
                field: Field::Iv,
                offset: Some(2)
            })
        );
        assert!(b64_decode(Field::Iv, "QQ==\n", 16).is_err());
    }

    #[test]
    fn base64_rejects_url_safe_alphabet() {
        assert_eq!(
            b64_decode(Field::Iv, "-_8=", 16),
            Err(WireError::InvalidEncoding {
                field: Field::Iv,
                offset: Some(0)
            })
        );
    }

    #[test]
    fn base64_bounds_before_decoding() {
        let long = "A".repeat(4000);
        assert!(matches!(
            b64_decode(Field::WrappedKey, &long, 512),
            Err(WireError::TooLong { .. })
        ));
    }

    #[test]
    fn hex_is_lower_case_only() {
        let mut out = [0u8; 2];
        hex_decode_exact(Field::Checksum, "abcd", &mut out).unwrap();
        assert_eq!(out, [0xab, 0xcd]);
        assert_eq!(
            hex_decode_exact(Field::Checksum, "ABCD", &mut out),
            Err(WireError::NonCanonical {
                field: Field::Checksum
            })
        );
        assert_eq!(
            hex_decode_exact(Field::Checksum, "abc", &mut out),
            Err(WireError::WrongLength {
                field: Field::Checksum,
                expected: 4,
                actual: 3
            })
        );
        assert_eq!(
            hex_decode_exact(Field::Checksum, "abzd", &mut out),
            Err(WireError::InvalidEncoding {
                field: Field::Checksum,
                offset: Some(2)
            })
        );
    }
}
