//! Hostile requests to the engines, as tables of (name, envelope, exact outcome).
//!
//! Each row drives one engine's `step` and checks the exact typed error in the
//! reply (or the exact `RejectReason` where the engine answers nobody), that the
//! engine's state is unchanged, and that nothing was lost (the vault still opens
//! for its owner, the evidence in force is still in force). Rows cover
//! continuations (replayed, forged, flipped, foreign, expired), evidence and
//! revocations (bad signatures, wrong signers, replayed serials), decryption by
//! requesters the vault does not serve, and key management by anyone but
//! Identity Management. Every row runs under the watchdog of `common`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{Case, SeededRng, addr, backend, ensure, env, run_table, same};
use sealwright_engines::backend::hpke::HpkeBackend;
use sealwright_engines::decryption::{Decryption, DecryptionState};
use sealwright_engines::encryption::{Encryption, EncryptionState};
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::reads_for::{ReadsFor, ReadsForState};
use sealwright_engines::{Backend, Engine};
use serde::Serialize;
use spec::effects::{Effects, RejectReason};
use spec::error::MalformedStatement;
use spec::message::*;
use spec::*;

const ENC: &str = "node/encryption";
const RF: &str = "node/reads-for";
const VAULT: &str = "node/vault";
const IM: &str = "node/identity";

/// The one envelope an engine step sent.
fn one_reply(effects: Effects) -> Result<Envelope, String> {
    ensure(effects.rejected.is_empty(), || {
        format!("unexpected rejections: {:?}", effects.rejected)
    })?;
    match <[Envelope; 1]>::try_from(effects.send) {
        Ok([reply]) => Ok(reply),
        Err(sent) => Err(format!("expected one reply, sent {sent:?}")),
    }
}

/// A step that must send nothing and record exactly `reason`.
fn rejected(effects: &Effects, reason: RejectReason) -> Result<(), String> {
    ensure(effects.send.is_empty(), || {
        format!("sent {:?} instead of rejecting", effects.send)
    })?;
    same(
        "rejections",
        effects
            .rejected
            .iter()
            .map(|r| r.reason)
            .collect::<Vec<_>>(),
        vec![reason],
    )
}

// ---------------------------------------------------------------------------
// Continuations

/// An Encryption engine with a query in flight: the ReadsFor engine's answer is `answer`.
struct Pool {
    backend: HpkeBackend<SeededRng>,
    engine: Encryption,
    state: EncryptionState,
    alice: InternalIdentity,
    answer: Envelope,
}

fn pool(seed: u64) -> Pool {
    let mut backend = backend(seed);
    let engine = Encryption::new(addr(ENC), addr(RF));
    let mut state = Encryption::initial_state(&mut backend);
    let alice = backend.generate_identity();
    let request = env(
        "client-7",
        ENC,
        77,
        RequestEncrypt {
            data: Plaintext(b"pending".to_vec()),
            external_identity: alice.external.clone(),
            use_reads_for: true,
        },
    );
    let query = one_reply(engine.step(&mut state, &mut backend, &request)).unwrap();
    let Message::RequestQueryReadsForEvidence(q) = &query.message else {
        panic!("{query:?}")
    };
    let answer = Envelope {
        sender: addr(RF),
        target: addr(ENC),
        correlation: query.correlation,
        message: ReplyQueryReadsForEvidence {
            external_identity: q.external_identity,
            continuation: q.continuation.clone(),
            result: Ok(vec![]),
        }
        .into(),
    };
    Pool {
        backend,
        engine,
        state,
        alice,
        answer,
    }
}

impl Pool {
    fn continuation(&self) -> Vec<u8> {
        match &self.answer.message {
            Message::ReplyQueryReadsForEvidence(r) => r.continuation.clone().unwrap().0,
            _ => unreachable!(),
        }
    }

    fn answer_with(&self, continuation: Option<Vec<u8>>) -> Envelope {
        let mut answer = self.answer.clone();
        if let Message::ReplyQueryReadsForEvidence(r) = &mut answer.message {
            r.continuation = continuation.map(Continuation);
        }
        answer
    }

    /// Delivers `answer`; it must be rejected for `reason` and leave the state as it was.
    fn refuses(&mut self, answer: &Envelope, reason: RejectReason) -> Result<(), String> {
        let before = self.state.clone();
        let effects = self.engine.step(&mut self.state, &mut self.backend, answer);
        rejected(&effects, reason)?;
        same("state", &self.state, &before)
    }

    /// Delivers `answer`; it must finish the pending request: a ciphertext for client-7.
    fn finishes(&mut self, answer: &Envelope) -> Result<Ciphertext, String> {
        let before = self.state.clone();
        let reply = one_reply(self.engine.step(&mut self.state, &mut self.backend, answer))?;
        same("state", &self.state, &before)?;
        same("to", reply.target.as_str(), "client-7")?;
        same("correlation", reply.correlation, CorrelationId(77))?;
        match reply.message {
            Message::ReplyEncrypt(ReplyEncrypt { result: Ok(ct) }) => {
                let keys = common::ring(&[&self.alice]);
                same(
                    "opened",
                    self.backend.open(&keys, &ct.0).map(|p| p.0),
                    Ok(b"pending".to_vec()),
                )?;
                Ok(ct)
            }
            m => Err(format!("expected a ciphertext, got {m:?}")),
        }
    }
}

/// What a continuation holds, spelled as the engine spells it (to seal one under the real key).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PendingShape {
    requester: Address,
    correlation: CorrelationId,
    target: ExternalIdentity,
    data: Plaintext,
}

/// Seals `plain` under the pool's current cookie key, as a continuation at its epoch.
fn seal_under_current(p: &mut Pool, plain: &[u8]) -> Vec<u8> {
    let key = p.state.cookies.current().clone();
    let mut aad = b"sealwright/continuation/v1".to_vec();
    aad.extend(key.epoch.to_be_bytes());
    let mut out = key.epoch.to_be_bytes().to_vec();
    out.extend(p.backend.cookie_seal(&key, &aad, plain));
    out
}

#[test]
fn hostile_continuations_are_rejected_without_state_change() {
    use RejectReason::{ContinuationExpired, ContinuationInvalid};
    let mut cases = Vec::new();
    cases.push(Case::new("genuine continuation (control)", || {
        let mut p = pool(1);
        let answer = p.answer.clone();
        p.finishes(&answer).map(drop)
    }));
    // Replay: the engine keeps no per-request state, so a second delivery of the
    // same continuation is answered again (a fresh ciphertext of the same pending
    // request, to the same requester and correlation). That is the defined behaviour.
    cases.push(Case::new("same continuation delivered twice", || {
        let mut p = pool(2);
        let answer = p.answer.clone();
        let first = p.finishes(&answer)?;
        let second = p.finishes(&answer)?;
        ensure(first != second, || {
            "a replay re-seals with fresh randomness".into()
        })
    }));
    cases.push(Case::new("replayed after two rotations", || {
        let mut p = pool(3);
        let answer = p.answer.clone();
        p.finishes(&answer)?;
        p.state.cookies.rotate();
        p.state.cookies.rotate();
        p.refuses(&answer, ContinuationExpired)
    }));
    cases.push(Case::new("no continuation", || {
        let mut p = pool(4);
        let answer = p.answer_with(None);
        p.refuses(&answer, ContinuationInvalid)
    }));
    for (name, bytes) in [
        ("empty continuation", vec![]),
        ("7 bytes", vec![0; 7]),
        ("epoch only", vec![0; 8]),
        (
            "epoch and 27 bytes (one short of nonce and tag)",
            vec![0; 35],
        ),
        ("epoch 0 and 40 zero bytes", vec![0; 48]),
        ("256 bytes of 0xff", vec![0xff; 256]),
    ] {
        cases.push(Case::new(format!("forged: {name}"), move || {
            let mut p = pool(5);
            let answer = p.answer_with(Some(bytes));
            p.refuses(&answer, ContinuationInvalid)
        }));
    }
    for seed in 0..8u64 {
        cases.push(Case::new(
            format!("forged: random bytes #{seed}"),
            move || {
                let mut p = pool(6);
                let mut rng = common::backend(1000 + seed);
                let len = 8 + (rng.fresh_u64() % 300) as usize;
                let mut bytes: Vec<u8> = (0..len).map(|_| rng.fresh_u64() as u8).collect();
                // Half of them at the pool's current epoch, so the seal itself is what fails.
                if seed % 2 == 0 {
                    bytes[..8].copy_from_slice(&p.state.cookies.current().epoch.to_be_bytes());
                } else {
                    bytes[..8].copy_from_slice(&(u64::MAX - seed).to_be_bytes());
                }
                let answer = p.answer_with(Some(bytes));
                p.refuses(&answer, ContinuationInvalid)
            },
        ));
    }
    let genuine = pool(7).continuation();
    for at in 0..genuine.len() {
        for bit in 0..8u8 {
            cases.push(Case::new(
                format!("bit {bit} of byte {at} flipped"),
                move || {
                    let mut p = pool(7);
                    let mut bytes = p.continuation();
                    bytes[at] ^= 1 << bit;
                    let answer = p.answer_with(Some(bytes));
                    p.refuses(&answer, ContinuationInvalid)
                },
            ));
        }
    }
    for cut in [8usize, 20, 36] {
        cases.push(Case::new(format!("cut to {cut} bytes"), move || {
            let mut p = pool(8);
            let bytes = p.continuation()[..cut].to_vec();
            let answer = p.answer_with(Some(bytes));
            p.refuses(&answer, ContinuationInvalid)
        }));
    }
    cases.push(Case::new("from another pool's cookie key", || {
        let mut p = pool(9);
        let other = pool(10).continuation();
        let answer = p.answer_with(Some(other));
        p.refuses(&answer, ContinuationInvalid)
    }));
    cases.push(Case::new("from another pool two epochs ahead", || {
        let mut p = pool(11);
        let mut q = pool(12);
        q.state.cookies.rotate();
        q.state.cookies.rotate();
        let request = env(
            "client-7",
            ENC,
            77,
            RequestEncrypt {
                data: Plaintext(b"pending".to_vec()),
                external_identity: p.alice.external.clone(),
                use_reads_for: true,
            },
        );
        let query = one_reply(q.engine.step(&mut q.state, &mut q.backend, &request))?;
        let Message::RequestQueryReadsForEvidence(r) = query.message else {
            return Err("no query".into());
        };
        let answer = p.answer_with(r.continuation.map(|c| c.0));
        p.refuses(&answer, ContinuationInvalid)
    }));
    for rotations in [2usize, 3, 10] {
        cases.push(Case::new(
            format!("sealed under a key {rotations} rotations old (expired)"),
            move || {
                let mut p = pool(13);
                for _ in 0..rotations {
                    p.state.cookies.rotate();
                }
                let answer = p.answer.clone();
                p.refuses(&answer, ContinuationExpired)
            },
        ));
    }
    cases.push(Case::new(
        "sealed under a key one rotation old (control: still opens)",
        || {
            let mut p = pool(14);
            p.state.cookies.rotate();
            let answer = p.answer.clone();
            p.finishes(&answer).map(drop)
        },
    ));
    // Under the real key: a well-formed pending request opens (which proves the
    // rows below fail for their contents, not for the seal)...
    cases.push(Case::new(
        "sealed under the real key, well-formed (control)",
        || {
            let mut p = pool(15);
            let pending = PendingShape {
                requester: addr("client-7"),
                correlation: CorrelationId(77),
                target: p.alice.external.clone(),
                data: Plaintext(b"pending".to_vec()),
            };
            let bytes = seal_under_current(&mut p, &codec::encode(&pending));
            let answer = p.answer_with(Some(bytes));
            p.finishes(&answer).map(drop)
        },
    ));
    // ...and garbage, or a non-canonical spelling, under the real key is refused.
    for (name, plain) in [
        ("garbage", b"not a pending request".to_vec()),
        ("empty", vec![]),
        ("an empty map", vec![0xa0]),
        ("a pending request with a trailing byte", {
            let p = pool(16);
            let mut b = codec::encode(&PendingShape {
                requester: addr("client-7"),
                correlation: CorrelationId(77),
                target: p.alice.external.clone(),
                data: Plaintext(b"pending".to_vec()),
            });
            b.push(0);
            b
        }),
    ] {
        cases.push(Case::new(
            format!("sealed under the real key: {name}"),
            move || {
                let mut p = pool(16);
                let bytes = seal_under_current(&mut p, &plain);
                let answer = p.answer_with(Some(bytes));
                p.refuses(&answer, ContinuationInvalid)
            },
        ));
    }
    let n = run_table("continuations", cases);
    assert!(n > 1000, "{n}");
}

// ---------------------------------------------------------------------------
// Evidence and revocations

/// A ReadsFor engine with "b reads for a" (serial 5) in force.
struct Relation {
    backend: HpkeBackend<SeededRng>,
    engine: ReadsFor,
    state: ReadsForState,
    a: InternalIdentity,
    b: InternalIdentity,
    c: InternalIdentity,
}

fn sign_evidence(
    backend: &HpkeBackend<SeededRng>,
    signer: &InternalIdentity,
    from: &ExternalIdentity,
    to: &ExternalIdentity,
    serial: u64,
) -> ReadsForEvidence {
    ReadsForEvidence {
        from_identity: from.clone(),
        to_identity: to.clone(),
        serial,
        signature: backend.sign(signer, &ReadsForEvidence::statement_bytes(from, to, serial)),
        relation: Default::default(),
    }
}

fn sign_revocation(
    backend: &HpkeBackend<SeededRng>,
    signer: &InternalIdentity,
    from: &ExternalIdentity,
    to: &ExternalIdentity,
    serial: u64,
) -> ReadsForRevocation {
    ReadsForRevocation {
        from_identity: from.id(),
        to_identity: to.clone(),
        serial,
        signature: backend.sign(
            signer,
            &ReadsForRevocation::statement_bytes(&from.id(), to, serial),
        ),
        relation: Default::default(),
    }
}

fn relation(seed: u64) -> Relation {
    let mut backend = backend(seed);
    let (a, b, c) = (
        backend.generate_identity(),
        backend.generate_identity(),
        backend.generate_identity(),
    );
    let engine = ReadsFor::new(addr(RF));
    let mut state = ReadsForState::default();
    let ev = sign_evidence(&backend, &a, &b.external, &a.external, 5);
    state.submit(&backend, &ev).unwrap();
    Relation {
        backend,
        engine,
        state,
        a,
        b,
        c,
    }
}

impl Relation {
    fn ev(&self, signer: &InternalIdentity, serial: u64) -> ReadsForEvidence {
        sign_evidence(
            &self.backend,
            signer,
            &self.b.external,
            &self.a.external,
            serial,
        )
    }

    fn ask(&mut self, message: impl Into<Message>) -> Result<Message, String> {
        let request = env("client-1", RF, 9, message);
        Ok(one_reply(
            self.engine
                .step(&mut self.state, &mut self.backend, &request),
        )?
        .message)
    }

    fn submit(&mut self, evidence: ReadsForEvidence) -> Result<Result<(), RelationError>, String> {
        match self.ask(RequestSubmitReadsForEvidence { evidence })? {
            Message::ReplySubmitReadsForEvidence(r) => Ok(r.result),
            m => Err(format!("{m:?}")),
        }
    }

    fn revoke(
        &mut self,
        revocation: ReadsForRevocation,
    ) -> Result<Result<(), RelationError>, String> {
        match self.ask(RequestSubmitReadsForRevocation { revocation })? {
            Message::ReplySubmitReadsForRevocation(r) => Ok(r.result),
            m => Err(format!("{m:?}")),
        }
    }

    fn b_reads_for_a(&mut self) -> Result<bool, String> {
        let (a, b) = (self.a.id(), self.b.id());
        match self.ask(RequestReadsFor {
            external_identity_a: b,
            external_identity_b: a,
        })? {
            Message::ReplyReadsFor(r) => r.result.map_err(|e| format!("{e:?}")),
            m => Err(format!("{m:?}")),
        }
    }
}

type Mutate = Box<dyn Fn(&Relation) -> ReadsForEvidence + Send>;

#[test]
fn hostile_evidence_is_refused_without_state_change() {
    use RelationError::{Malformed, Revoked, SignatureInvalid, Superseded};
    let mut rows: Vec<(String, Mutate, RelationError)> = Vec::new();
    for byte in 0..64usize {
        let bit = (byte % 8) as u8;
        rows.push((
            format!("signature bit {bit} of byte {byte} flipped"),
            Box::new(move |r| {
                let mut ev = r.ev(&r.a, 6);
                ev.signature[byte] ^= 1 << bit;
                ev
            }),
            SignatureInvalid,
        ));
    }
    rows.push((
        "all-zero signature".into(),
        Box::new(|r| ReadsForEvidence {
            signature: [0; 64],
            ..r.ev(&r.a, 6)
        }),
        SignatureInvalid,
    ));
    rows.push((
        "signature over another serial".into(),
        Box::new(|r| ReadsForEvidence {
            serial: 7,
            ..r.ev(&r.a, 6)
        }),
        SignatureInvalid,
    ));
    rows.push((
        "signature over the revocation statement (domain separation)".into(),
        Box::new(|r| ReadsForEvidence {
            signature: sign_revocation(&r.backend, &r.a, &r.b.external, &r.a.external, 6).signature,
            ..r.ev(&r.a, 6)
        }),
        SignatureInvalid,
    ));
    rows.push((
        "signed by the reader instead of the subject".into(),
        Box::new(|r| r.ev(&r.b, 6)),
        SignatureInvalid,
    ));
    rows.push((
        "signed by a third identity".into(),
        Box::new(|r| r.ev(&r.c, 6)),
        SignatureInvalid,
    ));
    rows.push((
        "signed by the subject, claiming another subject".into(),
        Box::new(|r| ReadsForEvidence {
            to_identity: r.c.external.clone(),
            ..r.ev(&r.a, 6)
        }),
        SignatureInvalid,
    ));
    rows.push((
        "subject's encryption key swapped after signing".into(),
        Box::new(|r| {
            let mut ev = r.ev(&r.a, 6);
            ev.to_identity.encryption_key = r.c.external.encryption_key;
            ev
        }),
        SignatureInvalid,
    ));
    rows.push((
        "reader swapped after signing".into(),
        Box::new(|r| ReadsForEvidence {
            from_identity: r.c.external.clone(),
            ..r.ev(&r.a, 6)
        }),
        SignatureInvalid,
    ));
    rows.push((
        "subject's verifying key not a curve point".into(),
        Box::new(|r| {
            let mut ev = r.ev(&r.a, 6);
            // y = 2 is not the y-coordinate of a point on edwards25519.
            ev.to_identity.verifying_key = [0; 32];
            ev.to_identity.verifying_key[0] = 2;
            ev
        }),
        Malformed(MalformedStatement::BadVerifyingKey),
    ));
    rows.push((
        "an identity reading for itself".into(),
        Box::new(|r| sign_evidence(&r.backend, &r.a, &r.a.external, &r.a.external, 6)),
        Malformed(MalformedStatement::SelfReference),
    ));
    rows.push((
        "validly signed, lower serial than stored".into(),
        Box::new(|r| r.ev(&r.a, 4)),
        Superseded { current: 5 },
    ));
    let mut cases = Vec::new();
    for (name, mutate, want) in rows {
        cases.push(Case::new(name, move || {
            let mut r = relation(21);
            let ev = mutate(&r);
            let before = r.state.clone();
            same("reply", r.submit(ev)?, Err(want))?;
            same("state", &r.state, &before)?;
            same("b still reads for a", r.b_reads_for_a()?, true)
        }));
    }
    // Replays after a revocation through serial 5: every serial up to 5 stays out.
    for serial in [1u64, 4, 5] {
        cases.push(Case::new(
            format!("serial {serial} replayed after revocation"),
            move || {
                let mut r = relation(22);
                let old = r.ev(&r.a, serial);
                let rv = sign_revocation(&r.backend, &r.a, &r.b.external, &r.a.external, 5);
                same("revoke", r.revoke(rv)?, Ok(()))?;
                same("revoked", r.b_reads_for_a()?, false)?;
                let before = r.state.clone();
                same(
                    "replay",
                    r.submit(old)?,
                    Err(Revoked { revoked_through: 5 }),
                )?;
                same("state", &r.state, &before)?;
                same("still revoked", r.b_reads_for_a()?, false)?;
                // Control: a higher serial is accepted.
                let fresh = r.ev(&r.a, 6);
                same("fresh", r.submit(fresh)?, Ok(()))?;
                same("reads again", r.b_reads_for_a()?, true)
            },
        ));
    }
    // Revocations that must not take effect.
    type RevMutate = Box<dyn Fn(&Relation) -> ReadsForRevocation + Send>;
    let revocations: Vec<(&str, RevMutate, RelationError)> = vec![
        (
            "revocation with a flipped signature",
            Box::new(|r| {
                let mut rv = sign_revocation(&r.backend, &r.a, &r.b.external, &r.a.external, 5);
                rv.signature[17] ^= 0x10;
                rv
            }),
            SignatureInvalid,
        ),
        (
            "revocation signed by the reader",
            Box::new(|r| sign_revocation(&r.backend, &r.b, &r.b.external, &r.a.external, 5)),
            SignatureInvalid,
        ),
        (
            "revocation signed by a third identity",
            Box::new(|r| sign_revocation(&r.backend, &r.c, &r.b.external, &r.a.external, 5)),
            SignatureInvalid,
        ),
        (
            "revocation carrying the evidence signature",
            Box::new(|r| ReadsForRevocation {
                signature: r.ev(&r.a, 5).signature,
                ..sign_revocation(&r.backend, &r.a, &r.b.external, &r.a.external, 5)
            }),
            SignatureInvalid,
        ),
        (
            "revocation of an identity reading for itself",
            Box::new(|r| sign_revocation(&r.backend, &r.a, &r.a.external, &r.a.external, 5)),
            Malformed(MalformedStatement::SelfReference),
        ),
    ];
    for (name, mutate, want) in revocations {
        cases.push(Case::new(name, move || {
            let mut r = relation(23);
            let rv = mutate(&r);
            let before = r.state.clone();
            same("reply", r.revoke(rv)?, Err(want))?;
            same("state", &r.state, &before)?;
            same("b still reads for a", r.b_reads_for_a()?, true)
        }));
    }
    run_table("evidence", cases);
}

// ---------------------------------------------------------------------------
// The vault: decryption and key management

/// A vault holding alice's identity (owned by `alice`) and bob's (owned by `bob`).
struct Vault {
    backend: HpkeBackend<SeededRng>,
    engine: Decryption,
    state: DecryptionState,
    alice: InternalIdentity,
    ct: Ciphertext,
}

fn vault(seed: u64, manager: Option<&str>) -> Vault {
    let mut backend = backend(seed);
    let alice = backend.generate_identity();
    let bob = backend.generate_identity();
    let mut state = DecryptionState::default();
    state.insert(addr("alice"), alice.clone());
    state.insert(addr("bob"), bob);
    state.next_serial = 3;
    let ct = backend
        .seal(std::slice::from_ref(&alice.external), b"for alice")
        .unwrap();
    let engine = Decryption::new(addr(VAULT), manager.map(addr), BTreeSet::new());
    Vault {
        backend,
        engine,
        state,
        alice,
        ct,
    }
}

impl Vault {
    fn step(&mut self, envelope: &Envelope) -> Effects {
        self.engine
            .step(&mut self.state, &mut self.backend, envelope)
    }

    /// Nothing lost: alice still decrypts, through the engine.
    fn alice_decrypts(&mut self) -> Result<(), String> {
        let request = env(
            "alice",
            VAULT,
            1,
            RequestDecryption {
                data: self.ct.clone(),
            },
        );
        match one_reply(self.step(&request))?.message {
            Message::ReplyDecryption(r) => same(
                "alice decrypts",
                r.result.map(|p| p.0),
                Ok(b"for alice".to_vec()),
            ),
            m => Err(format!("{m:?}")),
        }
    }
}

#[test]
fn decryption_by_requesters_the_vault_does_not_serve_is_refused() {
    use DecryptionError::{NoMatchingKey, NotAuthorised};
    let mut cases = Vec::new();
    for (from, want) in [
        ("mallory", NotAuthorised),
        (IM, NotAuthorised),
        (ENC, NotAuthorised),
        (RF, NotAuthorised),
        (VAULT, NotAuthorised),
        ("alice-2", NotAuthorised),
        ("Alice", NotAuthorised),
        ("alice/", NotAuthorised),
        ("bob", NoMatchingKey),
    ] {
        cases.push(Case::new(
            format!("decryption asked by {from}"),
            move || {
                let mut v = vault(31, Some(IM));
                let before = v.state.clone();
                let request = env(from, VAULT, 5, RequestDecryption { data: v.ct.clone() });
                let reply = one_reply(v.step(&request))?;
                same("to", reply.target.as_str(), from)?;
                match reply.message {
                    Message::ReplyDecryption(r) => same("result", r.result, Err(want))?,
                    m => return Err(format!("{m:?}")),
                }
                same("state", &v.state, &before)?;
                v.alice_decrypts()
            },
        ));
    }
    cases.push(Case::new(
        "alice's request addressed to another vault",
        || {
            let mut v = vault(32, Some(IM));
            let before = v.state.clone();
            let request = env(
                "alice",
                "node/vault-2",
                5,
                RequestDecryption { data: v.ct.clone() },
            );
            rejected(&v.step(&request), RejectReason::Misaddressed)?;
            same("state", &v.state, &before)?;
            v.alice_decrypts()
        },
    ));
    run_table("decryption requesters", cases);
}

#[test]
fn key_management_by_anyone_but_identity_management_is_refused() {
    let mut cases = Vec::new();
    type Build = fn(&Vault) -> Message;
    let requests: [(&str, Build); 4] = [
        ("RequestGenerateKey", |_| {
            RequestGenerateKey {
                owner: addr("mallory"),
                read_by: None,
                capabilities: Capabilities::default(),
            }
            .into()
        }),
        ("RequestGenerateKey read by alice", |v| {
            RequestGenerateKey {
                owner: addr("mallory"),
                read_by: Some(v.alice.external.clone()),
                capabilities: Capabilities::Commit,
            }
            .into()
        }),
        ("RequestRotateKey of alice", |v| {
            RequestRotateKey {
                external_identity: v.alice.id(),
            }
            .into()
        }),
        ("RequestDeleteKey of alice", |v| {
            RequestDeleteKey {
                external_identity: v.alice.id(),
            }
            .into()
        }),
    ];
    let senders = [
        ("alice", Some(IM)),
        ("bob", Some(IM)),
        ("mallory", Some(IM)),
        (ENC, Some(IM)),
        (RF, Some(IM)),
        (VAULT, Some(IM)),
        ("node/identity-2", Some(IM)),
        ("node/identit", Some(IM)),
        // A vault configured without a manager refuses even Identity Management.
        (IM, None),
    ];
    for (what, build) in requests {
        for (from, manager) in senders {
            cases.push(Case::new(
                format!("{what} from {from} (manager {manager:?})"),
                move || {
                    let mut v = vault(33, manager);
                    let before = v.state.clone();
                    let request = env(from, VAULT, 5, build(&v));
                    let reply = one_reply(v.step(&request))?;
                    same("reply to", &reply.target, &request.sender)?;
                    // The refusal answers the request it refuses, not some other reply.
                    same(
                        "reply constructor",
                        reply.message.name().replacen("Reply", "Request", 1),
                        request.message.name().to_owned(),
                    )?;
                    let refused = Err(DecryptionError::NotAuthorised);
                    let result = match reply.message {
                        Message::ReplyGenerateKey(r) => r.result.map(drop),
                        Message::ReplyRotateKey(r) => r.result.map(drop),
                        Message::ReplyDeleteKey(r) => r.result,
                        m => return Err(format!("{m:?}")),
                    };
                    same("result", result, refused)?;
                    same("state", &v.state, &before)?;
                    v.alice_decrypts()
                },
            ));
        }
    }
    // Control: Identity Management itself is served, and unknown identities are typed errors.
    cases.push(Case::new(
        "RequestRotateKey of an unknown identity from IM",
        || {
            let mut v = vault(34, Some(IM));
            let before = v.state.clone();
            let request = env(
                IM,
                VAULT,
                5,
                RequestRotateKey {
                    external_identity: IdentityId([7; 20]),
                },
            );
            match one_reply(v.step(&request))?.message {
                Message::ReplyRotateKey(r) => {
                    same("result", r.result, Err(DecryptionError::UnknownIdentity))?
                }
                m => return Err(format!("{m:?}")),
            }
            same("state", &v.state, &before)?;
            v.alice_decrypts()
        },
    ));
    cases.push(Case::new(
        "RequestGenerateKey from IM (control: served)",
        || {
            let mut v = vault(35, Some(IM));
            let request = env(
                IM,
                VAULT,
                5,
                RequestGenerateKey {
                    owner: addr("carol"),
                    read_by: None,
                    capabilities: Capabilities::default(),
                },
            );
            match one_reply(v.step(&request))?.message {
                Message::ReplyGenerateKey(r) => ensure(r.result.is_ok(), || format!("{r:?}"))?,
                m => return Err(format!("{m:?}")),
            }
            same("identities", v.state.identities.len(), 3)?;
            v.alice_decrypts()
        },
    ));
    run_table("key management", cases);
}

// ---------------------------------------------------------------------------
// The watchdog itself

#[test]
fn the_watchdog_names_a_panicking_row_and_a_hanging_row() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::time::Duration;
    // Rows that finish get a generous deadline (a loaded machine must not turn them into
    // hangs); the hanging row waits out a short one.
    let generous = Duration::from_secs(60);
    let short = Duration::from_millis(500);
    let panicking = catch_unwind(AssertUnwindSafe(|| {
        common::run_table_within(
            "self-test",
            vec![
                Case::new("fine", || Ok(())),
                Case::new("explodes", || panic!("boom")),
                Case::new("wrong", || Err("bad variant".into())),
                Case::new("fine after", || Ok(())),
            ],
            generous,
        )
    }));
    let text = common::panic_text(&*panicking.unwrap_err());
    assert!(text.contains("2 of 4 rows"), "{text}");
    assert!(text.contains("explodes: PANICKED: boom"), "{text}");
    assert!(text.contains("wrong: bad variant"), "{text}");
    let hanging = catch_unwind(AssertUnwindSafe(|| {
        common::run_table_within(
            "self-test",
            vec![Case::new("sleeps forever", || {
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            })],
            short,
        )
    }));
    let text = common::panic_text(&*hanging.unwrap_err());
    assert!(
        text.contains("row `sleeps forever` did not finish"),
        "{text}"
    );
}
