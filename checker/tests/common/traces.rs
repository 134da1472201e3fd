//! A trace recorded by `sealwright load`, rewritten, and validated by the binary under test.

use std::fs;
use std::sync::OnceLock;

use engines::runtime::trace::{Record, Trace};

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

/// `sealwright validate` on `bytes`, written to a scratch file.
pub fn validate_bytes(name: &str, bytes: &[u8]) -> std::process::Output {
    let dir = Dir::new("conformance", name);
    let path = dir.p("t.trace");
    fs::write(&path, bytes).unwrap();
    run(bin().arg("validate").arg(&path))
}

/// The same records with `alter` applied, renumbered and with a fresh end digest: a trace
/// that is well formed but records steps the reference would not take.
pub fn rewritten(alter: impl Fn(&mut Vec<Record>)) -> Vec<u8> {
    let mut records = engines::runtime::trace::records(trace()).unwrap();
    records.pop();
    alter(&mut records);
    let mut out = Vec::new();
    let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let t = Trace::to_writer(Box::new(Shared(buffer.clone())));
    for r in records {
        t.record(|seq| r.renumbered(seq));
    }
    t.finish().unwrap();
    out.extend_from_slice(&buffer.lock().unwrap());
    out
}
