//! Sustained load with injected crashes: a driver for the runtime's exactly-one-reply promise.
//!
//! [`run`] starts a node, attaches clients that keep a window of requests in flight (a mix
//! of every engine's work), and kills engine threads at a steady rate while they run. Every
//! reply is judged against what its request must produce: the right result, or an
//! `EngineFailed` error when a crash took the request's flow. The report counts requests
//! sent, replies received, results and errors by kind, what was lost (no reply within the
//! reply timeout), what was wrong, and samples the process's resident memory as it goes.
//!
//! The load is bounded by a request count and a time limit, and stays in the process (no
//! sockets), so it runs the same on a laptop and in CI.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use spec::error::{DecryptionError, EncryptionError, IdentityError, RelationError};
use spec::message::*;
use spec::{Address, CorrelationId, ExternalIdentity, IdentityId, ReadsForEvidence};

use super::{Client, Node, NodeConfig, RuntimeError, ShutdownReport};
use crate::Backend;
use crate::backend::hpke::HpkeBackend;
use crate::decryption::DecryptionState;

/// How hard and how long to push, and how often to kill an engine.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Client threads (at least 2: each client's reader is the next client's identity).
    pub clients: usize,
    /// Requests to send in all (follow-up deletions included).
    pub requests: u64,
    /// Requests each client keeps in flight.
    pub window: usize,
    /// Kill one engine thread after every this many replies (0: never).
    pub kill_every: u64,
    /// Stop sending new requests after this long.
    pub time_limit: Duration,
    /// Encryption instances in the pool.
    pub encryption_instances: usize,
    /// The node's admission capacity.
    pub queue_capacity: usize,
    /// A request with no reply after this long counts as lost.
    pub reply_timeout: Duration,
    /// Plaintext bytes per encryption request.
    pub payload: usize,
    /// Record every engine step of the node here.
    pub trace: Option<super::trace::Trace>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            clients: 4,
            requests: 20_000,
            window: 8,
            kill_every: 250,
            time_limit: Duration::from_secs(120),
            encryption_instances: 2,
            queue_capacity: 64,
            reply_timeout: Duration::from_secs(30),
            payload: 256,
            trace: None,
        }
    }
}

/// What a load run saw.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Requests admitted by the node.
    pub sent: u64,
    /// Replies received (each for a distinct request).
    pub replies: u64,
    /// Replies carrying the expected result.
    pub results: u64,
    /// Replies carrying an error, by `code name` (expected refusals and crash failures).
    pub errors: BTreeMap<String, u64>,
    /// Requests with no reply within the reply timeout.
    pub lost: u64,
    /// Replies that were not what their request must produce (or other faults seen).
    pub wrong_total: u64,
    /// The first few of those, described.
    pub wrong: Vec<String>,
    /// Requests the node refused to admit, by reason.
    pub refused: BTreeMap<String, u64>,
    /// Kills requested.
    pub kills: u64,
    /// Kills still pending when the load stopped (their engine got no message after).
    pub kills_pending: u64,
    /// Resident memory (KiB) sampled after each tenth of the replies; empty off Linux.
    pub rss_kib: Vec<u64>,
    /// Wall time of the load.
    pub elapsed: Duration,
    /// The node's own account at shutdown.
    pub shutdown: ShutdownReport,
}

impl LoadReport {
    /// Replies that carried an `EngineFailed` error (the flow met a crash or a panic).
    pub fn engine_failures(&self) -> u64 {
        self.errors
            .iter()
            .filter(|(k, _)| k.contains("EngineFailed"))
            .map(|(_, n)| n)
            .sum()
    }

    /// Resident-memory growth (KiB) from the second sample to the largest later one.
    pub fn rss_growth_kib(&self) -> Option<u64> {
        let base = *self.rss_kib.get(1)?;
        let peak = self.rss_kib.iter().skip(1).max()?;
        Some(peak.saturating_sub(base))
    }
}

/// Why a load run could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration cannot be run.
    #[error("invalid load configuration: {0}")]
    Config(&'static str),
    /// The node or a client could not be started.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// A thread could not be started or ended abnormally.
    #[error("load thread failed: {0}")]
    Thread(String),
}

/// One kind of work, with what its reply must be.
#[derive(Debug, Clone)]
enum Work {
    /// Seal to my identity, no reads-for.
    Encrypt,
    /// Seal to my identity and everyone who reads for it.
    EncryptReadsFor,
    /// Ask whether the next identity reads for mine (it does).
    ReadsFor,
    /// Open a ciphertext sealed to my identity (my vault key opens it).
    Decrypt,
    /// Open someone else's ciphertext (refused: none of my keys opens it).
    DecryptStranger,
    /// Ask Identity Management for a new identity (deleted again by a follow-up).
    Generate,
    /// Delete an identity this client generated.
    Delete(IdentityId),
}

/// One client's fixed world: its identity, its reader, the ciphertexts it may use.
struct Seat {
    me: ExternalIdentity,
    reader: ExternalIdentity,
    mine: Ciphertext,
    theirs: Ciphertext,
    plaintext: Vec<u8>,
}

const CYCLE: [fn() -> Work; 6] = [
    || Work::Encrypt,
    || Work::EncryptReadsFor,
    || Work::ReadsFor,
    || Work::Decrypt,
    || Work::DecryptStranger,
    || Work::Generate,
];

/// Every engine, in the order kills visit them.
const VICTIMS: [&str; 4] = [
    super::ENCRYPTION,
    super::READS_FOR,
    super::VAULT,
    super::IDENTITY,
];

fn engine(name: &str) -> Result<Address, LoadError> {
    Address::new(name).map_err(|_| LoadError::Config("bad engine address"))
}

/// The process's resident memory in KiB (Linux), if it can be read.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the load described by `config` and reports what happened.
pub fn run(config: &LoadConfig) -> Result<LoadReport, LoadError> {
    if config.clients < 2 {
        return Err(LoadError::Config("at least 2 clients"));
    }
    if config.window == 0 {
        return Err(LoadError::Config("a window of at least 1"));
    }
    let (node, seats) = setup(config)?;
    let node = Arc::new(node);
    let tally = Arc::new(Tally::default());
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    let chaos = {
        let (node, tally, done) = (node.clone(), tally.clone(), done.clone());
        let (every, total) = (config.kill_every, config.requests);
        std::thread::Builder::new()
            .name("load-chaos".into())
            .spawn(move || chaos(&node, &tally, &done, every, total))
            .map_err(|e| LoadError::Thread(e.to_string()))?
    };

    let mut workers = Vec::new();
    for (i, seat) in seats.into_iter().enumerate() {
        let client = node.client(&format!("load-{i}"))?;
        let tally = tally.clone();
        let config = config.clone();
        let worker = std::thread::Builder::new()
            .name(format!("load-{i}"))
            .spawn(move || drive(&client, &seat, &config, &tally, started))
            .map_err(|e| LoadError::Thread(e.to_string()))?;
        workers.push(worker);
    }
    let mut outcomes = Vec::new();
    for w in workers {
        outcomes.push(
            w.join()
                .map_err(|_| LoadError::Thread("a client thread panicked".into()))?,
        );
    }
    done.store(true, Ordering::SeqCst);
    let (kills, rss_kib) = chaos
        .join()
        .map_err(|_| LoadError::Thread("the chaos thread panicked".into()))?;
    let elapsed = started.elapsed();
    let kills_pending = node.pending_kills();
    let node = Arc::try_unwrap(node)
        .map_err(|_| LoadError::Thread("the node is still shared after the load".into()))?;
    let shutdown = node.shutdown();

    let mut report = LoadReport {
        kills,
        kills_pending,
        rss_kib,
        elapsed,
        shutdown,
        ..LoadReport::default()
    };
    for o in outcomes {
        report.sent += o.sent;
        report.replies += o.replies;
        report.results += o.results;
        report.lost += o.lost;
        report.wrong_total += o.wrong_total;
        let room = WRONG_SHOWN.saturating_sub(report.wrong.len());
        report.wrong.extend(o.wrong.into_iter().take(room));
        for (k, n) in o.errors {
            *report.errors.entry(k).or_default() += n;
        }
        for (k, n) in o.refused {
            *report.refused.entry(k).or_default() += n;
        }
    }
    Ok(report)
}

/// A node with one identity per client, each read for by the next client's identity.
fn setup(config: &LoadConfig) -> Result<(Node, Vec<Seat>), LoadError> {
    let mut backend = HpkeBackend::new();
    let identities: Vec<_> = (0..config.clients)
        .map(|_| backend.generate_identity())
        .collect();
    let mut node_config = NodeConfig {
        encryption_instances: config.encryption_instances,
        queue_capacity: config.queue_capacity,
        vault: DecryptionState::default(),
        trace: config.trace.clone(),
        ..NodeConfig::default()
    };
    let plaintext = vec![0x5a; config.payload];
    let mut seats = Vec::new();
    let mut sealed = Vec::new();
    for (i, id) in identities.iter().enumerate() {
        let owner = Address::new(format!("client/load-{i}"))
            .map_err(|_| LoadError::Config("bad client address"))?;
        node_config.vault.insert(owner, id.clone());
        let ct = backend
            .seal(std::slice::from_ref(&id.external), &plaintext)
            .map_err(|_| LoadError::Config("cannot seal a fixture"))?;
        sealed.push(ct);
    }
    for (i, id) in identities.iter().enumerate() {
        let next = &identities[(i + 1) % identities.len()];
        let bytes = ReadsForEvidence::statement_bytes(&next.external, &id.external, 1);
        let ev = ReadsForEvidence {
            from_identity: next.external.clone(),
            to_identity: id.external.clone(),
            serial: 1,
            signature: backend.sign(id, &bytes),
            relation: Default::default(),
        };
        node_config.reads_for.evidence.insert(ev.edge(), ev);
        seats.push(Seat {
            me: id.external.clone(),
            reader: next.external.clone(),
            mine: sealed[i].clone(),
            theirs: sealed[(i + 1) % identities.len()].clone(),
            plaintext: plaintext.clone(),
        });
    }
    Ok((Node::start(node_config)?, seats))
}

/// Counters shared between the clients and the chaos thread.
#[derive(Default)]
struct Tally {
    replies: AtomicU64,
}

/// Kills an engine after every `every` replies, round-robin, and samples memory.
fn chaos(node: &Node, tally: &Tally, done: &AtomicBool, every: u64, total: u64) -> (u64, Vec<u64>) {
    let mut kills = 0u64;
    let mut samples = Vec::new();
    let tenth = (total / 10).max(1);
    let mut next_sample = tenth;
    let mut next_kill = every;
    while !done.load(Ordering::SeqCst) {
        let replies = tally.replies.load(Ordering::SeqCst);
        if every > 0 && replies >= next_kill {
            let victim = VICTIMS[(kills % VICTIMS.len() as u64) as usize];
            if engine(victim).is_ok_and(|a| node.kill(&a).is_ok()) {
                kills += 1;
            }
            next_kill += every;
        }
        if replies >= next_sample {
            samples.extend(resident_kib());
            next_sample += tenth;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    samples.extend(resident_kib());
    (kills, samples)
}

/// What one client saw.
#[derive(Default)]
struct Outcome {
    sent: u64,
    replies: u64,
    results: u64,
    lost: u64,
    errors: BTreeMap<String, u64>,
    refused: BTreeMap<String, u64>,
    wrong_total: u64,
    wrong: Vec<String>,
}

/// How many wrong replies a report describes (all are counted).
const WRONG_SHOWN: usize = 16;

impl Outcome {
    fn wrong(&mut self, what: String) {
        self.wrong_total += 1;
        if self.wrong.len() < WRONG_SHOWN {
            self.wrong.push(what);
        }
    }
}

/// One client: keeps `window` requests in flight until its share is sent, then drains.
fn drive(
    client: &Client,
    seat: &Seat,
    config: &LoadConfig,
    tally: &Tally,
    started: Instant,
) -> Outcome {
    let mut out = Outcome::default();
    let share = config.requests / config.clients as u64;
    let mut in_flight: VecDeque<(CorrelationId, Work)> = VecDeque::new();
    let mut follow_ups: VecDeque<Work> = VecDeque::new();
    let mut turn = 0usize;
    loop {
        let may_send = out.sent < share && started.elapsed() < config.time_limit;
        if may_send && in_flight.len() < config.window {
            let work = follow_ups.pop_front().unwrap_or_else(|| {
                turn += 1;
                CYCLE[turn % CYCLE.len()]()
            });
            let (target, message) = request(&work, seat);
            let Ok(target) = engine(target) else {
                out.wrong(format!("bad target for {work:?}"));
                break;
            };
            match client.send(&target, message) {
                Ok(correlation) => {
                    out.sent += 1;
                    in_flight.push_back((correlation, work));
                }
                Err(e) => {
                    *out.refused.entry(e.to_string()).or_default() += 1;
                    break;
                }
            }
            continue;
        }
        let Some((correlation, work)) = in_flight.pop_front() else {
            break;
        };
        match client.wait(correlation, config.reply_timeout) {
            Ok(reply) => {
                out.replies += 1;
                tally.replies.fetch_add(1, Ordering::SeqCst);
                // A second reply could never reach the client (its slot is gone after the
                // first); the node counts it as a rejection, which the report shows.
                if reply.correlation != correlation {
                    out.wrong(format!("reply for {correlation:?} misfiled"));
                }
                judge(&work, seat, &reply.message, &mut out, &mut follow_ups);
            }
            Err(RuntimeError::Timeout(_)) => out.lost += 1,
            Err(e) => out.wrong(format!("{work:?}: {e}")),
        }
    }
    out
}

/// The engine and message for one piece of work.
fn request(work: &Work, seat: &Seat) -> (&'static str, Message) {
    let encrypt = |use_reads_for| {
        RequestEncrypt {
            data: Plaintext(seat.plaintext.clone()),
            external_identity: seat.me.clone(),
            use_reads_for,
        }
        .into()
    };
    match work {
        Work::Encrypt => (super::ENCRYPTION, encrypt(false)),
        Work::EncryptReadsFor => (super::ENCRYPTION, encrypt(true)),
        Work::ReadsFor => (
            super::READS_FOR,
            RequestReadsFor {
                external_identity_a: seat.reader.id(),
                external_identity_b: seat.me.id(),
            }
            .into(),
        ),
        Work::Decrypt => (
            super::VAULT,
            RequestDecryption {
                data: seat.mine.clone(),
            }
            .into(),
        ),
        Work::DecryptStranger => (
            super::VAULT,
            RequestDecryption {
                data: seat.theirs.clone(),
            }
            .into(),
        ),
        Work::Generate => (super::IDENTITY, RequestGenerateIdentity::default().into()),
        Work::Delete(id) => (
            super::IDENTITY,
            RequestDeleteIdentity {
                external_identity: *id,
            }
            .into(),
        ),
    }
}

/// Whether an error is the failure a crash or a panic leaves (anywhere along the flow).
fn crash_failure(message: &Message) -> bool {
    use Message as M;
    matches!(
        message,
        M::ReplyEncrypt(ReplyEncrypt {
            result: Err(EncryptionError::EngineFailed
                | EncryptionError::ReadsFor(RelationError::EngineFailed))
        }) | M::ReplyReadsFor(ReplyReadsFor {
            result: Err(RelationError::EngineFailed),
            ..
        }) | M::ReplyDecryption(ReplyDecryption {
            result: Err(DecryptionError::EngineFailed)
        }) | M::ReplyGenerateIdentity(ReplyGenerateIdentity {
            result: Err(IdentityError::EngineFailed
                | IdentityError::Vault(_)
                | IdentityError::ReadsFor(_))
        }) | M::ReplyDeleteIdentity(ReplyDeleteIdentity {
            result: Err(IdentityError::EngineFailed | IdentityError::Vault(_))
        })
    )
}

/// Checks a reply against its request and counts it.
fn judge(
    work: &Work,
    seat: &Seat,
    message: &Message,
    out: &mut Outcome,
    follow_ups: &mut VecDeque<Work>,
) {
    use Message as M;
    let expected = match (work, message) {
        (Work::Encrypt | Work::EncryptReadsFor, M::ReplyEncrypt(r)) => {
            r.result.as_ref().is_ok_and(|ct| !ct.0.is_empty())
        }
        (Work::ReadsFor, M::ReplyReadsFor(r)) => {
            r.result == Ok(true)
                && r.external_identity_a == seat.reader.id()
                && r.external_identity_b == seat.me.id()
        }
        (Work::Decrypt, M::ReplyDecryption(r)) => {
            r.result.as_ref().is_ok_and(|pt| pt.0 == seat.plaintext)
        }
        (Work::DecryptStranger, M::ReplyDecryption(r)) => {
            r.result == Err(DecryptionError::NoMatchingKey)
        }
        (Work::Generate, M::ReplyGenerateIdentity(r)) => match &r.result {
            Ok(id) => {
                follow_ups.push_back(Work::Delete(id.id()));
                true
            }
            Err(_) => false,
        },
        (Work::Delete(_), M::ReplyDeleteIdentity(r)) => r.result.is_ok(),
        _ => false,
    };
    if let Some(e) = message.error() {
        let name = format!("{:?}", ErrorName(message));
        *out.errors
            .entry(format!("{} {name}", e.code()))
            .or_default() += 1;
    }
    if expected && message.error().is_none() {
        out.results += 1;
    } else if !expected && !crash_failure(message) {
        out.wrong
            .push(format!("{work:?} got {}", describe(message)));
    }
}

/// A reply's error variant name, for the report (never its payload).
struct ErrorName<'a>(&'a Message);

impl std::fmt::Debug for ErrorName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Message as M;
        let name = match self.0 {
            M::ReplyEncrypt(r) => r.result.as_ref().err().map(|e| format!("{e:?}")),
            M::ReplyReadsFor(r) => r.result.as_ref().err().map(|e| format!("{e:?}")),
            M::ReplyDecryption(r) => r.result.as_ref().err().map(|e| format!("{e:?}")),
            M::ReplyGenerateIdentity(r) => r.result.as_ref().err().map(|e| format!("{e:?}")),
            M::ReplyDeleteIdentity(r) => r.result.as_ref().err().map(|e| format!("{e:?}")),
            other => other.error().map(|e| e.to_string()),
        };
        write!(f, "{} {}", self.0.name(), name.unwrap_or_default())
    }
}

/// A reply named and, if it is an error, with its code (no payload bytes).
fn describe(message: &Message) -> String {
    match message.error() {
        Some(e) => format!("{} error {} ({e})", message.name(), e.code()),
        None => format!("{} success", message.name()),
    }
}
