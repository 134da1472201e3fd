//! The signature side's scenarios: the vault's commitments, Verification (direct, through
//! SignsFor, as a pool), SignsFor's evidence and revocations, and an adversary that tries to
//! turn a commitment into evidence.

use engines::Backend;
use engines::identity::InternalIdentity;
use spec::message::RelationMessages;
use spec::message::{
    Commitment, RequestCommitment, RequestSubmitReadsForEvidence, RequestSubmitSignsForEvidence,
    RequestSubmitSignsForRevocation, RequestVerification, Signable,
};
use spec::relation::Signs;
use spec::{ReadsForEvidence, SignsForEvidence, SignsForRevocation};

use super::{
    EXACTLY_ONCE, clients_param, entry, fixed, negative, not_applicable, now, pin_from,
    requests_param, retries_param,
};
use crate::actors::RelationFault;
use crate::crypto::ModelBackend;
use crate::negative::NegativeNode;
use crate::properties::{
    CommitRefused, ForgeryRefused, GenuineRefused, SignerAccepted, SignsForConfirmed,
    VerificationErrorPropagated, check,
};
use crate::properties::{
    MisdirectedAnswered, NoStatementForged, Responsiveness, VerificationErrorsPropagate,
};
use crate::scenarios::{Bounds, CLIENTS, EngineSpec, INSTANCES, Param, Scenario, Setup};
use crate::vocab::address;
use crate::vocab::{Intent, NetworkKind::Reliable, To};
use spec::DecryptionError;
use spec::message::{Ciphertext, ReplyDecryption, RequestDecryption};

/// The data every commitment of these scenarios is to.
const DATA: &[u8] = b"release 1.0";

/// Identities, evidence and commitments, from one deterministic backend.
struct Signers {
    /// The identity verifications are for; owned by the first client.
    alice: InternalIdentity,
    /// Signs for alice once its evidence is submitted; owned by the second client.
    bob: InternalIdentity,
    /// The adversary's identity.
    mallory: InternalIdentity,
    /// "bob signs for alice", signed by alice.
    bob_for_alice: SignsForEvidence,
    /// Revokes it.
    revoke_bob: SignsForRevocation,
    backend: ModelBackend,
}

impl Signers {
    fn new() -> Signers {
        let mut backend = ModelBackend::new(1 << 41);
        let [alice, bob, mallory] = [0; 3].map(|_| backend.generate_identity());
        let bytes = SignsForEvidence::statement_bytes(&bob.external, &alice.external, 1);
        let sig = backend.sign(&alice, &bytes);
        let bob_for_alice =
            SignsForEvidence::new(bob.external.clone(), alice.external.clone(), 1, sig);
        let bytes = SignsForRevocation::statement_bytes(&bob.id(), &alice.external, 1);
        let sig = backend.sign(&alice, &bytes);
        let revoke_bob = SignsForRevocation::new(bob.id(), alice.external.clone(), 1, sig);
        Signers {
            alice,
            bob,
            mallory,
            bob_for_alice,
            revoke_bob,
            backend,
        }
    }

    /// The commitment the vault makes for `who` to `data`.
    fn commitment(&self, who: &InternalIdentity, data: &[u8]) -> Commitment {
        let bytes = Commitment::statement_bytes(data);
        Commitment {
            verifying_key: who.external.verifying_key,
            signature: self.backend.sign(who, &bytes),
        }
    }

    fn commit(who: &InternalIdentity, data: &[u8]) -> Intent {
        let request = RequestCommitment {
            data: Signable(data.to_vec()),
            external_identity: who.id(),
        };
        Intent::new(To::Vault, request)
    }

    /// Verify `by`'s commitment to `DATA` as alice's.
    fn verify(&self, by: &InternalIdentity, use_signs_for: bool) -> Intent {
        let request = RequestVerification {
            data: Signable(DATA.to_vec()),
            commitment: self.commitment(by, DATA),
            external_identity: self.alice.external.clone(),
            use_signs_for,
        };
        Intent::new(To::Verification, request)
    }

    fn grant(&self) -> Intent {
        let evidence = self.bob_for_alice.clone();
        Intent::new(To::SignsFor, RequestSubmitSignsForEvidence { evidence })
    }

    fn revoke(&self) -> Intent {
        let revocation = self.revoke_bob.clone();
        Intent::new(To::SignsFor, RequestSubmitSignsForRevocation { revocation })
    }
}

fn verification_engines(instances: u32, fault: RelationFault) -> Vec<EngineSpec> {
    vec![
        EngineSpec::Vault,
        EngineSpec::SignsFor(fault),
        EngineSpec::Verification { instances },
    ]
}

/// Bob is granted signs-for and checks his commitment as alice's; carol revokes bob and
/// checks it too — the revocation racing the verification.
fn signatures(b: &Bounds) -> Setup {
    let c = Signers::new();
    let list = vec![
        ("bob", false, now(vec![c.grant(), c.verify(&c.bob, true)])),
        (
            "carol",
            false,
            now(vec![c.revoke(), c.verify(&c.bob, true)]),
        ),
    ];
    let mut s = Setup::new(fixed(b, list), verification_engines(1, RelationFault::None));
    s.owners = vec![(0, c.bob.clone())];
    s
}

/// Verifiers checking bob's commitment as alice's through signs-for, bob's evidence in force;
/// the second checks alice's own commitment directly.
fn verifying(b: &Bounds, instances: u32, fault: RelationFault) -> Setup {
    let c = Signers::new();
    let names = ["alice", "bob", "carol", "dave"];
    let menus = (0..b.get(CLIENTS) as usize)
        .map(|i| {
            let ask = match i {
                1 => c.verify(&c.alice, false),
                _ => c.verify(&c.bob, true),
            };
            (names[i % names.len()], false, now(vec![ask]))
        })
        .collect();
    let mut s = Setup::new(fixed(b, menus), verification_engines(instances, fault));
    s.signs_evidence = vec![c.bob_for_alice.clone()];
    s
}

fn signs_for_error(b: &Bounds) -> Setup {
    verifying(b, 1, RelationFault::FailFirstQuery)
}

fn signs_for_lost_reply(b: &Bounds) -> Setup {
    verifying(b, 1, RelationFault::LoseFirstReply)
}

/// A client asks whether bob signs for alice, and for the evidence into alice.
fn signs_for_queries(b: &Bounds) -> Setup {
    let c = Signers::new();
    let (bob, alice) = (c.bob.id(), c.alice.id());
    let asks = vec![
        Intent::new(To::SignsFor, Signs::decide(bob, alice)),
        Intent::new(To::SignsFor, Signs::query(alice, None)),
    ];
    let list = vec![("alice", false, now(asks))];
    let mut s = Setup::new(
        fixed(b, list),
        vec![EngineSpec::SignsFor(RelationFault::None)],
    );
    s.signs_evidence = vec![c.bob_for_alice.clone()];
    s
}

fn verification_pool(b: &Bounds) -> Setup {
    verifying(b, b.get(INSTANCES), RelationFault::None)
}

/// Alice's owner is tricked into committing to the exact bytes of "mallory reads for alice";
/// mallory submits that signature as evidence to both relation engines, and asks the vault to
/// commit as alice itself.
fn commitment_forgery(b: &Bounds) -> Setup {
    let c = Signers::new();
    let (mallory, alice) = (&c.mallory.external, &c.alice.external);
    let reads = ReadsForEvidence::statement_bytes(mallory, alice, 7);
    let signs = SignsForEvidence::statement_bytes(mallory, alice, 7);
    let forged_reads = ReadsForEvidence::new(
        mallory.clone(),
        alice.clone(),
        7,
        c.commitment(&c.alice, &reads).signature,
    );
    let forged_signs = SignsForEvidence::new(
        mallory.clone(),
        alice.clone(),
        7,
        c.commitment(&c.alice, &signs).signature,
    );
    let list = vec![
        (
            "alice",
            false,
            now(vec![
                Signers::commit(&c.alice, &reads),
                Signers::commit(&c.alice, &signs),
            ]),
        ),
        (
            "mallory",
            true,
            now(vec![
                Signers::commit(&c.alice, DATA),
                Intent::new(
                    To::ReadsFor,
                    RequestSubmitReadsForEvidence {
                        evidence: forged_reads,
                    },
                ),
                Intent::new(
                    To::SignsFor,
                    RequestSubmitSignsForEvidence {
                        evidence: forged_signs,
                    },
                ),
            ]),
        ),
    ];
    let engines = vec![
        EngineSpec::Vault,
        EngineSpec::ReadsFor(RelationFault::None),
        EngineSpec::SignsFor(RelationFault::None),
    ];
    let mut s = Setup::new(fixed(b, list), engines);
    s.owners = vec![(0, c.alice.clone()), (1, c.mallory.clone())];
    s
}

/// Requests sent to the wrong engine of the signature side, replies nobody asked for, and an
/// evidence answer from someone other than the SignsFor engine: each must be answered with
/// `NotHandled` or recorded, never acted on.
fn signatures_misdirected(b: &Bounds) -> Setup {
    let c = Signers::new();
    let stray = || ReplyDecryption {
        result: Err(DecryptionError::NotHandled),
    };
    let decrypt = RequestDecryption {
        data: Ciphertext(vec![1]),
    };
    let spoofed = Signs::answered(c.alice.id(), None, Ok(vec![c.bob_for_alice.clone()]));
    let menu = vec![
        Intent::new(To::Verification, decrypt.clone()),
        Intent::new(To::SignsFor, decrypt),
        Intent::new(To::Verification, stray()),
        Intent::new(To::SignsFor, stray()),
        Intent::new(To::Verification, spoofed),
    ];
    let engines = vec![
        EngineSpec::SignsFor(RelationFault::None),
        EngineSpec::Verification { instances: 1 },
    ];
    Setup::new(fixed(b, vec![("mallory", true, now(menu))]), engines)
}

/// The Anoma v0.2 Verification engine in the Verification engine's place, asking SignsFor.
fn v02_verifying(b: &Bounds, fault: RelationFault) -> Setup {
    let c = Signers::new();
    let menus = (0..b.get(CLIENTS) as usize)
        .map(|i| {
            let mut ask = c.verify(&c.bob, true);
            ask.to = To::Named(V02_VERIFICATION);
            (
                ["alice", "bob", "carol", "dave"][i % 4],
                false,
                now(vec![ask]),
            )
        })
        .collect();
    let v02 = EngineSpec::Negative(
        V02_VERIFICATION,
        Box::new(|dir| NegativeNode::V02Verification {
            address: dir
                .resolve(To::Named(V02_VERIFICATION))
                .map_or_else(|| address(0), address),
            signs_for: dir
                .resolve(To::SignsFor)
                .map_or_else(|| address(0), address),
        }),
    );
    let mut s = Setup::new(fixed(b, menus), vec![v02, EngineSpec::SignsFor(fault)]);
    s.signs_evidence = vec![c.bob_for_alice.clone()];
    s
}

const V02_VERIFICATION: &str = "verification-v0.2";
const RAW_SIGNER: &str = "commitment-without-domain";

/// A Commitment engine that signs raw bytes holds alice's key; alice's owner asks it to commit
/// to the bytes of "mallory reads for alice", and mallory submits the result as evidence.
fn commitment_oracle(b: &Bounds) -> Setup {
    let c = Signers::new();
    let (mallory, alice) = (&c.mallory.external, &c.alice.external);
    let statement = ReadsForEvidence::statement_bytes(mallory, alice, 7);
    let signature = c.backend.sign(&c.alice, &statement);
    let forged = ReadsForEvidence::new(mallory.clone(), alice.clone(), 7, signature);
    let mut commit = Signers::commit(&c.alice, &statement);
    commit.to = To::Named(RAW_SIGNER);
    let submit = Intent::new(
        To::ReadsFor,
        RequestSubmitReadsForEvidence { evidence: forged },
    );
    let list = vec![
        ("alice", false, now(vec![commit])),
        ("mallory", true, now(vec![submit])),
    ];
    let signer = Box::new(c.alice.clone());
    let raw = EngineSpec::Negative(
        RAW_SIGNER,
        Box::new(move |_| NegativeNode::RawSigner {
            signer: signer.clone(),
            owner: address(0),
        }),
    );
    let mut s = Setup::new(
        fixed(b, list),
        vec![raw, EngineSpec::ReadsFor(RelationFault::None)],
    );
    s.owners = vec![(0, c.alice.clone())];
    s
}

/// The designs of the signature side that the checker must refute.
pub(super) fn negatives() -> Vec<Scenario> {
    vec![
        negative(entry(
            "nspec-v02-verification-error",
            "NEGATIVE: the Anoma v0.2 Verification engine answers false when the SignsFor query fails",
            Reliable,
            s![clients_param(2, 4)],
            |b| v02_verifying(b, RelationFault::FailFirstQuery),
            s![check::<VerificationErrorsPropagate>().must_fail()],
        )),
        negative(entry(
            "nspec-v02-verification-starvation",
            "NEGATIVE: the Anoma v0.2 Verification engine starves every later request for an identity after one lost SignsFor reply",
            Reliable,
            s![clients_param(2, 4), retries_param(1)],
            |b| v02_verifying(b, RelationFault::LoseFirstReply),
            s![check::<Responsiveness>().must_fail()],
        )),
        negative(entry(
            "nspec-commitment-oracle",
            "NEGATIVE: a Commitment engine that signs the bytes it is given; reads-for evidence is forged through it and accepted",
            Reliable,
            &[],
            commitment_oracle,
            s![check::<NoStatementForged>().must_fail()],
        )),
    ]
}

/// The signature side's scenarios, in the order `check` runs them.
pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        entry(
            "signatures",
            "the vault commits for an owner; verifications check a commitment directly and through SignsFor while evidence is granted and revoked concurrently",
            Reliable,
            s![requests_param(2, 2)],
            signatures,
            s![check::<SignerAccepted>(), check::<GenuineRefused>()],
        ),
        entry(
            "signs-for-error",
            "the SignsFor engine fails a query; the verifier gets an error, never true or false",
            Reliable,
            s![clients_param(2, 4)],
            signs_for_error,
            s![check::<VerificationErrorPropagated>()],
        ),
        not_applicable(
            entry(
                "signs-for-lost-reply",
                "the first SignsFor reply is lost; a retry starts a fresh query and nothing starves",
                Reliable,
                s![clients_param(2, 4), retries_param(1)],
                signs_for_lost_reply,
                s![check::<SignerAccepted>()],
            ),
            &[(
                EXACTLY_ONCE,
                "a retry that crosses a slow reply is answered too; the client keeps the first reply for its correlation id",
            )],
        ),
        entry(
            "signs-for-queries",
            "a client asks whether one identity signs for another, and for the evidence behind it",
            Reliable,
            s![requests_param(2, 2)],
            signs_for_queries,
            s![check::<SignsForConfirmed>()],
        ),
        entry(
            "signatures-misdirected",
            "requests sent to the wrong engine of the signature side, stray replies, and an evidence answer from an adversary",
            Reliable,
            s![requests_param(2, 5)],
            signatures_misdirected,
            s![check::<MisdirectedAnswered>()],
        ),
        entry(
            "verification-pool",
            "a pool of stateless Verification instances behind one address, each finishing any query",
            Reliable,
            s![
                clients_param(2, 4),
                Param::new(INSTANCES, 2, 1, 4, "Verification instances in the pool")
            ],
            verification_pool,
            s![check::<SignerAccepted>()],
        ),
        entry(
            "commitment-forgery",
            "an owner is tricked into committing to the bytes of a reads-for and a signs-for statement; an adversary submits those signatures as evidence and asks the vault to commit as the owner",
            Reliable,
            s![requests_param(3, 3)],
            commitment_forgery,
            s![check::<CommitRefused>(), check::<ForgeryRefused>()],
        ),
    ]
    .into_iter()
    .map(|s| pin_from(s, STATES))
    .collect()
}

/// Each scenario's unique states at its default bounds (symbolic crypto), pinned so that an
/// unintended change of the state space shows up in `model/tests/catalog.rs`.
const STATES: &[(&str, usize)] = &[
    ("signatures", 3187),
    ("signs-for-error", 24),
    ("signs-for-lost-reply", 320),
    ("signs-for-queries", 25),
    ("signatures-misdirected", 127),
    ("verification-pool", 140),
    ("commitment-forgery", 5650),
];
