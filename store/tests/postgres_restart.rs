//! The PostgreSQL store while its server stops and starts again: `storage` errors, no panic,
//! nothing half-written, and the same service object works again afterwards.
//!
//! A test binary of its own: cargo runs test binaries one after another, so stopping the
//! shared test server here never disturbs the other PostgreSQL tests.

mod pg;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use watchword_core::service::{Identity, Kind, NewChallenge, NewFactor, Store, VerificationResult};
use watchword_core::ErrorKind;
use watchword_store::open;

use pg::{assert_storage, code_at, password, service, unix_now, verified_factor, SECRET};

fn run(ctl: &str, action: &str) -> bool {
    Command::new(ctl).arg(action).output().map(|o| o.status.success()).unwrap_or(false)
}

/// Starts the server again when the test ends, however it ends: other tests share it.
struct Restart<'a>(&'a str);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        if !run(self.0, "status") {
            assert!(run(self.0, "start") || std::thread::panicking(), "the test server did not start again");
        }
    }
}

#[test]
fn the_same_service_works_again_after_the_server_restarts() {
    let (Some(url), Some(ctl)) = (pg::url(), pg::ctl()) else { return };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let secret = password(&url);
    let restart = Restart(&ctl);
    let verify = service(open(&format!("{url}&pool_size=4&connect_timeout=2")).unwrap(), "restart");
    let t = unix_now() / 30 * 30;

    // State committed before the outage.
    let identities: Vec<String> = (0..4).map(|i| format!("user-{i:04}-before")).collect();
    let mut sids = Vec::new();
    for identity in &identities {
        sids.push(verified_factor(&verify, identity, t).unwrap());
    }
    // The next step's code is approved once, before the outage.
    let (_, v) = verify
        .create_challenge(&identities[0], NewChallenge::new(&sids[0]).auth_payload(&code_at(t + 30)), t + 30)
        .unwrap();
    assert_eq!(v.unwrap().result, VerificationResult::Approved);

    // Callers keep working while the server stops under them.
    let stop = AtomicBool::new(false);
    let working = AtomicUsize::new(0);
    let outcomes: Vec<(usize, usize)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let (verify, identities, sids, stop, secret, working) =
                    (&verify, &identities, &sids, &stop, &secret, &working);
                s.spawn(move || {
                    let (mut ok, mut failed) = (0, 0);
                    // Bounded in time: until the stop has been seen, 30 s at most.
                    let started = std::time::Instant::now();
                    while started.elapsed() < Duration::from_secs(30) {
                        match verify.fetch_factor(&identities[i], &sids[i]) {
                            Ok(_) => {
                                if ok == 0 {
                                    working.fetch_add(1, Ordering::SeqCst);
                                }
                                ok += 1;
                            }
                            Err(e) => {
                                assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
                                assert!(!e.to_string().contains(secret.as_str()));
                                failed += 1;
                            }
                        }
                        if stop.load(Ordering::Relaxed) && failed > 0 {
                            break;
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        // Stop the server once every caller has seen the store work (30 s at most).
        let waiting = std::time::Instant::now();
        while working.load(Ordering::SeqCst) < 4 && waiting.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(run(&ctl, "stop"), "the test server did not stop");
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (ok, failed) in &outcomes {
        assert!(*ok > 0 && *failed > 0, "every caller saw the store work, then fail: {outcomes:?}");
    }

    // While the server is down: storage errors naming the cause, for reads and writes.
    let e = verify.fetch_factor(&identities[1], &sids[1]).unwrap_err();
    assert_storage(&e, "cannot reach the PostgreSQL server at 127.0.0.1", &secret);
    let e = verify.create_factor("user-0009-during", NewFactor::new("phone").secret(SECRET), t + 40).unwrap_err();
    assert_storage(&e, "cannot reach the PostgreSQL server at 127.0.0.1", &secret);
    let e = verify.create_challenge(&identities[2], NewChallenge::new(&sids[2]), t + 40).unwrap_err();
    assert_storage(&e, "the store failed", &secret);

    assert!(run(&ctl, "start"), "the test server did not start again");
    drop(restart);

    // The same object works again, and everything committed before is there.
    for (identity, sid) in identities.iter().zip(&sids) {
        let factor = verify.fetch_factor(identity, sid).unwrap();
        assert_eq!(&factor.sid, sid);
    }
    // The code approved before the outage stays used…
    let (_, v) = verify
        .create_challenge(&identities[0], NewChallenge::new(&sids[0]).auth_payload(&code_at(t + 30)), t + 30)
        .unwrap();
    assert_eq!(v.unwrap().result, VerificationResult::Replayed);
    // …and writes work again.
    let (_, v) = verify
        .create_challenge(&identities[1], NewChallenge::new(&sids[1]).auth_payload(&code_at(t + 60)), t + 60)
        .unwrap();
    assert_eq!(v.unwrap().result, VerificationResult::Approved);
    // Nothing of the operations that failed was written.
    let service = verify.config().service.clone();
    let during = Identity::parse("user-0009-during").unwrap();
    assert!(verify.store().list(&service, &during, Kind::Factor, None, 10).unwrap().is_empty());
    assert!(verify.store().list(&service, &during, Kind::Entity, None, 10).unwrap().is_empty());
    let challenges =
        verify.store().list(&service, &Identity::parse(&identities[2]).unwrap(), Kind::Challenge, None, 10);
    assert!(challenges.unwrap().is_empty(), "no challenge from the outage");
}

#[test]
fn a_server_that_is_down_when_the_store_opens_is_a_storage_error() {
    let (Some(url), Some(ctl)) = (pg::url(), pg::ctl()) else { return };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _restart = Restart(&ctl);
    assert!(run(&ctl, "stop"));
    let e = open(&url).err().expect("refused");
    assert_storage(&e, "cannot reach the PostgreSQL server at 127.0.0.1", &password(&url));
    assert!(run(&ctl, "start"));
    assert!(open(&url).is_ok());
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
