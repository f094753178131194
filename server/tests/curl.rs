//! The curl requests of Twilio's Verify TOTP quickstart (tests/data/twilio_quickstart_curl.sh),
//! each run as printed but for the host. The quickstart names its service `VAaaaa…` and its
//! factor `YFaaaa…`; they are put in the store before the server starts, the factor with a known
//! secret, and the test clock is set to times at which that secret shows the quickstart's codes.
//! The Okta Factors API's curl examples of TOTP factors (tests/data/okta_factors_curl.sh) run the
//! same way over a factor enrolled with the known secret, their factor ids changed too.
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
    bash(&request, &[("TWILIO_ACCOUNT_SID", ACCOUNT_SID), ("TWILIO_AUTH_TOKEN", AUTH_TOKEN)])
}

/// Runs a request with bash, its shell variables in `env`; answers its JSON (`Null` for an
/// empty answer).
fn bash(request: &str, env: &[(&str, &str)]) -> Value {
    let output = Command::new("bash").args(["-c", request]).envs(env.iter().copied()).output().expect("curl runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    if output.stdout.is_empty() {
        return Value::Null;
    }
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

const OKTA_TOKEN: &str = "00okta-api-token-0123456789abcdef";
const OKTA_USER: &str = "00u15s1KDETTQMQYABRL";

/// A pending Okta Verify factor with the known secret for the examples' user, in the store the
/// server will use, enrolled at `t0`; answers its id.
fn seed_okta(store: &str, t0: u64) -> String {
    let store = Arc::new(watchword_store::open(store).unwrap());
    let mut config = ServiceConfig::new("watchword").unwrap();
    config.service = "okta".into();
    let mut request = NewFactor::new("Okta Verify").secret(SECRET);
    request.metadata = Some(BTreeMap::from([("provider".to_string(), "OKTA".to_string())]));
    Verify::new(config, store).create_factor(OKTA_USER, request, t0).unwrap().factor.sid.to_string()
}

/// Runs the `n`th Okta example against `base`, its example factor ids changed by `ids`.
fn okta_curl(n: usize, base: &str, ids: &[(&str, &str)]) -> Value {
    let script = include_str!("data/okta_factors_curl.sh");
    let requests: Vec<&str> =
        script.split("\n\n").filter_map(|block| block.find("\ncurl ").map(|at| &block[at + 1..])).collect();
    assert_eq!(requests.len(), 8, "the examples' eight requests");
    let mut request = requests[n].replace("https://{yourOktaDomain}.com", base);
    for (example, id) in ids {
        request = request.replace(example, id);
    }
    bash(&request, &[("api_token", OKTA_TOKEN)])
}

#[test]
fn the_okta_totp_curl_examples_run_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:///{}", dir.path().join("okta.db").display());
    let activated_at = time_of("123456", T0);
    let seeded = seed_okta(&store, activated_at - 60);
    let server = Server::start(&store, &[], &[("WATCHWORD_OKTA_API_TOKEN", OKTA_TOKEN)]);
    let at = |t: u64| {
        let (status, answer) = server.call("POST", "/watchword/v1/test-clock", &[("Now", &t.to_string())]);
        assert_eq!(status, 204, "{answer}");
    };
    at(activated_at);

    let okta = okta_curl(0, &server.base, &[]);
    assert_eq!(
        (okta["provider"].as_str(), okta["status"].as_str()),
        (Some("OKTA"), Some("PENDING_ACTIVATION")),
        "{okta}"
    );
    assert!(okta["_embedded"]["activation"]["sharedSecret"].as_str().is_some_and(|s| s.len() >= 16), "{okta}");
    let google = okta_curl(1, &server.base, &[]);
    assert_eq!(google["provider"], "GOOGLE", "{google}");
    let google = google["id"].as_str().unwrap().to_string();

    let active = okta_curl(2, &server.base, &[("ostf1fmaMGJLMNGNLIVG", &seeded)]);
    assert_eq!((active["id"].as_str(), active["status"].as_str()), (Some(seeded.as_str()), Some("ACTIVE")), "{active}");
    assert!(active.get("_embedded").is_none(), "the secret only while pending: {active}");

    // The next time the code shows: the same code in the same step would be a replay.
    at(time_of("123456", activated_at + 90));
    let verified = okta_curl(3, &server.base, &[("ostf17zuKEUMYQAQGCOV", &seeded)]);
    assert_eq!(verified["factorResult"], "SUCCESS", "{verified}");
    let replayed = okta_curl(3, &server.base, &[("ostf17zuKEUMYQAQGCOV", &seeded)]);
    assert_eq!(replayed["errorCode"], "E0000082", "{replayed}");

    let fetched = okta_curl(4, &server.base, &[("ufs2bysphxKODSZKWVCT", &seeded)]);
    assert_eq!((fetched["id"].as_str(), fetched["status"].as_str()), (Some(seeded.as_str()), Some("ACTIVE")));
    let ids = |list: &Value| -> Vec<String> {
        let mut ids: Vec<String> =
            list.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let mut all = vec![seeded.clone(), okta["id"].as_str().unwrap().to_string(), google.clone()];
    all.sort();
    assert_eq!(ids(&okta_curl(5, &server.base, &[])), all);
    let catalog = okta_curl(6, &server.base, &[]);
    let providers: Vec<&str> = catalog.as_array().unwrap().iter().filter_map(|f| f["provider"].as_str()).collect();
    assert_eq!(providers, ["OKTA", "GOOGLE"], "{catalog}");

    assert_eq!(okta_curl(7, &server.base, &[("ufs1o01OTMGHLAJPVHDZ", &google)]), Value::Null);
    all.retain(|id| *id != google);
    assert_eq!(ids(&okta_curl(5, &server.base, &[])), all);
    assert!(server.stop().success());
}
