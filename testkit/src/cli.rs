//! Running the `otaseal` binary from a test: one helper for every CLI test file.
//!
//! ```ignore
//! let cli = Cli::new(env!("CARGO_BIN_EXE_otaseal"));
//! let out = cli.run(&["key", "inspect", "k1.pub", "--json"]);
//! out.success();
//! assert_eq!(out.json()["bits"], 2048);
//! ```

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary under test, with a working folder.
#[derive(Debug)]
pub struct Cli {
    bin: PathBuf,
    dir: Option<PathBuf>,
    env: Vec<(String, String)>,
}

impl Cli {
    /// The binary at `bin` (pass `env!("CARGO_BIN_EXE_otaseal")`).
    #[must_use]
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self {
            bin: bin.into(),
            dir: None,
            env: Vec::new(),
        }
    }

    /// Runs in `dir`.
    #[must_use]
    pub fn in_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Sets an environment variable for every run.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut c = command(&self.bin);
        c.args(args);
        if let Some(d) = &self.dir {
            c.current_dir(d);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs with `args` and no standard input.
    #[must_use]
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        let out = self
            .command(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        Run::new(args, out)
    }

    /// Runs with `args`, writing `stdin` to its standard input.
    #[must_use]
    pub fn run_with_stdin<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        Run::new(args, child.wait_with_output().unwrap())
    }
}

/// The environment variable that names the program running the binary under test, with its
/// arguments separated by spaces: an emulator when the tests are cross-compiled. Cargo runs
/// the test binaries through `CARGO_TARGET_<TRIPLE>_RUNNER`, but a process they start is
/// executed by the host kernel, which cannot run a foreign binary; `cross_env` in
/// `scripts/cross-env.sh` sets both to the same value (`qemu-aarch64 -cpu max -L
/// /usr/aarch64-linux-gnu`).
pub const RUNNER_ENV: &str = "OTASEAL_TEST_RUNNER";

/// A [`Command`] for the binary `bin`, through the runner of [`RUNNER_ENV`] when it is set:
/// every test that starts `otaseal` starts it here.
#[must_use]
pub fn command(bin: impl AsRef<OsStr>) -> Command {
    let runner = std::env::var(RUNNER_ENV).unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(bin);
            c
        }
        None => Command::new(bin),
    }
}

/// What one run printed, with assertions that show both streams on failure.
#[derive(Debug)]
pub struct Run {
    /// The arguments, for messages.
    pub args: String,
    /// The process output.
    pub output: Output,
}

impl Run {
    fn new<S: AsRef<OsStr>>(args: &[S], output: Output) -> Self {
        let args = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Self { args, output }
    }

    /// Standard output, as text.
    #[must_use]
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error, as text.
    #[must_use]
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The exit code.
    #[must_use]
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Asserts exit code 0; returns `self`.
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert!(
            self.output.status.success(),
            "otaseal {} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.code(),
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Asserts a non-zero exit code and that standard error contains `needle`; returns `self`.
    #[track_caller]
    pub fn failure(&self, needle: &str) -> &Self {
        assert!(
            !self.output.status.success(),
            "otaseal {} succeeded but should have failed\nstdout:\n{}",
            self.args,
            self.stdout()
        );
        assert!(
            self.stderr().contains(needle),
            "otaseal {}: stderr lacks {needle:?}\nstderr:\n{}",
            self.args,
            self.stderr()
        );
        self
    }

    /// Standard output parsed as JSON.
    #[track_caller]
    #[must_use]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|e| {
            panic!(
                "otaseal {}: stdout is not JSON ({e})\nstdout:\n{}\nstderr:\n{}",
                self.args,
                self.stdout(),
                self.stderr()
            )
        })
    }
}

/// Runs `bin` with `args` in `cwd` (the current folder when `None`), with no standard input.
#[must_use]
pub fn output<S: AsRef<OsStr>>(bin: &str, args: &[S], cwd: Option<&Path>) -> Output {
    let cli = Cli::new(bin);
    let cli = match cwd {
        Some(d) => cli.in_dir(d),
        None => cli,
    };
    cli.run(args).output
}

/// Asserts a successful run and parses its standard output as JSON (showing standard error
/// on failure).
#[track_caller]
#[must_use]
pub fn json_ok(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(out)
}

/// Parses a run's standard output as JSON, whatever its exit code.
#[track_caller]
#[must_use]
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A run's standard error, as text.
#[must_use]
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
