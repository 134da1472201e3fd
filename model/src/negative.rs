//! Designs the seeds and the Anoma specification warn against, modelled so the checker can
//! show how they fail. None of this is Sealwright's engine code: each is the design as its
//! source describes it, small enough to read next to its counterexample.
//!
//! A negative design is a pure step function: it returns its next state (if it changed) and
//! the messages it sends, by actor index; the actor wrapper puts them on the network.

use std::collections::{BTreeMap, BTreeSet};

use engines::Backend;
use engines::backend::symbolic::SymbolicBackend;
use engines::encryption::recipients_for;
use engines::identity::InternalIdentity;
use engines::verification::{signers_for, verifies};
use spec::message::{
    Commitment, Plaintext, ReplyCommitment, ReplyEncrypt, ReplyResolveName,
    ReplySubmitNameEvidence, ReplyVerification, RequestQueryReadsForEvidence,
    RequestQuerySignsForEvidence, RequestVerification,
};
use spec::{
    Address, CorrelationId, Envelope, ExternalIdentity, IdentityId, IdentityName, Message,
    NamingError,
};

use crate::vocab::{LegacyMsg, ModelMsg, index_of};

/// A negative design's actor.
#[derive(Clone, Debug)]
pub enum NegativeNode {
    /// Seed 000: a crypto engine with one shared context, driven by a task queue.
    SharedContextEngine,
    /// Seed 000: a user that queues "switch to my context" then "encrypt my file".
    SharedContextUser {
        /// Who it is.
        owner: u8,
        /// The engine's actor index.
        engine: usize,
    },
    /// Seed 003: the group's ordered log, applying removals and key rotations.
    GroupLog {
        /// The initial members.
        members: Vec<u8>,
        /// Compute recipients when the rotation is applied (the fix) instead of trusting the list.
        recipients_at_apply: bool,
    },
    /// Seed 003: a writer that removes a member and then rotates to the members it knows of.
    GroupWriter {
        /// The log's actor index.
        log: usize,
        /// Its operations, in order.
        ops: Vec<LegacyMsg>,
    },
    /// The Anoma specification's v0.2 Encryption engine: pending requests per identity.
    V02Encryption {
        /// Its address.
        address: Address,
        /// The ReadsFor engine's address.
        reads_for: Address,
    },
    /// The Anoma specification's v0.2 Verification engine: pending requests per identity.
    V02Verification {
        /// Its address.
        address: Address,
        /// The SignsFor engine's address.
        signs_for: Address,
    },
    /// The Anoma specification's v0.2 Naming engine: an append-only store, evidence as an axiom.
    V02Naming,
    /// A Commitment engine without domain separation: it signs the bytes it is given.
    RawSigner {
        /// The identity it signs as.
        signer: Box<InternalIdentity>,
        /// The only requester it serves.
        owner: Address,
    },
}

/// A v0.2 pending verification.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct V02Verifying {
    requester: Address,
    correlation: CorrelationId,
    request: RequestVerification,
}

/// A v0.2 pending request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct V02Pending {
    requester: Address,
    correlation: CorrelationId,
    target: ExternalIdentity,
    data: Plaintext,
}

/// A negative design's state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NegativeState {
    /// The shared context.
    SharedContext(Option<u8>),
    /// A user or a writer (stateless after sending).
    Sender,
    /// The group: members, who holds the current key, and removed members who received it.
    Group {
        /// Current members.
        members: BTreeSet<u8>,
        /// Holders of the current key.
        key_holders: BTreeSet<u8>,
        /// Members that had been removed when they received a key.
        leaked_to: BTreeSet<u8>,
    },
    /// The v0.2 engine's pending map.
    V02(BTreeMap<IdentityId, Vec<V02Pending>>, SymbolicBackend),
    /// The v0.2 Verification engine's pending map.
    V02Verify(BTreeMap<IdentityId, Vec<V02Verifying>>, SymbolicBackend),
    /// The v0.2 Naming engine's store: every identity ever claimed for each name, in order.
    V02Names(BTreeMap<IdentityName, Vec<ExternalIdentity>>),
}

/// Messages to send, by receiving actor index.
pub type Sends = Vec<(usize, ModelMsg)>;

impl NegativeNode {
    /// The initial state and what is sent at once (users and writers send everything).
    pub fn start(&self, me: usize) -> (NegativeState, Sends) {
        match self {
            NegativeNode::SharedContextEngine => (NegativeState::SharedContext(None), Vec::new()),
            NegativeNode::SharedContextUser { owner, engine } => {
                // Queued back to back, as the seed's task queue does.
                let owner = *owner;
                let sends = vec![
                    (*engine, ModelMsg::Legacy(LegacyMsg::Switch { owner })),
                    (*engine, ModelMsg::Legacy(LegacyMsg::EncryptFile { owner })),
                ];
                (NegativeState::Sender, sends)
            }
            NegativeNode::GroupLog { members, .. } => {
                let members: BTreeSet<u8> = members.iter().copied().collect();
                let state = NegativeState::Group {
                    key_holders: members.clone(),
                    members,
                    leaked_to: BTreeSet::new(),
                };
                (state, Vec::new())
            }
            NegativeNode::GroupWriter { log, ops } => {
                let sends = ops
                    .iter()
                    .map(|op| (*log, ModelMsg::Legacy(op.clone())))
                    .collect();
                (NegativeState::Sender, sends)
            }
            NegativeNode::V02Encryption { .. } => (
                NegativeState::V02(BTreeMap::new(), SymbolicBackend::new(me as u64)),
                Vec::new(),
            ),
            NegativeNode::V02Verification { .. } => (
                NegativeState::V02Verify(BTreeMap::new(), SymbolicBackend::new(me as u64)),
                Vec::new(),
            ),
            NegativeNode::V02Naming => (NegativeState::V02Names(BTreeMap::new()), Vec::new()),
            NegativeNode::RawSigner { .. } => (NegativeState::Sender, Vec::new()),
        }
    }

    /// Handles a message from actor `src`: the next state if it changed, and what is sent.
    pub fn step(
        &self,
        state: &NegativeState,
        src: usize,
        msg: ModelMsg,
    ) -> (Option<NegativeState>, Sends) {
        match (self, state, msg) {
            (
                NegativeNode::SharedContextEngine,
                NegativeState::SharedContext(ctx),
                ModelMsg::Legacy(m),
            ) => shared_context(*ctx, src, m),
            (
                NegativeNode::GroupLog {
                    recipients_at_apply,
                    ..
                },
                NegativeState::Group {
                    members,
                    key_holders,
                    leaked_to,
                },
                ModelMsg::Legacy(m),
            ) => (
                group_log(*recipients_at_apply, members, key_holders, leaked_to, m),
                Vec::new(),
            ),
            (
                NegativeNode::V02Encryption { address, reads_for },
                NegativeState::V02(pending, backend),
                ModelMsg::Spec(env, _),
            ) => v02(address, reads_for, pending, backend, env),
            (
                NegativeNode::V02Verification { address, signs_for },
                NegativeState::V02Verify(pending, backend),
                ModelMsg::Spec(env, _),
            ) => v02_verification(address, signs_for, pending, backend, env),
            (NegativeNode::V02Naming, NegativeState::V02Names(store), ModelMsg::Spec(env, _)) => {
                v02_naming(store, &env)
            }
            (NegativeNode::RawSigner { signer, owner }, _, ModelMsg::Spec(env, _)) => {
                (None, raw_signer(signer, owner, &env))
            }
            _ => (None, Vec::new()),
        }
    }
}

/// Seed 000's engine: switches its one context, or encrypts under whatever is active.
fn shared_context(ctx: Option<u8>, src: usize, m: LegacyMsg) -> (Option<NegativeState>, Sends) {
    match m {
        LegacyMsg::Switch { owner } if ctx != Some(owner) => {
            (Some(NegativeState::SharedContext(Some(owner))), Vec::new())
        }
        LegacyMsg::EncryptFile { owner } => {
            // The flaw: the file is encrypted under whatever context is active now.
            let reply = LegacyMsg::Encrypted {
                owner,
                context: ctx,
            };
            (None, vec![(src, ModelMsg::Legacy(reply))])
        }
        _ => (None, Vec::new()),
    }
}

/// Seed 003's log: applies a removal or a rotation in the order it receives them.
fn group_log(
    at_apply: bool,
    members: &BTreeSet<u8>,
    key_holders: &BTreeSet<u8>,
    leaked_to: &BTreeSet<u8>,
    m: LegacyMsg,
) -> Option<NegativeState> {
    let mut members = members.clone();
    let mut leaked_to = leaked_to.clone();
    let key_holders = match m {
        LegacyMsg::RemoveMember(member) => {
            members.remove(&member);
            key_holders.clone()
        }
        LegacyMsg::RotateKey { recipients } => {
            let holders: BTreeSet<u8> = if at_apply {
                members.clone()
            } else {
                // The flaw: the list was computed before this point in the order.
                recipients.into_iter().collect()
            };
            leaked_to.extend(holders.difference(&members).copied());
            holders
        }
        _ => return None,
    };
    Some(NegativeState::Group {
        members,
        key_holders,
        leaked_to,
    })
}

/// The v0.2 engine: one pending queue per identity, errors ignored, no retry.
fn v02(
    me: &Address,
    reads_for: &Address,
    pending: &BTreeMap<IdentityId, Vec<V02Pending>>,
    backend: &SymbolicBackend,
    env: Envelope,
) -> (Option<NegativeState>, Sends) {
    let mut pending = pending.clone();
    let mut backend = backend.clone();
    let mut out: Vec<Envelope> = Vec::new();
    match &env.message {
        Message::RequestEncrypt(req) if !req.use_reads_for => {
            let result = backend.seal(std::slice::from_ref(&req.external_identity), &req.data.0);
            out.push(env.reply(ReplyEncrypt { result }));
        }
        Message::RequestEncrypt(req) => {
            let target = req.external_identity.id();
            let queue = pending.entry(target).or_default();
            // The flaw (gap 2): only the first request for an identity asks;
            // the rest wait behind it, with no timer and no retry.
            if queue.is_empty() {
                out.push(Envelope {
                    sender: me.clone(),
                    target: reads_for.clone(),
                    correlation: CorrelationId(backend.fresh_u64()),
                    message: RequestQueryReadsForEvidence {
                        external_identity: target,
                        continuation: None,
                    }
                    .into(),
                });
            }
            queue.push(V02Pending {
                requester: env.sender.clone(),
                correlation: env.correlation,
                target: req.external_identity.clone(),
                data: req.data.clone(),
            });
        }
        Message::ReplyQueryReadsForEvidence(reply) if &env.sender == reads_for => {
            // Gap 4: a reply with nothing pending is dropped.
            let waiting = pending.remove(&reply.external_identity).unwrap_or_default();
            // The flaw (gap 1): the error is ignored; an empty evidence list is used.
            let evidence = reply.result.clone().unwrap_or_default();
            for p in waiting {
                let recipients = recipients_for(&p.target, &evidence);
                let result = backend.seal(&recipients, &p.data.0);
                out.push(Envelope {
                    sender: me.clone(),
                    target: p.requester,
                    correlation: p.correlation,
                    message: ReplyEncrypt { result }.into(),
                });
            }
        }
        _ => return (None, Vec::new()),
    }
    (Some(NegativeState::V02(pending, backend)), to_sends(out))
}

/// Envelopes to send, by the receiving actor's index.
fn to_sends(out: Vec<Envelope>) -> Sends {
    out.into_iter()
        .filter_map(|e| Some((index_of(&e.target)?, ModelMsg::Spec(e, ""))))
        .collect()
}

/// The v0.2 Verification engine: one pending queue per identity, the SignsFor error ignored.
fn v02_verification(
    me: &Address,
    signs_for: &Address,
    pending: &BTreeMap<IdentityId, Vec<V02Verifying>>,
    backend: &SymbolicBackend,
    env: Envelope,
) -> (Option<NegativeState>, Sends) {
    let mut pending = pending.clone();
    let mut backend = backend.clone();
    let mut out: Vec<Envelope> = Vec::new();
    match &env.message {
        Message::RequestVerification(req) if !req.use_signs_for => {
            let signer = std::slice::from_ref(&req.external_identity);
            let ok = verifies(&backend, signer, &req.data, &req.commitment);
            out.push(env.reply(ReplyVerification { result: Ok(ok) }));
        }
        Message::RequestVerification(req) => {
            let target = req.external_identity.id();
            let queue = pending.entry(target).or_default();
            // The flaw: only the first request for an identity asks; the rest wait behind it.
            if queue.is_empty() {
                let query = RequestQuerySignsForEvidence {
                    external_identity: target,
                    continuation: None,
                };
                out.push(Envelope {
                    sender: me.clone(),
                    target: signs_for.clone(),
                    correlation: CorrelationId(backend.fresh_u64()),
                    message: query.into(),
                });
            }
            queue.push(V02Verifying {
                requester: env.sender.clone(),
                correlation: env.correlation,
                request: req.clone(),
            });
        }
        Message::ReplyQuerySignsForEvidence(reply) if &env.sender == signs_for => {
            let waiting = pending.remove(&reply.external_identity).unwrap_or_default();
            // The flaw: the error is ignored, and the verification answers as if nobody signed.
            let evidence = reply.result.clone().unwrap_or_default();
            for p in waiting {
                let signers = signers_for(&backend, &p.request.external_identity, &evidence);
                let ok = verifies(&backend, &signers, &p.request.data, &p.request.commitment);
                out.push(Envelope {
                    sender: me.clone(),
                    target: p.requester,
                    correlation: p.correlation,
                    message: ReplyVerification { result: Ok(ok) }.into(),
                });
            }
        }
        _ => return (None, Vec::new()),
    }
    (
        Some(NegativeState::V02Verify(pending, backend)),
        to_sends(out),
    )
}

/// A Commitment engine that signs the bytes it is given, with no domain label: a signing oracle.
/// The v0.2 Naming engine: stores every claim unchecked and resolves a name to its first.
fn v02_naming(
    store: &BTreeMap<IdentityName, Vec<ExternalIdentity>>,
    env: &Envelope,
) -> (Option<NegativeState>, Sends) {
    match &env.message {
        Message::RequestSubmitNameEvidence(req) => {
            // The flaws: no signature is checked, a dotted name's parent is never asked, and
            // nothing is ever removed.
            let mut next = store.clone();
            let ev = &req.evidence;
            let held = next.entry(ev.identity_name.clone()).or_default();
            held.push(ev.external_identity.clone());
            let reply = env.reply(ReplySubmitNameEvidence { result: Ok(()) });
            (Some(NegativeState::V02Names(next)), to_sends(vec![reply]))
        }
        Message::RequestResolveName(req) => {
            let first = store.get(&req.identity_name).and_then(|ids| ids.first());
            let reply = env.reply(ReplyResolveName {
                identity_name: req.identity_name.clone(),
                result: first.cloned().ok_or(NamingError::Unresolved),
            });
            (None, to_sends(vec![reply]))
        }
        _ => (None, Vec::new()),
    }
}

fn raw_signer(signer: &InternalIdentity, owner: &Address, env: &Envelope) -> Sends {
    let Message::RequestCommitment(req) = &env.message else {
        return Vec::new();
    };
    if &env.sender != owner || req.external_identity != signer.id() {
        return Vec::new();
    }
    // The flaw: the signature covers `data` itself, so any statement can be made to order.
    let commitment = Commitment {
        verifying_key: signer.external.verifying_key,
        signature: SymbolicBackend::default().sign(signer, &req.data.0),
    };
    let reply = env.reply(ReplyCommitment {
        result: Ok(commitment),
    });
    to_sends(vec![reply])
}
