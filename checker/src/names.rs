//! Names on the command line: `name grant` and `name revoke` sign name statements with the
//! vault's identity; `name resolve` runs the Naming engine over statement files and resolves.
//!
//! The files are the canonical CBOR of [`NameEvidence`] and [`NameRevocation`]. Whether a
//! statement counts is the Naming engine's rule, so `resolve` submits the files to the engine
//! itself, in the order given, and reports what it refused and why.

use std::path::{Path, PathBuf};

use anyhow::Result;
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use engines::local::{LocalNode, NodeEngine};
use engines::naming::Naming;
use spec::message::{RequestResolveName, RequestSubmitNameEvidence, RequestSubmitNameRevocation};
use spec::{CorrelationId, Envelope, IdentityName, Message, NameEvidence, NameRevocation, codec};

use crate::keys::{self, Unlocked};
use crate::{VaultArgs, exit, files, signs_for};

/// Largest name statement file read: a statement is a few hundred bytes.
const MAX_STATEMENT_BYTES: u64 = 64 * 1024;

/// A name given on the command line, checked.
fn parse_name(text: &str) -> Result<IdentityName> {
    IdentityName::parse(text).map_err(|e| {
        exit::usage(format!(
            "`{text}` is not a name: {e} (labels of a-z, 0-9 and inner hyphens, joined by dots, parent first)"
        ))
    })
}

/// Takes the vault's next statement serial and records it before anything is handed out.
fn next_serial(args: &VaultArgs, unlocked: &mut Unlocked) -> Result<u64> {
    let serial = signs_for::next_serial(unlocked)?;
    signs_for::save(args, unlocked)?;
    Ok(serial)
}

/// `name grant`: the vault's identity signs "NAME names IDENTITY" (its own identity by default).
pub fn grant(args: &VaultArgs, name: &str, named: Option<&str>, output: &Path) -> Result<()> {
    let name = parse_name(name)?;
    let mut unlocked = keys::unlock(args)?;
    let signer = keys::signer(&unlocked.state)?;
    let named = match named {
        Some(arg) => keys::parse_identity(arg)?,
        None => signer.external.clone(),
    };
    let serial = next_serial(args, &mut unlocked)?;
    let statement = NameEvidence::statement_bytes(&name, &named, serial);
    let evidence = NameEvidence {
        signature: HpkeBackend::new().sign(&signer, &statement),
        identity_name: name,
        external_identity: named,
        serial,
    };
    files::write_atomic(output, &codec::encode(&evidence))?;
    eprintln!(
        "`{}` names {} (serial {serial}), signed by {}: written to {}",
        evidence.identity_name,
        evidence.named(),
        signer.id(),
        output.display()
    );
    Ok(())
}

/// `name revoke`: the vault's identity signs "NAME is no longer held", through a fresh serial.
pub fn revoke(args: &VaultArgs, name: &str, output: &Path) -> Result<()> {
    let name = parse_name(name)?;
    let mut unlocked = keys::unlock(args)?;
    let signer = keys::signer(&unlocked.state)?;
    // A fresh serial, above every statement this vault signed, so it covers them all.
    let serial = next_serial(args, &mut unlocked)?;
    let statement = NameRevocation::statement_bytes(&name, serial);
    let revocation = NameRevocation {
        signature: HpkeBackend::new().sign(&signer, &statement),
        identity_name: name,
        serial,
    };
    files::write_atomic(output, &codec::encode(&revocation))?;
    eprintln!(
        "`{}` released through serial {serial}, signed by {}: written to {}",
        revocation.identity_name,
        signer.id(),
        output.display()
    );
    Ok(())
}

/// What `decode` prints for a name statement; `None` if `bytes` is not one.
pub fn describe(bytes: &[u8]) -> Option<String> {
    // Who must have signed depends on the Naming engine's state, so the signature is not judged here.
    let unjudged = "not checked here: who must sign depends on what the Naming engine holds (`name resolve` checks it)";
    if let Ok(ev) = codec::decode::<NameEvidence>(bytes) {
        return Some(format!(
            "name evidence\n  name:         {}\n  names:        {} ({})\n  serial:       {}\n  signature:    {unjudged}\n",
            ev.identity_name,
            ev.named(),
            ev.external_identity,
            ev.serial
        ));
    }
    let rv = codec::decode::<NameRevocation>(bytes).ok()?;
    Some(format!(
        "name revocation\n  name:         {}\n  through:      serial {}\n  signature:    {unjudged}\n",
        rv.identity_name, rv.serial
    ))
}

/// Reads one name evidence or revocation file as the request that submits it.
fn read(path: &Path) -> Result<Message> {
    let bytes = files::read_small(path, MAX_STATEMENT_BYTES)?;
    let as_evidence = match codec::decode::<NameEvidence>(&bytes) {
        Ok(evidence) => return Ok(RequestSubmitNameEvidence { evidence }.into()),
        Err(e) => e,
    };
    match codec::decode::<NameRevocation>(&bytes) {
        Ok(revocation) => Ok(RequestSubmitNameRevocation { revocation }.into()),
        Err(as_revocation) => Err(exit::bad_input(format!(
            "{}: not name evidence ({as_evidence}), not a name revocation ({as_revocation}); `name grant` and `name revoke` write these files",
            path.display()
        ))),
    }
}

/// Delivers `message` to the Naming engine and returns its one reply.
fn ask(node: &mut LocalNode<HpkeBackend>, n: u64, message: Message) -> Result<Message> {
    let env = Envelope {
        sender: keys::address("local/client"),
        target: keys::address("local/naming"),
        correlation: CorrelationId(n),
        message,
    };
    let mut out = node.deliver(env)?;
    match (out.pop(), out.is_empty()) {
        (Some(reply), true) => Ok(reply.message),
        _ => Err(anyhow::anyhow!(
            "the Naming engine did not answer with one reply"
        )),
    }
}

/// `name resolve`: submits the statement files in order, then resolves NAME; exit 0 only if it
/// resolves, printing the identity in full.
pub fn resolve(name: &str, statements: &[PathBuf]) -> Result<()> {
    let name = parse_name(name)?;
    let requests: Vec<(&PathBuf, Message)> = statements
        .iter()
        .map(|p| read(p).map(|m| (p, m)))
        .collect::<Result<_>>()?;
    let mut node = LocalNode::new(HpkeBackend::new());
    let naming = Naming {
        address: keys::address("local/naming"),
    };
    node.insert(
        naming.address.clone(),
        NodeEngine::Naming(naming, Default::default()),
    );
    for (n, (path, request)) in (1..).zip(requests) {
        if let Some(e) = ask(&mut node, n, request)?.error() {
            eprintln!("{}: refused: {e}", path.display());
        }
    }
    let request = RequestResolveName {
        identity_name: name.clone(),
    };
    match ask(&mut node, 0, request.into())? {
        Message::ReplyResolveName(r) => match r.result {
            Ok(identity) => files::print(&format!("{identity}\n")),
            // Exit 1, as `verify` does for a signature that does not verify: the answer is no.
            Err(e) => Err(anyhow::anyhow!("`{name}` does not resolve: {e}")),
        },
        other => Err(anyhow::anyhow!("unexpected reply {}", other.name())),
    }
}
