//! The Naming engine's messages, under the Anoma specification's names.

use serde::{Deserialize, Serialize};

use crate::error::NamingError;
use crate::identity::{ExternalIdentity, IdentityId};
use crate::name::{IdentityName, NameEvidence, NameRevocation};

/// Asks the Naming engine which identity `identityName` names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestResolveName {
    /// The name to resolve.
    pub identity_name: IdentityName,
}

/// The answer to [`RequestResolveName`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyResolveName {
    /// The name, echoed, so a requester with several questions out knows which this answers.
    pub identity_name: IdentityName,
    /// The one identity the name resolves to, or why it resolves to none.
    pub result: Result<ExternalIdentity, NamingError>,
}

/// Submits signed name evidence to the Naming engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSubmitNameEvidence {
    /// The evidence.
    pub evidence: NameEvidence,
}

/// The answer to [`RequestSubmitNameEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplySubmitNameEvidence {
    /// Stored, or why not.
    pub result: Result<(), NamingError>,
}

/// Submits a signed name revocation to the Naming engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestSubmitNameRevocation {
    /// The revocation.
    pub revocation: NameRevocation,
}

/// The answer to [`RequestSubmitNameRevocation`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplySubmitNameRevocation {
    /// Applied, or why not.
    pub result: Result<(), NamingError>,
}

/// Asks for the evidence of every name that resolves to `externalIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestQueryNameEvidence {
    /// The identity.
    pub external_identity: IdentityId,
}

/// The answer to [`RequestQueryNameEvidence`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyQueryNameEvidence {
    /// The identity, echoed.
    pub external_identity: IdentityId,
    /// The evidence of each name that resolves to it, in name order, or why not.
    pub result: Result<Vec<NameEvidence>, NamingError>,
}
