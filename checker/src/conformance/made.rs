//! Cases the model's runs cannot reach, made by changing a recorded input: its network
//! delivers every envelope to the engine it names and authenticates every sender, and its
//! clients send well-formed requests. Each entry says what it must reach; the generator keeps
//! the first recorded case (by id) whose changed input reaches it.

use anyhow::Result;
use engines::Engine;
use engines::backend::format::MAX_RECIPIENTS;
use engines::conformance::{Case, CaseStep, Expected, with_input};
use engines::naming::Naming;
use spec::message::{
    Ciphertext, Commitment, Continuation, RelationMessages, ReplyQueryReadsForEvidence,
    ReplySubmitReadsForEvidence, ReplySubmitSignsForEvidence, RequestCommitment, RequestDecryption,
    RequestGenerateIdentity, RequestReadsFor, RequestResolveName, RequestVerification, Signable,
};
use spec::relation::{Reads, Relation, Signs};
use spec::{
    Address, CorrelationId, DecryptionError, Envelope, Evidence, ExternalIdentity, IdentityId,
    IdentityName, Message, NameEvidence, NameRevocation, ReadsForEvidence, ReadsForRevocation,
    Revocation, codec,
};

use super::altered;
use super::coverage::Coverage;

/// What a made case must reach.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A guard row.
    Row(&'static str),
    /// An error variant: family, variant.
    Error(&'static str, &'static str),
    /// A rejection reason.
    Reason(&'static str),
    /// Words in what the step sends (an error's detail, in CBOR diagnostic notation).
    Says(&'static str),
    /// A ciphertext sent with exactly this many recipients.
    Recipients(usize),
}

impl Target {
    /// Whether `case` reaches this target.
    pub(super) fn reached(self, case: &Case) -> bool {
        let c = Coverage::of(&[case]);
        match self {
            Target::Row(row) => c.rows.iter().any(|(_, r)| r == row),
            Target::Error(f, v) => c.errors.contains(&(f.to_string(), v.to_string())),
            Target::Reason(r) => c.reasons.contains(r),
            Target::Says(words) => case
                .steps
                .iter()
                .any(|s| super::show::diagnostic(&s.effects).contains(words)),
            Target::Recipients(n) => case.steps.iter().any(|s| {
                codec::decode::<Expected>(&s.effects).is_ok_and(|e| {
                    e.send.iter().any(|env| match &env.message {
                        Message::ReplyEncrypt(r) => r
                            .result
                            .as_ref()
                            .is_ok_and(|ct| ct.0.get(7..9) == Some(&(n as u16).to_be_bytes()[..])),
                        _ => false,
                    })
                })
            }),
        }
    }
}

/// A change of a recorded input: the candidates it makes (none if it does not apply).
type Change = fn(&Envelope) -> Vec<Envelope>;

fn with(e: &Envelope, message: impl Into<Message>) -> Vec<Envelope> {
    vec![Envelope {
        message: message.into(),
        ..e.clone()
    }]
}

/// An identity id no engine holds.
const UNKNOWN_ID: IdentityId = IdentityId([0x5a; spec::identity::IDENTITY_ID_LEN]);

/// `e` from another sender or to another target, a well-formed address nobody has.
fn elsewhere(e: &Envelope, as_sender: bool) -> Vec<Envelope> {
    Address::new("elsewhere")
        .map(|a| match as_sender {
            true => Envelope {
                sender: a,
                ..e.clone()
            },
            false => Envelope {
                target: a,
                ..e.clone()
            },
        })
        .into_iter()
        .collect()
}

/// `make()` in place of a request (a request the engine may not handle), if `e` is one.
fn instead_of_request(e: &Envelope, make: impl Fn() -> Message) -> Vec<Envelope> {
    match e.message.is_request() {
        true => with(e, make()),
        false => Vec::new(),
    }
}

/// Every made case: what it reaches, what the changed input is, and the change.
pub const MADE: &[(Target, &str, Change)] = &[
    (
        Target::Row("misaddressed"),
        "the envelope names another engine",
        |e| elsewhere(e, false),
    ),
    (
        Target::Row("no-pending-request"),
        "a reply whose correlation id names nothing pending",
        |e| {
            vec![Envelope {
                correlation: CorrelationId(e.correlation.0 ^ (1 << 40)),
                ..e.clone()
            }]
        },
    ),
    (
        Target::Row("reply-not-awaited"),
        "a reply of a kind the pending operation does not wait for",
        |e| with(e, ReplySubmitReadsForEvidence { result: Ok(()) }),
    ),
    (
        Target::Row("unexpected-sender"),
        "a SignsFor evidence reply from another engine than the configured SignsFor",
        |e| match &e.message {
            Message::ReplyQuerySignsForEvidence(_) => elsewhere(e, true),
            _ => Vec::new(),
        },
    ),
    (
        Target::Row("unexpected-reply"),
        "a ReadsFor evidence reply where only a SignsFor one is awaited",
        |e| match &e.message {
            Message::ReplyQuerySignsForEvidence(r) => with(
                e,
                ReplyQueryReadsForEvidence {
                    external_identity: r.external_identity,
                    continuation: r.continuation.clone(),
                    result: Ok(Vec::new()),
                },
            ),
            _ => Vec::new(),
        },
    ),
    (
        Target::Row("unexpected-reply"),
        "a reply sent to the SignsFor engine, which asks nothing",
        |e| match &e.message {
            Message::RequestSubmitSignsForEvidence(_) => {
                with(e, ReplySubmitSignsForEvidence { result: Ok(()) })
            }
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("EncryptionError", "InvalidRecipient"),
        "a recipient whose X25519 key is the all-zero point",
        |e| match &e.message {
            Message::RequestEncrypt(r) => {
                let mut r = r.clone();
                r.external_identity.encryption_key = [0; 32];
                r.use_reads_for = false;
                with(e, r)
            }
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("RelationError", "Malformed"),
        "evidence that an identity is related to itself",
        |e| submission(e, |ev| ev.from_identity = ev.to_identity.clone()),
    ),
    (
        Target::Says("BadVerifyingKey"),
        "evidence whose subject's verifying key is not a curve point",
        |e| {
            not_points()
                .flat_map(|key| submission(e, move |ev| ev.to_identity.verifying_key = key))
                .collect()
        },
    ),
    (
        Target::Says("BadVerifyingKey"),
        "a revocation whose subject's verifying key is not a curve point",
        |e| {
            not_points()
                .flat_map(|key| revocation(e, move |rv| rv.to_identity.verifying_key = key))
                .collect()
        },
    ),
    (
        Target::Says("SignatureInvalid"),
        "a revocation whose signature is altered",
        |e| revocation(e, |rv| rv.signature[0] ^= 1),
    ),
    (
        // ReadsFor's comes from the model (forged evidence).
        Target::Says("SignatureInvalid"),
        "signs-for evidence whose signature is altered",
        |e| match &e.message {
            Message::RequestSubmitSignsForEvidence(_) => submission(e, |ev| ev.signature[0] ^= 1),
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("DecryptionError", "Malformed"),
        "a ciphertext whose magic bytes are wrong",
        |e| ciphertext(e, |ct| ct.first_mut().into_iter().for_each(|b| *b ^= 0xff)),
    ),
    (
        Target::Error("DecryptionError", "AuthenticationFailed"),
        "a ciphertext whose last byte is flipped",
        |e| ciphertext(e, |ct| ct.last_mut().into_iter().for_each(|b| *b ^= 1)),
    ),
    (
        Target::Error("DecryptionError", "Truncated"),
        "a ciphertext cut short",
        |e| {
            (1..=64)
                .flat_map(|cut| ciphertext(e, move |ct| ct.truncate(ct.len().saturating_sub(cut))))
                .collect()
        },
    ),
    (
        Target::Error("DecryptionError", "UnknownIdentity"),
        "key management for an identity the vault does not hold",
        |e| match &e.message {
            Message::RequestRotateKey(r) => {
                let mut r = r.clone();
                r.external_identity = UNKNOWN_ID;
                with(e, r)
            }
            Message::RequestDeleteKey(r) => {
                let mut r = r.clone();
                r.external_identity = UNKNOWN_ID;
                with(e, r)
            }
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("CommitmentError", "UnknownIdentity"),
        "a commitment as an identity the vault does not hold",
        |e| match &e.message {
            Message::RequestCommitment(r) => {
                let mut r = r.clone();
                r.external_identity = UNKNOWN_ID;
                with(e, r)
            }
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("CommitmentError", "NotAuthorised"),
        "a commitment asked for by another engine than the identity's owner",
        |e| match &e.message {
            Message::RequestCommitment(_) => elsewhere(e, true),
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("IdentityError", "Vault"),
        "the vault refuses the key Identity Management asked for",
        |e| {
            let refused = Err(DecryptionError::NotAuthorised);
            match &e.message {
                Message::ReplyGenerateKey(_) => {
                    with(e, spec::message::ReplyGenerateKey { result: refused })
                }
                Message::ReplyRotateKey(_) => {
                    with(e, spec::message::ReplyRotateKey { result: refused })
                }
                _ => Vec::new(),
            }
        },
    ),
    (
        Target::Error("IdentityError", "NotHandled"),
        "an Identity Management request sent to another engine",
        |e| instead_of_request(e, || RequestGenerateIdentity::default().into()),
    ),
    (
        Target::Error("RelationError", "NotHandled"),
        "a ReadsFor request sent to another engine",
        |e| {
            instead_of_request(e, || {
                RequestReadsFor {
                    external_identity_a: UNKNOWN_ID,
                    external_identity_b: IdentityId([0xa5; spec::identity::IDENTITY_ID_LEN]),
                }
                .into()
            })
        },
    ),
    (
        Target::Error("RelationError", "NotHandled"),
        "signs-for evidence sent to another engine",
        |e| {
            instead_of_request(e, || {
                let (from, to) = (made_identity(0x5a, 0), made_identity(0xa5, 0));
                Signs::submit(Evidence::new(from, to, 1, [0; 64]))
            })
        },
    ),
    (
        Target::Error("DecryptionError", "NotHandled"),
        "a vault request sent to another engine",
        |e| {
            instead_of_request(e, || {
                RequestDecryption {
                    data: Ciphertext(b"SWCT".to_vec()),
                }
                .into()
            })
        },
    ),
    (
        Target::Error("CommitmentError", "NotHandled"),
        "a commitment request sent to another engine",
        |e| {
            instead_of_request(e, || {
                RequestCommitment {
                    data: Signable(b"data".to_vec()),
                    external_identity: UNKNOWN_ID,
                }
                .into()
            })
        },
    ),
    (
        Target::Error("VerificationError", "NotHandled"),
        "a Verification request sent to another engine",
        |e| {
            instead_of_request(e, || {
                RequestVerification {
                    data: Signable(b"data".to_vec()),
                    commitment: Commitment {
                        verifying_key: [0x5a; 32],
                        signature: [0; 64],
                    },
                    external_identity: made_identity(0x5a, 0),
                    use_signs_for: false,
                }
                .into()
            })
        },
    ),
    (
        Target::Error("NamingError", "NotHandled"),
        "a Naming request sent to another engine",
        |e| {
            IdentityName::parse("made")
                .map(|name| {
                    instead_of_request(e, || {
                        RequestResolveName {
                            identity_name: name.clone(),
                        }
                        .into()
                    })
                })
                .unwrap_or_default()
        },
    ),
    (
        Target::Error("NamingError", "Malformed"),
        "name evidence for a free name whose named identity's verifying key is not a curve point",
        |e| {
            not_points()
                .flat_map(|key| {
                    name_evidence(e, move |ev| ev.external_identity.verifying_key = key)
                })
                .collect()
        },
    ),
    (
        Target::Says("SignatureInvalid"),
        "name evidence whose signature is altered",
        |e| name_evidence(e, |ev| ev.signature[0] ^= 1),
    ),
    (
        Target::Says("SignatureInvalid"),
        "a name revocation whose signature is altered",
        |e| name_revocation(e, |rv| rv.signature[0] ^= 1),
    ),
    (
        Target::Reason("ContinuationInvalid"),
        "an evidence reply without its continuation",
        |e| answer(e, |c, _| c.take().is_some()),
    ),
    (
        Target::Reason("ContinuationInvalid"),
        "an evidence reply whose continuation is cut to less than its epoch",
        |e| continuation(e, |c| c.truncate(5)),
    ),
    (
        Target::Error("EncryptionError", "TooManyRecipients"),
        "an evidence reply naming 1024 readers: with the target, one recipient more than a ciphertext may have",
        |e| evidence(e, |subject| readers(subject, MAX_RECIPIENTS).collect()),
    ),
    (
        Target::Recipients(MAX_RECIPIENTS),
        "an evidence reply naming 1023 readers, one of them twice: with the target, 1024 recipients after de-duplication, the most a ciphertext may have",
        |e| {
            evidence(e, |subject| {
                readers(subject, MAX_RECIPIENTS - 1)
                    .chain(readers(subject, 1))
                    .collect()
            })
        },
    ),
    (
        Target::Recipients(1),
        "an evidence reply whose edges all miss the target (the target reads for another, two others read for each other): the target is the only recipient",
        |e| {
            evidence(e, |subject| {
                let (a, b) = (made_identity(0x7a, 1), made_identity(0x7a, 2));
                [
                    (subject.clone(), a.clone()),
                    (b.clone(), a.clone()),
                    (made_identity(0x7a, 3), b),
                ]
                .into_iter()
                .map(|(from, to)| edge(from, to))
                .collect()
            })
        },
    ),
    (
        Target::Reason("ContinuationInvalid"),
        "an evidence reply whose continuation was altered",
        |e| continuation(e, |c| c.last_mut().into_iter().for_each(|b| *b ^= 1)),
    ),
    (
        Target::Reason("SubjectMismatch"),
        "an evidence reply about another subject than the continuation's",
        |e| {
            answer(e, |_, subject| {
                *subject = UNKNOWN_ID;
                true
            })
        },
    ),
];

/// The evidence reply with its evidence replaced by what `make` gives for its subject.
fn evidence(
    e: &Envelope,
    make: impl Fn(&ExternalIdentity) -> Vec<ReadsForEvidence>,
) -> Vec<Envelope> {
    let Message::ReplyQueryReadsForEvidence(r) = &e.message else {
        return Vec::new();
    };
    let Some(subject) = r.result.as_ref().ok().and_then(|evidence| {
        evidence
            .iter()
            .map(|ev| &ev.to_identity)
            .find(|to| to.id() == r.external_identity)
    }) else {
        return Vec::new();
    };
    let mut changed = r.clone();
    changed.result = Ok(make(subject));
    with(e, changed)
}

/// `n` made-up readers of `subject`.
fn readers(subject: &ExternalIdentity, n: usize) -> impl Iterator<Item = ReadsForEvidence> + '_ {
    (0..n as u32).map(move |i| edge(made_identity(0x11, i), subject.clone()))
}

/// Evidence that `from` reads for `to` (unsigned: the Encryption engine trusts its ReadsFor).
fn edge(from: ExternalIdentity, to: ExternalIdentity) -> ReadsForEvidence {
    ReadsForEvidence {
        from_identity: from,
        to_identity: to,
        serial: 1,
        signature: [0; 64],
        relation: Default::default(),
    }
}

/// A made-up identity, distinct for each `(fill, i)`; any 32 bytes are an X25519 public key.
fn made_identity(fill: u8, i: u32) -> ExternalIdentity {
    let mut key = [fill; 32];
    key[..4].copy_from_slice(&i.to_be_bytes());
    ExternalIdentity {
        verifying_key: key,
        encryption_key: key,
    }
}

/// Encodings of small `y` coordinates, about half of which are on no curve point.
fn not_points() -> impl Iterator<Item = [u8; 32]> {
    (2u8..18).map(|y| {
        let mut key = [0; 32];
        key[0] = y;
        key
    })
}

/// The request with its ciphertext changed by `f`, if it is a decryption request.
fn ciphertext(e: &Envelope, f: impl Fn(&mut Vec<u8>)) -> Vec<Envelope> {
    match &e.message {
        Message::RequestDecryption(r) => {
            let mut r = r.clone();
            f(&mut r.data.0);
            with(e, r)
        }
        _ => Vec::new(),
    }
}

/// The reply with its continuation changed by `f`, if it is an evidence reply that has one.
fn continuation(e: &Envelope, f: impl Fn(&mut Vec<u8>)) -> Vec<Envelope> {
    answer(e, |c, _| match c {
        Some(c) => {
            f(&mut c.0);
            true
        }
        None => false,
    })
}

/// An evidence reply to a stateless engine's query (ReadsFor's to Encryption, SignsFor's to
/// Verification) whose continuation and subject `f` changes; none unless `f` says it did.
fn answer(
    e: &Envelope,
    f: impl Fn(&mut Option<Continuation>, &mut IdentityId) -> bool,
) -> Vec<Envelope> {
    let mut changed = e.clone();
    let parts = match &mut changed.message {
        Message::ReplyQueryReadsForEvidence(r) => (&mut r.continuation, &mut r.external_identity),
        Message::ReplyQuerySignsForEvidence(r) => (&mut r.continuation, &mut r.external_identity),
        _ => return Vec::new(),
    };
    match f(parts.0, parts.1) {
        true => vec![changed],
        false => Vec::new(),
    }
}

/// The same statement as evidence of relation `B` (the fields are the same; the signature
/// then covers other bytes).
fn recast<A: Relation, B: Relation>(ev: &Evidence<A>) -> Evidence<B> {
    Evidence::new(
        ev.from_identity.clone(),
        ev.to_identity.clone(),
        ev.serial,
        ev.signature,
    )
}

fn recast_revocation<A: Relation, B: Relation>(rv: &Revocation<A>) -> Revocation<B> {
    Revocation::new(
        rv.from_identity,
        rv.to_identity.clone(),
        rv.serial,
        rv.signature,
    )
}

/// The evidence submission, of either relation, with its evidence changed by `f`.
fn submission(e: &Envelope, f: impl Fn(&mut ReadsForEvidence)) -> Vec<Envelope> {
    let (mut ev, put): (ReadsForEvidence, fn(&ReadsForEvidence) -> Message) = match &e.message {
        Message::RequestSubmitReadsForEvidence(r) => {
            (r.evidence.clone(), |ev| Reads::submit(ev.clone()))
        }
        Message::RequestSubmitSignsForEvidence(r) => {
            (recast(&r.evidence), |ev| Signs::submit(recast(ev)))
        }
        _ => return Vec::new(),
    };
    f(&mut ev);
    with(e, put(&ev))
}

/// The revocation submission, of either relation, with its revocation changed by `f`.
fn revocation(e: &Envelope, f: impl Fn(&mut ReadsForRevocation)) -> Vec<Envelope> {
    let (mut rv, put): (ReadsForRevocation, fn(&ReadsForRevocation) -> Message) = match &e.message {
        Message::RequestSubmitReadsForRevocation(r) => {
            (r.revocation.clone(), |rv| Reads::revoke(rv.clone()))
        }
        Message::RequestSubmitSignsForRevocation(r) => (recast_revocation(&r.revocation), |rv| {
            Signs::revoke(recast_revocation(rv))
        }),
        _ => return Vec::new(),
    };
    f(&mut rv);
    with(e, put(&rv))
}

/// The name-evidence submission with its evidence changed by `f`.
fn name_evidence(e: &Envelope, f: impl Fn(&mut NameEvidence)) -> Vec<Envelope> {
    match &e.message {
        Message::RequestSubmitNameEvidence(r) => {
            let mut r = r.clone();
            f(&mut r.evidence);
            with(e, r)
        }
        _ => Vec::new(),
    }
}

/// The name-revocation submission with its revocation changed by `f`.
fn name_revocation(e: &Envelope, f: impl Fn(&mut NameRevocation)) -> Vec<Envelope> {
    match &e.message {
        Message::RequestSubmitNameRevocation(r) => {
            let mut r = r.clone();
            f(&mut r.revocation);
            with(e, r)
        }
        _ => Vec::new(),
    }
}

/// For each engine and [`MADE`] entry, the first recorded case whose changed input reaches
/// the entry's target; entries no engine reaches are left to the coverage's gaps.
pub fn cases(recorded: &[&Case]) -> Result<Vec<Case>> {
    let mut made = altered::cases(recorded)?;
    for engine in engines::conformance::ENGINES {
        let own: Vec<&&Case> = recorded.iter().filter(|c| c.engine == *engine).collect();
        for (target, what, change) in MADE {
            if let Some(mut case) = first_reaching(&own, *target, *change)? {
                case.description = format!("{what} ({})", case.description);
                made.push(case);
            }
        }
    }
    Ok(made)
}

fn first_reaching(own: &[&&Case], target: Target, change: Change) -> Result<Option<Case>> {
    for case in own {
        let Some(step) = case.steps.first() else {
            continue;
        };
        let input: Envelope = codec::decode(&step.input)?;
        for changed in change(&input) {
            let new = with_input(case, &changed, 0)?;
            if target.reached(&new) {
                return Ok(Some(new));
            }
        }
    }
    Ok(None)
}

/// For each engine, each [`REFUSED`] change of its first recorded input.
pub fn refused(recorded: &[&Case]) -> Vec<Case> {
    let mut made = Vec::new();
    for engine in engines::conformance::ENGINES {
        let Some(first) = recorded.iter().find(|c| c.engine == *engine) else {
            continue;
        };
        let Some(step) = first.steps.first() else {
            continue;
        };
        for (name, change) in REFUSED {
            made.push(Case {
                description: format!("{name}: bytes that are not a canonical envelope"),
                steps: vec![CaseStep {
                    event: None,
                    input: change(&step.input),
                    random: Vec::new(),
                    handler: String::new(),
                    effects: Vec::new(),
                }],
                post: None,
                ..(*first).clone()
            });
        }
    }
    made
}

/// Strings that are not names, each with what is wrong: an envelope carrying one does not
/// decode, since only valid names exist ([`IdentityName`]).
pub const BAD_NAMES: &[(&str, &str)] = &[
    ("Alice", "an uppercase letter"),
    ("alice..phone", "an empty label"),
    ("", "no label at all"),
    ("alice.", "a dot at the end"),
    ("-alice", "a leading hyphen"),
    ("alice_phone", "an underscore"),
    ("caf\u{e9}", "a letter outside a-z"),
    ("a.b.c.d.e.f.g.h.i", "nine labels"),
    (
        // 64 bytes.
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "a label of 64 bytes",
    ),
];

/// The Naming engine's first recorded input that carries a name, with every name in it
/// replaced by each of [`BAD_NAMES`]: bytes that are not a canonical envelope.
pub fn refused_names(recorded: &[&Case]) -> Vec<Case> {
    let found = recorded
        .iter()
        .filter(|c| c.engine == Naming::NAME)
        .find_map(|c| {
            let value = codec::decode_value(&c.steps.first()?.input).ok()?;
            let mut probe = value.clone();
            rename(&mut probe, "").then_some((c, value))
        });
    let Some((first, value)) = found else {
        return Vec::new();
    };
    BAD_NAMES
        .iter()
        .map(|(bad, what)| {
            let mut input = value.clone();
            rename(&mut input, bad);
            Case {
                description: format!(
                    "a name with {what} ({bad:?}): bytes that are not a canonical envelope"
                ),
                steps: vec![CaseStep {
                    event: None,
                    input: codec::encode(&input),
                    random: Vec::new(),
                    handler: String::new(),
                    effects: Vec::new(),
                }],
                post: None,
                ..(*first).clone()
            }
        })
        .collect()
}

/// Puts `text` in place of every `identityName` in `value`; whether there was one.
fn rename(value: &mut ciborium::Value, text: &str) -> bool {
    use ciborium::Value;
    match value {
        Value::Map(entries) => {
            let mut found = false;
            for (key, v) in entries {
                if key.as_text() == Some("identityName") && v.is_text() {
                    *v = Value::Text(text.to_string());
                    found = true;
                } else {
                    found |= rename(v, text);
                }
            }
            found
        }
        Value::Array(items) => items.iter_mut().fold(false, |f, v| rename(v, text) | f),
        _ => false,
    }
}

/// Turns a recorded input into bytes that are not a canonical envelope.
type Garble = fn(&[u8]) -> Vec<u8>;

/// Bytes that are not a canonical envelope, made from a recorded input: the name and how.
pub const REFUSED: &[(&str, Garble)] = &[
    ("cut", |b| b[..b.len().saturating_sub(1)].to_vec()),
    ("trailing", |b| [b, &[0]].concat()),
    ("long-head", |b| {
        // The outer map's length in a one-byte argument: valid CBOR, not canonical.
        let mut out = vec![0xb8, b.first().map_or(0, |h| h & 0x1f)];
        out.extend_from_slice(b.get(1..).unwrap_or_default());
        out
    }),
    ("too-deep", |_| [vec![0x81; 64], vec![0]].concat()),
    // 0xff is a "break" with no indefinite-length item open: not well-formed CBOR.
    ("not-cbor", |_| vec![0xff, 0x00]),
];
