//! The actors: clients, the four engines (running their own code), a pool router, and the
//! negative designs.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use engines::conformance::Case;
use engines::decryption::{Decryption, DecryptionState};
use engines::encryption::{Encryption, EncryptionState};
use engines::identity_management::{IdentityManagement, IdentityManagementState};
use engines::naming::{Naming, NamingState};
use engines::reads_for::{ReadsFor, ReadsForState};
use engines::relation::{RelationEngine, RelationRows, RelationState};
use engines::signs_for::{SignsFor, SignsForState};
use engines::verification::{Verification, VerificationState};
use engines::{Engine, HostEvent};
use serde::Serialize;
use spec::effects::{Effects, Rejection};
use spec::message::RelationRequest;
use spec::{CorrelationId, Envelope, Message, RelationError, codec};
use stateright::actor::{Actor, Command, Id, Out, model_timeout};

use crate::arrow::Party;
use crate::crypto::{Crypto, ModelBackend};
use crate::negative::{NegativeNode, NegativeState, Sends};
use crate::recorder::Recorder;
use crate::vocab::{Directory, Intent, ModelChoice, ModelMsg, ModelTimer, address, index_of};

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

/// A fault the model injects into a relation engine's answers (ReadsFor or SignsFor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelationFault {
    /// None.
    None,
    /// The first evidence query is answered with `Unavailable`, as an overloaded engine would.
    FailFirstQuery,
    /// The reply to the first evidence query is lost.
    LoseFirstReply,
    /// The first evidence submission is answered with `Unavailable` and not stored.
    FailFirstSubmit,
}

impl RelationFault {
    /// Whether this fault fires on `message` to relation `R`'s engine (before it has fired once).
    fn applies_to<R: RelationRows>(self, message: &Message) -> bool {
        match (self, R::request(message)) {
            (RelationFault::None, _) | (_, None) => false,
            (RelationFault::FailFirstQuery | RelationFault::LoseFirstReply, Some(r)) => {
                matches!(r, RelationRequest::Collect { .. })
            }
            (RelationFault::FailFirstSubmit, Some(r)) => matches!(r, RelationRequest::Submit(_)),
        }
    }
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
    ReadsFor(ReadsFor, Box<ReadsForState>, RelationFault),
    /// A Decryption engine (vault) with its initial contents.
    Decryption(Decryption, Box<DecryptionState>),
    /// The SignsFor engine, its initial evidence, and an injected fault.
    SignsFor(SignsFor, Box<SignsForState>, RelationFault),
    /// A Verification instance, and the index of its pool router if it is in a pool.
    Verification(Verification, Option<usize>),
    /// The Identity Management engine with its initial records.
    IdentityManagement(IdentityManagement, Box<IdentityManagementState>),
    /// The Naming engine with its initial names.
    Naming(Naming, Box<NamingState>),
    /// A design the seeds or the Anoma specification warn against.
    Negative(NegativeNode),
}

/// An actor of the model: a node, and what it knows of the system around it.
#[derive(Clone, Debug)]
pub struct ModelActor {
    /// What this actor is.
    pub node: Node,
    /// For each actor index, the index whose address it speaks for (a pool
    /// instance speaks for its router; everyone else for itself).
    pub speaks_for: Arc<Vec<usize>>,
    /// Where each part of the system is.
    pub directory: Arc<Directory>,
    /// Every message this actor sends is delivered twice (the duplicating network).
    pub duplicate: bool,
    /// The crypto its engine runs with.
    pub crypto: Crypto,
    /// Where its engine's transitions go, when the run makes conformance cases.
    pub recorder: Option<Recorder>,
}

/// An engine's state, its backend, and what it rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EngineSlot<S> {
    /// The engine state.
    pub state: S,
    /// The backend (its counter is the engine's randomness).
    pub backend: ModelBackend,
    /// Messages the engine dropped, with why, and how often.
    pub rejected: BTreeMap<Rejection, u8>,
    /// It sent a message that carries one of the secrets it holds.
    pub leaked: bool,
    /// A step of it reported a guard row that is not in its engine's guard table.
    pub off_table: bool,
    /// The guard rows its steps took on the way to this state (not part of its identity).
    pub rows: RowsTaken,
}

/// Guard rows taken, for coverage. Two states that differ only in how they were reached are
/// the same state, so this is left out of equality and hashing: the rows a state shows are
/// those of the first path that reached it.
#[derive(Clone, Debug, Default)]
pub struct RowsTaken(pub BTreeSet<&'static str>);

impl PartialEq for RowsTaken {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for RowsTaken {}
impl std::hash::Hash for RowsTaken {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl NodeState {
    /// The engine behind this actor and the guard rows its steps took; `None` for non-engines.
    pub fn rows(&self) -> Option<(Party, &BTreeSet<&'static str>)> {
        match self {
            NodeState::Encryption(e) => Some((Party::Encryption, &e.engine.rows.0)),
            NodeState::ReadsFor(slot, _) => Some((Party::ReadsFor, &slot.rows.0)),
            NodeState::Decryption(slot) => Some((Party::Decryption, &slot.rows.0)),
            NodeState::IdentityManagement(slot) => Some((Party::IdentityManagement, &slot.rows.0)),
            NodeState::SignsFor(slot, _) => Some((Party::SignsFor, &slot.rows.0)),
            NodeState::Verification(slot) => Some((Party::Verification, &slot.rows.0)),
            NodeState::Naming(slot) => Some((Party::Naming, &slot.rows.0)),
            _ => None,
        }
    }

    /// The engine slot's "a step reported a guard row outside its table", for engine actors.
    pub fn off_table(&self) -> bool {
        match self {
            NodeState::Encryption(e) => e.engine.off_table,
            NodeState::ReadsFor(slot, _) => slot.off_table,
            NodeState::Decryption(slot) => slot.off_table,
            NodeState::IdentityManagement(slot) => slot.off_table,
            NodeState::SignsFor(slot, _) => slot.off_table,
            NodeState::Verification(slot) => slot.off_table,
            NodeState::Naming(slot) => slot.off_table,
            _ => false,
        }
    }
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
    /// The SignsFor engine; the flag says whether the fault has fired.
    SignsFor(EngineSlot<SignsForState>, bool),
    /// A Verification instance.
    Verification(EngineSlot<VerificationState>),
    /// The Naming engine.
    Naming(EngineSlot<NamingState>),
    /// A negative design.
    Negative(NegativeState),
}

type O = Out<ModelActor>;

fn slot<S>(state: S, id: Id, crypto: Crypto) -> EngineSlot<S> {
    EngineSlot {
        state,
        backend: ModelBackend::of(crypto, usize::from(id) as u64),
        rejected: BTreeMap::new(),
        leaked: false,
        off_table: false,
        rows: RowsTaken::default(),
    }
}

/// The secrets an engine state holds, so that what it sends can be searched for them.
pub trait Holds {
    /// Every secret key byte string held.
    fn secrets(&self) -> Vec<[u8; 32]> {
        Vec::new()
    }
}

impl Holds for DecryptionState {
    fn secrets(&self) -> Vec<[u8; 32]> {
        let held = self.identities.values().flat_map(|v| {
            [
                *v.secrets.signing_seed.expose(),
                *v.secrets.encryption_secret.expose(),
            ]
        });
        let keys = self.keys.values().map(|k| *k.secret.expose());
        held.chain(keys).collect()
    }
}

impl Holds for EncryptionState {
    fn secrets(&self) -> Vec<[u8; 32]> {
        self.cookies.keys().map(|k| *k.key.expose()).collect()
    }
}

// The Naming engine holds public statements only.
impl Holds for NamingState {}

impl Holds for VerificationState {
    fn secrets(&self) -> Vec<[u8; 32]> {
        self.cookies.keys().map(|k| *k.key.expose()).collect()
    }
}

impl<R: RelationRows> Holds for RelationState<R> {}
impl Holds for IdentityManagementState {}

/// Whether `env`'s encoding contains any of `secrets` (a 32-byte window).
pub fn carries_secret(env: &Envelope, secrets: &[[u8; 32]]) -> bool {
    !secrets.is_empty()
        && codec::encode(env)
            .windows(32)
            .any(|w| secrets.iter().any(|s| s.as_slice() == w))
}

/// Sends an engine's envelopes, judging them for secrets, and counts its rejections.
fn send_effects<S: Holds>(
    effects: Effects,
    guards: &[&str],
    o: &mut O,
    next: &mut EngineSlot<S>,
    held: &[[u8; 32]],
) {
    next.off_table |= !guards.contains(&effects.guard);
    next.rows.0.insert(effects.guard);
    for env in effects.send {
        next.leaked |= carries_secret(&env, held);
        if let Some(to) = index_of(&env.target) {
            o.send(Id::from(to), ModelMsg::Spec(env, effects.guard));
        }
    }
    for r in effects.rejected {
        let n = next.rejected.entry(r).or_insert(0);
        *n = n.saturating_add(1);
    }
}

/// Steps `engine` on the slot, handing the transition to `recorder` when there is one.
fn step_slot<E>(
    engine: &E,
    slot: &mut EngineSlot<E::State>,
    env: &Envelope,
    recorder: Option<&Recorder>,
) -> Effects
where
    E: Engine + Serialize,
    E::State: Serialize + Clone,
{
    let Some(recorder) = recorder else {
        return engine.step(&mut slot.state, &mut slot.backend, env);
    };
    let pre = slot.state.clone();
    let from = slot.backend.position();
    let effects = engine.step(&mut slot.state, &mut slot.backend, env);
    let random = slot.backend.drawn(from, slot.backend.position());
    recorder.record(Case::recorded(
        engine,
        &pre,
        env,
        random,
        &effects,
        &slot.state,
    ));
    effects
}

/// Hands `engine` a host event, and the transition to `recorder` when there is one.
fn event_slot<E>(
    engine: &E,
    slot: &mut EngineSlot<E::State>,
    event: HostEvent,
    recorder: Option<&Recorder>,
) where
    E: Engine + Serialize,
    E::State: Serialize + Clone,
{
    let pre = recorder.map(|_| slot.state.clone());
    engine.on_event(&mut slot.state, event);
    if let (Some(recorder), Some(pre)) = (recorder, pre) {
        recorder.record(Case::event(engine, &pre, event, &slot.state));
    }
}

/// Runs one engine step on a copy of the slot; returns the new slot if anything happened.
fn run_engine<S, E>(
    engine: &E,
    slot: &EngineSlot<S>,
    env: &Envelope,
    o: &mut O,
    recorder: Option<&Recorder>,
) -> Option<EngineSlot<S>>
where
    S: Clone + PartialEq + Holds + Serialize,
    E: Engine<State = S> + Serialize,
{
    let mut next = slot.clone();
    let effects = step_slot(engine, &mut next, env, recorder);
    let sent = !effects.send.is_empty();
    // Secrets held before or after the step: a key deleted in this step must not leave either.
    let mut held = slot.state.secrets();
    held.extend(next.state.secrets());
    send_effects(effects, E::GUARDS, o, &mut next, &held);
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
    fn send(&self, me: Id, dir: &Directory, pick: usize, correlation: CorrelationId, o: &mut O) {
        let Some(intent) = self.menu.get(pick) else {
            return;
        };
        let Some(to) = dir.resolve(intent.to) else {
            return;
        };
        let env = Envelope {
            sender: address(usize::from(me)),
            target: address(to),
            correlation,
            message: intent.message.clone(),
        };
        o.send(Id::from(to), ModelMsg::Spec(env, ""));
    }

    fn issue(&self, me: Id, dir: &Directory, state: &mut ClientState, pick: usize, o: &mut O) {
        let correlation = CorrelationId(state.issued.len() as u64 + 1);
        state.issued.insert(correlation, (pick, 0));
        let expects_reply = self.menu.get(pick).is_some_and(|i| i.message.is_request());
        if expects_reply {
            state.awaiting.insert(correlation);
        }
        self.send(me, dir, pick, correlation, o);
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

    fn receive(&self, s: &ClientState, env: &Envelope, o: &mut O) -> ClientState {
        let mut next = s.clone();
        let entry = next
            .replies
            .entry(env.correlation)
            .or_insert((env.message.clone(), 0));
        // Counted, not capped: a delivery that changed nothing would be no
        // transition, and the message would stay in flight forever.
        entry.1 = entry.1.saturating_add(1);
        if self.retries > 0 {
            o.cancel_timer(ModelTimer::Retry(env.correlation));
        }
        next
    }

    fn timeout(
        &self,
        me: Id,
        dir: &Directory,
        s: &ClientState,
        c: CorrelationId,
        o: &mut O,
    ) -> Option<ClientState> {
        if s.replies.contains_key(&c) {
            return None;
        }
        let mut next = s.clone();
        let (pick, tries) = next.issued.get_mut(&c)?;
        if *tries < self.retries {
            *tries += 1;
            let pick = *pick;
            self.send(me, dir, pick, c, o);
            o.set_timer(ModelTimer::Retry(c), model_timeout());
        } else {
            next.gave_up.insert(c);
        }
        Some(next)
    }
}

fn put(o: &mut O, sends: Sends) {
    for (to, msg) in sends {
        o.send(Id::from(to), msg);
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
                let state = Encryption::initial_state(&mut ModelBackend::of(self.crypto, u64::MAX));
                if *rotations > 0 {
                    o.set_timer(ModelTimer::RotateCookie, model_timeout());
                }
                NodeState::Encryption(EncryptionSlot {
                    engine: slot(state, id, self.crypto),
                    rotations_left: *rotations,
                    finished_across_epochs: false,
                })
            }
            Node::Router(_) => NodeState::Router(BTreeMap::new(), 0),
            Node::ReadsFor(_, initial, _) => {
                NodeState::ReadsFor(slot((**initial).clone(), id, self.crypto), false)
            }
            Node::Decryption(_, initial) => {
                NodeState::Decryption(slot((**initial).clone(), id, self.crypto))
            }
            Node::SignsFor(_, initial, _) => {
                NodeState::SignsFor(slot((**initial).clone(), id, self.crypto), false)
            }
            Node::Verification(..) => {
                // Every instance of a pool starts from the same cookie key (its own stream).
                let backend = &mut ModelBackend::of(self.crypto, u64::MAX - 1);
                NodeState::Verification(slot(Verification::initial_state(backend), id, self.crypto))
            }
            Node::IdentityManagement(_, initial) => {
                NodeState::IdentityManagement(slot((**initial).clone(), id, self.crypto))
            }
            Node::Naming(_, initial) => {
                NodeState::Naming(slot((**initial).clone(), id, self.crypto))
            }
            Node::Negative(n) => {
                let (state, sends) = n.start(usize::from(id));
                put(o, sends);
                NodeState::Negative(state)
            }
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

    /// The network authenticates senders: an engine sees the actor that really sent a
    /// message, whatever the envelope claims. A pool router forwards on behalf of the
    /// original sender.
    fn authenticate(&self, src: usize, env: &mut Envelope) {
        let via_router = matches!(&self.node,
            Node::Encryption(_, Some(router), _) | Node::Verification(_, Some(router)) if *router == src);
        if !via_router {
            env.sender = address(self.speaks_for.get(src).copied().unwrap_or(src));
        }
    }

    fn handle_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: ModelMsg, o: &mut O) {
        if let (Node::Negative(n), NodeState::Negative(s)) = (&self.node, &**state) {
            let mut msg = msg;
            if let ModelMsg::Spec(env, _) = &mut msg {
                self.authenticate(usize::from(src), env);
            }
            let (next, sends) = n.step(s, usize::from(src), msg);
            put(o, sends);
            if let Some(next) = next {
                *state.to_mut() = NodeState::Negative(next);
            }
            return;
        }
        let ModelMsg::Spec(mut env, _) = msg else {
            return;
        };
        self.authenticate(usize::from(src), &mut env);
        if let Some(next) = self.engine_step(state, env, o) {
            *state.to_mut() = next;
        }
    }

    /// One delivery to a client, an engine or the router: the next state, if anything changed.
    fn engine_step(&self, state: &NodeState, env: Envelope, o: &mut O) -> Option<NodeState> {
        let recorder = self.recorder.as_ref();
        match (&self.node, state) {
            (Node::Client(c), NodeState::Client(s)) => {
                let next = c.receive(s, &env, o);
                (next != *s).then_some(NodeState::Client(next))
            }
            (Node::Encryption(e, _, _), NodeState::Encryption(s)) => {
                encryption_step(e, s, &env, o, recorder)
            }
            (Node::Router(instances), NodeState::Router(queue, next_key)) => {
                let mut queue = queue.clone();
                queue.insert(*next_key, env);
                let choices = instances
                    .iter()
                    .map(|i| ModelChoice::Route(*next_key, *i))
                    .collect();
                o.choose_random(format!("route-{next_key}"), choices);
                Some(NodeState::Router(queue, next_key + 1))
            }
            (Node::ReadsFor(e, _, fault), NodeState::ReadsFor(s, fired)) => {
                let at = (*fault, *fired);
                relation_step(e, at, s, &env, o, recorder).map(|(s, f)| NodeState::ReadsFor(s, f))
            }
            (Node::SignsFor(e, _, fault), NodeState::SignsFor(s, fired)) => {
                let at = (*fault, *fired);
                relation_step(e, at, s, &env, o, recorder).map(|(s, f)| NodeState::SignsFor(s, f))
            }
            (Node::Verification(e, _), NodeState::Verification(s)) => {
                run_engine(e, s, &env, o, recorder).map(NodeState::Verification)
            }
            (Node::Decryption(e, _), NodeState::Decryption(s)) => {
                run_engine(e, s, &env, o, recorder).map(NodeState::Decryption)
            }
            (Node::IdentityManagement(e, _), NodeState::IdentityManagement(s)) => {
                run_engine(e, s, &env, o, recorder).map(NodeState::IdentityManagement)
            }
            (Node::Naming(e, _), NodeState::Naming(s)) => {
                run_engine(e, s, &env, o, recorder).map(NodeState::Naming)
            }
            _ => None,
        }
    }

    fn handle_timeout(&self, id: Id, state: &mut Cow<NodeState>, timer: &ModelTimer, o: &mut O) {
        let next = match (&self.node, &**state, timer) {
            (Node::Client(c), NodeState::Client(s), ModelTimer::Retry(correlation)) => c
                .timeout(id, &self.directory, s, *correlation, o)
                .map(NodeState::Client),
            (Node::Encryption(e, ..), NodeState::Encryption(s), ModelTimer::RotateCookie) => {
                let mut next = s.clone();
                let recorder = self.recorder.as_ref();
                event_slot(e, &mut next.engine, HostEvent::RotateCookieKey, recorder);
                next.rotations_left = next.rotations_left.saturating_sub(1);
                if next.rotations_left > 0 {
                    o.set_timer(ModelTimer::RotateCookie, model_timeout());
                }
                Some(NodeState::Encryption(next))
            }
            _ => None,
        };
        if let Some(next) = next {
            *state.to_mut() = next;
        }
    }

    fn handle_random(&self, id: Id, state: &mut Cow<NodeState>, random: &ModelChoice, o: &mut O) {
        match (&self.node, &**state, random) {
            (Node::Client(c), NodeState::Client(s), ModelChoice::Pick(pick)) => {
                let mut next = s.clone();
                c.issue(id, &self.directory, &mut next, *pick, o);
                *state.to_mut() = NodeState::Client(next);
            }
            (Node::Router(_), NodeState::Router(queue, next_key), ModelChoice::Route(key, to)) => {
                let mut queue = queue.clone();
                if let Some(env) = queue.remove(key) {
                    o.send(Id::from(*to), ModelMsg::Spec(env, ""));
                    *state.to_mut() = NodeState::Router(queue, *next_key);
                }
            }
            _ => {}
        }
    }
}

/// One Encryption step, noting whether it finished a request sealed at another epoch.
fn encryption_step(
    e: &Encryption,
    s: &EncryptionSlot,
    env: &Envelope,
    o: &mut O,
    recorder: Option<&Recorder>,
) -> Option<NodeState> {
    let mut engine = s.engine.clone();
    let effects = step_slot(e, &mut engine, env, recorder);
    let finished = effects
        .send
        .iter()
        .any(|out| matches!(&out.message, Message::ReplyEncrypt(r) if r.result.is_ok()));
    let across = finished
        && continuation_epoch(env)
            .is_some_and(|epoch| epoch != s.engine.state.cookies.current().epoch);
    let sent = !effects.send.is_empty();
    let mut held = s.engine.state.secrets();
    held.extend(engine.state.secrets());
    send_effects(effects, Encryption::GUARDS, o, &mut engine, &held);
    let next = EncryptionSlot {
        engine,
        rotations_left: s.rotations_left,
        finished_across_epochs: s.finished_across_epochs || across,
    };
    (sent || next != *s).then_some(NodeState::Encryption(next))
}

/// One relation engine step, with the scenario's injected fault (and whether it has fired)
/// on the first message it applies to; the next slot and flag, if anything happened.
fn relation_step<R: RelationRows>(
    e: &RelationEngine<R>,
    (fault, fired): (RelationFault, bool),
    s: &EngineSlot<RelationState<R>>,
    env: &Envelope,
    o: &mut O,
    recorder: Option<&Recorder>,
) -> Option<(EngineSlot<RelationState<R>>, bool)> {
    let first = !fired && fault.applies_to::<R>(&env.message);
    let unavailable = Err(RelationError::Unavailable);
    let refusal = match (fault, first, R::request(&env.message)) {
        (
            RelationFault::FailFirstQuery,
            true,
            Some(RelationRequest::Collect {
                subject,
                continuation,
            }),
        ) => Some(R::answered(subject, continuation.cloned(), unavailable)),
        (RelationFault::FailFirstSubmit, true, _) => Some(R::submitted(unavailable.map(|_| ()))),
        _ => None,
    };
    if let Some(reply) = refusal {
        // As an overloaded engine would: refused without looking, nothing stored.
        let reply = env.reply(reply);
        if let Some(to) = index_of(&reply.target) {
            o.send(Id::from(to), ModelMsg::Spec(reply, ""));
        }
        return Some((s.clone(), true));
    }
    match (fault, first) {
        (RelationFault::LoseFirstReply, true) => {
            // The engine answers, but the answer never arrives.
            let mut next = s.clone();
            let _lost = step_slot(e, &mut next, env, recorder);
            Some((next, true))
        }
        _ => run_engine(e, s, env, o, recorder).map(|next| (next, fired)),
    }
}
