//! The response to `POST {updateUrl}`: an update, no update (with a `kind`), or a rate limit;
//! and the classifier that reads a body as current Android plugins do.

use otaseal_wire::manifest::{EntryName, ManifestEntry, NameError, NameSet};
use otaseal_wire::{Field, IvSessionKey, Limit, Sha256Checksum, SignedChecksum, WireError};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{LengthUnit, ValidationError, ValueError};
use crate::open_enum::open_enum;
use crate::read::{Reader, Req, Rule, message_methods};
use crate::value::{HttpUrl, VersionName};

/// The error code of a rate-limited request (HTTP 429).
pub const TOO_MANY_REQUESTS: &str = "too_many_requests";
/// The error code that tells a device it runs the newest bundle.
pub const NO_NEW_VERSION_AVAILABLE: &str = "no_new_version_available";
/// The message a device treats as a store (native) update being required.
pub const STORE_UPDATE_REQUIRED: &str = "store_update_required";
/// The error code of a blocked major upgrade; devices fire their `breaking` events on it.
pub const DISABLE_AUTO_UPDATE_TO_MAJOR: &str = "disable_auto_update_to_major";

open_enum! {
    /// The `kind` of a no-update response (plugin 8.45.11 and later): an open enum.
    ///
    /// ```
    /// use otaseal_protocol::ResponseKind;
    ///
    /// assert_eq!(ResponseKind::parse("blocked"), ResponseKind::Blocked);
    /// // What current plugins do with a missing, empty or unknown kind:
    /// assert_eq!(ResponseKind::normalize(None), ResponseKind::Failed);
    /// assert_eq!(ResponseKind::normalize(Some("")), ResponseKind::Failed);
    /// assert_eq!(ResponseKind::normalize(Some("update_available")), ResponseKind::Failed);
    /// assert_eq!(ResponseKind::parse("later").as_str(), "later");
    /// ```
    pub enum ResponseKind {
        /// The device runs the bundle it should.
        UpToDate => "up_to_date",
        /// An update exists but a channel or device rule prevents it.
        Blocked => "blocked",
        /// The server could not answer.
        Failed => "failed",
    }
}

impl ResponseKind {
    /// The kind a current Android plugin acts on (`normalizedUpdateResponseKind`): the kind
    /// when it is known, [`Failed`](Self::Failed) when it is missing, `null`, empty or unknown.
    #[must_use]
    pub fn normalize(kind: Option<&str>) -> Self {
        match kind.map(ResponseKind::parse) {
            Some(k) if k.is_known() => k,
            _ => ResponseKind::Failed,
        }
    }
}

/// The `kind` Capgo's backend sends with an update error code (`getUpdateResponseKind`):
/// `up_to_date` for `no_new_version_available` and `already_on_builtin`, `blocked` for the
/// channel and device rules, `failed` for every other code.
///
/// ```
/// use otaseal_protocol::{ResponseKind, kind_for_error_code};
///
/// assert_eq!(kind_for_error_code("no_new_version_available"), ResponseKind::UpToDate);
/// assert_eq!(kind_for_error_code("key_id_mismatch"), ResponseKind::Blocked);
/// assert_eq!(kind_for_error_code("no_channel"), ResponseKind::Failed);
/// assert_eq!(kind_for_error_code("anything_else"), ResponseKind::Failed);
/// ```
#[must_use]
pub fn kind_for_error_code(code: &str) -> ResponseKind {
    match code {
        "no_new_version_available" | "already_on_builtin" => ResponseKind::UpToDate,
        "cannot_update_via_private_channel"
        | "disabled_platform_ios"
        | "disabled_platform_android"
        | "disabled_platform_electron"
        | "disable_auto_update_to_major"
        | "disable_auto_update_to_minor"
        | "disable_auto_update_to_patch"
        | "disable_auto_update_to_metadata"
        | "disable_auto_update_under_native"
        | "disable_prod_build"
        | "disable_dev_build"
        | "disable_device"
        | "disable_emulator"
        | "key_id_mismatch"
        | "provider_infrastructure_request_blocked" => ResponseKind::Blocked,
        _ => ResponseKind::Failed,
    }
}

/// A generic error body, `{"error": code, "message": text, ...}`: HTTP 400 parse errors of
/// every endpoint, stats and channel errors. Unknown fields (`moreInfo`) are kept.
///
/// ```
/// use otaseal_protocol::{ErrorResponse, Limits};
///
/// let e = ErrorResponse::new("missing_channel", "Cannot find channel");
/// assert_eq!(e.to_json().unwrap(), "{\n  \"error\": \"missing_channel\",\n  \"message\": \"Cannot find channel\"\n}\n");
/// e.validate(&Limits::default())?;
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Other fields, such as `moreInfo`, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorResponse {
    /// An error body with `code` and `message`.
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: Some(code.into()),
            message: Some(message.into()),
            extra: Map::new(),
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let mut extra = r.object(v)?;
        Some(Self {
            error: r.take(&mut extra, "error", Req::NonEmpty, Rule::Any),
            message: r.take(&mut extra, "message", Req::Required, Rule::Any),
            extra,
        })
    }
}

/// An update is available (`spec/protocol.md` section 4.4): Capgo's `resToVersion` fields in
/// its order, then those plugins also read.
///
/// Build one for a V2 bundle with [`v2_update_response`](crate::v2_update_response).
///
/// ```
/// use otaseal_protocol::{Limits, UpdateAvailable, UpdateResponse};
///
/// let mut u = UpdateAvailable::new("1.0.1", "https://cdn.example.com/b/1.0.1.zip");
/// u.checksum = Some(Some(
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
/// ));
/// u.validate(&Limits::default())?;
/// assert_eq!(u.iv_session_key(&Limits::default()), Ok(None)); // not encrypted
/// let r = UpdateResponse::Available(u);
/// assert!(r.to_json().unwrap().starts_with("{\n  \"version\": \"1.0.1\",\n  \"url\""));
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UpdateAvailable {
    /// The bundle's version name; `builtin` tells the device to go back to its shipped bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where to download the bundle zip. Android requires an http(s) URL even for manifest
    /// updates (Capgo then sends `https://404.capgo.app/no.zip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The `ivSessionKey`, or empty for a bundle that is not encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
    /// The checksum (signed, or plain SHA-256 hex), or `null`: `Some(None)` is `null`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::read::double_option"
    )]
    pub checksum: Option<Option<String>>,
    /// The files of a delta update. An entry has exactly the three fields of
    /// [`ManifestEntry`]; unknown fields inside an entry are not kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Vec<ManifestEntry>>,
    /// The bundle's link (plugin 5.35, 6.35, 7.35, 8.35 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The bundle's comment (same plugin versions as `link`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Marks a breaking update; devices fire their `breaking` events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaking: Option<bool>,
    /// Deprecated predecessor of `breaking`, still decoded by iOS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub major: Option<bool>,
    /// A message for the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateAvailable {
    /// An unencrypted update: `session_key` empty, `checksum` `null` until set.
    #[must_use]
    pub fn new(version: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            version: Some(version.into()),
            url: Some(url.into()),
            session_key: Some(String::new()),
            checksum: Some(None),
            ..Self::default()
        }
    }

    /// `session_key` as an [`IvSessionKey`]; `None` when absent or empty (not encrypted).
    ///
    /// # Errors
    /// [`WireError`] if it is not a valid `ivSessionKey`.
    pub fn iv_session_key(
        &self,
        limits: &otaseal_wire::Limits,
    ) -> Result<Option<IvSessionKey>, WireError> {
        match self.session_key.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => IvSessionKey::parse(s, limits).map(Some),
        }
    }

    /// `checksum` as a [`SignedChecksum`].
    ///
    /// # Errors
    /// [`WireError`] if it is absent, `null`, empty or not a signed checksum.
    pub fn signed_checksum(
        &self,
        limits: &otaseal_wire::Limits,
    ) -> Result<SignedChecksum, WireError> {
        SignedChecksum::parse(non_empty_checksum(self.checksum_str())?, limits)
    }

    /// `checksum` as a plain SHA-256 checksum (an unsigned bundle).
    ///
    /// # Errors
    /// [`WireError`] if it is absent, `null`, empty or not 64 lower-case hex characters.
    pub fn sha256_checksum(&self) -> Result<Sha256Checksum, WireError> {
        match self.checksum_str() {
            None | Some("") => Err(WireError::Empty {
                field: Field::Checksum,
            }),
            Some(s) => s.parse(),
        }
    }

    /// The checksum text, if it is a string.
    #[must_use]
    pub fn checksum_str(&self) -> Option<&str> {
        self.checksum.as_ref()?.as_deref()
    }

    /// Whether the response tells the device to go back to its builtin bundle.
    #[must_use]
    pub fn is_revert_to_builtin(&self) -> bool {
        self.version.as_deref() == Some("builtin")
    }

    /// Reads a body on its own: besides the fields, an `error` or `kind` key is wrong, since
    /// any such key makes a device read the body as no update.
    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let o = r.object(v)?;
        if o.contains_key("error") {
            r.wrong_type(
                "error",
                "absent in an update body (any error key makes it a failure)",
            );
        }
        if o.contains_key("kind") {
            r.wrong_type(
                "kind",
                "absent in an update body (any kind key makes it a no-update)",
            );
        }
        Some(Self::read_fields(r, o))
    }

    /// The fields of `spec/protocol.md` section 4.4 and the checksum rules of section 5.3.
    fn read_fields(r: &mut Reader<'_>, mut o: Map<String, Value>) -> Self {
        use Req::{Optional, Required};
        let version: Option<String> =
            r.take(&mut o, "version", Required, Rule::Value(VersionName::check));
        // A revert to the builtin bundle is handled by devices before they look at the URL,
        // and downloads nothing.
        let revert = version.as_deref() == Some("builtin");
        let req = if revert { Optional } else { Required };
        let url_rule = if revert {
            http_url_or_empty
        } else {
            HttpUrl::check
        };
        let url = r.take(&mut o, "url", req, Rule::Value(url_rule));
        let mut enc = Encryption::default();
        let session_key = r.take(
            &mut o,
            "session_key",
            req,
            Rule::Then(&mut |r, key| enc = Encryption::of(r, key)),
        );
        let checksum = r.take(
            &mut o,
            "checksum",
            req,
            Rule::Then(&mut |r, sum| check_checksum(r, "checksum", sum, enc)),
        );
        let manifest = r
            .take::<Vec<Value>>(&mut o, "manifest", Optional, Rule::Any)
            .and_then(|items| read_manifest(r, items, enc));
        Self {
            version,
            url,
            session_key,
            checksum,
            manifest,
            link: r.take(&mut o, "link", Optional, Rule::Any),
            comment: r.take(&mut o, "comment", Optional, Rule::Any),
            breaking: r.take(&mut o, "breaking", Optional, Rule::Any),
            major: r.take(&mut o, "major", Optional, Rule::Any),
            message: r.take(&mut o, "message", Optional, Rule::Any),
            extra: o,
        }
    }
}

/// The `url` of a revert to the builtin bundle: empty, or an http(s) URL.
fn http_url_or_empty(s: &str) -> Result<(), ValueError> {
    if s.is_empty() {
        Ok(())
    } else {
        HttpUrl::check(s)
    }
}

fn non_empty_checksum(s: Option<&str>) -> Result<&str, WireError> {
    match s {
        None | Some("") => Err(WireError::Empty {
            field: Field::SignedChecksum,
        }),
        Some(s) => Ok(s),
    }
}

/// What is known about the encryption of the bundle, for checking checksums.
#[derive(Clone, Copy, Debug, Default)]
struct Encryption {
    /// `session_key` is not empty.
    encrypted: bool,
    /// Length of the wrapped key block, when `session_key` parsed.
    key_block_len: Option<usize>,
}

impl Encryption {
    /// Reads a `session_key` (`spec/protocol.md` section 5.3 rule 1).
    fn of(r: &mut Reader<'_>, session_key: &str) -> Self {
        if session_key.is_empty() {
            return Self::default();
        }
        let key_block_len = match IvSessionKey::parse(session_key, r.limits) {
            Ok(k) => Some(k.wrapped_key().len()),
            Err(error) => {
                let field = r.path("session_key");
                r.push(ValidationError::Wire { field, error });
                None
            }
        };
        Self {
            encrypted: true,
            key_block_len,
        }
    }
}

/// The rules of `checksum` and `file_hash` (`spec/protocol.md` section 5.3); `null` is read as
/// the empty text.
fn check_checksum(r: &mut Reader<'_>, name: &str, s: &str, enc: Encryption) {
    let field = r.path(name);
    let error = if s.is_empty() {
        enc.encrypted
            .then_some(ValidationError::NotSigned { field })
    } else if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(ValidationError::LegacyChecksum { field })
    } else if s.len() == 64 {
        if enc.encrypted {
            Some(ValidationError::NotSigned { field })
        } else {
            s.parse::<Sha256Checksum>()
                .err()
                .map(|error| ValidationError::Wire { field, error })
        }
    } else {
        match SignedChecksum::parse(s, r.limits) {
            Err(error) => Some(ValidationError::Wire { field, error }),
            Ok(signed) => enc
                .key_block_len
                .filter(|&k| k != signed.block().len())
                .map(|session_key_len| ValidationError::KeyMismatch {
                    field,
                    session_key_len,
                    checksum_len: signed.block().len(),
                }),
        }
    };
    if let Some(e) = error {
        r.push(e);
    }
}

/// A delta manifest (`spec/protocol.md` section 5.4): at most `max_manifest_entries` entries,
/// counted before any entry is read (over the limit, lenient reading refuses it too), each
/// with a safe `file_name` that names a file no earlier entry names.
fn read_manifest(
    r: &mut Reader<'_>,
    items: Vec<Value>,
    enc: Encryption,
) -> Option<Vec<ManifestEntry>> {
    if r.limits
        .check(Limit::ManifestEntries, items.len() as u64)
        .is_err()
    {
        let field = r.path("manifest");
        r.push_fatal(ValidationError::TooMany {
            field,
            count: items.len(),
            max: r.limits.max_manifest_entries,
        });
        return None;
    }
    let mut names = NameSet::new();
    let entries = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| {
            r.nested(&format!("manifest[{i}]"), |r| {
                read_entry(r, item, enc, &mut names)
            })
        })
        .collect();
    Some(entries)
}

/// One manifest entry. It has exactly the three fields of [`ManifestEntry`], so an entry
/// without one of them cannot be read at all, and its unknown fields are not kept.
fn read_entry(
    r: &mut Reader<'_>,
    v: Value,
    enc: Encryption,
    names: &mut NameSet,
) -> Option<ManifestEntry> {
    use Req::{NonEmpty, Required};
    let mut o = r.object(v)?;
    let mark = r.mark();
    let file_name: Option<String> = r.take(
        &mut o,
        "file_name",
        NonEmpty,
        Rule::Then(&mut |r, name| check_file_name(r, name, names)),
    );
    let file_hash: Option<String> = r.take(
        &mut o,
        "file_hash",
        NonEmpty,
        Rule::Then(&mut |r, hash| check_checksum(r, "file_hash", hash, enc)),
    );
    let download_url: Option<String> = r.take(
        &mut o,
        "download_url",
        Required,
        Rule::Value(HttpUrl::check),
    );
    match (file_name, file_hash, download_url) {
        (Some(name), Some(hash), Some(url)) => Some(ManifestEntry::new(name, hash, url)),
        _ => {
            r.unreadable_since(mark);
            None
        }
    }
}

/// The name rules of `spec/v2.md` section 9.2, as `otaseal_wire::manifest` implements them for
/// the device side too: strict percent-decoding, a safe relative path, and no two entries for
/// one file (compared after NFC normalisation and case folding) or a file used as a folder.
fn check_file_name(r: &mut Reader<'_>, name: &str, names: &mut NameSet) {
    if name.is_empty() {
        return; // reported as non_empty
    }
    let field = r.path("file_name");
    let error = match EntryName::parse(name, r.limits) {
        Err(NameError::TooLong(_)) => Some(ValidationError::TooLong {
            field,
            len: name.len(),
            max: r.limits.max_path_len,
            unit: LengthUnit::Bytes,
        }),
        Err(error) => Some(ValidationError::UnsafePath { field, error }),
        Ok(entry) => names
            .insert(&entry)
            .err()
            .map(|error| ValidationError::DuplicateFileName { field, error }),
    };
    if let Some(e) = error {
        r.push(e);
    }
}

/// No update (`spec/protocol.md` section 4.5): `{"error", "message", ...extra, "kind"}`,
/// still HTTP 200. Extra fields (`version`, `old`, `major`, `deviceKeyId`, ...) are kept in
/// [`extra`](Self::extra), between `message` and `kind` as Capgo writes them.
///
/// ```
/// use otaseal_protocol::{NoUpdate, ResponseKind};
///
/// let n = NoUpdate::up_to_date();
/// assert_eq!(n.kind(), ResponseKind::UpToDate);
/// assert_eq!(
///     n.to_json().unwrap(),
///     "{\n  \"error\": \"no_new_version_available\",\n  \"message\": \"No new version available\",\n  \"kind\": \"up_to_date\"\n}\n"
/// );
/// let blocked = NoUpdate::new("disable_device", "Device is disabled");
/// assert_eq!(blocked.kind(), ResponseKind::Blocked);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NoUpdate {
    /// The error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Other fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The kind as sent: `Some(None)` is `null`. See [`kind`](Self::kind) for the kind a
    /// device acts on.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::read::double_option"
    )]
    pub kind: Option<Option<ResponseKind>>,
}

impl NoUpdate {
    /// A no-update body for `code`, with the `kind` Capgo sends for it
    /// ([`kind_for_error_code`]).
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        let code = code.into();
        let kind = kind_for_error_code(&code);
        Self {
            error: Some(code),
            message: Some(message.into()),
            extra: Map::new(),
            kind: Some(Some(kind)),
        }
    }

    /// `no_new_version_available` with `kind: up_to_date`: what a server sends to a device
    /// that runs the newest bundle.
    #[must_use]
    pub fn up_to_date() -> Self {
        Self::new(NO_NEW_VERSION_AVAILABLE, "No new version available")
    }

    /// The kind a current plugin acts on ([`ResponseKind::normalize`]).
    #[must_use]
    pub fn kind(&self) -> ResponseKind {
        let sent = self.kind.as_ref().and_then(Option::as_ref);
        ResponseKind::normalize(sent.map(ResponseKind::as_str))
    }

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        r.object(v).map(|o| Self::read_fields(r, o))
    }

    /// The fields of `spec/protocol.md` section 4.5.
    fn read_fields(r: &mut Reader<'_>, mut o: Map<String, Value>) -> Self {
        use Req::{NonEmpty, Optional, Required};
        let error: Option<String> = r.take(&mut o, "error", NonEmpty, Rule::Any);
        let message = r.take(&mut o, "message", Required, Rule::Any);
        // Extra fields Capgo sends with some codes: checked for their type, kept in `extra`.
        r.peek::<String>(&o, "version", Optional, Rule::Any);
        r.peek::<String>(&o, "old", Optional, Rule::Any);
        r.peek::<bool>(&o, "major", Optional, Rule::Any);
        r.peek::<bool>(&o, "breaking", Optional, Rule::Any);
        let code = error
            .as_deref()
            .filter(|c| !c.is_empty() && c.len() <= r.limits.max_field_len);
        let kind = read_kind(r, o.shift_remove("kind"), code, true);
        Self {
            error,
            message,
            extra: o,
            kind,
        }
    }
}

/// A `kind`: one of the known kinds, and the one Capgo sends with `code`; `null` reads as
/// `Some(None)`. A `kind` that is `required` may not be absent or `null`.
fn read_kind(
    r: &mut Reader<'_>,
    v: Option<Value>,
    code: Option<&str>,
    required: bool,
) -> Option<Option<ResponseKind>> {
    let field = r.path("kind");
    let s = match v {
        None | Some(Value::Null) => {
            if required {
                r.push(ValidationError::Missing { field });
            }
            return v.map(|_| None);
        }
        Some(Value::String(s)) => s,
        Some(_) => {
            r.wrong_type("kind", "a string");
            return None;
        }
    };
    let expected = code.map(kind_for_error_code);
    if !ResponseKind::KNOWN.contains(&s.as_str()) {
        r.push(ValidationError::NotOneOf {
            field,
            value: s.clone(),
            allowed: ResponseKind::KNOWN,
        });
    } else if let (Some(code), Some(expected)) = (code, expected)
        && expected.as_str() != s
    {
        let expected = ResponseKind::KNOWN
            .iter()
            .copied()
            .find(|k| *k == expected.as_str())
            .unwrap_or("failed");
        r.push(ValidationError::KindMismatch {
            field,
            code: code.to_owned(),
            expected,
            found: s.clone(),
        });
    }
    Some(Some(ResponseKind::from(s)))
}

/// HTTP 429 (`spec/protocol.md` section 4.6): `{"error": "too_many_requests", "message", ...}`.
/// otaseal sends `retryAfterSeconds` and `rateLimitResetAt` at the top level; Capgo's backend
/// nests what it knows in `moreInfo`. The accessors read both.
///
/// ```
/// use otaseal_protocol::RateLimited;
///
/// let r = RateLimited::new(Some(60), Some(1_767_225_660_000));
/// assert_eq!(r.retry_after_seconds(), Some(60));
/// assert!(r.to_json().unwrap().contains("\"retryAfterSeconds\": 60"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RateLimited {
    /// `too_many_requests`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Seconds until the device may ask again (also in the `Retry-After` header).
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// When the limit resets, in milliseconds since 1970 (also in `X-RateLimit-Reset`).
    #[serde(rename = "rateLimitResetAt", skip_serializing_if = "Option::is_none")]
    pub rate_limit_reset_at: Option<u64>,
    /// Other fields, such as `moreInfo`, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RateLimited {
    /// A 429 body with Capgo's code and message.
    #[must_use]
    pub fn new(retry_after_seconds: Option<u64>, rate_limit_reset_at: Option<u64>) -> Self {
        Self {
            error: Some(TOO_MANY_REQUESTS.into()),
            message: Some("Too many requests".into()),
            retry_after_seconds,
            rate_limit_reset_at,
            extra: Map::new(),
        }
    }

    fn more_info_u64(&self, key: &str) -> Option<u64> {
        self.extra.get("moreInfo")?.get(key)?.as_u64()
    }

    /// `retryAfterSeconds`, from the top level or else from `moreInfo`.
    #[must_use]
    pub fn retry_after_seconds(&self) -> Option<u64> {
        self.retry_after_seconds
            .or_else(|| self.more_info_u64("retryAfterSeconds"))
    }

    /// `rateLimitResetAt`, from the top level or else from `moreInfo`.
    #[must_use]
    pub fn rate_limit_reset_at(&self) -> Option<u64> {
        self.rate_limit_reset_at
            .or_else(|| self.more_info_u64("rateLimitResetAt"))
    }

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        r.object(v).map(|o| Self::read_fields(r, o))
    }

    /// The fields of `spec/protocol.md` section 4.6; `moreInfo` and `kind` stay in `extra`.
    fn read_fields(r: &mut Reader<'_>, mut o: Map<String, Value>) -> Self {
        use Req::{Optional, Required};
        let error = r.take(&mut o, "error", Required, Rule::OneOf(&[TOO_MANY_REQUESTS]));
        let message = r.take(&mut o, "message", Required, Rule::Any);
        let retry_after_seconds = r.take(&mut o, "retryAfterSeconds", Optional, Rule::Any);
        let rate_limit_reset_at = r.take(&mut o, "rateLimitResetAt", Optional, Rule::Any);
        r.peek::<Map<String, Value>>(&o, "moreInfo", Optional, Rule::Any);
        read_kind(r, o.get("kind").cloned(), Some(TOO_MANY_REQUESTS), false);
        Self {
            error,
            message,
            retry_after_seconds,
            rate_limit_reset_at,
            extra: o,
        }
    }
}

/// How a current Android plugin reads an update response body ([`classify_update_response`]).
///
/// ```
/// use otaseal_protocol::{Classification, NoUpdate, ResponseKind, UpdateResponse};
///
/// let r = UpdateResponse::NoUpdate(NoUpdate::up_to_date());
/// assert_eq!(r.classification(), Classification::NoUpdate(ResponseKind::UpToDate));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// The body offers an update (it still needs a valid `url` to be installed).
    UpdateAvailable,
    /// No update, with the kind the device acts on.
    NoUpdate(ResponseKind),
}

/// Classifies an update response body as current Android plugins do (`makeJsonRequest`,
/// `normalizedUpdateResponseKind`): any object with an `error` **or** a `kind` key is not an
/// update, and its kind is normalized ([`ResponseKind::normalize`]); a body that is not a JSON
/// object is a failure; any other object offers an update.
///
/// ```
/// use otaseal_protocol::{Classification, ResponseKind, classify_update_response};
/// use serde_json::json;
///
/// let c = |v| classify_update_response(&v);
/// assert_eq!(c(json!({"version": "1.0.1", "url": "https://x/b.zip"})), Classification::UpdateAvailable);
/// assert_eq!(c(json!({"kind": "up_to_date"})), Classification::NoUpdate(ResponseKind::UpToDate));
/// // The self-hosting docs' minimal form: an error without a kind is a failure.
/// assert_eq!(
///     c(json!({"error": "no_new_version_available", "message": "No new version available"})),
///     Classification::NoUpdate(ResponseKind::Failed),
/// );
/// // Even an empty error key makes a success body a failure.
/// assert_eq!(c(json!({"version": "1.0.1", "url": "https://x/b.zip", "error": ""})), Classification::NoUpdate(ResponseKind::Failed));
/// ```
#[must_use]
pub fn classify_update_response(body: &Value) -> Classification {
    let Value::Object(o) = body else {
        return Classification::NoUpdate(ResponseKind::Failed);
    };
    if o.contains_key("error") || o.contains_key("kind") {
        Classification::NoUpdate(ResponseKind::normalize(
            o.get("kind").and_then(Value::as_str),
        ))
    } else {
        Classification::UpdateAvailable
    }
}

/// A response to `POST {updateUrl}`.
///
/// Reading picks the variant as a device does ([`classify_update_response`]): an object
/// whose `error` is `too_many_requests` is [`RateLimited`](Self::RateLimited), any other
/// object with an `error` or `kind` key is [`NoUpdate`](Self::NoUpdate), and the rest is
/// [`Available`](Self::Available).
///
/// ```
/// use otaseal_protocol::{Classification, Limits, ResponseKind, UpdateResponse};
///
/// let body = br#"{"error":"no_channel","message":"no default channel or override","kind":"failed"}"#;
/// let r = UpdateResponse::parse(body, &Limits::default())?;
/// assert_eq!(r.classification(), Classification::NoUpdate(ResponseKind::Failed));
///
/// // Capgo's kind for no_new_version_available is up_to_date; anything else is rejected.
/// let wrong = br#"{"error":"no_new_version_available","message":"x","kind":"failed"}"#;
/// let e = UpdateResponse::parse(wrong, &Limits::default()).unwrap_err();
/// assert_eq!((e.first().field(), e.first().rule()), ("kind", "kind_matches_error"));
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum UpdateResponse {
    /// An update is available.
    Available(UpdateAvailable),
    /// No update, or an error, with a `kind`.
    NoUpdate(NoUpdate),
    /// HTTP 429.
    RateLimited(RateLimited),
}

fn is_rate_limited(o: &Map<String, Value>) -> bool {
    o.get("error").and_then(Value::as_str) == Some(TOO_MANY_REQUESTS)
}

impl UpdateResponse {
    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let o = r.object(v)?;
        Some(if is_rate_limited(&o) {
            UpdateResponse::RateLimited(RateLimited::read_fields(r, o))
        } else if o.contains_key("error") || o.contains_key("kind") {
            UpdateResponse::NoUpdate(NoUpdate::read_fields(r, o))
        } else {
            UpdateResponse::Available(UpdateAvailable::read_fields(r, o))
        })
    }

    /// How a current Android plugin reads this response.
    #[must_use]
    pub fn classification(&self) -> Classification {
        match self {
            UpdateResponse::Available(_) => Classification::UpdateAvailable,
            UpdateResponse::NoUpdate(n) => Classification::NoUpdate(n.kind()),
            UpdateResponse::RateLimited(r) => {
                let kind = r.extra.get("kind").and_then(Value::as_str);
                Classification::NoUpdate(ResponseKind::normalize(kind))
            }
        }
    }

    /// Whether a device fires its `breaking` events for this response: `breaking: true`, the
    /// error `disable_auto_update_to_major`, or the message `store_update_required`.
    #[must_use]
    pub fn is_breaking(&self) -> bool {
        let (breaking, error, message, extra) = match self {
            UpdateResponse::Available(u) => (u.breaking, None, u.message.as_deref(), &u.extra),
            UpdateResponse::NoUpdate(n) => {
                (None, n.error.as_deref(), n.message.as_deref(), &n.extra)
            }
            UpdateResponse::RateLimited(r) => {
                (None, r.error.as_deref(), r.message.as_deref(), &r.extra)
            }
        };
        let breaking = breaking.or_else(|| extra.get("breaking").and_then(Value::as_bool));
        breaking == Some(true)
            || error == Some(DISABLE_AUTO_UPDATE_TO_MAJOR)
            || message == Some(STORE_UPDATE_REQUIRED)
    }
}

message_methods!(
    ErrorResponse: "an error body",
    UpdateAvailable: "an update-available body",
    NoUpdate: "a no-update body",
    RateLimited: "a rate-limit body",
    UpdateResponse: "an update response",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::field_rules;
    use otaseal_wire::Limits;
    use serde_json::json;

    const SK: &str = "djQ2ny8G/eH4ece6y3EsRw==:XQw6FBM8qpOxyf0F7wHkIjDcGw/MsqbL88JdIZQ7f2B0qUHXiK4XIYVOPGDs7F7/KJf/Gt/5fGnsuhVTudUluc4pNbnZNrpSRCbXi6hK6xyxhlmuwLm5TVBMFu/FxZs7brCrzKQSjcYgpgSnZbyZvEsPpub/W0v10jXGAUBrGpnDBuT7/msbSiFGZPELl+3gK/IJeY0bFDgc/2uQQ2mrwpWMsiFtK9KUAteRpWpKZOF58cMhXYz9HMeozDTAHwEnabS/3hgIy/FdpSJPMuGbkk62SC5MBsV7SJvYpVfdlESOx6dxrq+VVQHullrQT2gCQ2FmS/uv3MFwEYlCY4Kuwg==";
    const SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn signed(block_len: usize) -> String {
        "ab".repeat(block_len)
    }

    fn update() -> Value {
        json!({
            "version": "1.0.1",
            "url": "https://cdn.example.com/b.zip",
            "session_key": SK,
            "checksum": signed(256),
        })
    }

    fn rules(v: &Value) -> Vec<String> {
        let bytes = serde_json::to_vec(v).unwrap();
        field_rules(UpdateResponse::parse(&bytes, &Limits::DEFAULT))
    }

    #[test]
    fn update_rules() {
        assert!(rules(&update()).is_empty());
        let mut u = update();
        u["checksum"] = json!(SHA);
        assert_eq!(rules(&u), ["checksum signed_checksum"]);
        u["checksum"] = Value::Null;
        assert_eq!(rules(&u), ["checksum signed_checksum"]);
        u["checksum"] = json!(signed(384));
        assert_eq!(rules(&u), ["checksum same_key"]);
        u["checksum"] = json!("f7df1b24");
        assert_eq!(rules(&u), ["checksum sha256_checksum"]);
        u["checksum"] = json!(signed(255));
        assert_eq!(rules(&u), ["checksum wire_format"]);
        let mut u = update();
        u["session_key"] = json!("");
        u["checksum"] = json!(SHA);
        assert!(rules(&u).is_empty(), "unencrypted, plain checksum");
        u["checksum"] = Value::Null;
        assert!(rules(&u).is_empty(), "unencrypted, no checksum");
        u["checksum"] = json!(SHA.to_uppercase());
        assert_eq!(rules(&u), ["checksum wire_format"]);
        let mut u = update();
        u["session_key"] = json!("nope");
        assert_eq!(rules(&u), ["session_key wire_format"]);
        u["url"] = json!("ftp://x/y");
        u["version"] = json!("");
        assert_eq!(
            rules(&u),
            [
                "version non_empty",
                "url http_url",
                "session_key wire_format"
            ]
        );
        let u = json!({"version": "1"});
        assert_eq!(
            rules(&u),
            ["url required", "session_key required", "checksum required"]
        );
        let mut u = update();
        u["checksum"] = json!(5);
        assert_eq!(rules(&u), ["checksum type"]);
    }

    #[test]
    fn revert_to_builtin_needs_no_download() {
        assert!(rules(&json!({"version": "builtin"})).is_empty());
        assert!(
            rules(&json!({"version": "builtin", "url": "", "session_key": "", "checksum": null}))
                .is_empty()
        );
        assert_eq!(
            rules(&json!({"version": "builtin", "url": "x"})),
            ["url http_url"]
        );
        assert_eq!(
            rules(&json!({"version": "1.0.0"})),
            ["url required", "session_key required", "checksum required"]
        );
    }

    #[test]
    fn manifest_rules() {
        let entry = |name: &str, hash: String| json!({"file_name": name, "file_hash": hash, "download_url": "https://cdn/x"});
        let mut u = update();
        u["manifest"] = json!([
            entry("index.html", signed(256)),
            entry("a/../b", signed(256)),
            entry("index.html", signed(256)),
            entry("c.js", SHA.into()),
            {"file_name": "d.js", "file_hash": signed(256), "download_url": "/rel"},
            7,
        ]);
        assert_eq!(
            rules(&u),
            [
                "manifest[1].file_name manifest_path",
                "manifest[2].file_name unique_file_name",
                "manifest[3].file_hash signed_checksum",
                "manifest[4].download_url http_url",
                "manifest[5] type",
            ]
        );
        let mut l = Limits::DEFAULT;
        l.max_manifest_entries = 1;
        let mut u = update();
        u["manifest"] = json!([entry("a", signed(256)), entry("b", signed(256))]);
        let e = UpdateResponse::parse(&serde_json::to_vec(&u).unwrap(), &l).unwrap_err();
        assert_eq!(e.first().rule(), "max_entries");
        l.max_path_len = 3;
        l.max_manifest_entries = 10;
        u["manifest"] = json!([entry("abcd", signed(256))]);
        let e = UpdateResponse::parse(&serde_json::to_vec(&u).unwrap(), &l).unwrap_err();
        assert_eq!(e.first().field(), "manifest[0].file_name");
        assert_eq!(e.first().rule(), "max_length");
    }

    #[test]
    fn no_update_rules() {
        assert!(
            rules(&json!({"error": "no_channel", "message": "m", "kind": "failed"})).is_empty()
        );
        assert_eq!(
            rules(&json!({"error": "no_new_version_available", "message": "m"})),
            ["kind required"]
        );
        assert_eq!(
            rules(&json!({"error": "no_new_version_available", "message": "m", "kind": null})),
            ["kind required"]
        );
        assert_eq!(
            rules(&json!({"error": "x", "message": "m", "kind": "update_available"})),
            ["kind one_of"]
        );
        assert_eq!(
            rules(&json!({"error": "disable_device", "message": "m", "kind": "failed"})),
            ["kind kind_matches_error"]
        );
        assert_eq!(
            rules(&json!({"kind": "up_to_date"})),
            ["error required", "message required"]
        );
        assert_eq!(
            rules(
                &json!({"version": "1", "url": "https://x/y", "session_key": "", "checksum": null, "error": ""})
            ),
            ["error non_empty", "message required", "kind required"]
        );
        assert_eq!(
            rules(&json!({"error": "x", "message": "m", "kind": "failed", "major": "yes"})),
            ["major type"]
        );
    }

    #[test]
    fn rate_limit_rules() {
        assert!(
            rules(&json!({"error": "too_many_requests", "message": "Too many requests"}))
                .is_empty()
        );
        assert_eq!(
            rules(
                &json!({"error": "too_many_requests", "message": "m", "retryAfterSeconds": -1, "kind": "blocked"})
            ),
            ["retryAfterSeconds type", "kind kind_matches_error"]
        );
    }

    #[test]
    fn null_kind_reads_leniently_and_round_trips() {
        let body = br#"{"error":"x","message":"m","kind":null}"#;
        let r = UpdateResponse::from_json(body, &Limits::DEFAULT).unwrap();
        let UpdateResponse::NoUpdate(n) = &r else {
            panic!("no update")
        };
        assert_eq!(n.kind, Some(None));
        assert_eq!(n.kind(), ResponseKind::Failed);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            std::str::from_utf8(body).unwrap()
        );
    }

    #[test]
    fn accessors() {
        let l = Limits::DEFAULT;
        let r = UpdateResponse::parse(&serde_json::to_vec(&update()).unwrap(), &l).unwrap();
        let UpdateResponse::Available(u) = &r else {
            panic!("available")
        };
        assert_eq!(u.iv_session_key(&l).unwrap().unwrap().to_string(), SK);
        assert_eq!(u.signed_checksum(&l).unwrap().block().len(), 256);
        assert!(u.sha256_checksum().is_err());
        assert!(!u.is_revert_to_builtin());
        let mut plain = u.clone();
        plain.checksum = Some(Some(SHA.into()));
        plain.session_key = Some("bad".into());
        assert_eq!(plain.sha256_checksum().unwrap().to_hex(), SHA);
        assert!(plain.iv_session_key(&l).is_err());
        plain.checksum = Some(None);
        assert_eq!(
            plain.signed_checksum(&l),
            Err(WireError::Empty {
                field: Field::SignedChecksum
            })
        );
        let m = ManifestEntry::new("a", signed(256), "https://x/a");
        assert_eq!(
            SignedChecksum::parse(&m.file_hash, &l)
                .unwrap()
                .block()
                .len(),
            256
        );
        assert!(SignedChecksum::parse(&ManifestEntry::default().file_hash, &l).is_err());
    }

    #[test]
    fn breaking_detection() {
        let l = Limits::DEFAULT;
        let p = |v: Value| UpdateResponse::from_json(&serde_json::to_vec(&v).unwrap(), &l).unwrap();
        let mut u = update();
        assert!(!p(u.clone()).is_breaking());
        u["breaking"] = json!(true);
        assert!(p(u).is_breaking());
        assert!(
            p(json!({"error": DISABLE_AUTO_UPDATE_TO_MAJOR, "message": "m", "kind": "blocked"}))
                .is_breaking()
        );
        assert!(
            p(json!({"error": "x", "message": STORE_UPDATE_REQUIRED, "kind": "blocked"}))
                .is_breaking()
        );
        assert!(!p(json!({"error": "x", "message": "m", "kind": "blocked"})).is_breaking());
    }

    #[test]
    fn standalone_update_body_rejects_error_and_kind_keys() {
        let mut u = update();
        u["kind"] = json!("up_to_date");
        let e =
            UpdateAvailable::parse(&serde_json::to_vec(&u).unwrap(), &Limits::DEFAULT).unwrap_err();
        assert_eq!(e.first().field(), "kind");
    }

    #[test]
    fn kinds_for_every_capgo_code() {
        for code in ["no_new_version_available", "already_on_builtin"] {
            assert_eq!(kind_for_error_code(code), ResponseKind::UpToDate);
        }
        for code in [
            "disabled_platform_ios",
            "disabled_platform_android",
            "disabled_platform_electron",
            "disable_auto_update_to_major",
            "disable_auto_update_to_minor",
            "disable_auto_update_to_patch",
            "disable_auto_update_to_metadata",
            "disable_auto_update_under_native",
            "cannot_update_via_private_channel",
            "disable_prod_build",
            "disable_dev_build",
            "disable_device",
            "disable_emulator",
            "key_id_mismatch",
            "provider_infrastructure_request_blocked",
        ] {
            assert_eq!(kind_for_error_code(code), ResponseKind::Blocked, "{code}");
        }
        for code in [
            "unknown_version_build",
            "semver_error",
            "unsupported_plugin_version",
            "missing_info",
            "no_channel",
            "null_channel_data",
            "no_bundle",
            "misconfigured_channel",
            "revert_to_builtin_plugin_version_too_old",
            "no_bundle_url",
            "no_url_or_manifest",
            TOO_MANY_REQUESTS,
        ] {
            assert_eq!(kind_for_error_code(code), ResponseKind::Failed, "{code}");
        }
    }
}
