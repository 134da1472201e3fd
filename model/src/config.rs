//! What the model's hooks and properties read: the system's layout and what it starts with.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use spec::{IdentityId, NameEvidence, ReadsForEvidence, SignsForEvidence};

use crate::arrow::Arrow;
use crate::arrow::Party;
use crate::vocab::{NetworkKind, Role};

/// A flow's shape: the arrows one client request causes, between parties.
pub type Flow = Vec<Arrow<Party>>;

/// What a flow-collecting run saw.
#[derive(Debug, Default)]
pub struct Collected {
    /// Every distinct flow seen in a quiescent state.
    pub flows: BTreeSet<Flow>,
    /// Flows that, in some quiescent state, had not reached a reply to their client.
    pub incomplete: BTreeSet<Flow>,
    /// Messages may be lost: a flow may be any prefix of a documented alternative.
    pub prefixes: bool,
    /// The guard rows each engine took, in the quiescent states seen.
    pub rows: BTreeSet<(Party, &'static str)>,
}

/// The model's configuration (stateright's `cfg`).
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
    /// How many times clients retry an unanswered request.
    pub retries: u8,
    /// Evidence the ReadsFor engine starts with.
    pub initial_evidence: Vec<ReadsForEvidence>,
    /// Evidence the SignsFor engine starts with.
    pub initial_signs_evidence: Vec<SignsForEvidence>,
    /// Name evidence the Naming engine starts with, in the order it was submitted.
    pub initial_names: Vec<NameEvidence>,
    /// Identities each actor owns at the start.
    pub initial_owned: BTreeMap<usize, BTreeSet<IdentityId>>,
    /// The Encryption engine's plaintext limit.
    pub max_plaintext: usize,
    /// Requesters the vault serves for every identity (besides each identity's owner).
    pub authorised: BTreeSet<usize>,
    /// Where a flow-collecting run puts the flows it sees (and whether flows are tracked).
    pub collector: Option<Arc<Mutex<Collected>>>,
}

impl ModelCfg {
    /// The role of actor `i`.
    pub fn role(&self, i: usize) -> Option<Role> {
        self.roles.get(i).copied()
    }

    /// The party actor `i` plays in flows: a pool's router stands for its instances, which
    /// are laid out right after it.
    pub fn party(&self, i: usize) -> Option<Party> {
        match self.role(i)? {
            Role::Router => self.role(i + 1).and_then(Party::of),
            role => Party::of(role),
        }
    }
}
