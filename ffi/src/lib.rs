//! # watchword-ffi
//!
//! The stable C ABI of watchword: `libwatchword.so.0` / `libwatchword.a` and the header
//! `include/watchword.h`, which cbindgen generates from this crate (`make header`). The header's
//! introduction (in `cbindgen.toml`) states the conventions every function follows.
//!
//! Every export is a plain `extern "C"` function whose whole body is one
//! [`ffi_boundary!`](boundary) invocation: panics are caught there and become
//! `WW_STATUS_PANIC`, failures become a `ww_status` and the thread's last error. Every rule of
//! behaviour lives in `watchword-core`; this crate only converts types and errors.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
// The C names (`ww_status`, `ww_totp` …) are the ABI; cbindgen copies them as they are.
#![allow(non_camel_case_types)]
// Exports take raw pointers from C and check them (NULL, UTF-8, lengths) before any use; as
// in rustls-ffi they are not `unsafe fn`, because to C every function is equally unsafe.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

// The order of the modules is the order of the header.
#[macro_use]
mod boundary;
pub mod status;
// Then the thread's last error,
pub mod error;
// the results of checking a code,
pub mod result;
// the OTP primitives,
pub mod algorithm;
pub mod totp;
// (HOTP)
pub mod hotp;
// secrets and Base32,
pub mod secret;
// key URIs,
pub mod uri;
// and the Verify service,
pub mod service;
// over a store of the program's own.
pub mod host;

use std::ffi::c_char;

use zeroize::Zeroize;

/// The major version of the library the header belongs to.
pub const WW_VERSION_MAJOR: u32 = 0;
/// The minor version of the library the header belongs to.
pub const WW_VERSION_MINOR: u32 = 1;
/// The patch version of the library the header belongs to.
pub const WW_VERSION_PATCH: u32 = 0;
/// The ABI version: the number in the SONAME `libwatchword.so.<WW_ABI_VERSION>`. It changes
/// only when a change breaks programs built against an older header.
pub const WW_ABI_VERSION: u32 = 0;
/// A buffer of this many bytes holds any code the library generates (10 digits and a NUL).
pub const WW_CODE_BUFFER_SIZE: usize = 11;
const _: () = assert!(WW_CODE_BUFFER_SIZE == watchword_core::MAX_DIGITS as usize + 1);

const fn parse_u32(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

// The header's version macros are the crate version (a version bump without updating them fails
// the build).
const _: () = {
    assert!(WW_VERSION_MAJOR == parse_u32(env!("CARGO_PKG_VERSION_MAJOR")));
    assert!(WW_VERSION_MINOR == parse_u32(env!("CARGO_PKG_VERSION_MINOR")));
    assert!(WW_VERSION_PATCH == parse_u32(env!("CARGO_PKG_VERSION_PATCH")));
};

/// The library's version as a static string (`"0.1.0"`). Compare it with the
/// `WW_VERSION_*` macros to see whether the library that was loaded is the one the program
/// was built with. Static: do not free it.
#[no_mangle]
pub extern "C" fn ww_version() -> *const c_char {
    ffi_boundary!(value(c"unknown".as_ptr()), { concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast() })
}

/// The library's ABI version; a program built with a header whose `WW_ABI_VERSION` differs
/// must not use it.
#[no_mangle]
pub extern "C" fn ww_abi_version() -> u32 {
    ffi_boundary!(value(WW_ABI_VERSION), { WW_ABI_VERSION })
}

/// Frees a string the library allocated (every `char **out_…` of the API), wiping its bytes
/// first (such strings can hold secrets). NULL is a no-op. Never pass these strings to
/// `free()`, and never pass this function anything else.
#[no_mangle]
pub extern "C" fn ww_string_free(string: *mut c_char) {
    ffi_boundary!(value(()), {
        if !string.is_null() {
            // SAFETY: a non-NULL pointer came from `CString::into_raw` in this library and is
            // freed once.
            let mut bytes = unsafe { std::ffi::CString::from_raw(string) }.into_bytes_with_nul();
            bytes.zeroize();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_match_the_crate_and_the_soname() {
        // SAFETY: static NUL-terminated string.
        let version = unsafe { std::ffi::CStr::from_ptr(ww_version()) };
        assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        assert_eq!(ww_abi_version(), WW_ABI_VERSION);
        let build = include_str!("../build.rs");
        assert!(build.contains(&format!("-soname,libwatchword.so.{WW_ABI_VERSION}\"")));
    }
}
