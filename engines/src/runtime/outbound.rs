//! Envelopes from this node's engines to engines of other nodes, over links this node
//! dials: the router hands every envelope whose target is not local to the dispatcher,
//! which keeps one link per remote node and feeds what comes back into the router.

use std::collections::{BTreeMap, HashMap};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, bounded};
use spec::message::Refusal;
use spec::{Address, CorrelationId, Envelope};

use super::links::LinkClient;
use super::tcp::read_raw;
use super::{Node, Router, RuntimeError, lock};
use crate::link::Peer;
use crate::link::connection::MAX_MESSAGE;
use crate::link::noise::LinkKey;

/// A node this one sends to: who it is, and where it listens.
#[derive(Debug, Clone)]
pub struct Remote {
    /// Its name and identity.
    pub peer: Peer,
    /// Its link address (`host:port`).
    pub addr: String,
}

/// Envelopes waiting for the dispatcher, at most.
const QUEUE: usize = 4096;

/// How long dialling a remote node may take.
const DIAL: Duration = Duration::from_secs(5);

/// Routes every non-local envelope of `node` to the remote node its target names, over a
/// link that proves `key`'s identity. An envelope for a node not in `remotes`, or one that
/// cannot be sent, is refused back to its sender as `EngineFailed`.
pub fn route_remote(
    node: &Node,
    key: Arc<dyn LinkKey>,
    remotes: Vec<Remote>,
) -> Result<(), RuntimeError> {
    let (tx, rx) = bounded(QUEUE);
    *lock(&node.router.remote) = Some(tx);
    let dispatcher = Dispatcher {
        router: node.router.clone(),
        key,
        remotes: remotes
            .into_iter()
            .map(|r| (r.peer.node.clone(), r))
            .collect(),
        from: node.engine("link")?,
        links: HashMap::new(),
    };
    std::thread::Builder::new()
        .name("link-dispatcher".into())
        .spawn(move || dispatcher.run(&rx))
        .map_err(|e| RuntimeError::Spawn(e.to_string()))?;
    Ok(())
}

/// Requests sent on a link and not yet answered, by (sender, correlation).
type Pending = Mutex<HashMap<(Address, CorrelationId), Envelope>>;

/// One dialled link: its client, whether its reader still runs, and what awaits a reply.
struct Dialled {
    client: Arc<Mutex<LinkClient>>,
    alive: Arc<AtomicBool>,
    pending: Arc<Pending>,
}

struct Dispatcher {
    router: Arc<Router>,
    key: Arc<dyn LinkKey>,
    remotes: BTreeMap<String, Remote>,
    /// The address this node's envelopes to remote engines are sent from, when they
    /// come from none of its engines (never, today; kept for refusals' sake).
    from: Address,
    links: HashMap<String, Dialled>,
}

impl Dispatcher {
    fn run(mut self, rx: &Receiver<Envelope>) {
        while let Ok(env) = rx.recv() {
            if !self.send(&env) {
                refuse(&self.router, env);
            }
        }
    }

    /// Sends `env` on the link to its target's node, dialling it if need be; `false` if
    /// it could not be sent.
    fn send(&mut self, env: &Envelope) -> bool {
        let Some(node) = env.target.as_str().split('/').next().map(str::to_string) else {
            return false;
        };
        let live = self
            .links
            .get(&node)
            .is_some_and(|d| d.alive.load(Ordering::SeqCst));
        if !live {
            match self.dial(&node) {
                Some(d) => {
                    self.links.insert(node.clone(), d);
                }
                None => return false,
            }
        }
        let Some(d) = self.links.get(&node) else {
            return false;
        };
        // Recorded before it leaves, so a reply can never overtake its record.
        let key = (env.sender.clone(), env.correlation);
        if env.message.is_request() {
            lock(&d.pending).insert(key.clone(), env.clone());
        }
        let sent = lock(&d.client).send(env.clone()).is_ok();
        if !sent {
            d.alive.store(false, Ordering::SeqCst);
            lock(&d.pending).remove(&key);
        }
        sent
    }

    fn dial(&self, node: &str) -> Option<Dialled> {
        let remote = self.remotes.get(node)?;
        let client = LinkClient::connect(
            remote.addr.as_str(),
            self.key.clone(),
            remote.peer.clone(),
            self.from.clone(),
            DIAL,
        )
        .ok()?;
        let mut reader = client.reader().ok()?;
        // Replies come when they come: the reader blocks on the stream, not on a deadline.
        reader.set_read_timeout(None).ok()?;
        let client = Arc::new(Mutex::new(client));
        let alive = Arc::new(AtomicBool::new(true));
        let pending = Arc::new(Pending::default());
        let link = Dialled {
            client: client.clone(),
            alive: alive.clone(),
            pending: pending.clone(),
        };
        let router = self.router.clone();
        std::thread::Builder::new()
            .name(format!("link-to-{node}"))
            .spawn(move || read_replies(&mut reader, &link, &router))
            .ok()?;
        Some(Dialled {
            client,
            alive,
            pending,
        })
    }
}

/// Answers an envelope that could not be sent, or whose link died before its reply came:
/// a request gets its `EngineFailed` reply, from the engine it was for; anything else is
/// counted as rejected.
fn refuse(router: &Router, env: Envelope) {
    match env.message.refusal(Refusal::EngineFailed) {
        Some(message) => {
            let reply = Envelope {
                sender: env.target,
                target: env.sender,
                correlation: env.correlation,
                message,
            };
            router.route(reply, &None);
        }
        None => {
            router.rejections.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Feeds the replies arriving on a dialled link into the router until the link fails;
/// then every request still waiting on it is refused, so each gets exactly one reply.
fn read_replies(stream: &mut TcpStream, link: &Dialled, router: &Router) {
    while let Ok(frame) = read_raw(stream, MAX_MESSAGE) {
        let Ok(delivered) = lock(&link.client).take(frame) else {
            break;
        };
        for env in delivered {
            // Only replies to what was sent here: this node serves requests on the links
            // it accepts, and a reply nobody waits for is not passed on.
            let waited = lock(&link.pending).remove(&(env.target.clone(), env.correlation));
            if waited.is_some() && !env.message.is_request() {
                router.route(env, &None);
            }
        }
    }
    link.alive.store(false, Ordering::SeqCst);
    let orphans: Vec<Envelope> = lock(&link.pending).drain().map(|(_, env)| env).collect();
    for env in orphans {
        refuse(router, env);
    }
}
