//! The link engine: one connection's state machine, as a pure step function.
//!
//! Noise XX runs first (`-> e`, `<- e, ee, s, es`, `-> s, se`). The initiator's third
//! message carries its [`LinkProof`] over the hash after the second; the responder's first
//! transport message carries its proof over the final hash. Each proof binds the signer's
//! whole identity (its Ed25519 key) to the Noise static key and to this handshake, and
//! names the signer's role. Only then is the link `Connected`, and from then on every
//! envelope it delivers must come from an address of the proved peer's node.

use serde::{Deserialize, Serialize};
use spec::codec::Limits;
use spec::link::{LinkProof, LinkRole};
use spec::{Address, Envelope, ExternalIdentity};

use super::crypto::{CryptoFailure, LinkCrypto};
use super::table::{Phase, Trigger, lookup};

/// Largest Noise message, in bytes (the Noise specification's limit).
pub const MAX_MESSAGE: usize = 65535;
/// Envelope bytes carried by one transport message (the tag and a flag byte take the rest).
pub const CHUNK: usize = MAX_MESSAGE - 16 - 1;
/// Flag byte of a chunk that more chunks of the same envelope follow.
const MORE: u8 = 0;
/// Flag byte of an envelope's last chunk.
const LAST: u8 = 1;

/// A node this link may be with: the node name its addresses start with, and its identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Peer {
    /// The node's name: its engines' addresses are `NODE/…`.
    pub node: String,
    /// The identity the node proves on its links.
    pub identity: ExternalIdentity,
}

impl Peer {
    /// Whether `address` belongs to this node.
    pub fn speaks_for(&self, address: &Address) -> bool {
        address
            .as_str()
            .strip_prefix(self.node.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// One side of a link: its role, the peers it accepts, and the largest envelope it takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Link {
    /// Initiator (it connected) or responder (it accepted).
    pub role: LinkRole,
    /// The peers this side accepts; an initiator lists the peer it dials.
    pub peers: Vec<Peer>,
    /// Largest envelope accepted, in bytes of CBOR.
    pub max_envelope: usize,
}

/// Why a link closed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LinkFailure {
    /// The host closed it.
    #[error("closed by this side")]
    Closed,
    /// A frame arrived (or an envelope was handed over) that the phase does not take.
    #[error("nothing in the {0:?} phase takes this")]
    Unexpected(Phase),
    /// A handshake message did not verify.
    #[error("a handshake message did not verify")]
    Handshake,
    /// A transport message did not open: forged, replayed, reordered or reflected.
    #[error("a transport message did not open (forged, replayed or reflected)")]
    Forged,
    /// A frame longer than a Noise message.
    #[error("a frame of {0} bytes, over the {MAX_MESSAGE}-byte Noise limit")]
    FrameTooLarge(usize),
    /// The peer's proof is not a canonical proof.
    #[error("the peer's proof does not decode")]
    BadProof,
    /// The proof names an identity whose encryption key is not the handshake's static key.
    #[error("the proof's identity is not the handshake's static key")]
    KeyMismatch,
    /// The proof's signature does not check under the identity it names.
    #[error("the proof's signature does not check")]
    ProofSignature,
    /// The peer proved an identity this side does not accept.
    #[error("the peer is not registered")]
    UnknownPeer,
    /// An envelope claims a sender outside the proved peer's node.
    #[error("an envelope from {sender} arrived on a link with node {node}")]
    ForgedSender {
        /// The claimed sender.
        sender: String,
        /// The proved peer's node.
        node: String,
    },
    /// An envelope larger than the link takes.
    #[error("an envelope over {0} bytes")]
    EnvelopeTooLarge(usize),
    /// An envelope's bytes are not a canonical envelope.
    #[error("an envelope does not decode: {0}")]
    BadEnvelope(String),
    /// This side's key could not be used.
    #[error("this side's key is not available")]
    Key,
}

/// The keys a link holds, by phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Secure<H, S> {
    /// None: ready, or closed.
    Nothing,
    /// A handshake in progress.
    Handshake(H),
    /// An established session.
    Session(S),
}

/// One link's state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkState<H, S> {
    /// The phase.
    pub phase: Phase,
    /// The handshake or session.
    pub secure: Secure<H, S>,
    /// The proved peer, once connected.
    pub peer: Option<Peer>,
    /// The peer's static key, once the handshake carried it (initiator).
    remote_static: Option<[u8; 32]>,
    /// The handshake hash the next proof is checked against.
    hash: [u8; 32],
    /// Chunks of an envelope not yet complete.
    inbound: Vec<u8>,
}

impl<H, S> Default for LinkState<H, S> {
    fn default() -> Self {
        LinkState {
            phase: Phase::Ready,
            secure: Secure::Nothing,
            peer: None,
            remote_static: None,
            hash: [0; 32],
            inbound: Vec::new(),
        }
    }
}

/// What the host gives a link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkInput {
    /// Start the handshake (initiator).
    Open,
    /// A frame from the peer.
    Frame(Vec<u8>),
    /// An envelope to send.
    Send(Box<Envelope>),
    /// Close the link.
    Close,
}

impl LinkInput {
    fn trigger(&self) -> Trigger {
        match self {
            LinkInput::Open => Trigger::Open,
            LinkInput::Frame(_) => Trigger::Frame,
            LinkInput::Send(_) => Trigger::Send,
            LinkInput::Close => Trigger::Close,
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEffects {
    /// The guard row taken.
    pub row: &'static str,
    /// The phase before.
    pub from: Phase,
    /// The phase after.
    pub to: Phase,
    /// Frames to write to the peer, in order.
    pub frames: Vec<Vec<u8>>,
    /// Envelopes delivered, each from an address of the proved peer's node.
    pub delivered: Vec<Envelope>,
    /// Why the link closed, if this step closed it.
    pub closed: Option<LinkFailure>,
}

type Step<C> = LinkState<<C as LinkCrypto>::Handshake, <C as LinkCrypto>::Session>;

/// A handshake that read a message: itself, the message's payload, the peer's static key.
type HandshakeRead<C> = (<C as LinkCrypto>::Handshake, Vec<u8>, [u8; 32]);

impl Link {
    /// Takes one input: the table picks the row, the row's action runs, and any failure
    /// closes the link (dropping its keys) instead of changing anything else.
    pub fn step<C: LinkCrypto>(
        &self,
        st: &mut Step<C>,
        crypto: &mut C,
        input: &LinkInput,
    ) -> LinkEffects {
        let from = st.phase;
        if from == Phase::Closed {
            // A closed link takes nothing and says so once, when it closed.
            return LinkEffects {
                row: "refuse",
                from,
                to: from,
                frames: Vec::new(),
                delivered: Vec::new(),
                closed: None,
            };
        }
        if let LinkInput::Close = input {
            return close(st, "close", from, LinkFailure::Closed);
        }
        let Some(t) = lookup(self.role, from, input.trigger()) else {
            return close(st, "refuse", from, LinkFailure::Unexpected(from));
        };
        let mut fx = LinkEffects {
            row: t.row,
            from,
            to: t.to,
            frames: Vec::new(),
            delivered: Vec::new(),
            closed: None,
        };
        match self.act(st, crypto, input, &mut fx) {
            Ok(()) => {
                st.phase = t.to;
                fx
            }
            Err(failure) => close(st, "refuse", from, failure),
        }
    }

    fn act<C: LinkCrypto>(
        &self,
        st: &mut Step<C>,
        crypto: &mut C,
        input: &LinkInput,
        fx: &mut LinkEffects,
    ) -> Result<(), LinkFailure> {
        let frame = match input {
            LinkInput::Frame(f) if f.len() > MAX_MESSAGE => {
                return Err(LinkFailure::FrameTooLarge(f.len()));
            }
            LinkInput::Frame(f) => f.as_slice(),
            _ => &[],
        };
        match (fx.row, input) {
            ("open", _) => {
                let mut hs = crypto.initiator().map_err(key)?;
                fx.frames.push(crypto.write(&mut hs, &[]).map_err(key)?);
                st.secure = Secure::Handshake(hs);
            }
            ("accept", _) => {
                let mut hs = crypto.responder().map_err(key)?;
                let payload = crypto.read(&mut hs, frame).map_err(handshake)?;
                if !payload.is_empty() {
                    return Err(LinkFailure::Handshake);
                }
                fx.frames.push(crypto.write(&mut hs, &[]).map_err(key)?);
                st.hash = crypto.hash(&hs);
                st.secure = Secure::Handshake(hs);
            }
            ("vouch", _) => self.vouch(st, crypto, frame, fx)?,
            ("admit", _) => self.admit(st, crypto, frame, fx)?,
            ("confirm", _) => {
                let plain = crypto.open(session(st)?, frame).map_err(forged)?;
                let proof = LinkProof::from_cbor(&plain).map_err(|_| LinkFailure::BadProof)?;
                let rs = st.remote_static.ok_or(LinkFailure::Handshake)?;
                let hash = st.hash;
                st.peer = Some(self.check(crypto, &proof, LinkRole::Responder, &hash, rs)?);
            }
            ("deliver", _) => self.deliver(st, crypto, frame, fx)?,
            ("send", LinkInput::Send(env)) => {
                let bytes = env.to_cbor();
                if bytes.len() > self.max_envelope {
                    return Err(LinkFailure::EnvelopeTooLarge(self.max_envelope));
                }
                let s = session(st)?;
                let mut chunks = bytes.chunks(CHUNK).peekable();
                while let Some(chunk) = chunks.next() {
                    let flag = if chunks.peek().is_some() { MORE } else { LAST };
                    let plain = [&[flag][..], chunk].concat();
                    fx.frames.push(crypto.seal(s, &plain).map_err(key)?);
                }
            }
            _ => return Err(LinkFailure::Unexpected(fx.from)),
        }
        Ok(())
    }

    /// Initiator, second message in: check the responder's static key is a peer's, then
    /// write the third message carrying this side's proof over the hash so far.
    fn vouch<C: LinkCrypto>(
        &self,
        st: &mut Step<C>,
        crypto: &mut C,
        frame: &[u8],
        fx: &mut LinkEffects,
    ) -> Result<(), LinkFailure> {
        let (mut hs, payload, rs) = read_handshake(st, crypto, frame)?;
        if !payload.is_empty() {
            return Err(LinkFailure::Handshake);
        }
        // Refuse a responder that is nobody we dialled before proving anything to it.
        if !self.peers.iter().any(|p| p.identity.encryption_key == rs) {
            return Err(LinkFailure::UnknownPeer);
        }
        let proof = prove(crypto, LinkRole::Initiator, &crypto.hash(&hs))?;
        fx.frames
            .push(crypto.write(&mut hs, &proof.to_cbor()).map_err(key)?);
        st.hash = crypto.hash(&hs);
        st.remote_static = Some(rs);
        st.secure = Secure::Session(crypto.split(hs).map_err(handshake)?);
        Ok(())
    }

    /// Responder, third message in: check the initiator's proof, then send this side's.
    fn admit<C: LinkCrypto>(
        &self,
        st: &mut Step<C>,
        crypto: &mut C,
        frame: &[u8],
        fx: &mut LinkEffects,
    ) -> Result<(), LinkFailure> {
        let (hs, payload, rs) = read_handshake(st, crypto, frame)?;
        let proof = LinkProof::from_cbor(&payload).map_err(|_| LinkFailure::BadProof)?;
        let peer = self.check(crypto, &proof, LinkRole::Initiator, &st.hash, rs)?;
        let hash = crypto.hash(&hs);
        let mut s = crypto.split(hs).map_err(handshake)?;
        let own = prove(crypto, LinkRole::Responder, &hash)?;
        fx.frames
            .push(crypto.seal(&mut s, &own.to_cbor()).map_err(key)?);
        st.hash = hash;
        st.peer = Some(peer);
        st.secure = Secure::Session(s);
        Ok(())
    }

    /// Connected, a frame in: one chunk; a whole envelope is delivered if its sender is
    /// an address of the proved peer's node.
    fn deliver<C: LinkCrypto>(
        &self,
        st: &mut Step<C>,
        crypto: &mut C,
        frame: &[u8],
        fx: &mut LinkEffects,
    ) -> Result<(), LinkFailure> {
        let plain = crypto.open(session(st)?, frame).map_err(forged)?;
        let Some((&flag, chunk)) = plain.split_first() else {
            return Err(LinkFailure::BadEnvelope("an empty chunk".into()));
        };
        if st.inbound.len() + chunk.len() > self.max_envelope {
            return Err(LinkFailure::EnvelopeTooLarge(self.max_envelope));
        }
        st.inbound.extend_from_slice(chunk);
        match flag {
            MORE => return Ok(()),
            LAST => {}
            _ => {
                return Err(LinkFailure::BadEnvelope(
                    "a chunk flag other than 0 or 1".into(),
                ));
            }
        }
        let bytes = std::mem::take(&mut st.inbound);
        let limits = Limits {
            max_bytes: self.max_envelope,
            ..Limits::DEFAULT
        };
        let env = Envelope::from_cbor_with(&bytes, limits)
            .map_err(|e| LinkFailure::BadEnvelope(e.to_string()))?;
        let peer = st.peer.as_ref().ok_or(LinkFailure::Unexpected(st.phase))?;
        if !peer.speaks_for(&env.sender) {
            return Err(LinkFailure::ForgedSender {
                sender: env.sender.as_str().to_string(),
                node: peer.node.clone(),
            });
        }
        fx.delivered.push(env);
        Ok(())
    }

    /// The peer a proof proves, if it is valid for this handshake and a registered peer.
    fn check<C: LinkCrypto>(
        &self,
        crypto: &C,
        proof: &LinkProof,
        role: LinkRole,
        hash: &[u8; 32],
        remote_static: [u8; 32],
    ) -> Result<Peer, LinkFailure> {
        if proof.identity.encryption_key != remote_static {
            return Err(LinkFailure::KeyMismatch);
        }
        let signed = LinkProof::statement_bytes(role, hash);
        if !crypto.verify(&proof.identity.verifying_key, &signed, &proof.signature) {
            return Err(LinkFailure::ProofSignature);
        }
        self.peers
            .iter()
            .find(|p| p.identity == proof.identity)
            .cloned()
            .ok_or(LinkFailure::UnknownPeer)
    }
}

/// Takes the handshake out of the state and reads the next message into it: the handshake,
/// the message's payload, and the peer's static key it has by now.
fn read_handshake<C: LinkCrypto>(
    st: &mut Step<C>,
    crypto: &mut C,
    frame: &[u8],
) -> Result<HandshakeRead<C>, LinkFailure> {
    let Secure::Handshake(mut hs) = std::mem::replace(&mut st.secure, Secure::Nothing) else {
        return Err(LinkFailure::Unexpected(st.phase));
    };
    let payload = crypto.read(&mut hs, frame).map_err(handshake)?;
    let rs = crypto.remote_static(&hs).ok_or(LinkFailure::Handshake)?;
    Ok((hs, payload, rs))
}

fn prove<C: LinkCrypto>(
    crypto: &mut C,
    role: LinkRole,
    hash: &[u8; 32],
) -> Result<LinkProof, LinkFailure> {
    let signature = crypto
        .sign(&LinkProof::statement_bytes(role, hash))
        .map_err(key)?;
    Ok(LinkProof {
        identity: crypto.identity(),
        signature,
    })
}

fn session<H, S>(st: &mut LinkState<H, S>) -> Result<&mut S, LinkFailure> {
    match &mut st.secure {
        Secure::Session(s) => Ok(s),
        _ => Err(LinkFailure::Unexpected(st.phase)),
    }
}

/// Closes the link: its keys and partial input are dropped.
fn close<H, S>(
    st: &mut LinkState<H, S>,
    row: &'static str,
    from: Phase,
    failure: LinkFailure,
) -> LinkEffects {
    st.phase = Phase::Closed;
    st.secure = Secure::Nothing;
    st.inbound = Vec::new();
    LinkEffects {
        row,
        from,
        to: Phase::Closed,
        frames: Vec::new(),
        delivered: Vec::new(),
        closed: Some(failure),
    }
}

fn key(_: CryptoFailure) -> LinkFailure {
    LinkFailure::Key
}

fn handshake(_: CryptoFailure) -> LinkFailure {
    LinkFailure::Handshake
}

fn forged(_: CryptoFailure) -> LinkFailure {
    LinkFailure::Forged
}
