//! The link model's actors: Alice dials Bob, Mallory dials Bob too and taps the wire
//! between Alice and Bob, injecting what it saw. Every side runs the link engine's own
//! step function over the symbolic Noise terms.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use engines::link::connection::Secure;
use engines::link::symbolic::{SymHandshake, SymSession, SymbolicLink};
use engines::link::{Link, LinkEffects, LinkFailure, LinkInput, LinkState, Peer, Phase};
use spec::link::LinkRole;
use spec::message::{Plaintext, RequestEncrypt};
use spec::{Address, CorrelationId, Envelope, ExternalIdentity};
use stateright::actor::{Actor, Id, Out};

/// Actor indices.
pub const ALICE: usize = 0;
/// Bob accepts every link.
pub const BOB: usize = 1;
/// Mallory dials Bob and injects what it taps.
pub const MALLORY: usize = 2;

/// Connection numbers: Alice's link to Bob, Mallory's, and one Mallory opens with replays.
pub const ALICE_LINK: u8 = 0;
/// Mallory's own link to Bob.
pub const MALLORY_LINK: u8 = 1;
/// A connection to Bob that only replayed frames travel on.
pub const REPLAY_LINK: u8 = 2;

/// A frame on connection `conn`; or a copy of one, to the tap.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkMsg {
    /// A frame of connection `conn`.
    Frame {
        /// The connection.
        conn: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// What the tap saw go to `to` on the wire between Alice and Bob.
    Tap {
        /// The actor it went to.
        to: usize,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// A choice of Mallory's: send a tapped frame to `to` on connection `conn`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Inject {
    /// The frame, as seen.
    pub frame: Vec<u8>,
    /// The receiver.
    pub to: usize,
    /// The connection it claims.
    pub conn: u8,
}

/// An envelope a link delivered, and what the link was when it did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivery {
    /// The connection.
    pub conn: u8,
    /// The phase the step started in.
    pub from: Phase,
    /// The peer the link had proved.
    pub peer: Option<Peer>,
    /// The envelope.
    pub env: Envelope,
}

/// A session a side entered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Session {
    /// The connection.
    pub conn: u8,
    /// The initiator's and the responder's ephemerals.
    pub ephemerals: (u64, u64),
    /// The peer proved, once proved.
    pub peer: Option<Peer>,
}

/// The symbolic link state.
pub type SymLink = LinkState<SymHandshake, SymSession>;

/// One actor's state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Side {
    /// Links by connection, each with its own crypto: ephemerals are numbered per
    /// connection, so the order in which Bob accepts links changes no term.
    pub links: BTreeMap<u8, (SymLink, SymbolicLink)>,
    /// Envelopes delivered.
    pub delivered: Vec<Delivery>,
    /// Links closed, and why.
    pub closed: Vec<(u8, LinkFailure)>,
    /// Envelopes this side handed to a link.
    pub sent: Vec<Envelope>,
    /// Sessions this side entered, by connection: its ephemerals and the peer it proved
    /// (recorded at `Vouched` for an initiator, at `Connected` for a responder).
    pub sessions: Vec<Session>,
    /// Frames the tap saw (Mallory), with whom each went to.
    pub seen: BTreeSet<(usize, Vec<u8>)>,
    /// Injections left (Mallory).
    pub budget: u8,
}

/// Who plays which part.
#[derive(Debug, Clone)]
pub struct LinkActor {
    /// Its index.
    pub index: usize,
    /// Its identity.
    pub identity: ExternalIdentity,
    /// The peers it accepts (Bob) or dials (Alice, Mallory).
    pub peers: Vec<Peer>,
    /// Injections Mallory may make.
    pub budget: u8,
}

/// The three identities: `i` gives distinct symbolic keys.
pub fn identity(i: u8) -> ExternalIdentity {
    ExternalIdentity {
        verifying_key: [i + 1; 32],
        encryption_key: [i + 101; 32],
    }
}

/// The node names of the actors.
pub const NODES: [&str; 3] = ["alice", "bob", "mallory"];

/// The envelope each dialler sends once connected: Alice from her own node, Mallory
/// claiming Alice's.
fn envelope(index: usize) -> Envelope {
    let sender = if index == BOB {
        "bob/encryption"
    } else {
        "alice/client"
    };
    let target = if index == BOB {
        "alice/client"
    } else {
        "bob/encryption"
    };
    let addr = |a: &str| Address::new(a).unwrap_or_else(|_| unreachable!("{a} is valid"));
    Envelope {
        sender: addr(sender),
        target: addr(target),
        correlation: CorrelationId(index as u64),
        message: RequestEncrypt {
            data: Plaintext(vec![index as u8]),
            external_identity: identity(1),
            use_reads_for: false,
        }
        .into(),
    }
}

type O = Out<LinkActor>;

impl LinkActor {
    fn link(&self) -> Link {
        Link {
            role: if self.index == BOB {
                LinkRole::Responder
            } else {
                LinkRole::Initiator
            },
            peers: self.peers.clone(),
            max_envelope: 4096,
        }
    }

    /// Runs one input through the link of `conn`, then sends, records and reacts.
    fn drive(&self, s: &mut Side, conn: u8, peer: usize, input: LinkInput, o: &mut O) {
        let link = self.link();
        let owner = (self.index as u32) << 8 | u32::from(conn);
        let (st, crypto) = s.links.entry(conn).or_insert_with(|| {
            (
                SymLink::default(),
                SymbolicLink::new(self.identity.clone(), owner),
            )
        });
        let fx: LinkEffects = link.step(st, crypto, &input);
        let now = st.phase;
        let proved = st.peer.clone();
        for env in fx.delivered {
            s.delivered.push(Delivery {
                conn,
                from: fx.from,
                peer: proved.clone(),
                env,
            });
        }
        if fx.from != now
            && let Secure::Session(session) = &st.secure
        {
            s.sessions.push(Session {
                conn,
                ephemerals: (session.ei, session.er),
                peer: proved.clone(),
            });
        }
        if let Some(why) = fx.closed {
            s.closed.push((conn, why));
        }
        self.emit(conn, peer, fx.frames, o);
        // Once connected, each side sends its one envelope.
        if fx.from != Phase::Connected && now == Phase::Connected {
            let env = envelope(self.index);
            s.sent.push(env.clone());
            if let Some((st, crypto)) = s.links.get_mut(&conn) {
                let fx = link.step(st, crypto, &LinkInput::Send(Box::new(env)));
                self.emit(conn, peer, fx.frames, o);
            }
        }
    }

    /// Sends frames to `peer`; frames between Alice and Bob are also copied to the tap.
    fn emit(&self, conn: u8, peer: usize, frames: Vec<Vec<u8>>, o: &mut O) {
        for bytes in frames {
            if conn == ALICE_LINK {
                o.send(
                    Id::from(MALLORY),
                    LinkMsg::Tap {
                        to: peer,
                        bytes: bytes.clone(),
                    },
                );
            }
            o.send(Id::from(peer), LinkMsg::Frame { conn, bytes });
        }
    }

    /// Mallory offers every injection of what it has seen, while its budget lasts.
    fn offer(&self, s: &Side, o: &mut O) {
        if s.budget == 0 {
            return;
        }
        let mut choices = Vec::new();
        for (to, frame) in &s.seen {
            let onto = [
                (BOB, ALICE_LINK),
                (BOB, MALLORY_LINK),
                (BOB, REPLAY_LINK),
                (ALICE, ALICE_LINK),
            ];
            for (dest, conn) in onto {
                // Sending a frame on to where it was going is the network's job, not an attack.
                if !(dest == *to && conn == ALICE_LINK) {
                    choices.push(Inject {
                        frame: frame.clone(),
                        to: dest,
                        conn,
                    });
                }
            }
        }
        if !choices.is_empty() {
            o.choose_random("inject", choices);
        }
    }
}

impl Actor for LinkActor {
    type Msg = LinkMsg;
    type State = Side;
    type Timer = ();
    type Random = Inject;
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut O) -> Side {
        let mut s = Side {
            links: BTreeMap::new(),
            delivered: Vec::new(),
            closed: Vec::new(),
            sessions: Vec::new(),
            sent: Vec::new(),
            seen: BTreeSet::new(),
            budget: self.budget,
        };
        match self.index {
            ALICE => self.drive(&mut s, ALICE_LINK, BOB, LinkInput::Open, o),
            MALLORY => self.drive(&mut s, MALLORY_LINK, BOB, LinkInput::Open, o),
            _ => {}
        }
        s
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<Side>, _src: Id, msg: LinkMsg, o: &mut O) {
        match msg {
            LinkMsg::Frame { conn, bytes } => {
                // A receiver answers on the connection's other end, whoever injected the frame.
                let peer = match (self.index, conn) {
                    (BOB, ALICE_LINK) => ALICE,
                    (BOB, _) => MALLORY,
                    _ => BOB,
                };
                let s = state.to_mut();
                self.drive(s, conn, peer, LinkInput::Frame(bytes), o);
            }
            LinkMsg::Tap { .. } if state.budget == 0 => {}
            LinkMsg::Tap { to, bytes } => {
                let s = state.to_mut();
                s.seen.insert((to, bytes));
                self.offer(s, o);
            }
        }
    }

    fn on_random(&self, _id: Id, state: &mut Cow<Side>, random: &Inject, o: &mut O) {
        let s = state.to_mut();
        let bytes = random.frame.clone();
        s.budget = s.budget.saturating_sub(1);
        o.send(
            Id::from(random.to),
            LinkMsg::Frame {
                conn: random.conn,
                bytes,
            },
        );
        self.offer(s, o);
    }
}
