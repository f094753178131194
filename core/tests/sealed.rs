//! Sealed records (SPEC §10) over a store that keeps records as text, as a host's database or
//! the SQL stores do: nothing readable leaks, tampering is refused without a change of state,
//! keys rotate (`reseal`, also interrupted and under load), plain records migrate.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use watchword_core::service::{
    Cursor, Identity, Key, Kind, MemoryStore, NewChallenge, NewFactor, Record, ServiceConfig, Store, Verify, Write,
};
use watchword_core::{Algorithm, Error, ErrorKind, Totp};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const T0: u64 = 1_700_000_010;
const ID: &str = "user-0001-sealed";

/// Records as their stored text, by (service, kind, key) — what a database row holds.
#[derive(Default)]
struct TextStore {
    rows: Mutex<BTreeMap<(String, Kind, String), String>>,
    /// Commits left before every further one fails (`usize::MAX`: never).
    commits_left: AtomicUsize,
}

impl TextStore {
    fn new() -> TextStore {
        TextStore { rows: Mutex::default(), commits_left: AtomicUsize::new(usize::MAX) }
    }

    fn rows(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, Kind, String), String>> {
        self.rows.lock().unwrap()
    }

    /// Every stored text, joined.
    fn dump(&self) -> String {
        self.rows().values().cloned().collect::<Vec<_>>().join("\n")
    }

    fn read(&self, kind: Kind, text: &str) -> Result<Record, Error> {
        Record::from_stored(kind, text).map_err(|e| Error::storage(format!("unreadable row: {e}")))
    }

    fn page(
        &self,
        service: &str,
        kind: Kind,
        identity: Option<&Identity>,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        let rows = self.rows();
        let mut records = Vec::new();
        for ((s, k, _), text) in rows.iter() {
            if s == service && *k == kind {
                let record = self.read(kind, text)?;
                if identity.is_none_or(|id| record.identity() == id) && after.is_none_or(|a| a.precedes(&record)) {
                    records.push(record);
                }
            }
        }
        records.sort_by_key(|r| r.cursor());
        records.truncate(limit);
        Ok(records)
    }
}

impl Store for TextStore {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        let rows = self.rows();
        match rows.get(&(service.to_string(), key.kind(), key.as_str().to_string())) {
            None => Ok(None),
            Some(text) => self.read(key.kind(), text).map(Some),
        }
    }

    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        self.page(service, kind, Some(identity), after, limit)
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        self.page(service, kind, None, after, limit)
    }

    fn commit(&self, service: &str, writes: Vec<Write>) -> Result<(), Error> {
        if self.commits_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_err() {
            return Err(Error::storage("the database went away"));
        }
        let mut rows = self.rows();
        for write in &writes {
            let key = write.key();
            let stored = match rows.get(&(service.to_string(), key.kind(), key.as_str().to_string())) {
                None => 0,
                Some(text) => self.read(key.kind(), text)?.version(),
            };
            if stored != write.expected() {
                return Err(Error::Conflict);
            }
        }
        for write in writes {
            let key = write.key();
            let row = (service.to_string(), key.kind(), key.as_str().to_string());
            match write {
                Write::Put { record, .. } => rows.insert(row, record.to_stored()),
                Write::Delete { .. } => rows.remove(&row),
            };
        }
        Ok(())
    }
}

fn ring(keys: &[(&str, u8)], active: &str) -> serde_json::Value {
    let keys: serde_json::Map<String, serde_json::Value> =
        keys.iter().map(|(kid, byte)| (kid.to_string(), serde_json::json!(vec![*byte; 32]))).collect();
    serde_json::json!({"secret_keys": keys, "active_secret_key": active})
}

fn config(keys: &[(&str, u8)], active: &str, plaintext: bool) -> ServiceConfig {
    let mut settings = serde_json::json!({"issuer": "Acme", "lockout_threshold": 100, "failure_budget": 1000});
    if !keys.is_empty() {
        settings.as_object_mut().unwrap().extend(ring(keys, active).as_object().unwrap().clone());
    }
    settings["accept_plaintext_records"] = serde_json::Value::Bool(plaintext);
    ServiceConfig::from_map(settings.as_object().unwrap()).unwrap()
}

fn sealed(store: &TextStore) -> Verify<&TextStore> {
    Verify::new(config(&[("k1", 1)], "k1", false), store)
}

fn code_at(t: u64) -> String {
    Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap().generate(t).unwrap().to_string()
}

/// A verified factor with a friendly name and metadata, and an answered challenge.
fn enrolled<S: Store>(verify: &Verify<S>) -> String {
    let metadata = BTreeMap::from([("os".to_string(), "Plan9-metadata".to_string())]);
    let mut request = NewFactor::new("Ada's secret phone").secret(SECRET);
    request.metadata = Some(metadata);
    let created = verify.create_factor(ID, request, T0).unwrap();
    let (_, v) = verify.verify_factor(ID, &created.factor.sid, &code_at(T0), T0).unwrap();
    assert!(v.approved());
    let sid = created.factor.sid.to_string();
    let (_, v) = verify.create_challenge(ID, NewChallenge::new(&sid).auth_payload("000000"), T0 + 30).unwrap();
    assert!(!v.unwrap().approved());
    sid
}

#[test]
fn a_dump_of_sealed_records_reveals_nothing() {
    let store = TextStore::new();
    let verify = sealed(&store);
    let sid = enrolled(&verify);
    let dump = store.dump();
    assert_eq!(store.rows().len(), 3, "entity, factor, challenge: {dump}");
    let secret_bytes = watchword_core::base32::decode(SECRET).unwrap();
    for hidden in [
        SECRET,
        "Ada's secret phone",
        "Plan9-metadata",
        "consecutive_failures",
        "last_used_step",
        "failed_attempts",
        "secret",
    ] {
        assert!(!dump.contains(hidden), "{hidden} in {dump}");
    }
    assert!(!dump.as_bytes().windows(secret_bytes.len()).any(|w| w == secret_bytes.as_slice()));
    // The service reads everything back.
    let factor = verify.fetch_factor(ID, &sid).unwrap();
    assert_eq!((factor.friendly_name.as_str(), factor.consecutive_failures), ("Ada's secret phone", 1));
    // Exports are sealed too, and import into a service with the ring.
    let export = verify.export_factor(&sid).unwrap();
    assert!(export.contains("\"kid\":\"k1\"") && !export.contains(SECRET), "{export}");
    let other = TextStore::new();
    let there = sealed(&other);
    there.import_entity(&verify.export_entity(ID).unwrap(), T0).unwrap();
    assert_eq!(there.import_factor(&export, T0).unwrap().secret, factor.secret);
}

/// The text of a stored row, edited by `edit`, written back (as a database writer could).
fn tamper(store: &TextStore, kind: Kind, key: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut rows = store.rows();
    let row = rows.iter_mut().find(|((_, k, s), _)| *k == kind && s == key).expect("the row").1;
    let mut value: serde_json::Value = serde_json::from_str(row).unwrap();
    edit(&mut value);
    *row = value.to_string();
}

fn assert_refused<T: std::fmt::Debug>(outcome: Result<T, Error>, says: &str) {
    let err = outcome.expect_err("a tampered record must be refused");
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains(says), "{err} should say {says}");
    assert!(!err.to_string().contains("[1, 1") && !err.to_string().contains("AQEB"), "{err} shows a key");
}

#[test]
fn a_tampered_sealed_record_is_refused_without_a_change() {
    let store = TextStore::new();
    let verify = sealed(&store);
    let a = enrolled(&verify);
    let b = verify.create_factor(ID, NewFactor::new("second").secret(SECRET), T0).unwrap().factor.sid.to_string();
    let pristine = store.dump();
    let answer =
        |sid: &str| verify.create_challenge(ID, NewChallenge::new(sid).auth_payload(&code_at(T0 + 90)), T0 + 90);

    // Factor a's sealed record moved to factor b's row.
    let a_text = store.rows().iter().find(|((_, _, k), _)| *k == a).unwrap().1.clone();
    tamper(&store, Kind::Factor, &b, |v| {
        *v = serde_json::from_str(&a_text).unwrap();
        v["key"] = b.clone().into();
    });
    assert_refused(verify.fetch_factor(ID, &b), "failed authentication");
    assert_refused(verify.update_factor(ID, &b, &Default::default(), T0 + 90), &b);
    store.rows().clear();
    for line in pristine.lines() {
        let record = Record::from_stored(
            Kind::ALL.into_iter().find(|k| line.contains(&format!("\"type\":\"{}\"", k.as_str()))).unwrap(),
            line,
        )
        .unwrap();
        let key = record.key();
        store.rows().insert(("default".into(), key.kind(), key.as_str().to_string()), line.to_string());
    }
    assert_eq!(store.dump(), pristine);

    // Its version changed (a rolled-forward copy), its ciphertext flipped, its key id unknown.
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(Edit, &str)> = vec![
        (Box::new(|v| v["version"] = (v["version"].as_u64().unwrap() + 1).into()), "failed authentication"),
        (Box::new(|v| v["identity"] = "user-0002-sealed".into()), "failed authentication"),
        (
            Box::new(|v| {
                let text = v["sealed"].as_str().unwrap().to_string();
                let first = if text.starts_with('A') { 'B' } else { 'A' };
                v["sealed"] = format!("{first}{}", &text[1..]).into();
            }),
            "failed authentication",
        ),
        (Box::new(|v| v["kid"] = "k9".into()), "\"k9\", which is not in the key ring"),
    ];
    for (edit, says) in edits {
        tamper(&store, Kind::Factor, &a, &edit);
        let tampered = store.dump();
        assert_refused(answer(&a), says);
        assert_refused(verify.fetch_factor(ID, &a), says);
        assert_eq!(store.dump(), tampered, "a refused record changes nothing");
        tamper(&store, Kind::Factor, &a, |v| {
            *v = serde_json::from_str(pristine.lines().find(|l| l.contains(&a)).unwrap()).unwrap()
        });
    }
    // Untouched, it still works.
    assert!(answer(&a).unwrap().1.unwrap().approved());
    // The same records under another service's name do not open.
    let other = Verify::new(ServiceConfig { service: "other".into(), ..config(&[("k1", 1)], "k1", false) }, &store);
    let copied: Vec<_> =
        store.rows().iter().map(|((_, k, key), t)| (("other".to_string(), *k, key.clone()), t.clone())).collect();
    store.rows().extend(copied);
    assert_refused(other.fetch_factor(ID, &a), "failed authentication");
}

#[test]
fn keys_rotate_and_reseal_rewrites_everything() {
    let store = TextStore::new();
    let old = Verify::new(config(&[("k1", 1)], "k1", false), &store);
    let sid = enrolled(&old);
    for i in 0..7 {
        old.create_entity(&format!("user-{i:04}-more"), T0).unwrap();
    }
    let both = Verify::new(config(&[("k1", 1), ("k2", 2)], "k2", false), &store);
    assert_eq!(both.fetch_factor(ID, &sid).unwrap().consecutive_failures, 1);
    let v = both.create_challenge(ID, NewChallenge::new(&sid).auth_payload(&code_at(T0 + 60)), T0 + 60).unwrap().1;
    assert!(v.unwrap().approved());
    let under = |kid: &str| store.dump().matches(&format!("\"kid\":\"{kid}\"")).count();
    assert_eq!((under("k1"), under("k2")), (9, 2), "the factor and the new challenge under k2");
    assert_eq!(both.reseal().unwrap(), 9);
    assert_eq!((under("k1"), under("k2")), (0, 11));
    assert_eq!(both.reseal().unwrap(), 0, "nothing left to reseal");
    let new = Verify::new(config(&[("k2", 2)], "k2", false), &store);
    assert_eq!(new.list_entities(&Default::default()).unwrap().items.len(), 8);
    assert_eq!(
        new.list_challenges(ID, None, None, Default::default(), &Default::default(), T0 + 60).unwrap().items.len(),
        2
    );
    let v = new.create_challenge(ID, NewChallenge::new(&sid).auth_payload(&code_at(T0 + 60)), T0 + 61).unwrap().1;
    assert_eq!(v.unwrap().result.as_str(), "replayed", "the replay floor survived the rotation");
    assert_refused(old.fetch_factor(ID, &sid), "\"k2\", which is not in the key ring");
}

#[test]
fn an_interrupted_reseal_resumes() {
    let store = TextStore::new();
    let old = Verify::new(config(&[("k1", 1)], "k1", false), &store);
    for i in 0..20 {
        old.create_entity(&format!("user-{i:04}-more"), T0).unwrap();
    }
    let new = Verify::new(config(&[("k1", 1), ("k2", 2)], "k2", false), &store);
    store.commits_left.store(6, Ordering::SeqCst);
    assert_eq!(new.reseal().unwrap_err().kind(), ErrorKind::Storage);
    store.commits_left.store(usize::MAX, Ordering::SeqCst);
    assert_eq!(store.dump().matches("\"kid\":\"k2\"").count(), 6);
    assert_eq!(new.reseal().unwrap(), 14, "the second run rewrites only what the first did not");
    let only_new = Verify::new(config(&[("k2", 2)], "k2", false), &store);
    assert_eq!(only_new.list_entities(&Default::default()).unwrap().items.len(), 20);
}

#[test]
fn reseal_alongside_logins_loses_nothing() {
    let store = TextStore::new();
    let old = Verify::new(config(&[("k1", 1)], "k1", false), &store);
    let mut sids = Vec::new();
    for i in 0..4 {
        let identity = format!("user-{i:04}-race");
        let created = old.create_factor(&identity, NewFactor::new("phone").secret(SECRET), T0).unwrap();
        old.verify_factor(&identity, &created.factor.sid, &code_at(T0), T0).unwrap();
        sids.push((identity, created.factor.sid.to_string()));
    }
    let new = Verify::new(config(&[("k1", 1), ("k2", 2)], "k2", false), &store);
    const WRONG: usize = 15;
    std::thread::scope(|s| {
        for (identity, sid) in &sids {
            let new = &new;
            s.spawn(move || {
                for _ in 0..WRONG {
                    let outcome =
                        new.create_challenge(identity, NewChallenge::new(sid).auth_payload("000000"), T0 + 60);
                    assert!(!outcome.unwrap().1.unwrap().approved());
                }
            });
        }
        s.spawn(|| {
            for _ in 0..20 {
                new.reseal().unwrap();
            }
        });
    });
    for (identity, sid) in &sids {
        let factor = new.fetch_factor(identity, sid).unwrap();
        assert_eq!(factor.consecutive_failures as usize, WRONG, "every failed login was counted");
        let challenges = new.list_challenges(identity, None, None, Default::default(), &Default::default(), T0 + 60);
        assert_eq!(challenges.unwrap().items.len(), WRONG);
    }
    new.reseal().unwrap();
    assert!(!store.dump().contains("\"kid\":\"k1\""));
}

#[test]
fn plain_records_migrate_only_when_accepted() {
    let store = TextStore::new();
    let plain = Verify::new(config(&[], "", false), &store);
    let sid = enrolled(&plain);
    assert!(store.dump().contains(SECRET));
    let strict = sealed(&store);
    let err = strict.fetch_factor(ID, &sid).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains(&format!("the factor record {sid} is not sealed")), "{err}");
    let migrating = Verify::new(config(&[("k1", 1)], "k1", true), &store);
    // Read as it is, sealed on its next write.
    let v = migrating.create_challenge(ID, NewChallenge::new(&sid).auth_payload(&code_at(T0 + 60)), T0 + 60).unwrap();
    assert!(v.1.unwrap().approved());
    assert!(!store.rows()[&("default".into(), Kind::Factor, sid.clone())].contains(SECRET));
    assert_eq!(migrating.reseal().unwrap(), 2, "the entity and the old challenge");
    assert!(!store.dump().contains(SECRET) && !store.dump().contains("friendly_name"));
    assert_eq!(strict.fetch_factor(ID, &sid).unwrap().friendly_name, "Ada's secret phone");
}

#[test]
fn the_memory_store_keeps_records_typed_and_seals_exports() {
    let verify = Verify::new(config(&[("k1", 1)], "k1", false), MemoryStore::new());
    let sid = enrolled(&verify);
    assert_eq!(verify.reseal().unwrap(), 0);
    let export = verify.export_factor(&sid).unwrap();
    assert!(export.contains("\"v\":4") && !export.contains(SECRET), "{export}");
    let plain = Verify::new(config(&[], "", false), MemoryStore::new());
    let err = plain.import_factor(&export, T0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "no ring opens it: {err}");
}

#[test]
fn keys_never_show_and_bad_rings_are_refused() {
    let config = config(&[("k1", 0xAB)], "k1", false);
    let shown = format!("{config:?}");
    assert!(shown.contains("k1") && !shown.contains("171") && !shown.contains("AB"), "{shown}");
    let (k16, k32) = (vec![1u8; 16], vec![1u8; 32]);
    let bad = [
        serde_json::json!({"issuer": "Acme", "secret_keys": {"k1": k16}, "active_secret_key": "k1"}),
        serde_json::json!({"issuer": "Acme", "secret_keys": {"k1": k32}}),
        serde_json::json!({"issuer": "Acme", "secret_keys": {"k1": k32}, "active_secret_key": "k2"}),
        serde_json::json!({"issuer": "Acme", "secret_keys": {"k 1": k32}, "active_secret_key": "k 1"}),
        serde_json::json!({"issuer": "Acme", "secret_keys": {"k1": "not base64!"}, "active_secret_key": "k1"}),
        serde_json::json!({"issuer": "Acme", "active_secret_key": "k1"}),
        serde_json::json!({"issuer": "Acme", "accept_plaintext_records": 1}),
    ];
    for settings in bad {
        let err = ServiceConfig::from_map(settings.as_object().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{settings}: {err}");
    }
    let key = watchword_core::service::generate_secret_key();
    assert_ne!(*key, *watchword_core::service::generate_secret_key());
}

/// The envelope as written is read without a JSON parser; any other spelling of it (fields in
/// another order, spaces) goes through the JSON parser and must read the same, and a near miss
/// of the written form must be refused by both.
#[test]
fn an_envelope_reads_the_same_however_it_is_spelt() {
    let store = TextStore::new();
    let verify = sealed(&store);
    let sid = enrolled(&verify);
    let written = store.rows().iter().find(|((_, k, _), _)| *k == Kind::Factor).map(|(_, text)| text.clone()).unwrap();
    assert!(written.starts_with(r#"{"v":4,"type":"factor","service":"#), "{written}");
    let read = |text: &str| Record::from_stored(Kind::Factor, text);
    let original = read(&written).unwrap();
    assert!(matches!(original, Record::Sealed(_)));

    let value: serde_json::Value = serde_json::from_str(&written).unwrap();
    let reordered = value.to_string(); // keys in alphabetical order
    let spaced = serde_json::to_string_pretty(&value).unwrap();
    for spelling in [&reordered, &spaced] {
        assert_ne!(spelling, &written);
        assert_eq!(read(spelling).unwrap(), original, "{spelling}");
    }
    // Near misses of the written form: each is refused as the JSON parser refuses it.
    let version = format!(r#""version":{}"#, value["version"]);
    assert!(written.contains(&version), "{written}");
    for broken in [
        written.replacen(&version, r#""version":01"#, 1),
        written.replacen(&version, r#""version":1.0"#, 1),
        written.replacen(&version, r#""version":-1"#, 1),
        written.replacen(&version, r#""version":18446744073709551616"#, 1),
        format!("{written} x"),
        written.replacen(r#""kid":""#, r#""kid":"\"#, 1),
        written.replacen(r#""type":"factor""#, r#""type":"f\u0061ctor""#, 1),
    ] {
        assert!(read(&broken).is_err(), "{broken}");
    }
    // The service reads the re-spelt record as it reads the written one.
    let factor = verify.fetch_factor(ID, &sid).unwrap();
    let key = (String::from("default"), Kind::Factor, sid.clone());
    store.rows().insert(key.clone(), reordered.clone());
    assert_eq!(verify.fetch_factor(ID, &sid).unwrap(), factor);
    assert_eq!(store.rows()[&key], reordered);
}
