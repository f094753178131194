use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::code::reduce;
use crate::error::{Error, Invalid};
use crate::mac::KeyState;
use crate::secret::MAX_SECRET_LEN;
use crate::{Algorithm, Code, Secret, MAX_DIGITS, MAX_LOOK_AHEAD, MIN_DIGITS};

/// An HOTP generator and verifier for one key (RFC 4226).
///
/// The HMAC key states are computed once here, so `generate` and `verify` never allocate and
/// cost two hash blocks per code.
///
/// ```
/// use watchword_core::{Algorithm, Hotp};
/// let hotp = Hotp::new(b"12345678901234567890", Algorithm::Sha1, 6).unwrap();
/// assert_eq!(hotp.generate(1).as_str(), "287082");
/// assert_eq!(hotp.verify("359152", 0, 5).unwrap(), Some(2));
/// assert_eq!(hotp.verify("755224", 1, 5).unwrap(), None, "never backwards");
/// ```
#[derive(Clone)]
pub struct Hotp {
    key: KeyState,
    algorithm: Algorithm,
    digits: u8,
}

impl core::fmt::Debug for Hotp {
    /// Shows the parameters, never the key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hotp").field("algorithm", &self.algorithm).field("digits", &self.digits).finish_non_exhaustive()
    }
}

impl Hotp {
    /// Sets up a key of 1–128 bytes for codes of 3–10 digits.
    pub fn new(secret: &[u8], algorithm: Algorithm, digits: u32) -> Result<Hotp, Error> {
        check_digits(digits)?;
        if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
            return Err(Error::InvalidParameter(Invalid::SecretLength {
                len: secret.len(),
                min: 1,
                max: MAX_SECRET_LEN,
            }));
        }
        Ok(Hotp { key: KeyState::new(algorithm, secret), algorithm, digits: digits as u8 })
    }

    /// Sets up a [`Secret`] for codes of 3–10 digits. With `std` the secret keeps its key
    /// states, so doing this again for the same secret (or a clone) costs no hashing.
    ///
    /// ```
    /// use watchword_core::{Algorithm, Hotp, Secret};
    /// let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
    /// assert_eq!(Hotp::from_secret(&secret, Algorithm::Sha1, 6).unwrap().generate(1).as_str(), "287082");
    /// ```
    pub fn from_secret(secret: &Secret, algorithm: Algorithm, digits: u32) -> Result<Hotp, Error> {
        check_digits(digits)?;
        Ok(Hotp { key: secret.key_state(algorithm), algorithm, digits: digits as u8 })
    }

    /// The hash algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits of each code.
    pub fn digits(&self) -> u32 {
        u32::from(self.digits)
    }

    /// The code for `counter`.
    pub fn generate(&self, counter: u64) -> Code {
        Code::new(self.key.truncate(counter), self.digits)
    }

    /// Checks `code` against the counters `counter ..= counter + look_ahead` (never backwards)
    /// and returns the lowest matching counter. Every counter in the window is evaluated and
    /// compared in constant time. A code that is not exactly `digits` ASCII digits is a plain
    /// mismatch. `look_ahead` above 1000 is an error.
    pub fn verify(&self, code: &str, counter: u64, look_ahead: u64) -> Result<Option<u64>, Error> {
        if look_ahead > MAX_LOOK_AHEAD {
            return Err(Error::InvalidParameter(Invalid::LookAhead { value: look_ahead }));
        }
        let Some(given) = self.parse(code) else {
            return Ok(None);
        };
        let mut found = Choice::from(0);
        let mut matched = 0u64;
        let last = counter.saturating_add(look_ahead);
        let mut c = counter;
        loop {
            let hit = self.matches(&given, c) & !found;
            matched.conditional_assign(&c, hit);
            found |= hit;
            if c == last {
                break;
            }
            c += 1;
        }
        Ok(bool::from(found).then_some(matched))
    }

    /// The candidate's value, or `None` when it is not exactly `digits` ASCII digits. Two digit
    /// strings of the same length are equal exactly when their values are, so leading zeros
    /// stay significant through the length check.
    pub(crate) fn parse(&self, code: &str) -> Option<u64> {
        let bytes = code.as_bytes();
        if bytes.len() != usize::from(self.digits) || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(bytes.iter().fold(0u64, |v, b| v * 10 + u64::from(b - b'0')))
    }

    /// Whether the parsed candidate equals the code for `counter`, compared in constant time
    /// (as numbers: formatting each candidate's digits would only cost time).
    pub(crate) fn matches(&self, given: &u64, counter: u64) -> Choice {
        reduce(self.key.truncate(counter), self.digits).ct_eq(given)
    }
}

fn check_digits(digits: u32) -> Result<(), Error> {
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        return Err(Error::InvalidParameter(Invalid::Digits { value: digits }));
    }
    Ok(())
}
