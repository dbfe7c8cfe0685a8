//! The trusted key set and its rotation (`spec/v3.md` section 8), after TUF's root rotation:
//! a key set has a version; a rotation statement makes exactly the next version, is signed by a
//! key of the current set and by the new key, adds the new key and may retire the old one; a
//! verifier keeps only the newest set, so a retired key signs neither bundles nor statements.
//! The statement layout is `otaseal_wire::v3::RotationStatement`; this module signs statements,
//! verifies them and applies them.

use otaseal_keys::{Fingerprint, PublicKey, Signer};
use otaseal_wire::Limits;
use otaseal_wire::v3::{ParseError, ParseErrorKind, Rotation, RotationStatement};

use super::crypto::{self, ROTATION_SIGNATURE_CONTEXT};
use super::error::{RotationError, SealError};
use super::open::DEFAULT_CLOCK_SKEW;

/// `spec/v3.md` section 8: the most keys a key set holds. A rotation that would make the set
/// larger is refused; retire keys to make room.
pub const MAX_TRUSTED_KEYS: usize = 16;

/// The signing keys a verifier trusts (`spec/v3.md` sections 7 step 4 and 8): a versioned key
/// set. The set a verifier is configured with ([`from_keys`](Self::from_keys)) is version 1, the
/// "shipped root" of TUF; each accepted rotation statement
/// ([`accept_rotation`](Self::accept_rotation)) replaces it by the next version. There is no
/// other way to change it.
#[derive(Clone, Debug)]
pub struct TrustedKeys {
    version: u64,
    created_at: u64,
    keys: Vec<PublicKey>,
}

impl Default for TrustedKeys {
    fn default() -> Self {
        Self::new()
    }
}

/// What an accepted rotation statement changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rotated {
    /// The key set's new version.
    pub key_set_version: u64,
    /// The key the statement added.
    pub added: Fingerprint,
    /// The key it retired, if it did.
    pub retired: Option<Fingerprint>,
}

impl TrustedKeys {
    /// An empty key set of version 1: trusts nothing.
    #[must_use]
    pub fn new() -> Self {
        Self {
            version: 1,
            created_at: 0,
            keys: Vec::new(),
        }
    }

    /// The configured key set, version 1, of the given keys (duplicates are dropped).
    #[must_use]
    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        let mut s = Self::new();
        for k in keys {
            s.insert(k);
        }
        s
    }

    /// A key set as a verifier stored it (`spec/v3.md` section 11): `version`, the `created_at`
    /// of the statement that made it (0 for version 1), and its keys.
    ///
    /// # Errors
    /// [`KeySetError`] if the set is empty, larger than [`MAX_TRUSTED_KEYS`], has a key twice,
    /// or has version 0.
    pub fn from_stored(
        version: u64,
        created_at: u64,
        keys: Vec<PublicKey>,
    ) -> Result<Self, KeySetError> {
        if version == 0 {
            return Err(KeySetError::Version);
        }
        let n = keys.len();
        let set = Self::from_keys(keys);
        if set.len() != n {
            return Err(KeySetError::Duplicate);
        }
        check_len(n)?;
        Ok(Self {
            version,
            created_at,
            ..set
        })
    }

    fn insert(&mut self, key: PublicKey) {
        if self.get(&key.fingerprint()).is_none() {
            self.keys.push(key);
        }
    }

    /// The key set's version: 1 for the configured set, then one more per accepted statement.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The `created_at` of the statement that made this version (0 for version 1).
    #[must_use]
    pub fn created_at(&self) -> u64 {
        self.created_at
    }

    /// The trusted key with this fingerprint.
    #[must_use]
    pub fn get(&self, fingerprint: &Fingerprint) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find(|k| k.fingerprint().as_bytes() == fingerprint.as_bytes())
    }

    /// The trusted keys.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter()
    }

    /// Number of trusted keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` if no key is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Accepts a rotation statement (`spec/v3.md` section 8.2) and replaces this key set by the
    /// one it makes. In order: the statement parses and its new key is the one it names; its old
    /// key is in this set (a retired key is not); the old key's signature verifies, then the new
    /// key's; and then, over the signed values only: it is for `app_id`, it makes exactly the
    /// next version, it is not older than this set nor (beyond [`DEFAULT_CLOCK_SKEW`]) newer than
    /// `now` (Unix seconds), and the new set has at most [`MAX_TRUSTED_KEYS`] keys. On any error
    /// the set is unchanged.
    ///
    /// # Errors
    /// [`RotationError`], whose [`code`](RotationError::code) is that of `spec/v3.md` 8.3.
    pub fn accept_rotation(
        &mut self,
        statement: &[u8],
        app_id: &str,
        now: u64,
        limits: &Limits,
    ) -> Result<Rotated, RotationError> {
        let s = RotationStatement::parse(statement, limits)?;
        let r = &s.rotation;
        let new_key = decode_new_key(&s, limits)?;
        let old = self
            .get(&r.old)
            .ok_or(RotationError::UntrustedSigner { signer: r.old })?;
        let signed = statement
            .get(..s.signed_len)
            .ok_or(RotationError::BadSignature)?;
        if !crypto::pss_verify(old, ROTATION_SIGNATURE_CONTEXT, signed, &s.old_signature) {
            return Err(RotationError::BadSignature);
        }
        if !crypto::pss_verify(
            &new_key,
            ROTATION_SIGNATURE_CONTEXT,
            signed,
            &s.new_signature,
        ) {
            return Err(RotationError::BadNewKeySignature);
        }
        if r.app_id != app_id {
            return Err(RotationError::WrongApp {
                found: r.app_id.clone(),
            });
        }
        let current = self.version;
        if r.key_set_version <= current {
            return Err(RotationError::Replay {
                version: r.key_set_version,
                current,
            });
        }
        if r.key_set_version != current.saturating_add(1) {
            return Err(RotationError::VersionGap {
                version: r.key_set_version,
                current,
            });
        }
        if r.created_at < self.created_at {
            return Err(RotationError::Stale {
                created_at: r.created_at,
                key_set_created_at: self.created_at,
            });
        }
        if r.created_at > now.saturating_add(DEFAULT_CLOCK_SKEW) {
            return Err(RotationError::NotYetValid {
                created_at: r.created_at,
                now,
            });
        }
        let mut next = self.clone();
        if r.retire_old {
            next.keys.retain(|k| k.fingerprint() != r.old);
        }
        next.insert(new_key);
        check_len(next.len()).map_err(|_| RotationError::TooManyKeys {
            max: MAX_TRUSTED_KEYS,
        })?;
        next.version = r.key_set_version;
        next.created_at = r.created_at;
        *self = next;
        Ok(Rotated {
            key_set_version: r.key_set_version,
            added: r.new,
            retired: r.retire_old.then_some(r.old),
        })
    }
}

/// `spec/v3.md` section 8.1: `new_key` is a valid RSA public key (`keys.md` 1 and 2), in its
/// canonical SPKI DER, whose fingerprint is `new`.
fn decode_new_key(s: &RotationStatement, limits: &Limits) -> Result<PublicKey, RotationError> {
    let r = &s.rotation;
    let bad_key = || {
        RotationError::Parse(ParseError {
            offset: s.signed_len - r.new_spki.len() - 2,
            kind: ParseErrorKind::BadRotationKey,
        })
    };
    let key = PublicKey::from_bytes(&r.new_spki, limits).map_err(|_| bad_key())?;
    let canonical = key.to_spki_der().map_err(|_| bad_key())?;
    if key.fingerprint() != r.new || canonical != r.new_spki {
        return Err(bad_key());
    }
    Ok(key)
}

/// `spec/v3.md` section 8: a key set has 1 to [`MAX_TRUSTED_KEYS`] keys.
fn check_len(n: usize) -> Result<(), KeySetError> {
    match n {
        0 => Err(KeySetError::Empty),
        n if n > MAX_TRUSTED_KEYS => Err(KeySetError::TooMany),
        _ => Ok(()),
    }
}

/// What is wrong with a stored key set ([`TrustedKeys::from_stored`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySetError {
    /// No key.
    Empty,
    /// More than [`MAX_TRUSTED_KEYS`] keys.
    TooMany,
    /// A key is listed twice.
    Duplicate,
    /// Version 0 (the first version is 1).
    Version,
}

impl core::fmt::Display for KeySetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KeySetError::Empty => f.write_str("the key set is empty"),
            KeySetError::TooMany => {
                write!(f, "the key set has more than {MAX_TRUSTED_KEYS} keys")
            }
            KeySetError::Duplicate => f.write_str("the key set lists a key twice"),
            KeySetError::Version => f.write_str("the key set version is 0 (the first is 1)"),
        }
    }
}

impl std::error::Error for KeySetError {}

/// Signs a rotation statement (`spec/v3.md` section 8) that makes version `key_set_version` of
/// the key set of `app_id`: `old`, a key of the current set, and `new`, the key it adds, both
/// sign it; with `retire_old` the old key leaves the set.
///
/// # Errors
/// [`SealError::InvalidRotation`] if the keys are the same, the app id is invalid or the version
/// is below 2; [`SealError::Key`], [`SealError::Signing`].
pub fn sign_rotation(
    old: &dyn Signer,
    new: &dyn Signer,
    app_id: &str,
    key_set_version: u64,
    created_at: u64,
    retire_old: bool,
) -> Result<Vec<u8>, SealError> {
    let rotation = Rotation::new(
        old.public_key().fingerprint(),
        new.public_key().fingerprint(),
        app_id,
        key_set_version,
        created_at,
        retire_old,
        new.public_key().to_spki_der()?,
    );
    let signed = rotation.encode().map_err(SealError::InvalidRotation)?;
    let old_signature = crypto::pss_sign(old, ROTATION_SIGNATURE_CONTEXT, &signed)?;
    let new_signature = crypto::pss_sign(new, ROTATION_SIGNATURE_CONTEXT, &signed)?;
    RotationStatement::new(rotation, old_signature, new_signature)
        .and_then(|s| s.encode())
        .map_err(SealError::InvalidHeader)
}
