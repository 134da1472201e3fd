//! The threaded runtime against direct calls into the backend: per-request
//! overhead, Encryption pool scaling, and reads-for encryption.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_channel::TryRecvError;
use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::encryption::Encryption;
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::local::{LocalNode, NodeEngine};
use sealwright_engines::reads_for::{ReadsFor, ReadsForState};
use sealwright_engines::runtime::{self, Client, Node, NodeConfig};
use spec::message::{Ciphertext, RequestEncrypt};
use spec::{Address, CorrelationId, Envelope, ExternalIdentity, Message};

use common::{
    KIB, config, evidence, interleaved, interleaved_many, median_ns, now, print_ratio, us,
    with_load_report, with_thread_report,
};

/// Alternating rounds for the interleaved ratios.
const ROUNDS: usize = 25;

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

/// The same engines on one thread ([`LocalNode`]): the engines' own cost
/// for a request, without any thread hand-off.
struct Local {
    node: LocalNode<HpkeBackend>,
    client: Address,
    next: u64,
}

impl Local {
    fn new(reads_for: ReadsForState) -> Local {
        let mut backend = HpkeBackend::new();
        let enc_state = Encryption::initial_state(&mut backend);
        let mut node = LocalNode::new(backend);
        let rf = Address::new(runtime::READS_FOR).unwrap();
        node.insert(
            encryption(),
            NodeEngine::Encryption(Encryption::new(encryption(), rf.clone()), enc_state),
        );
        node.insert(
            rf.clone(),
            NodeEngine::ReadsFor(ReadsFor::new(rf), reads_for),
        );
        Local {
            node,
            client: Address::new("client/local").unwrap(),
            next: 0,
        }
    }

    fn request(&mut self, request: &RequestEncrypt) -> Envelope {
        self.next += 1;
        let mut out = self
            .node
            .deliver(Envelope {
                sender: self.client.clone(),
                target: encryption(),
                correlation: CorrelationId(self.next),
                message: request.clone().into(),
            })
            .unwrap();
        out.pop().unwrap()
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

/// How long a spinning side polls before it blocks after all.
const SPIN_WINDOW: Duration = Duration::from_micros(500);

/// Receives from `rx`, first busy-polling for up to `window` (zero: block at once).
fn recv_spinning<T>(rx: &crossbeam_channel::Receiver<T>, window: Duration) -> Option<T> {
    if !window.is_zero() {
        let begin = Instant::now();
        while begin.elapsed() < window {
            match rx.try_recv() {
                Ok(v) => return Some(v),
                Err(TryRecvError::Empty) => std::hint::spin_loop(),
                Err(TryRecvError::Disconnected) => return None,
            }
        }
    }
    rx.recv().ok()
}

/// A worker thread that seals what it is sent and sends the result back
/// over bounded crossbeam channels (what the runtime's mailboxes are): the
/// least a hand-off to another thread costs, with no router, envelopes or
/// state copies. With a spin window, both sides busy-poll for up to
/// [`SPIN_WINDOW`] before blocking, so a thread that is about to get work
/// does not go to sleep first.
struct Worker {
    jobs: crossbeam_channel::Sender<Vec<u8>>,
    done: crossbeam_channel::Receiver<Ciphertext>,
    thread: std::thread::JoinHandle<()>,
    window: Duration,
}

impl Worker {
    fn start(recipients: Vec<ExternalIdentity>, window: Duration) -> Worker {
        let (jobs, job_rx) = crossbeam_channel::bounded::<Vec<u8>>(1);
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let thread = std::thread::spawn(move || {
            let mut backend = HpkeBackend::new();
            while let Some(data) = recv_spinning(&job_rx, window) {
                if done_tx
                    .send(backend.seal(&recipients, &data).unwrap())
                    .is_err()
                {
                    break;
                }
            }
        });
        Worker {
            jobs,
            done,
            thread,
            window,
        }
    }

    fn seal(&self, data: Vec<u8>) -> Ciphertext {
        self.jobs.send(data).unwrap();
        recv_spinning(&self.done, self.window).unwrap()
    }

    fn stop(self) {
        drop(self.jobs);
        self.thread.join().unwrap();
    }
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
    let mut local = Local::new(ReadsForState::default());
    assert_eq!(sealed_recipients(&local.request(&request)), 1);
    let parked = Worker::start(recipients.to_vec(), Duration::ZERO);
    let spinning = Worker::start(recipients.to_vec(), SPIN_WINDOW);

    let started = now();
    let mut group = c.benchmark_group("runtime_overhead");
    group.bench_function("direct_seal_1k", |b| {
        b.iter(|| backend.seal(black_box(&recipients), black_box(&plaintext)))
    });
    group.bench_function("runtime_request_1k", |b| {
        b.iter(|| client.request(&to, black_box(request.clone())).unwrap())
    });
    group.bench_function("local_node_request_1k", |b| {
        b.iter(|| local.request(black_box(&request)))
    });
    group.bench_function("worker_thread_seal_1k", |b| {
        b.iter(|| parked.seal(black_box(plaintext.clone())))
    });
    group.finish();
    if median_ns("runtime_overhead", "direct_seal_1k", started).is_none() {
        println!("RATIO runtime/direct: skipped (group not measured in this run)");
        parked.stop();
        spinning.stop();
        drop(client);
        stop(node);
        return;
    }
    let t = with_load_report("runtime_overhead", || {
        interleaved_many(
            ROUNDS,
            &mut [
                &mut || {
                    black_box(client.request(&to, request.clone()).unwrap());
                },
                &mut || {
                    black_box(backend.seal(&recipients, black_box(&plaintext)).unwrap());
                },
                &mut || {
                    black_box(parked.seal(plaintext.clone()));
                },
                &mut || {
                    black_box(spinning.seal(plaintext.clone()));
                },
                &mut || {
                    black_box(local.request(&request));
                },
            ],
        )
    });
    parked.stop();
    spinning.stop();
    drop(client);
    stop(node);
    let [runtime, direct, worker, spinner, single] = &t[..] else {
        unreachable!("five timings")
    };

    let get = |name: &str| median_ns("runtime_overhead", name, started);
    print_ratio(
        "runtime/direct",
        &(runtime.clone(), direct.clone()),
        (get("runtime_request_1k"), get("direct_seal_1k")),
        "<= 1.10",
    );
    print_ratio(
        "local-node/direct (the engines on one thread: no hand-offs)",
        &(single.clone(), direct.clone()),
        (get("local_node_request_1k"), get("direct_seal_1k")),
        "reference",
    );
    print_ratio(
        "worker-thread/direct (no runtime; the same two thread wake-ups)",
        &(worker.clone(), direct.clone()),
        (get("worker_thread_seal_1k"), get("direct_seal_1k")),
        "reference",
    );
    print_ratio(
        "spin-then-block worker/direct (no runtime; threads poll 500 µs before sleeping)",
        &(spinner.clone(), direct.clone()),
        (None, None),
        "reference",
    );
    println!(
        "OVERHEAD runtime_overhead (median rounds): runtime - direct = {}; local node - direct = {}; parked worker thread - direct = {}; spinning worker thread - direct = {}; runtime - parked worker = {}",
        us(runtime.median() - direct.median()),
        us(single.median() - direct.median()),
        us(worker.median() - direct.median()),
        us(spinner.median() - direct.median()),
        us(runtime.median() - worker.median()),
    );
}

/// Wall time of `iters` batches of [`BATCH`] requests spread over the clients, queued to
/// the pool (`send` then `wait`: `request` would run the engine on the client's thread).
fn run_batches(clients: &[Client], request: &RequestEncrypt, iters: u64) -> Duration {
    let to = encryption();
    let per_thread = iters * BATCH / CLIENT_THREADS;
    let begin = Instant::now();
    std::thread::scope(|s| {
        for client in clients {
            let to = &to;
            s.spawn(move || {
                for _ in 0..per_thread {
                    let c = client.send(to, request.clone()).unwrap();
                    black_box(client.wait(c, Duration::from_secs(60)).unwrap());
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
    if median_ns("pool_scaling", "one_instance", started).is_none() {
        println!("RATIO pool throughput 2/1 instances: skipped (group not measured in this run)");
        for (_, node, clients) in nodes {
            drop(clients);
            stop(node);
        }
        return;
    }
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
    // How many cores each configuration actually got (the machine is shared).
    for (name, _, clients) in &nodes {
        let label = format!("pool_scaling {name}, 1 s of batches");
        with_load_report(&label, || {
            with_thread_report(&label, || {
                let begin = Instant::now();
                while begin.elapsed() < Duration::from_secs(1) {
                    run_batches(clients, &request, 1);
                }
            })
        });
    }
    for (_, node, clients) in nodes {
        drop(clients);
        stop(node);
    }

    let get = |name: &str| median_ns("pool_scaling", name, started);
    print_ratio(
        "pool throughput 2/1 instances",
        &pair,
        (get("one_instance"), get("two_instances")),
        ">= 1.90",
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
    let mut local = Local::new(state.clone());
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
    assert_eq!(sealed_recipients(&local.request(&request)), 3);

    let started = now();
    let mut group = c.benchmark_group("reads_for_vs_direct");
    group.bench_function("direct_seal_3_recipients", |b| {
        b.iter(|| backend.seal(black_box(&recipients), black_box(&plaintext)))
    });
    group.bench_function("runtime_reads_for_3_recipients", |b| {
        b.iter(|| client.request(&to, black_box(request.clone())).unwrap())
    });
    group.bench_function("local_node_reads_for_3_recipients", |b| {
        b.iter(|| local.request(black_box(&request)))
    });
    group.finish();
    if median_ns("reads_for_vs_direct", "direct_seal_3_recipients", started).is_none() {
        println!("RATIO reads-for/direct: skipped (group not measured in this run)");
        drop(client);
        stop(node);
        return;
    }
    let t = with_load_report("reads_for_vs_direct", || {
        interleaved_many(
            ROUNDS,
            &mut [
                &mut || {
                    black_box(client.request(&to, request.clone()).unwrap());
                },
                &mut || {
                    black_box(backend.seal(&recipients, black_box(&plaintext)).unwrap());
                },
                &mut || {
                    black_box(local.request(&request));
                },
            ],
        )
    });
    drop(client);
    stop(node);
    let [runtime, direct, single] = &t[..] else {
        unreachable!("three timings")
    };

    let get = |name: &str| median_ns("reads_for_vs_direct", name, started);
    print_ratio(
        "reads-for/direct",
        &(runtime.clone(), direct.clone()),
        (
            get("runtime_reads_for_3_recipients"),
            get("direct_seal_3_recipients"),
        ),
        "<= 1.20",
    );
    print_ratio(
        "reads-for on a local node/direct (the engines on one thread: no hand-offs)",
        &(single.clone(), direct.clone()),
        (
            get("local_node_reads_for_3_recipients"),
            get("direct_seal_3_recipients"),
        ),
        "reference",
    );
    println!(
        "OVERHEAD reads_for_vs_direct (median rounds): runtime - direct = {}; local node - direct = {}; runtime - local node = {} (4 thread hand-offs)",
        us(runtime.median() - direct.median()),
        us(single.median() - direct.median()),
        us(runtime.median() - single.median()),
    );
}

criterion_group! {
    name = benches;
    config = config().measurement_time(Duration::from_secs(5));
    targets = runtime_overhead, pool_scaling, reads_for_vs_direct
}
criterion_main!(benches);
