//! Reads-for evidence and revocations, and the exact bytes their signatures cover.

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::identity::{ExternalIdentity, IdentityId};

const EVIDENCE_DOMAIN: &str = "sealwright/reads-for/v1";
const REVOCATION_DOMAIN: &str = "sealwright/reads-for-revocation/v1";

/// "`fromIdentity` reads for `toIdentity`", signed by `toIdentity` with a serial number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadsForEvidence {
    /// The reader: may decrypt what is sealed for `to_identity` with reads-for.
    pub from_identity: ExternalIdentity,
    /// The subject, whose key signs the statement.
    pub to_identity: ExternalIdentity,
    /// Orders statements about the same pair; a revocation covers serials up to its own.
    pub serial: u64,
    /// Ed25519 signature by `to_identity` over [`ReadsForEvidence::signed_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl ReadsForEvidence {
    /// The canonical bytes the subject signs: `["sealwright/reads-for/v1", from, to, serial]` in CBOR.
    pub fn statement_bytes(from: &ExternalIdentity, to: &ExternalIdentity, serial: u64) -> Vec<u8> {
        codec::to_canonical(&(EVIDENCE_DOMAIN, from, to, serial))
    }

    /// The bytes this evidence's signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        Self::statement_bytes(&self.from_identity, &self.to_identity, self.serial)
    }

    /// The (reader, subject) pair this evidence is about.
    pub fn edge(&self) -> (IdentityId, IdentityId) {
        (self.from_identity.id(), self.to_identity.id())
    }
}

impl std::fmt::Debug for ReadsForEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReadsForEvidence({} reads for {}, serial {})",
            self.from_identity.id(),
            self.to_identity.id(),
            self.serial
        )
    }
}

/// "`fromIdentity` no longer reads for `toIdentity`", signed by `toIdentity`.
///
/// It supersedes evidence for the same pair whose serial is lower than or equal to its own.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadsForRevocation {
    /// The reader whose reading is revoked.
    pub from_identity: IdentityId,
    /// The subject, whose key signs the revocation.
    pub to_identity: ExternalIdentity,
    /// Evidence with a serial up to and including this one is revoked.
    pub serial: u64,
    /// Ed25519 signature by `to_identity` over [`ReadsForRevocation::signed_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl ReadsForRevocation {
    /// The canonical bytes the subject signs: `["sealwright/reads-for-revocation/v1", from, to, serial]` in CBOR.
    pub fn statement_bytes(from: &IdentityId, to: &ExternalIdentity, serial: u64) -> Vec<u8> {
        codec::to_canonical(&(REVOCATION_DOMAIN, from, to, serial))
    }

    /// The bytes this revocation's signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        Self::statement_bytes(&self.from_identity, &self.to_identity, self.serial)
    }

    /// The (reader, subject) pair this revocation is about.
    pub fn edge(&self) -> (IdentityId, IdentityId) {
        (self.from_identity, self.to_identity.id())
    }
}

impl std::fmt::Debug for ReadsForRevocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReadsForRevocation({} no longer reads for {}, through serial {})",
            self.from_identity,
            self.to_identity.id(),
            self.serial
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(b: u8) -> ExternalIdentity {
        ExternalIdentity {
            verifying_key: [b; 32],
            encryption_key: [b.wrapping_add(1); 32],
        }
    }

    #[test]
    fn statements_are_domain_separated() {
        let (a, b) = (ident(1), ident(2));
        let ev = ReadsForEvidence::statement_bytes(&a, &b, 1);
        let rv = ReadsForRevocation::statement_bytes(&a.id(), &b, 1);
        assert_ne!(ev, rv);
        assert_ne!(ev, ReadsForEvidence::statement_bytes(&b, &a, 1));
        assert_ne!(ev, ReadsForEvidence::statement_bytes(&a, &b, 2));
    }
}
