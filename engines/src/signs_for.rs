//! The SignsFor engine: the relation engine ([`crate::relation`]) for "signs for".
//!
//! The same guards as ReadsFor, over `RequestSubmitSignsForEvidence`,
//! `RequestSubmitSignsForRevocation`, `RequestSignsFor` and
//! `RequestQuerySignsForEvidence`. Its statements carry the signs-for domain
//! labels, so reads-for evidence is refused here (its signature does not
//! verify) and signs-for evidence there.

use spec::relation::Signs;

use crate::relation::{self, RelationEngine, RelationRows, RelationState};

/// Row: decide whether A signs for B.
const DECIDE: &str = "decide-signs-for";

/// The SignsFor engine's guard table (docs/signs-for/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &relation::guards(DECIDE);

impl RelationRows for Signs {
    const DECIDE: &'static str = DECIDE;
    const GUARDS: &'static [&'static str] = GUARDS;
}

/// The SignsFor engine's configuration.
pub type SignsFor = RelationEngine<Signs>;

/// The evidence in force and the revocations applied, keyed by (signer, subject).
pub type SignsForState = RelationState<Signs>;
