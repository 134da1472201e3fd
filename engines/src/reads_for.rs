//! The ReadsFor engine: verified evidence, revocations, and closure queries.
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestSubmitReadsForEvidence` → check shape, signature by the subject,
//!    revocations and serials; store; `ReplySubmitReadsForEvidence`;
//! 3. `RequestSubmitReadsForRevocation` → check the subject's signature; record
//!    it and drop the evidence it covers; `ReplySubmitReadsForRevocation`;
//! 4. `RequestReadsFor` → A reads for B under the evidence in force; `ReplyReadsFor`;
//! 5. `RequestQueryReadsForEvidence` → every edge on a chain into X, with the
//!    continuation echoed; `ReplyQueryReadsForEvidence`;
//! 6. any other request → its reply with `NotHandled`; any reply → rejected.
//!
//! Submissions are idempotent (the same evidence twice is accepted twice), so a
//! duplicating network or a retrying client changes nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use spec::effects::{Effects, RejectReason, guards};
use spec::error::MalformedStatement;
use spec::message::{
    ReplyQueryReadsForEvidence, ReplyReadsFor, ReplySubmitReadsForEvidence,
    ReplySubmitReadsForRevocation,
};
use spec::relation::ReadsForGraph;
use spec::{
    Address, Envelope, IdentityId, Message, ReadsForError, ReadsForEvidence, ReadsForRevocation,
};

use crate::{Backend, Engine};

/// The ReadsFor engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadsFor {
    /// This engine's address.
    pub address: Address,
}

/// The evidence in force and the revocations applied, keyed by (reader, subject).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadsForState {
    /// Current evidence per (reader, subject).
    pub evidence: BTreeMap<(IdentityId, IdentityId), ReadsForEvidence>,
    /// Highest revoked serial per (reader, subject).
    pub revoked: BTreeMap<(IdentityId, IdentityId), u64>,
}

impl ReadsForState {
    /// The relation as it stands.
    pub fn graph(&self) -> ReadsForGraph<'_> {
        ReadsForGraph::new(self.evidence.values())
    }

    /// Checks and stores evidence.
    pub fn submit<B: Backend>(
        &mut self,
        backend: &B,
        ev: &ReadsForEvidence,
    ) -> Result<(), ReadsForError> {
        let edge = ev.edge();
        if edge.0 == edge.1 {
            return Err(ReadsForError::Malformed(MalformedStatement::SelfReference));
        }
        backend.verify(
            &ev.to_identity.verifying_key,
            &ev.signed_bytes(),
            &ev.signature,
        )?;
        if let Some(&through) = self.revoked.get(&edge)
            && ev.serial <= through
        {
            return Err(ReadsForError::Revoked {
                revoked_through: through,
            });
        }
        if let Some(current) = self.evidence.get(&edge)
            && current.serial > ev.serial
        {
            return Err(ReadsForError::Superseded {
                current: current.serial,
            });
        }
        self.evidence.insert(edge, ev.clone());
        Ok(())
    }

    /// Checks and applies a revocation.
    pub fn revoke<B: Backend>(
        &mut self,
        backend: &B,
        rv: &ReadsForRevocation,
    ) -> Result<(), ReadsForError> {
        let edge = rv.edge();
        if edge.0 == edge.1 {
            return Err(ReadsForError::Malformed(MalformedStatement::SelfReference));
        }
        backend.verify(
            &rv.to_identity.verifying_key,
            &rv.signed_bytes(),
            &rv.signature,
        )?;
        let through = self.revoked.entry(edge).or_insert(0);
        *through = (*through).max(rv.serial);
        let through = *through;
        if self
            .evidence
            .get(&edge)
            .is_some_and(|ev| ev.serial <= through)
        {
            self.evidence.remove(&edge);
        }
        Ok(())
    }
}

/// Row: store a piece of evidence.
const SUBMIT_EVIDENCE: &str = "submit-evidence";
/// Row: apply a revocation.
const SUBMIT_REVOCATION: &str = "submit-revocation";
/// Row: decide whether A reads for B.
const DECIDE: &str = "decide-reads-for";
/// Row: collect the evidence into X.
const COLLECT: &str = "collect-evidence";

/// The ReadsFor engine's guard table (docs/reads-for/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &[
    guards::MISADDRESSED,
    SUBMIT_EVIDENCE,
    SUBMIT_REVOCATION,
    DECIDE,
    COLLECT,
    guards::NOT_HANDLED,
    guards::UNEXPECTED_REPLY,
];

impl Engine for ReadsFor {
    type State = ReadsForState;

    const NAME: &'static str = "reads-for";

    const GUARDS: &'static [&'static str] = GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut ReadsForState,
        backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        if env.target != self.address {
            return Effects::reject(env, RejectReason::Misaddressed).by(guards::MISADDRESSED);
        }
        let (row, reply): (&'static str, Message) = match &env.message {
            Message::RequestSubmitReadsForEvidence(req) => (
                SUBMIT_EVIDENCE,
                ReplySubmitReadsForEvidence {
                    result: state.submit(backend, &req.evidence),
                }
                .into(),
            ),
            Message::RequestSubmitReadsForRevocation(req) => (
                SUBMIT_REVOCATION,
                ReplySubmitReadsForRevocation {
                    result: state.revoke(backend, &req.revocation),
                }
                .into(),
            ),
            Message::RequestReadsFor(req) => (
                DECIDE,
                ReplyReadsFor {
                    external_identity_a: req.external_identity_a,
                    external_identity_b: req.external_identity_b,
                    result: Ok(state
                        .graph()
                        .reads_for(&req.external_identity_a, &req.external_identity_b)),
                }
                .into(),
            ),
            Message::RequestQueryReadsForEvidence(req) => (
                COLLECT,
                ReplyQueryReadsForEvidence {
                    external_identity: req.external_identity,
                    continuation: req.continuation.clone(),
                    result: Ok(state
                        .graph()
                        .chains_into(&req.external_identity)
                        .into_iter()
                        .cloned()
                        .collect()),
                }
                .into(),
            ),
            // Row 6 (a request) or row 7 (a reply): `not_handled` tells them apart.
            _ => return Effects::not_handled(env),
        };
        Effects::send(env.reply(reply)).by(row)
    }
}
