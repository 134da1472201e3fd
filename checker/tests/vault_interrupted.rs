//! A vault write interrupted before its rename: the previous vault stays intact and
//! opens, and the next save succeeds.
//!
//! The command line writes the vault to a private temporary file beside it
//! (`.NAME.tmp-PID`), syncs, then renames it into place. These rows interrupt that
//! for real, without a test seam:
//!
//! * the writer is killed mid-write: `prlimit --fsize` caps the size of files it
//!   may write below the vault's size, so the kernel stops the write part-way and
//!   kills the process with `SIGXFSZ`, leaving a partial temporary file;
//! * a partial temporary file from a crashed process whose id the next writer
//!   happens to reuse (a `sh` that creates it under its own id, then `exec`s the
//!   writer, which keeps that id).
//!
//! Each row runs under a watchdog (deadline and `catch_unwind`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::mpsc;
use std::time::Duration;

use engines::vault_file;

const PASS: &str = "correct horse battery staple";
const SIGXFSZ: i32 = 25;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sealwright"))
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "sealwright-interrupted-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("pass"), format!("{PASS}\n")).unwrap();
        Dir(dir)
    }
    fn p(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// Temporary files the writer left beside `vault`.
    fn leftovers(&self, vault: &str) -> Vec<PathBuf> {
        let prefix = format!(".{vault}.tmp-");
        let mut found: Vec<PathBuf> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
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

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn keygen(dir: &Dir, vault: &str) -> String {
    let stdout = ok(bin()
        .args(["keygen", "--kdf-memory-kib", "256", "--vault"])
        .arg(dir.p(vault))
        .arg("--passphrase-file")
        .arg(dir.p("pass")));
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("public:"))
        .unwrap()
        .trim()
        .to_owned()
}

/// The arguments of `evidence grant`: the vault signs "reader reads for me", saving the vault.
fn grant_args(dir: &Dir, vault: &str, reader: &str, out: &str) -> Vec<String> {
    [
        "evidence".to_owned(),
        "grant".into(),
        "--vault".into(),
        dir.p(vault).display().to_string(),
        "--passphrase-file".into(),
        dir.p("pass").display().to_string(),
        "--reader".into(),
        reader.into(),
        "-o".into(),
        dir.p(out).display().to_string(),
    ]
    .to_vec()
}

/// Opens the vault file with the passphrase: its evidence serial.
fn serial_of(path: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    vault_file::open(&bytes, PASS.as_bytes())
        .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()))
        .next_serial
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

/// Runs `check` on a thread; a panic or a run past the deadline names the row.
fn watchdog(name: &str, check: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = panic::catch_unwind(AssertUnwindSafe(check));
        let _ = tx.send(outcome.is_ok());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(true) => {}
        Ok(false) => panic!("row `{name}` failed (see its panic above)"),
        Err(_) => panic!("row `{name}` did not finish within 60 s (a hang)"),
    }
}

#[test]
fn a_writer_killed_mid_write_leaves_the_previous_vault() {
    watchdog("killed by SIGXFSZ mid-write", || {
        let dir = Dir::new("killed");
        let reader = keygen(&dir, "reader.vault");
        keygen(&dir, "v");
        let before = fs::read(dir.p("v")).unwrap();
        let serial = serial_of(&dir.p("v"));
        // Files this process writes may not exceed half the vault's size.
        let cap = before.len() / 2;
        let out = run(Command::new("prlimit")
            .arg(format!("--fsize={cap}"))
            .arg("--core=0")
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_sealwright"))
            .args(grant_args(&dir, "v", &reader, "ev")));
        assert_eq!(
            out.status.signal(),
            Some(SIGXFSZ),
            "the writer was not killed mid-write: {out:?}"
        );
        // The rename never happened: the vault is byte for byte the old one, and opens.
        assert_eq!(fs::read(dir.p("v")).unwrap(), before);
        assert_eq!(serial_of(&dir.p("v")), serial);
        assert!(!dir.p("ev").exists(), "no evidence was handed out");
        let left = dir.leftovers("v");
        assert_eq!(left.len(), 1, "one partial temporary file: {left:?}");
        assert_eq!(fs::metadata(&left[0]).unwrap().len(), cap as u64);
        // The next save succeeds, and the vault moves on.
        ok(bin().args(grant_args(&dir, "v", &reader, "ev")));
        assert_eq!(serial_of(&dir.p("v")), serial + 1);
        assert!(dir.p("ev").exists());
    });
}

#[test]
fn a_stale_temporary_file_with_the_writers_own_name_is_replaced() {
    watchdog("stale temp under the writer's own process id", || {
        let dir = Dir::new("stale");
        let reader = keygen(&dir, "reader.vault");
        keygen(&dir, "v");
        let before = fs::read(dir.p("v")).unwrap();
        let serial = serial_of(&dir.p("v"));
        // `sh` leaves a partial file named for its own id, then becomes the writer (same id).
        let out = run(Command::new("sh")
            .arg("-c")
            .arg(r#"d="$1"; shift; printf 'partial vault' > "$d/.v.tmp-$$"; exec "$@""#)
            .arg("sh")
            .arg(&dir.0)
            .arg(env!("CARGO_BIN_EXE_sealwright"))
            .args(grant_args(&dir, "v", &reader, "ev")));
        assert!(
            out.status.success(),
            "the save after a crash failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(fs::read(dir.p("v")).unwrap(), before);
        assert_eq!(serial_of(&dir.p("v")), serial + 1);
        assert!(dir.leftovers("v").is_empty(), "{:?}", dir.leftovers("v"));
    });
}
