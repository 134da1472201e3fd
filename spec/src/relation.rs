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
use std::fmt::Debug;
use std::hash::Hash;

use crate::evidence::Evidence;
use crate::identity::IdentityId;

/// One evidence relation: its name and the labels its statements are signed under.
pub trait Relation:
    Copy + Debug + Default + PartialEq + Eq + PartialOrd + Ord + Hash + Send + Sync + 'static
{
    /// The relation in prose: "reads for", "signs for".
    const VERB: &'static str;
    /// The label evidence statements begin with.
    const EVIDENCE_DOMAIN: &'static str;
    /// The label revocation statements begin with.
    const REVOCATION_DOMAIN: &'static str;
}

/// "A reads for B": A may decrypt what is sealed to B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reads;

impl Relation for Reads {
    const VERB: &'static str = "reads for";
    const EVIDENCE_DOMAIN: &'static str = "sealwright/reads-for/v1";
    const REVOCATION_DOMAIN: &'static str = "sealwright/reads-for-revocation/v1";
}

/// "A signs for B": A's commitments count as B's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signs;

impl Relation for Signs {
    const VERB: &'static str = "signs for";
    const EVIDENCE_DOMAIN: &'static str = "sealwright/signs-for/v1";
    const REVOCATION_DOMAIN: &'static str = "sealwright/signs-for-revocation/v1";
}

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
