//! What an updater running on the device does, with the otaseal libraries only (no CLI, no
//! OpenSSL): for Rust apps such as Tauri mobile apps or embedded Linux updaters.
//!
//! 1. A Capgo V2 bundle (made by the real `@capgo/cli`), verified and decrypted as
//!    `@capgo/capacitor-updater` does it: the app's public key opens the `ivSessionKey` and the
//!    signed checksum, and the SHA-256 of the plaintext must match. The output gets its name
//!    only once it verified.
//! 2. The same bundle with one byte changed: refused, and nothing is written.
//! 3. An otaseal V3 sealed bundle, opened under a policy (trusted signer, app id, channel,
//!    minimum sequence): every chunk is authenticated before it is written.
//!
//! ```sh
//! cargo run -p otaseal-examples --example device_update                 # examples/data
//! cargo run -p otaseal-examples --example device_update -- DATA_DIR [OUT_DIR]
//! cargo run -p otaseal-examples --example device_update --target aarch64-unknown-linux-gnu  # under qemu
//! ```
//!
//! `DATA_DIR` holds the files of `examples/data` (see its README): copy that folder to a
//! device and pass its path. Without `OUT_DIR` the outputs go to a temporary folder.
#![forbid(unsafe_code)]

use std::error::Error;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use otaseal_envelope::io::open_input;
use otaseal_envelope::v2::{self, Verification};
use otaseal_envelope::v3::{self, Channel, Policy, Sequence, TrustedKeys};
use otaseal_keys::{Limit, Limits, PrivateKey, PublicKey};
use otaseal_wire::{IvSessionKey, SignedChecksum};

/// What the V3 bundle of `examples/data/v3` was sealed for (`spec/vectors/v3/manifest.json`).
const APP_ID: &str = "com.example.app";
const CHANNEL: &str = "production";
/// The sequence installed now: a bundle below it is a rollback.
const INSTALLED_SEQUENCE: u64 = 42;
/// The vector's clock (2026-05-29). A device leaves the clock out of its policy: it then checks
/// the validity period against the system time.
const VECTOR_NOW: u64 = 1_780_000_000;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Display, cause by cause: each error of the libraries prints its own clause.
            eprintln!("error: {e}");
            let mut cause = e.source();
            while let Some(c) = cause {
                eprintln!("  caused by: {c}");
                cause = c.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let data = args
        .next()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("data"));
    let temp;
    let out = match args.next() {
        Some(dir) => dir,
        None => {
            temp = tempfile::tempdir()?;
            println!("(writing into a temporary folder, removed on exit)");
            temp.path().to_path_buf()
        }
    };
    let limits = Limits::default();

    // 1. Capgo V2: what the update server sends is the bundle URL, `session_key` (the
    //    ivSessionKey) and `checksum` (the signed checksum); the app ships the public key.
    let public = PublicKey::from_bytes(
        &read_small(&data.join("capgo_key_v2.pub"), Limit::KeyFileLen, &limits)?,
        &limits,
    )?;
    let iv_session_key = IvSessionKey::parse(
        read_text(&data.join("bundle.ivsk"), &limits)?.trim(),
        &limits,
    )?;
    let signed = SignedChecksum::parse(
        read_text(&data.join("bundle.checksum"), &limits)?.trim(),
        &limits,
    )?;
    let encrypted = data.join("bundle.zip.enc");
    let (input, _) = open_input(&encrypted, Limit::BundleLen, &limits)?;
    let zip = out.join("bundle.zip");
    let verified = v2::decrypt_to_file(
        input,
        &zip,
        &public,
        &iv_session_key,
        Verification::SignedChecksum(&signed),
        &limits,
    )?;
    println!(
        "V2: {} verified: {} bytes, sha256 {}",
        zip.display(),
        verified.plaintext_len,
        verified.checksum
    );

    // 2. One byte changed in transit: refused, and the output is never created.
    let mut tampered = read_small(&encrypted, Limit::BundleLen, &limits)?;
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let refused = out.join("tampered.zip");
    match v2::decrypt_to_file(
        Cursor::new(tampered),
        &refused,
        &public,
        &iv_session_key,
        Verification::SignedChecksum(&signed),
        &limits,
    ) {
        Ok(_) => return Err("a tampered V2 bundle was accepted".into()),
        Err(e) if refused.exists() => {
            return Err(format!(
                "a refused V2 bundle left {} behind ({e})",
                refused.display()
            )
            .into());
        }
        Err(e) => println!("V2: tampered copy refused, nothing written: {e}"),
    }

    // 3. otaseal V3: the device trusts the release signing key and holds its own decryption key.
    let v3_dir = data.join("v3");
    let signer = PublicKey::from_bytes(
        &read_small(&v3_dir.join("signer1.pub"), Limit::KeyFileLen, &limits)?,
        &limits,
    )?;
    let device_key = PrivateKey::from_bytes(
        &read_small(&v3_dir.join("recipient1.key"), Limit::KeyFileLen, &limits)?,
        &limits,
    )?;
    // No default channel or sequence rule: the device names both. A device keeps a verifier
    // state (`v3::VerifierState`, feature `state`) to raise the minimum after each update.
    let policy = Policy::new(
        TrustedKeys::from_keys([signer]),
        APP_ID,
        Channel::only(CHANNEL),
        Sequence::AtLeast(INSTALLED_SEQUENCE),
    )
    .now(VECTOR_NOW);
    let (input, _) = open_input(
        &v3_dir.join("ok-two-recipients.v3"),
        Limit::BundleLen,
        &limits,
    )?;
    let opened_path = out.join("sealed.zip");
    let opened = v3::open_to_file(input, &opened_path, &device_key, &policy, &limits)?;
    let ctx = opened.header.context();
    println!(
        "V3: {} verified: {} bytes of {} {} on {}, signed by {}",
        opened_path.display(),
        opened.plaintext_len,
        ctx.app_id,
        ctx.bundle_version,
        ctx.channel,
        opened.header.signer()
    );
    println!(
        "V3: store sequence {} as the minimum for the next update",
        ctx.sequence
    );
    Ok(())
}

/// A whole small file, its size checked against `limit` before it is read.
fn read_small(path: &Path, limit: Limit, limits: &Limits) -> Result<Vec<u8>, Box<dyn Error>> {
    let (file, len) = open_input(path, limit, limits)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len)?);
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A small text field stored in a file (an `ivSessionKey`, a signed checksum).
fn read_text(path: &Path, limits: &Limits) -> Result<String, Box<dyn Error>> {
    Ok(String::from_utf8(read_small(
        path,
        Limit::FieldLen,
        limits,
    )?)?)
}
