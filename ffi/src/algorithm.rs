//! The numbers C passes for HMAC algorithms (`uint32_t`, validated).

use watchword_core::{Algorithm, Error, Invalid};

use crate::error::Failure;

/// HMAC-SHA-1 (RFC 4226; what every authenticator app supports).
pub const WW_ALGORITHM_SHA1: u32 = 0;
/// HMAC-SHA-256.
pub const WW_ALGORITHM_SHA256: u32 = 1;
/// HMAC-SHA-512.
pub const WW_ALGORITHM_SHA512: u32 = 2;

// The C numbers are core's stable numbers.
const _: () = {
    assert!(Algorithm::Sha1.to_u32() == WW_ALGORITHM_SHA1);
    assert!(Algorithm::Sha256.to_u32() == WW_ALGORITHM_SHA256);
    assert!(Algorithm::Sha512.to_u32() == WW_ALGORITHM_SHA512);
};

/// The algorithm with this number; any other number is `WW_STATUS_INVALID_PARAMETER`
/// (detail `algorithm`).
pub(crate) fn from_c(value: u32) -> Result<Algorithm, Failure> {
    Algorithm::from_u32(value).ok_or(Failure::Core(Error::InvalidParameter(Invalid::Algorithm)))
}
