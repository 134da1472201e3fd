//! Counterexamples as ITF traces (the Informal Trace Format of Apalache ADR-015), so that
//! Quint and Apalache tooling can read what the checker found.
//!
//! One file per property that has a trace: `SCENARIO.PROPERTY.itf.json`. The trace has one
//! variable, `action`: each state is the step that led to it, a variant whose tag is the
//! kind of step (`Deliver`, `Sent`, `Lost`, `Timeout`, `Choice`) and whose value is a
//! record naming the actors and the message.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use model::arrow::Arrow;
use model::{ScenarioReport, Step};
use serde_json::{Value as Json, json};

/// Where ITF says what it is.
const FORMAT_DESCRIPTION: &str = "https://apalache-mc.org/docs/adr/015adr-trace.html";

/// Writes a trace for every property of `reports` that has one; returns the files written.
pub fn write_all(dir: &Path, reports: &[ScenarioReport]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for report in reports {
        for property in &report.properties {
            let Some(steps) = &property.trace else {
                continue;
            };
            let name = format!("{}.{}.itf.json", report.name, file_name(property.name));
            let path = dir.join(name);
            let description = format!(
                "scenario {}: property \"{}\" ({})",
                report.name,
                property.name,
                property.outcome.label()
            );
            let text = format!("{:#}\n", trace(&report.names, steps, &description));
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

fn file_name(property: &str) -> String {
    property
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// One trace as ITF JSON.
pub fn trace(names: &[String], steps: &[Step], description: &str) -> Json {
    let states: Vec<Json> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| json!({ "#meta": { "index": i }, "action": action(names, step) }))
        .collect();
    json!({
        "#meta": {
            "format": "ITF",
            "format-description": FORMAT_DESCRIPTION,
            "source": "sealwright check",
            "description": description,
        },
        "vars": ["action"],
        "states": states,
    })
}

fn name(names: &[String], i: usize) -> String {
    names.get(i).cloned().unwrap_or_else(|| format!("n{i}"))
}

fn message(names: &[String], a: &Arrow<usize>) -> Json {
    json!({
        "from": name(names, a.from),
        "to": name(names, a.to),
        "message": a.name,
        "reply": a.reply,
        "fields": { "#map": a.fields.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>() },
        "row": a.row,
    })
}

fn action(names: &[String], step: &Step) -> Json {
    let (tag, value) = match step {
        Step::Deliver(a, correlation) => {
            let mut value = message(names, a);
            value["correlation"] = match correlation {
                Some(c) => json!({ "tag": "Some", "value": { "#bigint": c.to_string() } }),
                None => json!({ "tag": "None", "value": { "#tup": [] } }),
            };
            ("Deliver", value)
        }
        Step::Sent(a) => ("Sent", message(names, a)),
        Step::Lost(a) => ("Lost", message(names, a)),
        Step::Timeout(i, timer) => (
            "Timeout",
            json!({ "actor": name(names, *i), "timer": timer }),
        ),
        Step::Choice(i, choice) => (
            "Choice",
            json!({ "actor": name(names, *i), "choice": choice }),
        ),
    };
    json!({ "tag": tag, "value": value })
}
