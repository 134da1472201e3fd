//! The ReadsFor engine: the relation engine ([`crate::relation`]) for "reads for".
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestSubmitReadsForEvidence` → check shape, signature by the subject,
//!    revocations and serials; store; `ReplySubmitReadsForEvidence`;
//! 3. `RequestSubmitReadsForRevocation` → check the subject's signature; record
//!    it and drop the evidence it covers; `ReplySubmitReadsForRevocation`;
//! 4. `RequestReadsFor` → A reads for B under the evidence in force; `ReplyReadsFor`;
//! 5. `RequestQueryReadsForEvidence` → every edge on a chain into X, with the
//!    continuation echoed; `ReplyQueryReadsForEvidence`;
//! 6. any other request → its reply with `NotHandled`; any reply → rejected.

use spec::relation::Reads;

use crate::relation::{self, RelationEngine, RelationRows, RelationState};

/// Row: decide whether A reads for B.
const DECIDE: &str = "decide-reads-for";

/// The ReadsFor engine's guard table (docs/reads-for/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &relation::guards(DECIDE);

impl RelationRows for Reads {
    const DECIDE: &'static str = DECIDE;
    const GUARDS: &'static [&'static str] = GUARDS;
}

/// The ReadsFor engine's configuration.
pub type ReadsFor = RelationEngine<Reads>;

/// The evidence in force and the revocations applied, keyed by (reader, subject).
pub type ReadsForState = RelationState<Reads>;
