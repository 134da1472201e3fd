//! The ciphertext byte layout shared by the HPKE backend and the docs' wire-format page.
//!
//! ```text
//! header   = magic "SWCT" | version u8 = 1 | suite u8 = 1 | chunk_log2 u8
//!            | recipient_count u16 (big-endian) | recipient * recipient_count
//! recipient = identity_id [20] | key_id [8] | enc [32] | wrapped_key [48]
//! payload  = chunk+ ; chunk = ChaCha20-Poly1305(content_key, nonce_i, aad = SHA-256(header), pt_i) [len(pt_i) + 16]
//! nonce_i  = 0x00 0x00 0x00 | i as u64 big-endian | last ? 0x01 : 0x00
//! ```
//!
//! Every chunk but the last holds exactly `2^chunk_log2` plaintext bytes; the
//! last holds 0 to `2^chunk_log2` bytes (0 only when the whole payload is empty).
//! `wrapped_key` is the HPKE base-mode single-shot seal of the 32-byte content
//! key to the recipient, with `info` = [`HPKE_INFO`] and `aad` = identity_id | key_id.

use spec::error::CiphertextFault;
use spec::identity::{IDENTITY_ID_LEN, KEY_ID_LEN};
use spec::{IdentityId, KeyId};

/// The first four bytes of every ciphertext.
pub const MAGIC: [u8; 4] = *b"SWCT";
/// The format version this implementation writes and reads.
pub const VERSION: u8 = 1;
/// Suite 1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 for both HPKE and the payload.
pub const SUITE: u8 = 1;
/// Bytes before the recipient entries.
pub const PREFIX_LEN: usize = 9;
/// The HPKE encapsulated key length for X25519.
pub const ENC_LEN: usize = 32;
/// A wrapped content key: 32 bytes plus a 16-byte tag.
pub const WRAPPED_LEN: usize = 48;
/// Bytes per recipient entry.
pub const ENTRY_LEN: usize = IDENTITY_ID_LEN + KEY_ID_LEN + ENC_LEN + WRAPPED_LEN;
/// AEAD tag length.
pub const TAG_LEN: usize = 16;
/// Most recipients one ciphertext may carry.
pub const MAX_RECIPIENTS: usize = 1024;
/// Smallest and largest chunk sizes, as powers of two (1 KiB to 1 MiB).
pub const CHUNK_LOG2_RANGE: std::ops::RangeInclusive<u8> = 10..=20;
/// The chunk size written by default: 64 KiB.
pub const DEFAULT_CHUNK_LOG2: u8 = 16;
/// HPKE `info`: binds the format version and suite into every wrapped key.
pub const HPKE_INFO: &[u8] = b"sealwright/ciphertext/v1/suite-1";

/// One recipient entry of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientEntry {
    /// The recipient's identity id.
    pub identity: IdentityId,
    /// The id of the recipient key it was sealed to.
    pub key: KeyId,
    /// HPKE encapsulated key.
    pub enc: [u8; ENC_LEN],
    /// HPKE ciphertext of the content key.
    pub wrapped: [u8; WRAPPED_LEN],
}

impl RecipientEntry {
    /// The HPKE `aad` that binds the wrapped key to its tag: identity id then key id.
    pub fn hpke_aad(identity: &IdentityId, key: &KeyId) -> [u8; IDENTITY_ID_LEN + KEY_ID_LEN] {
        let mut aad = [0u8; IDENTITY_ID_LEN + KEY_ID_LEN];
        aad[..IDENTITY_ID_LEN].copy_from_slice(&identity.0);
        aad[IDENTITY_ID_LEN..].copy_from_slice(&key.0);
        aad
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.identity.0);
        out.extend_from_slice(&self.key.0);
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.wrapped);
    }

    fn parse(bytes: &[u8; ENTRY_LEN]) -> Self {
        let (identity, rest) = bytes.split_at(IDENTITY_ID_LEN);
        let (key, rest) = rest.split_at(KEY_ID_LEN);
        let (enc, wrapped) = rest.split_at(ENC_LEN);
        let mut e = RecipientEntry {
            identity: IdentityId([0; IDENTITY_ID_LEN]),
            key: KeyId([0; KEY_ID_LEN]),
            enc: [0; ENC_LEN],
            wrapped: [0; WRAPPED_LEN],
        };
        e.identity.0.copy_from_slice(identity);
        e.key.0.copy_from_slice(key);
        e.enc.copy_from_slice(enc);
        e.wrapped.copy_from_slice(wrapped);
        e
    }
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// log2 of the chunk size.
    pub chunk_log2: u8,
    /// Recipient entries, in order.
    pub recipients: Vec<RecipientEntry>,
}

impl Header {
    /// Plaintext bytes per full chunk.
    pub fn chunk_size(&self) -> usize {
        1usize << self.chunk_log2
    }

    /// The header's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PREFIX_LEN + self.recipients.len() * ENTRY_LEN);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(SUITE);
        out.push(self.chunk_log2);
        // The count is checked against MAX_RECIPIENTS (< 2^16) before a header is built.
        out.extend_from_slice(&(self.recipients.len() as u16).to_be_bytes());
        for r in &self.recipients {
            r.write(&mut out);
        }
        out
    }

    /// Checks the fixed prefix; returns the chunk size exponent and the recipient count.
    pub fn parse_prefix(prefix: &[u8; PREFIX_LEN]) -> Result<(u8, usize), CiphertextFault> {
        if prefix[..4] != MAGIC {
            return Err(CiphertextFault::BadMagic);
        }
        if prefix[4] != VERSION {
            return Err(CiphertextFault::UnsupportedVersion);
        }
        if prefix[5] != SUITE {
            return Err(CiphertextFault::UnsupportedSuite);
        }
        let chunk_log2 = prefix[6];
        if !CHUNK_LOG2_RANGE.contains(&chunk_log2) {
            return Err(CiphertextFault::ChunkSize);
        }
        let count = usize::from(u16::from_be_bytes([prefix[7], prefix[8]]));
        if count == 0 || count > MAX_RECIPIENTS {
            return Err(CiphertextFault::RecipientCount);
        }
        Ok((chunk_log2, count))
    }

    /// Parses the recipient entries that follow a checked prefix.
    ///
    /// [`CiphertextFault::RecipientOrder`] unless the identity ids strictly ascend
    /// bytewise (docs/wire-format/ciphertext.md, "Layout").
    pub fn parse_entries(chunk_log2: u8, entries: &[u8]) -> Result<Header, CiphertextFault> {
        if !entries.len().is_multiple_of(ENTRY_LEN) {
            return Err(CiphertextFault::HeaderTruncated);
        }
        let recipients: Vec<RecipientEntry> = entries
            .chunks_exact(ENTRY_LEN)
            .map(|c| {
                let mut e = [0u8; ENTRY_LEN];
                e.copy_from_slice(c);
                RecipientEntry::parse(&e)
            })
            .collect();
        // The sealer writes each identity once, in ascending order; a reader that accepted
        // other orders would accept headers no sealer writes (and repeated entries would
        // multiply the HPKE work one header can demand). The order is that of the 20 id
        // bytes as unsigned bytes, first byte first (arrays compare so), strictly: equal
        // identity ids are refused whatever their key ids, which play no part.
        if recipients
            .windows(2)
            .any(|w| w[0].identity.0 >= w[1].identity.0)
        {
            return Err(CiphertextFault::RecipientOrder);
        }
        Ok(Header {
            chunk_log2,
            recipients,
        })
    }
}

/// The payload nonce of chunk `index`.
pub fn chunk_nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}
