//! The history `H`: what the properties need to know about the messages sent so far.
//!
//! It keeps the requests delivered (by requester and correlation id), a ghost of the
//! evidence in force built only from the ReadsFor engine's acknowledgements, the answers the
//! ReadsFor engine gave, who owns which identity, and the verdicts reached. Flows (which
//! message caused which) are tracked only in flow-collecting runs. The delivery of the
//! current step is kept for the sends of that step and is not part of the state's identity:
//! two states that differ only in what was delivered last are the same state.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use spec::relation::{ReadsForGraph, Relation, SignsForGraph};
use spec::{CorrelationId, Envelope, Evidence, IdentityId, Message, ReadsForEvidence, Revocation};

use crate::config::ModelCfg;
use crate::names::NameGhost;
use crate::vocab::{ModelMsg, Role, index_of};

/// What a ReadsFor answer implied, per the ghost, when it was sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Answer {
    /// The query succeeded.
    pub ok: bool,
    /// The target and every identity that reads for it.
    pub readers: BTreeSet<IdentityId>,
    /// Readers revoked by then (they must not be sealed to).
    pub excluded: BTreeSet<IdentityId>,
}

/// What a SignsFor answer implied, per the ghost, when it was sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signers {
    /// The query succeeded.
    pub ok: bool,
    /// The verifying keys of every identity that signs for the target (not the target's own).
    pub keys: BTreeSet<[u8; 32]>,
}

/// A ghost of one relation's evidence in force, per its engine's acknowledgements.
pub type Edges<R> = BTreeMap<(IdentityId, IdentityId), Evidence<R>>;

/// Stores acknowledged evidence unless newer evidence for its pair is in force.
fn store<R: Relation>(evidence: &mut Edges<R>, ev: &Evidence<R>) {
    let newer = evidence
        .get(&ev.edge())
        .is_none_or(|cur| cur.serial <= ev.serial);
    if newer {
        evidence.insert(ev.edge(), ev.clone());
    }
}

/// Applies an acknowledged revocation: records its serial and drops the evidence it covers.
fn revoke<R: Relation>(
    evidence: &mut Edges<R>,
    revoked: &mut BTreeMap<(IdentityId, IdentityId), u64>,
    rv: &Revocation<R>,
) {
    let through = revoked.entry(rv.edge()).or_insert(0);
    *through = (*through).max(rv.serial);
    let through = *through;
    if evidence
        .get(&rv.edge())
        .is_some_and(|ev| ev.serial <= through)
    {
        evidence.remove(&rv.edge());
    }
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
    /// The row of the sender's guard table that chose to send it (empty for a client).
    pub row: &'static str,
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

/// Which flow each message belongs to (flow-collecting runs only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlowBook {
    /// Every client request's flow: the messages it caused, in the order they were sent.
    pub flows: BTreeMap<FlowId, Vec<FlowStep>>,
    /// The flow each message in flight belongs to.
    msg_flow: BTreeMap<MessageKey, FlowId>,
}

/// The delivery of the current step: network sender, receiver, envelope.
#[derive(Clone, Debug, Default)]
pub struct Delivery(pub Option<(usize, usize, Envelope)>);

// The current delivery is read only by the sends of the same step (the next delivery
// overwrites it), so it is left out of the state's identity.
impl PartialEq for Delivery {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Delivery {}
impl Hash for Delivery {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// A digest of a message, to key what the history remembers about it without a copy.
pub fn digest(message: &Message) -> u64 {
    // SipHash with fixed keys: the same on every run, as path replay requires.
    let mut h = DefaultHasher::new();
    message.hash(&mut h);
    h.finish()
}

/// The model's history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct History {
    /// Requests delivered to engines, by requester and correlation id (shared, not copied,
    /// when the history is cloned for the next state).
    pub requests: BTreeMap<(usize, CorrelationId), Arc<Message>>,
    /// The evidence in force, per the ReadsFor engine's acknowledgements.
    pub evidence: BTreeMap<(IdentityId, IdentityId), ReadsForEvidence>,
    /// Revocations acknowledged: the serial each covers up to.
    pub revoked: BTreeMap<(IdentityId, IdentityId), u64>,
    /// The signs-for evidence in force, per the SignsFor engine's acknowledgements.
    pub signs_evidence: Edges<spec::relation::Signs>,
    /// Signs-for revocations acknowledged.
    pub signs_revoked: BTreeMap<(IdentityId, IdentityId), u64>,
    /// Every evidence answer the SignsFor engine sent, keyed as `answers` is.
    pub signers: BTreeMap<(usize, CorrelationId, u64), Signers>,
    /// The names in force, per the Naming engine's acknowledgements.
    pub names: NameGhost,
    /// Every commitment signature a vault has made.
    pub commitments: BTreeSet<Vec<u8>>,
    /// Every evidence answer the ReadsFor engine sent, keyed by receiver, correlation and a
    /// digest of the reply (a duplicated query can be answered twice, differently).
    pub answers: BTreeMap<(usize, CorrelationId, u64), Answer>,
    /// Which Encryption instance sent each evidence query.
    pub query_origin: BTreeMap<CorrelationId, usize>,
    /// Identities each actor owns.
    pub owned: BTreeMap<usize, BTreeSet<IdentityId>>,
    /// Identities rotated away from.
    pub rotated: BTreeSet<IdentityId>,
    /// The highest evidence serial each vault has signed.
    pub signed: BTreeMap<usize, u64>,
    /// The capabilities each identity was generated, derived or rotated with (both when absent).
    pub capabilities: BTreeMap<IdentityId, spec::Capabilities>,
    /// Zones derived, by master identity and name.
    pub zones: BTreeSet<(IdentityId, String)>,
    /// The first violation of each property, by property name, with what happened.
    pub violations: BTreeMap<&'static str, String>,
    /// Outcomes reached, by property name.
    pub reached: BTreeSet<&'static str>,
    /// Flows, in flow-collecting runs.
    pub book: Option<Box<FlowBook>>,
    /// This step's delivery.
    pub delivery: Delivery,
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
            signs_evidence: cfg
                .initial_signs_evidence
                .iter()
                .map(|ev| (ev.edge(), ev.clone()))
                .collect(),
            names: NameGhost::new(&cfg.initial_names),
            owned: cfg.initial_owned.clone(),
            book: cfg.collector.as_ref().map(|_| Box::default()),
            ..History::default()
        }
    }

    /// Who a delivered message is from: routers forward on behalf of the original sender.
    fn requester(cfg: &ModelCfg, src: usize, env: &Envelope) -> usize {
        match cfg.role(src) {
            Some(Role::Router) => index_of(&env.sender).unwrap_or(src),
            _ => cfg.speaks_for.get(src).copied().unwrap_or(src),
        }
    }

    /// Records a delivery.
    pub fn delivered(&mut self, cfg: &ModelCfg, src: usize, dst: usize, env: &Envelope) {
        self.delivery = Delivery(Some((src, dst, env.clone())));
        let to_engine = !matches!(
            cfg.role(dst),
            Some(Role::Router | Role::Client | Role::Adversary)
        );
        if to_engine && env.message.is_request() {
            let requester = Self::requester(cfg, src, env);
            self.requests
                .insert((requester, env.correlation), Arc::new(env.message.clone()));
        }
    }

    /// The request a reply to `to` with this correlation answers, if `to` made one.
    pub fn request_of(&self, to: Option<usize>, correlation: CorrelationId) -> Option<&Message> {
        self.requests.get(&(to?, correlation)).map(|m| &**m)
    }

    /// What the evidence in force implies for a query about `target` answered now.
    pub fn answer_now(&self, ok: bool, target: &IdentityId) -> Answer {
        let readers = ReadsForGraph::new(self.evidence.values()).members_of(target);
        let excluded = self
            .revoked
            .keys()
            .map(|(reader, _)| *reader)
            .filter(|reader| !readers.contains(reader))
            .collect();
        Answer {
            ok,
            readers,
            excluded,
        }
    }

    /// Whose commitments count as `target`'s per the signs-for evidence in force now.
    pub fn signers_now(&self, ok: bool, target: &IdentityId) -> Signers {
        let graph = SignsForGraph::new(self.signs_evidence.values());
        // The target's own key is added by whoever knows the target (the request).
        let keys = graph
            .chains_into(target)
            .iter()
            .map(|ev| ev.from_identity.verifying_key)
            .collect();
        Signers { ok, keys }
    }

    /// Updates the ghost with what a sent message acknowledges (after the properties judged it).
    pub fn apply(&mut self, cfg: &ModelCfg, src: usize, env: &Envelope) {
        let to = index_of(&env.target);
        match &env.message {
            Message::RequestQueryReadsForEvidence(_) => {
                self.query_origin.insert(env.correlation, src);
            }
            // Only the ReadsFor engine's answers count: anything else is a forgery.
            Message::ReplyQueryReadsForEvidence(r) if cfg.role(src) == Some(Role::ReadsFor) => {
                let answer = self.answer_now(r.result.is_ok(), &r.external_identity);
                if let Some(to) = to {
                    let key = (to, env.correlation, digest(&env.message));
                    self.answers.entry(key).or_insert(answer);
                }
            }
            Message::ReplyQuerySignsForEvidence(r) if cfg.role(src) == Some(Role::SignsFor) => {
                let signers = self.signers_now(r.result.is_ok(), &r.external_identity);
                if let Some(to) = to {
                    let key = (to, env.correlation, digest(&env.message));
                    self.signers.entry(key).or_insert(signers);
                }
            }
            Message::ReplyCommitment(r) => {
                if let Ok(c) = &r.result {
                    self.commitments.insert(c.signature.to_vec());
                }
            }
            // A negative design in the Naming engine's place acknowledges as one.
            Message::ReplySubmitNameEvidence(_) | Message::ReplySubmitNameRevocation(_)
                if matches!(cfg.role(src), Some(Role::Naming | Role::Negative)) =>
            {
                self.acknowledge_name(to, env);
            }
            m if m.error().is_none() && !m.is_request() => self.acknowledge(to, src, env),
            _ => self.apply_identity(to, src, env),
        }
    }

    /// Updates the relation ghosts with an acknowledged submission or revocation.
    fn acknowledge(&mut self, to: Option<usize>, src: usize, env: &Envelope) {
        let request = self.request_of(to, env.correlation).cloned();
        match (&env.message, request) {
            (
                Message::ReplySubmitReadsForEvidence(_),
                Some(Message::RequestSubmitReadsForEvidence(req)),
            ) => store(&mut self.evidence, &req.evidence),
            (
                Message::ReplySubmitSignsForEvidence(_),
                Some(Message::RequestSubmitSignsForEvidence(req)),
            ) => store(&mut self.signs_evidence, &req.evidence),
            (
                Message::ReplySubmitReadsForRevocation(_),
                Some(Message::RequestSubmitReadsForRevocation(req)),
            ) => revoke(&mut self.evidence, &mut self.revoked, &req.revocation),
            (
                Message::ReplySubmitSignsForRevocation(_),
                Some(Message::RequestSubmitSignsForRevocation(req)),
            ) => revoke(
                &mut self.signs_evidence,
                &mut self.signs_revoked,
                &req.revocation,
            ),
            _ => self.apply_identity(to, src, env),
        }
    }

    /// Updates the name ghost with a submission or revocation the Naming engine acknowledged.
    fn acknowledge_name(&mut self, to: Option<usize>, env: &Envelope) {
        if env.message.error().is_some() {
            return;
        }
        match self.request_of(to, env.correlation).cloned() {
            Some(Message::RequestSubmitNameEvidence(req)) => self.names.store(&req.evidence),
            Some(Message::RequestSubmitNameRevocation(req)) => self.names.revoke(&req.revocation),
            _ => {}
        }
    }

    /// Updates ownership, zones, rotations and serials with what a sent message acknowledges.
    fn apply_identity(&mut self, to: Option<usize>, src: usize, env: &Envelope) {
        match &env.message {
            Message::ReplyGenerateKey(spec::message::ReplyGenerateKey { result: Ok(k) })
            | Message::ReplyRotateKey(spec::message::ReplyRotateKey { result: Ok(k) }) => {
                if let Some(ev) = &k.evidence {
                    let max = self.signed.entry(src).or_insert(0);
                    *max = (*max).max(ev.serial);
                }
                // The vault serves the owner from the moment it holds the key, before Identity
                // Management tells the owner: ownership starts here.
                if let Some(Message::RequestGenerateKey(req)) = self.request_of(to, env.correlation)
                {
                    let owner = index_of(&req.owner);
                    self.own(owner, Some(&k.identity));
                }
            }
            Message::ReplyGenerateIdentity(r) => {
                if let (Ok(id), Some(Message::RequestGenerateIdentity(req))) =
                    (&r.result, self.request_of(to, env.correlation))
                {
                    self.capabilities.insert(id.id(), req.capabilities);
                }
                self.own(to, r.result.as_ref().ok());
            }
            Message::ReplyDeriveZoneIdentity(r) => {
                if let (Ok(_), Some(Message::RequestDeriveZoneIdentity(req))) =
                    (&r.result, self.request_of(to, env.correlation))
                {
                    let zone = (req.master, req.zone.clone());
                    let granted = req.capabilities;
                    self.zones.insert(zone);
                    if let Ok(id) = &r.result {
                        self.capabilities.insert(id.id(), granted);
                    }
                }
                self.own(to, r.result.as_ref().ok());
            }
            Message::ReplyRotateIdentity(r) => {
                if let Ok(new) = &r.result {
                    if let Some(Message::RequestRotateIdentity(req)) =
                        self.request_of(to, env.correlation)
                    {
                        let old = req.external_identity;
                        self.rotated.insert(old);
                        let kept = self.capabilities_of(&old);
                        self.capabilities.insert(new.id(), kept);
                    }
                    self.own(to, Some(new));
                }
            }
            _ => {}
        }
    }

    /// The capabilities `id` was given; both for an identity the run did not make.
    pub fn capabilities_of(&self, id: &IdentityId) -> spec::Capabilities {
        self.capabilities.get(id).copied().unwrap_or_default()
    }

    fn own(&mut self, to: Option<usize>, identity: Option<&spec::ExternalIdentity>) {
        if let (Some(to), Some(identity)) = (to, identity) {
            self.owned.entry(to).or_default().insert(identity.id());
        }
    }

    /// Files a sent message under the flow that caused it (flow-collecting runs).
    pub fn trace(&mut self, cfg: &ModelCfg, src: usize, dst: usize, msg: &ModelMsg) {
        let (Some(book), ModelMsg::Spec(env, row)) = (&mut self.book, msg) else {
            return;
        };
        let current = self.delivery.0.as_ref().filter(|(_, to, _)| *to == src);
        book.send(cfg, current, (src, dst, row), env);
    }
}

impl FlowBook {
    fn send(
        &mut self,
        cfg: &ModelCfg,
        current: Option<&(usize, usize, Envelope)>,
        (src, dst, row): (usize, usize, &'static str),
        env: &Envelope,
    ) {
        let role = cfg.role(src);
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
            _ => current.and_then(|(s, d, e)| self.msg_flow.get(&message_key(*s, *d, e)).copied()),
        };
        let Some(flow) = flow else {
            return;
        };
        self.msg_flow.insert(message_key(src, dst, env), flow);
        // A router forwards the message it received: the flow already has it.
        if role != Some(Role::Router) {
            let steps = self.flows.entry(flow).or_default();
            let step = FlowStep {
                from: src,
                to: dst,
                row,
                message: env.message.clone(),
            };
            // A duplicated message is one step of its flow, not two.
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
    }
}
