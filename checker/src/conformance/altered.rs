//! Made cases that change more than an input: an engine's configuration (a limit of 0
//! bytes), its state (host events before a reply, statements submitted before another), or
//! that are a host event alone.

use anyhow::Result;
use engines::backend::seeded::SeededBackend;
use engines::conformance::{
    Case, CaseEngine, CaseStep, HOST_EVENTS, chain, with_event, with_input,
};
use engines::decryption::Decryption;
use engines::encryption::Encryption;
use engines::identity::InternalIdentity;
use engines::identity_management::IdentityManagement;
use engines::naming::Naming;
use engines::relation::RelationRows;
use engines::verification::Verification;
use engines::{Backend, Engine, HostEvent};
use spec::message::{RequestResolveName, RequestSubmitNameEvidence, RequestSubmitNameRevocation};
use spec::relation::Signs;
use spec::{
    Capabilities, CorrelationId, Envelope, Evidence, IdentityName, Message, NameEvidence,
    NameRevocation, Revocation, codec,
};

use super::made::Target;

/// Every case of this module but the lone host events ([`events`]), in a fixed order.
pub fn cases(recorded: &[&Case]) -> Result<Vec<Case>> {
    let mut made = Vec::new();
    made.extend(expired::<Encryption>(recorded)?);
    made.extend(expired::<Verification>(recorded)?);
    made.extend(over_limit(recorded)?);
    made.extend(lacking_capabilities(recorded)?);
    // ReadsFor's come from the model (its serials scenario); SignsFor's scenarios have one
    // serial per pair.
    made.extend(serials::<Signs>(recorded)?);
    made.extend(names(recorded)?);
    Ok(made)
}

/// For each row that checks a size limit, a recorded case of that row replayed under a
/// configuration whose limit is 0 bytes: refused at query time (no query is sent), and for
/// Encryption at finish time too (an instance of the pool with a smaller limit).
fn over_limit(recorded: &[&Case]) -> Result<Vec<Case>> {
    let mut made = Vec::new();
    for row in ["query-reads-for", "finish"] {
        made.extend(replayed_after::<Encryption>(
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
    for row in ["verify-directly", "query-signs-for"] {
        made.extend(replayed_after::<Verification>(
            recorded,
            row,
            Target::Error("VerificationError", "DataTooLarge"),
            "an engine whose data limit is 0 bytes",
            |engine, _| {
                engine.max_data = 0;
                Vec::new()
            },
        )?);
    }
    Ok(made)
}

/// An owner's recorded request replayed with its identities lacking what it asks for:
/// connect (asking for both) when every managed identity may only commit, and a commitment
/// when every identity in the vault may only decrypt.
fn lacking_capabilities(recorded: &[&Case]) -> Result<Vec<Case>> {
    let mut made = Vec::new();
    made.extend(replayed_after::<IdentityManagement>(
        recorded,
        "connect",
        Target::Error("IdentityError", "MissingCapability"),
        "every identity managed here may only commit",
        |_, state| {
            for managed in state.identities.values_mut() {
                managed.capabilities = Capabilities::Commit;
            }
            Vec::new()
        },
    )?);
    made.extend(replayed_after::<Decryption>(
        recorded,
        "commit",
        Target::Error("CommitmentError", "NoCommitCapability"),
        "every identity in the vault may only decrypt",
        |_, state| {
            for held in state.identities.values_mut() {
                held.capabilities = Capabilities::Decrypt;
            }
            Vec::new()
        },
    )?);
    Ok(made)
}

/// A flow of a stateless engine: the host rotates the cookie key twice, then a reply
/// arrives with a continuation from before both rotations.
fn expired<E>(recorded: &[&Case]) -> Result<Option<Case>>
where
    E: CaseEngine,
{
    replayed_after::<E>(
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

/// The first recorded case of engine `E` and `row` whose input, replayed after `prepare`
/// changes the configuration or the state, is still handled by `row` and reaches `target`.
///
/// `prepare` returns the host events it applied: the case then starts before them, with
/// them as its first steps.
fn replayed_after<E>(
    recorded: &[&Case],
    row: &str,
    target: Target,
    what: &str,
    prepare: impl Fn(&mut E, &mut E::State) -> Vec<CaseStep>,
) -> Result<Option<Case>>
where
    E: CaseEngine,
{
    let candidates = recorded
        .iter()
        .filter(|c| c.engine == E::NAME && c.handler() == row);
    for case in candidates {
        let Some(step) = case.steps.first() else {
            continue;
        };
        let mut engine: E = codec::decode(&case.config)?;
        let mut state: E::State = codec::decode(&case.pre)?;
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

/// For each engine and host event it takes ([`HOST_EVENTS`]) that no one-step case of
/// `present` holds, the event applied to the engine's first recorded state.
pub fn events(recorded: &[&Case], present: &[&Case]) -> Result<Vec<Case>> {
    let mut made = Vec::new();
    for (engine, event) in HOST_EVENTS {
        let held = present
            .iter()
            .any(|c| c.engine == *engine && c.handler() == event.name());
        let first = recorded.iter().find(|c| c.engine == *engine);
        if let (false, Some(first)) = (held, first) {
            made.push(with_event(first, *event)?);
        }
    }
    Ok(made)
}

/// A statement a made subject signs about a made member.
#[derive(Debug, Clone, Copy)]
enum Signed {
    /// Evidence with this serial.
    Evidence(u64),
    /// A revocation through this serial.
    Revocation(u64),
}

/// Relation flows whose last step must reach the target: what they are, and the statements
/// submitted in order, each signed by the subject.
const SERIALS: &[(Target, &str, &[Signed])] = &[
    (
        Target::Error("RelationError", "Superseded"),
        "evidence with serial 1 after the same pair's serial 2",
        &[Signed::Evidence(2), Signed::Evidence(1)],
    ),
    (
        Target::Error("RelationError", "Revoked"),
        "evidence with serial 1 after a revocation through serial 2",
        &[Signed::Revocation(2), Signed::Evidence(1)],
    ),
];

/// The stream the made statements' subject and member come from.
const SIGNERS_STREAM: u64 = 0x5349_474e_4552_5321;

/// For relation `R`, each [`SERIALS`] flow from the state of its first recorded
/// `submit-evidence` case, with that case's sender and target.
fn serials<R: RelationRows>(recorded: &[&Case]) -> Result<Vec<Case>> {
    let first = recorded
        .iter()
        .find(|c| c.engine == R::ENGINE && c.handler() == "submit-evidence");
    let Some((first, step)) = first.and_then(|c| Some((c, c.steps.first()?))) else {
        return Ok(Vec::new());
    };
    let input: Envelope = codec::decode(&step.input)?;
    let mut backend = SeededBackend::new(SIGNERS_STREAM);
    let member = backend.generate_identity();
    let subject = backend.generate_identity();
    let (from, to) = (&member.external, &subject.external);
    let mut made = Vec::new();
    for (target, what, statements) in SERIALS {
        let mut at = (*first).clone();
        let mut steps = Vec::new();
        for (i, statement) in (0u64..).zip(statements.iter()) {
            let message = match *statement {
                Signed::Evidence(serial) => {
                    let bytes = Evidence::<R>::statement_bytes(from, to, serial);
                    let signature = backend.sign(&subject, &bytes);
                    R::submit(Evidence::new(from.clone(), to.clone(), serial, signature))
                }
                Signed::Revocation(serial) => {
                    let bytes = Revocation::<R>::statement_bytes(&from.id(), to, serial);
                    let signature = backend.sign(&subject, &bytes);
                    R::revoke(Revocation::new(from.id(), to.clone(), serial, signature))
                }
            };
            let envelope = Envelope {
                message,
                correlation: CorrelationId(input.correlation.0.wrapping_add(i)),
                ..input.clone()
            };
            let case = with_input(&at, &envelope, 0)?;
            at = Case {
                pre: case.post.clone().unwrap_or_default(),
                ..case.clone()
            };
            steps.push(case);
        }
        let flow = chain(&steps.iter().collect::<Vec<_>>());
        if let Some(mut flow) = flow.filter(|f| target.reached(f)) {
            flow.description = format!("{what} ({})", flow.description);
            made.push(flow);
        }
    }
    Ok(made)
}

/// One of the two made identities of a Naming flow.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// The first.
    A,
    /// The second.
    B,
}

/// A step of a made Naming flow.
#[derive(Debug, Clone, Copy)]
enum Said {
    /// Evidence that the name names the first identity, with this serial, signed by the second.
    Claim(&'static str, Who, Who, u64),
    /// A revocation of the name through this serial, signed by this identity.
    Revoke(&'static str, Who, u64),
    /// A question: what does the name resolve to?
    Resolve(&'static str),
}

/// Naming flows whose last step must reach the target: what they are, and the steps, each
/// statement signed by one of two made identities.
const NAMES: &[(Target, &str, &[Said])] = &[
    (
        Target::Error("NamingError", "NameTaken"),
        "a claim to a top-level name another identity holds",
        &[
            Said::Claim("made", Who::A, Who::A, 1),
            Said::Claim("made", Who::B, Who::B, 1),
        ],
    ),
    (
        Target::Error("NamingError", "NotVouched"),
        "a dotted name vouched for by another identity than its parent's holder",
        &[
            Said::Claim("made", Who::A, Who::A, 1),
            Said::Claim("made.sub", Who::B, Who::B, 1),
        ],
    ),
    (
        Target::Error("NamingError", "ParentUnresolved"),
        "a dotted name resolved after its parent was revoked",
        &[
            Said::Claim("made", Who::A, Who::A, 1),
            Said::Claim("made.sub", Who::B, Who::A, 1),
            Said::Revoke("made", Who::A, 1),
            Said::Resolve("made.sub"),
        ],
    ),
    (
        Target::Error("NamingError", "NotVouched"),
        "a dotted name resolved after its parent was transferred by the holder who vouched for it",
        &[
            Said::Claim("made", Who::A, Who::A, 1),
            Said::Claim("made.sub", Who::B, Who::A, 1),
            Said::Claim("made", Who::B, Who::A, 2),
            Said::Resolve("made.sub"),
        ],
    ),
    (
        Target::Error("NamingError", "Superseded"),
        "name evidence with serial 1 after the same name's serial 2",
        &[
            Said::Claim("made", Who::A, Who::A, 2),
            Said::Claim("made", Who::A, Who::A, 1),
        ],
    ),
    (
        Target::Error("NamingError", "Superseded"),
        "other name evidence with the serial of the evidence in force",
        &[
            Said::Claim("made", Who::A, Who::A, 1),
            Said::Claim("made", Who::B, Who::A, 1),
        ],
    ),
    (
        Target::Error("NamingError", "Revoked"),
        "name evidence with serial 1 after a revocation through serial 2",
        &[
            Said::Claim("made", Who::A, Who::A, 1),
            Said::Revoke("made", Who::A, 2),
            Said::Claim("made", Who::A, Who::A, 1),
        ],
    ),
];

impl Said {
    /// The request this step sends, signed with `ids` by `backend`.
    fn message(self, backend: &SeededBackend, ids: &[InternalIdentity; 2]) -> Result<Message> {
        let who = |w: Who| match w {
            Who::A => &ids[0],
            Who::B => &ids[1],
        };
        Ok(match self {
            Said::Claim(name, named, by, serial) => {
                let name = IdentityName::parse(name)?;
                let named = who(named).external.clone();
                let bytes = NameEvidence::statement_bytes(&name, &named, serial);
                let evidence = NameEvidence {
                    identity_name: name,
                    external_identity: named,
                    serial,
                    signature: backend.sign(who(by), &bytes),
                };
                RequestSubmitNameEvidence { evidence }.into()
            }
            Said::Revoke(name, by, serial) => {
                let name = IdentityName::parse(name)?;
                let bytes = NameRevocation::statement_bytes(&name, serial);
                let revocation = NameRevocation {
                    identity_name: name,
                    serial,
                    signature: backend.sign(who(by), &bytes),
                };
                RequestSubmitNameRevocation { revocation }.into()
            }
            Said::Resolve(name) => RequestResolveName {
                identity_name: IdentityName::parse(name)?,
            }
            .into(),
        })
    }
}

/// Each [`NAMES`] flow from the state of the Naming engine's first recorded
/// `submit-name-evidence` case, with that case's sender and target.
fn names(recorded: &[&Case]) -> Result<Vec<Case>> {
    let first = recorded
        .iter()
        .find(|c| c.engine == Naming::NAME && c.handler() == "submit-name-evidence");
    let Some((first, step)) = first.and_then(|c| Some((c, c.steps.first()?))) else {
        return Ok(Vec::new());
    };
    let input: Envelope = codec::decode(&step.input)?;
    let mut backend = SeededBackend::new(SIGNERS_STREAM);
    let ids = [backend.generate_identity(), backend.generate_identity()];
    let mut made = Vec::new();
    for (target, what, said) in NAMES {
        let mut at = (*first).clone();
        let mut steps = Vec::new();
        for (i, step) in (0u64..).zip(said.iter()) {
            let envelope = Envelope {
                message: step.message(&backend, &ids)?,
                correlation: CorrelationId(input.correlation.0.wrapping_add(i)),
                ..input.clone()
            };
            let case = with_input(&at, &envelope, 0)?;
            at = Case {
                pre: case.post.clone().unwrap_or_default(),
                ..case.clone()
            };
            steps.push(case);
        }
        // The target is reached by the last step, not on the way.
        let last = steps.last().is_some_and(|c| target.reached(c));
        let flow = chain(&steps.iter().collect::<Vec<_>>());
        if let (true, Some(mut flow)) = (last, flow) {
            flow.description = format!("{what} ({})", flow.description);
            made.push(flow);
        }
    }
    Ok(made)
}
