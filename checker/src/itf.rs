//! Counterexamples as ITF traces (the Informal Trace Format of Apalache ADR-015), so that
//! Quint and Apalache tooling can read what the checker found.
//!
//! One file per property that has a trace: `SCENARIO.PROPERTY.itf.json`. The trace has one
//! variable, `action`: each state is the step that led to it, a variant whose tag is the
//! kind of step (`Deliver`, `Sent`, `Lost`, `Timeout`, `Choice`) and whose value is a
//! record naming the actors and the message.
//!
//! The flows that realize the docs' diagrams are written the same way, one file per
//! diagram alternative, every state a `Sent` step between parties.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use model::arrow::{Arrow, Party};
use model::simulate::Simulation;
use model::witnesses::Witness;
use model::{Scenario, ScenarioReport, Step};
use serde_json::{Value as Json, json};

/// Where ITF says what it is.
const FORMAT_DESCRIPTION: &str = "https://apalache-mc.org/docs/adr/015adr-trace.html";

/// Writes a trace for every property of `reports` that has one; returns the files written.
pub fn write_all(dir: &Path, reports: &[ScenarioReport]) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for report in reports {
        for property in &report.properties {
            let Some(steps) = &property.trace else {
                continue;
            };
            let description = format!(
                "scenario {}: property \"{}\" ({})",
                report.name,
                property.name,
                property.outcome.label()
            );
            let name = format!("{}.{}.itf.json", report.name, file_name(property.name));
            written.push(write(
                dir,
                &name,
                &trace(&report.names, steps, &description),
            )?);
        }
    }
    Ok(written)
}

/// Writes each violation a simulation found as `SCENARIO.PROPERTY.itf.json`; returns the files.
pub fn write_walks(dir: &Path, scenario: &Scenario, sim: &Simulation) -> Result<Vec<PathBuf>> {
    let names = scenario.names();
    let mut written = Vec::new();
    for (property, expected, steps, _) in &sim.violated {
        let description = format!(
            "scenario {}: property \"{property}\" violated on a random walk{}",
            scenario.name,
            if *expected {
                " (as the design that fails must)"
            } else {
                ""
            }
        );
        let name = format!("{}.{}.itf.json", scenario.name, file_name(property));
        written.push(write(dir, &name, &trace(&names, steps, &description))?);
    }
    Ok(written)
}

/// Writes `doc` as `dir/name`, creating `dir`.
fn write(dir: &Path, name: &str, doc: &Json) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, format!("{doc:#}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn file_name(property: &str) -> String {
    property
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Writes the flow that realizes each documented diagram alternative, as
/// `flow.FILE.LINE.ALTERNATIVE.itf.json` (FILE relative to `docs`); returns the files written.
pub fn write_witnesses(dir: &Path, docs: &Path, witnesses: &[Witness]) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for w in witnesses {
        let file = w.file.strip_prefix(docs).unwrap_or(&w.file);
        let stem = file.with_extension("").to_string_lossy().into_owned();
        let description = format!(
            "diagram \"{}\" ({}:{}), alternative {}, as scenario {} produced it",
            w.title,
            file.display(),
            w.line,
            w.alternative,
            w.scenario
        );
        let party = |p: &Party| p.name().to_string();
        let states = w.flow.iter().map(|a| ("Sent", message(&party, a)));
        let name = format!(
            "flow.{}.{}.{}.itf.json",
            file_name(&stem),
            w.line,
            w.alternative
        );
        written.push(write(dir, &name, &document(states, &description))?);
    }
    Ok(written)
}

/// One trace as ITF JSON.
pub fn trace(names: &[String], steps: &[Step], description: &str) -> Json {
    document(steps.iter().map(|s| action(names, s)), description)
}

/// An ITF document whose states are `actions`, each as its `action` variable.
fn document(actions: impl Iterator<Item = (&'static str, Json)>, description: &str) -> Json {
    let states: Vec<Json> = actions
        .enumerate()
        .map(|(i, (tag, value))| {
            json!({ "#meta": { "index": i }, "action": { "tag": tag, "value": value } })
        })
        .collect();
    json!({
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": "sealwright",
            "description": description,
        },
        "vars": ["action"],
        "states": states,
    })
}

fn name(names: &[String], i: usize) -> String {
    names.get(i).cloned().unwrap_or_else(|| format!("n{i}"))
}

fn message<P>(name: &impl Fn(&P) -> String, a: &Arrow<P>) -> Json {
    json!({
        "from": name(&a.from),
        "to": name(&a.to),
        "message": a.name,
        "reply": a.reply,
        "fields": { "#map": a.fields.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>() },
        "row": a.row,
    })
}

fn action(names: &[String], step: &Step) -> (&'static str, Json) {
    let by_index = |i: &usize| name(names, *i);
    match step {
        Step::Deliver(a, correlation) => {
            let mut value = message(&by_index, a);
            value["correlation"] = match correlation {
                Some(c) => json!({ "tag": "Some", "value": { "#bigint": c.to_string() } }),
                None => json!({ "tag": "None", "value": { "#tup": [] } }),
            };
            ("Deliver", value)
        }
        Step::Sent(a) => ("Sent", message(&by_index, a)),
        Step::Lost(a) => ("Lost", message(&by_index, a)),
        Step::Timeout(i, timer) => (
            "Timeout",
            json!({ "actor": name(names, *i), "timer": timer }),
        ),
        Step::Choice(i, choice) => (
            "Choice",
            json!({ "actor": name(names, *i), "choice": choice }),
        ),
    }
}
