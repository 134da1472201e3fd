//! `sealwright validate` on traces whose randomness was not recorded: each row takes a trace
//! (a load run's, or a Verification engine's), strips the random bytes of some instances'
//! steps, perhaps changes one value made from randomness, and says what validation must
//! answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::traces::{rewritten_from, trace, validate_bytes, verification_trace};
use engines::backend::Backend;
use engines::backend::hpke::HpkeBackend;
use engines::runtime::trace::Record;
use spec::message::{Continuation, Message, Plaintext};
use spec::{CorrelationId, ExternalIdentity};

/// A value made from randomness, changed the way a faulty runtime might.
#[derive(Clone, Copy)]
enum Change {
    /// Nothing: the stripped trace as recorded.
    None,
    /// The first direct ciphertext re-sealed, by other randomness, to the same recipient.
    Resealed,
    /// The same, with a byte of plaintext changed.
    OtherPlaintext,
    /// The same plaintext, sealed to the recipient and one more identity.
    ExtraRecipient,
    /// The first direct ciphertext cut inside its header.
    CutHeader,
    /// A byte flipped in the first direct ciphertext's wrapped content key.
    Unwrappable,
    /// A byte flipped in the first continuation's sealed part (its correlation kept true).
    Continuation,
    /// The first query's correlation id, off by one.
    Correlation,
}

struct Row {
    what: &'static str,
    /// The trace.
    trace: fn() -> &'static [u8],
    /// Instances whose steps lose their random bytes (by name prefix).
    strip: &'static [&'static str],
    change: Change,
    /// `None`: validates; `Some(text)`: refused, and the output says `text`.
    refused: Option<&'static str>,
}

const ROWS: &[Row] = &[
    Row {
        trace,
        what: "encryption steps without randomness are checked by meaning",
        strip: &["encryption-"],
        change: Change::None,
        refused: None,
    },
    Row {
        trace,
        what: "a ciphertext made with other randomness, to the same reader, of the same data",
        strip: &["encryption-"],
        change: Change::Resealed,
        refused: None,
    },
    Row {
        trace,
        what: "randomness that makes the vault's keys cannot go unrecorded",
        strip: &["vault"],
        change: Change::None,
        refused: Some("its randomness was not recorded, and it changes the engine's state"),
    },
    Row {
        trace,
        what: "a ciphertext of other data",
        strip: &["encryption-"],
        change: Change::OtherPlaintext,
        refused: Some("opens to another plaintext"),
    },
    Row {
        trace,
        what: "a ciphertext for one reader too many",
        strip: &["encryption-"],
        change: Change::ExtraRecipient,
        refused: Some("the ciphertext is for ["),
    },
    Row {
        trace,
        what: "a ciphertext cut inside its header",
        strip: &["encryption-"],
        change: Change::CutHeader,
        refused: Some("the ciphertext's header does not parse"),
    },
    Row {
        trace,
        what: "a ciphertext whose wrapped key does not unwrap",
        strip: &["encryption-"],
        change: Change::Unwrappable,
        refused: Some("the ciphertext does not open"),
    },
    Row {
        trace,
        what: "a continuation that does not open",
        strip: &["encryption-"],
        change: Change::Continuation,
        refused: Some("the continuation does not open to the pending request"),
    },
    Row {
        trace,
        what: "a query whose correlation id is not its continuation's",
        strip: &["encryption-"],
        change: Change::Correlation,
        refused: Some("but the continuation gives"),
    },
    Row {
        trace,
        what: "a changed ciphertext is refused when its randomness is recorded",
        strip: &[],
        change: Change::Resealed,
        refused: Some("the effects differ"),
    },
    Row {
        trace: verification_trace,
        what: "verification steps without randomness are checked by meaning",
        strip: &["verification-"],
        change: Change::None,
        refused: None,
    },
    Row {
        trace: verification_trace,
        what: "the verification trace as recorded",
        strip: &[],
        change: Change::None,
        refused: None,
    },
    Row {
        trace: verification_trace,
        what: "a verification continuation that does not open",
        strip: &["verification-"],
        change: Change::Continuation,
        refused: Some("the continuation does not open to the pending request"),
    },
    Row {
        trace: verification_trace,
        what: "a signs-for query whose correlation id is not its continuation's",
        strip: &["verification-"],
        change: Change::Correlation,
        refused: Some("but the continuation gives"),
    },
    Row {
        trace: verification_trace,
        what: "a changed verification continuation is refused when its randomness is recorded",
        strip: &[],
        change: Change::Continuation,
        refused: Some("the effects differ"),
    },
];

#[test]
fn a_trace_without_randomness_is_checked_by_what_its_values_mean() {
    for (i, row) in ROWS.iter().enumerate() {
        let bytes = rewritten_from((row.trace)(), |records| {
            for r in records.iter_mut() {
                if let Record::Step {
                    instance, random, ..
                } = r
                    && row.strip.iter().any(|p| instance.starts_with(p))
                {
                    *random = None;
                }
            }
            let changed = records.iter_mut().any(|r| change(r, row.change));
            assert!(
                changed || matches!(row.change, Change::None),
                "{}",
                row.what
            );
        });
        let out = validate_bytes(&format!("meaning-{i}"), &bytes);
        let stdout = String::from_utf8_lossy(&out.stdout);
        match row.refused {
            None => {
                assert!(out.status.success(), "{}: {stdout}", row.what);
                let by_meaning = !row.strip.is_empty();
                assert_eq!(
                    stdout.contains("were checked by what they open to"),
                    by_meaning,
                    "{}: {stdout}",
                    row.what
                );
            }
            Some(says) => {
                assert_eq!(out.status.code(), Some(1), "{}: {stdout}", row.what);
                assert!(stdout.contains(says), "{}: {stdout}", row.what);
                assert!(stdout.contains("```mermaid"), "{}: {stdout}", row.what);
            }
        }
    }
}

/// Applies `change` to `record` if it is the kind of step the change is for.
fn change(record: &mut Record, change: Change) -> bool {
    let Record::Step {
        input,
        send,
        handler,
        ..
    } = record
    else {
        return false;
    };
    let Some(sent) = send.first_mut() else {
        return false;
    };
    match (change, handler.as_str(), &input.message, &mut sent.message) {
        (
            Change::Resealed | Change::OtherPlaintext | Change::ExtraRecipient,
            "seal-directly",
            Message::RequestEncrypt(req),
            Message::ReplyEncrypt(reply),
        ) if reply.result.is_ok() => {
            let mut data = req.data.0.clone();
            let mut to = vec![req.external_identity.clone()];
            match change {
                Change::OtherPlaintext => data.push(b'!'),
                Change::ExtraRecipient => to.push(stranger()),
                _ => {}
            }
            reply.result = HpkeBackend::new().seal(&to, &Plaintext(data).0);
            true
        }
        (
            Change::CutHeader | Change::Unwrappable,
            "seal-directly",
            _,
            Message::ReplyEncrypt(reply),
        ) => {
            let Ok(ciphertext) = &mut reply.result else {
                return false;
            };
            match change {
                Change::CutHeader => ciphertext.0.truncate(12),
                // Prefix (9), identity id (20), key id (8), enc (32): then the wrapped key.
                _ => ciphertext.0[9 + 20 + 8 + 32 + 4] ^= 1,
            }
            true
        }
        (Change::Continuation, "query-reads-for" | "query-signs-for", _, query) => {
            let Some(Some(c)) = continuation(query) else {
                return false;
            };
            let last = c.0.len() - 1;
            c.0[last] ^= 1;
            true
        }
        (
            Change::Correlation,
            "query-reads-for" | "query-signs-for",
            _,
            Message::RequestQueryReadsForEvidence(_) | Message::RequestQuerySignsForEvidence(_),
        ) => {
            sent.correlation = CorrelationId(sent.correlation.0.wrapping_add(1));
            true
        }
        _ => false,
    }
}

/// The continuation of a stateless engine's query (Encryption's or Verification's).
fn continuation(m: &mut Message) -> Option<&mut Option<Continuation>> {
    match m {
        Message::RequestQueryReadsForEvidence(q) => Some(&mut q.continuation),
        Message::RequestQuerySignsForEvidence(q) => Some(&mut q.continuation),
        _ => None,
    }
}

/// An identity no vault in the trace knows.
fn stranger() -> ExternalIdentity {
    HpkeBackend::new().generate_identity().external
}
