//! The link model's properties, each named beside its predicate.

use engines::link::connection::Secure;
use engines::link::{LinkFailure, Phase};
use stateright::Expectation;
use stateright::actor::ActorModelState;

use super::LinkModel;
use super::actors::{ALICE, ALICE_LINK, BOB, LinkActor, MALLORY, MALLORY_LINK, REPLAY_LINK, Side};

/// The state a property reads.
type State = ActorModelState<LinkActor>;

/// A property: name, meaning, expectation, predicate.
pub struct Property {
    /// Its name in reports.
    pub name: &'static str,
    /// One sentence.
    pub meaning: &'static str,
    /// Always (safety) or sometimes (reachability).
    pub expectation: Expectation,
    /// The predicate.
    pub condition: fn(&LinkModel, &State) -> bool,
}

fn sides(s: &State) -> impl Iterator<Item = (usize, &Side)> {
    s.actor_states.iter().map(|a| &**a).enumerate()
}

fn side(s: &State, i: usize) -> &Side {
    &s.actor_states[i]
}

/// The actor whose identity a peer proved.
fn actor_of(m: &LinkModel, peer: &engines::link::Peer) -> Option<usize> {
    m.actors.iter().position(|a| a.identity == peer.identity)
}

fn closed_with(s: &State, i: usize, test: fn(&LinkFailure) -> bool) -> bool {
    side(s, i).closed.iter().any(|(_, f)| test(f))
}

fn phase(s: &State, i: usize, conn: u8) -> Option<Phase> {
    side(s, i).links.get(&conn).map(|(l, _)| l.phase)
}

/// Every property of the link model.
pub const PROPERTIES: &[Property] = &[
    Property {
        name: "delivered only on connected links",
        meaning: "no envelope is delivered by a link that was not connected, with a proved peer, when the frame arrived",
        expectation: Expectation::Always,
        condition: |_, s| {
            sides(s).all(|(_, x)| {
                x.delivered
                    .iter()
                    .all(|d| d.from == Phase::Connected && d.peer.is_some())
            })
        },
    },
    Property {
        name: "every sender is the proved peer's",
        meaning: "every delivered envelope was handed to a link by the actor whose identity the link proved, and its sender is an address of that actor's node",
        expectation: Expectation::Always,
        condition: |m, s| {
            sides(s).all(|(_, x)| {
                x.delivered.iter().all(|d| {
                    d.peer.as_ref().is_some_and(|p| {
                        p.speaks_for(&d.env.sender)
                            && actor_of(m, p).is_some_and(|j| side(s, j).sent.contains(&d.env))
                    })
                })
            })
        },
    },
    Property {
        name: "a replayed handshake creates no session",
        meaning: "each session Bob connects belongs to a handshake its proved peer ran with the same ephemerals, and no two of Bob's sessions share them",
        expectation: Expectation::Always,
        condition: |m, s| {
            let bob = &side(s, BOB).sessions;
            let agreed = bob.iter().all(|b| {
                b.peer
                    .as_ref()
                    .and_then(|p| actor_of(m, p))
                    .is_some_and(|j| {
                        side(s, j)
                            .sessions
                            .iter()
                            .any(|x| x.ephemerals == b.ephemerals)
                    })
            });
            let distinct = bob
                .iter()
                .enumerate()
                .all(|(i, b)| bob[..i].iter().all(|c| c.ephemerals != b.ephemerals));
            agreed && distinct
        },
    },
    Property {
        name: "closed links hold no keys",
        meaning: "a closed link holds neither a handshake nor a session",
        expectation: Expectation::Always,
        condition: |_, s| {
            sides(s).all(|(_, x)| {
                x.links
                    .values()
                    .all(|(l, _)| l.phase != Phase::Closed || l.secure == Secure::Nothing)
            })
        },
    },
    Property {
        name: "both ends connected",
        meaning: "Alice's link and Bob's end of it both reach Connected",
        expectation: Expectation::Sometimes,
        condition: |_, s| {
            phase(s, ALICE, ALICE_LINK) == Some(Phase::Connected)
                && phase(s, BOB, ALICE_LINK) == Some(Phase::Connected)
        },
    },
    Property {
        name: "bob delivered alice's envelope",
        meaning: "an envelope crosses the link from Alice to Bob",
        expectation: Expectation::Sometimes,
        condition: |_, s| {
            side(s, BOB)
                .delivered
                .iter()
                .any(|d| d.peer.as_ref().is_some_and(|p| p.node == "alice"))
        },
    },
    Property {
        name: "alice delivered bob's envelope",
        meaning: "an envelope crosses the link from Bob to Alice",
        expectation: Expectation::Sometimes,
        condition: |_, s| !side(s, ALICE).delivered.is_empty(),
    },
    Property {
        name: "an injected frame refused",
        meaning: "a frame Mallory injected closes the link it was injected on",
        expectation: Expectation::Sometimes,
        condition: |_, s| {
            [ALICE, BOB].iter().any(|&i| {
                closed_with(s, i, |f| {
                    matches!(f, LinkFailure::Forged | LinkFailure::Handshake)
                })
            })
        },
    },
    Property {
        name: "a replayed first message accepted",
        meaning: "Bob answers a replay of Alice's first message on a fresh connection (and must never connect it)",
        expectation: Expectation::Sometimes,
        condition: |_, s| phase(s, BOB, REPLAY_LINK) == Some(Phase::Accepting),
    },
    Property {
        name: "a forged sender refused",
        meaning: "Mallory, connected as itself, sends an envelope from Alice's node, and Bob closes the link",
        expectation: Expectation::Sometimes,
        condition: |_, s| closed_with(s, BOB, |f| matches!(f, LinkFailure::ForgedSender { .. })),
    },
    Property {
        name: "mallory connected",
        meaning: "Mallory's own link to Bob connects: the attacker is a real peer",
        expectation: Expectation::Sometimes,
        condition: |_, s| {
            side(s, MALLORY)
                .sessions
                .iter()
                .any(|x| x.conn == MALLORY_LINK && x.peer.is_some())
        },
    },
    Property {
        name: "an unregistered peer refused",
        meaning: "Bob refuses Mallory's handshake once Mallory proves an identity Bob does not know",
        expectation: Expectation::Sometimes,
        condition: |_, s| closed_with(s, BOB, |f| *f == LinkFailure::UnknownPeer),
    },
];
