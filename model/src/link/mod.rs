//! The link model: the connection state machine between nodes, under an on-path attacker.
//!
//! Alice dials Bob; Mallory dials Bob too (registered with Bob, or not), taps the wire
//! between Alice and Bob, and injects frames it saw — onto Alice's connection, its own,
//! a fresh one, or back towards Alice — up to a budget. Each side runs
//! [`engines::link::Link::step`] over the symbolic Noise terms, whose only power is
//! that a term read by the wrong handshake or session fails, as an AEAD would.

pub mod actors;
mod properties;

use std::time::Instant;

use stateright::actor::{ActorModel, ActorModelAction, Network};
use stateright::{Checker, Expectation};

use crate::arrow::Arrow;
use crate::run::{PropertyResult, ScenarioReport, Step, explore, outcome, shortest_path};
use crate::system::Limits;
use actors::{ALICE, BOB, Inject, LinkActor, LinkMsg, MALLORY, NODES, identity};
use engines::link::Peer;
pub use properties::{PROPERTIES, Property};

/// The model.
pub type LinkModel = ActorModel<LinkActor>;

/// One entry of the link table.
#[derive(Debug, Clone, Copy)]
pub struct LinkScenario {
    /// Its name (`--scenario NAME`).
    pub name: &'static str,
    /// What it exercises.
    pub summary: &'static str,
    /// Whether Bob accepts Mallory as a peer.
    pub mallory_registered: bool,
    /// Frames Mallory may inject.
    pub injections: u8,
    /// The reachability properties that apply (every safety property always does).
    pub reachable: &'static [&'static str],
    /// Unique states, pinned by the tests.
    pub states: usize,
}

/// The link scenarios `sealwright check` runs.
pub const SCENARIOS: &[LinkScenario] = &[
    LinkScenario {
        name: "link",
        summary: "Alice and Mallory, both registered, dial Bob; Mallory injects two frames it tapped from Alice's link, anywhere",
        mallory_registered: true,
        injections: 2,
        reachable: &[
            "both ends connected",
            "bob delivered alice's envelope",
            "alice delivered bob's envelope",
            "an injected frame refused",
            "a replayed first message accepted",
            "a forged sender refused",
            "mallory connected",
        ],
        states: 518222,
    },
    LinkScenario {
        name: "link-unregistered",
        summary: "Mallory is nobody Bob knows: its handshake is refused after it proves who it is; one injection",
        mallory_registered: false,
        injections: 1,
        reachable: &[
            "both ends connected",
            "bob delivered alice's envelope",
            "an unregistered peer refused",
        ],
        states: 22441,
    },
];

/// The scenario named `name`.
pub fn find(name: &str) -> Option<LinkScenario> {
    SCENARIOS.iter().find(|s| s.name == name).copied()
}

fn peer(i: usize) -> Peer {
    Peer {
        node: NODES[i].to_string(),
        identity: identity(i as u8),
    }
}

impl LinkScenario {
    /// The properties checked: every safety property and this scenario's reachables.
    pub fn properties(&self) -> Vec<&'static Property> {
        PROPERTIES
            .iter()
            .filter(|p| {
                matches!(p.expectation, Expectation::Always) || self.reachable.contains(&p.name)
            })
            .collect()
    }

    /// The stateright model, with its properties (or only the one named).
    pub fn model(&self, only: Option<&str>) -> LinkModel {
        let bob_peers = if self.mallory_registered {
            vec![peer(ALICE), peer(MALLORY)]
        } else {
            vec![peer(ALICE)]
        };
        let actor = |index: usize, peers: Vec<Peer>, budget: u8| LinkActor {
            index,
            identity: identity(index as u8),
            peers,
            budget,
        };
        let mut model = ActorModel::new((), ())
            .actor(actor(ALICE, vec![peer(BOB)], 0))
            .actor(actor(BOB, bob_peers, 0))
            .actor(actor(MALLORY, vec![peer(BOB)], self.injections))
            .init_network(Network::new_ordered([]));
        for p in self.properties() {
            if only.is_none_or(|o| o == p.name) {
                model = model.property(p.expectation.clone(), p.name, p.condition);
            }
        }
        model
    }

    /// Explores the scenario and judges each property.
    pub fn run(
        &self,
        limits: Limits,
        progress: &mut dyn FnMut(usize, usize, f64),
    ) -> ScenarioReport {
        let start = Instant::now();
        let checker = explore(self.model(None), limits, progress);
        let found = checker.discoveries();
        let complete = self.properties().iter().all(|p| found.contains_key(p.name))
            || (checker.state_count() < limits.max_states && start.elapsed() < limits.time_limit);
        let properties = self
            .properties()
            .into_iter()
            .map(|p| {
                let outcome = outcome(&p.expectation, found.contains_key(p.name), false);
                let trace = (!outcome.passes() && p.expectation == Expectation::Always)
                    .then(|| self.shortest(p.name, limits))
                    .flatten();
                PropertyResult {
                    name: p.name,
                    meaning: p.meaning,
                    expectation: if p.expectation == Expectation::Always {
                        "always"
                    } else {
                        "sometimes"
                    },
                    outcome,
                    trace,
                    detail: None,
                }
            })
            .collect();
        ScenarioReport {
            name: self.name,
            summary: self.summary,
            bounds: vec![("injections", u32::from(self.injections))],
            network: "ordered",
            names: NODES.iter().map(|n| n.to_string()).collect(),
            generated: checker.state_count(),
            unique: checker.unique_state_count(),
            depth: checker.max_depth(),
            seconds: start.elapsed().as_secs_f64(),
            truncated: (!complete).then(|| {
                format!(
                    "stopped at a bound ({} states generated)",
                    checker.state_count()
                )
            }),
            properties,
            not_applicable: Vec::new(),
        }
    }

    /// A shortest counterexample to `property`.
    fn shortest(&self, property: &'static str, limits: Limits) -> Option<Vec<Step>> {
        let path = shortest_path(self.model(Some(property)), property, limits)?;
        Some(path.into_actions().into_iter().map(step).collect())
    }
}

fn step(action: ActorModelAction<LinkMsg, (), Inject>) -> Step {
    let arrow = |from: usize, to: usize, name: String| Arrow {
        from,
        to,
        name,
        reply: false,
        fields: Vec::new(),
        row: "",
    };
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            let name = match msg {
                LinkMsg::Frame { conn, bytes } => {
                    format!("frame on connection {conn} ({} bytes)", bytes.len())
                }
                LinkMsg::Tap { to, .. } => format!("tapped frame to {}", NODES[to]),
            };
            Step::Deliver(arrow(usize::from(src), usize::from(dst), name), None)
        }
        ActorModelAction::SelectRandom { actor, random, .. } => Step::Choice(
            usize::from(actor),
            format!(
                "inject a seen frame ({} bytes) to {} on connection {}",
                random.frame.len(),
                NODES[random.to],
                random.conn
            ),
        ),
        ActorModelAction::Drop(env) => Step::Lost(arrow(
            usize::from(env.src),
            usize::from(env.dst),
            "frame".into(),
        )),
        ActorModelAction::Timeout(id, ()) => Step::Timeout(usize::from(id), String::new()),
        ActorModelAction::Crash(id) | ActorModelAction::Recover(id) => {
            Step::Timeout(usize::from(id), "crash".into())
        }
    }
}
