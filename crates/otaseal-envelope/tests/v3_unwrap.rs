//! The recipient's private-key operation, the RSA-OAEP unwrap, is reached only under a header
//! whose signer is trusted, whose signature verifies and whose context satisfies the policy
//! (`spec/v3.md` section 7, steps 1 to 6 before step 7; issue 17, item 12). A counting
//! [`Signer`] records every call to `decrypt_oaep_sha256` through every opening path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::sync::atomic::{AtomicUsize, Ordering};

use otaseal_envelope::hazmat::sign_v3_header_bytes;
use otaseal_envelope::v3::{
    self, Channel, Context, Decryptor, Policy, Sealer, Sequence, TrustedKeys,
};
use otaseal_keys::{PrivateKey, PublicKey, SignError, Signer};
use otaseal_testkit::{LIMITS as L, v3 as vectors};
use zeroize::Zeroizing;

const APP: &str = "com.example.app";
const CREATED: u64 = 1_767_225_600;
const EXPIRES: u64 = 1_798_761_600;
const NOW: u64 = 1_780_000_000;

/// A recipient key that counts its OAEP decryptions.
#[derive(Debug)]
struct Counting {
    key: PrivateKey,
    unwraps: AtomicUsize,
}

impl Counting {
    fn new(name: &str) -> Self {
        Self {
            key: vectors::private(name),
            unwraps: AtomicUsize::new(0),
        }
    }

    fn count(&self) -> usize {
        self.unwraps.load(Ordering::SeqCst)
    }
}

impl Signer for Counting {
    fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    fn sign_type1(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key.sign_type1(payload)
    }

    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        self.key.sign_pss_sha256(digest)
    }

    fn decrypt_oaep_sha256(
        &self,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SignError> {
        self.unwraps.fetch_add(1, Ordering::SeqCst);
        self.key.decrypt_oaep_sha256(label, ciphertext)
    }
}

fn policy(keys: &[&str], channel: Channel, sequence: Sequence, now: u64) -> Policy {
    let keys = TrustedKeys::from_keys(keys.iter().map(|n| vectors::public(n)));
    Policy::new(keys, APP, channel, sequence).now(now)
}

fn good() -> Policy {
    policy(
        &["signer1"],
        Channel::only("production"),
        Sequence::AtLeast(42),
        NOW,
    )
}

fn seal(signer: &PrivateKey, recipients: &[&PublicKey]) -> Vec<u8> {
    let ctx = Context::new(APP, "production", "1.0.0", 42, CREATED, EXPIRES);
    Sealer::new(signer, recipients, ctx)
        .unwrap()
        .seal(&[7u8; 70_000])
        .unwrap()
}

/// Opens `bytes` through every path (stream, in memory, file, and the typestate by hand) with a
/// fresh counting key; returns the error code (the same on every path) and the unwrap count.
fn open_all(bytes: &[u8], recipient: &str, policy: &Policy) -> (Option<&'static str>, usize) {
    let key = Counting::new(recipient);
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let codes = [
        v3::open(bytes, &mut out, &key, policy, &L).map(|_| ()),
        v3::open_bytes(bytes, &key, policy, &L).map(|_| ()),
        v3::open_to_file(bytes, &dir.path().join("out"), &key, policy, &L).map(|_| ()),
        Decryptor::new(bytes, &L)
            .and_then(|d| d.verify(policy))
            .and_then(|v| v.decrypt(&key))
            .map(|_| ()),
    ]
    .map(|r| r.err().map(|e| e.code()));
    assert!(codes.iter().all(|c| *c == codes[0]), "{codes:?}");
    (codes[0], key.count())
}

#[test]
fn no_header_that_fails_verification_reaches_the_unwrap() {
    let signer1 = vectors::private("signer1");
    let r1 = vectors::public("recipient1");
    let whole = seal(&signer1, &[&r1]);
    let signed = v3::read_signed_header(whole.as_slice(), &L).unwrap();
    let (h, s) = (signed.header_bytes().len(), signed.len());
    let mut cases: Vec<(&str, Vec<u8>, Policy, &str)> = Vec::new();

    // Unsigned: a signature field of the right length, all zeros.
    let mut unsigned = whole.clone();
    unsigned[h + 2..s].fill(0);
    cases.push(("unsigned", unsigned, good(), "bad-signature"));
    let mut flipped = whole.clone();
    flipped[s - 1] ^= 1;
    cases.push(("signature flipped", flipped, good(), "bad-signature"));
    let mut altered = whole.clone();
    altered[47] ^= 1;
    cases.push(("header altered", altered, good(), "bad-signature"));
    // Correctly signed by signer1 but over other bytes: the header of another bundle.
    let other = seal(&signer1, &[&r1]);
    let other_sig = &other[h..v3::read_signed_header(other.as_slice(), &L).unwrap().len()];
    let swapped = [&whole[..h], other_sig, &whole[s..]].concat();
    cases.push((
        "another header's signature",
        swapped,
        good(),
        "bad-signature",
    ));
    // Signed by keys the policy does not trust.
    let by2 = seal(&vectors::private("signer2"), &[&r1]);
    cases.push(("untrusted signer", by2, good(), "untrusted-signer"));
    let by_recipient = seal(&vectors::private("recipient2"), &[&r1]);
    cases.push((
        "signed by a recipient key",
        by_recipient,
        good(),
        "untrusted-signer",
    ));
    let own = seal(
        &vectors::private("recipient1"),
        &[&vectors::public("recipient2")],
    );
    let trusting = policy(
        &["signer1", "recipient1"],
        Channel::Any,
        Sequence::AtLeast(0),
        NOW,
    );
    cases.push(("signed by the decryption key", own, trusting, "key-reuse"));
    // Every policy failure.
    let prod = || Channel::only("production");
    for (p, code) in [
        (
            policy(
                &["signer1"],
                Channel::only("beta"),
                Sequence::AtLeast(0),
                NOW,
            ),
            "wrong-channel",
        ),
        (
            policy(&["signer1"], prod(), Sequence::AtLeast(43), NOW),
            "rollback",
        ),
        (
            policy(&["signer1"], prod(), Sequence::After(42), NOW),
            "rollback",
        ),
        (
            policy(&["signer1"], prod(), Sequence::AtLeast(0), EXPIRES),
            "expired",
        ),
        (
            policy(&["signer1"], prod(), Sequence::AtLeast(0), CREATED - 601),
            "not-yet-valid",
        ),
        (
            Policy::new(
                TrustedKeys::from_keys([vectors::public("signer1")]),
                "com.example.other",
                Channel::Any,
                Sequence::AtLeast(0),
            )
            .now(NOW),
            "wrong-app",
        ),
    ] {
        cases.push(("policy", whole.clone(), p, code));
    }
    // Malformed, and correctly signed but non-canonical.
    cases.push((
        "truncated header",
        whole[..h - 1].to_vec(),
        good(),
        "malformed-header",
    ));
    let mut trailing = whole[..h].to_vec();
    trailing.push(0);
    let len = u32::try_from(trailing.len()).unwrap();
    trailing[10..14].copy_from_slice(&len.to_be_bytes());
    let sig = sign_v3_header_bytes(&trailing, &signer1).unwrap();
    let resigned = [&trailing, &sig, &whole[s..]].concat();
    cases.push((
        "non-canonical, signed",
        resigned,
        good(),
        "malformed-header",
    ));
    // Not a recipient: the stanza is missing, so there is nothing to unwrap.
    let for_r2 = seal(&signer1, &[&vectors::public("recipient2")]);
    cases.push(("not a recipient", for_r2, good(), "not-a-recipient"));

    for (what, bytes, policy, code) in &cases {
        let (got, unwraps) = open_all(bytes, "recipient1", policy);
        assert_eq!(got, Some(*code), "{what}");
        assert_eq!(unwraps, 0, "{what}: the private key was used");
    }

    // The control: a header that verifies is unwrapped exactly once per opening path, and a
    // key commitment that does not match (re-signed) is refused after that one unwrap.
    let (got, unwraps) = open_all(&whole, "recipient1", &good());
    assert_eq!(got, None);
    assert_eq!(unwraps, 4);
    let mut bad_commitment = whole[..h].to_vec();
    let kc = h - 32 - 2 - (34 + 512) - 32 * 2;
    assert_eq!(
        &bad_commitment[kc..kc + 32],
        signed.header().key_commitment()
    );
    bad_commitment[kc] ^= 1;
    let sig = sign_v3_header_bytes(&bad_commitment, &signer1).unwrap();
    let resigned = [&bad_commitment, &sig, &whole[s..]].concat();
    let (got, unwraps) = open_all(&resigned, "recipient1", &good());
    assert_eq!(got, Some("decryption"));
    assert_eq!(unwraps, 4);
}
