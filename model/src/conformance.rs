//! The conformance suite's cases: every engine transition the catalog's scenarios reach,
//! explored again with real crypto and seeded randomness.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use engines::conformance::Case;
use stateright::{Checker, Model};

use crate::recorder::Recorder;
use crate::scenarios::Scenario;
use crate::system::Limits;

/// What one scenario's recording run explored.
#[derive(Debug, Clone)]
pub struct Explored {
    /// The scenario.
    pub scenario: &'static str,
    /// Unique states.
    pub states: usize,
    /// Distinct engine transitions recorded.
    pub transitions: usize,
    /// Whether the run stopped at the state bound before exhausting the scenario.
    pub truncated: bool,
    /// Seconds taken.
    pub seconds: f64,
}

/// The cases of a suite, each with the scenarios that reach it.
#[derive(Debug, Default)]
pub struct Suite {
    /// Cases by their id, with the scenarios that reach each.
    pub cases: BTreeMap<String, (Case, BTreeSet<&'static str>)>,
    /// One entry per scenario explored.
    pub explored: Vec<Explored>,
}

/// The scenarios whose engines are the reference engines (not a design that fails).
pub fn sources(catalog: Vec<Scenario>) -> Vec<Scenario> {
    catalog
        .into_iter()
        .filter(|s| !s.negative && !s.expects_violation())
        .collect()
}

/// Explores every scenario breadth-first on one thread (so the result does not depend on
/// scheduling) and gathers their transitions; the same transition reached in several
/// scenarios is one case.
pub fn collect(scenarios: &[Scenario], limits: Limits) -> Suite {
    let mut suite = Suite::default();
    for scenario in scenarios {
        let start = Instant::now();
        let recorder = Recorder::default();
        let checker = scenario
            .recording_model(&recorder)
            .checker()
            .threads(1)
            .target_state_count(limits.max_states)
            .spawn_bfs()
            .join();
        let cases = recorder.cases();
        suite.explored.push(Explored {
            scenario: scenario.name,
            states: checker.unique_state_count(),
            transitions: cases.len(),
            truncated: checker.state_count() >= limits.max_states,
            seconds: start.elapsed().as_secs_f64(),
        });
        for case in cases {
            let entry = suite
                .cases
                .entry(case.id())
                .or_insert_with(|| (case.clone(), BTreeSet::new()));
            if prefer(&case, &entry.0) {
                entry.0 = case;
            }
            entry.1.insert(scenario.name);
        }
    }
    suite
}

/// Between two recordings of the same input in the same state, the one with less randomness
/// (then the bytewise smaller), so that the choice does not depend on the scenarios' order.
fn prefer(new: &Case, kept: &Case) -> bool {
    crate::recorder::weight(new) < crate::recorder::weight(kept)
}

/// Longest a flow case grows.
const FLOW_STEPS: usize = 6;

/// Where a run of one engine starts: its name, configuration and state.
type Start<'a> = (&'a str, &'a [u8], &'a [u8]);

/// Multi-step cases: from each state an engine starts in, one run per first handler,
/// following transitions that change the state (the smallest case id first), up to
/// [`FLOW_STEPS`] steps.
pub fn flows(suite: &Suite) -> Vec<Case> {
    let singles: Vec<&Case> = suite
        .cases
        .values()
        .map(|(case, _)| case)
        .filter(|c| c.steps.len() == 1 && c.post.as_ref().is_some_and(|p| *p != c.pre))
        .collect();
    let reached: BTreeSet<Start<'_>> = singles
        .iter()
        .filter_map(|c| Some((c.engine.as_str(), c.config.as_slice(), c.post.as_deref()?)))
        .collect();
    // Keyed by (engine, configuration, state before, first handler).
    let mut firsts: BTreeMap<(Start<'_>, &str), &Case> = BTreeMap::new();
    for case in &singles {
        let key = (
            case.engine.as_str(),
            case.config.as_slice(),
            case.pre.as_slice(),
        );
        if !reached.contains(&key) {
            firsts.entry((key, case.handler())).or_insert(case);
        }
    }
    firsts
        .into_values()
        .filter_map(|first| engines::conformance::chain(&walk(first, &singles)))
        .filter(|flow| flow.steps.len() > 1)
        .collect()
}

/// From `first`, each next step the first case (by id) that starts where the last ended.
fn walk<'a>(first: &'a Case, singles: &[&'a Case]) -> Vec<&'a Case> {
    let mut path = vec![first];
    let mut seen = BTreeSet::from([first.pre.as_slice()]);
    while path.len() < FLOW_STEPS {
        let Some(at) = path.last().and_then(|c| c.post.as_deref()) else {
            break;
        };
        seen.insert(at);
        let next = singles.iter().find(|c| {
            c.engine == first.engine
                && c.config == first.config
                && c.pre == at
                && c.post.as_deref().is_some_and(|p| !seen.contains(p))
        });
        match next {
            Some(next) => path.push(next),
            None => break,
        }
    }
    path
}
