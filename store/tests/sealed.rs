//! Sealed records (SPEC §10) in the durable stores: the scenarios and the replay race pass
//! unchanged with a key ring, and the raw files of a fresh SQLite or PostgreSQL database,
//! read by another process, hold no secret, friendly name, metadata or counter.

mod pg;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use postgres::NoTls;
use watchword_core::service::{NewChallenge, NewFactor, ServiceConfig, Store, Verify};
use watchword_store::{conformance, open, AnyStore};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const NAME: &str = "Ada-s-sealed-phone";
const META: &str = "metadata-value-Plan9";
const T0: u64 = 1_700_000_010;

fn sealed_config(url: &str) -> ServiceConfig {
    let mut settings = conformance::test_key_ring();
    settings.insert("issuer".into(), "Acme".into());
    settings.insert("store".into(), url.into());
    settings.insert("lockout_threshold".into(), 100.into());
    ServiceConfig::from_map(&settings).unwrap()
}

fn scenarios_sealed<S: Store>(driver: conformance::Driver, store: impl Fn() -> S) {
    let (files, steps) =
        conformance::scenarios_with(driver, &conformance::scenario_dir(), store, &conformance::test_key_ring())
            .unwrap_or_else(|failures| panic!("{} failure(s):\n{}", failures.len(), failures.join("\n")));
    assert!(files > 10 && steps > 100, "{files} scenarios, {steps} steps");
}

// The memory store keeps records typed: run by `Verify`, every export is sealed afresh with a
// new nonce (so the scenarios that compare two exports of one state do not apply), and it takes
// no sealed records from steps. The SQLite and PostgreSQL runs below cover steps: there the
// store is given sealed records, as a host's own store is.

#[test]
fn the_scenarios_and_the_race_pass_sealed_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("sealed.db").display());
    scenarios_sealed(conformance::Driver::Verify, || open(&url).unwrap());
    scenarios_sealed(conformance::Driver::Steps, || open(&url).unwrap());
    let verifiers: Vec<_> = (0..4).map(|_| watchword_store::service(sealed_config(&url)).unwrap()).collect();
    conformance::one_approval_per_code(&verifiers, 8, 10).unwrap();
}

#[test]
fn the_scenarios_and_the_race_pass_sealed_on_postgres() {
    let Some(url) = pg::url() else { return };
    let store = Arc::new(open(&url).unwrap());
    scenarios_sealed(conformance::Driver::Verify, || Arc::clone(&store));
    scenarios_sealed(conformance::Driver::Steps, || Arc::clone(&store));
    let mut config = sealed_config(&url);
    config.service = format!("sealed-race-{}", pg::random_hex());
    let verifiers: Vec<_> = (0..4).map(|_| Verify::new(config.clone(), open(&url).unwrap())).collect();
    conformance::one_approval_per_code(&verifiers, 8, 10).unwrap();
}

/// Creates and uses factors: enrolment, right and wrong answers, metadata, a rename.
fn use_factors(verify: &Verify<AnyStore>) {
    for i in 0..3 {
        let identity = format!("user-{i:04}-sealed");
        let mut request = NewFactor::new(NAME).secret(SECRET);
        request.metadata = Some(BTreeMap::from([("device".to_string(), META.to_string())]));
        let created = verify.create_factor(&identity, request, T0).unwrap();
        let sid = created.factor.sid.to_string();
        let code = |t| {
            watchword_core::Totp::new(b"12345678901234567890", watchword_core::Algorithm::Sha1, 6, 30)
                .unwrap()
                .generate(t)
                .unwrap()
                .to_string()
        };
        assert!(verify.verify_factor(&identity, &sid, &code(T0), T0).unwrap().1.approved());
        for k in 1..4 {
            let t = T0 + 30 * k;
            let wrong = NewChallenge::new(&sid).auth_payload("000000");
            assert!(!verify.create_challenge(&identity, wrong, t).unwrap().1.unwrap().approved());
            let right = NewChallenge::new(&sid).auth_payload(&code(t));
            assert!(verify.create_challenge(&identity, right, t).unwrap().1.unwrap().approved());
        }
        let factor = verify.fetch_factor(&identity, &sid).unwrap();
        assert_eq!((factor.friendly_name.as_str(), factor.metadata.unwrap()["device"].as_str()), (NAME, META));
    }
}

/// The bytes of `files`, as another process (`cat`) reads them.
fn read_by_another_process(files: &[std::path::PathBuf]) -> Vec<u8> {
    assert!(!files.is_empty());
    let out = Command::new("cat").args(files).output().expect("cat");
    assert!(out.status.success());
    out.stdout
}

fn assert_reveals_nothing(bytes: &[u8], what: &str) {
    let secret = watchword_core::base32::decode(SECRET).unwrap();
    let text = String::from_utf8_lossy(bytes);
    for hidden in [SECRET, NAME, META, "friendly_name", "consecutive_failures", "last_used_step", "failed_attempts"] {
        assert!(!text.contains(hidden), "{what} holds {hidden}");
    }
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_slice()), "{what} holds the secret's bytes");
    assert!(text.contains("\"kid\":\"test-2\""), "{what} holds sealed records");
}

#[test]
fn a_fresh_sqlite_file_of_sealed_records_reveals_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let url = format!("sqlite:///{}", path.display());
    let verify = watchword_store::service(sealed_config(&url)).unwrap();
    use_factors(&verify);
    // The database file with its write-ahead log, while the service still has it open.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_reveals_nothing(&read_by_another_process(&files), "the SQLite files");
    drop(verify);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_reveals_nothing(&read_by_another_process(&files), "the closed SQLite files");
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_fresh_postgres_database_of_sealed_records_reveals_nothing() {
    let (Some(url), Some(data)) = (pg::url(), pg::data()) else { return };
    let name = format!("sealed_{}", pg::random_hex());
    let mut admin = postgres::Client::connect(&url, NoTls).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, query) = url.split_once('?').unwrap();
    let fresh = format!("{}/{name}?{query}", &base[..base.rfind('/').unwrap()]);
    let verify = watchword_store::service(sealed_config(&fresh)).unwrap();
    use_factors(&verify);
    // The table's pages on disk, also its dead rows (every change left one).
    admin.batch_execute("CHECKPOINT").unwrap();
    let oid: postgres::types::Oid =
        admin.query_one("SELECT oid FROM pg_database WHERE datname = $1", &[&name]).unwrap().get(0);
    let files = files_under(&Path::new(&data).join("base").join(oid.to_string()));
    assert_reveals_nothing(&read_by_another_process(&files), "the PostgreSQL database's files");
    drop(verify);
    let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
}
