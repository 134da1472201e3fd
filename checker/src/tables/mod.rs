//! `check --docs`, tables: every message field table, error table and guard table on the
//! site, checked against the code — field names and their order, wire types, error variants
//! and their codes, each engine's guard rows in order. A disagreement names the page, the
//! line and what the code says.

mod markdown;
mod wire;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use model::arrow::Party;
use model::diagrams::closest;

use markdown::{Table, first_code};
use wire::{Code, Kind};

/// One disagreement between a table and the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The page, relative to the docs directory.
    pub page: PathBuf,
    /// The 1-based line of the row (or of the header, for what the table lacks).
    pub line: usize,
    /// What is wrong, and what the code says.
    pub message: String,
}

/// The outcome of the table check.
#[derive(Debug, Default)]
pub struct TablesReport {
    /// Field tables checked.
    pub field_tables: usize,
    /// Error tables checked.
    pub error_tables: usize,
    /// Guard tables checked.
    pub guard_tables: usize,
    /// Tables that list names the code defines: rejection reasons, request/reply pairs.
    pub list_tables: usize,
    /// Rows checked.
    pub rows: usize,
    /// Every disagreement found.
    pub findings: Vec<Finding>,
}

impl TablesReport {
    /// Whether every table agrees with the code.
    pub fn passes(&self) -> bool {
        self.findings.is_empty()
    }
}

impl TablesReport {
    /// The report as text: one line per finding, then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::from(
            "\n== tables: message fields, error codes and guard rows on the site, against the code\n",
        );
        for f in &self.findings {
            out.push_str(&format!(
                "   WRONG  docs/{}:{}  {}\n",
                f.page.display(),
                f.line,
                f.message
            ));
        }
        out.push_str(&format!(
            "   {} field tables, {} error tables, {} guard tables and {} tables of reasons and message pairs, {} rows: {}\n",
            self.field_tables,
            self.error_tables,
            self.guard_tables,
            self.list_tables,
            self.rows,
            if self.passes() {
                "every row agrees with the code".to_string()
            } else {
                format!("{} disagreement(s): FAILED", self.findings.len())
            }
        ));
        out
    }

    /// The report as a JSON section.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "passes": self.passes(),
            "fieldTables": self.field_tables,
            "errorTables": self.error_tables,
            "guardTables": self.guard_tables,
            "listTables": self.list_tables,
            "rows": self.rows,
            "findings": self.findings.iter().map(|f| serde_json::json!({
                "page": f.page.display().to_string(),
                "line": f.line,
                "message": f.message,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Checks every table of every page under `docs`.
pub fn check(docs: &Path) -> Result<TablesReport> {
    let code = Code::from_vectors()?;
    let pages = markdown::pages(docs)
        .with_context(|| format!("cannot read the docs at {}", docs.display()))?;
    let mut report = TablesReport::default();
    for (page, text) in pages {
        for table in markdown::tables(&page, &text) {
            let Some((kind, findings)) = judge(&table, &code) else {
                continue;
            };
            match kind {
                TableKind::Field => report.field_tables += 1,
                TableKind::Error => report.error_tables += 1,
                TableKind::Guard => report.guard_tables += 1,
                TableKind::Reason | TableKind::Pairs => report.list_tables += 1,
            }
            report.rows += table.rows.len();
            report.findings.extend(findings);
        }
    }
    Ok(report)
}

/// The kinds of table the check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableKind {
    Field,
    Error,
    Guard,
    Reason,
    Pairs,
}

/// What kind of table `t` is and what is wrong with it; `None` for a table not checked.
fn judge(t: &Table, code: &Code) -> Option<(TableKind, Vec<Finding>)> {
    if let Some(guards) = guard_table_of(t) {
        Some((TableKind::Guard, guard_table(t, guards)))
    } else if is_field_table(t) {
        Some((TableKind::Field, field_table(t, code)))
    } else if t.column("code").is_some() && t.column("error").is_some() {
        Some((TableKind::Error, error_table(t, code)))
    } else if t.header.first().is_some_and(|h| h == "reason") {
        Some((TableKind::Reason, reason_table(t)))
    } else if t.column("request").is_some()
        && t.column("reply").is_some()
        && t.column("engine").is_some()
    {
        Some((TableKind::Pairs, pairs_table(t, code)))
    } else {
        None
    }
}

/// One message of a `| engine | request | reply |` cell, `` `Name {field: type, …}` ``:
/// what differs from the code, if anything.
fn spelled_message(cell: &str, code: &Code) -> Result<String, String> {
    let text = first_code(cell).unwrap_or_default();
    let (name, rest) = text.split_once(' ').unwrap_or((text, ""));
    let Some(shape) = code.shapes.get(name) else {
        let hint = closest(name, spec::message::MESSAGE_NAMES.iter().copied())
            .map(|m| format!(" (did you mean `{m}`?)"))
            .unwrap_or_default();
        return Err(format!("`{name}` is no message{hint}"));
    };
    let Some(inner) = rest
        .trim()
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
    else {
        return Err(format!(
            "cannot read `{text}`: expected `{name} {{field: type, …}}`"
        ));
    };
    let drawn: Vec<&str> = top_level(inner)
        .into_iter()
        .filter_map(|f| f.split(':').next().map(str::trim))
        .filter(|f| !f.is_empty())
        .collect();
    let wire: Vec<&str> = shape.iter().map(|(f, _)| f.as_str()).collect();
    if drawn != wire {
        return Err(format!(
            "`{name}` is listed with {}; on the wire its fields are {}",
            list(&drawn),
            list(&wire)
        ));
    }
    Ok(name.to_string())
}

/// `text` split at the commas outside `<…>`, `[…]`, `(…)` and `{…}`.
fn top_level(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '<' | '[' | '(' | '{' => depth += 1,
            '>' | ']' | ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// Each row is a request and its own reply, fields in wire order; every pair is listed once.
fn pairs_table(t: &Table, code: &Code) -> Vec<Finding> {
    let (Some(req_col), Some(rep_col)) = (t.column("request"), t.column("reply")) else {
        return Vec::new();
    };
    let names = spec::message::MESSAGE_NAMES;
    let mut out = Vec::new();
    let mut listed = BTreeSet::new();
    for (line, cells) in &t.rows {
        let cell = |c: usize| cells.get(c).map(String::as_str).unwrap_or_default();
        match (
            spelled_message(cell(req_col), code),
            spelled_message(cell(rep_col), code),
        ) {
            (Ok(req), Ok(rep)) => {
                let pair = names
                    .iter()
                    .position(|n| *n == req)
                    .and_then(|i| names.get(i + 1));
                if is_request_name(&req) && pair == Some(&rep.as_str()) {
                    listed.insert(req);
                } else {
                    out.push(finding(
                        t,
                        *line,
                        format!("`{rep}` is not the reply to `{req}`"),
                    ));
                }
            }
            (Err(e), _) | (_, Err(e)) => out.push(finding(t, *line, e)),
        }
    }
    for req in names
        .iter()
        .filter(|n| is_request_name(n) && !listed.contains(**n))
    {
        out.push(finding(
            t,
            t.line,
            format!("`{req}` and its reply are not in the table"),
        ));
    }
    out
}

fn is_request_name(name: &str) -> bool {
    name.starts_with("Request")
}

/// A rejection table names reasons the engines record (`RejectReason`), each once.
fn reason_table(t: &Table) -> Vec<Finding> {
    let reasons = spec::effects::reject_reasons();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (line, cells) in &t.rows {
        let reason = cells
            .first()
            .and_then(|c| first_code(c))
            .unwrap_or_default();
        if !reasons.contains(&reason) {
            let hint = closest(reason, reasons.iter().copied())
                .map(|m| format!(" (did you mean `{m}`?)"))
                .unwrap_or_default();
            out.push(finding(
                t,
                *line,
                format!("`RejectReason` has no variant `{reason}`{hint}"),
            ));
        } else if !seen.insert(reason) {
            out.push(finding(t, *line, format!("`{reason}` is listed twice")));
        }
    }
    out
}

/// The engine whose pages sit in each docs folder.
const ENGINE_FOLDERS: &[(&str, Party)] = &[
    ("encryption", Party::Encryption),
    ("reads-for", Party::ReadsFor),
    ("decryption", Party::Decryption),
    ("identity-management", Party::IdentityManagement),
    ("signs-for", Party::SignsFor),
    ("verification-engine", Party::Verification),
    ("naming", Party::Naming),
];

/// The engine guard rows a `| # | row | guard | action |` table documents, by the page's folder.
fn guard_table_of(t: &Table) -> Option<&'static [&'static str]> {
    if t.column("guard").is_none() || t.column("#").is_none() {
        return None;
    }
    let folder = t.page.components().next()?.as_os_str().to_str()?;
    ENGINE_FOLDERS
        .iter()
        .find(|(f, _)| *f == folder)
        .map(|(_, party)| model::branches::guards_of(*party))
}

/// A guard table has one row per row of the engine's table, in the same order, named by id.
fn guard_table(t: &Table, guards: &[&str]) -> Vec<Finding> {
    let Some(row_col) = t.column("row") else {
        return vec![finding(
            t,
            t.line,
            "a guard table needs a `row` column naming the engine's guard rows".to_string(),
        )];
    };
    let mut out = Vec::new();
    for (i, (line, cells)) in t.rows.iter().enumerate() {
        let number = cells.first().and_then(|c| c.parse::<usize>().ok());
        if number != Some(i + 1) {
            out.push(finding(
                t,
                *line,
                format!(
                    "row {} is numbered `{}`",
                    i + 1,
                    cells.first().map(String::as_str).unwrap_or_default()
                ),
            ));
        }
        let id = cells
            .get(row_col)
            .and_then(|c| first_code(c))
            .unwrap_or_default();
        match guards.get(i) {
            Some(code) if *code == id => {}
            Some(code) => out.push(finding(
                t,
                *line,
                format!(
                    "row {} is `{code}` in the engine's GUARDS; the table says `{id}`",
                    i + 1
                ),
            )),
            None => out.push(finding(
                t,
                *line,
                format!(
                    "the engine's GUARDS has {} rows; the table has a row `{id}` more",
                    guards.len()
                ),
            )),
        }
    }
    for (i, code) in guards.iter().enumerate().skip(t.rows.len()) {
        out.push(finding(
            t,
            t.line,
            format!(
                "row {} (`{code}`) of the engine's GUARDS is not in the table",
                i + 1
            ),
        ));
    }
    out
}

fn is_field_table(t: &Table) -> bool {
    t.header.first().is_some_and(|h| h == "field")
        || (t.header.first().is_some_and(|h| h == "message")
            && t.header.get(1).is_some_and(|h| h == "field"))
}

fn finding(t: &Table, line: usize, message: String) -> Finding {
    Finding {
        page: t.page.clone(),
        line,
        message,
    }
}

/// A documented field: its row's line, its name, its wire-type cell.
type Row<'a> = (usize, &'a str, Option<&'a str>);

/// The rows of a field table grouped by the type they document.
fn groups(t: &Table) -> Vec<(Option<&str>, usize, Vec<Row<'_>>)> {
    let by_message = t.header.first().is_some_and(|h| h == "message");
    let field_col = usize::from(by_message);
    let wire_col = t.column("wire type");
    let mut out: Vec<(Option<&str>, usize, Vec<Row<'_>>)> = Vec::new();
    if !by_message {
        out.push((first_code(&t.heading), t.line, Vec::new()));
    }
    for (line, cells) in &t.rows {
        if by_message && !cells[0].is_empty() {
            out.push((first_code(&cells[0]), *line, Vec::new()));
        }
        let field = cells.get(field_col).map(String::as_str).unwrap_or_default();
        let wire = wire_col.and_then(|c| cells.get(c)).map(String::as_str);
        if let (Some(group), Some(name)) = (out.last_mut(), first_code(field)) {
            group.2.push((*line, name, wire));
        }
    }
    out
}

fn field_table(t: &Table, code: &Code) -> Vec<Finding> {
    let mut out = Vec::new();
    for (subject, line, rows) in groups(t) {
        let Some(shape) = subject.and_then(|s| code.shapes.get(s).map(|shape| (s, shape))) else {
            let named = subject.unwrap_or("nothing");
            out.push(finding(
                t,
                line,
                format!("a field table for `{named}`, which is no message or type the code puts on the wire"),
            ));
            continue;
        };
        out.extend(fields_against(t, line, shape, &rows));
    }
    out
}

fn fields_against(
    t: &Table,
    line: usize,
    (subject, shape): (&str, &wire::Shape),
    rows: &[Row<'_>],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let wire: Vec<&str> = shape.iter().map(|(f, _)| f.as_str()).collect();
    let documented: Vec<&str> = rows.iter().map(|(_, name, _)| *name).collect();
    for (row, name, cell) in rows {
        match shape.iter().find(|(f, _)| f == name) {
            None => {
                let missing = wire.iter().copied().filter(|f| !documented.contains(f));
                let hint = closest(name, missing)
                    .map(|m| format!(" (did you mean `{m}`?)"))
                    .unwrap_or_default();
                out.push(finding(
                    t,
                    *row,
                    format!(
                        "`{subject}` has no field `{name}`{hint}; on the wire its fields are {}",
                        list(&wire)
                    ),
                ));
            }
            Some((_, kinds)) => out.extend(
                cell.and_then(|c| wire_type(subject, name, c, kinds))
                    .map(|m| finding(t, *row, m)),
            ),
        }
    }
    for f in wire.iter().filter(|f| !documented.contains(f)) {
        out.push(finding(
            t,
            line,
            format!(
                "`{subject}`'s field `{f}` is not in the table; on the wire its fields are {}",
                list(&wire)
            ),
        ));
    }
    let same_set = wire.len() == documented.len() && wire.iter().all(|f| documented.contains(f));
    if same_set && wire != documented {
        out.push(finding(
            t,
            line,
            format!(
                "`{subject}`'s fields are listed as {}; on the wire they come in the order {}",
                list(&documented),
                list(&wire)
            ),
        ));
    }
    out
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a "wire type" cell claims the field can be.
fn claims(cell: &str) -> BTreeSet<Kind> {
    let t = cell.to_lowercase();
    if t.contains("\"ok\":") {
        return BTreeSet::from([Kind::Result]);
    }
    let said = |words: &[&str]| words.iter().any(|w| t.contains(w));
    [
        (Kind::Null, said(&["null"])),
        (Kind::Bytes, said(&["byte", "bstr", "identity id"])),
        (Kind::Bool, said(&["bool"])),
        (Kind::Int, said(&["u64", "uint", "integer"])),
        (Kind::Text, said(&["text", "address", "identity name"])),
        (
            Kind::Map,
            said(&[
                "external identity",
                "external-identity",
                "verifyingkey",
                "map",
                "readsforevidence",
                "readsforrevocation",
                "signsforevidence",
                "signsforrevocation",
                "nameevidence",
                "namerevocation",
                "generatedkey",
                "commitment",
            ]),
        ),
        (Kind::Array, said(&["array"]) || t.starts_with('[')),
    ]
    .into_iter()
    .filter_map(|(k, yes)| yes.then_some(k))
    .collect()
}

/// Why the wire-type `cell` of `subject.field` disagrees with the `kinds` seen on the wire.
fn wire_type(subject: &str, field: &str, cell: &str, kinds: &BTreeSet<Kind>) -> Option<String> {
    let said = claims(cell);
    let unclaimed: Vec<&str> = kinds.difference(&said).map(|k| k.name()).collect();
    // `null` may be claimed without a vector that carries it; every other claim must be seen.
    let unseen: Vec<&str> = said
        .difference(kinds)
        .filter(|k| **k != Kind::Null)
        .map(|k| k.name())
        .collect();
    if unclaimed.is_empty() && unseen.is_empty() {
        return None;
    }
    let seen: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    Some(format!(
        "`{subject}.{field}` is {} on the wire; the table says \"{cell}\"",
        seen.join(" or ")
    ))
}

/// The variant a cell of the "error" column names: the identifier its code span starts with.
fn variant_in(cell: &str) -> Option<&str> {
    let code = first_code(cell)?;
    let end = code
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(code.len());
    (end > 0).then(|| &code[..end])
}

fn error_table(t: &Table, code: &Code) -> Vec<Finding> {
    let (Some(code_col), Some(error_col)) = (t.column("code"), t.column("error")) else {
        return Vec::new();
    };
    let wire_col = t.column("wire form");
    let mut out = Vec::new();
    let mut listed: Vec<(u16, &str)> = Vec::new();
    for (line, cells) in &t.rows {
        let number = cells
            .get(code_col)
            .and_then(|c| c.trim_matches('`').parse::<u16>().ok());
        let variant = cells.get(error_col).and_then(|c| variant_in(c));
        let (Some(number), Some(variant)) = (number, variant) else {
            out.push(finding(
                t,
                *line,
                "an error row needs a numeric code and a `Variant`".to_string(),
            ));
            continue;
        };
        listed.push((number, variant));
        out.extend(error_row(code, number, variant).map(|m| finding(t, *line, m)));
        let spelled = cells
            .get(error_col)
            .and_then(|c| first_code(c))
            .unwrap_or_default();
        out.extend(error_data(code, number, variant, spelled).map(|m| finding(t, *line, m)));
        let form = wire_col
            .and_then(|c| cells.get(c))
            .and_then(|c| c.split('"').nth(1));
        if wire_col.is_some() && form != Some(variant) {
            out.push(finding(
                t,
                *line,
                format!(
                    "the wire form of `{variant}` is `\"{variant}\"` or `{{\"{variant}\": …}}`"
                ),
            ));
        }
    }
    if t.heading == "Error codes" {
        out.extend(completeness(t, code, &listed));
    }
    out
}

fn error_row(code: &Code, number: u16, variant: &str) -> Option<String> {
    let Some(family) = spec::error::families()
        .into_iter()
        .find(|f| f.hundred == number / 100)
    else {
        return Some(format!("code {number} is in no error family (1xx to 7xx)"));
    };
    match code.codes.get(&family.hundred).and_then(|c| c.get(variant)) {
        Some(real) if *real == number => None,
        Some(real) => Some(format!(
            "`{}::{variant}` has code {real}, not {number}",
            family.name
        )),
        None => {
            let hint = closest(variant, family.variants.iter().copied())
                .map(|m| format!(" (did you mean `{m}`?)"))
                .unwrap_or_default();
            Some(format!(
                "`{}` has no variant `{variant}`{hint}",
                family.name
            ))
        }
    }
}

/// What follows the variant's name in an error cell — `(e)` for any value, `(Inner)` or
/// `(A / B)` for ones the vectors show, `{ field, … }` for named data — or why it cannot be.
fn error_data(code: &Code, number: u16, variant: &str, spelled: &str) -> Option<String> {
    let rest = spelled.strip_prefix(variant)?.trim();
    let known = code.inner.get(&(number / 100, variant.to_string()));
    let known_has = |name: &str| known.is_some_and(|k| k.contains(name));
    let placeholder = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_lowercase());
    let ok = if rest.is_empty() {
        true
    } else if let Some(x) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        // `(A / B)` lists several inner values at once.
        placeholder(x) || x.split('/').map(str::trim).all(known_has)
    } else if let Some(x) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        x.split(',').map(str::trim).all(known_has)
    } else {
        false
    };
    let shown: Vec<String> = known
        .into_iter()
        .flatten()
        .map(|k| format!("`{k}`"))
        .collect();
    (!ok).then(|| {
        format!(
            "`{spelled}`: after `{variant}` comes nothing, `(x)` with a lowercase placeholder, `(Inner)` or `{{ field }}` as the wire has them (the vectors show {})",
            if shown.is_empty() { "no data".to_string() } else { shown.join(", ") }
        )
    })
}

/// An "Error codes" table lists every variant of its family, in code order.
fn completeness(t: &Table, code: &Code, listed: &[(u16, &str)]) -> Vec<Finding> {
    let hundreds: BTreeSet<u16> = listed.iter().map(|(n, _)| n / 100).collect();
    let mut out = Vec::new();
    if hundreds.len() != 1 {
        out.push(finding(
            t,
            t.line,
            "an \"Error codes\" table documents exactly one error family".to_string(),
        ));
        return out;
    }
    for (variant, number) in hundreds.iter().flat_map(|h| code.codes.get(h)).flatten() {
        if !listed.iter().any(|(_, v)| v == variant) {
            out.push(finding(
                t,
                t.line,
                format!("`{variant}` (code {number}) is missing from the table"),
            ));
        }
    }
    if listed.windows(2).any(|w| w[0].0 > w[1].0) {
        out.push(finding(
            t,
            t.line,
            "the rows are not in code order".to_string(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// The row with its first code span renamed, or its first number changed.
    fn mutants(t: &Table, row: usize) -> Vec<Table> {
        let mut out = Vec::new();
        let cells = &t.rows[row].1;
        if let Some(i) = cells.iter().position(|c| first_code(c).is_some()) {
            let mut m = t.clone();
            let code = first_code(&cells[i]).unwrap_or_default().to_string();
            m.rows[row].1[i] = cells[i].replacen(&format!("`{code}`"), &format!("`{code}Z`"), 1);
            out.push(m);
        }
        if let Some(i) = cells.iter().position(|c| c.parse::<u32>().is_ok()) {
            let mut m = t.clone();
            m.rows[row].1[i] = (cells[i].parse::<u32>().unwrap_or_default() + 1).to_string();
            out.push(m);
        }
        out
    }

    #[test]
    fn every_row_of_every_checked_table_on_the_site_fails_when_mutated() {
        let code = Code::from_vectors().unwrap();
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        let (mut tables, mut mutated) = (0, 0);
        for (page, text) in markdown::pages(&docs).unwrap() {
            for table in markdown::tables(&page, &text) {
                let Some((_, clean)) = judge(&table, &code) else {
                    continue;
                };
                assert!(clean.is_empty(), "{clean:?}");
                tables += 1;
                for row in 0..table.rows.len() {
                    let found = mutants(&table, row);
                    assert!(
                        !found.is_empty(),
                        "{}:{} has nothing to mutate",
                        page.display(),
                        table.rows[row].0
                    );
                    for m in found {
                        let (_, findings) = judge(&m, &code).unwrap();
                        assert!(
                            !findings.is_empty(),
                            "{}:{} mutated passes: {:?}",
                            page.display(),
                            m.rows[row].0,
                            m.rows[row].1
                        );
                        mutated += 1;
                    }
                }
            }
        }
        println!("{tables} tables, {mutated} mutated rows, each caught");
        assert!(
            tables >= 30 && mutated >= 150,
            "{tables} tables, {mutated} mutants"
        );
    }

    #[test]
    fn claims_read_the_wire_type_column() {
        assert_eq!(
            claims("byte string or `null`"),
            BTreeSet::from([Kind::Bytes, Kind::Null])
        );
        assert_eq!(claims("20-byte identity id"), BTreeSet::from([Kind::Bytes]));
        assert_eq!(
            claims("`{\"Ok\": bstr}` or `{\"Err\": e}`"),
            BTreeSet::from([Kind::Result])
        );
        assert_eq!(claims("external identity"), BTreeSet::from([Kind::Map]));
        assert_eq!(
            claims("`SignsForEvidence` or `null`"),
            BTreeSet::from([Kind::Map, Kind::Null])
        );
        assert_eq!(claims("`Commitment`"), BTreeSet::from([Kind::Map]));
        assert_eq!(claims("identity name"), BTreeSet::from([Kind::Text]));
        assert_eq!(claims("`NameEvidence`"), BTreeSet::from([Kind::Map]));
        assert_eq!(claims("u64"), BTreeSet::from([Kind::Int]));
    }
}
