use core::fmt;

use crate::MAX_DIGITS;

/// A generated one-time code: 3 to 10 ASCII digits on the stack, leading zeros kept.
///
/// ```
/// use watchword_core::{Algorithm, Hotp};
/// let hotp = Hotp::new(b"12345678901234567890", Algorithm::Sha1, 6).unwrap();
/// let code = hotp.generate(0);
/// assert_eq!(code.as_str(), "755224");
/// assert_eq!(code.to_string(), "755224");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    digits: [u8; MAX_DIGITS as usize],
    len: u8,
}

impl Code {
    /// Formats `value mod 10^digits`, left-padded with zeros. `digits` is 3–10.
    pub(crate) fn new(value: u32, digits: u8) -> Code {
        let mut out = [b'0'; MAX_DIGITS as usize];
        let mut v = reduce(value, digits);
        for slot in out[..usize::from(digits)].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        Code { digits: out, len: digits }
    }

    /// The code as a string of digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The code as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }

    /// The number of digits.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// `value mod 10^digits` (`digits` 3–10). Each arm divides by a constant, which compiles to a
/// multiplication: cheaper than a division, and its time does not depend on the value.
pub(crate) fn reduce(value: u32, digits: u8) -> u64 {
    let v = u64::from(value);
    match digits {
        0..=3 => v % 1_000,
        4 => v % 10_000,
        5 => v % 100_000,
        6 => v % 1_000_000,
        7 => v % 10_000_000,
        8 => v % 100_000_000,
        9 => v % 1_000_000_000,
        _ => v % 10_000_000_000,
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({} digits)", self.len)
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}
