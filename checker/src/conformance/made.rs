//! Cases the model's runs cannot reach, made by changing a recorded input: its network
//! delivers every envelope to the engine it names and authenticates every sender, and its
//! clients send well-formed requests. Each entry says what it must reach; the generator keeps
//! the first recorded case (by id) whose changed input reaches it.

use anyhow::Result;
use engines::backend::format::MAX_RECIPIENTS;
use engines::conformance::{Case, CaseStep, Expected, with_input};
use engines::encryption::{Encryption, EncryptionState};
use engines::{Engine, HostEvent};
use spec::message::{
    Ciphertext, Continuation, ReplySubmitReadsForEvidence, RequestDecryption,
    RequestGenerateIdentity, RequestReadsFor,
};
use spec::{
    Address, CorrelationId, DecryptionError, Envelope, ExternalIdentity, IdentityId, Message,
    ReadsForEvidence, codec,
};

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
    fn reached(self, case: &Case) -> bool {
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

/// Every made case: what it reaches, what the changed input is, and the change.
pub const MADE: &[(Target, &str, Change)] = &[
    (
        Target::Row("misaddressed"),
        "the envelope names another engine",
        |e| {
            Address::new("elsewhere")
                .map(|target| Envelope {
                    target,
                    ..e.clone()
                })
                .into_iter()
                .collect()
        },
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
        "evidence that an identity reads for itself",
        |e| match &e.message {
            Message::RequestSubmitReadsForEvidence(r) => {
                let mut r = r.clone();
                r.evidence.from_identity = r.evidence.to_identity.clone();
                with(e, r)
            }
            _ => Vec::new(),
        },
    ),
    (
        Target::Says("BadVerifyingKey"),
        "evidence whose subject's verifying key is not a curve point",
        |e| match &e.message {
            Message::RequestSubmitReadsForEvidence(r) => not_points()
                .map(|key| {
                    let mut r = r.clone();
                    r.evidence.to_identity.verifying_key = key;
                    with(e, r).remove(0)
                })
                .collect(),
            _ => Vec::new(),
        },
    ),
    (
        Target::Says("BadVerifyingKey"),
        "a revocation whose subject's verifying key is not a curve point",
        |e| match &e.message {
            Message::RequestSubmitReadsForRevocation(r) => not_points()
                .map(|key| {
                    let mut r = r.clone();
                    r.revocation.to_identity.verifying_key = key;
                    with(e, r).remove(0)
                })
                .collect(),
            _ => Vec::new(),
        },
    ),
    (
        Target::Says("SignatureInvalid"),
        "a revocation whose signature is altered",
        |e| match &e.message {
            Message::RequestSubmitReadsForRevocation(r) => {
                let mut r = r.clone();
                r.revocation.signature[0] ^= 1;
                with(e, r)
            }
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
                r.external_identity = IdentityId([0x5a; spec::identity::IDENTITY_ID_LEN]);
                with(e, r)
            }
            Message::RequestDeleteKey(r) => {
                let mut r = r.clone();
                r.external_identity = IdentityId([0x5a; spec::identity::IDENTITY_ID_LEN]);
                with(e, r)
            }
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
        |e| {
            if e.message.is_request() {
                with(e, RequestGenerateIdentity {})
            } else {
                Vec::new()
            }
        },
    ),
    (
        Target::Error("RelationError", "NotHandled"),
        "a ReadsFor request sent to another engine",
        |e| match &e.message {
            m if m.is_request() => with(
                e,
                RequestReadsFor {
                    external_identity_a: IdentityId([0x5a; spec::identity::IDENTITY_ID_LEN]),
                    external_identity_b: IdentityId([0xa5; spec::identity::IDENTITY_ID_LEN]),
                },
            ),
            _ => Vec::new(),
        },
    ),
    (
        Target::Error("DecryptionError", "NotHandled"),
        "a vault request sent to another engine",
        |e| match &e.message {
            m if m.is_request() => with(
                e,
                RequestDecryption {
                    data: Ciphertext(b"SWCT".to_vec()),
                },
            ),
            _ => Vec::new(),
        },
    ),
    (
        Target::Reason("ContinuationInvalid"),
        "an evidence reply without its continuation",
        |e| match &e.message {
            Message::ReplyQueryReadsForEvidence(r) if r.continuation.is_some() => {
                let mut r = r.clone();
                r.continuation = None;
                with(e, r)
            }
            _ => Vec::new(),
        },
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
        |e| match &e.message {
            Message::ReplyQueryReadsForEvidence(r) => {
                let mut r = r.clone();
                r.external_identity = IdentityId([0x5a; spec::identity::IDENTITY_ID_LEN]);
                with(e, r)
            }
            _ => Vec::new(),
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

/// For each Encryption row that checks the plaintext limit, a recorded case of that row
/// replayed under a configuration whose limit is 0 bytes: `PlaintextTooLarge`, at query time
/// (no query is sent) and at finish time (an instance of the pool with a smaller limit).
pub fn over_limit(recorded: &[&Case]) -> Result<Vec<Case>> {
    let mut made = Vec::new();
    for row in ["query-reads-for", "finish"] {
        made.extend(replayed_after(
            recorded,
            row,
            Target::Error("EncryptionError", "PlaintextTooLarge"),
            "an engine whose plaintext limit is 0 bytes",
            |engine, _| {
                engine.max_plaintext = 0;
                Vec::new()
            },
        )?);
    }
    Ok(made)
}

/// An Encryption flow: the host rotates the cookie key twice, then a reply arrives with a
/// continuation from before both rotations.
pub fn expired(recorded: &[&Case]) -> Result<Option<Case>> {
    replayed_after(
        recorded,
        "finish",
        Target::Reason("ContinuationExpired"),
        "two cookie-key rotations, then a continuation from before them",
        |engine, state| {
            let rotate = HostEvent::RotateCookieKey;
            engine.on_event(state, rotate);
            engine.on_event(state, rotate);
            vec![CaseStep::event(rotate), CaseStep::event(rotate)]
        },
    )
}

/// The first recorded Encryption case of `row` whose input, replayed after `prepare` changes
/// the configuration or the state, is still handled by `row` and reaches `target`.
///
/// `prepare` returns the host events it applied: the case then starts before them, with
/// them as its first steps.
fn replayed_after(
    recorded: &[&Case],
    row: &str,
    target: Target,
    what: &str,
    prepare: impl Fn(&mut Encryption, &mut EncryptionState) -> Vec<CaseStep>,
) -> Result<Option<Case>> {
    let candidates = recorded
        .iter()
        .filter(|c| c.engine == Encryption::NAME && c.handler() == row);
    for case in candidates {
        let Some(step) = case.steps.first() else {
            continue;
        };
        let mut engine: Encryption = codec::decode(&case.config)?;
        let mut state: EncryptionState = codec::decode(&case.pre)?;
        let events = prepare(&mut engine, &mut state);
        let changed = Case {
            config: codec::encode(&engine),
            pre: codec::encode(&state),
            ..(*case).clone()
        };
        let mut new = with_input(&changed, &codec::decode(&step.input)?, 0)?;
        if !events.is_empty() {
            new.steps.splice(0..0, events);
            new.pre.clone_from(&case.pre);
        }
        let handled = new.steps.last().is_some_and(|s| s.handler == row);
        if handled && target.reached(&new) {
            new.description = format!("{what} ({})", new.description);
            return Ok(Some(new));
        }
    }
    Ok(None)
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
    match &e.message {
        Message::ReplyQueryReadsForEvidence(r) if r.continuation.is_some() => {
            let mut r = r.clone();
            let mut bytes = r.continuation.map(|c| c.0).unwrap_or_default();
            f(&mut bytes);
            r.continuation = Some(Continuation(bytes));
            with(e, r)
        }
        _ => Vec::new(),
    }
}

/// For each engine and [`MADE`] entry, the first recorded case whose changed input reaches
/// the entry's target; entries no engine reaches are left to the coverage's gaps.
pub fn cases(recorded: &[&Case]) -> Result<Vec<Case>> {
    let mut made = Vec::new();
    made.extend(expired(recorded)?);
    made.extend(over_limit(recorded)?);
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
