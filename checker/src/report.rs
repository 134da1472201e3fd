//! Reports: the text table, mermaid counterexamples, and the JSON document that the JUnit,
//! markdown and summary renderers read (for a fresh check and a merged report alike).

use std::fmt::Write as _;

use model::diagrams::{Diagram, DiagramError, DiagramsReport};
use model::{ScenarioReport, Step};
use serde_json::{Value, json};

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

/// All reports as the JSON document: the report's data model, which `junit`, `markdown`
/// and `summary` render, whether it comes from a fresh check or from `report merge`.
pub fn json(
    reports: &[ScenarioReport],
    diagrams: Option<&DiagramsReport>,
    total_seconds: f64,
    shard: Option<(usize, usize)>,
) -> Value {
    let scenarios: Vec<Value> = reports
        .iter()
        .map(|r| {
            json!({
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
                "properties": r.properties.iter().map(|p| json!({
                    "name": p.name,
                    "meaning": p.meaning,
                    "expectation": p.expectation,
                    "outcome": p.outcome.label(),
                    "passes": p.outcome.passes(),
                    "counterexample": p.trace.as_ref().map(|t| mermaid(r, t)),
                    "detail": p.detail,
                })).collect::<Vec<_>>(),
                "notApplicable": r.not_applicable.iter().map(|(n, why)| json!({"name": n, "why": why})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let diagrams = diagrams.map(|d| {
        json!({
            "passes": d.passes(),
            "checked": d.checked.iter().map(|v| json!({
                "title": v.title,
                "file": v.file.display().to_string(),
                "line": v.line,
                "trigger": v.trigger,
                "scenarios": v.scenarios,
                "problems": v.problems,
            })).collect::<Vec<_>>(),
            "excluded": d.excluded.iter().map(|(f, l, t, why)| json!({
                "file": f.display().to_string(), "line": l, "title": t, "reason": why,
            })).collect::<Vec<_>>(),
            "errors": d.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            // `errors` again, in parts: JUnit names the test case by file and line.
            "unreadable": d.errors.iter().map(|e| json!({
                "file": e.file.display().to_string(), "line": e.line, "message": e.message,
            })).collect::<Vec<_>>(),
            "skipped": d.partial,
            "undocumented": d.undocumented.iter().map(|(s, m)| json!({"scenario": s, "diagram": m})).collect::<Vec<_>>(),
            "unreachedRows": d.unreached_rows.iter().map(|(e, r, why)| json!({"engine": e, "row": r, "why": why})).collect::<Vec<_>>(),
        })
    });
    json!({
        "shard": shard.map(|(index, count)| json!({"index": index, "count": count})),
        "totalSeconds": total_seconds,
        "passes": reports.iter().all(ScenarioReport::passes) && diagrams.as_ref().is_none_or(|d| d["passes"] == true),
        "scenarios": scenarios,
        "diagrams": diagrams,
    })
}

/// The JSON document as the text of a report file.
pub fn json_text(doc: &Value) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_default()
}

/// `v[key]` as text; empty if absent or not text.
fn text_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `v[key]` as a count; 0 if absent or not a count.
fn count_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or_default()
}

/// `v[key]` as seconds; 0 if absent or not a number.
fn seconds_of(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or_default()
}

/// `v["passes"]` as a verdict; false if absent or not a boolean.
fn passes_of(v: &Value) -> bool {
    v.get("passes").and_then(Value::as_bool).unwrap_or(false)
}

/// `v[key]` as a list; empty if absent or not a list.
fn list_of<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `v[key]` as a list of text, joined by `sep`.
fn joined(v: &Value, key: &str, sep: &str) -> String {
    list_of(v, key)
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(sep)
}

/// The document's diagrams section, if it has one.
fn diagrams_of(doc: &Value) -> Option<&Value> {
    doc.get("diagrams").filter(|d| !d.is_null())
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A report document as JUnit XML: a test suite per scenario, a test case per property.
pub fn junit(doc: &Value) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sealwright check\">\n",
    );
    for r in list_of(doc, "scenarios") {
        junit_scenario(&mut out, r);
    }
    if let Some(d) = diagrams_of(doc) {
        junit_diagrams(&mut out, d);
    }
    if let Some(t) = doc.get("tables").filter(|t| !t.is_null()) {
        junit_tables(&mut out, t);
    }
    out.push_str("</testsuites>\n");
    out
}

/// One scenario of the JSON document as a JUnit test suite.
fn junit_scenario(out: &mut String, r: &Value) {
    let name = xml(text_of(r, "name"));
    let properties = list_of(r, "properties");
    let truncated = r.get("truncated").and_then(Value::as_str);
    let failures =
        properties.iter().filter(|p| !passes_of(p)).count() + usize::from(truncated.is_some());
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
        properties.len() + 1,
        seconds_of(r, "seconds")
    );
    let _ = writeln!(
        out,
        "    <testcase classname=\"{name}\" name=\"complete exploration\">"
    );
    if let Some(why) = truncated {
        let _ = writeln!(out, "      <failure message=\"{}\"/>", xml(why));
    }
    let _ = writeln!(out, "    </testcase>");
    for p in properties {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{name}\" name=\"{}\">",
            xml(text_of(p, "name"))
        );
        if !passes_of(p) {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\">{}</failure>",
                xml(text_of(p, "outcome")),
                xml(text_of(p, "counterexample"))
            );
        }
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "  </testsuite>");
}

/// An unreadable diagram's place (`file:line`) and what is wrong with it: from `unreadable`,
/// or else from the `file:line: message` text of `errors`.
fn unreadable_of(d: &Value) -> Vec<(String, String)> {
    if let Some(parts) = d.get("unreadable").and_then(Value::as_array) {
        return parts
            .iter()
            .map(|e| {
                let place = format!("{}:{}", text_of(e, "file"), count_of(e, "line"));
                (place, text_of(e, "message").to_string())
            })
            .collect();
    }
    list_of(d, "errors")
        .iter()
        .filter_map(Value::as_str)
        .map(|e| {
            // The line number is the first all-digit part followed by ": ".
            let split = e.match_indices(": ").find(|(at, _)| {
                e[..*at]
                    .rsplit_once(':')
                    .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
            match split {
                Some((at, _)) => (e[..at].to_string(), e[at + 2..].to_string()),
                None => (e.to_string(), e.to_string()),
            }
        })
        .collect()
}

/// The tables section of the JSON document as a JUnit test suite: one case, one failure per finding.
fn junit_tables(out: &mut String, t: &Value) {
    let findings = list_of(t, "findings");
    let _ = writeln!(
        out,
        "  <testsuite name=\"tables\" tests=\"1\" failures=\"{}\">",
        usize::from(!findings.is_empty())
    );
    let _ = write!(
        out,
        "    <testcase classname=\"tables\" name=\"{} field tables, {} error tables, {} guard tables, {} rows\">",
        count_of(t, "fieldTables"),
        count_of(t, "errorTables"),
        count_of(t, "guardTables"),
        count_of(t, "rows")
    );
    if !findings.is_empty() {
        let lines: Vec<String> = findings
            .iter()
            .map(|f| {
                format!(
                    "docs/{}:{} {}",
                    text_of(f, "page"),
                    count_of(f, "line"),
                    text_of(f, "message")
                )
            })
            .collect();
        let _ = write!(
            out,
            "<failure message=\"a table disagrees with the code\">{}</failure>",
            xml(&lines.join("\n"))
        );
    }
    let _ = writeln!(out, "</testcase>\n  </testsuite>");
}

/// One failing JUnit test case of the diagrams suite.
fn failed_case(out: &mut String, name: &str, message: &str, body: &str) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"diagrams\" name=\"{}\"><failure message=\"{message}\">{}</failure></testcase>",
        xml(name),
        xml(body)
    );
}

/// The diagrams section of the JSON document as a JUnit test suite.
fn junit_diagrams(out: &mut String, d: &Value) {
    let checked = list_of(d, "checked");
    let unreadable = unreadable_of(d);
    let undocumented = list_of(d, "undocumented");
    let unreached = list_of(d, "unreachedRows");
    let failures = checked
        .iter()
        .filter(|v| !list_of(v, "problems").is_empty())
        .count()
        + unreadable.len()
        + undocumented.len()
        + unreached.len();
    let _ = writeln!(
        out,
        "  <testsuite name=\"diagrams\" tests=\"{}\" failures=\"{failures}\">",
        checked.len() + unreadable.len() + undocumented.len() + unreached.len()
    );
    for v in checked {
        let _ = writeln!(
            out,
            "    <testcase classname=\"diagrams\" name=\"{}:{} {}\">",
            xml(text_of(v, "file")),
            count_of(v, "line"),
            xml(text_of(v, "title"))
        );
        if !list_of(v, "problems").is_empty() {
            let _ = writeln!(
                out,
                "      <failure message=\"diagram does not match the model\">{}</failure>",
                xml(&joined(v, "problems", "\n"))
            );
        }
        let _ = writeln!(out, "    </testcase>");
    }
    for (place, message) in &unreadable {
        failed_case(out, place, "unreadable diagram", message);
    }
    for u in undocumented {
        let name = format!("undocumented flow in {}", text_of(u, "scenario"));
        failed_case(out, &name, "undocumented flow", text_of(u, "diagram"));
    }
    for u in unreached {
        let name = format!(
            "guard row {} of {}",
            text_of(u, "row"),
            text_of(u, "engine")
        );
        failed_case(
            out,
            &name,
            "no scenario takes this guard row",
            text_of(u, "why"),
        );
    }
    let _ = writeln!(out, "  </testsuite>");
}

/// A report document as text: a line per scenario (and the diagrams), then a total.
pub fn summary(doc: &Value) -> String {
    let scenarios = list_of(doc, "scenarios");
    let diagrams = diagrams_of(doc);
    let width = scenarios
        .iter()
        .map(|r| text_of(r, "name").len())
        .chain(diagrams.map(|_| "diagrams".len()))
        .max()
        .unwrap_or(8);
    let verdict = |v: &Value| if passes_of(v) { "passes" } else { "FAILED" };
    let mut out = String::new();
    let mut failed: Vec<&str> = Vec::new();
    for r in scenarios {
        let name = text_of(r, "name");
        let _ = writeln!(
            out,
            "{name:<width$}  {:<6}  {} states",
            verdict(r),
            count_of(r, "statesGenerated")
        );
        if !passes_of(r) {
            failed.push(name);
        }
    }
    if let Some(d) = diagrams {
        let _ = writeln!(
            out,
            "{:<width$}  {:<6}  {} checked",
            "diagrams",
            verdict(d),
            list_of(d, "checked").len()
        );
        if !passes_of(d) {
            failed.push("diagrams");
        }
    }
    let generated = states_generated(scenarios);
    let _ = writeln!(
        out,
        "{} scenarios, {generated} states in {:.1} s: {}",
        scenarios.len(),
        seconds_of(doc, "totalSeconds"),
        if failed.is_empty() {
            "all as expected".to_string()
        } else {
            format!("FAILED: {}", failed.join(", "))
        }
    );
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
    for (engine, row, why) in &d.unreached_rows {
        let _ = writeln!(out, "   UNREACHED guard row `{row}` of {engine}: {why}");
    }
    let _ = writeln!(
        out,
        "   {} checked, {} excluded, {} unreadable, {} undocumented flows, {} unreached guard rows: {}",
        d.checked.len(),
        d.excluded.len(),
        d.errors.len(),
        d.undocumented.len(),
        d.unreached_rows.len(),
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
                for line in &d.bare_labels {
                    let _ = writeln!(
                        out,
                        "  note    {}:{line}: this branch label claims no row or result (no `[...]` at its end); the branch is checked as drawn",
                        d.file.display()
                    );
                }
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

/// The verification page of the spec site (generated; never edited by hand), from a report document.
pub fn markdown(doc: &Value) -> String {
    let scenarios = list_of(doc, "scenarios");
    // The scenario table needs the width the table of contents would take (Material's `hide`).
    let mut out = String::from("---\nhide:\n  - toc\n---\n\n# Verification\n\n");
    out.push_str("<!-- Generated by `sealwright check --markdown`; do not edit. -->\n\n");
    let generated = states_generated(scenarios);
    let _ = writeln!(
        out,
        "`sealwright check` explored {} scenarios ({generated} states in {:.1} s). Every property below was checked exhaustively within the scenario's bounds; a run cut short by a bound fails the check.\n",
        scenarios.len(),
        seconds_of(doc, "totalSeconds")
    );
    out.push_str("| scenario | network | bounds | states | unique | depth | result |\n| --- | --- | --- | ---: | ---: | ---: | --- |\n");
    for r in scenarios {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            text_of(r, "name"),
            text_of(r, "network"),
            text_of(r, "bounds"),
            count_of(r, "statesGenerated"),
            count_of(r, "uniqueStates"),
            count_of(r, "depth"),
            if passes_of(r) {
                "as expected"
            } else {
                "**failed**"
            }
        );
    }
    for r in scenarios {
        markdown_scenario(&mut out, r);
    }
    if let Some(d) = diagrams_of(doc) {
        markdown_diagrams(&mut out, d);
    }
    if let Some(t) = doc.get("tables").filter(|t| !t.is_null()) {
        markdown_tables(&mut out, t);
    }
    out
}

/// The tables section: what was checked, and each disagreement.
fn markdown_tables(out: &mut String, t: &Value) {
    let findings = list_of(t, "findings");
    let _ = writeln!(
        out,
        "\n## Tables\n\nEvery message field table (field names, their order on the wire, their wire types), every error table (variants, codes, wire forms; an \"Error codes\" table lists its whole family in code order) and every engine's guard table (its rows, in order, against the engine's `GUARDS`) was compared with the code: {} field tables, {} error tables and {} guard tables, {} rows, {}.\n",
        count_of(t, "fieldTables"),
        count_of(t, "errorTables"),
        count_of(t, "guardTables"),
        count_of(t, "rows"),
        if findings.is_empty() {
            "every row agrees".to_string()
        } else {
            format!("**{} disagreement(s)**", findings.len())
        }
    );
    for f in findings {
        let _ = writeln!(
            out,
            "- `docs/{}:{}` {}",
            text_of(f, "page"),
            count_of(f, "line"),
            text_of(f, "message")
        );
    }
}

/// The states generated over every scenario of a report document.
fn states_generated(scenarios: &[Value]) -> u64 {
    scenarios
        .iter()
        .map(|r| count_of(r, "statesGenerated"))
        .sum()
}

/// What was measured by hand (scale, deep bounds, mutation score), kept beside the code.
const MEASURED: &str = include_str!("verification-measured.md");

/// The verification page: the report, then the measured figures and how to reproduce them.
pub fn verification_page(doc: &Value) -> String {
    format!("{}\n{MEASURED}", markdown(doc))
}

/// One scenario's section of the verification page.
fn markdown_scenario(out: &mut String, r: &Value) {
    let _ = writeln!(
        out,
        "\n## `{}`\n\n{}.\n",
        text_of(r, "name"),
        text_of(r, "summary")
    );
    out.push_str("| property | kind | result | meaning |\n| --- | --- | --- | --- |\n");
    let properties = list_of(r, "properties");
    for p in properties {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            text_of(p, "name"),
            text_of(p, "expectation"),
            text_of(p, "outcome"),
            text_of(p, "meaning")
        );
    }
    for n in list_of(r, "notApplicable") {
        let _ = writeln!(
            out,
            "| {} | — | does not hold here | {} |",
            text_of(n, "name"),
            text_of(n, "why")
        );
    }
    for p in properties {
        if let Some(diagram) = p.get("counterexample").and_then(Value::as_str) {
            let _ = writeln!(
                out,
                "\nCounterexample for *{}*:\n\n```mermaid\n%% unchecked: counterexample generated by sealwright check\n{diagram}```",
                text_of(p, "name")
            );
        }
    }
}

/// The diagrams section of the verification page.
fn markdown_diagrams(out: &mut String, d: &Value) {
    out.push_str("\n## Diagrams\n\n| diagram | file | checked against | result |\n| --- | --- | --- | --- |\n");
    for v in list_of(d, "checked") {
        let _ = writeln!(
            out,
            "| {} | `{}:{}` | {} | {} |",
            text_of(v, "title"),
            text_of(v, "file"),
            count_of(v, "line"),
            joined(v, "scenarios", ", "),
            if list_of(v, "problems").is_empty() {
                "verified"
            } else {
                "**mismatch**"
            }
        );
    }
    for e in list_of(d, "excluded") {
        let _ = writeln!(
            out,
            "| {} | `{}:{}` | excluded | {} |",
            text_of(e, "title"),
            text_of(e, "file"),
            count_of(e, "line"),
            text_of(e, "reason")
        );
    }
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
    for s in model::link::SCENARIOS {
        let _ = writeln!(out, "{}  [ordered]  {}", s.name, s.summary);
        let _ = writeln!(
            out,
            "    (no parameters: the link model; Mallory injects up to {} seen frames)",
            s.injections
        );
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::PathBuf;

    use model::arrow::Arrow;
    use model::diagrams::{DiagramError, DiagramVerdict, DiagramsReport};
    use model::{PropertyOutcome, PropertyResult, ScenarioReport, Step};

    /// A counterexample with a step of every kind, and text to escape.
    fn trace() -> Vec<Step> {
        let arrow = |from: usize, to: usize, name: &str, reply: bool| Arrow {
            from,
            to,
            name: name.into(),
            reply,
            fields: Vec::new(),
            row: "",
        };
        vec![
            Step::Deliver(arrow(0, 1, "Seal(x) & <y>", false), Some(7)),
            Step::Deliver(arrow(1, 0, "Ok; #1", true), None),
            Step::Lost(arrow(0, 2, "ReadsFor", false)),
            Step::Timeout(0, "retry".into()),
            Step::Choice(2, "crash".into()),
            Step::Sent(arrow(2, 1, "Open \"q\"", false)),
        ]
    }

    /// A failing scenario: cut short, with a counterexample, and a property that does not apply.
    fn failing() -> ScenarioReport {
        ScenarioReport {
            name: "flawed-<one>",
            summary: "a design that must fail",
            bounds: vec![("clients", 2), ("crashes", 1)],
            network: "lossy",
            names: vec!["client".into(), "engine".into()],
            generated: 12_345,
            unique: 6_789,
            depth: 17,
            seconds: 1.23456,
            truncated: Some("more than 6789 states & \"more\"".into()),
            properties: vec![
                PropertyResult {
                    name: "no <leak>",
                    meaning: "nothing leaks",
                    expectation: "always",
                    outcome: PropertyOutcome::Violated,
                    trace: Some(trace()),
                    detail: Some("client saw the key".into()),
                },
                PropertyResult {
                    name: "progress",
                    meaning: "a reply comes",
                    expectation: "sometimes",
                    outcome: PropertyOutcome::Reached,
                    trace: None,
                    detail: None,
                },
                PropertyResult {
                    name: "flaw found",
                    meaning: "the flaw shows",
                    expectation: "always",
                    outcome: PropertyOutcome::ExpectedViolationFound,
                    trace: Some(vec![Step::Timeout(1, "tick".into())]),
                    detail: None,
                },
            ],
            not_applicable: vec![("liveness", "the network loses everything")],
        }
    }

    /// Two scenarios (one failing, cut short, with a counterexample) and diagrams of every kind.
    fn fixture() -> (Vec<ScenarioReport>, DiagramsReport) {
        let passing = ScenarioReport {
            name: "direct",
            summary: "one client, one engine",
            bounds: vec![],
            network: "ordered",
            names: vec!["c".into(), "e".into()],
            generated: 100,
            unique: 50,
            depth: 4,
            seconds: 0.0005,
            truncated: None,
            properties: vec![PropertyResult {
                name: "safety",
                meaning: "safe",
                expectation: "always",
                outcome: PropertyOutcome::Holds,
                trace: None,
                detail: None,
            }],
            not_applicable: vec![],
        };
        let diagrams = DiagramsReport {
            checked: vec![
                DiagramVerdict {
                    title: "Seal & open".into(),
                    file: PathBuf::from("docs/a.md"),
                    line: 10,
                    trigger: "client->>engine: Seal".into(),
                    scenarios: vec!["direct".into(), "flawed-<one>".into()],
                    problems: vec![],
                },
                DiagramVerdict {
                    title: "Broken".into(),
                    file: PathBuf::from("docs/b.md"),
                    line: 20,
                    trigger: "client->>engine: Open".into(),
                    scenarios: vec!["direct".into()],
                    problems: vec!["arrow 2 <missing>".into(), "arrow 3 extra".into()],
                },
            ],
            excluded: vec![(
                PathBuf::from("docs/c.md"),
                30,
                "Negative".into(),
                "needs a lost reply".into(),
            )],
            errors: vec![DiagramError {
                file: PathBuf::from("docs/d.md"),
                line: 40,
                message: "unknown participant `x`: did you mean `y`?".into(),
            }],
            undocumented: vec![("direct".into(), "sequenceDiagram\n    c->>e: Ping\n".into())],
            partial: None,
            unreached_rows: Vec::new(),
        };
        (vec![failing(), passing], diagrams)
    }

    /// What the renderers wrote before they read the JSON document (captured from that code).
    const OLD_JUNIT: &str = include_str!("../tests/snapshots/report.junit.xml");
    const OLD_MARKDOWN: &str = include_str!("../tests/snapshots/report.md");
    const OLD_JSON: &str = include_str!("../tests/snapshots/report.json");

    #[test]
    fn junit_and_markdown_from_the_json_document_are_as_before() {
        let (reports, diagrams) = fixture();
        let doc = super::json(&reports, Some(&diagrams), 3.25, None);
        assert_eq!(super::junit(&doc), OLD_JUNIT);
        assert_eq!(super::markdown(&doc), OLD_MARKDOWN);
        // Without diagrams: no diagrams suite or section, the rest unchanged.
        let doc = super::json(&reports, None, 3.25, None);
        let junit = super::junit(&doc);
        let (head, _) = OLD_JUNIT
            .split_once("  <testsuite name=\"diagrams\"")
            .unwrap();
        assert_eq!(junit, format!("{head}</testsuites>\n"));
        let (head, _) = OLD_MARKDOWN.split_once("\n## Diagrams").unwrap();
        assert_eq!(super::markdown(&doc), head);
    }

    #[test]
    fn the_json_document_keeps_every_field_it_had() {
        let (reports, diagrams) = fixture();
        let mut doc = super::json(&reports, Some(&diagrams), 3.25, None);
        let unreadable = doc["diagrams"]
            .as_object_mut()
            .unwrap()
            .remove("unreadable")
            .unwrap();
        assert_eq!(
            unreadable,
            serde_json::json!([{"file": "docs/d.md", "line": 40, "message": "unknown participant `x`: did you mean `y`?"}])
        );
        // Fields added since: the shard, a partial run's skipped diagrams, the bounds by name,
        assert_eq!(
            doc.as_object_mut().unwrap().remove("shard"),
            Some(serde_json::Value::Null)
        );
        assert!(
            doc["diagrams"]
                .as_object_mut()
                .unwrap()
                .remove("skipped")
                .is_some()
        );
        // And the guard rows no scenario took.
        assert_eq!(
            doc["diagrams"]
                .as_object_mut()
                .unwrap()
                .remove("unreachedRows"),
            Some(serde_json::json!([]))
        );
        assert_eq!(
            doc["scenarios"][0]["parameters"],
            serde_json::json!({"clients": 2, "crashes": 1})
        );
        for s in doc["scenarios"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("parameters");
        }
        let old: serde_json::Value = serde_json::from_str(OLD_JSON).unwrap();
        assert_eq!(doc, old);
    }

    #[test]
    fn junit_reads_unreadable_diagrams_from_errors_alone() {
        let (reports, diagrams) = fixture();
        let mut doc = super::json(&reports, Some(&diagrams), 3.25, None);
        doc["diagrams"]
            .as_object_mut()
            .unwrap()
            .remove("unreadable");
        assert_eq!(super::junit(&doc), OLD_JUNIT);
    }

    #[test]
    fn renderers_tolerate_extra_and_missing_fields() {
        let (reports, diagrams) = fixture();
        let mut doc = super::json(&reports, Some(&diagrams), 3.25, None);
        doc["shard"] = serde_json::json!({"index": 1, "count": 2});
        doc["scenarios"][0]["parameters"] = serde_json::json!({"clients": 2});
        assert_eq!(super::junit(&doc), OLD_JUNIT);
        assert_eq!(super::markdown(&doc), OLD_MARKDOWN);
        let bare = serde_json::json!({"scenarios": [{"name": "x"}], "diagrams": null});
        assert!(super::junit(&bare).contains("<testsuite name=\"x\" tests=\"1\" failures=\"0\""));
        assert!(super::markdown(&bare).contains("| `x` |"));
        assert!(super::summary(&bare).contains("FAILED: x"));
    }

    #[test]
    fn summary_has_a_line_per_scenario_and_a_total() {
        let (reports, diagrams) = fixture();
        let doc = super::json(&reports, Some(&diagrams), 3.25, None);
        assert_eq!(
            super::summary(&doc),
            "flawed-<one>  FAILED  12345 states\n\
             direct        passes  100 states\n\
             diagrams      FAILED  2 checked\n\
             2 scenarios, 12445 states in 3.2 s: FAILED: flawed-<one>, diagrams\n"
        );
    }
}
