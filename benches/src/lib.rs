//! Fixtures shared by otaseal's criterion benches (`benches/benches/*.rs`): the Capgo CLI test
//! keys of `spec/vectors/capgo-cli/keys`, deterministic plaintexts, and V2 bundles sealed
//! outside the timed loop.
//!
//! Run the benches with `cargo bench -p otaseal-benches`; see `docs/performance.md`.
//!
//! ```
//! use otaseal_benches::{Sealed, k1_private, plaintext};
//!
//! let key = k1_private();
//! let sealed = Sealed::new(&plaintext(1024), &key);
//! assert_eq!(sealed.ciphertext.len(), 1040);
//! sealed.assert_decrypts(&plaintext(1024));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![allow(
    clippy::expect_used,
    reason = "benchmark fixtures: a broken fixture must stop the run"
)]

use otaseal_envelope::v2::{self, EncryptOutput, Verification};
use otaseal_keys::{Limits, PrivateKey, PublicKey};
use otaseal_wire::ChecksumFormat;

/// The Capgo CLI test key `k1` (RSA-2048, PKCS#1 PEM), private.
pub const K1_PRIVATE_PEM: &[u8] = include_bytes!("../../spec/vectors/capgo-cli/keys/k1.key");
/// The Capgo CLI test key `k1`, public (PKCS#1 PEM, as `.capgo_key_v2.pub`).
pub const K1_PUBLIC_PEM: &[u8] = include_bytes!("../../spec/vectors/capgo-cli/keys/k1.pub");

/// Bundle sizes of the throughput benches: 1 KiB, 64 KiB, 1 MiB, 16 MiB, 64 MiB.
pub const SIZES: [usize; 5] = [1 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20];

/// Parses [`K1_PRIVATE_PEM`].
///
/// # Panics
/// If the vendored key file does not parse.
#[must_use]
pub fn k1_private() -> PrivateKey {
    PrivateKey::from_bytes(K1_PRIVATE_PEM, &Limits::default()).expect("k1 private key")
}

/// Parses [`K1_PUBLIC_PEM`].
///
/// # Panics
/// If the vendored key file does not parse.
#[must_use]
pub fn k1_public() -> PublicKey {
    PublicKey::from_bytes(K1_PUBLIC_PEM, &Limits::default()).expect("k1 public key")
}

/// `len` deterministic pseudo-random bytes (xorshift64*), incompressible like a real zip.
#[must_use]
pub fn plaintext(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ len as u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A V2 bundle sealed with a fresh session key: the ciphertext and the update-server strings.
#[derive(Debug)]
pub struct Sealed {
    /// The raw AES-128-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    /// `ivSessionKey`, checksum and signed checksum (hex form).
    pub out: EncryptOutput,
    /// The public key that opens it.
    pub public: PublicKey,
}

impl Sealed {
    /// Encrypts `plain` with `key` (hex signed checksum).
    ///
    /// # Panics
    /// If encryption fails.
    #[must_use]
    pub fn new(plain: &[u8], key: &PrivateKey) -> Self {
        let (ciphertext, out) =
            v2::encrypt(plain, key, ChecksumFormat::Hex).expect("encrypt a fixture");
        Self {
            ciphertext,
            out,
            public: key.public_key().clone(),
        }
    }

    /// How the bench decrypts: what a device does, signed checksum included.
    pub fn verification(&self) -> Verification<'_> {
        Verification::SignedChecksum(&self.out.signed_checksum)
    }

    /// Checks that the bundle decrypts and verifies to `plain`, so that a bench never times a
    /// failure path.
    ///
    /// # Panics
    /// If it does not.
    pub fn assert_decrypts(&self, plain: &[u8]) {
        let mut limits = Limits::default();
        limits.max_bundle_len = u64::MAX;
        let got = v2::decrypt(
            &self.ciphertext,
            &self.public,
            &self.out.iv_session_key,
            self.verification(),
            &limits,
        )
        .expect("fixture decrypts and verifies");
        assert!(got.as_slice() == plain, "fixture decrypts to its plaintext");
    }
}
