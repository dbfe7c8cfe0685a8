//! `POST {statsUrl}`: one event or a batch, and the responses.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::device::{DeviceInfo, Profile};
use crate::error::ValidationError;
use crate::open_enum::open_enum;
use crate::read::{Reader, Req, Rule, message_methods};
use crate::response::ErrorResponse;

/// Most keys a stats `metadata` object may have (Capgo's `MAX_STATS_METADATA_FIELDS`).
pub const MAX_METADATA_KEYS: usize = 30;
/// Longest `metadata` key, in UTF-16 code units.
pub const MAX_METADATA_KEY_LEN: usize = 64;
/// Longest `metadata` value, in UTF-16 code units.
pub const MAX_METADATA_VALUE_LEN: usize = 2048;

open_enum! {
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
    pub enum StatsAction {
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatsEvent {
    /// The device info object.
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// The bundle version before the event (may be empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_version_name: Option<String>,
    /// What happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<StatsAction>,
    /// The channel, when the event concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// When it happened, in milliseconds since 1970-01-01 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Free string key/value pairs, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
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

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        use Req::Optional;
        let mut o = r.object(v)?;
        let info = DeviceInfo::read_fields(r, &mut o, Profile::Stats);
        let old_version_name = r.take(&mut o, "old_version_name", Optional, Rule::Any);
        let action = r.take(&mut o, "action", Optional, Rule::Then(&mut unknown_action));
        let channel = r.take(&mut o, "channel", Optional, Rule::Any);
        let timestamp = r.take(&mut o, "timestamp", Optional, Rule::Any);
        let metadata = r.take(&mut o, "metadata", Optional, Rule::Any);
        if let Some(m) = &metadata {
            check_metadata(r, m);
        }
        Some(Self {
            info,
            old_version_name,
            action,
            channel,
            timestamp,
            metadata,
            extra: o,
        })
    }
}

/// The backend accepts only the actions of `stats_actions.ts`.
fn unknown_action(r: &mut Reader<'_>, s: &str) {
    if !StatsAction::KNOWN.contains(&s) {
        let field = r.path("action");
        r.push(ValidationError::UnknownAction {
            field,
            value: s.to_owned(),
        });
    }
}

/// At most 30 keys, each at most 64 UTF-16 units, each value a string of at most 2048.
fn check_metadata(r: &mut Reader<'_>, m: &Map<String, Value>) {
    if m.len() > MAX_METADATA_KEYS {
        let field = r.path("metadata");
        r.push(ValidationError::TooMany {
            field,
            count: m.len(),
            max: MAX_METADATA_KEYS,
        });
    }
    r.nested("metadata", |r| {
        for (k, v) in m {
            r.max_utf16(k, k, MAX_METADATA_KEY_LEN);
            match v {
                Value::String(s) => r.max_utf16(k, s, MAX_METADATA_VALUE_LEN),
                _ => r.wrong_type(k, "a string"),
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        match v {
            Value::Object(_) => StatsEvent::read(r, v).map(|e| StatsBody::Single(Box::new(e))),
            Value::Array(items) => {
                let first_app = items
                    .first()
                    .and_then(|e| e.get("app_id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let mut events = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    r.nested(&format!("[{i}]"), |r| {
                        let event = StatsEvent::read(r, item)?;
                        if let (Some(first), Some(app)) = (&first_app, &event.info.app_id)
                            && first != app
                        {
                            let field = r.path("app_id");
                            r.push(ValidationError::MixedAppIds { field });
                        }
                        events.push(event);
                        Some(())
                    });
                }
                Some(StatsBody::Batch(events))
            }
            _ => {
                let field = r.here();
                r.push(ValidationError::WrongType {
                    field,
                    expected: "an object or an array of objects",
                });
                None
            }
        }
    }
}

/// One entry of a batch response's `results`.
///
/// ```
/// use otaseal_protocol::StatsResult;
///
/// let r = StatsResult::ok(3);
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"status":"ok","index":3}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatsResult {
    /// `ok` or `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Index of the event in the batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Error code, when `status` is `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Error text.
    #[serde(skip_serializing_if = "Option::is_none")]
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

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let mut o = r.object(v)?;
        let status: Option<String> = r.take(
            &mut o,
            "status",
            Req::Required,
            Rule::OneOf(&["ok", "error"]),
        );
        let index = r.take(&mut o, "index", Req::Required, Rule::Any);
        // An error result names its error.
        let error_req = if status.as_deref() == Some("error") {
            Req::NonEmpty
        } else {
            Req::Optional
        };
        let error = r.take(&mut o, "error", error_req, Rule::Any);
        let message = r.take(&mut o, "message", Req::Optional, Rule::Any);
        Some(Self {
            status,
            index,
            error,
            message,
            extra: o,
        })
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatsOk {
    /// Always `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// One result per event of a batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<StatsResult>>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StatsOk {
    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let mut o = r.object(v)?;
        let status = r.take(&mut o, "status", Req::Required, Rule::OneOf(&["ok"]));
        let results = r
            .take::<Vec<Value>>(&mut o, "results", Req::Optional, Rule::Any)
            .map(|items| {
                items
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        r.nested(&format!("results[{i}]"), |r| StatsResult::read(r, item))
                    })
                    .collect()
            });
        Some(Self {
            status,
            results,
            extra: o,
        })
    }
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

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        if v.get("error").is_some() {
            ErrorResponse::read(r, v).map(StatsResponse::Error)
        } else {
            StatsOk::read(r, v).map(StatsResponse::Ok)
        }
    }
}

message_methods!(
    StatsBody: "a stats body",
    StatsResponse: "a stats response",
);
crate::read::deserialize_by_reading!(StatsEvent, StatsResult, StatsOk);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::field_rules;
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
        field_rules(StatsBody::parse(&bytes, &Limits::DEFAULT))
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
