//! `ww_service`: the Verify service (entities, factors, challenges) over the store its
//! `store` setting names (`memory:` by default; SQLite and PostgreSQL URLs, SPEC §9).
//!
//! Every operation is core's: each typed function assembles its named arguments for core's
//! `Request::parse` (the same reading every surface uses), runs the request, and hands over
//! the answer's JSON view when the caller asks for it. `ww_service_call` forwards an operation
//! name and its JSON arguments as they are. The code-checking calls also fill a `ww_outcome`,
//! so that the common path needs no JSON parser; given no options, they call core's typed
//! operation straight away, since their named arguments are all texts and there is nothing
//! left to read by name.

use std::ffi::{c_char, CStr};

use serde_json::{Map, Value};
use watchword_core::service::{
    unix_now, Answer, Arguments, ChallengeStatus, FactorStatus, NewChallenge, Request, ServiceConfig, Verification,
    Verify,
};
use watchword_store::AnyStore;

use crate::boundary::{arg_ref, arg_str, arg_text, Out, OutString};
use crate::error::Failure;
use crate::result::ww_result;
use crate::status::ww_status;

/// What a code-checking call did (`ww_service_verify_factor`, `ww_service_create_challenge`,
/// `ww_service_update_challenge`), for callers that want it without parsing the JSON view.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ww_outcome {
    /// Whether a code was checked; `false` for a challenge created without one (then `result`
    /// is `WW_RESULT_INVALID_CODE` and `offset` 0, and only `status` says anything).
    pub checked: bool,
    /// How the code fared: `WW_RESULT_APPROVED`, `WW_RESULT_INVALID_CODE`,
    /// `WW_RESULT_REPLAYED` or `WW_RESULT_OUTSIDE_WINDOW`.
    pub result: ww_result,
    /// Whether `offset` holds the matched step (not for `WW_RESULT_INVALID_CODE`).
    pub has_offset: bool,
    /// The matched step minus the current one (negative: the code came from the past).
    pub offset: i64,
    /// The factor's or challenge's status after the call, as the view spells it
    /// (`"verified"`, `"approved"`, `"pending"` …): a static string, never freed.
    pub status: *const c_char,
}

impl ww_outcome {
    fn new(verification: Option<&Verification>, status: &'static CStr) -> ww_outcome {
        ww_outcome {
            checked: verification.is_some(),
            result: verification.map_or(ww_result::InvalidCode, |v| ww_result::from_core(v.result)),
            has_offset: verification.is_some_and(|v| v.offset.is_some()),
            offset: verification.and_then(|v| v.offset).unwrap_or(0),
            status: status.as_ptr(),
        }
    }
}

fn factor_status(status: FactorStatus) -> &'static CStr {
    match status {
        FactorStatus::Unverified => c"unverified",
        FactorStatus::Verified => c"verified",
    }
}

fn challenge_status(status: ChallengeStatus) -> &'static CStr {
    match status {
        ChallengeStatus::Pending => c"pending",
        ChallengeStatus::Approved => c"approved",
        ChallengeStatus::Denied => c"denied",
        ChallengeStatus::Expired => c"expired",
    }
}

/// A Verify service with Twilio Verify semantics over a store: the in-memory store by default,
/// or the SQLite or PostgreSQL database its `store` setting names. Create it with
/// `ww_service_new`, free it with `ww_service_free`.
///
/// Thread safety: safe to share. Any number of threads may call any `ww_service_*` function
/// on the same handle at the same time; records change with compare-and-set, so a code is
/// approved at most once even when several threads — or several processes and machines
/// sharing one database — present it together (the others see `"replayed"`). Free it only
/// after every other call on it has returned. A call on a database store blocks the calling
/// thread while it waits for the database.
///
/// Every operation takes `now`, the Unix time it happens at (`ww_unix_now()` for the system
/// clock; tests pass fixed times), and answers with JSON text in `*out_json` that the caller
/// frees with `ww_string_free`. A wrong code is a result in that JSON (`"result":
/// "invalid_code"`, `"replayed"`, `"outside_window"` …), never a failure status.
pub struct ww_service {
    inner: Verify<AnyStore>,
}

impl From<Verify<AnyStore>> for ww_service {
    fn from(inner: Verify<AnyStore>) -> ww_service {
        ww_service { inner }
    }
}

/// The system clock in Unix seconds, for the `now` argument of the service functions.
#[no_mangle]
pub extern "C" fn ww_unix_now() -> u64 {
    ffi_boundary!(value(0), { unix_now() })
}

/// Creates a service. `settings_json` is a JSON object of settings: `issuer` is required;
/// every other setting (`code_length`, `skew`, `time_step`, `alg`, `challenge_expiration`,
/// lockout and quota limits, `recovery_code_iterations` …) defaults to Twilio's value; unknown keys are rejected
/// (`WW_STATUS_INVALID_PARAMETER` naming the setting and its range).
///
/// `store` is the URL of the store (default `"memory:"`, an empty in-process store):
/// `"sqlite:///relative/path"`, `"sqlite:////absolute/path"` (one file shared by the processes
/// of a machine) or `"postgresql://user:password@host/db"` (shared by every machine). `service`
/// (1–64 of `[A-Za-z0-9_-]`, default `"default"`) is the namespace of this service's records
/// in the store. A malformed URL is `WW_STATUS_INVALID_PARAMETER`, a store that cannot be
/// opened `WW_STATUS_STORAGE`; neither message repeats the URL (it may hold a password).
/// On success `*out_service` receives the handle.
///
/// Sealed records (recommended): `"secret_keys": {"2026-12": "<Base64 of 32 bytes>"}` with
/// `"active_secret_key": "2026-12"` seal every record the store holds and every export; keys
/// come from `ww_secret_key_generate`. `"accept_plaintext_records": true` reads records written
/// before the keys were set, during a migration (see `ww_service_reseal`). The copy of the keys
/// the library parses is wiped once read; wipe `settings_json` after the call.
#[no_mangle]
pub extern "C" fn ww_service_new(settings_json: *const c_char, out_service: *mut *mut ww_service) -> ww_status {
    ffi_boundary!({
        // SAFETY: `settings_json` is NUL-terminated; `out_service` is writable.
        let settings = unsafe { arg_str(settings_json, "settings_json") }?;
        let out = unsafe { Out::new(out_service, "out_service") }?;
        let inner = watchword_store::service(ServiceConfig::from_json(settings)?)?;
        out.write(Box::into_raw(Box::new(ww_service { inner })));
        Ok(())
    })
}

/// Frees a service and closes its store (an in-memory store's records go with it; a
/// database keeps them). NULL is a no-op.
#[no_mangle]
pub extern "C" fn ww_service_free(service: *mut ww_service) {
    ffi_boundary!(value(()), {
        if !service.is_null() {
            // SAFETY: a non-NULL pointer came from `ww_service_new` and is freed once.
            drop(unsafe { Box::from_raw(service) });
        }
    })
}

/// Runs the operation `op` with the JSON object `args_json` (`""` or `"{}"` for none) at Unix
/// time `now`. Operations and their arguments (snake_case; optional ones may be left out or
/// null; unknown ones are rejected):
///
/// | op | args |
/// |---|---|
/// | create_entity, fetch_entity, delete_entity | identity |
/// | list_entities | limit?, page_token? |
/// | sweep, reseal | — |
/// | create_factor | identity, friendly_name, factor_type?, count?, secret?, alg?, code_length?, time_step?, skew?, metadata? |
/// | fetch_factor, delete_factor, unlock_factor | identity, factor_sid |
/// | list_factors | identity, limit?, page_token? |
/// | update_factor | identity, factor_sid, friendly_name?, alg?, code_length?, time_step?, skew?, metadata?, regenerate? |
/// | verify_factor | identity, factor_sid, code |
/// | create_challenge | identity, factor_sid, auth_payload?, expiration_date?, details?, hidden_details?, metadata? |
/// | update_challenge | identity, challenge_sid, auth_payload, metadata? |
/// | fetch_challenge | identity, challenge_sid |
/// | list_challenges | identity, factor_sid?, status?, order?, limit?, page_token? |
/// | export_entity / export_factor / export_challenge | identity / factor_sid / challenge_sid |
/// | import_entity / import_factor / import_challenge | record |
///
/// `*out_json` receives the answer: a public view (`{"sid": …, "status": …}`; the factor
/// created also carries `binding` {secret, uri}, this once; a verification adds `result` and
/// `result_offset`), a page of views (list operations, see `ww_service_list_entities`), a
/// stored record as a JSON string, the number of records `sweep` removed or `reseal` rewrote, or `null`. Free it with `ww_string_free`. An unknown `op` is
/// `WW_STATUS_INVALID_PARAMETER`; the failure statuses are the service's errors
/// (`WW_STATUS_CHALLENGE_EXPIRED` …), with details in the last error.
#[no_mangle]
pub extern "C" fn ww_service_call(
    service: *const ww_service,
    op: *const c_char,
    args_json: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `service` came from `ww_service_new`; `op` and `args_json` are NUL-terminated;
        // `out_json` is writable.
        let service = unsafe { arg_ref(service, "service") }?;
        let op = unsafe { arg_str(op, "op") }?;
        let args = unsafe { arg_str(args_json, "args_json") }?;
        let out = unsafe { OutString::new(out_json, "out_json") }?;
        out.write(service.inner.call(op, args, now)?)
    })
}

/// The arguments of a typed call: named parameters plus an options object.
struct Call<'a> {
    service: &'a ww_service,
    args: Args,
}

/// The most named parameters a typed call passes.
const NAMED: usize = 4;

/// A call's arguments: the named parameters (held in place: neither a map nor a vector is
/// allocated for them) and the options object.
#[derive(Default)]
struct Args {
    named: [Option<(&'static str, Value)>; NAMED],
    options: Map<String, Value>,
}

impl Args {
    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.named.iter().flatten().map(|(name, _)| *name)
    }

    fn push(&mut self, name: &'static str, value: Value) -> Result<(), Failure> {
        match self.named.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => {
                *slot = Some((name, value));
                Ok(())
            }
            None => Err(Failure::Panic(format!("internal error: more than {NAMED} named parameters"))),
        }
    }
}

impl Arguments for Args {
    fn take(&mut self, name: &'static str) -> Result<Option<Value>, watchword_core::Error> {
        match self.named.iter_mut().find(|slot| matches!(slot, Some((n, _)) if *n == name)) {
            Some(slot) => Ok(slot.take().map(|(_, value)| value)),
            None => self.options.take(name),
        }
    }

    fn has_other(&self, read: &[&'static str]) -> bool {
        self.names().next().is_some() || self.options.has_other(read)
    }

    fn is_empty(&self) -> bool {
        self.names().next().is_none() && self.options.is_empty()
    }
}

impl<'a> Call<'a> {
    /// # Safety
    /// `service` must be NULL or come from `ww_service_new`.
    unsafe fn new(service: *const ww_service) -> Result<Call<'a>, Failure> {
        // SAFETY: forwarded promise.
        Ok(Call::on(unsafe { arg_ref(service, "service") }?))
    }

    fn on(service: &'a ww_service) -> Call<'a> {
        Call { service, args: Args::default() }
    }

    /// Adds a text parameter already read.
    fn with(&mut self, name: &'static str, value: &str) -> Result<&mut Call<'a>, Failure> {
        self.args.push(name, Value::String(value.to_owned()))?;
        Ok(self)
    }

    /// Adds a NUL-terminated text parameter.
    ///
    /// # Safety
    /// `ptr` must be NULL or NUL-terminated.
    unsafe fn text(&mut self, name: &'static str, ptr: *const c_char) -> Result<&mut Call<'a>, Failure> {
        // SAFETY: forwarded promise.
        self.with(name, unsafe { arg_str(ptr, name) }?)
    }

    /// Merges the optional arguments given as a JSON object (`""` for none). An option that
    /// repeats a named parameter is an error, not an override.
    ///
    /// # Safety
    /// `ptr` must be NULL or NUL-terminated.
    unsafe fn options(&mut self, ptr: *const c_char) -> Result<&mut Call<'a>, Failure> {
        // SAFETY: forwarded promise.
        self.options_text(unsafe { arg_str(ptr, "options_json") }?)
    }

    /// [`Call::options`] over the text already read.
    fn options_text(&mut self, text: &str) -> Result<&mut Call<'a>, Failure> {
        const EXPECTED: &str = "a JSON object of the operation's optional arguments, or \"\" for none";
        if no_options(text) {
            return Ok(self);
        }
        let Ok(Value::Object(options)) = serde_json::from_str::<Value>(text) else {
            return Err(Failure::invalid("options_json", EXPECTED));
        };
        if self.args.names().any(|name| options.contains_key(name)) {
            return Err(Failure::invalid("options_json", "no argument that is also passed as a parameter"));
        }
        self.args.options = options;
        Ok(self)
    }

    /// Runs `op`.
    #[inline(always)]
    fn answer(mut self, op: &str, now: u64) -> Result<Answer, Failure> {
        let request = Request::from_arguments(op, &mut self.args)?;
        Ok(self.service.inner.execute(request, now)?)
    }

    /// Runs `op` and hands the JSON answer to the caller.
    fn run(self, op: &str, now: u64, out: OutString) -> Result<(), Failure> {
        out.write(self.answer(op, now)?.view(now).to_string())
    }

    /// Runs an export and hands the record text (not JSON-quoted) to the caller.
    fn run_export(self, op: &str, now: u64, out: OutString) -> Result<(), Failure> {
        match self.answer(op, now)? {
            Answer::Record(record) => out.write(record),
            _ => Err(Failure::Panic(format!("internal error: {op} did not answer with a record"))),
        }
    }
}

/// Hands a code-checking call's answer to the caller: fills `*outcome` and `*out_json` where
/// they are not NULL (the view is not even made when `out_json` is NULL).
///
/// # Safety
/// `outcome` and `out_json` must each be NULL or writable.
unsafe fn deliver(
    answer: &Answer,
    op: &str,
    now: u64,
    outcome: *mut ww_outcome,
    out_json: *mut *mut c_char,
) -> Result<(), Failure> {
    if !outcome.is_null() {
        let filled = match answer {
            Answer::Factor(f, v) => ww_outcome::new(v.as_ref(), factor_status(f.status)),
            Answer::Challenge(c, v) => ww_outcome::new(v.as_ref(), challenge_status(c.status_at(now))),
            _ => return Err(Failure::Panic(format!("internal error: {op} answered with no verification"))),
        };
        // SAFETY: non-NULL and writable, as promised.
        unsafe { outcome.write(filled) };
    }
    if !out_json.is_null() {
        // SAFETY: non-NULL and writable, as promised.
        unsafe { OutString::new(out_json, "out_json") }?.write(answer.view(now).to_string())?;
    }
    Ok(())
}

/// Whether an `options_json` argument gives no options.
fn no_options(text: &str) -> bool {
    text.trim().is_empty()
}

/// # Safety
/// `out_json` must be NULL or writable.
unsafe fn out(out_json: *mut *mut c_char) -> Result<OutString, Failure> {
    // SAFETY: forwarded promise.
    unsafe { OutString::new(out_json, "out_json") }
}

/// `create_entity`: creates the entity `identity` (8–64 dash-separated ASCII letters and
/// digits). `*out_json`: the entity view. Entities are also created with their first factor.
#[no_mangle]
pub extern "C" fn ww_service_create_entity(
    service: *const ww_service,
    identity: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity) }?;
        call.run("create_entity", now, unsafe { out(out_json) }?)
    })
}

/// `fetch_entity`. `*out_json`: the entity view.
#[no_mangle]
pub extern "C" fn ww_service_fetch_entity(
    service: *const ww_service,
    identity: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity) }?;
        call.run("fetch_entity", now, unsafe { out(out_json) }?)
    })
}

/// `list_entities`: the first page of the service's entities, oldest first, with the default
/// page size (50). `*out_json`: a page, `{"items": [entity views…], "next_page_token": "…"}`;
/// `next_page_token` is `null` on the last page. `ww_service_list_entities_page` reads the
/// next pages.
#[no_mangle]
pub extern "C" fn ww_service_list_entities(
    service: *const ww_service,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let call = unsafe { Call::new(service) }?;
        call.run("list_entities", now, unsafe { out(out_json) }?)
    })
}

/// `list_entities` with paging. `options_json`: `""` or an object with any of `limit`
/// (1–1000, default 50) and `page_token` (the `next_page_token` of the previous page).
/// `*out_json`: a page as `ww_service_list_entities` answers it.
#[no_mangle]
pub extern "C" fn ww_service_list_entities_page(
    service: *const ww_service,
    options_json: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.options(options_json) }?;
        call.run("list_entities", now, unsafe { out(out_json) }?)
    })
}

/// `delete_entity`: deletes the entity with its factors and challenges. `*out_json`: `null`.
#[no_mangle]
pub extern "C" fn ww_service_delete_entity(
    service: *const ww_service,
    identity: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity) }?;
        call.run("delete_entity", now, unsafe { out(out_json) }?)
    })
}

/// `create_factor`: a new, unverified TOTP factor for `identity` (the entity is created when
/// missing). `options_json`: `""` or an object with any of `secret` (Base32, to import one),
/// `alg`, `code_length`, `time_step`, `skew`, `metadata`. `*out_json`: the factor view with
/// `binding` {secret, uri} — the only answer that ever carries the secret.
/// With `{"factor_type": "recovery_codes", "count": 10}` (count 1–20, default 10) the factor is
/// a verified set of single-use recovery codes and `binding` is {codes: ["xxxxx-xxxxx", …]},
/// shown this once; redeem a code as a challenge's code (`ww_service_create_challenge`). Each
/// redemption hashes the answer (PBKDF2, `recovery_code_iterations`): call it off any event loop.
#[no_mangle]
pub extern "C" fn ww_service_create_factor(
    service: *const ww_service,
    identity: *const c_char,
    friendly_name: *const c_char,
    options_json: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.text("friendly_name", friendly_name)?.options(options_json) }?;
        call.run("create_factor", now, unsafe { out(out_json) }?)
    })
}

/// `fetch_factor`. `*out_json`: the factor view (never the secret).
#[no_mangle]
pub extern "C" fn ww_service_fetch_factor(
    service: *const ww_service,
    identity: *const c_char,
    factor_sid: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.text("factor_sid", factor_sid) }?;
        call.run("fetch_factor", now, unsafe { out(out_json) }?)
    })
}

/// `list_factors`: the first page of the entity's factors, oldest first, with the default page
/// size (50). `*out_json`: a page, `{"items": [factor views…], "next_page_token": "…"}`
/// (`null` on the last page). `ww_service_list_factors_page` reads the next pages.
#[no_mangle]
pub extern "C" fn ww_service_list_factors(
    service: *const ww_service,
    identity: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity) }?;
        call.run("list_factors", now, unsafe { out(out_json) }?)
    })
}

/// `list_factors` with paging. `options_json`: `""` or an object with any of `limit`
/// (1–1000, default 50) and `page_token` (the previous page's `next_page_token`).
/// `*out_json`: a page as `ww_service_list_factors` answers it.
#[no_mangle]
pub extern "C" fn ww_service_list_factors_page(
    service: *const ww_service,
    identity: *const c_char,
    options_json: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.options(options_json) }?;
        call.run("list_factors", now, unsafe { out(out_json) }?)
    })
}

/// `update_factor`. `options_json`: `""` or an object with any of `friendly_name`, `alg`,
/// `code_length`, `time_step`, `skew`, `metadata`, and for a recovery-codes factor
/// `"regenerate": true`. `*out_json`: the factor view; with `regenerate`, with `binding`
/// {codes} of the new set (the old codes stop working).
#[no_mangle]
pub extern "C" fn ww_service_update_factor(
    service: *const ww_service,
    identity: *const c_char,
    factor_sid: *const c_char,
    options_json: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.text("factor_sid", factor_sid)?.options(options_json) }?;
        call.run("update_factor", now, unsafe { out(out_json) }?)
    })
}

/// `verify_factor`: checks the enrollment code (`code_len` bytes) of an unverified factor.
/// `*out_outcome` (may be NULL): the result, offset and the factor's status (`"verified"` when
/// the code was right). `*out_json` (may be NULL, and then no view is made): the factor view
/// with `result` and `result_offset`.
#[no_mangle]
pub extern "C" fn ww_service_verify_factor(
    service: *const ww_service,
    identity: *const c_char,
    factor_sid: *const c_char,
    code: *const c_char,
    code_len: usize,
    now: u64,
    out_outcome: *mut ww_outcome,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let (service, identity, factor_sid, code) = unsafe {
            (
                arg_ref(service, "service")?,
                arg_str(identity, "identity")?,
                arg_str(factor_sid, "factor_sid")?,
                arg_text(code, code_len, "code")?,
            )
        };
        let (factor, verification) = service.inner.verify_factor(identity, factor_sid, code, now)?;
        let answer = Answer::Factor(Box::new(factor), Some(verification));
        // SAFETY: as above.
        unsafe { deliver(&answer, "verify_factor", now, out_outcome, out_json) }
    })
}

/// `delete_factor`: deletes the factor and its challenges. `*out_json`: `null`.
#[no_mangle]
pub extern "C" fn ww_service_delete_factor(
    service: *const ww_service,
    identity: *const c_char,
    factor_sid: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.text("factor_sid", factor_sid) }?;
        call.run("delete_factor", now, unsafe { out(out_json) }?)
    })
}

/// `unlock_factor`: lifts a lockout and resets the failure count. `*out_json`: the factor view.
#[no_mangle]
pub extern "C" fn ww_service_unlock_factor(
    service: *const ww_service,
    identity: *const c_char,
    factor_sid: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.text("factor_sid", factor_sid) }?;
        call.run("unlock_factor", now, unsafe { out(out_json) }?)
    })
}

/// `create_challenge` for a verified factor. `code` (`code_len` bytes; NULL for none) is
/// checked at once, as Twilio's `AuthPayload`. `options_json`: `""` or an object with any of
/// `expiration_date` (Unix seconds or RFC 3339), `details` {message, fields: [{label, value}]},
/// `hidden_details`, `metadata` (or `auth_payload`, when `code` is NULL).
/// `*out_outcome` (may be NULL): whether a code was checked, the result, offset and the
/// challenge's status (`"approved"` when the code was right, else `"pending"`). `*out_json`
/// (may be NULL, and then no view is made): the challenge view.
#[no_mangle]
pub extern "C" fn ww_service_create_challenge(
    service: *const ww_service,
    identity: *const c_char,
    factor_sid: *const c_char,
    code: *const c_char,
    code_len: usize,
    options_json: *const c_char,
    now: u64,
    out_outcome: *mut ww_outcome,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let (service, identity, factor_sid) = unsafe {
            (arg_ref(service, "service")?, arg_str(identity, "identity")?, arg_str(factor_sid, "factor_sid")?)
        };
        // SAFETY: as above.
        let code = if code.is_null() { None } else { Some(unsafe { arg_text(code, code_len, "auth_payload") }?) };
        // SAFETY: as above.
        let options = unsafe { arg_str(options_json, "options_json") }?;
        let answer = if no_options(options) {
            // The common call, straight to core's typed operation.
            let challenge = NewChallenge { auth_payload: code.map(str::to_owned), ..NewChallenge::new(factor_sid) };
            let (challenge, verification) = service.inner.create_challenge(identity, challenge, now)?;
            Answer::Challenge(Box::new(challenge), verification)
        } else {
            let mut call = Call::on(service);
            call.with("identity", identity)?.with("factor_sid", factor_sid)?;
            if let Some(code) = code {
                call.with("auth_payload", code)?;
            }
            call.options_text(options)?;
            call.answer("create_challenge", now)?
        };
        // SAFETY: as above.
        unsafe { deliver(&answer, "create_challenge", now, out_outcome, out_json) }
    })
}

/// `update_challenge`: answers a pending challenge with `code` (`code_len` bytes).
/// `options_json`: `""` or `{"metadata": {…}}`. `*out_outcome` (may be NULL): the result,
/// offset and the challenge's status. `*out_json` (may be NULL, and then no view is made): the
/// challenge view with `result` and `result_offset`.
#[no_mangle]
pub extern "C" fn ww_service_update_challenge(
    service: *const ww_service,
    identity: *const c_char,
    challenge_sid: *const c_char,
    code: *const c_char,
    code_len: usize,
    options_json: *const c_char,
    now: u64,
    out_outcome: *mut ww_outcome,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let (service, identity, challenge_sid, code, options) = unsafe {
            (
                arg_ref(service, "service")?,
                arg_str(identity, "identity")?,
                arg_str(challenge_sid, "challenge_sid")?,
                arg_text(code, code_len, "auth_payload")?,
                arg_str(options_json, "options_json")?,
            )
        };
        let answer = if no_options(options) {
            // The common call, straight to core's typed operation.
            let (challenge, verification) = service.inner.update_challenge(identity, challenge_sid, code, None, now)?;
            Answer::Challenge(Box::new(challenge), Some(verification))
        } else {
            let mut call = Call::on(service);
            call.with("identity", identity)?.with("challenge_sid", challenge_sid)?.with("auth_payload", code)?;
            call.options_text(options)?;
            call.answer("update_challenge", now)?
        };
        // SAFETY: as above.
        unsafe { deliver(&answer, "update_challenge", now, out_outcome, out_json) }
    })
}

/// `fetch_challenge`. `*out_json`: the challenge view as of `now` (a pending challenge past
/// its expiration date reads as `"expired"`).
#[no_mangle]
pub extern "C" fn ww_service_fetch_challenge(
    service: *const ww_service,
    identity: *const c_char,
    challenge_sid: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.text("challenge_sid", challenge_sid) }?;
        call.run("fetch_challenge", now, unsafe { out(out_json) }?)
    })
}

/// `list_challenges`. `options_json`: `""` or an object with any of `factor_sid`, `status`
/// (pending/approved/denied/expired), `order` ("asc"/"desc"), `limit` (1–1000, default 50)
/// and `page_token` (the previous page's `next_page_token`). `*out_json`: a page,
/// `{"items": [challenge views…], "next_page_token": "…"}` (`null` on the last page).
#[no_mangle]
pub extern "C" fn ww_service_list_challenges(
    service: *const ww_service,
    identity: *const c_char,
    options_json: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity)?.options(options_json) }?;
        call.run("list_challenges", now, unsafe { out(out_json) }?)
    })
}

/// `sweep`: removes the unverified factors older than their lifetime and the challenges answered
/// or expired longer ago than `challenge_retention_days`. `*out_json`: the number of records
/// removed (JSON text such as `2`).
#[no_mangle]
pub extern "C" fn ww_service_sweep(service: *const ww_service, now: u64, out_json: *mut *mut c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let call = unsafe { Call::new(service) }?;
        call.run("sweep", now, unsafe { out(out_json) }?)
    })
}

/// `reseal`: rewrites every record not sealed under the active secret key (sealed under an
/// older key of the ring, or plain with `accept_plaintext_records`) under the active key, in
/// batches, each a compare-and-set, so it is safe while the service runs; run it again after an
/// interruption. `*out_json`: the number of records rewritten (JSON text such as `12`).
#[no_mangle]
pub extern "C" fn ww_service_reseal(service: *const ww_service, now: u64, out_json: *mut *mut c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let call = unsafe { Call::new(service) }?;
        call.run("reseal", now, unsafe { out(out_json) }?)
    })
}

/// `export_entity`: `*out_record` receives the stored record of the entity, the versioned JSON
/// text (`"v": 1`) a host keeps in its own database. Free it with `ww_string_free`.
#[no_mangle]
pub extern "C" fn ww_service_export_entity(
    service: *const ww_service,
    identity: *const c_char,
    now: u64,
    out_record: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("identity", identity) }?;
        call.run_export("export_entity", now, unsafe { OutString::new(out_record, "out_record") }?)
    })
}

/// `export_factor`: `*out_record` receives the stored record of the factor (it holds the
/// secret; `ww_string_free` wipes it). Free it with `ww_string_free`.
#[no_mangle]
pub extern "C" fn ww_service_export_factor(
    service: *const ww_service,
    factor_sid: *const c_char,
    now: u64,
    out_record: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("factor_sid", factor_sid) }?;
        call.run_export("export_factor", now, unsafe { OutString::new(out_record, "out_record") }?)
    })
}

/// `export_challenge`: `*out_record` receives the stored record of the challenge. Free it
/// with `ww_string_free`.
#[no_mangle]
pub extern "C" fn ww_service_export_challenge(
    service: *const ww_service,
    challenge_sid: *const c_char,
    now: u64,
    out_record: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("challenge_sid", challenge_sid) }?;
        call.run_export("export_challenge", now, unsafe { OutString::new(out_record, "out_record") }?)
    })
}

/// `import_entity`: stores an entity record (from `ww_service_export_entity` or the host's
/// database). A malformed record or one of an unknown version is `WW_STATUS_INVALID_PARAMETER`
/// (detail `record`). `*out_json`: the entity view.
#[no_mangle]
pub extern "C" fn ww_service_import_entity(
    service: *const ww_service,
    record: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("record", record) }?;
        call.run("import_entity", now, unsafe { out(out_json) }?)
    })
}

/// `import_factor`: stores a factor record. `*out_json`: the factor view.
#[no_mangle]
pub extern "C" fn ww_service_import_factor(
    service: *const ww_service,
    record: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("record", record) }?;
        call.run("import_factor", now, unsafe { out(out_json) }?)
    })
}

/// `import_challenge`: stores a challenge record. `*out_json`: the challenge view as of `now`.
#[no_mangle]
pub extern "C" fn ww_service_import_challenge(
    service: *const ww_service,
    record: *const c_char,
    now: u64,
    out_json: *mut *mut c_char,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: pointers as documented in the header's introduction.
        let mut call = unsafe { Call::new(service) }?;
        // SAFETY: as above.
        unsafe { call.text("record", record) }?;
        call.run("import_challenge", now, unsafe { out(out_json) }?)
    })
}
