//! `keygen`, `identity show`, `evidence grant` and `evidence revoke`: the vault file, through the engines.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use engines::Backend;
use engines::backend::hpke::HpkeBackend;
use engines::decryption::{Decryption, DecryptionState};
use engines::identity::InternalIdentity;
use engines::identity_management::IdentityManagement;
use engines::local::{LocalNode, NodeEngine};
use engines::vault_file::{self, KdfParams};
use spec::message::{Message, RequestGenerateIdentity};
use spec::{
    Address, CorrelationId, Envelope, ExternalIdentity, IdentityId, ReadsForRevocation, codec,
};

use crate::VaultArgs;
use crate::files;

/// The address the command line speaks as; it owns the identities it creates.
pub const CLI: &str = "cli";
const VAULT: &str = "local/vault";
const IDENTITY: &str = "local/identity";
const READS_FOR: &str = "local/reads-for";

/// An engine address from a constant.
pub fn address(name: &str) -> Address {
    // The constants above are valid addresses; a failure would be a typo caught by every test.
    Address::new(name).unwrap_or_else(|_| unreachable!("invalid built-in address {name}"))
}

/// The vault engine the command line uses: it serves the `cli` owner.
pub fn vault_engine() -> Decryption {
    Decryption::new(address(VAULT), Some(address(IDENTITY)), BTreeSet::new())
}

/// Reads a public identity given as text or as a file holding the text.
pub fn parse_identity(arg: &str) -> Result<ExternalIdentity> {
    if let Ok(identity) = arg.trim().parse() {
        return Ok(identity);
    }
    let path = Path::new(arg);
    if path.exists() {
        let bytes = files::read_small(path, 4096)?;
        let text = String::from_utf8_lossy(&bytes);
        return text.trim().parse().with_context(|| {
            format!("{} does not hold a public identity (`swpub1…`, as printed by `sealwright identity show`)", path.display())
        });
    }
    Err(crate::exit::bad_input(format!(
        "`{arg}` is neither a public identity (`swpub1…`) nor a file; `sealwright identity show` prints one"
    )))
}

/// An unlocked vault: its state, the passphrase to seal it again, and its KDF parameters.
pub struct Unlocked {
    /// The vault's contents.
    pub state: DecryptionState,
    /// The passphrase, to seal it again.
    pub pass: zeroize::Zeroizing<String>,
    /// Its KDF parameters, kept on a re-seal.
    pub params: KdfParams,
}

/// Reads the vault file and opens it with the passphrase.
pub fn unlock(args: &VaultArgs) -> Result<Unlocked> {
    let bytes = files::read_small(&args.vault, vault_file::MAX_VAULT_BYTES as u64)
        .with_context(|| "no vault: create one with `sealwright keygen`".to_string())?;
    let pass = files::passphrase(args.passphrase_file.as_deref(), false)?;
    let state = vault_file::open(&bytes, pass.as_bytes())
        .with_context(|| format!("cannot open the vault {}", args.vault.display()))?;
    // Same bytes as were opened: a re-seal keeps the parameters this vault was made with.
    let params = vault_file::read_header(&bytes)?.kdf_params();
    Ok(Unlocked {
        state,
        pass,
        params,
    })
}

/// The one identity the command line owns in this vault: it signs evidence and revocations.
pub fn signer(state: &DecryptionState) -> Result<InternalIdentity> {
    let owned: Vec<_> = state
        .identities
        .values()
        .filter(|v| v.owner == address(CLI))
        .map(|v| v.secrets.clone())
        .collect();
    match <[InternalIdentity; 1]>::try_from(owned) {
        Ok([subject]) => Ok(subject),
        Err(owned) => bail!(
            "the vault must hold exactly one identity to sign with; it holds {}",
            owned.len()
        ),
    }
}

/// Seals `state` under `pass` and writes the vault file atomically.
pub fn save(
    args: &VaultArgs,
    state: &DecryptionState,
    pass: &str,
    params: KdfParams,
) -> Result<()> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("no randomness from the OS: {e}"))?;
    getrandom::fill(&mut nonce).map_err(|e| anyhow!("no randomness from the OS: {e}"))?;
    let bytes = vault_file::seal(state, pass.as_bytes(), params, salt, nonce)?;
    files::write_atomic(&args.vault, &bytes)
}

/// `keygen`: Identity Management asks the vault for a new identity; the vault is sealed to disk.
pub fn keygen(args: &VaultArgs, memory_kib: u32) -> Result<()> {
    if args.vault.exists() {
        bail!(
            "{} already exists; choose another file with --vault (nothing was changed)",
            args.vault.display()
        );
    }
    let pass = files::passphrase(args.passphrase_file.as_deref(), true)?;
    let mut node = LocalNode::new(HpkeBackend::new());
    node.insert(
        address(VAULT),
        NodeEngine::Decryption(vault_engine(), DecryptionState::default()),
    );
    node.insert(
        address(IDENTITY),
        NodeEngine::IdentityManagement(
            IdentityManagement::new(address(IDENTITY), address(VAULT), address(READS_FOR)),
            Default::default(),
        ),
    );
    let replies = node.deliver(Envelope {
        sender: address(CLI),
        target: address(IDENTITY),
        correlation: CorrelationId(1),
        message: RequestGenerateIdentity::default().into(),
    })?;
    let identity = match replies.as_slice() {
        [
            Envelope {
                message: Message::ReplyGenerateIdentity(r),
                ..
            },
        ] => r.result.clone()?,
        other => bail!("Identity Management answered unexpectedly: {other:?}"),
    };
    let Some(NodeEngine::Decryption(_, state)) = node.engine(&address(VAULT)) else {
        bail!("the vault engine is missing");
    };
    let params = KdfParams {
        memory_kib,
        ..KdfParams::DEFAULT
    };
    save(args, state, &pass, params)?;
    eprintln!("created {}", args.vault.display());
    println!("id:       {}", identity.id());
    println!("key id:   {}", identity.key_id());
    println!("public:   {identity}");
    Ok(())
}

/// `identity show`: the public header of the vault.
pub fn show(vault: &Path) -> Result<()> {
    let bytes = files::read_small(vault, vault_file::MAX_VAULT_BYTES as u64)
        .with_context(|| "no vault: create one with `sealwright keygen`".to_string())?;
    let header = vault_file::read_header(&bytes)
        .with_context(|| format!("cannot read the vault {}", vault.display()))?;
    for identity in &header.identities {
        println!("id:       {}", identity.id());
        println!("key id:   {}", identity.key_id());
        println!("public:   {identity}");
    }
    Ok(())
}

/// `evidence grant`: the vault signs "READER reads for my identity".
pub fn grant(args: &VaultArgs, reader: &str, output: &Path) -> Result<()> {
    let reader = parse_identity(reader)?;
    let Unlocked {
        mut state,
        pass,
        params,
    } = unlock(args)?;
    let subject = signer(&state)?;
    let backend = HpkeBackend::new();
    let evidence = state.sign_reads_for(&backend, &reader, &subject);
    // Record the serial before handing out the evidence, so it is never reused.
    save(args, &state, &pass, params)?;
    files::write_atomic(output, &codec::encode(&evidence))?;
    eprintln!(
        "{} reads for {} (serial {}): written to {}",
        reader.id(),
        subject.id(),
        evidence.serial,
        output.display()
    );
    Ok(())
}

/// The reader of a revocation: an identity id (`sw1…`), a public identity, or a file holding one.
pub fn parse_reader_id(arg: &str) -> Result<IdentityId> {
    // The id is all a revocation names, so the reader's public key is not needed.
    if let Ok(id) = arg.trim().parse() {
        return Ok(id);
    }
    if arg.trim().parse::<ExternalIdentity>().is_err() && !Path::new(arg).exists() {
        bail!(
            "`{arg}` is neither an identity id (`sw1…`), a public identity (`swpub1…`) nor a file; `sealwright identity show` prints both"
        );
    }
    Ok(parse_identity(arg)?.id())
}

/// `evidence revoke`: the vault signs "READER no longer reads for my identity".
pub fn revoke(args: &VaultArgs, reader: &str, output: &Path) -> Result<()> {
    let reader = parse_reader_id(reader)?;
    let Unlocked {
        mut state,
        pass,
        params,
    } = unlock(args)?;
    let subject = signer(&state)?;
    // A fresh serial, above every evidence this vault signed, so the revocation covers them all.
    state.next_serial = state
        .next_serial
        .checked_add(1)
        .context("the vault's evidence serial is exhausted; nothing was written")?;
    let serial = state.next_serial;
    // Record the serial before handing out the revocation, so it is never reused.
    save(args, &state, &pass, params)?;
    let backend = HpkeBackend::new();
    let revocation = ReadsForRevocation {
        from_identity: reader,
        to_identity: subject.external.clone(),
        serial,
        signature: backend.sign(
            &subject,
            &ReadsForRevocation::statement_bytes(&reader, &subject.external, serial),
        ),
        relation: Default::default(),
    };
    files::write_atomic(output, &codec::encode(&revocation))?;
    eprintln!(
        "{reader} no longer reads for {} (through serial {serial}): written to {}",
        subject.id(),
        output.display()
    );
    Ok(())
}
