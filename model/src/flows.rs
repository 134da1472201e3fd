//! Flows: the messages one client request causes, as the model produces them.
//!
//! The history files every sent message under the flow of the message that caused it (see
//! [`crate::history::FlowBook`]). A flow-collecting run visits every quiescent state and
//! keeps the distinct flows, reduced to arrows between parties with the fields a diagram
//! may state conditions on.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use stateright::{Checker, Model as _};

pub use crate::config::{Collected, Flow};
use crate::scenarios::{FlowCheck, Scenario};
use crate::system::Limits;

/// Explores `scenario` and returns the flows of its quiescent states (or why it was cut short).
pub fn collect(scenario: &Scenario, limits: Limits) -> Result<Collected, String> {
    let collector = Arc::new(Mutex::new(Collected::default()));
    let start = Instant::now();
    let checker = scenario
        .flow_model(collector.clone())
        .checker()
        .threads(limits.threads.max(1))
        .target_state_count(limits.max_states)
        .timeout(limits.time_limit)
        .spawn_dfs()
        .join();
    if checker.state_count() >= limits.max_states
        || start.elapsed() >= limits.time_limit.saturating_sub(Duration::from_millis(1))
    {
        return Err(format!(
            "collecting the flows of `{}` was cut short",
            scenario.name
        ));
    }
    drop(checker);
    let collected = std::mem::take(&mut *collector.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(match scenario.flow_check() {
        Some(FlowCheck::Repeats { lossy }) => without_repeats(collected, lossy),
        _ => collected,
    })
}

/// A flow with every arrow that already appeared in it removed (a retry, a duplicate).
pub fn first_occurrences(flow: &Flow) -> Flow {
    let mut seen = BTreeSet::new();
    flow.iter()
        .filter(|a| seen.insert((*a).clone()))
        .cloned()
        .collect()
}

/// Flows with repeats removed; on a lossy network, unanswered flows are expected.
fn without_repeats(c: Collected, lossy: bool) -> Collected {
    Collected {
        flows: c.flows.iter().map(first_occurrences).collect(),
        incomplete: if lossy {
            BTreeSet::new()
        } else {
            c.incomplete.iter().map(first_occurrences).collect()
        },
        prefixes: lossy,
        rows: c.rows,
    }
}
