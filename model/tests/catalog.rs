//! The catalog checked from `cargo test`: engine scenarios pass with exactly their pinned state
//! counts, flawed designs fail as their sources say, bounds are parameters, and nothing passes
//! vacuously.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use sealwright_model::Limits;
use sealwright_model::catalog::{deep, find};
use sealwright_model::run::{PropertyOutcome, Step, run};
use sealwright_model::scenarios::BoundError;
use sealwright_model::{Scenario, catalog};
use stateright::Expectation;

fn limits() -> Limits {
    Limits {
        threads: 2,
        max_states: 5_000_000,
        time_limit: Duration::from_secs(300),
    }
}

fn scenario(name: &str) -> Scenario {
    find(name).unwrap()
}

fn delivered(trace: &[Step]) -> Vec<String> {
    trace
        .iter()
        .filter_map(|s| match s {
            Step::Deliver(a, _) | Step::Sent(a) => Some(a.label()),
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
        let checks = s.properties();
        let props: BTreeSet<_> = checks.iter().map(|c| c.name).collect();
        assert_eq!(
            props.len(),
            checks.len(),
            "{}: property names are unique",
            s.name
        );
        let sometimes = checks
            .iter()
            .any(|c| matches!(c.expectation, Expectation::Sometimes));
        // A scenario of the real engines pairs its safety properties with reachable outcomes.
        assert!(
            s.expects_violation() || sometimes || s.name.starts_with("seed-003"),
            "{} has no realizability check",
            s.name
        );
        assert!(s.at_defaults());
        for p in s.params {
            assert!(
                (p.min..=p.max).contains(&p.default),
                "{}: {} default out of range",
                s.name,
                p.name
            );
        }
    }
}

#[test]
fn engine_scenarios_pass_with_their_pinned_state_counts() {
    for s in catalog().iter().filter(|s| !s.expects_violation()) {
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
        // Pinned: an unintended change of the state space shows up here.
        assert_eq!(report.unique, s.states, "{}: unique states changed", s.name);
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
fn a_tiny_state_bound_is_reported_as_truncation() {
    let tight = Limits {
        max_states: 50,
        ..limits()
    };
    let report = run(&scenario("reads-for"), tight, &mut |_, _, _| {});
    assert!(report.truncated.is_some());
    assert!(!report.passes(), "a cut-short run must fail");
}

#[test]
fn bounds_are_parameters_with_checked_names_and_ranges() {
    let mut s = scenario("reads-for");
    assert!(matches!(
        s.set("clientz", 4),
        Err(BoundError::Unknown { .. })
    ));
    let e = s.set("clients", 99).unwrap_err();
    assert!(e.to_string().contains("clients must be in 3..=8"), "{e}");
    assert!(s.at_defaults(), "a refused value changes nothing");
    s.set("clients", 4).unwrap();
    assert!(!s.at_defaults());
    assert_eq!(s.names()[..4], ["alice", "bob", "carol", "dave"]);
    let report = run(&s, limits(), &mut |_, _, _| {});
    assert!(report.passes());
    assert_eq!(
        report.bounds,
        vec![("chain", 2), ("clients", 4), ("requests", 2)]
    );
    assert_ne!(report.unique, s.states, "other bounds, another state space");
}

#[test]
fn more_clients_and_a_longer_chain_still_hold_and_widen_further() {
    // A chain of 3 submitted by one client: the ciphertext may reach the third reader.
    let mut s = scenario("reads-for");
    s.set("chain", 3).unwrap();
    let report = run(&s, limits(), &mut |_, _, _| {});
    assert!(report.passes(), "{report:#?}");
}

#[test]
fn deep_preset_is_well_formed() {
    let d = deep();
    assert_eq!(d.len(), 5);
    assert!(d.iter().all(|s| !s.at_defaults()));
}

#[test]
fn pool_scales_by_instances_and_indices_are_computed() {
    let mut s = scenario("pool-rotation");
    s.set("instances", 3).unwrap();
    let names = s.names();
    assert_eq!(
        names,
        [
            "alice",
            "bob",
            "pool",
            "encryption-1",
            "encryption-2",
            "encryption-3",
            "reads-for"
        ]
    );
}
