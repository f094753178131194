//! Generating and verifying codes performs no heap allocation (SPEC §1). This test binary
//! installs a counting global allocator; it lives in its own file so the allocator is only in
//! this binary. Allocations are counted per thread, so the test harness's own threads cannot
//! disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use watchword_core::{Algorithm, Hotp, Totp};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to the system allocator unchanged; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of heap allocations `f` makes on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    let after = ALLOCATIONS.with(Cell::get);
    drop(std::hint::black_box(out));
    after - before
}

#[test]
fn the_counter_sees_allocations() {
    assert_eq!(allocations(|| Vec::<u8>::with_capacity(16)), 1);
    assert_eq!(allocations(|| "x".repeat(100)), 1);
    assert_eq!(allocations(|| 1 + 1), 0);
}

#[test]
fn generating_and_verifying_codes_never_allocates() {
    let key = [0x5a_u8; 128];
    for algorithm in Algorithm::ALL {
        for len in [1, 20, 64, 65, 128] {
            // Key setup is outside the hot path, but it happens not to allocate either.
            let (totp, setup) = {
                let mut made = None;
                let n = allocations(|| made = Some(Totp::new(&key[..len], algorithm, 6, 30).unwrap()));
                (made.unwrap(), n)
            };
            assert_eq!(setup, 0, "Totp::new {algorithm} {len}");
            let hotp = Hotp::new(&key[..len], algorithm, 8).unwrap();
            for time in [0u64, 59, 1 << 32, 20_000_000_000, u64::MAX] {
                let code = totp.generate(time).unwrap();
                let wrong = if code.as_str() == "000000" { "111111" } else { "000000" };
                assert_eq!(allocations(|| totp.generate(time)), 0, "Totp::generate {algorithm}");
                assert_eq!(allocations(|| totp.generate_step(time)), 0, "Totp::generate_step {algorithm}");
                assert_eq!(allocations(|| totp.verify(code.as_str(), time, 1)), 0, "Totp::verify hit {algorithm}");
                assert_eq!(allocations(|| totp.verify(wrong, time, 10)), 0, "Totp::verify miss {algorithm}");
                assert_eq!(allocations(|| totp.verify("12ab56", time, 1)), 0, "Totp::verify malformed");
                assert_eq!(allocations(|| totp.check(code.as_str(), time, 1, None)), 0, "Totp::check accept");
                assert_eq!(allocations(|| totp.check(code.as_str(), time, 1, Some(u64::MAX))), 0, "Totp::check replay");
                assert_eq!(allocations(|| totp.check(wrong, time, 2, Some(3))), 0, "Totp::check outside/reject");
                assert_eq!(allocations(|| totp.generate(time).map(|c| c.to_string())), 1, "the counter works here too");
                let hcode = hotp.generate(time);
                assert_eq!(allocations(|| hotp.generate(time)), 0, "Hotp::generate {algorithm}");
                assert_eq!(allocations(|| hotp.verify(hcode.as_str(), time, 1000)), 0, "Hotp::verify hit");
                assert_eq!(allocations(|| hotp.verify("00000000", time, 1000)), 0, "Hotp::verify miss");
            }
            // Errors do not allocate either.
            let late = totp.clone().with_t0(u64::MAX);
            assert_eq!(allocations(|| late.verify("000000", 0, 1).is_err()), 0);
        }
    }
}
