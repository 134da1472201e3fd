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
    Plaintext, ReplyEncrypt, ReplyQueryReadsForEvidence, RequestEncrypt,
    RequestQueryReadsForEvidence,
};
use spec::relation::ReadsForGraph;
use spec::{
    Address, CorrelationId, EncryptionError, Envelope, ExternalIdentity, Message, ReadsForEvidence,
};

use crate::continuation;
use crate::cookie::CookieRing;
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

    fn finish<B: Backend>(
        &self,
        state: &EncryptionState,
        backend: &mut B,
        env: &Envelope,
        reply: &ReplyQueryReadsForEvidence,
    ) -> Effects {
        let opened = continuation::open(
            &state.cookies,
            backend,
            CONTINUATION_DOMAIN,
            reply.continuation.as_ref(),
        );
        let pending: Pending = match opened {
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
                let continuation =
                    continuation::seal(&state.cookies, backend, CONTINUATION_DOMAIN, &pending);
                Effects::send(Envelope {
                    sender: self.address.clone(),
                    target: self.reads_for.clone(),
                    correlation: continuation::correlation(&continuation),
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
