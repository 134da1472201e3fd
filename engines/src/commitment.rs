//! Commitment: the vault signs data as an identity, for that identity's owner only.
//!
//! This is the signing half of the vault (its decrypting half is the
//! Decryption engine): the vault stays the only holder of secret keys, and
//! the Decryption engine routes `RequestCommitment` here. What is signed is
//! [`Commitment::statement_bytes`] of the data, never the data itself, so no
//! request can make the vault sign evidence, a revocation or a name statement
//! (the Anoma specification's Commitment engine signs raw bytes, a signing oracle).

use spec::message::{Commitment, RequestCommitment};
use spec::{Address, Capabilities, CommitmentError};

use crate::Backend;
use crate::identity::InternalIdentity;

/// The commitment `requester` asked for, made with `held` (the identity's owner, secrets and
/// capabilities).
///
/// `held` is `None` when the vault holds no identity with the requested id. Only the
/// owner is told that the identity lacks the `Commit` capability: anyone else learns
/// no more than before.
pub fn commit<B: Backend>(
    backend: &B,
    held: Option<(&Address, &InternalIdentity, Capabilities)>,
    requester: &Address,
    request: &RequestCommitment,
) -> Result<Commitment, CommitmentError> {
    let (owner, signer, capabilities) = held.ok_or(CommitmentError::UnknownIdentity)?;
    if owner != requester {
        return Err(CommitmentError::NotAuthorised);
    }
    if !capabilities.commit() {
        return Err(CommitmentError::NoCommitCapability);
    }
    let bytes = Commitment::statement_bytes(&request.data.0);
    Ok(Commitment {
        verifying_key: signer.external.verifying_key,
        signature: backend.sign(signer, &bytes),
    })
}
