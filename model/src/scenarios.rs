//! Scenarios as data: a scenario is a table entry (name, network, named bounds, a setup, the
//! properties it checks), and a setup is a declarative description of the system — clients
//! and their menus, engines and their configuration, the evidence and ownership it starts
//! with. Actor indices and addresses are computed here, never written in an entry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use engines::decryption::{Decryption, DecryptionState};
use engines::encryption::Encryption;
use engines::identity::InternalIdentity;
use engines::identity_management::{IdentityManagement, IdentityManagementState, Managed};
use engines::naming::{Naming, NamingState};
use engines::reads_for::{ReadsFor, ReadsForState};
use engines::signs_for::{SignsFor, SignsForState};
use engines::verification::Verification;
use spec::{NameEvidence, ReadsForEvidence, SignsForEvidence};
use stateright::actor::{ActorModel, LossyNetwork, Network};

use crate::actors::{Client, ModelActor, Node, RelationFault};
use crate::config::{Collected, ModelCfg};
use crate::crypto::{Crypto, ModelBackend};
use crate::history::History;
use crate::negative::NegativeNode;
use crate::properties::{self, Check};
use crate::recorder::Recorder;
use crate::system::Model;
use crate::vocab::{Directory, Intent, NetworkKind, Role, To, address};

/// A named bound of a scenario, with its default and the range it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name (`--set NAME=VALUE`).
    pub name: &'static str,
    /// The value `check` uses unless told otherwise.
    pub default: u32,
    /// The smallest value accepted.
    pub min: u32,
    /// The largest value accepted.
    pub max: u32,
    /// What it bounds.
    pub meaning: &'static str,
}

impl Param {
    /// A bound named `name` with `default`, accepting `min..=max`.
    pub const fn new(
        name: &'static str,
        default: u32,
        min: u32,
        max: u32,
        meaning: &'static str,
    ) -> Param {
        Param {
            name,
            default,
            min,
            max,
            meaning,
        }
    }
}

/// The number of clients (every scenario of the engines has it).
pub const CLIENTS: &str = "clients";
/// Requests each client issues (at most its menu's length).
pub const REQUESTS: &str = "requests";
/// Links of the reads-for chain from the submitting client's identity to the target.
pub const CHAIN: &str = "chain";
/// Encryption instances in the pool.
pub const INSTANCES: &str = "instances";
/// Cookie-key rotations of the pool's first instance.
pub const ROTATIONS: &str = "rotations";
/// Times a client resends an unanswered request.
pub const RETRIES: &str = "retries";

/// The bounds a scenario runs at: a value for each of its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds(BTreeMap<&'static str, u32>);

impl Bounds {
    /// The value of `name`, or 0 if the scenario has no such parameter.
    pub fn get(&self, name: &str) -> u32 {
        self.0.get(name).copied().unwrap_or(0)
    }

    /// Each parameter and its value, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&if parts.is_empty() {
            "fixed".to_string()
        } else {
            parts.join(" ")
        })
    }
}

/// Why a bound cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    /// The scenario has no parameter of that name.
    #[error("scenario `{scenario}` has no parameter `{name}`; its parameters are: {known}")]
    Unknown {
        /// The scenario.
        scenario: &'static str,
        /// The name given.
        name: String,
        /// Its parameters.
        known: String,
    },
    /// The value is outside the parameter's range.
    #[error(
        "`{name}={value}` is out of range for scenario `{scenario}`: {name} must be in {min}..={max}"
    )]
    OutOfRange {
        /// The scenario.
        scenario: &'static str,
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: u32,
        /// Smallest accepted.
        min: u32,
        /// Largest accepted.
        max: u32,
    },
}

/// An item of a client's menu: a message, or one built once the system is laid out.
pub enum Ask {
    /// A message whose content does not depend on the layout.
    Now(Box<Intent>),
    /// A message built from the layout (an adversary replaying what an engine would send).
    Later(Box<dyn Fn(&Directory) -> Intent>),
}

/// A client of a setup.
pub struct ClientSpec {
    /// Its display name.
    pub name: String,
    /// An adversary rather than an honest client.
    pub hostile: bool,
    /// What it may ask.
    pub menu: Vec<Ask>,
    /// How many requests it issues at most (capped by the menu's length).
    pub budget: u32,
}

impl ClientSpec {
    /// An honest client.
    pub fn honest(name: impl Into<String>, menu: Vec<Intent>) -> Self {
        ClientSpec {
            name: name.into(),
            hostile: false,
            menu: menu.into_iter().map(|i| Ask::Now(Box::new(i))).collect(),
            budget: u32::MAX,
        }
    }

    /// An adversary.
    pub fn hostile(name: impl Into<String>, menu: Vec<Ask>) -> Self {
        ClientSpec {
            name: name.into(),
            hostile: true,
            menu,
            budget: u32::MAX,
        }
    }
}

/// An engine (or a negative design's actor) of a setup.
pub enum EngineSpec {
    /// The Encryption engine: one instance, or a pool behind a router.
    Encryption {
        /// Instances (more than one puts a router in front).
        instances: u32,
        /// Cookie-key rotations of the first instance.
        rotations: u32,
    },
    /// The ReadsFor engine, with an injected fault.
    ReadsFor(RelationFault),
    /// The vault: holds the setup's owners' identities; managed by Identity Management if present.
    Vault,
    /// Identity Management: manages the setup's owners' identities.
    Identity,
    /// The SignsFor engine, with an injected fault.
    SignsFor(RelationFault),
    /// The Verification engine: one instance, or a pool behind a router.
    Verification {
        /// Instances (more than one puts a router in front).
        instances: u32,
    },
    /// The Naming engine, starting with the setup's names.
    Naming,
    /// The Anoma v0.2 Encryption engine (a negative design), in the Encryption engine's place.
    V02,
    /// A negative design's actor, by name, built once the layout is known.
    Negative(&'static str, Box<dyn Fn(&Directory) -> NegativeNode>),
}

/// A system to check: a declarative description, laid out by [`Setup::build`].
pub struct Setup {
    /// The clients, in order (they come first in the layout).
    pub clients: Vec<ClientSpec>,
    /// The engines, in order.
    pub engines: Vec<EngineSpec>,
    /// The evidence the ReadsFor engine starts with.
    pub evidence: Vec<ReadsForEvidence>,
    /// The evidence the SignsFor engine starts with.
    pub signs_evidence: Vec<SignsForEvidence>,
    /// Name evidence the Naming engine starts with, submitted in this order.
    pub names: Vec<NameEvidence>,
    /// Identities owned by clients (by position): the vault holds them, Identity Management manages them.
    pub owners: Vec<(usize, InternalIdentity)>,
    /// The Encryption engine's plaintext limit.
    pub max_plaintext: usize,
    /// Clients (by position) the vault serves for every identity it holds.
    pub authorised: Vec<usize>,
}

impl Setup {
    /// A setup with these clients and engines and nothing else.
    pub fn new(clients: Vec<ClientSpec>, engines: Vec<EngineSpec>) -> Self {
        Setup {
            clients,
            engines,
            evidence: Vec::new(),
            signs_evidence: Vec::new(),
            names: Vec::new(),
            owners: Vec::new(),
            max_plaintext: Encryption::DEFAULT_MAX_PLAINTEXT,
            authorised: Vec::new(),
        }
    }
}

/// A laid-out system: its actors and the configuration properties read.
pub struct Built {
    /// The actors, by index.
    pub actors: Vec<ModelActor>,
    /// The configuration.
    pub cfg: ModelCfg,
}

/// An address no actor has (an engine with nobody to ask).
fn nobody() -> spec::Address {
    address(usize::MAX >> 1)
}

/// Where each engine goes: its index, and its role(s) and name(s).
fn layout(setup: &Setup) -> (Directory, Vec<(String, Role)>) {
    let mut dir = Vec::new();
    let mut actors: Vec<(String, Role)> = setup
        .clients
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                if c.hostile {
                    Role::Adversary
                } else {
                    Role::Client
                },
            )
        })
        .collect();
    for engine in &setup.engines {
        let at = actors.len();
        match engine {
            EngineSpec::Encryption { instances, .. } if *instances > 1 => {
                dir.push((To::Encryption, at));
                actors.push(("pool".into(), Role::Router));
                for i in 1..=*instances {
                    actors.push((format!("encryption-{i}"), Role::Encryption));
                }
            }
            EngineSpec::Encryption { .. } => {
                dir.push((To::Encryption, at));
                actors.push(("encryption".into(), Role::Encryption));
            }
            EngineSpec::ReadsFor(_) => {
                dir.push((To::ReadsFor, at));
                actors.push(("reads-for".into(), Role::ReadsFor));
            }
            EngineSpec::Vault => {
                dir.push((To::Vault, at));
                actors.push(("vault".into(), Role::Decryption));
            }
            EngineSpec::Identity => {
                dir.push((To::Identity, at));
                actors.push(("identity".into(), Role::IdentityManagement));
            }
            EngineSpec::SignsFor(_) => {
                dir.push((To::SignsFor, at));
                actors.push(("signs-for".into(), Role::SignsFor));
            }
            EngineSpec::Verification { instances } if *instances > 1 => {
                dir.push((To::Verification, at));
                actors.push(("verification-pool".into(), Role::Router));
                for i in 1..=*instances {
                    actors.push((format!("verification-{i}"), Role::Verification));
                }
            }
            EngineSpec::Verification { .. } => {
                dir.push((To::Verification, at));
                actors.push(("verification".into(), Role::Verification));
            }
            EngineSpec::Naming => {
                dir.push((To::Naming, at));
                actors.push(("naming".into(), Role::Naming));
            }
            EngineSpec::V02 => {
                dir.push((To::Encryption, at));
                actors.push(("encryption-v0.2".into(), Role::Negative));
            }
            EngineSpec::Negative(name, _) => {
                dir.push((To::Named(name), at));
                actors.push(((*name).into(), Role::Negative));
            }
        }
    }
    (Directory(dir), actors)
}

impl Setup {
    /// Lays the system out: indices, addresses, engine configurations, the model's configuration.
    pub fn build(self, network: NetworkKind, retries: u8) -> Built {
        let (dir, names_roles) = layout(&self);
        let mut nodes: Vec<Node> = Vec::new();
        let mut speaks_for: Vec<usize> = Vec::new();
        for c in &self.clients {
            let menu: Vec<Intent> = c
                .menu
                .iter()
                .map(|ask| match ask {
                    Ask::Now(i) => (**i).clone(),
                    Ask::Later(f) => f(&dir),
                })
                .collect();
            let budget = u8::try_from(c.budget.min(menu.len() as u32)).unwrap_or(u8::MAX);
            speaks_for.push(nodes.len());
            nodes.push(Node::Client(Client {
                menu: Arc::new(menu),
                budget,
                retries,
            }));
        }
        for engine in &self.engines {
            let here = nodes.len();
            for (node, speaks) in self.engine_nodes(engine, here, &dir) {
                nodes.push(node);
                speaks_for.push(speaks);
            }
        }
        let mut initial_owned: BTreeMap<usize, BTreeSet<spec::IdentityId>> = BTreeMap::new();
        for (owner, identity) in &self.owners {
            initial_owned
                .entry(*owner)
                .or_default()
                .insert(identity.id());
        }
        let (names, roles): (Vec<String>, Vec<Role>) = names_roles.into_iter().unzip();
        let cfg = ModelCfg {
            names,
            roles,
            speaks_for: speaks_for.clone(),
            network,
            retries,
            initial_evidence: self.evidence,
            initial_signs_evidence: self.signs_evidence,
            initial_names: self.names,
            initial_owned,
            max_plaintext: self.max_plaintext,
            authorised: self.authorised.iter().copied().collect(),
            collector: None,
        };
        let speaks_for = Arc::new(speaks_for);
        let directory = Arc::new(dir);
        // On the duplicating network, what clients send and what the ReadsFor engine
        // answers is delivered twice: duplicated requests reach every engine, and a
        // duplicated evidence reply reaches the stateless Encryption engine. Duplicating
        // every hop would multiply the states without exercising anything new.
        let actors = nodes
            .into_iter()
            .zip(&cfg.roles)
            .map(|(node, role)| ModelActor {
                node,
                speaks_for: speaks_for.clone(),
                directory: directory.clone(),
                duplicate: network == NetworkKind::Duplicating
                    && matches!(
                        role,
                        Role::Client | Role::Adversary | Role::ReadsFor | Role::SignsFor
                    ),
                crypto: crate::crypto::current(),
                recorder: None,
            })
            .collect();
        Built { actors, cfg }
    }
}

impl Setup {
    /// The Naming engine at index `here`, holding the setup's names.
    fn naming_node(&self, here: usize) -> Node {
        // The engine's own submission rule builds its starting state.
        let mut state = NamingState::default();
        let backend = ModelBackend::new(0);
        for ev in &self.names {
            let _refused_names_are_not_held = state.submit(&backend, ev);
        }
        Node::Naming(
            Naming {
                address: address(here),
            },
            Box::new(state),
        )
    }

    /// The actors one engine entry becomes at index `here`, each with whom it speaks for.
    fn engine_nodes(
        &self,
        engine: &EngineSpec,
        here: usize,
        dir: &Directory,
    ) -> Vec<(Node, usize)> {
        let at = |to: To| dir.resolve(to).map_or_else(nobody, address);
        let node = match engine {
            EngineSpec::Encryption {
                instances,
                rotations,
            } => {
                let mut e = Encryption::new(at(To::Encryption), at(To::ReadsFor));
                e.max_plaintext = self.max_plaintext;
                let rotations = u8::try_from(*rotations).unwrap_or(u8::MAX);
                if *instances <= 1 {
                    return vec![(Node::Encryption(e, None, rotations), here)];
                }
                let ids: Vec<usize> = (1..=*instances as usize).map(|i| here + i).collect();
                let mut out = vec![(Node::Router(ids.clone()), here)];
                // The first instance rotates its cookie key; the others never do.
                for k in 0..ids.len() {
                    let r = if k == 0 { rotations } else { 0 };
                    out.push((Node::Encryption(e.clone(), Some(here), r), here));
                }
                return out;
            }
            EngineSpec::ReadsFor(fault) => {
                let mut state = ReadsForState::default();
                for ev in &self.evidence {
                    state.evidence.insert(ev.edge(), ev.clone());
                }
                Node::ReadsFor(ReadsFor::new(address(here)), Box::new(state), *fault)
            }
            EngineSpec::Vault => {
                let mut state = DecryptionState::default();
                for (owner, identity) in &self.owners {
                    state.insert(address(*owner), identity.clone());
                }
                let manager = dir.resolve(To::Identity).map(address);
                let authorised = self.authorised.iter().map(|i| address(*i)).collect();
                Node::Decryption(
                    Decryption::new(address(here), manager, authorised),
                    Box::new(state),
                )
            }
            EngineSpec::Identity => {
                let mut state = IdentityManagementState::default();
                for (owner, identity) in &self.owners {
                    let managed = Managed {
                        owner: address(*owner),
                        identity: identity.external.clone(),
                        zones: BTreeSet::new(),
                        capabilities: Default::default(),
                    };
                    state.identities.insert(identity.id(), managed);
                }
                let im = IdentityManagement::new(address(here), at(To::Vault), at(To::ReadsFor));
                Node::IdentityManagement(im, Box::new(state))
            }
            EngineSpec::SignsFor(fault) => {
                let mut state = SignsForState::default();
                for ev in &self.signs_evidence {
                    state.evidence.insert(ev.edge(), ev.clone());
                }
                Node::SignsFor(SignsFor::new(address(here)), Box::new(state), *fault)
            }
            EngineSpec::Verification { instances } => {
                let v = Verification::new(at(To::Verification), at(To::SignsFor));
                if *instances <= 1 {
                    return vec![(Node::Verification(v, None), here)];
                }
                let ids: Vec<usize> = (1..=*instances as usize).map(|i| here + i).collect();
                let mut out = vec![(Node::Router(ids), here)];
                out.extend(
                    (0..*instances).map(|_| (Node::Verification(v.clone(), Some(here)), here)),
                );
                return out;
            }
            EngineSpec::Naming => self.naming_node(here),
            EngineSpec::V02 => Node::Negative(NegativeNode::V02Encryption {
                address: address(here),
                reads_for: at(To::ReadsFor),
            }),
            EngineSpec::Negative(_, make) => Node::Negative(make(dir)),
        };
        vec![(node, here)]
    }
}

/// How a scenario's flows are compared with the documented diagrams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowCheck {
    /// Exactly: every flow is a documented alternative, and every request is answered.
    Exact,
    /// Retries and duplicates repeat arrows: a flow is compared with each repeated arrow
    /// removed, and (on a lossy network) may stop short of a reply.
    Repeats {
        /// Messages may be lost, so a flow may end before its reply.
        lossy: bool,
    },
}

/// A scenario: one entry of the catalog.
#[derive(Clone)]
pub struct Scenario {
    /// Its name (`--scenario NAME`).
    pub name: &'static str,
    /// One line: what it exercises.
    pub summary: &'static str,
    /// Its network.
    pub network: NetworkKind,
    /// Its named bounds.
    pub params: &'static [Param],
    /// The system, at given bounds.
    pub setup: fn(&Bounds) -> Setup,
    /// Properties beyond the engines' safety properties (or, for a negative design, all of them).
    pub checks: &'static [Check],
    /// A design the seeds warn against: only `checks` are checked, not the engines' safety properties.
    pub negative: bool,
    /// Properties that do not hold on this network by design, and why.
    pub not_applicable: &'static [(&'static str, &'static str)],
    /// The unique states at the default bounds, pinned by the catalog's tests (0 for a
    /// design that fails: its run stops at the first violation, wherever that is found).
    pub states: usize,
    /// The bounds this instance runs at (the defaults unless set).
    pub bounds: Bounds,
}

impl Scenario {
    /// The bounds at their defaults.
    pub fn default_bounds(params: &[Param]) -> Bounds {
        Bounds(params.iter().map(|p| (p.name, p.default)).collect())
    }

    /// Sets one bound, checking its name and range.
    pub fn set(&mut self, name: &str, value: u32) -> Result<(), BoundError> {
        let Some(p) = self.params.iter().find(|p| p.name == name) else {
            let known: Vec<&str> = self.params.iter().map(|p| p.name).collect();
            return Err(BoundError::Unknown {
                scenario: self.name,
                name: name.to_string(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            });
        };
        if !(p.min..=p.max).contains(&value) {
            return Err(BoundError::OutOfRange {
                scenario: self.name,
                name: p.name,
                value,
                min: p.min,
                max: p.max,
            });
        }
        self.bounds.0.insert(p.name, value);
        Ok(())
    }

    /// Whether the bounds are the defaults.
    pub fn at_defaults(&self) -> bool {
        self.bounds == Self::default_bounds(self.params)
    }

    /// Every property this scenario checks, with its expectation.
    pub fn properties(&self) -> Vec<Check> {
        let mut all: Vec<Check> = if self.negative {
            Vec::new()
        } else {
            properties::engine_safety()
        };
        all.extend(self.checks.iter().cloned());
        all
    }

    /// Whether this scenario models a flawed design whose failure must be found.
    pub fn expects_violation(&self) -> bool {
        self.properties().iter().any(|c| c.expect_violation)
    }

    fn built(&self) -> Built {
        let retries = u8::try_from(self.bounds.get(RETRIES)).unwrap_or(u8::MAX);
        (self.setup)(&self.bounds).build(self.network, retries)
    }

    /// The stateright model, with every property or only the one named.
    pub fn model(&self, only: Option<&str>) -> Model {
        let mut model = self.bare_model(None, None);
        for check in self.properties() {
            if only.is_none_or(|name| name == check.name) {
                model = model.property(check.expectation, check.name, check.condition);
            }
        }
        model
    }

    /// How this scenario's flows are compared with the documented diagrams; `None` for
    /// the designs that fail (their flows are not the engines').
    pub fn flow_check(&self) -> Option<FlowCheck> {
        if self.negative || self.expects_violation() {
            return None;
        }
        let retries = self.bounds.get(RETRIES) > 0;
        Some(match self.network {
            NetworkKind::Reliable | NetworkKind::Ordered if !retries => FlowCheck::Exact,
            NetworkKind::Lossy => FlowCheck::Repeats { lossy: true },
            _ => FlowCheck::Repeats { lossy: false },
        })
    }

    /// The model with no property but one that hands every quiescent state's flows to `collector`.
    pub fn flow_model(&self, collector: Arc<Mutex<Collected>>) -> Model {
        self.bare_model(Some(collector), None).property(
            stateright::Expectation::Always,
            "flows",
            properties::collect_flows,
        )
    }

    /// The model with real, seeded crypto and no property: every engine transition it
    /// explores goes to `recorder`.
    pub fn recording_model(&self, recorder: &Recorder) -> Model {
        // stateright stops once every property has a discovery, so a model with none would
        // stop at its first state: this one never has one, and the whole space is explored.
        crate::crypto::with_crypto(Crypto::Seeded, || self.bare_model(None, Some(recorder)))
            .property(stateright::Expectation::Always, "explored", |_, _| true)
    }

    fn bare_model(
        &self,
        collector: Option<Arc<Mutex<Collected>>>,
        recorder: Option<&Recorder>,
    ) -> Model {
        let Built {
            mut actors,
            mut cfg,
        } = self.built();
        cfg.collector = collector;
        for actor in &mut actors {
            actor.recorder = recorder.cloned();
        }
        let history = History::new(&cfg);
        let network = match self.network {
            NetworkKind::Ordered => Network::new_ordered([]),
            _ => Network::new_unordered_nonduplicating([]),
        };
        let lossy = if self.network == NetworkKind::Lossy {
            LossyNetwork::Yes
        } else {
            LossyNetwork::No
        };
        ActorModel::new(cfg, history)
            .actors(actors)
            .init_network(network)
            .lossy_network(lossy)
            .record_msg_in(properties::record_in)
            .record_msg_out(properties::record_out)
    }

    /// The display names of the actors.
    pub fn names(&self) -> Vec<String> {
        self.built().cfg.names
    }
}
