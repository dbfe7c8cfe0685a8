//! `otaseal completions SHELL` and `otaseal man`: generated from the command-line definition,
//! so they cannot drift from it.

use std::io::{self, Write};

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// Arguments of `otaseal completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

/// Arguments of `otaseal man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The subcommand whose page to print (for example `bundle` or `bundle decrypt`);
    /// the main page when omitted.
    command: Vec<String>,
}

/// Prints the completion script of a shell, for example
/// `otaseal completions bash > /etc/bash_completion.d/otaseal`.
pub(crate) fn completions(a: &CompletionsArgs) -> Result<()> {
    let mut cmd = crate::Cli::command();
    // Generated into memory: clap_complete panics on a write error, such as a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "otaseal", &mut script);
    io::stdout().lock().write_all(&script)?;
    Ok(())
}

/// Prints a man page in roff, for example `otaseal man > otaseal.1` or
/// `otaseal man bundle decrypt | man -l -`.
pub(crate) fn man(a: &ManArgs) -> Result<()> {
    let mut cmd = crate::Cli::command();
    cmd.build();
    let mut name = String::from("otaseal");
    for word in &a.command {
        let sub = cmd
            .find_subcommand(word)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no command {name} {word} (see otaseal --help)"))?;
        name = format!("{name}-{word}");
        cmd = sub.display_name(name.clone());
    }
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.flush()?;
    Ok(())
}
