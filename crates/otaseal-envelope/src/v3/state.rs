//! The verifier state (`spec/v3.md` section 11): per app, the trusted key set with its version,
//! and per channel the highest sequence opened, kept in a JSON file written atomically with mode
//! 0600. With a state, rollback and channel protection are what a verifier gets by default: the
//! [`Policy`] it makes refuses a sequence that is not greater than the one recorded, and the
//! configured keys seed a new state but never change an existing one, so a key retired by a
//! rotation stays retired.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use base64ct::{Base64, Encoding};
use otaseal_keys::{Fingerprint, KeyError, PublicKey};
use otaseal_wire::v3::check_str;
use otaseal_wire::{Limit, Limits};
use serde::{Deserialize, Serialize};

use super::error::RotationError;
use super::open::{Channel, Opened, Policy, Sequence};
use super::rotation::{KeySetError, Rotated, TrustedKeys};
use crate::io::{Existing, InputError, Mode, OutputError, open_input, write_file};

/// `spec/v3.md` section 11.2: the value of the state file's `format` field.
pub const STATE_FORMAT: &str = "otaseal-verifier-state/1";

/// What a verifier remembers between bundles (`spec/v3.md` section 11), for any number of apps.
///
/// ```
/// use otaseal_envelope::io::PendingFile;
/// use otaseal_envelope::v3::{self, Channel, Context, TrustedKeys, VerifierState};
/// use otaseal_keys::{KeySize, Limits, PrivateKey};
///
/// # let signing = PrivateKey::generate(KeySize::Rsa2048)?;
/// # let device = PrivateKey::generate(KeySize::Rsa2048)?;
/// # let dir = tempfile::tempdir()?;
/// # let (state_path, out) = (dir.path().join("state.json"), dir.path().join("bundle.zip"));
/// let app = "com.example.app";
/// let ctx = Context::new(app, "production", "2.0.0", 7, 1_700_000_000, 4_000_000_000);
/// let sealed = v3::seal(b"zip", &signing, &[device.public_key()], ctx)?;
///
/// let limits = Limits::default();
/// let mut state = VerifierState::load(&state_path, &limits)?.unwrap_or_default();
/// // The configured keys seed the app's key set once; afterwards the state governs.
/// state.seed(app, TrustedKeys::from_keys([signing.public_key().clone()]))?;
/// let policy = state.policy(app, Channel::only("production"))?;
/// let output = PendingFile::create(&out, Default::default(), Default::default())?;
/// let opened = v3::open_to(sealed.as_slice(), output, &device, &policy, &limits)?;
/// state.record(&opened)?; // only after the output was persisted
/// state.save(&state_path)?;
///
/// // The same bundle again is a rollback now.
/// let again = v3::open_bytes(&sealed, &device, &state.policy(app, Channel::only("production"))?, &limits);
/// assert_eq!(again.unwrap_err().code(), "rollback");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct VerifierState {
    apps: BTreeMap<String, AppState>,
}

#[derive(Clone, Debug)]
struct AppState {
    keys: TrustedKeys,
    sequences: BTreeMap<String, u64>,
}

impl VerifierState {
    /// A state that knows no app.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The key set of `app_id`, if the state has one.
    #[must_use]
    pub fn key_set(&self, app_id: &str) -> Option<&TrustedKeys> {
        self.apps.get(app_id).map(|a| &a.keys)
    }

    /// The highest sequence recorded for `app_id` on the channels `channel` admits: that
    /// channel's, or for [`Channel::Any`] the highest of all (`spec/v3.md` section 11.1).
    #[must_use]
    pub fn highest_sequence(&self, app_id: &str, channel: &Channel) -> Option<u64> {
        let app = self.apps.get(app_id)?;
        match channel {
            Channel::Only(c) => app.sequences.get(c).copied(),
            Channel::Any => app.sequences.values().copied().max(),
        }
    }

    /// Gives `app_id` the key set `keys` (normally the verifier's configured keys, version 1)
    /// unless the state has one already: then nothing changes, whatever `keys` holds, so a retired key
    /// cannot come back this way (`spec/v3.md` sections 8.2 and 11.1). Returns whether it did.
    ///
    /// # Errors
    /// [`StateError::Invalid`] for an invalid app id or a key set that is empty or too large.
    pub fn seed(&mut self, app_id: &str, keys: TrustedKeys) -> Result<bool, StateError> {
        if self.apps.contains_key(app_id) {
            return Ok(false);
        }
        let invalid = |problem| StateError::Invalid {
            app_id: app_id.to_owned(),
            problem,
        };
        check_str(app_id.as_bytes()).ok_or_else(|| invalid(StateProblem::AppId))?;
        let keys = TrustedKeys::from_stored(
            keys.version(),
            keys.created_at(),
            keys.iter().cloned().collect(),
        )
        .map_err(|e| invalid(StateProblem::KeySet(e)))?;
        self.apps.insert(
            app_id.to_owned(),
            AppState {
                keys,
                sequences: BTreeMap::new(),
            },
        );
        Ok(true)
    }

    /// Accepts a rotation statement for the key set of `app_id` ([`TrustedKeys::accept_rotation`]).
    ///
    /// # Errors
    /// [`StateError::UnknownApp`]; [`StateError::Rotation`] if the statement is refused (the key
    /// set is then unchanged).
    pub fn accept_rotation(
        &mut self,
        app_id: &str,
        statement: &[u8],
        now: u64,
        limits: &Limits,
    ) -> Result<Rotated, StateError> {
        self.app_mut(app_id)?
            .keys
            .accept_rotation(statement, app_id, now, limits)
            .map_err(StateError::Rotation)
    }

    /// The policy for a bundle of `app_id` on `channel` (`spec/v3.md` section 11.1): the app's
    /// key set, and a sequence greater than the highest recorded on the channels `channel`
    /// admits (any sequence if none is recorded). Set its clock with [`Policy::now`], add a floor
    /// with [`Policy::and_sequence`].
    ///
    /// # Errors
    /// [`StateError::UnknownApp`] if the state has no key set for `app_id` ([`seed`](Self::seed)).
    pub fn policy(&self, app_id: &str, channel: Channel) -> Result<Policy, StateError> {
        let app = self
            .apps
            .get(app_id)
            .ok_or_else(|| StateError::UnknownApp {
                app_id: app_id.to_owned(),
            })?;
        let sequence = self
            .highest_sequence(app_id, &channel)
            .map_or(Sequence::AtLeast(0), Sequence::After);
        Ok(Policy::new(app.keys.clone(), app_id, channel, sequence))
    }

    /// Records a bundle that was opened in full (`spec/v3.md` section 11.1): its sequence
    /// becomes the highest for its app and channel, unless a higher one is recorded. Call it
    /// only once the plaintext was persisted ([`open_to`](super::open_to) returns after that),
    /// then [`save`](Self::save).
    ///
    /// # Errors
    /// [`StateError::UnknownApp`] if the state has no key set for the bundle's app.
    pub fn record(&mut self, opened: &Opened) -> Result<(), StateError> {
        let ctx = opened.header.context();
        let seq = self
            .app_mut(&ctx.app_id)?
            .sequences
            .entry(ctx.channel.clone())
            .or_insert(ctx.sequence);
        *seq = (*seq).max(ctx.sequence);
        Ok(())
    }

    fn app_mut(&mut self, app_id: &str) -> Result<&mut AppState, StateError> {
        self.apps
            .get_mut(app_id)
            .ok_or_else(|| StateError::UnknownApp {
                app_id: app_id.to_owned(),
            })
    }

    /// Reads a state file (`spec/v3.md` section 11.2), checking its size against
    /// `limits.max_json_len` before reading it; `None` if there is no file at `path`.
    ///
    /// # Errors
    /// [`StateError::Input`], or as [`from_json`](Self::from_json).
    pub fn load(path: &Path, limits: &Limits) -> Result<Option<Self>, StateError> {
        let (file, _) = match open_input(path, Limit::JsonLen, limits) {
            Ok(f) => f,
            Err(InputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(StateError::Input(e)),
        };
        let max = limits.max(Limit::JsonLen);
        let mut bytes = Vec::new();
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|source| {
                StateError::Input(InputError::Io {
                    path: path.to_owned(),
                    source,
                })
            })?;
        Self::from_json(&bytes, limits).map(Some)
    }

    /// Writes the state to `path` atomically, readable and writable by its owner only.
    ///
    /// # Errors
    /// [`StateError::Output`].
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        write_file(path, &self.to_json(), Mode::Private, Existing::Replace)
            .map_err(StateError::Output)
    }

    /// Parses a state file's bytes (`spec/v3.md` section 11.2): JSON of exactly that shape, every
    /// app id and channel a valid `str8`, each listed once, every key a valid RSA public key in
    /// canonical SPKI DER with the fingerprint written beside it, every key set valid.
    ///
    /// # Errors
    /// [`StateError::Input`] (too large), [`StateError::Json`], [`StateError::Format`],
    /// [`StateError::Invalid`], [`StateError::Key`].
    pub fn from_json(bytes: &[u8], limits: &Limits) -> Result<Self, StateError> {
        limits
            .check(Limit::JsonLen, bytes.len() as u64)
            .map_err(|e| StateError::Input(InputError::TooLarge(e)))?;
        let file: StateFile = serde_json::from_slice(bytes).map_err(StateError::Json)?;
        if file.format != STATE_FORMAT {
            return Err(StateError::Format { found: file.format });
        }
        let mut apps = BTreeMap::new();
        for app in file.apps {
            let invalid = |problem| StateError::Invalid {
                app_id: app.app_id.clone(),
                problem,
            };
            check_str(app.app_id.as_bytes()).ok_or_else(|| invalid(StateProblem::AppId))?;
            if apps.contains_key(&app.app_id) {
                return Err(invalid(StateProblem::DuplicateApp));
            }
            let mut keys = Vec::with_capacity(app.key_set.keys.len());
            for k in &app.key_set.keys {
                let der =
                    Base64::decode_vec(&k.spki).map_err(|_| invalid(StateProblem::KeyEncoding))?;
                let key =
                    PublicKey::from_bytes(&der, limits).map_err(|source| StateError::Key {
                        app_id: app.app_id.clone(),
                        source,
                    })?;
                let canonical = key.to_spki_der().map_err(|source| StateError::Key {
                    app_id: app.app_id.clone(),
                    source,
                })?;
                if canonical != der {
                    return Err(invalid(StateProblem::KeyEncoding));
                }
                if k.fingerprint.parse::<Fingerprint>().ok() != Some(key.fingerprint()) {
                    return Err(invalid(StateProblem::KeyFingerprint));
                }
                keys.push(key);
            }
            let keys = TrustedKeys::from_stored(app.key_set.version, app.key_set.created_at, keys)
                .map_err(|e| invalid(StateProblem::KeySet(e)))?;
            let mut sequences = BTreeMap::new();
            for s in app.sequences {
                check_str(s.channel.as_bytes()).ok_or_else(|| invalid(StateProblem::Channel))?;
                if sequences.insert(s.channel, s.sequence).is_some() {
                    return Err(invalid(StateProblem::DuplicateChannel));
                }
            }
            apps.insert(app.app_id, AppState { keys, sequences });
        }
        Ok(Self { apps })
    }

    /// The state file's bytes (`spec/v3.md` section 11.2): pretty JSON, apps and channels in
    /// byte order, ending with a newline.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        let file = StateFile {
            format: STATE_FORMAT.to_owned(),
            apps: self
                .apps
                .iter()
                .map(|(app_id, app)| AppFile {
                    app_id: app_id.clone(),
                    key_set: KeySetFile {
                        version: app.keys.version(),
                        created_at: app.keys.created_at(),
                        keys: app
                            .keys
                            .iter()
                            .map(|k| KeyFile {
                                fingerprint: k.fingerprint().to_string(),
                                // A key that decoded encodes: SPKI of a valid RSA key.
                                spki: k
                                    .to_spki_der()
                                    .map(|d| Base64::encode_string(&d))
                                    .unwrap_or_default(),
                            })
                            .collect(),
                    },
                    sequences: app
                        .sequences
                        .iter()
                        .map(|(channel, &sequence)| SequenceFile {
                            channel: channel.clone(),
                            sequence,
                        })
                        .collect(),
                })
                .collect(),
        };
        // Serializing these plain structs to a Vec cannot fail.
        let mut out = serde_json::to_vec_pretty(&file).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// `spec/v3.md` section 11.2, the file. Arrays rather than objects for apps and channels, so
/// that a repeated entry is an error instead of silently overriding another.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: String,
    apps: Vec<AppFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    app_id: String,
    key_set: KeySetFile,
    sequences: Vec<SequenceFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySetFile {
    version: u64,
    created_at: u64,
    keys: Vec<KeyFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    fingerprint: String,
    spki: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SequenceFile {
    channel: String,
    sequence: u64,
}

/// What is wrong with an app's entry in a verifier state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StateProblem {
    /// The app id is empty, longer than 255 bytes or has a control character.
    AppId,
    /// The app is listed twice.
    DuplicateApp,
    /// A channel is empty, longer than 255 bytes or has a control character.
    Channel,
    /// A channel is listed twice.
    DuplicateChannel,
    /// A key is not strict base64 of its canonical SPKI DER.
    KeyEncoding,
    /// A key's fingerprint is not the one written beside it.
    KeyFingerprint,
    /// The key set is not valid.
    KeySet(KeySetError),
}

impl fmt::Display for StateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateProblem::AppId => {
                f.write_str("the app id must be 1 to 255 bytes without control characters")
            }
            StateProblem::DuplicateApp => f.write_str("the app is listed twice"),
            StateProblem::Channel => {
                f.write_str("a channel must be 1 to 255 bytes without control characters")
            }
            StateProblem::DuplicateChannel => f.write_str("a channel is listed twice"),
            StateProblem::KeyEncoding => {
                f.write_str("a key is not strict base64 of its canonical SPKI DER")
            }
            StateProblem::KeyFingerprint => {
                f.write_str("a key's fingerprint is not the one written beside it")
            }
            StateProblem::KeySet(e) => write!(f, "{e}"),
        }
    }
}

/// A verifier state could not be read, used or written (`spec/v3.md` section 11).
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// The state file could not be read, or is over `Limits::max_json_len`.
    Input(InputError),
    /// The state file could not be written.
    Output(OutputError),
    /// The state file is not JSON of the shape of `spec/v3.md` section 11.2.
    Json(serde_json::Error),
    /// The state file's `format` is not [`STATE_FORMAT`].
    Format {
        /// The `format` found.
        found: String,
    },
    /// An app's entry breaks a rule of `spec/v3.md` section 11.2.
    Invalid {
        /// The app id as written.
        app_id: String,
        /// What is wrong.
        problem: StateProblem,
    },
    /// A key of an app's key set is not a usable RSA public key.
    Key {
        /// The app id.
        app_id: String,
        /// Why the key is not usable.
        source: KeyError,
    },
    /// The state has no key set for this app: seed it with the configured keys first.
    UnknownApp {
        /// The app id.
        app_id: String,
    },
    /// A rotation statement was refused; the key set is unchanged.
    Rotation(RotationError),
}

impl StateError {
    /// A stable code: the rotation's code (`spec/v3.md` section 8.3) for
    /// [`StateError::Rotation`], `"too-large"` for a file over the limit, `"io"` for other input
    /// and output failures, and `"invalid-state"` for the rest.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            StateError::Rotation(e) => e.code(),
            StateError::Input(InputError::TooLarge(_)) => "too-large",
            StateError::Input(_) | StateError::Output(_) => "io",
            _ => "invalid-state",
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Input(e) => write!(f, "{e}"),
            StateError::Output(e) => write!(f, "{e}"),
            StateError::Json(e) => write!(f, "the verifier state is not valid: {e}"),
            StateError::Format { found } => write!(
                f,
                "the verifier state has format {found:?}; expected {STATE_FORMAT:?}"
            ),
            StateError::Invalid { app_id, problem } => {
                write!(
                    f,
                    "the verifier state of app {app_id:?} is not valid: {problem}"
                )
            }
            StateError::Key { app_id, .. } => {
                write!(
                    f,
                    "the verifier state of app {app_id:?} holds an unusable key"
                )
            }
            StateError::UnknownApp { app_id } => write!(
                f,
                "the verifier state has no key set for app {app_id:?}: give the trusted keys to seed it"
            ),
            StateError::Rotation(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Input(e) => e.source(),
            StateError::Output(e) => e.source(),
            StateError::Json(e) => e.source(),
            StateError::Key { source, .. } => Some(source),
            StateError::Rotation(e) => e.source(),
            _ => None,
        }
    }
}
