//! Reads-for evidence and revocations: decoding, Ed25519 verification, and the
//! ReadsFor engine's store checked against a small reference model.
//!
//! Selector 0: the rest is an evidence; 1: a revocation (both decoded, verified
//! with the real backend and submitted to an empty store). Otherwise the rest
//! drives a sequence of statements properly signed by fixed identities, each
//! submitted to the real store and to the model, which must agree.
#![no_main]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use engines::identity::InternalIdentity;
use engines::reads_for::ReadsForState;
use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::{SeededRng, canonical, fixed_identity, hpke_backend, split_selector};
use spec::error::MalformedStatement;
use spec::{IdentityId, ReadsForEvidence, ReadsForRevocation, RelationError, codec};

fn identities() -> &'static [InternalIdentity] {
    static IDS: OnceLock<Vec<InternalIdentity>> = OnceLock::new();
    IDS.get_or_init(|| (1..=4).map(fixed_identity).collect())
}

fn backend() -> HpkeBackend<SeededRng> {
    hpke_backend(0)
}

thread_local! {
    /// Signatures are deterministic: sign each statement once, so runs spend their time verifying.
    static SIGNED: RefCell<HashMap<Vec<u8>, [u8; 64]>> = RefCell::new(HashMap::new());
}

fn sign(b: &HpkeBackend<SeededRng>, signer: &InternalIdentity, bytes: &[u8]) -> [u8; 64] {
    SIGNED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = [&signer.id().0[..], bytes].concat();
        *cache.entry(key).or_insert_with(|| b.sign(signer, bytes))
    })
}

fn decoded_evidence(body: &[u8]) {
    let Some(ev) = canonical::<ReadsForEvidence>(body) else {
        return;
    };
    let b = backend();
    let verified = b.verify(
        &ev.to_identity.verifying_key,
        &ev.signed_bytes(),
        &ev.signature,
    );
    let mut store = ReadsForState::default();
    let stored = store.submit(&b, &ev);
    let (from, to) = ev.edge();
    match (&stored, &verified) {
        _ if from == to => assert_eq!(
            stored,
            Err(RelationError::Malformed(MalformedStatement::SelfReference))
        ),
        (Ok(()), Ok(())) => {
            assert!(store.graph().holds(&from, &to));
            // Idempotent: the same evidence again is accepted again.
            assert_eq!(store.submit(&b, &ev), Ok(()));
        }
        (Err(e), Err(v)) => assert_eq!(e, v),
        _ => panic!("store said {stored:?} but the signature check said {verified:?}"),
    }
}

fn decoded_revocation(body: &[u8]) {
    let Some(rv) = canonical::<ReadsForRevocation>(body) else {
        return;
    };
    let b = backend();
    let verified = b.verify(
        &rv.to_identity.verifying_key,
        &rv.signed_bytes(),
        &rv.signature,
    );
    let mut store = ReadsForState::default();
    let applied = store.revoke(&b, &rv);
    let (from, to) = rv.edge();
    if from == to {
        assert!(applied.is_err());
    } else {
        assert_eq!(applied, verified);
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Evidence {
        from: u8,
        to: u8,
        serial: u8,
        tamper: bool,
    },
    Revocation {
        from: u8,
        to: u8,
        serial: u8,
        tamper: bool,
    },
    Ask {
        a: u8,
        b: u8,
    },
}

/// The reference: per edge, the stored serial and the revoked-through serial.
#[derive(Default)]
struct Model {
    stored: BTreeMap<(IdentityId, IdentityId), u64>,
    revoked: BTreeMap<(IdentityId, IdentityId), u64>,
}

fn sequence(body: &[u8]) {
    let ids = identities();
    let pick = |i: u8| &ids[usize::from(i) % ids.len()];
    let b = backend();
    let mut store = ReadsForState::default();
    let mut model = Model::default();
    let mut u = Unstructured::new(body);
    for _ in 0..24 {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        match op {
            Op::Evidence {
                from,
                to,
                serial,
                tamper,
            } => {
                let (r, s) = (pick(from), pick(to));
                let serial = u64::from(serial);
                let bytes = ReadsForEvidence::statement_bytes(&r.external, &s.external, serial);
                let mut ev = ReadsForEvidence {
                    from_identity: r.external.clone(),
                    to_identity: s.external.clone(),
                    serial,
                    signature: sign(&b, s, &bytes),
                    relation: Default::default(),
                };
                if tamper {
                    ev.serial = ev.serial.wrapping_add(1);
                }
                // What is signed is what travels: the decoded copy verifies the same.
                let wire: ReadsForEvidence = codec::decode(&codec::encode(&ev)).expect("decodes");
                assert_eq!(wire, ev);
                let got = store.submit(&b, &wire);
                let edge = ev.edge();
                let want = if edge.0 == edge.1 {
                    Err(RelationError::Malformed(MalformedStatement::SelfReference))
                } else if tamper {
                    Err(RelationError::SignatureInvalid)
                } else if let Some(&through) = model.revoked.get(&edge).filter(|&&t| serial <= t) {
                    Err(RelationError::Revoked {
                        revoked_through: through,
                    })
                } else if let Some(&current) = model.stored.get(&edge).filter(|&&c| c > serial) {
                    Err(RelationError::Superseded { current })
                } else {
                    model.stored.insert(edge, serial);
                    Ok(())
                };
                assert_eq!(got, want, "evidence {ev:?}");
            }
            Op::Revocation {
                from,
                to,
                serial,
                tamper,
            } => {
                let (r, s) = (pick(from), pick(to));
                let serial = u64::from(serial);
                let bytes = ReadsForRevocation::statement_bytes(&r.id(), &s.external, serial);
                let mut rv = ReadsForRevocation {
                    from_identity: r.id(),
                    to_identity: s.external.clone(),
                    serial,
                    signature: sign(&b, s, &bytes),
                    relation: Default::default(),
                };
                if tamper {
                    rv.signature[0] ^= 1;
                }
                let got = store.revoke(&b, &rv);
                let edge = rv.edge();
                let want = if edge.0 == edge.1 {
                    Err(RelationError::Malformed(MalformedStatement::SelfReference))
                } else if tamper {
                    Err(RelationError::SignatureInvalid)
                } else {
                    let through = model.revoked.entry(edge).or_insert(0);
                    *through = (*through).max(serial);
                    let through = *through;
                    if model.stored.get(&edge).is_some_and(|&s| s <= through) {
                        model.stored.remove(&edge);
                    }
                    Ok(())
                };
                assert_eq!(got, want, "revocation {rv:?}");
            }
            Op::Ask { a, b: subject } => {
                let (a, s) = (pick(a).id(), pick(subject).id());
                // Reference closure: a breadth-first walk over the model's edges into `s`.
                let mut seen = vec![s];
                let mut i = 0;
                while i < seen.len() {
                    let node = seen[i];
                    for (from, to) in model.stored.keys() {
                        if *to == node && !seen.contains(from) {
                            seen.push(*from);
                        }
                    }
                    i += 1;
                }
                assert_eq!(store.graph().holds(&a, &s), seen.contains(&a));
            }
        }
        // The store holds exactly the model's edges, each at the model's serial.
        let held: BTreeMap<_, _> = store.evidence.iter().map(|(k, v)| (*k, v.serial)).collect();
        assert_eq!(held, model.stored);
    }
    for (edge, ev) in &store.evidence {
        assert_eq!(*edge, ev.edge());
        let verified = b.verify(
            &ev.to_identity.verifying_key,
            &ev.signed_bytes(),
            &ev.signature,
        );
        assert!(verified.is_ok(), "unverified evidence stored");
    }
}

fuzz_target!(|data: &[u8]| {
    let (selector, body) = split_selector(data);
    match selector % 4 {
        0 => decoded_evidence(body),
        1 => decoded_revocation(body),
        _ => sequence(body),
    }
});
