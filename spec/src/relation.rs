//! Evidence relations: "reads for" and "signs for", one closure rule for both.
//!
//! An edge `A -> B` means "A reads for B" or "A signs for B" (signed by B).
//! A is related to C when A = C, or there is a chain `A -> B1 -> ... -> C`.
//! Only edges that point *into* the subject's closure are ever used, never
//! edges leaving it: that "B reads for X" must not widen what is sealed to X
//! for B's benefit is the whole point (the Anoma specification's gap 5), and
//! the same holds for whose signatures count as X's.
//!
//! The two relations differ only in the domain labels their statements are
//! signed under ([`Relation`]), so a statement of one can never be taken for
//! the other.

use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::Evidence;
pub use crate::evidence::{Reads, Relation, Signs};
use crate::identity::IdentityId;

/// Indexes evidence by subject so closures cost time linear in the edges they visit.
#[derive(Debug)]
pub struct RelationGraph<'a, R: Relation> {
    related: BTreeMap<IdentityId, Vec<&'a Evidence<R>>>,
}

/// The reads-for relation's graph.
pub type ReadsForGraph<'a> = RelationGraph<'a, Reads>;
/// The signs-for relation's graph.
pub type SignsForGraph<'a> = RelationGraph<'a, Signs>;

impl<'a, R: Relation> RelationGraph<'a, R> {
    /// Builds the graph from the evidence in force.
    pub fn new(evidence: impl IntoIterator<Item = &'a Evidence<R>>) -> Self {
        let mut related: BTreeMap<IdentityId, Vec<&'a Evidence<R>>> = BTreeMap::new();
        for ev in evidence {
            related.entry(ev.to_identity.id()).or_default().push(ev);
        }
        RelationGraph { related }
    }

    /// Every edge on a chain that ends at `subject`, in a deterministic order.
    ///
    /// This is the proof set of "who reads (or signs) for `subject`".
    pub fn chains_into(&self, subject: &IdentityId) -> Vec<&'a Evidence<R>> {
        let mut seen = BTreeSet::from([*subject]);
        let mut frontier = vec![*subject];
        let mut edges = Vec::new();
        while let Some(node) = frontier.pop() {
            for ev in self.related.get(&node).into_iter().flatten() {
                edges.push(*ev);
                let member = ev.from_identity.id();
                if seen.insert(member) {
                    frontier.push(member);
                }
            }
        }
        edges.sort();
        edges
    }

    /// The identities related to `subject`, including `subject` itself.
    pub fn members_of(&self, subject: &IdentityId) -> BTreeSet<IdentityId> {
        let mut set = BTreeSet::from([*subject]);
        set.extend(
            self.chains_into(subject)
                .iter()
                .map(|ev| ev.from_identity.id()),
        );
        set
    }

    /// Whether `a` is related to `b` (reads for it, or signs for it).
    pub fn holds(&self, a: &IdentityId, b: &IdentityId) -> bool {
        a == b || self.members_of(b).contains(a)
    }
}
