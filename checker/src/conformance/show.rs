//! What a failing case looks like: its parts as indented CBOR diagnostic text, a line diff,
//! and the case as a mermaid sequence diagram.

use std::fmt::Write as _;

use ciborium::Value;
use engines::conformance::{Case, Expected};
use spec::{Envelope, codec};

/// Byte strings longer than this are shown over several lines, this many bytes to a line,
/// so that a diff points at the bytes that differ.
const SHOWN_BYTES: usize = 32;

/// Canonical CBOR as indented diagnostic notation, one item per line.
pub fn diagnostic(bytes: &[u8]) -> String {
    match codec::decode_value(bytes) {
        Ok(value) => {
            let mut out = String::new();
            item(&value, 0, &mut out);
            out
        }
        Err(e) => format!("<not canonical CBOR: {e}>\n"),
    }
}

fn scalar(value: &Value) -> Option<String> {
    Some(match value {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Bytes(b) if b.len() <= SHOWN_BYTES => format!("h'{}'", hex(b)),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Bytes(_) | Value::Array(_) | Value::Map(_) => return None,
        other => format!("{other:?}"),
    })
}

fn item(value: &Value, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    if let Some(s) = scalar(value) {
        let _ = writeln!(out, "{pad}{s}");
        return;
    }
    match value {
        Value::Bytes(bytes) => {
            let _ = writeln!(out, "{pad}h'  ; {} bytes", bytes.len());
            for line in bytes.chunks(SHOWN_BYTES) {
                let _ = writeln!(out, "{pad}  {}", hex(line));
            }
            let _ = writeln!(out, "{pad}'");
        }
        Value::Array(items) => {
            let _ = writeln!(out, "{pad}[");
            items.iter().for_each(|v| item(v, depth + 1, out));
            let _ = writeln!(out, "{pad}]");
        }
        Value::Map(entries) => {
            let _ = writeln!(out, "{pad}{{");
            for (k, v) in entries {
                match (scalar(k), scalar(v)) {
                    (Some(k), Some(v)) => {
                        let _ = writeln!(out, "{pad}  {k}: {v}");
                    }
                    (Some(k), None) => {
                        let _ = writeln!(out, "{pad}  {k}:");
                        item(v, depth + 2, out);
                    }
                    _ => {
                        item(k, depth + 1, out);
                        item(v, depth + 2, out);
                    }
                }
            }
            let _ = writeln!(out, "{pad}}}");
        }
        _ => {}
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The lines of `expected` and `actual` with the common start and end shown once and the
/// middle marked `-` (the case) and `+` (the engine).
pub fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let head = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let tail = e[head..]
        .iter()
        .rev()
        .zip(a[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = String::new();
    let context = head.saturating_sub(3);
    if context > 0 {
        let _ = writeln!(out, "  … {context} equal lines");
    }
    for line in &e[context..head] {
        let _ = writeln!(out, "  {line}");
    }
    for line in &e[head..e.len() - tail] {
        let _ = writeln!(out, "- {line}");
    }
    for line in &a[head..a.len() - tail] {
        let _ = writeln!(out, "+ {line}");
    }
    for line in e[e.len() - tail..].iter().take(3) {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Both sides of a step's effects, as diagnostic text.
pub fn effects_diff(expected: &Expected, actual: &Expected) -> String {
    diff(
        &diagnostic(&codec::encode(expected)),
        &diagnostic(&codec::encode(actual)),
    )
}

/// The case as a mermaid sequence diagram: each input, then what the case says follows.
pub fn mermaid(case: &Case) -> String {
    let mut lines = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut alias = |who: &str| {
        let at = names.iter().position(|n| n == who).unwrap_or_else(|| {
            names.push(who.to_string());
            names.len() - 1
        });
        format!("P{at}")
    };
    let engine = alias(&format!("{} (under test)", case.engine));
    for (i, step) in case.steps.iter().enumerate() {
        if let Some(event) = step.event {
            lines.push(format!(
                "Note over {engine}: step {i}: host event {}",
                event.name()
            ));
            continue;
        }
        let Ok(input) = codec::decode::<Envelope>(&step.input) else {
            lines.push(format!(
                "Note over {engine}: step {i}: bytes that must be refused"
            ));
            continue;
        };
        lines.push(arrow(&alias(input.sender.as_str()), &engine, &input));
        let expected: Expected = codec::decode(&step.effects).unwrap_or_default();
        for sent in &expected.send {
            lines.push(arrow(&engine, &alias(sent.target.as_str()), sent));
        }
        for r in &expected.rejected {
            lines.push(format!(
                "Note over {engine}: rejects {} ({:?})",
                r.message, r.reason
            ));
        }
    }
    let mut out = String::from("```mermaid\nsequenceDiagram\n");
    for (i, name) in names.iter().enumerate() {
        let _ = writeln!(out, "    participant P{i} as {name}");
    }
    for line in lines {
        let _ = writeln!(out, "    {line}");
    }
    out.push_str("```\n");
    out
}

fn arrow(from: &str, to: &str, env: &Envelope) -> String {
    let style = if env.message.is_request() {
        "->>"
    } else {
        "-->>"
    };
    format!(
        "{from}{style}{to}: {} #{}",
        env.message.name(),
        env.correlation.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_only_the_differing_middle() {
        let d = diff("a\nb\nc\nd\n", "a\nb\nX\nd\n");
        assert_eq!(d, "  a\n  b\n- c\n+ X\n  d\n");
    }

    #[test]
    fn diagnostic_shows_long_bytes_a_line_at_a_time() {
        let text = diagnostic(&codec::encode(&Value::Bytes(vec![7u8; 40])));
        assert_eq!(
            text,
            format!(
                "h'  ; 40 bytes\n  {}\n  {}\n'\n",
                "07".repeat(32),
                "07".repeat(8)
            )
        );
    }
}
