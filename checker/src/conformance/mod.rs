//! `sealwright conformance`: writes the suite the model's exploration makes, and runs one.
//!
//! The cases are every engine transition the catalog's scenarios reach, explored
//! again with real crypto and seeded randomness ([`model::conformance`]), plus
//! cases the model cannot reach and inputs that must be refused ([`made`]), and
//! multi-step flows. The format is on the site's conformance page.

mod altered;
mod coverage;
mod made;
mod show;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use engines::conformance::{Case, Divergence, replay};
use engines::runtime::trace::TraceError;
use model::Limits;
use serde_json::json;

use crate::exit;
use coverage::Coverage;
use engines::conformance::files::{self as case_dir, FORMAT};

/// A case and the scenarios that reach it.
type Entry = (Case, BTreeSet<&'static str>);

/// Every case: the model's transitions, the hostile rows, the refused inputs and the flows.
pub fn cases(max_states: usize) -> Result<(Vec<Entry>, Vec<model::conformance::Explored>)> {
    let limits = Limits {
        threads: 1,
        max_states,
        time_limit: Duration::from_secs(3600),
    };
    let suite = model::conformance::collect(&model::conformance::sources(model::catalog()), limits);
    if let Some(cut) = suite.explored.iter().find(|e| e.truncated) {
        bail!(
            "scenario {} has more than {max_states} states: raise --max-states",
            cut.scenario
        );
    }
    let flows = model::conformance::flows(&suite);
    // Cases are made by changing a recorded envelope; a host event has none.
    let recorded: Vec<&Case> = suite
        .cases
        .values()
        .map(|(c, _)| c)
        .filter(|c| c.steps.iter().all(|s| s.event.is_none()))
        .collect();
    let explored: Vec<&Case> = suite.cases.values().map(|(c, _)| c).collect();
    let mut all: Vec<Entry> = suite.cases.values().cloned().collect();
    let made = BTreeSet::from(["made from a recorded input"]);
    for case in made::cases(&recorded)?
        .into_iter()
        .chain(made::refused(&recorded))
        .chain(made::refused_names(&recorded))
        .chain(altered::events(&recorded, &explored)?)
    {
        all.push((case, made.clone()));
    }
    let walked = BTreeSet::from(["a walk through recorded transitions"]);
    all.extend(flows.into_iter().map(|f| (f, walked.clone())));
    // Two handlers' flows may walk the same steps: one directory, so one case (the first).
    let mut ids = BTreeSet::new();
    all.retain(|(case, _)| ids.insert(case.id()));
    Ok((all, suite.explored))
}

/// `sealwright conformance generate`.
pub fn generate(out: &Path, max_states: usize) -> Result<()> {
    prepare(out)?;
    let (all, explored) = cases(max_states)?;
    for (case, scenarios) in &all {
        let scenarios: Vec<&str> = scenarios.iter().copied().collect();
        case_dir::write(out, case, &scenarios)?;
    }
    let refs: Vec<&Case> = all.iter().map(|(c, _)| c).collect();
    let coverage = Coverage::of(&refs);
    let gaps = coverage.gaps();
    let index = json!({
        "format": FORMAT,
        "cases": all.len(),
        "coverage": coverage.json(),
        "gaps": gaps,
        "explored": explored.iter().map(|e| json!({
            "scenario": e.scenario, "states": e.states, "transitions": e.transitions,
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&index)?;
    text.push('\n');
    let path = out.join("suite.json");
    fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    print!("{}", coverage.table());
    for gap in &gaps {
        println!("gap: {gap}");
    }
    println!("{} cases written to {}", all.len(), out.display());
    if !gaps.is_empty() {
        bail!("{} gaps in coverage (listed above)", gaps.len());
    }
    Ok(())
}

/// Empties `out` if it holds a suite; refuses a directory that holds anything else.
fn prepare(out: &Path) -> Result<()> {
    if out.join("suite.json").is_file() {
        fs::remove_dir_all(out).with_context(|| format!("cannot empty {}", out.display()))?;
    } else if fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        bail!(exit::usage(format!(
            "{} is not empty and holds no suite.json: choose an empty or new directory",
            out.display()
        )));
    }
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))
}

/// `sealwright conformance run`: every case under `dir` (of `engine`, if given).
pub fn run(dir: &Path, engine: Option<&str>) -> Result<()> {
    if let Some(name) = engine
        && !engines::conformance::ENGINES.contains(&name)
    {
        bail!(exit::usage(format!(
            "unknown engine {name:?}; the engines are {}",
            engines::conformance::ENGINES.join(", ")
        )));
    }
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failed = 0usize;
    let paths = case_dir::find(dir)?;
    if paths.is_empty() {
        bail!(exit::bad_input(format!("no case under {}", dir.display())));
    }
    for path in &paths {
        let verdict = case_dir::read(path).map(|case| {
            let outcome = replay(&case);
            (case, outcome)
        });
        let (name, ok) = match verdict {
            Ok((case, _)) if engine.is_some_and(|e| e != case.engine) => continue,
            Ok((case, Ok(()))) => (engine_key(&case.engine), true),
            Ok((case, Err(d))) => {
                print_failure(path, &case, &d);
                (engine_key(&case.engine), false)
            }
            Err(e) => {
                println!("FAIL {}: the case cannot be read: {e:#}\n", path.display());
                ("unreadable", false)
            }
        };
        let entry = counts.entry(name).or_default();
        entry.0 += usize::from(ok);
        entry.1 += 1;
        failed += usize::from(!ok);
    }
    for (name, (passed, total)) in &counts {
        println!("{name:<20} {passed:>5}/{total} passed");
    }
    let total: usize = counts.values().map(|c| c.1).sum();
    println!("{} of {total} cases passed", total - failed);
    if failed > 0 {
        bail!("{failed} of {total} cases failed");
    }
    Ok(())
}

fn engine_key(name: &str) -> &'static str {
    engines::conformance::ENGINES
        .iter()
        .find(|e| **e == name)
        .copied()
        .unwrap_or("unknown engine")
}

/// What differed, where the case is, and the case as a diagram.
fn print_failure(path: &Path, case: &Case, d: &Divergence) {
    println!("FAIL {}: {d}", path.display());
    println!("  {}", case.description);
    match d {
        Divergence::Effects {
            expected, actual, ..
        } => print!("{}", show::effects_diff(expected, actual)),
        Divergence::Post { expected, actual } => print!(
            "{}",
            show::diff(&show::diagnostic(expected), &show::diagnostic(actual))
        ),
        _ => {}
    }
    println!("{}", show::mermaid(case));
}

/// `sealwright validate`: a recorded trace, replayed through the reference engines.
pub fn validate(path: &Path) -> Result<()> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match engines::runtime::trace::validate(&bytes) {
        Ok(v) => {
            for (instance, steps) in &v.steps {
                println!("{instance:<20} {steps:>7} steps, each one the reference takes");
            }
            if v.by_meaning > 0 {
                println!(
                    "{} steps came without their randomness: their ciphertexts and continuations \
                     were checked by what they open to",
                    v.by_meaning
                );
            }
            println!(
                "{}: {} records, every step as the reference engines take it",
                path.display(),
                v.records
            );
            Ok(())
        }
        Err(TraceError::Diverged {
            instance,
            index,
            divergence,
            case,
        }) => {
            println!(
                "{}: record {index} of instance {instance} is not what the reference does",
                path.display()
            );
            print_failure(path, &case, &divergence);
            bail!("the trace diverges from the reference at record {index}")
        }
        Err(e) => Err(exit::bad_input(format!("{}: {e}", path.display()))),
    }
}
