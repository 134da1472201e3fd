//! The properties: each a name, one sentence of meaning, an expectation, and a condition.

use std::collections::HashSet;

use spec::codec;
use stateright::Expectation;
use stateright::actor::{ActorModelState, Network};

use crate::actors::{ModelActor, ModelMsg, NodeState};
use crate::history::{History, Judged, Outcome};
use crate::negative::NegativeState;
use crate::scenarios::{Model, NetworkKind};

/// The state type the conditions read.
pub type State = ActorModelState<ModelActor, History>;

/// A property as a scenario checks it.
#[derive(Clone)]
pub struct Check {
    /// Its name.
    pub name: &'static str,
    /// One sentence: what it means.
    pub meaning: &'static str,
    /// Always, Sometimes or Eventually.
    pub expectation: Expectation,
    /// The condition over a state.
    pub condition: fn(&Model, &State) -> bool,
    /// The scenario models a flawed design: the checker must find this property's violation.
    pub expect_violation: bool,
}

fn always(
    name: &'static str,
    meaning: &'static str,
    condition: fn(&Model, &State) -> bool,
) -> Check {
    Check {
        name,
        meaning,
        expectation: Expectation::Always,
        condition,
        expect_violation: false,
    }
}

fn clean(state: &State, what: Judged) -> bool {
    !state.history.violations.contains_key(&what)
}

/// A ciphertext opens for exactly its target and the identities that read for it per the
/// evidence in force when the ReadsFor engine answered.
pub fn confidentiality() -> Check {
    always(
        "confidentiality",
        "every ciphertext is sealed to exactly its target plus, with reads-for, the identities that read for the target per the evidence in force when the ReadsFor engine answered",
        |_, s| clean(s, Judged::Confidentiality),
    )
}

/// Replies reach their requester and carry that request's data.
pub fn no_cross_talk() -> Check {
    always(
        "no cross-talk",
        "every reply reaches the requester of its correlation id, is the reply to that request, and carries that request's data and target",
        |_, s| clean(s, Judged::NoCrossTalk),
    )
}

/// A failed reads-for query yields an error reply.
pub fn errors_propagate() -> Check {
    always(
        "errors propagate",
        "a failed reads-for query yields a reply with an error, never a ciphertext built as if it had succeeded",
        |_, s| clean(s, Judged::ErrorsPropagate),
    )
}

/// No secret in any message; no plaintext for a requester that owns no recipient.
pub fn vault_isolation() -> Check {
    always(
        "vault isolation",
        "no message ever carries secret key material, and a requester that owns none of a ciphertext's recipients never gets its plaintext",
        |_, s| clean(s, Judged::VaultIsolation) && !secret_in_flight(s),
    )
}

/// Nothing sealed after a revocation lists the revoked reader.
pub fn revocation() -> Check {
    always(
        "revocation",
        "nothing sealed after a revocation was applied lists the revoked reader, and revoked evidence is never accepted again",
        |_, s| clean(s, Judged::Revocation),
    )
}

/// Evidence is accepted only with a valid signature by its subject.
pub fn evidence_verified() -> Check {
    always(
        "evidence verified",
        "the ReadsFor engine accepts evidence only when the subject's signature verifies",
        |_, s| clean(s, Judged::EvidenceVerified),
    )
}

/// Every request gets a reply, checked in every quiescent state.
pub fn responsiveness() -> Check {
    always(
        "responsiveness",
        "in every quiescent state (no message in flight, no timer, no pending choice) every request has been answered: exactly once on a reliable network without retries, at least once with retries or duplication, or given up after its retries on a lossy network",
        |m, s| !quiescent(s) || all_answered(m, s),
    )
}

/// Quiescence with every request answered is reachable (so responsiveness is not vacuous).
pub fn quiescence_reached() -> Check {
    Check {
        name: "reachable: quiet with all answered",
        meaning: "some run reaches a quiescent state after every client issued its requests and got its replies",
        expectation: Expectation::Sometimes,
        condition: |m, s| {
            quiescent(s) && all_answered(m, s) && clients(s).any(|c| !c.replies.is_empty())
        },
        expect_violation: false,
    }
}

/// An outcome is reachable.
pub fn reachable(name: &'static str, outcome: Outcome) -> Check {
    let condition: fn(&Model, &State) -> bool = match outcome {
        Outcome::DirectOpened => |_, s| s.history.reached.contains(&Outcome::DirectOpened),
        Outcome::Widened => |_, s| s.history.reached.contains(&Outcome::Widened),
        Outcome::RevocationExcluded => {
            |_, s| s.history.reached.contains(&Outcome::RevocationExcluded)
        }
        Outcome::ErrorPropagated => |_, s| s.history.reached.contains(&Outcome::ErrorPropagated),
        Outcome::ForgeryRefused => |_, s| s.history.reached.contains(&Outcome::ForgeryRefused),
        Outcome::UnauthorisedRefused => {
            |_, s| s.history.reached.contains(&Outcome::UnauthorisedRefused)
        }
        Outcome::NonRecipientRefused => {
            |_, s| s.history.reached.contains(&Outcome::NonRecipientRefused)
        }
        Outcome::OldCiphertextOpened => {
            |_, s| s.history.reached.contains(&Outcome::OldCiphertextOpened)
        }
        Outcome::CrossInstance => |_, s| s.history.reached.contains(&Outcome::CrossInstance),
        Outcome::OwnContext => |_, s| s.history.reached.contains(&Outcome::OwnContext),
        Outcome::ZoneDerived => |_, s| s.history.reached.contains(&Outcome::ZoneDerived),
        Outcome::IdentityDeleted => |_, s| s.history.reached.contains(&Outcome::IdentityDeleted),
        Outcome::ReadsForConfirmed => {
            |_, s| s.history.reached.contains(&Outcome::ReadsForConfirmed)
        }
    };
    Check {
        name,
        meaning: "the scenario's interesting outcome happens in some run, so no property passes because nothing happens",
        expectation: Expectation::Sometimes,
        condition,
        expect_violation: false,
    }
}

/// An instance finished a request sealed under another cookie epoch.
pub fn finished_across_epochs() -> Check {
    Check {
        name: "reachable: continuation opens across a rotation",
        meaning: "some instance finishes a request whose continuation was sealed at another cookie epoch than its own",
        expectation: Expectation::Sometimes,
        condition: |_, s| {
            s.actor_states
                .iter()
                .any(|a| matches!(&**a, NodeState::Encryption(e) if e.finished_across_epochs))
        },
        expect_violation: false,
    }
}

/// Seed 003: no removed member ever receives the group key.
pub fn removed_member_excluded(expect_violation: bool) -> Check {
    Check {
        name: "removed member excluded",
        meaning: "no member removed from the group receives a key wrapped after its removal was ordered",
        expectation: Expectation::Always,
        condition: |_, s| {
            !s.actor_states.iter().any(|a| {
                matches!(&**a, NodeState::Negative(NegativeState::Group { leaked_to, .. }) if !leaked_to.is_empty())
            })
        },
        expect_violation,
    }
}

/// Marks a property as the violation a negative scenario must exhibit.
pub fn expect_violation(mut check: Check) -> Check {
    check.expect_violation = true;
    check
}

/// The properties every scenario of the real engines checks.
pub fn engine_checks() -> Vec<Check> {
    vec![
        confidentiality(),
        no_cross_talk(),
        errors_propagate(),
        vault_isolation(),
        revocation(),
        evidence_verified(),
        responsiveness(),
        quiescence_reached(),
    ]
}

fn clients(s: &State) -> impl Iterator<Item = &crate::actors::ClientState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        NodeState::Client(c) => Some(c),
        _ => None,
    })
}

/// No message in flight, no timer set, no choice pending.
pub fn quiescent(s: &State) -> bool {
    s.network.len() == 0
        && s.timers_set.iter().all(|t| t.iter().next().is_none())
        && s.random_choices.iter().all(|r| r.map.is_empty())
}

fn all_answered(m: &Model, s: &State) -> bool {
    let exactly_once = !m.cfg.retries && m.cfg.network != NetworkKind::Duplicating;
    clients(s).all(|c| {
        c.awaiting.iter().all(|k| match c.replies.get(k) {
            Some((_, n)) => !exactly_once || *n == 1,
            None => m.cfg.network == NetworkKind::Lossy && c.gave_up.contains(k),
        })
    })
}

/// Whether any message in flight contains a secret any vault or Encryption instance holds.
fn secret_in_flight(s: &State) -> bool {
    let mut secrets: HashSet<[u8; 32]> = HashSet::new();
    for a in &s.actor_states {
        match &**a {
            NodeState::Decryption(v) => {
                for held in v.state.identities.values() {
                    secrets.insert(*held.secrets.signing_seed.expose());
                    secrets.insert(*held.secrets.encryption_secret.expose());
                }
                for entry in v.state.keys.values() {
                    secrets.insert(*entry.secret.expose());
                }
            }
            NodeState::Encryption(e) => {
                for key in e.engine.state.cookies.keys() {
                    secrets.insert(*key.key.expose());
                }
            }
            _ => {}
        }
    }
    if secrets.is_empty() {
        return false;
    }
    in_flight(&s.network)
        .into_iter()
        .any(|(_, _, msg)| match msg {
            ModelMsg::Spec(env) => codec::encode(env)
                .windows(32)
                .any(|w| <[u8; 32]>::try_from(w).is_ok_and(|w| secrets.contains(&w))),
            ModelMsg::Legacy(_) => false,
        })
}

/// Every message in flight, as (sender, receiver, message).
///
/// Walks ordered flows directly: stateright 0.31's `iter_all` never advances
/// within an ordered flow that holds more than one message, and loops forever.
pub fn in_flight(network: &Network<ModelMsg>) -> Vec<(usize, usize, &ModelMsg)> {
    match network {
        Network::Ordered(flows) => flows
            .iter()
            .flat_map(|((src, dst), msgs)| {
                msgs.iter()
                    .map(move |m| (usize::from(*src), usize::from(*dst), m))
            })
            .collect(),
        _ => network
            .iter_all()
            .map(|e| (usize::from(e.src), usize::from(e.dst), e.msg))
            .collect(),
    }
}
