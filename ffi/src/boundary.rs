//! The boundary between C and Rust: the one panic-catching macro every export body runs in,
//! and the checked conversions of C arguments (NULL, UTF-8, lengths) and outputs (out-params
//! written only on success, caller buffers with the size-query idiom, library-allocated strings).
//!
//! `tests/boundary.rs` fails when an `extern "C"` function's body is anything but one
//! `ffi_boundary!` invocation.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Mutex, PoisonError};

use crate::error::{self, Failure};
use crate::status::ww_status;

/// Runs an export's body, catching any panic, and turns its outcome into a `ww_status`.
///
/// - `ffi_boundary!({ … })`: the body returns `Result<(), Failure>`; the thread's last error is
///   cleared first and set when the body fails.
/// - `ffi_boundary!(keep_last_error, { … })`: the same, but the last error is left untouched
///   (for the functions that read it).
/// - `ffi_boundary!(value(fallback), { … })`: an infallible body returning a value; a panic
///   returns `fallback` instead.
macro_rules! ffi_boundary {
    (keep_last_error, $body:block) => {
        $crate::boundary::guard(false, || -> ::core::result::Result<(), $crate::error::Failure> { $body })
    };
    (value($fallback:expr), $body:block) => {
        $crate::boundary::guard_value(|| $body, || $fallback)
    };
    ($body:block) => {
        $crate::boundary::guard(true, || -> ::core::result::Result<(), $crate::error::Failure> { $body })
    };
}

/// The status-returning half of [`ffi_boundary!`].
pub(crate) fn guard(record: bool, body: impl FnOnce() -> Result<(), Failure>) -> ww_status {
    if record {
        error::clear();
    }
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return ww_status::Ok,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::Panic(panic_message(payload.as_ref())),
    };
    let status = failure.status();
    if record {
        // Recording allocates; a panic there must not cross the boundary either.
        let _ = catch_unwind(AssertUnwindSafe(|| error::set(failure)));
    }
    status
}

/// The value-returning half of [`ffi_boundary!`].
pub(crate) fn guard_value<T>(body: impl FnOnce() -> T, fallback: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| fallback())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    format!("internal error (please report it): {text}")
}

/// A NUL-terminated copy of a static string from core (a kind name, an Okta code …), made
/// once and kept for the life of the process, so C gets a static `const char *`.
pub(crate) fn static_c_str(text: &'static str) -> &'static CStr {
    static CACHE: Mutex<Vec<(&'static str, &'static CStr)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, c)) = cache.iter().find(|(t, _)| *t == text) {
        return c;
    }
    // Core's names never contain NUL; if one did, C would see it cut short there.
    let owned = CString::new(text.split('\0').next().unwrap_or_default()).unwrap_or_default();
    let leaked: &'static CStr = Box::leak(owned.into_boxed_c_str());
    cache.push((text, leaked));
    leaked
}

/// A shared reference to a handle or input struct; NULL is `WW_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// A non-NULL `ptr` must point to a live, properly aligned `T` for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: the caller promises a non-NULL pointer is valid for 'a.
    unsafe { ptr.as_ref() }.ok_or(Failure::NullArgument(name))
}

/// A NUL-terminated text argument; NULL and invalid UTF-8 are errors.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string that lives for `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &'static str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::NullArgument(name));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's promise.
    utf8(unsafe { CStr::from_ptr(ptr) }.to_bytes(), name)
}

/// A pointer + length text argument (may contain NUL bytes); NULL and invalid UTF-8 are errors.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that live for `'a`.
pub(crate) unsafe fn arg_text<'a>(ptr: *const c_char, len: usize, name: &'static str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded promise.
    let bytes = unsafe { arg_bytes(ptr.cast::<u8>(), len, name) }?;
    utf8(bytes, name)
}

/// `bytes` as text, or where its UTF-8 goes wrong. Arguments are mostly ASCII (sids,
/// identities, codes), which is checked a word at a time.
fn utf8<'a>(bytes: &'a [u8], name: &'static str) -> Result<&'a str, Failure> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| Failure::InvalidUtf8 { argument: name, position: e.valid_up_to() })
}

/// A pointer + length byte argument; NULL is an error even when `len` is 0.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that live for `'a`.
pub(crate) unsafe fn arg_bytes<'a>(ptr: *const u8, len: usize, name: &'static str) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(Failure::NullArgument(name));
    }
    if len > isize::MAX as usize {
        return Err(Failure::too_long(name));
    }
    // SAFETY: non-NULL, `len` bytes readable by the caller's promise, len ≤ isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An out-parameter, checked for NULL up front and written only once the call has succeeded.
pub(crate) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// Checks `ptr` for NULL.
    ///
    /// # Safety
    /// A non-NULL `ptr` must be valid for a write of a `T` (it may be uninitialized).
    pub(crate) unsafe fn new(ptr: *mut T, name: &'static str) -> Result<Out<T>, Failure> {
        NonNull::new(ptr).map(Out).ok_or(Failure::NullArgument(name))
    }

    /// Writes the value without reading or dropping what was there.
    pub(crate) fn write(self, value: T) {
        // SAFETY: checked non-NULL in `new`, writable by the caller's promise.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// A caller buffer with its capacity and the out-parameter for the length (size-query idiom).
pub(crate) struct OutBuf {
    buf: NonNull<u8>,
    capacity: usize,
    len: Out<usize>,
}

impl OutBuf {
    /// Checks the buffer and the length out-parameter for NULL.
    ///
    /// # Safety
    /// A non-NULL `buf` must be writable for `capacity` bytes; a non-NULL `len` must be
    /// writable.
    pub(crate) unsafe fn new(
        buf: *mut u8,
        capacity: usize,
        len: *mut usize,
        buf_name: &'static str,
        len_name: &'static str,
    ) -> Result<OutBuf, Failure> {
        let buf = NonNull::new(buf).ok_or(Failure::NullArgument(buf_name))?;
        // SAFETY: forwarded promise.
        let len = unsafe { Out::new(len, len_name) }?;
        if capacity > isize::MAX as usize {
            return Err(Failure::too_long(buf_name));
        }
        Ok(OutBuf { buf, capacity, len })
    }

    /// [`OutBuf::new`] for a `char *` text buffer.
    ///
    /// # Safety
    /// As for [`OutBuf::new`].
    pub(crate) unsafe fn text(
        buf: *mut c_char,
        capacity: usize,
        len: *mut usize,
        buf_name: &'static str,
        len_name: &'static str,
    ) -> Result<OutBuf, Failure> {
        // SAFETY: forwarded promise.
        unsafe { OutBuf::new(buf.cast::<u8>(), capacity, len, buf_name, len_name) }
    }

    /// Copies `text` and a terminating NUL; the length written is `text.len()`. When the buffer
    /// holds fewer than `text.len() + 1` bytes, nothing is copied, the length out-parameter
    /// receives the size needed (`text.len() + 1`) and the call fails with
    /// `WW_STATUS_BUFFER_TOO_SMALL`.
    pub(crate) fn write_str(self, text: &str) -> Result<(), Failure> {
        self.write(text.as_bytes(), 1)
    }

    /// Copies `bytes` (no terminator); the length written is `bytes.len()`, which is also the
    /// size needed when the buffer is too small.
    pub(crate) fn write_bytes(self, bytes: &[u8]) -> Result<(), Failure> {
        self.write(bytes, 0)
    }

    fn write(self, bytes: &[u8], terminator: usize) -> Result<(), Failure> {
        let needed = bytes.len() + terminator;
        if self.capacity < needed {
            self.len.write(needed);
            return Err(Failure::BufferTooSmall { needed, capacity: self.capacity });
        }
        // SAFETY: the buffer is writable for `capacity` ≥ `needed` bytes and, being a distinct
        // caller buffer, does not overlap `bytes` (which Rust owns or borrowed from elsewhere).
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf.as_ptr(), bytes.len());
            if terminator == 1 {
                self.buf.as_ptr().add(bytes.len()).write(0);
            }
        }
        self.len.write(bytes.len());
        Ok(())
    }
}

/// An out-parameter for a library-allocated string (freed with `ww_string_free`).
pub(crate) struct OutString(Out<*mut c_char>);

impl OutString {
    /// Checks `ptr` for NULL.
    ///
    /// # Safety
    /// A non-NULL `ptr` must be valid for a write of a `char *`.
    pub(crate) unsafe fn new(ptr: *mut *mut c_char, name: &'static str) -> Result<OutString, Failure> {
        // SAFETY: forwarded promise.
        unsafe { Out::new(ptr, name) }.map(OutString)
    }

    /// Hands `text` over to the caller as a NUL-terminated string.
    pub(crate) fn write(self, text: String) -> Result<(), Failure> {
        let text =
            CString::new(text).map_err(|_| Failure::Panic("internal error: output contains a NUL byte".into()))?;
        self.0.write(text.into_raw());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ww_last_error_json;

    fn last_error() -> String {
        let mut out: *mut c_char = std::ptr::null_mut();
        assert_eq!(ww_last_error_json(&mut out), ww_status::Ok);
        // SAFETY: the library just allocated it.
        unsafe { CString::from_raw(out) }.into_string().unwrap()
    }

    #[test]
    fn a_panic_becomes_the_panic_status_and_the_last_error() {
        let status = ffi_boundary!({
            if std::hint::black_box(true) {
                panic!("the body blew up");
            }
            Ok(())
        });
        assert_eq!(status, ww_status::Panic);
        let json = last_error();
        assert!(json.contains("\"kind\":\"panic\"") && json.contains("the body blew up"), "{json}");
        // The library stays usable and the next call clears the record.
        assert_eq!(ffi_boundary!({ Ok(()) }), ww_status::Ok);
        assert_eq!(last_error(), "null");
    }

    #[test]
    fn value_exports_fall_back_on_a_panic_and_keep_the_last_error() {
        assert_eq!(ffi_boundary!({ Err(Failure::NullArgument("x")) }), ww_status::NullArgument);
        let fallback = ffi_boundary!(value(7u32), {
            if std::hint::black_box(true) {
                panic!("value body");
            }
            1u32
        });
        assert_eq!(fallback, 7);
        let kept = ffi_boundary!(keep_last_error, {
            if std::hint::black_box(true) {
                panic!("reader body");
            }
            Ok(())
        });
        assert_eq!(kept, ww_status::Panic);
        assert!(last_error().contains("\"argument\":\"x\""));
    }

    #[test]
    fn outputs_are_written_only_on_success() {
        let mut buf = [b'x'; 4];
        let mut len = 0usize;
        let out = unsafe { OutBuf::new(buf.as_mut_ptr(), buf.len(), &mut len, "buf", "len") }.unwrap();
        assert!(matches!(out.write_str("abcd"), Err(Failure::BufferTooSmall { needed: 5, capacity: 4 })));
        assert_eq!((buf, len), ([b'x'; 4], 5));
        let out = unsafe { OutBuf::new(buf.as_mut_ptr(), buf.len(), &mut len, "buf", "len") }.unwrap();
        out.write_str("abc").unwrap();
        assert_eq!((&buf, len), (b"abc\0", 3));
        assert!(unsafe { OutBuf::new(std::ptr::null_mut(), 4, &mut len, "buf", "len") }.is_err());
        assert!(matches!(unsafe { arg_str(std::ptr::null(), "s") }, Err(Failure::NullArgument("s"))));
        let bad = [0x66u8, 0xff, 0];
        assert!(matches!(
            unsafe { arg_str(bad.as_ptr().cast(), "s") },
            Err(Failure::InvalidUtf8 { argument: "s", position: 1 })
        ));
    }

    #[test]
    fn static_strings_are_cached_and_terminated() {
        let a = static_c_str("factor_locked");
        let b = static_c_str("factor_locked");
        assert_eq!(a.as_ptr(), b.as_ptr());
        assert_eq!(a.to_str().unwrap(), "factor_locked");
    }
}
