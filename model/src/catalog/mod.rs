//! The catalog: every scenario `check` runs, one table entry each, with its named bounds.

use crate::crypto::ModelBackend;
use engines::Engine;
use engines::encryption::Encryption;
use spec::message::{
    Plaintext, ReplyDecryption, ReplyGenerateKey, ReplyQueryReadsForEvidence,
    RequestConnectIdentity, RequestDecryption, RequestDeleteIdentity, RequestDeleteKey,
    RequestDeriveZoneIdentity, RequestEncrypt, RequestGenerateIdentity, RequestGenerateKey,
    RequestQueryReadsForEvidence, RequestReadsFor, RequestRotateIdentity, RequestRotateKey,
    RequestSubmitReadsForEvidence, RequestSubmitReadsForRevocation,
};
use spec::{
    CorrelationId, DecryptionError, Envelope, ExternalIdentity, ReadsForEvidence,
    ReadsForRevocation,
};

use crate::actors::RelationFault;
use crate::cast::Cast;
use crate::negative::NegativeNode;
use crate::properties::{self as p, check};
use crate::scenarios::{
    Ask, Bounds, CHAIN, CLIENTS, ClientSpec, EngineSpec, INSTANCES, Param, REQUESTS, RETRIES,
    ROTATIONS, Scenario, Setup,
};
use crate::vocab::{Directory, Intent, LegacyMsg, NetworkKind, To, address};

fn encrypt(target: &ExternalIdentity, reads_for: bool, data: &str) -> Intent {
    let req = RequestEncrypt {
        data: Plaintext(data.as_bytes().to_vec()),
        external_identity: target.clone(),
        use_reads_for: reads_for,
    };
    Intent::new(To::Encryption, req)
}

fn decrypt(c: &Cast) -> Intent {
    Intent::new(
        To::Vault,
        RequestDecryption {
            data: c.ct_t.clone(),
        },
    )
}

fn submit(ev: &ReadsForEvidence) -> Intent {
    Intent::new(
        To::ReadsFor,
        RequestSubmitReadsForEvidence {
            evidence: ev.clone(),
        },
    )
}

fn revoke(rv: &ReadsForRevocation) -> Intent {
    Intent::new(
        To::ReadsFor,
        RequestSubmitReadsForRevocation {
            revocation: rv.clone(),
        },
    )
}

/// Clients named `names` (then `client-N`), each asking `menu(i)`, at most `requests` each.
fn clients(b: &Bounds, names: &[&str], menu: impl Fn(usize) -> Vec<Intent>) -> Vec<ClientSpec> {
    (0..b.get(CLIENTS) as usize)
        .map(|i| {
            let name = names
                .get(i)
                .map_or_else(|| format!("client-{}", i + 1), |n| (*n).to_string());
            let mut c = ClientSpec::honest(name, menu(i));
            c.budget = b.get(REQUESTS).max(1);
            c
        })
        .collect()
}

const NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// `clients` (default `n`).
const fn clients_param(n: u32, max: u32) -> Param {
    Param::new(CLIENTS, n, 1, max, "clients issuing requests concurrently")
}

/// `requests` per client (default `n`).
const fn requests_param(n: u32, max: u32) -> Param {
    Param::new(
        REQUESTS,
        n,
        1,
        max,
        "requests each client issues, chosen from its menu in any order",
    )
}

const fn retries_param(n: u32) -> Param {
    Param::new(
        RETRIES,
        n,
        1,
        3,
        "times a client resends a request that got no reply",
    )
}

fn direct(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let menus = |i: usize| match i % 3 {
        0 => vec![encrypt(&c.t.external, false, &format!("a{i}")), decrypt(&c)],
        1 => vec![encrypt(&c.a.external, false, &format!("b{i}")), decrypt(&c)],
        _ => vec![encrypt(&c.t.external, false, &format!("c{i}"))],
    };
    let mut s = Setup::new(
        clients(b, NAMES, menus),
        vec![
            EngineSpec::Encryption {
                instances: 1,
                rotations: 0,
            },
            EngineSpec::Vault,
        ],
    );
    s.owners = vec![(0, c.t.clone()), (1, c.a.clone())];
    s
}

fn reads_for(b: &Bounds) -> Setup {
    let c = Cast::new(b.get(CHAIN).saturating_sub(2) as usize);
    let menus = |i: usize| match i {
        0 => vec![encrypt(&c.t.external, true, "a1")],
        1 => std::iter::once(&c.a_for_b)
            .chain(&c.chain_evidence)
            .map(submit)
            .collect(),
        2 => vec![
            revoke(&c.revoke_a_for_b),
            encrypt(&c.t.external, true, "c1"),
        ],
        _ => vec![encrypt(&c.t.external, true, &format!("d{i}"))],
    };
    let engines = vec![
        EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        },
        EngineSpec::ReadsFor(RelationFault::None),
    ];
    let mut s = Setup::new(clients(b, NAMES, menus), engines);
    s.evidence = vec![c.b_for_t.clone()];
    s.owners = vec![(0, c.t.clone()), (1, c.a.clone()), (2, c.b.clone())];
    s
}

/// Every client encrypts to t with reads-for, in front of `encryption`, with the ReadsFor engine's `fault`.
fn encrypting(b: &Bounds, encryption: EngineSpec, fault: RelationFault) -> Setup {
    let c = Cast::new(0);
    let menus = |i: usize| vec![encrypt(&c.t.external, true, &format!("m{i}"))];
    let mut s = Setup::new(
        clients(b, NAMES, menus),
        vec![encryption, EngineSpec::ReadsFor(fault)],
    );
    s.evidence = vec![c.b_for_t.clone()];
    s.owners = vec![(0, c.t.clone()), (1, c.b.clone())];
    s
}

fn reads_for_error(b: &Bounds) -> Setup {
    encrypting(
        b,
        EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        },
        RelationFault::FailFirstQuery,
    )
}

fn lost_reply(b: &Bounds) -> Setup {
    encrypting(
        b,
        EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        },
        RelationFault::LoseFirstReply,
    )
}

fn pool(b: &Bounds) -> Setup {
    let pool = EngineSpec::Encryption {
        instances: b.get(INSTANCES),
        rotations: b.get(ROTATIONS),
    };
    encrypting(b, pool, RelationFault::None)
}

fn v02_error(b: &Bounds) -> Setup {
    encrypting(b, EngineSpec::V02, RelationFault::FailFirstQuery)
}

fn v02_starvation(b: &Bounds) -> Setup {
    encrypting(b, EngineSpec::V02, RelationFault::LoseFirstReply)
}

/// The reads-for race cut small, for the lossy and duplicating networks: the chain a -> b -> t
/// is in force; one client encrypts to t while another revokes a -> b.
fn reads_for_small(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let menus = |i: usize| match i {
        1 => vec![revoke(&c.revoke_a_for_b)],
        _ => vec![encrypt(&c.t.external, true, &format!("m{i}"))],
    };
    let engines = vec![
        EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        },
        EngineSpec::ReadsFor(RelationFault::None),
    ];
    let mut s = Setup::new(clients(b, NAMES, menus), engines);
    s.evidence = vec![c.b_for_t.clone(), c.a_for_b.clone()];
    s.owners = vec![(0, c.t.clone()), (1, c.b.clone())];
    s
}

fn fixed(b: &Bounds, list: Vec<(&str, bool, Vec<Ask>)>) -> Vec<ClientSpec> {
    list.into_iter()
        .map(|(name, hostile, menu)| ClientSpec {
            name: name.to_string(),
            hostile,
            menu,
            budget: b.get(REQUESTS).max(1),
        })
        .collect()
}

fn now(intents: Vec<Intent>) -> Vec<Ask> {
    intents.into_iter().map(|i| Ask::Now(Box::new(i))).collect()
}

fn vault_authorisation(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let mallory = vec![
        decrypt(&c),
        Intent::new(
            To::Vault,
            RequestGenerateKey {
                owner: address(2),
                read_by: None,
                capabilities: Default::default(),
            },
        ),
        Intent::new(
            To::Vault,
            RequestRotateKey {
                external_identity: c.t.id(),
            },
        ),
        Intent::new(
            To::Vault,
            RequestDeleteKey {
                external_identity: c.a.id(),
            },
        ),
    ];
    let list = vec![
        ("alice", false, now(vec![decrypt(&c)])),
        ("bob", false, now(vec![decrypt(&c)])),
        ("mallory", true, now(mallory)),
    ];
    let mut s = Setup::new(fixed(b, list), vec![EngineSpec::Vault]);
    // Alice owns t; bob owns nothing but is an auditor the vault serves for every identity.
    s.owners = vec![(0, c.t.clone())];
    s.authorised = vec![1];
    s
}

/// What the ReadsFor engine would answer to client 0's first reads-for request to t —
/// with a genuine continuation, made by the Encryption engine's own code — but naming `x`.
fn replayed_answer(dir: &Directory, target: &ExternalIdentity, claim: &ReadsForEvidence) -> Intent {
    let at = |to| {
        dir.resolve(to)
            .map_or_else(|| address(usize::MAX >> 1), address)
    };
    let engine = Encryption::new(at(To::Encryption), at(To::ReadsFor));
    let mut backend = ModelBackend::new(dir.resolve(To::Encryption).unwrap_or(0) as u64);
    let mut state = Encryption::initial_state(&mut ModelBackend::new(u64::MAX));
    let request = Envelope {
        sender: address(0),
        target: at(To::Encryption),
        correlation: CorrelationId(1),
        message: encrypt(target, true, "a1").message,
    };
    let effects = engine.step(&mut state, &mut backend, &request);
    let continuation = effects.send.iter().find_map(|e| match &e.message {
        spec::Message::RequestQueryReadsForEvidence(q) => q.continuation.clone(),
        _ => None,
    });
    let reply = ReplyQueryReadsForEvidence {
        external_identity: target.id(),
        continuation,
        result: Ok(vec![claim.clone()]),
    };
    Intent::new(To::Encryption, reply)
}

fn forged_evidence(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let spoofed = ReplyQueryReadsForEvidence {
        external_identity: c.t.id(),
        continuation: None,
        result: Ok(vec![c.wrong_signer.clone()]),
    };
    let (target, claim) = (c.t.external.clone(), c.wrong_signer.clone());
    let replay = Ask::Later(Box::new(move |dir| replayed_answer(dir, &target, &claim)));
    let mallory = vec![
        Ask::Now(Box::new(submit(&c.forged))),
        Ask::Now(Box::new(submit(&c.wrong_signer))),
        Ask::Now(Box::new(Intent::new(To::Encryption, spoofed))),
        replay,
    ];
    let list = vec![
        (
            "alice",
            false,
            now(vec![encrypt(&c.t.external, true, "a1")]),
        ),
        ("mallory", true, mallory),
    ];
    let engines = vec![
        EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        },
        EngineSpec::ReadsFor(RelationFault::None),
    ];
    let mut s = Setup::new(fixed(b, list), engines);
    s.owners = vec![(0, c.t.clone()), (1, c.x.clone())];
    s
}

/// The identity engines (ReadsFor, vault, Identity Management) after `before`, t owned by client 0.
fn identity_setup(clients: Vec<ClientSpec>, before: Vec<EngineSpec>, c: &Cast) -> Setup {
    let mut engines = before;
    engines.extend([
        EngineSpec::ReadsFor(RelationFault::None),
        EngineSpec::Vault,
        EngineSpec::Identity,
    ]);
    let mut s = Setup::new(clients, engines);
    s.owners = vec![(0, c.t.clone())];
    s
}

fn identity_rotation(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let rotate = Intent::new(
        To::Identity,
        RequestRotateIdentity {
            external_identity: c.t.id(),
        },
    );
    let list = vec![
        ("alice", false, now(vec![rotate, decrypt(&c)])),
        ("bob", false, now(vec![encrypt(&c.t.external, true, "b1")])),
    ];
    identity_setup(
        fixed(b, list),
        vec![EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        }],
        &c,
    )
}

fn identity_lifecycle(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let alice = vec![
        Intent::new(To::Identity, RequestGenerateIdentity::default()),
        Intent::new(
            To::Identity,
            RequestDeriveZoneIdentity {
                master: c.t.id(),
                zone: "photos".into(),
                capabilities: Default::default(),
            },
        ),
        Intent::new(
            To::Identity,
            RequestConnectIdentity {
                external_identity: c.t.id(),
                capabilities: Default::default(),
            },
        ),
        Intent::new(
            To::Identity,
            RequestDeleteIdentity {
                external_identity: c.t.id(),
            },
        ),
    ];
    let bob = vec![Intent::new(
        To::Identity,
        RequestDeleteIdentity {
            external_identity: c.t.id(),
        },
    )];
    identity_setup(
        fixed(
            b,
            vec![("alice", false, now(alice)), ("bob", false, now(bob))],
        ),
        Vec::new(),
        &c,
    )
}

/// The identity Identity Management's vault generates first (deterministic randomness).
fn first_generated(dir: &Directory) -> spec::IdentityId {
    let vault = dir.resolve(To::Vault).unwrap_or(0);
    engines::Backend::generate_identity(&mut ModelBackend::new(vault as u64)).id()
}

fn identity_names(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let photos = || {
        Intent::new(
            To::Identity,
            RequestDeriveZoneIdentity {
                master: c.t.id(),
                zone: "photos".into(),
                capabilities: Default::default(),
            },
        )
    };
    let connect = Ask::Later(Box::new(|dir: &Directory| {
        Intent::new(
            To::Identity,
            RequestConnectIdentity {
                external_identity: first_generated(dir),
                capabilities: Default::default(),
            },
        )
    }));
    let alice = vec![
        Ask::Now(Box::new(Intent::new(
            To::Identity,
            RequestGenerateIdentity::default(),
        ))),
        connect,
        Ask::Now(Box::new(photos())),
        Ask::Now(Box::new(photos())),
    ];
    identity_setup(fixed(b, vec![("alice", false, alice)]), Vec::new(), &c)
}

/// Alice generates an identity that may only decrypt, then connects to it for signing, asks
/// the vault to commit as it, and connects to it for decrypting.
fn identity_capabilities(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let connect = |capabilities| {
        Ask::Later(Box::new(move |dir: &Directory| {
            let request = RequestConnectIdentity {
                external_identity: first_generated(dir),
                capabilities,
            };
            Intent::new(To::Identity, request)
        }))
    };
    let commit = Ask::Later(Box::new(|dir: &Directory| {
        let request = spec::message::RequestCommitment {
            data: spec::message::Signable(b"release".to_vec()),
            external_identity: first_generated(dir),
        };
        Intent::new(To::Vault, request)
    }));
    let generate = RequestGenerateIdentity {
        capabilities: spec::Capabilities::Decrypt,
    };
    let alice = vec![
        Ask::Now(Box::new(Intent::new(To::Identity, generate))),
        connect(spec::Capabilities::Commit),
        commit,
        connect(spec::Capabilities::Decrypt),
    ];
    identity_setup(fixed(b, vec![("alice", false, alice)]), Vec::new(), &c)
}

/// Alice derives the zone `photos` under t, up to `requests` times; the ReadsFor engine refuses
/// the first evidence submission, so the first derivation fails after reserving the name.
fn identity_zone_fault(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let photos = Intent::new(
        To::Identity,
        RequestDeriveZoneIdentity {
            master: c.t.id(),
            zone: "photos".into(),
            capabilities: Default::default(),
        },
    );
    // A menu entry is issued at most once: three copies of the same request.
    let menu = now(vec![photos.clone(), photos.clone(), photos]);
    let mut s = identity_setup(fixed(b, vec![("alice", false, menu)]), Vec::new(), &c);
    s.engines[0] = EngineSpec::ReadsFor(RelationFault::FailFirstSubmit);
    s
}

fn reads_for_queries(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let alice = vec![
        Intent::new(
            To::ReadsFor,
            RequestReadsFor {
                external_identity_a: c.a.id(),
                external_identity_b: c.t.id(),
            },
        ),
        Intent::new(
            To::ReadsFor,
            RequestQueryReadsForEvidence {
                external_identity: c.t.id(),
                continuation: None,
            },
        ),
    ];
    let list = vec![
        ("alice", false, now(alice)),
        ("bob", false, now(vec![submit(&c.a_for_b)])),
    ];
    let mut s = Setup::new(
        fixed(b, list),
        vec![EngineSpec::ReadsFor(RelationFault::None)],
    );
    s.evidence = vec![c.b_for_t.clone()];
    s.owners = vec![(0, c.t.clone()), (1, c.a.clone())];
    s
}

/// Serial 2, then (or before) serial 1, then serial 2 again: the older one must be refused
/// once the newer is in force, and the same one accepted again.
fn reads_for_serials(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let bob = vec![
        submit(&c.a_for_b_2),
        submit(&c.a_for_b),
        submit(&c.a_for_b_2),
    ];
    let mut s = Setup::new(
        fixed(b, vec![("bob", false, now(bob))]),
        vec![EngineSpec::ReadsFor(RelationFault::None)],
    );
    s.owners = vec![(0, c.a.clone())];
    s
}

/// The limit the `misdirected` scenario gives the Encryption engine.
const SMALL_LIMIT: usize = 8;

fn misdirected(b: &Bounds) -> Setup {
    let c = Cast::new(0);
    let menu = vec![
        Intent::new(
            To::Encryption,
            RequestDecryption {
                data: c.ct_t.clone(),
            },
        ),
        Intent::new(To::ReadsFor, encrypt(&c.t.external, false, "r").message),
        Intent::new(
            To::Vault,
            RequestSubmitReadsForEvidence {
                evidence: c.b_for_t.clone(),
            },
        ),
        Intent::new(To::Identity, encrypt(&c.t.external, false, "i").message),
        encrypt(&c.t.external, false, &"x".repeat(SMALL_LIMIT + 1)),
        encrypt(&c.t.external, true, &"y".repeat(SMALL_LIMIT)),
    ];
    // Replies nobody asked for: each engine must record them, never answer or act on them.
    let stray = || ReplyDecryption {
        result: Err(DecryptionError::NotHandled),
    };
    let mut menu = menu;
    menu.extend([
        Intent::new(To::Encryption, stray()),
        Intent::new(To::ReadsFor, stray()),
        Intent::new(To::Vault, stray()),
        Intent::new(
            To::Identity,
            ReplyGenerateKey {
                result: Err(DecryptionError::NotAuthorised),
            },
        ),
    ]);
    let mut s = identity_setup(
        fixed(b, vec![("alice", false, now(menu))]),
        vec![EngineSpec::Encryption {
            instances: 1,
            rotations: 0,
        }],
        &c,
    );
    s.max_plaintext = SMALL_LIMIT;
    s
}

fn seed_000(b: &Bounds) -> Setup {
    let users = (0..b.get(CLIENTS)).map(|u| {
        let owner = u8::try_from(u).unwrap_or(u8::MAX);
        let name: &'static str = ["user-a", "user-b", "user-c", "user-d"][(u as usize).min(3)];
        EngineSpec::Negative(
            name,
            Box::new(move |dir: &Directory| NegativeNode::SharedContextUser {
                owner,
                engine: dir.resolve(To::Named("crypto-engine")).unwrap_or(0),
            }),
        )
    });
    let mut engines: Vec<EngineSpec> = users.collect();
    engines.push(EngineSpec::Negative(
        "crypto-engine",
        Box::new(|_| NegativeNode::SharedContextEngine),
    ));
    Setup::new(Vec::new(), engines)
}

/// Seed 003: writer 1 removes e and rotates to a..d; writer 2 removes d and rotates to a, b, c, e.
fn seed_003(at_apply: bool) -> Setup {
    let writer = |removed: u8, recipients: Vec<u8>| {
        move |dir: &Directory| NegativeNode::GroupWriter {
            log: dir.resolve(To::Named("group-log")).unwrap_or(0),
            ops: vec![
                LegacyMsg::RemoveMember(removed),
                LegacyMsg::RotateKey {
                    recipients: recipients.clone(),
                },
            ],
        }
    };
    let engines = vec![
        EngineSpec::Negative("writer-1", Box::new(writer(4, vec![0, 1, 2, 3]))),
        EngineSpec::Negative("writer-2", Box::new(writer(3, vec![0, 1, 2, 4]))),
        EngineSpec::Negative(
            "group-log",
            Box::new(move |_| NegativeNode::GroupLog {
                members: vec![0, 1, 2, 3, 4],
                recipients_at_apply: at_apply,
            }),
        ),
    ];
    Setup::new(Vec::new(), engines)
}

fn entry(
    name: &'static str,
    summary: &'static str,
    network: NetworkKind,
    params: &'static [Param],
    setup: fn(&Bounds) -> Setup,
    checks: &'static [p::Check],
) -> Scenario {
    Scenario {
        name,
        summary,
        network,
        params,
        setup,
        checks,
        negative: false,
        not_applicable: &[],
        states: 0,
        bounds: Scenario::default_bounds(params),
    }
}

fn negative(mut s: Scenario) -> Scenario {
    s.negative = true;
    s
}

fn pinned(mut s: Scenario, states: usize) -> Scenario {
    s.states = states;
    s
}

/// `s` pinned to its unique-state count in `states` (0, not pinned, if it is not listed).
fn pin_from(s: Scenario, states: &[(&str, usize)]) -> Scenario {
    let count = states
        .iter()
        .find(|(n, _)| *n == s.name)
        .map_or(0, |(_, n)| *n);
    pinned(s, count)
}

fn not_applicable(mut s: Scenario, why: &'static [(&'static str, &'static str)]) -> Scenario {
    s.not_applicable = why;
    s
}

use NetworkKind::{Duplicating, Lossy, Ordered, Reliable};
use p::{
    AcrossEpochs, AuthorisedDecrypts, CapabilityRefused, CrossInstance, DuplicateZoneRefused,
    ErrorPropagated, ErrorsPropagate, ForgedAnswerRejected, ForgeryRefused, GeneratedConnected,
    IdentityDeleted, MisdirectedAnswered, NoCrossTalk, NonManagerRefused, NonRecipientRefused,
    OldCiphertextOpens, OlderRefused, OversizeRefused, OwnContext, OwnerDecrypts,
    ReadsForConfirmed, RemovedMemberExcluded, Responsiveness, RevokedLeftOut, UnauthorisedRefused,
    Widened, ZoneDerived,
};

/// A slice built by constant functions, as a `'static` constant.
macro_rules! s {
    ($($item:expr),* $(,)?) => {
        const { &[$($item),*] }
    };
}

const EXACTLY_ONCE: &str = "exactly-once replies";

mod naming;
mod signatures;

/// Every scenario, in the order `check` runs them.
pub fn catalog() -> Vec<Scenario> {
    [
        engines(),
        identities(),
        engines_more(),
        signatures::scenarios(),
        naming::scenarios(),
        networks(),
        designs(),
    ]
    .concat()
}

/// The scenarios of the engines on a reliable network.
fn engines() -> Vec<Scenario> {
    vec![
        pinned(
            entry(
                "direct",
                "direct encryption and decryption by several clients, one of them asking for a ciphertext it cannot open",
                Reliable,
                s![clients_param(3, 6), requests_param(2, 2)],
                direct,
                s![check::<OwnerDecrypts>(), check::<NonRecipientRefused>()],
            ),
            2500,
        ),
        pinned(
            entry(
                "reads-for",
                "reads-for encryption while evidence is submitted, revoked and queried concurrently",
                Reliable,
                s![
                    Param::new(
                        CLIENTS,
                        3,
                        3,
                        8,
                        "clients: the first encrypts, the second submits the chain, the third revokes and encrypts, the rest encrypt"
                    ),
                    requests_param(2, 3),
                    Param::new(
                        CHAIN,
                        2,
                        2,
                        6,
                        "length of the reads-for chain into the target; the links beyond b -> t are submitted by one client"
                    )
                ],
                reads_for,
                s![check::<Widened>(), check::<RevokedLeftOut>()],
            ),
            3000,
        ),
        pinned(
            entry(
                "reads-for-error",
                "the ReadsFor engine fails a query; the error must reach the requester, never a ciphertext",
                Reliable,
                s![clients_param(2, 6)],
                reads_for_error,
                s![check::<ErrorPropagated>()],
            ),
            45,
        ),
        pinned(
            entry(
                "pool-rotation",
                "a pool of stateless Encryption instances behind one address, with a cookie-key rotation in flight",
                Reliable,
                s![
                    clients_param(2, 6),
                    Param::new(INSTANCES, 2, 1, 4, "Encryption instances in the pool"),
                    Param::new(
                        ROTATIONS,
                        1,
                        0,
                        3,
                        "cookie-key rotations of the first instance"
                    )
                ],
                pool,
                s![
                    check::<CrossInstance>(),
                    check::<Widened>(),
                    check::<AcrossEpochs>()
                ],
            ),
            2363,
        ),
        pinned(
            entry(
                "vault-authorisation",
                "the vault serves owners and the auditors it is configured with: an auditor and an adversary ask it to decrypt, and the adversary to generate, rotate and delete keys",
                Reliable,
                s![requests_param(2, 4)],
                vault_authorisation,
                s![
                    check::<OwnerDecrypts>(),
                    check::<UnauthorisedRefused>(),
                    check::<AuthorisedDecrypts>(),
                    check::<NonManagerRefused>()
                ],
            ),
            1936,
        ),
    ]
}

/// The engines under attack.
fn identities() -> Vec<Scenario> {
    vec![pinned(
        entry(
            "forged-evidence",
            "an adversary submits forged and wrongly signed evidence, spoofs a ReadsFor reply, and replays a genuine continuation with its own answer while a client encrypts",
            Reliable,
            s![requests_param(2, 4)],
            forged_evidence,
            s![check::<ForgeryRefused>(), check::<ForgedAnswerRejected>()],
        ),
        510,
    )]
}

/// More scenarios of the engines on a reliable network.
fn engines_more() -> Vec<Scenario> {
    vec![
        pinned(
            entry(
                "identity-rotation",
                "an owner rotates its identity while another client encrypts to it with reads-for; old ciphertexts still open",
                Reliable,
                s![requests_param(2, 2)],
                identity_rotation,
                s![check::<OldCiphertextOpens>(), check::<Widened>()],
            ),
            453,
        ),
        pinned(
            entry(
                "identity-lifecycle",
                "an owner generates an identity, derives a zone, connects and deletes, while a non-owner tries to delete",
                Reliable,
                s![requests_param(2, 4)],
                identity_lifecycle,
                s![check::<ZoneDerived>(), check::<IdentityDeleted>()],
            ),
            2592,
        ),
        pinned(
            entry(
                "identity-zone-fault",
                "the ReadsFor engine refuses the first zone evidence; the failed derivation frees its name, which a later derivation takes once",
                Reliable,
                s![requests_param(3, 4)],
                identity_zone_fault,
                s![check::<ZoneDerived>(), check::<DuplicateZoneRefused>()],
            ),
            2662,
        ),
        pinned(
            entry(
                "identity-names",
                "an owner generates an identity and connects to it, and derives the same zone name twice",
                Reliable,
                s![requests_param(2, 4)],
                identity_names,
                s![
                    check::<GeneratedConnected>(),
                    check::<DuplicateZoneRefused>(),
                    check::<ZoneDerived>()
                ],
            ),
            655,
        ),
        pinned(
            entry(
                "identity-capabilities",
                "an owner generates an identity that may only decrypt, then asks to connect to it for signing, to commit as it, and to connect to it for decrypting",
                Reliable,
                s![requests_param(4, 4)],
                identity_capabilities,
                s![check::<CapabilityRefused>(), check::<GeneratedConnected>()],
            ),
            10183,
        ),
        pinned(
            entry(
                "reads-for-queries",
                "clients ask the ReadsFor engine \"does a read for t?\" and \"who reads for t?\" while evidence arrives",
                Reliable,
                s![requests_param(2, 2)],
                reads_for_queries,
                s![check::<ReadsForConfirmed>()],
            ),
            172,
        ),
        pinned(
            entry(
                "reads-for-serials",
                "a client submits evidence with serial 2, serial 1 and serial 2 again, in any order",
                Reliable,
                s![requests_param(3, 3)],
                reads_for_serials,
                s![check::<OlderRefused>()],
            ),
            338,
        ),
        pinned(
            entry(
                "misdirected",
                "requests sent to engines that do not handle them, replies no engine asked for, and plaintexts at and over the Encryption engine's limit",
                Reliable,
                s![requests_param(2, 6)],
                misdirected,
                s![check::<MisdirectedAnswered>(), check::<OversizeRefused>()],
            ),
            727,
        ),
    ]
}

/// The engines on networks that lose, repeat or delay messages.
fn networks() -> Vec<Scenario> {
    vec![
        pinned(
            not_applicable(
                entry(
                    "reads-for-lost-reply",
                    "the first ReadsFor reply is lost; a client's retry starts a fresh query and nothing starves",
                    Reliable,
                    s![clients_param(2, 6), retries_param(1)],
                    lost_reply,
                    s![check::<Widened>()],
                ),
                &[(
                    EXACTLY_ONCE,
                    "a retry that crosses a slow reply is answered too; the client keeps the first reply for its correlation id",
                )],
            ),
            873,
        ),
        pinned(
            not_applicable(
                entry(
                    "reads-for-lossy",
                    "reads-for encryption racing a revocation on a network that may lose any message; clients retry",
                    Lossy,
                    s![clients_param(2, 4), retries_param(1)],
                    reads_for_small,
                    s![check::<Widened>(), check::<RevokedLeftOut>()],
                ),
                &[(
                    EXACTLY_ONCE,
                    "every copy of a request or reply may be lost, so a client can end with no reply (it gives up after its retries); a retry can also be answered twice",
                )],
            ),
            4095,
        ),
        pinned(
            not_applicable(
                entry(
                    "reads-for-duplicating",
                    "reads-for encryption racing a revocation on a network that delivers requests and evidence replies twice",
                    Duplicating,
                    s![clients_param(2, 4)],
                    reads_for_small,
                    s![check::<Widened>(), check::<RevokedLeftOut>()],
                ),
                &[(
                    EXACTLY_ONCE,
                    "a duplicated request is answered twice; clients deduplicate by correlation id, and submissions are idempotent",
                )],
            ),
            886,
        ),
    ]
}

/// The designs the seeds warn against (and the fix of one).
fn designs() -> Vec<Scenario> {
    let mut designs = vec![
        pinned(
            negative(entry(
                "seed-003-rotation-at-apply",
                "seed 003 fixed: key recipients are computed when the rotation is applied, so no removed member gets the key",
                Ordered,
                &[],
                |_| seed_003(true),
                s![check::<RemovedMemberExcluded>()],
            )),
            11,
        ),
        pinned(
            negative(entry(
                "seed-000-shared-context",
                "NEGATIVE: seed 000's crypto engine with one shared context and a shared task queue",
                Ordered,
                s![Param::new(CLIENTS, 2, 2, 4, "users sharing the engine")],
                seed_000,
                s![check::<NoCrossTalk>().must_fail(), check::<OwnContext>()],
            )),
            0,
        ),
        pinned(
            negative(entry(
                "seed-003-precomputed-rotation",
                "NEGATIVE: seed 003's key rotation with recipients computed before a concurrent removal is ordered",
                Ordered,
                &[],
                |_| seed_003(false),
                s![check::<RemovedMemberExcluded>().must_fail()],
            )),
            0,
        ),
        pinned(
            negative(entry(
                "nspec-v02-ignored-error",
                "NEGATIVE: the Anoma v0.2 pending-request Encryption engine ignores a ReadsFor error (gap 1)",
                Reliable,
                s![clients_param(2, 6)],
                v02_error,
                s![check::<ErrorsPropagate>().must_fail()],
            )),
            0,
        ),
        pinned(
            negative(entry(
                "nspec-v02-starvation",
                "NEGATIVE: the Anoma v0.2 engine starves every later request for an identity after one lost reply (gap 2)",
                Reliable,
                s![clients_param(2, 6), retries_param(1)],
                v02_starvation,
                s![check::<Responsiveness>().must_fail()],
            )),
            0,
        ),
    ];
    designs.extend(signatures::negatives());
    designs.extend(naming::negatives());
    designs
}

/// `check --deep`: scenarios at bounds beyond the default run, exhaustively.
pub const DEEP: &[(&str, &[(&str, u32)])] = &[
    ("reads-for", &[(CLIENTS, 4), (CHAIN, 3)]),
    (
        "pool-rotation",
        &[(CLIENTS, 3), (INSTANCES, 3), (ROTATIONS, 1)],
    ),
    ("reads-for-lost-reply", &[(CLIENTS, 3)]),
    ("reads-for-lossy", &[(CLIENTS, 3)]),
    ("reads-for-duplicating", &[(CLIENTS, 3)]),
];

/// The scenario named `name` at its default bounds.
pub fn find(name: &str) -> Option<Scenario> {
    catalog().into_iter().find(|s| s.name == name)
}

/// The `--deep` scenarios at their deep bounds.
pub fn deep() -> Vec<Scenario> {
    DEEP.iter()
        .filter_map(|(name, bounds)| {
            let mut s = find(name)?;
            for (k, v) in *bounds {
                s.set(k, *v).ok()?;
            }
            Some(s)
        })
        .collect()
}
