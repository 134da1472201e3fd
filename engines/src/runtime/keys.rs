//! The vault serves its node's transport: a link's static DH and proof signature are
//! computed on the vault's thread, from the vault's state, and only the result comes back.

use std::time::Duration;

use crossbeam_channel::{Sender, bounded};
use spec::ExternalIdentity;

use super::Slot;
use crate::decryption::DecryptionState;
use crate::encryption::EncryptionState;
use crate::identity_management::IdentityManagementState;
use crate::link::CryptoFailure;
use crate::link::noise::LinkKey;
use crate::link::vault::{KeyAnswer, KeyRequest, serve};
use crate::reads_for::ReadsForState;
use crate::secret::Secret32;

/// How long a link waits for the vault before its handshake fails.
pub const KEY_TIMEOUT: Duration = Duration::from_secs(10);

/// Engine states that can answer key requests: only the vault's does.
pub trait KeyService {
    /// The answer to `request` (by default: this engine holds no keys).
    fn serve_key(&self, request: &KeyRequest) -> Result<KeyAnswer, CryptoFailure> {
        let _ = request;
        Err(CryptoFailure::Key)
    }
}

impl KeyService for DecryptionState {
    fn serve_key(&self, request: &KeyRequest) -> Result<KeyAnswer, CryptoFailure> {
        serve(self, request)
    }
}

impl KeyService for EncryptionState {}
impl KeyService for ReadsForState {}
impl KeyService for IdentityManagementState {}

/// A key request in a mailbox, with where its answer goes.
pub struct KeyCall {
    request: KeyRequest,
    reply: Sender<Result<KeyAnswer, CryptoFailure>>,
}

impl KeyCall {
    /// Answers from `state` (the caller may have given up: then nobody hears).
    pub(super) fn answer(self, state: &impl KeyService) {
        let _ = self.reply.send(state.serve_key(&self.request));
    }
}

/// A node identity whose keys the node's vault holds, as a link sees it.
pub struct VaultKey {
    identity: ExternalIdentity,
    vault: Sender<Slot>,
}

impl VaultKey {
    pub(super) fn new(identity: ExternalIdentity, vault: Sender<Slot>) -> Self {
        VaultKey { identity, vault }
    }

    fn ask(&self, request: KeyRequest) -> Result<KeyAnswer, CryptoFailure> {
        let (reply, answer) = bounded(1);
        self.vault
            .send_timeout(Slot::Key(KeyCall { request, reply }), KEY_TIMEOUT)
            .map_err(|_| CryptoFailure::Key)?;
        answer
            .recv_timeout(KEY_TIMEOUT)
            .map_err(|_| CryptoFailure::Key)?
    }
}

impl LinkKey for VaultKey {
    fn identity(&self) -> ExternalIdentity {
        self.identity.clone()
    }

    fn dh(&self, peer: &[u8; 32]) -> Result<Secret32, CryptoFailure> {
        match self.ask(KeyRequest::Dh(self.identity.id(), *peer))? {
            KeyAnswer::Shared(s) => Ok(s),
            KeyAnswer::Signature(_) => Err(CryptoFailure::Key),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], CryptoFailure> {
        match self.ask(KeyRequest::Sign(self.identity.id(), message.to_vec()))? {
            KeyAnswer::Signature(s) => Ok(s),
            KeyAnswer::Shared(_) => Err(CryptoFailure::Key),
        }
    }
}
