//! `sign`, `verify`, signs-for evidence and names end to end, as a table: each row is one command line
//! run in a scratch directory (alice, bob and carol's vaults, signatures and evidence made once),
//! the status it must exit with, and what its output must say.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use common::{Dir, bin, keygen, ok, run, watchdog};
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use spec::message::Commitment;
use spec::{ExternalIdentity, codec};

/// The most data `sign` and `verify` take: the Verification engine's default limit.
const MAX_DATA: usize = 1 << 20;

struct Row {
    what: &'static str,
    /// The command line, split at spaces and run in the scratch directory (`@NAME` stands for
    /// `--vault NAME.vault --passphrase-file pass`).
    args: &'static str,
    /// The exit status.
    status: i32,
    /// What stdout (on success) or stderr (on failure) must contain.
    says: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        what: "alice's signature over hello.txt is alice's",
        args: "verify --by alice.pub --signature alice.sig hello.txt",
        status: 0,
        says: "verified: signed by sw1",
    },
    Row {
        what: "a tampered file is refused",
        args: "verify --by alice.pub --signature alice.sig tampered.txt",
        status: 1,
        says: "the signature does not match this file",
    },
    Row {
        what: "a signature whose bytes were changed is refused like a tampered file",
        args: "verify --by alice.pub --signature flipped.sig hello.txt",
        status: 1,
        says: "the signature does not match this file",
    },
    Row {
        what: "alice's signature is not bob's",
        args: "verify --by bob.pub --signature alice.sig hello.txt",
        status: 1,
        says: "it was made with another key",
    },
    Row {
        what: "bob, who signs for alice, is not alice without --signs-for",
        args: "verify --by alice.pub --signature bob.sig hello.txt",
        status: 1,
        says: "verify with --signs-for and the evidence",
    },
    Row {
        what: "bob signs for alice: accepted with --signs-for and the evidence",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence bob-signs-alice.ev hello.txt",
        status: 0,
        says: "who signs for sw1",
    },
    Row {
        what: "--signs-for without the evidence does not accept bob",
        args: "verify --by alice.pub --signature bob.sig --signs-for hello.txt",
        status: 1,
        says: "no evidence given names that key's identity",
    },
    Row {
        what: "a file tampered after bob signed it is refused with the evidence too",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence bob-signs-alice.ev tampered.txt",
        status: 1,
        says: "the signature does not match this file",
    },
    Row {
        what: "revoked evidence no longer lets bob sign for alice",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence bob-signs-alice.ev --evidence bob-revoked.rv hello.txt",
        status: 1,
        says: "whose signs-for evidence was revoked",
    },
    Row {
        what: "the revocation given before the evidence revokes it all the same",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence bob-revoked.rv --evidence bob-signs-alice.ev hello.txt",
        status: 1,
        says: "whose signs-for evidence was revoked",
    },
    Row {
        what: "evidence granted again after the revocation counts again",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence bob-revoked.rv --evidence bob-signs-alice.ev --evidence bob-signs-alice-again.ev hello.txt",
        status: 0,
        says: "who signs for sw1",
    },
    Row {
        what: "a chain: carol signs for bob, who signs for alice",
        args: "verify --by alice.pub --signature carol.sig --signs-for --evidence carol-signs-bob.ev --evidence bob-signs-alice.ev hello.txt",
        status: 0,
        says: "who signs for sw1",
    },
    Row {
        what: "evidence that leads elsewhere does not count",
        args: "verify --by alice.pub --signature carol.sig --signs-for --evidence carol-signs-bob.ev hello.txt",
        status: 1,
        says: "no chain of the evidence given leads from",
    },
    Row {
        what: "reads-for evidence is not signs-for evidence",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence bob-reads-alice.ev hello.txt",
        status: 3,
        says: "it is reads-for evidence",
    },
    Row {
        what: "a file that is not evidence is refused",
        args: "verify --by alice.pub --signature bob.sig --signs-for --evidence garbage.sig hello.txt",
        status: 3,
        says: "not signs-for evidence",
    },
    Row {
        what: "a garbage signature file is bad input, not a panic",
        args: "verify --by alice.pub --signature garbage.sig hello.txt",
        status: 3,
        says: "garbage.sig is not a signature",
    },
    Row {
        what: "a signature file cut short is bad input",
        args: "verify --by alice.pub --signature cut.sig hello.txt",
        status: 3,
        says: "cut.sig is not a signature",
    },
    Row {
        what: "an empty signature file is bad input",
        args: "verify --by alice.pub --signature empty.sig hello.txt",
        status: 3,
        says: "empty.sig is not a signature",
    },
    Row {
        what: "evidence given as a signature is bad input",
        args: "verify --by alice.pub --signature bob-signs-alice.ev hello.txt",
        status: 3,
        says: "is not a signature",
    },
    Row {
        what: "a missing signature file is an I/O failure",
        args: "verify --by alice.pub --signature missing.sig hello.txt",
        status: 5,
        says: "cannot open missing.sig",
    },
    Row {
        what: "--by that is no identity is bad input",
        args: "verify --by nobody --signature alice.sig hello.txt",
        status: 3,
        says: "neither a public identity",
    },
    Row {
        what: "--evidence needs --signs-for",
        args: "verify --by alice.pub --signature bob.sig --evidence bob-signs-alice.ev hello.txt",
        status: 2,
        says: "--signs-for",
    },
    Row {
        what: "a file of exactly 1 MiB is signed",
        args: "sign @alice -o max.sig max.bin",
        status: 0,
        says: "",
    },
    Row {
        what: "and verifies",
        args: "verify --by alice.pub --signature max.sig max.bin",
        status: 0,
        says: "verified",
    },
    Row {
        what: "a file one byte over 1 MiB is refused before the passphrase is read",
        args: "sign @alice -o big.sig big.bin",
        status: 3,
        says: "larger than 1 MiB",
    },
    Row {
        what: "nor verified",
        args: "verify --by alice.pub --signature max.sig big.bin",
        status: 3,
        says: "larger than 1 MiB",
    },
    Row {
        what: "a wrong passphrase is refused",
        args: "sign --vault alice.vault --passphrase-file wrong.pass -o x.sig hello.txt",
        status: 4,
        says: "wrong passphrase",
    },
    Row {
        what: "evidence grant needs --reader or --signer",
        args: "evidence grant @alice -o x.ev",
        status: 2,
        says: "--signer",
    },
    Row {
        what: "and not both",
        args: "evidence grant @alice --reader bob.pub --signer bob.pub -o x.ev",
        status: 2,
        says: "cannot be used with",
    },
    Row {
        what: "an identity always signs for itself: no evidence for that",
        args: "evidence grant @alice --signer alice.pub -o x.ev",
        status: 3,
        says: "this vault's own identity",
    },
    Row {
        what: "a top-level name claimed by its holder resolves to it",
        args: "name resolve alice --evidence alice.name",
        status: 0,
        says: "swpub1",
    },
    Row {
        what: "a dotted name vouched for by its parent's holder resolves",
        args: "name resolve alice.phone --evidence alice.name --evidence alice.phone.name",
        status: 0,
        says: "swpub1",
    },
    Row {
        what: "a dotted name not vouched for by the parent's holder is refused and does not resolve",
        args: "name resolve alice.evil --evidence alice.name --evidence alice.evil.name",
        status: 1,
        says: "not vouched for",
    },
    Row {
        what: "the first claim wins: a later claim to a taken name is refused, naming the holder",
        args: "name resolve alice.phone --evidence bob-claims-alice.name --evidence alice.name --evidence alice.phone.name",
        status: 1,
        says: "the name is taken: identity sw1",
    },
    Row {
        what: "releasing the parent unresolves the child",
        args: "name resolve alice.phone --evidence alice.name --evidence alice.phone.name --evidence alice.released",
        status: 1,
        says: "the parent name `alice` resolves to no identity",
    },
    Row {
        what: "a name nobody holds",
        args: "name resolve carol",
        status: 1,
        says: "no identity holds this name",
    },
    Row {
        what: "a badly spelt name is a usage error",
        args: "name grant @alice Alice -o x.name",
        status: 2,
        says: "is not a name",
    },
    Row {
        what: "a file that is no name statement",
        args: "name resolve alice --evidence alice.sig",
        status: 3,
        says: "not name evidence",
    },
    Row {
        what: "decode shows a name statement",
        args: "decode alice.phone.name",
        status: 0,
        says: "name evidence",
    },
];

/// `args` with `@NAME` expanded to NAME's vault and the passphrase file.
fn expand(args: &[&str]) -> Vec<String> {
    args.iter()
        .flat_map(|a| match a.strip_prefix('@') {
            Some(name) => vec![
                "--vault".to_owned(),
                format!("{name}.vault"),
                "--passphrase-file".to_owned(),
                "pass".to_owned(),
            ],
            None => vec![(*a).to_owned()],
        })
        .collect()
}

/// Runs `args` in `dir`, which must succeed.
fn step(dir: &Dir, args: &[&str]) -> String {
    ok(bin().current_dir(&dir.0).args(expand(args)))
}

/// Alice, bob and carol's vaults and public identities, their signatures over hello.txt, and
/// signs-for evidence: bob signs for alice (revoked, then granted again), carol signs for bob.
fn fixture(dir: &Dir) {
    for name in ["alice", "bob", "carol"] {
        let public = keygen(dir, &format!("{name}.vault"));
        fs::write(dir.p(&format!("{name}.pub")), public).unwrap();
    }
    fs::write(dir.p("hello.txt"), "Hello, signed.\n").unwrap();
    fs::write(dir.p("tampered.txt"), "Hello, signeD.\n").unwrap();
    fs::write(dir.p("wrong.pass"), "not the passphrase\n").unwrap();
    fs::write(dir.p("max.bin"), vec![7u8; MAX_DATA]).unwrap();
    fs::write(dir.p("big.bin"), vec![7u8; MAX_DATA + 1]).unwrap();
    for name in ["alice", "bob", "carol"] {
        let sig = format!("{name}.sig");
        step(dir, &["sign", &format!("@{name}"), "-o", &sig, "hello.txt"]);
    }
    let grant = |by: &str, relation: &str, member: &str, out: &str| {
        step(dir, &["evidence", "grant", by, relation, member, "-o", out]);
    };
    grant("@alice", "--signer", "bob.pub", "bob-signs-alice.ev");
    grant("@alice", "--reader", "bob.pub", "bob-reads-alice.ev");
    step(
        dir,
        &[
            "evidence",
            "revoke",
            "@alice",
            "--signer",
            "bob.pub",
            "-o",
            "bob-revoked.rv",
        ],
    );
    grant("@alice", "--signer", "bob.pub", "bob-signs-alice-again.ev");
    grant("@bob", "--signer", "carol.pub", "carol-signs-bob.ev");
    step(
        dir,
        &["name", "grant", "@alice", "alice", "-o", "alice.name"],
    );
    step(
        dir,
        &[
            "name",
            "grant",
            "@bob",
            "alice",
            "-o",
            "bob-claims-alice.name",
        ],
    );
    let vouch = ["name", "grant", "@alice", "alice.phone", "--for", "bob.pub"];
    step(dir, &[&vouch[..], &["-o", "alice.phone.name"]].concat());
    step(
        dir,
        &[
            "name",
            "grant",
            "@bob",
            "alice.evil",
            "-o",
            "alice.evil.name",
        ],
    );
    step(
        dir,
        &["name", "revoke", "@alice", "alice", "-o", "alice.released"],
    );
    let sig = fs::read(dir.p("alice.sig")).unwrap();
    let mut flipped = sig.clone();
    *flipped.last_mut().unwrap() ^= 1;
    fs::write(dir.p("flipped.sig"), flipped).unwrap();
    fs::write(dir.p("cut.sig"), &sig[..sig.len() / 2]).unwrap();
    fs::write(dir.p("empty.sig"), b"").unwrap();
    fs::write(dir.p("garbage.sig"), b"not a signature at all\n").unwrap();
}

#[test]
fn sign_and_verify_rows() {
    watchdog("sign and verify rows", || {
        let dir = Dir::new("sign", "rows");
        fixture(&dir);
        for row in ROWS {
            let args: Vec<&str> = row.args.split_whitespace().collect();
            let out = run(bin().current_dir(&dir.0).args(expand(&args)));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(row.status),
                "{}: {}\nstdout: {stdout}\nstderr: {stderr}",
                row.what,
                row.args
            );
            let said = if row.status == 0 { &stdout } else { &stderr };
            assert!(
                said.contains(row.says),
                "{}: expected `{}` in\n{said}",
                row.what,
                row.says
            );
            assert!(!stderr.contains("panicked"), "{}: {stderr}", row.what);
        }
        assert_eq!(dir.leftovers(None), Vec::<std::path::PathBuf>::new());
        assert!(
            !dir.p("big.sig").exists(),
            "a refused sign wrote a signature"
        );
    });
}

/// The signature file is the canonical CBOR of the commitment the engines define: alice's
/// verifying key and her Ed25519 signature over the commitment statement of the file's bytes.
#[test]
fn the_signature_file_is_the_commitment_in_canonical_cbor() {
    watchdog("signature format", || {
        let dir = Dir::new("sign", "format");
        let alice: ExternalIdentity = keygen(&dir, "alice.vault").parse().unwrap();
        let data = b"the bytes themselves, not a hash";
        fs::write(dir.p("data"), data).unwrap();
        step(&dir, &["sign", "@alice", "-o", "data.sig", "data"]);
        let bytes = fs::read(dir.p("data.sig")).unwrap();
        assert_eq!(bytes.len(), 124);
        let commitment: Commitment = codec::decode(&bytes).unwrap();
        assert_eq!(commitment.verifying_key, alice.verifying_key);
        HpkeBackend::new()
            .verify(
                &alice.verifying_key,
                &Commitment::statement_bytes(data),
                &commitment.signature,
            )
            .unwrap();
    });
}

/// Data from stdin, the signature to stdout, and back.
#[test]
fn stdin_and_stdout() {
    watchdog("stdin and stdout", || {
        let dir = Dir::new("sign", "pipes");
        keygen(&dir, "alice.vault");
        let public = step(&dir, &["identity", "show", "--vault", "alice.vault"]);
        let public = common::public_from(&public);
        let data = b"piped data\n";
        let mut child = bin()
            .current_dir(&dir.0)
            .args(expand(&["sign", "@alice"]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(data).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        fs::write(dir.p("piped.sig"), &out.stdout).unwrap();
        let mut child = bin()
            .current_dir(&dir.0)
            .args(["verify", "--by", &public, "--signature", "piped.sig", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(data).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("verified: signed by sw1"));
    });
}

/// `sign`, signs-for `evidence grant`/`revoke` and `verify` print no secret of the vault: not
/// the signing seed or encryption key (raw, hex or base32, in 8-byte windows), not the passphrase.
#[test]
fn no_secret_is_printed() {
    watchdog("no secrets", || {
        let dir = Dir::new("sign", "secrets");
        keygen(&dir, "alice.vault");
        let bob = keygen(&dir, "bob.vault");
        fs::write(dir.p("bob.pub"), bob).unwrap();
        fs::write(dir.p("hello.txt"), "Hello, signed.\n").unwrap();
        fs::write(dir.p("wrong.pass"), "not the passphrase\n").unwrap();
        let mut printed: Vec<u8> = Vec::new();
        for line in [
            "sign @alice -o alice.sig hello.txt",
            "sign @alice hello.txt",
            "sign --vault alice.vault --passphrase-file wrong.pass hello.txt",
            "evidence grant @alice --signer bob.pub -o bob.ev",
            "evidence revoke @alice --signer bob.pub -o bob.rv",
            "sign @bob -o bob.sig hello.txt",
            "verify --by alice.vault --signature alice.sig hello.txt",
            "verify --by bob.pub --signature alice.sig hello.txt",
            "verify --by bob.pub --signature bob.ev hello.txt",
        ] {
            let args: Vec<&str> = line.split_whitespace().collect();
            let out = run(bin().current_dir(&dir.0).args(expand(&args)));
            printed.extend(&out.stdout);
            printed.extend(&out.stderr);
        }
        for file in ["alice.sig", "bob.ev", "bob.rv"] {
            printed.extend(fs::read(dir.p(file)).unwrap());
        }
        let text = String::from_utf8_lossy(&printed).to_string();
        assert!(!text.contains(common::PASS), "the passphrase was printed");
        let vault = fs::read(dir.p("alice.vault")).unwrap();
        let state = engines::vault_file::open(&vault, common::PASS.as_bytes()).unwrap();
        for held in state.identities.values() {
            for secret in [
                held.secrets.signing_seed.expose(),
                held.secrets.encryption_secret.expose(),
            ] {
                for w in secret.windows(8) {
                    assert!(!printed.windows(8).any(|p| p == w), "raw secret bytes");
                    for spelled in [
                        hex::encode(w),
                        hex::encode_upper(w),
                        spec::text::base32_encode(&w[..5]),
                    ] {
                        assert!(!text.contains(&spelled), "a secret spelled {spelled}");
                    }
                }
            }
        }
    });
}
