//! The crypto a link runs on: a Noise handshake, its transport, and the identity's keys.
//!
//! [`noise`](super::noise) is the real one (`snow`, with the static DH and the signature
//! served by the key's holder); [`symbolic`](super::symbolic) is the model checker's.

use spec::ExternalIdentity;

/// A handshake or transport message that does not verify, or a key that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CryptoFailure {
    /// The message does not decrypt or authenticate under this handshake or session.
    #[error("the message does not verify")]
    Verify,
    /// The message is not the one the handshake expects next, or the state is spent.
    #[error("the message is out of turn")]
    OutOfTurn,
    /// The holder of the identity's keys refused or could not serve (for example, the
    /// vault no longer holds the identity).
    #[error("the identity's key is not available")]
    Key,
    /// The payload is too large for one transport message.
    #[error("the payload is too large for one message")]
    TooLarge,
}

/// Noise XX and the identity behind the local static key.
pub trait LinkCrypto {
    /// A handshake in progress.
    type Handshake;
    /// An established session (two cipher states).
    type Session;

    /// The identity this side proves (its encryption key is the Noise static key).
    fn identity(&self) -> ExternalIdentity;
    /// A handshake as initiator.
    fn initiator(&mut self) -> Result<Self::Handshake, CryptoFailure>;
    /// A handshake as responder.
    fn responder(&mut self) -> Result<Self::Handshake, CryptoFailure>;
    /// Writes the next handshake message, carrying `payload`.
    fn write(&mut self, hs: &mut Self::Handshake, payload: &[u8])
    -> Result<Vec<u8>, CryptoFailure>;
    /// Reads the next handshake message and returns its payload.
    fn read(&mut self, hs: &mut Self::Handshake, message: &[u8]) -> Result<Vec<u8>, CryptoFailure>;
    /// The handshake hash so far.
    fn hash(&self, hs: &Self::Handshake) -> [u8; 32];
    /// The peer's static key, once the handshake has carried it.
    fn remote_static(&self, hs: &Self::Handshake) -> Option<[u8; 32]>;
    /// Turns a finished handshake into a session.
    fn split(&mut self, hs: Self::Handshake) -> Result<Self::Session, CryptoFailure>;
    /// Encrypts one transport message.
    fn seal(&mut self, session: &mut Self::Session, plain: &[u8])
    -> Result<Vec<u8>, CryptoFailure>;
    /// Decrypts one transport message (in order: a replayed or reordered one fails).
    fn open(
        &mut self,
        session: &mut Self::Session,
        message: &[u8],
    ) -> Result<Vec<u8>, CryptoFailure>;
    /// Signs `message` with this side's Ed25519 key.
    fn sign(&mut self, message: &[u8]) -> Result<[u8; 64], CryptoFailure>;
    /// Checks a signature by `verifying_key`.
    fn verify(&self, verifying_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool;
}
