//! `{channelUrl}` (Capgo's `channel_self`): set, get, unset and list a device's channel.

use std::fmt;
use std::str::FromStr;

use otaseal_wire::Limits;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::device::{DeviceInfo, Profile};
use crate::error::{ValidationError, ValidationErrors};
use crate::read::{self, Reader, Req, Rule, message_methods};
use crate::response::ErrorResponse;

/// The four uses of the channel endpoint, each with its own HTTP method.
///
/// ```
/// use otaseal_protocol::ChannelMethod;
///
/// assert_eq!(ChannelMethod::Get.http_method(), "PUT");
/// assert_eq!("list".parse::<ChannelMethod>().unwrap(), ChannelMethod::List);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelMethod {
    /// `POST`: `setChannel`, the body carries `channel`.
    Set,
    /// `PUT`: `getChannel`.
    Get,
    /// `DELETE`: `unsetChannel` (current Android plugins only clear it locally).
    Delete,
    /// `GET`: `listChannels`, the info object as query parameters.
    List,
}

impl ChannelMethod {
    /// The HTTP method.
    #[must_use]
    pub const fn http_method(self) -> &'static str {
        match self {
            ChannelMethod::Set => "POST",
            ChannelMethod::Get => "PUT",
            ChannelMethod::Delete => "DELETE",
            ChannelMethod::List => "GET",
        }
    }

    /// The name used by [`FromStr`] and the CLI: `set`, `get`, `delete`, `list`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelMethod::Set => "set",
            ChannelMethod::Get => "get",
            ChannelMethod::Delete => "delete",
            ChannelMethod::List => "list",
        }
    }
}

impl fmt::Display for ChannelMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not `set`, `get`, `delete` or `list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownChannelMethod;

impl fmt::Display for UnknownChannelMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel method is not one of set, get, delete, list")
    }
}

impl std::error::Error for UnknownChannelMethod {}

impl FromStr for ChannelMethod {
    type Err = UnknownChannelMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "set" => Ok(ChannelMethod::Set),
            "get" => Ok(ChannelMethod::Get),
            "delete" => Ok(ChannelMethod::Delete),
            "list" => Ok(ChannelMethod::List),
            _ => Err(UnknownChannelMethod),
        }
    }
}

/// The JSON body of a `set` (POST), `get` (PUT) or `delete` (DELETE) channel request: the info
/// object, plus `channel` for `set`.
///
/// ```
/// use otaseal_protocol::{ChannelMethod, ChannelRequest, DeviceInfo, Limits, Platform};
///
/// let info = DeviceInfo::new(
///     Platform::Android, "com.example.app", "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
///     "1.0.1", "1.0", "8.51.14",
/// );
/// let set = ChannelRequest::set(info.clone(), "beta");
/// set.validate(ChannelMethod::Set, &Limits::default())?;
/// let get = ChannelRequest::new(info);
/// assert!(get.validate(ChannelMethod::Get, &Limits::default()).is_ok());
/// let e = get.validate(ChannelMethod::Set, &Limits::default()).unwrap_err();
/// assert_eq!((e.first().field(), e.first().rule()), ("channel", "required"));
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChannelRequest {
    /// The device info object.
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// The channel to set (POST only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelRequest {
    /// A `get` or `delete` request.
    #[must_use]
    pub fn new(info: DeviceInfo) -> Self {
        Self {
            info,
            channel: None,
            extra: Map::new(),
        }
    }

    /// A `set` request for `channel`.
    #[must_use]
    pub fn set(info: DeviceInfo, channel: impl Into<String>) -> Self {
        Self {
            channel: Some(channel.into()),
            ..Self::new(info)
        }
    }

    /// Reads a body with the rules of `method`: the info object's "channel" column of
    /// `spec/protocol.md` section 3.1, and a non-empty `channel` for `set`.
    fn read_for(r: &mut Reader<'_>, v: Value, method: ChannelMethod) -> Option<Self> {
        let mut extra = r.object(v)?;
        let info = DeviceInfo::read_fields(r, &mut extra, Profile::Channel);
        let req = if method == ChannelMethod::Set {
            Req::NonEmpty
        } else {
            Req::Optional
        };
        let channel = r.take(&mut extra, "channel", req, Rule::Any);
        Some(Self {
            info,
            channel,
            extra,
        })
    }

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        Self::read_for(r, v, ChannelMethod::Get)
    }

    /// Parses and validates the body of a `method` request (`set`, `get` or `delete`). A
    /// `list` request has no body: its query parameters are a [`ChannelListQuery`]; here its
    /// info object is read as for `get`.
    ///
    /// # Errors
    /// Every rule the document breaks, each naming its field.
    pub fn parse(
        bytes: &[u8],
        method: ChannelMethod,
        limits: &Limits,
    ) -> Result<Self, ValidationErrors> {
        read::parse(bytes, limits, |r, v| Self::read_for(r, v, method))
    }

    /// Reads a body leniently: size, syntax and the JSON types of known fields.
    ///
    /// # Errors
    /// The structural errors.
    pub fn from_json(bytes: &[u8], limits: &Limits) -> Result<Self, ValidationErrors> {
        read::from_json(bytes, limits, Self::read)
    }

    /// Checks every rule of a `method` request.
    ///
    /// # Errors
    /// Every rule the message breaks, each naming its field.
    pub fn validate(&self, method: ChannelMethod, limits: &Limits) -> Result<(), ValidationErrors> {
        if method == ChannelMethod::List {
            return ChannelListQuery::from_info(&self.info).validate(limits);
        }
        read::validate(self, limits, |r, v| Self::read_for(r, v, method))
    }

    /// The canonical JSON text.
    ///
    /// # Errors
    /// Never for values of this crate; see [`to_canonical_json`](crate::to_canonical_json).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        read::to_canonical_json(self)
    }
}

/// The query parameters of a `list` (GET) channel request, as the server reads them: every
/// value a string, booleans as `"true"` / `"false"` (Android adds each info field with
/// `value.toString()`).
///
/// ```
/// use otaseal_protocol::{ChannelListQuery, DeviceInfo, Limits, Platform};
///
/// let mut info = DeviceInfo::new(
///     Platform::Android, "com.example.app", "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
///     "1.0.1", "1.0", "8.51.14",
/// );
/// info.is_prod = Some(true);
/// let q = ChannelListQuery::from_info(&info);
/// assert!(q.pairs().any(|(k, v)| k == "is_prod" && v == "true"));
/// q.validate(&Limits::default())?;
/// assert_eq!(q.to_info(&Limits::default())?.is_prod, Some(true));
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ChannelListQuery {
    /// The parameters, in order. Valid queries hold strings only.
    pub params: Map<String, Value>,
}

const QUERY_BOOLEANS: [&str; 2] = ["is_emulator", "is_prod"];

impl ChannelListQuery {
    /// The parameters a plugin sends for `info`.
    #[must_use]
    pub fn from_info(info: &DeviceInfo) -> Self {
        let params = match serde_json::to_value(info) {
            Ok(Value::Object(m)) => m
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, Value::String(s))
                })
                .collect(),
            _ => Map::new(),
        };
        Self { params }
    }

    /// The parameters as text pairs; values that are not strings are skipped.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
    }

    /// The info object the parameters encode.
    ///
    /// # Errors
    /// The rules the query breaks, as [`validate`](Self::validate) reports them.
    pub fn to_info(&self, limits: &Limits) -> Result<DeviceInfo, ValidationErrors> {
        read::validate(self, limits, Self::read)?;
        read::from_value(Value::Object(self.params.clone()), limits, |r, v| {
            let params = r.object(v)?;
            let mut body = query_to_body(r, params);
            Some(DeviceInfo::read_fields(r, &mut body, Profile::Channel))
        })
    }

    /// Reads the parameters: every value a string, `is_emulator` and `is_prod` `"true"` or
    /// `"false"`; then the info object they encode, with the rules of a channel body.
    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        let params = r.object(v)?;
        let mut body = query_to_body(r, params.clone());
        DeviceInfo::read_fields(r, &mut body, Profile::Channel);
        r.take::<String>(&mut body, "channel", Req::Optional, Rule::Any);
        Some(Self { params })
    }
}

/// The query as a JSON body: `"true"` and `"false"` become booleans for the boolean fields.
/// A parameter that is not a string, or a boolean field that is neither, is reported and left
/// out.
fn query_to_body(r: &mut Reader<'_>, params: Map<String, Value>) -> Map<String, Value> {
    let mut body = Map::new();
    for (k, v) in params {
        let Value::String(s) = v else {
            r.wrong_type(&k, "a string (query parameter)");
            continue;
        };
        let value = if QUERY_BOOLEANS.contains(&k.as_str()) {
            match s.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    let field = r.path(&k);
                    r.push(ValidationError::NotOneOf {
                        field,
                        value: s,
                        allowed: &["true", "false"],
                    });
                    continue;
                }
            }
        } else {
            Value::String(s)
        };
        body.insert(k, value);
    }
    body
}

/// A `set` or `delete` success: `{"status": "ok"}`, with `allowSet: true` from plugin
/// 5.34 / 6.34 / 7.34 / 8.0 on (the plugin then stores the channel locally); `unset: true`
/// tells Android to clear its stored channel.
///
/// ```
/// use otaseal_protocol::{ChannelResponse, ChannelStatus, Limits};
///
/// let r = ChannelResponse::Status(ChannelStatus::ok(Some(true)));
/// r.validate(&Limits::default())?;
/// assert_eq!(r.to_json().unwrap(), "{\n  \"status\": \"ok\",\n  \"allowSet\": true\n}\n");
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChannelStatus {
    /// `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether the device may set its channel itself.
    #[serde(rename = "allowSet", skip_serializing_if = "Option::is_none")]
    pub allow_set: Option<bool>,
    /// Clear the stored channel (a public channel was requested).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unset: Option<bool>,
    /// A human-readable note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelStatus {
    /// `{"status": "ok", "allowSet": true}` (or without `allowSet` when `None`).
    #[must_use]
    pub fn ok(allow_set: Option<bool>) -> Self {
        Self {
            status: Some("ok".into()),
            allow_set,
            ..Self::default()
        }
    }

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        use Req::{Optional, Required};
        let mut o = r.object(v)?;
        Some(Self {
            status: r.take(&mut o, "status", Required, Rule::OneOf(&["ok"])),
            allow_set: r.take(&mut o, "allowSet", Optional, Rule::Any),
            unset: r.take(&mut o, "unset", Optional, Rule::Any),
            message: r.take(&mut o, "message", Optional, Rule::Any),
            extra: o,
        })
    }
}

/// A `get` success: the device's channel and whether it is an override.
///
/// ```
/// use otaseal_protocol::ChannelCurrent;
///
/// let c = ChannelCurrent::new("production", false, Some(true));
/// assert_eq!(c.status.as_deref(), Some("default"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChannelCurrent {
    /// The channel name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `override` or `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether the device may set its channel itself.
    #[serde(rename = "allowSet", skip_serializing_if = "Option::is_none")]
    pub allow_set: Option<bool>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelCurrent {
    /// The answer for `channel`, an override or the default.
    #[must_use]
    pub fn new(channel: impl Into<String>, is_override: bool, allow_set: Option<bool>) -> Self {
        Self {
            channel: Some(channel.into()),
            status: Some(if is_override { "override" } else { "default" }.into()),
            allow_set,
            extra: Map::new(),
        }
    }

    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        use Req::{NonEmpty, Optional, Required};
        let mut o = r.object(v)?;
        Some(Self {
            channel: r.take(&mut o, "channel", NonEmpty, Rule::Any),
            status: r.take(
                &mut o,
                "status",
                Required,
                Rule::OneOf(&["override", "default"]),
            ),
            allow_set: r.take(&mut o, "allowSet", Optional, Rule::Any),
            extra: o,
        })
    }
}

/// One channel of a `list` answer. Android requires a numeric `id`.
///
/// ```
/// use otaseal_protocol::{ChannelInfo, ChannelResponse, Limits};
///
/// let list = ChannelResponse::List(vec![ChannelInfo::new(12, "production", true, false)]);
/// list.validate(&Limits::default())?;
/// assert!(list.to_json().unwrap().contains("\"allow_self_set\": false"));
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The channel's numeric id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it is public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Whether devices may set themselves to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_self_set: Option<bool>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChannelInfo {
    /// A channel entry.
    #[must_use]
    pub fn new(id: u64, name: impl Into<String>, public: bool, allow_self_set: bool) -> Self {
        Self {
            id: Some(id),
            name: Some(name.into()),
            public: Some(public),
            allow_self_set: Some(allow_self_set),
            extra: Map::new(),
        }
    }

    /// Every field is required; Android rejects a channel without a numeric `id`.
    fn read(r: &mut Reader<'_>, v: Value) -> Option<Self> {
        use Req::{NonEmpty, Required};
        let mut o = r.object(v)?;
        Some(Self {
            id: r.take(&mut o, "id", Required, Rule::Any),
            name: r.take(&mut o, "name", NonEmpty, Rule::Any),
            public: r.take(&mut o, "public", Required, Rule::Any),
            allow_self_set: r.take(&mut o, "allow_self_set", Required, Rule::Any),
            extra: o,
        })
    }
}

/// A response of the channel endpoint. Which success shape applies depends on the method, so
/// reading takes it; any object with an `error` key (or, for `set`, a `kind` key, which
/// Android also treats as a failure) is an [`Error`](Self::Error).
///
/// ```
/// use otaseal_protocol::{ChannelCurrent, ChannelMethod, ChannelResponse, Limits};
///
/// let l = Limits::default();
/// let r = ChannelResponse::parse(br#"{"channel":"beta","status":"override"}"#, ChannelMethod::Get, &l)?;
/// assert_eq!(r, ChannelResponse::Current(ChannelCurrent::new("beta", true, None)));
/// let e = ChannelResponse::parse(br#"{"error":"channel_not_found","message":"x"}"#, ChannelMethod::Get, &l)?;
/// assert!(matches!(e, ChannelResponse::Error(_)));
/// // The self-hosting docs' success body with an empty error key is a failure.
/// assert!(ChannelResponse::parse(br#"{"status":"ok","error":""}"#, ChannelMethod::Set, &l).is_err());
/// # Ok::<(), otaseal_protocol::ValidationErrors>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ChannelResponse {
    /// `set` or `delete` success.
    Status(ChannelStatus),
    /// `get` success.
    Current(ChannelCurrent),
    /// `list` success: a JSON array.
    List(Vec<ChannelInfo>),
    /// An error body.
    Error(ErrorResponse),
}

fn is_error_body(v: &Value, method: ChannelMethod) -> bool {
    v.get("error").is_some() || (method == ChannelMethod::Set && v.get("kind").is_some())
}

impl ChannelResponse {
    /// Reads a response to a `method` request: an error body, or the success of `method`.
    fn read_for(r: &mut Reader<'_>, v: Value, method: ChannelMethod) -> Option<Self> {
        let success = (!is_error_body(&v, method)).then_some(method);
        Self::read_as(r, v, success)
    }

    /// Reads the success of a `method` request, or with `None` an error body.
    fn read_as(r: &mut Reader<'_>, v: Value, success: Option<ChannelMethod>) -> Option<Self> {
        match success {
            None => ErrorResponse::read(r, v).map(ChannelResponse::Error),
            Some(ChannelMethod::Set | ChannelMethod::Delete) => {
                ChannelStatus::read(r, v).map(ChannelResponse::Status)
            }
            Some(ChannelMethod::Get) => ChannelCurrent::read(r, v).map(ChannelResponse::Current),
            Some(ChannelMethod::List) => {
                let items: Vec<Value> = r.value_as(v, "an array of channels")?;
                let channels = items
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        r.nested(&format!("[{i}]"), |r| ChannelInfo::read(r, item))
                    })
                    .collect();
                Some(ChannelResponse::List(channels))
            }
        }
    }

    /// Parses and validates a response to a `method` request.
    ///
    /// # Errors
    /// Every rule the document breaks, each naming its field.
    pub fn parse(
        bytes: &[u8],
        method: ChannelMethod,
        limits: &Limits,
    ) -> Result<Self, ValidationErrors> {
        read::parse(bytes, limits, |r, v| Self::read_for(r, v, method))
    }

    /// Reads a response to a `method` request leniently: size, syntax and JSON types.
    ///
    /// # Errors
    /// The structural errors.
    pub fn from_json(
        bytes: &[u8],
        method: ChannelMethod,
        limits: &Limits,
    ) -> Result<Self, ValidationErrors> {
        read::from_json(bytes, limits, |r, v| Self::read_for(r, v, method))
    }

    /// Checks every rule of the response.
    ///
    /// # Errors
    /// Every rule the message breaks, each naming its field.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationErrors> {
        let success = match self {
            ChannelResponse::Status(_) => Some(ChannelMethod::Set),
            ChannelResponse::Current(_) => Some(ChannelMethod::Get),
            ChannelResponse::List(_) => Some(ChannelMethod::List),
            ChannelResponse::Error(_) => None,
        };
        read::validate(self, limits, |r, v| Self::read_as(r, v, success))
    }

    /// The canonical JSON text.
    ///
    /// # Errors
    /// Never for values of this crate; see [`to_canonical_json`](crate::to_canonical_json).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        read::to_canonical_json(self)
    }
}

message_methods!(ChannelListQuery: "a channel list query");
read::deserialize_by_reading!(ChannelRequest, ChannelStatus, ChannelCurrent, ChannelInfo);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::field_rules;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "platform": "ios",
            "device_id": "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
            "app_id": "com.example.app",
            "version_build": "",
            "version_name": "",
            "is_emulator": false,
            "is_prod": true,
        })
    }

    fn rules(v: &Value, m: ChannelMethod) -> Vec<String> {
        let bytes = serde_json::to_vec(v).unwrap();
        field_rules(if m == ChannelMethod::List {
            ChannelListQuery::parse(&bytes, &Limits::DEFAULT).map(drop)
        } else {
            ChannelRequest::parse(&bytes, m, &Limits::DEFAULT).map(drop)
        })
    }

    #[test]
    fn request_rules() {
        assert!(
            rules(&body(), ChannelMethod::Get).is_empty(),
            "empty versions are fine"
        );
        assert!(rules(&body(), ChannelMethod::Delete).is_empty());
        assert_eq!(rules(&body(), ChannelMethod::Set), ["channel required"]);
        let mut b = body();
        b["channel"] = json!("");
        assert_eq!(rules(&b, ChannelMethod::Set), ["channel non_empty"]);
        b["channel"] = json!("beta");
        b["platform"] = json!("web");
        b["install_source"] = json!("s".repeat(65));
        b.as_object_mut().unwrap().remove("version_build");
        assert_eq!(
            rules(&b, ChannelMethod::Set),
            [
                "platform one_of",
                "version_build required",
                "install_source max_length"
            ]
        );
    }

    #[test]
    fn list_query_rules() {
        let q = json!({
            "platform": "android",
            "device_id": "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b",
            "app_id": "com.example.app",
            "version_build": "1.0",
            "version_name": "builtin",
            "is_emulator": "false",
            "is_prod": "true",
        });
        assert!(rules(&q, ChannelMethod::List).is_empty());
        let mut bad = q.clone();
        bad["is_prod"] = json!("yes");
        bad["is_emulator"] = json!(false);
        assert_eq!(
            rules(&bad, ChannelMethod::List),
            ["is_emulator type", "is_prod one_of"]
        );
        let parsed =
            ChannelListQuery::parse(&serde_json::to_vec(&q).unwrap(), &Limits::DEFAULT).unwrap();
        let info = parsed.to_info(&Limits::DEFAULT).unwrap();
        assert_eq!(info.is_emulator, Some(false));
        assert_eq!(ChannelListQuery::from_info(&info), parsed);
    }

    #[test]
    fn response_rules() {
        let l = Limits::DEFAULT;
        let p = |b: &str, m| ChannelResponse::parse(b.as_bytes(), m, &l);
        assert!(p(r#"{"status":"ok","allowSet":true}"#, ChannelMethod::Set).is_ok());
        assert!(p(r#"{"status":"ok"}"#, ChannelMethod::Delete).is_ok());
        assert_eq!(
            p(r#"{"status":"done"}"#, ChannelMethod::Set)
                .unwrap_err()
                .first()
                .rule(),
            "one_of"
        );
        assert_eq!(
            p(
                r#"{"channel":"beta","status":"forced"}"#,
                ChannelMethod::Get
            )
            .unwrap_err()
            .first()
            .rule(),
            "one_of"
        );
        assert!(
            p(
                r#"[{"id":1,"name":"production","public":true,"allow_self_set":false}]"#,
                ChannelMethod::List
            )
            .is_ok()
        );
        let e = p(
            r#"[{"id":"1","name":"p","public":true,"allow_self_set":false}]"#,
            ChannelMethod::List,
        )
        .unwrap_err();
        assert_eq!((e.first().field(), e.first().rule()), ("[0].id", "type"));
        assert_eq!(
            p(r#"{"status":"ok"}"#, ChannelMethod::List)
                .unwrap_err()
                .first()
                .rule(),
            "type"
        );
        let kind = p(r#"{"status":"ok","kind":"failed"}"#, ChannelMethod::Set).unwrap_err();
        assert_eq!(kind.first().field(), "error");
        let lenient =
            ChannelResponse::from_json(br#"{"status":"weird"}"#, ChannelMethod::Set, &l).unwrap();
        assert!(lenient.validate(&l).is_err());
    }
}
