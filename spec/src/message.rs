//! Every message the engines exchange, under the Anoma specification's names.
//!
//! A request is named `Request…` and its reply `Reply…`; the correlation id
//! that pairs them lives in the [`crate::Envelope`]. Every reply carries a
//! `result`: the value, or a typed error with a stable code.

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::capabilities::Capabilities;
use crate::error::{
    CommitmentError, DecryptionError, EncryptionError, IdentityError, NamingError, RelationError,
    VerificationError,
};
use crate::evidence::{Evidence, ReadsForEvidence, Revocation};
use crate::identity::{ExternalIdentity, IdentityId};
use crate::relation::{Reads, Relation, Signs};

pub use crate::bytes::{Ciphertext, Continuation, Plaintext, Signable};
pub use crate::commitment::Commitment;
pub use crate::naming_message::*;
pub use crate::relation_message::*;

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

/// Asks the vault to sign `data` as `externalIdentity`, an identity the requester owns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestCommitment {
    /// The data to sign.
    pub data: Signable,
    /// The identity to sign as.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestCommitment`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyCommitment {
    /// The commitment, or why there is none.
    pub result: Result<Commitment, CommitmentError>,
}

/// Asks the Verification engine whether `commitment` is `externalIdentity`'s commitment to `data`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestVerification {
    /// The data the commitment is said to sign.
    pub data: Signable,
    /// The commitment.
    pub commitment: Commitment,
    /// The identity it should be by.
    pub external_identity: ExternalIdentity,
    /// Also accept a commitment by any identity that signs for `externalIdentity`.
    pub use_signs_for: bool,
}

/// The Verification engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyVerification {
    /// Whether it verifies, or why nothing was decided.
    pub result: Result<bool, VerificationError>,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestGenerateIdentity {
    /// What the new identity's keys may be used for; left off the wire when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
}

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
    /// What the requester means to use it for; left off the wire when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
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
    /// What the zone identity's keys may be used for; left off the wire when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
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
    /// What the vault may use the new keys for; left off the wire when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
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
    /// Verification: is this commitment by X (or someone who signs for X)?
    RequestVerification => ReplyVerification,
    /// SignsFor: does A sign for B?
    RequestSignsFor => ReplySignsFor,
    /// SignsFor: store evidence.
    RequestSubmitSignsForEvidence => ReplySubmitSignsForEvidence,
    /// SignsFor: apply a revocation.
    RequestSubmitSignsForRevocation => ReplySubmitSignsForRevocation,
    /// SignsFor: who signs for X?
    RequestQuerySignsForEvidence => ReplyQuerySignsForEvidence,
    /// Commitment (the vault): sign data as an identity the requester owns.
    RequestCommitment => ReplyCommitment,
    /// Naming: which identity does this name name?
    RequestResolveName => ReplyResolveName,
    /// Naming: store name evidence.
    RequestSubmitNameEvidence => ReplySubmitNameEvidence,
    /// Naming: apply a name revocation.
    RequestSubmitNameRevocation => ReplySubmitNameRevocation,
    /// Naming: which names resolve to X?
    RequestQueryNameEvidence => ReplyQueryNameEvidence,
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
            RelationError::EngineFailed
        } else {
            RelationError::NotHandled
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
        let com = if failed {
            CommitmentError::EngineFailed
        } else {
            CommitmentError::NotHandled
        };
        let ver = if failed {
            VerificationError::EngineFailed
        } else {
            VerificationError::NotHandled
        };
        if let Some(reply) = refuse::<Reads>(self, &rf).or_else(|| refuse::<Signs>(self, &rf)) {
            return Some(reply);
        }
        if let Some(reply) = refuse_naming(self, failed) {
            return Some(reply);
        }
        Some(match self {
            Message::RequestEncrypt(_) => ReplyEncrypt { result: Err(enc) }.into(),
            Message::RequestVerification(_) => ReplyVerification { result: Err(ver) }.into(),
            Message::RequestCommitment(_) => ReplyCommitment { result: Err(com) }.into(),
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

/// The reply refusing a Naming request `m` (`EngineFailed` when `failed`); `None` for other messages.
fn refuse_naming(m: &Message, failed: bool) -> Option<Message> {
    let error = if failed {
        NamingError::EngineFailed
    } else {
        NamingError::NotHandled
    };
    Some(match m {
        Message::RequestResolveName(r) => ReplyResolveName {
            identity_name: r.identity_name.clone(),
            result: Err(error),
        }
        .into(),
        Message::RequestSubmitNameEvidence(_) => {
            ReplySubmitNameEvidence { result: Err(error) }.into()
        }
        Message::RequestSubmitNameRevocation(_) => {
            ReplySubmitNameRevocation { result: Err(error) }.into()
        }
        Message::RequestQueryNameEvidence(r) => ReplyQueryNameEvidence {
            external_identity: r.external_identity,
            result: Err(error),
        }
        .into(),
        _ => return None,
    })
}

/// The reply refusing a relation request `m` with `error`; `None` if `m` is not one of `R`'s requests.
fn refuse<R: RelationMessages>(m: &Message, error: &RelationError) -> Option<Message> {
    let result = Err(error.clone());
    Some(match R::request(m)? {
        RelationRequest::Decide { a, b } => R::decided(a, b, result.map(|()| false)),
        RelationRequest::Submit(_) => R::submitted(result),
        RelationRequest::Revoke(_) => R::revoked(result),
        RelationRequest::Collect {
            subject,
            continuation,
        } => R::answered(subject, continuation.cloned(), result.map(|()| Vec::new())),
    })
}

/// A request to the relation engine, whichever relation it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationRequest<'a, R: Relation> {
    /// Is `a` related to `b`?
    Decide {
        /// The candidate member.
        a: IdentityId,
        /// The subject.
        b: IdentityId,
    },
    /// Store this evidence.
    Submit(&'a Evidence<R>),
    /// Apply this revocation.
    Revoke(&'a Revocation<R>),
    /// Who is related to `subject`?
    Collect {
        /// The subject.
        subject: IdentityId,
        /// The continuation to echo.
        continuation: Option<&'a Continuation>,
    },
}

/// The messages of one relation: how its requests are read and its replies written.
pub trait RelationMessages: Relation {
    /// The relation engine's name for this relation, as cases and docs spell it.
    const ENGINE: &'static str;
    /// The request `m`, if it is one of this relation's.
    fn request(m: &Message) -> Option<RelationRequest<'_, Self>>;
    /// The answer to a `Decide` request.
    fn decided(a: IdentityId, b: IdentityId, result: Result<bool, RelationError>) -> Message;
    /// The answer to a `Submit` request.
    fn submitted(result: Result<(), RelationError>) -> Message;
    /// The answer to a `Revoke` request.
    fn revoked(result: Result<(), RelationError>) -> Message;
    /// The answer to a `Collect` request.
    fn answered(
        subject: IdentityId,
        continuation: Option<Continuation>,
        result: Result<Vec<Evidence<Self>>, RelationError>,
    ) -> Message;
    /// The `Decide` request: is `a` related to `b`?
    fn decide(a: IdentityId, b: IdentityId) -> Message;
    /// The `Submit` request for `evidence`.
    fn submit(evidence: Evidence<Self>) -> Message;
    /// The `Revoke` request for `revocation`.
    fn revoke(revocation: Revocation<Self>) -> Message;
    /// The `Collect` request for `subject`, carrying `continuation`.
    fn query(subject: IdentityId, continuation: Option<Continuation>) -> Message;
}

macro_rules! relation_messages_impl {
    ($rel:ty, $engine:literal, $decide:ident => $decided:ident, $submit:ident => $submitted:ident,
     $revoke:ident => $revoked:ident, $query:ident => $answered:ident) => {
        impl RelationMessages for $rel {
            const ENGINE: &'static str = $engine;

            fn request(m: &Message) -> Option<RelationRequest<'_, Self>> {
                Some(match m {
                    Message::$decide(r) => RelationRequest::Decide {
                        a: r.external_identity_a,
                        b: r.external_identity_b,
                    },
                    Message::$submit(r) => RelationRequest::Submit(&r.evidence),
                    Message::$revoke(r) => RelationRequest::Revoke(&r.revocation),
                    Message::$query(r) => RelationRequest::Collect {
                        subject: r.external_identity,
                        continuation: r.continuation.as_ref(),
                    },
                    _ => return None,
                })
            }

            fn decided(
                a: IdentityId,
                b: IdentityId,
                result: Result<bool, RelationError>,
            ) -> Message {
                $decided {
                    external_identity_a: a,
                    external_identity_b: b,
                    result,
                }
                .into()
            }

            fn submitted(result: Result<(), RelationError>) -> Message {
                $submitted { result }.into()
            }

            fn revoked(result: Result<(), RelationError>) -> Message {
                $revoked { result }.into()
            }

            fn answered(
                subject: IdentityId,
                continuation: Option<Continuation>,
                result: Result<Vec<Evidence<Self>>, RelationError>,
            ) -> Message {
                $answered {
                    external_identity: subject,
                    continuation,
                    result,
                }
                .into()
            }

            fn decide(a: IdentityId, b: IdentityId) -> Message {
                $decide {
                    external_identity_a: a,
                    external_identity_b: b,
                }
                .into()
            }

            fn submit(evidence: Evidence<Self>) -> Message {
                $submit { evidence }.into()
            }

            fn revoke(revocation: Revocation<Self>) -> Message {
                $revoke { revocation }.into()
            }

            fn query(subject: IdentityId, continuation: Option<Continuation>) -> Message {
                $query {
                    external_identity: subject,
                    continuation,
                }
                .into()
            }
        }
    };
}

relation_messages_impl!(
    Reads, "reads-for",
    RequestReadsFor => ReplyReadsFor,
    RequestSubmitReadsForEvidence => ReplySubmitReadsForEvidence,
    RequestSubmitReadsForRevocation => ReplySubmitReadsForRevocation,
    RequestQueryReadsForEvidence => ReplyQueryReadsForEvidence
);

relation_messages_impl!(
    Signs, "signs-for",
    RequestSignsFor => ReplySignsFor,
    RequestSubmitSignsForEvidence => ReplySubmitSignsForEvidence,
    RequestSubmitSignsForRevocation => ReplySubmitSignsForRevocation,
    RequestQuerySignsForEvidence => ReplyQuerySignsForEvidence
);

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
        assert_eq!(
            message_fields("RequestGenerateIdentity"),
            Some(&["capabilities"][..])
        );
        assert_eq!(message_fields("RequestNothing"), None);
        for name in MESSAGE_NAMES {
            let fields = message_fields(name).unwrap_or_default();
            if name.starts_with("Reply") {
                assert!(fields.contains(&"result"), "{name} has a result");
            }
        }
    }
}
