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

/// Where an engine is: its name, configuration and state.
type At<'a> = (&'a str, &'a [u8], &'a [u8]);

fn before(case: &Case) -> At<'_> {
    (
        case.engine.as_str(),
        case.config.as_slice(),
        case.pre.as_slice(),
    )
}

fn after(case: &Case) -> Option<At<'_>> {
    Some((
        case.engine.as_str(),
        case.config.as_slice(),
        case.post.as_deref()?,
    ))
}

/// Multi-step cases, one per engine and handler: the shortest run of recorded transitions
/// from a state the engine starts in to the first case (by id) of that handler, that case,
/// and then the first case (by id) of another handler from where it ends — so that what a
/// step changed is also seen through what the next step answers.
pub fn flows(suite: &Suite) -> Vec<Case> {
    let singles: Vec<&Case> = suite
        .cases
        .values()
        .map(|(case, _)| case)
        .filter(|c| c.steps.len() == 1 && c.post.is_some())
        .collect();
    let mut from: BTreeMap<At<'_>, Vec<&Case>> = BTreeMap::new();
    for case in &singles {
        from.entry(before(case)).or_default().push(case);
    }
    let paths = shortest_paths(&singles, &from);
    let mut seen = BTreeSet::new();
    let mut flows = Vec::new();
    for case in &singles {
        let (Some(path), Some(end)) = (paths.get(&before(case)), after(case)) else {
            continue;
        };
        if !seen.insert((case.engine.as_str(), case.handler())) {
            continue;
        }
        let next = from
            .get(&end)
            .and_then(|n| n.iter().find(|c| c.handler() != case.handler()));
        let run: Vec<&Case> = path
            .iter()
            .copied()
            .chain([*case])
            .chain(next.copied())
            .collect();
        flows.extend(engines::conformance::chain(&run).filter(|f| f.steps.len() > 1));
    }
    flows
}

/// For every state reachable from a state the engine starts in, the shortest run of
/// state-changing transitions that reaches it (breadth-first, smallest case id first).
fn shortest_paths<'a>(
    singles: &[&'a Case],
    from: &BTreeMap<At<'a>, Vec<&'a Case>>,
) -> BTreeMap<At<'a>, Vec<&'a Case>> {
    let reached: BTreeSet<At<'_>> = singles
        .iter()
        .filter(|c| c.post.as_ref() != Some(&c.pre))
        .filter_map(|c| after(c))
        .collect();
    let mut paths: BTreeMap<At<'a>, Vec<&'a Case>> = from
        .keys()
        .filter(|at| !reached.contains(*at))
        .map(|at| (*at, Vec::new()))
        .collect();
    let mut queue: std::collections::VecDeque<At<'a>> = paths.keys().copied().collect();
    while let Some(at) = queue.pop_front() {
        let path = paths.get(&at).cloned().unwrap_or_default();
        for case in from.get(&at).into_iter().flatten() {
            let Some(end) = after(case) else { continue };
            if end != at && !paths.contains_key(&end) {
                let mut longer = path.clone();
                longer.push(case);
                paths.insert(end, longer);
                queue.push_back(end);
            }
        }
    }
    paths
}
