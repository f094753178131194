//! `otpauth://` key URIs: build and parse.
//!
//! A key travels as a JSON object, the same shape in both directions (and the shape of the
//! shared test vectors):
//!
//! `{"kind": "totp"|"hotp", "issuer": string|null, "account": string, "secret_base32": string,
//!   "algorithm": "sha1"|"sha256"|"sha512", "digits": 3-10, "period": seconds,
//!   "counter": "decimal u64"|null, "extra": [[name, value], …]}`

use std::ffi::c_char;

use serde_json::{json, Map, Value};
use watchword_core::qr::Background;
use watchword_core::{Algorithm, Error, Invalid, KeyUri, OtpKind, Secret};
use zeroize::Zeroizing;

use crate::algorithm;
use crate::boundary::{arg_bytes, arg_str, OutString};
use crate::error::Failure;
use crate::status::ww_status;

/// `ww_key_uri_build`'s `kind` for a time-based key (`otpauth://totp/…`).
pub const WW_OTP_TOTP: u32 = 0;
/// `ww_key_uri_build`'s `kind` for a counter-based key (`otpauth://hotp/…`).
pub const WW_OTP_HOTP: u32 = 1;

/// Builds a key URI, e.g.
/// `otpauth://totp/Acme:alice?secret=…&issuer=Acme&algorithm=SHA1&digits=6&period=30`.
/// `kind` is `WW_OTP_TOTP` (uses `period`, ignores `counter`) or `WW_OTP_HOTP` (uses `counter`,
/// ignores `period`); `issuer` may be `""` for none; neither issuer nor account may contain
/// `:`. `secret` is `secret_len` raw bytes (1–128). On success `*out_uri` receives a string to
/// free with `ww_string_free`.
#[no_mangle]
pub extern "C" fn ww_key_uri_build(
    kind: u32,
    issuer: *const c_char,
    account: *const c_char,
    secret: *const u8,
    secret_len: usize,
    algorithm: u32,
    digits: u32,
    period: u64,
    counter: u64,
    out_uri: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `issuer` and `account` are NUL-terminated; `secret` holds `secret_len` bytes;
        // `out_uri` is writable.
        let issuer = unsafe { arg_str(issuer, "issuer") }?;
        let account = unsafe { arg_str(account, "account") }?;
        let secret = unsafe { arg_bytes(secret, secret_len, "secret") }?;
        let out = unsafe { OutString::new(out_uri, "out_uri") }?;
        let kind = match kind {
            WW_OTP_TOTP => OtpKind::Totp,
            WW_OTP_HOTP => OtpKind::Hotp,
            _ => return Err(Failure::invalid("kind", "WW_OTP_TOTP (0) or WW_OTP_HOTP (1)")),
        };
        let mut key = KeyUri::totp(Some(issuer).filter(|i| !i.is_empty()), account, Secret::from_bytes(secret)?);
        key.kind = kind;
        key.algorithm = algorithm::from_c(algorithm)?;
        key.digits = digits;
        match kind {
            OtpKind::Hotp => key.counter = Some(counter),
            _ => key.period = period,
        }
        out.write(key.to_uri()?)
    })
}

/// Builds a key URI from a key given as JSON (the shape in the header's introduction; `issuer`,
/// `algorithm` (default sha1), `digits` (6), `period` (30), `counter` (number or decimal
/// string) and `extra` may be left out; unknown keys are rejected). The Base32 secret is read
/// tolerantly (case, spaces, hyphens, padding). On success `*out_uri` receives a string to
/// free with `ww_string_free`.
#[no_mangle]
pub extern "C" fn ww_key_uri_build_json(key_json: *const c_char, out_uri: *mut *mut c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: `key_json` is NUL-terminated; `out_uri` is writable.
        let key_json = unsafe { arg_str(key_json, "key_json") }?;
        let out = unsafe { OutString::new(out_uri, "out_uri") }?;
        out.write(key_from_json(key_json)?.to_uri()?)
    })
}

/// Parses a key URI. On success `*out_json` receives the key as JSON (see the header's
/// introduction; the secret canonical Base32, `counter` a decimal string or null, unknown
/// parameters kept in `extra`), a string to free with `ww_string_free` (it holds the
/// secret: `ww_string_free` wipes it). A malformed URI is `WW_STATUS_INVALID_PARAMETER` whose
/// detail names the problem (`uri_missing_secret`, `uri_issuer_mismatch`, `base32_character` …).
#[no_mangle]
pub extern "C" fn ww_key_uri_parse(uri: *const c_char, out_json: *mut *mut c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: `uri` is NUL-terminated; `out_json` is writable.
        let uri = unsafe { arg_str(uri, "uri") }?;
        let out = unsafe { OutString::new(out_json, "out_json") }?;
        let key = KeyUri::parse(uri)?;
        out.write(key_to_json(&key).to_string())
    })
}

fn key_to_json(key: &KeyUri) -> Value {
    let secret = Zeroizing::new(key.secret.to_base32());
    json!({
        "kind": key.kind.as_str(),
        "issuer": key.issuer,
        "account": key.account,
        "secret_base32": secret.as_str(),
        "algorithm": key.algorithm.as_str(),
        "digits": key.digits,
        "period": key.period,
        "counter": key.counter.map(|c| c.to_string()),
        "extra": key.extra.iter().map(|(name, value)| [name, value]).collect::<Vec<_>>(),
    })
}

fn bad(name: &'static str, expected: &'static str) -> Failure {
    Failure::invalid(name, expected)
}

fn key_from_json(text: &str) -> Result<KeyUri, Failure> {
    let value: Value = serde_json::from_str(text).map_err(|_| bad("key_json", "a JSON object describing a key"))?;
    let Value::Object(map) = value else {
        return Err(bad("key_json", "a JSON object describing a key"));
    };
    const KNOWN: [&str; 9] =
        ["kind", "issuer", "account", "secret_base32", "algorithm", "digits", "period", "counter", "extra"];
    if map.keys().any(|k| !KNOWN.contains(&k.as_str())) {
        return Err(bad(
            "key_json",
            "only the keys kind, issuer, account, secret_base32, algorithm, digits, period, counter, extra",
        ));
    }
    let kind = match get_str(&map, "kind")? {
        Some("totp") => OtpKind::Totp,
        Some("hotp") => OtpKind::Hotp,
        _ => return Err(bad("kind", "\"totp\" or \"hotp\"")),
    };
    let issuer = get_str(&map, "issuer")?;
    let account = get_str(&map, "account")?.ok_or(bad("account", "a string"))?;
    let secret_text =
        Zeroizing::new(get_str(&map, "secret_base32")?.ok_or(bad("secret_base32", "a Base32 string"))?.to_owned());
    let mut key = KeyUri::totp(issuer, account, Secret::from_base32(&secret_text)?);
    key.kind = kind;
    if let Some(name) = get_str(&map, "algorithm")? {
        key.algorithm = name.parse::<Algorithm>()?;
    }
    if let Some(digits) = get_u64(&map, "digits", "an integer from 3 to 10")? {
        key.digits = u32::try_from(digits).map_err(|_| Error::InvalidParameter(Invalid::UriDigits))?;
    }
    if let Some(period) = get_u64(&map, "period", "an integer from 1 to 86400")? {
        key.period = period;
    }
    key.counter = get_u64(&map, "counter", "a non-negative integer (number or decimal string)")?;
    if let Some(extra) = map.get("extra").filter(|v| !v.is_null()) {
        let expected = "an array of [name, value] string pairs";
        let Value::Array(pairs) = extra else { return Err(bad("extra", expected)) };
        for pair in pairs {
            match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(name), Value::String(value)]) => key.extra.push((name.clone(), value.clone())),
                _ => return Err(bad("extra", expected)),
            }
        }
    }
    Ok(key)
}

fn get_str<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>, Failure> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(name, "a string")),
    }
}

fn get_u64(map: &Map<String, Value>, name: &'static str, expected: &'static str) -> Result<Option<u64>, Failure> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(bad(name, expected)),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().map(Some).map_err(|_| bad(name, expected))
        }
        Some(_) => Err(bad(name, expected)),
    }
}

/// Draws the NUL-terminated `uri` (a factor's `binding.uri`) as a QR code in SVG (black on
/// white, with its quiet zone). On success `*out_svg` receives a string to free with
/// `ww_string_free`. Text too long for a QR code is `WW_STATUS_INVALID_PARAMETER`.
#[no_mangle]
pub extern "C" fn ww_binding_qr_svg(uri: *const c_char, out_svg: *mut *mut c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: `uri` is NUL-terminated; `out_svg` is writable.
        let uri = unsafe { arg_str(uri, "uri") }?;
        let out = unsafe { OutString::new(out_svg, "out_svg") }?;
        out.write(watchword_core::qr::svg(uri)?)
    })
}

/// `ww_binding_qr_terminal_for`'s `background`: a terminal with a dark background (light text).
pub const WW_QR_DARK_BACKGROUND: u32 = 0;
/// `ww_binding_qr_terminal_for`'s `background`: a terminal with a light background (dark text).
pub const WW_QR_LIGHT_BACKGROUND: u32 = 1;

// The C numbers are core's stable numbers.
const _: () = {
    assert!(Background::Dark.to_u32() == WW_QR_DARK_BACKGROUND);
    assert!(Background::Light.to_u32() == WW_QR_LIGHT_BACKGROUND);
};

/// Draws the NUL-terminated `uri` as a QR code in Unicode half blocks (`█ ▀ ▄`, two modules per
/// character cell, lines ending in `\n`) for a terminal with a dark background, so an
/// authenticator app can scan it from the screen. On success `*out_text` receives a UTF-8
/// string to free with `ww_string_free`. `ww_binding_qr_terminal_for` draws for a light
/// background too.
#[no_mangle]
pub extern "C" fn ww_binding_qr_terminal(uri: *const c_char, out_text: *mut *mut c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: `uri` is NUL-terminated; `out_text` is writable.
        let uri = unsafe { arg_str(uri, "uri") }?;
        let out = unsafe { OutString::new(out_text, "out_text") }?;
        out.write(watchword_core::qr::terminal(uri, Background::Dark)?)
    })
}

/// `ww_binding_qr_terminal` for a terminal with the given background: `WW_QR_DARK_BACKGROUND`
/// (light text: the light modules are drawn) or `WW_QR_LIGHT_BACKGROUND` (dark text: the dark
/// modules are drawn). Any other number is `WW_STATUS_INVALID_PARAMETER`.
#[no_mangle]
pub extern "C" fn ww_binding_qr_terminal_for(
    uri: *const c_char,
    background: u32,
    out_text: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `uri` is NUL-terminated; `out_text` is writable.
        let uri = unsafe { arg_str(uri, "uri") }?;
        let out = unsafe { OutString::new(out_text, "out_text") }?;
        let background = Background::from_u32(background).ok_or_else(Background::invalid)?;
        out.write(watchword_core::qr::terminal(uri, background)?)
    })
}
