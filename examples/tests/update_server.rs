//! The example server answers a real update request, and the bundle its response points to
//! decrypts and verifies with the app's public key.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use otaseal_envelope::v2::{self, Verification};
use otaseal_examples::update_server::Server;
use otaseal_keys::{Limits, PrivateKey};
use otaseal_protocol::{Classification, UpdateResponse, classify_update_response};
use otaseal_wire::ChecksumFormat;
use serde_json::Value;

fn http(addr: std::net::SocketAddr, req: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = std::str::from_utf8(&out[9..12]).unwrap().parse().unwrap();
    (status, out[split + 4..].to_vec())
}

fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, Vec<u8>) {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn serves_an_update_that_decrypts_and_verifies() {
    let keys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/capgo-cli/keys");
    let sk = PrivateKey::from_bytes(
        &std::fs::read(keys.join("k1.key")).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Two releases; the server must offer the newer one.
    for (version, content) in [
        ("1.0.9", &b"old bundle"[..]),
        ("1.0.10", &b"PK\x03\x04 new bundle"[..]),
    ] {
        let dest = dir.path().join(format!("{version}.enc"));
        let out = v2::encrypt_file(content, &dest, &sk, ChecksumFormat::Hex).unwrap();
        let meta = serde_json::json!({
            "filename": dest.display().to_string(),
            "ivSessionKey": out.iv_session_key.to_string(),
            "checksum": out.signed_checksum.to_string(),
            "sha256": out.checksum.to_string(),
        });
        std::fs::write(dir.path().join(format!("{version}.json")), meta.to_string()).unwrap();
    }
    let server = Server::bind("127.0.0.1:0", dir.path().to_path_buf(), None).unwrap();
    let addr = server.local_addr();
    let handle = std::thread::spawn(move || server.serve(5).unwrap());

    // The request an Android plugin sends (spec/protocol.md fixtures have the full set).
    let request = r#"{"platform":"android","device_id":"0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b","app_id":"com.example.app","custom_id":"","version_build":"1.0","version_code":"10","version_os":"14","version_name":"builtin","plugin_version":"8.51.14","is_emulator":false,"is_prod":true,"install_source":"","defaultChannel":"","key_id":"MIIBCgKCAQEAuGbpniuu"}"#;
    let (status, body) = post(addr, "/updates", request);
    assert_eq!(status, 200);
    let value: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        classify_update_response(&value),
        Classification::UpdateAvailable
    );
    let UpdateResponse::Available(update) =
        UpdateResponse::parse(&body, &Limits::default()).unwrap()
    else {
        panic!("not an update: {}", String::from_utf8_lossy(&body));
    };
    assert_eq!(update.version.as_deref(), Some("1.0.10"));
    let ivsk = update.iv_session_key(&Limits::default()).unwrap().unwrap();
    let signed = update.signed_checksum(&Limits::default()).unwrap();

    // Download what the response points to and decrypt it as a device would.
    let url = update.url.clone().unwrap();
    let path = url.split_once("//").unwrap().1.split_once('/').unwrap().1;
    let (status, bundle) = http(addr, &format!("GET /{path} HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(status, 200);
    let out = dir.path().join("downloaded.zip");
    let verified = v2::decrypt_to_file(
        &bundle[..],
        &out,
        sk.public_key(),
        &ivsk,
        Verification::SignedChecksum(&signed),
        &Limits::default(),
    )
    .unwrap();
    assert!(verified.authenticated);
    assert_eq!(std::fs::read(&out).unwrap(), b"PK\x03\x04 new bundle");

    // Already on the newest version: up to date, with kind and no error-free success body.
    let current = request.replace(r#""version_name":"builtin""#, r#""version_name":"1.0.10""#);
    let (_, body) = post(addr, "/updates", &current);
    let value: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(value["kind"], "up_to_date");
    assert_eq!(value["error"], "no_new_version_available");
    // An invalid request names the field.
    let (status, body) = post(addr, "/updates", r#"{"platform":"ios"}"#);
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("device_id"));
    // Paths outside the releases are not served.
    let (status, _) = http(addr, "GET /bundles/..%2F1.0.10.enc HTTP/1.1\r\n\r\n");
    assert_eq!(status, 404);
    handle.join().unwrap();
}
