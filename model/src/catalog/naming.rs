//! The Naming engine's scenarios: claims racing for one top-level name, a vouch racing a
//! resolution, a parent revoked while its child is resolved, names forged through a
//! commitment, and requests and replies the engine must not act on.

use engines::Backend;
use engines::identity::InternalIdentity;
use spec::message::{
    Ciphertext, Commitment, ReplyDecryption, RequestCommitment, RequestDecryption,
    RequestQueryNameEvidence, RequestResolveName, RequestSubmitNameEvidence,
    RequestSubmitNameRevocation, Signable,
};
use spec::{DecryptionError, IdentityName, NameEvidence, NameRevocation};

use super::{entry, fixed, negative, now, pin_from, requests_param};
use crate::actors::RelationFault;
use crate::crypto::ModelBackend;
use crate::negative::NegativeNode;
use crate::properties::{
    ChildUnresolved, DottedNameResolved, MisdirectedAnswered, NameForgeryRefused, NameTakenRefused,
    NamesResolveThroughValidEvidence, OlderNameRefused, check,
};
use crate::scenarios::{Bounds, EngineSpec, Scenario, Setup};
use crate::vocab::{Intent, NetworkKind::Reliable, To};

/// Identities and the statements the scenarios sign, from one deterministic backend.
struct Names {
    alice: InternalIdentity,
    bob: InternalIdentity,
    mallory: InternalIdentity,
    backend: ModelBackend,
}

fn name(text: &str) -> IdentityName {
    IdentityName::parse(text).unwrap_or_else(|e| unreachable!("`{text}` is a name: {e}"))
}

impl Names {
    fn new() -> Names {
        let mut backend = ModelBackend::new(1 << 42);
        let [alice, bob, mallory] = [0; 3].map(|_| backend.generate_identity());
        Names {
            alice,
            bob,
            mallory,
            backend,
        }
    }

    /// "`text` names `named`" with serial 1, signed by `by`.
    fn evidence(
        &self,
        text: &str,
        named: &InternalIdentity,
        by: &InternalIdentity,
    ) -> NameEvidence {
        self.evidence_at(text, named, by, 1)
    }

    /// "`text` names `named`" with `serial`, signed by `by`.
    fn evidence_at(
        &self,
        text: &str,
        named: &InternalIdentity,
        by: &InternalIdentity,
        serial: u64,
    ) -> NameEvidence {
        let bytes = NameEvidence::statement_bytes(&name(text), &named.external, serial);
        NameEvidence {
            identity_name: name(text),
            external_identity: named.external.clone(),
            serial,
            signature: self.backend.sign(by, &bytes),
        }
    }

    fn submit(evidence: NameEvidence) -> Intent {
        Intent::new(To::Naming, RequestSubmitNameEvidence { evidence })
    }

    fn claim(&self, text: &str, named: &InternalIdentity, by: &InternalIdentity) -> Intent {
        Self::submit(self.evidence(text, named, by))
    }

    fn revoke(&self, text: &str, by: &InternalIdentity) -> Intent {
        self.revoke_at(text, by, 1)
    }

    fn revoke_at(&self, text: &str, by: &InternalIdentity, serial: u64) -> Intent {
        let bytes = NameRevocation::statement_bytes(&name(text), serial);
        let revocation = NameRevocation {
            identity_name: name(text),
            serial,
            signature: self.backend.sign(by, &bytes),
        };
        Intent::new(To::Naming, RequestSubmitNameRevocation { revocation })
    }

    fn resolve(text: &str) -> Intent {
        Intent::new(
            To::Naming,
            RequestResolveName {
                identity_name: name(text),
            },
        )
    }
}

/// Alice claims `alice` and vouches `alice.phone` for bob; mallory claims `alice` for herself
/// and vouches `alice.phone` for herself; bob resolves `alice.phone` and asks for his names.
fn naming(b: &Bounds) -> Setup {
    let c = Names::new();
    let (alice, bob, mallory) = (&c.alice, &c.bob, &c.mallory);
    let list = vec![
        (
            "alice",
            false,
            now(vec![
                c.claim("alice", alice, alice),
                c.claim("alice.phone", bob, alice),
            ]),
        ),
        (
            "mallory",
            true,
            now(vec![
                c.claim("alice", mallory, mallory),
                c.claim("alice.phone", mallory, mallory),
            ]),
        ),
        (
            "bob",
            false,
            now(vec![
                Names::resolve("alice.phone"),
                Intent::new(
                    To::Naming,
                    RequestQueryNameEvidence {
                        external_identity: bob.id(),
                    },
                ),
            ]),
        ),
    ];
    Setup::new(fixed(b, list), vec![EngineSpec::Naming])
}

/// Alice holds `alice` and vouched `alice.phone` for bob; she revokes `alice` while bob
/// resolves `alice.phone` twice.
fn naming_revocation(b: &Bounds) -> Setup {
    let c = Names::new();
    let (alice, bob) = (&c.alice, &c.bob);
    let list = vec![
        ("alice", false, now(vec![c.revoke("alice", alice)])),
        (
            "bob",
            false,
            now(vec![
                Names::resolve("alice.phone"),
                Names::resolve("alice.phone"),
            ]),
        ),
    ];
    let mut s = Setup::new(fixed(b, list), vec![EngineSpec::Naming]);
    s.names = vec![
        c.evidence("alice", alice, alice),
        c.evidence("alice.phone", bob, alice),
    ];
    s
}

/// Alice holds `alice`. Her owner is tricked into committing to the bytes of "`alice.pay`
/// names mallory" and of a revocation of `alice`; mallory submits both signatures.
fn naming_forgery(b: &Bounds) -> Setup {
    let c = Names::new();
    let (alice, mallory) = (&c.alice, &c.mallory);
    let vouch = NameEvidence::statement_bytes(&name("alice.pay"), &mallory.external, 1);
    let release = NameRevocation::statement_bytes(&name("alice"), 1);
    let committed = |bytes: &[u8]| c.backend.sign(alice, &Commitment::statement_bytes(bytes));
    let forged_vouch = NameEvidence {
        identity_name: name("alice.pay"),
        external_identity: mallory.external.clone(),
        serial: 1,
        signature: committed(&vouch),
    };
    let forged_release = NameRevocation {
        identity_name: name("alice"),
        serial: 1,
        signature: committed(&release),
    };
    let commit = |bytes: &[u8]| {
        let request = RequestCommitment {
            data: Signable(bytes.to_vec()),
            external_identity: alice.id(),
        };
        Intent::new(To::Vault, request)
    };
    let list = vec![
        ("alice", false, now(vec![commit(&vouch), commit(&release)])),
        (
            "mallory",
            true,
            now(vec![
                Names::submit(forged_vouch),
                Intent::new(
                    To::Naming,
                    RequestSubmitNameRevocation {
                        revocation: forged_release,
                    },
                ),
            ]),
        ),
    ];
    let mut s = Setup::new(fixed(b, list), vec![EngineSpec::Vault, EngineSpec::Naming]);
    s.names = vec![c.evidence("alice", alice, alice)];
    s.owners = vec![(0, alice.clone())];
    s
}

/// Alice holds `alice` and vouched `alice.phone` for bob at serial 2. She sends an older vouch
/// for carol, one with the same serial, a revocation through serial 2, and the first vouch
/// again; bob resolves `alice.phone`.
fn naming_serials(b: &Bounds) -> Setup {
    let c = Names::new();
    let (alice, bob) = (&c.alice, &c.bob);
    let carol = &c.mallory;
    let vouch =
        |named: &InternalIdentity, serial| c.evidence_at("alice.phone", named, alice, serial);
    let list = vec![
        (
            "alice",
            false,
            now(vec![
                Names::submit(vouch(carol, 1)),
                Names::submit(vouch(carol, 2)),
                c.revoke_at("alice.phone", alice, 2),
                Names::submit(vouch(bob, 2)),
            ]),
        ),
        ("bob", false, now(vec![Names::resolve("alice.phone")])),
    ];
    let mut s = Setup::new(fixed(b, list), vec![EngineSpec::Naming]);
    s.names = vec![c.evidence("alice", alice, alice), vouch(bob, 2)];
    s
}

/// A request the Naming engine does not handle, a reply nobody asked it for, and a Naming
/// request sent to the SignsFor engine: each answered with `NotHandled` or recorded.
fn naming_misdirected(b: &Bounds) -> Setup {
    let stray = ReplyDecryption {
        result: Err(DecryptionError::NotHandled),
    };
    let decrypt = RequestDecryption {
        data: Ciphertext(vec![1]),
    };
    let mut to_signs_for = Names::resolve("alice");
    to_signs_for.to = To::SignsFor;
    let menu = vec![
        Intent::new(To::Naming, decrypt),
        Intent::new(To::Naming, stray),
        to_signs_for,
    ];
    let engines = vec![
        EngineSpec::Naming,
        EngineSpec::SignsFor(RelationFault::None),
    ];
    Setup::new(fixed(b, vec![("mallory", true, now(menu))]), engines)
}

const V02_NAMING: &str = "naming-v0.2";

/// Mallory claims `alice.phone` for herself, with no `alice` held; bob resolves it.
fn v02_naming(b: &Bounds) -> Setup {
    let c = Names::new();
    let mallory = &c.mallory;
    let mut claim = c.claim("alice.phone", mallory, mallory);
    claim.to = To::Named(V02_NAMING);
    let mut resolve = Names::resolve("alice.phone");
    resolve.to = To::Named(V02_NAMING);
    let list = vec![
        ("mallory", true, now(vec![claim])),
        ("bob", false, now(vec![resolve])),
    ];
    let v02 = EngineSpec::Negative(V02_NAMING, Box::new(|_| NegativeNode::V02Naming));
    Setup::new(fixed(b, list), vec![v02])
}

/// The Naming designs the checker must refute.
pub(super) fn negatives() -> Vec<Scenario> {
    vec![negative(entry(
        "nspec-v02-naming",
        "NEGATIVE: the Anoma v0.2 Naming engine takes evidence as an axiom; anyone claims a dotted name whose parent nobody holds, and it is stored",
        Reliable,
        &[],
        v02_naming,
        s![check::<NamesResolveThroughValidEvidence>().must_fail()],
    ))]
}

/// The Naming engine's scenarios, in the order `check` runs them.
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        entry(
            "naming",
            "two identities claim one top-level name and vouch for the same child while a third resolves it",
            Reliable,
            s![requests_param(2, 2)],
            naming,
            s![
                check::<DottedNameResolved>(),
                check::<NameTakenRefused>()
            ],
        ),
        entry(
            "naming-revocation",
            "a parent name is revoked while its child is being resolved",
            Reliable,
            s![requests_param(2, 2)],
            naming_revocation,
            s![check::<DottedNameResolved>(), check::<ChildUnresolved>()],
        ),
        entry(
            "naming-serials",
            "older, conflicting and revoked vouches for a name whose newer evidence is in force, while the name is resolved",
            Reliable,
            s![requests_param(4, 4)],
            naming_serials,
            s![check::<OlderNameRefused>(), check::<DottedNameResolved>()],
        ),
        entry(
            "naming-forgery",
            "an owner is tricked into committing to the bytes of a name statement and a name revocation; an adversary submits those signatures",
            Reliable,
            s![requests_param(2, 2)],
            naming_forgery,
            s![check::<NameForgeryRefused>()],
        ),
        entry(
            "naming-misdirected",
            "a request the Naming engine does not handle, a stray reply to it, and a Naming request sent to another engine",
            Reliable,
            s![requests_param(3, 3)],
            naming_misdirected,
            s![check::<MisdirectedAnswered>()],
        ),
    ]
    .into_iter()
    .map(|s| pin_from(s, STATES))
    .collect()
}

/// Each scenario's unique states at its default bounds (symbolic crypto), pinned so that an
/// unintended change of the state space shows up in `model/tests/catalog.rs`.
const STATES: &[(&str, usize)] = &[
    ("naming", 61525),
    ("naming-revocation", 172),
    ("naming-serials", 45992),
    ("naming-forgery", 953),
    ("naming-misdirected", 159),
];
