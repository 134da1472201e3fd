//! The Decryption engine: the vault, the only holder of secret keys.
//!
//! Guards, in order:
//! 1. an envelope for another engine is rejected (`Misaddressed`);
//! 2. `RequestDecryption` → open with the keys of the identities the requester
//!    is served (its own, or all of them for a requester the configuration
//!    names) that have the `Decrypt` capability; `NotAuthorised` if it is served
//!    none; `ReplyDecryption`;
//! 3. `RequestCommitment` → sign the data's commitment statement as the named
//!    identity if the requester owns it and it has the `Commit` capability
//!    ([`crate::commitment`]); `ReplyCommitment`;
//! 4. `RequestGenerateKey` / `RequestRotateKey` / `RequestDeleteKey` from the
//!    configured manager (Identity Management) → act, reply; from anyone else
//!    → `NotAuthorised`;
//! 5. any other request → its reply with `NotHandled`; any reply → rejected.
//!
//! Secret bytes never leave this module in a message: replies carry public
//! identities, signed evidence and plaintexts only. Keys are [`Secret32`]
//! values, zeroized when dropped. A rotated-out key stays in the key ring
//! under its key id, so older ciphertexts still open. Each identity's
//! capabilities are recorded with its keys when they are generated, and a
//! rotation keeps them.
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
    Address, Capabilities, DecryptionError, Envelope, ExternalIdentity, IdentityId, Message,
    ReadsForEvidence,
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
    /// What the vault may use its keys for; left out of the encoding when both.
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    pub capabilities: Capabilities,
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
    /// Adds an identity that may both commit and decrypt, and its encryption key.
    pub fn insert(&mut self, owner: Address, secrets: InternalIdentity) {
        self.insert_with(owner, secrets, Capabilities::default());
    }

    /// Adds an identity with `capabilities`, and its encryption key.
    pub fn insert_with(
        &mut self,
        owner: Address,
        secrets: InternalIdentity,
        capabilities: Capabilities,
    ) {
        self.keys.insert(
            secrets.key_id(),
            KeyEntry {
                identity: secrets.id(),
                secret: secrets.encryption_secret.clone(),
            },
        );
        let held = VaultIdentity {
            owner,
            secrets,
            capabilities,
        };
        self.identities.insert(held.secrets.id(), held);
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

    /// The keys `requester` may open with; `None` if it is served no key at all.
    ///
    /// A requester is served the keys of the identities it owns, or every key for
    /// one the configuration names. Of those, only the keys of identities with the
    /// `Decrypt` capability are returned, so the ring may be empty: a ciphertext
    /// sealed only to a commit-only identity then gives `NoMatchingKey`.
    pub fn keys_for(&self, state: &DecryptionState, requester: &Address) -> Option<KeyRing> {
        let everything = self.authorised.contains(requester);
        let held = |entry: &KeyEntry| state.identities.get(&entry.identity);
        let served = |entry: &KeyEntry| {
            everything || held(entry).is_some_and(|held| &held.owner == requester)
        };
        // A key whose identity is not held (never the case for a vault that only
        // generates, rotates and deletes) has no capabilities to refuse it by.
        let may_decrypt =
            |entry: &KeyEntry| held(entry).is_none_or(|held| held.capabilities.decrypt());
        if !state.keys.values().any(served) {
            return None;
        }
        Some(
            state
                .keys
                .iter()
                .filter(|(_, entry)| served(entry) && may_decrypt(entry))
                .map(|(k, v)| (*k, v.clone()))
                .collect(),
        )
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
                state.insert_with(req.owner.clone(), secrets, req.capabilities);
                ReplyGenerateKey {
                    result: Ok(GeneratedKey { identity, evidence }),
                }
                .into()
            }
            Message::RequestRotateKey(req) => {
                let result = match state.identities.get(&req.external_identity) {
                    None => Err(DecryptionError::UnknownIdentity),
                    Some(old) => {
                        let (owner, capabilities) = (old.owner.clone(), old.capabilities);
                        let old = old.secrets.clone();
                        let new = backend.rotate_encryption_key(&old);
                        // The old identity vouches for the new one: whatever is
                        // sealed to the old identity with reads-for reaches the new key.
                        let evidence = state.sign_reads_for(backend, &new.external, &old);
                        let identity = new.external.clone();
                        state.insert_with(owner, new, capabilities);
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
                    .map(|held| (&held.owner, &held.secrets, held.capabilities));
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
