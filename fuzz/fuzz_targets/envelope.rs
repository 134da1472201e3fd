//! Envelopes: the canonical CBOR decoder every transport uses.
//!
//! Properties: decoding never panics; a decoded envelope re-encodes to the
//! same bytes and decodes back to itself; the generic-value decoder accepts
//! whatever the typed one does and re-encodes it to the same bytes; tighter
//! limits never accept what the defaults refuse; a request has a refusal
//! reply and a reply has none.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::{canonical, round_trips};
use spec::codec::{self, Limits};
use spec::message::Refusal;
use spec::{Envelope, Message};

fuzz_target!(|data: &[u8]| {
    let value = codec::decode_value(data);
    if let Ok(v) = &value {
        // The prescan admits only canonical heads, so the generic value re-encodes exactly.
        assert_eq!(
            codec::encode(v),
            data,
            "decode_value accepted non-canonical bytes"
        );
    }
    let tight = Limits {
        max_bytes: data.len(),
        max_depth: usize::from(data.first().copied().unwrap_or(0) % 8),
    };
    let under_tight = Envelope::from_cbor_with(data, tight);
    let Some(env) = canonical::<Envelope>(data) else {
        assert!(
            under_tight.is_err(),
            "tighter limits accepted what the defaults refuse"
        );
        return;
    };
    assert!(value.is_ok(), "decode_value refused a valid envelope");
    if let Ok(t) = under_tight {
        assert_eq!(t, env);
    }
    assert_eq!(env.to_cbor(), data);
    assert_eq!(Envelope::from_cbor(data).as_ref(), Ok(&env));
    check_message(&env.message);
    for why in [Refusal::NotHandled, Refusal::EngineFailed] {
        if let Some(reply) = env.message.refusal(why) {
            let back = env.reply(reply);
            assert_eq!(back.sender, env.target);
            assert_eq!(back.target, env.sender);
            assert_eq!(back.correlation, env.correlation);
            round_trips(&back);
        }
    }
});

fn check_message(m: &Message) {
    let name = m.name();
    let fields = spec::message::message_fields(name).expect("every constructor has fields");
    if m.is_request() {
        assert!(name.starts_with("Request"));
        let reply = m.not_handled_reply().expect("a request has a refusal");
        assert!(!reply.is_request());
        assert_eq!(
            reply.name().strip_prefix("Reply"),
            name.strip_prefix("Request"),
            "a refusal is the request's own reply type"
        );
    } else {
        assert!(name.starts_with("Reply"));
        assert!(fields.contains(&"result"));
        assert!(m.not_handled_reply().is_none());
    }
}
