//! The error boundary: every export runs inside [`boundary`], which catches panics and turns
//! every failure into the JavaScript error the API documents.
//!
//! - a value of the wrong JavaScript type → `TypeError`
//! - a number out of its range → `RangeError`
//! - every other failure → `WatchwordError`
//!
//! All three carry the same fields, taken from core's error table: `code` (the kind string,
//! `'invalid_parameter'` for the first two), `twilioCode`, `httpStatus`, `oktaCode` and
//! `detail`. A wrong one-time code is never an error.

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::{FromNapiValue, Function, JsObjectValue, Null, Object, Unknown};
use napi::{Env, JsValue, Status};
use napi_derive::napi;
use watchword_core::{Error, ErrorKind, Invalid};

/// Why an export failed, before it becomes a JavaScript error.
pub(crate) enum Fail {
    /// An argument of the wrong JavaScript type.
    Type(String),
    /// A number the binding cannot represent for the call (not an integer, negative, too big).
    Range(String),
    /// An error from core; `numeric` says whether the parameter at fault was given as a number
    /// (then it is thrown as a `RangeError`).
    Core { error: Error, numeric: bool },
    /// A JavaScript exception is already pending, or N-API itself failed.
    Napi(napi::Error),
    /// A core error about a service argument, told in JavaScript's terms: the class to throw,
    /// the message and the argument's JavaScript name; the codes are core's.
    Argument { error: Error, class: Class, message: String, parameter: String },
}

/// What every export returns inside the boundary.
pub(crate) type Out<T> = std::result::Result<T, Fail>;

impl From<Error> for Fail {
    fn from(error: Error) -> Fail {
        let numeric = matches!(
            &error,
            Error::InvalidParameter(
                Invalid::Digits { .. }
                    | Invalid::Period { .. }
                    | Invalid::Skew { .. }
                    | Invalid::LookAhead { .. }
                    | Invalid::TimeBeforeT0 { .. }
            )
        );
        Fail::Core { error, numeric }
    }
}

impl From<napi::Error> for Fail {
    fn from(error: napi::Error) -> Fail {
        Fail::Napi(error)
    }
}

/// Runs `f`, catching panics, and throws its failure as the documented JavaScript error.
#[inline(always)]
pub(crate) fn boundary<T>(env: &Env, f: impl FnOnce() -> Out<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(fail)) => Err(throw(env, fail)),
        Err(panic) => Err(napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
    }
}

/// Throws `fail` into `env` and returns the error that tells napi an exception is pending.
#[cold]
fn throw(env: &Env, fail: Fail) -> napi::Error {
    let (class, message, fields) = match describe(fail) {
        Ok(described) => described,
        Err(error) => return error,
    };
    match build(env, class, &message, &fields).and_then(|object| env.throw(object)) {
        Ok(()) => napi::Error::from_status(Status::PendingException),
        Err(_) => napi::Error::new(Status::GenericFailure, message),
    }
}

/// `fail` as the error a promise rejects with: the same object [`throw`] would throw (a
/// `WatchwordError`, `TypeError` or `RangeError` with `code`, `twilioCode` …).
#[cold]
pub(crate) fn rejection(env: &Env, fail: Fail) -> napi::Error {
    let (class, message, fields) = match describe(fail) {
        Ok(described) => described,
        Err(error) => return error,
    };
    match build(env, class, &message, &fields) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        Err(_) => napi::Error::new(Status::GenericFailure, message),
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("internal error in watchword (please report it): {what}")
}

/// The class, message and fields of the JavaScript error for `fail`; a failure of N-API itself
/// is handed on as it is.
fn describe(fail: Fail) -> Result<(Class, String, Fields), napi::Error> {
    Ok(match fail {
        Fail::Napi(error) => return Err(error),
        Fail::Type(message) => (Class::Type, message, Fields::invalid_parameter("type")),
        Fail::Range(message) => (Class::Range, message, Fields::invalid_parameter("range")),
        Fail::Argument { error, class, message, parameter } => {
            let detail = match class {
                Class::Type => Some("type"),
                _ => error.detail(),
            };
            (class, message, Fields { detail, parameter: Some(parameter), ..Fields::of(&error) })
        }
        Fail::Core { error, numeric } => {
            let class =
                if numeric && error.kind() == ErrorKind::InvalidParameter { Class::Range } else { Class::Watchword };
            (class, error.to_string(), Fields::of(&error))
        }
    })
}

/// The JavaScript class of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `TypeError`: a value of the wrong JavaScript type.
    Type,
    /// `RangeError`: a number out of its range.
    Range,
    /// `WatchwordError`: everything else.
    Watchword,
}

/// The fields every watchword error carries.
struct Fields {
    code: &'static str,
    twilio_code: Option<u32>,
    http_status: u16,
    okta_code: Option<&'static str>,
    detail: Option<&'static str>,
    /// The argument at fault, in JavaScript's spelling (`codeLength`, `config.skew` …).
    parameter: Option<String>,
}

impl Fields {
    fn of(error: &Error) -> Fields {
        Fields {
            code: error.kind().as_str(),
            twilio_code: error.twilio_code(),
            http_status: error.http_status(),
            okta_code: error.okta_code(),
            detail: error.detail(),
            parameter: error.parameter().map(crate::json::camel),
        }
    }

    fn invalid_parameter(detail: &'static str) -> Fields {
        let kind = ErrorKind::InvalidParameter;
        Fields {
            code: kind.as_str(),
            twilio_code: kind.twilio_code(),
            http_status: kind.http_status(),
            okta_code: kind.okta_code(),
            detail: Some(detail),
            parameter: None,
        }
    }
}

fn build<'env>(env: &'env Env, class: Class, message: &str, fields: &Fields) -> napi::Result<Object<'env>> {
    let text = env.create_string(message)?;
    let mut raw = std::ptr::null_mut();
    let status = unsafe {
        // SAFETY: `env` is the live environment of this call and `text` a string created in it.
        match class {
            Class::Type => napi::sys::napi_create_type_error(env.raw(), std::ptr::null_mut(), text.raw(), &mut raw),
            Class::Range => napi::sys::napi_create_range_error(env.raw(), std::ptr::null_mut(), text.raw(), &mut raw),
            Class::Watchword => {
                let class: Function<Unknown, Unknown> = error_class(env)?;
                raw = class.new_instance(text.to_unknown())?.raw();
                napi::sys::Status::napi_ok
            }
        }
    };
    if status != napi::sys::Status::napi_ok {
        return Err(napi::Error::new(Status::GenericFailure, "could not create an error object"));
    }
    // SAFETY: `raw` is the error object just created in `env`.
    let mut object = unsafe { Object::from_napi_value(env.raw(), raw)? };
    object.set_named_property("code", fields.code)?;
    match fields.twilio_code {
        Some(code) => object.set_named_property("twilioCode", code)?,
        None => object.set_named_property("twilioCode", Null)?,
    }
    object.set_named_property("httpStatus", u32::from(fields.http_status))?;
    match fields.okta_code {
        Some(code) => object.set_named_property("oktaCode", code)?,
        None => object.set_named_property("oktaCode", Null)?,
    }
    match fields.detail {
        Some(detail) => object.set_named_property("detail", detail)?,
        None => object.set_named_property("detail", Null)?,
    }
    match &fields.parameter {
        Some(parameter) => object.set_named_property("parameter", parameter.as_str())?,
        None => object.set_named_property("parameter", Null)?,
    }
    Ok(object)
}

/// The `WatchwordError` class of this environment (each worker thread has its own).
fn error_class(env: &Env) -> napi::Result<Function<'_, Unknown<'_>, Unknown<'_>>> {
    // SAFETY: the reference holds the class function created in this environment.
    unsafe { crate::instance::get(env)?.error_class.get_value(env)?.cast() }
}

/// The class, defined in JavaScript so that it really extends `Error` (stack traces,
/// `instanceof Error`, `util.inspect`). Its fields are set by [`build`].
pub(crate) const ERROR_CLASS_SOURCE: &str = r#"(() => {
  class WatchwordError extends Error {
    constructor(message) {
      super(message);
      this.code = 'invalid_parameter';
      this.twilioCode = null;
      this.httpStatus = 400;
      this.oktaCode = null;
      this.detail = null;
      this.parameter = null;
    }
  }
  Object.defineProperty(WatchwordError.prototype, 'name', {
    value: 'WatchwordError', writable: true, enumerable: false, configurable: true,
  });
  return WatchwordError;
})()"#;

/// One row of the error table.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ErrorKindInfo {
    /// The kind string, e.g. `'challenge_expired'`: `err.code`.
    #[napi(ts_type = "ErrorCode")]
    pub code: String,
    /// The stable number of the kind (the C ABI's status).
    pub number: u32,
    /// The Twilio error code, if Twilio has one (invalid parameters: the generic 60300).
    pub twilio_code: Option<u32>,
    /// The HTTP status an API should answer with.
    pub http_status: u32,
    /// The Okta error code, if Okta has one.
    pub okta_code: Option<String>,
}

/// Every error kind with its codes, straight from core's table.
#[napi(catch_unwind)]
pub fn error_kinds() -> Vec<ErrorKindInfo> {
    ErrorKind::ALL
        .iter()
        .map(|kind| ErrorKindInfo {
            code: kind.as_str().to_string(),
            number: kind.code(),
            twilio_code: kind.twilio_code(),
            http_status: u32::from(kind.http_status()),
            okta_code: kind.okta_code().map(String::from),
        })
        .collect()
}

/// One verification result with the Okta code it maps to.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct VerificationResultInfo {
    /// `'approved'`, `'invalid_code'`, `'replayed'` or `'outside_window'`.
    #[napi(ts_type = "VerificationResult")]
    pub result: String,
    /// The Okta error code of a failed result (`'E0000082'` for a replay …), or `null`.
    pub okta_code: Option<String>,
}

/// Every verification result (a wrong code is a result, never an error) with its Okta code,
/// from core.
#[napi(catch_unwind)]
pub fn verification_results() -> Vec<VerificationResultInfo> {
    use watchword_core::service::VerificationResult as R;
    // Never called: its exhaustive match makes a new result in core a compile error here
    // until it is listed below.
    #[allow(dead_code)]
    const fn every_result_is_listed(result: R) {
        match result {
            R::Approved | R::InvalidCode | R::Replayed | R::OutsideWindow => {}
        }
    }
    [R::Approved, R::InvalidCode, R::Replayed, R::OutsideWindow]
        .into_iter()
        .map(|r| VerificationResultInfo { result: r.as_str().to_string(), okta_code: r.okta_code().map(String::from) })
        .collect()
}
