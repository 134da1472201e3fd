//! The reader's rules that `docs/wire-format/ciphertext.md` states normatively,
//! one test per rule: what a cut at a chunk boundary is called, what bytes after
//! the final chunk are called, and how recipient entries are ordered and kept
//! unique. Where a rule is about the payload, the ciphertexts are written here
//! from the page (a known content key, the documented nonces and aad) and read
//! both by the page's steps, written out below, and by the backend; the two
//! must agree on every input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use common::{CHUNK, CHUNK_LOG2, SeededRng, backend, payload, ring};
use sealwright_engines::Backend;
use sealwright_engines::backend::format::{
    ENTRY_LEN, HPKE_INFO, Header, PREFIX_LEN, RecipientEntry, TAG_LEN, WRAPPED_LEN, chunk_nonce,
};
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::{KeyEntry, KeyRing, OpenStreamError};
use sealwright_engines::identity::InternalIdentity;
use sha2::{Digest, Sha256};
use spec::error::CiphertextFault;
use spec::{DecryptionError, ExternalIdentity, IdentityId, KeyId};

const SEALED_CHUNK: usize = CHUNK + TAG_LEN;
const CONTENT_KEY: [u8; 32] = [0x5c; 32];

/// One recipient entry to write: the ids it names and the X25519 key it is sealed to.
struct Entry {
    identity: IdentityId,
    key: KeyId,
    public: [u8; 32],
}

impl Entry {
    fn of(who: &ExternalIdentity) -> Entry {
        Entry {
            identity: who.id(),
            key: who.key_id(),
            public: who.encryption_key,
        }
    }
}

/// A ciphertext written from the page with [`CONTENT_KEY`]: the entries in the
/// order given (sorted or not), then the payload in 1 KiB chunks.
fn write(b: &mut HpkeBackend<SeededRng>, entries: &[Entry], plaintext: &[u8]) -> Vec<u8> {
    let recipients = entries
        .iter()
        .map(|e| {
            let aad = RecipientEntry::hpke_aad(&e.identity, &e.key);
            let (enc, wrapped) = b
                .hpke_base_seal(&e.public, HPKE_INFO, &aad, &CONTENT_KEY)
                .unwrap();
            let mut entry = RecipientEntry {
                identity: e.identity,
                key: e.key,
                enc,
                wrapped: [0; WRAPPED_LEN],
            };
            entry.wrapped.copy_from_slice(&wrapped);
            entry
        })
        .collect();
    let mut out = Header {
        chunk_log2: CHUNK_LOG2,
        recipients,
    }
    .to_bytes();
    let h: [u8; 32] = Sha256::digest(&out).into();
    let aead = ChaCha20Poly1305::new(&Key::from(CONTENT_KEY));
    let count = plaintext.len().div_ceil(CHUNK).max(1);
    for i in 0..count {
        let mut chunk = plaintext
            [(i * CHUNK).min(plaintext.len())..((i + 1) * CHUNK).min(plaintext.len())]
            .to_vec();
        let nonce = Nonce::from(chunk_nonce(i as u64, i + 1 == count));
        let tag = aead
            .encrypt_inout_detached(&nonce, &h, (&mut chunk[..]).into())
            .unwrap();
        out.extend(chunk);
        out.extend(tag);
    }
    out
}

/// Steps 4 and 5 of the page's "Decrypting, step by step", word for word, with
/// the content key already unwrapped: the payload starts at `header_len`.
fn page_reader(data: &[u8], header_len: usize) -> Result<Vec<u8>, DecryptionError> {
    let h: [u8; 32] = Sha256::digest(&data[..header_len]).into();
    let aead = ChaCha20Poly1305::new(&Key::from(CONTENT_KEY));
    let (mut at, mut index, mut out) = (header_len, 0u64, Vec::new());
    loop {
        let rest = data.len() - at;
        let piece = rest.min(SEALED_CHUNK);
        let last = rest <= SEALED_CHUNK;
        if piece < TAG_LEN {
            return Err(DecryptionError::Truncated);
        }
        let open = |last: bool| {
            let mut body = data[at..at + piece - TAG_LEN].to_vec();
            let mut tag = Tag::default();
            tag.copy_from_slice(&data[at + piece - TAG_LEN..at + piece]);
            let nonce = Nonce::from(chunk_nonce(index, last));
            aead.decrypt_inout_detached(&nonce, &h, (&mut body[..]).into(), &tag)
                .map(|()| body)
        };
        match open(last) {
            Ok(body) => out.extend(body),
            Err(_) if last && piece == SEALED_CHUNK && open(false).is_ok() => {
                return Err(DecryptionError::Truncated);
            }
            Err(_) => return Err(DecryptionError::AuthenticationFailed),
        }
        if last {
            return Ok(out);
        }
        at += piece;
        index += 1;
    }
}

/// Opens `ct` in memory and as a stream; both must give the same result.
/// Returns it, with the bytes the stream released before it stopped.
fn open_both(
    b: &HpkeBackend<SeededRng>,
    keys: &KeyRing,
    ct: &[u8],
) -> (Result<Vec<u8>, DecryptionError>, Vec<u8>) {
    let in_memory = b.open(keys, ct).map(|p| p.0);
    let mut released = Vec::new();
    let mut input = ct;
    let streamed = match b.open_stream(keys, &mut input, &mut released) {
        Ok(_) => Ok(released.clone()),
        Err(OpenStreamError::Open(e)) => Err(e),
        Err(OpenStreamError::Io(e)) => panic!("reading a slice failed: {e}"),
    };
    assert_eq!(in_memory, streamed, "in memory and streamed differ");
    (in_memory, released)
}

/// One recipient, a payload of `len` bytes written from the page, and its key ring.
fn sealed(seed: u64, len: usize) -> (HpkeBackend<SeededRng>, KeyRing, Vec<u8>, Vec<u8>) {
    let mut b = backend(seed);
    let me = b.generate_identity();
    let plaintext = payload(len, 3);
    let ct = write(&mut b, &[Entry::of(&me.external)], &plaintext);
    let (opened, _) = open_both(&b, &ring(&[&me]), &ct);
    assert_eq!(
        opened,
        Ok(plaintext.clone()),
        "the page's writer and the backend agree"
    );
    assert_eq!(
        page_reader(&ct, PREFIX_LEN + ENTRY_LEN),
        Ok(plaintext.clone())
    );
    (b, ring(&[&me]), plaintext, ct)
}

/// Payload lengths: empty, inside one chunk, exact multiples, a partial final chunk.
const LENGTHS: [usize; 7] = [
    0,
    1,
    CHUNK - 1,
    CHUNK,
    CHUNK + 1,
    2 * CHUNK,
    2 * CHUNK + 300,
];

/// Rule 1: input that ends exactly at a chunk boundary before the final chunk
/// (right after the header included) is `Truncated`. The stream has released
/// the chunks before the last one it read, never that one: it was not final.
#[test]
fn a_cut_at_a_chunk_boundary_is_truncated() {
    for (i, len) in LENGTHS.into_iter().enumerate() {
        let (b, keys, plaintext, ct) = sealed(10 + i as u64, len);
        let header = PREFIX_LEN + ENTRY_LEN;
        let chunks = len.div_ceil(CHUNK).max(1);
        for k in 0..chunks {
            let cut = &ct[..header + k * SEALED_CHUNK];
            let (result, released) = open_both(&b, &keys, cut);
            assert_eq!(
                result,
                Err(DecryptionError::Truncated),
                "len {len}, cut after {k} chunks"
            );
            assert_eq!(page_reader(cut, header), Err(DecryptionError::Truncated));
            assert_eq!(
                released,
                plaintext[..k.saturating_sub(1) * CHUNK],
                "len {len}: released before the cut"
            );
        }
    }
}

/// Rule 1, around it: the page's steps and the backend agree on every cut of a
/// three-chunk ciphertext. Inside a chunk, fewer than 16 bytes left is
/// `Truncated` (no chunk ends there) and 16 or more is `AuthenticationFailed`.
#[test]
fn the_page_steps_and_the_backend_agree_on_every_cut() {
    let (b, keys, _, ct) = sealed(20, 2 * CHUNK + 300);
    let header = PREFIX_LEN + ENTRY_LEN;
    for cut in header..ct.len() {
        let into_chunk = (cut - header) % SEALED_CHUNK;
        let want = if into_chunk < TAG_LEN {
            DecryptionError::Truncated
        } else {
            DecryptionError::AuthenticationFailed
        };
        assert_eq!(
            page_reader(&ct[..cut], header),
            Err(want.clone()),
            "page, cut at {cut}"
        );
        assert_eq!(
            b.open(&keys, &ct[..cut]),
            Err(want),
            "backend, cut at {cut}"
        );
    }
}

/// Rule 2: any byte after the final chunk makes the ciphertext `AuthenticationFailed`;
/// the final chunk's plaintext is never released.
#[test]
fn bytes_after_the_final_chunk_are_authentication_failed() {
    let extras = [
        1,
        TAG_LEN - 1,
        TAG_LEN,
        TAG_LEN + 1,
        CHUNK,
        SEALED_CHUNK - 1,
        SEALED_CHUNK,
        SEALED_CHUNK + 1,
    ];
    for (i, len) in LENGTHS.into_iter().enumerate() {
        let (b, keys, plaintext, ct) = sealed(30 + i as u64, len);
        let header = PREFIX_LEN + ENTRY_LEN;
        let chunks = len.div_ceil(CHUNK).max(1);
        let final_chunk = ct[header + (chunks - 1) * SEALED_CHUNK..].to_vec();
        let mut trailers: Vec<Vec<u8>> = extras.iter().map(|&n| vec![0u8; n]).collect();
        trailers.extend(extras.iter().map(|&n| payload(n, 9)));
        // The final chunk again: authentic bytes, in the wrong place.
        trailers.push(final_chunk);
        for trailer in trailers {
            let mut long = ct.clone();
            long.extend(&trailer);
            let (result, released) = open_both(&b, &keys, &long);
            let what = format!("len {len}, {} bytes appended", trailer.len());
            assert_eq!(result, Err(DecryptionError::AuthenticationFailed), "{what}");
            assert_eq!(
                page_reader(&long, header),
                Err(DecryptionError::AuthenticationFailed),
                "{what}"
            );
            assert!(
                released.len() <= (chunks - 1) * CHUNK,
                "{what}: the final chunk was released"
            );
            assert_eq!(released, plaintext[..released.len()], "{what}");
        }
    }
}

/// An entry with made-up ids (the header checks never look at the keys).
fn raw_entry(identity: [u8; 20], key: [u8; 8]) -> Vec<u8> {
    let mut e = identity.to_vec();
    e.extend(key);
    e.extend([0u8; ENTRY_LEN - 28]);
    e
}

fn parse(entries: &[Vec<u8>]) -> Result<usize, CiphertextFault> {
    Header::parse_entries(CHUNK_LOG2, &entries.concat()).map(|h| h.recipients.len())
}

fn id_bytes(first: u8, last: u8) -> [u8; 20] {
    let mut id = [0u8; 20];
    id[0] = first;
    id[19] = last;
    id
}

/// Rule 3a: entries strictly ascend by their 20 identity id bytes compared as
/// unsigned bytes, first byte first (not by their text forms, not signed).
#[test]
fn recipient_order_is_bytewise_on_identity_ids() {
    let order = Err(CiphertextFault::RecipientOrder);
    let k = [1u8; 8];
    // Bytewise ascending: accepted; any descent anywhere: refused.
    let (a, b, c) = (id_bytes(0x00, 0), id_bytes(0x00, 1), id_bytes(0x7f, 0));
    assert_eq!(
        parse(&[raw_entry(a, k), raw_entry(b, k), raw_entry(c, k)]),
        Ok(3)
    );
    assert_eq!(
        parse(&[raw_entry(a, k), raw_entry(c, k), raw_entry(b, k)]),
        order
    );
    // Unsigned: 0x80 sorts after 0x7f.
    let high = id_bytes(0x80, 0);
    assert_eq!(parse(&[raw_entry(c, k), raw_entry(high, k)]), Ok(2));
    assert_eq!(parse(&[raw_entry(high, k), raw_entry(c, k)]), order);
    // The bytes, not the text: 0xd0… is `sw12…` and sorts before `sw1a…` (0x00…) as text.
    let (zero, d0) = (IdentityId(id_bytes(0x00, 0)), IdentityId(id_bytes(0xd0, 0)));
    assert!(d0.to_string() < zero.to_string() && zero.0 < d0.0);
    assert_eq!(parse(&[raw_entry(zero.0, k), raw_entry(d0.0, k)]), Ok(2));
    assert_eq!(parse(&[raw_entry(d0.0, k), raw_entry(zero.0, k)]), order);
    // The sealer writes the same order.
    let mut s = backend(40);
    let ids: Vec<InternalIdentity> = (0..6).map(|_| s.generate_identity()).collect();
    let public: Vec<ExternalIdentity> = ids.iter().rev().map(|i| i.external.clone()).collect();
    let ct = s.seal(&public, b"order").unwrap().0;
    let written: Vec<[u8; 20]> = (0..6)
        .map(|i| ct[PREFIX_LEN + i * ENTRY_LEN..][..20].try_into().unwrap())
        .collect();
    let mut sorted = written.clone();
    sorted.sort();
    assert_eq!(written, sorted);
}

/// Rule 3b: an identity id appears at most once, whatever the key ids; a key id
/// may appear under several identity ids. A ring answers for each one.
#[test]
fn recipient_uniqueness_is_by_identity_id_not_key_id() {
    let order = Err(CiphertextFault::RecipientOrder);
    let id = id_bytes(0x10, 0);
    assert_eq!(
        parse(&[raw_entry(id, [1; 8]), raw_entry(id, [2; 8])]),
        order
    );
    assert_eq!(
        parse(&[raw_entry(id, [2; 8]), raw_entry(id, [1; 8])]),
        order
    );
    // Same key id under two identity ids; key ids that descend while identity ids ascend.
    assert_eq!(
        parse(&[
            raw_entry(id_bytes(1, 0), [7; 8]),
            raw_entry(id_bytes(2, 0), [7; 8])
        ]),
        Ok(2)
    );
    assert_eq!(
        parse(&[
            raw_entry(id_bytes(1, 0), [9; 8]),
            raw_entry(id_bytes(2, 0), [1; 8])
        ]),
        Ok(2)
    );

    // End to end: two authentic entries for one identity id (its current and a rotated
    // key) are refused, in either order, even by a ring that holds both keys.
    let mut b = backend(41);
    let alice = b.generate_identity();
    let rotated = b.rotate_encryption_key(&alice);
    let twice =
        |first: &InternalIdentity, second: &InternalIdentity, b: &mut HpkeBackend<SeededRng>| {
            let entry = |k: &InternalIdentity| Entry {
                identity: alice.id(),
                key: k.key_id(),
                public: k.external.encryption_key,
            };
            write(b, &[entry(first), entry(second)], b"twice")
        };
    let both: KeyRing = [&alice, &rotated]
        .iter()
        .map(|k| {
            (
                k.key_id(),
                KeyEntry {
                    identity: alice.id(),
                    secret: k.encryption_secret.clone(),
                },
            )
        })
        .collect();
    for ct in [
        twice(&alice, &rotated, &mut b),
        twice(&rotated, &alice, &mut b),
    ] {
        let (result, _) = open_both(&b, &both, &ct);
        assert_eq!(
            result,
            Err(DecryptionError::Malformed(CiphertextFault::RecipientOrder))
        );
    }

    // Two identities that share one encryption key: one key id, two identity ids.
    let bob = b.generate_identity();
    let shared = ExternalIdentity {
        verifying_key: bob.external.verifying_key,
        encryption_key: alice.external.encryption_key,
    };
    assert_eq!(shared.key_id(), alice.key_id());
    let ct = b
        .seal(&[alice.external.clone(), shared.clone()], b"shared key")
        .unwrap()
        .0;
    assert_eq!(u16::from_be_bytes([ct[7], ct[8]]), 2);
    for who in [alice.id(), shared.id()] {
        let keys = KeyRing::from([(
            alice.key_id(),
            KeyEntry {
                identity: who,
                secret: alice.encryption_secret.clone(),
            },
        )]);
        assert_eq!(open_both(&b, &keys, &ct).0, Ok(b"shared key".to_vec()));
    }
}

/// Rule 3c: the order is checked with the header, before any key is looked up:
/// a badly ordered header is `Malformed(RecipientOrder)` even to a vault that
/// holds none of its keys, and even when it holds them all.
#[test]
fn header_order_is_checked_before_keys() {
    let mut b = backend(42);
    let ids: Vec<InternalIdentity> = (0..2).map(|_| b.generate_identity()).collect();
    let (lo, hi) = if ids[0].id() < ids[1].id() {
        (&ids[0], &ids[1])
    } else {
        (&ids[1], &ids[0])
    };
    let ct = write(
        &mut b,
        &[Entry::of(&hi.external), Entry::of(&lo.external)],
        b"unsorted",
    );
    for keys in [KeyRing::new(), ring(&[lo]), ring(&[lo, hi])] {
        assert_eq!(
            open_both(&b, &keys, &ct).0,
            Err(DecryptionError::Malformed(CiphertextFault::RecipientOrder))
        );
    }
    let ct = write(
        &mut b,
        &[Entry::of(&lo.external), Entry::of(&hi.external)],
        b"sorted",
    );
    assert_eq!(open_both(&b, &ring(&[hi]), &ct).0, Ok(b"sorted".to_vec()));
}

/// Step 1 on input shorter than the 9-byte prefix: `HeaderTruncated` when what
/// there is begins like `SWCT` (empty input included), `BadMagic` otherwise.
#[test]
fn short_input_is_header_truncated_or_bad_magic() {
    let (b, keys, _, ct) = sealed(50, 10);
    let malformed = |f| Err(DecryptionError::Malformed(f));
    for n in 0..PREFIX_LEN {
        let (result, _) = open_both(&b, &keys, &ct[..n]);
        assert_eq!(
            result,
            malformed(CiphertextFault::HeaderTruncated),
            "{n} bytes"
        );
        if n > 0 {
            let mut wrong = ct[..n].to_vec();
            wrong[n.min(4) - 1] ^= 0x20;
            let (result, _) = open_both(&b, &keys, &wrong);
            assert_eq!(
                result,
                malformed(CiphertextFault::BadMagic),
                "{n} bytes, altered"
            );
        }
    }
    // Within the entries: the header is truncated.
    for n in PREFIX_LEN..PREFIX_LEN + ENTRY_LEN {
        assert_eq!(
            b.open(&keys, &ct[..n]).map(|p| p.0),
            malformed(CiphertextFault::HeaderTruncated)
        );
    }
}
