//! The threaded runtime against direct calls into the backend: per-request
//! overhead, Encryption pool scaling, and reads-for encryption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::reads_for::ReadsForState;
use sealwright_engines::runtime::{self, Client, Node, NodeConfig};
use spec::message::RequestEncrypt;
use spec::{Address, Envelope, ExternalIdentity, Message};

use common::{KIB, config, evidence, interleaved, median_ns, now, print_ratio, with_load_report};

/// Alternating rounds for the interleaved ratios.
const ROUNDS: usize = 15;

/// Requests per measured batch in `pool_scaling`.
const BATCH: u64 = 64;
/// Client threads sharing a batch.
const CLIENT_THREADS: u64 = 4;

fn encryption() -> Address {
    Address::new(runtime::ENCRYPTION).unwrap()
}

fn encrypt_request(target: &ExternalIdentity, use_reads_for: bool) -> RequestEncrypt {
    RequestEncrypt {
        data: vec![0x5au8; KIB].into(),
        external_identity: target.clone(),
        use_reads_for,
    }
}

/// The number of recipient entries in a successful `ReplyEncrypt`'s ciphertext.
fn sealed_recipients(reply: &Envelope) -> usize {
    match &reply.message {
        Message::ReplyEncrypt(r) => {
            let ct = &r.result.as_ref().unwrap().0;
            usize::from(u16::from_be_bytes([ct[7], ct[8]]))
        }
        other => panic!("expected ReplyEncrypt, got {other:?}"),
    }
}

fn start(config: NodeConfig) -> Node {
    Node::start(config).unwrap()
}

fn stop(node: Node) {
    let report = node.shutdown();
    assert_eq!(report.panics, 0, "{report:?}");
    assert_eq!(report.abandoned, 0, "{report:?}");
}

fn runtime_overhead(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let target = backend.generate_identity();
    let recipients = [target.external.clone()];
    let plaintext = vec![0x5au8; KIB];
    let node = start(NodeConfig {
        encryption_instances: 1,
        queue_capacity: 64,
        ..Default::default()
    });
    let client = node.client("bench").unwrap();
    let to = encryption();
    let request = encrypt_request(&target.external, false);
    assert_eq!(
        sealed_recipients(&client.request(&to, request.clone()).unwrap()),
        1
    );

    let started = now();
    let mut group = c.benchmark_group("runtime_overhead");
    group.bench_function("direct_seal_1k", |b| {
        b.iter(|| backend.seal(black_box(&recipients), black_box(&plaintext)))
    });
    group.bench_function("runtime_request_1k", |b| {
        b.iter(|| client.request(&to, black_box(request.clone())).unwrap())
    });
    group.finish();
    let pair = with_load_report("runtime_overhead", || {
        interleaved(
            ROUNDS,
            || {
                black_box(client.request(&to, request.clone()).unwrap());
            },
            || {
                black_box(backend.seal(&recipients, black_box(&plaintext)).unwrap());
            },
        )
    });
    drop(client);
    stop(node);

    let get = |name: &str| median_ns("runtime_overhead", name, started);
    print_ratio(
        "runtime/direct",
        &pair,
        (get("runtime_request_1k"), get("direct_seal_1k")),
        "<= 1.10",
    );
}

/// Wall time of `iters` batches of [`BATCH`] requests spread over the clients.
fn run_batches(clients: &[Client], request: &RequestEncrypt, iters: u64) -> Duration {
    let to = encryption();
    let per_thread = iters * BATCH / CLIENT_THREADS;
    let begin = Instant::now();
    std::thread::scope(|s| {
        for client in clients {
            let to = &to;
            s.spawn(move || {
                for _ in 0..per_thread {
                    black_box(client.request(to, request.clone()).unwrap());
                }
            });
        }
    });
    begin.elapsed()
}

fn pool_scaling(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let target = backend.generate_identity();
    let request = encrypt_request(&target.external, false);

    let nodes: Vec<(&str, Node, Vec<Client>)> = [("one_instance", 1), ("two_instances", 2)]
        .into_iter()
        .map(|(name, instances)| {
            let node = start(NodeConfig {
                encryption_instances: instances,
                queue_capacity: 64,
                ..Default::default()
            });
            let clients: Vec<Client> = (0..CLIENT_THREADS)
                .map(|i| node.client(&format!("bench-{i}")).unwrap())
                .collect();
            assert_eq!(
                sealed_recipients(&clients[0].request(&encryption(), request.clone()).unwrap()),
                1
            );
            (name, node, clients)
        })
        .collect();

    let started = now();
    let mut group = c.benchmark_group("pool_scaling");
    group
        .throughput(Throughput::Elements(BATCH))
        .measurement_time(Duration::from_secs(6));
    for (name, _, clients) in &nodes {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| run_batches(clients, &request, iters))
        });
    }
    group.finish();
    // Idle nodes cost nothing (their threads block on empty mailboxes), so
    // both stay up while batches alternate between them.
    let pair = with_load_report("pool_scaling", || {
        interleaved(
            ROUNDS,
            || {
                run_batches(&nodes[0].2, &request, 1);
            },
            || {
                run_batches(&nodes[1].2, &request, 1);
            },
        )
    });
    for (_, node, clients) in nodes {
        drop(clients);
        stop(node);
    }

    let get = |name: &str| median_ns("pool_scaling", name, started);
    print_ratio(
        "pool throughput 2/1 instances",
        &pair,
        (get("one_instance"), get("two_instances")),
        ">= 1.80",
    );
    println!(
        "RATE pool_scaling: 1 instance {:.0} req/s, 2 instances {:.0} req/s (best interleaved rounds, {BATCH}-request batches over {CLIENT_THREADS} client threads)",
        BATCH as f64 / (pair.0.best() / 1e9),
        BATCH as f64 / (pair.1.best() / 1e9)
    );
}

fn reads_for_vs_direct(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let subject = backend.generate_identity();
    let readers: Vec<InternalIdentity> = (0..2).map(|_| backend.generate_identity()).collect();
    let mut state = ReadsForState::default();
    for reader in &readers {
        let ev = evidence(&backend, reader, &subject);
        state.evidence.insert(ev.edge(), ev);
    }
    let recipients: Vec<ExternalIdentity> = std::iter::once(&subject)
        .chain(&readers)
        .map(|i| i.external.clone())
        .collect();
    let plaintext = vec![0x5au8; KIB];
    let node = start(NodeConfig {
        encryption_instances: 1,
        queue_capacity: 64,
        reads_for: state,
        ..Default::default()
    });
    let client = node.client("bench").unwrap();
    let to = encryption();
    let request = encrypt_request(&subject.external, true);
    assert_eq!(
        sealed_recipients(&client.request(&to, request.clone()).unwrap()),
        3
    );

    let started = now();
    let mut group = c.benchmark_group("reads_for_vs_direct");
    group.bench_function("direct_seal_3_recipients", |b| {
        b.iter(|| backend.seal(black_box(&recipients), black_box(&plaintext)))
    });
    group.bench_function("runtime_reads_for_3_recipients", |b| {
        b.iter(|| client.request(&to, black_box(request.clone())).unwrap())
    });
    group.finish();
    let pair = with_load_report("reads_for_vs_direct", || {
        interleaved(
            ROUNDS,
            || {
                black_box(client.request(&to, request.clone()).unwrap());
            },
            || {
                black_box(backend.seal(&recipients, black_box(&plaintext)).unwrap());
            },
        )
    });
    drop(client);
    stop(node);

    let get = |name: &str| median_ns("reads_for_vs_direct", name, started);
    print_ratio(
        "reads-for/direct",
        &pair,
        (
            get("runtime_reads_for_3_recipients"),
            get("direct_seal_3_recipients"),
        ),
        "<= 1.20",
    );
}

criterion_group! {
    name = benches;
    config = config().measurement_time(Duration::from_secs(5));
    targets = runtime_overhead, pool_scaling, reads_for_vs_direct
}
criterion_main!(benches);
