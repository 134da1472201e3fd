//! `evidence list`: what evidence and revocation files say, and whether their signatures verify.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use spec::{
    ExternalIdentity, IdentityId, ReadsForEvidence, ReadsForRevocation, SignsForEvidence,
    SignsForRevocation, codec,
};

use crate::files;

/// Largest evidence or revocation file read: both are a few hundred bytes.
const MAX_STATEMENT_BYTES: u64 = 64 * 1024;

/// A signed relation statement: evidence or its revocation. Reads-for and signs-for
/// statements have one shape; only the label the signature covers tells them apart
/// ([`Statement::relation`]).
pub enum Statement {
    /// "reader reads for subject".
    Evidence(ReadsForEvidence),
    /// "reader no longer reads for subject".
    Revocation(ReadsForRevocation),
}

impl Statement {
    /// Decodes evidence, else a revocation; the error says why it is neither.
    pub fn decode(bytes: &[u8]) -> Result<Statement> {
        let as_evidence = match codec::decode::<ReadsForEvidence>(bytes) {
            Ok(e) => return Ok(Statement::Evidence(e)),
            Err(e) => e,
        };
        match codec::decode::<ReadsForRevocation>(bytes) {
            Ok(r) => Ok(Statement::Revocation(r)),
            Err(as_revocation) => Err(crate::exit::bad_input(format!(
                "not reads-for evidence ({as_evidence}), not a revocation ({as_revocation})"
            ))),
        }
    }

    /// What kind of statement this is, as printed.
    pub fn kind(&self) -> &'static str {
        match self {
            Statement::Evidence(_) => "evidence",
            Statement::Revocation(_) => "revocation",
        }
    }

    /// The reader's id.
    pub fn reader(&self) -> IdentityId {
        match self {
            Statement::Evidence(e) => e.from_identity.id(),
            Statement::Revocation(r) => r.from_identity,
        }
    }

    /// The reader's public identity, when the statement carries it (evidence does, revocations name only the id).
    pub fn reader_public(&self) -> Option<&ExternalIdentity> {
        match self {
            Statement::Evidence(e) => Some(&e.from_identity),
            Statement::Revocation(_) => None,
        }
    }

    /// The subject, whose key signed.
    pub fn subject(&self) -> &ExternalIdentity {
        match self {
            Statement::Evidence(e) => &e.to_identity,
            Statement::Revocation(r) => &r.to_identity,
        }
    }

    /// The serial.
    pub fn serial(&self) -> u64 {
        match self {
            Statement::Evidence(e) => e.serial,
            Statement::Revocation(r) => r.serial,
        }
    }

    /// The relation whose statement the subject's signature covers: `reads-for`,
    /// `signs-for`, or `None` when it covers neither (altered, or signed by someone else).
    pub fn relation(&self) -> Option<&'static str> {
        let (reads, signs, signature) = match self {
            Statement::Evidence(e) => (
                e.signed_bytes(),
                SignsForEvidence::statement_bytes(&e.from_identity, &e.to_identity, e.serial),
                &e.signature,
            ),
            Statement::Revocation(r) => (
                r.signed_bytes(),
                SignsForRevocation::statement_bytes(&r.from_identity, &r.to_identity, r.serial),
                &r.signature,
            ),
        };
        let backend = HpkeBackend::new();
        let key = &self.subject().verifying_key;
        [("reads-for", reads), ("signs-for", signs)]
            .into_iter()
            .find(|(_, bytes)| backend.verify(key, bytes, signature).is_ok())
            .map(|(relation, _)| relation)
    }

    /// The signature verdict, as printed.
    pub fn verdict(&self) -> &'static str {
        match self.relation() {
            Some(_) => "verifies",
            None => "does not verify",
        }
    }
}

/// Reads and decodes one evidence or revocation file.
pub fn read(path: &Path) -> Result<Statement> {
    let bytes = files::read_small(path, MAX_STATEMENT_BYTES)?;
    Statement::decode(&bytes).with_context(|| {
        format!(
            "{}: `evidence grant` and `evidence revoke` write these files",
            path.display()
        )
    })
}

/// `evidence list`: one line per file; unreadable files are reported and make the exit non-zero.
pub fn list(paths: &[PathBuf]) -> Result<()> {
    let mut failed = 0usize;
    for path in paths {
        match read(path) {
            Ok(s) => files::print(&format!(
                "{}: {:<9} {:<10} member {}  subject {}  serial {}  signature {}\n",
                path.display(),
                s.relation().unwrap_or("?"),
                s.kind(),
                s.reader(),
                s.subject().id(),
                s.serial(),
                s.verdict()
            ))?,
            Err(e) => {
                // Keep going: one bad file should not hide what the others say.
                failed += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    if failed > 0 {
        return Err(crate::exit::bad_input(format!(
            "{failed} of {} files could not be read as evidence or revocations (see above)",
            paths.len()
        )));
    }
    Ok(())
}
