//! What crossing the C ABI costs: core's `Totp::generate` / `Totp::verify` against the exported
//! `ww_totp_generate` / `ww_totp_verify` on the same key, in the same process, in alternating
//! batches (so a busy machine slows both alike). Inputs as in core's `otp` bench: SHA-1, 6 digits,
//! 20-byte key, period 30, time 1234567890, a wrong code with skew 1. Each figure is the fastest
//! of 40 batches. The C program `tests/c/bench.c` measures the same calls from C.
//!
//! `cargo bench -p watchword-ffi --bench boundary` (part of `make bench-c`)

use std::hint::black_box;
use std::time::Instant;

use watchword::result::{ww_result, ww_totp_result};
use watchword::status::ww_status;
use watchword::totp::{ww_totp, ww_totp_free, ww_totp_generate, ww_totp_new, ww_totp_verify};
use watchword_core::{Algorithm, Totp};

const TIME: u64 = 1_234_567_890;
const KEY: &[u8; 20] = b"12345678901234567890";
const BATCH: u32 = 50_000;
const BATCHES: usize = 40;

fn per_call(f: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(BATCH)
}

fn main() {
    let core = Totp::new(KEY, Algorithm::Sha1, 6, 30).unwrap();
    let mut handle: *mut ww_totp = std::ptr::null_mut();
    assert_eq!(ww_totp_new(KEY.as_ptr(), KEY.len(), 0, 6, 30, 0, &mut handle), ww_status::Ok);
    let step = core.step(TIME).unwrap();
    let wrong = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| (step - 3..=step + 3).all(|s| core.generate_step(s).as_str() != c))
        .unwrap();
    let mut buf = [0 as std::ffi::c_char; 11];
    let mut len = 0usize;
    let mut result = ww_totp_result { result: ww_result::Approved, step: 0, offset: 0 };
    // Same answers both ways.
    assert_eq!(ww_totp_generate(handle, TIME, buf.as_mut_ptr(), buf.len(), &mut len), ww_status::Ok);
    assert_eq!(&buf[..len].iter().map(|&c| c as u8).collect::<Vec<_>>(), core.generate(TIME).unwrap().as_bytes());
    assert_eq!(ww_totp_verify(handle, wrong.as_ptr().cast(), wrong.len(), TIME, 1, &mut result), ww_status::Ok);
    assert_eq!((result.result, core.verify(&wrong, TIME, 1).unwrap()), (ww_result::InvalidCode, None));

    let mut best = [f64::MAX; 4];
    for _ in 0..BATCHES {
        best[0] = best[0].min(per_call(&mut || {
            black_box(core.generate(black_box(TIME))).ok();
        }));
        best[1] = best[1].min(per_call(&mut || {
            black_box(ww_totp_generate(handle, black_box(TIME), buf.as_mut_ptr(), buf.len(), &mut len));
        }));
        best[2] = best[2].min(per_call(&mut || {
            black_box(core.verify(black_box(&wrong), black_box(TIME), 1)).ok();
        }));
        best[3] = best[3].min(per_call(&mut || {
            black_box(ww_totp_verify(handle, black_box(wrong.as_ptr().cast()), wrong.len(), TIME, 1, &mut result));
        }));
    }
    ww_totp_free(handle);
    let line = |what: &str, rust: f64, abi: f64| {
        println!("{what:<32} core {rust:8.1} ns   C ABI {abi:8.1} ns   ({:+.1}%)", (abi / rust - 1.0) * 100.0);
    };
    println!("sha1, 6 digits, fastest of {BATCHES} alternating batches of {BATCH} calls");
    line("generate", best[0], best[1]);
    line("verify (wrong code, skew 1)", best[2], best[3]);
}
