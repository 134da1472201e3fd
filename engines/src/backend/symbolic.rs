//! The symbolic backend: deterministic, tiny values for the model checker.
//!
//! A ciphertext is `"SYM1"` followed by the canonical CBOR of
//! [`SymbolicSealed`]: it records its recipients and its plaintext in the
//! clear, and opening checks that the vault holds a recipient's key. Keys are
//! hashes of a counter; a signature is a hash of the verifying key and the
//! message. This is the Dolev–Yao view: nothing is secret from the checker,
//! and an adversary is modelled by what it is *allowed* to call, never by
//! what it could compute.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spec::error::CiphertextFault;
use spec::message::Plaintext;
use spec::{DecryptionError, ExternalIdentity, IdentityId, KeyId, RelationError, codec};

use super::{Backend, KeyRing, OpenStreamError, SealStreamError};
use crate::cookie::CookieKey;
use crate::identity::InternalIdentity;
use crate::secret::Secret32;

/// The first bytes of a symbolic ciphertext.
pub const SYMBOLIC_MAGIC: &[u8; 4] = b"SYM1";
/// Largest symbolic ciphertext or plaintext read from a stream.
const MAX_SYMBOLIC: u64 = 1 << 20;

/// What a symbolic ciphertext says: who may open it, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SymbolicSealed {
    /// (identity id, key id) of every recipient, in id order.
    pub recipients: Vec<(IdentityId, KeyId)>,
    /// The plaintext.
    pub plaintext: Plaintext,
}

impl SymbolicSealed {
    /// Reads a symbolic ciphertext; `None` if the bytes are not one.
    pub fn inspect(ciphertext: &[u8]) -> Option<SymbolicSealed> {
        let body = ciphertext.strip_prefix(SYMBOLIC_MAGIC.as_slice())?;
        codec::decode(body).ok()
    }
}

/// The symbolic backend: its only state is a counter that stands in for randomness.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolicBackend {
    counter: u64,
    /// Distinguishes backends that must never produce the same values (one per actor).
    stream: u64,
}

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

impl SymbolicBackend {
    /// A backend whose values are distinct from every other `stream`'s.
    pub fn new(stream: u64) -> Self {
        SymbolicBackend { counter: 0, stream }
    }

    fn next(&mut self, label: &[u8]) -> [u8; 32] {
        self.counter += 1;
        hash(&[
            b"sealwright/symbolic",
            label,
            &self.stream.to_be_bytes(),
            &self.counter.to_be_bytes(),
        ])
    }

    fn public_of(secret: &[u8; 32], label: &[u8]) -> [u8; 32] {
        hash(&[b"sealwright/symbolic/public", label, secret])
    }

    fn encryption_keypair(&mut self) -> (Secret32, [u8; 32]) {
        let secret = self.next(b"encryption");
        (
            Secret32::new(secret),
            Self::public_of(&secret, b"encryption"),
        )
    }

    /// The symbolic signature of `message` under `verifying_key`.
    fn signature(verifying_key: &[u8; 32], message: &[u8]) -> [u8; 64] {
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&hash(&[b"sig/a", verifying_key, message]));
        sig[32..].copy_from_slice(&hash(&[b"sig/b", verifying_key, message]));
        sig
    }

    /// A symbolic MAC over the key, the associated data and the body.
    fn cookie_tag(key: &CookieKey, aad: &[u8], body: &[u8]) -> [u8; 32] {
        hash(&[
            b"cookie",
            key.key.expose(),
            &key.epoch.to_be_bytes(),
            aad,
            body,
        ])
    }
}

impl Backend for SymbolicBackend {
    fn generate_identity(&mut self) -> InternalIdentity {
        let seed = self.next(b"signing");
        let (encryption_secret, encryption_key) = self.encryption_keypair();
        InternalIdentity {
            external: ExternalIdentity {
                verifying_key: Self::public_of(&seed, b"signing"),
                encryption_key,
            },
            signing_seed: Secret32::new(seed),
            encryption_secret,
        }
    }

    fn rotate_encryption_key(&mut self, identity: &InternalIdentity) -> InternalIdentity {
        let (encryption_secret, encryption_key) = self.encryption_keypair();
        identity.with_encryption_key(encryption_secret, encryption_key)
    }

    fn sign(&self, signer: &InternalIdentity, message: &[u8]) -> [u8; 64] {
        Self::signature(&signer.external.verifying_key, message)
    }

    fn verify(
        &self,
        verifying_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), RelationError> {
        if Self::signature(verifying_key, message) == *signature {
            Ok(())
        } else {
            Err(RelationError::SignatureInvalid)
        }
    }

    fn seal_stream(
        &mut self,
        recipients: &[ExternalIdentity],
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, SealStreamError> {
        let recipients = super::dedup_recipients(recipients)?;
        let mut plaintext = Vec::new();
        input.take(MAX_SYMBOLIC).read_to_end(&mut plaintext)?;
        let sealed = SymbolicSealed {
            recipients: recipients.iter().map(|r| (r.id(), r.key_id())).collect(),
            plaintext: Plaintext(plaintext),
        };
        output.write_all(SYMBOLIC_MAGIC)?;
        output.write_all(&codec::encode(&sealed))?;
        Ok(sealed.plaintext.0.len() as u64)
    }

    fn open_stream(
        &self,
        keys: &KeyRing,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        let mut bytes = Vec::new();
        input.take(MAX_SYMBOLIC).read_to_end(&mut bytes)?;
        if !bytes.starts_with(SYMBOLIC_MAGIC) {
            return Err(DecryptionError::Malformed(CiphertextFault::BadMagic).into());
        }
        let sealed =
            SymbolicSealed::inspect(&bytes).ok_or(DecryptionError::AuthenticationFailed)?;
        let opens = sealed
            .recipients
            .iter()
            .any(|(id, key)| keys.get(key).is_some_and(|held| held.identity == *id));
        if !opens {
            return Err(DecryptionError::NoMatchingKey.into());
        }
        output.write_all(&sealed.plaintext.0)?;
        Ok(sealed.plaintext.0.len() as u64)
    }

    fn new_cookie_key(&mut self) -> CookieKey {
        CookieKey {
            epoch: 0,
            key: Secret32::new(self.next(b"cookie")),
        }
    }

    fn cookie_seal(&mut self, key: &CookieKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut out = Self::cookie_tag(key, aad, plaintext).to_vec();
        out.extend_from_slice(plaintext);
        out
    }

    fn cookie_open(&self, key: &CookieKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (tag, body) = sealed.split_at_checked(32)?;
        (tag == Self::cookie_tag(key, aad, body)).then(|| body.to_vec())
    }

    fn fresh_u64(&mut self) -> u64 {
        let bytes = self.next(b"u64");
        u64::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ])
    }
}
