//! The Okta Factors API (TOTP) over a real listening server: enroll, activate, verify, get,
//! list, delete, the catalog, and Okta's errors; the curl requests of Okta's Factors API reference, but for the host.

mod common;

use common::{code, now, Server};
use serde_json::{json, Value};

const TOKEN: &str = "00okta-api-token-0123456789abcdef";
const USER: &str = "00u15s1KDETTQMQYABRL";

fn okta(server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let auth = format!("SSWS {TOKEN}");
    let mut headers = vec![("Authorization", auth.as_str()), ("Accept", "application/json")];
    headers.push(("Content-Type", "application/json"));
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    server.raw(method, path, &headers, bytes)
}

fn start() -> Server {
    Server::start("memory:", &[], &[("WATCHWORD_OKTA_API_TOKEN", TOKEN)])
}

#[test]
fn enroll_activate_verify() {
    let server = start();
    let factors = format!("/api/v1/users/{USER}/factors");
    let (status, enrolled) =
        okta(&server, "POST", &factors, Some(json!({"factorType": "token:software:totp", "provider": "OKTA"})));
    assert_eq!(status, 200, "{enrolled}");
    assert_eq!(enrolled["status"], "PENDING_ACTIVATION");
    assert_eq!(enrolled["factorType"], "token:software:totp");
    assert_eq!(enrolled["provider"], "OKTA");
    let activation = &enrolled["_embedded"]["activation"];
    assert_eq!((activation["timeStep"].as_u64(), activation["keyLength"].as_u64()), (Some(30), Some(6)));
    assert_eq!(activation["encoding"], "base32");
    assert!(activation["_links"]["qrcode"]["href"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
    let secret = activation["sharedSecret"].as_str().unwrap().to_string();
    let uri = format!("otpauth://totp/watchword:x?secret={secret}&issuer=watchword");
    let fid = enrolled["id"].as_str().unwrap().to_string();
    let factor_url = format!("{factors}/{fid}");
    assert_eq!(enrolled["_links"]["activate"]["href"], format!("{}{factor_url}/lifecycle/activate", server.base));
    assert!(enrolled["created"].as_str().unwrap().ends_with(".000Z"));

    // The secret is shown at enrollment only.
    let (status, fetched) = okta(&server, "GET", &factor_url, None);
    assert_eq!((status, fetched["status"].as_str()), (200, Some("PENDING_ACTIVATION")));
    assert!(!fetched.to_string().contains(&secret));

    // Verify is not offered before activation.
    let t = now();
    let (status, _) = okta(&server, "POST", &format!("{factor_url}/verify"), Some(json!({"passCode": code(&uri, t)})));
    assert_eq!(status, 403);

    // Activation: a wrong code is 403 E0000068; the right one activates.
    let activate = format!("{factor_url}/lifecycle/activate");
    let wrong = if code(&uri, t) == "000000" { "111111" } else { "000000" };
    let (status, error) = okta(&server, "POST", &activate, Some(json!({"passCode": wrong})));
    assert_eq!((status, error["errorCode"].as_str()), (403, Some("E0000068")), "{error}");
    assert_eq!(error["errorSummary"], "Invalid Passcode/Answer");
    assert_eq!(error["errorLink"], "E0000068");
    assert!(error["errorId"].as_str().unwrap().len() > 10);
    assert_eq!(error["errorCauses"][0]["errorSummary"], "Your passcode doesn't match our records. Please try again.");
    let (status, active) = okta(&server, "POST", &activate, Some(json!({"passCode": code(&uri, t)})));
    assert_eq!((status, active["status"].as_str()), (200, Some("ACTIVE")), "{active}");
    assert!(active["_links"]["verify"]["href"].as_str().unwrap().ends_with("/verify"));
    assert!(active.get("_embedded").is_none());
    let (status, error) = okta(&server, "POST", &activate, Some(json!({"passCode": code(&uri, t + 30)})));
    assert_eq!((status, error["errorCode"].as_str()), (403, Some("E0000154")), "{error}");

    // Verify: SUCCESS, then the same code is E0000082, a wrong one E0000068, a code two steps
    // ahead E0000083.
    let verify = format!("{factor_url}/verify");
    let next = code(&uri, t + 30);
    let (status, result) = okta(&server, "POST", &verify, Some(json!({"passCode": next})));
    assert_eq!((status, result), (200, json!({"factorResult": "SUCCESS"})));
    let (status, error) = okta(&server, "POST", &verify, Some(json!({"passCode": next})));
    assert_eq!((status, error["errorCode"].as_str()), (403, Some("E0000082")), "{error}");
    let (status, error) = okta(&server, "POST", &verify, Some(json!({"passCode": "12345"})));
    assert_eq!((status, error["errorCode"].as_str()), (403, Some("E0000068")), "{error}");
    let ahead = code(&uri, t + 90);
    if ahead != next {
        let (status, error) = okta(&server, "POST", &verify, Some(json!({"passCode": ahead})));
        assert_eq!((status, error["errorCode"].as_str()), (403, Some("E0000083")), "{error}");
    }

    // List, catalog, delete.
    let (status, list) = okta(&server, "GET", &factors, None);
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["status"], "ACTIVE");
    let (status, catalog) = okta(&server, "GET", &format!("{factors}/catalog"), None);
    assert_eq!(status, 200);
    let providers: Vec<&str> = catalog.as_array().unwrap().iter().map(|f| f["provider"].as_str().unwrap()).collect();
    assert_eq!(providers, ["OKTA", "GOOGLE"]);
    let (status, _) = okta(&server, "DELETE", &factor_url, None);
    assert_eq!(status, 204);
    let (status, error) = okta(&server, "GET", &factor_url, None);
    assert_eq!((status, error["errorCode"].as_str()), (404, Some("E0000007")));
    let (_, list) = okta(&server, "GET", &factors, None);
    assert_eq!(list, json!([]));
}

#[test]
fn google_enrollment_keeps_its_provider() {
    let server = start();
    let factors = format!("/api/v1/users/{USER}/factors");
    let body = json!({"factorType": "token:software:totp", "provider": "GOOGLE", "profile": {"credentialId": "dade.murphy@example.com"}});
    let (status, enrolled) = okta(&server, "POST", &factors, Some(body));
    assert_eq!(status, 200, "{enrolled}");
    assert_eq!(enrolled["provider"], "GOOGLE");
    assert_eq!(enrolled["profile"]["credentialId"], "dade.murphy@example.com");
    let (_, fetched) = okta(&server, "GET", &format!("{factors}/{}", enrolled["id"].as_str().unwrap()), None);
    assert_eq!(fetched["provider"], "GOOGLE");
}

#[test]
fn okta_bad_requests() {
    let server = start();
    let factors = format!("/api/v1/users/{USER}/factors");
    // Credentials: none, wrong token, the Twilio credentials; the Okta token on the Twilio API.
    let (status, error) = server.raw("GET", &factors, &[("Authorization", "SSWS wrong-token-0123456789")], vec![]);
    assert_eq!((status, error["errorCode"].as_str()), (401, Some("E0000011")));
    let (status, error) = server.request("GET", &factors, &[], None);
    assert_eq!((status, error["errorCode"].as_str()), (401, Some("E0000011")));
    let (status, _) = server.call("GET", &factors, &[]);
    assert_eq!(status, 401);
    let (status, _) = server.raw("GET", "/v2/Services", &[("Authorization", &format!("SSWS {TOKEN}"))], vec![]);
    assert_eq!(status, 401);
    // Malformed bodies, wrong content type, unsupported factor types, invalid user ids.
    let auth = format!("SSWS {TOKEN}");
    let (status, error) = server.raw(
        "POST",
        &factors,
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        b"{nope".to_vec(),
    );
    assert_eq!((status, error["errorCode"].as_str()), (400, Some("E0000001")), "{error}");
    let (status, error) = server.raw(
        "POST",
        &factors,
        &[("Authorization", &auth), ("Content-Type", "application/x-www-form-urlencoded")],
        b"factorType=token:software:totp".to_vec(),
    );
    assert_eq!((status, error["errorCode"].as_str()), (400, Some("E0000001")), "{error}");
    let (status, _) = okta(&server, "POST", &factors, Some(json!({"factorType": "sms", "provider": "OKTA"})));
    assert_eq!(status, 400);
    let (status, _) =
        okta(&server, "POST", &factors, Some(json!({"factorType": "token:software:totp", "provider": "RSA"})));
    assert_eq!(status, 400);
    let (status, _) = okta(
        &server,
        "POST",
        "/api/v1/users/short/factors",
        Some(json!({"factorType": "token:software:totp", "provider": "OKTA"})),
    );
    assert_eq!(status, 400);
    let (status, _) =
        okta(&server, "POST", &format!("{factors}/YF00000000000000000000000000000000/verify"), Some(json!({})));
    assert_eq!(status, 400, "passCode is required");
    let big = json!({"factorType": "token:software:totp", "provider": "OKTA", "pad": "x".repeat(70_000)});
    let (status, error) = okta(&server, "POST", &factors, Some(big));
    assert_eq!((status, error["error"].as_str()), (413, Some("request_too_large")), "{error}");
    // Unknown Okta paths answer Okta's JSON.
    let (status, error) = okta(&server, "GET", &format!("/api/v1/users/{USER}"), None);
    assert_eq!((status, error["errorCode"].as_str()), (404, Some("E0000007")), "{error}");
    // Nothing was written.
    let (status, list) = okta(&server, "GET", &factors, None);
    assert_eq!((status, list), (200, json!([])));
}

#[test]
fn the_okta_api_is_off_without_a_token() {
    let server = Server::start("memory:", &[], &[]);
    let (status, error) = server.raw(
        "GET",
        &format!("/api/v1/users/{USER}/factors"),
        &[("Authorization", "SSWS anything-at-all-0000")],
        vec![],
    );
    assert_eq!((status, error["errorCode"].as_str()), (401, Some("E0000011")));
}

#[test]
fn repeated_failed_okta_authentication_backs_off() {
    let server = start();
    let factors = format!("/api/v1/users/{USER}/factors");
    for _ in 0..10 {
        let (status, _) = server.raw("GET", &factors, &[("Authorization", "SSWS guess-00000000000000")], vec![]);
        assert_eq!(status, 401);
    }
    let (status, error) = okta(&server, "GET", &factors, None);
    assert_eq!((status, error["errorCode"].as_str()), (429, Some("E0000047")), "{error}");
}
