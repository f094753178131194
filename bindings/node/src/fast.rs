//! The per-call path of `Totp` and `Hotp` without napi-rs's generic method glue.
//!
//! napi-rs's glue for a class method (argument scopes, borrow tracking in a global map,
//! allocations) costs several times what generating a code does. `generate` and `verify` are
//! what a server calls on every login, so at module set-up this module puts plain N-API
//! callbacks for them on the classes' prototypes. They find the instance the way napi-rs
//! itself does for a hand-rolled wrapper (the object's class type tag, then `napi_unwrap` of
//! the `*mut T` napi-rs wrapped) and run the very same method bodies, inside the same error
//! boundary; the napi-rs methods they replace stay as the typed declarations.
//!
//! Reading an options object through N-API (a lookup per key, and listing its keys to reject
//! unknown ones) costs more than the HMACs of a verification. So `verify` and `check` are a
//! few lines of JavaScript that route the common case, a plain object with only known keys,
//! to a native callback taking the options as arguments, and everything else (other keys,
//! arrays, class instances …) to the native callback taking the object, which reports the
//! exact error. Both callbacks convert and check every value in Rust.

use std::ffi::CStr;
use std::ptr;

use napi::bindgen_prelude::{JsObjectValue, Object, ToNapiValue, TypeTag, Unknown};
use napi::{sys, Env, JsError, JsValue, Status};

use crate::error::{boundary, Fail};
use crate::otp::{Hotp, Totp, HOTP_VERIFY, TOTP_CHECK, TOTP_VERIFY};

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// A method as it is installed.
enum Install {
    /// A native callback.
    Native(Callback),
    /// The JavaScript router: positional parameters, the option names, the callback taking
    /// the options as arguments and the one taking the object.
    Routed { params: &'static str, options: &'static [&'static CStr], fast: Callback, full: Callback },
}

/// Puts the fast methods on `Totp.prototype` and `Hotp.prototype`.
pub(crate) fn install(env: &Env, exports: &Object) -> napi::Result<()> {
    replace(
        env,
        exports,
        c"Totp",
        &[
            (c"generate", Install::Native(totp_generate)),
            (
                c"verify",
                Install::Routed { params: "code", options: TOTP_VERIFY, fast: totp_verify_fast, full: totp_verify },
            ),
            (
                c"check",
                Install::Routed { params: "code", options: TOTP_CHECK, fast: totp_check_fast, full: totp_check },
            ),
        ],
    )?;
    replace(
        env,
        exports,
        c"Hotp",
        &[
            (c"generate", Install::Native(hotp_generate)),
            (
                c"verify",
                Install::Routed {
                    params: "code, counter",
                    options: HOTP_VERIFY,
                    fast: hotp_verify_fast,
                    full: hotp_verify,
                },
            ),
        ],
    )
}

fn replace(env: &Env, exports: &Object, class: &CStr, methods: &[(&CStr, Install)]) -> napi::Result<()> {
    let class: Object = exports.get_c_named_property_unchecked(class)?;
    let prototype: Object = class.get_c_named_property_unchecked(c"prototype")?;
    for (name, install) in methods {
        let (method, value) = match install {
            Install::Native(callback) => (Some(*callback), ptr::null_mut()),
            Install::Routed { params, options, fast, full } => {
                (None, router(env, name, params, options, *fast, *full)?)
            }
        };
        let descriptor = sys::napi_property_descriptor {
            utf8name: name.as_ptr(),
            name: ptr::null_mut(),
            method,
            getter: None,
            setter: None,
            value,
            // as a class method: writable and configurable, not enumerable
            attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        // SAFETY: `prototype` is an object of this environment; the descriptor points at a
        // 'static name and a callback or a function of this environment.
        check(unsafe { sys::napi_define_properties(env.raw(), prototype.raw(), 1, &descriptor) })?;
    }
    Ok(())
}

/// The JavaScript router of a method with an options object (see the module's comment).
fn router(
    env: &Env,
    name: &CStr,
    params: &str,
    options: &[&CStr],
    fast: Callback,
    full: Callback,
) -> napi::Result<sys::napi_value> {
    let name = name.to_str().unwrap_or("method");
    let known: Vec<&str> = options.iter().filter_map(|k| k.to_str().ok()).collect();
    let other_key = known.iter().map(|k| format!("key !== '{k}'")).collect::<Vec<_>>().join(" && ");
    let values = known.iter().map(|k| format!("options.{k}")).collect::<Vec<_>>().join(", ");
    let source = format!(
        "(function (fast, full) {{
  'use strict'
  const getPrototypeOf = Object.getPrototypeOf
  const plain = Object.prototype
  return function {name}({params}, options) {{
    if (options === undefined || options === null) return fast.call(this, {params})
    if (typeof options === 'object' && getPrototypeOf(options) === plain) {{
      for (const key in options) if ({other_key}) return full.call(this, {params}, options)
      return fast.call(this, {params}, {values})
    }}
    return full.call(this, {params}, options)
  }}
}})"
    );
    let factory: Unknown = env.run_script(&source)?;
    let functions = [function(env, name, fast)?, function(env, name, full)?];
    let mut global = ptr::null_mut();
    let mut method = ptr::null_mut();
    // SAFETY: all values belong to this environment.
    unsafe {
        check(sys::napi_get_global(env.raw(), &mut global))?;
        check(sys::napi_call_function(env.raw(), global, factory.raw(), 2, functions.as_ptr(), &mut method))?;
    }
    Ok(method)
}

fn function(env: &Env, name: &str, callback: Callback) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: `name` is valid UTF-8 of the given length; the callback is 'static.
    check(unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
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

/// Runs `body` with the instance behind `this` and the first `N` arguments (missing ones are
/// `undefined`), then converts its answer or throws its error.
///
/// # Safety
///
/// Called only by N-API as the callback of a method of `T`'s prototype.
#[inline(always)]
unsafe fn method<T, const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    name: &str,
    body: impl FnOnce(&Env, &T, [Unknown; N]) -> napi::Result<sys::napi_value>,
) -> sys::napi_value
where
    T: TypeTag + 'static,
{
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    let mut this = ptr::null_mut();
    let wrapper = Env::from_raw(env);
    // SAFETY: N-API fills at most `argc` arguments (padding with undefined) and `this`.
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), &mut this, ptr::null_mut()) };
    let result = if status != sys::Status::napi_ok {
        Err(napi::Error::new(Status::from(status), "could not read the call's arguments"))
    } else {
        // SAFETY: `this` is the receiver of this call in `env`.
        match unsafe { instance::<T>(env, this) } {
            // SAFETY: every argument is a value of this call in `env`.
            Some(instance) => {
                body(&wrapper, instance, argv.map(|arg| unsafe { Unknown::from_raw_unchecked(env, arg) }))
            }
            None => Err(not_an_instance(&wrapper, name)),
        }
    };
    match result {
        Ok(raw) => raw,
        Err(error) => {
            // A pending exception (the boundary already threw) is left as it is.
            unsafe { JsError::from(error).throw_into(env) };
            ptr::null_mut()
        }
    }
}

/// The `T` wrapped in `this`, when `this` carries `T`'s class type tag.
unsafe fn instance<'a, T: TypeTag + 'static>(env: sys::napi_env, this: sys::napi_value) -> Option<&'a T> {
    let mut tagged = false;
    // SAFETY: `this` is a value of `env`; a non-object simply does not match.
    let status = unsafe { sys::napi_check_object_type_tag(env, this, &T::type_tag(), &mut tagged) };
    if status != sys::Status::napi_ok || !tagged {
        return None;
    }
    let mut wrapped = ptr::null_mut();
    // SAFETY: napi-rs wraps a `*mut T` in every object it tags with `T`'s tag, and the object
    // keeps it alive for as long as `this` is reachable (at least this call). The methods
    // only read it.
    let status = unsafe { sys::napi_unwrap(env, this, &mut wrapped) };
    if status != sys::Status::napi_ok || wrapped.is_null() {
        return None;
    }
    Some(unsafe { &*(wrapped as *const T) })
}

#[cold]
fn not_an_instance(env: &Env, name: &str) -> napi::Error {
    let message = format!("{name} must be called on an instance of its class");
    match boundary::<()>(env, || Err(Fail::Type(message))) {
        Err(error) => error,
        Ok(()) => napi::Error::from_status(Status::PendingException),
    }
}

unsafe extern "C" fn totp_generate(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { method(env, info, "Totp.generate", |env, totp: &Totp, [time]| Ok(totp.generate(env, time)?.raw())) }
}

unsafe extern "C" fn totp_verify(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        method(env, info, "Totp.verify", |env, totp: &Totp, [code, options]| {
            to_raw(env, totp.verify(env, code, options)?)
        })
    }
}

unsafe extern "C" fn hotp_generate(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe { method(env, info, "Hotp.generate", |env, hotp: &Hotp, [counter]| Ok(hotp.generate(env, counter)?.raw())) }
}

unsafe extern "C" fn hotp_verify(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        method(env, info, "Hotp.verify", |env, hotp: &Hotp, [code, counter, options]| {
            to_raw(env, hotp.verify(env, code, counter, options)?)
        })
    }
}

unsafe extern "C" fn totp_verify_fast(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        method(env, info, "Totp.verify", |env, totp: &Totp, [code, time, skew]| {
            let answer = boundary(env, || totp.verify_with(&code, present(time)?, present(skew)?))?;
            to_raw(env, answer)
        })
    }
}

unsafe extern "C" fn totp_check(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        method(env, info, "Totp.check", |env, totp: &Totp, [code, options]| {
            to_raw(env, totp.check(env, code, options)?)
        })
    }
}

unsafe extern "C" fn totp_check_fast(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        method(env, info, "Totp.check", |env, totp: &Totp, [code, time, skew, floor]| {
            let answer = boundary(env, || totp.check_with(&code, present(time)?, present(skew)?, present(floor)?))?;
            to_raw(env, answer)
        })
    }
}

unsafe extern "C" fn hotp_verify_fast(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    unsafe {
        method(env, info, "Hotp.verify", |env, hotp: &Hotp, [code, counter, look_ahead]| {
            let answer = boundary(env, || hotp.verify_with(&code, &counter, present(look_ahead)?))?;
            to_raw(env, answer)
        })
    }
}

fn present(value: Unknown) -> crate::error::Out<Option<Unknown>> {
    crate::args::present(value)
}

fn to_raw<R: ToNapiValue>(env: &Env, value: R) -> napi::Result<sys::napi_value> {
    // SAFETY: `env` is the live environment of this call.
    unsafe { R::to_napi_value(env.raw(), value) }
}
