//! Typed errors carried in replies: each variant has a stable numeric code and a human message.
//!
//! Codes are grouped by engine (1xx Encryption, 2xx the relation engine,
//! ReadsFor and SignsFor alike, 3xx Decryption, 4xx Identity Management,
//! 5xx Commitment, 6xx Verification, 7xx Naming). A code, once published, never changes meaning.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capabilities;
use crate::identity::IdentityId;
use crate::name::IdentityName;

/// One family of errors: the type, the hundred its codes are in, and its variants' wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The Rust type's name, as the docs name it.
    pub name: &'static str,
    /// Every code of the family is `100 * hundred + n`.
    pub hundred: u16,
    /// The variants, as the wire names them, in declaration order.
    pub variants: &'static [&'static str],
}

/// Every error family a reply can carry, in code order.
pub fn families() -> [Family; 7] {
    use crate::fields::variants_of;
    [
        Family {
            name: "EncryptionError",
            hundred: 1,
            variants: variants_of::<EncryptionError>(),
        },
        Family {
            name: "RelationError",
            hundred: 2,
            variants: variants_of::<RelationError>(),
        },
        Family {
            name: "DecryptionError",
            hundred: 3,
            variants: variants_of::<DecryptionError>(),
        },
        Family {
            name: "IdentityError",
            hundred: 4,
            variants: variants_of::<IdentityError>(),
        },
        Family {
            name: "CommitmentError",
            hundred: 5,
            variants: variants_of::<CommitmentError>(),
        },
        Family {
            name: "VerificationError",
            hundred: 6,
            variants: variants_of::<VerificationError>(),
        },
        Family {
            name: "NamingError",
            hundred: 7,
            variants: variants_of::<NamingError>(),
        },
    ]
}

/// An error with a stable numeric code; its `Display` is the human message.
pub trait Coded: std::fmt::Display {
    /// The stable code.
    fn code(&self) -> u16;
}

/// Errors in `ReplyEncrypt`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
pub enum EncryptionError {
    /// The ReadsFor engine answered the query with an error.
    #[error("the reads-for query failed: {0}")]
    ReadsFor(RelationError),
    /// The reads-for closure names more recipients than one ciphertext may carry.
    #[error("too many recipients for one ciphertext")]
    TooManyRecipients,
    /// A recipient's encryption key is not a usable X25519 public key.
    #[error("a recipient's encryption key is not a valid X25519 public key")]
    InvalidRecipient,
    /// The plaintext exceeds what one message may carry.
    #[error("the plaintext is too large for one message; stream it instead")]
    PlaintextTooLarge,
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

impl Coded for EncryptionError {
    fn code(&self) -> u16 {
        match self {
            EncryptionError::ReadsFor(_) => 101,
            EncryptionError::TooManyRecipients => 102,
            EncryptionError::InvalidRecipient => 104,
            EncryptionError::PlaintextTooLarge => 105,
            EncryptionError::EngineFailed => 198,
            EncryptionError::NotHandled => 199,
        }
    }
}

/// Errors from the relation engine (ReadsFor and SignsFor).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
#[serde(rename_all_fields = "camelCase")]
pub enum RelationError {
    /// The signature does not verify under the subject's verifying key.
    #[error("the signature does not verify under the subject's verifying key")]
    SignatureInvalid,
    /// The statement is structurally wrong.
    #[error("malformed statement: {0}")]
    Malformed(MalformedStatement),
    /// A revocation with this serial or a higher one is in force.
    #[error(
        "revoked: a revocation with serial {revoked_through} is in force; sign new evidence with a higher serial"
    )]
    Revoked {
        /// The serial the revocation covers up to.
        revoked_through: u64,
    },
    /// Evidence with a higher serial for the same pair is already stored.
    #[error("superseded: evidence with serial {current} is already stored for this pair")]
    Superseded {
        /// The stored serial.
        current: u64,
    },
    /// The relation engine could not be reached in time.
    #[error("the relation engine did not answer")]
    Unavailable,
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

/// Why a relation statement is malformed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    thiserror::Error,
)]
pub enum MalformedStatement {
    /// An identity stated to read (or sign) for itself: reflexivity is built in, never stated.
    #[error("an identity cannot be stated to read or sign for itself")]
    SelfReference,
    /// The verifying key is not a valid Ed25519 point.
    #[error("the subject's verifying key is not a valid Ed25519 key")]
    BadVerifyingKey,
}

impl Coded for RelationError {
    fn code(&self) -> u16 {
        match self {
            RelationError::SignatureInvalid => 201,
            RelationError::Malformed(_) => 202,
            RelationError::Revoked { .. } => 203,
            RelationError::Superseded { .. } => 204,
            RelationError::Unavailable => 205,
            RelationError::EngineFailed => 298,
            RelationError::NotHandled => 299,
        }
    }
}

/// Errors from the Decryption engine (the vault).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
pub enum DecryptionError {
    /// The requester is not one this vault is configured to serve.
    #[error("not authorised: this vault does not serve the requester")]
    NotAuthorised,
    /// No recipient entry names a key this vault holds.
    #[error(
        "no key in this vault opens the ciphertext: it was not sealed to any identity held here"
    )]
    NoMatchingKey,
    /// The ciphertext header cannot be parsed.
    #[error("malformed ciphertext: {0}")]
    Malformed(CiphertextFault),
    /// A wrapped key or chunk failed authentication: the ciphertext was altered.
    #[error("authentication failed: the ciphertext was altered or reordered")]
    AuthenticationFailed,
    /// The ciphertext ends before its final chunk.
    #[error("the ciphertext is truncated: its final chunk is missing")]
    Truncated,
    /// A management request names an identity this vault does not hold.
    #[error("unknown identity")]
    UnknownIdentity,
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

/// What is wrong with a ciphertext's header.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    thiserror::Error,
)]
pub enum CiphertextFault {
    /// The magic bytes are wrong: not a Sealwright ciphertext.
    #[error("not a Sealwright ciphertext (bad magic)")]
    BadMagic,
    /// A format version this implementation does not know.
    #[error("unsupported format version")]
    UnsupportedVersion,
    /// A cipher suite this implementation does not know.
    #[error("unsupported cipher suite")]
    UnsupportedSuite,
    /// Zero recipients, or more than the format allows.
    #[error("recipient count out of range")]
    RecipientCount,
    /// A chunk size outside the allowed range.
    #[error("chunk size out of range")]
    ChunkSize,
    /// The header ends early.
    #[error("header truncated")]
    HeaderTruncated,
    /// The recipient entries are not in ascending order of identity id, or one repeats.
    #[error("recipients out of order or repeated")]
    RecipientOrder,
}

impl Coded for DecryptionError {
    fn code(&self) -> u16 {
        match self {
            DecryptionError::NotAuthorised => 301,
            DecryptionError::NoMatchingKey => 302,
            DecryptionError::Malformed(_) => 303,
            DecryptionError::AuthenticationFailed => 304,
            DecryptionError::Truncated => 305,
            DecryptionError::UnknownIdentity => 306,
            DecryptionError::EngineFailed => 398,
            DecryptionError::NotHandled => 399,
        }
    }
}

/// Errors from the Identity Management engine.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
pub enum IdentityError {
    /// The requester does not own the identity.
    #[error("not the owner of this identity")]
    NotOwner,
    /// No such identity is managed here.
    #[error("unknown identity")]
    UnknownIdentity,
    /// The zone name is empty, too long, or already used under this master.
    #[error("invalid or duplicate zone name")]
    InvalidZone,
    /// The vault refused.
    #[error("the vault refused: {0}")]
    Vault(DecryptionError),
    /// The ReadsFor engine refused the evidence.
    #[error("the ReadsFor engine refused the evidence: {0}")]
    ReadsFor(RelationError),
    /// The identity lacks a capability the request asks for.
    #[error(
        "the identity lacks a requested capability: asked for {requested}, but it may only {granted}"
    )]
    MissingCapability {
        /// What the request asked for.
        requested: Capabilities,
        /// What the identity has.
        granted: Capabilities,
    },
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

impl Coded for IdentityError {
    fn code(&self) -> u16 {
        match self {
            IdentityError::NotOwner => 401,
            IdentityError::UnknownIdentity => 402,
            IdentityError::InvalidZone => 403,
            IdentityError::Vault(_) => 404,
            IdentityError::ReadsFor(_) => 405,
            IdentityError::MissingCapability { .. } => 406,
            IdentityError::EngineFailed => 498,
            IdentityError::NotHandled => 499,
        }
    }
}

/// Errors from the vault's Commitment handler.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
pub enum CommitmentError {
    /// The requester does not own the identity it asks to sign as.
    #[error("not authorised: only the identity's owner may commit with it")]
    NotAuthorised,
    /// The vault holds no identity with this id.
    #[error("unknown identity: this vault holds no such identity")]
    UnknownIdentity,
    /// The identity's capabilities do not include committing (it was made to decrypt only).
    #[error("the identity may not commit: its capabilities are decrypt only")]
    NoCommitCapability,
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

impl Coded for CommitmentError {
    fn code(&self) -> u16 {
        match self {
            CommitmentError::NotAuthorised => 501,
            CommitmentError::UnknownIdentity => 502,
            CommitmentError::NoCommitCapability => 503,
            CommitmentError::EngineFailed => 598,
            CommitmentError::NotHandled => 599,
        }
    }
}

/// Errors in `ReplyVerification`. A commitment that does not verify is `Ok(false)`, not an error.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
pub enum VerificationError {
    /// The SignsFor engine answered the query with an error: nothing was decided.
    #[error("the signs-for query failed: {0}")]
    SignsFor(RelationError),
    /// The data exceeds what one request may carry.
    #[error("the data is too large for one request")]
    DataTooLarge,
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

impl Coded for VerificationError {
    fn code(&self) -> u16 {
        match self {
            VerificationError::SignsFor(_) => 601,
            VerificationError::DataTooLarge => 602,
            VerificationError::EngineFailed => 698,
            VerificationError::NotHandled => 699,
        }
    }
}

/// Errors from the Naming engine.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, thiserror::Error,
)]
#[serde(rename_all_fields = "camelCase")]
pub enum NamingError {
    /// The signature does not verify under the key of anyone who may sign this statement.
    #[error("the signature does not verify under the name's authority's key")]
    SignatureInvalid,
    /// The statement is structurally wrong (a verifying key that is not an Ed25519 point).
    #[error("malformed statement: {0}")]
    Malformed(MalformedStatement),
    /// Another identity holds this top-level name: only its holder may transfer it.
    #[error(
        "the name is taken: identity {holder} holds it; only the holder may transfer it, or revoke it to release it"
    )]
    NameTaken {
        /// The identity that holds the name.
        holder: IdentityId,
    },
    /// A dotted name's statement is not signed by the identity its parent resolves to.
    #[error(
        "not vouched for: a statement about a dotted name must be signed by the identity its parent `{parent}` resolves to"
    )]
    NotVouched {
        /// The parent name.
        parent: IdentityName,
    },
    /// A dotted name's parent resolves to no identity.
    #[error("the parent name `{parent}` resolves to no identity")]
    ParentUnresolved {
        /// The parent name.
        parent: IdentityName,
    },
    /// A revocation with this serial or a higher one is in force for the name.
    #[error(
        "revoked: a revocation with serial {revoked_through} is in force for this name; sign new evidence with a higher serial"
    )]
    Revoked {
        /// The serial the revocation covers up to.
        revoked_through: u64,
    },
    /// Evidence for the name with a higher serial, or a different statement with the same serial, is in force.
    #[error("superseded: evidence with serial {current} is in force for this name")]
    Superseded {
        /// The serial in force.
        current: u64,
    },
    /// No identity holds the name (or one of its parents).
    #[error("unresolved: no identity holds this name")]
    Unresolved,
    /// The request was sent to an engine that does not handle it.
    #[error("this engine does not handle that request")]
    NotHandled,
    /// The engine failed while handling the request; nothing was done, and it may be retried.
    #[error("the engine failed while handling this request; nothing was done, retry it")]
    EngineFailed,
}

impl Coded for NamingError {
    fn code(&self) -> u16 {
        match self {
            NamingError::SignatureInvalid => 701,
            NamingError::Malformed(_) => 702,
            NamingError::NameTaken { .. } => 703,
            NamingError::NotVouched { .. } => 704,
            NamingError::ParentUnresolved { .. } => 705,
            NamingError::Revoked { .. } => 706,
            NamingError::Superseded { .. } => 707,
            NamingError::Unresolved => 708,
            NamingError::EngineFailed => 798,
            NamingError::NotHandled => 799,
        }
    }
}

impl From<RelationError> for NamingError {
    /// A signature check's failure, as the Naming engine reports it.
    fn from(e: RelationError) -> Self {
        match e {
            RelationError::Malformed(m) => NamingError::Malformed(m),
            _ => NamingError::SignatureInvalid,
        }
    }
}

#[cfg(test)]
mod family_tests {
    use super::*;

    #[test]
    fn families_list_every_variant_by_its_wire_name() {
        let [enc, rf, dec, id, com, ver, name] = families();
        assert_eq!(
            enc.variants,
            [
                "ReadsFor",
                "TooManyRecipients",
                "InvalidRecipient",
                "PlaintextTooLarge",
                "NotHandled",
                "EngineFailed"
            ]
        );
        assert!(rf.variants.contains(&"Superseded"));
        assert!(dec.variants.contains(&"Malformed"));
        assert_eq!(id.variants.len(), 8);
        assert!(com.variants.contains(&"NoCommitCapability"));
        assert_eq!(EncryptionError::NotHandled.code() / 100, enc.hundred);
        assert_eq!(CommitmentError::NotHandled.code() / 100, com.hundred);
        assert_eq!(ver.variants[0], "SignsFor");
        assert_eq!(name.variants.len(), 10);
        assert_eq!(NamingError::Unresolved.code() / 100, name.hundred);
    }
}
