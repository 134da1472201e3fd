//! A single-threaded node: engines by address, envelopes delivered first-in first-out until quiet.
//!
//! It is the smallest runtime that runs the engines' real code end to end;
//! the command line and the tests use it. Envelopes addressed to an address
//! with no engine (a client) come back to the caller.

use std::collections::{BTreeMap, VecDeque};

use spec::effects::{Effects, Rejection};
use spec::{Address, Envelope};

use crate::decryption::{Decryption, DecryptionState};
use crate::encryption::{Encryption, EncryptionState};
use crate::identity_management::{IdentityManagement, IdentityManagementState};
use crate::naming::{Naming, NamingState};
use crate::reads_for::{ReadsFor, ReadsForState};
use crate::signs_for::{SignsFor, SignsForState};
use crate::verification::{Verification, VerificationState};
use crate::{Backend, Engine};

/// Most deliveries one call may make: a bound, so a buggy exchange cannot loop forever.
pub const MAX_DELIVERIES: usize = 100_000;

/// One engine with its state.
#[derive(Debug, Clone)]
pub enum NodeEngine {
    /// An Encryption engine.
    Encryption(Encryption, EncryptionState),
    /// A ReadsFor engine.
    ReadsFor(ReadsFor, ReadsForState),
    /// A Decryption engine (vault).
    Decryption(Decryption, DecryptionState),
    /// An Identity Management engine.
    IdentityManagement(IdentityManagement, IdentityManagementState),
    /// A SignsFor engine.
    SignsFor(SignsFor, SignsForState),
    /// A Verification engine.
    Verification(Verification, VerificationState),
    /// A Naming engine.
    Naming(Naming, NamingState),
}

impl NodeEngine {
    /// Runs one step of this engine.
    pub fn step<B: Backend>(&mut self, backend: &mut B, env: &Envelope) -> Effects {
        match self {
            NodeEngine::Encryption(e, s) => e.step(s, backend, env),
            NodeEngine::ReadsFor(e, s) => e.step(s, backend, env),
            NodeEngine::Decryption(e, s) => e.step(s, backend, env),
            NodeEngine::IdentityManagement(e, s) => e.step(s, backend, env),
            NodeEngine::SignsFor(e, s) => e.step(s, backend, env),
            NodeEngine::Verification(e, s) => e.step(s, backend, env),
            NodeEngine::Naming(e, s) => e.step(s, backend, env),
        }
    }
}

/// Why a delivery run stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// More than [`MAX_DELIVERIES`] envelopes were delivered.
    #[error("more than {MAX_DELIVERIES} deliveries: the exchange does not settle")]
    DoesNotSettle,
}

/// Engines by address, sharing one backend.
#[derive(Debug)]
pub struct LocalNode<B> {
    engines: BTreeMap<Address, NodeEngine>,
    backend: B,
    rejections: Vec<Rejection>,
}

impl<B: Backend> LocalNode<B> {
    /// An empty node.
    pub fn new(backend: B) -> Self {
        LocalNode {
            engines: BTreeMap::new(),
            backend,
            rejections: Vec::new(),
        }
    }

    /// Adds (or replaces) the engine at `address`.
    pub fn insert(&mut self, address: Address, engine: NodeEngine) {
        self.engines.insert(address, engine);
    }

    /// The engine at `address`.
    pub fn engine(&self, address: &Address) -> Option<&NodeEngine> {
        self.engines.get(address)
    }

    /// The engine at `address`, mutably.
    pub fn engine_mut(&mut self, address: &Address) -> Option<&mut NodeEngine> {
        self.engines.get_mut(address)
    }

    /// The shared backend.
    pub fn backend(&mut self) -> &mut B {
        &mut self.backend
    }

    /// Every message an engine dropped so far, with why.
    pub fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    /// Delivers `env` and everything it causes; returns what was sent to addresses without an engine.
    pub fn deliver(&mut self, env: Envelope) -> Result<Vec<Envelope>, NodeError> {
        let mut queue = VecDeque::from([env]);
        let mut outside = Vec::new();
        let mut deliveries = 0usize;
        while let Some(env) = queue.pop_front() {
            let Some(engine) = self.engines.get_mut(&env.target) else {
                outside.push(env);
                continue;
            };
            deliveries += 1;
            if deliveries > MAX_DELIVERIES {
                return Err(NodeError::DoesNotSettle);
            }
            let effects = engine.step(&mut self.backend, &env);
            queue.extend(effects.send);
            self.rejections.extend(effects.rejected);
        }
        Ok(outside)
    }
}
