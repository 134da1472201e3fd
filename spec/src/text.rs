//! RFC 4648 base32 (lowercase, no padding), used for the text form of ids.

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Encodes bytes as lowercase base32 without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes lowercase base32 without padding into exactly `N` bytes.
///
/// Rejects any other length and non-zero trailing bits, so every byte string
/// has exactly one text form.
pub(crate) fn base32_decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != (N * 8).div_ceil(5) {
        return None;
    }
    let mut out = [0u8; N];
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut i = 0;
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(i)? = ((buffer >> bits) & 0xff) as u8;
            i += 1;
        }
        buffer &= (1 << bits) - 1;
    }
    (i == N && buffer == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        assert_eq!(base32_encode(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32_encode(b"fooba"), "mzxw6ytb");
        assert_eq!(base32_decode::<5>("mzxw6ytb"), Some(*b"fooba"));
        assert_eq!(base32_decode::<6>("mzxw6ytboi"), Some(*b"foobar"));
        // Non-zero trailing bits would give a second spelling of the same bytes.
        assert_eq!(base32_decode::<6>("mzxw6ytboj"), None);
        assert_eq!(base32_decode::<6>("mzxw6ytbo"), None);
        assert_eq!(base32_decode::<6>("MZXW6YTBOI"), None);
    }
}
