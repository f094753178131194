//! A store written by the host, as text (`watchword_store::host`): the conformance suite and
//! the replay race through `HostStore`, the scenarios as `HostSteps`, and a host that answers
//! wrongly.

use std::collections::BTreeMap;
use std::sync::Mutex;

use watchword_core::service::{Cursor, Kind, NewFactor, Request, ServiceConfig, Verify};
use watchword_store::conformance;
use watchword_store::{Host, HostStep, HostSteps, HostStore, HostWrite};

/// What a SQL table of the host would keep: the row of each (service, kind, key).
#[derive(Default)]
struct TextHost {
    rows: Mutex<BTreeMap<(String, String, String), Row>>,
}

#[derive(Clone)]
struct Row {
    identity: String,
    created: u64,
    version: u64,
    text: String,
}

impl TextHost {
    fn rows(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String, String), Row>> {
        self.rows.lock().unwrap()
    }

    fn listing(
        &self,
        service: &str,
        identity: Option<&str>,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Vec<String> {
        let rows = self.rows();
        let mut found: Vec<(u64, String, String)> = rows
            .iter()
            .filter(|((s, k, _), row)| s == service && k == kind.as_str() && identity.is_none_or(|i| i == row.identity))
            .map(|((_, _, key), row)| (row.created, key.clone(), row.text.clone()))
            .filter(|(created, key, _)| after.is_none_or(|a| (a.created, a.key.as_str()) < (*created, key.as_str())))
            .collect();
        found.sort();
        found.into_iter().take(limit).map(|(_, _, text)| text).collect()
    }
}

impl Host for TextHost {
    fn get(&self, service: &str, kind: Kind, key: &str) -> Result<Option<String>, String> {
        let rows = self.rows();
        Ok(rows.get(&(service.into(), kind.as_str().into(), key.into())).map(|r| r.text.clone()))
    }

    fn list(
        &self,
        service: &str,
        identity: &str,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<String>, String> {
        Ok(self.listing(service, Some(identity), kind, after, limit))
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<String>, String> {
        Ok(self.listing(service, None, kind, after, limit))
    }

    fn commit(&self, writes: &[HostWrite]) -> Result<bool, String> {
        let mut rows = self.rows();
        let id = |w: &HostWrite| (w.service.clone(), w.kind.to_string(), w.key.clone());
        let agrees = writes.iter().all(|w| rows.get(&id(w)).map_or(0, |r| r.version) == w.expected_version);
        if !agrees {
            return Ok(false);
        }
        for w in writes {
            match &w.record {
                Some(text) => {
                    let row = Row {
                        identity: w.identity.clone(),
                        created: w.created,
                        version: w.version,
                        text: text.clone(),
                    };
                    rows.insert(id(w), row);
                }
                None => {
                    rows.remove(&id(w));
                }
            }
        }
        Ok(true)
    }
}

#[test]
fn conformance_through_a_host_store() {
    let (files, steps) = conformance::run_all(|| HostStore(TextHost::default()));
    assert!(files >= 10 && steps > 100, "{files} files, {steps} steps");
}

#[test]
fn one_approval_per_code_through_a_host_store() {
    let store = std::sync::Arc::new(HostStore(TextHost::default()));
    let mut config = ServiceConfig::new("Acme").unwrap();
    // Sixteen presentations of one code: fifteen replays, below the lockout.
    config.set("lockout_threshold", 20).unwrap();
    let services: Vec<_> = (0..4).map(|_| Verify::new(config.clone(), std::sync::Arc::clone(&store))).collect();
    conformance::one_approval_per_code(&services, 16, 50).unwrap();
}

/// Drives `request` as host steps over `host`, with `meddle` changing what the host answers
/// to reads.
fn drive(
    host: &TextHost,
    request: Request,
    now: u64,
    meddle: impl Fn(Option<String>) -> Option<String>,
) -> Result<serde_json::Value, watchword_core::Error> {
    let mut steps = HostSteps::new(ServiceConfig::new("Acme").unwrap(), request, now);
    loop {
        match steps.next_step() {
            HostStep::Get { service, kind, key } => {
                let text = meddle(host.get(&service, kind, &key).unwrap());
                steps.give_record(Ok(text));
            }
            HostStep::List { service, identity, kind, after, limit } => {
                let texts = host.list(&service, &identity, kind, after.as_ref(), limit);
                steps.give_records(texts);
            }
            HostStep::Scan { service, kind, after, limit } => {
                let texts = host.scan(&service, kind, after.as_ref(), limit);
                steps.give_records(texts);
            }
            HostStep::Commit(writes) => steps.give_commit(host.commit(&writes)),
            HostStep::Done(answer) => return answer.map(|a| a.view(now)),
        }
    }
}

fn request(op: &str, args: serde_json::Value) -> Request {
    Request::parse(op, args.as_object().unwrap()).unwrap()
}

#[test]
fn host_steps_run_an_enrollment_and_refuse_wrong_answers() {
    let host = TextHost::default();
    let t = 1_700_000_000;
    let created = drive(
        &host,
        request("create_factor", serde_json::json!({"identity": "user-0001", "friendly_name": "phone"})),
        t,
        |r| r,
    )
    .unwrap();
    let sid = created["sid"].as_str().unwrap().to_string();
    let other = drive(
        &host,
        request("create_factor", serde_json::json!({"identity": "user-0001", "friendly_name": "laptop"})),
        t,
        |r| r,
    )
    .unwrap();
    let before: Vec<_> = host.rows().values().map(|r| r.text.clone()).collect();

    let fetch = || request("fetch_factor", serde_json::json!({"identity": "user-0001", "factor_sid": sid}));
    assert_eq!(drive(&host, fetch(), t, |r| r).unwrap()["sid"], sid);
    // The record of another factor, an unreadable record, a record of another kind.
    let other_text = host.get("default", Kind::Factor, other["sid"].as_str().unwrap()).unwrap();
    for (wrong, says) in [
        (other_text.clone(), "was answered with the record of"),
        (Some("{not json".to_string()), "cannot be read"),
        (host.get("default", Kind::Entity, "user-0001").unwrap(), "cannot be read"),
    ] {
        let e =
            drive(
                &host,
                fetch(),
                t,
                |r| if r.as_deref().is_some_and(|t| t.contains(&sid)) { wrong.clone() } else { r },
            )
            .unwrap_err();
        assert_eq!(e.kind().as_str(), "storage", "{e}");
        assert!(e.to_string().contains(says), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }
    // Nothing changed.
    let after: Vec<_> = host.rows().values().map(|r| r.text.clone()).collect();
    assert_eq!(before, after);

    // A code answered through wrong reads changes nothing either.
    let update =
        request("verify_factor", serde_json::json!({"identity": "user-0001", "factor_sid": sid, "code": "123456"}));
    let e = drive(&host, update, t, |r| r.map(|t| t.replace("\"version\":", "\"versio\":"))).unwrap_err();
    assert_eq!(e.kind().as_str(), "storage");
    assert_eq!(before, host.rows().values().map(|r| r.text.clone()).collect::<Vec<_>>());
}

#[test]
fn a_failing_host_is_a_storage_error_with_its_message() {
    struct Down;
    impl Host for Down {
        fn get(&self, _: &str, _: Kind, _: &str) -> Result<Option<String>, String> {
            Err("connection refused".into())
        }
        fn list(&self, _: &str, _: &str, _: Kind, _: Option<&Cursor>, _: usize) -> Result<Vec<String>, String> {
            Err("connection refused".into())
        }
        fn scan(&self, _: &str, _: Kind, _: Option<&Cursor>, _: usize) -> Result<Vec<String>, String> {
            Err("connection refused".into())
        }
        fn commit(&self, _: &[HostWrite]) -> Result<bool, String> {
            Err("disk full".into())
        }
    }
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), HostStore(Down));
    let e = verify.create_factor("user-0001", NewFactor::new("phone"), 1_700_000_000).unwrap_err();
    assert_eq!(e.kind().as_str(), "storage");
    assert!(e.to_string().contains("connection refused"), "{e}");
}
