//! Code generation and verification, watchword against the `totp-rs` crate on the same inputs.
//!
//! `cargo bench -p watchword-core --bench otp`
//!
//! SHA-1, 6 digits, 20-byte key, period 30: `generate` of the current code, and verification of a
//! wrong code with skew 1 (three candidate steps, the cost every failed attempt pays). Key setup
//! (`Totp::new`, the two HMAC key blocks) is measured on its own; it happens once per key.
//!
//! On a machine shared with other work, wall-clock times include the moments this thread was
//! not running. `WATCHWORD_BENCH_CPU_TIME=1` measures the thread's CPU time instead
//! (`CLOCK_THREAD_CPUTIME_ID`), which is what an idle machine's wall clock would show.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Bencher, BenchmarkId, Criterion};
use watchword_core::{Algorithm, Check, Totp};

const TIME: u64 = 1_234_567_890;
const SHA1_KEY: &[u8; 20] = b"12345678901234567890";
const SHA256_KEY: &[u8; 32] = b"12345678901234567890123456789012";
const SHA512_KEY: &[u8; 64] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// The calling thread's CPU time.
#[cfg(unix)]
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `b.iter(f)`, timed by wall clock or, with `WATCHWORD_BENCH_CPU_TIME=1`, by thread CPU time.
fn run<O>(b: &mut Bencher<'_>, mut f: impl FnMut() -> O) {
    #[cfg(unix)]
    if std::env::var_os("WATCHWORD_BENCH_CPU_TIME").is_some_and(|v| v == "1") {
        b.iter_custom(|iters| {
            let start = thread_cpu_time();
            for _ in 0..iters {
                black_box(f());
            }
            thread_cpu_time() - start
        });
        return;
    }
    b.iter(f);
}

fn theirs(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

fn key(algorithm: Algorithm) -> &'static [u8] {
    match algorithm {
        Algorithm::Sha1 => SHA1_KEY,
        Algorithm::Sha256 => SHA256_KEY,
        Algorithm::Sha512 => SHA512_KEY,
    }
}

/// A 6-digit code that matches none of the steps around `TIME` (so verification evaluates the
/// whole window and fails, as a wrong guess does).
fn wrong_code(ours: &Totp) -> String {
    let step = ours.step(TIME).unwrap();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| (step - 3..=step + 3).all(|s| ours.generate_step(s).as_str() != c))
        .unwrap()
}

fn sha1(c: &mut Criterion) {
    let ours = Totp::new(SHA1_KEY, Algorithm::Sha1, 6, 30).unwrap();
    let other = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, SHA1_KEY.to_vec()).unwrap();
    // Same inputs, same answers.
    assert_eq!(ours.generate(TIME).unwrap().as_str(), other.generate(TIME));
    let wrong = wrong_code(&ours);
    assert_eq!(ours.verify(&wrong, TIME, 1).unwrap(), None);
    assert!(!other.check(&wrong, TIME));
    let right = ours.generate(TIME - 30).unwrap();
    assert!(ours.verify(right.as_str(), TIME, 1).unwrap().is_some() && other.check(right.as_str(), TIME));

    let mut g = c.benchmark_group("sha1-6digits-20byte-key");
    g.bench_function("watchword/generate", |b| run(b, || ours.generate(black_box(TIME))));
    g.bench_function("totp-rs/generate", |b| run(b, || other.generate(black_box(TIME))));
    g.bench_function("watchword/verify-wrong-skew1", |b| {
        run(b, || ours.verify(black_box(wrong.as_str()), black_box(TIME), 1))
    });
    g.bench_function("totp-rs/check-wrong-skew1", |b| {
        run(b, || other.check(black_box(wrong.as_str()), black_box(TIME)))
    });
    // `check` also probes two steps beyond each side of the window (7 codes in all).
    g.bench_function("watchword/check-wrong-skew1", |b| {
        run(b, || {
            let r = ours.check(black_box(wrong.as_str()), black_box(TIME), 1, Some(0));
            debug_assert_eq!(r, Ok(Check::Rejected));
            r
        })
    });
    g.bench_function("watchword/key-setup", |b| run(b, || Totp::new(black_box(SHA1_KEY), Algorithm::Sha1, 6, 30)));
    g.bench_function("totp-rs/key-setup", |b| {
        run(b, || totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, black_box(SHA1_KEY).to_vec()))
    });
    g.finish();
}

fn other_hashes(c: &mut Criterion) {
    let mut g = c.benchmark_group("generate-by-hash");
    for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
        let ours = Totp::new(key(algorithm), algorithm, 6, 30).unwrap();
        let other = totp_rs::TOTP::new(theirs(algorithm), 6, 1, 30, key(algorithm).to_vec()).unwrap();
        assert_eq!(ours.generate(TIME).unwrap().as_str(), other.generate(TIME));
        let wrong = wrong_code(&ours);
        g.bench_with_input(BenchmarkId::new("watchword/generate", algorithm), &ours, |b, t| {
            run(b, || t.generate(black_box(TIME)))
        });
        g.bench_with_input(BenchmarkId::new("totp-rs/generate", algorithm), &other, |b, t| {
            run(b, || t.generate(black_box(TIME)))
        });
        g.bench_with_input(BenchmarkId::new("watchword/verify-wrong-skew1", algorithm), &ours, |b, t| {
            run(b, || t.verify(black_box(wrong.as_str()), black_box(TIME), 1))
        });
        g.bench_with_input(BenchmarkId::new("totp-rs/check-wrong-skew1", algorithm), &other, |b, t| {
            run(b, || t.check(black_box(wrong.as_str()), black_box(TIME)))
        });
    }
    g.finish();
}

criterion_group!(benches, sha1, other_hashes);
criterion_main!(benches);
