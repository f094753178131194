//! Helpers shared by the test binaries that read `tests/vectors/*.json`.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;
use watchword_core::{Algorithm, Secret};

/// Reads `tests/vectors/<name>` from the repository root.
pub fn vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("tests").join("vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The cases of one section; panics when the section is missing or empty, so a renamed section
/// cannot make a runner pass vacuously.
pub fn section<'a>(file: &'a Value, name: &str) -> &'a [Value] {
    let cases = file[name].as_array().unwrap_or_else(|| panic!("section {name:?} is missing"));
    assert!(!cases.is_empty(), "section {name:?} is empty");
    cases
}

pub fn name(case: &Value) -> &str {
    case["name"].as_str().expect("every case has a name")
}

pub fn str_field<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field].as_str().unwrap_or_else(|| panic!("{}: {field} is not a string", name(case)))
}

/// A 64-bit field, stored as a decimal string.
pub fn u64_field(case: &Value, field: &str) -> u64 {
    str_field(case, field).parse().unwrap_or_else(|e| panic!("{}: {field}: {e}", name(case)))
}

/// An optional 64-bit field (`null` or a decimal string).
pub fn opt_u64_field(case: &Value, field: &str) -> Option<u64> {
    match &case[field] {
        Value::Null => None,
        _ => Some(u64_field(case, field)),
    }
}

pub fn num_field(case: &Value, field: &str) -> u64 {
    case[field].as_u64().unwrap_or_else(|| panic!("{}: {field} is not a number", name(case)))
}

pub fn algorithm(case: &Value) -> Algorithm {
    match str_field(case, "algorithm") {
        "sha1" => Algorithm::Sha1,
        "sha256" => Algorithm::Sha256,
        "sha512" => Algorithm::Sha512,
        other => panic!("{}: unknown algorithm {other}", name(case)),
    }
}

pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The case's secret bytes; when it also has `secret_base32`, checks that both agree.
pub fn secret(case: &Value) -> Vec<u8> {
    let bytes = hex(str_field(case, "secret_hex"));
    if let Some(b32) = case["secret_base32"].as_str() {
        let decoded = Secret::from_base32(b32).unwrap_or_else(|e| panic!("{}: {e}", name(case)));
        assert_eq!(decoded.as_bytes(), &bytes[..], "{}: secret_hex and secret_base32 differ", name(case));
    }
    bytes
}

/// The detail name of an error that must be an invalid parameter.
pub fn detail(case: &Value, error: &watchword_core::Error) -> &'static str {
    assert_eq!(error.kind(), watchword_core::ErrorKind::InvalidParameter, "{}: {error}", name(case));
    error.detail().unwrap_or_else(|| panic!("{}: no detail on {error}", name(case)))
}
