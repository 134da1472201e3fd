//! Hostile ciphertexts, as tables of (name, ciphertext, exact `DecryptionError`).
//!
//! `ciphertext.rs` proves that tampering is refused with *some* decryption
//! error; these tables pin the exact error for every single-bit flip (by the
//! region of the layout it lands in), for chunk surgery (swapped, duplicated,
//! dropped, truncated, appended) and for hostile recipient lists, and check that
//! a refused ciphertext never releases the plaintext of the chunk that failed.
//! Every row runs under the watchdog of `common` (deadline + `catch_unwind`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use common::{CHUNK, Case, SeededRng, backend, ensure, payload, ring, run_table, same};
use sealwright_engines::Backend;
use sealwright_engines::backend::format::{
    ENTRY_LEN, HPKE_INFO, Header, MAX_RECIPIENTS, PREFIX_LEN, RecipientEntry, TAG_LEN, WRAPPED_LEN,
    chunk_nonce,
};
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::{KeyRing, OpenStreamError};
use sealwright_engines::identity::InternalIdentity;
use sha2::{Digest, Sha256};
use spec::DecryptionError;
use spec::error::CiphertextFault;

const SEALED_CHUNK: usize = CHUNK + TAG_LEN;

/// A sealed ciphertext with what opens it; shared by the rows of a table.
struct Fixture {
    backend: HpkeBackend<SeededRng>,
    ids: Vec<InternalIdentity>,
    keys: KeyRing,
    plaintext: Vec<u8>,
    ct: Vec<u8>,
}

fn fixture(seed: u64, recipients: usize, len: usize) -> Arc<Fixture> {
    let mut backend = backend(seed);
    let ids: Vec<InternalIdentity> = (0..recipients)
        .map(|_| backend.generate_identity())
        .collect();
    let public: Vec<_> = ids.iter().map(|i| i.external.clone()).collect();
    let plaintext = payload(len, 11);
    let ct = backend.seal(&public, &plaintext).unwrap().0;
    let keys = ring(&ids.iter().collect::<Vec<_>>());
    Arc::new(Fixture {
        backend,
        ids,
        keys,
        plaintext,
        ct,
    })
}

impl Fixture {
    fn header_len(&self) -> usize {
        PREFIX_LEN + self.ids.len() * ENTRY_LEN
    }

    fn chunks(&self) -> Vec<Vec<u8>> {
        self.ct[self.header_len()..]
            .chunks(SEALED_CHUNK)
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn with_chunks(&self, order: &[usize], extra: &[u8]) -> Vec<u8> {
        let chunks = self.chunks();
        let mut ct = self.ct[..self.header_len()].to_vec();
        for &i in order {
            ct.extend(&chunks[i]);
        }
        ct.extend(extra);
        ct
    }

    /// Opens `ct` with `keys` both in memory and as a stream; both must refuse it
    /// with `want`, and the stream may only have released whole chunks before `fail_chunk`.
    fn refuse(
        &self,
        keys: &KeyRing,
        ct: &[u8],
        want: DecryptionError,
        fail_chunk: usize,
    ) -> Result<(), String> {
        same("open", self.backend.open(keys, ct), Err(want.clone()))?;
        let mut out = Vec::new();
        let mut input = ct;
        match self.backend.open_stream(keys, &mut input, &mut out) {
            Err(OpenStreamError::Open(e)) => same("open_stream", e, want)?,
            other => return Err(format!("open_stream: {other:?}")),
        }
        ensure(out.len() <= fail_chunk * CHUNK, || {
            format!(
                "the stream released {} bytes, past chunk {fail_chunk} that failed",
                out.len()
            )
        })?;
        ensure(self.plaintext.is_empty() || out != self.plaintext, || {
            "the stream released the whole plaintext".into()
        })
    }
}

fn malformed(f: CiphertextFault) -> DecryptionError {
    DecryptionError::Malformed(f)
}

/// Whether the identity ids (each entry's first 20 bytes) strictly ascend, as the format requires.
fn entries_in_order(entries: &[u8]) -> bool {
    let ids: Vec<&[u8]> = entries.chunks(ENTRY_LEN).map(|e| &e[..20]).collect();
    ids.windows(2).all(|w| w[0] < w[1])
}

/// The error a flip of `bit` in byte `at` of a one-recipient ciphertext must give,
/// by the field of the layout it lands in; and the chunk that fails.
fn flip_expectation(f: &Fixture, at: usize, bit: u8) -> (DecryptionError, usize) {
    use DecryptionError::{AuthenticationFailed, NoMatchingKey};
    let header = f.header_len();
    let entry = PREFIX_LEN;
    let e = match at {
        0..=3 => malformed(CiphertextFault::BadMagic),
        4 => malformed(CiphertextFault::UnsupportedVersion),
        5 => malformed(CiphertextFault::UnsupportedSuite),
        6 => {
            let log2 = f.ct[6] ^ (1 << bit);
            if (10..=20).contains(&log2) {
                // A valid chunk size, but the header (the payload's aad) changed.
                AuthenticationFailed
            } else {
                malformed(CiphertextFault::ChunkSize)
            }
        }
        7 | 8 => {
            let mut count = [f.ct[7], f.ct[8]];
            count[at - 7] ^= 1 << bit;
            let count = usize::from(u16::from_be_bytes(count));
            if count == 0 || count > MAX_RECIPIENTS {
                malformed(CiphertextFault::RecipientCount)
            } else if PREFIX_LEN + count * ENTRY_LEN > f.ct.len() {
                malformed(CiphertextFault::HeaderTruncated)
            } else if !entries_in_order(&f.ct[PREFIX_LEN..PREFIX_LEN + count * ENTRY_LEN]) {
                // Payload bytes read as further entries, whose identity ids are not ascending.
                malformed(CiphertextFault::RecipientOrder)
            } else if f.ct.len() - (PREFIX_LEN + count * ENTRY_LEN) < TAG_LEN {
                DecryptionError::Truncated
            } else {
                // The genuine entry still unwraps; the longer header is the wrong aad.
                AuthenticationFailed
            }
        }
        // Identity id and key id: the entry no longer names a key this ring holds.
        _ if at < entry + 28 => NoMatchingKey,
        // enc and the wrapped key: the entry is ours but does not open.
        _ if at < header => AuthenticationFailed,
        // The payload.
        _ => AuthenticationFailed,
    };
    let fail_chunk = if at < header {
        0
    } else {
        (at - header) / SEALED_CHUNK
    };
    (e, fail_chunk)
}

#[test]
fn every_single_bit_flip_gives_the_error_of_its_field() {
    // Two chunks: one full, one of 300 bytes.
    let f = fixture(101, 1, CHUNK + 300);
    assert_eq!(f.chunks().len(), 2);
    assert_eq!(WRAPPED_LEN + 32 + 28, ENTRY_LEN);
    let mut cases = Vec::new();
    for at in 0..f.ct.len() {
        for bit in 0..8u8 {
            let f = Arc::clone(&f);
            let (want, fail_chunk) = flip_expectation(&f, at, bit);
            cases.push(Case::new(
                format!("bit {bit} of byte {at} -> {want:?}"),
                move || {
                    let mut ct = f.ct.clone();
                    ct[at] ^= 1 << bit;
                    f.refuse(&f.keys, &ct, want, fail_chunk)
                },
            ));
        }
    }
    let g = Arc::clone(&f);
    cases.push(Case::new(
        "the untouched ciphertext still opens",
        move || {
            same(
                "open",
                g.backend.open(&g.keys, &g.ct).map(|p| p.0),
                Ok(g.plaintext.clone()),
            )
        },
    ));
    let n = run_table("bit flips", cases);
    assert_eq!(n, 8 * f.ct.len() + 1);
}

#[test]
fn chunk_surgery_is_refused() {
    use DecryptionError::{AuthenticationFailed, Truncated};
    // Four chunks, the last partial; three full chunks; one empty chunk.
    let partial = fixture(102, 1, 3 * CHUNK + 512);
    let full = fixture(103, 1, 3 * CHUNK);
    let empty = fixture(104, 1, 0);
    // Same recipient as `partial` (same seed), sealed a second time: another content key.
    let other = {
        let mut b = common::backend(102);
        let me = b.generate_identity();
        let first = b.seal(std::slice::from_ref(&me.external), &partial.plaintext);
        assert_eq!(
            first.unwrap().0,
            partial.ct,
            "same seed, same first ciphertext"
        );
        b.seal(
            std::slice::from_ref(&me.external),
            &payload(3 * CHUNK + 512, 1),
        )
        .unwrap()
        .0
    };
    assert_eq!(partial.chunks().len(), 4);
    assert_eq!(full.chunks().len(), 3);
    assert_eq!(empty.chunks().len(), 1);
    let foreign_chunk = other[partial.header_len()..partial.header_len() + SEALED_CHUNK].to_vec();
    let foreign_last = other[partial.header_len() + 3 * SEALED_CHUNK..].to_vec();
    type Row = (
        &'static str,
        usize,
        Vec<usize>,
        Vec<u8>,
        DecryptionError,
        usize,
    );
    let rows: Vec<(&Arc<Fixture>, Row)> = vec![
        (
            &partial,
            (
                "swap chunks 0 and 1",
                0,
                vec![1, 0, 2, 3],
                vec![],
                AuthenticationFailed,
                0,
            ),
        ),
        (
            &partial,
            (
                "swap chunks 2 and 3 (last)",
                0,
                vec![0, 1, 3, 2],
                vec![],
                AuthenticationFailed,
                2,
            ),
        ),
        (
            &partial,
            (
                "duplicate chunk 1",
                0,
                vec![0, 1, 1, 2, 3],
                vec![],
                AuthenticationFailed,
                2,
            ),
        ),
        (
            &partial,
            (
                "duplicate the last chunk",
                0,
                vec![0, 1, 2, 3, 3],
                vec![],
                AuthenticationFailed,
                3,
            ),
        ),
        (
            &partial,
            (
                "drop chunk 1",
                0,
                vec![0, 2, 3],
                vec![],
                AuthenticationFailed,
                1,
            ),
        ),
        (
            &partial,
            (
                "drop the last chunk",
                0,
                vec![0, 1, 2],
                vec![],
                Truncated,
                2,
            ),
        ),
        (
            &partial,
            ("drop every chunk", 0, vec![], vec![], Truncated, 0),
        ),
        (
            &partial,
            (
                "append a copy of chunk 0",
                0,
                vec![0, 1, 2, 3, 0],
                vec![],
                AuthenticationFailed,
                3,
            ),
        ),
        (
            &partial,
            (
                "append 16 zero bytes (an empty final chunk)",
                0,
                vec![0, 1, 2, 3],
                vec![0; TAG_LEN],
                AuthenticationFailed,
                3,
            ),
        ),
        (
            &partial,
            (
                "append a chunk of another ciphertext",
                0,
                vec![0, 1, 2, 3],
                foreign_chunk.clone(),
                AuthenticationFailed,
                3,
            ),
        ),
        (
            &partial,
            (
                "replace chunk 0 by another ciphertext's",
                1,
                vec![1, 2, 3],
                vec![],
                AuthenticationFailed,
                0,
            ),
        ),
        (
            &partial,
            (
                "replace the last chunk by another ciphertext's",
                0,
                vec![0, 1, 2],
                foreign_last.clone(),
                AuthenticationFailed,
                3,
            ),
        ),
        (
            &full,
            (
                "drop the last full chunk",
                0,
                vec![0, 1],
                vec![],
                Truncated,
                1,
            ),
        ),
        (
            &full,
            (
                "drop the last two full chunks",
                0,
                vec![0],
                vec![],
                Truncated,
                0,
            ),
        ),
        (
            &full,
            (
                "append a copy of the last chunk",
                0,
                vec![0, 1, 2, 2],
                vec![],
                AuthenticationFailed,
                2,
            ),
        ),
        (
            &full,
            (
                "append a copy of chunk 0",
                0,
                vec![0, 1, 2, 0],
                vec![],
                AuthenticationFailed,
                2,
            ),
        ),
        (
            &full,
            (
                "append 16 zero bytes",
                0,
                vec![0, 1, 2],
                vec![0; TAG_LEN],
                AuthenticationFailed,
                2,
            ),
        ),
        (
            &full,
            (
                "swap the last two chunks",
                0,
                vec![0, 2, 1],
                vec![],
                AuthenticationFailed,
                1,
            ),
        ),
        (
            &full,
            (
                "last chunk moved first",
                0,
                vec![2, 0, 1],
                vec![],
                AuthenticationFailed,
                0,
            ),
        ),
        (
            &empty,
            (
                "drop the only (empty) chunk",
                0,
                vec![],
                vec![],
                Truncated,
                0,
            ),
        ),
        (
            &empty,
            (
                "duplicate the only (empty) chunk",
                0,
                vec![0, 0],
                vec![],
                AuthenticationFailed,
                0,
            ),
        ),
        (
            &empty,
            (
                "a tag's worth of zeros instead of the chunk",
                0,
                vec![],
                vec![0; TAG_LEN],
                AuthenticationFailed,
                0,
            ),
        ),
        (
            &empty,
            (
                "one byte short of a tag",
                0,
                vec![],
                vec![0; TAG_LEN - 1],
                Truncated,
                0,
            ),
        ),
    ];
    let mut cases = Vec::new();
    for (f, (name, prefix_foreign, order, extra, want, fail_chunk)) in rows {
        let f = Arc::clone(f);
        let foreign = foreign_chunk.clone();
        cases.push(Case::new(name, move || {
            let mut ct = f.with_chunks(&order, &extra);
            if prefix_foreign == 1 {
                let h = f.header_len();
                ct.splice(h..h, foreign);
            }
            f.refuse(&f.keys, &ct, want, fail_chunk)?;
            // Nothing was lost: the genuine ciphertext still opens.
            same(
                "genuine",
                f.backend.open(&f.keys, &f.ct).map(|p| p.0),
                Ok(f.plaintext.clone()),
            )
        }));
    }
    run_table("chunk surgery", cases);
}

/// The header bytes of `f` with its recipient count set to `count`.
fn with_count(ct: &[u8], count: u16) -> Vec<u8> {
    let mut ct = ct.to_vec();
    ct[7..9].copy_from_slice(&count.to_be_bytes());
    ct
}

/// A ciphertext whose header and payload are both authentic (sealed by someone
/// holding the content key), but whose recipient entries are chosen freely.
fn forge_authentic(
    b: &mut HpkeBackend<SeededRng>,
    entries_for: &[&InternalIdentity],
    plaintext: &[u8],
) -> Vec<u8> {
    let content_key = [0x42u8; 32];
    let recipients = entries_for
        .iter()
        .map(|id| {
            let identity = id.id();
            let key = id.key_id();
            let aad = RecipientEntry::hpke_aad(&identity, &key);
            let (enc, wrapped) = b
                .hpke_base_seal(&id.external.encryption_key, HPKE_INFO, &aad, &content_key)
                .unwrap();
            let mut e = RecipientEntry {
                identity,
                key,
                enc,
                wrapped: [0; WRAPPED_LEN],
            };
            e.wrapped.copy_from_slice(&wrapped);
            e
        })
        .collect();
    let header = Header {
        chunk_log2: common::CHUNK_LOG2,
        recipients,
    }
    .to_bytes();
    let aad: [u8; 32] = Sha256::digest(&header).into();
    let aead = ChaCha20Poly1305::new(&Key::from(content_key));
    let mut buf = plaintext.to_vec();
    let tag = aead
        .encrypt_inout_detached(
            &Nonce::from(chunk_nonce(0, true)),
            &aad,
            (&mut buf[..]).into(),
        )
        .unwrap();
    [header, buf, tag.to_vec()].concat()
}

#[test]
fn hostile_recipient_lists_are_refused() {
    use DecryptionError::{AuthenticationFailed, NoMatchingKey};
    let two = fixture(105, 2, 100);
    let one = fixture(106, 1, 100);
    let mut cases = Vec::new();
    for (name, count, want) in [
        (
            "zero recipients",
            0u16,
            malformed(CiphertextFault::RecipientCount),
        ),
        (
            "1025 recipients",
            1025,
            malformed(CiphertextFault::RecipientCount),
        ),
        (
            "65535 recipients",
            u16::MAX,
            malformed(CiphertextFault::RecipientCount),
        ),
        (
            "1024 recipients, one present",
            1024,
            malformed(CiphertextFault::HeaderTruncated),
        ),
        // 2 entries fit in the bytes: the payload's first bytes are read as the second
        // entry, and fewer than a tag's worth of bytes remain.
        ("2 recipients, one present", 2, DecryptionError::Truncated),
    ] {
        let f = Arc::clone(&one);
        cases.push(Case::new(name, move || {
            f.refuse(&f.keys, &with_count(&f.ct, count), want, 0)
        }));
    }
    // Entries of a genuine two-recipient header, swapped (unsorted) or duplicated.
    let h = PREFIX_LEN;
    let entry =
        move |f: &Fixture, i: usize| f.ct[h + i * ENTRY_LEN..h + (i + 1) * ENTRY_LEN].to_vec();
    let rebuilt = |f: &Fixture, entries: &[Vec<u8>]| {
        let mut ct = f.ct[..PREFIX_LEN].to_vec();
        ct[7..9].copy_from_slice(&(entries.len() as u16).to_be_bytes());
        entries.iter().for_each(|e| ct.extend(e));
        ct.extend(&f.ct[f.header_len()..]);
        ct
    };
    type Build = fn(&Fixture, &dyn Fn(&Fixture, usize) -> Vec<u8>) -> Vec<Vec<u8>>;
    let layouts: [(&str, Build, [DecryptionError; 2]); 5] = [
        (
            "entries swapped (unsorted)",
            |f, e| vec![e(f, 1), e(f, 0)],
            [
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
            ],
        ),
        (
            "entry 0 twice, entry 1 dropped",
            |f, e| vec![e(f, 0), e(f, 0)],
            [
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
            ],
        ),
        (
            "entry 1 twice, entry 0 dropped",
            |f, e| vec![e(f, 1), e(f, 1)],
            [
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
            ],
        ),
        (
            "entry 0 appended again (3 entries)",
            |f, e| vec![e(f, 0), e(f, 1), e(f, 0)],
            [
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
                DecryptionError::Malformed(CiphertextFault::RecipientOrder),
            ],
        ),
        (
            "only entry 1",
            |f, e| vec![e(f, 1)],
            [NoMatchingKey, AuthenticationFailed],
        ),
    ];
    for (name, build, wants) in layouts {
        for (who, want) in wants.into_iter().enumerate() {
            let f = Arc::clone(&two);
            cases.push(Case::new(
                format!("{name}, opened by recipient {who}"),
                move || {
                    let ct = rebuilt(&f, &build(&f, &entry));
                    let keys = ring(&[&f.ids[who]]);
                    f.refuse(&keys, &ct, want, 0)
                },
            ));
        }
    }
    // An entry from another ciphertext to the same recipient: its wrapped key opens
    // to the other content key, which does not open this payload.
    let f = Arc::clone(&one);
    cases.push(Case::new(
        "entry spliced from another ciphertext",
        move || {
            let mut b = common::backend(106);
            let me = b.generate_identity();
            let first = b
                .seal(std::slice::from_ref(&me.external), &f.plaintext)
                .unwrap()
                .0;
            ensure(first == f.ct, || "same seed, same first ciphertext".into())?;
            let other = b
                .seal(std::slice::from_ref(&me.external), b"other")
                .unwrap()
                .0;
            let mut ct = f.ct.clone();
            ct[h..h + ENTRY_LEN].copy_from_slice(&other[h..h + ENTRY_LEN]);
            f.refuse(&f.keys, &ct, AuthenticationFailed, 0)
        },
    ));
    // A header that is authentic (the sealer held the content key) but unsorted or
    // repetitive is still refused: the reader requires the order and uniqueness the
    // format page states, so no header opens that a conforming sealer would not write.
    let f = Arc::clone(&two);
    cases.push(Case::new(
        "authentic header, unsorted and duplicated entries",
        move || {
            let mut b = common::backend(107);
            let (a, c) = (&f.ids[0], &f.ids[1]);
            let (lo, hi) = if a.id() < c.id() { (a, c) } else { (c, a) };
            for entries in [vec![hi, lo], vec![lo, lo], vec![hi, lo, hi]] {
                let ct = forge_authentic(&mut b, &entries, b"crafted");
                same(
                    "authentic crafted header",
                    f.backend.open(&ring(&[lo]), &ct).map(|p| p.0),
                    Err(DecryptionError::Malformed(CiphertextFault::RecipientOrder)),
                )?;
            }
            // The same construction in the sealer's order opens: the refusal is the order.
            let ct = forge_authentic(&mut b, &[lo, hi], b"crafted");
            same(
                "authentic crafted header in order",
                f.backend.open(&ring(&[lo]), &ct).map(|p| p.0),
                Ok(b"crafted".to_vec()),
            )
        },
    ));
    let f = Arc::clone(&two);
    cases.push(Case::new(
        "the genuine two-recipient ciphertext opens for both",
        move || {
            for id in &f.ids {
                same(
                    "genuine",
                    f.backend.open(&ring(&[id]), &f.ct).map(|p| p.0),
                    Ok(f.plaintext.clone()),
                )?;
            }
            Ok(())
        },
    ));
    run_table("recipient lists", cases);
}
