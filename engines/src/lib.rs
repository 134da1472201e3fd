//! Sealwright's engines: each one a pure, deterministic guard/action function
//! over the `spec` vocabulary, with all crypto and randomness behind a
//! [`backend::Backend`].
//!
//! The same code runs in the model checker (with [`backend::symbolic`]) and
//! for real (with [`backend::hpke`]). An engine is a value holding its
//! configuration; [`Engine::step`] takes its state, its backend and one
//! envelope, and returns the envelopes to send and the rejections to record.

// The API reference on the site is built from these comments: nothing public goes undocumented.
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

pub mod backend;
pub mod commitment;
pub mod conformance;
pub mod continuation;
pub mod cookie;
pub mod decryption;
pub mod encryption;
pub mod identity;
pub mod identity_management;
pub mod link;
pub mod local;
pub mod naming;
pub mod reads_for;
pub mod relation;
pub mod runtime;
pub mod secret;
pub mod signs_for;
pub mod vault_file;
pub mod verification;

use spec::Envelope;
use spec::effects::Effects;

pub use backend::Backend;

/// One engine: its configuration is `self`, its mutable state is `State`.
pub trait Engine {
    /// The engine's local state.
    type State;

    /// The engine's name, as the conformance suite and the docs' folders spell it.
    const NAME: &'static str;

    /// The rows of the engine's guard table, in the order they are tried; the
    /// [`Effects::guard`](spec::effects::Effects::guard) of every step is one of them.
    const GUARDS: &'static [&'static str];

    /// Handles one envelope: guards choose an action, the action returns its effects.
    ///
    /// Never panics and never drops a message silently: a request no guard
    /// accepts gets an error reply, anything else a recorded rejection.
    fn step<B: Backend>(
        &self,
        state: &mut Self::State,
        backend: &mut B,
        input: &Envelope,
    ) -> Effects;

    /// Handles something the host does that is not an envelope; `false` if this engine has
    /// no such event (the state is then unchanged).
    fn on_event(&self, state: &mut Self::State, event: HostEvent) -> bool {
        let _ = (state, event);
        false
    }
}

/// Something the host does to an engine between envelopes: no input, no effects, no randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HostEvent {
    /// Advance a stateless engine's cookie ring one epoch (Encryption, Verification; the state pages' "Rotation").
    RotateCookieKey,
}

impl HostEvent {
    /// Every event.
    pub const ALL: &[HostEvent] = &[HostEvent::RotateCookieKey];

    /// Its name, as conformance cases spell it.
    pub fn name(self) -> &'static str {
        match self {
            HostEvent::RotateCookieKey => "rotate-cookie-key",
        }
    }

    /// The event `name` names.
    pub fn parse(name: &str) -> Option<HostEvent> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }
}
