//! Continuations: a stateless engine's pending request, sealed under its cookie key.
//!
//! Layout: `epoch (8 bytes, big-endian) | cookie_seal(key, domain | epoch, CBOR)`.
//! The associated data binds a continuation to the engine kind that made it
//! (its domain) and to the epoch it was sealed at, so an Encryption
//! continuation never opens in a Verification engine, nor the reverse.

use serde::Serialize;
use serde::de::DeserializeOwned;
use spec::effects::RejectReason;
use spec::message::Continuation;
use spec::{CorrelationId, codec};

use crate::Backend;
use crate::cookie::{CookieRing, Lookup};

/// The associated data of a continuation sealed at `epoch` by engines of `domain`.
fn aad(domain: &[u8], epoch: u64) -> Vec<u8> {
    let mut aad = domain.to_vec();
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad
}

/// Seals `pending` under the ring's current key.
pub(crate) fn seal<B: Backend, T: Serialize>(
    ring: &CookieRing,
    backend: &mut B,
    domain: &[u8],
    pending: &T,
) -> Continuation {
    let key = ring.current();
    let mut bytes = key.epoch.to_be_bytes().to_vec();
    let sealed = backend.cookie_seal(key, &aad(domain, key.epoch), &codec::encode(pending));
    bytes.extend_from_slice(&sealed);
    Continuation(bytes)
}

/// Opens a continuation sealed by an engine of `domain` whose ring is `ring` (or a pool peer's).
pub(crate) fn open<B: Backend, T: Serialize + DeserializeOwned>(
    ring: &CookieRing,
    backend: &B,
    domain: &[u8],
    continuation: Option<&Continuation>,
) -> Result<T, RejectReason> {
    let bytes = continuation.ok_or(RejectReason::ContinuationInvalid)?;
    let (epoch, sealed) = bytes
        .0
        .split_first_chunk::<8>()
        .ok_or(RejectReason::ContinuationInvalid)?;
    let epoch = u64::from_be_bytes(*epoch);
    let key = match ring.lookup(epoch) {
        Lookup::Key(key) => key,
        Lookup::Expired => return Err(RejectReason::ContinuationExpired),
        Lookup::Unknown => return Err(RejectReason::ContinuationInvalid),
    };
    let plain = backend
        .cookie_open(&key, &aad(domain, epoch), sealed)
        .ok_or(RejectReason::ContinuationInvalid)?;
    codec::decode(&plain).map_err(|_| RejectReason::ContinuationInvalid)
}

/// The query's correlation id: bytes 8..16 of the continuation, big-endian.
///
/// Those are the first bytes of the sealed part, which a real backend
/// starts with a random nonce, so the id is unpredictable without drawing
/// more randomness; a deterministic backend gives one id per distinct
/// query, so the model does not tell states apart by the order queries
/// were made in.
pub fn correlation(continuation: &Continuation) -> CorrelationId {
    let id = continuation
        .0
        .get(8..16)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes);
    CorrelationId(id)
}
