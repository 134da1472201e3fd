//! The link model: every property as expected, the state counts pinned.

use std::time::Duration;

use sealwright_model::link::SCENARIOS;
use sealwright_model::system::Limits;

const LIMITS: Limits = Limits {
    threads: 1,
    max_states: 5_000_000,
    time_limit: Duration::from_secs(300),
};

#[test]
fn every_link_scenario_passes_at_its_pinned_size() {
    for scenario in SCENARIOS {
        let report = scenario.run(LIMITS, &mut |_, _, _| {});
        for p in &report.properties {
            assert!(
                p.outcome.passes(),
                "{}: {} {}: {:?}",
                scenario.name,
                p.name,
                p.outcome.label(),
                p.trace
            );
        }
        assert!(
            report.truncated.is_none(),
            "{}: {:?}",
            scenario.name,
            report.truncated
        );
        assert_eq!(
            report.unique, scenario.states,
            "{}: unique states",
            scenario.name
        );
    }
}
