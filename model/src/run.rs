//! Running a scenario: explore, judge every property, detect truncation, rebuild shortest traces.

use std::time::{Duration, Instant};

use spec::{Envelope, Message};
use stateright::actor::ActorModelAction;
use stateright::{Checker, Expectation, Model as _};

use crate::actors::{ModelChoice, ModelMsg, ModelTimer, index_of};
use crate::negative::LegacyMsg;
use crate::properties::in_flight;
use crate::scenarios::{Model, Scenario};

/// Bounds on one exploration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Worker threads.
    pub threads: usize,
    /// Generated states after which the run counts as cut short.
    pub max_states: usize,
    /// Time after which the run counts as cut short.
    pub time_limit: Duration,
}

/// What became of one property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyOutcome {
    /// No counterexample exists within the bounds.
    Holds,
    /// A counterexample was found.
    Violated,
    /// The flawed design's violation was found, as it must be.
    ExpectedViolationFound,
    /// The flawed design's violation was not found: the checker is broken.
    ExpectedViolationMissing,
    /// The outcome happens in some run.
    Reached,
    /// The outcome happens in no run: something else passes vacuously.
    NotReached,
}

impl PropertyOutcome {
    /// Whether this outcome passes.
    pub fn passes(self) -> bool {
        matches!(
            self,
            PropertyOutcome::Holds
                | PropertyOutcome::ExpectedViolationFound
                | PropertyOutcome::Reached
        )
    }

    /// How the report says it.
    pub fn label(self) -> &'static str {
        match self {
            PropertyOutcome::Holds => "holds",
            PropertyOutcome::Violated => "VIOLATED",
            PropertyOutcome::ExpectedViolationFound => "expected violation found",
            PropertyOutcome::ExpectedViolationMissing => "EXPECTED VIOLATION NOT FOUND",
            PropertyOutcome::Reached => "reached",
            PropertyOutcome::NotReached => "NOT REACHED",
        }
    }
}

/// One step of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A message delivered.
    Deliver {
        /// Sender index.
        from: usize,
        /// Receiver index.
        to: usize,
        /// The arrow's label.
        label: String,
        /// A reply (dashed arrow) rather than a request.
        reply: bool,
        /// Its correlation id, if it has one.
        correlation: Option<u64>,
    },
    /// A message sent in the last step, not yet delivered (what broke the property).
    Sent {
        /// Sender index.
        from: usize,
        /// Receiver index.
        to: usize,
        /// The arrow's label.
        label: String,
        /// A reply (dashed arrow) rather than a request.
        reply: bool,
    },
    /// A message lost by the network.
    Lost {
        /// Sender index.
        from: usize,
        /// Receiver index.
        to: usize,
        /// What was lost.
        label: String,
    },
    /// A timer fired.
    Timeout {
        /// Whose.
        actor: usize,
        /// Which.
        label: String,
    },
    /// An actor made a nondeterministic choice.
    Choice {
        /// Whose.
        actor: usize,
        /// What it chose.
        label: String,
    },
}

/// One property's result.
#[derive(Debug, Clone)]
pub struct PropertyResult {
    /// Name.
    pub name: &'static str,
    /// One sentence of meaning.
    pub meaning: &'static str,
    /// "always", "sometimes" or "eventually".
    pub expectation: &'static str,
    /// The result.
    pub outcome: PropertyOutcome,
    /// The shortest counterexample (or the flawed design's violation).
    pub trace: Option<Vec<Step>>,
    /// What the history recorded about the violation, when it judged it.
    pub detail: Option<String>,
}

/// One scenario's report.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// Scenario name.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Bounds in words.
    pub bounds: &'static str,
    /// Network.
    pub network: &'static str,
    /// Actor names, by index.
    pub names: Vec<String>,
    /// States generated.
    pub generated: usize,
    /// Unique states.
    pub unique: usize,
    /// Deepest path.
    pub depth: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Why the run was cut short, if it was.
    pub truncated: Option<String>,
    /// Properties.
    pub properties: Vec<PropertyResult>,
    /// Properties that do not hold here by design, and why.
    pub not_applicable: Vec<(&'static str, &'static str)>,
}

impl ScenarioReport {
    /// Whether the scenario passes: every property as expected, and the run complete.
    pub fn passes(&self) -> bool {
        self.truncated.is_none() && self.properties.iter().all(|p| p.outcome.passes())
    }

    /// States per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.generated as f64 / self.seconds
        } else {
            0.0
        }
    }
}

fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Sometimes => "sometimes",
        Expectation::Eventually => "eventually",
    }
}

/// Explores `scenario` and judges each property; `progress` sees (generated, unique, seconds).
pub fn run(
    scenario: &Scenario,
    limits: Limits,
    progress: &mut dyn FnMut(usize, usize, f64),
) -> ScenarioReport {
    let start = Instant::now();
    let model = scenario.model(None);
    let checker = model
        .checker()
        .threads(limits.threads.max(1))
        .target_state_count(limits.max_states)
        .timeout(limits.time_limit)
        .spawn_bfs();
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(20));
        progress(
            checker.state_count(),
            checker.unique_state_count(),
            start.elapsed().as_secs_f64(),
        );
    }
    let checker = checker.join();
    let seconds = start.elapsed().as_secs_f64();
    let discoveries = checker.discoveries();
    let all_discovered = scenario
        .checks
        .iter()
        .all(|c| discoveries.contains_key(c.name));
    let truncated = if all_discovered {
        None
    } else if checker.state_count() >= limits.max_states {
        Some(format!(
            "stopped at the state bound ({} states generated)",
            limits.max_states
        ))
    } else if start.elapsed() >= limits.time_limit {
        Some(format!(
            "stopped at the time bound ({} s)",
            limits.time_limit.as_secs()
        ))
    } else {
        None
    };
    let properties = scenario
        .checks
        .iter()
        .map(|check| {
            let found = discoveries.contains_key(check.name);
            let outcome = match (&check.expectation, found, check.expect_violation) {
                (Expectation::Sometimes, true, _) => PropertyOutcome::Reached,
                (Expectation::Sometimes, false, _) => PropertyOutcome::NotReached,
                (_, true, true) => PropertyOutcome::ExpectedViolationFound,
                (_, false, true) => PropertyOutcome::ExpectedViolationMissing,
                (_, true, false) => PropertyOutcome::Violated,
                (_, false, false) => PropertyOutcome::Holds,
            };
            let (trace, detail) = if matches!(
                outcome,
                PropertyOutcome::Violated | PropertyOutcome::ExpectedViolationFound
            ) {
                shortest_trace(scenario, check.name, limits)
                    .map_or((None, None), |(t, d)| (Some(t), d))
            } else {
                (None, None)
            };
            PropertyResult {
                name: check.name,
                meaning: check.meaning,
                expectation: expectation_name(&check.expectation),
                outcome,
                trace,
                detail,
            }
        })
        .collect();
    ScenarioReport {
        name: scenario.name,
        summary: scenario.summary,
        bounds: scenario.bounds,
        network: scenario.network.name(),
        names: scenario.names(),
        generated: checker.state_count(),
        unique: checker.unique_state_count(),
        depth: checker.max_depth(),
        seconds,
        truncated,
        properties,
        not_applicable: scenario.not_applicable.clone(),
    }
}

/// Re-runs breadth-first search with only `property`, so its counterexample is a shortest one.
fn shortest_trace(
    scenario: &Scenario,
    property: &'static str,
    limits: Limits,
) -> Option<(Vec<Step>, Option<String>)> {
    let model: Model = scenario.model(Some(property));
    let checker = model
        .checker()
        .threads(limits.threads.max(1))
        .target_state_count(limits.max_states)
        .timeout(limits.time_limit)
        .spawn_bfs()
        .join();
    let path = checker.discovery(property)?.into_vec();
    let mut steps: Vec<Step> = path
        .iter()
        .filter_map(|(_, a)| a.clone())
        .map(step)
        .collect();
    // Show what the last step sent: it is usually the message that broke the property.
    if let [.., (before, _), (last, _)] = path.as_slice() {
        let mut earlier = in_flight(&before.network);
        for (from, to, msg) in in_flight(&last.network) {
            // A multiset difference: a message already in flight before is not new.
            if let Some(i) = earlier.iter().position(|e| *e == (from, to, msg)) {
                earlier.swap_remove(i);
                continue;
            }
            let (label, reply) = message_label(msg);
            steps.push(Step::Sent {
                from,
                to,
                label,
                reply,
            });
        }
    }
    let detail = path.last().and_then(|(state, _)| {
        let judged: Vec<String> = state.history.violations.values().cloned().collect();
        (!judged.is_empty()).then(|| judged.join("; "))
    });
    Some((steps, detail))
}

fn message_label(msg: &ModelMsg) -> (String, bool) {
    match msg {
        ModelMsg::Spec(env) => (envelope_label(env), !env.message.is_request()),
        ModelMsg::Legacy(m) => (legacy_label(m), matches!(m, LegacyMsg::Encrypted { .. })),
    }
}

fn envelope_label(env: &Envelope) -> String {
    let detail = match &env.message {
        Message::RequestEncrypt(r) => format!(" (useReadsFor: {})", r.use_reads_for),
        Message::ReplyEncrypt(r) => result_detail(&r.result),
        Message::ReplyDecryption(r) => result_detail(&r.result),
        Message::ReplyQueryReadsForEvidence(r) => result_detail(&r.result),
        Message::ReplySubmitReadsForEvidence(r) => result_detail(&r.result),
        Message::ReplySubmitReadsForRevocation(r) => result_detail(&r.result),
        Message::ReplyRotateIdentity(r) => result_detail(&r.result),
        Message::ReplyGenerateKey(r) => result_detail(&r.result),
        _ => String::new(),
    };
    format!("{}{detail}", env.message.name())
}

fn result_detail<T, E: std::fmt::Debug>(r: &Result<T, E>) -> String {
    match r {
        Ok(_) => String::new(),
        Err(e) => format!(" (err: {e:?})"),
    }
}

fn legacy_label(m: &LegacyMsg) -> String {
    match m {
        LegacyMsg::Switch { owner } => format!("switch {}", user(*owner)),
        LegacyMsg::EncryptFile { owner } => format!("encrypt {}", user(*owner)),
        LegacyMsg::Encrypted { owner, context } => format!(
            "{}'s file under {}'s context",
            user(*owner),
            context.map_or("no".into(), user)
        ),
        LegacyMsg::RemoveMember(m) => format!("remove {}", member(*m)),
        LegacyMsg::RotateKey { recipients } => format!(
            "rotate keys([{}])",
            recipients
                .iter()
                .map(|m| member(*m))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn user(owner: u8) -> String {
    char::from(b'A' + owner).to_string()
}

fn member(m: u8) -> String {
    char::from(b'a' + m).to_string()
}

fn step(action: ActorModelAction<ModelMsg, ModelTimer, ModelChoice>) -> Step {
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            let (label, reply, correlation) = match &msg {
                ModelMsg::Spec(env) => (
                    envelope_label(env),
                    !env.message.is_request(),
                    Some(env.correlation.0),
                ),
                ModelMsg::Legacy(m) => (
                    legacy_label(m),
                    matches!(m, LegacyMsg::Encrypted { .. }),
                    None,
                ),
            };
            Step::Deliver {
                from: usize::from(src),
                to: usize::from(dst),
                label,
                reply,
                correlation,
            }
        }
        ActorModelAction::Drop(env) => Step::Lost {
            from: usize::from(env.src),
            to: usize::from(env.dst),
            label: match &env.msg {
                ModelMsg::Spec(e) => envelope_label(e),
                ModelMsg::Legacy(m) => legacy_label(m),
            },
        },
        ActorModelAction::Timeout(id, timer) => Step::Timeout {
            actor: usize::from(id),
            label: match timer {
                ModelTimer::Retry(c) => format!("retry correlation {}", c.0),
                ModelTimer::RotateCookie => "rotate cookie key".into(),
            },
        },
        ActorModelAction::SelectRandom { actor, random, .. } => Step::Choice {
            actor: usize::from(actor),
            label: match random {
                ModelChoice::Pick(i) => format!("issue menu request {i}"),
                ModelChoice::Route(key, to) => format!("route message {key} to n{to}"),
            },
        },
        ActorModelAction::Crash(id) | ActorModelAction::Recover(id) => Step::Timeout {
            actor: usize::from(id),
            label: "crash/recover".into(),
        },
    }
}

/// The actor index named by a model address (re-exported for reports).
pub fn actor_of(address: &spec::Address) -> Option<usize> {
    index_of(address)
}
