//! All four engines together, driven by an arbitrary schedule.
//!
//! A node (two Encryption instances sharing a cookie key, ReadsFor, a vault and
//! Identity Management) runs on the symbolic backend or, if the input says so,
//! the real HPKE backend with fixed randomness. Clients (`alice`, `bob`,
//! `auditor`, who the vault serves for every identity, and `mallory`) send
//! requests built from everything seen on the network; the network delivers,
//! reorders, duplicates, drops, replays and misdelivers envelopes as the input
//! says; the owner can also sign grants and revocations offline, as the CLI does.
//!
//! Invariants, checked after every step:
//! 1. one step handles one envelope with exactly one effect: one envelope sent
//!    or one rejection recorded; every envelope an engine sends names it as sender;
//! 2. a misdelivered envelope is rejected as `Misaddressed`, with nothing sent;
//! 3. every reply an engine sends to a client answers a request that client
//!    sent to that engine, with that correlation, and is that request's reply type;
//! 4. without duplicates or replays, no request gets two replies; with no drops,
//!    duplicates, replays or cookie rotations either, every request gets
//!    exactly one once the network is drained;
//! 5. a successful `ReplyDecryption` goes only to a requester the vault may
//!    serve for a recipient of that ciphertext, and holds what was sealed;
//! 6. no secret the vault or an Encryption engine ever held appears in any envelope;
//! 7. the ReadsFor store holds only verified, non-reflexive, unrevoked evidence;
//! 8. a ciphertext from `ReplyEncrypt` is sealed to the request's target, and
//!    to nobody else unless reads-for was asked for and evidence for them was accepted;
//! 9. without drops or replays, every identity Identity Management manages is
//!    held by the vault for the same owner (unless its deletion is under way).
#![no_main]

use std::collections::{BTreeMap, BTreeSet, HashSet};

use arbitrary::{Arbitrary, Unstructured};
use engines::Backend;
use engines::backend::format::{ENTRY_LEN, Header, PREFIX_LEN};
use engines::backend::hpke::HpkeBackend;
use engines::backend::symbolic::{SYMBOLIC_MAGIC, SymbolicBackend, SymbolicSealed};
use engines::decryption::{Decryption, DecryptionState};
use engines::encryption::Encryption;
use engines::identity_management::{IdentityManagement, Operation};
use engines::local::NodeEngine;
use engines::reads_for::ReadsFor;
use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::{SeededRng, hpke_backend};
use spec::effects::RejectReason;
use spec::message::*;
use spec::*;

const ENC: &str = "node/encryption";
const ENC2: &str = "node/encryption-2";
const RF: &str = "node/reads-for";
const VAULT: &str = "node/vault";
const IM: &str = "node/identity";
const ENGINES: [&str; 5] = [ENC, ENC2, RF, VAULT, IM];
const CLIENTS: [&str; 4] = ["alice", "bob", "auditor", "mallory"];
const AUDITOR: &str = "auditor";

fn addr(s: &str) -> Address {
    Address::new(s).expect("valid address")
}

/// What a ciphertext says about itself: (identity, key) of each recipient, and the plaintext if visible.
trait Inspect: Backend {
    fn recipients(ct: &[u8]) -> Option<(Vec<(IdentityId, KeyId)>, Option<Vec<u8>>)>;
}

impl Inspect for SymbolicBackend {
    fn recipients(ct: &[u8]) -> Option<(Vec<(IdentityId, KeyId)>, Option<Vec<u8>>)> {
        let s = SymbolicSealed::inspect(ct)?;
        Some((s.recipients, Some(s.plaintext.0)))
    }
}

impl Inspect for HpkeBackend<SeededRng> {
    fn recipients(ct: &[u8]) -> Option<(Vec<(IdentityId, KeyId)>, Option<Vec<u8>>)> {
        let prefix: &[u8; PREFIX_LEN] = ct.get(..PREFIX_LEN)?.try_into().ok()?;
        let (log2, count) = Header::parse_prefix(prefix).ok()?;
        let entries = ct.get(PREFIX_LEN..PREFIX_LEN + count * ENTRY_LEN)?;
        let header = Header::parse_entries(log2, entries).ok()?;
        Some((
            header
                .recipients
                .iter()
                .map(|r| (r.identity, r.key))
                .collect(),
            None,
        ))
    }
}

// ---------------------------------------------------------------------------
// The schedule

#[derive(Arbitrary, Debug)]
struct Scenario {
    hpke: bool,
    auditor: bool,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Step {
    /// A client sends a request (or anything else) to an address.
    Send {
        client: u8,
        to: u8,
        correlation: Option<u8>,
        message: Req,
    },
    /// The network delivers one in-flight envelope (any order).
    Deliver(u8),
    /// The network delivers everything in flight, first in first out.
    DeliverAll,
    /// The network duplicates an in-flight envelope.
    Duplicate(u8),
    /// The network loses an in-flight envelope.
    Drop(u8),
    /// The network re-sends an envelope delivered earlier.
    Replay(u8),
    /// The network hands an in-flight envelope to the wrong engine.
    Misdeliver { which: u8, engine: u8 },
    /// The owner signs "reader reads for subject" offline and a client submits it.
    Grant { reader: Ix, subject: Ix, serial: u8 },
    /// The owner signs a revocation offline and a client submits it.
    Revoke { reader: Ix, subject: Ix, serial: u8 },
    /// An Encryption instance rotates its cookie key.
    RotateCookie(bool),
}

type Ix = u8;

#[derive(Arbitrary, Debug)]
enum Req {
    Encrypt {
        data: Vec<u8>,
        target: Ix,
        use_reads_for: bool,
    },
    ReadsFor {
        a: Ix,
        b: Ix,
    },
    SubmitEvidence {
        evidence: Ix,
        bump_serial: bool,
    },
    SubmitRevocation {
        from: Ix,
        to: Ix,
        serial: u8,
    },
    Query {
        subject: Ix,
        continuation: Option<Ix>,
    },
    Decrypt {
        ciphertext: Ix,
        flip: Option<u16>,
    },
    DecryptForged {
        recipient: Ix,
        data: Vec<u8>,
    },
    GenerateIdentity,
    ConnectIdentity(Ix),
    DeleteIdentity(Ix),
    DeriveZone {
        master: Ix,
        zone: String,
    },
    RotateIdentity(Ix),
    GenerateKey {
        owner: u8,
        read_by: Option<Ix>,
    },
    RotateKey(Ix),
    DeleteKey(Ix),
    ForgedQueryReply {
        subject: Ix,
        continuation: Option<Ix>,
        evidence: Vec<Ix>,
    },
    ForgedVaultReply {
        identity: Ix,
    },
}

// ---------------------------------------------------------------------------
// The world

/// A client request being tracked: where it went and what it asked.
#[derive(Debug, Clone)]
struct Asked {
    to: Address,
    message: Message,
    replies: usize,
}

struct World<B: Inspect> {
    engines: BTreeMap<Address, NodeEngine>,
    backend: B,
    vault_config: Decryption,
    in_flight: Vec<Envelope>,
    delivered: Vec<Envelope>,
    /// Every request each client sent to an engine, by (client, correlation).
    asked: BTreeMap<(Address, CorrelationId), Vec<Asked>>,
    next_correlation: u64,
    /// What the network has shown: identities, evidence, ciphertexts, continuations.
    identities: Vec<ExternalIdentity>,
    evidence: Vec<ReadsForEvidence>,
    ciphertexts: Vec<Ciphertext>,
    continuations: Vec<Continuation>,
    /// The plaintexts each ciphertext from `ReplyEncrypt` may have been sealed from.
    sealed_from: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>>,
    /// Readers of all evidence the ReadsFor engine ever stored.
    ever_readers: BTreeSet<IdentityId>,
    /// Every secret ever held by the vault or an Encryption engine.
    secrets: HashSet<[u8; 32]>,
    /// Prints every step and delivery (set `FUZZ_TRACE` when replaying a crash).
    trace: bool,
    dropped: bool,
    duplicated: bool,
    replayed: bool,
    rotated: bool,
}

impl<B: Inspect> World<B> {
    fn new(mut backend: B, auditor: bool) -> Self {
        let enc_state = Encryption::initial_state(&mut backend);
        let authorised = if auditor {
            BTreeSet::from([addr(AUDITOR)])
        } else {
            BTreeSet::new()
        };
        let vault_config = Decryption::new(addr(VAULT), Some(addr(IM)), authorised);
        let mut engines = BTreeMap::new();
        engines.insert(
            addr(ENC),
            NodeEngine::Encryption(Encryption::new(addr(ENC), addr(RF)), enc_state.clone()),
        );
        engines.insert(
            addr(ENC2),
            NodeEngine::Encryption(Encryption::new(addr(ENC2), addr(RF)), enc_state),
        );
        engines.insert(
            addr(RF),
            NodeEngine::ReadsFor(ReadsFor::new(addr(RF)), Default::default()),
        );
        engines.insert(
            addr(VAULT),
            NodeEngine::Decryption(vault_config.clone(), Default::default()),
        );
        engines.insert(
            addr(IM),
            NodeEngine::IdentityManagement(
                IdentityManagement::new(addr(IM), addr(VAULT), addr(RF)),
                Default::default(),
            ),
        );
        let mut w = World {
            engines,
            backend,
            vault_config,
            in_flight: Vec::new(),
            delivered: Vec::new(),
            asked: BTreeMap::new(),
            next_correlation: 1 << 40,
            // Strangers: one ordinary, one with an all-zero (low-order) encryption key.
            identities: vec![
                ExternalIdentity {
                    verifying_key: [1; 32],
                    encryption_key: [2; 32],
                },
                ExternalIdentity {
                    verifying_key: [3; 32],
                    encryption_key: [0; 32],
                },
            ],
            evidence: Vec::new(),
            ciphertexts: Vec::new(),
            continuations: Vec::new(),
            sealed_from: BTreeMap::new(),
            ever_readers: BTreeSet::new(),
            secrets: HashSet::new(),
            trace: std::env::var_os("FUZZ_TRACE").is_some(),
            dropped: false,
            duplicated: false,
            replayed: false,
            rotated: false,
        };
        w.collect_secrets();
        w
    }

    fn vault(&self) -> &DecryptionState {
        match self.engines.get(&addr(VAULT)) {
            Some(NodeEngine::Decryption(_, s)) => s,
            _ => unreachable!("the vault is always there"),
        }
    }

    fn identity(&self, i: Ix) -> ExternalIdentity {
        self.identities[usize::from(i) % self.identities.len()].clone()
    }

    fn collect_secrets(&mut self) {
        let mut found = Vec::new();
        for engine in self.engines.values() {
            match engine {
                NodeEngine::Decryption(_, s) => {
                    for v in s.identities.values() {
                        found.push(*v.secrets.signing_seed.expose());
                        found.push(*v.secrets.encryption_secret.expose());
                    }
                    for k in s.keys.values() {
                        found.push(*k.secret.expose());
                    }
                }
                NodeEngine::Encryption(_, s) => {
                    for k in s.cookies.keys() {
                        found.push(*k.key.expose());
                        found.push(*k.next().key.expose());
                    }
                }
                _ => {}
            }
        }
        self.secrets.extend(found);
    }

    /// Learns what an envelope shows to anyone watching the network.
    fn observe(&mut self, env: &Envelope) {
        let learn = |id: &ExternalIdentity, ids: &mut Vec<ExternalIdentity>| {
            if ids.len() < 64 && !ids.contains(id) {
                ids.push(id.clone());
            }
        };
        let mut ev_seen = Vec::new();
        match &env.message {
            Message::ReplyGenerateIdentity(ReplyGenerateIdentity { result: Ok(id) })
            | Message::ReplyDeriveZoneIdentity(ReplyDeriveZoneIdentity { result: Ok(id) })
            | Message::ReplyRotateIdentity(ReplyRotateIdentity { result: Ok(id) }) => {
                learn(id, &mut self.identities)
            }
            Message::ReplyGenerateKey(ReplyGenerateKey { result: Ok(k) })
            | Message::ReplyRotateKey(ReplyRotateKey { result: Ok(k) }) => {
                learn(&k.identity, &mut self.identities);
                ev_seen.extend(k.evidence.clone());
            }
            Message::RequestSubmitReadsForEvidence(r) => ev_seen.push(r.evidence.clone()),
            Message::ReplyQueryReadsForEvidence(r) => {
                if let Some(c) = &r.continuation {
                    self.continuations.push(c.clone());
                }
                if let Ok(evs) = &r.result {
                    ev_seen.extend(evs.iter().cloned());
                }
            }
            Message::RequestQueryReadsForEvidence(r) => {
                if let Some(c) = &r.continuation {
                    self.continuations.push(c.clone());
                }
            }
            Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) => {
                if self.ciphertexts.len() < 64 {
                    self.ciphertexts.push(ct.clone());
                }
            }
            _ => {}
        }
        for ev in ev_seen {
            learn(&ev.from_identity, &mut self.identities);
            learn(&ev.to_identity, &mut self.identities);
            if self.evidence.len() < 64 && !self.evidence.contains(&ev) {
                self.evidence.push(ev);
            }
        }
        self.continuations.truncate(64);
    }

    fn build(&mut self, req: Req) -> Message {
        match req {
            Req::Encrypt {
                data,
                target,
                use_reads_for,
            } => RequestEncrypt {
                data: Plaintext(data),
                external_identity: self.identity(target),
                use_reads_for,
            }
            .into(),
            Req::ReadsFor { a, b } => RequestReadsFor {
                external_identity_a: self.identity(a).id(),
                external_identity_b: self.identity(b).id(),
            }
            .into(),
            Req::SubmitEvidence {
                evidence,
                bump_serial,
            } => {
                let mut ev = match self
                    .evidence
                    .get(usize::from(evidence) % self.evidence.len().max(1))
                {
                    Some(ev) => ev.clone(),
                    None => ReadsForEvidence {
                        from_identity: self.identity(evidence),
                        to_identity: self.identity(evidence.wrapping_add(1)),
                        serial: 1,
                        signature: [0; 64],
                        relation: Default::default(),
                    },
                };
                if bump_serial {
                    ev.serial = ev.serial.wrapping_add(1);
                }
                RequestSubmitReadsForEvidence { evidence: ev }.into()
            }
            Req::SubmitRevocation { from, to, serial } => RequestSubmitReadsForRevocation {
                revocation: ReadsForRevocation {
                    from_identity: self.identity(from).id(),
                    to_identity: self.identity(to),
                    serial: u64::from(serial),
                    signature: [serial; 64],
                    relation: Default::default(),
                },
            }
            .into(),
            Req::Query {
                subject,
                continuation,
            } => RequestQueryReadsForEvidence {
                external_identity: self.identity(subject).id(),
                continuation: continuation.map(|c| self.continuation(c)),
            }
            .into(),
            Req::Decrypt { ciphertext, flip } => {
                let mut ct = self
                    .ciphertexts
                    .get(usize::from(ciphertext) % self.ciphertexts.len().max(1))
                    .cloned()
                    .unwrap_or_default();
                if let Some(at) = flip
                    && !ct.0.is_empty()
                {
                    let i = usize::from(at) % ct.0.len();
                    ct.0[i] ^= 0x01;
                }
                RequestDecryption { data: ct }.into()
            }
            Req::DecryptForged { recipient, data } => {
                // A symbolic ciphertext anyone can write: it names a recipient in the clear.
                let id = self.identity(recipient);
                let sealed = SymbolicSealed {
                    recipients: vec![(id.id(), id.key_id())],
                    plaintext: Plaintext(data),
                };
                let mut bytes = SYMBOLIC_MAGIC.to_vec();
                bytes.extend(codec::encode(&sealed));
                RequestDecryption {
                    data: Ciphertext(bytes),
                }
                .into()
            }
            Req::GenerateIdentity => RequestGenerateIdentity::default().into(),
            Req::ConnectIdentity(i) => RequestConnectIdentity {
                external_identity: self.identity(i).id(),
                capabilities: Default::default(),
            }
            .into(),
            Req::DeleteIdentity(i) => RequestDeleteIdentity {
                external_identity: self.identity(i).id(),
            }
            .into(),
            Req::DeriveZone { master, zone } => RequestDeriveZoneIdentity {
                master: self.identity(master).id(),
                zone: zone.chars().take(80).collect(),
                capabilities: Default::default(),
            }
            .into(),
            Req::RotateIdentity(i) => RequestRotateIdentity {
                external_identity: self.identity(i).id(),
            }
            .into(),
            Req::GenerateKey { owner, read_by } => RequestGenerateKey {
                owner: addr(CLIENTS[usize::from(owner) % CLIENTS.len()]),
                read_by: read_by.map(|i| self.identity(i)),
                capabilities: Default::default(),
            }
            .into(),
            Req::RotateKey(i) => RequestRotateKey {
                external_identity: self.identity(i).id(),
            }
            .into(),
            Req::DeleteKey(i) => RequestDeleteKey {
                external_identity: self.identity(i).id(),
            }
            .into(),
            Req::ForgedQueryReply {
                subject,
                continuation,
                evidence,
            } => ReplyQueryReadsForEvidence {
                external_identity: self.identity(subject).id(),
                continuation: continuation.map(|c| self.continuation(c)),
                result: Ok(evidence
                    .iter()
                    .take(4)
                    .filter_map(|&e| {
                        self.evidence
                            .get(usize::from(e) % self.evidence.len().max(1))
                    })
                    .cloned()
                    .collect()),
            }
            .into(),
            Req::ForgedVaultReply { identity } => ReplyGenerateKey {
                result: Ok(GeneratedKey {
                    identity: self.identity(identity),
                    evidence: None,
                }),
            }
            .into(),
        }
    }

    fn continuation(&self, i: Ix) -> Continuation {
        self.continuations
            .get(usize::from(i) % self.continuations.len().max(1))
            .cloned()
            .unwrap_or_else(|| Continuation(vec![i; usize::from(i % 48)]))
    }

    /// A client sends `message` to `to`; requests to engines are tracked.
    fn send(&mut self, client: Address, to: Address, correlation: Option<u8>, message: Message) {
        let honest = client.as_str() != "mallory";
        let correlation = match (honest, correlation) {
            // Honest clients never reuse a correlation id.
            (true, _) | (false, None) => {
                self.next_correlation += 1;
                CorrelationId(self.next_correlation)
            }
            (false, Some(c)) => CorrelationId(u64::from(c)),
        };
        if message.is_request() && self.engines.contains_key(&to) {
            self.asked
                .entry((client.clone(), correlation))
                .or_default()
                .push(Asked {
                    to: to.clone(),
                    message: message.clone(),
                    replies: 0,
                });
        }
        let env = Envelope {
            sender: client,
            target: to,
            correlation,
            message,
        };
        self.observe(&env);
        self.in_flight.push(env);
    }

    fn deliver(&mut self, i: usize) {
        if self.in_flight.is_empty() {
            return;
        }
        let env = self.in_flight.remove(i % self.in_flight.len());
        self.handle(env, None);
    }

    /// Hands `env` to the engine at its target (or at `wrong`, a misdelivery).
    fn handle(&mut self, env: Envelope, wrong: Option<Address>) {
        if self.delivered.len() < 256 {
            self.delivered.push(env.clone());
        }
        let at = wrong.clone().unwrap_or_else(|| env.target.clone());
        let Some(engine) = self.engines.get_mut(&at) else {
            self.client_receives(&env);
            return;
        };
        let vault_before =
            matches!(engine, NodeEngine::Decryption(..)).then(|| self.vault().clone());
        let engine = self.engines.get_mut(&at).expect("present");
        let effects = engine.step(&mut self.backend, &env);
        if self.trace {
            eprintln!("  {at} <- {env:?}\n     -> {effects:?}");
        }

        // 1. Exactly one effect; the sender is the engine.
        assert_eq!(
            effects.send.len() + effects.rejected.len(),
            1,
            "{at} handled {env:?} with {effects:?}"
        );
        for out in &effects.send {
            assert_eq!(out.sender, at, "an engine sent as someone else: {out:?}");
        }
        // 2. Misdelivery is rejected as such.
        if wrong.is_some() && at != env.target {
            assert!(
                effects.send.is_empty(),
                "a misdelivered envelope was acted on"
            );
            assert_eq!(effects.rejected[0].reason, RejectReason::Misaddressed);
        }
        for r in &effects.rejected {
            assert_eq!(r.sender, env.sender);
            assert_eq!(r.correlation, env.correlation);
            assert_eq!(r.message, env.message.name());
        }

        self.collect_secrets();
        for out in &effects.send {
            self.check_sent(&env, out, vault_before.as_ref());
        }
        if matches!(self.engines.get(&at), Some(NodeEngine::ReadsFor(..))) {
            self.check_reads_for();
        }
        if !self.dropped && !self.replayed {
            self.check_managed_in_vault();
        }
        for out in effects.send {
            self.observe(&out);
            self.in_flight.push(out);
        }
    }

    fn client_receives(&mut self, env: &Envelope) {
        if env.message.is_request() {
            return;
        }
        if let Some(asked) = self.asked.get_mut(&(env.target.clone(), env.correlation)) {
            // Count against the request this reply answers (the first matching one).
            if let Some(a) = asked
                .iter_mut()
                .find(|a| a.to == env.sender && answers(&a.message, &env.message))
            {
                a.replies += 1;
                let honest = env.target.as_str() != "mallory";
                if honest && !self.duplicated && !self.replayed {
                    assert!(a.replies <= 1, "two replies to one request: {env:?}");
                }
            }
        }
    }

    /// Invariants on one envelope an engine sent while handling `input`.
    fn check_sent(
        &mut self,
        input: &Envelope,
        out: &Envelope,
        vault_before: Option<&DecryptionState>,
    ) {
        // 6. No secret in any envelope.
        let bytes = out.to_cbor();
        for w in bytes.windows(32) {
            let mut k = [0u8; 32];
            k.copy_from_slice(w);
            assert!(!self.secrets.contains(&k), "a secret was sent: {out:?}");
        }
        round_trip(out);

        let to_client = !self.engines.contains_key(&out.target);
        // 3. Replies to clients answer a request that client sent to this engine.
        if to_client {
            assert!(
                !out.message.is_request(),
                "an engine sent a request to a client: {out:?}"
            );
            let asked = self
                .asked
                .get(&(out.target.clone(), out.correlation))
                .unwrap_or_else(|| panic!("a reply to a request never sent: {out:?}"));
            assert!(
                asked
                    .iter()
                    .any(|a| a.to == out.sender && answers(&a.message, &out.message)),
                "a reply that answers nothing {out:?} (asked {asked:?})"
            );
        }

        match &out.message {
            // 5. Decryption replies only to those the vault may serve.
            Message::ReplyDecryption(ReplyDecryption { result: Ok(pt) }) => {
                let vault = vault_before.expect("only the vault decrypts");
                let Message::RequestDecryption(req) = &input.message else {
                    panic!("a decryption reply to {input:?}");
                };
                let (recipients, visible) = B::recipients(&req.data.0)
                    .unwrap_or_else(|| panic!("opened something that is not a ciphertext"));
                let served = self.vault_config.authorised.contains(&out.target);
                let allowed = recipients.iter().any(|(id, key)| {
                    vault.keys.get(key).is_some_and(|e| e.identity == *id)
                        && (served
                            || vault
                                .identities
                                .get(id)
                                .is_some_and(|v| v.owner == out.target))
                });
                assert!(allowed, "decrypted for {} who may not read it", out.target);
                let matches = match visible {
                    Some(v) => v == pt.0,
                    None => self
                        .sealed_from
                        .get(&req.data.0)
                        .is_some_and(|set| set.contains(&pt.0)),
                };
                assert!(matches, "decryption gave other bytes than were sealed");
            }
            // 8. Ciphertexts are sealed to the target (and readers only with reads-for).
            Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) if to_client => {
                let (recipients, visible) =
                    B::recipients(&ct.0).expect("a sealed ciphertext parses");
                let asked = &self.asked[&(out.target.clone(), out.correlation)];
                let ok = asked.iter().any(|a| {
                    let Message::RequestEncrypt(req) = &a.message else {
                        return false;
                    };
                    let target = (req.external_identity.id(), req.external_identity.key_id());
                    let extra_ok = recipients.iter().all(|r| {
                        *r == target || (req.use_reads_for && self.ever_readers.contains(&r.0))
                    });
                    let data_ok = visible.as_ref().is_none_or(|v| *v == req.data.0);
                    recipients.contains(&target) && extra_ok && data_ok
                });
                assert!(
                    ok,
                    "sealed to the wrong recipients or data: {out:?} for {asked:?}"
                );
                if visible.is_none() {
                    // Remember what it may hold, for decryption (one candidate per honest request).
                    let candidates: BTreeSet<Vec<u8>> = asked
                        .iter()
                        .filter_map(|a| match &a.message {
                            Message::RequestEncrypt(req) => Some(req.data.0.clone()),
                            _ => None,
                        })
                        .collect();
                    self.sealed_from
                        .entry(ct.0.clone())
                        .or_default()
                        .extend(candidates);
                }
            }
            _ => {}
        }
    }

    /// 7. The ReadsFor store holds only verified, non-reflexive, unrevoked evidence.
    fn check_reads_for(&mut self) {
        let Some(NodeEngine::ReadsFor(_, s)) = self.engines.get(&addr(RF)) else {
            return;
        };
        for (edge, ev) in &s.evidence {
            assert_eq!(*edge, ev.edge());
            assert_ne!(edge.0, edge.1, "reflexive evidence stored");
            assert!(
                self.backend
                    .verify(
                        &ev.to_identity.verifying_key,
                        &ev.signed_bytes(),
                        &ev.signature
                    )
                    .is_ok(),
                "unverified evidence stored"
            );
            if let Some(&through) = s.revoked.get(edge) {
                assert!(ev.serial > through, "revoked evidence in force");
            }
            self.ever_readers.insert(edge.0);
        }
    }

    /// 9. Every managed identity is in the vault, with the same owner.
    fn check_managed_in_vault(&self) {
        let Some(NodeEngine::IdentityManagement(_, im)) = self.engines.get(&addr(IM)) else {
            return;
        };
        let vault = self.vault();
        // Between the vault erasing a key and Identity Management hearing so, the delete is pending.
        let deleting: BTreeSet<IdentityId> = im
            .pending
            .values()
            .filter_map(|p| match p.operation {
                Operation::Delete { identity } => Some(identity),
                _ => None,
            })
            .collect();
        for (id, m) in &im.identities {
            if deleting.contains(id) {
                continue;
            }
            let held = vault
                .identities
                .get(id)
                .unwrap_or_else(|| panic!("{id} is managed but not in the vault"));
            assert_eq!(held.owner, m.owner, "owners differ for {id}");
        }
    }

    fn drain(&mut self) {
        for _ in 0..2000 {
            if self.in_flight.is_empty() {
                return;
            }
            let env = self.in_flight.remove(0);
            self.handle(env, None);
        }
        panic!("the network does not settle");
    }

    fn sign_offline(
        &self,
        subject: &ExternalIdentity,
    ) -> Option<engines::identity::InternalIdentity> {
        self.vault()
            .identities
            .get(&subject.id())
            .map(|v| v.secrets.clone())
    }

    fn run(&mut self, steps: Vec<Step>) {
        for step in steps.into_iter().take(48) {
            if self.trace {
                eprintln!("step {step:?}");
            }
            match step {
                Step::Send {
                    client,
                    to,
                    correlation,
                    message,
                } => {
                    let client = addr(CLIENTS[usize::from(client) % CLIENTS.len()]);
                    // Mostly engines; now and then another client.
                    let to = match usize::from(to) % 8 {
                        i @ 0..5 => addr(ENGINES[i]),
                        i => addr(CLIENTS[i - 5]),
                    };
                    let message = self.build(message);
                    self.send(client, to, correlation, message);
                }
                Step::Deliver(i) => self.deliver(usize::from(i)),
                Step::DeliverAll => self.drain(),
                Step::Duplicate(i) => {
                    if !self.in_flight.is_empty() {
                        let env = self.in_flight[usize::from(i) % self.in_flight.len()].clone();
                        self.in_flight.push(env);
                        self.duplicated = true;
                    }
                }
                Step::Drop(i) => {
                    if !self.in_flight.is_empty() {
                        let n = self.in_flight.len();
                        self.in_flight.remove(usize::from(i) % n);
                        self.dropped = true;
                    }
                }
                Step::Replay(i) => {
                    if !self.delivered.is_empty() {
                        let env = self.delivered[usize::from(i) % self.delivered.len()].clone();
                        self.in_flight.push(env);
                        self.replayed = true;
                    }
                }
                Step::Misdeliver { which, engine } => {
                    if !self.in_flight.is_empty() {
                        let n = self.in_flight.len();
                        let env = self.in_flight.remove(usize::from(which) % n);
                        let wrong = addr(ENGINES[usize::from(engine) % ENGINES.len()]);
                        if wrong == env.target {
                            self.handle(env, None);
                        } else {
                            // The envelope is consumed by the wrong engine: a loss.
                            self.dropped = true;
                            self.handle(env, Some(wrong));
                        }
                    }
                }
                Step::Grant {
                    reader,
                    subject,
                    serial,
                } => {
                    let (reader, subject) = (self.identity(reader), self.identity(subject));
                    if let Some(secrets) = self.sign_offline(&subject) {
                        let serial = u64::from(serial);
                        let bytes = ReadsForEvidence::statement_bytes(&reader, &subject, serial);
                        let evidence = ReadsForEvidence {
                            from_identity: reader,
                            to_identity: subject,
                            serial,
                            signature: self.backend.sign(&secrets, &bytes),
                            relation: Default::default(),
                        };
                        let m = RequestSubmitReadsForEvidence { evidence }.into();
                        self.send(addr("alice"), addr(RF), None, m);
                    }
                }
                Step::Revoke {
                    reader,
                    subject,
                    serial,
                } => {
                    let (reader, subject) = (self.identity(reader), self.identity(subject));
                    if let Some(secrets) = self.sign_offline(&subject) {
                        let serial = u64::from(serial);
                        let bytes =
                            ReadsForRevocation::statement_bytes(&reader.id(), &subject, serial);
                        let revocation = ReadsForRevocation {
                            from_identity: reader.id(),
                            to_identity: subject,
                            serial,
                            signature: self.backend.sign(&secrets, &bytes),
                            relation: Default::default(),
                        };
                        let m = RequestSubmitReadsForRevocation { revocation }.into();
                        self.send(addr("alice"), addr(RF), None, m);
                    }
                }
                Step::RotateCookie(second) => {
                    let at = addr(if second { ENC2 } else { ENC });
                    if let Some(NodeEngine::Encryption(_, s)) = self.engines.get_mut(&at) {
                        s.cookies.rotate();
                        self.rotated = true;
                    }
                    self.collect_secrets();
                }
            }
        }
        self.drain();
        // 4. Exactly one reply per honest request on a clean network.
        let clean = !self.dropped && !self.duplicated && !self.replayed && !self.rotated;
        for ((client, corr), asked) in &self.asked {
            if client.as_str() == "mallory" {
                continue;
            }
            for a in asked {
                if clean {
                    assert_eq!(
                        a.replies, 1,
                        "{client} #{} got {} replies to {a:?}",
                        corr.0, a.replies
                    );
                }
            }
        }
    }
}

/// Whether `reply` is the reply type of `request`.
fn answers(request: &Message, reply: &Message) -> bool {
    !reply.is_request()
        && request.name().strip_prefix("Request") == reply.name().strip_prefix("Reply")
}

fn round_trip(env: &Envelope) {
    let bytes = env.to_cbor();
    assert_eq!(
        Envelope::from_cbor(&bytes).as_ref(),
        Ok(env),
        "sent envelope does not decode"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(scenario) = Scenario::arbitrary(&mut u) else {
        return;
    };
    if scenario.hpke {
        let mut w = World::new(hpke_backend(7), scenario.auditor);
        w.run(scenario.steps);
    } else {
        let mut w = World::new(SymbolicBackend::new(7), scenario.auditor);
        w.run(scenario.steps);
    }
});
