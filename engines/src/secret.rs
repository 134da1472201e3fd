//! Secret bytes: zeroized on drop, redacted in `Debug`, serialisable only where a field says so.

use std::fmt;
use std::hash::{Hash, Hasher};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// 32 secret bytes (a private key, a seed or a symmetric key).
///
/// It implements neither `Serialize` nor `Display`, so it cannot reach a
/// message or a log by accident: only a field marked
/// `#[serde(with = "crate::secret::exposed")]` writes it (an engine's state,
/// as the conformance suite records it). `Hash` and `Eq` exist so that the model
/// checker can store engine states; equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret32([u8; 32]);

impl Secret32 {
    /// Wraps secret bytes; the caller should zeroize its own copy.
    pub fn new(bytes: [u8; 32]) -> Self {
        Secret32(bytes)
    }

    /// The secret bytes, for handing to a crypto primitive.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Secret32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret32(<redacted>)")
    }
}

impl PartialEq for Secret32 {
    fn eq(&self, other: &Self) -> bool {
        // Constant-time: no early exit on the first differing byte.
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for Secret32 {}

impl Hash for Secret32 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Serde for a field that holds a secret, as a 32-byte string; named at each field so that
/// every place a secret can be written is visible.
pub mod exposed {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Secret32;

    /// Writes the secret bytes.
    pub fn serialize<S: Serializer>(secret: &Secret32, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::serialize(secret.expose().as_slice(), serializer)
    }

    /// Reads exactly 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret32, D::Error> {
        let bytes: serde_bytes::ByteBuf = Deserialize::deserialize(deserializer)?;
        let mut array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| serde::de::Error::invalid_length(bytes.len(), &"32 secret bytes"))?;
        let secret = Secret32::new(array);
        zeroize::Zeroize::zeroize(&mut array);
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret32::new([0xab; 32]);
        let text = format!("{s:?} {s:#?}");
        assert!(!text.contains("171") && !text.to_lowercase().contains("ab, "));
        assert!(text.contains("redacted"));
    }
}
