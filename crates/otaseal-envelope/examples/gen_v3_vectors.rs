//! Generates the V3 test vectors of `spec/vectors/v3/` (`spec/v3.md` section 9).
//!
//! ```text
//! cargo run -p otaseal-envelope --features hazmat,test-vectors --example gen_v3_vectors [-- OUT_DIR]
//! ```
//!
//! All randomness (RSA key generation, content keys, OAEP seeds, PSS salts, blinding) comes
//! from a SHA-256 counter-mode generator with fixed seeds, one per purpose, so a rerun with the
//! same `rsa` crate rewrites identical files (CI can check `git diff --exit-code`). Keys are
//! written as PKCS#1 PEM and reused when present, since RSA-4096 generation takes seconds.
//! The generator is deterministic on purpose; never use [`SeededRng`] outside test vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::unwrap_in_result,
    reason = "generator code: any failure aborts generation"
)]

use std::convert::Infallible;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64ct::{Base64, Encoding};
use otaseal_envelope::hazmat::sign_v3_header_bytes;
use otaseal_envelope::v3::{self, Context, Sealer};
use otaseal_keys::{Limits, PrivateKey, PublicKey, SignError, Signer};
use rand_core::{TryCryptoRng, TryRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const L: Limits = Limits::DEFAULT;
const APP: &str = "com.example.app";
const CHANNEL: &str = "production";
const CREATED: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const EXPIRES: u64 = 1_798_761_600; // 2027-01-01T00:00:00Z
const NOW: u64 = 1_780_000_000; // 2026-05-28, inside the validity period
const SEQ: u64 = 42;
const ROTATED_2: u64 = CREATED + 30 * 86_400; // created_at of the key-set version 2 statements
const ROTATED_3: u64 = CREATED + 60 * 86_400; // and of version 3

/// SHA-256 in counter mode over a seed: deterministic, for test vectors only.
struct SeededRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRng {
    fn new(label: &str) -> Self {
        Self {
            seed: Sha256::digest(format!("otaseal v3 vectors: {label}")).into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl TryRng for SeededRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst {
            if self.used == 32 {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_be_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

/// One seeded stream shared by the sealer (content key, OAEP seeds) and the signer (PSS salt,
/// blinding), drawn from in the order sealing needs them.
#[derive(Clone)]
struct Shared(Arc<Mutex<SeededRng>>);

impl Shared {
    fn new(label: &str) -> Self {
        Self(Arc::new(Mutex::new(SeededRng::new(label))))
    }
}

impl TryRng for Shared {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.0.lock().unwrap().try_next_u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0.lock().unwrap().try_next_u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.lock().unwrap().try_fill_bytes(dst)
    }
}

impl TryCryptoRng for Shared {}

/// A signer whose PSS salts and blinding come from a seeded stream: reproducible signatures,
/// for test vectors only. An impostor claims another public key than the one it signs with.
struct Seeded<'k> {
    key: &'k PrivateKey,
    claims: &'k PublicKey,
    rng: Shared,
}

impl<'k> Seeded<'k> {
    fn new(key: &'k PrivateKey, rng: &Shared) -> Self {
        Self::impostor(key, key.public_key(), rng)
    }

    fn impostor(key: &'k PrivateKey, claims: &'k PublicKey, rng: &Shared) -> Self {
        Self {
            key,
            claims,
            rng: rng.clone(),
        }
    }
}

impl std::fmt::Debug for Seeded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seeded")
    }
}

impl Signer for Seeded<'_> {
    fn public_key(&self) -> &PublicKey {
        self.claims
    }

    fn sign_type1(&self, _payload: &[u8]) -> Result<Vec<u8>, SignError> {
        Err(SignError::Random)
    }

    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        self.key
            .as_rsa()
            .sign_with_rng(
                &mut self.rng.clone(),
                rsa::pss::Pss::<Sha256>::new_with_salt(32),
                digest,
            )
            .map_err(SignError::Rsa)
    }

    fn decrypt_oaep_sha256(&self, _: &[u8], _: &[u8]) -> Result<Zeroizing<Vec<u8>>, SignError> {
        Err(SignError::Decryption)
    }
}

/// Seals `plain` with every random draw from the stream `label`.
fn seal(
    signer: &PrivateKey,
    recipients: &[&PublicKey],
    ctx: &Context,
    plain: &[u8],
    label: &str,
) -> Vec<u8> {
    let rng = Shared::new(label);
    Sealer::new(&Seeded::new(signer, &rng), recipients, ctx.clone())
        .unwrap()
        .seal_with_rng(plain, &mut rng.clone())
        .unwrap()
}

fn load_or_generate(dir: &Path, name: &str, bits: usize) -> PrivateKey {
    let path = dir.join(format!("{name}.key"));
    if let Ok(pem) = fs::read(&path) {
        return PrivateKey::from_bytes(&pem, &L).unwrap();
    }
    eprintln!("generating {name} (RSA-{bits}) from its seed...");
    let mut rng = SeededRng::new(&format!("key {name}"));
    let key = PrivateKey::from_rsa(rsa::PrivateKey::new(&mut rng, bits).unwrap()).unwrap();
    fs::write(&path, key.to_pkcs1_pem().unwrap().as_bytes()).unwrap();
    fs::write(
        dir.join(format!("{name}.pub")),
        key.public_key().to_pkcs1_pem().unwrap(),
    )
    .unwrap();
    key
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// Splits a sealed file into (header, signature field, body).
fn split(sealed: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let signed = v3::read_signed_header(sealed, &L).unwrap();
    let h = signed.header_bytes().len();
    let s = signed.len();
    (
        sealed[..h].to_vec(),
        sealed[h..s].to_vec(),
        sealed[s..].to_vec(),
    )
}

/// Replaces the header by `header` with a valid signature by `signer`: a correctly signed
/// header that a verifier must still reject for its encoding.
fn resign(sealed: &[u8], header: &[u8], signer: &PrivateKey, label: &str) -> Vec<u8> {
    let (_, _, body) = split(sealed);
    let rng = Shared::new(label);
    let mut out = header.to_vec();
    out.extend(sign_v3_header_bytes(header, &Seeded::new(signer, &rng)).unwrap());
    out.extend(body);
    out
}

/// Offset of the key commitment in a header (after the three strings, the four `u64`s, the
/// chunk size and the chunk count).
fn key_commitment_offset(header: &[u8]) -> usize {
    let mut at = 46;
    for _ in 0..3 {
        at += 1 + header[at] as usize;
    }
    at + 8 * 4 + 4 + 4
}

/// Offset of the recipient count in a header (after the key commitment).
fn recipients_offset(header: &[u8]) -> usize {
    key_commitment_offset(header) + 32
}

struct Gen {
    dir: PathBuf,
    entries: Vec<Value>,
}

impl Gen {
    fn write(&self, file: &str, bytes: &[u8]) {
        fs::write(self.dir.join(file), bytes).unwrap();
    }

    #[allow(clippy::too_many_arguments, reason = "one vector's fields")]
    fn entry(
        &mut self,
        file: &str,
        expect: &str,
        plain: Option<&[u8]>,
        decryption_key: &str,
        trusted: &[&str],
        policy: Value,
        comment: &str,
    ) {
        let mut e = json!({
            "file": file,
            "expect": expect,
            "decryption_key": decryption_key,
            "trusted": trusted,
            "app_id": policy.get("app_id").cloned().unwrap_or(json!(APP)),
            "channel": policy.get("channel").cloned().unwrap_or(json!(CHANNEL)),
            "min_sequence": policy.get("min_sequence").cloned().unwrap_or(json!(SEQ)),
            "now": policy.get("now").cloned().unwrap_or(json!(NOW)),
            "rotations": policy.get("rotations").cloned().unwrap_or(json!([])),
            "comment": comment,
        });
        if let Some(p) = plain {
            e["plaintext_len"] = json!(p.len());
            e["plaintext_sha256"] = json!(hex(&Sha256::digest(p)));
        }
        self.entries.push(e);
    }
}

fn main() {
    let dir = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/v3"),
        PathBuf::from,
    );
    let keys_dir = dir.join("keys");
    fs::create_dir_all(&keys_dir).unwrap();
    let signer1 = load_or_generate(&keys_dir, "signer1", 4096);
    let signer2 = load_or_generate(&keys_dir, "signer2", 4096);
    let recipient1 = load_or_generate(&keys_dir, "recipient1", 4096);
    let recipient2 = load_or_generate(&keys_dir, "recipient2", 2048);
    let signer3 = load_or_generate(&keys_dir, "signer3", 2048);
    let mut g = Gen {
        dir: dir.clone(),
        entries: Vec::new(),
    };
    let ctx = Context::new(APP, CHANNEL, "1.0.0", SEQ, CREATED, EXPIRES);
    let none = json!({});

    // Round trips around the chunk boundaries.
    for (name, len) in [
        ("empty", 0usize),
        ("one-byte", 1),
        ("chunk-minus-one", 65_535),
        ("one-chunk", 65_536),
        ("chunk-plus-one", 65_537),
    ] {
        let plain = sample(len);
        let file = format!("ok-{name}.v3");
        let sealed = seal(&signer1, &[recipient1.public_key()], &ctx, &plain, &file);
        g.write(&file, &sealed);
        g.entry(
            &file,
            "success",
            Some(&plain),
            "recipient1",
            &["signer1"],
            none.clone(),
            &format!("{len} bytes, one RSA-4096 recipient"),
        );
    }

    // The base bundle of the header and policy cases: two recipients of different sizes, so
    // that stanzas can be reordered; small, since these cases fail before the body.
    let plain = sample(1_000);
    let base = seal(
        &signer1,
        &[recipient1.public_key(), recipient2.public_key()],
        &ctx,
        &plain,
        "base",
    );
    // The base bundle of the body cases: 3 chunks, the first two full.
    let multi_plain = sample(2 * 65_536 + 100);
    let multi = seal(
        &signer1,
        &[recipient1.public_key()],
        &ctx,
        &multi_plain,
        "multi",
    );
    g.write("ok-three-chunks.v3", &multi);
    g.entry(
        "ok-three-chunks.v3",
        "success",
        Some(&multi_plain),
        "recipient1",
        &["signer1"],
        none.clone(),
        "3 chunks (65536, 65536, 100 bytes)",
    );
    g.write("ok-two-recipients.v3", &base);
    g.entry(
        "ok-two-recipients.v3",
        "success",
        Some(&plain),
        "recipient1",
        &["signer1"],
        none.clone(),
        "1000 bytes, recipients RSA-4096 and RSA-2048; opened with the first",
    );
    g.entry(
        "ok-two-recipients.v3",
        "success",
        Some(&plain),
        "recipient2",
        &["signer2", "signer1"],
        none.clone(),
        "the same file opened with the RSA-2048 recipient, two trusted keys",
    );

    // Policy failures on the valid base file.
    for (expect, policy, comment) in [
        (
            "wrong-app",
            json!({"app_id": "com.example.other"}),
            "expected app id differs",
        ),
        (
            "wrong-channel",
            json!({"channel": "beta"}),
            "expected channel differs",
        ),
        (
            "rollback",
            json!({"min_sequence": SEQ + 1}),
            "sequence below the minimum",
        ),
        ("expired", json!({"now": EXPIRES}), "now equals expires_at"),
        (
            "not-yet-valid",
            json!({"now": CREATED - 601}),
            "created_at more than the 600 s skew after now",
        ),
    ] {
        g.entry(
            "ok-two-recipients.v3",
            expect,
            None,
            "recipient1",
            &["signer1"],
            policy,
            comment,
        );
    }
    g.entry(
        "ok-one-byte.v3",
        "not-a-recipient",
        None,
        "recipient2",
        &["signer1"],
        none.clone(),
        "sealed for recipient1 only",
    );
    g.entry(
        "ok-one-byte.v3",
        "untrusted-signer",
        None,
        "recipient1",
        &["signer2"],
        none.clone(),
        "signed by signer1, only signer2 trusted",
    );

    let (header, sigf, body) = split(&base);
    let chunk = 65_536 + 16;
    let cat = |parts: &[&[u8]]| parts.concat();
    let mut bad: Vec<(&str, Vec<u8>, &str, &str)> = Vec::new();

    let mut h = header.clone();
    h[47] ^= 0x01; // 'c' of the app id becomes 'b': still a valid string
    bad.push((
        "bad-flipped-header-byte.v3",
        cat(&[&h, &sigf, &body]),
        "bad-signature",
        "one bit of the app id flipped",
    ));
    let mut s = sigf.clone();
    s[100] ^= 0x01;
    bad.push((
        "bad-flipped-signature-byte.v3",
        cat(&[&header, &s, &body]),
        "bad-signature",
        "one bit of the signature flipped",
    ));
    let (mh, ms, mb) = split(&multi);
    let mut b = mb.clone();
    b[chunk + 10] ^= 0x01;
    bad.push((
        "bad-flipped-chunk-byte.v3",
        cat(&[&mh, &ms, &b]),
        "decryption",
        "one bit of chunk 1 flipped",
    ));
    bad.push((
        "bad-truncated-last-chunk.v3",
        cat(&[&mh, &ms, &mb[..mb.len() - 1]]),
        "truncated",
        "last byte of the last chunk (its tag) removed",
    ));
    bad.push((
        "bad-truncated-to-chunk-boundary.v3",
        cat(&[&mh, &ms, &mb[..2 * chunk]]),
        "truncated",
        "last chunk removed",
    ));
    bad.push((
        "bad-dropped-chunk.v3",
        cat(&[&mh, &ms, &mb[chunk..]]),
        "decryption",
        "chunk 0 removed",
    ));
    bad.push((
        "bad-swapped-chunks.v3",
        cat(&[
            &mh,
            &ms,
            &mb[chunk..2 * chunk],
            &mb[..chunk],
            &mb[2 * chunk..],
        ]),
        "decryption",
        "chunks 0 and 1 swapped",
    ));
    bad.push((
        "bad-duplicated-chunk.v3",
        cat(&[&mh, &ms, &mb[..chunk], &mb[..]]),
        "decryption",
        "chunk 0 repeated",
    ));
    bad.push((
        "bad-extra-chunk.v3",
        cat(&[&mh, &ms, &mb, &mb[2 * chunk..]]),
        "trailing-data",
        "last chunk appended again",
    ));
    bad.push((
        "bad-trailing-byte.v3",
        cat(&[&base, &[0]]),
        "trailing-data",
        "one zero byte appended",
    ));
    let mut h = header.clone();
    h[9] = 3;
    bad.push((
        "bad-unknown-suite.v3",
        cat(&[&h, &sigf, &body]),
        "unknown-suite",
        "suite id 3",
    ));
    let mut h = header.clone();
    h[9] = 1;
    bad.push((
        "bad-withdrawn-suite.v3",
        cat(&[&h, &sigf, &body]),
        "unknown-suite",
        "suite id 1, withdrawn in spec v0.2.0 (no key commitment)",
    ));
    let mut h = header.clone();
    h[8] = 4;
    bad.push((
        "bad-version.v3",
        cat(&[&h, &sigf, &body]),
        "unsupported-version",
        "version 4",
    ));
    let mut h = header.clone();
    h[0] = b'O';
    bad.push((
        "bad-magic.v3",
        cat(&[&h, &sigf, &body]),
        "bad-magic",
        "magic altered",
    ));
    let mut h = header.clone();
    h[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
    bad.push((
        "bad-header-too-large.v3",
        cat(&[&h, &sigf, &body]),
        "too-large",
        "header_len 2^32-1, above the limit",
    ));

    // Correctly signed, non-canonical headers.
    let r = recipients_offset(&header);
    let s1_len = 34 + u16::from_be_bytes([header[r + 2 + 32], header[r + 2 + 33]]) as usize;
    let s2_start = r + 2 + s1_len;
    let s2_len = 34 + u16::from_be_bytes([header[s2_start + 32], header[s2_start + 33]]) as usize;
    let mut h = header[..r + 2].to_vec();
    h.extend_from_slice(&header[s2_start..s2_start + s2_len]);
    h.extend_from_slice(&header[r + 2..s2_start]);
    h.extend_from_slice(&header[s2_start + s2_len..]);
    bad.push((
        "bad-unsorted-recipients.v3",
        resign(&base, &h, &signer1, "unsorted"),
        "malformed-header",
        "recipient stanzas swapped, header re-signed",
    ));
    let mut h = header.clone();
    let len = u32::from_be_bytes(h[10..14].try_into().unwrap()) + 1;
    h[10..14].copy_from_slice(&len.to_be_bytes());
    h.push(0);
    bad.push((
        "bad-header-trailing-byte.v3",
        resign(&base, &h, &signer1, "trailing"),
        "malformed-header",
        "a zero byte after the last commitment, header_len adjusted, re-signed",
    ));
    let mut h = header.clone();
    let cc = key_commitment_offset(&header) - 4;
    h[cc..cc + 4].copy_from_slice(&2u32.to_be_bytes());
    h.extend_from_slice(&[0u8; 32]);
    let len = u32::from_be_bytes(h[10..14].try_into().unwrap()) + 32;
    h[10..14].copy_from_slice(&len.to_be_bytes());
    bad.push((
        "bad-chunk-count.v3",
        resign(&base, &h, &signer1, "chunk-count"),
        "malformed-header",
        "chunk_count 2 (and two commitments) for 1000 bytes, re-signed",
    ));
    let mut h = header.clone();
    let exp = key_commitment_offset(&header) - 4 - 4 - 8 - 8;
    h[exp..exp + 8].copy_from_slice(&CREATED.to_be_bytes());
    bad.push((
        "bad-expiry-not-after-creation.v3",
        resign(&base, &h, &signer1, "times"),
        "malformed-header",
        "expires_at = created_at, re-signed",
    ));
    // The header's signature from another bundle of the same signer.
    let other = seal(&signer1, &[recipient1.public_key()], &ctx, &plain, "other");
    let (oh, _, ob) = split(&other);
    bad.push((
        "bad-header-from-other-bundle.v3",
        cat(&[&oh, &sigf, &ob]),
        "bad-signature",
        "a header with the signature of another bundle's header",
    ));
    // The key commitment (spec/v3.md 4.1), correctly signed but not the content key's.
    let mut h = header.clone();
    h[key_commitment_offset(&header)] ^= 0x01;
    bad.push((
        "bad-key-commitment-flipped.v3",
        resign(&base, &h, &signer1, "key-commitment"),
        "decryption",
        "one bit of the key commitment flipped, header re-signed",
    ));
    for (file, bytes, expect, comment) in bad {
        g.write(file, &bytes);
        g.entry(
            file,
            expect,
            None,
            "recipient1",
            &["signer1"],
            none.clone(),
            comment,
        );
    }

    // One signature, two content keys: the header commits to recipient1's key, but
    // recipient2's stanza wraps the key of another bundle, whose chunks (and chunk commitments)
    // are used. Without the key-commitment check recipient2 would decrypt that body.
    let twin = seal(
        &signer1,
        &[recipient1.public_key(), recipient2.public_key()],
        &ctx,
        &plain,
        "split",
    );
    let (twin_header, _, twin_body) = split(&twin);
    let ha = v3::Header::parse(&header, &L).unwrap();
    let hb = v3::Header::parse(&twin_header, &L).unwrap();
    let r2 = recipient2.public_key().fingerprint();
    let stanzas: Vec<v3::RecipientStanza> = ha
        .recipients()
        .iter()
        .map(|s| {
            if s.fingerprint == r2 {
                hb.recipients()
                    .iter()
                    .find(|t| t.fingerprint == r2)
                    .unwrap()
                    .clone()
            } else {
                s.clone()
            }
        })
        .collect();
    let mixed = |commitment: &[u8; 32], signer: &dyn Signer| {
        let h = v3::Header::new(
            ha.suite(),
            ha.signer(),
            ha.context().clone(),
            hb.plaintext_len(),
            *commitment,
            stanzas.clone(),
            hb.commitments().to_vec(),
        )
        .unwrap()
        .encode();
        let sig = sign_v3_header_bytes(&h, signer).unwrap();
        cat(&[&h, &sig, &twin_body])
    };
    let rng = Shared::new("split-signature");
    let split_file = mixed(ha.key_commitment(), &Seeded::new(&signer1, &rng));
    // The control, not written: the same header committing to the key recipient2 unwraps opens
    // for recipient2. Only the key commitment tells the two apart.
    let policy = v3::Policy::new(
        v3::TrustedKeys::from_keys([signer1.public_key().clone()]),
        APP,
        v3::Channel::only(CHANNEL),
        v3::Sequence::AtLeast(SEQ),
    )
    .now(NOW);
    let control = mixed(hb.key_commitment(), &signer1);
    v3::open_bytes(&control, &recipient2, &policy, &L).expect("the control opens");
    let e = v3::open_bytes(&split_file, &recipient2, &policy, &L).unwrap_err();
    assert_eq!(e.code(), "decryption");
    g.write("bad-key-commitment-split.v3", &split_file);
    g.entry(
        "bad-key-commitment-split.v3",
        "decryption",
        None,
        "recipient2",
        &["signer1"],
        none.clone(),
        "recipient2's stanza wraps another content key than the one the signed header commits to (the key of this body)",
    );
    g.entry(
        "bad-key-commitment-split.v3",
        "decryption",
        None,
        "recipient1",
        &["signer1"],
        none.clone(),
        "recipient1's key matches the commitment, but the body is encrypted under another key",
    );

    // Signed by a key that holds no signing role.
    let small = sample(100);
    let by_recipient = seal(
        &recipient2,
        &[recipient1.public_key()],
        &ctx,
        &small,
        "by-recipient",
    );
    g.write("bad-signed-by-recipient-key.v3", &by_recipient);
    g.entry(
        "bad-signed-by-recipient-key.v3",
        "untrusted-signer",
        None,
        "recipient1",
        &["signer1"],
        none.clone(),
        "signed with recipient2's private key: holding a recipient key does not allow signing",
    );
    let own = seal(&recipient1, &[recipient2.public_key()], &ctx, &small, "own");
    g.write("bad-signed-by-own-key.v3", &own);
    g.entry(
        "bad-signed-by-own-key.v3",
        "key-reuse",
        None,
        "recipient1",
        &["signer1", "recipient1"],
        none.clone(),
        "signed with the verifier's own recipient key, even though it is (wrongly) trusted",
    );

    // Key rotation (spec/v3.md 8): a chain of key-set versions from {signer1} (version 1).
    let stmt = |old: &PrivateKey, new: &PrivateKey, app: &str, v: u64, t: u64, retire, label| {
        let rng = Shared::new(label);
        let (old, new) = (Seeded::new(old, &rng), Seeded::new(new, &rng));
        v3::sign_rotation(&old, &new, app, v, t, retire).unwrap()
    };
    let add2 = stmt(
        &signer1,
        &signer2,
        APP,
        2,
        ROTATED_2,
        false,
        "rotation-2-add",
    );
    let retire2 = stmt(
        &signer1,
        &signer2,
        APP,
        2,
        ROTATED_2,
        true,
        "rotation-2-retire",
    );
    let add3 = stmt(
        &signer2,
        &signer3,
        APP,
        3,
        ROTATED_3,
        false,
        "rotation-3-add",
    );
    let by1_3 = stmt(
        &signer1,
        &signer3,
        APP,
        3,
        ROTATED_3,
        false,
        "rotation-3-by-1",
    );
    let skip = stmt(&signer1, &signer3, APP, 4, ROTATED_3, false, "rotation-4");
    let early = ROTATED_2 - 86_400;
    let before = stmt(&signer2, &signer3, APP, 3, early, false, "rotation-3-early");
    let future = stmt(
        &signer1,
        &signer2,
        APP,
        2,
        NOW + 3_600,
        false,
        "rotation-2-future",
    );
    let other = "com.example.other";
    let other_app = stmt(
        &signer1,
        &signer2,
        other,
        2,
        ROTATED_2,
        false,
        "rotation-other-app",
    );
    let untrusted = stmt(
        &signer2,
        &signer3,
        APP,
        2,
        ROTATED_2,
        false,
        "rotation-untrusted",
    );
    let rng = Shared::new("rotation-impostor");
    let unsigned_by_new = v3::sign_rotation(
        &Seeded::new(&signer1, &rng),
        &Seeded::impostor(&signer1, signer2.public_key(), &rng),
        APP,
        2,
        ROTATED_2,
        false,
    )
    .unwrap();
    let parsed = v3::RotationStatement::parse(&add2, &L).unwrap();
    let no_new_signature = add2[..add2.len() - 2 - parsed.new_signature.len()].to_vec();
    let mut flipped = add2.clone();
    flipped[parsed.signed_len + 100] ^= 0x01;
    for (file, bytes) in [
        ("rotation-2-add-signer2.bin", &add2),
        ("rotation-2-retire-signer1.bin", &retire2),
        ("rotation-3-add-signer3.bin", &add3),
        ("rotation-3-by-signer1.bin", &by1_3),
        ("rotation-4-skips-3.bin", &skip),
        ("rotation-3-created-before-2.bin", &before),
        ("rotation-2-from-the-future.bin", &future),
        ("rotation-2-other-app.bin", &other_app),
        ("rotation-2-by-untrusted-key.bin", &untrusted),
        ("rotation-2-new-key-did-not-sign.bin", &unsigned_by_new),
        ("rotation-2-no-new-key-signature.bin", &no_new_signature),
        ("rotation-2-flipped-signature.bin", &flipped),
    ] {
        g.write(file, bytes);
    }
    let rot = |file: &str, apply: &[&str], expect: &str, after: (u64, &[&str]), comment: &str| {
        json!({
            "file": file, "trusted": ["signer1"], "apply": apply, "app_id": APP, "now": NOW,
            "expect": expect,
            "key_set_after": {"version": after.0, "keys": after.1},
            "comment": comment,
        })
    };
    let (add, retire) = (
        "rotation-2-add-signer2.bin",
        "rotation-2-retire-signer1.bin",
    );
    let v1: (u64, &[&str]) = (1, &["signer1"]);
    let v2_both: (u64, &[&str]) = (2, &["signer1", "signer2"]);
    let v2_new: (u64, &[&str]) = (2, &["signer2"]);
    let rotations = json!([
        rot(
            add,
            &[],
            "success",
            v2_both,
            "signer1 adds signer2: version 2"
        ),
        rot(
            retire,
            &[],
            "success",
            v2_new,
            "signer1 hands over to signer2 and retires: version 2 is {signer2}"
        ),
        rot(
            "rotation-3-add-signer3.bin",
            &[retire],
            "success",
            (3, &["signer2", "signer3"]),
            "chain: then signer2 adds signer3"
        ),
        rot(
            "rotation-3-by-signer1.bin",
            &[add],
            "success",
            (3, &["signer1", "signer2", "signer3"]),
            "signer1 is still in version 2, so it may sign version 3"
        ),
        rot(
            "rotation-3-by-signer1.bin",
            &[retire],
            "untrusted-signer",
            v2_new,
            "signer1 was retired by version 2: it signs no more statements"
        ),
        rot(
            add,
            &[add],
            "replay",
            v2_both,
            "the version 2 statement again, at version 2"
        ),
        rot(
            "rotation-4-skips-3.bin",
            &[add],
            "version-gap",
            v2_both,
            "version 4 at version 2"
        ),
        rot(
            "rotation-3-by-signer1.bin",
            &[],
            "version-gap",
            v1,
            "version 3 at version 1"
        ),
        rot(
            "rotation-3-created-before-2.bin",
            &[add],
            "stale",
            v2_both,
            "version 3, created a day before the version 2 statement"
        ),
        rot(
            "rotation-2-from-the-future.bin",
            &[],
            "not-yet-valid",
            v1,
            "created an hour after now (skew 600 s)"
        ),
        rot(
            "rotation-2-other-app.bin",
            &[],
            "wrong-app",
            v1,
            "for com.example.other"
        ),
        rot(
            "rotation-2-by-untrusted-key.bin",
            &[],
            "untrusted-signer",
            v1,
            "signed by signer2, which version 1 does not trust"
        ),
        rot(
            "rotation-2-new-key-did-not-sign.bin",
            &[],
            "bad-new-key-signature",
            v1,
            "names signer2 as the new key, but signer1 made both signatures"
        ),
        rot(
            "rotation-2-no-new-key-signature.bin",
            &[],
            "malformed-rotation",
            v1,
            "the new key's signature field is missing"
        ),
        rot(
            "rotation-2-flipped-signature.bin",
            &[],
            "bad-signature",
            v1,
            "one bit of the old key's signature flipped"
        ),
    ]);

    // Bundles under rotated key sets.
    let by2 = seal(
        &signer2,
        &[recipient1.public_key()],
        &ctx,
        &small,
        "by-signer2",
    );
    g.write("ok-signed-by-rotated-key.v3", &by2);
    let by3 = seal(
        &signer3,
        &[recipient1.public_key()],
        &ctx,
        &small,
        "by-signer3",
    );
    g.write("ok-signed-by-signer3.v3", &by3);
    let chain = json!([retire, "rotation-3-add-signer3.bin"]);
    for (file, expect, rotations, comment) in [
        (
            "ok-signed-by-rotated-key.v3",
            "success",
            json!([add]),
            "signer2 trusted through version 2, signed by signer1 and signer2",
        ),
        (
            "ok-signed-by-rotated-key.v3",
            "success",
            json!([retire]),
            "signer2 trusted through version 2, which retires signer1",
        ),
        (
            "ok-signed-by-rotated-key.v3",
            "untrusted-signer",
            json!([]),
            "the same bundle without the rotation statement",
        ),
        (
            "ok-one-byte.v3",
            "untrusted-signer",
            json!([retire]),
            "signed by signer1, retired by version 2: a retired key signs no more bundles",
        ),
        (
            "ok-signed-by-signer3.v3",
            "success",
            chain,
            "signer3 trusted through the chain of versions 2 and 3",
        ),
        (
            "ok-signed-by-signer3.v3",
            "untrusted-signer",
            json!([retire]),
            "version 2 does not trust signer3 yet",
        ),
    ] {
        g.entry(
            file,
            expect,
            (expect == "success").then_some(small.as_slice()),
            "recipient1",
            &["signer1"],
            json!({"rotations": rotations}),
            comment,
        );
    }

    // Verifier states (spec/v3.md 11): a state file before, the bundle, the state after.
    let key_json = |k: &PrivateKey| {
        json!({
            "fingerprint": k.public_key().fingerprint().to_string(),
            "spki": Base64::encode_string(&k.public_key().to_spki_der().unwrap()),
        })
    };
    let state = |version: u64, created_at: u64, keys: &[&PrivateKey], seqs: &[(&str, u64)]| {
        json!({
            "format": "otaseal-verifier-state/1",
            "apps": [{
                "app_id": APP,
                "key_set": {
                    "version": version,
                    "created_at": created_at,
                    "keys": keys.iter().map(|k| key_json(k)).collect::<Vec<_>>(),
                },
                "sequences": seqs
                    .iter()
                    .map(|(c, s)| json!({"channel": c, "sequence": s}))
                    .collect::<Vec<_>>(),
            }],
        })
    };
    let s1: &[&PrivateKey] = &[&signer1];
    let s2: &[&PrivateKey] = &[&signer2];
    let prod = |n: u64| vec![("production", n)];
    struct StateCase<'a> {
        name: &'a str,
        before: Value,
        rotations: Value,
        file: &'a str,
        channel: Option<&'a str>,
        floor: Option<u64>,
        expect: &'a str,
        after: Value,
        comment: &'a str,
    }
    let two = "ok-two-recipients.v3";
    let cases = [
        StateCase {
            name: "new-state",
            before: Value::Null,
            rotations: json!([]),
            file: two,
            channel: Some(CHANNEL),
            floor: None,
            expect: "success",
            after: state(1, 0, s1, &prod(SEQ)),
            comment: "no state yet: seeded with the trusted key, sequence 42 recorded",
        },
        StateCase {
            name: "same-sequence",
            before: state(1, 0, s1, &prod(SEQ)),
            rotations: json!([]),
            file: two,
            channel: Some(CHANNEL),
            floor: None,
            expect: "rollback",
            after: state(1, 0, s1, &prod(SEQ)),
            comment: "sequence 42 opened before: not greater, refused",
        },
        StateCase {
            name: "next-sequence",
            before: state(1, 0, s1, &prod(SEQ - 1)),
            rotations: json!([]),
            file: two,
            channel: Some(CHANNEL),
            floor: None,
            expect: "success",
            after: state(1, 0, s1, &prod(SEQ)),
            comment: "41 recorded: 42 opens and is recorded",
        },
        StateCase {
            name: "other-channel",
            before: state(1, 0, s1, &prod(SEQ - 1)),
            rotations: json!([]),
            file: two,
            channel: Some("beta"),
            floor: None,
            expect: "wrong-channel",
            after: state(1, 0, s1, &prod(SEQ - 1)),
            comment: "the verifier is on channel beta",
        },
        StateCase {
            name: "per-channel",
            before: state(1, 0, s1, &[("beta", 50)]),
            rotations: json!([]),
            file: two,
            channel: Some(CHANNEL),
            floor: None,
            expect: "success",
            after: state(1, 0, s1, &[("beta", 50), ("production", SEQ)]),
            comment: "beta's 50 does not bind production: sequences are per channel",
        },
        StateCase {
            name: "any-channel-rollback",
            before: state(1, 0, s1, &[("beta", 50), ("production", 10)]),
            rotations: json!([]),
            file: two,
            channel: None,
            floor: None,
            expect: "rollback",
            after: state(1, 0, s1, &[("beta", 50), ("production", 10)]),
            comment: "any channel: 42 is not greater than 50, the highest of all channels",
        },
        StateCase {
            name: "any-channel",
            before: state(1, 0, s1, &[("beta", SEQ - 1), ("production", 10)]),
            rotations: json!([]),
            file: two,
            channel: None,
            floor: None,
            expect: "success",
            after: state(1, 0, s1, &[("beta", SEQ - 1), ("production", SEQ)]),
            comment: "any channel: 42 is greater than 41; recorded under its own channel",
        },
        StateCase {
            name: "floor",
            before: Value::Null,
            rotations: json!([]),
            file: two,
            channel: Some(CHANNEL),
            floor: Some(SEQ + 1),
            expect: "rollback",
            after: state(1, 0, s1, &[]),
            comment: "a new state with a floor of 43 (--min-sequence)",
        },
        StateCase {
            name: "retired-stays-retired",
            before: state(2, ROTATED_2, s2, &[]),
            rotations: json!([]),
            file: "ok-one-byte.v3",
            channel: Some(CHANNEL),
            floor: None,
            expect: "untrusted-signer",
            after: state(2, ROTATED_2, s2, &[]),
            comment: "signer1 is trusted again by configuration, but the state (version 2) retired it",
        },
        StateCase {
            name: "rotation-recorded",
            before: state(1, 0, s1, &[]),
            rotations: json!([retire]),
            file: "ok-signed-by-rotated-key.v3",
            channel: Some(CHANNEL),
            floor: None,
            expect: "success",
            after: state(2, ROTATED_2, s2, &prod(SEQ)),
            comment: "version 2 applied and recorded; signer2's bundle opens",
        },
        StateCase {
            name: "rotation-kept",
            before: state(1, 0, s1, &[]),
            rotations: json!([retire]),
            file: "ok-one-byte.v3",
            channel: Some(CHANNEL),
            floor: None,
            expect: "untrusted-signer",
            after: state(2, ROTATED_2, s2, &[]),
            comment: "version 2 is kept although the bundle, by the retired signer1, is refused",
        },
    ];
    let states: Vec<Value> = cases
        .into_iter()
        .map(|c| {
            json!({
                "name": c.name,
                "state": c.before,
                "trusted": ["signer1"],
                "rotations": c.rotations,
                "file": c.file,
                "decryption_key": "recipient1",
                "app_id": APP,
                "channel": c.channel,
                "min_sequence": c.floor,
                "now": NOW,
                "expect": c.expect,
                "state_after": c.after,
                "comment": c.comment,
            })
        })
        .collect();

    let mut keys = serde_json::Map::new();
    for (name, k) in [
        ("signer1", &signer1),
        ("signer2", &signer2),
        ("signer3", &signer3),
        ("recipient1", &recipient1),
        ("recipient2", &recipient2),
    ] {
        keys.insert(
            name.into(),
            json!({
                "private": format!("keys/{name}.key"),
                "public": format!("keys/{name}.pub"),
                "bits": k.public_key().bits(),
                "fingerprint": k.public_key().fingerprint().to_string(),
            }),
        );
    }
    let manifest = json!({
        "spec": "spec/v3.md section 9",
        "generator": "cargo run -p otaseal-envelope --features hazmat,test-vectors --example gen_v3_vectors",
        "plaintext": "byte i = (i * 31) mod 251",
        "keys": keys,
        "vectors": g.entries,
        "rotations": rotations,
        "states": states,
    });
    let mut text = serde_json::to_string_pretty(&manifest).unwrap();
    text.push('\n');
    fs::write(dir.join("manifest.json"), text).unwrap();
    fs::write(dir.join("README.md"), readme(&dir, &manifest)).unwrap();
    eprintln!("wrote {} vectors to {}", g.entries.len(), dir.display());
}

/// The names of `v[key]`, joined (`-` for none).
fn names(v: &Value, key: &str) -> String {
    let list: Vec<&str> = v[key]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if list.is_empty() {
        "-".into()
    } else {
        list.join(", ")
    }
}

/// `spec/vectors/v3/README.md`: the prose, and the tables of keys, vectors and hashes from the
/// manifest and the files just written, so that the README cannot drift from them.
fn readme(dir: &Path, manifest: &Value) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(README_HEAD);
    out.push_str("\n## Keys\n\n| name | size | fingerprint |\n|---|---|---|\n");
    for (name, k) in manifest["keys"].as_object().unwrap() {
        writeln!(
            out,
            "| `{name}` | RSA-{} | `{}` |",
            k["bits"],
            k["fingerprint"].as_str().unwrap()
        )
        .unwrap();
    }
    out.push_str("\n## Bundles\n\n| file | decryption key | trusted | rotations first | expect | what |\n|---|---|---|---|---|---|\n");
    for v in manifest["vectors"].as_array().unwrap() {
        writeln!(
            out,
            "| `{}` | {} | {} | {} | `{}` | {} |",
            v["file"].as_str().unwrap(),
            v["decryption_key"].as_str().unwrap(),
            names(v, "trusted"),
            names(v, "rotations"),
            v["expect"].as_str().unwrap(),
            v["comment"].as_str().unwrap(),
        )
        .unwrap();
    }
    out.push_str("\n## Rotation statements\n\n| file | version 1 | applied first | expect | key set after | what |\n|---|---|---|---|---|---|\n");
    for r in manifest["rotations"].as_array().unwrap() {
        let after = &r["key_set_after"];
        writeln!(
            out,
            "| `{}` | {} | {} | `{}` | version {}: {} | {} |",
            r["file"].as_str().unwrap(),
            names(r, "trusted"),
            names(r, "apply"),
            r["expect"].as_str().unwrap(),
            after["version"],
            names(after, "keys"),
            r["comment"].as_str().unwrap(),
        )
        .unwrap();
    }
    out.push_str("\n## Verifier states\n\n| name | bundle | channel | floor | rotations first | expect | what |\n|---|---|---|---|---|---|---|\n");
    for v in manifest["states"].as_array().unwrap() {
        writeln!(
            out,
            "| `{}` | `{}` | {} | {} | {} | `{}` | {} |",
            v["name"].as_str().unwrap(),
            v["file"].as_str().unwrap(),
            v["channel"].as_str().unwrap_or("any"),
            v["min_sequence"]
                .as_u64()
                .map_or("-".into(), |n| n.to_string()),
            names(v, "rotations"),
            v["expect"].as_str().unwrap(),
            v["comment"].as_str().unwrap(),
        )
        .unwrap();
    }
    out.push_str("\n## Hashes\n\n| file | sha256 |\n|---|---|\n");
    let listed = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().into_string().unwrap())
            .filter(|n| n != "README.md")
            .collect();
        v.sort();
        v
    };
    let files = listed(dir).into_iter().chain(
        listed(&dir.join("keys"))
            .into_iter()
            .map(|n| format!("keys/{n}")),
    );
    for f in files {
        let bytes = fs::read(dir.join(&f)).unwrap();
        writeln!(out, "| `{f}` | `{}` |", hex(&Sha256::digest(&bytes))).unwrap();
    }
    out
}

const README_HEAD: &str = "# otaseal V3 test vectors

Sealed bundles and key-rotation statements for [`spec/v3.md`](../../v3.md) section 9, made by the
checked-in generator
[`crates/otaseal-envelope/examples/gen_v3_vectors.rs`](../../../crates/otaseal-envelope/examples/gen_v3_vectors.rs),
which also writes this file (its tables come from `manifest.json` and the files):

```sh
cargo run -p otaseal-envelope --features hazmat,test-vectors --example gen_v3_vectors            # rewrites this folder
cargo run -p otaseal-envelope --features hazmat,test-vectors --example gen_v3_vectors -- OUT_DIR # elsewhere (copy keys/ first)
```

All randomness (key generation, content keys, OAEP seeds, PSS salts, RSA blinding) comes from a
SHA-256 counter-mode generator with a fixed seed per purpose, so rerunning the generator with the
same `rsa` crate rewrites byte-identical files (the hashes below; CI checks it). RSA-OAEP and
RSA-PSS are randomized schemes: another implementation cannot reproduce these bytes and MUST check
the vectors by opening them. **These keys are public test keys; never use them for anything
else.**

## Files

- `keys/NAME.key`, `keys/NAME.pub`: PKCS#1 PEM. `signer*` sign, `recipient*` decrypt.
- `*.v3`: sealed bundles. `ok-*` open; `bad-*` are rejected. Header cases that need a valid
  signature over a non-canonical header were re-signed with `signer1` (`hazmat::sign_v3_header_bytes`).
- `rotation-*.bin`: key-rotation statements (`spec/v3.md` section 8).
- `manifest.json`: one entry per (file, policy) pair under `vectors`: `decryption_key`, `trusted`
  keys (the key set of version 1), `rotations` to accept first, in order (with the entry's
  `app_id` and `now`), `app_id`, `channel`, `min_sequence` (the lowest sequence accepted), `now`
  (Unix seconds), and `expect`: `success` (then `plaintext_len` and `plaintext_sha256`) or the
  error code of `spec/v3.md` section 7.1. `rotations` lists the statements with the key set they
  are checked against: `trusted` (version 1), the statements to `apply` first, `app_id`, `now`,
  the expected outcome (`success` or a code of `spec/v3.md` section 8.3) and the key set after it
  (`key_set_after`: unchanged on failure). Plaintext byte `i` is `(31 i) mod 251`.

`states` lists verifier states (`spec/v3.md` section 11): the `state` file before (`null`: none
yet), the `trusted` keys that seed it when it has no key set for `app_id`, the `rotations` to
apply to it first, the bundle `file` to open with `decryption_key`, the `channel` (`null`: any
channel), the `min_sequence` floor (`null`: none), `now`, the expected outcome, and the state
after (`state_after`, compared as JSON: the bundle's sequence is recorded only on success, the
rotations always).

The tests `crates/otaseal-envelope/tests/v3_vectors.rs` (library: streaming, in-memory and
atomic file paths, one test per entry) and `crates/otaseal-cli/tests/v3_cli.rs` (`otaseal open`)
open every entry.
";
