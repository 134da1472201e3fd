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
    EXACTLY_ONCE, clients_param, entry, fixed, not_applicable, now, pinned, requests_param,
    retries_param,
};
use crate::actors::RelationFault;
use crate::crypto::ModelBackend;
use crate::properties::{
    CommitRefused, ForgeryRefused, GenuineRefused, SignerAccepted, SignsForConfirmed,
    VerificationErrorPropagated, check,
};
use crate::scenarios::{Bounds, CLIENTS, EngineSpec, INSTANCES, Param, Scenario, Setup};
use crate::vocab::{Intent, NetworkKind::Reliable, To};

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
    .map(|s| pinned(s, 0))
    .collect()
}
