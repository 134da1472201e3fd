//! The model from the command line: `scenarios`, `check --set`, `--scenario` with the docs,
//! `--shard` with `report merge`, and `simulate` finding each flawed design's failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{Dir, bin, fails, ok};
use serde_json::Value;

fn docs() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .display()
        .to_string()
}

#[test]
fn scenarios_lists_every_scenario_with_its_parameters() {
    let out = ok(bin().arg("scenarios"));
    for needle in [
        "reads-for  [reliable]",
        "--set chain=N   default 2, 2..=6",
        "reads-for-lossy  [lossy]",
        "`check --deep` runs",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
}

#[test]
fn set_checks_other_bounds_and_reports_them() {
    let dir = Dir::new("model", "set");
    let json = dir.p("r.json");
    ok(bin()
        .args([
            "check",
            "--no-docs",
            "--scenario",
            "reads-for",
            "--set",
            "clients=4",
            "--set",
            "chain=3",
            "--json",
        ])
        .arg(&json));
    let doc: Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
    let s = &doc["scenarios"][0];
    assert_eq!(s["bounds"], "chain=3 clients=4 requests=2");
    assert_eq!(s["parameters"]["clients"], 4);
    assert_eq!(s["passes"], true);
    let err = fails(bin().args(["check", "--scenario", "reads-for", "--set", "clients=99"]));
    assert!(err.contains("clients must be in 3..=8"), "{err}");
    let err = fails(bin().args(["check", "--scenario", "reads-for", "--set", "clientz=4"]));
    assert!(err.contains("has no parameter `clientz`"), "{err}");
    let err = fails(bin().args(["check", "--scenario", "reads-for", "--set", "clients"]));
    assert!(err.contains("expected NAME=VALUE"), "{err}");
}

#[test]
fn a_single_scenario_still_checks_the_diagrams_it_exercises() {
    let out = ok(bin().args(["check", "--scenario", "direct", "--docs", &docs()]));
    assert!(out.contains("== diagrams"), "{out}");
    assert!(
        out.contains("verified  ") && out.contains("Encrypt without reads-for"),
        "{out}"
    );
}

#[test]
fn shards_cover_the_catalog_once_and_merge_into_one_passing_report() {
    let dir = Dir::new("model", "shards");
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for k in 1..=3 {
        let json = dir.p(&format!("s{k}.json"));
        ok(bin()
            .args([
                "check",
                "--shard",
                &format!("{k}/3"),
                "--docs",
                &docs(),
                "--json",
            ])
            .arg(&json));
        let doc: Value = serde_json::from_slice(&fs::read(&json).unwrap()).unwrap();
        for s in doc["scenarios"].as_array().unwrap() {
            assert!(
                seen.insert(s["name"].as_str().unwrap().to_string()),
                "a scenario ran twice"
            );
        }
        files.push(json);
    }
    assert_eq!(seen.len(), sealwright_scenario_count());
    let merged = dir.p("all.json");
    ok(bin()
        .args(["report", "merge"])
        .args(&files)
        .arg("--json")
        .arg(&merged));
    let doc: Value = serde_json::from_slice(&fs::read(&merged).unwrap()).unwrap();
    assert_eq!(doc["passes"], true);
    assert_eq!(
        doc["diagrams"]["passes"], true,
        "one shard carries the diagram check"
    );
}

fn sealwright_scenario_count() -> usize {
    ok(bin().arg("scenarios"))
        .lines()
        .filter(|l| l.contains("  ["))
        .count()
}

#[test]
fn simulation_finds_every_flawed_design_within_twenty_seconds() {
    for scenario in [
        "seed-000-shared-context",
        "seed-003-precomputed-rotation",
        "nspec-v02-ignored-error",
        "nspec-v02-starvation",
    ] {
        let out = ok(bin().args([
            "simulate",
            "--scenario",
            scenario,
            "--seconds",
            "20",
            "--seed",
            "7",
        ]));
        assert!(
            out.contains("expected violation found"),
            "{scenario}:\n{out}"
        );
        assert!(
            out.contains("sequenceDiagram"),
            "{scenario}: no counterexample diagram"
        );
    }
}

#[test]
fn simulation_walks_bounds_beyond_exhaustive_search() {
    let out = ok(bin().args([
        "simulate",
        "--scenario",
        "reads-for",
        "--set",
        "clients=8",
        "--set",
        "chain=5",
        "--seconds",
        "3",
    ]));
    assert!(out.contains("walks,") && out.contains("states/s"), "{out}");
    assert!(!out.contains("VIOLATED"), "{out}");
}
