//! `POST {statsUrl}`: one event or a batch, and the responses.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::check::{Checker, Req};
use crate::device::{DeviceInfo, Profile, check_info};
use crate::error::{LengthUnit, ValidationError};
use crate::grammar::js_len;
use crate::message::message_methods;
use crate::response::{ErrorResponse, check_error_response};

/// Most keys a stats `metadata` object may have (Capgo's `MAX_STATS_METADATA_FIELDS`).
pub const MAX_METADATA_KEYS: usize = 30;
/// Longest `metadata` key, in UTF-16 code units.
pub const MAX_METADATA_KEY_LEN: usize = 64;
/// Longest `metadata` value, in UTF-16 code units.
pub const MAX_METADATA_VALUE_LEN: usize = 2048;

/// An action that Capgo's backend does not accept (yet). It is kept verbatim so that it
/// round-trips; [`StatsAction::parse`] is the only way to make one, so a known action is never
/// wrapped in it.
///
/// ```
/// use otaseal_protocol::StatsAction;
///
/// let StatsAction::Unknown(u) = StatsAction::parse("warp_drive") else { unreachable!() };
/// assert_eq!(u.as_str(), "warp_drive");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownAction(String);

impl UnknownAction {
    /// The action text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! stats_actions {
    ($($variant:ident => $s:literal,)*) => {
        /// A stats `action`: an open enum. The known variants are exactly the actions Capgo's
        /// backend accepts (`stats_actions.ts`); any other string reads as
        /// [`Unknown`](StatsAction::Unknown) and is written back unchanged.
        ///
        /// ```
        /// use otaseal_protocol::StatsAction;
        ///
        /// assert_eq!(StatsAction::parse("download_complete"), StatsAction::DownloadComplete);
        /// assert_eq!(StatsAction::parse("needPlanUpgrade").as_str(), "needPlanUpgrade");
        /// let future = StatsAction::parse("app_teleported");
        /// assert!(!future.is_known());
        /// assert_eq!(future.as_str(), "app_teleported");
        /// assert_eq!(serde_json::to_string(&future).unwrap(), "\"app_teleported\"");
        /// ```
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum StatsAction {
            $(
                #[doc = concat!("`", $s, "`")]
                $variant,
            )*
            /// An action the backend does not accept.
            Unknown(UnknownAction),
        }

        impl StatsAction {
            /// Every action the backend accepts, in its order.
            pub const KNOWN: &'static [&'static str] = &[$($s),*];

            /// Reads an action; unknown strings become [`Unknown`](Self::Unknown).
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $($s => StatsAction::$variant,)*
                    other => StatsAction::Unknown(UnknownAction(other.to_owned())),
                }
            }

            /// The wire text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(StatsAction::$variant => $s,)*
                    StatsAction::Unknown(u) => u.as_str(),
                }
            }
        }
    };
}

stats_actions! {
    Ping => "ping",
    Delete => "delete",
    Reset => "reset",
    Set => "set",
    Get => "get",
    SetFail => "set_fail",
    UpdateFail => "update_fail",
    DownloadFail => "download_fail",
    WindowsPathFail => "windows_path_fail",
    CanonicalPathFail => "canonical_path_fail",
    DirectoryPathFail => "directory_path_fail",
    UnzipFail => "unzip_fail",
    LowMemFail => "low_mem_fail",
    Download0 => "download_0",
    Download10 => "download_10",
    Download20 => "download_20",
    Download30 => "download_30",
    Download40 => "download_40",
    Download50 => "download_50",
    Download60 => "download_60",
    Download70 => "download_70",
    Download80 => "download_80",
    Download90 => "download_90",
    DownloadComplete => "download_complete",
    DownloadManifestStart => "download_manifest_start",
    DownloadManifestComplete => "download_manifest_complete",
    DownloadZipStart => "download_zip_start",
    DownloadZipComplete => "download_zip_complete",
    DownloadManifestFileFail => "download_manifest_file_fail",
    DownloadManifestChecksumFail => "download_manifest_checksum_fail",
    DownloadManifestBrotliFail => "download_manifest_brotli_fail",
    FinishDownloadFail => "finish_download_fail",
    ManifestPathFail => "manifest_path_fail",
    DecryptFail => "decrypt_fail",
    ChecksumRequired => "checksum_required",
    InsufficientDiskSpace => "insufficient_disk_space",
    AppMovedToForeground => "app_moved_to_foreground",
    AppMovedToBackground => "app_moved_to_background",
    AppLaunchStart => "app_launch_start",
    AppLaunchReady => "app_launch_ready",
    AppLaunchTimeout => "app_launch_timeout",
    Uninstall => "uninstall",
    NeedPlanUpgrade => "needPlanUpgrade",
    MissingBundle => "missingBundle",
    NoNew => "noNew",
    DisablePlatformIos => "disablePlatformIos",
    DisablePlatformAndroid => "disablePlatformAndroid",
    DisableAutoUpdateToMajor => "disableAutoUpdateToMajor",
    CannotUpdateViaPrivateChannel => "cannotUpdateViaPrivateChannel",
    DisableAutoUpdateToMinor => "disableAutoUpdateToMinor",
    DisableAutoUpdateToPatch => "disableAutoUpdateToPatch",
    ChannelMisconfigured => "channelMisconfigured",
    DisableAutoUpdateMetadata => "disableAutoUpdateMetadata",
    DisableAutoUpdateUnderNative => "disableAutoUpdateUnderNative",
    DisableDevBuild => "disableDevBuild",
    DisableProdBuild => "disableProdBuild",
    DisableEmulator => "disableEmulator",
    DisableDevice => "disableDevice",
    CannotGetBundle => "cannotGetBundle",
    ChecksumFail => "checksum_fail",
    NoChannelOrOverride => "NoChannelOrOverride",
    SetChannel => "setChannel",
    GetChannel => "getChannel",
    RateLimited => "rateLimited",
    RateLimitReached => "rate_limit_reached",
    DisableAutoUpdate => "disableAutoUpdate",
    KeyMismatch => "keyMismatch",
    InvalidIp => "InvalidIp",
    BlockedByServerUrl => "blocked_by_server_url",
    BackendRefusal => "backend_refusal",
    DisablePlatformElectron => "disablePlatformElectron",
    CustomIdBlocked => "customIdBlocked",
    AppCrash => "app_crash",
    AppCrashNative => "app_crash_native",
    AppAnr => "app_anr",
    AppKilledLowMemory => "app_killed_low_memory",
    AppKilledExcessiveResourceUsage => "app_killed_excessive_resource_usage",
    AppInitializationFailure => "app_initialization_failure",
    AppMemoryWarning => "app_memory_warning",
    WebviewJavascriptError => "webview_javascript_error",
    WebviewUnhandledRejection => "webview_unhandled_rejection",
    WebviewResourceError => "webview_resource_error",
    WebviewSecurityPolicyViolation => "webview_security_policy_violation",
    WebviewUncleanRestart => "webview_unclean_restart",
    WebviewRenderProcessGone => "webview_render_process_gone",
    WebviewContentProcessTerminated => "webview_content_process_terminated",
    WebviewDomContentLoaded => "webview_dom_content_loaded",
    WebviewPageLoaded => "webview_page_loaded",
    SetNext => "set_next",
    OsVersionChanged => "os_version_changed",
    NativeAppVersionChanged => "native_app_version_changed",
}

impl StatsAction {
    /// Whether Capgo's backend accepts this action.
    #[must_use]
    pub fn is_known(&self) -> bool {
        !matches!(self, StatsAction::Unknown(_))
    }
}

impl fmt::Display for StatsAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for StatsAction {
    fn from(s: &str) -> Self {
        StatsAction::parse(s)
    }
}

impl Serialize for StatsAction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StatsAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(StatsAction::parse(&s))
    }
}

/// One stats event (`spec/protocol.md` section 4.2): the info object plus `old_version_name`,
/// `action`, `timestamp` (milliseconds since 1970) and optional string `metadata`.
///
/// ```
/// use otaseal_protocol::{DeviceInfo, Limits, Platform, StatsAction, StatsBody, StatsEvent};
///
/// let info = DeviceInfo::new(
///     Platform::Ios, "com.example.app", "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
///     "1.0.1", "1.0", "8.51.14",
/// );
/// let mut event = StatsEvent::new(info, StatsAction::Set);
/// event.info.version_os = Some("18.2".into());
/// event.timestamp = Some(1_767_225_600_000);
/// let body = StatsBody::Batch(vec![event]);
/// body.validate(&Limits::default())?;
/// assert!(body.to_json().unwrap().starts_with("[\n  {\n    \"platform\": \"ios\""));
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatsEvent {
    /// The device info object.
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// The bundle version before the event (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_version_name: Option<String>,
    /// What happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<StatsAction>,
    /// The channel, when the event concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// When it happened, in milliseconds since 1970-01-01 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Free string key/value pairs, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StatsEvent {
    /// An event for `info`.
    #[must_use]
    pub fn new(info: DeviceInfo, action: StatsAction) -> Self {
        Self {
            info,
            action: Some(action),
            ..Self::default()
        }
    }
}

fn check_event(c: &mut Checker<'_>, v: &Value) {
    let Some(o) = c.object(v) else { return };
    check_info(c, o, Profile::Stats);
    c.string(o, "old_version_name", Req::Optional);
    if let Some(s) = c.string(o, "action", Req::Optional)
        && !StatsAction::parse(s).is_known()
    {
        let field = c.path("action");
        c.push(ValidationError::UnknownAction {
            field,
            value: s.to_owned(),
        });
    }
    c.string(o, "channel", Req::Optional);
    c.uint(o, "timestamp", Req::Optional);
    if let Some(m) = c.object_field(o, "metadata", Req::Optional) {
        check_metadata(c, m);
    }
}

fn check_metadata(c: &mut Checker<'_>, m: &Map<String, Value>) {
    if m.len() > MAX_METADATA_KEYS {
        let field = c.path("metadata");
        c.push(ValidationError::TooMany {
            field,
            count: m.len(),
            max: MAX_METADATA_KEYS,
        });
    }
    c.nested("metadata", |c| {
        for (k, v) in m {
            let len = js_len(k);
            if len > MAX_METADATA_KEY_LEN {
                let field = c.path(k);
                c.push(ValidationError::TooLong {
                    field,
                    len,
                    max: MAX_METADATA_KEY_LEN,
                    unit: LengthUnit::Utf16,
                });
            }
            match v {
                Value::String(s) => {
                    c.max_js_len(k, s, MAX_METADATA_VALUE_LEN);
                }
                _ => c.wrong_type(k, "a string"),
            }
        }
    });
}

/// The body of `POST {statsUrl}`: one event (Android's download worker) or a JSON array of
/// events (the batches of current plugins). All events of a batch must share one `app_id`;
/// an empty batch is valid.
///
/// ```
/// use otaseal_protocol::{Limits, StatsBody};
///
/// let batch = StatsBody::parse(b"[]", &Limits::default())?;
/// assert!(batch.events().is_empty());
/// assert!(StatsBody::parse(b"7", &Limits::default()).is_err());
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum StatsBody {
    /// A single event object (boxed: an event is much larger than a vector).
    Single(Box<StatsEvent>),
    /// A JSON array of events.
    Batch(Vec<StatsEvent>),
}

impl StatsBody {
    /// The events, one for a single body.
    #[must_use]
    pub fn events(&self) -> &[StatsEvent] {
        match self {
            StatsBody::Single(e) => std::slice::from_ref(&**e),
            StatsBody::Batch(v) => v,
        }
    }
}

fn check_stats_body(c: &mut Checker<'_>, v: &Value) {
    match v {
        Value::Object(_) => check_event(c, v),
        Value::Array(events) => {
            let first_app = events
                .first()
                .and_then(|e| e.get("app_id"))
                .and_then(Value::as_str);
            for (i, e) in events.iter().enumerate() {
                c.nested(&format!("[{i}]"), |c| {
                    check_event(c, e);
                    let app = e.get("app_id").and_then(Value::as_str);
                    if let (Some(first), Some(app)) = (first_app, app)
                        && first != app
                    {
                        let field = c.path("app_id");
                        c.push(ValidationError::MixedAppIds { field });
                    }
                });
            }
        }
        _ => {
            let field = c.here();
            c.push(ValidationError::WrongType {
                field,
                expected: "an object or an array of objects",
            });
        }
    }
}

message_methods!(StatsBody, check_stats_body, "a stats body");

/// One entry of a batch response's `results`.
///
/// ```
/// use otaseal_protocol::StatsResult;
///
/// let r = StatsResult::ok(3);
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"status":"ok","index":3}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatsResult {
    /// `ok` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Index of the event in the batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Error code, when `status` is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown fields (`moreInfo`), in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StatsResult {
    /// A successful result for event `index`.
    #[must_use]
    pub fn ok(index: u64) -> Self {
        Self {
            status: Some("ok".into()),
            index: Some(index),
            ..Self::default()
        }
    }
}

/// A successful stats response: `{"status": "ok"}` for a single event,
/// `{"status": "ok", "results": [...]}` for a batch.
///
/// ```
/// use otaseal_protocol::{StatsOk, StatsResponse};
///
/// let StatsResponse::Ok(ok) = StatsResponse::ok() else { unreachable!() };
/// assert_eq!(ok.status.as_deref(), Some("ok"));
/// assert_eq!(ok.results, None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatsOk {
    /// Always `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// One result per event of a batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<StatsResult>>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The response to `POST {statsUrl}`: success, or an error body (any object with an `error`
/// key, such as `on_premise_app` or `mixed_app_ids`).
///
/// ```
/// use otaseal_protocol::{Limits, StatsOk, StatsResponse, StatsResult};
///
/// let r = StatsResponse::batch(vec![StatsResult::ok(0), StatsResult::ok(1)]);
/// r.validate(&Limits::default())?;
/// let single = StatsResponse::parse(br#"{"status":"ok"}"#, &Limits::default())?;
/// assert_eq!(single, StatsResponse::ok());
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum StatsResponse {
    /// `status: ok`.
    Ok(StatsOk),
    /// An error body.
    Error(ErrorResponse),
}

impl StatsResponse {
    /// `{"status": "ok"}`.
    #[must_use]
    pub fn ok() -> Self {
        StatsResponse::Ok(StatsOk {
            status: Some("ok".into()),
            ..StatsOk::default()
        })
    }

    /// `{"status": "ok", "results": [...]}`.
    #[must_use]
    pub fn batch(results: Vec<StatsResult>) -> Self {
        StatsResponse::Ok(StatsOk {
            status: Some("ok".into()),
            results: Some(results),
            ..StatsOk::default()
        })
    }
}

impl<'de> Deserialize<'de> for StatsResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = Value::deserialize(d)?;
        if v.get("error").is_some() {
            serde_json::from_value(v)
                .map(StatsResponse::Error)
                .map_err(D::Error::custom)
        } else {
            serde_json::from_value(v)
                .map(StatsResponse::Ok)
                .map_err(D::Error::custom)
        }
    }
}

fn check_stats_response(c: &mut Checker<'_>, v: &Value) {
    let Some(o) = c.object(v) else { return };
    if o.contains_key("error") {
        check_error_response(c, o);
        return;
    }
    if let Some(s) = c.string(o, "status", Req::Required) {
        c.one_of("status", s, &["ok"]);
    }
    let Some(results) = c.array_field(o, "results", Req::Optional) else {
        return;
    };
    for (i, r) in results.iter().enumerate() {
        c.nested(&format!("results[{i}]"), |c| {
            let Some(o) = c.object(r) else { return };
            let status = c.string(o, "status", Req::Required);
            if let Some(s) = status {
                c.one_of("status", s, &["ok", "error"]);
            }
            c.uint(o, "index", Req::Required);
            let error_req = if status == Some("error") {
                Req::NonEmpty
            } else {
                Req::Optional
            };
            c.string(o, "error", error_req);
            c.string(o, "message", Req::Optional);
        });
    }
}

message_methods!(StatsResponse, check_stats_response, "a stats response");

#[cfg(test)]
mod tests {
    use super::*;
    use otaseal_wire::Limits;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "platform": "android",
            "device_id": "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
            "app_id": "com.example.app",
            "version_name": "1.0.1",
            "version_os": "14",
            "action": "set",
        })
    }

    fn rules(v: &Value) -> Vec<String> {
        let bytes = serde_json::to_vec(v).unwrap();
        match StatsBody::parse(&bytes, &Limits::DEFAULT) {
            Ok(_) => vec![],
            Err(e) => e
                .iter()
                .map(|e| format!("{} {}", e.field(), e.rule()))
                .collect(),
        }
    }

    #[test]
    fn every_known_action_round_trips() {
        assert_eq!(StatsAction::KNOWN.len(), 91);
        for s in StatsAction::KNOWN {
            let a = StatsAction::parse(s);
            assert!(a.is_known(), "{s}");
            assert_eq!(a.as_str(), *s);
            assert_eq!(a.to_string(), *s);
        }
        let mut sorted = StatsAction::KNOWN.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), StatsAction::KNOWN.len(), "no duplicates");
    }

    #[test]
    fn stats_rules() {
        assert!(rules(&event()).is_empty());
        let mut e = event();
        e["platform"] = json!("windows");
        assert!(rules(&e).is_empty(), "stats accept any platform string");
        e["action"] = json!("teleported");
        assert_eq!(rules(&e), ["action stats_action"]);
        let mut e = event();
        e["custom_id"] = json!("x".repeat(37));
        e["metadata"] = json!({"k": 1, "long": "v".repeat(2049)});
        e["timestamp"] = json!(-5);
        assert_eq!(
            rules(&e),
            [
                "custom_id max_length",
                "timestamp type",
                "metadata.k type",
                "metadata.long max_length"
            ]
        );
        let mut e = event();
        let many: Map<String, Value> = (0..31).map(|i| (format!("k{i}"), json!("v"))).collect();
        e["metadata"] = Value::Object(many);
        assert_eq!(rules(&e), ["metadata max_entries"]);
        let mut e = event();
        e["metadata"] = json!({ "k".repeat(65): "v" });
        assert_eq!(
            rules(&e),
            [format!("metadata.{} max_length", "k".repeat(65))]
        );
    }

    #[test]
    fn batches() {
        let mut other = event();
        other["app_id"] = json!("com.example.other");
        assert_eq!(
            rules(&json!([event(), event(), other])),
            ["[2].app_id same_app_id"]
        );
        assert_eq!(rules(&json!([event(), 3])), ["[1] type"]);
        assert_eq!(rules(&json!("x")), ["$ type"]);
        let b = StatsBody::parse(
            serde_json::to_vec(&json!([event(), event()]))
                .unwrap()
                .as_slice(),
            &Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(b.events().len(), 2);
        assert_eq!(b.events()[1].action, Some(StatsAction::Set));
    }

    #[test]
    fn unknown_action_is_lenient_but_invalid() {
        let mut e = event();
        e["action"] = json!("teleported");
        let bytes = serde_json::to_vec(&e).unwrap();
        let body = StatsBody::from_json(&bytes, &Limits::DEFAULT).unwrap();
        let StatsBody::Single(ev) = &body else {
            panic!("single")
        };
        assert_eq!(
            ev.action.as_ref().map(StatsAction::as_str),
            Some("teleported")
        );
        assert!(body.validate(&Limits::DEFAULT).is_err());
        assert_eq!(serde_json::to_value(&body).unwrap(), e);
    }

    #[test]
    fn responses() {
        let l = Limits::DEFAULT;
        let err = StatsResponse::parse(br#"{"error":"mixed_app_ids","message":"m"}"#, &l).unwrap();
        assert!(matches!(err, StatsResponse::Error(_)));
        let e = StatsResponse::parse(br#"{"status":"fine"}"#, &l).unwrap_err();
        assert_eq!(e.first().rule(), "one_of");
        let e = StatsResponse::parse(
            br#"{"status":"ok","results":[{"status":"error","index":0}]}"#,
            &l,
        )
        .unwrap_err();
        assert_eq!(e.first().field(), "results[0].error");
        assert_eq!(e.first().rule(), "required");
    }
}
