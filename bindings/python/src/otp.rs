//! `Totp`, `Hotp`, secrets and Base32: thin wrappers over core's primitives. Each object holds
//! core's precomputed HMAC key state, so a call costs the two hash blocks of a code plus the
//! argument conversion.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyString};
use watchword_core::{
    base32, Hotp as CoreHotp, Secret, Totp as CoreTotp, DEFAULT_ALGORITHM, DEFAULT_DIGITS, DEFAULT_PERIOD,
    DEFAULT_SKEW, MAX_DIGITS,
};

use crate::convert::{algorithm_arg, secret_arg, time_arg, u32_arg, u64_arg, unix_now};
use crate::errors::{guard, to_py};

/// A TOTP generator and verifier for one key (RFC 6238).
#[pyclass(module = "watchword", frozen)]
pub struct Totp {
    inner: CoreTotp,
}

impl Totp {
    /// The step-counting time of a `unix_time` argument; `int` is the fast path.
    #[inline]
    fn time(unix_time: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        match unix_time {
            None => Ok(unix_now()),
            Some(t) if t.is_exact_instance_of::<PyInt>() => match t.extract::<u64>() {
                Ok(v) => Ok(v),
                Err(_) => time_arg(Some(t), "unix_time"),
            },
            Some(t) => time_arg(Some(t), "unix_time"),
        }
    }

    pub fn from_core(inner: CoreTotp) -> Totp {
        Totp { inner }
    }
}

#[pymethods]
impl Totp {
    #[new]
    #[pyo3(signature = (secret, *, algorithm=None, digits=None, period=None, t0=None))]
    #[pyo3(text_signature = "(secret, *, algorithm='sha1', digits=6, period=30, t0=0)")]
    fn new(
        secret: &Bound<'_, PyAny>,
        algorithm: Option<&Bound<'_, PyAny>>,
        digits: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        t0: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Totp> {
        guard(|| {
            let secret = secret_arg(secret)?;
            let algorithm = algorithm.map(algorithm_arg).transpose()?.unwrap_or(DEFAULT_ALGORITHM);
            let digits =
                digits.map(|d| u32_arg(d, "digits", "an integer from 3 to 10")).transpose()?.unwrap_or(DEFAULT_DIGITS);
            let period =
                period.map(|p| u64_arg(p, "period", "seconds from 1 to 86400")).transpose()?.unwrap_or(DEFAULT_PERIOD);
            let t0 = match t0 {
                Some(t) => time_arg(Some(t), "t0")?,
                None => 0,
            };
            let inner = CoreTotp::new(secret.as_bytes(), algorithm, digits, period).map_err(to_py)?.with_t0(t0);
            Ok(Totp { inner })
        })
    }

    /// The code at `unix_time` (default: now).
    #[pyo3(signature = (unix_time=None))]
    fn generate<'py>(&self, py: Python<'py>, unix_time: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyString>> {
        guard(|| {
            let code = self.inner.generate(Self::time(unix_time)?).map_err(to_py)?;
            Ok(PyString::new(py, code.as_str()))
        })
    }

    /// The code of time step `step`.
    fn generate_step<'py>(&self, py: Python<'py>, step: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
        guard(|| {
            let step = u64_arg(step, "step", "an integer from 0 to 2^64-1")?;
            Ok(PyString::new(py, self.inner.generate_step(step).as_str()))
        })
    }

    /// The offset of the matched step from the current one, or `None` when nothing in
    /// `current - skew ..= current + skew` matches.
    #[pyo3(signature = (code, unix_time=None, skew=None))]
    #[pyo3(text_signature = "($self, code, unix_time=None, skew=1)")]
    fn verify(
        &self,
        code: &Bound<'_, PyAny>,
        unix_time: Option<&Bound<'_, PyAny>>,
        skew: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<i64>> {
        guard(|| {
            let code = code_arg(code)?;
            let skew = skew_arg(skew)?;
            let matched = self
                .inner
                .verify(code_text(code, &mut [0; MAX_DIGITS as usize]), Self::time(unix_time)?, skew)
                .map_err(to_py)?;
            Ok(matched.map(|m| m.offset))
        })
    }

    /// Verification with a replay floor (RFC 6238 §5.2): `last_used_step` is the step of the
    /// last code accepted for this key, if any. See `Check` for the outcomes.
    #[pyo3(signature = (code, unix_time=None, skew=None, last_used_step=None))]
    #[pyo3(text_signature = "($self, code, unix_time=None, skew=1, last_used_step=None)")]
    fn check(
        &self,
        code: &Bound<'_, PyAny>,
        unix_time: Option<&Bound<'_, PyAny>>,
        skew: Option<&Bound<'_, PyAny>>,
        last_used_step: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Check> {
        guard(|| {
            let code = code_arg(code)?;
            let skew = skew_arg(skew)?;
            let floor = match last_used_step {
                Some(s) if !s.is_none() => Some(u64_arg(s, "last_used_step", "a step from 0 to 2^64-1")?),
                _ => None,
            };
            let outcome = self
                .inner
                .check(code_text(code, &mut [0; MAX_DIGITS as usize]), Self::time(unix_time)?, skew, floor)
                .map_err(to_py)?;
            let m = outcome.matched();
            Ok(Check { result: outcome.result().as_str(), step: m.map(|m| m.step), offset: m.map(|m| m.offset) })
        })
    }

    /// The time step of `unix_time` (default: now).
    #[pyo3(signature = (unix_time=None))]
    fn step(&self, unix_time: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        guard(|| self.inner.step(Self::time(unix_time)?).map_err(to_py))
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    #[getter]
    fn digits(&self) -> u32 {
        self.inner.digits()
    }

    #[getter]
    fn period(&self) -> u64 {
        self.inner.period()
    }

    #[getter]
    fn t0(&self) -> u64 {
        self.inner.t0()
    }

    fn __repr__(&self) -> String {
        format!(
            "Totp(algorithm='{}', digits={}, period={}, t0={})",
            self.inner.algorithm(),
            self.inner.digits(),
            self.inner.period(),
            self.inner.t0()
        )
    }
}

/// An HOTP generator and verifier for one key (RFC 4226).
#[pyclass(module = "watchword", frozen)]
pub struct Hotp {
    inner: CoreHotp,
}

impl Hotp {
    pub fn from_core(inner: CoreHotp) -> Hotp {
        Hotp { inner }
    }
}

#[pymethods]
impl Hotp {
    #[new]
    #[pyo3(signature = (secret, *, algorithm=None, digits=None))]
    #[pyo3(text_signature = "(secret, *, algorithm='sha1', digits=6)")]
    fn new(
        secret: &Bound<'_, PyAny>,
        algorithm: Option<&Bound<'_, PyAny>>,
        digits: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Hotp> {
        guard(|| {
            let secret = secret_arg(secret)?;
            let algorithm = algorithm.map(algorithm_arg).transpose()?.unwrap_or(DEFAULT_ALGORITHM);
            let digits =
                digits.map(|d| u32_arg(d, "digits", "an integer from 3 to 10")).transpose()?.unwrap_or(DEFAULT_DIGITS);
            Ok(Hotp { inner: CoreHotp::new(secret.as_bytes(), algorithm, digits).map_err(to_py)? })
        })
    }

    /// The code for `counter`.
    fn generate<'py>(&self, py: Python<'py>, counter: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
        guard(|| {
            let counter = u64_arg(counter, "counter", "an integer from 0 to 2^64-1")?;
            Ok(PyString::new(py, self.inner.generate(counter).as_str()))
        })
    }

    /// The lowest counter in `counter ..= counter + look_ahead` whose code is `code`, or `None`.
    #[pyo3(signature = (code, counter, look_ahead=None))]
    #[pyo3(text_signature = "($self, code, counter, look_ahead=0)")]
    fn verify(
        &self,
        code: &Bound<'_, PyAny>,
        counter: &Bound<'_, PyAny>,
        look_ahead: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<u64>> {
        guard(|| {
            let code = code_arg(code)?;
            let counter = u64_arg(counter, "counter", "an integer from 0 to 2^64-1")?;
            let look_ahead = match look_ahead {
                None => 0,
                Some(l) => u64_arg(l, "look_ahead", "an integer from 0 to 1000")?,
            };
            self.inner.verify(code_text(code, &mut [0; MAX_DIGITS as usize]), counter, look_ahead).map_err(to_py)
        })
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    #[getter]
    fn digits(&self) -> u32 {
        self.inner.digits()
    }

    fn __repr__(&self) -> String {
        format!("Hotp(algorithm='{}', digits={})", self.inner.algorithm(), self.inner.digits())
    }
}

/// The outcome of `Totp.check`: `result` is `"approved"`, `"replayed"`, `"outside_window"` or
/// `"invalid_code"` (the service's spellings); `step` and `offset` (matched step minus current step) say which step matched.
#[pyclass(module = "watchword", frozen, eq, get_all)]
#[derive(PartialEq)]
pub struct Check {
    result: &'static str,
    step: Option<u64>,
    offset: Option<i64>,
}

#[pymethods]
impl Check {
    fn __repr__(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "None".to_string());
        format!(
            "Check(result='{}', step={}, offset={})",
            self.result,
            opt(self.step.map(|s| s.to_string())),
            opt(self.offset.map(|o| o.to_string()))
        )
    }
}

fn skew_arg(skew: Option<&Bound<'_, PyAny>>) -> PyResult<u32> {
    match skew {
        None => Ok(DEFAULT_SKEW),
        Some(s) => u32_arg(s, "skew", "steps from 0 to 10"),
    }
}

/// The code's text as ASCII on the stack, read without allocating (the hot path of `verify`).
///
/// A `str` longer than the longest code or with a character outside ASCII can never be a code
/// (core accepts exactly `digits` ASCII digits), so it is handed to core as the empty string,
/// which core treats as the same plain mismatch.
fn code_text<'a>(code: &Bound<'_, PyString>, buf: &'a mut [u8; MAX_DIGITS as usize]) -> &'a str {
    let Ok(len) = code.code_point_len() else {
        return "";
    };
    if len > buf.len() {
        return "";
    }
    let mut chars = [0 as pyo3::ffi::Py_UCS4; MAX_DIGITS as usize];
    // SAFETY: `code` is a live str object (the GIL is held through `Bound`), `chars` holds
    // `chars.len()` >= `len` code points, and copy_null = 0 writes no terminator.
    let copied = unsafe { pyo3::ffi::PyUnicode_AsUCS4(code.as_ptr(), chars.as_mut_ptr(), chars.len() as _, 0) };
    if copied.is_null() {
        drop(PyErr::take(code.py()));
        return "";
    }
    for (byte, &c) in buf.iter_mut().zip(&chars[..len]) {
        match u8::try_from(c) {
            Ok(b) if b.is_ascii() => *byte = b,
            _ => return "",
        }
    }
    // Every byte is ASCII, so this cannot fail.
    std::str::from_utf8(&buf[..len]).unwrap_or("")
}

/// Codes are strings at every boundary: an `int` would lose leading zeros.
fn code_arg<'a, 'py>(code: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PyString>> {
    code.cast::<PyString>().map_err(|_| crate::errors::wrong_type("code", "a str of digits", code))
}

/// A fresh secret from the OS CSPRNG: 20 bytes for SHA-1, 32 for SHA-256, 64 for SHA-512.
#[pyfunction]
#[pyo3(signature = (algorithm=None))]
#[pyo3(text_signature = "(algorithm='sha1')")]
pub fn generate_secret<'py>(py: Python<'py>, algorithm: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyBytes>> {
    guard(|| {
        let algorithm = algorithm.map(algorithm_arg).transpose()?.unwrap_or(DEFAULT_ALGORITHM);
        let secret = Secret::generate(algorithm);
        Ok(PyBytes::new(py, secret.as_bytes()))
    })
}

/// A new secret key for sealed records (`Verify(secret_keys=…)`): 32 bytes from the operating
/// system.
#[pyfunction]
pub fn generate_secret_key(py: Python<'_>) -> Bound<'_, PyBytes> {
    PyBytes::new(py, &watchword_core::service::generate_secret_key()[..])
}

/// RFC 4648 Base32: upper case, no padding.
#[pyfunction]
pub fn base32_encode<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    guard(|| {
        let bytes = data.cast::<PyBytes>().map_err(|_| crate::errors::wrong_type("data", "bytes", data))?;
        Ok(PyString::new(py, &base32::encode(bytes.as_bytes())))
    })
}

/// RFC 4648 Base32 in: case-insensitive, spaces and hyphens ignored, padding optional.
#[pyfunction]
pub fn base32_decode<'py>(py: Python<'py>, text: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    guard(|| {
        let text = text.cast::<PyString>().map_err(|_| crate::errors::wrong_type("text", "a str", text))?;
        let bytes = base32::decode(&text.to_cow()?).map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    })
}
