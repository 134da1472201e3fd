//! The Encryption engine: stateless sealing, with reads-for resolved through a continuation.
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestEncrypt (useReadsFor: false)` → seal to the target, `ReplyEncrypt`;
//! 3. `RequestEncrypt (useReadsFor: true)` → `RequestQueryReadsForEvidence` to the
//!    ReadsFor engine, carrying the pending request sealed under the cookie key;
//! 4. `ReplyQueryReadsForEvidence` from the ReadsFor engine → open the
//!    continuation; on an error result reply with that error, otherwise seal to
//!    the target and every identity in the returned closure, `ReplyEncrypt`;
//! 5. any other request → its reply with `NotHandled`; any other reply → rejected.
//!
//! The engine keeps no per-request state: the pending request travels inside
//! the continuation, so any instance holding the cookie key finishes any
//! request, and a reply can never be matched to the wrong requester.

use serde::{Deserialize, Serialize};
use spec::effects::{Effects, RejectReason, guards};
use spec::message::{
    Continuation, Plaintext, ReplyEncrypt, ReplyQueryReadsForEvidence, RequestEncrypt,
    RequestQueryReadsForEvidence,
};
use spec::relation::ReadsForGraph;
use spec::{
    Address, CorrelationId, EncryptionError, Envelope, ExternalIdentity, Message, ReadsForEvidence,
    codec,
};

use crate::cookie::{CookieRing, Lookup};
use crate::{Backend, Engine, HostEvent};

/// Associated data of every continuation: binds it to its purpose and epoch.
const CONTINUATION_DOMAIN: &[u8] = b"sealwright/continuation/v1";

/// The Encryption engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Encryption {
    /// This engine's address (a pool shares one).
    pub address: Address,
    /// The ReadsFor engine it queries; replies from anyone else are rejected.
    pub reads_for: Address,
    /// Largest plaintext accepted in one request.
    pub max_plaintext: usize,
}

/// The Encryption engine's state: only its cookie keys, never a pending request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptionState {
    /// Current and previous cookie keys.
    pub cookies: CookieRing,
}

/// What a continuation holds: the request to finish and whom to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Pending {
    requester: Address,
    correlation: CorrelationId,
    target: ExternalIdentity,
    data: Plaintext,
}

/// The action a guard chose: one variant per row of [`GUARDS`].
enum Action<'a> {
    Misaddressed,
    SealDirect(&'a RequestEncrypt),
    Query(&'a RequestEncrypt),
    Finish(&'a ReplyQueryReadsForEvidence),
    UnexpectedSender,
    NotHandled,
    UnexpectedReply,
}

/// Row: a `RequestEncrypt` without reads-for.
const SEAL_DIRECTLY: &str = "seal-directly";
/// Row: a `RequestEncrypt` with reads-for.
const QUERY_READS_FOR: &str = "query-reads-for";
/// Row: the configured ReadsFor engine's answer.
const FINISH: &str = "finish";
/// Row: a ReadsFor answer from anyone else.
const UNEXPECTED_SENDER: &str = "unexpected-sender";

/// The Encryption engine's guard table (docs/encryption/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &[
    guards::MISADDRESSED,
    SEAL_DIRECTLY,
    QUERY_READS_FOR,
    FINISH,
    UNEXPECTED_SENDER,
    guards::NOT_HANDLED,
    guards::UNEXPECTED_REPLY,
];

impl Action<'_> {
    /// The row of [`GUARDS`] this action belongs to.
    fn row(&self) -> &'static str {
        match self {
            Action::Misaddressed => guards::MISADDRESSED,
            Action::SealDirect(_) => SEAL_DIRECTLY,
            Action::Query(_) => QUERY_READS_FOR,
            Action::Finish(_) => FINISH,
            Action::UnexpectedSender => UNEXPECTED_SENDER,
            Action::NotHandled => guards::NOT_HANDLED,
            Action::UnexpectedReply => guards::UNEXPECTED_REPLY,
        }
    }
}

impl Encryption {
    /// Default limit on one request's plaintext: 1 MiB (larger data is streamed).
    pub const DEFAULT_MAX_PLAINTEXT: usize = 1 << 20;

    /// An engine at `address` that asks `reads_for`.
    pub fn new(address: Address, reads_for: Address) -> Self {
        Encryption {
            address,
            reads_for,
            max_plaintext: Self::DEFAULT_MAX_PLAINTEXT,
        }
    }

    /// The initial state, with a fresh cookie key from `backend`.
    pub fn initial_state<B: Backend>(backend: &mut B) -> EncryptionState {
        EncryptionState {
            cookies: CookieRing::new(backend.new_cookie_key()),
        }
    }

    fn guard<'a>(&self, env: &'a Envelope) -> Action<'a> {
        if env.target != self.address {
            return Action::Misaddressed;
        }
        match &env.message {
            Message::RequestEncrypt(req) if !req.use_reads_for => Action::SealDirect(req),
            Message::RequestEncrypt(req) => Action::Query(req),
            Message::ReplyQueryReadsForEvidence(reply) if env.sender == self.reads_for => {
                Action::Finish(reply)
            }
            Message::ReplyQueryReadsForEvidence(_) => Action::UnexpectedSender,
            m if m.is_request() => Action::NotHandled,
            _ => Action::UnexpectedReply,
        }
    }

    fn seal<B: Backend>(
        &self,
        backend: &mut B,
        recipients: &[ExternalIdentity],
        data: &Plaintext,
    ) -> Message {
        let result = if data.0.len() > self.max_plaintext {
            Err(EncryptionError::PlaintextTooLarge)
        } else {
            backend.seal(recipients, &data.0)
        };
        ReplyEncrypt { result }.into()
    }

    fn continuation_aad(epoch: u64) -> Vec<u8> {
        let mut aad = CONTINUATION_DOMAIN.to_vec();
        aad.extend_from_slice(&epoch.to_be_bytes());
        aad
    }

    /// Seals the pending request: `epoch (8 bytes, big-endian) | sealed CBOR`.
    fn make_continuation<B: Backend>(
        state: &EncryptionState,
        backend: &mut B,
        pending: &Pending,
    ) -> Continuation {
        let key = state.cookies.current();
        let mut bytes = key.epoch.to_be_bytes().to_vec();
        let sealed = backend.cookie_seal(
            key,
            &Self::continuation_aad(key.epoch),
            &codec::encode(pending),
        );
        bytes.extend_from_slice(&sealed);
        Continuation(bytes)
    }

    /// The query's correlation id: bytes 8..16 of the continuation, big-endian.
    ///
    /// Those are the first bytes of the sealed part, which a real backend
    /// starts with a random nonce, so the id is unpredictable without drawing
    /// more randomness; a deterministic backend gives one id per distinct
    /// query, so the model does not tell states apart by the order queries
    /// were made in.
    pub(crate) fn query_correlation(continuation: &Continuation) -> CorrelationId {
        let id = continuation
            .0
            .get(8..16)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_be_bytes);
        CorrelationId(id)
    }

    fn open_continuation<B: Backend>(
        state: &EncryptionState,
        backend: &B,
        continuation: Option<&Continuation>,
    ) -> Result<Pending, RejectReason> {
        let bytes = continuation.ok_or(RejectReason::ContinuationInvalid)?;
        let (epoch, sealed) = bytes
            .0
            .split_first_chunk::<8>()
            .ok_or(RejectReason::ContinuationInvalid)?;
        let epoch = u64::from_be_bytes(*epoch);
        let key = match state.cookies.lookup(epoch) {
            Lookup::Key(key) => key,
            Lookup::Expired => return Err(RejectReason::ContinuationExpired),
            Lookup::Unknown => return Err(RejectReason::ContinuationInvalid),
        };
        let plain = backend
            .cookie_open(&key, &Self::continuation_aad(epoch), sealed)
            .ok_or(RejectReason::ContinuationInvalid)?;
        codec::decode(&plain).map_err(|_| RejectReason::ContinuationInvalid)
    }

    fn finish<B: Backend>(
        &self,
        state: &EncryptionState,
        backend: &mut B,
        env: &Envelope,
        reply: &ReplyQueryReadsForEvidence,
    ) -> Effects {
        let pending = match Self::open_continuation(state, backend, reply.continuation.as_ref()) {
            Ok(p) => p,
            Err(reason) => return Effects::reject(env, reason),
        };
        let subject = pending.target.id();
        if reply.external_identity != subject {
            return Effects::reject(env, RejectReason::SubjectMismatch);
        }
        let message = match &reply.result {
            // Never seal as if the query had succeeded (the Anoma v0.2 gap 1).
            Err(e) => ReplyEncrypt {
                result: Err(EncryptionError::ReadsFor(e.clone())),
            }
            .into(),
            Ok(evidence) => {
                let recipients = recipients_for(&pending.target, evidence);
                self.seal(backend, &recipients, &pending.data)
            }
        };
        Effects::send(Envelope {
            sender: self.address.clone(),
            target: pending.requester,
            correlation: pending.correlation,
            message,
        })
    }
}

/// Who a reads-for encryption to `target` seals to: the target and every reader in the closure.
///
/// The closure is recomputed from the evidence rather than trusting the
/// list's shape: only chains that end at the target widen the recipients.
pub fn recipients_for(
    target: &ExternalIdentity,
    evidence: &[ReadsForEvidence],
) -> Vec<ExternalIdentity> {
    let graph = ReadsForGraph::new(evidence);
    let mut recipients = vec![target.clone()];
    recipients.extend(
        graph
            .chains_into(&target.id())
            .into_iter()
            .map(|ev| ev.from_identity.clone()),
    );
    recipients
}

impl Engine for Encryption {
    type State = EncryptionState;

    const NAME: &'static str = "encryption";

    const GUARDS: &'static [&'static str] = GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut EncryptionState,
        backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        let action = self.guard(env);
        let row = action.row();
        self.act(state, backend, env, action).by(row)
    }

    fn on_event(&self, state: &mut EncryptionState, event: HostEvent) -> bool {
        match event {
            HostEvent::RotateCookieKey => state.cookies.rotate(),
        }
        true
    }
}

impl Encryption {
    /// The action's effects.
    fn act<B: Backend>(
        &self,
        state: &mut EncryptionState,
        backend: &mut B,
        env: &Envelope,
        action: Action<'_>,
    ) -> Effects {
        match action {
            Action::Misaddressed => Effects::reject(env, RejectReason::Misaddressed),
            Action::UnexpectedSender => Effects::reject(env, RejectReason::UnexpectedSender),
            Action::UnexpectedReply => Effects::reject(env, RejectReason::UnexpectedReply),
            Action::NotHandled => Effects::not_handled(env),
            Action::SealDirect(req) => Effects::send(env.reply(self.seal(
                backend,
                std::slice::from_ref(&req.external_identity),
                &req.data,
            ))),
            Action::Query(req) => {
                if req.data.0.len() > self.max_plaintext {
                    return Effects::send(env.reply(ReplyEncrypt {
                        result: Err(EncryptionError::PlaintextTooLarge),
                    }));
                }
                let pending = Pending {
                    requester: env.sender.clone(),
                    correlation: env.correlation,
                    target: req.external_identity.clone(),
                    data: req.data.clone(),
                };
                let continuation = Self::make_continuation(state, backend, &pending);
                Effects::send(Envelope {
                    sender: self.address.clone(),
                    target: self.reads_for.clone(),
                    correlation: Self::query_correlation(&continuation),
                    message: RequestQueryReadsForEvidence {
                        external_identity: req.external_identity.id(),
                        continuation: Some(continuation),
                    }
                    .into(),
                })
            }
            Action::Finish(reply) => self.finish(state, backend, env, reply),
        }
    }
}
