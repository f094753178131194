//! `ww_status`: what every fallible export returns, and what C can learn about each status.
//!
//! The error statuses 1–17 are core's `ErrorKind` numbers (a compile-time check below ties
//! them together, so they cannot drift); the statuses from 100 on exist only at the C ABI.
//! Numbers are never reused or renumbered; new statuses are only appended.

use std::ffi::{c_char, CStr};

use watchword_core::ErrorKind;

use crate::boundary::static_c_str;

/// The outcome of a call. `WW_STATUS_OK` (0) is success; everything else is a failure, and the
/// call wrote none of its outputs (except the size a `WW_STATUS_BUFFER_TOO_SMALL` reports).
/// A wrong one-time code is not a failure: verification reports it as a `ww_result`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ww_status {
    /// Success.
    Ok = 0,
    /// A parameter is malformed or out of range (Twilio 60300/60306/60367/60370, HTTP 400).
    InvalidParameter = 1,
    /// No entity has that identity (Twilio 60392, HTTP 404).
    EntityNotFound = 2,
    /// No factor has that sid for that identity (Twilio 60390, HTTP 404).
    FactorNotFound = 3,
    /// No challenge has that sid for that identity (Twilio 60391, HTTP 404).
    ChallengeNotFound = 4,
    /// An entity with that identity already exists (Twilio 60301, HTTP 409).
    EntityAlreadyExists = 5,
    /// The entity has the maximum number of factors (Twilio 60315, HTTP 400).
    FactorLimitReached = 6,
    /// Too many factors were created for the entity in 24 hours (Twilio 60326, HTTP 429).
    FactorCreationRateLimited = 7,
    /// The factor must be verified first (Twilio 60318, HTTP 403).
    FactorNotVerified = 8,
    /// The factor's status does not allow the operation (Twilio 60383, HTTP 403).
    IllegalFactorStatus = 9,
    /// The factor's enrollment attempts are used up (Twilio 60310, HTTP 429).
    FactorVerificationAttemptsReached = 10,
    /// Too many challenges were created for the factor (Twilio 60312, HTTP 429).
    ChallengeCreationLimitReached = 11,
    /// The challenge's attempts are used up (Twilio 60308, HTTP 429).
    ChallengeAttemptsReached = 12,
    /// The challenge was already approved or denied (Twilio 60322, HTTP 403).
    ChallengeAlreadyResponded = 13,
    /// The challenge expired (Twilio 60323, HTTP 403).
    ChallengeExpired = 14,
    /// The factor is locked after too many consecutive failures (HTTP 429); the last error
    /// says until when.
    FactorLocked = 15,
    /// The record changed underneath (a lost compare-and-set race); retry (HTTP 409).
    Conflict = 16,
    /// The host's store failed (HTTP 500).
    Storage = 17,
    /// A pointer argument is NULL.
    NullArgument = 100,
    /// An output buffer is too small; the length out-parameter received the size needed.
    BufferTooSmall = 101,
    /// A text argument is not valid UTF-8.
    InvalidUtf8 = 102,
    /// An internal error (a panic inside the library) was caught at the boundary. Please
    /// report it; the library stays usable.
    Panic = 103,
}

/// The statuses that are core error kinds, in numbering order.
const CORE: [(ww_status, ErrorKind); 17] = [
    (ww_status::InvalidParameter, ErrorKind::InvalidParameter),
    (ww_status::EntityNotFound, ErrorKind::EntityNotFound),
    (ww_status::FactorNotFound, ErrorKind::FactorNotFound),
    (ww_status::ChallengeNotFound, ErrorKind::ChallengeNotFound),
    (ww_status::EntityAlreadyExists, ErrorKind::EntityAlreadyExists),
    (ww_status::FactorLimitReached, ErrorKind::FactorLimitReached),
    (ww_status::FactorCreationRateLimited, ErrorKind::FactorCreationRateLimited),
    (ww_status::FactorNotVerified, ErrorKind::FactorNotVerified),
    (ww_status::IllegalFactorStatus, ErrorKind::IllegalFactorStatus),
    (ww_status::FactorVerificationAttemptsReached, ErrorKind::FactorVerificationAttemptsReached),
    (ww_status::ChallengeCreationLimitReached, ErrorKind::ChallengeCreationLimitReached),
    (ww_status::ChallengeAttemptsReached, ErrorKind::ChallengeAttemptsReached),
    (ww_status::ChallengeAlreadyResponded, ErrorKind::ChallengeAlreadyResponded),
    (ww_status::ChallengeExpired, ErrorKind::ChallengeExpired),
    (ww_status::FactorLocked, ErrorKind::FactorLocked),
    (ww_status::Conflict, ErrorKind::Conflict),
    (ww_status::Storage, ErrorKind::Storage),
];

// Every core kind has a status with the same number, in the same order: adding a kind to core
// without adding its status here fails the build.
const _: () = {
    assert!(ErrorKind::ALL.len() == CORE.len());
    let mut i = 0;
    while i < CORE.len() {
        assert!(CORE[i].0 as u32 == CORE[i].1.code());
        assert!(ErrorKind::ALL[i].code() == CORE[i].1.code());
        i += 1;
    }
};

/// The statuses that exist only at the C ABI, with their kind names.
const FFI_ONLY: [(ww_status, &str); 4] = [
    (ww_status::NullArgument, "null_argument"),
    (ww_status::BufferTooSmall, "buffer_too_small"),
    (ww_status::InvalidUtf8, "invalid_utf8"),
    (ww_status::Panic, "panic"),
];

impl ww_status {
    /// Every status, in numbering order.
    pub const ALL: [ww_status; 22] = {
        let mut all = [ww_status::Ok; 22];
        let mut i = 0;
        while i < CORE.len() {
            all[i + 1] = CORE[i].0;
            i += 1;
        }
        let mut j = 0;
        while j < FFI_ONLY.len() {
            all[1 + CORE.len() + j] = FFI_ONLY[j].0;
            j += 1;
        }
        all
    };

    /// The status of a core error kind.
    pub fn from_kind(kind: ErrorKind) -> ww_status {
        // Unreachable fallback: the assertion above guarantees every kind has a status.
        CORE.iter().find(|(_, k)| *k == kind).map_or(ww_status::Panic, |(s, _)| *s)
    }

    /// The status with this number, if there is one.
    pub fn from_u32(value: u32) -> Option<ww_status> {
        ww_status::ALL.into_iter().find(|s| *s as u32 == value)
    }

    /// The core error kind of this status, for statuses 1–17.
    pub fn kind(self) -> Option<ErrorKind> {
        CORE.iter().find(|(s, _)| *s == self).map(|(_, k)| *k)
    }

    /// The stable snake_case name: core's kind name, `ok`, or an ABI-only name.
    pub fn name(self) -> &'static str {
        match self.kind() {
            Some(kind) => kind.as_str(),
            None if self == ww_status::Ok => "ok",
            None => FFI_ONLY.iter().find(|(s, _)| *s == self).map_or("unknown", |(_, n)| n),
        }
    }

    /// The Twilio error code of the kind (0 when Twilio has none).
    pub fn twilio_code(self) -> u32 {
        self.kind().and_then(ErrorKind::twilio_code).unwrap_or(0)
    }

    /// The HTTP status an API would answer with (0 when none applies).
    pub fn http_status(self) -> u16 {
        match self {
            ww_status::Ok => 200,
            ww_status::NullArgument | ww_status::InvalidUtf8 => 400,
            ww_status::BufferTooSmall => 0,
            ww_status::Panic => 500,
            other => other.kind().map_or(0, ErrorKind::http_status),
        }
    }

    /// The Okta error code of the kind ("" when Okta has none).
    pub fn okta_code(self) -> &'static str {
        self.kind().and_then(ErrorKind::okta_code).unwrap_or("")
    }

    /// A short, static description.
    pub fn message(self) -> &'static CStr {
        match self {
            ww_status::Ok => c"success",
            ww_status::InvalidParameter => c"a parameter is malformed or out of range",
            ww_status::EntityNotFound => c"entity not found",
            ww_status::FactorNotFound => c"factor not found",
            ww_status::ChallengeNotFound => c"challenge not found",
            ww_status::EntityAlreadyExists => c"an entity with this identity already exists",
            ww_status::FactorLimitReached => c"the entity has the maximum number of factors",
            ww_status::FactorCreationRateLimited => c"too many factors were created for this entity in 24 hours",
            ww_status::FactorNotVerified => c"the factor must be verified first",
            ww_status::IllegalFactorStatus => c"the factor's status does not allow this operation",
            ww_status::FactorVerificationAttemptsReached => c"the factor's verification attempts are used up",
            ww_status::ChallengeCreationLimitReached => c"too many challenges were created for this factor",
            ww_status::ChallengeAttemptsReached => c"the challenge's attempts are used up",
            ww_status::ChallengeAlreadyResponded => c"the challenge was already responded to",
            ww_status::ChallengeExpired => c"the challenge expired",
            ww_status::FactorLocked => c"the factor is locked after too many failed codes",
            ww_status::Conflict => c"the record changed while it was being updated; retry",
            ww_status::Storage => c"the store failed",
            ww_status::NullArgument => c"a pointer argument is NULL",
            ww_status::BufferTooSmall => c"the output buffer is too small",
            ww_status::InvalidUtf8 => c"a text argument is not valid UTF-8",
            ww_status::Panic => c"internal error (a panic was caught); please report it",
        }
    }
}

/// A short static description of a status (`"factor not found"`). Never NULL; an unknown
/// number gives `"unknown status"`. The string is static: do not free it.
#[no_mangle]
pub extern "C" fn ww_status_message(status: u32) -> *const c_char {
    ffi_boundary!(value(c"unknown status".as_ptr()), {
        ww_status::from_u32(status).map_or(c"unknown status", ww_status::message).as_ptr()
    })
}

/// The stable snake_case kind name of a status (`"factor_not_found"`, `"ok"`,
/// `"null_argument"` …): the same strings as the Python `.kind` and the Node `err.code`.
/// Never NULL; an unknown number gives `"unknown"`. Static: do not free it.
#[no_mangle]
pub extern "C" fn ww_status_kind(status: u32) -> *const c_char {
    ffi_boundary!(value(c"unknown".as_ptr()), {
        ww_status::from_u32(status).map_or(c"unknown", |s| static_c_str(s.name())).as_ptr()
    })
}

/// The Twilio error code of a status (60390 for `WW_STATUS_FACTOR_NOT_FOUND`), or 0 when
/// Twilio has none. For `WW_STATUS_INVALID_PARAMETER` this is the generic 60300; the last
/// error (`ww_last_error_json`) carries the code refined per parameter (60367 for `identity` …).
#[no_mangle]
pub extern "C" fn ww_status_twilio_code(status: u32) -> u32 {
    ffi_boundary!(value(0), { ww_status::from_u32(status).map_or(0, ww_status::twilio_code) })
}

/// The HTTP status an API would answer with for a status (404 for not-found statuses, 200 for
/// `WW_STATUS_OK`), or 0 when none applies (`WW_STATUS_BUFFER_TOO_SMALL`, unknown numbers).
#[no_mangle]
pub extern "C" fn ww_status_http_status(status: u32) -> u16 {
    ffi_boundary!(value(0), { ww_status::from_u32(status).map_or(0, ww_status::http_status) })
}

/// The Okta error code of a status (`"E0000069"` for `WW_STATUS_FACTOR_LOCKED`), or `""` when
/// Okta has none. Never NULL. Static: do not free it.
#[no_mangle]
pub extern "C" fn ww_status_okta_code(status: u32) -> *const c_char {
    ffi_boundary!(value(c"".as_ptr()), {
        ww_status::from_u32(status).map_or(c"", |s| static_c_str(s.okta_code())).as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_has_its_status() {
        for kind in ErrorKind::ALL {
            let status = ww_status::from_kind(kind);
            assert_eq!(status as u32, kind.code());
            assert_eq!(status.kind(), Some(kind));
            assert_eq!(status.name(), kind.as_str());
            assert_eq!(status.twilio_code(), kind.twilio_code().unwrap_or(0));
            assert_eq!(status.http_status(), kind.http_status());
            assert_eq!(status.okta_code(), kind.okta_code().unwrap_or(""));
        }
    }

    #[test]
    fn numbers_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for status in ww_status::ALL {
            assert!(seen.insert(status as u32), "{status:?} reuses a number");
            assert_eq!(ww_status::from_u32(status as u32), Some(status));
            assert_ne!(status.name(), "unknown");
            // SAFETY: the functions return static NUL-terminated strings.
            let kind = unsafe { CStr::from_ptr(ww_status_kind(status as u32)) };
            assert_eq!(kind.to_str().unwrap(), status.name());
            let okta = unsafe { CStr::from_ptr(ww_status_okta_code(status as u32)) };
            assert_eq!(okta.to_str().unwrap(), status.okta_code());
            assert!(!status.message().to_bytes().is_empty());
        }
        assert_eq!(ww_status::from_u32(18), None);
        assert_eq!(ww_status::from_u32(99), None);
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(ww_status_kind(18)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
        assert_eq!(ww_status_http_status(4242), 0);
        assert_eq!(ww_status_twilio_code(ww_status::FactorNotFound as u32), 60390);
    }

    #[test]
    fn fixed_numbers_never_change() {
        assert_eq!(ww_status::Ok as u32, 0);
        assert_eq!(ww_status::InvalidParameter as u32, 1);
        assert_eq!(ww_status::Storage as u32, 17);
        assert_eq!(ww_status::NullArgument as u32, 100);
        assert_eq!(ww_status::BufferTooSmall as u32, 101);
        assert_eq!(ww_status::InvalidUtf8 as u32, 102);
        assert_eq!(ww_status::Panic as u32, 103);
    }
}
