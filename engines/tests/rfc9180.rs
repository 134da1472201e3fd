#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Replays the official RFC 9180 test vectors for DHKEM(X25519, HKDF-SHA256)
//! with HKDF-SHA256 and AES-128-GCM or ChaCha20-Poly1305, all four modes,
//! through the `hpke` crate's public API, and the base-mode ChaCha20-Poly1305
//! vector through the HPKE backend's own sealing code path.
//!
//! The vectors are vendored at `spec/vectors/rfc9180/` (byte-identical to the
//! RFC's `test-vectors.json` entries) so a fresh clone of the repository has them.

use std::collections::BTreeSet;
use std::convert::Infallible;

use hpke::aead::{Aead, AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{TryCryptoRng, TryRng};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, PskBundle, Serializable};
use sealwright_engines::Backend;
use sealwright_engines::backend::format::{
    ENTRY_LEN, HPKE_INFO, Header, PREFIX_LEN, RecipientEntry,
};
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::backend::{KeyEntry, KeyRing};
use sealwright_engines::secret::Secret32;
use serde::Deserialize;
use spec::ExternalIdentity;

type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;
type PublicKey = <X25519HkdfSha256 as Kem>::PublicKey;
type EncappedKey = <X25519HkdfSha256 as Kem>::EncappedKey;

/// The vendored vectors, relative to this crate's manifest.
const VECTORS: &str = "../spec/vectors/rfc9180/hpke-rfc9180-x25519-hkdfsha256.json";
/// Encryptions per vector in the RFC's file.
const ENCRYPTIONS_PER_VECTOR: usize = 257;
/// KEM, KDF and AEAD ids (RFC 9180 §7).
const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
const KDF_HKDF_SHA256: u16 = 0x0001;
const AEAD_AES_128_GCM: u16 = 0x0001;
const AEAD_CHACHA20_POLY1305: u16 = 0x0003;

// ---------------------------------------------------------------------------
// Vector file

fn hex_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    hex::decode(s).map_err(serde::de::Error::custom)
}

fn hex_bytes_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    hex_bytes(d).map(Some)
}

#[derive(Debug, Deserialize)]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    #[serde(deserialize_with = "hex_bytes")]
    info: Vec<u8>,
    #[serde(rename = "ikmR", deserialize_with = "hex_bytes")]
    ikm_r: Vec<u8>,
    #[serde(rename = "ikmE", deserialize_with = "hex_bytes")]
    ikm_e: Vec<u8>,
    #[serde(rename = "ikmS", default, deserialize_with = "hex_bytes_opt")]
    ikm_s: Option<Vec<u8>>,
    #[serde(rename = "skRm", deserialize_with = "hex_bytes")]
    sk_rm: Vec<u8>,
    #[serde(rename = "pkRm", deserialize_with = "hex_bytes")]
    pk_rm: Vec<u8>,
    #[serde(rename = "skEm", deserialize_with = "hex_bytes")]
    sk_em: Vec<u8>,
    #[serde(rename = "pkEm", deserialize_with = "hex_bytes")]
    pk_em: Vec<u8>,
    #[serde(rename = "skSm", default, deserialize_with = "hex_bytes_opt")]
    sk_sm: Option<Vec<u8>>,
    #[serde(rename = "pkSm", default, deserialize_with = "hex_bytes_opt")]
    pk_sm: Option<Vec<u8>>,
    #[serde(default, deserialize_with = "hex_bytes_opt")]
    psk: Option<Vec<u8>>,
    #[serde(default, deserialize_with = "hex_bytes_opt")]
    psk_id: Option<Vec<u8>>,
    #[serde(deserialize_with = "hex_bytes")]
    enc: Vec<u8>,
    encryptions: Vec<Encryption>,
    #[serde(default)]
    exports: Vec<Export>,
}

#[derive(Debug, Deserialize)]
struct Encryption {
    #[serde(deserialize_with = "hex_bytes")]
    aad: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    pt: Vec<u8>,
    #[serde(deserialize_with = "hex_bytes")]
    ct: Vec<u8>,
}

#[derive(Debug, Deserialize)]
struct Export {
    #[serde(deserialize_with = "hex_bytes")]
    exporter_context: Vec<u8>,
    #[serde(rename = "L")]
    len: usize,
    #[serde(deserialize_with = "hex_bytes")]
    exported_value: Vec<u8>,
}

fn load_vectors() -> Vec<Vector> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTORS);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("the vector file parses")
}

// ---------------------------------------------------------------------------
// Deterministic "randomness"

/// An RNG that yields exactly the bytes it was given, then panics.
///
/// Handing it `ikmE` makes HPKE's encapsulation derive the vector's ephemeral key.
#[derive(Debug)]
struct ReplayRng {
    bytes: Vec<u8>,
    pos: usize,
}

impl ReplayRng {
    fn new(bytes: &[u8]) -> Self {
        ReplayRng {
            bytes: bytes.to_vec(),
            pos: 0,
        }
    }

    fn take(&mut self, n: usize) -> &[u8] {
        let end = self.pos + n;
        assert!(
            end <= self.bytes.len(),
            "ReplayRng exhausted: asked for {n} bytes with {} left",
            self.bytes.len() - self.pos
        );
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        out
    }

    fn exhausted(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

impl TryRng for ReplayRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.take(4).try_into().unwrap()))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(self.take(8).try_into().unwrap()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let n = dst.len();
        dst.copy_from_slice(self.take(n));
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}

// ---------------------------------------------------------------------------
// Replay through the hpke crate

/// RFC 7748 clamping, which `hpke` >= 0.15 applies when serialising a private key.
fn clamp(sk: &[u8]) -> [u8; 32] {
    let mut out: [u8; 32] = sk.try_into().expect("32-byte X25519 private key");
    out[0] &= 248;
    out[31] &= 127;
    out[31] |= 64;
    out
}

#[derive(Debug, Default)]
struct Counts {
    vectors: usize,
    encryptions: usize,
    exports: usize,
    suites_and_modes: BTreeSet<(u16, u8)>,
}

fn derive_checked(ikm: &[u8], sk_m: &[u8], pk_m: &[u8], what: &str) -> (PrivateKey, PublicKey) {
    let (sk, pk) = X25519HkdfSha256::derive_keypair(ikm);
    assert_eq!(sk.to_bytes().as_slice(), clamp(sk_m), "{what}: clamped sk");
    assert_eq!(pk.to_bytes().as_slice(), pk_m, "{what}: pk");
    // Deserialising the vector's (unclamped) private key gives the same key.
    let parsed = PrivateKey::from_bytes(sk_m).unwrap();
    assert_eq!(parsed.to_bytes(), sk.to_bytes(), "{what}: parsed sk");
    assert_eq!(X25519HkdfSha256::sk_to_pk(&parsed), pk, "{what}: sk_to_pk");
    (sk, pk)
}

fn replay<A: Aead>(v: &Vector, counts: &mut Counts) {
    let label = format!("mode {} aead {}", v.mode, v.aead_id);
    assert_eq!(v.kem_id, KEM_X25519_HKDF_SHA256, "{label}");
    assert_eq!(v.kdf_id, KDF_HKDF_SHA256, "{label}");

    let (sk_r, pk_r) = derive_checked(&v.ikm_r, &v.sk_rm, &v.pk_rm, &format!("{label}: R"));
    derive_checked(&v.ikm_e, &v.sk_em, &v.pk_em, &format!("{label}: E"));
    assert_eq!(v.pk_em, v.enc, "{label}: DHKEM's enc is pkEm");

    let sender_keys = match (&v.ikm_s, &v.sk_sm, &v.pk_sm) {
        (Some(ikm), Some(sk), Some(pk)) => {
            Some(derive_checked(ikm, sk, pk, &format!("{label}: S")))
        }
        (None, None, None) => None,
        _ => panic!("{label}: partial sender key material"),
    };
    let psk = match (&v.psk, &v.psk_id) {
        (Some(psk), Some(id)) => Some(PskBundle::new(psk, id).unwrap()),
        (None, None) => None,
        _ => panic!("{label}: psk without psk_id"),
    };
    let (mode_s, mode_r): (OpModeS<X25519HkdfSha256>, OpModeR<X25519HkdfSha256>) =
        match (v.mode, sender_keys, psk) {
            (0, None, None) => (OpModeS::Base, OpModeR::Base),
            (1, None, Some(psk)) => (OpModeS::Psk(psk), OpModeR::Psk(psk)),
            (2, Some((sk, pk)), None) => (OpModeS::Auth((sk, pk.clone())), OpModeR::Auth(pk)),
            (3, Some((sk, pk)), Some(psk)) => (
                OpModeS::AuthPsk((sk, pk.clone()), psk),
                OpModeR::AuthPsk(pk, psk),
            ),
            (mode, s, p) => panic!(
                "{label}: mode {mode} with sender key {} and psk {}",
                s.is_some(),
                p.is_some()
            ),
        };

    // Sender: the RNG yields ikmE, so the ephemeral key and enc are the vector's.
    let mut rng = ReplayRng::new(&v.ikm_e);
    let (enc, mut sender) = hpke::setup_sender_with_rng::<A, HkdfSha256, X25519HkdfSha256>(
        &mode_s, &pk_r, &v.info, &mut rng,
    )
    .unwrap();
    assert!(rng.exhausted(), "{label}: encapsulation draws exactly ikmE");
    assert_eq!(enc.to_bytes().as_slice(), v.enc, "{label}: enc");

    // Receiver, from the vector's own enc bytes.
    let enc_r = EncappedKey::from_bytes(&v.enc).unwrap();
    let mut receiver =
        hpke::setup_receiver::<A, HkdfSha256, X25519HkdfSha256>(&mode_r, &sk_r, &enc_r, &v.info)
            .unwrap();

    assert_eq!(v.encryptions.len(), ENCRYPTIONS_PER_VECTOR, "{label}");
    for (seq, e) in v.encryptions.iter().enumerate() {
        let ct = sender.seal(&e.pt, &e.aad).unwrap();
        assert_eq!(ct, e.ct, "{label}: ct of encryption {seq}");
        let pt = receiver.open(&e.ct, &e.aad).unwrap();
        assert_eq!(pt, e.pt, "{label}: pt of encryption {seq}");
        counts.encryptions += 1;
    }
    // The contexts are now past the last sequence number used; a replay of the
    // last ciphertext must not open at the next one.
    let last = v.encryptions.last().unwrap();
    assert!(
        receiver.open(&last.ct, &last.aad).is_err(),
        "{label}: replayed ct"
    );

    for (i, x) in v.exports.iter().enumerate() {
        let mut out = vec![0u8; x.len];
        sender.export(&x.exporter_context, &mut out).unwrap();
        assert_eq!(out, x.exported_value, "{label}: sender export {i}");
        out.fill(0);
        receiver.export(&x.exporter_context, &mut out).unwrap();
        assert_eq!(out, x.exported_value, "{label}: receiver export {i}");
        counts.exports += 1;
    }

    // Single-shot seal/open reproduce the first encryption (sequence number 0).
    let first = &v.encryptions[0];
    let mut rng = ReplayRng::new(&v.ikm_e);
    let (enc1, ct1) = hpke::single_shot_seal_with_rng::<A, HkdfSha256, X25519HkdfSha256>(
        &mode_s, &pk_r, &v.info, &first.pt, &first.aad, &mut rng,
    )
    .unwrap();
    assert_eq!(
        enc1.to_bytes().as_slice(),
        v.enc,
        "{label}: single-shot enc"
    );
    assert_eq!(ct1, first.ct, "{label}: single-shot ct");
    let pt1 = hpke::single_shot_open::<A, HkdfSha256, X25519HkdfSha256>(
        &mode_r, &sk_r, &enc_r, &v.info, &first.ct, &first.aad,
    )
    .unwrap();
    assert_eq!(pt1, first.pt, "{label}: single-shot pt");

    counts.vectors += 1;
    counts.suites_and_modes.insert((v.aead_id, v.mode));
}

#[test]
fn rfc9180_vectors_replay() {
    let vectors = load_vectors();
    let mut counts = Counts::default();
    for v in &vectors {
        match v.aead_id {
            AEAD_AES_128_GCM => replay::<AesGcm128>(v, &mut counts),
            AEAD_CHACHA20_POLY1305 => replay::<ChaCha20Poly1305>(v, &mut counts),
            other => panic!("unexpected aead id {other}"),
        }
    }
    assert_eq!(counts.vectors, 8, "vectors replayed");
    assert_eq!(
        counts.encryptions,
        8 * ENCRYPTIONS_PER_VECTOR,
        "encryptions"
    );
    assert_eq!(counts.exports, 8 * 3, "exports");
    let expected: BTreeSet<(u16, u8)> = [AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305]
        .into_iter()
        .flat_map(|a| (0..=3).map(move |m| (a, m)))
        .collect();
    assert_eq!(
        counts.suites_and_modes, expected,
        "every suite and mode once"
    );
}

// ---------------------------------------------------------------------------
// Replay through the HPKE backend

fn base_chacha_vector(vectors: &[Vector]) -> &Vector {
    let mut found = vectors
        .iter()
        .filter(|v| v.mode == 0 && v.aead_id == AEAD_CHACHA20_POLY1305);
    let v = found.next().expect("a base-mode ChaCha20-Poly1305 vector");
    assert!(found.next().is_none(), "exactly one");
    v
}

/// `HpkeBackend::hpke_base_seal` — the function that wraps every content key —
/// reproduces the vector's enc and the ciphertext at sequence number 0.
#[test]
fn rfc9180_base_chacha_through_backend() {
    let vectors = load_vectors();
    let v = base_chacha_vector(&vectors);
    let pk_r: [u8; 32] = v.pk_rm.as_slice().try_into().unwrap();
    let first = &v.encryptions[0];

    let mut backend = HpkeBackend::with_rng(ReplayRng::new(&v.ikm_e));
    let (enc, ct) = backend
        .hpke_base_seal(&pk_r, &v.info, &first.aad, &first.pt)
        .unwrap();
    assert_eq!(enc.as_slice(), v.enc, "enc");
    assert_eq!(ct, first.ct, "ct of encryption 0");

    // Every encryption, each sealed single-shot with the vector's ephemeral key,
    // opens with the vector's receiver context at sequence number 0 only, which
    // checks each ciphertext the backend produced against the RFC key schedule.
    let sk_r = PrivateKey::from_bytes(&v.sk_rm).unwrap();
    let enc_r = EncappedKey::from_bytes(&v.enc).unwrap();
    let mut replayed = 0;
    for e in &v.encryptions {
        let mut backend = HpkeBackend::with_rng(ReplayRng::new(&v.ikm_e));
        let (enc, ct) = backend
            .hpke_base_seal(&pk_r, &v.info, &e.aad, &e.pt)
            .unwrap();
        assert_eq!(enc.as_slice(), v.enc);
        let pt = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &sk_r,
            &enc_r,
            &v.info,
            &ct,
            &e.aad,
        )
        .unwrap();
        assert_eq!(pt, e.pt);
        replayed += 1;
    }
    assert_eq!(replayed, ENCRYPTIONS_PER_VECTOR);

    // A low-order recipient key is refused, not sealed to.
    let mut backend = HpkeBackend::with_rng(ReplayRng::new(&v.ikm_e));
    assert_eq!(
        backend.hpke_base_seal(&[0u8; 32], &v.info, b"", b""),
        Err(spec::EncryptionError::InvalidRecipient)
    );
}

/// A whole ciphertext sealed to the vector's recipient key: the RNG yields the
/// content key and then ikmE, so the recipient entry's enc is the vector's and
/// its wrapped key is the RFC base-mode seal of the content key; the vector's
/// private key opens it through the backend.
#[test]
fn rfc9180_recipient_entry_is_rfc_base_seal() {
    let vectors = load_vectors();
    let v = base_chacha_vector(&vectors);
    let content_key = [0x5a_u8; 32];
    let mut rng_bytes = content_key.to_vec();
    rng_bytes.extend_from_slice(&v.ikm_e);

    let recipient = ExternalIdentity {
        verifying_key: [7u8; 32],
        encryption_key: v.pk_rm.as_slice().try_into().unwrap(),
    };
    let plaintext = b"sealed to the RFC 9180 recipient key";
    let mut backend = HpkeBackend::with_rng(ReplayRng::new(&rng_bytes)).with_chunk_log2(10);
    let ct = backend
        .seal(std::slice::from_ref(&recipient), plaintext)
        .unwrap();

    let prefix: [u8; PREFIX_LEN] = ct.0[..PREFIX_LEN].try_into().unwrap();
    let (chunk_log2, count) = Header::parse_prefix(&prefix).unwrap();
    assert_eq!((chunk_log2, count), (10, 1));
    let header =
        Header::parse_entries(chunk_log2, &ct.0[PREFIX_LEN..PREFIX_LEN + ENTRY_LEN]).unwrap();
    let entry = &header.recipients[0];
    assert_eq!(entry.identity, recipient.id());
    assert_eq!(entry.key, recipient.key_id());
    assert_eq!(entry.enc.as_slice(), v.enc, "entry enc is the vector's enc");

    let aad = RecipientEntry::hpke_aad(&entry.identity, &entry.key);
    let mut rng = ReplayRng::new(&v.ikm_e);
    let pk_r = PublicKey::from_bytes(&v.pk_rm).unwrap();
    let (_, expected) =
        hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeS::Base,
            &pk_r,
            HPKE_INFO,
            &content_key,
            &aad,
            &mut rng,
        )
        .unwrap();
    assert_eq!(entry.wrapped.as_slice(), expected, "wrapped key");

    let mut keys = KeyRing::new();
    keys.insert(
        recipient.key_id(),
        KeyEntry {
            identity: recipient.id(),
            secret: Secret32::new(clamp(&v.sk_rm)),
        },
    );
    let opened = backend.open(&keys, &ct.0).unwrap();
    assert_eq!(opened.0, plaintext);
}
