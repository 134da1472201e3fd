//! `sealwright report merge`: the JSON reports of several `check` runs (shards) merged into one
//! report, written as JSON, JUnit and markdown; and the errors for inputs that do not fit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Dir, bin, fails, ok, run};
use serde_json::{Value, json};

/// Runs `check --scenario SCENARIO --json DIR/FILE` and returns the report's path.
fn check_report(dir: &Dir, scenario: &str, file: &str) -> PathBuf {
    let path = dir.p(file);
    ok(bin()
        .args([
            "check",
            "--threads",
            "1",
            "--no-docs",
            "--scenario",
            scenario,
            "--json",
        ])
        .arg(&path));
    path
}

/// The JSON document in `path`.
fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Writes `doc` to `DIR/file` and returns the path.
fn write_json(dir: &Dir, file: &str, doc: &Value) -> PathBuf {
    let path = dir.p(file);
    fs::write(&path, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    path
}

/// Rewrites the report at `path` with `edit`.
fn edit(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut doc = read_json(path);
    edit(&mut doc);
    fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// `sealwright report merge FILES…`, to add options to.
fn merge(files: &[&Path]) -> Command {
    let mut c = bin();
    c.args(["report", "merge"]).args(files);
    c
}

/// A hand-made report with scenarios `(name, passes)` and no diagrams.
fn hand_report(scenarios: &[(&str, bool)]) -> Value {
    let scenarios: Vec<Value> = scenarios
        .iter()
        .map(|(name, passes)| {
            json!({
                "name": name, "summary": "made by hand", "network": "ordered", "bounds": "none",
                "statesGenerated": 10, "uniqueStates": 5, "depth": 2, "seconds": 0.5,
                "statesPerSecond": 20.0, "truncated": null, "passes": passes,
                "properties": [{"name": "safe", "meaning": "m", "expectation": "always",
                    "outcome": if *passes { "holds" } else { "VIOLATED" }, "passes": passes,
                    "counterexample": null, "detail": null}],
                "notApplicable": [],
            })
        })
        .collect();
    json!({
        "totalSeconds": 1.5,
        "passes": scenarios.iter().all(|s| s["passes"] == true),
        "scenarios": scenarios,
        "diagrams": null,
    })
}

/// A diagrams section with one checked diagram.
fn diagrams(passes: bool) -> Value {
    let problems: Vec<&str> = if passes {
        vec![]
    } else {
        vec!["arrow 2 differs"]
    };
    json!({
        "passes": passes,
        "checked": [{"title": "Seal", "file": "docs/a.md", "line": 3, "trigger": "a->>b: Seal",
            "scenarios": ["direct"], "problems": problems}],
        "excluded": [], "errors": [], "unreadable": [], "undocumented": [],
    })
}

#[test]
fn merges_two_check_reports() {
    let dir = Dir::new("merge", "two");
    let a = check_report(&dir, "direct", "a.json");
    let b = check_report(&dir, "seed-000-shared-context", "b.json");
    let out = ok(merge(&[&a, &b])
        .arg("--json")
        .arg(dir.p("out/m.json"))
        .arg("--junit")
        .arg(dir.p("m.xml"))
        .arg("--markdown")
        .arg(dir.p("m.md")));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("direct ") && lines[0].contains("passes"));
    assert!(lines[1].starts_with("seed-000-shared-context") && lines[1].contains("passes"));
    assert!(lines[2].starts_with("2 scenarios, ") && lines[2].ends_with("all as expected"));

    let (da, db, m) = (
        read_json(&a),
        read_json(&b),
        read_json(&dir.p("out/m.json")),
    );
    let names: Vec<&str> = m["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["direct", "seed-000-shared-context"]);
    assert_eq!(m["scenarios"][0], da["scenarios"][0]);
    assert_eq!(m["scenarios"][1], db["scenarios"][0]);
    assert_eq!(m["passes"], true);
    assert_eq!(m["diagrams"], Value::Null);
    let total = da["totalSeconds"].as_f64().unwrap() + db["totalSeconds"].as_f64().unwrap();
    assert!((m["totalSeconds"].as_f64().unwrap() - total).abs() < 1e-9);
    assert_eq!(
        m["merged"],
        json!([a.display().to_string(), b.display().to_string()])
    );

    let junit = fs::read_to_string(dir.p("m.xml")).unwrap();
    assert_eq!(junit.matches("<testsuite ").count(), 2, "{junit}");
    assert!(junit.contains("<testsuite name=\"direct\""));
    assert!(junit.contains("<testsuite name=\"seed-000-shared-context\""));
    assert!(junit.contains("failures=\"0\""));
    let markdown = fs::read_to_string(dir.p("m.md")).unwrap();
    assert!(markdown.starts_with("---\nhide:\n  - toc\n---\n\n# Verification\n"));
    assert!(markdown.contains("explored 2 scenarios"));
    assert!(markdown.contains("## `direct`") && markdown.contains("## `seed-000-shared-context`"));
    // seed 000's expected violation keeps its counterexample.
    assert!(markdown.contains("```mermaid\n%% unchecked: counterexample"));

    // The inputs' order is the merged report's order.
    ok(merge(&[&b, &a]).arg("--json").arg(dir.p("ba.json")));
    assert_eq!(
        read_json(&dir.p("ba.json"))["scenarios"][0]["name"],
        "seed-000-shared-context"
    );
}

#[test]
fn a_failing_scenario_fails_the_merge() {
    let dir = Dir::new("merge", "failing");
    let a = check_report(&dir, "direct", "a.json");
    let b = check_report(&dir, "seed-000-shared-context", "b.json");
    edit(&b, |doc| doc["scenarios"][0]["passes"] = json!(false));
    let out = run(merge(&[&a, &b])
        .arg("--json")
        .arg(dir.p("m.json"))
        .arg("--junit")
        .arg(dir.p("m.xml")));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.contains("FAILED: seed-000-shared-context"),
        "{stdout}"
    );
    assert!(
        stderr.contains("merged report fails") && stderr.contains("seed-000-shared-context"),
        "{stderr}"
    );
    // The reports are still written, for CI to show.
    assert_eq!(read_json(&dir.p("m.json"))["passes"], false);
    assert!(dir.p("m.xml").exists());
}

#[test]
fn a_scenario_in_two_inputs_is_an_error() {
    let dir = Dir::new("merge", "duplicate");
    let a = check_report(&dir, "direct", "a.json");
    let b = check_report(&dir, "seed-000-shared-context", "b.json");
    let again = check_report(&dir, "direct", "again.json");
    let err = fails(merge(&[&a, &b, &again]).arg("--json").arg(dir.p("m.json")));
    assert!(err.contains("scenario `direct`"), "{err}");
    assert!(
        err.contains(&a.display().to_string()) && err.contains(&again.display().to_string()),
        "{err}"
    );
    assert!(!dir.p("m.json").exists(), "nothing is written");
}

#[test]
fn what_is_not_a_check_report_is_a_clear_error() {
    let dir = Dir::new("merge", "invalid");
    let good = write_json(&dir, "good.json", &hand_report(&[("x", true)]));
    let cases: [(&str, Value, &str); 4] = [
        ("array.json", json!([1, 2]), "not a JSON object"),
        (
            "other.json",
            json!({"name": "package"}),
            "no `scenarios` array",
        ),
        (
            "no-passes.json",
            json!({"totalSeconds": 1, "scenarios": [{"name": "y"}]}),
            "scenario `y` has no true or false `passes`",
        ),
        (
            "bad-diagrams.json",
            json!({"totalSeconds": 1, "scenarios": [], "diagrams": "yes"}),
            "`diagrams`",
        ),
    ];
    for (file, doc, why) in cases {
        let path = write_json(&dir, file, &doc);
        let err = fails(&mut merge(&[&good, &path]));
        assert!(
            err.contains(&format!(
                "{} is not a sealwright check report",
                path.display()
            )),
            "{err}"
        );
        assert!(err.contains(why), "{file}: {err}");
    }
    fs::write(dir.p("text.json"), "scenarios: all").unwrap();
    let err = fails(&mut merge(&[&good, &dir.p("text.json")]));
    assert!(
        err.contains(&format!(
            "{} is not a sealwright check report: not JSON",
            dir.p("text.json").display()
        )),
        "{err}"
    );
    let err = fails(&mut merge(&[&good, &dir.p("missing.json")]));
    assert!(err.contains("cannot open"), "{err}");
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn one_input_at_most_carries_the_diagrams() {
    let dir = Dir::new("merge", "diagrams");
    let mut with = hand_report(&[("x", true)]);
    with["diagrams"] = diagrams(true);
    let x = write_json(&dir, "x.json", &with);
    let y = write_json(&dir, "y.json", &hand_report(&[("y", true)]));
    ok(merge(&[&x, &y]).arg("--junit").arg(dir.p("m.xml")));
    let junit = fs::read_to_string(dir.p("m.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"diagrams\" tests=\"1\" failures=\"0\">"));

    let mut twice = hand_report(&[("z", true)]);
    twice["diagrams"] = diagrams(true);
    let z = write_json(&dir, "z.json", &twice);
    let err = fails(&mut merge(&[&x, &y, &z]));
    assert!(err.contains("`diagrams`"), "{err}");
    assert!(
        err.contains(&x.display().to_string()) && err.contains(&z.display().to_string()),
        "{err}"
    );
    assert!(!err.contains(&y.display().to_string()), "{err}");

    // Failing diagrams fail the merged report.
    with["diagrams"] = diagrams(false);
    let x = write_json(&dir, "x.json", &with);
    let out = run(merge(&[&x, &y]).arg("--json").arg(dir.p("m.json")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("FAILED: diagrams")
    );
    assert_eq!(read_json(&dir.p("m.json"))["passes"], false);
}

#[test]
fn unknown_fields_pass_through() {
    let dir = Dir::new("merge", "extra");
    let mut x = hand_report(&[("x", true)]);
    x["scenarios"][0]["parameters"] = json!({"clients": 3, "crashes": 1});
    x["commit"] = json!("abc123");
    let x = write_json(&dir, "x.json", &x);
    let y = write_json(&dir, "y.json", &hand_report(&[("y", true)]));
    ok(merge(&[&x, &y])
        .arg("--json")
        .arg(dir.p("m.json"))
        .arg("--junit")
        .arg(dir.p("m.xml"))
        .arg("--markdown")
        .arg(dir.p("m.md")));
    let m = read_json(&dir.p("m.json"));
    assert_eq!(
        m["scenarios"][0]["parameters"],
        json!({"clients": 3, "crashes": 1})
    );
    assert_eq!(m["commit"], "abc123");
    assert!(
        fs::read_to_string(dir.p("m.md"))
            .unwrap()
            .contains("| `x` | ordered | none | 10 | 5 | 2 | as expected |")
    );
}

#[test]
fn shards_belong_together() {
    let dir = Dir::new("merge", "shards");
    let a = check_report(&dir, "direct", "a.json");
    let b = check_report(&dir, "seed-000-shared-context", "b.json");
    let set_shard = |path: &Path, shard: Value| edit(path, |doc| doc["shard"] = shard);

    set_shard(&a, json!({"index": 1, "count": 2}));
    set_shard(&b, json!({"index": 2, "count": 2}));
    let out = run(merge(&[&a, &b]).arg("--json").arg(dir.p("m.json")));
    assert!(out.status.success());
    assert!(
        !String::from_utf8(out.stderr).unwrap().contains("warning"),
        "a complete set of shards warns of nothing"
    );
    let m = read_json(&dir.p("m.json"));
    assert_eq!(m["shard"], Value::Null, "the merged report is no shard");
    assert_eq!(m["scenarios"].as_array().unwrap().len(), 2);

    // The same K twice.
    set_shard(&b, json!({"index": 1, "count": 2}));
    let err = fails(&mut merge(&[&a, &b]));
    assert!(err.contains("both shard 1/2"), "{err}");
    assert!(
        err.contains(&a.display().to_string()) && err.contains(&b.display().to_string()),
        "{err}"
    );

    // Different N.
    set_shard(&b, json!({"index": 2, "count": 3}));
    let err = fails(&mut merge(&[&a, &b]));
    assert!(err.contains("shards of different runs"), "{err}");

    // A shard missing: a warning, not a failure.
    set_shard(&a, json!({"index": 1, "count": 3}));
    let out = run(&mut merge(&[&a, &b]));
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("warning: shard(s) 3 of 3 missing"),
        "{stderr}"
    );

    // Not a shard index.
    set_shard(&b, json!({"index": 0, "count": 3}));
    let err = fails(&mut merge(&[&a, &b]));
    assert!(
        err.contains(&b.display().to_string()) && err.contains("`shard`"),
        "{err}"
    );
}

#[test]
fn merge_needs_files() {
    let err = fails(bin().args(["report", "merge"]));
    assert!(err.contains("FILE"), "{err}");
    let help = ok(bin().args(["report", "merge", "--help"]));
    for option in ["--json", "--junit", "--markdown"] {
        assert!(help.contains(option), "{help}");
    }
}

#[test]
fn failing_tables_fail_the_merged_report_and_show_in_junit() {
    let dir = Dir::new("merge", "tables");
    let mut with = hand_report(&[("x", true)]);
    with["diagrams"] = diagrams(true);
    with["tables"] = json!({"passes": false, "fieldTables": 2, "errorTables": 1, "guardTables": 1, "rows": 9,
        "findings": [{"page": "a.md", "line": 7, "message": "`X` has no field `y`"}]});
    let x = write_json(&dir, "x.json", &with);
    let y = write_json(&dir, "y.json", &hand_report(&[("y", true)]));
    let out = run(merge(&[&x, &y])
        .arg("--json")
        .arg(dir.p("m.json"))
        .arg("--junit")
        .arg(dir.p("m.xml")));
    assert_eq!(out.status.code(), Some(1));
    let m = read_json(&dir.p("m.json"));
    assert_eq!(m["passes"], false);
    assert_eq!(m["tables"]["findings"][0]["line"], 7);
    let junit = fs::read_to_string(dir.p("m.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"tables\" tests=\"1\" failures=\"1\">"),
        "{junit}"
    );
    assert!(
        junit.contains("docs/a.md:7 `X` has no field `y`"),
        "{junit}"
    );
}
