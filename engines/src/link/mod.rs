//! Links between nodes: an authenticated, encrypted, message-oriented connection whose
//! long-term keys stay with their holder (the vault).
//!
//! * [`table`]: the phases and the transition table (the site's state diagram is made from it).
//! * [`connection`]: the link engine, a pure step function the runtime runs and the model checks.
//! * [`crypto`]: what the engine asks of its crypto; [`noise`] is Noise XX with `snow`,
//!   [`symbolic`] the model checker's terms.

pub mod connection;
pub mod crypto;
pub mod noise;
pub mod symbolic;
pub mod table;
pub mod vault;

pub use connection::{Link, LinkEffects, LinkFailure, LinkInput, LinkState, Peer};
pub use crypto::{CryptoFailure, LinkCrypto};
pub use table::Phase;
