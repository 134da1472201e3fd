//! The vault's side of a link: the static DH and the proof's signature, served from the
//! vault's state to the transport of its own node and to nothing else.
//!
//! No envelope reaches this: the runtime hands a [`KeyRequest`] to the vault's thread
//! beside its mailbox, and the answer — a DH output or a signature — goes back in memory.
//! The secret keys never leave the vault's state.

use spec::{Capabilities, IdentityId};

use super::crypto::CryptoFailure;
use super::noise::LinkKey;
use crate::decryption::DecryptionState;
use crate::secret::Secret32;

/// What the transport asks of the vault.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyRequest {
    /// X25519 of the identity's encryption secret with a peer's public key.
    Dh(IdentityId, [u8; 32]),
    /// An Ed25519 signature by the identity over link-proof bytes.
    Sign(IdentityId, Vec<u8>),
}

impl std::fmt::Debug for KeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyRequest::Dh(id, _) => write!(f, "Dh({id})"),
            KeyRequest::Sign(id, m) => write!(f, "Sign({id}, {} bytes)", m.len()),
        }
    }
}

/// The vault's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAnswer {
    /// The DH output.
    Shared(Secret32),
    /// The signature.
    Signature([u8; 64]),
}

/// Serves one request from the vault's state. An identity must be held here, and may take
/// part in a link only if it may both decrypt (the DH uses its encryption key) and commit
/// (the proof is a signature): a link speaks for the whole identity.
pub fn serve(state: &DecryptionState, request: &KeyRequest) -> Result<KeyAnswer, CryptoFailure> {
    let id = match request {
        KeyRequest::Dh(id, _) | KeyRequest::Sign(id, _) => id,
    };
    let held = state.identities.get(id).ok_or(CryptoFailure::Key)?;
    if held.capabilities != Capabilities::CommitAndDecrypt {
        return Err(CryptoFailure::Key);
    }
    match request {
        KeyRequest::Dh(_, peer) => held.secrets.dh(peer).map(KeyAnswer::Shared),
        KeyRequest::Sign(_, message) => held.secrets.sign(message).map(KeyAnswer::Signature),
    }
}
