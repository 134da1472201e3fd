//! The TCP frame reader (`runtime::tcp::read_frame`): a 4-byte length, then one envelope.
//!
//! Frames are read from the input until the first error, once from a slice
//! and once trickled in uneven reads; both must read the same envelopes, and
//! each envelope read must write back as exactly the frame bytes it came from.
#![no_main]

use std::io::{Cursor, Read};

use engines::runtime::tcp::{FrameError, read_frame, write_frame};
use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::{Trickle, split_selector};
use spec::Envelope;

/// Reads frames until the first error; returns them and a summary of how it stopped.
fn frames(input: &mut impl Read) -> (Vec<Envelope>, String) {
    let mut out = Vec::new();
    for _ in 0..64 {
        match read_frame(input) {
            Ok(env) => out.push(env),
            Err(FrameError::Io(e)) => return (out, format!("io {:?}", e.kind())),
            Err(e) => return (out, e.to_string()),
        }
    }
    (out, "limit".into())
}

fuzz_target!(|data: &[u8]| {
    let (step, body) = split_selector(data);
    let mut cursor = Cursor::new(body);
    let (whole, stop) = frames(&mut cursor);
    let (trickled, stop2) = frames(&mut Trickle::new(body, &[step % 13, 1, step / 13]));
    assert_eq!(whole, trickled, "reading in pieces changed the frames read");
    assert_eq!(stop, stop2, "reading in pieces changed how reading stopped");
    // The frames read are a prefix of the input, byte for byte.
    let mut written = Vec::new();
    for env in &whole {
        write_frame(&mut written, env).expect("writes to a Vec");
    }
    assert!(
        body.starts_with(&written),
        "a frame does not write back as read"
    );
});
