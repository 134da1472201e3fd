//! Links between processes, end to end over loopback TCP: the node's identity proved with
//! keys its vault holds, a remote owner served under its authenticated address, and
//! hostile peers that cost one connection each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::decryption::DecryptionState;
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::link::{LinkFailure, Peer};
use sealwright_engines::runtime::links::{
    LinkClient, LinkError, LinkGateway, LinkSettings, serve_links,
};
use sealwright_engines::runtime::{Node, NodeConfig};
use spec::message::*;
use spec::*;

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

struct Cluster {
    gateway: LinkGateway,
    bob: Peer,
    alice: InternalIdentity,
    /// An identity the vault holds for `alice/client`.
    owned: ExternalIdentity,
    carol: InternalIdentity,
}

/// Node `bob`, whose vault holds bob's link identity and an identity owned by `alice/client`;
/// alice is a registered peer, carol is not.
fn cluster(settings: LinkSettings) -> Cluster {
    let mut backend = HpkeBackend::new();
    let (bob, alice, carol, owned) = (
        backend.generate_identity(),
        backend.generate_identity(),
        backend.generate_identity(),
        backend.generate_identity(),
    );
    let mut vault = DecryptionState::default();
    vault.insert(addr("bob/node"), bob.clone());
    vault.insert(addr("alice/client"), owned.clone());
    let node = Arc::new(
        Node::start(NodeConfig {
            name: "bob".into(),
            vault,
            ..NodeConfig::default()
        })
        .unwrap(),
    );
    let key = Arc::new(node.link_key(bob.external.clone()).unwrap());
    let settings = LinkSettings {
        peers: vec![Peer {
            node: "alice".into(),
            identity: alice.external.clone(),
        }],
        ..settings
    };
    let gateway = serve_links(node.clone(), key, "127.0.0.1:0", settings).unwrap();
    Cluster {
        gateway,
        bob: Peer {
            node: "bob".into(),
            identity: bob.external,
        },
        alice,
        owned: owned.external,
        carol,
    }
}

impl Cluster {
    fn dial(&self, who: &InternalIdentity, me: &str) -> Result<LinkClient, LinkError> {
        LinkClient::connect(
            self.gateway.local_addr(),
            Arc::new(who.clone()),
            self.bob.clone(),
            addr(me),
            Duration::from_secs(10),
        )
    }
}

fn seal(c: &mut LinkClient, to: &ExternalIdentity, data: &[u8]) -> Ciphertext {
    let reply = c
        .request(
            &addr("bob/encryption"),
            RequestEncrypt {
                data: Plaintext(data.to_vec()),
                external_identity: to.clone(),
                use_reads_for: false,
            },
        )
        .unwrap();
    assert_eq!(reply.sender, addr("bob/encryption"));
    match reply.message {
        Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) => ct,
        m => panic!("{m:?}"),
    }
}

#[test]
fn a_remote_owner_decrypts_and_nobody_else_does() {
    let c = cluster(LinkSettings::default());
    let mut alice = c.dial(&c.alice, "alice/client").unwrap();
    assert_eq!(alice.peer().map(|p| p.node.as_str()), Some("bob"));
    let ct = seal(&mut alice, &c.owned, b"for alice's identity");
    let opened = alice
        .request(&addr("bob/vault"), RequestDecryption { data: ct.clone() })
        .unwrap();
    match opened.message {
        Message::ReplyDecryption(r) => assert_eq!(r.result.unwrap().0, b"for alice's identity"),
        m => panic!("{m:?}"),
    }
    // Another address of alice's node is not the owner.
    let mut other = c.dial(&c.alice, "alice/other").unwrap();
    match other
        .request(&addr("bob/vault"), RequestDecryption { data: ct })
        .unwrap()
        .message
    {
        Message::ReplyDecryption(r) => assert!(r.result.is_err()),
        m => panic!("{m:?}"),
    }
    // Carol is nobody bob knows: her handshake is refused.
    assert!(c.dial(&c.carol, "carol/client").is_err());
    // Alice cannot speak for another node.
    let mut forger = c.dial(&c.alice, "carol/client").unwrap();
    assert!(
        forger
            .request(
                &addr("bob/encryption"),
                RequestEncrypt {
                    data: Plaintext(vec![1]),
                    external_identity: c.owned.clone(),
                    use_reads_for: false,
                }
            )
            .is_err()
    );
    assert!(
        c.gateway
            .counters()
            .connected
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3
    );
}

#[test]
fn a_request_to_an_engine_that_does_not_serve_the_peer_is_refused() {
    let mut settings = LinkSettings::default();
    settings.serves.insert("vault".into(), Default::default());
    let c = cluster(settings);
    let mut alice = c.dial(&c.alice, "alice/client").unwrap();
    let ct = seal(&mut alice, &c.owned, b"x");
    let request: Message = RequestDecryption { data: ct }.into();
    let reply = alice.request(&addr("bob/vault"), request.clone()).unwrap();
    assert_eq!(reply.sender, addr("bob/link"));
    assert_eq!(Some(reply.message), request.refusal(Refusal::NotHandled));
}

#[test]
fn the_node_identity_needs_both_capabilities_in_the_vault() {
    let mut backend = HpkeBackend::new();
    let (bob, alice) = (backend.generate_identity(), backend.generate_identity());
    let mut vault = DecryptionState::default();
    vault.insert_with(addr("bob/node"), bob.clone(), Capabilities::Decrypt);
    let node = Arc::new(
        Node::start(NodeConfig {
            name: "bob".into(),
            vault,
            ..NodeConfig::default()
        })
        .unwrap(),
    );
    let key = Arc::new(node.link_key(bob.external.clone()).unwrap());
    let peers = vec![Peer {
        node: "alice".into(),
        identity: alice.external.clone(),
    }];
    let gw = serve_links(
        node,
        key,
        "127.0.0.1:0",
        LinkSettings {
            peers,
            ..LinkSettings::default()
        },
    )
    .unwrap();
    let server = Peer {
        node: "bob".into(),
        identity: bob.external,
    };
    let dialled = LinkClient::connect(
        gw.local_addr(),
        Arc::new(alice),
        server,
        addr("alice/client"),
        Duration::from_secs(5),
    );
    assert!(dialled.is_err());
}

/// Hostile peers: each closes its own connection, and an honest link keeps working meanwhile.
#[test]
fn hostile_peers_cost_one_connection_each() {
    let c = cluster(LinkSettings {
        max_connections: 4,
        handshake_deadline: Duration::from_millis(300),
        ..LinkSettings::default()
    });
    let mut alice = c.dial(&c.alice, "alice/client").unwrap();
    // A frame claiming 4 GiB: closed at once, nothing allocated.
    let mut huge = TcpStream::connect(c.gateway.local_addr()).unwrap();
    huge.write_all(&u32::MAX.to_be_bytes()).unwrap();
    // Garbage of the right length.
    let mut garbage = TcpStream::connect(c.gateway.local_addr()).unwrap();
    garbage.write_all(&[0, 0, 0, 40]).unwrap();
    garbage.write_all(&[0x5a; 40]).unwrap();
    // A staller that sends nothing: closed at the handshake deadline.
    let mut staller = TcpStream::connect(c.gateway.local_addr()).unwrap();
    // A trickler: a byte every 50 ms, never a whole handshake message. The deadline is
    // absolute, so it is closed as surely as the staller.
    let trickler = TcpStream::connect(c.gateway.local_addr()).unwrap();
    let mut trickle = trickler.try_clone().unwrap();
    let feeding = std::thread::spawn(move || {
        let _ = trickle.write_all(&[0, 0, 0, 32]);
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(50));
            if trickle.write_all(&[7]).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    // Meanwhile the honest link answers.
    seal(&mut alice, &c.owned, b"still served");
    let mut trickler = trickler;
    for s in [&mut huge, &mut garbage, &mut staller, &mut trickler] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 1];
        // The gateway closes each: a read sees the end of the stream (or a reset).
        assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
    }
    // The trickler would take 5 s to finish its 100 bytes; the 300 ms deadline ends it first.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let _ = feeding.join();
    // The cap: with alice's link open, only three more connections are taken at once.
    let extra: Vec<TcpStream> = (0..6)
        .map(|_| TcpStream::connect(c.gateway.local_addr()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let counters = c.gateway.counters();
    assert!(
        counters.over_cap.load(std::sync::atomic::Ordering::Relaxed) >= 3,
        "{counters:?}"
    );
    drop(extra);
    seal(&mut alice, &c.owned, b"and still served");
    assert!(
        counters.failed.load(std::sync::atomic::Ordering::Relaxed) >= 3,
        "{counters:?}"
    );
    let _ = LinkFailure::Closed;
}

/// Placement: the Encryption pool on `alpha` queries ReadsFor on `beta` over a link that
/// alpha dials; the reply comes back on it, and the ciphertext opens for both identities.
#[test]
fn a_reads_for_encryption_crosses_nodes() {
    use sealwright_engines::runtime::outbound::{Remote, route_remote};
    use sealwright_engines::runtime::placement::{Part, Placement};

    let mut backend = HpkeBackend::new();
    let (alpha_id, beta_id) = (backend.generate_identity(), backend.generate_identity());
    let (owner, reader) = (backend.generate_identity(), backend.generate_identity());
    // beta: ReadsFor (reader reads for owner), the vault, Identity Management.
    let mut vault = DecryptionState::default();
    vault.insert(addr("beta/node"), beta_id.clone());
    vault.insert(addr("alpha/client"), owner.clone());
    vault.insert(addr("alpha/client2"), reader.clone());
    let mut beta_config = NodeConfig {
        name: "beta".into(),
        vault,
        placement: Placement {
            runs: [Part::ReadsFor, Part::Vault, Part::Identity]
                .into_iter()
                .collect(),
            elsewhere: [(Part::Encryption, "alpha".to_string())]
                .into_iter()
                .collect(),
        },
        ..NodeConfig::default()
    };
    let bytes = ReadsForEvidence::statement_bytes(&reader.external, &owner.external, 1);
    let ev = ReadsForEvidence {
        from_identity: reader.external.clone(),
        to_identity: owner.external.clone(),
        serial: 1,
        signature: backend.sign(&owner, &bytes),
        relation: Default::default(),
    };
    beta_config.reads_for.evidence.insert(ev.edge(), ev);
    let beta = Arc::new(Node::start(beta_config).unwrap());
    let alpha_peer = Peer {
        node: "alpha".into(),
        identity: alpha_id.external.clone(),
    };
    let beta_peer = Peer {
        node: "beta".into(),
        identity: beta_id.external.clone(),
    };
    let key = Arc::new(beta.link_key(beta_id.external.clone()).unwrap());
    let gw = serve_links(
        beta.clone(),
        key,
        "127.0.0.1:0",
        LinkSettings {
            peers: vec![alpha_peer.clone()],
            ..LinkSettings::default()
        },
    )
    .unwrap();
    // alpha: the Encryption pool only; ReadsFor is on beta. Alpha has no vault: its link
    // key is its own identity.
    let alpha = Node::start(NodeConfig {
        name: "alpha".into(),
        encryption_instances: 2,
        placement: Placement {
            runs: [Part::Encryption].into_iter().collect(),
            elsewhere: [(Part::ReadsFor, "beta".to_string())].into_iter().collect(),
        },
        ..NodeConfig::default()
    })
    .unwrap();
    let remote = Remote {
        peer: beta_peer.clone(),
        addr: gw.local_addr().to_string(),
    };
    route_remote(&alpha, Arc::new(alpha_id.clone()), vec![remote]).unwrap();
    let client = alpha.client("app").unwrap();
    let reply = client
        .request(
            &addr("alpha/encryption"),
            RequestEncrypt {
                data: Plaintext(b"across".to_vec()),
                external_identity: owner.external.clone(),
                use_reads_for: true,
            },
        )
        .unwrap();
    let Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) = reply.message else {
        panic!("{reply:?}")
    };
    // Both the owner and the identity that reads for it open it, at beta's vault.
    for me in ["alpha/client", "alpha/client2"] {
        let mut c = LinkClient::connect(
            gw.local_addr(),
            Arc::new(alpha_id.clone()),
            beta_peer.clone(),
            addr(me),
            Duration::from_secs(5),
        )
        .unwrap();
        match c
            .request(&addr("beta/vault"), RequestDecryption { data: ct.clone() })
            .unwrap()
            .message
        {
            Message::ReplyDecryption(r) => assert_eq!(r.result.unwrap().0, b"across", "{me}"),
            m => panic!("{m:?}"),
        }
    }
}
