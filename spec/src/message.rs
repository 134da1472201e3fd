//! Every message the engines exchange, under the Anoma specification's names.
//!
//! A request is named `Request…` and its reply `Reply…`; the correlation id
//! that pairs them lives in the [`crate::Envelope`]. Every reply carries a
//! `result`: the value, or a typed error with a stable code.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::error::{DecryptionError, EncryptionError, IdentityError, ReadsForError};
use crate::evidence::{ReadsForEvidence, ReadsForRevocation};
use crate::identity::{ExternalIdentity, IdentityId};

macro_rules! byte_newtype {
    ($(#[$meta:meta])* $name:ident, $show:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(#[serde(with = "serde_bytes")] pub Vec<u8>);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Contents stay out of logs; the length is enough to follow a trace.
                write!(f, concat!($show, "({} bytes)"), self.0.len())
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(bytes: Vec<u8>) -> Self {
                $name(bytes)
            }
        }
    };
}

byte_newtype!(
    /// Data to encrypt, or decrypted data.
    Plaintext,
    "Plaintext"
);
byte_newtype!(
    /// A sealed message, in the byte layout of the wire-format page.
    Ciphertext,
    "Ciphertext"
);
byte_newtype!(
    /// Opaque state a requester hands to an engine and gets back unchanged in the reply.
    ///
    /// The Encryption engine puts its pending request here, sealed under its
    /// cookie key, so that it keeps no per-request state.
    Continuation,
    "Continuation"
);

/// Asks the Encryption engine to seal `data` for `externalIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestEncrypt {
    /// The data to seal.
    pub data: Plaintext,
    /// The identity to seal to.
    pub external_identity: ExternalIdentity,
    /// Also seal to every identity that reads for `externalIdentity`.
    pub use_reads_for: bool,
}

/// The Encryption engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyEncrypt {
    /// The ciphertext, or why there is none.
    pub result: Result<Ciphertext, EncryptionError>,
}

/// Asks whether `externalIdentityA` reads for `externalIdentityB`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestReadsFor {
    /// The candidate reader.
    #[serde(rename = "externalIdentityA")]
    pub external_identity_a: IdentityId,
    /// The subject.
    #[serde(rename = "externalIdentityB")]
    pub external_identity_b: IdentityId,
}

/// The answer to [`RequestReadsFor`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyReadsFor {
    /// The candidate reader, echoed.
    #[serde(rename = "externalIdentityA")]
    pub external_identity_a: IdentityId,
    /// The subject, echoed.
    #[serde(rename = "externalIdentityB")]
    pub external_identity_b: IdentityId,
    /// Whether A reads for B under the evidence in force.
    pub result: Result<bool, ReadsForError>,
}

/// Submits signed evidence to the ReadsFor engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSubmitReadsForEvidence {
    /// The evidence.
    pub evidence: ReadsForEvidence,
}

/// The answer to [`RequestSubmitReadsForEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplySubmitReadsForEvidence {
    /// Stored, or why not.
    pub result: Result<(), ReadsForError>,
}

/// Submits a signed revocation to the ReadsFor engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSubmitReadsForRevocation {
    /// The revocation.
    pub revocation: ReadsForRevocation,
}

/// The answer to [`RequestSubmitReadsForRevocation`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplySubmitReadsForRevocation {
    /// Applied, or why not.
    pub result: Result<(), ReadsForError>,
}

/// Asks for the evidence of everyone who reads for `externalIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestQueryReadsForEvidence {
    /// The subject.
    pub external_identity: IdentityId,
    /// Echoed unchanged in the reply.
    pub continuation: Option<Continuation>,
}

/// The answer to [`RequestQueryReadsForEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyQueryReadsForEvidence {
    /// The subject, echoed.
    pub external_identity: IdentityId,
    /// The request's continuation, echoed unchanged.
    pub continuation: Option<Continuation>,
    /// Every edge on a chain into the subject (its reads-for closure), or why not.
    pub result: Result<Vec<ReadsForEvidence>, ReadsForError>,
}

/// Asks a Decryption engine to open a ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestDecryption {
    /// The ciphertext.
    pub data: Ciphertext,
}

/// The Decryption engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyDecryption {
    /// The plaintext, or why there is none.
    pub result: Result<Plaintext, DecryptionError>,
}

/// Asks Identity Management for a new master identity owned by the requester.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestGenerateIdentity {}

/// The answer to [`RequestGenerateIdentity`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyGenerateIdentity {
    /// The new identity, or why there is none.
    pub result: Result<ExternalIdentity, IdentityError>,
}

/// Asks which Decryption engine serves an identity the requester owns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestConnectIdentity {
    /// The identity.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestConnectIdentity`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyConnectIdentity {
    /// The Decryption engine's address, or why not.
    pub result: Result<Address, IdentityError>,
}

/// Asks Identity Management to delete an identity the requester owns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestDeleteIdentity {
    /// The identity.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestDeleteIdentity`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyDeleteIdentity {
    /// Deleted, or why not.
    pub result: Result<(), IdentityError>,
}

/// Asks for a zone identity under a master the requester owns; the master will read for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestDeriveZoneIdentity {
    /// The master identity.
    pub master: IdentityId,
    /// The zone's name, unique under the master.
    pub zone: String,
}

/// The answer to [`RequestDeriveZoneIdentity`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyDeriveZoneIdentity {
    /// The zone identity, or why there is none.
    pub result: Result<ExternalIdentity, IdentityError>,
}

/// Asks to rotate an identity's encryption key; the new identity will read for the old one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestRotateIdentity {
    /// The identity to rotate.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestRotateIdentity`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyRotateIdentity {
    /// The new identity (same verifying key, new encryption key), or why not.
    pub result: Result<ExternalIdentity, IdentityError>,
}

/// Identity Management asks the vault for a new key pair, optionally read for by `readBy`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestGenerateKey {
    /// The engine the vault will serve for this identity.
    pub owner: Address,
    /// If set, the vault signs evidence that this identity reads for the new one.
    pub read_by: Option<ExternalIdentity>,
}

/// A key the vault generated or rotated: its public identity and any evidence it signed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeneratedKey {
    /// The new identity.
    pub identity: ExternalIdentity,
    /// Evidence the vault signed for it, to be submitted to the ReadsFor engine.
    pub evidence: Option<ReadsForEvidence>,
}

/// The answer to [`RequestGenerateKey`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyGenerateKey {
    /// The key, or why not.
    pub result: Result<GeneratedKey, DecryptionError>,
}

/// Identity Management asks the vault to rotate an identity's encryption key, keeping the old one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestRotateKey {
    /// The identity to rotate.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestRotateKey`]: the new identity and "new reads for old" evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyRotateKey {
    /// The key, or why not.
    pub result: Result<GeneratedKey, DecryptionError>,
}

/// Identity Management asks the vault to erase an identity's keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestDeleteKey {
    /// The identity to erase.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestDeleteKey`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyDeleteKey {
    /// Erased, or why not.
    pub result: Result<(), DecryptionError>,
}

macro_rules! messages {
    ($($(#[$doc:meta])* $request:ident => $reply:ident,)*) => {
        /// Every message on the wire; the variant name is the constructor the docs' diagrams use.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Message {
            $(
                $(#[$doc])*
                $request($request),
                #[doc = concat!("The reply to `", stringify!($request), "`.")]
                $reply($reply),
            )*
        }

        /// Every message constructor's name, requests and replies alternating.
        pub const MESSAGE_NAMES: &[&str] = &[$(stringify!($request), stringify!($reply),)*];

        /// The serialised field names of a message constructor's body; `None` for an unknown name.
        pub fn message_fields(name: &str) -> Option<&'static [&'static str]> {
            match name {
                $(
                    stringify!($request) => Some(crate::fields::of::<$request>()),
                    stringify!($reply) => Some(crate::fields::of::<$reply>()),
                )*
                _ => None,
            }
        }

        impl Message {
            /// The constructor's name, as the wire and the diagrams spell it.
            pub fn name(&self) -> &'static str {
                match self {
                    $(
                        Message::$request(_) => stringify!($request),
                        Message::$reply(_) => stringify!($reply),
                    )*
                }
            }

            /// The error a reply carries (`None` for a success or a request).
            pub fn error(&self) -> Option<&dyn crate::error::Coded> {
                match self {
                    $(
                        Message::$request(_) => None,
                        Message::$reply(r) => match &r.result {
                            Ok(_) => None,
                            Err(e) => Some(e),
                        },
                    )*
                }
            }

            /// Whether this message is a request (expects a reply).
            pub fn is_request(&self) -> bool {
                match self {
                    $(
                        Message::$request(_) => true,
                        Message::$reply(_) => false,
                    )*
                }
            }
        }

        $(
            impl From<$request> for Message {
                fn from(m: $request) -> Self {
                    Message::$request(m)
                }
            }
            impl From<$reply> for Message {
                fn from(m: $reply) -> Self {
                    Message::$reply(m)
                }
            }
        )*
    };
}

messages! {
    /// Encryption: seal data for an identity.
    RequestEncrypt => ReplyEncrypt,
    /// ReadsFor: does A read for B?
    RequestReadsFor => ReplyReadsFor,
    /// ReadsFor: store evidence.
    RequestSubmitReadsForEvidence => ReplySubmitReadsForEvidence,
    /// ReadsFor: apply a revocation.
    RequestSubmitReadsForRevocation => ReplySubmitReadsForRevocation,
    /// ReadsFor: who reads for X?
    RequestQueryReadsForEvidence => ReplyQueryReadsForEvidence,
    /// Decryption: open a ciphertext.
    RequestDecryption => ReplyDecryption,
    /// Identity Management: new master identity.
    RequestGenerateIdentity => ReplyGenerateIdentity,
    /// Identity Management: which vault serves my identity?
    RequestConnectIdentity => ReplyConnectIdentity,
    /// Identity Management: delete my identity.
    RequestDeleteIdentity => ReplyDeleteIdentity,
    /// Identity Management: new zone identity under my master.
    RequestDeriveZoneIdentity => ReplyDeriveZoneIdentity,
    /// Identity Management: rotate my identity's encryption key.
    RequestRotateIdentity => ReplyRotateIdentity,
    /// Vault management (from Identity Management only): generate a key.
    RequestGenerateKey => ReplyGenerateKey,
    /// Vault management (from Identity Management only): rotate a key.
    RequestRotateKey => ReplyRotateKey,
    /// Vault management (from Identity Management only): erase a key.
    RequestDeleteKey => ReplyDeleteKey,
}

/// Why an engine or runtime refuses a request without acting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The receiving engine does not handle this kind of request.
    NotHandled,
    /// The engine failed while handling it (the runtime caught a panic); nothing was done.
    EngineFailed,
}

impl Message {
    /// The reply that refuses this request because the receiving engine does not handle it.
    ///
    /// `None` for replies: a reply that nobody expects is recorded as a rejection instead.
    pub fn not_handled_reply(&self) -> Option<Message> {
        self.refusal(Refusal::NotHandled)
    }

    /// The reply that refuses this request for `why`; `None` for replies.
    pub fn refusal(&self, why: Refusal) -> Option<Message> {
        let failed = why == Refusal::EngineFailed;
        let enc = if failed {
            EncryptionError::EngineFailed
        } else {
            EncryptionError::NotHandled
        };
        let rf = if failed {
            ReadsForError::EngineFailed
        } else {
            ReadsForError::NotHandled
        };
        let dec = if failed {
            DecryptionError::EngineFailed
        } else {
            DecryptionError::NotHandled
        };
        let id = if failed {
            IdentityError::EngineFailed
        } else {
            IdentityError::NotHandled
        };
        Some(match self {
            Message::RequestEncrypt(_) => ReplyEncrypt { result: Err(enc) }.into(),
            Message::RequestReadsFor(r) => ReplyReadsFor {
                external_identity_a: r.external_identity_a,
                external_identity_b: r.external_identity_b,
                result: Err(rf),
            }
            .into(),
            Message::RequestSubmitReadsForEvidence(_) => {
                ReplySubmitReadsForEvidence { result: Err(rf) }.into()
            }
            Message::RequestSubmitReadsForRevocation(_) => {
                ReplySubmitReadsForRevocation { result: Err(rf) }.into()
            }
            Message::RequestQueryReadsForEvidence(r) => ReplyQueryReadsForEvidence {
                external_identity: r.external_identity,
                continuation: r.continuation.clone(),
                result: Err(rf),
            }
            .into(),
            Message::RequestDecryption(_) => ReplyDecryption { result: Err(dec) }.into(),
            Message::RequestGenerateIdentity(_) => ReplyGenerateIdentity { result: Err(id) }.into(),
            Message::RequestConnectIdentity(_) => ReplyConnectIdentity { result: Err(id) }.into(),
            Message::RequestDeleteIdentity(_) => ReplyDeleteIdentity { result: Err(id) }.into(),
            Message::RequestDeriveZoneIdentity(_) => {
                ReplyDeriveZoneIdentity { result: Err(id) }.into()
            }
            Message::RequestRotateIdentity(_) => ReplyRotateIdentity { result: Err(id) }.into(),
            Message::RequestGenerateKey(_) => ReplyGenerateKey { result: Err(dec) }.into(),
            Message::RequestRotateKey(_) => ReplyRotateKey { result: Err(dec) }.into(),
            Message::RequestDeleteKey(_) => ReplyDeleteKey { result: Err(dec) }.into(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_the_serialised_ones() {
        assert_eq!(
            message_fields("RequestEncrypt"),
            Some(&["data", "externalIdentity", "useReadsFor"][..])
        );
        assert_eq!(
            message_fields("RequestReadsFor"),
            Some(&["externalIdentityA", "externalIdentityB"][..])
        );
        assert_eq!(message_fields("RequestGenerateIdentity"), Some(&[][..]));
        assert_eq!(message_fields("RequestNothing"), None);
        for name in MESSAGE_NAMES {
            let fields = message_fields(name).unwrap_or_default();
            if name.starts_with("Reply") {
                assert!(fields.contains(&"result"), "{name} has a result");
            }
        }
    }
}
