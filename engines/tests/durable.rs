//! Durable state: what a node acknowledged is there after a restart, and the vault's
//! record on disk holds no secret in the clear.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::decryption::DecryptionState;
use sealwright_engines::runtime::store::{Store, VAULT_RECORD};
use sealwright_engines::runtime::{Durable, Node, NodeConfig};
use sealwright_engines::vault_file::{KdfParams, SealingKey};
use spec::message::*;
use spec::*;

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

/// Cheap Argon2id: the test is about what is stored, not about the KDF's cost.
const FAST: KdfParams = KdfParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

fn start(dir: &std::path::Path, vault: DecryptionState) -> Node {
    let store = Arc::new(Store::open(dir).unwrap());
    let (vault, key) = match store.load_vault(b"pass").unwrap() {
        Some((v, k)) => (v, k),
        None => (vault, SealingKey::derive(b"pass", FAST, [9; 16]).unwrap()),
    };
    Node::start(NodeConfig {
        vault,
        durable: Some(Durable {
            store,
            vault_key: Arc::new(key),
        }),
        ..NodeConfig::default()
    })
    .unwrap()
}

#[test]
fn acknowledged_changes_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("sealwright-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut backend = HpkeBackend::new();
    let (owner, reader) = (backend.generate_identity(), backend.generate_identity());
    let mut vault = DecryptionState::default();
    vault.insert(addr("client/owner"), owner.clone());
    let bytes = ReadsForEvidence::statement_bytes(&reader.external, &owner.external, 1);
    let evidence = ReadsForEvidence {
        from_identity: reader.external.clone(),
        to_identity: owner.external.clone(),
        serial: 1,
        signature: backend.sign(&owner, &bytes),
        relation: Default::default(),
    };
    let node = start(&dir, vault);
    let c = node.client("owner").unwrap();
    let reply = c
        .request(
            &addr("node/reads-for"),
            RequestSubmitReadsForEvidence { evidence },
        )
        .unwrap();
    assert!(
        matches!(reply.message, Message::ReplySubmitReadsForEvidence(ref r) if r.result.is_ok()),
        "{reply:?}"
    );
    // Identity Management generates a key: the vault changes, sealed on disk.
    let generated = match c
        .request(&addr("node/identity"), RequestGenerateIdentity::default())
        .unwrap()
        .message
    {
        Message::ReplyGenerateIdentity(r) => r.result.unwrap(),
        m => panic!("{m:?}"),
    };
    drop(c);
    node.shutdown();
    let stored = Store::open(&dir)
        .unwrap()
        .get(VAULT_RECORD)
        .unwrap()
        .unwrap();
    let secret = owner.encryption_secret.expose();
    assert!(
        !stored.windows(32).any(|w| w == secret),
        "a secret in the clear on disk"
    );

    let node = start(&dir, DecryptionState::default());
    let c = node.client("owner").unwrap();
    let reply = c
        .request(
            &addr("node/reads-for"),
            RequestReadsFor {
                external_identity_a: reader.id(),
                external_identity_b: owner.id(),
            },
        )
        .unwrap();
    assert!(
        matches!(reply.message, Message::ReplyReadsFor(ref r) if r.result == Ok(true)),
        "{reply:?}"
    );
    // The vault still holds both keys, the configured one and the generated one: the
    // owner decrypts with either after the restart.
    for to in [&owner.external, &generated] {
        let ct = backend.seal(std::slice::from_ref(to), b"kept").unwrap();
        match c
            .request(&addr("node/vault"), RequestDecryption { data: ct })
            .unwrap()
            .message
        {
            Message::ReplyDecryption(r) => assert_eq!(r.result.unwrap().0, b"kept"),
            m => panic!("{m:?}"),
        }
    }
    node.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
