//! Reports: the text table, mermaid counterexamples, JSON and JUnit.

use std::fmt::Write as _;

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
    let mut used: Vec<usize> = Vec::new();
    for s in steps {
        let ids = match s {
            Step::Deliver { from, to, .. }
            | Step::Sent { from, to, .. }
            | Step::Lost { from, to, .. } => vec![*from, *to],
            Step::Timeout { actor, .. } | Step::Choice { actor, .. } => vec![*actor],
        };
        for i in ids {
            if !used.contains(&i) {
                used.push(i);
            }
        }
    }
    used.sort_unstable();
    let mut out = String::from("sequenceDiagram\n");
    for i in &used {
        let _ = writeln!(out, "    participant n{i} as {}", name_of(report, *i));
    }
    for s in steps {
        match s {
            Step::Deliver {
                from,
                to,
                label,
                reply,
                ..
            } => {
                let arrow = if *reply { "-->>" } else { "->>" };
                let _ = writeln!(out, "    n{from}{arrow}n{to}: {}", sanitize(label));
            }
            Step::Sent {
                from,
                to,
                label,
                reply,
            } => {
                let arrow = if *reply { "-->>" } else { "->>" };
                let _ = writeln!(out, "    n{from}{arrow}n{to}: {}", sanitize(label));
                let _ = writeln!(
                    out,
                    "    Note over n{from},n{to}: sent in the last step: this breaks the property"
                );
            }
            Step::Lost { from, to, label } => {
                let _ = writeln!(
                    out,
                    "    Note over n{from},n{to}: lost: {}",
                    sanitize(label)
                );
            }
            Step::Timeout { actor, label } => {
                let _ = writeln!(out, "    Note over n{actor}: timeout: {}", sanitize(label));
            }
            Step::Choice { .. } => {}
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
    for (n, s) in steps.iter().enumerate() {
        let line = match s {
            Step::Deliver {
                from,
                to,
                label,
                correlation,
                ..
            } => format!(
                "{} -> {}: {label}{}",
                name_of(report, *from),
                name_of(report, *to),
                correlation
                    .map(|c| format!(" [correlation {c}]"))
                    .unwrap_or_default()
            ),
            Step::Sent {
                from, to, label, ..
            } => format!(
                "{} -> {}: {label} (sent; in flight when the property broke)",
                name_of(report, *from),
                name_of(report, *to)
            ),
            Step::Lost { from, to, label } => {
                format!(
                    "network loses {label} ({} -> {})",
                    name_of(report, *from),
                    name_of(report, *to)
                )
            }
            Step::Timeout { actor, label } => {
                format!("{}: timeout, {label}", name_of(report, *actor))
            }
            Step::Choice { actor, label } => format!("{}: {label}", name_of(report, *actor)),
        };
        let _ = writeln!(out, "  {}. {line}", n + 1);
    }
    out
}

/// One scenario's table, with counterexamples.
pub fn text(r: &ScenarioReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n== {}: {}", r.name, r.summary);
    let _ = writeln!(out, "   network: {}; bounds: {}", r.network, r.bounds);
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
pub fn json(reports: &[ScenarioReport], total_seconds: f64) -> String {
    let scenarios: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "summary": r.summary,
                "network": r.network,
                "bounds": r.bounds,
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
    let doc = serde_json::json!({
        "totalSeconds": total_seconds,
        "passes": reports.iter().all(ScenarioReport::passes),
        "scenarios": scenarios,
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
pub fn junit(reports: &[ScenarioReport]) -> String {
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
    out.push_str("</testsuites>\n");
    out
}
