//! Faults in the passphrase-sealed vault file, as tables of (name, file bytes, exact `VaultFileError`).
//!
//! Wrong passphrases; hostile KDF parameters and formats; every single-byte
//! corruption of the file (all 255 other values of every structural byte, three
//! of every content byte), with the exact error wherever the byte's field fixes
//! it; every truncation; authentic files whose contents do not decode. Every row
//! runs under the watchdog of `common`. (An interrupted write, which happens in
//! the command line's writer, is exercised in `checker/tests/vault_interrupted.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ops::Range;
use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ciborium::Value;
use common::{Case, backend, ensure, run_table, same};
use sealwright_engines::Backend;
use sealwright_engines::decryption::DecryptionState;
use sealwright_engines::vault_file::{self, KdfParams, MAX_MEMORY_KIB, VaultFileError};
use spec::Address;

const PASS: &[u8] = b"correct horse battery staple";
const FAST: KdfParams = KdfParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};
const SALT: [u8; 16] = [0x51; 16];
const NONCE: [u8; 12] = [0x4e; 12];

fn state() -> DecryptionState {
    let mut b = backend(41);
    let mut s = DecryptionState::default();
    let alice = b.generate_identity();
    let rotated = b.rotate_encryption_key(&alice);
    s.insert(Address::new("cli").unwrap(), alice);
    s.insert(Address::new("cli").unwrap(), rotated);
    s.next_serial = 9;
    s
}

fn sealed() -> Vec<u8> {
    vault_file::seal(&state(), PASS, FAST, SALT, NONCE).unwrap()
}

/// The variants of [`VaultFileError`]. No wildcard: a new variant must be classified here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Malformed,
    UnsupportedFormat,
    KdfOutOfBounds,
    WrongPassphraseOrCorrupt,
}

fn kind(e: &VaultFileError) -> Kind {
    match e {
        VaultFileError::Malformed(_) => Kind::Malformed,
        VaultFileError::UnsupportedFormat(_) => Kind::UnsupportedFormat,
        VaultFileError::KdfOutOfBounds => Kind::KdfOutOfBounds,
        VaultFileError::WrongPassphraseOrCorrupt => Kind::WrongPassphraseOrCorrupt,
    }
}

/// Opens `bytes`; it must fail with a variant in `allowed`, with a short message.
fn refuse(bytes: &[u8], pass: &[u8], allowed: &[Kind]) -> Result<(), String> {
    match vault_file::open(bytes, pass) {
        Ok(_) => Err(format!("opened; expected one of {allowed:?}")),
        Err(e) => {
            ensure(e.to_string().len() < 400, || {
                format!("error text of {} bytes", e.to_string().len())
            })?;
            ensure(allowed.contains(&kind(&e)), || {
                format!("got {e:?}, expected one of {allowed:?}")
            })
        }
    }
}

fn to_value(bytes: &[u8]) -> Value {
    ciborium::from_reader(bytes).unwrap()
}

fn from_value(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

/// The value under `path` (map keys) in a vault file's CBOR.
fn field<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Value {
    let Some((first, rest)) = path.split_first() else {
        return v;
    };
    let Value::Map(entries) = v else {
        panic!("not a map at {first}")
    };
    let (_, next) = entries
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(first))
        .unwrap_or_else(|| panic!("no field {first}"));
    field(next, rest)
}

fn edited(bytes: &[u8], path: &[&str], to: Value) -> Vec<u8> {
    let mut v = to_value(bytes);
    *field(&mut v, path) = to;
    from_value(&v)
}

#[test]
fn wrong_passphrases_and_hostile_headers_are_typed_errors() {
    use Kind::*;
    let file = Arc::new(sealed());
    let mut cases = Vec::new();
    for (name, pass) in [
        ("wrong passphrase", &b"wrong"[..]),
        ("empty passphrase", b""),
        (
            "passphrase with a trailing newline",
            b"correct horse battery staple\n",
        ),
        (
            "passphrase missing its last byte",
            b"correct horse battery stapl",
        ),
        ("passphrase in upper case", b"CORRECT HORSE BATTERY STAPLE"),
        ("passphrase of 4096 bytes", &[b'x'; 4096]),
    ] {
        let file = Arc::clone(&file);
        cases.push(Case::new(name, move || {
            refuse(&file, pass, &[WrongPassphraseOrCorrupt])
        }));
    }
    let params = ["header", "kdf", "params"];
    let mut with = |name: &str, path: Vec<&'static str>, to: Value, want: Kind| {
        let bytes = edited(&file, &path, to);
        cases.push(Case::new(name.to_owned(), move || {
            refuse(&bytes, PASS, &[want])
        }));
    };
    let p = |f: &'static str| [params.as_slice(), &[f]].concat();
    with(
        "memory of 2^32-1 KiB",
        p("memoryKib"),
        u32::MAX.into(),
        KdfOutOfBounds,
    );
    with(
        "memory one KiB over the bound",
        p("memoryKib"),
        (MAX_MEMORY_KIB + 1).into(),
        KdfOutOfBounds,
    );
    with(
        "memory below Argon2's minimum",
        p("memoryKib"),
        7.into(),
        KdfOutOfBounds,
    );
    with(
        "memory of 2^40 KiB (not a u32)",
        p("memoryKib"),
        (1u64 << 40).into(),
        Malformed,
    );
    with("zero iterations", p("iterations"), 0.into(), KdfOutOfBounds);
    with("65 iterations", p("iterations"), 65.into(), KdfOutOfBounds);
    with(
        "2^32-1 iterations",
        p("iterations"),
        u32::MAX.into(),
        KdfOutOfBounds,
    );
    with("zero lanes", p("parallelism"), 0.into(), KdfOutOfBounds);
    with("17 lanes", p("parallelism"), 17.into(), KdfOutOfBounds);
    with("negative memory", p("memoryKib"), (-1).into(), Malformed);
    with(
        "algorithm argon2i",
        vec!["header", "kdf", "algorithm"],
        "argon2i".into(),
        KdfOutOfBounds,
    );
    with(
        "algorithm empty",
        vec!["header", "kdf", "algorithm"],
        "".into(),
        KdfOutOfBounds,
    );
    // In bounds but not what was sealed with: a different key, so the seal fails.
    with(
        "memory changed within bounds",
        p("memoryKib"),
        128.into(),
        WrongPassphraseOrCorrupt,
    );
    with(
        "iterations changed within bounds",
        p("iterations"),
        2.into(),
        WrongPassphraseOrCorrupt,
    );
    with(
        "salt changed",
        vec!["header", "kdf", "salt"],
        Value::Bytes(vec![0x52; 16]),
        WrongPassphraseOrCorrupt,
    );
    with(
        "salt of 15 bytes",
        vec!["header", "kdf", "salt"],
        Value::Bytes(vec![0x51; 15]),
        Malformed,
    );
    with(
        "nonce changed",
        vec!["nonce"],
        Value::Bytes(vec![0x4f; 12]),
        WrongPassphraseOrCorrupt,
    );
    with(
        "nonce of 11 bytes",
        vec!["nonce"],
        Value::Bytes(vec![0x4e; 11]),
        Malformed,
    );
    with(
        "sealed part shorter than a tag",
        vec!["sealed"],
        Value::Bytes(vec![0; 15]),
        WrongPassphraseOrCorrupt,
    );
    with(
        "sealed part empty",
        vec!["sealed"],
        Value::Bytes(vec![]),
        WrongPassphraseOrCorrupt,
    );
    with(
        "identities removed from the header",
        vec!["header", "identities"],
        Value::Array(vec![]),
        WrongPassphraseOrCorrupt,
    );
    with(
        "format v2",
        vec!["header", "format"],
        "sealwright-vault/v2".into(),
        UnsupportedFormat,
    );
    with(
        "format of 10 000 characters",
        vec!["header", "format"],
        "x".repeat(10_000).into(),
        UnsupportedFormat,
    );
    with(
        "header replaced by an integer",
        vec!["header"],
        0.into(),
        Malformed,
    );
    let file2 = Arc::clone(&file);
    cases.push(Case::new("long format is echoed only in part", move || {
        let bytes = edited(&file2, &["header", "format"], "y".repeat(10_000).into());
        match vault_file::open(&bytes, PASS) {
            Err(VaultFileError::UnsupportedFormat(shown)) => ensure(shown.len() <= 40, || {
                format!("echoed {} characters", shown.len())
            }),
            other => Err(format!("{other:?}")),
        }
    }));
    for (name, bytes) in [
        ("empty file", vec![]),
        ("a text file", b"correct horse battery staple\n".to_vec()),
        ("a ciphertext's magic", b"SWCT\x01\x01\x10\x00\x01".to_vec()),
        ("an empty CBOR map", vec![0xa0]),
        (
            "4 MiB and one byte",
            vec![0; vault_file::MAX_VAULT_BYTES + 1],
        ),
    ] {
        cases.push(Case::new(name, move || refuse(&bytes, PASS, &[Malformed])));
    }
    let file3 = Arc::clone(&file);
    cases.push(Case::new("trailing byte after the file", move || {
        let mut bytes = file3.to_vec();
        bytes.push(0);
        refuse(&bytes, PASS, &[Malformed])
    }));
    let file4 = Arc::clone(&file);
    cases.push(Case::new("the untouched file still opens", move || {
        same("open", vault_file::open(&file4, PASS), Ok(state()))
    }));
    run_table("passphrases and headers", cases);
}

#[test]
fn every_truncation_is_malformed() {
    let file = Arc::new(sealed());
    let mut cases = Vec::new();
    for cut in 0..file.len() {
        let file = Arc::clone(&file);
        cases.push(Case::new(
            format!("cut at {cut} of {}", file.len()),
            move || {
                refuse(&file[..cut], PASS, &[Kind::Malformed])?;
                same(
                    "read_header",
                    vault_file::read_header(&file[..cut])
                        .map(drop)
                        .map_err(|e| kind(&e)),
                    Err(Kind::Malformed),
                )
            },
        ));
    }
    run_table("vault truncations", cases);
}

/// Where a byte's field fixes the error a corruption of it must give.
#[derive(Debug, Clone)]
enum Region {
    /// Authenticated content (salt, nonce, sealed bytes, public keys): the seal fails.
    Sealed,
    /// The format text: another format, or not UTF-8.
    Format,
    /// The KDF algorithm text: refused as out of bounds, or not UTF-8.
    Algorithm,
    /// Heads, keys and small integers: any typed error.
    Structure,
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:02x?} not found"))
}

fn regions(file: &[u8]) -> Vec<(Range<usize>, Region)> {
    let mut out = Vec::new();
    let mut content = |needle: &[u8], region: Region| {
        let at = find(file, needle);
        out.push((at..at + needle.len(), region));
    };
    content(b"sealwright-vault/v1", Region::Format);
    content(b"argon2id", Region::Algorithm);
    content(&SALT, Region::Sealed);
    content(&NONCE, Region::Sealed);
    for id in state().identities.values() {
        content(&id.secrets.external.verifying_key, Region::Sealed);
        content(&id.secrets.external.encryption_key, Region::Sealed);
    }
    // The sealed bytes are the file's last field: its content runs to the end.
    let mut v = to_value(file);
    let Value::Bytes(sealed) = field(&mut v, &["sealed"]).clone() else {
        panic!()
    };
    out.push((file.len() - sealed.len()..file.len(), Region::Sealed));
    out
}

fn region_of(regions: &[(Range<usize>, Region)], at: usize) -> Region {
    regions
        .iter()
        .find(|(r, _)| r.contains(&at))
        .map_or(Region::Structure, |(_, region)| region.clone())
}

#[test]
fn every_single_byte_corruption_is_a_typed_error() {
    use Kind::*;
    let file = Arc::new(sealed());
    let regions = regions(&file);
    let mut cases = Vec::new();
    let mut per_region = std::collections::BTreeMap::<String, usize>::new();
    for at in 0..file.len() {
        let region = region_of(&regions, at);
        let values: Vec<u8> = match region {
            // Content bytes: three corruptions each (low bit, high bit, all bits).
            Region::Sealed => [0x01u8, 0x80, 0xff].iter().map(|x| file[at] ^ x).collect(),
            // Structure and texts: every other value.
            _ => (0..=255u8).filter(|&v| v != file[at]).collect(),
        };
        for value in values {
            let mut bytes = file.to_vec();
            bytes[at] = value;
            let allowed: Vec<Kind> = match &region {
                Region::Sealed => vec![WrongPassphraseOrCorrupt],
                Region::Format => {
                    let r = find(&file, b"sealwright-vault/v1");
                    if std::str::from_utf8(&bytes[r..r + 19]).is_ok() {
                        vec![UnsupportedFormat]
                    } else {
                        vec![Malformed]
                    }
                }
                Region::Algorithm => {
                    let r = find(&file, b"argon2id");
                    if std::str::from_utf8(&bytes[r..r + 8]).is_ok() {
                        vec![KdfOutOfBounds]
                    } else {
                        vec![Malformed]
                    }
                }
                Region::Structure => vec![
                    Malformed,
                    UnsupportedFormat,
                    KdfOutOfBounds,
                    WrongPassphraseOrCorrupt,
                ],
            };
            *per_region.entry(format!("{region:?}")).or_default() += 1;
            cases.push(Case::new(
                format!("byte {at} ({region:?}) set to {value:#04x}"),
                move || refuse(&bytes, PASS, &allowed),
            ));
        }
    }
    eprintln!("corruptions by region: {per_region:?}");
    let file2 = Arc::clone(&file);
    cases.push(Case::new("the untouched file still opens", move || {
        same("open", vault_file::open(&file2, PASS), Ok(state()))
    }));
    run_table("vault corruptions", cases);
}

/// Seals `contents` exactly as the vault does, under the real passphrase, so the
/// seal opens and only the contents are wrong.
fn authentic_with_contents(file: &[u8], contents: &[u8]) -> Vec<u8> {
    let mut v = to_value(file);
    let header = field(&mut v, &["header"]).clone();
    let header_bytes = from_value(&header);
    let params = Params::new(FAST.memory_kib, FAST.iterations, FAST.parallelism, Some(32)).unwrap();
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(PASS, &SALT, &mut key)
        .unwrap();
    let aead = ChaCha20Poly1305::new(&Key::from(key));
    let mut buf = contents.to_vec();
    let tag = aead
        .encrypt_inout_detached(&Nonce::from(NONCE), &header_bytes, (&mut buf[..]).into())
        .unwrap();
    buf.extend_from_slice(&tag);
    *field(&mut v, &["sealed"]) = Value::Bytes(buf);
    from_value(&v)
}

#[test]
fn authentic_files_with_bad_contents_are_malformed() {
    let file = Arc::new(sealed());
    let mut cases = Vec::new();
    // Control: re-sealing the genuine contents this way gives back an openable file.
    let genuine_contents = {
        let mut v = to_value(&file);
        let Value::Bytes(sealed) = field(&mut v, &["sealed"]).clone() else {
            panic!()
        };
        let params = Params::new(64, 1, 1, Some(32)).unwrap();
        let mut key = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(PASS, &SALT, &mut key)
            .unwrap();
        let header = from_value(field(&mut v, &["header"]));
        let (ct, tag) = sealed.split_at(sealed.len() - 16);
        let mut tag_arr = chacha20poly1305::Tag::default();
        tag_arr.copy_from_slice(tag);
        let mut buf = ct.to_vec();
        ChaCha20Poly1305::new(&Key::from(key))
            .decrypt_inout_detached(
                &Nonce::from(NONCE),
                &header,
                (&mut buf[..]).into(),
                &tag_arr,
            )
            .unwrap();
        buf
    };
    let f = Arc::clone(&file);
    let g = genuine_contents.clone();
    cases.push(Case::new(
        "genuine contents re-sealed (control)",
        move || {
            same(
                "open",
                vault_file::open(&authentic_with_contents(&f, &g), PASS),
                Ok(state()),
            )
        },
    ));
    let mut trailing = genuine_contents.clone();
    trailing.push(0);
    let mut wrong_serial = to_value(&genuine_contents);
    *field(&mut wrong_serial, &["nextSerial"]) = Value::Text("nine".into());
    let mut deep = vec![0x81u8; 40];
    deep.push(0);
    for (name, contents) in [
        ("empty contents", vec![]),
        ("contents that are not CBOR", b"\xff\xff\xff".to_vec()),
        ("contents with a trailing byte", trailing),
        ("contents with a text serial", from_value(&wrong_serial)),
        ("contents nested 40 deep", deep),
        (
            "contents claiming a 2^63-byte string",
            vec![0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0],
        ),
    ] {
        let f = Arc::clone(&file);
        cases.push(Case::new(name, move || {
            refuse(
                &authentic_with_contents(&f, &contents),
                PASS,
                &[Kind::Malformed],
            )
        }));
    }
    run_table("authentic files, bad contents", cases);
}
