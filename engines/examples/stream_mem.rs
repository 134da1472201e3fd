//! Seals a generated stream to a temporary file and opens it back, printing
//! throughput and peak memory: streaming must use constant memory.
//!
//! `cargo run --release -p sealwright-engines --example stream_mem [MIB]`
//! (default 1024 MiB). Measure peak RSS from outside with `/usr/bin/time -v`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, repeat, sink};
use std::time::Instant;

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::{KeyEntry, KeyRing};

/// Peak resident set size of this process so far, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mib: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("size in MiB"))
        .unwrap_or(1024);
    let bytes = mib << 20;
    let mut backend = HpkeBackend::new();
    let recipient = backend.generate_identity();
    let keys = KeyRing::from([(
        recipient.key_id(),
        KeyEntry {
            identity: recipient.id(),
            secret: recipient.encryption_secret.clone(),
        },
    )]);
    let path =
        std::env::temp_dir().join(format!("sealwright-stream-mem-{}.swct", std::process::id()));

    let begin = Instant::now();
    {
        let mut out = BufWriter::new(File::create(&path).expect("create temp file"));
        let sealed = backend
            .seal_stream(
                std::slice::from_ref(&recipient.external),
                &mut repeat(0x5a).take(bytes),
                &mut out,
            )
            .expect("seal");
        assert_eq!(sealed, bytes);
    }
    let seal_secs = begin.elapsed().as_secs_f64();
    let ciphertext_len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);

    let begin = Instant::now();
    let opened = {
        let mut input = BufReader::new(File::open(&path).expect("open temp file"));
        backend.open_stream(&keys, &mut input, &mut sink())
    };
    let open_secs = begin.elapsed().as_secs_f64();
    std::fs::remove_file(&path).expect("remove temp file");
    assert_eq!(opened.expect("open"), bytes);

    let mb = bytes as f64 / 1e6;
    println!("stream_mem: {mib} MiB plaintext, {ciphertext_len} bytes of ciphertext");
    println!(
        "seal (generator -> file): {seal_secs:.2} s, {:.0} MB/s",
        mb / seal_secs
    );
    println!(
        "open (file -> sink):      {open_secs:.2} s, {:.0} MB/s",
        mb / open_secs
    );
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS: unavailable"),
    }
}
