//! The threaded runtime and the TCP transport, end to end with the HPKE backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::decryption::DecryptionState;
use sealwright_engines::runtime::tcp::{self, RemoteClient};
use sealwright_engines::runtime::{self, Node, NodeConfig, RuntimeError};
use spec::message::*;
use spec::*;

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

fn encrypt(to: &ExternalIdentity, reads_for: bool, data: &[u8]) -> RequestEncrypt {
    RequestEncrypt {
        data: Plaintext(data.to_vec()),
        external_identity: to.clone(),
        use_reads_for: reads_for,
    }
}

/// A node whose vault holds `alice` (owned by client/alice) and `bob` (owned by client/bob),
/// with "bob reads for alice" in force.
fn node(instances: usize, capacity: usize) -> (Node, ExternalIdentity, ExternalIdentity) {
    let mut backend = HpkeBackend::new();
    let alice = backend.generate_identity();
    let bob = backend.generate_identity();
    let bytes = ReadsForEvidence::statement_bytes(&bob.external, &alice.external, 1);
    let ev = ReadsForEvidence {
        from_identity: bob.external.clone(),
        to_identity: alice.external.clone(),
        serial: 1,
        signature: backend.sign(&alice, &bytes),
        relation: Default::default(),
    };
    let mut vault = DecryptionState::default();
    vault.insert(addr("client/alice"), alice.clone());
    vault.insert(addr("client/bob"), bob.clone());
    let mut config = NodeConfig {
        encryption_instances: instances,
        queue_capacity: capacity,
        vault,
        ..NodeConfig::default()
    };
    config.reads_for.evidence.insert(ev.edge(), ev);
    (Node::start(config).unwrap(), alice.external, bob.external)
}

#[test]
fn requests_round_trip_through_the_engines() {
    let (node, alice, _bob) = node(2, 8);
    let a = node.client("alice").unwrap();
    let b = node.client("bob").unwrap();
    let reply = a
        .request(&addr(runtime::ENCRYPTION), encrypt(&alice, true, b"hi"))
        .unwrap();
    assert_eq!(reply.target, *a.address());
    let Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) = reply.message else {
        panic!("{reply:?}")
    };
    // Bob reads for Alice: both open it.
    for who in [&a, &b] {
        match who
            .request(
                &addr(runtime::VAULT),
                RequestDecryption { data: ct.clone() },
            )
            .unwrap()
            .message
        {
            Message::ReplyDecryption(r) => assert_eq!(r.result.unwrap().0, b"hi"),
            m => panic!("{m:?}"),
        }
    }
    let report = node.shutdown();
    assert_eq!(report.admitted, 3);
    assert_eq!(report.replied, 3);
    assert_eq!(report.abandoned, 0);
    assert_eq!(report.panics, 0);
}

#[test]
fn a_small_node_under_load_answers_every_request_once() {
    // Capacity 2 with 6 threads hammering: callers wait, nothing deadlocks or is lost.
    let (node, alice, _) = node(2, 2);
    let node = Arc::new(node);
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let client = node.client(&format!("load-{t}")).unwrap();
            let alice = alice.clone();
            std::thread::spawn(move || {
                for i in 0..20u8 {
                    let reply = client
                        .request(
                            &addr(runtime::ENCRYPTION),
                            encrypt(&alice, i % 2 == 0, &[t, i]),
                        )
                        .unwrap();
                    match reply.message {
                        Message::ReplyEncrypt(r) => assert!(r.result.is_ok()),
                        m => panic!("{m:?}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let report = Arc::into_inner(node).unwrap().shutdown();
    assert_eq!(report.admitted, 120);
    assert_eq!(report.replied, 120);
}

#[test]
fn send_now_await_later_by_correlation_id() {
    let (node, alice, _) = node(2, 8);
    let c = node.client("async").unwrap();
    let first = c
        .send(&addr(runtime::ENCRYPTION), encrypt(&alice, true, b"1"))
        .unwrap();
    let second = c
        .send(&addr(runtime::ENCRYPTION), encrypt(&alice, false, b"2"))
        .unwrap();
    assert_ne!(first, second);
    // Awaited out of order: each reply is the one for its correlation id.
    let r2 = c.wait(second, Duration::from_secs(30)).unwrap();
    let r1 = c.wait(first, Duration::from_secs(30)).unwrap();
    assert_eq!((r1.correlation, r2.correlation), (first, second));
    assert_eq!(
        c.wait(first, Duration::from_secs(1)),
        Err(RuntimeError::UnknownCorrelation(first.0))
    );
    assert_eq!(node.shutdown().replied, 2);
}

#[test]
fn shutdown_refuses_new_requests_and_unknown_targets_are_errors() {
    let (node, alice, _) = node(1, 4);
    let c = node.client("late").unwrap();
    assert!(matches!(
        node.client("late"),
        Err(RuntimeError::BadClient(_))
    ));
    assert!(matches!(
        c.request(&addr("node/nowhere"), encrypt(&alice, false, b"x")),
        Err(RuntimeError::UnknownTarget(_))
    ));
    let report = node.shutdown();
    assert_eq!(report.admitted, 0);
    assert_eq!(
        c.request(&addr(runtime::ENCRYPTION), encrypt(&alice, false, b"x")),
        Err(RuntimeError::ShutDown)
    );
}

#[test]
fn envelopes_cross_a_tcp_connection() {
    let (node, alice, _) = node(1, 8);
    let node = Arc::new(node);
    let gateway = tcp::serve(node.clone(), "127.0.0.1:0").unwrap();
    let mut remote = RemoteClient::connect(gateway.local_addr(), addr("remote/carol")).unwrap();
    let reply = remote
        .request(
            &addr(runtime::ENCRYPTION),
            encrypt(&alice, true, b"over tcp"),
        )
        .unwrap();
    assert_eq!(reply.target, addr("remote/carol"));
    assert!(matches!(
        reply.message,
        Message::ReplyEncrypt(ReplyEncrypt { result: Ok(_) })
    ));

    // A peer that sends garbage or a huge length is cut off; the gateway keeps serving.
    let mut bad = std::net::TcpStream::connect(gateway.local_addr()).unwrap();
    bad.write_all(&u32::MAX.to_be_bytes()).unwrap();
    let mut bad2 = std::net::TcpStream::connect(gateway.local_addr()).unwrap();
    bad2.write_all(&[0, 0, 0, 3, 0xff, 0xff, 0xff]).unwrap();
    let mut again = RemoteClient::connect(gateway.local_addr(), addr("remote/dave")).unwrap();
    let reply = again
        .request(&addr(runtime::ENCRYPTION), encrypt(&alice, false, b"still"))
        .unwrap();
    assert!(matches!(
        reply.message,
        Message::ReplyEncrypt(ReplyEncrypt { result: Ok(_) })
    ));
    gateway.stop();
    drop(remote);
    drop(again);
    // Connection threads hold the node; give them a moment to notice the closed sockets.
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
fn frames_refuse_oversized_lengths_without_allocating() {
    let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        tcp::read_frame(&mut input),
        Err(tcp::FrameError::TooLarge(_))
    ));
    let mut empty: &[u8] = &[];
    assert!(matches!(
        tcp::read_frame(&mut empty),
        Err(tcp::FrameError::Closed)
    ));
    let env = Envelope {
        sender: addr("a"),
        target: addr("b"),
        correlation: CorrelationId(7),
        message: RequestGenerateIdentity::default().into(),
    };
    let mut buf = Vec::new();
    tcp::write_frame(&mut buf, &env).unwrap();
    assert_eq!(tcp::read_frame(&mut buf.as_slice()).unwrap(), env);
    for cut in 0..buf.len() {
        assert!(tcp::read_frame(&mut &buf[..cut]).is_err());
    }
}

/// Arranges for `victim`'s thread to die on the next message it takes, then sends `message`
/// to `target` and returns the reply.
fn request_into_a_kill(
    node: &Node,
    client: &runtime::Client,
    victim: &str,
    target: &str,
    message: Message,
) -> Message {
    node.kill(&addr(victim)).unwrap();
    client
        .request_timeout(&addr(target), message, Duration::from_secs(30))
        .unwrap()
        .message
}

#[test]
fn a_killed_engine_answers_what_it_held_and_its_replacement_keeps_the_state() {
    let (node, alice, _) = node(1, 8);
    let a = node.client("alice").unwrap();
    let ct = match a
        .request(&addr(runtime::ENCRYPTION), encrypt(&alice, false, b"kept"))
        .unwrap()
        .message
    {
        Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) => ct,
        m => panic!("{m:?}"),
    };
    let decrypt = || Message::from(RequestDecryption { data: ct.clone() });

    // The vault dies holding the request: the request is answered, not lost.
    let reply = request_into_a_kill(&node, &a, runtime::VAULT, runtime::VAULT, decrypt());
    assert_eq!(
        reply,
        Message::ReplyDecryption(ReplyDecryption {
            result: Err(DecryptionError::EngineFailed)
        })
    );
    // Its replacement has the vault's keys: the owner still decrypts.
    match a.request(&addr(runtime::VAULT), decrypt()).unwrap().message {
        Message::ReplyDecryption(r) => assert_eq!(r.result.unwrap().0, b"kept"),
        m => panic!("{m:?}"),
    }

    // The ReadsFor engine dies holding the Encryption engine's query: the failure comes back
    // through the flow as the reads-for error it is.
    let reply = request_into_a_kill(
        &node,
        &a,
        runtime::READS_FOR,
        runtime::ENCRYPTION,
        encrypt(&alice, true, b"x").into(),
    );
    assert_eq!(
        reply,
        Message::ReplyEncrypt(ReplyEncrypt {
            result: Err(EncryptionError::ReadsFor(RelationError::EngineFailed))
        })
    );

    // An Encryption instance dies on the request itself.
    let reply = request_into_a_kill(
        &node,
        &a,
        runtime::ENCRYPTION,
        runtime::ENCRYPTION,
        encrypt(&alice, true, b"x").into(),
    );
    assert_eq!(
        reply,
        Message::ReplyEncrypt(ReplyEncrypt {
            result: Err(EncryptionError::EngineFailed)
        })
    );
    // And the replacements serve the full flow again.
    match a
        .request(&addr(runtime::ENCRYPTION), encrypt(&alice, true, b"y"))
        .unwrap()
        .message
    {
        Message::ReplyEncrypt(r) => assert!(r.result.is_ok()),
        m => panic!("{m:?}"),
    }

    assert_eq!(node.pending_kills(), 0);
    assert_eq!(
        node.kill(&addr("client/alice")),
        Err(RuntimeError::UnknownTarget("client/alice".into()))
    );
    let report = node.shutdown();
    assert_eq!(report.restarts, 3, "{report:?}");
    assert_eq!(report.lost_requests, 3);
    assert_eq!(report.admitted, report.replied);
    assert_eq!(report.rejections, 0, "no second reply reached anyone");
    assert_eq!(report.panics, 0);
}
