//! `Totp` and `Hotp`: the OTP primitives. The key state is computed once in the constructor;
//! a call converts its arguments, runs core and returns a string or a number (no JSON, no
//! allocation beyond the returned string).

use std::cell::Cell;
use std::ffi::CStr;
use std::sync::Arc;

use napi::bindgen_prelude::{BigInt, Either, Unknown};
use napi::{Env, JsString};
use napi_derive::napi;
use watchword_core::{Hotp as CoreHotp, Totp as CoreTotp, DEFAULT_DIGITS, DEFAULT_PERIOD, DEFAULT_SKEW};

use crate::args::{self, CodeBuf, Options, MAX_SAFE_INTEGER};
use crate::error::{boundary, Out};

/// Options of `new Totp(secret, options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct TotpOptions {
    /// The HMAC hash: `'sha1'` (default), `'sha256'` or `'sha512'` (any case, hyphen optional).
    #[napi(ts_type = "AlgorithmName")]
    pub algorithm: Option<String>,
    /// Code length, 3–10 (default 6).
    pub digits: Option<u32>,
    /// Time step in seconds, 1–86400 (default 30).
    pub period: Option<u32>,
    /// Unix time steps are counted from (default 0).
    #[napi(ts_type = "number | bigint | Date")]
    pub t0: Option<f64>,
}

/// Options of `totp.verify(code, options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct TotpVerifyOptions {
    /// The time to verify at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | bigint | Date")]
    pub unix_time: Option<f64>,
    /// Steps accepted on each side of the current one, 0–10 (default 1).
    pub skew: Option<u32>,
}

/// Options of `totp.check(code, options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct TotpCheckOptions {
    /// The time to verify at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | bigint | Date")]
    pub unix_time: Option<f64>,
    /// Steps accepted on each side of the current one, 0–10 (default 1).
    pub skew: Option<u32>,
    /// The step of the last code accepted for this key (the replay floor), if any.
    #[napi(ts_type = "number | bigint | null")]
    pub last_used_step: Option<f64>,
}

/// The outcome of `totp.check`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct TotpCheck {
    /// `'approved'` (store `step` as the new `lastUsedStep`), `'replayed'`, `'outside_window'`
    /// or `'invalid_code'`.
    #[napi(ts_type = "VerificationResult")]
    pub result: String,
    /// The matched time step (`null` for `'invalid_code'`); a bigint above 2^53 - 1.
    #[napi(ts_type = "number | bigint")]
    pub step: Option<Either<f64, BigInt>>,
    /// The matched step minus the current one (`null` for `'invalid_code'`).
    pub offset: Option<i32>,
}

/// Options of `new Hotp(secret, options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct HotpOptions {
    /// The HMAC hash: `'sha1'` (default), `'sha256'` or `'sha512'`.
    #[napi(ts_type = "AlgorithmName")]
    pub algorithm: Option<String>,
    /// Code length, 3–10 (default 6).
    pub digits: Option<u32>,
}

/// Options of `hotp.verify(code, counter, options)`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct HotpVerifyOptions {
    /// How many counters after `counter` are also tried, 0–1000 (default 0).
    pub look_ahead: Option<u32>,
}

/// A TOTP generator and verifier for one key (RFC 6238).
///
/// ```js
/// const totp = new Totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
/// totp.generate(59)                        // '287082'
/// totp.verify('287082', { unixTime: 80 })  // 0 (the matched step's offset), or null
/// ```
#[napi]
pub struct Totp {
    pub(crate) inner: Arc<CoreTotp>,
    /// The instance's slot in the fast path's key table, once it has one.
    pub(crate) handle: Cell<Option<u32>>,
}

#[napi]
impl Totp {
    /// Sets up a key (a `Uint8Array`/`Buffer` of 1–128 bytes or a Base32 string).
    #[napi(constructor, ts_args_type = "secret: Uint8Array | string, options?: TotpOptions")]
    pub fn new(env: Env, secret: Unknown, options: Unknown) -> napi::Result<Totp> {
        boundary(&env, || {
            let options = Options::new(&options, "options", &[c"algorithm", c"digits", c"period", c"t0"])?;
            let secret = args::secret(&secret, "secret")?;
            let algorithm = args::algorithm(options.get(c"algorithm"), "options.algorithm")?;
            let digits = opt_u32(options.get(c"digits"), "options.digits", DEFAULT_DIGITS)?;
            let period = match options.get(c"period") {
                Some(v) => args::integer(&v, "options.period", MAX_SAFE_INTEGER)? as u64,
                None => DEFAULT_PERIOD,
            };
            let t0 = match options.get(c"t0") {
                Some(v) => args::time(&v, "options.t0")?,
                None => 0,
            };
            let inner = CoreTotp::new(secret.as_bytes(), algorithm, digits, period)?.with_t0(t0);
            Ok(Totp { inner: Arc::new(inner), handle: Cell::new(None) })
        })
    }

    /// The code at `unixTime` (Unix seconds or a `Date`; default: now).
    #[napi(ts_args_type = "unixTime?: number | bigint | Date")]
    pub fn generate<'env>(&self, env: &'env Env, unix_time: Unknown) -> napi::Result<JsString<'env>> {
        boundary(env, || totp_generate(env, &self.inner, &unix_time))
    }

    /// Checks `code` (a string of `digits` digits) against the steps `current - skew ..=
    /// current + skew`; returns the matched step's offset from the current one, or `null`.
    /// A wrong code is `null`, never an error.
    #[napi(ts_args_type = "code: string, options?: TotpVerifyOptions")]
    pub fn verify(&self, env: &Env, code: Unknown, options: Unknown) -> napi::Result<Option<i32>> {
        boundary(env, || {
            let options = Options::new(&options, "options", TOTP_VERIFY)?;
            totp_verify(&self.inner, &code, options.get(c"unixTime"), options.get(c"skew"))
        })
    }

    /// Checks `code` the way a verifier with replay protection must: `'approved'` for a fresh
    /// match (store `step` as `lastUsedStep`), `'replayed'` for a step not newer than
    /// `lastUsedStep`, `'outside_window'` for a match one or two steps beyond the window,
    /// `'invalid_code'` otherwise.
    #[napi(ts_args_type = "code: string, options?: TotpCheckOptions")]
    pub fn check(&self, env: &Env, code: Unknown, options: Unknown) -> napi::Result<TotpCheck> {
        boundary(env, || {
            let options = Options::new(&options, "options", TOTP_CHECK)?;
            totp_check(&self.inner, &code, options.get(c"unixTime"), options.get(c"skew"), options.get(c"lastUsedStep"))
        })
    }

    /// The time step of `unixTime` (default: now); a bigint above 2^53 - 1.
    #[napi(ts_args_type = "unixTime?: number | bigint | Date", ts_return_type = "number | bigint")]
    pub fn step(&self, env: &Env, unix_time: Unknown) -> napi::Result<Either<f64, BigInt>> {
        boundary(env, || {
            let time = args::arg_time_or_now(&unix_time, "unixTime")?;
            Ok(args::number_or_bigint(self.inner.step(time)?))
        })
    }

    /// The HMAC hash (`'sha1'`, `'sha256'` or `'sha512'`).
    #[napi(getter, catch_unwind, ts_return_type = "Algorithm")]
    pub fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    /// The number of digits of each code.
    #[napi(getter, catch_unwind)]
    pub fn digits(&self) -> u32 {
        self.inner.digits()
    }

    /// The time step in seconds.
    #[napi(getter, catch_unwind)]
    pub fn period(&self) -> f64 {
        self.inner.period() as f64
    }

    /// The Unix time steps are counted from (a bigint above 2^53 - 1).
    #[napi(getter, catch_unwind, ts_return_type = "number | bigint")]
    pub fn t0(&self) -> Either<f64, BigInt> {
        args::number_or_bigint(self.inner.t0())
    }
}

/// The options of `Totp.verify`, `Totp.check` and `Hotp.verify`, in the order the fast path
/// (`fast.rs`) passes them as arguments.
pub(crate) const TOTP_VERIFY: &[&CStr] = &[c"unixTime", c"skew"];
pub(crate) const TOTP_CHECK: &[&CStr] = &[c"unixTime", c"skew", c"lastUsedStep"];
pub(crate) const HOTP_VERIFY: &[&CStr] = &[c"lookAhead"];

// The bodies of the per-call methods, shared by the napi-rs methods and the fast path
// (fast.rs): they take the key state itself.

/// `Totp.generate`.
pub(crate) fn totp_generate<'env>(env: &'env Env, totp: &CoreTotp, unix_time: &Unknown) -> Out<JsString<'env>> {
    let time = args::arg_time_or_now(unix_time, "unixTime")?;
    args::code_string(env, &totp.generate(time)?)
}

/// `Totp.verify` with its options as separate values (`None`: left out).
pub(crate) fn totp_verify(
    totp: &CoreTotp,
    code: &Unknown,
    time: Option<Unknown>,
    skew: Option<Unknown>,
) -> Out<Option<i32>> {
    let mut buf = CodeBuf::default();
    let code = args::code(code, "code", &mut buf)?;
    let time = args::time_or_now(time, "options.unixTime")?;
    let skew = opt_u32(skew, "options.skew", DEFAULT_SKEW)?;
    Ok(totp.verify(code, time, skew)?.map(|m| m.offset as i32))
}

/// `Totp.check` with its options as separate values (`None`: left out).
pub(crate) fn totp_check(
    totp: &CoreTotp,
    code: &Unknown,
    time: Option<Unknown>,
    skew: Option<Unknown>,
    last_used_step: Option<Unknown>,
) -> Out<TotpCheck> {
    let mut buf = CodeBuf::default();
    let code = args::code(code, "code", &mut buf)?;
    let time = args::time_or_now(time, "options.unixTime")?;
    let skew = opt_u32(skew, "options.skew", DEFAULT_SKEW)?;
    let floor = match last_used_step {
        Some(v) if v.get_type()? == napi::ValueType::Null => None,
        Some(v) => Some(args::u64_arg(&v, "options.lastUsedStep")?.0),
        None => None,
    };
    // The results are spelt as core spells the service's verification results.
    let outcome = totp.check(code, time, skew, floor)?;
    let matched = outcome.matched();
    Ok(TotpCheck {
        result: outcome.result().as_str().to_string(),
        step: matched.map(|m| args::number_or_bigint(m.step)),
        offset: matched.map(|m| m.offset as i32),
    })
}

/// `Hotp.generate`.
pub(crate) fn hotp_generate<'env>(env: &'env Env, hotp: &CoreHotp, counter: &Unknown) -> Out<JsString<'env>> {
    let (counter, _) = args::u64_arg(counter, "counter")?;
    args::code_string(env, &hotp.generate(counter))
}

/// `Hotp.verify` with its option as a separate value (`None`: left out).
pub(crate) fn hotp_verify(
    hotp: &CoreHotp,
    code: &Unknown,
    counter: &Unknown,
    look_ahead: Option<Unknown>,
) -> Out<Option<Either<f64, BigInt>>> {
    let mut buf = CodeBuf::default();
    let code = args::code(code, "code", &mut buf)?;
    let (counter, big) = args::u64_arg(counter, "counter")?;
    let look_ahead = match look_ahead {
        Some(v) => args::integer(&v, "options.lookAhead", MAX_SAFE_INTEGER)? as u64,
        None => 0,
    };
    Ok(hotp.verify(code, counter, look_ahead)?.map(|matched| match big {
        true => Either::B(BigInt::from(matched)),
        false => args::number_or_bigint(matched),
    }))
}

/// An HOTP generator and verifier for one key (RFC 4226).
///
/// ```js
/// const hotp = new Hotp(Buffer.from('12345678901234567890'))
/// hotp.generate(1)                              // '287082'
/// hotp.verify('359152', 0, { lookAhead: 5 })    // 2 (the matched counter), or null
/// ```
#[napi]
pub struct Hotp {
    pub(crate) inner: Arc<CoreHotp>,
    /// The instance's slot in the fast path's key table, once it has one.
    pub(crate) handle: Cell<Option<u32>>,
}

#[napi]
impl Hotp {
    /// Sets up a key (a `Uint8Array`/`Buffer` of 1–128 bytes or a Base32 string).
    #[napi(constructor, ts_args_type = "secret: Uint8Array | string, options?: HotpOptions")]
    pub fn new(env: Env, secret: Unknown, options: Unknown) -> napi::Result<Hotp> {
        boundary(&env, || {
            let options = Options::new(&options, "options", &[c"algorithm", c"digits"])?;
            let secret = args::secret(&secret, "secret")?;
            let algorithm = args::algorithm(options.get(c"algorithm"), "options.algorithm")?;
            let digits = opt_u32(options.get(c"digits"), "options.digits", DEFAULT_DIGITS)?;
            Ok(Hotp { inner: Arc::new(CoreHotp::new(secret.as_bytes(), algorithm, digits)?), handle: Cell::new(None) })
        })
    }

    /// The code for `counter` (a number up to 2^53 - 1 or a bigint up to 2^64 - 1).
    #[napi(ts_args_type = "counter: number | bigint")]
    pub fn generate<'env>(&self, env: &'env Env, counter: Unknown) -> napi::Result<JsString<'env>> {
        boundary(env, || hotp_generate(env, &self.inner, &counter))
    }

    /// Checks `code` against the counters `counter ..= counter + lookAhead` (never backwards)
    /// and returns the matched counter (a bigint when `counter` was one), or `null`.
    #[napi(
        ts_args_type = "code: string, counter: number | bigint, options?: HotpVerifyOptions",
        ts_return_type = "number | bigint | null"
    )]
    pub fn verify(
        &self,
        env: &Env,
        code: Unknown,
        counter: Unknown,
        options: Unknown,
    ) -> napi::Result<Option<Either<f64, BigInt>>> {
        boundary(env, || {
            let options = Options::new(&options, "options", HOTP_VERIFY)?;
            hotp_verify(&self.inner, &code, &counter, options.get(c"lookAhead"))
        })
    }

    /// The HMAC hash (`'sha1'`, `'sha256'` or `'sha512'`).
    #[napi(getter, catch_unwind, ts_return_type = "Algorithm")]
    pub fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    /// The number of digits of each code.
    #[napi(getter, catch_unwind)]
    pub fn digits(&self) -> u32 {
        self.inner.digits()
    }
}

fn opt_u32(value: Option<Unknown>, name: &str, default: u32) -> Out<u32> {
    match value {
        Some(v) => args::u32_arg(&v, name),
        None => Ok(default),
    }
}
