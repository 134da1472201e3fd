//! Envelopes encoded and decoded per second in canonical CBOR.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sealwright_engines::Engine;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::encryption::Encryption;
use sealwright_engines::reads_for::{ReadsFor, ReadsForState};
use sealwright_engines::{Backend, identity::InternalIdentity};
use spec::message::RequestEncrypt;
use spec::{Address, CorrelationId, Envelope, Message};

use common::{config, evidence, median_ns, now};

fn addr(name: &str) -> Address {
    Address::new(name).unwrap()
}

/// A client's `RequestEncrypt` of 256 bytes to `target`.
fn request(target: &InternalIdentity, use_reads_for: bool) -> Envelope {
    Envelope {
        sender: addr("client-1"),
        target: addr("node/encryption"),
        correlation: CorrelationId(0x0123_4567_89ab_cdef),
        message: RequestEncrypt {
            data: vec![0xa5u8; 256].into(),
            external_identity: target.external.clone(),
            use_reads_for,
        }
        .into(),
    }
}

/// The `ReplyQueryReadsForEvidence` the ReadsFor engine really sends for a
/// reads-for request about a subject with three readers: three evidence
/// entries and the Encryption engine's sealed continuation.
fn reply_with_three_evidence(backend: &mut HpkeBackend, target: &InternalIdentity) -> Envelope {
    let encryption = Encryption::new(addr("node/encryption"), addr("node/reads-for"));
    let mut enc_state = Encryption::initial_state(backend);
    let reads_for = ReadsFor::new(addr("node/reads-for"));
    let mut rf_state = ReadsForState::default();
    for _ in 0..3 {
        let reader = backend.generate_identity();
        let ev = evidence(backend, &reader, target);
        rf_state.evidence.insert(ev.edge(), ev);
    }
    let query = encryption
        .step(&mut enc_state, backend, &request(target, true))
        .send
        .remove(0);
    let reply = reads_for
        .step(&mut rf_state, backend, &query)
        .send
        .remove(0);
    match &reply.message {
        Message::ReplyQueryReadsForEvidence(r) => {
            assert_eq!(r.result.as_ref().unwrap().len(), 3);
        }
        other => panic!("unexpected reply {other:?}"),
    }
    reply
}

fn cbor(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let target = backend.generate_identity();
    let small = request(&target, false);
    let large = reply_with_three_evidence(&mut backend, &target);
    let small_bytes = small.to_cbor();
    let large_bytes = large.to_cbor();
    assert_eq!(Envelope::from_cbor(&small_bytes).unwrap(), small);
    assert_eq!(Envelope::from_cbor(&large_bytes).unwrap(), large);
    println!(
        "SIZE cbor: RequestEncrypt (256 B data) envelope = {} bytes; ReplyQueryReadsForEvidence (3 evidence) envelope = {} bytes",
        small_bytes.len(),
        large_bytes.len()
    );

    let started = now();
    let mut group = c.benchmark_group("cbor");
    group.throughput(Throughput::Elements(1));
    group.bench_function("encode_request_encrypt_256b", |b| {
        b.iter(|| black_box(&small).to_cbor())
    });
    group.bench_function("decode_request_encrypt_256b", |b| {
        b.iter(|| Envelope::from_cbor(black_box(&small_bytes)).unwrap())
    });
    group.bench_function("encode_reply_query_3_evidence", |b| {
        b.iter(|| black_box(&large).to_cbor())
    });
    group.bench_function("decode_reply_query_3_evidence", |b| {
        b.iter(|| Envelope::from_cbor(black_box(&large_bytes)).unwrap())
    });
    group.finish();

    for name in [
        "encode_request_encrypt_256b",
        "decode_request_encrypt_256b",
        "encode_reply_query_3_evidence",
        "decode_reply_query_3_evidence",
    ] {
        match median_ns("cbor", name, started) {
            Some(ns) => println!(
                "RATE cbor/{name}: {:.0} envelopes/s ({:.2} µs each)",
                1e9 / ns,
                ns / 1000.0
            ),
            None => println!("RATE cbor/{name}: n/a (not measured in this run)"),
        }
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = cbor
}
criterion_main!(benches);
