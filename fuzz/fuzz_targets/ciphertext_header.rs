//! The ciphertext header parser (`backend::format`): prefix and recipient entries.
//!
//! Properties: parsing never panics; an accepted prefix is in range; entries
//! parse exactly when they are whole entries in strictly ascending identity
//! order; a parsed header writes back the bytes it was parsed from.
#![no_main]

use engines::backend::format::{
    CHUNK_LOG2_RANGE, ENTRY_LEN, Header, MAX_RECIPIENTS, PREFIX_LEN, chunk_nonce,
};
use libfuzzer_sys::fuzz_target;
use spec::identity::IDENTITY_ID_LEN;

fuzz_target!(|data: &[u8]| {
    let Some((prefix, rest)) = data.split_first_chunk::<PREFIX_LEN>() else {
        return;
    };
    let Ok((chunk_log2, count)) = Header::parse_prefix(prefix) else {
        return;
    };
    assert!(CHUNK_LOG2_RANGE.contains(&chunk_log2));
    assert!((1..=MAX_RECIPIENTS).contains(&count));
    // Any length: whole entries in strictly ascending identity order parse, nothing else does.
    let any = Header::parse_entries(chunk_log2, rest);
    let whole = rest.len() % ENTRY_LEN == 0;
    let ascending = rest
        .chunks_exact(ENTRY_LEN)
        .zip(rest.chunks_exact(ENTRY_LEN).skip(1))
        .all(|(a, b)| a[..IDENTITY_ID_LEN] < b[..IDENTITY_ID_LEN]);
    assert_eq!(any.is_ok(), whole && ascending, "{any:?}");
    // Exactly `count` entries, as a reader takes them.
    let Some(entries) = rest.get(..count * ENTRY_LEN) else {
        return;
    };
    let Ok(header) = Header::parse_entries(chunk_log2, entries) else {
        return;
    };
    assert_eq!(header.recipients.len(), count);
    assert_eq!(header.chunk_size(), 1 << chunk_log2);
    let bytes = header.to_bytes();
    assert_eq!(&bytes[..PREFIX_LEN], prefix);
    assert_eq!(&bytes[PREFIX_LEN..], entries);
    // Nonces never repeat within a stream.
    let n = u64::from(prefix[8]);
    assert_ne!(chunk_nonce(n, false), chunk_nonce(n, true));
    assert_ne!(chunk_nonce(n, false), chunk_nonce(n + 1, false));
});
