//! Running a scenario: explore depth-first for the verdicts, detect truncation, and rebuild
//! each counterexample breadth-first so it is a shortest one; or walk it at random.

use std::time::{Duration, Instant};

use stateright::actor::ActorModelAction;
use stateright::{Checker, Expectation};

use crate::arrow::Arrow;
use crate::scenarios::Scenario;
use crate::system::{Limits, Model, in_flight};
use crate::vocab::{ModelChoice, ModelMsg, ModelTimer};

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

/// One step of a trace; arrows join actor indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A message delivered, with its correlation id if it has one.
    Deliver(Arrow<usize>, Option<u64>),
    /// A message sent in the last step, not yet delivered (what broke the property).
    Sent(Arrow<usize>),
    /// A message lost by the network.
    Lost(Arrow<usize>),
    /// A timer fired: whose, and which.
    Timeout(usize, String),
    /// An actor made a nondeterministic choice: whose, and what.
    Choice(usize, String),
}

impl Step {
    /// The actors the step involves.
    pub fn actors(&self) -> Vec<usize> {
        match self {
            Step::Deliver(a, _) | Step::Sent(a) | Step::Lost(a) => vec![a.from, a.to],
            Step::Timeout(i, _) | Step::Choice(i, _) => vec![*i],
        }
    }
}

/// One property's result.
#[derive(Debug, Clone)]
pub struct PropertyResult {
    /// Name.
    pub name: &'static str,
    /// One sentence of meaning.
    pub meaning: &'static str,
    /// "always" or "sometimes".
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
    /// The bounds used, as `name=value` pairs.
    pub bounds: Vec<(&'static str, u32)>,
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

    /// The bounds as `name=value …`.
    pub fn bounds_text(&self) -> String {
        if self.bounds.is_empty() {
            return "fixed".into();
        }
        let parts: Vec<String> = self
            .bounds
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.join(" ")
    }
}

fn expectation_name(e: &Expectation) -> &'static str {
    match e {
        Expectation::Always => "always",
        Expectation::Sometimes => "sometimes",
        Expectation::Eventually => "eventually",
    }
}

/// The outcome of a property given whether the checker discovered it.
pub(crate) fn outcome(
    expectation: &Expectation,
    found: bool,
    expect_violation: bool,
) -> PropertyOutcome {
    match (expectation, found, expect_violation) {
        (Expectation::Sometimes, true, _) => PropertyOutcome::Reached,
        (Expectation::Sometimes, false, _) => PropertyOutcome::NotReached,
        (_, true, true) => PropertyOutcome::ExpectedViolationFound,
        (_, false, true) => PropertyOutcome::ExpectedViolationMissing,
        (_, true, false) => PropertyOutcome::Violated,
        (_, false, false) => PropertyOutcome::Holds,
    }
}

/// Explores `model` depth-first within `limits`, reporting (generated, unique, seconds)
/// to `progress` as it goes; returns the finished checker.
pub(crate) fn explore<M>(
    model: M,
    limits: Limits,
    progress: &mut dyn FnMut(usize, usize, f64),
) -> impl Checker<M>
where
    M: stateright::Model + Send + Sync + 'static,
    M::State: std::hash::Hash + Send + Sync + Clone + PartialEq + 'static,
    M::Action: Clone + PartialEq,
{
    let start = Instant::now();
    let checker = model
        .checker()
        .threads(limits.threads.max(1))
        .target_state_count(limits.max_states)
        .timeout(limits.time_limit)
        .spawn_dfs();
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(20));
        progress(
            checker.state_count(),
            checker.unique_state_count(),
            start.elapsed().as_secs_f64(),
        );
    }
    checker.join()
}

/// Explores `scenario` depth-first and judges each property; `progress` sees (generated, unique, seconds).
pub fn run(
    scenario: &Scenario,
    limits: Limits,
    progress: &mut dyn FnMut(usize, usize, f64),
) -> ScenarioReport {
    let start = Instant::now();
    let checks = scenario.properties();
    let checker = explore(scenario.model(None), limits, progress);
    let seconds = start.elapsed().as_secs_f64();
    let discoveries = checker.discoveries();
    let all_discovered = checks.iter().all(|c| discoveries.contains_key(c.name));
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
    let properties = checks
        .iter()
        .map(|check| {
            let outcome = outcome(
                &check.expectation,
                discoveries.contains_key(check.name),
                check.expect_violation,
            );
            let failed = matches!(
                outcome,
                PropertyOutcome::Violated | PropertyOutcome::ExpectedViolationFound
            );
            let (trace, detail) = if failed {
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
        bounds: scenario.bounds.iter().collect(),
        network: scenario.network.name(),
        names: scenario.names(),
        generated: checker.state_count(),
        unique: checker.unique_state_count(),
        depth: checker.max_depth(),
        seconds,
        truncated,
        properties,
        not_applicable: scenario.not_applicable.to_vec(),
    }
}

type Path =
    stateright::Path<<Model as stateright::Model>::State, <Model as stateright::Model>::Action>;

/// Re-runs breadth-first search with only `property`, so its counterexample is a shortest one.
fn shortest_trace(
    scenario: &Scenario,
    property: &'static str,
    limits: Limits,
) -> Option<(Vec<Step>, Option<String>)> {
    let path = shortest_path(scenario.model(Some(property)), property, limits)?;
    Some(trace_of(&path))
}

/// A shortest path to a discovery of `property`: breadth-first search within `limits`.
pub(crate) fn shortest_path<M>(
    model: M,
    property: &'static str,
    limits: Limits,
) -> Option<stateright::Path<M::State, M::Action>>
where
    M: stateright::Model + Send + Sync + 'static,
    M::State: std::hash::Hash + Send + Sync + Clone + PartialEq + 'static,
    M::Action: Clone + PartialEq,
{
    model
        .checker()
        .threads(limits.threads.max(1))
        .target_state_count(limits.max_states)
        .timeout(limits.time_limit)
        .spawn_bfs()
        .join()
        .discovery(property)
}

/// A path as steps, with what its last step sent, and what the history said about it.
pub fn trace_of(path: &Path) -> (Vec<Step>, Option<String>) {
    let path = path.clone().into_vec();
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
            steps.push(Step::Sent(Arrow::of(from, to, msg)));
        }
    }
    let detail = path.last().and_then(|(state, _)| {
        let judged: Vec<String> = state.history.violations.values().cloned().collect();
        (!judged.is_empty()).then(|| judged.join("; "))
    });
    (steps, detail)
}

fn step(action: ActorModelAction<ModelMsg, ModelTimer, ModelChoice>) -> Step {
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            let correlation = match &msg {
                ModelMsg::Spec(env, _) => Some(env.correlation.0),
                ModelMsg::Legacy(_) => None,
            };
            Step::Deliver(
                Arrow::of(usize::from(src), usize::from(dst), &msg),
                correlation,
            )
        }
        ActorModelAction::Drop(env) => Step::Lost(Arrow::of(
            usize::from(env.src),
            usize::from(env.dst),
            &env.msg,
        )),
        ActorModelAction::Timeout(id, timer) => Step::Timeout(
            usize::from(id),
            match timer {
                ModelTimer::Retry(c) => format!("retry correlation {}", c.0),
                ModelTimer::RotateCookie => "rotate cookie key".into(),
            },
        ),
        ActorModelAction::SelectRandom { actor, random, .. } => Step::Choice(
            usize::from(actor),
            match random {
                ModelChoice::Pick(i) => format!("issue menu request {i}"),
                ModelChoice::Route(key, to) => format!("route message {key} to n{to}"),
            },
        ),
        ActorModelAction::Crash(id) | ActorModelAction::Recover(id) => {
            Step::Timeout(usize::from(id), "crash/recover".into())
        }
    }
}
