//! Witnesses: for each alternative of each checked diagram, a flow the model produced that
//! takes exactly that path — what makes the picture a verified property, kept for tools
//! that want to replay or display it.

use std::path::PathBuf;

use crate::config::{Collected, Flow};
use crate::diagrams::{Diagram, alternative_matches};

/// One alternative of a diagram and the first flow (in scenario, then flow order) that realizes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The diagram's file.
    pub file: PathBuf,
    /// The line of its fence.
    pub line: usize,
    /// Its title.
    pub title: String,
    /// The alternative, from 1, in the order the diagram's branches expand.
    pub alternative: usize,
    /// The scenario whose run produced the flow.
    pub scenario: String,
    /// The flow.
    pub flow: Flow,
}

/// A witness for every alternative of every checked diagram that some collected flow realizes.
pub fn witnesses(diagrams: &[Diagram], collected: &[(String, Collected)]) -> Vec<Witness> {
    let mut out = Vec::new();
    for d in diagrams.iter().filter(|d| d.unchecked.is_none()) {
        for (k, alt) in d.alternatives().iter().enumerate() {
            let found = collected.iter().find_map(|(scenario, c)| {
                c.flows
                    .iter()
                    .find(|f| alternative_matches(alt, f))
                    .map(|f| (scenario, f))
            });
            if let Some((scenario, flow)) = found {
                out.push(Witness {
                    file: d.file.clone(),
                    line: d.line,
                    title: d.title.clone(),
                    alternative: k + 1,
                    scenario: scenario.clone(),
                    flow: flow.clone(),
                });
            }
        }
    }
    out
}
