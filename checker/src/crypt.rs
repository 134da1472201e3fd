//! `encrypt` and `decrypt`: streaming, in constant memory, through the engines' code.
//!
//! Recipients come from the ReadsFor engine exactly as the Encryption engine
//! computes them ([`engines::encryption::recipients_for`]); the payload
//! streams through the same backend function the engine seals with, because a
//! whole file does not fit in one message. Decryption goes through the vault
//! engine's own authorisation and key lookup. On a terminal, a progress bar
//! counts the input as it streams.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use engines::Backend;
use engines::backend::OpenStreamError;
use engines::backend::hpke::HpkeBackend;
use engines::encryption::recipients_for;
use engines::local::{LocalNode, NodeEngine};
use engines::reads_for::ReadsFor;
use spec::message::{Message, RequestQueryReadsForEvidence, RequestSubmitReadsForEvidence};
use spec::{CorrelationId, Envelope, ExternalIdentity, ReadsForEvidence, codec};

use crate::VaultArgs;
use crate::files::{self, Output};
use crate::keys::{self, CLI, address};
use crate::progress::Progress;

const READS_FOR: &str = "local/reads-for";

/// Resolves the recipients through a ReadsFor engine fed with the given evidence.
fn widen(
    targets: &[ExternalIdentity],
    evidence_files: &[PathBuf],
) -> Result<Vec<ExternalIdentity>> {
    let mut node = LocalNode::new(HpkeBackend::new());
    node.insert(
        address(READS_FOR),
        NodeEngine::ReadsFor(ReadsFor::new(address(READS_FOR)), Default::default()),
    );
    let mut correlation = 0u64;
    let mut ask = |node: &mut LocalNode<HpkeBackend>, message: Message| -> Result<Message> {
        correlation += 1;
        let replies = node.deliver(Envelope {
            sender: address(CLI),
            target: address(READS_FOR),
            correlation: CorrelationId(correlation),
            message,
        })?;
        match replies.into_iter().next() {
            Some(env) => Ok(env.message),
            None => bail!("the ReadsFor engine did not answer"),
        }
    };
    for path in evidence_files {
        let bytes = files::read_small(path, 64 * 1024)?;
        let evidence: ReadsForEvidence = codec::decode(&bytes)
            .with_context(|| format!("{} is not reads-for evidence", path.display()))?;
        match ask(&mut node, RequestSubmitReadsForEvidence { evidence }.into())? {
            Message::ReplySubmitReadsForEvidence(r) => r
                .result
                .with_context(|| format!("the ReadsFor engine refused {}", path.display()))?,
            other => bail!("unexpected reply {}", other.name()),
        }
    }
    let mut recipients = Vec::new();
    for target in targets {
        let query = RequestQueryReadsForEvidence {
            external_identity: target.id(),
            continuation: None,
        };
        match ask(&mut node, query.into())? {
            Message::ReplyQueryReadsForEvidence(r) => {
                let evidence = r.result.context("the reads-for query failed")?;
                recipients.extend(recipients_for(target, &evidence));
            }
            other => bail!("unexpected reply {}", other.name()),
        }
    }
    Ok(recipients)
}

/// `encrypt`: seals the input to the recipients (widened by reads-for if asked).
pub fn encrypt(
    to: &[String],
    reads_for: bool,
    evidence: &[PathBuf],
    input: Option<&Path>,
    output: Option<&Path>,
) -> Result<()> {
    let targets = to
        .iter()
        .map(|t| keys::parse_identity(t))
        .collect::<Result<Vec<_>>>()?;
    let recipients = if reads_for {
        widen(&targets, evidence)?
    } else {
        targets
    };
    let progress = Progress::new(input, output);
    let mut reader = progress.wrap(files::input(input)?);
    let mut out = Output::open(output)?;
    let mut backend = HpkeBackend::new();
    match backend.seal_stream(&recipients, &mut reader, out.writer()) {
        Ok(_) => {
            progress.finish();
            out.commit()
        }
        Err(e) => {
            progress.clear();
            out.abandon();
            Err(e).context("encryption failed")
        }
    }
}

/// `decrypt`: opens the input with the vault's keys, as the vault engine's owner.
pub fn decrypt(vault: &VaultArgs, input: Option<&Path>, output: Option<&Path>) -> Result<()> {
    let bytes = files::read_small(&vault.vault, engines::vault_file::MAX_VAULT_BYTES as u64)
        .context("no vault: create one with `sealwright keygen`")?;
    let pass = files::passphrase(vault.passphrase_file.as_deref(), false)?;
    let state = engines::vault_file::open(&bytes, pass.as_bytes())
        .with_context(|| format!("cannot open the vault {}", vault.vault.display()))?;
    // After the passphrase prompt, so the bar does not draw over it.
    let progress = Progress::new(input, output);
    let mut reader = progress.wrap(files::input(input)?);
    let mut out = Output::open(output)?;
    let backend = HpkeBackend::new();
    let engine = keys::vault_engine();
    match engine.decrypt_stream(&state, &backend, &address(CLI), &mut reader, out.writer()) {
        Ok(_) => {
            progress.finish();
            out.commit()
        }
        Err(e) => {
            progress.clear();
            let to_stdout = matches!(out, Output::Stdout(_));
            out.abandon();
            let e = match e {
                OpenStreamError::Open(e) => anyhow::Error::new(e),
                OpenStreamError::Io(e) => anyhow::Error::new(e),
            };
            if to_stdout {
                Err(e).context("decryption failed; discard what was already written to stdout")
            } else {
                Err(e).context("decryption failed; no output file was written")
            }
        }
    }
}
