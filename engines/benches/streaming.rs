//! `seal_stream` and `open_stream` over 64 MiB, read from a generator and written to a sink.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, repeat, sink};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::HpkeBackend;

use common::{config, keyring, median_ns, now};

/// Bytes per streamed message.
const STREAM_BYTES: u64 = 64 << 20;

fn streaming(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let recipient = backend.generate_identity();
    let recipients = [recipient.external.clone()];
    let keys = keyring(&recipient);
    // Opening needs a ciphertext to read: seal one once, into memory.
    let mut sealed = Vec::with_capacity(STREAM_BYTES as usize + (1 << 20));
    backend
        .seal_stream(
            &recipients,
            &mut repeat(0x5a).take(STREAM_BYTES),
            &mut sealed,
        )
        .unwrap();

    let started = now();
    let mut group = c.benchmark_group("streaming");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Bytes(STREAM_BYTES));
    group.bench_function("seal_64mib", |b| {
        b.iter(|| {
            let n = backend
                .seal_stream(
                    &recipients,
                    &mut repeat(0x5a).take(STREAM_BYTES),
                    &mut sink(),
                )
                .unwrap();
            assert_eq!(n, STREAM_BYTES);
        })
    });
    group.bench_function("open_64mib", |b| {
        b.iter(|| {
            let n = backend
                .open_stream(&keys, &mut sealed.as_slice(), &mut sink())
                .unwrap();
            assert_eq!(n, STREAM_BYTES);
        })
    });
    group.finish();

    for name in ["seal_64mib", "open_64mib"] {
        match median_ns("streaming", name, started) {
            Some(ns) => {
                let per_second = STREAM_BYTES as f64 / (ns / 1e9);
                println!(
                    "THROUGHPUT streaming/{name}: {:.0} MB/s ({:.0} MiB/s)",
                    per_second / 1e6,
                    per_second / f64::from(1u32 << 20)
                );
            }
            None => println!("THROUGHPUT streaming/{name}: n/a (not measured in this run)"),
        }
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = streaming
}
criterion_main!(benches);
