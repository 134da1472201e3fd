//! Which crypto the model's engines run with: symbolic for checking, or real HPKE with
//! seeded randomness for making the conformance suite.
//!
//! The same scenarios, actors and engine code run either way. The symbolic
//! backend keeps states small and lets properties read every ciphertext; the
//! seeded backend makes every transition the checker explores a transition of
//! the real engines, reproducible from two integers.

use std::cell::Cell;
use std::io::{Read, Write};

use engines::Backend;
use engines::backend::seeded::SeededBackend;
use engines::backend::symbolic::SymbolicBackend;
use engines::backend::{KeyRing, OpenStreamError, SealStreamError};
use engines::cookie::CookieKey;
use engines::identity::InternalIdentity;
use spec::{ExternalIdentity, RelationError};

/// The crypto a model is built with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Crypto {
    /// Symbolic values the properties can read (every check and every diagram).
    #[default]
    Symbolic,
    /// Real HPKE and Ed25519 with seeded randomness (the conformance suite).
    Seeded,
}

thread_local! {
    static CRYPTO: Cell<Crypto> = const { Cell::new(Crypto::Symbolic) };
}

/// Runs `build` with every backend it makes in `crypto` (scenario setups make identities and
/// statements before any actor exists, so the choice travels with the thread, not an argument).
pub fn with_crypto<T>(crypto: Crypto, build: impl FnOnce() -> T) -> T {
    let before = CRYPTO.with(|c| c.replace(crypto));
    let out = build();
    CRYPTO.with(|c| c.set(before));
    out
}

/// The crypto backends are being made in on this thread.
pub fn current() -> Crypto {
    CRYPTO.with(Cell::get)
}

/// An engine's backend in the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModelBackend {
    /// Symbolic crypto.
    Symbolic(SymbolicBackend),
    /// Real crypto, seeded.
    Seeded(SeededBackend),
}

impl ModelBackend {
    /// A backend for stream `stream` in this thread's crypto.
    pub fn new(stream: u64) -> Self {
        Self::of(current(), stream)
    }

    /// A backend for stream `stream` in `crypto`.
    pub fn of(crypto: Crypto, stream: u64) -> Self {
        match crypto {
            Crypto::Symbolic => ModelBackend::Symbolic(SymbolicBackend::new(stream)),
            Crypto::Seeded => ModelBackend::Seeded(SeededBackend::new(stream)),
        }
    }

    /// How many random bytes it has drawn (none, symbolically).
    pub fn position(&self) -> u64 {
        match self {
            ModelBackend::Symbolic(_) => 0,
            ModelBackend::Seeded(b) => b.position(),
        }
    }

    /// The random bytes drawn between two positions.
    pub fn drawn(&self, from: u64, to: u64) -> Vec<u8> {
        match self {
            ModelBackend::Symbolic(_) => Vec::new(),
            ModelBackend::Seeded(b) => b.drawn(from, to),
        }
    }
}

/// Calls the same method on whichever backend this is.
macro_rules! both {
    ($self:expr, $b:ident => $call:expr) => {
        match $self {
            ModelBackend::Symbolic($b) => $call,
            ModelBackend::Seeded($b) => $call,
        }
    };
}

impl Backend for ModelBackend {
    fn generate_identity(&mut self) -> InternalIdentity {
        both!(self, b => b.generate_identity())
    }

    fn rotate_encryption_key(&mut self, identity: &InternalIdentity) -> InternalIdentity {
        both!(self, b => b.rotate_encryption_key(identity))
    }

    fn sign(&self, signer: &InternalIdentity, message: &[u8]) -> [u8; 64] {
        both!(self, b => b.sign(signer, message))
    }

    fn verify(&self, key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> Result<(), RelationError> {
        both!(self, b => b.verify(key, message, sig))
    }

    fn seal_stream(
        &mut self,
        recipients: &[ExternalIdentity],
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, SealStreamError> {
        both!(self, b => b.seal_stream(recipients, input, output))
    }

    fn open_stream(
        &self,
        keys: &KeyRing,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        both!(self, b => b.open_stream(keys, input, output))
    }

    fn new_cookie_key(&mut self) -> CookieKey {
        both!(self, b => b.new_cookie_key())
    }

    fn cookie_seal(&mut self, key: &CookieKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        both!(self, b => b.cookie_seal(key, aad, plaintext))
    }

    fn cookie_open(&self, key: &CookieKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        both!(self, b => b.cookie_open(key, aad, sealed))
    }

    fn fresh_u64(&mut self) -> u64 {
        both!(self, b => b.fresh_u64())
    }
}
