//! Internal identities: the secret halves, held only by the vault.

use std::fmt;

use serde::{Deserialize, Serialize};
use spec::{ExternalIdentity, IdentityId, KeyId};

use crate::secret::Secret32;

/// An identity's secret halves and its public half.
///
/// Lives only inside engines (the vault); it is serialised only as part of the
/// vault's state (its secret fields say so), and its `Debug` shows only the public id.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InternalIdentity {
    /// The public half.
    pub external: ExternalIdentity,
    /// The Ed25519 signing seed.
    #[serde(with = "crate::secret::exposed")]
    pub signing_seed: Secret32,
    /// The X25519 private key.
    #[serde(with = "crate::secret::exposed")]
    pub encryption_secret: Secret32,
}

impl InternalIdentity {
    /// The identity's id.
    pub fn id(&self) -> IdentityId {
        self.external.id()
    }

    /// The same identity (same signing key) with a new encryption key pair.
    pub fn with_encryption_key(
        &self,
        encryption_secret: Secret32,
        encryption_key: [u8; 32],
    ) -> Self {
        InternalIdentity {
            external: ExternalIdentity {
                verifying_key: self.external.verifying_key,
                encryption_key,
            },
            signing_seed: self.signing_seed.clone(),
            encryption_secret,
        }
    }

    /// The id of its current encryption key.
    pub fn key_id(&self) -> KeyId {
        self.external.key_id()
    }
}

impl fmt::Debug for InternalIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InternalIdentity({}, <secrets redacted>)", self.id())
    }
}
