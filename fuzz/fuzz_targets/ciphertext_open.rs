//! Opening ciphertexts through the backends' stream path, with fixed keys.
//!
//! Selector 0: the rest is opened as an HPKE ciphertext with a fixed key ring,
//! once from a slice and once trickled in uneven reads; both must agree.
//! Selector 1: a symbolic ciphertext, inspected and opened.
//! Otherwise: a real ciphertext (plaintext, recipients and chunking chosen by
//! the input) is sealed, then edited as the input says; it must open to the
//! sealed plaintext when unedited and must not open at all once edited.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use engines::Backend;
use engines::backend::KeyRing;
use engines::backend::format::{ENTRY_LEN, PREFIX_LEN};
use engines::backend::symbolic::{SymbolicBackend, SymbolicSealed};
use engines::identity::InternalIdentity;
use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::{Trickle, fixed_identity, hpke_backend, ring, split_selector};
use spec::ExternalIdentity;

fn identities() -> &'static [InternalIdentity] {
    static IDS: OnceLock<Vec<InternalIdentity>> = OnceLock::new();
    IDS.get_or_init(|| (1..=3).map(fixed_identity).collect())
}

/// The vault's keys: identities 0 and 1 (identity 2 is someone else's).
fn vault_ring() -> KeyRing {
    let ids = identities();
    ring(&[&ids[0], &ids[1]])
}

/// Opens `bytes` from a slice and trickled; returns the (agreeing) outcome.
fn open_both<B: Backend>(
    b: &B,
    keys: &KeyRing,
    bytes: &[u8],
    steps: &[u8],
) -> Result<Vec<u8>, String> {
    let whole = b.open(keys, bytes).map(|p| p.0).map_err(|e| e.to_string());
    let mut out = Vec::new();
    let trickled = b
        .open_stream(keys, &mut Trickle::new(bytes, steps), &mut out)
        .map_err(|e| e.to_string())
        .map(|n| {
            assert_eq!(n as usize, out.len(), "the count is what was written");
            out
        });
    assert_eq!(whole, trickled, "reading in pieces changed the outcome");
    whole
}

fn raw_hpke(body: &[u8]) {
    let b = hpke_backend(0);
    let keys = vault_ring();
    let steps: Vec<u8> = body.iter().take(4).map(|s| s % 97).collect();
    // Seeds are real ciphertexts, so some inputs do open: the check is that
    // neither read pattern panics and both agree.
    let _ = open_both(&b, &keys, body, &steps);
}

fn raw_symbolic(body: &[u8]) {
    let mut b = SymbolicBackend::new(0);
    let held = b.generate_identity();
    let keys = ring(&[&held]);
    let inspected = SymbolicSealed::inspect(body);
    let opened = open_both(&b, &keys, body, &[3, 1, 7]);
    match (&inspected, &opened) {
        (Some(s), Ok(pt)) => {
            assert_eq!(&s.plaintext.0, pt);
            assert!(s.recipients.contains(&(held.id(), held.key_id())));
        }
        (Some(s), Err(_)) => assert!(!s.recipients.contains(&(held.id(), held.key_id()))),
        (None, Ok(_)) => panic!("opened what inspect refuses"),
        (None, Err(_)) => {}
    }
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Flip {
        at: u16,
        mask: u8,
    },
    Truncate {
        at: u16,
    },
    Insert {
        at: u16,
        byte: u8,
    },
    Remove {
        at: u16,
    },
    /// Swaps two 1 KiB + tag sealed chunks (the chunk size used here).
    SwapChunks {
        a: u8,
        b: u8,
    },
    Append {
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
struct Sealing {
    seed: u8,
    /// Bit i: identity i is a recipient (none: identity 0).
    recipients: u8,
    /// A recipient whose key no vault holds, with these key bytes.
    stranger: Option<[u8; 32]>,
    plaintext_len: u16,
    edits: Vec<Edit>,
    steps: [u8; 3],
}

fn sealed_then_edited(body: &[u8]) {
    let mut u = Unstructured::new(body);
    let Ok(s) = Sealing::arbitrary(&mut u) else {
        return;
    };
    let ids = identities();
    let mut recipients: Vec<ExternalIdentity> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| s.recipients & (1 << i) != 0)
        .map(|(_, id)| id.external.clone())
        .collect();
    if recipients.is_empty() {
        recipients.push(ids[0].external.clone());
    }
    if let Some(key) = s.stranger {
        recipients.push(ExternalIdentity {
            verifying_key: [7; 32],
            encryption_key: key,
        });
    }
    // Up to 5 KiB: several 1 KiB chunks, and the empty plaintext.
    let len = usize::from(s.plaintext_len) % (5 * 1024 + 1);
    let plaintext: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ s.seed)
        .collect();
    let mut b = hpke_backend(u64::from(s.seed));
    let Ok(ct) = b.seal(&recipients, &plaintext) else {
        // Only a low-order stranger key is refused.
        assert!(s.stranger.is_some());
        return;
    };
    let original = ct.0.clone();
    let mut bytes = ct.0;
    for edit in s.edits.iter().take(4) {
        let at = |i: u16| usize::from(i) % (bytes.len() + 1);
        match *edit {
            Edit::Flip { at: i, mask } => {
                let i = at(i).min(bytes.len().saturating_sub(1));
                if let Some(byte) = bytes.get_mut(i) {
                    *byte ^= mask;
                }
            }
            Edit::Truncate { at: i } => bytes.truncate(at(i)),
            Edit::Insert { at: i, byte } => bytes.insert(at(i), byte),
            Edit::Remove { at: i } => {
                let i = at(i);
                if i < bytes.len() {
                    bytes.remove(i);
                }
            }
            Edit::SwapChunks { a, b: c } => {
                let header = PREFIX_LEN + recipients.len() * ENTRY_LEN;
                let sealed = 1024 + 16;
                let (a, c) = (usize::from(a % 6), usize::from(c % 6));
                let (lo, hi) = (a.min(c), a.max(c));
                let end = header + (hi + 1) * sealed;
                if lo != hi && end <= bytes.len() {
                    let (x, y) = (header + lo * sealed, header + hi * sealed);
                    let first: Vec<u8> = bytes[x..x + sealed].to_vec();
                    let second: Vec<u8> = bytes[y..y + sealed].to_vec();
                    bytes[x..x + sealed].copy_from_slice(&second);
                    bytes[y..y + sealed].copy_from_slice(&first);
                }
            }
            Edit::Append { bytes: ref extra } => bytes.extend(extra.iter().take(64)),
        }
    }
    let held_recipient = recipients
        .iter()
        .any(|r| r.id() == ids[0].id() || r.id() == ids[1].id());
    let opened = open_both(&b, &vault_ring(), &bytes, &s.steps);
    if bytes == original {
        if held_recipient {
            assert_eq!(
                opened,
                Ok(plaintext),
                "an intact ciphertext opens to what was sealed"
            );
        } else {
            assert!(opened.is_err(), "opened without a recipient key");
        }
    } else {
        assert!(opened.is_err(), "an altered ciphertext opened: {opened:?}");
    }
    // Someone holding only identity 2's key opens it exactly when identity 2 is a recipient.
    let other = ring(&[&ids[2]]);
    if bytes == original {
        let r = b.open(&other, &bytes);
        assert_eq!(r.is_ok(), recipients.iter().any(|x| x.id() == ids[2].id()));
    }
}

fuzz_target!(|data: &[u8]| {
    let (selector, body) = split_selector(data);
    match selector % 4 {
        0 => raw_hpke(body),
        1 => raw_symbolic(body),
        _ => sealed_then_edited(body),
    }
});
