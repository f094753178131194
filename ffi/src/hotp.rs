//! `ww_hotp`: RFC 4226 counter-based codes.

use std::ffi::c_char;

use watchword_core::Hotp;

use crate::algorithm;
use crate::boundary::{arg_bytes, arg_ref, arg_text, Out, OutBuf};
use crate::result::{ww_hotp_result, ww_result};
use crate::status::ww_status;

/// An HOTP key: secret, algorithm and digits, with the HMAC key schedule done once. Create it
/// with `ww_hotp_new`, free it with `ww_hotp_free`.
///
/// Thread safety: immutable once created; any number of threads may call `ww_hotp_generate`
/// and `ww_hotp_verify` on the same handle at the same time. The counter is the caller's to
/// keep. Free it only after every other call on it has returned. The secret is wiped on free.
pub struct ww_hotp {
    inner: Hotp,
}

/// Creates an HOTP key. `secret` is `secret_len` raw bytes (1–128); `algorithm` a
/// `WW_ALGORITHM_*` number; `digits` 3–10. The secret is copied. On success `*out_hotp`
/// receives the handle.
#[no_mangle]
pub extern "C" fn ww_hotp_new(
    secret: *const u8,
    secret_len: usize,
    algorithm: u32,
    digits: u32,
    out_hotp: *mut *mut ww_hotp,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `secret` points to `secret_len` readable bytes; `out_hotp` is writable.
        let secret = unsafe { arg_bytes(secret, secret_len, "secret") }?;
        let out = unsafe { Out::new(out_hotp, "out_hotp") }?;
        let inner = Hotp::new(secret, algorithm::from_c(algorithm)?, digits)?;
        out.write(Box::into_raw(Box::new(ww_hotp { inner })));
        Ok(())
    })
}

/// Frees an HOTP key made by `ww_hotp_new` and wipes its secret. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ww_hotp_free(hotp: *mut ww_hotp) {
    ffi_boundary!(value(()), {
        if !hotp.is_null() {
            // SAFETY: a non-NULL pointer came from `ww_hotp_new` and is freed once.
            drop(unsafe { Box::from_raw(hotp) });
        }
    })
}

/// Writes the code for `counter` into `buf` (NUL-terminated, `digits` ASCII digits);
/// `*out_len` receives its length. Buffer handling as in `ww_totp_generate`.
#[no_mangle]
pub extern "C" fn ww_hotp_generate(
    hotp: *const ww_hotp,
    counter: u64,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `hotp` came from `ww_hotp_new`; `buf` holds `buf_len` bytes; `out_len` is writable.
        let hotp = unsafe { arg_ref(hotp, "hotp") }?;
        let out = unsafe { OutBuf::text(buf, buf_len, out_len, "buf", "out_len") }?;
        out.write_str(hotp.inner.generate(counter).as_str())
    })
}

/// Checks `code` (`code_len` bytes of UTF-8; no terminator needed) against counters
/// `counter` … `counter + look_ahead` (look-ahead 0–1000, saturating at `UINT64_MAX`, never
/// backwards), every counter evaluated in constant time; the lowest matching counter wins.
/// `*out_result` receives `WW_RESULT_APPROVED` with the matched counter, or
/// `WW_RESULT_INVALID_CODE`.
#[no_mangle]
pub extern "C" fn ww_hotp_verify(
    hotp: *const ww_hotp,
    code: *const c_char,
    code_len: usize,
    counter: u64,
    look_ahead: u64,
    out_result: *mut ww_hotp_result,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `hotp` came from `ww_hotp_new`; `code` holds `code_len` bytes; `out_result` is writable.
        let hotp = unsafe { arg_ref(hotp, "hotp") }?;
        let code = unsafe { arg_text(code, code_len, "code") }?;
        let out = unsafe { Out::new(out_result, "out_result") }?;
        let result = match hotp.inner.verify(code, counter, look_ahead)? {
            Some(counter) => ww_hotp_result { result: ww_result::Approved, counter },
            None => ww_hotp_result { result: ww_result::InvalidCode, counter: 0 },
        };
        out.write(result);
        Ok(())
    })
}
