//! `sign` and `verify`: commitments to a file's bytes, made by the vault engine and checked by
//! the Verification engine.
//!
//! `sign` asks the vault (the Decryption engine, in a [`LocalNode`]) for a commitment to the
//! data, as the owner of the vault's identity; the signature file is the commitment's canonical
//! CBOR. `verify` asks a Verification engine, whose SignsFor engine holds the evidence and
//! revocations given with `--signs-for`. A commitment covers the data itself, never a hash of
//! it, so the data must fit one request: at most [`MAX_DATA`] bytes, what a Verification engine
//! takes by default.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use engines::backend::hpke::HpkeBackend;
use engines::local::{LocalNode, NodeEngine};
use engines::signs_for::SignsFor;
use engines::verification::{Verification, signers_for};
use spec::message::{
    Commitment, RequestCommitment, RequestQuerySignsForEvidence, RequestSubmitSignsForEvidence,
    RequestSubmitSignsForRevocation, RequestVerification, Signable,
};
use spec::{Address, CorrelationId, Envelope, ExternalIdentity, KeyId, Message, codec};

use crate::VaultArgs;
use crate::exit;
use crate::files::{self, Output};
use crate::keys::{self, CLI, address};
use crate::signs_for::{self, Statement};

/// Largest data signed or verified: a Verification engine's default limit for one request (1 MiB).
pub const MAX_DATA: usize = Verification::DEFAULT_MAX_DATA;
/// Largest signature file read: a commitment is 124 bytes.
const MAX_SIGNATURE_BYTES: usize = 4096;
const VERIFICATION: &str = "local/verification";
const SIGNS_FOR: &str = "local/signs-for";

/// A [`LocalNode`] the command line speaks to as [`CLI`].
struct Node {
    node: LocalNode<HpkeBackend>,
    correlation: u64,
}

impl Node {
    /// Sends `message` to `target` and returns the reply that comes back to the command line.
    fn ask(&mut self, target: &Address, message: Message) -> Result<Message> {
        self.correlation += 1;
        let name = message.name();
        let replies = self.node.deliver(Envelope {
            sender: address(CLI),
            target: target.clone(),
            correlation: CorrelationId(self.correlation),
            message,
        })?;
        match replies.into_iter().next() {
            Some(env) => Ok(env.message),
            None => bail!("{target} did not answer {name}"),
        }
    }
}

/// How an input is named in messages.
fn shown(path: Option<&Path>) -> String {
    match path {
        Some(p) if p != Path::new("-") => p.display().to_string(),
        _ => "stdin".to_owned(),
    }
}

/// Reads `path` (stdin for `None` or `-`) whole, or `None` if it holds more than `limit` bytes.
fn read_at_most(path: Option<&Path>, limit: usize) -> Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    files::input(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", shown(path)))?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// The data to sign or verify, refused above [`MAX_DATA`].
fn read_data(input: Option<&Path>) -> Result<Vec<u8>> {
    read_at_most(input, MAX_DATA)?.ok_or_else(|| {
        exit::bad_input(format!(
            "{} is larger than 1 MiB ({MAX_DATA} bytes): a signature covers the data itself, not a hash of it, and a Verification engine takes at most {MAX_DATA} bytes in one request",
            shown(input)
        ))
    })
}

/// Reads a signature file: the canonical CBOR of a [`Commitment`].
fn read_signature(path: &Path) -> Result<Commitment> {
    let hint = "`sealwright sign` writes signature files";
    let Some(bytes) = read_at_most(Some(path), MAX_SIGNATURE_BYTES)? else {
        return Err(exit::bad_input(format!(
            "{} is not a signature: it is larger than {MAX_SIGNATURE_BYTES} bytes; {hint}",
            path.display()
        )));
    };
    codec::decode(&bytes).with_context(|| format!("{} is not a signature ({hint})", path.display()))
}

/// `sign`: the vault engine commits to the input as the vault's identity; the commitment is written out.
pub fn sign(vault: &VaultArgs, input: Option<&Path>, output: Option<&Path>) -> Result<()> {
    // Before the passphrase prompt: a file too large is refused without asking.
    let data = read_data(input)?;
    let len = data.len();
    let state = keys::unlock(vault)?.state;
    let me = keys::signer(&state)?.id();
    let engine = keys::vault_engine();
    let at = engine.address.clone();
    let mut node = Node {
        node: LocalNode::new(HpkeBackend::new()),
        correlation: 0,
    };
    node.node
        .insert(at.clone(), NodeEngine::Decryption(engine, state));
    let request = RequestCommitment {
        data: Signable(data),
        external_identity: me,
    };
    let commitment = match node.ask(&at, request.into())? {
        Message::ReplyCommitment(r) => r.result.context("the vault refused to sign")?,
        other => bail!("the vault answered {}", other.name()),
    };
    let mut out = Output::open(output)?;
    if let Err(e) = out.writer().write_all(&codec::encode(&commitment)) {
        out.abandon();
        return Err(e).context("cannot write the signature");
    }
    out.commit()?;
    match output {
        Some(path) if path != Path::new("-") => eprintln!(
            "signed {len} bytes of {} as {me}: written to {}",
            shown(input),
            path.display()
        ),
        _ => eprintln!("signed {len} bytes of {} as {me}", shown(input)),
    }
    Ok(())
}

/// What `verify` is asked.
pub struct VerifyArgs<'a> {
    /// Whose signature it should be: a public identity or a file holding one.
    pub by: &'a str,
    /// The signature file.
    pub signature: &'a Path,
    /// Also accept identities that sign for `by`, per `evidence`.
    pub signs_for: bool,
    /// Signs-for evidence and revocation files.
    pub evidence: &'a [PathBuf],
    /// The signed data; stdin for `None` or `-`.
    pub input: Option<&'a Path>,
}

/// A node with a Verification engine and the SignsFor engine it asks.
fn verification_node() -> Node {
    let mut backend = HpkeBackend::new();
    let state = Verification::initial_state(&mut backend);
    let mut node = LocalNode::new(backend);
    node.insert(
        address(SIGNS_FOR),
        NodeEngine::SignsFor(SignsFor::new(address(SIGNS_FOR)), Default::default()),
    );
    node.insert(
        address(VERIFICATION),
        NodeEngine::Verification(
            Verification::new(address(VERIFICATION), address(SIGNS_FOR)),
            state,
        ),
    );
    Node {
        node,
        correlation: 0,
    }
}

/// Submits the statements to the SignsFor engine: evidence by serial, then revocations, so the
/// outcome is the same whatever the order of the files (a revocation first would refuse the
/// evidence it covers, and older evidence after newer would be refused as superseded).
fn load(node: &mut Node, statements: &[(PathBuf, Statement)]) -> Result<()> {
    let mut order: Vec<&(PathBuf, Statement)> = statements.iter().collect();
    order.sort_by_key(|(_, s)| match s {
        Statement::Evidence(e) => (0, e.serial),
        Statement::Revocation(r) => (1, r.serial),
    });
    for (path, statement) in order {
        let message = match statement {
            Statement::Evidence(e) => RequestSubmitSignsForEvidence {
                evidence: e.clone(),
            }
            .into(),
            Statement::Revocation(r) => RequestSubmitSignsForRevocation {
                revocation: r.clone(),
            }
            .into(),
        };
        let result = match node.ask(&address(SIGNS_FOR), message)? {
            Message::ReplySubmitSignsForEvidence(r) => r.result,
            Message::ReplySubmitSignsForRevocation(r) => r.result,
            other => bail!("the SignsFor engine answered {}", other.name()),
        };
        if let Err(e) = result {
            let e = anyhow::Error::new(e);
            let e = match statement.reads_for_hint() {
                Some(hint) => e.context(hint),
                None => e,
            };
            return Err(e.context(format!("the SignsFor engine refused {}", path.display())));
        }
    }
    Ok(())
}

/// Whose commitments count as `target`'s under the SignsFor engine's evidence, as the
/// Verification engine computes it: `target` and every identity on a chain into it.
fn accepted_signers(node: &mut Node, target: &ExternalIdentity) -> Result<Vec<ExternalIdentity>> {
    let query = RequestQuerySignsForEvidence {
        external_identity: target.id(),
        continuation: None,
    };
    match node.ask(&address(SIGNS_FOR), query.into())? {
        Message::ReplyQuerySignsForEvidence(r) => {
            let evidence = r.result.context("the signs-for query failed")?;
            Ok(signers_for(&HpkeBackend::new(), target, &evidence))
        }
        other => bail!("the SignsFor engine answered {}", other.name()),
    }
}

/// `verify`: asks the Verification engine; exits 0 only when the commitment verifies.
pub fn verify(args: &VerifyArgs<'_>) -> Result<()> {
    let target = keys::parse_identity(args.by)?;
    let commitment = read_signature(args.signature)?;
    let data = read_data(args.input)?;
    let statements = args
        .evidence
        .iter()
        .map(|p| Ok((p.clone(), signs_for::read(p)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut node = verification_node();
    load(&mut node, &statements)?;
    let request = RequestVerification {
        data: Signable(data),
        commitment: commitment.clone(),
        external_identity: target.clone(),
        use_signs_for: args.signs_for,
    };
    let verified = match node.ask(&address(VERIFICATION), request.into())? {
        Message::ReplyVerification(r) => r
            .result
            .context("the Verification engine decided nothing")?,
        other => bail!("the Verification engine answered {}", other.name()),
    };
    let signers = if args.signs_for {
        accepted_signers(&mut node, &target)?
    } else {
        vec![target.clone()]
    };
    let signer = signers
        .iter()
        .find(|s| s.verifying_key == commitment.verifying_key);
    match (verified, signer) {
        (true, Some(s)) if *s == target => {
            files::print(&format!("verified: signed by {}\n", target.id()))
        }
        (true, Some(s)) => files::print(&format!(
            "verified: signed by {}, who signs for {}\n",
            s.id(),
            target.id()
        )),
        (true, None) => bail!("the Verification engine accepted a signer this command cannot name"),
        (false, _) => Err(why_not(
            &target,
            &commitment,
            signer,
            args.signs_for,
            &statements,
        )),
    }
}

/// Why a commitment that the Verification engine refused does not verify, as far as can be told.
fn why_not(
    target: &ExternalIdentity,
    commitment: &Commitment,
    signer: Option<&ExternalIdentity>,
    signs_for: bool,
    statements: &[(PathBuf, Statement)],
) -> anyhow::Error {
    let id = target.id();
    match signer {
        Some(s) if s == target => {
            return anyhow!(
                "the signature does not match this file: it names {id}'s key, but the file (or the signature) changed after it was signed"
            );
        }
        Some(s) => {
            return anyhow!(
                "the signature does not match this file: it names the key of {}, who signs for {id}, but the file (or the signature) changed after it was signed",
                s.id()
            );
        }
        None => {}
    }
    let key = KeyId::of_verifying_key(&commitment.verifying_key);
    if !signs_for {
        return anyhow!(
            "the signature is not {id}'s: it was made with another key (verifying key {key}); if its signer signs for {id}, verify with --signs-for and the evidence"
        );
    }
    let member = statements.iter().find_map(|(_, s)| match s {
        Statement::Evidence(e) if e.from_identity.verifying_key == commitment.verifying_key => {
            Some(e.from_identity.id())
        }
        _ => None,
    });
    let Some(member) = member else {
        return anyhow!(
            "the signature is not {id}'s: it was made with another key (verifying key {key}), and no evidence given names that key's identity as signing for {id}"
        );
    };
    if revoked(statements, &member) {
        anyhow!(
            "the signature is by {member}, whose signs-for evidence was revoked: {member} does not sign for {id}"
        )
    } else {
        anyhow!(
            "the signature is by {member}, but no chain of the evidence given leads from {member} to {id}"
        )
    }
}

/// Whether a revocation given covers evidence given for `member`.
fn revoked(statements: &[(PathBuf, Statement)], member: &spec::IdentityId) -> bool {
    statements.iter().any(|(_, r)| {
        let Statement::Revocation(r) = r else {
            return false;
        };
        r.from_identity == *member
            && statements.iter().any(|(_, e)| {
                matches!(e, Statement::Evidence(e) if e.edge() == r.edge() && e.serial <= r.serial)
            })
    })
}
