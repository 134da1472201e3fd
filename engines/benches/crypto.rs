//! One seal and one open of 1 KiB through the HPKE backend against the cost
//! of the X25519 scalar multiplications they cannot avoid, and a breakdown
//! of where a seal's time goes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::hint::black_box;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use criterion::{Criterion, criterion_group, criterion_main};
use hpke::aead::ChaCha20Poly1305 as HpkeChaCha;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{Rng, UnwrapErr};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use sealwright_engines::Backend;
use sealwright_engines::backend::format::{HPKE_INFO, RecipientEntry};
use sealwright_engines::backend::hpke::HpkeBackend;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroize;

use common::{
    KIB, config, interleaved, interleaved_many, keyring, median_ns, now, print_ratio, us,
    with_load_report,
};

/// Alternating rounds for the interleaved ratios.
const ROUNDS: usize = 15;

type KemPublicKey = <X25519HkdfSha256 as Kem>::PublicKey;
type KemPrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;
type KemEncapped = <X25519HkdfSha256 as Kem>::EncappedKey;

/// A different 32-byte scalar each call, without an RNG in the timed loop.
fn next_scalar(counter: &mut u64) -> [u8; 32] {
    *counter = counter.wrapping_add(1);
    let mut bytes = [0x42u8; 32];
    bytes[..8].copy_from_slice(&counter.to_le_bytes());
    bytes
}

fn seal_vs_floor(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let recipient = backend.generate_identity();
    let recipients = [recipient.external.clone()];
    let plaintext = vec![0x5au8; KIB];
    let ciphertext = backend.seal(&recipients, &plaintext).unwrap();
    let keys = keyring(&recipient);
    assert_eq!(backend.open(&keys, &ciphertext.0).unwrap().0, plaintext);

    let their_public = PublicKey::from(recipient.external.encryption_key);
    let our_secret = StaticSecret::from(*recipient.encryption_secret.expose());
    // The ephemeral public key a real ciphertext carries (the first entry's `enc`).
    let mut enc = [0u8; 32];
    enc.copy_from_slice(&ciphertext.0[9 + 20 + 8..9 + 20 + 8 + 32]);
    let enc_public = PublicKey::from(enc);

    let started = now();
    let mut group = c.benchmark_group("seal_vs_floor");
    group.bench_function("seal", |b| {
        b.iter(|| backend.seal(black_box(&recipients), black_box(&plaintext)))
    });
    let mut counter = 0u64;
    group.bench_function("floor_seal", |b| {
        // One fixed-base (the ephemeral public key) and one variable-base (the DH) multiplication.
        b.iter(|| {
            let eph = StaticSecret::from(next_scalar(&mut counter));
            let enc = PublicKey::from(&eph);
            let shared = eph.diffie_hellman(black_box(&their_public));
            (enc.to_bytes(), shared.to_bytes())
        })
    });
    group.bench_function("open", |b| {
        b.iter(|| backend.open(black_box(&keys), black_box(&ciphertext.0)))
    });
    group.bench_function("floor_open", |b| {
        // One variable-base multiplication (the recipient's public key is known).
        b.iter(|| our_secret.diffie_hellman(black_box(&enc_public)).to_bytes())
    });
    group.finish();
    if median_ns("seal_vs_floor", "seal", started).is_none() {
        println!("RATIO seal/floor: skipped (group not measured in this run)");
        return;
    }

    let mut counter = 0u64;
    let seal_pair = with_load_report("seal_vs_floor (seal pair)", || {
        interleaved(
            ROUNDS,
            || {
                black_box(backend.seal(&recipients, black_box(&plaintext)).unwrap());
            },
            || {
                let eph = StaticSecret::from(next_scalar(&mut counter));
                black_box(PublicKey::from(&eph));
                black_box(eph.diffie_hellman(black_box(&their_public)));
            },
        )
    });
    let open_pair = with_load_report("seal_vs_floor (open pair)", || {
        interleaved(
            ROUNDS,
            || {
                black_box(backend.open(&keys, black_box(&ciphertext.0)).unwrap());
            },
            || {
                black_box(our_secret.diffie_hellman(black_box(&enc_public)));
            },
        )
    });
    let get = |name: &str| median_ns("seal_vs_floor", name, started);
    print_ratio(
        "seal/floor",
        &seal_pair,
        (get("seal"), get("floor_seal")),
        "<= 1.15",
    );
    print_ratio(
        "open/floor",
        &open_pair,
        (get("open"), get("floor_open")),
        "none set; reported",
    );
}

fn seal_breakdown(c: &mut Criterion) {
    let mut backend = HpkeBackend::new();
    let recipient = backend.generate_identity();
    let pk = KemPublicKey::from_bytes(&recipient.external.encryption_key).unwrap();
    let sk = KemPrivateKey::from_bytes(recipient.encryption_secret.expose()).unwrap();
    let aad = RecipientEntry::hpke_aad(&recipient.id(), &recipient.key_id());
    let content_key = [7u8; 32];
    let mut rng = UnwrapErr(getrandom::SysRng);
    let (enc, wrapped) =
        hpke::single_shot_seal_with_rng::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
            &OpModeS::Base,
            &pk,
            HPKE_INFO,
            &content_key,
            &aad,
            &mut rng,
        )
        .unwrap();
    let enc = KemEncapped::from_bytes(&enc.to_bytes()).unwrap();
    // A one-recipient header: 9-byte prefix and one 108-byte entry.
    let header = vec![0x11u8; 9 + 108];
    let aead = ChaCha20Poly1305::new(&Key::from([9u8; 32]));
    let header_hash: [u8; 32] = Sha256::digest(&header).into();
    let their_public = PublicKey::from(recipient.external.encryption_key);

    let started = now();
    let mut group = c.benchmark_group("seal_breakdown");
    group.bench_function("hpke_encap_seal_32b", |b| {
        b.iter(|| {
            hpke::single_shot_seal_with_rng::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                &OpModeS::Base,
                black_box(&pk),
                HPKE_INFO,
                black_box(&content_key),
                &aad,
                &mut rng,
            )
            .unwrap()
        })
    });
    group.bench_function("hpke_decap_open_32b", |b| {
        b.iter(|| {
            hpke::single_shot_open::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                black_box(&sk),
                black_box(&enc),
                HPKE_INFO,
                &wrapped,
                &aad,
            )
            .unwrap()
        })
    });
    group.bench_function("header_sha256", |b| {
        b.iter(|| -> [u8; 32] { Sha256::digest(black_box(&header)).into() })
    });
    let mut chunk = vec![0x5au8; KIB];
    group.bench_function("chunk_aead_1k", |b| {
        b.iter(|| {
            aead.encrypt_inout_detached(
                &Nonce::from([0u8; 12]),
                &header_hash,
                black_box(&mut chunk[..]).into(),
            )
            .unwrap()
        })
    });
    let mut counter = 0u64;
    group.bench_function("x25519_fixed_base", |b| {
        b.iter(|| PublicKey::from(&StaticSecret::from(next_scalar(&mut counter))).to_bytes())
    });
    group.bench_function("x25519_variable_base", |b| {
        b.iter(|| {
            StaticSecret::from(next_scalar(&mut counter))
                .diffie_hellman(black_box(&their_public))
                .to_bytes()
        })
    });
    group.bench_function("os_random_32b", |b| {
        b.iter(|| {
            let mut bytes = [0u8; 32];
            rng.fill_bytes(&mut bytes);
            bytes
        })
    });
    group.finish();
    if median_ns("seal_breakdown", "hpke_encap_seal_32b", started).is_none() {
        println!("BREAKDOWN: skipped (group not measured in this run)");
        return;
    }

    // The same parts once more, interleaved with a whole seal and open so
    // that every figure of the breakdown comes from the same conditions.
    let mut sealer = HpkeBackend::new();
    let recipients = [recipient.external.clone()];
    let plaintext = vec![0x5au8; KIB];
    let ciphertext = sealer.seal(&recipients, &plaintext).unwrap();
    let keys = keyring(&recipient);
    let opener = HpkeBackend::new();
    let mut rng2 = UnwrapErr(getrandom::SysRng);
    let t = with_load_report("seal_breakdown", || {
        interleaved_many(
            ROUNDS,
            &mut [
                &mut || {
                    black_box(sealer.seal(&recipients, black_box(&plaintext)).unwrap());
                },
                &mut || {
                    black_box(opener.open(&keys, black_box(&ciphertext.0)).unwrap());
                },
                &mut || {
                    black_box(
                    hpke::single_shot_seal_with_rng::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                        &OpModeS::Base,
                        black_box(&pk),
                        HPKE_INFO,
                        &content_key,
                        &aad,
                        &mut rng,
                    )
                    .unwrap(),
                );
                },
                &mut || {
                    black_box(
                        hpke::single_shot_open::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
                            &OpModeR::Base,
                            black_box(&sk),
                            &enc,
                            HPKE_INFO,
                            &wrapped,
                            &aad,
                        )
                        .unwrap(),
                    );
                },
                &mut || {
                    black_box(Sha256::digest(black_box(&header)));
                },
                &mut || {
                    black_box(
                        aead.encrypt_inout_detached(
                            &Nonce::from([0u8; 12]),
                            &header_hash,
                            black_box(&mut chunk[..]).into(),
                        )
                        .unwrap(),
                    );
                },
                &mut || {
                    black_box(PublicKey::from(&StaticSecret::from(next_scalar(
                        &mut counter,
                    ))));
                },
                &mut || {
                    black_box(
                        StaticSecret::from([0x24; 32]).diffie_hellman(black_box(&their_public)),
                    );
                },
                &mut || {
                    let mut bytes = [0u8; 32];
                    rng2.fill_bytes(&mut bytes);
                    black_box(bytes);
                },
                &mut || {
                    black_box(black_box(&recipient.external).id());
                    black_box(black_box(&recipient.external).key_id());
                },
                &mut || {
                    // The chunk buffer seal_stream and open_stream allocate and wipe:
                    // one default chunk (64 KiB) plus one look-ahead byte.
                    let mut buf = vec![0u8; (1 << 16) + 1];
                    black_box(&mut buf);
                    buf.zeroize();
                },
            ],
        )
    });
    let best: Vec<f64> = t.iter().map(|x| x.best()).collect();
    let [
        seal,
        open,
        encap,
        decap,
        sha,
        chunk_aead,
        fixed,
        variable,
        random,
        ids,
        buffer,
    ] = best[..]
    else {
        unreachable!("eleven timings")
    };
    println!(
        "BREAKDOWN seal (1 KiB, 1 recipient): {} (best of {ROUNDS} interleaved rounds)",
        us(seal)
    );
    println!(
        "  hpke encap+seal of the 32-byte key: {} (its 3 scalar mults, 2 fixed-base + 1 variable-base = {}; HKDF/AEAD rest {})",
        us(encap),
        us(2.0 * fixed + variable),
        us(encap - 2.0 * fixed - variable),
    );
    println!("  content-key randomness (32 B):      {}", us(random));
    println!(
        "  identity id + key id (x1; seal computes the id twice): {}",
        us(ids)
    );
    println!("  64 KiB chunk buffer alloc + zeroize: {}", us(buffer));
    println!("  header SHA-256 (117 B):             {}", us(sha));
    println!("  chunk ChaCha20-Poly1305 (1 KiB):    {}", us(chunk_aead));
    println!(
        "  unaccounted:                        {}",
        us(seal - encap - random - ids - buffer - sha - chunk_aead)
    );
    println!(
        "  floor (1 fixed + 1 variable):       {}; fixed-base {} ({:.0}% of the floor), variable-base {}",
        us(fixed + variable),
        us(fixed),
        100.0 * fixed / (fixed + variable),
        us(variable)
    );
    println!(
        "  seal/floor = {:.2}; without hpke's extra fixed-base = {:.2}; without it and the buffer wipe = {:.2}",
        seal / (fixed + variable),
        (seal - fixed) / (fixed + variable),
        (seal - fixed - buffer) / (fixed + variable)
    );
    println!("BREAKDOWN open (1 KiB, 1 recipient): {}", us(open));
    println!(
        "  hpke decap+open of the 32-byte key: {} (its 2 scalar mults, 1 variable-base + 1 fixed-base = {})",
        us(decap),
        us(variable + fixed),
    );
    println!("  64 KiB chunk buffer alloc + zeroize: {}", us(buffer));
    println!(
        "  rest (header hash, chunk AEAD, parsing): {}",
        us(open - decap - buffer)
    );
    println!(
        "  open/floor = {:.2}; without hpke's fixed-base = {:.2}; without it and the buffer wipe = {:.2}",
        open / variable,
        (open - fixed) / variable,
        (open - fixed - buffer) / variable
    );
}

criterion_group! {
    name = benches;
    config = config();
    targets = seal_vs_floor, seal_breakdown
}
criterion_main!(benches);
