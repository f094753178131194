use core::fmt;

use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Error, Invalid};
use crate::{base32, Algorithm};

/// The largest secret the primitives accept, in bytes.
pub(crate) const MAX_SECRET_LEN: usize = 128;

/// A shared OTP secret of 1–128 bytes, held on the stack.
///
/// It is zeroized on drop, compares in constant time, and never shows its bytes in `Debug`
/// (so it cannot leak through logs or error messages).
///
/// ```
/// use watchword_core::Secret;
/// let s = Secret::from_base32("gezd gnbv-gy3tqojq GEZDGNBVGY3TQOJQ").unwrap();
/// assert_eq!(s.as_bytes(), b"12345678901234567890");
/// assert_eq!(format!("{s:?}"), "Secret(20 bytes)");
/// ```
#[derive(Clone)]
pub struct Secret {
    bytes: [u8; MAX_SECRET_LEN],
    len: u8,
}

impl Secret {
    /// The largest secret accepted, in bytes.
    pub const MAX_LEN: usize = MAX_SECRET_LEN;

    /// Copies a secret of 1–128 bytes.
    ///
    /// ```
    /// assert!(watchword_core::Secret::from_bytes(&[]).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Secret, Error> {
        if bytes.is_empty() || bytes.len() > MAX_SECRET_LEN {
            return Err(Error::InvalidParameter(Invalid::SecretLength {
                len: bytes.len(),
                min: 1,
                max: MAX_SECRET_LEN,
            }));
        }
        let mut out = [0u8; MAX_SECRET_LEN];
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(Secret { bytes: out, len: bytes.len() as u8 })
    }

    /// Decodes a Base32 secret (RFC 4648; case-insensitive, spaces and hyphens ignored,
    /// padding optional) of 1–128 bytes.
    ///
    /// ```
    /// let err = watchword_core::Secret::from_base32("JBSW1").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid Base32: character '1' at position 5 is not in the alphabet A-Z, 2-7");
    /// ```
    pub fn from_base32(text: &str) -> Result<Secret, Error> {
        let mut out = [0u8; MAX_SECRET_LEN];
        let result = base32::decode_into(text, &mut out);
        let secret = match result {
            Ok(0) => Err(Error::InvalidParameter(Invalid::SecretLength { len: 0, min: 1, max: MAX_SECRET_LEN })),
            Ok(n) => Ok(Secret { bytes: out, len: n as u8 }),
            Err(e) => Err(e),
        };
        out.zeroize();
        secret
    }

    /// Generates a secret of the length that suits `algorithm` (20, 32 or 64 bytes) from a
    /// caller-supplied cryptographically secure RNG.
    ///
    /// ```
    /// use rand_core::SeedableRng;
    /// use watchword_core::{Algorithm, Secret};
    /// let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
    /// assert_eq!(Secret::generate_with(Algorithm::Sha256, &mut rng).len(), 32);
    /// ```
    pub fn generate_with<R: RngCore + CryptoRng>(algorithm: Algorithm, rng: &mut R) -> Secret {
        let len = algorithm.secret_len();
        let mut bytes = [0u8; MAX_SECRET_LEN];
        rng.fill_bytes(&mut bytes[..len]);
        Secret { bytes, len: len as u8 }
    }

    /// Generates a secret of the length that suits `algorithm` from the operating system's
    /// random number generator.
    ///
    /// ```
    /// use watchword_core::{Algorithm, Secret};
    /// assert_eq!(Secret::generate(Algorithm::Sha1).len(), 20);
    /// ```
    #[cfg(feature = "std")]
    pub fn generate(algorithm: Algorithm) -> Secret {
        Secret::generate_with(algorithm, &mut rand_core::OsRng)
    }

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The secret's length in bytes (never zero).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The secret in Base32: upper case, no padding.
    ///
    /// ```
    /// let s = watchword_core::Secret::from_bytes(b"12345678901234567890").unwrap();
    /// assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    /// ```
    #[cfg(feature = "alloc")]
    pub fn to_base32(&self) -> alloc::string::String {
        base32::encode(self.as_bytes())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.len == other.len && bool::from(self.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.len)
    }
}
