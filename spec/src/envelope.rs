//! The envelope every message travels in.

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::codec::{self, DecodeError, Limits};
use crate::message::Message;

/// Pairs a request with its reply; unique per requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CorrelationId(pub u64);

/// A message with its sender, target and correlation id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    /// Who sent it; replies go here.
    pub sender: Address,
    /// Who it is for.
    pub target: Address,
    /// The request's correlation id; a reply carries its request's.
    pub correlation: CorrelationId,
    /// The message.
    pub message: Message,
}

impl Envelope {
    /// The reply to this envelope: from its target back to its sender, same correlation.
    pub fn reply(&self, message: impl Into<Message>) -> Envelope {
        Envelope {
            sender: self.target.clone(),
            target: self.sender.clone(),
            correlation: self.correlation,
            message: message.into(),
        }
    }

    /// Encodes the envelope in canonical CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes an envelope with the default limits (addresses are checked while decoding).
    pub fn from_cbor(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        Self::from_cbor_with(bytes, Limits::DEFAULT)
    }

    /// Decodes an envelope under the given limits.
    pub fn from_cbor_with(bytes: &[u8], limits: Limits) -> Result<Envelope, DecodeError> {
        codec::decode_with(bytes, limits)
    }
}
