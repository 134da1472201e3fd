//! The link engine with real Noise (`snow`) and real keys: the handshake, envelopes both
//! ways, and every refusal, as rows of one table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use sealwright_engines::backend::Backend;
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::link::CryptoFailure;
use sealwright_engines::link::noise::{LinkKey, NoiseCrypto};
use sealwright_engines::link::{Link, LinkFailure, LinkInput, LinkState, Peer, Phase};
use sealwright_engines::secret::Secret32;
use spec::link::LinkRole;
use spec::message::{Plaintext, RequestEncrypt};

type State = LinkState<snow::HandshakeState, snow::TransportState>;

/// One side of a link under test.
struct End {
    link: Link,
    state: State,
    crypto: NoiseCrypto,
    delivered: Vec<spec::Envelope>,
    closed: Option<LinkFailure>,
}

impl End {
    fn new(role: LinkRole, me: &InternalIdentity, peers: Vec<Peer>, max: usize) -> End {
        End {
            link: Link {
                role,
                peers,
                max_envelope: max,
            },
            state: State::default(),
            crypto: NoiseCrypto::new(Arc::new(me.clone())),
            delivered: Vec::new(),
            closed: None,
        }
    }

    fn step(&mut self, input: LinkInput) -> Vec<Vec<u8>> {
        let fx = self.link.step(&mut self.state, &mut self.crypto, &input);
        self.delivered.extend(fx.delivered);
        if self.closed.is_none() {
            self.closed = fx.closed;
        }
        fx.frames
    }
}

fn id(seed: u64) -> InternalIdentity {
    common::backend(seed).generate_identity()
}

fn peer(node: &str, who: &InternalIdentity) -> Peer {
    Peer {
        node: node.into(),
        identity: who.external.clone(),
    }
}

fn envelope(from: &str, size: usize) -> spec::Envelope {
    common::env(
        from,
        "bob/encryption",
        7,
        RequestEncrypt {
            data: Plaintext(common::payload(size, 3)),
            external_identity: id(9).external,
            use_reads_for: false,
        },
    )
}

/// What the attacker does, after the frames of an honest handshake are on record.
#[derive(Clone, Copy, Debug)]
enum Attack {
    /// Nothing: both ends connect and exchange envelopes.
    None,
    /// The first message, replayed to a fresh responder, then the recorded third.
    ReplayHandshake,
    /// The third message, replayed to the responder that took it.
    ReplayThird,
    /// The responder's proof, reflected back to the responder.
    ReflectProof,
    /// A delivered envelope's frame, delivered again.
    ReplayEnvelope,
    /// The initiator's envelope claims a sender of the responder's own node.
    ForgedSender,
    /// Bytes that are no handshake message, to a fresh responder.
    Garbage,
    /// Bytes that are no transport message, on a connected link.
    GarbageConnected,
    /// A frame over the Noise limit.
    Oversized,
    /// The responder's envelope frame reaches the initiator before the responder's proof.
    Reordered,
}

/// The end that must close, and a test of why.
type Expect = (LinkRole, fn(&LinkFailure) -> bool);

/// A row: who knows whom, the envelope size, the attack, and the end that must close and why.
struct Row {
    name: &'static str,
    responder_knows_initiator: bool,
    initiator_dials_responder: bool,
    size: usize,
    attack: Attack,
    expect: Option<Expect>,
}

const fn row(name: &'static str, attack: Attack, expect: Option<Expect>) -> Row {
    Row {
        name,
        responder_knows_initiator: true,
        initiator_dials_responder: true,
        size: 100,
        attack,
        expect,
    }
}

const I: LinkRole = LinkRole::Initiator;
const R: LinkRole = LinkRole::Responder;

fn rows() -> Vec<Row> {
    vec![
        row("handshake, then envelopes both ways", Attack::None, None),
        Row {
            size: 200_000,
            ..row("an envelope over four Noise messages", Attack::None, None)
        },
        Row {
            responder_knows_initiator: false,
            ..row(
                "the responder refuses an unregistered initiator",
                Attack::None,
                Some((R, |f| *f == LinkFailure::UnknownPeer)),
            )
        },
        Row {
            initiator_dials_responder: false,
            ..row(
                "the initiator refuses a responder it did not dial",
                Attack::None,
                Some((I, |f| *f == LinkFailure::UnknownPeer)),
            )
        },
        row(
            "a replayed handshake creates no session",
            Attack::ReplayHandshake,
            Some((R, |f| *f == LinkFailure::Handshake)),
        ),
        row(
            "a replayed third message is refused",
            Attack::ReplayThird,
            Some((R, |f| *f == LinkFailure::Forged)),
        ),
        row(
            "a reflected proof is refused",
            Attack::ReflectProof,
            Some((R, |f| *f == LinkFailure::Forged)),
        ),
        row(
            "a replayed envelope is refused",
            Attack::ReplayEnvelope,
            Some((R, |f| *f == LinkFailure::Forged)),
        ),
        row(
            "a sender outside the peer's node is refused",
            Attack::ForgedSender,
            Some((R, |f| matches!(f, LinkFailure::ForgedSender { .. }))),
        ),
        row(
            "garbage instead of a handshake",
            Attack::Garbage,
            Some((R, |f| *f == LinkFailure::Handshake)),
        ),
        row(
            "garbage on a connected link",
            Attack::GarbageConnected,
            Some((R, |f| *f == LinkFailure::Forged)),
        ),
        row(
            "a frame over the Noise limit",
            Attack::Oversized,
            Some((R, |f| matches!(f, LinkFailure::FrameTooLarge(_)))),
        ),
        row(
            "an envelope before the proof",
            Attack::Reordered,
            Some((I, |f| *f == LinkFailure::Forged)),
        ),
    ]
}

/// Runs the honest handshake, recording each frame; stops where an end closes.
fn handshake(a: &mut End, b: &mut End, record: &mut Vec<Vec<u8>>) {
    let mut to_b = a.step(LinkInput::Open);
    let mut to_a = Vec::new();
    while !(to_b.is_empty() && to_a.is_empty()) {
        for f in std::mem::take(&mut to_b) {
            record.push(f.clone());
            to_a.extend(b.step(LinkInput::Frame(f)));
        }
        for f in std::mem::take(&mut to_a) {
            record.push(f.clone());
            to_b.extend(a.step(LinkInput::Frame(f)));
        }
    }
}

fn run(row: &Row) -> Result<(), String> {
    let (alice, bob) = (id(1), id(2));
    let known = |yes, node, who| {
        if yes {
            vec![peer(node, who)]
        } else {
            vec![peer("carol", &id(3))]
        }
    };
    let mut a = End::new(
        I,
        &alice,
        known(row.initiator_dials_responder, "bob", &bob),
        1 << 20,
    );
    let mut b = End::new(
        R,
        &bob,
        known(row.responder_knows_initiator, "alice", &alice),
        1 << 20,
    );
    let mut record = Vec::new();
    handshake(&mut a, &mut b, &mut record);
    let connected = a.state.phase == Phase::Connected && b.state.phase == Phase::Connected;
    if connected {
        attack(row, &mut a, &mut b, &record, &bob, &alice);
    }
    let closed = |e: &End| e.closed.clone();
    match row.expect {
        None => {
            common::ensure(connected, || {
                format!("not connected: {:?} {:?}", closed(&a), closed(&b))
            })?;
            common::same("delivered to bob", b.delivered.len(), 1)?;
            common::same("delivered to alice", a.delivered.len(), 1)?;
            common::same(
                "bob's envelope",
                &b.delivered[0],
                &envelope("alice/client", row.size),
            )?;
            common::same(
                "bob's peer",
                b.state.peer.as_ref().map(|p| p.node.as_str()),
                Some("alice"),
            )
        }
        Some((side, want)) => {
            let end = if side == I { &a } else { &b };
            common::same("phase", end.state.phase, Phase::Closed)?;
            let got = end.closed.clone();
            common::ensure(got.as_ref().is_some_and(want), || {
                format!("closed with {got:?}")
            })?;
            common::ensure(
                b.delivered
                    .iter()
                    .all(|e| e.sender.as_str().starts_with("alice/")),
                || "a forged envelope was delivered".into(),
            )
        }
    }
}

/// After an honest handshake (frames 0–3: m1, m2, m3, the responder's proof).
fn attack(
    row: &Row,
    a: &mut End,
    b: &mut End,
    record: &[Vec<u8>],
    bob: &InternalIdentity,
    alice: &InternalIdentity,
) {
    let frames = a.step(LinkInput::Send(Box::new(envelope(
        "alice/client",
        row.size,
    ))));
    let fresh = || End::new(R, bob, vec![peer("alice", alice)], 1 << 20);
    match row.attack {
        Attack::ReplayHandshake => {
            let mut other = fresh();
            other.step(LinkInput::Frame(record[0].clone()));
            assert_eq!(other.state.phase, Phase::Accepting);
            other.step(LinkInput::Frame(record[2].clone()));
            *b = other;
            return;
        }
        Attack::Garbage => {
            let mut other = fresh();
            other.step(LinkInput::Frame(vec![0x42; 48]));
            *b = other;
            return;
        }
        Attack::ReplayThird => {
            b.step(LinkInput::Frame(record[2].clone()));
        }
        Attack::ReflectProof => {
            b.step(LinkInput::Frame(record[3].clone()));
        }
        Attack::GarbageConnected => {
            b.step(LinkInput::Frame(vec![0x42; 48]));
        }
        Attack::Oversized => {
            b.step(LinkInput::Frame(vec![0; 70_000]));
        }
        _ => {}
    }
    for f in &frames {
        b.step(LinkInput::Frame(f.clone()));
    }
    match row.attack {
        Attack::ReplayEnvelope => {
            b.step(LinkInput::Frame(frames[0].clone()));
        }
        Attack::ForgedSender => {
            for f in a.step(LinkInput::Send(Box::new(envelope("bob/vault", 10)))) {
                b.step(LinkInput::Frame(f));
            }
        }
        _ => {}
    }
    let back = b.step(LinkInput::Send(Box::new(envelope("bob/encryption", 5))));
    if let Attack::Reordered = row.attack {
        // A fresh initiator that has not read the proof yet gets the envelope frame first.
        let mut late = End::new(I, alice, vec![peer("bob", bob)], 1 << 20);
        let mut responder = fresh();
        let m2 = responder.step(LinkInput::Frame(late.step(LinkInput::Open).remove(0)));
        let m3 = late.step(LinkInput::Frame(m2[0].clone()));
        let proof = responder.step(LinkInput::Frame(m3[0].clone()));
        let data = responder.step(LinkInput::Send(Box::new(envelope("bob/encryption", 5))));
        late.step(LinkInput::Frame(data[0].clone()));
        let _ = proof;
        *a = late;
        return;
    }
    for f in back {
        a.step(LinkInput::Frame(f));
    }
}

#[test]
fn link_rows() {
    let cases = rows()
        .into_iter()
        .map(|r| common::Case::new(r.name, move || run(&r)))
        .collect();
    common::run_table("link", cases);
}

#[test]
fn close_works_from_every_phase_and_drops_the_keys() {
    let (alice, bob) = (id(1), id(2));
    for stop_after in 0..4 {
        let mut a = End::new(I, &alice, vec![peer("bob", &bob)], 1 << 20);
        let mut b = End::new(R, &bob, vec![peer("alice", &alice)], 1 << 20);
        let mut to_b = a.step(LinkInput::Open);
        for _ in 0..stop_after {
            let to_a: Vec<_> = to_b
                .drain(..)
                .flat_map(|f| b.step(LinkInput::Frame(f)))
                .collect();
            to_b = to_a
                .into_iter()
                .flat_map(|f| a.step(LinkInput::Frame(f)))
                .collect();
        }
        let before = b.state.phase;
        b.step(LinkInput::Close);
        assert_eq!(b.state.phase, Phase::Closed, "from {before:?}");
        assert_eq!(b.closed, Some(LinkFailure::Closed));
        assert!(matches!(
            b.state.secure,
            sealwright_engines::link::connection::Secure::Nothing
        ));
        // Nothing is read after a close.
        assert!(b.step(LinkInput::Frame(vec![1, 2, 3])).is_empty());
    }
}

#[test]
fn an_envelope_over_the_limit_is_refused_by_its_sender() {
    let (alice, bob) = (id(1), id(2));
    let mut a = End::new(I, &alice, vec![peer("bob", &bob)], 1000);
    let mut b = End::new(R, &bob, vec![peer("alice", &alice)], 1000);
    handshake(&mut a, &mut b, &mut Vec::new());
    assert_eq!(a.state.phase, Phase::Connected);
    assert!(
        a.step(LinkInput::Send(Box::new(envelope("alice/client", 2000))))
            .is_empty()
    );
    assert!(matches!(
        a.closed,
        Some(LinkFailure::EnvelopeTooLarge(1000))
    ));
}

#[test]
fn debug_output_names_no_secret() {
    let alice = id(1);
    let crypto = NoiseCrypto::new(Arc::new(alice.clone()));
    let shown = format!("{crypto:?}");
    assert!(shown.contains(&alice.id().to_string()));
    assert!(!shown.contains(&hex::encode(alice.encryption_secret.expose())));
}

/// A key holder that signs with another identity's key: its proofs must not check.
struct WrongSigner(InternalIdentity, InternalIdentity);

impl LinkKey for WrongSigner {
    fn identity(&self) -> spec::ExternalIdentity {
        self.0.external.clone()
    }
    fn dh(&self, peer: &[u8; 32]) -> Result<Secret32, CryptoFailure> {
        self.0.dh(peer)
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], CryptoFailure> {
        self.1.sign(message)
    }
}

#[test]
fn a_proof_signed_by_another_key_is_refused_at_either_end() {
    let (alice, bob, carol) = (id(1), id(2), id(3));
    for liar in [I, R] {
        let mut a = End::new(I, &alice, vec![peer("bob", &bob)], 1 << 20);
        let mut b = End::new(R, &bob, vec![peer("alice", &alice)], 1 << 20);
        let (end, me) = if liar == I {
            (&mut a, &alice)
        } else {
            (&mut b, &bob)
        };
        end.crypto = NoiseCrypto::new(Arc::new(WrongSigner(me.clone(), carol.clone())));
        handshake(&mut a, &mut b, &mut Vec::new());
        let honest = if liar == I { &b } else { &a };
        assert_eq!(
            honest.closed,
            Some(LinkFailure::ProofSignature),
            "liar {liar:?}"
        );
    }
}

/// The static key's DH and the proof's signature are asked of the key's holder.
struct Counting(InternalIdentity, std::sync::atomic::AtomicUsize);

impl LinkKey for Counting {
    fn identity(&self) -> spec::ExternalIdentity {
        self.0.external.clone()
    }
    fn dh(&self, peer: &[u8; 32]) -> Result<Secret32, CryptoFailure> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0.dh(peer)
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], CryptoFailure> {
        self.1.fetch_add(100, std::sync::atomic::Ordering::SeqCst);
        self.0.sign(message)
    }
}

#[test]
fn the_static_dh_and_the_signature_are_served_by_the_key_holder() {
    let (alice, bob) = (id(1), id(2));
    let holder = Arc::new(Counting(bob.clone(), Default::default()));
    let mut a = End::new(I, &alice, vec![peer("bob", &bob)], 1 << 20);
    let mut b = End::new(R, &bob, vec![peer("alice", &alice)], 1 << 20);
    b.crypto = NoiseCrypto::new(holder.clone());
    handshake(&mut a, &mut b, &mut Vec::new());
    assert_eq!(b.state.phase, Phase::Connected);
    // XX's responder uses its static key once (`es`, in the second message; `se` on the
    // third is its ephemeral with the initiator's static) and signs once.
    assert_eq!(holder.1.load(std::sync::atomic::Ordering::SeqCst), 101);
}

/// The state diagram on the site is generated from the transition table: this snapshot
/// fails when either changes without the other.
#[test]
fn the_state_diagram_on_the_site_is_the_table() {
    let page = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/link.md");
    let text = std::fs::read_to_string(&page).expect("docs/link.md");
    let generated = sealwright_engines::link::table::mermaid();
    let block = format!("```mermaid\n{generated}```");
    assert!(
        text.contains(&block),
        "docs/link.md must hold the generated state diagram:\n{block}"
    );
}
