//! The Identity Management engine: generates, derives, rotates, connects and deletes identities.
//!
//! It holds no secrets: keys are generated, rotated and erased inside the
//! vault (the Decryption engine), which answers with public identities and
//! signed evidence that this engine submits to the ReadsFor engine.
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestGenerateIdentity` → `RequestGenerateKey` to the vault, with the
//!    requested capabilities;
//! 3. `RequestDeriveZoneIdentity` (owner of the master only) → `RequestGenerateKey`
//!    with the master as reader and the requested capabilities, then
//!    `RequestSubmitReadsForEvidence`;
//! 4. `RequestRotateIdentity` (owner only) → `RequestRotateKey`, then
//!    `RequestSubmitReadsForEvidence` ("new reads for old"); the new identity
//!    keeps the old one's capabilities;
//! 5. `RequestDeleteIdentity` (owner only) → `RequestDeleteKey`;
//! 6. `RequestConnectIdentity` (owner only, asking for no capability the
//!    identity lacks) → the vault's address at once;
//! 7. the vault's and ReadsFor engine's replies advance the pending operation
//!    their correlation id names; unknown ones are rejected;
//! 8. any other request → its reply with `NotHandled`.
//!
//! Every step that fails answers the original requester with a typed error.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use spec::effects::{Effects, RejectReason, guards};
use spec::message::{
    GeneratedKey, ReplyConnectIdentity, ReplyDeleteIdentity, ReplyDeriveZoneIdentity,
    ReplyGenerateIdentity, ReplyRotateIdentity, RequestConnectIdentity, RequestDeleteKey,
    RequestGenerateKey, RequestRotateKey, RequestSubmitReadsForEvidence,
};
use spec::{
    Address, Capabilities, CorrelationId, DecryptionError, Envelope, ExternalIdentity,
    IdentityError, IdentityId, Message,
};

use crate::{Backend, Engine};

/// Longest zone name, in bytes.
pub const MAX_ZONE_NAME: usize = 64;

/// The Identity Management engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityManagement {
    /// This engine's address.
    pub address: Address,
    /// The vault that holds the keys.
    pub vault: Address,
    /// The ReadsFor engine that receives the evidence.
    pub reads_for: Address,
}

/// An identity this engine manages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Managed {
    /// The engine that owns it: the only one that may derive, rotate, connect or delete.
    pub owner: Address,
    /// Its public half.
    pub identity: ExternalIdentity,
    /// Zone names taken under it (including ones being derived).
    pub zones: BTreeSet<String>,
    /// What its keys may be used for, as the vault was asked to record; left out when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
}

/// What an outstanding request to the vault or the ReadsFor engine is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Operation {
    /// Generating a master identity.
    Generate,
    /// Generating a zone's key under `master`.
    ZoneKey {
        /// The master.
        master: IdentityId,
        /// The zone name.
        name: String,
    },
    /// Submitting "master reads for zone" evidence.
    ZoneEvidence {
        /// The master.
        master: IdentityId,
        /// The zone name.
        name: String,
        /// The new zone identity.
        zone: ExternalIdentity,
    },
    /// Rotating `old`'s key.
    RotateKey {
        /// The identity being rotated.
        old: IdentityId,
    },
    /// Submitting "new reads for old" evidence.
    RotateEvidence {
        /// The new identity.
        new: ExternalIdentity,
    },
    /// Erasing `identity`'s keys.
    Delete {
        /// The identity being deleted.
        identity: IdentityId,
    },
}

/// A client request waiting on the vault or the ReadsFor engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pending {
    /// Who asked.
    pub requester: Address,
    /// Their correlation id.
    pub correlation: CorrelationId,
    /// What the outstanding request is for.
    pub operation: Operation,
    /// The capabilities of the identity the operation makes (requested, or the rotated
    /// identity's); left out when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
}

/// Managed identities and outstanding operations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityManagementState {
    /// Identities by id.
    pub identities: BTreeMap<IdentityId, Managed>,
    /// Outstanding requests by the correlation id this engine gave them.
    pub pending: BTreeMap<CorrelationId, Pending>,
    /// The next correlation id this engine uses.
    pub next_correlation: u64,
}

impl IdentityManagementState {
    /// Records `identity` as managed here, owned by `owner`, with `capabilities`.
    fn manage(&mut self, owner: &Address, identity: &ExternalIdentity, capabilities: Capabilities) {
        self.identities.insert(
            identity.id(),
            Managed {
                owner: owner.clone(),
                identity: identity.clone(),
                zones: BTreeSet::new(),
                capabilities,
            },
        );
    }
}

impl Operation {
    /// The reply that tells the requester this operation failed.
    fn failure(&self, err: IdentityError) -> Message {
        match self {
            Operation::Generate => ReplyGenerateIdentity { result: Err(err) }.into(),
            Operation::ZoneKey { .. } | Operation::ZoneEvidence { .. } => {
                ReplyDeriveZoneIdentity { result: Err(err) }.into()
            }
            Operation::RotateKey { .. } | Operation::RotateEvidence { .. } => {
                ReplyRotateIdentity { result: Err(err) }.into()
            }
            Operation::Delete { .. } => ReplyDeleteIdentity { result: Err(err) }.into(),
        }
    }
}

/// The next step of a pending operation.
enum Next {
    /// Answer the requester.
    Answer(Message),
    /// Send a further request and keep waiting.
    Ask(Address, Message, Operation),
}

impl IdentityManagement {
    /// An engine at `address` using `vault` and `reads_for`.
    pub fn new(address: Address, vault: Address, reads_for: Address) -> Self {
        IdentityManagement {
            address,
            vault,
            reads_for,
        }
    }

    fn owned<'s>(
        state: &'s IdentityManagementState,
        id: &IdentityId,
        requester: &Address,
    ) -> Result<&'s Managed, IdentityError> {
        let managed = state
            .identities
            .get(id)
            .ok_or(IdentityError::UnknownIdentity)?;
        if &managed.owner == requester {
            Ok(managed)
        } else {
            Err(IdentityError::NotOwner)
        }
    }

    /// Sends `message` to `to` on behalf of `env`'s requester and remembers why, and the
    /// capabilities of the identity the operation makes.
    fn ask(
        &self,
        state: &mut IdentityManagementState,
        env: &Envelope,
        to: &Address,
        message: Message,
        (operation, capabilities): (Operation, Capabilities),
    ) -> Effects {
        let correlation = CorrelationId(state.next_correlation);
        state.next_correlation += 1;
        state.pending.insert(
            correlation,
            Pending {
                requester: env.sender.clone(),
                correlation: env.correlation,
                operation,
                capabilities,
            },
        );
        Effects::send(Envelope {
            sender: self.address.clone(),
            target: to.clone(),
            correlation,
            message,
        })
    }

    /// Asks the vault on behalf of `identity`'s owner; anyone else gets the operation's refusal.
    /// The identity's capabilities go with the operation, so a rotation keeps them.
    fn ask_vault_as_owner(
        &self,
        state: &mut IdentityManagementState,
        env: &Envelope,
        identity: IdentityId,
        message: Message,
        operation: Operation,
    ) -> Effects {
        match Self::owned(state, &identity, &env.sender) {
            Ok(managed) => {
                let why = (operation, managed.capabilities);
                self.ask(state, env, &self.vault.clone(), message, why)
            }
            Err(e) => Effects::send(env.reply(operation.failure(e))),
        }
    }

    /// Row 3: derive a zone under a master the requester owns, if the name is valid and free.
    fn derive_zone(
        &self,
        state: &mut IdentityManagementState,
        env: &Envelope,
        req: &spec::message::RequestDeriveZoneIdentity,
    ) -> Effects {
        let requester = &env.sender;
        let refused = |m: Message| Effects::send(env.reply(m));
        let master = match Self::owned(state, &req.master, requester) {
            Ok(m) => m,
            Err(e) => return refused(ReplyDeriveZoneIdentity { result: Err(e) }.into()),
        };
        let name_ok = !req.zone.is_empty()
            && req.zone.len() <= MAX_ZONE_NAME
            && !master.zones.contains(&req.zone);
        if !name_ok {
            return refused(
                ReplyDeriveZoneIdentity {
                    result: Err(IdentityError::InvalidZone),
                }
                .into(),
            );
        }
        let m = RequestGenerateKey {
            owner: requester.clone(),
            read_by: Some(master.identity.clone()),
            capabilities: req.capabilities,
        };
        // Reserve the name now, so two concurrent derivations cannot both take it.
        if let Some(master) = state.identities.get_mut(&req.master) {
            master.zones.insert(req.zone.clone());
        }
        let op = Operation::ZoneKey {
            master: req.master,
            name: req.zone.clone(),
        };
        let why = (op, req.capabilities);
        self.ask(state, env, &self.vault.clone(), m.into(), why)
    }

    /// Row 6: the vault's address, for the owner, if the identity has every capability asked for.
    fn connect(
        &self,
        state: &IdentityManagementState,
        requester: &Address,
        req: &RequestConnectIdentity,
    ) -> Message {
        let result = Self::owned(state, &req.external_identity, requester).and_then(|managed| {
            if managed.capabilities.contains(req.capabilities) {
                Ok(self.vault.clone())
            } else {
                Err(IdentityError::MissingCapability {
                    requested: req.capabilities,
                    granted: managed.capabilities,
                })
            }
        });
        ReplyConnectIdentity { result }.into()
    }

    fn request(&self, state: &mut IdentityManagementState, env: &Envelope) -> Effects {
        let requester = &env.sender;
        let refused = |m: Message| Effects::send(env.reply(m));
        match &env.message {
            Message::RequestGenerateIdentity(req) => {
                let m = RequestGenerateKey {
                    owner: requester.clone(),
                    read_by: None,
                    capabilities: req.capabilities,
                };
                let why = (Operation::Generate, req.capabilities);
                self.ask(state, env, &self.vault.clone(), m.into(), why)
                    .by(GENERATE)
            }
            Message::RequestDeriveZoneIdentity(req) => {
                self.derive_zone(state, env, req).by(DERIVE_ZONE)
            }
            Message::RequestRotateIdentity(req) => {
                let m = RequestRotateKey {
                    external_identity: req.external_identity,
                };
                let op = Operation::RotateKey {
                    old: req.external_identity,
                };
                self.ask_vault_as_owner(state, env, req.external_identity, m.into(), op)
                    .by(ROTATE)
            }
            Message::RequestDeleteIdentity(req) => {
                let m = RequestDeleteKey {
                    external_identity: req.external_identity,
                };
                let op = Operation::Delete {
                    identity: req.external_identity,
                };
                self.ask_vault_as_owner(state, env, req.external_identity, m.into(), op)
                    .by(DELETE)
            }
            Message::RequestConnectIdentity(req) => {
                refused(self.connect(state, requester, req)).by(CONNECT)
            }
            _ => Effects::not_handled(env),
        }
    }

    /// Advances a pending operation with the vault's or the ReadsFor engine's reply.
    /// The next step of `pending`'s operation given `message`; `None` if it does not wait for it.
    fn advance(
        &self,
        state: &mut IdentityManagementState,
        pending: &Pending,
        message: &Message,
    ) -> Option<Next> {
        let vault_error = |e: &DecryptionError| IdentityError::Vault(e.clone());
        Some(match (&pending.operation, message) {
            (Operation::Generate, Message::ReplyGenerateKey(r)) => match &r.result {
                Ok(GeneratedKey { identity, .. }) => {
                    state.manage(&pending.requester, identity, pending.capabilities);
                    Next::Answer(
                        ReplyGenerateIdentity {
                            result: Ok(identity.clone()),
                        }
                        .into(),
                    )
                }
                Err(e) => Next::Answer(pending.operation.failure(vault_error(e))),
            },
            (Operation::ZoneKey { master, name }, Message::ReplyGenerateKey(r)) => {
                self.submit(pending, &r.result, |zone| Operation::ZoneEvidence {
                    master: *master,
                    name: name.clone(),
                    zone,
                })
            }
            (Operation::ZoneEvidence { zone, .. }, Message::ReplySubmitReadsForEvidence(r)) => {
                stored(state, pending, &r.result, zone, |result| {
                    ReplyDeriveZoneIdentity { result }.into()
                })
            }
            (Operation::RotateKey { .. }, Message::ReplyRotateKey(r)) => {
                self.submit(pending, &r.result, |new| Operation::RotateEvidence { new })
            }
            (Operation::RotateEvidence { new }, Message::ReplySubmitReadsForEvidence(r)) => {
                stored(state, pending, &r.result, new, |result| {
                    ReplyRotateIdentity { result }.into()
                })
            }
            (Operation::Delete { identity }, Message::ReplyDeleteKey(r)) => match &r.result {
                Ok(()) => {
                    state.identities.remove(identity);
                    Next::Answer(ReplyDeleteIdentity { result: Ok(()) }.into())
                }
                Err(e) => Next::Answer(pending.operation.failure(vault_error(e))),
            },
            _ => return None,
        })
    }

    /// A key the vault generated with evidence: submit the evidence to ReadsFor next.
    fn submit(
        &self,
        pending: &Pending,
        result: &Result<GeneratedKey, DecryptionError>,
        then: impl FnOnce(ExternalIdentity) -> Operation,
    ) -> Next {
        match result {
            Ok(GeneratedKey {
                identity,
                evidence: Some(evidence),
            }) => Next::Ask(
                self.reads_for.clone(),
                RequestSubmitReadsForEvidence {
                    evidence: evidence.clone(),
                }
                .into(),
                then(identity.clone()),
            ),
            // The vault must sign evidence for a zone or a rotation; without it, nothing to submit.
            Ok(_) => Next::Answer(
                pending
                    .operation
                    .failure(IdentityError::Vault(DecryptionError::NotHandled)),
            ),
            Err(e) => Next::Answer(pending.operation.failure(IdentityError::Vault(e.clone()))),
        }
    }

    fn reply(&self, state: &mut IdentityManagementState, env: &Envelope) -> Effects {
        if env.sender != self.vault && env.sender != self.reads_for {
            return Effects::reject(env, RejectReason::UnexpectedSender).by(UNEXPECTED_SENDER);
        }
        let Some(pending) = state.pending.get(&env.correlation).cloned() else {
            return Effects::reject(env, RejectReason::NoPendingRequest).by(NO_PENDING);
        };
        let Some(next) = self.advance(state, &pending, &env.message) else {
            return Effects::reject(env, RejectReason::UnexpectedReply).by(NOT_AWAITED);
        };
        state.pending.remove(&env.correlation);
        let effects = match next {
            Next::Answer(message) => {
                if let Some(err_release) = zone_to_release(&pending.operation, &message) {
                    // A failed derivation frees its zone name again.
                    if let Some(master) = state.identities.get_mut(&err_release.0) {
                        master.zones.remove(&err_release.1);
                    }
                }
                Effects::send(Envelope {
                    sender: self.address.clone(),
                    target: pending.requester,
                    correlation: pending.correlation,
                    message,
                })
            }
            Next::Ask(to, message, operation) => {
                let origin = Envelope {
                    sender: pending.requester,
                    target: self.address.clone(),
                    correlation: pending.correlation,
                    message: message.clone(),
                };
                self.ask(
                    state,
                    &origin,
                    &to,
                    message,
                    (operation, pending.capabilities),
                )
            }
        };
        effects.by(ADVANCE)
    }
}

/// The evidence for `identity` is stored: the requester now manages it, and gets `answer`.
fn stored(
    state: &mut IdentityManagementState,
    pending: &Pending,
    result: &Result<(), spec::RelationError>,
    identity: &ExternalIdentity,
    answer: impl FnOnce(Result<ExternalIdentity, IdentityError>) -> Message,
) -> Next {
    match result {
        Ok(()) => {
            state.manage(&pending.requester, identity, pending.capabilities);
            Next::Answer(answer(Ok(identity.clone())))
        }
        Err(e) => Next::Answer(
            pending
                .operation
                .failure(IdentityError::ReadsFor(e.clone())),
        ),
    }
}

/// The (master, zone name) a failed derivation reserved, if `answer` is that failure.
fn zone_to_release(operation: &Operation, answer: &Message) -> Option<(IdentityId, String)> {
    let failed = matches!(answer, Message::ReplyDeriveZoneIdentity(r) if r.result.is_err());
    match operation {
        Operation::ZoneKey { master, name } | Operation::ZoneEvidence { master, name, .. }
            if failed =>
        {
            Some((*master, name.clone()))
        }
        _ => None,
    }
}

/// Row: generate a master identity.
const GENERATE: &str = "generate";
/// Row: derive a zone identity.
const DERIVE_ZONE: &str = "derive-zone";
/// Row: rotate an identity's encryption key.
const ROTATE: &str = "rotate";
/// Row: delete an identity.
const DELETE: &str = "delete";
/// Row: say which vault serves an identity.
const CONNECT: &str = "connect";
/// Row: a reply from neither the vault nor the ReadsFor engine.
const UNEXPECTED_SENDER: &str = "unexpected-sender";
/// Row: a reply whose correlation id names no pending operation.
const NO_PENDING: &str = "no-pending-request";
/// Row: a reply the pending operation does not wait for.
const NOT_AWAITED: &str = "reply-not-awaited";
/// Row: a reply that advances its operation.
const ADVANCE: &str = "advance";

/// Identity Management's guard table (docs/identity-management/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &[
    guards::MISADDRESSED,
    GENERATE,
    DERIVE_ZONE,
    ROTATE,
    DELETE,
    CONNECT,
    guards::NOT_HANDLED,
    UNEXPECTED_SENDER,
    NO_PENDING,
    NOT_AWAITED,
    ADVANCE,
];

impl Engine for IdentityManagement {
    type State = IdentityManagementState;

    const NAME: &'static str = "identity-management";

    const GUARDS: &'static [&'static str] = GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut IdentityManagementState,
        _backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        if env.target != self.address {
            return Effects::reject(env, RejectReason::Misaddressed).by(guards::MISADDRESSED);
        }
        if env.message.is_request() {
            self.request(state, env)
        } else {
            self.reply(state, env)
        }
    }
}
