//! The stateright model of the engine family.
//!
//! Every engine actor runs the engine's own `step` function with the symbolic
//! backend; nothing here re-implements an engine. The model adds what the
//! engines cannot know: clients that issue requests chosen from a menu,
//! injected faults, an adversary, the designs the seeds warn against
//! ([`negative`]), and a history that turns every sent and delivered message
//! into property checks ([`history`]).

pub mod actors;
pub mod diagrams;
pub mod flows;
pub mod history;
pub mod negative;
pub mod properties;
pub mod run;
pub mod scenarios;

pub use run::{Limits, PropertyOutcome, PropertyResult, ScenarioReport, Step};
pub use scenarios::{Scenario, catalog};
