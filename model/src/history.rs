//! The history `H`: every message sent and delivered, judged as it happens.
//!
//! The history keeps what properties need and nothing else: the requests
//! delivered (by requester and correlation id), the last envelope each actor
//! received (the trigger of what it sends in the same step), a ghost of the
//! evidence in force built only from the ReadsFor engine's acknowledgements,
//! and who owns which identity. When a message is sent that breaks a property,
//! the violation is recorded here, so the state that follows it is the
//! counterexample. Every collection is a map or a set: delivering the same
//! message twice changes nothing, and the history stays finite.

use std::collections::{BTreeMap, BTreeSet};

use engines::Backend;
use engines::backend::symbolic::{SymbolicBackend, SymbolicSealed};
use spec::relation::ReadsForGraph;
use spec::{
    CorrelationId, EncryptionError, Envelope, IdentityId, Message, ReadsForError, ReadsForEvidence,
};
use stateright::actor::Envelope as NetEnvelope;

use crate::actors::{ModelMsg, index_of};
use crate::negative::LegacyMsg;
use crate::scenarios::{ModelCfg, Role};

/// The properties the history judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Judged {
    /// A ciphertext sealed to other identities than the oracle expects.
    Confidentiality,
    /// A reply that went to the wrong requester or carried another request's data.
    NoCrossTalk,
    /// A ciphertext built although the reads-for query failed.
    ErrorsPropagate,
    /// A plaintext handed to a requester that owns none of the recipients.
    VaultIsolation,
    /// A revoked reader listed on a ciphertext sealed after the revocation.
    Revocation,
    /// Evidence accepted with a signature that does not verify.
    EvidenceVerified,
}

/// Interesting things that happened (for realizability).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A ciphertext sealed directly was opened by its owner.
    DirectOpened,
    /// A reads-for ciphertext listed more than its target.
    Widened,
    /// A reads-for ciphertext left out a reader revoked before the answer.
    RevocationExcluded,
    /// A failed reads-for query reached the requester as an error.
    ErrorPropagated,
    /// Forged or wrongly signed evidence was refused.
    ForgeryRefused,
    /// A vault refused a requester it does not serve.
    UnauthorisedRefused,
    /// A vault refused a requester that is not a recipient.
    NonRecipientRefused,
    /// A ciphertext sealed before a rotation was opened after it.
    OldCiphertextOpened,
    /// One instance of a pool finished a request another one started.
    CrossInstance,
    /// A user's file came back encrypted under its own context (seed 000).
    OwnContext,
    /// A zone identity was derived and its master's evidence accepted.
    ZoneDerived,
    /// An identity was deleted by its owner.
    IdentityDeleted,
    /// The ReadsFor engine confirmed that one identity reads for another.
    ReadsForConfirmed,
}

/// What a ReadsFor answer implied, per the ghost, when it was sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Answer {
    ok: bool,
    readers: BTreeSet<IdentityId>,
    excluded: BTreeSet<IdentityId>,
}

/// Identifies a flow: the client that started it and its correlation id.
pub type FlowId = (usize, CorrelationId);

/// One message of a flow: who sent it to whom (actor indices) and what.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowStep {
    /// Sender index.
    pub from: usize,
    /// Receiver index (a pool's router stands for the pool).
    pub to: usize,
    /// The message.
    pub message: Message,
}

/// Names one message in flight: network sender and receiver, envelope sender, correlation, name.
type MessageKey = (usize, usize, Option<usize>, CorrelationId, &'static str);

fn message_key(src: usize, dst: usize, env: &Envelope) -> MessageKey {
    (
        src,
        dst,
        index_of(&env.sender),
        env.correlation,
        env.message.name(),
    )
}

/// The model's history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct History {
    /// Every client request's flow: the messages it caused, in the order they were sent.
    pub flows: BTreeMap<FlowId, Vec<FlowStep>>,
    /// The flow each message in flight belongs to.
    msg_flow: BTreeMap<MessageKey, FlowId>,
    /// The flow of the last message each actor received.
    current: BTreeMap<usize, FlowId>,
    requests: BTreeMap<(usize, CorrelationId), Message>,
    last_in: BTreeMap<usize, Envelope>,
    evidence: BTreeMap<(IdentityId, IdentityId), ReadsForEvidence>,
    revoked: BTreeMap<(IdentityId, IdentityId), u64>,
    /// Keyed by the reply itself too: a duplicated query can be answered twice, differently.
    answers: BTreeMap<(usize, CorrelationId, Message), Answer>,
    query_origin: BTreeMap<CorrelationId, usize>,
    owned: BTreeMap<usize, BTreeSet<IdentityId>>,
    rotated: BTreeSet<IdentityId>,
    /// The first violation of each property, with what happened.
    pub violations: BTreeMap<Judged, String>,
    /// Outcomes reached.
    pub reached: BTreeSet<Outcome>,
}

impl History {
    /// The history at the start: the evidence and ownership the scenario begins with.
    pub fn new(cfg: &ModelCfg) -> Self {
        History {
            evidence: cfg
                .initial_evidence
                .iter()
                .map(|ev| (ev.edge(), ev.clone()))
                .collect(),
            owned: cfg.initial_owned.clone(),
            ..History::default()
        }
    }

    fn violate(&mut self, what: Judged, detail: String) {
        self.violations.entry(what).or_insert(detail);
    }

    /// Who a delivered message is from: routers forward on behalf of the original sender.
    fn requester(cfg: &ModelCfg, src: usize, env: &Envelope) -> usize {
        match cfg.roles.get(src) {
            Some(Role::Router) => index_of(&env.sender).unwrap_or(src),
            _ => cfg.speaks_for.get(src).copied().unwrap_or(src),
        }
    }

    /// Records a delivery.
    pub fn record_in(cfg: &ModelCfg, h: &History, e: NetEnvelope<&ModelMsg>) -> Option<History> {
        let ModelMsg::Spec(env) = e.msg else {
            return None;
        };
        let dst = usize::from(e.dst);
        let src = usize::from(e.src);
        let mut h = h.clone();
        match h.msg_flow.get(&message_key(src, dst, env)).copied() {
            Some(flow) => {
                h.current.insert(dst, flow);
            }
            None => {
                h.current.remove(&dst);
            }
        }
        if matches!(
            cfg.roles.get(dst),
            Some(Role::Router | Role::Client | Role::Adversary)
        ) {
            return Some(h);
        }
        if env.message.is_request() {
            let requester = Self::requester(cfg, usize::from(e.src), env);
            h.requests
                .insert((requester, env.correlation), env.message.clone());
        }
        h.last_in.insert(dst, env.clone());
        Some(h)
    }

    /// Records a send, judging it.
    pub fn record_out(cfg: &ModelCfg, h: &History, e: NetEnvelope<&ModelMsg>) -> Option<History> {
        let mut h = h.clone();
        let src = usize::from(e.src);
        match e.msg {
            ModelMsg::Legacy(LegacyMsg::Encrypted { owner, context }) => {
                if *context == Some(*owner) {
                    h.reached.insert(Outcome::OwnContext);
                } else {
                    h.violate(
                        Judged::NoCrossTalk,
                        format!("user {owner}'s file was encrypted under context {context:?}"),
                    );
                }
            }
            ModelMsg::Legacy(_) => return None,
            ModelMsg::Spec(env) => {
                h.trace_flow(cfg, src, usize::from(e.dst), env);
                h.judge(cfg, src, env);
            }
        }
        Some(h)
    }

    /// Files a sent message under the flow that caused it.
    fn trace_flow(&mut self, cfg: &ModelCfg, src: usize, dst: usize, env: &Envelope) {
        let role = cfg.roles.get(src);
        let flow = match role {
            Some(Role::Client | Role::Adversary) => Some((src, env.correlation)),
            // A router forwards later, from its queue: the flow is the one the
            // forwarded message arrived with, not the router's last delivery.
            Some(Role::Router) => {
                let (_, _, sender, correlation, name) = message_key(src, dst, env);
                self.msg_flow
                    .iter()
                    .find(|((_, to, s, c, n), _)| {
                        *to == src && *s == sender && *c == correlation && *n == name
                    })
                    .map(|(_, flow)| *flow)
            }
            _ => self.current.get(&src).copied(),
        };
        let Some(flow) = flow else {
            return;
        };
        self.msg_flow.insert(message_key(src, dst, env), flow);
        // A router forwards the message it received: the flow already has it.
        if role != Some(&Role::Router) {
            let steps = self.flows.entry(flow).or_default();
            let step = FlowStep {
                from: src,
                to: dst,
                message: env.message.clone(),
            };
            // A duplicated message is one step of its flow, not two.
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
    }

    fn judge(&mut self, cfg: &ModelCfg, src: usize, env: &Envelope) {
        let to = index_of(&env.target);
        if !env.message.is_request()
            && let Some(to) = to
            && matches!(cfg.roles.get(to), Some(Role::Client | Role::Adversary))
        {
            self.judge_pairing(to, env);
        }
        match &env.message {
            Message::RequestQueryReadsForEvidence(_) => {
                self.query_origin.insert(env.correlation, src);
            }
            Message::ReplyQueryReadsForEvidence(r) => {
                let graph = ReadsForGraph::new(self.evidence.values());
                let readers = graph.readers_of(&r.external_identity);
                let excluded = self
                    .revoked
                    .keys()
                    .map(|(reader, _)| *reader)
                    .filter(|reader| !readers.contains(reader))
                    .collect();
                if let Some(to) = to {
                    self.answers
                        .entry((to, env.correlation, env.message.clone()))
                        .or_insert(Answer {
                            ok: r.result.is_ok(),
                            readers,
                            excluded,
                        });
                }
            }
            Message::ReplyEncrypt(r) => self.judge_encrypt(src, to, env, &r.result),
            Message::ReplySubmitReadsForEvidence(r) => {
                let Some(Message::RequestSubmitReadsForEvidence(req)) =
                    to.and_then(|to| self.requests.get(&(to, env.correlation)))
                else {
                    return;
                };
                let ev = req.evidence.clone();
                let genuine = SymbolicBackend::default()
                    .verify(
                        &ev.to_identity.verifying_key,
                        &ev.signed_bytes(),
                        &ev.signature,
                    )
                    .is_ok();
                match &r.result {
                    Ok(()) if !genuine => self.violate(
                        Judged::EvidenceVerified,
                        format!("{ev:?} was accepted although its signature does not verify"),
                    ),
                    Ok(()) => {
                        if self
                            .revoked
                            .get(&ev.edge())
                            .is_some_and(|r| ev.serial <= *r)
                        {
                            self.violate(
                                Judged::Revocation,
                                format!("{ev:?} was accepted after its revocation"),
                            );
                        }
                        let keep = self
                            .evidence
                            .get(&ev.edge())
                            .is_none_or(|current| current.serial <= ev.serial);
                        if keep {
                            self.evidence.insert(ev.edge(), ev);
                        }
                    }
                    Err(ReadsForError::SignatureInvalid | ReadsForError::Malformed(_))
                        if !genuine =>
                    {
                        self.reached.insert(Outcome::ForgeryRefused);
                    }
                    Err(_) => {}
                }
            }
            Message::ReplySubmitReadsForRevocation(r) if r.result.is_ok() => {
                let Some(Message::RequestSubmitReadsForRevocation(req)) =
                    to.and_then(|to| self.requests.get(&(to, env.correlation)))
                else {
                    return;
                };
                let rv = req.revocation.clone();
                let through = self.revoked.entry(rv.edge()).or_insert(0);
                *through = (*through).max(rv.serial);
                let through = *through;
                if self
                    .evidence
                    .get(&rv.edge())
                    .is_some_and(|ev| ev.serial <= through)
                {
                    self.evidence.remove(&rv.edge());
                }
            }
            Message::ReplyDecryption(r) => self.judge_decrypt(cfg, src, to, &r.result),
            Message::ReplyGenerateIdentity(r) => self.own(to, r.result.as_ref().ok()),
            Message::ReplyDeriveZoneIdentity(r) => {
                if r.result.is_ok() {
                    self.reached.insert(Outcome::ZoneDerived);
                }
                self.own(to, r.result.as_ref().ok());
            }
            Message::ReplyDeleteIdentity(r) if r.result.is_ok() => {
                self.reached.insert(Outcome::IdentityDeleted);
            }
            Message::ReplyReadsFor(r) if r.result == Ok(true) => {
                self.reached.insert(Outcome::ReadsForConfirmed);
            }
            Message::ReplyRotateIdentity(r) => {
                if let Ok(new) = &r.result {
                    if let Some(Message::RequestRotateIdentity(req)) =
                        to.and_then(|to| self.requests.get(&(to, env.correlation)))
                    {
                        self.rotated.insert(req.external_identity);
                    }
                    self.own(to, Some(new));
                }
            }
            _ => {}
        }
    }

    fn own(&mut self, to: Option<usize>, identity: Option<&spec::ExternalIdentity>) {
        if let (Some(to), Some(identity)) = (to, identity) {
            self.owned.entry(to).or_default().insert(identity.id());
        }
    }

    /// A reply to a client must answer a request that client sent, with the matching reply kind.
    fn judge_pairing(&mut self, to: usize, env: &Envelope) {
        let reply = env.message.name();
        match self.requests.get(&(to, env.correlation)) {
            None => self.violate(
                Judged::NoCrossTalk,
                format!(
                    "{reply} reached n{to} for correlation {} it never used",
                    env.correlation.0
                ),
            ),
            Some(req) if req.name().replacen("Request", "Reply", 1) != reply => self.violate(
                Judged::NoCrossTalk,
                format!("n{to} asked {} but got {reply}", req.name()),
            ),
            Some(_) => {}
        }
    }

    fn judge_encrypt(
        &mut self,
        src: usize,
        to: Option<usize>,
        env: &Envelope,
        result: &Result<spec::message::Ciphertext, EncryptionError>,
    ) {
        let Some(Message::RequestEncrypt(req)) = to
            .and_then(|to| self.requests.get(&(to, env.correlation)))
            .cloned()
        else {
            return;
        };
        let Some(trigger) = self.last_in.get(&src).cloned() else {
            return;
        };
        let answer = match &trigger.message {
            Message::RequestEncrypt(_) => Some(Answer {
                ok: true,
                readers: BTreeSet::from([req.external_identity.id()]),
                excluded: BTreeSet::new(),
            }),
            Message::ReplyQueryReadsForEvidence(_) => {
                if self
                    .query_origin
                    .get(&trigger.correlation)
                    .is_some_and(|origin| *origin != src)
                {
                    self.reached.insert(Outcome::CrossInstance);
                }
                index_of(&trigger.target).and_then(|at| {
                    self.answers
                        .get(&(at, trigger.correlation, trigger.message.clone()))
                        .cloned()
                })
            }
            _ => None,
        };
        let Some(answer) = answer else {
            return;
        };
        match result {
            Ok(ct) => {
                if !answer.ok {
                    self.violate(
                        Judged::ErrorsPropagate,
                        "the reads-for query failed, yet a ciphertext was returned".into(),
                    );
                }
                let Some(sealed) = SymbolicSealed::inspect(&ct.0) else {
                    self.violate(Judged::Confidentiality, "an unreadable ciphertext".into());
                    return;
                };
                if sealed.plaintext != req.data {
                    self.violate(
                        Judged::NoCrossTalk,
                        "a ciphertext carried another request's data".into(),
                    );
                }
                let actual: BTreeSet<IdentityId> =
                    sealed.recipients.iter().map(|(id, _)| *id).collect();
                if answer.ok && actual != answer.readers {
                    self.violate(
                        Judged::Confidentiality,
                        format!(
                            "sealed to {actual:?}, but the evidence in force names {:?}",
                            answer.readers
                        ),
                    );
                }
                if !actual.is_disjoint(&answer.excluded) {
                    self.violate(
                        Judged::Revocation,
                        format!(
                            "sealed to revoked readers {:?}",
                            actual.intersection(&answer.excluded).collect::<Vec<_>>()
                        ),
                    );
                } else if !answer.excluded.is_empty() {
                    self.reached.insert(Outcome::RevocationExcluded);
                }
                if actual.len() > 1 {
                    self.reached.insert(Outcome::Widened);
                }
            }
            Err(EncryptionError::ReadsFor(_)) if !answer.ok => {
                self.reached.insert(Outcome::ErrorPropagated);
            }
            Err(_) => {}
        }
    }

    fn judge_decrypt(
        &mut self,
        cfg: &ModelCfg,
        src: usize,
        to: Option<usize>,
        result: &Result<spec::message::Plaintext, spec::DecryptionError>,
    ) {
        let Some(Envelope {
            message: Message::RequestDecryption(req),
            ..
        }) = self.last_in.get(&src).cloned()
        else {
            return;
        };
        match result {
            Ok(pt) => {
                let sealed = SymbolicSealed::inspect(&req.data.0);
                let recipients: BTreeSet<IdentityId> = sealed
                    .iter()
                    .flat_map(|s| s.recipients.iter().map(|(id, _)| *id))
                    .collect();
                let owned = to
                    .and_then(|to| self.owned.get(&to))
                    .cloned()
                    .unwrap_or_default();
                let served = to.is_some_and(|to| cfg.vault_serves_all.contains(&to));
                if !served && recipients.is_disjoint(&owned) {
                    self.violate(
                        Judged::VaultIsolation,
                        format!(
                            "n{} got a plaintext sealed to {recipients:?}, none of which it owns",
                            to.unwrap_or(usize::MAX)
                        ),
                    );
                }
                if sealed.is_none_or(|s| s.plaintext != *pt) {
                    self.violate(
                        Judged::NoCrossTalk,
                        "a plaintext from another ciphertext".into(),
                    );
                }
                self.reached.insert(Outcome::DirectOpened);
                if !recipients.is_disjoint(&self.rotated) {
                    self.reached.insert(Outcome::OldCiphertextOpened);
                }
            }
            Err(spec::DecryptionError::NotAuthorised) => {
                self.reached.insert(Outcome::UnauthorisedRefused);
            }
            Err(spec::DecryptionError::NoMatchingKey) => {
                self.reached.insert(Outcome::NonRecipientRefused);
            }
            Err(_) => {}
        }
    }
}
