//! One arrow type for traces, flows and diagrams, and its one renderer.
//!
//! A trace's arrows join actors (by index), a flow's and a diagram's join parties
//! (engine roles); both are an [`Arrow`], and both render as a mermaid line the same way.

use std::collections::BTreeMap;
use std::fmt;

use ciborium::Value;
use spec::{Message, codec};

use crate::vocab::{LegacyMsg, ModelMsg, Role};

/// A participant of a flow or a diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Party {
    /// A client.
    Client,
    /// A client with a hostile menu.
    Adversary,
    /// The Encryption engine (or a pool of them).
    Encryption,
    /// The ReadsFor engine.
    ReadsFor,
    /// The Decryption engine (vault).
    Decryption,
    /// The Identity Management engine.
    IdentityManagement,
    /// The SignsFor engine.
    SignsFor,
    /// The Verification engine (or a pool of them).
    Verification,
    /// The Naming engine.
    Naming,
}

impl Party {
    /// Every party, with the name diagrams use.
    pub const ALL: [(Party, &'static str); 9] = [
        (Party::Client, "Client"),
        (Party::Adversary, "Adversary"),
        (Party::Encryption, "Encryption"),
        (Party::ReadsFor, "ReadsFor"),
        (Party::Decryption, "Decryption"),
        (Party::IdentityManagement, "IdentityManagement"),
        (Party::SignsFor, "SignsFor"),
        (Party::Verification, "Verification"),
        (Party::Naming, "Naming"),
    ];

    /// The name diagrams use.
    pub fn name(self) -> &'static str {
        Party::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("?", |(_, n)| n)
    }

    /// The party an actor of this role plays, if it is one of the engine family.
    pub fn of(role: Role) -> Option<Party> {
        Some(match role {
            Role::Client => Party::Client,
            Role::Adversary => Party::Adversary,
            Role::Encryption | Role::Router => Party::Encryption,
            Role::ReadsFor => Party::ReadsFor,
            Role::Decryption => Party::Decryption,
            Role::IdentityManagement => Party::IdentityManagement,
            Role::SignsFor => Party::SignsFor,
            Role::Verification => Party::Verification,
            Role::Naming => Party::Naming,
            Role::Negative => return None,
        })
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One message from one participant to another: its name and the fields a reader may test.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arrow<P> {
    /// Sender.
    pub from: P,
    /// Receiver.
    pub to: P,
    /// The message constructor (or a negative design's message, in words).
    pub name: String,
    /// A reply (dashed arrow) rather than a request.
    pub reply: bool,
    /// Field conditions `(field, value)`: booleans, and results as `Ok` or `Err(Variant)`.
    pub fields: Vec<(String, String)>,
    /// The row of the sending engine's guard table that chose to send it: in a model flow,
    /// what the engine reported (empty for clients); in a diagram, what a branch label
    /// requires of the branch's first arrow (empty: nothing required).
    pub row: &'static str,
}

impl<P> Arrow<P> {
    /// The arrow of `msg` from `from` to `to`.
    pub fn of(from: P, to: P, msg: &ModelMsg) -> Self {
        match msg {
            ModelMsg::Spec(env, row) => Arrow {
                row,
                ..Arrow::of_message(from, to, &env.message)
            },
            ModelMsg::Legacy(m) => Arrow {
                from,
                to,
                name: legacy_label(m),
                reply: matches!(m, LegacyMsg::Encrypted { .. }),
                fields: Vec::new(),
                row: "",
            },
        }
    }

    /// The arrow of one message of the vocabulary.
    pub fn of_message(from: P, to: P, message: &Message) -> Self {
        Arrow {
            from,
            to,
            name: message.name().to_string(),
            reply: !message.is_request(),
            fields: fields(message).into_iter().collect(),
            row: "",
        }
    }

    /// The arrow with its ends renamed.
    pub fn map<Q>(&self, mut f: impl FnMut(&P) -> Q) -> Arrow<Q> {
        Arrow {
            from: f(&self.from),
            to: f(&self.to),
            name: self.name.clone(),
            reply: self.reply,
            fields: self.fields.clone(),
            row: self.row,
        }
    }

    /// The label: the name and its field conditions, `Name (field: value, ...)`.
    pub fn label(&self) -> String {
        if self.fields.is_empty() {
            self.name.clone()
        } else {
            let conds: Vec<String> = self
                .fields
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            format!("{} ({})", self.name, conds.join(", "))
        }
    }
}

impl<P: fmt::Display> fmt::Display for Arrow<P> {
    /// The mermaid line: `From->>To: Label` for a request, `From-->>To: Label` for a reply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = if self.reply { "-->>" } else { "->>" };
        write!(
            f,
            "{}{arrow}{}: {}",
            self.from,
            self.to,
            self.label().replace([';', '#'], " ")
        )
    }
}

/// The testable fields of a message: booleans, and results as `Ok` / `Err(Variant)`.
pub fn fields(message: &Message) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(Value::Map(outer)) = codec::decode_value(&codec::encode(message)) else {
        return out;
    };
    let Some((_, Value::Map(body))) = outer.into_iter().next() else {
        return out;
    };
    for (key, value) in body {
        let Value::Text(key) = key else { continue };
        if let Some(shown) = shown(&value) {
            out.insert(key, shown);
        }
    }
    out
}

fn shown(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(b.to_string()),
        Value::Map(entries) if entries.len() == 1 => match &entries[0] {
            (Value::Text(tag), _) if tag == "Ok" => Some("Ok".to_string()),
            (Value::Text(tag), Value::Text(variant)) if tag == "Err" => {
                Some(format!("Err({variant})"))
            }
            (Value::Text(tag), Value::Map(inner)) if tag == "Err" => Some(match inner.first() {
                Some((Value::Text(variant), _)) => format!("Err({variant})"),
                _ => "Err".to_string(),
            }),
            _ => None,
        },
        _ => None,
    }
}

/// A negative design's message, in words.
pub fn legacy_label(m: &LegacyMsg) -> String {
    let user = |o: u8| char::from(b'A' + o).to_string();
    let member = |m: u8| char::from(b'a' + m).to_string();
    match m {
        LegacyMsg::Switch { owner } => format!("switch {}", user(*owner)),
        LegacyMsg::EncryptFile { owner } => format!("encrypt {}", user(*owner)),
        LegacyMsg::Encrypted { owner, context } => format!(
            "{}'s file under {}'s context",
            user(*owner),
            context.map_or("no".into(), user)
        ),
        LegacyMsg::RemoveMember(m) => format!("remove {}", member(*m)),
        LegacyMsg::RotateKey { recipients } => {
            let list: Vec<String> = recipients.iter().map(|m| member(*m)).collect();
            format!("rotate keys([{}])", list.join(", "))
        }
    }
}

/// A sequence of arrows as a mermaid sequence diagram, participants in order of appearance.
pub fn mermaid<P: fmt::Display + PartialEq + Clone>(
    title: Option<&str>,
    arrows: &[Arrow<P>],
) -> String {
    let mut parties: Vec<P> = Vec::new();
    for a in arrows {
        for p in [&a.from, &a.to] {
            if !parties.contains(p) {
                parties.push(p.clone());
            }
        }
    }
    let mut out = String::from("sequenceDiagram\n");
    if let Some(title) = title {
        out.push_str(&format!("    title {title}\n"));
    }
    for p in parties {
        out.push_str(&format!("    participant {p}\n"));
    }
    for a in arrows {
        out.push_str(&format!("    {a}\n"));
    }
    out
}
