//! Shared by the hostile-input test binaries: a watchdog that runs table rows
//! under `catch_unwind` with a deadline, and the seeded fixtures of `ciphertext.rs`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::{KeyEntry, KeyRing};
use sealwright_engines::identity::InternalIdentity;

// ---------------------------------------------------------------------------
// Watchdog

/// How long one row may run before it counts as a hang.
pub const DEADLINE: Duration = Duration::from_secs(20);

type Check = Box<dyn FnOnce() -> Result<(), String> + Send + 'static>;

/// One row of a table: its name and the check that feeds it to the code under test.
pub struct Case {
    pub name: String,
    check: Check,
}

impl Case {
    pub fn new(
        name: impl Into<String>,
        check: impl FnOnce() -> Result<(), String> + Send + 'static,
    ) -> Case {
        Case {
            name: name.into(),
            check: Box::new(check),
        }
    }
}

/// Runs every case on a worker thread under `catch_unwind`; the test thread waits
/// for each result with [`DEADLINE`], so a panic or a hang names its row instead
/// of aborting the binary. Fails listing every row that misbehaved; returns the count.
pub fn run_table(table: &str, cases: Vec<Case>) -> usize {
    run_table_within(table, cases, DEADLINE)
}

/// [`run_table`] with another per-row deadline.
pub fn run_table_within(table: &str, cases: Vec<Case>, deadline: Duration) -> usize {
    let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let total = cases.len();
    let (tx, rx) = mpsc::channel::<(usize, Option<String>)>();
    let worker = std::thread::Builder::new()
        .name(format!("hostile-{table}"))
        .spawn(move || {
            for (i, case) in cases.into_iter().enumerate() {
                let outcome = match panic::catch_unwind(AssertUnwindSafe(case.check)) {
                    Ok(Ok(())) => None,
                    Ok(Err(why)) => Some(why),
                    Err(payload) => Some(format!("PANICKED: {}", panic_text(&*payload))),
                };
                if tx.send((i, outcome)).is_err() {
                    return;
                }
            }
        })
        .unwrap();
    let mut failures = Vec::new();
    for expected in 0..total {
        match rx.recv_timeout(deadline) {
            Ok((i, outcome)) => {
                assert_eq!(i, expected, "cases report in order");
                if let Some(why) = outcome {
                    failures.push(format!("{}: {why}", names[i]));
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "{table}: row `{}` did not finish within {deadline:?} (a hang); earlier failures: {failures:#?}",
                names[expected]
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{table}: the worker died during row `{}`", names[expected])
            }
        }
    }
    worker.join().unwrap();
    assert!(
        failures.is_empty(),
        "{table}: {} of {total} rows misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{table}: {total} rows");
    total
}

pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// `Ok` if `got == want`, else a message naming both.
pub fn same<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {want:?}"))
    }
}

/// `Ok` if `cond`, else `why`.
pub fn ensure(cond: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(why()) }
}

// ---------------------------------------------------------------------------
// Fixtures (as in ciphertext.rs)

/// The library's deterministic RNG, so every failure replays exactly (test keys only).
pub use sealwright_engines::backend::hpke::SeededRng;

/// Chunks of 1 KiB, so a few KiB of payload span several chunks.
pub const CHUNK_LOG2: u8 = 10;
pub const CHUNK: usize = 1 << CHUNK_LOG2;

pub fn backend(seed: u64) -> HpkeBackend<SeededRng> {
    HpkeBackend::with_rng(SeededRng::new(&seed.to_be_bytes())).with_chunk_log2(CHUNK_LOG2)
}

/// A key ring holding just the current keys of `ids`.
pub fn ring(ids: &[&InternalIdentity]) -> KeyRing {
    ids.iter()
        .map(|id| {
            (
                id.key_id(),
                KeyEntry {
                    identity: id.id(),
                    secret: id.encryption_secret.clone(),
                },
            )
        })
        .collect()
}

pub fn payload(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

// ---------------------------------------------------------------------------
// Envelopes

/// An address from a test literal.
pub fn addr(s: &str) -> spec::Address {
    spec::Address::new(s).unwrap()
}

/// An envelope from `from` to `to` under `correlation`.
pub fn env(
    from: &str,
    to: &str,
    correlation: u64,
    message: impl Into<spec::Message>,
) -> spec::Envelope {
    spec::Envelope {
        sender: addr(from),
        target: addr(to),
        correlation: spec::CorrelationId(correlation),
        message: message.into(),
    }
}
