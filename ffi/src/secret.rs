//! Secrets from the OS CSPRNG and Base32 (RFC 4648) text.

use std::ffi::c_char;

use watchword_core::{base32, Secret};
use zeroize::Zeroizing;

use crate::algorithm;
use crate::boundary::{arg_bytes, arg_str, OutBuf};
use crate::status::ww_status;

/// Fills `buf` with a fresh secret from the operating system's CSPRNG, as long as the
/// algorithm's HMAC output (20 bytes for SHA-1, 32 for SHA-256, 64 for SHA-512);
/// `*out_len` receives that length. A smaller buffer gives `WW_STATUS_BUFFER_TOO_SMALL` with
/// the size needed in `*out_len` (so a call with `buf_len` 0 asks for the size).
#[no_mangle]
pub extern "C" fn ww_secret_generate(algorithm: u32, buf: *mut u8, buf_len: usize, out_len: *mut usize) -> ww_status {
    ffi_boundary!({
        // SAFETY: `buf` holds `buf_len` writable bytes; `out_len` is writable.
        let out = unsafe { OutBuf::new(buf, buf_len, out_len, "buf", "out_len") }?;
        let secret = Secret::generate(algorithm::from_c(algorithm)?);
        out.write_bytes(secret.as_bytes())
    })
}

/// Fills `buf` with a fresh secret key for sealed records (the `secret_keys` setting of
/// `ww_service_new`, as Base64): 32 bytes from the operating system's CSPRNG; `*out_len`
/// receives 32. A smaller buffer gives `WW_STATUS_BUFFER_TOO_SMALL` with the size needed in
/// `*out_len`. Wipe the key from memory when done with it.
#[no_mangle]
pub extern "C" fn ww_secret_key_generate(buf: *mut u8, buf_len: usize, out_len: *mut usize) -> ww_status {
    ffi_boundary!({
        // SAFETY: `buf` holds `buf_len` writable bytes; `out_len` is writable.
        let out = unsafe { OutBuf::new(buf, buf_len, out_len, "buf", "out_len") }?;
        out.write_bytes(&watchword_core::service::generate_secret_key()[..])
    })
}

/// Encodes `data_len` bytes as Base32 (RFC 4648: upper case, no padding) into `buf`,
/// NUL-terminated; `*out_len` receives the text length. `buf` needs
/// `(data_len * 8 + 4) / 5 + 1` bytes; a smaller one gives `WW_STATUS_BUFFER_TOO_SMALL` with
/// the size needed in `*out_len`.
#[no_mangle]
pub extern "C" fn ww_base32_encode(
    data: *const u8,
    data_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `data` holds `data_len` bytes; `buf` holds `buf_len` writable bytes.
        let data = unsafe { arg_bytes(data, data_len, "data") }?;
        let out = unsafe { OutBuf::text(buf, buf_len, out_len, "buf", "out_len") }?;
        let text = Zeroizing::new(base32::encode(data));
        out.write_str(&text)
    })
}

/// Decodes the NUL-terminated Base32 `text` into `buf`; `*out_len` receives the number of
/// bytes. Case-insensitive; spaces and hyphens are ignored; padding is optional. Any other
/// character is `WW_STATUS_INVALID_PARAMETER` (detail `base32_character`; the message names
/// its position), a length no whole bytes encode to is detail `base32_length`. A buffer
/// smaller than the decoded bytes gives `WW_STATUS_BUFFER_TOO_SMALL` with the size needed in
/// `*out_len`.
#[no_mangle]
pub extern "C" fn ww_base32_decode(
    text: *const c_char,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `text` is NUL-terminated; `buf` holds `buf_len` writable bytes.
        let text = unsafe { arg_str(text, "text") }?;
        let out = unsafe { OutBuf::new(buf, buf_len, out_len, "buf", "out_len") }?;
        let bytes = Zeroizing::new(base32::decode(text)?);
        out.write_bytes(&bytes)
    })
}
