//! Regression tests for the holes an adversarial review found, where a shared scenario cannot
//! show them (the scenarios `failure_budget`, `import_invariants`, `outside_window`,
//! `challenge_expiry` and `records` cover the rest).

use watchword_core::service::{
    Entity, Factor, Key, MemoryStore, NewFactor, Record, ServiceConfig, Store, Verify, Write,
};
use watchword_core::{base32, ErrorKind};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn service() -> Verify<MemoryStore> {
    Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new())
}

/// A record whose version is at (or beyond) the JSON-safe limit makes later operations fail
/// with an error, never an overflow panic.
#[test]
fn a_version_at_the_limit_is_an_error_not_a_panic() {
    for version in [(1u64 << 53) - 1, u64::MAX - 1, u64::MAX] {
        let verify = service();
        let created = verify.create_factor("user-0001-abcd", NewFactor::new("phone").secret(SECRET), 10).unwrap();
        let stored = verify.store().get("default", &Key::Factor(created.factor.sid)).unwrap().unwrap();
        let Record::Factor(factor) = stored else { panic!("not a factor") };
        let at_limit = Factor { version, ..Factor::clone(&factor) };
        let write = Write::Put { record: Record::from(at_limit), expected: factor.version };
        verify.store().commit("default", vec![write]).unwrap();
        for outcome in [
            verify.unlock_factor("user-0001-abcd", &created.factor.sid).map(drop),
            verify.verify_factor("user-0001-abcd", &created.factor.sid, "123456", 10).map(drop),
            verify.update_factor("user-0001-abcd", &created.factor.sid, &Default::default(), 10).map(drop),
        ] {
            assert_eq!(outcome.unwrap_err().kind(), ErrorKind::InvalidParameter, "version {version}");
        }
        let stored = verify.fetch_entity("user-0001-abcd").unwrap();
        let expected = stored.version;
        let write = Write::Put { record: Record::from(Entity { version, ..stored }), expected };
        verify.store().commit("default", vec![write]).unwrap();
        let again = verify.create_factor("user-0001-abcd", NewFactor::new("tablet"), 10);
        assert_eq!(again.unwrap_err().kind(), ErrorKind::InvalidParameter, "version {version}");
    }
}

/// An imported secret never shows in `Debug`, and a Base32 error names only the position.
#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let request = NewFactor::new("phone").secret(SECRET);
    let printed = format!("{request:?}");
    assert!(!printed.contains(SECRET) && !printed.contains("GEZD"), "{printed}");
    let err = base32::decode("GEZDGNBVGY3TQO9QGEZDGNBVGY3TQOJQ").unwrap_err();
    assert!(!err.to_string().contains('9'), "{err}");
    assert!(err.to_string().contains("position 15"), "{err}");
    let err = service().create_factor("user-0001-abcd", NewFactor::new("phone").secret("GEZD8GNB"), 10).unwrap_err();
    assert!(!err.to_string().contains('8'), "{err}");
}

/// Sids come from the operating system: a parent and a child forked from it after it drew
/// sids never draw the same ones.
#[cfg(unix)]
#[test]
fn forked_processes_draw_different_sids() {
    use std::io::{Read, Write as _};
    use std::os::fd::FromRawFd;

    let verify = service();
    verify.create_entity("user-0000-warm", 10).unwrap();
    let mut fds = [0i32; 2];
    // SAFETY: `pipe` writes two descriptors into the array it is given.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let draw = |verify: &Verify<MemoryStore>| -> Vec<String> {
        (0..15).map(|i| verify.create_entity(&format!("user-{i:04}-fork"), 10).unwrap().sid.to_string()).collect()
    };
    // SAFETY: the child only uses this thread's state, writes to the pipe and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let sids = draw(&verify).join("\n");
        // SAFETY: the write end of the pipe belongs to this process.
        let mut out = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        let _ = out.write_all(sids.as_bytes());
        drop(out);
        // SAFETY: leave at once, without running the parent's test harness.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: the parent closes its copy of the write end and owns the read end.
    unsafe { libc::close(fds[1]) };
    let mut child = String::new();
    unsafe { std::fs::File::from_raw_fd(fds[0]) }.read_to_string(&mut child).unwrap();
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let parent = draw(&verify);
    let child: Vec<&str> = child.lines().collect();
    assert_eq!(child.len(), 15, "the child reported its sids");
    for sid in &parent {
        assert!(!child.contains(&sid.as_str()), "parent and child both drew {sid}");
    }
}

/// A secret far too long says how long it is, not one byte more than the limit.
#[test]
fn an_oversized_secret_reports_its_length() {
    let err = watchword_core::Secret::from_base32(&"A".repeat(10_000_000)).unwrap_err();
    assert_eq!(err.to_string(), "the secret must be 1 to 128 bytes long, not 6250000");
}
