//! Random walks at bounds exhaustive search cannot reach: the same properties, checked on
//! every state of each walk, with stateright's simulation checker.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use stateright::{Checker, Chooser, Expectation, Model as _, UniformChooser};

use crate::run::{Step, trace_of};
use crate::scenarios::Scenario;
use crate::system::Model;

/// Uniform choices, counting the walks started.
#[derive(Clone)]
struct Counting {
    walks: Arc<AtomicUsize>,
}

impl Chooser<Model> for Counting {
    type State = <UniformChooser as Chooser<Model>>::State;

    fn new_state(&self, seed: u64) -> Self::State {
        self.walks.fetch_add(1, Ordering::Relaxed);
        <UniformChooser as Chooser<Model>>::new_state(&UniformChooser, seed)
    }

    fn choose_initial_state(
        &self,
        state: &mut Self::State,
        initial: &[<Model as stateright::Model>::State],
    ) -> usize {
        <UniformChooser as Chooser<Model>>::choose_initial_state(&UniformChooser, state, initial)
    }

    fn choose_action(
        &self,
        state: &mut Self::State,
        current: &<Model as stateright::Model>::State,
        actions: &[<Model as stateright::Model>::Action],
    ) -> usize {
        <UniformChooser as Chooser<Model>>::choose_action(&UniformChooser, state, current, actions)
    }
}

/// What a simulation found.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Walks started.
    pub walks: usize,
    /// States visited, over all walks.
    pub steps: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Properties violated (safety) with a counterexample and what the history said.
    pub violated: Vec<(&'static str, bool, Vec<Step>, Option<String>)>,
    /// Outcomes (`Sometimes` properties) reached, by name.
    pub reached: Vec<&'static str>,
    /// Outcomes no walk reached.
    pub unreached: Vec<&'static str>,
}

/// Walks `scenario` at random for `seconds`, starting from `seed`, on `threads` threads.
pub fn simulate(scenario: &Scenario, seconds: u64, seed: u64, threads: usize) -> Simulation {
    let start = Instant::now();
    let walks = Arc::new(AtomicUsize::new(0));
    let checks = scenario.properties();
    let checker = scenario
        .model(None)
        .checker()
        .threads(threads.max(1))
        .timeout(Duration::from_secs(seconds))
        .spawn_simulation(
            seed,
            Counting {
                walks: walks.clone(),
            },
        )
        .join();
    let discoveries = checker.discoveries();
    let mut sim = Simulation {
        walks: walks.load(Ordering::Relaxed),
        steps: checker.state_count(),
        seconds: start.elapsed().as_secs_f64(),
        violated: Vec::new(),
        reached: Vec::new(),
        unreached: Vec::new(),
    };
    for c in &checks {
        match (&c.expectation, discoveries.get(c.name)) {
            (Expectation::Sometimes, Some(_)) => sim.reached.push(c.name),
            (Expectation::Sometimes, None) => sim.unreached.push(c.name),
            (_, Some(path)) => {
                let (steps, detail) = trace_of(path);
                sim.violated
                    .push((c.name, c.expect_violation, steps, detail));
            }
            (_, None) => {}
        }
    }
    sim
}
