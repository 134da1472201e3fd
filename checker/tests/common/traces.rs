//! Traces validated by the binary under test: one recorded by `sealwright load`, one of a
//! Verification engine (which the node does not run) recorded here, and either rewritten.

use std::fs;
use std::sync::{Arc, Mutex, OnceLock};

use engines::Engine;
use engines::backend::Backend;
use engines::backend::seeded::SeededBackend;
use engines::runtime::trace::{Record, Trace};
use engines::verification::Verification;
use spec::effects::Effects;
use spec::message::{Commitment, ReplyQuerySignsForEvidence, RequestVerification, Signable};
use spec::{Address, CorrelationId, Envelope, Message};

use super::{Dir, bin, ok, run};

/// A trace of a small load run (400 requests, an engine killed every 60), made once.
pub fn trace() -> &'static [u8] {
    static TRACE: OnceLock<Vec<u8>> = OnceLock::new();
    TRACE.get_or_init(|| {
        let dir = Dir::new("conformance", "trace");
        let path = dir.p("load.trace");
        ok(bin()
            .args(["load", "--requests", "400", "--kill-every", "60", "--trace"])
            .arg(&path));
        fs::read(&path).unwrap()
    })
}

/// A trace of one Verification instance: a commitment checked directly, then twice through
/// SignsFor (each query answered as a SignsFor engine holding no evidence would), with every
/// step's randomness recorded.
pub fn verification_trace() -> &'static [u8] {
    static TRACE: OnceLock<Vec<u8>> = OnceLock::new();
    TRACE.get_or_init(|| {
        let a = |s: &str| Address::new(s).unwrap();
        let engine = Verification::new(a("verification"), a("signs-for"));
        let mut backend = SeededBackend::new(7);
        let mut state = Verification::initial_state(&mut backend);
        let signer = backend.generate_identity();
        let data = Signable(b"release 1.0".to_vec());
        let commitment = Commitment {
            verifying_key: signer.external.verifying_key,
            signature: backend.sign(&signer, &Commitment::statement_bytes(&data.0)),
        };
        let (trace, buffer) = in_memory();
        trace.start("verification-1", Verification::NAME, &engine, &state);
        let mut run = |env: Envelope| {
            let from = backend.position();
            let effects: Effects = engine.step(&mut state, &mut backend, &env);
            let random = backend.drawn(from, backend.position());
            trace.step("verification-1", &env, random, &effects);
            effects
        };
        for (n, use_signs_for) in [(1, false), (2, true), (3, true)] {
            let request = RequestVerification {
                data: data.clone(),
                commitment: commitment.clone(),
                external_identity: signer.external.clone(),
                use_signs_for,
            };
            let sent = run(Envelope {
                sender: a("client"),
                target: a("verification"),
                correlation: CorrelationId(n),
                message: request.into(),
            });
            for query in sent.send {
                let Message::RequestQuerySignsForEvidence(q) = query.message else {
                    continue;
                };
                let answer = ReplyQuerySignsForEvidence {
                    external_identity: q.external_identity,
                    continuation: q.continuation,
                    result: Ok(Vec::new()),
                };
                run(Envelope {
                    sender: a("signs-for"),
                    target: a("verification"),
                    correlation: query.correlation,
                    message: answer.into(),
                });
            }
        }
        trace.finish().unwrap();
        buffer.lock().unwrap().clone()
    })
}

/// `sealwright validate` on `bytes`, written to a scratch file.
pub fn validate_bytes(name: &str, bytes: &[u8]) -> std::process::Output {
    let dir = Dir::new("conformance", name);
    let path = dir.p("t.trace");
    fs::write(&path, bytes).unwrap();
    run(bin().arg("validate").arg(&path))
}

/// A trace written to memory, and the memory.
fn in_memory() -> (Trace, Arc<Mutex<Vec<u8>>>) {
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    (Trace::to_writer(Box::new(Shared(buffer.clone()))), buffer)
}

/// The load run's records with `alter` applied: see [`rewritten_from`].
pub fn rewritten(alter: impl Fn(&mut Vec<Record>)) -> Vec<u8> {
    rewritten_from(trace(), alter)
}

/// The records of `trace` with `alter` applied, renumbered and with a fresh end digest: a
/// trace that is well formed but may record steps the reference would not take.
pub fn rewritten_from(trace: &[u8], alter: impl Fn(&mut Vec<Record>)) -> Vec<u8> {
    let mut records = engines::runtime::trace::records(trace).unwrap();
    records.pop();
    alter(&mut records);
    let (t, buffer) = in_memory();
    for r in records {
        t.record(|seq| r.renumbered(seq));
    }
    t.finish().unwrap();
    buffer.lock().unwrap().clone()
}
