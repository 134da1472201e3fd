//! Durable engine state under a data directory: one redb database, one record per engine.
//!
//! The runtime saves an engine's state after a step that changed it and before the step's
//! envelopes are routed, so a reply that acknowledges a change is sent only once the change
//! is committed. The vault's record is a sealed vault file (`vault_file`): its secrets are
//! on disk only under the passphrase-derived key.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::decryption::DecryptionState;
use crate::vault_file::{self, SealingKey};

const STATES: TableDefinition<&str, &[u8]> = TableDefinition::new("engine-states");

/// The record name of the vault's sealed state.
pub const VAULT_RECORD: &str = "vault";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("data store {path}: {why}")]
    Db {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// A record does not decode.
    #[error("data store record `{0}` does not decode: {1}")]
    Record(String, String),
    /// The vault record does not open (wrong passphrase, or altered).
    #[error("the stored vault: {0}")]
    Vault(#[from] vault_file::VaultFileError),
}

/// A node's durable state.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("sealwright.redb");
        let fail = |e: &dyn std::fmt::Display| StoreError::Db {
            path: path.clone(),
            why: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        let db = Database::create(&path).map_err(|e| fail(&e))?;
        Ok(Store { db, path })
    }

    fn db_error(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Db {
            path: self.path.clone(),
            why: e.to_string(),
        }
    }

    /// The bytes of record `name`, if any.
    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.db_error(e))?;
        let table = match tx.open_table(STATES) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(self.db_error(e)),
        };
        let value = table.get(name).map_err(|e| self.db_error(e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    /// Replaces record `name` with `bytes`, durably: on disk when this returns.
    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().map_err(|e| self.db_error(e))?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| self.db_error(e))?;
        {
            let mut table = tx.open_table(STATES).map_err(|e| self.db_error(e))?;
            table.insert(name, bytes).map_err(|e| self.db_error(e))?;
        }
        tx.commit().map_err(|e| self.db_error(e))
    }

    /// Engine state `name`, decoded, if stored.
    pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StoreError> {
        let Some(bytes) = self.get(name)? else {
            return Ok(None);
        };
        ciborium::from_reader(bytes.as_slice())
            .map(Some)
            .map_err(|e| StoreError::Record(name.into(), e.to_string()))
    }

    /// Saves engine state `name`.
    pub fn save<T: Serialize>(&self, name: &str, state: &T) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        ciborium::into_writer(state, &mut bytes)
            .map_err(|e| StoreError::Record(name.into(), e.to_string()))?;
        self.put(name, &bytes)
    }

    /// The stored vault, opened with `passphrase`, and the key to seal it again with.
    pub fn load_vault(
        &self,
        passphrase: &[u8],
    ) -> Result<Option<(DecryptionState, SealingKey)>, StoreError> {
        let Some(bytes) = self.get(VAULT_RECORD)? else {
            return Ok(None);
        };
        let key = SealingKey::of_file(&bytes, passphrase)?;
        Ok(Some((vault_file::open_with(&bytes, &key)?, key)))
    }

    /// Saves the vault sealed under `key` with a fresh nonce.
    pub fn save_vault(&self, state: &DecryptionState, key: &SealingKey) -> Result<(), StoreError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| self.db_error(e))?;
        self.put(VAULT_RECORD, &vault_file::seal_with(state, key, nonce)?)
    }
}
