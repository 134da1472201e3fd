//! Hostile bytes against the canonical codec, as tables of (name, input, expected error).
//!
//! Every row names the exact [`DecodeError`] variant it must produce (a match with
//! no wildcard, not a string comparison), and every row runs under a watchdog
//! thread and `catch_unwind`, so a panic or a hang reports the row's name instead
//! of aborting the suite. `roundtrip.rs` already proves with random envelopes that
//! bad bytes are refused; these tables pin *which* error each kind of bad byte gets:
//!
//! * truncation at every offset of every message constructor, and of the signed
//!   statements, gives `Truncated`;
//! * length heads claiming huge byte strings, text strings, arrays and maps give
//!   `Truncated` with the exact shortfall (nothing is allocated for the claim);
//! * nesting past the limit (33 and 10 000 levels of arrays and of maps) gives
//!   `TooDeep` at the first level too many;
//! * a wrong CBOR type in each field position, an unknown variant, an unknown
//!   map key or a missing field gives `Schema` (or `NotReencodable` where serde
//!   accepts a second spelling, see [`wrong_type_expectation`]);
//! * every non-canonical spelling of signed evidence and revocations is refused:
//!   widened heads and indefinite lengths with `NonCanonical` at the offending
//!   head, floats and tags with `Unsupported`, reordered keys with
//!   `NotReencodable`, duplicated keys with `Schema`;
//! * trailing bytes give `TrailingBytes` with the exact count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use ciborium::Value;
use sealwright_spec::codec::{self, DecodeError, Limits};
use sealwright_spec::error::{CiphertextFault, MalformedStatement};
use sealwright_spec::message::*;
use sealwright_spec::relation::Signs;
use sealwright_spec::{
    Address, Capabilities, CommitmentError, CorrelationId, DecryptionError, EncryptionError,
    Envelope, Evidence, ExternalIdentity, IdentityError, IdentityId, ReadsForEvidence,
    ReadsForRevocation, RelationError, Revocation, VerificationError,
};
use sealwright_spec::{IdentityName, NameEvidence, NameRevocation, NamingError};
use serde::Serialize;
use serde::de::DeserializeOwned;

// ---------------------------------------------------------------------------
// Watchdog

/// How long one row may run before it counts as a hang.
const DEADLINE: Duration = Duration::from_secs(20);

type Check = Box<dyn FnOnce() -> Result<(), String> + Send + 'static>;

/// One row of a table: its name and the check that decodes its input.
struct Case {
    name: String,
    check: Check,
}

/// Runs every case on a worker thread under `catch_unwind`; the test thread waits
/// for each result with a deadline, so a panic or a hang names its row. Returns
/// how many cases ran; fails listing every row that did not behave.
fn run_table(table: &str, cases: Vec<Case>) -> usize {
    let names: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
    let total = cases.len();
    let (tx, rx) = mpsc::channel::<(usize, Option<String>)>();
    let worker = std::thread::Builder::new()
        .name(format!("hostile-{table}"))
        .spawn(move || {
            for (i, case) in cases.into_iter().enumerate() {
                let outcome = match panic::catch_unwind(AssertUnwindSafe(case.check)) {
                    Ok(Ok(())) => None,
                    Ok(Err(why)) => Some(why),
                    Err(payload) => Some(format!("PANICKED: {}", panic_text(&*payload))),
                };
                if tx.send((i, outcome)).is_err() {
                    return;
                }
            }
        })
        .unwrap();
    let mut failures = Vec::new();
    for expected in 0..total {
        match rx.recv_timeout(DEADLINE) {
            Ok((i, outcome)) => {
                assert_eq!(i, expected, "cases report in order");
                if let Some(why) = outcome {
                    failures.push(format!("{}: {why}", names[i]));
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "{table}: row `{}` did not finish within {DEADLINE:?} (a hang); earlier failures: {failures:#?}",
                names[expected]
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{table}: the worker died during row `{}`", names[expected])
            }
        }
    }
    worker.join().unwrap();
    assert!(
        failures.is_empty(),
        "{table}: {} of {total} rows misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{table}: {total} rows");
    total
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

// ---------------------------------------------------------------------------
// Expected errors

/// The variants of [`DecodeError`], without their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    TooLarge,
    Truncated,
    TooDeep,
    NonCanonical,
    Unsupported,
    TrailingBytes,
    Schema,
    NotReencodable,
}

/// The variant of an error. No wildcard: a new variant must be classified here.
fn kind(e: &DecodeError) -> Kind {
    match e {
        DecodeError::TooLarge { .. } => Kind::TooLarge,
        DecodeError::Truncated { .. } => Kind::Truncated,
        DecodeError::TooDeep { .. } => Kind::TooDeep,
        DecodeError::NonCanonical { .. } => Kind::NonCanonical,
        DecodeError::Unsupported { .. } => Kind::Unsupported,
        DecodeError::TrailingBytes { .. } => Kind::TrailingBytes,
        DecodeError::Schema(_) => Kind::Schema,
        DecodeError::NotReencodable => Kind::NotReencodable,
    }
}

/// What a row must produce.
#[derive(Debug, Clone)]
enum Expect {
    /// This variant, whatever its fields.
    Variant(Kind),
    /// Exactly this error, fields included.
    Exact(DecodeError),
}

/// Decodes bytes as one type, discarding the value.
type Decoder = fn(&[u8]) -> Result<(), DecodeError>;

fn as_type<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<(), DecodeError> {
    codec::decode::<T>(bytes).map(drop)
}

fn as_envelope(bytes: &[u8]) -> Result<(), DecodeError> {
    Envelope::from_cbor(bytes).map(drop)
}

/// A row: decode `input` with `decode`; it must fail as `expect` says.
fn row(name: impl Into<String>, input: Vec<u8>, decode: Decoder, expect: Expect) -> Case {
    Case {
        name: name.into(),
        check: Box::new(move || check(&input, decode, &expect)),
    }
}

fn check(input: &[u8], decode: Decoder, expect: &Expect) -> Result<(), String> {
    let got = match decode(input) {
        Ok(()) => return Err(format!("accepted; expected {expect:?}")),
        Err(e) => e,
    };
    let ok = match expect {
        Expect::Variant(k) => kind(&got) == *k,
        Expect::Exact(e) => &got == e,
    };
    // Errors echo at most a bounded amount of the input.
    if got.to_string().len() > 400 {
        return Err(format!(
            "error text is {} bytes long",
            got.to_string().len()
        ));
    }
    if ok {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {expect:?}"))
    }
}

const SHORTEST: &str = "integer or length not in its shortest form";

// ---------------------------------------------------------------------------
// Samples: every message constructor, replies with both an Ok and an Err

fn ident(n: u8) -> ExternalIdentity {
    ExternalIdentity {
        verifying_key: [n; 32],
        encryption_key: [n.wrapping_add(0x80); 32],
    }
}

fn id(n: u8) -> IdentityId {
    ident(n).id()
}

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

fn evidence(serial: u64) -> ReadsForEvidence {
    ReadsForEvidence {
        from_identity: ident(1),
        to_identity: ident(2),
        serial,
        signature: [0x3c; 64],
        relation: Default::default(),
    }
}

fn revocation(serial: u64) -> ReadsForRevocation {
    ReadsForRevocation {
        from_identity: id(1),
        to_identity: ident(2),
        serial,
        signature: [0x5a; 64],
        relation: Default::default(),
    }
}

fn commitment() -> Commitment {
    Commitment {
        verifying_key: [3; 32],
        signature: [0x77; 64],
    }
}

fn name(s: &str) -> IdentityName {
    IdentityName::parse(s).unwrap()
}

fn name_evidence(serial: u64) -> NameEvidence {
    NameEvidence {
        identity_name: name("alice.phone"),
        external_identity: ident(2),
        serial,
        signature: [0x4e; 64],
    }
}

fn name_revocation(serial: u64) -> NameRevocation {
    NameRevocation {
        identity_name: name("alice"),
        serial,
        signature: [0x52; 64],
    }
}

fn generated() -> GeneratedKey {
    GeneratedKey {
        identity: ident(4),
        evidence: Some(evidence(9)),
    }
}

/// One sample per constructor (replies: one `Ok`, one `Err`), named.
fn samples() -> Vec<(String, Message)> {
    let m: Vec<(&str, Message)> = vec![
        (
            "RequestEncrypt",
            RequestEncrypt {
                data: Plaintext(b"hello".to_vec()),
                external_identity: ident(1),
                use_reads_for: true,
            }
            .into(),
        ),
        (
            "ReplyEncrypt/Ok",
            ReplyEncrypt {
                result: Ok(Ciphertext(vec![0xc5; 40])),
            }
            .into(),
        ),
        (
            "ReplyEncrypt/Err",
            ReplyEncrypt {
                result: Err(EncryptionError::ReadsFor(RelationError::Revoked {
                    revoked_through: 3,
                })),
            }
            .into(),
        ),
        (
            "RequestReadsFor",
            RequestReadsFor {
                external_identity_a: id(1),
                external_identity_b: id(2),
            }
            .into(),
        ),
        (
            "ReplyReadsFor/Ok",
            ReplyReadsFor {
                external_identity_a: id(1),
                external_identity_b: id(2),
                result: Ok(true),
            }
            .into(),
        ),
        (
            "ReplyReadsFor/Err",
            ReplyReadsFor {
                external_identity_a: id(1),
                external_identity_b: id(2),
                result: Err(RelationError::Malformed(MalformedStatement::SelfReference)),
            }
            .into(),
        ),
        (
            "RequestSubmitReadsForEvidence",
            RequestSubmitReadsForEvidence {
                evidence: evidence(5),
            }
            .into(),
        ),
        (
            "ReplySubmitReadsForEvidence/Ok",
            ReplySubmitReadsForEvidence { result: Ok(()) }.into(),
        ),
        (
            "ReplySubmitReadsForEvidence/Err",
            ReplySubmitReadsForEvidence {
                result: Err(RelationError::Superseded { current: 300 }),
            }
            .into(),
        ),
        (
            "RequestSubmitReadsForRevocation",
            RequestSubmitReadsForRevocation {
                revocation: revocation(70_000),
            }
            .into(),
        ),
        (
            "ReplySubmitReadsForRevocation/Ok",
            ReplySubmitReadsForRevocation { result: Ok(()) }.into(),
        ),
        (
            "ReplySubmitReadsForRevocation/Err",
            ReplySubmitReadsForRevocation {
                result: Err(RelationError::SignatureInvalid),
            }
            .into(),
        ),
        (
            "RequestQueryReadsForEvidence",
            RequestQueryReadsForEvidence {
                external_identity: id(3),
                continuation: Some(Continuation(vec![9; 30])),
            }
            .into(),
        ),
        (
            "ReplyQueryReadsForEvidence/Ok",
            ReplyQueryReadsForEvidence {
                external_identity: id(3),
                continuation: None,
                result: Ok(vec![evidence(1), evidence(2)]),
            }
            .into(),
        ),
        (
            "ReplyQueryReadsForEvidence/Err",
            ReplyQueryReadsForEvidence {
                external_identity: id(3),
                continuation: Some(Continuation(vec![1, 2, 3])),
                result: Err(RelationError::Unavailable),
            }
            .into(),
        ),
        (
            "RequestVerification",
            RequestVerification {
                data: Signable(b"release".to_vec()),
                commitment: commitment(),
                external_identity: ident(3),
                use_signs_for: true,
            }
            .into(),
        ),
        (
            "ReplyVerification/Ok",
            ReplyVerification { result: Ok(false) }.into(),
        ),
        (
            "ReplyVerification/Err",
            ReplyVerification {
                result: Err(VerificationError::SignsFor(RelationError::Unavailable)),
            }
            .into(),
        ),
        ("RequestSignsFor", Signs::decide(id(1), id(2))),
        ("ReplySignsFor/Ok", Signs::decided(id(1), id(2), Ok(true))),
        (
            "ReplySignsFor/Err",
            Signs::decided(id(1), id(2), Err(RelationError::SignatureInvalid)),
        ),
        (
            "RequestSubmitSignsForEvidence",
            Signs::submit(Evidence::new(ident(1), ident(2), 5, [0x3d; 64])),
        ),
        ("ReplySubmitSignsForEvidence/Ok", Signs::submitted(Ok(()))),
        (
            "ReplySubmitSignsForEvidence/Err",
            Signs::submitted(Err(RelationError::Revoked { revoked_through: 9 })),
        ),
        (
            "RequestSubmitSignsForRevocation",
            Signs::revoke(Revocation::new(id(1), ident(2), 6, [0x5b; 64])),
        ),
        ("ReplySubmitSignsForRevocation/Ok", Signs::revoked(Ok(()))),
        (
            "ReplySubmitSignsForRevocation/Err",
            Signs::revoked(Err(RelationError::NotHandled)),
        ),
        (
            "RequestQuerySignsForEvidence",
            Signs::query(id(2), Some(Continuation(vec![1; 40]))),
        ),
        (
            "ReplyQuerySignsForEvidence/Ok",
            Signs::answered(
                id(2),
                None,
                Ok(vec![Evidence::new(ident(1), ident(2), 5, [0x3d; 64])]),
            ),
        ),
        (
            "ReplyQuerySignsForEvidence/Err",
            Signs::answered(id(2), None, Err(RelationError::EngineFailed)),
        ),
        (
            "RequestCommitment",
            RequestCommitment {
                data: Signable(vec![0; 3]),
                external_identity: id(3),
            }
            .into(),
        ),
        (
            "ReplyCommitment/Ok",
            ReplyCommitment {
                result: Ok(commitment()),
            }
            .into(),
        ),
        (
            "ReplyCommitment/Err",
            ReplyCommitment {
                result: Err(CommitmentError::NotAuthorised),
            }
            .into(),
        ),
        (
            "RequestResolveName",
            RequestResolveName {
                identity_name: name("alice.phone"),
            }
            .into(),
        ),
        (
            "ReplyResolveName/Ok",
            ReplyResolveName {
                identity_name: name("alice.phone"),
                result: Ok(ident(2)),
            }
            .into(),
        ),
        (
            "ReplyResolveName/Err",
            ReplyResolveName {
                identity_name: name("alice.phone"),
                result: Err(NamingError::NotVouched {
                    parent: name("alice"),
                }),
            }
            .into(),
        ),
        (
            "ReplyResolveName/Err/ParentUnresolved",
            ReplyResolveName {
                identity_name: name("alice.phone"),
                result: Err(NamingError::ParentUnresolved {
                    parent: name("alice"),
                }),
            }
            .into(),
        ),
        (
            "RequestSubmitNameEvidence",
            RequestSubmitNameEvidence {
                evidence: name_evidence(5),
            }
            .into(),
        ),
        (
            "ReplySubmitNameEvidence/Ok",
            ReplySubmitNameEvidence { result: Ok(()) }.into(),
        ),
        (
            "ReplySubmitNameEvidence/Err",
            ReplySubmitNameEvidence {
                result: Err(NamingError::NameTaken { holder: id(3) }),
            }
            .into(),
        ),
        (
            "ReplySubmitNameEvidence/Err/Superseded",
            ReplySubmitNameEvidence {
                result: Err(NamingError::Superseded { current: 300 }),
            }
            .into(),
        ),
        (
            "RequestSubmitNameRevocation",
            RequestSubmitNameRevocation {
                revocation: name_revocation(70_000),
            }
            .into(),
        ),
        (
            "ReplySubmitNameRevocation/Ok",
            ReplySubmitNameRevocation { result: Ok(()) }.into(),
        ),
        (
            "ReplySubmitNameRevocation/Err",
            ReplySubmitNameRevocation {
                result: Err(NamingError::Revoked { revoked_through: 9 }),
            }
            .into(),
        ),
        (
            "RequestQueryNameEvidence",
            RequestQueryNameEvidence {
                external_identity: id(2),
            }
            .into(),
        ),
        (
            "ReplyQueryNameEvidence/Ok",
            ReplyQueryNameEvidence {
                external_identity: id(2),
                result: Ok(vec![name_evidence(1), name_evidence(2)]),
            }
            .into(),
        ),
        (
            "ReplyQueryNameEvidence/Err",
            ReplyQueryNameEvidence {
                external_identity: id(2),
                result: Err(NamingError::Malformed(MalformedStatement::BadVerifyingKey)),
            }
            .into(),
        ),
        (
            "RequestDecryption",
            RequestDecryption {
                data: Ciphertext(vec![0x53; 120]),
            }
            .into(),
        ),
        (
            "ReplyDecryption/Ok",
            ReplyDecryption {
                result: Ok(Plaintext(b"plain".to_vec())),
            }
            .into(),
        ),
        (
            "ReplyDecryption/Err",
            ReplyDecryption {
                result: Err(DecryptionError::Malformed(CiphertextFault::RecipientCount)),
            }
            .into(),
        ),
        (
            "RequestGenerateIdentity",
            RequestGenerateIdentity::default().into(),
        ),
        (
            "ReplyGenerateIdentity/Ok",
            ReplyGenerateIdentity {
                result: Ok(ident(5)),
            }
            .into(),
        ),
        (
            "ReplyGenerateIdentity/Err",
            ReplyGenerateIdentity {
                result: Err(IdentityError::Vault(DecryptionError::NotAuthorised)),
            }
            .into(),
        ),
        (
            "RequestConnectIdentity",
            RequestConnectIdentity {
                external_identity: id(6),
                capabilities: Capabilities::Commit,
            }
            .into(),
        ),
        (
            "ReplyConnectIdentity/Ok",
            ReplyConnectIdentity {
                result: Ok(addr("node/vault")),
            }
            .into(),
        ),
        (
            "ReplyConnectIdentity/Err",
            ReplyConnectIdentity {
                result: Err(IdentityError::NotOwner),
            }
            .into(),
        ),
        (
            "ReplyConnectIdentity/Err/MissingCapability",
            ReplyConnectIdentity {
                result: Err(IdentityError::MissingCapability {
                    requested: Capabilities::CommitAndDecrypt,
                    granted: Capabilities::Decrypt,
                }),
            }
            .into(),
        ),
        (
            "RequestDeleteIdentity",
            RequestDeleteIdentity {
                external_identity: id(7),
            }
            .into(),
        ),
        (
            "ReplyDeleteIdentity/Ok",
            ReplyDeleteIdentity { result: Ok(()) }.into(),
        ),
        (
            "ReplyDeleteIdentity/Err",
            ReplyDeleteIdentity {
                result: Err(IdentityError::UnknownIdentity),
            }
            .into(),
        ),
        (
            "RequestDeriveZoneIdentity",
            RequestDeriveZoneIdentity {
                master: id(8),
                zone: "photos".into(),
                capabilities: Capabilities::Decrypt,
            }
            .into(),
        ),
        (
            "ReplyDeriveZoneIdentity/Ok",
            ReplyDeriveZoneIdentity {
                result: Ok(ident(9)),
            }
            .into(),
        ),
        (
            "ReplyDeriveZoneIdentity/Err",
            ReplyDeriveZoneIdentity {
                result: Err(IdentityError::InvalidZone),
            }
            .into(),
        ),
        (
            "RequestRotateIdentity",
            RequestRotateIdentity {
                external_identity: id(10),
            }
            .into(),
        ),
        (
            "ReplyRotateIdentity/Ok",
            ReplyRotateIdentity {
                result: Ok(ident(11)),
            }
            .into(),
        ),
        (
            "ReplyRotateIdentity/Err",
            ReplyRotateIdentity {
                result: Err(IdentityError::ReadsFor(RelationError::EngineFailed)),
            }
            .into(),
        ),
        (
            "RequestGenerateKey",
            RequestGenerateKey {
                owner: addr("client-1"),
                read_by: Some(ident(12)),
                capabilities: Capabilities::Commit,
            }
            .into(),
        ),
        (
            "ReplyGenerateKey/Ok",
            ReplyGenerateKey {
                result: Ok(generated()),
            }
            .into(),
        ),
        (
            "ReplyGenerateKey/Err",
            ReplyGenerateKey {
                result: Err(DecryptionError::NotAuthorised),
            }
            .into(),
        ),
        (
            "RequestRotateKey",
            RequestRotateKey {
                external_identity: id(13),
            }
            .into(),
        ),
        (
            "ReplyRotateKey/Ok",
            ReplyRotateKey {
                result: Ok(GeneratedKey {
                    identity: ident(14),
                    evidence: None,
                }),
            }
            .into(),
        ),
        (
            "ReplyRotateKey/Err",
            ReplyRotateKey {
                result: Err(DecryptionError::UnknownIdentity),
            }
            .into(),
        ),
        (
            "RequestDeleteKey",
            RequestDeleteKey {
                external_identity: id(15),
            }
            .into(),
        ),
        (
            "ReplyDeleteKey/Ok",
            ReplyDeleteKey { result: Ok(()) }.into(),
        ),
        (
            "ReplyDeleteKey/Err",
            ReplyDeleteKey {
                result: Err(DecryptionError::Truncated),
            }
            .into(),
        ),
    ];
    m.into_iter().map(|(n, m)| (n.to_owned(), m)).collect()
}

fn envelope(message: Message) -> Envelope {
    Envelope {
        sender: addr("client-1"),
        target: addr("node/encryption"),
        correlation: CorrelationId(300),
        message,
    }
}

#[test]
fn samples_cover_every_constructor() {
    let mut names: Vec<&str> = Vec::new();
    let samples = samples();
    for (label, m) in &samples {
        assert!(label.starts_with(m.name()), "{label} holds {}", m.name());
        if names.last() != Some(&m.name()) {
            names.push(m.name());
        }
        // Every sample is itself canonical and decodes.
        let env = envelope(m.clone());
        assert_eq!(Envelope::from_cbor(&env.to_cbor()), Ok(env));
    }
    assert_eq!(names, MESSAGE_NAMES);
}

// ---------------------------------------------------------------------------
// Truncation

#[test]
fn truncation_at_every_offset_is_truncated() {
    let mut cases = Vec::new();
    let mut add = |what: &str, bytes: Vec<u8>, decode: Decoder| {
        for cut in 0..bytes.len() {
            cases.push(row(
                format!("{what} cut at {cut} of {}", bytes.len()),
                bytes[..cut].to_vec(),
                decode,
                Expect::Variant(Kind::Truncated),
            ));
        }
    };
    for (name, message) in samples() {
        add(
            &format!("envelope {name}"),
            envelope(message.clone()).to_cbor(),
            as_envelope,
        );
        add(
            &format!("bare {name}"),
            codec::encode(&message),
            as_type::<Message>,
        );
    }
    add(
        "evidence",
        codec::encode(&evidence(5)),
        as_type::<ReadsForEvidence>,
    );
    add(
        "revocation",
        codec::encode(&revocation(5)),
        as_type::<ReadsForRevocation>,
    );
    add(
        "external identity",
        codec::encode(&ident(1)),
        as_type::<ExternalIdentity>,
    );
    add(
        "name evidence",
        codec::encode(&name_evidence(5)),
        as_type::<NameEvidence>,
    );
    add(
        "name revocation",
        codec::encode(&name_revocation(5)),
        as_type::<NameRevocation>,
    );
    add(
        "name",
        codec::encode(&name("alice.phone")),
        as_type::<IdentityName>,
    );
    let n = run_table("truncation", cases);
    assert!(n > 10_000, "{n}");
}

// ---------------------------------------------------------------------------
// Length claims

/// A head of major type `major` whose argument is `arg`, in its shortest form.
fn head(major: u8, arg: u64) -> Vec<u8> {
    let m = major << 5;
    match arg {
        0..=23 => vec![m | arg as u8],
        24..=0xff => vec![m | 24, arg as u8],
        0x100..=0xffff => [&[m | 25][..], &(arg as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[m | 26][..], &(arg as u32).to_be_bytes()].concat(),
        _ => [&[m | 27][..], &arg.to_be_bytes()].concat(),
    }
}

/// The shortfall the scanner reports for a claim of `arg` with `remaining` bytes after the head.
fn shortfall(major: u8, arg: u64, remaining: u64) -> u64 {
    let items = if major == 5 {
        arg.saturating_mul(2)
    } else {
        arg
    };
    items - remaining
}

#[test]
fn huge_length_claims_are_truncated_without_allocating() {
    let claims = [
        24u64,
        255,
        65_535,
        u64::from(u32::MAX),
        1 << 32,
        1 << 63,
        u64::MAX,
    ];
    let kinds: [(u8, &str, Decoder); 4] = [
        (2, "byte string", as_type::<serde_bytes::ByteBuf>),
        (3, "text string", as_type::<String>),
        (4, "array", as_type::<Vec<u64>>),
        (5, "map", as_type::<BTreeMap<u64, u64>>),
    ];
    let mut cases = Vec::new();
    for (major, what, decode) in kinds {
        for claim in claims {
            // The bare head, then with a few bytes of "content" after it.
            for tail in [0usize, 3] {
                let mut input = head(major, claim);
                let at_end = input.len();
                input.extend(std::iter::repeat_n(0u8, tail));
                let expect = Expect::Exact(DecodeError::Truncated {
                    offset: 0,
                    needed: shortfall(major, claim, (input.len() - at_end) as u64),
                });
                for (target, decode) in [("its type", decode), ("an envelope", as_envelope)] {
                    cases.push(row(
                        format!("{what} claiming {claim} with {tail} bytes, as {target}"),
                        input.clone(),
                        decode,
                        expect.clone(),
                    ));
                }
            }
        }
    }
    // Inside a real message: RequestEncrypt's data, and the sender text, claim huge lengths.
    let env = envelope(
        RequestEncrypt {
            data: Plaintext(b"hello".to_vec()),
            external_identity: ident(1),
            use_reads_for: false,
        }
        .into(),
    );
    let bytes = env.to_cbor();
    for (field, old_head) in [("data", head(2, 5)), ("sender", head(3, 8))] {
        let key = [head(3, field.len() as u64), field.as_bytes().to_vec()].concat();
        let at = find(&bytes, &key) + key.len();
        assert_eq!(&bytes[at..at + old_head.len()], &old_head[..]);
        let major = old_head[0] >> 5;
        for claim in claims {
            let new_head = head(major, claim);
            let mut input = bytes[..at].to_vec();
            input.extend(&new_head);
            input.extend(&bytes[at + old_head.len()..]);
            let remaining = (input.len() - at - new_head.len()) as u64;
            if claim <= remaining {
                // Not a claim beyond the input: it only misaligns what follows.
                continue;
            }
            cases.push(row(
                format!("envelope whose {field} claims {claim} bytes"),
                input,
                as_envelope,
                Expect::Exact(DecodeError::Truncated {
                    offset: at,
                    needed: claim - remaining,
                }),
            ));
        }
    }
    // Arrays and maps inside a reply: the evidence list claims 2^32 and 2^64-1 entries.
    let env = envelope(
        ReplyQueryReadsForEvidence {
            external_identity: id(3),
            continuation: None,
            result: Ok(vec![evidence(1)]),
        }
        .into(),
    );
    let bytes = env.to_cbor();
    let key = [head(3, 2), b"Ok".to_vec()].concat();
    let at = find(&bytes, &key) + key.len();
    assert_eq!(bytes[at], 0x81);
    for claim in [1u64 << 32, u64::MAX] {
        let new_head = head(4, claim);
        let mut input = bytes[..at].to_vec();
        input.extend(&new_head);
        input.extend(&bytes[at + 1..]);
        let remaining = (input.len() - at - new_head.len()) as u64;
        cases.push(row(
            format!("evidence list claiming {claim} entries"),
            input,
            as_envelope,
            Expect::Exact(DecodeError::Truncated {
                offset: at,
                needed: claim - remaining,
            }),
        ));
    }
    // The same for the name evidence list, and a name claiming a huge length.
    let env = envelope(
        ReplyQueryNameEvidence {
            external_identity: id(3),
            result: Ok(vec![name_evidence(1)]),
        }
        .into(),
    );
    let bytes = env.to_cbor();
    let at = find(&bytes, &key) + key.len();
    assert_eq!(bytes[at], 0x81);
    for claim in [1u64 << 32, u64::MAX] {
        let new_head = head(4, claim);
        let mut input = bytes[..at].to_vec();
        input.extend(&new_head);
        input.extend(&bytes[at + 1..]);
        let remaining = (input.len() - at - new_head.len()) as u64;
        cases.push(row(
            format!("name evidence list claiming {claim} entries"),
            input,
            as_envelope,
            Expect::Exact(DecodeError::Truncated {
                offset: at,
                needed: claim - remaining,
            }),
        ));
    }
    let name_key = [head(3, 12), b"identityName".to_vec()].concat();
    let at = find(&bytes, &name_key) + name_key.len();
    let old_head = head(3, "alice.phone".len() as u64);
    assert_eq!(&bytes[at..at + old_head.len()], &old_head[..]);
    for claim in [512u64, 1 << 32, u64::MAX] {
        let new_head = head(3, claim);
        let mut input = bytes[..at].to_vec();
        input.extend(&new_head);
        input.extend(&bytes[at + old_head.len()..]);
        let remaining = (input.len() - at - new_head.len()) as u64;
        cases.push(row(
            format!("a name claiming {claim} bytes"),
            input,
            as_envelope,
            Expect::Exact(DecodeError::Truncated {
                offset: at,
                needed: claim - remaining,
            }),
        ));
    }
    // The whole input above the configured limit.
    let big = vec![0u8; Limits::DEFAULT.max_bytes + 1];
    cases.push(row(
        "input one byte over 16 MiB",
        big,
        as_envelope,
        Expect::Exact(DecodeError::TooLarge {
            len: Limits::DEFAULT.max_bytes + 1,
            max: Limits::DEFAULT.max_bytes,
        }),
    ));
    run_table("length claims", cases);
}

#[test]
fn smaller_limits_are_enforced() {
    let bytes = envelope(RequestGenerateIdentity::default().into()).to_cbor();
    let len = bytes.len();
    let tight = Limits {
        max_bytes: len - 1,
        ..Limits::DEFAULT
    };
    assert_eq!(
        Envelope::from_cbor_with(&bytes, tight),
        Err(DecodeError::TooLarge { len, max: len - 1 })
    );
    // Envelope nesting: outer map, message map, body map.
    let shallow = Limits {
        max_depth: 2,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        Envelope::from_cbor_with(&bytes, shallow),
        Err(DecodeError::TooDeep { max: 2, .. })
    ));
    let exact = Limits {
        max_bytes: len,
        max_depth: 3,
    };
    assert!(Envelope::from_cbor_with(&bytes, exact).is_ok());
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:02x?} not found"))
}

// ---------------------------------------------------------------------------
// Nesting

#[test]
fn nesting_past_the_limit_is_too_deep() {
    let max = Limits::DEFAULT.max_depth;
    let mut cases = Vec::new();
    let arrays = |depth: usize| {
        let mut b = vec![0x81u8; depth];
        b.push(0x00);
        b
    };
    let maps = |depth: usize| {
        let mut b = Vec::new();
        for _ in 0..depth {
            b.extend([0xa1, 0x00]);
        }
        b.push(0x00);
        b
    };
    let mixed = |depth: usize| {
        let mut b = Vec::new();
        for i in 0..depth {
            if i % 2 == 0 {
                b.push(0x81);
            } else {
                b.extend([0xa1, 0x61, b'k']);
            }
        }
        b.push(0xf6);
        b
    };
    // Offset of level `max` (the first one too many) in each shape.
    type Shape<'a> = &'a dyn Fn(usize) -> Vec<u8>;
    let shapes: [(&str, Shape, usize); 3] = [
        ("arrays", &arrays, max),
        ("maps", &maps, 2 * max),
        ("arrays and maps", &mixed, (max / 2) * 4),
    ];
    for (shape, build, offset) in shapes {
        for depth in [max + 1, 10_000] {
            for (target, decode) in [
                ("an envelope", as_envelope as Decoder),
                ("a message", as_type::<Message>),
                ("evidence", as_type::<ReadsForEvidence>),
                ("name evidence", as_type::<NameEvidence>),
            ] {
                cases.push(row(
                    format!("{depth} levels of {shape} as {target}"),
                    build(depth),
                    decode,
                    Expect::Exact(DecodeError::TooDeep { offset, max }),
                ));
            }
        }
        // At the limit the scanner lets it through and the schema refuses it.
        cases.push(row(
            format!("{max} levels of {shape} (at the limit) as an envelope"),
            build(max),
            as_envelope,
            Expect::Variant(Kind::Schema),
        ));
    }
    // Deep nesting in the message position of an otherwise valid envelope.
    let bytes = envelope(RequestGenerateIdentity::default().into()).to_cbor();
    let key = [head(3, 7), b"message".to_vec()].concat();
    let at = find(&bytes, &key) + key.len();
    for depth in [max, 10_000] {
        let mut input = bytes[..at].to_vec();
        input.extend(arrays(depth));
        // The envelope map is depth 0, so the nested arrays start at depth 1.
        cases.push(row(
            format!("{depth} nested arrays as the envelope's message"),
            input,
            as_envelope,
            Expect::Exact(DecodeError::TooDeep {
                offset: at + max - 1,
                max,
            }),
        ));
    }
    run_table("nesting", cases);
}

// ---------------------------------------------------------------------------
// Schema: wrong types, unknown variants and keys, missing fields

fn to_value(bytes: &[u8]) -> Value {
    ciborium::from_reader(bytes).unwrap()
}

fn from_value(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

/// Every position in a value tree: the path of (map entry or array element) indices.
fn positions(v: &Value, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match v {
        Value::Map(entries) => {
            for (i, (_, value)) in entries.iter().enumerate() {
                path.push(i);
                out.push(path.clone());
                positions(value, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i);
                out.push(path.clone());
                positions(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'a>(v: &'a mut Value, path: &[usize]) -> &'a mut Value {
    let Some((&first, rest)) = path.split_first() else {
        return v;
    };
    let next = match v {
        Value::Map(entries) => &mut entries[first].1,
        Value::Array(items) => &mut items[first],
        other => panic!("no position {first} in {other:?}"),
    };
    at_path(next, rest)
}

/// The name of a position: map keys along the path.
fn path_name(v: &Value, path: &[usize]) -> String {
    let mut names = Vec::new();
    let mut cur = v;
    for &i in path {
        cur = match cur {
            Value::Map(entries) => {
                match &entries[i].0 {
                    Value::Text(t) => names.push(t.clone()),
                    other => names.push(format!("{other:?}")),
                }
                &entries[i].1
            }
            Value::Array(items) => {
                names.push(format!("[{i}]"));
                &items[i]
            }
            _ => unreachable!(),
        };
    }
    names.join(".")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "integer",
        Value::Bytes(_) => "bytes",
        Value::Text(_) => "text",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        _ => "other",
    }
}

fn replacements() -> Vec<Value> {
    vec![
        Value::Integer(7.into()),
        Value::Integer((-1).into()),
        Value::Bytes(vec![1, 2]),
        Value::Text("x".into()),
        Value::Array(vec![Value::Integer(1.into())]),
        Value::Map(vec![]),
        Value::Bool(true),
        Value::Null,
    ]
}

/// Byte fields of any length (`Plaintext`, `Ciphertext`, `Continuation`), by position name.
fn variable_bytes(name: &str) -> bool {
    [
        ".data",
        ".continuation",
        "ReplyEncrypt.result.Ok",
        "ReplyDecryption.result.Ok",
    ]
    .iter()
    .any(|f| name.ends_with(f))
}

/// Error variants with fields (`Revoked { revokedThrough }`, `Superseded { current }`).
fn error_struct_variant(name: &str) -> bool {
    name.ends_with(".Revoked") || name.ends_with(".Superseded")
}

/// Naming's error variants with a field that is not an integer (`NameTaken { holder }`,
/// `NotVouched { parent }`, `ParentUnresolved { parent }`): serde ignores an unknown key
/// in them as in the others, but reads no sequence `[7]` as one (7 is no id, no name).
fn naming_struct_variant(name: &str) -> bool {
    [".NameTaken", ".NotVouched", ".ParentUnresolved"]
        .iter()
        .any(|v| name.ends_with(v))
}

/// What replacing the value at position `name` by `wrong` must give.
///
/// `Schema` in general. Two spellings serde accepts and only the canonical
/// re-encoding check refuses, so they are `NotReencodable`: an array of small
/// integers where a variable-length byte string is expected (serde_bytes also
/// reads a sequence of `u8`; fixed-length keys and ids refuse the length), and an
/// array where an error variant with one integer field is expected (serde reads
/// struct variants from sequences too).
fn wrong_type_expectation(name: &str, wrong: &Value) -> Kind {
    match wrong {
        Value::Array(_) if variable_bytes(name) || error_struct_variant(name) => {
            Kind::NotReencodable
        }
        _ => Kind::Schema,
    }
}

/// Envelope samples as CBOR values, with their labels.
fn envelope_values() -> Vec<(String, Value)> {
    samples()
        .into_iter()
        .map(|(name, m)| (name, to_value(&envelope(m).to_cbor())))
        .collect()
}

/// Whether the value at `path` is an optional field that may be null.
fn is_option_field(v: &Value, path: &[usize]) -> bool {
    let name = path_name(v, path);
    [".continuation", ".readBy", ".Ok.evidence"]
        .iter()
        .any(|f| name.ends_with(f))
}

#[test]
fn wrong_types_in_every_field_position_are_schema_errors() {
    let mut cases = Vec::new();
    for (label, value) in envelope_values() {
        let mut paths = Vec::new();
        positions(&value, &mut Vec::new(), &mut paths);
        for path in paths {
            let mut probe = value.clone();
            let original = at_path(&mut probe, &path).clone();
            for wrong in replacements() {
                if type_name(&wrong) == type_name(&original) {
                    continue;
                }
                // `null` or a byte string where an optional byte field is: not wrong at all.
                let option = is_option_field(&value, &path);
                if option
                    && (wrong == Value::Null
                        || matches!(wrong, Value::Bytes(_))
                            && variable_bytes(&path_name(&value, &path)))
                {
                    continue;
                }
                let mut mutated = value.clone();
                *at_path(&mut mutated, &path) = wrong.clone();
                cases.push(row(
                    format!(
                        "{label}: {} ({}) as {}",
                        path_name(&value, &path),
                        type_name(&original),
                        type_name(&wrong)
                    ),
                    from_value(&mutated),
                    as_envelope,
                    Expect::Variant(wrong_type_expectation(&path_name(&value, &path), &wrong)),
                ));
            }
        }
    }
    let n = run_table("wrong types", cases);
    assert!(n > 1000, "{n}");
}

/// Every map in the tree, by path.
fn maps(v: &Value, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match v {
        Value::Map(entries) => {
            out.push(path.clone());
            for (i, (_, value)) in entries.iter().enumerate() {
                path.push(i);
                maps(value, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i);
                maps(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn entries_at<'a>(v: &'a mut Value, path: &[usize]) -> &'a mut Vec<(Value, Value)> {
    match at_path(v, path) {
        Value::Map(entries) => entries,
        other => panic!("not a map: {other:?}"),
    }
}

#[test]
fn unknown_variants_keys_and_missing_fields_are_schema_errors() {
    let mut cases = Vec::new();
    for (label, value) in envelope_values() {
        let mut map_paths = Vec::new();
        maps(&value, &mut Vec::new(), &mut map_paths);
        for path in map_paths {
            let at = if path.is_empty() {
                "envelope".to_owned()
            } else {
                path_name(&value, &path)
            };
            let len = entries_at(&mut value.clone(), &path).len();
            // An unknown key, appended (the key order is otherwise canonical).
            let mut extra = value.clone();
            entries_at(&mut extra, &path).push((Value::Text("bogus".into()), 0.into()));
            // Message bodies deny unknown fields; serde ignores them in an error's
            // struct variant, and the canonical re-encoding check refuses them there.
            let expect = if error_struct_variant(&at)
                || naming_struct_variant(&at)
                || at.ends_with(".MissingCapability")
            {
                Kind::NotReencodable
            } else {
                Kind::Schema
            };
            cases.push(row(
                format!("{label}: unknown key in {at}"),
                from_value(&extra),
                as_envelope,
                Expect::Variant(expect),
            ));
            // Every key renamed to an unknown one: for an enum map this is an unknown variant.
            for i in 0..len {
                let mut renamed = value.clone();
                let entries = entries_at(&mut renamed, &path);
                let Value::Text(name) = &entries[i].0 else {
                    panic!("{label}: a non-text key at {at}");
                };
                let name = format!("{name}X");
                entries[i].0 = Value::Text(name.clone());
                cases.push(row(
                    format!("{label}: key {name} in {at}"),
                    from_value(&renamed),
                    as_envelope,
                    Expect::Variant(Kind::Schema),
                ));
                // Every field removed.
                let mut missing = value.clone();
                let removed = entries_at(&mut missing, &path).remove(i);
                let field = format!("{at}.{}", removed.0.as_text().unwrap_or("?"));
                // A message without `capabilities` is the canonical spelling of the default
                // (both): a different message, not a malformed one (see
                // `capabilities_are_left_off_only_when_both`).
                if field.ends_with("Identity.capabilities") || field.ends_with("Key.capabilities") {
                    continue;
                }
                let optional = [".continuation", ".readBy", ".Ok.evidence"]
                    .iter()
                    .any(|f| field.ends_with(f));
                // serde reads a missing `Option` field as `None`; re-encoding then writes
                // the null, so the canonical check refuses the shorter spelling.
                let expect = if optional {
                    Kind::NotReencodable
                } else {
                    Kind::Schema
                };
                cases.push(row(
                    format!("{label}: {field} missing"),
                    from_value(&missing),
                    as_envelope,
                    Expect::Variant(expect),
                ));
            }
        }
    }
    // Unknown message constructors, and a known one spelled as a bare string.
    let base = to_value(&envelope(RequestGenerateIdentity::default().into()).to_cbor());
    for name in [
        "RequestNothing",
        "requestGenerateIdentity",
        "",
        "RequestGenerateIdentity ",
    ] {
        let mut v = base.clone();
        let entries = entries_at(&mut v, &[3]);
        entries[0].0 = Value::Text(name.into());
        cases.push(row(
            format!("constructor `{name}`"),
            from_value(&v),
            as_envelope,
            Expect::Variant(Kind::Schema),
        ));
    }
    let mut bare = base.clone();
    *at_path(&mut bare, &[3]) = Value::Text("RequestGenerateIdentity".into());
    cases.push(row(
        "constructor as a bare string",
        from_value(&bare),
        as_envelope,
        Expect::Variant(Kind::Schema),
    ));
    let mut two = base.clone();
    entries_at(&mut two, &[3]).push((Value::Text("RequestDeleteKey".into()), Value::Map(vec![])));
    cases.push(row(
        "two constructors in one message",
        from_value(&two),
        as_envelope,
        Expect::Variant(Kind::Schema),
    ));
    // Unknown error variants inside a reply's result.
    let base = to_value(
        &envelope(
            ReplyDecryption {
                result: Err(DecryptionError::NotAuthorised),
            }
            .into(),
        )
        .to_cbor(),
    );
    for err in ["NotAuthorized", "Bogus", ""] {
        let mut v = base.clone();
        *at_path(&mut v, &[3, 0, 0, 0]) = Value::Text(err.into());
        cases.push(row(
            format!("error variant `{err}`"),
            from_value(&v),
            as_envelope,
            Expect::Variant(Kind::Schema),
        ));
    }
    // Invalid addresses and UTF-8 are schema errors too.
    let base = to_value(&envelope(RequestGenerateIdentity::default().into()).to_cbor());
    for (what, sender) in [
        ("empty address", Value::Text(String::new())),
        ("address with a space", Value::Text("a b".into())),
        ("address of 129 bytes", Value::Text("a".repeat(129))),
    ] {
        let mut v = base.clone();
        *at_path(&mut v, &[0]) = sender;
        cases.push(row(
            what,
            from_value(&v),
            as_envelope,
            Expect::Variant(Kind::Schema),
        ));
    }
    let bytes = envelope(RequestGenerateIdentity::default().into()).to_cbor();
    let key = [head(3, 8), b"client-1".to_vec()].concat();
    let at = find(&bytes, &key) + 1;
    let mut bad_utf8 = bytes.clone();
    bad_utf8[at] = 0xff;
    cases.push(row(
        "sender that is not UTF-8",
        bad_utf8,
        as_envelope,
        Expect::Variant(Kind::Schema),
    ));
    run_table("schema", cases);
}

// ---------------------------------------------------------------------------
// Non-canonical spellings of signed data

/// How to misspell one node (numbered in pre-order, map keys included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Misspell {
    Widen,
    Indefinite,
    Half,
    Single,
    Double,
    Tag,
}

/// Writes a value canonically except for node `target`, misspelled as `how`.
struct Writer {
    out: Vec<u8>,
    node: usize,
    target: usize,
    how: Misspell,
    hit: Option<usize>,
}

impl Writer {
    fn head(&mut self, major: u8, arg: u64, widen: bool) {
        if !widen {
            self.out.extend(head(major, arg));
            return;
        }
        let m = major << 5;
        match arg {
            0..=23 => self.out.extend([m | 24, arg as u8]),
            24..=0xff => {
                self.out.push(m | 25);
                self.out.extend((arg as u16).to_be_bytes());
            }
            0x100..=0xffff => {
                self.out.push(m | 26);
                self.out.extend((arg as u32).to_be_bytes());
            }
            _ => {
                self.out.push(m | 27);
                self.out.extend(arg.to_be_bytes());
            }
        }
    }

    fn value(&mut self, v: &Value) {
        let mine = self.node == self.target;
        self.node += 1;
        let how = if mine { Some(self.how) } else { None };
        let start = self.out.len();
        let applicable = match (how, v) {
            (None, _) => false,
            (Some(Misspell::Widen), Value::Bool(_) | Value::Null) => false,
            // An argument of 2^32 or more already uses the widest head.
            (Some(Misspell::Widen), _) => head_arg(v) < 1 << 32,
            (Some(Misspell::Indefinite), Value::Bytes(_) | Value::Text(_)) => true,
            (Some(Misspell::Indefinite), Value::Array(_) | Value::Map(_)) => true,
            (Some(Misspell::Indefinite), _) => false,
            (Some(Misspell::Half | Misspell::Single | Misspell::Double), Value::Integer(i)) => {
                i128::from(*i) >= 0
            }
            (Some(Misspell::Half | Misspell::Single | Misspell::Double), _) => false,
            (Some(Misspell::Tag), _) => true,
        };
        if applicable {
            self.hit = Some(start);
        }
        let how = if applicable { how } else { None };
        if how == Some(Misspell::Tag) {
            // Tag 55799, "self-described CBOR".
            self.out.extend([0xd9, 0xd9, 0xf7]);
        }
        let widen = how == Some(Misspell::Widen);
        let indefinite = how == Some(Misspell::Indefinite);
        match v {
            Value::Integer(i) => {
                let n = i128::from(*i);
                match how {
                    Some(Misspell::Half) => {
                        self.out.push(0xf9);
                        self.out.extend(f16_bits(n as u64).to_be_bytes());
                    }
                    Some(Misspell::Single) => {
                        self.out.push(0xfa);
                        self.out.extend((n as f32).to_bits().to_be_bytes());
                    }
                    Some(Misspell::Double) => {
                        self.out.push(0xfb);
                        self.out.extend((n as f64).to_bits().to_be_bytes());
                    }
                    _ if n >= 0 => self.head(0, n as u64, widen),
                    _ => self.head(1, (-1 - n) as u64, widen),
                }
            }
            Value::Bytes(_) | Value::Text(_) if indefinite => {
                let (major, data) = match v {
                    Value::Bytes(b) => (2, b.clone()),
                    Value::Text(t) => (3, t.as_bytes().to_vec()),
                    _ => unreachable!(),
                };
                self.out.push((major << 5) | 31);
                self.head(major, data.len() as u64, false);
                self.out.extend(&data);
                self.out.push(0xff);
            }
            Value::Bytes(b) => {
                self.head(2, b.len() as u64, widen);
                self.out.extend(b);
            }
            Value::Text(t) => {
                self.head(3, t.len() as u64, widen);
                self.out.extend(t.as_bytes());
            }
            Value::Array(items) => {
                if indefinite {
                    self.out.push(0x9f);
                } else {
                    self.head(4, items.len() as u64, widen);
                }
                for item in items {
                    self.value(item);
                }
                if indefinite {
                    self.out.push(0xff);
                }
            }
            Value::Map(entries) => {
                if indefinite {
                    self.out.push(0xbf);
                } else {
                    self.head(5, entries.len() as u64, widen);
                }
                for (k, val) in entries {
                    self.value(k);
                    self.value(val);
                }
                if indefinite {
                    self.out.push(0xff);
                }
            }
            Value::Bool(false) => self.out.push(0xf4),
            Value::Bool(true) => self.out.push(0xf5),
            Value::Null => self.out.push(0xf6),
            other => panic!("the wire format never holds {other:?}"),
        }
    }
}

/// The argument of a value's head: the integer, or the length.
fn head_arg(v: &Value) -> u64 {
    match v {
        Value::Integer(i) => {
            let n = i128::from(*i);
            if n >= 0 { n as u64 } else { (-1 - n) as u64 }
        }
        Value::Bytes(b) => b.len() as u64,
        Value::Text(t) => t.len() as u64,
        Value::Array(items) => items.len() as u64,
        Value::Map(entries) => entries.len() as u64,
        _ => 0,
    }
}

/// IEEE 754 half-precision bits of a small non-negative integer (exact up to 2048).
fn f16_bits(n: u64) -> u16 {
    if n == 0 {
        return 0;
    }
    let n = n.min(2048);
    let exp = 63 - n.leading_zeros() as u16; // floor(log2 n)
    let mantissa = ((n << 10) >> exp) as u16 & 0x3ff;
    ((exp + 15) << 10) | mantissa
}

/// `bytes` rewritten with node `target` misspelled; `None` if that node cannot be misspelled so.
fn misspell(bytes: &[u8], target: usize, how: Misspell) -> Option<(Vec<u8>, usize)> {
    let mut w = Writer {
        out: Vec::new(),
        node: 0,
        target,
        how,
        hit: None,
    };
    w.value(&to_value(bytes));
    w.hit.map(|at| (w.out, at))
}

fn node_count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| node_count(k) + node_count(v))
            .sum(),
        _ => 0,
    }
}

/// The signed statements, bare and inside the request that submits them.
fn signed_samples() -> Vec<(String, Vec<u8>, Decoder)> {
    let mut out: Vec<(String, Vec<u8>, Decoder)> = Vec::new();
    for serial in [5u64, 300, 70_000, 1 << 40] {
        out.push((
            format!("evidence serial {serial}"),
            codec::encode(&evidence(serial)),
            as_type::<ReadsForEvidence>,
        ));
        out.push((
            format!("revocation serial {serial}"),
            codec::encode(&revocation(serial)),
            as_type::<ReadsForRevocation>,
        ));
    }
    out.push((
        "RequestSubmitReadsForEvidence envelope".into(),
        envelope(
            RequestSubmitReadsForEvidence {
                evidence: evidence(5),
            }
            .into(),
        )
        .to_cbor(),
        as_envelope,
    ));
    for serial in [5u64, 300, 70_000, 1 << 40] {
        out.push((
            format!("name evidence serial {serial}"),
            codec::encode(&name_evidence(serial)),
            as_type::<NameEvidence>,
        ));
        out.push((
            format!("name revocation serial {serial}"),
            codec::encode(&name_revocation(serial)),
            as_type::<NameRevocation>,
        ));
    }
    out.push((
        "RequestSubmitNameEvidence envelope".into(),
        envelope(
            RequestSubmitNameEvidence {
                evidence: name_evidence(5),
            }
            .into(),
        )
        .to_cbor(),
        as_envelope,
    ));
    out.push((
        "RequestSubmitNameRevocation envelope".into(),
        envelope(
            RequestSubmitNameRevocation {
                revocation: name_revocation(300),
            }
            .into(),
        )
        .to_cbor(),
        as_envelope,
    ));
    out.push((
        "RequestSubmitReadsForRevocation envelope".into(),
        envelope(
            RequestSubmitReadsForRevocation {
                revocation: revocation(300),
            }
            .into(),
        )
        .to_cbor(),
        as_envelope,
    ));
    out
}

#[test]
fn non_canonical_signed_data_is_refused() {
    let mut cases = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (label, bytes, decode) in signed_samples() {
        // The writer reproduces the canonical bytes when nothing is misspelled.
        let v = to_value(&bytes);
        let mut plain = Writer {
            out: Vec::new(),
            node: 0,
            target: usize::MAX,
            how: Misspell::Widen,
            hit: None,
        };
        plain.value(&v);
        assert_eq!(plain.out, bytes, "{label}");
        for target in 0..node_count(&v) {
            for how in [
                Misspell::Widen,
                Misspell::Indefinite,
                Misspell::Half,
                Misspell::Single,
                Misspell::Double,
                Misspell::Tag,
            ] {
                let Some((input, offset)) = misspell(&bytes, target, how) else {
                    continue;
                };
                let expect = match how {
                    Misspell::Widen => DecodeError::NonCanonical {
                        offset,
                        what: SHORTEST,
                    },
                    Misspell::Indefinite => DecodeError::NonCanonical {
                        offset,
                        what: "indefinite length",
                    },
                    Misspell::Half | Misspell::Single | Misspell::Double => {
                        DecodeError::Unsupported {
                            offset,
                            what: "floating-point number",
                        }
                    }
                    Misspell::Tag => DecodeError::Unsupported {
                        offset,
                        what: "tag",
                    },
                };
                *counts.entry(format!("{how:?}").leak()).or_default() += 1;
                cases.push(row(
                    format!("{label}: node {target} {how:?}"),
                    input,
                    decode,
                    Expect::Exact(expect),
                ));
            }
        }
        // Reordered and duplicated keys, in every map.
        let mut map_paths = Vec::new();
        maps(&v, &mut Vec::new(), &mut map_paths);
        for path in map_paths {
            let len = entries_at(&mut v.clone(), &path).len();
            for i in 0..len {
                if i + 1 < len {
                    let mut swapped = v.clone();
                    entries_at(&mut swapped, &path).swap(i, i + 1);
                    *counts.entry("reordered").or_default() += 1;
                    cases.push(row(
                        format!("{label}: keys {i} and {} of map {path:?} swapped", i + 1),
                        from_value(&swapped),
                        decode,
                        Expect::Exact(DecodeError::NotReencodable),
                    ));
                }
                let mut duplicated = v.clone();
                let entries = entries_at(&mut duplicated, &path);
                let copy = entries[i].clone();
                entries.insert(i + 1, copy);
                // A one-entry map is an enum (a message constructor or `Ok`/`Err`):
                // serde refuses a second entry, as it refuses a duplicated field.
                *counts.entry("duplicated").or_default() += 1;
                cases.push(row(
                    format!("{label}: key {i} of map {path:?} duplicated"),
                    from_value(&duplicated),
                    decode,
                    Expect::Variant(Kind::Schema),
                ));
            }
        }
        // A serial of the wrong sign, and a signature of the wrong length.
        let mut negative = v.clone();
        set_field(&mut negative, "serial", Value::Integer((-5).into()));
        cases.push(row(
            format!("{label}: negative serial"),
            from_value(&negative),
            decode,
            Expect::Variant(Kind::Schema),
        ));
        for len in [0usize, 63, 65] {
            let mut short = v.clone();
            set_field(&mut short, "signature", Value::Bytes(vec![0x3c; len]));
            cases.push(row(
                format!("{label}: signature of {len} bytes"),
                from_value(&short),
                decode,
                Expect::Variant(Kind::Schema),
            ));
        }
    }
    eprintln!("misspellings: {counts:?}");
    for how in ["Widen", "Indefinite", "Half", "Single", "Double", "Tag"] {
        assert!(counts.get(how).copied().unwrap_or(0) > 0, "no {how} rows");
    }
    run_table("non-canonical signed data", cases);
}

/// Sets every map entry named `field`, wherever it is.
fn set_field(v: &mut Value, field: &str, to: Value) {
    match v {
        Value::Map(entries) => {
            for (k, val) in entries.iter_mut() {
                if k.as_text() == Some(field) {
                    *val = to.clone();
                } else {
                    set_field(val, field, to.clone());
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| set_field(i, field, to.clone())),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Trailing bytes

#[test]
fn trailing_bytes_are_counted() {
    let mut cases = Vec::new();
    for (name, message) in samples() {
        let bytes = envelope(message).to_cbor();
        for tail in [vec![0u8], vec![0xff; 9], bytes.clone()] {
            let count = tail.len();
            let mut input = bytes.clone();
            input.extend(&tail);
            cases.push(row(
                format!("{name} with {count} trailing bytes"),
                input,
                as_envelope,
                Expect::Exact(DecodeError::TrailingBytes { count }),
            ));
        }
    }
    let bytes = codec::encode(&evidence(5));
    cases.push(row(
        "evidence with a trailing break byte",
        [bytes.as_slice(), &[0xff]].concat(),
        as_type::<ReadsForEvidence>,
        Expect::Exact(DecodeError::TrailingBytes { count: 1 }),
    ));
    run_table("trailing bytes", cases);
}

// ---------------------------------------------------------------------------
// Capabilities: left off the wire when both

/// A request's `capabilities` is written only when it is not the default: left
/// off, it reads as both; spelled out as `"CommitAndDecrypt"`, it decodes but is
/// not the canonical form, so it is refused; any other value is kept.
#[test]
fn capabilities_are_left_off_only_when_both() {
    let request = |capabilities| RequestConnectIdentity {
        external_identity: id(6),
        capabilities,
    };
    let both = envelope(request(Capabilities::CommitAndDecrypt).into());
    let commit = envelope(request(Capabilities::Commit).into());
    let both_bytes = both.to_cbor();
    assert_eq!(find_all(&both_bytes, b"capabilities"), 0);
    assert_eq!(Envelope::from_cbor(&both_bytes), Ok(both));
    let commit_bytes = commit.to_cbor();
    assert_eq!(find_all(&commit_bytes, b"capabilities"), 1);
    assert_eq!(Envelope::from_cbor(&commit_bytes), Ok(commit));
    // The explicit default, where `"Commit"` was.
    let mut spelled = to_value(&commit_bytes);
    set_field(
        &mut spelled,
        "capabilities",
        Value::Text("CommitAndDecrypt".into()),
    );
    assert_eq!(
        as_envelope(&from_value(&spelled)),
        Err(DecodeError::NotReencodable)
    );
    set_field(&mut spelled, "capabilities", Value::Text("commit".into()));
    assert!(matches!(
        as_envelope(&from_value(&spelled)),
        Err(DecodeError::Schema(_))
    ));
}

fn find_all(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

// ---------------------------------------------------------------------------
// Names: only valid names decode

/// Text that is no name, each with why: every rule of `IdentityName::parse`.
fn bad_names() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = [
        ("", "empty"),
        (".", "a lone dot"),
        ("alice.", "an empty last label"),
        (".alice", "an empty first label"),
        ("a..b", "an empty inner label"),
        ("Alice", "an uppercase letter"),
        ("ALICE.PHONE", "uppercase labels"),
        ("alice.Phone", "an uppercase child"),
        ("-alice", "a leading hyphen"),
        ("alice-", "a trailing hyphen"),
        ("alice.-phone", "a child's leading hyphen"),
        ("a_b", "an underscore"),
        ("a b", "a space"),
        ("alice\n", "a newline"),
        ("a\u{0}b", "a NUL"),
        ("caf\u{e9}", "a non-ASCII letter"),
        ("\u{430}lice", "a Cyrillic a"),
        ("alice/phone", "a slash"),
        ("a.b.c.d.e.f.g.h.i", "nine labels"),
    ]
    .iter()
    .map(|(n, why)| (n.to_string(), why.to_string()))
    .collect();
    out.push(("a".repeat(64), "a 64-byte label".into()));
    out.push((
        format!("alice.{}", "b".repeat(64)),
        "a 64-byte child".into(),
    ));
    out.push((
        vec!["a".repeat(63); 9].join("."),
        "nine 63-byte labels".into(),
    ));
    out.push((vec!["a"; 100_000].join("."), "100 000 labels".into()));
    out.push(("a".repeat(1 << 20), "a 1 MiB label".into()));
    out
}

/// A bad name in every place a name travels, in envelopes and in the statements
/// alone, is a schema error: never a panic, never a name that is not one.
#[test]
fn bad_names_are_schema_errors() {
    let places: Vec<(&str, Vec<u8>, Decoder, &str)> = vec![
        (
            "RequestResolveName",
            envelope(
                RequestResolveName {
                    identity_name: name("alice"),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "identityName",
        ),
        (
            "ReplyResolveName",
            envelope(
                ReplyResolveName {
                    identity_name: name("alice"),
                    result: Ok(ident(1)),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "identityName",
        ),
        (
            "RequestSubmitNameEvidence",
            envelope(
                RequestSubmitNameEvidence {
                    evidence: name_evidence(1),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "identityName",
        ),
        (
            "RequestSubmitNameRevocation",
            envelope(
                RequestSubmitNameRevocation {
                    revocation: name_revocation(1),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "identityName",
        ),
        (
            "ReplyQueryNameEvidence",
            envelope(
                ReplyQueryNameEvidence {
                    external_identity: id(2),
                    result: Ok(vec![name_evidence(1), name_evidence(2)]),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "identityName",
        ),
        (
            "NotVouched",
            envelope(
                ReplySubmitNameEvidence {
                    result: Err(NamingError::NotVouched {
                        parent: name("alice"),
                    }),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "parent",
        ),
        (
            "ParentUnresolved",
            envelope(
                ReplyResolveName {
                    identity_name: name("alice.phone"),
                    result: Err(NamingError::ParentUnresolved {
                        parent: name("alice"),
                    }),
                }
                .into(),
            )
            .to_cbor(),
            as_envelope,
            "parent",
        ),
        (
            "bare name evidence",
            codec::encode(&name_evidence(1)),
            as_type::<NameEvidence>,
            "identityName",
        ),
        (
            "bare name revocation",
            codec::encode(&name_revocation(1)),
            as_type::<NameRevocation>,
            "identityName",
        ),
    ];
    let mut cases = Vec::new();
    for (place, bytes, decode, field) in &places {
        assert!(decode(bytes).is_ok(), "{place}: the base decodes");
        for (bad, why) in bad_names() {
            let mut v = to_value(bytes);
            set_field(&mut v, field, Value::Text(bad));
            cases.push(row(
                format!("{place}: {field} with {why}"),
                from_value(&v),
                *decode,
                Expect::Variant(Kind::Schema),
            ));
        }
    }
    // A bare name, and a name whose bytes are not UTF-8.
    for (bad, why) in bad_names() {
        cases.push(row(
            format!("a bare name with {why}"),
            codec::encode(&bad),
            as_type::<IdentityName>,
            Expect::Variant(Kind::Schema),
        ));
    }
    let bytes = envelope(
        RequestResolveName {
            identity_name: name("alice"),
        }
        .into(),
    )
    .to_cbor();
    let at = find(&bytes, b"alice");
    for byte in [0xff, 0xc3, 0x80] {
        let mut input = bytes.clone();
        input[at] = byte;
        cases.push(row(
            format!("a name with the byte {byte:#04x}, not UTF-8"),
            input,
            as_envelope,
            Expect::Variant(Kind::Schema),
        ));
    }
    let n = run_table("bad names", cases);
    assert!(n > 200, "{n}");
}
