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
//! * **Graceful shutdown** stops admitting requests, waits for those in flight (bounded),
//!   then closes the mailboxes; a request still waiting fails with [`RuntimeError::ShutDown`].
//!
//! Inside the process envelopes move as values; [`tcp`] carries the same envelopes as
//! length-prefixed CBOR frames between processes.

pub mod tcp;

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use spec::message::Refusal;
use spec::{Address, CorrelationId, Envelope, Message};

use crate::Engine;
use crate::backend::hpke::HpkeBackend;
use crate::decryption::{Decryption, DecryptionState};
use crate::encryption::{Encryption, EncryptionState};
use crate::identity_management::{IdentityManagement, IdentityManagementState};
use crate::reads_for::{ReadsFor, ReadsForState};

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
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            encryption_instances: 1,
            queue_capacity: 256,
            reads_for: ReadsForState::default(),
            vault: DecryptionState::default(),
            vault_authorised: BTreeSet::new(),
            drain_timeout: Duration::from_secs(5),
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
}

type Waiters = Mutex<HashMap<(Address, CorrelationId), Sender<Envelope>>>;

/// A mailbox delivers envelopes; `None` tells one of its engine threads to stop.
type Mail = Option<Envelope>;

/// Shared routing: mailboxes by address (with how many threads read each), and clients
/// waiting for replies.
struct Router {
    mailboxes: HashMap<Address, (Sender<Mail>, usize)>,
    waiting: Waiters,
    admission: (Sender<()>, Receiver<()>),
    closing: AtomicBool,
    admitted: AtomicU64,
    replied: AtomicU64,
    panics: AtomicU64,
    rejections: AtomicU64,
    /// Where envelopes for unknown addresses go (a transport to other nodes), if anywhere.
    remote: Mutex<Option<Sender<Envelope>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking engine never holds these locks; recover the data if one ever did.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Router {
    /// Routes one envelope an engine produced.
    fn route(&self, env: Envelope) {
        if let Some((mailbox, _)) = self.mailboxes.get(&env.target) {
            // Internal mailboxes are sized so this never blocks for long (see the module docs).
            let _ = mailbox.send(Some(env));
            return;
        }
        let waiter = lock(&self.waiting).remove(&(env.target.clone(), env.correlation));
        match waiter {
            Some(tx) => {
                self.replied.fetch_add(1, Ordering::Relaxed);
                let _ = tx.send(env);
                // The permit is returned when the reply is delivered.
                let _ = self.admission.1.try_recv();
            }
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
}

/// A running node.
pub struct Node {
    router: Arc<Router>,
    threads: Vec<JoinHandle<()>>,
    clients: Mutex<BTreeSet<String>>,
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

fn address(name: &str) -> Address {
    Address::new(name).unwrap_or_else(|_| unreachable!("built-in address {name} is valid"))
}

/// Runs one engine step on a copy of its state, isolating a panic.
fn guarded_step<E: Engine>(
    engine: &E,
    state: &mut E::State,
    backend: &mut HpkeBackend,
    env: &Envelope,
    router: &Router,
) where
    E::State: Clone,
{
    let mut next = state.clone();
    let outcome = catch_unwind(AssertUnwindSafe(|| engine.step(&mut next, backend, env)));
    match outcome {
        Ok(effects) => {
            *state = next;
            router
                .rejections
                .fetch_add(effects.rejected.len() as u64, Ordering::Relaxed);
            for out in effects.send {
                router.route(out);
            }
        }
        Err(_) => {
            router.panics.fetch_add(1, Ordering::Relaxed);
            if let Some(reply) = env.message.refusal(Refusal::EngineFailed) {
                router.route(env.reply(reply));
            }
        }
    }
}

fn spawn_engine<E>(
    name: String,
    engine: E,
    mut state: E::State,
    inbox: Receiver<Mail>,
    router: Arc<Router>,
) -> Result<JoinHandle<()>, RuntimeError>
where
    E: Engine + Send + 'static,
    E::State: Clone + Send + 'static,
{
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let mut backend = HpkeBackend::new();
            // Mail is taken in order, so the stop signal comes after everything sent before it.
            while let Ok(Some(env)) = inbox.recv() {
                guarded_step(&engine, &mut state, &mut backend, &env, &router);
            }
        })
        .map_err(|e| RuntimeError::Spawn(e.to_string()))
}

impl Node {
    /// Starts the engines of one node.
    pub fn start(config: NodeConfig) -> Result<Node, RuntimeError> {
        let capacity = config.queue_capacity.max(1);
        let internal = capacity.saturating_mul(INTERNAL_FANOUT);
        let pool = config.encryption_instances.max(1);
        let names = [
            (ENCRYPTION, pool),
            (READS_FOR, 1),
            (VAULT, 1),
            (IDENTITY, 1),
        ];
        let mut inboxes = HashMap::new();
        let mut mailboxes = HashMap::new();
        for (name, readers) in names {
            let (tx, rx) = bounded(internal);
            mailboxes.insert(address(name), (tx, readers));
            inboxes.insert(name, rx);
        }
        let router = Arc::new(Router {
            mailboxes,
            waiting: Mutex::new(HashMap::new()),
            admission: bounded(capacity),
            closing: AtomicBool::new(false),
            admitted: AtomicU64::new(0),
            replied: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
            remote: Mutex::new(None),
        });
        let mut threads = Vec::new();
        let inbox = |name: &str| {
            inboxes
                .get(name)
                .cloned()
                .ok_or_else(|| RuntimeError::UnknownTarget(name.into()))
        };
        // One cookie key for the whole pool: any instance opens any continuation.
        let cookie_state: EncryptionState = Encryption::initial_state(&mut HpkeBackend::new());
        for i in 0..pool {
            let engine = Encryption::new(address(ENCRYPTION), address(READS_FOR));
            threads.push(spawn_engine(
                format!("encryption-{i}"),
                engine,
                cookie_state.clone(),
                inbox(ENCRYPTION)?,
                router.clone(),
            )?);
        }
        threads.push(spawn_engine(
            "reads-for".into(),
            ReadsFor {
                address: address(READS_FOR),
            },
            config.reads_for,
            inbox(READS_FOR)?,
            router.clone(),
        )?);
        threads.push(spawn_engine(
            "vault".into(),
            Decryption::new(
                address(VAULT),
                Some(address(IDENTITY)),
                config.vault_authorised,
            ),
            config.vault,
            inbox(VAULT)?,
            router.clone(),
        )?);
        threads.push(spawn_engine(
            "identity".into(),
            IdentityManagement::new(address(IDENTITY), address(VAULT), address(READS_FOR)),
            IdentityManagementState::default(),
            inbox(IDENTITY)?,
            router.clone(),
        )?);
        Ok(Node {
            router,
            threads,
            clients: Mutex::new(BTreeSet::new()),
            drain_timeout: config.drain_timeout,
        })
    }

    /// A client named `name` (its address is `client/<name>`).
    pub fn client(&self, name: &str) -> Result<Client, RuntimeError> {
        let full = format!("client/{name}");
        let address =
            Address::new(full.clone()).map_err(|_| RuntimeError::BadClient(name.into()))?;
        if !lock(&self.clients).insert(full) {
            return Err(RuntimeError::BadClient(name.into()));
        }
        Ok(Client {
            address,
            router: self.router.clone(),
            next: AtomicU64::new(1),
            outstanding: Mutex::new(HashMap::new()),
        })
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
        };
        // One stop signal per engine thread, queued behind whatever is still in its mailbox.
        for (mailbox, readers) in router.mailboxes.values() {
            for _ in 0..*readers {
                let _ = mailbox.send(None);
            }
        }
        for t in self.threads {
            let _ = t.join();
        }
        report
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
        lock(&router.waiting).insert((self.address.clone(), correlation), tx);
        let env = Envelope {
            sender: self.address.clone(),
            target: target.clone(),
            correlation,
            message: message.into(),
        };
        if mailbox.send(Some(env)).is_err() {
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

    impl Engine for Panicky {
        type State = u32;
        fn step<B: crate::Backend>(&self, state: &mut u32, _: &mut B, _: &Envelope) -> Effects {
            *state += 1;
            panic!("injected failure");
        }
    }

    #[test]
    fn a_panicking_step_keeps_the_old_state_and_answers_engine_failed() {
        let (tx, rx) = bounded(4);
        let client = address("client/x");
        let router = Router {
            mailboxes: HashMap::new(),
            waiting: Mutex::new(HashMap::from([((client.clone(), CorrelationId(1)), tx)])),
            admission: bounded(1),
            closing: AtomicBool::new(false),
            admitted: AtomicU64::new(0),
            replied: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            rejections: AtomicU64::new(0),
            remote: Mutex::new(None),
        };
        let env = Envelope {
            sender: client,
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
        // The panic message goes to stderr; the test only cares that it is contained.
        guarded_step(&Panicky, &mut state, &mut HpkeBackend::new(), &env, &router);
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
