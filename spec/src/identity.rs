//! External identities (public halves), their ids and key ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec;
use crate::text::{base32_decode, base32_encode};

/// Length of an identity id in bytes (a truncated SHA-256).
pub const IDENTITY_ID_LEN: usize = 20;
/// Length of a key id in bytes (a truncated SHA-256).
pub const KEY_ID_LEN: usize = 8;

const IDENTITY_ID_DOMAIN: &[u8] = b"sealwright/identity-id/v1\0";
const KEY_ID_DOMAIN: &[u8] = b"sealwright/key-id/v1\0";
const VERIFYING_KEY_ID_DOMAIN: &[u8] = b"sealwright/verifying-key-id/v1\0";
const IDENTITY_ID_PREFIX: &str = "sw1";
const KEY_ID_PREFIX: &str = "swk1";
const PUBLIC_PREFIX: &str = "swpub1";

/// The public half of an identity: an X25519 encryption key and an Ed25519 verifying key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalIdentity {
    /// The Ed25519 verifying key that checks this identity's signatures.
    #[serde(with = "serde_bytes")]
    pub verifying_key: [u8; 32],
    /// The X25519 public key that ciphertexts for this identity are sealed to.
    #[serde(with = "serde_bytes")]
    pub encryption_key: [u8; 32],
}

impl ExternalIdentity {
    /// The identity's id: a hash of its canonical CBOR encoding.
    pub fn id(&self) -> IdentityId {
        let mut h = Sha256::new();
        h.update(IDENTITY_ID_DOMAIN);
        h.update(codec::to_canonical(self));
        let digest = h.finalize();
        let mut id = [0u8; IDENTITY_ID_LEN];
        id.copy_from_slice(&digest[..IDENTITY_ID_LEN]);
        IdentityId(id)
    }

    /// The key id of this identity's current encryption key.
    pub fn key_id(&self) -> KeyId {
        KeyId::of_encryption_key(&self.encryption_key)
    }
}

/// The text form of a public identity: `swpub1` and the base32 of both keys
/// (verifying key, then encryption key): 6 + 103 = 109 characters, the last
/// one's 3 unused low bits zero.
impl fmt::Display for ExternalIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&self.verifying_key);
        bytes[32..].copy_from_slice(&self.encryption_key);
        write!(f, "{PUBLIC_PREFIX}{}", base32_encode(&bytes))
    }
}

/// Parses exactly the text [`Display`](fmt::Display) writes: nothing around it
/// (no whitespace: callers that read a line trim it themselves), lowercase only.
impl FromStr for ExternalIdentity {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 64] = parse_prefixed(s, PUBLIC_PREFIX, "public identity")?;
        let mut identity = ExternalIdentity {
            verifying_key: [0; 32],
            encryption_key: [0; 32],
        };
        identity.verifying_key.copy_from_slice(&bytes[..32]);
        identity.encryption_key.copy_from_slice(&bytes[32..]);
        Ok(identity)
    }
}

impl fmt::Debug for ExternalIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The id names the identity; the raw keys would only add noise.
        write!(f, "ExternalIdentity({})", self.id())
    }
}

/// An identity's id: the first 20 bytes of a domain-separated SHA-256 of its canonical encoding.
///
/// Its text form is `sw1` followed by 32 lowercase base32 characters (35 in
/// all; 160 bits fill the 32 characters exactly, so no bit is unused).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdentityId(#[serde(with = "serde_bytes")] pub [u8; IDENTITY_ID_LEN]);

/// A key id: names one X25519 public key, so a vault can find rotated-out keys.
///
/// Its text form is `swk1` followed by 13 lowercase base32 characters (17 in
/// all; the last character's one unused low bit is zero).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(#[serde(with = "serde_bytes")] pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// The key id of an X25519 public key.
    pub fn of_encryption_key(public: &[u8; 32]) -> Self {
        Self::hashed(KEY_ID_DOMAIN, public)
    }

    /// The key id of an Ed25519 verifying key (a namespace apart from encryption keys).
    pub fn of_verifying_key(public: &[u8; 32]) -> Self {
        Self::hashed(VERIFYING_KEY_ID_DOMAIN, public)
    }

    fn hashed(domain: &[u8], public: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(domain);
        h.update(public);
        let digest = h.finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        KeyId(id)
    }
}

/// A text id that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a {kind}: expected `{prefix}` followed by {chars} lowercase base32 characters"
)]
pub struct ParseIdError {
    text: String,
    kind: &'static str,
    prefix: &'static str,
    chars: usize,
}

fn parse_prefixed<const N: usize>(
    text: &str,
    prefix: &'static str,
    kind: &'static str,
) -> Result<[u8; N], ParseIdError> {
    let err = || ParseIdError {
        // Bound what an error echoes back: the input may be hostile.
        text: text.chars().take(80).collect(),
        kind,
        prefix,
        chars: (N * 8).div_ceil(5),
    };
    let body = text.strip_prefix(prefix).ok_or_else(err)?;
    base32_decode::<N>(body).ok_or_else(err)
}

impl fmt::Display for IdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{IDENTITY_ID_PREFIX}{}", base32_encode(&self.0))
    }
}

impl fmt::Debug for IdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for IdentityId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_prefixed(s, IDENTITY_ID_PREFIX, "identity id").map(IdentityId)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEY_ID_PREFIX}{}", base32_encode(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for KeyId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_prefixed(s, KEY_ID_PREFIX, "key id").map(KeyId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ExternalIdentity {
        ExternalIdentity {
            verifying_key: [7; 32],
            encryption_key: [9; 32],
        }
    }

    #[test]
    fn id_text_round_trips() {
        let id = sample().id();
        let text = id.to_string();
        assert!(text.starts_with("sw1"));
        assert_eq!(text.len(), 3 + 32);
        assert_eq!(text.parse::<IdentityId>(), Ok(id));
        let public = sample().to_string();
        assert!(public.starts_with("swpub1"));
        assert_eq!(public.parse::<ExternalIdentity>(), Ok(sample()));
        let key = sample().key_id();
        assert_eq!(key.to_string().parse::<KeyId>(), Ok(key));
    }

    #[test]
    fn id_depends_on_both_keys() {
        let a = sample();
        let mut b = sample();
        b.encryption_key[0] ^= 1;
        let mut c = sample();
        c.verifying_key[31] ^= 1;
        assert_ne!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
        assert_ne!(a.key_id(), b.key_id());
        assert_eq!(a.key_id(), c.key_id());
    }

    #[test]
    fn bad_text_is_a_typed_error() {
        for bad in [
            "",
            "sw1",
            "sw2aaaa",
            "swk1aaaaaaaaaaaaa",
            &"x".repeat(10_000),
        ] {
            let Err(err) = bad.parse::<IdentityId>() else {
                panic!("`{bad}` parsed as an identity id");
            };
            assert!(err.to_string().len() < 300, "{err}");
        }
    }
}
