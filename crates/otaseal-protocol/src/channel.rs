//! `{channelUrl}` (Capgo's `channel_self`): set, get, unset and list a device's channel.

use std::fmt;
use std::str::FromStr;

use otaseal_wire::Limits;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::check::{Checker, Req, read_document};
use crate::device::{DeviceInfo, Profile, check_info};
use crate::error::{ValidationError, ValidationErrors};
use crate::message::{self, message_methods};
use crate::response::{ErrorResponse, check_error_response};

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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelRequest {
    /// The device info object.
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// The channel to set (POST only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Unknown fields, in the order they were read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn check_channel_body(c: &mut Checker<'_>, v: &Value, method: ChannelMethod) {
    let Some(o) = c.object(v) else { return };
    check_info(c, o, Profile::Channel);
    let req = if method == ChannelMethod::Set {
        Req::NonEmpty
    } else {
        Req::Optional
    };
    c.string(o, "channel", req);
}

fn check_set(c: &mut Checker<'_>, v: &Value) {
    check_channel_body(c, v, ChannelMethod::Set);
}

fn check_get(c: &mut Checker<'_>, v: &Value) {
    check_channel_body(c, v, ChannelMethod::Get);
}

fn request_check(method: ChannelMethod) -> message::CheckFn {
    match method {
        ChannelMethod::Set => check_set,
        ChannelMethod::Get | ChannelMethod::Delete => check_get,
        ChannelMethod::List => check_list_query,
    }
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

    /// Parses and validates the body of a `method` request (`set`, `get` or `delete`; a
    /// `list` request has no body, see [`ChannelListQuery`]).
    ///
    /// # Errors
    /// Every rule the document breaks, each naming its field.
    pub fn parse(
        bytes: &[u8],
        method: ChannelMethod,
        limits: &Limits,
    ) -> Result<Self, ValidationErrors> {
        message::parse_strict(bytes, limits, request_check(method))
    }

    /// Reads a body leniently: size, syntax and the JSON types of known fields.
    ///
    /// # Errors
    /// The structural errors.
    pub fn from_json(bytes: &[u8], limits: &Limits) -> Result<Self, ValidationErrors> {
        message::parse_lenient(bytes, limits, check_get)
    }

    /// Checks every rule of a `method` request.
    ///
    /// # Errors
    /// Every rule the message breaks, each naming its field.
    pub fn validate(&self, method: ChannelMethod, limits: &Limits) -> Result<(), ValidationErrors> {
        if method == ChannelMethod::List {
            return ChannelListQuery::from_info(&self.info).validate(limits);
        }
        message::validate_typed(self, limits, request_check(method))
    }

    /// The canonical JSON text.
    ///
    /// # Errors
    /// Never for values of this crate; see [`to_canonical_json`](crate::to_canonical_json).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        message::to_canonical_json(self)
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
        self.validate(limits)?;
        let converted = Value::Object(query_to_body(&self.params));
        serde_json::from_value(converted).map_err(|e| {
            ValidationErrors::one(ValidationError::Shape {
                message: e.to_string(),
            })
        })
    }
}

/// The query as a JSON body: `"true"`/`"false"` become booleans for the boolean fields; other
/// values are left as they are.
fn query_to_body(params: &Map<String, Value>) -> Map<String, Value> {
    params
        .iter()
        .map(|(k, v)| {
            let v = match (QUERY_BOOLEANS.contains(&k.as_str()), v.as_str()) {
                (true, Some("true")) => Value::Bool(true),
                (true, Some("false")) => Value::Bool(false),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn check_list_query(c: &mut Checker<'_>, v: &Value) {
    let Some(o) = c.object(v) else { return };
    let mut body = Map::new();
    for (k, v) in o {
        let Value::String(s) = v else {
            c.wrong_type(k, "a string (query parameter)");
            continue;
        };
        let value = if QUERY_BOOLEANS.contains(&k.as_str()) {
            if !c.one_of(k, s, &["true", "false"]) {
                continue;
            }
            Value::Bool(s == "true")
        } else {
            v.clone()
        };
        body.insert(k.clone(), value);
    }
    check_info(c, &body, Profile::Channel);
    c.string(&body, "channel", Req::Optional);
}

message_methods!(ChannelListQuery, check_list_query, "a channel list query");

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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelStatus {
    /// `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether the device may set its channel itself.
    #[serde(rename = "allowSet", default, skip_serializing_if = "Option::is_none")]
    pub allow_set: Option<bool>,
    /// Clear the stored channel (a public channel was requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unset: Option<bool>,
    /// A human-readable note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
}

/// A `get` success: the device's channel and whether it is an override.
///
/// ```
/// use otaseal_protocol::ChannelCurrent;
///
/// let c = ChannelCurrent::new("production", false, Some(true));
/// assert_eq!(c.status.as_deref(), Some("default"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelCurrent {
    /// The channel name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// `override` or `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether the device may set its channel itself.
    #[serde(rename = "allowSet", default, skip_serializing_if = "Option::is_none")]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// The channel's numeric id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it is public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Whether devices may set themselves to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

fn check_status(c: &mut Checker<'_>, v: &Value) {
    let Some(o) = c.object(v) else { return };
    if let Some(s) = c.string(o, "status", Req::Required) {
        c.one_of("status", s, &["ok"]);
    }
    c.boolean(o, "allowSet", Req::Optional);
    c.boolean(o, "unset", Req::Optional);
    c.string(o, "message", Req::Optional);
}

fn check_current(c: &mut Checker<'_>, v: &Value) {
    let Some(o) = c.object(v) else { return };
    c.string(o, "channel", Req::NonEmpty);
    if let Some(s) = c.string(o, "status", Req::Required) {
        c.one_of("status", s, &["override", "default"]);
    }
    c.boolean(o, "allowSet", Req::Optional);
}

fn check_list(c: &mut Checker<'_>, v: &Value) {
    let Value::Array(items) = v else {
        let field = c.here();
        c.push(ValidationError::WrongType {
            field,
            expected: "an array of channels",
        });
        return;
    };
    for (i, item) in items.iter().enumerate() {
        c.nested(&format!("[{i}]"), |c| {
            let Some(o) = c.object(item) else { return };
            c.uint(o, "id", Req::Required);
            c.string(o, "name", Req::NonEmpty);
            c.boolean(o, "public", Req::Required);
            c.boolean(o, "allow_self_set", Req::Required);
        });
    }
}

fn check_error(c: &mut Checker<'_>, v: &Value) {
    if let Some(o) = c.object(v) {
        check_error_response(c, o);
    }
}

fn response_check(v: &Value, method: ChannelMethod) -> message::CheckFn {
    if is_error_body(v, method) {
        return check_error;
    }
    match method {
        ChannelMethod::Set | ChannelMethod::Delete => check_status,
        ChannelMethod::Get => check_current,
        ChannelMethod::List => check_list,
    }
}

impl ChannelResponse {
    fn typed(value: Value, method: ChannelMethod) -> Result<Self, ValidationErrors> {
        let shape = |e: serde_json::Error| {
            ValidationErrors::one(ValidationError::Shape {
                message: e.to_string(),
            })
        };
        if is_error_body(&value, method) {
            return serde_json::from_value(value)
                .map(ChannelResponse::Error)
                .map_err(shape);
        }
        match method {
            ChannelMethod::Set | ChannelMethod::Delete => serde_json::from_value(value)
                .map(ChannelResponse::Status)
                .map_err(shape),
            ChannelMethod::Get => serde_json::from_value(value)
                .map(ChannelResponse::Current)
                .map_err(shape),
            ChannelMethod::List => serde_json::from_value(value)
                .map(ChannelResponse::List)
                .map_err(shape),
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
        let value = read_document(bytes, limits)?;
        message::check_value(&value, limits, response_check(&value, method))?;
        Self::typed(value, method)
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
        let value = read_document(bytes, limits)?;
        let mut c = Checker::new(limits);
        response_check(&value, method)(&mut c, &value);
        let structural = c
            .into_errors()
            .into_iter()
            .filter(ValidationError::is_structural)
            .collect();
        if let Some(e) = ValidationErrors::from_vec(structural) {
            return Err(e);
        }
        Self::typed(value, method)
    }

    /// Checks every rule of the response.
    ///
    /// # Errors
    /// Every rule the message breaks, each naming its field.
    pub fn validate(&self, limits: &Limits) -> Result<(), ValidationErrors> {
        let check: message::CheckFn = match self {
            ChannelResponse::Status(_) => check_status,
            ChannelResponse::Current(_) => check_current,
            ChannelResponse::List(_) => check_list,
            ChannelResponse::Error(_) => check_error,
        };
        message::validate_typed(self, limits, check)
    }

    /// The canonical JSON text.
    ///
    /// # Errors
    /// Never for values of this crate; see [`to_canonical_json`](crate::to_canonical_json).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        message::to_canonical_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let r = if m == ChannelMethod::List {
            ChannelListQuery::parse(&bytes, &Limits::DEFAULT).map(|_| ())
        } else {
            ChannelRequest::parse(&bytes, m, &Limits::DEFAULT).map(|_| ())
        };
        match r {
            Ok(()) => vec![],
            Err(e) => e
                .iter()
                .map(|e| format!("{} {}", e.field(), e.rule()))
                .collect(),
        }
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
