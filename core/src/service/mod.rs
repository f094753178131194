//! The Entity → Factor → Challenge state logic of a TOTP verification service, with Twilio
//! Verify semantics and Okta's verification results.
//!
//! Records ([`Entity`], [`Factor`], [`Challenge`]) are plain values with a `version`. Every
//! transition is a pure function of (records, input, `now`, randomness) that returns new
//! records plus a [`Verification`] — or an error, in which case nothing changed. A [`Store`]
//! persists records with compare-and-set on `version`; [`Verify`] (with `std`) runs the
//! operations over a store and retries lost races.
//!
//! ```
//! use watchword_core::service::{MemoryStore, NewChallenge, NewFactor, ServiceConfig, Verify, VerificationResult};
//! use watchword_core::KeyUri;
//!
//! let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
//! let now = 1_700_000_000;
//! let created = verify.create_factor("ff483d1f-f591-898a", NewFactor::new("Ada's phone"), now).unwrap();
//! let app = KeyUri::parse(&created.binding.uri).unwrap(); // what the authenticator app scans
//! let code = watchword_core::Totp::new(app.secret.as_bytes(), app.algorithm, app.digits, app.period)
//!     .unwrap()
//!     .generate(now)
//!     .unwrap();
//! let (factor, v) = verify.verify_factor("ff483d1f-f591-898a", &created.factor.sid, code.as_str(), now).unwrap();
//! assert_eq!(v.result, VerificationResult::Approved);
//!
//! let later = now + 30;
//! let next = watchword_core::Totp::new(app.secret.as_bytes(), app.algorithm, 6, 30).unwrap().generate(later).unwrap();
//! let challenge = NewChallenge::new(&factor.sid).auth_payload(next.as_str());
//! let (c, v) = verify.create_challenge("ff483d1f-f591-898a", challenge.clone(), later).unwrap();
//! assert_eq!(c.status_at(later).as_str(), "approved");
//! let (_, again) = verify.create_challenge("ff483d1f-f591-898a", challenge, later).unwrap();
//! assert_eq!(again.unwrap().result, VerificationResult::Replayed);
//! ```

mod challenge;
mod config;
mod definition;
mod entity;
mod factor;
mod ids;
mod record;
mod recovery;
mod seal;
mod store;
mod time;
mod tombstone;
mod view;

#[cfg(feature = "std")]
mod dispatch;
#[cfg(feature = "std")]
mod memory;
#[cfg(feature = "std")]
mod pool;
#[cfg(feature = "std")]
mod steps;
#[cfg(feature = "std")]
mod verify;

use alloc::collections::BTreeMap;
use alloc::string::String;

pub use challenge::{Challenge, ChallengeStatus, DetailField, Details, NewChallenge};
pub use config::{FactorConfig, ServiceConfig, Setting, DEFAULT_SERVICE, DEFAULT_STORE, MIN_SECRET_BYTES, SETTINGS};
pub use definition::ServiceDefinition;
pub use entity::Entity;
pub use factor::{Factor, FactorStatus, FactorType, FactorUpdate, Guard, NewFactor, Quota};
pub use ids::{Identity, Sid};
pub use recovery::{
    normalize_recovery_code, CodeHash, PlainCodes, RecoveryCodes, DEFAULT_RECOVERY_CODES,
    DEFAULT_RECOVERY_CODE_ITERATIONS, MAX_RECOVERY_CODES, RECOVERY_ALPHABET, RECOVERY_CODE_CHARS, RECOVERY_SALT_BYTES,
};
pub use seal::{wipe_secret_keys, KeyRing, Sealed, NONCE_BYTES, SEALED_VERSION, SECRET_KEY_BYTES};
pub use store::{Cursor, Key, Kind, Record, Store, Write};
pub use time::{parse_rfc3339, rfc3339, Rfc3339};
pub use tombstone::{Tombstone, TOMBSTONE_SECONDS};
pub use view::ChallengeView;

#[cfg(feature = "std")]
pub use dispatch::{Answer, Arguments, Request, OPERATIONS};
#[cfg(feature = "std")]
pub use memory::MemoryStore;
#[cfg(feature = "std")]
pub use seal::generate_secret_key;
#[cfg(feature = "std")]
pub use steps::{Step, Steps};
#[cfg(feature = "std")]
pub use verify::{
    unix_now, Binding, Created, Order, Page, Paging, Verify, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_RETRIES, MAX_TIME,
};

use crate::error::{Error, Invalid};

/// String-to-string metadata (Twilio's "stringified JSON with string values only").
pub type Metadata = BTreeMap<String, String>;

/// The outcome of checking a code (Okta's `factorResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationResult {
    /// The code was right and fresh: the factor or challenge is approved.
    Approved,
    /// The code matched nothing.
    InvalidCode,
    /// The code matched a step that was already used (Okta `PASSCODE_REPLAYED`, E0000082).
    Replayed,
    /// The code matched a step one or two steps beyond the skew window (Okta
    /// `TIME_WINDOW_EXCEEDED`, E0000083).
    OutsideWindow,
}

impl VerificationResult {
    /// `"approved"`, `"invalid_code"`, `"replayed"` or `"outside_window"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            VerificationResult::Approved => "approved",
            VerificationResult::InvalidCode => "invalid_code",
            VerificationResult::Replayed => "replayed",
            VerificationResult::OutsideWindow => "outside_window",
        }
    }

    /// The Okta error code a failed result maps to (E0000068 invalid passcode, E0000082
    /// replayed, E0000083 outside the time window).
    pub const fn okta_code(self) -> Option<&'static str> {
        match self {
            VerificationResult::Approved => None,
            VerificationResult::InvalidCode => Some("E0000068"),
            VerificationResult::Replayed => Some("E0000082"),
            VerificationResult::OutsideWindow => Some("E0000083"),
        }
    }
}

/// A verification result with the matched step's offset from the current step (negative:
/// the code came from the past, e.g. the phone's clock is slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verification {
    /// What happened.
    pub result: VerificationResult,
    /// Matched step minus current step; `None` for [`VerificationResult::InvalidCode`].
    pub offset: Option<i64>,
}

impl Verification {
    /// Whether the code was accepted.
    pub fn approved(&self) -> bool {
        self.result == VerificationResult::Approved
    }
}

/// An invalid-parameter error naming the parameter and what it allows.
pub(crate) fn invalid(name: &'static str, expected: &'static str) -> Error {
    Error::InvalidParameter(Invalid::Parameter { name, expected })
}

/// Checks `identity`: 8–64 characters of dash-separated ASCII alphanumerics.
pub(crate) fn check_identity(identity: &str) -> Result<Identity, Error> {
    Identity::parse(identity)
}

/// Checks a string-to-string map that must serialize to at most 1024 characters.
pub(crate) fn check_small_map(map: &Metadata, name: &'static str) -> Result<(), Error> {
    match serde_json::to_string(map) {
        Ok(text) if text.chars().count() <= 1024 => Ok(()),
        _ => Err(invalid(name, "an object of string values, at most 1024 characters serialized")),
    }
}

/// Checks a sid: `prefix` + 32 lowercase hex characters.
pub(crate) fn check_sid(sid: &str, prefix: &str, name: &'static str, expected: &'static str) -> Result<Sid, Error> {
    Sid::parse(sid, prefix).ok_or_else(|| invalid(name, expected))
}
