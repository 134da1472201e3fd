//! The passphrase-sealed vault file: header parsing without the passphrase, and opening.
//!
//! Selector 0: the rest is read as a vault file: `read_header` must never
//! panic, and when the file's Argon2 parameters are cheap it is opened with a
//! fixed passphrase (a hostile file may legitimately ask for up to 1 GiB of
//! Argon2 memory; that bound is the format's, so expensive files are only
//! header-parsed here). Otherwise a real vault (cheap Argon2) is sealed and
//! edited as the input says: unedited it opens to the sealed state, edited it
//! never opens, and a wrong passphrase never opens.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use engines::Backend;
use engines::backend::symbolic::SymbolicBackend;
use engines::decryption::DecryptionState;
use engines::vault_file::{self, KdfParams, VaultFileError};
use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::split_selector;
use spec::Address;

const PASSPHRASE: &[u8] = b"fuzz passphrase";

/// Argon2 parameters cheap enough to run on every input.
const FAST: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn cheap(p: KdfParams) -> bool {
    p.memory_kib <= 64 && p.iterations <= 2 && p.parallelism <= 2
}

fn state() -> &'static DecryptionState {
    static STATE: OnceLock<DecryptionState> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut b = SymbolicBackend::new(9);
        let mut s = DecryptionState::default();
        let owner = Address::new("client-1").expect("valid");
        let id = b.generate_identity();
        let rotated = b.rotate_encryption_key(&id);
        s.insert(owner.clone(), id);
        s.insert(owner, rotated);
        s.insert(
            Address::new("client-2").expect("valid"),
            b.generate_identity(),
        );
        s.next_serial = 3;
        s
    })
}

fn sealed() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        vault_file::seal(state(), PASSPHRASE, FAST, [5; 16], [6; 12]).expect("seals")
    })
}

fn raw(body: &[u8]) {
    let header = vault_file::read_header(body);
    let Ok(header) = header else {
        // Without a readable header nothing opens.
        assert!(vault_file::open(body, PASSPHRASE).is_err());
        return;
    };
    let _ = format!("{header:?}");
    for id in &header.identities {
        let _ = (id.id(), id.key_id(), id.to_string());
    }
    if !cheap(header.kdf_params()) {
        return;
    }
    if let Ok(state) = vault_file::open(body, PASSPHRASE) {
        // A vault that opens re-seals to one that opens to the same state.
        let again = vault_file::seal(&state, PASSPHRASE, FAST, [1; 16], [2; 12]).expect("reseals");
        assert_eq!(vault_file::open(&again, PASSPHRASE).as_ref(), Ok(&state));
        // The public header lists exactly the identities inside.
        let listed: Vec<_> = header.identities.iter().map(|i| i.id()).collect();
        let inside: Vec<_> = state.identities.keys().copied().collect();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        assert_eq!(listed_sorted, inside, "header and contents disagree");
    }
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Flip { at: u16, mask: u8 },
    Truncate { at: u16 },
    Insert { at: u16, byte: u8 },
    Remove { at: u16 },
}

#[derive(Arbitrary, Debug)]
struct Case {
    edits: Vec<Edit>,
    wrong_passphrase: Option<Vec<u8>>,
}

fn edited(body: &[u8]) {
    let Ok(case) = Case::arbitrary(&mut Unstructured::new(body)) else {
        return;
    };
    let original = sealed();
    let mut bytes = original.to_vec();
    for edit in case.edits.iter().take(4) {
        let at = |i: u16| usize::from(i) % (bytes.len() + 1);
        match *edit {
            Edit::Flip { at: i, mask } => {
                let i = at(i).min(bytes.len().saturating_sub(1));
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= mask;
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
        }
    }
    // An edit may make the KDF expensive; only the header is read then.
    let Ok(header) = vault_file::read_header(&bytes) else {
        assert!(bytes != original);
        return;
    };
    if !cheap(header.kdf_params()) {
        assert!(bytes != original);
        return;
    }
    let opened = vault_file::open(&bytes, PASSPHRASE);
    if bytes == original {
        assert_eq!(opened.as_ref(), Ok(state()));
    } else {
        assert!(opened.is_err(), "an altered vault file opened");
    }
    if let Some(wrong) = case.wrong_passphrase
        && wrong != PASSPHRASE
    {
        let r = vault_file::open(&bytes, &wrong);
        assert!(r.is_err(), "a wrong passphrase opened the vault");
        if bytes == original {
            assert_eq!(r, Err(VaultFileError::WrongPassphraseOrCorrupt));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (selector, body) = split_selector(data);
    match selector % 2 {
        0 => raw(body),
        _ => edited(body),
    }
});
