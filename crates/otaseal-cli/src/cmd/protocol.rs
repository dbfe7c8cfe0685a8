//! `otaseal protocol`: check JSON documents against the Capgo update protocol
//! (`spec/protocol.md`).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use otaseal_protocol::{
    ChannelMethod, Limits, MessageKind, ValidationError, ValidationErrors, validate_json,
};
use otaseal_wire::{Limit, LimitExceeded};
use serde_json::{Value, json};

use crate::util::print_json;

/// Protocol commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ProtocolCommand {
    /// Check that a JSON document is a valid message of the given kind (exit 1 if not, naming
    /// each field and the rule it breaks).
    Validate(ValidateArgs),
}

/// What a document is meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// Body of POST {updateUrl}.
    Request,
    /// Answer to it: update, no update (with kind), rate limit.
    Response,
    /// Body of POST {statsUrl}: one event or a batch.
    Stats,
    /// Answer to a stats request.
    StatsResponse,
    /// Body (set, get, delete) or query (list) of a channel request.
    Channel,
    /// Answer to a channel request.
    ChannelResponse,
}

/// A channel request's method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Method {
    /// POST: setChannel.
    Set,
    /// PUT: getChannel.
    Get,
    /// DELETE: unsetChannel.
    Delete,
    /// GET: listChannels (the document holds the query parameters).
    List,
}

impl From<Method> for ChannelMethod {
    fn from(m: Method) -> Self {
        match m {
            Method::Set => ChannelMethod::Set,
            Method::Get => ChannelMethod::Get,
            Method::Delete => ChannelMethod::Delete,
            Method::List => ChannelMethod::List,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// What the document is.
    kind: Kind,
    /// The JSON document, or - for standard input.
    file: PathBuf,
    /// For channel documents: the method. By default, `set` for a request with a `channel`
    /// field and `get` otherwise; for a response, `list` for an array, `get` for an object with
    /// a `channel` field and `set` otherwise.
    #[arg(long)]
    method: Option<Method>,
    /// Print a JSON object: {"valid", "kind", "errors": [{"field", "rule", "message"}]}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: ProtocolCommand) -> Result<()> {
    match cmd {
        ProtocolCommand::Validate(a) => validate(&a),
    }
}

/// The method a channel document is for, when not given.
fn detect_method(kind: Kind, bytes: &[u8]) -> ChannelMethod {
    let value: Option<Value> = serde_json::from_slice(bytes).ok();
    let has_channel = value.as_ref().is_some_and(|v| v.get("channel").is_some());
    match kind {
        Kind::ChannelResponse if value.as_ref().is_some_and(Value::is_array) => ChannelMethod::List,
        _ if has_channel && kind == Kind::Channel => ChannelMethod::Set,
        Kind::ChannelResponse if has_channel => ChannelMethod::Get,
        Kind::ChannelResponse => ChannelMethod::Set,
        _ => ChannelMethod::Get,
    }
}

fn message_kind(kind: Kind, method: ChannelMethod) -> MessageKind {
    match kind {
        Kind::Request => MessageKind::UpdateRequest,
        Kind::Response => MessageKind::UpdateResponse,
        Kind::Stats => MessageKind::StatsRequest,
        Kind::StatsResponse => MessageKind::StatsResponse,
        Kind::Channel => MessageKind::ChannelRequest(method),
        Kind::ChannelResponse => MessageKind::ChannelResponse(method),
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Request => "update request",
        Kind::Response => "update response",
        Kind::Stats => "stats body",
        Kind::StatsResponse => "stats response",
        Kind::Channel => "channel request",
        Kind::ChannelResponse => "channel response",
    }
}

/// One reported problem: field, rule, message.
struct Problem {
    field: String,
    rule: String,
    message: String,
}

impl From<&ValidationError> for Problem {
    fn from(e: &ValidationError) -> Self {
        Problem {
            field: e.field().to_owned(),
            rule: e.rule().to_owned(),
            message: e.message(),
        }
    }
}

fn problems(e: &ValidationErrors) -> Vec<Problem> {
    e.iter().map(Problem::from).collect()
}

/// Reads the document (standard input for `-`), but never more than one byte past
/// `max_json_len`: a longer document is reported as the `max_json_len` rule, with the size of
/// the file, or for standard input what was read when the limit was hit.
fn read_document(path: &Path, limits: &Limits) -> Result<Result<Vec<u8>, LimitExceeded>> {
    let what = path.display();
    let past_limit = limits.max(Limit::JsonLen).saturating_add(1);
    let mut buf = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin()
            .lock()
            .take(past_limit)
            .read_to_end(&mut buf)
            .context("reading standard input")?;
    } else {
        let file = File::open(path).with_context(|| format!("cannot open {what}"))?;
        let len = file.metadata().map_or(0, |m| m.len());
        if let Err(e) = limits.check(Limit::JsonLen, len) {
            return Ok(Err(e));
        }
        file.take(past_limit)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read {what}"))?;
    }
    Ok(limits.check(Limit::JsonLen, buf.len() as u64).map(|()| buf))
}

fn validate(a: &ValidateArgs) -> Result<()> {
    let is_channel = matches!(a.kind, Kind::Channel | Kind::ChannelResponse);
    if a.method.is_some() && !is_channel {
        bail!("--method applies to channel and channel-response documents only");
    }
    let limits = Limits::default();
    // The size is checked before anything is parsed, method detection included.
    let document = read_document(&a.file, &limits)?;
    let method = match (a.method, &document) {
        (Some(m), _) => m.into(),
        (None, Ok(bytes)) => detect_method(a.kind, bytes),
        (None, Err(_)) => detect_method(a.kind, b""),
    };
    let kind = message_kind(a.kind, method);
    let found = match document {
        Err(error) => vec![Problem::from(&ValidationError::TooLarge { error })],
        Ok(bytes) => match validate_json(kind, &bytes, &limits) {
            Ok(()) => vec![],
            Err(e) => problems(&e),
        },
    };
    let file = a.file.display();
    let what = describe(a.kind);
    if a.json {
        let mut report = json!({
            "valid": found.is_empty(),
            "kind": kind.name(),
            "errors": found
                .iter()
                .map(|p| json!({"field": p.field, "rule": p.rule, "message": p.message}))
                .collect::<Vec<_>>(),
        });
        if is_channel {
            report["method"] = json!(method.as_str());
        }
        print_json(&report)?;
    } else if found.is_empty() {
        let method_note = if is_channel {
            format!(" ({method})")
        } else {
            String::new()
        };
        println!("ok: {file} is a valid {what}{method_note}");
    } else {
        for p in &found {
            eprintln!("{}: {} [rule {}]", p.field, p.message, p.rule);
        }
    }
    match found.as_slice() {
        [] => Ok(()),
        [only] => bail!(
            "{file} is not a valid {what}: {} breaks rule {}",
            only.field,
            only.rule
        ),
        [first, rest @ ..] => bail!(
            "{file} is not a valid {what}: {} breaks rule {} (and {} more)",
            first.field,
            first.rule,
            rest.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_methods_are_detected() {
        assert_eq!(
            detect_method(Kind::Channel, br#"{"channel":"beta"}"#),
            ChannelMethod::Set
        );
        assert_eq!(detect_method(Kind::Channel, b"{}"), ChannelMethod::Get);
        assert_eq!(
            detect_method(Kind::Channel, b"not json"),
            ChannelMethod::Get
        );
        assert_eq!(
            detect_method(Kind::ChannelResponse, b"[]"),
            ChannelMethod::List
        );
        assert_eq!(
            detect_method(
                Kind::ChannelResponse,
                br#"{"channel":"b","status":"default"}"#
            ),
            ChannelMethod::Get
        );
        assert_eq!(
            detect_method(Kind::ChannelResponse, br#"{"status":"ok"}"#),
            ChannelMethod::Set
        );
    }
}
