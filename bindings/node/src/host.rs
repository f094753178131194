//! Stores the application writes in JavaScript: `new Verify({ issuer, store: { get, list, scan,
//! commit } })`, whose methods may answer with Promises.
//!
//! Each operation runs as the sans-I/O steps of `watchword_store::host` ([`HostSteps`] here
//! wraps them): it asks for a record, a listing or a commit, and the few lines of JavaScript
//! of [`DRIVERS_SOURCE`] call the store's method and hand its answer back, synchronously for
//! the synchronous methods and with `await` for their Promise forms. The Promise forms work out
//! each step on the libuv thread pool (`prepareAsync`: core's rules, and any hashing of a
//! recovery code, stay off the event loop) and call the store on the event loop, so no thread
//! ever waits for JavaScript. Every answer of the store is checked
//! in `watchword_store::host` (unreadable records, another key or identity, listings out of
//! place); here only its JavaScript type is.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::{
    AsyncTask, ClassInstance, JavaScriptClassExt, JsObjectValue, Object, ToNapiValue, Unknown,
};
use napi::{sys, Env, JsValue, Status, Task, ValueType};
use napi_derive::napi;
use watchword_core::service::{Answer, Cursor, ServiceConfig};
use watchword_core::Error;
use watchword_store::host::Pending;
use watchword_store::{HostStep, HostSteps as CoreSteps};

use crate::args::describe;
use crate::error::{boundary, panic_message, Fail, Out};
use crate::service::Answered;

/// The drivers, `[driveSync, driveAsync]`: each takes the store, the operation's
/// [`HostSteps`] and the name of the method that runs it, and asks the store what the steps
/// need until they answer. An exception or a rejection of the store becomes its message
/// (`giveError`), which the steps turn into the `storage` error.
pub(crate) const DRIVERS_SOURCE: &str = r#"(() => {
  'use strict'
  const why = (e) => {
    try {
      return e instanceof Error ? String(e.message) : String(e)
    } catch {
      return 'it threw a value that cannot be shown'
    }
  }
  const ask = (store, s) => {
    switch (s.step) {
      case 'get': return store.get(s.service, s.kind, s.key)
      case 'list': return store.list(s.service, s.identity, s.kind, s.after, s.limit)
      case 'scan': return store.scan(s.service, s.kind, s.after, s.limit)
      default: return store.commit(s.writes)
    }
  }
  const give = (steps, s, value) => {
    if (s.step === 'get') steps.giveRecord(value)
    else if (s.step === 'commit') steps.giveCommit(value)
    else steps.giveRecords(value)
  }
  const thenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'
  function driveSync(store, steps, method) {
    for (;;) {
      const s = steps.next()
      if (steps.done) return s
      let value
      try {
        value = ask(store, s)
        if (thenable(value)) value.then(undefined, () => {})
      } catch (e) {
        steps.giveError(why(e))
        continue
      }
      if (thenable(value)) return steps.refusePromise(method)
      give(steps, s, value)
    }
  }
  async function driveAsync(store, steps) {
    for (;;) {
      await steps.prepareAsync()
      const s = steps.next()
      if (steps.done) return s
      let value
      try {
        value = await ask(store, s)
      } catch (e) {
        steps.giveError(why(e))
        continue
      }
      give(steps, s, value)
    }
  }
  return [driveSync, driveAsync]
})()"#;

/// The methods a store object must have.
const METHODS: [&str; 4] = ["get", "list", "scan", "commit"];

/// A service over a store object: its settings and the object.
pub(crate) struct Host {
    pub(crate) config: ServiceConfig,
    pub(crate) store: napi::UnknownRef,
}

/// Checks that `value`, the `store` setting given as an object, has the store's methods.
pub(crate) fn check_store(value: &Unknown) -> Out<()> {
    // SAFETY: the caller checked that it is an object.
    let object = unsafe { value.cast::<Object>()? };
    for method in METHODS {
        let found: Unknown = object.get_named_property(method)?;
        if found.get_type()? != ValueType::Function {
            return Err(Fail::Type(format!(
                "settings.store must be a store URL or an object with the methods get, list, scan and commit; \
                 its {method} is {}",
                describe(&found)
            )));
        }
    }
    Ok(())
}

/// How the answer of finished steps becomes what the method returns.
pub(crate) type Finish = Box<dyn FnOnce(Result<Answer, Error>) -> Out<Answered>>;

/// One operation over a store object, as steps: made by `Verify`'s methods when its `store`
/// is an object, and driven by them (never constructed directly). `next()` says what the
/// operation needs from the store — `{ step: 'get', service, kind, key }`,
/// `{ step: 'list', service, identity, kind, after, limit }`,
/// `{ step: 'scan', service, kind, after, limit }` or `{ step: 'commit', writes }` — and the
/// store's answer goes back with `giveRecord`, `giveRecords`, `giveCommit`, or `giveError`
/// with the store's error message; once `done`, `next()` returned the method's answer (or
/// threw its error).
#[napi]
pub struct HostSteps {
    steps: Arc<Mutex<CoreSteps>>,
    /// The next step, worked out on the thread pool by `prepareAsync`.
    prepared: Arc<Mutex<Option<HostStep>>>,
    /// Whether `next()` returned the answer (or threw), or the steps were refused.
    ended: bool,
    finish: Option<Finish>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Works out the next step of [`HostSteps`] on a pool thread (core only: the store is not
/// called there).
pub struct Prepare {
    steps: Arc<Mutex<CoreSteps>>,
    prepared: Arc<Mutex<Option<HostStep>>>,
}

impl Task for Prepare {
    /// `Err`: the message of a panic.
    type Output = Result<(), String>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = AssertUnwindSafe(|| {
            let mut prepared = lock(&self.prepared);
            if prepared.is_none() {
                *prepared = Some(lock(&self.steps).next_step());
            }
        });
        Ok(catch_unwind(work).map_err(|panic| panic_message(&*panic)))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<()> {
        output.map_err(|message| napi::Error::new(Status::GenericFailure, message))
    }
}

/// A place in a listing: the last record the previous read gave (its `dateCreated` in Unix
/// seconds, and its key). Listings are ordered by `created`, then `key`.
#[napi(object, object_from_js = false)]
pub struct StoreCursor {
    /// The record's `date_created`, Unix seconds.
    pub created: f64,
    /// The record's key (identity for entities, sid otherwise).
    pub key: String,
}

/// One write of a commit as a store object applies it: a compare-and-set on
/// (`service`, `kind`, `key`) — the store must hold `expectedVersion` now (0: no record) —
/// that puts `record` with `version`, `identity` and `created`, or deletes the row when
/// `record` is `null` (then `identity` is `''` and `created` 0).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct StoreWrite {
    /// The service namespace.
    pub service: String,
    /// `'entity'`, `'factor'`, `'challenge'`, `'tombstone'`, `'service'` (and any later kind).
    pub kind: String,
    /// The identity for entities, the sid otherwise.
    pub key: String,
    /// The identity the record belongs to (`''` for a delete).
    pub identity: String,
    /// The record's `date_created`, Unix seconds (0 for a delete): with `key`, its place in
    /// listings.
    pub created: f64,
    /// The version the store must hold now; 0: the record must not exist.
    pub expected_version: f64,
    /// The new version (for a delete, the version removed).
    pub version: f64,
    /// The new stored JSON text, or `null` to delete the record.
    pub record: Option<String>,
}

/// What [`HostSteps::next`] answers.
// Made once per step and handed to JavaScript at once: boxing the answer would cost an
// allocation for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Next {
    /// A step for the store (never `HostStep::Done`), as a plain object.
    Step(HostStep),
    /// The operation's answer.
    Done(Answered),
}

/// The largest integer a JavaScript number holds exactly: a listing's `limit` when the
/// operation wants every record (a store may not take a bigger number, PostgreSQL's `LIMIT`
/// for one).
const MAX_SAFE_INTEGER: usize = (1 << 53) - 1;

fn limit(limit: usize) -> f64 {
    limit.min(MAX_SAFE_INTEGER) as f64
}

impl ToNapiValue for Next {
    unsafe fn to_napi_value(env: sys::napi_env, next: Next) -> napi::Result<sys::napi_value> {
        let wrapper = Env::from_raw(env);
        let mut object = Object::new(&wrapper)?;
        let step = match next {
            // SAFETY: handed on with the caller's environment.
            Next::Done(answer) => return unsafe { ToNapiValue::to_napi_value(env, answer) },
            Next::Step(step) => step,
        };
        match step {
            HostStep::Get { service, kind, key } => {
                object.set_named_property("step", "get")?;
                object.set_named_property("service", service)?;
                object.set_named_property("kind", kind.as_str())?;
                object.set_named_property("key", key)?;
            }
            HostStep::List { service, identity, kind, after, limit } => {
                object.set_named_property("step", "list")?;
                object.set_named_property("service", service)?;
                object.set_named_property("identity", identity)?;
                object.set_named_property("kind", kind.as_str())?;
                set_after(&mut object, after)?;
                object.set_named_property("limit", self::limit(limit))?;
            }
            HostStep::Scan { service, kind, after, limit } => {
                object.set_named_property("step", "scan")?;
                object.set_named_property("service", service)?;
                object.set_named_property("kind", kind.as_str())?;
                set_after(&mut object, after)?;
                object.set_named_property("limit", self::limit(limit))?;
            }
            HostStep::Commit(writes) => {
                let writes: Vec<StoreWrite> = writes
                    .into_iter()
                    .map(|w| StoreWrite {
                        service: w.service,
                        kind: w.kind.to_string(),
                        key: w.key,
                        identity: w.identity,
                        created: w.created as f64,
                        expected_version: w.expected_version as f64,
                        version: w.version as f64,
                        record: w.record,
                    })
                    .collect();
                object.set_named_property("step", "commit")?;
                object.set_named_property("writes", writes)?;
            }
            HostStep::Done(_) => return Err(napi::Error::new(Status::GenericFailure, "a step that ended")),
        }
        Ok(object.raw())
    }
}

fn set_after(object: &mut Object, after: Option<Cursor>) -> napi::Result<()> {
    match after {
        Some(c) => object.set_named_property("after", StoreCursor { created: c.created as f64, key: c.key }),
        None => object.set_named_property("after", napi::bindgen_prelude::Null),
    }
}

impl napi::bindgen_prelude::TypeName for Next {
    fn type_name() -> &'static str {
        "Next"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl HostSteps {
    /// The steps of `request`, whose answer `finish` turns into the method's.
    pub(crate) fn new(steps: CoreSteps, finish: Finish) -> HostSteps {
        HostSteps {
            steps: Arc::new(Mutex::new(steps)),
            prepared: Arc::new(Mutex::new(None)),
            ended: false,
            finish: Some(finish),
        }
    }

    fn advance(&mut self) -> Out<Next> {
        if self.ended {
            return Err(Fail::Type("these steps have ended".to_string()));
        }
        // A step worked out by `prepareAsync` is pending in core but not yet handed out.
        let prepared = lock(&self.prepared).take();
        let step = match prepared {
            Some(step) => step,
            None => {
                let mut steps = lock(&self.steps);
                if steps.pending().is_some() {
                    return Err(Fail::Type("the store has not answered the pending step yet".to_string()));
                }
                steps.next_step()
            }
        };
        match step {
            HostStep::Done(answer) => {
                self.ended = true;
                let finish = self.finish.take().ok_or_else(|| Fail::Type("these steps have ended".to_string()))?;
                Ok(Next::Done(finish(answer)?))
            }
            step => Ok(Next::Step(step)),
        }
    }

    /// The core steps, when the step `next()` handed out is one of `wanted` (`method` is the
    /// one answering it).
    fn answering(&self, wanted: &[Pending], method: &str) -> Out<MutexGuard<'_, CoreSteps>> {
        let steps = lock(&self.steps);
        let handed_out = lock(&self.prepared).is_none();
        match steps.pending() {
            Some(pending) if handed_out && wanted.contains(&pending) => Ok(steps),
            _ => Err(Fail::Type(format!("{method} does not answer the pending step"))),
        }
    }
}

/// `value` as a record's text: `Err` with what the store answered instead.
fn text(value: &Unknown) -> Out<Result<String, &'static str>> {
    Ok(match value.get_type()? {
        // SAFETY: checked to be a string.
        ValueType::String => Ok(unsafe { value.cast::<String>()? }),
        _ => Err(describe(value)),
    })
}

#[napi]
impl HostSteps {
    /// What the operation needs from the store next, or (once `done`) the method's answer.
    #[napi(ts_return_type = "StoreStep | unknown")]
    pub fn next(&mut self, env: Env) -> napi::Result<Next> {
        boundary(&env, || self.advance())
    }

    /// Works out the next step on the libuv thread pool, for the Promise forms: the following
    /// `next()` answers it without running core on the event loop.
    #[napi]
    pub fn prepare_async(&self) -> AsyncTask<Prepare> {
        AsyncTask::new(Prepare { steps: Arc::clone(&self.steps), prepared: Arc::clone(&self.prepared) })
    }

    /// Whether the operation ended (`next()` returned its answer or threw its error).
    #[napi(getter)]
    pub fn done(&self) -> bool {
        self.ended
    }

    /// Answers a `get` step with the stored text, or `null`/`undefined` when there is none.
    /// Any other value is the `storage` error.
    #[napi(ts_args_type = "text: string | null | undefined")]
    pub fn give_record(&mut self, env: Env, text_or_null: Unknown) -> napi::Result<()> {
        boundary(&env, || {
            let mut steps = self.answering(&[Pending::Get], "giveRecord")?;
            let answer = match text_or_null.get_type()? {
                ValueType::Null | ValueType::Undefined => Ok(None),
                _ => text(&text_or_null)?
                    .map(Some)
                    .map_err(|what| format!("its get answered {what}, not a record's text (a string) or null")),
            };
            steps.give_record(answer);
            Ok(())
        })
    }

    /// Answers a `list` or `scan` step with an array of stored texts. Anything else is the
    /// `storage` error.
    #[napi(ts_args_type = "texts: string[]")]
    pub fn give_records(&mut self, env: Env, texts: Unknown) -> napi::Result<()> {
        boundary(&env, || {
            let mut steps = self.answering(&[Pending::List, Pending::Scan], "giveRecords")?;
            let answer = records(&texts)?;
            steps.give_records(answer);
            Ok(())
        })
    }

    /// Answers a `commit` step: `true` when every write was applied, `false` when a stored
    /// version differed (a conflict: the operation runs again). Anything else is the
    /// `storage` error.
    #[napi(ts_args_type = "applied: boolean")]
    pub fn give_commit(&mut self, env: Env, applied: Unknown) -> napi::Result<()> {
        boundary(&env, || {
            let mut steps = self.answering(&[Pending::Commit], "giveCommit")?;
            let answer = match applied.get_type()? {
                // SAFETY: checked to be a boolean.
                ValueType::Boolean => Ok(unsafe { applied.cast::<bool>()? }),
                _ => Err(format!("its commit answered {}, not true or false", describe(&applied))),
            };
            steps.give_commit(answer);
            Ok(())
        })
    }

    /// Answers the pending step with the store's failure (its exception's message): the
    /// operation ends with the `storage` error carrying it.
    #[napi]
    pub fn give_error(&mut self, env: Env, message: String) -> napi::Result<()> {
        boundary(&env, || {
            let mut steps =
                self.answering(&[Pending::Get, Pending::List, Pending::Scan, Pending::Commit], "giveError")?;
            steps.give_error(message);
            Ok(())
        })
    }

    /// Ends the steps of a synchronous method whose store answered with a Promise: throws
    /// the `TypeError` that names the method's Promise form.
    #[napi]
    pub fn refuse_promise(&mut self, env: Env, method: String) -> napi::Result<()> {
        self.ended = true;
        self.finish = None;
        boundary(&env, || {
            Err(Fail::Type(format!(
                "this store answers with Promises: use {method}Async, the Promise form of {method}"
            )))
        })
    }
}

/// An array of stored texts, or what the store answered instead.
fn records(value: &Unknown) -> Out<Result<Vec<String>, String>> {
    if !value.is_array()? {
        return Ok(Err(format!("its list or scan answered {}, not an array of records' texts", describe(value))));
    }
    // SAFETY: checked to be an array.
    let array = unsafe { value.cast::<Object>()? };
    let length = array.get_array_length()?;
    let mut texts = Vec::with_capacity(length as usize);
    for i in 0..length {
        let item: Unknown = array.get_element(i)?;
        match text(&item)? {
            Ok(text) => texts.push(text),
            Err(what) => {
                return Ok(Err(format!("its list or scan answered an array holding {what}, not only records' texts")));
            }
        }
    }
    Ok(Ok(texts))
}

/// Runs `steps` through the store with the synchronous (`promise` false) or the Promise
/// driver; `method` names the method in errors. The value is the driver's: the method's answer
/// (thrown error pending) or its promise.
pub(crate) fn drive<'e>(env: &'e Env, host: &Host, steps: HostSteps, method: &str, promise: bool) -> Out<Unknown<'e>> {
    let instance = crate::instance::get(env)?;
    let driver = instance.drivers[usize::from(promise)].get_value(env)?;
    let store = host.store.get_value(env)?;
    let steps: ClassInstance<HostSteps> = steps.into_instance(env)?;
    let name = env.create_string(method)?;
    let mut undefined = std::ptr::null_mut();
    let mut out = std::ptr::null_mut();
    let args = [store.raw(), steps.value, name.raw()];
    // SAFETY: every value belongs to `env`, the environment of this call.
    let status = unsafe {
        sys::napi_get_undefined(env.raw(), &mut undefined);
        sys::napi_call_function(env.raw(), undefined, driver.raw(), args.len(), args.as_ptr(), &mut out)
    };
    match status {
        // SAFETY: the value the driver returned, in `env`.
        sys::Status::napi_ok => Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), out) }),
        sys::Status::napi_pending_exception => Err(Fail::Napi(napi::Error::from_status(Status::PendingException))),
        other => Err(Fail::Napi(napi::Error::new(Status::from(other), "could not run the store's steps"))),
    }
}
