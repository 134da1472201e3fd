//! Sequence diagrams as properties: parse every mermaid `sequenceDiagram` of the docs, and
//! check each against the flows the model produces.
//!
//! For each diagram, against the scenarios that exercise its trigger (its first arrow):
//! 1. **realizable** — every alternative (each path through `alt`/`else`/`opt`) is exactly
//!    the flow of some request in some run;
//! 2. **exhaustive** — every flow the model produces for a documented trigger is one of the
//!    documented alternatives (an undocumented flow is printed as a diagram to paste);
//! 3. **complete** — in every quiescent state, each such request has reached a final reply.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use spec::message::{MESSAGE_NAMES, message_fields};

use crate::arrow::{Arrow, Party, mermaid};
use crate::branches::{self, Condition};
use crate::config::{Collected, Flow};

/// One arrow of a diagram, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// Line in the file.
    pub line: usize,
    /// The arrow; its fields are the conditions the diagram states.
    pub arrow: Arrow<Party>,
}

/// A piece of a diagram's body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Arrow(Drawn),
    /// `alt`/`else` branches, or an `opt` (one branch plus an empty one).
    Choice(Vec<Vec<Item>>),
}

/// An `alt`/`opt` block being read: its line, finished branches, the enclosing body,
/// whether it is an `opt`, and the enclosing branch's label (restored at `end`).
type OpenBlock = (usize, Vec<Vec<Item>>, Vec<Item>, bool, Option<Label>);

/// The label of the branch being read: its line, its condition, and whether its first
/// arrow is still to come.
#[derive(Debug, Clone)]
struct Label {
    line: usize,
    condition: Condition,
    awaiting_first: bool,
}

/// A parsed diagram.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// The file it is in.
    pub file: PathBuf,
    /// The line of its opening fence.
    pub line: usize,
    /// Its title (the `title` line, else the nearest heading above it).
    pub title: String,
    /// Why it is excluded from checking, if it is (`%% unchecked: reason`).
    pub unchecked: Option<String>,
    /// Lines of branch labels that claim nothing (words with no `[condition]`).
    pub bare_labels: Vec<usize>,
    body: Vec<Item>,
}

/// A diagram that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramError {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for DiagramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

pub use crate::nearest::closest;
use crate::participants::Participants;

struct Parser<'a> {
    file: &'a Path,
    errors: Vec<DiagramError>,
}

impl Parser<'_> {
    fn error(&mut self, line: usize, message: String) {
        self.errors.push(DiagramError {
            file: self.file.to_path_buf(),
            line,
            message,
        });
    }

    /// Parses `Name (field: value, ...)`.
    fn label(
        &mut self,
        line: usize,
        text: &str,
        reply: bool,
    ) -> Option<(&'static str, Vec<(String, String)>)> {
        let text = text.trim();
        let (name, rest) = match text.find('(') {
            Some(i) => (text[..i].trim(), Some(&text[i..])),
            None => (text, None),
        };
        if name == "Spawn" {
            self.error(
                line,
                "`Spawn` is no message: spawning an engine is not drawn (leave the arrow out)"
                    .into(),
            );
            return None;
        }
        let Some(&known) = MESSAGE_NAMES.iter().find(|n| **n == name) else {
            // Suggest among the arrow's kind, reading the Anoma suffix style
            // (`QueryReadsForEvidenceRequest`) as our prefix style.
            let kind = if reply { "Reply" } else { "Request" };
            let mut probe = name.to_string();
            for suffix in ["Request", "Reply", "Response"] {
                if let Some(stem) = name.strip_suffix(suffix) {
                    probe = format!("{kind}{stem}");
                }
            }
            let same_kind = MESSAGE_NAMES
                .iter()
                .copied()
                .filter(|n| n.starts_with(kind));
            let hint = closest(&probe, same_kind).unwrap_or_default();
            self.error(
                line,
                format!("unknown message `{name}`; the closest existing one is `{hint}`"),
            );
            return None;
        };
        let is_reply = known.starts_with("Reply");
        if is_reply != reply {
            let (want, arrow) = if is_reply {
                ("a reply", "-->>")
            } else {
                ("a request", "->>")
            };
            self.error(line, format!("`{known}` is {want}: draw it with `{arrow}`"));
            return None;
        }
        let mut conditions = Vec::new();
        if let Some(rest) = rest {
            let Some(inner) = rest
                .strip_prefix('(')
                .and_then(|r| r.trim_end().strip_suffix(')'))
            else {
                self.error(line, format!("conditions must be `({known} field: value, ...)` in one pair of parentheses"));
                return None;
            };
            let fields = message_fields(known).unwrap_or_default();
            for cond in split_top_level(inner) {
                let Some((field, value)) = cond.split_once(':') else {
                    if let Err(e) = annotation(cond, fields) {
                        self.error(line, e);
                        return None;
                    }
                    continue;
                };
                let (field, value) = (field.trim(), value.trim());
                if !fields.contains(&field) {
                    let hint = closest(field, fields.iter().copied())
                        .map_or(format!("`{known}` has no fields"), |h| {
                            format!("the closest field of `{known}` is `{h}`")
                        });
                    self.error(line, format!("`{known}` has no field `{field}`; {hint}"));
                    return None;
                }
                conditions.push((field.to_string(), value.to_string()));
            }
        }
        Some((known, conditions))
    }
}

/// A parenthesised item without a colon: a field named alone (the way the Anoma pages list
/// a message's arguments) or prose such as `A reads for B?` — a note that checks nothing. A
/// field name followed by more words is a condition that lost its colon.
fn annotation(item: &str, fields: &[&str]) -> Result<(), String> {
    let mut words = item.split_whitespace();
    let first = words.next().unwrap_or_default();
    match fields.contains(&first) && words.next().is_some() {
        true => Err(format!("condition `{item}` must be `field: value`")),
        false => Ok(()),
    }
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = text[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// Extracts and parses every mermaid sequence diagram of one markdown file.
pub fn parse_markdown(file: &Path, text: &str) -> (Vec<Diagram>, Vec<DiagramError>) {
    let mut parser = Parser {
        file,
        errors: Vec::new(),
    };
    let mut diagrams = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut heading = String::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if let Some(h) = trimmed.strip_prefix('#') {
            heading = h.trim_start_matches('#').trim().to_string();
        }
        if trimmed.starts_with("```mermaid") {
            let fence = i + 1;
            let mut block = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with("```") {
                block.push((i + 1, lines[i]));
                i += 1;
            }
            if let Some(d) = parse_block(&mut parser, fence, &heading, &block) {
                diagrams.push(d);
            }
        }
        i += 1;
    }
    (diagrams, parser.errors)
}

/// A diagram being read: its participants, open blocks, body, title and exclusion.
struct Block {
    participants: Participants,
    /// Open blocks: each holds its finished branches and the enclosing body.
    stack: Vec<OpenBlock>,
    body: Vec<Item>,
    title: String,
    unchecked: Option<String>,
    label: Option<Label>,
    bare_labels: Vec<usize>,
}

/// The `title` line's text, if any.
fn title_line(block: &[(usize, &str)]) -> Option<String> {
    block
        .iter()
        .find_map(|(_, l)| {
            l.trim()
                .strip_prefix("title")
                .map(|t| t.trim_start_matches(':').trim().to_string())
        })
        .filter(|t| !t.is_empty())
}

fn parse_block(
    p: &mut Parser<'_>,
    fence: usize,
    heading: &str,
    block: &[(usize, &str)],
) -> Option<Diagram> {
    let (_, first) = block.iter().find(|(_, l)| !l.trim().is_empty())?;
    let is_sequence = first.trim() == "sequenceDiagram"
        || block.iter().any(|(_, l)| l.trim() == "sequenceDiagram");
    if !is_sequence {
        return None;
    }
    // An excluded diagram is listed with its reason and not read any further:
    // it may draw anything (a counterexample of a flawed design, say).
    if let Some(reason) = block.iter().find_map(|(_, l)| {
        l.trim()
            .strip_prefix("%%")
            .and_then(|c| c.trim().strip_prefix("unchecked:"))
    }) {
        return Some(Diagram {
            file: p.file.to_path_buf(),
            line: fence,
            title: title_line(block).unwrap_or_else(|| heading.to_string()),
            unchecked: Some(reason.trim().to_string()),
            bare_labels: Vec::new(),
            body: Vec::new(),
        });
    }
    let mut b = Block {
        participants: Participants::default(),
        stack: Vec::new(),
        body: Vec::new(),
        title: heading.to_string(),
        unchecked: None,
        label: None,
        bare_labels: Vec::new(),
    };
    let errors_before = p.errors.len();
    for &(n, raw) in block.iter().filter(|(_, l)| !l.trim().is_empty()) {
        parse_line(p, &mut b, n, raw.trim());
    }
    if let Some((n, ..)) = b.stack.last() {
        p.error(*n, "block opened here is never closed with `end`".into());
    }
    if b.unchecked.is_none() && p.errors.len() == errors_before {
        match b.body.first() {
            Some(Item::Arrow(d))
                if !d.arrow.reply && matches!(d.arrow.from, Party::Client | Party::Adversary) => {}
            _ => p.error(
                fence,
                "the first arrow must be a request from a Client or an Adversary (the trigger)"
                    .into(),
            ),
        }
    }
    if b.title.is_empty() {
        b.title = format!("diagram at line {fence}");
    }
    Some(Diagram {
        file: p.file.to_path_buf(),
        line: fence,
        title: b.title,
        unchecked: b.unchecked,
        bare_labels: b.bare_labels,
        body: b.body,
    })
}

/// Reads one line of a diagram's body.
fn parse_line(p: &mut Parser<'_>, b: &mut Block, n: usize, line: &str) {
    if line == "sequenceDiagram" || line == "autonumber" {
        return;
    }
    if let Some(comment) = line.strip_prefix("%%") {
        if let Some(reason) = comment.trim().strip_prefix("unchecked:") {
            b.unchecked = Some(reason.trim().to_string());
        }
        return;
    }
    if let Some(t) = line.strip_prefix("title") {
        b.title = t.trim_start_matches(':').trim().to_string();
        return;
    }
    let word = line.split_whitespace().next().unwrap_or("");
    match word {
        "participant" | "actor" => declare(p, b, n, line[word.len()..].trim()),
        "Note" | "note" | "activate" | "deactivate" | "rect" => {}
        "alt" | "opt" => {
            if b.label
                .as_ref()
                .is_some_and(|l| l.awaiting_first && l.condition.row.is_some())
            {
                p.error(
                    n,
                    "a branch whose label names a row must begin with an arrow, not a block".into(),
                );
            }
            let outer_label = b.label.take();
            b.stack.push((
                n,
                Vec::new(),
                std::mem::take(&mut b.body),
                word == "opt",
                outer_label,
            ));
            open_branch(p, b, n, &line[word.len()..]);
        }
        "else" => {
            if matches!(b.stack.last(), Some((.., false, _))) {
                close_branch(p, b);
            }
            match b.stack.last_mut() {
                Some((_, branches, _, false, _)) => {
                    branches.push(std::mem::take(&mut b.body));
                    open_branch(p, b, n, &line[word.len()..]);
                }
                _ => p.error(n, "`else` outside an `alt` block".into()),
            }
        }
        // An `end` with no open block closes a `rect`: nothing to do.
        "end" => {
            if !b.stack.is_empty() {
                close_branch(p, b);
            }
            if let Some((_, mut branches, outer, opt, outer_label)) = b.stack.pop() {
                branches.push(std::mem::take(&mut b.body));
                if opt {
                    branches.push(Vec::new());
                }
                b.body = outer;
                b.body.push(Item::Choice(branches));
                b.label = outer_label;
            }
        }
        "loop" | "par" | "critical" | "break" => {
            p.error(
                n,
                format!("`{word}` blocks are not supported: use `alt`/`else` or `opt`"),
            );
        }
        _ => {
            if let Some(mut arrow) = parse_arrow(p, n, line, &mut b.participants) {
                first_of_branch(p, b, &mut arrow);
                b.body.push(Item::Arrow(arrow));
            }
        }
    }
}

/// Starts a branch: reads the condition its label (`rest`) ends with.
fn open_branch(p: &mut Parser<'_>, b: &mut Block, n: usize, rest: &str) {
    match branches::condition(rest) {
        Ok(None) => {
            b.label = None;
            b.bare_labels.push(n);
        }
        Ok(Some(condition)) => {
            b.label = Some(Label {
                line: n,
                condition,
                awaiting_first: true,
            });
        }
        Err(e) => {
            b.label = None;
            p.error(n, e);
        }
    }
}

/// The first arrow of a branch whose label names a row must be sent under that row.
fn first_of_branch(p: &mut Parser<'_>, b: &mut Block, arrow: &mut Drawn) {
    let Some(label) = b.label.as_mut().filter(|l| l.awaiting_first) else {
        return;
    };
    label.awaiting_first = false;
    if let Some(row) = &label.condition.row {
        match branches::row_of(arrow.arrow.from, row) {
            Ok(row) => arrow.arrow.row = row,
            Err(e) => p.error(label.line, e),
        }
    }
}

/// Ends the branch being read: its result condition must hold for its arrows.
fn close_branch(p: &mut Parser<'_>, b: &mut Block) {
    let Some(label) = b.label.take() else {
        return;
    };
    if let Some(want) = &label.condition.result {
        let arrows = flatten(&b.body);
        if let Err(e) = branches::result_holds(want, arrows.iter().map(|d| &d.arrow)) {
            p.error(label.line, e);
        }
    }
}

/// Every arrow of `items`, nested branches included, in the order drawn.
fn flatten(items: &[Item]) -> Vec<&Drawn> {
    items
        .iter()
        .flat_map(|i| match i {
            Item::Arrow(a) => vec![a],
            Item::Choice(branches) => branches.iter().flat_map(|br| flatten(br)).collect(),
        })
        .collect()
}

/// Reads `participant ID [as ALIAS]`.
fn declare(p: &mut Parser<'_>, b: &mut Block, n: usize, rest: &str) {
    if let Err(e) = b.participants.declare(rest) {
        p.error(n, e);
    }
}

fn parse_arrow(
    p: &mut Parser<'_>,
    n: usize,
    line: &str,
    participants: &mut Participants,
) -> Option<Drawn> {
    let Some((head, text)) = line.split_once(':') else {
        p.error(
            n,
            format!("cannot read `{line}`: expected `From->>To: Message` or `From-->>To: Message`"),
        );
        return None;
    };
    let (reply, parts) = if let Some((a, b)) = head.split_once("-->>") {
        (true, (a, b))
    } else if let Some((a, b)) = head.split_once("->>") {
        (false, (a, b))
    } else {
        p.error(
            n,
            "arrows must be `->>` (a request) or `-->>` (a reply)".into(),
        );
        return None;
    };
    // An arrow to or from a participant already reported is left out without more errors.
    let (from, to) = match (participants.find(parts.0), participants.find(parts.1)) {
        (Ok(Some(from)), Ok(Some(to))) => (from, to),
        (from, to) => {
            for e in [from.err(), to.err()].into_iter().flatten() {
                p.error(n, e);
            }
            return None;
        }
    };
    let (name, fields) = p.label(n, text, reply)?;
    Some(Drawn {
        line: n,
        arrow: Arrow {
            from,
            to,
            name: name.to_string(),
            reply,
            fields,
            row: "",
        },
    })
}

/// Every markdown file under `dir`, in path order.
pub fn markdown_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Parses every markdown file under `dir`, in path order.
pub fn load(dir: &Path) -> std::io::Result<(Vec<Diagram>, Vec<DiagramError>)> {
    let files = markdown_files(dir)?;
    let (mut diagrams, mut errors) = (Vec::new(), Vec::new());
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let (d, e) = parse_markdown(&file, &text);
        diagrams.extend(d);
        errors.extend(e);
    }
    Ok((diagrams, errors))
}

impl Diagram {
    /// Every path through the diagram's alternatives.
    pub fn alternatives(&self) -> Vec<Vec<Drawn>> {
        expand(&self.body)
    }

    /// The trigger: the first arrow.
    pub fn trigger(&self) -> Option<&Drawn> {
        match self.body.first() {
            Some(Item::Arrow(a)) => Some(a),
            _ => None,
        }
    }
}

fn expand(items: &[Item]) -> Vec<Vec<Drawn>> {
    let mut paths: Vec<Vec<Drawn>> = vec![Vec::new()];
    for item in items {
        match item {
            Item::Arrow(a) => paths.iter_mut().for_each(|p| p.push(a.clone())),
            Item::Choice(branches) => {
                let mut next = Vec::new();
                for p in &paths {
                    for branch in branches {
                        for tail in expand(branch) {
                            let mut q = p.clone();
                            q.extend(tail);
                            next.push(q);
                        }
                    }
                }
                paths = next;
            }
        }
    }
    paths
}

/// Whether a diagram arrow matches one arrow of a model flow.
pub fn arrow_matches(d: &Drawn, s: &Arrow<Party>) -> bool {
    let a = &d.arrow;
    let party =
        |want: Party, got: Party| want == got || (want == Party::Client && got == Party::Adversary);
    party(a.from, s.from)
        && party(a.to, s.to)
        && a.name == s.name
        && a.reply == s.reply
        && (a.row.is_empty() || a.row == s.row)
        && a.fields.iter().all(|(field, want)| {
            s.fields
                .iter()
                .find(|(k, _)| k == field)
                .is_some_and(|(_, got)| got == want || (want == "Err" && got.starts_with("Err(")))
        })
}

/// How many leading arrows of `flow` the alternative matches.
fn common(alt: &[Drawn], flow: &Flow) -> usize {
    alt.iter()
        .zip(flow)
        .take_while(|(a, s)| arrow_matches(a, s))
        .count()
}

pub(crate) fn alternative_matches(alt: &[Drawn], flow: &Flow) -> bool {
    alt.len() == flow.len() && common(alt, flow) == flow.len()
}

/// Where a flow and a diagram alternative part ways.
fn divergence(alt: &[Drawn], flow: &Flow) -> String {
    let k = common(alt, flow);
    let step = k + 1;
    match (alt.get(k), flow.get(k)) {
        (Some(a), Some(s)) if !a.arrow.row.is_empty() && a.arrow.row != s.row => format!(
            "step {step} (line {}): the branch label says `{}` is sent under row `{}`, the model sent it under row `{}`",
            a.line, a.arrow, a.arrow.row, s.row
        ),
        (Some(a), Some(s)) => format!(
            "step {step} (line {}): the diagram has `{}`, the model has `{s}`",
            a.line, a.arrow
        ),
        (Some(a), None) => format!(
            "step {step} (line {}): the diagram has `{}`, the model's flow ends",
            a.line, a.arrow
        ),
        (None, Some(s)) => format!("step {step}: the diagram ends, the model goes on with `{s}`"),
        (None, None) => "identical".into(),
    }
}

/// The verdict on one diagram.
#[derive(Debug, Clone)]
pub struct DiagramVerdict {
    /// Title.
    pub title: String,
    /// File.
    pub file: PathBuf,
    /// Line of its fence.
    pub line: usize,
    /// Its trigger, as an arrow.
    pub trigger: String,
    /// Scenarios that exercise the trigger.
    pub scenarios: Vec<String>,
    /// Problems found; empty when the diagram is a verified property.
    pub problems: Vec<String>,
}

/// The verdict on all diagrams.
#[derive(Debug, Clone, Default)]
pub struct DiagramsReport {
    /// Checked diagrams.
    pub checked: Vec<DiagramVerdict>,
    /// Excluded diagrams: (file, line, title, reason).
    pub excluded: Vec<(PathBuf, usize, String, String)>,
    /// Diagrams that cannot be read.
    pub errors: Vec<DiagramError>,
    /// Flows the model produces that no diagram documents, as (scenario, diagram to paste).
    pub undocumented: Vec<(String, String)>,
    /// Only some scenarios ran: diagrams none of them exercises are skipped (by title), and
    /// an alternative is not required to happen (another scenario may realize it).
    pub partial: Option<Vec<String>>,
    /// Guard rows no scenario's engine took, or listed as such but taken: `(engine, row, why)`.
    pub unreached_rows: Vec<(String, String, &'static str)>,
}

impl DiagramsReport {
    /// Turns this into the report of a run of only some scenarios.
    pub fn partial(&mut self) {
        let (exercised, skipped): (Vec<DiagramVerdict>, Vec<DiagramVerdict>) =
            std::mem::take(&mut self.checked)
                .into_iter()
                .partition(|v| !v.scenarios.is_empty());
        self.checked = exercised;
        for v in &mut self.checked {
            v.problems.retain(|p| !p.starts_with("realizable:"));
        }
        self.partial = Some(skipped.into_iter().map(|v| v.title).collect());
        // Some scenarios only: the others may be the ones that take a row.
        self.unreached_rows.clear();
    }

    /// Whether every diagram is a verified property and every flow is documented.
    pub fn passes(&self) -> bool {
        self.errors.is_empty()
            && self.undocumented.is_empty()
            && self.unreached_rows.is_empty()
            && self.checked.iter().all(|d| d.problems.is_empty())
    }
}

/// Checks `diagrams` against the flows collected per scenario.
pub fn check(
    diagrams: &[Diagram],
    errors: Vec<DiagramError>,
    collected: &[(String, Collected)],
) -> DiagramsReport {
    let mut report = DiagramsReport {
        errors,
        ..DiagramsReport::default()
    };
    let checked: Vec<&Diagram> = diagrams.iter().filter(|d| d.unchecked.is_none()).collect();
    for d in diagrams {
        if let Some(reason) = &d.unchecked {
            report
                .excluded
                .push((d.file.clone(), d.line, d.title.clone(), reason.clone()));
        }
    }
    for d in &checked {
        if let Some(verdict) = verdict(d, collected) {
            report.checked.push(verdict);
        }
    }
    report.undocumented = undocumented(&checked, collected);
    report.unreached_rows = unreached_rows(collected);
    report
}

/// Why a row is left to the engines' tests: the model's network delivers each envelope to
/// the actor its target names, and its clients speak only for themselves.
const MISROUTED: &str = "only a runtime that delivers an envelope to the wrong engine takes it; pinned by engines/tests/guard_rows.rs";
/// Why an impersonated-peer row is left to the engines' tests.
const IMPERSONATED: &str = "only a peer that speaks for the vault or the ReadsFor engine can send it, and no scenario's adversary does; pinned by engines/tests/guard_rows.rs";

/// Guard rows no scenario takes, each with why and what checks it instead. A row that is
/// neither taken by a scenario nor listed here fails the check.
const UNREACHABLE_ROWS: &[(Party, &str, &str)] = &[
    (Party::Encryption, "misaddressed", MISROUTED),
    (Party::ReadsFor, "misaddressed", MISROUTED),
    (Party::Decryption, "misaddressed", MISROUTED),
    (Party::IdentityManagement, "misaddressed", MISROUTED),
    (Party::SignsFor, "misaddressed", MISROUTED),
    (Party::Verification, "misaddressed", MISROUTED),
    (Party::Naming, "misaddressed", MISROUTED),
    (
        Party::IdentityManagement,
        "no-pending-request",
        IMPERSONATED,
    ),
    (Party::IdentityManagement, "reply-not-awaited", IMPERSONATED),
];

/// Every guard row of every engine that no collected scenario took (and that is not listed
/// in [`UNREACHABLE_ROWS`]), and every listed row that one did take: a row of a guard table
/// that no run exercises is a statement nothing checks, and a stale list hides that.
fn unreached_rows(collected: &[(String, Collected)]) -> Vec<(String, String, &'static str)> {
    let taken: BTreeSet<(Party, &str)> = collected
        .iter()
        .flat_map(|(_, c)| c.rows.iter().copied())
        .collect();
    let engines = [
        Party::Encryption,
        Party::ReadsFor,
        Party::Decryption,
        Party::IdentityManagement,
        Party::SignsFor,
        Party::Verification,
        Party::Naming,
    ];
    let unreached = engines
        .iter()
        .flat_map(|e| branches::guards_of(*e).iter().map(move |r| (*e, *r)))
        .filter(|(e, r)| !taken.contains(&(*e, *r)))
        .filter(|(e, r)| {
            !UNREACHABLE_ROWS
                .iter()
                .any(|(ue, ur, _)| ue == e && ur == r)
        })
        .map(|(e, r)| {
            let why = "no scenario takes it, and the checker does not list it with why";
            (format!("{e:?}"), r.to_string(), why)
        });
    // A listed row that a scenario does take: the list is out of date.
    let stale = UNREACHABLE_ROWS
        .iter()
        .filter(|(e, r, _)| taken.contains(&(*e, *r)))
        .map(|(e, r, _)| {
            let why = "the checker lists it as taken by no scenario, yet one takes it: take it off the list";
            (format!("{e:?}"), r.to_string(), why)
        });
    unreached.chain(stale).collect()
}

/// Realizable and complete: one diagram against the scenarios that exercise its trigger.
fn verdict(d: &Diagram, collected: &[(String, Collected)]) -> Option<DiagramVerdict> {
    let trigger = d.trigger()?;
    let starts = |f: &Flow| f.first().is_some_and(|s| arrow_matches(trigger, s));
    let exercising: Vec<&(String, Collected)> = collected
        .iter()
        .filter(|(_, c)| c.flows.iter().any(starts))
        .collect();
    let mut problems = Vec::new();
    if exercising.is_empty() {
        problems.push(format!("realizable: no scenario sends `{}`", trigger.arrow));
    }
    let flows: BTreeSet<&Flow> = exercising
        .iter()
        .flat_map(|(_, c)| c.flows.iter())
        .filter(|f| starts(f))
        .collect();
    for (k, alt) in d.alternatives().iter().enumerate() {
        if exercising.is_empty() || flows.iter().any(|f| alternative_matches(alt, f)) {
            continue;
        }
        let nearest = flows.iter().max_by_key(|f| common(alt, f));
        let why = nearest.map_or("no flow starts this way".into(), |f| divergence(alt, f));
        problems.push(format!(
            "realizable: alternative {} never happens; closest run: {why}",
            k + 1
        ));
    }
    for (name, c) in &exercising {
        for f in c.incomplete.iter().filter(|f| starts(f)) {
            problems.push(format!(
                "complete: in `{name}` a request ends unanswered in a quiescent state:\n{}",
                mermaid(Some("unanswered flow"), f)
            ));
        }
    }
    Some(DiagramVerdict {
        title: d.title.clone(),
        file: d.file.clone(),
        line: d.line,
        trigger: trigger.arrow.to_string(),
        scenarios: exercising.iter().map(|(n, _)| n.clone()).collect(),
        problems,
    })
}

/// Exhaustive: every flow is one of the documented alternatives (or, where messages may be
/// lost, the beginning of one); the others, as diagrams to paste.
fn undocumented(checked: &[&Diagram], collected: &[(String, Collected)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, c) in collected {
        for flow in &c.flows {
            let documented = checked.iter().any(|d| {
                d.trigger()
                    .is_some_and(|t| flow.first().is_some_and(|s| arrow_matches(t, s)))
                    && d.alternatives().iter().any(|alt| {
                        alternative_matches(alt, flow)
                            || (c.prefixes && common(alt, flow) == flow.len())
                    })
            });
            if !documented {
                let title = flow
                    .first()
                    .map_or("flow".to_string(), |s| format!("{} (undocumented)", s.name));
                out.push((name.clone(), mermaid(Some(&title), flow)));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Diagram>, Vec<DiagramError>) {
        parse_markdown(Path::new("t.md"), text)
    }

    const GOOD: &str = "# Encrypt\n```mermaid\nsequenceDiagram\n    participant Client\n    participant Encryption\n    participant ReadsFor\n    Client->>Encryption: RequestEncrypt (useReadsFor: true)\n    Encryption->>ReadsFor: RequestQueryReadsForEvidence\n    alt ok [Ok]\n        ReadsFor-->>Encryption: ReplyQueryReadsForEvidence (result: Ok)\n        Encryption-->>Client: ReplyEncrypt (result: Ok)\n    else failed [Err(ReadsFor)]\n        Note over ReadsFor: overloaded\n        ReadsFor-->>Encryption: ReplyQueryReadsForEvidence (result: Err)\n        Encryption-->>Client: ReplyEncrypt (result: Err(ReadsFor))\n    end\n```\n";

    #[test]
    fn parses_every_construct() {
        let (d, e) = parse(GOOD);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].title, "Encrypt");
        let alts = d[0].alternatives();
        assert_eq!(alts.len(), 2);
        assert_eq!(alts[0].len(), 4);
        assert_eq!(
            alts[1][3].arrow.fields,
            vec![("result".to_string(), "Err(ReadsFor)".to_string())]
        );
        let opt = GOOD.replace("alt ok [Ok]", "opt maybe [Ok]").replace("    else failed [Err(ReadsFor)]\n        Note over ReadsFor: overloaded\n        ReadsFor-->>Encryption: ReplyQueryReadsForEvidence (result: Err)\n        Encryption-->>Client: ReplyEncrypt (result: Err(ReadsFor))\n", "");
        let (d, e) = parse(&opt);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            d[0].alternatives().iter().map(Vec::len).collect::<Vec<_>>(),
            vec![4, 2]
        );
    }

    #[test]
    fn unknown_names_point_at_the_closest() {
        let (_, e) = parse(&GOOD.replace(
            "RequestQueryReadsForEvidence",
            "QueryReadsForEvidenceRequest",
        ));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 8);
        assert!(
            e[0].message
                .contains("closest existing one is `RequestQueryReadsForEvidence`"),
            "{}",
            e[0]
        );
        let (_, e) = parse(&GOOD.replace("useReadsFor: true", "useReadFor: true"));
        assert!(
            e[0].message
                .contains("closest field of `RequestEncrypt` is `useReadsFor`"),
            "{}",
            e[0]
        );
        let (_, e) = parse(&GOOD.replace("participant ReadsFor", "participant ReadFor"));
        assert!(
            e.iter()
                .any(|e| e.message.contains("closest role is `ReadsFor`")),
            "{e:?}"
        );
    }

    #[test]
    fn arrows_must_be_used_consistently() {
        let (_, e) = parse(&GOOD.replace(
            "Encryption-->>Client: ReplyEncrypt (result: Ok)",
            "Encryption->>Client: ReplyEncrypt (result: Ok)",
        ));
        assert!(
            e[0].message.contains("is a reply: draw it with `-->>`"),
            "{}",
            e[0]
        );
        let (_, e) = parse(&GOOD.replace("Client->>Encryption", "Client->Encryption"));
        assert!(e[0].message.contains("arrows must be"), "{}", e[0]);
    }

    #[test]
    fn unchecked_diagrams_are_listed_not_checked() {
        let text = GOOD.replace(
            "sequenceDiagram\n",
            "sequenceDiagram\n%% unchecked: illustration only\n",
        );
        let (d, e) = parse(&text);
        assert!(e.is_empty());
        let report = check(&d, e, &[]);
        assert!(report.checked.is_empty());
        assert_eq!(report.excluded[0].3, "illustration only");
    }

    #[test]
    fn non_sequence_diagrams_are_ignored() {
        let (d, e) = parse("```mermaid\ngraph TD\n  A-->B\n```\n");
        assert!(d.is_empty() && e.is_empty());
    }
}
