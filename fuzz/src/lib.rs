//! The bodies of otaseal's fuzz targets, as plain functions over `&[u8]`.
//!
//! Each `fuzz_targets/<name>.rs` binary calls the function of the same name from libFuzzer;
//! the root package `otaseal-benches` calls them on every file of `fuzz/corpus/<name>/` in an
//! ordinary stable `cargo test` (`benches/tests/fuzz_corpus_replay.rs`), so CI replays the
//! committed seeds and every crash input once added to the corpus.
//!
//! A function returns normally when the input is rejected or every property holds, and panics
//! when a property is violated. Besides "never panics on untrusted input", the properties are:
//!
//! - parsers are canonical: `parse(s)` succeeds ⇒ `parse(s).to_string() == s`, and encoding a
//!   value then parsing it gives the value back (`iv_session_key`, `signed_checksum`,
//!   `checksum`, `type1`, `key_decode`);
//! - V2 decryption of attacker-chosen strings and bodies with a fixed public key never
//!   accepts a plaintext whose SHA-256 differs from the authenticated checksum, and the
//!   one-shot and streaming paths agree byte for byte (`v2_decrypt`);
//! - encrypt then decrypt is the identity, whatever the plaintext and the write chunking,
//!   and any flipped ciphertext byte is rejected (`roundtrip`).
//! - a V3 verifier state file that parses is written back canonically, and a rotation
//!   statement either makes exactly the next key-set version or leaves the set unchanged
//!   (`v3_state`).
//!
//! Fixed keys are the Capgo CLI test keys `k1` of `spec/vectors/capgo-cli/keys`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![allow(
    clippy::expect_used,
    reason = "fixtures are compiled-in test vectors; a broken fixture must stop the fuzzer"
)]

use std::io::{self, Read, Write};
use std::str::{self, FromStr};
use std::sync::LazyLock;

use arbitrary::{Arbitrary, Unstructured};
use otaseal_envelope::v2::{self, Encryptor, SessionKey, Verification};
use otaseal_keys::{DecodedKey, KeyKind, Limits, PrivateKey, PublicKey, decode_any};
use otaseal_wire::{
    Checksum, ChecksumFormat, Crc32Checksum, FormatVersion, IvSessionKey, KeyId, RSA_BLOCK_LENS,
    Sha256Checksum, SignedChecksum, type1,
};
use sha2::{Digest, Sha256};

/// A fuzz target body.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz_targets/<name>.rs` binary and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("iv_session_key", iv_session_key),
    ("signed_checksum", signed_checksum),
    ("checksum", checksum),
    ("type1", type1),
    ("key_decode", key_decode),
    ("v2_decrypt", v2_decrypt),
    ("roundtrip", roundtrip),
    ("v1_decrypt", v1_decrypt),
    ("protocol", protocol),
    ("manifest", manifest),
    ("v3_header", v3_header),
    ("v3_open", v3_open),
    ("v3_state", v3_state),
];

const K1_PRIVATE: &[u8] = include_bytes!("../../spec/vectors/capgo-cli/keys/k1.key");
const K1_PUBLIC: &[u8] = include_bytes!("../../spec/vectors/capgo-cli/keys/k1.pub");
/// The Capgo CLI's V2 vector `rand-1024.k1.hex` (`spec/vectors/capgo-cli/manifest.json`).
pub const VECTOR_PLAIN: &[u8] =
    include_bytes!("../../spec/vectors/capgo-cli/v2/rand-1024.k1.hex.plain");
/// Ciphertext of [`VECTOR_PLAIN`].
pub const VECTOR_ENC: &[u8] =
    include_bytes!("../../spec/vectors/capgo-cli/v2/rand-1024.k1.hex.enc");
const MANIFEST: &str = include_str!("../../spec/vectors/capgo-cli/manifest.json");
const VECTOR_ID: &str = "rand-1024.k1.hex";

/// The entry `id` of the `section` ("v1" or "v2") of spec/vectors/capgo-cli/manifest.json.
fn vector_entry(section: &str, id: &str) -> serde_json::Value {
    let manifest: serde_json::Value = serde_json::from_str(MANIFEST).expect("manifest.json");
    manifest[section]
        .as_array()
        .expect("manifest entries")
        .iter()
        .find(|e| e["id"] == id)
        .expect("vector entry")
        .clone()
}

/// The fixed key pair and the strings of the vector [`VECTOR_ENC`].
struct Fixture {
    private: PrivateKey,
    public: PublicKey,
    iv_session_key: IvSessionKey,
    signed_checksum: SignedChecksum,
    checksum: Sha256Checksum,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let limits = Limits::default();
    let entry = vector_entry("v2", VECTOR_ID);
    let field = |name: &str| entry[name].as_str().expect("string field").to_owned();
    let private = PrivateKey::from_bytes(K1_PRIVATE, &limits).expect("k1 private key");
    let public = PublicKey::from_bytes(K1_PUBLIC, &limits).expect("k1 public key");
    assert_eq!(private.public_key(), &public, "k1 key pair");
    Fixture {
        iv_session_key: IvSessionKey::parse(&field("iv_session_key"), &limits).expect("ivsk"),
        signed_checksum: SignedChecksum::parse(&field("signed_checksum"), &limits)
            .expect("signed checksum"),
        checksum: field("sha256").parse().expect("sha256"),
        private,
        public,
    }
});

fn sha256(data: &[u8]) -> Sha256Checksum {
    Sha256Checksum::from_bytes(Sha256::digest(data).into())
}

/// A reader that hands out its data `chunk` bytes at a time, to drive the streaming paths
/// through every buffer boundary.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// `ivSessionKey` parser (`spec/v2.md` 3).
///
/// Properties: a parsed string prints back identically; its block has a supported RSA length;
/// `parse_for_modulus` agrees with `parse`; tighter limits only reject more. In the other
/// direction, the input read as `iv || block` encodes to a string that parses back to the same
/// value whenever the block length is supported.
pub fn iv_session_key(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(s) = str::from_utf8(data) {
        let parsed = IvSessionKey::parse(s, &limits);
        let mut tight = limits;
        tight.max_rsa_block_len = 256;
        match &parsed {
            Ok(v) => {
                assert_eq!(v.to_string(), s, "ivSessionKey does not print back");
                let len = v.wrapped_key().len();
                assert!(RSA_BLOCK_LENS.contains(&len), "block length {len}");
                assert_eq!(
                    IvSessionKey::parse_for_modulus(s, len, &limits).as_ref(),
                    Ok(v)
                );
                assert!(IvSessionKey::parse_for_modulus(s, len + 1, &limits).is_err());
                if let Ok(t) = IvSessionKey::parse(s, &tight) {
                    assert_eq!(&t, v);
                }
            }
            Err(_) => {
                assert!(IvSessionKey::parse_for_modulus(s, 256, &limits).is_err());
                assert!(IvSessionKey::parse(s, &tight).is_err());
            }
        }
    }
    if let Some((iv, block)) = data.split_first_chunk::<16>() {
        let v = IvSessionKey::new(*iv, block.to_vec());
        let s = v.to_string();
        match IvSessionKey::parse(&s, &limits) {
            Ok(back) => assert_eq!(back, v, "encode then parse changed the value"),
            Err(_) => assert!(
                !RSA_BLOCK_LENS.contains(&block.len()),
                "a well-formed ivSessionKey was rejected: {s}"
            ),
        }
    }
}

/// Signed-checksum parser (`spec/v2.md` 5): hex or base64, told apart as the device does.
///
/// Properties: a parsed string prints back identically, in the detected form; a block encoded
/// in either form parses back to the same block and form whenever its length is supported.
///
/// One exception is allowed, a property of the format rather than of the parser: a 384-byte
/// (RSA-3072) block in base64 has no `=` padding, and if its 512 characters all happen to be
/// lower-case hex digits, the device's detection rule reads it as a 256-byte hex block.
pub fn signed_checksum(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(s) = str::from_utf8(data)
        && let Ok(v) = SignedChecksum::parse(s, &limits)
    {
        assert_eq!(v.to_string(), s, "signed checksum does not print back");
        assert_eq!(v.format(), ChecksumFormat::detect(s));
        let len = v.block().len();
        assert!(RSA_BLOCK_LENS.contains(&len), "block length {len}");
        assert_eq!(
            SignedChecksum::parse_for_modulus(s, len, &limits).as_ref(),
            Ok(&v)
        );
        assert!(SignedChecksum::parse_for_modulus(s, len + 1, &limits).is_err());
    }
    for format in [ChecksumFormat::Hex, ChecksumFormat::Base64] {
        let v = SignedChecksum::new(format, data.to_vec());
        let s = v.to_string();
        match SignedChecksum::parse(&s, &limits) {
            Ok(back) if back == v => {}
            Ok(back) => assert!(
                format == ChecksumFormat::Base64
                    && data.len() == 384
                    && back.format() == ChecksumFormat::Hex,
                "encode then parse changed the value: {s}"
            ),
            Err(_) => assert!(
                !RSA_BLOCK_LENS.contains(&data.len()),
                "a well-formed signed checksum was rejected: {s}"
            ),
        }
    }
}

/// Plain checksum, checksum-format, format-version and key-id parsers.
///
/// Properties: whatever parses prints back identically; [`Checksum`] picks the variant by
/// length; a SHA-256 built from bytes prints and parses back, and its signing inputs have the
/// lengths of `spec/v2.md` 5.
pub fn checksum(data: &[u8]) {
    if let Ok(s) = str::from_utf8(data) {
        round_trips::<Sha256Checksum>(s);
        round_trips::<Crc32Checksum>(s);
        round_trips::<ChecksumFormat>(s);
        round_trips::<FormatVersion>(s);
        round_trips::<KeyId>(s);
        match Checksum::from_str(s) {
            Ok(c @ Checksum::Sha256(_)) => {
                assert_eq!(s.len(), 64);
                assert_eq!(c.to_string(), s);
            }
            Ok(c) => {
                assert_eq!(s.len(), 8);
                assert_eq!(c.to_string(), s);
            }
            Err(_) => {}
        }
        let _ = ChecksumFormat::detect(s);
        let _ = KeyId::from_pkcs1_public_pem(s);
    }
    let _ = KeyId::from_pkcs1_der(data);
    if let Some(&n) = data.first()
        && let Ok(v) = FormatVersion::from_number(n)
    {
        assert_eq!(v.number(), n);
    }
    if let Some(bytes) = data.first_chunk::<32>() {
        let c = Sha256Checksum::from_bytes(*bytes);
        assert_eq!(c.to_string().parse::<Sha256Checksum>(), Ok(c));
        assert_eq!(c.signing_input(ChecksumFormat::Hex), bytes.as_slice());
        assert_eq!(c.signing_input(ChecksumFormat::Base64).len(), 48);
    }
}

fn round_trips<T>(s: &str)
where
    T: FromStr + ToString,
{
    if let Ok(v) = s.parse::<T>() {
        assert_eq!(v.to_string(), s, "does not print back");
    }
}

/// PKCS#1 v1.5 block-type-1 decoding and encoding (`spec/v2.md` 6).
///
/// Properties: a block that decodes re-encodes to itself, and [`type1::decode`] with the
/// payload length and [`type1::decode_any`] agree; the input as a payload encodes to a block
/// that decodes back to it.
pub fn type1(data: &[u8]) {
    let k = data.len();
    for payload_len in [16, 32, 48, k.saturating_sub(11), k.saturating_sub(12)] {
        if let Ok(p) = type1::decode(data, payload_len) {
            assert_eq!(p.len(), payload_len);
            assert_eq!(type1::encode(p, k).as_deref(), Ok(data));
            assert_eq!(type1::decode_any(data), Ok(p));
        }
    }
    if let Ok(p) = type1::decode_any(data) {
        assert_eq!(type1::encode(p, k).as_deref(), Ok(data));
        assert_eq!(type1::decode(data, p.len()), Ok(p));
    }
    for k in [256, data.len() + 11, data.len() + 10] {
        match type1::encode(data, k) {
            Ok(block) => {
                assert_eq!(block.len(), k);
                assert_eq!(type1::decode(&block, data.len()), Ok(data));
            }
            Err(_) => assert!(k < data.len() + 11),
        }
    }
}

/// The key reader [`otaseal_keys::decode_any`] (PEM or DER; PKCS#1, PKCS#8, SPKI).
///
/// Properties: a key that decodes re-encodes in every supported form and each form decodes
/// back to the same public key (same SHA-256 fingerprint and key id).
pub fn key_decode(data: &[u8]) {
    let limits = Limits::default();
    let _ = PublicKey::from_bytes(data, &limits);
    let _ = PrivateKey::from_bytes(data, &limits);
    let Ok(decoded) = decode_any(data, &limits) else {
        return;
    };
    let public = decoded.public_key().clone();
    let same = |bytes: &[u8], kind: KeyKind| {
        let again = decode_any(bytes, &limits).expect("re-encoded key does not decode");
        assert_eq!(again.kind(), kind);
        assert_eq!(again.public_key(), &public);
        assert_eq!(again.public_key().fingerprint(), public.fingerprint());
        assert_eq!(again.public_key().key_id(), public.key_id());
    };
    if let Ok(der) = public.to_spki_der() {
        same(&der, KeyKind::Public);
    }
    if let Ok(pem) = public.to_pkcs1_pem() {
        same(pem.as_bytes(), KeyKind::Public);
        assert_eq!(
            KeyId::from_pkcs1_public_pem(&pem).as_ref(),
            Ok(public.key_id())
        );
    }
    if let DecodedKey::Private { key, .. } = &decoded {
        if let Ok(der) = key.to_pkcs8_der() {
            same(&der, KeyKind::Private);
        }
        if let Ok(pem) = key.to_pkcs1_pem() {
            same(pem.as_bytes(), KeyKind::Private);
        }
    }
}

/// V2 decryption and verification with the fixed public key `k1` (`spec/v2.md` 8).
///
/// The first byte picks a mode, the rest is the input:
/// - `0 mod 4`: the body, with the vector's `ivSessionKey` and signed checksum;
/// - `1 mod 4`: the body, with the vector's `ivSessionKey` and **no** verification;
/// - `2 mod 4`: the body, with the vector's `ivSessionKey` and its known SHA-256;
/// - `3 mod 4`: `ivSessionKey \n signed checksum \n body`, all attacker-chosen.
///
/// The byte also sets the chunk size of a second, streaming decryption.
///
/// Properties: an accepted plaintext hashes to the authenticated checksum (for the vector's
/// checksum, it is the vector's plaintext); without verification, an accepted plaintext
/// re-encrypts under the same session key to the body; [`v2::decrypt`] and
/// [`v2::decrypt_stream`] agree.
pub fn v2_decrypt(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fx = &*FIXTURE;
    let limits = Limits::default();
    let chunk = usize::from(mode >> 2) * 61 + 1;
    let parsed;
    let (ivsk, verification, body) = match mode % 4 {
        0 => (
            &fx.iv_session_key,
            Verification::SignedChecksum(&fx.signed_checksum),
            rest,
        ),
        1 => (
            &fx.iv_session_key,
            Verification::UnsafeSkipVerification,
            rest,
        ),
        2 => (
            &fx.iv_session_key,
            Verification::Checksum(fx.checksum),
            rest,
        ),
        _ => {
            let mut parts = rest.splitn(3, |&b| b == b'\n');
            let (Some(a), Some(b), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
                return;
            };
            let (Ok(a), Ok(b)) = (str::from_utf8(a), str::from_utf8(b)) else {
                return;
            };
            let (Ok(ivsk), Ok(signed)) = (
                IvSessionKey::parse(a, &limits),
                SignedChecksum::parse(b, &limits),
            ) else {
                return;
            };
            parsed = (ivsk, signed);
            (&parsed.0, Verification::SignedChecksum(&parsed.1), body)
        }
    };
    let one_shot = v2::decrypt(body, &fx.public, ivsk, verification, &limits);
    let mut streamed = Vec::new();
    let stream = v2::decrypt_stream(
        Chunked { data: body, chunk },
        &mut streamed,
        &fx.public,
        ivsk,
        verification,
        &limits,
    );
    match (&one_shot, &stream) {
        (Ok(plain), Ok(verified)) => {
            assert_eq!(
                **plain, streamed,
                "one-shot and streaming plaintexts differ"
            );
            assert_eq!(verified.checksum, sha256(plain));
            assert_eq!(verified.plaintext_len, plain.len() as u64);
            assert!(body.len() - plain.len() >= 1 && body.len() - plain.len() <= 16);
            match verification {
                Verification::UnsafeSkipVerification => {
                    assert!(!verified.authenticated);
                    reencrypts_to(plain, ivsk, body);
                }
                Verification::SignedChecksum(s) => {
                    assert!(verified.authenticated);
                    let want =
                        v2::recover_checksum(&fx.public, s).expect("accepted checksum opens");
                    assert_eq!(verified.checksum, want, "accepted a wrong checksum");
                    if want == fx.checksum {
                        assert_eq!(plain.as_slice(), VECTOR_PLAIN);
                    }
                }
                Verification::Checksum(c) => {
                    assert!(verified.authenticated);
                    assert_eq!(verified.checksum, c, "accepted a wrong checksum");
                    assert_eq!(plain.as_slice(), VECTOR_PLAIN);
                }
                _ => unreachable!("no other verification is used"),
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("one-shot {one_shot:?} and streaming {stream:?} disagree"),
    }
}

/// Encrypting `plain` under the session key of `ivsk` (opened with k1) gives `body`.
fn reencrypts_to(plain: &[u8], ivsk: &IvSessionKey, body: &[u8]) {
    let fx = &*FIXTURE;
    let session = v2::SessionKey::open(&fx.public, ivsk).expect("accepted key opens");
    let mut enc =
        Encryptor::with_session_key(&fx.private, ChecksumFormat::Hex, session, Vec::new());
    enc.write_all(plain).expect("write to a Vec");
    let (ct, _) = enc.finish().expect("encrypt");
    assert_eq!(ct, body, "decryption is not the inverse of encryption");
}

/// The structured input of [`roundtrip`].
#[derive(Debug, Arbitrary)]
struct RoundTrip {
    key: [u8; 16],
    iv: [u8; 16],
    base64: bool,
    /// Sizes of the successive `write` calls (0 is read as 1), cycled.
    writes: Vec<u16>,
    /// Which ciphertext byte to flip, and with what (0 is read as 1).
    flip_at: u32,
    flip_with: u8,
    read_chunk: u16,
    plaintext: Vec<u8>,
}

/// Encrypt then decrypt with k1, over [`arbitrary`]-structured input: session key, IV,
/// checksum form, write chunking and plaintext.
///
/// Properties: the ciphertext has the PKCS#7 length; the output strings print and parse back;
/// decryption (one-shot and streaming, any chunking) returns the plaintext with an
/// authenticated checksum equal to its SHA-256; any single flipped ciphertext byte is rejected.
pub fn roundtrip(data: &[u8]) {
    let Ok(input) = RoundTrip::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let fx = &*FIXTURE;
    let limits = Limits::default();
    let format = if input.base64 {
        ChecksumFormat::Base64
    } else {
        ChecksumFormat::Hex
    };
    let session = SessionKey::from_parts(input.key, input.iv);
    let mut enc = Encryptor::with_session_key(&fx.private, format, session, Vec::new());
    let mut rest = input.plaintext.as_slice();
    let mut sizes = input.writes.iter().cycle();
    while !rest.is_empty() {
        let want = sizes.next().map_or(rest.len(), |&n| usize::from(n.max(1)));
        let n = enc
            .write(&rest[..want.min(rest.len())])
            .expect("write to a Vec");
        rest = &rest[n..];
    }
    let (ct, out) = enc.finish().expect("encrypt");
    let len = input.plaintext.len() as u64;
    assert_eq!(out.plaintext_len, len);
    assert_eq!(out.ciphertext_len, (len / 16 + 1) * 16);
    assert_eq!(ct.len() as u64, out.ciphertext_len);
    assert_eq!(out.checksum, sha256(&input.plaintext));
    assert_eq!(out.iv_session_key.iv(), &input.iv);
    assert_eq!(out.signed_checksum.format(), format);

    let ivsk = IvSessionKey::parse(&out.iv_session_key.to_string(), &limits).expect("ivsk");
    let signed = SignedChecksum::parse(&out.signed_checksum.to_string(), &limits).expect("sig");
    assert_eq!(ivsk, out.iv_session_key);
    assert_eq!(signed, out.signed_checksum);
    let plain = v2::decrypt(
        &ct,
        &fx.public,
        &ivsk,
        Verification::SignedChecksum(&signed),
        &limits,
    )
    .expect("decrypt what was encrypted");
    assert_eq!(*plain, input.plaintext);

    let mut streamed = Vec::new();
    let verified = v2::decrypt_stream(
        Chunked {
            data: &ct,
            chunk: usize::from(input.read_chunk.max(1)),
        },
        &mut streamed,
        &fx.public,
        &ivsk,
        Verification::Checksum(out.checksum),
        &limits,
    )
    .expect("streaming decrypt");
    assert_eq!(streamed, input.plaintext);
    assert_eq!(verified.checksum, out.checksum);
    assert_eq!(verified.plaintext_len, len);
    assert!(verified.authenticated);

    let mut bad = ct;
    let at = usize::try_from(input.flip_at).unwrap_or(usize::MAX) % bad.len();
    bad[at] ^= input.flip_with.max(1);
    assert!(
        v2::decrypt(
            &bad,
            &fx.public,
            &ivsk,
            Verification::Checksum(out.checksum),
            &limits
        )
        .is_err(),
        "a flipped ciphertext byte was accepted"
    );
}

// ---------------------------------------------------------------------------------------------
// Legacy V1 (otaseal-migrate), the update protocol (otaseal-protocol), delta manifests and V3.

const V1K1_PRIVATE: &[u8] = include_bytes!("../../spec/vectors/capgo-cli/keys/v1k1.key");
/// The Capgo CLI 4.x V1 vector `rand-1024.v1k1`.
const V1_VECTOR_ID: &str = "rand-1024.v1k1";

struct V1Fixture {
    private: PrivateKey,
    iv_session_key: IvSessionKey,
    crc32: Crc32Checksum,
}

static V1_FIXTURE: LazyLock<V1Fixture> = LazyLock::new(|| {
    let limits = Limits::default();
    let entry = vector_entry("v1", V1_VECTOR_ID);
    let field = |name: &str| entry[name].as_str().expect("string field").to_owned();
    V1Fixture {
        private: PrivateKey::from_bytes(V1K1_PRIVATE, &limits).expect("v1k1 private key"),
        iv_session_key: IvSessionKey::parse(&field("iv_session_key"), &limits).expect("ivsk"),
        crc32: field("crc32").parse().expect("crc32"),
    }
});

/// Legacy V1 decryption with the fixed V1 private key `v1k1` (`spec/v1.md` 6).
///
/// The first byte picks a mode: `0 mod 3` the body with the vector's `ivSessionKey` and CRC32;
/// `1 mod 3` the same without a CRC32; `2 mod 3` `ivSessionKey \n crc32 \n body`, all chosen.
/// It also sets the chunk size of a second, streaming decryption.
///
/// Properties: an accepted plaintext has the CRC32 it was checked against (not a MAC: a
/// forgery that keeps the CRC32 is accepted by design, `spec/v1.md` 8);
/// [`otaseal_migrate::v1::decrypt`] and [`otaseal_migrate::v1::decrypt_stream`] agree.
pub fn v1_decrypt(data: &[u8]) {
    use otaseal_migrate::v1;
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fx = &*V1_FIXTURE;
    let limits = Limits::default();
    let chunk = usize::from(mode / 3) * 47 + 1;
    let parsed;
    let (ivsk, crc, body) = match mode % 3 {
        0 => (&fx.iv_session_key, Some(fx.crc32), rest),
        1 => (&fx.iv_session_key, None, rest),
        _ => {
            let mut parts = rest.splitn(3, |&b| b == b'\n');
            let (Some(a), Some(b), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
                return;
            };
            let (Ok(a), Ok(b)) = (str::from_utf8(a), str::from_utf8(b)) else {
                return;
            };
            let (Ok(ivsk), Ok(crc)) = (IvSessionKey::parse(a, &limits), b.parse()) else {
                return;
            };
            parsed = ivsk;
            (&parsed, Some(crc), body)
        }
    };
    let one_shot = v1::decrypt(body, &fx.private, ivsk, crc, &limits);
    let mut streamed = Vec::new();
    let stream = v1::decrypt_stream(
        Chunked { data: body, chunk },
        &mut streamed,
        &fx.private,
        ivsk,
        crc,
        &limits,
    );
    match (&one_shot, &stream) {
        (Ok(plain), Ok(verified)) => {
            assert_eq!(
                **plain, streamed,
                "one-shot and streaming plaintexts differ"
            );
            assert_eq!(verified.plaintext_len, plain.len() as u64);
            assert_eq!(verified.crc32, otaseal_migrate::v1::crc32(plain));
            assert_eq!(verified.crc32_checked, crc.is_some());
            if let Some(c) = crc {
                assert_eq!(verified.crc32, c, "accepted a wrong CRC32");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("one-shot {one_shot:?} and streaming {stream:?} disagree"),
    }
}

/// Update-protocol JSON (`spec/protocol.md`): every message type's strict `parse` and lenient
/// `from_json`, and the Android plugin's classification of an update response.
///
/// The first byte picks the message type (and the channel method), the rest is the document.
///
/// Properties: canonical output is a fixed point: whatever parses (strictly or leniently)
/// prints as canonical JSON that parses again, the same way, to the same canonical JSON; and
/// the readers agree: what `parse` accepts, `from_json` reads as the same message, and that
/// message passes `validate`.
pub fn protocol(data: &[u8]) {
    use otaseal_protocol as p;
    let Some((&which, doc)) = data.split_first() else {
        return;
    };
    let limits = Limits::default();
    macro_rules! fixed_point {
        ($ty:ty) => {{
            if let Ok(m) = <$ty>::parse(doc, &limits) {
                let s = m.to_json().expect("canonical JSON");
                let again = <$ty>::parse(s.as_bytes(), &limits).expect("canonical JSON parses");
                assert_eq!(
                    again.to_json().expect("canonical JSON"),
                    s,
                    "not a fixed point"
                );
                let lenient = <$ty>::from_json(doc, &limits).expect("lenient refuses a valid one");
                assert_eq!(lenient, m, "strict and lenient readers disagree");
                m.validate(&limits).expect("a parsed message validates");
            }
            if let Ok(m) = <$ty>::from_json(doc, &limits) {
                let s = m.to_json().expect("canonical JSON");
                let again =
                    <$ty>::from_json(s.as_bytes(), &limits).expect("canonical JSON reads back");
                assert_eq!(
                    again.to_json().expect("canonical JSON"),
                    s,
                    "not a fixed point"
                );
            }
        }};
    }
    let methods = [
        p::ChannelMethod::Set,
        p::ChannelMethod::Get,
        p::ChannelMethod::Delete,
        p::ChannelMethod::List,
    ];
    let method = methods[usize::from(which >> 4) % methods.len()];
    match which % 12 {
        0 => fixed_point!(p::UpdateRequest),
        1 => fixed_point!(p::UpdateResponse),
        2 => fixed_point!(p::UpdateAvailable),
        3 => fixed_point!(p::NoUpdate),
        4 => fixed_point!(p::RateLimited),
        5 => fixed_point!(p::ErrorResponse),
        6 => fixed_point!(p::StatsBody),
        7 => fixed_point!(p::StatsResponse),
        8 => fixed_point!(p::ChannelListQuery),
        9 => {
            if let Ok(m) = p::ChannelRequest::parse(doc, method, &limits) {
                let s = m.to_json().expect("canonical JSON");
                let again = p::ChannelRequest::parse(s.as_bytes(), method, &limits)
                    .expect("canonical JSON parses");
                assert_eq!(
                    again.to_json().expect("canonical JSON"),
                    s,
                    "not a fixed point"
                );
                if method != p::ChannelMethod::List {
                    m.validate(method, &limits)
                        .expect("a parsed request validates");
                }
            }
            let _ = p::ChannelRequest::from_json(doc, &limits);
        }
        10 => {
            if let Ok(m) = p::ChannelResponse::parse(doc, method, &limits) {
                let s = m.to_json().expect("canonical JSON");
                let again = p::ChannelResponse::parse(s.as_bytes(), method, &limits)
                    .expect("canonical JSON parses");
                assert_eq!(
                    again.to_json().expect("canonical JSON"),
                    s,
                    "not a fixed point"
                );
                let lenient = p::ChannelResponse::from_json(doc, method, &limits)
                    .expect("lenient refuses a valid one");
                assert_eq!(lenient, m, "strict and lenient readers disagree");
                m.validate(&limits).expect("a parsed response validates");
            }
            let _ = p::ChannelResponse::from_json(doc, method, &limits);
        }
        _ => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(doc) {
                let _ = p::classify_update_response(&v);
            }
        }
    }
}

/// Delta-manifest parsing and names (`spec/v2.md` 9).
///
/// Properties: a manifest that parses prints as JSON that parses to the same manifest, and
/// every target path passes the path rules; `decode_name(encode_name(s)) == s` for every
/// string; a decoded name re-encodes to a name that decodes to it again; the glob matcher
/// never panics nor hangs (`pattern \n path`), a literal pattern matches itself, `**` matches
/// everything.
pub fn manifest(data: &[u8]) {
    use otaseal_manifest::{Manifest, glob_match};
    use otaseal_wire::manifest::{check_path, decode_name, encode_name};
    let limits = Limits::default();
    if let Ok(m) = Manifest::parse(data, &limits) {
        let json = m.to_json();
        let again = Manifest::parse(json.as_bytes(), &limits).expect("printed manifest parses");
        assert_eq!(again.to_json(), json, "manifest is not a fixed point");
        assert_eq!(again.entries().len(), m.entries().len());
        for path in m.target_paths() {
            check_path(path).expect("a target path breaks the path rules");
        }
    }
    if let Ok(s) = str::from_utf8(data) {
        // `%2F` is refused by decoding, so an encoded `/`-free string round-trips; a `/`
        // stays a separator.
        assert_eq!(decode_name(&encode_name(s)).as_deref().ok(), Some(s));
        if let Ok(decoded) = decode_name(s) {
            assert_eq!(decode_name(&encode_name(&decoded)).ok(), Some(decoded));
        }
        if let Some((pattern, path)) = s.split_once('\n') {
            // This input shape found the first matcher exponential in the number of `**`
            // segments (corpus/manifest/seed-crash-glob-exponential); it must stay fast.
            let _ = glob_match(pattern, path);
            if !pattern.contains(['*', '?']) {
                assert!(
                    glob_match(pattern, pattern),
                    "a literal pattern misses itself"
                );
            }
            assert!(glob_match("**", path), "** misses {path:?}");
        }
    }
}

const V3_MANIFEST: &str = include_str!("../../spec/vectors/v3/manifest.json");
const V3_RECIPIENT1: &[u8] = include_bytes!("../../spec/vectors/v3/keys/recipient1.key");
const V3_SIGNER1: &[u8] = include_bytes!("../../spec/vectors/v3/keys/signer1.pub");

struct V3Fixture {
    recipient: PrivateKey,
    policy: otaseal_envelope::v3::Policy,
}

static V3_FIXTURE: LazyLock<V3Fixture> = LazyLock::new(|| {
    use otaseal_envelope::v3::{Channel, Policy, Sequence, TrustedKeys};
    let limits = Limits::default();
    let manifest: serde_json::Value = serde_json::from_str(V3_MANIFEST).expect("v3 manifest");
    let entry = manifest["vectors"]
        .as_array()
        .expect("v3 vectors")
        .iter()
        .find(|e| e["file"] == "ok-one-byte.v3" && e["expect"] == "success")
        .expect("v3 vector entry");
    let signer = PublicKey::from_bytes(V3_SIGNER1, &limits).expect("signer1");
    let policy = Policy::new(
        TrustedKeys::from_keys([signer]),
        entry["app_id"].as_str().expect("app_id"),
        Channel::only(entry["channel"].as_str().expect("channel")),
        Sequence::AtLeast(entry["min_sequence"].as_u64().expect("min_sequence")),
    )
    .now(entry["now"].as_u64().expect("now"));
    V3Fixture {
        recipient: PrivateKey::from_bytes(V3_RECIPIENT1, &limits).expect("recipient1"),
        policy,
    }
});

/// The V3 vectors' plaintext byte `i`: `(i * 31) mod 251` (`spec/vectors/v3/manifest.json`).
fn v3_plain_byte(i: usize) -> u8 {
    u8::try_from(i.wrapping_mul(31) % 251).unwrap_or(0)
}

/// V3 parsing without keys (`spec/v3.md` 3 and 8.1): [`otaseal_envelope::v3::Header::parse`],
/// [`otaseal_envelope::v3::parse_prefix`], [`otaseal_envelope::v3::read_signed_header`] and
/// [`otaseal_envelope::v3::RotationStatement::parse`].
///
/// Properties: the header and rotation-statement encodings are canonical (`parse(b)` succeeds ⇒
/// `encode() == b`); the prefix parser agrees with the header parser on suite and length; a
/// signed header read from a stream re-encodes to the header bytes it was read from.
pub fn v3_header(data: &[u8]) {
    use otaseal_envelope::v3::{
        Header, PREFIX_LEN, RotationStatement, parse_prefix, read_signed_header,
    };
    let limits = Limits::default();
    if let Ok(h) = Header::parse(data, &limits) {
        assert_eq!(h.encode(), data, "header encoding is not canonical");
        let (suite, len) = parse_prefix(&data[..PREFIX_LEN], &limits).expect("prefix parses");
        assert_eq!(suite, h.suite());
        assert_eq!(len, data.len());
        assert_eq!(
            h.commitments().len(),
            usize::try_from(h.chunk_count()).unwrap_or(0)
        );
    }
    if let Ok(signed) = read_signed_header(data, &limits) {
        assert_eq!(signed.header().encode(), signed.header_bytes());
        assert!(data.starts_with(signed.header_bytes()));
    }
    if let Ok(s) = RotationStatement::parse(data, &limits) {
        assert_eq!(
            s.encode().expect("a parsed statement encodes"),
            data,
            "rotation statement encoding is not canonical"
        );
        assert!(s.signed_len < data.len());
    }
}

/// V3 opening with the vectors' recipient key `recipient1` and a policy trusting `signer1`
/// (`spec/v3.md` 7). The input is a whole sealed file; the first byte of the seeds is the file's
/// own (`o` of the magic), so no mode byte is taken.
///
/// Properties: an accepted bundle decrypts to the vectors' plaintext pattern, of the length the
/// signed header states; on any error, whatever was written is an authentic prefix of that
/// plaintext (only verified chunks are released); streaming with small reads agrees with
/// [`otaseal_envelope::v3::open_bytes`].
pub fn v3_open(data: &[u8]) {
    use otaseal_envelope::v3;
    let fx = &*V3_FIXTURE;
    let limits = Limits::default();
    let mut out = Vec::new();
    let chunk = data.first().map_or(1, |&b| usize::from(b) * 37 + 1);
    let streamed = v3::open(
        Chunked { data, chunk },
        &mut out,
        &fx.recipient,
        &fx.policy,
        &limits,
    );
    for (i, &b) in out.iter().enumerate() {
        assert_eq!(
            b,
            v3_plain_byte(i),
            "unauthentic plaintext byte {i} released"
        );
    }
    let one_shot = v3::open_bytes(data, &fx.recipient, &fx.policy, &limits);
    match (&streamed, &one_shot) {
        (Ok(opened), Ok(plain)) => {
            assert_eq!(opened.plaintext_len, out.len() as u64);
            assert_eq!(opened.header.plaintext_len(), out.len() as u64);
            assert_eq!(plain.as_slice(), out.as_slice());
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        _ => panic!("streaming {streamed:?} and one-shot {one_shot:?} disagree"),
    }
}

/// The V3 verifier state (`spec/v3.md` 11.2) and key rotation (8.2), without valid signatures:
/// the first byte selects the input kind.
///
/// - even: the rest is a state file for [`otaseal_envelope::v3::VerifierState::from_json`];
///   if it parses, [`to_json`](otaseal_envelope::v3::VerifierState::to_json) gives bytes that
///   parse to a state with the same JSON (a canonical fixpoint).
/// - odd: the rest is a rotation statement offered to the key set `{signer1}` of the V3
///   vectors; accepted, it makes version 2; refused, the set is unchanged.
pub fn v3_state(data: &[u8]) {
    use otaseal_envelope::v3::{TrustedKeys, VerifierState};
    let limits = Limits::default();
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    if kind % 2 == 0 {
        if let Ok(state) = VerifierState::from_json(rest, &limits) {
            let json = state.to_json();
            let again = VerifierState::from_json(&json, &limits)
                .expect("a state written by to_json parses");
            assert_eq!(again.to_json(), json, "state file is not a fixpoint");
        }
    } else {
        let signer = PublicKey::from_bytes(V3_SIGNER1, &limits).expect("signer1");
        let mut keys = TrustedKeys::from_keys([signer]);
        let before = (keys.version(), keys.len());
        match keys.accept_rotation(rest, "com.example.app", 1_780_000_000, &limits) {
            Ok(_) => assert_eq!(keys.version(), before.0 + 1, "rotation skipped a version"),
            Err(_) => assert_eq!(
                (keys.version(), keys.len()),
                before,
                "refused rotation changed the set"
            ),
        }
    }
}
