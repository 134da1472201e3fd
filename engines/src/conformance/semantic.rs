//! Checking a step whose randomness was not recorded: what the randomness made is compared by
//! what it means, not by its bytes.
//!
//! A runtime that does not record its randomness cannot be replayed byte for
//! byte: its ciphertexts and continuations differ from any the reference makes.
//! The reference replays the step with randomness of its own through an
//! [`Observing`] backend, which notes what it sealed and to whom. Then each
//! random value the runtime sent is checked for its meaning — a ciphertext must
//! name exactly the reference's recipients and open, with their recorded keys,
//! to the reference's plaintext; a continuation must open under the same cookie
//! key to the same content, and its query's correlation id must be the one the
//! continuation's bytes give — and once it passes, it stands in for the
//! reference's value, so everything else is compared byte for byte.
//!
//! This holds only where randomness does not enter the engine's state: the
//! Encryption and Verification engines', whose queries' continuations are checked
//! alike. A step whose randomness changes the state (a new key
//! in the vault) cannot be checked without its bytes: the replay finds that out by taking
//! the step twice with two streams, and reports [`super::Divergence::Unrecorded`].

use std::io::{Read, Write};

use spec::message::{Ciphertext, Continuation, Message, Plaintext};
use spec::{CorrelationId, Envelope, ExternalIdentity, IdentityId, KeyId, RelationError};

use super::Expected;
use crate::backend::format::{ENTRY_LEN, Header, PREFIX_LEN};
use crate::backend::{Backend, KeyRing, OpenStreamError, SealStreamError};
use crate::cookie::CookieKey;
use crate::identity::InternalIdentity;

/// What an [`Observing`] backend saw being sealed, in order.
#[derive(Debug, Default)]
pub struct Observed {
    /// Each ciphertext's recipients and plaintext.
    seals: Vec<(Vec<ExternalIdentity>, Vec<u8>)>,
    /// Each continuation's cookie key, associated data and content.
    cookies: Vec<(CookieKey, Vec<u8>, Vec<u8>)>,
}

/// A backend that does what `B` does and notes what it seals.
#[derive(Debug)]
pub struct Observing<B> {
    inner: B,
    /// What it sealed so far.
    pub seen: Observed,
}

impl<B> Observing<B> {
    /// `inner`, observed.
    pub fn new(inner: B) -> Self {
        Observing {
            inner,
            seen: Observed::default(),
        }
    }

    /// The backend observed.
    pub fn inner(&self) -> &B {
        &self.inner
    }
}

impl<B: Backend> Backend for Observing<B> {
    fn generate_identity(&mut self) -> InternalIdentity {
        self.inner.generate_identity()
    }

    fn rotate_encryption_key(&mut self, identity: &InternalIdentity) -> InternalIdentity {
        self.inner.rotate_encryption_key(identity)
    }

    fn sign(&self, signer: &InternalIdentity, message: &[u8]) -> [u8; 64] {
        self.inner.sign(signer, message)
    }

    fn verify(&self, key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> Result<(), RelationError> {
        self.inner.verify(key, message, sig)
    }

    fn seal_stream(
        &mut self,
        recipients: &[ExternalIdentity],
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, SealStreamError> {
        self.inner.seal_stream(recipients, input, output)
    }

    fn open_stream(
        &self,
        keys: &KeyRing,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        self.inner.open_stream(keys, input, output)
    }

    fn seal(
        &mut self,
        recipients: &[ExternalIdentity],
        plaintext: &[u8],
    ) -> Result<Ciphertext, spec::EncryptionError> {
        let sealed = self.inner.seal(recipients, plaintext);
        if sealed.is_ok() {
            self.seen
                .seals
                .push((recipients.to_vec(), plaintext.to_vec()));
        }
        sealed
    }

    fn new_cookie_key(&mut self) -> CookieKey {
        self.inner.new_cookie_key()
    }

    fn cookie_seal(&mut self, key: &CookieKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.seen
            .cookies
            .push((key.clone(), aad.to_vec(), plaintext.to_vec()));
        self.inner.cookie_seal(key, aad, plaintext)
    }

    fn cookie_open(&self, key: &CookieKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.inner.cookie_open(key, aad, sealed)
    }

    fn fresh_u64(&mut self) -> u64 {
        self.inner.fresh_u64()
    }
}

/// Why a random value a runtime sent does not mean what the reference's means.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Meaning {
    /// A ciphertext's header is malformed.
    #[error("envelope {envelope}: the ciphertext's header does not parse")]
    Header {
        /// The envelope's position among those sent.
        envelope: usize,
    },
    /// A ciphertext names other recipients than the reference's.
    #[error("envelope {envelope}: the ciphertext is for {found}, the reference's for {expected}")]
    Recipients {
        /// The envelope's position among those sent.
        envelope: usize,
        /// The reference's recipients (identity id/key id, hex).
        expected: String,
        /// The ciphertext's.
        found: String,
    },
    /// No key of a recipient is recorded anywhere in the trace.
    #[error("envelope {envelope}: no recorded key opens for recipient {identity}")]
    NoKey {
        /// The envelope's position among those sent.
        envelope: usize,
        /// The recipient.
        identity: IdentityId,
    },
    /// A ciphertext does not open, with a recipient's key, to the reference's plaintext.
    #[error("envelope {envelope}: with {identity}'s key, the ciphertext {why}")]
    Opens {
        /// The envelope's position among those sent.
        envelope: usize,
        /// The recipient.
        identity: IdentityId,
        /// What happened instead.
        why: String,
    },
    /// A continuation does not open under the cookie key to the reference's content.
    #[error("envelope {envelope}: the continuation does not open to the pending request")]
    Continuation {
        /// The envelope's position among those sent.
        envelope: usize,
    },
    /// A query's correlation id is not the one its continuation's bytes 8..16 give.
    #[error("envelope {envelope}: correlation {found}, but the continuation gives {expected}")]
    Correlation {
        /// The envelope's position among those sent.
        envelope: usize,
        /// Bytes 8..16 of the continuation, big-endian.
        expected: u64,
        /// The envelope's.
        found: u64,
    },
}

/// Puts each random value the runtime `recorded` in place of the reference's, once it means
/// the same; what is left to compare must then be equal byte for byte.
pub fn reconcile<B: Backend>(
    reference: &mut Expected,
    recorded: &Expected,
    observing: &Observing<B>,
    keys: &KeyRing,
) -> Result<(), Meaning> {
    let mut seals = observing.seen.seals.iter();
    let mut cookies = observing.seen.cookies.iter();
    for (envelope, (ours, theirs)) in reference.send.iter_mut().zip(&recorded.send).enumerate() {
        match (&mut ours.message, &theirs.message) {
            (Message::ReplyEncrypt(ours), Message::ReplyEncrypt(theirs)) => {
                let (Ok(mine), Ok(given), Some((to, plain))) =
                    (&mut ours.result, &theirs.result, seals.next())
                else {
                    continue;
                };
                same_ciphertext(observing.inner(), envelope, given, to, plain, keys)?;
                mine.clone_from(given);
            }
            (mine, given) if mine.name() == given.name() => {
                let (Some(mine), Some(given)) = (continuation_mut(mine), continuation(given))
                else {
                    continue;
                };
                let (Some(mine), Some(given), Some(sealed)) = (mine, given, cookies.next()) else {
                    continue;
                };
                same_continuation(observing.inner(), envelope, &given.0, sealed)?;
                same_correlation(envelope, theirs, given)?;
                mine.clone_from(given);
                ours.correlation = theirs.correlation;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The continuation of a query a stateless engine sends (Encryption's to ReadsFor,
/// Verification's to SignsFor): the only other value its randomness makes.
fn continuation(m: &Message) -> Option<&Option<Continuation>> {
    match m {
        Message::RequestQueryReadsForEvidence(q) => Some(&q.continuation),
        Message::RequestQuerySignsForEvidence(q) => Some(&q.continuation),
        _ => None,
    }
}

fn continuation_mut(m: &mut Message) -> Option<&mut Option<Continuation>> {
    match m {
        Message::RequestQueryReadsForEvidence(q) => Some(&mut q.continuation),
        Message::RequestQuerySignsForEvidence(q) => Some(&mut q.continuation),
        _ => None,
    }
}

fn same_ciphertext<B: Backend>(
    backend: &B,
    envelope: usize,
    given: &Ciphertext,
    to: &[ExternalIdentity],
    plain: &[u8],
    keys: &KeyRing,
) -> Result<(), Meaning> {
    let header = header(&given.0).ok_or(Meaning::Header { envelope })?;
    let mut expected: Vec<(IdentityId, KeyId)> = to.iter().map(|r| (r.id(), r.key_id())).collect();
    expected.sort();
    expected.dedup();
    let found: Vec<(IdentityId, KeyId)> = header
        .recipients
        .iter()
        .map(|e| (e.identity, e.key))
        .collect();
    if found != expected {
        return Err(Meaning::Recipients {
            envelope,
            expected: listed(&expected),
            found: listed(&found),
        });
    }
    for (identity, key) in expected {
        let entry = keys
            .get(&key)
            .filter(|e| e.identity == identity)
            .ok_or(Meaning::NoKey { envelope, identity })?;
        let one = KeyRing::from([(key, entry.clone())]);
        let why = match backend.open(&one, &given.0) {
            Ok(Plaintext(p)) if p == plain => continue,
            Ok(_) => "opens to another plaintext".to_string(),
            Err(e) => format!("does not open: {e}"),
        };
        return Err(Meaning::Opens {
            envelope,
            identity,
            why,
        });
    }
    Ok(())
}

fn header(bytes: &[u8]) -> Option<Header> {
    let prefix: &[u8; PREFIX_LEN] = bytes.first_chunk()?;
    let (log2, count) = Header::parse_prefix(prefix).ok()?;
    let entries = bytes.get(PREFIX_LEN..PREFIX_LEN + count * ENTRY_LEN)?;
    Header::parse_entries(log2, entries).ok()
}

fn listed(recipients: &[(IdentityId, KeyId)]) -> String {
    let each: Vec<String> = recipients.iter().map(|(i, k)| format!("{i}/{k}")).collect();
    format!("[{}]", each.join(", "))
}

fn same_continuation<B: Backend>(
    backend: &B,
    envelope: usize,
    given: &[u8],
    (key, aad, content): &(CookieKey, Vec<u8>, Vec<u8>),
) -> Result<(), Meaning> {
    let opened = given
        .split_first_chunk::<8>()
        .filter(|(epoch, _)| u64::from_be_bytes(**epoch) == key.epoch)
        .and_then(|(_, sealed)| backend.cookie_open(key, aad, sealed));
    match opened {
        Some(plain) if plain == *content => Ok(()),
        _ => Err(Meaning::Continuation { envelope }),
    }
}

fn same_correlation(
    envelope: usize,
    theirs: &Envelope,
    continuation: &Continuation,
) -> Result<(), Meaning> {
    let CorrelationId(expected) = crate::continuation::correlation(continuation);
    match theirs.correlation {
        CorrelationId(found) if found == expected => Ok(()),
        CorrelationId(found) => Err(Meaning::Correlation {
            envelope,
            expected,
            found,
        }),
    }
}
