//! The stateright model of the engine family.
//!
//! Every engine actor runs the engine's own `step` function with the symbolic
//! backend; nothing here re-implements an engine. The model adds what the
//! engines cannot know: clients that issue requests chosen from a menu,
//! injected faults, an adversary, the designs the seeds warn against
//! ([`negative`]), and a history that turns every sent and delivered message
//! into property checks ([`properties`]).
//!
//! Modules, from the bottom up (each imports only modules above it in this list):
//! [`vocab`] (roles, networks, addresses, the model's messages), [`arrow`] (one arrow type
//! and its renderer), [`cast`], [`negative`], [`actors`], [`config`], [`names`], [`history`],
//! [`system`], [`properties`], [`scenarios`] (the table's types and the builder),
//! [`catalog`] (the entries), [`run`], [`flows`], [`diagrams`].

pub mod actors;
pub mod arrow;
pub mod branches;
pub mod cast;
pub mod catalog;
pub mod config;
pub mod conformance;
pub mod crypto;
pub mod diagrams;
pub mod flows;
pub mod history;
pub mod link;
pub mod names;
pub mod nearest;
pub mod negative;
pub mod participants;
pub mod properties;
pub mod recorder;
pub mod run;
pub mod scenarios;
pub mod simulate;
pub mod system;
pub mod vocab;
pub mod witnesses;

pub use catalog::catalog;
pub use run::{PropertyOutcome, PropertyResult, ScenarioReport, Step};
pub use scenarios::Scenario;
pub use system::Limits;
