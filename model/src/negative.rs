//! Designs the seeds and the Anoma specification warn against, modelled so the checker can
//! show how they fail. None of this is Sealwright's engine code: each is the design as its
//! source describes it, small enough to read next to its counterexample.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use engines::Backend;
use engines::backend::symbolic::SymbolicBackend;
use engines::encryption::recipients_for;
use spec::message::{Plaintext, ReplyEncrypt, RequestQueryReadsForEvidence};
use spec::{Address, CorrelationId, Envelope, ExternalIdentity, IdentityId, Message};
use stateright::actor::{Id, Out};

use crate::actors::{ModelActor, ModelMsg, NodeState, address};

/// Messages of the negative designs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LegacyMsg {
    /// Seed 000: switch the shared crypto context to `owner`'s keys.
    Switch {
        /// Whose context.
        owner: u8,
    },
    /// Seed 000: encrypt `owner`'s file under the current context.
    EncryptFile {
        /// Whose file.
        owner: u8,
    },
    /// Seed 000: `owner`'s file, encrypted under `context`.
    Encrypted {
        /// Whose file.
        owner: u8,
        /// The context that was active.
        context: Option<u8>,
    },
    /// Seed 003: remove a member from the group.
    RemoveMember(u8),
    /// Seed 003: rotate the group key, wrapping it for these members.
    RotateKey {
        /// The recipient list the writer computed.
        recipients: Vec<u8>,
    },
}

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
    /// A user (stateless after sending).
    User,
    /// The group: members, who holds the current key, and removed members who received it.
    Group {
        /// Current members.
        members: BTreeSet<u8>,
        /// Holders of the current key.
        key_holders: BTreeSet<u8>,
        /// Members that had been removed when they received a key.
        leaked_to: BTreeSet<u8>,
    },
    /// A writer (stateless after sending).
    Writer,
    /// The v0.2 engine's pending map.
    V02(BTreeMap<IdentityId, Vec<V02Pending>>, SymbolicBackend),
}

type O = Out<ModelActor>;

impl NegativeNode {
    /// The initial state; users and writers send everything at once.
    pub fn on_start(&self, id: Id, o: &mut O) -> NegativeState {
        match self {
            NegativeNode::SharedContextEngine => NegativeState::SharedContext(None),
            NegativeNode::SharedContextUser { owner, engine } => {
                // Queued back to back, as the seed's task queue does.
                let engine = Id::from(*engine);
                o.send(
                    engine,
                    ModelMsg::Legacy(LegacyMsg::Switch { owner: *owner }),
                );
                o.send(
                    engine,
                    ModelMsg::Legacy(LegacyMsg::EncryptFile { owner: *owner }),
                );
                NegativeState::User
            }
            NegativeNode::GroupLog { members, .. } => NegativeState::Group {
                members: members.iter().copied().collect(),
                key_holders: members.iter().copied().collect(),
                leaked_to: BTreeSet::new(),
            },
            NegativeNode::GroupWriter { log, ops } => {
                for op in ops {
                    o.send(Id::from(*log), ModelMsg::Legacy(op.clone()));
                }
                NegativeState::Writer
            }
            NegativeNode::V02Encryption { .. } => NegativeState::V02(
                BTreeMap::new(),
                SymbolicBackend::new(usize::from(id) as u64),
            ),
        }
    }

    /// Handles a legacy message.
    pub fn on_legacy(
        &self,
        _id: Id,
        state: &mut Cow<NodeState>,
        src: Id,
        msg: LegacyMsg,
        o: &mut O,
    ) {
        let NodeState::Negative(current) = &**state else {
            return;
        };
        match (self, current, msg) {
            (NegativeNode::SharedContextEngine, NegativeState::SharedContext(ctx), msg) => {
                match msg {
                    LegacyMsg::Switch { owner } if *ctx != Some(owner) => {
                        *state.to_mut() =
                            NodeState::Negative(NegativeState::SharedContext(Some(owner)));
                    }
                    LegacyMsg::EncryptFile { owner } => {
                        // The flaw: the file is encrypted under whatever context is active now.
                        o.send(
                            src,
                            ModelMsg::Legacy(LegacyMsg::Encrypted {
                                owner,
                                context: *ctx,
                            }),
                        );
                    }
                    _ => {}
                }
            }
            (
                NegativeNode::GroupLog {
                    recipients_at_apply,
                    ..
                },
                NegativeState::Group {
                    members, leaked_to, ..
                },
                msg,
            ) => {
                let mut members = members.clone();
                let mut leaked_to = leaked_to.clone();
                let key_holders = match msg {
                    LegacyMsg::RemoveMember(m) => {
                        members.remove(&m);
                        None
                    }
                    LegacyMsg::RotateKey { recipients } => {
                        let holders: BTreeSet<u8> = if *recipients_at_apply {
                            members.clone()
                        } else {
                            // The flaw: the list was computed before this point in the order.
                            recipients.into_iter().collect()
                        };
                        leaked_to.extend(holders.difference(&members).copied());
                        Some(holders)
                    }
                    _ => return,
                };
                let key_holders = match (key_holders, &**state) {
                    (Some(h), _) => h,
                    (None, NodeState::Negative(NegativeState::Group { key_holders, .. })) => {
                        key_holders.clone()
                    }
                    (None, _) => BTreeSet::new(),
                };
                *state.to_mut() = NodeState::Negative(NegativeState::Group {
                    members,
                    key_holders,
                    leaked_to,
                });
            }
            _ => {}
        }
    }

    /// Handles an envelope (the v0.2 engine only).
    pub fn on_spec(&self, _id: Id, state: &mut Cow<NodeState>, env: Envelope, o: &mut O) {
        let (
            NegativeNode::V02Encryption {
                address: me,
                reads_for,
            },
            NodeState::Negative(NegativeState::V02(pending, backend)),
        ) = (self, &**state)
        else {
            return;
        };
        let mut pending = pending.clone();
        let mut backend = backend.clone();
        let mut send = |env: Envelope| {
            if let Some(to) = crate::actors::index_of(&env.target) {
                o.send(Id::from(to), ModelMsg::Spec(env));
            }
        };
        match &env.message {
            Message::RequestEncrypt(req) if !req.use_reads_for => {
                let result =
                    backend.seal(std::slice::from_ref(&req.external_identity), &req.data.0);
                send(env.reply(ReplyEncrypt { result }));
            }
            Message::RequestEncrypt(req) => {
                let target = req.external_identity.id();
                let queue = pending.entry(target).or_default();
                // The flaw (gap 2): only the first request for an identity asks;
                // the rest wait behind it, with no timer and no retry.
                if queue.is_empty() {
                    send(Envelope {
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
                    send(Envelope {
                        sender: me.clone(),
                        target: p.requester,
                        correlation: p.correlation,
                        message: ReplyEncrypt { result }.into(),
                    });
                }
            }
            _ => return,
        }
        *state.to_mut() = NodeState::Negative(NegativeState::V02(pending, backend));
    }
}

/// The model address of a negative actor (for building scenarios).
pub fn v02_address(index: usize) -> Address {
    address(index)
}
