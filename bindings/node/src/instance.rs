//! What each JavaScript environment (the main thread, every worker) keeps for watchword: the
//! `WatchwordError` class and the functions that build the service's answers. They are defined
//! in JavaScript once per environment and held by references that are released with it.

use std::cell::RefCell;

use napi::bindgen_prelude::{Function, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, Status};

/// The references of one environment.
pub(crate) struct Instance {
    /// `WatchwordError`.
    pub(crate) error_class: napi::UnknownRef,
    /// The builders of [`crate::views`], in the order of [`crate::views::Builder`].
    pub(crate) builders: Vec<napi::UnknownRef>,
    /// The drivers of a store object's steps, `[sync, Promise]` ([`crate::host`]).
    pub(crate) drivers: Vec<napi::UnknownRef>,
    /// The array of core's words the builders read, and the words in it, in order
    /// ([`Instance::word`]).
    word_array: napi::UnknownRef,
    words: RefCell<Vec<&'static str>>,
    /// The builders' scratch array (a `Float64Array` of 8 over its own `ArrayBuffer`, whose
    /// memory never moves), and where its numbers are.
    pub(crate) scratch: napi::UnknownRef,
    scratch_data: *mut f64,
}

impl Instance {
    /// Writes `numbers` at the start of the builders' scratch array.
    pub(crate) fn write_scratch<const N: usize>(&self, numbers: [f64; N]) {
        const { assert!(N <= 8) };
        // SAFETY: the array holds 8 numbers and lives as long as this environment, which
        // keeps a reference to it; only this thread, the environment's, writes or reads it.
        unsafe { std::ptr::copy_nonoverlapping(numbers.as_ptr(), self.scratch_data, N) }
    }

    /// The place of `text`, one of core's words, in the builders' words, plus one (added the
    /// first time it is asked for). Found by address first: the words are a few constants.
    pub(crate) fn word(&self, env: &Env, text: &'static str) -> napi::Result<u32> {
        let words = self.words.borrow();
        let found = words.iter().position(|w| std::ptr::eq(w.as_ptr(), text.as_ptr()) && w.len() == text.len());
        if let Some(i) = found.or_else(|| words.iter().position(|w| *w == text)) {
            return Ok(i as u32 + 1);
        }
        let index = words.len() as u32;
        drop(words);
        if index >= 255 {
            return Err(napi::Error::new(Status::GenericFailure, "more words than the answers can name"));
        }
        let mut array: Object = self.word_array.get_value(env)?.coerce_to_object()?;
        array.set_element(index, env.create_string(text)?)?;
        self.words.borrow_mut().push(text);
        Ok(index + 1)
    }
}

/// This environment's references.
pub(crate) fn get(env: &Env) -> napi::Result<&'static Instance> {
    match env.get_instance_data::<Instance>()? {
        Some(instance) => Ok(instance),
        None => Err(napi::Error::new(Status::GenericFailure, "watchword is not initialized in this environment")),
    }
}

/// Defines the error class and the builders in this environment and exports the class.
pub(crate) fn init(env: &Env, exports: &mut Object) -> napi::Result<()> {
    let class: Function<Unknown, Unknown> = env.run_script(crate::error::ERROR_CLASS_SOURCE)?;
    exports.set_named_property("WatchwordError", class)?;
    let error_class = class.to_unknown().create_ref()?;
    let drivers = functions(env, crate::host::DRIVERS_SOURCE)?;
    let mut builders = functions(env, crate::views::BUILDERS_SOURCE)?;
    // After the builders, the array of words they read and their scratch array.
    let missing = || napi::Error::new(Status::GenericFailure, "the builders' arrays are missing");
    let scratch = builders.pop().ok_or_else(missing)?;
    let word_array = builders.pop().ok_or_else(missing)?;
    let scratch_data = float64_data(env, &scratch)?;
    let words = RefCell::new(Vec::new());
    let instance = Instance { error_class, builders, drivers, word_array, words, scratch, scratch_data };
    env.set_instance_data(instance, (), |ctx| {
        let Instance { error_class, builders, drivers, word_array, scratch, .. } = ctx.value;
        let _ = error_class.unref(&ctx.env);
        for value in builders.into_iter().chain(drivers).chain([word_array, scratch]) {
            let _ = value.unref(&ctx.env);
        }
    })
}

/// Where the numbers of the `Float64Array` of 8 that `array` refers to are.
fn float64_data(env: &Env, array: &napi::UnknownRef) -> napi::Result<*mut f64> {
    let value = array.get_value(env)?;
    let (mut kind, mut length, mut data) = (0, 0usize, std::ptr::null_mut());
    let (mut buffer, mut offset) = (std::ptr::null_mut(), 0usize);
    // SAFETY: `value` is a value of this environment; N-API fills the out-parameters.
    let status = unsafe {
        napi::sys::napi_get_typedarray_info(
            env.raw(),
            value.raw(),
            &mut kind,
            &mut length,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    };
    if status != napi::sys::Status::napi_ok || kind != napi::sys::TypedarrayType::float64_array || length != 8 {
        return Err(napi::Error::new(Status::GenericFailure, "the builders' scratch array is not a Float64Array of 8"));
    }
    Ok(data.cast())
}

/// References to the values (functions, and the builders' words) of the array that `source`
/// evaluates to.
fn functions(env: &Env, source: &str) -> napi::Result<Vec<napi::UnknownRef>> {
    let array: Object = env.run_script(source)?;
    (0..array.get_array_length()?).map(|i| array.get_element::<Unknown>(i)?.create_ref()).collect()
}
