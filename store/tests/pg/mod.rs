//! What the PostgreSQL tests share: the server `mk/with-postgres.sh` started, and URLs for it.

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use watchword_core::service::{NewFactor, ServiceConfig, Sid, VerificationResult, Verify};
use watchword_core::{Error, Totp};
use watchword_store::AnyStore;

pub const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// An environment variable the throwaway server sets.
fn env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var("WATCHWORD_TEST_PG").as_deref() == Ok("skip") => {
            eprintln!("WATCHWORD_TEST_PG=skip: the PostgreSQL tests are skipped");
            None
        }
        _ => panic!(
            "{name} is not set: run the PostgreSQL tests through `make store-test` (or \
             `bash mk/with-postgres.sh cargo test -p watchword-store`), which starts a throwaway server; \
             set WATCHWORD_TEST_PG=skip to skip them on purpose"
        ),
    }
}

/// The test server's URL (`…?sslmode=disable`), or `None` when the tests are skipped on purpose.
pub fn url() -> Option<String> {
    env("WATCHWORD_TEST_PG_URL")
}

/// The CA certificate that signed the test server's certificate.
pub fn ca() -> Option<String> {
    env("WATCHWORD_TEST_PG_CA")
}

/// The test server's data directory.
pub fn data() -> Option<String> {
    env("WATCHWORD_TEST_PG_DATA")
}

/// The command that stops and starts the test server.
pub fn ctl() -> Option<String> {
    env("WATCHWORD_TEST_PG_CTL")
}

/// The password in `url`, to check that no message repeats it.
pub fn password(url: &str) -> String {
    let authority = url.split("//").nth(1).and_then(|rest| rest.split('@').next()).unwrap_or("");
    authority.split_once(':').map(|(_, p)| p.to_string()).unwrap_or_default()
}

/// `url` with `sslmode=disable` replaced by `params` (`&`-joined query parameters).
pub fn with(url: &str, params: &str) -> String {
    url.replace("sslmode=disable", params)
}

/// `url` with the host 127.0.0.1 replaced by `host`.
pub fn with_host(url: &str, host: &str) -> String {
    url.replace("@127.0.0.1:", &format!("@{host}:"))
}

/// A short random hex string, for names no earlier run used.
pub fn random_hex() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 6];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1_700_000_000)
}

pub fn code_at(t: u64) -> String {
    Totp::new(b"12345678901234567890", watchword_core::Algorithm::Sha1, 6, 30).unwrap().generate(t).unwrap().to_string()
}

/// A service in a namespace of its own over `store`, whose lockout does not trip within a
/// round of 16 replays.
pub fn service(store: AnyStore, label: &str) -> Verify<AnyStore> {
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.set("lockout_threshold", 100).unwrap();
    config.set("recovery_code_iterations", 1000).unwrap();
    config.service = format!("{label}-{}", random_hex());
    Verify::new(config, store)
}

/// A verified factor for a fresh identity; returns its sid.
pub fn verified_factor(verify: &Verify<AnyStore>, identity: &str, now: u64) -> Result<Sid, Error> {
    let created = verify.create_factor(identity, NewFactor::new("phone").secret(SECRET), now)?;
    let (_, v) = verify.verify_factor(identity, &created.factor.sid, &code_at(now), now)?;
    assert_eq!(v.result, VerificationResult::Approved);
    Ok(created.factor.sid)
}

/// Asserts that `e` is a `storage` error (HTTP 500) whose message holds `needle` and not the
/// password; returns the message.
pub fn assert_storage(e: &Error, needle: &str, secret: &str) -> String {
    let message = e.to_string();
    assert_eq!(e.kind().as_str(), "storage", "{message}");
    assert_eq!(e.kind().http_status(), 500, "{message}");
    assert!(message.contains(needle), "expected {needle:?} in: {message}");
    assert!(secret.is_empty() || !message.contains(secret), "the message holds the password: {message}");
    assert!(!message.contains("postgresql://"), "the message holds the URL: {message}");
    message
}
