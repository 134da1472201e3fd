//! The Naming engine end to end, with real Ed25519 and the engine's own code: who may
//! claim, vouch for, transfer and release a name, what resolves, and what each refusal says.
//! Each row is a scenario: steps run in order on a fresh engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealwright_engines::Backend;
use sealwright_engines::backend::hpke::{HpkeBackend, SeededRng};
use sealwright_engines::identity::InternalIdentity;
use sealwright_engines::local::{LocalNode, NodeEngine};
use sealwright_engines::naming::Naming;
use spec::message::*;
use spec::*;

const NAMING: &str = "node/naming";
const WHO: [&str; 4] = ["alice", "bob", "carol", "dave"];

/// How a statement is signed.
#[derive(Clone, Copy, Debug)]
enum Sig {
    /// By this identity, over the statement.
    By(&'static str),
    /// By this identity's vault, as a commitment to the statement's bytes.
    Committed(&'static str),
}

/// One step of a scenario and what it must answer.
#[derive(Clone, Debug)]
enum Step {
    /// Evidence "`name` names `named`" with `serial`, signed as `sig`.
    Claim(
        &'static str,
        &'static str,
        Sig,
        u64,
        Result<(), NamingError>,
    ),
    /// A revocation of `name` through `serial`, signed as `sig`.
    Revoke(&'static str, Sig, u64, Result<(), NamingError>),
    /// Resolving `name` gives this identity, or this error.
    Resolves(&'static str, Result<&'static str, NamingError>),
    /// The names that resolve to this identity, in order.
    Names(&'static str, &'static [&'static str]),
}

use Sig::*;
use Step::*;

fn name(text: &str) -> IdentityName {
    IdentityName::parse(text).unwrap()
}

fn taken(by: usize) -> NamingError {
    NamingError::NameTaken {
        holder: identities()[by].id(),
    }
}

fn not_vouched(parent: &str) -> NamingError {
    NamingError::NotVouched {
        parent: name(parent),
    }
}

fn parent_unresolved(parent: &str) -> NamingError {
    NamingError::ParentUnresolved {
        parent: name(parent),
    }
}

/// The four identities, the same in every run.
fn identities() -> Vec<InternalIdentity> {
    let mut backend = HpkeBackend::with_rng(SeededRng::new(b"sealwright/tests/naming"));
    WHO.iter().map(|_| backend.generate_identity()).collect()
}

fn scenarios() -> Vec<(&'static str, Vec<Step>)> {
    use NamingError::*;
    vec![
        (
            "a free top-level name goes to its first claimant; a later claim names the holder",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice", "bob", By("bob"), 2, Err(taken(0))),
                Resolves("alice", Ok("alice")),
            ],
        ),
        (
            "a claim must be signed by the claimant",
            vec![
                Claim("bob", "bob", By("alice"), 1, Err(SignatureInvalid)),
                Resolves("bob", Err(Unresolved)),
            ],
        ),
        (
            "only the holder transfers a top-level name",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice", "bob", By("alice"), 2, Ok(())),
                Resolves("alice", Ok("bob")),
                Claim("alice", "carol", By("alice"), 3, Err(SignatureInvalid)),
                Resolves("alice", Ok("bob")),
            ],
        ),
        (
            "a dotted name is vouched for by its parent's holder",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice.phone", "bob", By("alice"), 1, Ok(())),
                Resolves("alice.phone", Ok("bob")),
                Claim(
                    "alice.work",
                    "carol",
                    By("carol"),
                    1,
                    Err(not_vouched("alice")),
                ),
                Claim(
                    "nobody.x",
                    "bob",
                    By("bob"),
                    1,
                    Err(parent_unresolved("nobody")),
                ),
                Claim("alice.phone.sim", "dave", By("bob"), 1, Ok(())),
                Resolves("alice.phone.sim", Ok("dave")),
            ],
        ),
        (
            "revoking a parent unresolves its children",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice.phone", "bob", By("alice"), 1, Ok(())),
                Revoke("alice", By("alice"), 1, Ok(())),
                Resolves("alice", Err(Unresolved)),
                Resolves("alice.phone", Err(parent_unresolved("alice"))),
                Names("bob", &[]),
            ],
        ),
        (
            "a parent that changes hands drops its former holder's vouches",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice.phone", "bob", By("alice"), 1, Ok(())),
                Claim("alice", "carol", By("alice"), 2, Ok(())),
                Resolves("alice.phone", Err(not_vouched("alice"))),
                Claim(
                    "alice.phone",
                    "dave",
                    By("carol"),
                    1,
                    Err(Superseded { current: 1 }),
                ),
                Claim("alice.phone", "dave", By("carol"), 2, Ok(())),
                Resolves("alice.phone", Ok("dave")),
            ],
        ),
        (
            "a revocation releases a name; evidence up to its serial stays refused",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Revoke("alice", By("alice"), 3, Ok(())),
                Claim(
                    "alice",
                    "bob",
                    By("bob"),
                    3,
                    Err(Revoked { revoked_through: 3 }),
                ),
                Claim("alice", "bob", By("bob"), 4, Ok(())),
                Resolves("alice", Ok("bob")),
            ],
        ),
        (
            "a dotted name is released by its holder or its parent's holder, by no one else",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice.phone", "bob", By("alice"), 1, Ok(())),
                Revoke("alice.phone", By("carol"), 1, Err(SignatureInvalid)),
                Revoke("alice.phone", By("bob"), 1, Ok(())),
                Resolves("alice.phone", Err(Unresolved)),
                Claim("alice.phone", "bob", By("alice"), 2, Ok(())),
                Revoke("alice.phone", By("alice"), 2, Ok(())),
                Resolves("alice.phone", Err(Unresolved)),
            ],
        ),
        (
            "the same evidence twice is accepted twice; another with its serial is not",
            vec![
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim(
                    "alice",
                    "bob",
                    By("alice"),
                    1,
                    Err(Superseded { current: 1 }),
                ),
                Claim(
                    "alice",
                    "alice",
                    By("alice"),
                    0,
                    Err(Superseded { current: 1 }),
                ),
            ],
        ),
        (
            "nothing to revoke: a free top-level name, a dotted name under a free parent",
            vec![
                Revoke("zed", By("alice"), 1, Err(Unresolved)),
                Revoke("zed.x", By("alice"), 1, Err(parent_unresolved("zed"))),
            ],
        ),
        (
            "the names of an identity: every name that resolves to it, in name order",
            vec![
                Claim("bob", "bob", By("bob"), 1, Ok(())),
                Claim("bob.work", "alice", By("bob"), 1, Ok(())),
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim("alice.home", "alice", By("alice"), 1, Ok(())),
                Names("alice", &["alice", "alice.home", "bob.work"]),
                Names("carol", &[]),
            ],
        ),
        (
            "a commitment to a name statement's bytes is not name evidence",
            vec![
                Claim(
                    "alice",
                    "alice",
                    Committed("alice"),
                    1,
                    Err(SignatureInvalid),
                ),
                Claim("alice", "alice", By("alice"), 1, Ok(())),
                Claim(
                    "alice.x",
                    "bob",
                    Committed("alice"),
                    1,
                    Err(not_vouched("alice")),
                ),
                Revoke("alice", Committed("alice"), 1, Err(SignatureInvalid)),
                Resolves("alice", Ok("alice")),
            ],
        ),
    ]
}

struct World {
    node: LocalNode<HpkeBackend<SeededRng>>,
    who: Vec<InternalIdentity>,
    next: u64,
}

impl World {
    fn new() -> World {
        let mut node = LocalNode::new(HpkeBackend::with_rng(SeededRng::new(b"unused")));
        let naming = Naming {
            address: Address::new(NAMING).unwrap(),
        };
        node.insert(
            naming.address.clone(),
            NodeEngine::Naming(naming, Default::default()),
        );
        World {
            node,
            who: identities(),
            next: 0,
        }
    }

    fn identity(&self, who: &str) -> &InternalIdentity {
        &self.who[WHO.iter().position(|w| *w == who).unwrap()]
    }

    fn sign(&mut self, sig: Sig, bytes: &[u8]) -> [u8; 64] {
        let (who, bytes) = match sig {
            By(who) => (who, bytes.to_vec()),
            Committed(who) => (who, Commitment::statement_bytes(bytes)),
        };
        let signer = self.identity(who).clone();
        self.node.backend().sign(&signer, &bytes)
    }

    /// Sends `message` to the engine and returns its one reply.
    fn ask(&mut self, message: Message) -> Message {
        self.next += 1;
        let out = self
            .node
            .deliver(Envelope {
                sender: Address::new("client-anyone").unwrap(),
                target: Address::new(NAMING).unwrap(),
                correlation: CorrelationId(self.next),
                message,
            })
            .unwrap();
        assert_eq!(out.len(), 1, "one reply: {out:?}");
        out.into_iter().next().unwrap().message
    }

    fn run(&mut self, step: Step) {
        match step {
            Claim(text, named, sig, serial, want) => {
                let named = self.identity(named).external.clone();
                let bytes = NameEvidence::statement_bytes(&name(text), &named, serial);
                let evidence = NameEvidence {
                    identity_name: name(text),
                    external_identity: named,
                    serial,
                    signature: self.sign(sig, &bytes),
                };
                let reply = self.ask(RequestSubmitNameEvidence { evidence }.into());
                assert_eq!(reply, ReplySubmitNameEvidence { result: want }.into());
            }
            Revoke(text, sig, serial, want) => {
                let bytes = NameRevocation::statement_bytes(&name(text), serial);
                let revocation = NameRevocation {
                    identity_name: name(text),
                    serial,
                    signature: self.sign(sig, &bytes),
                };
                let reply = self.ask(RequestSubmitNameRevocation { revocation }.into());
                assert_eq!(reply, ReplySubmitNameRevocation { result: want }.into());
            }
            Resolves(text, want) => {
                let request = RequestResolveName {
                    identity_name: name(text),
                };
                let reply = self.ask(request.into());
                let result = want.map(|who| self.identity(who).external.clone());
                let expected = ReplyResolveName {
                    identity_name: name(text),
                    result,
                };
                assert_eq!(reply, expected.into());
            }
            Names(who, names) => {
                let id = self.identity(who).id();
                let reply = self.ask(
                    RequestQueryNameEvidence {
                        external_identity: id,
                    }
                    .into(),
                );
                let Message::ReplyQueryNameEvidence(r) = reply else {
                    panic!("not a query reply: {reply:?}");
                };
                assert_eq!(r.external_identity, id);
                let got: Vec<String> = r
                    .result
                    .unwrap()
                    .iter()
                    .map(|ev| ev.identity_name.to_string())
                    .collect();
                assert_eq!(got, names.to_vec());
            }
        }
    }
}

#[test]
fn naming_scenarios() {
    for (what, steps) in scenarios() {
        let mut world = World::new();
        for (i, step) in steps.into_iter().enumerate() {
            let shown = format!("{step:?}");
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| world.run(step)));
            assert!(outcome.is_ok(), "scenario {what:?}, step {i}: {shown}");
        }
    }
}

#[test]
fn every_error_but_the_refusals_is_reached_by_a_row() {
    let mut codes: Vec<u16> = Vec::new();
    for (_, steps) in scenarios() {
        for step in steps {
            let error = match step {
                Claim(.., Err(e)) | Revoke(.., Err(e)) | Resolves(_, Err(e)) => e,
                _ => continue,
            };
            codes.push(error.code());
        }
    }
    codes.sort();
    codes.dedup();
    // 702 (a verifying key that is not an Ed25519 point) is a hostile-input row, 798/799 refusals.
    assert_eq!(codes, [701, 703, 704, 705, 706, 707, 708]);
}
