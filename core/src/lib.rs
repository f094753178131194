//! # watchword-core
//!
//! A TOTP verification engine: the RFC 4226 / RFC 6238 one-time-password maths, RFC 4648
//! Base32 secrets and `otpauth://` key URIs, plus (with the `alloc` feature) the
//! Entity → Factor → Challenge state logic of a hosted verification service with
//! Twilio Verify semantics and Okta's stricter verification results.
//!
//! The OTP primitives need neither `std` nor an allocator, and generating or verifying a
//! code never allocates: the HMAC inner and outer key states are computed once per key,
//! so each code costs exactly the two hash blocks HMAC cannot avoid.
//!
//! ```
//! use watchword_core::{Algorithm, Totp};
//!
//! let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 8, 30).unwrap();
//! assert_eq!(totp.generate(59).unwrap().as_str(), "94287082");
//! let m = totp.verify("94287082", 89, 1).unwrap().expect("one step late is within skew 1");
//! assert_eq!((m.step, m.offset), (1, -1));
//! ```
//!
//! Features: `std` (default: OS randomness, system clock, `std::error::Error`, the in-memory
//! store and the `Verify` service), `alloc` (Base32 strings, key URIs, records and the pure
//! state transitions).
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod algorithm;
pub mod base32;
mod code;
mod error;
mod hotp;
mod mac;
#[cfg(feature = "qr")]
pub mod qr;
mod secret;
#[cfg(feature = "alloc")]
pub mod service;
mod totp;
#[cfg(feature = "alloc")]
mod uri;

pub use algorithm::Algorithm;
pub use code::Code;
pub use error::{Error, ErrorKind, FactorStatusProblem, Invalid, StorageCause};
pub use hotp::Hotp;
pub use secret::Secret;
pub use totp::{Check, Match, Totp};
#[cfg(feature = "alloc")]
pub use uri::{KeyUri, OtpKind};

/// The algorithm of a key unless one is named (RFC 6238's, and what authenticator apps assume).
pub const DEFAULT_ALGORITHM: Algorithm = Algorithm::Sha1;
/// The number of digits of a code unless another is named.
pub const DEFAULT_DIGITS: u32 = 6;
/// The TOTP period unless another is named, in seconds.
pub const DEFAULT_PERIOD: u64 = 30;
/// The steps accepted each side of the current one unless another skew is named.
pub const DEFAULT_SKEW: u32 = 1;

/// The smallest number of digits a code may have.
pub const MIN_DIGITS: u32 = 3;
/// The largest number of digits a code may have.
pub const MAX_DIGITS: u32 = 10;
/// The shortest TOTP period, in seconds.
pub const MIN_PERIOD: u64 = 1;
/// The longest TOTP period, in seconds (one day).
pub const MAX_PERIOD: u64 = 86_400;
/// The largest skew (steps each side of the current one) the primitives evaluate.
pub const MAX_SKEW: u32 = 10;
/// The largest HOTP look-ahead window the primitives evaluate.
pub const MAX_LOOK_AHEAD: u64 = 1_000;

/// The Rust examples of the repository's README, compiled and run as doctests so they cannot rot
/// (tests/docs/run.py runs the C, Python, Node and shell ones).
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
