//! Verification results: a wrong code is a result, never a failure status.

use std::ffi::c_char;

use watchword_core::service::VerificationResult;

use crate::boundary::static_c_str;

/// The outcome of checking a code.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ww_result {
    /// The code is right (and fresh, where a replay floor was given).
    Approved = 0,
    /// The code matches no step that was looked at.
    InvalidCode = 1,
    /// The code matches a step at or below the last accepted one: it was used already.
    Replayed = 2,
    /// The code matches a step 1–2 steps beyond the skew window (a clock off by that much).
    OutsideWindow = 3,
}

impl ww_result {
    /// The same result of core's.
    pub const fn from_core(result: VerificationResult) -> ww_result {
        match result {
            VerificationResult::Approved => ww_result::Approved,
            VerificationResult::InvalidCode => ww_result::InvalidCode,
            VerificationResult::Replayed => ww_result::Replayed,
            VerificationResult::OutsideWindow => ww_result::OutsideWindow,
        }
    }

    /// The same result in core.
    pub const fn core(self) -> VerificationResult {
        match self {
            ww_result::Approved => VerificationResult::Approved,
            ww_result::InvalidCode => VerificationResult::InvalidCode,
            ww_result::Replayed => VerificationResult::Replayed,
            ww_result::OutsideWindow => VerificationResult::OutsideWindow,
        }
    }

    /// The stable name, as the service JSON spells it.
    pub const fn name(self) -> &'static std::ffi::CStr {
        match self {
            ww_result::Approved => c"approved",
            ww_result::InvalidCode => c"invalid_code",
            ww_result::Replayed => c"replayed",
            ww_result::OutsideWindow => c"outside_window",
        }
    }
}

/// What `ww_totp_verify` and `ww_totp_check` report.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ww_totp_result {
    /// The outcome.
    pub result: ww_result,
    /// The time step the code matched (0 for `WW_RESULT_INVALID_CODE`).
    pub step: u64,
    /// The matched step minus the current step: -1 means the code is one step old (0 for
    /// `WW_RESULT_INVALID_CODE`).
    pub offset: i64,
}

/// What `ww_hotp_verify` reports.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ww_hotp_result {
    /// `WW_RESULT_APPROVED` or `WW_RESULT_INVALID_CODE`.
    pub result: ww_result,
    /// The counter the code matched (0 for `WW_RESULT_INVALID_CODE`); the next expected
    /// counter is this plus one.
    pub counter: u64,
}

const ALL: [ww_result; 4] =
    [ww_result::Approved, ww_result::InvalidCode, ww_result::Replayed, ww_result::OutsideWindow];

fn from_u32(value: u32) -> Option<ww_result> {
    ALL.into_iter().find(|r| *r as u32 == value)
}

/// The stable name of a result (`"approved"`, `"invalid_code"`, `"replayed"`,
/// `"outside_window"`), or `"unknown"` for any other number. Static: do not free it.
#[no_mangle]
pub extern "C" fn ww_result_name(result: u32) -> *const c_char {
    ffi_boundary!(value(c"unknown".as_ptr()), { from_u32(result).map_or(c"unknown", ww_result::name).as_ptr() })
}

/// The Okta error code a result maps to (`"E0000082"` for `WW_RESULT_REPLAYED`,
/// `"E0000083"` for `WW_RESULT_OUTSIDE_WINDOW`), or `""` when it has none (`WW_RESULT_APPROVED`,
/// unknown numbers). Static: do not free it.
#[no_mangle]
pub extern "C" fn ww_result_okta_code(result: u32) -> *const c_char {
    ffi_boundary!(value(c"".as_ptr()), {
        from_u32(result).and_then(|r| r.core().okta_code()).map_or(c"", static_c_str).as_ptr()
    })
}
