//! The SQLite store beyond the conformance suite: bad paths, file mode, races between
//! threads, persistence across reopening, and a writer killed at random moments.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use watchword_core::service::{
    Key, NewChallenge, NewFactor, Record, ServiceConfig, Sid, Store, VerificationResult, Verify,
};
use watchword_core::{Algorithm, ErrorKind, Totp};
use watchword_store::AnyStore;

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn url(path: &Path) -> String {
    format!("sqlite:///{}", path.display())
}

fn code_at(t: u64) -> String {
    Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap().generate(t).unwrap().to_string()
}

fn service(url: &str) -> Verify<AnyStore> {
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.set("lockout_threshold", 100).unwrap();
    config.set("recovery_code_iterations", 1000).unwrap();
    config.store = url.to_string();
    watchword_store::service(config).unwrap()
}

fn verified_factor(verify: &Verify<AnyStore>, identity: &str, now: u64) -> Sid {
    let created = verify.create_factor(identity, NewFactor::new("phone").secret(SECRET), now).unwrap();
    let (_, v) = verify.verify_factor(identity, &created.factor.sid, &code_at(now), now).unwrap();
    assert_eq!(v.result, VerificationResult::Approved);
    created.factor.sid
}

#[test]
fn bad_paths_are_clear_storage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str)> =
        vec![(url(dir.path()), "is a directory"), (url(&dir.path().join("missing/ww.db")), "directory does not exist")];
    for (url, says) in cases {
        let err = watchword_store::open(&url).err().expect("must fail");
        assert_eq!((err.kind(), err.http_status()), (ErrorKind::Storage, 500), "{url}");
        assert!(err.to_string().contains(says), "{url}: {err}");
        assert!(!err.to_string().contains(&dir.path().display().to_string()), "{err} names the path");
    }
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 8192]).unwrap();
    let err = watchword_store::open(&url(&junk)).err().expect("junk must fail");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
}

#[test]
fn a_read_only_file_is_refused_unless_the_user_may_write_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ww.db");
    let verify = service(&url(&path));
    verify.create_entity("user-0001-abcd", 1_700_000_000).unwrap();
    drop(verify);
    // Root may write a read-only file, so the outcome depends on who runs the test: a user
    // who may not write gets a storage error that says so; root gets a working store.
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let running_as_root = std::fs::OpenOptions::new().write(true).open(&path).is_ok();
    match watchword_store::open(&url(&path)) {
        Err(err) => {
            assert!(!running_as_root);
            assert_eq!(err.kind(), ErrorKind::Storage);
            assert!(err.to_string().contains("read-only") || err.to_string().contains("permission"), "{err}");
        }
        Ok(store) => {
            assert!(running_as_root, "a read-only file opened for writing");
            let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), store);
            assert!(verify.fetch_entity("user-0001-abcd").is_ok());
        }
    }
}

#[cfg(unix)]
#[test]
fn the_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ww.db");
    watchword_store::open(&url(&path)).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn threads_sharing_a_database_approve_a_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir.path().join("ww.db"));
    // Each thread opens its own store, as separate processes would.
    let services: Vec<Verify<AnyStore>> = (0..8).map(|_| service(&url)).collect();
    watchword_store::conformance::one_approval_per_code(&services, 8, 50).unwrap();
}

#[test]
fn sixteen_threads_sharing_a_database_redeem_a_recovery_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir.path().join("ww.db"));
    let services: Vec<Verify<AnyStore>> = (0..16).map(|_| service(&url)).collect();
    watchword_store::conformance::one_approval_per_recovery_code(&services, 16, 20).unwrap();
}

#[test]
fn a_reopened_database_has_everything() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir.path().join("ww.db"));
    let t = 1_700_000_000;
    let created = {
        let verify = service(&url);
        verify.create_factor("user-0001-abcd", NewFactor::new("phone").secret(SECRET), t).unwrap()
    };
    let verify = service(&url);
    let (factor, v) = verify.verify_factor("user-0001-abcd", &created.factor.sid, &code_at(t), t).unwrap();
    assert_eq!((v.result, factor.version), (VerificationResult::Approved, 2));
    assert_eq!(verify.list_factors("user-0001-abcd", &Default::default()).unwrap().items.len(), 1);
}

/// The writer half of the crash test: creates challenges answered with the right code and
/// prints `approved <challenge sid>` once each is committed, until it is killed.
fn writer(url: &str, first_round: u64) {
    let verify = service(url);
    let mut out = std::io::stdout().lock();
    for round in first_round.. {
        let identity = format!("user-{round:08}");
        let t = 1_700_000_010 + round * 30;
        let sid = verified_factor(&verify, &identity, t);
        let now = t + 30;
        let request = NewChallenge::new(&sid).auth_payload(&code_at(now));
        let (challenge, v) = verify.create_challenge(&identity, request, now).unwrap();
        assert_eq!(v.unwrap().result, VerificationResult::Approved);
        writeln!(out, "approved {identity} {}", challenge.sid).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn crash_writer() {
    // Run only as the child of `a_writer_killed_at_random_moments_loses_nothing_it_reported`.
    if let (Ok(url), Ok(first)) = (std::env::var("WW_CRASH_URL"), std::env::var("WW_CRASH_FIRST")) {
        writer(&url, first.parse().unwrap());
    }
}

fn spawn_writer(url: &str, first_round: u64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_writer", "--nocapture", "--test-threads=1"])
        .env("WW_CRASH_URL", url)
        .env("WW_CRASH_FIRST", first_round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_writer_killed_at_random_moments_loses_nothing_it_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("ww.db");
    let url = url(&path);
    watchword_store::open(&url).unwrap();
    let mut reported: Vec<(String, String)> = Vec::new();
    let mut operations = 0;
    let mut kills = 0u64;
    // Each round of the writer is 4 commits (entity+factor, verify, challenge); kill it at
    // random points until at least 1,000 operations ran.
    while operations < 1000 {
        let mut child = spawn_writer(&url, 1_000 * kills);
        let stdout = child.stdout.take().unwrap();
        let mut seed = [0u8; 2];
        getrandom(&mut seed);
        let stop_after = 5 + usize::from(u16::from_le_bytes(seed) % 60);
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        while seen < stop_after {
            match lines.next() {
                Some(Ok(line)) if line.starts_with("approved ") => {
                    let mut parts = line.split(' ').skip(1);
                    reported.push((parts.next().unwrap().to_string(), parts.next().unwrap().to_string()));
                    seen += 1;
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        // Let it get into the middle of its next commits, then SIGKILL.
        std::thread::sleep(Duration::from_micros(u64::from(seed[0]) * 20));
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines it wrote before dying that we had not read yet are reports too.
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("approved ") {
                let mut parts = rest.split(' ');
                reported.push((parts.next().unwrap().to_string(), parts.next().unwrap().to_string()));
                seen += 1;
            }
        }
        operations += 3 * seen;
        kills += 1;
    }
    // Every approval it reported is stored, approved; the file is sound and opens again.
    let verify = service(&url);
    for (identity, sid) in &reported {
        let challenge = verify.fetch_challenge(identity, sid).unwrap();
        assert_eq!(challenge.status.as_str(), "approved");
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    // Nothing half-written: every factor row is readable, and each entity has its factor.
    let store = watchword_store::open(&url).unwrap();
    let entities = store.scan("default", watchword_core::service::Kind::Entity, None, usize::MAX).unwrap();
    for e in &entities {
        let factors = store.list("default", e.identity(), watchword_core::service::Kind::Factor, None, 10).unwrap();
        assert_eq!(factors.len(), 1, "entity {} has its factor", e.identity());
        let Record::Factor(f) = &factors[0] else { panic!() };
        assert!(matches!(store.get("default", &Key::Factor(f.sid)).unwrap(), Some(Record::Factor(_))));
    }
    assert!(reported.len() >= 300, "only {} approvals reported", reported.len());
    println!("{kills} kills, {operations} operations, {} approvals checked", reported.len());
}

fn getrandom(buf: &mut [u8]) {
    use rand_core::RngCore;
    rand_core::OsRng.fill_bytes(buf);
}
