#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The HPKE backend's multi-recipient chunked ciphertext (`backend::format`):
//! round trips, tampering, truncation, reordering, bad recipients, streaming,
//! key rotation, and Ed25519 sign/verify.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};

use proptest::prelude::*;
use sealwright_engines::Backend;
use sealwright_engines::backend::format::{ENTRY_LEN, PREFIX_LEN, TAG_LEN};
use sealwright_engines::backend::hpke::{HpkeBackend, SeededRng};
use sealwright_engines::backend::{KeyEntry, KeyRing, OpenStreamError};
use sealwright_engines::identity::InternalIdentity;
use spec::error::{CiphertextFault, MalformedStatement};
use spec::{DecryptionError, EncryptionError, ExternalIdentity, RelationError};

/// Chunks of 1 KiB, so a few KiB of payload span several chunks.
const CHUNK_LOG2: u8 = 10;
const CHUNK: usize = 1 << CHUNK_LOG2;
/// A sealed full chunk: plaintext plus tag.
const SEALED_CHUNK: usize = CHUNK + TAG_LEN;

// ---------------------------------------------------------------------------
// Helpers

fn backend(seed: u64) -> HpkeBackend<SeededRng> {
    HpkeBackend::with_rng(SeededRng::new(&seed.to_be_bytes())).with_chunk_log2(CHUNK_LOG2)
}

/// A key ring holding just the current key of `id`.
fn ring(ids: &[&InternalIdentity]) -> KeyRing {
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

fn payload(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

fn header_len(recipients: usize) -> usize {
    PREFIX_LEN + recipients * ENTRY_LEN
}

/// Plaintext length -> number of chunks (an empty payload is one empty chunk).
fn chunk_count(len: usize) -> usize {
    len.div_ceil(CHUNK).max(1)
}

/// One recipient, a sealed payload, and the key ring that opens it.
struct Sealed {
    backend: HpkeBackend<SeededRng>,
    me: InternalIdentity,
    keys: KeyRing,
    plaintext: Vec<u8>,
    ct: Vec<u8>,
}

fn seal_one(seed: u64, len: usize) -> Sealed {
    let mut backend = backend(seed);
    let me = backend.generate_identity();
    let plaintext = payload(len, 7);
    let ct = backend
        .seal(std::slice::from_ref(&me.external), &plaintext)
        .unwrap()
        .0;
    assert_eq!(ct.len(), header_len(1) + len + chunk_count(len) * TAG_LEN);
    Sealed {
        backend,
        keys: ring(&[&me]),
        me,
        plaintext,
        ct,
    }
}

/// The sealed chunks of a 1-recipient ciphertext whose payload is not a
/// multiple of the chunk size: header, then the chunks in order.
fn split_chunks(ct: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let (header, payload) = ct.split_at(header_len(1));
    (header, payload.chunks(SEALED_CHUNK).collect())
}

// ---------------------------------------------------------------------------
// Round trips

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Every recipient opens; an identity that is not a recipient does not.
    #[test]
    fn seal_open_round_trip(
        seed in any::<u64>(),
        n in 1usize..=8,
        plaintext in prop::collection::vec(any::<u8>(), 0..=5 * CHUNK + 100),
        repeat_first in any::<bool>(),
    ) {
        let mut backend = backend(seed);
        let ids: Vec<InternalIdentity> = (0..n).map(|_| backend.generate_identity()).collect();
        let outsider = backend.generate_identity();
        let mut recipients: Vec<ExternalIdentity> = ids.iter().map(|i| i.external.clone()).collect();
        if repeat_first {
            // Duplicates collapse into one entry.
            recipients.push(ids[0].external.clone());
        }
        let ct = backend.seal(&recipients, &plaintext).unwrap().0;
        prop_assert_eq!(
            ct.len(),
            header_len(n) + plaintext.len() + chunk_count(plaintext.len()) * TAG_LEN
        );
        prop_assert_eq!(usize::from(u16::from_be_bytes([ct[7], ct[8]])), n);
        prop_assert_eq!(ct[6], CHUNK_LOG2);

        for id in &ids {
            let opened = backend.open(&ring(&[id]), &ct).unwrap();
            prop_assert_eq!(&opened.0, &plaintext);
        }
        prop_assert_eq!(
            backend.open(&ring(&[&outsider]), &ct),
            Err(DecryptionError::NoMatchingKey)
        );
        prop_assert_eq!(
            backend.open(&KeyRing::new(), &ct),
            Err(DecryptionError::NoMatchingKey)
        );
        // A ring holding the outsider and one recipient still opens.
        let opened = backend.open(&ring(&[&outsider, &ids[n - 1]]), &ct).unwrap();
        prop_assert_eq!(&opened.0, &plaintext);
    }
}

/// Payload sizes around the chunk boundaries, with exact ciphertext lengths.
#[test]
fn chunk_boundaries_round_trip() {
    for (i, len) in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5]
        .into_iter()
        .enumerate()
    {
        let s = seal_one(100 + i as u64, len);
        assert_eq!(
            s.backend.open(&s.keys, &s.ct).unwrap().0,
            s.plaintext,
            "len {len}"
        );
    }
}

// ---------------------------------------------------------------------------
// Tampering

fn assert_rejected(result: &Result<spec::message::Plaintext, DecryptionError>, what: &str) {
    match result {
        Err(
            DecryptionError::Malformed(_)
            | DecryptionError::AuthenticationFailed
            | DecryptionError::Truncated
            | DecryptionError::NoMatchingKey,
        ) => {}
        other => panic!("{what}: expected a decryption error, got {other:?}"),
    }
}

/// Every single-bit flip of a 2-chunk, 1-recipient ciphertext fails to open.
#[test]
fn every_bit_flip_is_rejected() {
    let s = seal_one(1, CHUNK + 300);
    assert_eq!(split_chunks(&s.ct).1.len(), 2);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut ct = s.ct.clone();
    for byte in 0..ct.len() {
        for bit in 0..8 {
            ct[byte] ^= 1 << bit;
            let result = s.backend.open(&s.keys, &ct);
            assert_rejected(&result, &format!("flip of bit {bit} of byte {byte}"));
            let kind = match result {
                Err(DecryptionError::Malformed(_)) => "Malformed".to_owned(),
                Err(e) => format!("{e:?}"),
                Ok(_) => unreachable!(),
            };
            *seen.entry(kind).or_default() += 1;
            ct[byte] ^= 1 << bit;
        }
    }
    assert_eq!(ct, s.ct);
    eprintln!("{} bit flips: {seen:?}", 8 * s.ct.len());
    assert_eq!(seen.values().sum::<usize>(), 8 * s.ct.len());
    // The header's prefix, its ids and its sealed parts all take part.
    for kind in ["Malformed", "NoMatchingKey", "AuthenticationFailed"] {
        assert!(seen.contains_key(kind), "no flip gave {kind}: {seen:?}");
    }
    // The unflipped ciphertext still opens.
    assert_eq!(s.backend.open(&s.keys, &ct).unwrap().0, s.plaintext);
}

/// Cutting the ciphertext anywhere fails; cutting it at a chunk boundary says
/// `Truncated`, and inside the header says the header is truncated.
#[test]
fn every_truncation_is_rejected() {
    let s = seal_one(2, 2 * CHUNK + 200);
    let header = header_len(1);
    let boundaries = [header, header + SEALED_CHUNK, header + 2 * SEALED_CHUNK];
    for cut in 0..s.ct.len() {
        let result = s.backend.open(&s.keys, &s.ct[..cut]);
        assert_rejected(&result, &format!("cut at {cut}"));
        if cut < header {
            assert_eq!(
                result,
                Err(DecryptionError::Malformed(CiphertextFault::HeaderTruncated)),
                "cut at {cut}"
            );
        }
        if boundaries.contains(&cut) {
            assert_eq!(result, Err(DecryptionError::Truncated), "cut at {cut}");
        }
    }
    assert_eq!(s.backend.open(&s.keys, &s.ct).unwrap().0, s.plaintext);
}

/// Trailing bytes after the final chunk are not ignored.
#[test]
fn appended_bytes_are_rejected() {
    let s = seal_one(3, CHUNK + 10);
    for extra in [1usize, TAG_LEN, SEALED_CHUNK] {
        let mut ct = s.ct.clone();
        ct.extend(std::iter::repeat_n(0u8, extra));
        assert_rejected(
            &s.backend.open(&s.keys, &ct),
            &format!("{extra} bytes appended"),
        );
    }
}

/// Chunks cannot be swapped, repeated or dropped.
#[test]
fn reordered_chunks_are_rejected() {
    // Four chunks: three full, the last one partial.
    let s = seal_one(4, 3 * CHUNK + 512);
    let (header, chunks) = split_chunks(&s.ct);
    assert_eq!(chunks.len(), 4);
    let build = |order: &[usize]| -> Vec<u8> {
        let mut ct = header.to_vec();
        for &i in order {
            ct.extend_from_slice(chunks[i]);
        }
        ct
    };
    assert_eq!(build(&[0, 1, 2, 3]), s.ct);
    let cases: [(&str, &[usize]); 6] = [
        ("swap first two", &[1, 0, 2, 3]),
        ("swap middle two", &[0, 2, 1, 3]),
        ("duplicate a chunk", &[0, 1, 1, 2, 3]),
        ("duplicate the first chunk", &[0, 0, 1, 2, 3]),
        ("drop a middle chunk", &[0, 2, 3]),
        ("drop the first chunk", &[1, 2, 3]),
    ];
    for (what, order) in cases {
        assert_eq!(
            s.backend.open(&s.keys, &build(order)),
            Err(DecryptionError::AuthenticationFailed),
            "{what}"
        );
    }
    // Dropping the final chunk is a cut at a chunk boundary.
    assert_eq!(
        s.backend.open(&s.keys, &build(&[0, 1, 2])),
        Err(DecryptionError::Truncated)
    );

    // With a payload that fills its last chunk, a dropped middle chunk leaves a
    // full final chunk in the wrong place: still an authentication failure.
    let s = seal_one(5, 3 * CHUNK);
    let (header, chunks) = split_chunks(&s.ct);
    assert_eq!(chunks.len(), 3);
    let mut ct = header.to_vec();
    ct.extend_from_slice(chunks[0]);
    ct.extend_from_slice(chunks[2]);
    assert_eq!(
        s.backend.open(&s.keys, &ct),
        Err(DecryptionError::AuthenticationFailed)
    );
}

/// A ciphertext's header cannot be moved onto another ciphertext's payload.
#[test]
fn header_is_bound_to_payload() {
    let mut a = seal_one(6, CHUNK + 1);
    assert_eq!(
        seal_one(6, CHUNK + 1).ct,
        a.ct,
        "same seed, same ciphertext"
    );
    // A second seal draws a new content key and new ephemeral keys.
    let c = a
        .backend
        .seal(std::slice::from_ref(&a.me.external), &a.plaintext)
        .unwrap()
        .0;
    assert_ne!(c, a.ct);
    assert_eq!(a.backend.open(&a.keys, &c).unwrap().0, a.plaintext);
    let h = header_len(1);
    let mut spliced = a.ct[..h].to_vec();
    spliced.extend_from_slice(&c[h..]);
    assert_eq!(
        a.backend.open(&a.keys, &spliced),
        Err(DecryptionError::AuthenticationFailed)
    );
    // The other way round: the wrapped key opens, the payload does not.
    let mut spliced = c[..h].to_vec();
    spliced.extend_from_slice(&a.ct[h..]);
    assert_eq!(
        a.backend.open(&a.keys, &spliced),
        Err(DecryptionError::AuthenticationFailed)
    );
}

/// Rejections of the header prefix name the fault.
#[test]
fn header_faults_are_named() {
    let s = seal_one(7, 10);
    let fault = |i: usize, v: u8| {
        let mut ct = s.ct.clone();
        ct[i] = v;
        s.backend.open(&s.keys, &ct)
    };
    let m = |f| Err(DecryptionError::Malformed(f));
    assert_eq!(fault(0, b'X'), m(CiphertextFault::BadMagic));
    assert_eq!(fault(4, 2), m(CiphertextFault::UnsupportedVersion));
    assert_eq!(fault(5, 2), m(CiphertextFault::UnsupportedSuite));
    assert_eq!(fault(6, 9), m(CiphertextFault::ChunkSize));
    assert_eq!(fault(6, 21), m(CiphertextFault::ChunkSize));
    assert_eq!(fault(8, 0), m(CiphertextFault::RecipientCount));
    assert_eq!(fault(8, 2), m(CiphertextFault::HeaderTruncated));
    assert_eq!(
        s.backend.open(&s.keys, b"not a ciphertext"),
        m(CiphertextFault::BadMagic)
    );
}

// ---------------------------------------------------------------------------
// Recipients and keys

/// An all-zero X25519 key (a low-order point) is refused, alone or among valid ones.
#[test]
fn invalid_recipient_key_is_refused() {
    let mut backend = backend(8);
    let good = backend.generate_identity();
    let bad = ExternalIdentity {
        verifying_key: good.external.verifying_key,
        encryption_key: [0u8; 32],
    };
    assert_eq!(
        backend.seal(std::slice::from_ref(&bad), b"x"),
        Err(EncryptionError::InvalidRecipient)
    );
    assert_eq!(
        backend.seal(&[good.external.clone(), bad], b"x"),
        Err(EncryptionError::InvalidRecipient)
    );
    assert_eq!(
        backend.seal(&[], b"x"),
        Err(EncryptionError::InvalidRecipient)
    );
    // The backend still works afterwards.
    let ct = backend
        .seal(std::slice::from_ref(&good.external), b"x")
        .unwrap();
    assert_eq!(backend.open(&ring(&[&good]), &ct.0).unwrap().0, b"x");
}

/// A key entry must name the right identity and hold the right secret.
#[test]
fn key_entry_must_match() {
    let mut backend = backend(9);
    let me = backend.generate_identity();
    let other = backend.generate_identity();
    let ct = backend
        .seal(std::slice::from_ref(&me.external), b"hello")
        .unwrap()
        .0;
    // Right key id, wrong identity: not this entry.
    let mut keys = KeyRing::new();
    keys.insert(
        me.key_id(),
        KeyEntry {
            identity: other.id(),
            secret: me.encryption_secret.clone(),
        },
    );
    assert_eq!(
        backend.open(&keys, &ct),
        Err(DecryptionError::NoMatchingKey)
    );
    // Right key id and identity, wrong secret: the wrapped key does not open.
    keys.insert(
        me.key_id(),
        KeyEntry {
            identity: me.id(),
            secret: other.encryption_secret.clone(),
        },
    );
    assert_eq!(
        backend.open(&keys, &ct),
        Err(DecryptionError::AuthenticationFailed)
    );
}

/// After a rotation, ciphertexts sealed to the old key still open while the
/// ring keeps the old key id.
#[test]
fn rotated_out_key_still_opens() {
    let mut backend = backend(10);
    let old = backend.generate_identity();
    let plaintext = payload(3 * CHUNK, 1);
    let ct = backend
        .seal(std::slice::from_ref(&old.external), &plaintext)
        .unwrap()
        .0;
    let new = backend.rotate_encryption_key(&old);
    assert_eq!(new.external.verifying_key, old.external.verifying_key);
    assert_ne!(new.key_id(), old.key_id());
    assert_ne!(new.encryption_secret, old.encryption_secret);

    assert_eq!(
        backend.open(&ring(&[&new]), &ct),
        Err(DecryptionError::NoMatchingKey)
    );
    let both = ring(&[&old, &new]);
    assert_eq!(both.len(), 2);
    assert_eq!(backend.open(&both, &ct).unwrap().0, plaintext);

    // New ciphertexts go to the new key only.
    let ct2 = backend
        .seal(std::slice::from_ref(&new.external), &plaintext)
        .unwrap()
        .0;
    assert_eq!(backend.open(&both, &ct2).unwrap().0, plaintext);
    assert_eq!(
        backend.open(&ring(&[&old]), &ct2),
        Err(DecryptionError::NoMatchingKey)
    );
}

// ---------------------------------------------------------------------------
// Streaming

/// A reader that hands out at most `step` bytes at a time and is interrupted
/// before every other read, to exercise the backend's refill loops.
struct Trickle<R> {
    inner: R,
    step: usize,
    interrupt: bool,
}

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.step);
        self.inner.read(&mut buf[..n])
    }
}

#[test]
fn streaming_matches_in_memory() {
    for (i, len) in [0, 1, CHUNK, CHUNK + 1, 4 * CHUNK + 777]
        .into_iter()
        .enumerate()
    {
        let seed = 200 + i as u64;
        let plaintext = payload(len, 3);

        // The same RNG state seals the same bytes, in memory or streamed.
        let mut a = backend(seed);
        let me = a.generate_identity();
        let in_memory = a
            .seal(std::slice::from_ref(&me.external), &plaintext)
            .unwrap()
            .0;

        let mut b = backend(seed);
        assert_eq!(b.generate_identity(), me);
        let mut out = Cursor::new(Vec::new());
        let n = b
            .seal_stream(
                std::slice::from_ref(&me.external),
                &mut Cursor::new(&plaintext),
                &mut out,
            )
            .unwrap();
        assert_eq!(n, len as u64);
        assert_eq!(out.into_inner(), in_memory, "len {len}");

        let mut c = backend(seed);
        assert_eq!(c.generate_identity(), me);
        let mut out = Vec::new();
        let mut input = Trickle {
            inner: Cursor::new(&plaintext),
            step: 7,
            interrupt: false,
        };
        c.seal_stream(std::slice::from_ref(&me.external), &mut input, &mut out)
            .unwrap();
        assert_eq!(out, in_memory, "trickled len {len}");

        let keys = ring(&[&me]);
        let mut opened = Cursor::new(Vec::new());
        let n = a
            .open_stream(&keys, &mut Cursor::new(&in_memory), &mut opened)
            .unwrap();
        assert_eq!(n, len as u64);
        assert_eq!(opened.into_inner(), plaintext);
        assert_eq!(a.open(&keys, &in_memory).unwrap().0, plaintext);

        let mut opened = Vec::new();
        let mut input = Trickle {
            inner: Cursor::new(&in_memory),
            step: 13,
            interrupt: false,
        };
        a.open_stream(&keys, &mut input, &mut opened).unwrap();
        assert_eq!(opened, plaintext, "trickled open, len {len}");
    }
}

#[test]
fn streaming_errors_match_in_memory() {
    let s = seal_one(11, 2 * CHUNK + 5);
    let cut = &s.ct[..header_len(1) + SEALED_CHUNK];
    let mut out = Vec::new();
    match s
        .backend
        .open_stream(&s.keys, &mut Cursor::new(cut), &mut out)
    {
        Err(OpenStreamError::Open(DecryptionError::Truncated)) => {}
        other => panic!("expected Truncated, got {other:?}"),
    }
    let mut out = Vec::new();
    match s
        .backend
        .open_stream(&KeyRing::new(), &mut Cursor::new(&s.ct), &mut out)
    {
        Err(OpenStreamError::Open(DecryptionError::NoMatchingKey)) => {}
        other => panic!("expected NoMatchingKey, got {other:?}"),
    }
    assert!(out.is_empty(), "nothing is written before the key is found");
}

// ---------------------------------------------------------------------------
// Signatures

#[test]
fn sign_verify_round_trip() {
    let mut backend = backend(12);
    let me = backend.generate_identity();
    let other = backend.generate_identity();
    let vk = me.external.verifying_key;
    let message = b"alice reads for bob";
    let sig = backend.sign(&me, message);
    assert_eq!(backend.verify(&vk, message, &sig), Ok(()));
    // Deterministic (Ed25519).
    assert_eq!(backend.sign(&me, message), sig);

    assert_eq!(
        backend.verify(&vk, b"alice reads for eve", &sig),
        Err(RelationError::SignatureInvalid)
    );
    assert_eq!(
        backend.verify(&other.external.verifying_key, message, &sig),
        Err(RelationError::SignatureInvalid)
    );
    for byte in 0..64 {
        for bit in 0..8 {
            let mut bad = sig;
            bad[byte] ^= 1 << bit;
            assert_eq!(
                backend.verify(&vk, message, &bad),
                Err(RelationError::SignatureInvalid),
                "flip of bit {bit} of signature byte {byte}"
            );
        }
    }
    // A rotated identity keeps its signing key.
    let rotated = backend.rotate_encryption_key(&me);
    assert_eq!(backend.sign(&rotated, message), sig);
}

#[test]
fn non_point_verifying_key_is_malformed() {
    // Find a small y-coordinate that is not on the curve.
    let not_a_point = (2u8..=255)
        .map(|y| {
            let mut k = [0u8; 32];
            k[0] = y;
            k
        })
        .find(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_err())
        .expect("some small y is not on the curve");

    let mut backend = backend(13);
    let me = backend.generate_identity();
    let sig = backend.sign(&me, b"m");
    assert_eq!(
        backend.verify(&not_a_point, b"m", &sig),
        Err(RelationError::Malformed(
            MalformedStatement::BadVerifyingKey
        ))
    );
}
