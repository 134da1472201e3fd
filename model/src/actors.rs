//! The actors: clients, the four engines (running their own code), a pool router, and the
//! negative designs.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use engines::Engine;
use engines::backend::symbolic::SymbolicBackend;
use engines::decryption::{Decryption, DecryptionState};
use engines::encryption::{Encryption, EncryptionState};
use engines::identity_management::{IdentityManagement, IdentityManagementState};
use engines::reads_for::{ReadsFor, ReadsForState};
use spec::effects::{Effects, Rejection};
use spec::message::ReplyQueryReadsForEvidence;
use spec::{Address, CorrelationId, Envelope, Message, ReadsForError};
use stateright::actor::{Actor, Command, Id, Out, model_timeout};

use crate::negative::{LegacyMsg, NegativeNode, NegativeState};

/// The address of actor `index` in the model: `n0`, `n1`, …
pub fn address(index: usize) -> Address {
    Address::new(format!("n{index}"))
        .unwrap_or_else(|_| unreachable!("n<digits> is a valid address"))
}

/// The actor index an address names, if it is a model address.
pub fn index_of(address: &Address) -> Option<usize> {
    address.as_str().strip_prefix('n')?.parse().ok()
}

/// A message on the model's network.
// Nearly every message is `Spec`; boxing it would add an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelMsg {
    /// An envelope of the real vocabulary.
    Spec(Envelope),
    /// A message of a design the seeds warn against (not part of the vocabulary).
    Legacy(LegacyMsg),
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelTimer {
    /// A client's request has waited long enough: retry or give up.
    Retry(CorrelationId),
    /// An Encryption instance rotates its cookie key.
    RotateCookie,
}

/// Nondeterministic choices.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelChoice {
    /// A client picks menu item `n`.
    Pick(usize),
    /// The pool router hands queued message `key` to instance `to`.
    Route(u64, usize),
}

/// One request on a client's menu: what to send, and to which actor.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Intent {
    /// The actor index it is sent to.
    pub to: usize,
    /// The request.
    pub message: Message,
}

/// A client: issues up to `budget` requests chosen from `menu`, retrying `retries` times.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    /// What it may ask.
    pub menu: Arc<Vec<Intent>>,
    /// How many requests it issues.
    pub budget: u8,
    /// How many times it resends an unanswered request (0 on reliable networks).
    pub retries: u8,
}

/// What a client has sent and received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientState {
    /// Requests issued, by correlation id: menu index and tries so far.
    pub issued: BTreeMap<CorrelationId, (usize, u8)>,
    /// The issued messages that expect a reply (an adversary also sends replies).
    pub awaiting: BTreeSet<CorrelationId>,
    /// Replies received, by correlation id: the first one and how many.
    pub replies: BTreeMap<CorrelationId, (Message, u8)>,
    /// Requests the client stopped waiting for after its retries.
    pub gave_up: BTreeSet<CorrelationId>,
}

/// A fault the model injects into the ReadsFor engine's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadsForFault {
    /// None.
    None,
    /// The first evidence query is answered with `Unavailable`, as an overloaded engine would.
    FailFirstQuery,
    /// The reply to the first evidence query is lost.
    LoseFirstReply,
}

/// Every actor of the model.
#[derive(Clone, Debug)]
pub enum Node {
    /// A client (or an adversary: a client with a hostile menu).
    Client(Client),
    /// An Encryption instance, the index of its pool router if it is in a pool, and how
    /// many times it rotates its cookie key.
    Encryption(Encryption, Option<usize>, u8),
    /// The load balancer in front of a pool: hands each message to any instance.
    Router(Vec<usize>),
    /// The ReadsFor engine, its initial evidence, and an injected fault.
    ReadsFor(ReadsFor, Box<ReadsForState>, ReadsForFault),
    /// A Decryption engine (vault) with its initial contents.
    Decryption(Decryption, Box<DecryptionState>),
    /// The Identity Management engine with its initial records.
    IdentityManagement(IdentityManagement, Box<IdentityManagementState>),
    /// A design the seeds or the Anoma specification warn against.
    Negative(NegativeNode),
}

/// An actor of the model: a node, and how the network authenticates every actor.
#[derive(Clone, Debug)]
pub struct ModelActor {
    /// What this actor is.
    pub node: Node,
    /// For each actor index, the index whose address it speaks for (a pool
    /// instance speaks for its router; everyone else for itself).
    pub speaks_for: Arc<Vec<usize>>,
    /// Every message this actor sends is delivered twice (the duplicating network).
    pub duplicate: bool,
}

impl ModelActor {
    /// On a duplicating network, sends every message of this step a second time.
    fn duplicate_sends(&self, o: &mut O) {
        if !self.duplicate {
            return;
        }
        let sends: Vec<(Id, ModelMsg)> = o
            .iter()
            .filter_map(|c| match c {
                Command::Send(dst, msg) => Some((*dst, msg.clone())),
                _ => None,
            })
            .collect();
        for (dst, msg) in sends {
            o.send(dst, msg);
        }
    }
}

/// An engine's state, its symbolic backend, and what it rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EngineSlot<S> {
    /// The engine state.
    pub state: S,
    /// The backend (its counter is the engine's randomness).
    pub backend: SymbolicBackend,
    /// Messages the engine dropped, with why, and how often.
    pub rejected: BTreeMap<Rejection, u8>,
}

/// An Encryption instance's state, with model-side observations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EncryptionSlot {
    /// The engine.
    pub engine: EngineSlot<EncryptionState>,
    /// Cookie rotations still to come.
    pub rotations_left: u8,
    /// It finished a request whose continuation was sealed at another epoch than its own.
    pub finished_across_epochs: bool,
}

/// Every actor's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeState {
    /// A client.
    Client(ClientState),
    /// An Encryption instance.
    Encryption(EncryptionSlot),
    /// The pool router: messages waiting to be handed to an instance.
    Router(BTreeMap<u64, Envelope>, u64),
    /// The ReadsFor engine; the flag says whether the fault has fired.
    ReadsFor(EngineSlot<ReadsForState>, bool),
    /// A vault.
    Decryption(EngineSlot<DecryptionState>),
    /// Identity Management.
    IdentityManagement(EngineSlot<IdentityManagementState>),
    /// A negative design.
    Negative(NegativeState),
}

type O = Out<ModelActor>;

fn slot<S>(state: S, id: Id) -> EngineSlot<S> {
    EngineSlot {
        state,
        backend: SymbolicBackend::new(usize::from(id) as u64),
        rejected: BTreeMap::new(),
    }
}

/// Sends an engine's envelopes and counts its rejections into `rejected`.
pub(crate) fn send_effects(effects: Effects, o: &mut O, rejected: &mut BTreeMap<Rejection, u8>) {
    for env in effects.send {
        if let Some(to) = index_of(&env.target) {
            o.send(Id::from(to), ModelMsg::Spec(env));
        }
    }
    for r in effects.rejected {
        let n = rejected.entry(r).or_insert(0);
        *n = n.saturating_add(1);
    }
}

/// Runs one engine step on a copy of the slot; returns the new slot if anything happened.
fn run_engine<S, E>(
    engine: &E,
    slot: &EngineSlot<S>,
    env: &Envelope,
    o: &mut O,
) -> Option<EngineSlot<S>>
where
    S: Clone + PartialEq,
    E: Engine<State = S>,
{
    let mut next = slot.clone();
    let effects = engine.step(&mut next.state, &mut next.backend, env);
    let sent = !effects.send.is_empty();
    send_effects(effects, o, &mut next.rejected);
    (sent || next != *slot).then_some(next)
}

/// The epoch a continuation was sealed at (its first 8 bytes, big-endian).
fn continuation_epoch(env: &Envelope) -> Option<u64> {
    match &env.message {
        Message::ReplyQueryReadsForEvidence(r) => {
            let bytes = r.continuation.as_ref()?.0.first_chunk::<8>()?;
            Some(u64::from_be_bytes(*bytes))
        }
        _ => None,
    }
}

impl Client {
    fn send(&self, me: Id, pick: usize, correlation: CorrelationId, o: &mut O) {
        if let Some(intent) = self.menu.get(pick) {
            o.send(
                Id::from(intent.to),
                ModelMsg::Spec(Envelope {
                    sender: address(usize::from(me)),
                    target: address(intent.to),
                    correlation,
                    message: intent.message.clone(),
                }),
            );
        }
    }

    fn issue(&self, me: Id, state: &mut ClientState, pick: usize, o: &mut O) {
        let correlation = CorrelationId(state.issued.len() as u64 + 1);
        state.issued.insert(correlation, (pick, 0));
        let expects_reply = self.menu.get(pick).is_some_and(|i| i.message.is_request());
        if expects_reply {
            state.awaiting.insert(correlation);
        }
        self.send(me, pick, correlation, o);
        if self.retries > 0 && expects_reply {
            o.set_timer(ModelTimer::Retry(correlation), model_timeout());
        }
        self.offer(state, o);
    }

    /// Offers the next nondeterministic choice of request, if the budget allows.
    fn offer(&self, state: &ClientState, o: &mut O) {
        if state.issued.len() >= usize::from(self.budget) {
            return;
        }
        // Each menu item at most once, in any order: a bounded, acyclic client.
        let taken: BTreeSet<usize> = state.issued.values().map(|(i, _)| *i).collect();
        let choices: Vec<ModelChoice> = (0..self.menu.len())
            .filter(|i| !taken.contains(i))
            .map(ModelChoice::Pick)
            .collect();
        if !choices.is_empty() {
            o.choose_random("request", choices);
        }
    }
}

impl Actor for ModelActor {
    type Msg = ModelMsg;
    type State = NodeState;
    type Timer = ModelTimer;
    type Random = ModelChoice;
    type Storage = ();

    fn on_start(&self, id: Id, _storage: &Option<()>, o: &mut O) -> NodeState {
        match &self.node {
            Node::Client(c) => {
                let state = ClientState::default();
                c.offer(&state, o);
                NodeState::Client(state)
            }
            Node::Encryption(_, _, rotations) => {
                // Every instance of a pool starts from the same cookie key.
                let state = Encryption::initial_state(&mut SymbolicBackend::new(u64::MAX));
                if *rotations > 0 {
                    o.set_timer(ModelTimer::RotateCookie, model_timeout());
                }
                NodeState::Encryption(EncryptionSlot {
                    engine: slot(state, id),
                    rotations_left: *rotations,
                    finished_across_epochs: false,
                })
            }
            Node::Router(_) => NodeState::Router(BTreeMap::new(), 0),
            Node::ReadsFor(_, initial, _) => {
                NodeState::ReadsFor(slot((**initial).clone(), id), false)
            }
            Node::Decryption(_, initial) => NodeState::Decryption(slot((**initial).clone(), id)),
            Node::IdentityManagement(_, initial) => {
                NodeState::IdentityManagement(slot((**initial).clone(), id))
            }
            Node::Negative(n) => NodeState::Negative(n.on_start(id, o)),
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<NodeState>, src: Id, msg: ModelMsg, o: &mut O) {
        self.handle_msg(id, state, src, msg, o);
        self.duplicate_sends(o);
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<NodeState>, timer: &ModelTimer, o: &mut O) {
        self.handle_timeout(id, state, timer, o);
        self.duplicate_sends(o);
    }

    fn on_random(&self, id: Id, state: &mut Cow<NodeState>, random: &ModelChoice, o: &mut O) {
        self.handle_random(id, state, random, o);
        self.duplicate_sends(o);
    }
}

impl ModelActor {
    fn handle_msg(&self, id: Id, state: &mut Cow<NodeState>, src: Id, msg: ModelMsg, o: &mut O) {
        let mut env = match msg {
            ModelMsg::Spec(env) => env,
            ModelMsg::Legacy(m) => {
                if let Node::Negative(n) = &self.node {
                    n.on_legacy(id, state, src, m, o);
                }
                return;
            }
        };
        // The network authenticates senders: an engine sees the actor that
        // really sent a message, whatever the envelope claims. A pool router
        // forwards on behalf of the original sender.
        let src_index = usize::from(src);
        let via_router =
            matches!(&self.node, Node::Encryption(_, Some(router), _) if *router == src_index);
        if !via_router {
            let speaks_for = self.speaks_for.get(src_index).copied().unwrap_or(src_index);
            env.sender = address(speaks_for);
        }
        match (&self.node, &**state) {
            (Node::Client(c), NodeState::Client(s)) => {
                let mut next = s.clone();
                let entry = next
                    .replies
                    .entry(env.correlation)
                    .or_insert((env.message.clone(), 0));
                // Counted, not capped: a delivery that changed nothing would be no
                // transition, and the message would stay in flight forever.
                entry.1 = entry.1.saturating_add(1);
                if c.retries > 0 {
                    o.cancel_timer(ModelTimer::Retry(env.correlation));
                }
                if next != *s {
                    *state.to_mut() = NodeState::Client(next);
                }
            }
            (Node::Encryption(e, _, _), NodeState::Encryption(s)) => {
                let mut next_engine = s.engine.clone();
                let effects = e.step(&mut next_engine.state, &mut next_engine.backend, &env);
                let finished = effects.send.iter().any(
                    |out| matches!(&out.message, Message::ReplyEncrypt(r) if r.result.is_ok()),
                );
                let across = finished
                    && continuation_epoch(&env)
                        .is_some_and(|epoch| epoch != s.engine.state.cookies.current().epoch);
                let sent = !effects.send.is_empty();
                send_effects(effects, o, &mut next_engine.rejected);
                let next = EncryptionSlot {
                    engine: next_engine,
                    rotations_left: s.rotations_left,
                    finished_across_epochs: s.finished_across_epochs || across,
                };
                if sent || next != *s {
                    *state.to_mut() = NodeState::Encryption(next);
                }
            }
            (Node::Router(instances), NodeState::Router(queue, next_key)) => {
                let mut queue = queue.clone();
                queue.insert(*next_key, env);
                let choices = instances
                    .iter()
                    .map(|i| ModelChoice::Route(*next_key, *i))
                    .collect();
                o.choose_random(format!("route-{next_key}"), choices);
                *state.to_mut() = NodeState::Router(queue, next_key + 1);
            }
            (Node::ReadsFor(e, _, fault), NodeState::ReadsFor(s, fired)) => {
                let first_query =
                    !fired && matches!(env.message, Message::RequestQueryReadsForEvidence(_));
                match (fault, first_query) {
                    (ReadsForFault::FailFirstQuery, true) => {
                        if let Message::RequestQueryReadsForEvidence(q) = &env.message {
                            let reply = ReplyQueryReadsForEvidence {
                                external_identity: q.external_identity,
                                continuation: q.continuation.clone(),
                                result: Err(ReadsForError::Unavailable),
                            };
                            let reply = env.reply(reply);
                            if let Some(to) = index_of(&reply.target) {
                                o.send(Id::from(to), ModelMsg::Spec(reply));
                            }
                        }
                        *state.to_mut() = NodeState::ReadsFor(s.clone(), true);
                    }
                    (ReadsForFault::LoseFirstReply, true) => {
                        // The engine answers, but the answer never arrives.
                        let mut next = s.clone();
                        let _lost = e.step(&mut next.state, &mut next.backend, &env);
                        *state.to_mut() = NodeState::ReadsFor(next, true);
                    }
                    _ => {
                        if let Some(next) = run_engine(e, s, &env, o) {
                            *state.to_mut() = NodeState::ReadsFor(next, *fired);
                        }
                    }
                }
            }
            (Node::Decryption(e, _), NodeState::Decryption(s)) => {
                if let Some(next) = run_engine(e, s, &env, o) {
                    *state.to_mut() = NodeState::Decryption(next);
                }
            }
            (Node::IdentityManagement(e, _), NodeState::IdentityManagement(s)) => {
                if let Some(next) = run_engine(e, s, &env, o) {
                    *state.to_mut() = NodeState::IdentityManagement(next);
                }
            }
            (Node::Negative(n), _) => n.on_spec(id, state, env, o),
            _ => {}
        }
    }

    fn handle_timeout(&self, id: Id, state: &mut Cow<NodeState>, timer: &ModelTimer, o: &mut O) {
        match (&self.node, &**state, timer) {
            (Node::Client(c), NodeState::Client(s), ModelTimer::Retry(correlation)) => {
                if s.replies.contains_key(correlation) {
                    return;
                }
                let mut next = s.clone();
                let Some((pick, tries)) = next.issued.get_mut(correlation) else {
                    return;
                };
                if *tries < c.retries {
                    *tries += 1;
                    let pick = *pick;
                    c.send(id, pick, *correlation, o);
                    o.set_timer(ModelTimer::Retry(*correlation), model_timeout());
                } else {
                    next.gave_up.insert(*correlation);
                }
                *state.to_mut() = NodeState::Client(next);
            }
            (Node::Encryption(..), NodeState::Encryption(s), ModelTimer::RotateCookie) => {
                let mut next = s.clone();
                next.engine.state.cookies.rotate();
                next.rotations_left = next.rotations_left.saturating_sub(1);
                if next.rotations_left > 0 {
                    o.set_timer(ModelTimer::RotateCookie, model_timeout());
                }
                *state.to_mut() = NodeState::Encryption(next);
            }
            _ => {}
        }
    }

    fn handle_random(&self, id: Id, state: &mut Cow<NodeState>, random: &ModelChoice, o: &mut O) {
        match (&self.node, &**state, random) {
            (Node::Client(c), NodeState::Client(s), ModelChoice::Pick(pick)) => {
                let mut next = s.clone();
                c.issue(id, &mut next, *pick, o);
                *state.to_mut() = NodeState::Client(next);
            }
            (Node::Router(_), NodeState::Router(queue, next_key), ModelChoice::Route(key, to)) => {
                let mut queue = queue.clone();
                if let Some(env) = queue.remove(key) {
                    o.send(Id::from(*to), ModelMsg::Spec(env));
                    *state.to_mut() = NodeState::Router(queue, *next_key);
                }
            }
            _ => {}
        }
    }
}
