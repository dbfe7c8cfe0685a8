//! `otaseal completions` and `otaseal man`.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::process::Output;

fn otaseal(args: &[&str]) -> Output {
    otaseal_testkit::cli::output(env!("CARGO_BIN_EXE_otaseal"), args, None)
}

/// The completion scripts and man pages are generated from the command-line definition.
#[test]
fn completions_and_man_pages() {
    for (shell, needle) in [
        ("bash", "_otaseal()"),
        ("zsh", "#compdef otaseal"),
        ("fish", "complete -c otaseal"),
    ] {
        let out = otaseal(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(needle), "{shell}: {text}");
        assert!(text.contains("decrypt"), "{shell} completes subcommands");
    }
    let out = otaseal(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with(".ie"), "{page}");
    assert!(page.contains(".TH otaseal 1"), "{page}");
    let out = otaseal(&["man", "bundle", "decrypt"]);
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH otaseal-bundle-decrypt 1"), "{page}");
    assert!(page.contains("checksum"), "{page}");
    let out = otaseal(&["man", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no command otaseal nope"));
}
