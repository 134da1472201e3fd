//! Shared by the command-line test binaries: the binary under test, a scratch
//! directory with a passphrase file, output helpers, `keygen` and a watchdog.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod traces;

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

/// The passphrase written to every scratch directory's `pass` file.
pub const PASS: &str = "correct horse battery staple";

/// How long one watchdog row may run before it counts as a hang.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A command for the `sealwright` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sealwright"))
}

/// A scratch directory, removed on drop, holding `pass` (the passphrase [`PASS`]).
pub struct Dir(pub PathBuf);

impl Dir {
    /// Creates an empty `sealwright-{prefix}-{name}-{pid}` under the temp dir, with `pass`.
    pub fn new(prefix: &str, name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("sealwright-{prefix}-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("pass"), format!("{PASS}\n")).unwrap();
        Dir(dir)
    }

    /// The path of `name` inside this directory.
    pub fn p(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// `--vault <vault> --passphrase-file <pass>`, as text arguments.
    pub fn vault_args(&self, vault: &str) -> Vec<String> {
        vec![
            "--vault".to_owned(),
            self.p(vault).display().to_string(),
            "--passphrase-file".to_owned(),
            self.p("pass").display().to_string(),
        ]
    }

    /// Temporary files a writer left: those of `vault` (`.VAULT.tmp-*`), or with `None` any `*.tmp-*`.
    pub fn leftovers(&self, vault: Option<&str>) -> Vec<PathBuf> {
        let prefix = vault.map(|v| format!(".{v}.tmp-"));
        let mut found: Vec<PathBuf> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| match &prefix {
                        Some(prefix) => n.starts_with(prefix.as_str()),
                        None => n.contains(".tmp-"),
                    })
            })
            .collect();
        found.sort();
        found
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` to completion, whatever its exit status.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

/// Runs `cmd`, asserts it succeeded, returns its stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cmd`, asserts it failed, returns its stderr.
pub fn fails(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(!out.status.success(), "{cmd:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

/// The public identity on the `public:` line of keygen's output.
pub fn public_from(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("public:"))
        .unwrap()
        .trim()
        .to_owned()
}

/// Creates the vault `vault` in `dir` (cheap KDF) and returns its public identity.
pub fn keygen(dir: &Dir, vault: &str) -> String {
    public_from(&ok(bin()
        .args(["keygen", "--kdf-memory-kib", "256"])
        .args(dir.vault_args(vault))))
}

/// Runs `check` on a thread; a panic or a run past [`DEADLINE`] names the row.
pub fn watchdog(name: &str, check: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = panic::catch_unwind(AssertUnwindSafe(check));
        let _ = tx.send(outcome.is_ok());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(true) => {}
        Ok(false) => panic!("row `{name}` failed (see its panic above)"),
        Err(_) => panic!(
            "row `{name}` did not finish within {} s (a hang)",
            DEADLINE.as_secs()
        ),
    }
}
