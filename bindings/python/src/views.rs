//! `Entity`, `Factor`, `Challenge`, `FactorConfig` and `Binding`: Python objects over core's
//! records. Each holds the record core answered with; its getters read the record's fields
//! (dates as aware `datetime`s) and `to_dict()` is core's public view.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyString, PyType};
use serde_json::Value;
use watchword_core::service::{
    rfc3339, Answer, Binding as CoreBinding, Challenge as CoreChallenge, Created, Entity as CoreEntity,
    Factor as CoreFactor, Metadata, Page as CorePage, Verification, MAX_TIME,
};

use crate::convert::value_to_py;
use crate::errors::guard;

static DATETIME: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
static PAGE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// An aware UTC `datetime` of Unix seconds. Times past what `datetime` holds (year 9999) are a
/// `ValueError` naming the RFC 3339 text that `to_dict()` has.
fn datetime(py: Python<'_>, t: u64) -> PyResult<Py<PyAny>> {
    if t > MAX_TIME {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{} is beyond what datetime can hold (year 9999); to_dict() has it as RFC 3339 text",
            rfc3339(t)
        )));
    }
    let (class, utc) = DATETIME.get_or_try_init(py, || -> PyResult<_> {
        let module = py.import("datetime")?;
        let class = module.getattr("datetime")?.unbind();
        let utc = module.getattr("timezone")?.getattr("utc")?.unbind();
        Ok((class, utc))
    })?;
    Ok(class.bind(py).call_method1("fromtimestamp", (t, utc.bind(py)))?.unbind())
}

/// A copy of a view's object field (`details`) as a dict, or `None`.
fn field(py: Python<'_>, view: &Value, name: &str) -> PyResult<Py<PyAny>> {
    Ok(value_to_py(py, view.get(name).unwrap_or(&Value::Null))?.unbind())
}

/// A copy of a record's string map (`metadata`, `hidden_details`) as a dict, or `None`.
fn strings(py: Python<'_>, map: Option<&Metadata>) -> PyResult<Py<PyAny>> {
    Ok(match map {
        None => py.None(),
        Some(map) => map.into_pyobject(py)?.into_any().unbind(),
    })
}

/// `Type(key=value, …)` over a view (without `binding`).
fn repr(py: Python<'_>, name: &str, view: &Value) -> PyResult<String> {
    let mut parts = Vec::new();
    if let Value::Object(map) = view {
        for (key, value) in map.iter().filter(|(k, _)| k.as_str() != "binding") {
            parts.push(format!("{key}={}", value_to_py(py, value)?.repr()?));
        }
    }
    Ok(format!("{name}({})", parts.join(", ")))
}

/// `verify.<method>(arg)` on the `Verify` that answered with the object, for `to_record`.
fn ask(py: Python<'_>, owner: &Py<PyAny>, method: &str, arg: &str) -> PyResult<Py<PyAny>> {
    Ok(owner.bind(py).call_method1(method, (arg,))?.unbind())
}

/// The methods every view object has: its record's sid, identity and dates, `to_dict` (core's
/// view), `to_record` and `from_record` (through the `Verify` that answered with it), equality
/// by view and a `repr` of the view. `with_result` adds what factors and challenges share:
/// `result` (`"approved"`, `"invalid_code"`, `"replayed"` or `"outside_window"` when the call
/// checked a code, else `None`), `result_offset`, `approved`, `entity_sid` and `factor_type`.
/// Then the type's own methods.
macro_rules! view_class {
    ($class:ident, $export:literal, $import:literal, { $($own:tt)* }) => {
        view_class!(@methods $class, $export, $import, { $($own)* });
    };
    ($class:ident, $export:literal, $import:literal, with_result, { $($own:tt)* }) => {
        view_class!(@methods $class, $export, $import, {
            #[getter]
            fn result(&self) -> Option<&'static str> {
                self.verification.map(|v| v.result.as_str())
            }
            #[getter]
            fn result_offset(&self) -> Option<i64> {
                self.verification.and_then(|v| v.offset)
            }
            #[getter]
            fn approved(&self) -> bool {
                self.verification.is_some_and(|v| v.approved())
            }
            #[getter]
            fn entity_sid(&self) -> &str {
                &self.record.entity_sid
            }
            #[getter]
            fn factor_type(&self) -> &'static str {
                self.record.factor_type()
            }
            $($own)*
        });
    };
    (@methods $class:ident, $export:literal, $import:literal, { $($own:tt)* }) => {
        #[pymethods]
        impl $class {
            #[getter]
            fn sid(&self) -> &str {
                &self.record.sid
            }
            #[getter]
            fn identity(&self) -> &str {
                &self.record.identity
            }
            #[getter]
            fn date_created(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                guard(|| datetime(py, self.record.date_created))
            }
            #[getter]
            fn date_updated(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                guard(|| datetime(py, self.record.date_updated))
            }
            /// The public JSON shape (dates as RFC 3339 strings; no secret except a new
            /// factor's `binding`).
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                guard(|| Ok(value_to_py(py, &self.view())?.unbind()))
            }
            /// The stored record (versioned JSON) for a host's own database.
            fn to_record(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                guard(|| ask(py, &self.owner, $export, self.key()))
            }
            /// Loads a stored record into `verify` and returns the object.
            #[classmethod]
            fn from_record(
                _cls: &Bound<'_, PyType>,
                record: &Bound<'_, PyAny>,
                verify: &Bound<'_, PyAny>,
            ) -> PyResult<Py<PyAny>> {
                guard(|| Ok(verify.call_method1($import, (record,))?.unbind()))
            }
            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<$class>().is_ok_and(|o| o.get().view() == self.view())
            }
            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                guard(|| repr(py, stringify!($class), &self.view()))
            }
            $($own)*
        }
    };
}

/// The user (`identity`) that owns factors.
#[pyclass(module = "watchword", frozen, freelist = 32)]
pub struct Entity {
    record: Box<CoreEntity>,
    owner: Py<PyAny>,
}

impl Entity {
    fn view(&self) -> Value {
        self.record.view()
    }
    fn key(&self) -> &str {
        &self.record.identity
    }
}

view_class!(Entity, "export_entity", "import_entity", {});

/// A factor's settings: TOTP's, or for recovery codes how many the set holds (`count`) and how
/// many remain (`remaining`), which are `None` for TOTP.
#[pyclass(module = "watchword", frozen, eq, get_all)]
#[derive(PartialEq)]
pub struct FactorConfig {
    alg: String,
    code_length: u32,
    time_step: u64,
    skew: u32,
    count: Option<u32>,
    remaining: Option<u32>,
}

#[pymethods]
impl FactorConfig {
    #[new]
    #[pyo3(signature = (alg, code_length, time_step, skew, count = None, remaining = None))]
    fn new(
        alg: String,
        code_length: u32,
        time_step: u64,
        skew: u32,
        count: Option<u32>,
        remaining: Option<u32>,
    ) -> FactorConfig {
        FactorConfig { alg, code_length, time_step, skew, count, remaining }
    }
    fn __repr__(&self) -> String {
        match (self.count, self.remaining) {
            (Some(count), Some(remaining)) => format!("FactorConfig(count={count}, remaining={remaining})"),
            _ => format!(
                "FactorConfig(alg={:?}, code_length={}, time_step={}, skew={})",
                self.alg, self.code_length, self.time_step, self.skew
            )
            .replace('"', "'"),
        }
    }
}

/// What a new factor's user needs, shown once: the Base32 secret and the key URI of a TOTP
/// factor, or the `codes` of a recovery-codes factor (then `secret` and `uri` are empty). Core's
/// binding inside wipes them when the object goes.
#[pyclass(module = "watchword", frozen)]
pub struct Binding {
    inner: CoreBinding,
}

#[pymethods]
impl Binding {
    #[new]
    #[pyo3(signature = (secret, uri, codes = None))]
    fn new(secret: String, uri: String, codes: Option<Vec<String>>) -> Binding {
        Binding { inner: CoreBinding { secret, uri, codes: codes.unwrap_or_default() } }
    }
    #[getter]
    fn secret(&self) -> &str {
        &self.inner.secret
    }
    #[getter]
    fn uri(&self) -> &str {
        &self.inner.uri
    }
    /// The recovery codes (`xxxxx-xxxxx`); empty for a TOTP factor.
    #[getter]
    fn codes(&self) -> Vec<String> {
        self.inner.codes.clone()
    }
    /// The key URI, parsed.
    fn key_uri(&self, py: Python<'_>) -> PyResult<crate::uri::KeyUri> {
        guard(|| crate::uri::KeyUri::parse(PyString::new(py, &self.inner.uri).as_any()))
    }
    /// The key URI as an SVG QR code.
    fn qr_svg(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| crate::uri::qr_svg(PyString::new(py, &self.inner.uri).as_any()))
    }
    /// The key URI as a QR code of text for a terminal with a dark (the default) or light
    /// (`background="light"`) background.
    #[pyo3(signature = (background = None))]
    fn qr_terminal(&self, py: Python<'_>, background: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        guard(|| crate::uri::qr_terminal(PyString::new(py, &self.inner.uri).as_any(), background))
    }
    fn __repr__(&self) -> &'static str {
        if self.inner.codes.is_empty() {
            "Binding(secret=<hidden>, uri=<hidden>)"
        } else {
            "Binding(codes=<hidden>)"
        }
    }
}

/// A factor: TOTP or recovery codes.
#[pyclass(module = "watchword", frozen, freelist = 32)]
pub struct Factor {
    record: Box<CoreFactor>,
    verification: Option<Verification>,
    binding: Option<Py<Binding>>,
    owner: Py<PyAny>,
}

impl Factor {
    fn view(&self) -> Value {
        let binding = self.binding.as_ref().map(|b| &b.get().inner);
        self.record.answer_view(self.verification.as_ref(), binding)
    }
    fn key(&self) -> &str {
        &self.record.sid
    }
}

view_class!(Factor, "export_factor", "import_factor", with_result, {
    #[getter]
    fn friendly_name(&self) -> &str {
        &self.record.friendly_name
    }
    /// `"unverified"` or `"verified"`.
    #[getter]
    fn status(&self) -> &'static str {
        self.record.status.as_str()
    }
    #[getter]
    fn config(&self) -> FactorConfig {
        let c = self.record.config;
        let codes = self.record.recovery_codes.as_ref();
        FactorConfig {
            alg: c.alg.as_str().to_string(),
            code_length: c.code_length,
            time_step: c.time_step,
            skew: c.skew,
            count: codes.map(|c| c.count()),
            remaining: codes.map(|c| c.remaining()),
        }
    }
    #[getter]
    fn metadata(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(|| strings(py, self.record.metadata.as_ref()))
    }
    /// The secret and key URI, or the recovery codes: only on the answer of `create_factor`
    /// (and of `update_factor` with `regenerate`).
    #[getter]
    fn binding(&self, py: Python<'_>) -> Option<Py<Binding>> {
        self.binding.as_ref().map(|b| b.clone_ref(py))
    }
});

/// A login attempt against a factor, read at the time of the call that returned it.
#[pyclass(module = "watchword", frozen, freelist = 32)]
pub struct Challenge {
    record: Box<CoreChallenge>,
    verification: Option<Verification>,
    now: u64,
    owner: Py<PyAny>,
}

impl Challenge {
    fn view(&self) -> Value {
        self.record.answer_view(self.verification.as_ref(), self.now)
    }
    fn key(&self) -> &str {
        &self.record.sid
    }
}

view_class!(Challenge, "export_challenge", "import_challenge", with_result, {
    #[getter]
    fn factor_sid(&self) -> &str {
        &self.record.factor_sid
    }
    /// `"pending"`, `"approved"`, `"denied"` or `"expired"`.
    #[getter]
    fn status(&self) -> &'static str {
        self.record.status_at(self.now).as_str()
    }
    #[getter]
    fn responded_reason(&self) -> &'static str {
        self.record.responded_reason()
    }
    #[getter]
    fn date_responded(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        guard(|| self.record.date_responded.map(|t| datetime(py, t)).transpose())
    }
    #[getter]
    fn expiration_date(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(|| datetime(py, self.record.expiration_date))
    }
    #[getter]
    fn details(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(|| field(py, &self.record.view(self.now), "details"))
    }
    #[getter]
    fn hidden_details(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(|| strings(py, self.record.hidden_details.as_ref()))
    }
    #[getter]
    fn metadata(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(|| strings(py, self.record.metadata.as_ref()))
    }
});

/// A `watchword.Page` of objects.
fn page<T>(py: Python<'_>, page: CorePage<T>, mut item: impl FnMut(T) -> PyResult<Py<PyAny>>) -> PyResult<Py<PyAny>> {
    let class = PAGE.import(py, "watchword._service", "Page")?;
    let items = PyList::empty(py);
    for record in page.items {
        items.append(item(record)?)?;
    }
    Ok(class.call1((items, page.next_page_token))?.unbind())
}

/// The Python object of an answer: views as objects attached to `owner` (the `Verify`),
/// pages as `Page`s, records as `str`, counts as `int`, nothing as `None`.
pub fn answer(py: Python<'_>, answer: Answer, now: u64, owner: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let owner = || owner.clone().unbind();
    let entity = |record| Ok(Py::new(py, Entity { record, owner: owner() })?.into_any());
    let factor = |record, verification, binding| {
        Ok(Py::new(py, Factor { record, verification, binding, owner: owner() })?.into_any())
    };
    let challenge =
        |record, verification| Ok(Py::new(py, Challenge { record, verification, now, owner: owner() })?.into_any());
    match answer {
        Answer::Entity(e) => entity(e),
        Answer::Entities(p) => page(py, p, |e| entity(Box::new(e))),
        Answer::Factor(f, v) => factor(f, v, None),
        Answer::Created(c) => {
            let Created { factor: record, binding } = *c;
            factor(Box::new(record), None, Some(Py::new(py, Binding { inner: binding })?))
        }
        Answer::Factors(p) => page(py, p, |f| factor(Box::new(f), None, None)),
        Answer::Challenge(c, v) => challenge(c, v),
        Answer::Challenges(p) => page(py, p, |c| challenge(Box::new(c), None)),
        Answer::Record(r) => Ok(r.into_pyobject(py)?.into_any().unbind()),
        Answer::Count(n) => Ok(n.into_pyobject(py)?.into_any().unbind()),
        Answer::Nothing => Ok(py.None()),
        _ => Ok(value_to_py(py, &answer.view(now))?.unbind()),
    }
}
