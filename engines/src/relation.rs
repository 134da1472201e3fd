//! The relation engine: verified evidence, revocations and closure queries, for
//! "reads for" and "signs for" alike.
//!
//! ReadsFor and SignsFor are this one engine with two domain labels
//! ([`spec::relation::Relation`]). Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. submit evidence → check shape, signature by the subject, revocations
//!    and serials; store; reply;
//! 3. submit a revocation → check the subject's signature; record it and drop
//!    the evidence it covers; reply;
//! 4. decide → A is related to B under the evidence in force; reply;
//! 5. collect → every edge on a chain into X, with the continuation echoed; reply;
//! 6. any other request → its reply with `NotHandled`; any reply → rejected.
//!
//! Submissions are idempotent (the same evidence twice is accepted twice), so a
//! duplicating network or a retrying client changes nothing.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};
use spec::effects::{Effects, RejectReason, guards};
use spec::error::MalformedStatement;
use spec::message::{RelationMessages, RelationRequest};
use spec::relation::RelationGraph;
use spec::{Address, Envelope, Evidence, IdentityId, RelationError, Revocation};

use crate::{Backend, Engine};

/// What the engine needs of a relation beyond its messages: its name and guard rows.
pub trait RelationRows: RelationMessages {
    /// The row that decides "A is related to B".
    const DECIDE: &'static str;
    /// The guard table, in the order tried.
    const GUARDS: &'static [&'static str];
}

/// The guard table of a relation whose decide row is `decide`, in the order tried.
pub(crate) const fn guards(decide: &'static str) -> [&'static str; 7] {
    [
        guards::MISADDRESSED,
        SUBMIT_EVIDENCE,
        SUBMIT_REVOCATION,
        decide,
        COLLECT,
        guards::NOT_HANDLED,
        guards::UNEXPECTED_REPLY,
    ]
}

/// Row: store a piece of evidence.
const SUBMIT_EVIDENCE: &str = "submit-evidence";
/// Row: apply a revocation.
const SUBMIT_REVOCATION: &str = "submit-revocation";
/// Row: collect the evidence into X.
const COLLECT: &str = "collect-evidence";

/// The relation engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, bound = "")]
pub struct RelationEngine<R: RelationRows> {
    /// This engine's address.
    pub address: Address,
    /// The relation it keeps; not serialised (the engine's name says it).
    #[serde(skip)]
    pub relation: PhantomData<R>,
}

impl<R: RelationRows> RelationEngine<R> {
    /// An engine at `address`.
    pub fn new(address: Address) -> Self {
        RelationEngine {
            address,
            relation: PhantomData,
        }
    }
}

/// The evidence in force and the revocations applied, keyed by (member, subject).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, bound = "")]
pub struct RelationState<R: RelationRows> {
    /// Current evidence per (member, subject).
    pub evidence: BTreeMap<(IdentityId, IdentityId), Evidence<R>>,
    /// Highest revoked serial per (member, subject).
    pub revoked: BTreeMap<(IdentityId, IdentityId), u64>,
}

impl<R: RelationRows> Default for RelationState<R> {
    fn default() -> Self {
        RelationState {
            evidence: BTreeMap::new(),
            revoked: BTreeMap::new(),
        }
    }
}

impl<R: RelationRows> RelationState<R> {
    /// The relation as it stands.
    pub fn graph(&self) -> RelationGraph<'_, R> {
        RelationGraph::new(self.evidence.values())
    }

    /// Checks and stores evidence.
    pub fn submit<B: Backend>(
        &mut self,
        backend: &B,
        ev: &Evidence<R>,
    ) -> Result<(), RelationError> {
        let edge = ev.edge();
        if edge.0 == edge.1 {
            return Err(RelationError::Malformed(MalformedStatement::SelfReference));
        }
        backend.verify(
            &ev.to_identity.verifying_key,
            &ev.signed_bytes(),
            &ev.signature,
        )?;
        if let Some(&through) = self.revoked.get(&edge)
            && ev.serial <= through
        {
            return Err(RelationError::Revoked {
                revoked_through: through,
            });
        }
        if let Some(current) = self.evidence.get(&edge)
            && current.serial > ev.serial
        {
            return Err(RelationError::Superseded {
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
        rv: &Revocation<R>,
    ) -> Result<(), RelationError> {
        let edge = rv.edge();
        if edge.0 == edge.1 {
            return Err(RelationError::Malformed(MalformedStatement::SelfReference));
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

impl<R: RelationRows> Engine for RelationEngine<R> {
    type State = RelationState<R>;

    const NAME: &'static str = R::ENGINE;

    const GUARDS: &'static [&'static str] = R::GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut RelationState<R>,
        backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        if env.target != self.address {
            return Effects::reject(env, RejectReason::Misaddressed).by(guards::MISADDRESSED);
        }
        // Row 6 (a request) or row 7 (a reply): `not_handled` tells them apart.
        let Some(request) = R::request(&env.message) else {
            return Effects::not_handled(env);
        };
        let (row, reply) = match request {
            RelationRequest::Submit(ev) => {
                (SUBMIT_EVIDENCE, R::submitted(state.submit(backend, ev)))
            }
            RelationRequest::Revoke(rv) => {
                (SUBMIT_REVOCATION, R::revoked(state.revoke(backend, rv)))
            }
            read => match read_only(state, read) {
                Some(answer) => answer,
                None => return Effects::not_handled(env),
            },
        };
        Effects::send(env.reply(reply)).by(row)
    }
}

/// The row and reply of a request that only reads the store (decide, collect); `None`
/// for a write.
fn read_only<R: RelationRows>(
    state: &RelationState<R>,
    request: RelationRequest<'_, R>,
) -> Option<(&'static str, spec::Message)> {
    Some(match request {
        RelationRequest::Decide { a, b } => {
            (R::DECIDE, R::decided(a, b, Ok(state.graph().holds(&a, &b))))
        }
        RelationRequest::Collect {
            subject,
            continuation,
        } => {
            let edges = state.graph().chains_into(&subject).into_iter().cloned();
            (
                COLLECT,
                R::answered(subject, continuation.cloned(), Ok(edges.collect())),
            )
        }
        RelationRequest::Submit(_) | RelationRequest::Revoke(_) => return None,
    })
}

impl<R: RelationRows> RelationEngine<R> {
    /// The step for a request that only reads the store, on a shared state; `None` for
    /// anything else (a write, a reply, a misaddressed envelope), which must go to the
    /// engine's own step. The runtime answers queries on the caller's thread with it.
    pub fn read_only(&self, state: &RelationState<R>, env: &Envelope) -> Option<Effects> {
        if env.target != self.address {
            return None;
        }
        let (row, reply) = read_only(state, R::request(&env.message)?)?;
        Some(Effects::send(env.reply(reply)).by(row))
    }
}
