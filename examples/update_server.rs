//! A minimal self-hosted Capgo update server: answers `/updates` from a directory of bundles
//! encrypted with `otaseal bundle encrypt`, serves the bundles, and acknowledges `/stats`.
//!
//! ```sh
//! otaseal bundle encrypt dist.zip --key .capgo_key_v2 -o releases/1.0.1.enc --json > releases/1.0.1.json
//! cargo run -p otaseal-examples --example update_server -- releases 127.0.0.1:8080
//! ```
//!
//! Point the app's `updateUrl` at `http://HOST:PORT/updates` (HTTPS in production: put this
//! behind a TLS proxy and pass its public base URL as the third argument).
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(addr)) = (args.next(), args.next()) else {
        eprintln!("usage: update_server RELEASES_DIR ADDR [PUBLIC_BASE_URL]");
        return ExitCode::from(2);
    };
    let public = args.next();
    match otaseal_examples::update_server::Server::bind(&addr, dir.into(), public) {
        Ok(server) => {
            eprintln!("serving updates on http://{}/updates", server.local_addr());
            server.run();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
