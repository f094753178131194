//! What the service answers, as JavaScript objects built straight from core's records: the
//! structs below are what the methods return, so `index.d.ts` is generated from them. Field
//! names are camelCase (napi-rs converts them), times are `Date`s, and a field core leaves
//! unset reads `null` — except `binding`, `result` and `resultOffset`, which are only present
//! in the answers that carry them.
//!
//! The entity, factor and challenge objects are assembled by small JavaScript functions
//! ([`BUILDERS_SOURCE`]) that take every value from the struct, in field order: an object
//! literal costs a fraction of defining its properties one by one through N-API. Each
//! conversion takes its struct apart field by field, so a field added to a struct and not
//! passed on does not compile (an unused binding is an error under clippy), and a test checks
//! the objects' keys against `index.d.ts`.

use crate::instance::Instance;
use napi::bindgen_prelude::{JsObjectValue, Null, Object, ToNapiValue, Undefined};
use napi::sys::{self, napi_env, napi_value};
use napi::{Env, JsValue, Property, PropertyAttributes};
use napi_derive::napi;
use watchword_core::service::{
    Challenge, Created, Details, Entity, Factor, Identity, Metadata, Page, Sid, Verification,
};

/// The functions that assemble the answers' objects from their values, in the order of
/// [`Builder`], then the array of core's words they read; each takes its struct's fields in
/// order (a factor's `config` as its values and its recovery-code counts) and turns Unix seconds
/// into `Date`s. Core's words (statuses, types, algorithms, results) come as one number: up to
/// four indexes of 8 bits into the words, each plus one (0 for none), as [`words`] packs them.
pub(crate) const BUILDERS_SOURCE: &str = r#"(() => {
  const words = []
  const word = (packed, i) => {
    const n = (packed >>> (8 * i)) & 255
    return n === 0 ? undefined : words[n - 1]
  }
  const date = (seconds) => new Date(seconds * 1000)
  const entity = (sid, identity, dateCreated, dateUpdated) =>
    ({ sid, identity, dateCreated: date(dateCreated), dateUpdated: date(dateUpdated) })
  const factor = (sid, entitySid, identity, friendlyName, named, codeLength, timeStep, skew,
    count, remaining, metadata, dateCreated, dateUpdated, binding, resultOffset) => {
    const alg = word(named, 2)
    const config = count === undefined ? { alg, codeLength, timeStep, skew } : { alg, codeLength, timeStep, skew, count, remaining }
    const view = {
      sid, entitySid, identity, friendlyName, status: word(named, 0), factorType: word(named, 1), config,
      metadata, dateCreated: date(dateCreated), dateUpdated: date(dateUpdated),
    }
    if (binding !== undefined) view.binding = binding
    const result = word(named, 3)
    if (result !== undefined) {
      view.result = result
      view.resultOffset = resultOffset
    }
    return view
  }
  const challenge = (sid, entitySid, identity, factorSid, named, dateCreated,
    dateUpdated, dateResponded, expirationDate, details, hiddenDetails, metadata, resultOffset) => {
    const view = {
      sid, entitySid, identity, factorSid, status: word(named, 0), respondedReason: word(named, 1),
      factorType: word(named, 2),
      dateCreated: date(dateCreated), dateUpdated: date(dateUpdated),
      dateResponded: dateResponded === null ? null : date(dateResponded), expirationDate: date(expirationDate),
      details, hiddenDetails, metadata,
    }
    const result = word(named, 3)
    if (result !== undefined) {
      view.result = result
      view.resultOffset = resultOffset
    }
    return view
  }
  // A challenge without details, hidden details or metadata, from its sids and identity in one
  // string and its other values in `scratch` (see `ChallengeInstance::compact`).
  const scratch = new Float64Array(new ArrayBuffer(64))
  const compactChallenge = (ids, n) => {
    n[0] = 0
    const named = n[1], dateResponded = n[4], resultOffset = n[6]
    const view = {
      sid: ids.slice(0, 34), entitySid: ids.slice(34, 68), identity: ids.slice(102), factorSid: ids.slice(68, 102),
      status: word(named, 0), respondedReason: word(named, 1), factorType: word(named, 2),
      dateCreated: date(n[2]), dateUpdated: date(n[3]),
      dateResponded: Number.isNaN(dateResponded) ? null : date(dateResponded), expirationDate: date(n[5]),
      details: null, hiddenDetails: null, metadata: null,
    }
    const result = word(named, 3)
    if (result !== undefined) {
      view.result = result
      view.resultOffset = Number.isNaN(resultOffset) ? null : resultOffset
    }
    return view
  }
  return [entity, factor, challenge, compactChallenge, words, scratch]
})()"#;

/// The builders of [`BUILDERS_SOURCE`].
#[derive(Clone, Copy)]
pub(crate) enum Builder {
    Entity = 0,
    Factor = 1,
    Challenge = 2,
    /// `compactChallenge`, which the methods call themselves ([`ChallengeInstance::compact`]).
    CompactChallenge = 3,
}

/// This environment's references: the builders and core's words.
fn instance(env: napi_env) -> napi::Result<&'static Instance> {
    crate::instance::get(&Env::from_raw(env))
}

/// Up to four of core's words (statuses, types, algorithms, results) as the one number the
/// builders read them from: the index of each in this environment's words plus one, 8 bits each,
/// 0 for none.
fn words(env: napi_env, instance: &Instance, words: [Option<&'static str>; 4]) -> napi::Result<napi_value> {
    let packed = packed_words(env, instance, words)?;
    // SAFETY: made in the caller's environment.
    unsafe { u32::to_napi_value(env, packed) }
}

/// The number of [`words`].
fn packed_words(env: napi_env, instance: &Instance, words: [Option<&'static str>; 4]) -> napi::Result<u32> {
    let wrapper = Env::from_raw(env);
    let mut packed = 0u32;
    for (i, text) in words.into_iter().enumerate() {
        if let Some(text) = text {
            packed |= instance.word(&wrapper, text)? << (8 * i);
        }
    }
    Ok(packed)
}

/// Calls a builder with the values of one object.
unsafe fn build(env: napi_env, instance: &Instance, builder: Builder, args: &[napi_value]) -> napi::Result<napi_value> {
    let wrapper = Env::from_raw(env);
    let function = instance.builders[builder as usize].get_value(&wrapper)?.raw();
    let mut raw = std::ptr::null_mut();
    // SAFETY: `function` is a function of this environment and `args` values of it.
    check(unsafe { sys::napi_call_function(env, function, function, args.len(), args.as_ptr(), &mut raw) })?;
    Ok(raw)
}

/// Unix seconds, given to JavaScript as a `Date`.
pub struct Time(pub u64);

/// Seconds as a number (the builders make the `Date`).
unsafe fn seconds(env: napi_env, time: Time) -> napi::Result<napi_value> {
    // SAFETY: handed on with the caller's environment.
    unsafe { f64::to_napi_value(env, time.0 as f64) }
}

/// Text that is ASCII (sids, the words of statuses and algorithms), without UTF-8 decoding.
unsafe fn ascii(env: napi_env, text: &str) -> napi::Result<napi_value> {
    let mut raw = std::ptr::null_mut();
    // SAFETY: `text` is valid for its length; ASCII reads the same as Latin-1.
    check(unsafe { sys::napi_create_string_latin1(env, text.as_ptr().cast(), text.len() as isize, &mut raw) })?;
    Ok(raw)
}

/// An optional value: `undefined` when absent.
unsafe fn present<T: ToNapiValue>(env: napi_env, value: Option<T>) -> napi::Result<napi_value> {
    // SAFETY: handed on with the caller's environment.
    unsafe {
        match value {
            Some(value) => T::to_napi_value(env, value),
            None => Undefined::to_napi_value(env, ()),
        }
    }
}

/// A value that reads `null` when core has none.
pub struct Nullable<T>(pub Option<T>);

impl<T: ToNapiValue> ToNapiValue for Nullable<T> {
    unsafe fn to_napi_value(env: napi_env, value: Nullable<T>) -> napi::Result<napi_value> {
        // SAFETY: handed on with the caller's environment.
        unsafe {
            match value.0 {
                Some(inner) => T::to_napi_value(env, inner),
                None => Null::to_napi_value(env, Null),
            }
        }
    }
}

/// A caller's map of strings (`metadata`, `hiddenDetails`), its keys as given, in core's order.
pub struct Strings(pub Metadata);

impl ToNapiValue for Strings {
    unsafe fn to_napi_value(env: napi_env, value: Strings) -> napi::Result<napi_value> {
        let env = Env::from_raw(env);
        let mut object = Object::new(&env)?;
        for (key, text) in &value.0 {
            object.set_named_property(key, text.as_str())?;
        }
        Ok(object.raw())
    }
}

fn check(status: napi::sys::napi_status) -> napi::Result<()> {
    if status == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(napi::Status::from(status), "could not create a value"))
    }
}

fn strings(map: &Option<Metadata>) -> Nullable<Strings> {
    Nullable(map.clone().map(Strings))
}

/// An entity: the user a set of factors belongs to.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct EntityInstance {
    /// `YE…`.
    #[napi(ts_type = "string")]
    pub sid: Sid,
    /// The caller's identifier of the user.
    #[napi(ts_type = "string")]
    pub identity: Identity,
    /// Creation time.
    #[napi(ts_type = "Date")]
    pub date_created: Time,
    /// Last change.
    #[napi(ts_type = "Date")]
    pub date_updated: Time,
}

impl From<&Entity> for EntityInstance {
    fn from(e: &Entity) -> EntityInstance {
        EntityInstance {
            sid: e.sid,
            identity: e.identity,
            date_created: Time(e.date_created),
            date_updated: Time(e.date_updated),
        }
    }
}

/// A factor's TOTP settings; a recovery-codes factor adds `count` and `remaining` (and its TOTP
/// settings are unused).
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct FactorConfig {
    /// HMAC hash.
    #[napi(ts_type = "Algorithm")]
    pub alg: &'static str,
    /// Digits per code.
    pub code_length: u32,
    /// Seconds per step.
    pub time_step: u32,
    /// Steps accepted each side.
    pub skew: u32,
    /// Recovery codes in the set (recovery codes only).
    pub count: Option<u32>,
    /// Recovery codes not used yet (recovery codes only).
    pub remaining: Option<u32>,
}

/// The secret of a new factor, shown once, with the QR-code methods of its URI; or the codes of
/// a new set of recovery codes (then `secret` and `uri` are empty).
#[napi(object, object_from_js = false)]
pub struct FactorBinding {
    /// Base32.
    pub secret: String,
    /// The `otpauth://` URI for the authenticator app (a QR code).
    pub uri: String,
    /// The recovery codes, `xxxxx-xxxxx` (recovery codes only).
    pub codes: Option<Vec<String>>,
}

/// A TOTP or recovery-codes factor. `binding` is only in the answer of `createFactor`; `result` and
/// `resultOffset` only after a verification.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct FactorInstance {
    /// `YF…`.
    #[napi(ts_type = "string")]
    pub sid: Sid,
    /// The entity's sid.
    #[napi(ts_type = "string")]
    pub entity_sid: Sid,
    /// The entity's identity.
    #[napi(ts_type = "string")]
    pub identity: Identity,
    /// The name the user gave it.
    pub friendly_name: String,
    /// Verified once a first code was accepted.
    #[napi(ts_type = "'unverified' | 'verified'")]
    pub status: &'static str,
    /// `'totp'` or `'recovery_codes'`.
    #[napi(ts_type = "'totp' | 'recovery_codes'")]
    pub factor_type: &'static str,
    /// TOTP settings, or how many recovery codes remain.
    pub config: FactorConfig,
    /// The caller's own strings.
    #[napi(ts_type = "Record<string, string> | null")]
    pub metadata: Nullable<Strings>,
    /// Creation time.
    #[napi(ts_type = "Date")]
    pub date_created: Time,
    /// Last change.
    #[napi(ts_type = "Date")]
    pub date_updated: Time,
    /// The secret and URI, or the recovery codes (creation answer only, and `updateFactor`
    /// with `regenerate`).
    #[napi(ts_type = "FactorBinding & BindingQr")]
    pub binding: Option<FactorBinding>,
    /// The verification result (after `verifyFactor`).
    #[napi(ts_type = "VerificationResult")]
    pub result: Option<&'static str>,
    /// The matched step minus the current one, or `null` for `'invalid_code'` (with `result`).
    #[napi(ts_type = "number | null")]
    pub result_offset: Option<Nullable<i64>>,
}

impl FactorInstance {
    pub(crate) fn new(f: &Factor, verification: Option<&Verification>) -> FactorInstance {
        let (result, result_offset) = outcome(verification);
        FactorInstance {
            sid: f.sid,
            entity_sid: f.entity_sid,
            identity: f.identity,
            friendly_name: f.friendly_name.clone(),
            status: f.status.as_str(),
            factor_type: f.factor_type(),
            config: FactorConfig {
                alg: f.config.alg.as_str(),
                code_length: f.config.code_length,
                time_step: f.config.time_step as u32,
                skew: f.config.skew,
                count: f.recovery_codes.as_ref().map(|c| c.count()),
                remaining: f.recovery_codes.as_ref().map(|c| c.remaining()),
            },
            metadata: strings(&f.metadata),
            date_created: Time(f.date_created),
            date_updated: Time(f.date_updated),
            binding: None,
            result,
            result_offset,
        }
    }

    pub(crate) fn created(c: &Created) -> FactorInstance {
        let codes = Some(c.binding.codes.clone()).filter(|codes| !codes.is_empty());
        let binding = FactorBinding { secret: c.binding.secret.clone(), uri: c.binding.uri.clone(), codes };
        FactorInstance { binding: Some(binding), ..FactorInstance::new(&c.factor, None) }
    }
}

/// `result` and `resultOffset` of a verification, absent without one.
fn outcome(verification: Option<&Verification>) -> (Option<&'static str>, Option<Nullable<i64>>) {
    match verification {
        Some(v) => (Some(v.result.as_str()), Some(Nullable(v.offset))),
        None => (None, None),
    }
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
#[napi(object, object_from_js = false)]
pub struct ChallengeDetails {
    /// Up to 256 characters.
    pub message: String,
    /// Up to 20 fields.
    pub fields: Vec<ChallengeDetailField>,
}

impl From<&Details> for ChallengeDetails {
    fn from(d: &Details) -> ChallengeDetails {
        ChallengeDetails {
            message: d.message.clone(),
            fields: d
                .fields
                .iter()
                .map(|f| ChallengeDetailField { label: f.label.clone(), value: f.value.clone() })
                .collect(),
        }
    }
}

/// A challenge: one login attempt to approve with a code. `result` and `resultOffset` only
/// when a code was checked.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ChallengeInstance {
    /// `YC…`.
    #[napi(ts_type = "string")]
    pub sid: Sid,
    /// The entity's sid.
    #[napi(ts_type = "string")]
    pub entity_sid: Sid,
    /// The entity's identity.
    #[napi(ts_type = "string")]
    pub identity: Identity,
    /// The factor's sid.
    #[napi(ts_type = "string")]
    pub factor_sid: Sid,
    /// `'pending'`, `'approved'`, `'denied'` or `'expired'` (as of the call's `now`).
    #[napi(ts_type = "ChallengeStatus")]
    pub status: &'static str,
    /// Always `'none'`.
    #[napi(ts_type = "'none'")]
    pub responded_reason: &'static str,
    /// The challenged factor's type: `'totp'` or `'recovery_codes'`.
    #[napi(ts_type = "'totp' | 'recovery_codes'")]
    pub factor_type: &'static str,
    /// Creation time.
    #[napi(ts_type = "Date")]
    pub date_created: Time,
    /// Last change.
    #[napi(ts_type = "Date")]
    pub date_updated: Time,
    /// When it was approved or denied.
    #[napi(ts_type = "Date | null")]
    pub date_responded: Nullable<Time>,
    /// When it expires.
    #[napi(ts_type = "Date")]
    pub expiration_date: Time,
    /// What it shows the user.
    #[napi(ts_type = "ChallengeDetails | null")]
    pub details: Nullable<ChallengeDetails>,
    /// Strings kept with it, never shown.
    #[napi(ts_type = "Record<string, string> | null")]
    pub hidden_details: Nullable<Strings>,
    /// The caller's own strings.
    #[napi(ts_type = "Record<string, string> | null")]
    pub metadata: Nullable<Strings>,
    /// The verification result (when a code was given).
    #[napi(ts_type = "VerificationResult")]
    pub result: Option<&'static str>,
    /// The matched step minus the current one, or `null` for `'invalid_code'` (with `result`).
    #[napi(ts_type = "number | null")]
    pub result_offset: Option<Nullable<i64>>,
}

impl ChallengeInstance {
    /// The challenge as read at `now`.
    pub(crate) fn new(c: &Challenge, verification: Option<&Verification>, now: u64) -> ChallengeInstance {
        let (result, result_offset) = outcome(verification);
        ChallengeInstance {
            sid: c.sid,
            entity_sid: c.entity_sid,
            identity: c.identity,
            factor_sid: c.factor_sid,
            status: c.status_at(now).as_str(),
            responded_reason: c.responded_reason(),
            factor_type: c.factor_type(),
            date_created: Time(c.date_created),
            date_updated: Time(c.date_updated),
            date_responded: Nullable(c.date_responded.map(Time)),
            expiration_date: Time(c.expiration_date),
            details: Nullable(c.details.as_ref().map(ChallengeDetails::from)),
            hidden_details: strings(&c.hidden_details),
            metadata: strings(&c.metadata),
            result,
            result_offset,
        }
    }
}

impl ChallengeInstance {
    /// The challenge for `compactChallenge` (which the synchronous methods call themselves,
    /// sparing a call into JavaScript from here): its sid, entity sid, factor sid and identity in
    /// one string, and its numbers in the environment's scratch array — `[0]` 1 (a compact
    /// challenge waits to be read), `[1]` its words, `[2]`, `[3]` created and updated, `[4]`
    /// responded (NaN: never), `[5]` expires, `[6]` the result's offset (NaN: null). `Err` gives
    /// back a challenge with details, hidden details or metadata, which the builder takes.
    pub(crate) fn compact(self, env: napi_env) -> napi::Result<Result<napi_value, ChallengeInstance>> {
        if self.details.0.is_some() || self.hidden_details.0.is_some() || self.metadata.0.is_some() {
            return Ok(Err(self));
        }
        let instance = instance(env)?;
        // Every field but the three objects, which are null here; a field left out would show
        // as a difference from the builder's object (the tests compare them).
        let c = self;
        let words = [Some(c.status), Some(c.responded_reason), Some(c.factor_type), c.result];
        let named = packed_words(env, instance, words)?;
        let mut text = [0u8; 3 * Sid::LEN + Identity::MAX_LEN];
        let mut end = 0;
        for part in [c.sid.as_str(), c.entity_sid.as_str(), c.factor_sid.as_str(), c.identity.as_str()] {
            text[end..end + part.len()].copy_from_slice(part.as_bytes());
            end += part.len();
        }
        // SAFETY: ASCII, as every sid and identity is.
        let ids = unsafe { ascii(env, std::str::from_utf8(&text[..end]).unwrap_or_default())? };
        let offset = c.result_offset.and_then(|offset| offset.0).map_or(f64::NAN, |offset| offset as f64);
        let responded = c.date_responded.0.map_or(f64::NAN, |time| time.0 as f64);
        instance.write_scratch([
            1.0,
            f64::from(named),
            c.date_created.0 as f64,
            c.date_updated.0 as f64,
            responded,
            c.expiration_date.0 as f64,
            offset,
        ]);
        Ok(Ok(ids))
    }
}

impl ToNapiValue for EntityInstance {
    unsafe fn to_napi_value(env: napi_env, value: EntityInstance) -> napi::Result<napi_value> {
        let EntityInstance { sid, identity, date_created, date_updated } = value;
        let instance = instance(env)?;
        // SAFETY (all below): handed on with the caller's environment.
        unsafe {
            let args = [
                ascii(env, sid.as_str())?,
                <&str>::to_napi_value(env, identity.as_str())?,
                seconds(env, date_created)?,
                seconds(env, date_updated)?,
            ];
            build(env, instance, Builder::Entity, &args)
        }
    }
}

impl ToNapiValue for FactorInstance {
    unsafe fn to_napi_value(env: napi_env, value: FactorInstance) -> napi::Result<napi_value> {
        let FactorInstance {
            sid,
            entity_sid,
            identity,
            friendly_name,
            status,
            factor_type,
            config: FactorConfig { alg, code_length, time_step, skew, count, remaining },
            metadata,
            date_created,
            date_updated,
            binding,
            result,
            result_offset,
        } = value;
        let instance = instance(env)?;
        // SAFETY (all below): handed on with the caller's environment.
        unsafe {
            let args = [
                ascii(env, sid.as_str())?,
                ascii(env, entity_sid.as_str())?,
                <&str>::to_napi_value(env, identity.as_str())?,
                String::to_napi_value(env, friendly_name)?,
                words(env, instance, [Some(status), Some(factor_type), Some(alg), result])?,
                u32::to_napi_value(env, code_length)?,
                u32::to_napi_value(env, time_step)?,
                u32::to_napi_value(env, skew)?,
                present(env, count)?,
                present(env, remaining)?,
                Nullable::to_napi_value(env, metadata)?,
                seconds(env, date_created)?,
                seconds(env, date_updated)?,
                present(env, binding)?,
                present(env, result_offset)?,
            ];
            build(env, instance, Builder::Factor, &args)
        }
    }
}

impl ToNapiValue for ChallengeInstance {
    unsafe fn to_napi_value(env: napi_env, value: ChallengeInstance) -> napi::Result<napi_value> {
        let ChallengeInstance {
            sid,
            entity_sid,
            identity,
            factor_sid,
            status,
            responded_reason,
            factor_type,
            date_created,
            date_updated,
            date_responded,
            expiration_date,
            details,
            hidden_details,
            metadata,
            result,
            result_offset,
        } = value;
        let instance = instance(env)?;
        // SAFETY (all below): handed on with the caller's environment.
        unsafe {
            let date_responded = match date_responded.0 {
                Some(time) => seconds(env, time)?,
                None => Null::to_napi_value(env, Null)?,
            };
            let args = [
                ascii(env, sid.as_str())?,
                ascii(env, entity_sid.as_str())?,
                <&str>::to_napi_value(env, identity.as_str())?,
                ascii(env, factor_sid.as_str())?,
                words(env, instance, [Some(status), Some(responded_reason), Some(factor_type), result])?,
                seconds(env, date_created)?,
                seconds(env, date_updated)?,
                date_responded,
                seconds(env, expiration_date)?,
                Nullable::to_napi_value(env, details)?,
                Nullable::to_napi_value(env, hidden_details)?,
                Nullable::to_napi_value(env, metadata)?,
                present(env, result_offset)?,
            ];
            build(env, instance, Builder::Challenge, &args)
        }
    }
}

/// A page: its items as an array that also carries `nextPageToken` (not enumerable, like an
/// array's own methods: spreading, `JSON.stringify` and deep equality see the items only).
pub struct PageOf<T> {
    items: Vec<T>,
    next_page_token: Option<String>,
}

impl<T> PageOf<T> {
    pub(crate) fn new<R>(page: &Page<R>, item: impl Fn(&R) -> T) -> PageOf<T> {
        PageOf { items: page.items.iter().map(item).collect(), next_page_token: page.next_page_token.clone() }
    }
}

impl<T: ToNapiValue> ToNapiValue for PageOf<T> {
    unsafe fn to_napi_value(env: napi_env, page: PageOf<T>) -> napi::Result<napi_value> {
        // SAFETY: handed on with the caller's environment.
        let array = unsafe { Vec::<T>::to_napi_value(env, page.items)? };
        let mut object = Object::from_raw(env, array);
        let hidden = PropertyAttributes::Writable | PropertyAttributes::Configurable;
        object.define_properties(&[Property::new()
            .with_utf8_name("nextPageToken")?
            .with_napi_value(&Env::from_raw(env), Nullable(page.next_page_token))?
            .with_property_attributes(hidden)])?;
        Ok(array)
    }
}
