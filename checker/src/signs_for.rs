//! Signs-for evidence on the command line: `evidence grant --signer` and `evidence revoke --signer`
//! write it, and `verify --signs-for --evidence` reads it back.
//!
//! The files are the canonical CBOR of [`SignsForEvidence`] and [`SignsForRevocation`]: the same
//! shape as their reads-for counterparts, told apart only by the domain label their signature
//! covers, so a reads-for file given where signs-for evidence is expected is named as such.

use std::path::Path;

use anyhow::{Context, Result};
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use spec::{
    ExternalIdentity, IdentityId, ReadsForEvidence, ReadsForRevocation, SignsForEvidence,
    SignsForRevocation, codec,
};

use crate::keys::{self, Unlocked};
use crate::{VaultArgs, exit, files};

/// Largest evidence or revocation file read: both are a few hundred bytes.
const MAX_STATEMENT_BYTES: u64 = 64 * 1024;

/// A signed signs-for statement read from a file.
pub enum Statement {
    /// "member signs for subject".
    Evidence(SignsForEvidence),
    /// "member no longer signs for subject".
    Revocation(SignsForRevocation),
}

/// Reads one signs-for evidence or revocation file; its signature is checked by the SignsFor engine.
pub fn read(path: &Path) -> Result<Statement> {
    let bytes = files::read_small(path, MAX_STATEMENT_BYTES)?;
    let as_evidence = match codec::decode::<SignsForEvidence>(&bytes) {
        Ok(e) => return Ok(Statement::Evidence(e)),
        Err(e) => e,
    };
    match codec::decode::<SignsForRevocation>(&bytes) {
        Ok(r) => Ok(Statement::Revocation(r)),
        Err(as_revocation) => Err(exit::bad_input(format!(
            "{}: not signs-for evidence ({as_evidence}), not a revocation ({as_revocation}); `evidence grant --signer` and `evidence revoke --signer` write these files",
            path.display()
        ))),
    }
}

impl Statement {
    /// Why the SignsFor engine may have refused this statement, when its signature is the
    /// subject's under the reads-for labels instead: a hint for the error message.
    pub fn reads_for_hint(&self) -> Option<&'static str> {
        let backend = HpkeBackend::new();
        let (key, signed, signature) = match self {
            Statement::Evidence(e) => (
                &e.to_identity.verifying_key,
                ReadsForEvidence::statement_bytes(&e.from_identity, &e.to_identity, e.serial),
                &e.signature,
            ),
            Statement::Revocation(r) => (
                &r.to_identity.verifying_key,
                ReadsForRevocation::statement_bytes(&r.from_identity, &r.to_identity, r.serial),
                &r.signature,
            ),
        };
        backend.verify(key, &signed, signature).is_ok().then_some(
            "it is reads-for evidence (or a reads-for revocation), which never counts for signs-for: `evidence grant --signer` writes signs-for evidence",
        )
    }
}

/// Takes the next serial from the vault, above every statement it signed before.
pub(crate) fn next_serial(unlocked: &mut Unlocked) -> Result<u64> {
    unlocked.state.next_serial = unlocked
        .state
        .next_serial
        .checked_add(1)
        .context("the vault's evidence serial is exhausted; nothing was written")?;
    Ok(unlocked.state.next_serial)
}

/// Refuses a statement about the vault's own identity: it signs for itself already.
fn not_self(member: &IdentityId, subject: &ExternalIdentity) -> Result<()> {
    if *member == subject.id() {
        return Err(exit::bad_input(format!(
            "{member} is this vault's own identity: an identity always signs for itself, and the SignsFor engine refuses such a statement"
        )));
    }
    Ok(())
}

/// `evidence grant --signer`: the vault signs "SIGNER signs for my identity".
pub fn grant(args: &VaultArgs, signer: &str, output: &Path) -> Result<()> {
    let member = keys::parse_identity(signer)?;
    let mut unlocked = keys::unlock(args)?;
    let subject = keys::signer(&unlocked.state)?;
    not_self(&member.id(), &subject.external)?;
    let serial = next_serial(&mut unlocked)?;
    // Record the serial before handing out the evidence, so it is never reused.
    save(args, &unlocked)?;
    let statement = SignsForEvidence::statement_bytes(&member, &subject.external, serial);
    let signature = HpkeBackend::new().sign(&subject, &statement);
    let evidence = SignsForEvidence::new(member, subject.external.clone(), serial, signature);
    files::write_atomic(output, &codec::encode(&evidence))?;
    eprintln!(
        "{} signs for {} (serial {serial}): written to {}",
        evidence.from_identity.id(),
        subject.id(),
        output.display()
    );
    Ok(())
}

/// `evidence revoke --signer`: the vault signs "SIGNER no longer signs for my identity".
pub fn revoke(args: &VaultArgs, signer: &str, output: &Path) -> Result<()> {
    let member = keys::parse_reader_id(signer)?;
    let mut unlocked = keys::unlock(args)?;
    let subject = keys::signer(&unlocked.state)?;
    not_self(&member, &subject.external)?;
    // A fresh serial, above every evidence this vault signed, so the revocation covers them all.
    let serial = next_serial(&mut unlocked)?;
    save(args, &unlocked)?;
    let statement = SignsForRevocation::statement_bytes(&member, &subject.external, serial);
    let signature = HpkeBackend::new().sign(&subject, &statement);
    let revocation = SignsForRevocation::new(member, subject.external.clone(), serial, signature);
    files::write_atomic(output, &codec::encode(&revocation))?;
    eprintln!(
        "{member} no longer signs for {} (through serial {serial}): written to {}",
        subject.id(),
        output.display()
    );
    Ok(())
}

/// Seals the vault again with its passphrase and KDF parameters.
pub(crate) fn save(args: &VaultArgs, unlocked: &Unlocked) -> Result<()> {
    keys::save(args, &unlocked.state, &unlocked.pass, unlocked.params)
}
