//! Every message body, error and vocabulary type, decoded directly by its own type.
//!
//! The first byte picks the type; the rest is decoded. A decoded value must
//! re-encode to the same bytes and decode back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealwright_fuzz::{canonical, split_selector};
use spec::error::{CiphertextFault, MalformedStatement};
use spec::message::*;
use spec::*;

macro_rules! decoders {
    ($($t:ty),* $(,)?) => {
        &[$(|d: &[u8]| { let _ = canonical::<$t>(d); }),*]
    };
}

const DECODERS: &[fn(&[u8])] = decoders![
    Message,
    RequestEncrypt,
    ReplyEncrypt,
    RequestReadsFor,
    ReplyReadsFor,
    RequestSubmitReadsForEvidence,
    ReplySubmitReadsForEvidence,
    RequestSubmitReadsForRevocation,
    ReplySubmitReadsForRevocation,
    RequestQueryReadsForEvidence,
    ReplyQueryReadsForEvidence,
    RequestDecryption,
    ReplyDecryption,
    RequestGenerateIdentity,
    ReplyGenerateIdentity,
    RequestConnectIdentity,
    ReplyConnectIdentity,
    RequestDeleteIdentity,
    ReplyDeleteIdentity,
    RequestDeriveZoneIdentity,
    ReplyDeriveZoneIdentity,
    RequestRotateIdentity,
    ReplyRotateIdentity,
    RequestGenerateKey,
    GeneratedKey,
    ReplyGenerateKey,
    RequestRotateKey,
    ReplyRotateKey,
    RequestDeleteKey,
    ReplyDeleteKey,
    EncryptionError,
    RelationError,
    DecryptionError,
    IdentityError,
    CiphertextFault,
    MalformedStatement,
    ExternalIdentity,
    IdentityId,
    KeyId,
    Address,
    CorrelationId,
    ReadsForEvidence,
    ReadsForRevocation,
    Plaintext,
    Ciphertext,
    Continuation,
    spec::effects::RejectReason,
    spec::effects::Rejection,
    // Appended, so the committed corpus keeps its selectors: the Naming engine's types.
    RequestResolveName,
    ReplyResolveName,
    RequestSubmitNameEvidence,
    ReplySubmitNameEvidence,
    RequestSubmitNameRevocation,
    ReplySubmitNameRevocation,
    RequestQueryNameEvidence,
    ReplyQueryNameEvidence,
    NamingError,
    IdentityName,
    NameEvidence,
    NameRevocation,
];

fuzz_target!(|data: &[u8]| {
    let (selector, body) = split_selector(data);
    DECODERS[usize::from(selector) % DECODERS.len()](body);
    // The whole input as a message, too: the enum covers every body.
    if let Some(m) = canonical::<Message>(data) {
        assert_eq!(m.is_request(), m.name().starts_with("Request"));
        assert_eq!(m.not_handled_reply().is_some(), m.is_request());
    }
});
