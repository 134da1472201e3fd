//! The properties. Each is one type that holds, in one place, its name, its meaning, its
//! expectation, and its judgement: of each message sent (`judge`), of each state (`state`),
//! or both. Adding a property is adding one type here and one line to [`ALL`].
//!
//! The history's hooks ([`record_in`], [`record_out`]) run every judgement on every message
//! sent, so a violation is recorded in the state that follows the message that caused it.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::PoisonError;

use engines::Backend;
use engines::backend::symbolic::{SymbolicBackend, SymbolicSealed};
use spec::effects::RejectReason;
use spec::message::{Commitment, Plaintext, RequestVerification};
use spec::{
    CommitmentError, DecryptionError, EncryptionError, Envelope, ExternalIdentity, IdentityId,
    IdentityName, Message, NamingError, RelationError, VerificationError,
};
use stateright::Expectation;
use stateright::actor::Envelope as NetEnvelope;

use crate::actors::{Holds, NodeState};
use crate::arrow::Arrow;
use crate::config::{Flow, ModelCfg};
use crate::history::{Answer, History, Signers};
use crate::negative::NegativeState;
use crate::system::{Model, State, clients, quiescent};
use crate::vocab::{LegacyMsg, ModelMsg, NetworkKind, Role, index_of};

/// What a judgement of one sent message finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to say.
    Fine,
    /// The property is broken; what happened.
    Violated(String),
    /// The outcome the property looks for happened.
    Reached,
}

/// One message being sent, with what the history knows that bears on it.
pub struct Sent<'a> {
    /// The model's configuration.
    pub cfg: &'a ModelCfg,
    /// The history before this message.
    pub history: &'a History,
    /// Network sender.
    pub src: usize,
    /// The message.
    pub msg: &'a ModelMsg,
    /// For a `ReplyEncrypt`: the request it answers, and what it must be sealed to (an
    /// `Err` when it was finished on an evidence answer the ReadsFor engine never sent).
    encrypt: Option<(Plaintext, Result<Answer, String>)>,
    /// The ciphertext of a `ReplyEncrypt`, read once for every property that asks.
    sealed: OnceCell<Option<SymbolicSealed>>,
    /// The ciphertext a `ReplyDecryption` answers about, read once.
    opened: OnceCell<Option<SymbolicSealed>>,
}

impl<'a> Sent<'a> {
    fn new(cfg: &'a ModelCfg, history: &'a History, src: usize, msg: &'a ModelMsg) -> Self {
        let mut sent = Sent {
            cfg,
            history,
            src,
            msg,
            encrypt: None,
            sealed: OnceCell::new(),
            opened: OnceCell::new(),
        };
        sent.encrypt = sent.encrypt_context();
        sent
    }

    /// The envelope, for a message of the vocabulary.
    pub fn env(&self) -> Option<&'a Envelope> {
        match self.msg {
            ModelMsg::Spec(env, _) => Some(env),
            ModelMsg::Legacy(_) => None,
        }
    }

    /// The actor the envelope is addressed to.
    pub fn to(&self) -> Option<usize> {
        self.env().and_then(|e| index_of(&e.target))
    }

    /// The request this message answers, if it is a reply to a requester's request.
    pub fn request(&self) -> Option<&'a Message> {
        let env = self.env()?;
        self.history.request_of(self.to(), env.correlation)
    }

    /// What the sender received in this step (the cause of this message).
    pub fn trigger(&self) -> Option<(usize, &'a Envelope)> {
        let (src, dst, env) = self.history.delivery.0.as_ref()?;
        (*dst == self.src).then_some((*src, env))
    }

    fn encrypt_context(&self) -> Option<(Plaintext, Result<Answer, String>)> {
        let Some(Message::RequestEncrypt(req)) = self.request() else {
            return None;
        };
        if !matches!(self.env()?.message, Message::ReplyEncrypt(_)) {
            return None;
        }
        let (_, trigger) = self.trigger()?;
        let answer = match &trigger.message {
            Message::RequestEncrypt(_) => Ok(Answer {
                ok: true,
                readers: BTreeSet::from([req.external_identity.id()]),
                excluded: BTreeSet::new(),
            }),
            Message::ReplyQueryReadsForEvidence(_) => {
                let key = (
                    index_of(&trigger.target)?,
                    trigger.correlation,
                    crate::history::digest(&trigger.message),
                );
                self.history.answers.get(&key).cloned().ok_or_else(|| {
                    format!(
                        "finished on a {} the ReadsFor engine never sent",
                        trigger.message.name()
                    )
                })
            }
            _ => return None,
        };
        Some((req.data.clone(), answer))
    }

    fn encrypted(&self) -> Option<Encrypted<'_, 'a>> {
        let (data, answer) = self.encrypt.as_ref()?;
        match &self.env()?.message {
            Message::ReplyEncrypt(r) => Some((data, answer, &r.result)),
            _ => None,
        }
    }

    /// For a successful `ReplyEncrypt`: the identities sealed to, the answer, and the data.
    fn sealed(&self) -> Option<(BTreeSet<IdentityId>, Option<&Answer>, bool)> {
        let (data, answer, result) = self.encrypted()?;
        let ct = result.as_ref().ok()?;
        let sealed = self
            .sealed
            .get_or_init(|| SymbolicSealed::inspect(&ct.0))
            .as_ref()?;
        let ids = sealed.recipients.iter().map(|(id, _)| *id).collect();
        Some((ids, answer.as_ref().ok(), sealed.plaintext == *data))
    }

    /// For a `ReplyDecryption` from a vault: the ciphertext asked about and the result.
    fn decrypted(
        &self,
    ) -> Option<(
        Option<&SymbolicSealed>,
        &'a Result<Plaintext, DecryptionError>,
    )> {
        let Message::ReplyDecryption(r) = &self.env()?.message else {
            return None;
        };
        let (_, trigger) = self.trigger()?;
        let Message::RequestDecryption(req) = &trigger.message else {
            return None;
        };
        let opened = self
            .opened
            .get_or_init(|| SymbolicSealed::inspect(&req.data.0));
        Some((opened.as_ref(), &r.result))
    }
}

/// A `ReplyVerification` sent by a Verification engine: the request it answers, the
/// signers it had to accept (`None` when it checked directly; an `Err` when it finished on
/// an answer the SignsFor engine never sent), whether the commitment's signature is
/// genuine, and the result.
pub struct Verified<'a> {
    /// The request.
    pub request: &'a RequestVerification,
    /// The SignsFor answer it finished on, per the ghost.
    pub via: Option<Result<&'a Signers, String>>,
    /// The commitment's signature checks under the key it names.
    pub genuine: bool,
    /// The reply's result.
    pub result: &'a Result<bool, VerificationError>,
}

impl Verified<'_> {
    /// Whether the commitment's key is one the verifier may accept.
    pub fn key_accepted(&self) -> bool {
        let key = self.request.commitment.verifying_key;
        key == self.request.external_identity.verifying_key
            || matches!(&self.via, Some(Ok(signers)) if signers.ok && signers.keys.contains(&key))
    }
}

impl<'a> Sent<'a> {
    /// For a `ReplyVerification` from a Verification engine: what it answers and on what.
    pub fn verified(&self) -> Option<Verified<'a>> {
        let Message::ReplyVerification(r) = &self.env()?.message else {
            return None;
        };
        // A negative design in the Verification engine's place is judged as one.
        if !matches!(
            self.cfg.role(self.src),
            Some(Role::Verification | Role::Negative)
        ) {
            return None;
        }
        let Some(Message::RequestVerification(request)) = self.request() else {
            return None;
        };
        let (_, trigger) = self.trigger()?;
        let via = match &trigger.message {
            Message::ReplyQuerySignsForEvidence(_) => {
                let key = (
                    index_of(&trigger.target)?,
                    trigger.correlation,
                    crate::history::digest(&trigger.message),
                );
                Some(self.history.signers.get(&key).ok_or_else(|| {
                    "finished on an evidence answer the SignsFor engine never sent".to_string()
                }))
            }
            _ => None,
        };
        let commitment = &request.commitment;
        let genuine = SymbolicBackend::default()
            .verify(
                &commitment.verifying_key,
                &Commitment::statement_bytes(&request.data.0),
                &commitment.signature,
            )
            .is_ok();
        Some(Verified {
            request,
            via,
            genuine,
            result: &r.result,
        })
    }
}

/// A `ReplyEncrypt` with the data asked for, what it must be sealed to, and its result.
type Encrypted<'s, 'a> = (
    &'s Plaintext,
    &'s Result<Answer, String>,
    &'a Result<spec::message::Ciphertext, EncryptionError>,
);

/// A property: its name, meaning and expectation, and how it judges.
pub trait Property {
    /// Its name, as reports show it.
    const NAME: &'static str;
    /// One sentence: what it means.
    const MEANING: &'static str;
    /// `Always` (a safety property) or `Sometimes` (an outcome some run must reach).
    const KIND: Expectation;
    /// Every scenario of the engines checks it (the others are chosen per scenario).
    const EVERYWHERE: bool = false;
    /// Judges one message sent.
    fn judge(_sent: &Sent<'_>) -> Verdict {
        Verdict::Fine
    }
    /// Judges a whole state; `None` when the property judges messages only.
    fn state(_model: &Model, _state: &State) -> Option<bool> {
        None
    }
}

fn condition<P: Property>(model: &Model, state: &State) -> bool {
    let judged = &state.history;
    match P::KIND {
        Expectation::Sometimes => {
            judged.reached.contains(P::NAME) || P::state(model, state).unwrap_or(false)
        }
        _ => !judged.violations.contains_key(P::NAME) && P::state(model, state).unwrap_or(true),
    }
}

/// A property as a scenario checks it.
#[derive(Clone)]
pub struct Check {
    /// Its name.
    pub name: &'static str,
    /// One sentence: what it means.
    pub meaning: &'static str,
    /// Always or Sometimes.
    pub expectation: Expectation,
    /// The judgement of one message sent.
    pub judge: fn(&Sent<'_>) -> Verdict,
    /// The condition over a state.
    pub condition: fn(&Model, &State) -> bool,
    /// The scenario models a flawed design: the checker must find this property's violation.
    pub expect_violation: bool,
    /// Every scenario of the engines checks it.
    pub everywhere: bool,
}

impl Check {
    /// The same property, as the violation a negative scenario must exhibit.
    pub const fn must_fail(mut self) -> Check {
        self.expect_violation = true;
        self
    }
}

/// The check of property `P`.
pub const fn check<P: Property>() -> Check {
    Check {
        name: P::NAME,
        meaning: P::MEANING,
        expectation: P::KIND,
        judge: P::judge,
        condition: condition::<P>,
        expect_violation: false,
        everywhere: P::EVERYWHERE,
    }
}

/// Runs `judge` on one message and files the verdict under `name`.
fn file(h: &mut History, name: &'static str, verdict: Verdict) {
    match verdict {
        Verdict::Fine => {}
        Verdict::Violated(why) => {
            h.violations.entry(name).or_insert(why);
        }
        Verdict::Reached => {
            h.reached.insert(name);
        }
    }
}

/// The history hook for deliveries.
pub fn record_in(cfg: &ModelCfg, h: &History, e: NetEnvelope<&ModelMsg>) -> Option<History> {
    let ModelMsg::Spec(env, _) = e.msg else {
        return None;
    };
    let mut next = h.clone();
    next.delivered(cfg, usize::from(e.src), usize::from(e.dst), env);
    Some(next)
}

/// The history hook for sends: every property judges the message, then the ghost learns from it.
pub fn record_out(cfg: &ModelCfg, h: &History, e: NetEnvelope<&ModelMsg>) -> Option<History> {
    let src = usize::from(e.src);
    let sent = Sent::new(cfg, h, src, e.msg);
    let verdicts: Vec<(&'static str, Verdict)> = ALL
        .iter()
        .map(|c| (c.name, (c.judge)(&sent)))
        .filter(|(_, v)| *v != Verdict::Fine)
        .collect();
    let tracing = h.book.is_some();
    let acknowledges = matches!(e.msg, ModelMsg::Spec(env, _) if !env.message.is_request() || matches!(env.message, Message::RequestQueryReadsForEvidence(_)));
    if verdicts.is_empty() && !tracing && !acknowledges {
        return None;
    }
    let mut next = h.clone();
    for (name, verdict) in verdicts {
        file(&mut next, name, verdict);
    }
    if let ModelMsg::Spec(env, _) = e.msg {
        next.apply(cfg, src, env);
    }
    next.trace(cfg, src, usize::from(e.dst), e.msg);
    Some(next)
}

/// The condition of a flow-collecting run: files the flows of every quiescent state.
pub fn collect_flows(model: &Model, state: &State) -> bool {
    let (Some(collector), Some(book)) = (&model.cfg.collector, &state.history.book) else {
        return true;
    };
    if !quiescent(state) {
        return true;
    }
    let party = |i: usize| model.cfg.party(i);
    let mut c = collector.lock().unwrap_or_else(PoisonError::into_inner);
    for (engine, rows) in state.actor_states.iter().filter_map(|a| a.rows()) {
        c.rows.extend(rows.iter().map(|r| (engine, *r)));
    }
    for ((root, _), steps) in &book.flows {
        // Flows start with a request; a spoofed reply sent by an adversary is no flow.
        if steps.first().is_none_or(|s| !s.message.is_request()) {
            continue;
        }
        let flow: Option<Flow> = steps
            .iter()
            .map(|s| {
                Some(Arrow {
                    row: s.row,
                    ..Arrow::of_message(party(s.from)?, party(s.to)?, &s.message)
                })
            })
            .collect();
        let Some(flow) = flow else { continue };
        let answered = steps
            .last()
            .is_some_and(|s| s.to == *root && !s.message.is_request());
        if !answered {
            c.incomplete.insert(flow.clone());
        }
        c.flows.insert(flow);
    }
    true
}

macro_rules! property {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $kind:ident $(+ $everywhere:ident)?, $meaning:literal $(, judge: $judge:expr)? $(, state: $state:expr)? $(,)?) => {
        $(#[$doc])*
        pub struct $ty;
        impl Property for $ty {
            const NAME: &'static str = $name;
            const MEANING: &'static str = $meaning;
            const KIND: Expectation = Expectation::$kind;
            // `+ everywhere` after the kind: every scenario of the engines checks it.
            $(const EVERYWHERE: bool = !stringify!($everywhere).is_empty();)?
            $(fn judge(sent: &Sent<'_>) -> Verdict {
                let judge: fn(&Sent<'_>) -> Verdict = $judge;
                judge(sent)
            })?
            $(fn state(model: &Model, state: &State) -> Option<bool> {
                let judge: fn(&Model, &State) -> bool = $state;
                Some(judge(model, state))
            })?
        }
    };
}

fn violated_if(bad: bool, why: impl FnOnce() -> String) -> Verdict {
    if bad {
        Verdict::Violated(why())
    } else {
        Verdict::Fine
    }
}

fn reached_if(yes: bool) -> Verdict {
    if yes { Verdict::Reached } else { Verdict::Fine }
}

property!(
    /// Ciphertexts are sealed to exactly the target and its readers per the ReadsFor answer.
    Confidentiality, "confidentiality", Always + everywhere,
    "every ciphertext is sealed to exactly its target plus, with reads-for, the identities that read for the target per the evidence in force when the ReadsFor engine answered — and only on an answer the ReadsFor engine really sent",
    judge: |s| {
        if let Some((_, Err(why), Ok(_))) = s.encrypted() {
            return Verdict::Violated(why.clone());
        }
        match s.sealed() {
            Some((actual, Some(answer), _)) if answer.ok && actual != answer.readers => Verdict::Violated(format!(
                "sealed to {actual:?}, but the evidence in force names {:?}", answer.readers
            )),
            _ => match s.encrypted() {
                Some((_, _, Ok(ct))) if SymbolicSealed::inspect(&ct.0).is_none() => {
                    Verdict::Violated("an unreadable ciphertext".into())
                }
                _ => Verdict::Fine,
            },
        }
    },
);

property!(
    /// Replies reach their requester and carry that request's data.
    NoCrossTalk, "no cross-talk", Always + everywhere,
    "every reply reaches the requester of its correlation id, is the reply to that request, and carries that request's data and target",
    judge: no_cross_talk,
);

fn no_cross_talk(s: &Sent<'_>) -> Verdict {
    if let ModelMsg::Legacy(LegacyMsg::Encrypted { owner, context }) = s.msg {
        return violated_if(*context != Some(*owner), || {
            format!("user {owner}'s file was encrypted under context {context:?}")
        });
    }
    let Some(env) = s.env() else {
        return Verdict::Fine;
    };
    let to_client = s
        .to()
        .and_then(|t| s.cfg.role(t))
        .is_some_and(Role::is_client);
    if !env.message.is_request() && to_client {
        let reply = env.message.name();
        let to = s.to().unwrap_or(usize::MAX);
        match s.request() {
            None => {
                return Verdict::Violated(format!(
                    "{reply} reached n{to} for correlation {} it never used",
                    env.correlation.0
                ));
            }
            Some(req) if req.name().replacen("Request", "Reply", 1) != reply => {
                return Verdict::Violated(format!("n{to} asked {} but got {reply}", req.name()));
            }
            Some(_) => {}
        }
    }
    if let Some((_, _, false)) = s.sealed() {
        return Verdict::Violated("a ciphertext carried another request's data".into());
    }
    match s.decrypted() {
        Some((sealed, Ok(pt))) if sealed.as_ref().is_none_or(|c| c.plaintext != *pt) => {
            Verdict::Violated("a plaintext from another ciphertext".into())
        }
        _ => Verdict::Fine,
    }
}

property!(
    /// A failed reads-for query yields an error reply.
    ErrorsPropagate, "errors propagate", Always + everywhere,
    "a failed reads-for query yields a reply with an error, never a ciphertext built as if it had succeeded",
    judge: |s| match s.encrypted() {
        Some((_, Ok(answer), Ok(_))) => violated_if(!answer.ok, || "the reads-for query failed, yet a ciphertext was returned".into()),
        _ => Verdict::Fine,
    },
);

property!(
    /// Every engine step names the row of its guard table that chose its action.
    GuardRecorded, "guard rows recorded", Always + everywhere,
    "every step of every engine reports the row of its guard table (its GUARDS, the rows of its behaviour page) that chose the action, and the row is in the table",
    state: |_, s| !s.actor_states.iter().any(|a| a.off_table()),
);

property!(
    /// No secret in any message; no plaintext for a requester that owns no recipient.
    VaultIsolation, "vault isolation", Always + everywhere,
    "no message ever carries secret key material (checked on every message an engine holding secrets sends, against the secrets it holds — and every Encryption instance holds a cookie key, so the search is never empty), and a requester that owns none of a ciphertext's recipients never gets its plaintext",
    judge: |s| match s.decrypted() {
        Some((sealed, Ok(_))) => {
            let recipients: BTreeSet<IdentityId> = sealed.iter().flat_map(|c| c.recipients.iter().map(|(id, _)| *id)).collect();
            let owned = s.to().and_then(|t| s.history.owned.get(&t)).cloned().unwrap_or_default();
            let served = s.to().is_some_and(|t| s.cfg.authorised.contains(&t));
            violated_if(!served && recipients.is_disjoint(&owned), || format!(
                "n{} got a plaintext sealed to {recipients:?}, none of which it owns", s.to().unwrap_or(usize::MAX)
            ))
        }
        _ => Verdict::Fine,
    },
    state: |_, s| !s.actor_states.iter().any(|a| match &**a {
        NodeState::Decryption(v) => v.leaked,
        // The search needs something to search for: an instance always holds a cookie key.
        NodeState::Encryption(e) => e.engine.leaked || e.engine.state.secrets().is_empty(),
        NodeState::Verification(v) => v.leaked || v.state.secrets().is_empty(),
        _ => false,
    }),
);

property!(
    /// Nothing sealed after a revocation lists the revoked reader.
    Revocation, "revocation", Always + everywhere,
    "nothing sealed after a revocation was applied lists the revoked reader, and revoked evidence is never accepted again",
    judge: revocation,
);

fn revocation(s: &Sent<'_>) -> Verdict {
    if let Some((actual, Some(answer), _)) = s.sealed() {
        let leaked: Vec<_> = actual.intersection(&answer.excluded).collect();
        return violated_if(!leaked.is_empty(), || {
            format!("sealed to revoked readers {leaked:?}")
        });
    }
    match (s.env().map(|e| &e.message), s.request()) {
        (
            Some(Message::ReplySubmitReadsForEvidence(r)),
            Some(Message::RequestSubmitReadsForEvidence(req)),
        ) if r.result.is_ok() => {
            let ev = &req.evidence;
            let covered = s
                .history
                .revoked
                .get(&ev.edge())
                .is_some_and(|through| ev.serial <= *through);
            violated_if(covered, || {
                format!("{ev:?} was accepted after its revocation")
            })
        }
        _ => Verdict::Fine,
    }
}

/// Submitted evidence, whether its signature verifies, and the engine's answer.
fn submitted<'a>(s: &Sent<'a>) -> Option<(bool, &'a Result<(), RelationError>)> {
    let (
        Some(Message::ReplySubmitReadsForEvidence(r)),
        Some(Message::RequestSubmitReadsForEvidence(req)),
    ) = (s.env().map(|e| &e.message), s.request())
    else {
        return None;
    };
    let ev = &req.evidence;
    let genuine = SymbolicBackend::default()
        .verify(
            &ev.to_identity.verifying_key,
            &ev.signed_bytes(),
            &ev.signature,
        )
        .is_ok();
    Some((genuine, &r.result))
}

property!(
    /// Evidence is accepted only with a valid signature by its subject.
    EvidenceVerified, "evidence verified", Always + everywhere,
    "the ReadsFor engine accepts evidence only when the subject's signature verifies",
    judge: |s| match submitted(s) {
        Some((false, Ok(()))) => Verdict::Violated("evidence was accepted although its signature does not verify".into()),
        _ => Verdict::Fine,
    },
);

/// A vault's reply to a key-management request: whether it succeeded.
fn key_management(s: &Sent<'_>) -> Option<Result<(), DecryptionError>> {
    let env = s.env()?;
    if s.cfg.role(s.src) != Some(Role::Decryption) {
        return None;
    }
    Some(match &env.message {
        Message::ReplyGenerateKey(r) => r.result.as_ref().map(|_| ()).map_err(Clone::clone),
        Message::ReplyRotateKey(r) => r.result.as_ref().map(|_| ()).map_err(Clone::clone),
        Message::ReplyDeleteKey(r) => r.result.clone(),
        _ => return None,
    })
}

property!(
    /// Only the vault's manager (Identity Management) generates, rotates or deletes keys.
    KeysManagedByManager, "keys managed by the manager only", Always + everywhere,
    "a vault generates, rotates or deletes a key only at the request of its manager, Identity Management; anyone else is refused",
    judge: |s| match key_management(s) {
        Some(Ok(())) => {
            let asker = s.trigger().map(|(src, _)| src);
            let manager = asker.and_then(|a| s.cfg.role(a)) == Some(Role::IdentityManagement);
            violated_if(!manager, || format!("the vault managed a key for n{}", asker.unwrap_or(usize::MAX)))
        }
        _ => Verdict::Fine,
    },
);

property!(
    /// The evidence a vault signs carries serials that strictly increase.
    SerialsIncrease, "signed serials increase", Always + everywhere,
    "every piece of evidence a vault signs (for a new or rotated key) carries a serial above every serial it signed before, so a later revocation can cover exactly what came before it",
    judge: |s| {
        let evidence = match s.env().map(|e| &e.message) {
            Some(Message::ReplyGenerateKey(spec::message::ReplyGenerateKey { result: Ok(k) }))
            | Some(Message::ReplyRotateKey(spec::message::ReplyRotateKey { result: Ok(k) })) => k.evidence.as_ref(),
            _ => None,
        };
        let before = s.history.signed.get(&s.src).copied().unwrap_or(0);
        match evidence {
            Some(ev) => violated_if(ev.serial <= before, || format!("the vault signed serial {} after {before}", ev.serial)),
            None => Verdict::Fine,
        }
    },
);

property!(
    /// Evidence is refused as superseded exactly when newer evidence for its edge is in force.
    SupersededExactly, "older evidence superseded", Always + everywhere,
    "evidence is refused as Superseded exactly when evidence with a higher serial for the same reader and subject is in force: an older one never replaces a newer one, and a newer or the same one is never refused as older",
    judge: |s| match (s.env().map(|e| &e.message), s.request()) {
        (Some(Message::ReplySubmitReadsForEvidence(r)), Some(Message::RequestSubmitReadsForEvidence(req))) => {
            let ev = &req.evidence;
            let newer = s.history.evidence.get(&ev.edge()).is_some_and(|cur| cur.serial > ev.serial);
            match &r.result {
                Ok(()) => violated_if(newer, || format!("serial {} replaced a newer serial", ev.serial)),
                Err(RelationError::Superseded { .. }) => {
                    violated_if(!newer, || format!("serial {} was refused as older, with nothing newer in force", ev.serial))
                }
                Err(_) => Verdict::Fine,
            }
        }
        _ => Verdict::Fine,
    },
);

property!(
    /// An older piece of evidence was refused.
    OlderRefused, "reachable: older evidence refused", Sometimes,
    "evidence older than the evidence in force for its edge is refused as Superseded",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message),
        Some(Message::ReplySubmitReadsForEvidence(r)) if matches!(r.result, Err(RelationError::Superseded { .. })))),
);

property!(
    /// A zone name is taken once under its master.
    ZonesUnique, "zone names unique", Always + everywhere,
    "Identity Management derives a zone of a given name under a master at most once; a second derivation of the same name is refused",
    judge: |s| match (s.env().map(|e| &e.message), s.request()) {
        (Some(Message::ReplyDeriveZoneIdentity(r)), Some(Message::RequestDeriveZoneIdentity(req))) if r.result.is_ok() => {
            let taken = s.history.zones.contains(&(req.master, req.zone.clone()));
            violated_if(taken, || format!("zone `{}` was derived twice under the same master", req.zone))
        }
        _ => Verdict::Fine,
    },
);

property!(
    /// Deleting an identity erases its keys and only its keys.
    DeletionExact, "deletion erases exactly its keys", Always + everywhere,
    "a vault holds at least one key for every identity it holds and none for an identity it no longer holds: deleting an identity erases its keys, and only its keys",
    state: |_, s| s.actor_states.iter().all(|a| match &**a {
        NodeState::Decryption(v) => {
            let with_keys: BTreeSet<IdentityId> = v.state.keys.values().map(|k| k.identity).collect();
            v.state.identities.keys().copied().collect::<BTreeSet<_>>() == with_keys
        }
        _ => true,
    }),
);

property!(
    /// The Encryption engine refuses exactly the plaintexts over its limit.
    PlaintextLimit, "plaintext limit", Always + everywhere,
    "a request whose plaintext exceeds the Encryption engine's limit is refused with PlaintextTooLarge, and one within the limit never is",
    judge: |s| match s.encrypted() {
        Some((data, _, result)) => {
            let over = data.0.len() > s.cfg.max_plaintext;
            let refused = matches!(result, Err(EncryptionError::PlaintextTooLarge));
            violated_if(over != refused, || format!(
                "a plaintext of {} bytes (limit {}) was {}", data.0.len(), s.cfg.max_plaintext,
                if refused { "refused" } else { "accepted" }
            ))
        }
        None => Verdict::Fine,
    },
);

property!(
    /// Every request gets a reply, checked in every quiescent state.
    Responsiveness, "responsiveness", Always + everywhere,
    "in every quiescent state (no message in flight, no timer, no pending choice) every request has been answered: exactly once on a reliable network without retries, at least once with retries or duplication, or given up after its retries on a lossy network",
    state: |m, s| !quiescent(s) || all_answered(m, s),
);

fn all_answered(m: &Model, s: &State) -> bool {
    let exactly_once = m.cfg.retries == 0 && m.cfg.network != NetworkKind::Duplicating;
    clients(s).all(|c| {
        c.awaiting.iter().all(|k| match c.replies.get(k) {
            Some((_, n)) => !exactly_once || *n == 1,
            None => m.cfg.network == NetworkKind::Lossy && c.gave_up.contains(k),
        })
    })
}

property!(
    /// Seed 003: no removed member ever receives the group key.
    RemovedMemberExcluded, "removed member excluded", Always,
    "no member removed from the group receives a key wrapped after its removal was ordered",
    state: |_, s| !s.actor_states.iter().any(|a| {
        matches!(&**a, NodeState::Negative(NegativeState::Group { leaked_to, .. }) if !leaked_to.is_empty())
    }),
);

property!(
    /// Quiescence with every request answered is reachable (so responsiveness is not vacuous).
    QuietWithAllAnswered, "reachable: quiet with all answered", Sometimes + everywhere,
    "some run reaches a quiescent state after every client issued its requests and got its replies",
    state: |m, s| quiescent(s) && all_answered(m, s) && clients(s).any(|c| !c.replies.is_empty()),
);

property!(
    /// An instance finished a request sealed under another cookie epoch.
    AcrossEpochs, "reachable: continuation opens across a rotation", Sometimes,
    "some instance finishes a request whose continuation was sealed at another cookie epoch than its own",
    state: |_, s| s.actor_states.iter().any(|a| matches!(&**a, NodeState::Encryption(e) if e.finished_across_epochs)),
);

property!(
    /// An evidence answer from anyone but the ReadsFor engine was rejected.
    ForgedAnswerRejected, "reachable: forged answer rejected", Sometimes,
    "some run has the Encryption engine reject a genuine-looking evidence answer (a replayed continuation) that did not come from the ReadsFor engine",
    state: |_, s| s.actor_states.iter().any(|a| matches!(&**a, NodeState::Encryption(e)
        if e.engine.rejected.keys().any(|r| r.reason == RejectReason::UnexpectedSender))),
);

property!(
    /// A ciphertext sealed directly was opened by its owner.
    OwnerDecrypts, "reachable: owner decrypts", Sometimes,
    "an owner gets the plaintext of a ciphertext sealed to its identity",
    judge: |s| reached_if(matches!(s.decrypted(), Some((_, Ok(_))))),
);

property!(
    /// A reads-for ciphertext listed more than its target.
    Widened, "reachable: chain widens recipients", Sometimes,
    "some reads-for ciphertext is sealed to more than its target (the readers the evidence names)",
    judge: |s| reached_if(s.sealed().is_some_and(|(ids, _, _)| ids.len() > 1)),
);

property!(
    /// A reads-for ciphertext left out a reader revoked before the answer.
    RevokedLeftOut, "reachable: revoked reader left out", Sometimes,
    "some ciphertext is sealed after a revocation and leaves the revoked reader out",
    judge: |s| reached_if(matches!(s.sealed(), Some((ids, Some(a), _)) if !a.excluded.is_empty() && ids.is_disjoint(&a.excluded))),
);

property!(
    /// A failed reads-for query reached the requester as an error.
    ErrorPropagated, "reachable: error propagated", Sometimes,
    "a failed reads-for query reaches the requester as an error reply",
    judge: |s| reached_if(matches!(s.encrypted(), Some((_, Ok(a), Err(EncryptionError::ReadsFor(_)))) if !a.ok)),
);

property!(
    /// Forged or wrongly signed evidence was refused.
    ForgeryRefused, "reachable: forgery refused", Sometimes,
    "evidence whose signature does not verify is refused with SignatureInvalid or Malformed",
    judge: |s| reached_if(matches!(submitted(s), Some((false, Err(RelationError::SignatureInvalid | RelationError::Malformed(_)))))),
);

property!(
    /// A vault refused a requester it does not serve.
    UnauthorisedRefused, "reachable: unauthorised refused", Sometimes,
    "a vault refuses to decrypt for a requester that owns nothing in it",
    judge: |s| reached_if(matches!(s.decrypted(), Some((_, Err(DecryptionError::NotAuthorised))))),
);

property!(
    /// A requester the vault is configured to serve decrypted what it does not own.
    AuthorisedDecrypts, "reachable: authorised requester decrypts", Sometimes,
    "a requester the vault is configured to serve for every identity opens a ciphertext sealed to an identity it does not own",
    judge: |s| {
        let authorised = s.to().is_some_and(|t| s.cfg.authorised.contains(&t));
        let owned = s.to().and_then(|t| s.history.owned.get(&t));
        reached_if(authorised && matches!(s.decrypted(), Some((Some(c), Ok(_)))
            if c.recipients.iter().all(|(id, _)| owned.is_none_or(|o| !o.contains(id)))))
    },
);

property!(
    /// A vault refused key management from someone other than its manager.
    NonManagerRefused, "reachable: non-manager refused", Sometimes,
    "a vault refuses to generate, rotate or delete a key for anyone but its manager",
    judge: |s| reached_if(matches!(key_management(s), Some(Err(DecryptionError::NotAuthorised)))),
);

property!(
    /// A vault refused a requester that is not a recipient.
    NonRecipientRefused, "reachable: non-recipient refused", Sometimes,
    "a vault refuses to decrypt a ciphertext none of the requester's identities can open",
    judge: |s| reached_if(matches!(s.decrypted(), Some((_, Err(DecryptionError::NoMatchingKey))))),
);

property!(
    /// A ciphertext sealed before a rotation was opened after it.
    OldCiphertextOpens, "reachable: old ciphertext opens after rotation", Sometimes,
    "a ciphertext sealed to an identity before it was rotated still opens after the rotation",
    judge: |s| reached_if(matches!(s.decrypted(), Some((Some(c), Ok(_)))
        if c.recipients.iter().any(|(id, _)| s.history.rotated.contains(id)))),
);

property!(
    /// One instance of a pool finished a request another one started.
    CrossInstance, "reachable: another instance finishes", Sometimes,
    "one instance of a pool finishes a request whose query another instance sent",
    judge: |s| {
        let Some((_, trigger)) = s.trigger() else { return Verdict::Fine };
        let finishing = s.encrypted().is_some() && matches!(trigger.message, Message::ReplyQueryReadsForEvidence(_));
        reached_if(finishing && s.history.query_origin.get(&trigger.correlation).is_some_and(|o| *o != s.src))
    },
);

property!(
    /// A user's file came back encrypted under its own context (seed 000).
    OwnContext, "reachable: own context", Sometimes,
    "some user's file comes back encrypted under its own context",
    judge: |s| reached_if(matches!(s.msg, ModelMsg::Legacy(LegacyMsg::Encrypted { owner, context }) if *context == Some(*owner))),
);

property!(
    /// A zone identity was derived.
    ZoneDerived, "reachable: zone derived", Sometimes,
    "Identity Management derives a zone identity for its master's owner",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message), Some(Message::ReplyDeriveZoneIdentity(r)) if r.result.is_ok())),
);

property!(
    /// A second zone of the same name was refused.
    DuplicateZoneRefused, "reachable: duplicate zone refused", Sometimes,
    "a second derivation of a zone name already taken under the master is refused with InvalidZone",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message),
        Some(Message::ReplyDeriveZoneIdentity(r)) if r.result == Err(spec::IdentityError::InvalidZone))),
);

property!(
    /// An owner connected to an identity it generated during the run.
    GeneratedConnected, "reachable: generated identity connected", Sometimes,
    "an owner connects to an identity Identity Management generated for it during the run (so what it generates, it manages)",
    judge: |s| match (s.env().map(|e| &e.message), s.request(), s.to()) {
        (Some(Message::ReplyConnectIdentity(r)), Some(Message::RequestConnectIdentity(req)), Some(to)) if r.result.is_ok() => {
            reached_if(s.cfg.initial_owned.get(&to).is_none_or(|ids| !ids.contains(&req.external_identity)))
        }
        _ => Verdict::Fine,
    },
);

property!(
    /// An identity was deleted by its owner.
    IdentityDeleted, "reachable: identity deleted", Sometimes,
    "an owner deletes an identity through Identity Management",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message), Some(Message::ReplyDeleteIdentity(r)) if r.result.is_ok())),
);

property!(
    /// The ReadsFor engine confirmed that one identity reads for another.
    ReadsForConfirmed, "reachable: a reads for t", Sometimes,
    "the ReadsFor engine confirms a reads-for relation that holds through a chain",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message), Some(Message::ReplyReadsFor(r)) if r.result == Ok(true))),
);

property!(
    /// A request sent to an engine that does not handle it got a NotHandled error.
    MisdirectedAnswered, "reachable: misdirected request answered", Sometimes,
    "a request sent to an engine that does not handle it is answered with a NotHandled error of the matching reply type",
    judge: |s| reached_if(s.env().and_then(|e| e.message.error()).is_some_and(|e| e.code() % 100 == 99)),
);

property!(
    /// An oversized plaintext was refused.
    OversizeRefused, "reachable: oversized plaintext refused", Sometimes,
    "a request whose plaintext exceeds the limit is refused",
    judge: |s| reached_if(matches!(s.encrypted(), Some((_, _, Err(EncryptionError::PlaintextTooLarge))))),
);

property!(
    /// `true` only for a genuine commitment by the target or by a signer SignsFor vouched for.
    NoFalseAcceptance, "no false acceptance", Always + everywhere,
    "a verification answers true only for a commitment whose signature checks under the key it names, and that key is the target's or, with signs-for, that of an identity that signs for the target per the evidence in force when the SignsFor engine answered — and only on an answer the SignsFor engine really sent",
    judge: |s| match s.verified() {
        Some(v) if *v.result == Ok(true) => match &v.via {
            Some(Err(why)) => Verdict::Violated(why.clone()),
            _ => violated_if(!v.genuine || !v.key_accepted(), || format!(
                "accepted a commitment by key {:02x?}… (genuine: {}) for {}",
                &v.request.commitment.verifying_key[..4], v.genuine, v.request.external_identity.id()
            )),
        },
        _ => Verdict::Fine,
    },
);

property!(
    /// A failed signs-for query yields an error, never `true` or `false`.
    VerificationErrorsPropagate, "verification errors propagate", Always + everywhere,
    "a failed signs-for query yields a verification reply with an error, never an answer (the Anoma v0.2 Verification engine answers false)",
    judge: |s| match s.verified() {
        Some(v) if v.result.is_ok() => violated_if(matches!(&v.via, Some(Ok(signers)) if !signers.ok), || {
            "the signs-for query failed, yet the verification answered".into()
        }),
        _ => Verdict::Fine,
    },
);

/// A vault's commitment reply: the identity it was asked to sign as, and the result.
fn committed<'a>(s: &Sent<'a>) -> Option<(IdentityId, &'a Result<Commitment, CommitmentError>)> {
    let (Some(Message::ReplyCommitment(r)), Some(Message::RequestCommitment(req))) =
        (s.env().map(|e| &e.message), s.request())
    else {
        return None;
    };
    Some((req.external_identity, &r.result))
}

property!(
    /// The vault commits only for an identity's owner.
    CommitForOwners, "commitments for owners only", Always + everywhere,
    "the vault makes a commitment only for the owner of the identity it signs as",
    judge: |s| match (committed(s), s.to()) {
        (Some((id, Ok(_))), Some(to)) => violated_if(
            !s.history.owned.get(&to).is_some_and(|ids| ids.contains(&id)),
            || format!("n{to} got a commitment by {id}, which it does not own"),
        ),
        _ => Verdict::Fine,
    },
);

property!(
    /// No signature the vault made as a commitment is ever accepted as evidence.
    NoStatementForged, "no statement forged through a commitment", Always + everywhere,
    "no evidence, name or revocation accepted by a relation engine or the Naming engine carries a signature the vault made as a commitment: the vault signs no other kind of statement",
    judge: |s| {
        let signature = match (s.env().map(|e| &e.message), s.request()) {
            (Some(m), Some(Message::RequestSubmitReadsForEvidence(r))) if m.error().is_none() => r.evidence.signature,
            (Some(m), Some(Message::RequestSubmitSignsForEvidence(r))) if m.error().is_none() => r.evidence.signature,
            (Some(m), Some(Message::RequestSubmitReadsForRevocation(r))) if m.error().is_none() => r.revocation.signature,
            (Some(m), Some(Message::RequestSubmitSignsForRevocation(r))) if m.error().is_none() => r.revocation.signature,
            (Some(m), Some(Message::RequestSubmitNameEvidence(r))) if m.error().is_none() => r.evidence.signature,
            (Some(m), Some(Message::RequestSubmitNameRevocation(r))) if m.error().is_none() => r.revocation.signature,
            _ => return Verdict::Fine,
        };
        violated_if(s.history.commitments.contains(signature.as_slice()), || {
            "an engine accepted a statement signed as a commitment".into()
        })
    },
);

property!(
    /// A commitment by another identity was accepted through signs-for.
    SignerAccepted, "reachable: signer accepted through signs-for", Sometimes,
    "a verification with signs-for accepts a commitment by an identity that signs for the target",
    judge: |s| reached_if(s.verified().is_some_and(|v| *v.result == Ok(true)
        && v.request.commitment.verifying_key != v.request.external_identity.verifying_key)),
);

property!(
    /// A genuine commitment was refused (its signer does not, or no longer, signs for the target).
    GenuineRefused, "reachable: genuine commitment by a non-signer refused", Sometimes,
    "a verification with signs-for answers false for a genuine commitment whose signer does not sign for the target (never did, or was revoked)",
    judge: |s| reached_if(s.verified().is_some_and(|v| *v.result == Ok(false) && v.genuine && v.via.is_some())),
);

property!(
    /// A failed signs-for query reached the requester as an error.
    VerificationErrorPropagated, "reachable: signs-for error propagated", Sometimes,
    "a failed signs-for query reaches the verifier as an error reply",
    judge: |s| reached_if(s.verified().is_some_and(|v| matches!(v.result, Err(VerificationError::SignsFor(_))))),
);

property!(
    /// The vault refused to commit for a requester that does not own the identity.
    CommitRefused, "reachable: commitment refused to a non-owner", Sometimes,
    "the vault refuses a commitment to a requester that does not own the identity",
    judge: |s| reached_if(matches!(committed(s), Some((_, Err(CommitmentError::NotAuthorised))))),
);

property!(
    /// The SignsFor engine confirmed that one identity signs for another.
    SignsForConfirmed, "reachable: a signs for t", Sometimes,
    "the SignsFor engine confirms a signs-for relation in force",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message), Some(Message::ReplySignsFor(r)) if r.result == Ok(true))),
);

property!(
    /// Connect grants, and the vault commits, only within an identity's capabilities.
    CapabilitiesRespected, "capabilities respected", Always + everywhere,
    "Identity Management connects a requester to an identity only for capabilities the identity was given, and the vault commits only as an identity given the commit capability",
    judge: |s| match (s.env().map(|e| &e.message), s.request()) {
        (Some(Message::ReplyConnectIdentity(r)), Some(Message::RequestConnectIdentity(req))) if r.result.is_ok() => {
            let granted = s.history.capabilities_of(&req.external_identity);
            violated_if(!granted.contains(req.capabilities), || format!(
                "connected for {} to {}, which may only {granted}", req.capabilities, req.external_identity
            ))
        }
        _ => match committed(s) {
            Some((id, Ok(_))) => violated_if(!s.history.capabilities_of(&id).commit(), || format!(
                "the vault committed as {id}, which may only {}", s.history.capabilities_of(&id)
            )),
            _ => Verdict::Fine,
        },
    },
);

property!(
    /// A request beyond an identity's capabilities was refused.
    CapabilityRefused, "reachable: capability refused", Sometimes,
    "a connect asking for a capability the identity lacks, or a commitment by an identity without the commit capability, is refused",
    judge: |s| reached_if(match s.env().map(|e| &e.message) {
        Some(Message::ReplyConnectIdentity(r)) => matches!(r.result, Err(spec::IdentityError::MissingCapability { .. })),
        Some(Message::ReplyCommitment(r)) => r.result == Err(CommitmentError::NoCommitCapability),
        _ => false,
    }),
);

/// A reply of the Naming engine that says which identity a name resolves to, or which names
/// resolve to an identity: each (name, answer) pair it states.
fn name_answers(s: &Sent<'_>) -> Vec<(IdentityName, Result<IdentityId, String>)> {
    // A negative design in the Naming engine's place is judged as one.
    if !matches!(s.cfg.role(s.src), Some(Role::Naming | Role::Negative)) {
        return Vec::new();
    }
    match s.env().map(|e| &e.message) {
        Some(Message::ReplyResolveName(r)) => vec![(
            r.identity_name.clone(),
            r.result.as_ref().map(|x| x.id()).map_err(|e| e.to_string()),
        )],
        Some(Message::ReplyQueryNameEvidence(r)) => r
            .result
            .iter()
            .flatten()
            .map(|ev| (ev.identity_name.clone(), Ok(r.external_identity)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the Naming engine's answer about `name` is what the acknowledged statements give.
fn name_answer_valid(
    h: &History,
    name: &IdentityName,
    said: &Result<IdentityId, String>,
) -> Verdict {
    let valid = h.names.resolve(name).map(|x| x.id());
    match (said, valid) {
        (Ok(x), Ok(v)) => violated_if(*x != v, || {
            format!("`{name}` resolved to {x}, but its valid evidence names {v}")
        }),
        (Ok(x), Err(why)) => Verdict::Violated(format!("`{name}` resolved to {x}, yet {why}")),
        (Err(e), Ok(v)) => Verdict::Violated(format!(
            "`{name}` names {v} through valid evidence, yet the engine answered: {e}"
        )),
        (Err(_), Err(_)) => Verdict::Fine,
    }
}

property!(
    /// A name resolves to an identity exactly when valid, unrevoked evidence says so.
    NamesResolveThroughValidEvidence, "names resolve only through valid evidence", Always + everywhere,
    "the Naming engine stores only evidence that is newer than the evidence in force for its name, not covered by a revocation and signed by the name's authority; and it resolves a name to X (or lists it among X's names) exactly when the latest acknowledged evidence for it names X, no acknowledged revocation covers it, and it is signed by the name's authority: for a dotted name the identity its parent resolves to by the same rule, for a top-level name X itself or a former holder",
    judge: |s| {
        if let Some(why) = name_acknowledged(s).and_then(|ev| s.history.names.inadmissible(ev)) {
            return Verdict::Violated(format!("the Naming engine stored evidence it must refuse: {why}"));
        }
        name_answers(s)
            .iter()
            .map(|(name, said)| name_answer_valid(s.history, name, said))
            .find(|v| matches!(v, Verdict::Violated(_)))
            .unwrap_or(Verdict::Fine)
    },
);

/// Name evidence the Naming engine (or a design in its place) acknowledges in this message.
fn name_acknowledged<'a>(s: &Sent<'a>) -> Option<&'a spec::NameEvidence> {
    let naming = matches!(s.cfg.role(s.src), Some(Role::Naming | Role::Negative));
    match (s.env().map(|e| &e.message), s.request()) {
        (
            Some(Message::ReplySubmitNameEvidence(r)),
            Some(Message::RequestSubmitNameEvidence(req)),
        ) if naming && r.result.is_ok() => Some(&req.evidence),
        _ => None,
    }
}

/// A resolve reply from the Naming engine: the name and its result.
fn resolved<'a>(
    s: &Sent<'a>,
) -> Option<(&'a IdentityName, &'a Result<ExternalIdentity, NamingError>)> {
    match (s.cfg.role(s.src), s.env().map(|e| &e.message)) {
        (Some(Role::Naming), Some(Message::ReplyResolveName(r))) => {
            Some((&r.identity_name, &r.result))
        }
        _ => None,
    }
}

property!(
    /// A dotted name resolved through its parent's vouch.
    DottedNameResolved, "reachable: dotted name resolved", Sometimes,
    "a dotted name resolves to the identity its parent's holder vouched for",
    judge: |s| reached_if(resolved(s).is_some_and(|(name, r)| r.is_ok() && name.parent().is_some())),
);

property!(
    /// A claim to a held top-level name was refused, naming the holder.
    NameTakenRefused, "reachable: taken name refused", Sometimes,
    "a claim to a top-level name another identity holds is refused with NameTaken",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message),
        Some(Message::ReplySubmitNameEvidence(r)) if matches!(r.result, Err(NamingError::NameTaken { .. })))),
);

property!(
    /// Name evidence older than, or conflicting with, what is in force or revoked was refused.
    OlderNameRefused, "reachable: older name evidence refused", Sometimes,
    "name evidence whose serial a revocation covers, or that is older than or conflicts with the evidence in force, is refused with Revoked or Superseded",
    judge: |s| reached_if(matches!(s.env().map(|e| &e.message),
        Some(Message::ReplySubmitNameEvidence(r)) if matches!(r.result, Err(NamingError::Revoked { .. } | NamingError::Superseded { .. })))),
);

property!(
    /// A child name stopped resolving once its parent was revoked.
    ChildUnresolved, "reachable: child of a revoked parent unresolved", Sometimes,
    "a dotted name whose parent no longer resolves is answered ParentUnresolved",
    judge: |s| reached_if(resolved(s).is_some_and(|(_, r)| matches!(r, Err(NamingError::ParentUnresolved { .. })))),
);

property!(
    /// A name statement signed as a commitment was refused.
    NameForgeryRefused, "reachable: name statement forged through a commitment refused", Sometimes,
    "name evidence or a name revocation whose signature the vault made as a commitment is refused",
    judge: |s| {
        let signature = match (s.env().map(|e| &e.message), s.request()) {
            (Some(m), Some(Message::RequestSubmitNameEvidence(r))) if m.error().is_some() => r.evidence.signature,
            (Some(m), Some(Message::RequestSubmitNameRevocation(r))) if m.error().is_some() => r.revocation.signature,
            _ => return Verdict::Fine,
        };
        reached_if(s.history.commitments.contains(signature.as_slice()))
    },
);

/// Every property, in the order reports list them; [`record_out`] runs every judgement.
pub const ALL: &[Check] = &[
    check::<Confidentiality>(),
    check::<NoCrossTalk>(),
    check::<ErrorsPropagate>(),
    check::<VaultIsolation>(),
    check::<GuardRecorded>(),
    check::<Revocation>(),
    check::<EvidenceVerified>(),
    check::<KeysManagedByManager>(),
    check::<SerialsIncrease>(),
    check::<SupersededExactly>(),
    check::<ZonesUnique>(),
    check::<DeletionExact>(),
    check::<PlaintextLimit>(),
    check::<Responsiveness>(),
    check::<RemovedMemberExcluded>(),
    check::<QuietWithAllAnswered>(),
    check::<AcrossEpochs>(),
    check::<ForgedAnswerRejected>(),
    check::<OwnerDecrypts>(),
    check::<Widened>(),
    check::<RevokedLeftOut>(),
    check::<ErrorPropagated>(),
    check::<ForgeryRefused>(),
    check::<UnauthorisedRefused>(),
    check::<AuthorisedDecrypts>(),
    check::<NonManagerRefused>(),
    check::<NonRecipientRefused>(),
    check::<OldCiphertextOpens>(),
    check::<CrossInstance>(),
    check::<OwnContext>(),
    check::<ZoneDerived>(),
    check::<IdentityDeleted>(),
    check::<DuplicateZoneRefused>(),
    check::<GeneratedConnected>(),
    check::<OlderRefused>(),
    check::<ReadsForConfirmed>(),
    check::<MisdirectedAnswered>(),
    check::<OversizeRefused>(),
    check::<NoFalseAcceptance>(),
    check::<VerificationErrorsPropagate>(),
    check::<CommitForOwners>(),
    check::<NoStatementForged>(),
    check::<SignerAccepted>(),
    check::<GenuineRefused>(),
    check::<VerificationErrorPropagated>(),
    check::<CommitRefused>(),
    check::<SignsForConfirmed>(),
    check::<CapabilitiesRespected>(),
    check::<CapabilityRefused>(),
    check::<NamesResolveThroughValidEvidence>(),
    check::<DottedNameResolved>(),
    check::<NameTakenRefused>(),
    check::<ChildUnresolved>(),
    check::<OlderNameRefused>(),
    check::<NameForgeryRefused>(),
];

/// The properties every scenario of the real engines checks.
pub fn engine_safety() -> Vec<Check> {
    ALL.iter().filter(|c| c.everywhere).cloned().collect()
}
