//! Relation evidence and revocations, and the exact bytes their signatures cover.
//!
//! One statement shape serves both relations; the [`Relation`]'s domain label
//! is the first element of the signed bytes, so reads-for evidence cannot be
//! replayed as signs-for evidence, nor either as a revocation.

use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::identity::{ExternalIdentity, IdentityId};

/// One evidence relation: its name and the labels its statements are signed under.
pub trait Relation:
    Copy + Debug + Default + PartialEq + Eq + PartialOrd + Ord + Hash + Send + Sync + 'static
{
    /// The relation in prose: "reads for", "signs for".
    const VERB: &'static str;
    /// The label evidence statements begin with.
    const EVIDENCE_DOMAIN: &'static str;
    /// The label revocation statements begin with.
    const REVOCATION_DOMAIN: &'static str;
}

/// "A reads for B": A may decrypt what is sealed to B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reads;

impl Relation for Reads {
    const VERB: &'static str = "reads for";
    const EVIDENCE_DOMAIN: &'static str = "sealwright/reads-for/v1";
    const REVOCATION_DOMAIN: &'static str = "sealwright/reads-for-revocation/v1";
}

/// "A signs for B": A's commitments count as B's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signs;

impl Relation for Signs {
    const VERB: &'static str = "signs for";
    const EVIDENCE_DOMAIN: &'static str = "sealwright/signs-for/v1";
    const REVOCATION_DOMAIN: &'static str = "sealwright/signs-for-revocation/v1";
}

/// "`fromIdentity` reads (or signs) for `toIdentity`", signed by `toIdentity` with a serial number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Evidence<R: Relation> {
    /// The member: may decrypt (or sign) for `to_identity`.
    pub from_identity: ExternalIdentity,
    /// The subject, whose key signs the statement.
    pub to_identity: ExternalIdentity,
    /// Orders statements about the same pair; a revocation covers serials up to its own.
    pub serial: u64,
    /// Ed25519 signature by `to_identity` over [`Evidence::signed_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
    /// Which relation this is evidence of; not on the wire (the message says it).
    #[serde(skip)]
    pub relation: PhantomData<R>,
}

/// "`fromIdentity` reads for `toIdentity`".
pub type ReadsForEvidence = Evidence<Reads>;
/// "`fromIdentity` signs for `toIdentity`".
pub type SignsForEvidence = Evidence<Signs>;

impl<R: Relation> Evidence<R> {
    /// The canonical bytes the subject signs: `[R::EVIDENCE_DOMAIN, from, to, serial]` in CBOR.
    pub fn statement_bytes(from: &ExternalIdentity, to: &ExternalIdentity, serial: u64) -> Vec<u8> {
        codec::to_canonical(&(R::EVIDENCE_DOMAIN, from, to, serial))
    }

    /// Evidence for (`from`, `to`, `serial`) with `signature`.
    pub fn new(
        from: ExternalIdentity,
        to: ExternalIdentity,
        serial: u64,
        signature: [u8; 64],
    ) -> Self {
        Evidence {
            from_identity: from,
            to_identity: to,
            serial,
            signature,
            relation: PhantomData,
        }
    }

    /// The bytes this evidence's signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        Self::statement_bytes(&self.from_identity, &self.to_identity, self.serial)
    }

    /// The (member, subject) pair this evidence is about.
    pub fn edge(&self) -> (IdentityId, IdentityId) {
        (self.from_identity.id(), self.to_identity.id())
    }
}

impl<R: Relation> std::fmt::Debug for Evidence<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Evidence({} {} {}, serial {})",
            self.from_identity.id(),
            R::VERB,
            self.to_identity.id(),
            self.serial
        )
    }
}

/// "`fromIdentity` no longer reads (or signs) for `toIdentity`", signed by `toIdentity`.
///
/// It supersedes evidence for the same pair whose serial is lower than or equal to its own.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Revocation<R: Relation> {
    /// The member whose membership is revoked.
    pub from_identity: IdentityId,
    /// The subject, whose key signs the revocation.
    pub to_identity: ExternalIdentity,
    /// Evidence with a serial up to and including this one is revoked.
    pub serial: u64,
    /// Ed25519 signature by `to_identity` over [`Revocation::signed_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
    /// Which relation this revokes; not on the wire (the message says it).
    #[serde(skip)]
    pub relation: PhantomData<R>,
}

/// "`fromIdentity` no longer reads for `toIdentity`".
pub type ReadsForRevocation = Revocation<Reads>;
/// "`fromIdentity` no longer signs for `toIdentity`".
pub type SignsForRevocation = Revocation<Signs>;

impl<R: Relation> Revocation<R> {
    /// The canonical bytes the subject signs: `[R::REVOCATION_DOMAIN, from, to, serial]` in CBOR.
    pub fn statement_bytes(from: &IdentityId, to: &ExternalIdentity, serial: u64) -> Vec<u8> {
        codec::to_canonical(&(R::REVOCATION_DOMAIN, from, to, serial))
    }

    /// A revocation of (`from`, `to`) through `serial`, with `signature`.
    pub fn new(from: IdentityId, to: ExternalIdentity, serial: u64, signature: [u8; 64]) -> Self {
        Revocation {
            from_identity: from,
            to_identity: to,
            serial,
            signature,
            relation: PhantomData,
        }
    }

    /// The bytes this revocation's signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        Self::statement_bytes(&self.from_identity, &self.to_identity, self.serial)
    }

    /// The (member, subject) pair this revocation is about.
    pub fn edge(&self) -> (IdentityId, IdentityId) {
        (self.from_identity, self.to_identity.id())
    }
}

impl<R: Relation> std::fmt::Debug for Revocation<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Revocation({} no longer {} {}, through serial {})",
            self.from_identity,
            R::VERB,
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
        let sev = SignsForEvidence::statement_bytes(&a, &b, 1);
        let srv = SignsForRevocation::statement_bytes(&a.id(), &b, 1);
        let all = [&ev, &rv, &sev, &srv];
        for (i, x) in all.iter().enumerate() {
            for y in &all[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert_ne!(ev, ReadsForEvidence::statement_bytes(&b, &a, 1));
        assert_ne!(ev, ReadsForEvidence::statement_bytes(&a, &b, 2));
    }

    #[test]
    fn debug_names_the_relation() {
        let ev = SignsForEvidence::new(ident(1), ident(2), 3, [0; 64]);
        assert!(format!("{ev:?}").contains("signs for"));
    }
}
