use core::fmt;

use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Error, Invalid};
use crate::mac::KeyState;
use crate::{base32, Algorithm};

/// The largest secret the primitives accept, in bytes.
pub(crate) const MAX_SECRET_LEN: usize = 128;

/// A shared OTP secret of 1–128 bytes, held on the stack.
///
/// It is zeroized on drop, compares in constant time, and never shows its bytes in `Debug`
/// (so it cannot leak through logs or error messages). With `std`, the HMAC key states are
/// computed on first use and shared by the secret's clones, so a stored factor sets up its
/// key once, not on every check.
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
    /// The key states of the first algorithm this secret (or any of its clones) was used with,
    /// computed then and shared by every clone, made before or after: a clone costs a reference
    /// count. They zeroize themselves when the last clone is dropped.
    #[cfg(feature = "std")]
    keys: std::sync::Arc<std::sync::OnceLock<KeyState>>,
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
        Ok(Secret::new(out, bytes.len()))
    }

    /// Decodes a Base32 secret (RFC 4648; case-insensitive, spaces and hyphens ignored,
    /// padding optional) of 1–128 bytes.
    ///
    /// ```
    /// let err = watchword_core::Secret::from_base32("JBSW1").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid Base32: the character at position 5 is not in the alphabet A-Z, 2-7");
    /// ```
    pub fn from_base32(text: &str) -> Result<Secret, Error> {
        let mut out = [0u8; MAX_SECRET_LEN];
        let result = base32::decode_into(text, &mut out);
        let secret = match result {
            Ok(0) => Err(Error::InvalidParameter(Invalid::SecretLength { len: 0, min: 1, max: MAX_SECRET_LEN })),
            Ok(n) => Ok(Secret::new(out, n)),
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
        Secret::new(bytes, len)
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

    /// `len` (1–128) bytes of `bytes`. The bytes after them are made zero, so that only the
    /// first `len` ever hold key material (and only they are wiped on drop).
    fn new(mut bytes: [u8; MAX_SECRET_LEN], len: usize) -> Secret {
        bytes[len.min(MAX_SECRET_LEN)..].fill(0);
        Secret {
            bytes,
            len: len as u8,
            #[cfg(feature = "std")]
            keys: Default::default(),
        }
    }

    /// The HMAC key states of this secret for `algorithm`: the kept ones (with `std`) when
    /// they are of that algorithm, else computed now. The first algorithm asked for is kept.
    pub(crate) fn key_state(&self, algorithm: Algorithm) -> KeyState {
        #[cfg(feature = "std")]
        {
            let kept = self.keys.get_or_init(|| KeyState::new(algorithm, self.as_bytes()));
            if kept.algorithm() == algorithm {
                return KeyState::clone(kept);
            }
            KeyState::new(algorithm, self.as_bytes())
        }
        #[cfg(not(feature = "std"))]
        {
            KeyState::new(algorithm, self.as_bytes())
        }
    }

    /// The same secret without kept key states (for use with another algorithm).
    #[cfg(feature = "alloc")]
    pub(crate) fn without_key_states(&self) -> Secret {
        Secret::new(self.bytes, self.len())
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
        // The bytes after `len` are zero from the start (`Secret::new`).
        self.bytes[..usize::from(self.len)].zeroize();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hotp;

    #[test]
    fn kept_key_states_give_the_codes_of_a_fresh_setup() {
        let key: [u8; 128] = core::array::from_fn(|i| (i * 31 + 7) as u8);
        for algorithm in Algorithm::ALL {
            for len in [1usize, 20, 64, 65, 128] {
                let secret = Secret::from_bytes(&key[..len]).unwrap();
                let fresh = Hotp::new(&key[..len], algorithm, 8).unwrap();
                // First use computes the state, the second and a clone's use read it back.
                for hotp in [
                    Hotp::from_secret(&secret, algorithm, 8).unwrap(),
                    Hotp::from_secret(&secret, algorithm, 8).unwrap(),
                    Hotp::from_secret(&secret.clone(), algorithm, 8).unwrap(),
                ] {
                    for counter in [0u64, 1, 59, u64::MAX] {
                        assert_eq!(hotp.generate(counter), fresh.generate(counter), "{algorithm} {len} {counter}");
                    }
                }
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn clones_share_the_kept_states_and_other_algorithms_still_work() {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        let early = secret.clone();
        let _ = secret.key_state(Algorithm::Sha256);
        let clone = secret.clone();
        assert!(std::sync::Arc::ptr_eq(&secret.keys, &clone.keys));
        // A clone made before the first use shares what that use computed.
        assert_eq!(early.keys.get().unwrap().algorithm(), Algorithm::Sha256);
        let sha1 = Hotp::from_secret(&clone, Algorithm::Sha1, 6).unwrap();
        assert_eq!(sha1.generate(1).as_str(), "287082");
        assert_eq!(clone.keys.get().unwrap().algorithm(), Algorithm::Sha256);
        let fresh = clone.without_key_states();
        assert!(fresh.keys.get().is_none() && fresh == clone);
        assert!(Hotp::from_secret(&secret, Algorithm::Sha1, 11).is_err());
    }
}
