//! The stateless Encryption engine on the caller's thread.
//!
//! Handing a request to an engine thread and its reply back costs two thread wake-ups,
//! about 100 µs on a VM whose idle vCPUs halt (the Performance page). The Encryption
//! engine keeps no state between requests but its cookie key, so a caller of
//! [`Client::request`] runs its step itself, with the pool's cookie key: a direct request
//! never leaves the caller's thread; a reads-for request sends its query to the ReadsFor
//! engine and waits for that reply itself, as a parked reply, so it costs one round trip
//! instead of two — or none, when the ReadsFor engine runs on this node: a query only
//! reads its store, so the caller answers it from the state the engine last committed
//! ([`ReadsView`], published before the committing step sends anything, so a submission
//! acknowledged is a submission seen). [`Client::send`] still queues to the pool, for
//! callers that pipeline.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::bounded;
use hpke::rand_core::UnwrapErr;
use spec::message::Refusal;
use spec::{Address, CorrelationId, Envelope, Message};

use super::{Client, RuntimeBackend, RuntimeError, lock};
use crate::Engine;
use crate::backend::hpke::HpkeBackend;
use crate::backend::seeded::RecordingRng;
use crate::encryption::{Encryption, EncryptionState};
use crate::reads_for::{ReadsFor, ReadsForState};

/// The ReadsFor engine's last committed state, for callers to answer queries from.
pub(super) struct ReadsView {
    engine: ReadsFor,
    state: Mutex<Arc<ReadsForState>>,
}

impl ReadsView {
    pub(super) fn new(engine: ReadsFor, state: &ReadsForState) -> Self {
        ReadsView {
            engine,
            state: Mutex::new(Arc::new(state.clone())),
        }
    }

    /// Publishes a committed state (before the step that made it sends anything).
    pub(super) fn publish(&self, state: &ReadsForState) {
        *lock(&self.state) = Arc::new(state.clone());
    }

    /// The reply to a read-only query, from the last committed state; `None` if `query`
    /// is not one (it then goes to the engine's thread).
    fn answer(&self, query: &Envelope) -> Option<Envelope> {
        let state = lock(&self.state).clone();
        let effects = self.engine.read_only(&state, query)?;
        effects.send.into_iter().next()
    }
}

/// The pool's engine and cookie key, for callers to run.
pub(super) struct Inline {
    engine: Encryption,
    cookies: EncryptionState,
}

impl Inline {
    pub(super) fn new(engine: Encryption, cookies: EncryptionState) -> Self {
        Inline { engine, cookies }
    }

    /// Whether requests to `target` run here.
    pub(super) fn serves(&self, target: &Address) -> bool {
        *target == self.engine.address
    }

    /// Runs a request to the Encryption engine on the calling thread, to its reply.
    pub(super) fn request(
        &self,
        client: &Client,
        message: Message,
        timeout: Duration,
    ) -> Result<Envelope, RuntimeError> {
        let router = &client.router;
        if router.closing.load(Ordering::SeqCst) {
            return Err(RuntimeError::ShutDown);
        }
        // The same backpressure as a queued request: its query uses the mailboxes.
        router
            .admission
            .0
            .send_timeout((), timeout)
            .map_err(|_| RuntimeError::Timeout(timeout))?;
        router.admitted.fetch_add(1, Ordering::Relaxed);
        let correlation = CorrelationId(client.next.fetch_add(1, Ordering::Relaxed));
        let request = Envelope {
            sender: client.address.clone(),
            target: self.engine.address.clone(),
            correlation,
            message,
        };
        let outcome = self.run(client, request, timeout);
        let _ = router.admission.1.try_recv();
        if outcome.is_ok() {
            router.replied.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    }

    /// Steps the engine on `env`, then on each reply to what it sent, until it answers
    /// the client.
    fn run(
        &self,
        client: &Client,
        request: Envelope,
        timeout: Duration,
    ) -> Result<Envelope, RuntimeError> {
        let router = &client.router;
        let origin = Some((client.address.clone(), request.correlation));
        let mut backend: RuntimeBackend =
            HpkeBackend::with_rng(RecordingRng::new(UnwrapErr(getrandom::SysRng), false));
        let mut input = request.clone();
        // A request's flow is at most a query and its reply: bounded, never a loop.
        for _ in 0..4 {
            let mut state = self.cookies.clone();
            let stepped = catch_unwind(AssertUnwindSafe(|| {
                self.engine.step(&mut state, &mut backend, &input)
            }));
            let Ok(effects) = stepped else {
                router.panics.fetch_add(1, Ordering::Relaxed);
                return failed(&request);
            };
            router
                .rejections
                .fetch_add(effects.rejected.len() as u64, Ordering::Relaxed);
            let mut next = None;
            for out in effects.send {
                if out.target == client.address && out.correlation == request.correlation {
                    return Ok(out);
                }
                next = Some(self.answer(client, &origin, out, timeout)?);
            }
            match next {
                Some(reply) => input = reply,
                None => return failed(&request),
            }
        }
        failed(&request)
    }
}

impl Inline {
    /// The reply to a query the engine sent: from ReadsFor's committed state when it can
    /// (unless a kill waits for that engine's thread to take it), else from the engine
    /// the query is for, parked for on this thread.
    fn answer(
        &self,
        client: &Client,
        origin: &Option<super::Origin>,
        query: Envelope,
        timeout: Duration,
    ) -> Result<Envelope, RuntimeError> {
        let router = &client.router;
        if let Some(view) = router.reads_view.get()
            && router.kills_pending(&query.target) == 0
            && let Some(reply) = view.answer(&query)
        {
            return Ok(reply);
        }
        // Its reply is addressed to the engine that sent it.
        let (tx, rx) = bounded(1);
        let key = (query.sender.clone(), query.correlation);
        lock(&router.parked).insert(key.clone(), tx);
        router.route(query, origin);
        rx.recv_timeout(timeout).map_err(|_| {
            // Given up: a late reply is then counted as a rejection.
            lock(&router.parked).remove(&key);
            RuntimeError::Timeout(timeout)
        })
    }
}

/// The `EngineFailed` refusal of `request`, as if the pool had answered it.
fn failed(request: &Envelope) -> Result<Envelope, RuntimeError> {
    request
        .message
        .refusal(Refusal::EngineFailed)
        .map(|m| request.reply(m))
        .ok_or(RuntimeError::ShutDown)
}
