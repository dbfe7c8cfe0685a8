//! The logic of the `update_server` example: std-only HTTP/1.1 on a TCP listener, one request
//! per connection, every input bounded by [`Limits`].
//!
//! A release directory holds, per bundle version `V`, the encrypted bundle `V.enc` and the
//! JSON that `otaseal bundle encrypt --json` printed for it, saved as `V.json`
//! (`{"filename","ivSessionKey","checksum","sha256"}`). The newest version (by semantic version
//! order) that differs from the device's `version_name` is offered.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;

use otaseal_protocol::{
    Limits, NoUpdate, UpdateAvailable, UpdateRequest, UpdateResponse, fix_semver,
};
use otaseal_wire::{IvSessionKey, SignedChecksum};
use serde_json::{Value, json};

/// Longest request head (request line and headers) read, in bytes.
const MAX_HEAD: usize = 16 << 10;

/// A bound update server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    releases: PathBuf,
    public_base: String,
    limits: Limits,
}

/// A release found in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Version name (the file stem).
    pub version: String,
    /// The bundle's `ivSessionKey`.
    pub session_key: IvSessionKey,
    /// The bundle's signed checksum.
    pub checksum: SignedChecksum,
}

impl Server {
    /// Binds to `addr` (`127.0.0.1:0` picks a free port). Bundle URLs are
    /// `PUBLIC_BASE/bundles/V.enc`, with `http://ADDR` when no public base is given.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub fn bind(addr: &str, releases: PathBuf, public_base: Option<String>) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let public_base = public_base.unwrap_or_else(|| format!("http://{local}"));
        Ok(Self {
            listener,
            releases,
            public_base: public_base.trim_end_matches('/').to_owned(),
            limits: Limits::default(),
        })
    }

    /// The address actually bound.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves connections until the process ends; a failed connection is logged and skipped.
    pub fn run(&self) {
        for stream in self.listener.incoming() {
            match stream {
                Ok(s) => {
                    if let Err(e) = self.handle(s) {
                        eprintln!("connection failed: {e}");
                    }
                }
                Err(e) => eprintln!("accept failed: {e}"),
            }
        }
    }

    /// Serves exactly `n` connections, then returns (for tests).
    ///
    /// # Errors
    /// The first I/O error of a connection.
    pub fn serve(&self, n: usize) -> io::Result<()> {
        for stream in self.listener.incoming().take(n) {
            self.handle(stream?)?;
        }
        Ok(())
    }

    fn handle(&self, stream: TcpStream) -> io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let Some((method, path, body)) = read_request(&mut reader, self.limits.max_json_len)?
        else {
            return respond(
                &stream,
                400,
                "application/json",
                br#"{"error":"bad_request","message":"malformed HTTP request"}"#,
            );
        };
        match (method.as_str(), path.as_str()) {
            ("POST", "/updates") => {
                let (status, v) = self.updates(&body);
                respond(&stream, status, "application/json", v.as_bytes())
            }
            ("POST", "/stats") => respond(&stream, 200, "application/json", br#"{"status":"ok"}"#),
            ("GET", p) if p.starts_with("/bundles/") => {
                self.bundle(&stream, &p["/bundles/".len()..])
            }
            _ => respond(
                &stream,
                404,
                "application/json",
                br#"{"error":"not_found","message":"no such endpoint"}"#,
            ),
        }
    }

    /// The JSON answer to an update request body.
    #[must_use]
    pub fn updates(&self, body: &[u8]) -> (u16, String) {
        let request = match UpdateRequest::parse(body, &self.limits) {
            Ok(r) => r,
            Err(errors) => {
                let msg = errors.to_string();
                return (
                    400,
                    json!({"error": "invalid_json_body", "message": msg}).to_string(),
                );
            }
        };
        let current = request
            .info
            .effective_version_name()
            .unwrap_or_default()
            .to_owned();
        let response = match self.newest_release() {
            Ok(Some(r)) if r.version != current => {
                let mut u = UpdateAvailable::new(
                    &r.version,
                    format!("{}/bundles/{}.enc", self.public_base, r.version),
                );
                u.session_key = Some(r.session_key.to_string());
                u.checksum = Some(Some(r.checksum.to_string()));
                UpdateResponse::Available(u)
            }
            Ok(_) => UpdateResponse::NoUpdate(NoUpdate::up_to_date()),
            Err(e) => {
                return (
                    500,
                    json!({"error": "no_bundle", "message": e.to_string(), "kind": "failed"})
                        .to_string(),
                );
            }
        };
        match response.to_json() {
            Ok(text) => (200, text),
            Err(e) => (
                500,
                json!({"error": "internal", "message": e.to_string()}).to_string(),
            ),
        }
    }

    /// The newest release of the directory by semantic version, if any.
    ///
    /// # Errors
    /// When the directory cannot be read or a release's JSON is invalid.
    pub fn newest_release(&self) -> io::Result<Option<Release>> {
        let mut best: Option<((u64, u64, u64), Release)> = None;
        for entry in fs::read_dir(&self.releases)? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Some(version) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                continue;
            };
            let Some(order) = semver_key(&version) else {
                continue;
            };
            let meta: Value =
                serde_json::from_slice(&read_limited(&path, self.limits.max_json_len)?).map_err(
                    |e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{}: {e}", path.display()),
                        )
                    },
                )?;
            let field = |k: &str| {
                meta.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let bad = |e: otaseal_wire::WireError| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            };
            let release = Release {
                version,
                session_key: IvSessionKey::parse(&field("ivSessionKey"), &self.limits)
                    .map_err(bad)?,
                checksum: SignedChecksum::parse(&field("checksum"), &self.limits).map_err(bad)?,
            };
            if best.as_ref().is_none_or(|(o, _)| order > *o) {
                best = Some((order, release));
            }
        }
        Ok(best.map(|(_, r)| r))
    }

    fn bundle(&self, stream: &TcpStream, name: &str) -> io::Result<()> {
        // Only plain version names: no separators, no dot segments.
        let version = name.strip_suffix(".enc").unwrap_or_default();
        if version.is_empty() || semver_key(version).is_none() {
            return respond(
                stream,
                404,
                "application/json",
                br#"{"error":"not_found","message":"no such bundle"}"#,
            );
        }
        match fs::File::open(self.releases.join(format!("{version}.enc"))) {
            Ok(mut f) => {
                let len = f.metadata()?.len();
                let mut w = io::BufWriter::new(stream);
                write!(
                    w,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                )?;
                io::copy(&mut f, &mut w)?;
                w.flush()
            }
            Err(_) => respond(
                stream,
                404,
                "application/json",
                br#"{"error":"not_found","message":"no such bundle"}"#,
            ),
        }
    }
}

/// `major.minor.patch` after Capgo's normalisation, or `None` for anything else.
fn semver_key(v: &str) -> Option<(u64, u64, u64)> {
    if !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let fixed = fix_semver(v);
    let mut it = fixed.split('.').map(|p| p.parse::<u64>().ok());
    let key = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(key)
}

fn read_limited(path: &std::path::Path, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    fs::File::open(path)?
        .take(max as u64 + 1)
        .read_to_end(&mut buf)?;
    if buf.len() > max {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "file too large"));
    }
    Ok(buf)
}

/// Reads one request: method, path and a body of at most `max_body` bytes. `None` for a
/// request that is not well-formed HTTP/1.1 or is over the limits.
fn read_request(
    r: &mut impl BufRead,
    max_body: usize,
) -> io::Result<Option<(String, String, Vec<u8>)>> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take((MAX_HEAD - head.len()) as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 || head.len() + n >= MAX_HEAD {
            return Ok(None);
        }
        head.extend_from_slice(&line);
    }
    let Ok(text) = std::str::from_utf8(&head) else {
        return Ok(None);
    };
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(path)) = (first.next(), first.next()) else {
        return Ok(None);
    };
    let mut len = 0usize;
    for h in lines {
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            match v.trim().parse::<usize>() {
                Ok(n) if n <= max_body => len = n,
                _ => return Ok(None),
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some((method.to_owned(), path.to_owned(), body)))
}

fn respond(mut stream: &TcpStream, status: u16, content_type: &str, body: &[u8]) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_and_reject_paths() {
        assert_eq!(semver_key("1.2.3"), Some((1, 2, 3)));
        assert_eq!(semver_key("1.2"), Some((1, 2, 0)));
        assert!(semver_key("1.10.0") > semver_key("1.9.9"));
        assert_eq!(semver_key("../1.0.0"), None);
        assert_eq!(semver_key("1.0.0/x"), None);
        assert_eq!(semver_key("builtin"), None);
    }

    #[test]
    fn request_parsing_is_bounded() {
        let ok = b"POST /updates HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        let (m, p, b) = read_request(&mut &ok[..], 100).unwrap().unwrap();
        assert_eq!(
            (m.as_str(), p.as_str(), b.as_slice()),
            ("POST", "/updates", &b"{}"[..])
        );
        let big = b"POST /updates HTTP/1.1\r\nContent-Length: 1000\r\n\r\n";
        assert!(read_request(&mut &big[..], 100).unwrap().is_none());
        let endless = vec![b'a'; MAX_HEAD + 10];
        assert!(read_request(&mut &endless[..], 100).unwrap().is_none());
    }
}
