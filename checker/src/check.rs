//! `sealwright check`, `scenarios`, `simulate` and `explore`: run the model, report, and fail loudly.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use model::diagrams::DiagramsReport;
use model::link::LinkScenario;
use model::{Limits, Scenario, ScenarioReport, catalog};

use crate::exit;
use crate::report;
use crate::tables::TablesReport;

/// Which part of the catalog one machine runs: `K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 1.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not K/N (say, 1/3)"))?;
        let index: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("`{k}` in `{s}` is not a number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` in `{s}` is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard `{s}`: K must be in 1..=N and N at least 1"));
        }
        Ok(Shard { index, count })
    }
}

/// Options of `check`.
pub struct CheckOptions<'a> {
    /// Only these scenarios (all if empty).
    pub scenarios: &'a [String],
    /// Bounds to set, `name=value`.
    pub set: &'a [String],
    /// The deep scenarios instead of the catalog.
    pub deep: bool,
    /// Only this shard of the catalog.
    pub shard: Option<Shard>,
    /// Worker threads.
    pub threads: usize,
    /// JSON report path.
    pub json: Option<&'a Path>,
    /// JUnit report path.
    pub junit: Option<&'a Path>,
    /// State bound per run.
    pub max_states: usize,
    /// Time bound per run.
    pub time_limit: Duration,
    /// Where the documented diagrams are; `None` skips them.
    pub docs: Option<&'a Path>,
    /// Markdown verification page path.
    pub markdown: Option<&'a Path>,
    /// Where counterexamples, and the flows that realize the docs' diagrams, are written as
    /// ITF traces.
    pub itf: Option<&'a Path>,
}

/// Writes a report file, creating its directory if needed.
pub fn write_report(path: &Path, text: String) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the report document as JSON, JUnit and the verification page, where asked.
pub fn write_reports(
    doc: &serde_json::Value,
    json: Option<&Path>,
    junit: Option<&Path>,
    markdown: Option<&Path>,
) -> Result<()> {
    if let Some(path) = json {
        write_report(path, report::json_text(doc))?;
    }
    if let Some(path) = junit {
        write_report(path, report::junit(doc))?;
    }
    if let Some(path) = markdown {
        write_report(path, report::verification_page(doc))?;
    }
    Ok(())
}

fn names() -> String {
    catalog()
        .iter()
        .map(|s| s.name)
        .chain(model::link::SCENARIOS.iter().map(|s| s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The link scenarios named (all if no scenario is named).
pub fn select_links(names_given: &[String]) -> Vec<LinkScenario> {
    model::link::SCENARIOS
        .iter()
        .filter(|s| names_given.is_empty() || names_given.iter().any(|n| n == s.name))
        .copied()
        .collect()
}

/// The scenarios named (all if none), with `--set` applied.
pub fn select(names_given: &[String], set: &[String]) -> Result<Vec<Scenario>> {
    let mut chosen: Vec<Scenario> = Vec::new();
    for name in names_given {
        if model::link::find(name).is_some() {
            continue;
        }
        match model::catalog::find(name) {
            Some(s) => chosen.push(s),
            None => {
                return Err(exit::usage(format!(
                    "no scenario named `{name}`; the scenarios are: {}",
                    names()
                )));
            }
        }
    }
    if names_given.is_empty() {
        chosen = catalog();
    }
    for item in set {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| exit::usage(format!("`--set {item}`: expected NAME=VALUE")))?;
        let value: u32 = v
            .trim()
            .parse()
            .map_err(|_| exit::usage(format!("`--set {item}`: `{v}` is not a whole number")))?;
        let mut applied = 0;
        let mut last_error = None;
        for s in &mut chosen {
            match s.set(k.trim(), value) {
                Ok(()) => applied += 1,
                Err(e @ model::scenarios::BoundError::OutOfRange { .. }) => return Err(e.into()),
                Err(e) => last_error = Some(e),
            }
        }
        if applied == 0 {
            return Err(match last_error {
                Some(e) if chosen.len() == 1 => e.into(),
                _ => exit::usage(format!(
                    "`--set {item}`: no selected scenario has a parameter `{k}` (see `sealwright scenarios`)"
                )),
            });
        }
    }
    Ok(chosen)
}

/// The units of work of a sharded run: each scenario, and the diagram check.
const DIAGRAMS: &str = "diagrams";

/// The names of the units shard `k` of `n` runs: the heaviest unit first to the lightest
/// shard (by pinned state counts), so shards take about as long as each other.
pub fn shard_units(shard: Shard) -> Vec<String> {
    let all = catalog();
    let diagram_cost: usize = all
        .iter()
        .filter(|s| s.flow_check().is_some())
        .map(|s| s.states)
        .sum();
    let mut units: Vec<(String, usize)> = all
        .iter()
        .map(|s| (s.name.to_string(), s.states.max(1)))
        .chain(
            model::link::SCENARIOS
                .iter()
                .map(|s| (s.name.to_string(), s.states.max(1))),
        )
        .collect();
    units.push((DIAGRAMS.to_string(), diagram_cost.max(1)));
    units.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut load = vec![0usize; shard.count];
    let mut mine = Vec::new();
    for (name, cost) in units {
        let (lightest, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(i, l)| (**l, *i))
            .unwrap_or((0, &0));
        load[lightest] += cost;
        if lightest + 1 == shard.index {
            mine.push(name);
        }
    }
    mine
}

fn progress_line(name: &str, live: bool) -> impl FnMut(usize, usize, f64) + '_ {
    move |generated: usize, unique: usize, secs: f64| {
        if live {
            let rate = if secs > 0.0 {
                generated as f64 / secs
            } else {
                0.0
            };
            eprint!(
                "\r\x1b[2K{name}: {generated} states ({unique} unique), {rate:.0}/s, {secs:.1} s"
            );
            let _ = std::io::stderr().flush();
        }
    }
}

/// Runs the scenarios; fails if any property is not as expected or any run is cut short.
pub fn run(opts: &CheckOptions<'_>) -> Result<()> {
    let mut scenarios = if opts.deep {
        model::catalog::deep()
    } else {
        select(opts.scenarios, opts.set)?
    };
    let mut links = if opts.deep {
        Vec::new()
    } else {
        select_links(opts.scenarios)
    };
    let mut with_diagrams = opts.docs.is_some() && !opts.deep;
    let partial = !opts.scenarios.is_empty() || !opts.set.is_empty();
    if let Some(shard) = opts.shard {
        let units = shard_units(shard);
        scenarios.retain(|s| units.iter().any(|u| u == s.name));
        links.retain(|s| units.iter().any(|u| u == s.name));
        with_diagrams &= units.iter().any(|u| u == DIAGRAMS);
        println!(
            "shard {}/{}: {}",
            shard.index,
            shard.count,
            units.join(", ")
        );
    }
    let limits = Limits {
        threads: opts.threads,
        max_states: opts.max_states,
        time_limit: opts.time_limit,
    };
    let live = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut reports: Vec<ScenarioReport> = Vec::new();
    for scenario in &scenarios {
        let report = model::run::run(scenario, limits, &mut progress_line(scenario.name, live));
        if live {
            eprint!("\r\x1b[2K");
        }
        print!("{}", report::text(&report));
        reports.push(report);
    }
    for link in &links {
        let report = link.run(limits, &mut progress_line(link.name, live));
        if live {
            eprint!("\r\x1b[2K");
        }
        print!("{}", report::text(&report));
        reports.push(report);
    }
    let docs = match (with_diagrams, opts.docs) {
        (true, Some(docs)) => {
            // A shard's diagram unit checks the whole catalog's flows; a partial run, its own.
            let flows_of = if opts.shard.is_some() {
                catalog()
            } else {
                scenarios.clone()
            };
            let partial = partial && opts.shard.is_none();
            let d = check_diagrams(docs, &flows_of, limits, partial, opts.itf)?;
            print!("{}", report::diagrams_text(&d));
            let t = crate::tables::check(docs)?;
            print!("{}", t.text());
            Some((d, t))
        }
        _ => None,
    };
    finish(
        opts,
        &reports,
        docs.as_ref(),
        started.elapsed().as_secs_f64(),
    )
}

/// Prints the summary, writes the reports, and turns failures into an error.
fn finish(
    opts: &CheckOptions<'_>,
    reports: &[ScenarioReport],
    docs: Option<&(DiagramsReport, TablesReport)>,
    total: f64,
) -> Result<()> {
    let mut failed: Vec<&str> = reports
        .iter()
        .filter(|r| !r.passes())
        .map(|r| r.name)
        .collect();
    if docs.is_some_and(|(d, _)| !d.passes()) {
        failed.push("diagrams");
    }
    if docs.is_some_and(|(_, t)| !t.passes()) {
        failed.push("tables");
    }
    let generated: usize = reports.iter().map(|r| r.generated).sum();
    println!(
        "{} scenarios, {generated} states in {total:.1} s ({:.0} states/s) on {} threads: {}",
        reports.len(),
        generated as f64 / total.max(1e-9),
        opts.threads,
        if failed.is_empty() {
            "all as expected".to_string()
        } else {
            format!("FAILED: {}", failed.join(", "))
        }
    );
    let shard = opts.shard.map(|s| (s.index, s.count));
    let mut doc = report::json(reports, docs.map(|(d, _)| d), total, shard);
    if let (Some((_, t)), Some(top)) = (docs, doc.as_object_mut()) {
        top.insert("tables".into(), t.json());
        let passes = top.get("passes").and_then(serde_json::Value::as_bool);
        top.insert(
            "passes".into(),
            (passes.unwrap_or(true) && t.passes()).into(),
        );
    }
    write_reports(&doc, opts.json, opts.junit, opts.markdown)?;
    if let Some(dir) = opts.itf {
        let written = crate::itf::write_all(dir, reports)?;
        println!("{} ITF traces written to {}", written.len(), dir.display());
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("{} scenario(s) failed: {}", failed.len(), failed.join(", "))
    }
}

/// Collects the flows of every scenario whose flows are documented, and checks the docs'
/// diagrams (writing the flow behind each of their alternatives into `itf`, if given);
/// `partial` when only some scenarios ran (alternatives are then not required to happen,
/// since another scenario may be the one that realizes them).
pub fn check_diagrams(
    docs: &Path,
    scenarios: &[Scenario],
    limits: Limits,
    partial: bool,
    itf: Option<&Path>,
) -> Result<DiagramsReport> {
    let (diagrams, errors) = model::diagrams::load(docs)
        .with_context(|| format!("cannot read the docs at {}", docs.display()))?;
    let mut collected = Vec::new();
    for s in scenarios.iter().filter(|s| s.flow_check().is_some()) {
        let flows = model::flows::collect(s, limits).map_err(anyhow::Error::msg)?;
        collected.push((s.name.to_string(), flows));
    }
    let mut report = model::diagrams::check(&diagrams, errors, &collected);
    if partial {
        report.partial();
    }
    // The flows behind each diagram, as ITF, only when asked: finding them matches every
    // flow against every alternative again.
    if let Some(dir) = itf {
        let witnesses = model::witnesses::witnesses(&diagrams, &collected);
        let written = crate::itf::write_witnesses(dir, docs, &witnesses)?;
        println!(
            "{} documented flows written as ITF traces to {}",
            written.len(),
            dir.display()
        );
    }
    Ok(report)
}

/// `diagrams`: lists every diagram under `docs`, what it is checked against, and exclusions.
pub fn list_diagrams(docs: &Path) -> Result<()> {
    let (diagrams, errors) = model::diagrams::load(docs)
        .with_context(|| format!("cannot read the docs at {}", docs.display()))?;
    print!("{}", report::diagram_list(&diagrams, &errors));
    if errors.is_empty() {
        Ok(())
    } else {
        bail!("{} diagram error(s)", errors.len())
    }
}

/// `scenarios`: every scenario with its summary, network, parameters and defaults.
pub fn list_scenarios() -> Result<()> {
    print!("{}", report::scenario_list(&catalog()));
    Ok(())
}

/// `simulate`: random walks at any bounds; fails on an unexpected violation.
pub fn simulate(
    scenario: &str,
    set: &[String],
    seconds: u64,
    seed: u64,
    threads: usize,
    itf: Option<&Path>,
) -> Result<()> {
    let chosen = select(&[scenario.to_string()], set)?;
    let Some(s) = chosen.first() else {
        bail!("no scenario named `{scenario}`")
    };
    let sim = model::simulate::simulate(s, seconds, seed, threads);
    print!("{}", report::simulation_text(s, &sim, seed, threads));
    if let Some(dir) = itf {
        let written = crate::itf::write_walks(dir, s, &sim)?;
        println!("{} ITF traces written to {}", written.len(), dir.display());
    }
    let unexpected: Vec<&str> = sim.violated.iter().filter(|v| !v.1).map(|v| v.0).collect();
    let missing: Vec<&str> = s
        .properties()
        .iter()
        .filter(|c| c.expect_violation && !sim.violated.iter().any(|v| v.0 == c.name))
        .map(|c| c.name)
        .collect();
    if !unexpected.is_empty() {
        bail!("violated: {}", unexpected.join(", "));
    }
    if !missing.is_empty() {
        bail!(
            "the flawed design's violation was not found in {seconds} s: {}",
            missing.join(", ")
        );
    }
    Ok(())
}

/// `explore`: serves stateright's Explorer for one scenario (blocks until interrupted).
pub fn explore(name: &str, set: &[String], addr: &str) -> Result<()> {
    let chosen = select(&[name.to_string()], set)?;
    let Some(scenario) = chosen.into_iter().next() else {
        bail!("no scenario named `{name}`")
    };
    eprintln!("Explorer for `{name}` on http://{addr}/ (Ctrl-C to stop)");
    use stateright::Model as _;
    scenario.model(None).checker().serve(addr);
    Ok(())
}
