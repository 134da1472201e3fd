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

/// Why envelope bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes are not a canonical encoding of an envelope.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An address is empty, too long or has invalid characters.
    #[error(transparent)]
    Address(#[from] crate::address::InvalidAddress),
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

    /// Decodes and validates an envelope with the default limits.
    pub fn from_cbor(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        Self::from_cbor_with(bytes, Limits::DEFAULT)
    }

    /// Decodes and validates an envelope under the given limits.
    pub fn from_cbor_with(bytes: &[u8], limits: Limits) -> Result<Envelope, EnvelopeError> {
        let env: Envelope = codec::decode_with(bytes, limits)?;
        env.sender.validate()?;
        env.target.validate()?;
        Ok(env)
    }
}
