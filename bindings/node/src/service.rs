//! `Verify`: the Entity → Factor → Challenge service of core over the store its settings name.
//!
//! Every method hands its arguments to core by one rule — a positional argument or an option
//! `friendlyName` is core's `friendly_name`, its value converted by its JavaScript type
//! ([`json::argument`]) — and core's `Request::parse` decides what the operation takes. The
//! request runs on the calling thread, or on the libuv thread pool for the Promise forms, and
//! its typed answer becomes the objects of [`crate::views`]. Over a store object of the
//! application the request runs as steps on the event loop instead ([`crate::host`]). No rule
//! of behaviour lives here.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};

use napi::bindgen_prelude::{JsObjectValue, Object, ObjectFinalize, PromiseRaw, ToNapiValue, TypeName, Unknown};
use napi::{sys, Env, JsValue, Property, PropertyAttributes, ScopedTask, Status, ValueType};
use napi_derive::napi;
use serde_json::{Map, Value};
use watchword_core::service::{
    unix_now, wipe_secret_keys, Answer, Arguments, Request, ServiceConfig, Setting, Verify as CoreVerify,
    MIN_SECRET_BYTES, SETTINGS,
};
use watchword_core::{Error, Invalid};
use watchword_store::{AnyStore, HostSteps as CoreSteps};

use crate::args::{self, type_error};
use crate::error::{boundary, panic_message, rejection, Class, Fail, Out};
use crate::fast;
use crate::host::{self, Host, HostSteps};
use crate::json::{self, camel, core_name, Given};
use crate::views::{Builder, ChallengeInstance, EntityInstance, FactorInstance, PageOf};

/// One argument as given: core's name, the JavaScript key it was given under (an option's or
/// a setting's; none for a positional argument, which is core's name in camelCase), the object
/// it was a key of (`options.`, `settings.`; empty for a positional argument) and what its
/// value was.
struct Argument {
    core: Cow<'static, str>,
    key: Option<Cow<'static, str>>,
    within: &'static str,
    given: Given,
}

impl Argument {
    /// The name as JavaScript spells it: `friendlyName`.
    fn js(&self) -> Cow<'_, str> {
        match &self.key {
            Some(key) => Cow::Borrowed(&**key),
            None => Cow::Owned(camel(&self.core)),
        }
    }

    /// The name as the messages say it: `friendlyName`, `options.codeLength`.
    fn name(&self) -> String {
        format!("{}{}", self.within, self.js())
    }

    fn positional(&self) -> bool {
        self.within.is_empty()
    }
}

/// The arguments of one call as they accumulate: each as given, and its value until core
/// takes it (`values[i]` is `given[i]`'s).
struct Call {
    op: &'static str,
    given: Vec<Argument>,
    values: Vec<Option<Value>>,
    now: Option<u64>,
}

impl Call {
    fn new(op: &'static str) -> Call {
        Call { op, given: Vec::new(), values: Vec::new(), now: None }
    }

    fn push(&mut self, argument: Argument, value: Value) {
        self.given.push(argument);
        self.values.push(Some(value));
    }

    /// A positional argument: core's `name`, spelt in camelCase in JavaScript.
    fn positional(mut self, name: &'static str, value: &Unknown) -> Out<Call> {
        if let Some((json, given)) = json::argument(value, || camel(name))? {
            self.push(Argument { core: Cow::Borrowed(name), key: None, within: "", given }, json);
        }
        Ok(self)
    }

    /// The trailing options object: each key by the camelCase rule, except `now`, the time
    /// the operation runs at. A key core does not know for the operation is refused.
    /// `keys` is `Object.keys(options)` when the caller has it.
    fn options(mut self, value: &Unknown, keys: Option<&Unknown>) -> Out<Call> {
        match value.get_type()? {
            ValueType::Undefined | ValueType::Null => return Ok(self),
            ValueType::Object if !value.is_array()? && !value.is_date()? && !value.is_typedarray()? => {}
            _ => return Err(type_error("options", "an object", value)),
        }
        // SAFETY: checked to be an object.
        let object = unsafe { value.cast::<Object>()? };
        for (key, item) in args::entries(&object, keys)? {
            let core = core_name(&key).map(Cow::Owned);
            self = self.option(Cow::Owned(key), core, &item)?;
        }
        Ok(self)
    }

    /// The options of a call given as the values of keys named by the methods' option names
    /// ([`OptionNames`]): `packed` holds up to four of their indexes, 8 bits each, plus one
    /// (0 ends the list); `values` the values in the same order.
    fn named_options(mut self, packed: &Unknown, values: &[Unknown]) -> Out<Call> {
        // SAFETY: a number, as the methods pass it (anything else reads as no option).
        let packed = match packed.get_type()? {
            ValueType::Number => unsafe { packed.cast::<u32>()? },
            _ => 0,
        };
        for (i, item) in values.iter().enumerate() {
            let index = (packed >> (8 * i)) & 0xff;
            if index == 0 {
                break;
            }
            let name =
                OptionNames::get(index - 1).ok_or_else(|| Fail::Type("an option no method named".to_string()))?;
            self = self.option(Cow::Borrowed(name.key), name.core.map(Cow::Borrowed), item)?;
        }
        Ok(self)
    }

    /// One option: the key as given and its core name by the camelCase rule (`None` when the key
    /// is no camelCase name), except `now`, the time the operation runs at.
    fn option(mut self, key: Cow<'static, str>, core: Option<Cow<'static, str>>, item: &Unknown) -> Out<Call> {
        if key == "now" {
            if item.get_type()? != ValueType::Undefined {
                self.now = Some(args::time(item, "options.now")?);
            }
            return Ok(self);
        }
        let Some((json, given)) = json::argument(item, || format!("options.{key}"))? else { return Ok(self) };
        // A key that is no camelCase name, or names a positional argument, goes to core
        // under a name no operation has, so that core refuses it as it refuses any unknown one.
        let core = match core {
            Some(core) if !self.given.iter().any(|a| a.positional() && a.core == core) => core,
            _ => Cow::Owned(format!("options.{key}")),
        };
        self.push(Argument { core, key: Some(key), within: "options.", given }, json);
        Ok(self)
    }

    /// The request core reads from the arguments (taking each value it reads).
    fn prepare(mut self) -> Out<Operation> {
        let now = self.now.unwrap_or_else(unix_now);
        match Request::from_arguments(self.op, &mut self) {
            Ok(request) => Ok(Operation { request: Some(request), now, given: self.given }),
            Err(error) if error.parameter() == Some("arguments") => Err(self.unknown_option(error)),
            Err(error) => Err(fail(error, &self.given)),
        }
    }

    /// Core refused an argument it does not know: it took every argument it knows, so the
    /// option left is the one refused.
    #[cold]
    fn unknown_option(&self, error: Error) -> Fail {
        let left = self.given.iter().zip(&self.values).find(|(a, value)| !a.positional() && value.is_some());
        match left {
            Some((a, _)) => Fail::Argument {
                message: format!("options has an unknown option {:?}", a.js()),
                parameter: a.js().into_owned(),
                class: Class::Type,
                error,
            },
            None => fail(error, &self.given),
        }
    }
}

impl Arguments for Call {
    fn take(&mut self, name: &'static str) -> Result<Option<Value>, Error> {
        let value = self.given.iter().position(|a| a.core == name).and_then(|i| self.values[i].take());
        Ok(value.filter(|v| !v.is_null()))
    }

    fn has_other(&self, _read: &[&'static str]) -> bool {
        // Core takes each name it reads: a value still here is one the operation does not know.
        self.values.iter().any(Option::is_some)
    }

    fn is_empty(&self) -> bool {
        !self.has_other(&[])
    }
}

/// The option names the methods have met, process-wide, each with its core name by the
/// camelCase rule. A method passes each option of a plain options object as the index of its
/// name here (the method keeps a `Map` of them), so that a call reads no key through N-API. At
/// most [`OptionNames::MAX`] names of at most [`OptionNames::LONGEST`] bytes are kept, for the
/// life of the process; an options object with any other key is read as it is.
struct OptionNames;

/// A key of an options object and its core name.
struct OptionName {
    key: &'static str,
    core: Option<&'static str>,
}

static OPTION_NAMES: [OnceLock<OptionName>; OptionNames::MAX] = [const { OnceLock::new() }; OptionNames::MAX];
static OPTION_COUNT: Mutex<usize> = Mutex::new(0);

impl OptionNames {
    /// The most names kept: an index plus one fits in 8 bits.
    const MAX: usize = 255;
    /// The longest name kept, in bytes.
    const LONGEST: usize = 64;

    fn get(index: u32) -> Option<&'static OptionName> {
        OPTION_NAMES.get(index as usize)?.get()
    }

    /// The index of `key`, kept now if it is new; `None` when it cannot be kept.
    fn intern(key: &str) -> Option<u32> {
        if key.len() > Self::LONGEST {
            return None;
        }
        let mut count = OPTION_COUNT.lock().unwrap_or_else(|e| e.into_inner());
        let kept = OPTION_NAMES[..*count].iter().position(|n| n.get().is_some_and(|n| n.key == key));
        if let Some(index) = kept {
            return Some(index as u32);
        }
        let index = *count;
        if index >= Self::MAX {
            return None;
        }
        let key: &'static str = Box::leak(Box::from(key));
        let core = core_name(key).map(|core| &*Box::leak(core.into_boxed_str()));
        let _ = OPTION_NAMES[index].set(OptionName { key, core });
        *count += 1;
        Some(index as u32)
    }
}

/// `intern(key)`, for the methods: the index of an option name ([`OptionNames`]), or -1.
unsafe extern "C" fn intern_option(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: called by N-API with a callback's arguments.
    unsafe {
        fast::call(env, info, |env, _, [key]| {
            let index = match key.get_type()? {
                ValueType::String => OptionNames::intern(&args::text(&key)?).map_or(-1, |i| i as i32),
                _ => -1,
            };
            fast::to_raw(env, index)
        })
    }
}

/// A core error about the call, told in JavaScript's terms: the argument's JavaScript name in
/// `parameter` and the message; a wrong type is a `TypeError`, a range error about a number
/// or a `Date` a `RangeError`.
fn fail(error: Error, given: &[Argument]) -> Fail {
    let Some(core) = error.parameter() else { return Fail::from(error) };
    let base = core.strip_prefix("config.").unwrap_or(core);
    let parameter = camel(core);
    let argument = given.iter().find(|a| a.core == base);
    let expected = match &error {
        Error::InvalidParameter(Invalid::Type { expected, .. }) => Some(*expected),
        _ => None,
    };
    let told = camel_words(&error.to_string());
    let (class, message) = match (argument, expected) {
        (Some(a), _) if matches!(a.given, Given::NotText { .. }) => {
            let Given::NotText { path, what } = &a.given else { unreachable!() };
            (Class::Type, format!("{path} must be a string, not {what}"))
        }
        (Some(a), _) if matches!(a.given, Given::Inexact(_)) => {
            let Given::Inexact(why) = &a.given else { unreachable!() };
            (Class::Range, format!("{} {why}", a.name()))
        }
        (Some(a), Some(expected)) => {
            let what = match a.given {
                Given::Value(what) => what,
                _ => "a number",
            };
            let expected = if a.positional() { "a string" } else { expected };
            (Class::Type, format!("{} must be {expected}, not {what}", a.name()))
        }
        (None, Some(_)) => (Class::Type, format!("{parameter} must be a string, not undefined")),
        (Some(a), None) if matches!(a.given, Given::Number) => (Class::Range, told),
        _ => (Class::Watchword, told),
    };
    Fail::Argument { error, class, message, parameter }
}

/// Core's message about an argument with every snake_case name in it spelt in camelCase
/// (`invalid config.code_length: expected …, at least min_code_length`): such messages hold
/// core's own words only, never a caller's value.
fn camel_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    for c in message.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            word.push(c);
            continue;
        }
        let snake = word.contains('_') && !word.starts_with('_') && !word.ends_with('_');
        out.push_str(&if snake { camel(&word) } else { std::mem::take(&mut word) });
        word.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// A request ready to run, here or on the thread pool.
struct Operation {
    /// Taken when it runs.
    request: Option<Request>,
    now: u64,
    given: Vec<Argument>,
}

impl Work for Operation {
    type Done = Answer;
    type Js = Answered;

    /// Runs the request in core (this thread, whichever it is).
    fn run(&mut self, verify: &CoreVerify<AnyStore>) -> Result<Answer, Error> {
        match self.request.take() {
            Some(request) => verify.execute(request, self.now),
            None => Err(Error::storage("the operation ran already")),
        }
    }

    /// The answer as the JavaScript value the method returns, or the error it throws.
    fn answer(&self, answer: Result<Answer, Error>) -> Out<Answered> {
        let now = self.now;
        Ok(match answer.map_err(|error| fail(error, &self.given))? {
            Answer::Entity(e) => Answered::Entity(EntityInstance::from(&*e)),
            Answer::Entities(p) => Answered::Entities(PageOf::new(&p, |e| EntityInstance::from(e))),
            Answer::Factor(f, v) => Answered::Factor(FactorInstance::new(&f, v.as_ref())),
            Answer::Created(c) => Answered::Created(FactorInstance::created(&c)),
            Answer::Factors(p) => Answered::Factors(PageOf::new(&p, |f| FactorInstance::new(f, None))),
            Answer::Challenge(c, v) => Answered::Challenge(ChallengeInstance::new(&c, v.as_ref(), now)),
            Answer::Challenges(p) => Answered::Challenges(PageOf::new(&p, |c| ChallengeInstance::new(c, None, now))),
            Answer::Record(text) => Answered::Record(text),
            Answer::Count(n) => Answered::Count(n as f64),
            Answer::Nothing => Answered::Nothing,
            _ => return Err(Fail::from(Error::storage("an answer this version cannot show"))),
        })
    }
}

/// What a method returns: the typed objects of [`crate::views`].
pub enum Answered {
    /// An entity.
    Entity(EntityInstance),
    /// A page of entities.
    Entities(PageOf<EntityInstance>),
    /// A factor (with a result after a verification).
    Factor(FactorInstance),
    /// A new factor: `binding` gets its QR-code methods.
    Created(FactorInstance),
    /// A page of factors.
    Factors(PageOf<FactorInstance>),
    /// A challenge.
    Challenge(ChallengeInstance),
    /// A page of challenges.
    Challenges(PageOf<ChallengeInstance>),
    /// A stored record's text (or `call`'s JSON answer).
    Record(String),
    /// A count.
    Count(f64),
    /// `undefined`.
    Nothing,
    /// What the steps over a store object answered: the method's value (a JavaScript value of
    /// this call), already built.
    Js(sys::napi_value),
}

impl TypeName for Answered {
    fn type_name() -> &'static str {
        "Answered"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Answered {
    unsafe fn to_napi_value(env: napi::sys::napi_env, answer: Answered) -> napi::Result<napi::sys::napi_value> {
        // SAFETY (all below): handed on with the caller's environment.
        unsafe {
            match answer {
                Answered::Entity(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Entities(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Factor(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Created(x) => {
                    let raw = ToNapiValue::to_napi_value(env, x)?;
                    crate::uri::add_qr_methods(&Env::from_raw(env), &Unknown::from_raw_unchecked(env, raw))?;
                    Ok(raw)
                }
                Answered::Factors(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Challenge(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Challenges(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Record(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Count(x) => ToNapiValue::to_napi_value(env, x),
                Answered::Nothing => ToNapiValue::to_napi_value(env, ()),
                Answered::Js(raw) => Ok(raw),
            }
        }
    }
}

/// Work for the libuv thread pool: the Promise form of every method, so that a database
/// store's network and disk waits never block the event loop.
trait Work: Send + 'static {
    /// What the work gives back from core.
    type Done: Send;
    /// What the promise resolves to.
    type Js: ToNapiValue + TypeName;
    /// Runs in core on a pool thread.
    fn run(&mut self, verify: &CoreVerify<AnyStore>) -> Result<Self::Done, Error>;
    /// The promise's value, or the error it rejects with.
    fn answer(&self, done: Result<Self::Done, Error>) -> Out<Self::Js>;
}

/// One piece of [`Work`] with the service it runs on.
struct PoolTask<W> {
    verify: Arc<CoreVerify<AnyStore>>,
    work: W,
}

impl<'env, W: Work> ScopedTask<'env> for PoolTask<W> {
    /// The answer, or the message of a panic.
    type Output = Result<Result<W::Done, Error>, String>;
    type JsValue = W::Js;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let run = AssertUnwindSafe(|| self.work.run(&self.verify));
        Ok(catch_unwind(run).map_err(|panic| panic_message(&*panic)))
    }

    fn resolve(&mut self, env: &'env Env, output: Self::Output) -> napi::Result<W::Js> {
        let done = output.map_err(|message| napi::Error::new(Status::GenericFailure, message))?;
        match catch_unwind(AssertUnwindSafe(|| self.work.answer(done))) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(fail)) => Err(rejection(env, fail)),
            Err(panic) => Err(napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
        }
    }
}

/// `call`: an operation by its name with JSON-text arguments, answering JSON text.
struct JsonCall {
    op: String,
    args: String,
    now: u64,
}

impl JsonCall {
    fn new(operation: &Unknown, args_json: &Unknown, options: &Unknown) -> Out<JsonCall> {
        let op = args::string(operation, "operation")?;
        let args = args::string(args_json, "argsJson")?;
        let now = Call::new("call").options(options, None)?;
        if let Some(extra) = now.given.first() {
            return Err(Fail::Type(format!("options has an unknown option {:?}; it takes now", extra.js())));
        }
        Ok(JsonCall { op, args, now: now.now.unwrap_or_else(unix_now) })
    }
}

impl JsonCall {
    /// The steps of this call over a store object; they answer JSON text as `call` does.
    fn steps(&self, host: &Host) -> Out<HostSteps> {
        let parsed = if self.args.trim().is_empty() { Ok(Value::Null) } else { serde_json::from_str(&self.args) };
        let mut map = match parsed {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            _ => {
                let expected = "a JSON object";
                return Err(Fail::from(Error::InvalidParameter(Invalid::Parameter { name: "arguments", expected })));
            }
        };
        let request = Request::from_arguments(&self.op, &mut map)?;
        let now = self.now;
        let steps = CoreSteps::new(host.config.clone(), request, now);
        Ok(HostSteps::new(steps, Box::new(move |answer| Ok(Answered::Record(answer?.view(now).to_string())))))
    }
}

impl Work for JsonCall {
    type Done = String;
    type Js = String;

    fn run(&mut self, verify: &CoreVerify<AnyStore>) -> Result<String, Error> {
        verify.call(&self.op, &self.args, self.now)
    }

    fn answer(&self, done: Result<String, Error>) -> Out<String> {
        Ok(done?)
    }
}

/// Settings of `new Verify(settings)`; every limit defaults to Twilio's value (see SPEC §3).
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct VerifySettings {
    /// Issuer shown in authenticator apps: 1–64 characters, no `:` (required).
    pub issuer: String,
    /// The store's URL: `'memory:'` (default), `'sqlite:///relative/path'`,
    /// `'sqlite:////absolute/path'`, `'postgresql://user:password@host/db'`; or a store object
    /// of the application's own (`Store`), whose methods may return Promises.
    #[napi(ts_type = "string | Store")]
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
    /// PBKDF2-HMAC-SHA256 iterations new recovery codes are hashed with, 1000–10000000
    /// (100000); each set keeps its own, so a change leaves old codes valid.
    pub recovery_code_iterations: Option<u32>,
    /// The shortest imported secret in bytes, 10–64 (16).
    pub min_secret_bytes: Option<u32>,
    /// Secret keys that seal every record the store holds and every export: key id → 32 bytes
    /// (`generateSecretKey()`); needs `activeSecretKey`. Keep them out of logs and source code.
    #[napi(ts_type = "Record<string, Uint8Array>")]
    pub secret_keys: Option<String>,
    /// The id of the key of `secretKeys` new writes are sealed under.
    pub active_secret_key: Option<String>,
    /// With `secretKeys`, read records written before the keys were set (a migration; they
    /// are sealed on their next write and by `reseal`). Off: such a record is a `storage` error.
    pub accept_plaintext_records: Option<bool>,
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
    /// `'totp'` (default), or `'recovery_codes'`: a verified factor of single-use codes, in the
    /// answer's `binding.codes` (redeem them with `createChallengeAsync`, which hashes them on
    /// the libuv pool).
    #[napi(ts_type = "'totp' | 'recovery_codes'")]
    pub factor_type: Option<String>,
    /// How many recovery codes, 1–20 (10).
    pub count: Option<u32>,
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
    /// A recovery-codes factor only: a new set of codes, in the answer's `binding.codes` (the
    /// old codes stop working).
    pub regenerate: Option<bool>,
    /// The time the operation runs at: Unix seconds or a `Date` (default: now).
    #[napi(ts_type = "number | Date")]
    pub now: Option<f64>,
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
    #[napi(ts_type = "{ message: string; fields?: ChallengeDetailField[] }")]
    pub details: Option<String>,
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

/// The verification service (Twilio Verify's Entity → Factor → Challenge API with Okta's
/// verification results) over a store: in memory by default, the SQLite or PostgreSQL
/// database the `store` setting names, or a store object of the application's own (`Store`).
/// Every operation has a synchronous form and a Promise form (`…Async`) that runs on the libuv
/// thread pool: use the Promise forms with a database store, so the event loop never waits for
/// the database. Over a store object the operations run on the event loop as steps that ask
/// the object for records and a commit, and the Promise forms await its Promises. Hosts that
/// keep their own database can also move records in and out with `exportFactor`/`importFactor`
/// (and the entity and challenge equivalents).
///
/// ```js
/// const verify = new Verify({ issuer: 'Acme', store: 'sqlite:////var/lib/app/watchword.db' })
/// const factor = await verify.createFactorAsync('user-0001', 'phone')
/// // show factor.binding.uri as a QR code, then:
/// (await verify.verifyFactorAsync('user-0001', factor.sid, codeFromTheApp)).result  // 'approved'
/// ```
#[napi(custom_finalize)]
pub struct Verify {
    inner: Backend,
    /// Its place in this thread's [`Slots`], once a method has asked for it.
    slot: Cell<Option<u32>>,
}

/// The services whose methods have taken the fast path on this thread, by slot: the address
/// of each `Verify` napi-rs keeps wrapped, until it is finalized. A method reads its service's
/// slot from the instance (where the first call put it) instead of checking the instance's
/// class tag and unwrapping it, two lookups V8 cannot cache.
struct Slots {
    services: Vec<Option<*const Verify>>,
    free: Vec<u32>,
}

thread_local! {
    static SLOTS: RefCell<Slots> = const { RefCell::new(Slots { services: Vec::new(), free: Vec::new() }) };
}

impl Verify {
    /// This service's slot, given it now if it has none.
    fn slot(&self) -> Out<u32> {
        if let Some(slot) = self.slot.get() {
            return Ok(slot);
        }
        let slot = SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            let address = Some(std::ptr::from_ref(self));
            match slots.free.pop() {
                Some(slot) => {
                    slots.services[slot as usize] = address;
                    Some(slot)
                }
                None => {
                    let slot = u32::try_from(slots.services.len()).ok()?;
                    slots.services.push(address);
                    Some(slot)
                }
            }
        });
        let slot = slot.ok_or_else(|| Fail::Type("too many services".to_string()))?;
        self.slot.set(Some(slot));
        Ok(slot)
    }

    /// The service in `slot` (a number the methods pass), or a `TypeError`.
    ///
    /// # Safety
    ///
    /// Called on the JavaScript thread of the call, during it: a service stays in its slot
    /// until napi-rs finalizes it, which never happens during a call.
    unsafe fn in_slot<'a>(slot: &Unknown) -> Out<&'a Verify> {
        let slot = match slot.get_type()? {
            // SAFETY: checked to be a number.
            ValueType::Number => unsafe { slot.cast::<u32>()? },
            _ => u32::MAX,
        };
        let found = SLOTS.with(|slots| slots.borrow().services.get(slot as usize).copied().flatten());
        // SAFETY: an address in the table is that of a live `Verify` (see above).
        match found.and_then(|address| unsafe { address.as_ref() }) {
            Some(verify) => Ok(verify),
            None => Err(Fail::Type("Verify methods must be called on an instance of its class".to_string())),
        }
    }
}

/// `handle()`, called on an instance: its slot ([`Slots`]).
unsafe extern "C" fn service_slot(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: called by N-API with a callback's arguments.
    unsafe {
        fast::call(env, info, |env, this, []| {
            let verify: &Verify = fast::instance(env.raw(), this, "Verify methods")?;
            fast::to_raw(env, verify.slot()?)
        })
    }
}

/// Where a service keeps its records.
enum Backend {
    /// A store of watchword (memory, SQLite, PostgreSQL), which core calls; `None` once the
    /// service is closed. Its issuer and namespace stay readable.
    Store { verify: RefCell<Option<Arc<CoreVerify<AnyStore>>>>, issuer: String, service: String },
    /// A store object of the application, asked through steps; `closed` once `close()` ran.
    Host { host: Box<Host>, closed: Cell<bool> },
}

/// What an operation runs over: the service's own store, or the application's store object.
enum Open<'a> {
    Store(Arc<CoreVerify<AnyStore>>),
    Host(&'a Host),
}

impl ObjectFinalize for Verify {
    fn finalize(self, env: Env) -> napi::Result<()> {
        if let Some(slot) = self.slot.get() {
            let _ = SLOTS.try_with(|slots| {
                let mut slots = slots.borrow_mut();
                if let Some(entry) = slots.services.get_mut(slot as usize) {
                    if entry.take().is_some() {
                        slots.free.push(slot);
                    }
                }
            });
        }
        match self.inner {
            Backend::Host { host, .. } => host.store.unref(&env),
            Backend::Store { .. } => Ok(()),
        }
    }
}

/// Declares the synchronous method of an operation and its Promise form (`…Async`): the
/// operation is core's of the method's name, the positional arguments core's of their names,
/// then an options object. The doc lines are `#[doc = "…"]` attributes with plain strings:
/// napi's TypeScript generator keeps the `r"` of the raw strings that doc comments become
/// inside a macro invocation.
macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident, $name_async:ident ($($arg:ident),*),
        args = $args:literal, returns = $ret:literal, promise = $promise:literal,
    )*) => {
        $(
            #[napi]
            impl Verify {
                $(#[doc = $doc])*
                #[napi(ts_args_type = $args, ts_return_type = $ret)]
                pub fn $name(&self, env: Env, $($arg: Unknown,)* options: Unknown) -> napi::Result<Answered> {
                    boundary(&env, || self.run(&env, Call::new(stringify!($name))$(.positional(stringify!($arg), &$arg)?)*.options(&options, None)?))
                }

                $(#[doc = $doc])*
                ///
                /// Promise form: runs on the libuv thread pool and rejects with the error the
                /// synchronous form throws.
                #[napi(ts_args_type = $args, ts_return_type = $promise)]
                pub fn $name_async<'e>(&self, env: &'e Env, $($arg: Unknown,)* options: Unknown) -> napi::Result<Unknown<'e>> {
                    let prepared = catch_unwind(AssertUnwindSafe(|| {
                        Call::new(stringify!($name))$(.positional(stringify!($arg), &$arg)?)*.options(&options, None)?.prepare()
                    }));
                    match self.backend() {
                        Ok(Open::Store(verify)) => spawn(env, prepared.map(|p| p.map(|work| PoolTask { verify, work }))),
                        Ok(Open::Host(host)) => host_async(env, host, prepared.map(|p| p.and_then(|work| steps(host, work)))),
                        Err(fail) => rejected(env, rejection(env, fail)),
                    }
                }
            }

            /// The synchronous method called straight from JavaScript (see [`install`]): with
            /// the options object and its keys, or with its values by their names' indexes.
            mod $name {
                use super::*;

                pub(super) unsafe extern "C" fn direct(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
                    // SAFETY: called by N-API with a callback's arguments.
                    unsafe {
                        fast::call(env, info, |env, this, [$($arg,)* options, keys]| {
                            let verify: &Verify = fast::instance(env.raw(), this, "Verify methods")?;
                            let call = Call::new(stringify!($name))$(.positional(stringify!($arg), &$arg)?)*;
                            let answer = verify.run(env, call.options(&options, Some(&keys))?)?;
                            fast::to_raw(env, answer)
                        })
                    }
                }

                pub(super) unsafe extern "C" fn named(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
                    // SAFETY: called by N-API with a callback's arguments.
                    unsafe {
                        fast::call(env, info, |env, _, [slot, $($arg,)* packed, v0, v1, v2, v3]| {
                            let verify = Verify::in_slot(&slot)?;
                            let call = Call::new(stringify!($name))$(.positional(stringify!($arg), &$arg)?)*;
                            match verify.run(env, call.named_options(&packed, &[v0, v1, v2, v3])?)? {
                                Answered::Challenge(challenge) => match challenge.compact(env.raw())? {
                                    Ok(compact) => Ok(compact),
                                    Err(challenge) => fast::to_raw(env, Answered::Challenge(challenge)),
                                },
                                answer => fast::to_raw(env, answer),
                            }
                        })
                    }
                }
            }
        )*

        /// Every operation's synchronous method: its name, how many positional arguments it
        /// takes and its direct callbacks (with the options object, with its values by name).
        const DIRECT: &[(&str, usize, fast::Callback, fast::Callback)] =
            &[$((stringify!($name), <[&str]>::len(&[$(stringify!($arg)),*]), $name::direct, $name::named)),*];
    };
}

impl Verify {
    /// Runs a call's request on this thread: in core, or as steps through the store object.
    fn run(&self, env: &Env, call: Call) -> Out<Answered> {
        let method = call.op;
        let mut operation = call.prepare()?;
        match self.backend()? {
            Open::Store(verify) => {
                let answer = operation.run(&verify);
                operation.answer(answer)
            }
            Open::Host(host) => {
                Ok(Answered::Js(host::drive(env, host, steps(host, operation)?, &camel(method), false)?.raw()))
            }
        }
    }

    /// A service over the store object `store`.
    fn over(config: ServiceConfig, store: &Unknown) -> napi::Result<Verify> {
        let host = Box::new(Host { config, store: store.create_ref()? });
        Ok(Verify { inner: Backend::Host { host, closed: Cell::new(false) }, slot: Cell::new(None) })
    }

    /// A service over one of watchword's stores.
    fn of(verify: CoreVerify<AnyStore>) -> Verify {
        let (issuer, service) = (verify.config().issuer.clone(), verify.config().service.clone());
        let verify = RefCell::new(Some(Arc::new(verify)));
        Verify { inner: Backend::Store { verify, issuer, service }, slot: Cell::new(None) }
    }

    /// What an operation runs over; an error once the service is closed.
    fn backend(&self) -> Out<Open<'_>> {
        let open = match &self.inner {
            Backend::Store { verify, .. } => verify.borrow().clone().map(Open::Store),
            Backend::Host { host, closed } => (!closed.get()).then_some(Open::Host(host)),
        };
        open.ok_or_else(|| Fail::from(Error::storage("this service is closed")))
    }

    /// The issuer and the namespace of the service's records.
    fn names(&self) -> (&str, &str) {
        match &self.inner {
            Backend::Store { issuer, service, .. } => (issuer, service),
            Backend::Host { host, .. } => (&host.config.issuer, &host.config.service),
        }
    }
}

/// The steps of a prepared operation over a store object.
fn steps(host: &Host, mut operation: Operation) -> Out<HostSteps> {
    let request = operation.request.take().ok_or_else(|| Error::storage("the operation ran already"))?;
    let steps = CoreSteps::new(host.config.clone(), request, operation.now);
    Ok(HostSteps::new(steps, Box::new(move |answer| operation.answer(answer))))
}

/// The Promise form over a store object: the prepared steps, driven with `await` on this
/// thread's event loop; a failure to prepare them is a rejected promise.
fn host_async<'e>(
    env: &'e Env,
    host: &Host,
    prepared: std::thread::Result<Out<HostSteps>>,
) -> napi::Result<Unknown<'e>> {
    match prepared {
        Ok(Ok(steps)) => boundary(env, || host::drive(env, host, steps, "", true)),
        Ok(Err(fail)) => rejected(env, rejection(env, fail)),
        Err(panic) => rejected(env, napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
    }
}

/// Puts the direct callbacks of the synchronous methods on `Verify.prototype` in place of
/// napi-rs's: its glue for a class method (borrow tracking in a global map, argument scopes)
/// costs about as much as a whole memory-store operation. Each method is a few lines of
/// JavaScript ([`METHOD_SOURCE`]) that hand a callback its arguments: a plain options object of
/// up to four keys as its values and the indexes of their names ([`OptionNames`]), any other
/// with `Object.keys(options)` (reading keys is the slow part of reading an object through
/// N-API). The methods keep their names, arguments, errors and property attributes; napi-rs's
/// declarations still give `index.d.ts`.
pub(crate) fn install(env: &Env, exports: &Object) -> napi::Result<()> {
    let class: Object = exports.get_named_property_unchecked("Verify")?;
    let mut prototype: Object = class.get_named_property_unchecked("prototype")?;
    let shared: Object = env.run_script("({ known: new Map(), slot: Symbol('watchword service slot') })")?;
    let known: Unknown = shared.get_named_property_unchecked("known")?;
    let key: Unknown = shared.get_named_property_unchecked("slot")?;
    let intern = fast::function(env, c"intern", intern_option)?;
    let handle = fast::function(env, c"handle", service_slot)?;
    let instance = crate::instance::get(env)?;
    let compact = instance.builders[Builder::CompactChallenge as usize].get_value(env)?;
    let scratch = instance.scratch.get_value(env)?;
    for (name, positional, direct, named) in DIRECT {
        let js = camel(name);
        let params: Vec<String> = (0..*positional).map(|i| format!("a{i}, ")).collect();
        let source = METHOD_SOURCE.replace("NAME", &js).replace("PARAMS", &params.concat());
        let factory: Unknown = env.run_script(&source)?;
        let (direct, named) = (fast::function(env, c"direct", *direct)?, fast::function(env, c"named", *named)?);
        let args = [direct, named, handle, key.raw(), known.raw(), intern, compact.raw(), scratch.raw()];
        let mut method = std::ptr::null_mut();
        // SAFETY: the factory and its arguments belong to this environment.
        let status = unsafe {
            sys::napi_call_function(env.raw(), known.raw(), factory.raw(), args.len(), args.as_ptr(), &mut method)
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(Status::from(status), "could not make the service's methods"));
        }
        prototype.define_properties(&[Property::new()
            .with_utf8_name(&js)?
            .with_value(&unsafe { Unknown::from_raw_unchecked(env.raw(), method) })
            .with_property_attributes(
                PropertyAttributes::Writable | PropertyAttributes::Enumerable | PropertyAttributes::Configurable,
            )])?;
    }
    Ok(())
}

/// The factory of one method (`NAME`, its positional parameters `PARAMS`, each followed by a
/// comma): `direct` takes the options object and its keys; `named` the instance's slot (kept on
/// it under `key`, given by `handle`) and the values of a plain options object of up to four
/// keys with the indexes of their names, 8 bits each (plus one), which `known` (a `Map`, one per
/// environment) keeps and `intern` gives. A challenge `named` answers may come as a string for
/// `compact`, with its numbers in `scratch` (`scratch[0]` is then 1).
const METHOD_SOURCE: &str = r#"(direct, named, handle, key, known, intern, compact, scratch) => {
  const { keys, getPrototypeOf, defineProperty, isExtensible } = Object
  const plain = Object.prototype
  const place = [1, 256, 65536, 16777216]
  return function NAME(PARAMSoptions) {
    if (typeof options !== 'object' || options === null) return direct.call(this, PARAMSoptions, undefined)
    const names = keys(options)
    if (names.length <= 4 && getPrototypeOf(options) === plain) {
      let packed = 0, v0, v1, v2, v3
      for (let i = 0; i < names.length; i++) {
        const name = names[i]
        let index = known.get(name)
        if (index === undefined) {
          index = intern(name)
          if (index < 0) return direct.call(this, PARAMSoptions, names)
          known.set(name, index)
        }
        const value = options[name]
        if (i === 0) v0 = value
        else if (i === 1) v1 = value
        else if (i === 2) v2 = value
        else v3 = value
        packed += (index + 1) * place[i]
      }
      let slot = this === null || this === undefined ? undefined : this[key]
      if (slot === undefined) {
        slot = handle.call(this)
        if (isExtensible(this)) defineProperty(this, key, { value: slot })
      }
      const answer = named(slot, PARAMSpacked, v0, v1, v2, v3)
      return scratch[0] === 1 ? compact(answer, scratch) : answer
    }
    return direct.call(this, PARAMSoptions, names)
  }
}"#;

/// The promise of `task` on the libuv thread pool; a failure to prepare it is a rejected promise.
fn spawn<'e, T>(env: &'e Env, task: std::thread::Result<Out<T>>) -> napi::Result<Unknown<'e>>
where
    T: for<'t> ScopedTask<'t> + Send + 'static,
{
    match task {
        Ok(Ok(task)) => Ok(env.spawn(task)?.promise_object().to_unknown()),
        Ok(Err(fail)) => rejected(env, rejection(env, fail)),
        Err(panic) => rejected(env, napi::Error::new(Status::GenericFailure, panic_message(&*panic))),
    }
}

/// A promise rejected with `error`.
fn rejected(env: &Env, error: napi::Error) -> napi::Result<Unknown<'_>> {
    Ok(PromiseRaw::<Unknown>::reject(env, error)?.to_unknown())
}

#[napi]
impl Verify {
    /// A service with the given settings (see `Verify.settings()` for every numeric one).
    /// `store` is the store's URL: `'memory:'` (the default, this process only),
    /// `'sqlite:///relative/path'` or `'sqlite:////absolute/path'` (shared by the processes of a
    /// machine), `'postgresql://user:password@host/db'` (shared by every machine), or a store
    /// object with `get`, `list`, `scan` and `commit` over the application's database; `service`
    /// is the namespace of this service's records in the store (default `'default'`). Opening
    /// a database store waits for it; `Verify.open` is the Promise form.
    #[napi(constructor, ts_args_type = "settings: VerifySettings")]
    pub fn new(env: Env, settings: Unknown) -> napi::Result<Verify> {
        boundary(&env, || {
            let (config, given, store) = config_of(&settings)?;
            if let Some(store) = store {
                return Ok(Verify::over(config, &store)?);
            }
            let inner = watchword_store::service(config).map_err(|error| fail(error, &given))?;
            Ok(Verify::of(inner))
        })
    }

    /// `new Verify(settings)` as a promise: the store is opened on the libuv thread pool.
    #[napi(ts_args_type = "settings: VerifySettings", ts_return_type = "Promise<Verify>")]
    pub fn open<'e>(env: &'e Env, settings: Unknown) -> napi::Result<Unknown<'e>> {
        let prepared = catch_unwind(AssertUnwindSafe(|| config_of(&settings)));
        if let Ok(Ok((config, _, Some(store)))) = prepared {
            // Nothing to open: the store object is the application's.
            return match Verify::over(config, &store) {
                Ok(verify) => Ok(PromiseRaw::resolve(env, verify)?.to_unknown()),
                Err(error) => rejected(env, error),
            };
        }
        spawn(env, prepared.map(|p| p.map(|(config, given, _)| OpenTask { config: Some(config), given })))
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
        self.names().0.to_string()
    }

    /// The namespace of this service's records in its store.
    #[napi(getter, catch_unwind)]
    pub fn service(&self) -> String {
        self.names().1.to_string()
    }

    /// Closes the service: its store (the memory store's records, a database's connections)
    /// is released now rather than when the object is collected, once the Promise-form calls
    /// already running have finished. Every later call throws (or rejects with) a
    /// `WatchwordError` with code `'storage'`. Closing again does nothing. A store object of the
    /// application is the application's to close.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        match &self.inner {
            Backend::Store { verify, .. } => drop(verify.borrow_mut().take()),
            Backend::Host { closed, .. } => closed.set(true),
        }
    }

    /// Runs an operation by its name in core's JSON dispatch (`'create_factor'` …) with
    /// snake_case JSON arguments and returns the JSON answer (snake_case, RFC 3339 dates):
    /// for hosts that route requests by operation name, e.g. an HTTP API that takes Twilio's
    /// parameter names. The typed methods are the same operations.
    #[napi(ts_args_type = "operation: string, argsJson: string, options?: NowOptions", ts_return_type = "string")]
    pub fn call(&self, env: Env, operation: Unknown, args_json: Unknown, options: Unknown) -> napi::Result<Answered> {
        boundary(&env, || {
            let mut call = JsonCall::new(&operation, &args_json, &options)?;
            match self.backend()? {
                Open::Store(verify) => Ok(Answered::Record(call.run(&verify)?)),
                Open::Host(host) => Ok(Answered::Js(host::drive(&env, host, call.steps(host)?, "call", false)?.raw())),
            }
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
        let prepared = catch_unwind(AssertUnwindSafe(|| JsonCall::new(&operation, &args_json, &options)));
        match self.backend() {
            Ok(Open::Store(verify)) => spawn(env, prepared.map(|p| p.map(|work| PoolTask { verify, work }))),
            Ok(Open::Host(host)) => host_async(env, host, prepared.map(|p| p.and_then(|call| call.steps(host)))),
            Err(fail) => rejected(env, rejection(env, fail)),
        }
    }
}

/// The settings that are strings; every other setting is a number of core's table, or one of
/// the key ring's own ([`KEY_RING_SETTINGS`]).
const STRING_SETTINGS: [&str; 5] = ["issuer", "store", "service", "alg", "active_secret_key"];

/// The settings of the key ring that are no string nor number: the keys (an object of bytes)
/// and a boolean.
const KEY_RING_SETTINGS: [(&str, ValueType, &str); 2] = [
    ("secret_keys", ValueType::Object, "an object of key id → Uint8Array"),
    ("accept_plaintext_records", ValueType::Boolean, "a boolean"),
];

/// Every numeric setting of core.
fn all_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().chain(std::iter::once(&MIN_SECRET_BYTES))
}

/// The service configuration of `new Verify(settings)`: each setting by the camelCase rule
/// (exactly the spelling the methods take), a number for core's numeric settings; and the
/// store object when `store` is one rather than a URL.
fn config_of<'s>(settings: &Unknown<'s>) -> Out<(ServiceConfig, Vec<Argument>, Option<Unknown<'s>>)> {
    if settings.get_type()? != ValueType::Object || settings.is_array()? {
        return Err(type_error("settings", "an object with at least an issuer", settings));
    }
    // SAFETY: checked to be an object.
    let object = unsafe { settings.cast::<Object>()? };
    let mut map = Map::new();
    let mut given = Vec::new();
    let mut store = None;
    for (key, value) in args::entries(&object, None)? {
        if value.get_type()? == ValueType::Undefined {
            continue;
        }
        if key == "store" && value.get_type()? == ValueType::Object && !value.is_array()? {
            host::check_store(&value)?;
            store = Some(value);
            continue;
        }
        let name = format!("settings.{key}");
        let core = core_name(&key);
        let numeric = core.as_deref().and_then(|core| all_settings().find(|s| s.name == core));
        let string = core.as_deref().and_then(|core| STRING_SETTINGS.iter().find(|s| **s == core));
        let ring = core.as_deref().and_then(|core| KEY_RING_SETTINGS.iter().find(|s| s.0 == core));
        let wanted = match (numeric, string, ring) {
            (Some(setting), _, _) => (setting.name, ValueType::Number, "a number"),
            (None, Some(&"store"), _) => ("store", ValueType::String, "a store URL (a string) or a store object"),
            (None, Some(setting), _) => (*setting, ValueType::String, "a string"),
            (None, None, Some(setting)) => *setting,
            (None, None, None) => {
                let known: Vec<String> = STRING_SETTINGS
                    .iter()
                    .map(|s| camel(s))
                    .chain(all_settings().map(|s| camel(s.name)))
                    .chain(KEY_RING_SETTINGS.iter().map(|s| camel(s.0)))
                    .collect();
                let message =
                    format!("settings has an unknown setting {key:?}; the settings are: {}", known.join(", "));
                let error = Error::InvalidParameter(Invalid::Type { name: "settings", expected: "a known setting" });
                return Err(Fail::Argument { error, class: Class::Type, message, parameter: key });
            }
        };
        if value.get_type()? != wanted.1 {
            let error = Error::InvalidParameter(Invalid::Type { name: wanted.0, expected: wanted.2 });
            let message = format!("{name} must be {}, not {}", wanted.2, args::describe(&value));
            return Err(Fail::Argument { error, class: Class::Type, message, parameter: key });
        }
        let converted = match wanted.0 {
            "secret_keys" => Some((secret_keys(&value)?, Given::Value("an object"))),
            // SAFETY: checked to be a boolean above.
            "accept_plaintext_records" => {
                Some((Value::Bool(unsafe { value.cast::<bool>()? }), Given::Value("a boolean")))
            }
            _ => json::argument(&value, || name.clone())?,
        };
        if let Some((json, kind)) = converted {
            map.insert(wanted.0.to_string(), json);
            given.push(Argument {
                core: Cow::Borrowed(wanted.0),
                key: Some(Cow::Owned(key)),
                within: "settings.",
                given: kind,
            });
        }
    }
    let config = ServiceConfig::from_map(&map).map_err(|error| fail(error, &given));
    wipe_secret_keys(&mut map);
    Ok((config?, given, store))
}

/// `settings.secretKeys`: key id → the key's bytes, as core's `secret_keys` (each key an array
/// of numbers, wiped by the caller once read).
fn secret_keys(value: &Unknown) -> Out<Value> {
    // SAFETY: checked to be an object by the caller.
    let object = unsafe { value.cast::<Object>()? };
    let mut keys = Map::new();
    for (kid, key) in args::entries(&object, None)? {
        let bytes = args::bytes(&key, &format!("settings.secretKeys.{kid}"))?;
        keys.insert(kid, Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()));
    }
    Ok(Value::Object(keys))
}

/// `Verify.open`: opens the store on the libuv thread pool.
struct OpenTask {
    config: Option<ServiceConfig>,
    given: Vec<Argument>,
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
            Ok(inner) => Ok(Verify::of(inner)),
            Err(error) => Err(rejection(env, fail(error, &self.given))),
        }
    }
}

operations! {
    #[doc = " Creates the entity for `identity` (8–64 characters of dash-separated letters and"]
    #[doc = " digits). Creating a factor creates its entity too."]
    create_entity, create_entity_async(identity),
    args = "identity: string, options?: NowOptions", returns = "EntityInstance",
    promise = "Promise<EntityInstance>",

    #[doc = " The entity for `identity`."]
    fetch_entity, fetch_entity_async(identity),
    args = "identity: string, options?: NowOptions", returns = "EntityInstance",
    promise = "Promise<EntityInstance>",

    #[doc = " A page of the service's entities, oldest first: at most `limit` (1–1000, default 50),"]
    #[doc = " after the page whose `nextPageToken` is `pageToken`."]
    list_entities, list_entities_async(),
    args = "options?: ListOptions", returns = "Page<EntityInstance>",
    promise = "Promise<Page<EntityInstance>>",

    #[doc = " Deletes the entity with its factors and challenges."]
    delete_entity, delete_entity_async(identity),
    args = "identity: string, options?: NowOptions", returns = "void", promise = "Promise<void>",

    #[doc = " Creates an unverified TOTP factor (and the entity if it is new). The answer alone"]
    #[doc = " carries `binding: { secret, uri }`; no later read shows the secret."]
    create_factor, create_factor_async(identity, friendly_name),
    args = "identity: string, friendlyName: string, options?: CreateFactorOptions",
    returns = "FactorInstance & { binding: FactorBinding & BindingQr }",
    promise = "Promise<FactorInstance & { binding: FactorBinding & BindingQr }>",

    #[doc = " The factor (without its secret)."]
    fetch_factor, fetch_factor_async(identity, factor_sid),
    args = "identity: string, factorSid: string, options?: NowOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",

    #[doc = " A page of the entity's factors, oldest first (`limit` and `pageToken` as for"]
    #[doc = " `listEntities`)."]
    list_factors, list_factors_async(identity),
    args = "identity: string, options?: ListOptions", returns = "Page<FactorInstance>",
    promise = "Promise<Page<FactorInstance>>",

    #[doc = " Changes a factor's name, TOTP settings or metadata."]
    update_factor, update_factor_async(identity, factor_sid),
    args = "identity: string, factorSid: string, options?: UpdateFactorOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",

    #[doc = " Verifies an unverified factor with a code from the app. A wrong code is a `result`"]
    #[doc = " (`'invalid_code'`, `'replayed'`, `'outside_window'`), never an error."]
    verify_factor, verify_factor_async(identity, factor_sid, code),
    args = "identity: string, factorSid: string, code: string, options?: NowOptions",
    returns = "FactorInstance & { result: VerificationResult; resultOffset: number | null }",
    promise = "Promise<FactorInstance & { result: VerificationResult; resultOffset: number | null }>",

    #[doc = " Deletes the factor with its challenges."]
    delete_factor, delete_factor_async(identity, factor_sid),
    args = "identity: string, factorSid: string, options?: NowOptions", returns = "void",
    promise = "Promise<void>",

    #[doc = " Lifts a factor's lockout and resets its failure count."]
    unlock_factor, unlock_factor_async(identity, factor_sid),
    args = "identity: string, factorSid: string, options?: NowOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",

    #[doc = " Creates a challenge for a verified factor: `pending`, or answered at once when"]
    #[doc = " `authPayload` is given (then the answer has a `result`)."]
    create_challenge, create_challenge_async(identity, factor_sid),
    args = "identity: string, factorSid: string, options?: CreateChallengeOptions",
    returns = "ChallengeInstance", promise = "Promise<ChallengeInstance>",

    #[doc = " Answers a pending challenge with a code. A wrong code is a `result`, never an error."]
    update_challenge, update_challenge_async(identity, challenge_sid, auth_payload),
    args = "identity: string, challengeSid: string, authPayload: string, options?: UpdateChallengeOptions",
    returns = "ChallengeInstance & { result: VerificationResult; resultOffset: number | null }",
    promise = "Promise<ChallengeInstance & { result: VerificationResult; resultOffset: number | null }>",

    #[doc = " The challenge (its status as of `now`: a pending one past its expiration reads"]
    #[doc = " `'expired'`)."]
    fetch_challenge, fetch_challenge_async(identity, challenge_sid),
    args = "identity: string, challengeSid: string, options?: NowOptions", returns = "ChallengeInstance",
    promise = "Promise<ChallengeInstance>",

    #[doc = " A page of the entity's challenges, optionally of one factor or in one status, oldest"]
    #[doc = " first (`order: 'desc'` for newest first); `limit` and `pageToken` as for `listEntities`."]
    list_challenges, list_challenges_async(identity),
    args = "identity: string, options?: ListChallengesOptions", returns = "Page<ChallengeInstance>",
    promise = "Promise<Page<ChallengeInstance>>",

    #[doc = " Removes the unverified factors past their lifetime and the challenges answered or"]
    #[doc = " expired more than `challengeRetentionDays` ago; returns how many records it removed."]
    sweep, sweep_async(),
    args = "options?: NowOptions", returns = "number", promise = "Promise<number>",

    #[doc = " Rewrites every record not sealed under the active secret key (sealed under an older"]
    #[doc = " key of the ring, or plain with `acceptPlaintextRecords`) under the active key, in"]
    #[doc = " batches, safe while the service runs; returns how many it rewrote."]
    reseal, reseal_async(),
    args = "options?: NowOptions", returns = "number", promise = "Promise<number>",

    #[doc = " The stored record of an entity (versioned JSON text) for a host's own database."]
    export_entity, export_entity_async(identity),
    args = "identity: string, options?: NowOptions", returns = "string", promise = "Promise<string>",

    #[doc = " The stored record of a factor (versioned JSON text, with its secret) for a host's own"]
    #[doc = " database. Keep it as secret as the secret itself."]
    export_factor, export_factor_async(factor_sid),
    args = "factorSid: string, options?: NowOptions", returns = "string", promise = "Promise<string>",

    #[doc = " The stored record of a challenge (versioned JSON text)."]
    export_challenge, export_challenge_async(challenge_sid),
    args = "challengeSid: string, options?: NowOptions", returns = "string", promise = "Promise<string>",

    #[doc = " Puts an exported entity record (back) into this service; returns its view."]
    import_entity, import_entity_async(record),
    args = "record: string, options?: NowOptions", returns = "EntityInstance",
    promise = "Promise<EntityInstance>",

    #[doc = " Puts an exported factor record (back) into this service; returns its view."]
    import_factor, import_factor_async(record),
    args = "record: string, options?: NowOptions", returns = "FactorInstance",
    promise = "Promise<FactorInstance>",

    #[doc = " Puts an exported challenge record (back) into this service; returns its view."]
    import_challenge, import_challenge_async(record),
    args = "record: string, options?: NowOptions", returns = "ChallengeInstance",
    promise = "Promise<ChallengeInstance>",
}
