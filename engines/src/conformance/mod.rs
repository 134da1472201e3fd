//! Conformance cases: an engine's configuration and state, its inputs, and exactly what must
//! follow — and the reference replay of a case through these engines.
//!
//! A case is what another runtime runs against its own engines. Every part is
//! canonical CBOR ([`spec::codec`]); the randomness each step draws is recorded
//! so that a runtime feeding the same bytes to its RNG produces the same
//! ciphertexts, keys and correlation ids. The directory layout and the rules a
//! runner follows are on the site's conformance page; this module is the
//! reference runner.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spec::Envelope;
use spec::codec::{self, DecodeError};
use spec::effects::{Effects, Rejection};

use crate::{Engine, HostEvent};

pub mod files;
pub mod semantic;
use crate::backend::KeyRing;
use crate::backend::hpke::HpkeBackend;
use crate::backend::seeded::{Drawn, ReplayRng, SeededBackend};
use crate::decryption::Decryption;
use crate::encryption::Encryption;
use crate::identity_management::IdentityManagement;
use crate::naming::Naming;
use crate::reads_for::ReadsFor;
use crate::signs_for::SignsFor;
use crate::verification::Verification;
use semantic::{Meaning, Observing};

/// The engines a case may name, in the order suites list them.
pub const ENGINES: &[&str] = &[
    Encryption::NAME,
    ReadsFor::NAME,
    Decryption::NAME,
    IdentityManagement::NAME,
    Verification::NAME,
    SignsFor::NAME,
    Naming::NAME,
];

/// The host events each engine takes ([`Engine::on_event`] returns true for these only).
pub const HOST_EVENTS: &[(&str, HostEvent)] = &[
    (Encryption::NAME, HostEvent::RotateCookieKey),
    (Verification::NAME, HostEvent::RotateCookieKey),
];

/// An engine a case can hold: its configuration and its state encode and decode.
pub trait CaseEngine:
    Engine<State: Serialize + DeserializeOwned> + Serialize + DeserializeOwned
{
}

impl<E> CaseEngine for E where
    E: Engine<State: Serialize + DeserializeOwned> + Serialize + DeserializeOwned
{
}

/// What one step must produce: the envelopes sent and the rejections recorded, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expected {
    /// Envelopes sent, in order.
    pub send: Vec<Envelope>,
    /// Rejections recorded, in order.
    pub rejected: Vec<Rejection>,
}

impl From<&Effects> for Expected {
    fn from(effects: &Effects) -> Self {
        Expected {
            send: effects.send.clone(),
            rejected: effects.rejected.clone(),
        }
    }
}

/// One input of a case and what it must cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStep {
    /// A host event instead of an envelope: `input`, `random` and `effects` are then empty.
    pub event: Option<HostEvent>,
    /// The input: an envelope in canonical CBOR (or, in a refused case, bytes that are not one).
    pub input: Vec<u8>,
    /// The random bytes the engine draws while handling it, in order.
    pub random: Vec<u8>,
    /// The guard row that handles it (empty in a refused case).
    pub handler: String,
    /// [`Expected`] in canonical CBOR (empty in a refused case).
    pub effects: Vec<u8>,
}

impl CaseStep {
    /// A step that is the host event `event`.
    pub fn event(event: HostEvent) -> CaseStep {
        CaseStep {
            event: Some(event),
            input: Vec::new(),
            random: Vec::new(),
            handler: event.name().to_string(),
            effects: Vec::new(),
        }
    }
}

/// A conformance case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// One of [`ENGINES`].
    pub engine: String,
    /// What it exercises, in a sentence.
    pub description: String,
    /// The engine's configuration in canonical CBOR.
    pub config: Vec<u8>,
    /// The engine's state before the first step.
    pub pre: Vec<u8>,
    /// The inputs, in order.
    pub steps: Vec<CaseStep>,
    /// The state after the last step; `None` when the input must be refused.
    pub post: Option<Vec<u8>>,
}

impl Case {
    /// A one-step case recorded from a step of the reference engine.
    pub fn recorded<E>(
        engine: &E,
        pre: &E::State,
        input: &Envelope,
        random: Vec<u8>,
        effects: &Effects,
        post: &E::State,
    ) -> Case
    where
        E: Engine + Serialize,
        E::State: Serialize,
    {
        Case {
            engine: E::NAME.to_string(),
            description: format!(
                "{} from {}, handled by row {}",
                input.message.name(),
                input.sender,
                effects.guard
            ),
            config: codec::encode(engine),
            pre: codec::encode(pre),
            steps: vec![CaseStep {
                event: None,
                input: codec::encode(input),
                random,
                handler: effects.guard.to_string(),
                effects: codec::encode(&Expected::from(effects)),
            }],
            post: Some(codec::encode(post)),
        }
    }

    /// A one-step case of a host event, recorded from the reference engine.
    pub fn event<E>(engine: &E, pre: &E::State, event: HostEvent, post: &E::State) -> Case
    where
        E: Engine + Serialize,
        E::State: Serialize,
    {
        Case {
            engine: E::NAME.to_string(),
            description: format!("the host's {} event", event.name()),
            config: codec::encode(engine),
            pre: codec::encode(pre),
            steps: vec![CaseStep::event(event)],
            post: Some(codec::encode(post)),
        }
    }

    /// The handler that names the case's directory: its first step's, or `refused`.
    pub fn handler(&self) -> &str {
        match (&self.post, self.steps.first()) {
            (None, _) => "refused",
            (Some(_), Some(step)) if self.steps.len() == 1 => &step.handler,
            (Some(_), _) => "flow",
        }
    }

    /// A stable name: the first 16 hex digits of a hash over everything the case gives.
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.engine.as_bytes(), &self.config, &self.pre] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        for step in &self.steps {
            h.update((step.input.len() as u64).to_be_bytes());
            h.update(&step.input);
            if let Some(event) = step.event {
                h.update(event.name());
            }
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Where a runtime's (here: the reference's) replay of a case differs from the case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Divergence {
    /// The case names an engine that does not exist.
    #[error("unknown engine {0:?} (known: {known})", known = ENGINES.join(", "))]
    UnknownEngine(String),
    /// A part of the case is not canonical CBOR of its type.
    #[error("{part} does not decode: {error}")]
    Undecodable {
        /// Which file.
        part: String,
        /// Why.
        error: DecodeError,
    },
    /// The case must be refused, but its input decodes as an envelope.
    #[error("step {step}: the input must be refused, but it decodes as an envelope")]
    Accepted {
        /// The step.
        step: usize,
    },
    /// A different guard row handled the input.
    #[error("step {step}: handled by row {actual:?}, the case says {expected:?}")]
    Handler {
        /// The step.
        step: usize,
        /// The case's row.
        expected: String,
        /// The row taken.
        actual: String,
    },
    /// Different envelopes were sent, or different rejections recorded.
    #[error("step {step}: the effects differ")]
    Effects {
        /// The step.
        step: usize,
        /// What the case says.
        expected: Box<Expected>,
        /// What the engine did.
        actual: Box<Expected>,
    },
    /// The engine drew a different amount of randomness than the case recorded.
    #[error("step {step}: the case records {recorded} random bytes, the engine {drawn}")]
    Randomness {
        /// The step.
        step: usize,
        /// Bytes recorded.
        recorded: usize,
        /// What the engine drew.
        drawn: DrawnText,
    },
    /// The engine has no such host event.
    #[error("step {step}: the engine has no host event {event}", event = event.name())]
    NoEvent {
        /// The step.
        step: usize,
        /// The event.
        event: HostEvent,
    },
    /// A step's randomness was not recorded, and it enters the engine's state.
    #[error(
        "step {step}: its randomness was not recorded, and it changes the engine's state: \
         only a trace with the step's random bytes can check it"
    )]
    Unrecorded {
        /// The step.
        step: usize,
    },
    /// A value made from unrecorded randomness does not mean what the reference's means.
    #[error("step {step}: {meaning}")]
    Meaning {
        /// The step.
        step: usize,
        /// What differs.
        meaning: Meaning,
    },
    /// The state after the last step differs.
    #[error("the state after differs")]
    Post {
        /// The case's state, canonical CBOR.
        expected: Vec<u8>,
        /// The engine's, canonical CBOR.
        actual: Vec<u8>,
    },
}

impl Divergence {
    /// The step it happened at, if it belongs to one.
    pub fn step(&self) -> Option<usize> {
        match self {
            Divergence::Accepted { step }
            | Divergence::Handler { step, .. }
            | Divergence::Effects { step, .. }
            | Divergence::Randomness { step, .. }
            | Divergence::Unrecorded { step }
            | Divergence::NoEvent { step, .. }
            | Divergence::Meaning { step, .. } => Some(*step),
            _ => None,
        }
    }
}

/// How much randomness an engine drew, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawnText(pub Drawn);

impl std::fmt::Display for DrawnText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Drawn::Exactly => f.write_str("drew them all"),
            Drawn::Fewer(n) => write!(f, "drew only {n}"),
            Drawn::More(n) => write!(f, "asked for {n}"),
        }
    }
}

/// Calls `$f::<E>($args)` for the engine type `$name` names.
macro_rules! by_engine {
    ($name:expr, $f:ident($($arg:expr),*)) => {
        match $name {
            Encryption::NAME => $f::<Encryption>($($arg),*),
            ReadsFor::NAME => $f::<ReadsFor>($($arg),*),
            Decryption::NAME => $f::<Decryption>($($arg),*),
            IdentityManagement::NAME => $f::<IdentityManagement>($($arg),*),
            Verification::NAME => $f::<Verification>($($arg),*),
            SignsFor::NAME => $f::<SignsFor>($($arg),*),
            Naming::NAME => $f::<Naming>($($arg),*),
            other => Err(Divergence::UnknownEngine(other.to_string())),
        }
    };
}

/// Replays a case through the reference engine it names.
pub fn replay(case: &Case) -> Result<(), Divergence> {
    by_engine!(case.engine.as_str(), replay_as(case))
}

/// The guard rows of the engine `name` names.
pub fn guards(name: &str) -> Option<&'static [&'static str]> {
    by_engine!(name, guards_of()).ok()
}

fn guards_of<E: Engine>() -> Result<&'static [&'static str], Divergence> {
    Ok(E::GUARDS)
}

/// A one-step case from `case`'s engine, configuration and state before, with another input,
/// recorded from the reference engine with seeded randomness (`stream`).
pub fn with_input(case: &Case, input: &Envelope, stream: u64) -> Result<Case, Divergence> {
    by_engine!(case.engine.as_str(), record_as(case, input, stream))
}

/// A one-step case of the host event `event`, from `case`'s engine, configuration and state
/// before; [`Divergence::NoEvent`] if the engine does not take it.
pub fn with_event(case: &Case, event: HostEvent) -> Result<Case, Divergence> {
    by_engine!(case.engine.as_str(), event_as(case, event))
}

fn event_as<E>(case: &Case, event: HostEvent) -> Result<Case, Divergence>
where
    E: CaseEngine,
{
    let engine: E = part("config.cbor", &case.config)?;
    let pre: E::State = part("pre.cbor", &case.pre)?;
    let mut state: E::State = part("pre.cbor", &case.pre)?;
    if !engine.on_event(&mut state, event) {
        return Err(Divergence::NoEvent { step: 0, event });
    }
    Ok(Case::event(&engine, &pre, event, &state))
}

fn record_as<E>(case: &Case, input: &Envelope, stream: u64) -> Result<Case, Divergence>
where
    E: CaseEngine,
{
    let engine: E = part("config.cbor", &case.config)?;
    let pre: E::State = part("pre.cbor", &case.pre)?;
    let mut state: E::State = part("pre.cbor", &case.pre)?;
    let mut backend = SeededBackend::new(stream);
    let effects = engine.step(&mut state, &mut backend, input);
    let random = backend.drawn(0, backend.position());
    Ok(Case::recorded(
        &engine, &pre, input, random, &effects, &state,
    ))
}

/// Several one-step cases of one engine, run one after the other, as one case.
///
/// `None` unless each step starts in the state the one before ended in.
pub fn chain(cases: &[&Case]) -> Option<Case> {
    let (first, rest) = cases.split_first()?;
    let mut flow = (*first).clone();
    for next in rest {
        let joins = next.engine == flow.engine
            && next.config == flow.config
            && next.post.is_some()
            && flow.post.as_ref() == Some(&next.pre);
        if !joins {
            return None;
        }
        flow.steps.extend(next.steps.iter().cloned());
        flow.post.clone_from(&next.post);
    }
    flow.description = format!(
        "{} steps: {}",
        flow.steps.len(),
        flow.steps
            .iter()
            .map(|s| s.handler.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(flow)
}

fn part<T: Serialize + DeserializeOwned>(name: &str, bytes: &[u8]) -> Result<T, Divergence> {
    codec::decode(bytes).map_err(|error| Divergence::Undecodable {
        part: name.to_string(),
        error,
    })
}

fn replay_as<E>(case: &Case) -> Result<(), Divergence>
where
    E: CaseEngine,
{
    let Some(post) = &case.post else {
        // Even a refused case's configuration and state must decode.
        let _: E = part("config.cbor", &case.config)?;
        let _: E::State = part("pre.cbor", &case.pre)?;
        return refused(case);
    };
    let state = run_steps::<E>(case, &[], &KeyRing::new(), |_| {})?;
    let actual = codec::encode(&state);
    if actual != *post {
        // The case's own bytes must decode too: a corrupted post is reported as such.
        let _: E::State = part("post.cbor", post)?;
        return Err(Divergence::Post {
            expected: post.clone(),
            actual,
        });
    }
    Ok(())
}

/// Runs a case's steps from its state before, each with its recorded randomness unless
/// `unrecorded[i]` (then by meaning, opening ciphertexts with `keys`); `each` sees the state
/// after every step. Returns the state after the last.
fn run_steps<E>(
    case: &Case,
    unrecorded: &[bool],
    keys: &KeyRing,
    mut each: impl FnMut(&E::State),
) -> Result<E::State, Divergence>
where
    E: CaseEngine,
{
    let engine: E = part("config.cbor", &case.config)?;
    let mut state: E::State = part("pre.cbor", &case.pre)?;
    for (i, step) in case.steps.iter().enumerate() {
        if unrecorded.get(i).copied().unwrap_or(false) {
            unrecorded_step(&engine, &mut state, i, step, keys)?;
        } else {
            recorded_step(&engine, &mut state, i, step)?;
        }
        each(&state);
    }
    Ok(state)
}

/// One step replayed with its recorded randomness.
fn recorded_step<E: Engine>(
    engine: &E,
    state: &mut E::State,
    i: usize,
    step: &CaseStep,
) -> Result<(), Divergence> {
    if let Some(event) = step.event {
        return match engine.on_event(state, event) {
            true => Ok(()),
            false => Err(Divergence::NoEvent { step: i, event }),
        };
    }
    let input: Envelope = part(&format!("input_{i}.cbor"), &step.input)?;
    let expected: Expected = part(&format!("effects_{i}.cbor"), &step.effects)?;
    let mut backend = HpkeBackend::with_rng(ReplayRng::new(step.random.clone()));
    let effects = engine.step(state, &mut backend, &input);
    compare(i, step, &effects, Expected::from(&effects), expected)?;
    let drawn = backend.rng().verdict();
    if drawn != Drawn::Exactly {
        return Err(Divergence::Randomness {
            step: i,
            recorded: step.random.len(),
            drawn: DrawnText(drawn),
        });
    }
    Ok(())
}

/// The effects and the row a step took, against the case's.
fn compare(
    i: usize,
    step: &CaseStep,
    effects: &Effects,
    actual: Expected,
    expected: Expected,
) -> Result<(), Divergence> {
    if actual != expected {
        return Err(Divergence::Effects {
            step: i,
            expected: Box::new(expected),
            actual: Box::new(actual),
        });
    }
    if effects.guard != step.handler {
        return Err(Divergence::Handler {
            step: i,
            expected: step.handler.clone(),
            actual: effects.guard.to_string(),
        });
    }
    Ok(())
}

/// The stream the reference draws from when a step's randomness was not recorded.
const UNRECORDED_STREAM: u64 = u64::MAX - 1;

/// One step whose randomness was not recorded: replayed with the reference's own, and
/// compared by meaning where randomness made a value ([`semantic`]).
fn unrecorded_step<E>(
    engine: &E,
    state: &mut E::State,
    i: usize,
    step: &CaseStep,
    keys: &KeyRing,
) -> Result<(), Divergence>
where
    E: Engine,
    E::State: Serialize + DeserializeOwned,
{
    let input: Envelope = part(&format!("input_{i}.cbor"), &step.input)?;
    let expected: Expected = part(&format!("effects_{i}.cbor"), &step.effects)?;
    let before = codec::encode(&*state);
    let mut backend = Observing::new(SeededBackend::new(UNRECORDED_STREAM));
    let effects = engine.step(state, &mut backend, &input);
    if backend.inner().position() > 0 {
        // Randomness that reaches the state would make every later step differ.
        let mut other: E::State = part("pre.cbor", &before)?;
        engine.step(
            &mut other,
            &mut SeededBackend::new(UNRECORDED_STREAM + 1),
            &input,
        );
        if codec::encode(&other) != codec::encode(&*state) {
            return Err(Divergence::Unrecorded { step: i });
        }
    }
    let mut actual = Expected::from(&effects);
    semantic::reconcile(&mut actual, &expected, &backend, keys)
        .map_err(|meaning| Divergence::Meaning { step: i, meaning })?;
    compare(i, step, &effects, actual, expected)
}

/// Replays a recorded trace's steps (whatever `post` says); step `i`'s randomness is taken
/// as not recorded when `unrecorded[i]`, and its ciphertexts are opened with `keys`.
///
/// Returns the engine's state after each step, in canonical CBOR.
pub fn replay_trace(
    case: &Case,
    unrecorded: &[bool],
    keys: &KeyRing,
) -> Result<Vec<Vec<u8>>, Divergence> {
    by_engine!(
        case.engine.as_str(),
        replay_trace_as(case, unrecorded, keys)
    )
}

fn replay_trace_as<E>(
    case: &Case,
    unrecorded: &[bool],
    keys: &KeyRing,
) -> Result<Vec<Vec<u8>>, Divergence>
where
    E: CaseEngine,
{
    let mut states = Vec::with_capacity(case.steps.len());
    run_steps::<E>(case, unrecorded, keys, |s| states.push(codec::encode(s)))?;
    Ok(states)
}

/// A refused case passes when no input decodes as an envelope.
fn refused(case: &Case) -> Result<(), Divergence> {
    match case
        .steps
        .iter()
        .position(|s| codec::decode::<Envelope>(&s.input).is_ok())
    {
        Some(step) => Err(Divergence::Accepted { step }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::identity_management::IdentityManagementState;
    use spec::Address;

    #[test]
    fn every_engine_a_case_may_name_is_dispatched_once() {
        for (i, name) in ENGINES.iter().enumerate() {
            assert!(guards(name).is_some_and(|g| !g.is_empty()), "{name}");
            assert!(!ENGINES[..i].contains(name), "{name} twice");
        }
        assert_eq!(guards("nope"), None);
    }

    #[test]
    fn host_events_lists_exactly_the_engines_that_take_them() {
        let a = |s: &str| Address::new(s).unwrap();
        let mut b = SeededBackend::new(0);
        let event = HostEvent::RotateCookieKey;
        let takes = [
            (
                Encryption::NAME,
                Encryption::new(a("e"), a("r"))
                    .on_event(&mut Encryption::initial_state(&mut b), event),
            ),
            (
                ReadsFor::NAME,
                ReadsFor::new(a("r")).on_event(&mut Default::default(), event),
            ),
            (
                Decryption::NAME,
                Decryption::new(a("d"), None, Default::default())
                    .on_event(&mut Default::default(), event),
            ),
            (
                IdentityManagement::NAME,
                IdentityManagement::new(a("i"), a("d"), a("r"))
                    .on_event(&mut IdentityManagementState::default(), event),
            ),
            (
                Verification::NAME,
                Verification::new(a("v"), a("s"))
                    .on_event(&mut Verification::initial_state(&mut b), event),
            ),
            (
                SignsFor::NAME,
                SignsFor::new(a("s")).on_event(&mut Default::default(), event),
            ),
            (
                Naming::NAME,
                Naming { address: a("n") }.on_event(&mut Default::default(), event),
            ),
        ];
        assert_eq!(takes.map(|(name, _)| name), ENGINES);
        for (name, took) in takes {
            assert_eq!(HOST_EVENTS.contains(&(name, event)), took, "{name}");
        }
    }
}
