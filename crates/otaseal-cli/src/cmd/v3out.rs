//! Output shared by the V3 commands (`seal`, `open`, `key rotate`): the header as JSON, failures
//! with their `spec/v3.md` 7.1, 8.3 and 11 codes, the clock.

use std::time::{SystemTime, UNIX_EPOCH};

use otaseal_envelope::v3::{self, OpenError, RotationError, SealError, StateError};
use serde_json::{Value, json};

use crate::util::{format_time, print_json};

/// The header as JSON: public values only (fingerprints, sizes, context).
pub(crate) fn header_json(h: &v3::Header) -> Value {
    let c = h.context();
    json!({
        "format": "otaseal-v3",
        "suite": h.suite().name(),
        "suite_id": h.suite().id(),
        "signer": h.signer().to_string(),
        "app_id": c.app_id,
        "channel": c.channel,
        "bundle_version": c.bundle_version,
        "sequence": c.sequence,
        "created_at": c.created_at,
        "created_at_rfc3339": format_time(c.created_at),
        "expires_at": c.expires_at,
        "expires_at_rfc3339": format_time(c.expires_at),
        "plaintext_len": h.plaintext_len(),
        "chunk_size": h.chunk_size(),
        "chunk_count": h.chunk_count(),
        "recipients": h.recipients().iter().map(|r| json!({
            "fingerprint": r.fingerprint.to_string(),
            "wrapped_key_len": r.wrapped_key.len(),
        })).collect::<Vec<_>>(),
    })
}

/// Prints `{"error": code, "message": ...}` (`docs/json.md`) when `json`, then returns the error
/// with its code (`spec/v3.md` section 7.1).
fn fail(code: &'static str, e: anyhow::Error, json: bool) -> anyhow::Error {
    if json {
        let _ = print_json(&json!({"error": code, "message": format!("{e:#}")}));
    }
    e.context(format!("[{code}]"))
}

/// [`fail`] for an opening failure.
pub(crate) fn fail_open(e: OpenError, json: bool) -> anyhow::Error {
    let code = e.code();
    fail(code, e.into(), json)
}

/// [`fail`] for a refused rotation statement (`spec/v3.md` section 8.3).
pub(crate) fn fail_rotation(e: RotationError, json: bool) -> anyhow::Error {
    let code = e.code();
    fail(code, e.into(), json)
}

/// [`fail`] for a verifier-state failure (`spec/v3.md` section 11).
pub(crate) fn fail_state(e: StateError, json: bool) -> anyhow::Error {
    let code = e.code();
    fail(code, e.into(), json)
}

/// The system clock, in Unix seconds.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// [`fail`] for a sealing failure.
pub(crate) fn fail_seal(e: SealError, json: bool) -> anyhow::Error {
    let code = e.code();
    fail(code, e.into(), json)
}
