//! Envelopes between processes: length-prefixed CBOR frames over TCP.
//!
//! A frame is a 4-byte big-endian length followed by that many bytes of one canonical
//! CBOR envelope. Lengths above [`MAX_FRAME`] are refused before anything is allocated.
//! [`serve`] accepts connections and hands each request to the local node as if a local
//! client had sent it — under an address derived from the connection, because a remote
//! peer's claimed sender is not authenticated — and writes the reply back as a frame.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use spec::codec::{DecodeError, Limits};
use spec::{Address, CorrelationId, Envelope, Message};

use super::{Node, RuntimeError};

/// Largest frame accepted, in bytes.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection between frames.
    #[error("connection closed")]
    Closed,
    /// The length prefix exceeds the limit ([`MAX_FRAME`] for envelopes).
    #[error("frame of {0} bytes exceeds the limit")]
    TooLarge(u64),
    /// The frame is not a canonical envelope.
    #[error("bad envelope: {0}")]
    Decode(#[from] DecodeError),
    /// Reading or writing failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
}

/// Writes one envelope as a frame.
pub fn write_frame(out: &mut impl Write, env: &Envelope) -> io::Result<()> {
    write_raw(out, &env.to_cbor())
}

/// Writes `bytes` as one length-prefixed frame.
pub fn write_raw(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    // Frames we write are far below 4 GiB; refuse rather than truncate if one is not.
    let len = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too large for a frame"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(bytes)?;
    out.flush()
}

/// Reads one frame and decodes its envelope.
pub fn read_frame(input: &mut impl Read) -> Result<Envelope, FrameError> {
    let bytes = read_raw(input, MAX_FRAME)?;
    let limits = Limits {
        max_bytes: MAX_FRAME,
        ..Limits::DEFAULT
    };
    Ok(Envelope::from_cbor_with(&bytes, limits)?)
}

/// Reads one length-prefixed frame of at most `max` bytes; a longer claim is refused before
/// anything is allocated.
pub fn read_raw(input: &mut impl Read, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u64::from(u32::from_be_bytes(len));
    if len > max as u64 {
        return Err(FrameError::TooLarge(len));
    }
    // Grow with the bytes that actually arrive: a 4-byte claim alone allocates nothing.
    let mut bytes = Vec::new();
    input.take(len).read_to_end(&mut bytes)?;
    if (bytes.len() as u64) < len {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    Ok(bytes)
}

/// A listening gateway; dropping it does not stop it, [`Gateway::stop`] does.
pub struct Gateway {
    stop: Arc<AtomicBool>,
    local: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Gateway {
    /// The address it listens on.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local
    }

    /// Stops accepting connections.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.local);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `node` on `addr`: every request frame is answered with a reply frame.
pub fn serve(node: Arc<Node>, addr: impl ToSocketAddrs) -> io::Result<Gateway> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("tcp-gateway".into())
        .spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let node = node.clone();
                let _ = std::thread::Builder::new()
                    .name(format!("tcp-conn-{n}"))
                    .spawn(move || connection(&node, stream, n));
            }
        })?;
    Ok(Gateway {
        stop,
        local,
        thread: Some(thread),
    })
}

fn connection(node: &Node, stream: TcpStream, n: usize) {
    let Ok(client) = node.client(&format!("tcp-{n}")) else {
        return;
    };
    let Ok(mut reader) = stream.try_clone() else {
        return;
    };
    let mut writer = stream;
    loop {
        let env = match read_frame(&mut reader) {
            Ok(env) => env,
            // A peer that sends garbage is disconnected; nothing else is affected.
            Err(_) => return,
        };
        if !env.message.is_request() {
            continue;
        }
        let remote = (env.sender.clone(), env.correlation);
        let reply = match client.request(&env.target, env.message.clone()) {
            Ok(reply) => reply.message,
            Err(_) => match env.message.refusal(spec::message::Refusal::EngineFailed) {
                Some(m) => m,
                None => continue,
            },
        };
        let out = Envelope {
            sender: env.target,
            target: remote.0,
            correlation: remote.1,
            message: reply,
        };
        if write_frame(&mut writer, &out).is_err() {
            return;
        }
    }
}

/// A client of a remote node.
pub struct RemoteClient {
    stream: TcpStream,
    address: Address,
    next: u64,
}

impl RemoteClient {
    /// Connects to a node served at `addr`, speaking as `address`.
    pub fn connect(addr: impl ToSocketAddrs, address: Address) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(RemoteClient {
            stream,
            address,
            next: 1,
        })
    }

    /// Sends a request and waits for its reply.
    pub fn request(
        &mut self,
        target: &Address,
        message: impl Into<Message>,
    ) -> Result<Envelope, RemoteError> {
        let correlation = CorrelationId(self.next);
        self.next += 1;
        let env = Envelope {
            sender: self.address.clone(),
            target: target.clone(),
            correlation,
            message: message.into(),
        };
        write_frame(&mut self.stream, &env).map_err(FrameError::from)?;
        loop {
            let reply = read_frame(&mut self.stream)?;
            if reply.correlation == correlation {
                return Ok(reply);
            }
        }
    }
}

/// Why a remote request failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The transport failed.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The node refused.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}
