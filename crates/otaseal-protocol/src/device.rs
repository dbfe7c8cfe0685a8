//! The device "info object" that every request carries, and the `/updates` request.

use otaseal_wire::{KeyId, WireError};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::open_enum::open_enum;
use crate::read::{Reader, Req, Rule, message_methods};
use crate::value::{AppId, DeviceId, PluginVersion, VersionBuild, VersionName};

open_enum! {
    /// The `platform` of a device: an open enum. Update and channel requests require a known
    /// platform; stats accept any string, which reads as [`Unknown`](Platform::Unknown) and is
    /// written back unchanged.
    ///
    /// ```
    /// use otaseal_protocol::Platform;
    ///
    /// assert_eq!(Platform::parse("android"), Platform::Android);
    /// assert_eq!(Platform::Ios.as_str(), "ios");
    /// assert!(!Platform::parse("windows").is_known());
    /// assert_eq!(Platform::KNOWN, ["ios", "android", "electron"]);
    /// ```
    pub enum Platform {
        Ios => "ios",
        Android => "android",
        /// Accepted by the backend; no Capacitor plugin sends it.
        Electron => "electron",
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// `ios`, `android` or `electron`; any string in stats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The device's UUID (the backend lower-cases it); rule: [`DeviceId`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The app id, reverse-domain (`com.example.app`); rule: [`AppId`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The id the app set with `setCustomId` (may be empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    /// The native version: Android `versionName`, iOS `CFBundleShortVersionString`, or the
    /// config's `version`; rule in update requests: [`VersionBuild`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_build: Option<String>,
    /// Android's long version code, iOS `CFBundleVersion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_code: Option<String>,
    /// The OS version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_os: Option<String>,
    /// The current bundle's version; `builtin` for the bundle shipped in the app; rule in
    /// update requests: [`VersionName`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_name: Option<String>,
    /// The plugin's version, such as `8.51.14`; rule in update requests: [`PluginVersion`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// Whether the device is an emulator (the backend assumes `false` when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_emulator: Option<bool>,
    /// Whether the app is a production build (the backend assumes `true` when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_prod: Option<bool>,
    /// The store or installer the app came from (Android only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_source: Option<String>,
    /// The configured or persisted default channel (`defaultChannel` on the wire).
    #[serde(rename = "defaultChannel", skip_serializing_if = "Option::is_none")]
    pub default_channel: Option<String>,
    /// Capgo's 20-character hint of the app's public key, sent when a key is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
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
            platform: Some(platform),
            app_id: Some(app_id.into()),
            device_id: Some(device_id.into()),
            version_name: Some(version_name.into()),
            version_build: Some(version_build.into()),
            plugin_version: Some(plugin_version.into()),
            ..Self::default()
        }
    }

    /// The platform, when it is a known one.
    #[must_use]
    pub fn platform(&self) -> Option<Platform> {
        self.platform.clone().filter(Platform::is_known)
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
    /// become `0.0.0`), when it is a [`VersionBuild`].
    #[must_use]
    pub fn version_build_semver(&self) -> Option<String> {
        let build = VersionBuild::try_from(self.version_build.as_deref()?).ok()?;
        Some(build.semver().into_owned())
    }

    /// Reads the info fields of `o` with the rules of `profile` (`spec/protocol.md` section
    /// 3.1), in field order, and removes them from `o`.
    pub(crate) fn read_fields(
        r: &mut Reader<'_>,
        o: &mut Map<String, Value>,
        profile: Profile,
    ) -> Self {
        use Req::{Optional, Required};
        let (update, stats) = (profile == Profile::Update, profile == Profile::Stats);
        // Which fields are required, and which values are checked, differ per endpoint: these
        // are Capgo's `updateRequestSchema`, `statsRequestSchema` and
        // `channelSelfRequestSchema`.
        let when = |yes: bool, rule: Rule<'static>| if yes { rule } else { Rule::Any };
        Self {
            platform: r.take(
                o,
                "platform",
                Required,
                when(!stats, Rule::OneOf(Platform::KNOWN)),
            ),
            device_id: r.take(o, "device_id", Required, Rule::Value(DeviceId::check)),
            app_id: r.take(o, "app_id", Required, Rule::Value(AppId::check)),
            custom_id: r.take(o, "custom_id", Optional, when(stats, Rule::MaxUtf16(36))),
            version_build: r.take(
                o,
                "version_build",
                if stats { Optional } else { Required },
                when(update, Rule::Value(VersionBuild::check)),
            ),
            version_code: r.take(o, "version_code", Optional, Rule::Any),
            version_os: r.take(
                o,
                "version_os",
                if stats { Required } else { Optional },
                Rule::Any,
            ),
            version_name: r.take(
                o,
                "version_name",
                Required,
                when(update, Rule::Value(VersionName::check)),
            ),
            plugin_version: r.take(
                o,
                "plugin_version",
                if update { Required } else { Optional },
                when(update, Rule::Value(PluginVersion::check)),
            ),
            is_emulator: r.take(o, "is_emulator", Optional, Rule::Any),
            is_prod: r.take(o, "is_prod", Optional, Rule::Any),
            install_source: r.take(o, "install_source", Optional, Rule::MaxUtf16(64)),
            default_channel: r.take(o, "defaultChannel", Optional, Rule::Any),
            key_id: r.take(o, "key_id", Optional, Rule::MaxUtf16(20)),
        }
    }

    /// Reads an info object on its own, with the rules of stats (the most lenient).
    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let mut o = r.object(v)?;
        Some(Self::read_fields(r, &mut o, Profile::Stats))
    }
}

/// Which endpoint's rules apply to an info object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Profile {
    Update,
    Stats,
    Channel,
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
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

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let mut extra = r.object(v)?;
        let info = DeviceInfo::read_fields(r, &mut extra, Profile::Update);
        Some(Self { info, extra })
    }
}

message_methods!(UpdateRequest: "an update request");
crate::read::deserialize_by_reading!(DeviceInfo);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ValidationError;
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
        assert_eq!(
            r.info.platform.as_ref().map(Platform::as_str),
            Some("windows")
        );
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
