//! The command line end to end: keygen, identity show, evidence grant, encrypt, decrypt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sealwright"))
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("sealwright-cli-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("pass"), "correct horse battery staple\n").unwrap();
        Dir(dir)
    }
    fn p(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(!out.status.success(), "{cmd:?} should fail");
    String::from_utf8(out.stderr).unwrap()
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

fn decrypt(dir: &Dir, vault: &str, input: &Path, output: &Path) -> Command {
    let mut c = bin();
    c.arg("decrypt")
        .arg("--vault")
        .arg(dir.p(vault))
        .arg("--passphrase-file")
        .arg(dir.p("pass"))
        .arg("-o")
        .arg(output)
        .arg(input);
    c
}

#[test]
fn keygen_encrypt_decrypt_round_trip() {
    let dir = Dir::new("roundtrip");
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
    let err = fails(
        bin()
            .args(["keygen", "--vault"])
            .arg(dir.p("a.vault"))
            .arg("--passphrase-file")
            .arg(dir.p("pass")),
    );
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
    let leftovers: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
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
    let dir = Dir::new("readsfor");
    let alice = keygen(&dir, "alice.vault");
    let bob = keygen(&dir, "bob.vault");
    fs::write(dir.p("alice.pub"), &alice).unwrap();
    // Bob signs "Alice reads for Bob".
    ok(bin()
        .args(["evidence", "grant", "--vault"])
        .arg(dir.p("bob.vault"))
        .arg("--passphrase-file")
        .arg(dir.p("pass"))
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
    let dir = Dir::new("pipes");
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
    let out = ok(bin()
        .args(["decrypt", "--vault"])
        .arg(dir.p("v"))
        .arg("--passphrase-file")
        .arg(dir.p("pass"))
        .arg(dir.p("ct")));
    assert_eq!(out, "piped");
}
