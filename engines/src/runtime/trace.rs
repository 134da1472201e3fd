//! What a node records when asked: every envelope each engine receives, the randomness it
//! draws and what it does, as a CBOR sequence (RFC 8742) another tool can check.
//!
//! A trace starts with a `start` record per engine instance (its engine, configuration and
//! state, encoded as the conformance suite encodes them), then one `step` record per
//! completed step, and ends with an `end` record holding the SHA-256 of every record
//! before it. Records are numbered from 0: a record removed, repeated or reordered, a
//! trace cut short or altered, is an error, never a pass. [`validate`] replays each
//! instance's steps through the reference engines. A trace holds the vault's keys and
//! the randomness that made every key: record only test runs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spec::Envelope;
use spec::codec::{self, DecodeError, Limits};
use spec::effects::{Effects, Rejection};

use crate::Engine;
use crate::backend::KeyRing;
use crate::conformance::{Case, CaseStep, Divergence, Expected};
use crate::decryption::{Decryption, DecryptionState};

/// One record of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Record {
    /// An engine instance starts.
    Start {
        /// The record's number.
        seq: u64,
        /// The instance's name (unique in the node).
        instance: String,
        /// Its engine (a name of the conformance suite).
        engine: String,
        /// Its configuration, canonical CBOR.
        #[serde(with = "serde_bytes")]
        config: Vec<u8>,
        /// Its state, canonical CBOR.
        #[serde(with = "serde_bytes")]
        state: Vec<u8>,
    },
    /// One completed step of an instance.
    Step {
        /// The record's number.
        seq: u64,
        /// The instance.
        instance: String,
        /// What it received.
        input: Box<Envelope>,
        /// The random bytes it drew, in order; absent when the runtime does not record them
        /// (the step is then checked by meaning, see [`crate::conformance::semantic`]).
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_bytes")]
        random: Option<Vec<u8>>,
        /// The guard row that handled the input.
        handler: String,
        /// What it sent, in order.
        send: Vec<Envelope>,
        /// What it rejected, in order.
        rejected: Vec<Rejection>,
    },
    /// The end: the SHA-256 of every record before this one, as written.
    End {
        /// The record's number.
        seq: u64,
        /// The digest.
        #[serde(with = "serde_bytes")]
        digest: Vec<u8>,
    },
}

impl Record {
    /// The record's number.
    pub fn seq(&self) -> u64 {
        match self {
            Record::Start { seq, .. } | Record::Step { seq, .. } | Record::End { seq, .. } => *seq,
        }
    }

    /// The same record numbered `n` (for tools that rewrite a trace).
    pub fn renumbered(mut self, n: u64) -> Record {
        match &mut self {
            Record::Start { seq, .. } | Record::Step { seq, .. } | Record::End { seq, .. } => {
                *seq = n;
            }
        }
        self
    }
}

struct Writer {
    out: Box<dyn Write + Send>,
    seq: u64,
    digest: Sha256,
    error: Option<io::Error>,
    ended: bool,
}

/// Where a node writes its trace; cloned into every engine thread.
#[derive(Clone)]
pub struct Trace(Arc<Mutex<Writer>>);

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trace(..)")
    }
}

impl Trace {
    /// A trace written to a new file at `path`.
    pub fn create(path: &Path) -> io::Result<Trace> {
        Ok(Trace::to_writer(Box::new(BufWriter::new(File::create(
            path,
        )?))))
    }

    /// A trace written to `out`.
    pub fn to_writer(out: Box<dyn Write + Send>) -> Trace {
        Trace(Arc::new(Mutex::new(Writer {
            out,
            seq: 0,
            digest: Sha256::new(),
            error: None,
            ended: false,
        })))
    }

    /// Appends the record `make` builds from its number (nothing once the trace has ended).
    pub fn record(&self, make: impl FnOnce(u64) -> Record) {
        let mut w = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if w.ended || w.error.is_some() {
            return;
        }
        let bytes = codec::encode(&make(w.seq));
        w.digest.update(&bytes);
        w.seq += 1;
        if let Err(e) = w.out.write_all(&bytes) {
            w.error = Some(e);
        }
    }

    /// Records the start of an engine instance.
    pub fn start<E: Serialize, S: Serialize>(&self, instance: &str, name: &str, e: &E, s: &S) {
        self.record(|seq| Record::Start {
            seq,
            instance: instance.to_string(),
            engine: name.to_string(),
            config: codec::encode(e),
            state: codec::encode(s),
        });
    }

    /// Records one completed step.
    pub fn step(&self, instance: &str, input: &Envelope, random: Vec<u8>, effects: &Effects) {
        self.record(|seq| Record::Step {
            seq,
            instance: instance.to_string(),
            input: Box::new(input.clone()),
            random: Some(random),
            handler: effects.guard.to_string(),
            send: effects.send.clone(),
            rejected: effects.rejected.clone(),
        });
    }

    /// Writes the end record and flushes; the first write error, if any, is returned.
    pub fn finish(&self) -> io::Result<()> {
        let mut w = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !w.ended {
            let digest = w.digest.clone().finalize().to_vec();
            let end = codec::encode(&Record::End { seq: w.seq, digest });
            if let Err(e) = w.out.write_all(&end) {
                w.error.get_or_insert(e);
            }
            w.ended = true;
        }
        if let Err(e) = w.out.flush() {
            w.error.get_or_insert(e);
        }
        match w.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Why a trace does not validate.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// A record is not canonical CBOR of a [`Record`] (or the trace is cut inside one).
    #[error("record {index} (at byte {offset}) does not decode: {error}")]
    Undecodable {
        /// Its position.
        index: u64,
        /// Its first byte.
        offset: usize,
        /// Why.
        error: DecodeError,
    },
    /// A record's number is not its position: one was removed, repeated or moved.
    #[error("record {index} is numbered {seq}: a record was removed, repeated or moved")]
    OutOfSequence {
        /// Its position.
        index: u64,
        /// Its number.
        seq: u64,
    },
    /// The trace has no end record: it was cut short.
    #[error("the trace ends after {records} records without its end record: it was cut short")]
    NoEnd {
        /// Records read.
        records: u64,
    },
    /// Something follows the end record.
    #[error("{count} bytes follow the end record")]
    AfterEnd {
        /// How many.
        count: usize,
    },
    /// The end record's digest is not that of the records before it.
    #[error("the end record's digest does not match the records before it: the trace was altered")]
    Digest,
    /// A step names an instance that never started, or one starts twice.
    #[error("record {index}: instance {instance:?} {why}")]
    Instance {
        /// Its position.
        index: u64,
        /// The instance.
        instance: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A step is not one the reference engine would take.
    #[error("instance {instance:?}, record {index}: {divergence}")]
    Diverged {
        /// The instance.
        instance: String,
        /// The step's record number.
        index: u64,
        /// What differs.
        divergence: Divergence,
        /// The instance's steps up to and including the diverging one, as a case.
        case: Box<Case>,
    },
}

/// What a valid trace held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validated {
    /// Records, the end record included.
    pub records: u64,
    /// Steps replayed, per instance.
    pub steps: BTreeMap<String, usize>,
    /// Steps without recorded randomness, checked by meaning.
    pub by_meaning: usize,
}

/// An instance's steps as a case, which of them came without randomness, and their records.
struct Instance {
    case: Case,
    unrecorded: Vec<bool>,
    at: Vec<u64>,
}

/// Reads every record of a trace, checking numbering, completeness and the digest.
pub fn records(bytes: &[u8]) -> Result<Vec<Record>, TraceError> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut digest = Sha256::new();
    while offset < bytes.len() {
        let index = out.len() as u64;
        let rest = &bytes[offset..];
        let undecodable = |error| TraceError::Undecodable {
            index,
            offset,
            error,
        };
        let len = codec::item_len(rest, Limits::DEFAULT).map_err(undecodable)?;
        let record: Record = codec::decode(&rest[..len]).map_err(undecodable)?;
        if record.seq() != index {
            return Err(TraceError::OutOfSequence {
                index,
                seq: record.seq(),
            });
        }
        offset += len;
        if let Record::End {
            digest: claimed, ..
        } = &record
        {
            if bytes.len() > offset {
                return Err(TraceError::AfterEnd {
                    count: bytes.len() - offset,
                });
            }
            if digest.clone().finalize().as_slice() != claimed.as_slice() {
                return Err(TraceError::Digest);
            }
            out.push(record);
            return Ok(out);
        }
        digest.update(&rest[..len]);
        out.push(record);
    }
    Err(TraceError::NoEnd {
        records: out.len() as u64,
    })
}

/// Replays every instance's steps through the reference engine it names, in order.
///
/// Vault instances go first: every key their states hold, at any step, is what a
/// ciphertext made from unrecorded randomness is opened with.
pub fn validate(bytes: &[u8]) -> Result<Validated, TraceError> {
    let all = records(bytes)?;
    let instances = instances(&all)?;
    let mut validated = Validated {
        records: all.len() as u64,
        ..Validated::default()
    };
    let mut keys = KeyRing::new();
    for instance in instances.values() {
        if instance.case.engine == Decryption::NAME {
            collect_keys(&mut keys, &instance.case.pre);
        }
    }
    let (vaults, others): (Vec<_>, Vec<_>) = instances
        .into_iter()
        .partition(|(_, i)| i.case.engine == Decryption::NAME);
    for (name, instance) in vaults.into_iter().chain(others) {
        let states = crate::conformance::replay_trace(&instance.case, &instance.unrecorded, &keys)
            .map_err(|divergence| diverged(name.clone(), &instance, divergence))?;
        if instance.case.engine == Decryption::NAME {
            states.iter().for_each(|s| collect_keys(&mut keys, s));
        }
        validated.by_meaning += instance.unrecorded.iter().filter(|u| **u).count();
        validated.steps.insert(name, instance.case.steps.len());
    }
    Ok(validated)
}

/// Every key a vault state holds, added to `keys`.
fn collect_keys(keys: &mut KeyRing, state: &[u8]) {
    if let Ok(state) = codec::decode::<DecryptionState>(state) {
        keys.extend(state.keys);
    }
}

fn diverged(instance: String, i: &Instance, divergence: Divergence) -> TraceError {
    let step = divergence.step().unwrap_or(0);
    let mut shown = i.case.clone();
    shown.steps.truncate(step + 1);
    TraceError::Diverged {
        instance,
        index: i.at.get(step).copied().unwrap_or(0),
        divergence,
        case: Box::new(shown),
    }
}

/// Each instance's start and steps, by name.
fn instances(all: &[Record]) -> Result<BTreeMap<String, Instance>, TraceError> {
    let mut instances: BTreeMap<String, Instance> = BTreeMap::new();
    for (index, record) in all.iter().enumerate() {
        let index = index as u64;
        match record {
            Record::Start {
                instance,
                engine,
                config,
                state,
                ..
            } => {
                let case = Case {
                    engine: engine.clone(),
                    description: format!("instance {instance} of a recorded trace"),
                    config: config.clone(),
                    pre: state.clone(),
                    steps: Vec::new(),
                    post: None,
                };
                let started = Instance {
                    case,
                    unrecorded: Vec::new(),
                    at: Vec::new(),
                };
                if instances.insert(instance.clone(), started).is_some() {
                    return Err(TraceError::Instance {
                        index,
                        instance: instance.clone(),
                        why: "starts twice",
                    });
                }
            }
            Record::Step {
                instance,
                input,
                random,
                handler,
                send,
                rejected,
                ..
            } => {
                let Some(i) = instances.get_mut(instance) else {
                    return Err(TraceError::Instance {
                        index,
                        instance: instance.clone(),
                        why: "has not started",
                    });
                };
                let expected = Expected {
                    send: send.clone(),
                    rejected: rejected.clone(),
                };
                i.case.steps.push(CaseStep {
                    event: None,
                    input: codec::encode(input),
                    random: random.clone().unwrap_or_default(),
                    handler: handler.clone(),
                    effects: codec::encode(&expected),
                });
                i.unrecorded.push(random.is_none());
                i.at.push(index);
            }
            Record::End { .. } => {}
        }
    }
    Ok(instances)
}
