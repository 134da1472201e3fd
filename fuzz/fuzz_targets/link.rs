//! The link engine's handshake and transport decoders, over real Noise (`snow`).
//!
//! The input is cut into frames (a length byte, then that many bytes; the last frame takes
//! the rest). The frames go to a fresh responder (from `Ready`), to an initiator that has
//! opened (from `Initiating`), and the whole input to the proof decoder. Invariants:
//! nothing panics; a frame over the Noise limit is refused as such; a link that closed
//! takes nothing more and writes nothing; no frame delivers an envelope (no input can
//! finish a handshake without the peer's keys); a proof that decodes writes back as the
//! same bytes.
#![no_main]

use std::sync::Arc;

use engines::Backend;
use engines::backend::seeded::SeededBackend;
use engines::link::noise::NoiseCrypto;
use engines::link::{Link, LinkFailure, LinkInput, LinkState, Peer, Phase};
use libfuzzer_sys::fuzz_target;
use spec::link::{LinkProof, LinkRole};

fn frames(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        // A length byte of 255 means "all the rest", so big frames are reachable too.
        let n = if len == 255 { tail.len() } else { usize::from(len).min(tail.len()) };
        out.push(tail[..n].to_vec());
        rest = &tail[n..];
        if out.len() >= 16 {
            break;
        }
    }
    out
}

fn drive(role: LinkRole, frames: &[Vec<u8>]) {
    let mut backend = SeededBackend::new(7);
    let (me, them) = (backend.generate_identity(), backend.generate_identity());
    let link = Link {
        role,
        peers: vec![Peer {
            node: "peer".into(),
            identity: them.external.clone(),
        }],
        max_envelope: 1 << 16,
    };
    let mut crypto = NoiseCrypto::new(Arc::new(me));
    let mut state = LinkState::default();
    if role == LinkRole::Initiator {
        let fx = link.step(&mut state, &mut crypto, &LinkInput::Open);
        assert_eq!(fx.to, Phase::Initiating);
    }
    for frame in frames {
        let was = state.phase;
        let fx = link.step(&mut state, &mut crypto, &LinkInput::Frame(frame.clone()));
        assert!(fx.delivered.is_empty(), "delivered without the peer's keys");
        if was == Phase::Closed {
            assert!(fx.frames.is_empty() && fx.closed.is_none(), "a closed link acted");
        }
        if frame.len() > 65535 && was != Phase::Closed {
            assert!(matches!(fx.closed, Some(LinkFailure::FrameTooLarge(_))));
        }
        if fx.closed.is_some() {
            assert_eq!(state.phase, Phase::Closed);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let frames = frames(data);
    drive(LinkRole::Responder, &frames);
    drive(LinkRole::Initiator, &frames);
    if let Ok(proof) = LinkProof::from_cbor(data) {
        assert_eq!(proof.to_cbor(), data, "a proof does not write back as read");
    }
});
