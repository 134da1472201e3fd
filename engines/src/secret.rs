//! Secret bytes: zeroized on drop, redacted in `Debug`, never serialisable.

use std::fmt;
use std::hash::{Hash, Hasher};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// 32 secret bytes (a private key, a seed or a symmetric key).
///
/// It implements neither `Serialize` nor `Display`, so it cannot reach a
/// message or a log by accident. `Hash` and `Eq` exist so that the model
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
