//! Opens every V3 vector of `spec/vectors/v3/manifest.json` (`spec/v3.md` section 9) through
//! the streaming, in-memory and atomic-file paths, and checks the expected outcome: the
//! plaintext's length and SHA-256, or the error code, with no output file left behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::path::PathBuf;

use otaseal_envelope::v3::{self, Header, Policy, TrustedKeys};
use otaseal_keys::{Limits, PrivateKey, PublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

const L: Limits = Limits::DEFAULT;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/v3")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).unwrap()).unwrap()
}

fn private(name: &str) -> PrivateKey {
    PrivateKey::from_bytes(
        &std::fs::read(dir().join(format!("keys/{name}.key"))).unwrap(),
        &L,
    )
    .unwrap()
}

fn public(name: &str) -> PublicKey {
    PublicKey::from_bytes(
        &std::fs::read(dir().join(format!("keys/{name}.pub"))).unwrap(),
        &L,
    )
    .unwrap()
}

fn trusted(v: &Value) -> TrustedKeys {
    TrustedKeys::from_keys(
        v["trusted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| public(n.as_str().unwrap())),
    )
}

fn policy(v: &Value) -> Policy {
    let mut keys = trusted(v);
    let app = v["app_id"].as_str().unwrap();
    for r in v["rotations"].as_array().unwrap() {
        let bytes = std::fs::read(dir().join(r.as_str().unwrap())).unwrap();
        keys.accept_rotation(&bytes, app, &L).unwrap();
    }
    Policy::new(keys, app)
        .channel(v["channel"].as_str().unwrap())
        .min_sequence(v["min_sequence"].as_u64().unwrap())
        .now(v["now"].as_u64().unwrap())
}

#[test]
fn keys_match_the_manifest() {
    let m = manifest();
    for (name, k) in m["keys"].as_object().unwrap() {
        let key = private(name);
        assert_eq!(key.public_key(), &public(name));
        assert_eq!(key.public_key().bits() as u64, k["bits"].as_u64().unwrap());
        assert_eq!(
            key.public_key().fingerprint().to_string(),
            k["fingerprint"].as_str().unwrap()
        );
    }
}

#[test]
fn every_vector_opens_or_fails_as_stated() {
    let m = manifest();
    let vectors = m["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 35, "{} vectors", vectors.len());
    let tmp = tempfile::tempdir().unwrap();
    let (mut ok, mut bad) = (0, 0);
    for v in vectors {
        let file = v["file"].as_str().unwrap();
        let sealed = std::fs::read(dir().join(file)).unwrap();
        let key = private(v["decryption_key"].as_str().unwrap());
        let policy = policy(v);
        let expect = v["expect"].as_str().unwrap();
        let what = format!("{file} ({})", v["comment"]);

        let mut streamed = Vec::new();
        let streaming = v3::open(sealed.as_slice(), &mut streamed, &key, &policy, &L);
        let in_memory = v3::open_bytes(&sealed, &key, &policy, &L);
        let dest = tmp.path().join("out.zip");
        let to_file = v3::open_to_file(sealed.as_slice(), &dest, &key, &policy, &L);

        if expect == "success" {
            ok += 1;
            let opened = streaming.unwrap_or_else(|e| panic!("{what}: {e}"));
            let plain = in_memory.unwrap();
            to_file.unwrap();
            let on_disk = std::fs::read(&dest).unwrap();
            std::fs::remove_file(&dest).unwrap();
            for p in [&streamed, &*plain, &on_disk] {
                assert_eq!(
                    p.len() as u64,
                    v["plaintext_len"].as_u64().unwrap(),
                    "{what}"
                );
                assert_eq!(
                    base16ct::lower::encode_string(&Sha256::digest(p)),
                    v["plaintext_sha256"].as_str().unwrap(),
                    "{what}"
                );
            }
            assert_eq!(opened.plaintext_len, plain.len() as u64);
            // The header re-encodes to exactly the bytes received.
            let signed = v3::read_signed_header(sealed.as_slice(), &L).unwrap();
            assert_eq!(signed.header().encode(), signed.header_bytes(), "{what}");
            assert_eq!(&opened.header, signed.header());
        } else {
            bad += 1;
            for (path, r) in [
                ("stream", streaming.map(|_| ())),
                ("bytes", in_memory.map(|_| ())),
                ("file", to_file.map(|_| ())),
            ] {
                let e = r.expect_err(&what);
                assert_eq!(e.code(), expect, "{what} via {path}: {e}");
            }
            assert_eq!(
                std::fs::read_dir(tmp.path()).unwrap().count(),
                0,
                "{what}: output left behind"
            );
            // A bundle rejected before its first chunk released nothing to the stream.
            if !matches!(expect, "decryption" | "truncated" | "trailing-data") {
                assert!(streamed.is_empty(), "{what}");
            }
        }
    }
    assert!(ok >= 8 && bad >= 25, "{ok} ok, {bad} bad");
}

#[test]
fn rotation_statements() {
    let m = manifest();
    for r in m["rotations"].as_array().unwrap() {
        let bytes = std::fs::read(dir().join(r["file"].as_str().unwrap())).unwrap();
        let mut keys = trusted(r);
        let before = keys.len();
        let res = keys.accept_rotation(&bytes, r["app_id"].as_str().unwrap(), &L);
        let new = public(r["new_key"].as_str().unwrap()).fingerprint();
        match r["expect"].as_str().unwrap() {
            "success" => {
                assert_eq!(res.unwrap(), new);
                assert_eq!(keys.len(), before + 1);
                assert!(keys.get(&new).is_some());
            }
            code => {
                assert_eq!(res.unwrap_err().code(), code, "{r}");
                assert_eq!(keys.len(), before);
                assert!(keys.get(&new).is_none());
            }
        }
    }
}

#[test]
fn every_vector_header_parses_or_fails_without_panicking() {
    // The raw header parser on every prefix length of every vector's header: never a panic,
    // and success only on the exact header.
    let m = manifest();
    for v in m["vectors"].as_array().unwrap() {
        let sealed = std::fs::read(dir().join(v["file"].as_str().unwrap())).unwrap();
        let Ok(signed) = v3::read_signed_header(sealed.as_slice(), &L) else {
            continue;
        };
        let h = signed.header_bytes();
        for cut in (0..h.len()).step_by(7) {
            assert!(Header::parse(&h[..cut], &L).is_err());
        }
        let mut longer = h.to_vec();
        longer.push(0);
        assert!(Header::parse(&longer, &L).is_err());
    }
}
