//! A CI publisher in Rust: `otaseal_examples::publish` from the command line.
//!
//! ```sh
//! cargo run -p otaseal-examples --example publish -- dist .capgo_key_v2 releases/1.0.1
//! ```
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dist, key, out] = args.as_slice() else {
        eprintln!("usage: publish DIST_DIR PRIVATE_KEY OUT_PREFIX");
        return ExitCode::from(2);
    };
    match otaseal_examples::publish::publish(Path::new(dist), Path::new(key), out) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        // Display, not Debug: the library errors say what was wrong and with which file.
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
