//! RFC 4648 Base32, as OTP secrets use it.
//!
//! Out: upper case, no padding. In: case-insensitive, spaces and hyphens ignored, `=` padding
//! optional (only at the end); any other character is an error that names its position
//! (counting characters from 1).
//!
//! ```
//! use watchword_core::base32;
//! assert_eq!(base32::encode(b"foobar"), "MZXW6YTBOI");
//! assert_eq!(base32::decode("mzxw 6ytb-oi======").unwrap(), b"foobar");
//! ```

use crate::error::{Error, Invalid};

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The number of characters `len` bytes encode to, without padding.
///
/// ```
/// assert_eq!(watchword_core::base32::encoded_len(20), 32);
/// ```
pub const fn encoded_len(len: usize) -> usize {
    (len * 8).div_ceil(5)
}

/// Encodes `data` into `out` (upper case, no padding) and returns the written text.
/// `out` must hold at least [`encoded_len`]`(data.len())` bytes.
///
/// ```
/// let mut buf = [0u8; 8];
/// assert_eq!(watchword_core::base32::encode_into(b"fooba", &mut buf).unwrap(), "MZXW6YTB");
/// assert!(watchword_core::base32::encode_into(b"foobar", &mut buf).is_err());
/// ```
pub fn encode_into<'a>(data: &[u8], out: &'a mut [u8]) -> Result<&'a str, Error> {
    let len = encoded_len(data.len());
    if out.len() < len {
        return Err(Error::InvalidParameter(Invalid::BufferTooSmall { needed: len }));
    }
    let mut acc: u16 = 0;
    let mut bits = 0u32;
    let mut n = 0;
    for &byte in data {
        acc = (acc << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out[n] = ALPHABET[usize::from((acc >> bits) & 31)];
            n += 1;
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out[n] = ALPHABET[usize::from((acc << (5 - bits)) & 31)];
        n += 1;
    }
    Ok(core::str::from_utf8(&out[..n]).unwrap_or_default())
}

/// Encodes `data` as upper-case Base32 without padding.
#[cfg(feature = "alloc")]
pub fn encode(data: &[u8]) -> alloc::string::String {
    let mut out = alloc::vec![0u8; encoded_len(data.len())];
    let _ = encode_into(data, &mut out);
    // Only ASCII from the alphabet was written.
    alloc::string::String::from_utf8(out).unwrap_or_default()
}

fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// Decodes `text` into `out` and returns the number of bytes written.
///
/// ```
/// let mut buf = [0u8; 16];
/// let n = watchword_core::base32::decode_into("MZXW6===", &mut buf).unwrap();
/// assert_eq!(&buf[..n], b"foo");
/// ```
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<usize, Error> {
    let mut acc: u16 = 0;
    let mut bits = 0u32;
    let mut n = 0usize;
    let mut chars = 0usize;
    let mut padding_from = None;
    for (i, c) in text.chars().enumerate() {
        let position = i + 1;
        match c {
            ' ' | '-' => continue,
            '=' => {
                padding_from.get_or_insert(position);
                continue;
            }
            _ => {}
        }
        let v = u8::try_from(c).ok().and_then(value);
        let Some(v) = v.filter(|_| padding_from.is_none()) else {
            return Err(Error::InvalidParameter(Invalid::Base32Character { position }));
        };
        chars += 1;
        acc = (acc << 5) | u16::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            if n == out.len() {
                // Too long: report the whole text's length (what it would decode to).
                let rest = text.chars().skip(i + 1).filter(|c| u8::try_from(*c).ok().and_then(value).is_some());
                let len = (chars + rest.count()) * 5 / 8;
                return Err(Error::InvalidParameter(Invalid::SecretLength { len, min: 1, max: out.len() }));
            }
            out[n] = (acc >> bits) as u8;
            n += 1;
            acc &= (1 << bits) - 1;
        }
    }
    // 1, 3 or 6 characters in the last group cannot come from whole bytes.
    if matches!(chars % 8, 1 | 3 | 6) {
        return Err(Error::InvalidParameter(Invalid::Base32Length { chars }));
    }
    Ok(n)
}

/// Decodes Base32 text.
#[cfg(feature = "alloc")]
pub fn decode(text: &str) -> Result<alloc::vec::Vec<u8>, Error> {
    let mut out = alloc::vec![0u8; text.len() * 5 / 8 + 1];
    let n = decode_into(text, &mut out)?;
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        let padded = ["", "MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=", "MZXW6YTB", "MZXW6YTBOI======"];
        for ((raw, enc), pad) in cases.iter().zip(padded) {
            assert_eq!(encode(raw), *enc);
            assert_eq!(decode(enc).unwrap(), *raw);
            assert_eq!(decode(pad).unwrap(), *raw);
            assert_eq!(decode(&enc.to_ascii_lowercase()).unwrap(), *raw);
        }
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(decode("MZ XW0").unwrap_err(), Error::InvalidParameter(Invalid::Base32Character { position: 6 }));
        assert_eq!(decode("MZ=XW").unwrap_err(), Error::InvalidParameter(Invalid::Base32Character { position: 4 }));
        assert_eq!(decode("MZXWé").unwrap_err(), Error::InvalidParameter(Invalid::Base32Character { position: 5 }));
        assert_eq!(decode("MZX").unwrap_err(), Error::InvalidParameter(Invalid::Base32Length { chars: 3 }));
    }
}
