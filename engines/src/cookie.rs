//! Cookie keys: the Encryption engine's only state, a ratchet of symmetric keys.
//!
//! Key `e + 1` is a one-way hash of key `e`, so every instance of a pool that
//! holds key `e` can follow a peer that has already rotated to `e + 1`, while
//! nobody who learns key `e` can recover key `e - 1`. An instance at epoch `e`
//! opens continuations sealed at `e - 1`, `e` and `e + 1`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::Secret32;

const RATCHET_DOMAIN: &[u8] = b"sealwright/cookie-ratchet/v1\0";

/// A cookie key and the epoch it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CookieKey {
    /// Rotation counter.
    pub epoch: u64,
    /// The key.
    #[serde(with = "crate::secret::exposed")]
    pub key: Secret32,
}

impl CookieKey {
    /// The key of the next epoch.
    pub fn next(&self) -> CookieKey {
        let mut h = Sha256::new();
        h.update(RATCHET_DOMAIN);
        h.update(self.key.expose());
        let mut bytes: [u8; 32] = h.finalize().into();
        let key = Secret32::new(bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        CookieKey {
            epoch: self.epoch.wrapping_add(1),
            key,
        }
    }
}

/// What a continuation's epoch means to an engine at some epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Open it with this key.
    Key(CookieKey),
    /// Sealed under a key that has been rotated out.
    Expired,
    /// Sealed at an epoch no honest instance has reached.
    Unknown,
}

/// The current cookie key and the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CookieRing {
    current: CookieKey,
    previous: Option<CookieKey>,
}

impl CookieRing {
    /// A ring starting at `key`.
    pub fn new(key: CookieKey) -> Self {
        CookieRing {
            current: key,
            previous: None,
        }
    }

    /// The key new continuations are sealed under.
    pub fn current(&self) -> &CookieKey {
        &self.current
    }

    /// Every key the ring holds (current first).
    pub fn keys(&self) -> impl Iterator<Item = &CookieKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    /// Advances one epoch; the old current key becomes the previous one, and the one before is erased.
    pub fn rotate(&mut self) {
        let next = self.current.next();
        self.previous = Some(std::mem::replace(&mut self.current, next));
    }

    /// The key for a continuation sealed at `epoch`, if this ring still (or already) has it.
    pub fn lookup(&self, epoch: u64) -> Lookup {
        let now = self.current.epoch;
        if epoch == now {
            Lookup::Key(self.current.clone())
        } else if Some(epoch) == now.checked_add(1) {
            // A peer in the pool rotated first: follow the ratchet one step.
            Lookup::Key(self.current.next())
        } else if epoch < now {
            match &self.previous {
                Some(prev) if prev.epoch == epoch => Lookup::Key(prev.clone()),
                _ => Lookup::Expired,
            }
        } else {
            Lookup::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CookieKey {
        CookieKey {
            epoch: 5,
            key: Secret32::new([3; 32]),
        }
    }

    #[test]
    fn ring_accepts_previous_current_and_next() {
        let mut ring = CookieRing::new(key());
        assert_eq!(ring.lookup(5), Lookup::Key(key()));
        assert_eq!(ring.lookup(6), Lookup::Key(key().next()));
        assert_eq!(ring.lookup(4), Lookup::Expired);
        assert_eq!(ring.lookup(7), Lookup::Unknown);
        ring.rotate();
        assert_eq!(ring.lookup(5), Lookup::Key(key()));
        assert_eq!(ring.lookup(6), Lookup::Key(key().next()));
        ring.rotate();
        assert_eq!(ring.lookup(5), Lookup::Expired);
        assert_eq!(ring.current().epoch, 7);
    }
}
