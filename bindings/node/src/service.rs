//! `Verify`: the Entity → Factor → Challenge service of core over the store its settings name.
//!
//! Every method converts its arguments (camelCase options, `Date`s) to the JSON arguments of
//! core's dispatch, runs the operation there — on the calling thread, or on the libuv thread
//! pool for the Promise forms — and converts the answer back (camelCase keys, `Date`s). No
//! rule of behaviour lives here.

use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, JsValue, ScopedTask, Status, ValueType};
use napi_derive::napi;
use serde_json::{Map, Value};
use watchword_core::service::{unix_now, ServiceConfig, Setting, Verify as CoreVerify, MIN_SECRET_BYTES, SETTINGS};
use watchword_core::{base32, Error, Invalid};
use watchword_store::AnyStore;

use crate::args::{self, type_error, MAX_SAFE_INTEGER};
use crate::error::{boundary, panic_message, rejection, Fail, Out};
use crate::json::{self, camel, snake};

/// How an argument converts to its JSON form.
#[derive(Clone, Copy)]
enum Kind {
    /// A string.
    Str,
    /// A string, or a `Uint8Array` of raw bytes sent as Base32 (a factor's secret).
    Secret,
    /// A non-negative integer.
    Int,
    /// Unix seconds (a number), a `Date`, or an RFC 3339 string.
    Date,
    /// A plain object of strings.
    StrMap,
    /// Challenge details.
    Details,
    /// The time the operation runs at (not sent as an argument).
    Now,
}

/// One option of a method: its JavaScript name, its JSON name and its kind.
struct Opt(&'static CStr, &'static str, Kind);

const NOW: Opt = Opt(c"now", "now", Kind::Now);

/// The arguments of one call as they accumulate.
struct Call {
    args: Map<String, Value>,
    /// The JSON names of the arguments given as numbers: a range error of core about one of
    /// them is thrown as a `RangeError`.
    numeric: Vec<&'static str>,
    now: Option<u64>,
}

impl Call {
    fn new() -> Call {
        Call { args: Map::new(), numeric: Vec::new(), now: None }
    }

    /// A required positional string argument.
    fn string(mut self, json: &'static str, js: &str, value: &Unknown) -> Out<Call> {
        let text = args::string(value, js).map_err(|fail| fail.about(json))?;
        self.args.insert(json.to_string(), Value::String(text));
        Ok(self)
    }

    /// The trailing options object.
    fn options(mut self, value: &Unknown, spec: &'static [Opt]) -> Out<Call> {
        let keys: Vec<&CStr> = spec.iter().map(|opt| opt.0).collect();
        let options = args::Options::new(value, "options", &keys).map_err(|fail| fail.about("arguments"))?;
        for Opt(js, json, kind) in spec {
            let Some(value) = options.get(js) else { continue };
            self = self.option(value, js, json, *kind).map_err(|fail| fail.about(json))?;
        }
        Ok(self)
    }

    /// One option's value.
    fn option(mut self, value: Unknown, js: &CStr, json: &'static str, kind: Kind) -> Out<Call> {
        let name = format!("options.{}", js.to_str().unwrap_or_default());
        if value.get_type()? == ValueType::Null && !matches!(kind, Kind::Now) {
            self.args.insert(json.to_string(), Value::Null);
            return Ok(self);
        }
        let converted = match kind {
            Kind::Now => {
                self.now = Some(args::time(&value, &name)?);
                return Ok(self);
            }
            Kind::Str => Value::String(args::string(&value, &name)?),
            Kind::Secret => match value.get_type()? {
                ValueType::String => Value::String(args::string(&value, &name)?),
                ValueType::Object if value.is_typedarray()? => {
                    Value::String(base32::encode(&args::bytes(&value, &name)?))
                }
                _ => return Err(type_error(&name, "a Base32 string or a Uint8Array", &value)),
            },
            Kind::Int => {
                self.numeric.push(json);
                Value::from(args::integer(&value, &name, MAX_SAFE_INTEGER)? as u64)
            }
            Kind::Date => match value.get_type()? {
                ValueType::String => Value::String(args::string(&value, &name)?),
                _ => {
                    self.numeric.push(json);
                    Value::from(args::time(&value, &name).map_err(|fail| match fail {
                        Fail::Type(_) => type_error(&name, "Unix seconds, a Date or an RFC 3339 string", &value),
                        other => other,
                    })?)
                }
            },
            Kind::StrMap => json::string_map(&value, &name)?,
            Kind::Details => json::details(&value, &name)?,
        };
        self.args.insert(json.to_string(), converted);
        Ok(self)
    }
}

/// Settings of `new Verify(settings)`; every limit defaults to Twilio's value (see SPEC §3).
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct VerifySettings {
    /// Issuer shown in authenticator apps: 1–64 characters, no `:` (required).
    pub issuer: String,
    /// The store's URL: `'memory:'` (default), `'sqlite:///relative/path'`,
    /// `'sqlite:////absolute/path'`, `'postgresql://user:password@host/db'`.
    pub store: Option<String>,
    /// The namespace of this service's records in the store: 1–64 of `[A-Za-z0-9_-]`
    /// (`'default'`).
    pub service: Option<String>,
    /// Default HMAC hash of new factors (`'sha1'`).
    #[napi(ts_type = "AlgorithmName")]
    pub alg: Option<String>,
    /// Default digits per code, 3–8 (6).
    pub code_length: Option<u32>,
    /// The fewest digits a factor may use, 3–8 (6).
    pub min_code_length: Option<u32>,
    /// Default seconds per step, 20–60 (30).
    pub time_step: Option<u32>,
    /// Default steps accepted each side of the current one, 0–2 (1).
    pub skew: Option<u32>,
    /// Default challenge lifetime in seconds, 1–3600 (300).
    pub challenge_expiration: Option<u32>,
    /// Seconds an unverified factor stays usable, 60–86400 (3600).
    pub unverified_factor_lifetime: Option<u32>,
    /// Failed enrollment verifications per factor before 60310 (5).
    pub factor_verification_attempts: Option<u32>,
    /// Failed answers per challenge before 60308 (5).
    pub challenge_attempts: Option<u32>,
    /// Consecutive failures that lock a verified factor (10).
    pub lockout_threshold: Option<u32>,
    /// The first lockout in seconds, doubling at each further one (60).
    pub lockout_seconds: Option<u32>,
    /// The longest lockout in seconds (3600).
    pub lockout_max_seconds: Option<u32>,
    /// Consecutive failures after which a factor stays locked until unlocked (100).
    pub lockout_permanent_threshold: Option<u32>,
    /// Challenges per factor per 24 h when codes have 4 digits or fewer (10).
    pub challenge_quota_short_day: Option<u32>,
    /// Challenges per factor per hour when codes have 5 digits or more (50).
    pub challenge_quota_hour: Option<u32>,
    /// Challenges per factor per 24 h when codes have 5 digits or more (100).
    pub challenge_quota_day: Option<u32>,
    /// Factors an entity may have (100).
    pub factors_per_entity: Option<u32>,
    /// Factors an entity may create per 24 h (100).
    pub factor_creations_per_day: Option<u32>,
    /// Days an answered or expired challenge is kept before `sweep` removes it, 1–365 (30).
    pub challenge_retention_days: Option<u32>,
    /// Failed answers per verified factor per 24 h, successes or not, before the factor is
    /// locked until the window ends, 1–1000 (50).
    pub failure_budget: Option<u32>,
    /// The shortest imported secret in bytes, 10–64 (16).
    pub min_secret_bytes: Option<u32>,
}

/// One numeric setting of the service with its default and range.
#[napi(object, object_from_js = false)]
pub struct SettingInfo {
    /// The name as `new Verify(settings)` takes it (`'challengeExpiration'` …).
    pub name: String,
    /// The default.
    pub default: f64,
    /// The smallest allowed value.
    pub min: f64,
    /// The largest allowed value.
    pub max: f64,
    /// The range in words.
    pub expected: String,
}

/// Only `now`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct NowOptions {
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// Options of `verify.createFactor`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct CreateFactorOptions {
    /// An existing secret to import (Base32 or raw bytes); by default a new one is generated.
    #[napi(ts_type = "string | Uint8Array")]
    pub secret: Option<String>,
    /// HMAC hash (default: the service's).
    #[napi(ts_type = "AlgorithmName")]
    pub alg: Option<String>,
    /// Digits per code.
    pub code_length: Option<u32>,
    /// Seconds per step.
    pub time_step: Option<u32>,
    /// Steps accepted each side.
    pub skew: Option<u32>,
    /// The caller's own strings.
    pub metadata: Option<std::collections::HashMap<String, String>>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// Options of `verify.updateFactor`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct UpdateFactorOptions {
    /// A new name, 1–64 characters.
    pub friendly_name: Option<String>,
    /// HMAC hash.
    #[napi(ts_type = "AlgorithmName")]
    pub alg: Option<String>,
    /// Digits per code.
    pub code_length: Option<u32>,
    /// Seconds per step.
    pub time_step: Option<u32>,
    /// Steps accepted each side.
    pub skew: Option<u32>,
    /// The caller's own strings (replaces the old ones).
    pub metadata: Option<std::collections::HashMap<String, String>>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// A field of challenge details.
#[napi(object)]
pub struct ChallengeDetailField {
    /// Up to 36 characters.
    pub label: String,
    /// Up to 128 characters.
    pub value: String,
}

/// What a challenge shows the user.
#[napi(object)]
pub struct ChallengeDetails {
    /// Up to 256 characters.
    pub message: String,
    /// Up to 20 fields.
    pub fields: Option<Vec<ChallengeDetailField>>,
}

/// Options of `verify.createChallenge`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct CreateChallengeOptions {
    /// The code, to answer the challenge at once.
    pub auth_payload: Option<String>,
    /// When the challenge expires (default: the service's `challengeExpiration` from now).
    #[napi(ts_type = "number | Date | string")]
    pub expiration_date: Option<f64>,
    /// What the challenge shows the user.
    pub details: Option<ChallengeDetails>,
    /// Strings kept with the challenge, never shown.
    pub hidden_details: Option<std::collections::HashMap<String, String>>,
    /// The caller's own strings.
    pub metadata: Option<std::collections::HashMap<String, String>>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// Options of `verify.updateChallenge`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct UpdateChallengeOptions {
    /// The caller's own strings.
    pub metadata: Option<std::collections::HashMap<String, String>>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// Options of `verify.listEntities` and `verify.listFactors`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ListOptions {
    /// Items per page, 1–1000 (50).
    pub limit: Option<u32>,
    /// The `nextPageToken` of the previous page (default: the first page).
    pub page_token: Option<String>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// Options of `verify.listChallenges`.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ListChallengesOptions {
    /// Only the challenges of this factor.
    pub factor_sid: Option<String>,
    /// Only the challenges in this status.
    #[napi(ts_type = "ChallengeStatus")]
    pub status: Option<String>,
    /// By creation time: `'asc'` (default) or `'desc'`.
    #[napi(ts_type = "'asc' | 'desc'")]
    pub order: Option<String>,
    /// Items per page, 1–1000 (50).
    pub limit: Option<u32>,
    /// The `nextPageToken` of the previous page (default: the first page).
    pub page_token: Option<String>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
}

/// An entity: the user a set of factors belongs to.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct EntityInstance {
    /// `YE…`.
    pub sid: String,
    /// The caller's identifier of the user.
    pub identity: String,
    /// Creation time.
    #[napi(ts_type = "Date")]
    pub date_created: String,
    /// Last change.
    #[napi(ts_type = "Date")]
    pub date_updated: String,
}

/// A factor's TOTP settings.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct FactorConfig {
    /// HMAC hash.
    #[napi(ts_type = "Algorithm")]
    pub alg: String,
    /// Digits per code.
    pub code_length: u32,
    /// Seconds per step.
    pub time_step: u32,
    /// Steps accepted each side.
    pub skew: u32,
}

/// The secret of a new factor, shown once.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct FactorBinding {
    /// Base32.
    pub secret: String,
    /// The `otpauth://` URI for the authenticator app (a QR code).
    pub uri: String,
}

/// A TOTP factor. `binding` is only in the answer of `createFactor`; `result` and
/// `resultOffset` only after a verification.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct FactorInstance {
    /// `YF…`.
    pub sid: String,
    /// The entity's sid.
    pub entity_sid: String,
    /// The entity's identity.
    pub identity: String,
    /// The name the user gave it.
    pub friendly_name: String,
    /// Verified once a first code was accepted.
    #[napi(ts_type = "'unverified' | 'verified'")]
    pub status: String,
    /// Always `'totp'`.
    #[napi(ts_type = "'totp'")]
    pub factor_type: String,
    /// TOTP settings.
    pub config: FactorConfig,
    /// The caller's own strings.
    #[napi(ts_type = "Record<string, string> | null")]
    pub metadata: Option<String>,
    /// Creation time.
    #[napi(ts_type = "Date")]
    pub date_created: String,
    /// Last change.
    #[napi(ts_type = "Date")]
    pub date_updated: String,
    /// The secret and URI (creation answer only).
    pub binding: Option<FactorBinding>,
    /// The verification result (after `verifyFactor`).
    #[napi(ts_type = "VerificationResult")]
    pub result: Option<String>,
    /// The matched step minus the current one, or `null` for `'invalid_code'`.
    #[napi(ts_type = "number | null")]
    pub result_offset: Option<i32>,
}

/// A challenge: one login attempt to approve with a code.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ChallengeInstance {
    /// `YC…`.
    pub sid: String,
    /// The entity's sid.
    pub entity_sid: String,
    /// The entity's identity.
    pub identity: String,
    /// The factor's sid.
    pub factor_sid: String,
    /// `'pending'`, `'approved'`, `'denied'` or `'expired'`.
    #[napi(ts_type = "ChallengeStatus")]
    pub status: String,
    /// Always `'none'`.
    #[napi(ts_type = "'none'")]
    pub responded_reason: String,
    /// Always `'totp'`.
    #[napi(ts_type = "'totp'")]
    pub factor_type: String,
    /// Creation time.
    #[napi(ts_type = "Date")]
    pub date_created: String,
    /// Last change.
    #[napi(ts_type = "Date")]
    pub date_updated: String,
    /// When it was approved or denied.
    #[napi(ts_type = "Date | null")]
    pub date_responded: String,
    /// When it expires.
    #[napi(ts_type = "Date")]
    pub expiration_date: String,
    /// What it shows the user.
    #[napi(ts_type = "ChallengeDetails | null")]
    pub details: String,
    /// Strings kept with it, never shown.
    #[napi(ts_type = "Record<string, string> | null")]
    pub hidden_details: String,
    /// The caller's own strings.
    #[napi(ts_type = "Record<string, string> | null")]
    pub metadata: String,
    /// The verification result (when a code was given).
    #[napi(ts_type = "VerificationResult")]
    pub result: Option<String>,
    /// The matched step minus the current one, or `null` for `'invalid_code'`.
    #[napi(ts_type = "number | null")]
    pub result_offset: Option<i32>,
}

const CREATE_FACTOR: &[Opt] = &[
    Opt(c"secret", "secret", Kind::Secret),
    Opt(c"alg", "alg", Kind::Str),
    Opt(c"codeLength", "code_length", Kind::Int),
    Opt(c"timeStep", "time_step", Kind::Int),
    Opt(c"skew", "skew", Kind::Int),
    Opt(c"metadata", "metadata", Kind::StrMap),
    NOW,
];
const UPDATE_FACTOR: &[Opt] = &[
    Opt(c"friendlyName", "friendly_name", Kind::Str),
    Opt(c"alg", "alg", Kind::Str),
    Opt(c"codeLength", "code_length", Kind::Int),
    Opt(c"timeStep", "time_step", Kind::Int),
    Opt(c"skew", "skew", Kind::Int),
    Opt(c"metadata", "metadata", Kind::StrMap),
    NOW,
];
const CREATE_CHALLENGE: &[Opt] = &[
    Opt(c"authPayload", "auth_payload", Kind::Str),
    Opt(c"expirationDate", "expiration_date", Kind::Date),
    Opt(c"details", "details", Kind::Details),
    Opt(c"hiddenDetails", "hidden_details", Kind::StrMap),
    Opt(c"metadata", "metadata", Kind::StrMap),
    NOW,
];
const UPDATE_CHALLENGE: &[Opt] = &[Opt(c"metadata", "metadata", Kind::StrMap), NOW];
const LIST: &[Opt] = &[Opt(c"limit", "limit", Kind::Int), Opt(c"pageToken", "page_token", Kind::Str), NOW];
const LIST_CHALLENGES: &[Opt] = &[
    Opt(c"factorSid", "factor_sid", Kind::Str),
    Opt(c"status", "status", Kind::Str),
    Opt(c"order", "order", Kind::Str),
    Opt(c"limit", "limit", Kind::Int),
    Opt(c"pageToken", "page_token", Kind::Str),
    NOW,
];
const ONLY_NOW: &[Opt] = &[NOW];

/// What an operation answers, and so how its JSON answer becomes a JavaScript value.
#[derive(Clone, Copy)]
enum Shape {
    /// A view, as an object with camelCase keys and `Date`s.
    View,
    /// The view of a new factor, whose `binding` gets the QR-code methods.
    Created,
    /// A page: an array of views carrying `nextPageToken`.
    Page,
    /// Nothing (`undefined`).
    Void,
    /// A number (`sweep`).
    Count,
    /// A stored record, as its JSON text.
    Record,
    /// JSON text of the whole answer (`call`).
    Json,
}

/// One operation, its arguments converted, ready to run here or on the thread pool.
struct Operation {
    op: String,
    /// The JSON arguments object (for `call`, `{"args_json": "…"}`).
    args: Value,
    now: u64,
    numeric: Vec<&'static str>,
    shape: Shape,
}

impl Call {
    fn operation(self, op: &str, shape: Shape) -> Operation {
        Operation {
            op: op.to_string(),
            args: Value::Object(self.args),
            now: self.now.unwrap_or_else(unix_now),
            numeric: self.numeric,
            shape,
        }
    }
}

impl Operation {
    /// Runs the operation in core (this thread, whichever it is).
    fn run(&self, verify: &CoreVerify<AnyStore>) -> Result<Value, Error> {
        match self.shape {
            Shape::Json => {
                let args = self.args.get("args_json").and_then(Value::as_str).unwrap_or_default();
                verify.call(&self.op, args, self.now).map(Value::String)
            }
            _ => verify.dispatch(&self.op, &self.args, self.now),
        }
    }

    /// The answer as the JavaScript value the method returns.
    fn answer<'e>(&self, env: &'e Env, answer: Result<Value, Error>) -> Out<Unknown<'e>> {
        let value = answer.map_err(|error| core_fail(error, &self.numeric))?;
        match self.shape {
            Shape::View => Ok(json::to_js(env, &value)?),
            Shape::Created => {
                let out = json::to_js(env, &value)?;
                crate::uri::add_qr_methods(env, &out)?;
                Ok(out)
            }
            Shape::Page => {
                let empty = Vec::new();
                let items = value.get("items").and_then(Value::as_array).unwrap_or(&empty);
                let out = json::to_js(env, &Value::Array(items.clone()))?;
                let token = value.get("next_page_token").cloned().unwrap_or(Value::Null);
                add_page_token(env, &out, &token)?;
                Ok(out)
            }
            // SAFETY: `env` is the live environment of this call.
            Shape::Void => Ok(unknown(env, unsafe { <() as ToNapiValue>::to_napi_value(env.raw(), ()) })?),
            Shape::Count => Ok(json::to_js(env, &value)?),
            Shape::Record | Shape::Json => {
                let text = match value {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                // SAFETY: `env` is the live environment of this call.
                Ok(unknown(env, unsafe { String::to_napi_value(env.raw(), text) })?)
            }
        }
    }
}

/// A raw value just created in `env`.
fn unknown(env: &Env, raw: napi::Result<napi::sys::napi_value>) -> napi::Result<Unknown<'_>> {
    // SAFETY: `raw` was just created in `env`.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), raw?) })
}

/// Sets a page's `nextPageToken` (not enumerable, like an array's own methods: spreading,
/// `JSON.stringify` and deep equality see the items only).
fn add_page_token(env: &Env, page: &Unknown, token: &Value) -> napi::Result<()> {
    use napi::{Property, PropertyAttributes};
    // SAFETY: a page is an array, an object.
    let mut array: Object = unsafe { page.cast()? };
    let token = json::to_js(env, token)?;
    let hidden = PropertyAttributes::Writable | PropertyAttributes::Configurable;
    array.define_properties(&[Property::new()
        .with_utf8_name("nextPageToken")?
        .with_value(&token)
        .with_property_attributes(hidden)])
}

/// An operation on the libuv thread pool: the Promise form of every method, so that a database
/// store's network and disk waits never block the event loop.
struct OperationTask {
    verify: Arc<CoreVerify<AnyStore>>,
    operation: Operation,
}

impl<'env> ScopedTask<'env> for OperationTask {
    /// The answer, or the message of a panic.
    type Output = Result<Result<Value, Error>, String>;
    type JsValue = Unknown<'env>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let run = AssertUnwindSafe(|| self.operation.run(&self.verify));
        Ok(catch_unwind(run).map_err(|panic| panic_message(&*panic)))
    }

    fn resolve(&mut self, env: &'env Env, output: Self::Output) -> napi::Result<Unknown<'env>> {
        let answer = output.map_err(|message| napi::Error::new(Status::GenericFailure, message))?;
        let converted = catch_unwind(AssertUnwindSafe(|| self.operation.answer(env, answer)));
        match converted {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(fail)) => Err(rejection(env, fail)),
            Err(panic) => Err(napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
        }
    }
}

/// The verification service (Twilio Verify's Entity → Factor → Challenge API with Okta's
/// verification results) over a store: in memory by default, or the SQLite or PostgreSQL
/// database the `store` setting names. Every operation has a synchronous form and a Promise
/// form (`…Async`) that runs on the libuv thread pool: use the Promise forms with a database
/// store, so the event loop never waits for the database. Hosts that keep their own database
/// move records in and out with `exportFactor`/`importFactor` (and the entity and challenge
/// equivalents).
///
/// ```js
/// const verify = new Verify({ issuer: 'Acme', store: 'sqlite:////var/lib/app/watchword.db' })
/// const factor = await verify.createFactorAsync('user-0001', 'phone')
/// // show factor.binding.uri as a QR code, then:
/// (await verify.verifyFactorAsync('user-0001', factor.sid, codeFromTheApp)).result  // 'approved'
/// ```
#[napi]
pub struct Verify {
    inner: Arc<CoreVerify<AnyStore>>,
}

/// Declares the synchronous method of an operation and its Promise form (`…Async`). The doc
/// lines are `#[doc = "…"]` attributes with plain strings: napi's TypeScript generator keeps
/// the `r"` of the raw strings that doc comments become inside a macro invocation.
macro_rules! operation {
    (
        $(#[doc = $doc:literal])*
        $name:ident, $name_async:ident ($($arg:ident),*) => $op:literal as $shape:ident,
        args = $args:literal, returns = $ret:literal, promise = $promise:literal,
        |$call:ident| $build:expr
    ) => {
        #[napi]
        impl Verify {
            $(#[doc = $doc])*
            #[napi(ts_args_type = $args, ts_return_type = $ret)]
            pub fn $name<'e>(&self, env: &'e Env, $($arg: Unknown),*) -> napi::Result<Unknown<'e>> {
                boundary(env, || {
                    let $call = Call::new();
                    let operation = $build?.operation($op, Shape::$shape);
                    let answer = operation.run(&self.inner);
                    operation.answer(env, answer)
                })
            }

            $(#[doc = $doc])*
            ///
            /// Promise form: runs on the libuv thread pool and rejects with the error the
            /// synchronous form throws.
            #[napi(ts_args_type = $args, ts_return_type = $promise)]
            pub fn $name_async<'e>(&self, env: &'e Env, $($arg: Unknown),*) -> napi::Result<Unknown<'e>> {
                self.spawn(env, || {
                    let $call = Call::new();
                    Ok($build?.operation($op, Shape::$shape))
                })
            }
        }
    };
}

#[napi]
impl Verify {
    /// A service with the given settings (see `Verify.settings()` for every numeric one).
    /// `store` is the store's URL: `'memory:'` (the default, this process only),
    /// `'sqlite:///relative/path'` or `'sqlite:////absolute/path'` (shared by the processes of a
    /// machine), `'postgresql://user:password@host/db'` (shared by every machine); `service`
    /// is the namespace of this service's records in the store (default `'default'`). Opening
    /// a database store waits for it; `Verify.open` is the Promise form.
    #[napi(constructor, ts_args_type = "settings: VerifySettings")]
    pub fn new(env: Env, settings: Unknown) -> napi::Result<Verify> {
        boundary(&env, || {
            let (config, numeric) = config_of(&settings)?;
            let inner = watchword_store::service(config).map_err(|error| core_fail(error, &numeric))?;
            Ok(Verify { inner: Arc::new(inner) })
        })
    }

    /// `new Verify(settings)` as a promise: the store is opened on the libuv thread pool.
    #[napi(ts_args_type = "settings: VerifySettings", ts_return_type = "Promise<Verify>")]
    pub fn open<'e>(env: &'e Env, settings: Unknown) -> napi::Result<Unknown<'e>> {
        match catch_unwind(AssertUnwindSafe(|| config_of(&settings))) {
            Ok(Ok((config, numeric))) => {
                Ok(env.spawn(OpenTask { config: Some(config), numeric })?.promise_object().to_unknown())
            }
            Ok(Err(fail)) => rejected(env, rejection(env, fail)),
            Err(panic) => rejected(env, napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
        }
    }

    /// Every numeric setting with its default and range, from core's table.
    #[napi(catch_unwind)]
    pub fn settings() -> Vec<SettingInfo> {
        all_settings()
            .map(|s| SettingInfo {
                name: camel(s.name),
                default: s.default as f64,
                min: s.min as f64,
                max: s.max as f64,
                expected: s.expected.to_string(),
            })
            .collect()
    }

    /// The issuer of this service.
    #[napi(getter, catch_unwind)]
    pub fn issuer(&self) -> String {
        self.inner.config().issuer.clone()
    }

    /// The namespace of this service's records in its store.
    #[napi(getter, catch_unwind)]
    pub fn service(&self) -> String {
        self.inner.config().service.clone()
    }

    /// Runs an operation by its name in core's JSON dispatch (`'create_factor'` …) with
    /// snake_case JSON arguments and returns the JSON answer (snake_case, RFC 3339 dates):
    /// for hosts that route requests by operation name, e.g. an HTTP API that takes Twilio's
    /// parameter names. The typed methods are the same operations.
    #[napi(ts_args_type = "operation: string, argsJson: string, options?: NowOptions", ts_return_type = "string")]
    pub fn call<'e>(
        &self,
        env: &'e Env,
        operation: Unknown,
        args_json: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let operation = json_call(&operation, &args_json, &options)?;
            let answer = operation.run(&self.inner);
            operation.answer(env, answer)
        })
    }

    /// `call` as a promise, run on the libuv thread pool.
    #[napi(
        ts_args_type = "operation: string, argsJson: string, options?: NowOptions",
        ts_return_type = "Promise<string>"
    )]
    pub fn call_async<'e>(
        &self,
        env: &'e Env,
        operation: Unknown,
        args_json: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        self.spawn(env, || json_call(&operation, &args_json, &options))
    }
}

impl Verify {
    /// Starts the operation `prepare` converts the arguments to on the libuv thread pool and
    /// returns its promise; a conversion failure is a rejected promise.
    fn spawn<'e>(&self, env: &'e Env, prepare: impl FnOnce() -> Out<Operation>) -> napi::Result<Unknown<'e>> {
        match catch_unwind(AssertUnwindSafe(prepare)) {
            Ok(Ok(operation)) => {
                let task = OperationTask { verify: Arc::clone(&self.inner), operation };
                Ok(env.spawn(task)?.promise_object().to_unknown())
            }
            Ok(Err(fail)) => rejected(env, rejection(env, fail)),
            Err(panic) => rejected(env, napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
        }
    }
}

/// A promise rejected with `error`.
fn rejected(env: &Env, error: napi::Error) -> napi::Result<Unknown<'_>> {
    Ok(PromiseRaw::<Unknown>::reject(env, error)?.to_unknown())
}

/// The arguments of `call`: the operation's name and its JSON text.
fn json_call(operation: &Unknown, args_json: &Unknown, options: &Unknown) -> Out<Operation> {
    let name = args::string(operation, "operation")?;
    let args_json = args::string(args_json, "argsJson")?;
    let mut call = Call::new().options(options, ONLY_NOW)?;
    call.args.insert("args_json".to_string(), Value::String(args_json));
    Ok(call.operation(&name, Shape::Json))
}

/// The service configuration of `new Verify(settings)`, with the names of the settings given
/// as numbers.
fn config_of(settings: &Unknown) -> Out<(ServiceConfig, Vec<&'static str>)> {
    if settings.get_type()? != ValueType::Object || settings.is_array()? {
        return Err(type_error("settings", "an object with at least an issuer", settings));
    }
    // SAFETY: checked to be an object.
    let object = unsafe { settings.cast::<Object>()? };
    let mut map = Map::new();
    let mut numeric = Vec::new();
    for key in args::keys(&object)? {
        let value: Unknown = object.get_named_property_unchecked(&key)?;
        let name = format!("settings.{key}");
        let json_name = snake(&key);
        if value.get_type()? == ValueType::Undefined {
            continue;
        }
        let converted = if let Some(parameter) = STRING_SETTINGS.iter().find(|s| **s == json_name) {
            Value::String(args::string(&value, &name).map_err(|fail| fail.about(parameter))?)
        } else if let Some(setting) = numeric_setting(&json_name) {
            numeric.push(setting.name);
            let number = args::integer(&value, &name, MAX_SAFE_INTEGER).map_err(|fail| fail.about(setting.name))?;
            Value::from(number as u64)
        } else {
            let known: Vec<String> =
                STRING_SETTINGS.iter().map(|s| s.to_string()).chain(all_settings().map(|s| camel(s.name))).collect();
            return Err(Fail::Type(format!(
                "settings has an unknown setting {key:?}; the settings are: {}",
                known.join(", ")
            )));
        };
        map.insert(json_name, converted);
    }
    let config = ServiceConfig::from_map(&map).map_err(|error| core_fail(error, &numeric))?;
    Ok((config, numeric))
}

/// The settings that are strings.
const STRING_SETTINGS: [&str; 4] = ["issuer", "store", "service", "alg"];

/// `Verify.open`: opens the store on the libuv thread pool.
struct OpenTask {
    config: Option<ServiceConfig>,
    numeric: Vec<&'static str>,
}

impl<'env> ScopedTask<'env> for OpenTask {
    /// The service, or the message of a panic.
    type Output = Result<Result<CoreVerify<AnyStore>, Error>, String>;
    type JsValue = Verify;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let config = self.config.take();
        let open = AssertUnwindSafe(|| match config {
            Some(config) => watchword_store::service(config),
            None => Err(Error::storage("the service was opened already")),
        });
        Ok(catch_unwind(open).map_err(|panic| panic_message(&*panic)))
    }

    fn resolve(&mut self, env: &'env Env, output: Self::Output) -> napi::Result<Verify> {
        match output.map_err(|message| napi::Error::new(Status::GenericFailure, message))? {
            Ok(inner) => Ok(Verify { inner: Arc::new(inner) }),
            Err(error) => Err(rejection(env, core_fail(error, &self.numeric))),
        }
    }
}

operation! {
    #[doc = " Creates the entity for `identity` (8–64 characters of dash-separated letters and"]
    #[doc = " digits). Creating a factor creates its entity too."]
    create_entity, create_entity_async(identity, options) => "create_entity" as View,
    args = "identity: string, options?: NowOptions", returns = "EntityInstance",
    promise = "Promise<EntityInstance>",
    |call| call.string("identity", "identity", &identity)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " The entity for `identity`."]
    fetch_entity, fetch_entity_async(identity, options) => "fetch_entity" as View,
    args = "identity: string, options?: NowOptions", returns = "EntityInstance",
    promise = "Promise<EntityInstance>",
    |call| call.string("identity", "identity", &identity)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " A page of the service's entities, oldest first: at most `limit` (1–1000, default 50),"]
    #[doc = " after the page whose `nextPageToken` is `pageToken`."]
    list_entities, list_entities_async(options) => "list_entities" as Page,
    args = "options?: ListOptions", returns = "Page<EntityInstance>",
    promise = "Promise<Page<EntityInstance>>",
    |call| call.options(&options, LIST)
}

operation! {
    #[doc = " Deletes the entity with its factors and challenges."]
    delete_entity, delete_entity_async(identity, options) => "delete_entity" as Void,
    args = "identity: string, options?: NowOptions", returns = "void", promise = "Promise<void>",
    |call| call.string("identity", "identity", &identity)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Creates an unverified TOTP factor (and the entity if it is new). The answer alone"]
    #[doc = " carries `binding: { secret, uri }`; no later read shows the secret."]
    create_factor, create_factor_async(identity, friendly_name, options) => "create_factor" as Created,
    args = "identity: string, friendlyName: string, options?: CreateFactorOptions",
    returns = "FactorInstance & { binding: FactorBinding & BindingQr }",
    promise = "Promise<FactorInstance & { binding: FactorBinding & BindingQr }>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("friendly_name", "friendlyName", &friendly_name)?
        .options(&options, CREATE_FACTOR)
}

operation! {
    #[doc = " The factor (without its secret)."]
    fetch_factor, fetch_factor_async(identity, factor_sid, options) => "fetch_factor" as View,
    args = "identity: string, factorSid: string, options?: NowOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("factor_sid", "factorSid", &factor_sid)?
        .options(&options, ONLY_NOW)
}

operation! {
    #[doc = " A page of the entity's factors, oldest first (`limit` and `pageToken` as for"]
    #[doc = " `listEntities`)."]
    list_factors, list_factors_async(identity, options) => "list_factors" as Page,
    args = "identity: string, options?: ListOptions", returns = "Page<FactorInstance>",
    promise = "Promise<Page<FactorInstance>>",
    |call| call.string("identity", "identity", &identity)?.options(&options, LIST)
}

operation! {
    #[doc = " Changes a factor's name, TOTP settings or metadata."]
    update_factor, update_factor_async(identity, factor_sid, options) => "update_factor" as View,
    args = "identity: string, factorSid: string, options?: UpdateFactorOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("factor_sid", "factorSid", &factor_sid)?
        .options(&options, UPDATE_FACTOR)
}

operation! {
    #[doc = " Verifies an unverified factor with a code from the app. A wrong code is a `result`"]
    #[doc = " (`'invalid_code'`, `'replayed'`, `'outside_window'`), never an error."]
    verify_factor, verify_factor_async(identity, factor_sid, code, options) => "verify_factor" as View,
    args = "identity: string, factorSid: string, code: string, options?: NowOptions",
    returns = "FactorInstance & { result: VerificationResult; resultOffset: number | null }",
    promise = "Promise<FactorInstance & { result: VerificationResult; resultOffset: number | null }>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("factor_sid", "factorSid", &factor_sid)?
        .string("code", "code", &code)?
        .options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Deletes the factor with its challenges."]
    delete_factor, delete_factor_async(identity, factor_sid, options) => "delete_factor" as Void,
    args = "identity: string, factorSid: string, options?: NowOptions", returns = "void",
    promise = "Promise<void>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("factor_sid", "factorSid", &factor_sid)?
        .options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Lifts a factor's lockout and resets its failure count."]
    unlock_factor, unlock_factor_async(identity, factor_sid, options) => "unlock_factor" as View,
    args = "identity: string, factorSid: string, options?: NowOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("factor_sid", "factorSid", &factor_sid)?
        .options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Creates a challenge for a verified factor: `pending`, or answered at once when"]
    #[doc = " `authPayload` is given (then the answer has a `result`)."]
    create_challenge, create_challenge_async(identity, factor_sid, options) => "create_challenge" as View,
    args = "identity: string, factorSid: string, options?: CreateChallengeOptions",
    returns = "ChallengeInstance", promise = "Promise<ChallengeInstance>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("factor_sid", "factorSid", &factor_sid)?
        .options(&options, CREATE_CHALLENGE)
}

operation! {
    #[doc = " Answers a pending challenge with a code. A wrong code is a `result`, never an error."]
    update_challenge, update_challenge_async(identity, challenge_sid, auth_payload, options)
        => "update_challenge" as View,
    args = "identity: string, challengeSid: string, authPayload: string, options?: UpdateChallengeOptions",
    returns = "ChallengeInstance & { result: VerificationResult; resultOffset: number | null }",
    promise = "Promise<ChallengeInstance & { result: VerificationResult; resultOffset: number | null }>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("challenge_sid", "challengeSid", &challenge_sid)?
        .string("auth_payload", "authPayload", &auth_payload)?
        .options(&options, UPDATE_CHALLENGE)
}

operation! {
    #[doc = " The challenge (its status as of `now`: a pending one past its expiration reads"]
    #[doc = " `'expired'`)."]
    fetch_challenge, fetch_challenge_async(identity, challenge_sid, options) => "fetch_challenge" as View,
    args = "identity: string, challengeSid: string, options?: NowOptions", returns = "ChallengeInstance",
    promise = "Promise<ChallengeInstance>",
    |call| call
        .string("identity", "identity", &identity)?
        .string("challenge_sid", "challengeSid", &challenge_sid)?
        .options(&options, ONLY_NOW)
}

operation! {
    #[doc = " A page of the entity's challenges, optionally of one factor or in one status, oldest"]
    #[doc = " first (`order: 'desc'` for newest first); `limit` and `pageToken` as for `listEntities`."]
    list_challenges, list_challenges_async(identity, options) => "list_challenges" as Page,
    args = "identity: string, options?: ListChallengesOptions", returns = "Page<ChallengeInstance>",
    promise = "Promise<Page<ChallengeInstance>>",
    |call| call.string("identity", "identity", &identity)?.options(&options, LIST_CHALLENGES)
}

operation! {
    #[doc = " Removes the unverified factors past their lifetime and the challenges answered or"]
    #[doc = " expired more than `challengeRetentionDays` ago; returns how many records it removed."]
    sweep, sweep_async(options) => "sweep" as Count,
    args = "options?: NowOptions", returns = "number", promise = "Promise<number>",
    |call| call.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " The stored record of an entity (versioned JSON text) for a host's own database."]
    export_entity, export_entity_async(identity, options) => "export_entity" as Record,
    args = "identity: string, options?: NowOptions", returns = "string", promise = "Promise<string>",
    |call| call.string("identity", "identity", &identity)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " The stored record of a factor (versioned JSON text, with its secret) for a host's own"]
    #[doc = " database. Keep it as secret as the secret itself."]
    export_factor, export_factor_async(factor_sid, options) => "export_factor" as Record,
    args = "factorSid: string, options?: NowOptions", returns = "string", promise = "Promise<string>",
    |call| call.string("factor_sid", "factorSid", &factor_sid)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " The stored record of a challenge (versioned JSON text)."]
    export_challenge, export_challenge_async(challenge_sid, options) => "export_challenge" as Record,
    args = "challengeSid: string, options?: NowOptions", returns = "string", promise = "Promise<string>",
    |call| call.string("challenge_sid", "challengeSid", &challenge_sid)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Puts an exported entity record (back) into this service; returns its view."]
    import_entity, import_entity_async(record, options) => "import_entity" as View,
    args = "record: string, options?: NowOptions", returns = "EntityInstance",
    promise = "Promise<EntityInstance>",
    |call| call.string("record", "record", &record)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Puts an exported factor record (back) into this service; returns its view."]
    import_factor, import_factor_async(record, options) => "import_factor" as View,
    args = "record: string, options?: NowOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",
    |call| call.string("record", "record", &record)?.options(&options, ONLY_NOW)
}

operation! {
    #[doc = " Puts an exported challenge record (back) into this service; returns its view."]
    import_challenge, import_challenge_async(record, options) => "import_challenge" as View,
    args = "record: string, options?: NowOptions", returns = "ChallengeInstance",
    promise = "Promise<ChallengeInstance>",
    |call| call.string("record", "record", &record)?.options(&options, ONLY_NOW)
}

/// Every numeric setting of core.
fn all_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().chain(std::iter::once(&MIN_SECRET_BYTES))
}

fn numeric_setting(name: &str) -> Option<&'static Setting> {
    all_settings().find(|s| s.name == name)
}

/// A core error; a range error about an argument that was given as a number is a `RangeError`.
fn core_fail(error: Error, numeric: &[&str]) -> Fail {
    let about_number = match &error {
        Error::InvalidParameter(Invalid::Parameter { name, .. }) => {
            let name = name.strip_prefix("config.").unwrap_or(name);
            numeric.contains(&name)
        }
        _ => false,
    };
    match Fail::from(error) {
        Fail::Core { error, numeric } => Fail::Core { error, numeric: numeric || about_number },
        other => other,
    }
}
