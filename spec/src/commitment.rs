//! Commitments: Ed25519 signatures over domain-separated data, naming the key that made them.
//!
//! The vault signs exactly two kinds of statement: relation evidence it is
//! told to make by Identity Management, and commitments for an identity's
//! owner. A commitment signs `["sealwright/commitment/v1", data]`, a CBOR
//! array whose first element no evidence, revocation or name statement shares,
//! so no data an owner asks to have signed can be read as any of those.

use serde::{Deserialize, Serialize};

use crate::codec;

/// The label every commitment's signed bytes begin with.
pub const COMMITMENT_DOMAIN: &str = "sealwright/commitment/v1";

/// A signature by the identity whose verifying key it names.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Commitment {
    /// The Ed25519 verifying key the commitment was made with.
    #[serde(with = "serde_bytes")]
    pub verifying_key: [u8; 32],
    /// Ed25519 signature over [`Commitment::statement_bytes`] of the data.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl Commitment {
    /// The canonical bytes a commitment to `data` signs: `[COMMITMENT_DOMAIN, data]` in CBOR.
    pub fn statement_bytes(data: &[u8]) -> Vec<u8> {
        codec::to_canonical(&(COMMITMENT_DOMAIN, serde_bytes::Bytes::new(data)))
    }
}

impl std::fmt::Debug for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = crate::identity::KeyId::of_verifying_key(&self.verifying_key);
        write!(f, "Commitment(by key {key})")
    }
}
