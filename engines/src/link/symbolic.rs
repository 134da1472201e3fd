//! Link crypto for the model checker: Noise XX as terms that say who can read them.
//!
//! A handshake message names the ephemeral keys it was written for, and a transport
//! message its session, its direction and its counter; a message read by any other
//! handshake or session, in any other turn, fails — as Noise's AEAD would make it fail.
//! Nothing here is secret or random: ephemeral keys are numbered by their owner, so the
//! same run always builds the same states. An adversary in the model can replay, reflect
//! and inject these terms, but can build new ones only through its own link engine.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spec::ExternalIdentity;
use spec::link::LinkRole;

use super::crypto::{CryptoFailure, LinkCrypto};

/// A term on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Term {
    /// `-> e`.
    First { e: u64 },
    /// `<- e, ee, s, es`: readable only by the initiator whose ephemeral is `re`.
    Second {
        e: u64,
        re: u64,
        s: [u8; 32],
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// `-> s, se`: readable only by the responder of the pair `(ei, er)`.
    Third {
        ei: u64,
        er: u64,
        s: [u8; 32],
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// A transport message of session `(ei, er)`, written by `from`, the `n`th in its direction.
    Transport {
        ei: u64,
        er: u64,
        from: LinkRole,
        n: u64,
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
}

/// A symbolic handshake.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymHandshake {
    role: LinkRole,
    /// Messages written or read so far.
    turn: u8,
    e: u64,
    re: Option<u64>,
    s: [u8; 32],
    rs: Option<[u8; 32]>,
}

/// A symbolic session.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymSession {
    /// The initiator's ephemeral.
    pub ei: u64,
    /// The responder's ephemeral.
    pub er: u64,
    role: LinkRole,
    sent: u64,
    received: u64,
}

/// One party's symbolic link crypto: its identity and its next ephemeral number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolicLink {
    identity: ExternalIdentity,
    /// Ephemerals are `owner << 32 | n`: distinct across parties and runs.
    owner: u32,
    next: u32,
}

impl SymbolicLink {
    /// Crypto for `identity`; `owner` numbers its ephemerals apart from everyone else's.
    pub fn new(identity: ExternalIdentity, owner: u32) -> Self {
        SymbolicLink {
            identity,
            owner,
            next: 0,
        }
    }

    fn fresh(&mut self) -> u64 {
        self.next += 1;
        (u64::from(self.owner) << 32) | u64::from(self.next)
    }

    fn handshake(&mut self, role: LinkRole) -> SymHandshake {
        SymHandshake {
            role,
            turn: 0,
            e: self.fresh(),
            re: None,
            s: self.identity.encryption_key,
            rs: None,
        }
    }
}

/// The ephemerals of the session a symbolic transport frame belongs to, if it is one.
pub fn session_of(frame: &[u8]) -> Option<(u64, u64)> {
    match decode(frame).ok()? {
        Term::Transport { ei, er, .. } => Some((ei, er)),
        _ => None,
    }
}

fn encode(t: &Term) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing a derived term into a Vec cannot fail.
    let _ = ciborium::into_writer(t, &mut out);
    out
}

fn decode(bytes: &[u8]) -> Result<Term, CryptoFailure> {
    ciborium::from_reader(bytes).map_err(|_| CryptoFailure::Verify)
}

/// A symbolic signature: only `sign` by the key's owner makes it.
fn signature(verifying_key: &[u8; 32], message: &[u8]) -> [u8; 64] {
    let a = Sha256::new()
        .chain_update(verifying_key)
        .chain_update(message)
        .finalize();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&a);
    sig
}

impl LinkCrypto for SymbolicLink {
    type Handshake = SymHandshake;
    type Session = SymSession;

    fn identity(&self) -> ExternalIdentity {
        self.identity.clone()
    }

    fn initiator(&mut self) -> Result<SymHandshake, CryptoFailure> {
        Ok(self.handshake(LinkRole::Initiator))
    }

    fn responder(&mut self) -> Result<SymHandshake, CryptoFailure> {
        Ok(self.handshake(LinkRole::Responder))
    }

    fn write(&mut self, hs: &mut SymHandshake, payload: &[u8]) -> Result<Vec<u8>, CryptoFailure> {
        let term = match (hs.role, hs.turn, hs.re) {
            (LinkRole::Initiator, 0, _) if payload.is_empty() => Term::First { e: hs.e },
            (LinkRole::Responder, 1, Some(re)) => Term::Second {
                e: hs.e,
                re,
                s: hs.s,
                payload: payload.to_vec(),
            },
            (LinkRole::Initiator, 2, Some(er)) => Term::Third {
                ei: hs.e,
                er,
                s: hs.s,
                payload: payload.to_vec(),
            },
            _ => return Err(CryptoFailure::OutOfTurn),
        };
        hs.turn += 1;
        Ok(encode(&term))
    }

    fn read(&mut self, hs: &mut SymHandshake, message: &[u8]) -> Result<Vec<u8>, CryptoFailure> {
        let payload = match (hs.role, hs.turn, decode(message)?) {
            (LinkRole::Responder, 0, Term::First { e }) => {
                hs.re = Some(e);
                Vec::new()
            }
            (LinkRole::Initiator, 1, Term::Second { e, re, s, payload }) if re == hs.e => {
                hs.re = Some(e);
                hs.rs = Some(s);
                payload
            }
            (LinkRole::Responder, 2, Term::Third { ei, er, s, payload })
                if er == hs.e && Some(ei) == hs.re =>
            {
                hs.rs = Some(s);
                payload
            }
            _ => return Err(CryptoFailure::Verify),
        };
        hs.turn += 1;
        Ok(payload)
    }

    fn hash(&self, hs: &SymHandshake) -> [u8; 32] {
        let (ei, er, si, sr) = match hs.role {
            LinkRole::Initiator => (Some(hs.e), hs.re, Some(hs.s), hs.rs),
            LinkRole::Responder => (hs.re, Some(hs.e), hs.rs, Some(hs.s)),
        };
        // What the transcript holds at this turn: the third message adds the initiator's key.
        let si = si.filter(|_| hs.turn >= 3);
        let mut h = Sha256::new();
        h.update(format!("{ei:?}{er:?}{si:?}{sr:?}").as_bytes());
        h.finalize().into()
    }

    fn remote_static(&self, hs: &SymHandshake) -> Option<[u8; 32]> {
        hs.rs
    }

    fn split(&mut self, hs: SymHandshake) -> Result<SymSession, CryptoFailure> {
        let (Some(re), 3) = (hs.re, hs.turn) else {
            return Err(CryptoFailure::OutOfTurn);
        };
        let (ei, er) = match hs.role {
            LinkRole::Initiator => (hs.e, re),
            LinkRole::Responder => (re, hs.e),
        };
        Ok(SymSession {
            ei,
            er,
            role: hs.role,
            sent: 0,
            received: 0,
        })
    }

    fn seal(&mut self, s: &mut SymSession, plain: &[u8]) -> Result<Vec<u8>, CryptoFailure> {
        let term = Term::Transport {
            ei: s.ei,
            er: s.er,
            from: s.role,
            n: s.sent,
            payload: plain.to_vec(),
        };
        s.sent += 1;
        Ok(encode(&term))
    }

    fn open(&mut self, s: &mut SymSession, message: &[u8]) -> Result<Vec<u8>, CryptoFailure> {
        match decode(message)? {
            Term::Transport {
                ei,
                er,
                from,
                n,
                payload,
            } if (ei, er) == (s.ei, s.er) && from != s.role && n == s.received => {
                s.received += 1;
                Ok(payload)
            }
            _ => Err(CryptoFailure::Verify),
        }
    }

    fn sign(&mut self, message: &[u8]) -> Result<[u8; 64], CryptoFailure> {
        Ok(signature(&self.identity.verifying_key, message))
    }

    fn verify(&self, verifying_key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> bool {
        &signature(verifying_key, message) == sig
    }
}
