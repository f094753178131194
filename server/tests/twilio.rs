//! The Twilio Verify v2 API over a real listening server, on every store.

mod common;

use common::{code, now, stores, Server, ACCOUNT_SID, AUTH_TOKEN, IDENTITY};
use serde_json::Value;

fn factors(va: &str) -> String {
    format!("/v2/Services/{va}/Entities/{IDENTITY}/Factors")
}

fn challenges(va: &str) -> String {
    format!("/v2/Services/{va}/Entities/{IDENTITY}/Challenges")
}

/// Creates a factor and verifies it with the current code; answers its sid and URI.
#[cfg(feature = "test-clock")]
fn enrolled(server: &Server, va: &str) -> (String, String) {
    let (status, factor) =
        server.call("POST", &factors(va), &[("FriendlyName", "Taylor's phone"), ("FactorType", "totp")]);
    assert_eq!(status, 201, "{factor}");
    let sid = factor["sid"].as_str().unwrap().to_string();
    let uri = factor["binding"]["uri"].as_str().unwrap().to_string();
    let (status, verified) =
        server.call("POST", &format!("{}/{sid}", factors(va)), &[("AuthPayload", &code(&uri, now()))]);
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["status"], "verified");
    (sid, uri)
}

#[test]
fn the_quickstart_on_every_store() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()) {
        let server = Server::start(&store, &[], &[]);
        let va = server.create_service(&[("FriendlyName", "Acme"), ("Totp.Issuer", "Acme Inc")]);
        let (status, factor) =
            server.call("POST", &factors(&va), &[("FriendlyName", "Taylor's phone"), ("FactorType", "totp")]);
        assert_eq!(status, 201, "{factor}");
        assert_eq!(factor["status"], "unverified");
        assert_eq!(factor["account_sid"], ACCOUNT_SID);
        assert_eq!(factor["service_sid"], va.as_str());
        assert_eq!(factor["config"]["time_step"], 30);
        let sid = factor["sid"].as_str().unwrap().to_string();
        assert_eq!(factor["url"], format!("{}{}/{sid}", server.base, factors(&va)));
        let uri = factor["binding"]["uri"].as_str().unwrap().to_string();
        assert!(uri.starts_with("otpauth://totp/Acme%20Inc:"), "{uri}");
        let secret = factor["binding"]["secret"].as_str().unwrap().to_string();

        // No later read returns the secret.
        let (status, fetched) = server.call("GET", &format!("{}/{sid}", factors(&va)), &[]);
        assert_eq!(status, 200);
        assert!(fetched.get("binding").is_none());
        assert!(!fetched.to_string().contains(&secret));

        // A wrong code leaves the factor unverified (200); the right one verifies it.
        let (status, wrong) = server.call("POST", &format!("{}/{sid}", factors(&va)), &[("AuthPayload", "000000")]);
        assert_eq!((status, wrong["status"].as_str()), (200, Some("unverified")), "{wrong}");
        let t = now();
        let (status, verified) =
            server.call("POST", &format!("{}/{sid}", factors(&va)), &[("AuthPayload", &code(&uri, t))]);
        assert_eq!((status, verified["status"].as_str()), (200, Some("verified")), "{verified}");

        // A challenge with the next code is approved; the same code again is not.
        let next = code(&uri, t + 30);
        let (status, approved) = server.call(
            "POST",
            &challenges(&va),
            &[
                ("FactorSid", &sid),
                ("AuthPayload", &next),
                ("Details.Message", "Log in?"),
                ("Details.Fields", r#"{"label": "Action", "value": "Sign in"}"#),
                ("HiddenDetails", r#"{"ip": "172.168.1.234"}"#),
            ],
        );
        assert_eq!(status, 201, "{approved}");
        assert_eq!(approved["status"], "approved");
        assert_eq!(approved["details"]["fields"][0]["label"], "Action");
        assert_eq!(approved["hidden_details"]["ip"], "172.168.1.234");
        assert!(approved["date_responded"].is_string());
        let (status, replayed) = server.call("POST", &challenges(&va), &[("FactorSid", &sid), ("AuthPayload", &next)]);
        assert_eq!((status, replayed["status"].as_str()), (201, Some("pending")), "{replayed}");
        assert_eq!(replayed["result"], "replayed");

        // Answering the pending challenge wrongly keeps it pending; answering an approved one is 60322.
        let pending = replayed["sid"].as_str().unwrap().to_string();
        let (status, still) = server.call("POST", &format!("{}/{pending}", challenges(&va)), &[("AuthPayload", "123")]);
        assert_eq!((status, still["status"].as_str()), (200, Some("pending")), "{still}");
        let done = approved["sid"].as_str().unwrap();
        let (status, error) = server.call("POST", &format!("{}/{done}", challenges(&va)), &[("AuthPayload", &next)]);
        assert_eq!((status, error["code"].as_i64()), (403, Some(60322)), "{error}");
        assert_eq!(error["more_info"], "https://www.twilio.com/docs/errors/60322");

        // Listing: filters, order and paging through next_page_url.
        let (_, third) = server.call("POST", &challenges(&va), &[("FactorSid", &sid)]);
        assert_eq!(third["status"], "pending");
        let (status, page) = server.call("GET", &format!("{}?PageSize=2", challenges(&va)), &[]);
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["challenges"].as_array().unwrap().len(), 2);
        assert_eq!(page["meta"]["key"], "challenges");
        assert_eq!(page["meta"]["page_size"], 2);
        let next_url = page["meta"]["next_page_url"].as_str().unwrap().to_string();
        assert!(next_url.starts_with(&server.base), "{next_url}");
        let (status, second) = server.call("GET", &next_url, &[]);
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["challenges"].as_array().unwrap().len(), 1);
        assert_eq!(second["meta"]["page"], 1);
        assert!(second["meta"]["next_page_url"].is_null());
        let mut seen: Vec<String> = page["challenges"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["challenges"].as_array().unwrap())
            .map(|c| c["sid"].as_str().unwrap().to_string())
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 3);
        let (_, approved_only) = server.call("GET", &format!("{}?Status=approved", challenges(&va)), &[]);
        assert_eq!(approved_only["challenges"].as_array().unwrap().len(), 1);
        let (_, desc) = server.call("GET", &format!("{}?Order=desc&PageSize=1", challenges(&va)), &[]);
        assert!(desc["meta"]["next_page_url"].as_str().unwrap().contains("Order=desc"));
        let (_, by_factor) = server.call("GET", &format!("{}?FactorSid={sid}", challenges(&va)), &[]);
        assert_eq!(by_factor["challenges"].as_array().unwrap().len(), 3);

        // Entities and factors list; delete removes.
        let (_, entities) = server.call("GET", &format!("/v2/Services/{va}/Entities"), &[]);
        assert_eq!(entities["entities"][0]["identity"], IDENTITY);
        assert!(entities["entities"][0]["links"]["factors"].as_str().unwrap().ends_with("/Factors"));
        let (_, list) = server.call("GET", &factors(&va), &[]);
        assert_eq!(list["factors"].as_array().unwrap().len(), 1);
        let (status, _) = server.call("DELETE", &format!("{}/{sid}", factors(&va)), &[]);
        assert_eq!(status, 204);
        let (status, gone) = server.call("GET", &format!("{}/{sid}", factors(&va)), &[]);
        assert_eq!((status, gone["code"].as_i64()), (404, Some(60390)));
        assert!(server.stop().success());
    }
}

#[test]
fn services_keep_their_settings_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:///{}", dir.path().join("kept.db").display());
    let server = Server::start(&store, &[], &[]);
    let va = server.create_service(&[("FriendlyName", "Acme"), ("Totp.TimeStep", "60"), ("Totp.Skew", "2")]);
    let (status, updated) = server.call("POST", &format!("/v2/Services/{va}"), &[("Totp.CodeLength", "8")]);
    assert_eq!(status, 200, "{updated}");
    let (status, bad) = server.call("POST", &format!("/v2/Services/{va}"), &[("Totp.TimeStep", "61")]);
    assert_eq!((status, bad["code"].as_i64()), (400, Some(60306)), "{bad}");
    let (_, factor) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    assert_eq!(factor["config"]["time_step"], 60);
    assert_eq!(factor["config"]["code_length"], 8);
    assert_eq!(factor["config"]["skew"], 2);
    assert!(server.stop().success());

    // Another process over the same file finds the service, its settings and its factor.
    let server = Server::start(&store, &[], &[]);
    let (status, service) = server.call("GET", &format!("/v2/Services/{va}"), &[]);
    assert_eq!(status, 200, "{service}");
    assert_eq!(service["friendly_name"], "Acme");
    assert_eq!(service["totp"]["issuer"], "Acme");
    assert_eq!(service["totp"]["time_step"], 60);
    assert_eq!(service["totp"]["code_length"], 8);
    let (_, list) = server.call("GET", "/v2/Services", &[]);
    assert_eq!(list["services"].as_array().unwrap().len(), 1);
    let (status, _) = server.call("GET", &format!("{}/{}", factors(&va), factor["sid"].as_str().unwrap()), &[]);
    assert_eq!(status, 200);

    // Deleting the service takes its entities with it.
    let (status, _) = server.call("DELETE", &format!("/v2/Services/{va}"), &[]);
    assert_eq!(status, 204);
    let (status, gone) = server.call("GET", &format!("/v2/Services/{va}"), &[]);
    assert_eq!((status, gone["code"].as_i64()), (404, Some(20404)));
    let (_, list) = server.call("GET", "/v2/Services", &[]);
    assert_eq!(list["services"].as_array().unwrap().len(), 0);
}

#[test]
fn a_service_changed_by_another_server_is_read_anew() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:///{}", dir.path().join("shared.db").display());
    let (one, two) = (Server::start(&store, &[], &[]), Server::start(&store, &[], &[]));
    let va = one.create_service(&[("FriendlyName", "Acme")]);
    let new_factor = |server: &Server| {
        let (status, factor) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
        assert_eq!(status, 201, "{factor}");
        factor["config"]["code_length"].as_i64()
    };
    // The first server has the service in use with its first settings …
    assert_eq!(new_factor(&one), Some(6));
    // … the second changes them: the first's next factor has the new ones.
    let (status, updated) = two.call("POST", &format!("/v2/Services/{va}"), &[("Totp.CodeLength", "8")]);
    assert_eq!(status, 200, "{updated}");
    assert_eq!(new_factor(&one), Some(8));
    // And once the second deletes it, the first finds no such service.
    let (status, _) = two.call("DELETE", &format!("/v2/Services/{va}"), &[]);
    assert_eq!(status, 204);
    let (status, gone) = one.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    assert_eq!((status, gone["code"].as_i64()), (404, Some(20404)), "{gone}");
    assert!(one.stop().success() && two.stop().success());
}

#[test]
fn sealed_records_keep_names_out_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sealed.db");
    let store = format!("sqlite:///{}", path.display());
    let key = format!(r#"{{"k1": "{}="}}"#, "Q".repeat(43));
    let server = Server::start(&store, &[], &[("WATCHWORD_SECRET_KEYS", &key), ("WATCHWORD_ACTIVE_SECRET_KEY", "k1")]);
    let va = server.create_service(&[("FriendlyName", "Zanzibar-Bank")]);
    let (status, _) =
        server.call("POST", &factors(&va), &[("FriendlyName", "Marmalade-phone"), ("FactorType", "totp")]);
    assert_eq!(status, 201);
    assert!(server.stop().success());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(dir.path().join("sealed.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(&va), "the namespace is readable");
    assert!(!text.contains("Zanzibar-Bank") && !text.contains("Marmalade-phone"));
}

#[test]
fn enrollment_attempts_and_unknown_things() {
    let server = Server::start("memory:", &[], &[]);
    let va = server.create_service(&[("FriendlyName", "Acme")]);
    let (_, factor) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    let sid = factor["sid"].as_str().unwrap();
    for _ in 0..5 {
        let (status, f) = server.call("POST", &format!("{}/{sid}", factors(&va)), &[("AuthPayload", "000001")]);
        assert_eq!((status, f["status"].as_str()), (200, Some("unverified")));
    }
    let (status, error) = server.call("POST", &format!("{}/{sid}", factors(&va)), &[("AuthPayload", "000001")]);
    assert_eq!((status, error["code"].as_i64()), (429, Some(60310)), "{error}");
    // An unverified factor cannot be challenged.
    let (status, error) = server.call("POST", &challenges(&va), &[("FactorSid", sid)]);
    assert_eq!((status, error["code"].as_i64()), (403, Some(60318)), "{error}");
    // Unknown service, entity, challenge; invalid identity.
    let (status, error) = server.call("GET", "/v2/Services/VA00000000000000000000000000000000/Entities", &[]);
    assert_eq!((status, error["code"].as_i64()), (404, Some(20404)));
    let (status, error) = server.call("GET", &format!("/v2/Services/{va}/Entities/nobody-here-0001"), &[]);
    assert_eq!((status, error["code"].as_i64()), (404, Some(60392)));
    let (status, error) = server.call("GET", &format!("{}/YC00000000000000000000000000000000", challenges(&va)), &[]);
    assert_eq!((status, error["code"].as_i64()), (404, Some(60391)));
    let (status, error) = server.call("POST", &format!("/v2/Services/{va}/Entities"), &[("Identity", "short")]);
    assert_eq!((status, error["code"].as_i64()), (400, Some(60367)), "{error}");
    let (status, _) = server.call("POST", &format!("/v2/Services/{va}/Entities"), &[("Identity", "user-0001")]);
    assert_eq!(status, 201);
    let (status, error) = server.call("POST", &format!("/v2/Services/{va}/Entities"), &[("Identity", "user-0001")]);
    assert_eq!((status, error["code"].as_i64()), (409, Some(60301)));
    let (status, error) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "push")]);
    assert_eq!((status, error["code"].as_i64()), (400, Some(60306)), "{error}");
}

fn service_count(server: &Server) -> usize {
    let (status, list) = server.call("GET", "/v2/Services", &[]);
    assert_eq!(status, 200);
    list["services"].as_array().unwrap().len()
}

#[test]
fn bad_requests_change_nothing() {
    let server = Server::start("memory:", &["--body-limit", "1024"], &[]);
    let before = service_count(&server);
    let form = [("FriendlyName", "Acme")];
    // Credentials: missing, wrong token, wrong account, not Basic.
    for auth in
        [None, Some((ACCOUNT_SID, "wrong-token-0000000000")), Some(("AC00000000000000000000000000000000", AUTH_TOKEN))]
    {
        let (status, error) = server.request("POST", "/v2/Services", &form, auth);
        assert_eq!((status, error["code"].as_i64()), (401, Some(20003)), "{error}");
        assert_eq!(error["more_info"], "https://www.twilio.com/docs/errors/20003");
    }
    let token = format!("Bearer {AUTH_TOKEN}");
    let (status, error) = server.raw("GET", "/v2/Services", &[("Authorization", &token)], vec![]);
    assert_eq!((status, error["code"].as_i64()), (401, Some(20003)));
    let (status, _) = server.raw("GET", "/v2/Services", &[("Authorization", "Basic !!!")], vec![]);
    assert_eq!(status, 401);
    // Unknown paths, with and without credentials.
    let (status, error) = server.call("GET", "/v2/Nothing", &[]);
    assert_eq!((status, error["code"].as_i64()), (404, Some(20404)));
    let (status, error) = server.request("GET", "/nothing", &[], None);
    assert_eq!((status, error["status"].as_i64()), (404, Some(404)));
    // Malformed bodies, wrong content types, oversized bodies.
    let form_type = ("Content-Type", "application/x-www-form-urlencoded");
    let (status, error) = server.raw("POST", "/v2/Services", &[form_type], b"FriendlyName=%zz".to_vec());
    assert_eq!((status, error["code"].as_i64()), (400, Some(60306)), "{error}");
    let (status, error) = server.raw("POST", "/v2/Services", &[form_type], b"FriendlyName=%ff%fe".to_vec());
    assert_eq!(status, 400, "{error}");
    let (status, error) = server.raw(
        "POST",
        "/v2/Services",
        &[("Content-Type", "application/json")],
        br#"{"FriendlyName": "Acme"}"#.to_vec(),
    );
    assert_eq!((status, error["code"].as_i64()), (400, Some(60306)), "{error}");
    assert!(error["message"].as_str().unwrap().contains("Content-Type"));
    let big = format!("FriendlyName=Acme&Totp.Issuer={}", "x".repeat(4096));
    let (status, error) = server.raw("POST", "/v2/Services", &[form_type], big.into_bytes());
    assert_eq!((status, error["status"].as_i64()), (413, Some(413)), "{error}");
    // Bad parameters.
    let (status, error) = server.call("POST", "/v2/Services", &[("FriendlyName", "A"), ("Totp.Skew", "two")]);
    assert_eq!((status, error["code"].as_i64()), (400, Some(60306)), "{error}");
    let (status, error) = server.call("POST", "/v2/Services", &[("FriendlyName", "A"), ("Totp.Skew", "3")]);
    assert_eq!(status, 400, "{error}");
    let (status, _) = server.call("POST", "/v2/Services", &[("Totp.Issuer", "nameless")]);
    assert_eq!(status, 400);
    let (status, _) = server.call("POST", "/v2/Services", &[("FriendlyName", "a:b")]);
    assert_eq!(status, 400, "the issuer defaults to the friendly name and may not hold ':'");
    let (status, _) = server.call("GET", "/v2/Services?PageSize=0", &[]);
    assert_eq!(status, 400);
    let (status, _) = server.call("GET", "/v2/Services?Page=3", &[]);
    assert_eq!(status, 400);
    assert_eq!(service_count(&server), before, "nothing was written");

    let va = server.create_service(&form);
    let (_, factor) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    let sid = factor["sid"].as_str().unwrap();
    for bad in [
        vec![("FactorSid", sid), ("ExpirationDate", "tomorrow")],
        vec![("FactorSid", sid), ("HiddenDetails", "[1]")],
        vec![("FactorSid", sid), ("Details.Fields", "{}")],
        vec![("FactorSid", "YFnope")],
    ] {
        let (status, error) = server.call("POST", &challenges(&va), &bad);
        assert_eq!(status, 400, "{bad:?}: {error}");
    }
    let (status, error) =
        server.call("POST", &format!("{}/{sid}", factors(&va)), &[("AuthPayload", "123456"), ("FriendlyName", "x")]);
    assert_eq!(status, 400, "{error}");
    let (_, list) = server.call("GET", &challenges(&va), &[]);
    assert_eq!(list["challenges"].as_array().unwrap().len(), 0);
    let (_, fetched) = server.call("GET", &format!("{}/{sid}", factors(&va)), &[]);
    assert_eq!(fetched["friendly_name"], "phone");
}

#[test]
fn urls_come_from_the_public_url_never_the_host_header() {
    let server = Server::start("memory:", &["--public-url", "https://mfa.example.com/"], &[]);
    let (status, service) = server.raw(
        "POST",
        "/v2/Services",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Host", "evil.example.net")],
        b"FriendlyName=Acme".to_vec(),
    );
    assert_eq!(status, 201, "{service}");
    let url = service["url"].as_str().unwrap();
    assert_eq!(url, format!("https://mfa.example.com/v2/Services/{}", service["sid"].as_str().unwrap()));
    let (_, list) = server.call("GET", "/v2/Services", &[]);
    assert!(list["meta"]["url"].as_str().unwrap().starts_with("https://mfa.example.com/v2/Services?"));
    assert!(!list.to_string().contains("evil.example.net"));
}

#[test]
fn health_needs_no_credentials() {
    let server = Server::start("memory:", &[], &[]);
    let (status, body) = server.request("GET", "/healthz", &[], None);
    assert_eq!((status, body), (200, Value::String("ok\n".into())));
}

/// The server runs on 4 KiB pages: its process has transparent huge pages turned off
/// (`serve::small_pages`), as the kernel reports in the process's status.
#[cfg(target_os = "linux")]
#[test]
fn the_server_turns_transparent_huge_pages_off() {
    let server = Server::start("memory:", &[], &[]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("THP_enabled:")).expect("the kernel reports THP_enabled");
    assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    assert_eq!(server.request("GET", "/healthz", &[], None).0, 200);
}

/// Builds without the `test-clock` feature (release builds) have no way to move the clock.
#[cfg(not(feature = "test-clock"))]
#[test]
fn no_clock_override_without_the_test_feature() {
    let server = Server::start("memory:", &[], &[]);
    let (status, _) = server.call("POST", "/watchword/v1/test-clock", &[("Offset", "301")]);
    assert_eq!(status, 404);
}

#[cfg(feature = "test-clock")]
#[test]
fn an_expired_challenge_is_60323_and_stays_expired() {
    let server = Server::start("memory:", &[], &[]);
    let va = server.create_service(&[("FriendlyName", "Acme")]);
    let (sid, uri) = enrolled(&server, &va);
    let (_, challenge) = server.call("POST", &challenges(&va), &[("FactorSid", &sid)]);
    let yc = challenge["sid"].as_str().unwrap().to_string();
    let (status, _) = server.call("POST", "/watchword/v1/test-clock", &[("Offset", "301")]);
    assert_eq!(status, 204);
    let (_, read) = server.call("GET", &format!("{}/{yc}", challenges(&va)), &[]);
    assert_eq!(read["status"], "expired");
    let later = code(&uri, now() + 301);
    let (status, error) = server.call("POST", &format!("{}/{yc}", challenges(&va)), &[("AuthPayload", &later)]);
    assert_eq!((status, error["code"].as_i64()), (403, Some(60323)), "{error}");
    // Back in time, it is still expired (stored so).
    server.call("POST", "/watchword/v1/test-clock", &[("Offset", "0")]);
    let (_, read) = server.call("GET", &format!("{}/{yc}", challenges(&va)), &[]);
    assert_eq!(read["status"], "expired");
}

#[test]
fn reseal_moves_every_record_to_the_active_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:///{}", dir.path().join("rotate.db").display());
    let (k1, k2) = (format!("\"k1\": \"{}=\"", "Q".repeat(43)), format!("\"k2\": \"{}=\"", "g".repeat(43)));
    let one = format!("{{{k1}}}");
    let both = format!("{{{k1}, {k2}}}");
    let only_new = format!("{{{k2}}}");
    let okta = ("WATCHWORD_OKTA_API_TOKEN", "00okta-api-token-0123456789abcdef");
    let server =
        Server::start(&store, &[], &[("WATCHWORD_SECRET_KEYS", &one), ("WATCHWORD_ACTIVE_SECRET_KEY", "k1"), okta]);
    let va = server.create_service(&[("FriendlyName", "Acme")]);
    let (_, factor) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    let sid = factor["sid"].as_str().unwrap().to_string();
    assert!(server.stop().success());

    let server =
        Server::start(&store, &[], &[("WATCHWORD_SECRET_KEYS", &both), ("WATCHWORD_ACTIVE_SECRET_KEY", "k2"), okta]);
    let (status, error) = server.call("POST", "/watchword/v1/Reseal", &[("Everything", "yes")]);
    assert_eq!(status, 400, "{error}");
    let (status, resealed) = server.raw("POST", "/watchword/v1/Reseal", &[], vec![]);
    assert_eq!(status, 200, "{resealed}");
    // The service definition, the entity, the factor.
    assert_eq!(resealed["resealed"], 3, "{resealed}");
    let (_, again) = server.raw("POST", "/watchword/v1/Reseal", &[], vec![]);
    assert_eq!(again["resealed"], 0);
    assert!(server.stop().success());

    let server =
        Server::start(&store, &[], &[("WATCHWORD_SECRET_KEYS", &only_new), ("WATCHWORD_ACTIVE_SECRET_KEY", "k2")]);
    let (status, fetched) = server.call("GET", &format!("{}/{sid}", factors(&va)), &[]);
    assert_eq!((status, fetched["friendly_name"].as_str()), (200, Some("phone")), "{fetched}");
}

#[test]
fn repeated_failed_authentication_backs_off() {
    let server = Server::start("memory:", &[], &[]);
    for _ in 0..10 {
        let (status, _) = server.request("GET", "/v2/Services", &[], Some((ACCOUNT_SID, "guess-0000000000000")));
        assert_eq!(status, 401);
    }
    // Now even the right credentials wait (the guesser cannot tell a right guess).
    let (status, error) = server.call("GET", "/v2/Services", &[]);
    assert_eq!((status, error["code"].as_i64()), (429, Some(20429)), "{error}");
    let (status, _) = server.request("GET", "/healthz", &[], None);
    assert_eq!(status, 200);
}

#[test]
fn metrics_count_requests_and_results_without_identities() {
    let server = Server::start("memory:", &[], &[]);
    let va = server.create_service(&[("FriendlyName", "Acme")]);
    let (_, factor) = server.call("POST", &factors(&va), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    let sid = factor["sid"].as_str().unwrap();
    let (_, _) = server.call("POST", &format!("{}/{sid}", factors(&va)), &[("AuthPayload", "000001")]);
    let (status, _) = server.request("GET", "/v2/Services", &[], None);
    assert_eq!(status, 401);
    let (status, text) = server.request("GET", "/metrics", &[], None);
    assert_eq!(status, 200);
    let text = text.as_str().unwrap();
    assert!(
        text.contains(r#"watchword_verification_results_total{operation="verify_factor",result="invalid_code"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/v2/Services/{va}/Entities/{identity}/Factors",status="201"} 1"#), "{text}");
    assert!(text.contains(r#"watchword_errors_total{kind="authentication_failed"} 1"#), "{text}");
    assert!(text.contains("watchword_http_request_duration_seconds_bucket"));
    for private in [va.as_str(), IDENTITY, sid, ACCOUNT_SID, AUTH_TOKEN] {
        assert!(!text.contains(private), "{private} in the metrics");
    }
}

fn basic() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
}

#[test]
fn a_slow_client_is_cut_off_after_the_header_timeout() {
    use std::io::{Read, Write};
    let server = Server::start("memory:", &["--header-timeout", "1"], &[]);
    let mut stream = server.connect();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(5), "the connection stayed open {waited:?}");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");
    // The server still serves others.
    let (status, _) = server.request("GET", "/healthz", &[], None);
    assert_eq!(status, 200);
}

#[test]
fn a_request_whose_body_does_not_arrive_is_answered_408_after_the_request_timeout() {
    use std::io::{Read, Write};
    let server = Server::start("memory:", &["--request-timeout", "1"], &[]);
    let mut stream = server.connect();
    let head = format!(
        "POST /v2/Services HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nFriendlyName=",
        basic()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = std::time::Instant::now();
    let mut answer = [0u8; 64];
    let n = stream.read(&mut answer).unwrap_or(0);
    let waited = started.elapsed();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        waited >= std::time::Duration::from_millis(900) && waited < std::time::Duration::from_secs(5),
        "{waited:?}"
    );
    // Nothing was created, and requests answered at once are not held to the timer.
    let (status, listed) = server.call("GET", "/v2/Services", &[]);
    assert_eq!(status, 200);
    assert_eq!(listed["services"].as_array().map(Vec::len), Some(0), "{listed}");
}

#[test]
fn each_request_is_logged_by_its_route_template_and_no_value_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let file = std::fs::File::create(&log).unwrap();
    let server = Server::start_logging("memory:", &[], &[("WATCHWORD_LOG", "watchword::requests=debug")], file.into());
    let (_, service) = server.call("POST", "/v2/Services", &[("FriendlyName", "Logged")]);
    let va = service["sid"].as_str().unwrap().to_string();
    let base = format!("/v2/Services/{va}/Entities/{IDENTITY}");
    let (status, factor) =
        server.call("POST", &format!("{base}/Factors"), &[("FriendlyName", "phone"), ("FactorType", "totp")]);
    assert_eq!(status, 201, "{factor}");
    let secret = factor["binding"]["secret"].as_str().unwrap().to_string();
    let sid = factor["sid"].as_str().unwrap().to_string();
    let (status, _) = server.call("POST", &format!("{base}/Factors/{sid}"), &[("AuthPayload", "000000")]);
    assert_eq!(status, 200);
    assert_eq!(server.request("GET", &format!("/v2/Services/{va}"), &[], None).0, 401);
    assert_eq!(server.stop().code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("watchword::requests")).collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (line, (route, status)) in lines.iter().zip([
        ("/v2/Services", "201"),
        ("/v2/Services/{va}/Entities/{identity}/Factors", "201"),
        ("/v2/Services/{va}/Entities/{identity}/Factors/{sid}", "200"),
        ("/v2/Services/{va}", "401"),
    ]) {
        assert!(line.contains(&format!("route=\"{route}\"")) || line.contains(&format!("route={route} ")), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
    }
    for private in [va.as_str(), IDENTITY, &sid, &secret, "000000", "Logged", "phone", ACCOUNT_SID, AUTH_TOKEN] {
        assert!(!text.contains(private), "{private} in the log: {text}");
    }
}

#[test]
fn shutdown_finishes_the_request_in_flight() {
    use std::io::{Read, Write};
    let server = Server::start("memory:", &[], &[]);
    let mut stream = server.connect();
    let body = "FriendlyName=Acme";
    let head = format!(
        "POST /v2/Services HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        basic(),
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..5]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = server.pid();
    let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    std::thread::sleep(std::time::Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[5..]).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(server.wait().success(), "the server exits cleanly after the request");
}

#[test]
fn malformed_paths_get_json_errors() {
    let server = Server::start("memory:", &[], &[("WATCHWORD_OKTA_API_TOKEN", "00okta-api-token-0123456789abcdef")]);
    let va = server.create_service(&[("FriendlyName", "Acme")]);
    let (status, error) = server.call("GET", &format!("/v2/Services/{va}/Entities/%FF%FE"), &[]);
    assert_eq!((status, error["code"].as_i64()), (400, Some(60306)), "{error}");
    let (status, error) = server.raw(
        "GET",
        "/api/v1/users/%FF%FE/factors",
        &[("Authorization", "SSWS 00okta-api-token-0123456789abcdef")],
        vec![],
    );
    assert_eq!((status, error["errorCode"].as_str()), (400, Some("E0000001")), "{error}");
}
