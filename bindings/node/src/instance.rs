//! What each JavaScript environment (the main thread, every worker) keeps for watchword: the
//! `WatchwordError` class and the functions that build the service's answers. They are defined
//! in JavaScript once per environment and held by references that are released with it.

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
    let builders = functions(env, crate::views::BUILDERS_SOURCE)?;
    let drivers = functions(env, crate::host::DRIVERS_SOURCE)?;
    env.set_instance_data(Instance { error_class, builders, drivers }, (), |ctx| {
        let Instance { error_class, builders, drivers } = ctx.value;
        let _ = error_class.unref(&ctx.env);
        for function in builders.into_iter().chain(drivers) {
            let _ = function.unref(&ctx.env);
        }
    })
}

/// References to the functions of the array that `source` evaluates to.
fn functions(env: &Env, source: &str) -> napi::Result<Vec<napi::UnknownRef>> {
    let array: Object = env.run_script(source)?;
    (0..array.get_array_length()?).map(|i| array.get_element::<Unknown>(i)?.create_ref()).collect()
}
