//! The fixed cast every scenario draws from: identities, evidence, revocations, ciphertexts.

use crate::crypto::ModelBackend;
use engines::Backend;
use engines::identity::InternalIdentity;
use spec::message::Ciphertext;
use spec::{ReadsForEvidence, ReadsForRevocation};

/// Identities and statements, all from one deterministic backend (in the thread's crypto).
pub struct Cast {
    /// The target most scenarios encrypt to.
    pub t: InternalIdentity,
    /// Reads for `b` once its evidence is submitted.
    pub a: InternalIdentity,
    /// Reads for `t` from the start.
    pub b: InternalIdentity,
    /// The adversary's identity.
    pub x: InternalIdentity,
    /// Further links of a longer chain: `chain[0]` reads for `a`, `chain[1]` for `chain[0]`, …
    pub chain: Vec<InternalIdentity>,
    /// "b reads for t", signed by t.
    pub b_for_t: ReadsForEvidence,
    /// "a reads for b", signed by b.
    pub a_for_b: ReadsForEvidence,
    /// "a reads for b" again, signed by b with serial 2 (it supersedes serial 1).
    pub a_for_b_2: ReadsForEvidence,
    /// The chain's evidence beyond `a`: "chain[0] reads for a", signed by a, and so on.
    pub chain_evidence: Vec<ReadsForEvidence>,
    /// Revokes "a reads for b".
    pub revoke_a_for_b: ReadsForRevocation,
    /// "x reads for t" with a corrupted signature.
    pub forged: ReadsForEvidence,
    /// "x reads for t" signed by x instead of t.
    pub wrong_signer: ReadsForEvidence,
    /// A ciphertext sealed to t alone.
    pub ct_t: Ciphertext,
}

fn evidence(
    backend: &ModelBackend,
    reader: &InternalIdentity,
    subject: &InternalIdentity,
    signer: &InternalIdentity,
) -> ReadsForEvidence {
    let bytes = ReadsForEvidence::statement_bytes(&reader.external, &subject.external, 1);
    ReadsForEvidence {
        from_identity: reader.external.clone(),
        to_identity: subject.external.clone(),
        serial: 1,
        signature: backend.sign(signer, &bytes),
        relation: Default::default(),
    }
}

impl Cast {
    /// The cast, with `extra` links beyond `a` in the chain `… -> a -> b -> t`.
    pub fn new(extra: usize) -> Cast {
        let mut backend = ModelBackend::new(1 << 40);
        let t = backend.generate_identity();
        let a = backend.generate_identity();
        let b = backend.generate_identity();
        let x = backend.generate_identity();
        let chain: Vec<InternalIdentity> =
            (0..extra).map(|_| backend.generate_identity()).collect();
        let chain_evidence = chain
            .iter()
            .enumerate()
            .map(|(i, reader)| {
                let subject = if i == 0 { &a } else { &chain[i - 1] };
                evidence(&backend, reader, subject, subject)
            })
            .collect();
        let bytes = ReadsForRevocation::statement_bytes(&a.id(), &b.external, 1);
        let revoke_a_for_b = ReadsForRevocation {
            from_identity: a.id(),
            to_identity: b.external.clone(),
            serial: 1,
            signature: backend.sign(&b, &bytes),
            relation: Default::default(),
        };
        let mut forged = evidence(&backend, &x, &t, &t);
        forged.signature[0] ^= 1;
        let ct_t = backend
            .seal(std::slice::from_ref(&t.external), b"for t")
            .unwrap_or_default();
        Cast {
            b_for_t: evidence(&backend, &b, &t, &t),
            a_for_b: evidence(&backend, &a, &b, &b),
            a_for_b_2: {
                let bytes = ReadsForEvidence::statement_bytes(&a.external, &b.external, 2);
                ReadsForEvidence {
                    from_identity: a.external.clone(),
                    to_identity: b.external.clone(),
                    serial: 2,
                    signature: backend.sign(&b, &bytes),
                    relation: Default::default(),
                }
            },
            wrong_signer: evidence(&backend, &x, &t, &x),
            chain_evidence,
            revoke_a_for_b,
            forged,
            ct_t,
            t,
            a,
            b,
            x,
            chain,
        }
    }
}
