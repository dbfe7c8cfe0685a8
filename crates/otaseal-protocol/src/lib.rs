#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

mod builder;
mod channel;
mod device;
mod error;
mod grammar;
mod json;
mod open_enum;
mod read;
mod response;
mod stats;
mod value;

pub use builder::v2_update_response;
pub use channel::{
    ChannelCurrent, ChannelInfo, ChannelListQuery, ChannelMethod, ChannelRequest, ChannelResponse,
    ChannelStatus, UnknownChannelMethod,
};
pub use device::{DeviceInfo, Platform, UpdateRequest};
pub use error::{JsonError, LengthUnit, ValidationError, ValidationErrors, ValueError};
pub use open_enum::UnknownValue;
pub use otaseal_wire::Limits;
/// The one delta-manifest entry type of otaseal (`spec/v2.md` section 9), re-exported from
/// `otaseal_wire::manifest`; its `file_name` rules are those of `otaseal_wire::manifest`.
pub use otaseal_wire::manifest::ManifestEntry;
pub use read::to_canonical_json;
pub use response::{
    Classification, DISABLE_AUTO_UPDATE_TO_MAJOR, ErrorResponse, NO_NEW_VERSION_AVAILABLE,
    NoUpdate, RateLimited, ResponseKind, STORE_UPDATE_REQUIRED, TOO_MANY_REQUESTS, UpdateAvailable,
    UpdateResponse, classify_update_response, kind_for_error_code,
};
pub use stats::{
    MAX_METADATA_KEY_LEN, MAX_METADATA_KEYS, MAX_METADATA_VALUE_LEN, StatsAction, StatsBody,
    StatsEvent, StatsOk, StatsResponse, StatsResult,
};
pub use value::{AppId, DeviceId, HttpUrl, PluginVersion, VersionBuild, VersionName};

/// The version of the protocol specification this crate implements (`spec/protocol.md`).
pub const PROTOCOL_VERSION: &str = "0.2.0";

/// Capgo's `fixSemver`, which the backend applies to `version_build`: `builtin` and `unknown`
/// become `0.0.0`, and `.0` is appended until there are two dots.
///
/// ```
/// assert_eq!(otaseal_protocol::fix_semver("1"), "1.0.0");
/// assert_eq!(otaseal_protocol::fix_semver("2.4"), "2.4.0");
/// assert_eq!(otaseal_protocol::fix_semver("builtin"), "0.0.0");
/// assert_eq!(otaseal_protocol::fix_semver("1.2.3-rc.1"), "1.2.3-rc.1");
/// ```
#[must_use]
pub fn fix_semver(version: &str) -> std::borrow::Cow<'_, str> {
    grammar::fix_semver(version)
}

/// Which message a document is meant to be, for [`validate_json`].
///
/// ```
/// use otaseal_protocol::{ChannelMethod, MessageKind};
///
/// assert_eq!(MessageKind::UpdateResponse.name(), "response");
/// assert_eq!(MessageKind::ChannelRequest(ChannelMethod::List).name(), "channel");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// The body of `POST {updateUrl}`.
    UpdateRequest,
    /// The answer to it.
    UpdateResponse,
    /// The body of `POST {statsUrl}`: one event or a batch.
    StatsRequest,
    /// The answer to it.
    StatsResponse,
    /// A channel request: the body for `set`, `get` and `delete`, the query for `list`.
    ChannelRequest(ChannelMethod),
    /// The answer to a channel request.
    ChannelResponse(ChannelMethod),
}

impl MessageKind {
    /// A short name: `request`, `response`, `stats`, `stats-response`, `channel`,
    /// `channel-response`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            MessageKind::UpdateRequest => "request",
            MessageKind::UpdateResponse => "response",
            MessageKind::StatsRequest => "stats",
            MessageKind::StatsResponse => "stats-response",
            MessageKind::ChannelRequest(_) => "channel",
            MessageKind::ChannelResponse(_) => "channel-response",
        }
    }
}

/// Parses and validates `bytes` as a message of `kind`.
///
/// ```
/// use otaseal_protocol::{ChannelMethod, Limits, MessageKind, validate_json};
///
/// let l = Limits::default();
/// assert!(validate_json(MessageKind::StatsRequest, b"[]", &l).is_ok());
/// let e = validate_json(MessageKind::ChannelResponse(ChannelMethod::Set), br#"{"status":"ok","error":""}"#, &l)
///     .unwrap_err();
/// assert_eq!(e.first().to_string(), "error: must not be empty");
/// ```
///
/// # Errors
/// Every rule the document breaks, each naming its field.
pub fn validate_json(
    kind: MessageKind,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(), ValidationErrors> {
    match kind {
        MessageKind::UpdateRequest => UpdateRequest::parse(bytes, limits).map(drop),
        MessageKind::UpdateResponse => UpdateResponse::parse(bytes, limits).map(drop),
        MessageKind::StatsRequest => StatsBody::parse(bytes, limits).map(drop),
        MessageKind::StatsResponse => StatsResponse::parse(bytes, limits).map(drop),
        MessageKind::ChannelRequest(ChannelMethod::List) => {
            ChannelListQuery::parse(bytes, limits).map(drop)
        }
        MessageKind::ChannelRequest(m) => ChannelRequest::parse(bytes, m, limits).map(drop),
        MessageKind::ChannelResponse(m) => ChannelResponse::parse(bytes, m, limits).map(drop),
    }
}
