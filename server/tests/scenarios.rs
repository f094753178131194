//! Every shared scenario (tests/vectors/scenarios) replayed over HTTP against a real server
//! built with the test clock: each step's `now` fixes the server's clock, each operation is its
//! Twilio API request (or its `/watchword/v1` one), and the answers must be what the library
//! answers. Steps that a form-encoded API cannot express are skipped and counted: arguments of
//! the wrong JSON type (a form carries only text), unknown operations, an empty identity (not a
//! path segment). Recovery-code factors are created and regenerated through `/watchword/v1`
//! (the Twilio API has no such factor type) and answered through the Twilio API's challenges.
#![cfg(feature = "test-clock")]

mod common;

use std::collections::HashMap;

use common::{code, Server};
use serde_json::{json, Map, Value};
use watchword_core::service::rfc3339;

const STRINGS: &[&str] = &[
    "identity",
    "friendly_name",
    "secret",
    "alg",
    "factor_sid",
    "challenge_sid",
    "code",
    "auth_payload",
    "status",
    "order",
    "page_token",
    "record",
    "factor_type",
];
const NUMBERS: &[&str] = &["code_length", "time_step", "skew", "limit", "count"];
const OBJECTS: &[&str] = &["metadata", "hidden_details", "details"];

/// Why a step cannot be sent over the form-encoded API, if it cannot.
fn inexpressible(op: &str, args: &Map<String, Value>) -> Option<String> {
    // Every operation of core's but `reseal`, which the server runs for all its namespaces at
    // once (`/watchword/v1/Reseal`), not per service.
    if !watchword_core::service::OPERATIONS.contains(&op) || op == "reseal" {
        return Some(format!("operation {op:?}"));
    }
    for (name, value) in args {
        let fits = if name == "expiration_date" {
            value.is_u64() || value.is_string()
        } else if name == "regenerate" {
            value.is_boolean()
        } else if STRINGS.contains(&name.as_str()) {
            value.is_string()
        } else if NUMBERS.contains(&name.as_str()) {
            value.is_u64()
        } else if OBJECTS.contains(&name.as_str()) {
            value.is_object()
        } else {
            true // an argument the operation does not take: sent as a parameter of its own name
        };
        if !fits {
            return Some(format!("{name} as JSON {value}"));
        }
    }
    if args.get("identity").is_some_and(|i| i == "") {
        return Some("an empty identity".into());
    }
    if op == "verify_factor" && !args.contains_key("code") {
        return Some("a factor update without AuthPayload is an update, not a verification".into());
    }
    None
}

struct Run<'a> {
    server: &'a Server,
    va: String,
    saved: HashMap<String, Value>,
    uris: HashMap<String, String>,
    codes: HashMap<String, Vec<String>>,
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

impl Run<'_> {
    fn resolve(&self, value: &Value) -> Value {
        match value {
            Value::String(s) if s.starts_with('$') => self.saved.get(&s[1..]).cloned().unwrap_or(Value::Null),
            Value::Object(map) if map.contains_key("recovery") => {
                let Some(codes) = self.codes.get(map["recovery"].as_str().unwrap()) else {
                    return Value::Null; // the step that should have made them failed (reported)
                };
                let code = codes[map["index"].as_u64().unwrap() as usize].clone();
                match map.get("spelling").and_then(Value::as_str) {
                    Some("loose") => Value::String(code.to_uppercase().replace('-', " ")),
                    _ => Value::String(code),
                }
            }
            Value::Object(map) if map.contains_key("totp") => {
                let Some(uri) = self.uris.get(map["totp"].as_str().unwrap()) else {
                    return Value::Null;
                };
                Value::String(code(uri, map["at"].as_u64().unwrap()))
            }
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self.resolve(v))).collect()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v)).collect()),
            other => other.clone(),
        }
    }

    /// Runs one operation over HTTP; answers Ok(answer) or Err(error kind).
    fn call(&self, op: &str, args: &Map<String, Value>) -> Result<Value, String> {
        let arg = |name: &str| args.get(name).map(text).unwrap_or_default();
        let base = format!("/v2/Services/{}", self.va);
        let entity = format!("{base}/Entities/{}", segment(&arg("identity")));
        let extras = format!("/watchword/v1/Services/{}", self.va);
        let mut form: Vec<(String, String)> = Vec::new();
        macro_rules! put {
            ($name:expr, $key:expr) => {
                if let Some(v) = args.get($key) {
                    form.push(($name.to_string(), text(v)));
                }
            };
        }
        let (method, path) = match op {
            "create_entity" => {
                put!("Identity", "identity");
                ("POST", format!("{base}/Entities"))
            }
            "fetch_entity" => ("GET", entity),
            "delete_entity" => ("DELETE", entity),
            "list_entities" => ("GET", format!("{base}/Entities")),
            "create_factor" => {
                put!("Count", "count");
                put!("FriendlyName", "friendly_name");
                put!("Binding.Secret", "secret");
                put!("Config.Alg", "alg");
                put!("Config.CodeLength", "code_length");
                put!("Config.TimeStep", "time_step");
                put!("Config.Skew", "skew");
                put!("Metadata", "metadata");
                put!("FactorType", "factor_type");
                if !args.contains_key("factor_type") {
                    form.push(("FactorType".to_string(), "totp".into()));
                }
                let other_type = args.get("factor_type").is_some_and(|t| t != "totp");
                if other_type || args.contains_key("count") {
                    let identity = segment(&arg("identity"));
                    ("POST", format!("{extras}/Entities/{identity}/Factors"))
                } else {
                    ("POST", format!("{entity}/Factors"))
                }
            }
            "fetch_factor" => ("GET", format!("{entity}/Factors/{}", segment(&arg("factor_sid")))),
            "delete_factor" => ("DELETE", format!("{entity}/Factors/{}", segment(&arg("factor_sid")))),
            "list_factors" => ("GET", format!("{entity}/Factors")),
            "update_factor" if args.get("regenerate") == Some(&Value::Bool(true)) => {
                let (identity, sid) = (segment(&arg("identity")), segment(&arg("factor_sid")));
                ("POST", format!("{extras}/Entities/{identity}/Factors/{sid}/Regenerate"))
            }
            "update_factor" => {
                put!("FriendlyName", "friendly_name");
                put!("Config.Alg", "alg");
                put!("Config.CodeLength", "code_length");
                put!("Config.TimeStep", "time_step");
                put!("Config.Skew", "skew");
                put!("Metadata", "metadata");
                ("POST", format!("{entity}/Factors/{}", segment(&arg("factor_sid"))))
            }
            "verify_factor" => {
                put!("AuthPayload", "code");
                ("POST", format!("{entity}/Factors/{}", segment(&arg("factor_sid"))))
            }
            "unlock_factor" => (
                "POST",
                format!(
                    "{extras}/Entities/{}/Factors/{}/Unlock",
                    segment(&arg("identity")),
                    segment(&arg("factor_sid"))
                ),
            ),
            "create_challenge" => {
                put!("FactorSid", "factor_sid");
                put!("AuthPayload", "auth_payload");
                put!("HiddenDetails", "hidden_details");
                put!("Metadata", "metadata");
                match args.get("expiration_date") {
                    Some(Value::Number(at)) => form.push(("ExpirationDate".to_string(), rfc3339(at.as_u64().unwrap()))),
                    Some(other) => form.push(("ExpirationDate".to_string(), text(other))),
                    None => {}
                }
                if let Some(details) = args.get("details") {
                    if let Some(message) = details.get("message") {
                        form.push(("Details.Message".to_string(), text(message)));
                    }
                    for field in details.get("fields").and_then(Value::as_array).into_iter().flatten() {
                        form.push(("Details.Fields".to_string(), field.to_string()));
                    }
                }
                ("POST", format!("{entity}/Challenges"))
            }
            "update_challenge" => {
                put!("AuthPayload", "auth_payload");
                put!("Metadata", "metadata");
                ("POST", format!("{entity}/Challenges/{}", segment(&arg("challenge_sid"))))
            }
            "fetch_challenge" => ("GET", format!("{entity}/Challenges/{}", segment(&arg("challenge_sid")))),
            "list_challenges" => ("GET", format!("{entity}/Challenges")),
            "sweep" => ("POST", format!("{extras}/Sweep")),
            "export_entity" => ("GET", format!("{extras}/Entities/{}/Export", segment(&arg("identity")))),
            "export_factor" => ("GET", format!("{extras}/Factors/{}/Export", segment(&arg("factor_sid")))),
            "export_challenge" => ("GET", format!("{extras}/Challenges/{}/Export", segment(&arg("challenge_sid")))),
            "import_entity" | "import_factor" | "import_challenge" => {
                form.push(("Kind".to_string(), op.trim_start_matches("import_").to_string()));
                put!("Record", "record");
                ("POST", format!("{extras}/Import"))
            }
            other => panic!("no request for {other}"),
        };
        // Arguments the operation does not take go as parameters of their own name, which the
        // server must refuse as the library does.
        let takes: &[&str] = match op {
            "create_entity" | "fetch_entity" | "delete_entity" | "export_entity" => &["identity"],
            "list_entities" => &["limit", "page_token"],
            "create_factor" => &[
                "identity",
                "friendly_name",
                "secret",
                "alg",
                "code_length",
                "time_step",
                "skew",
                "metadata",
                "factor_type",
                "count",
            ],
            "fetch_factor" | "delete_factor" | "unlock_factor" => &["identity", "factor_sid"],
            "list_factors" => &["identity", "limit", "page_token"],
            "update_factor" if args.get("regenerate") == Some(&Value::Bool(true)) => {
                &["identity", "factor_sid", "regenerate"]
            }
            "update_factor" => {
                &["identity", "factor_sid", "friendly_name", "alg", "code_length", "time_step", "skew", "metadata"]
            }
            "verify_factor" => &["identity", "factor_sid", "code"],
            "create_challenge" => {
                &["identity", "factor_sid", "auth_payload", "expiration_date", "details", "hidden_details", "metadata"]
            }
            "update_challenge" => &["identity", "challenge_sid", "auth_payload", "metadata"],
            "fetch_challenge" => &["identity", "challenge_sid"],
            "list_challenges" => &["identity", "factor_sid", "status", "order", "limit", "page_token"],
            "export_factor" => &["factor_sid"],
            "export_challenge" => &["challenge_sid"],
            _ if op.starts_with("import_") => &["record"],
            _ => &[],
        };
        let mut extra: Vec<(String, String)> = Vec::new();
        for (name, value) in args {
            if !takes.contains(&name.as_str()) {
                extra.push((name.clone(), text(value)));
            }
        }
        let path = if op.starts_with("list_") {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (name, key) in [
                ("PageSize", "limit"),
                ("PageToken", "page_token"),
                ("FactorSid", "factor_sid"),
                ("Status", "status"),
                ("Order", "order"),
            ] {
                if let Some(v) = args.get(key) {
                    q.append_pair(name, &text(v));
                }
            }
            for (name, value) in &extra {
                q.append_pair(name, value);
            }
            format!("{path}?{}", q.finish())
        } else if method != "POST" && !extra.is_empty() {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &extra {
                q.append_pair(name, value);
            }
            format!("{path}?{}", q.finish())
        } else {
            for (name, value) in &extra {
                form.push((name.clone(), value.clone()));
            }
            path
        };
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, answer) = if pairs.is_empty() && method == "POST" {
            self.server.raw(method, &path, &[], Vec::new())
        } else {
            self.server.call(method, &path, &pairs)
        };
        if status >= 400 {
            // The kind, then the message (for the report).
            return Err(format!("{} ({})", answer["error"].as_str().unwrap_or("?"), answer["message"]));
        }
        Ok(match op {
            _ if op.starts_with("list_") => {
                let key = answer["meta"]["key"].as_str().unwrap().to_string();
                let token = answer["meta"]["next_page_url"].as_str().and_then(|url| {
                    let query = url.split_once('?')?.1;
                    form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == "PageToken")
                        .map(|(_, v)| v.into_owned())
                });
                json!({ "items": answer[&key], "next_page_token": token })
            }
            "sweep" => answer["removed"].clone(),
            _ if op.starts_with("export_") => answer["record"].clone(),
            _ => answer,
        })
    }
}

/// Whether `actual` holds every field of `expected` (objects compared as subsets).
fn holds(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|av| holds(v, av))),
        _ => expected == actual,
    }
}

fn check(expect: &Map<String, Value>, outcome: &Result<Value, String>) -> Result<(), String> {
    if let Some(kind) = expect.get("error") {
        return match outcome {
            Err(actual) if actual.split(' ').next() == kind.as_str() => Ok(()),
            other => Err(format!("expected error {kind}, got {other:?}")),
        };
    }
    let answer = outcome.as_ref().map_err(|e| format!("expected success, got error {e}"))?;
    for (key, want) in expect {
        let ok = match key.as_str() {
            "status" | "result" | "result_offset" => answer.get(key).unwrap_or(&Value::Null) == want,
            "fields" => holds(want, answer),
            "absent" => want.as_array().unwrap().iter().all(|k| answer.get(k.as_str().unwrap()).is_none()),
            "count" => answer["items"].as_array().map(Vec::len) == want.as_u64().map(|n| n as usize),
            "sids" => {
                let sids: Vec<Value> = answer["items"].as_array().unwrap().iter().map(|i| i["sid"].clone()).collect();
                &Value::Array(sids) == want
            }
            "next_page" => answer["next_page_token"].is_string() == want.as_bool().unwrap(),
            "value" => answer == want,
            other => return Err(format!("unknown expectation {other}")),
        };
        if !ok {
            return Err(format!("{key}: expected {want}, answer {answer}"));
        }
    }
    Ok(())
}

#[test]
fn every_scenario_over_http() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let tmp = tempfile::tempdir().unwrap();
    let (mut ran, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let scenario: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut settings = scenario["settings"].as_object().unwrap().clone();
        let issuer = settings.remove("issuer").and_then(|v| v.as_str().map(str::to_string)).unwrap();
        let mut toml = String::from("[settings]\n");
        for (k, v) in &settings {
            toml.push_str(&format!("{k} = {v}\n"));
        }
        let config = tmp.path().join(format!("{name}.toml"));
        std::fs::write(&config, toml).unwrap();
        let server = Server::start("memory:", &["--config", config.to_str().unwrap()], &[]);
        let steps = scenario["steps"].as_array().unwrap();
        let first = steps[0]["now"].as_u64().unwrap();
        let (status, _) = server.call("POST", "/watchword/v1/test-clock", &[("Now", &first.to_string())]);
        assert_eq!(status, 204, "the server was built with the test clock");
        let va = server.create_service(&[("FriendlyName", "scenario"), ("Totp.Issuer", &issuer)]);
        let mut run = Run { server: &server, va, saved: HashMap::new(), uris: HashMap::new(), codes: HashMap::new() };
        for (i, step) in steps.iter().enumerate() {
            let op = step["op"].as_str().unwrap();
            let raw_args = step.get("args").and_then(Value::as_object).cloned().unwrap_or_default();
            let args = run.resolve(&Value::Object(raw_args.clone())).as_object().unwrap().clone();
            // Judged on the step as written: `$saved` values and codes are text.
            let written: Map<String, Value> = raw_args
                .iter()
                .map(|(k, v)| {
                    let placeholder = v.as_str().is_some_and(|s| s.starts_with('$'))
                        || v.get("totp").is_some()
                        || v.get("recovery").is_some();
                    (k.clone(), if placeholder { Value::String("placeholder".into()) } else { v.clone() })
                })
                .collect();
            if let Some(why) = inexpressible(op, &written) {
                skipped.push(format!("{name} step {i} ({op}): {why}"));
                continue;
            }
            let now = step["now"].as_u64().unwrap();
            let (status, _) = server.call("POST", "/watchword/v1/test-clock", &[("Now", &now.to_string())]);
            assert_eq!(status, 204);
            let expect = run.resolve(&step["expect"]).as_object().unwrap().clone();
            let repeat = step.get("repeat").and_then(Value::as_u64).unwrap_or(1);
            let mut outcome = Err(String::new());
            for _ in 0..repeat {
                outcome = run.call(op, &args);
                ran += 1;
            }
            if let Err(why) = check(&expect, &outcome) {
                let note = step.get("note").and_then(Value::as_str).unwrap_or("");
                failures.push(format!("{name} step {i} ({op}: {note}): {why}"));
            }
            if let (Some(save), Ok(answer)) = (step.get("save").and_then(Value::as_str), &outcome) {
                let value = if answer.is_string() {
                    answer.clone()
                } else if answer.get("items").is_some() {
                    answer["next_page_token"].clone()
                } else {
                    answer["sid"].clone()
                };
                run.saved.insert(save.to_string(), value);
                if let Some(uri) = answer.pointer("/binding/uri").and_then(Value::as_str) {
                    run.uris.insert(save.to_string(), uri.to_string());
                }
                if let Some(codes) = answer.pointer("/binding/codes").and_then(Value::as_array) {
                    let codes = codes.iter().map(|c| c.as_str().unwrap().to_string()).collect();
                    run.codes.insert(save.to_string(), codes);
                }
            }
        }
        drop(server);
    }
    eprintln!("{ran} operations over HTTP; {} skipped:", skipped.len());
    for s in &skipped {
        eprintln!("  skipped {s}");
    }
    assert!(failures.is_empty(), "{} steps differ from the library:\n{}", failures.len(), failures.join("\n"));
    assert!(ran > 700, "only {ran} operations ran");
    assert!(skipped.len() <= 20, "{} steps skipped: a form should express nearly all of them", skipped.len());
}
