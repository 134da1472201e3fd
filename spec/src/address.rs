//! Engine addresses: the name an envelope's sender and target carry.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest address accepted, in bytes.
pub const MAX_ADDRESS_LEN: usize = 128;

/// An engine's address, such as `node-a/encryption` or `client-1`.
///
/// Addresses are plain names; a runtime maps them to mailboxes, the model to actors.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Address(String);

/// An address that is empty, too long, or holds characters outside `[A-Za-z0-9._/-]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid engine address: must be 1 to {MAX_ADDRESS_LEN} characters from [A-Za-z0-9._/-]")]
pub struct InvalidAddress;

impl Address {
    /// Makes an address after checking its length and characters.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidAddress> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= MAX_ADDRESS_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'));
        if ok {
            Ok(Address(name))
        } else {
            Err(InvalidAddress)
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.0
    }
}

impl TryFrom<String> for Address {
    type Error = InvalidAddress;
    fn try_from(name: String) -> Result<Self, InvalidAddress> {
        Address::new(name)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}
