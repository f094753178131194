//! Replay protection and attempt limits hold under concurrent callers sharing one store.

use std::sync::Barrier;

use watchword_core::service::{
    Challenge, Cursor, Entity, Identity, Key, Kind, MemoryStore, NewChallenge, NewFactor, Record, ServiceConfig, Sid,
    Store, VerificationResult, Verify, Write,
};
use watchword_core::{Error, ErrorKind, Totp};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const THREADS: usize = 16;

/// A service whose lockout does not trip within one round: with the default threshold of 10,
/// the 11th of 16 replays would (rightly) meet a locked factor instead of a `replayed` result.
fn service() -> Verify<MemoryStore> {
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.set("lockout_threshold", 100).unwrap();
    Verify::new(config, MemoryStore::new())
}

fn code_at(t: u64) -> String {
    Totp::new(b"12345678901234567890", watchword_core::Algorithm::Sha1, 6, 30).unwrap().generate(t).unwrap().to_string()
}

/// A verified factor for a fresh identity; returns its sid.
fn verified_factor(verify: &Verify<MemoryStore>, identity: &str, now: u64) -> Sid {
    let created = verify.create_factor(identity, NewFactor::new("phone").secret(SECRET), now).unwrap();
    let (_, v) = verify.verify_factor(identity, &created.factor.sid, &code_at(now), now).unwrap();
    assert_eq!(v.result, VerificationResult::Approved);
    created.factor.sid
}

#[test]
fn sixteen_threads_presenting_the_same_code_get_exactly_one_approval() {
    let verify = service();
    let barrier = Barrier::new(THREADS);
    for round in 0..1000u64 {
        let identity = format!("user-{round:08}");
        let t = 1_700_000_010 + round * 30;
        let sid = verified_factor(&verify, &identity, t);
        // The next step's code, presented by 16 callers at the same instant.
        let now = t + 30;
        let code = code_at(now);
        assert_one_approval(&verify, &barrier, &identity, &sid, &code, now, round);
    }
}

/// `THREADS` callers present `code` for `sid` at the same instant: one is approved, the others
/// are told it was replayed.
fn assert_one_approval(
    verify: &Verify<MemoryStore>,
    barrier: &Barrier,
    identity: &str,
    sid: &Sid,
    code: &str,
    now: u64,
    round: u64,
) {
    let results: Vec<Result<VerificationResult, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let request = NewChallenge::new(sid).auth_payload(code);
                    verify.create_challenge(identity, request, now).map(|(_, v)| v.unwrap().result)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let approved = results.iter().filter(|r| matches!(r, Ok(VerificationResult::Approved))).count();
    let replayed = results.iter().filter(|r| matches!(r, Ok(VerificationResult::Replayed))).count();
    assert_eq!((approved, replayed), (1, THREADS - 1), "round {round}: {results:?}");
}

#[test]
fn answers_to_separate_challenges_with_one_code_approve_once() {
    let verify = service();
    let barrier = Barrier::new(THREADS);
    for round in 0..200u64 {
        let identity = format!("user-{round:08}");
        let t = 1_700_000_010 + round * 30;
        let sid = verified_factor(&verify, &identity, t);
        let now = t + 30;
        let challenges: Vec<Challenge> =
            (0..THREADS).map(|_| verify.create_challenge(&identity, NewChallenge::new(&sid), now).unwrap().0).collect();
        let code = code_at(now);
        let results: Vec<VerificationResult> = std::thread::scope(|s| {
            let handles: Vec<_> = challenges
                .iter()
                .map(|c| {
                    let (barrier, verify, identity, code) = (&barrier, &verify, &identity, &code);
                    s.spawn(move || {
                        barrier.wait();
                        verify.update_challenge(identity, &c.sid, code, None, now).unwrap().1.result
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let approved = results.iter().filter(|r| **r == VerificationResult::Approved).count();
        assert_eq!(approved, 1, "round {round}: {results:?}");
        assert!(results.iter().all(|r| matches!(r, VerificationResult::Approved | VerificationResult::Replayed)));
    }
}

#[test]
fn concurrent_wrong_answers_never_exceed_the_attempt_limit() {
    let verify = service();
    let limit = verify.config().challenge_attempts as usize;
    let barrier = Barrier::new(THREADS);
    for round in 0..200u64 {
        let identity = format!("user-{round:08}");
        let t = 1_700_000_010 + round * 30;
        let sid = verified_factor(&verify, &identity, t);
        let challenge = verify.create_challenge(&identity, NewChallenge::new(&sid), t + 1).unwrap().0;
        let results: Vec<Result<VerificationResult, ErrorKind>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        verify
                            .update_challenge(&identity, &challenge.sid, "000000", None, t + 1)
                            .map(|(_, v)| v.result)
                            .map_err(|e| e.kind())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let counted = results.iter().filter(|r| r.is_ok()).count();
        let refused = results.iter().filter(|r| **r == Err(ErrorKind::ChallengeAttemptsReached)).count();
        assert_eq!((counted, refused), (limit, THREADS - limit), "round {round}: {results:?}");
        let stored = verify.fetch_challenge(&identity, &challenge.sid).unwrap();
        assert_eq!(stored.failed_attempts as usize, limit);
    }
}

#[test]
fn a_stale_write_is_a_conflict_and_changes_nothing() {
    let store = MemoryStore::new();
    let entity = Entity::new("user-0001-abcd", [1; 16], 0).unwrap();
    store.commit("default", vec![Write::Put { record: Record::from(entity.clone()), expected: 0 }]).unwrap();
    let newer = Entity { version: 2, date_updated: 5, ..entity.clone() };
    store.commit("default", vec![Write::Put { record: Record::from(newer.clone()), expected: 1 }]).unwrap();
    // A second writer still holding version 1 loses, and its other writes are not applied.
    let other = Entity::new("user-0002-abcd", [2; 16], 0).unwrap();
    let stale = vec![
        Write::Put { record: Record::from(other), expected: 0 },
        Write::Put { record: Record::from(Entity { version: 2, ..entity.clone() }), expected: 1 },
    ];
    assert_eq!(store.commit("default", stale), Err(Error::Conflict));
    let get = |identity: &str| store.get("default", &Key::Entity(Identity::parse(identity).unwrap())).unwrap();
    assert_eq!(get("user-0001-abcd"), Some(Record::from(newer)));
    assert_eq!(get("user-0002-abcd"), None);
    let delete = Write::Delete { key: Key::Entity(Identity::parse("user-0001-abcd").unwrap()), expected: 1 };
    assert_eq!(store.commit("default", vec![delete]), Err(Error::Conflict));
}

/// A store whose commits always lose the race, or whose reads fail.
struct Flaky {
    inner: MemoryStore,
    fail_reads: bool,
}

impl Store for Flaky {
    fn get(&self, service: &str, key: &Key) -> Result<Option<Record>, Error> {
        if self.fail_reads {
            return Err(Error::storage("connection refused"));
        }
        self.inner.get(service, key)
    }
    fn list(
        &self,
        service: &str,
        identity: &Identity,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<Record>, Error> {
        self.inner.list(service, identity, kind, after, limit)
    }
    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<Record>, Error> {
        self.inner.scan(service, kind, after, limit)
    }
    fn commit(&self, _service: &str, _writes: Vec<Write>) -> Result<(), Error> {
        Err(Error::Conflict)
    }
}

#[test]
fn retries_are_bounded_and_storage_errors_surface() {
    let config = ServiceConfig::new("Acme").unwrap();
    let losing = Verify::new(config.clone(), Flaky { inner: MemoryStore::new(), fail_reads: false });
    let err = losing.create_entity("user-0001-abcd", 0).unwrap_err();
    assert_eq!((err.kind(), err.http_status()), (ErrorKind::Conflict, 409));

    let broken = Verify::new(config, Flaky { inner: MemoryStore::new(), fail_reads: true });
    let err = broken.create_factor("user-0001-abcd", NewFactor::new("phone"), 0).unwrap_err();
    assert_eq!((err.kind(), err.http_status()), (ErrorKind::Storage, 500));
    assert_eq!(err.to_string(), "the store failed: connection refused");
}

/// The race of the TOTP test above with one recovery code: 16 callers redeem it at the same
/// instant; exactly one is approved, the others see it used.
#[test]
fn sixteen_threads_redeeming_one_recovery_code_get_exactly_one_approval() {
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.set("lockout_threshold", 100).unwrap();
    config.set("recovery_code_iterations", 1000).unwrap();
    let verify = Verify::new(config, MemoryStore::new());
    let barrier = Barrier::new(THREADS);
    for round in 0..20u64 {
        let identity = format!("user-{round:08}");
        let now = 1_700_000_010 + round;
        let created = verify.create_factor(&identity, NewFactor::recovery_codes("backup", 2), now).unwrap();
        let (sid, code) = (&created.factor.sid, &created.binding.codes[1]);
        assert_one_approval(&verify, &barrier, &identity, sid, code, now, round);
        let factor = verify.fetch_factor(&identity, sid).unwrap();
        assert_eq!(factor.recovery_codes.unwrap().remaining(), 1);
    }
}
