//! The per-call path of `Totp` and `Hotp`: `generate`, `verify` and `check` without napi-rs's
//! generic method glue.
//!
//! A server calls these on every login, and what surrounds the two HMAC blocks of a code
//! matters: napi-rs's glue for a class method (argument scopes, borrow tracking in a global
//! map, allocations) costs several times what generating a code does, and so do two lookups
//! that finding a wrapped instance takes (its class type tag and `napi_unwrap`, both private
//! properties V8 cannot cache), and reading an options object key by key through N-API.
//!
//! So at module set-up the methods on `Totp.prototype` and `Hotp.prototype` are replaced by
//! a few lines of JavaScript ([`ROUTER`]) that V8 compiles like any other code:
//!
//! - The first call on an instance asks the native `handle` callback (which checks the class
//!   type tag and unwraps the instance, as napi-rs does) for the instance's slot in a table of
//!   key states, and keeps it on the instance under a private symbol. Later calls read it like
//!   any property and pass it as a number.
//! - A plain options object with only known keys has its values passed on as arguments;
//!   anything else (unknown keys, arrays, class instances …) goes to the napi-rs method taking
//!   the object, which reports the exact error.
//!
//! The native callbacks then run the same bodies as the napi-rs methods (`otp.rs`), inside
//! the same error boundary, on the key state found in the table. A slot that is not in the
//! table (a number put there by hand) is a `TypeError`, never a read out of bounds: the table
//! holds `Arc`s and is indexed with a bounds check.

use std::cell::RefCell;
use std::ffi::CStr;
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::{JsObjectValue, Object, ToNapiValue, TypeTag, Unknown};
use napi::{sys, Env, JsError, JsValue, Status};
use watchword_core::{Hotp as CoreHotp, Totp as CoreTotp};

use crate::error::{boundary, Fail, Out};
use crate::otp::{self, Hotp, Totp};

pub(crate) type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// The key states of the instances that have taken the fast path, by slot. One table per
/// thread: every JavaScript environment (the main one, each worker) runs on its own thread,
/// and instances are created, used and finalized on it.
struct Table<T> {
    slots: Vec<Option<Arc<T>>>,
    free: Vec<u32>,
}

impl<T> Table<T> {
    const fn new() -> Table<T> {
        Table { slots: Vec::new(), free: Vec::new() }
    }

    fn insert(&mut self, key: Arc<T>) -> Option<u32> {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(key);
                Some(slot)
            }
            None => {
                let slot = u32::try_from(self.slots.len()).ok()?;
                self.slots.push(Some(key));
                Some(slot)
            }
        }
    }

    fn remove(&mut self, slot: u32) {
        if let Some(entry) = self.slots.get_mut(slot as usize) {
            if entry.take().is_some() {
                self.free.push(slot);
            }
        }
    }

    fn get(&self, slot: u32) -> Option<Arc<T>> {
        self.slots.get(slot as usize).and_then(Clone::clone)
    }
}

thread_local! {
    static TOTPS: RefCell<Table<CoreTotp>> = const { RefCell::new(Table::new()) };
    static HOTPS: RefCell<Table<CoreHotp>> = const { RefCell::new(Table::new()) };
}

impl Drop for Totp {
    fn drop(&mut self) {
        if let Some(slot) = self.handle.get() {
            let _ = TOTPS.try_with(|t| t.borrow_mut().remove(slot));
        }
    }
}

impl Drop for Hotp {
    fn drop(&mut self) {
        if let Some(slot) = self.handle.get() {
            let _ = HOTPS.try_with(|t| t.borrow_mut().remove(slot));
        }
    }
}

/// Makes the router of one class. `fast` has the native callbacks taking a slot, `full` the
/// napi-rs methods taking an options object, `handle` the callback giving an instance's slot.
const ROUTER: &str = r#"(function (handleOf, fast, full, options) {
  'use strict'
  const key = Symbol('watchword key slot')
  const { defineProperty, getPrototypeOf, isExtensible } = Object
  const plain = Object.prototype
  function slot(self) {
    const found = self === null || self === undefined ? undefined : self[key]
    if (found !== undefined) return found
    const fresh = handleOf.call(self)
    if (isExtensible(self)) defineProperty(self, key, { value: fresh })
    return fresh
  }
  // Whether `o` is a plain object whose keys are all among `names`.
  function simple(o, names) {
    if (typeof o !== 'object' || getPrototypeOf(o) !== plain) return false
    for (const k in o) if (!names.includes(k)) return false
    return true
  }
  const methods = {}
  if (fast.generate) {
    methods.generate = function generate(input) {
      return fast.generate(slot(this), input)
    }
  }
  if (fast.totpVerify) {
    const names = options.totpVerify
    methods.verify = function verify(code, options) {
      const s = slot(this)
      if (options === undefined || options === null) return fast.totpVerify(s, code)
      if (simple(options, names)) return fast.totpVerify(s, code, options.unixTime, options.skew)
      return full.verify.call(this, code, options)
    }
  }
  if (fast.totpCheck) {
    const names = options.totpCheck
    methods.check = function check(code, options) {
      const s = slot(this)
      if (options === undefined || options === null) return fast.totpCheck(s, code)
      if (simple(options, names)) {
        return fast.totpCheck(s, code, options.unixTime, options.skew, options.lastUsedStep)
      }
      return full.check.call(this, code, options)
    }
  }
  if (fast.hotpVerify) {
    const names = options.hotpVerify
    methods.verify = function verify(code, counter, options) {
      const s = slot(this)
      if (options === undefined || options === null) return fast.hotpVerify(s, code, counter)
      if (simple(options, names)) return fast.hotpVerify(s, code, counter, options.lookAhead)
      return full.verify.call(this, code, counter, options)
    }
  }
  return methods
})"#;

/// Replaces the per-call methods of `Totp.prototype` and `Hotp.prototype` (see the module's
/// comment).
pub(crate) fn install(env: &Env, exports: &Object) -> napi::Result<()> {
    route(
        env,
        exports,
        c"Totp",
        totp_handle,
        &[(c"generate", totp_generate), (c"totpVerify", totp_verify), (c"totpCheck", totp_check)],
        &[(c"totpVerify", otp::TOTP_VERIFY), (c"totpCheck", otp::TOTP_CHECK)],
    )?;
    route(
        env,
        exports,
        c"Hotp",
        hotp_handle,
        &[(c"generate", hotp_generate), (c"hotpVerify", hotp_verify)],
        &[(c"hotpVerify", otp::HOTP_VERIFY)],
    )
}

fn route(
    env: &Env,
    exports: &Object,
    class: &CStr,
    handle: Callback,
    fast: &[(&CStr, Callback)],
    options: &[(&CStr, &[&CStr])],
) -> napi::Result<()> {
    let class: Object = exports.get_c_named_property_unchecked(class)?;
    let prototype: Object = class.get_c_named_property_unchecked(c"prototype")?;
    // The napi-rs methods, for everything but the common case.
    let mut full = Object::new(env)?;
    for name in [c"verify", c"check"] {
        if prototype.has_own_property(name.to_str().unwrap_or_default())? {
            let method: Unknown = prototype.get_c_named_property_unchecked(name)?;
            full.set_c_named_property(name, method)?;
        }
    }
    let mut callbacks = Object::new(env)?;
    for (name, callback) in fast {
        callbacks.set_c_named_property(name, function(env, name, *callback)?)?;
    }
    let mut names = Object::new(env)?;
    for (method, keys) in options {
        let mut list = env.create_array(keys.len() as u32)?;
        for (i, key) in keys.iter().enumerate() {
            list.set(i as u32, key.to_str().unwrap_or_default())?;
        }
        names.set_c_named_property(method, list)?;
    }
    let factory: Unknown = env.run_script(ROUTER)?;
    let args = [function(env, c"handle", handle)?, callbacks.raw(), full.raw(), names.raw()];
    let mut global = ptr::null_mut();
    let mut methods = ptr::null_mut();
    // SAFETY: every value belongs to this environment.
    unsafe {
        check(sys::napi_get_global(env.raw(), &mut global))?;
        check(sys::napi_call_function(env.raw(), global, factory.raw(), args.len(), args.as_ptr(), &mut methods))?;
    }
    // `methods` is the object the router just returned.
    let methods = Object::from_raw(env.raw(), methods);
    for name in [c"generate", c"verify", c"check"] {
        if !methods.has_own_property(name.to_str().unwrap_or_default())? {
            continue;
        }
        let method: Unknown = methods.get_c_named_property_unchecked(name)?;
        let descriptor = sys::napi_property_descriptor {
            utf8name: name.as_ptr(),
            name: ptr::null_mut(),
            method: None,
            getter: None,
            setter: None,
            value: method.raw(),
            // as a class method: writable and configurable, not enumerable
            attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        // SAFETY: `prototype` and the method belong to this environment.
        check(unsafe { sys::napi_define_properties(env.raw(), prototype.raw(), 1, &descriptor) })?;
    }
    Ok(())
}

pub(crate) fn function(env: &Env, name: &CStr, callback: Callback) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: `name` is NUL-terminated; the callback is 'static.
    check(unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr(),
            usize::MAX as isize,
            Some(callback),
            ptr::null_mut(),
            &mut out,
        )
    })?;
    Ok(out)
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    match status {
        sys::Status::napi_ok => Ok(()),
        other => Err(napi::Error::new(Status::from(other), "could not install the fast methods")),
    }
}

/// Reads the call's `this` and first `N` arguments (missing ones are `undefined`), runs
/// `body` in the error boundary and returns its value or throws its error.
///
/// # Safety
///
/// Called only by N-API with the arguments of a callback.
#[inline(always)]
pub(crate) unsafe fn call<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl FnOnce(&Env, sys::napi_value, [Unknown; N]) -> Out<sys::napi_value>,
) -> sys::napi_value {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    let mut this = ptr::null_mut();
    let wrapper = Env::from_raw(env);
    // SAFETY: N-API fills at most `argc` arguments (padding with undefined) and `this`.
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), &mut this, ptr::null_mut()) };
    let result = if status != sys::Status::napi_ok {
        Err(napi::Error::new(Status::from(status), "could not read the call's arguments"))
    } else {
        // SAFETY: every argument is a value of this call in `env`.
        let args = argv.map(|arg| unsafe { Unknown::from_raw_unchecked(env, arg) });
        boundary(&wrapper, || body(&wrapper, this, args))
    };
    match result {
        Ok(raw) => raw,
        Err(error) => {
            // An exception the boundary already threw stays as it is.
            unsafe { JsError::from(error).throw_into(env) };
            ptr::null_mut()
        }
    }
}

/// The instance wrapped in `this`, when `this` carries `T`'s class type tag: the lookup
/// napi-rs does for a hand-rolled wrapper.
///
/// # Safety
///
/// `this` is a value of `env`.
pub(crate) unsafe fn instance<'a, T: TypeTag + 'static>(
    env: sys::napi_env,
    this: sys::napi_value,
    name: &str,
) -> Out<&'a T> {
    let mut tagged = false;
    // SAFETY: a value that is no object simply does not match.
    let status = unsafe { sys::napi_check_object_type_tag(env, this, &T::type_tag(), &mut tagged) };
    let mut wrapped = ptr::null_mut();
    // SAFETY: napi-rs wraps a `*mut T` in every object it tags with `T`'s tag; the object keeps
    // it alive at least while `this` is reachable, and it is only read.
    if status == sys::Status::napi_ok
        && tagged
        && unsafe { sys::napi_unwrap(env, this, &mut wrapped) } == sys::Status::napi_ok
    {
        if let Some(instance) = unsafe { (wrapped as *const T).as_ref() } {
            return Ok(instance);
        }
    }
    Err(Fail::Type(format!("{name} must be called on an instance of its class")))
}

/// The key state in `slot` (a number the router passes), or a `TypeError`.
fn key<T>(table: &'static std::thread::LocalKey<RefCell<Table<T>>>, slot: &Unknown, class: &str) -> Out<Arc<T>> {
    let found = match slot.get_type()? {
        // SAFETY: checked to be a number.
        napi::ValueType::Number => unsafe { slot.cast::<u32>()? },
        _ => u32::MAX,
    };
    match table.with(|t| t.borrow().get(found)) {
        Some(key) => Ok(key),
        None => Err(Fail::Type(format!("the method must be called on a {class}"))),
    }
}

pub(crate) fn to_raw<R: ToNapiValue>(env: &Env, value: R) -> Out<sys::napi_value> {
    // SAFETY: `env` is the live environment of this call.
    Ok(unsafe { R::to_napi_value(env.raw(), value)? })
}

unsafe extern "C" fn totp_handle(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, this, []| {
            let totp: &Totp = instance(env.raw(), this, "Totp methods")?;
            let slot = match totp.handle.get() {
                Some(slot) => slot,
                None => {
                    let slot = TOTPS
                        .with(|t| t.borrow_mut().insert(totp.inner.clone()))
                        .ok_or_else(|| Fail::Range("too many Totp instances".to_string()))?;
                    totp.handle.set(Some(slot));
                    slot
                }
            };
            to_raw(env, slot)
        })
    }
}

unsafe extern "C" fn hotp_handle(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, this, []| {
            let hotp: &Hotp = instance(env.raw(), this, "Hotp methods")?;
            let slot = match hotp.handle.get() {
                Some(slot) => slot,
                None => {
                    let slot = HOTPS
                        .with(|t| t.borrow_mut().insert(hotp.inner.clone()))
                        .ok_or_else(|| Fail::Range("too many Hotp instances".to_string()))?;
                    hotp.handle.set(Some(slot));
                    slot
                }
            };
            to_raw(env, slot)
        })
    }
}

unsafe extern "C" fn totp_generate(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, _, [slot, time]| {
            let totp = key(&TOTPS, &slot, "Totp")?;
            Ok(otp::totp_generate(env, &totp, &time)?.raw())
        })
    }
}

unsafe extern "C" fn totp_verify(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, _, [slot, code, time, skew]| {
            let totp = key(&TOTPS, &slot, "Totp")?;
            to_raw(env, otp::totp_verify(&totp, &code, present(time)?, present(skew)?)?)
        })
    }
}

unsafe extern "C" fn totp_check(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, _, [slot, code, time, skew, floor]| {
            let totp = key(&TOTPS, &slot, "Totp")?;
            to_raw(env, otp::totp_check(&totp, &code, present(time)?, present(skew)?, present(floor)?)?)
        })
    }
}

unsafe extern "C" fn hotp_generate(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, _, [slot, counter]| {
            let hotp = key(&HOTPS, &slot, "Hotp")?;
            Ok(otp::hotp_generate(env, &hotp, &counter)?.raw())
        })
    }
}

unsafe extern "C" fn hotp_verify(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        call(env, info, |env, _, [slot, code, counter, look_ahead]| {
            let hotp = key(&HOTPS, &slot, "Hotp")?;
            to_raw(env, otp::hotp_verify(&hotp, &code, &counter, present(look_ahead)?)?)
        })
    }
}

fn present(value: Unknown) -> Out<Option<Unknown>> {
    crate::args::present(value)
}
