//! Commitments and their verification end to end, with real Ed25519 and the engines' own code:
//! the vault signs for owners only, Verification checks directly or through SignsFor, a failed
//! query is an error and never `false`, and no commitment can stand in for evidence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::{HpkeBackend, SeededRng};
use sealwright_engines::decryption::{Decryption, DecryptionState};
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::local::{LocalNode, NodeEngine};
use sealwright_engines::reads_for::ReadsFor;
use sealwright_engines::signs_for::SignsFor;
use sealwright_engines::verification::Verification;
use spec::message::*;
use spec::relation::{Reads, Relation, Signs};
use spec::*;

const VAULT: &str = "node/vault";
const SF: &str = "node/signs-for";
const RF: &str = "node/reads-for";
const VER: &str = "node/verification";
/// A Verification engine whose "SignsFor engine" is the vault: every query fails.
const VER_MISCONFIGURED: &str = "node/verification-misconfigured";

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

/// Who owns each identity in the vault.
fn owner(name: &str) -> String {
    format!("client-{name}")
}

struct World {
    node: LocalNode<HpkeBackend<SeededRng>>,
    alice: InternalIdentity,
    bob: InternalIdentity,
    carol: InternalIdentity,
    next: u64,
}

impl World {
    fn new() -> World {
        let mut backend = HpkeBackend::with_rng(SeededRng::new(b"sealwright/tests/signatures"));
        let [alice, bob, carol] = [0; 3].map(|_| backend.generate_identity());
        let mut vault = DecryptionState::default();
        for (name, who) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
            vault.insert(addr(&owner(name)), who.clone());
        }
        let verification = Verification::initial_state(&mut backend);
        let mut node = LocalNode::new(backend);
        let engines = [
            (
                VAULT,
                NodeEngine::Decryption(Decryption::new(addr(VAULT), None, BTreeSet::new()), vault),
            ),
            (
                SF,
                NodeEngine::SignsFor(SignsFor::new(addr(SF)), Default::default()),
            ),
            (
                RF,
                NodeEngine::ReadsFor(ReadsFor::new(addr(RF)), Default::default()),
            ),
            (
                VER,
                NodeEngine::Verification(
                    Verification::new(addr(VER), addr(SF)),
                    verification.clone(),
                ),
            ),
            (
                VER_MISCONFIGURED,
                NodeEngine::Verification(
                    Verification::new(addr(VER_MISCONFIGURED), addr(VAULT)),
                    verification,
                ),
            ),
        ];
        for (at, engine) in engines {
            node.insert(addr(at), engine);
        }
        World {
            node,
            alice,
            bob,
            carol,
            next: 0,
        }
    }

    /// Sends `message` from `client` to `to` and returns the one reply that comes back.
    fn ask(&mut self, client: &str, to: &str, message: impl Into<Message>) -> Message {
        self.next += 1;
        let out = self
            .node
            .deliver(Envelope {
                sender: addr(client),
                target: addr(to),
                correlation: CorrelationId(self.next),
                message: message.into(),
            })
            .unwrap();
        assert_eq!(out.len(), 1, "one reply: {out:?}");
        let reply = out.into_iter().next().unwrap();
        assert_eq!(reply.correlation, CorrelationId(self.next));
        reply.message
    }

    fn commit_as(
        &mut self,
        client: &str,
        who: &InternalIdentity,
        data: &[u8],
    ) -> Result<Commitment, CommitmentError> {
        let request = RequestCommitment {
            data: Signable(data.to_vec()),
            external_identity: who.id(),
        };
        match self.ask(client, VAULT, request) {
            Message::ReplyCommitment(r) => r.result,
            other => panic!("not a commitment reply: {other:?}"),
        }
    }

    /// `who`'s owner asks the vault for a commitment to `data`.
    fn commit(&mut self, who: &str, data: &[u8]) -> Commitment {
        let signer = self.identity(who).clone();
        self.commit_as(&owner(who), &signer, data).unwrap()
    }

    fn verify_at(
        &mut self,
        engine: &str,
        data: &[u8],
        commitment: Commitment,
        target: ExternalIdentity,
        use_signs_for: bool,
    ) -> Result<bool, VerificationError> {
        let request = RequestVerification {
            data: Signable(data.to_vec()),
            commitment,
            external_identity: target,
            use_signs_for,
        };
        match self.ask("client-verifier", engine, request) {
            Message::ReplyVerification(r) => r.result,
            other => panic!("not a verification reply: {other:?}"),
        }
    }

    fn verify(
        &mut self,
        data: &[u8],
        c: Commitment,
        target: &str,
        use_signs_for: bool,
    ) -> Result<bool, VerificationError> {
        let target = self.identity(target).external.clone();
        self.verify_at(VER, data, c, target, use_signs_for)
    }

    fn identity(&self, name: &str) -> &InternalIdentity {
        match name {
            "alice" => &self.alice,
            "bob" => &self.bob,
            _ => &self.carol,
        }
    }

    /// Records `capabilities` for `name`'s identity in the vault, as a generation asking for them would.
    fn limit(&mut self, name: &str, capabilities: Capabilities) {
        let id = self.identity(name).id();
        match self.node.engine_mut(&addr(VAULT)) {
            Some(NodeEngine::Decryption(_, vault)) => {
                vault.identities.get_mut(&id).unwrap().capabilities = capabilities;
            }
            _ => unreachable!("the vault is a Decryption engine"),
        }
    }

    /// `subject` signs "`member` R `subject`" with `serial`, and it is submitted to `R`'s engine.
    fn grant<R: RelationMessages>(
        &mut self,
        member: &str,
        subject: &str,
        serial: u64,
    ) -> Result<(), RelationError> {
        let (member, subject) = (
            self.identity(member).clone(),
            self.identity(subject).clone(),
        );
        let bytes = Evidence::<R>::statement_bytes(&member.external, &subject.external, serial);
        let signature = self.node.backend().sign(&subject, &bytes);
        let ev = Evidence::<R>::new(member.external, subject.external, serial, signature);
        self.submit::<R>(ev)
    }

    fn submit<R: RelationMessages>(&mut self, ev: Evidence<R>) -> Result<(), RelationError> {
        let engine = if R::ENGINE == Reads::ENGINE { RF } else { SF };
        match self.ask("client-anyone", engine, R::submit(ev)) {
            Message::ReplySubmitReadsForEvidence(r) => r.result,
            Message::ReplySubmitSignsForEvidence(r) => r.result,
            other => panic!("not a submission reply: {other:?}"),
        }
    }

    fn revoke_signs_for(&mut self, member: &str, subject: &str, serial: u64) {
        let (member, subject) = (
            self.identity(member).clone(),
            self.identity(subject).clone(),
        );
        let bytes = SignsForRevocation::statement_bytes(&member.id(), &subject.external, serial);
        let signature = self.node.backend().sign(&subject, &bytes);
        let rv = SignsForRevocation::new(member.id(), subject.external, serial, signature);
        match self.ask("client-anyone", SF, Signs::revoke(rv)) {
            Message::ReplySubmitSignsForRevocation(r) => r.result.unwrap(),
            other => panic!("not a revocation reply: {other:?}"),
        }
    }
}

type Row = (
    &'static str,
    fn(&mut World) -> Result<bool, VerificationError>,
    Result<bool, VerificationError>,
);

const DATA: &[u8] = b"release 1.0";

#[test]
fn verification_answers_exactly_what_the_commitment_and_the_evidence_say() {
    let rows: Vec<Row> = vec![
        (
            "own commitment",
            |w| {
                let c = w.commit("alice", DATA);
                w.verify(DATA, c, "alice", false)
            },
            Ok(true),
        ),
        (
            "own commitment, through signs-for",
            |w| {
                let c = w.commit("alice", DATA);
                w.verify(DATA, c, "alice", true)
            },
            Ok(true),
        ),
        (
            "altered data",
            |w| {
                let c = w.commit("alice", DATA);
                w.verify(b"release 1.1", c, "alice", false)
            },
            Ok(false),
        ),
        (
            "another identity's commitment",
            |w| {
                let c = w.commit("bob", DATA);
                w.verify(DATA, c, "alice", false)
            },
            Ok(false),
        ),
        (
            "another's signature under the target's key",
            |w| {
                let mut c = w.commit("bob", DATA);
                c.verifying_key = w.alice.external.verifying_key;
                w.verify(DATA, c, "alice", false)
            },
            Ok(false),
        ),
        (
            "bob signs for alice",
            |w| {
                w.grant::<Signs>("bob", "alice", 1).unwrap();
                let c = w.commit("bob", DATA);
                w.verify(DATA, c, "alice", true)
            },
            Ok(true),
        ),
        (
            "bob signs for alice, but signs-for is not asked for",
            |w| {
                w.grant::<Signs>("bob", "alice", 1).unwrap();
                let c = w.commit("bob", DATA);
                w.verify(DATA, c, "alice", false)
            },
            Ok(false),
        ),
        (
            "carol signs for bob, who signs for alice",
            |w| {
                w.grant::<Signs>("bob", "alice", 1).unwrap();
                w.grant::<Signs>("carol", "bob", 1).unwrap();
                let c = w.commit("carol", DATA);
                w.verify(DATA, c, "alice", true)
            },
            Ok(true),
        ),
        (
            "an edge leaving the subject is not followed",
            |w| {
                // Bob signs for alice: that does not make alice's commitments bob's.
                w.grant::<Signs>("bob", "alice", 1).unwrap();
                let c = w.commit("alice", DATA);
                w.verify(DATA, c, "bob", true)
            },
            Ok(false),
        ),
        (
            "reads-for evidence does not make a signer",
            |w| {
                w.grant::<Reads>("bob", "alice", 1).unwrap();
                let c = w.commit("bob", DATA);
                w.verify(DATA, c, "alice", true)
            },
            Ok(false),
        ),
        (
            "revoked signs-for",
            |w| {
                w.grant::<Signs>("bob", "alice", 1).unwrap();
                w.revoke_signs_for("bob", "alice", 1);
                let c = w.commit("bob", DATA);
                w.verify(DATA, c, "alice", true)
            },
            Ok(false),
        ),
        (
            "a failed query is an error, never false",
            |w| {
                let c = w.commit("alice", DATA);
                let alice = w.alice.external.clone();
                w.verify_at(VER_MISCONFIGURED, DATA, c, alice, true)
            },
            Err(VerificationError::SignsFor(RelationError::NotHandled)),
        ),
        (
            "a commitment made before a rotation verifies after it",
            |w| {
                let c = w.commit("alice", DATA);
                let alice = w.alice.clone();
                let rotated = w.node.backend().rotate_encryption_key(&alice).external;
                assert_ne!(rotated.id(), alice.id());
                w.verify_at(VER, DATA, c, rotated, false)
            },
            Ok(true),
        ),
    ];
    let mut failures = Vec::new();
    for (name, row, expected) in rows {
        let got = row(&mut World::new());
        if got != expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_vault_commits_for_owners_only() {
    let mut w = World::new();
    let alice = w.alice.clone();
    assert_eq!(
        w.commit_as("client-bob", &alice, DATA),
        Err(CommitmentError::NotAuthorised)
    );
    let mut backend = HpkeBackend::with_rng(SeededRng::new(b"stranger"));
    let stranger = backend.generate_identity();
    assert_eq!(
        w.commit_as("client-alice", &stranger, DATA),
        Err(CommitmentError::UnknownIdentity)
    );
    let c = w.commit_as("client-alice", &alice, DATA).unwrap();
    assert_eq!(c.verifying_key, alice.external.verifying_key);
}

#[test]
fn the_vault_commits_only_with_identities_that_may_commit() {
    use Capabilities::{Commit, CommitAndDecrypt, Decrypt};
    let refused = Err(CommitmentError::NoCommitCapability);
    let rows = [
        (Commit, "client-alice", Ok(())),
        (CommitAndDecrypt, "client-alice", Ok(())),
        (Decrypt, "client-alice", refused),
        // Ownership is checked first: anyone else learns nothing about the capabilities.
        (Decrypt, "client-bob", Err(CommitmentError::NotAuthorised)),
        (Commit, "client-bob", Err(CommitmentError::NotAuthorised)),
    ];
    let mut failures = Vec::new();
    for (capabilities, client, expected) in rows {
        let mut w = World::new();
        w.limit("alice", capabilities);
        let alice = w.alice.clone();
        let got = w.commit_as(client, &alice, DATA).map(|c| {
            // What the vault signed verifies as Alice's.
            let verified = w.verify_at(VER, DATA, c, alice.external.clone(), false);
            assert_eq!(verified, Ok(true), "{capabilities:?}");
        });
        if got != expected {
            failures.push(format!(
                "{capabilities:?} by {client}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Every statement the vault could be asked to commit to, were it a signing oracle.
fn forged<R: Relation>(w: &mut World) -> Evidence<R> {
    let (mallory, alice) = (w.carol.external.clone(), w.alice.clone());
    let statement = Evidence::<R>::statement_bytes(&mallory, &alice.external, 99);
    // Alice's owner is tricked into committing to the statement's exact bytes.
    let c = w.commit("alice", &statement);
    Evidence::<R>::new(mallory, alice.external, 99, c.signature)
}

#[test]
fn no_commitment_is_accepted_as_evidence() {
    let mut w = World::new();
    let reads = forged::<Reads>(&mut w);
    assert_eq!(w.submit(reads), Err(RelationError::SignatureInvalid));
    let signs = forged::<Signs>(&mut w);
    assert_eq!(w.submit(signs), Err(RelationError::SignatureInvalid));
    // Evidence of one relation is not evidence of the other.
    let (bob, alice) = (w.bob.external.clone(), w.alice.clone());
    let bytes = ReadsForEvidence::statement_bytes(&bob, &alice.external, 1);
    let sig = w.node.backend().sign(&alice, &bytes);
    assert_eq!(
        w.submit(SignsForEvidence::new(
            bob.clone(),
            alice.external.clone(),
            1,
            sig
        )),
        Err(RelationError::SignatureInvalid)
    );
    assert_eq!(
        w.submit(ReadsForEvidence::new(bob, alice.external, 1, sig)),
        Ok(())
    );
}

/// An Encryption continuation, even under the very same cookie key, never finishes a
/// verification. Two things stop it, each alone enough: it is sealed under Encryption's
/// domain, and it holds an Encryption pending request, which does not decode as a
/// Verification one (so this test alone would not catch both engines given one domain).
#[test]
fn continuations_do_not_cross_engine_kinds() {
    use sealwright_engines::Engine;
    use sealwright_engines::encryption::Encryption;
    use spec::effects::RejectReason;

    let mut backend = HpkeBackend::with_rng(SeededRng::new(b"cross"));
    let target = backend.generate_identity().external;
    let key = backend.new_cookie_key();
    let mut enc_state = Encryption::initial_state(&mut backend);
    enc_state.cookies = sealwright_engines::cookie::CookieRing::new(key.clone());
    let mut ver_state = Verification::initial_state(&mut backend);
    ver_state.cookies = sealwright_engines::cookie::CookieRing::new(key);
    let encryption = Encryption::new(addr("node/enc"), addr(SF));
    let verification = Verification::new(addr(VER), addr(SF));
    let request = Envelope {
        sender: addr("client"),
        target: addr("node/enc"),
        correlation: CorrelationId(1),
        message: RequestEncrypt {
            data: Plaintext(b"x".to_vec()),
            external_identity: target.clone(),
            use_reads_for: true,
        }
        .into(),
    };
    let effects = encryption.step(&mut enc_state, &mut backend, &request);
    let Some(Message::RequestQueryReadsForEvidence(query)) =
        effects.send.first().map(|e| &e.message)
    else {
        panic!("no query: {effects:?}");
    };
    let answer = Envelope {
        sender: addr(SF),
        target: addr(VER),
        correlation: CorrelationId(2),
        message: Signs::answered(target.id(), query.continuation.clone(), Ok(Vec::new())),
    };
    let effects = verification.step(&mut ver_state, &mut backend, &answer);
    assert!(effects.send.is_empty(), "{effects:?}");
    assert_eq!(effects.rejected.len(), 1);
    assert_eq!(
        effects.rejected[0].reason,
        RejectReason::ContinuationInvalid
    );
}
