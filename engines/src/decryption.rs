//! The Decryption engine: the vault, the only holder of secret keys.
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestDecryption` → open with the keys of the identities the requester
//!    may use (its own, or all of them for a requester the configuration
//!    names); `NotAuthorised` if there are none; `ReplyDecryption`;
//! 3. `RequestCommitment` → sign the data's commitment statement as the named
//!    identity if the requester owns it ([`crate::commitment`]); `ReplyCommitment`;
//! 4. `RequestGenerateKey` / `RequestRotateKey` / `RequestDeleteKey` from the
//!    configured manager (Identity Management) → act, reply; from anyone else
//!    → `NotAuthorised`;
//! 5. any other request → its reply with `NotHandled`; any reply → rejected.
//!
//! Secret bytes never leave this module in a message: replies carry public
//! identities, signed evidence and plaintexts only. Keys are [`Secret32`]
//! values, zeroized when dropped. A rotated-out key stays in the key ring
//! under its key id, so older ciphertexts still open.
//!
//! [`Secret32`]: crate::secret::Secret32

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use spec::effects::{Effects, RejectReason, guards};
use spec::message::{
    GeneratedKey, ReplyCommitment, ReplyDecryption, ReplyDeleteKey, ReplyGenerateKey,
    ReplyRotateKey,
};
use spec::{
    Address, DecryptionError, Envelope, ExternalIdentity, IdentityId, Message, ReadsForEvidence,
};

use crate::backend::{KeyEntry, KeyRing, OpenStreamError};
use crate::commitment;
use crate::identity::InternalIdentity;
use crate::{Backend, Engine};

/// The Decryption engine's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decryption {
    /// This engine's address.
    pub address: Address,
    /// The only engine allowed to generate, rotate and delete keys (Identity Management).
    pub manager: Option<Address>,
    /// Requesters served for every identity held here, beyond each identity's owner.
    pub authorised: BTreeSet<Address>,
}

/// One identity the vault holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultIdentity {
    /// The engine this identity is served to.
    pub owner: Address,
    /// Its secret halves.
    pub secrets: InternalIdentity,
}

/// The vault's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecryptionState {
    /// Identities by id.
    pub identities: BTreeMap<IdentityId, VaultIdentity>,
    /// Every private encryption key, current and rotated-out, by key id.
    pub keys: KeyRing,
    /// Serial of the next evidence this vault signs (strictly increasing).
    pub next_serial: u64,
}

impl DecryptionState {
    /// Adds an identity and its encryption key.
    pub fn insert(&mut self, owner: Address, secrets: InternalIdentity) {
        self.keys.insert(
            secrets.key_id(),
            KeyEntry {
                identity: secrets.id(),
                secret: secrets.encryption_secret.clone(),
            },
        );
        self.identities
            .insert(secrets.id(), VaultIdentity { owner, secrets });
    }

    /// Signs "`reader` reads for `subject`" with the subject's key and the next serial.
    pub fn sign_reads_for<B: Backend>(
        &mut self,
        backend: &B,
        reader: &ExternalIdentity,
        subject: &InternalIdentity,
    ) -> ReadsForEvidence {
        self.next_serial += 1;
        let serial = self.next_serial;
        let bytes = ReadsForEvidence::statement_bytes(reader, &subject.external, serial);
        ReadsForEvidence {
            from_identity: reader.clone(),
            to_identity: subject.external.clone(),
            serial,
            signature: backend.sign(subject, &bytes),
            relation: Default::default(),
        }
    }
}

impl Decryption {
    /// A vault at `address` managed by `manager`, serving owners plus `authorised`.
    pub fn new(address: Address, manager: Option<Address>, authorised: BTreeSet<Address>) -> Self {
        Decryption {
            address,
            manager,
            authorised,
        }
    }

    /// The keys `requester` may open with; `None` if it may use none.
    pub fn keys_for(&self, state: &DecryptionState, requester: &Address) -> Option<KeyRing> {
        if self.authorised.contains(requester) {
            return (!state.keys.is_empty()).then(|| state.keys.clone());
        }
        let ring: KeyRing = state
            .keys
            .iter()
            .filter(|(_, entry)| {
                state
                    .identities
                    .get(&entry.identity)
                    .is_some_and(|held| &held.owner == requester)
            })
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        (!ring.is_empty()).then_some(ring)
    }

    /// Opens a ciphertext stream for `requester`, in constant memory.
    pub fn decrypt_stream<B: Backend>(
        &self,
        state: &DecryptionState,
        backend: &B,
        requester: &Address,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        let keys = self
            .keys_for(state, requester)
            .ok_or(DecryptionError::NotAuthorised)?;
        backend.open_stream(&keys, input, output)
    }

    fn manage<B: Backend>(
        &self,
        state: &mut DecryptionState,
        backend: &mut B,
        message: &Message,
    ) -> Option<Message> {
        Some(match message {
            Message::RequestGenerateKey(req) => {
                let secrets = backend.generate_identity();
                let evidence = req
                    .read_by
                    .as_ref()
                    .map(|reader| state.sign_reads_for(backend, reader, &secrets));
                let identity = secrets.external.clone();
                state.insert(req.owner.clone(), secrets);
                ReplyGenerateKey {
                    result: Ok(GeneratedKey { identity, evidence }),
                }
                .into()
            }
            Message::RequestRotateKey(req) => {
                let result = match state.identities.get(&req.external_identity) {
                    None => Err(DecryptionError::UnknownIdentity),
                    Some(old) => {
                        let (owner, old) = (old.owner.clone(), old.secrets.clone());
                        let new = backend.rotate_encryption_key(&old);
                        // The old identity vouches for the new one: whatever is
                        // sealed to the old identity with reads-for reaches the new key.
                        let evidence = state.sign_reads_for(backend, &new.external, &old);
                        let identity = new.external.clone();
                        state.insert(owner, new);
                        Ok(GeneratedKey {
                            identity,
                            evidence: Some(evidence),
                        })
                    }
                };
                ReplyRotateKey { result }.into()
            }
            Message::RequestDeleteKey(req) => {
                let result = match state.identities.remove(&req.external_identity) {
                    None => Err(DecryptionError::UnknownIdentity),
                    Some(_) => {
                        state
                            .keys
                            .retain(|_, entry| entry.identity != req.external_identity);
                        Ok(())
                    }
                };
                ReplyDeleteKey { result }.into()
            }
            _ => return None,
        })
    }
}

/// Row: decrypt for the sender.
const DECRYPT: &str = "decrypt";
/// Row: a commitment for the identity's owner.
const COMMIT: &str = "commit";
/// Row: key management from the configured manager.
const MANAGE_KEYS: &str = "manage-keys";
/// Row: key management from anyone else.
const REFUSE_MANAGEMENT: &str = "refuse-management";

/// The vault's guard table (docs/decryption/behaviour.md), in the order tried.
pub const GUARDS: &[&str] = &[
    guards::MISADDRESSED,
    DECRYPT,
    COMMIT,
    MANAGE_KEYS,
    REFUSE_MANAGEMENT,
    guards::NOT_HANDLED,
    guards::UNEXPECTED_REPLY,
];

impl Engine for Decryption {
    type State = DecryptionState;

    const NAME: &'static str = "decryption";

    const GUARDS: &'static [&'static str] = GUARDS;

    fn step<B: Backend>(
        &self,
        state: &mut DecryptionState,
        backend: &mut B,
        env: &Envelope,
    ) -> Effects {
        if env.target != self.address {
            return Effects::reject(env, RejectReason::Misaddressed).by(guards::MISADDRESSED);
        }
        let (row, reply): (&'static str, Message) = match &env.message {
            Message::RequestDecryption(req) => (
                DECRYPT,
                ReplyDecryption {
                    result: match self.keys_for(state, &env.sender) {
                        None => Err(DecryptionError::NotAuthorised),
                        Some(keys) => backend.open(&keys, &req.data.0),
                    },
                }
                .into(),
            ),
            Message::RequestCommitment(req) => {
                let held = state
                    .identities
                    .get(&req.external_identity)
                    .map(|held| (&held.owner, &held.secrets));
                let result = commitment::commit(backend, held, &env.sender, req);
                (COMMIT, ReplyCommitment { result }.into())
            }
            m @ (Message::RequestGenerateKey(_)
            | Message::RequestRotateKey(_)
            | Message::RequestDeleteKey(_)) => {
                if self.manager.as_ref() != Some(&env.sender) {
                    (REFUSE_MANAGEMENT, refuse_management(m))
                } else {
                    match self.manage(state, backend, m) {
                        Some(reply) => (MANAGE_KEYS, reply),
                        None => {
                            return Effects::reject(env, RejectReason::UnexpectedReply)
                                .by(MANAGE_KEYS);
                        }
                    }
                }
            }
            // Row 6 (a request) or row 7 (a reply): `not_handled` tells them apart.
            _ => return Effects::not_handled(env),
        };
        Effects::send(env.reply(reply)).by(row)
    }
}

fn refuse_management(request: &Message) -> Message {
    let err = Err(DecryptionError::NotAuthorised);
    match request {
        Message::RequestRotateKey(_) => ReplyRotateKey { result: err }.into(),
        Message::RequestDeleteKey(_) => ReplyDeleteKey {
            result: Err(DecryptionError::NotAuthorised),
        }
        .into(),
        _ => ReplyGenerateKey { result: err }.into(),
    }
}
