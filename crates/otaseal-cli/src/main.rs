//! `otaseal`: signed and encrypted OTA update bundles for Capacitor apps, byte-compatible with
//! Capgo (`@capgo/cli` and `@capgo/capacitor-updater`).
//!
//! A thin front end: every command is one module of `cmd`, and all the work is done by the
//! library crates.
#![forbid(unsafe_code)]

mod cmd;
mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Signed and encrypted OTA update bundles for Capacitor apps (Capgo-compatible).
#[derive(Debug, Parser)]
#[command(name = "otaseal", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, inspect and install RSA key pairs (Capgo's .capgo_key_v2 files).
    #[command(subcommand)]
    Key(cmd::key::KeyCommand),
    /// Zip, encrypt, decrypt and inspect Capgo encryption V2 bundles.
    #[command(subcommand)]
    Bundle(cmd::bundle::BundleCommand),
    /// Delta (manifest) updates: encrypt a web folder file by file, and apply one as a device.
    #[command(subcommand)]
    Manifest(cmd::manifest::ManifestCommand),
    /// Move an app from Capgo encryption V1 to V2: bundles, keys and capacitor.config.
    #[command(subcommand)]
    Migrate(cmd::migrate::MigrateCommand),
    /// Check JSON documents against the Capgo update protocol (spec/protocol.md).
    #[command(subcommand)]
    Protocol(cmd::protocol::ProtocolCommand),
    /// Seal a bundle as otaseal V3 (RSA-4096, AES-256-GCM, signed context); inspect one;
    /// re-seal a V2 bundle.
    Seal(Box<cmd::seal::SealCommand>),
    /// Verify and decrypt an otaseal V3 sealed bundle, atomically.
    Open(cmd::open::OpenArgs),
    /// Measure this machine: MB/s of AES-128-CBC, SHA-256, V2 decrypt and encrypt, V3 seal and
    /// open (the paths the commands run, on two cores when there are two), and µs per RSA-2048
    /// operation (docs/performance.md).
    Bench(cmd::bench::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::docs::CompletionsArgs),
    /// Print the man page of otaseal or of one of its commands, in roff.
    Man(cmd::docs::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Key(c) => cmd::key::run(c),
        Command::Bundle(c) => cmd::bundle::run(c),
        Command::Manifest(c) => cmd::manifest::run(c),
        Command::Migrate(c) => cmd::migrate::run(c),
        Command::Protocol(c) => cmd::protocol::run(c),
        Command::Seal(c) => cmd::seal::run(*c),
        Command::Open(a) => cmd::open::run(&a),
        Command::Bench(a) => cmd::bench::run(&a),
        Command::Completions(a) => cmd::docs::completions(&a),
        Command::Man(a) => cmd::docs::man(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks (duplicate flags, bad defaults) over every subcommand.
    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
