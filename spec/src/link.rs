//! What a node proves about itself on a link: its whole identity, bound to one handshake.
//!
//! The Noise handshake authenticates each side's X25519 static key. An identity also has an
//! Ed25519 key, and engines authorise by the whole identity, so each side signs the
//! handshake hash with it: a [`LinkProof`]. The signed bytes name the signer's role, so a
//! proof reflected back to its signer, or replayed into another handshake, checks under
//! nothing.

use serde::{Deserialize, Serialize};

use crate::codec::{self, DecodeError};
use crate::identity::ExternalIdentity;

/// Domain label of the bytes a link proof signs.
pub const LINK_DOMAIN: &str = "sealwright/link/v1";

/// Which end of a link signed a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LinkRole {
    /// The side that connected and wrote the first handshake message.
    Initiator,
    /// The side that accepted.
    Responder,
}

/// "The holder of `identity` takes part in the handshake with this hash, as `role`."
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkProof {
    /// The identity proved; its encryption key must be the handshake's static key.
    pub identity: ExternalIdentity,
    /// Ed25519 signature by `identity` over [`LinkProof::statement_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl LinkProof {
    /// The canonical bytes signed: `[LINK_DOMAIN, role, handshake hash]` in CBOR.
    pub fn statement_bytes(role: LinkRole, handshake_hash: &[u8; 32]) -> Vec<u8> {
        codec::to_canonical(&(LINK_DOMAIN, role, serde_bytes::Bytes::new(handshake_hash)))
    }

    /// The proof as canonical CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    /// Reads a proof from canonical CBOR.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_changes_the_signed_bytes() {
        let h = [7u8; 32];
        assert_ne!(
            LinkProof::statement_bytes(LinkRole::Initiator, &h),
            LinkProof::statement_bytes(LinkRole::Responder, &h)
        );
        assert_ne!(
            LinkProof::statement_bytes(LinkRole::Initiator, &h),
            LinkProof::statement_bytes(LinkRole::Initiator, &[8u8; 32])
        );
    }

    #[test]
    fn a_proof_round_trips_and_garbage_is_an_error() {
        let p = LinkProof {
            identity: ExternalIdentity {
                verifying_key: [1; 32],
                encryption_key: [2; 32],
            },
            signature: [3; 64],
        };
        assert_eq!(LinkProof::from_cbor(&p.to_cbor()).ok(), Some(p));
        assert!(LinkProof::from_cbor(&[0xff, 0x00]).is_err());
    }
}
