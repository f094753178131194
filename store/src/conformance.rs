//! The store conformance suite: what every [`Store`] must do, run by this crate's tests on
//! the memory, SQLite and PostgreSQL stores, and usable by any other store.
//!
//! - [`scenarios`]: every state scenario of `tests/vectors/scenarios/*.json` through the JSON
//!   dispatch over the store, exactly as the C, Python and Node suites run them (the format
//!   is in that folder's README); [`scenarios_by`] with [`Driver::Steps`] runs them as
//!   sans-I/O steps answered by the store;
//! - [`compare_and_set`]: stale versions conflict, inserts need absence, deletes name their
//!   version, a commit whose second write conflicts applies nothing, and `version` answers each
//!   record's stored version (0 for none);
//! - [`listing`]: list and scan answer in (date_created, key) order, page by page, and keep
//!   services and identities apart; service definitions are kept and listed like any record;
//! - [`one_approval_per_code`], [`one_approval_per_recovery_code`]: callers racing with one
//!   right code get one approval (for stores shared by several services or threads).
//!
//! Each check uses its own random service namespace, so one store can run them all.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rand_core::RngCore;
use serde_json::Value;
use watchword_core::service::VerificationResult;
use watchword_core::service::{
    Challenge, ChallengeStatus, Cursor, Entity, Key, Kind, NewChallenge, NewFactor, Paging, Record, Request,
    ServiceConfig, ServiceDefinition, Steps, Store, Verify, Write,
};
use watchword_core::{Error, KeyUri, Totp};

/// The shared scenarios of this repository (`tests/vectors/scenarios`).
pub fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/scenarios")
}

/// A fresh service namespace.
fn namespace(label: &str) -> String {
    let mut bytes = [0u8; 6];
    rand_core::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("conformance-{label}-{hex}")
}

/// Saved values: sids and records by name, and each saved factor's binding URI or recovery codes.
#[derive(Default)]
struct Saved {
    values: HashMap<String, String>,
    uris: HashMap<String, String>,
    codes: HashMap<String, Vec<String>>,
}

/// A recovery code as the scenario spells it: as shown, or `"loose"` (upper case, a space for
/// the hyphen), which the service must accept too.
pub fn spell_recovery_code(code: &str, spelling: Option<&str>) -> Result<String, String> {
    match spelling {
        None => Ok(code.to_string()),
        Some("loose") => Ok(code.to_uppercase().replace('-', " ")),
        Some(other) => Err(format!("unknown spelling {other}")),
    }
}

impl Saved {
    /// Replaces `"$name"` strings, `{"totp": name, "at": t}` code objects and
    /// `{"recovery": name, "index": i}` recovery codes, recursively.
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
            Value::Object(map) if map.contains_key("recovery") => {
                let name = map["recovery"].as_str().ok_or("recovery must name a saved factor")?;
                let index = map.get("index").and_then(Value::as_u64).ok_or("a recovery code needs \"index\"")?;
                let codes = self.codes.get(name).ok_or_else(|| format!("no recovery codes saved as {name}"))?;
                let code = codes.get(index as usize).ok_or_else(|| format!("{name} has no code {index}"))?;
                Value::String(spell_recovery_code(code, map.get("spelling").and_then(Value::as_str))?)
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

/// How the scenarios reach the operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// `Verify::dispatch` over the store.
    Verify,
    /// Each operation run as [`Steps`], answered by the store's calls.
    Steps,
}

fn dispatch<S: Store>(driver: Driver, verify: &Verify<S>, op: &str, args: &Value, now: u64) -> Result<Value, Error> {
    match driver {
        Driver::Verify => verify.dispatch(op, args, now),
        Driver::Steps => {
            let empty = serde_json::Map::new();
            let request = Request::parse(op, args.as_object().unwrap_or(&empty))?;
            Ok(Steps::new(verify.config().clone(), request, now).drive(verify.store())?.view(now))
        }
    }
}

fn check_step<S: Store>(driver: Driver, step: &Value, saved: &mut Saved, verify: &Verify<S>) -> Result<(), String> {
    let op = step["op"].as_str().ok_or("step without op")?;
    let now = step["now"].as_u64().ok_or("step without now")?;
    let args = saved.resolve(step.get("args").unwrap_or(&Value::Null))?;
    let expect = saved.resolve(step.get("expect").unwrap_or(&Value::Null))?;
    let outcome = dispatch(driver, verify, op, &args, now);
    let value = match (outcome, expect.get("error").and_then(Value::as_str)) {
        (Err(e), Some(kind)) if e.kind().as_str() == kind => return Ok(()),
        (Err(e), Some(kind)) => return Err(format!("expected error {kind}, got {} ({e})", e.kind().as_str())),
        (Err(e), None) => return Err(format!("unexpected error {}: {e}", e.kind().as_str())),
        (Ok(v), Some(kind)) => return Err(format!("expected error {kind}, got {v}")),
        (Ok(v), None) => v,
    };
    // A list operation answers a page: its items are the list.
    let items = value.get("items").unwrap_or(&value);
    for (key, want) in expect.as_object().into_iter().flatten() {
        let ok = match key.as_str() {
            "status" | "result" | "result_offset" => value.get(key) == Some(want),
            "fields" => subset(want, &value),
            "absent" => want
                .as_array()
                .ok_or("absent must be a list")?
                .iter()
                .all(|k| value.get(k.as_str().unwrap_or("")).is_none()),
            "count" => items.as_array().map(|a| a.len() as u64) == want.as_u64(),
            "next_page" => value.get("next_page_token").map(|t| !t.is_null()) == want.as_bool(),
            "sids" => {
                let got: Vec<&Value> =
                    items.as_array().ok_or("sids on a non-list")?.iter().map(|v| &v["sid"]).collect();
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
            v if v.get("items").is_some() => v["next_page_token"].as_str().ok_or("save on a last page")?.to_string(),
            v => v["sid"].as_str().ok_or("save on an answer without sid")?.to_string(),
        };
        saved.values.insert(name.to_string(), text);
        if let Some(uri) = value.pointer("/binding/uri").and_then(Value::as_str) {
            saved.uris.insert(name.to_string(), uri.to_string());
        }
        if let Some(codes) = value.pointer("/binding/codes").and_then(Value::as_array) {
            let codes = codes.iter().map(|c| c.as_str().map(String::from).ok_or("codes must be strings"));
            saved.codes.insert(name.to_string(), codes.collect::<Result<_, _>>()?);
        }
    }
    Ok(())
}

/// Runs one scenario file over `store`, in a fresh service namespace; returns its step count.
pub fn scenario<S: Store>(path: &Path, store: S) -> Result<usize, String> {
    scenario_by(Driver::Verify, path, store)
}

/// [`scenario`], reaching the operations as `driver` says.
pub fn scenario_by<S: Store>(driver: Driver, path: &Path, store: S) -> Result<usize, String> {
    scenario_with(driver, path, store, &serde_json::Map::new())
}

/// A key ring for tests (settings `secret_keys` and `active_secret_key`): two fixed keys,
/// `test-2` active. Never use these keys for real records.
pub fn test_key_ring() -> serde_json::Map<String, Value> {
    let (one, two) = (vec![1u8; 32], vec![2u8; 32]);
    let settings = serde_json::json!({
        "secret_keys": {"test-1": one, "test-2": two},
        "active_secret_key": "test-2",
    });
    settings.as_object().cloned().unwrap_or_default()
}

/// [`scenario_by`] with `extra` settings over the scenario's own (e.g. [`test_key_ring`]: the
/// scenarios with sealed records).
pub fn scenario_with<S: Store>(
    driver: Driver,
    path: &Path,
    store: S,
    extra: &serde_json::Map<String, Value>,
) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario: Value = serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))?;
    let mut settings = scenario["settings"].as_object().cloned().ok_or("settings must be an object")?;
    settings.extend(extra.clone());
    settings.insert("service".into(), Value::String(namespace("scenario")));
    let config = ServiceConfig::from_map(&settings).map_err(|e| format!("settings: {e}"))?;
    let verify = Verify::new(config, store);
    let mut saved = Saved::default();
    let steps = scenario["steps"].as_array().ok_or("no steps")?;
    let mut count = 0;
    for (i, step) in steps.iter().enumerate() {
        let repeat = step.get("repeat").and_then(Value::as_u64).unwrap_or(1);
        for _ in 0..repeat {
            check_step(driver, step, &mut saved, &verify).map_err(|e| {
                format!("step {} ({}): {e}", i + 1, step.get("note").and_then(Value::as_str).unwrap_or(""))
            })?;
            count += 1;
        }
    }
    Ok(count)
}

/// Runs every scenario file of `dir` over the store `store` gives; returns (files, steps),
/// or every failure.
pub fn scenarios<S: Store>(dir: &Path, store: impl Fn() -> S) -> Result<(usize, usize), Vec<String>> {
    scenarios_by(Driver::Verify, dir, store)
}

/// [`scenarios`], reaching the operations as `driver` says.
pub fn scenarios_by<S: Store>(
    driver: Driver,
    dir: &Path,
    store: impl Fn() -> S,
) -> Result<(usize, usize), Vec<String>> {
    scenarios_with(driver, dir, store, &serde_json::Map::new())
}

/// [`scenarios_by`] with `extra` settings over every scenario's own (see [`scenario_with`]).
pub fn scenarios_with<S: Store>(
    driver: Driver,
    dir: &Path,
    store: impl Fn() -> S,
    extra: &serde_json::Map<String, Value>,
) -> Result<(usize, usize), Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| vec![format!("{}: {e}", dir.display())])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(vec![format!("no scenarios in {}", dir.display())]);
    }
    let mut failures = Vec::new();
    let mut steps = 0;
    for file in &files {
        match scenario_with(driver, file, store(), extra) {
            Ok(n) => steps += n,
            Err(e) => failures.push(format!("{}: {e}", file.file_name().unwrap_or_default().to_string_lossy())),
        }
    }
    if failures.is_empty() {
        Ok((files.len(), steps))
    } else {
        Err(failures)
    }
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

fn entity(id: &str, created: u64) -> Entity {
    let mut random = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut random);
    Entity::new(id, random, created).expect("a valid entity")
}

fn put(record: Record, expected: u64) -> Write {
    Write::Put { record, expected }
}

/// Compare-and-set semantics of `commit`.
pub fn compare_and_set(store: &dyn Store) -> Result<(), String> {
    let service = namespace("cas");
    let service = service.as_str();
    let conflict = |r: Result<(), Error>| matches!(r, Err(Error::Conflict));
    let version = |service: &str, key: &Key| store.version(service, key).map_err(|e| e.to_string());
    let a = entity("user-0001-abcd", 10);
    let key_a = Key::Entity(a.identity);
    check(version(service, &key_a)? == 0, "no version before the insert")?;
    store.commit(service, vec![put(Record::from(a.clone()), 0)]).map_err(|e| format!("insert: {e}"))?;
    check(store.get(service, &key_a).map_err(|e| e.to_string())? == Some(Record::from(a.clone())), "get after insert")?;
    check(version(service, &key_a)? == 1, "version 1 after the insert")?;
    check(conflict(store.commit(service, vec![put(Record::from(a.clone()), 0)])), "a second insert conflicts")?;
    let a2 = Entity { version: 2, date_updated: 11, ..a.clone() };
    store.commit(service, vec![put(Record::from(a2.clone()), 1)]).map_err(|e| format!("update: {e}"))?;
    check(version(service, &key_a)? == 2, "version 2 after the update")?;
    let stale = Entity { version: 2, date_updated: 12, ..a.clone() };
    check(conflict(store.commit(service, vec![put(Record::from(stale), 1)])), "a stale version conflicts")?;
    let ahead = Entity { version: 4, ..a.clone() };
    check(conflict(store.commit(service, vec![put(Record::from(ahead), 3)])), "a version ahead conflicts")?;
    // A commit whose second write conflicts applies nothing.
    let b = entity("user-0002-abcd", 20);
    let key_b = Key::Entity(b.identity);
    let mixed = vec![put(Record::from(b.clone()), 0), put(Record::from(Entity { version: 3, ..a2.clone() }), 1)];
    check(conflict(store.commit(service, mixed)), "a commit with one stale write conflicts")?;
    check(store.get(service, &key_b).map_err(|e| e.to_string())?.is_none(), "…and its first write is not applied")?;
    check(store.get(service, &key_a).map_err(|e| e.to_string())? == Some(Record::from(a2.clone())), "…nor its second")?;
    // Deletes name the version they remove.
    check(conflict(store.commit(service, vec![Write::Delete { key: key_a, expected: 1 }])), "a stale delete")?;
    check(conflict(store.commit(service, vec![Write::Delete { key: key_a, expected: 0 }])), "a delete of version 0")?;
    check(conflict(store.commit(service, vec![Write::Delete { key: key_b, expected: 1 }])), "a delete of nothing")?;
    let both = vec![Write::Delete { key: key_a, expected: 2 }, put(Record::from(b.clone()), 0)];
    store.commit(service, both).map_err(|e| format!("delete and insert: {e}"))?;
    check(store.get(service, &key_a).map_err(|e| e.to_string())?.is_none(), "deleted")?;
    check(version(service, &key_a)? == 0, "no version after the delete")?;
    check(store.get(service, &key_b).map_err(|e| e.to_string())? == Some(Record::from(b)), "inserted with it")?;
    // Re-inserting a deleted key starts again from nothing.
    store.commit(service, vec![put(Record::from(a.clone()), 0)]).map_err(|e| format!("re-insert: {e}"))?;
    // Another service does not see these records, and may use the same keys.
    let other = namespace("cas-other");
    check(store.get(&other, &key_a).map_err(|e| e.to_string())?.is_none(), "services are apart")?;
    check(version(&other, &key_a)? == 0 && version(service, &key_a)? == 1, "versions are apart")?;
    store.commit(&other, vec![put(Record::from(a), 0)]).map_err(|e| format!("same key, other service: {e}"))?;
    // An empty commit is fine.
    store.commit(service, Vec::new()).map_err(|e| format!("empty commit: {e}"))
}

/// Listing order and paging of `list` and `scan`.
pub fn listing(store: &dyn Store) -> Result<(), String> {
    let service = namespace("list");
    let service = service.as_str();
    let config = ServiceConfig::new("Acme").expect("a valid config");
    let err = |e: Error| e.to_string();
    // Entities created in an order that differs from their keys' order, two at one second.
    let names = ["user-0009-zzzz", "user-0001-aaaa", "user-0005-mmmm", "user-0003-cccc", "user-0007-xxxx"];
    let times = [100, 200, 200, 300, 50];
    let mut entities = Vec::new();
    for (name, t) in names.iter().zip(times) {
        let e = entity(name, t);
        store.commit(service, vec![put(Record::from(e.clone()), 0)]).map_err(err)?;
        entities.push(Record::from(e));
    }
    let mut want = entities.clone();
    want.sort_by_key(|r| (r.date_created(), r.key()));
    let all = store.scan(service, Kind::Entity, None, 100).map_err(err)?;
    check(all == want, "scan answers in (date_created, key) order")?;
    let mut paged = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store.scan(service, Kind::Entity, cursor.as_ref(), 2).map_err(err)?;
        check(page.len() <= 2, "scan honours its limit")?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.cursor());
        paged.extend(page);
    }
    check(paged == want, "scan pages join to the whole listing")?;
    check(store.scan(service, Kind::Factor, None, 100).map_err(err)?.is_empty(), "scan keeps kinds apart")?;
    // Factors and challenges of two identities.
    let owner = match &entities[1] {
        Record::Entity(e) => e.clone(),
        _ => unreachable!(),
    };
    let other = match &entities[2] {
        Record::Entity(e) => e.clone(),
        _ => unreachable!(),
    };
    let mut rng = rand_core::OsRng;
    let mut factors = Vec::new();
    for (i, t) in [500u64, 400, 400, 600].into_iter().enumerate() {
        let holder = if i == 3 { &other } else { &owner };
        let f = watchword_core::service::Factor::create(&config, holder, &NewFactor::new("phone"), &mut rng, t)
            .map_err(err)?;
        store.commit(service, vec![put(Record::from(f.clone()), 0)]).map_err(err)?;
        factors.push(Record::from(f));
    }
    let mut want: Vec<Record> = factors[..3].to_vec();
    want.sort_by_key(|r| (r.date_created(), r.key()));
    let listed = store.list(service, &owner.identity, Kind::Factor, None, 100).map_err(err)?;
    check(listed == want, "list answers one identity's records in (date_created, key) order")?;
    let after = store.list(service, &owner.identity, Kind::Factor, Some(&want[0].cursor()), 1).map_err(err)?;
    check(after == want[1..2], "list pages after a cursor")?;
    check(
        store.list(service, &owner.identity, Kind::Challenge, None, 100).map_err(err)?.is_empty(),
        "list keeps kinds apart",
    )?;
    let Record::Factor(f0) = &want[0] else { unreachable!() };
    let mut sids = [0u8; 16];
    let mut challenges = Vec::new();
    for t in [700u64, 701, 702] {
        rand_core::OsRng.fill_bytes(&mut sids);
        let c = Challenge::create(&config, f0, &NewChallenge::new(&f0.sid), sids, t).map_err(err)?;
        store.commit(service, vec![put(Record::from(c.clone()), 0)]).map_err(err)?;
        challenges.push(Record::from(c));
    }
    check(
        store.list(service, &owner.identity, Kind::Challenge, None, 2).map_err(err)? == challenges[..2],
        "list honours its limit",
    )?;
    check(store.scan(service, Kind::Challenge, None, 10).map_err(err)? == challenges, "scan finds challenges")?;
    // A record that changes keeps its place; one that is deleted leaves it.
    let Record::Challenge(c1) = &challenges[1] else { unreachable!() };
    let answered =
        Challenge { status: ChallengeStatus::Denied, date_responded: Some(800), version: 2, ..Challenge::clone(c1) };
    store.commit(service, vec![put(Record::from(answered.clone()), 1)]).map_err(err)?;
    let listed = store.list(service, &owner.identity, Kind::Challenge, None, 10).map_err(err)?;
    check(listed[1] == Record::from(answered), "an updated record keeps its place")?;
    let key = challenges[0].key();
    store.commit(service, vec![Write::Delete { key, expected: 1 }]).map_err(err)?;
    check(store.list(service, &owner.identity, Kind::Challenge, None, 10).map_err(err)?.len() == 2, "deleted")?;
    definitions(store, &config)
}

/// Service definitions (a server's registry) are kept, changed with compare-and-set, listed
/// apart from other kinds and deleted like every record.
fn definitions(store: &dyn Store, template: &ServiceConfig) -> Result<(), String> {
    let err = |e: Error| e.to_string();
    let mut config = ServiceConfig::new("registry").map_err(err)?;
    config.service = namespace("registry");
    let registry = Verify::new(config, store);
    let mut made = Vec::new();
    for (n, name) in ["Acme", "Umbrella", "Initech"].into_iter().enumerate() {
        let settings = BTreeMap::from([(String::from("code_length"), 6 + n as u64)]);
        let definition =
            ServiceDefinition::new(name, name, settings, [n as u8 + 1; 16], 100 + n as u64).map_err(err)?;
        made.push(registry.create_definition(definition).map_err(err)?);
    }
    let sid = made[1].sid.as_str().to_string();
    check(registry.fetch_definition(&sid).map_err(err)? == Some(made[1].clone()), "a definition is read back")?;
    check(matches!(registry.create_definition(made[1].clone()), Err(Error::Conflict)), "a second insert conflicts")?;
    let listed = registry.list_definitions(&Paging::first(10)).map_err(err)?;
    check(listed.items == made, "definitions are listed oldest first")?;
    let changed = registry
        .update_definition(&sid, 500, |d| {
            d.settings.insert(String::from("skew"), 2);
            d.config(template).map(drop)
        })
        .map_err(err)?
        .ok_or("the definition is gone")?;
    check(changed.version == 2 && changed.date_updated == 500, "an update raises the version")?;
    check(changed.config(template).map_err(err)?.skew == 2, "an update changes the settings")?;
    let refused = registry.update_definition(&sid, 600, |d| {
        d.settings.insert(String::from("skew"), 9);
        d.config(template).map(drop)
    });
    check(refused.is_err(), "an update the change refuses is an error")?;
    check(registry.fetch_definition(&sid).map_err(err)? == Some(changed), "…and changes nothing")?;
    check(registry.delete_definition(&sid).map_err(err)?, "a definition is deleted")?;
    check(registry.fetch_definition(&sid).map_err(err)?.is_none(), "…and is gone")?;
    check(!registry.delete_definition(&sid).map_err(err)?, "deleting it again finds nothing")?;
    check(registry.list_entities(&Paging::first(10)).map_err(err)?.items.is_empty(), "definitions are no entities")?;
    Ok(())
}

/// Callers sharing a store (through one service each, or one service) present the same right
/// code for a fresh factor at the same instant, `rounds` times: in every round exactly one is
/// approved and the others are told it was replayed. `services` must share one store and one
/// namespace (their `service` setting); the callers take them in turn.
pub fn one_approval_per_code<S: Store>(services: &[Verify<S>], callers: usize, rounds: u64) -> Result<(), String> {
    let totp = Totp::new(b"12345678901234567890", watchword_core::Algorithm::Sha1, 6, 30).map_err(|e| e.to_string())?;
    let code_at = |t: u64| totp.generate(t).map(|c| c.to_string()).map_err(|e| e.to_string());
    race(services, callers, rounds, |first, identity, round| {
        let t = 1_700_000_010 + round * 30;
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let created =
            first.create_factor(identity, NewFactor::new("phone").secret(secret), t).map_err(|e| e.to_string())?;
        let (_, v) = first.verify_factor(identity, &created.factor.sid, &code_at(t)?, t).map_err(|e| e.to_string())?;
        check(v.approved(), "the factor is enrolled")?;
        Ok((created.factor.sid, code_at(t + 30)?, t + 30))
    })
}

/// [`one_approval_per_code`] with one recovery code of a `recovery_codes` factor: exactly one
/// caller redeems it, the others find it used. (Give the services a low
/// `recovery_code_iterations`: every caller hashes its answer once.)
pub fn one_approval_per_recovery_code<S: Store>(
    services: &[Verify<S>],
    callers: usize,
    rounds: u64,
) -> Result<(), String> {
    race(services, callers, rounds, |first, identity, round| {
        let now = 1_700_000_010 + round;
        let created =
            first.create_factor(identity, NewFactor::recovery_codes("backup", 2), now).map_err(|e| e.to_string())?;
        let code = created.binding.codes.get(1).cloned().ok_or("no codes in the creation answer")?;
        Ok((created.factor.sid, code, now))
    })
}

/// Each round: `prepare` makes a factor for a fresh identity with the first service and names
/// the code to present and when; then every caller presents it at the same instant.
fn race<S: Store>(
    services: &[Verify<S>],
    callers: usize,
    rounds: u64,
    prepare: impl Fn(&Verify<S>, &str, u64) -> Result<(watchword_core::service::Sid, String, u64), String>,
) -> Result<(), String> {
    let barrier = std::sync::Barrier::new(callers);
    let first = services.first().ok_or("no service")?;
    // Fresh identities for every call, so that one store can run the race again.
    let tag = namespace("race");
    for round in 0..rounds {
        let identity = format!("{tag}-{round:08}");
        let (sid, code, now) = prepare(first, &identity, round)?;
        let results: Vec<Result<VerificationResult, Error>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..callers)
                .map(|i| {
                    let (verify, barrier, identity, code) = (&services[i % services.len()], &barrier, &identity, &code);
                    s.spawn(move || {
                        barrier.wait();
                        let request = NewChallenge::new(&sid).auth_payload(code);
                        verify
                            .create_challenge(identity, request, now)
                            .map(|(_, v)| v.map_or(VerificationResult::InvalidCode, |v| v.result))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(Err(Error::Conflict))).collect()
        });
        let approved = results.iter().filter(|r| matches!(r, Ok(VerificationResult::Approved))).count();
        let replayed = results.iter().filter(|r| matches!(r, Ok(VerificationResult::Replayed))).count();
        if (approved, replayed) != (1, callers - 1) {
            return Err(format!("round {round}: {approved} approved, {replayed} replayed: {results:?}"));
        }
    }
    Ok(())
}

/// Runs [`compare_and_set`], [`listing`] and every scenario of [`scenario_dir`] over the
/// stores `store` gives (a scenario may get a new one or share one); panics with every
/// failure.
pub fn run_all<S: Store>(store: impl Fn() -> S) -> (usize, usize) {
    let one = store();
    let mut failures = Vec::new();
    if let Err(e) = compare_and_set(&one) {
        failures.push(format!("compare-and-set: {e}"));
    }
    if let Err(e) = listing(&one) {
        failures.push(format!("listing: {e}"));
    }
    let counted = match scenarios(&scenario_dir(), store) {
        Ok(counts) => counts,
        Err(mut e) => {
            failures.append(&mut e);
            (0, 0)
        }
    };
    assert!(failures.is_empty(), "{} conformance failure(s):\n{}", failures.len(), failures.join("\n"));
    counted
}
