//! The curl requests of Twilio's Verify TOTP quickstart (tests/data/twilio_quickstart_curl.sh),
//! each run as printed but for the host. The quickstart names its service `VAaaaa…` and its
//! factor `YFaaaa…`; they are put in the store before the server starts, the factor with a known
//! secret, and the test clock is set to times at which that secret shows the quickstart's codes.
#![cfg(feature = "test-clock")]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use common::{Server, ACCOUNT_SID, AUTH_TOKEN, IDENTITY};
use serde_json::Value;
use watchword_core::service::{NewFactor, ServiceConfig, ServiceDefinition, Verify};
use watchword_core::{Algorithm, Totp};

const SERVICE: &str = "VAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FACTOR: &str = "YFaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const T0: u64 = 1_700_000_000;

/// The first time from `from` on (a step's start) at which the quickstart's secret shows `code`.
fn time_of(code: &str, from: u64) -> u64 {
    let totp = Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap();
    (from / 30..from / 30 + 20_000_000)
        .find(|step| totp.generate_step(*step).as_str() == code)
        .map(|step| step * 30)
        .expect("the code shows within 20 million steps")
}

/// The quickstart's service and factor, in the store the server will use, made at `t0`.
fn seed(store: &str, t0: u64) {
    let store = Arc::new(watchword_store::open(store).unwrap());
    let mut registry = ServiceConfig::new("watchword").unwrap();
    registry.service = "watchword-services".into();
    let settings = BTreeMap::from([("time_step".into(), 30), ("code_length".into(), 6), ("skew".into(), 1)]);
    let definition = ServiceDefinition::new("Quickstart", "Acme", settings, [0xaa; 16], t0).unwrap();
    let definition = Verify::new(registry, store.clone()).create_definition(definition).unwrap();
    assert_eq!(definition.sid.as_str(), SERVICE);
    // A factor with the known secret, made apart and moved to the quickstart's sid.
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.service = SERVICE.into();
    let apart = Verify::new(config.clone(), watchword_core::service::MemoryStore::new());
    let made = apart.create_factor(IDENTITY, NewFactor::new("Taylor's Account Name").secret(SECRET), t0).unwrap();
    let record = apart.export_factor(made.factor.sid.as_str()).unwrap().replace(made.factor.sid.as_str(), FACTOR);
    let verify = Verify::new(config, store);
    verify.import_entity(&apart.export_entity(IDENTITY).unwrap(), t0).unwrap();
    assert_eq!(verify.import_factor(&record, t0).unwrap().sid.as_str(), FACTOR);
}

/// Runs the quickstart's `n`th curl request against `base`; answers its JSON.
fn curl(n: usize, base: &str) -> Value {
    let script = include_str!("data/twilio_quickstart_curl.sh");
    let requests: Vec<&str> = script.split("\n\n").filter(|block| block.starts_with("curl ")).collect();
    assert_eq!(requests.len(), 4, "the quickstart's four requests");
    let request = requests[n].replace("https://verify.twilio.com", base);
    let output = Command::new("bash")
        .args(["-c", &request])
        .env("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
        .output()
        .expect("curl runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn the_quickstart_curl_requests_run_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:///{}", dir.path().join("quickstart.db").display());
    let verified_at = time_of("293412", T0);
    seed(&store, verified_at - 60);
    let server = Server::start(&store, &[], &[]);
    let at = |t: u64| {
        let (status, answer) = server.call("POST", "/watchword/v1/test-clock", &[("Now", &t.to_string())]);
        assert_eq!(status, 204, "{answer}");
    };
    at(verified_at);

    let created = curl(0, &server.base);
    assert_eq!((created["status"].as_str(), created["factor_type"].as_str()), (Some("unverified"), Some("totp")));
    assert_eq!(created["friendly_name"], "Taylor's Account Name");
    assert_eq!((created["service_sid"].as_str(), created["identity"].as_str()), (Some(SERVICE), Some(IDENTITY)));

    let verified = curl(1, &server.base);
    assert_eq!((verified["sid"].as_str(), verified["status"].as_str()), (Some(FACTOR), Some("verified")), "{verified}");

    let listed = curl(2, &server.base);
    let sids: Vec<&str> = listed["factors"].as_array().unwrap().iter().filter_map(|f| f["sid"].as_str()).collect();
    assert_eq!(sids.len(), 2, "{listed}");
    assert!(sids.contains(&FACTOR) && sids.contains(&created["sid"].as_str().unwrap()), "{listed}");
    assert_eq!(listed["meta"]["page_size"], 20);

    at(time_of("123456", verified_at + 90));
    let challenge = curl(3, &server.base);
    assert_eq!((challenge["factor_sid"].as_str(), challenge["status"].as_str()), (Some(FACTOR), Some("approved")));
    assert!(challenge["sid"].as_str().unwrap().starts_with("YC"), "{challenge}");
    assert!(server.stop().success());
}
