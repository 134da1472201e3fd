//! The command line never prints a secret: not the vault's keys, not the passphrase,
//! not the plaintext of a failed decryption.
//!
//! The command line's types live in a binary crate, out of a test's reach, so its
//! output is what is searched: every command that touches the vault is run (also
//! failing ones), and stdout and stderr are searched for each secret in lower- and
//! upper-case hex, lowercase base32, base64 and Rust's decimal array rendering. The
//! secrets are read from the vault with the passphrase; a positive control shows
//! the search finds a leak. Each row runs under a watchdog.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use engines::vault_file;

const PASS: &str = "correct horse battery staple";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sealwright"))
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("sealwright-secrets-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("pass"), format!("{PASS}\n")).unwrap();
        fs::write(dir.join("wrong"), "wrong passphrase\n").unwrap();
        Dir(dir)
    }
    fn p(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let (mut out, mut buffer, mut bits) = (String::new(), 0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks_exact(3) {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        for i in 0..4 {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The spelling of `secret` found in `text`, if any (itself if it is text, 8-byte windows, 4-number runs).
fn leak(text: &str, secret: &[u8]) -> Option<String> {
    let flat: String = text.lines().map(str::trim).collect::<Vec<_>>().join("\n");
    let mut spellings = Vec::new();
    // A secret that is text (the passphrase) as itself.
    if let Ok(text) = std::str::from_utf8(secret) {
        spellings.push(text.to_owned());
    }
    for w in secret.windows(8) {
        spellings.push(hex::encode(w));
        spellings.push(hex::encode_upper(w));
        spellings.push(base32(&w[..5]));
        spellings.push(base64(&w[..6]));
    }
    for w in secret.windows(4) {
        let compact = format!("{w:?}");
        spellings.push(compact.trim_matches(['[', ']']).to_owned());
        spellings.push(
            w.iter()
                .map(|b| format!("{b},"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    spellings
        .into_iter()
        .find(|s| text.contains(s.as_str()) || flat.contains(s.as_str()))
}

/// Runs `args`; returns stdout and stderr together, whether or not it succeeded.
fn output(args: &[String]) -> String {
    let out = bin().args(args).output().unwrap();
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

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
fn the_search_finds_a_leak() {
    let secret: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(73).wrapping_add(41))
        .collect();
    for text in [
        format!("{secret:?}"),
        format!("{secret:#?}"),
        hex::encode(&secret),
        hex::encode_upper(&secret),
        base32(&secret),
        base64(&secret[..30]),
        PASS.to_owned(),
    ] {
        let needle = if text == PASS {
            PASS.as_bytes()
        } else {
            &secret[..]
        };
        assert!(leak(&text, needle).is_some(), "missed: {text}");
    }
}

#[test]
fn no_command_prints_a_vault_secret_or_the_passphrase() {
    watchdog("every vault command", || {
        let dir = Dir::new("all");
        let v = |rest: &[&str]| {
            let mut a = args(rest);
            a.extend(args(&[
                "--vault",
                &dir.p("v"),
                "--passphrase-file",
                &dir.p("pass"),
            ]));
            a
        };
        let mut outputs = Vec::new();
        outputs.push((
            "keygen",
            output(&{
                let mut a = v(&["keygen"]);
                a.extend(args(&["--kdf-memory-kib", "256"]));
                a
            }),
        ));
        let public = outputs[0]
            .1
            .lines()
            .find_map(|l| l.strip_prefix("public:"))
            .unwrap()
            .trim()
            .to_owned();
        fs::write(dir.p("plain"), "the plaintext").unwrap();
        outputs.push((
            "identity show",
            output(&args(&["identity", "show", "--vault", &dir.p("v")])),
        ));
        outputs.push((
            "evidence grant",
            output(&v(&[
                "evidence",
                "grant",
                "--reader",
                &public,
                "-o",
                &dir.p("ev"),
            ])),
        ));
        outputs.push((
            "evidence revoke",
            output(&v(&[
                "evidence",
                "revoke",
                "--reader",
                &public,
                "-o",
                &dir.p("rev"),
            ])),
        ));
        outputs.push((
            "evidence list",
            output(&args(&["evidence", "list", &dir.p("ev"), &dir.p("rev")])),
        ));
        outputs.push(("decode vault", output(&args(&["decode", &dir.p("v")]))));
        outputs.push(("decode evidence", output(&args(&["decode", &dir.p("ev")]))));
        outputs.push((
            "encrypt",
            output(&args(&[
                "encrypt",
                "--to",
                &public,
                "-o",
                &dir.p("ct"),
                &dir.p("plain"),
            ])),
        ));
        outputs.push((
            "decode ciphertext",
            output(&args(&["decode", &dir.p("ct")])),
        ));
        outputs.push((
            "decrypt",
            output(&v(&["decrypt", "-o", &dir.p("out"), &dir.p("ct")])),
        ));
        outputs.push((
            "decrypt, wrong passphrase",
            output(&args(&[
                "decrypt",
                "--vault",
                &dir.p("v"),
                "--passphrase-file",
                &dir.p("wrong"),
                "-o",
                &dir.p("out2"),
                &dir.p("ct"),
            ])),
        ));
        let mut tampered = fs::read(dir.p("ct")).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        fs::write(dir.p("ct-bad"), tampered).unwrap();
        outputs.push((
            "decrypt, tampered",
            output(&v(&["decrypt", "-o", &dir.p("out3"), &dir.p("ct-bad")])),
        ));
        outputs.push(("decrypt to stdout", output(&v(&["decrypt", &dir.p("ct")]))));

        assert_eq!(
            fs::read(dir.p("out")).unwrap(),
            b"the plaintext",
            "decryption worked"
        );
        let state = vault_file::open(&fs::read(dir.p("v")).unwrap(), PASS.as_bytes()).unwrap();
        let mut secrets: Vec<(String, Vec<u8>)> =
            vec![("passphrase".into(), PASS.as_bytes().to_vec())];
        for held in state.identities.values() {
            secrets.push((
                "signing seed".into(),
                held.secrets.signing_seed.expose().to_vec(),
            ));
            secrets.push((
                "encryption key".into(),
                held.secrets.encryption_secret.expose().to_vec(),
            ));
        }
        assert_eq!(secrets.len(), 3, "one identity");
        for (command, text) in &outputs {
            for (what, secret) in &secrets {
                let found = leak(text, secret);
                assert!(
                    found.is_none(),
                    "`{command}` printed the {what} as `{}`:\n{text}",
                    found.unwrap_or_default()
                );
            }
        }
        // Only a successful decryption to stdout shows the plaintext.
        for (command, text) in &outputs[..outputs.len() - 1] {
            assert!(
                !text.contains("the plaintext"),
                "`{command}` printed the plaintext:\n{text}"
            );
        }
    });
}
