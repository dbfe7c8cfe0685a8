//! V3 round trips around the chunk boundaries through every API path, every tamper, policy
//! and key-separation case rejected with nothing written, limits, canonical header encoding,
//! key rotation, and V2 -> V3 re-sealing (`spec/v3.md`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use otaseal_envelope::hazmat::sign_v3_header_bytes;
use otaseal_envelope::v3::{
    self, Channel, Context, Header, OpenError as Error, ParseErrorKind, Policy, RotationStatement,
    SealError, Sealer, Sequence, TrustedKeys,
};
use otaseal_keys::{Limits, PrivateKey, PublicKey};
use otaseal_wire::{IvSessionKey, SignedChecksum};
use proptest::prelude::*;

const L: Limits = Limits::DEFAULT;
const APP: &str = "com.example.app";
const CREATED: u64 = 1_767_225_600;
const EXPIRES: u64 = 1_798_761_600;
const NOW: u64 = 1_780_000_000;
const CHUNK: usize = 65_536;

struct Keys {
    signer1: PrivateKey,
    signer2: PrivateKey,
    recipient1: PrivateKey,
    recipient2: PrivateKey,
}

/// The committed vector keys (RSA-4096 signers and recipient1, RSA-2048 recipient2), loaded
/// once: no key generation in tests.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let load = |n: &str| {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../spec/vectors/v3/keys")
                .join(format!("{n}.key"));
            PrivateKey::from_bytes(&std::fs::read(p).unwrap(), &L).unwrap()
        };
        Keys {
            signer1: load("signer1"),
            signer2: load("signer2"),
            recipient1: load("recipient1"),
            recipient2: load("recipient2"),
        }
    })
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn ctx(seq: u64) -> Context {
    Context::new(APP, "production", "1.0.0", seq, CREATED, EXPIRES)
}

/// A policy trusting `keys` for APP, channel `production`, sequence at least 42, at NOW.
fn policy_with(keys: TrustedKeys) -> Policy {
    policy_for(keys, Channel::only("production"), Sequence::AtLeast(42))
}

fn policy_for(keys: TrustedKeys, channel: Channel, sequence: Sequence) -> Policy {
    Policy::new(keys, APP, channel, sequence).now(NOW)
}

fn policy() -> Policy {
    policy_with(TrustedKeys::from_keys([keys()
        .signer1
        .public_key()
        .clone()]))
}

fn seal_for(plain: &[u8], recipients: &[&PublicKey]) -> Vec<u8> {
    Sealer::new(&keys().signer1, recipients, ctx(42))
        .unwrap()
        .seal(plain)
        .unwrap()
}

fn sealed(plain: &[u8]) -> Vec<u8> {
    seal_for(plain, &[keys().recipient1.public_key()])
}

/// Header length, signature-field end (= start of body).
fn layout(sealed: &[u8]) -> (usize, usize) {
    let s = v3::read_signed_header(sealed, &L).unwrap();
    (s.header_bytes().len(), s.len())
}

/// A reader that returns at most `step` bytes per call.
struct Dribble<'a>(&'a [u8], usize);

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.len().min(buf.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Opens `bytes` to a file that already exists: on failure it must be left untouched and no
/// temporary file may remain. Returns the error code.
fn rejected_to_file(bytes: &[u8], key: &PrivateKey, policy: &Policy) -> &'static str {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("bundle.zip");
    std::fs::write(&dest, b"previous bundle").unwrap();
    let err = v3::open_to_file(bytes, &dest, key, policy, &L).unwrap_err();
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous bundle");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary file left"
    );
    let code = err.code();
    assert_eq!(
        v3::open_bytes(bytes, key, policy, &L).unwrap_err().code(),
        code
    );
    code
}

#[test]
fn round_trips_around_chunk_boundaries() {
    let k = keys();
    for len in [
        0,
        1,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        2 * CHUNK,
        3 << 20,
        (3 << 20) + 17,
    ] {
        let plain = sample(len);
        let sealer = Sealer::new(&k.signer1, &[k.recipient1.public_key()], ctx(42)).unwrap();
        let in_memory = sealer.seal(&plain).unwrap();
        let mut streamed = Vec::new();
        let info = sealer
            .seal_stream(Dribble(&plain, 10_007), &mut streamed)
            .unwrap();
        assert_eq!(info.sealed_len, streamed.len() as u64);
        let h = info.header;
        assert_eq!(h.plaintext_len(), len as u64);
        assert_eq!(
            h.chunk_count() as usize,
            len.div_ceil(CHUNK).max(1),
            "{len}"
        );
        let overhead = layout(&streamed).1 as u64 + 16 * u64::from(h.chunk_count());
        assert_eq!(streamed.len() as u64, len as u64 + overhead);
        for bytes in [&in_memory, &streamed] {
            let plain2 = v3::open_bytes(bytes, &k.recipient1, &policy(), &L).unwrap();
            assert!(plain2.as_slice() == plain.as_slice(), "{len}");
            let mut out = Vec::new();
            let opened = v3::open(
                Dribble(bytes, 4_099),
                &mut out,
                &k.recipient1,
                &policy(),
                &L,
            )
            .unwrap();
            assert!(out == plain, "{len}");
            assert_eq!(opened.plaintext_len, len as u64);
        }
        let dir = tempfile::tempdir().unwrap();
        let sealed_path = dir.path().join("b.v3");
        sealer.seal_to_file(plain.as_slice(), &sealed_path).unwrap();
        let dest = dir.path().join("out.zip");
        v3::open_to_file(
            std::fs::File::open(&sealed_path).unwrap(),
            &dest,
            &k.recipient1,
            &policy(),
            &L,
        )
        .unwrap();
        assert!(std::fs::read(&dest).unwrap() == plain, "{len}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}

#[test]
fn every_recipient_opens_and_content_keys_are_fresh() {
    let k = keys();
    let plain = sample(70_000);
    let a = seal_for(
        &plain,
        &[k.recipient2.public_key(), k.recipient1.public_key()],
    );
    let b = seal_for(
        &plain,
        &[k.recipient1.public_key(), k.recipient2.public_key()],
    );
    for r in [&k.recipient1, &k.recipient2] {
        assert!(v3::open_bytes(&a, r, &policy(), &L).unwrap().as_slice() == plain.as_slice());
    }
    // Recipients are sorted whatever the argument order; bodies differ (fresh key).
    let ha = v3::read_signed_header(a.as_slice(), &L).unwrap();
    let hb = v3::read_signed_header(b.as_slice(), &L).unwrap();
    let fa: Vec<_> = ha
        .header()
        .recipients()
        .iter()
        .map(|r| r.fingerprint)
        .collect();
    let fb: Vec<_> = hb
        .header()
        .recipients()
        .iter()
        .map(|r| r.fingerprint)
        .collect();
    assert_eq!(fa, fb);
    assert!(fa[0].as_bytes() < fa[1].as_bytes());
    assert_ne!(a[layout(&a).1..], b[layout(&b).1..]);
    assert_ne!(ha.header().commitments(), hb.header().commitments());
}

fn three_chunks() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let sealed = sealed(&sample(2 * CHUNK + 100));
    let (h, s) = layout(&sealed);
    (
        sealed[..h].to_vec(),
        sealed[h..s].to_vec(),
        sealed[s..].to_vec(),
        sealed,
    )
}

#[test]
fn body_tampering_is_rejected_with_nothing_written() {
    let k = keys();
    let (h, s, body, whole) = three_chunks();
    let c = CHUNK + 16;
    let cat = |parts: &[&[u8]]| parts.concat();
    let mut flipped = body.clone();
    flipped[c + 5] ^= 0x80;
    let mut flipped_tag = body.clone();
    let last = flipped_tag.len() - 1;
    flipped_tag[last] ^= 1;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("flipped chunk byte", cat(&[&h, &s, &flipped]), "decryption"),
        (
            "flipped tag byte",
            cat(&[&h, &s, &flipped_tag]),
            "decryption",
        ),
        (
            "truncated last chunk",
            whole[..whole.len() - 1].to_vec(),
            "truncated",
        ),
        (
            "last chunk dropped",
            cat(&[&h, &s, &body[..2 * c]]),
            "truncated",
        ),
        ("body dropped", cat(&[&h, &s]), "truncated"),
        (
            "first chunk dropped",
            cat(&[&h, &s, &body[c..]]),
            "decryption",
        ),
        (
            "middle chunk dropped",
            cat(&[&h, &s, &body[..c], &body[2 * c..]]),
            "truncated",
        ),
        (
            "chunks swapped",
            cat(&[&h, &s, &body[c..2 * c], &body[..c], &body[2 * c..]]),
            "decryption",
        ),
        (
            "chunk duplicated",
            cat(&[&h, &s, &body[..c], &body]),
            "decryption",
        ),
        (
            "chunk appended",
            cat(&[&h, &s, &body, &body[2 * c..]]),
            "trailing-data",
        ),
        ("byte appended", cat(&[&whole, &[0]]), "trailing-data"),
    ];
    for (what, bytes, code) in cases {
        assert_eq!(
            rejected_to_file(&bytes, &k.recipient1, &policy()),
            code,
            "{what}"
        );
    }
}

#[test]
fn a_truncated_stream_releases_only_verified_chunks() {
    // spec/v3.md section 7: the streaming interface releases verified chunks only; on a
    // failure the sink holds an authentic prefix.
    let k = keys();
    let plain = sample(2 * CHUNK + 100);
    let whole = sealed(&plain);
    let mut out = Vec::new();
    let err = v3::open(
        &whole[..whole.len() - 50],
        &mut out,
        &k.recipient1,
        &policy(),
        &L,
    )
    .unwrap_err();
    assert_eq!(err.code(), "truncated");
    assert!(out == plain[..2 * CHUNK]);
    // A tampered chunk 1 releases chunk 0 only.
    let mut bad = whole.clone();
    let at = layout(&whole).1 + CHUNK + 16 + 3;
    bad[at] ^= 1;
    let mut out = Vec::new();
    assert_eq!(
        v3::open(bad.as_slice(), &mut out, &k.recipient1, &policy(), &L)
            .unwrap_err()
            .code(),
        "decryption"
    );
    assert!(out == plain[..CHUNK]);
}

#[test]
fn every_header_byte_is_protected() {
    // Flip each byte of a small bundle's header and signature field: never accepted, never a
    // panic, nothing written.
    let k = keys();
    let whole = sealed(b"tiny");
    let (_, s) = layout(&whole);
    for i in (0..s).step_by(3) {
        let mut b = whole.clone();
        b[i] ^= 0x01;
        let mut out = Vec::new();
        let err = v3::open(b.as_slice(), &mut out, &k.recipient1, &policy(), &L).unwrap_err();
        assert!(out.is_empty(), "byte {i}: {err}");
    }
}

#[test]
fn policy_failures() {
    let k = keys();
    let whole = sealed(&sample(10));
    let p = |f: fn(Policy) -> Policy| f(policy());
    let s1 = || TrustedKeys::from_keys([k.signer1.public_key().clone()]);
    let prod = || Channel::only("production");
    let seq = |s| policy_for(s1(), prod(), s);
    let cases: Vec<(Policy, &str)> = vec![
        (
            Policy::new(
                s1(),
                "com.example.other",
                Channel::Any,
                Sequence::AtLeast(0),
            )
            .now(NOW),
            "wrong-app",
        ),
        (
            policy_for(s1(), Channel::only("beta"), Sequence::AtLeast(0)),
            "wrong-channel",
        ),
        (seq(Sequence::AtLeast(43)), "rollback"),
        (seq(Sequence::AtLeast(u64::MAX)), "rollback"),
        (seq(Sequence::After(42)), "rollback"),
        (seq(Sequence::After(u64::MAX)), "rollback"),
        (
            seq(Sequence::AtLeast(0)).and_sequence(Sequence::After(42)),
            "rollback",
        ),
        (p(|p| p.now(EXPIRES)), "expired"),
        (p(|p| p.now(u64::MAX)), "expired"),
        (p(|p| p.now(CREATED - 601)), "not-yet-valid"),
        (p(|p| p.now(0)), "not-yet-valid"),
        (
            policy_for(TrustedKeys::new(), Channel::Any, Sequence::AtLeast(0)),
            "untrusted-signer",
        ),
        (
            policy_for(
                TrustedKeys::from_keys([k.signer2.public_key().clone()]),
                Channel::Any,
                Sequence::AtLeast(0),
            ),
            "untrusted-signer",
        ),
    ];
    for (pol, code) in cases {
        assert_eq!(rejected_to_file(&whole, &k.recipient1, &pol), code);
    }
    // Boundaries that pass: the minimum itself, the last second before expiry, the skew.
    for pol in [
        seq(Sequence::AtLeast(42)),
        seq(Sequence::After(41)),
        seq(Sequence::After(41)).and_sequence(Sequence::AtLeast(42)),
        p(|p| p.now(EXPIRES - 1)),
        p(|p| p.now(CREATED - 600)),
        p(|p| p.now(CREATED - 3_600).clock_skew(3_600)),
    ] {
        v3::open_bytes(&whole, &k.recipient1, &pol, &L).unwrap();
    }
    // An explicit "any channel".
    let any = policy_for(s1(), Channel::Any, Sequence::AtLeast(0));
    v3::open_bytes(&whole, &k.recipient1, &any, &L).unwrap();
    // Policy checks run only after the signature: a header whose app id was altered fails
    // the signature, not the app-id check.
    let mut b = whole.clone();
    b[47] ^= 1;
    assert_eq!(
        v3::open_bytes(&b, &k.recipient1, &any, &L)
            .unwrap_err()
            .code(),
        "bad-signature"
    );
}

#[test]
fn keys_are_separated_by_purpose() {
    let k = keys();
    let plain = sample(500);
    // Wrong recipient.
    let whole = sealed(&plain);
    assert_eq!(
        rejected_to_file(&whole, &k.recipient2, &policy()),
        "not-a-recipient"
    );
    // A holder of a recipient private key can make a well-formed bundle, but its signature
    // names an untrusted key.
    let forged = Sealer::new(&k.recipient2, &[k.recipient1.public_key()], ctx(99))
        .unwrap()
        .seal(&plain)
        .unwrap();
    assert_eq!(
        rejected_to_file(&forged, &k.recipient1, &policy()),
        "untrusted-signer"
    );
    // Even a misconfigured verifier that trusts its own recipient key refuses bundles signed
    // with it.
    let own = Sealer::new(&k.recipient1, &[k.recipient2.public_key()], ctx(99))
        .unwrap()
        .seal(&plain)
        .unwrap();
    let trusting = policy_with(TrustedKeys::from_keys([
        k.signer1.public_key().clone(),
        k.recipient1.public_key().clone(),
    ]));
    assert_eq!(
        rejected_to_file(&own, &k.recipient1, &trusting),
        "key-reuse"
    );
    // A forger who swaps in the header of a bundle signed by the trusted key keeps that
    // header's commitments, so its own chunks fail.
    let (fh, fs) = layout(&forged);
    let (wh, ws) = layout(&whole);
    let spliced = [&whole[..ws], &forged[fs..]].concat();
    assert!(v3::open_bytes(&spliced, &k.recipient1, &policy(), &L).is_err());
    let spliced = [&forged[..fh], &whole[wh..]].concat();
    assert_eq!(
        v3::open_bytes(&spliced, &k.recipient1, &policy(), &L)
            .unwrap_err()
            .code(),
        "untrusted-signer"
    );
    // A producer refuses to list the signing key as a recipient, twice the same recipient,
    // no recipient, or a bad context.
    let bad: Vec<Result<Sealer<'_>, SealError>> = vec![
        Sealer::new(&k.signer1, &[k.signer1.public_key()], ctx(1)),
        Sealer::new(
            &k.signer1,
            &[k.recipient1.public_key(), k.recipient1.public_key()],
            ctx(1),
        ),
        Sealer::new(&k.signer1, &[], ctx(1)),
        Sealer::new(
            &k.signer1,
            &[k.recipient1.public_key()],
            Context::new("", "c", "v", 1, 1, 2),
        ),
        Sealer::new(
            &k.signer1,
            &[k.recipient1.public_key()],
            Context::new("a", "c\n", "v", 1, 1, 2),
        ),
        Sealer::new(
            &k.signer1,
            &[k.recipient1.public_key()],
            Context::new("a", "c", "v", 1, 2, 2),
        ),
        Sealer::new(
            &k.signer1,
            &[k.recipient1.public_key()],
            Context::new("a".repeat(256), "c", "v", 1, 1, 2),
        ),
    ];
    for r in bad {
        assert_eq!(r.unwrap_err().code(), "invalid-input");
    }
}

/// Replaces the header of `sealed` by `header`, signed correctly by signer1.
fn resigned(sealed: &[u8], header: &[u8]) -> Vec<u8> {
    let (_, s) = layout(sealed);
    let sig = sign_v3_header_bytes(header, &keys().signer1).unwrap();
    [header, &sig, &sealed[s..]].concat()
}

#[test]
fn non_canonical_headers_are_rejected_even_when_signed() {
    let k = keys();
    let whole = seal_for(
        &sample(1000),
        &[k.recipient1.public_key(), k.recipient2.public_key()],
    );
    let (hl, _) = layout(&whole);
    let header = whole[..hl].to_vec();
    // Sanity: re-signing the unchanged header still opens.
    v3::open_bytes(&resigned(&whole, &header), &k.recipient1, &policy(), &L).unwrap();

    let parsed = Header::parse(&header, &L).unwrap();
    assert_eq!(parsed.encode(), header);
    let strings: usize = [
        &parsed.context().app_id,
        &parsed.context().channel,
        &parsed.context().bundle_version,
    ]
    .iter()
    .map(|s| 1 + s.len())
    .sum();
    // The key commitment, then the recipient count.
    let kc = 46 + strings + 32 + 8;
    let r = kc + 32;
    let s1 = 34 + parsed.recipients()[0].wrapped_key.len();
    let s2 = 34 + parsed.recipients()[1].wrapped_key.len();
    let stanzas = r + 2;

    let set_len = |h: &mut Vec<u8>| {
        let n = h.len() as u32;
        h[10..14].copy_from_slice(&n.to_be_bytes());
    };
    let mut cases: Vec<(&str, Vec<u8>, ParseErrorKind)> = Vec::new();
    let mut h = header[..stanzas].to_vec();
    h.extend_from_slice(&header[stanzas + s1..stanzas + s1 + s2]);
    h.extend_from_slice(&header[stanzas..stanzas + s1]);
    h.extend_from_slice(&header[stanzas + s1 + s2..]);
    cases.push(("unsorted recipients", h, ParseErrorKind::RecipientOrder));
    let mut h = header[..stanzas + s1].to_vec();
    h.extend_from_slice(&header[stanzas..stanzas + s1]);
    h.extend_from_slice(&header[stanzas + s1 + s2..]);
    set_len(&mut h);
    cases.push(("duplicate recipient", h, ParseErrorKind::RecipientOrder));
    let mut h = header.clone();
    h.push(0);
    set_len(&mut h);
    cases.push(("trailing byte", h, ParseErrorKind::TrailingData));
    let mut h = header.clone();
    h[r..r + 2].copy_from_slice(&0u16.to_be_bytes());
    cases.push(("zero recipients", h, ParseErrorKind::RecipientOrder));
    let mut h = header.clone();
    h[r..r + 2].copy_from_slice(&65u16.to_be_bytes());
    cases.push(("65 recipients", h, ParseErrorKind::TooLarge));
    let mut h = header.clone();
    h[kc - 8..kc - 4].copy_from_slice(&32_768u32.to_be_bytes());
    cases.push(("chunk size", h, ParseErrorKind::BadChunking));
    let mut h = header.clone();
    h[kc - 4..kc].copy_from_slice(&0u32.to_be_bytes());
    cases.push(("chunk count zero", h, ParseErrorKind::BadChunking));
    let mut h = header.clone();
    h[kc - 16..kc - 8].copy_from_slice(&(L.max_bundle_len + 1).to_be_bytes());
    cases.push(("plaintext too long", h, ParseErrorKind::TooLarge));
    let mut h = header.clone();
    h[kc - 24..kc - 16].copy_from_slice(&CREATED.to_be_bytes());
    cases.push(("expiry equals creation", h, ParseErrorKind::BadTimes));
    let mut h = header.clone();
    h[47] = b'\n';
    cases.push(("control character", h, ParseErrorKind::BadString));
    let mut h = header.clone();
    h[47] = 0xFF;
    cases.push(("not UTF-8", h, ParseErrorKind::BadString));
    let mut h = header[..46].to_vec();
    h.push(0);
    h.extend_from_slice(&header[46 + 1 + APP.len()..]);
    set_len(&mut h);
    cases.push(("empty app id", h, ParseErrorKind::BadString));
    let mut h = header.clone();
    h[stanzas + 32..stanzas + 34].copy_from_slice(&300u16.to_be_bytes());
    cases.push(("wrapped length 300", h, ParseErrorKind::BadBlockLength));
    let mut h = header.clone();
    h[9] = 0;
    cases.push(("suite 0", h, ParseErrorKind::UnknownSuite(0)));
    let mut h = header.clone();
    h[9] = 1;
    cases.push(("withdrawn suite 1", h, ParseErrorKind::UnknownSuite(1)));
    let mut h = header.clone();
    h[9] = 0xFF;
    cases.push(("suite 255", h, ParseErrorKind::UnknownSuite(0xFF)));
    let mut h = header.clone();
    h[8] = 2;
    cases.push(("version 2", h, ParseErrorKind::UnsupportedVersion(2)));
    for (what, h, kind) in cases {
        let err = Header::parse(&h, &L).unwrap_err();
        assert_eq!(err.kind, kind, "{what}: {err}");
        let bytes = resigned(&whole, &h);
        let e = v3::open_bytes(&bytes, &k.recipient1, &policy(), &L).unwrap_err();
        assert!(
            matches!(e, Error::Parse(p) if p.kind == kind),
            "{what}: {e}"
        );
        assert!(
            matches!(
                e.code(),
                "malformed-header" | "unknown-suite" | "unsupported-version" | "too-large"
            ),
            "{what}"
        );
    }
    // A lower limit turns an acceptable RSA-4096 stanza into a rejected one.
    let mut small = L;
    small.max_rsa_block_len = 256;
    assert_eq!(
        Header::parse(&header, &small).unwrap_err().kind,
        ParseErrorKind::BadBlockLength
    );
}

#[test]
fn the_key_commitment_is_checked_before_any_chunk() {
    // spec/v3.md 4.1 (issue 17, item 11): a signer who wraps different content keys for
    // different recipients under one signature is caught by the recipient whose key does not
    // match the signed commitment. The vector's generator checks that without the commitment
    // recipient2 would open it.
    let k = keys();
    let split = otaseal_testkit::v3::file("bad-key-commitment-split.v3");
    for r in [&k.recipient2, &k.recipient1] {
        let mut out = Vec::new();
        let e = v3::open(split.as_slice(), &mut out, r, &policy(), &L).unwrap_err();
        assert_eq!(e.code(), "decryption", "{e}");
        assert!(out.is_empty());
        assert_eq!(rejected_to_file(&split, r, &policy()), "decryption");
    }
    // Before the body is read: without any chunk, the mismatch is still "decryption" (not
    // "truncated"); an honest header without its body is "truncated".
    let head = &split[..layout(&split).1];
    let e = v3::open_bytes(head, &k.recipient2, &policy(), &L).unwrap_err();
    assert_eq!(e.code(), "decryption");
    let honest = sealed(b"x");
    let e = v3::open_bytes(&honest[..layout(&honest).1], &k.recipient1, &policy(), &L).unwrap_err();
    assert_eq!(e.code(), "truncated");
    // A flipped commitment (re-signed) fails for the honest recipient too.
    let a = seal_for(
        &sample(1000),
        &[k.recipient1.public_key(), k.recipient2.public_key()],
    );
    let ha = Header::parse(&a[..layout(&a).0], &L).unwrap();
    let mut h = a[..layout(&a).0].to_vec();
    let kc = h.len() - 32 - 2 - (34 + 512) - (34 + 256) - 32;
    assert_eq!(&h[kc..kc + 32], ha.key_commitment());
    h[kc] ^= 1;
    assert_eq!(
        rejected_to_file(&resigned(&a, &h), &k.recipient1, &policy()),
        "decryption"
    );
}

#[test]
fn limits_are_checked_before_work() {
    let k = keys();
    let mut small = L;
    small.max_bundle_len = 100_000;
    let sealer = Sealer::new(&k.signer1, &[k.recipient1.public_key()], ctx(42))
        .unwrap()
        .limits(small);
    assert_eq!(
        sealer.seal(&sample(100_001)).unwrap_err().code(),
        "too-large"
    );
    let dir = tempfile::tempdir().unwrap();
    assert!(
        sealer
            .seal_to_file(sample(100_001).as_slice(), &dir.path().join("x"))
            .is_err()
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let ok = sealer.seal(&sample(100_000)).unwrap();
    v3::open_bytes(&ok, &k.recipient1, &policy(), &small).unwrap();
    // A bundle above the verifier's limit is refused from its header.
    let big = sealed(&sample(100_001));
    let e = v3::open_bytes(&big, &k.recipient1, &policy(), &small).unwrap_err();
    assert_eq!(e.code(), "too-large", "{e}");
    // header_len beyond the limit is refused after reading 14 bytes.
    let mut b = big.clone();
    b[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
    let e = v3::read_signed_header(b.as_slice(), &L).unwrap_err();
    assert_eq!(e.code(), "too-large");
    // Short and foreign inputs.
    for (input, code) in [
        (&b""[..], "malformed-header"),
        (&b"PK\x03\x04"[..], "bad-magic"),
        (&b"otaseal\0\x03"[..], "malformed-header"),
        (&big[..500], "malformed-header"),
    ] {
        assert_eq!(
            v3::open_bytes(input, &k.recipient1, &policy(), &L)
                .unwrap_err()
                .code(),
            code
        );
    }
}

/// `n` distinct RSA-2048 public keys that nobody holds the private half of (random odd moduli):
/// to fill key sets without generating keys.
fn fake_public_keys(n: u8) -> Vec<PublicKey> {
    (0..n)
        .map(|i| {
            let mut m: Vec<u8> = (0..256u32)
                .map(|j| (j * 7 + u32::from(i) * 13) as u8)
                .collect();
            m[0] |= 0x80;
            m[255] |= 1;
            let n = rsa::BoxedUint::from_be_slice(&m, 2048).unwrap();
            let rsa = rsa::PublicKey::new(n, rsa::BoxedUint::from(65_537u32)).unwrap();
            PublicKey::from_rsa(rsa).unwrap()
        })
        .collect()
}

const T2: u64 = CREATED + 86_400;

#[test]
fn key_rotation_replaces_the_key_set_with_its_next_version() {
    // spec/v3.md 8 (issue 17, item 8): TUF-style rotation. Before, a statement only added a key,
    // never expired nor replayed, and a rotated-out key still signed.
    let k = keys();
    let stmt = v3::sign_rotation(&k.signer1, &k.signer2, APP, 2, T2, true).unwrap();
    let parsed = RotationStatement::parse(&stmt, &L).unwrap();
    let r = &parsed.rotation;
    assert_eq!(r.old, k.signer1.public_key().fingerprint());
    assert_eq!(r.new, k.signer2.public_key().fingerprint());
    assert_eq!(
        (r.key_set_version, r.created_at, r.retire_old),
        (2, T2, true)
    );
    assert_eq!(r.new_spki, k.signer2.public_key().to_spki_der().unwrap());
    let by1 = sealed(b"old key");
    let by2 = Sealer::new(&k.signer2, &[k.recipient1.public_key()], ctx(50))
        .unwrap()
        .seal(b"new key")
        .unwrap();
    let with = |keys: &TrustedKeys| policy_with(keys.clone());
    let mut keys = TrustedKeys::from_keys([k.signer1.public_key().clone()]);
    assert_eq!((keys.version(), keys.created_at()), (1, 0));
    assert_eq!(
        v3::open_bytes(&by2, &k.recipient1, &with(&keys), &L)
            .unwrap_err()
            .code(),
        "untrusted-signer"
    );
    // Refused statements leave the key set as it was.
    let mut appended = stmt.clone();
    appended.push(0);
    let mut wrong_fp = stmt.clone();
    wrong_fp[42] ^= 1;
    let mut old_format = stmt.clone();
    old_format[9] = 1;
    for (bytes, code) in [
        (appended, "malformed-rotation"),
        (wrong_fp, "malformed-rotation"),
        (stmt[..stmt.len() - 1].to_vec(), "malformed-rotation"),
        (old_format, "unknown-suite"),
        (
            v3::sign_rotation(&k.signer1, &k.signer2, APP, 3, T2, true).unwrap(),
            "version-gap",
        ),
        (
            v3::sign_rotation(&k.signer1, &k.signer2, "other", 2, T2, true).unwrap(),
            "wrong-app",
        ),
        (
            v3::sign_rotation(&k.signer2, &k.signer1, APP, 2, T2, false).unwrap(),
            "untrusted-signer",
        ),
        (
            v3::sign_rotation(&k.signer1, &k.signer2, APP, 2, NOW + 601, true).unwrap(),
            "not-yet-valid",
        ),
    ] {
        let e = keys.accept_rotation(&bytes, APP, NOW, &L).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert_eq!((keys.version(), keys.len()), (1, 1));
    }
    // The skew boundary, then the statement itself.
    let mut edge = keys.clone();
    let at_skew = v3::sign_rotation(&k.signer1, &k.signer2, APP, 2, NOW + 600, true).unwrap();
    edge.accept_rotation(&at_skew, APP, NOW, &L).unwrap();
    let done = keys.accept_rotation(&stmt, APP, NOW, &L).unwrap();
    assert_eq!(done.key_set_version, 2);
    assert_eq!(done.added, k.signer2.public_key().fingerprint());
    assert_eq!(done.retired, Some(k.signer1.public_key().fingerprint()));
    assert_eq!((keys.version(), keys.created_at(), keys.len()), (2, T2, 1));
    // signer2 signs bundles now; retired signer1 signs neither bundles nor statements.
    let plain = v3::open_bytes(&by2, &k.recipient1, &with(&keys), &L).unwrap();
    assert_eq!(plain.as_slice(), b"new key");
    assert_eq!(
        v3::open_bytes(&by1, &k.recipient1, &with(&keys), &L)
            .unwrap_err()
            .code(),
        "untrusted-signer"
    );
    let by_retired = v3::sign_rotation(&k.signer1, &k.recipient2, APP, 3, T2, false).unwrap();
    assert_eq!(
        keys.accept_rotation(&by_retired, APP, NOW, &L)
            .unwrap_err()
            .code(),
        "untrusted-signer"
    );
    // Replay and staleness.
    assert_eq!(
        keys.accept_rotation(&stmt, APP, NOW, &L)
            .unwrap_err()
            .code(),
        "untrusted-signer",
        "its old key is retired"
    );
    let stale = v3::sign_rotation(&k.signer2, &k.signer1, APP, 3, T2 - 1, false).unwrap();
    assert_eq!(
        keys.accept_rotation(&stale, APP, NOW, &L)
            .unwrap_err()
            .code(),
        "stale"
    );
    let next = v3::sign_rotation(&k.signer2, &k.signer1, APP, 3, T2, false).unwrap();
    keys.accept_rotation(&next, APP, NOW, &L).unwrap();
    assert_eq!(
        keys.accept_rotation(&next, APP, NOW, &L)
            .unwrap_err()
            .code(),
        "replay"
    );
    assert_eq!((keys.version(), keys.len()), (3, 2));
    // A producer refuses a key that vouches for itself and version 1.
    assert!(v3::sign_rotation(&k.signer1, &k.signer1, APP, 2, T2, false).is_err());
    assert!(v3::sign_rotation(&k.signer1, &k.signer2, APP, 1, T2, false).is_err());
}

#[test]
fn key_sets_are_bounded() {
    let k = keys();
    let fakes = fake_public_keys(17);
    let full: Vec<PublicKey> = std::iter::once(k.signer1.public_key().clone())
        .chain(fakes[..15].iter().cloned())
        .collect();
    assert_eq!(full.len(), v3::MAX_TRUSTED_KEYS);
    let mut keys = TrustedKeys::from_stored(1, 0, full.clone()).unwrap();
    let add = v3::sign_rotation(&k.signer1, &k.signer2, APP, 2, T2, false).unwrap();
    assert_eq!(
        keys.accept_rotation(&add, APP, NOW, &L).unwrap_err().code(),
        "too-many-keys"
    );
    let swap = v3::sign_rotation(&k.signer1, &k.signer2, APP, 2, T2, true).unwrap();
    keys.accept_rotation(&swap, APP, NOW, &L).unwrap();
    assert_eq!(keys.len(), v3::MAX_TRUSTED_KEYS);
    use v3::KeySetError as E;
    for (version, set, err) in [
        (1, fakes.clone(), E::TooMany),
        (1, vec![], E::Empty),
        (1, vec![fakes[0].clone(), fakes[0].clone()], E::Duplicate),
        (0, vec![fakes[0].clone()], E::Version),
    ] {
        assert_eq!(TrustedKeys::from_stored(version, 0, set).unwrap_err(), err);
    }
}

fn capgo_v2(id: &str) -> (Vec<u8>, Vec<u8>, PublicKey, IvSessionKey, SignedChecksum) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/capgo-cli");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let v = m["v2"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap();
    let read = |p: &serde_json::Value| std::fs::read(dir.join(p.as_str().unwrap())).unwrap();
    let key = PublicKey::from_bytes(
        &std::fs::read(dir.join(format!("keys/{}.pub", v["key"].as_str().unwrap()))).unwrap(),
        &L,
    )
    .unwrap();
    (
        read(&v["plain"]),
        read(&v["encrypted"]),
        key,
        IvSessionKey::parse(v["iv_session_key"].as_str().unwrap(), &L).unwrap(),
        SignedChecksum::parse(v["signed_checksum"].as_str().unwrap(), &L).unwrap(),
    )
}

#[test]
fn v2_bundles_reseal_as_v3_without_plaintext_on_disk() {
    let k = keys();
    let sealer = Sealer::new(&k.signer1, &[k.recipient1.public_key()], ctx(42)).unwrap();
    for id in ["bundle-zip.k1.hex", "rand-0.k1.hex", "bundle-zip.k1.base64"] {
        let (plain, enc, v2key, ivsk, sum) = capgo_v2(id);
        let mut out = Vec::new();
        let info =
            v3::seal_from_v2(enc.as_slice(), &v2key, &ivsk, &sum, &sealer, &mut out, &L).unwrap();
        assert_eq!(info.header.plaintext_len(), plain.len() as u64);
        let opened = v3::open_bytes(&out, &k.recipient1, &policy(), &L).unwrap();
        assert!(opened.as_slice() == plain.as_slice(), "{id}");
        // A tampered V2 body: nothing is written, no V3 signature is made.
        let mut bad = enc.clone();
        bad[0] ^= 1;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.v3");
        let e = v3::seal_from_v2_to_file(bad.as_slice(), &v2key, &ivsk, &sum, &sealer, &dest, &L)
            .unwrap_err();
        assert_eq!(e.code(), "v2", "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut out = Vec::new();
        assert!(
            v3::seal_from_v2(bad.as_slice(), &v2key, &ivsk, &sum, &sealer, &mut out, &L).is_err()
        );
        assert!(out.is_empty());
        v3::seal_from_v2_to_file(enc.as_slice(), &v2key, &ivsk, &sum, &sealer, &dest, &L).unwrap();
        let opened =
            v3::open_bytes(&std::fs::read(&dest).unwrap(), &k.recipient1, &policy(), &L).unwrap();
        assert!(opened.as_slice() == plain.as_slice());
    }
}

fn small_header() -> &'static Vec<u8> {
    static H: OnceLock<Vec<u8>> = OnceLock::new();
    H.get_or_init(|| {
        let whole = seal_for(
            &sample(CHUNK + 5),
            &[
                keys().recipient1.public_key(),
                keys().recipient2.public_key(),
            ],
        );
        whole[..layout(&whole).0].to_vec()
    })
}

fn parse_must_not_panic(bytes: &[u8]) {
    if let Ok(h) = Header::parse(bytes, &L) {
        // Canonical: whatever parses re-encodes to the same bytes.
        assert_eq!(h.encode(), bytes);
    }
}

proptest! {
    // Each case signs with RSA-4096 and decrypts with RSA-OAEP: a few dozen cases.
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn any_length_and_read_pattern_round_trips(
        len in 0usize..200_000,
        step in 1usize..70_000,
        seed in any::<u8>(),
    ) {
        let k = keys();
        let plain: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
        let mut sealed = Vec::new();
        Sealer::new(&k.signer1, &[k.recipient1.public_key()], ctx(42))
            .unwrap()
            .seal_stream(Dribble(&plain, step), &mut sealed)
            .unwrap();
        let mut out = Vec::new();
        v3::open(Dribble(&sealed, step), &mut out, &k.recipient1, &policy(), &L).unwrap();
        prop_assert!(out == plain);
        // Cutting the sealed file anywhere in the body is detected.
        let cut = layout(&sealed).1 + step % (sealed.len() - layout(&sealed).1);
        let e = v3::open_bytes(&sealed[..cut], &k.recipient1, &policy(), &L).unwrap_err();
        prop_assert_eq!(e.code(), "truncated");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn header_mutations_never_panic_and_stay_canonical(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut h = small_header().clone();
        for (i, b) in edits {
            let at = i.index(h.len());
            h[at] = b;
        }
        parse_must_not_panic(&h);
        parse_must_not_panic(&h[..cut.index(h.len())]);
    }

    #[test]
    fn random_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut b = small_header()[..14].to_vec();
        b.extend_from_slice(&tail);
        let n = b.len() as u32;
        b[10..14].copy_from_slice(&n.to_be_bytes());
        parse_must_not_panic(&b);
        parse_must_not_panic(&tail);
        prop_assert!(RotationStatement::parse(&tail, &L).is_err());
    }
}

#[test]
fn sealed_files_are_private_and_atomic() {
    let k = keys();
    let dir = tempfile::tempdir().unwrap();
    let dest: &Path = &dir.path().join("b.v3");
    Sealer::new(&k.signer1, &[k.recipient1.public_key()], ctx(42))
        .unwrap()
        .seal_to_file(&b"zip"[..], dest)
        .unwrap();
    let out = dir.path().join("plain.zip");
    v3::open_to_file(
        std::fs::File::open(dest).unwrap(),
        &out,
        &k.recipient1,
        &policy(),
        &L,
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_eq!(std::fs::read(&out).unwrap(), b"zip");
}
