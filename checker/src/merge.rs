//! `sealwright report merge`: one report from the JSON reports of several `check` runs (shards).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::check::write_reports;
use crate::{files, report};

/// The largest report file `merge` reads.
const MAX_REPORT_BYTES: u64 = 256 << 20;

/// Top-level fields that `merge` computes; any other is passed through.
const COMPUTED: [&str; 7] = [
    "totalSeconds",
    "passes",
    "scenarios",
    "diagrams",
    "tables",
    "merged",
    "shard",
];

/// Options of `report merge`.
pub struct MergeOptions<'a> {
    /// The JSON reports, in order.
    pub files: &'a [PathBuf],
    /// Merged JSON report path.
    pub json: Option<&'a Path>,
    /// JUnit report path.
    pub junit: Option<&'a Path>,
    /// Markdown verification page path.
    pub markdown: Option<&'a Path>,
}

/// One input report: where it came from, and its document.
struct Input {
    /// The file, as given.
    path: PathBuf,
    /// The report document, validated by [`read`].
    doc: Value,
}

impl Input {
    /// The file name for messages.
    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// `report merge`: reads, checks and merges the reports, prints a summary, writes the outputs;
/// fails if the merged report does not pass.
pub fn run(opts: &MergeOptions<'_>) -> Result<()> {
    let inputs = opts
        .files
        .iter()
        .map(|path| read(path))
        .collect::<Result<Vec<_>>>()?;
    for warning in check_shards(&inputs)? {
        eprintln!("warning: {warning}");
    }
    let doc = merge(&inputs)?;
    files::print(&report::summary(&doc))?;
    write_reports(&doc, opts.json, opts.junit, opts.markdown)?;
    let failed = failures(&doc);
    if failed.is_empty() {
        Ok(())
    } else {
        bail!(
            "the merged report fails: {} scenario(s) failed: {}",
            failed.len(),
            failed.join(", ")
        )
    }
}

/// The names of the failing scenarios, and `diagrams` or `tables` if those fail.
fn failures(doc: &Value) -> Vec<String> {
    let mut failed: Vec<String> = doc["scenarios"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|s| s["passes"] != true)
        .map(|s| s["name"].as_str().unwrap_or_default().to_string())
        .collect();
    for section in DOC_SECTIONS {
        if !doc[section].is_null() && doc[section]["passes"] != true {
            failed.push(section.to_string());
        }
    }
    failed
}

/// The sections the run that checks the docs adds: the diagrams and the tables.
const DOC_SECTIONS: [&str; 2] = ["diagrams", "tables"];

/// Reads one report file and checks that it is a `sealwright check` report.
fn read(path: &Path) -> Result<Input> {
    let bytes = files::read_small(path, MAX_REPORT_BYTES)?;
    let doc: Value = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a sealwright check report: not JSON",
            path.display()
        )
    })?;
    validate(&doc)
        .with_context(|| format!("{} is not a sealwright check report", path.display()))?;
    Ok(Input {
        path: path.to_path_buf(),
        doc,
    })
}

/// What `merge` relies on: `totalSeconds`, and `scenarios` each with a `name` and `passes`;
/// `diagrams` and `tables`, if not null, with `passes`. Other fields are not looked at.
fn validate(doc: &Value) -> Result<()> {
    let Some(top) = doc.as_object() else {
        bail!("not a JSON object");
    };
    let Some(scenarios) = top.get("scenarios").and_then(Value::as_array) else {
        bail!("no `scenarios` array");
    };
    if !top.get("totalSeconds").is_some_and(Value::is_number) {
        bail!("no number `totalSeconds`");
    }
    for (i, s) in scenarios.iter().enumerate() {
        let Some(name) = s.get("name").and_then(Value::as_str) else {
            bail!("scenario {} has no `name`", i + 1);
        };
        if !s.get("passes").is_some_and(Value::is_boolean) {
            bail!("scenario `{name}` has no true or false `passes`");
        }
    }
    for section in DOC_SECTIONS {
        match top.get(section) {
            None | Some(Value::Null) => {}
            Some(d) if d.get("passes").is_some_and(Value::is_boolean) => {}
            Some(_) => {
                bail!("`{section}` is neither null nor a section with a true or false `passes`")
            }
        }
    }
    Ok(())
}

/// An input's `shard` field as (index, count), 1 ≤ index ≤ count; `None` without one.
fn shard_of(input: &Input) -> Result<Option<(u64, u64)>> {
    let shard = match input.doc.get("shard") {
        None | Some(Value::Null) => return Ok(None),
        Some(shard) => shard,
    };
    let index = shard.get("index").and_then(Value::as_u64);
    let count = shard.get("count").and_then(Value::as_u64);
    match (index, count) {
        (Some(k), Some(n)) if (1..=n).contains(&k) => Ok(Some((k, n))),
        _ => bail!(
            "{}: `shard` must be {{\"index\": K, \"count\": N}} with 1 <= K <= N, not {shard}",
            input.name()
        ),
    }
}

/// Checks the shard bookkeeping: one count N for all, no index twice. Returns warnings:
/// shards of 1..=N missing, and inputs that are no shard beside inputs that are.
fn check_shards(inputs: &[Input]) -> Result<Vec<String>> {
    let mut seen: BTreeMap<u64, &Input> = BTreeMap::new();
    let mut count: Option<(u64, &Input)> = None;
    let mut unsharded: Vec<String> = Vec::new();
    for input in inputs {
        let Some((k, n)) = shard_of(input)? else {
            unsharded.push(input.name());
            continue;
        };
        match count {
            Some((m, first)) if m != n => bail!(
                "the inputs are shards of different runs: {} is one of {m} shards, {} one of {n}",
                first.name(),
                input.name()
            ),
            Some(_) => {}
            None => count = Some((n, input)),
        }
        if let Some(other) = seen.insert(k, input) {
            bail!(
                "{} and {} are both shard {k}/{n}",
                other.name(),
                input.name()
            );
        }
    }
    let Some((n, _)) = count else {
        return Ok(Vec::new());
    };
    let mut warnings = Vec::new();
    let missing: Vec<String> = (1..=n)
        .filter(|k| !seen.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "shard(s) {} of {n} missing: the merged report covers only part of the check",
            missing.join(", ")
        ));
    }
    if !unsharded.is_empty() {
        warnings.push(format!(
            "{} carry no `shard` field, the other inputs are shards of {n}",
            unsharded.join(", ")
        ));
    }
    Ok(warnings)
}

/// Merges validated reports: scenarios in input order (a name twice is an error), at most
/// one `diagrams` section, `totalSeconds` summed, `passes` recomputed, `merged` listing the
/// inputs; other top-level fields are kept from the first input that has them.
fn merge(inputs: &[Input]) -> Result<Value> {
    let mut scenarios: Vec<Value> = Vec::new();
    let mut from: BTreeMap<String, &Input> = BTreeMap::new();
    for input in inputs {
        for s in input.doc["scenarios"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let name = s["name"].as_str().unwrap_or_default();
            if let Some(first) = from.insert(name.to_string(), input) {
                bail!(
                    "scenario `{name}` is in both {} and {}",
                    first.name(),
                    input.name()
                );
            }
            scenarios.push(s.clone());
        }
    }
    let sections = DOC_SECTIONS
        .iter()
        .map(|section| Ok((*section, doc_section(inputs, section)?)))
        .collect::<Result<Vec<_>>>()?;
    let total: f64 = inputs
        .iter()
        .filter_map(|i| i.doc["totalSeconds"].as_f64())
        .sum();
    let passes = scenarios.iter().all(|s| s["passes"] == true)
        && sections
            .iter()
            .all(|(_, v)| v.is_null() || v["passes"] == true);
    let mut doc = passed_through(inputs);
    doc.insert("totalSeconds".into(), total.into());
    doc.insert("passes".into(), passes.into());
    doc.insert("scenarios".into(), scenarios.into());
    for (section, value) in sections {
        doc.insert(section.into(), value);
    }
    let merged: Vec<Value> = inputs.iter().map(|i| i.name().into()).collect();
    doc.insert("merged".into(), merged.into());
    Ok(Value::Object(doc))
}

/// The one input's `section` (the docs are checked by one run), or null if none has it.
fn doc_section(inputs: &[Input], section: &str) -> Result<Value> {
    let with: Vec<&Input> = inputs
        .iter()
        .filter(|i| !i.doc[section].is_null())
        .collect();
    if with.len() > 1 {
        let names: Vec<String> = with.iter().map(|i| i.name()).collect();
        bail!(
            "more than one input has a `{section}` section: {}; only one run may check the docs",
            names.join(", ")
        );
    }
    Ok(with.first().map_or(Value::Null, |i| i.doc[section].clone()))
}

/// The top-level fields `merge` does not compute, each from the first input that has it;
/// a different value in a later input is dropped with a warning.
fn passed_through(inputs: &[Input]) -> Map<String, Value> {
    let mut kept: Map<String, Value> = Map::new();
    let mut origin: BTreeMap<String, String> = BTreeMap::new();
    let mut warned: BTreeSet<String> = BTreeSet::new();
    for input in inputs {
        let Some(top) = input.doc.as_object() else {
            continue;
        };
        for (key, value) in top.iter().filter(|(k, _)| !COMPUTED.contains(&k.as_str())) {
            match kept.get(key) {
                None => {
                    kept.insert(key.clone(), value.clone());
                    origin.insert(key.clone(), input.name());
                }
                Some(first) if first != value && warned.insert(key.clone()) => {
                    eprintln!(
                        "warning: `{key}` differs between the inputs; the merged report keeps {}'s",
                        origin.get(key).map_or("the first input", String::as_str)
                    );
                }
                Some(_) => {}
            }
        }
    }
    kept
}
