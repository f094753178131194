//! JavaScript arguments as core's named arguments: one spelling rule (`friendlyName` ↔
//! `friendly_name`) and one conversion by JavaScript type. Which arguments an operation takes,
//! of which types, is core's to decide (`Request::parse`); nothing here knows an option.

use napi::bindgen_prelude::{JsObjectValue, Object, Unknown};
use napi::{JsDate, JsValue, ValueType};
use serde_json::{Map, Value};
use watchword_core::base32;

use crate::args::{self, describe, MAX_SAFE_INTEGER};
use crate::error::Out;

/// `friendly_name` → `friendlyName`; `config.code_length` → `config.codeLength`.
pub(crate) fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `friendlyName` → `friendly_name`.
pub(crate) fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The core name a JavaScript key spells, when it is spelt by the camelCase rule (so
/// `code_length` or `CodeLength` name nothing): those are the keys that [`camel`] makes back
/// from their [`snake`] form — the ones with no `_` that do not start with a capital.
pub(crate) fn core_name(key: &str) -> Option<String> {
    (!key.contains('_') && !key.starts_with(|c: char| c.is_ascii_uppercase())).then(|| snake(key))
}

/// What a JavaScript value was, for the error about it.
#[derive(Clone, Debug)]
pub(crate) enum Given {
    /// A string, a plain object or array of strings, bytes: passed on as they are.
    Value(&'static str),
    /// A number or a `Date`: a range error of core about it is a `RangeError`.
    Number,
    /// A number that is no integer (or beyond 2^53 - 1), or an invalid `Date`: core refuses
    /// it, and the message says why in JavaScript's terms (`must be an integer, not 6.5`).
    Inexact(String),
    /// A plain object or array with a value that is not a string at `path`.
    NotText { path: String, what: &'static str },
}

/// A JavaScript value as the JSON value of a core argument (`None`: left out). Numbers that
/// are safe integers and `Date`s (Unix seconds) become integers; bytes become Base32 (a
/// secret); plain objects and arrays keep their keys, their values must be strings.
/// `name` gives the argument's name for messages (it is only made when one is needed).
pub(crate) fn argument(value: &Unknown, name: impl Fn() -> String) -> Out<Option<(Value, Given)>> {
    Ok(Some(match value.get_type()? {
        ValueType::Undefined => return Ok(None),
        ValueType::Null => (Value::Null, Given::Value("null")),
        ValueType::String => (Value::String(args::text(value)?), Given::Value("a string")),
        ValueType::Number => {
            // SAFETY: the value was just checked to be a number.
            let n = unsafe { value.cast::<f64>()? };
            number(n)
        }
        ValueType::Object if value.is_date()? => {
            // SAFETY: the value was just checked to be a Date.
            let ms = unsafe { value.cast::<JsDate>()? }.value_of()?;
            match number((ms / 1000.0).floor()) {
                (json, Given::Number) => (json, Given::Number),
                (json, _) => (json, Given::Inexact("must be a valid Date".to_string())),
            }
        }
        ValueType::Object if value.is_typedarray()? => {
            (Value::String(base32::encode(&args::bytes(value, &name())?)), Given::Value("a typed array"))
        }
        ValueType::Object => {
            let mut bad = None;
            let json = text_tree(value, &name(), &mut bad)?;
            match bad {
                Some((path, what)) => (json, Given::NotText { path, what }),
                None => (json, Given::Value(describe(value))),
            }
        }
        ValueType::Boolean => {
            // SAFETY: the value was just checked to be a boolean.
            (Value::Bool(unsafe { value.cast::<bool>()? }), Given::Value("a boolean"))
        }
        // Bigints, symbols and functions are no argument's type: core refuses them.
        _ => (Value::Bool(false), Given::Value(describe(value))),
    }))
}

/// A number: an integer when it is a safe one, else a fraction, which core refuses for every
/// argument it takes as a number, and the reason in JavaScript's terms.
fn number(n: f64) -> (Value, Given) {
    if n.is_finite() && n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
        (Value::from(n as i64), Given::Number)
    } else if n.is_finite() && n.fract() == 0.0 {
        (Value::from(0.5), Given::Inexact(format!("must be at most 2^53 - 1, not {n}")))
    } else {
        (Value::from(0.5), Given::Inexact(format!("must be an integer, not {n}")))
    }
}

/// A plain object or array whose values are strings (or such objects and arrays), as JSON;
/// the first value that is not records its path in `bad` (and goes on as core's refusal).
fn text_tree(value: &Unknown, path: &str, bad: &mut Option<(String, &'static str)>) -> Out<Value> {
    match value.get_type()? {
        ValueType::String => Ok(Value::String(args::string(value, path)?)),
        ValueType::Object if value.is_array()? => {
            // SAFETY: checked to be an array.
            let array = unsafe { value.cast::<Object>()? };
            let len = array.get_array_length()?;
            let mut items = Vec::with_capacity(len as usize);
            for i in 0..len {
                let item: Unknown = array.get_element(i)?;
                items.push(text_tree(&item, &format!("{path}[{i}]"), bad)?);
            }
            Ok(Value::Array(items))
        }
        ValueType::Object if !value.is_date()? && !value.is_typedarray()? => {
            // SAFETY: checked to be an object.
            let object = unsafe { value.cast::<Object>()? };
            let mut map = Map::new();
            for (key, item) in args::entries(&object, None)? {
                if item.get_type()? == ValueType::Undefined {
                    continue;
                }
                let json = text_tree(&item, &format!("{path}.{key}"), bad)?;
                map.insert(key, json);
            }
            Ok(Value::Object(map))
        }
        _ => {
            if bad.is_none() {
                *bad = Some((path.to_string(), describe(value)));
            }
            Ok(Value::Bool(false))
        }
    }
}
