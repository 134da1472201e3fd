//! What an engine step produces: messages to send, and rejections to record.

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::envelope::{CorrelationId, Envelope};

/// Why an engine refused a message it cannot reply to (a reply nobody asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RejectReason {
    /// A reply from an engine this one never queries.
    UnexpectedSender,
    /// A reply to no request this engine has outstanding.
    NoPendingRequest,
    /// A reply of a kind this engine never asks for.
    UnexpectedReply,
    /// An envelope whose target is another engine.
    Misaddressed,
    /// A continuation that opens under none of this engine's cookie keys.
    ContinuationInvalid,
    /// A continuation sealed under a cookie key that has been rotated out.
    ContinuationExpired,
    /// A reply whose echoed subject differs from the one its continuation was made for.
    SubjectMismatch,
}

/// A message an engine dropped, kept as an explicit record instead of vanishing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rejection {
    /// Who sent the dropped message.
    pub sender: Address,
    /// Its correlation id.
    pub correlation: CorrelationId,
    /// Its constructor name.
    pub message: String,
    /// Why it was dropped.
    pub reason: RejectReason,
}

impl Rejection {
    /// Records that `env` was dropped for `reason`.
    pub fn of(env: &Envelope, reason: RejectReason) -> Self {
        Rejection {
            sender: env.sender.clone(),
            correlation: env.correlation,
            message: env.message.name().to_owned(),
            reason,
        }
    }
}

/// The outputs of one engine step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Envelopes to send, in order.
    pub send: Vec<Envelope>,
    /// Messages dropped, with why.
    pub rejected: Vec<Rejection>,
    /// The row of the engine's guard table that chose the action (one of its `GUARDS`);
    /// empty only for effects no engine step made.
    pub guard: &'static str,
}

/// Every rejection reason, as the wire and the docs name it, in declaration order.
pub fn reject_reasons() -> &'static [&'static str] {
    crate::fields::variants_of::<RejectReason>()
}

/// Guard-table rows every engine has, with the same id everywhere.
pub mod guards {
    /// The envelope is for another address.
    pub const MISADDRESSED: &str = "misaddressed";
    /// A request the engine does not handle: answered with its family's `NotHandled`.
    pub const NOT_HANDLED: &str = "not-handled";
    /// A reply no guard takes: recorded as `UnexpectedReply`.
    pub const UNEXPECTED_REPLY: &str = "unexpected-reply";
}

impl Effects {
    /// No effects.
    pub fn none() -> Self {
        Effects::default()
    }

    /// One envelope to send.
    pub fn send(env: Envelope) -> Self {
        Effects {
            send: vec![env],
            rejected: Vec::new(),
            guard: "",
        }
    }

    /// A message the engine has no guard for: a request gets its reply with a
    /// `NotHandled` error; a reply nobody asked for is recorded as a rejection.
    pub fn not_handled(env: &Envelope) -> Self {
        match env.message.not_handled_reply() {
            Some(reply) => Effects::send(env.reply(reply)).by(guards::NOT_HANDLED),
            None => {
                Effects::reject(env, RejectReason::UnexpectedReply).by(guards::UNEXPECTED_REPLY)
            }
        }
    }

    /// The same effects, chosen by guard-table row `guard`.
    pub fn by(mut self, guard: &'static str) -> Self {
        self.guard = guard;
        self
    }

    /// One rejection to record.
    pub fn reject(env: &Envelope, reason: RejectReason) -> Self {
        Effects {
            send: Vec::new(),
            rejected: vec![Rejection::of(env, reason)],
            guard: "",
        }
    }
}
