//! Converting JavaScript arguments to Rust values, with a `TypeError` for a value of the wrong
//! type and a `RangeError` for a number the call cannot take. Nothing here decides a rule of
//! behaviour: ranges of OTP parameters are checked by core.

use std::ffi::CStr;

use napi::bindgen_prelude::{BigInt, Either, FromNapiValue, JsObjectValue, Object, Uint8ArraySlice, Unknown};
use napi::{Env, JsDate, JsString, JsValue, KeyCollectionMode, KeyConversion, KeyFilter, ValueType};
use watchword_core::{Algorithm, Code, Secret};

use crate::error::{Fail, Out};

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// How a value reads in an error message ("a string", "null" …).
pub(crate) fn describe(value: &Unknown) -> &'static str {
    match value.get_type() {
        Ok(ValueType::Undefined) => "undefined",
        Ok(ValueType::Null) => "null",
        Ok(ValueType::Boolean) => "a boolean",
        Ok(ValueType::Number) => "a number",
        Ok(ValueType::String) => "a string",
        Ok(ValueType::Symbol) => "a symbol",
        Ok(ValueType::BigInt) => "a bigint",
        Ok(ValueType::Function) => "a function",
        Ok(ValueType::Object) if value.is_array().unwrap_or(false) => "an array",
        Ok(ValueType::Object) if value.is_date().unwrap_or(false) => "a Date",
        Ok(ValueType::Object) if value.is_typedarray().unwrap_or(false) => "a typed array",
        Ok(ValueType::Object) => "an object",
        _ => "an unknown value",
    }
}

pub(crate) fn type_error(name: &str, expected: &str, value: &Unknown) -> Fail {
    Fail::Type(format!("{name} must be {expected}, not {}", describe(value)))
}

/// A string argument.
#[inline]
pub(crate) fn string(value: &Unknown, name: &str) -> Out<String> {
    if value.get_type()? != ValueType::String {
        return Err(type_error(name, "a string", value));
    }
    text(value)
}

/// The text of a value known to be a string: one N-API call for a short one (ids, codes,
/// option names), two for a long one.
pub(crate) fn text(value: &Unknown) -> Out<String> {
    let mut buf = [0u8; 128];
    let len = read_utf8(value, &mut buf)?;
    if len < buf.len() - 4 {
        // Shorter than the buffer by more than a character's bytes: the whole string.
        if let Ok(text) = std::str::from_utf8(&buf[..len]) {
            return Ok(text.to_string());
        }
    }
    // SAFETY: the value is a string.
    Ok(unsafe { value.cast::<String>()? })
}

/// Copies a string's UTF-8 into `buf` (cut at a character boundary to fit with the NUL N-API
/// writes) and returns how many bytes it wrote before the NUL.
fn read_utf8(value: &Unknown, buf: &mut [u8]) -> Out<usize> {
    let mut len = 0usize;
    // SAFETY: the value is a string of this environment; N-API writes at most `buf.len()`
    // bytes including the NUL and reports how many it wrote before it.
    let status = unsafe {
        napi::sys::napi_get_value_string_utf8(
            value.value().env,
            value.raw(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut len,
        )
    };
    if status != napi::sys::Status::napi_ok {
        return Err(Fail::Napi(napi::Error::new(napi::Status::from(status), "could not read a string")));
    }
    Ok(len.min(buf.len().saturating_sub(1)))
}

/// Room for a one-time code: longer than the longest code (10 digits), so a longer text is
/// still seen to be longer, plus the terminating NUL N-API writes.
pub(crate) type CodeBuf = [u8; 16];

/// A one-time code argument, read into a stack buffer without allocating. A text longer than
/// the buffer is cut to 15 bytes, which is still longer than any code, so it stays a mismatch.
#[inline]
pub(crate) fn code<'b>(value: &Unknown, name: &str, buf: &'b mut CodeBuf) -> Out<&'b str> {
    if value.get_type()? != ValueType::String {
        return Err(type_error(name, "a string", value));
    }
    let len = read_utf8(value, buf)?;
    // N-API cuts at a character boundary, so the bytes are UTF-8; anything else is a mismatch
    // and reads as the empty code.
    Ok(std::str::from_utf8(&buf[..len]).unwrap_or(""))
}

/// A generated code as a JavaScript string. Codes are ASCII digits, so they are created as a
/// one-byte string directly, without UTF-8 decoding.
#[inline]
pub(crate) fn code_string<'env>(env: &'env Env, code: &Code) -> Out<JsString<'env>> {
    let bytes = code.as_bytes();
    let mut raw = std::ptr::null_mut();
    // SAFETY: `bytes` is valid for its length; Latin-1 of ASCII digits is the same text.
    let status = unsafe {
        napi::sys::napi_create_string_latin1(env.raw(), bytes.as_ptr().cast(), bytes.len() as isize, &mut raw)
    };
    if status != napi::sys::Status::napi_ok {
        return Err(Fail::Napi(napi::Error::new(napi::Status::from(status), "could not create a string")));
    }
    // SAFETY: `raw` is the string just created in `env`.
    Ok(unsafe { JsString::from_napi_value(env.raw(), raw)? })
}

/// A number argument that must be a non-negative integer no larger than `max`.
pub(crate) fn integer(value: &Unknown, name: &str, max: f64) -> Out<f64> {
    if value.get_type()? != ValueType::Number {
        return Err(type_error(name, "a number", value));
    }
    // SAFETY: the value was just checked to be a number.
    let n = unsafe { value.cast::<f64>()? };
    check_integer(n, name, max)
}

fn check_integer(n: f64, name: &str, max: f64) -> Out<f64> {
    if !n.is_finite() || n.fract() != 0.0 {
        return Err(Fail::Range(format!("{name} must be an integer, not {n}")));
    }
    if n < 0.0 || n > max {
        return Err(Fail::Range(format!("{name} must be from 0 to {max}, not {n}")));
    }
    Ok(n)
}

/// A `u32` option (digits, skew …): an integer number; core checks the allowed range.
pub(crate) fn u32_arg(value: &Unknown, name: &str) -> Out<u32> {
    Ok(integer(value, name, f64::from(u32::MAX))? as u32)
}

/// A `u64` given as a number (integer, at most 2^53 - 1) or a bigint (0 to 2^64 - 1).
/// Returns the value and whether it was a bigint.
pub(crate) fn u64_arg(value: &Unknown, name: &str) -> Out<(u64, bool)> {
    match value.get_type()? {
        ValueType::Number => Ok((integer(value, name, MAX_SAFE_INTEGER)? as u64, false)),
        ValueType::BigInt => {
            // SAFETY: the value was just checked to be a bigint.
            let big = unsafe { value.cast::<BigInt>()? };
            let (negative, n, lossless) = big.get_u64();
            if negative || !lossless {
                return Err(Fail::Range(format!("{name} must be from 0 to 2^64 - 1")));
            }
            Ok((n, true))
        }
        _ => Err(type_error(name, "a number or a bigint", value)),
    }
}

/// A point in time as Unix seconds: a number of seconds (fractions are dropped), a bigint
/// (for times beyond 2^53 s) or a `Date`.
pub(crate) fn time(value: &Unknown, name: &str) -> Out<u64> {
    match value.get_type()? {
        ValueType::Number => {
            // SAFETY: the value was just checked to be a number.
            let n = unsafe { value.cast::<f64>()? };
            seconds(n, name)
        }
        ValueType::BigInt => Ok(u64_arg(value, name)?.0),
        ValueType::Object if value.is_date()? => {
            // SAFETY: the value was just checked to be a Date.
            let ms = unsafe { value.cast::<JsDate>()? }.value_of()?;
            seconds((ms / 1000.0).floor(), name)
        }
        _ => Err(type_error(name, "Unix seconds (a number or a bigint) or a Date", value)),
    }
}

/// A `u64` as a JavaScript number when it is exactly representable, else as a bigint.
pub(crate) fn number_or_bigint(n: u64) -> Either<f64, BigInt> {
    if n > MAX_SAFE_INTEGER as u64 {
        Either::B(BigInt::from(n))
    } else {
        Either::A(n as f64)
    }
}

fn seconds(n: f64, name: &str) -> Out<u64> {
    if n.is_nan() {
        return Err(Fail::Range(format!("{name} must be a time, not an invalid Date or NaN")));
    }
    if !(0.0..=MAX_SAFE_INTEGER).contains(&n) {
        return Err(Fail::Range(format!("{name} must be from 0 to 2^53 - 1 Unix seconds, not {n}")));
    }
    Ok(n.floor() as u64)
}

/// A time that defaults to the system clock when left out.
#[inline]
pub(crate) fn time_or_now(value: Option<Unknown>, name: &str) -> Out<u64> {
    match value {
        None => Ok(now()),
        Some(value) => time(&value, name),
    }
}

/// An argument time that defaults to the system clock when `undefined`, with one type check
/// on the common path (a number).
#[inline]
pub(crate) fn arg_time_or_now(value: &Unknown, name: &str) -> Out<u64> {
    match value.get_type()? {
        ValueType::Number => {
            // SAFETY: the value was just checked to be a number.
            seconds(unsafe { value.cast::<f64>()? }, name)
        }
        ValueType::Undefined => Ok(now()),
        _ => time(value, name),
    }
}

/// The system clock in Unix seconds.
pub(crate) fn now() -> u64 {
    watchword_core::service::unix_now()
}

/// A secret: a `Uint8Array` (or `Buffer`) of raw bytes, or a Base32 string.
pub(crate) fn secret(value: &Unknown, name: &str) -> Out<Secret> {
    match value.get_type()? {
        ValueType::String => Ok(Secret::from_base32(&string(value, name)?)?),
        ValueType::Object if value.is_typedarray()? => Ok(Secret::from_bytes(&bytes(value, name)?)?),
        _ => Err(type_error(name, "a Uint8Array, a Buffer or a Base32 string", value)),
    }
}

/// The bytes of a `Uint8Array` (or `Buffer`).
pub(crate) fn bytes<'a>(value: &'a Unknown, name: &str) -> Out<Uint8ArraySlice<'a>> {
    if value.get_type()? != ValueType::Object || !value.is_typedarray()? {
        return Err(type_error(name, "a Uint8Array or a Buffer", value));
    }
    // SAFETY: the value is a typed array; the conversion checks it is a Uint8Array.
    unsafe { Uint8ArraySlice::from_napi_value(value.value().env, value.raw()) }
        .map_err(|_| type_error(name, "a Uint8Array or a Buffer", value))
}

/// An algorithm name (`'sha1'`, `'SHA-256'` …), parsed by core; SHA-1 when left out.
pub(crate) fn algorithm(value: Option<Unknown>, name: &str) -> Out<Algorithm> {
    match value {
        None => Ok(watchword_core::DEFAULT_ALGORITHM),
        Some(value) => Ok(string(&value, name)?.parse::<Algorithm>()?),
    }
}

/// The most options any call takes.
const MAX_OPTIONS: usize = 12;

/// An options object: `undefined`/`null` (no options) or a plain object whose keys are all
/// among `known`. An unknown key is a `TypeError`, so that a misspelt option is never ignored.
/// The known keys are read once, up front.
pub(crate) struct Options<'env, 'k> {
    known: &'k [&'k CStr],
    values: [Option<Unknown<'env>>; MAX_OPTIONS],
}

impl<'env, 'k> Options<'env, 'k> {
    pub(crate) fn new(value: &Unknown<'env>, name: &str, known: &'k [&'k CStr]) -> Out<Options<'env, 'k>> {
        if known.len() > MAX_OPTIONS {
            return Err(Fail::Range(format!("{name}: too many options")));
        }
        let mut options = Options { known, values: [None; MAX_OPTIONS] };
        match value.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(options),
            ValueType::Object if !value.is_array()? && !value.is_date()? && !value.is_typedarray()? => {
                // SAFETY: the value was just checked to be an object.
                let object = unsafe { value.cast::<Object>()? };
                let mut found = 0;
                for (slot, key) in options.values.iter_mut().zip(known) {
                    *slot = present(object.get_c_named_property_unchecked::<Unknown>(key)?)?;
                    found += usize::from(slot.is_some());
                }
                // The enumerable keys, as `for…in` sees them (V8 answers from its enum cache).
                let names = object.get_property_names()?;
                // Fast path: as many keys as known options found, so there is no other key.
                if names.get_array_length()? as usize != found {
                    check_keys(&object, name, known)?;
                }
                Ok(options)
            }
            _ => Err(type_error(name, "an object", value)),
        }
    }

    /// The option's value; `None` when it is absent or `undefined`.
    #[inline]
    pub(crate) fn get(&self, key: &CStr) -> Option<Unknown<'env>> {
        let index = self.known.iter().position(|k| *k == key)?;
        self.values[index]
    }
}

/// `None` for `undefined` (an argument or option left out), else the value.
#[inline]
pub(crate) fn present(value: Unknown) -> Out<Option<Unknown>> {
    Ok(if value.get_type()? == ValueType::Undefined { None } else { Some(value) })
}

/// The own enumerable string keys of an object.
pub(crate) fn keys(object: &Object) -> Out<Vec<String>> {
    let names = object.get_all_property_names(
        KeyCollectionMode::OwnOnly,
        KeyFilter::Enumerable,
        KeyConversion::NumbersToStrings,
    )?;
    let len = names.get_array_length()?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let key: Unknown = names.get_element(i)?;
        if key.get_type()? == ValueType::String {
            // SAFETY: checked to be a string.
            out.push(unsafe { key.cast::<String>()? });
        }
    }
    Ok(out)
}

/// The own enumerable string keys of an object — the array the caller gave
/// (`Object.keys(options)`, which JavaScript computes many times faster than N-API can), else
/// collected here — with their values, each read by the key's own handle.
pub(crate) fn entries<'env>(object: &Object<'env>, keys: Option<&Unknown<'env>>) -> Out<Vec<(String, Unknown<'env>)>> {
    let env = object.value().env;
    let names = match keys {
        // SAFETY: checked to be an array.
        Some(keys) if keys.is_array()? => unsafe { keys.cast::<Object>()? },
        _ => object.get_all_property_names(
            KeyCollectionMode::OwnOnly,
            KeyFilter::Enumerable,
            KeyConversion::NumbersToStrings,
        )?,
    };
    let len = names.get_array_length()?;
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let key: Unknown = names.get_element(i)?;
        if key.get_type()? != ValueType::String {
            continue;
        }
        let mut value = std::ptr::null_mut();
        // SAFETY: `object` and `key` are values of this environment.
        let status = unsafe { napi::sys::napi_get_property(env, object.raw(), key.raw(), &mut value) };
        if status != napi::sys::Status::napi_ok {
            return Err(Fail::Napi(napi::Error::new(napi::Status::from(status), "could not read a property")));
        }
        // SAFETY: `value` was just read in this environment.
        out.push((text(&key)?, unsafe { Unknown::from_raw_unchecked(env, value) }));
    }
    Ok(out)
}

#[cold]
fn check_keys(object: &Object, name: &str, known: &[&CStr]) -> Out<()> {
    let known: Vec<&str> = known.iter().filter_map(|k| k.to_str().ok()).collect();
    for key in keys(object)? {
        if !known.contains(&key.as_str()) {
            return Err(Fail::Type(format!(
                "{name} has an unknown option {key:?}; the options are: {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}
