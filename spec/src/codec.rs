//! The canonical CBOR codec: serde + ciborium, with limits and a canonical-form check.
//!
//! Canonical form is what [`encode`] writes: definite lengths, shortest
//! integer and length heads, struct fields as maps in declaration order,
//! byte fields as byte strings, and no tags or floats. [`decode`] accepts only
//! that form: it first walks the item heads (bounding every length by the
//! bytes that remain and the nesting by [`Limits::max_depth`], so a hostile
//! length cannot make it allocate), then decodes, re-encodes and compares.
//! Every value therefore has exactly one encoding, which is what signatures
//! and identity ids are computed over.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Bounds applied while decoding untrusted bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest encoded item accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and maps accepted.
    pub max_depth: usize,
}

impl Limits {
    /// The default limits: 16 MiB and 32 levels.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 16 * 1024 * 1024,
        max_depth: 32,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why bytes were refused by [`decode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is longer than [`Limits::max_bytes`].
    #[error("input of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input ends inside an item, or a length claims more bytes than remain.
    #[error("truncated input: item at byte {offset} needs {needed} more bytes than remain")]
    Truncated {
        /// Offset of the item's head.
        offset: usize,
        /// How many bytes it claims beyond the end (saturating).
        needed: u64,
    },
    /// Arrays and maps nest deeper than [`Limits::max_depth`].
    #[error("nesting deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// Offset of the item that went too deep.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// A head is not in its shortest form, or a length is indefinite.
    #[error("non-canonical encoding at byte {offset}: {what}")]
    NonCanonical {
        /// Offset of the offending head.
        offset: usize,
        /// What is wrong with it.
        what: &'static str,
    },
    /// An item kind the wire format never uses (tags, floats, undefined, reserved values).
    #[error("unsupported CBOR item at byte {offset}: {what}")]
    Unsupported {
        /// Offset of the item.
        offset: usize,
        /// What it is.
        what: &'static str,
    },
    /// Bytes follow the single top-level item.
    #[error("{count} trailing bytes after the item")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// Well-formed CBOR that does not match the expected type (wrong type, unknown variant or field, bad UTF-8).
    #[error("does not match the schema: {0}")]
    Schema(String),
    /// Decodes, but its fields are not in canonical order or form.
    #[error("valid but not canonical: re-encoding gives different bytes")]
    NotReencodable,
}

/// Encodes a value in canonical form.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    to_canonical(value)
}

/// Encodes a value in canonical form (the bytes that are hashed and signed).
pub(crate) fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every wire type's Serialize is
    // derived and infallible; a failure here is a bug in this crate.
    #[allow(clippy::expect_used)]
    ciborium::into_writer(value, &mut out).expect("wire types always encode");
    out
}

/// Decodes canonical bytes with the default [`Limits`].
pub fn decode<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_with(bytes, Limits::DEFAULT)
}

/// Decodes canonical bytes under the given limits.
pub fn decode_with<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
    limits: Limits,
) -> Result<T, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let end = scan_item(bytes, 0, 0, limits.max_depth)?;
    if end != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            count: bytes.len() - end,
        });
    }
    let value: T = ciborium::de::from_reader_with_recursion_limit(bytes, limits.max_depth + 2)
        .map_err(|e| DecodeError::Schema(describe(e)))?;
    if to_canonical(&value) != bytes {
        return Err(DecodeError::NotReencodable);
    }
    Ok(value)
}

/// The length of the first item of a CBOR sequence (RFC 8742), checked as [`decode`]
/// checks an item's heads; the bytes after it are the rest of the sequence.
pub fn item_len(bytes: &[u8], limits: Limits) -> Result<usize, DecodeError> {
    let window = &bytes[..bytes.len().min(limits.max_bytes)];
    scan_item(window, 0, 0, limits.max_depth)
}

/// Decodes canonical-limits-checked bytes into a generic CBOR value (for inspection, not trust).
pub fn decode_value(bytes: &[u8]) -> Result<ciborium::Value, DecodeError> {
    let max = Limits::DEFAULT.max_bytes;
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
    let end = scan_item(bytes, 0, 0, Limits::DEFAULT.max_depth)?;
    if end != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            count: bytes.len() - end,
        });
    }
    ciborium::de::from_reader_with_recursion_limit(bytes, Limits::DEFAULT.max_depth + 2)
        .map_err(|e| DecodeError::Schema(describe(e)))
}

fn describe(err: ciborium::de::Error<std::io::Error>) -> String {
    let text = match err {
        ciborium::de::Error::Io(e) => format!("i/o: {e}"),
        ciborium::de::Error::Syntax(at) => format!("syntax error at byte {at}"),
        ciborium::de::Error::Semantic(at, msg) => match at {
            Some(at) => format!("{msg} (at byte {at})"),
            None => msg,
        },
        ciborium::de::Error::RecursionLimitExceeded => "recursion limit exceeded".into(),
    };
    // serde echoes names from the input (e.g. an unknown variant); keep errors short.
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// A decoded item head: major type, argument, and the offset after the head.
struct Head {
    major: u8,
    info: u8,
    arg: u64,
    next: usize,
}

fn read_head(bytes: &[u8], offset: usize) -> Result<Head, DecodeError> {
    let truncated = |needed: u64| DecodeError::Truncated { offset, needed };
    let &first = bytes.get(offset).ok_or_else(|| truncated(1))?;
    let major = first >> 5;
    let info = first & 0x1f;
    let width = match info {
        0..=23 => 0usize,
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        31 => {
            return Err(DecodeError::NonCanonical {
                offset,
                what: "indefinite length",
            });
        }
        _ => {
            return Err(DecodeError::Unsupported {
                offset,
                what: "reserved additional information",
            });
        }
    };
    let start = offset + 1;
    let arg_bytes = bytes
        .get(start..start + width)
        .ok_or_else(|| truncated((start + width).saturating_sub(bytes.len()) as u64))?;
    let arg = if width == 0 {
        u64::from(info)
    } else {
        arg_bytes
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    };
    // Shortest form: each width is used only when the narrower one cannot hold the value.
    let minimum = match width {
        1 => 24,
        2 => 1 << 8,
        4 => 1 << 16,
        8 => 1 << 32,
        _ => 0,
    };
    if major != 7 && arg < minimum {
        return Err(DecodeError::NonCanonical {
            offset,
            what: "integer or length not in its shortest form",
        });
    }
    Ok(Head {
        major,
        info,
        arg,
        next: start + width,
    })
}

/// Walks one item, returning the offset just past it.
fn scan_item(
    bytes: &[u8],
    offset: usize,
    depth: usize,
    max_depth: usize,
) -> Result<usize, DecodeError> {
    let head = read_head(bytes, offset)?;
    let remaining = (bytes.len() - head.next) as u64;
    match head.major {
        0 | 1 => Ok(head.next),
        2 | 3 => {
            if head.arg > remaining {
                return Err(DecodeError::Truncated {
                    offset,
                    needed: head.arg - remaining,
                });
            }
            // arg <= remaining <= usize::MAX, so the cast is exact.
            Ok(head.next + head.arg as usize)
        }
        4 | 5 => {
            if depth >= max_depth {
                return Err(DecodeError::TooDeep {
                    offset,
                    max: max_depth,
                });
            }
            let per_entry = if head.major == 5 { 2 } else { 1 };
            let items = head.arg.saturating_mul(per_entry);
            // Every item takes at least one byte: a count beyond that is a lie.
            if items > remaining {
                return Err(DecodeError::Truncated {
                    offset,
                    needed: items - remaining,
                });
            }
            let mut at = head.next;
            for _ in 0..items {
                at = scan_item(bytes, at, depth + 1, max_depth)?;
            }
            Ok(at)
        }
        6 => Err(DecodeError::Unsupported {
            offset,
            what: "tag",
        }),
        _ => match head.info {
            20..=22 => Ok(head.next),
            25..=27 => Err(DecodeError::Unsupported {
                offset,
                what: "floating-point number",
            }),
            _ => Err(DecodeError::Unsupported {
                offset,
                what: "simple value other than false, true, null",
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        n: u64,
        #[serde(with = "serde_bytes")]
        b: Vec<u8>,
        flag: bool,
    }

    fn sample() -> Sample {
        Sample {
            n: 300,
            b: vec![1, 2, 3],
            flag: true,
        }
    }

    #[test]
    fn round_trips() {
        let bytes = encode(&sample());
        assert_eq!(decode::<Sample>(&bytes), Ok(sample()));
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            assert!(decode::<Sample>(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = encode(&sample());
        bytes.push(0);
        assert_eq!(
            decode::<Sample>(&bytes),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
    }

    #[test]
    fn non_shortest_integer_is_refused() {
        // 0x19 0x00 0x05 is 5 written in two bytes.
        assert!(matches!(
            decode::<u64>(&[0x19, 0x00, 0x05]),
            Err(DecodeError::NonCanonical { .. })
        ));
        assert_eq!(decode::<u64>(&[0x05]), Ok(5));
    }

    #[test]
    fn huge_byte_string_length_does_not_allocate() {
        // A byte string claiming 2^63 bytes, followed by nothing.
        let bytes = [0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            decode::<serde_bytes::ByteBuf>(&bytes),
            Err(DecodeError::Truncated { .. })
        ));
        // An array claiming 2^32 elements.
        let bytes = [0x9b, 0, 0, 0, 1, 0, 0, 0, 0];
        assert!(matches!(
            decode::<Vec<u8>>(&bytes),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut bytes = vec![0x81; 1000];
        bytes.push(0x00);
        assert!(matches!(
            decode::<serde_bytes::ByteBuf>(&bytes),
            Err(DecodeError::TooDeep { .. })
        ));
    }

    #[test]
    fn indefinite_length_and_tags_are_refused() {
        assert!(matches!(
            decode::<Vec<u8>>(&[0x9f, 0x01, 0xff]),
            Err(DecodeError::NonCanonical { .. })
        ));
        assert!(matches!(
            decode::<u64>(&[0xc1, 0x01]),
            Err(DecodeError::Unsupported { .. })
        ));
        assert!(matches!(
            decode::<u64>(&[0xf9, 0x3c, 0x00]),
            Err(DecodeError::Unsupported { .. })
        ));
    }

    #[test]
    fn reordered_fields_are_refused() {
        // {"flag": true, "n": 300, "b": h'010203'} decodes but is not canonical.
        let mut bytes = vec![0xa3];
        bytes.extend([0x64, b'f', b'l', b'a', b'g', 0xf5]);
        bytes.extend([0x61, b'n', 0x19, 0x01, 0x2c]);
        bytes.extend([0x61, b'b', 0x43, 1, 2, 3]);
        assert_eq!(decode::<Sample>(&bytes), Err(DecodeError::NotReencodable));
    }

    /// The boundary the wire-format page states: 32 arrays or maps may enclose one another.
    #[test]
    fn thirty_two_nested_containers_are_read_and_thirty_three_are_too_deep() {
        let nested = |n: usize| {
            let mut b = vec![0x81; n];
            b.push(0x00);
            b
        };
        assert_eq!(item_len(&nested(32), Limits::DEFAULT), Ok(33));
        assert!(matches!(
            item_len(&nested(33), Limits::DEFAULT),
            Err(DecodeError::TooDeep { max: 32, .. })
        ));
        // A map's value is one level inside it, as an array's element is.
        let mut maps = [0xa1, 0x00].repeat(32);
        maps.push(0x00);
        assert_eq!(item_len(&maps, Limits::DEFAULT), Ok(65));
        let mut deeper = [0xa1, 0x00].repeat(33);
        deeper.push(0x00);
        assert!(item_len(&deeper, Limits::DEFAULT).is_err());
    }

    #[test]
    fn oversized_input_is_refused() {
        let limits = Limits {
            max_bytes: 4,
            max_depth: 4,
        };
        let bytes = encode(&sample());
        assert!(matches!(
            decode_with::<Sample>(&bytes, limits),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
