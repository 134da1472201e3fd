//! The recorder: every engine transition a run explores, kept as a conformance case.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use engines::HostEvent;
use engines::conformance::Case;

/// The transitions seen, one per (engine, configuration, state before, input).
///
/// When two runs reach the same state and input with different randomness (a
/// different actor's stream), the smaller case is kept, so the set does not
/// depend on the order in which the checker explores.
#[derive(Clone, Debug, Default)]
pub struct Recorder(Arc<Mutex<BTreeMap<CaseKey, Case>>>);

/// What makes two transitions the same case: engine, configuration, state, input or event.
type CaseKey = (String, Vec<u8>, Vec<u8>, Vec<u8>, Option<HostEvent>);

impl Recorder {
    /// Keeps one transition.
    pub fn record(&self, case: Case) {
        let Some(step) = case.steps.first() else {
            return;
        };
        let key = (
            case.engine.clone(),
            case.config.clone(),
            case.pre.clone(),
            step.input.clone(),
            step.event,
        );
        let Ok(mut cases) = self.0.lock() else {
            return;
        };
        match cases.get(&key) {
            Some(kept) if weight(kept) <= weight(&case) => {}
            _ => {
                cases.insert(key, case);
            }
        }
    }

    /// Every case kept, in key order.
    pub fn cases(&self) -> Vec<Case> {
        self.0
            .lock()
            .map(|cases| cases.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// The order among cases with the same key: fewer random bytes first, then bytewise.
pub(crate) fn weight(case: &Case) -> (usize, Vec<&[u8]>) {
    let steps = case.steps.iter();
    let parts = steps
        .flat_map(|s| [s.random.as_slice(), s.effects.as_slice()])
        .chain(case.post.as_deref())
        .collect();
    (case.steps.iter().map(|s| s.random.len()).sum(), parts)
}
