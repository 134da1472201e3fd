//! The reference runtime: engines on threads, exchanging envelopes through bounded mailboxes.
//!
//! * Every engine runs on its own thread; the stateless Encryption engine runs as a
//!   **pool of instances behind one address** that share one mailbox, so any instance takes
//!   any message — including a ReadsFor reply to a query another instance sent.
//! * **Backpressure without deadlock**: a client's request first takes an admission permit
//!   (at most `queue_capacity` requests in flight; a full node makes the caller wait).
//!   Internal mailboxes hold `INTERNAL_FANOUT` times that, more than the in-flight requests
//!   can ever put there, so engines never block on each other. Nothing is dropped.
//! * **Panics are isolated**: a step runs on a copy of the engine's state under
//!   `catch_unwind`; a panic keeps the old state, is counted and reported, and the request
//!   gets its reply with an `EngineFailed` error.
//! * **Engines are supervised**: an engine thread that dies (a crash, or [`Node::kill`]
//!   injecting one) is replaced by a fresh thread on the same mailbox, with the state its
//!   last completed step left — the runtime keeps engine state beside the mailbox, as a
//!   node with durable storage would. The message the dead thread held is answered, so no
//!   request is lost (see *Exactly one reply*).
//! * **Exactly one reply**: every message carries the client request it was sent for (its
//!   origin). A message lost to a panic or a crash is answered where the protocol can — a
//!   request gets its `EngineFailed` reply from the engine it was sent to, which the flow
//!   then carries back — and otherwise the runtime answers the origin directly. A client's
//!   waiting slot is removed by the first reply, so a second can never reach it.
//! * **Graceful shutdown** stops admitting requests, waits for those in flight (bounded),
//!   then closes the mailboxes; a request still waiting fails with [`RuntimeError::ShutDown`].
//!
//! Inside the process envelopes move as values; [`tcp`] carries the same envelopes as
//! length-prefixed CBOR frames between processes.

mod inline;
pub mod keys;
pub mod links;
pub mod load;
pub mod outbound;
pub mod placement;
pub mod store;
pub mod tcp;
pub mod trace;

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use spec::message::Refusal;
use spec::{Address, CorrelationId, Envelope, ExternalIdentity, Message};

use crate::Engine;
use crate::backend::hpke::{HpkeBackend, SystemRng};
use crate::backend::seeded::RecordingRng;
use crate::decryption::{Decryption, DecryptionState};
use crate::encryption::{Encryption, EncryptionState};
use crate::identity_management::{IdentityManagement, IdentityManagementState};
use crate::reads_for::{ReadsFor, ReadsForState};
use hpke::rand_core::UnwrapErr;
use keys::KeyService;
use placement::{Part, Placement};
use serde::Serialize;
use trace::Trace;

/// The Encryption pool's address.
pub const ENCRYPTION: &str = "node/encryption";
/// The ReadsFor engine's address.
pub const READS_FOR: &str = "node/reads-for";
/// The vault's address.
pub const VAULT: &str = "node/vault";
/// Identity Management's address.
pub const IDENTITY: &str = "node/identity";

/// Internal mailboxes hold this many messages per admitted request.
pub const INTERNAL_FANOUT: usize = 4;

/// How a node is set up.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The node's name: its engines' addresses are `NAME/encryption`, `NAME/vault`, ….
    pub name: String,
    /// Encryption instances in the pool (at least 1).
    pub encryption_instances: usize,
    /// Requests admitted at once; further requests wait.
    pub queue_capacity: usize,
    /// The ReadsFor engine's initial evidence.
    pub reads_for: ReadsForState,
    /// The vault's initial contents.
    pub vault: DecryptionState,
    /// Requesters the vault serves for every identity.
    pub vault_authorised: BTreeSet<Address>,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Record every engine step here ([`trace`]); the caller finishes it after shutdown.
    pub trace: Option<Trace>,
    /// Which engines run here, and where the others are.
    pub placement: Placement,
    /// Where engine state is kept across restarts (none: in memory only).
    pub durable: Option<Durable>,
}

/// A node's durable state: the store, and the key the vault's record is sealed with.
#[derive(Debug, Clone)]
pub struct Durable {
    /// The store.
    pub store: Arc<store::Store>,
    /// The passphrase-derived key of the vault's record.
    pub vault_key: Arc<crate::vault_file::SealingKey>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            name: "node".into(),
            encryption_instances: 1,
            queue_capacity: 256,
            reads_for: ReadsForState::default(),
            vault: DecryptionState::default(),
            vault_authorised: BTreeSet::new(),
            drain_timeout: Duration::from_secs(5),
            trace: None,
            placement: Placement::default(),
            durable: None,
        }
    }
}

/// Why the runtime could not carry a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// The node is shutting down and admits nothing.
    #[error("the node is shutting down")]
    ShutDown,
    /// No reply arrived in time.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// No engine or client has this address.
    #[error("no engine at {0}")]
    UnknownTarget(String),
    /// A client with this name exists already, or the name is not a valid address.
    #[error("invalid or duplicate client name `{0}`")]
    BadClient(String),
    /// No request with this correlation id is waiting for its reply here.
    #[error("no request with correlation id {0} is outstanding")]
    UnknownCorrelation(u64),
    /// A thread could not be started.
    #[error("cannot start an engine thread: {0}")]
    Spawn(String),
    /// The durable store could not be read.
    #[error("{0}")]
    Store(String),
}

/// What shutdown found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Requests admitted over the node's life.
    pub admitted: u64,
    /// Replies delivered to clients.
    pub replied: u64,
    /// Requests still in flight when the drain timed out (their callers got `ShutDown`).
    pub abandoned: u64,
    /// Engine steps that panicked (each answered with `EngineFailed`).
    pub panics: u64,
    /// Messages engines rejected (replies nobody expected, misaddressed envelopes).
    pub rejections: u64,
    /// Engine threads that died (crashed or were killed) and were replaced.
    pub restarts: u64,
    /// Requests lost to a panic or a crash, answered with their `EngineFailed` refusal.
    pub lost_requests: u64,
    /// Replies lost to a panic or a crash (an engine was waiting for them), answered by
    /// failing the client request they belonged to.
    pub lost_replies: u64,
}

/// The client request a message was sent for: the client's address and correlation id.
type Origin = (Address, CorrelationId);

/// A client waiting for the reply to one request.
struct Waiter {
    reply: Sender<Envelope>,
    /// The reply to give if the request's flow is lost (`None` when it has none).
    failure: Option<Envelope>,
}

type Waiters = Mutex<HashMap<Origin, Waiter>>;

/// An envelope in a mailbox, with the client request it belongs to.
struct Mail {
    origin: Option<Origin>,
    env: Envelope,
}

/// What a mailbox carries.
// Mail is nearly every slot: boxing it to shrink the rare ones would allocate per message.
#[allow(clippy::large_enum_variant)]
enum Slot {
    /// An envelope for the engine.
    Mail(Mail),
    /// A key operation for the vault, from this node's transport ([`keys`]).
    Key(keys::KeyCall),
    /// Tells one of the mailbox's engine threads to stop.
    Stop,
}

/// Panic payload of an injected kill (raised with `resume_unwind`, so no panic hook runs).
struct Killed;

/// Shared routing: mailboxes by address (with how many threads read each), and clients
/// waiting for replies.
struct Router {
    mailboxes: HashMap<Address, (Sender<Slot>, usize)>,
    /// Kills requested per engine address and not yet carried out.
    kills: HashMap<Address, AtomicU64>,
    waiting: Waiters,
    admission: (Sender<()>, Receiver<()>),
    closing: AtomicBool,
    admitted: AtomicU64,
    replied: AtomicU64,
    panics: AtomicU64,
    rejections: AtomicU64,
    restarts: AtomicU64,
    lost_requests: AtomicU64,
    lost_replies: AtomicU64,
    /// Steps whose change could not be committed (answered as lost).
    store_failures: AtomicU64,
    /// Where envelopes for unknown addresses go (a transport to other nodes), if anywhere.
    remote: Mutex<Option<Sender<Envelope>>>,
    /// Addresses of the clients attached now (a client's drop releases its address).
    clients: Mutex<BTreeSet<Address>>,
    /// The Encryption engine callers run on their own thread ([`inline`]), if any.
    inline: std::sync::OnceLock<inline::Inline>,
    /// The ReadsFor engine's committed state, for inline callers' queries.
    reads_view: std::sync::OnceLock<inline::ReadsView>,
    /// Replies an inline caller waits for, by their target and correlation.
    parked: Mutex<HashMap<(Address, CorrelationId), Sender<Envelope>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking engine never holds these locks; recover the data if one ever did.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Router {
    fn new(mailboxes: HashMap<Address, (Sender<Slot>, usize)>, capacity: usize) -> Router {
        let kills = mailboxes
            .keys()
            .map(|a| (a.clone(), AtomicU64::new(0)))
            .collect();
        Router {
            mailboxes,
            kills,
            waiting: Mutex::new(HashMap::new()),
            admission: bounded(capacity),
            closing: AtomicBool::new(false),
            admitted: AtomicU64::new(0),
            replied: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            lost_requests: AtomicU64::new(0),
            lost_replies: AtomicU64::new(0),
            store_failures: AtomicU64::new(0),
            remote: Mutex::new(None),
            clients: Mutex::new(BTreeSet::new()),
            inline: std::sync::OnceLock::new(),
            reads_view: std::sync::OnceLock::new(),
            parked: Mutex::new(HashMap::new()),
        }
    }

    /// Routes one envelope an engine produced while handling mail for `origin`.
    fn route(&self, env: Envelope, origin: &Option<Origin>) {
        // A reply an inline caller waits for goes to that caller, not to the pool. Only
        // the pool's address has parked replies: nothing else pays for the lookup.
        if self.inline.get().is_some_and(|i| i.serves(&env.target)) {
            let parked = lock(&self.parked).remove(&(env.target.clone(), env.correlation));
            if let Some(caller) = parked {
                let _ = caller.send(env);
                return;
            }
        }
        if let Some((mailbox, _)) = self.mailboxes.get(&env.target) {
            // Internal mailboxes are sized so this never blocks for long (see the module docs).
            let _ = mailbox.send(Slot::Mail(Mail {
                origin: origin.clone(),
                env,
            }));
            return;
        }
        let waiter = lock(&self.waiting).remove(&(env.target.clone(), env.correlation));
        match waiter {
            Some(waiter) => self.deliver(waiter.reply, env),
            None => match &*lock(&self.remote) {
                Some(remote) => {
                    let _ = remote.send(env);
                }
                None => {
                    self.rejections.fetch_add(1, Ordering::Relaxed);
                }
            },
        }
    }

    /// Hands a reply to its waiting client and returns the client's admission permit.
    fn deliver(&self, to: Sender<Envelope>, env: Envelope) {
        self.replied.fetch_add(1, Ordering::Relaxed);
        let _ = to.send(env);
        let _ = self.admission.1.try_recv();
    }

    /// Answers a message that a panic or a crash kept from being handled.
    ///
    /// A request gets its `EngineFailed` reply from the engine it was addressed to, so the
    /// flow carries the failure back the way the protocol defines; anything else (a reply
    /// an engine was waiting for) fails the origin's request directly.
    fn answer_lost(&self, mail: &Mail) {
        if let Some(reply) = mail.env.message.refusal(Refusal::EngineFailed) {
            self.lost_requests.fetch_add(1, Ordering::Relaxed);
            self.route(mail.env.reply(reply), &mail.origin);
            return;
        }
        self.lost_replies.fetch_add(1, Ordering::Relaxed);
        let Some(origin) = &mail.origin else { return };
        let waiter = lock(&self.waiting).remove(origin);
        if let Some(waiter) = waiter {
            match waiter.failure {
                Some(failure) => self.deliver(waiter.reply, failure),
                // Nothing to answer with: dropping the sender tells the client.
                None => {
                    let _ = self.admission.1.try_recv();
                }
            }
        }
    }

    /// Kills requested for the engine at `target` and not yet carried out.
    fn kills_pending(&self, target: &Address) -> u64 {
        self.kills
            .get(target)
            .map_or(0, |k| k.load(Ordering::SeqCst))
    }

    /// Whether the engine at `target` is to die on the message it just took.
    fn take_kill(&self, target: &Address) -> bool {
        self.kills.get(target).is_some_and(|k| {
            k.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        })
    }
}

/// A running node.
pub struct Node {
    name: String,
    vault: Address,
    router: Arc<Router>,
    threads: Vec<JoinHandle<()>>,
    drain_timeout: Duration,
}

/// A requester attached to a node: sends requests and awaits their replies by correlation id.
pub struct Client {
    address: Address,
    router: Arc<Router>,
    next: AtomicU64,
    /// Replies not yet awaited, by correlation id.
    outstanding: Mutex<HashMap<CorrelationId, Receiver<Envelope>>>,
}

#[cfg(test)]
fn address(name: &str) -> Address {
    Address::new(name).unwrap_or_else(|_| unreachable!("built-in address {name} is valid"))
}

/// The runtime's backend: the operating system's randomness, kept per step when tracing.
type RuntimeBackend = HpkeBackend<RecordingRng<SystemRng>>;

/// Commits an engine's new state durably ([`store`]); an error means it was not committed.
pub type Persist<S> = Arc<dyn Fn(&S) -> Result<(), store::StoreError> + Send + Sync>;

/// Runs one engine step on a copy of its state, isolating a panic.
fn guarded_step<E: Engine>(
    engine: &E,
    state: &mut E::State,
    backend: &mut RuntimeBackend,
    mail: &Mail,
    router: &Router,
    trace: Option<(&Trace, &str)>,
    persist: Option<&Persist<E::State>>,
) where
    E::State: Clone + PartialEq,
{
    let mut next = state.clone();
    // What a step that panicked drew belongs to no recorded step.
    backend.rng_mut().take();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        engine.step(&mut next, backend, &mail.env)
    }));
    match outcome {
        Ok(effects) => {
            // A change is committed before any envelope of the step leaves: a reply never
            // acknowledges what a crash could still lose. If it cannot be committed, the
            // step did not happen, and its message is answered as a lost one.
            if let Some(save) = persist
                && next != *state
                && save(&next).is_err()
            {
                router.store_failures.fetch_add(1, Ordering::Relaxed);
                router.answer_lost(mail);
                return;
            }
            *state = next;
            if let Some((trace, instance)) = trace {
                trace.step(instance, &mail.env, backend.rng_mut().take(), &effects);
            }
            router
                .rejections
                .fetch_add(effects.rejected.len() as u64, Ordering::Relaxed);
            for out in effects.send {
                router.route(out, &mail.origin);
            }
        }
        Err(_) => {
            router.panics.fetch_add(1, Ordering::Relaxed);
            router.answer_lost(mail);
        }
    }
}

/// What one engine thread (an incarnation) needs; a supervisor starts a new one after a crash.
struct EngineSlot<E: Engine> {
    name: String,
    address: Address,
    engine: E,
    /// The state as the last completed step left it; it outlives any one thread.
    state: Arc<Mutex<E::State>>,
    inbox: Receiver<Slot>,
    router: Arc<Router>,
    trace: Option<Trace>,
    persist: Option<Persist<E::State>>,
}

impl<E> EngineSlot<E>
where
    E: Engine + Send + Sync + 'static,
    E::State: Clone + PartialEq + Send + KeyService + 'static,
{
    /// Runs until a stop signal; dies (unwinds) when killed.
    fn run(&self, in_flight: &Mutex<Option<Mail>>) {
        let rng = RecordingRng::new(UnwrapErr(getrandom::SysRng), self.trace.is_some());
        let mut backend = HpkeBackend::with_rng(rng);
        let trace = self.trace.as_ref().map(|t| (t, self.name.as_str()));
        // Both guards live as long as this thread: a dying thread leaves the last completed
        // state and the message it held for the supervisor (a poisoned lock is recovered).
        let mut state = lock(&self.state);
        let mut current = lock(in_flight);
        // Mail is taken in order, so the stop signal comes after everything sent before it.
        loop {
            let mail = match self.inbox.recv() {
                Ok(Slot::Mail(mail)) => mail,
                Ok(Slot::Key(call)) => {
                    call.answer(&*state);
                    continue;
                }
                Ok(Slot::Stop) | Err(_) => return,
            };
            let mail = current.insert(mail);
            if self.router.take_kill(&self.address) {
                std::panic::resume_unwind(Box::new(Killed));
            }
            guarded_step(
                &self.engine,
                &mut state,
                &mut backend,
                mail,
                &self.router,
                trace,
                self.persist.as_ref(),
            );
            *current = None;
        }
    }

    /// Starts the supervisor thread: it runs incarnations until one stops normally.
    fn supervise(self) -> Result<JoinHandle<()>, RuntimeError> {
        let slot = Arc::new(self);
        let first = slot.clone().incarnation(0)?;
        std::thread::Builder::new()
            .name(format!("{}-supervisor", slot.name))
            .spawn(move || {
                let mut running = Some(first);
                let mut generation = 0u64;
                while let Some((thread, in_flight)) = running.take() {
                    if thread.join().is_ok() {
                        return;
                    }
                    // The thread died: answer what it held, then replace it.
                    if let Some(mail) = lock(&in_flight).take() {
                        slot.router.answer_lost(&mail);
                    }
                    slot.router.restarts.fetch_add(1, Ordering::Relaxed);
                    generation += 1;
                    running = slot.restart(generation);
                }
            })
            .map_err(|e| RuntimeError::Spawn(e.to_string()))
    }

    /// Starts a replacement thread, retrying briefly if the system refuses one.
    fn restart(self: &Arc<Self>, generation: u64) -> Option<Incarnation> {
        for attempt in 0..50u32 {
            if let Ok(next) = self.clone().incarnation(generation) {
                return Some(next);
            }
            std::thread::sleep(Duration::from_millis(10 * u64::from(attempt.min(10))));
        }
        None
    }

    fn incarnation(self: Arc<Self>, generation: u64) -> Result<Incarnation, RuntimeError> {
        let in_flight = Arc::new(Mutex::new(None));
        let held = in_flight.clone();
        let thread = std::thread::Builder::new()
            .name(format!("{}#{generation}", self.name))
            .spawn(move || self.run(&held))
            .map_err(|e| RuntimeError::Spawn(e.to_string()))?;
        Ok((thread, in_flight))
    }
}

/// A running engine thread and the message it holds.
type Incarnation = (JoinHandle<()>, Arc<Mutex<Option<Mail>>>);

/// What every engine of a node is wired to.
struct Wiring<'a> {
    router: &'a Arc<Router>,
    trace: Option<&'a Trace>,
}

fn spawn_engine<E>(
    name: &str,
    engine: E,
    state: E::State,
    inbox: Receiver<Slot>,
    wiring: &Wiring<'_>,
    persist: Option<Persist<E::State>>,
) -> Result<JoinHandle<()>, RuntimeError>
where
    E: Engine + Addressed + Send + Sync + Serialize + 'static,
    E::State: Clone + PartialEq + Send + Serialize + KeyService + 'static,
{
    if let Some(trace) = wiring.trace {
        trace.start(name, E::NAME, &engine, &state);
    }
    EngineSlot {
        trace: wiring.trace.cloned(),
        name: name.to_string(),
        address: engine.address().clone(),
        engine,
        state: Arc::new(Mutex::new(state)),
        inbox,
        router: wiring.router.clone(),
        persist,
    }
    .supervise()
}

/// An engine state from the store (or `initial` if none is stored), and how to save it.
fn durable<S>(
    config: &NodeConfig,
    part: Part,
    initial: S,
) -> Result<(S, Option<Persist<S>>), RuntimeError>
where
    S: Serialize + serde::de::DeserializeOwned + 'static,
{
    let Some(durable) = &config.durable else {
        return Ok((initial, None));
    };
    let stored = durable
        .store
        .load(part.name())
        .map_err(|e| RuntimeError::Store(e.to_string()))?;
    let store = durable.store.clone();
    let persist: Persist<S> = Arc::new(move |state: &S| store.save(part.name(), state));
    Ok((stored.unwrap_or(initial), Some(persist)))
}

/// Saves (if the node is durable), then publishes ReadsFor's state for inline queries.
fn publish_reads(
    router: &Arc<Router>,
    engine: &ReadsFor,
    state: &ReadsForState,
    save: Option<Persist<ReadsForState>>,
) -> Persist<ReadsForState> {
    let _ = router
        .reads_view
        .set(inline::ReadsView::new(engine.clone(), state));
    let router = router.clone();
    Arc::new(move |next: &ReadsForState| {
        if let Some(save) = &save {
            save(next)?;
        }
        if let Some(view) = router.reads_view.get() {
            view.publish(next);
        }
        Ok(())
    })
}

/// How the vault's state is saved: sealed under the passphrase-derived key.
fn vault_persist(config: &NodeConfig) -> Option<Persist<DecryptionState>> {
    let durable = config.durable.as_ref()?;
    let (store, key) = (durable.store.clone(), durable.vault_key.clone());
    Some(Arc::new(move |state: &DecryptionState| {
        store.save_vault(state, &key)
    }))
}

/// An engine that knows its own address.
trait Addressed {
    fn address(&self) -> &Address;
}

impl Addressed for Encryption {
    fn address(&self) -> &Address {
        &self.address
    }
}

impl Addressed for ReadsFor {
    fn address(&self) -> &Address {
        &self.address
    }
}

impl Addressed for Decryption {
    fn address(&self) -> &Address {
        &self.address
    }
}

impl Addressed for IdentityManagement {
    fn address(&self) -> &Address {
        &self.address
    }
}

impl Node {
    /// Starts the engines of one node: those its placement runs here, each with the state
    /// the durable store holds for it, if the node has one, else the configured state.
    pub fn start(config: NodeConfig) -> Result<Node, RuntimeError> {
        let capacity = config.queue_capacity.max(1);
        let internal = capacity.saturating_mul(INTERNAL_FANOUT);
        let pool = config.encryption_instances.max(1);
        let at = |part| config.placement.address(&config.name, part);
        let mut inboxes = HashMap::new();
        let mut mailboxes = HashMap::new();
        for &part in &config.placement.runs {
            let (tx, rx) = bounded(internal);
            let readers = if part == Part::Encryption { pool } else { 1 };
            mailboxes.insert(at(part)?, (tx, readers));
            inboxes.insert(part, rx);
        }
        let router = Arc::new(Router::new(mailboxes, capacity));
        let wiring = Wiring {
            router: &router,
            trace: config.trace.as_ref(),
        };
        let mut threads = Vec::new();
        for (part, inbox) in inboxes {
            let (encryption, reads_for) = (at(Part::Encryption)?, at(Part::ReadsFor)?);
            let (vault, identity) = (at(Part::Vault)?, at(Part::Identity)?);
            match part {
                Part::Encryption => {
                    // One cookie key for the whole pool: any instance opens any continuation.
                    let cookies: EncryptionState =
                        Encryption::initial_state(&mut HpkeBackend::new());
                    // Callers run the engine on their own thread too, with the same cookie
                    // key; not when tracing, whose record is of the engine threads' steps.
                    if config.trace.is_none() {
                        let engine = Encryption::new(encryption.clone(), reads_for.clone());
                        let _ = router
                            .inline
                            .set(inline::Inline::new(engine, cookies.clone()));
                    }
                    for i in 0..pool {
                        let engine = Encryption::new(encryption.clone(), reads_for.clone());
                        let name = format!("encryption-{i}");
                        threads.push(spawn_engine(
                            &name,
                            engine,
                            cookies.clone(),
                            inbox.clone(),
                            &wiring,
                            None,
                        )?);
                    }
                }
                Part::ReadsFor => {
                    let (state, save) = durable(&config, part, config.reads_for.clone())?;
                    let engine = ReadsFor::new(reads_for);
                    let persist = if config.trace.is_none() {
                        Some(publish_reads(&router, &engine, &state, save))
                    } else {
                        save
                    };
                    threads.push(spawn_engine(
                        "reads-for",
                        engine,
                        state,
                        inbox,
                        &wiring,
                        persist,
                    )?);
                }
                Part::Vault => {
                    let engine =
                        Decryption::new(vault, Some(identity), config.vault_authorised.clone());
                    let persist = vault_persist(&config);
                    threads.push(spawn_engine(
                        "vault",
                        engine,
                        config.vault.clone(),
                        inbox,
                        &wiring,
                        persist,
                    )?);
                }
                Part::Identity => {
                    let (state, persist) =
                        durable(&config, part, IdentityManagementState::default())?;
                    let engine = IdentityManagement::new(identity, vault, reads_for);
                    threads.push(spawn_engine(
                        "identity", engine, state, inbox, &wiring, persist,
                    )?);
                }
            }
        }
        Ok(Node {
            vault: at(Part::Vault)?,
            name: config.name,
            router,
            threads,
            drain_timeout: config.drain_timeout,
        })
    }

    /// A client named `name` (its address is `client/<name>`).
    pub fn client(&self, name: &str) -> Result<Client, RuntimeError> {
        let address = Address::new(format!("client/{name}"))
            .map_err(|_| RuntimeError::BadClient(name.into()))?;
        self.attach(address)
    }

    /// A client at `address`: a remote requester whose address a link authenticated.
    ///
    /// Refused if the address is one of this node's (`NAME/…`) or is attached already.
    pub fn attach(&self, address: Address) -> Result<Client, RuntimeError> {
        let own = address
            .as_str()
            .strip_prefix(self.name.as_str())
            .is_some_and(|rest| rest.starts_with('/'));
        if own || !lock(&self.router.clients).insert(address.clone()) {
            return Err(RuntimeError::BadClient(address.to_string()));
        }
        Ok(Client {
            address,
            router: self.router.clone(),
            next: AtomicU64::new(1),
            outstanding: Mutex::new(HashMap::new()),
        })
    }

    /// Whether an engine of this node has `address`.
    pub fn runs(&self, address: &Address) -> bool {
        self.router.mailboxes.contains_key(address)
    }

    /// The node's name (its engines' addresses start with it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address of this node's engine `engine` (`encryption`, `reads-for`, `vault`, `identity`).
    pub fn engine(&self, engine: &str) -> Result<Address, RuntimeError> {
        Address::new(format!("{}/{engine}", self.name))
            .map_err(|_| RuntimeError::UnknownTarget(engine.into()))
    }

    /// The key of `identity` as this node's transport uses it: its DH and signatures are
    /// served by this node's vault, which must hold the identity (with both capabilities).
    pub fn link_key(&self, identity: ExternalIdentity) -> Result<keys::VaultKey, RuntimeError> {
        let (vault, _) = self
            .router
            .mailboxes
            .get(&self.vault)
            .ok_or_else(|| RuntimeError::UnknownTarget(self.vault.to_string()))?;
        Ok(keys::VaultKey::new(identity, vault.clone()))
    }

    /// Fault injection: the next message the engine at `target` takes kills its thread.
    ///
    /// The thread dies as a crash would — mid-step, its message unhandled and its effects
    /// never sent. Its supervisor answers that message (as after a panic) and starts a
    /// fresh thread on the same mailbox with the state the last completed step left. For
    /// the Encryption pool, whichever instance takes the next message dies.
    pub fn kill(&self, target: &Address) -> Result<(), RuntimeError> {
        let kills = self
            .router
            .kills
            .get(target)
            .ok_or_else(|| RuntimeError::UnknownTarget(target.to_string()))?;
        kills.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Kills requested with [`Node::kill`] that no engine has carried out yet.
    pub fn pending_kills(&self) -> u64 {
        self.router
            .kills
            .values()
            .map(|k| k.load(Ordering::SeqCst))
            .sum()
    }

    /// Stops admitting requests, waits for those in flight, and stops every engine.
    pub fn shutdown(self) -> ShutdownReport {
        let router = self.router;
        router.closing.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + self.drain_timeout;
        while !lock(&router.waiting).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        // Whoever still waits learns that the node shut down (their reply sender drops).
        let abandoned = {
            let mut waiting = lock(&router.waiting);
            let n = waiting.len() as u64;
            waiting.clear();
            n
        };
        let report = ShutdownReport {
            admitted: router.admitted.load(Ordering::Relaxed),
            replied: router.replied.load(Ordering::Relaxed),
            abandoned,
            panics: router.panics.load(Ordering::Relaxed),
            rejections: router.rejections.load(Ordering::Relaxed),
            restarts: router.restarts.load(Ordering::Relaxed),
            lost_requests: router.lost_requests.load(Ordering::Relaxed),
            lost_replies: router.lost_replies.load(Ordering::Relaxed),
        };
        // One stop signal per engine thread, queued behind whatever is still in its mailbox.
        for (mailbox, readers) in router.mailboxes.values() {
            for _ in 0..*readers {
                let _ = mailbox.send(Slot::Stop);
            }
        }
        for t in self.threads {
            let _ = t.join();
        }
        report
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // The address is free again: a link that reconnects attaches it anew.
        lock(&self.router.clients).remove(&self.address);
    }
}

impl Client {
    /// This client's address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Sends `message` to `target` and waits for the reply (up to a minute).
    pub fn request(
        &self,
        target: &Address,
        message: impl Into<Message>,
    ) -> Result<Envelope, RuntimeError> {
        self.request_timeout(target, message, Duration::from_secs(60))
    }

    /// Sends `message` to `target` and waits at most `timeout` for the reply.
    pub fn request_timeout(
        &self,
        target: &Address,
        message: impl Into<Message>,
        timeout: Duration,
    ) -> Result<Envelope, RuntimeError> {
        // A kill injected into the pool is for a pool thread to take: queue while one waits.
        if let Some(inline) = self.router.inline.get()
            && inline.serves(target)
            && self.router.kills_pending(target) == 0
        {
            return inline.request(self, message.into(), timeout);
        }
        let correlation = self.send_timeout(target, message, timeout)?;
        self.wait(correlation, timeout)
    }

    /// Sends `message` to `target` without waiting for the reply; returns its correlation id.
    ///
    /// Waits only while the node is full (backpressure), up to a minute.
    pub fn send(
        &self,
        target: &Address,
        message: impl Into<Message>,
    ) -> Result<CorrelationId, RuntimeError> {
        self.send_timeout(target, message, Duration::from_secs(60))
    }

    fn send_timeout(
        &self,
        target: &Address,
        message: impl Into<Message>,
        timeout: Duration,
    ) -> Result<CorrelationId, RuntimeError> {
        let router = &self.router;
        if router.closing.load(Ordering::SeqCst) {
            return Err(RuntimeError::ShutDown);
        }
        let Some((mailbox, _)) = router.mailboxes.get(target) else {
            return Err(RuntimeError::UnknownTarget(target.to_string()));
        };
        // Backpressure: wait for a permit while the node is full.
        router
            .admission
            .0
            .send_timeout((), timeout)
            .map_err(|_| RuntimeError::Timeout(timeout))?;
        router.admitted.fetch_add(1, Ordering::Relaxed);
        let correlation = CorrelationId(self.next.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = bounded(1);
        let env = Envelope {
            sender: self.address.clone(),
            target: target.clone(),
            correlation,
            message: message.into(),
        };
        let failure = env
            .message
            .refusal(Refusal::EngineFailed)
            .map(|m| env.reply(m));
        let origin = (self.address.clone(), correlation);
        let waiter = Waiter { reply: tx, failure };
        lock(&router.waiting).insert(origin.clone(), waiter);
        let mail = Mail {
            origin: Some(origin),
            env,
        };
        if mailbox.send(Slot::Mail(mail)).is_err() {
            lock(&router.waiting).remove(&(self.address.clone(), correlation));
            let _ = router.admission.1.try_recv();
            return Err(RuntimeError::ShutDown);
        }
        lock(&self.outstanding).insert(correlation, rx);
        Ok(correlation)
    }

    /// Waits at most `timeout` for the reply to the request sent with `correlation`.
    pub fn wait(
        &self,
        correlation: CorrelationId,
        timeout: Duration,
    ) -> Result<Envelope, RuntimeError> {
        let Some(rx) = lock(&self.outstanding).remove(&correlation) else {
            return Err(RuntimeError::UnknownCorrelation(correlation.0));
        };
        let router = &self.router;
        match rx.recv_timeout(timeout) {
            Ok(reply) => Ok(reply),
            Err(RecvTimeoutError::Timeout) => {
                // Give up on it: a late reply is then counted as a rejection.
                if lock(&router.waiting)
                    .remove(&(self.address.clone(), correlation))
                    .is_some()
                {
                    let _ = router.admission.1.try_recv();
                }
                Err(RuntimeError::Timeout(timeout))
            }
            Err(RecvTimeoutError::Disconnected) => Err(RuntimeError::ShutDown),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use spec::effects::Effects;
    use spec::message::{ReplyEncrypt, RequestEncrypt};

    /// An engine that panics on every message.
    struct Panicky;

    impl super::KeyService for u32 {}

    impl Engine for Panicky {
        type State = u32;
        const NAME: &'static str = "panicky";
        const GUARDS: &'static [&'static str] = &[];
        fn step<B: crate::Backend>(&self, state: &mut u32, _: &mut B, _: &Envelope) -> Effects {
            *state += 1;
            panic!("injected failure");
        }
    }

    #[test]
    fn a_panicking_step_keeps_the_old_state_and_answers_engine_failed() {
        let (tx, rx) = bounded(4);
        let client = address("client/x");
        let router = Router::new(HashMap::new(), 1);
        let waiter = Waiter {
            reply: tx,
            failure: None,
        };
        lock(&router.waiting).insert((client.clone(), CorrelationId(1)), waiter);
        let env = Envelope {
            sender: client.clone(),
            target: address(ENCRYPTION),
            correlation: CorrelationId(1),
            message: RequestEncrypt {
                data: spec::message::Plaintext(vec![1]),
                external_identity: spec::ExternalIdentity {
                    verifying_key: [1; 32],
                    encryption_key: [2; 32],
                },
                use_reads_for: false,
            }
            .into(),
        };
        let mut state = 7u32;
        let mail = Mail {
            origin: Some((client, CorrelationId(1))),
            env,
        };
        // The panic message goes to stderr; the test only cares that it is contained.
        guarded_step(
            &Panicky,
            &mut state,
            &mut HpkeBackend::with_rng(RecordingRng::new(UnwrapErr(getrandom::SysRng), false)),
            &mail,
            &router,
            None,
            None,
        );
        assert_eq!(state, 7, "the state from before the panic is kept");
        assert_eq!(router.panics.load(Ordering::Relaxed), 1);
        let reply = rx.try_recv().unwrap();
        assert_eq!(
            reply.message,
            Message::ReplyEncrypt(ReplyEncrypt {
                result: Err(spec::EncryptionError::EngineFailed)
            })
        );
    }
}
