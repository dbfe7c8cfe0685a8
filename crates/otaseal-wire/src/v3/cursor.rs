//! A bounded, hand-written reader over untrusted bytes (`spec/v3.md` section 3.4).
//!
//! Every read checks the remaining length first and returns `None` instead of panicking;
//! callers turn `None` into a [`ParseError`] carrying the offset of the field.

use super::{ParseError, ParseErrorKind};

/// A cursor over a byte slice that never reads past its end.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) const fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Offset of the next byte to read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes, or `None` (and nothing consumed) if fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    pub(crate) fn take_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|s| s.try_into().ok())
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take_array::<1>().map(|[b]| b)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take_array().map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take_array().map(u32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.take_array().map(u64::from_be_bytes)
    }

    /// Succeeds only if every byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), ParseError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(ParseError {
                offset: self.pos,
                kind: ParseErrorKind::TrailingData,
            })
        }
    }

    /// Runs `f` for one field; `None` becomes [`ParseErrorKind::UnexpectedEnd`] at the field's
    /// start offset.
    pub(crate) fn field<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Result<T, ParseError> {
        let offset = self.pos;
        f(self).ok_or(ParseError {
            offset,
            kind: ParseErrorKind::UnexpectedEnd,
        })
    }

    /// A `str8` (`spec/v3.md` section 2): 1 to 255 bytes of UTF-8 without control characters.
    pub(crate) fn str8(&mut self) -> Result<&'a str, ParseError> {
        let offset = self.pos;
        let bytes = self.field(|c| {
            let n = c.u8()?;
            c.take(usize::from(n))
        })?;
        check_str(bytes).ok_or(ParseError {
            offset,
            kind: ParseErrorKind::BadString,
        })
    }
}

/// `spec/v3.md` section 2, `str8`: non-empty, at most 255 bytes, UTF-8, no control character.
/// Returns the string, or `None` if a rule is broken.
#[must_use]
pub fn check_str(bytes: &[u8]) -> Option<&str> {
    if bytes.is_empty() || bytes.len() > 255 {
        return None;
    }
    let s = core::str::from_utf8(bytes).ok()?;
    if s.chars().any(char::is_control) {
        return None;
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_is_bounded_and_atomic() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.take(4), None);
        assert_eq!(c.pos(), 0);
        assert_eq!(c.u16(), Some(0x0102));
        assert_eq!(c.take(usize::MAX), None);
        assert!(c.finish().is_err());
        assert_eq!(c.u8(), Some(3));
        assert!(c.finish().is_ok());
        assert_eq!(c.u8(), None);
    }

    #[test]
    fn strings() {
        assert_eq!(check_str(b"com.example.app"), Some("com.example.app"));
        assert_eq!(check_str("é".as_bytes()), Some("é"));
        assert_eq!(check_str(b""), None);
        assert_eq!(check_str(b"a\nb"), None);
        assert_eq!(check_str(b"a\x7f"), None);
        assert_eq!(check_str("a\u{85}".as_bytes()), None);
        assert_eq!(check_str(&[0xff]), None);
        assert_eq!(check_str(&[b'a'; 256]), None);
    }
}
