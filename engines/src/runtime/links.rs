//! Envelopes between processes over links: a node serves its engines to the peers it
//! knows, and each request arrives under the sender address the link authenticated.
//!
//! A connection is a TCP stream of length-prefixed frames (at most one Noise message
//! each), driven through the link engine ([`crate::link`]). The responder's static DH and
//! proof are served by the node's vault ([`super::keys`]). Hostile peers cost one
//! connection each: a frame over the Noise limit, a handshake that does not finish within
//! its deadline, a silent peer past its idle deadline, or a connection over the cap is
//! closed, and no other connection waits for it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use spec::link::LinkRole;
use spec::message::Refusal;
use spec::{Address, CorrelationId, Envelope, Message};

use super::tcp::{FrameError, MAX_FRAME, read_raw, write_raw};
use super::{Client, Node};
use crate::link::connection::MAX_MESSAGE;
use crate::link::noise::{LinkKey, NoiseCrypto};
use crate::link::{Link, LinkFailure, LinkInput, LinkState, Peer, Phase};

/// How a node's links behave.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// The peers accepted.
    pub peers: Vec<Peer>,
    /// Which peers (by node name) each engine (by its short name) serves; an engine not
    /// listed serves every peer.
    pub serves: BTreeMap<String, BTreeSet<String>>,
    /// Connections open at once; more are closed as they arrive.
    pub max_connections: usize,
    /// A handshake must finish within this.
    pub handshake_deadline: Duration,
    /// A connected peer silent for this long is disconnected.
    pub idle_deadline: Duration,
    /// Largest envelope taken, in bytes.
    pub max_envelope: usize,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            peers: Vec::new(),
            serves: BTreeMap::new(),
            max_connections: 64,
            handshake_deadline: Duration::from_secs(5),
            idle_deadline: Duration::from_secs(300),
            max_envelope: MAX_FRAME,
        }
    }
}

/// What a gateway has seen.
#[derive(Debug, Default)]
pub struct LinkCounters {
    /// Connections accepted (under the cap).
    pub accepted: AtomicU64,
    /// Connections closed at once because the cap was reached.
    pub over_cap: AtomicU64,
    /// Links that reached `Connected`.
    pub connected: AtomicU64,
    /// Links closed by a failure (a refused handshake, a forged frame, a deadline, …).
    pub failed: AtomicU64,
    /// Requests answered.
    pub requests: AtomicU64,
}

/// A listening link gateway; [`LinkGateway::stop`] stops accepting.
pub struct LinkGateway {
    stop: Arc<AtomicBool>,
    local: SocketAddr,
    thread: Option<JoinHandle<()>>,
    counters: Arc<LinkCounters>,
}

impl LinkGateway {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// What it has seen so far.
    pub fn counters(&self) -> &LinkCounters {
        &self.counters
    }

    /// Stops accepting connections (open links run until their peers close them).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.local);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Everything one served connection shares with the gateway.
struct Served {
    node: Arc<Node>,
    key: Arc<dyn LinkKey>,
    settings: LinkSettings,
    counters: Arc<LinkCounters>,
    active: AtomicUsize,
}

/// Serves `node`'s engines on `addr` to the peers in `settings`, proving `key`'s identity.
pub fn serve_links(
    node: Arc<Node>,
    key: Arc<dyn LinkKey>,
    addr: impl ToSocketAddrs,
    settings: LinkSettings,
) -> io::Result<LinkGateway> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(LinkCounters::default());
    let served = Arc::new(Served {
        node,
        key,
        settings,
        counters: counters.clone(),
        active: AtomicUsize::new(0),
    });
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("link-gateway".into())
        .spawn(move || accept(&listener, &flag, &served))?;
    Ok(LinkGateway {
        stop,
        local,
        thread: Some(thread),
        counters,
    })
}

fn accept(listener: &TcpListener, stop: &AtomicBool, served: &Arc<Served>) {
    for (n, conn) in listener.incoming().enumerate() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = conn else { continue };
        // Take a place under the cap before spending a thread on the connection.
        if served.active.fetch_add(1, Ordering::SeqCst) >= served.settings.max_connections {
            served.active.fetch_sub(1, Ordering::SeqCst);
            served.counters.over_cap.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        served.counters.accepted.fetch_add(1, Ordering::Relaxed);
        let s = served.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("link-{n}"))
            .spawn(move || {
                let failed = serve_one(&s, stream).is_err();
                if failed {
                    s.counters.failed.fetch_add(1, Ordering::Relaxed);
                }
                s.active.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            served.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Why a served connection ended, when it did not end with the peer closing it.
#[derive(Debug)]
enum Ended {
    Io,
    Link,
}

/// Runs one responder link until the peer closes it or it fails.
fn serve_one(s: &Served, mut stream: TcpStream) -> Result<(), Ended> {
    stream
        .set_read_timeout(Some(s.settings.handshake_deadline))
        .map_err(|_| Ended::Io)?;
    let _ = stream.set_nodelay(true);
    let link = Link {
        role: LinkRole::Responder,
        peers: s.settings.peers.clone(),
        max_envelope: s.settings.max_envelope,
    };
    let mut state = LinkState::default();
    let mut crypto = NoiseCrypto::new(s.key.clone());
    let mut clients: HashMap<Address, Client> = HashMap::new();
    // Until connected, the whole handshake must finish by this instant, however slowly the
    // peer trickles its bytes; after, only silence past the idle deadline closes the link.
    let handshake_until = Instant::now() + s.settings.handshake_deadline;
    loop {
        let read = if state.phase == Phase::Connected {
            read_raw(&mut stream, MAX_MESSAGE)
        } else {
            read_raw(&mut Until(&stream, handshake_until), MAX_MESSAGE)
        };
        let frame = match read {
            Ok(f) => f,
            Err(FrameError::Closed) => return Ok(()),
            Err(_) => return Err(Ended::Io),
        };
        let fx = link.step(&mut state, &mut crypto, &LinkInput::Frame(frame));
        for f in &fx.frames {
            write_raw(&mut stream, f).map_err(|_| Ended::Io)?;
        }
        if fx.closed.is_some() {
            return Err(Ended::Link);
        }
        if fx.from != Phase::Connected && fx.to == Phase::Connected {
            s.counters.connected.fetch_add(1, Ordering::Relaxed);
            stream
                .set_read_timeout(Some(s.settings.idle_deadline))
                .map_err(|_| Ended::Io)?;
        }
        let peer = state.peer.clone();
        for env in fx.delivered {
            let Some(reply) = peer.as_ref().and_then(|p| answer(s, &mut clients, p, env)) else {
                continue;
            };
            s.counters.requests.fetch_add(1, Ordering::Relaxed);
            let fx = link.step(&mut state, &mut crypto, &LinkInput::Send(Box::new(reply)));
            for f in &fx.frames {
                write_raw(&mut stream, f).map_err(|_| Ended::Io)?;
            }
        }
    }
}

/// A stream read against an absolute deadline: each read may wait only for what is left.
struct Until<'a>(&'a TcpStream, Instant);

impl io::Read for Until<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.1.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.0.set_read_timeout(Some(left))?;
        let mut stream = self.0;
        stream.read(buf)
    }
}

/// The reply to one request a peer sent; `None` for anything that is not a request.
fn answer(
    s: &Served,
    clients: &mut HashMap<Address, Client>,
    peer: &Peer,
    env: Envelope,
) -> Option<Envelope> {
    if !env.message.is_request() {
        return None;
    }
    let engine = env
        .target
        .as_str()
        .strip_prefix(s.node.name())
        .and_then(|rest| rest.strip_prefix('/'));
    let served_here = s.node.runs(&env.target)
        && engine.is_some_and(|e| {
            s.settings
                .serves
                .get(e)
                .is_none_or(|nodes| nodes.contains(&peer.node))
        });
    let (sender, message) = if !served_here {
        // Not an engine of this node, or one that does not serve this peer: the link
        // itself refuses, from an address of this node.
        let link = s.node.engine("link").ok()?;
        (link, env.message.refusal(Refusal::NotHandled)?)
    } else {
        let reply = client_for(s, clients, &env.sender)
            .and_then(|c| c.request(&env.target, env.message.clone()).ok());
        match reply {
            Some(r) => (r.sender, r.message),
            None => (
                env.target.clone(),
                env.message.refusal(Refusal::EngineFailed)?,
            ),
        }
    };
    Some(Envelope {
        sender,
        target: env.sender,
        correlation: env.correlation,
        message,
    })
}

/// The node client speaking for `sender` on this connection (attached on first use).
fn client_for<'a>(
    s: &Served,
    clients: &'a mut HashMap<Address, Client>,
    sender: &Address,
) -> Option<&'a Client> {
    if !clients.contains_key(sender) {
        let client = s.node.attach(sender.clone()).ok()?;
        clients.insert(sender.clone(), client);
    }
    clients.get(sender)
}

/// Why a link client failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The TCP connection failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// A frame could not be read.
    #[error("frame: {0}")]
    Frame(#[from] FrameError),
    /// The link closed.
    #[error("the link closed: {0}")]
    Closed(LinkFailure),
}

/// A client of a remote node over a link, speaking as one address of its own node.
pub struct LinkClient {
    stream: TcpStream,
    link: Link,
    state: LinkState<snow::HandshakeState, snow::TransportState>,
    crypto: NoiseCrypto,
    address: Address,
    next: u64,
}

impl LinkClient {
    /// Dials `server` at `addr`, proves `key`'s identity, and speaks as `address` (which
    /// must belong to the node `key` proves, as the server's registry names it).
    pub fn connect(
        addr: impl ToSocketAddrs,
        key: Arc<dyn LinkKey>,
        server: Peer,
        address: Address,
        deadline: Duration,
    ) -> Result<Self, LinkError> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(deadline))?;
        let _ = stream.set_nodelay(true);
        let mut c = LinkClient {
            stream,
            link: Link {
                role: LinkRole::Initiator,
                peers: vec![server],
                max_envelope: MAX_FRAME,
            },
            state: LinkState::default(),
            crypto: NoiseCrypto::new(key),
            address,
            next: 1,
        };
        c.step(LinkInput::Open)?;
        while c.state.phase != Phase::Connected {
            let frame = read_raw(&mut c.stream, MAX_MESSAGE)?;
            c.step(LinkInput::Frame(frame))?;
        }
        Ok(c)
    }

    /// The peer this link proved.
    pub fn peer(&self) -> Option<&Peer> {
        self.state.peer.as_ref()
    }

    fn step(&mut self, input: LinkInput) -> Result<Vec<Envelope>, LinkError> {
        let fx = self.link.step(&mut self.state, &mut self.crypto, &input);
        for f in &fx.frames {
            write_raw(&mut self.stream, f)?;
        }
        match fx.closed {
            Some(why) => Err(LinkError::Closed(why)),
            None => Ok(fx.delivered),
        }
    }

    /// The address this client speaks as.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Reads one frame and returns the envelopes it completes (often none, or one).
    pub fn receive(&mut self) -> Result<Vec<Envelope>, LinkError> {
        let frame = read_raw(&mut self.stream, MAX_MESSAGE)?;
        self.step(LinkInput::Frame(frame))
    }

    /// Sends one envelope without waiting for anything.
    pub fn send(&mut self, env: Envelope) -> Result<(), LinkError> {
        self.step(LinkInput::Send(Box::new(env))).map(|_| ())
    }

    /// Takes one frame read from this link's stream: the envelopes it completes.
    pub fn take(&mut self, frame: Vec<u8>) -> Result<Vec<Envelope>, LinkError> {
        self.step(LinkInput::Frame(frame))
    }

    /// Another handle on the link's TCP stream, to read frames from without the link.
    pub fn reader(&self) -> io::Result<TcpStream> {
        self.stream.try_clone()
    }

    /// Sends a request and waits for its reply.
    pub fn request(
        &mut self,
        target: &Address,
        message: impl Into<Message>,
    ) -> Result<Envelope, LinkError> {
        let correlation = CorrelationId(self.next);
        self.next += 1;
        let env = Envelope {
            sender: self.address.clone(),
            target: target.clone(),
            correlation,
            message: message.into(),
        };
        self.step(LinkInput::Send(Box::new(env)))?;
        loop {
            let frame = read_raw(&mut self.stream, MAX_MESSAGE)?;
            for reply in self.step(LinkInput::Frame(frame))? {
                if reply.correlation == correlation {
                    return Ok(reply);
                }
            }
        }
    }
}
