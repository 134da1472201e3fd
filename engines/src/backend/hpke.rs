//! The real backend: RFC 9180 HPKE (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20-Poly1305) through the `hpke` crate, Ed25519 through `ed25519-dalek`,
//! and the chunked payload of [`super::format`].

use std::io::{Read, Write};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hpke::aead::ChaCha20Poly1305 as HpkeChaCha;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::{CryptoRng, TryCryptoRng, TryRng, UnwrapErr};
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use spec::error::{CiphertextFault, MalformedStatement};
use spec::{DecryptionError, EncryptionError, ExternalIdentity, RelationError};
use zeroize::Zeroize;

use super::format::{
    ENTRY_LEN, HPKE_INFO, Header, PREFIX_LEN, RecipientEntry, TAG_LEN, WRAPPED_LEN, chunk_nonce,
};
use super::{Backend, KeyRing, OpenStreamError, SealStreamError, fill};
use crate::cookie::CookieKey;
use crate::identity::InternalIdentity;
use crate::secret::Secret32;

type KemPublicKey = <X25519HkdfSha256 as Kem>::PublicKey;
type KemPrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;
type KemEncapped = <X25519HkdfSha256 as Kem>::EncappedKey;

/// The operating system's RNG, panicking only if the OS cannot provide randomness.
pub type SystemRng = UnwrapErr<getrandom::SysRng>;

/// A deterministic RNG for reproducible test vectors: SHA-256 in counter mode over a seed.
///
/// Whoever knows the seed knows every key it yields: never use it for real keys.
#[derive(Clone)]
pub struct SeededRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRng {
    /// An RNG whose whole output is fixed by `seed`.
    pub fn new(seed: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"sealwright/seeded-rng/v1\0");
        h.update(seed);
        SeededRng {
            seed: h.finalize().into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    /// The same RNG after it has yielded `position` bytes.
    pub fn at(seed: &[u8], position: u64) -> Self {
        let mut rng = SeededRng::new(seed);
        rng.counter = position / 32;
        let skip = (position % 32) as usize;
        if skip > 0 {
            let mut head = [0u8; 32];
            rng.try_fill_bytes(&mut head[..skip])
                .unwrap_or_else(|never| match never {});
        }
        rng
    }

    /// How many bytes it has yielded.
    pub fn position(&self) -> u64 {
        // `counter` blocks were made, of which `32 - used` bytes are still unread.
        self.counter * 32 - (self.block.len() - self.used) as u64
    }
}

impl std::fmt::Debug for SeededRng {
    // The seed fixes every key this RNG yields: it is as secret as they are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededRng")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// `try_next_u32` and `try_next_u64` from `try_fill_bytes`, little-endian: every RNG of the
/// backends yields its words this way, so recorded bytes replay the same words.
macro_rules! words_from_bytes {
    () => {
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            let mut b = [0u8; 4];
            self.try_fill_bytes(&mut b)?;
            Ok(u32::from_le_bytes(b))
        }

        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
    };
}
pub(crate) use words_from_bytes;

impl TryRng for SeededRng {
    type Error = std::convert::Infallible;

    words_from_bytes!();

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for byte in dst {
            if self.used == self.block.len() {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_be_bytes());
                self.block = h.finalize().into();
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

/// The HPKE backend, generic over its RNG so tests can replay fixed randomness.
#[derive(Debug)]
pub struct HpkeBackend<R = SystemRng> {
    rng: R,
    chunk_log2: u8,
}

impl HpkeBackend<SystemRng> {
    /// A backend drawing randomness from the operating system.
    pub fn new() -> Self {
        HpkeBackend::with_rng(UnwrapErr(getrandom::SysRng))
    }
}

impl Default for HpkeBackend<SystemRng> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: CryptoRng> HpkeBackend<R> {
    /// A backend with the given RNG and the default chunk size.
    pub fn with_rng(rng: R) -> Self {
        HpkeBackend {
            rng,
            chunk_log2: super::format::DEFAULT_CHUNK_LOG2,
        }
    }

    /// Sets the payload chunk size to `2^log2` bytes (clamped to the allowed range).
    pub fn with_chunk_log2(mut self, log2: u8) -> Self {
        let range = super::format::CHUNK_LOG2_RANGE;
        self.chunk_log2 = log2.clamp(*range.start(), *range.end());
        self
    }

    /// The RNG, to see how much randomness the backend has drawn.
    pub fn rng(&self) -> &R {
        &self.rng
    }

    /// The RNG, to take what a recording RNG kept.
    pub fn rng_mut(&mut self) -> &mut R {
        &mut self.rng
    }

    fn random32(&mut self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }

    fn encryption_keypair(&mut self) -> (Secret32, [u8; 32]) {
        let mut ikm = self.random32();
        let (sk, pk) = X25519HkdfSha256::derive_keypair(&ikm);
        ikm.zeroize();
        let mut sk_bytes: [u8; 32] = sk.to_bytes().into();
        let secret = Secret32::new(sk_bytes);
        sk_bytes.zeroize();
        (secret, pk.to_bytes().into())
    }

    /// RFC 9180 base-mode single-shot seal (DHKEM(X25519, HKDF-SHA256),
    /// HKDF-SHA256, ChaCha20-Poly1305) to `recipient_public`, drawing the
    /// ephemeral key's `ikmE` (32 bytes) from the backend's RNG.
    ///
    /// Returns `enc` and the ciphertext. This is the code path that wraps every
    /// content key (with `info` = [`HPKE_INFO`]); it is public so the RFC's
    /// test vectors can be replayed through it.
    pub fn hpke_base_seal(
        &mut self,
        recipient_public: &[u8; 32],
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<([u8; 32], Vec<u8>), EncryptionError> {
        let pk = KemPublicKey::from_bytes(recipient_public)
            .map_err(|_| EncryptionError::InvalidRecipient)?;
        // Encapsulation fails for low-order points (an all-zero shared secret).
        let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<
            HpkeChaCha,
            HkdfSha256,
            X25519HkdfSha256,
        >(&OpModeS::Base, &pk, info, plaintext, aad, &mut self.rng)
        .map_err(|_| EncryptionError::InvalidRecipient)?;
        Ok((enc.to_bytes().into(), ciphertext))
    }

    fn wrap(
        &mut self,
        recipient: &ExternalIdentity,
        content_key: &[u8; 32],
    ) -> Result<RecipientEntry, EncryptionError> {
        let identity = recipient.id();
        let key = recipient.key_id();
        let aad = RecipientEntry::hpke_aad(&identity, &key);
        let (enc, wrapped) =
            self.hpke_base_seal(&recipient.encryption_key, HPKE_INFO, &aad, content_key)?;
        let mut entry = RecipientEntry {
            identity,
            key,
            enc,
            wrapped: [0; WRAPPED_LEN],
        };
        entry.wrapped.copy_from_slice(&wrapped);
        Ok(entry)
    }
}

/// Unwraps the content key with whichever entry names a key in `keys`.
fn unwrap_content_key(header: &Header, keys: &KeyRing) -> Result<[u8; 32], DecryptionError> {
    let mut matched = false;
    for entry in &header.recipients {
        let Some(held) = keys.get(&entry.key) else {
            continue;
        };
        if held.identity != entry.identity {
            continue;
        }
        matched = true;
        let Ok(sk) = KemPrivateKey::from_bytes(held.secret.expose()) else {
            continue;
        };
        let Ok(enc) = KemEncapped::from_bytes(&entry.enc) else {
            continue;
        };
        let aad = RecipientEntry::hpke_aad(&entry.identity, &entry.key);
        if let Ok(mut key) = hpke::single_shot_open::<HpkeChaCha, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &sk,
            &enc,
            HPKE_INFO,
            &entry.wrapped,
            &aad,
        ) {
            let mut out = [0u8; 32];
            if key.len() == 32 {
                out.copy_from_slice(&key);
                key.zeroize();
                return Ok(out);
            }
            key.zeroize();
        }
    }
    Err(if matched {
        DecryptionError::AuthenticationFailed
    } else {
        DecryptionError::NoMatchingKey
    })
}

fn malformed(fault: CiphertextFault) -> OpenStreamError {
    OpenStreamError::Open(DecryptionError::Malformed(fault))
}

/// Steps 1 and 2 of "Decrypting, step by step" (docs/wire-format/ciphertext.md):
/// reads and checks the header; returns it with its SHA-256, the payload's aad.
fn read_header(input: &mut dyn Read) -> Result<(Header, [u8; 32]), OpenStreamError> {
    let mut prefix = [0u8; PREFIX_LEN];
    let got = fill(input, &mut prefix)?;
    if got < PREFIX_LEN {
        // Say "bad magic" for anything that does not even start like a ciphertext.
        let starts_right = prefix[..got.min(4)] == super::format::MAGIC[..got.min(4)];
        return Err(malformed(if starts_right {
            CiphertextFault::HeaderTruncated
        } else {
            CiphertextFault::BadMagic
        }));
    }
    let (chunk_log2, count) = Header::parse_prefix(&prefix).map_err(malformed)?;
    // Bounded: at most MAX_RECIPIENTS entries.
    let mut entries = vec![0u8; count * ENTRY_LEN];
    if fill(input, &mut entries)? < entries.len() {
        return Err(malformed(CiphertextFault::HeaderTruncated));
    }
    let header = Header::parse_entries(chunk_log2, &entries).map_err(malformed)?;
    let mut hasher = Sha256::new();
    hasher.update(prefix);
    hasher.update(&entries);
    Ok((header, hasher.finalize().into()))
}

/// Steps 4 and 5 of "Decrypting, step by step" (docs/wire-format/ciphertext.md):
/// the payload, read in pieces of one sealed chunk (`S + 16` bytes).
///
/// A piece is the last chunk when it is shorter than `S + 16` bytes or nothing
/// follows it, so the reader needs no length field and one byte of look-ahead.
/// What a failure is called:
///
/// - [`DecryptionError::Truncated`]: the input certainly stopped early: nothing
///   follows the header, the last piece is shorter than a tag (no chunk can end
///   there), or the last piece is a full chunk that does not open as the final
///   chunk but opens as a non-final one (every byte read is authentic; the
///   input was cut at a chunk boundary before the final chunk);
/// - [`DecryptionError::AuthenticationFailed`]: any other piece that does not
///   open: altered, reordered, duplicated, cut inside a chunk, or followed by
///   bytes after the final chunk (those bytes either turn the final chunk into a
///   non-final piece or move the end of the last piece, so a tag fails).
struct ChunkReader<'a> {
    aead: &'a ChaCha20Poly1305,
    aad: [u8; 32],
    /// `S + 16`: a full chunk's plaintext and its tag.
    sealed_chunk: usize,
    /// One sealed chunk and one byte of look-ahead.
    buf: Vec<u8>,
    /// How much of `buf` ever held data (only that much is wiped).
    used: usize,
}

impl<'a> ChunkReader<'a> {
    fn new(aead: &'a ChaCha20Poly1305, aad: [u8; 32], chunk_size: usize) -> Self {
        let sealed_chunk = chunk_size + TAG_LEN;
        ChunkReader {
            aead,
            aad,
            sealed_chunk,
            buf: vec![0u8; sealed_chunk + 1],
            used: 0,
        }
    }

    /// Opens every chunk, writing each plaintext once its tag verifies; returns
    /// the plaintext length. On error, what was written must be discarded.
    fn open_all(
        &mut self,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        let mut have = fill(input, &mut self.buf)?;
        self.used = have;
        let mut index = 0u64;
        let mut total = 0u64;
        loop {
            let last = have <= self.sealed_chunk;
            let piece = have.min(self.sealed_chunk);
            let len = self.open_piece(index, last, piece)?;
            output.write_all(&self.buf[..len])?;
            total += len as u64;
            if last {
                return Ok(total);
            }
            // Carry the look-ahead byte to the front and refill behind it.
            self.buf[0] = self.buf[self.sealed_chunk];
            have = 1 + fill(input, &mut self.buf[1..])?;
            self.used = self.used.max(have);
            index += 1;
        }
    }

    /// Opens chunk `index`, the first `piece` bytes of the buffer, in place;
    /// returns its plaintext length.
    fn open_piece(
        &mut self,
        index: u64,
        last: bool,
        piece: usize,
    ) -> Result<usize, DecryptionError> {
        // Shorter than a tag, or nothing at all: no chunk ends here.
        let Some(len) = piece.checked_sub(TAG_LEN) else {
            return Err(DecryptionError::Truncated);
        };
        let mut tag = Tag::default();
        tag.copy_from_slice(&self.buf[len..piece]);
        let body = &mut self.buf[..len];
        let nonce = Nonce::from(chunk_nonce(index, last));
        if self
            .aead
            .decrypt_inout_detached(&nonce, &self.aad, body.into(), &tag)
            .is_ok()
        {
            return Ok(len);
        }
        // The input ends with a full chunk sealed as non-final: it was cut at a chunk boundary.
        let cut = last
            && piece == self.sealed_chunk
            && self
                .aead
                .decrypt_inout_detached(
                    &Nonce::from(chunk_nonce(index, false)),
                    &self.aad,
                    (&mut self.buf[..len]).into(),
                    &tag,
                )
                .is_ok();
        Err(if cut {
            DecryptionError::Truncated
        } else {
            DecryptionError::AuthenticationFailed
        })
    }

    /// Wipes whatever plaintext the buffer held.
    fn wipe(&mut self) {
        self.buf[..self.used].zeroize();
    }
}

impl<R: CryptoRng> Backend for HpkeBackend<R> {
    fn generate_identity(&mut self) -> InternalIdentity {
        let mut seed = self.random32();
        let verifying_key = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let signing_seed = Secret32::new(seed);
        seed.zeroize();
        let (encryption_secret, encryption_key) = self.encryption_keypair();
        InternalIdentity {
            external: ExternalIdentity {
                verifying_key,
                encryption_key,
            },
            signing_seed,
            encryption_secret,
        }
    }

    fn rotate_encryption_key(&mut self, identity: &InternalIdentity) -> InternalIdentity {
        let (encryption_secret, encryption_key) = self.encryption_keypair();
        identity.with_encryption_key(encryption_secret, encryption_key)
    }

    fn sign(&self, signer: &InternalIdentity, message: &[u8]) -> [u8; 64] {
        SigningKey::from_bytes(signer.signing_seed.expose())
            .sign(message)
            .to_bytes()
    }

    fn verify(
        &self,
        verifying_key: &[u8; 32],
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), RelationError> {
        let vk = VerifyingKey::from_bytes(verifying_key)
            .map_err(|_| RelationError::Malformed(MalformedStatement::BadVerifyingKey))?;
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        // Strict verification rejects small-order keys and non-canonical signatures.
        vk.verify_strict(message, &sig)
            .map_err(|_| RelationError::SignatureInvalid)
    }

    fn seal_stream(
        &mut self,
        recipients: &[ExternalIdentity],
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, SealStreamError> {
        let recipients = super::dedup_recipients(recipients)?;
        let mut content_key = self.random32();
        let mut entries = Vec::with_capacity(recipients.len());
        for r in &recipients {
            match self.wrap(r, &content_key) {
                Ok(e) => entries.push(e),
                Err(e) => {
                    content_key.zeroize();
                    return Err(e.into());
                }
            }
        }
        let header = Header {
            chunk_log2: self.chunk_log2,
            recipients: entries,
        };
        let header_bytes = header.to_bytes();
        let aad: [u8; 32] = Sha256::digest(&header_bytes).into();
        let aead = ChaCha20Poly1305::new(&Key::from(content_key));
        content_key.zeroize();
        output.write_all(&header_bytes)?;

        let chunk = header.chunk_size();
        // One spare byte: reading one past a full chunk tells whether it is the last.
        let mut buf = vec![0u8; chunk + 1];
        let mut have = fill(input, &mut buf)?;
        // Only the bytes ever filled held plaintext: wiping just those keeps a small
        // message from paying for a 64 KiB wipe.
        let mut used = have;
        let mut index = 0u64;
        let mut total = 0u64;
        loop {
            let last = have <= chunk;
            let len = have.min(chunk);
            let tag = aead
                .encrypt_inout_detached(
                    &Nonce::from(chunk_nonce(index, last)),
                    &aad,
                    (&mut buf[..len]).into(),
                )
                .map_err(|_| EncryptionError::PlaintextTooLarge)?;
            output.write_all(&buf[..len])?;
            output.write_all(&tag)?;
            total += len as u64;
            if last {
                break;
            }
            // Carry the look-ahead byte to the front and refill behind it.
            buf[0] = buf[chunk];
            have = 1 + fill(input, &mut buf[1..])?;
            used = used.max(have);
            index += 1;
        }
        buf[..used].zeroize();
        output.flush()?;
        Ok(total)
    }

    fn open_stream(
        &self,
        keys: &KeyRing,
        input: &mut dyn Read,
        output: &mut dyn Write,
    ) -> Result<u64, OpenStreamError> {
        let (header, aad) = read_header(input)?;
        let mut content_key = unwrap_content_key(&header, keys)?;
        let aead = ChaCha20Poly1305::new(&Key::from(content_key));
        content_key.zeroize();
        let mut chunks = ChunkReader::new(&aead, aad, header.chunk_size());
        let opened = chunks.open_all(input, output);
        chunks.wipe();
        let total = opened?;
        output.flush()?;
        Ok(total)
    }

    fn new_cookie_key(&mut self) -> CookieKey {
        let mut bytes = self.random32();
        let key = Secret32::new(bytes);
        bytes.zeroize();
        CookieKey { epoch: 0, key }
    }

    fn cookie_seal(&mut self, key: &CookieKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        self.rng.fill_bytes(&mut nonce);
        let aead = ChaCha20Poly1305::new(&Key::from(*key.key.expose()));
        let mut out = Vec::with_capacity(12 + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        match aead.encrypt_inout_detached(&Nonce::from(nonce), aad, (&mut out[12..]).into()) {
            Ok(tag) => out.extend_from_slice(&tag),
            // Only inputs near 2^38 bytes fail; an empty result then fails to open.
            Err(_) => out.clear(),
        }
        out
    }

    fn cookie_open(&self, key: &CookieKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 12 + TAG_LEN {
            return None;
        }
        let (nonce, rest) = sealed.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut nonce_arr = [0u8; 12];
        nonce_arr.copy_from_slice(nonce);
        let mut tag_arr = Tag::default();
        tag_arr.copy_from_slice(tag);
        let aead = ChaCha20Poly1305::new(&Key::from(*key.key.expose()));
        let mut out = ct.to_vec();
        aead.decrypt_inout_detached(
            &Nonce::from(nonce_arr),
            aad,
            (&mut out[..]).into(),
            &tag_arr,
        )
        .ok()?;
        Some(out)
    }

    fn fresh_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}
