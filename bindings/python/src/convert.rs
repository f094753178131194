//! Conversions of Python arguments to the Rust types core takes. A value of the wrong Python
//! type is a `TypeError`; a value of the right type that the Rust type cannot hold (a negative
//! integer for an unsigned one, a naive datetime …) is `InvalidParameter`, a `ValueError`.
//! Ranges are core's to check.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType};
use serde_json::Value;
use watchword_core::{Algorithm, Secret};

use crate::errors::{invalid, to_py, wrong_type};

/// The system clock in Unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn is_datetime(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let class = DATETIME.import(py, "datetime", "datetime")?;
    obj.is_instance(class)
}

/// A point in time: `None` (the system clock), an `int` or `float` of Unix seconds (floats are
/// floored), or an aware `datetime`.
pub fn time_arg(obj: Option<&Bound<'_, PyAny>>, name: &'static str) -> PyResult<u64> {
    let Some(obj) = obj else { return Ok(unix_now()) };
    if obj.is_exact_instance_of::<PyInt>() {
        return obj.extract::<u64>().map_err(|_| invalid(name, "Unix seconds from 0 to 2^64-1"));
    }
    if obj.is_none() {
        return Ok(unix_now());
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(wrong_type(name, "an int, a float or an aware datetime", obj));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<u64>().map_err(|_| invalid(name, "Unix seconds from 0 to 2^64-1"));
    }
    if obj.is_instance_of::<PyFloat>() {
        let value: f64 = obj.extract()?;
        return float_seconds(value, name);
    }
    if is_datetime(obj)? {
        if obj.getattr("tzinfo")?.is_none() || obj.call_method0("utcoffset")?.is_none() {
            return Err(invalid(name, "an aware datetime (with tzinfo, e.g. timezone.utc)"));
        }
        let value: f64 = obj.call_method0("timestamp")?.extract()?;
        return float_seconds(value, name);
    }
    Err(wrong_type(name, "an int, a float or an aware datetime", obj))
}

fn float_seconds(value: f64, name: &'static str) -> PyResult<u64> {
    // 2^64 as f64; every finite value below it floors to a u64.
    if (0.0..18_446_744_073_709_551_616.0).contains(&value) {
        Ok(value.floor() as u64)
    } else {
        Err(invalid(name, "finite Unix seconds from 0 to 2^64-1"))
    }
}

/// A non-negative `int` (not `bool`) that fits a `u64`.
pub fn u64_arg(obj: &Bound<'_, PyAny>, name: &'static str, expected: &'static str) -> PyResult<u64> {
    if obj.is_exact_instance_of::<PyInt>() || (obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>()) {
        obj.extract::<u64>().map_err(|_| invalid(name, expected))
    } else {
        Err(wrong_type(name, "an int", obj))
    }
}

/// A non-negative `int` (not `bool`) that fits a `u32`.
pub fn u32_arg(obj: &Bound<'_, PyAny>, name: &'static str, expected: &'static str) -> PyResult<u32> {
    u32::try_from(u64_arg(obj, name, expected)?).map_err(|_| invalid(name, expected))
}

/// An algorithm name (`"sha1"`, `"SHA-256"` …).
pub fn algorithm_arg(obj: &Bound<'_, PyAny>) -> PyResult<Algorithm> {
    match obj.cast::<PyString>() {
        Ok(s) => s.to_cow()?.parse().map_err(to_py),
        Err(_) => Err(wrong_type("algorithm", "a str (sha1, sha256 or sha512)", obj)),
    }
}

/// A secret given as raw `bytes` or as Base32 `str`.
pub fn secret_arg(obj: &Bound<'_, PyAny>) -> PyResult<Secret> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        Secret::from_bytes(bytes.as_bytes()).map_err(to_py)
    } else if let Ok(text) = obj.cast::<PyString>() {
        Secret::from_base32(&text.to_cow()?).map_err(to_py)
    } else {
        Err(wrong_type("secret", "bytes or a Base32 str", obj))
    }
}

/// A JSON value as plain Python data (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, value_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// The value of argument `name` for core: `str`, `int` (not fitting 64 bits: a number out of
/// every range), `float`, `bool`, `None`, aware `datetime` (Unix seconds), `bytes` (an array of
/// numbers), mappings with `str` keys and lists or tuples of these. Any other type is
/// a `TypeError`; which types an argument allows is core's to say.
pub fn py_to_value(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    if let Ok(s) = obj.cast::<PyString>() {
        // Lone surrogates cannot be UTF-8: they read as U+FFFD (as JavaScript strings do), and
        // core judges the text.
        return Ok(Value::String(match s.to_cow() {
            Ok(text) => text.into_owned(),
            Err(_) => s.to_string_lossy().into_owned(),
        }));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        let negative = obj.lt(0)?;
        return Ok(if negative { Value::from(i64::MIN) } else { Value::from(u64::MAX) });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(serde_json::Number::from_f64(f.value()).map_or(Value::Null, Value::Number));
    }
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        // Raw bytes travel as an array of numbers; core says where they are allowed.
        return Ok(Value::Array(bytes.as_bytes().iter().map(|&b| Value::from(b)).collect()));
    }
    if is_datetime(obj)? {
        let seconds = time_arg(Some(obj), "time")?;
        return Ok(Value::from(seconds));
    }
    if let Ok(map) = obj.cast::<PyMapping>() {
        let mut out = serde_json::Map::new();
        for item in map.items()?.iter() {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let Ok(key) = key.cast::<PyString>() else {
                return Err(wrong_type(name, "a mapping with str keys", &key));
            };
            out.insert(key.to_cow()?.into_owned(), py_to_value(&value, name)?);
        }
        return Ok(Value::Object(out));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for item in obj.try_iter()? {
            out.push(py_to_value(&item?, name)?);
        }
        return Ok(Value::Array(out));
    }
    Err(wrong_type(name, "a str, an int, a mapping or a list", obj))
}
