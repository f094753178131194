//! Failures at the boundary and the per-thread last error that describes them in full.
//!
//! A status says what kind of failure happened; the last error adds the human message, the
//! detail name of an invalid parameter, the Twilio code refined per parameter, and until when
//! a locked factor stays locked. It is kept per thread, cleared when a status-returning call
//! starts and set when it fails, so it always describes the latest call on that thread.

use std::cell::RefCell;
use std::ffi::c_char;

use serde_json::{json, Value};
use watchword_core::{Error, Invalid};

use crate::boundary::{OutBuf, OutString};
use crate::status::ww_status;

/// Why a call failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An error from core.
    Core(Error),
    /// A pointer argument is NULL.
    NullArgument(&'static str),
    /// An output buffer is too small.
    BufferTooSmall { needed: usize, capacity: usize },
    /// A text argument is not UTF-8.
    InvalidUtf8 { argument: &'static str, position: usize },
    /// A panic or internal error.
    Panic(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Core(error)
    }
}

impl Failure {
    /// A length too large to be real (above `isize::MAX`).
    pub(crate) fn too_long(name: &'static str) -> Failure {
        Failure::Core(Error::InvalidParameter(Invalid::Parameter { name, expected: "a length below 2^63" }))
    }

    /// An invalid argument that only the C ABI has (an unknown enum number …).
    pub(crate) fn invalid(name: &'static str, expected: &'static str) -> Failure {
        Failure::Core(Error::InvalidParameter(Invalid::Parameter { name, expected }))
    }

    pub(crate) fn status(&self) -> ww_status {
        match self {
            Failure::Core(error) => ww_status::from_kind(error.kind()),
            Failure::NullArgument(_) => ww_status::NullArgument,
            Failure::BufferTooSmall { .. } => ww_status::BufferTooSmall,
            Failure::InvalidUtf8 { .. } => ww_status::InvalidUtf8,
            Failure::Panic(_) => ww_status::Panic,
        }
    }

    fn record(self) -> LastError {
        let status = self.status();
        let mut last =
            LastError { status, message: String::new(), detail: None, twilio_code: None, until: None, argument: None };
        match self {
            Failure::Core(error) => {
                last.message = error.to_string();
                last.detail = error.detail();
                last.twilio_code = error.twilio_code();
                last.argument = error.parameter();
                if let Error::FactorLocked { until } = error {
                    last.until = until;
                }
            }
            Failure::NullArgument(name) => {
                last.message = format!("argument `{name}` is NULL; pass a valid pointer");
                last.argument = Some(name);
            }
            Failure::BufferTooSmall { needed, capacity } => {
                last.message =
                    format!("the output buffer holds {capacity} bytes but {needed} are needed; the size was reported");
            }
            Failure::InvalidUtf8 { argument, position } => {
                last.message =
                    format!("argument `{argument}` is not valid UTF-8 (byte {position} is the first bad one)");
                last.argument = Some(argument);
            }
            Failure::Panic(message) => last.message = message,
        }
        last
    }
}

struct LastError {
    status: ww_status,
    message: String,
    detail: Option<&'static str>,
    twilio_code: Option<u32>,
    until: Option<u64>,
    argument: Option<&'static str>,
}

impl LastError {
    fn to_json(&self) -> Value {
        let http = self.status.http_status();
        let okta = self.status.okta_code();
        json!({
            "status": self.status as u32,
            "kind": self.status.name(),
            "message": self.message,
            "detail": self.detail,
            "argument": self.argument,
            "twilio_code": self.twilio_code,
            "http_status": if http == 0 { None } else { Some(http) },
            "okta_code": if okta.is_empty() { None } else { Some(okta) },
            "until": self.until,
        })
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

pub(crate) fn clear() {
    let _ = LAST_ERROR.try_with(|last| last.borrow_mut().take());
}

pub(crate) fn set(failure: Failure) {
    let record = failure.record();
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = Some(record));
}

fn with_last<T>(f: impl FnOnce(Option<&LastError>) -> T) -> T {
    let mut f = Some(f);
    let result = LAST_ERROR.try_with(|last| (f.take().expect("called once"))(last.borrow().as_ref()));
    match result {
        Ok(value) => value,
        // Only during thread teardown: behave as if there were no error.
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Copies the message of this thread's last error into `buf` (NUL-terminated): what went
/// wrong and what to do, e.g. `"invalid code_length: expected 3-8 digits"`. An empty string
/// when the latest status-returning call on this thread succeeded.
///
/// Size-query idiom: on success `*out_len` is the message length (without the NUL); when `buf`
/// holds fewer than that plus one bytes, nothing is copied, `*out_len` is the size needed
/// (length + 1) and the call returns `WW_STATUS_BUFFER_TOO_SMALL`.
///
/// This function and the other `ww_last_error_*` functions leave the last error as it is.
#[no_mangle]
pub extern "C" fn ww_last_error_message(buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> ww_status {
    ffi_boundary!(keep_last_error, {
        // SAFETY: the caller passes a buffer of `buf_len` bytes and a writable `out_len`.
        let out = unsafe { OutBuf::text(buf, buf_len, out_len, "buf", "out_len") }?;
        with_last(|last| out.write_str(last.map_or("", |l| l.message.as_str())))
    })
}

/// Copies the detail name of this thread's last error into `buf` (NUL-terminated): for
/// `WW_STATUS_INVALID_PARAMETER` what exactly is wrong (`"base32_character"`, `"parameter"`,
/// `"uri_missing_secret"` …), for `WW_STATUS_NULL_ARGUMENT` and `WW_STATUS_INVALID_UTF8` the
/// argument's name; an empty string otherwise. Buffer handling as in `ww_last_error_message`.
#[no_mangle]
pub extern "C" fn ww_last_error_detail(buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> ww_status {
    ffi_boundary!(keep_last_error, {
        // SAFETY: the caller passes a buffer of `buf_len` bytes and a writable `out_len`.
        let out = unsafe { OutBuf::text(buf, buf_len, out_len, "buf", "out_len") }?;
        with_last(|last| out.write_str(last.and_then(|l| l.detail.or(l.argument)).unwrap_or("")))
    })
}

/// This thread's last error as a JSON object, allocated by the library (free it with
/// `ww_string_free`), or the JSON text `null` when the latest status-returning call on this
/// thread succeeded:
///
/// `{"status": 15, "kind": "factor_locked", "message": "…", "detail": null, "argument": null,
///   "twilio_code": null, "http_status": 429, "okta_code": "E0000069", "until": 1700000060}`
///
/// `detail` names what is wrong with an invalid parameter (`"base32_character"`,
/// `"parameter"` …); `argument` names the argument or setting at fault (`"identity"`,
/// `"code_length"` — as the options spell it —, `"secret"` for a NULL …) where there is one; `twilio_code` is refined
/// per parameter (60367 for `identity`, 60370 for factor config, 60306 for other request
/// parameters, 60300 for malformed OTP input); `until` is the Unix time a locked factor
/// unlocks (null when it stays locked until `unlock_factor`).
#[no_mangle]
pub extern "C" fn ww_last_error_json(out_json: *mut *mut c_char) -> ww_status {
    ffi_boundary!(keep_last_error, {
        // SAFETY: the caller passes a writable `char **`.
        let out = unsafe { OutString::new(out_json, "out_json") }?;
        let text = with_last(|last| last.map_or(Value::Null, LastError::to_json).to_string());
        out.write(text)
    })
}
