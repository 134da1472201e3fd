//! `sealwright remote`: requests to the engines of a running node, over a link that
//! proves the identity of the configuration's vault file. The client speaks as
//! `NAME/client`, where NAME is the configuration's name.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use engines::runtime::links::LinkClient;
use spec::message::{
    Ciphertext, Message, Plaintext, RequestDecryption, RequestEncrypt, RequestGenerateIdentity,
    RequestReadsFor, RequestSubmitReadsForEvidence, RequestSubmitReadsForRevocation,
};
use spec::{Address, CorrelationId, Envelope, ReadsForEvidence, ReadsForRevocation, codec};

use crate::exit;
use crate::files;
use crate::keys;
use crate::node::{self, Loaded};

/// A link to one node, as the configuration's identity.
struct Session {
    client: LinkClient,
    node: String,
}

fn connect(config: &Path, node: &str) -> Result<Session> {
    let loaded: Loaded = node::load(config)?;
    let Some((peer, Some(addr))) = loaded
        .peers
        .iter()
        .find(|(p, _)| p.node == node)
        .map(|(p, a)| (p.clone(), a.clone()))
    else {
        bail!("{} has no peer `{node}` with an address", config.display());
    };
    let me = Address::new(format!("{}/client", loaded.config.name))
        .map_err(|_| anyhow!("`{}` is not a valid node name", loaded.config.name))?;
    let client = LinkClient::connect(
        addr.as_str(),
        Arc::new(loaded.identity.clone()),
        peer,
        me,
        Duration::from_secs(30),
    )
    .with_context(|| format!("cannot link to {node} at {addr}"))?;
    Ok(Session {
        client,
        node: node.to_string(),
    })
}

impl Session {
    fn call(&mut self, engine: &str, message: Message) -> Result<Message> {
        let target = Address::new(format!("{}/{engine}", self.node))
            .map_err(|_| anyhow!("bad engine {engine}"))?;
        Ok(self.client.request(&target, message)?.message)
    }
}

/// `remote generate`: Identity Management on the node makes an identity this client owns.
pub fn generate(config: &Path, node: &str) -> Result<()> {
    let mut s = connect(config, node)?;
    match s.call("identity", RequestGenerateIdentity::default().into())? {
        Message::ReplyGenerateIdentity(r) => {
            let identity = r.result.map_err(|e| anyhow!("{e}"))?;
            println!("{identity}");
            Ok(())
        }
        m => bail!("unexpected reply {}", m.name()),
    }
}

/// `remote encrypt`: the node's Encryption engine seals the input.
pub fn encrypt(
    config: &Path,
    node: &str,
    to: &str,
    reads_for: bool,
    input: &Path,
    output: &Path,
) -> Result<()> {
    let to = keys::parse_identity(to)?;
    let data = files::read_small(input, 1 << 20)?;
    let mut s = connect(config, node)?;
    let request = RequestEncrypt {
        data: Plaintext(data),
        external_identity: to,
        use_reads_for: reads_for,
    };
    match s.call("encryption", request.into())? {
        Message::ReplyEncrypt(r) => {
            let ct = r.result.map_err(|e| anyhow!("{e}"))?;
            files::write_atomic(output, &ct.0)
        }
        m => bail!("unexpected reply {}", m.name()),
    }
}

/// `remote decrypt`: the node's vault opens the input for this client.
pub fn decrypt(config: &Path, node: &str, input: &Path, output: &Path) -> Result<()> {
    let data = files::read_small(input, 16 << 20)?;
    let mut s = connect(config, node)?;
    match s.call(
        "vault",
        RequestDecryption {
            data: Ciphertext(data),
        }
        .into(),
    )? {
        Message::ReplyDecryption(r) => {
            let plain = r.result.map_err(|e| anyhow!("{e}"))?;
            files::write_atomic(output, &plain.0)
        }
        m => bail!("unexpected reply {}", m.name()),
    }
}

/// `remote submit`: the node's ReadsFor engine takes evidence or a revocation file.
pub fn submit(config: &Path, node: &str, file: &Path) -> Result<()> {
    let bytes = files::read_small(file, 1 << 16)?;
    let message: Message = if let Ok(evidence) = codec::decode::<ReadsForEvidence>(&bytes) {
        RequestSubmitReadsForEvidence { evidence }.into()
    } else if let Ok(revocation) = codec::decode::<ReadsForRevocation>(&bytes) {
        RequestSubmitReadsForRevocation { revocation }.into()
    } else {
        return Err(exit::bad_input(format!(
            "{} is neither reads-for evidence nor a revocation",
            file.display()
        )));
    };
    let mut s = connect(config, node)?;
    let reply = s.call("reads-for", message)?;
    let result = match reply {
        Message::ReplySubmitReadsForEvidence(r) => r.result,
        Message::ReplySubmitReadsForRevocation(r) => r.result,
        m => bail!("unexpected reply {}", m.name()),
    };
    result.map_err(|e| anyhow!("refused: {e}"))?;
    println!("acknowledged");
    Ok(())
}

/// `remote reads-for`: asks the node's ReadsFor engine; exits 0 if READER reads for OWNER.
pub fn reads_for(config: &Path, node: &str, reader: &str, owner: &str) -> Result<bool> {
    let (a, b) = (keys::parse_identity(reader)?, keys::parse_identity(owner)?);
    let mut s = connect(config, node)?;
    let request = RequestReadsFor {
        external_identity_a: a.id(),
        external_identity_b: b.id(),
    };
    match s.call("reads-for", request.into())? {
        Message::ReplyReadsFor(r) => {
            let yes = r.result.map_err(|e| anyhow!("{e}"))?;
            println!("{yes}");
            Ok(yes)
        }
        m => bail!("unexpected reply {}", m.name()),
    }
}

/// `remote load`: `requests` encryptions through one link, pipelined `window` deep;
/// prints what came back. Fails if any request is answered twice or never.
pub fn load(
    config: &Path,
    node: &str,
    to: &str,
    reads_for: bool,
    requests: u64,
    window: u64,
) -> Result<()> {
    let to = keys::parse_identity(to)?;
    let mut s = connect(config, node)?;
    let target = Address::new(format!("{node}/encryption")).map_err(|_| anyhow!("bad node"))?;
    let me = s.client.address().clone();
    let started = Instant::now();
    let (mut sent, mut outstanding) = (0u64, BTreeSet::new());
    let (mut ok, mut refused, mut twice) = (0u64, 0u64, 0u64);
    let mut answered = BTreeSet::new();
    while sent < requests || !outstanding.is_empty() {
        while sent < requests && (outstanding.len() as u64) < window.max(1) {
            sent += 1;
            let env = Envelope {
                sender: me.clone(),
                target: target.clone(),
                correlation: CorrelationId(sent),
                message: RequestEncrypt {
                    data: Plaintext(sent.to_be_bytes().to_vec()),
                    external_identity: to.clone(),
                    use_reads_for: reads_for,
                }
                .into(),
            };
            s.client.send(env)?;
            outstanding.insert(sent);
        }
        for reply in s.client.receive()? {
            let c = reply.correlation.0;
            if !answered.insert(c) || !outstanding.remove(&c) {
                twice += 1;
                continue;
            }
            match reply.message {
                Message::ReplyEncrypt(r) if r.result.is_ok() => ok += 1,
                _ => refused += 1,
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "load: {requests} requests, {ok} sealed, {refused} refused, {twice} answered twice, {:.0} requests/s",
        requests as f64 / secs.max(1e-9)
    );
    if twice > 0 || ok + refused != requests {
        bail!(
            "{twice} answered twice, {} unanswered",
            requests - ok - refused
        );
    }
    Ok(())
}
