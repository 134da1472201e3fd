//! The model's shared vocabulary: roles, networks, addresses, and what travels on the model's
//! network. Everything else in the model builds on this module; it imports nothing above it.

use spec::{Address, CorrelationId, Envelope, Message};

/// What an actor is, for properties, reports and diagrams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A client.
    Client,
    /// A client with a hostile menu.
    Adversary,
    /// An Encryption instance.
    Encryption,
    /// A pool's load balancer.
    Router,
    /// The ReadsFor engine.
    ReadsFor,
    /// A vault.
    Decryption,
    /// Identity Management.
    IdentityManagement,
    /// The SignsFor engine.
    SignsFor,
    /// A Verification instance.
    Verification,
    /// The Naming engine.
    Naming,
    /// A negative design's actor.
    Negative,
}

impl Role {
    /// Whether the actor issues requests (a client or an adversary).
    pub fn is_client(self) -> bool {
        matches!(self, Role::Client | Role::Adversary)
    }
}

/// How the network behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NetworkKind {
    /// Unordered; every message delivered exactly once.
    Reliable,
    /// Unordered; any message may be lost; clients retry.
    Lossy,
    /// Unordered; what clients and the ReadsFor engine send is delivered twice.
    Duplicating,
    /// First-in first-out per pair of actors.
    Ordered,
}

impl NetworkKind {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            NetworkKind::Reliable => "reliable",
            NetworkKind::Lossy => "lossy",
            NetworkKind::Duplicating => "duplicating",
            NetworkKind::Ordered => "ordered",
        }
    }
}

/// Where a client's request (or a negative design's message) goes: a part of the system,
/// resolved to an actor index when the scenario is built, so no index is written by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum To {
    /// The Encryption engine (or the pool's router, or the v0.2 engine).
    Encryption,
    /// The ReadsFor engine.
    ReadsFor,
    /// The vault.
    Vault,
    /// Identity Management.
    Identity,
    /// The SignsFor engine.
    SignsFor,
    /// The Verification engine (or the pool's router).
    Verification,
    /// The Naming engine.
    Naming,
    /// An actor by name (negative designs).
    Named(&'static str),
}

/// The address of actor `index` in the model: `n0`, `n1`, …
pub fn address(index: usize) -> Address {
    Address::new(format!("n{index}"))
        .unwrap_or_else(|_| unreachable!("n<digits> is a valid address"))
}

/// The actor index an address names, if it is a model address.
pub fn index_of(address: &Address) -> Option<usize> {
    address.as_str().strip_prefix('n')?.parse().ok()
}

/// A message of a design the seeds warn against (not part of the vocabulary).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LegacyMsg {
    /// Seed 000: switch the shared crypto context to `owner`'s keys.
    Switch {
        /// Whose context.
        owner: u8,
    },
    /// Seed 000: encrypt `owner`'s file under the current context.
    EncryptFile {
        /// Whose file.
        owner: u8,
    },
    /// Seed 000: `owner`'s file, encrypted under `context`.
    Encrypted {
        /// Whose file.
        owner: u8,
        /// The context that was active.
        context: Option<u8>,
    },
    /// Seed 003: remove a member from the group.
    RemoveMember(u8),
    /// Seed 003: rotate the group key, wrapping it for these members.
    RotateKey {
        /// The recipient list the writer computed.
        recipients: Vec<u8>,
    },
}

/// A message on the model's network.
// Nearly every message is `Spec`; boxing it would add an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelMsg {
    /// An envelope of the real vocabulary, and the row of the sending engine's guard table
    /// that chose to send it (empty when no engine step sent it: clients, faults, routers).
    Spec(Envelope, &'static str),
    /// A message of a design the seeds warn against.
    Legacy(LegacyMsg),
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelTimer {
    /// A client's request has waited long enough: retry or give up.
    Retry(CorrelationId),
    /// An Encryption instance rotates its cookie key.
    RotateCookie,
}

/// Nondeterministic choices.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelChoice {
    /// A client picks menu item `n`.
    Pick(usize),
    /// The pool router hands queued message `key` to instance `to`.
    Route(u64, usize),
}

/// One request on a client's menu: what to send, and where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Intent {
    /// Where it goes.
    pub to: To,
    /// The message (usually a request; an adversary may send a reply).
    pub message: Message,
}

impl Intent {
    /// A message sent to `to` in the client's own name.
    pub fn new(to: To, message: impl Into<Message>) -> Self {
        Intent {
            to,
            message: message.into(),
        }
    }
}

/// Each `To` of a scenario, resolved to actor indices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Directory(pub Vec<(To, usize)>);

impl Directory {
    /// The actor index of `to`, if the scenario has one.
    pub fn resolve(&self, to: To) -> Option<usize> {
        self.0.iter().find(|(t, _)| *t == to).map(|(_, i)| *i)
    }
}
