//! The reads-for relation: the reflexive-transitive closure of the evidence in force.
//!
//! An edge `A -> B` means "A reads for B" (signed by B). A reads for C when
//! A = C, or there is a chain `A -> B1 -> ... -> C`. Only edges that point
//! *into* the subject's closure are ever used, never edges leaving it: that
//! "B reads for X" must not widen what is sealed to X for B's benefit is the
//! whole point (the Anoma specification's gap 5).

use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::ReadsForEvidence;
use crate::identity::IdentityId;

/// Indexes evidence by subject so closures cost time linear in the edges they visit.
#[derive(Debug, Default)]
pub struct ReadsForGraph<'a> {
    readers: BTreeMap<IdentityId, Vec<&'a ReadsForEvidence>>,
}

impl<'a> ReadsForGraph<'a> {
    /// Builds the graph from the evidence in force.
    pub fn new(evidence: impl IntoIterator<Item = &'a ReadsForEvidence>) -> Self {
        let mut readers: BTreeMap<IdentityId, Vec<&'a ReadsForEvidence>> = BTreeMap::new();
        for ev in evidence {
            readers.entry(ev.to_identity.id()).or_default().push(ev);
        }
        ReadsForGraph { readers }
    }

    /// Every edge on a chain that ends at `subject`, in a deterministic order.
    ///
    /// This is the proof set of "who reads for `subject`".
    pub fn chains_into(&self, subject: &IdentityId) -> Vec<&'a ReadsForEvidence> {
        let mut seen = BTreeSet::from([*subject]);
        let mut frontier = vec![*subject];
        let mut edges = Vec::new();
        while let Some(node) = frontier.pop() {
            for ev in self.readers.get(&node).into_iter().flatten() {
                edges.push(*ev);
                let reader = ev.from_identity.id();
                if seen.insert(reader) {
                    frontier.push(reader);
                }
            }
        }
        edges.sort();
        edges
    }

    /// The identities that read for `subject`, including `subject` itself.
    pub fn readers_of(&self, subject: &IdentityId) -> BTreeSet<IdentityId> {
        let mut set = BTreeSet::from([*subject]);
        set.extend(
            self.chains_into(subject)
                .iter()
                .map(|ev| ev.from_identity.id()),
        );
        set
    }

    /// Whether `a` reads for `b`.
    pub fn reads_for(&self, a: &IdentityId, b: &IdentityId) -> bool {
        a == b || self.readers_of(b).contains(a)
    }
}
