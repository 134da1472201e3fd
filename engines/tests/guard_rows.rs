//! Every row of every engine's guard table is taken by some input, and the step reports it:
//! one table of inputs per engine, each naming the row it must take. The model reaches most
//! rows through its scenarios; this pins every row, including those that only a misrouting
//! runtime or an impersonated peer can reach.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{addr, env};

use sealwright_engines::Backend;
use sealwright_engines::Engine;
use sealwright_engines::backend::symbolic::SymbolicBackend;
use sealwright_engines::decryption::{Decryption, DecryptionState};
use sealwright_engines::encryption::Encryption;
use sealwright_engines::identity_management::{IdentityManagement, IdentityManagementState};
use sealwright_engines::reads_for::{ReadsFor, ReadsForState};
use spec::message::*;
use spec::*;

const ENC: &str = "node/encryption";
const RF: &str = "node/reads-for";
const VAULT: &str = "node/vault";
const IDM: &str = "node/identity";

/// Runs each `(row, input)` through `step` in order and checks the row each step reports;
/// then that the inputs cover the engine's whole table.
fn covers(
    guards: &[&str],
    cases: Vec<(&str, Envelope)>,
    mut step: impl FnMut(&Envelope) -> spec::effects::Effects,
) {
    let mut taken = BTreeSet::new();
    for (row, input) in cases {
        let effects = step(&input);
        assert_eq!(
            effects.guard,
            row,
            "{} from {} took `{}`, not `{row}`",
            input.message.name(),
            input.sender,
            effects.guard
        );
        taken.insert(row);
    }
    let all: BTreeSet<&str> = guards.iter().copied().collect();
    assert_eq!(taken, all, "rows without an input");
}

fn refusal() -> ReplyDecryption {
    ReplyDecryption {
        result: Err(DecryptionError::NotHandled),
    }
}

#[test]
fn every_encryption_row_is_taken_and_reported() {
    let mut backend = SymbolicBackend::new(1);
    let target = backend.generate_identity().external;
    let engine = Encryption::new(addr(ENC), addr(RF));
    let mut state = Encryption::initial_state(&mut backend);
    let encrypt = |use_reads_for| RequestEncrypt {
        data: Plaintext(b"x".to_vec()),
        external_identity: target.clone(),
        use_reads_for,
    };
    let answer = |from: &str| {
        env(
            from,
            ENC,
            2,
            ReplyQueryReadsForEvidence {
                external_identity: target.id(),
                continuation: None,
                result: Ok(Vec::new()),
            },
        )
    };
    let cases = vec![
        ("misaddressed", env("client", RF, 1, encrypt(false))),
        ("seal-directly", env("client", ENC, 1, encrypt(false))),
        ("query-reads-for", env("client", ENC, 1, encrypt(true))),
        ("finish", answer(RF)),
        ("unexpected-sender", answer("mallory")),
        (
            "not-handled",
            env(
                "client",
                ENC,
                3,
                RequestDecryption {
                    data: Ciphertext(vec![1]),
                },
            ),
        ),
        ("unexpected-reply", env("client", ENC, 4, refusal())),
    ];
    covers(<Encryption as Engine>::GUARDS, cases, |e| {
        engine.step(&mut state, &mut backend, e)
    });
}

#[test]
fn every_reads_for_row_is_taken_and_reported() {
    let mut backend = SymbolicBackend::new(2);
    let a = backend.generate_identity();
    let t = backend.generate_identity();
    // Unsigned statements are enough: a refused submission still takes its row.
    let evidence = ReadsForEvidence {
        from_identity: a.external.clone(),
        to_identity: t.external.clone(),
        serial: 1,
        signature: [0; 64],
        relation: Default::default(),
    };
    let revocation = ReadsForRevocation {
        from_identity: a.external.id(),
        to_identity: t.external.clone(),
        serial: 1,
        signature: [0; 64],
        relation: Default::default(),
    };
    let engine = ReadsFor::new(addr(RF));
    let mut state = ReadsForState::default();
    let cases = vec![
        (
            "misaddressed",
            env(
                "client",
                ENC,
                1,
                RequestReadsFor {
                    external_identity_a: a.external.id(),
                    external_identity_b: t.external.id(),
                },
            ),
        ),
        (
            "submit-evidence",
            env(
                "client",
                RF,
                1,
                RequestSubmitReadsForEvidence {
                    evidence: evidence.clone(),
                },
            ),
        ),
        (
            "submit-revocation",
            env(
                "client",
                RF,
                2,
                RequestSubmitReadsForRevocation { revocation },
            ),
        ),
        (
            "decide-reads-for",
            env(
                "client",
                RF,
                3,
                RequestReadsFor {
                    external_identity_a: a.external.id(),
                    external_identity_b: t.external.id(),
                },
            ),
        ),
        (
            "collect-evidence",
            env(
                "client",
                RF,
                4,
                RequestQueryReadsForEvidence {
                    external_identity: t.external.id(),
                    continuation: None,
                },
            ),
        ),
        (
            "not-handled",
            env(
                "client",
                RF,
                5,
                RequestDecryption {
                    data: Ciphertext(vec![1]),
                },
            ),
        ),
        ("unexpected-reply", env("client", RF, 6, refusal())),
    ];
    covers(<ReadsFor as Engine>::GUARDS, cases, |e| {
        engine.step(&mut state, &mut backend, e)
    });
}

#[test]
fn every_vault_row_is_taken_and_reported() {
    let mut backend = SymbolicBackend::new(3);
    let engine = Decryption::new(addr(VAULT), Some(addr(IDM)), BTreeSet::new());
    let mut state = DecryptionState::default();
    let generate = || RequestGenerateKey {
        owner: addr("client"),
        read_by: None,
    };
    let cases = vec![
        (
            "misaddressed",
            env(
                "client",
                RF,
                1,
                RequestDecryption {
                    data: Ciphertext(vec![1]),
                },
            ),
        ),
        (
            "decrypt",
            env(
                "client",
                VAULT,
                1,
                RequestDecryption {
                    data: Ciphertext(vec![1]),
                },
            ),
        ),
        ("manage-keys", env(IDM, VAULT, 2, generate())),
        ("refuse-management", env("mallory", VAULT, 3, generate())),
        (
            "not-handled",
            env(
                "client",
                VAULT,
                4,
                RequestEncrypt {
                    data: Plaintext(vec![]),
                    external_identity: backend.generate_identity().external,
                    use_reads_for: false,
                },
            ),
        ),
        ("unexpected-reply", env("client", VAULT, 5, refusal())),
    ];
    covers(<Decryption as Engine>::GUARDS, cases, |e| {
        engine.step(&mut state, &mut backend, e)
    });
}

#[test]
fn every_identity_management_row_is_taken_and_reported() {
    let mut backend = SymbolicBackend::new(4);
    let engine = IdentityManagement::new(addr(IDM), addr(VAULT), addr(RF));
    let mut state = IdentityManagementState::default();
    let stranger = backend.generate_identity().external.id();
    let key_reply = |result| ReplyGenerateKey { result };
    // The first request asks the vault under correlation 0 (the engine's own counter).
    let generate = env("client", IDM, 1, RequestGenerateIdentity {});
    let mut first = engine.step(&mut state, &mut backend, &generate);
    let asked = first.send.pop().unwrap().correlation.0;
    assert_eq!(first.guard, "generate");
    let cases = vec![
        (
            "misaddressed",
            env("client", VAULT, 1, RequestGenerateIdentity {}),
        ),
        (
            "generate",
            env("client", IDM, 2, RequestGenerateIdentity {}),
        ),
        (
            "derive-zone",
            env(
                "client",
                IDM,
                3,
                RequestDeriveZoneIdentity {
                    master: stranger,
                    zone: "z".into(),
                },
            ),
        ),
        (
            "rotate",
            env(
                "client",
                IDM,
                4,
                RequestRotateIdentity {
                    external_identity: stranger,
                },
            ),
        ),
        (
            "delete",
            env(
                "client",
                IDM,
                5,
                RequestDeleteIdentity {
                    external_identity: stranger,
                },
            ),
        ),
        (
            "connect",
            env(
                "client",
                IDM,
                6,
                RequestConnectIdentity {
                    external_identity: stranger,
                },
            ),
        ),
        (
            "not-handled",
            env(
                "client",
                IDM,
                7,
                RequestDecryption {
                    data: Ciphertext(vec![1]),
                },
            ),
        ),
        (
            "unexpected-sender",
            env(
                "mallory",
                IDM,
                asked,
                key_reply(Err(DecryptionError::NotAuthorised)),
            ),
        ),
        (
            "no-pending-request",
            env(
                VAULT,
                IDM,
                999,
                key_reply(Err(DecryptionError::NotAuthorised)),
            ),
        ),
        (
            "reply-not-awaited",
            env(VAULT, IDM, asked, ReplyDeleteKey { result: Ok(()) }),
        ),
        (
            "advance",
            env(
                VAULT,
                IDM,
                asked,
                key_reply(Err(DecryptionError::NotAuthorised)),
            ),
        ),
    ];
    covers(<IdentityManagement as Engine>::GUARDS, cases, |e| {
        engine.step(&mut state, &mut backend, e)
    });
}
