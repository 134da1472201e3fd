//! Property tests: every wire type round-trips through the canonical codec,
//! the reads-for relation is a reflexive-transitive closure that only follows
//! edges into a subject, and bad bytes are refused with an error, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fmt::Debug;

use ciborium::Value;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;
use sealwright_spec::codec::{self, DecodeError};
use sealwright_spec::error::{CiphertextFault, MalformedStatement};
use sealwright_spec::message::*;
use sealwright_spec::relation::{Reads, ReadsForGraph, Relation, Signs};
use sealwright_spec::{
    Address, Capabilities, CommitmentError, CorrelationId, DecryptionError, EncryptionError,
    Envelope, Evidence, ExternalIdentity, IdentityError, IdentityId, ReadsForEvidence,
    ReadsForRevocation, RelationError, Revocation, VerificationError,
};
use sealwright_spec::{IdentityName, NameEvidence, NameRevocation, NamingError};
use serde::Serialize;
use serde::de::DeserializeOwned;

// ---------------------------------------------------------------------------
// Strategies

fn arb_external_identity() -> impl Strategy<Value = ExternalIdentity> {
    (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(verifying_key, encryption_key)| {
        ExternalIdentity {
            verifying_key,
            encryption_key,
        }
    })
}

fn arb_identity_id() -> impl Strategy<Value = IdentityId> {
    any::<[u8; 20]>().prop_map(IdentityId)
}

fn arb_capabilities() -> impl Strategy<Value = Capabilities> {
    prop::sample::select(Capabilities::ALL.to_vec())
}

/// Serials and correlation ids: biased towards the integer-head width boundaries.
fn arb_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0u64..30,
        prop::sample::select(vec![
            255u64,
            256,
            65_535,
            65_536,
            u64::from(u32::MAX),
            1 << 32,
            u64::MAX
        ]),
    ]
}

fn arb_evidence() -> impl Strategy<Value = ReadsForEvidence> {
    arb_evidence_of()
}

fn arb_evidence_of<R: Relation>() -> impl Strategy<Value = Evidence<R>> {
    (
        arb_external_identity(),
        arb_external_identity(),
        arb_u64(),
        any::<[u8; 64]>(),
    )
        .prop_map(|(from_identity, to_identity, serial, signature)| Evidence {
            from_identity,
            to_identity,
            serial,
            signature,
            relation: Default::default(),
        })
}

fn arb_revocation() -> impl Strategy<Value = ReadsForRevocation> {
    arb_revocation_of()
}

fn arb_revocation_of<R: Relation>() -> impl Strategy<Value = Revocation<R>> {
    (
        arb_identity_id(),
        arb_external_identity(),
        arb_u64(),
        any::<[u8; 64]>(),
    )
        .prop_map(
            |(from_identity, to_identity, serial, signature)| Revocation {
                from_identity,
                to_identity,
                serial,
                signature,
                relation: Default::default(),
            },
        )
}

fn arb_address() -> impl Strategy<Value = Address> {
    prop_oneof![
        "[A-Za-z0-9._/-]{1,24}",
        "[a-z]{128}",
        Just("node-a/encryption".to_owned()),
    ]
    .prop_map(|s| Address::new(s).unwrap())
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 0..40), vec(any::<u8>(), 250..300)]
}

fn arb_plaintext() -> impl Strategy<Value = Plaintext> {
    arb_bytes().prop_map(Plaintext)
}

fn arb_ciphertext() -> impl Strategy<Value = Ciphertext> {
    arb_bytes().prop_map(Ciphertext)
}

fn arb_continuation() -> impl Strategy<Value = Option<Continuation>> {
    proptest::option::of(vec(any::<u8>(), 0..40).prop_map(Continuation))
}

fn arb_malformed_statement() -> impl Strategy<Value = MalformedStatement> {
    prop_oneof![
        Just(MalformedStatement::SelfReference),
        Just(MalformedStatement::BadVerifyingKey)
    ]
}

fn arb_ciphertext_fault() -> impl Strategy<Value = CiphertextFault> {
    prop::sample::select(vec![
        CiphertextFault::BadMagic,
        CiphertextFault::UnsupportedVersion,
        CiphertextFault::UnsupportedSuite,
        CiphertextFault::RecipientCount,
        CiphertextFault::ChunkSize,
        CiphertextFault::HeaderTruncated,
        CiphertextFault::RecipientOrder,
    ])
}

fn arb_reads_for_error() -> impl Strategy<Value = RelationError> {
    prop_oneof![
        Just(RelationError::SignatureInvalid),
        arb_malformed_statement().prop_map(RelationError::Malformed),
        arb_u64().prop_map(|revoked_through| RelationError::Revoked { revoked_through }),
        arb_u64().prop_map(|current| RelationError::Superseded { current }),
        Just(RelationError::Unavailable),
        Just(RelationError::NotHandled),
        Just(RelationError::EngineFailed),
    ]
}

fn arb_decryption_error() -> impl Strategy<Value = DecryptionError> {
    prop_oneof![
        Just(DecryptionError::NotAuthorised),
        Just(DecryptionError::NoMatchingKey),
        arb_ciphertext_fault().prop_map(DecryptionError::Malformed),
        Just(DecryptionError::AuthenticationFailed),
        Just(DecryptionError::Truncated),
        Just(DecryptionError::UnknownIdentity),
        Just(DecryptionError::NotHandled),
        Just(DecryptionError::EngineFailed),
    ]
}

fn arb_encryption_error() -> impl Strategy<Value = EncryptionError> {
    prop_oneof![
        arb_reads_for_error().prop_map(EncryptionError::ReadsFor),
        Just(EncryptionError::TooManyRecipients),
        Just(EncryptionError::InvalidRecipient),
        Just(EncryptionError::PlaintextTooLarge),
        Just(EncryptionError::NotHandled),
        Just(EncryptionError::EngineFailed),
    ]
}

fn arb_identity_error() -> impl Strategy<Value = IdentityError> {
    prop_oneof![
        Just(IdentityError::NotOwner),
        Just(IdentityError::UnknownIdentity),
        Just(IdentityError::InvalidZone),
        arb_decryption_error().prop_map(IdentityError::Vault),
        arb_reads_for_error().prop_map(IdentityError::ReadsFor),
        (arb_capabilities(), arb_capabilities()).prop_map(|(requested, granted)| {
            IdentityError::MissingCapability { requested, granted }
        }),
        Just(IdentityError::NotHandled),
        Just(IdentityError::EngineFailed),
    ]
}

fn arb_result<T: Debug, E: Debug>(
    ok: impl Strategy<Value = T>,
    err: impl Strategy<Value = E>,
) -> impl Strategy<Value = Result<T, E>> {
    prop_oneof![ok.prop_map(Ok), err.prop_map(Err)]
}

fn arb_generated_key() -> impl Strategy<Value = GeneratedKey> {
    (
        arb_external_identity(),
        proptest::option::of(arb_evidence()),
    )
        .prop_map(|(identity, evidence)| GeneratedKey { identity, evidence })
}

type Arm = (&'static str, BoxedStrategy<Message>);

fn arm<M: Into<Message> + Debug + 'static>(
    name: &'static str,
    s: impl Strategy<Value = M> + 'static,
) -> Arm {
    (name, s.prop_map(Into::into).boxed())
}

/// The relation engine's eight constructors for relation `R`, named in `MESSAGE_NAMES` order.
fn relation_arms<R: RelationMessages>(names: [&'static str; 8]) -> Vec<Arm> {
    let decided = (
        arb_identity_id(),
        arb_identity_id(),
        arb_result(any::<bool>(), arb_reads_for_error()),
    )
        .prop_map(|(a, b, result)| R::decided(a, b, result));
    let answered = (
        arb_identity_id(),
        arb_continuation(),
        arb_result(vec(arb_evidence_of::<R>(), 0..3), arb_reads_for_error()),
    )
        .prop_map(|(x, continuation, result)| R::answered(x, continuation, result));
    let strategies: [BoxedStrategy<Message>; 8] = [
        (arb_identity_id(), arb_identity_id())
            .prop_map(|(a, b)| R::decide(a, b))
            .boxed(),
        decided.boxed(),
        arb_evidence_of::<R>().prop_map(R::submit).boxed(),
        arb_result(Just(()), arb_reads_for_error())
            .prop_map(R::submitted)
            .boxed(),
        arb_revocation_of::<R>().prop_map(R::revoke).boxed(),
        arb_result(Just(()), arb_reads_for_error())
            .prop_map(R::revoked)
            .boxed(),
        (arb_identity_id(), arb_continuation())
            .prop_map(|(x, c)| R::query(x, c))
            .boxed(),
        answered.boxed(),
    ];
    names.into_iter().zip(strategies).collect()
}

fn arb_commitment() -> impl Strategy<Value = Commitment> {
    (any::<[u8; 32]>(), any::<[u8; 64]>()).prop_map(|(verifying_key, signature)| Commitment {
        verifying_key,
        signature,
    })
}

fn arb_commitment_error() -> impl Strategy<Value = CommitmentError> {
    prop::sample::select(vec![
        CommitmentError::NotAuthorised,
        CommitmentError::UnknownIdentity,
        CommitmentError::NoCommitCapability,
        CommitmentError::NotHandled,
        CommitmentError::EngineFailed,
    ])
}

fn arb_verification_error() -> impl Strategy<Value = VerificationError> {
    prop_oneof![
        arb_reads_for_error().prop_map(VerificationError::SignsFor),
        Just(VerificationError::DataTooLarge),
        Just(VerificationError::NotHandled),
        Just(VerificationError::EngineFailed),
    ]
}

/// One name label: 1 to 63 bytes of `a`-`z`, `0`-`9` and inner hyphens.
const LABEL: &str = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

/// Valid names: short and long labels, one to eight of them, and the longest name.
fn arb_identity_name() -> impl Strategy<Value = IdentityName> {
    let label = prop_oneof![
        "[a-z]{1,6}".boxed(),
        LABEL.boxed(),
        Just("a".repeat(63)).boxed(),
    ];
    prop_oneof![
        vec(label, 1..=8).prop_map(|labels| labels.join(".")),
        Just(vec!["z".repeat(63); 8].join(".")),
    ]
    .prop_map(|text| IdentityName::parse(&text).unwrap())
}

fn arb_name_evidence() -> impl Strategy<Value = NameEvidence> {
    (
        arb_identity_name(),
        arb_external_identity(),
        arb_u64(),
        any::<[u8; 64]>(),
    )
        .prop_map(
            |(identity_name, external_identity, serial, signature)| NameEvidence {
                identity_name,
                external_identity,
                serial,
                signature,
            },
        )
}

fn arb_name_revocation() -> impl Strategy<Value = NameRevocation> {
    (arb_identity_name(), arb_u64(), any::<[u8; 64]>()).prop_map(
        |(identity_name, serial, signature)| NameRevocation {
            identity_name,
            serial,
            signature,
        },
    )
}

fn arb_naming_error() -> impl Strategy<Value = NamingError> {
    prop_oneof![
        Just(NamingError::SignatureInvalid),
        arb_malformed_statement().prop_map(NamingError::Malformed),
        arb_identity_id().prop_map(|holder| NamingError::NameTaken { holder }),
        arb_identity_name().prop_map(|parent| NamingError::NotVouched { parent }),
        arb_identity_name().prop_map(|parent| NamingError::ParentUnresolved { parent }),
        arb_u64().prop_map(|revoked_through| NamingError::Revoked { revoked_through }),
        arb_u64().prop_map(|current| NamingError::Superseded { current }),
        Just(NamingError::Unresolved),
        Just(NamingError::NotHandled),
        Just(NamingError::EngineFailed),
    ]
}

/// The Naming engine's eight constructors, in `MESSAGE_NAMES` order.
fn naming_arms() -> Vec<Arm> {
    vec![
        arm(
            "RequestResolveName",
            arb_identity_name().prop_map(|identity_name| RequestResolveName { identity_name }),
        ),
        arm(
            "ReplyResolveName",
            (
                arb_identity_name(),
                arb_result(arb_external_identity(), arb_naming_error()),
            )
                .prop_map(|(identity_name, result)| ReplyResolveName {
                    identity_name,
                    result,
                }),
        ),
        arm(
            "RequestSubmitNameEvidence",
            arb_name_evidence().prop_map(|evidence| RequestSubmitNameEvidence { evidence }),
        ),
        arm(
            "ReplySubmitNameEvidence",
            arb_result(Just(()), arb_naming_error())
                .prop_map(|result| ReplySubmitNameEvidence { result }),
        ),
        arm(
            "RequestSubmitNameRevocation",
            arb_name_revocation().prop_map(|revocation| RequestSubmitNameRevocation { revocation }),
        ),
        arm(
            "ReplySubmitNameRevocation",
            arb_result(Just(()), arb_naming_error())
                .prop_map(|result| ReplySubmitNameRevocation { result }),
        ),
        arm(
            "RequestQueryNameEvidence",
            arb_identity_id()
                .prop_map(|external_identity| RequestQueryNameEvidence { external_identity }),
        ),
        arm(
            "ReplyQueryNameEvidence",
            (
                arb_identity_id(),
                arb_result(vec(arb_name_evidence(), 0..3), arb_naming_error()),
            )
                .prop_map(|(external_identity, result)| ReplyQueryNameEvidence {
                    external_identity,
                    result,
                }),
        ),
    ]
}

/// One strategy per message constructor, named. `message_arms_cover_every_constructor`
/// checks the names against `MESSAGE_NAMES`, and the round-trip property checks that
/// each arm produces the constructor it is named for.
fn message_arms() -> Vec<Arm> {
    let mut arms = vec![
        arm(
            "RequestEncrypt",
            (arb_plaintext(), arb_external_identity(), any::<bool>()).prop_map(
                |(data, external_identity, use_reads_for)| RequestEncrypt {
                    data,
                    external_identity,
                    use_reads_for,
                },
            ),
        ),
        arm(
            "ReplyEncrypt",
            arb_result(arb_ciphertext(), arb_encryption_error())
                .prop_map(|result| ReplyEncrypt { result }),
        ),
    ];
    arms.extend(relation_arms::<Reads>([
        "RequestReadsFor",
        "ReplyReadsFor",
        "RequestSubmitReadsForEvidence",
        "ReplySubmitReadsForEvidence",
        "RequestSubmitReadsForRevocation",
        "ReplySubmitReadsForRevocation",
        "RequestQueryReadsForEvidence",
        "ReplyQueryReadsForEvidence",
    ]));
    arms.push(arm(
        "RequestVerification",
        (
            arb_bytes(),
            arb_commitment(),
            arb_external_identity(),
            any::<bool>(),
        )
            .prop_map(|(data, commitment, external_identity, use_signs_for)| {
                RequestVerification {
                    data: Signable(data),
                    commitment,
                    external_identity,
                    use_signs_for,
                }
            }),
    ));
    arms.push(arm(
        "ReplyVerification",
        arb_result(any::<bool>(), arb_verification_error())
            .prop_map(|result| ReplyVerification { result }),
    ));
    arms.extend(relation_arms::<Signs>([
        "RequestSignsFor",
        "ReplySignsFor",
        "RequestSubmitSignsForEvidence",
        "ReplySubmitSignsForEvidence",
        "RequestSubmitSignsForRevocation",
        "ReplySubmitSignsForRevocation",
        "RequestQuerySignsForEvidence",
        "ReplyQuerySignsForEvidence",
    ]));
    arms.push(arm(
        "RequestCommitment",
        (arb_bytes(), arb_identity_id()).prop_map(|(data, external_identity)| RequestCommitment {
            data: Signable(data),
            external_identity,
        }),
    ));
    arms.push(arm(
        "ReplyCommitment",
        arb_result(arb_commitment(), arb_commitment_error())
            .prop_map(|result| ReplyCommitment { result }),
    ));
    arms.extend(naming_arms());
    arms.extend(vec![
        arm(
            "RequestDecryption",
            arb_ciphertext().prop_map(|data| RequestDecryption { data }),
        ),
        arm(
            "ReplyDecryption",
            arb_result(arb_plaintext(), arb_decryption_error())
                .prop_map(|result| ReplyDecryption { result }),
        ),
        arm(
            "RequestGenerateIdentity",
            arb_capabilities().prop_map(|capabilities| RequestGenerateIdentity { capabilities }),
        ),
        arm(
            "ReplyGenerateIdentity",
            arb_result(arb_external_identity(), arb_identity_error())
                .prop_map(|result| ReplyGenerateIdentity { result }),
        ),
        arm(
            "RequestConnectIdentity",
            (arb_identity_id(), arb_capabilities()).prop_map(
                |(external_identity, capabilities)| RequestConnectIdentity {
                    external_identity,
                    capabilities,
                },
            ),
        ),
        arm(
            "ReplyConnectIdentity",
            arb_result(arb_address(), arb_identity_error())
                .prop_map(|result| ReplyConnectIdentity { result }),
        ),
        arm(
            "RequestDeleteIdentity",
            arb_identity_id()
                .prop_map(|external_identity| RequestDeleteIdentity { external_identity }),
        ),
        arm(
            "ReplyDeleteIdentity",
            arb_result(Just(()), arb_identity_error())
                .prop_map(|result| ReplyDeleteIdentity { result }),
        ),
        arm(
            "RequestDeriveZoneIdentity",
            (arb_identity_id(), ".{0,20}", arb_capabilities()).prop_map(
                |(master, zone, capabilities)| RequestDeriveZoneIdentity {
                    master,
                    zone,
                    capabilities,
                },
            ),
        ),
        arm(
            "ReplyDeriveZoneIdentity",
            arb_result(arb_external_identity(), arb_identity_error())
                .prop_map(|result| ReplyDeriveZoneIdentity { result }),
        ),
        arm(
            "RequestRotateIdentity",
            arb_identity_id()
                .prop_map(|external_identity| RequestRotateIdentity { external_identity }),
        ),
        arm(
            "ReplyRotateIdentity",
            arb_result(arb_external_identity(), arb_identity_error())
                .prop_map(|result| ReplyRotateIdentity { result }),
        ),
        arm(
            "RequestGenerateKey",
            (
                arb_address(),
                proptest::option::of(arb_external_identity()),
                arb_capabilities(),
            )
                .prop_map(|(owner, read_by, capabilities)| RequestGenerateKey {
                    owner,
                    read_by,
                    capabilities,
                }),
        ),
        arm(
            "ReplyGenerateKey",
            arb_result(arb_generated_key(), arb_decryption_error())
                .prop_map(|result| ReplyGenerateKey { result }),
        ),
        arm(
            "RequestRotateKey",
            arb_identity_id().prop_map(|external_identity| RequestRotateKey { external_identity }),
        ),
        arm(
            "ReplyRotateKey",
            arb_result(arb_generated_key(), arb_decryption_error())
                .prop_map(|result| ReplyRotateKey { result }),
        ),
        arm(
            "RequestDeleteKey",
            arb_identity_id().prop_map(|external_identity| RequestDeleteKey { external_identity }),
        ),
        arm(
            "ReplyDeleteKey",
            arb_result(Just(()), arb_decryption_error())
                .prop_map(|result| ReplyDeleteKey { result }),
        ),
    ]);
    arms
}

/// A message with the name of the arm that made it.
fn arb_named_message() -> impl Strategy<Value = (&'static str, Message)> {
    Union::new(
        message_arms()
            .into_iter()
            .map(|(name, s)| s.prop_map(move |m| (name, m)).boxed()),
    )
}

fn arb_message() -> impl Strategy<Value = Message> {
    arb_named_message().prop_map(|(_, m)| m)
}

fn arb_envelope() -> impl Strategy<Value = Envelope> {
    (arb_address(), arb_address(), arb_u64(), arb_message()).prop_map(
        |(sender, target, correlation, message)| Envelope {
            sender,
            target,
            correlation: CorrelationId(correlation),
            message,
        },
    )
}

// ---------------------------------------------------------------------------
// Round trips

/// Encodes, decodes and re-encodes `value`, checking both the value and the bytes survive.
fn assert_round_trip<T>(value: &T) -> Result<Vec<u8>, TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let bytes = codec::encode(value);
    let back: T = codec::decode(&bytes).map_err(|e| {
        TestCaseError::fail(format!(
            "{value:?} did not decode: {e}; bytes {}",
            hex::encode(&bytes)
        ))
    })?;
    prop_assert_eq!(&back, value);
    prop_assert_eq!(
        codec::encode(&back),
        bytes.clone(),
        "re-encoding changed the bytes"
    );
    Ok(bytes)
}

#[test]
fn message_arms_cover_every_constructor() {
    let names: Vec<&str> = message_arms().iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names, MESSAGE_NAMES,
        "one strategy per constructor, in MESSAGE_NAMES order"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn identities_and_ids_round_trip(ident in arb_external_identity(), id in arb_identity_id()) {
        assert_round_trip(&ident)?;
        assert_round_trip(&id)?;
        assert_round_trip(&ident.key_id())?;
        let back: ExternalIdentity = codec::decode(&codec::encode(&ident)).unwrap();
        prop_assert_eq!(back.id(), ident.id());
    }

    #[test]
    fn evidence_and_revocations_round_trip(ev in arb_evidence(), rv in arb_revocation()) {
        assert_round_trip(&ev)?;
        assert_round_trip(&rv)?;
        // What is signed is fixed by the value, whatever bytes carried it.
        let back: ReadsForEvidence = codec::decode(&codec::encode(&ev)).unwrap();
        prop_assert_eq!(back.signed_bytes(), ev.signed_bytes());
    }

    #[test]
    fn names_and_name_statements_round_trip(
        name in arb_identity_name(),
        ev in arb_name_evidence(),
        rv in arb_name_revocation(),
    ) {
        assert_round_trip(&name)?;
        assert_round_trip(&ev)?;
        assert_round_trip(&rv)?;
        // What is signed is fixed by the value, whatever bytes carried it.
        let back: NameEvidence = codec::decode(&codec::encode(&ev)).unwrap();
        prop_assert_eq!(back.signed_bytes(), ev.signed_bytes());
        let back: NameRevocation = codec::decode(&codec::encode(&rv)).unwrap();
        prop_assert_eq!(back.signed_bytes(), rv.signed_bytes());
        // A name's parent and its labels are names too.
        if let Some(parent) = name.parent() {
            let prefix = format!("{parent}.");
            prop_assert!(name.as_str().starts_with(&prefix));
            assert_round_trip(&parent)?;
        }
    }

    /// Any text decodes as a name exactly when it parses as one; the rest is a schema error.
    #[test]
    fn text_decodes_as_a_name_only_when_it_is_one(
        text in prop_oneof![
            ".{0,80}".boxed(),
            "[a-z0-9.-]{0,80}".boxed(),
            "[a-zA-Z0-9._ -]{0,600}".boxed(),
        ],
    ) {
        let bytes = codec::encode(&text);
        match (IdentityName::parse(&text), codec::decode::<IdentityName>(&bytes)) {
            (Ok(parsed), Ok(decoded)) => {
                prop_assert_eq!(&parsed, &decoded);
                prop_assert_eq!(codec::encode(&decoded), bytes);
            }
            (Err(_), Err(e)) => prop_assert!(matches!(e, DecodeError::Schema(_)), "{:?}", e),
            (parsed, decoded) => prop_assert!(false, "{:?}: parse {:?}, decode {:?}", text, parsed, decoded),
        }
    }

    #[test]
    fn every_message_round_trips((name, message) in arb_named_message()) {
        prop_assert_eq!(message.name(), name);
        assert_round_trip(&message)?;
    }

    #[test]
    fn envelopes_round_trip(env in arb_envelope()) {
        let bytes = assert_round_trip(&env)?;
        prop_assert_eq!(env.to_cbor(), bytes.clone());
        prop_assert_eq!(Envelope::from_cbor(&bytes), Ok(env.clone()));
        prop_assert_eq!(Envelope::from_cbor(&env.to_cbor()).unwrap().to_cbor(), bytes);
    }

    #[test]
    fn replies_echo_correlation(env in arb_envelope(), reply in arb_message()) {
        let r = env.reply(reply.clone());
        prop_assert_eq!(&r.sender, &env.target);
        prop_assert_eq!(&r.target, &env.sender);
        prop_assert_eq!(r.correlation, env.correlation);
        prop_assert_eq!(Envelope::from_cbor(&r.to_cbor()), Ok(r));
    }
}

// ---------------------------------------------------------------------------
// The reads-for relation

/// Nodes of the random graphs.
const NODES: usize = 6;

fn node(n: usize) -> ExternalIdentity {
    let n = u8::try_from(n).unwrap();
    ExternalIdentity {
        verifying_key: [n; 32],
        encryption_key: [n ^ 0xff; 32],
    }
}

fn edge(from: usize, to: usize, serial: u64) -> ReadsForEvidence {
    ReadsForEvidence {
        from_identity: node(from),
        to_identity: node(to),
        serial,
        signature: [0; 64],
        relation: Default::default(),
    }
}

/// Random evidence over `NODES` identities, self-loops and duplicate pairs included.
fn arb_graph() -> impl Strategy<Value = Vec<ReadsForEvidence>> {
    vec((0..NODES, 0..NODES, 0u64..3), 0..14)
        .prop_map(|edges| edges.into_iter().map(|(f, t, s)| edge(f, t, s)).collect())
}

/// Reference closure: `reach[a][b]` iff a = b or a chain of edges leads from a to b.
fn reference_closure(evidence: &[ReadsForEvidence]) -> [[bool; NODES]; NODES] {
    let ids: Vec<IdentityId> = (0..NODES).map(|n| node(n).id()).collect();
    let index = |id: IdentityId| ids.iter().position(|&x| x == id).unwrap();
    let mut reach = [[false; NODES]; NODES];
    for (a, row) in reach.iter_mut().enumerate() {
        row[a] = true;
    }
    for ev in evidence {
        reach[index(ev.from_identity.id())][index(ev.to_identity.id())] = true;
    }
    // Floyd–Warshall transitive closure.
    for k in 0..NODES {
        for a in 0..NODES {
            for b in 0..NODES {
                if reach[a][k] && reach[k][b] {
                    reach[a][b] = true;
                }
            }
        }
    }
    reach
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn reads_for_is_the_reflexive_transitive_closure(evidence in arb_graph()) {
        let graph = ReadsForGraph::new(&evidence);
        let ids: Vec<IdentityId> = (0..NODES).map(|n| node(n).id()).collect();
        let reach = reference_closure(&evidence);
        for a in 0..NODES {
            prop_assert!(graph.holds(&ids[a], &ids[a]), "not reflexive at {}", a);
            for b in 0..NODES {
                prop_assert_eq!(graph.holds(&ids[a], &ids[b]), reach[a][b], "reads_for({}, {})", a, b);
                for c in 0..NODES {
                    if graph.holds(&ids[a], &ids[b]) && graph.holds(&ids[b], &ids[c]) {
                        prop_assert!(graph.holds(&ids[a], &ids[c]), "not transitive: {} {} {}", a, b, c);
                    }
                }
            }
        }
        // An identity the graph has never seen still reads for itself, and only for itself.
        let stranger = node(NODES).id();
        prop_assert!(graph.holds(&stranger, &stranger));
        prop_assert_eq!(graph.members_of(&stranger), BTreeSet::from([stranger]));
        prop_assert!(graph.chains_into(&stranger).is_empty());
        for id in &ids {
            prop_assert!(!graph.holds(&stranger, id));
            prop_assert!(!graph.holds(id, &stranger));
        }
    }

    #[test]
    fn readers_and_chains_stay_inside_the_closure(evidence in arb_graph(), subject in 0..NODES) {
        let graph = ReadsForGraph::new(&evidence);
        let x = node(subject).id();
        let readers = graph.members_of(&x);
        prop_assert!(readers.contains(&x));
        let expected: BTreeSet<IdentityId> = (0..NODES)
            .map(|n| node(n).id())
            .filter(|a| graph.holds(a, &x))
            .collect();
        prop_assert_eq!(&readers, &expected);

        let chains = graph.chains_into(&x);
        prop_assert!(chains.is_sorted(), "chains_into is not in canonical order");
        for ev in &chains {
            // Never an edge leaving the closure: its subject must itself read for x.
            prop_assert!(readers.contains(&ev.to_identity.id()), "edge leaves the closure: {:?}", ev);
            prop_assert!(readers.contains(&ev.from_identity.id()));
        }
        // And every edge into the closure is there: the proof set is complete.
        let mut into: Vec<&ReadsForEvidence> = evidence
            .iter()
            .filter(|ev| readers.contains(&ev.to_identity.id()))
            .collect();
        into.sort();
        prop_assert_eq!(chains, into);
    }
}

#[test]
fn edges_leaving_the_subject_are_not_followed() {
    // 1 reads for 0, 2 reads for 1; 0 reads for 3 and 4 reads for 3.
    let evidence = [edge(1, 0, 1), edge(2, 1, 1), edge(0, 3, 1), edge(4, 3, 1)];
    let graph = ReadsForGraph::new(&evidence);
    let id = |n| node(n).id();
    assert_eq!(
        graph.members_of(&id(0)),
        BTreeSet::from([id(0), id(1), id(2)])
    );
    let chains: Vec<_> = graph
        .chains_into(&id(0))
        .into_iter()
        .map(|e| e.edge())
        .collect();
    assert_eq!(chains.len(), 2);
    assert!(chains.contains(&(id(1), id(0))) && chains.contains(&(id(2), id(1))));
    // 0 reads for 3, but that gives 3 (or 4, who also reads for 3) nothing sealed to 0.
    assert!(graph.holds(&id(0), &id(3)));
    assert!(!graph.holds(&id(3), &id(0)));
    assert!(!graph.holds(&id(4), &id(0)));
    assert!(graph.holds(&id(2), &id(3)));
}

// ---------------------------------------------------------------------------
// Bad input

/// Writes a CBOR value in canonical form, except that head number `widen` (counting
/// from 0 in write order) uses the next wider argument encoding. Returns the offset
/// of that head, if it was reached and could be widened.
struct Writer {
    out: Vec<u8>,
    heads: usize,
    widen: Option<usize>,
    widened_at: Option<usize>,
}

impl Writer {
    fn head(&mut self, major: u8, arg: u64) {
        let wide = self.widen == Some(self.heads) && arg < 1 << 32;
        self.heads += 1;
        if wide {
            self.widened_at = Some(self.out.len());
        }
        let m = major << 5;
        let width = match arg {
            0..=23 if !wide => 0,
            0..=23 => 1,
            24..=0xff if !wide => 1,
            24..=0xff => 2,
            0x100..=0xffff if !wide => 2,
            0x100..=0xffff => 4,
            0x1_0000..=0xffff_ffff if !wide => 4,
            _ => 8,
        };
        match width {
            0 => self.out.push(m | u8::try_from(arg).unwrap()),
            1 => self.out.extend([m | 24, u8::try_from(arg).unwrap()]),
            2 => {
                self.out.push(m | 25);
                self.out.extend(u16::try_from(arg).unwrap().to_be_bytes());
            }
            4 => {
                self.out.push(m | 26);
                self.out.extend(u32::try_from(arg).unwrap().to_be_bytes());
            }
            _ => {
                self.out.push(m | 27);
                self.out.extend(arg.to_be_bytes());
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Integer(i) => {
                let n = i128::from(*i);
                if n >= 0 {
                    self.head(0, u64::try_from(n).unwrap());
                } else {
                    self.head(1, u64::try_from(-1 - n).unwrap());
                }
            }
            Value::Bytes(b) => {
                self.head(2, b.len() as u64);
                self.out.extend(b);
            }
            Value::Text(t) => {
                self.head(3, t.len() as u64);
                self.out.extend(t.as_bytes());
            }
            Value::Array(items) => {
                self.head(4, items.len() as u64);
                items.iter().for_each(|item| self.value(item));
            }
            Value::Map(entries) => {
                self.head(5, entries.len() as u64);
                for (k, v) in entries {
                    self.value(k);
                    self.value(v);
                }
            }
            Value::Bool(false) => self.out.push(0xf4),
            Value::Bool(true) => self.out.push(0xf5),
            Value::Null => self.out.push(0xf6),
            other => panic!("the wire format never holds {other:?}"),
        }
    }
}

/// Rewrites canonical bytes with head number `widen` (if any) in a non-shortest form.
fn rewrite(bytes: &[u8], widen: Option<usize>) -> (Vec<u8>, Option<usize>, usize) {
    let value: Value = ciborium::from_reader(bytes).unwrap();
    let mut w = Writer {
        out: Vec::new(),
        heads: 0,
        widen,
        widened_at: None,
    };
    w.value(&value);
    (w.out, w.widened_at, w.heads)
}

fn decode_error(bytes: &[u8]) -> Option<DecodeError> {
    Envelope::from_cbor(bytes).err()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_is_refused(bytes in vec(any::<u8>(), 0..200)) {
        prop_assert!(Envelope::from_cbor(&bytes).is_err());
    }

    #[test]
    fn corrupted_envelopes_never_panic_and_never_decode_differently(
        env in arb_envelope(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = env.to_cbor();
        for (at, x) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x.max(1);
        }
        // Mostly refused; whatever is accepted is canonical: it re-encodes to the same bytes.
        if let Ok(back) = Envelope::from_cbor(&bytes) {
            prop_assert_eq!(back.to_cbor(), bytes);
        }
    }

    #[test]
    fn unknown_message_names_are_schema_errors(
        env in arb_envelope(),
        name in "[A-Z][A-Za-z]{0,30}",
    ) {
        prop_assume!(!MESSAGE_NAMES.contains(&name.as_str()));
        let mut value: Value = ciborium::from_reader(env.to_cbor().as_slice()).unwrap();
        let Value::Map(fields) = &mut value else { panic!("envelope is not a map") };
        let Value::Map(message) = &mut fields[3].1 else { panic!("message is not a map") };
        message[0].0 = Value::Text(name);
        let bytes = ciborium_bytes(&value);
        prop_assert!(matches!(decode_error(&bytes), Some(DecodeError::Schema(_))), "{:?}", Envelope::from_cbor(&bytes));
    }
}

fn ciborium_bytes(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).unwrap();
    out
}

proptest! {
    // Each case decodes every prefix of an envelope; fewer cases keep this quick.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_truncation_is_refused(env in arb_envelope()) {
        let bytes = env.to_cbor();
        for cut in 0..bytes.len() {
            prop_assert!(Envelope::from_cbor(&bytes[..cut]).is_err(), "accepted a cut at {} of {}", cut, bytes.len());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert_eq!(decode_error(&longer), Some(DecodeError::TrailingBytes { count: 1 }));
    }

    #[test]
    fn non_shortest_heads_are_non_canonical(env in arb_envelope(), pick in any::<prop::sample::Index>()) {
        let bytes = env.to_cbor();
        // The independent writer reproduces the codec's bytes exactly...
        let (same, _, heads) = rewrite(&bytes, None);
        prop_assert_eq!(&same, &bytes);
        // ...and with any one head widened, the decoder points at that head.
        let (wide, at, _) = rewrite(&bytes, Some(pick.index(heads)));
        if let Some(at) = at {
            prop_assert_eq!(
                decode_error(&wide),
                Some(DecodeError::NonCanonical {
                    offset: at,
                    what: "integer or length not in its shortest form"
                })
            );
        }
    }
}

#[test]
fn non_shortest_correlation_and_map_heads_are_non_canonical() {
    let env = Envelope {
        sender: Address::new("a").unwrap(),
        target: Address::new("b").unwrap(),
        correlation: CorrelationId(5),
        message: RequestGenerateIdentity::default().into(),
    };
    let bytes = env.to_cbor();
    assert_eq!(bytes[0], 0xa4, "a map of four entries");
    // The outer map head written as 0xb8 0x04.
    let mut wide_map = vec![0xb8, 0x04];
    wide_map.extend(&bytes[1..]);
    assert!(matches!(
        decode_error(&wide_map),
        Some(DecodeError::NonCanonical { offset: 0, .. })
    ));
    // The correlation id 5 written as 0x18 0x05.
    let key = [&[0x6b][..], b"correlation"].concat();
    let at = bytes.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    assert_eq!(bytes[at], 0x05);
    let mut wide_corr = bytes[..at].to_vec();
    wide_corr.extend([0x18, 0x05]);
    wide_corr.extend(&bytes[at + 1..]);
    assert_eq!(
        decode_error(&wide_corr),
        Some(DecodeError::NonCanonical {
            offset: at,
            what: "integer or length not in its shortest form"
        })
    );
}

#[test]
fn unknown_message_name_is_a_schema_error() {
    let env = Envelope {
        sender: Address::new("a").unwrap(),
        target: Address::new("b").unwrap(),
        correlation: CorrelationId(5),
        message: RequestGenerateIdentity::default().into(),
    };
    let bytes = env.to_cbor();
    let from = b"RequestGenerateIdentity";
    let to = b"RequestGenerateIdentitx";
    let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
    let mut renamed = bytes.clone();
    renamed[at..at + to.len()].copy_from_slice(to);
    assert!(matches!(
        decode_error(&renamed),
        Some(DecodeError::Schema(_))
    ));
}
