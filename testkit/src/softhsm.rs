//! SoftHSM2 tokens for tests: each test gets its own `SOFTHSM2_CONF` and token folder.
//!
//! SoftHSM reads `SOFTHSM2_CONF` once, when a process first initialises the module, and Rust
//! 2024 forbids setting environment variables in safe code. So a test that needs a token in its
//! own process re-runs itself in a child process with the variable set ([`in_child`]); a CLI
//! test just passes [`SoftHsm::env`] to the `otaseal` it starts.
//!
//! Tokens are made with `softhsm2-util` (Debian package `softhsm2`). Without it the tests skip
//! with a message, unless `OTASEAL_REQUIRE_SOFTHSM` is set (CI sets it), when they fail.
//!
//! ```ignore
//! #[test]
//! fn signs_in_the_token() {
//!     let Some(hsm) = softhsm::in_child("signs_in_the_token") else { return };
//!     let uri = hsm.uri("capgo");
//!     // ... load `uri`, sign, compare ...
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use otaseal_keys::rsa;

/// The token label every fixture token has.
pub const TOKEN: &str = "otaseal";
/// Its user PIN.
pub const PIN: &str = "1234";
/// Its security-officer PIN.
pub const SO_PIN: &str = "5678";

/// Set in a child started by [`in_child`]: the fixture folder to reuse.
const CHILD_VAR: &str = "OTASEAL_SOFTHSM_FIXTURE";
/// When set, a missing SoftHSM fails the test instead of skipping it.
pub const REQUIRE_VAR: &str = "OTASEAL_REQUIRE_SOFTHSM";

/// Where Debian, Fedora and Homebrew put the module; `OTASEAL_SOFTHSM_MODULE` overrides.
const MODULE_PATHS: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
];

/// The SoftHSM2 module, if installed (with `softhsm2-util`) for the CPU this test runs on.
#[must_use]
pub fn module() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OTASEAL_SOFTHSM_MODULE") {
        return Some(PathBuf::from(p));
    }
    let util = Command::new("softhsm2-util").arg("--version").output();
    if !util.is_ok_and(|o| o.status.success()) {
        return None;
    }
    MODULE_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file() && loadable_here(p))
}

/// Whether this process could load the shared object at `path`: false for an ELF file of
/// another CPU, such as the host's module seen by a test running under qemu-user (the
/// cross-compiled suite of scripts/cross-test.sh), where loading it would fail the test
/// instead of skipping it. Files that are not ELF (macOS) and unknown CPUs are assumed fine.
fn loadable_here(path: &Path) -> bool {
    // e_machine of the ELF header (offset 18, little-endian on every CPU listed here).
    let ours: u16 = match std::env::consts::ARCH {
        "x86" => 3,
        "arm" => 40,
        "x86_64" => 62,
        "aarch64" => 183,
        "riscv64" => 243,
        _ => return true,
    };
    let mut head = [0u8; 20];
    let read =
        std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head));
    if read.is_err() || head[..4] != *b"\x7fELF" || head[5] != 1 {
        return true;
    }
    u16::from_le_bytes([head[18], head[19]]) == ours
}

/// The module, or `None` after printing why the test is skipped; panics instead when
/// `OTASEAL_REQUIRE_SOFTHSM` is set, so that CI cannot skip silently.
#[must_use]
pub fn module_or_skip(test: &str) -> Option<PathBuf> {
    let m = module();
    if m.is_none() {
        assert!(
            std::env::var_os(REQUIRE_VAR).is_none(),
            "{test}: SoftHSM2 (softhsm2-util, libsofthsm2.so) is not installed and {REQUIRE_VAR} is set; apt-get install softhsm2"
        );
        eprintln!(
            "skipped {test}: SoftHSM2 is not installed for {} (apt-get install softhsm2)",
            std::env::consts::ARCH
        );
    }
    m
}

/// A SoftHSM2 configuration and token folder of its own, with token [`TOKEN`] initialised.
#[derive(Debug)]
pub struct SoftHsm {
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    module: PathBuf,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl SoftHsm {
    /// A new folder with a configuration and an initialised token; `None` (skipped) when
    /// SoftHSM2 is not installed.
    #[must_use]
    pub fn new(test: &str) -> Option<Self> {
        let module = module_or_skip(test)?;
        let tmp = tempfile::tempdir().expect("tempdir");
        let hsm = Self {
            dir: tmp.path().to_path_buf(),
            _tmp: Some(tmp),
            module,
        };
        std::fs::create_dir(hsm.dir.join("tokens")).expect("token folder");
        std::fs::write(
            hsm.conf(),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                hsm.dir.join("tokens").display()
            ),
        )
        .expect("softhsm2.conf");
        run(hsm.util().args([
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ]));
        Some(hsm)
    }

    /// The configuration file (`SOFTHSM2_CONF`).
    #[must_use]
    pub fn conf(&self) -> PathBuf {
        self.dir.join("softhsm2.conf")
    }

    /// The fixture folder (configuration and tokens); a place for PIN files too.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The module path.
    #[must_use]
    pub fn module_path(&self) -> &Path {
        &self.module
    }

    /// The environment a process needs to see this token.
    #[must_use]
    pub fn env(&self) -> [(&'static str, String); 1] {
        [("SOFTHSM2_CONF", self.conf().display().to_string())]
    }

    fn util(&self) -> Command {
        let mut c = Command::new("softhsm2-util");
        c.env("SOFTHSM2_CONF", self.conf());
        c
    }

    /// Imports a private key (a PKCS#1 or PKCS#8 PEM file, of any size: also the keys otaseal
    /// refuses) into the token as `label` with `CKA_ID` `id` (hex), with its public key object.
    pub fn import(&self, key_file: &Path, label: &str, id: &str) {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
        let pem = std::fs::read_to_string(key_file).expect("key file");
        let key = rsa::PrivateKey::from_pkcs1_pem(&pem)
            .or_else(|_| rsa::PrivateKey::from_pkcs8_pem(&pem))
            .expect("a PKCS#1 or PKCS#8 private key PEM");
        let p8 = self.dir.join(format!("{label}.p8"));
        let text = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8");
        std::fs::write(&p8, text.as_bytes()).expect("write");
        run(self
            .util()
            .arg("--import")
            .arg(&p8)
            .args(["--token", TOKEN, "--label", label, "--id", id, "--pin", PIN]));
        std::fs::remove_file(p8).expect("remove");
    }

    /// `pkcs11:token=otaseal;object=LABEL;type=private?module-path=...&pin-value=1234`.
    #[must_use]
    pub fn uri(&self, object: &str) -> String {
        self.uri_with(
            &format!("object={object};type=private"),
            &format!("pin-value={PIN}"),
        )
    }

    /// `pkcs11:token=otaseal;PATH?module-path=...&QUERY`, for error cases.
    #[must_use]
    pub fn uri_with(&self, path: &str, query: &str) -> String {
        let sep = if query.is_empty() { "" } else { "&" };
        format!(
            "pkcs11:token={TOKEN};{path}?module-path={}{sep}{query}",
            self.module.display()
        )
    }
}

/// Runs the calling test in a child process that sees its own SoftHSM token.
///
/// In the parent: makes the fixture, re-runs this test binary with `--exact test` and
/// `SOFTHSM2_CONF` set, asserts that the child passed, and returns `None`. In the child:
/// returns the fixture. Also `None` (skipped) without SoftHSM2. `test` is the test's path as
/// libtest names it (`module::name`).
#[must_use]
pub fn in_child(test: &str) -> Option<SoftHsm> {
    if let Some(dir) = std::env::var_os(CHILD_VAR) {
        return Some(SoftHsm {
            dir: PathBuf::from(dir),
            _tmp: None,
            module: module().expect("module"),
        });
    }
    let hsm = SoftHsm::new(test)?;
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, hsm.dir())
        .env("SOFTHSM2_CONF", hsm.conf())
        .output()
        .expect("run the test in a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} in its SoftHSM child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    None
}

/// Set (to the URI of the bench key) in a bench process that [`token_for_bench`] re-ran.
const BENCH_URI_VAR: &str = "OTASEAL_BENCH_TOKEN_URI";

/// For a bench's `main`: the URI of `key_file` imported into a SoftHSM token of its own.
///
/// SoftHSM reads `SOFTHSM2_CONF` when the process first loads it, so the first call makes the
/// token and re-runs the bench binary with the same arguments and the variable set, then exits
/// with its status; in that child it returns the URI. `None` (and a note) without SoftHSM2.
#[must_use]
pub fn token_for_bench(key_file: &Path) -> Option<String> {
    if let Some(uri) = std::env::var_os(BENCH_URI_VAR) {
        return Some(uri.to_string_lossy().into_owned());
    }
    let Some(hsm) = SoftHsm::new("bench") else {
        eprintln!("no SoftHSM2: the PKCS#11 backend is not measured");
        return None;
    };
    hsm.import(key_file, "bench", "01");
    let status = Command::new(std::env::current_exe().expect("current_exe"))
        .args(std::env::args_os().skip(1))
        .env(BENCH_URI_VAR, hsm.uri("bench"))
        .env("SOFTHSM2_CONF", hsm.conf())
        .status()
        .expect("re-run the bench");
    drop(hsm);
    std::process::exit(status.code().unwrap_or(1));
}

/// Every backend of this build holding the key of `key_file`, named: the in-memory ones
/// (`SoftwareBackend::ALL`) and, with `token_uri`, `pkcs11`.
#[must_use]
pub fn signers(
    key_file: &Path,
    token_uri: Option<&str>,
) -> Vec<(String, Box<dyn otaseal_keys::Signer>)> {
    use otaseal_keys::{KeySource, LoadOptions, SoftwareBackend};
    let mut v: Vec<(String, Box<dyn otaseal_keys::Signer>)> = SoftwareBackend::ALL
        .iter()
        .map(|&b| {
            let s = KeySource::File(key_file.to_path_buf())
                .load(&LoadOptions::default().backend(b))
                .expect("key file")
                .into_key();
            (b.to_string(), s)
        })
        .collect();
    if let Some(uri) = token_uri {
        let s: KeySource = uri.parse().expect("token URI");
        let signer = s
            .load(&LoadOptions::default())
            .expect("token key (is otaseal-keys built with the pkcs11 feature?)")
            .into_key();
        v.push(("pkcs11".into(), signer));
    }
    v
}
