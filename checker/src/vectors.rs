//! `sealwright vectors`: deterministic test vectors for independent implementations.
//!
//! Every key is derived from a fixed seed ([`SeededRng`]) and every ciphertext
//! is sealed with seeded randomness, so the files are byte-identical on every
//! run and on every machine. They hold: an envelope of every message
//! constructor (replies with their `Ok` and their errors), reads-for and
//! signs-for evidence and revocations, commitments, and name evidence and
//! revocations, each with the exact bytes its Ed25519 signature covers, and ciphertexts with the recipients'
//! private keys and the expected plaintext. `scripts/interop.py` checks them
//! with independent Python libraries.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use ciborium::Value;
use engines::Backend;
use engines::backend::format::{ENTRY_LEN, PREFIX_LEN, TAG_LEN};
use engines::backend::hpke::{HpkeBackend, SeededRng};
use engines::backend::{KeyEntry, KeyRing};
use engines::identity::InternalIdentity;
use spec::error::{CiphertextFault, MalformedStatement};
use spec::message::{
    Ciphertext, Commitment, Continuation, GeneratedKey, MESSAGE_NAMES, Message, Plaintext, Refusal,
    RelationMessages, ReplyCommitment, ReplyConnectIdentity, ReplyDecryption, ReplyDeleteIdentity,
    ReplyDeleteKey, ReplyDeriveZoneIdentity, ReplyEncrypt, ReplyGenerateIdentity, ReplyGenerateKey,
    ReplyRotateIdentity, ReplyRotateKey, ReplyVerification, RequestCommitment,
    RequestConnectIdentity, RequestDecryption, RequestDeleteIdentity, RequestDeleteKey,
    RequestDeriveZoneIdentity, RequestEncrypt, RequestGenerateIdentity, RequestGenerateKey,
    RequestRotateIdentity, RequestRotateKey, RequestVerification, Signable,
};
use spec::message::{
    ReplyQueryNameEvidence, ReplyResolveName, ReplySubmitNameEvidence, ReplySubmitNameRevocation,
    RequestQueryNameEvidence, RequestResolveName, RequestSubmitNameEvidence,
    RequestSubmitNameRevocation,
};
use spec::relation::{Reads, Relation, Signs};
use spec::{
    Address, Capabilities, Coded, CommitmentError, CorrelationId, DecryptionError, EncryptionError,
    Envelope, Evidence, IdentityError, RelationError, Revocation, VerificationError, codec,
};
use spec::{IdentityName, NameEvidence, NameRevocation, NamingError};

use crate::files;

/// The envelope vectors' file name.
pub const ENVELOPES: &str = "envelopes.json";
/// The evidence and revocation vectors' file name.
pub const EVIDENCE: &str = "evidence.json";
/// The ciphertext vectors' file name.
pub const CIPHERTEXTS: &str = "ciphertexts.json";
/// The file that says what the others hold.
pub const README: &str = "README.md";

/// Prefix of every seed, so no vector key collides with another use of [`SeededRng`].
const SEED_PREFIX: &str = "sealwright/vectors/v1/";

// ---------------------------------------------------------------------------
// JSON with ordered keys

/// A JSON value whose objects keep their insertion order (CBOR maps are ordered on the wire).
enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn obj<const N: usize>(entries: [(&str, Json); N]) -> Json {
        Json::Obj(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    fn str(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    fn hex(bytes: &[u8]) -> Json {
        Json::Str(hex(bytes))
    }

    fn int(n: impl Into<i128>) -> Json {
        Json::Int(n.into())
    }

    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Str(s) => write_json_string(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    pad(out, indent + 2);
                    item.write(out, indent + 2);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            Json::Obj(entries) => {
                out.push_str("{\n");
                for (i, (key, value)) in entries.iter().enumerate() {
                    pad(out, indent + 2);
                    write_json_string(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 2);
                    out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// What a generic CBOR decoder finds: byte strings as `{"$bytes": hex}`, maps in wire order.
fn cbor_to_json(value: &Value) -> Result<Json> {
    Ok(match value {
        Value::Integer(i) => Json::Int(i128::from(*i)),
        Value::Bytes(b) => Json::obj([("$bytes", Json::hex(b))]),
        Value::Text(t) => Json::str(t.as_str()),
        Value::Bool(b) => Json::Bool(*b),
        Value::Null => Json::Null,
        Value::Array(items) => Json::Arr(items.iter().map(cbor_to_json).collect::<Result<_>>()?),
        Value::Map(entries) => Json::Obj(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = k
                        .as_text()
                        .ok_or_else(|| anyhow!("a map key that is not text: {k:?}"))?;
                    Ok((key.to_owned(), cbor_to_json(v)?))
                })
                .collect::<Result<_>>()?,
        ),
        other => bail!("the wire format never uses {other:?}"),
    })
}

/// The JSON rendering of canonical CBOR bytes, read back through the project's codec.
fn decoded(bytes: &[u8]) -> Result<Json> {
    cbor_to_json(&codec::decode_value(bytes)?)
}

// ---------------------------------------------------------------------------
// Keys

fn seeded(what: &str) -> HpkeBackend<SeededRng> {
    HpkeBackend::with_rng(SeededRng::new(format!("{SEED_PREFIX}{what}").as_bytes()))
}

/// The named identities every file uses, each from its own seed.
struct Cast {
    alice: InternalIdentity,
    bob: InternalIdentity,
    carol: InternalIdentity,
    /// Alice after rotating her encryption key (same signing key).
    alice_rotated: InternalIdentity,
    /// Alice's zone identity for the zone "mail".
    alice_mail: InternalIdentity,
}

impl Cast {
    fn new() -> Cast {
        let identity = |name: &str| seeded(&format!("identity/{name}")).generate_identity();
        let alice = identity("alice");
        let alice_rotated = seeded("rotate/alice").rotate_encryption_key(&alice);
        Cast {
            bob: identity("bob"),
            carol: identity("carol"),
            alice_mail: identity("alice/zone/mail"),
            alice_rotated,
            alice,
        }
    }

    fn named(&self) -> [(&'static str, &InternalIdentity); 5] {
        [
            ("alice", &self.alice),
            ("bob", &self.bob),
            ("carol", &self.carol),
            ("alice-rotated", &self.alice_rotated),
            ("alice-zone-mail", &self.alice_mail),
        ]
    }

    fn name_of(&self, who: &InternalIdentity) -> &'static str {
        self.named()
            .into_iter()
            .find(|(_, i)| *i == who)
            .map_or("?", |(n, _)| n)
    }
}

/// Ed25519 signing needs no randomness; any backend signs the same.
fn sign(signer: &InternalIdentity, message: &[u8]) -> [u8; 64] {
    seeded("signer").sign(signer, message)
}

fn evidence<R: Relation>(
    from: &InternalIdentity,
    to: &InternalIdentity,
    serial: u64,
) -> Evidence<R> {
    let statement = Evidence::<R>::statement_bytes(&from.external, &to.external, serial);
    Evidence::new(
        from.external.clone(),
        to.external.clone(),
        serial,
        sign(to, &statement),
    )
}

fn revocation<R: Relation>(
    from: &InternalIdentity,
    to: &InternalIdentity,
    serial: u64,
) -> Revocation<R> {
    let statement = Revocation::<R>::statement_bytes(&from.id(), &to.external, serial);
    Revocation::new(from.id(), to.external.clone(), serial, sign(to, &statement))
}

/// `signer`'s commitment to `data`, made by the vault's own code for the identity's owner
/// (the vectors' client).
fn commitment(signer: &InternalIdentity, data: &[u8]) -> Result<Commitment> {
    let owner = address(CLIENT)?;
    let request = RequestCommitment {
        data: Signable(data.to_vec()),
        external_identity: signer.id(),
    };
    engines::commitment::commit(
        &seeded("signer"),
        Some((&owner, signer, Capabilities::default())),
        &owner,
        &request,
    )
    .map_err(|e| anyhow!("the vault does not commit: {e}"))
}

fn identity_json(name: &str, who: &InternalIdentity) -> Json {
    let public = &who.external;
    Json::obj([
        ("name", Json::str(name)),
        ("ed25519_seed", Json::hex(who.signing_seed.expose())),
        ("ed25519_public_key", Json::hex(&public.verifying_key)),
        (
            "x25519_private_key",
            Json::hex(who.encryption_secret.expose()),
        ),
        ("x25519_public_key", Json::hex(&public.encryption_key)),
        ("identity_cbor", Json::hex(&codec::encode(public))),
        ("identity_id", Json::hex(&public.id().0)),
        ("identity_id_text", Json::str(public.id().to_string())),
        ("key_id", Json::hex(&public.key_id().0)),
        ("key_id_text", Json::str(public.key_id().to_string())),
        ("public_text", Json::str(public.to_string())),
    ])
}

// ---------------------------------------------------------------------------
// Ciphertexts

/// One ciphertext vector: who it is sealed to, the chunk size and the payload.
struct CiphertextCase {
    name: &'static str,
    about: &'static str,
    recipients: Vec<InternalIdentity>,
    chunk_log2: u8,
    plaintext: Vec<u8>,
}

/// A payload that is the same on every run and not all one byte.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

fn ciphertext_cases(cast: &Cast) -> Vec<CiphertextCase> {
    vec![
        CiphertextCase {
            name: "one-recipient",
            about: "a short text to one recipient, default chunk size (64 KiB)",
            recipients: vec![cast.alice.clone()],
            chunk_log2: 16,
            plaintext: b"Sealwright interoperability vector: hello, Alice.\n".to_vec(),
        },
        CiphertextCase {
            name: "three-recipients",
            about: "one payload sealed to three recipients; each entry opens it",
            recipients: vec![cast.alice.clone(), cast.bob.clone(), cast.carol.clone()],
            chunk_log2: 16,
            plaintext: b"Sealed once, readable by Alice, Bob and Carol.".to_vec(),
        },
        CiphertextCase {
            name: "empty-payload",
            about: "an empty payload: one 16-byte chunk flagged last",
            recipients: vec![cast.bob.clone()],
            chunk_log2: 10,
            plaintext: Vec::new(),
        },
        CiphertextCase {
            name: "several-chunks",
            about: "2600 bytes in 1 KiB chunks: two full chunks and a last one of 552 bytes",
            recipients: vec![cast.carol.clone(), cast.alice.clone()],
            chunk_log2: 10,
            plaintext: pattern(2600),
        },
        CiphertextCase {
            name: "exact-multiple",
            about: "3072 bytes in 1 KiB chunks: three full chunks, the third flagged last",
            recipients: vec![cast.alice.clone()],
            chunk_log2: 10,
            plaintext: pattern(3072),
        },
        CiphertextCase {
            name: "one-full-chunk",
            about: "exactly one full 1 KiB chunk, flagged last",
            recipients: vec![cast.alice_rotated.clone()],
            chunk_log2: 10,
            plaintext: pattern(1024),
        },
    ]
}

fn key_ring(who: &InternalIdentity) -> KeyRing {
    KeyRing::from([(
        who.key_id(),
        KeyEntry {
            identity: who.id(),
            secret: who.encryption_secret.clone(),
        },
    )])
}

fn seal(case: &CiphertextCase) -> Result<Ciphertext> {
    let recipients: Vec<_> = case.recipients.iter().map(|r| r.external.clone()).collect();
    let mut backend = seeded(&format!("ciphertext/{}", case.name)).with_chunk_log2(case.chunk_log2);
    let sealed = backend
        .seal(&recipients, &case.plaintext)
        .map_err(|e| anyhow!("cannot seal the {} vector: {e}", case.name))?;
    // Never write a vector the engines' own backend does not open.
    for r in &case.recipients {
        let opened = backend
            .open(&key_ring(r), &sealed.0)
            .map_err(|e| anyhow!("the {} vector does not open: {e}", case.name))?;
        if opened.0 != case.plaintext {
            bail!("the {} vector opens to the wrong plaintext", case.name);
        }
    }
    Ok(sealed)
}

/// A case's recipients in header order (ascending identity id), with their keys.
fn recipients_json(cast: &Cast, case: &CiphertextCase) -> Json {
    let mut recipients: Vec<&InternalIdentity> = case.recipients.iter().collect();
    recipients.sort_by_key(|r| r.id());
    Json::Arr(
        recipients
            .iter()
            .map(|r| {
                Json::obj([
                    ("name", Json::str(cast.name_of(r))),
                    ("identity_id", Json::hex(&r.id().0)),
                    ("key_id", Json::hex(&r.key_id().0)),
                    (
                        "x25519_private_key",
                        Json::hex(r.encryption_secret.expose()),
                    ),
                    ("x25519_public_key", Json::hex(&r.external.encryption_key)),
                    ("ed25519_public_key", Json::hex(&r.external.verifying_key)),
                ])
            })
            .collect(),
    )
}

fn ciphertext_json(cast: &Cast, case: &CiphertextCase, sealed: &Ciphertext) -> Json {
    let chunk = 1usize << case.chunk_log2;
    Json::obj([
        ("name", Json::str(case.name)),
        ("about", Json::str(case.about)),
        ("chunk_log2", Json::int(case.chunk_log2)),
        ("chunk_size", Json::int(chunk as u64)),
        (
            "chunk_count",
            Json::int(case.plaintext.len().div_ceil(chunk).max(1) as u64),
        ),
        ("header_len", Json::int(header_len(case) as u64)),
        ("recipients", recipients_json(cast, case)),
        ("plaintext_len", Json::int(case.plaintext.len() as u64)),
        ("plaintext", Json::hex(&case.plaintext)),
        ("ciphertext_len", Json::int(sealed.0.len() as u64)),
        ("ciphertext", Json::hex(&sealed.0)),
    ])
}

fn header_len(case: &CiphertextCase) -> usize {
    PREFIX_LEN + case.recipients.len() * ENTRY_LEN
}

/// A ciphertext every reader must refuse, made from a valid vector, with the
/// error it must report (docs/wire-format/ciphertext.md, "Truncation and
/// trailing bytes" and "Layout").
struct RefusedCase {
    name: &'static str,
    about: &'static str,
    /// The valid vector it is made from.
    from: &'static str,
    /// The refused bytes, from the valid ciphertext and its header length.
    make: fn(&[u8], usize) -> Vec<u8>,
    error: DecryptionError,
}

/// A 1 KiB chunk sealed: 1024 bytes and the tag.
const SEALED_KIB: usize = 1024 + TAG_LEN;

/// Every refused vector: the cuts, then the additions and the headers.
fn refused_cases() -> Vec<RefusedCase> {
    let mut cases = cut_cases();
    cases.extend(tampered_cases());
    cases
}

/// Ciphertexts whose input ends early.
fn cut_cases() -> Vec<RefusedCase> {
    use DecryptionError::{AuthenticationFailed, Truncated};
    vec![
        RefusedCase {
            name: "cut-at-chunk-boundary",
            about: "several-chunks cut after its second chunk: every byte is authentic, the final chunk is missing",
            from: "several-chunks",
            make: |ct, h| ct[..h + 2 * SEALED_KIB].to_vec(),
            error: Truncated,
        },
        RefusedCase {
            name: "cut-at-chunk-boundary-full-chunks",
            about: "exact-multiple cut after its second full chunk (the third, flagged last, is missing)",
            from: "exact-multiple",
            make: |ct, h| ct[..h + 2 * SEALED_KIB].to_vec(),
            error: Truncated,
        },
        RefusedCase {
            name: "cut-after-header",
            about: "one-recipient cut right after its header: no chunk at all",
            from: "one-recipient",
            make: |ct, h| ct[..h].to_vec(),
            error: Truncated,
        },
        RefusedCase {
            name: "cut-short-of-a-tag",
            about: "several-chunks cut 15 bytes into its final chunk: no chunk ends there",
            from: "several-chunks",
            make: |ct, h| ct[..h + 2 * SEALED_KIB + TAG_LEN - 1].to_vec(),
            error: Truncated,
        },
        RefusedCase {
            name: "cut-inside-a-chunk",
            about: "several-chunks cut 100 bytes into its final chunk: the last 16 bytes are read as a tag and fail",
            from: "several-chunks",
            make: |ct, h| ct[..h + 2 * SEALED_KIB + 100].to_vec(),
            error: AuthenticationFailed,
        },
    ]
}

/// Ciphertexts with bytes after the final chunk, and headers out of order.
fn tampered_cases() -> Vec<RefusedCase> {
    use DecryptionError::{AuthenticationFailed, Malformed};
    vec![
        RefusedCase {
            name: "trailing-bytes",
            about: "several-chunks followed by one zero byte after its final chunk",
            from: "several-chunks",
            make: |ct, _| [ct, &[0u8][..]].concat(),
            error: AuthenticationFailed,
        },
        RefusedCase {
            name: "trailing-bytes-after-full-final-chunk",
            about: "exact-multiple followed by 16 zero bytes: its full final chunk is then not the last piece",
            from: "exact-multiple",
            make: |ct, _| [ct, &[0u8; TAG_LEN][..]].concat(),
            error: AuthenticationFailed,
        },
        RefusedCase {
            name: "final-chunk-twice",
            about: "one-full-chunk followed by a copy of its only chunk: authentic bytes after the final chunk",
            from: "one-full-chunk",
            make: |ct, h| [ct, &ct[h..]].concat(),
            error: AuthenticationFailed,
        },
        RefusedCase {
            name: "recipients-out-of-order",
            about: "three-recipients with its first two entries swapped: authentic entries, not in ascending identity id",
            from: "three-recipients",
            make: |ct, _| {
                let mut out = ct.to_vec();
                let (first, second) = (
                    PREFIX_LEN..PREFIX_LEN + ENTRY_LEN,
                    PREFIX_LEN + ENTRY_LEN..PREFIX_LEN + 2 * ENTRY_LEN,
                );
                out[first.clone()].copy_from_slice(&ct[second.clone()]);
                out[second].copy_from_slice(&ct[first]);
                out
            },
            error: Malformed(CiphertextFault::RecipientOrder),
        },
        RefusedCase {
            name: "recipient-repeated",
            about: "three-recipients with its first entry written over its second: one identity id twice",
            from: "three-recipients",
            make: |ct, _| {
                let mut out = ct.to_vec();
                out[PREFIX_LEN + ENTRY_LEN..PREFIX_LEN + 2 * ENTRY_LEN]
                    .copy_from_slice(&ct[PREFIX_LEN..PREFIX_LEN + ENTRY_LEN]);
                out
            },
            error: Malformed(CiphertextFault::RecipientOrder),
        },
    ]
}

/// The refused vector of `refused`, made from `case` sealed as `sealed`; checked
/// first: every listed recipient's key gives exactly the expected error.
fn refused_json(
    cast: &Cast,
    refused: &RefusedCase,
    case: &CiphertextCase,
    sealed: &Ciphertext,
) -> Result<Json> {
    let bytes = (refused.make)(&sealed.0, header_len(case));
    let backend = seeded("refused");
    for r in &case.recipients {
        let got = backend.open(&key_ring(r), &bytes);
        if got.as_ref().err() != Some(&refused.error) {
            bail!(
                "the refused vector {} gives {got:?} for {}, not {:?}",
                refused.name,
                cast.name_of(r),
                refused.error
            );
        }
    }
    Ok(Json::obj([
        ("name", Json::str(refused.name)),
        ("about", Json::str(refused.about)),
        ("from", Json::str(refused.from)),
        ("recipients", recipients_json(cast, case)),
        ("ciphertext_len", Json::int(bytes.len() as u64)),
        ("ciphertext", Json::hex(&bytes)),
        ("error", decoded(&codec::encode(&refused.error))?),
        ("error_code", Json::int(refused.error.code())),
    ]))
}

/// The ciphertext file: the valid vectors, then the refused ones. Also returns
/// the first case with its ciphertext (the envelopes carry it) and the counts.
fn ciphertext_file(cast: &Cast) -> Result<(Json, CiphertextCase, Ciphertext, usize, usize)> {
    let mut sealed = Vec::new();
    for case in ciphertext_cases(cast) {
        let ct = seal(&case)?;
        sealed.push((case, ct));
    }
    let valid: Vec<Json> = sealed
        .iter()
        .map(|(case, ct)| ciphertext_json(cast, case, ct))
        .collect();
    let mut refused = Vec::new();
    for r in refused_cases() {
        let (case, ct) = sealed
            .iter()
            .find(|(c, _)| c.name == r.from)
            .ok_or_else(|| {
                anyhow!(
                    "the refused vector {} is made from no vector {}",
                    r.name,
                    r.from
                )
            })?;
        refused.push(refused_json(cast, &r, case, ct)?);
    }
    let (valid_count, refused_count) = (valid.len(), refused.len());
    let file = Json::obj([
        (
            "about",
            Json::str(
                "Sealwright ciphertexts (docs/wire-format/ciphertext.md), suite 1. Each of \
                 `vectors` opens, with the x25519_private_key of any listed recipient, to \
                 plaintext. Each of `refused` must be refused, with the key of any listed \
                 recipient, with exactly `error` (as the wire writes a DecryptionError; its \
                 code is error_code). Recipients are listed in header order (ascending \
                 identity_id). Byte strings are lowercase hex.",
            ),
        ),
        ("generator", Json::str("sealwright vectors")),
        ("count", Json::int(valid_count as u64)),
        ("vectors", Json::Arr(valid)),
        ("refused_count", Json::int(refused_count as u64)),
        ("refused", Json::Arr(refused)),
    ]);
    let (hello, hello_sealed) = sealed
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no ciphertext vectors"))?;
    Ok((file, hello, hello_sealed, valid_count, refused_count))
}

// ---------------------------------------------------------------------------
// Envelopes

const CLIENT: &str = "client-1";
const ENCRYPTION: &str = "node-a/encryption";
const VERIFICATION: &str = "node-a/verification";
const DECRYPTION: &str = "node-a/decryption";
const IDENTITY_MANAGEMENT: &str = "node-a/identity-management";
const NAMING: &str = "node-a/naming";

/// Correlation ids on both sides of every integer-head width boundary.
const CORRELATIONS: [u64; 10] = [
    1,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    u32::MAX as u64,
    1 << 32,
    u64::MAX,
];

fn address(name: &str) -> Result<Address> {
    Address::new(name).with_context(|| format!("`{name}`"))
}

/// Envelope vectors in the order they are built: each request, then its replies.
#[derive(Default)]
struct Exchanges {
    cases: Vec<(String, Envelope)>,
    names: BTreeSet<String>,
    refused: BTreeSet<&'static str>,
}

impl Exchanges {
    fn push(&mut self, name: String, envelope: Envelope) -> Result<()> {
        if !self.names.insert(name.clone()) {
            bail!("two envelope vectors are named {name}");
        }
        self.cases.push((name, envelope));
        Ok(())
    }

    /// A request from `from` to `to`, then each reply to it (and, the first time a
    /// request name is seen, its "not handled" and "engine failed" refusals).
    fn exchange(
        &mut self,
        label: &str,
        (from, to): (&str, &str),
        request: impl Into<Message>,
        replies: Vec<(&str, Message)>,
    ) -> Result<()> {
        let correlation = CorrelationId(CORRELATIONS[self.cases.len() % CORRELATIONS.len()]);
        let request = Envelope {
            sender: address(from)?,
            target: address(to)?,
            correlation,
            message: request.into(),
        };
        let name = request.message.name();
        self.push(format!("{name}/{label}"), request.clone())?;
        for (label, reply) in replies {
            let reply = request.reply(reply);
            self.push(format!("{}/{label}", reply.message.name()), reply)?;
        }
        if self.refused.insert(name) {
            for (label, why) in [
                ("err-not-handled", Refusal::NotHandled),
                ("err-engine-failed", Refusal::EngineFailed),
            ] {
                let refusal = request
                    .message
                    .refusal(why)
                    .ok_or_else(|| anyhow!("{name} has no refusal"))?;
                let reply = request.reply(refusal);
                self.push(format!("{}/{label}", reply.message.name()), reply)?;
            }
        }
        Ok(())
    }
}

/// Encryption: a request of each kind and every reply, the reads-for query and its answers.
fn encryption_exchanges(
    x: &mut Exchanges,
    cast: &Cast,
    hello: &CiphertextCase,
    sealed: &Ciphertext,
) -> Result<()> {
    let (alice, bob) = (&cast.alice, &cast.bob);
    x.exchange(
        "to-alice",
        (CLIENT, ENCRYPTION),
        RequestEncrypt {
            data: Plaintext(hello.plaintext.clone()),
            external_identity: alice.external.clone(),
            use_reads_for: false,
        },
        vec![
            (
                "ok",
                ReplyEncrypt {
                    result: Ok(sealed.clone()),
                }
                .into(),
            ),
            (
                "err-too-many-recipients",
                ReplyEncrypt {
                    result: Err(EncryptionError::TooManyRecipients),
                }
                .into(),
            ),
            (
                "err-invalid-recipient",
                ReplyEncrypt {
                    result: Err(EncryptionError::InvalidRecipient),
                }
                .into(),
            ),
            (
                "err-plaintext-too-large",
                ReplyEncrypt {
                    result: Err(EncryptionError::PlaintextTooLarge),
                }
                .into(),
            ),
        ],
    )?;
    x.exchange(
        "empty-with-reads-for",
        (CLIENT, ENCRYPTION),
        RequestEncrypt {
            data: Plaintext(Vec::new()),
            external_identity: bob.external.clone(),
            use_reads_for: true,
        },
        vec![(
            "err-reads-for-unavailable",
            ReplyEncrypt {
                result: Err(EncryptionError::ReadsFor(RelationError::Unavailable)),
            }
            .into(),
        )],
    )?;
    Ok(())
}

/// A relation engine (ReadsFor or SignsFor): decisions, submissions, revocations and
/// queries from `querier`, with a continuation and without, and their answers and refusals.
fn relation_exchanges<R: RelationMessages>(
    x: &mut Exchanges,
    cast: &Cast,
    querier: &str,
) -> Result<()> {
    let (alice, bob, carol) = (&cast.alice, &cast.bob, &cast.carol);
    let engine = format!("node-a/{}", R::ENGINE);
    let to_engine = (CLIENT, engine.as_str());
    for (label, (a, b), answer) in [
        ("alice-bob", (alice, bob), ("ok-true", true)),
        ("bob-carol", (bob, carol), ("ok-false", false)),
    ] {
        x.exchange(
            label,
            to_engine,
            R::decide(a.id(), b.id()),
            vec![(answer.0, R::decided(a.id(), b.id(), Ok(answer.1)))],
        )?;
    }
    let submit_err = |e: RelationError| R::submitted(Err(e));
    x.exchange(
        "alice-for-bob",
        to_engine,
        R::submit(evidence(alice, bob, 1)),
        vec![
            ("ok", R::submitted(Ok(()))),
            (
                "err-signature-invalid",
                submit_err(RelationError::SignatureInvalid),
            ),
            (
                "err-malformed-self-reference",
                submit_err(RelationError::Malformed(MalformedStatement::SelfReference)),
            ),
            (
                "err-malformed-bad-verifying-key",
                submit_err(RelationError::Malformed(
                    MalformedStatement::BadVerifyingKey,
                )),
            ),
            (
                "err-revoked",
                submit_err(RelationError::Revoked { revoked_through: 1 }),
            ),
            (
                "err-superseded",
                submit_err(RelationError::Superseded { current: 300 }),
            ),
        ],
    )?;
    x.exchange(
        "alice-for-bob",
        to_engine,
        R::revoke(revocation(alice, bob, 1)),
        vec![
            ("ok", R::revoked(Ok(()))),
            (
                "err-signature-invalid",
                R::revoked(Err(RelationError::SignatureInvalid)),
            ),
        ],
    )?;

    let from_querier = (querier, engine.as_str());
    let mut into_bob = vec![evidence(alice, bob, 1), evidence(carol, bob, 24)];
    into_bob.sort();
    x.exchange(
        "bob",
        from_querier,
        R::query(bob.id(), None),
        vec![("ok-two", R::answered(bob.id(), None, Ok(into_bob)))],
    )?;
    let continuation = Some(Continuation(
        b"opaque continuation \x00\x01\xfe\xff".to_vec(),
    ));
    x.exchange(
        "carol-with-continuation",
        from_querier,
        R::query(carol.id(), continuation.clone()),
        vec![
            (
                "ok-empty",
                R::answered(carol.id(), continuation.clone(), Ok(Vec::new())),
            ),
            (
                "err-unavailable",
                R::answered(carol.id(), continuation, Err(RelationError::Unavailable)),
            ),
        ],
    )?;
    Ok(())
}

/// Verification: a commitment checked directly and through signs-for, with every answer.
fn verification_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let (alice, bob) = (&cast.alice, &cast.bob);
    let data = b"Sealwright verification vector.\n".to_vec();
    let verified = |result| -> Message { ReplyVerification { result }.into() };
    x.exchange(
        "alice-direct",
        (CLIENT, VERIFICATION),
        RequestVerification {
            data: Signable(data.clone()),
            commitment: commitment(alice, &data)?,
            external_identity: alice.external.clone(),
            use_signs_for: false,
        },
        vec![
            ("ok-true", verified(Ok(true))),
            ("ok-false", verified(Ok(false))),
            (
                "err-data-too-large",
                verified(Err(VerificationError::DataTooLarge)),
            ),
        ],
    )?;
    x.exchange(
        "bob-for-alice-with-signs-for",
        (CLIENT, VERIFICATION),
        RequestVerification {
            data: Signable(data.clone()),
            commitment: commitment(bob, &data)?,
            external_identity: alice.external.clone(),
            use_signs_for: true,
        },
        vec![
            ("ok-true-signs-for", verified(Ok(true))),
            (
                "err-signs-for-unavailable",
                verified(Err(VerificationError::SignsFor(RelationError::Unavailable))),
            ),
        ],
    )?;
    Ok(())
}

/// Commitment (the vault): an owner asks for a commitment, with every answer.
fn commitment_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let alice = &cast.alice;
    let data = b"Sealwright commitment vector: signed by Alice.\n".to_vec();
    let committed = |result| -> Message { ReplyCommitment { result }.into() };
    x.exchange(
        "alice",
        (CLIENT, DECRYPTION),
        RequestCommitment {
            data: Signable(data.clone()),
            external_identity: alice.id(),
        },
        vec![
            ("ok", committed(Ok(commitment(alice, &data)?))),
            (
                "err-not-authorised",
                committed(Err(CommitmentError::NotAuthorised)),
            ),
            (
                "err-unknown-identity",
                committed(Err(CommitmentError::UnknownIdentity)),
            ),
        ],
    )?;
    Ok(())
}

/// Decryption: decryption with every outcome, and key management.
fn decryption_exchanges(
    x: &mut Exchanges,
    hello: &CiphertextCase,
    sealed: &Ciphertext,
) -> Result<()> {
    let decryption_err =
        |e: DecryptionError| -> Message { ReplyDecryption { result: Err(e) }.into() };
    let mut decryption_replies = vec![
        (
            "ok",
            ReplyDecryption {
                result: Ok(Plaintext(hello.plaintext.clone())),
            }
            .into(),
        ),
        (
            "err-not-authorised",
            decryption_err(DecryptionError::NotAuthorised),
        ),
        (
            "err-no-matching-key",
            decryption_err(DecryptionError::NoMatchingKey),
        ),
        (
            "err-authentication-failed",
            decryption_err(DecryptionError::AuthenticationFailed),
        ),
        ("err-truncated", decryption_err(DecryptionError::Truncated)),
    ];
    for (label, fault) in [
        ("err-malformed-bad-magic", CiphertextFault::BadMagic),
        (
            "err-malformed-unsupported-version",
            CiphertextFault::UnsupportedVersion,
        ),
        (
            "err-malformed-unsupported-suite",
            CiphertextFault::UnsupportedSuite,
        ),
        (
            "err-malformed-recipient-count",
            CiphertextFault::RecipientCount,
        ),
        ("err-malformed-chunk-size", CiphertextFault::ChunkSize),
        (
            "err-malformed-header-truncated",
            CiphertextFault::HeaderTruncated,
        ),
        (
            "err-malformed-recipient-order",
            CiphertextFault::RecipientOrder,
        ),
    ] {
        decryption_replies.push((label, decryption_err(DecryptionError::Malformed(fault))));
    }
    x.exchange(
        "hello-alice",
        (CLIENT, DECRYPTION),
        RequestDecryption {
            data: sealed.clone(),
        },
        decryption_replies,
    )?;
    Ok(())
}

/// Identity Management: generating and connecting identities.
fn identity_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let (alice, carol) = (&cast.alice, &cast.carol);
    x.exchange(
        "new",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestGenerateIdentity::default(),
        vec![
            (
                "ok",
                ReplyGenerateIdentity {
                    result: Ok(alice.external.clone()),
                }
                .into(),
            ),
            (
                "err-vault-not-authorised",
                ReplyGenerateIdentity {
                    result: Err(IdentityError::Vault(DecryptionError::NotAuthorised)),
                }
                .into(),
            ),
        ],
    )?;
    x.exchange(
        "alice",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestConnectIdentity {
            external_identity: alice.id(),
            capabilities: Capabilities::default(),
        },
        vec![
            (
                "ok",
                ReplyConnectIdentity {
                    result: Ok(address(DECRYPTION)?),
                }
                .into(),
            ),
            (
                "err-not-owner",
                ReplyConnectIdentity {
                    result: Err(IdentityError::NotOwner),
                }
                .into(),
            ),
        ],
    )?;
    x.exchange(
        "carol",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestDeleteIdentity {
            external_identity: carol.id(),
        },
        vec![
            ("ok", ReplyDeleteIdentity { result: Ok(()) }.into()),
            (
                "err-unknown-identity",
                ReplyDeleteIdentity {
                    result: Err(IdentityError::UnknownIdentity),
                }
                .into(),
            ),
        ],
    )?;
    Ok(())
}

/// Identity Management: zones, rotation and deletion.
fn identity_key_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let alice = &cast.alice;
    x.exchange(
        "alice-mail",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestDeriveZoneIdentity {
            master: alice.id(),
            zone: "mail".into(),
            capabilities: Capabilities::default(),
        },
        vec![
            (
                "ok",
                ReplyDeriveZoneIdentity {
                    result: Ok(cast.alice_mail.external.clone()),
                }
                .into(),
            ),
            (
                "err-invalid-zone",
                ReplyDeriveZoneIdentity {
                    result: Err(IdentityError::InvalidZone),
                }
                .into(),
            ),
        ],
    )?;
    x.exchange(
        "alice",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestRotateIdentity {
            external_identity: alice.id(),
        },
        vec![
            (
                "ok",
                ReplyRotateIdentity {
                    result: Ok(cast.alice_rotated.external.clone()),
                }
                .into(),
            ),
            (
                "err-reads-for-superseded",
                ReplyRotateIdentity {
                    result: Err(IdentityError::ReadsFor(RelationError::Superseded {
                        current: 7,
                    })),
                }
                .into(),
            ),
        ],
    )?;

    Ok(())
}

/// Vault management (Identity Management -> Decryption): generate, rotate, delete.
fn vault_management_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let (alice, carol) = (&cast.alice, &cast.carol);
    let vault = (IDENTITY_MANAGEMENT, DECRYPTION);
    x.exchange(
        "master",
        vault,
        RequestGenerateKey {
            owner: address(CLIENT)?,
            read_by: None,
            capabilities: Capabilities::default(),
        },
        vec![
            (
                "ok-no-evidence",
                ReplyGenerateKey {
                    result: Ok(GeneratedKey {
                        identity: alice.external.clone(),
                        evidence: None,
                    }),
                }
                .into(),
            ),
            (
                "err-not-authorised",
                ReplyGenerateKey {
                    result: Err(DecryptionError::NotAuthorised),
                }
                .into(),
            ),
        ],
    )?;
    x.exchange(
        "zone-read-by-alice",
        vault,
        RequestGenerateKey {
            owner: address(CLIENT)?,
            read_by: Some(alice.external.clone()),
            capabilities: Capabilities::default(),
        },
        vec![(
            "ok-with-evidence",
            ReplyGenerateKey {
                result: Ok(GeneratedKey {
                    identity: cast.alice_mail.external.clone(),
                    evidence: Some(evidence(alice, &cast.alice_mail, 1)),
                }),
            }
            .into(),
        )],
    )?;
    x.exchange(
        "alice",
        vault,
        RequestRotateKey {
            external_identity: alice.id(),
        },
        vec![
            (
                "ok",
                ReplyRotateKey {
                    result: Ok(GeneratedKey {
                        identity: cast.alice_rotated.external.clone(),
                        evidence: Some(evidence(&cast.alice_rotated, alice, 1)),
                    }),
                }
                .into(),
            ),
            (
                "err-unknown-identity",
                ReplyRotateKey {
                    result: Err(DecryptionError::UnknownIdentity),
                }
                .into(),
            ),
        ],
    )?;
    x.exchange(
        "carol",
        vault,
        RequestDeleteKey {
            external_identity: carol.id(),
        },
        vec![
            ("ok", ReplyDeleteKey { result: Ok(()) }.into()),
            (
                "err-unknown-identity",
                ReplyDeleteKey {
                    result: Err(DecryptionError::UnknownIdentity),
                }
                .into(),
            ),
        ],
    )?;
    Ok(())
}

/// Capabilities: requests that ask for one capability only (the field is left off when both,
/// so the earlier vectors do not show it), and the errors of an identity that lacks one.
fn capability_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let (alice, bob, carol) = (&cast.alice, &cast.bob, &cast.carol);
    x.exchange(
        "commit-only",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestGenerateIdentity {
            capabilities: Capabilities::Commit,
        },
        vec![(
            "ok-commit-only",
            ReplyGenerateIdentity {
                result: Ok(carol.external.clone()),
            }
            .into(),
        )],
    )?;
    x.exchange(
        "carol-decrypt-only",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestConnectIdentity {
            external_identity: carol.id(),
            capabilities: Capabilities::Decrypt,
        },
        vec![(
            "err-missing-capability",
            ReplyConnectIdentity {
                result: Err(IdentityError::MissingCapability {
                    requested: Capabilities::Decrypt,
                    granted: Capabilities::Commit,
                }),
            }
            .into(),
        )],
    )?;
    x.exchange(
        "alice-signing-commit-only",
        (CLIENT, IDENTITY_MANAGEMENT),
        RequestDeriveZoneIdentity {
            master: alice.id(),
            zone: "signing".into(),
            capabilities: Capabilities::Commit,
        },
        vec![],
    )?;
    x.exchange(
        "master-decrypt-only",
        (IDENTITY_MANAGEMENT, DECRYPTION),
        RequestGenerateKey {
            owner: address(CLIENT)?,
            read_by: None,
            capabilities: Capabilities::Decrypt,
        },
        vec![(
            "ok-decrypt-only",
            ReplyGenerateKey {
                result: Ok(GeneratedKey {
                    identity: bob.external.clone(),
                    evidence: None,
                }),
            }
            .into(),
        )],
    )?;
    x.exchange(
        "bob-decrypt-only",
        (CLIENT, DECRYPTION),
        RequestCommitment {
            data: Signable(b"Sealwright commitment vector: Bob may only decrypt.\n".to_vec()),
            external_identity: bob.id(),
        },
        vec![(
            "err-no-commit-capability",
            ReplyCommitment {
                result: Err(CommitmentError::NoCommitCapability),
            }
            .into(),
        )],
    )?;
    Ok(())
}

/// Naming: names resolved, evidence and revocations submitted (the story's, signed for
/// real), and queries, with every `NamingError`.
fn naming_exchanges(x: &mut Exchanges, cast: &Cast, story: &NameStory) -> Result<()> {
    resolve_name_exchanges(x, cast)?;
    submit_name_exchanges(x, cast, story)?;
    query_name_exchanges(x, cast, story)
}

/// `RequestResolveName` and every answer it can get.
fn resolve_name_exchanges(x: &mut Exchanges, cast: &Cast) -> Result<()> {
    let alice = &cast.alice;
    let to_naming = (CLIENT, NAMING);
    let alice_name = name("alice")?;
    let alice_mail = name("alice.mail")?;
    let resolved = |n: &IdentityName, result| -> Message {
        ReplyResolveName {
            identity_name: n.clone(),
            result,
        }
        .into()
    };
    x.exchange(
        "alice",
        to_naming,
        RequestResolveName {
            identity_name: alice_name.clone(),
        },
        vec![
            ("ok", resolved(&alice_name, Ok(alice.external.clone()))),
            (
                "err-unresolved",
                resolved(&alice_name, Err(NamingError::Unresolved)),
            ),
        ],
    )?;
    let parent = || alice_name.clone();
    x.exchange(
        "alice-mail",
        to_naming,
        RequestResolveName {
            identity_name: alice_mail.clone(),
        },
        vec![
            (
                "ok-zone",
                resolved(&alice_mail, Ok(cast.alice_mail.external.clone())),
            ),
            (
                "err-not-vouched",
                resolved(
                    &alice_mail,
                    Err(NamingError::NotVouched { parent: parent() }),
                ),
            ),
            (
                "err-parent-unresolved",
                resolved(
                    &alice_mail,
                    Err(NamingError::ParentUnresolved { parent: parent() }),
                ),
            ),
        ],
    )?;
    // The longest name there is: eight labels of 63 bytes.
    let longest = name(&vec!["z".repeat(63); 8].join("."))?;
    x.exchange(
        "longest",
        to_naming,
        RequestResolveName {
            identity_name: longest.clone(),
        },
        vec![(
            "err-unresolved-longest",
            resolved(&longest, Err(NamingError::Unresolved)),
        )],
    )?;
    Ok(())
}

/// Name evidence and revocations submitted, and every answer they can get.
fn submit_name_exchanges(x: &mut Exchanges, cast: &Cast, story: &NameStory) -> Result<()> {
    let to_naming = (CLIENT, NAMING);
    let alice_name = name("alice")?;
    let parent = || alice_name.clone();
    let bob = &cast.bob;
    let submitted = |result| -> Message { ReplySubmitNameEvidence { result }.into() };
    x.exchange(
        "alice-names-alice",
        to_naming,
        RequestSubmitNameEvidence {
            evidence: story.evidence("alice-names-alice")?,
        },
        vec![
            ("ok", submitted(Ok(()))),
            (
                "err-signature-invalid",
                submitted(Err(NamingError::SignatureInvalid)),
            ),
            (
                "err-malformed-bad-verifying-key",
                submitted(Err(NamingError::Malformed(
                    MalformedStatement::BadVerifyingKey,
                ))),
            ),
            (
                "err-name-taken",
                submitted(Err(NamingError::NameTaken { holder: bob.id() })),
            ),
            (
                "err-revoked",
                submitted(Err(NamingError::Revoked { revoked_through: 1 })),
            ),
            (
                "err-superseded",
                submitted(Err(NamingError::Superseded { current: 2 })),
            ),
        ],
    )?;
    x.exchange(
        "alice-names-alice-mail",
        to_naming,
        RequestSubmitNameEvidence {
            evidence: story.evidence("alice-names-alice-mail")?,
        },
        vec![
            (
                "err-not-vouched",
                submitted(Err(NamingError::NotVouched { parent: parent() })),
            ),
            (
                "err-parent-unresolved",
                submitted(Err(NamingError::ParentUnresolved { parent: parent() })),
            ),
        ],
    )?;
    let revoked = |result| -> Message { ReplySubmitNameRevocation { result }.into() };
    x.exchange(
        "alice-zone-mail-releases-alice-mail",
        to_naming,
        RequestSubmitNameRevocation {
            revocation: story.revocation("alice-zone-mail-releases-alice-mail")?,
        },
        vec![
            ("ok", revoked(Ok(()))),
            (
                "err-signature-invalid",
                revoked(Err(NamingError::SignatureInvalid)),
            ),
            (
                "err-parent-unresolved",
                revoked(Err(NamingError::ParentUnresolved { parent: parent() })),
            ),
        ],
    )?;
    x.exchange(
        "bob-releases-bob",
        to_naming,
        RequestSubmitNameRevocation {
            revocation: story.revocation("bob-releases-bob")?,
        },
        vec![("err-unresolved", revoked(Err(NamingError::Unresolved)))],
    )?;
    Ok(())
}

/// `RequestQueryNameEvidence` and its answers.
fn query_name_exchanges(x: &mut Exchanges, cast: &Cast, story: &NameStory) -> Result<()> {
    let to_naming = (CLIENT, NAMING);
    let alice = &cast.alice;
    let answered = |who: &InternalIdentity, result| -> Message {
        ReplyQueryNameEvidence {
            external_identity: who.id(),
            result,
        }
        .into()
    };
    x.exchange(
        "alice",
        to_naming,
        RequestQueryNameEvidence {
            external_identity: alice.id(),
        },
        vec![(
            "ok-one",
            answered(alice, Ok(vec![story.evidence("alice-names-alice")?])),
        )],
    )?;
    // Carol holds two names; they are listed in name order.
    let mut carols = vec![
        story.evidence("carol-names-carol-long")?,
        story.evidence("bob-names-bob-printer-carol")?,
    ];
    carols.sort_by(|a, b| a.identity_name.cmp(&b.identity_name));
    x.exchange(
        "carol",
        to_naming,
        RequestQueryNameEvidence {
            external_identity: cast.carol.id(),
        },
        vec![("ok-two", answered(&cast.carol, Ok(carols)))],
    )?;
    x.exchange(
        "alice-zone-mail",
        to_naming,
        RequestQueryNameEvidence {
            external_identity: cast.alice_mail.id(),
        },
        vec![("ok-empty", answered(&cast.alice_mail, Ok(Vec::new())))],
    )?;
    Ok(())
}

/// Every envelope vector: each engine's exchanges, then a check that every message has one.
fn envelope_cases(
    cast: &Cast,
    story: &NameStory,
    hello: &CiphertextCase,
    sealed: &Ciphertext,
) -> Result<Exchanges> {
    let mut x = Exchanges::default();
    encryption_exchanges(&mut x, cast, hello, sealed)?;
    relation_exchanges::<Reads>(&mut x, cast, ENCRYPTION)?;
    decryption_exchanges(&mut x, hello, sealed)?;
    identity_exchanges(&mut x, cast)?;
    identity_key_exchanges(&mut x, cast)?;
    vault_management_exchanges(&mut x, cast)?;
    // The messages added with signs-for come last, so every earlier vector keeps its
    // correlation id (the ids cycle through CORRELATIONS in build order).
    verification_exchanges(&mut x, cast)?;
    relation_exchanges::<Signs>(&mut x, cast, VERIFICATION)?;
    commitment_exchanges(&mut x, cast)?;
    // Capabilities came later still: requests that ask for one only, and their errors.
    capability_exchanges(&mut x, cast)?;
    // Naming came last of all.
    naming_exchanges(&mut x, cast, story)?;
    let covered: BTreeSet<&str> = x.cases.iter().map(|(_, e)| e.message.name()).collect();
    let missing: Vec<&&str> = MESSAGE_NAMES
        .iter()
        .filter(|n| !covered.contains(**n))
        .collect();
    if !missing.is_empty() {
        bail!("no envelope vector for {missing:?}");
    }
    Ok(x)
}

// ---------------------------------------------------------------------------
// Files

/// The generated files, by name, in the order they are written.
pub struct Vectors {
    /// `(file name, contents)`.
    pub files: Vec<(&'static str, String)>,
    /// A one-line count of what was generated.
    pub summary: String,
}

/// One relation's evidence as vectors, each checked to verify; `member` names the
/// field for `fromIdentity` ("reader", "member").
fn evidence_json<R: Relation>(
    cast: &Cast,
    member: &str,
    cases: &[(&str, Evidence<R>)],
) -> Result<Vec<Json>> {
    let verifier = seeded("verifier");
    let mut out = Vec::new();
    for (name, ev) in cases {
        verifier
            .verify(
                &ev.to_identity.verifying_key,
                &ev.signed_bytes(),
                &ev.signature,
            )
            .map_err(|e| anyhow!("{name}: {e}"))?;
        let cbor = codec::encode(ev);
        out.push(Json::Obj(vec![
            ("name".into(), Json::str(*name)),
            (
                member.into(),
                Json::str(cast.name_of_public(&ev.from_identity)),
            ),
            (
                "subject".into(),
                Json::str(cast.name_of_public(&ev.to_identity)),
            ),
            ("serial".into(), Json::int(ev.serial)),
            ("cbor".into(), Json::hex(&cbor)),
            ("signed_statement".into(), Json::hex(&ev.signed_bytes())),
            (
                "ed25519_public_key".into(),
                Json::hex(&ev.to_identity.verifying_key),
            ),
            ("signature".into(), Json::hex(&ev.signature)),
            ("decoded".into(), decoded(&cbor)?),
        ]));
    }
    Ok(out)
}

/// One relation's revocations as vectors, each checked to verify; `member` names the
/// field for `fromIdentity` ("reader", "member"), here an identity id.
fn revocation_json<R: Relation>(
    cast: &Cast,
    member: &str,
    cases: &[(&str, Revocation<R>)],
) -> Result<Vec<Json>> {
    let verifier = seeded("verifier");
    let mut out = Vec::new();
    for (name, rv) in cases {
        verifier
            .verify(
                &rv.to_identity.verifying_key,
                &rv.signed_bytes(),
                &rv.signature,
            )
            .map_err(|e| anyhow!("{name}: {e}"))?;
        let cbor = codec::encode(rv);
        out.push(Json::Obj(vec![
            ("name".into(), Json::str(*name)),
            (
                format!("{member}_identity_id"),
                Json::hex(&rv.from_identity.0),
            ),
            (
                "subject".into(),
                Json::str(cast.name_of_public(&rv.to_identity)),
            ),
            ("serial".into(), Json::int(rv.serial)),
            ("cbor".into(), Json::hex(&cbor)),
            ("signed_statement".into(), Json::hex(&rv.signed_bytes())),
            (
                "ed25519_public_key".into(),
                Json::hex(&rv.to_identity.verifying_key),
            ),
            ("signature".into(), Json::hex(&rv.signature)),
            ("decoded".into(), decoded(&cbor)?),
        ]));
    }
    Ok(out)
}

/// Commitments by the cast to data of lengths on both sides of the byte-string head
/// boundaries, each made by the vault's code and checked by the Verification engine's.
fn commitment_json(cast: &Cast) -> Result<Vec<Json>> {
    let cases: [(&str, &InternalIdentity, Vec<u8>); 5] = [
        ("alice-empty", &cast.alice, Vec::new()),
        (
            "alice-text",
            &cast.alice,
            b"Sealwright commitment vector: signed by Alice.\n".to_vec(),
        ),
        ("bob-23-bytes", &cast.bob, pattern(23)),
        ("carol-24-bytes", &cast.carol, pattern(24)),
        ("alice-zone-mail-256-bytes", &cast.alice_mail, pattern(256)),
    ];
    let backend = seeded("verifier");
    let mut out = Vec::new();
    for (name, signer, data) in &cases {
        let c = commitment(signer, data)?;
        let statement = Commitment::statement_bytes(data);
        let signers = [signer.external.clone()];
        let signable = Signable(data.clone());
        if !engines::verification::verifies(&backend, &signers, &signable, &c) {
            bail!("the commitment vector {name} does not verify");
        }
        let cbor = codec::encode(&c);
        out.push(Json::obj([
            ("name", Json::str(*name)),
            ("signer", Json::str(cast.name_of(signer))),
            ("data_len", Json::int(data.len() as u64)),
            ("data", Json::hex(data)),
            ("cbor", Json::hex(&cbor)),
            ("signed_statement", Json::hex(&statement)),
            ("ed25519_public_key", Json::hex(&c.verifying_key)),
            ("signature", Json::hex(&c.signature)),
            ("decoded", decoded(&cbor)?),
        ]));
    }
    Ok(out)
}

fn name(text: &str) -> Result<IdentityName> {
    IdentityName::parse(text).map_err(|e| anyhow!("`{text}`: {e}"))
}

/// Name evidence and revocations that tell one story, each signed by the identity
/// whose signature the Naming engine requires at that point of it, and each
/// accepted, in order (evidence first), by the engine's own state machine.
struct NameStory {
    /// (vector name, signer, evidence).
    evidence: Vec<(&'static str, InternalIdentity, NameEvidence)>,
    /// (vector name, signer, revocation).
    revocations: Vec<(&'static str, InternalIdentity, NameRevocation)>,
}

impl NameStory {
    fn new(cast: &Cast) -> Result<NameStory> {
        let (alice, bob, carol) = (&cast.alice, &cast.bob, &cast.carol);
        let evidence = |n: &str, named: &InternalIdentity, signer: &InternalIdentity, serial| {
            let identity_name = name(n)?;
            let statement = NameEvidence::statement_bytes(&identity_name, &named.external, serial);
            Ok::<_, anyhow::Error>((
                signer.clone(),
                NameEvidence {
                    identity_name,
                    external_identity: named.external.clone(),
                    serial,
                    signature: sign(signer, &statement),
                },
            ))
        };
        let revocation = |n: &str, signer: &InternalIdentity, serial| {
            let identity_name = name(n)?;
            let statement = NameRevocation::statement_bytes(&identity_name, serial);
            Ok::<_, anyhow::Error>((
                signer.clone(),
                NameRevocation {
                    identity_name,
                    serial,
                    signature: sign(signer, &statement),
                },
            ))
        };
        // One label of 63 bytes, the longest there is.
        let long = format!("carol{}", "-x".repeat(29));
        fn with<T>(
            name: &'static str,
            (signer, value): (InternalIdentity, T),
        ) -> (&'static str, InternalIdentity, T) {
            (name, signer, value)
        }
        let story = NameStory {
            evidence: vec![
                // A free top-level name: the claimant signs.
                with("alice-names-alice", evidence("alice", alice, alice, 1)?),
                // A dotted name: the identity its parent resolves to signs.
                with(
                    "alice-names-alice-mail",
                    evidence("alice.mail", &cast.alice_mail, alice, 1)?,
                ),
                with("bob-names-bob", evidence("bob", bob, bob, 24)?),
                with(
                    "carol-names-carol-long",
                    evidence(&long, carol, carol, u64::MAX)?,
                ),
                with(
                    "bob-names-bob-printer-carol",
                    evidence("bob.printer", carol, bob, 255)?,
                ),
                // A held name changes hands: its holder signs, naming the new holder.
                with(
                    "alice-transfers-alice-to-alice-rotated",
                    evidence("alice", &cast.alice_rotated, alice, 2)?,
                ),
            ],
            revocations: vec![
                // The identity a dotted name's parent resolves to revokes it.
                with(
                    "bob-revokes-bob-printer",
                    revocation("bob.printer", bob, 255)?,
                ),
                // The holder of a dotted name releases it.
                with(
                    "alice-zone-mail-releases-alice-mail",
                    revocation("alice.mail", &cast.alice_mail, 65_536)?,
                ),
                // The holder of a top-level name releases it.
                with("bob-releases-bob", revocation("bob", bob, u64::MAX)?),
            ],
        };
        let backend = seeded("verifier");
        let mut state = engines::naming::NamingState::default();
        for (vector, _, ev) in &story.evidence {
            state
                .submit(&backend, ev)
                .map_err(|e| anyhow!("the Naming engine refuses {vector}: {e}"))?;
        }
        for (vector, _, rv) in &story.revocations {
            state
                .revoke(&backend, rv)
                .map_err(|e| anyhow!("the Naming engine refuses {vector}: {e}"))?;
        }
        Ok(story)
    }

    fn evidence(&self, vector: &str) -> Result<NameEvidence> {
        self.evidence
            .iter()
            .find(|(n, _, _)| *n == vector)
            .map(|(_, _, ev)| ev.clone())
            .ok_or_else(|| anyhow!("no name evidence {vector}"))
    }

    fn revocation(&self, vector: &str) -> Result<NameRevocation> {
        self.revocations
            .iter()
            .find(|(n, _, _)| *n == vector)
            .map(|(_, _, rv)| rv.clone())
            .ok_or_else(|| anyhow!("no name revocation {vector}"))
    }
}

/// The story's name evidence as vectors, each checked to verify under its signer's key.
fn name_evidence_json(cast: &Cast, story: &NameStory) -> Result<Vec<Json>> {
    let verifier = seeded("verifier");
    let mut out = Vec::new();
    for (name, signer, ev) in &story.evidence {
        let key = &signer.external.verifying_key;
        verifier
            .verify(key, &ev.signed_bytes(), &ev.signature)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        let cbor = codec::encode(ev);
        out.push(Json::obj([
            ("name", Json::str(*name)),
            ("identity_name", Json::str(ev.identity_name.as_str())),
            (
                "named",
                Json::str(cast.name_of_public(&ev.external_identity)),
            ),
            ("signer", Json::str(cast.name_of(signer))),
            ("serial", Json::int(ev.serial)),
            ("cbor", Json::hex(&cbor)),
            ("signed_statement", Json::hex(&ev.signed_bytes())),
            ("ed25519_public_key", Json::hex(key)),
            ("signature", Json::hex(&ev.signature)),
            ("decoded", decoded(&cbor)?),
        ]));
    }
    Ok(out)
}

/// The story's name revocations as vectors, each checked to verify under its signer's key.
fn name_revocation_json(cast: &Cast, story: &NameStory) -> Result<Vec<Json>> {
    let verifier = seeded("verifier");
    let mut out = Vec::new();
    for (name, signer, rv) in &story.revocations {
        let key = &signer.external.verifying_key;
        verifier
            .verify(key, &rv.signed_bytes(), &rv.signature)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        let cbor = codec::encode(rv);
        out.push(Json::obj([
            ("name", Json::str(*name)),
            ("identity_name", Json::str(rv.identity_name.as_str())),
            ("signer", Json::str(cast.name_of(signer))),
            ("serial", Json::int(rv.serial)),
            ("cbor", Json::hex(&cbor)),
            ("signed_statement", Json::hex(&rv.signed_bytes())),
            ("ed25519_public_key", Json::hex(key)),
            ("signature", Json::hex(&rv.signature)),
            ("decoded", decoded(&cbor)?),
        ]));
    }
    Ok(out)
}

/// How many vectors of each kind the evidence file holds.
struct StatementCounts {
    evidence: usize,
    revocations: usize,
    signs_for_evidence: usize,
    signs_for_revocations: usize,
    commitments: usize,
    name_evidence: usize,
    name_revocations: usize,
}

/// The evidence file: the test identities, reads-for and signs-for evidence and
/// revocations, commitments, and name evidence and revocations, each checked to
/// verify; also returns their counts.
fn evidence_file(cast: &Cast, story: &NameStory) -> Result<(Json, StatementCounts)> {
    let (alice, bob, carol) = (&cast.alice, &cast.bob, &cast.carol);
    let reads_for: [(&str, Evidence<Reads>); 5] = [
        ("alice-reads-for-bob", evidence(alice, bob, 1)),
        ("carol-reads-for-bob", evidence(carol, bob, 24)),
        ("bob-reads-for-alice", evidence(bob, alice, 65_536)),
        (
            "alice-rotated-reads-for-alice",
            evidence(&cast.alice_rotated, alice, 1 << 32),
        ),
        (
            "alice-reads-for-alice-zone-mail",
            evidence(alice, &cast.alice_mail, u64::MAX),
        ),
    ];
    let reads_for_revoked: [(&str, Revocation<Reads>); 3] = [
        ("alice-no-longer-reads-for-bob", revocation(alice, bob, 1)),
        ("carol-no-longer-reads-for-bob", revocation(carol, bob, 255)),
        (
            "bob-no-longer-reads-for-alice",
            revocation(bob, alice, u64::MAX),
        ),
    ];
    // `alice-signs-for-bob` states the same pair and serial as `alice-reads-for-bob`:
    // only the domain label differs, and so do the signatures.
    let signs_for: [(&str, Evidence<Signs>); 3] = [
        ("alice-signs-for-bob", evidence(alice, bob, 1)),
        ("carol-signs-for-alice", evidence(carol, alice, 24)),
        (
            "alice-zone-mail-signs-for-alice",
            evidence(&cast.alice_mail, alice, u64::MAX),
        ),
    ];
    let signs_for_revoked: [(&str, Revocation<Signs>); 2] = [
        ("alice-no-longer-signs-for-bob", revocation(alice, bob, 1)),
        (
            "carol-no-longer-signs-for-alice",
            revocation(carol, alice, 255),
        ),
    ];
    let reads_for_json = evidence_json(cast, "reader", &reads_for)?;
    let reads_for_revoked_json = revocation_json(cast, "reader", &reads_for_revoked)?;
    let signs_for_json = evidence_json(cast, "member", &signs_for)?;
    let signs_for_revoked_json = revocation_json(cast, "member", &signs_for_revoked)?;
    let commitments = commitment_json(cast)?;
    let names_json = name_evidence_json(cast, story)?;
    let names_revoked_json = name_revocation_json(cast, story)?;
    let counts = StatementCounts {
        evidence: reads_for_json.len(),
        revocations: reads_for_revoked_json.len(),
        signs_for_evidence: signs_for_json.len(),
        signs_for_revocations: signs_for_revoked_json.len(),
        commitments: commitments.len(),
        name_evidence: names_json.len(),
        name_revocations: names_revoked_json.len(),
    };
    let evidence_file = Json::obj([
        (
            "about",
            Json::str(
                "Reads-for and signs-for evidence and revocations, commitments, and name \
                 evidence and revocations (docs/wire-format/envelope.md). `cbor` is the \
                 canonical encoding; `signed_statement` the exact bytes the Ed25519 key \
                 `ed25519_public_key` signed (the subject's, the commitment's signer's, or a \
                 name statement's signer's); `decoded` what a generic \
                 CBOR decoder finds in `cbor`, with byte strings as {\"$bytes\": hex}. The \
                 identities are test keys from fixed seeds.",
            ),
        ),
        ("generator", Json::str("sealwright vectors")),
        (
            "identities",
            Json::Arr(
                cast.named()
                    .iter()
                    .map(|(n, i)| identity_json(n, i))
                    .collect(),
            ),
        ),
        ("evidence", Json::Arr(reads_for_json)),
        ("revocations", Json::Arr(reads_for_revoked_json)),
        ("signs_for_evidence", Json::Arr(signs_for_json)),
        ("signs_for_revocations", Json::Arr(signs_for_revoked_json)),
        ("commitments", Json::Arr(commitments)),
        ("name_evidence", Json::Arr(names_json)),
        ("name_revocations", Json::Arr(names_revoked_json)),
    ]);
    Ok((evidence_file, counts))
}

/// Generates every vector file in memory; the same bytes on every run.
pub fn generate() -> Result<Vectors> {
    let cast = Cast::new();
    let story = NameStory::new(&cast)?;

    // Ciphertexts
    let (ciphertexts_file, hello, sealed_hello, ciphertext_count, refused_count) =
        ciphertext_file(&cast)?;

    // Evidence and revocations
    let (evidence_file, counts) = evidence_file(&cast, &story)?;

    // Envelopes
    let exchanges = envelope_cases(&cast, &story, &hello, &sealed_hello)?;
    let mut envelope_json = Vec::new();
    for (name, envelope) in &exchanges.cases {
        let cbor = envelope.to_cbor();
        envelope_json.push(Json::obj([
            ("name", Json::str(name.as_str())),
            ("message", Json::str(envelope.message.name())),
            ("cbor", Json::hex(&cbor)),
            ("decoded", decoded(&cbor)?),
        ]));
    }
    let envelope_count = envelope_json.len();
    let envelopes_file = Json::obj([
        (
            "about",
            Json::str(
                "One envelope per line of traffic: every message constructor, every reply with \
                 its Ok and its errors (docs/wire-format/envelope.md). `cbor` is the canonical \
                 encoding; `decoded` is what a generic CBOR decoder finds in it: maps in wire \
                 order, byte strings as {\"$bytes\": hex}, everything else as its JSON counterpart.",
            ),
        ),
        ("generator", Json::str("sealwright vectors")),
        ("count", Json::int(envelope_count as u64)),
        ("vectors", Json::Arr(envelope_json)),
    ]);

    let summary = format!(
        "{envelope_count} envelopes ({} message constructors), {} reads-for evidence, \
         {} reads-for revocations, {} signs-for evidence, {} signs-for revocations, {} commitments, \
         {} name evidence, {} name revocations, \
         {ciphertext_count} ciphertexts and {refused_count} refused ciphertexts",
        MESSAGE_NAMES.len(),
        counts.evidence,
        counts.revocations,
        counts.signs_for_evidence,
        counts.signs_for_revocations,
        counts.commitments,
        counts.name_evidence,
        counts.name_revocations,
    );
    Ok(Vectors {
        files: vec![
            (ENVELOPES, envelopes_file.render()),
            (EVIDENCE, evidence_file.render()),
            (CIPHERTEXTS, ciphertexts_file.render()),
            (README, readme(&summary)),
        ],
        summary,
    })
}

impl Cast {
    fn name_of_public(&self, public: &spec::ExternalIdentity) -> &'static str {
        self.named()
            .into_iter()
            .find(|(_, i)| &i.external == public)
            .map_or("?", |(n, _)| n)
    }
}

fn readme(summary: &str) -> String {
    format!(
        "# Test vectors\n\
         \n\
         Generated by `cargo run -p sealwright -- vectors` (writes this directory,\n\
         `spec/vectors/`; `--out DIR` writes elsewhere). Do not edit by hand: every key\n\
         comes from a fixed seed, so regenerating gives byte-identical files, and\n\
         `cargo test -p sealwright --test vectors` fails when these files are stale.\n\
         \n\
         This set: {summary}.\n\
         \n\
         | file | holds |\n\
         | --- | --- |\n\
         | `{ENVELOPES}` | an envelope of every message constructor (every reply with its `Ok` and its errors): canonical CBOR as hex, and `decoded`, what a generic CBOR decoder finds in it |\n\
         | `{EVIDENCE}` | test identities (seeds, private and public keys, ids and their text forms); reads-for and signs-for evidence and revocations, commitments, and name evidence and revocations: canonical CBOR, the exact signed statement, the Ed25519 public key and signature |\n\
         | `{CIPHERTEXTS}` | ciphertexts (one and three recipients, an empty payload, several 1 KiB chunks, an exact multiple of the chunk size) with each recipient's X25519 private key, key id, identity id, and the expected plaintext; and, under `refused`, ciphertexts every reader must refuse (cut at a chunk boundary, right after the header or inside a chunk, bytes after the final chunk, recipients out of order or repeated) with the error it must report |\n\
         | `rfc9180/` | the official RFC 9180 vectors for the HPKE suite used here (not generated) |\n\
         \n\
         In `decoded`, a CBOR byte string is written `{{\"$bytes\": \"<hex>\"}}`, a map as a\n\
         JSON object with its keys in wire order, and everything else as its JSON\n\
         counterpart. All byte strings elsewhere are lowercase hex.\n\
         \n\
         `bash scripts/interop.sh` checks every vector with independent Python\n\
         libraries (cbor2, cryptography, pyhpke), following only the wire-format\n\
         pages of the docs (`docs/wire-format/`). The docs page\n\
         `docs/wire-format/vectors.md` describes the vectors and that check.\n"
    )
}

/// `sealwright vectors`: writes every vector file into `out`, atomically.
pub fn run(out: &Path) -> Result<()> {
    let vectors = generate()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, contents) in &vectors.files {
        files::write_atomic(&out.join(name), contents.as_bytes())?;
    }
    files::print(&format!(
        "wrote {} files to {}: {}\n",
        vectors.files.len(),
        out.display(),
        vectors.summary
    ))
}
