//! The crypto and randomness an engine needs, behind one trait.
//!
//! [`hpke`] is the real backend (RFC 9180, Ed25519); [`symbolic`] is a
//! deterministic stand-in for the model checker whose ciphertexts record
//! their recipients and plaintext in the clear.

pub mod format;
pub mod hpke;
pub mod seeded;
pub mod symbolic;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use spec::message::{Ciphertext, Plaintext};
use spec::{DecryptionError, EncryptionError, ExternalIdentity, IdentityId, KeyId, RelationError};

use crate::cookie::CookieKey;
use crate::identity::InternalIdentity;
use crate::secret::Secret32;

/// A private encryption key the vault holds, and the identity it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyEntry {
    /// The identity whose key this is (or was, before a rotation).
    pub identity: IdentityId,
    /// The X25519 private key.
    #[serde(with = "crate::secret::exposed")]
    pub secret: Secret32,
}

/// The keys a ciphertext may be opened with, by key id.
pub type KeyRing = BTreeMap<KeyId, KeyEntry>;

/// Why sealing a stream failed.
#[derive(Debug, thiserror::Error)]
pub enum SealStreamError {
    /// The recipients cannot be sealed to.
    #[error(transparent)]
    Seal(#[from] EncryptionError),
    /// Reading the plaintext or writing the ciphertext failed.
    #[error("i/o error while sealing: {0}")]
    Io(#[from] io::Error),
}

/// Why opening a stream failed. Output already written must be discarded.
#[derive(Debug, thiserror::Error)]
pub enum OpenStreamError {
    /// The ciphertext does not open.
    #[error(transparent)]
    Open(#[from] DecryptionError),
    /// Reading the ciphertext or writing the plaintext failed.
    #[error("i/o error while opening: {0}")]
    Io(#[from] io::Error),
}

/// Crypto and randomness for the engines.
///
/// Implementations are deterministic functions of their own state (an RNG),
/// so an engine given the same backend state and input always does the same.
pub trait Backend {
    /// A fresh identity: signing seed, encryption key pair, public half.
    fn generate_identity(&mut self) -> InternalIdentity;

    /// The same identity with a fresh encryption key (the signing key is kept).
    fn rotate_encryption_key(&mut self, identity: &InternalIdentity) -> InternalIdentity;

    /// Signs `message` with the identity's signing key.
    fn sign(&self, signer: &InternalIdentity, message: &[u8]) -> [u8; 64];

    /// Checks a signature by `verifying_key` over `message`.
    fn verify(
        &self,
        verifying_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), RelationError>;

    /// Seals everything `input` yields to `recipients`, writing the ciphertext to `output`.
    ///
    /// Returns the number of plaintext bytes sealed.
    fn seal_stream(
        &mut self,
        recipients: &[ExternalIdentity],
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, SealStreamError>;

    /// Opens a ciphertext with any key in `keys`, writing the plaintext to `output`.
    ///
    /// Returns the number of plaintext bytes written. On error, what was
    /// written is unauthenticated and must be discarded.
    fn open_stream(
        &self,
        keys: &KeyRing,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError>;

    /// Seals an in-memory plaintext.
    fn seal(
        &mut self,
        recipients: &[ExternalIdentity],
        plaintext: &[u8],
    ) -> Result<Ciphertext, EncryptionError> {
        let mut out = Vec::new();
        let mut input = plaintext;
        match self.seal_stream(recipients, &mut input, &mut out) {
            Ok(_) => Ok(Ciphertext(out)),
            Err(SealStreamError::Seal(e)) => Err(e),
            // Reading a slice and writing a Vec cannot fail; if they ever did,
            // refusing the recipient is the conservative answer.
            Err(SealStreamError::Io(_)) => Err(EncryptionError::InvalidRecipient),
        }
    }

    /// Opens an in-memory ciphertext.
    fn open(&self, keys: &KeyRing, ciphertext: &[u8]) -> Result<Plaintext, DecryptionError> {
        let mut out = Vec::new();
        let mut input = ciphertext;
        match self.open_stream(keys, &mut input, &mut out) {
            Ok(_) => Ok(Plaintext(out)),
            Err(OpenStreamError::Open(e)) => Err(e),
            Err(OpenStreamError::Io(_)) => Err(DecryptionError::Truncated),
        }
    }

    /// A fresh random cookie key at epoch 0.
    fn new_cookie_key(&mut self) -> CookieKey;

    /// Seals a continuation under a cookie key.
    fn cookie_seal(&mut self, key: &CookieKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8>;

    /// Opens a continuation; `None` if it was not sealed under `key` with `aad`.
    fn cookie_open(&self, key: &CookieKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>>;

    /// A fresh 64-bit value (correlation ids of engine-initiated requests).
    fn fresh_u64(&mut self) -> u64;
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub(crate) fn fill(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The distinct recipients in id order, within the format's limit.
pub(crate) fn dedup_recipients(
    recipients: &[ExternalIdentity],
) -> Result<Vec<ExternalIdentity>, EncryptionError> {
    let unique: BTreeMap<IdentityId, &ExternalIdentity> =
        recipients.iter().map(|r| (r.id(), r)).collect();
    if unique.is_empty() {
        return Err(EncryptionError::InvalidRecipient);
    }
    if unique.len() > format::MAX_RECIPIENTS {
        return Err(EncryptionError::TooManyRecipients);
    }
    Ok(unique.into_values().cloned().collect())
}
