//! The service operations as native methods of `watchword.Verify`.
//!
//! `watchword/_service.py` declares each operation as a Python method (its parameters, their
//! types and defaults, its docstring) and hands the declaration to [`operation`], which answers
//! with a method descriptor, as a C extension's own methods are: calling it runs no Python frame.
//! The call's values reach core by name, as [`Kwargs`], exactly as `Service._run` passes them,
//! and Python's own rules for a call (too many positional values, a missing or unknown
//! parameter, a parameter given twice) raise the `TypeError` a Python method would.
//!
//! A method descriptor's callback gets no data of its own, so each operation has its own
//! callback ([`method`]`::<I>`, `I` its index in core's `OPERATIONS`), which finds its
//! declaration in [`DECLARED`].

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple, PyType};
use watchword_core::service::OPERATIONS;

use crate::errors::guard;
use crate::service::{Kwargs, Service};

/// The most parameters an operation may declare (the bits of a `u64`).
const MAX_PARAMETERS: usize = 64;

/// An operation's Python declaration.
struct Declared {
    /// Core's name of the operation.
    op: &'static str,
    /// The parameters after `self`, in order.
    names: Vec<&'static str>,
    /// How many of them can be given by position (the first ones).
    positional: usize,
    /// How many of those must be given (the first ones).
    required: usize,
    /// The defaults other than `None`, by parameter index.
    defaults: Vec<(usize, Py<PyAny>)>,
    /// The method's definition (kept for the life of the process, as CPython requires).
    def: MethodDef,
}

/// A `PyMethodDef` that lives as long as the process.
struct MethodDef(&'static ffi::PyMethodDef);

// SAFETY: the definition is never written after it is made; CPython only reads it.
unsafe impl Send for MethodDef {}
// SAFETY: as above.
unsafe impl Sync for MethodDef {}

/// The declaration of each operation of core's `OPERATIONS`, by index.
static DECLARED: [OnceLock<Declared>; OPERATIONS.len()] = [const { OnceLock::new() }; OPERATIONS.len()];

/// Each operation's callback, by index in `OPERATIONS` (one per operation, or this does not
/// compile).
const CALLBACKS: [ffi::PyCFunctionFastWithKeywords; OPERATIONS.len()] = [
    method::<0>,
    method::<1>,
    method::<2>,
    method::<3>,
    method::<4>,
    method::<5>,
    method::<6>,
    method::<7>,
    method::<8>,
    method::<9>,
    method::<10>,
    method::<11>,
    method::<12>,
    method::<13>,
    method::<14>,
    method::<15>,
    method::<16>,
    method::<17>,
    method::<18>,
    method::<19>,
    method::<20>,
    method::<21>,
    method::<22>,
];

/// The native method of operation `name` for the instances of `cls` (a subclass of `Service`).
/// `names` are its parameters after `self`; the first `positional` of them can be
/// given by position, and the first `required` must be; `defaults` are those other than `None`
/// (by index); `doc` is the docstring, its first line the signature (`name($self, …)\n--\n\n`).
/// An operation is declared once per process: a second declaration must be the same.
#[pyfunction]
pub fn operation(
    cls: &Bound<'_, PyType>,
    name: &str,
    names: Vec<String>,
    positional: usize,
    required: usize,
    defaults: Vec<(usize, Py<PyAny>)>,
    doc: &str,
) -> PyResult<Py<PyAny>> {
    guard(|| {
        let py = cls.py();
        let index = OPERATIONS
            .iter()
            .position(|op| *op == name)
            .ok_or_else(|| PyValueError::new_err(format!("{name:?} is not an operation of the service")))?;
        if names.len() > MAX_PARAMETERS || required > positional || positional > names.len() {
            return Err(PyValueError::new_err(format!("{name}: a declaration this binding cannot take")));
        }
        if defaults.iter().any(|(i, _)| *i < required || *i >= names.len()) {
            return Err(PyValueError::new_err(format!("{name}: a default for no optional parameter")));
        }
        let declared = DECLARED[index].get_or_init(|| {
            let text = |s: &str| CString::new(s.replace('\0', "")).unwrap_or_default();
            let def = ffi::PyMethodDef {
                ml_name: leak(text(name)),
                ml_meth: ffi::PyMethodDefPointer { PyCFunctionFastWithKeywords: CALLBACKS[index] },
                ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
                ml_doc: leak(text(doc)),
            };
            Declared {
                op: OPERATIONS[index],
                names: names.iter().map(|n| &*Box::leak(n.clone().into_boxed_str())).collect(),
                positional,
                required,
                defaults: defaults.iter().map(|(i, value)| (*i, value.clone_ref(py))).collect(),
                def: MethodDef(Box::leak(Box::new(def))),
            }
        });
        let same_defaults = declared.defaults.len() == defaults.len()
            && declared
                .defaults
                .iter()
                .zip(&defaults)
                .all(|((i, a), (j, b))| i == j && a.bind(py).eq(b).unwrap_or(false));
        if declared.names != names
            || declared.positional != positional
            || declared.required != required
            || !same_defaults
        {
            return Err(PyValueError::new_err(format!("{name} was declared before with other parameters")));
        }
        let def = std::ptr::from_ref(declared.def.0).cast_mut();
        // SAFETY: `cls` is a type and `def` a method definition that lives as long as the process.
        let descriptor = unsafe { ffi::PyDescr_NewMethod(cls.as_type_ptr(), def) };
        // SAFETY: a new reference, or NULL with the error set.
        Ok(unsafe { Bound::from_owned_ptr_or_err(py, descriptor) }?.unbind())
    })
}

fn leak(text: CString) -> *const c_char {
    Box::leak(text.into_boxed_c_str()).as_ptr()
}

/// The callback of the operation with index `I`: `self`, then the values given by position,
/// then those given by keyword (named in `kwnames`).
unsafe extern "C" fn method<const I: usize>(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a method with the GIL held.
    let py = unsafe { Python::assume_attached() };
    // SAFETY: the arguments of a METH_FASTCALL | METH_KEYWORDS call, as CPython gives them.
    match guard(|| unsafe { call(py, I, slf, args, nargs, kwnames) }) {
        Ok(answer) => answer.into_ptr(),
        Err(e) => {
            e.restore(py);
            std::ptr::null_mut()
        }
    }
}

/// Runs operation `index` with a call's arguments.
///
/// # Safety
/// The arguments are those of a METH_FASTCALL | METH_KEYWORDS call, with the GIL held.
unsafe fn call(
    py: Python<'_>,
    index: usize,
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> PyResult<Py<PyAny>> {
    let declared = DECLARED[index].get().ok_or_else(|| PyTypeError::new_err("an operation not declared"))?;
    let op = declared.op;
    // SAFETY: CPython passes the instance the method was called on.
    let owner = unsafe { Borrowed::from_ptr(py, slf) };
    let service = owner.cast::<Service>()?;
    let by_position = usize::try_from(nargs).unwrap_or(0);
    let keywords = if kwnames.is_null() {
        None
    } else {
        // SAFETY: `kwnames`, when not NULL, is a tuple of strings.
        Some(unsafe { Borrowed::from_ptr(py, kwnames) }.cast::<PyTuple>()?)
    };
    let by_keyword = keywords.as_ref().map_or(0, |k| k.len());
    // SAFETY: `args` holds `nargs` values then one per keyword name.
    let values = if by_position + by_keyword == 0 {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(args, by_position + by_keyword) }
    };
    let value = |i: usize| {
        // SAFETY: every value of the call is a valid object for the call's duration.
        unsafe { Borrowed::from_ptr(py, values[i]) }
    };
    if by_position > declared.positional {
        return Err(PyTypeError::new_err(format!(
            "Verify.{op}() takes {} positional arguments but {} were given",
            declared.positional + 1,
            by_position + 1
        )));
    }
    let mut kwargs = Kwargs::with_capacity(by_position + by_keyword + declared.defaults.len());
    let mut given = 0u64;
    for (i, name) in declared.names.iter().take(by_position).enumerate() {
        kwargs.push(name, value(i));
        given |= 1 << i;
    }
    if let Some(keywords) = &keywords {
        for (j, key) in keywords.iter_borrowed().enumerate() {
            let key = key.cast::<PyString>()?;
            let key = key.to_str()?;
            let Some(i) = declared.names.iter().position(|n| *n == key) else {
                return Err(PyTypeError::new_err(format!("Verify.{op}() got an unexpected keyword argument '{key}'")));
            };
            if given & (1 << i) != 0 {
                return Err(PyTypeError::new_err(format!("Verify.{op}() got multiple values for argument '{key}'")));
            }
            given |= 1 << i;
            kwargs.push(declared.names[i], value(by_position + j));
        }
    }
    let missing: Vec<String> =
        (0..declared.required).filter(|i| given & (1 << i) == 0).map(|i| format!("'{}'", declared.names[i])).collect();
    if !missing.is_empty() {
        let s = if missing.len() == 1 { "" } else { "s" };
        return Err(PyTypeError::new_err(format!(
            "Verify.{op}() missing {} required positional argument{s}: {}",
            missing.len(),
            missing.join(" and ")
        )));
    }
    for (i, default) in &declared.defaults {
        if given & (1 << i) == 0 {
            kwargs.push(declared.names[*i], default.bind_borrowed(py));
        }
    }
    let (request, now) = kwargs.request(op)?;
    service.get().perform(py, request, now, &owner)
}
