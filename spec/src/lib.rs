//! Sealwright's vocabulary: the types every engine, the model, the wire format
//! and the spec site share. No encryption and no I/O live here; the only
//! cryptographic primitive is the hash that names identities.
//!
//! One naming scheme is used everywhere: a message constructor here (for
//! example [`message::Message::RequestEncrypt`]) is the label of the arrow in
//! the docs' sequence diagrams and the map key on the wire.

// The API reference on the site is built from these comments: nothing public goes undocumented.
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links, rustdoc::private_intra_doc_links)]

pub mod address;
mod bytes;
pub mod capabilities;
pub mod codec;
pub mod commitment;
pub mod effects;
pub mod envelope;
pub mod error;
pub mod evidence;
mod fields;
pub mod identity;
pub mod link;
pub mod message;
pub mod name;
mod naming_message;
pub mod relation;
mod relation_message;
pub mod text;

pub use address::Address;
pub use capabilities::Capabilities;
pub use envelope::{CorrelationId, Envelope};
pub use error::{
    Coded, CommitmentError, DecryptionError, EncryptionError, IdentityError, NamingError,
    RelationError, VerificationError,
};
pub use evidence::{
    Evidence, ReadsForEvidence, ReadsForRevocation, Revocation, SignsForEvidence,
    SignsForRevocation,
};
pub use identity::{ExternalIdentity, IdentityId, KeyId};
pub use message::Message;
pub use name::{IdentityName, NameEvidence, NameRevocation};
