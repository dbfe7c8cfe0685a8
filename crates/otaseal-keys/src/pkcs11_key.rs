//! The PKCS#11 backend of [`Signer`] (feature `pkcs11`): the key never leaves its token.
//!
//! | operation | mechanism |
//! |---|---|
//! | type-1 over raw bytes (V2 key wrap, V2 checksums, manifest hashes) | `CKM_RSA_PKCS` |
//! | PSS-SHA256 over a digest (V3 header, rotation) | `CKM_RSA_PKCS_PSS`, SHA-256, MGF1-SHA256, salt 32 |
//! | OAEP-SHA256 with a label (V3 recipient) | `CKM_RSA_PKCS_OAEP`, SHA-256, MGF1-SHA256, `CKZ_DATA_SPECIFIED` |
//!
//! The module is loaded at run time (`module-path`), initialised once per process and never
//! finalised (another key of the same module may still be in use). The key keeps a pool of
//! read-only sessions, so that parallel signers (manifest signing on every core) each use
//! their own session; the user login is shared by all of them, as PKCS#11 defines it.

use core::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Function, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use otaseal_wire::Limits;
use zeroize::Zeroizing;

use crate::pkcs11_uri::{PinSource, Pkcs11Uri};
use crate::signer::{PSS_SALT_LEN, check_block_len, check_ciphertext_len, check_type1_payload};
use crate::source::{LoadError, Loaded, read_private_file};
use crate::{KeyError, PublicKey, SignError, Signer};

/// A PKCS#11 key could not be opened. Each variant names what to fix.
#[derive(Debug)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The URI has no `module-path`.
    NoModule,
    /// `module-path` names no file.
    ModuleNotFound {
        /// The path.
        path: PathBuf,
    },
    /// The module could not be loaded or initialised (not a PKCS#11 library, wrong
    /// architecture, its configuration missing).
    Module {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: CkError,
    },
    /// No initialised token matches the URI.
    NoToken {
        /// The URI's selectors.
        uri: String,
    },
    /// Several tokens match; add `token=`, `serial=` or `slot-id=`.
    SeveralTokens {
        /// The URI's selectors.
        uri: String,
        /// How many matched.
        count: usize,
    },
    /// The token needs a PIN and the URI gives neither `pin-value` nor `pin-source`.
    NoPin {
        /// The token label.
        token: String,
    },
    /// The `pin-source` file could not be read.
    PinSource(Box<LoadError>),
    /// The token refused the PIN.
    WrongPin {
        /// The token label.
        token: String,
    },
    /// The token's user PIN is locked (too many wrong PINs).
    PinLocked {
        /// The token label.
        token: String,
    },
    /// No private key on the token matches `object=` / `id=`.
    NoObject {
        /// The URI's selectors.
        uri: String,
    },
    /// Several private keys match; add `object=` or `id=`.
    SeveralObjects {
        /// The URI's selectors.
        uri: String,
        /// How many matched.
        count: usize,
    },
    /// The key is not an RSA key.
    NotRsa {
        /// The URI's selectors.
        uri: String,
    },
    /// The token does not reveal the key's public exponent, and holds no public key object
    /// with the same label and id.
    NoPublicKey {
        /// The URI's selectors.
        uri: String,
    },
    /// The token key is of a size or exponent otaseal does not use
    /// ([`KeyError::UnsupportedSize`], [`KeyError::UnsupportedExponent`]).
    UnsupportedKey {
        /// The URI's selectors.
        uri: String,
        /// Why.
        source: KeyError,
    },
    /// Another PKCS#11 call failed.
    Token(CkError),
}

impl fmt::Display for Pkcs11Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkcs11Error::NoModule => f.write_str(
                "the PKCS#11 URI has no module-path (add ?module-path=/path/to/module.so)",
            ),
            Pkcs11Error::ModuleNotFound { path } => {
                write!(f, "PKCS#11 module {} does not exist", path.display())
            }
            Pkcs11Error::Module { path, .. } => {
                write!(f, "cannot load PKCS#11 module {}", path.display())
            }
            Pkcs11Error::NoToken { uri } => write!(f, "no PKCS#11 token matches {uri}"),
            Pkcs11Error::SeveralTokens { uri, count } => write!(
                f,
                "{count} PKCS#11 tokens match {uri}; add token=, serial= or slot-id="
            ),
            Pkcs11Error::NoPin { token } => write!(
                f,
                "token {token:?} needs a PIN: add pin-source=file:/path (or pin-value=) to the URI"
            ),
            Pkcs11Error::PinSource(e) => write!(f, "cannot read the token PIN: {e}"),
            Pkcs11Error::WrongPin { token } => {
                write!(f, "wrong PIN for PKCS#11 token {token:?}")
            }
            Pkcs11Error::PinLocked { token } => write!(
                f,
                "the user PIN of PKCS#11 token {token:?} is locked (too many wrong PINs)"
            ),
            Pkcs11Error::NoObject { uri } => {
                write!(f, "no private key matches {uri} on the token")
            }
            Pkcs11Error::SeveralObjects { uri, count } => {
                write!(f, "{count} private keys match {uri}; add object= or id=")
            }
            Pkcs11Error::NotRsa { uri } => write!(f, "the token key {uri} is not an RSA key"),
            Pkcs11Error::NoPublicKey { uri } => write!(
                f,
                "the token does not reveal the public exponent of {uri} and has no matching public key"
            ),
            Pkcs11Error::UnsupportedKey { uri, source } => {
                write!(f, "the token key {uri}: {source}")
            }
            Pkcs11Error::Token(_) => f.write_str("the PKCS#11 token failed"),
        }
    }
}

impl std::error::Error for Pkcs11Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // cryptoki's LibraryLoading prints its cause and returns it as source too: skip
            // that wrapper, so a chain shows the loader's message once.
            Pkcs11Error::Module {
                source: CkError::LibraryLoading(e),
                ..
            } => Some(e),
            Pkcs11Error::Module { source, .. } | Pkcs11Error::Token(source) => Some(source),
            // Display prints the cause's message: forward its own source.
            Pkcs11Error::PinSource(e) => std::error::Error::source(e.as_ref()),
            Pkcs11Error::UnsupportedKey { source, .. } => std::error::Error::source(source),
            _ => None,
        }
    }
}

impl From<CkError> for Pkcs11Error {
    fn from(e: CkError) -> Self {
        Pkcs11Error::Token(e)
    }
}

/// One initialised context per module and process: `C_Initialize` may be called only once.
static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

fn module(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    if !path.is_file() {
        return Err(Pkcs11Error::ModuleNotFound {
            path: path.to_path_buf(),
        });
    }
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut modules = MODULES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, ctx)) = modules.iter().find(|(p, _)| *p == canonical) {
        return Ok(ctx.clone());
    }
    let failed = |source| Pkcs11Error::Module {
        path: path.to_path_buf(),
        source,
    };
    let ctx = Pkcs11::new(&canonical).map_err(failed)?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e)),
    }
    modules.push((canonical, ctx.clone()));
    Ok(ctx)
}

/// A private RSA key in a PKCS#11 token.
///
/// `Debug` shows the URI's selectors (never the PIN), the size and the fingerprint.
pub struct Pkcs11Key {
    ctx: Pkcs11,
    slot: Slot,
    key: ObjectHandle,
    public: PublicKey,
    uri: String,
    /// Idle sessions; the login lasts while at least one is open, and the pool never empties
    /// itself.
    sessions: Mutex<Vec<Session>>,
}

impl fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Key")
            .field("uri", &self.uri)
            .field("bits", &self.public.bits())
            .field("fingerprint", &self.public.fingerprint())
            .finish_non_exhaustive()
    }
}

fn pin(uri: &Pkcs11Uri, limits: &Limits) -> Result<Option<Loaded<AuthPin>>, Pkcs11Error> {
    match &uri.pin {
        None => Ok(None),
        Some(PinSource::Value(v)) => Ok(Some(Loaded::new(AuthPin::from(v.as_str()), None))),
        Some(PinSource::File(path)) => {
            let bytes =
                read_private_file(path, limits).map_err(|e| Pkcs11Error::PinSource(Box::new(e)))?;
            bytes
                .try_map(|b| {
                    let text = core::str::from_utf8(&b).map_err(|_| {
                        Pkcs11Error::PinSource(Box::new(LoadError::Key(KeyError::NotUtf8)))
                    })?;
                    let line = text.lines().next().unwrap_or("");
                    Ok(AuthPin::from(line))
                })
                .map(Some)
        }
    }
}

fn matches(want: Option<&String>, have: &str) -> bool {
    want.is_none_or(|w| w == have)
}

impl Pkcs11Key {
    /// Opens the private key that `uri` names: loads the module, finds the one token and the
    /// one private key that match, logs in, and reads the public half (modulus and exponent),
    /// whose size is checked like a key file's.
    ///
    /// # Errors
    /// [`Pkcs11Error`] naming what is wrong: module, token, PIN, object, key type or size.
    pub fn open(uri: &Pkcs11Uri, limits: &Limits) -> Result<Loaded<Self>, Pkcs11Error> {
        let shown = uri.to_string();
        let path = uri.module_path.as_deref().ok_or(Pkcs11Error::NoModule)?;
        let ctx = module(path)?;
        let mut found = Vec::new();
        for slot in ctx.get_slots_with_token()? {
            if uri.slot_id.is_some_and(|id| id != slot.id()) {
                continue;
            }
            let info = ctx.get_token_info(slot)?;
            if !info.token_initialized() {
                continue;
            }
            if matches(uri.token.as_ref(), info.label())
                && matches(uri.manufacturer.as_ref(), info.manufacturer_id())
                && matches(uri.model.as_ref(), info.model())
                && matches(uri.serial.as_ref(), info.serial_number())
            {
                found.push((slot, info));
            }
        }
        let (slot, info) = match found.len() {
            0 => return Err(Pkcs11Error::NoToken { uri: shown }),
            1 => found.remove(0),
            count => return Err(Pkcs11Error::SeveralTokens { uri: shown, count }),
        };
        let token = info.label().to_owned();
        let session = ctx.open_ro_session(slot)?;
        let pin = pin(uri, limits)?;
        let loose = pin.as_ref().and_then(|p| p.loose_permissions().cloned());
        if info.login_required() {
            let pin = match &pin {
                Some(p) => Some(p.key()),
                None if info.protected_authentication_path() => None,
                None => return Err(Pkcs11Error::NoPin { token }),
            };
            match session.login(UserType::User, pin) {
                Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
                Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
                    return Err(Pkcs11Error::WrongPin { token });
                }
                Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                    return Err(Pkcs11Error::PinLocked { token });
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        if let Some(label) = &uri.object {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        let mut keys = session.find_objects(&template)?;
        let key = match keys.len() {
            0 => return Err(Pkcs11Error::NoObject { uri: shown }),
            1 => keys.remove(0),
            count => return Err(Pkcs11Error::SeveralObjects { uri: shown, count }),
        };
        let public = read_public(&session, key, &shown)?;
        Ok(Loaded::new(
            Self {
                ctx,
                slot,
                key,
                public,
                uri: shown,
                sessions: Mutex::new(vec![session]),
            },
            loose,
        ))
    }

    /// The URI's selectors (token, object...), without module or PIN.
    #[must_use]
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Runs `f` on an idle session of the pool, or on a new one.
    fn with_session<T>(
        &self,
        f: impl FnOnce(&Session) -> Result<T, CkError>,
    ) -> Result<T, SignError> {
        let idle = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let session = match idle {
            Some(s) => s,
            None => self
                .ctx
                .open_ro_session(self.slot)
                .map_err(SignError::Pkcs11)?,
        };
        let result = f(&session);
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(session);
        result.map_err(SignError::Pkcs11)
    }
}

/// The public half: `CKA_MODULUS` and `CKA_PUBLIC_EXPONENT` of the private key object, or of
/// the public key object with the same label and id when the token hides the exponent.
fn read_public(session: &Session, key: ObjectHandle, uri: &str) -> Result<PublicKey, Pkcs11Error> {
    let wanted = [
        AttributeType::KeyType,
        AttributeType::Modulus,
        AttributeType::PublicExponent,
        AttributeType::Label,
        AttributeType::Id,
    ];
    let mut key_type = None;
    let mut modulus = None;
    let mut exponent = None;
    let mut same = vec![Attribute::Class(ObjectClass::PUBLIC_KEY)];
    for a in session.get_attributes(key, &wanted)? {
        match a {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::Modulus(n) => modulus = Some(n),
            Attribute::PublicExponent(e) => exponent = Some(e),
            a @ (Attribute::Label(_) | Attribute::Id(_)) => same.push(a),
            _ => {}
        }
    }
    if key_type != Some(KeyType::RSA) {
        return Err(Pkcs11Error::NotRsa { uri: uri.into() });
    }
    let no_public = || Pkcs11Error::NoPublicKey { uri: uri.into() };
    let exponent = match exponent.filter(|e| !e.is_empty()) {
        Some(e) => e,
        None => {
            let public = session.find_objects(&same)?;
            let [one] = public.as_slice() else {
                return Err(no_public());
            };
            session
                .get_attributes(*one, &[AttributeType::PublicExponent])?
                .into_iter()
                .find_map(|a| match a {
                    Attribute::PublicExponent(e) => Some(e),
                    _ => None,
                })
                .ok_or_else(no_public)?
        }
    };
    let modulus = modulus.ok_or_else(no_public)?;
    PublicKey::from_modulus_exponent(&modulus, &exponent).map_err(|source| {
        Pkcs11Error::UnsupportedKey {
            uri: uri.into(),
            source,
        }
    })
}

impl Signer for Pkcs11Key {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign_type1(&self, payload: &[u8]) -> Result<Vec<u8>, SignError> {
        check_type1_payload(payload, self.public.modulus_len())?;
        let out = self.with_session(|s| s.sign(&Mechanism::RsaPkcs, self.key, payload))?;
        check_block_len(out, self.public.modulus_len())
    }

    fn sign_pss_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        let params = PkcsPssParams {
            hash_alg: MechanismType::SHA256,
            mgf: PkcsMgfType::MGF1_SHA256,
            // CK_ULONG is C's `unsigned long`: 32 bits on 32-bit ARM (armv7 in CI), 64 on others.
            s_len: cryptoki::types::Ulong::from(std::ffi::c_ulong::from(PSS_SALT_LEN)),
        };
        let out =
            self.with_session(|s| s.sign(&Mechanism::RsaPkcsPss(params), self.key, digest))?;
        check_block_len(out, self.public.modulus_len())
    }

    fn decrypt_oaep_sha256(
        &self,
        label: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SignError> {
        check_ciphertext_len(ciphertext, self.public.modulus_len())?;
        let source = if label.is_empty() {
            PkcsOaepSource::empty()
        } else {
            PkcsOaepSource::data_specified(label)
        };
        let params = PkcsOaepParams::new(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, source);
        // A token that refuses the mechanism itself (SoftHSM 2.6 accepts OAEP with SHA-1 only)
        // fails at C_DecryptInit, before it sees the ciphertext: reported as such. Anything
        // the ciphertext can cause is one opaque error, whatever the token says.
        self.with_session(|s| s.decrypt(&Mechanism::RsaPkcsOaep(params), self.key, ciphertext))
            .map(Zeroizing::new)
            .map_err(|e| match e {
                SignError::Pkcs11(e @ CkError::Pkcs11(_, Function::DecryptInit)) => {
                    SignError::Pkcs11(e)
                }
                _ => SignError::Decryption,
            })
    }
}
