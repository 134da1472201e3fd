//! `sealwright check` and `sealwright explore`: run the model, report, and fail loudly.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use model::diagrams::DiagramsReport;
use model::{Limits, ScenarioReport, catalog};

use crate::report;

/// Options of `check`.
pub struct CheckOptions<'a> {
    /// Only this scenario.
    pub scenario: Option<&'a str>,
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
    /// Where the documented diagrams are.
    pub docs: &'a Path,
    /// Markdown verification page path.
    pub markdown: Option<&'a Path>,
}

/// Writes a report file, creating its directory if needed.
pub fn write_report(path: &Path, text: String) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Runs the scenarios; fails if any property is not as expected or any run is cut short.
pub fn run(opts: &CheckOptions<'_>) -> Result<()> {
    let scenarios: Vec<_> = catalog()
        .into_iter()
        .filter(|s| opts.scenario.is_none_or(|name| name == s.name))
        .collect();
    if scenarios.is_empty() {
        let names: Vec<_> = catalog().iter().map(|s| s.name).collect();
        bail!(
            "no scenario named `{}`; the scenarios are: {}",
            opts.scenario.unwrap_or_default(),
            names.join(", ")
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
        let mut progress = |generated: usize, unique: usize, secs: f64| {
            if live {
                let rate = if secs > 0.0 {
                    generated as f64 / secs
                } else {
                    0.0
                };
                eprint!(
                    "\r\x1b[2K{}: {generated} states ({unique} unique), {rate:.0}/s, {secs:.1} s",
                    scenario.name
                );
                let _ = std::io::stderr().flush();
            }
        };
        let report = model::run::run(scenario, limits, &mut progress);
        if live {
            eprint!("\r\x1b[2K");
        }
        print!("{}", report::text(&report));
        reports.push(report);
    }
    let diagrams = if opts.scenario.is_none() {
        let d = check_diagrams(opts.docs, &scenarios, limits)?;
        print!("{}", report::diagrams_text(&d));
        Some(d)
    } else {
        None
    };
    let total = started.elapsed().as_secs_f64();
    let mut failed: Vec<&str> = reports
        .iter()
        .filter(|r| !r.passes())
        .map(|r| r.name)
        .collect();
    if diagrams.as_ref().is_some_and(|d| !d.passes()) {
        failed.push("diagrams");
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
    let doc = report::json(&reports, diagrams.as_ref(), total);
    if let Some(path) = opts.markdown {
        write_report(path, report::markdown(&doc))?;
    }
    if let Some(path) = opts.json {
        write_report(path, report::json_text(&doc))?;
    }
    if let Some(path) = opts.junit {
        write_report(path, report::junit(&doc))?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("{} scenario(s) failed: {}", failed.len(), failed.join(", "))
    }
}

/// Collects the flows of every scenario that documents flows, and checks the docs' diagrams.
pub fn check_diagrams(
    docs: &Path,
    scenarios: &[model::Scenario],
    limits: Limits,
) -> Result<DiagramsReport> {
    let (diagrams, errors) = model::diagrams::load(docs)
        .with_context(|| format!("cannot read the docs at {}", docs.display()))?;
    let mut collected = Vec::new();
    for s in scenarios.iter().filter(|s| s.documents_flows()) {
        let flows = model::flows::collect(s, limits).map_err(anyhow::Error::msg)?;
        collected.push((s.name.to_string(), flows));
    }
    Ok(model::diagrams::check(&diagrams, errors, &collected))
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

/// `explore`: serves stateright's Explorer for one scenario (blocks until interrupted).
pub fn explore(name: &str, addr: &str) -> Result<()> {
    let Some(scenario) = catalog().into_iter().find(|s| s.name == name) else {
        let names: Vec<_> = catalog().iter().map(|s| s.name).collect();
        bail!(
            "no scenario named `{name}`; the scenarios are: {}",
            names.join(", ")
        );
    };
    eprintln!("Explorer for `{name}` on http://{addr}/ (Ctrl-C to stop)");
    use stateright::Model as _;
    scenario.model(None).checker().serve(addr);
    Ok(())
}
