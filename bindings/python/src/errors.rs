//! The exception hierarchy, derived from core's `ErrorKind::ALL` at import time so it cannot
//! drift: `WatchwordError` plus one subclass per kind, named after the kind string
//! (`challenge_expired` → `ChallengeExpired`). `InvalidParameter` also subclasses `ValueError`.

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use watchword_core::{Error, ErrorKind, Invalid};

struct Classes {
    base: Py<PyType>,
    kinds: Vec<(ErrorKind, Py<PyType>)>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

/// `challenge_expired` → `ChallengeExpired`.
pub fn class_name(kind: &str) -> String {
    kind.split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn build(py: Python<'_>) -> PyResult<Classes> {
    let base = PyErr::new_type(
        py,
        c"watchword.WatchwordError",
        Some(c"Every failure in watchword. A wrong one-time code is never an error: it is a result."),
        Some(&py.get_type::<PyException>()),
        None,
    )?;
    let base_bound = base.bind(py);
    // `kind` and `http_status` always have a value on the subclasses and on every raised
    // error; the optional ones default to None.
    for name in ["twilio_code", "code", "okta_code", "detail", "parameter"] {
        base_bound.setattr(name, py.None())?;
    }

    let type_ = py.get_type::<PyType>();
    let mut kinds = Vec::with_capacity(ErrorKind::ALL.len());
    for kind in ErrorKind::ALL {
        let name = class_name(kind.as_str());
        let bases = if kind == ErrorKind::InvalidParameter {
            PyTuple::new(py, [base_bound.as_any(), py.get_type::<PyValueError>().as_any()])?
        } else {
            PyTuple::new(py, [base_bound.as_any()])?
        };
        let dict = PyDict::new(py);
        dict.set_item("__module__", "watchword")?;
        dict.set_item("__qualname__", &name)?;
        dict.set_item("__doc__", format!("The `{}` error (HTTP {}).", kind.as_str(), kind.http_status()))?;
        dict.set_item("kind", kind.as_str())?;
        dict.set_item("twilio_code", kind.twilio_code())?;
        dict.set_item("code", kind.twilio_code())?;
        dict.set_item("http_status", kind.http_status())?;
        dict.set_item("okta_code", kind.okta_code())?;
        dict.set_item("detail", py.None())?;
        dict.set_item("parameter", py.None())?;
        let class = type_.call1((name, bases, dict))?.cast_into::<PyType>()?.unbind();
        kinds.push((kind, class));
    }
    Ok(Classes { base, kinds })
}

/// Adds `WatchwordError`, every subclass and `ERROR_KINDS` (kind string → class) to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes = CLASSES.get_or_try_init(py, || build(py))?;
    m.add("WatchwordError", classes.base.bind(py))?;
    let table = PyDict::new(py);
    for (kind, class) in &classes.kinds {
        m.add(class_name(kind.as_str()).as_str(), class.bind(py))?;
        table.set_item(kind.as_str(), class.bind(py))?;
    }
    m.add("ERROR_KINDS", table)?;
    Ok(())
}

fn instance<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let classes = CLASSES.get_or_try_init(py, || build(py))?;
    let kind = err.kind();
    let class = classes.kinds.iter().find(|(k, _)| *k == kind).map_or(&classes.base, |(_, class)| class);
    let exc = class.bind(py).call1((err.to_string(),))?;
    exc.setattr("kind", kind.as_str())?;
    exc.setattr("twilio_code", err.twilio_code())?;
    exc.setattr("code", err.twilio_code())?;
    exc.setattr("http_status", err.http_status())?;
    exc.setattr("okta_code", err.okta_code())?;
    exc.setattr("detail", err.detail())?;
    exc.setattr("parameter", err.parameter())?;
    Ok(exc)
}

/// Runs the body of a binding function; a panic (a bug in watchword) becomes a
/// `WatchwordError` rather than pyo3's `PanicException`, which derives from `BaseException`
/// and would escape a host's `except Exception`.
pub fn guard<T>(body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(internal(payload.as_ref())),
    }
}

/// The `WatchwordError` (kind `"internal"`, HTTP 500) for a panic with this payload.
fn internal(payload: &(dyn std::any::Any + Send)) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| String::from("a panic"));
    let message = format!("internal error in watchword (please report it): {what}");
    Python::attach(|py| {
        let built = CLASSES.get_or_try_init(py, || build(py)).and_then(|classes| {
            let exc = classes.base.bind(py).call1((message.as_str(),))?;
            exc.setattr("kind", "internal")?;
            exc.setattr("http_status", 500)?;
            Ok(PyErr::from_value(exc))
        });
        built.unwrap_or_else(|e| e)
    })
}

/// Panics inside [`guard`]: lets the tests check that a panic reaches Python as a
/// `WatchwordError`.
#[pyfunction]
#[pyo3(name = "_panic_for_tests")]
pub fn panic_for_tests() -> PyResult<()> {
    guard(|| panic!("a deliberate panic"))
}

/// Converts a core error into the matching Python exception.
pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| match instance(py, &err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    })
}

/// An `InvalidParameter` for a Python value that cannot become the Rust type a parameter needs
/// (a negative or huge integer, a non-finite float, a naive datetime …).
pub fn invalid(name: &'static str, expected: &'static str) -> PyErr {
    to_py(Error::InvalidParameter(Invalid::Parameter { name, expected }))
}

/// A `TypeError` naming the parameter, the expected type and the type given.
pub fn wrong_type(name: &str, expected: &str, given: &Bound<'_, PyAny>) -> PyErr {
    let type_name = given.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".to_string());
    PyTypeError::new_err(format!("{name} must be {expected}, not {type_name}"))
}

/// A representative core error of `kind`, converted exactly as a real failure is (for the test
/// that walks the whole table, including kinds the in-memory store never produces).
#[pyfunction]
#[pyo3(name = "_sample_error")]
pub fn sample_error(py: Python<'_>, kind: &str) -> PyResult<Py<PyAny>> {
    guard(|| {
        use watchword_core::FactorStatusProblem;
        let Some(kind) = ErrorKind::from_name(kind) else {
            return Err(invalid("kind", "an error kind name"));
        };
        let err = match kind {
            ErrorKind::InvalidParameter => {
                Error::InvalidParameter(Invalid::Parameter { name: "identity", expected: "a test" })
            }
            ErrorKind::EntityNotFound => Error::EntityNotFound,
            ErrorKind::FactorNotFound => Error::FactorNotFound,
            ErrorKind::ChallengeNotFound => Error::ChallengeNotFound,
            ErrorKind::EntityAlreadyExists => Error::EntityAlreadyExists,
            ErrorKind::FactorLimitReached => Error::FactorLimitReached,
            ErrorKind::FactorCreationRateLimited => Error::FactorCreationRateLimited,
            ErrorKind::FactorNotVerified => Error::FactorNotVerified,
            ErrorKind::IllegalFactorStatus => Error::IllegalFactorStatus(FactorStatusProblem::AlreadyVerified),
            ErrorKind::FactorVerificationAttemptsReached => Error::FactorVerificationAttemptsReached,
            ErrorKind::ChallengeCreationLimitReached => Error::ChallengeCreationLimitReached,
            ErrorKind::ChallengeAttemptsReached => Error::ChallengeAttemptsReached,
            ErrorKind::ChallengeAlreadyResponded => Error::ChallengeAlreadyResponded,
            ErrorKind::ChallengeExpired => Error::ChallengeExpired,
            ErrorKind::FactorLocked => Error::FactorLocked { until: None },
            ErrorKind::Conflict => Error::Conflict,
            ErrorKind::Storage => Error::storage("the test store is down"),
            _ => return Ok(py.None()),
        };
        Ok(to_py(err).value(py).clone().into_any().unbind())
    })
}
