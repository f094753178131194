//! Stores written in Python (`Verify(..., store=my_store)`): an object with `get`, `list`,
//! `scan` and `commit` over the records' stored text. Conversion only: what a host answers is
//! checked in `watchword_store::host`, once for every language.
//!
//! A synchronous store is called from the service's own calls (the GIL taken for each call,
//! released in between). An asynchronous one (`watchword.aio`) is driven as steps: `Steps`
//! says what the operation needs next and takes the store's answer, so no thread ever waits
//! for the event loop.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyList, PyString, PyTuple};
use watchword_core::service::{Cursor, Kind};
use watchword_store::host::Pending;
use watchword_store::{Host, HostStep, HostSteps, HostWrite};

use crate::errors::{guard, to_py};
use crate::views;

/// One write of a commit, as a host store applies it: to the row (`service`, `kind`, `key`)
/// whose stored version is `expected_version` (0: there must be none), store `record` with
/// `identity`, `created` and `version` — or delete the row when `record` is `None`.
#[pyclass(module = "watchword._native", name = "Write", frozen)]
pub struct Write {
    inner: HostWrite,
}

#[pymethods]
impl Write {
    /// A write as watchword makes them, for testing a store on its own.
    #[new]
    #[pyo3(signature = (service, kind, key, identity, created, expected_version, version, record=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        service: String,
        kind: &str,
        key: String,
        identity: String,
        created: u64,
        expected_version: u64,
        version: u64,
        record: Option<String>,
    ) -> PyResult<Write> {
        guard(|| {
            let kind = Kind::from_name(kind)
                .ok_or_else(|| PyValueError::new_err("kind must be entity, factor, challenge or tombstone"))?
                .as_str();
            Ok(Write { inner: HostWrite { service, kind, key, identity, created, expected_version, version, record } })
        })
    }

    /// The service namespace.
    #[getter]
    fn service(&self) -> &str {
        &self.inner.service
    }
    /// `"entity"`, `"factor"`, `"challenge"`, `"tombstone"` or `"service"` (and any later kind).
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind
    }
    /// The identity for entities, the sid otherwise.
    #[getter]
    fn key(&self) -> &str {
        &self.inner.key
    }
    /// The identity the record belongs to (empty for a delete).
    #[getter]
    fn identity(&self) -> &str {
        &self.inner.identity
    }
    /// The record's `date_created` in Unix seconds (0 for a delete): with `key`, its place in
    /// listings.
    #[getter]
    fn created(&self) -> u64 {
        self.inner.created
    }
    /// The version the row must hold now; 0: the row must not exist.
    #[getter]
    fn expected_version(&self) -> u64 {
        self.inner.expected_version
    }
    /// The new version.
    #[getter]
    fn version(&self) -> u64 {
        self.inner.version
    }
    /// The new stored text, or `None` to delete the row.
    #[getter]
    fn record(&self) -> Option<&str> {
        self.inner.record.as_deref()
    }
    /// Names the write without its record (which holds secrets).
    fn __repr__(&self) -> String {
        let w = &self.inner;
        let what = if w.record.is_some() { "put" } else { "delete" };
        format!(
            "Write({what} {} {} {} of {:?}, version {} -> {})",
            w.service, w.kind, w.key, w.identity, w.expected_version, w.version
        )
    }
}

/// A Python exception as the message of the host's failure: its type and text.
fn failure(py: Python<'_>, err: &PyErr) -> String {
    let value = err.value(py);
    let name = value.get_type().qualname().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    match value.str() {
        Ok(text) if !text.to_string_lossy().is_empty() => format!("{name}: {}", text.to_string_lossy()),
        _ => name,
    }
}

fn wrong(method: &str, expected: &str, got: &Bound<'_, PyAny>) -> String {
    let name = got.get_type().qualname().map(|n| n.to_string()).unwrap_or_default();
    format!("the store's {method} answered {name} where {expected} was expected")
}

/// The text of one record a store answered (`None`: no record).
fn record_text(method: &str, answer: &Bound<'_, PyAny>) -> Result<Option<String>, String> {
    if answer.is_none() {
        return Ok(None);
    }
    let text = answer.cast::<PyString>().map_err(|_| wrong(method, "a str or None", answer))?;
    Ok(Some(text.to_str().map_err(|_| format!("the store's {method} answered text that is not UTF-8"))?.to_owned()))
}

/// The texts of the records a listing answered.
fn record_texts(method: &str, answer: &Bound<'_, PyAny>) -> Result<Vec<String>, String> {
    if answer.is_instance_of::<PyString>() {
        return Err(wrong(method, "an iterable of str", answer));
    }
    let items = answer.try_iter().map_err(|_| wrong(method, "an iterable of str", answer))?;
    let mut texts = Vec::new();
    for item in items {
        let item = item.map_err(|e| failure(answer.py(), &e))?;
        match record_text(method, &item)? {
            Some(text) => texts.push(text),
            None => return Err(wrong(method, "an iterable of str", &item)),
        }
    }
    Ok(texts)
}

/// Whether a commit was applied (`True`) or met a conflict (`False`).
fn applied(answer: &Bound<'_, PyAny>) -> Result<bool, String> {
    if !answer.is_instance_of::<PyBool>() {
        return Err(wrong("commit", "True or False", answer));
    }
    Ok(answer.is_truthy().unwrap_or(false))
}

/// `None` or `(created, key)`.
fn cursor<'py>(py: Python<'py>, after: Option<&Cursor>) -> PyResult<Bound<'py, PyAny>> {
    match after {
        None => Ok(py.None().into_bound(py)),
        Some(c) => Ok((c.created, c.key.as_str()).into_pyobject(py)?.into_any()),
    }
}

fn writes<'py>(py: Python<'py>, writes: &[HostWrite]) -> PyResult<Bound<'py, PyList>> {
    let objects = writes.iter().map(|w| Py::new(py, Write { inner: w.clone() })).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, objects)
}

/// The store object a synchronous service calls.
pub struct PyHost {
    store: Py<PyAny>,
}

impl PyHost {
    pub fn new(store: Py<PyAny>) -> PyHost {
        PyHost { store }
    }

    /// Calls `method` with the arguments `args` makes, and reads its answer with `read`.
    fn call<T>(
        &self,
        method: &str,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
        read: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> Result<T, String>,
    ) -> Result<T, String> {
        Python::attach(|py| {
            let args = args(py).map_err(|e| failure(py, &e))?;
            let answer = self.store.bind(py).call_method1(method, args).map_err(|e| failure(py, &e))?;
            if answer.hasattr("__await__").unwrap_or(false) {
                // Not awaited here: closed, so that Python does not warn about it.
                let _ = answer.call_method0("close");
                return Err(format!(
                    "the store's {method} is asynchronous: use it with watchword.aio.Verify, which awaits it"
                ));
            }
            read(&answer)
        })
    }
}

impl Host for PyHost {
    fn get(&self, service: &str, kind: Kind, key: &str) -> Result<Option<String>, String> {
        self.call("get", |py| PyTuple::new(py, [service, kind.as_str(), key]), |a| record_text("get", a))
    }

    fn list(
        &self,
        service: &str,
        identity: &str,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<String>, String> {
        self.call(
            "list",
            |py| (service, identity, kind.as_str(), cursor(py, after)?, limit).into_pyobject(py),
            |a| record_texts("list", a),
        )
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<String>, String> {
        self.call(
            "scan",
            |py| (service, kind.as_str(), cursor(py, after)?, limit).into_pyobject(py),
            |a| record_texts("scan", a),
        )
    }

    fn commit(&self, writes_: &[HostWrite]) -> Result<bool, String> {
        self.call("commit", |py| PyTuple::new(py, [writes(py, writes_)?]), applied)
    }
}

/// One operation as steps for an asynchronous store (`watchword.aio`): `next()` names what the
/// operation needs — `("get", service, kind, key)`, `("list", service, identity, kind, after,
/// limit)`, `("scan", service, kind, after, limit)`, `("commit", writes)` — or ends it with
/// `("done", answer)` (or raises its error); `give` hands over the store's answer, `fail` the
/// store's exception.
#[pyclass(module = "watchword._native", name = "Steps")]
pub struct Steps {
    steps: HostSteps,
    now: u64,
    owner: Py<PyAny>,
}

impl Steps {
    pub fn new(steps: HostSteps, now: u64, owner: Py<PyAny>) -> Steps {
        Steps { steps, now, owner }
    }
}

#[pymethods]
impl Steps {
    /// What the operation needs next, or `("done", answer)`.
    fn next<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        guard(|| {
            // Core's work (a recovery code's hashing among it) runs without the GIL: `aio` calls
            // this on its executor, and the event loop's thread keeps running meanwhile.
            let steps = &mut self.steps;
            let next = py.detach(|| steps.next_step());
            match next {
                HostStep::Get { service, kind, key } => ("get", service, kind.as_str(), key).into_pyobject(py),
                HostStep::List { service, identity, kind, after, limit } => {
                    let after = cursor(py, after.as_ref())?;
                    ("list", service, identity, kind.as_str(), after, limit).into_pyobject(py)
                }
                HostStep::Scan { service, kind, after, limit } => {
                    let after = cursor(py, after.as_ref())?;
                    ("scan", service, kind.as_str(), after, limit).into_pyobject(py)
                }
                HostStep::Commit(w) => ("commit", writes(py, &w)?).into_pyobject(py),
                HostStep::Done(answer) => {
                    let answer = views::answer(py, answer.map_err(to_py)?, self.now, self.owner.bind(py))?;
                    ("done", answer).into_pyobject(py)
                }
            }
        })
    }

    /// Hands over the store's answer to the pending step.
    fn give(&mut self, answer: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(|| {
            match self.steps.pending() {
                Some(Pending::Get) => self.steps.give_record(record_text("get", answer)),
                Some(p @ (Pending::List | Pending::Scan)) => self.steps.give_records(record_texts(p.method(), answer)),
                Some(Pending::Commit) => self.steps.give_commit(applied(answer)),
                None => return Err(PyTypeError::new_err("no step is waiting for an answer")),
            }
            Ok(())
        })
    }

    /// Hands over the exception the store raised for the pending step.
    fn fail(&mut self, error: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(|| {
            if self.steps.pending().is_none() {
                return Err(PyTypeError::new_err("no step is waiting for an answer"));
            }
            self.steps.give_error(failure(error.py(), &PyErr::from_value(error.clone())));
            Ok(())
        })
    }
}
