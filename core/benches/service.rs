//! Throughput of the service on one core: `create_challenge` with a code, through
//! `Verify<MemoryStore>`, for a right code (approved) and a wrong one (invalid_code); and the
//! cost of redeeming a recovery code at the default hashing cost (PBKDF2-HMAC-SHA256, 100,000
//! iterations), right (approved, the code consumed) or wrong (invalid_code): one hash each.
//!
//! Codes are what the user's app computes, so they are made before the timed loop. The store
//! grows by one challenge per call; a fresh service is set up (untimed) every `CHUNK` calls.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use watchword_core::service::{MemoryStore, NewChallenge, NewFactor, ServiceConfig, Sid, VerificationResult, Verify};
use watchword_core::{Algorithm, Totp};

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const IDENTITY: &str = "user-0001-abcd";
const CHUNK: u64 = 500;
/// Seconds between calls: a new step each time, and within the largest quotas allowed
/// (500 per hour, 1000 per day).
const SPACING: u64 = 90;

fn config() -> ServiceConfig {
    let mut config = ServiceConfig::new("Acme").unwrap();
    for (name, value) in [
        ("challenge_quota_hour", 500),
        ("challenge_quota_day", 1000),
        // Wrong codes lock for one second, which has passed by the next call.
        ("lockout_seconds", 1),
        ("lockout_max_seconds", 1),
        ("lockout_permanent_threshold", 1000),
        // And the 24-hour failure budget holds a chunk's wrong codes.
        ("failure_budget", 1000),
    ] {
        config.set(name, value).unwrap();
    }
    config
}

fn service() -> (Verify<MemoryStore>, Sid) {
    let verify = Verify::new(config(), MemoryStore::new());
    let created = verify.create_factor(IDENTITY, NewFactor::new("phone").secret(SECRET), 0).unwrap();
    let code = totp().generate(0).unwrap();
    verify.verify_factor(IDENTITY, &created.factor.sid, code.as_str(), 0).unwrap();
    (verify, created.factor.sid)
}

fn totp() -> Totp {
    Totp::new(b"12345678901234567890", Algorithm::Sha1, 6, 30).unwrap()
}

fn run(iters: u64, right: bool) -> Duration {
    let app = totp();
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = CHUNK.min(iters - done);
        let (verify, sid) = service();
        let requests: Vec<(u64, NewChallenge)> = (1..=n)
            .map(|i| {
                let now = i * SPACING;
                let code = if right { app.generate(now).unwrap().to_string() } else { String::from("000000") };
                (now, NewChallenge::new(&sid).auth_payload(&code))
            })
            .collect();
        total += timed(&verify, requests, right);
        done += n;
    }
    total
}

/// The time `create_challenge` takes for each of `requests` (right or wrong codes).
fn timed(verify: &Verify<MemoryStore>, requests: Vec<(u64, NewChallenge)>, right: bool) -> Duration {
    let expected = if right { VerificationResult::Approved } else { VerificationResult::InvalidCode };
    let start = Instant::now();
    for (now, request) in requests {
        let (_, v) = verify.create_challenge(IDENTITY, black_box(request), now).unwrap();
        debug_assert_eq!(v.map(|v| v.result), Some(expected));
    }
    start.elapsed()
}

/// Redeems recovery codes of sets of 20 made (untimed) at the default cost.
fn redeem(iters: u64, right: bool) -> Duration {
    let config = config();
    assert_eq!(config.recovery_code_iterations, 100_000, "the default cost (SPEC §3)");
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = 20.min(iters - done);
        let verify = Verify::new(config.clone(), MemoryStore::new());
        let created = verify.create_factor(IDENTITY, NewFactor::recovery_codes("backup", 20), 0).unwrap();
        let sid = created.factor.sid;
        let requests: Vec<(u64, NewChallenge)> = (0..n)
            .map(|i| {
                let now = (i + 1) * SPACING;
                let code = if right { created.binding.codes[i as usize].as_str() } else { "zzzzz-zzzzz" };
                (now, NewChallenge::new(&sid).auth_payload(code))
            })
            .collect();
        total += timed(&verify, requests, right);
        done += n;
    }
    total
}

fn bench(c: &mut Criterion) {
    // "000000" must not be a right code at any of the times used.
    let app = totp();
    assert!((1..=CHUNK).all(|i| (0..=4).all(|d| app.generate_step(i * SPACING / 30 + d - 2).as_str() != "000000")));
    let mut group = c.benchmark_group("service");
    group.throughput(Throughput::Elements(1));
    group.bench_function("create_challenge_right_code_approved", |b| b.iter_custom(|iters| run(iters, true)));
    group.bench_function("create_challenge_wrong_code", |b| b.iter_custom(|iters| run(iters, false)));
    group.finish();
    // Milliseconds per call: fewer samples, so that the run stays short.
    let mut group = c.benchmark_group("recovery");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.bench_function("redeem_recovery_code_approved", |b| b.iter_custom(|iters| redeem(iters, true)));
    group.bench_function("redeem_recovery_code_wrong", |b| b.iter_custom(|iters| redeem(iters, false)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
