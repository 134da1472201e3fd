//! `sealwright node --config FILE`: one node of a cluster, its engines served over links.
//!
//! The configuration file (TOML) names the node, the engines it runs and where the others
//! are, where it listens, its peers with their public identities, its data directory and
//! its passphrase file. Paths in it are relative to the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use engines::decryption::DecryptionState;
use engines::identity::InternalIdentity;
use engines::link::Peer;
use engines::link::noise::LinkKey;
use engines::runtime::links::{LinkSettings, serve_links};
use engines::runtime::outbound::{Remote, route_remote};
use engines::runtime::placement::{Part, Placement};
use engines::runtime::store::Store;
use engines::runtime::{Durable, Node, NodeConfig};
use engines::vault_file::{self, SealingKey};
use serde::Deserialize;
use tracing::info;

use crate::{files, keys};

/// A node's (or a client's) configuration file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// The node's name: its addresses are `NAME/…`.
    pub name: String,
    /// Where it accepts links (`host:port`); a client leaves it out.
    pub listen: Option<String>,
    /// The engines it runs (`encryption`, `reads-for`, `vault`, `identity`).
    #[serde(default)]
    pub engines: BTreeSet<Part>,
    /// Where the engines it does not run are, by node name.
    #[serde(default)]
    pub elsewhere: BTreeMap<Part, String>,
    /// Encryption instances in the pool.
    #[serde(default = "one")]
    pub encryption_instances: usize,
    /// The vault file holding the node's identity (from `sealwright keygen`).
    pub vault: PathBuf,
    /// The file whose first line is the vault's passphrase.
    pub passphrase_file: PathBuf,
    /// Where durable state is kept (`--data` overrides it).
    pub data: Option<PathBuf>,
    /// The nodes it accepts links from and dials.
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
    /// For each engine, the peers (by node name) it serves; unlisted engines serve all.
    #[serde(default)]
    pub serves: BTreeMap<String, BTreeSet<String>>,
    /// Connections accepted at once.
    #[serde(default = "sixty_four")]
    pub max_connections: usize,
}

fn one() -> usize {
    1
}

fn sixty_four() -> usize {
    64
}

/// One peer in a configuration file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PeerConfig {
    /// Its node name.
    pub node: String,
    /// Its public identity (`swpub1…`) or a file holding it.
    pub identity: String,
    /// Where it listens, if this side dials it.
    pub address: Option<String>,
}

/// A configuration read, with its paths made absolute and its identity unlocked.
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// The vault file's contents.
    pub vault: DecryptionState,
    /// The node's own identity (the vault file's only identity).
    pub identity: InternalIdentity,
    /// The passphrase.
    pub pass: zeroize::Zeroizing<String>,
    /// Its peers, resolved.
    pub peers: Vec<(Peer, Option<String>)>,
    /// The vault file's key-derivation parameters, kept for the durable store.
    pub params: vault_file::KdfParams,
}

/// Reads a configuration file and unlocks the identity it names.
pub fn load(path: &Path) -> Result<Loaded> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration {}", path.display()))?;
    let mut config: Config = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid configuration", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    config.vault = dir.join(&config.vault);
    config.passphrase_file = dir.join(&config.passphrase_file);
    config.data = config.data.map(|d| dir.join(d));
    let bytes = files::read_small(&config.vault, vault_file::MAX_VAULT_BYTES as u64)?;
    let pass = files::passphrase(Some(&config.passphrase_file), false)?;
    let vault = vault_file::open(&bytes, pass.as_bytes())
        .with_context(|| format!("cannot open the vault {}", config.vault.display()))?;
    let identity = keys::signer(&vault)?;
    let params = vault_file::read_header(&bytes)?.kdf_params();
    let mut peers = Vec::new();
    for p in &config.peers {
        let identity = keys::parse_identity(&resolve(dir, &p.identity))?;
        peers.push((
            Peer {
                node: p.node.clone(),
                identity,
            },
            p.address.clone(),
        ));
    }
    Ok(Loaded {
        config,
        vault,
        identity,
        pass,
        peers,
        params,
    })
}

/// A path in the file is relative to the file; an inline identity is kept as it is.
fn resolve(dir: &Path, value: &str) -> String {
    let path = dir.join(value);
    if path.exists() {
        path.display().to_string()
    } else {
        value.to_string()
    }
}

/// The node's durable store, the vault it starts with, and the key the vault is sealed with.
fn durable(loaded: &Loaded, data: &Path) -> Result<(Durable, DecryptionState)> {
    let store = Arc::new(Store::open(data)?);
    let (vault, key) = match store.load_vault(loaded.pass.as_bytes())? {
        Some(found) => found,
        None => {
            // First start: the vault file's identity, under a fresh salt.
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            let key = SealingKey::derive(loaded.pass.as_bytes(), loaded.params, salt)?;
            store.save_vault(&loaded.vault, &key)?;
            (loaded.vault.clone(), key)
        }
    };
    Ok((
        Durable {
            store,
            vault_key: Arc::new(key),
        },
        vault,
    ))
}

/// `node --config FILE [--data DIR]`: runs until killed.
pub fn run(path: &Path, data: Option<&Path>) -> Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .try_init();
    let loaded = load(path)?;
    let c = &loaded.config;
    let Some(listen) = c.listen.clone() else {
        bail!("{}: a node needs `listen`", path.display());
    };
    if c.engines.is_empty() {
        bail!("{}: a node needs `engines`", path.display());
    }
    let data = data.map(Path::to_path_buf).or_else(|| c.data.clone());
    let mut config = NodeConfig {
        name: c.name.clone(),
        encryption_instances: c.encryption_instances,
        placement: Placement {
            runs: c.engines.clone(),
            elsewhere: c.elsewhere.clone(),
        },
        drain_timeout: Duration::from_secs(2),
        ..NodeConfig::default()
    };
    let started = std::time::Instant::now();
    if let Some(dir) = &data {
        let (durable, vault) = durable(&loaded, dir)?;
        config.vault = vault;
        config.durable = Some(durable);
    } else {
        config.vault = loaded.vault.clone();
    }
    let node = Arc::new(Node::start(config)?);
    // With a vault here, the vault serves the link key; otherwise the node holds its own.
    let key: Arc<dyn LinkKey> = if c.engines.contains(&Part::Vault) {
        Arc::new(node.link_key(loaded.identity.external.clone())?)
    } else {
        Arc::new(loaded.identity.clone())
    };
    let peers: Vec<Peer> = loaded.peers.iter().map(|(p, _)| p.clone()).collect();
    let remotes: Vec<Remote> = loaded
        .peers
        .iter()
        .filter_map(|(peer, addr)| {
            addr.clone().map(|addr| Remote {
                peer: peer.clone(),
                addr,
            })
        })
        .collect();
    route_remote(&node, key.clone(), remotes)?;
    let settings = LinkSettings {
        peers,
        serves: c.serves.clone(),
        max_connections: c.max_connections,
        ..LinkSettings::default()
    };
    let gateway = serve_links(node, key, listen.as_str(), settings)
        .with_context(|| format!("cannot listen on {listen}"))?;
    info!(
        node = %c.name,
        listen = %gateway.local_addr(),
        identity = %loaded.identity.external,
        engines = ?c.engines,
        data = ?data,
        ready_ms = started.elapsed().as_millis() as u64,
        "node ready"
    );
    // One line on stdout that scripts wait for.
    println!("ready {} {}", c.name, gateway.local_addr());
    loop {
        std::thread::sleep(Duration::from_secs(60));
        let k = gateway.counters();
        use std::sync::atomic::Ordering::Relaxed;
        info!(
            connected = k.connected.load(Relaxed),
            failed = k.failed.load(Relaxed),
            over_cap = k.over_cap.load(Relaxed),
            requests = k.requests.load(Relaxed),
            "links"
        );
    }
}
