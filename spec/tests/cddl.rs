//! Checks `spec/wire.cddl` against the bytes the codec actually writes.
//!
//! Every message constructor gets at least one envelope (replies get both an
//! `Ok` and an `Err`, and between them every error variant); each is encoded
//! with `codec::encode` and validated against the schema's root rule,
//! `envelope`. Negative vectors, mutated from valid ones, must be refused both
//! by the schema and by the decoder, so neither check can pass vacuously.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use ciborium::Value;
use sealwright_spec::codec;
use sealwright_spec::error::{CiphertextFault, MalformedStatement};
use sealwright_spec::message::*;
use sealwright_spec::relation::{Reads, Relation, Signs};
use sealwright_spec::{
    Address, Capabilities, CommitmentError, CorrelationId, DecryptionError, EncryptionError,
    Envelope, Evidence, ExternalIdentity, IdentityError, IdentityId, ReadsForEvidence,
    ReadsForRevocation, RelationError, Revocation, VerificationError,
};
use sealwright_spec::{IdentityName, NameEvidence, NameRevocation, NamingError};

const SCHEMA: &str = include_str!("../wire.cddl");

/// Validates CBOR bytes against the first rule of `schema`.
fn validate(schema: &str, bytes: &[u8]) -> Result<(), String> {
    cddl::validate_cbor_from_slice(schema, bytes, None).map_err(|e| e.to_string())
}

/// The schema with `rule` as its root (the validator checks the first rule).
fn schema_rooted_at(rule: &str) -> String {
    format!("sealwright-test-root = {rule}\n{SCHEMA}")
}

// ---------------------------------------------------------------------------
// Sample values

fn ident(n: u8) -> ExternalIdentity {
    ExternalIdentity {
        verifying_key: [n; 32],
        encryption_key: [n.wrapping_add(0x80); 32],
    }
}

fn id(n: u8) -> IdentityId {
    ident(n).id()
}

fn evidence(from: u8, to: u8, serial: u64) -> ReadsForEvidence {
    evidence_of(from, to, serial)
}

fn evidence_of<R: Relation>(from: u8, to: u8, serial: u64) -> Evidence<R> {
    Evidence::new(ident(from), ident(to), serial, [from ^ to; 64])
}

fn revocation(from: u8, to: u8, serial: u64) -> ReadsForRevocation {
    revocation_of(from, to, serial)
}

fn revocation_of<R: Relation>(from: u8, to: u8, serial: u64) -> Revocation<R> {
    Revocation::new(id(from), ident(to), serial, [0x5a; 64])
}

fn addr(s: &str) -> Address {
    Address::new(s).unwrap()
}

fn name(s: &str) -> IdentityName {
    IdentityName::parse(s).unwrap()
}

fn name_evidence(n: &str, named: u8, serial: u64) -> NameEvidence {
    NameEvidence {
        identity_name: name(n),
        external_identity: ident(named),
        serial,
        signature: [0x4e; 64],
    }
}

fn name_revocation(n: &str, serial: u64) -> NameRevocation {
    NameRevocation {
        identity_name: name(n),
        serial,
        signature: [0x52; 64],
    }
}

/// The longest name: eight labels of 63 bytes (511 bytes with the dots).
fn longest_name() -> String {
    vec!["a".repeat(63); 8].join(".")
}

// ---------------------------------------------------------------------------
// Every error variant. The `*_variant` matches have no wildcard, so a new
// variant stops this file compiling until it is listed (and thereby validated).

fn malformed_statements() -> Vec<MalformedStatement> {
    vec![
        MalformedStatement::SelfReference,
        MalformedStatement::BadVerifyingKey,
    ]
}

fn ciphertext_faults() -> Vec<CiphertextFault> {
    use CiphertextFault::*;
    vec![
        BadMagic,
        UnsupportedVersion,
        UnsupportedSuite,
        RecipientCount,
        ChunkSize,
        HeaderTruncated,
        RecipientOrder,
    ]
}

fn reads_for_variant(e: &RelationError) -> usize {
    match e {
        RelationError::SignatureInvalid => 0,
        RelationError::Malformed(_) => 1,
        RelationError::Revoked { .. } => 2,
        RelationError::Superseded { .. } => 3,
        RelationError::Unavailable => 4,
        RelationError::NotHandled => 5,
        RelationError::EngineFailed => 6,
    }
}

fn reads_for_errors() -> Vec<RelationError> {
    let mut all = vec![
        RelationError::SignatureInvalid,
        RelationError::Revoked { revoked_through: 0 },
        RelationError::Revoked {
            revoked_through: u64::MAX,
        },
        RelationError::Superseded { current: 24 },
        RelationError::Unavailable,
        RelationError::NotHandled,
        RelationError::EngineFailed,
    ];
    all.extend(
        malformed_statements()
            .into_iter()
            .map(RelationError::Malformed),
    );
    all
}

fn decryption_variant(e: &DecryptionError) -> usize {
    match e {
        DecryptionError::NotAuthorised => 0,
        DecryptionError::NoMatchingKey => 1,
        DecryptionError::Malformed(_) => 2,
        DecryptionError::AuthenticationFailed => 3,
        DecryptionError::Truncated => 4,
        DecryptionError::UnknownIdentity => 5,
        DecryptionError::NotHandled => 6,
        DecryptionError::EngineFailed => 7,
    }
}

fn decryption_errors() -> Vec<DecryptionError> {
    let mut all = vec![
        DecryptionError::NotAuthorised,
        DecryptionError::NoMatchingKey,
        DecryptionError::AuthenticationFailed,
        DecryptionError::Truncated,
        DecryptionError::UnknownIdentity,
        DecryptionError::NotHandled,
        DecryptionError::EngineFailed,
    ];
    all.extend(
        ciphertext_faults()
            .into_iter()
            .map(DecryptionError::Malformed),
    );
    all
}

fn encryption_variant(e: &EncryptionError) -> usize {
    match e {
        EncryptionError::ReadsFor(_) => 0,
        EncryptionError::TooManyRecipients => 1,
        EncryptionError::InvalidRecipient => 2,
        EncryptionError::PlaintextTooLarge => 3,
        EncryptionError::NotHandled => 4,
        EncryptionError::EngineFailed => 5,
    }
}

fn encryption_errors() -> Vec<EncryptionError> {
    let mut all = vec![
        EncryptionError::TooManyRecipients,
        EncryptionError::InvalidRecipient,
        EncryptionError::PlaintextTooLarge,
        EncryptionError::NotHandled,
        EncryptionError::EngineFailed,
    ];
    all.extend(
        reads_for_errors()
            .into_iter()
            .map(EncryptionError::ReadsFor),
    );
    all
}

fn identity_variant(e: &IdentityError) -> usize {
    match e {
        IdentityError::NotOwner => 0,
        IdentityError::UnknownIdentity => 1,
        IdentityError::InvalidZone => 2,
        IdentityError::Vault(_) => 3,
        IdentityError::ReadsFor(_) => 4,
        IdentityError::MissingCapability { .. } => 5,
        IdentityError::NotHandled => 6,
        IdentityError::EngineFailed => 7,
    }
}

fn identity_errors() -> Vec<IdentityError> {
    let mut all = vec![
        IdentityError::NotOwner,
        IdentityError::UnknownIdentity,
        IdentityError::InvalidZone,
        IdentityError::NotHandled,
        IdentityError::EngineFailed,
    ];
    all.extend(decryption_errors().into_iter().map(IdentityError::Vault));
    all.extend(reads_for_errors().into_iter().map(IdentityError::ReadsFor));
    for requested in Capabilities::ALL {
        for granted in Capabilities::ALL {
            all.push(IdentityError::MissingCapability { requested, granted });
        }
    }
    all
}

fn commitment_variant(e: &CommitmentError) -> usize {
    match e {
        CommitmentError::NotAuthorised => 0,
        CommitmentError::UnknownIdentity => 1,
        CommitmentError::NoCommitCapability => 2,
        CommitmentError::NotHandled => 3,
        CommitmentError::EngineFailed => 4,
    }
}

fn commitment_errors() -> Vec<CommitmentError> {
    vec![
        CommitmentError::NotAuthorised,
        CommitmentError::UnknownIdentity,
        CommitmentError::NoCommitCapability,
        CommitmentError::NotHandled,
        CommitmentError::EngineFailed,
    ]
}

fn verification_variant(e: &VerificationError) -> usize {
    match e {
        VerificationError::SignsFor(_) => 0,
        VerificationError::DataTooLarge => 1,
        VerificationError::NotHandled => 2,
        VerificationError::EngineFailed => 3,
    }
}

fn verification_errors() -> Vec<VerificationError> {
    let mut all = vec![
        VerificationError::DataTooLarge,
        VerificationError::NotHandled,
        VerificationError::EngineFailed,
    ];
    all.extend(
        reads_for_errors()
            .into_iter()
            .map(VerificationError::SignsFor),
    );
    all
}

fn naming_variant(e: &NamingError) -> usize {
    match e {
        NamingError::SignatureInvalid => 0,
        NamingError::Malformed(_) => 1,
        NamingError::NameTaken { .. } => 2,
        NamingError::NotVouched { .. } => 3,
        NamingError::ParentUnresolved { .. } => 4,
        NamingError::Revoked { .. } => 5,
        NamingError::Superseded { .. } => 6,
        NamingError::Unresolved => 7,
        NamingError::NotHandled => 8,
        NamingError::EngineFailed => 9,
    }
}

fn naming_errors() -> Vec<NamingError> {
    let mut all = vec![
        NamingError::SignatureInvalid,
        NamingError::NameTaken { holder: id(4) },
        NamingError::NotVouched {
            parent: name("alice"),
        },
        NamingError::ParentUnresolved {
            parent: name(&vec!["b".repeat(63); 7].join(".")),
        },
        NamingError::Revoked { revoked_through: 0 },
        NamingError::Revoked {
            revoked_through: u64::MAX,
        },
        NamingError::Superseded { current: 24 },
        NamingError::Unresolved,
        NamingError::NotHandled,
        NamingError::EngineFailed,
    ];
    all.extend(
        malformed_statements()
            .into_iter()
            .map(NamingError::Malformed),
    );
    all
}

fn assert_covers<E>(list: &[E], variant: fn(&E) -> usize, count: usize, what: &str) {
    let seen: BTreeSet<usize> = list.iter().map(variant).collect();
    assert_eq!(
        seen,
        (0..count).collect(),
        "{what}: not every variant has a sample"
    );
}

#[test]
fn error_lists_cover_every_variant() {
    assert_covers(&reads_for_errors(), reads_for_variant, 7, "RelationError");
    assert_covers(
        &decryption_errors(),
        decryption_variant,
        8,
        "DecryptionError",
    );
    assert_covers(
        &encryption_errors(),
        encryption_variant,
        6,
        "EncryptionError",
    );
    assert_covers(&identity_errors(), identity_variant, 8, "IdentityError");
    assert_covers(
        &commitment_errors(),
        commitment_variant,
        5,
        "CommitmentError",
    );
    assert_covers(
        &verification_errors(),
        verification_variant,
        4,
        "VerificationError",
    );
    assert_covers(&naming_errors(), naming_variant, 10, "NamingError");
}

// ---------------------------------------------------------------------------
// Message vectors

/// `Some(true)` for a reply whose result is `Ok`, `Some(false)` for `Err`, `None` for requests.
/// No wildcard: a new message constructor must be classified here.
fn reply_outcome(m: &Message) -> Option<bool> {
    match m {
        Message::RequestEncrypt(_)
        | Message::RequestReadsFor(_)
        | Message::RequestSubmitReadsForEvidence(_)
        | Message::RequestSubmitReadsForRevocation(_)
        | Message::RequestQueryReadsForEvidence(_)
        | Message::RequestDecryption(_)
        | Message::RequestGenerateIdentity(_)
        | Message::RequestConnectIdentity(_)
        | Message::RequestDeleteIdentity(_)
        | Message::RequestDeriveZoneIdentity(_)
        | Message::RequestRotateIdentity(_)
        | Message::RequestGenerateKey(_)
        | Message::RequestRotateKey(_)
        | Message::RequestDeleteKey(_)
        | Message::RequestVerification(_)
        | Message::RequestSignsFor(_)
        | Message::RequestSubmitSignsForEvidence(_)
        | Message::RequestSubmitSignsForRevocation(_)
        | Message::RequestQuerySignsForEvidence(_)
        | Message::RequestCommitment(_)
        | Message::RequestResolveName(_)
        | Message::RequestSubmitNameEvidence(_)
        | Message::RequestSubmitNameRevocation(_)
        | Message::RequestQueryNameEvidence(_) => None,
        Message::ReplyResolveName(r) => Some(r.result.is_ok()),
        Message::ReplySubmitNameEvidence(r) => Some(r.result.is_ok()),
        Message::ReplySubmitNameRevocation(r) => Some(r.result.is_ok()),
        Message::ReplyQueryNameEvidence(r) => Some(r.result.is_ok()),
        Message::ReplyVerification(r) => Some(r.result.is_ok()),
        Message::ReplySignsFor(r) => Some(r.result.is_ok()),
        Message::ReplySubmitSignsForEvidence(r) => Some(r.result.is_ok()),
        Message::ReplySubmitSignsForRevocation(r) => Some(r.result.is_ok()),
        Message::ReplyQuerySignsForEvidence(r) => Some(r.result.is_ok()),
        Message::ReplyCommitment(r) => Some(r.result.is_ok()),
        Message::ReplyEncrypt(r) => Some(r.result.is_ok()),
        Message::ReplyReadsFor(r) => Some(r.result.is_ok()),
        Message::ReplySubmitReadsForEvidence(r) => Some(r.result.is_ok()),
        Message::ReplySubmitReadsForRevocation(r) => Some(r.result.is_ok()),
        Message::ReplyQueryReadsForEvidence(r) => Some(r.result.is_ok()),
        Message::ReplyDecryption(r) => Some(r.result.is_ok()),
        Message::ReplyGenerateIdentity(r) => Some(r.result.is_ok()),
        Message::ReplyConnectIdentity(r) => Some(r.result.is_ok()),
        Message::ReplyDeleteIdentity(r) => Some(r.result.is_ok()),
        Message::ReplyDeriveZoneIdentity(r) => Some(r.result.is_ok()),
        Message::ReplyRotateIdentity(r) => Some(r.result.is_ok()),
        Message::ReplyGenerateKey(r) => Some(r.result.is_ok()),
        Message::ReplyRotateKey(r) => Some(r.result.is_ok()),
        Message::ReplyDeleteKey(r) => Some(r.result.is_ok()),
    }
}

/// The relation engine's messages for relation `R`: every request shape and every error.
fn relation_messages<R: RelationMessages>(m: &mut Vec<Message>) {
    m.push(R::decide(id(1), id(2)));
    for answer in [true, false] {
        m.push(R::decided(id(1), id(2), Ok(answer)));
    }
    for e in reads_for_errors() {
        m.push(R::decided(id(3), id(3), Err(e.clone())));
        m.push(R::submitted(Err(e.clone())));
        m.push(R::revoked(Err(e)));
    }
    m.push(R::submit(evidence_of(1, 2, 7)));
    m.push(R::submit(evidence_of(3, 4, u64::MAX)));
    m.push(R::submitted(Ok(())));
    m.push(R::revoke(revocation_of(1, 2, 7)));
    m.push(R::revoked(Ok(())));
    m.push(R::query(id(2), None));
    m.push(R::query(id(2), Some(Continuation(vec![9; 48]))));
    m.push(R::answered(
        id(2),
        Some(Continuation(vec![9; 48])),
        Ok(vec![evidence_of(1, 2, 1), evidence_of(3, 1, 2)]),
    ));
    m.push(R::answered(id(5), None, Ok(Vec::new())));
    m.push(R::answered(
        id(5),
        Some(Continuation(Vec::new())),
        Err(RelationError::Unavailable),
    ));
}

/// Commitment and Verification messages.
fn signature_messages(m: &mut Vec<Message>) {
    let commitment = Commitment {
        verifying_key: [7; 32],
        signature: [0xc0; 64],
    };
    m.push(
        RequestCommitment {
            data: Signable(b"release 1.0".to_vec()),
            external_identity: id(7),
        }
        .into(),
    );
    m.push(
        ReplyCommitment {
            result: Ok(commitment.clone()),
        }
        .into(),
    );
    for e in commitment_errors() {
        m.push(ReplyCommitment { result: Err(e) }.into());
    }
    for use_signs_for in [true, false] {
        m.push(
            RequestVerification {
                data: Signable(Vec::new()),
                commitment: commitment.clone(),
                external_identity: ident(7),
                use_signs_for,
            }
            .into(),
        );
    }
    for answer in [true, false] {
        m.push(ReplyVerification { result: Ok(answer) }.into());
    }
    for e in verification_errors() {
        m.push(ReplyVerification { result: Err(e) }.into());
    }
}

/// Naming messages: names at the length and depth limits, and every error.
fn naming_messages(m: &mut Vec<Message>) {
    let longest = longest_name();
    for n in ["alice", "alice.phone", "0-9.a--b", longest.as_str()] {
        m.push(
            RequestResolveName {
                identity_name: name(n),
            }
            .into(),
        );
        m.push(
            ReplyResolveName {
                identity_name: name(n),
                result: Ok(ident(7)),
            }
            .into(),
        );
    }
    for e in naming_errors() {
        m.push(
            ReplyResolveName {
                identity_name: name("alice.phone"),
                result: Err(e.clone()),
            }
            .into(),
        );
        m.push(
            ReplySubmitNameEvidence {
                result: Err(e.clone()),
            }
            .into(),
        );
        m.push(
            ReplySubmitNameRevocation {
                result: Err(e.clone()),
            }
            .into(),
        );
        m.push(
            ReplyQueryNameEvidence {
                external_identity: id(7),
                result: Err(e),
            }
            .into(),
        );
    }
    m.push(
        RequestSubmitNameEvidence {
            evidence: name_evidence("alice", 7, 1),
        }
        .into(),
    );
    m.push(
        RequestSubmitNameEvidence {
            evidence: name_evidence(&longest, 8, u64::MAX),
        }
        .into(),
    );
    m.push(ReplySubmitNameEvidence { result: Ok(()) }.into());
    m.push(
        RequestSubmitNameRevocation {
            revocation: name_revocation("alice.phone", 0),
        }
        .into(),
    );
    m.push(
        RequestSubmitNameRevocation {
            revocation: name_revocation(&longest, 1 << 32),
        }
        .into(),
    );
    m.push(ReplySubmitNameRevocation { result: Ok(()) }.into());
    m.push(
        RequestQueryNameEvidence {
            external_identity: id(7),
        }
        .into(),
    );
    m.push(
        ReplyQueryNameEvidence {
            external_identity: id(7),
            result: Ok(vec![
                name_evidence("alice", 7, 1),
                name_evidence("alice.phone", 7, 300),
            ]),
        }
        .into(),
    );
    m.push(
        ReplyQueryNameEvidence {
            external_identity: id(9),
            result: Ok(Vec::new()),
        }
        .into(),
    );
}

fn messages() -> Vec<Message> {
    let mut m: Vec<Message> = Vec::new();

    // Encryption.
    m.push(
        RequestEncrypt {
            data: Plaintext(b"hello".to_vec()),
            external_identity: ident(1),
            use_reads_for: true,
        }
        .into(),
    );
    m.push(
        RequestEncrypt {
            data: Plaintext(Vec::new()),
            external_identity: ident(2),
            use_reads_for: false,
        }
        .into(),
    );
    m.push(
        ReplyEncrypt {
            result: Ok(Ciphertext(vec![0xc5; 300])),
        }
        .into(),
    );
    for e in encryption_errors() {
        m.push(ReplyEncrypt { result: Err(e) }.into());
    }

    relation_messages::<Reads>(&mut m);
    relation_messages::<Signs>(&mut m);
    signature_messages(&mut m);
    naming_messages(&mut m);

    // Decryption.
    m.push(
        RequestDecryption {
            data: Ciphertext(vec![1, 2, 3]),
        }
        .into(),
    );
    m.push(
        ReplyDecryption {
            result: Ok(Plaintext(b"hello".to_vec())),
        }
        .into(),
    );
    for e in decryption_errors() {
        m.push(ReplyDecryption { result: Err(e) }.into());
    }

    // Identity Management.
    for capabilities in Capabilities::ALL {
        m.push(RequestGenerateIdentity { capabilities }.into());
    }
    m.push(
        ReplyGenerateIdentity {
            result: Ok(ident(7)),
        }
        .into(),
    );
    for e in identity_errors() {
        m.push(ReplyGenerateIdentity { result: Err(e) }.into());
    }
    m.push(
        RequestConnectIdentity {
            external_identity: id(7),
            capabilities: Capabilities::default(),
        }
        .into(),
    );
    m.push(
        RequestConnectIdentity {
            external_identity: id(7),
            capabilities: Capabilities::Decrypt,
        }
        .into(),
    );
    m.push(
        ReplyConnectIdentity {
            result: Ok(addr("node-a/decryption.v1_0")),
        }
        .into(),
    );
    m.push(
        ReplyConnectIdentity {
            result: Err(IdentityError::NotOwner),
        }
        .into(),
    );
    m.push(
        RequestDeleteIdentity {
            external_identity: id(7),
        }
        .into(),
    );
    m.push(ReplyDeleteIdentity { result: Ok(()) }.into());
    m.push(
        ReplyDeleteIdentity {
            result: Err(IdentityError::UnknownIdentity),
        }
        .into(),
    );
    m.push(
        RequestDeriveZoneIdentity {
            master: id(7),
            zone: "payroll".into(),
            capabilities: Capabilities::default(),
        }
        .into(),
    );
    m.push(
        RequestDeriveZoneIdentity {
            master: id(7),
            zone: "zone with spaces and ünïcode".into(),
            capabilities: Capabilities::Commit,
        }
        .into(),
    );
    m.push(
        ReplyDeriveZoneIdentity {
            result: Ok(ident(8)),
        }
        .into(),
    );
    m.push(
        ReplyDeriveZoneIdentity {
            result: Err(IdentityError::InvalidZone),
        }
        .into(),
    );
    m.push(
        RequestRotateIdentity {
            external_identity: id(7),
        }
        .into(),
    );
    m.push(
        ReplyRotateIdentity {
            result: Ok(ident(9)),
        }
        .into(),
    );
    m.push(
        ReplyRotateIdentity {
            result: Err(IdentityError::Vault(DecryptionError::UnknownIdentity)),
        }
        .into(),
    );

    // Vault management.
    m.push(
        RequestGenerateKey {
            owner: addr("client-1"),
            read_by: None,
            capabilities: Capabilities::default(),
        }
        .into(),
    );
    m.push(
        RequestGenerateKey {
            owner: addr("client-1"),
            read_by: Some(ident(7)),
            capabilities: Capabilities::Decrypt,
        }
        .into(),
    );
    m.push(
        ReplyGenerateKey {
            result: Ok(GeneratedKey {
                identity: ident(10),
                evidence: None,
            }),
        }
        .into(),
    );
    m.push(
        ReplyGenerateKey {
            result: Ok(GeneratedKey {
                identity: ident(10),
                evidence: Some(evidence(7, 10, 1)),
            }),
        }
        .into(),
    );
    m.push(
        ReplyGenerateKey {
            result: Err(DecryptionError::NotAuthorised),
        }
        .into(),
    );
    m.push(
        RequestRotateKey {
            external_identity: id(10),
        }
        .into(),
    );
    m.push(
        ReplyRotateKey {
            result: Ok(GeneratedKey {
                identity: ident(11),
                evidence: Some(evidence(11, 10, 2)),
            }),
        }
        .into(),
    );
    m.push(
        ReplyRotateKey {
            result: Err(DecryptionError::UnknownIdentity),
        }
        .into(),
    );
    m.push(
        RequestDeleteKey {
            external_identity: id(10),
        }
        .into(),
    );
    m.push(ReplyDeleteKey { result: Ok(()) }.into());
    m.push(
        ReplyDeleteKey {
            result: Err(DecryptionError::NotHandled),
        }
        .into(),
    );

    // Every request's "not handled" refusal is a vector too.
    let refusals: Vec<Message> = m.iter().filter_map(Message::not_handled_reply).collect();
    m.extend(refusals);
    m
}

/// Correlation ids on both sides of every integer-head width boundary.
const CORRELATIONS: [u64; 10] = [
    0,
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

fn envelopes() -> Vec<Envelope> {
    let senders = ["client-1", "node-a/encryption", "x", "A.b_c-d/E.9"];
    let long = "n".repeat(sealwright_spec::address::MAX_ADDRESS_LEN);
    messages()
        .into_iter()
        .enumerate()
        .map(|(i, message)| Envelope {
            sender: addr(senders[i % senders.len()]),
            target: if i % 7 == 0 {
                addr(&long)
            } else {
                addr("node-b/reads-for")
            },
            correlation: CorrelationId(CORRELATIONS[i % CORRELATIONS.len()]),
            message,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Positive vectors

#[test]
fn every_message_constructor_has_vectors_and_replies_have_ok_and_err() {
    let mut outcomes: BTreeMap<&str, BTreeSet<Option<bool>>> = BTreeMap::new();
    for m in messages() {
        outcomes
            .entry(m.name())
            .or_default()
            .insert(reply_outcome(&m));
    }
    let covered: BTreeSet<&str> = outcomes.keys().copied().collect();
    let all: BTreeSet<&str> = MESSAGE_NAMES.iter().copied().collect();
    assert_eq!(covered, all, "every message constructor needs a vector");
    for (name, seen) in &outcomes {
        if name.starts_with("Reply") {
            let want = BTreeSet::from([Some(true), Some(false)]);
            assert_eq!(seen, &want, "{name} needs an Ok and an Err vector");
        } else {
            assert_eq!(seen, &BTreeSet::from([None]), "{name} is not a reply");
        }
    }
}

#[test]
fn every_vector_matches_the_schema() {
    let envs = envelopes();
    let encoded: Vec<(String, Vec<u8>)> = envs
        .iter()
        .map(|e| (e.message.name().to_owned(), codec::encode(e)))
        .collect();
    let mut failures = Vec::new();
    for (env, (name, bytes)) in envs.iter().zip(&encoded) {
        if let Err(why) = validate(SCHEMA, bytes) {
            failures.push(format!("{name}: schema refused it:\n{why}"));
        }
        // The decoder must accept what the schema accepts, and give back the same value.
        match Envelope::from_cbor(bytes) {
            Ok(back) if &back == env => {}
            other => failures.push(format!("{name}: decoder gave {other:?}")),
        }
    }
    if !failures.is_empty() {
        println!("generated vectors (message name, canonical CBOR hex):");
        for (name, bytes) in &encoded {
            println!("{name} {}", hex::encode(bytes));
        }
        panic!(
            "{} of {} vectors failed:\n{}",
            failures.len(),
            encoded.len(),
            failures.join("\n")
        );
    }
    assert!(encoded.len() > 2 * MESSAGE_NAMES.len());
}

#[test]
fn signed_statements_match_their_rules() {
    let ev = evidence(1, 2, 300);
    let rv = revocation(1, 2, 300);
    let ev_rule = schema_rooted_at("reads-for-statement");
    let rv_rule = schema_rooted_at("reads-for-revocation-statement");
    validate(&ev_rule, &ev.signed_bytes()).unwrap();
    validate(&rv_rule, &rv.signed_bytes()).unwrap();
    // Each statement is refused by the other's rule: the domains and member types differ.
    assert!(validate(&ev_rule, &rv.signed_bytes()).is_err());
    assert!(validate(&rv_rule, &ev.signed_bytes()).is_err());
    // A statement is not a message.
    assert!(validate(SCHEMA, &ev.signed_bytes()).is_err());
}

#[test]
fn leaf_rules_match_their_types() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("external-identity", codec::encode(&ident(3))),
        ("identity-id", codec::encode(&id(3))),
        ("key-id", codec::encode(&ident(3).key_id())),
        ("reads-for-evidence", codec::encode(&evidence(1, 2, 3))),
        ("reads-for-revocation", codec::encode(&revocation(1, 2, 3))),
        ("correlation-id", codec::encode(&CorrelationId(u64::MAX))),
        ("address", codec::encode(&addr("node-a/vault"))),
    ];
    for (rule, bytes) in cases {
        let schema = schema_rooted_at(rule);
        if let Err(why) = validate(&schema, &bytes) {
            panic!("{rule} refused {}: {why}", hex::encode(&bytes));
        }
    }
    // Sizes are pinned: an identity id is not a key id.
    assert!(validate(&schema_rooted_at("key-id"), &codec::encode(&id(3))).is_err());
    assert!(
        validate(
            &schema_rooted_at("identity-id"),
            &codec::encode(&ident(3).key_id())
        )
        .is_err()
    );
}

// ---------------------------------------------------------------------------
// Negative vectors

fn entry<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    let Value::Map(entries) = v else {
        panic!("not a map: {v:?}")
    };
    entries
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no key {key}"))
}

fn map_entries(v: &mut Value) -> &mut Vec<(Value, Value)> {
    match v {
        Value::Map(entries) => entries,
        other => panic!("not a map: {other:?}"),
    }
}

/// The message body (the value under the one constructor key).
fn body(env: &mut Value) -> &mut Value {
    let message = entry(env, "message");
    &mut map_entries(message)[0].1
}

/// Encodes `env`, lets `mutate` edit it as a CBOR value, and re-encodes (ciborium writes shortest heads).
fn mutated(env: &Envelope, mutate: impl FnOnce(&mut Value)) -> Vec<u8> {
    let original = codec::encode(env);
    let mut value: Value = ciborium::from_reader(original.as_slice()).unwrap();
    mutate(&mut value);
    let mut out = Vec::new();
    ciborium::into_writer(&value, &mut out).unwrap();
    assert_ne!(out, original, "the mutation changed nothing");
    out
}

fn envelope(message: impl Into<Message>) -> Envelope {
    Envelope {
        sender: addr("client-1"),
        target: addr("node-a/encryption"),
        correlation: CorrelationId(42),
        message: message.into(),
    }
}

fn encrypt_request() -> Envelope {
    envelope(RequestEncrypt {
        data: Plaintext(b"hi".to_vec()),
        external_identity: ident(1),
        use_reads_for: true,
    })
}

#[test]
fn mutated_vectors_are_refused_by_schema_and_decoder() {
    let enc = encrypt_request();
    let evidence_env = envelope(RequestSubmitReadsForEvidence {
        evidence: evidence(1, 2, 3),
    });
    let revoked_env = envelope(ReplySubmitReadsForEvidence {
        result: Err(RelationError::Revoked { revoked_through: 5 }),
    });
    let unit_ok_env = envelope(ReplyDeleteKey { result: Ok(()) });
    let reads_for_reply_env = envelope(ReplyReadsFor {
        external_identity_a: id(1),
        external_identity_b: id(2),
        result: Ok(true),
    });
    let encrypt_err_env = envelope(ReplyEncrypt {
        result: Err(EncryptionError::NotHandled),
    });
    let reads_for_env = envelope(RequestReadsFor {
        external_identity_a: id(1),
        external_identity_b: id(2),
    });
    let connect_env = envelope(RequestConnectIdentity {
        external_identity: id(1),
        capabilities: Capabilities::Commit,
    });

    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "31-byte verifyingKey",
            mutated(&enc, |v| {
                let key = entry(entry(body(v), "externalIdentity"), "verifyingKey");
                *key = Value::Bytes(vec![1; 31]);
            }),
        ),
        (
            "33-byte encryptionKey",
            mutated(&enc, |v| {
                let key = entry(entry(body(v), "externalIdentity"), "encryptionKey");
                *key = Value::Bytes(vec![1; 33]);
            }),
        ),
        (
            "verifyingKey as an array of ints",
            mutated(&enc, |v| {
                let key = entry(entry(body(v), "externalIdentity"), "verifyingKey");
                *key = Value::Array(vec![Value::Integer(1.into()); 32]);
            }),
        ),
        (
            "unknown message name",
            mutated(&enc, |v| {
                map_entries(entry(v, "message"))[0].0 = Value::Text("RequestEncrypted".into());
            }),
        ),
        (
            "message with two constructors",
            mutated(&enc, |v| {
                let message = map_entries(entry(v, "message"));
                let (_, b) = message[0].clone();
                message.push((Value::Text("RequestDecryption".into()), b));
            }),
        ),
        (
            "missing useReadsFor",
            mutated(&enc, |v| {
                map_entries(body(v)).retain(|(k, _)| k.as_text() != Some("useReadsFor"));
            }),
        ),
        (
            "unknown extra field",
            mutated(&enc, |v| {
                map_entries(body(v))
                    .push((Value::Text("priority".into()), Value::Integer(1.into())));
            }),
        ),
        (
            "useReadsFor as an integer",
            mutated(&enc, |v| {
                *entry(body(v), "useReadsFor") = Value::Integer(1.into());
            }),
        ),
        (
            "data as a text string",
            mutated(&enc, |v| {
                *entry(body(v), "data") = Value::Text("hi".into());
            }),
        ),
        (
            "missing envelope target",
            mutated(&enc, |v| {
                map_entries(v).retain(|(k, _)| k.as_text() != Some("target"));
            }),
        ),
        (
            "negative correlation",
            mutated(&enc, |v| {
                *entry(v, "correlation") = Value::Integer((-1).into());
            }),
        ),
        (
            "empty sender",
            mutated(&enc, |v| {
                *entry(v, "sender") = Value::Text(String::new());
            }),
        ),
        (
            "129-byte target",
            mutated(&enc, |v| {
                *entry(v, "target") = Value::Text("t".repeat(129));
            }),
        ),
        (
            "21-byte identity id",
            mutated(&reads_for_env, |v| {
                *entry(body(v), "externalIdentityA") = Value::Bytes(vec![0; 21]);
            }),
        ),
        (
            "snake_case externalIdentityB",
            mutated(&reads_for_env, |v| {
                map_entries(body(v))[1].0 = Value::Text("external_identity_b".into());
            }),
        ),
        (
            "63-byte signature",
            mutated(&evidence_env, |v| {
                *entry(entry(body(v), "evidence"), "signature") = Value::Bytes(vec![0; 63]);
            }),
        ),
        (
            "snake_case revoked_through",
            mutated(&revoked_env, |v| {
                let err = entry(entry(body(v), "result"), "Err");
                map_entries(entry(err, "Revoked"))[0].0 = Value::Text("revoked_through".into());
            }),
        ),
        (
            "unknown error variant",
            mutated(&revoked_env, |v| {
                *entry(entry(body(v), "result"), "Err") = Value::Text("Exploded".into());
            }),
        ),
        (
            "capabilities spelled out as the default",
            mutated(&connect_env, |v| {
                *entry(body(v), "capabilities") = Value::Text("CommitAndDecrypt".into());
            }),
        ),
        (
            "capabilities in lowercase",
            mutated(&connect_env, |v| {
                *entry(body(v), "capabilities") = Value::Text("commit".into());
            }),
        ),
        (
            "unit Ok as an empty map",
            mutated(&unit_ok_env, |v| {
                *entry(entry(body(v), "result"), "Ok") = Value::Map(Vec::new());
            }),
        ),
        (
            "result with both Ok and Err",
            mutated(&unit_ok_env, |v| {
                map_entries(entry(body(v), "result"))
                    .push((Value::Text("Err".into()), Value::Text("NotHandled".into())));
            }),
        ),
        (
            "result with neither",
            mutated(&unit_ok_env, |v| {
                *entry(body(v), "result") = Value::Map(Vec::new());
            }),
        ),
        (
            "ReplyReadsFor Ok as bytes",
            mutated(&reads_for_reply_env, |v| {
                *entry(entry(body(v), "result"), "Ok") = Value::Bytes(vec![1]);
            }),
        ),
        (
            "a decryption error in ReplyEncrypt",
            mutated(&encrypt_err_env, |v| {
                *entry(entry(body(v), "result"), "Err") = Value::Text("NoMatchingKey".into());
            }),
        ),
        (
            "a ciphertext fault as a malformed statement",
            mutated(&revoked_env, |v| {
                let malformed = vec![(
                    Value::Text("Malformed".into()),
                    Value::Text("BadMagic".into()),
                )];
                *entry(entry(body(v), "result"), "Err") = Value::Map(malformed);
            }),
        ),
        (
            "serial 2^64 (a bignum)",
            mutated(&evidence_env, |v| {
                let two_to_64 = Value::Bytes(vec![1, 0, 0, 0, 0, 0, 0, 0, 0]);
                *entry(entry(body(v), "evidence"), "serial") = Value::Tag(2, Box::new(two_to_64));
            }),
        ),
    ];

    let mut failures = Vec::new();
    for (what, bytes) in &cases {
        if validate(SCHEMA, bytes).is_ok() {
            failures.push(format!("schema accepted {what}"));
        }
        if let Ok(env) = Envelope::from_cbor(bytes) {
            failures.push(format!("decoder accepted {what}: {env:?}"));
        }
    }
    if !failures.is_empty() {
        println!("negative vectors (case, CBOR hex):");
        for (what, bytes) in &cases {
            println!("{what}: {}", hex::encode(bytes));
        }
        panic!("{}", failures.join("\n"));
    }
}

#[test]
fn the_unmutated_bases_of_the_negative_vectors_pass() {
    // Guards the negative test: its bases are valid, so each refusal is due to its mutation.
    let bases = [
        encrypt_request(),
        envelope(RequestSubmitReadsForEvidence {
            evidence: evidence(1, 2, 3),
        }),
        envelope(ReplySubmitReadsForEvidence {
            result: Err(RelationError::Revoked { revoked_through: 5 }),
        }),
        envelope(ReplyDeleteKey { result: Ok(()) }),
        envelope(RequestReadsFor {
            external_identity_a: id(1),
            external_identity_b: id(2),
        }),
    ];
    for env in bases {
        let bytes = codec::encode(&env);
        validate(SCHEMA, &bytes).unwrap_or_else(|e| panic!("{}: {e}", hex::encode(&bytes)));
        assert_eq!(Envelope::from_cbor(&bytes), Ok(env));
    }
}

// ---------------------------------------------------------------------------
// Names

#[test]
fn name_statements_and_values_match_their_rules() {
    let ev = name_evidence("alice.phone", 7, 300);
    let rv = name_revocation("alice.phone", 300);
    let ev_rule = schema_rooted_at("name-statement");
    let rv_rule = schema_rooted_at("name-revocation-statement");
    validate(&ev_rule, &ev.signed_bytes()).unwrap();
    validate(&rv_rule, &rv.signed_bytes()).unwrap();
    // Each statement is refused by the other's rule, and by the relation statements' rules.
    assert!(validate(&ev_rule, &rv.signed_bytes()).is_err());
    assert!(validate(&rv_rule, &ev.signed_bytes()).is_err());
    for rule in [
        "reads-for-statement",
        "signs-for-statement",
        "commitment-statement",
    ] {
        let schema = schema_rooted_at(rule);
        assert!(validate(&schema, &ev.signed_bytes()).is_err(), "{rule}");
        assert!(validate(&schema, &rv.signed_bytes()).is_err(), "{rule}");
    }
    // A statement is not a message, nor the evidence it is rebuilt from.
    assert!(validate(SCHEMA, &ev.signed_bytes()).is_err());
    assert!(validate(&schema_rooted_at("name-evidence"), &ev.signed_bytes()).is_err());
    let longest = longest_name();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("identity-name", codec::encode(&name("a"))),
        ("identity-name", codec::encode(&name(&longest))),
        ("name-evidence", codec::encode(&ev)),
        (
            "name-evidence",
            codec::encode(&name_evidence(&longest, 1, u64::MAX)),
        ),
        ("name-revocation", codec::encode(&rv)),
        (
            "name-statement",
            name_evidence(&longest, 1, 0).signed_bytes(),
        ),
        (
            "name-revocation-statement",
            name_revocation(&longest, u64::MAX).signed_bytes(),
        ),
    ];
    for (rule, bytes) in cases {
        if let Err(why) = validate(&schema_rooted_at(rule), &bytes) {
            panic!("{rule} refused {}: {why}", hex::encode(&bytes));
        }
    }
    // Reads-for evidence is not name evidence.
    assert!(
        validate(
            &schema_rooted_at("name-evidence"),
            &codec::encode(&evidence(1, 2, 3))
        )
        .is_err()
    );
}

/// The regexp `wire.cddl` gives for `identity-name` (in a comment: see there why).
fn documented_name_regexp() -> String {
    let mut lines = SCHEMA
        .lines()
        .skip_while(|l| !l.contains("As an RFC 8610 regexp"));
    lines.next().expect("wire.cddl states the name's regexp");
    let line = lines.next().expect("the regexp follows");
    line.trim_start_matches(';').trim().to_owned()
}

/// Names on both sides of every rule: labels, characters, hyphens, length and depth.
fn name_table() -> Vec<String> {
    let mut names: Vec<String> = [
        "a",
        "alice",
        "alice.phone",
        "a-1.b2.c",
        "0",
        "0-9",
        "a--b",
        "x.y.z",
        "",
        ".",
        "alice.",
        ".alice",
        "a..b",
        "Alice",
        "ALICE",
        "alice.Phone",
        "-a",
        "a-",
        "a.-b",
        "a.b-",
        "-",
        "a_b",
        "a b",
        " alice",
        "alice ",
        "a\u{0}b",
        "caf\u{e9}",
        "\u{430}lice",
        "a/b",
        "a:b",
        "a.b.c.d.e.f.g.h",
        "a.b.c.d.e.f.g.h.i",
        "a.b.c.d.e.f.g.h.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for len in [62, 63, 64, 65, 200] {
        names.push("a".repeat(len));
        names.push(format!("b.{}", "c".repeat(len)));
    }
    names.push(longest_name());
    names.push(format!("{}.a", longest_name()));
    names.push(format!("{}a", longest_name()));
    names.push(vec!["a"; 10_000].join("."));
    names
}

#[test]
fn the_documented_regexp_is_the_decoders_rule() {
    let regexp = documented_name_regexp();
    assert!(regexp.starts_with("[a-z0-9]"), "{regexp}");
    // The validator's `.regexp` searches; anchored, it matches the whole string as RFC 8610 says.
    let schema = format!("root = tstr .regexp \"^(?:{regexp})$\"");
    let mut valid = 0;
    for text in name_table() {
        let parsed = IdentityName::parse(&text).is_ok();
        let matched = validate(&schema, &codec::encode(&text)).is_ok();
        assert_eq!(
            matched, parsed,
            "{text:?}: regexp {matched}, decoder {parsed}"
        );
        // The decoder checks on the wire exactly what `parse` checks.
        assert_eq!(
            codec::decode::<IdentityName>(&codec::encode(&text)).is_ok(),
            parsed,
            "{text:?}"
        );
        // The schema's length bound never refuses a valid name.
        let sized = validate(&schema_rooted_at("identity-name"), &codec::encode(&text)).is_ok();
        assert!(sized || !parsed, "{text:?}");
        valid += usize::from(parsed);
    }
    assert!(valid >= 10, "{valid}");
}

#[test]
fn mutated_name_vectors_are_refused_by_schema_and_decoder() {
    let resolve_env = envelope(RequestResolveName {
        identity_name: name("alice"),
    });
    let submit_env = envelope(RequestSubmitNameEvidence {
        evidence: name_evidence("alice.phone", 1, 3),
    });
    let revoke_env = envelope(RequestSubmitNameRevocation {
        revocation: name_revocation("alice", 3),
    });
    let taken_env = envelope(ReplySubmitNameEvidence {
        result: Err(NamingError::NameTaken { holder: id(2) }),
    });
    let vouched_env = envelope(ReplyResolveName {
        identity_name: name("alice.phone"),
        result: Err(NamingError::NotVouched {
            parent: name("alice"),
        }),
    });
    let query_env = envelope(ReplyQueryNameEvidence {
        external_identity: id(1),
        result: Ok(vec![name_evidence("alice", 1, 1)]),
    });
    let bases = [
        &resolve_env,
        &submit_env,
        &revoke_env,
        &taken_env,
        &vouched_env,
        &query_env,
    ];
    for env in bases {
        let bytes = codec::encode(env);
        validate(SCHEMA, &bytes).unwrap_or_else(|e| panic!("{}: {e}", hex::encode(&bytes)));
        assert_eq!(Envelope::from_cbor(&bytes).as_ref(), Ok(env));
    }
    let too_long = format!("{}a", longest_name());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "empty name",
            mutated(&resolve_env, |v| {
                *entry(body(v), "identityName") = Value::Text(String::new())
            }),
        ),
        (
            "512-byte name",
            mutated(&resolve_env, |v| {
                *entry(body(v), "identityName") = Value::Text(too_long.clone())
            }),
        ),
        (
            "name as a byte string",
            mutated(&resolve_env, |v| {
                *entry(body(v), "identityName") = Value::Bytes(b"alice".to_vec())
            }),
        ),
        (
            "name as an array of labels",
            mutated(&resolve_env, |v| {
                *entry(body(v), "identityName") = Value::Array(vec![
                    Value::Text("alice".into()),
                    Value::Text("phone".into()),
                ]);
            }),
        ),
        (
            "snake_case identity_name",
            mutated(&resolve_env, |v| {
                map_entries(body(v))[0].0 = Value::Text("identity_name".into())
            }),
        ),
        (
            "evidence without its identity",
            mutated(&submit_env, |v| {
                map_entries(entry(body(v), "evidence"))
                    .retain(|(k, _)| k.as_text() != Some("externalIdentity"));
            }),
        ),
        (
            "evidence naming an identity id, not an identity",
            mutated(&submit_env, |v| {
                *entry(entry(body(v), "evidence"), "externalIdentity") = Value::Bytes(vec![1; 20]);
            }),
        ),
        (
            "evidence with a 65-byte signature",
            mutated(&submit_env, |v| {
                *entry(entry(body(v), "evidence"), "signature") = Value::Bytes(vec![0; 65])
            }),
        ),
        (
            "evidence with an empty name",
            mutated(&submit_env, |v| {
                *entry(entry(body(v), "evidence"), "identityName") = Value::Text(String::new())
            }),
        ),
        (
            "revocation with an identity (a reads-for revocation's shape)",
            mutated(&revoke_env, |v| {
                let rv = map_entries(entry(body(v), "revocation"));
                rv.insert(
                    1,
                    (Value::Text("toIdentity".into()), Value::Map(Vec::new())),
                );
            }),
        ),
        (
            "revocation with a negative serial",
            mutated(&revoke_env, |v| {
                *entry(entry(body(v), "revocation"), "serial") = Value::Integer((-1).into())
            }),
        ),
        (
            "NameTaken holder of 19 bytes",
            mutated(&taken_env, |v| {
                let err = entry(entry(body(v), "result"), "Err");
                *entry(entry(err, "NameTaken"), "holder") = Value::Bytes(vec![0; 19]);
            }),
        ),
        (
            "NameTaken without its holder",
            mutated(&taken_env, |v| {
                *entry(entry(body(v), "result"), "Err") = Value::Text("NameTaken".into());
            }),
        ),
        (
            "NotVouched parent as bytes",
            mutated(&vouched_env, |v| {
                let err = entry(entry(body(v), "result"), "Err");
                *entry(entry(err, "NotVouched"), "parent") = Value::Bytes(b"alice".to_vec());
            }),
        ),
        (
            "NotVouched parent empty",
            mutated(&vouched_env, |v| {
                let err = entry(entry(body(v), "result"), "Err");
                *entry(entry(err, "NotVouched"), "parent") = Value::Text(String::new());
            }),
        ),
        (
            "a relation error in a naming reply",
            mutated(&vouched_env, |v| {
                *entry(entry(body(v), "result"), "Err") = Value::Text("Unavailable".into())
            }),
        ),
        (
            "query answer with reads-for evidence",
            mutated(&query_env, |v| {
                let list = entry(entry(body(v), "result"), "Ok");
                let reads_for: Value =
                    ciborium::from_reader(codec::encode(&evidence(1, 2, 3)).as_slice()).unwrap();
                *list = Value::Array(vec![reads_for]);
            }),
        ),
        (
            "query answer with a continuation",
            mutated(&query_env, |v| {
                map_entries(body(v)).insert(1, (Value::Text("continuation".into()), Value::Null));
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (what, bytes) in &cases {
        if validate(SCHEMA, bytes).is_ok() {
            failures.push(format!("schema accepted {what}"));
        }
        if let Ok(env) = Envelope::from_cbor(bytes) {
            failures.push(format!("decoder accepted {what}: {env:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
