//! The messages of the evidence-relation engine, once for each relation.
//!
//! ReadsFor and SignsFor are one engine with two domain labels, so their
//! messages have one shape: a macro writes both sets, under the names the
//! Anoma specification gives them.

use serde::{Deserialize, Serialize};

use crate::bytes::Continuation;
use crate::error::RelationError;
use crate::evidence::{Evidence, Revocation};
use crate::identity::IdentityId;
use crate::relation::{Reads, Signs};

macro_rules! relation_messages {
    (
        $rel:ty, $verb:literal, $engine:literal,
        $decide:ident => $decided:ident,
        $submit:ident => $submitted:ident,
        $revoke:ident => $revoked:ident,
        $query:ident => $answered:ident $(,)?
    ) => {
        #[doc = concat!("Asks whether `externalIdentityA` ", $verb, " `externalIdentityB`.")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $decide {
            /// The candidate member.
            #[serde(rename = "externalIdentityA")]
            pub external_identity_a: IdentityId,
            /// The subject.
            #[serde(rename = "externalIdentityB")]
            pub external_identity_b: IdentityId,
        }

        #[doc = concat!("The answer to [`", stringify!($decide), "`].")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $decided {
            /// The candidate member, echoed.
            #[serde(rename = "externalIdentityA")]
            pub external_identity_a: IdentityId,
            /// The subject, echoed.
            #[serde(rename = "externalIdentityB")]
            pub external_identity_b: IdentityId,
            #[doc = concat!("Whether A ", $verb, " B under the evidence in force.")]
            pub result: Result<bool, RelationError>,
        }

        #[doc = concat!("Submits signed evidence to the ", $engine, " engine.")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $submit {
            /// The evidence.
            pub evidence: Evidence<$rel>,
        }

        #[doc = concat!("The answer to [`", stringify!($submit), "`].")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $submitted {
            /// Stored, or why not.
            pub result: Result<(), RelationError>,
        }

        #[doc = concat!("Submits a signed revocation to the ", $engine, " engine.")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $revoke {
            /// The revocation.
            pub revocation: Revocation<$rel>,
        }

        #[doc = concat!("The answer to [`", stringify!($revoke), "`].")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $revoked {
            /// Applied, or why not.
            pub result: Result<(), RelationError>,
        }

        #[doc = concat!("Asks for the evidence of everyone who ", $verb, " `externalIdentity`.")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $query {
            /// The subject.
            pub external_identity: IdentityId,
            /// Echoed unchanged in the reply.
            pub continuation: Option<Continuation>,
        }

        #[doc = concat!("The answer to [`", stringify!($query), "`].")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $answered {
            /// The subject, echoed.
            pub external_identity: IdentityId,
            /// The request's continuation, echoed unchanged.
            pub continuation: Option<Continuation>,
            /// Every edge on a chain into the subject (its closure), or why not.
            pub result: Result<Vec<Evidence<$rel>>, RelationError>,
        }
    };
}

relation_messages!(
    Reads, "reads for", "ReadsFor",
    RequestReadsFor => ReplyReadsFor,
    RequestSubmitReadsForEvidence => ReplySubmitReadsForEvidence,
    RequestSubmitReadsForRevocation => ReplySubmitReadsForRevocation,
    RequestQueryReadsForEvidence => ReplyQueryReadsForEvidence,
);

relation_messages!(
    Signs, "signs for", "SignsFor",
    RequestSignsFor => ReplySignsFor,
    RequestSubmitSignsForEvidence => ReplySubmitSignsForEvidence,
    RequestSubmitSignsForRevocation => ReplySubmitSignsForRevocation,
    RequestQuerySignsForEvidence => ReplyQuerySignsForEvidence,
);
