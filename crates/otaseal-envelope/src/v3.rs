//! otaseal V3 sealed bundles (`spec/v3.md`): RSA-OAEP-SHA256 key wrap to one or more
//! recipients, an RSA-PSS-SHA256 signed header binding app id, channel, version, sequence
//! and validity period, and an AES-256-GCM body in 64 KiB chunks, each committed to in the
//! signed header, so that every chunk is verified before its plaintext is released.
//!
//! - Produce: [`Sealer`] (in memory, streaming, or into a [`PendingFile`](crate::io::PendingFile))
//!   or [`seal`]; from a Capgo V2 bundle without plaintext on disk: [`seal_from_v2`].
//! - Consume: a [`Policy`] (trusted key set, app id, [`Channel`] and [`Sequence`] rules, clock),
//!   made by hand or from a verifier state (`VerifierState`, feature `state`), then [`Decryptor`] -> [`VerifiedDecryptor`] -> [`StreamReader`] (the typestate), or the
//!   shortcuts [`open`], [`open_to`], [`open_to_file`], [`open_bytes`].
//! - Inspect without keys: [`read_signed_header`], [`Header::parse`].
//! - Rotate signing keys (a versioned key set, after TUF's root rotation): [`sign_rotation`],
//!   [`TrustedKeys::accept_rotation`].
//!
//! The byte layouts live in [`otaseal_wire::v3`] and are re-exported here.
//!
//! ```
//! use otaseal_envelope::v3::{self, Channel, Context, Policy, Sequence, TrustedKeys};
//! use otaseal_keys::{KeySize, Limits, PrivateKey};
//!
//! // RSA-4096 is the V3 default; 2048 keeps the example fast.
//! let signing = PrivateKey::generate(KeySize::Rsa2048)?;
//! let device = PrivateKey::generate(KeySize::Rsa2048)?;
//! let ctx = Context::new("com.example.app", "production", "2.0.0", 12, 1_700_000_000, 1_800_000_000);
//! let sealed = v3::seal(b"zip bytes", &signing, &[device.public_key()], ctx)?;
//!
//! let keys = TrustedKeys::from_keys([signing.public_key().clone()]);
//! let policy = Policy::new(keys.clone(), "com.example.app", Channel::only("production"), Sequence::AtLeast(12))
//!     .now(1_750_000_000);
//! let mut out = Vec::new();
//! let opened = v3::open(sealed.as_slice(), &mut out, &device, &policy, &Limits::default())?;
//! assert_eq!(out, b"zip bytes");
//! assert_eq!(opened.header.context().sequence, 12);
//!
//! // Rollback: a device that opened sequence 12 before refuses it (and anything older).
//! let after = Policy::new(keys, "com.example.app", Channel::only("production"), Sequence::After(12))
//!     .now(1_750_000_000);
//! let err = v3::open_bytes(&sealed, &device, &after, &Limits::default());
//! assert_eq!(err.unwrap_err().code(), "rollback");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod crypto;
mod error;
mod from_v2;
mod open;
mod rotation;
mod seal;
#[cfg(feature = "state")]
mod state;

pub use crypto::{
    CONTENT_KEY_LEN, HEADER_SIGNATURE_CONTEXT, KEY_COMMITMENT_INFO, OAEP_LABEL, PAYLOAD_KEY_INFO,
    ROTATION_SIGNATURE_CONTEXT,
};
pub use error::{OpenError, RecipientsError, RotationError, SealError};
pub use from_v2::{seal_from_v2, seal_from_v2_to, seal_from_v2_to_file};
pub use open::{
    Channel, DEFAULT_CLOCK_SKEW, Decryptor, Opened, Policy, Sequence, SignedHeader, StreamReader,
    VerifiedDecryptor, open, open_bytes, open_to, open_to_file, read_signed_header,
};
pub use otaseal_wire::v3::{
    COMMITMENT_LEN, Context, ContextError, FIRST_ROTATION_VERSION, Header, KEY_COMMITMENT_LEN,
    MAGIC, MAX_RECIPIENTS, MAX_SPKI_LEN, MIN_HEADER_LEN, PREFIX_LEN, ParseError, ParseErrorKind,
    ROTATION_MAGIC, RecipientStanza, Rotation, RotationStatement, Suite, TAG_LEN, VERSION,
    max_chunk_count, max_header_len, max_statement_len, parse_prefix,
};
pub use rotation::{KeySetError, MAX_TRUSTED_KEYS, Rotated, TrustedKeys, sign_rotation};
#[cfg(feature = "hazmat")]
pub(crate) use seal::sign_header_bytes;
pub use seal::{Sealed, Sealer, seal};
#[cfg(feature = "state")]
#[cfg_attr(docsrs, doc(cfg(feature = "state")))]
pub use state::{STATE_FORMAT, StateError, StateProblem, VerifierState};
