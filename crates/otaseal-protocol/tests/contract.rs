//! The plugin's own contract fixtures (`spec/vectors/capacitor-updater/core.json`,
//! `updateResponseKind`): how a current device normalizes the `kind` of an update response.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::fs;
use std::path::Path;

use otaseal_protocol::{
    Classification, Limits, NoUpdate, ResponseKind, UpdateResponse, classify_update_response,
};
use serde_json::{Value, json};

fn cases() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors/capacitor-updater/core.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    doc["updateResponseKind"].as_array().unwrap().clone()
}

fn case(id: &str) -> Value {
    cases()
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in core.json"))
}

/// One generated test per vector and property (`kind::up_to_date`,
/// `validates::up_to_date`, ...), so that a failure names its vector; and the list of ids that
/// the file is compared with.
macro_rules! vectors {
    ($($test:ident => $id:literal,)*) => {
        const IDS: &[&str] = &[$($id),*];

        mod kind {
            $(
                #[test]
                fn $test() {
                    super::update_response_kind_vector($id);
                }
            )*
        }

        mod validates {
            $(
                #[test]
                fn $test() {
                    super::only_known_kinds_validate($id);
                }
            )*
        }
    };
}

vectors! {
    up_to_date => "response-kind.up-to-date",
    blocked => "response-kind.blocked",
    failed => "response-kind.failed",
    missing => "response-kind.missing",
    empty => "response-kind.empty",
    unknown => "response-kind.unknown",
}

#[test]
fn every_vector_has_a_test() {
    let cases = cases();
    assert_eq!(cases.len(), 6, "the vendored file has six kind vectors");
    let ids: Vec<&str> = cases.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, IDS);
}

fn update_response_kind_vector(id: &str) {
    let case = case(id);
    let input = &case["input"]["kind"];
    let expect = ResponseKind::parse(case["expect"]["kind"].as_str().unwrap());
    assert!(expect.is_known(), "{id}");

    // The normalization function itself.
    assert_eq!(ResponseKind::normalize(input.as_str()), expect, "{id}");

    // A body with an error key and this kind, and one with the kind alone: both are
    // no-update bodies, classified with the normalized kind.
    for body in [
        json!({"error": "x", "message": "m", "kind": input}),
        json!({"kind": input}),
    ] {
        assert_eq!(
            classify_update_response(&body),
            Classification::NoUpdate(expect.clone()),
            "{id}: {body}"
        );
        // The typed reader agrees and writes the body back unchanged.
        let bytes = serde_json::to_vec(&body).unwrap();
        let r = UpdateResponse::from_json(&bytes, &Limits::default()).unwrap();
        assert_eq!(
            r.classification(),
            Classification::NoUpdate(expect.clone()),
            "{id}"
        );
        assert_eq!(serde_json::to_value(&r).unwrap(), body, "{id}");
    }
}

fn only_known_kinds_validate(id: &str) {
    let case = case(id);
    let input = &case["input"]["kind"];
    let body = json!({"error": "no_channel", "message": "m", "kind": input});
    let r = UpdateResponse::parse(&serde_json::to_vec(&body).unwrap(), &Limits::default());
    let valid = input
        .as_str()
        .is_some_and(|k| ResponseKind::parse(k).is_known());
    // no_channel is a `failed` code: only `failed` is both known and matching.
    let matches = input.as_str() == Some("failed");
    assert_eq!(r.is_ok(), valid && matches, "{id}");
}

#[test]
fn a_server_with_nothing_newer_answers_up_to_date() {
    // What a server sends when nothing is newer is up_to_date for every current plugin.
    assert_eq!(NoUpdate::up_to_date().kind(), ResponseKind::UpToDate);
}
