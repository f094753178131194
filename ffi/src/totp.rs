//! `ww_totp`: RFC 6238 time-based codes.

use std::ffi::c_char;

use watchword_core::Totp;

use crate::algorithm;
use crate::boundary::{arg_bytes, arg_ref, arg_text, Out, OutBuf};
use crate::result::{ww_result, ww_totp_result};
use crate::status::ww_status;

/// A TOTP key: secret, algorithm, digits, period and epoch, with the HMAC key schedule done
/// once. Create it with `ww_totp_new`, free it with `ww_totp_free`.
///
/// Thread safety: immutable once created; any number of threads may call `ww_totp_generate`,
/// `ww_totp_verify`, `ww_totp_check` and `ww_totp_step` on the same handle at the same time.
/// Free it only after every other call on it has returned. The secret is wiped on free.
pub struct ww_totp {
    inner: Totp,
}

/// Creates a TOTP key. `secret` is `secret_len` raw bytes (1–128; the primitives accept
/// legacy 10-byte seeds); `algorithm` is a `WW_ALGORITHM_*` number; `digits` 3–10; `period`
/// 1–86400 seconds; `t0` the Unix time step 0 starts at (RFC 6238 T0, normally 0). The secret
/// is copied. On success `*out_totp` receives the handle.
#[no_mangle]
pub extern "C" fn ww_totp_new(
    secret: *const u8,
    secret_len: usize,
    algorithm: u32,
    digits: u32,
    period: u64,
    t0: u64,
    out_totp: *mut *mut ww_totp,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `secret` points to `secret_len` readable bytes; `out_totp` is writable.
        let secret = unsafe { arg_bytes(secret, secret_len, "secret") }?;
        let out = unsafe { Out::new(out_totp, "out_totp") }?;
        let inner = Totp::new(secret, algorithm::from_c(algorithm)?, digits, period)?.with_t0(t0);
        out.write(Box::into_raw(Box::new(ww_totp { inner })));
        Ok(())
    })
}

/// Frees a TOTP key made by `ww_totp_new` and wipes its secret. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ww_totp_free(totp: *mut ww_totp) {
    ffi_boundary!(value(()), {
        if !totp.is_null() {
            // SAFETY: a non-NULL pointer came from `ww_totp_new` and is freed once.
            drop(unsafe { Box::from_raw(totp) });
        }
    })
}

/// Writes the code for Unix time `unix_time` into `buf` as a NUL-terminated string of
/// exactly `digits` ASCII digits (leading zeros kept); `*out_len` receives its length.
/// `buf` needs `digits + 1` bytes (`WW_CODE_BUFFER_SIZE` always suffices); a smaller one gives
/// `WW_STATUS_BUFFER_TOO_SMALL` with the size needed in `*out_len`. A time before `t0` is
/// `WW_STATUS_INVALID_PARAMETER`.
#[no_mangle]
pub extern "C" fn ww_totp_generate(
    totp: *const ww_totp,
    unix_time: u64,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `totp` came from `ww_totp_new`; `buf` holds `buf_len` bytes; `out_len` is writable.
        let totp = unsafe { arg_ref(totp, "totp") }?;
        let out = unsafe { OutBuf::text(buf, buf_len, out_len, "buf", "out_len") }?;
        out.write_str(totp.inner.generate(unix_time)?.as_str())
    })
}

/// Writes the time step of Unix time `unix_time` (`(unix_time - t0) / period`) to `*out_step`.
#[no_mangle]
pub extern "C" fn ww_totp_step(totp: *const ww_totp, unix_time: u64, out_step: *mut u64) -> ww_status {
    ffi_boundary!({
        // SAFETY: `totp` came from `ww_totp_new`; `out_step` is writable.
        let totp = unsafe { arg_ref(totp, "totp") }?;
        let out = unsafe { Out::new(out_step, "out_step") }?;
        out.write(totp.inner.step(unix_time)?);
        Ok(())
    })
}

/// Checks `code` (`code_len` bytes of UTF-8; no terminator needed) against the steps within
/// `skew` (0–10) of the current one, every step always evaluated and compared in constant
/// time. `*out_result` receives `WW_RESULT_APPROVED` with the matched step and offset (the
/// step nearest the current one, current first), or `WW_RESULT_INVALID_CODE`. A code that is not exactly `digits` ASCII
/// digits is simply invalid; text that is not UTF-8 is `WW_STATUS_INVALID_UTF8`.
#[no_mangle]
pub extern "C" fn ww_totp_verify(
    totp: *const ww_totp,
    code: *const c_char,
    code_len: usize,
    unix_time: u64,
    skew: u32,
    out_result: *mut ww_totp_result,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `totp` came from `ww_totp_new`; `code` holds `code_len` bytes; `out_result` is writable.
        let totp = unsafe { arg_ref(totp, "totp") }?;
        let code = unsafe { arg_text(code, code_len, "code") }?;
        let out = unsafe { Out::new(out_result, "out_result") }?;
        let result = match totp.inner.verify(code, unix_time, skew)? {
            Some(m) => ww_totp_result { result: ww_result::Approved, step: m.step, offset: m.offset },
            None => invalid_code(),
        };
        out.write(result);
        Ok(())
    })
}

/// Like `ww_totp_verify`, with Okta's stricter results and a replay floor: when
/// `has_last_used_step` is true, only steps above `last_used_step` are accepted (the highest
/// matching one wins); a code matching an older step is `WW_RESULT_REPLAYED`. A code matching
/// a step 1–2 steps beyond the skew window is `WW_RESULT_OUTSIDE_WINDOW` with its offset.
#[no_mangle]
pub extern "C" fn ww_totp_check(
    totp: *const ww_totp,
    code: *const c_char,
    code_len: usize,
    unix_time: u64,
    skew: u32,
    has_last_used_step: bool,
    last_used_step: u64,
    out_result: *mut ww_totp_result,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `totp` came from `ww_totp_new`; `code` holds `code_len` bytes; `out_result` is writable.
        let totp = unsafe { arg_ref(totp, "totp") }?;
        let code = unsafe { arg_text(code, code_len, "code") }?;
        let out = unsafe { Out::new(out_result, "out_result") }?;
        let floor = has_last_used_step.then_some(last_used_step);
        let outcome = totp.inner.check(code, unix_time, skew, floor)?;
        let result = match outcome.matched() {
            Some(m) => {
                ww_totp_result { result: ww_result::from_core(outcome.result()), step: m.step, offset: m.offset }
            }
            None => invalid_code(),
        };
        out.write(result);
        Ok(())
    })
}

fn invalid_code() -> ww_totp_result {
    ww_totp_result { result: ww_result::InvalidCode, step: 0, offset: 0 }
}
