//! Shared helpers for Sealwright's fuzz targets (`fuzz_targets/*.rs`).
//!
//! Every target links this crate, which also installs the heap cap: libFuzzer's
//! `-malloc_limit_mb` only works under a sanitizer, and these targets are built
//! with `--sanitizer none` on stable Rust, so the cap is what turns an
//! unbounded allocation into a crash.

use std::alloc::System;
use std::convert::Infallible;
use std::fmt::Debug;
use std::io::{self, Read};

use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use engines::backend::{KeyEntry, KeyRing};
use engines::identity::InternalIdentity;
use hpke::rand_core::{TryCryptoRng, TryRng};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use spec::codec;

/// Most live Rust heap a target may hold: 64 MiB (the largest legitimate buffer is a 16 MiB frame).
pub const HEAP_LIMIT: usize = 64 * 1024 * 1024;

#[global_allocator]
static ALLOCATOR: cap::Cap<System> = cap::Cap::new(System, HEAP_LIMIT);

/// Bytes of live Rust heap right now (for targets that check a bound on their own use).
pub fn heap_in_use() -> usize {
    ALLOCATOR.allocated()
}

/// A deterministic RNG: SHA-256 in counter mode over a seed, so every input replays exactly.
///
/// Fuzzing only: it is not meant to be a secure generator. It is kept apart from the
/// library's `SeededRng` on purpose: the committed corpora hold ciphertexts sealed to
/// keys this exact stream derives, so changing it would orphan them.
#[derive(Clone)]
pub struct SeededRng {
    seed: u64,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRng {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl Debug for SeededRng {
    // The seed fixes every key the stream yields; keep it out of formatted output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededRng").finish_non_exhaustive()
    }
}

impl TryRng for SeededRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst {
            if self.used == self.block.len() {
                let mut h = Sha256::new();
                h.update(b"sealwright/fuzz/rng");
                h.update(self.seed.to_be_bytes());
                h.update(self.counter.to_be_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

/// An HPKE backend with fixed randomness and 1 KiB chunks (so small inputs span several chunks).
pub fn hpke_backend(seed: u64) -> HpkeBackend<SeededRng> {
    HpkeBackend::with_rng(SeededRng::new(seed)).with_chunk_log2(10)
}

/// A fixed real (X25519 + Ed25519) identity: the same for the same `seed`.
pub fn fixed_identity(seed: u64) -> InternalIdentity {
    hpke_backend(seed).generate_identity()
}

/// A key ring holding the current key of each identity.
pub fn ring(ids: &[&InternalIdentity]) -> KeyRing {
    ids.iter()
        .map(|id| {
            (
                id.key_id(),
                KeyEntry {
                    identity: id.id(),
                    secret: id.encryption_secret.clone(),
                },
            )
        })
        .collect()
}

/// Decodes `data` as a `T` and checks the canonical-codec properties:
/// a decoded value re-encodes to exactly `data`, and decodes back to itself.
pub fn canonical<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value: T = codec::decode(data).ok()?;
    let again = codec::encode(&value);
    assert_eq!(again, data, "decoded {value:?} re-encodes to other bytes");
    let back: T = codec::decode(&again).expect("an encoding decodes");
    assert_eq!(back, value, "decode(encode(v)) != v");
    // Debug output is bounded work and must not panic.
    let _ = format!("{value:?}");
    Some(value)
}

/// Checks that encoding then decoding a value gives it back (for values built, not decoded).
pub fn round_trips<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bytes = codec::encode(value);
    match codec::decode::<T>(&bytes) {
        Ok(back) => assert_eq!(&back, value, "decode(encode(v)) != v"),
        Err(e) => panic!("the encoding of {value:?} does not decode: {e}"),
    }
}

/// A reader that hands out its bytes in uneven pieces (sizes cycle through `steps`),
/// so stream parsers see every split of their input.
pub struct Trickle<'a> {
    data: &'a [u8],
    steps: Vec<usize>,
    turn: usize,
}

impl<'a> Trickle<'a> {
    /// Reads `data` in pieces of `steps[0]`, `steps[1]`, … bytes (0 means 1), cycling.
    pub fn new(data: &'a [u8], steps: &[u8]) -> Self {
        let steps = if steps.is_empty() {
            vec![1]
        } else {
            steps.iter().map(|&s| usize::from(s).max(1)).collect()
        };
        Trickle {
            data,
            steps,
            turn: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = self.steps[self.turn % self.steps.len()];
        self.turn += 1;
        let n = step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Splits `data` into a selector byte and the rest (0 and empty for empty input).
pub fn split_selector(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&s, rest)) => (s, rest),
        None => (0, data),
    }
}
