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

mod common;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use common::{Dir, PASS, bin, keygen, ok, run, watchdog};
use engines::vault_file;

const SIGXFSZ: i32 = 25;

/// The arguments of `evidence grant`: the vault signs "reader reads for me", saving the vault.
fn grant_args(dir: &Dir, vault: &str, reader: &str, out: &str) -> Vec<String> {
    let mut args = vec!["evidence".to_owned(), "grant".into()];
    args.extend(dir.vault_args(vault));
    args.extend([
        "--reader".into(),
        reader.into(),
        "-o".into(),
        dir.p(out).display().to_string(),
    ]);
    args
}

/// Opens the vault file with the passphrase: its evidence serial.
fn serial_of(path: &Path) -> u64 {
    let bytes = fs::read(path).unwrap();
    vault_file::open(&bytes, PASS.as_bytes())
        .unwrap_or_else(|e| panic!("{} does not open: {e}", path.display()))
        .next_serial
}

#[test]
fn a_writer_killed_mid_write_leaves_the_previous_vault() {
    watchdog("killed by SIGXFSZ mid-write", || {
        let dir = Dir::new("interrupted", "killed");
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
        let left = dir.leftovers(Some("v"));
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
        let dir = Dir::new("interrupted", "stale");
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
        assert!(
            dir.leftovers(Some("v")).is_empty(),
            "{:?}",
            dir.leftovers(Some("v"))
        );
    });
}
