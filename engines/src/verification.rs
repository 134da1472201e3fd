//! The Verification engine: stateless commitment checks, with signs-for resolved through a continuation.
//!
//! The mirror of [`crate::encryption`]. Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestVerification (useSignsFor: false)` → check the commitment
//!    against the identity, `ReplyVerification`;
//! 3. `RequestVerification (useSignsFor: true)` → `RequestQuerySignsForEvidence`
//!    to the SignsFor engine, carrying the pending request sealed under the cookie key;
//! 4. `ReplyQuerySignsForEvidence` from the SignsFor engine → open the
//!    continuation; on an error result reply with that error (never `false`),
//!    otherwise check the commitment against the identity and every identity
//!    that signs for it, `ReplyVerification`;
//! 5. any other request → its reply with `NotHandled`; any other reply → rejected.
//!
//! A commitment verifies when it names the verifying key of an accepted
//! signer and its signature over the commitment statement of the data checks
//! under that key. The engine keeps no per-request state, so one lost reply
//! strands that request only (the Anoma v0.2 engine starves the identity).

use serde::{Deserialize, Serialize};
use spec::effects::{Effects, RejectReason, guards};
use spec::message::{
    Commitment, ReplyQuerySignsForEvidence, ReplyVerification, RequestQuerySignsForEvidence,
    RequestVerification, Signable,
};
use spec::relation::SignsForGraph;
use spec::{
    Address, CorrelationId, Envelope, ExternalIdentity, Message, SignsForEvidence,
    VerificationError,
};

use crate::continuation;
use crate::cookie::CookieRing;
use crate::{Backend, Engine, HostEvent};

/// Associated data of every Verification continuation: never opens as an Encryption one.
const CONTINUATION_DOMAIN: &[u8] = b"sealwright/verification-continuation/v1";

/// The Verification engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Verification {
    /// This engine's address (a pool shares one).
    pub address: Address,
    /// The SignsFor engine it queries; replies from anyone else are rejected.
    pub signs_for: Address,
    /// Largest data accepted in one request.
    pub max_data: usize,
}

/// The Verification engine's state: only its cookie keys, never a pending request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerificationState {
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
    data: Signable,
    commitment: Commitment,
}

/// The action a guard chose: one variant per row of [`GUARDS`].
enum Action<'a> {
    Misaddressed,
    VerifyDirect(&'a RequestVerification),
    Query(&'a RequestVerification),
    Finish(&'a ReplyQuerySignsForEvidence),
    UnexpectedSender,
    NotHandled,
    UnexpectedReply,
}

/// Row: a `RequestVerification` without signs-for.
const VERIFY_DIRECTLY: &str = "verify-directly";
/// Row: a `RequestVerification` with signs-for.
const QUERY_SIGNS_FOR: &str = "query-signs-for";
/// Row: the configured SignsFor engine's answer.
const FINISH: &str = "finish";
/// Row: a SignsFor answer from anyone else.
const UNEXPECTED_SENDER: &str = "unexpected-sender";

/// The Verification engine's guard table (docs/verification-engine/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &[
    guards::MISADDRESSED,
    VERIFY_DIRECTLY,
    QUERY_SIGNS_FOR,
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
            Action::VerifyDirect(_) => VERIFY_DIRECTLY,
            Action::Query(_) => QUERY_SIGNS_FOR,
            Action::Finish(_) => FINISH,
            Action::UnexpectedSender => UNEXPECTED_SENDER,
            Action::NotHandled => guards::NOT_HANDLED,
            Action::UnexpectedReply => guards::UNEXPECTED_REPLY,
        }
    }
}

/// Whether `commitment` is a commitment to `data` by one of `signers`.
pub fn verifies<B: Backend>(
    backend: &B,
    signers: &[ExternalIdentity],
    data: &Signable,
    commitment: &Commitment,
) -> bool {
    signers
        .iter()
        .any(|s| s.verifying_key == commitment.verifying_key)
        && backend
            .verify(
                &commitment.verifying_key,
                &Commitment::statement_bytes(&data.0),
                &commitment.signature,
            )
            .is_ok()
}

/// Whose commitments count as `target`'s: the target and every member of a chain into it.
///
/// Evidence whose signature does not check is left out before the closure is
/// taken, so even a forged answer could not add a signer; only chains that end
/// at the target count.
pub fn signers_for<B: Backend>(
    backend: &B,
    target: &ExternalIdentity,
    evidence: &[SignsForEvidence],
) -> Vec<ExternalIdentity> {
    let genuine = evidence.iter().filter(|ev| {
        backend
            .verify(
                &ev.to_identity.verifying_key,
                &ev.signed_bytes(),
                &ev.signature,
            )
            .is_ok()
    });
    let graph = SignsForGraph::new(genuine);
    let mut signers = vec![target.clone()];
    signers.extend(
        graph
            .chains_into(&target.id())
            .into_iter()
            .map(|ev| ev.from_identity.clone()),
    );
    signers
}

impl Verification {
    /// Default limit on one request's data: 1 MiB.
    pub const DEFAULT_MAX_DATA: usize = 1 << 20;

    /// An engine at `address` that asks `signs_for`.
    pub fn new(address: Address, signs_for: Address) -> Self {
        Verification {
            address,
            signs_for,
            max_data: Self::DEFAULT_MAX_DATA,
        }
    }

    /// The initial state, with a fresh cookie key from `backend`.
    pub fn initial_state<B: Backend>(backend: &mut B) -> VerificationState {
        VerificationState {
            cookies: CookieRing::new(backend.new_cookie_key()),
        }
    }

    fn guard<'a>(&self, env: &'a Envelope) -> Action<'a> {
        if env.target != self.address {
            return Action::Misaddressed;
        }
        match &env.message {
            Message::RequestVerification(req) if !req.use_signs_for => Action::VerifyDirect(req),
            Message::RequestVerification(req) => Action::Query(req),
            Message::ReplyQuerySignsForEvidence(reply) if env.sender == self.signs_for => {
                Action::Finish(reply)
            }
            Message::ReplyQuerySignsForEvidence(_) => Action::UnexpectedSender,
            m if m.is_request() => Action::NotHandled,
            _ => Action::UnexpectedReply,
        }
    }

    fn too_large(&self, data: &Signable) -> Option<Message> {
        (data.0.len() > self.max_data).then(|| {
            ReplyVerification {
                result: Err(VerificationError::DataTooLarge),
            }
            .into()
        })
    }

    fn query<B: Backend>(
        &self,
        state: &VerificationState,
        backend: &mut B,
        env: &Envelope,
        req: &RequestVerification,
    ) -> Effects {
        if let Some(refusal) = self.too_large(&req.data) {
            return Effects::send(env.reply(refusal));
        }
        let pending = Pending {
            requester: env.sender.clone(),
            correlation: env.correlation,
            target: req.external_identity.clone(),
            data: req.data.clone(),
            commitment: req.commitment.clone(),
        };
        let continuation =
            continuation::seal(&state.cookies, backend, CONTINUATION_DOMAIN, &pending);
        Effects::send(Envelope {
            sender: self.address.clone(),
            target: self.signs_for.clone(),
            correlation: continuation::correlation(&continuation),
            message: RequestQuerySignsForEvidence {
                external_identity: req.external_identity.id(),
                continuation: Some(continuation),
            }
            .into(),
        })
    }

    fn finish<B: Backend>(
        &self,
        state: &VerificationState,
        backend: &mut B,
        env: &Envelope,
        reply: &ReplyQuerySignsForEvidence,
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
        if reply.external_identity != pending.target.id() {
            return Effects::reject(env, RejectReason::SubjectMismatch);
        }
        let result = match &reply.result {
            // Never answer `false` for a query that failed (the Anoma v0.2 gap).
            Err(e) => Err(VerificationError::SignsFor(e.clone())),
            Ok(evidence) => {
                let signers = signers_for(backend, &pending.target, evidence);
                Ok(verifies(
                    backend,
                    &signers,
                    &pending.data,
                    &pending.commitment,
                ))
            }
        };
        Effects::send(Envelope {
            sender: self.address.clone(),
            target: pending.requester,
            correlation: pending.correlation,
            message: ReplyVerification { result }.into(),
        })
    }

    /// The action's effects.
    fn act<B: Backend>(
        &self,
        state: &mut VerificationState,
        backend: &mut B,
        env: &Envelope,
        action: Action<'_>,
    ) -> Effects {
        match action {
            Action::Misaddressed => Effects::reject(env, RejectReason::Misaddressed),
            Action::UnexpectedSender => Effects::reject(env, RejectReason::UnexpectedSender),
            Action::UnexpectedReply => Effects::reject(env, RejectReason::UnexpectedReply),
            Action::NotHandled => Effects::not_handled(env),
            Action::VerifyDirect(req) => {
                let reply = self.too_large(&req.data).unwrap_or_else(|| {
                    let signer = std::slice::from_ref(&req.external_identity);
                    let ok = verifies(backend, signer, &req.data, &req.commitment);
                    ReplyVerification { result: Ok(ok) }.into()
                });
                Effects::send(env.reply(reply))
            }
            Action::Query(req) => self.query(state, backend, env, req),
            Action::Finish(reply) => self.finish(state, backend, env, reply),
        }
    }
}

impl Engine for Verification {
    type State = VerificationState;

    const NAME: &'static str = "verification";

    const GUARDS: &'static [&'static str] = GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut VerificationState,
        backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        let action = self.guard(env);
        let row = action.row();
        self.act(state, backend, env, action).by(row)
    }

    fn on_event(&self, state: &mut VerificationState, event: HostEvent) -> bool {
        match event {
            HostEvent::RotateCookieKey => state.cookies.rotate(),
        }
        true
    }
}
