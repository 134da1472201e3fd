//! Flows: the messages one client request causes, as the model produces them.
//!
//! The history files every sent message under the flow of the message that
//! caused it (see [`crate::history::FlowStep`]). A flow-collecting run visits
//! every quiescent state and keeps the distinct flows, reduced to their shape:
//! who sent what to whom, with the fields a diagram may state conditions on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ciborium::Value;
use spec::{Message, codec};
use stateright::{Checker, Model as _};

use crate::history::FlowStep;
use crate::properties::{State, quiescent};
use crate::run::Limits;
use crate::scenarios::{Model, Role, Scenario};

/// A participant of a flow, as diagrams name it.
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
}

impl Party {
    /// Every party, with the name diagrams use.
    pub const ALL: [(Party, &'static str); 6] = [
        (Party::Client, "Client"),
        (Party::Adversary, "Adversary"),
        (Party::Encryption, "Encryption"),
        (Party::ReadsFor, "ReadsFor"),
        (Party::Decryption, "Decryption"),
        (Party::IdentityManagement, "IdentityManagement"),
    ];

    /// The name diagrams use.
    pub fn name(self) -> &'static str {
        Party::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("?", |(_, n)| n)
    }

    fn of(role: Role) -> Option<Party> {
        Some(match role {
            Role::Client => Party::Client,
            Role::Adversary => Party::Adversary,
            Role::Encryption | Role::Router => Party::Encryption,
            Role::ReadsFor => Party::ReadsFor,
            Role::Decryption => Party::Decryption,
            Role::IdentityManagement => Party::IdentityManagement,
            Role::Negative => return None,
        })
    }
}

/// One step of a flow's shape.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    /// Sender.
    pub from: Party,
    /// Receiver.
    pub to: Party,
    /// Message constructor.
    pub name: &'static str,
    /// A reply rather than a request.
    pub reply: bool,
    /// Field values a diagram may test: booleans, and results as `Ok`, `Err(Variant)`.
    pub fields: BTreeMap<String, String>,
}

/// A flow's shape.
pub type Flow = Vec<Shape>;

/// What a flow-collecting run saw.
#[derive(Debug, Default)]
pub struct Collected {
    /// Every distinct flow seen in a quiescent state.
    pub flows: BTreeSet<Flow>,
    /// Flows that, in some quiescent state, had not reached a reply to their client.
    pub incomplete: BTreeSet<Flow>,
    roles: Vec<Role>,
}

/// The testable fields of a message: booleans, and results.
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
        let shown = match value {
            Value::Bool(b) => b.to_string(),
            Value::Map(entries) if entries.len() == 1 => match &entries[0] {
                (Value::Text(tag), _) if tag == "Ok" => "Ok".to_string(),
                (Value::Text(tag), Value::Text(variant)) if tag == "Err" => {
                    format!("Err({variant})")
                }
                (Value::Text(tag), Value::Map(inner)) if tag == "Err" => match inner.first() {
                    Some((Value::Text(variant), _)) => format!("Err({variant})"),
                    _ => "Err".to_string(),
                },
                _ => continue,
            },
            _ => continue,
        };
        out.insert(key, shown);
    }
    out
}

fn shape(roles: &[Role], steps: &[FlowStep]) -> Option<Flow> {
    steps
        .iter()
        .map(|s| {
            Some(Shape {
                from: Party::of(*roles.get(s.from)?)?,
                to: Party::of(*roles.get(s.to)?)?,
                name: s.message.name(),
                reply: !s.message.is_request(),
                fields: fields(&s.message),
            })
        })
        .collect()
}

/// The property condition of a flow-collecting run: files the flows of every quiescent state.
pub fn collect_condition(model: &Model, state: &State) -> bool {
    let Some(collector) = &model.cfg.collector else {
        return true;
    };
    if !quiescent(state) {
        return true;
    }
    let mut c = collector.lock().unwrap_or_else(PoisonError::into_inner);
    if c.roles.is_empty() {
        c.roles = model.cfg.roles.clone();
    }
    for ((root, _), steps) in &state.history.flows {
        // Flows start with a request; a spoofed reply sent by an adversary is no flow.
        if steps.first().is_none_or(|s| !s.message.is_request()) {
            continue;
        }
        let Some(flow) = shape(&c.roles, steps) else {
            continue;
        };
        let answered = steps
            .last()
            .is_some_and(|s| s.to == *root && !s.message.is_request());
        if !answered {
            c.incomplete.insert(flow.clone());
        }
        c.flows.insert(flow);
    }
    true
}

/// Explores `scenario` and returns the flows of its quiescent states (or why it was cut short).
pub fn collect(scenario: &Scenario, limits: Limits) -> Result<Collected, String> {
    let collector = Arc::new(Mutex::new(Collected::default()));
    let start = Instant::now();
    let checker = scenario
        .flow_model(collector.clone())
        .checker()
        .threads(limits.threads.max(1))
        .target_state_count(limits.max_states)
        .timeout(limits.time_limit)
        .spawn_bfs()
        .join();
    if checker.state_count() >= limits.max_states
        || start.elapsed() >= limits.time_limit.saturating_sub(Duration::from_millis(1))
    {
        return Err(format!(
            "collecting the flows of `{}` was cut short",
            scenario.name
        ));
    }
    drop(checker);
    let collected = std::mem::take(&mut *collector.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(collected)
}

/// A flow as a mermaid sequence diagram, ready to paste into the docs.
pub fn mermaid(title: &str, flow: &Flow) -> String {
    let mut parties: Vec<Party> = Vec::new();
    for s in flow {
        for p in [s.from, s.to] {
            if !parties.contains(&p) {
                parties.push(p);
            }
        }
    }
    let mut out = format!("sequenceDiagram\n    title {title}\n");
    for p in parties {
        out.push_str(&format!("    participant {}\n", p.name()));
    }
    for s in flow {
        out.push_str(&format!(
            "    {}{}{}: {}\n",
            s.from.name(),
            if s.reply { "-->>" } else { "->>" },
            s.to.name(),
            label(s)
        ));
    }
    out
}

/// An arrow label: the constructor and its testable fields.
pub fn label(s: &Shape) -> String {
    if s.fields.is_empty() {
        s.name.to_string()
    } else {
        let conds: Vec<String> = s.fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{} ({})", s.name, conds.join(", "))
    }
}
