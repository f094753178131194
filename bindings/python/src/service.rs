//! The service: core's `Verify` over the store its `store` setting names (`memory:` by
//! default, SQLite, PostgreSQL), driven through core's JSON dispatch.
//! The Python layer (`watchword/_service.py`) turns keyword arguments into the JSON arguments
//! and the JSON answers into `Entity`, `Factor` and `Challenge` objects.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use watchword_core::service::{ServiceConfig, Verify, MIN_SECRET_BYTES, OPERATIONS, SETTINGS};
use watchword_store::AnyStore;

use crate::convert::time_arg;
use crate::errors::{guard, to_py};

/// `Verify<AnyStore>`: thread-safe; records change only through compare-and-set, so
/// concurrent callers — threads, processes, machines sharing one database — never both
/// accept one code.
#[pyclass(module = "watchword._native", frozen)]
pub struct Service {
    inner: Verify<AnyStore>,
}

#[pymethods]
impl Service {
    /// `settings` is the JSON object of service settings (`{"issuer": "Acme", "skew": 1, …}`),
    /// `store` among them. Opening a database store waits for it with the GIL released.
    #[new]
    fn new(py: Python<'_>, settings: String) -> PyResult<Service> {
        guard(|| {
            let inner = py.detach(|| watchword_store::service(ServiceConfig::from_json(&settings)?)).map_err(to_py)?;
            Ok(Service { inner })
        })
    }

    /// Runs operation `op` with JSON `args` at `now` (Unix seconds, an aware datetime, or
    /// `None` for the system clock) and returns the JSON answer. The GIL is released meanwhile,
    /// so threads sharing one service run in parallel.
    #[pyo3(signature = (op, args, now=None))]
    fn call(&self, py: Python<'_>, op: String, args: String, now: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        guard(|| {
            let now = time_arg(now, "now")?;
            py.detach(|| self.inner.call(&op, &args, now)).map_err(to_py)
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
