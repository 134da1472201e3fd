//! What an identity's secret keys may be used for: committing (signing), decrypting, or both.
//!
//! The Anoma specification's Identity Management requests carry the same three
//! values. Here the vault records them with each identity's keys and enforces
//! them: it signs only with an identity that has [`Capabilities::Commit`], and
//! decrypts only with the keys of one that has [`Capabilities::Decrypt`].
//! Identity Management records them too, and `RequestConnectIdentity` checks
//! that a requester asks for no more than the identity has.
//!
//! On the wire a value is its variant name, as every enum value is
//! (`"Commit"`, `"Decrypt"`, `"CommitAndDecrypt"`). A message field of this
//! type is omitted when it is the default, [`Capabilities::CommitAndDecrypt`],
//! so messages written before capabilities existed keep their bytes.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an identity's keys may be used for.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Capabilities {
    /// Sign commitments only.
    Commit,
    /// Decrypt only.
    Decrypt,
    /// Both: the default, and what every identity had before capabilities existed.
    #[default]
    CommitAndDecrypt,
}

impl Capabilities {
    /// Every value, in declaration order.
    pub const ALL: [Capabilities; 3] = [
        Capabilities::Commit,
        Capabilities::Decrypt,
        Capabilities::CommitAndDecrypt,
    ];

    /// Whether these capabilities include signing commitments.
    pub const fn commit(self) -> bool {
        matches!(self, Capabilities::Commit | Capabilities::CommitAndDecrypt)
    }

    /// Whether these capabilities include decrypting.
    pub const fn decrypt(self) -> bool {
        matches!(self, Capabilities::Decrypt | Capabilities::CommitAndDecrypt)
    }

    /// Whether every capability in `other` is also in `self` (`other` is a subset).
    pub const fn contains(self, other: Capabilities) -> bool {
        (self.commit() || !other.commit()) && (self.decrypt() || !other.decrypt())
    }

    /// Whether this is the default, both; a field holding it is left off the wire.
    pub fn is_default(&self) -> bool {
        *self == Capabilities::default()
    }
}

/// Lowercase words, as an error message reads them: `commit`, `decrypt`, `commit and decrypt`.
impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capabilities::Commit => "commit",
            Capabilities::Decrypt => "decrypt",
            Capabilities::CommitAndDecrypt => "commit and decrypt",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capabilities::*;

    #[test]
    fn contains_is_the_subset_order() {
        let table = [
            (Commit, Commit, true),
            (Commit, Decrypt, false),
            (Commit, CommitAndDecrypt, false),
            (Decrypt, Commit, false),
            (Decrypt, Decrypt, true),
            (Decrypt, CommitAndDecrypt, false),
            (CommitAndDecrypt, Commit, true),
            (CommitAndDecrypt, Decrypt, true),
            (CommitAndDecrypt, CommitAndDecrypt, true),
        ];
        for (held, asked, expected) in table {
            assert_eq!(held.contains(asked), expected, "{held:?} ⊇ {asked:?}");
        }
    }

    #[test]
    fn the_default_is_both() {
        assert_eq!(Capabilities::default(), CommitAndDecrypt);
        assert!(CommitAndDecrypt.is_default() && !Commit.is_default() && !Decrypt.is_default());
        assert_eq!(
            Capabilities::ALL.map(|c| (c.commit(), c.decrypt())),
            [(true, false), (false, true), (true, true)]
        );
    }

    #[test]
    fn wire_names_are_the_variant_names() {
        for (c, name) in [
            (Commit, "Commit"),
            (Decrypt, "Decrypt"),
            (CommitAndDecrypt, "CommitAndDecrypt"),
        ] {
            let mut expected = vec![0x60 + name.len() as u8];
            expected.extend_from_slice(name.as_bytes());
            assert_eq!(crate::codec::encode(&c), expected);
            assert_eq!(crate::codec::decode::<Capabilities>(&expected), Ok(c));
        }
    }
}
