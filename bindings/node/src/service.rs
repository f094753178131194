//! `Verify`: the Entity → Factor → Challenge service of core over its in-memory store.
//!
//! Every method converts its arguments (camelCase options, `Date`s) to the JSON arguments of
//! core's dispatch, runs the operation there and converts the answer back (camelCase keys,
//! `Date`s). No rule of behaviour lives here.

use std::ffi::CStr;

use napi::bindgen_prelude::{JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, ValueType};
use napi_derive::napi;
use serde_json::{Map, Value};
use watchword_core::service::{
    unix_now, MemoryStore, ServiceConfig, Setting, Verify as CoreVerify, MIN_SECRET_BYTES, SETTINGS,
};
use watchword_core::{base32, Error, Invalid};

use crate::args::{self, type_error, MAX_SAFE_INTEGER};
use crate::error::{boundary, Fail, Out};
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
const LIST_CHALLENGES: &[Opt] = &[
    Opt(c"factorSid", "factor_sid", Kind::Str),
    Opt(c"status", "status", Kind::Str),
    Opt(c"order", "order", Kind::Str),
    NOW,
];
const ONLY_NOW: &[Opt] = &[NOW];

/// The verification service (Twilio Verify's Entity → Factor → Challenge API with Okta's
/// verification results) over an in-memory store. Hosts that keep their own database move
/// records in and out with `exportFactor`/`importFactor` (and the entity and challenge
/// equivalents).
///
/// ```js
/// const verify = new Verify({ issuer: 'Acme' })
/// const factor = verify.createFactor('user-0001', 'phone')
/// // show factor.binding.uri as a QR code, then:
/// verify.verifyFactor('user-0001', factor.sid, codeFromTheApp).result  // 'approved'
/// ```
#[napi]
pub struct Verify {
    inner: CoreVerify<MemoryStore>,
}

#[napi]
impl Verify {
    /// A service with the given settings (see `Verify.settings()` for every numeric one).
    #[napi(constructor, ts_args_type = "settings: VerifySettings")]
    pub fn new(env: Env, settings: Unknown) -> napi::Result<Verify> {
        boundary(&env, || {
            if settings.get_type()? != ValueType::Object || settings.is_array()? {
                return Err(type_error("settings", "an object with at least an issuer", &settings));
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
                let converted = if json_name == "issuer" || json_name == "alg" {
                    let parameter = if json_name == "issuer" { "issuer" } else { "alg" };
                    Value::String(args::string(&value, &name).map_err(|fail| fail.about(parameter))?)
                } else if let Some(setting) = numeric_setting(&json_name) {
                    numeric.push(setting.name);
                    let number =
                        args::integer(&value, &name, MAX_SAFE_INTEGER).map_err(|fail| fail.about(setting.name))?;
                    Value::from(number as u64)
                } else {
                    let known: Vec<String> = ["issuer", "alg"]
                        .into_iter()
                        .map(String::from)
                        .chain(all_settings().map(|s| camel(s.name)))
                        .collect();
                    return Err(Fail::Type(format!(
                        "settings has an unknown setting {key:?}; the settings are: {}",
                        known.join(", ")
                    )));
                };
                map.insert(json_name, converted);
            }
            let config = ServiceConfig::from_map(&map).map_err(|error| core_fail(error, &numeric))?;
            Ok(Verify { inner: CoreVerify::new(config, MemoryStore::new()) })
        })
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

    /// Creates the entity for `identity` (8–64 characters of dash-separated letters and
    /// digits). Creating a factor creates its entity too.
    #[napi(ts_args_type = "identity: string, options?: NowOptions", ts_return_type = "EntityInstance")]
    pub fn create_entity<'e>(&self, env: &'e Env, identity: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("identity", "identity", &identity)?.options(&options, ONLY_NOW)?;
            self.run(env, "create_entity", call)
        })
    }

    /// The entity for `identity`.
    #[napi(ts_args_type = "identity: string, options?: NowOptions", ts_return_type = "EntityInstance")]
    pub fn fetch_entity<'e>(&self, env: &'e Env, identity: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("identity", "identity", &identity)?.options(&options, ONLY_NOW)?;
            self.run(env, "fetch_entity", call)
        })
    }

    /// Every entity.
    #[napi(ts_args_type = "options?: NowOptions", ts_return_type = "EntityInstance[]")]
    pub fn list_entities<'e>(&self, env: &'e Env, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().options(&options, ONLY_NOW)?;
            self.run(env, "list_entities", call)
        })
    }

    /// Deletes the entity with its factors and challenges.
    #[napi(ts_args_type = "identity: string, options?: NowOptions", ts_return_type = "void")]
    pub fn delete_entity(&self, env: &Env, identity: Unknown, options: Unknown) -> napi::Result<()> {
        boundary(env, || {
            let call = Call::new().string("identity", "identity", &identity)?.options(&options, ONLY_NOW)?;
            self.run_void("delete_entity", call)
        })
    }

    /// Creates an unverified TOTP factor (and the entity if it is new). The answer alone
    /// carries `binding: { secret, uri }`; no later read shows the secret.
    #[napi(
        ts_args_type = "identity: string, friendlyName: string, options?: CreateFactorOptions",
        ts_return_type = "FactorInstance & { binding: FactorBinding & BindingQr }"
    )]
    pub fn create_factor<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        friendly_name: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("friendly_name", "friendlyName", &friendly_name)?
                .options(&options, CREATE_FACTOR)?;
            let answer = self.run(env, "create_factor", call)?;
            crate::uri::add_qr_methods(env, &answer)?;
            Ok(answer)
        })
    }

    /// The factor (without its secret).
    #[napi(
        ts_args_type = "identity: string, factorSid: string, options?: NowOptions",
        ts_return_type = "FactorInstance"
    )]
    pub fn fetch_factor<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        factor_sid: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("factor_sid", "factorSid", &factor_sid)?
                .options(&options, ONLY_NOW)?;
            self.run(env, "fetch_factor", call)
        })
    }

    /// The entity's factors.
    #[napi(ts_args_type = "identity: string, options?: NowOptions", ts_return_type = "FactorInstance[]")]
    pub fn list_factors<'e>(&self, env: &'e Env, identity: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("identity", "identity", &identity)?.options(&options, ONLY_NOW)?;
            self.run(env, "list_factors", call)
        })
    }

    /// Changes a factor's name, TOTP settings or metadata.
    #[napi(
        ts_args_type = "identity: string, factorSid: string, options?: UpdateFactorOptions",
        ts_return_type = "FactorInstance"
    )]
    pub fn update_factor<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        factor_sid: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("factor_sid", "factorSid", &factor_sid)?
                .options(&options, UPDATE_FACTOR)?;
            self.run(env, "update_factor", call)
        })
    }

    /// Verifies an unverified factor with a code from the app. A wrong code is a `result`
    /// (`'invalid_code'`, `'replayed'`, `'outside_window'`), never an error.
    #[napi(
        ts_args_type = "identity: string, factorSid: string, code: string, options?: NowOptions",
        ts_return_type = "FactorInstance & { result: VerificationResult; resultOffset: number | null }"
    )]
    pub fn verify_factor<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        factor_sid: Unknown,
        code: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("factor_sid", "factorSid", &factor_sid)?
                .string("code", "code", &code)?
                .options(&options, ONLY_NOW)?;
            self.run(env, "verify_factor", call)
        })
    }

    /// Deletes the factor with its challenges.
    #[napi(ts_args_type = "identity: string, factorSid: string, options?: NowOptions", ts_return_type = "void")]
    pub fn delete_factor(
        &self,
        env: &Env,
        identity: Unknown,
        factor_sid: Unknown,
        options: Unknown,
    ) -> napi::Result<()> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("factor_sid", "factorSid", &factor_sid)?
                .options(&options, ONLY_NOW)?;
            self.run_void("delete_factor", call)
        })
    }

    /// Lifts a factor's lockout and resets its failure count.
    #[napi(
        ts_args_type = "identity: string, factorSid: string, options?: NowOptions",
        ts_return_type = "FactorInstance"
    )]
    pub fn unlock_factor<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        factor_sid: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("factor_sid", "factorSid", &factor_sid)?
                .options(&options, ONLY_NOW)?;
            self.run(env, "unlock_factor", call)
        })
    }

    /// Creates a challenge for a verified factor: `pending`, or answered at once when
    /// `authPayload` is given (then the answer has a `result`).
    #[napi(
        ts_args_type = "identity: string, factorSid: string, options?: CreateChallengeOptions",
        ts_return_type = "ChallengeInstance"
    )]
    pub fn create_challenge<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        factor_sid: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("factor_sid", "factorSid", &factor_sid)?
                .options(&options, CREATE_CHALLENGE)?;
            self.run(env, "create_challenge", call)
        })
    }

    /// Answers a pending challenge with a code. A wrong code is a `result`, never an error.
    #[napi(
        ts_args_type = "identity: string, challengeSid: string, authPayload: string, options?: UpdateChallengeOptions",
        ts_return_type = "ChallengeInstance & { result: VerificationResult; resultOffset: number | null }"
    )]
    pub fn update_challenge<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        challenge_sid: Unknown,
        auth_payload: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("challenge_sid", "challengeSid", &challenge_sid)?
                .string("auth_payload", "authPayload", &auth_payload)?
                .options(&options, UPDATE_CHALLENGE)?;
            self.run(env, "update_challenge", call)
        })
    }

    /// The challenge (its status as of `now`: a pending one past its expiration reads
    /// `'expired'`).
    #[napi(
        ts_args_type = "identity: string, challengeSid: string, options?: NowOptions",
        ts_return_type = "ChallengeInstance"
    )]
    pub fn fetch_challenge<'e>(
        &self,
        env: &'e Env,
        identity: Unknown,
        challenge_sid: Unknown,
        options: Unknown,
    ) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new()
                .string("identity", "identity", &identity)?
                .string("challenge_sid", "challengeSid", &challenge_sid)?
                .options(&options, ONLY_NOW)?;
            self.run(env, "fetch_challenge", call)
        })
    }

    /// The entity's challenges, optionally of one factor or in one status, oldest first
    /// (`order: 'desc'` for newest first).
    #[napi(ts_args_type = "identity: string, options?: ListChallengesOptions", ts_return_type = "ChallengeInstance[]")]
    pub fn list_challenges<'e>(&self, env: &'e Env, identity: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("identity", "identity", &identity)?.options(&options, LIST_CHALLENGES)?;
            self.run(env, "list_challenges", call)
        })
    }

    /// Removes the unverified factors past their lifetime; returns how many.
    #[napi(ts_args_type = "options?: NowOptions")]
    pub fn sweep(&self, env: &Env, options: Unknown) -> napi::Result<f64> {
        boundary(env, || {
            let call = Call::new().options(&options, ONLY_NOW)?;
            let now = call.now.unwrap_or_else(unix_now);
            let out = self.dispatch("sweep", call.args, now, &call.numeric)?;
            Ok(out.as_f64().unwrap_or(0.0))
        })
    }

    /// The stored record of an entity (versioned JSON text) for a host's own database.
    #[napi(ts_args_type = "identity: string, options?: NowOptions")]
    pub fn export_entity(&self, env: &Env, identity: Unknown, options: Unknown) -> napi::Result<String> {
        boundary(env, || {
            let call = Call::new().string("identity", "identity", &identity)?.options(&options, ONLY_NOW)?;
            self.export("export_entity", call)
        })
    }

    /// The stored record of a factor (versioned JSON text, with its secret) for a host's own
    /// database. Keep it as secret as the secret itself.
    #[napi(ts_args_type = "factorSid: string, options?: NowOptions")]
    pub fn export_factor(&self, env: &Env, factor_sid: Unknown, options: Unknown) -> napi::Result<String> {
        boundary(env, || {
            let call = Call::new().string("factor_sid", "factorSid", &factor_sid)?.options(&options, ONLY_NOW)?;
            self.export("export_factor", call)
        })
    }

    /// The stored record of a challenge (versioned JSON text).
    #[napi(ts_args_type = "challengeSid: string, options?: NowOptions")]
    pub fn export_challenge(&self, env: &Env, challenge_sid: Unknown, options: Unknown) -> napi::Result<String> {
        boundary(env, || {
            let call =
                Call::new().string("challenge_sid", "challengeSid", &challenge_sid)?.options(&options, ONLY_NOW)?;
            self.export("export_challenge", call)
        })
    }

    /// Puts an exported entity record (back) into this service; returns its view.
    #[napi(ts_args_type = "record: string, options?: NowOptions", ts_return_type = "EntityInstance")]
    pub fn import_entity<'e>(&self, env: &'e Env, record: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("record", "record", &record)?.options(&options, ONLY_NOW)?;
            self.run(env, "import_entity", call)
        })
    }

    /// Puts an exported factor record (back) into this service; returns its view.
    #[napi(ts_args_type = "record: string, options?: NowOptions", ts_return_type = "FactorInstance")]
    pub fn import_factor<'e>(&self, env: &'e Env, record: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("record", "record", &record)?.options(&options, ONLY_NOW)?;
            self.run(env, "import_factor", call)
        })
    }

    /// Puts an exported challenge record (back) into this service; returns its view.
    #[napi(ts_args_type = "record: string, options?: NowOptions", ts_return_type = "ChallengeInstance")]
    pub fn import_challenge<'e>(&self, env: &'e Env, record: Unknown, options: Unknown) -> napi::Result<Unknown<'e>> {
        boundary(env, || {
            let call = Call::new().string("record", "record", &record)?.options(&options, ONLY_NOW)?;
            self.run(env, "import_challenge", call)
        })
    }

    /// Runs an operation by its name in core's JSON dispatch (`'create_factor'` …) with
    /// snake_case JSON arguments and returns the JSON answer (snake_case, RFC 3339 dates):
    /// for hosts that route requests by operation name, e.g. an HTTP API that takes Twilio's
    /// parameter names. The typed methods are the same operations.
    #[napi(ts_args_type = "operation: string, argsJson: string, options?: NowOptions")]
    pub fn call(&self, env: &Env, operation: Unknown, args_json: Unknown, options: Unknown) -> napi::Result<String> {
        boundary(env, || {
            let operation = args::string(&operation, "operation")?;
            let args_json = args::string(&args_json, "argsJson")?;
            let call = Call::new().options(&options, ONLY_NOW)?;
            let now = call.now.unwrap_or_else(unix_now);
            Ok(self.inner.call(&operation, &args_json, now)?)
        })
    }
}

impl Verify {
    fn dispatch(&self, op: &str, args: Map<String, Value>, now: u64, numeric: &[&str]) -> Out<Value> {
        self.inner.dispatch(op, &Value::Object(args), now).map_err(|error| core_fail(error, numeric))
    }

    fn run<'e>(&self, env: &'e Env, op: &str, call: Call) -> Out<Unknown<'e>> {
        let now = call.now.unwrap_or_else(unix_now);
        let out = self.dispatch(op, call.args, now, &call.numeric)?;
        Ok(json::to_js(env, &out)?)
    }

    fn run_void(&self, op: &str, call: Call) -> Out<()> {
        let now = call.now.unwrap_or_else(unix_now);
        self.dispatch(op, call.args, now, &call.numeric)?;
        Ok(())
    }

    fn export(&self, op: &str, call: Call) -> Out<String> {
        let now = call.now.unwrap_or_else(unix_now);
        match self.dispatch(op, call.args, now, &call.numeric)? {
            Value::String(record) => Ok(record),
            other => Ok(other.to_string()),
        }
    }
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
