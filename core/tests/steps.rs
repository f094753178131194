//! Operations run as sans-I/O steps: what they ask for, how a lost race and a failing store
//! are answered, and that the caller's mistakes are errors, never panics.

use watchword_core::service::{
    MemoryStore, NewFactor, Request, ServiceConfig, Step, Steps, Store, VerificationResult, Verify,
};
use watchword_core::{Algorithm, Error, ErrorKind, KeyUri, Totp};

const ID: &str = "user-0001-abcd";
const T: u64 = 1_700_000_000;

fn request(op: &str, args: serde_json::Value) -> Request {
    Request::parse(op, args.as_object().unwrap()).unwrap()
}

/// A verified factor in `store`, and the app's generator.
fn enrolled(verify: &Verify<MemoryStore>) -> (String, Totp) {
    let created = verify.create_factor(ID, NewFactor::new("phone"), T).unwrap();
    let key = KeyUri::parse(&created.binding.uri).unwrap();
    let app = Totp::new(key.secret.as_bytes(), Algorithm::Sha1, 6, 30).unwrap();
    let code = app.generate(T).unwrap();
    verify.verify_factor(ID, &created.factor.sid, code.as_str(), T).unwrap();
    (created.factor.sid.to_string(), app)
}

#[test]
fn a_lost_race_is_read_again_and_retried() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let (sid, app) = enrolled(&verify);
    let code = app.generate(T + 30).unwrap();
    let args = serde_json::json!({"identity": ID, "factor_sid": sid, "auth_payload": code.as_str()});
    let mut steps = Steps::new(verify.config().clone(), request("create_challenge", args), T + 30);
    let store = verify.store();

    let Step::Get(key) = steps.next_step() else { panic!("the factor is read first") };
    steps.give_record(store.get("default", &key));
    let Step::Commit(first) = steps.next_step() else { panic!("then the writes") };
    assert_eq!(first.len(), 2, "the factor and the new challenge");
    // Another writer got there first.
    steps.give_commit(Err(Error::Conflict));
    let Step::Get(again) = steps.next_step() else { panic!("a lost race reads the factor again") };
    assert_eq!(again, key);
    steps.give_record(store.get("default", &again));
    let Step::Commit(second) = steps.next_step() else { panic!("and writes again") };
    steps.give_commit(store.commit("default", second));
    let Step::Done(Ok(answer)) = steps.next_step() else { panic!("then answers") };
    assert_eq!(answer.view(T + 30)["result"], VerificationResult::Approved.as_str());
    // Over: the store holds the approved challenge, and the steps are spent.
    assert_eq!(
        verify.list_challenges(ID, None, None, Default::default(), &Default::default(), T + 30).unwrap().items.len(),
        1
    );
    assert!(matches!(steps.next_step(), Step::Done(Err(_))));
}

#[test]
fn the_answer_is_the_records_committed() {
    // A new factor's sid and secret are drawn once: the runs after the commit make the same ones.
    let store = MemoryStore::new();
    let config = ServiceConfig::new("Acme").unwrap();
    let args = serde_json::json!({"identity": ID, "friendly_name": "phone"});
    let answer = Steps::new(config.clone(), request("create_factor", args), T).drive(&store).unwrap();
    let view = answer.view(T);
    let verify = Verify::new(config, store);
    let stored = verify.fetch_factor(ID, view["sid"].as_str().unwrap()).unwrap();
    let key = KeyUri::parse(view["binding"]["uri"].as_str().unwrap()).unwrap();
    assert_eq!(stored.secret.as_bytes(), key.secret.as_bytes());
}

#[test]
fn a_failing_store_ends_the_operation_with_its_error() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let (sid, _) = enrolled(&verify);
    let args = serde_json::json!({"identity": ID, "factor_sid": sid});
    let mut steps = Steps::new(verify.config().clone(), request("fetch_factor", args), T);
    assert!(matches!(steps.next_step(), Step::Get(_)));
    steps.give_record(Err(Error::storage("the database is down")));
    let Step::Done(Err(e)) = steps.next_step() else { panic!("the store's error ends it") };
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.to_string().contains("the database is down"));
}

#[test]
fn answers_out_of_order_are_an_error() {
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let (sid, _) = enrolled(&verify);
    let args = serde_json::json!({"identity": ID, "factor_sid": sid});
    let mut steps = Steps::new(verify.config().clone(), request("fetch_factor", args), T);
    assert!(matches!(steps.next_step(), Step::Get(_)));
    steps.give_records(Ok(Vec::new()));
    let Step::Done(Err(e)) = steps.next_step() else { panic!("a list given for a read is refused") };
    assert_eq!(e.kind(), ErrorKind::Storage);
}

#[test]
fn invalid_arguments_end_before_any_read() {
    let args = serde_json::json!({"identity": "x", "factor_sid": "YF00"});
    let mut steps = Steps::new(ServiceConfig::new("Acme").unwrap(), request("fetch_factor", args), T);
    let Step::Done(Err(e)) = steps.next_step() else { panic!("nothing to read for a bad identity") };
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
}
