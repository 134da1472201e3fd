//! Real crypto with reproducible randomness: the backend the conformance suite is made with,
//! and the one its runners replay recorded randomness through.
//!
//! [`SeededBackend`] is the [`HpkeBackend`] whose random bytes are a fixed
//! stream (SHA-256 in counter mode over a stream number), so its whole state
//! is two integers: it can live in a model-checked state, and the bytes one
//! engine step drew are [`SeededBackend::drawn`] between two positions.
//! [`ReplayRng`] hands an engine exactly the bytes a case recorded, and says
//! whether the engine asked for more or fewer.

use std::io::{Read, Write};

use hpke::rand_core::{TryCryptoRng, TryRng};
use spec::{ExternalIdentity, RelationError};

use super::hpke::{HpkeBackend, SeededRng, words_from_bytes};
use super::{Backend, KeyRing, OpenStreamError, SealStreamError};
use crate::cookie::CookieKey;
use crate::identity::InternalIdentity;

/// The HPKE backend drawing from stream `stream` at byte `position`.
///
/// Whoever knows the stream number knows every key it makes: for the model
/// and the conformance suite only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeededBackend {
    stream: u64,
    position: u64,
}

fn seed(stream: u64) -> Vec<u8> {
    let mut seed = b"sealwright/conformance/stream/v1\0".to_vec();
    seed.extend_from_slice(&stream.to_be_bytes());
    seed
}

impl SeededBackend {
    /// A backend at the start of its stream; distinct streams never share values.
    pub fn new(stream: u64) -> Self {
        SeededBackend {
            stream,
            position: 0,
        }
    }

    /// How many random bytes it has drawn.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The random bytes it drew between positions `from` and `to`.
    pub fn drawn(&self, from: u64, to: u64) -> Vec<u8> {
        let mut rng = SeededRng::at(&seed(self.stream), from);
        let mut bytes = vec![0u8; usize::try_from(to.saturating_sub(from)).unwrap_or(0)];
        rng.try_fill_bytes(&mut bytes)
            .unwrap_or_else(|never| match never {});
        bytes
    }

    fn backend(&self) -> HpkeBackend<SeededRng> {
        HpkeBackend::with_rng(SeededRng::at(&seed(self.stream), self.position))
    }

    /// Runs `f` on an HPKE backend at this position, then moves past what it drew.
    fn drawing<T>(&mut self, f: impl FnOnce(&mut HpkeBackend<SeededRng>) -> T) -> T {
        let mut backend = self.backend();
        let out = f(&mut backend);
        self.position = backend.rng().position();
        out
    }
}

impl Backend for SeededBackend {
    fn generate_identity(&mut self) -> InternalIdentity {
        self.drawing(|b| b.generate_identity())
    }

    fn rotate_encryption_key(&mut self, identity: &InternalIdentity) -> InternalIdentity {
        self.drawing(|b| b.rotate_encryption_key(identity))
    }

    fn sign(&self, signer: &InternalIdentity, message: &[u8]) -> [u8; 64] {
        self.backend().sign(signer, message)
    }

    fn verify(
        &self,
        verifying_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), RelationError> {
        self.backend().verify(verifying_key, message, signature)
    }

    fn seal_stream(
        &mut self,
        recipients: &[ExternalIdentity],
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, SealStreamError> {
        self.drawing(|b| b.seal_stream(recipients, input, output))
    }

    fn open_stream(
        &self,
        keys: &KeyRing,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        self.backend().open_stream(keys, input, output)
    }

    fn new_cookie_key(&mut self) -> CookieKey {
        self.drawing(|b| b.new_cookie_key())
    }

    fn cookie_seal(&mut self, key: &CookieKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.drawing(|b| b.cookie_seal(key, aad, plaintext))
    }

    fn cookie_open(&self, key: &CookieKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.backend().cookie_open(key, aad, sealed)
    }

    fn fresh_u64(&mut self) -> u64 {
        self.drawing(|b| b.fresh_u64())
    }
}

/// An RNG that yields recorded bytes, in order, and notes whether more were asked for.
///
/// Past the end it yields zeros (an engine must not panic for want of
/// randomness); [`ReplayRng::verdict`] then reports the overdraw.
#[derive(Debug, Clone)]
pub struct ReplayRng {
    bytes: Vec<u8>,
    at: usize,
    wanted: usize,
}

/// How an engine's use of recorded randomness compares with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawn {
    /// It drew exactly the recorded bytes.
    Exactly,
    /// It drew this many bytes, fewer than recorded.
    Fewer(usize),
    /// It asked for this many bytes, more than recorded.
    More(usize),
}

impl ReplayRng {
    /// An RNG that yields `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        ReplayRng {
            bytes,
            at: 0,
            wanted: 0,
        }
    }

    /// Whether exactly the recorded bytes were drawn.
    pub fn verdict(&self) -> Drawn {
        match self.wanted.cmp(&self.bytes.len()) {
            std::cmp::Ordering::Equal => Drawn::Exactly,
            std::cmp::Ordering::Less => Drawn::Fewer(self.wanted),
            std::cmp::Ordering::Greater => Drawn::More(self.wanted),
        }
    }
}

impl TryRng for ReplayRng {
    type Error = std::convert::Infallible;

    words_from_bytes!();

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for byte in dst {
            *byte = self.bytes.get(self.at).copied().unwrap_or(0);
            self.at = self.at.saturating_add(1).min(self.bytes.len());
            self.wanted = self.wanted.saturating_add(1);
        }
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}

/// An RNG that passes another's bytes through and, while recording, keeps a copy of them.
///
/// The runtime draws through it so that a trace can say which random bytes each engine
/// step consumed; what it keeps is as secret as the keys those bytes became.
#[derive(Debug, Clone)]
pub struct RecordingRng<R> {
    inner: R,
    recording: bool,
    drawn: Vec<u8>,
}

impl<R> RecordingRng<R> {
    /// Wraps `inner`; records only if `recording`.
    pub fn new(inner: R, recording: bool) -> Self {
        RecordingRng {
            inner,
            recording,
            drawn: Vec::new(),
        }
    }

    /// The bytes drawn since the last call (none when not recording).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.drawn)
    }
}

impl<R: TryRng> TryRng for RecordingRng<R> {
    type Error = R::Error;

    words_from_bytes!();

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.inner.try_fill_bytes(dst)?;
        if self.recording {
            self.drawn.extend_from_slice(dst);
        }
        Ok(())
    }
}

impl<R: TryCryptoRng> TryCryptoRng for RecordingRng<R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    #[test]
    fn positions_resume_the_same_stream() {
        let mut whole = SeededBackend::new(7);
        let a = whole.fresh_u64();
        let mid = whole.position();
        let b = whole.fresh_u64();
        assert_eq!(whole.drawn(mid, whole.position()), b.to_le_bytes());
        assert_eq!(whole.drawn(0, mid), a.to_le_bytes());
        assert_ne!(SeededBackend::new(8).fresh_u64(), a);
    }

    #[test]
    fn a_recording_replays_the_same_step() {
        let key = SeededBackend::new(9).new_cookie_key();
        let rng = RecordingRng::new(SeededRng::new(b"recording"), true);
        let mut recorded = HpkeBackend::with_rng(rng);
        let sealed = recorded.cookie_seal(&key, b"aad", b"body");
        let bytes = recorded.rng_mut().take();
        assert_eq!(bytes.len(), 12);
        let mut replay = HpkeBackend::with_rng(ReplayRng::new(bytes));
        assert_eq!(replay.cookie_seal(&key, b"aad", b"body"), sealed);
        let mut quiet = HpkeBackend::with_rng(RecordingRng::new(SeededRng::new(b"q"), false));
        quiet.fresh_u64();
        assert!(quiet.rng_mut().take().is_empty());
    }

    #[test]
    fn replay_reproduces_a_seeded_step() {
        let mut seeded = SeededBackend::new(3);
        let key = seeded.new_cookie_key();
        let before = seeded.position();
        let sealed = seeded.cookie_seal(&key, b"aad", b"body");
        let record = seeded.drawn(before, seeded.position());
        let mut replay = HpkeBackend::with_rng(ReplayRng::new(record.clone()));
        assert_eq!(replay.cookie_seal(&key, b"aad", b"body"), sealed);
        assert_eq!(replay.rng().verdict(), Drawn::Exactly);
        replay.fresh_u64();
        assert_eq!(replay.rng().verdict(), Drawn::More(record.len() + 8));
        let short = HpkeBackend::with_rng(ReplayRng::new(vec![1; 40]));
        assert_eq!(short.rng().verdict(), Drawn::Fewer(0));
    }
}
