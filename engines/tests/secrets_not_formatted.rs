//! Secrets never appear in `Debug` or `Display` output.
//!
//! Every secret-holding type of `engines` and `spec` is built around known secret
//! bytes, formatted with `{:?}`, `{:#?}` (and `{}` where it has `Display`), and the
//! text is searched for the secret in every spelling it could take: lower- and
//! upper-case hex, the project's lowercase base32, base64 (standard and URL-safe),
//! and Rust's decimal array renderings (`[209, 122, ...` and its `{:#?}` form),
//! for the whole secret and for 8-byte pieces of it. A positive control shows the
//! search finds each spelling in a deliberately leaking string. Each type is one
//! row under the watchdog of `common`. (The command line's output is searched the
//! same way in `checker/tests/no_secrets_in_output.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;

use common::{Case, ensure, run_table};
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::{KeyEntry, KeyRing};
use sealwright_engines::cookie::{CookieKey, CookieRing};
use sealwright_engines::decryption::{Decryption, DecryptionState, VaultIdentity};
use sealwright_engines::encryption::{Encryption, EncryptionState};
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::local::{LocalNode, NodeEngine};
use sealwright_engines::reads_for::ReadsFor;
use sealwright_engines::runtime::NodeConfig;
use sealwright_engines::secret::Secret32;
use sha2::{Digest, Sha256};
use spec::effects::Effects;
use spec::message::*;
use spec::*;

/// Distinctive secret bytes (no runs, no small values a format could hold by chance).
fn secret(label: &str) -> [u8; 32] {
    Sha256::digest(format!("sealwright/tests/secret/{label}")).into()
}

/// The project's own text encoding: a leak would be spelled this way.
use spec::text::base32_encode as base32;

fn base64(bytes: &[u8], url: bool) -> String {
    let alphabet: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Every spelling of `secret` (and of 8-byte windows of it) to search for, named.
fn spellings(secret: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pieces = vec![("whole".to_owned(), secret.to_vec())];
    for start in 0..=secret.len().saturating_sub(8) {
        pieces.push((
            format!("bytes {start}.."),
            secret[start..start + 8].to_vec(),
        ));
    }
    // 8-byte windows: 16 hex characters; base32 and base64 of their whole groups
    // (5 and 6 bytes: 8 characters), which do not depend on what follows.
    for (what, piece) in pieces {
        out.push((format!("{what} lowercase hex"), hex::encode(&piece)));
        out.push((format!("{what} uppercase hex"), hex::encode_upper(&piece)));
        let b32 = if piece.len() == 8 {
            &piece[..5]
        } else {
            &piece[..]
        };
        out.push((format!("{what} base32"), base32(b32)));
        let b64 = &piece[..piece.len() / 3 * 3];
        out.push((format!("{what} base64"), base64(b64, false)));
        out.push((format!("{what} base64url"), base64(b64, true)));
    }
    // Rust's renderings of byte arrays: any run of 4 numbers, compact (`209, 122, 60, 5`)
    // or pretty (one per line), with the array's opening bracket or without.
    for start in 0..=secret.len().saturating_sub(4) {
        let run = &secret[start..start + 4];
        let compact = format!("{run:?}");
        out.push((
            format!("decimal run at {start}"),
            compact.trim_matches(['[', ']']).into(),
        ));
        let pretty = format!("{run:#?}");
        let lines: Vec<&str> = pretty
            .lines()
            .filter(|l| l.trim() != "[" && l.trim() != "]")
            .map(str::trim)
            .collect();
        out.push((format!("pretty decimal run at {start}"), lines.join("\n")));
    }
    out
}

/// Pretty output indents; compare it with the indentation removed.
fn unindented(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// The first spelling of `secret` found in `text`, if any.
fn leak(text: &str, secret: &[u8]) -> Option<String> {
    let flat = unindented(text);
    spellings(secret)
        .into_iter()
        .find(|(_, s)| !s.is_empty() && (text.contains(s.as_str()) || flat.contains(s.as_str())))
        .map(|(what, s)| format!("{what} `{s}`"))
}

/// `{:?}` and `{:#?}` of `value` (and `display`, if given) hold none of `secrets`.
fn redacted<T: Debug>(
    value: &T,
    display: Option<String>,
    secrets: &[[u8; 32]],
) -> Result<(), String> {
    let mut text = format!("{value:?}\n{value:#?}");
    if let Some(d) = display {
        text.push('\n');
        text.push_str(&d);
    }
    for s in secrets {
        if let Some(found) = leak(&text, s) {
            return Err(format!("leaks the secret as {found} in:\n{text}"));
        }
    }
    Ok(())
}

#[test]
fn the_search_finds_every_spelling_in_a_leaking_string() {
    let s = secret("control");
    let leaking = [
        ("{:?}", format!("Leaky({:?})", s)),
        ("{:#?}", format!("Leaky({:#?})", s)),
        ("{:?} of a piece", format!("{:?}", &s[3..9])),
        ("hex", format!("key={}", hex::encode(s))),
        ("HEX", format!("key={}", hex::encode_upper(s))),
        ("hex piece", hex::encode(&s[8..16])),
        ("base32", format!("swsecret1{}", base32(&s))),
        ("base64", base64(&s, false)),
        ("base64url", base64(&s, true)),
        ("base64 piece", base64(&s[0..9], false)),
        ("{:?} of a Vec", format!("{:?}", s.to_vec())),
    ];
    for (what, text) in leaking {
        assert!(
            leak(&text, &s).is_some(),
            "the search missed a leak by {what}: {text}"
        );
    }
    // And it does not cry wolf on text without the secret.
    let other = secret("other");
    assert_eq!(leak(&format!("{other:?} {}", hex::encode(other)), &s), None);
}

fn identity(label: &str) -> (InternalIdentity, [u8; 32], [u8; 32]) {
    let (seed, enc) = (
        secret(&format!("{label}/seed")),
        secret(&format!("{label}/enc")),
    );
    let id = InternalIdentity {
        external: ExternalIdentity {
            verifying_key: [0x11; 32],
            encryption_key: [0x22; 32],
        },
        signing_seed: Secret32::new(seed),
        encryption_secret: Secret32::new(enc),
    };
    (id, seed, enc)
}

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

#[test]
fn no_secret_holding_type_formats_its_secret() {
    let mut cases = Vec::new();
    let cookie_bytes = secret("cookie");
    let cookie = CookieKey {
        epoch: 3,
        key: Secret32::new(cookie_bytes),
    };
    let (alice, seed, enc) = identity("alice");
    let all = vec![seed, enc, cookie_bytes];

    let s = Secret32::new(seed);
    let secrets = all.clone();
    cases.push(Case::new("Secret32", move || redacted(&s, None, &secrets)));

    let a = alice.clone();
    let secrets = all.clone();
    cases.push(Case::new("InternalIdentity", move || {
        redacted(&a, None, &secrets)
    }));

    let c = cookie.clone();
    let secrets = all.clone();
    cases.push(Case::new("CookieKey", move || redacted(&c, None, &secrets)));

    let mut ring = CookieRing::new(cookie.clone());
    ring.rotate();
    let secrets = all.clone();
    cases.push(Case::new("CookieRing (current and previous)", move || {
        // The rotated key is derived from the known one: search for both.
        let next = ring.current().key.expose().to_owned();
        let mut secrets = secrets;
        secrets.push(next);
        redacted(&ring, None, &secrets)
    }));

    let state = EncryptionState {
        cookies: CookieRing::new(cookie.clone()),
    };
    let secrets = all.clone();
    cases.push(Case::new("EncryptionState", move || {
        redacted(&state, None, &secrets)
    }));

    let entry = KeyEntry {
        identity: alice.id(),
        secret: alice.encryption_secret.clone(),
    };
    let keys: KeyRing = [(alice.key_id(), entry.clone())].into_iter().collect();
    let secrets = all.clone();
    cases.push(Case::new("KeyEntry", move || {
        redacted(&entry, None, &secrets)
    }));
    let secrets = all.clone();
    cases.push(Case::new("KeyRing", move || {
        redacted(&keys, None, &secrets)
    }));

    let mut vault = DecryptionState::default();
    vault.insert(addr("alice"), alice.clone());
    let held = VaultIdentity {
        owner: addr("alice"),
        secrets: alice.clone(),
        capabilities: Capabilities::Decrypt,
    };
    let secrets = all.clone();
    cases.push(Case::new("VaultIdentity", move || {
        redacted(&held, None, &secrets)
    }));
    let v = vault.clone();
    let secrets = all.clone();
    cases.push(Case::new("DecryptionState", move || {
        redacted(&v, None, &secrets)
    }));

    let config = NodeConfig {
        vault: vault.clone(),
        ..NodeConfig::default()
    };
    let secrets = all.clone();
    cases.push(Case::new("runtime::NodeConfig", move || {
        redacted(&config, None, &secrets)
    }));

    let engines = vec![
        NodeEngine::Encryption(
            Encryption::new(addr("e"), addr("r")),
            EncryptionState {
                cookies: CookieRing::new(cookie.clone()),
            },
        ),
        NodeEngine::Decryption(
            Decryption::new(addr("v"), Some(addr("i")), BTreeSet::new()),
            vault.clone(),
        ),
    ];
    let e = engines.clone();
    let secrets = all.clone();
    cases.push(Case::new("NodeEngine", move || {
        redacted(&e, None, &secrets)
    }));
    let secrets = all.clone();
    cases.push(Case::new("LocalNode with the HPKE backend", move || {
        let mut node = LocalNode::new(HpkeBackend::new());
        for (i, engine) in engines.into_iter().enumerate() {
            node.insert(addr(&format!("engine-{i}")), engine);
        }
        node.insert(
            addr("rf"),
            NodeEngine::ReadsFor(ReadsFor::new(addr("rf")), Default::default()),
        );
        redacted(&node, None, &secrets)
    }));

    // Plaintext is the user's secret: messages, envelopes and effects show its length only.
    let data = secret("plaintext").to_vec();
    let messages: Vec<Message> = vec![
        RequestEncrypt {
            data: Plaintext(data.clone()),
            external_identity: alice.external.clone(),
            use_reads_for: false,
        }
        .into(),
        ReplyDecryption {
            result: Ok(Plaintext(data.clone())),
        }
        .into(),
    ];
    for m in messages {
        let env = Envelope {
            sender: addr("a"),
            target: addr("b"),
            correlation: CorrelationId(1),
            message: m,
        };
        let secrets = vec![secret("plaintext")];
        cases.push(Case::new(
            format!("{} in an envelope and effects", env.message.name()),
            move || {
                redacted(&env, None, &secrets)?;
                redacted(&Effects::send(env.clone()), None, &secrets)
            },
        ));
    }
    let p = Plaintext(data);
    let secrets = vec![secret("plaintext")];
    cases.push(Case::new("Plaintext", move || redacted(&p, None, &secrets)));

    // Types with Display hold only public values; formatting them shows no secret either.
    let public = alice.external.clone();
    let secrets = all.clone();
    cases.push(Case::new(
        "ExternalIdentity of a held identity ({} too)",
        move || redacted(&public, Some(public.to_string()), &secrets),
    ));
    let secrets = all;
    cases.push(Case::new("vault file errors", move || {
        let err = sealwright_engines::vault_file::VaultFileError::WrongPassphraseOrCorrupt;
        ensure(!err.to_string().is_empty(), || "no message".into())?;
        redacted(&err, Some(err.to_string()), &secrets)
    }));
    run_table("secrets in formatting", cases);
}
