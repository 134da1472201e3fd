//! Reports: the text table, mermaid counterexamples, JSON and JUnit.

use std::fmt::Write as _;

use model::diagrams::{Diagram, DiagramError, DiagramsReport};
use model::{ScenarioReport, Step};

fn name_of(report: &ScenarioReport, i: usize) -> String {
    report
        .names
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("n{i}"))
}

/// A counterexample as a mermaid sequence diagram.
pub fn mermaid(report: &ScenarioReport, steps: &[Step]) -> String {
    let mut used: Vec<usize> = steps.iter().flat_map(Step::actors).collect();
    used.sort_unstable();
    used.dedup();
    let mut out = String::from("sequenceDiagram\n");
    for i in &used {
        let _ = writeln!(out, "    participant n{i} as {}", name_of(report, *i));
    }
    let node = |i: &usize| format!("n{i}");
    for s in steps {
        match s {
            Step::Deliver(arrow, _) => {
                let _ = writeln!(out, "    {}", arrow.map(node));
            }
            Step::Sent(arrow) => {
                let _ = writeln!(out, "    {}", arrow.map(node));
                let _ = writeln!(
                    out,
                    "    Note over n{},n{}: sent in the last step: this breaks the property",
                    arrow.from, arrow.to
                );
            }
            Step::Lost(arrow) => {
                let _ = writeln!(
                    out,
                    "    Note over n{},n{}: lost: {}",
                    arrow.from,
                    arrow.to,
                    sanitize(&arrow.label())
                );
            }
            Step::Timeout(actor, label) => {
                let _ = writeln!(out, "    Note over n{actor}: timeout: {}", sanitize(label));
            }
            Step::Choice(..) => {}
        }
    }
    out
}

fn sanitize(label: &str) -> String {
    label.replace([';', '#'], " ")
}

/// A counterexample as a numbered list of actions.
pub fn actions(report: &ScenarioReport, steps: &[Step]) -> String {
    let mut out = String::new();
    let name = |i: &usize| name_of(report, *i);
    for (n, s) in steps.iter().enumerate() {
        let line = match s {
            Step::Deliver(arrow, correlation) => format!(
                "{} -> {}: {}{}",
                name(&arrow.from),
                name(&arrow.to),
                arrow.label(),
                correlation
                    .map(|c| format!(" [correlation {c}]"))
                    .unwrap_or_default()
            ),
            Step::Sent(arrow) => format!(
                "{} -> {}: {} (sent; in flight when the property broke)",
                name(&arrow.from),
                name(&arrow.to),
                arrow.label()
            ),
            Step::Lost(arrow) => format!(
                "network loses {} ({} -> {})",
                arrow.label(),
                name(&arrow.from),
                name(&arrow.to)
            ),
            Step::Timeout(actor, label) => format!("{}: timeout, {label}", name(actor)),
            Step::Choice(actor, label) => format!("{}: {label}", name(actor)),
        };
        let _ = writeln!(out, "  {}. {line}", n + 1);
    }
    out
}

/// One scenario's table, with counterexamples.
pub fn text(r: &ScenarioReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n== {}: {}", r.name, r.summary);
    let _ = writeln!(
        out,
        "   network: {}; bounds: {}",
        r.network,
        r.bounds_text()
    );
    let _ = writeln!(
        out,
        "   | states generated | unique states | depth | seconds | states/s |\n   | {:>16} | {:>13} | {:>5} | {:>7.2} | {:>8.0} |",
        r.generated,
        r.unique,
        r.depth,
        r.seconds,
        r.rate()
    );
    if let Some(why) = &r.truncated {
        let _ = writeln!(out, "   RUN CUT SHORT: {why}; results below are incomplete");
    }
    let width = r.properties.iter().map(|p| p.name.len()).max().unwrap_or(8);
    for p in &r.properties {
        let _ = writeln!(
            out,
            "   {:<width$}  {:<9}  {}",
            p.name,
            p.expectation,
            p.outcome.label()
        );
    }
    for (name, why) in &r.not_applicable {
        let _ = writeln!(
            out,
            "   {:<width$}  n/a        does not hold here: {why}",
            name
        );
    }
    for p in &r.properties {
        if let Some(trace) = &p.trace {
            let _ = writeln!(
                out,
                "\n   counterexample for `{}` ({} steps):",
                p.name,
                trace.len()
            );
            if let Some(detail) = &p.detail {
                let _ = writeln!(out, "   what happened: {detail}");
            }
            out.push_str(&actions(r, trace));
            let _ = writeln!(out, "\n```mermaid\n{}```", mermaid(r, trace));
        }
    }
    out
}

/// All reports as JSON.
pub fn json(
    reports: &[ScenarioReport],
    diagrams: Option<&DiagramsReport>,
    total_seconds: f64,
    shard: Option<(usize, usize)>,
) -> String {
    let scenarios: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "summary": r.summary,
                "network": r.network,
                "bounds": r.bounds_text(),
                "parameters": r.bounds.iter().map(|(k, v)| ((*k).to_string(), serde_json::json!(v))).collect::<serde_json::Map<String, serde_json::Value>>(),
                "statesGenerated": r.generated,
                "uniqueStates": r.unique,
                "depth": r.depth,
                "seconds": r.seconds,
                "statesPerSecond": r.rate(),
                "truncated": r.truncated,
                "passes": r.passes(),
                "properties": r.properties.iter().map(|p| serde_json::json!({
                    "name": p.name,
                    "meaning": p.meaning,
                    "expectation": p.expectation,
                    "outcome": p.outcome.label(),
                    "passes": p.outcome.passes(),
                    "counterexample": p.trace.as_ref().map(|t| mermaid(r, t)),
                    "detail": p.detail,
                })).collect::<Vec<_>>(),
                "notApplicable": r.not_applicable.iter().map(|(n, why)| serde_json::json!({"name": n, "why": why})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let diagrams = diagrams.map(|d| {
        serde_json::json!({
            "passes": d.passes(),
            "checked": d.checked.iter().map(|v| serde_json::json!({
                "title": v.title,
                "file": v.file.display().to_string(),
                "line": v.line,
                "trigger": v.trigger,
                "scenarios": v.scenarios,
                "problems": v.problems,
            })).collect::<Vec<_>>(),
            "excluded": d.excluded.iter().map(|(f, l, t, why)| serde_json::json!({
                "file": f.display().to_string(), "line": l, "title": t, "reason": why,
            })).collect::<Vec<_>>(),
            "errors": d.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "skipped": d.partial,
            "undocumented": d.undocumented.iter().map(|(s, m)| serde_json::json!({"scenario": s, "diagram": m})).collect::<Vec<_>>(),
        })
    });
    let doc = serde_json::json!({
        "shard": shard.map(|(index, count)| serde_json::json!({"index": index, "count": count})),
        "totalSeconds": total_seconds,
        "passes": reports.iter().all(ScenarioReport::passes) && diagrams.as_ref().is_none_or(|d| d["passes"] == true),
        "scenarios": scenarios,
        "diagrams": diagrams,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// All reports as JUnit XML: a test suite per scenario, a test case per property.
pub fn junit(reports: &[ScenarioReport], diagrams: Option<&DiagramsReport>) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sealwright check\">\n",
    );
    for r in reports {
        let failures = r.properties.iter().filter(|p| !p.outcome.passes()).count()
            + usize::from(r.truncated.is_some());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
            xml(r.name),
            r.properties.len() + 1,
            r.seconds
        );
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"complete exploration\">",
            xml(r.name)
        );
        if let Some(why) = &r.truncated {
            let _ = writeln!(out, "      <failure message=\"{}\"/>", xml(why));
        }
        let _ = writeln!(out, "    </testcase>");
        for p in &r.properties {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml(r.name),
                xml(p.name)
            );
            if !p.outcome.passes() {
                let body = p.trace.as_ref().map(|t| mermaid(r, t)).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\">{}</failure>",
                    xml(p.outcome.label()),
                    xml(&body)
                );
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if let Some(d) = diagrams {
        let failures = d.checked.iter().filter(|v| !v.problems.is_empty()).count()
            + d.errors.len()
            + d.undocumented.len();
        let _ = writeln!(
            out,
            "  <testsuite name=\"diagrams\" tests=\"{}\" failures=\"{failures}\">",
            d.checked.len() + d.errors.len() + d.undocumented.len()
        );
        for v in &d.checked {
            let _ = writeln!(
                out,
                "    <testcase classname=\"diagrams\" name=\"{}:{} {}\">",
                xml(&v.file.display().to_string()),
                v.line,
                xml(&v.title)
            );
            if !v.problems.is_empty() {
                let _ = writeln!(
                    out,
                    "      <failure message=\"diagram does not match the model\">{}</failure>",
                    xml(&v.problems.join("\n"))
                );
            }
            let _ = writeln!(out, "    </testcase>");
        }
        for e in &d.errors {
            let _ = writeln!(
                out,
                "    <testcase classname=\"diagrams\" name=\"{}\"><failure message=\"unreadable diagram\">{}</failure></testcase>",
                xml(&format!("{}:{}", e.file.display(), e.line)),
                xml(&e.message)
            );
        }
        for (scenario, m) in &d.undocumented {
            let _ = writeln!(
                out,
                "    <testcase classname=\"diagrams\" name=\"undocumented flow in {}\"><failure message=\"undocumented flow\">{}</failure></testcase>",
                xml(scenario),
                xml(m)
            );
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The diagram section of `check`'s text report.
pub fn diagrams_text(d: &DiagramsReport) -> String {
    let mut out = String::from(
        "\n== diagrams: every sequence diagram of the docs, checked against the model\n",
    );
    for e in &d.errors {
        let _ = writeln!(out, "   ERROR {e}");
    }
    for v in &d.checked {
        let verdict = if v.problems.is_empty() {
            "verified"
        } else {
            "MISMATCH"
        };
        let _ = writeln!(
            out,
            "   {verdict:<9} {}:{}  {}  [{}]",
            v.file.display(),
            v.line,
            v.title,
            v.scenarios.join(", ")
        );
        for p in &v.problems {
            let _ = writeln!(out, "             {}", p.replace('\n', "\n             "));
        }
    }
    for (file, line, title, why) in &d.excluded {
        let _ = writeln!(
            out,
            "   excluded  {}:{line}  {title}  (unchecked: {why})",
            file.display()
        );
    }
    for (scenario, m) in &d.undocumented {
        let _ = writeln!(
            out,
            "   UNDOCUMENTED flow in `{scenario}`; add this diagram to the docs:\n```mermaid\n{m}```"
        );
    }
    let _ = writeln!(
        out,
        "   {} checked, {} excluded, {} unreadable, {} undocumented flows: {}",
        d.checked.len(),
        d.excluded.len(),
        d.errors.len(),
        d.undocumented.len(),
        if d.passes() {
            "all diagrams are verified properties"
        } else {
            "FAILED"
        }
    );
    out
}

/// `sealwright diagrams`: the listing.
pub fn diagram_list(diagrams: &[Diagram], errors: &[DiagramError]) -> String {
    let mut out = String::new();
    for d in diagrams {
        match &d.unchecked {
            Some(why) => {
                let _ = writeln!(
                    out,
                    "excluded  {}:{}  {}  (unchecked: {why})",
                    d.file.display(),
                    d.line,
                    d.title
                );
            }
            None => {
                let trigger = d
                    .trigger()
                    .map_or("?".to_string(), |t| t.arrow.name.clone());
                let _ = writeln!(
                    out,
                    "checked   {}:{}  {}  (trigger {trigger}, {} alternative(s))",
                    d.file.display(),
                    d.line,
                    d.title,
                    d.alternatives().len()
                );
            }
        }
    }
    for e in errors {
        let _ = writeln!(out, "ERROR     {e}");
    }
    let checked = diagrams.iter().filter(|d| d.unchecked.is_none()).count();
    let _ = writeln!(
        out,
        "{} diagrams: {checked} checked, {} excluded, {} unreadable",
        diagrams.len(),
        diagrams.len() - checked,
        errors.len()
    );
    out
}

/// The verification page of the spec site (generated; never edited by hand).
pub fn markdown(
    reports: &[ScenarioReport],
    diagrams: Option<&DiagramsReport>,
    total_seconds: f64,
) -> String {
    let mut out = String::from("# Verification\n\n");
    out.push_str("<!-- Generated by `sealwright check --markdown`; do not edit. -->\n\n");
    let generated: usize = reports.iter().map(|r| r.generated).sum();
    let _ = writeln!(
        out,
        "`sealwright check` explored {} scenarios ({generated} states in {total_seconds:.1} s). Every property below was checked exhaustively within the scenario's bounds; a run cut short by a bound fails the check.\n",
        reports.len()
    );
    out.push_str("| scenario | network | bounds | states | unique | depth | result |\n| --- | --- | --- | ---: | ---: | ---: | --- |\n");
    for r in reports {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.network,
            r.bounds_text(),
            r.generated,
            r.unique,
            r.depth,
            if r.passes() {
                "as expected"
            } else {
                "**failed**"
            }
        );
    }
    for r in reports {
        let _ = writeln!(out, "\n## `{}`\n\n{}.\n", r.name, r.summary);
        out.push_str("| property | kind | result | meaning |\n| --- | --- | --- | --- |\n");
        for p in &r.properties {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                p.name,
                p.expectation,
                p.outcome.label(),
                p.meaning
            );
        }
        for (name, why) in &r.not_applicable {
            let _ = writeln!(out, "| {name} | — | does not hold here | {why} |");
        }
        for p in &r.properties {
            if let Some(trace) = &p.trace {
                let _ = writeln!(
                    out,
                    "\nCounterexample for *{}*:\n\n```mermaid\n%% unchecked: counterexample generated by sealwright check\n{}```",
                    p.name,
                    mermaid(r, trace)
                );
            }
        }
    }
    if let Some(d) = diagrams {
        out.push_str("\n## Diagrams\n\n| diagram | file | checked against | result |\n| --- | --- | --- | --- |\n");
        for v in &d.checked {
            let _ = writeln!(
                out,
                "| {} | `{}:{}` | {} | {} |",
                v.title,
                v.file.display(),
                v.line,
                v.scenarios.join(", "),
                if v.problems.is_empty() {
                    "verified"
                } else {
                    "**mismatch**"
                }
            );
        }
        for (file, line, title, why) in &d.excluded {
            let _ = writeln!(
                out,
                "| {title} | `{}:{line}` | excluded | {why} |",
                file.display()
            );
        }
    }
    out
}

/// `sealwright scenarios`: each scenario, its network, summary and parameters.
pub fn scenario_list(scenarios: &[model::Scenario]) -> String {
    let mut out = String::new();
    for s in scenarios {
        let _ = writeln!(out, "{}  [{}]  {}", s.name, s.network.name(), s.summary);
        if s.params.is_empty() {
            let _ = writeln!(
                out,
                "    (no parameters: its bounds are fixed by the design it models)"
            );
        }
        for p in s.params {
            let _ = writeln!(
                out,
                "    --set {}=N   default {}, {}..={}: {}",
                p.name, p.default, p.min, p.max, p.meaning
            );
        }
    }
    let deep: Vec<String> = model::catalog::DEEP
        .iter()
        .map(|(name, b)| {
            let set: Vec<String> = b.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{name} ({})", set.join(" "))
        })
        .collect();
    let _ = writeln!(out, "\n`check --deep` runs: {}", deep.join("; "));
    out
}

/// `sealwright simulate`'s report.
pub fn simulation_text(
    s: &model::Scenario,
    sim: &model::simulate::Simulation,
    seed: u64,
    threads: usize,
) -> String {
    let mut out = String::new();
    let secs = sim.seconds.max(1e-9);
    let _ = writeln!(
        out,
        "== simulate {} at {} (seed {seed}, {threads} thread(s))",
        s.name, s.bounds
    );
    let _ = writeln!(
        out,
        "   {} walks, {} states in {:.1} s: {:.0} walks/s, {:.0} states/s",
        sim.walks,
        sim.steps,
        sim.seconds,
        sim.walks as f64 / secs,
        sim.steps as f64 / secs
    );
    for name in &sim.reached {
        let _ = writeln!(out, "   {name}: reached");
    }
    for name in &sim.unreached {
        let _ = writeln!(out, "   {name}: not reached in any walk");
    }
    let names: Vec<String> = s.names();
    for (name, expected, steps, detail) in &sim.violated {
        let verdict = if *expected {
            "expected violation found"
        } else {
            "VIOLATED"
        };
        let _ = writeln!(out, "   {name}: {verdict} ({} steps)", steps.len());
        if let Some(d) = detail {
            let _ = writeln!(out, "   what happened: {d}");
        }
        let r = trace_report(s, names.clone());
        let _ = writeln!(out, "\n```mermaid\n{}```", mermaid(&r, steps));
    }
    let _ = writeln!(
        out,
        "   reproduce: sealwright simulate --scenario {} {}--seed {seed} --threads 1",
        s.name,
        s.bounds
            .iter()
            .map(|(k, v)| format!("--set {k}={v} "))
            .collect::<String>()
    );
    out
}

/// A report shell carrying only the actor names, for rendering a trace.
fn trace_report(s: &model::Scenario, names: Vec<String>) -> ScenarioReport {
    ScenarioReport {
        name: s.name,
        summary: s.summary,
        bounds: s.bounds.iter().collect(),
        network: s.network.name(),
        names,
        generated: 0,
        unique: 0,
        depth: 0,
        seconds: 0.0,
        truncated: None,
        properties: Vec::new(),
        not_applicable: Vec::new(),
    }
}
