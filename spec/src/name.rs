//! Names for identities: the name syntax, name evidence and name revocations,
//! and the exact bytes their signatures cover.
//!
//! A name is one or more labels joined by dots, parent first: `alice` is a
//! top-level name, `alice.phone` is the child `phone` of the parent `alice`.
//! Who must sign a statement about a name (its *authority*) is the Naming
//! engine's rule, not the statement's: a dotted name is vouched for by the
//! identity its parent resolves to, a top-level name by its current holder, or
//! by the claimant itself while nobody holds it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::identity::{ExternalIdentity, IdentityId};

/// The label name evidence statements begin with.
pub const NAME_DOMAIN: &str = "sealwright/name/v1";
/// The label name revocation statements begin with.
pub const NAME_REVOCATION_DOMAIN: &str = "sealwright/name-revocation/v1";
/// Longest label, in bytes.
pub const MAX_LABEL: usize = 63;
/// Most labels in one name, so resolution walks a bounded chain.
pub const MAX_DEPTH: usize = 8;

/// Why a string is not a name.
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
pub enum NameSyntax {
    /// A label is empty: the name is empty, or has two dots in a row, or a dot at an end.
    #[error("a name's labels may not be empty")]
    EmptyLabel,
    /// A label is longer than [`MAX_LABEL`] bytes.
    #[error("a label is longer than 63 bytes")]
    LabelTooLong,
    /// A label holds a byte other than `a`–`z`, `0`–`9` and `-`, or begins or ends with `-`.
    #[error("labels are lowercase letters, digits and inner hyphens")]
    BadCharacter,
    /// More than [`MAX_DEPTH`] labels.
    #[error("a name has at most 8 labels")]
    TooDeep,
}

/// A valid name: labels of `a`–`z`, `0`–`9` and inner `-`, joined by dots, parent first.
///
/// Only valid names exist: decoding one from the wire checks it, so an engine
/// never sees a name it would have to refuse for its spelling.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdentityName(String);

impl IdentityName {
    /// Checks `text` and makes it a name.
    pub fn parse(text: &str) -> Result<Self, NameSyntax> {
        let labels: Vec<&str> = text.split('.').collect();
        if labels.len() > MAX_DEPTH {
            return Err(NameSyntax::TooDeep);
        }
        labels.iter().try_for_each(|label| check_label(label))?;
        Ok(IdentityName(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parent of a dotted name (`alice` for `alice.phone`); `None` for a top-level name.
    pub fn parent(&self) -> Option<IdentityName> {
        let (parent, _) = self.0.rsplit_once('.')?;
        Some(IdentityName(parent.to_owned()))
    }

    /// The child `label` of this name (`alice.phone` for `alice` and `phone`).
    pub fn child(&self, label: &str) -> Result<IdentityName, NameSyntax> {
        IdentityName::parse(&format!("{}.{label}", self.0))
    }
}

/// Checks one label's spelling.
fn check_label(label: &str) -> Result<(), NameSyntax> {
    if label.is_empty() {
        return Err(NameSyntax::EmptyLabel);
    }
    if label.len() > MAX_LABEL {
        return Err(NameSyntax::LabelTooLong);
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    if !label.bytes().all(allowed) || label.starts_with('-') || label.ends_with('-') {
        return Err(NameSyntax::BadCharacter);
    }
    Ok(())
}

impl TryFrom<String> for IdentityName {
    type Error = NameSyntax;

    fn try_from(text: String) -> Result<Self, NameSyntax> {
        IdentityName::parse(&text)
    }
}

impl From<IdentityName> for String {
    fn from(name: IdentityName) -> String {
        name.0
    }
}

impl std::str::FromStr for IdentityName {
    type Err = NameSyntax;

    fn from_str(text: &str) -> Result<Self, NameSyntax> {
        IdentityName::parse(text)
    }
}

impl fmt::Display for IdentityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdentityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// "`identityName` names `externalIdentity`", signed by the name's authority with a serial.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameEvidence {
    /// The name.
    pub identity_name: IdentityName,
    /// The identity it names.
    pub external_identity: ExternalIdentity,
    /// Orders statements about the same name; a revocation covers serials up to its own.
    pub serial: u64,
    /// Ed25519 signature by the name's authority over [`NameEvidence::signed_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl NameEvidence {
    /// The canonical bytes the authority signs: `[NAME_DOMAIN, name, identity, serial]` in CBOR.
    pub fn statement_bytes(name: &IdentityName, named: &ExternalIdentity, serial: u64) -> Vec<u8> {
        codec::to_canonical(&(NAME_DOMAIN, name, named, serial))
    }

    /// The bytes this evidence's signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        Self::statement_bytes(&self.identity_name, &self.external_identity, self.serial)
    }

    /// The identity this evidence names.
    pub fn named(&self) -> IdentityId {
        self.external_identity.id()
    }
}

impl fmt::Debug for NameEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NameEvidence({} names {}, serial {})",
            self.identity_name,
            self.named(),
            self.serial
        )
    }
}

/// "`identityName` is no longer held through `serial`", signed by its holder or its authority.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameRevocation {
    /// The name.
    pub identity_name: IdentityName,
    /// Evidence for the name with a serial up to and including this one is revoked.
    pub serial: u64,
    /// Ed25519 signature over [`NameRevocation::signed_bytes`].
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

impl NameRevocation {
    /// The canonical bytes signed: `[NAME_REVOCATION_DOMAIN, name, serial]` in CBOR.
    pub fn statement_bytes(name: &IdentityName, serial: u64) -> Vec<u8> {
        codec::to_canonical(&(NAME_REVOCATION_DOMAIN, name, serial))
    }

    /// The bytes this revocation's signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        Self::statement_bytes(&self.identity_name, self.serial)
    }
}

impl fmt::Debug for NameRevocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NameRevocation({} through serial {})",
            self.identity_name, self.serial
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::evidence::{ReadsForEvidence, SignsForEvidence};

    #[test]
    fn names_are_checked() {
        let rows: &[(&str, Result<(), NameSyntax>)] = &[
            ("alice", Ok(())),
            ("alice.phone", Ok(())),
            ("a-1.b2.c", Ok(())),
            ("", Err(NameSyntax::EmptyLabel)),
            ("alice.", Err(NameSyntax::EmptyLabel)),
            (".alice", Err(NameSyntax::EmptyLabel)),
            ("a..b", Err(NameSyntax::EmptyLabel)),
            ("Alice", Err(NameSyntax::BadCharacter)),
            ("-a", Err(NameSyntax::BadCharacter)),
            ("a-", Err(NameSyntax::BadCharacter)),
            ("a_b", Err(NameSyntax::BadCharacter)),
            ("caf\u{e9}", Err(NameSyntax::BadCharacter)),
            ("a.b.c.d.e.f.g.h.i", Err(NameSyntax::TooDeep)),
        ];
        for (text, want) in rows {
            assert_eq!(IdentityName::parse(text).map(|_| ()), *want, "{text:?}");
        }
        assert_eq!(
            IdentityName::parse(&"a".repeat(64)),
            Err(NameSyntax::LabelTooLong)
        );
        assert!(IdentityName::parse(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn parents_and_children() {
        let name = IdentityName::parse("alice.phone.work").unwrap();
        let parent = name.parent().unwrap();
        assert_eq!(parent.as_str(), "alice.phone");
        assert_eq!(parent.parent().unwrap().as_str(), "alice");
        assert_eq!(parent.parent().unwrap().parent(), None);
        assert_eq!(parent.child("work"), Ok(name));
        assert_eq!(parent.child("Work"), Err(NameSyntax::BadCharacter));
    }

    #[test]
    fn a_bad_name_does_not_decode() {
        let bytes = codec::to_canonical(&"Not A Name");
        assert!(codec::decode::<IdentityName>(&bytes).is_err());
        let good = codec::to_canonical(&"alice.phone");
        assert_eq!(
            codec::decode::<IdentityName>(&good).unwrap().as_str(),
            "alice.phone"
        );
    }

    #[test]
    fn name_statements_are_domain_separated() {
        let id = ExternalIdentity {
            verifying_key: [1; 32],
            encryption_key: [2; 32],
        };
        let name = IdentityName::parse("alice").unwrap();
        let ev = NameEvidence::statement_bytes(&name, &id, 1);
        let rv = NameRevocation::statement_bytes(&name, 1);
        let rf = ReadsForEvidence::statement_bytes(&id, &id, 1);
        let sf = SignsForEvidence::statement_bytes(&id, &id, 1);
        for other in [&rv, &rf, &sf] {
            assert_ne!(&ev, other);
        }
        assert_ne!(ev, NameEvidence::statement_bytes(&name, &id, 2));
    }
}
