//! What a suite covers: cases per engine and handler, and every guard row, error variant and
//! rejection reason reached — or listed here with why it is not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use ciborium::Value;
use engines::HostEvent;
use engines::conformance::{Case, ENGINES, Expected, HOST_EVENTS, guards};
use serde_json::{Value as Json, json};
use spec::codec;

/// Which error family each reply's `result` carries.
const REPLY_FAMILY: &[(&str, &str)] = &[
    ("ReplyEncrypt", "EncryptionError"),
    ("ReplyReadsFor", "RelationError"),
    ("ReplySubmitReadsForEvidence", "RelationError"),
    ("ReplySubmitReadsForRevocation", "RelationError"),
    ("ReplyQueryReadsForEvidence", "RelationError"),
    ("ReplyDecryption", "DecryptionError"),
    ("ReplyGenerateKey", "DecryptionError"),
    ("ReplyRotateKey", "DecryptionError"),
    ("ReplyDeleteKey", "DecryptionError"),
    ("ReplyGenerateIdentity", "IdentityError"),
    ("ReplyConnectIdentity", "IdentityError"),
    ("ReplyDeleteIdentity", "IdentityError"),
    ("ReplyDeriveZoneIdentity", "IdentityError"),
    ("ReplyRotateIdentity", "IdentityError"),
    ("ReplyCommitment", "CommitmentError"),
    ("ReplyVerification", "VerificationError"),
    ("ReplySignsFor", "RelationError"),
    ("ReplySubmitSignsForEvidence", "RelationError"),
    ("ReplySubmitSignsForRevocation", "RelationError"),
    ("ReplyQuerySignsForEvidence", "RelationError"),
    ("ReplyResolveName", "NamingError"),
    ("ReplySubmitNameEvidence", "NamingError"),
    ("ReplySubmitNameRevocation", "NamingError"),
    ("ReplyQueryNameEvidence", "NamingError"),
];

/// Variants that carry an error of another family.
const NESTED: &[(&str, &str)] = &[
    ("ReadsFor", "RelationError"),
    ("SignsFor", "RelationError"),
    ("Vault", "DecryptionError"),
];

/// Error variants no case reaches, and why; a listed variant that a case reaches is an error
/// in this list.
pub const UNREACHED_ERRORS: &[(&str, &str, &str)] = &[
    ("EncryptionError", "EngineFailed", RUNTIME),
    ("RelationError", "EngineFailed", RUNTIME),
    ("DecryptionError", "EngineFailed", RUNTIME),
    ("IdentityError", "EngineFailed", RUNTIME),
    ("CommitmentError", "EngineFailed", RUNTIME),
    ("VerificationError", "EngineFailed", RUNTIME),
    ("NamingError", "EngineFailed", RUNTIME),
];

const RUNTIME: &str = "made by the runtime when an engine's step panics, never by an engine";

/// What a suite covers.
#[derive(Debug, Default)]
pub struct Coverage {
    /// Cases per (engine, handler).
    pub cases: BTreeMap<(String, String), usize>,
    /// Guard rows reached, per engine.
    pub rows: BTreeSet<(String, String)>,
    /// Error variants reached, as (family, variant).
    pub errors: BTreeSet<(String, String)>,
    /// Rejection reasons reached.
    pub reasons: BTreeSet<String>,
    /// Host events reached, per engine.
    pub events: BTreeSet<(String, HostEvent)>,
}

impl Coverage {
    /// Measures `cases`.
    pub fn of(cases: &[&Case]) -> Coverage {
        let mut c = Coverage::default();
        for case in cases {
            let key = (case.engine.clone(), case.handler().to_string());
            *c.cases.entry(key).or_insert(0) += 1;
            for step in &case.steps {
                match step.event {
                    Some(event) => _ = c.events.insert((case.engine.clone(), event)),
                    None => c.step(&case.engine, &step.handler, &step.effects),
                }
            }
        }
        c
    }

    fn step(&mut self, engine: &str, handler: &str, effects: &[u8]) {
        if !handler.is_empty() {
            self.rows.insert((engine.to_string(), handler.to_string()));
        }
        let Ok(expected) = codec::decode::<Expected>(effects) else {
            return;
        };
        for r in &expected.rejected {
            self.reasons.insert(format!("{:?}", r.reason));
        }
        for env in &expected.send {
            let family = REPLY_FAMILY
                .iter()
                .find(|(m, _)| *m == env.message.name())
                .map_or("an unlisted reply", |(_, f)| f);
            if let Ok(value) = codec::decode_value(&codec::encode(&env.message)) {
                errors_in(&value, family, &mut self.errors);
            }
        }
    }

    /// Rows, variants and reasons not reached, each with why (or "no case reaches it"),
    /// and listed ones that are reached (a stale list).
    pub fn gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        for engine in ENGINES {
            for row in guards(engine).unwrap_or_default() {
                if !self.rows.contains(&(engine.to_string(), row.to_string())) {
                    gaps.push(format!("{engine}: row {row}: no case reaches it"));
                }
            }
        }
        for family in spec::error::families() {
            for variant in family.variants {
                let reached = self
                    .errors
                    .contains(&(family.name.into(), variant.to_string()));
                let listed = UNREACHED_ERRORS
                    .iter()
                    .any(|(f, v, _)| *f == family.name && v == variant);
                match (reached, listed) {
                    (false, false) => {
                        gaps.push(format!("{}::{variant}: no case reaches it", family.name));
                    }
                    (true, true) => gaps.push(format!(
                        "{}::{variant} is reached but listed as unreachable",
                        family.name
                    )),
                    _ => {}
                }
            }
        }
        for reason in spec::effects::reject_reasons() {
            if !self.reasons.contains(*reason) {
                gaps.push(format!("rejection {reason}: no case reaches it"));
            }
        }
        for (engine, event) in HOST_EVENTS {
            if !self.events.contains(&(engine.to_string(), *event)) {
                gaps.push(format!(
                    "{engine}: host event {}: no case reaches it",
                    event.name()
                ));
            }
        }
        gaps
    }

    /// The coverage as the table `generate` prints.
    pub fn table(&self) -> String {
        let mut out = String::from("engine               handler                cases\n");
        for ((engine, handler), n) in &self.cases {
            let _ = writeln!(out, "{engine:<20} {handler:<22} {n:>5}");
        }
        let rows: usize = ENGINES
            .iter()
            .map(|e| guards(e).map_or(0, <[_]>::len))
            .sum();
        let variants: usize = spec::error::families()
            .iter()
            .map(|f| f.variants.len())
            .sum();
        let _ = writeln!(
            out,
            "guard rows reached: {}/{rows}; error variants reached: {}/{variants} ({} listed as unreachable); rejection reasons reached: {}/{}; host events reached: {}/{}",
            self.rows.len(),
            self.errors.len(),
            UNREACHED_ERRORS.len(),
            self.reasons.len(),
            spec::effects::reject_reasons().len(),
            self.events.len(),
            HOST_EVENTS.len()
        );
        out
    }

    /// The coverage for `suite.json`.
    pub fn json(&self) -> Json {
        let cases: BTreeMap<String, BTreeMap<&str, usize>> =
            self.cases
                .iter()
                .fold(BTreeMap::new(), |mut m, ((engine, handler), n)| {
                    m.entry(engine.clone()).or_default().insert(handler, *n);
                    m
                });
        json!({
            "cases": cases,
            "rows": self.rows.iter().map(|(e, r)| format!("{e}/{r}")).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(|(f, v)| format!("{f}::{v}")).collect::<Vec<_>>(),
            "unreachedErrors": UNREACHED_ERRORS.iter().map(|(f, v, why)| json!({"error": format!("{f}::{v}"), "why": why})).collect::<Vec<_>>(),
            "reasons": self.reasons,
            "events": self.events.iter().map(|(e, v)| format!("{e}/{}", v.name())).collect::<Vec<_>>(),
        })
    }
}

/// Every `{"Err": …}` in `value`, as (family, variant), following nested families.
fn errors_in(value: &Value, family: &str, found: &mut BTreeSet<(String, String)>) {
    match value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if k.as_text() == Some("Err") {
                    error_variant(v, family, found);
                } else {
                    errors_in(v, family, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| errors_in(v, family, found)),
        _ => {}
    }
}

fn error_variant(value: &Value, family: &str, found: &mut BTreeSet<(String, String)>) {
    let (variant, inner) = match value {
        Value::Text(t) => (t.as_str(), None),
        Value::Map(entries) => match entries.first() {
            Some((Value::Text(t), inner)) => (t.as_str(), Some(inner)),
            _ => return,
        },
        _ => return,
    };
    found.insert((family.to_string(), variant.to_string()));
    let nested = NESTED.iter().find(|(v, _)| *v == variant);
    if let (Some((_, inner_family)), Some(inner)) = (nested, inner) {
        error_variant(inner, inner_family, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reply_names_the_family_its_errors_are_counted_in() {
        // A reply missing here would count its errors under no family, and its family's
        // variants would be gaps whatever the suite holds.
        let replies = spec::message::MESSAGE_NAMES
            .iter()
            .filter(|n| n.starts_with("Reply"));
        for name in replies {
            assert!(REPLY_FAMILY.iter().any(|(m, _)| m == name), "{name}");
        }
        let families = spec::error::families().map(|f| f.name);
        for (reply, family) in REPLY_FAMILY.iter().chain(NESTED) {
            assert!(families.contains(family), "{reply}: {family}");
        }
    }
}
