//! `otpauth://` key URIs: `parseUri` and `buildUri`.

use std::ffi::CStr;

use napi::bindgen_prelude::{BigInt, Either, JsObjectValue, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use watchword_core::qr::Background;
use watchword_core::{Error, Invalid, KeyUri, OtpKind};

use crate::args::{self, Options, MAX_SAFE_INTEGER};
use crate::error::{boundary, Fail, Out};

/// The fields of a key URI, as `parseUri` returns them and `buildUri` takes them.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct KeyUriFields {
    /// `'totp'` or `'hotp'`.
    #[napi(ts_type = "'totp' | 'hotp'")]
    pub kind: String,
    /// The issuer (service name), or `null`.
    pub issuer: Option<String>,
    /// The account name.
    pub account: String,
    /// The secret, as upper-case unpadded Base32.
    pub secret: String,
    /// `'sha1'`, `'sha256'` or `'sha512'`.
    #[napi(ts_type = "Algorithm")]
    pub algorithm: String,
    /// Code length, 3–10.
    pub digits: u32,
    /// TOTP period in seconds (30 for HOTP URIs, which do not carry one).
    pub period: f64,
    /// HOTP counter (`null` for TOTP); a bigint when above 2^53 - 1.
    #[napi(ts_type = "number | bigint")]
    pub counter: Option<Either<f64, BigInt>>,
    /// Parameters the format does not define (e.g. `image`), in order, decoded.
    #[napi(ts_type = "Array<[string, string]>")]
    pub extra: Vec<Vec<String>>,
}

/// What `buildUri` takes.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct BuildUriFields {
    /// `'totp'` (default) or `'hotp'`.
    #[napi(ts_type = "'totp' | 'hotp'")]
    pub kind: Option<String>,
    /// The issuer (service name); no colon.
    #[napi(ts_type = "string | null")]
    pub issuer: Option<String>,
    /// The account name; no colon.
    pub account: String,
    /// The secret: bytes or Base32 text.
    #[napi(ts_type = "Uint8Array | string")]
    pub secret: String,
    /// The HMAC hash (default `'sha1'`).
    #[napi(ts_type = "AlgorithmName")]
    pub algorithm: Option<String>,
    /// Code length, 3–10 (default 6).
    pub digits: Option<u32>,
    /// TOTP period in seconds, 1–86400 (default 30).
    pub period: Option<u32>,
    /// HOTP counter (required for `'hotp'`).
    #[napi(ts_type = "number | bigint | null")]
    pub counter: Option<f64>,
    /// Extra parameters, appended in order.
    #[napi(ts_type = "Array<[string, string]>")]
    pub extra: Option<Vec<Vec<String>>>,
}

/// Parses an `otpauth://totp/…` or `otpauth://hotp/…` URI. Every malformed part is an
/// `invalid_parameter` error whose `detail` names it (`'uri_missing_secret'` …).
#[napi(ts_args_type = "uri: string")]
pub fn parse_uri(env: Env, uri: Unknown) -> napi::Result<KeyUriFields> {
    boundary(&env, || {
        let uri = KeyUri::parse(&args::string(&uri, "uri")?)?;
        Ok(KeyUriFields {
            kind: uri.kind.as_str().to_string(),
            issuer: uri.issuer,
            account: uri.account,
            secret: uri.secret.to_base32(),
            algorithm: uri.algorithm.as_str().to_string(),
            digits: uri.digits,
            period: uri.period as f64,
            counter: uri.counter.map(args::number_or_bigint),
            extra: uri.extra.into_iter().map(|(k, v)| vec![k, v]).collect(),
        })
    })
}

/// Builds `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`
/// (HOTP: `counter=` instead of `period=`).
#[napi(ts_args_type = "fields: BuildUriFields")]
pub fn build_uri(env: Env, fields: Unknown) -> napi::Result<String> {
    boundary(&env, || {
        if fields.get_type()? != ValueType::Object {
            return Err(args::type_error("fields", "an object", &fields));
        }
        const KNOWN: &[&CStr] =
            &[c"kind", c"issuer", c"account", c"secret", c"algorithm", c"digits", c"period", c"counter", c"extra"];
        let fields = Options::new(&fields, "fields", KNOWN)?;
        let kind = match fields.get(c"kind") {
            None => OtpKind::Totp,
            Some(v) => match args::string(&v, "fields.kind")?.as_str() {
                "totp" => OtpKind::Totp,
                "hotp" => OtpKind::Hotp,
                other => return Err(Fail::Type(format!("fields.kind must be 'totp' or 'hotp', not {other:?}"))),
            },
        };
        let issuer = match not_null(fields.get(c"issuer"))? {
            Some(v) => Some(args::string(&v, "fields.issuer")?),
            None => None,
        };
        let account = match fields.get(c"account") {
            Some(v) => args::string(&v, "fields.account")?,
            None => return Err(Fail::Type("fields.account must be a string, not undefined".to_string())),
        };
        let secret = match fields.get(c"secret") {
            Some(v) => args::secret(&v, "fields.secret")?,
            None => {
                return Err(Fail::Type("fields.secret must be a Uint8Array or a Base32 string, not undefined".into()))
            }
        };
        let mut uri = KeyUri::totp(issuer.as_deref(), &account, secret);
        uri.kind = kind;
        uri.algorithm = args::algorithm(fields.get(c"algorithm"), "fields.algorithm")?;
        if let Some(v) = fields.get(c"digits") {
            uri.digits = args::u32_arg(&v, "fields.digits")?;
        }
        if let Some(v) = fields.get(c"period") {
            uri.period = args::integer(&v, "fields.period", MAX_SAFE_INTEGER)? as u64;
        }
        if let Some(v) = not_null(fields.get(c"counter"))? {
            uri.counter = Some(args::u64_arg(&v, "fields.counter")?.0);
        }
        if let Some(v) = fields.get(c"extra") {
            uri.extra = extra(&v)?;
        }
        // Digits and period were given as numbers: out of range, they are a `RangeError`.
        uri.to_uri().map_err(|error| {
            let numeric = matches!(&error, Error::InvalidParameter(Invalid::UriDigits | Invalid::UriPeriod));
            Fail::Core { error, numeric }
        })
    })
}

fn not_null(value: Option<Unknown>) -> Out<Option<Unknown>> {
    match value {
        Some(v) if v.get_type()? == ValueType::Null => Ok(None),
        other => Ok(other),
    }
}

fn extra(value: &Unknown) -> Out<Vec<(String, String)>> {
    const EXPECTED: &str = "an array of [key, value] string pairs";
    if !value.is_array()? {
        return Err(args::type_error("fields.extra", EXPECTED, value));
    }
    // SAFETY: checked to be an array.
    let array = unsafe { value.cast::<napi::bindgen_prelude::Object>()? };
    let mut out = Vec::new();
    for i in 0..array.get_array_length()? {
        let pair: Unknown = array.get_element(i)?;
        if !pair.is_array()? {
            return Err(args::type_error("fields.extra", EXPECTED, &pair));
        }
        // SAFETY: checked to be an array.
        let pair = unsafe { pair.cast::<napi::bindgen_prelude::Object>()? };
        if pair.get_array_length()? != 2 {
            return Err(Fail::Type(format!("fields.extra must be {EXPECTED}")));
        }
        let key = args::string(&pair.get_element::<Unknown>(0)?, "fields.extra key")?;
        let value = args::string(&pair.get_element::<Unknown>(1)?, "fields.extra value")?;
        out.push((key, value));
    }
    Ok(out)
}

/// The QR code of a key URI (a factor's `binding.uri`) as an SVG document, black on white
/// with its quiet zone. `binding.qrSvg()` does the same for a new factor.
#[napi(ts_args_type = "uri: string")]
pub fn qr_svg(env: Env, uri: Unknown) -> napi::Result<String> {
    boundary(&env, || Ok(watchword_core::qr::svg(&args::string(&uri, "uri")?)?))
}

/// Options of `qrTerminal(uri, options)` and `binding.qrTerminal(options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct QrTerminalOptions {
    /// The terminal's background: `'dark'` (the default: the light modules are drawn) or
    /// `'light'` (the dark modules are drawn).
    #[napi(ts_type = "'dark' | 'light'")]
    pub background: Option<String>,
}

/// The QR code of a key URI drawn with Unicode half blocks for a terminal with a dark
/// background (or a light one: `{ background: 'light' }`), so an authenticator app can scan it
/// from the screen. `binding.qrTerminal(options)` does the same for a new factor.
#[napi(ts_args_type = "uri: string, options?: QrTerminalOptions")]
pub fn qr_terminal(env: Env, uri: Unknown, options: Unknown) -> napi::Result<String> {
    boundary(&env, || terminal(&args::string(&uri, "uri")?, Some(&options)))
}

/// The terminal drawing of `uri` for the background `options` name (core checks the name).
fn terminal(uri: &str, options: Option<&Unknown>) -> Out<String> {
    let background = match options {
        None => None,
        Some(options) => Options::new(options, "options", &[c"background"])?.get(c"background"),
    };
    let background = match background {
        None => Background::default(),
        Some(name) => Background::parse(&args::string(&name, "background")?)?,
    };
    Ok(watchword_core::qr::terminal(uri, background)?)
}

/// Gives a creation answer's `binding` its `qrSvg()` and `qrTerminal()` methods (not
/// enumerable, so the object still serializes to `{secret, uri}`).
pub(crate) fn add_qr_methods(env: &Env, answer: &napi::bindgen_prelude::Unknown) -> napi::Result<()> {
    use napi::bindgen_prelude::{JsObjectValue, Object};
    use napi::{Property, PropertyAttributes};
    // SAFETY: the answer of `create_factor` is an object.
    let answer: Object = unsafe { answer.cast()? };
    let mut binding: Object = answer.get_named_property("binding")?;
    let uri: String = binding.get_named_property("uri")?;
    let for_svg = uri.clone();
    let svg = env.create_function_from_closure::<(), String, _>("qrSvg", move |_| {
        watchword_core::qr::svg(&for_svg).map_err(|e| napi::Error::from_reason(e.to_string()))
    })?;
    let terminal = env.create_function_from_closure::<(), String, _>("qrTerminal", move |ctx| {
        let options: Option<Unknown> = if ctx.length() > 0 { Some(ctx.get(0)?) } else { None };
        boundary(ctx.env, || terminal(&uri, options.as_ref()))
    })?;
    let hidden = PropertyAttributes::Writable | PropertyAttributes::Configurable;
    binding.define_properties(&[
        Property::new().with_utf8_name("qrSvg")?.with_value(&svg).with_property_attributes(hidden),
        Property::new().with_utf8_name("qrTerminal")?.with_value(&terminal).with_property_attributes(hidden),
    ])
}
