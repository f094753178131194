//! Two server processes on one store (SQLite; PostgreSQL when WATCHWORD_TEST_PG_URL is set):
//! 16 concurrent clients present the same code, and exactly one is approved.

mod common;

use common::{code, now, stores, Server, IDENTITY};

#[test]
fn one_code_is_approved_once_across_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    for store in stores(dir.path()).into_iter().filter(|s| s != "memory:") {
        let first = Server::start(&store, &[], &[]);
        let second = Server::start(&store, &[], &[]);
        let va = first.create_service(&[("FriendlyName", "Acme")]);
        let factors = format!("/v2/Services/{va}/Entities/{IDENTITY}/Factors");
        let challenges = format!("/v2/Services/{va}/Entities/{IDENTITY}/Challenges");
        let (_, factor) = first.call("POST", &factors, &[("FriendlyName", "phone"), ("FactorType", "totp")]);
        let sid = factor["sid"].as_str().unwrap().to_string();
        let uri = factor["binding"]["uri"].as_str().unwrap().to_string();
        let (_, verified) = second.call("POST", &format!("{factors}/{sid}"), &[("AuthPayload", &code(&uri, now()))]);
        assert_eq!(verified["status"], "verified", "the second process sees the first one's factor");

        let next = code(&uri, now() + 30);
        let results: Vec<(u16, String, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16)
                .map(|i| {
                    let server = if i % 2 == 0 { &first } else { &second };
                    let (challenges, sid, next) = (&challenges, &sid, &next);
                    scope.spawn(move || {
                        let (status, c) = server.call("POST", challenges, &[("FactorSid", sid), ("AuthPayload", next)]);
                        (
                            status,
                            c["status"].as_str().unwrap_or("").to_string(),
                            c["result"].as_str().or(c["error"].as_str()).unwrap_or("").to_string(),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let approved = results.iter().filter(|(_, status, _)| status == "approved").count();
        assert_eq!(approved, 1, "{store}: {results:?}");
        // The others are told the code was used (or, after ten failures in a row, that the
        // factor is locked: every non-approved answer counts as a failure).
        for (status, challenge, result) in &results {
            let fine = (*status == 201 && (challenge == "approved" || result == "replayed"))
                || (*status == 429 && result == "factor_locked");
            assert!(fine, "{results:?}");
        }
        assert!(first.stop().success());
        assert!(second.stop().success());
    }
}
