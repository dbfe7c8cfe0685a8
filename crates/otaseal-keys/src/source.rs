//! Where a private key comes from (`spec/keys.md` section 7.1): a file, an environment
//! variable, standard input, or a PKCS#11 token, and which backend then holds it.
//!
//! A CI publisher in a few lines:
//!
//! ```no_run
//! use otaseal_keys::{KeySource, LoadOptions, Signer};
//!
//! // "PATH", "env:NAME", "-" or "pkcs11:..."; the one parser of the command-line forms.
//! let source: KeySource = std::env::args().nth(1).unwrap_or("env:CAPGO_KEY".into()).parse()?;
//! let loaded = source.load(&LoadOptions::default())?;
//! if let Some(w) = loaded.loose_permissions() {
//!     eprintln!("warning: {w}");
//! }
//! let signer: Box<dyn Signer> = loaded.into_key();
//! println!("signing with {}", signer.public_key().fingerprint());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::str::FromStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use otaseal_wire::{Limit, LimitExceeded, Limits};
use zeroize::Zeroizing;

use crate::pkcs11_uri::{PKCS11_SCHEME, Pkcs11Uri, UriError};
use crate::{KeyError, PrivateKey, Signer};

/// The prefix of the environment-variable form, `env:NAME`.
pub const ENV_PREFIX: &str = "env:";

/// Where a private key is: what a `--key` option of the CLI accepts.
///
/// Parsed from text by [`FromStr`]: `pkcs11:...` is a [`Pkcs11Uri`], `env:NAME` an environment
/// variable holding the PEM, `-` standard input, anything else a file path (write `./env:x`
/// for a file whose name starts with `env:`).
#[derive(Debug)]
#[non_exhaustive]
pub enum KeySource {
    /// A key file (PEM or DER); a FIFO such as `<(vault read ...)` works too.
    File(PathBuf),
    /// An environment variable holding the PEM text.
    Env(String),
    /// Standard input.
    Stdin,
    /// A key in a PKCS#11 token (boxed: the URI is large).
    Pkcs11(Box<Pkcs11Uri>),
    /// The key's PEM text itself, as `@capgo/cli`'s `--key-data` takes it. Never parsed from
    /// text by [`FromStr`]: a caller builds it with [`KeySource::inline`].
    Inline(InlineKey),
}

/// Key text held in memory ([`KeySource::Inline`]): wiped on drop, redacted in `Debug`.
pub struct InlineKey(Zeroizing<String>);

impl fmt::Debug for InlineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InlineKey(..)")
    }
}

impl KeySource {
    /// A source that is the key's text itself (PEM), as `--key-data` gives it.
    #[must_use]
    pub fn inline(text: impl Into<String>) -> Self {
        KeySource::Inline(InlineKey(Zeroizing::new(text.into())))
    }
}

/// Text that is not a key source.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceError {
    /// An empty argument.
    Empty,
    /// `env:` with a name that is empty or holds `=` or NUL.
    BadEnvName,
    /// A malformed `pkcs11:` URI.
    Uri(UriError),
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Empty => {
                f.write_str("empty key source (expected PATH, env:NAME, - or pkcs11:...)")
            }
            SourceError::BadEnvName => {
                f.write_str("env: needs a variable name without '=' (env:CAPGO_KEY)")
            }
            SourceError::Uri(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SourceError {}

impl FromStr for KeySource {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            Err(SourceError::Empty)
        } else if s == "-" {
            Ok(KeySource::Stdin)
        } else if let Some(name) = s.strip_prefix(ENV_PREFIX) {
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(SourceError::BadEnvName);
            }
            Ok(KeySource::Env(name.to_owned()))
        } else if s.starts_with(PKCS11_SCHEME) {
            Pkcs11Uri::parse(s)
                .map(|u| KeySource::Pkcs11(Box::new(u)))
                .map_err(SourceError::Uri)
        } else {
            Ok(KeySource::File(PathBuf::from(s)))
        }
    }
}

impl fmt::Display for KeySource {
    /// The source for messages: the path, `env:NAME`, `standard input`, or the URI without its
    /// query (no module path, no PIN).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "{}", p.display()),
            KeySource::Env(n) => write!(f, "{ENV_PREFIX}{n}"),
            KeySource::Stdin => f.write_str("standard input"),
            KeySource::Pkcs11(u) => write!(f, "{u}"),
            KeySource::Inline(_) => f.write_str("the key data given"),
        }
    }
}

/// A private key file that group or others may read (Unix mode bits `0o077`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoosePermissions {
    /// The file.
    pub path: PathBuf,
    /// Its permission bits (`0o644`...).
    pub mode: u32,
}

impl fmt::Display for LoosePermissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is readable by others than its owner (mode {:04o}); run: chmod 600 {}",
            self.path.display(),
            self.mode,
            self.path.display()
        )
    }
}

/// A key (or its bytes) with what the caller should warn about: the library never prints.
#[derive(Debug)]
#[must_use = "a loaded key may carry a permissions warning for the user"]
pub struct Loaded<K> {
    key: K,
    loose: Option<LoosePermissions>,
}

impl<K> Loaded<K> {
    pub(crate) fn new(key: K, loose: Option<LoosePermissions>) -> Self {
        Self { key, loose }
    }

    /// The key.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// The key, dropping the warning.
    pub fn into_key(self) -> K {
        self.key
    }

    /// Set when the key file (or a token's PIN file) is readable by group or others.
    #[must_use]
    pub fn loose_permissions(&self) -> Option<&LoosePermissions> {
        self.loose.as_ref()
    }

    /// Converts the key, keeping the warning.
    ///
    /// # Errors
    /// Those of `f`.
    pub fn try_map<T, E>(self, f: impl FnOnce(K) -> Result<T, E>) -> Result<Loaded<T>, E> {
        Ok(Loaded {
            key: f(self.key)?,
            loose: self.loose,
        })
    }
}

/// The backend that holds a key read from a file, a variable or standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SoftwareBackend {
    /// [`PrivateKey`]: pure Rust; blinded but not constant time (RUSTSEC-2023-0071).
    RustCrypto,
    /// [`OpensslKey`](crate::OpensslKey): constant time and blinded, and ~5x faster.
    #[cfg(feature = "openssl")]
    OpenSsl,
}

impl SoftwareBackend {
    /// Every backend of this build.
    pub const ALL: &'static [SoftwareBackend] = &[
        SoftwareBackend::RustCrypto,
        #[cfg(feature = "openssl")]
        SoftwareBackend::OpenSsl,
    ];
}

impl Default for SoftwareBackend {
    /// OpenSSL when the `openssl` feature is on, else RustCrypto.
    fn default() -> Self {
        #[cfg(feature = "openssl")]
        {
            SoftwareBackend::OpenSsl
        }
        #[cfg(not(feature = "openssl"))]
        {
            SoftwareBackend::RustCrypto
        }
    }
}

impl fmt::Display for SoftwareBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SoftwareBackend::RustCrypto => "rustcrypto",
            #[cfg(feature = "openssl")]
            SoftwareBackend::OpenSsl => "openssl",
        })
    }
}

/// How [`KeySource::load`] reads a key.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Size limits (`max_key_file_len`, checked before a key file is read).
    pub limits: Limits,
    /// The backend for keys that are not in a token.
    pub backend: SoftwareBackend,
}

impl LoadOptions {
    /// Options with these limits and the default backend.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            backend: SoftwareBackend::default(),
        }
    }

    /// Sets the backend for keys that are not in a token.
    #[must_use]
    pub fn backend(mut self, backend: SoftwareBackend) -> Self {
        self.backend = backend;
        self
    }
}

/// A key could not be loaded from its source.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file (or standard input) could not be opened or read.
    Read {
        /// The file, or "standard input".
        what: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The input is larger than [`Limits::max_key_file_len`]; nothing was read past it.
    TooLarge(LimitExceeded),
    /// The environment variable is not set.
    EnvNotSet {
        /// Its name.
        name: String,
    },
    /// The environment variable is not valid Unicode.
    EnvNotUnicode {
        /// Its name.
        name: String,
    },
    /// The bytes are not a usable private key.
    Key(KeyError),
    /// A PKCS#11 key where the operation needs the key in memory (the V1 key of a migration,
    /// which every V1 app shipped, or its bytes).
    NotInMemory,
    /// The source needs a backend this build does not have.
    NotBuilt {
        /// The cargo feature of `otaseal-keys` that adds it.
        feature: &'static str,
    },
    /// The OpenSSL backend refused the key.
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::error::ErrorStack),
    /// The PKCS#11 token, its module or its key.
    #[cfg(feature = "pkcs11")]
    Pkcs11(crate::Pkcs11Error),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { what, .. } => write!(f, "cannot read {what}"),
            LoadError::TooLarge(e) => write!(f, "{e}"),
            LoadError::EnvNotSet { name } => {
                write!(f, "environment variable {name} is not set")
            }
            LoadError::EnvNotUnicode { name } => {
                write!(f, "environment variable {name} is not valid Unicode")
            }
            LoadError::Key(e) => write!(f, "{e}"),
            LoadError::NotInMemory => f.write_str(
                "a PKCS#11 key cannot be used here: this needs the key itself (a file, env:NAME or -)",
            ),
            LoadError::NotBuilt { feature } => write!(
                f,
                "this build has no {feature} support (cargo feature \"{feature}\")"
            ),
            #[cfg(feature = "openssl")]
            LoadError::OpenSsl(_) => f.write_str("OpenSSL refused the private key"),
            #[cfg(feature = "pkcs11")]
            LoadError::Pkcs11(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read { source, .. } => Some(source),
            LoadError::Key(e) => e.source(),
            #[cfg(feature = "openssl")]
            LoadError::OpenSsl(e) => Some(e),
            #[cfg(feature = "pkcs11")]
            LoadError::Pkcs11(e) => e.source(),
            _ => None,
        }
    }
}

impl From<KeyError> for LoadError {
    fn from(e: KeyError) -> Self {
        LoadError::Key(e)
    }
}

/// Reads at most `limits.max_key_file_len` bytes from `r`, failing if there are more.
fn read_limited(
    r: impl Read,
    what: impl FnOnce() -> String,
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, LoadError> {
    let max = limits.max(Limit::KeyFileLen);
    let mut buf = Zeroizing::new(Vec::new());
    r.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| LoadError::Read {
            what: what(),
            source,
        })?;
    limits
        .check(Limit::KeyFileLen, buf.len() as u64)
        .map_err(LoadError::TooLarge)?;
    Ok(buf)
}

/// Reads a private file (a key or a PIN): its size is checked against
/// `limits.max_key_file_len` before it is read, and its mode is reported if group or others
/// may read it.
pub(crate) fn read_private_file(
    path: &Path,
    limits: &Limits,
) -> Result<Loaded<Zeroizing<Vec<u8>>>, LoadError> {
    let what = || path.display().to_string();
    let file = File::open(path).map_err(|source| LoadError::Read {
        what: what(),
        source,
    })?;
    let meta = file.metadata().map_err(|source| LoadError::Read {
        what: what(),
        source,
    })?;
    let mut loose = None;
    if meta.is_file() {
        limits
            .check(Limit::KeyFileLen, meta.len())
            .map_err(LoadError::TooLarge)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                loose = Some(LoosePermissions {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
    }
    let key = read_limited(file, what, limits)?;
    Ok(Loaded::new(key, loose))
}

impl KeySource {
    /// The key's bytes, for a file, a variable or standard input, bounded by
    /// `limits.max_key_file_len`. A file's size is checked before it is read.
    ///
    /// # Errors
    /// [`LoadError::Read`], [`LoadError::TooLarge`], [`LoadError::EnvNotSet`],
    /// [`LoadError::EnvNotUnicode`]; [`LoadError::NotInMemory`] for a PKCS#11 key.
    pub fn read(&self, limits: &Limits) -> Result<Loaded<Zeroizing<Vec<u8>>>, LoadError> {
        match self {
            KeySource::File(path) => read_private_file(path, limits),
            KeySource::Env(name) => {
                let value = std::env::var_os(name)
                    .ok_or_else(|| LoadError::EnvNotSet { name: name.clone() })?
                    .into_string()
                    .map_err(|_| LoadError::EnvNotUnicode { name: name.clone() })?;
                let bytes = Zeroizing::new(value.into_bytes());
                limits
                    .check(Limit::KeyFileLen, bytes.len() as u64)
                    .map_err(LoadError::TooLarge)?;
                Ok(Loaded::new(bytes, None))
            }
            KeySource::Stdin => Ok(Loaded::new(
                read_limited(io::stdin().lock(), || "standard input".into(), limits)?,
                None,
            )),
            KeySource::Pkcs11(_) => Err(LoadError::NotInMemory),
            KeySource::Inline(InlineKey(text)) => {
                limits
                    .check(Limit::KeyFileLen, text.len() as u64)
                    .map_err(LoadError::TooLarge)?;
                Ok(Loaded::new(Zeroizing::new(text.as_bytes().to_vec()), None))
            }
        }
    }

    /// The key in memory, as a RustCrypto [`PrivateKey`] (for a file, a variable or standard
    /// input): what the V1 reader of a migration needs.
    ///
    /// # Errors
    /// Those of [`read`](Self::read), and [`LoadError::Key`] if the bytes are not a private
    /// key ([`KeyError::WrongKind`] for a public key).
    pub fn load_in_memory(&self, limits: &Limits) -> Result<Loaded<PrivateKey>, LoadError> {
        self.read(limits)?
            .try_map(|bytes| PrivateKey::from_bytes(&bytes, limits).map_err(LoadError::Key))
    }

    /// The key behind a [`Signer`]: a token key stays in its token; any other is read, checked
    /// and handed to `options.backend`.
    ///
    /// # Errors
    /// Those of [`load_in_memory`](Self::load_in_memory); `LoadError::Pkcs11` (module, token,
    /// PIN, object, key size); [`LoadError::NotBuilt`] for a backend this build lacks.
    pub fn load(&self, options: &LoadOptions) -> Result<Loaded<Box<dyn Signer>>, LoadError> {
        match self {
            #[cfg(feature = "pkcs11")]
            KeySource::Pkcs11(uri) => crate::Pkcs11Key::open(uri, &options.limits)
                .map_err(LoadError::Pkcs11)?
                .try_map(|k| Ok(Box::new(k) as Box<dyn Signer>)),
            #[cfg(not(feature = "pkcs11"))]
            KeySource::Pkcs11(_) => Err(LoadError::NotBuilt { feature: "pkcs11" }),
            _ => self
                .load_in_memory(&options.limits)?
                .try_map(|key| in_backend(key, options.backend)),
        }
    }
}

/// Moves an in-memory key to `backend`.
fn in_backend(key: PrivateKey, backend: SoftwareBackend) -> Result<Box<dyn Signer>, LoadError> {
    match backend {
        SoftwareBackend::RustCrypto => Ok(Box::new(key)),
        #[cfg(feature = "openssl")]
        SoftwareBackend::OpenSsl => Ok(Box::new(crate::OpensslKey::from_private_key(&key)?)),
    }
}

impl PrivateKey {
    /// Reads a private key file (PEM or DER). Its size is checked against
    /// `limits.max_key_file_len` before it is read; a mode that lets group or others read it is
    /// reported in [`Loaded::loose_permissions`].
    ///
    /// # Errors
    /// [`LoadError`] naming the problem.
    pub fn from_file(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded<Self>, LoadError> {
        KeySource::File(path.as_ref().to_path_buf()).load_in_memory(limits)
    }

    /// Reads a private key from the environment variable `name` (PEM text): how CI systems
    /// pass secrets.
    ///
    /// # Errors
    /// [`LoadError::EnvNotSet`], [`LoadError::EnvNotUnicode`], [`LoadError::TooLarge`],
    /// [`LoadError::Key`].
    pub fn from_env(name: &str, limits: &Limits) -> Result<Self, LoadError> {
        KeySource::Env(name.to_owned())
            .load_in_memory(limits)
            .map(Loaded::into_key)
    }

    /// Reads a private key from `reader` (PEM or DER), at most `limits.max_key_file_len`
    /// bytes.
    ///
    /// # Errors
    /// [`LoadError::Read`], [`LoadError::TooLarge`], [`LoadError::Key`].
    pub fn from_reader(reader: impl Read, limits: &Limits) -> Result<Self, LoadError> {
        let bytes = read_limited(reader, || "the key reader".into(), limits)?;
        Ok(PrivateKey::from_bytes(&bytes, limits)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    #[test_case("-" ; "stdin")]
    #[test_case("env:CAPGO_KEY" ; "env")]
    #[test_case(".capgo_key_v2" ; "file")]
    #[test_case("pkcs11:object=capgo" ; "token")]
    fn forms(s: &str) {
        let src: KeySource = s.parse().unwrap();
        let want = match s {
            "-" => matches!(src, KeySource::Stdin),
            "env:CAPGO_KEY" => matches!(&src, KeySource::Env(n) if n == "CAPGO_KEY"),
            ".capgo_key_v2" => matches!(&src, KeySource::File(p) if p == Path::new(s)),
            _ => matches!(src, KeySource::Pkcs11(_)),
        };
        assert!(want, "{s}: {src:?}");
    }

    #[test_case("", SourceError::Empty ; "empty")]
    #[test_case("env:", SourceError::BadEnvName ; "no name")]
    #[test_case("env:A=B", SourceError::BadEnvName ; "equals")]
    #[test_case("pkcs11:object", SourceError::Uri(UriError::MissingEquals { attribute: "object".into() }) ; "bad uri")]
    fn bad_forms(s: &str, want: SourceError) {
        assert_eq!(s.parse::<KeySource>().unwrap_err(), want);
    }

    #[test]
    fn display_hides_the_pin() {
        let s: KeySource = "pkcs11:object=capgo?pin-value=1234&module-path=/m.so"
            .parse()
            .unwrap();
        assert_eq!(s.to_string(), "pkcs11:object=capgo");
    }

    fn k1() -> &'static [u8] {
        include_bytes!("../tests/data/k1.key")
    }

    #[cfg(unix)]
    #[test_case(0o600, None ; "owner only")]
    #[test_case(0o400, None ; "owner read only")]
    #[test_case(0o640, Some(0o640) ; "group")]
    #[test_case(0o604, Some(0o604) ; "others")]
    fn file_mode(mode: u32, want: Option<u32>) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        std::fs::write(&p, k1()).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        let loaded = PrivateKey::from_file(&p, &Limits::default()).unwrap();
        assert_eq!(loaded.loose_permissions().map(|l| l.mode), want);
        if let Some(l) = loaded.loose_permissions() {
            let text = l.to_string();
            assert!(
                text.contains("chmod 600") && text.contains(&format!("{mode:04o}")),
                "{text}"
            );
        }
        assert_eq!(loaded.key().public_key().bits(), 2048);
    }

    #[test]
    fn inline_key_data_loads_and_is_redacted() {
        let pem = std::str::from_utf8(k1()).unwrap();
        let src = KeySource::inline(pem);
        assert_eq!(format!("{src:?}"), "Inline(InlineKey(..))");
        assert_eq!(src.to_string(), "the key data given");
        let key = src.load_in_memory(&Limits::default()).unwrap();
        assert_eq!(key.key().public_key().bits(), 2048);
        let mut small = Limits::default();
        small.max_key_file_len = 100;
        let err = KeySource::inline(pem).load_in_memory(&small).unwrap_err();
        assert!(matches!(err, LoadError::TooLarge(_)), "{err:?}");
    }

    #[test]
    fn file_size_is_checked_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.key");
        let f = File::create(&p).unwrap();
        f.set_len(1 << 30).unwrap();
        let err = PrivateKey::from_file(&p, &Limits::default()).unwrap_err();
        assert!(matches!(err, LoadError::TooLarge(_)), "{err:?}");
    }

    #[test]
    fn reader_is_bounded() {
        let limits = Limits::default();
        let big = io::repeat(b'A').take(limits.max(Limit::KeyFileLen) + 10);
        let err = PrivateKey::from_reader(big, &limits).unwrap_err();
        assert!(matches!(err, LoadError::TooLarge(_)), "{err:?}");
        assert!(PrivateKey::from_reader(k1(), &limits).is_ok());
    }

    #[test]
    fn missing_file_and_variable() {
        let err = PrivateKey::from_file("/nonexistent/k.key", &Limits::default()).unwrap_err();
        assert!(matches!(err, LoadError::Read { .. }), "{err:?}");
        assert_eq!(err.to_string(), "cannot read /nonexistent/k.key");
        let err =
            PrivateKey::from_env("OTASEAL_TEST_SURELY_UNSET_VAR", &Limits::default()).unwrap_err();
        assert!(matches!(err, LoadError::EnvNotSet { .. }), "{err:?}");
    }

    #[test]
    fn public_key_is_refused() {
        let err = PrivateKey::from_reader(
            &include_bytes!("../tests/data/k1.pub")[..],
            &Limits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, LoadError::Key(KeyError::WrongKind { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn token_key_is_not_in_memory() {
        let s: KeySource = "pkcs11:object=capgo".parse().unwrap();
        assert!(matches!(
            s.load_in_memory(&Limits::default()),
            Err(LoadError::NotInMemory)
        ));
    }

    #[test]
    fn every_backend_loads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.key");
        std::fs::write(&p, k1()).unwrap();
        let src = KeySource::File(p);
        for &b in SoftwareBackend::ALL {
            let signer = src
                .load(&LoadOptions::default().backend(b))
                .unwrap()
                .into_key();
            assert_eq!(
                signer.public_key().key_id().as_str(),
                "MIIBCgKCAQEAuGbpniuu",
                "{b}"
            );
        }
    }
}
