//! Runs every state scenario in `tests/vectors/scenarios/*.json` against
//! `Verify<MemoryStore>` through the JSON dispatch, exactly as the C, Python and Node suites
//! do. The format is documented in `tests/vectors/scenarios/README.md`.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;
use watchword_core::service::{MemoryStore, ServiceConfig, Verify};
use watchword_core::{KeyUri, Totp};

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/scenarios")
}

/// Saved values: sids and records by name, and each saved factor's binding URI.
#[derive(Default)]
struct Saved {
    values: HashMap<String, String>,
    uris: HashMap<String, String>,
}

impl Saved {
    /// Replaces `"$name"` strings and `{"totp": name, "at": t}` code objects, recursively.
    fn resolve(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) if s.starts_with('$') => {
                Value::String(self.values.get(&s[1..]).cloned().ok_or_else(|| format!("nothing saved as {s}"))?)
            }
            Value::Object(map) if map.contains_key("totp") => {
                let name = map["totp"].as_str().ok_or("totp must name a saved factor")?;
                let at = map.get("at").and_then(Value::as_u64).ok_or("a code object needs \"at\"")?;
                let uri = self.uris.get(name).ok_or_else(|| format!("no binding saved for {name}"))?;
                let key = KeyUri::parse(uri).map_err(|e| e.to_string())?;
                let totp = Totp::new(key.secret.as_bytes(), key.algorithm, key.digits, key.period).unwrap();
                Value::String(totp.generate(at).unwrap().to_string())
            }
            Value::Object(map) => Value::Object(
                map.iter().map(|(k, v)| Ok((k.clone(), self.resolve(v)?))).collect::<Result<_, String>>()?,
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v)).collect::<Result<_, _>>()?),
            other => other.clone(),
        })
    }
}

/// Whether `actual` contains everything `expected` has (objects recursively; other values equal).
fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|av| subset(v, av))),
        _ => expected == actual,
    }
}

fn check_step(step: &Value, saved: &mut Saved, verify: &Verify<MemoryStore>) -> Result<(), String> {
    let op = step["op"].as_str().ok_or("step without op")?;
    let now = step["now"].as_u64().ok_or("step without now")?;
    let args = saved.resolve(step.get("args").unwrap_or(&Value::Null))?;
    let expect = saved.resolve(step.get("expect").unwrap_or(&Value::Null))?;
    let outcome = verify.dispatch(op, &args, now);
    let value = match (outcome, expect.get("error").and_then(Value::as_str)) {
        (Err(e), Some(kind)) if e.kind().as_str() == kind => return Ok(()),
        (Err(e), Some(kind)) => return Err(format!("expected error {kind}, got {} ({e})", e.kind().as_str())),
        (Err(e), None) => return Err(format!("unexpected error {}: {e}", e.kind().as_str())),
        (Ok(v), Some(kind)) => return Err(format!("expected error {kind}, got {v}")),
        (Ok(v), None) => v,
    };
    for (key, want) in expect.as_object().into_iter().flatten() {
        let ok = match key.as_str() {
            "status" | "result" | "result_offset" => value.get(key) == Some(want),
            "fields" => subset(want, &value),
            "absent" => want
                .as_array()
                .ok_or("absent must be a list")?
                .iter()
                .all(|k| value.get(k.as_str().unwrap_or("")).is_none()),
            "count" => value.as_array().map(|a| a.len() as u64) == want.as_u64(),
            "sids" => {
                let got: Vec<&Value> =
                    value.as_array().ok_or("sids on a non-list")?.iter().map(|v| &v["sid"]).collect();
                got == want.as_array().ok_or("sids must be a list")?.iter().collect::<Vec<_>>()
            }
            "value" => &value == want,
            other => return Err(format!("unknown expectation {other}")),
        };
        if !ok {
            return Err(format!("expected {key} = {want}, got {value}"));
        }
    }
    if let Some(name) = step.get("save").and_then(Value::as_str) {
        let text = match &value {
            Value::String(record) => record.clone(),
            v => v["sid"].as_str().ok_or("save on an answer without sid")?.to_string(),
        };
        saved.values.insert(name.to_string(), text);
        if let Some(uri) = value.pointer("/binding/uri").and_then(Value::as_str) {
            saved.uris.insert(name.to_string(), uri.to_string());
        }
    }
    Ok(())
}

fn run(path: &PathBuf) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario: Value = serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))?;
    let settings = scenario["settings"].to_string();
    let config = ServiceConfig::from_json(&settings).map_err(|e| format!("settings: {e}"))?;
    let verify = Verify::new(config, MemoryStore::new());
    let mut saved = Saved::default();
    let steps = scenario["steps"].as_array().ok_or("no steps")?;
    let mut count = 0;
    for (i, step) in steps.iter().enumerate() {
        let repeat = step.get("repeat").and_then(Value::as_u64).unwrap_or(1);
        for _ in 0..repeat {
            check_step(step, &mut saved, &verify).map_err(|e| {
                format!("step {} ({}): {e}", i + 1, step.get("note").and_then(Value::as_str).unwrap_or(""))
            })?;
            count += 1;
        }
    }
    Ok(count)
}

#[test]
fn every_scenario_passes() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("tests/vectors/scenarios exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios found");
    let mut failures = Vec::new();
    let mut steps = 0;
    for file in &files {
        match run(file) {
            Ok(n) => steps += n,
            Err(e) => failures.push(format!("{}: {e}", file.file_name().unwrap().to_string_lossy())),
        }
    }
    assert!(failures.is_empty(), "{} scenario(s) failed:\n{}", failures.len(), failures.join("\n"));
    println!("{} scenarios, {steps} steps passed", files.len());
}
