//! `decode`: pretty-prints an envelope, evidence, a revocation, a name statement, a ciphertext
//! header or a vault header.
//!
//! Everything here reads untrusted bytes, so every format is tried through its
//! own bounded parser and a failure says what each attempt found. Vault files
//! are read through their public header only: no passphrase, no secrets.

use std::fmt::{self, Write as _};
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{Context, Result};
use engines::backend::format::{self, Header};
use engines::vault_file::{self, VaultFileError, VaultHeader};
use spec::Envelope;

use crate::evidence::Statement;
use crate::exit;
use crate::files;

/// Most bytes read into memory; a longer input can only be a ciphertext, whose rest is counted.
const MAX_DECODE_BYTES: u64 = 16 * 1024 * 1024;

/// `decode`: reads `input` (`-` for stdin) and prints what it is.
pub fn decode(input: &Path) -> Result<()> {
    let stdin = input == Path::new("-");
    let shown = if stdin {
        "stdin".to_owned()
    } else {
        input.display().to_string()
    };
    let mut reader = files::input(Some(input))?;
    let mut bytes = Vec::new();
    (&mut reader)
        .take(MAX_DECODE_BYTES)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {shown}"))?;
    if bytes.is_empty() {
        return Err(exit::bad_input(format!(
            "{shown} is empty: nothing to decode"
        )));
    }
    let mut out = String::new();
    if bytes.starts_with(&format::MAGIC) {
        let described = total_len(input, stdin, &bytes, &mut reader)
            .with_context(|| format!("cannot read {shown}"))
            .and_then(|total| ciphertext(&mut out, &bytes, total));
        // What the header says is worth showing even when the payload is impossible.
        files::print(&out)?;
        return described.with_context(|| format!("{shown} starts like a ciphertext (magic SWCT)"));
    }
    let more = bytes.len() as u64 == MAX_DECODE_BYTES
        && reader
            .read(&mut [0u8; 1])
            .with_context(|| format!("cannot read {shown}"))?
            > 0;
    if more {
        return Err(exit::bad_input(format!(
            "{shown} is larger than 16 MiB and not a ciphertext (no SWCT magic); envelopes, evidence and vault files are far smaller"
        )));
    }
    let as_envelope = match Envelope::from_cbor(&bytes) {
        Ok(env) => {
            envelope(&mut out, &env)?;
            return files::print(&out);
        }
        Err(e) => e,
    };
    let as_statement = match Statement::decode(&bytes) {
        Ok(s) => {
            statement(&mut out, &s)?;
            return files::print(&out);
        }
        Err(e) => e,
    };
    if let Some(described) = crate::names::describe(&bytes) {
        return files::print(&described);
    }
    let as_vault = match vault_file::read_header(&bytes) {
        Ok(h) => {
            vault(&mut out, &h)?;
            return files::print(&out);
        }
        // The variant's own text already says "not a vault file"; keep only why.
        Err(VaultFileError::Malformed(why)) => why,
        Err(e) => e.to_string(),
    };
    Err(exit::bad_input(format!(
        "cannot decode {shown}: not an envelope ({as_envelope}), {as_statement}, not a name statement, not a vault file ({as_vault}), not a ciphertext (bad magic)"
    )))
}

/// The whole input's length: what was read, plus the rest (from the file's size, or counted).
fn total_len(input: &Path, stdin: bool, head: &[u8], rest: &mut dyn Read) -> io::Result<u64> {
    let read = head.len() as u64;
    if read < MAX_DECODE_BYTES {
        return Ok(read);
    }
    if !stdin
        && let Ok(meta) = fs::metadata(input)
        && meta.is_file()
    {
        return Ok(meta.len().max(read));
    }
    // Streams the rest into nothing: constant memory, however long the input.
    Ok(read + io::copy(rest, &mut io::sink())?)
}

fn envelope(out: &mut String, env: &Envelope) -> fmt::Result {
    writeln!(out, "envelope")?;
    writeln!(out, "  sender:       {}", env.sender)?;
    writeln!(out, "  target:       {}", env.target)?;
    writeln!(out, "  correlation:  {}", env.correlation.0)?;
    writeln!(out, "  message:      {}", env.message.name())?;
    // Byte fields print as their lengths (spec's Debug), so this stays short.
    writeln!(out, "{:#?}", env.message)
}

fn statement(out: &mut String, s: &Statement) -> fmt::Result {
    // The label the signature covers names the relation; neither: the shape alone says "relation".
    let relation = s.relation().unwrap_or("relation");
    writeln!(out, "{relation} {}", s.kind())?;
    match s.reader_public() {
        Some(public) => writeln!(out, "  reader:       {} ({public})", s.reader())?,
        None => writeln!(out, "  reader:       {}", s.reader())?,
    }
    writeln!(
        out,
        "  subject:      {} ({})",
        s.subject().id(),
        s.subject()
    )?;
    writeln!(out, "  serial:       {}", s.serial())?;
    writeln!(out, "  signature:    {}", s.verdict())
}

fn vault(out: &mut String, header: &VaultHeader) -> fmt::Result {
    let kdf = header.kdf_params();
    writeln!(
        out,
        "vault file (public header only; the identities' secrets stay sealed)"
    )?;
    // `read_header` accepts only this format.
    writeln!(out, "  format:       {}", vault_file::FORMAT)?;
    writeln!(
        out,
        "  kdf:          argon2id, memory {} KiB, iterations {}, parallelism {}",
        kdf.memory_kib, kdf.iterations, kdf.parallelism
    )?;
    for identity in &header.identities {
        writeln!(out, "  identity:     {}", identity.id())?;
        writeln!(out, "    key id:     {}", identity.key_id())?;
        writeln!(out, "    public:     {identity}")?;
    }
    Ok(())
}

/// Describes a ciphertext into `out`; an impossible payload length is an error after the header.
fn ciphertext(out: &mut String, bytes: &[u8], total: u64) -> Result<()> {
    let prefix: &[u8; format::PREFIX_LEN] = bytes
        .get(..format::PREFIX_LEN)
        .and_then(|p| p.try_into().ok())
        .context("its header is truncated (shorter than the fixed prefix)")?;
    let (chunk_log2, count) = Header::parse_prefix(prefix).context("its header is invalid")?;
    let header_len = format::PREFIX_LEN + count * format::ENTRY_LEN;
    let entries = bytes.get(format::PREFIX_LEN..header_len).with_context(|| {
        format!(
            "its header is truncated: {count} recipient entries need {header_len} bytes, the input has {}",
            bytes.len()
        )
    })?;
    let header = Header::parse_entries(chunk_log2, entries).context("its header is invalid")?;
    writeln!(out, "ciphertext")?;
    writeln!(out, "  version:      {}", prefix[4])?;
    writeln!(
        out,
        "  suite:        {} (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305)",
        prefix[5]
    )?;
    writeln!(out, "  chunk size:   {} bytes", header.chunk_size())?;
    writeln!(out, "  recipients:   {}", header.recipients.len())?;
    for r in &header.recipients {
        writeln!(out, "    identity {}  key {}", r.identity, r.key)?;
    }
    writeln!(out, "  header:       {header_len} bytes")?;
    // `total` counts at least the bytes read, which hold the whole header.
    let payload = total.saturating_sub(header_len as u64);
    let (chunks, plaintext) = chunks(payload, header.chunk_size() as u64)?;
    writeln!(
        out,
        "  payload:      {payload} bytes in {chunks} chunks ({plaintext} bytes of plaintext if intact)"
    )?;
    Ok(())
}

/// Chunks and plaintext bytes of a payload, or why its length is impossible.
fn chunks(payload: u64, chunk_size: u64) -> Result<(u64, u64)> {
    let tag = format::TAG_LEN as u64;
    let full = chunk_size + tag;
    if payload == 0 {
        return Err(exit::bad_input(
            "the payload is empty: the final chunk is missing (truncated ciphertext)",
        ));
    }
    let count = payload.div_ceil(full);
    let last = payload - (count - 1) * full;
    if last < tag {
        return Err(exit::bad_input(format!(
            "the payload's last chunk has {last} bytes, fewer than its {tag}-byte tag (truncated ciphertext)"
        )));
    }
    Ok((count, payload - count * tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_counts() {
        // An empty plaintext is one chunk holding only its tag.
        assert_eq!(chunks(16, 1024).ok(), Some((1, 0)));
        assert_eq!(chunks(1040, 1024).ok(), Some((1, 1024)));
        assert_eq!(chunks(1040 + 16, 1024).ok(), Some((2, 1024)));
        assert_eq!(chunks(1040 + 17, 1024).ok(), Some((2, 1025)));
        assert!(chunks(0, 1024).is_err());
        assert!(chunks(15, 1024).is_err());
        assert!(chunks(1040 + 15, 1024).is_err());
    }
}
