//! Hostile length claims do not make the decoders allocate: measured, not assumed.
//!
//! One `#[test]` in its own binary, so nothing else runs in this process while it
//! measures. Before each group it resets the kernel's peak-RSS mark (writing `5`
//! to `/proc/self/clear_refs`), runs the group, and reads the new peak (`VmHWM` in
//! `/proc/self/status`): the growth is what the group made resident. A positive
//! control first shows that a deliberate 64 MiB allocation is seen, so the bound
//! can fail. (Memory that is allocated but never touched is not resident and so
//! not counted; the decoders are also checked to refuse each input with the
//! expected typed error, before reading any claimed bytes.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::{self, Read};

use ciborium::Value;
use common::{Case, backend, ensure, ring, run_table};
use sealwright_engines::Backend;
use sealwright_engines::backend::OpenStreamError;
use sealwright_engines::backend::format::{ENTRY_LEN, PREFIX_LEN};
use sealwright_engines::decryption::DecryptionState;
use sealwright_engines::runtime::tcp::{self, FrameError};
use sealwright_engines::vault_file::{self, KdfParams, MAX_MEMORY_KIB, VaultFileError};
use spec::codec::{self, DecodeError};
use spec::error::CiphertextFault;
use spec::{DecryptionError, Envelope};
use std::sync::{Arc, Mutex};

/// The most a group of hostile inputs may add to the peak RSS.
const BOUND_KIB: u64 = 32 * 1024;

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs `f` and returns how far it raised the peak RSS above the RSS before it, in KiB.
fn peak_growth_kib(f: impl FnOnce()) -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("cannot reset the peak RSS mark");
    let before = status_kib("VmRSS:");
    assert!(
        status_kib("VmHWM:") <= before + 1024,
        "the peak RSS mark was not reset"
    );
    f();
    status_kib("VmHWM:").saturating_sub(before)
}

fn truncated(r: Result<impl std::fmt::Debug, DecodeError>) {
    assert!(matches!(r, Err(DecodeError::Truncated { .. })), "{r:?}");
}

/// Length heads claiming far more than follows, for every sized CBOR type.
fn cbor_claims() {
    let claims: [&[u8]; 8] = [
        &[0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0], // bytes, 2^63
        &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // bytes, 2^64-1
        &[0x5a, 0xff, 0xff, 0xff, 0xff],    // bytes, 2^32-1
        &[0x7b, 0x80, 0, 0, 0, 0, 0, 0, 0], // text, 2^63
        &[0x9b, 0, 0, 0, 1, 0, 0, 0, 0],    // array, 2^32
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // array, 2^64-1
        &[0xbb, 0x40, 0, 0, 0, 0, 0, 0, 0], // map, 2^62
        &[0xba, 0xff, 0xff, 0xff, 0xff],    // map, 2^32-1
    ];
    for _ in 0..100 {
        for claim in claims {
            truncated(codec::decode::<serde_bytes::ByteBuf>(claim));
            truncated(codec::decode::<String>(claim));
            truncated(codec::decode::<Vec<u64>>(claim));
            truncated(codec::decode::<BTreeMap<u64, u64>>(claim));
            truncated(codec::decode::<Value>(claim));
            truncated(Envelope::from_cbor(claim));
            truncated(codec::decode_value(claim));
        }
    }
    // Deep nesting, 10 000 levels.
    let mut deep = vec![0x81u8; 10_000];
    deep.push(0);
    assert!(matches!(
        Envelope::from_cbor(&deep),
        Err(DecodeError::TooDeep { .. })
    ));
}

/// Ciphertext headers claiming the most recipients and chunk sizes, and an endless payload.
fn ciphertext_claims() {
    let mut b = backend(61).with_chunk_log2(20);
    let me = b.generate_identity();
    let keys = ring(&[&me]);
    let ct = b.seal(std::slice::from_ref(&me.external), b"x").unwrap().0;
    let fault = |c: &[u8]| b.open(&keys, c);
    let mut header = ct[..PREFIX_LEN].to_vec();
    // 1024 recipients (the most allowed), none present.
    header[7..9].copy_from_slice(&1024u16.to_be_bytes());
    assert_eq!(
        fault(&header),
        Err(DecryptionError::Malformed(CiphertextFault::HeaderTruncated))
    );
    // 65 535 recipients and absurd chunk sizes: refused before any allocation.
    header[7..9].copy_from_slice(&u16::MAX.to_be_bytes());
    assert_eq!(
        fault(&header),
        Err(DecryptionError::Malformed(CiphertextFault::RecipientCount))
    );
    for log2 in [21u8, 63, 255] {
        let mut c = ct.clone();
        c[6] = log2;
        assert_eq!(
            fault(&c),
            Err(DecryptionError::Malformed(CiphertextFault::ChunkSize))
        );
    }
    // The genuine 1 MiB-chunk header, then a gigabyte of garbage: one chunk is read, then refused.
    let head = &ct[..PREFIX_LEN + ENTRY_LEN];
    let mut input = head.chain(io::repeat(0xaa).take(1 << 30));
    let mut out = Vec::new();
    match b.open_stream(&keys, &mut input, &mut out) {
        Err(OpenStreamError::Open(DecryptionError::AuthenticationFailed)) => {}
        other => panic!("{other:?}"),
    }
    assert!(out.is_empty());
}

/// A vault file whose header asks Argon2 for more memory than allowed.
fn vault_claims() {
    let state = DecryptionState::default();
    let fast = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    let file = vault_file::seal(&state, b"p", fast, [1; 16], [2; 12]).unwrap();
    let mut v: Value = ciborium::from_reader(file.as_slice()).unwrap();
    for memory in [u64::from(u32::MAX), u64::from(MAX_MEMORY_KIB) + 1] {
        set(&mut v, "memoryKib", memory.into());
        let mut bytes = Vec::new();
        ciborium::into_writer(&v, &mut bytes).unwrap();
        assert_eq!(
            vault_file::open(&bytes, b"p"),
            Err(VaultFileError::KdfOutOfBounds)
        );
    }
    // And a sealed vault asking for too much is never written.
    let greedy = KdfParams {
        memory_kib: u32::MAX,
        ..fast
    };
    assert_eq!(
        vault_file::seal(&state, b"p", greedy, [1; 16], [2; 12]),
        Err(VaultFileError::KdfOutOfBounds)
    );
}

fn set(v: &mut Value, field: &str, to: Value) {
    match v {
        Value::Map(entries) => {
            for (k, val) in entries.iter_mut() {
                if k.as_text() == Some(field) {
                    *val = to.clone();
                } else {
                    set(val, field, to.clone());
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| set(i, field, to.clone())),
        _ => {}
    }
}

/// TCP frames claiming the largest and larger lengths, with nothing after.
fn frame_claims() {
    let mut over: &[u8] = &[0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        tcp::read_frame(&mut over),
        Err(FrameError::TooLarge(_))
    ));
    let mut at_limit: &[u8] = &(tcp::MAX_FRAME as u32).to_be_bytes();
    assert!(matches!(
        tcp::read_frame(&mut at_limit),
        Err(FrameError::Io(_))
    ));
}

#[test]
fn hostile_length_claims_stay_within_a_small_memory_bound() {
    // Positive control: a 64 MiB allocation that is written is seen.
    let control = peak_growth_kib(|| {
        let big = vec![1u8; 64 << 20];
        black_box(&big);
    });
    assert!(
        control >= 60 * 1024,
        "the measurement missed a 64 MiB allocation ({control} KiB): it cannot detect anything"
    );
    assert!(
        control > BOUND_KIB,
        "the control must exceed the bound, or the bound proves nothing"
    );
    let report = Arc::new(Mutex::new(vec![(
        "positive control (64 MiB written)",
        control,
    )]));
    let mut cases = Vec::new();
    for (group, f) in [
        ("CBOR length and depth claims", cbor_claims as fn()),
        ("ciphertext header and payload claims", ciphertext_claims),
        ("vault KDF memory claims", vault_claims),
        ("TCP frame length claims", frame_claims),
    ] {
        let report = Arc::clone(&report);
        // Under the watchdog: a panic or a hang names the group.
        cases.push(Case::new(group, move || {
            let kib = peak_growth_kib(f);
            report.lock().unwrap().push((group, kib));
            ensure(kib < BOUND_KIB, || {
                format!("raised the peak RSS by {kib} KiB (bound {BOUND_KIB} KiB)")
            })
        }));
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_table("bounded memory", cases)
    }));
    for (group, kib) in report.lock().unwrap().iter() {
        eprintln!("peak RSS growth: {kib:>8} KiB  {group}");
    }
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
