//! `KeyUri`: core's `otpauth://` key URI as a Python value object.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use watchword_core::qr::Background;
use watchword_core::{
    Hotp as CoreHotp, KeyUri as CoreKeyUri, OtpKind, Totp as CoreTotp, DEFAULT_ALGORITHM, DEFAULT_DIGITS,
    DEFAULT_PERIOD,
};

use crate::convert::{algorithm_arg, secret_arg, u32_arg, u64_arg};
use crate::errors::{guard, invalid, to_py, wrong_type};
use crate::otp::{Hotp, Totp};

/// A parsed or to-be-built `otpauth://` key URI.
#[pyclass(module = "watchword", frozen, eq)]
#[derive(PartialEq)]
pub struct KeyUri {
    inner: CoreKeyUri,
}

fn str_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(wrong_type(name, "a str", obj)),
    }
}

fn kind_arg(obj: &Bound<'_, PyAny>) -> PyResult<OtpKind> {
    let text = str_arg(obj, "kind")?;
    if text.eq_ignore_ascii_case("totp") {
        Ok(OtpKind::Totp)
    } else if text.eq_ignore_ascii_case("hotp") {
        Ok(OtpKind::Hotp)
    } else {
        Err(invalid("kind", "\"totp\" or \"hotp\""))
    }
}

fn extra_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    let items = if obj.hasattr("items")? { obj.call_method0("items")? } else { obj.clone() };
    for item in items.try_iter().map_err(|_| wrong_type("extra", "a dict or a sequence of (key, value) pairs", obj))? {
        let item = item?;
        let pair = item.cast::<PyTuple>().map_err(|_| wrong_type("extra item", "a (key, value) tuple", &item))?;
        if pair.len() != 2 {
            return Err(invalid("extra", "(key, value) pairs"));
        }
        out.push((str_arg(&pair.get_item(0)?, "extra key")?, str_arg(&pair.get_item(1)?, "extra value")?));
    }
    Ok(out)
}

#[pymethods]
impl KeyUri {
    /// Builds a key URI from its parts; the same checks as `to_uri()` apply.
    #[new]
    #[pyo3(signature = (*, account, secret, issuer=None, kind=None, algorithm=None, digits=None, period=None, counter=None, extra=None))]
    #[pyo3(
        text_signature = "(*, account, secret, issuer=None, kind='totp', algorithm='sha1', digits=6, period=30, counter=None, extra=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        account: &Bound<'_, PyAny>,
        secret: &Bound<'_, PyAny>,
        issuer: Option<&Bound<'_, PyAny>>,
        kind: Option<&Bound<'_, PyAny>>,
        algorithm: Option<&Bound<'_, PyAny>>,
        digits: Option<&Bound<'_, PyAny>>,
        period: Option<&Bound<'_, PyAny>>,
        counter: Option<&Bound<'_, PyAny>>,
        extra: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<KeyUri> {
        guard(|| {
            let inner = CoreKeyUri {
                kind: kind.map(kind_arg).transpose()?.unwrap_or(OtpKind::Totp),
                issuer: issuer.filter(|i| !i.is_none()).map(|i| str_arg(i, "issuer")).transpose()?,
                account: str_arg(account, "account")?,
                secret: secret_arg(secret)?,
                algorithm: algorithm.map(algorithm_arg).transpose()?.unwrap_or(DEFAULT_ALGORITHM),
                digits: digits
                    .map(|d| u32_arg(d, "digits", "an integer from 3 to 10"))
                    .transpose()?
                    .unwrap_or(DEFAULT_DIGITS),
                period: period
                    .map(|p| u64_arg(p, "period", "seconds from 1 to 86400"))
                    .transpose()?
                    .unwrap_or(DEFAULT_PERIOD),
                counter: counter
                    .filter(|c| !c.is_none())
                    .map(|c| u64_arg(c, "counter", "an integer from 0 to 2^64-1"))
                    .transpose()?,
                extra: extra.filter(|e| !e.is_none()).map(extra_arg).transpose()?.unwrap_or_default(),
            };
            inner.to_uri().map_err(to_py)?;
            Ok(KeyUri { inner })
        })
    }

    /// Parses an `otpauth://totp/…` or `otpauth://hotp/…` URI.
    #[staticmethod]
    pub(crate) fn parse(uri: &Bound<'_, PyAny>) -> PyResult<KeyUri> {
        guard(|| {
            let text = uri.cast::<PyString>().map_err(|_| wrong_type("uri", "a str", uri))?;
            Ok(KeyUri { inner: CoreKeyUri::parse(&text.to_cow()?).map_err(to_py)? })
        })
    }

    /// The URI text (always with algorithm, digits and period or counter).
    fn to_uri(&self) -> PyResult<String> {
        guard(|| self.inner.to_uri().map_err(to_py))
    }

    /// A `Totp` for this key (a `totp` URI).
    fn totp(&self) -> PyResult<Totp> {
        guard(|| {
            if self.inner.kind != OtpKind::Totp {
                return Err(invalid("kind", "a totp key URI"));
            }
            let totp =
                CoreTotp::new(self.inner.secret.as_bytes(), self.inner.algorithm, self.inner.digits, self.inner.period)
                    .map_err(to_py)?;
            Ok(Totp::from_core(totp))
        })
    }

    /// An `Hotp` for this key (an `hotp` URI; its counter is `self.counter`).
    fn hotp(&self) -> PyResult<Hotp> {
        guard(|| {
            if self.inner.kind != OtpKind::Hotp {
                return Err(invalid("kind", "an hotp key URI"));
            }
            let hotp =
                CoreHotp::new(self.inner.secret.as_bytes(), self.inner.algorithm, self.inner.digits).map_err(to_py)?;
            Ok(Hotp::from_core(hotp))
        })
    }

    /// The URI as a QR code: an SVG document.
    fn qr_svg(&self) -> PyResult<String> {
        guard(|| watchword_core::qr::svg(&self.inner.to_uri().map_err(to_py)?).map_err(to_py))
    }

    /// The URI as a QR code of Unicode half blocks, for a terminal with a dark (the default) or
    /// light background.
    #[pyo3(signature = (background=None))]
    #[pyo3(text_signature = "($self, background='dark')")]
    fn qr_terminal(&self, background: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        guard(|| {
            let background = background_arg(background)?;
            watchword_core::qr::terminal(&self.inner.to_uri().map_err(to_py)?, background).map_err(to_py)
        })
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }

    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.inner.issuer.as_deref()
    }

    #[getter]
    fn account(&self) -> &str {
        &self.inner.account
    }

    #[getter]
    fn secret<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.secret.as_bytes())
    }

    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm.as_str()
    }

    #[getter]
    fn digits(&self) -> u32 {
        self.inner.digits
    }

    #[getter]
    fn period(&self) -> u64 {
        self.inner.period
    }

    #[getter]
    fn counter(&self) -> Option<u64> {
        self.inner.counter
    }

    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(|| PyList::new(py, self.inner.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| {
            let u = &self.inner;
            let text = |s: &str| -> PyResult<String> { Ok(PyString::new(py, s).repr()?.to_cow()?.into_owned()) };
            let issuer = match &u.issuer {
                Some(i) => text(i)?,
                None => "None".to_string(),
            };
            let counter = u.counter.map_or_else(|| "None".to_string(), |c| c.to_string());
            Ok(format!(
                "KeyUri(kind='{}', issuer={}, account={}, algorithm='{}', digits={}, period={}, counter={})",
                u.kind.as_str(),
                issuer,
                text(&u.account)?,
                u.algorithm,
                u.digits,
                u.period,
                counter
            ))
        })
    }
}

/// The key URI (or any text) as a QR code: an SVG document.
#[pyfunction]
pub fn qr_svg(text: &Bound<'_, PyAny>) -> PyResult<String> {
    guard(|| {
        let text = text.cast::<PyString>().map_err(|_| wrong_type("text", "a str", text))?;
        watchword_core::qr::svg(&text.to_cow()?).map_err(to_py)
    })
}

/// The key URI (or any text) as a QR code drawn with Unicode half blocks, for a terminal with a
/// dark (the default) or light background.
#[pyfunction]
#[pyo3(signature = (text, background=None))]
#[pyo3(text_signature = "(text, background='dark')")]
pub fn qr_terminal(text: &Bound<'_, PyAny>, background: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    guard(|| {
        let text = text.cast::<PyString>().map_err(|_| wrong_type("text", "a str", text))?;
        let background = background_arg(background)?;
        watchword_core::qr::terminal(&text.to_cow()?, background).map_err(to_py)
    })
}

/// A terminal background given as `"dark"` or `"light"` (core checks the name).
fn background_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Background> {
    let Some(obj) = obj else { return Ok(Background::default()) };
    match obj.cast::<PyString>() {
        Ok(s) => Background::parse(&s.to_cow()?).map_err(to_py),
        Err(_) => Err(wrong_type("background", "a str (dark or light)", obj)),
    }
}
