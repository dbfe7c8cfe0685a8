//! Golden fixtures (`spec/protocol.md` section 7): every file in `tests/fixtures/` parses
//! strictly as the message it is named for, validates, and is written back byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use otaseal_protocol::{
    ChannelListQuery, ChannelMethod, ChannelRequest, ChannelResponse, Classification,
    ErrorResponse, Limits, MessageKind, ResponseKind, StatsAction, StatsBody, StatsResponse,
    UpdateRequest, UpdateResponse, classify_update_response, validate_json,
};

/// What each fixture is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    UpdateRequest,
    UpdateResponse,
    Error,
    Stats,
    StatsResponse,
    ChannelRequest(ChannelMethod),
    ChannelResponse(ChannelMethod),
}

/// Lists the fixtures once: the list that the spec and the folder are compared with, and one
/// generated test per fixture (`fixture::update_request_android`, ...), so that a failure
/// names its fixture.
macro_rules! fixtures {
    ($($test:ident: $file:literal => $kind:expr,)*) => {
        const FIXTURES: &[(&str, Kind)] = &[$(($file, $kind)),*];

        mod fixture {
            use super::*;
            $(
                #[test]
                fn $test() {
                    round_trips_and_validates($file, $kind);
                }
            )*
        }
    };
}

fixtures! {
    update_request_android: "update.request.android.json" => Kind::UpdateRequest,
    update_request_ios: "update.request.ios.json" => Kind::UpdateRequest,
    update_available: "update.available.json" => Kind::UpdateResponse,
    update_available_base64: "update.available.base64.json" => Kind::UpdateResponse,
    update_available_unencrypted: "update.available.unencrypted.json" => Kind::UpdateResponse,
    update_manifest: "update.manifest.json" => Kind::UpdateResponse,
    update_up_to_date: "update.up-to-date.json" => Kind::UpdateResponse,
    update_blocked_major: "update.blocked.major.json" => Kind::UpdateResponse,
    update_blocked_key_id_mismatch: "update.blocked.key-id-mismatch.json" => Kind::UpdateResponse,
    update_failed_no_channel: "update.failed.no-channel.json" => Kind::UpdateResponse,
    update_rate_limited: "update.rate-limited.json" => Kind::UpdateResponse,
    update_rate_limited_capgo: "update.rate-limited.capgo.json" => Kind::UpdateResponse,
    error_missing_device_id: "error.missing-device-id.json" => Kind::Error,
    stats_single_android: "stats.single.android.json" => Kind::Stats,
    stats_batch_android: "stats.batch.android.json" => Kind::Stats,
    stats_batch_ios: "stats.batch.ios.json" => Kind::Stats,
    stats_batch_empty: "stats.batch.empty.json" => Kind::Stats,
    stats_response_single: "stats.response.single.json" => Kind::StatsResponse,
    stats_response_batch: "stats.response.batch.json" => Kind::StatsResponse,
    channel_set_request: "channel.set.request.json" => Kind::ChannelRequest(ChannelMethod::Set),
    channel_get_request: "channel.get.request.json" => Kind::ChannelRequest(ChannelMethod::Get),
    channel_delete_request: "channel.delete.request.json"
        => Kind::ChannelRequest(ChannelMethod::Delete),
    channel_list_query: "channel.list.query.json" => Kind::ChannelRequest(ChannelMethod::List),
    channel_set_response: "channel.set.response.json"
        => Kind::ChannelResponse(ChannelMethod::Set),
    channel_get_response: "channel.get.response.json"
        => Kind::ChannelResponse(ChannelMethod::Get),
    channel_delete_response: "channel.delete.response.json"
        => Kind::ChannelResponse(ChannelMethod::Delete),
    channel_list_response: "channel.list.response.json"
        => Kind::ChannelResponse(ChannelMethod::List),
    channel_error: "channel.error.json" => Kind::ChannelResponse(ChannelMethod::Get),
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(name: &str) -> Vec<u8> {
    fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Strict parse, then canonical text; and the same through the lenient reader.
fn round_trip(kind: Kind, bytes: &[u8]) -> (String, String) {
    let l = Limits::default();
    match kind {
        Kind::UpdateRequest => (
            UpdateRequest::parse(bytes, &l).unwrap().to_json().unwrap(),
            UpdateRequest::from_json(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
        Kind::UpdateResponse => (
            UpdateResponse::parse(bytes, &l).unwrap().to_json().unwrap(),
            UpdateResponse::from_json(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
        Kind::Error => (
            ErrorResponse::parse(bytes, &l).unwrap().to_json().unwrap(),
            ErrorResponse::from_json(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
        Kind::Stats => (
            StatsBody::parse(bytes, &l).unwrap().to_json().unwrap(),
            StatsBody::from_json(bytes, &l).unwrap().to_json().unwrap(),
        ),
        Kind::StatsResponse => (
            StatsResponse::parse(bytes, &l).unwrap().to_json().unwrap(),
            StatsResponse::from_json(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
        Kind::ChannelRequest(ChannelMethod::List) => (
            ChannelListQuery::parse(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
            ChannelListQuery::from_json(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
        Kind::ChannelRequest(m) => (
            ChannelRequest::parse(bytes, m, &l)
                .unwrap()
                .to_json()
                .unwrap(),
            ChannelRequest::from_json(bytes, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
        Kind::ChannelResponse(m) => (
            ChannelResponse::parse(bytes, m, &l)
                .unwrap()
                .to_json()
                .unwrap(),
            ChannelResponse::from_json(bytes, m, &l)
                .unwrap()
                .to_json()
                .unwrap(),
        ),
    }
}

fn message_kind(kind: Kind) -> Option<MessageKind> {
    Some(match kind {
        Kind::UpdateRequest => MessageKind::UpdateRequest,
        Kind::UpdateResponse => MessageKind::UpdateResponse,
        Kind::Stats => MessageKind::StatsRequest,
        Kind::StatsResponse => MessageKind::StatsResponse,
        Kind::ChannelRequest(m) => MessageKind::ChannelRequest(m),
        Kind::ChannelResponse(m) => MessageKind::ChannelResponse(m),
        Kind::Error => return None,
    })
}

/// A fixture parses strictly and leniently, is written back byte for byte, and validates.
fn round_trips_and_validates(name: &str, kind: Kind) {
    let bytes = read(name);
    let text = std::str::from_utf8(&bytes).unwrap();
    let (strict, lenient) = round_trip(kind, &bytes);
    assert_eq!(strict, text, "{name}: strict round trip");
    assert_eq!(lenient, text, "{name}: lenient round trip");
    if let Some(mk) = message_kind(kind) {
        validate_json(mk, &bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn every_fixture_file_is_listed_here_and_in_the_spec() {
    let on_disk: BTreeSet<String> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let listed: BTreeSet<String> = FIXTURES.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(on_disk, listed);
    let spec =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/protocol.md"))
            .unwrap();
    for name in &listed {
        assert!(
            spec.contains(&format!("`{name}`")),
            "{name} is not in spec/protocol.md"
        );
    }
}

#[test]
fn unknown_fields_round_trip_in_place() {
    // Unknown fields of a request are written after the known ones, in the order read.
    let mut text = String::from_utf8(read("update.request.android.json")).unwrap();
    text.truncate(text.len() - "\n}\n".len());
    text.push_str(",\n  \"zeta\": {\n    \"b\": 1,\n    \"a\": [\n      true\n    ]\n  },\n  \"alpha\": null\n}\n");
    let (strict, _) = round_trip(Kind::UpdateRequest, text.as_bytes());
    assert_eq!(strict, text);
    // In a no-update body they stay between message and kind, where Capgo writes them.
    let text = String::from_utf8(read("update.blocked.major.json")).unwrap();
    let r = UpdateResponse::parse(text.as_bytes(), &Limits::default()).unwrap();
    let UpdateResponse::NoUpdate(n) = &r else {
        panic!("no update")
    };
    assert_eq!(
        n.extra.keys().collect::<Vec<_>>(),
        ["major", "version", "old"]
    );
}

#[test]
fn fixtures_classify_as_android_does() {
    let expect = [
        ("update.available.json", Classification::UpdateAvailable),
        ("update.manifest.json", Classification::UpdateAvailable),
        (
            "update.up-to-date.json",
            Classification::NoUpdate(ResponseKind::UpToDate),
        ),
        (
            "update.blocked.major.json",
            Classification::NoUpdate(ResponseKind::Blocked),
        ),
        (
            "update.failed.no-channel.json",
            Classification::NoUpdate(ResponseKind::Failed),
        ),
        (
            "update.rate-limited.json",
            Classification::NoUpdate(ResponseKind::Failed),
        ),
    ];
    for (name, class) in expect {
        let bytes = read(name);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(classify_update_response(&value), class, "{name}");
        let r = UpdateResponse::parse(&bytes, &Limits::default()).unwrap();
        assert_eq!(r.classification(), class, "{name}");
    }
    let major = UpdateResponse::parse(&read("update.blocked.major.json"), &Limits::default());
    assert!(major.unwrap().is_breaking());
}

#[test]
fn typed_accessors_on_fixtures() {
    let l = Limits::default();
    let UpdateResponse::Available(u) =
        UpdateResponse::parse(&read("update.manifest.json"), &l).unwrap()
    else {
        panic!("available")
    };
    let key = u.iv_session_key(&l).unwrap().unwrap();
    assert_eq!(key.wrapped_key().len(), 256);
    assert_eq!(u.signed_checksum(&l).unwrap().block().len(), 256);
    let manifest = u.manifest.as_ref().unwrap();
    for entry in manifest {
        let hash = otaseal_wire::SignedChecksum::parse(&entry.file_hash, &l).unwrap();
        assert_eq!(hash.block().len(), 256);
    }
    let UpdateResponse::Available(b64) =
        UpdateResponse::parse(&read("update.available.base64.json"), &l).unwrap()
    else {
        panic!("available")
    };
    assert_eq!(
        b64.signed_checksum(&l).unwrap().format(),
        otaseal_wire::ChecksumFormat::Base64
    );
    let UpdateResponse::Available(plain) =
        UpdateResponse::parse(&read("update.available.unencrypted.json"), &l).unwrap()
    else {
        panic!("available")
    };
    assert_eq!(plain.iv_session_key(&l).unwrap(), None);
    assert!(plain.sha256_checksum().is_ok());

    let req = UpdateRequest::parse(&read("update.request.android.json"), &l).unwrap();
    assert_eq!(
        req.info.key_id().unwrap().unwrap().as_str(),
        "MIIBCgKCAQEAuGbpniuu"
    );
    let ios = UpdateRequest::parse(&read("update.request.ios.json"), &l).unwrap();
    assert_eq!(ios.info.effective_version_name(), Some("2.3"));
    assert_eq!(ios.info.version_build_semver().as_deref(), Some("2.3.0"));
    assert_eq!(ios.info.key_id().unwrap(), None);

    for (name, seconds) in [
        ("update.rate-limited.json", 60),
        ("update.rate-limited.capgo.json", 60),
    ] {
        let UpdateResponse::RateLimited(r) = UpdateResponse::parse(&read(name), &l).unwrap() else {
            panic!("rate limited")
        };
        assert_eq!(r.retry_after_seconds(), Some(seconds), "{name}");
        assert_eq!(r.rate_limit_reset_at(), Some(1_767_225_660_000), "{name}");
    }

    let batch = StatsBody::parse(&read("stats.batch.ios.json"), &l).unwrap();
    assert_eq!(
        batch.events()[1].action,
        Some(StatsAction::DownloadManifestFileFail)
    );
    let list = ChannelListQuery::parse(&read("channel.list.query.json"), &l).unwrap();
    let body = ChannelRequest::parse(
        &read("channel.delete.request.json"),
        ChannelMethod::Delete,
        &l,
    )
    .unwrap();
    assert_eq!(list.to_info(&l).unwrap(), body.info);
    assert_eq!(ChannelListQuery::from_info(&body.info), list);
}
