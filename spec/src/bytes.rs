//! Byte strings carried in messages, each a newtype whose `Debug` shows only its length.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! byte_newtype {
    ($(#[$meta:meta])* $name:ident, $show:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(#[serde(with = "serde_bytes")] pub Vec<u8>);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Contents stay out of logs; the length is enough to follow a trace.
                write!(f, concat!($show, "({} bytes)"), self.0.len())
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(bytes: Vec<u8>) -> Self {
                $name(bytes)
            }
        }
    };
}

byte_newtype!(
    /// Data to encrypt, or decrypted data.
    Plaintext,
    "Plaintext"
);
byte_newtype!(
    /// A sealed message, in the byte layout of the wire-format page.
    Ciphertext,
    "Ciphertext"
);
byte_newtype!(
    /// Opaque state a requester hands to an engine and gets back unchanged in the reply.
    ///
    /// The Encryption engine puts its pending request here, sealed under its
    /// cookie key, so that it keeps no per-request state.
    Continuation,
    "Continuation"
);

byte_newtype!(
    /// Data to sign, or whose commitment is checked.
    Signable,
    "Signable"
);
