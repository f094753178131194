//! The service speaks JSON with snake_case keys; JavaScript gets plain objects with camelCase
//! keys (as twilio-node has them) and `Date`s for the dates. Key names only change case:
//! the values under `metadata` and `hidden_details` are the caller's own maps and pass through
//! untouched.

use napi::bindgen_prelude::{JsObjectValue, Null, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue, ValueType};
use serde_json::{Map, Value};
use watchword_core::service::parse_rfc3339;

use crate::args::{self, type_error};
use crate::error::{Fail, Out};

/// `friendly_name` → `friendlyName`.
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

/// Whether a view key holds a date (`date_created`, `expiration_date` …).
fn is_date_key(key: &str) -> bool {
    key.starts_with("date_") || key.ends_with("_date")
}

/// Whether a view key holds a caller's own string map, whose keys stay as given.
fn is_verbatim_key(key: &str) -> bool {
    key == "metadata" || key == "hidden_details"
}

/// A JSON answer of the service as a JavaScript value.
pub(crate) fn to_js<'env>(env: &'env Env, value: &Value) -> napi::Result<Unknown<'env>> {
    let raw = convert(env, value, false)?;
    // SAFETY: `raw` was just created in `env`.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), raw) })
}

fn convert(env: &Env, value: &Value, verbatim: bool) -> napi::Result<napi::sys::napi_value> {
    // SAFETY (every `to_napi_value` below): `env` is the live environment of this call.
    unsafe {
        match value {
            Value::Null => Null::to_napi_value(env.raw(), Null),
            Value::Bool(b) => bool::to_napi_value(env.raw(), *b),
            Value::Number(n) => f64::to_napi_value(env.raw(), n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Ok(env.create_string(s)?.raw()),
            Value::Array(items) => {
                let mut array = env.create_array(items.len() as u32)?;
                for (i, item) in items.iter().enumerate() {
                    let element = Unknown::from_raw_unchecked(env.raw(), convert(env, item, verbatim)?);
                    array.set_element(i as u32, element)?;
                }
                Ok(array.raw())
            }
            Value::Object(map) => {
                let mut object = Object::new(env)?;
                for (key, item) in map {
                    let raw = if verbatim {
                        convert(env, item, true)?
                    } else {
                        match item {
                            Value::String(s) if is_date_key(key) => date(env, s)?,
                            _ => convert(env, item, is_verbatim_key(key))?,
                        }
                    };
                    let element = Unknown::from_raw_unchecked(env.raw(), raw);
                    if verbatim {
                        object.set_named_property(key, element)?;
                    } else {
                        object.set_named_property(&camel(key), element)?;
                    }
                }
                Ok(object.raw())
            }
        }
    }
}

/// An RFC 3339 date of a view as a `Date` (the text itself if it does not parse, which core
/// never emits).
fn date(env: &Env, text: &str) -> napi::Result<napi::sys::napi_value> {
    match parse_rfc3339(text) {
        Some(seconds) => Ok(env.create_date(seconds as f64 * 1000.0)?.raw()),
        None => Ok(env.create_string(text)?.raw()),
    }
}

/// A caller's map of strings (`metadata`, `hiddenDetails`): a plain object whose values are
/// all strings. Its keys are kept as given.
pub(crate) fn string_map(value: &Unknown, name: &str) -> Out<Value> {
    let object = plain_object(value, name)?;
    let mut map = Map::new();
    for key in args::keys(&object)? {
        let item: Unknown = object.get_named_property_unchecked(&key)?;
        let text = args::string(&item, &format!("{name}.{key}"))?;
        map.insert(key, Value::String(text));
    }
    Ok(Value::Object(map))
}

/// Challenge `details`: `{ message: string, fields?: [{ label: string, value: string }] }`.
pub(crate) fn details(value: &Unknown, name: &str) -> Out<Value> {
    let object = plain_object(value, name)?;
    let mut map = Map::new();
    for key in args::keys(&object)? {
        let item: Unknown = object.get_named_property_unchecked(&key)?;
        match key.as_str() {
            "message" => {
                map.insert(key, Value::String(args::string(&item, &format!("{name}.message"))?));
            }
            "fields" => {
                let field_name = format!("{name}.fields");
                if !item.is_array()? {
                    return Err(type_error(&field_name, "an array of { label, value } objects", &item));
                }
                // SAFETY: checked to be an array.
                let array = unsafe { item.cast::<Object>()? };
                let mut fields = Vec::new();
                for i in 0..array.get_array_length()? {
                    let field: Unknown = array.get_element(i)?;
                    let element = format!("{field_name}[{i}]");
                    let field = plain_object(&field, &element)?;
                    let mut out = Map::new();
                    for key in args::keys(&field)? {
                        if key != "label" && key != "value" {
                            return Err(Fail::Type(format!(
                                "{element} has an unknown key {key:?}; it takes label and value"
                            )));
                        }
                        let text: Unknown = field.get_named_property_unchecked(&key)?;
                        let text = args::string(&text, &format!("{element}.{key}"))?;
                        out.insert(key, Value::String(text));
                    }
                    fields.push(Value::Object(out));
                }
                map.insert(key, Value::Array(fields));
            }
            other => {
                return Err(Fail::Type(format!("{name} has an unknown key {other:?}; it takes message and fields")));
            }
        }
    }
    Ok(Value::Object(map))
}

fn plain_object<'env>(value: &Unknown<'env>, name: &str) -> Out<Object<'env>> {
    if value.get_type()? != ValueType::Object || value.is_array()? || value.is_date()? || value.is_typedarray()? {
        return Err(type_error(name, "a plain object", value));
    }
    // SAFETY: checked to be an object.
    Ok(unsafe { value.cast::<Object>()? })
}
