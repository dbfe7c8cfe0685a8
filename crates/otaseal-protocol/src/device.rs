//! The device "info object" that every request carries, and the `/updates` request.

use std::fmt;
use std::str::FromStr;

use otaseal_wire::{KeyId, WireError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::check::{Checker, Req};
use crate::error::ValidationError;
use crate::grammar::{
    fix_semver, is_app_id, is_uuid, plugin_version_ok, std_semver_parse, version_build_ok,
};
use crate::message::message_methods;

/// The platforms of the update and channel endpoints.
///
/// ```
/// use otaseal_protocol::Platform;
///
/// let p: Platform = "android".parse().unwrap();
/// assert_eq!(p, Platform::Android);
/// assert_eq!(Platform::Ios.as_str(), "ios");
/// assert!("windows".parse::<Platform>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// `ios`
    Ios,
    /// `android`
    Android,
    /// `electron` (accepted by the backend; no Capacitor plugin sends it).
    Electron,
}

impl Platform {
    /// The values the backend accepts, in its order.
    pub const ALL: [&'static str; 3] = ["ios", "android", "electron"];

    /// The wire value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
            Platform::Electron => "electron",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not `ios`, `android` or `electron`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownPlatform;

impl fmt::Display for UnknownPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("platform is not one of ios, android, electron")
    }
}

impl std::error::Error for UnknownPlatform {}

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ios" => Ok(Platform::Ios),
            "android" => Ok(Platform::Android),
            "electron" => Ok(Platform::Electron),
            _ => Err(UnknownPlatform),
        }
    }
}

/// The device info object that every plugin request carries (`spec/protocol.md` section 3.1),
/// built by Android's `CapgoUpdater.createInfoObject` and iOS's `InfoObject`.
///
/// Every field is optional in the type so that any body a device sends can be read and
/// written back unchanged; which fields each endpoint requires is a validation rule. Fields
/// serialize in this order, absent ones are omitted.
///
/// ```
/// use otaseal_protocol::{DeviceInfo, Platform};
///
/// let mut info = DeviceInfo::new(
///     Platform::Android,
///     "com.example.app",
///     "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
///     "builtin",
///     "1.4",
///     "8.51.14",
/// );
/// info.is_prod = Some(true);
/// assert_eq!(info.effective_version_name(), Some("1.4"));
/// assert_eq!(info.version_build_semver().as_deref(), Some("1.4.0"));
/// assert_eq!(info.key_id()?, None);
/// # Ok::<(), otaseal_wire::WireError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// `ios`, `android` or `electron` ([`Platform`]); any string in stats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The device's UUID (the backend lower-cases it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The app id, reverse-domain (`com.example.app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The id the app set with `setCustomId` (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    /// The native version: Android `versionName`, iOS `CFBundleShortVersionString`, or the
    /// config's `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_build: Option<String>,
    /// Android's long version code, iOS `CFBundleVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_code: Option<String>,
    /// The OS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_os: Option<String>,
    /// The current bundle's version; `builtin` for the bundle shipped in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_name: Option<String>,
    /// The plugin's version, such as `8.51.14`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// Whether the device is an emulator (the backend assumes `false` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_emulator: Option<bool>,
    /// Whether the app is a production build (the backend assumes `true` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_prod: Option<bool>,
    /// The store or installer the app came from (Android only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_source: Option<String>,
    /// The configured or persisted default channel (`defaultChannel` on the wire).
    #[serde(
        rename = "defaultChannel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub default_channel: Option<String>,
    /// Capgo's 20-character hint of the app's public key, sent when a key is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl DeviceInfo {
    /// An info object with the fields every endpoint needs.
    #[must_use]
    pub fn new(
        platform: Platform,
        app_id: impl Into<String>,
        device_id: impl Into<String>,
        version_name: impl Into<String>,
        version_build: impl Into<String>,
        plugin_version: impl Into<String>,
    ) -> Self {
        Self {
            platform: Some(platform.as_str().to_owned()),
            app_id: Some(app_id.into()),
            device_id: Some(device_id.into()),
            version_name: Some(version_name.into()),
            version_build: Some(version_build.into()),
            plugin_version: Some(plugin_version.into()),
            ..Self::default()
        }
    }

    /// The platform, when it is one of [`Platform`].
    #[must_use]
    pub fn platform(&self) -> Option<Platform> {
        self.platform.as_deref()?.parse().ok()
    }

    /// The `key_id` as a [`KeyId`]; `None` when absent or empty.
    ///
    /// # Errors
    /// [`WireError`] if it is longer than 20 characters or outside the base64 alphabet.
    pub fn key_id(&self) -> Result<Option<KeyId>, WireError> {
        match self.key_id.as_deref() {
            None | Some("") => Ok(None),
            Some(s) => s.parse().map(Some),
        }
    }

    /// The bundle version the device runs, as the backend reads it: `version_name`, except
    /// that `builtin` stands for `version_build`.
    #[must_use]
    pub fn effective_version_name(&self) -> Option<&str> {
        match self.version_name.as_deref() {
            Some("builtin") => self.version_build.as_deref(),
            other => other,
        }
    }

    /// `version_build` after Capgo's `fixSemver` (`1` becomes `1.0.0`, `builtin` and `unknown`
    /// become `0.0.0`), when the result is a version the backend parses.
    #[must_use]
    pub fn version_build_semver(&self) -> Option<String> {
        let fixed = fix_semver(self.version_build.as_deref()?);
        std_semver_parse(&fixed).map(|_| fixed.into_owned())
    }
}

/// Which endpoint's rules apply to an info object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    Update,
    Stats,
    Channel,
}

/// The info-object rules of `spec/protocol.md` section 5.1, in field order.
pub(crate) fn check_info(c: &mut Checker<'_>, o: &Map<String, Value>, p: Profile) {
    if let Some(s) = c.string(o, "platform", Req::Required)
        && p != Profile::Stats
    {
        c.one_of("platform", s, &Platform::ALL);
    }
    if let Some(s) = c.string(o, "device_id", Req::Required)
        && c.max_js_len("device_id", s, 36)
        && !is_uuid(s)
    {
        let field = c.path("device_id");
        c.push(ValidationError::NotUuid { field });
    }
    if let Some(s) = c.string(o, "app_id", Req::Required)
        && !is_app_id(s)
    {
        let field = c.path("app_id");
        c.push(ValidationError::NotAppId { field });
    }
    if let Some(s) = c.string(o, "custom_id", Req::Optional)
        && p == Profile::Stats
    {
        c.max_js_len("custom_id", s, 36);
    }
    let build_req = match p {
        Profile::Update => Req::NonEmpty,
        Profile::Stats => Req::Optional,
        Profile::Channel => Req::Required,
    };
    if let Some(s) = c.string(o, "version_build", build_req)
        && p == Profile::Update
        && !s.is_empty()
        && !version_build_ok(s)
    {
        let field = c.path("version_build");
        c.push(ValidationError::NotVersionBuild { field });
    }
    c.string(o, "version_code", Req::Optional);
    let os_req = if p == Profile::Stats {
        Req::Required
    } else {
        Req::Optional
    };
    c.string(o, "version_os", os_req);
    let name_req = if p == Profile::Update {
        Req::NonEmpty
    } else {
        Req::Required
    };
    c.string(o, "version_name", name_req);
    let plugin_req = if p == Profile::Update {
        Req::Required
    } else {
        Req::Optional
    };
    if let Some(s) = c.string(o, "plugin_version", plugin_req)
        && p == Profile::Update
        && !plugin_version_ok(s)
    {
        let field = c.path("plugin_version");
        c.push(ValidationError::NotSemver { field });
    }
    c.boolean(o, "is_emulator", Req::Optional);
    c.boolean(o, "is_prod", Req::Optional);
    if let Some(s) = c.string(o, "install_source", Req::Optional) {
        c.max_js_len("install_source", s, 64);
    }
    c.string(o, "defaultChannel", Req::Optional);
    if let Some(s) = c.string(o, "key_id", Req::Optional) {
        c.max_js_len("key_id", s, 20);
    }
}

/// The body of `POST {updateUrl}` (`spec/protocol.md` section 4.1): the info object, plus any
/// fields a newer plugin adds, kept in [`extra`](Self::extra) so that they round-trip.
///
/// ```
/// use otaseal_protocol::{Limits, UpdateRequest};
///
/// let body = br#"{"platform":"ios","device_id":"0B5F5E4A-2C1D-4F3E-9A8B-7C6D5E4F3A2B",
///   "app_id":"com.example.app","version_build":"1.4","version_name":"builtin",
///   "plugin_version":"8.51.14","is_emulator":false,"is_prod":true,"future_field":[1,2]}"#;
/// let req = UpdateRequest::parse(body, &Limits::default())?;
/// assert_eq!(req.info.effective_version_name(), Some("1.4"));
/// assert_eq!(req.extra["future_field"], serde_json::json!([1, 2]));
///
/// let bad = br#"{"platform":"ios","app_id":"example","version_build":"x.y"}"#;
/// let rules: Vec<_> = UpdateRequest::parse(bad, &Limits::default())
///     .unwrap_err()
///     .iter()
///     .map(|e| format!("{} {}", e.field(), e.rule()))
///     .collect();
/// assert_eq!(rules, [
///     "device_id required", "app_id app_id", "version_build version_build",
///     "version_name required", "plugin_version required",
/// ]);
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpdateRequest {
    /// The device info object.
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateRequest {
    /// A request carrying `info`.
    #[must_use]
    pub fn new(info: DeviceInfo) -> Self {
        Self {
            info,
            extra: Map::new(),
        }
    }
}

fn check_update_request(c: &mut Checker<'_>, v: &Value) {
    if let Some(o) = c.object(v) {
        check_info(c, o, Profile::Update);
    }
}

message_methods!(UpdateRequest, check_update_request, "an update request");

#[cfg(test)]
mod tests {
    use super::*;
    use otaseal_wire::Limits;

    fn valid() -> UpdateRequest {
        let mut info = DeviceInfo::new(
            Platform::Android,
            "com.example.app",
            "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
            "1.0.1",
            "1.0",
            "8.51.14",
        );
        info.key_id = Some("MIIBCgKCAQEAuGbpniuu".into());
        UpdateRequest::new(info)
    }

    #[test]
    fn a_constructed_request_is_valid() {
        let r = valid();
        r.validate(&Limits::DEFAULT).unwrap();
        assert_eq!(r.info.platform(), Some(Platform::Android));
        assert_eq!(
            r.info.key_id().unwrap().unwrap().as_str(),
            "MIIBCgKCAQEAuGbpniuu"
        );
        let text = r.to_json().unwrap();
        assert!(text.starts_with("{\n  \"platform\": \"android\",\n  \"device_id\""));
        assert_eq!(
            UpdateRequest::parse(text.as_bytes(), &Limits::DEFAULT).unwrap(),
            r
        );
    }

    #[test]
    fn key_id_accessor() {
        let mut r = valid();
        r.info.key_id = Some(String::new());
        assert_eq!(r.info.key_id(), Ok(None));
        r.info.key_id = Some("a b".into());
        assert!(r.info.key_id().is_err());
    }

    #[test]
    fn lenient_parsing_keeps_invalid_values() {
        let body = br#"{"platform":"windows","app_id":"nope"}"#;
        let r = UpdateRequest::from_json(body, &Limits::DEFAULT).unwrap();
        assert_eq!(r.info.platform.as_deref(), Some("windows"));
        assert_eq!(r.info.platform(), None);
        assert!(r.validate(&Limits::DEFAULT).is_err());
        let wrong_type = br#"{"platform":7}"#;
        let e = UpdateRequest::from_json(wrong_type, &Limits::DEFAULT).unwrap_err();
        assert_eq!(
            e.first(),
            &ValidationError::WrongType {
                field: "platform".into(),
                expected: "a string"
            }
        );
    }

    #[test]
    fn version_build_semver() {
        let mut r = valid();
        for (build, semver) in [
            ("1", Some("1.0.0")),
            ("1.2", Some("1.2.0")),
            ("builtin", Some("0.0.0")),
            ("unknown", Some("0.0.0")),
            ("1.2.3-rc.1", Some("1.2.3-rc.1")),
            ("abc", None),
        ] {
            r.info.version_build = Some(build.into());
            assert_eq!(r.info.version_build_semver().as_deref(), semver, "{build}");
            assert_eq!(
                r.validate(&Limits::DEFAULT).is_ok(),
                semver.is_some(),
                "{build}"
            );
        }
    }
}
