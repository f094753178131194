//! Code generation and verification, watchword against the `totp-rs` crate on the same inputs.
//!
//! `cargo bench -p watchword-core --bench otp`
//!
//! SHA-1, 6 digits, 20-byte key, period 30: `generate` of the current code, and verification of a
//! wrong code with skew 1 (three candidate steps, the cost every failed attempt pays). Key setup
//! (`Totp::new`, the two HMAC key blocks) is measured on its own; it happens once per key.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use watchword_core::{Algorithm, Check, Totp};

const TIME: u64 = 1_234_567_890;
const SHA1_KEY: &[u8; 20] = b"12345678901234567890";
const SHA256_KEY: &[u8; 32] = b"12345678901234567890123456789012";
const SHA512_KEY: &[u8; 64] = b"1234567890123456789012345678901234567890123456789012345678901234";

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
    g.bench_function("watchword/generate", |b| b.iter(|| ours.generate(black_box(TIME))));
    g.bench_function("totp-rs/generate", |b| b.iter(|| other.generate(black_box(TIME))));
    g.bench_function("watchword/verify-wrong-skew1", |b| {
        b.iter(|| ours.verify(black_box(wrong.as_str()), black_box(TIME), 1))
    });
    g.bench_function("totp-rs/check-wrong-skew1", |b| {
        b.iter(|| other.check(black_box(wrong.as_str()), black_box(TIME)))
    });
    // `check` also probes two steps beyond each side of the window (7 codes in all).
    g.bench_function("watchword/check-wrong-skew1", |b| {
        b.iter(|| {
            let r = ours.check(black_box(wrong.as_str()), black_box(TIME), 1, Some(0));
            debug_assert_eq!(r, Ok(Check::Rejected));
            r
        })
    });
    g.bench_function("watchword/key-setup", |b| b.iter(|| Totp::new(black_box(SHA1_KEY), Algorithm::Sha1, 6, 30)));
    g.bench_function("totp-rs/key-setup", |b| {
        b.iter(|| totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, black_box(SHA1_KEY).to_vec()))
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
            b.iter(|| t.generate(black_box(TIME)))
        });
        g.bench_with_input(BenchmarkId::new("totp-rs/generate", algorithm), &other, |b, t| {
            b.iter(|| t.generate(black_box(TIME)))
        });
        g.bench_with_input(BenchmarkId::new("watchword/verify-wrong-skew1", algorithm), &ours, |b, t| {
            b.iter(|| t.verify(black_box(wrong.as_str()), black_box(TIME), 1))
        });
        g.bench_with_input(BenchmarkId::new("totp-rs/check-wrong-skew1", algorithm), &other, |b, t| {
            b.iter(|| t.check(black_box(wrong.as_str()), black_box(TIME)))
        });
    }
    g.finish();
}

criterion_group!(benches, sha1, other_hashes);
criterion_main!(benches);
