//! The Naming engine: names to identities, through signed evidence only.
//!
//! A name is held by the one identity its evidence in force names. Who must
//! sign (the name's *authority*):
//! - a dotted name (`alice.phone`): the identity its parent (`alice`) resolves
//!   to, now; evidence vouched for by an earlier holder of the parent stops
//!   resolving when the parent changes hands;
//! - a top-level name: its holder, so only the holder can transfer it; while
//!   nobody holds it, the claimant itself.
//!
//! Conflicting claims: the first valid claim to a free top-level name holds it;
//! a later claim by another identity is refused with `NameTaken`, naming the
//! holder. A name is released by a revocation signed by its holder (or, for a
//! dotted name, by its parent's holder); serials order statements per name.
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. submit evidence → check the authority's signature, revocations and serials; store; reply;
//! 3. submit a revocation → check the holder's or the authority's signature; apply; reply;
//! 4. resolve → the one identity the name resolves to through valid evidence; reply;
//! 5. query → the evidence of every name that resolves to X; reply;
//! 6. any other request → its reply with `NotHandled`; any reply → rejected.
//!
//! Submissions are idempotent: the same evidence twice is accepted twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spec::effects::{Effects, RejectReason, guards};
use spec::message::{
    ReplyQueryNameEvidence, ReplyResolveName, ReplySubmitNameEvidence, ReplySubmitNameRevocation,
};
use spec::{
    Address, Envelope, ExternalIdentity, IdentityId, IdentityName, Message, NameEvidence,
    NameRevocation, NamingError,
};

use crate::{Backend, Engine};

/// Row: store name evidence.
const SUBMIT_EVIDENCE: &str = "submit-name-evidence";
/// Row: apply a name revocation.
const SUBMIT_REVOCATION: &str = "submit-name-revocation";
/// Row: resolve a name.
const RESOLVE: &str = "resolve-name";
/// Row: the names that resolve to X.
const QUERY: &str = "query-name-evidence";

/// The Naming engine's guard table (docs/naming/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &[
    guards::MISADDRESSED,
    SUBMIT_EVIDENCE,
    SUBMIT_REVOCATION,
    RESOLVE,
    QUERY,
    guards::NOT_HANDLED,
    guards::UNEXPECTED_REPLY,
];

/// The Naming engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Naming {
    /// This engine's address.
    pub address: Address,
}

/// Name evidence in force, with the identity whose signature made it so.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Held {
    /// The evidence.
    pub evidence: NameEvidence,
    /// The authority that signed it: for a dotted name, the parent's holder at the time.
    pub authority: IdentityId,
}

/// The evidence in force per name and the revocations applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamingState {
    /// The evidence in force per name.
    pub held: BTreeMap<IdentityName, Held>,
    /// Highest revoked serial per name.
    pub revoked: BTreeMap<IdentityName, u64>,
}

impl NamingState {
    /// The identity `name` resolves to: its evidence is in force and, for a dotted
    /// name, was signed by the identity its parent resolves to now.
    pub fn resolve(&self, name: &IdentityName) -> Result<&ExternalIdentity, NamingError> {
        let held = self.held.get(name).ok_or(NamingError::Unresolved)?;
        if let Some(parent) = name.parent() {
            let vouching = self.parent_holder(parent.clone())?;
            if vouching.id() != held.authority {
                return Err(NamingError::NotVouched { parent });
            }
        }
        Ok(&held.evidence.external_identity)
    }

    /// The identity `parent` resolves to, or `ParentUnresolved` naming it.
    fn parent_holder(&self, parent: IdentityName) -> Result<&ExternalIdentity, NamingError> {
        // Depth is at most `MAX_DEPTH`, so the recursion through `resolve` is bounded.
        self.resolve(&parent)
            .map_err(|_| NamingError::ParentUnresolved { parent })
    }

    /// The evidence of every name that resolves to `identity`, in name order.
    pub fn names_of(&self, identity: &IdentityId) -> Vec<NameEvidence> {
        self.held
            .iter()
            .filter(|(name, _)| self.resolve(name).is_ok_and(|x| x.id() == *identity))
            .map(|(_, held)| held.evidence.clone())
            .collect()
    }

    /// Checks and stores name evidence.
    pub fn submit<B: Backend>(
        &mut self,
        backend: &B,
        ev: &NameEvidence,
    ) -> Result<(), NamingError> {
        let authority = self.authority_of(backend, ev)?;
        let name = &ev.identity_name;
        if let Some(&through) = self.revoked.get(name)
            && ev.serial <= through
        {
            return Err(NamingError::Revoked {
                revoked_through: through,
            });
        }
        if let Some(current) = self.held.get(name)
            && (current.evidence.serial > ev.serial
                || (current.evidence.serial == ev.serial && current.evidence != *ev))
        {
            return Err(NamingError::Superseded {
                current: current.evidence.serial,
            });
        }
        let held = Held {
            evidence: ev.clone(),
            authority,
        };
        self.held.insert(name.clone(), held);
        Ok(())
    }

    /// The identity whose signature makes `ev` valid, or why no one's does.
    fn authority_of<B: Backend>(
        &self,
        backend: &B,
        ev: &NameEvidence,
    ) -> Result<IdentityId, NamingError> {
        let bytes = ev.signed_bytes();
        let signed_by = |key: &ExternalIdentity| {
            backend
                .verify(&key.verifying_key, &bytes, &ev.signature)
                .map(|()| key.id())
        };
        if let Some(parent) = ev.identity_name.parent() {
            let vouching = self.parent_holder(parent.clone())?;
            return signed_by(vouching).map_err(|_| NamingError::NotVouched { parent });
        }
        let Some(holder) = self.held.get(&ev.identity_name) else {
            return Ok(signed_by(&ev.external_identity)?);
        };
        let holder = &holder.evidence.external_identity;
        match signed_by(holder) {
            Ok(id) => Ok(id),
            // A claimant's own valid claim to a held name: the name is taken, say by whom.
            Err(_) if ev.named() != holder.id() && signed_by(&ev.external_identity).is_ok() => {
                Err(NamingError::NameTaken {
                    holder: holder.id(),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Checks and applies a name revocation.
    pub fn revoke<B: Backend>(
        &mut self,
        backend: &B,
        rv: &NameRevocation,
    ) -> Result<(), NamingError> {
        let name = &rv.identity_name;
        let signers = self.revokers(name)?;
        let bytes = rv.signed_bytes();
        let signed = signers.iter().any(|key| {
            backend
                .verify(&key.verifying_key, &bytes, &rv.signature)
                .is_ok()
        });
        if !signed {
            return Err(NamingError::SignatureInvalid);
        }
        let through = self.revoked.entry(name.clone()).or_insert(0);
        *through = (*through).max(rv.serial);
        let through = *through;
        if self
            .held
            .get(name)
            .is_some_and(|held| held.evidence.serial <= through)
        {
            self.held.remove(name);
        }
        Ok(())
    }

    /// Who may revoke `name`: its holder, and for a dotted name its parent's holder.
    fn revokers(&self, name: &IdentityName) -> Result<Vec<ExternalIdentity>, NamingError> {
        let mut keys: Vec<ExternalIdentity> = self
            .held
            .get(name)
            .map(|held| held.evidence.external_identity.clone())
            .into_iter()
            .collect();
        let parent = name.parent();
        if let Some(vouching) = parent.as_ref().and_then(|p| self.resolve(p).ok()) {
            keys.push(vouching.clone());
        }
        match (keys.is_empty(), parent) {
            (false, _) => Ok(keys),
            (true, Some(parent)) => Err(NamingError::ParentUnresolved { parent }),
            (true, None) => Err(NamingError::Unresolved),
        }
    }
}

impl Engine for Naming {
    type State = NamingState;

    const NAME: &'static str = "naming";

    const GUARDS: &'static [&'static str] = GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut NamingState,
        backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        if env.target != self.address {
            return Effects::reject(env, RejectReason::Misaddressed).by(guards::MISADDRESSED);
        }
        let (row, reply): (_, Message) = match &env.message {
            Message::RequestSubmitNameEvidence(r) => (
                SUBMIT_EVIDENCE,
                ReplySubmitNameEvidence {
                    result: state.submit(backend, &r.evidence),
                }
                .into(),
            ),
            Message::RequestSubmitNameRevocation(r) => (
                SUBMIT_REVOCATION,
                ReplySubmitNameRevocation {
                    result: state.revoke(backend, &r.revocation),
                }
                .into(),
            ),
            Message::RequestResolveName(r) => (
                RESOLVE,
                ReplyResolveName {
                    identity_name: r.identity_name.clone(),
                    result: state.resolve(&r.identity_name).cloned(),
                }
                .into(),
            ),
            Message::RequestQueryNameEvidence(r) => (
                QUERY,
                ReplyQueryNameEvidence {
                    external_identity: r.external_identity,
                    result: Ok(state.names_of(&r.external_identity)),
                }
                .into(),
            ),
            // Row 6 (a request) or row 7 (a reply): `not_handled` tells them apart.
            _ => return Effects::not_handled(env),
        };
        Effects::send(env.reply(reply)).by(row)
    }
}
