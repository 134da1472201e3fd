//! The vault at rest: a Decryption engine's state sealed under a passphrase.
//!
//! ```text
//! file   = CBOR { header: VaultHeader, nonce: bstr .size 12, sealed: bstr }
//! key    = Argon2id(passphrase, header.kdf.salt, header.kdf parameters) -> 32 bytes
//! sealed = ChaCha20-Poly1305(key, nonce, aad = canonical CBOR of header, CBOR of the contents)
//! ```
//!
//! The header (format, KDF parameters, public identities) is readable without
//! the passphrase and authenticated by the seal, so `identity show` needs no
//! passphrase and nobody can swap in a cheaper KDF. Decoding bounds the KDF
//! parameters, so a hostile file cannot demand gigabytes of memory.

use std::collections::BTreeMap;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use serde::{Deserialize, Serialize};
use spec::codec::{self, Limits};
use spec::{Address, Capabilities, ExternalIdentity, IdentityId, KeyId};
use zeroize::{Zeroize, Zeroizing};

use crate::backend::KeyEntry;
use crate::decryption::{DecryptionState, VaultIdentity};
use crate::identity::InternalIdentity;
use crate::secret::Secret32;

/// The `format` field of every vault file.
pub const FORMAT: &str = "sealwright-vault/v1";
/// Largest vault file accepted, in bytes.
pub const MAX_VAULT_BYTES: usize = 4 * 1024 * 1024;
/// Most Argon2 memory a vault file may ask for: 1 GiB.
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

/// Argon2id parameters, recorded in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// The default: 64 MiB, 3 passes, 1 lane (OWASP's second Argon2id profile, in spirit).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Kdf {
    algorithm: String,
    // Nested, not flattened: serde's flatten makes ciborium write indefinite-length maps.
    params: KdfParams,
    #[serde(with = "serde_bytes")]
    salt: [u8; 16],
}

/// The readable, authenticated part of a vault file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultHeader {
    format: String,
    kdf: Kdf,
    /// The public halves of the identities inside.
    pub identities: Vec<ExternalIdentity>,
}

impl VaultHeader {
    /// The key-derivation parameters this vault was sealed with.
    pub fn kdf_params(&self) -> KdfParams {
        self.kdf.params
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VaultFile {
    header: VaultHeader,
    #[serde(with = "serde_bytes")]
    nonce: [u8; 12],
    #[serde(with = "serde_bytes")]
    sealed: Vec<u8>,
}

/// The secret contents; zeroized when dropped.
#[derive(Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Contents {
    identities: Vec<StoredIdentity>,
    keys: Vec<StoredKey>,
    next_serial: u64,
}

#[derive(Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredIdentity {
    #[zeroize(skip)]
    owner: Address,
    #[zeroize(skip)]
    external: ExternalIdentity,
    #[serde(with = "serde_bytes")]
    signing_seed: [u8; 32],
    #[serde(with = "serde_bytes")]
    encryption_secret: [u8; 32],
    /// Absent in files written before capabilities existed, and whenever it is both.
    #[zeroize(skip)]
    #[serde(default, skip_serializing_if = "Capabilities::is_default")]
    capabilities: Capabilities,
}

#[derive(Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredKey {
    #[zeroize(skip)]
    key: KeyId,
    #[zeroize(skip)]
    identity: IdentityId,
    #[serde(with = "serde_bytes")]
    secret: [u8; 32],
}

/// Why a vault file could not be opened or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultFileError {
    /// The bytes are not a vault file.
    #[error("not a Sealwright vault file ({0})")]
    Malformed(String),
    /// A format this implementation does not read.
    #[error("unsupported vault format `{0}`")]
    UnsupportedFormat(String),
    /// KDF parameters outside the accepted bounds.
    #[error(
        "the vault's key-derivation parameters are out of bounds (memory at most {MAX_MEMORY_KIB} KiB, iterations at most {MAX_ITERATIONS}, parallelism at most {MAX_PARALLELISM})"
    )]
    KdfOutOfBounds,
    /// The passphrase is wrong or the file was altered.
    #[error("wrong passphrase, or the vault file was altered")]
    WrongPassphraseOrCorrupt,
}

fn derive_key(passphrase: &[u8], kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>, VaultFileError> {
    let p = kdf.params;
    if kdf.algorithm != "argon2id"
        || p.memory_kib > MAX_MEMORY_KIB
        || p.iterations == 0
        || p.iterations > MAX_ITERATIONS
        || p.parallelism == 0
        || p.parallelism > MAX_PARALLELISM
    {
        return Err(VaultFileError::KdfOutOfBounds);
    }
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32))
        .map_err(|_| VaultFileError::KdfOutOfBounds)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, &kdf.salt, key.as_mut())
        .map_err(|_| VaultFileError::KdfOutOfBounds)?;
    Ok(key)
}

/// Reads the public header without the passphrase.
pub fn read_header(bytes: &[u8]) -> Result<VaultHeader, VaultFileError> {
    Ok(parse(bytes)?.header)
}

fn parse(bytes: &[u8]) -> Result<VaultFile, VaultFileError> {
    let limits = Limits {
        max_bytes: MAX_VAULT_BYTES,
        max_depth: 16,
    };
    let file: VaultFile =
        codec::decode_with(bytes, limits).map_err(|e| VaultFileError::Malformed(e.to_string()))?;
    if file.header.format != FORMAT {
        let shown: String = file.header.format.chars().take(40).collect();
        return Err(VaultFileError::UnsupportedFormat(shown));
    }
    Ok(file)
}

/// A key derived from a passphrase once, to seal a vault many times (each with a fresh
/// nonce) without running Argon2id for each.
pub struct SealingKey {
    kdf: Kdf,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealingKey(<redacted>)")
    }
}

impl SealingKey {
    /// Derives the key for `passphrase` with `params` and a fresh random `salt`.
    pub fn derive(
        passphrase: &[u8],
        params: KdfParams,
        salt: [u8; 16],
    ) -> Result<Self, VaultFileError> {
        let kdf = Kdf {
            algorithm: "argon2id".into(),
            params,
            salt,
        };
        let key = derive_key(passphrase, &kdf)?;
        Ok(SealingKey { kdf, key })
    }

    /// Derives the key a vault file was sealed with (its salt and parameters).
    pub fn of_file(bytes: &[u8], passphrase: &[u8]) -> Result<Self, VaultFileError> {
        let kdf = parse(bytes)?.header.kdf;
        let key = derive_key(passphrase, &kdf)?;
        Ok(SealingKey { kdf, key })
    }
}

/// Seals a vault's state under `passphrase`. `salt` and `nonce` must be fresh random bytes.
pub fn seal(
    state: &DecryptionState,
    passphrase: &[u8],
    params: KdfParams,
    salt: [u8; 16],
    nonce: [u8; 12],
) -> Result<Vec<u8>, VaultFileError> {
    seal_with(state, &SealingKey::derive(passphrase, params, salt)?, nonce)
}

/// Seals a vault's state under a derived key; `nonce` must be fresh random bytes.
pub fn seal_with(
    state: &DecryptionState,
    key: &SealingKey,
    nonce: [u8; 12],
) -> Result<Vec<u8>, VaultFileError> {
    let contents = Contents {
        identities: state
            .identities
            .values()
            .map(|v| StoredIdentity {
                owner: v.owner.clone(),
                external: v.secrets.external.clone(),
                signing_seed: *v.secrets.signing_seed.expose(),
                encryption_secret: *v.secrets.encryption_secret.expose(),
                capabilities: v.capabilities,
            })
            .collect(),
        keys: state
            .keys
            .iter()
            .map(|(key, entry)| StoredKey {
                key: *key,
                identity: entry.identity,
                secret: *entry.secret.expose(),
            })
            .collect(),
        next_serial: state.next_serial,
    };
    let header = VaultHeader {
        format: FORMAT.into(),
        kdf: key.kdf.clone(),
        identities: state
            .identities
            .values()
            .map(|v| v.secrets.external.clone())
            .collect(),
    };
    let mut buf = Zeroizing::new(codec::encode(&contents));
    let aead = ChaCha20Poly1305::new(&Key::from(*key.key));
    let tag = aead
        .encrypt_inout_detached(
            &Nonce::from(nonce),
            &codec::encode(&header),
            buf.as_mut_slice().into(),
        )
        .map_err(|_| VaultFileError::Malformed("contents too large".into()))?;
    let mut sealed = buf.to_vec();
    sealed.extend_from_slice(&tag);
    Ok(codec::encode(&VaultFile {
        header,
        nonce,
        sealed,
    }))
}

/// Opens a vault file with `passphrase`.
pub fn open(bytes: &[u8], passphrase: &[u8]) -> Result<DecryptionState, VaultFileError> {
    open_with(bytes, &SealingKey::of_file(bytes, passphrase)?)
}

/// Opens a vault file with a derived key (which must be the file's: same salt and parameters).
pub fn open_with(bytes: &[u8], key: &SealingKey) -> Result<DecryptionState, VaultFileError> {
    let file = parse(bytes)?;
    if file.header.kdf != key.kdf {
        return Err(VaultFileError::WrongPassphraseOrCorrupt);
    }
    let key = &key.key;
    let Some(split) = file.sealed.len().checked_sub(16) else {
        return Err(VaultFileError::WrongPassphraseOrCorrupt);
    };
    let mut buf = Zeroizing::new(file.sealed[..split].to_vec());
    let mut tag = Tag::default();
    tag.copy_from_slice(&file.sealed[split..]);
    let aead = ChaCha20Poly1305::new(&Key::from(**key));
    aead.decrypt_inout_detached(
        &Nonce::from(file.nonce),
        &codec::encode(&file.header),
        buf.as_mut_slice().into(),
        &tag,
    )
    .map_err(|_| VaultFileError::WrongPassphraseOrCorrupt)?;
    let contents: Contents =
        codec::decode(&buf).map_err(|e| VaultFileError::Malformed(e.to_string()))?;
    let mut state = DecryptionState {
        identities: BTreeMap::new(),
        keys: BTreeMap::new(),
        next_serial: contents.next_serial,
    };
    for stored in &contents.identities {
        let secrets = InternalIdentity {
            external: stored.external.clone(),
            signing_seed: Secret32::new(stored.signing_seed),
            encryption_secret: Secret32::new(stored.encryption_secret),
        };
        state.identities.insert(
            secrets.id(),
            VaultIdentity {
                owner: stored.owner.clone(),
                secrets,
                capabilities: stored.capabilities,
            },
        );
    }
    for stored in &contents.keys {
        state.keys.insert(
            stored.key,
            KeyEntry {
                identity: stored.identity,
                secret: Secret32::new(stored.secret),
            },
        );
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Backend;
    use crate::backend::symbolic::SymbolicBackend;

    const FAST: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn state() -> DecryptionState {
        let mut b = SymbolicBackend::new(3);
        let mut s = DecryptionState::default();
        let id = b.generate_identity();
        let rotated = b.rotate_encryption_key(&id);
        s.insert(Address::new("cli").unwrap(), id);
        s.insert(Address::new("cli").unwrap(), rotated);
        s.next_serial = 7;
        s
    }

    #[test]
    fn round_trips_and_refuses_wrong_passphrase_and_tampering() {
        let bytes = seal(&state(), b"correct horse", FAST, [1; 16], [2; 12]).unwrap();
        assert_eq!(open(&bytes, b"correct horse").unwrap(), state());
        assert_eq!(
            open(&bytes, b"wrong").unwrap_err(),
            VaultFileError::WrongPassphraseOrCorrupt
        );
        assert_eq!(read_header(&bytes).unwrap().identities.len(), 2);
        for i in 0..bytes.len() {
            let mut t = bytes.clone();
            t[i] ^= 0x01;
            assert!(open(&t, b"correct horse").is_err(), "flip at {i} accepted");
        }
        for cut in 0..bytes.len() {
            assert!(open(&bytes[..cut], b"correct horse").is_err());
        }
    }

    /// Written by `sealwright keygen --kdf-memory-kib 64` as it was before identities had
    /// capabilities (commit 08dda91), with the passphrase `before capabilities`.
    const BEFORE_CAPABILITIES: &[u8] =
        include_bytes!("../tests/fixtures/vault-before-capabilities.vault");

    #[test]
    fn a_file_written_before_capabilities_opens_with_both_and_reseals_to_the_same_bytes() {
        let opened = open(BEFORE_CAPABILITIES, b"before capabilities").unwrap();
        assert_eq!(opened.identities.len(), 1);
        for held in opened.identities.values() {
            assert_eq!(held.capabilities, Capabilities::CommitAndDecrypt);
        }
        // Nothing about the format changed for such a vault: sealing it again with the
        // file's own salt and nonce gives the file back, byte for byte.
        let file = parse(BEFORE_CAPABILITIES).unwrap();
        let (params, salt) = (file.header.kdf.params, file.header.kdf.salt);
        let again = seal(&opened, b"before capabilities", params, salt, file.nonce).unwrap();
        assert_eq!(again, BEFORE_CAPABILITIES);
    }

    #[test]
    fn capabilities_other_than_both_are_kept() {
        let mut b = SymbolicBackend::new(5);
        let mut s = state();
        s.insert_with(
            Address::new("cli").unwrap(),
            b.generate_identity(),
            Capabilities::Commit,
        );
        s.insert_with(
            Address::new("cli").unwrap(),
            b.generate_identity(),
            Capabilities::Decrypt,
        );
        let bytes = seal(&s, b"p", FAST, [1; 16], [2; 12]).unwrap();
        let opened = open(&bytes, b"p").unwrap();
        assert_eq!(opened, s);
        let mut kept: Vec<Capabilities> =
            opened.identities.values().map(|v| v.capabilities).collect();
        kept.sort();
        let both = Capabilities::CommitAndDecrypt;
        assert_eq!(
            kept,
            [Capabilities::Commit, Capabilities::Decrypt, both, both]
        );
    }

    #[test]
    fn hostile_kdf_parameters_are_refused() {
        let params = KdfParams {
            memory_kib: MAX_MEMORY_KIB + 1,
            ..FAST
        };
        assert_eq!(
            seal(&state(), b"p", params, [1; 16], [2; 12]).unwrap_err(),
            VaultFileError::KdfOutOfBounds
        );
    }
}
