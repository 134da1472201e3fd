//! The catalog checked from `cargo test`: engine scenarios pass, flawed designs fail as their
//! sources say, and nothing passes vacuously.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use sealwright_model::run::{Limits, PropertyOutcome, Step, run};
use sealwright_model::{Scenario, catalog};
use stateright::Expectation;

fn limits() -> Limits {
    Limits {
        threads: 2,
        max_states: 2_000_000,
        time_limit: Duration::from_secs(300),
    }
}

fn scenario(name: &str) -> Scenario {
    catalog().into_iter().find(|s| s.name == name).unwrap()
}

fn delivered(trace: &[Step]) -> Vec<String> {
    trace
        .iter()
        .filter_map(|s| match s {
            Step::Deliver { label, .. } | Step::Sent { label, .. } => Some(label.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn catalog_is_well_formed() {
    let all = catalog();
    let names: BTreeSet<_> = all.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), all.len(), "scenario names are unique");
    for s in &all {
        let props: BTreeSet<_> = s.checks.iter().map(|c| c.name).collect();
        assert_eq!(
            props.len(),
            s.checks.len(),
            "{}: property names are unique",
            s.name
        );
        let negative = s.checks.iter().any(|c| c.expect_violation);
        let sometimes = s
            .checks
            .iter()
            .any(|c| matches!(c.expectation, Expectation::Sometimes));
        // A scenario of the real engines pairs its safety properties with reachable outcomes.
        assert!(
            negative || sometimes || s.name.starts_with("seed-003"),
            "{} has no realizability check",
            s.name
        );
    }
}

#[test]
fn seed_000_race_is_found_exactly() {
    let report = run(
        &scenario("seed-000-shared-context"),
        limits(),
        &mut |_, _, _| {},
    );
    assert!(report.passes());
    let p = report
        .properties
        .iter()
        .find(|p| p.name == "no cross-talk")
        .unwrap();
    assert_eq!(p.outcome, PropertyOutcome::ExpectedViolationFound);
    assert_eq!(
        delivered(p.trace.as_ref().unwrap()),
        [
            "switch A",
            "switch B",
            "encrypt A",
            "A's file under B's context"
        ]
    );
}

#[test]
fn seed_003_removed_member_gets_the_key_unless_recipients_are_computed_at_apply() {
    let flawed = run(
        &scenario("seed-003-precomputed-rotation"),
        limits(),
        &mut |_, _, _| {},
    );
    assert!(flawed.passes());
    let p = &flawed.properties[0];
    assert_eq!(p.outcome, PropertyOutcome::ExpectedViolationFound);
    let steps = delivered(p.trace.as_ref().unwrap());
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(steps.last().unwrap().starts_with("rotate keys"));
    let fixed = run(
        &scenario("seed-003-rotation-at-apply"),
        limits(),
        &mut |_, _, _| {},
    );
    assert!(fixed.passes());
    assert_eq!(fixed.properties[0].outcome, PropertyOutcome::Holds);
}

#[test]
fn nspec_v02_gaps_are_found() {
    let ignored = run(
        &scenario("nspec-v02-ignored-error"),
        limits(),
        &mut |_, _, _| {},
    );
    assert!(ignored.passes());
    let p = &ignored.properties[0];
    assert_eq!(p.name, "errors propagate");
    assert_eq!(p.outcome, PropertyOutcome::ExpectedViolationFound);
    assert!(p.detail.as_deref().unwrap().contains("query failed"));
    let starved = run(
        &scenario("nspec-v02-starvation"),
        limits(),
        &mut |_, _, _| {},
    );
    assert!(starved.passes());
    assert_eq!(
        starved.properties[0].outcome,
        PropertyOutcome::ExpectedViolationFound
    );
}

#[test]
fn engine_scenarios_pass_and_reach_their_outcomes() {
    for s in catalog()
        .iter()
        .filter(|s| !s.checks.iter().any(|c| c.expect_violation))
    {
        let report = run(s, limits(), &mut |_, _, _| {});
        assert!(report.truncated.is_none(), "{} was cut short", s.name);
        for p in &report.properties {
            assert!(
                p.outcome.passes(),
                "{}: {} is {:?}: {:?}",
                s.name,
                p.name,
                p.outcome,
                p.detail
            );
        }
        assert!(report.unique > 10, "{} explored almost nothing", s.name);
    }
}

#[test]
fn a_tiny_state_bound_is_reported_as_truncation() {
    let tight = Limits {
        max_states: 50,
        ..limits()
    };
    let report = run(&scenario("reads-for"), tight, &mut |_, _, _| {});
    assert!(report.truncated.is_some());
    assert!(!report.passes(), "a cut-short run must fail");
}
