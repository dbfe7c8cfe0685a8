//! The files of `examples/data` are copies of the project's vectors, byte for byte: the
//! examples show real bundles, and a copy cannot drift from its origin.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use otaseal_testkit::{capgo, read, repo_root, vectors};

fn data(rel: &str) -> Vec<u8> {
    read(repo_root().join("examples/data").join(rel))
}

fn text(rel: &str) -> String {
    String::from_utf8(data(rel)).unwrap().trim().to_owned()
}

#[test]
fn v2_files_are_the_capgo_cli_vector_bundle_zip_k1_hex() {
    let v = capgo::v2("bundle-zip.k1.hex");
    assert!(data("bundle.zip.enc") == v.encrypted);
    assert_eq!(text("bundle.ivsk"), v.iv_session_key_text);
    assert_eq!(text("bundle.checksum"), v.signed_checksum_text);
    assert!(data("capgo_key_v2.pub") == read(capgo::key_file("k1.pub")));
}

#[test]
fn v3_files_are_the_v3_vectors() {
    for (copy, origin) in [
        ("v3/ok-two-recipients.v3", "v3/ok-two-recipients.v3"),
        ("v3/signer1.pub", "v3/keys/signer1.pub"),
        ("v3/recipient1.key", "v3/keys/recipient1.key"),
    ] {
        assert!(
            data(copy) == read(vectors(origin)),
            "{copy} differs from {origin}"
        );
    }
}
