//! End-to-end flows through the engines' own code, with both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::symbolic::{SymbolicBackend, SymbolicSealed};
use sealwright_engines::decryption::Decryption;
use sealwright_engines::encryption::Encryption;
use sealwright_engines::identity_management::IdentityManagement;
use sealwright_engines::local::{LocalNode, NodeEngine};
use sealwright_engines::reads_for::ReadsFor;
use spec::effects::RejectReason;
use spec::message::*;
use spec::*;

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

struct World<B: Backend> {
    node: LocalNode<B>,
    next: u64,
}

const ENC: &str = "node/encryption";
const ENC2: &str = "node/encryption-2";
const RF: &str = "node/reads-for";
const VAULT: &str = "node/vault";
const IM: &str = "node/identity";

impl<B: Backend> World<B> {
    fn new(mut backend: B) -> Self {
        let enc_state = Encryption::initial_state(&mut backend);
        let mut node = LocalNode::new(backend);
        node.insert(
            addr(ENC),
            NodeEngine::Encryption(Encryption::new(addr(ENC), addr(RF)), enc_state.clone()),
        );
        // A second instance of the pool shares the cookie key.
        node.insert(
            addr(ENC2),
            NodeEngine::Encryption(Encryption::new(addr(ENC2), addr(RF)), enc_state),
        );
        node.insert(
            addr(RF),
            NodeEngine::ReadsFor(ReadsFor::new(addr(RF)), Default::default()),
        );
        node.insert(
            addr(VAULT),
            NodeEngine::Decryption(
                Decryption::new(addr(VAULT), Some(addr(IM)), BTreeSet::new()),
                Default::default(),
            ),
        );
        node.insert(
            addr(IM),
            NodeEngine::IdentityManagement(
                IdentityManagement::new(addr(IM), addr(VAULT), addr(RF)),
                Default::default(),
            ),
        );
        World { node, next: 0 }
    }

    /// Sends a request from `from` to `to` and returns the one reply `from` gets.
    fn ask(&mut self, from: &str, to: &str, message: impl Into<Message>) -> Message {
        self.next += 1;
        let correlation = CorrelationId(self.next);
        let out = self
            .node
            .deliver(Envelope {
                sender: addr(from),
                target: addr(to),
                correlation,
                message: message.into(),
            })
            .unwrap();
        assert_eq!(out.len(), 1, "exactly one reply: {out:?}");
        let reply = out.into_iter().next().unwrap();
        assert_eq!(reply.target, addr(from), "the reply reaches the requester");
        assert_eq!(
            reply.correlation, correlation,
            "the reply carries the request's correlation"
        );
        reply.message
    }

    fn generate(&mut self, owner: &str) -> ExternalIdentity {
        self.generate_with(owner, Capabilities::default())
    }

    fn generate_with(&mut self, owner: &str, capabilities: Capabilities) -> ExternalIdentity {
        match self.ask(owner, IM, RequestGenerateIdentity { capabilities }) {
            Message::ReplyGenerateIdentity(r) => r.result.unwrap(),
            m => panic!("{m:?}"),
        }
    }

    fn connect(
        &mut self,
        who: &str,
        identity: &ExternalIdentity,
        capabilities: Capabilities,
    ) -> Result<Address, IdentityError> {
        let request = RequestConnectIdentity {
            external_identity: identity.id(),
            capabilities,
        };
        match self.ask(who, IM, request) {
            Message::ReplyConnectIdentity(r) => r.result,
            m => panic!("{m:?}"),
        }
    }

    fn rotate(&mut self, owner: &str, identity: &ExternalIdentity) -> ExternalIdentity {
        let request = RequestRotateIdentity {
            external_identity: identity.id(),
        };
        match self.ask(owner, IM, request) {
            Message::ReplyRotateIdentity(r) => r.result.unwrap(),
            m => panic!("{m:?}"),
        }
    }

    /// `who` asks the vault to commit to `data` as `identity`; the commitment is checked.
    fn commit(&mut self, who: &str, identity: &ExternalIdentity) -> Result<(), CommitmentError> {
        let request = RequestCommitment {
            data: Signable(b"data".to_vec()),
            external_identity: identity.id(),
        };
        match self.ask(who, VAULT, request) {
            Message::ReplyCommitment(r) => r.result.map(|c| {
                assert_eq!(c.verifying_key, identity.verifying_key, "signed as asked");
            }),
            m => panic!("{m:?}"),
        }
    }

    fn zone(
        &mut self,
        owner: &str,
        master: &ExternalIdentity,
        name: &str,
    ) -> Result<ExternalIdentity, IdentityError> {
        self.zone_with(owner, master, name, Capabilities::default())
    }

    fn zone_with(
        &mut self,
        owner: &str,
        master: &ExternalIdentity,
        name: &str,
        capabilities: Capabilities,
    ) -> Result<ExternalIdentity, IdentityError> {
        match self.ask(
            owner,
            IM,
            RequestDeriveZoneIdentity {
                master: master.id(),
                zone: name.into(),
                capabilities,
            },
        ) {
            Message::ReplyDeriveZoneIdentity(r) => r.result,
            m => panic!("{m:?}"),
        }
    }

    fn encrypt(
        &mut self,
        via: &str,
        to: &ExternalIdentity,
        reads_for: bool,
        data: &[u8],
    ) -> Result<Ciphertext, EncryptionError> {
        match self.ask(
            "client-1",
            via,
            RequestEncrypt {
                data: Plaintext(data.to_vec()),
                external_identity: to.clone(),
                use_reads_for: reads_for,
            },
        ) {
            Message::ReplyEncrypt(r) => r.result,
            m => panic!("{m:?}"),
        }
    }

    fn decrypt(&mut self, who: &str, ct: &Ciphertext) -> Result<Plaintext, DecryptionError> {
        match self.ask(who, VAULT, RequestDecryption { data: ct.clone() }) {
            Message::ReplyDecryption(r) => r.result,
            m => panic!("{m:?}"),
        }
    }

    fn submit(&mut self, evidence: ReadsForEvidence) -> Result<(), RelationError> {
        match self.ask("client-1", RF, RequestSubmitReadsForEvidence { evidence }) {
            Message::ReplySubmitReadsForEvidence(r) => r.result,
            m => panic!("{m:?}"),
        }
    }

    fn revoke(&mut self, revocation: ReadsForRevocation) -> Result<(), RelationError> {
        match self.ask(
            "client-1",
            RF,
            RequestSubmitReadsForRevocation { revocation },
        ) {
            Message::ReplySubmitReadsForRevocation(r) => r.result,
            m => panic!("{m:?}"),
        }
    }

    /// Signs "reader reads for subject" with the subject's key, held in the vault.
    fn sign_evidence(
        &mut self,
        reader: &ExternalIdentity,
        subject: &ExternalIdentity,
        serial: u64,
    ) -> ReadsForEvidence {
        let secrets = self.vault_secrets(subject);
        let bytes = ReadsForEvidence::statement_bytes(reader, subject, serial);
        ReadsForEvidence {
            from_identity: reader.clone(),
            to_identity: subject.clone(),
            serial,
            signature: self.node.backend().sign(&secrets, &bytes),
            relation: Default::default(),
        }
    }

    fn sign_revocation(
        &mut self,
        reader: &ExternalIdentity,
        subject: &ExternalIdentity,
        serial: u64,
    ) -> ReadsForRevocation {
        let secrets = self.vault_secrets(subject);
        let bytes = ReadsForRevocation::statement_bytes(&reader.id(), subject, serial);
        ReadsForRevocation {
            from_identity: reader.id(),
            to_identity: subject.clone(),
            serial,
            signature: self.node.backend().sign(&secrets, &bytes),
            relation: Default::default(),
        }
    }

    fn vault_secrets(
        &self,
        who: &ExternalIdentity,
    ) -> sealwright_engines::identity::InternalIdentity {
        match self.node.engine(&addr(VAULT)) {
            Some(NodeEngine::Decryption(_, s)) => s.identities[&who.id()].secrets.clone(),
            _ => unreachable!(),
        }
    }
}

macro_rules! for_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn symbolic() {
                let f: fn(World<SymbolicBackend>) = $body;
                f(World::new(SymbolicBackend::new(1)));
            }
            #[test]
            fn hpke() {
                let f: fn(World<HpkeBackend>) = $body;
                f(World::new(HpkeBackend::new()));
            }
        }
    };
}

for_both_backends!(direct_encryption_opens_only_for_the_owner, |mut w| {
    let alice = w.generate("alice");
    w.generate("bob");
    let ct = w.encrypt(ENC, &alice, false, b"hello").unwrap();
    assert_eq!(w.decrypt("alice", &ct).unwrap().0, b"hello");
    // Bob owns an identity in the same vault, but not Alice's.
    assert_eq!(w.decrypt("bob", &ct), Err(DecryptionError::NoMatchingKey));
    // Mallory owns nothing here.
    assert_eq!(
        w.decrypt("mallory", &ct),
        Err(DecryptionError::NotAuthorised)
    );
});

for_both_backends!(zone_is_read_by_its_master_only_with_reads_for, |mut w| {
    let master = w.generate("alice");
    let zone = w.zone("alice", &master, "photos").unwrap();
    assert_eq!(
        w.zone("alice", &master, "photos"),
        Err(IdentityError::InvalidZone)
    );
    assert_eq!(w.zone("bob", &master, "docs"), Err(IdentityError::NotOwner));
    let with = w.encrypt(ENC, &zone, true, b"z").unwrap();
    let without = w.encrypt(ENC, &zone, false, b"z").unwrap();
    // The vault holds both keys for Alice; restrict to check who the ciphertext names.
    if let Some(sealed) = SymbolicSealed::inspect(&with.0) {
        let ids: BTreeSet<_> = sealed.recipients.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, BTreeSet::from([zone.id(), master.id()]));
        let ids: BTreeSet<_> = SymbolicSealed::inspect(&without.0)
            .unwrap()
            .recipients
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(ids, BTreeSet::from([zone.id()]));
    }
    assert_eq!(w.decrypt("alice", &with).unwrap().0, b"z");
    // Direction: the zone does not read for the master (the Anoma gap 5).
    let to_master = w.encrypt(ENC, &master, true, b"m").unwrap();
    if let Some(sealed) = SymbolicSealed::inspect(&to_master.0) {
        assert_eq!(sealed.recipients.len(), 1);
    }
    match w.ask(
        "x",
        RF,
        RequestReadsFor {
            external_identity_a: master.id(),
            external_identity_b: zone.id(),
        },
    ) {
        Message::ReplyReadsFor(r) => assert_eq!(r.result, Ok(true)),
        m => panic!("{m:?}"),
    }
    match w.ask(
        "x",
        RF,
        RequestReadsFor {
            external_identity_a: zone.id(),
            external_identity_b: master.id(),
        },
    ) {
        Message::ReplyReadsFor(r) => assert_eq!(r.result, Ok(false)),
        m => panic!("{m:?}"),
    }
});

for_both_backends!(evidence_is_verified_and_revocation_sticks, |mut w| {
    let a = w.generate("alice");
    let b = w.generate("bob");
    let c = w.generate("carol");
    // A reads for B, B reads for C: A reads for C transitively.
    let ab = w.sign_evidence(&a, &b, 1);
    let bc = w.sign_evidence(&b, &c, 1);
    let mut forged = ab.clone();
    forged.signature[0] ^= 1;
    assert_eq!(w.submit(forged), Err(RelationError::SignatureInvalid));
    // Signed by the reader instead of the subject.
    let mut wrong_signer = w.sign_evidence(&a, &a, 1);
    wrong_signer.to_identity = b.clone();
    assert_eq!(w.submit(wrong_signer), Err(RelationError::SignatureInvalid));
    let self_ref = w.sign_evidence(&a, &a, 1);
    assert!(matches!(
        w.submit(self_ref),
        Err(RelationError::Malformed(_))
    ));
    w.submit(ab.clone()).unwrap();
    w.submit(ab.clone()).unwrap(); // idempotent
    w.submit(bc).unwrap();
    let ct = w.encrypt(ENC, &c, true, b"chain").unwrap();
    assert_eq!(w.decrypt("alice", &ct).unwrap().0, b"chain");
    assert_eq!(w.decrypt("bob", &ct).unwrap().0, b"chain");
    // Revoke A reads for B: A no longer reaches C.
    let mut bad_rev = w.sign_revocation(&a, &b, 1);
    bad_rev.signature[5] ^= 0x20;
    assert_eq!(w.revoke(bad_rev), Err(RelationError::SignatureInvalid));
    let rev = w.sign_revocation(&a, &b, 1);
    w.revoke(rev).unwrap();
    let ct = w.encrypt(ENC, &c, true, b"after").unwrap();
    assert_eq!(w.decrypt("alice", &ct), Err(DecryptionError::NoMatchingKey));
    assert_eq!(w.decrypt("bob", &ct).unwrap().0, b"after");
    // Replaying the old evidence is refused; newer evidence is accepted.
    assert_eq!(
        w.submit(ab),
        Err(RelationError::Revoked { revoked_through: 1 })
    );
    let ab2 = w.sign_evidence(&a, &b, 2);
    w.submit(ab2).unwrap();
    let ab_old = w.sign_evidence(&a, &b, 1);
    assert_eq!(
        w.submit(ab_old),
        Err(RelationError::Revoked { revoked_through: 1 })
    );
});

for_both_backends!(rotation_keeps_old_ciphertexts_open, |mut w| {
    let old = w.generate("alice");
    let before = w.encrypt(ENC, &old, false, b"before").unwrap();
    let new = match w.ask(
        "alice",
        IM,
        RequestRotateIdentity {
            external_identity: old.id(),
        },
    ) {
        Message::ReplyRotateIdentity(r) => r.result.unwrap(),
        m => panic!("{m:?}"),
    };
    assert_eq!(new.verifying_key, old.verifying_key);
    assert_ne!(new.encryption_key, old.encryption_key);
    assert_eq!(w.decrypt("alice", &before).unwrap().0, b"before");
    // Sealing to the old identity with reads-for reaches the new key.
    let ct = w.encrypt(ENC, &old, true, b"after").unwrap();
    if let Some(sealed) = SymbolicSealed::inspect(&ct.0) {
        assert!(sealed.recipients.iter().any(|(id, _)| *id == new.id()));
    }
    match w.ask(
        "bob",
        IM,
        RequestRotateIdentity {
            external_identity: new.id(),
        },
    ) {
        Message::ReplyRotateIdentity(r) => assert_eq!(r.result, Err(IdentityError::NotOwner)),
        m => panic!("{m:?}"),
    }
});

for_both_backends!(delete_only_by_owner_and_connect_only_by_owner, |mut w| {
    let a = w.generate("alice");
    let ct = w.encrypt(ENC, &a, false, b"x").unwrap();
    match w.ask(
        "bob",
        IM,
        RequestConnectIdentity {
            external_identity: a.id(),
            capabilities: Capabilities::default(),
        },
    ) {
        Message::ReplyConnectIdentity(r) => assert_eq!(r.result, Err(IdentityError::NotOwner)),
        m => panic!("{m:?}"),
    }
    match w.ask(
        "alice",
        IM,
        RequestConnectIdentity {
            external_identity: a.id(),
            capabilities: Capabilities::default(),
        },
    ) {
        Message::ReplyConnectIdentity(r) => assert_eq!(r.result, Ok(addr(VAULT))),
        m => panic!("{m:?}"),
    }
    match w.ask(
        "bob",
        IM,
        RequestDeleteIdentity {
            external_identity: a.id(),
        },
    ) {
        Message::ReplyDeleteIdentity(r) => assert_eq!(r.result, Err(IdentityError::NotOwner)),
        m => panic!("{m:?}"),
    }
    match w.ask(
        "alice",
        IM,
        RequestDeleteIdentity {
            external_identity: a.id(),
        },
    ) {
        Message::ReplyDeleteIdentity(r) => assert_eq!(r.result, Ok(())),
        m => panic!("{m:?}"),
    }
    assert_eq!(w.decrypt("alice", &ct), Err(DecryptionError::NotAuthorised));
    // Only Identity Management may manage keys.
    match w.ask(
        "mallory",
        VAULT,
        RequestGenerateKey {
            owner: addr("mallory"),
            read_by: None,
            capabilities: Capabilities::default(),
        },
    ) {
        Message::ReplyGenerateKey(r) => assert_eq!(r.result, Err(DecryptionError::NotAuthorised)),
        m => panic!("{m:?}"),
    }
});

for_both_backends!(unhandled_requests_get_typed_errors, |mut w| {
    match w.ask(
        "c",
        ENC,
        RequestDecryption {
            data: Ciphertext(vec![1]),
        },
    ) {
        Message::ReplyDecryption(r) => assert_eq!(r.result, Err(DecryptionError::NotHandled)),
        m => panic!("{m:?}"),
    }
    match w.ask("c", VAULT, RequestGenerateIdentity::default()) {
        Message::ReplyGenerateIdentity(r) => assert_eq!(r.result, Err(IdentityError::NotHandled)),
        m => panic!("{m:?}"),
    }
    assert!(w.decrypt("c", &Ciphertext(b"garbage".to_vec())).is_err());
});

/// The Encryption engine's query, captured by routing it to a ReadsFor address with no engine.
fn captured_query<B: Backend>(w: &mut World<B>, via: &str, to: &ExternalIdentity) -> Envelope {
    let mut engine = w.node.engine(&addr(via)).unwrap().clone();
    let effects = engine.step(
        w.node.backend(),
        &Envelope {
            sender: addr("client-7"),
            target: addr(via),
            correlation: CorrelationId(77),
            message: RequestEncrypt {
                data: Plaintext(b"pending".to_vec()),
                external_identity: to.clone(),
                use_reads_for: true,
            }
            .into(),
        },
    );
    assert_eq!(effects.send.len(), 1);
    effects.send.into_iter().next().unwrap()
}

fn answer(
    query: &Envelope,
    result: Result<Vec<ReadsForEvidence>, RelationError>,
    to: &str,
) -> Envelope {
    let Message::RequestQueryReadsForEvidence(q) = &query.message else {
        panic!()
    };
    Envelope {
        sender: query.target.clone(),
        target: addr(to),
        correlation: query.correlation,
        message: ReplyQueryReadsForEvidence {
            external_identity: q.external_identity,
            continuation: q.continuation.clone(),
            result,
        }
        .into(),
    }
}

for_both_backends!(
    reads_for_errors_propagate_and_continuations_are_checked,
    |mut w| {
        let a = w.generate("alice");
        let query = captured_query(&mut w, ENC, &a);
        assert_eq!(query.target, addr(RF));
        // An error from the ReadsFor engine reaches the requester as an error, never a ciphertext.
        let out = w
            .node
            .deliver(answer(&query, Err(RelationError::Unavailable), ENC))
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].target, addr("client-7"));
        assert_eq!(out[0].correlation, CorrelationId(77));
        match &out[0].message {
            Message::ReplyEncrypt(r) => assert_eq!(
                r.result,
                Err(EncryptionError::ReadsFor(RelationError::Unavailable))
            ),
            m => panic!("{m:?}"),
        }
        // The other instance of the pool finishes a request the first one started.
        let out = w.node.deliver(answer(&query, Ok(vec![]), ENC2)).unwrap();
        match &out[0].message {
            Message::ReplyEncrypt(r) => assert!(r.result.is_ok()),
            m => panic!("{m:?}"),
        }
        // A reply from anyone but the ReadsFor engine is rejected, not acted on.
        let mut spoofed = answer(&query, Ok(vec![]), ENC);
        spoofed.sender = addr("mallory");
        assert!(w.node.deliver(spoofed).unwrap().is_empty());
        // A forged continuation is rejected.
        let mut forged = answer(&query, Ok(vec![]), ENC);
        if let Message::ReplyQueryReadsForEvidence(r) = &mut forged.message {
            let c = r.continuation.as_mut().unwrap();
            let last = c.0.len() - 1;
            c.0[last] ^= 1;
        }
        assert!(w.node.deliver(forged).unwrap().is_empty());
        // A reply whose subject differs from the continuation's is rejected.
        let mut swapped = answer(&query, Ok(vec![]), ENC);
        if let Message::ReplyQueryReadsForEvidence(r) = &mut swapped.message {
            r.external_identity = IdentityId([0; 20]);
        }
        assert!(w.node.deliver(swapped).unwrap().is_empty());
        let reasons: Vec<_> = w.node.rejections().iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            vec![
                RejectReason::UnexpectedSender,
                RejectReason::ContinuationInvalid,
                RejectReason::SubjectMismatch
            ]
        );
    }
);

for_both_backends!(cookie_rotation_in_a_pool, |mut w| {
    let a = w.generate("alice");
    let rotate = |w: &mut World<_>, at: &str| match w.node.engine_mut(&addr(at)) {
        Some(NodeEngine::Encryption(_, s)) => s.cookies.rotate(),
        _ => unreachable!(),
    };
    // Instance 1 rotates first; its query is finished by instance 2, still one epoch behind.
    rotate(&mut w, ENC);
    let query = captured_query(&mut w, ENC, &a);
    let out = w.node.deliver(answer(&query, Ok(vec![]), ENC2)).unwrap();
    assert!(matches!(&out[0].message, Message::ReplyEncrypt(r) if r.result.is_ok()));
    // And the other way round: the previous key still opens.
    let query = captured_query(&mut w, ENC2, &a);
    let out = w.node.deliver(answer(&query, Ok(vec![]), ENC)).unwrap();
    assert!(matches!(&out[0].message, Message::ReplyEncrypt(r) if r.result.is_ok()));
    // Two rotations later the old continuation has expired.
    rotate(&mut w, ENC);
    rotate(&mut w, ENC);
    let out = w.node.deliver(answer(&query, Ok(vec![]), ENC)).unwrap();
    assert!(out.is_empty());
    assert_eq!(
        w.node.rejections().last().unwrap().reason,
        RejectReason::ContinuationExpired
    );
});

#[test]
fn vault_debug_output_holds_no_secret() {
    let mut w = World::new(HpkeBackend::new());
    let a = w.generate("alice");
    let secrets = w.vault_secrets(&a);
    let debug = format!("{:?} {:#?}", w.node, secrets);
    for secret in [
        secrets.signing_seed.expose(),
        secrets.encryption_secret.expose(),
    ] {
        let hex = hex::encode(secret);
        assert!(!debug.contains(&hex));
        let decimal = format!("{:?}", secret);
        assert!(!debug.contains(&decimal[1..decimal.len() - 1]));
    }
    assert!(debug.contains("redacted"));
}

for_both_backends!(a_query_is_correlated_by_its_continuation_bytes, |mut w| {
    let a = w.generate("alice");
    let first = captured_query(&mut w, ENC, &a);
    let again = captured_query(&mut w, ENC, &a);
    for query in [&first, &again] {
        let Message::RequestQueryReadsForEvidence(q) = &query.message else {
            panic!("{query:?}")
        };
        let bytes = &q.continuation.as_ref().unwrap().0;
        let id = u64::from_be_bytes(bytes[8..16].try_into().unwrap());
        assert_eq!(query.correlation, CorrelationId(id));
    }
    // The same request sealed twice: a fresh nonce gives a fresh id; a
    // deterministic backend gives the same continuation and so the same id.
    let same_continuation = first.message == again.message;
    assert_eq!(first.correlation == again.correlation, same_continuation);
});

// Capabilities: Identity Management records them and checks them on connect; the vault,
// which holds the keys, enforces them on commit and decrypt; a rotation keeps them.

/// Alice's identities with each capability, two rotated ones and a zone, and Carol's one, by
/// the names the tables below use.
fn limited<B: Backend>(w: &mut World<B>) -> BTreeMap<&'static str, ExternalIdentity> {
    use Capabilities::{Commit, Decrypt};
    let signer = w.generate_with("alice", Commit);
    let reader = w.generate_with("alice", Decrypt);
    let mut ids = BTreeMap::new();
    ids.insert("both", w.generate("alice"));
    ids.insert("signer rotated", w.rotate("alice", &signer));
    ids.insert("reader rotated", w.rotate("alice", &reader));
    // A zone has the capabilities it was derived with, whatever its master's.
    let zone = w.zone_with("alice", &signer, "inbox", Decrypt).unwrap();
    ids.insert("reader zone", zone);
    ids.insert("carol's signer", w.generate_with("carol", Commit));
    ids.insert("signer", signer);
    ids.insert("reader", reader);
    ids
}

for_both_backends!(
    connect_asks_for_no_capability_the_identity_lacks,
    |mut w| {
        use Capabilities::{Commit, CommitAndDecrypt as Both, Decrypt};
        let ids = limited(&mut w);
        let missing = |requested, granted| -> Result<Address, IdentityError> {
            Err(IdentityError::MissingCapability { requested, granted })
        };
        let vault = || Ok(addr(VAULT));
        let rows = [
            ("alice", "signer", Decrypt, missing(Decrypt, Commit)),
            ("alice", "signer", Both, missing(Both, Commit)),
            ("alice", "signer", Commit, vault()),
            ("alice", "reader", Commit, missing(Commit, Decrypt)),
            ("alice", "reader", Decrypt, vault()),
            ("alice", "both", Commit, vault()),
            ("alice", "both", Decrypt, vault()),
            ("alice", "both", Both, vault()),
            ("alice", "signer rotated", Decrypt, missing(Decrypt, Commit)),
            ("alice", "signer rotated", Commit, vault()),
            ("alice", "reader rotated", Both, missing(Both, Decrypt)),
            ("alice", "reader zone", Commit, missing(Commit, Decrypt)),
            ("alice", "reader zone", Decrypt, vault()),
            // Ownership first: a stranger learns nothing about the capabilities.
            ("bob", "signer", Decrypt, Err(IdentityError::NotOwner)),
        ];
        let mut failures = Vec::new();
        for (who, name, asked, expected) in rows {
            let got = w.connect(who, &ids[name], asked);
            if got != expected {
                failures.push(format!(
                    "{who} asks {asked:?} of {name}: {expected:?}, got {got:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert_eq!(missing(Decrypt, Commit).unwrap_err().code(), 406);
    }
);

for_both_backends!(the_vault_commits_only_with_identities_that_may, |mut w| {
    let ids = limited(&mut w);
    let refused = || Err(CommitmentError::NoCommitCapability);
    let rows = [
        ("alice", "signer", Ok(())),
        ("alice", "reader", refused()),
        ("alice", "both", Ok(())),
        ("alice", "signer rotated", Ok(())),
        ("alice", "reader rotated", refused()),
        ("alice", "reader zone", refused()),
        // Ownership first, as for connect.
        ("bob", "reader", Err(CommitmentError::NotAuthorised)),
    ];
    let mut failures = Vec::new();
    for (who, name, expected) in rows {
        let got = w.commit(who, &ids[name]);
        if got != expected {
            failures.push(format!(
                "{who} commits as {name}: {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(CommitmentError::NoCommitCapability.code(), 503);
});

for_both_backends!(the_vault_decrypts_only_with_identities_that_may, |mut w| {
    let ids = limited(&mut w);
    let (opened, no_key) = (|| Ok(b"x".to_vec()), || Err(DecryptionError::NoMatchingKey));
    let rows = [
        ("alice", "signer", false, no_key()),
        ("alice", "reader", false, opened()),
        ("alice", "both", false, opened()),
        ("alice", "signer rotated", false, no_key()),
        ("alice", "reader rotated", false, opened()),
        // Sealed to the zone and, by reads-for, its commit-only master: the zone's key opens.
        ("alice", "reader zone", true, opened()),
        // Carol is served (she owns an identity here) but holds no key she may decrypt with.
        ("carol", "carol's signer", false, no_key()),
    ];
    let mut failures = Vec::new();
    for (who, name, reads_for, expected) in rows {
        let ct = w.encrypt(ENC, &ids[name], reads_for, b"x").unwrap();
        let got = w.decrypt(who, &ct).map(|p| p.0);
        if got != expected {
            failures.push(format!(
                "{who} opens one sealed to {name}: {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
});
