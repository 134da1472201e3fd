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
use sealwright_engines::naming::{Naming, NamingState};
use sealwright_engines::relation::{RelationEngine, RelationRows, RelationState};
use sealwright_engines::verification::Verification;
use spec::message::*;
use spec::relation::{Reads, Signs};
use spec::*;

const ENC: &str = "node/encryption";
const RF: &str = "node/reads-for";
const SF: &str = "node/signs-for";
const VER: &str = "node/verification";
const VAULT: &str = "node/vault";
const IDM: &str = "node/identity";
const NAMING: &str = "node/naming";

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

/// Every row of the relation engine for relation `R`, at address `at`.
fn relation_rows<R: RelationRows>(at: &str) {
    let mut backend = SymbolicBackend::new(2);
    let a = backend.generate_identity().external;
    let t = backend.generate_identity().external;
    // Unsigned statements are enough: a refused submission still takes its row.
    let evidence = Evidence::<R>::new(a.clone(), t.clone(), 1, [0; 64]);
    let revocation = Revocation::<R>::new(a.id(), t.clone(), 1, [0; 64]);
    let engine = RelationEngine::<R>::new(addr(at));
    let mut state = RelationState::<R>::default();
    let decryption = RequestDecryption {
        data: Ciphertext(vec![1]),
    };
    let cases = vec![
        (
            "misaddressed",
            env("client", ENC, 1, R::decide(a.id(), t.id())),
        ),
        ("submit-evidence", env("client", at, 1, R::submit(evidence))),
        (
            "submit-revocation",
            env("client", at, 2, R::revoke(revocation)),
        ),
        (R::DECIDE, env("client", at, 3, R::decide(a.id(), t.id()))),
        (
            "collect-evidence",
            env("client", at, 4, R::query(t.id(), None)),
        ),
        ("not-handled", env("client", at, 5, decryption)),
        ("unexpected-reply", env("client", at, 6, refusal())),
    ];
    covers(R::GUARDS, cases, |e| {
        engine.step(&mut state, &mut backend, e)
    });
}

#[test]
fn every_reads_for_row_is_taken_and_reported() {
    relation_rows::<Reads>(RF);
}

#[test]
fn every_signs_for_row_is_taken_and_reported() {
    relation_rows::<Signs>(SF);
}

#[test]
fn every_verification_row_is_taken_and_reported() {
    let mut backend = SymbolicBackend::new(5);
    let target = backend.generate_identity().external;
    let engine = Verification::new(addr(VER), addr(SF));
    let mut state = Verification::initial_state(&mut backend);
    let verify = |use_signs_for| RequestVerification {
        data: Signable(b"x".to_vec()),
        commitment: Commitment {
            verifying_key: target.verifying_key,
            signature: [0; 64],
        },
        external_identity: target.clone(),
        use_signs_for,
    };
    let answer = |from: &str| {
        env(
            from,
            VER,
            2,
            Signs::answered(target.id(), None, Ok(Vec::new())),
        )
    };
    let decryption = RequestDecryption {
        data: Ciphertext(vec![1]),
    };
    let cases = vec![
        ("misaddressed", env("client", SF, 1, verify(false))),
        ("verify-directly", env("client", VER, 1, verify(false))),
        ("query-signs-for", env("client", VER, 1, verify(true))),
        ("finish", answer(SF)),
        ("unexpected-sender", answer("mallory")),
        ("not-handled", env("client", VER, 3, decryption)),
        ("unexpected-reply", env("client", VER, 4, refusal())),
    ];
    covers(<Verification as Engine>::GUARDS, cases, |e| {
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
        capabilities: Capabilities::default(),
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
        (
            "commit",
            env(
                "client",
                VAULT,
                2,
                RequestCommitment {
                    data: Signable(vec![1]),
                    external_identity: backend.generate_identity().external.id(),
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
    let generate = env("client", IDM, 1, RequestGenerateIdentity::default());
    let mut first = engine.step(&mut state, &mut backend, &generate);
    let asked = first.send.pop().unwrap().correlation.0;
    assert_eq!(first.guard, "generate");
    let cases = vec![
        (
            "misaddressed",
            env("client", VAULT, 1, RequestGenerateIdentity::default()),
        ),
        (
            "generate",
            env("client", IDM, 2, RequestGenerateIdentity::default()),
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
                    capabilities: Capabilities::default(),
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
                    capabilities: Capabilities::default(),
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

#[test]
fn every_naming_row_is_taken_and_reported() {
    let mut backend = SymbolicBackend::new(7);
    let a = backend.generate_identity().external;
    let name = IdentityName::parse("alice").unwrap();
    // Unsigned statements are enough: a refused submission still takes its row.
    let evidence = NameEvidence {
        identity_name: name.clone(),
        external_identity: a.clone(),
        serial: 1,
        signature: [0; 64],
    };
    let revocation = NameRevocation {
        identity_name: name.clone(),
        serial: 1,
        signature: [0; 64],
    };
    let engine = Naming {
        address: addr(NAMING),
    };
    let mut state = NamingState::default();
    let resolve = || RequestResolveName {
        identity_name: name.clone(),
    };
    let decryption = RequestDecryption {
        data: Ciphertext(vec![1]),
    };
    let cases = vec![
        ("misaddressed", env("client", RF, 1, resolve())),
        (
            "submit-name-evidence",
            env("client", NAMING, 1, RequestSubmitNameEvidence { evidence }),
        ),
        (
            "submit-name-revocation",
            env(
                "client",
                NAMING,
                2,
                RequestSubmitNameRevocation { revocation },
            ),
        ),
        ("resolve-name", env("client", NAMING, 3, resolve())),
        (
            "query-name-evidence",
            env(
                "client",
                NAMING,
                4,
                RequestQueryNameEvidence {
                    external_identity: a.id(),
                },
            ),
        ),
        ("not-handled", env("client", NAMING, 5, decryption)),
        ("unexpected-reply", env("client", NAMING, 6, refusal())),
    ];
    covers(Naming::GUARDS, cases, |e| {
        engine.step(&mut state, &mut backend, e)
    });
}
