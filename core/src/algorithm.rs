use core::fmt;
use core::str::FromStr;

use crate::error::{Error, Invalid};

/// The HMAC hash function of an OTP key (RFC 6238 §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// HMAC-SHA-1, the RFC 4226 default and what every authenticator app supports.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

    /// The lower-case name used in service configuration (`sha1`, `sha256`, `sha512`).
    ///
    /// ```
    /// assert_eq!(watchword_core::Algorithm::Sha256.as_str(), "sha256");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The upper-case name used in `otpauth://` URIs (`SHA1`, `SHA256`, `SHA512`).
    ///
    /// ```
    /// assert_eq!(watchword_core::Algorithm::Sha512.uri_name(), "SHA512");
    /// ```
    pub const fn uri_name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// The size of a freshly generated secret: the HMAC output length (20, 32 or 64 bytes),
    /// as RFC 6238 recommends.
    ///
    /// ```
    /// assert_eq!(watchword_core::Algorithm::Sha1.secret_len(), 20);
    /// ```
    pub const fn secret_len(self) -> usize {
        match self {
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The stable number of this algorithm at the C ABI (`0` SHA-1, `1` SHA-256, `2` SHA-512).
    ///
    /// ```
    /// use watchword_core::Algorithm;
    /// assert_eq!(Algorithm::from_u32(Algorithm::Sha256.to_u32()), Some(Algorithm::Sha256));
    /// ```
    pub const fn to_u32(self) -> u32 {
        match self {
            Algorithm::Sha1 => 0,
            Algorithm::Sha256 => 1,
            Algorithm::Sha512 => 2,
        }
    }

    /// The algorithm with the given stable number, if there is one.
    ///
    /// ```
    /// assert_eq!(watchword_core::Algorithm::from_u32(7), None);
    /// ```
    pub const fn from_u32(value: u32) -> Option<Algorithm> {
        match value {
            0 => Some(Algorithm::Sha1),
            1 => Some(Algorithm::Sha256),
            2 => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses `sha1`, `SHA1`, `sha-1`, `SHA-256`… (case-insensitive, hyphen optional).
    ///
    /// ```
    /// use watchword_core::Algorithm;
    /// assert_eq!("SHA-256".parse::<Algorithm>().unwrap(), Algorithm::Sha256);
    /// assert!("md5".parse::<Algorithm>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut buf = [0u8; 6];
        let mut n = 0;
        for b in s.bytes().filter(|&b| b != b'-') {
            if n == buf.len() {
                return Err(Error::InvalidParameter(Invalid::Algorithm));
            }
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        }
        match &buf[..n] {
            b"sha1" => Ok(Algorithm::Sha1),
            b"sha256" => Ok(Algorithm::Sha256),
            b"sha512" => Ok(Algorithm::Sha512),
            _ => Err(Error::InvalidParameter(Invalid::Algorithm)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
