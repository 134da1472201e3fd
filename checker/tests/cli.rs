//! The command line end to end: keygen, identity show, evidence grant/revoke/list, encrypt,
//! decrypt, decode, completions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{Dir, bin, fails, keygen, ok, run};

/// `sealwright ARGS --vault VAULT --passphrase-file pass`, to add to.
fn vault_cmd(dir: &Dir, args: &[&str], vault: &str) -> Command {
    let mut c = bin();
    c.args(args).args(dir.vault_args(vault));
    c
}

/// `sealwright decrypt` of `input` into `output` with the vault `vault`.
fn decrypt(dir: &Dir, vault: &str, input: &Path, output: &Path) -> Command {
    let mut c = vault_cmd(dir, &["decrypt"], vault);
    c.arg("-o").arg(output).arg(input);
    c
}

#[test]
fn keygen_encrypt_decrypt_round_trip() {
    let dir = Dir::new("cli", "roundtrip");
    let public = keygen(&dir, "a.vault");
    assert!(public.starts_with("swpub1"));
    let shown = ok(bin()
        .args(["identity", "show", "--vault"])
        .arg(dir.p("a.vault")));
    assert!(shown.contains(&public));
    // Several chunks, not a multiple of the chunk size.
    let plain: Vec<u8> = (0..300_001u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(dir.p("plain"), &plain).unwrap();
    ok(bin()
        .args(["encrypt", "--to", &public, "-o"])
        .arg(dir.p("ct"))
        .arg(dir.p("plain")));
    ok(&mut decrypt(&dir, "a.vault", &dir.p("ct"), &dir.p("out")));
    assert_eq!(fs::read(dir.p("out")).unwrap(), plain);

    // A second keygen on the same file changes nothing.
    let before = fs::read(dir.p("a.vault")).unwrap();
    let err = fails(&mut vault_cmd(&dir, &["keygen"], "a.vault"));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(fs::read(dir.p("a.vault")).unwrap(), before);

    // Wrong passphrase: a clear error and no output file.
    fs::write(dir.p("wrong"), "nope\n").unwrap();
    let err = fails(
        bin()
            .args(["decrypt", "--vault"])
            .arg(dir.p("a.vault"))
            .arg("--passphrase-file")
            .arg(dir.p("wrong"))
            .arg("-o")
            .arg(dir.p("out2"))
            .arg(dir.p("ct")),
    );
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!dir.p("out2").exists());

    // Tampered ciphertext: a typed error and no output file left behind.
    let mut ct = fs::read(dir.p("ct")).unwrap();
    let mid = ct.len() / 2;
    ct[mid] ^= 0x40;
    fs::write(dir.p("ct-bad"), &ct).unwrap();
    let err = fails(&mut decrypt(
        &dir,
        "a.vault",
        &dir.p("ct-bad"),
        &dir.p("out3"),
    ));
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!dir.p("out3").exists());
    let leftovers = dir.leftovers(None);
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Garbage instead of a ciphertext.
    fs::write(dir.p("garbage"), b"hello, not a ciphertext").unwrap();
    let err = fails(&mut decrypt(
        &dir,
        "a.vault",
        &dir.p("garbage"),
        &dir.p("out4"),
    ));
    assert!(err.contains("bad magic"), "{err}");
}

#[test]
fn reads_for_evidence_widens_recipients_and_forgeries_are_refused() {
    let dir = Dir::new("cli", "readsfor");
    let alice = keygen(&dir, "alice.vault");
    let bob = keygen(&dir, "bob.vault");
    fs::write(dir.p("alice.pub"), &alice).unwrap();
    // Bob signs "Alice reads for Bob".
    ok(vault_cmd(&dir, &["evidence", "grant"], "bob.vault")
        .arg("--reader")
        .arg(dir.p("alice.pub"))
        .arg("-o")
        .arg(dir.p("ev")));
    fs::write(dir.p("plain"), b"for bob and whoever reads for bob").unwrap();

    ok(bin()
        .args(["encrypt", "--to", &bob, "-o"])
        .arg(dir.p("direct"))
        .arg(dir.p("plain")));
    let err = fails(&mut decrypt(
        &dir,
        "alice.vault",
        &dir.p("direct"),
        &dir.p("o1"),
    ));
    assert!(err.contains("no key in this vault"), "{err}");

    ok(bin()
        .args(["encrypt", "--reads-for", "--to", &bob, "--evidence"])
        .arg(dir.p("ev"))
        .arg("-o")
        .arg(dir.p("wide"))
        .arg(dir.p("plain")));
    ok(&mut decrypt(
        &dir,
        "alice.vault",
        &dir.p("wide"),
        &dir.p("o2"),
    ));
    ok(&mut decrypt(
        &dir,
        "bob.vault",
        &dir.p("wide"),
        &dir.p("o3"),
    ));
    assert_eq!(
        fs::read(dir.p("o2")).unwrap(),
        b"for bob and whoever reads for bob"
    );

    // A forged signature is refused by the ReadsFor engine; nothing is written.
    let mut ev = fs::read(dir.p("ev")).unwrap();
    let last = ev.len() - 1;
    ev[last] ^= 1;
    fs::write(dir.p("ev-forged"), &ev).unwrap();
    let err = fails(
        bin()
            .args(["encrypt", "--reads-for", "--to", &bob, "--evidence"])
            .arg(dir.p("ev-forged"))
            .arg("-o")
            .arg(dir.p("wide2"))
            .arg(dir.p("plain")),
    );
    assert!(err.contains("signature does not verify"), "{err}");
    assert!(!dir.p("wide2").exists());
}

#[test]
fn stdin_to_stdout() {
    let dir = Dir::new("cli", "pipes");
    let public = keygen(&dir, "v");
    let ct = {
        let mut c = bin();
        c.args(["encrypt", "--to", &public]);
        let mut child = c
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"piped").unwrap();
        child.wait_with_output().unwrap().stdout
    };
    fs::write(dir.p("ct"), &ct).unwrap();
    let out = ok(vault_cmd(&dir, &["decrypt"], "v").arg(dir.p("ct")));
    assert_eq!(out, "piped");
}

#[test]
fn grant_revoke_list() {
    let dir = Dir::new("cli", "revoke");
    let alice = keygen(&dir, "alice.vault");
    keygen(&dir, "bob.vault");
    ok(vault_cmd(&dir, &["evidence", "grant"], "bob.vault")
        .args(["--reader", &alice, "-o"])
        .arg(dir.p("ev")));
    ok(vault_cmd(&dir, &["evidence", "revoke"], "bob.vault")
        .args(["--reader", &alice, "-o"])
        .arg(dir.p("rev")));
    let listed = ok(bin()
        .args(["evidence", "list"])
        .arg(dir.p("ev"))
        .arg(dir.p("rev")));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].contains("evidence") && lines[0].contains("serial 1"),
        "{listed}"
    );
    assert!(
        lines[1].contains("revocation") && lines[1].contains("serial 2"),
        "{listed}"
    );
    assert!(
        lines.iter().all(|l| l.contains("signature verifies")),
        "{listed}"
    );
    let alice_id = ok(bin().args(["decode"]).arg(dir.p("ev")))
        .lines()
        .find_map(|l| l.trim().strip_prefix("reader:"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(lines.iter().all(|l| l.contains(&alice_id)), "{listed}");

    // The serial the revocation used was saved: the next grant goes above it.
    let out = run(vault_cmd(&dir, &["evidence", "grant"], "bob.vault")
        .args(["--reader", &alice, "-o"])
        .arg(dir.p("ev2")));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("serial 3"));

    // A revocation by identity id alone.
    ok(vault_cmd(&dir, &["evidence", "revoke"], "bob.vault")
        .args(["--reader", &alice_id, "-o"])
        .arg(dir.p("rev2")));
    assert!(ok(bin().args(["evidence", "list"]).arg(dir.p("rev2"))).contains("serial 4"));

    // A flipped signature bit still lists, as not verifying.
    let mut rev = fs::read(dir.p("rev")).unwrap();
    let last = rev.len() - 1;
    rev[last] ^= 1;
    fs::write(dir.p("rev-forged"), &rev).unwrap();
    let listed = ok(bin().args(["evidence", "list"]).arg(dir.p("rev-forged")));
    assert!(listed.contains("revocation"), "{listed}");
    assert!(listed.contains("signature does not verify"), "{listed}");

    // Garbage: its own error line, the other files still listed, and a failing exit.
    fs::write(dir.p("junk"), b"\xa1\x61x\x01 not evidence").unwrap();
    let out = run(bin()
        .args(["evidence", "list"])
        .arg(dir.p("junk"))
        .arg(dir.p("ev")));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("junk") && stderr.contains("not reads-for evidence"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("signature verifies"));
}

/// An envelope carrying a message with fields, as the engines exchange.
fn envelope_bytes(public: &str) -> Vec<u8> {
    use spec::message::{Plaintext, RequestEncrypt};
    use spec::{Address, CorrelationId, Envelope, codec};
    codec::encode(&Envelope {
        sender: Address::new("cli").unwrap(),
        target: Address::new("local/encryption").unwrap(),
        correlation: CorrelationId(42),
        message: RequestEncrypt {
            data: Plaintext(b"hello".to_vec()),
            external_identity: public.parse().unwrap(),
            use_reads_for: true,
        }
        .into(),
    })
}

#[test]
fn decode_shows_each_format() {
    let dir = Dir::new("cli", "decode");
    let alice = keygen(&dir, "alice.vault");
    let bob = keygen(&dir, "bob.vault");

    fs::write(dir.p("env"), envelope_bytes(&alice)).unwrap();
    let shown = ok(bin().arg("decode").arg(dir.p("env")));
    assert!(shown.contains("envelope"), "{shown}");
    assert!(shown.contains("sender:       cli"), "{shown}");
    assert!(shown.contains("target:       local/encryption"), "{shown}");
    assert!(shown.contains("correlation:  42"), "{shown}");
    assert!(shown.contains("message:      RequestEncrypt"), "{shown}");
    assert!(shown.contains("use_reads_for: true"), "{shown}");

    ok(vault_cmd(&dir, &["evidence", "grant"], "bob.vault")
        .args(["--reader", &alice, "-o"])
        .arg(dir.p("ev")));
    let shown = ok(bin().arg("decode").arg(dir.p("ev")));
    assert!(shown.contains("reads-for evidence"), "{shown}");
    assert!(shown.contains(&alice) && shown.contains(&bob), "{shown}");
    assert!(shown.contains("serial:       1"), "{shown}");
    assert!(shown.contains("signature:    verifies"), "{shown}");

    // Two recipients, two chunks of 64 KiB plus a short one.
    fs::write(dir.p("plain"), vec![7u8; 2 * 65536 + 5]).unwrap();
    ok(bin()
        .args(["encrypt", "--to", &alice, "--to", &bob, "-o"])
        .arg(dir.p("ct"))
        .arg(dir.p("plain")));
    let shown = ok(bin().arg("decode").arg(dir.p("ct")));
    assert!(shown.contains("ciphertext"), "{shown}");
    assert!(shown.contains("chunk size:   65536 bytes"), "{shown}");
    assert!(shown.contains("recipients:   2"), "{shown}");
    assert!(shown.contains("3 chunks"), "{shown}");
    assert!(shown.contains("131077 bytes of plaintext"), "{shown}");
    let ids = ok(bin()
        .args(["identity", "show", "--vault"])
        .arg(dir.p("alice.vault")));
    for line in ids.lines() {
        // Alice's id and key id are among the recipients, in their text forms.
        if let Some(v) = line.strip_prefix("id:").or(line.strip_prefix("key id:")) {
            assert!(shown.contains(v.trim()), "{shown} lacks {v}");
        }
    }

    let shown = ok(bin().arg("decode").arg(dir.p("alice.vault")));
    assert!(shown.contains("vault file"), "{shown}");
    assert!(shown.contains("sealwright-vault/v1"), "{shown}");
    assert!(shown.contains(&alice), "{shown}");

    // `-` reads stdin.
    let mut child = bin()
        .args(["decode", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&fs::read(dir.p("ev")).unwrap()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("reads-for evidence"));
}

/// Decode must fail cleanly: non-zero exit, an error line, never a panic.
fn decode_refuses(dir: &Dir, bytes: &[u8], what: &str) {
    fs::write(dir.p("input"), bytes).unwrap();
    let out = run(bin().arg("decode").arg(dir.p("input")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what}: decode accepted it");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(stderr.contains("error:"), "{what}: {stderr}");
}

#[test]
fn decode_refuses_garbage_and_truncations_without_panicking() {
    let dir = Dir::new("cli", "decode-garbage");
    let alice = keygen(&dir, "alice.vault");
    ok(vault_cmd(&dir, &["evidence", "grant"], "alice.vault")
        .args(["--reader", &alice, "-o"])
        .arg(dir.p("ev")));
    ok(vault_cmd(&dir, &["evidence", "revoke"], "alice.vault")
        .args(["--reader", &alice, "-o"])
        .arg(dir.p("rev")));
    fs::write(dir.p("plain"), b"short").unwrap();
    ok(bin()
        .args(["encrypt", "--to", &alice, "-o"])
        .arg(dir.p("ct"))
        .arg(dir.p("plain")));

    // Random bytes of assorted lengths (xorshift: reproducible, no extra dependency).
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for len in [0usize, 1, 3, 8, 9, 64, 117, 500, 4096] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        decode_refuses(&dir, &bytes, &format!("{len} random bytes"));
    }
    // Every CBOR format cut short, at a spread of places.
    for name in ["ev", "rev", "alice.vault"] {
        let whole = fs::read(dir.p(name)).unwrap();
        let step = (whole.len() / 12).max(1);
        for cut in (0..whole.len()).step_by(step).chain([whole.len() - 1]) {
            decode_refuses(&dir, &whole[..cut], &format!("{name} cut at {cut}"));
        }
    }
    let env = envelope_bytes(&alice);
    for cut in (0..env.len()).step_by(7) {
        decode_refuses(&dir, &env[..cut], &format!("envelope cut at {cut}"));
    }
    // A ciphertext cut inside its header, or so early in the payload that no chunk fits.
    let ct = fs::read(dir.p("ct")).unwrap();
    let header = 9 + 108;
    for cut in [
        1,
        4,
        8,
        9,
        10,
        50,
        header - 1,
        header,
        header + 1,
        header + 15,
    ] {
        decode_refuses(&dir, &ct[..cut], &format!("ciphertext cut at {cut}"));
    }
    // A bad header field after a good magic.
    let mut bad = ct.clone();
    bad[4] = 9;
    decode_refuses(&dir, &bad, "ciphertext with version 9");
}

#[test]
fn completions_and_help() {
    let bash = ok(bin().args(["completions", "bash"]));
    assert!(bash.contains("sealwright"), "{bash}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(ok(bin().args(["completions", shell])).contains("sealwright"));
    }
    let err = fails(bin().args(["completions", "tcsh"]));
    assert!(err.contains("possible values"), "{err}");
    // Commands that need arguments show their help instead of a bare error.
    for args in [&[][..], &["evidence"], &["evidence", "revoke"], &["decode"]] {
        let err = fails(bin().args(args));
        assert!(err.contains("Usage:"), "{args:?}: {err}");
    }
    for args in [
        &["evidence", "revoke", "--help"][..],
        &["evidence", "list", "--help"],
        &["decode", "--help"],
        &["completions", "--help"],
    ] {
        let help = ok(bin().args(args));
        assert!(help.lines().count() > 3, "{args:?}: {help}");
    }
}

#[test]
fn load_with_kills_reports_every_request_answered() {
    let out = ok(bin().args(["load", "--requests", "2000", "--kill-every", "50", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["sent"], 2000, "{report}");
    assert_eq!(report["replies"], 2000);
    assert_eq!(report["lost"], 0);
    assert_eq!(report["wrong"], 0);
    assert_eq!(report["node"]["rejections"], 0);
    assert!(report["kills"].as_u64().unwrap() >= 30, "{report}");
    assert!(
        report["node"]["restarts"].as_u64().unwrap() >= 20,
        "{report}"
    );
    // Bad bounds are a clear error, not a panic.
    let err = fails(bin().args(["load", "--clients", "1"]));
    assert!(err.contains("at least 2 clients"), "{err}");
}
