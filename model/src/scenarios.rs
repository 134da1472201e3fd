//! The scenarios: each a named configuration of actors, network and bounds, with its properties.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use engines::Backend;
use engines::backend::symbolic::SymbolicBackend;
use engines::decryption::{Decryption, DecryptionState};
use engines::encryption::Encryption;
use engines::identity::InternalIdentity;
use engines::identity_management::{IdentityManagement, IdentityManagementState, Managed};
use engines::reads_for::{ReadsFor, ReadsForState};
use spec::message::{
    Ciphertext, Plaintext, ReplyQueryReadsForEvidence, RequestDecryption, RequestEncrypt,
    RequestGenerateKey, RequestRotateIdentity, RequestSubmitReadsForEvidence,
    RequestSubmitReadsForRevocation,
};
use spec::{Address, ExternalIdentity, IdentityId, ReadsForEvidence, ReadsForRevocation};
use stateright::actor::{ActorModel, Network};

use crate::actors::{Client, Intent, ModelActor, Node, ReadsForFault, address};
use crate::flows::Collected;
use crate::history::{History, Outcome};
use crate::negative::{LegacyMsg, NegativeNode};
use crate::properties::{self, Check};

/// What an actor is, for properties, reports and diagrams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A client.
    Client,
    /// A client with a hostile menu.
    Adversary,
    /// An Encryption instance.
    Encryption,
    /// A pool's load balancer.
    Router,
    /// The ReadsFor engine.
    ReadsFor,
    /// A vault.
    Decryption,
    /// Identity Management.
    IdentityManagement,
    /// A negative design's actor.
    Negative,
}

/// How the network behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// Unordered; every message delivered exactly once.
    Reliable,
    /// Unordered; any message may be lost; clients retry.
    Lossy,
    /// Unordered; every message delivered twice.
    Duplicating,
    /// First-in first-out per pair of actors.
    Ordered,
}

impl NetworkKind {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Reliable => "reliable",
            NetworkKind::Lossy => "lossy",
            NetworkKind::Duplicating => "duplicating",
            NetworkKind::Ordered => "ordered",
        }
    }
}

/// What properties read from the model.
#[derive(Clone, Debug)]
pub struct ModelCfg {
    /// Each actor's display name.
    pub names: Vec<String>,
    /// Each actor's role.
    pub roles: Vec<Role>,
    /// For each actor, the actor whose address it speaks for.
    pub speaks_for: Vec<usize>,
    /// The network.
    pub network: NetworkKind,
    /// Whether clients retry.
    pub retries: bool,
    /// Evidence the ReadsFor engine starts with.
    pub initial_evidence: Vec<ReadsForEvidence>,
    /// Identities each actor owns at the start.
    pub initial_owned: BTreeMap<usize, BTreeSet<IdentityId>>,
    /// Requesters a vault serves for every identity.
    pub vault_serves_all: BTreeSet<usize>,
    /// Where a flow-collecting run puts the flows it sees.
    pub collector: Option<Arc<Mutex<Collected>>>,
}

/// The model type.
pub type Model = ActorModel<ModelActor, ModelCfg, History>;

/// A scenario of the catalog.
#[derive(Clone)]
pub struct Scenario {
    /// Its name (`--scenario NAME`).
    pub name: &'static str,
    /// One line: what it exercises.
    pub summary: &'static str,
    /// Its bounds, in words.
    pub bounds: &'static str,
    /// Its network.
    pub network: NetworkKind,
    /// Properties checked, with their expectations.
    pub checks: Vec<Check>,
    /// Properties that do not hold on this network by design, and why.
    pub not_applicable: Vec<(&'static str, &'static str)>,
    build: fn(NetworkKind) -> (Vec<Node>, ModelCfg),
}

impl Scenario {
    /// The stateright model, with every property or only the one named.
    pub fn model(&self, only: Option<&str>) -> Model {
        let mut model = self.bare_model(None);
        for check in &self.checks {
            if only.is_none_or(|name| name == check.name) {
                model = model.property(check.expectation.clone(), check.name, check.condition);
            }
        }
        model
    }

    /// Whether the documented diagrams are checked against this scenario: the engines'
    /// own flows on a reliable network, without retries or injected duplication.
    pub fn documents_flows(&self) -> bool {
        let (_, cfg) = (self.build)(self.network);
        self.network == NetworkKind::Reliable
            && !cfg.retries
            && !self.checks.iter().any(|c| c.expect_violation)
    }

    /// The model with no property but one that hands every quiescent state's flows to `collector`.
    pub fn flow_model(&self, collector: Arc<Mutex<Collected>>) -> Model {
        self.bare_model(Some(collector)).property(
            stateright::Expectation::Always,
            "flows",
            crate::flows::collect_condition,
        )
    }

    fn bare_model(&self, collector: Option<Arc<Mutex<Collected>>>) -> Model {
        let (nodes, mut cfg) = (self.build)(self.network);
        cfg.collector = collector;
        let speaks_for = Arc::new(cfg.speaks_for.clone());
        // On the duplicating network, what clients send and what the ReadsFor
        // engine answers is delivered twice: duplicated requests reach every
        // engine, and a duplicated evidence reply reaches the stateless
        // Encryption engine. Duplicating every hop would multiply the states
        // by two per hop without exercising anything new.
        let duplicating = self.network == NetworkKind::Duplicating;
        let roles = cfg.roles.clone();
        let history = History::new(&cfg);
        let network = match self.network {
            NetworkKind::Ordered => Network::new_ordered([]),
            _ => Network::new_unordered_nonduplicating([]),
        };
        let lossy = if self.network == NetworkKind::Lossy {
            stateright::actor::LossyNetwork::Yes
        } else {
            stateright::actor::LossyNetwork::No
        };
        ActorModel::new(cfg, history)
            .actors(nodes.into_iter().zip(roles).map(|(node, role)| ModelActor {
                node,
                speaks_for: speaks_for.clone(),
                duplicate: duplicating
                    && matches!(role, Role::Client | Role::Adversary | Role::ReadsFor),
            }))
            .init_network(network)
            .lossy_network(lossy)
            .record_msg_in(History::record_in)
            .record_msg_out(History::record_out)
    }

    /// The display names of the actors.
    pub fn names(&self) -> Vec<String> {
        (self.build)(self.network).1.names
    }
}

/// The fixed cast: identities, evidence and ciphertexts every scenario draws from.
struct Cast {
    t: InternalIdentity,
    a: InternalIdentity,
    b: InternalIdentity,
    x: InternalIdentity,
    /// "b reads for t", signed by t.
    b_for_t: ReadsForEvidence,
    /// "a reads for b", signed by b.
    a_for_b: ReadsForEvidence,
    /// Revokes "a reads for b".
    revoke_a_for_b: ReadsForRevocation,
    /// "x reads for t" with a corrupted signature.
    forged: ReadsForEvidence,
    /// "x reads for t" signed by x instead of t.
    wrong_signer: ReadsForEvidence,
    /// A ciphertext sealed to t alone.
    ct_t: Ciphertext,
}

fn evidence(
    backend: &SymbolicBackend,
    reader: &InternalIdentity,
    subject: &InternalIdentity,
    signer: &InternalIdentity,
) -> ReadsForEvidence {
    let bytes = ReadsForEvidence::statement_bytes(&reader.external, &subject.external, 1);
    ReadsForEvidence {
        from_identity: reader.external.clone(),
        to_identity: subject.external.clone(),
        serial: 1,
        signature: backend.sign(signer, &bytes),
    }
}

fn cast() -> Cast {
    let mut backend = SymbolicBackend::new(1 << 40);
    let t = backend.generate_identity();
    let a = backend.generate_identity();
    let b = backend.generate_identity();
    let x = backend.generate_identity();
    let b_for_t = evidence(&backend, &b, &t, &t);
    let a_for_b = evidence(&backend, &a, &b, &b);
    let bytes = ReadsForRevocation::statement_bytes(&a.id(), &b.external, 1);
    let revoke_a_for_b = ReadsForRevocation {
        from_identity: a.id(),
        to_identity: b.external.clone(),
        serial: 1,
        signature: backend.sign(&b, &bytes),
    };
    let mut forged = evidence(&backend, &x, &t, &t);
    forged.signature[0] ^= 1;
    let wrong_signer = evidence(&backend, &x, &t, &x);
    let ct_t = backend
        .seal(std::slice::from_ref(&t.external), b"for t")
        .unwrap_or_default();
    Cast {
        t,
        a,
        b,
        x,
        b_for_t,
        a_for_b,
        revoke_a_for_b,
        forged,
        wrong_signer,
        ct_t,
    }
}

fn addr(i: usize) -> Address {
    address(i)
}

fn encrypt(to: usize, target: &ExternalIdentity, reads_for: bool, data: &[u8]) -> Intent {
    Intent {
        to,
        message: RequestEncrypt {
            data: Plaintext(data.to_vec()),
            external_identity: target.clone(),
            use_reads_for: reads_for,
        }
        .into(),
    }
}

fn decrypt(to: usize, ct: &Ciphertext) -> Intent {
    Intent {
        to,
        message: RequestDecryption { data: ct.clone() }.into(),
    }
}

fn submit(to: usize, ev: &ReadsForEvidence) -> Intent {
    Intent {
        to,
        message: RequestSubmitReadsForEvidence {
            evidence: ev.clone(),
        }
        .into(),
    }
}

fn revoke(to: usize, rv: &ReadsForRevocation) -> Intent {
    Intent {
        to,
        message: RequestSubmitReadsForRevocation {
            revocation: rv.clone(),
        }
        .into(),
    }
}

fn client(menu: Vec<Intent>, budget: u8, network: NetworkKind) -> Node {
    Node::Client(Client {
        menu: Arc::new(menu),
        budget,
        retries: u8::from(network == NetworkKind::Lossy),
    })
}

/// Builds a family of engines after `clients` client slots.
struct Family {
    nodes: Vec<Node>,
    names: Vec<String>,
    roles: Vec<Role>,
    speaks_for: Vec<usize>,
}

impl Family {
    fn new() -> Self {
        Family {
            nodes: Vec::new(),
            names: Vec::new(),
            roles: Vec::new(),
            speaks_for: Vec::new(),
        }
    }

    fn push(&mut self, name: &str, role: Role, node: Node) -> usize {
        let i = self.nodes.len();
        self.nodes.push(node);
        self.names.push(name.to_owned());
        self.roles.push(role);
        self.speaks_for.push(i);
        i
    }

    fn cfg(
        self,
        network: NetworkKind,
        evidence: Vec<ReadsForEvidence>,
        owned: BTreeMap<usize, BTreeSet<IdentityId>>,
    ) -> (Vec<Node>, ModelCfg) {
        (
            self.nodes,
            ModelCfg {
                names: self.names,
                roles: self.roles,
                speaks_for: self.speaks_for,
                network,
                retries: network == NetworkKind::Lossy,
                initial_evidence: evidence,
                initial_owned: owned,
                vault_serves_all: BTreeSet::new(),
                collector: None,
            },
        )
    }
}

fn vault_with(owners: &[(usize, &InternalIdentity)]) -> DecryptionState {
    let mut state = DecryptionState::default();
    for (owner, identity) in owners {
        state.insert(addr(*owner), (*identity).clone());
    }
    state
}

fn owned(pairs: &[(usize, &InternalIdentity)]) -> BTreeMap<usize, BTreeSet<IdentityId>> {
    let mut map: BTreeMap<usize, BTreeSet<IdentityId>> = BTreeMap::new();
    for (owner, identity) in pairs {
        map.entry(*owner).or_default().insert(identity.id());
    }
    map
}

fn reads_for_state(evidence: &[ReadsForEvidence]) -> ReadsForState {
    let mut state = ReadsForState::default();
    for ev in evidence {
        state.evidence.insert(ev.edge(), ev.clone());
    }
    state
}

/// Direct encryption and decryption: three clients, one Encryption engine, one vault.
fn build_direct(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    // Layout: clients 0..3, encryption 3, vault 4.
    let (enc, vault) = (3, 4);
    let mut f = Family::new();
    f.push(
        "alice",
        Role::Client,
        client(
            vec![
                encrypt(enc, &c.t.external, false, b"a1"),
                decrypt(vault, &c.ct_t),
            ],
            2,
            network,
        ),
    );
    f.push(
        "bob",
        Role::Client,
        client(
            vec![
                encrypt(enc, &c.a.external, false, b"b1"),
                decrypt(vault, &c.ct_t),
            ],
            1,
            network,
        ),
    );
    f.push(
        "carol",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, false, b"c1")], 1, network),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(usize::MAX >> 1)), None, 0),
    );
    let pairs = [(0, &c.t), (1, &c.a)];
    f.push(
        "vault",
        Role::Decryption,
        Node::Decryption(
            Decryption::new(addr(vault), None, BTreeSet::new()),
            Box::new(vault_with(&pairs)),
        ),
    );
    f.cfg(network, Vec::new(), owned(&pairs))
}

/// Reads-for encryption while evidence is submitted, revoked and queried concurrently.
fn build_reads_for(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    build_reads_for_with(network, ReadsForFault::None)
}

fn build_reads_for_with(network: NetworkKind, fault: ReadsForFault) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    // Layout: clients 0..3, encryption 3, reads-for 4.
    let (enc, rf) = (3, 4);
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone()];
    f.push(
        "alice",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"a1")], 1, network),
    );
    f.push(
        "bob",
        Role::Client,
        client(vec![submit(rf, &c.a_for_b)], 1, network),
    );
    f.push(
        "carol",
        Role::Client,
        client(
            vec![
                revoke(rf, &c.revoke_a_for_b),
                encrypt(enc, &c.t.external, true, b"c1"),
            ],
            2,
            network,
        ),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(rf)), None, 0),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            fault,
        ),
    );
    f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.a), (2, &c.b)]))
}

/// The reads-for flow cut to two requests, for the lossy and duplicating networks: the
/// chain a -> b -> t is in force; one client encrypts to t while another revokes a -> b.
fn build_reads_for_small(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    let (enc, rf) = (2, 3);
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone(), c.a_for_b.clone()];
    f.push(
        "alice",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"a1")], 1, network),
    );
    f.push(
        "bob",
        Role::Client,
        client(vec![revoke(rf, &c.revoke_a_for_b)], 1, network),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(rf)), None, 0),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            ReadsForFault::None,
        ),
    );
    f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.b)]))
}

fn build_reads_for_error(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    let (enc, rf) = (2, 3);
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone()];
    f.push(
        "alice",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"a1")], 1, network),
    );
    f.push(
        "bob",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"b1")], 1, network),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(rf)), None, 0),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            ReadsForFault::FailFirstQuery,
        ),
    );
    f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.b)]))
}

/// A pool of two Encryption instances behind one address, each rotating its cookie key once.
fn build_pool(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    let clients = [("alice", b"a1"), ("bob", b"b1")];
    // Layout: the clients, then the router, its two instances, and the ReadsFor engine.
    let pool = clients.len();
    let instances = [pool + 1, pool + 2];
    let rf = pool + 3;
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone()];
    for (name, data) in clients {
        f.push(
            name,
            Role::Client,
            client(vec![encrypt(pool, &c.t.external, true, data)], 1, network),
        );
    }
    f.push("pool", Role::Router, Node::Router(instances.to_vec()));
    // The first instance rotates its cookie key once, at any moment; the second never does.
    for (name, rotations) in [("encryption-1", 1), ("encryption-2", 0)] {
        let i = f.push(
            name,
            Role::Encryption,
            Node::Encryption(Encryption::new(addr(pool), addr(rf)), Some(pool), rotations),
        );
        f.speaks_for[i] = pool;
    }
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            ReadsForFault::None,
        ),
    );
    f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.b)]))
}

/// An unauthorised requester and an adversary ask the vault.
fn build_vault(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    // Layout: alice 0, bob 1, mallory 2, vault 3.
    let vault = 3;
    let mut f = Family::new();
    f.push(
        "alice",
        Role::Client,
        client(vec![decrypt(vault, &c.ct_t)], 1, network),
    );
    f.push(
        "bob",
        Role::Client,
        client(vec![decrypt(vault, &c.ct_t)], 1, network),
    );
    let grab = Intent {
        to: vault,
        message: RequestGenerateKey {
            owner: addr(2),
            read_by: None,
        }
        .into(),
    };
    f.push(
        "mallory",
        Role::Adversary,
        client(vec![decrypt(vault, &c.ct_t), grab], 2, network),
    );
    let pairs = [(0, &c.t), (1, &c.a)];
    f.push(
        "vault",
        Role::Decryption,
        Node::Decryption(
            Decryption::new(addr(vault), Some(addr(usize::MAX >> 1)), BTreeSet::new()),
            Box::new(vault_with(&pairs)),
        ),
    );
    f.cfg(network, Vec::new(), owned(&pairs))
}

/// The adversary submits forged evidence and replays a continuation while a client encrypts.
fn build_forged(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    // Layout: alice 0, mallory 1, encryption 2, reads-for 3.
    let (enc, rf) = (2, 3);
    let mut f = Family::new();
    f.push(
        "alice",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"a1")], 1, network),
    );
    // A reply that names mallory as a reader, sent straight to the Encryption engine.
    let spoofed = Intent {
        to: enc,
        message: ReplyQueryReadsForEvidence {
            external_identity: c.t.id(),
            continuation: None,
            result: Ok(vec![c.wrong_signer.clone()]),
        }
        .into(),
    };
    f.push(
        "mallory",
        Role::Adversary,
        client(
            vec![submit(rf, &c.forged), submit(rf, &c.wrong_signer), spoofed],
            2,
            network,
        ),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(rf)), None, 0),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::default(),
            ReadsForFault::None,
        ),
    );
    f.cfg(network, Vec::new(), owned(&[(0, &c.t), (1, &c.x)]))
}

/// Identity rotation through Identity Management while old ciphertexts are opened.
fn build_rotation(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    // Layout: alice 0, bob 1, encryption 2, reads-for 3, vault 4, identity 5.
    let (enc, rf, vault, im) = (2, 3, 4, 5);
    let mut f = Family::new();
    let rotate = Intent {
        to: im,
        message: RequestRotateIdentity {
            external_identity: c.t.id(),
        }
        .into(),
    };
    f.push(
        "alice",
        Role::Client,
        client(vec![rotate, decrypt(vault, &c.ct_t)], 2, network),
    );
    f.push(
        "bob",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"b1")], 1, network),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(rf)), None, 0),
    );
    identity_engines(&mut f, &c, [rf, vault, im]);
    f.cfg(network, Vec::new(), owned(&[(0, &c.t)]))
}

/// Pushes the ReadsFor engine, a vault holding `t` for actor 0, and Identity Management
/// managing `t` for actor 0, at the indices `[rf, vault, im]`.
fn identity_engines(f: &mut Family, c: &Cast, [rf, vault, im]: [usize; 3]) {
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::default(),
            ReadsForFault::None,
        ),
    );
    f.push(
        "vault",
        Role::Decryption,
        Node::Decryption(
            Decryption::new(addr(vault), Some(addr(im)), BTreeSet::new()),
            Box::new(vault_with(&[(0, &c.t)])),
        ),
    );
    let mut im_state = IdentityManagementState::default();
    im_state.identities.insert(
        c.t.id(),
        Managed {
            owner: addr(0),
            identity: c.t.external.clone(),
            zones: BTreeSet::new(),
        },
    );
    f.push(
        "identity",
        Role::IdentityManagement,
        Node::IdentityManagement(
            IdentityManagement::new(addr(im), addr(vault), addr(rf)),
            Box::new(im_state),
        ),
    );
}

/// The Identity Management lifecycle: generate, derive a zone, connect, delete.
fn build_lifecycle(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    use spec::message::{
        RequestConnectIdentity, RequestDeleteIdentity, RequestDeriveZoneIdentity,
        RequestGenerateIdentity,
    };
    let c = cast();
    // Layout: alice 0, bob 1, reads-for 2, vault 3, identity 4.
    let (rf, vault, im) = (2, 3, 4);
    let mut f = Family::new();
    let ask = |message: spec::Message| Intent { to: im, message };
    let alice_menu = vec![
        ask(RequestGenerateIdentity {}.into()),
        ask(RequestDeriveZoneIdentity {
            master: c.t.id(),
            zone: "photos".into(),
        }
        .into()),
        ask(RequestConnectIdentity {
            external_identity: c.t.id(),
        }
        .into()),
        ask(RequestDeleteIdentity {
            external_identity: c.t.id(),
        }
        .into()),
    ];
    f.push("alice", Role::Client, client(alice_menu, 2, network));
    let bob_menu = vec![ask(RequestDeleteIdentity {
        external_identity: c.t.id(),
    }
    .into())];
    f.push("bob", Role::Client, client(bob_menu, 1, network));
    identity_engines(&mut f, &c, [rf, vault, im]);
    f.cfg(network, Vec::new(), owned(&[(0, &c.t)]))
}

/// Clients ask the ReadsFor engine directly while evidence arrives.
fn build_queries(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    use spec::message::{RequestQueryReadsForEvidence, RequestReadsFor};
    let c = cast();
    let rf = 2;
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone()];
    let menu = vec![
        Intent {
            to: rf,
            message: RequestReadsFor {
                external_identity_a: c.a.id(),
                external_identity_b: c.t.id(),
            }
            .into(),
        },
        Intent {
            to: rf,
            message: RequestQueryReadsForEvidence {
                external_identity: c.t.id(),
                continuation: None,
            }
            .into(),
        },
    ];
    f.push("alice", Role::Client, client(menu, 2, network));
    f.push(
        "bob",
        Role::Client,
        client(vec![submit(rf, &c.a_for_b)], 1, network),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            ReadsForFault::None,
        ),
    );
    f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.a)]))
}

/// Seed 000: two users share a context-switching crypto engine through one task queue.
fn build_seed_000(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let mut f = Family::new();
    f.push(
        "user-a",
        Role::Negative,
        Node::Negative(NegativeNode::SharedContextUser {
            owner: 0,
            engine: 2,
        }),
    );
    f.push(
        "user-b",
        Role::Negative,
        Node::Negative(NegativeNode::SharedContextUser {
            owner: 1,
            engine: 2,
        }),
    );
    f.push(
        "crypto-engine",
        Role::Negative,
        Node::Negative(NegativeNode::SharedContextEngine),
    );
    f.cfg(network, Vec::new(), BTreeMap::new())
}

fn build_seed_003_with(network: NetworkKind, at_apply: bool) -> (Vec<Node>, ModelCfg) {
    let mut f = Family::new();
    // Members a..e are 0..4; writer 1 removes e (4), writer 2 removes d (3).
    f.push(
        "writer-1",
        Role::Negative,
        Node::Negative(NegativeNode::GroupWriter {
            log: 2,
            ops: vec![
                LegacyMsg::RemoveMember(4),
                LegacyMsg::RotateKey {
                    recipients: vec![0, 1, 2, 3],
                },
            ],
        }),
    );
    f.push(
        "writer-2",
        Role::Negative,
        Node::Negative(NegativeNode::GroupWriter {
            log: 2,
            ops: vec![
                LegacyMsg::RemoveMember(3),
                LegacyMsg::RotateKey {
                    recipients: vec![0, 1, 2, 4],
                },
            ],
        }),
    );
    f.push(
        "group-log",
        Role::Negative,
        Node::Negative(NegativeNode::GroupLog {
            members: vec![0, 1, 2, 3, 4],
            recipients_at_apply: at_apply,
        }),
    );
    f.cfg(network, Vec::new(), BTreeMap::new())
}

fn build_seed_003(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    build_seed_003_with(network, false)
}

fn build_seed_003_fixed(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    build_seed_003_with(network, true)
}

fn build_v02(network: NetworkKind, fault: ReadsForFault) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    // Layout: alice 0, bob 1, v0.2 encryption 2, reads-for 3.
    let (enc, rf) = (2, 3);
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone()];
    f.push(
        "alice",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"a1")], 1, network),
    );
    f.push(
        "bob",
        Role::Client,
        client(vec![encrypt(enc, &c.t.external, true, b"b1")], 1, network),
    );
    f.push(
        "encryption-v0.2",
        Role::Negative,
        Node::Negative(NegativeNode::V02Encryption {
            address: addr(enc),
            reads_for: addr(rf),
        }),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            fault,
        ),
    );
    f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.b)]))
}

fn build_v02_error(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    build_v02(network, ReadsForFault::FailFirstQuery)
}

fn build_v02_starvation(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    build_v02(network, ReadsForFault::LoseFirstReply)
}

fn build_lost_reply(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let c = cast();
    let (enc, rf) = (2, 3);
    let mut f = Family::new();
    let initial = vec![c.b_for_t.clone()];
    let retrying = |menu| {
        Node::Client(Client {
            menu: Arc::new(menu),
            budget: 1,
            retries: 1,
        })
    };
    f.push(
        "alice",
        Role::Client,
        retrying(vec![encrypt(enc, &c.t.external, true, b"a1")]),
    );
    f.push(
        "bob",
        Role::Client,
        retrying(vec![encrypt(enc, &c.t.external, true, b"b1")]),
    );
    f.push(
        "encryption",
        Role::Encryption,
        Node::Encryption(Encryption::new(addr(enc), addr(rf)), None, 0),
    );
    f.push(
        "reads-for",
        Role::ReadsFor,
        Node::ReadsFor(
            ReadsFor { address: addr(rf) },
            Box::new(reads_for_state(&initial)),
            ReadsForFault::LoseFirstReply,
        ),
    );
    let (nodes, mut cfg) = f.cfg(network, initial, owned(&[(0, &c.t), (1, &c.b)]));
    cfg.retries = true;
    (nodes, cfg)
}

/// Every scenario, in the order `check` runs them.
pub fn catalog() -> Vec<Scenario> {
    use properties as p;
    let engine_checks = |outcomes: &[(&'static str, Outcome)]| -> Vec<Check> {
        let mut checks = p::engine_checks();
        checks.extend(outcomes.iter().map(|(name, o)| p::reachable(name, *o)));
        checks
    };
    vec![
        Scenario {
            name: "direct",
            summary: "direct encryption and decryption by three clients, one of them asking for a ciphertext it cannot open",
            bounds: "3 clients (4 requests), 1 Encryption engine, 1 vault",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[
                ("reachable: owner decrypts", Outcome::DirectOpened),
                (
                    "reachable: non-recipient refused",
                    Outcome::NonRecipientRefused,
                ),
            ]),
            not_applicable: vec![],
            build: build_direct,
        },
        Scenario {
            name: "reads-for",
            summary: "reads-for encryption while evidence is submitted, revoked and queried concurrently (a chain of length 2)",
            bounds: "3 clients (4 requests), 1 Encryption engine, ReadsFor with b->t, a->b submitted and revoked",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[
                ("reachable: chain widens recipients", Outcome::Widened),
                (
                    "reachable: revoked reader left out",
                    Outcome::RevocationExcluded,
                ),
            ]),
            not_applicable: vec![],
            build: build_reads_for,
        },
        Scenario {
            name: "reads-for-error",
            summary: "the ReadsFor engine fails a query; the error must reach the requester, never a ciphertext",
            bounds: "2 clients, 1 Encryption engine, ReadsFor failing its first query",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[("reachable: error propagated", Outcome::ErrorPropagated)]),
            not_applicable: vec![],
            build: build_reads_for_error,
        },
        Scenario {
            name: "pool-rotation",
            summary: "a pool of two stateless Encryption instances behind one address, with a cookie-key rotation in flight",
            bounds: "2 clients, a router, 2 Encryption instances (one rotates once), ReadsFor",
            network: NetworkKind::Reliable,
            checks: {
                let mut c = engine_checks(&[
                    (
                        "reachable: another instance finishes",
                        Outcome::CrossInstance,
                    ),
                    ("reachable: chain widens recipients", Outcome::Widened),
                ]);
                c.push(p::finished_across_epochs());
                c
            },
            not_applicable: vec![],
            build: build_pool,
        },
        Scenario {
            name: "vault-authorisation",
            summary: "the vault serves owners only: a non-owner and an adversary ask it to decrypt and to mint a key",
            bounds: "3 clients (one adversary), 1 vault",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[
                ("reachable: owner decrypts", Outcome::DirectOpened),
                (
                    "reachable: unauthorised refused",
                    Outcome::UnauthorisedRefused,
                ),
            ]),
            not_applicable: vec![],
            build: build_vault,
        },
        Scenario {
            name: "forged-evidence",
            summary: "an adversary submits forged and wrongly signed evidence and spoofs a ReadsFor reply while a client encrypts",
            bounds: "1 client, 1 adversary (2 of 3 attacks), 1 Encryption engine, ReadsFor",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[("reachable: forgery refused", Outcome::ForgeryRefused)]),
            not_applicable: vec![],
            build: build_forged,
        },
        Scenario {
            name: "identity-rotation",
            summary: "an owner rotates its identity while another client encrypts to it with reads-for; old ciphertexts still open",
            bounds: "2 clients, Encryption, ReadsFor, vault, Identity Management",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[
                (
                    "reachable: old ciphertext opens after rotation",
                    Outcome::OldCiphertextOpened,
                ),
                (
                    "reachable: rotated identity reads for the old one",
                    Outcome::Widened,
                ),
            ]),
            not_applicable: vec![],
            build: build_rotation,
        },
        Scenario {
            name: "identity-lifecycle",
            summary: "an owner generates an identity, derives a zone, connects and deletes, while a non-owner tries to delete",
            bounds: "2 clients (3 requests), ReadsFor, vault, Identity Management",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[
                ("reachable: zone derived", Outcome::ZoneDerived),
                ("reachable: identity deleted", Outcome::IdentityDeleted),
            ]),
            not_applicable: vec![],
            build: build_lifecycle,
        },
        Scenario {
            name: "reads-for-queries",
            summary: "clients ask the ReadsFor engine \"does a read for t?\" and \"who reads for t?\" while evidence arrives",
            bounds: "2 clients (3 requests), ReadsFor with b->t, a->b submitted",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[("reachable: a reads for t", Outcome::ReadsForConfirmed)]),
            not_applicable: vec![],
            build: build_queries,
        },
        Scenario {
            name: "reads-for-lost-reply",
            summary: "the first ReadsFor reply is lost; a client's retry starts a fresh query and nothing starves",
            bounds: "2 clients (1 retry each), Encryption, ReadsFor losing its first reply",
            network: NetworkKind::Reliable,
            checks: engine_checks(&[("reachable: chain widens recipients", Outcome::Widened)]),
            not_applicable: vec![(
                "exactly-once replies",
                "a retry that crosses a slow reply is answered too; the client keeps the first reply for its correlation id",
            )],
            build: build_lost_reply,
        },
        Scenario {
            name: "reads-for-lossy",
            summary: "reads-for encryption racing a revocation on a network that may lose any message; clients retry once",
            bounds: "2 clients (1 retry each), Encryption, ReadsFor with the chain a->b->t; any message may be dropped",
            network: NetworkKind::Lossy,
            checks: engine_checks(&[
                ("reachable: chain widens recipients", Outcome::Widened),
                (
                    "reachable: revoked reader left out",
                    Outcome::RevocationExcluded,
                ),
            ]),
            not_applicable: vec![(
                "exactly-once replies",
                "every copy of a request or reply may be lost, so a client can end with no reply (it gives up after its retry); a retry can also be answered twice",
            )],
            build: build_reads_for_small,
        },
        Scenario {
            name: "reads-for-duplicating",
            summary: "reads-for encryption racing a revocation on a network that delivers requests and evidence replies twice",
            bounds: "2 clients, Encryption, ReadsFor with the chain a->b->t; client requests and ReadsFor replies delivered twice",
            network: NetworkKind::Duplicating,
            checks: engine_checks(&[
                ("reachable: chain widens recipients", Outcome::Widened),
                (
                    "reachable: revoked reader left out",
                    Outcome::RevocationExcluded,
                ),
            ]),
            not_applicable: vec![(
                "exactly-once replies",
                "a duplicated request is answered twice; clients deduplicate by correlation id, and submissions are idempotent",
            )],
            build: build_reads_for_small,
        },
        Scenario {
            name: "seed-003-rotation-at-apply",
            summary: "seed 003 fixed: key recipients are computed when the rotation is applied, so no removed member gets the key",
            bounds: "2 writers, a group log of 5 members",
            network: NetworkKind::Ordered,
            checks: vec![p::removed_member_excluded(false)],
            not_applicable: vec![],
            build: build_seed_003_fixed,
        },
        Scenario {
            name: "seed-000-shared-context",
            summary: "NEGATIVE: seed 000's crypto engine with one shared context and a shared task queue",
            bounds: "2 users, 1 engine, FIFO links",
            network: NetworkKind::Ordered,
            checks: vec![
                p::expect_violation(p::no_cross_talk()),
                p::reachable("reachable: own context", Outcome::OwnContext),
            ],
            not_applicable: vec![],
            build: build_seed_000,
        },
        Scenario {
            name: "seed-003-precomputed-rotation",
            summary: "NEGATIVE: seed 003's key rotation with recipients computed before a concurrent removal is ordered",
            bounds: "2 writers, a group log of 5 members",
            network: NetworkKind::Ordered,
            checks: vec![p::removed_member_excluded(true)],
            not_applicable: vec![],
            build: build_seed_003,
        },
        Scenario {
            name: "nspec-v02-ignored-error",
            summary: "NEGATIVE: the Anoma v0.2 pending-request Encryption engine ignores a ReadsFor error (gap 1)",
            bounds: "2 clients, the v0.2 engine, ReadsFor failing its first query",
            network: NetworkKind::Reliable,
            checks: vec![p::expect_violation(p::errors_propagate())],
            not_applicable: vec![],
            build: build_v02_error,
        },
        Scenario {
            name: "nspec-v02-starvation",
            summary: "NEGATIVE: the Anoma v0.2 engine starves every later request for an identity after one lost reply (gap 2)",
            bounds: "2 clients (1 retry each), the v0.2 engine, ReadsFor losing its first reply",
            network: NetworkKind::Reliable,
            checks: vec![p::expect_violation(p::responsiveness())],
            not_applicable: vec![],
            build: build_v02_starvation_retrying,
        },
    ]
}

fn build_v02_starvation_retrying(network: NetworkKind) -> (Vec<Node>, ModelCfg) {
    let (mut nodes, mut cfg) = build_v02_starvation(network);
    for node in nodes.iter_mut().take(2) {
        if let Node::Client(c) = node {
            c.retries = 1;
        }
    }
    cfg.retries = true;
    (nodes, cfg)
}
