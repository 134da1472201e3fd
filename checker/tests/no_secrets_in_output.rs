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

mod common;

use std::fs;

use common::{Dir, PASS, bin, public_from, run, watchdog};
use engines::vault_file;

/// The project's own text encoding: a leak would be spelled this way.
use spec::text::base32_encode as base32;

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
    let out = run(bin().args(args));
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
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
        let dir = Dir::new("secrets", "all");
        fs::write(dir.p("wrong"), "wrong passphrase\n").unwrap();
        let p = |name: &str| dir.p(name).display().to_string();
        let v = |rest: &[&str]| {
            let mut a = args(rest);
            a.extend(dir.vault_args("v"));
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
        let public = public_from(&outputs[0].1);
        fs::write(dir.p("plain"), "the plaintext").unwrap();
        outputs.push((
            "identity show",
            output(&args(&["identity", "show", "--vault", &p("v")])),
        ));
        outputs.push((
            "evidence grant",
            output(&v(&[
                "evidence",
                "grant",
                "--reader",
                &public,
                "-o",
                &p("ev"),
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
                &p("rev"),
            ])),
        ));
        outputs.push((
            "evidence list",
            output(&args(&["evidence", "list", &p("ev"), &p("rev")])),
        ));
        outputs.push(("decode vault", output(&args(&["decode", &p("v")]))));
        outputs.push(("decode evidence", output(&args(&["decode", &p("ev")]))));
        outputs.push((
            "encrypt",
            output(&args(&[
                "encrypt",
                "--to",
                &public,
                "-o",
                &p("ct"),
                &p("plain"),
            ])),
        ));
        outputs.push(("decode ciphertext", output(&args(&["decode", &p("ct")]))));
        outputs.push((
            "decrypt",
            output(&v(&["decrypt", "-o", &p("out"), &p("ct")])),
        ));
        outputs.push((
            "decrypt, wrong passphrase",
            output(&args(&[
                "decrypt",
                "--vault",
                &p("v"),
                "--passphrase-file",
                &p("wrong"),
                "-o",
                &p("out2"),
                &p("ct"),
            ])),
        ));
        let mut tampered = fs::read(dir.p("ct")).unwrap();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        fs::write(dir.p("ct-bad"), tampered).unwrap();
        outputs.push((
            "decrypt, tampered",
            output(&v(&["decrypt", "-o", &p("out3"), &p("ct-bad")])),
        ));
        outputs.push(("decrypt to stdout", output(&v(&["decrypt", &p("ct")]))));

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
