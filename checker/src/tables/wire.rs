//! What the code says about the wire: each type's fields in order, the kinds of value each
//! field takes (read from the generated envelope vectors), and each error's code.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow};
use ciborium::Value;
use spec::{Envelope, codec};

/// The kind of a CBOR value, as a table's "wire type" column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A byte string.
    Bytes,
    /// `true` or `false`.
    Bool,
    /// An unsigned integer.
    Int,
    /// A text string.
    Text,
    /// `null`.
    Null,
    /// A map (a struct).
    Map,
    /// An array.
    Array,
    /// `{"Ok": …}` or `{"Err": …}`.
    Result,
}

impl Kind {
    /// How the check names the kind in a finding.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bytes => "a byte string",
            Kind::Bool => "a bool",
            Kind::Int => "an integer",
            Kind::Text => "text",
            Kind::Null => "null",
            Kind::Map => "a map",
            Kind::Array => "an array",
            Kind::Result => "an Ok/Err map",
        }
    }
}

/// The kind of `v`.
pub fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Bytes(_) => Kind::Bytes,
        Value::Bool(_) => Kind::Bool,
        Value::Integer(_) => Kind::Int,
        Value::Text(_) => Kind::Text,
        Value::Null => Kind::Null,
        Value::Array(_) => Kind::Array,
        Value::Map(m)
            if m.len() == 1 && matches!(&m[0].0, Value::Text(k) if k == "Ok" || k == "Err") =>
        {
            Kind::Result
        }
        _ => Kind::Map,
    }
}

/// Types the site documents that travel inside messages: (type, message, field, inside `Ok`).
const NESTED: &[(&str, &str, &str, bool)] = &[
    (
        "ReadsForEvidence",
        "RequestSubmitReadsForEvidence",
        "evidence",
        false,
    ),
    (
        "ReadsForRevocation",
        "RequestSubmitReadsForRevocation",
        "revocation",
        false,
    ),
    (
        "SignsForEvidence",
        "RequestSubmitSignsForEvidence",
        "evidence",
        false,
    ),
    (
        "SignsForRevocation",
        "RequestSubmitSignsForRevocation",
        "revocation",
        false,
    ),
    (
        "NameEvidence",
        "RequestSubmitNameEvidence",
        "evidence",
        false,
    ),
    (
        "NameRevocation",
        "RequestSubmitNameRevocation",
        "revocation",
        false,
    ),
    ("GeneratedKey", "ReplyGenerateKey", "result", true),
    ("Commitment", "RequestVerification", "commitment", false),
    ("Commitment", "ReplyCommitment", "result", true),
];

/// Fields of a type in wire order, each with the kinds of value seen in it.
pub type Shape = Vec<(String, BTreeSet<Kind>)>;

/// What the code says.
#[derive(Debug, Default)]
pub struct Code {
    /// Each documented type's fields, by type name.
    pub shapes: BTreeMap<String, Shape>,
    /// Each error's code, by family hundred and variant wire name.
    pub codes: BTreeMap<u16, BTreeMap<String, u16>>,
    /// What the vectors show inside a variant with data, by family hundred and variant: the
    /// inner variants' names (`Malformed(SelfReference)`) and the field names (`Revoked {
    /// revokedThrough }`).
    pub inner: BTreeMap<(u16, String), BTreeSet<String>>,
}

fn map_get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// Adds one sample of type `name` (a map) to its shape.
fn observe(shapes: &mut BTreeMap<String, Shape>, name: &str, body: &Value) {
    let shape = shapes.entry(name.to_string()).or_default();
    for (k, v) in body.as_map().into_iter().flatten() {
        let Some(field) = k.as_text() else { continue };
        match shape.iter_mut().find(|(f, _)| f == field) {
            Some((_, kinds)) => {
                kinds.insert(kind_of(v));
            }
            None => shape.push((field.to_string(), BTreeSet::from([kind_of(v)]))),
        }
    }
}

/// The wire name of the error `v` (`"Name"` or `{"Name": …}`).
fn variant_name(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        Value::Map(m) => m.first()?.0.as_text().map(str::to_string),
        _ => None,
    }
}

impl Code {
    /// Reads the shapes and codes from the envelope vectors `sealwright vectors` generates.
    pub fn from_vectors() -> Result<Code> {
        let vectors = crate::vectors::generate()?;
        let (_, json) = vectors
            .files
            .iter()
            .find(|(name, _)| *name == "envelopes.json")
            .ok_or_else(|| anyhow!("the vectors have no envelopes.json"))?;
        let doc: serde_json::Value = serde_json::from_str(json).context("envelopes.json")?;
        let mut code = Code::default();
        for v in doc["vectors"].as_array().into_iter().flatten() {
            let hex = v["cbor"].as_str().unwrap_or_default();
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .context("a vector's cbor is not hex")?;
            code.add(&bytes)?;
        }
        Ok(code)
    }

    fn add(&mut self, bytes: &[u8]) -> Result<()> {
        let envelope: Envelope = codec::decode(bytes).context("a vector does not decode")?;
        let value: Value = ciborium::from_reader(bytes).context("a vector is not CBOR")?;
        let message = map_get(&value, "message").ok_or_else(|| anyhow!("no message"))?;
        let name = envelope.message.name();
        let body = map_get(message, name).ok_or_else(|| anyhow!("no body for {name}"))?;
        observe(&mut self.shapes, name, body);
        for (ty, in_message, field, in_ok) in NESTED {
            let inner = map_get(body, field).filter(|_| *in_message == name);
            let inner = if *in_ok {
                inner.and_then(|r| map_get(r, "Ok"))
            } else {
                inner
            };
            if let Some(inner) = inner.filter(|v| kind_of(v) == Kind::Map) {
                observe(&mut self.shapes, ty, inner);
            }
        }
        if let Some(coded) = envelope.message.error() {
            let err = map_get(body, "result").and_then(|r| map_get(r, "Err"));
            if let Some(variant) = err.and_then(variant_name) {
                let code = coded.code();
                let inner = self.inner.entry((code / 100, variant.clone())).or_default();
                let data = err
                    .and_then(Value::as_map)
                    .and_then(|m| m.first())
                    .map(|(_, v)| v);
                match data {
                    Some(Value::Text(t)) => {
                        inner.insert(t.clone());
                    }
                    Some(Value::Map(m)) => inner.extend(
                        m.iter()
                            .filter_map(|(k, _)| k.as_text().map(str::to_string)),
                    ),
                    _ => {}
                }
                self.codes
                    .entry(code / 100)
                    .or_default()
                    .insert(variant, code);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_vectors_show_every_message_and_every_error_variant() {
        let code = Code::from_vectors().unwrap();
        for name in spec::message::MESSAGE_NAMES {
            let fields: Vec<&str> = code.shapes[*name].iter().map(|(f, _)| f.as_str()).collect();
            assert_eq!(
                fields,
                spec::message::message_fields(name).unwrap(),
                "{name}"
            );
        }
        for (ty, ..) in NESTED {
            assert!(!code.shapes[*ty].is_empty(), "{ty}");
        }
        for family in spec::error::families() {
            let seen: BTreeSet<&str> = code.codes[&family.hundred]
                .keys()
                .map(String::as_str)
                .collect();
            let all: BTreeSet<&str> = family.variants.iter().copied().collect();
            assert_eq!(seen, all, "{}", family.name);
        }
        assert_eq!(code.codes[&1]["PlaintextTooLarge"], 105);
        assert_eq!(
            code.shapes["RequestEncrypt"][2],
            ("useReadsFor".to_string(), BTreeSet::from([Kind::Bool]))
        );
    }
}
