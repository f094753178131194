//! The service: core's `Verify` over the store its `store` setting names (`memory:` by
//! default, SQLite, PostgreSQL). An operation's arguments go to core's `Request::parse` as
//! values (never as JSON text); its answer comes back as `Entity`, `Factor` and `Challenge`
//! objects over the records core answered with. `watchword/_service.py` declares each
//! operation's typed Python signature; `methods.rs` makes its native method from it.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use serde_json::{Map, Value};
use smallvec::SmallVec;
use watchword_core::service::{
    wipe_secret_keys, Arguments, Request, ServiceConfig, Verify, DEFAULT_STORE, MIN_SECRET_BYTES, OPERATIONS, SETTINGS,
};
use watchword_core::Error;
use watchword_store::{AnyStore, HostSteps, HostStore};

use crate::convert::{py_to_value, time_arg, value_to_py};
use crate::errors::{guard, to_py};
use crate::host::{PyHost, Steps};
use crate::views;

/// Core's error for a typed call: an argument of the wrong type is a `TypeError`, as Python
/// reports one; everything else is its `WatchwordError`.
fn typed_error(err: Error) -> PyErr {
    if !err.is_type_error() {
        return to_py(err);
    }
    Python::attach(|py| {
        let exc = PyTypeError::new_err(err.to_string());
        match exc.value(py).setattr("parameter", err.parameter()) {
            Ok(()) => exc,
            Err(e) => e,
        }
    })
}

/// The named arguments of a call (a method's `locals()`), without `cls`, `self`, `now` and
/// those left `None`.
fn arguments(args: &Bound<'_, PyDict>) -> PyResult<Map<String, Value>> {
    let mut map = Map::new();
    for (key, value) in args.iter() {
        let key = key.cast_into::<PyString>()?;
        let name = key.to_cow()?;
        if value.is_none() || name == "cls" || name == "self" || name == "now" {
            continue;
        }
        let value = py_to_value(&value, &name)?;
        map.insert(name.into_owned(), value);
    }
    Ok(map)
}

/// The service settings of `settings` (a method's `locals()`); the copies of secret keys made on
/// the way are wiped.
fn config_of(settings: &Bound<'_, PyDict>) -> PyResult<ServiceConfig> {
    let mut map = arguments(settings)?;
    let config = ServiceConfig::from_map(&map).map_err(typed_error);
    wipe_secret_keys(&mut map);
    config
}

/// A call's arguments by name (the names of a method's parameters and the values it was
/// called with) as core reads them: one name at a time, each value converted when core asks
/// for it. `now` is kept apart and `None` values are left out. A value of a type nothing takes
/// is kept as the `TypeError` to raise.
pub(crate) struct Kwargs<'a, 'py> {
    given: SmallVec<[(&'a str, Borrowed<'a, 'py, PyAny>); 12]>,
    now: Option<Borrowed<'a, 'py, PyAny>>,
    taken: usize,
    failed: Option<PyErr>,
}

impl<'a, 'py> Kwargs<'a, 'py> {
    /// No arguments yet, with room for `n`.
    pub(crate) fn with_capacity(n: usize) -> Kwargs<'a, 'py> {
        Kwargs { given: SmallVec::with_capacity(n), now: None, taken: 0, failed: None }
    }

    /// The value of the parameter `name`: `now` is kept apart, `None` is left out.
    pub(crate) fn push(&mut self, name: &'a str, value: Borrowed<'a, 'py, PyAny>) {
        if value.is_none() {
            return;
        }
        if name == "now" {
            self.now = Some(value);
        } else {
            self.given.push((name, value));
        }
    }

    /// The values of the parameters `names`.
    fn of(names: &'a [Borrowed<'a, 'py, PyString>], values: &'a Bound<'py, PyTuple>) -> PyResult<Kwargs<'a, 'py>> {
        if names.len() != values.len() {
            return Err(PyTypeError::new_err("run takes as many values as names"));
        }
        let mut kwargs = Kwargs::with_capacity(names.len());
        for (name, value) in names.iter().zip(values.iter_borrowed()) {
            // Read as UTF-8 once, compared as Rust text after.
            kwargs.push(name.to_str()?, value);
        }
        Ok(kwargs)
    }

    fn fail(&mut self, e: PyErr) -> Error {
        self.failed = Some(e);
        Error::InvalidParameter(watchword_core::Invalid::Parameter { name: "arguments", expected: "Python values" })
    }

    /// Operation `op`'s request from these arguments, and its time.
    #[inline]
    pub(crate) fn request(mut self, op: &str) -> PyResult<(Request, u64)> {
        let now = time_arg(self.now.as_deref(), "now")?;
        let request = Request::from_arguments(op, &mut self);
        if let Some(e) = self.failed {
            return Err(e);
        }
        Ok((request.map_err(typed_error)?, now))
    }
}

impl Arguments for Kwargs<'_, '_> {
    fn take(&mut self, name: &'static str) -> Result<Option<Value>, Error> {
        let Some(value) = self.given.iter().find(|(k, _)| *k == name).map(|(_, v)| v) else {
            return Ok(None);
        };
        let converted = py_to_value(value, name);
        self.taken += 1;
        converted.map(Some).map_err(|e| self.fail(e))
    }

    fn has_other(&self, _read: &[&'static str]) -> bool {
        // Core takes each name once: anything given and not taken is unknown to the operation.
        self.given.len() > self.taken
    }

    fn is_empty(&self) -> bool {
        self.taken == self.given.len()
    }
}

/// Operation `op`'s request from the values of the parameters `names`, and its time.
fn request(op: &str, names: &Bound<'_, PyTuple>, values: &Bound<'_, PyTuple>) -> PyResult<(Request, u64)> {
    let mut borrowed = Vec::with_capacity(names.len());
    for name in names.iter_borrowed() {
        borrowed.push(name.cast::<PyString>()?);
    }
    let kwargs = Kwargs::of(&borrowed, values)?;
    kwargs.request(op)
}

/// `Verify<AnyStore>`: thread-safe; records change only through compare-and-set, so
/// concurrent callers — threads, processes, machines sharing one database — never both
/// accept one code. `watchword.Verify` is its subclass, with the typed constructor and the
/// operations' methods.
#[pyclass(module = "watchword._native", frozen, subclass)]
pub struct Service {
    inner: Verify<AnyStore>,
    /// Whether the store is this process's memory: its operations never wait, so they run
    /// without releasing the GIL (which would cost more than they take).
    in_memory: bool,
}

#[pymethods]
impl Service {
    /// `settings` are the service settings by name (`issuer`, `store`, `skew` …; `None`
    /// values are left at their defaults). Opening a database store waits for it with the
    /// GIL released.
    /// A `store` that is not a URL is the host's own store object (see `watchword.Store`).
    #[new]
    fn new(py: Python<'_>, settings: &Bound<'_, PyDict>) -> PyResult<Service> {
        guard(|| {
            let host = settings.get_item("store")?.filter(|s| !s.is_none() && !s.is_instance_of::<PyString>());
            let Some(host) = host else {
                let config = config_of(settings)?;
                let in_memory = config.store == DEFAULT_STORE;
                let inner = py.detach(|| watchword_store::service(config)).map_err(to_py)?;
                return Ok(Service { inner, in_memory });
            };
            let methods = ["get", "list", "scan", "commit"];
            if !methods.iter().all(|m| host.getattr(*m).is_ok_and(|f| f.is_callable())) {
                let e =
                    PyTypeError::new_err("store must be a URL (str) or a store object with get, list, scan and commit");
                e.value(py).setattr("parameter", "store")?;
                return Err(e);
            }
            let settings = settings.copy()?;
            settings.del_item("store")?;
            let config = config_of(&settings)?;
            let store: AnyStore = Box::new(HostStore(PyHost::new(host.unbind())));
            Ok(Service { inner: Verify::new(config, store), in_memory: false })
        })
    }

    /// Runs operation `op` with the arguments `values` of the parameters `names` (`now` among
    /// them: Unix seconds, an aware datetime, or `None` for the system clock) and returns its
    /// answer, attached to this service. The GIL is released while an operation on a database
    /// runs, so threads sharing one service run in parallel.
    #[pyo3(name = "_run")]
    fn run(
        slf: &Bound<'_, Self>,
        op: &str,
        names: &Bound<'_, PyTuple>,
        values: &Bound<'_, PyTuple>,
    ) -> PyResult<Py<PyAny>> {
        guard(|| {
            let (request, now) = request(op, names, values)?;
            slf.get().perform(slf.py(), request, now, slf.as_any())
        })
    }

    /// Operation `op` (arguments as for `_run`) as steps that an asynchronous store answers
    /// (`watchword.aio`).
    #[pyo3(name = "_steps")]
    fn steps(
        slf: &Bound<'_, Self>,
        op: &str,
        names: &Bound<'_, PyTuple>,
        values: &Bound<'_, PyTuple>,
    ) -> PyResult<Steps> {
        guard(|| {
            let (request, now) = request(op, names, values)?;
            let steps = HostSteps::new(slf.get().inner.config().clone(), request, now);
            Ok(Steps::new(steps, now, slf.clone().into_any().unbind()))
        })
    }

    /// Runs operation `op` with `args` as JSON-shaped data (a dict of str, int … or `None`)
    /// and returns the JSON-shaped answer: for hosts that route requests by name.
    #[pyo3(name = "_call", signature = (op, args, now=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &str,
        args: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        guard(|| {
            let now = time_arg(now, "now")?;
            // Wrong types here are the caller's data, reported as core reports them.
            let args = py_to_value(args, "arguments").map_err(|_| {
                to_py(Error::InvalidParameter(watchword_core::Invalid::Parameter {
                    name: "arguments",
                    expected: "a JSON object",
                }))
            })?;
            let answer = py.detach(|| self.inner.dispatch(op, &args, now)).map_err(to_py)?;
            Ok(value_to_py(py, &answer)?.unbind())
        })
    }

    /// The issuer shown in key URIs.
    #[getter]
    fn issuer(&self) -> &str {
        &self.inner.config().issuer
    }

    /// The namespace of this service's records in its store.
    #[getter]
    fn service(&self) -> &str {
        &self.inner.config().service
    }
}

impl Service {
    /// Runs `request` and returns its answer, attached to `owner`: on this thread with the memory
    /// store, with the GIL released over a database.
    #[inline]
    pub(crate) fn perform(
        &self,
        py: Python<'_>,
        request: Request,
        now: u64,
        owner: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let answer = if self.in_memory {
            self.inner.execute(request, now)
        } else {
            py.detach(|| self.inner.execute(request, now))
        };
        views::answer(py, answer.map_err(to_py)?, now, owner)
    }
}

/// Unix seconds of an `int`, a `float` (floored) or an aware `datetime`.
#[pyfunction]
#[pyo3(signature = (value, name="time"))]
pub fn unix_seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<u64> {
    guard(|| {
        // The parameter name only appears in messages; keep the static names core uses.
        let name: &'static str = match name {
            "now" => "now",
            "expiration_date" => "expiration_date",
            "unix_time" => "unix_time",
            _ => "time",
        };
        time_arg(Some(value), name)
    })
}

/// The names of every service setting (besides `issuer` and `alg`), from core.
pub fn settings(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).chain(std::iter::once(MIN_SECRET_BYTES.name)).collect();
    PyTuple::new(py, names)
}

/// The names of every service operation, from core.
pub fn operations(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(py, OPERATIONS)
}
