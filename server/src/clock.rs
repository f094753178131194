//! The server's clock: the system clock. Builds with the `test-clock` feature (never release
//! builds) let tests fix the time or move it by an offset through
//! `POST /watchword/v1/test-clock`, so expiry and lockout can be tested without waiting.

#[cfg(feature = "test-clock")]
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[cfg(feature = "test-clock")]
static OFFSET: AtomicI64 = AtomicI64::new(0);
/// A fixed time (0: none).
#[cfg(feature = "test-clock")]
static FIXED: AtomicU64 = AtomicU64::new(0);

/// Now, in Unix seconds.
pub fn now() -> u64 {
    let now = watchword_core::service::unix_now();
    #[cfg(feature = "test-clock")]
    {
        match FIXED.load(Ordering::SeqCst) {
            0 => now.saturating_add_signed(OFFSET.load(Ordering::SeqCst)),
            fixed => fixed,
        }
    }
    #[cfg(not(feature = "test-clock"))]
    {
        now
    }
}

/// Moves the clock: an offset from the system clock in seconds, or a fixed time (test builds
/// only). A fixed time wins; `Some(0)` releases it.
#[cfg(feature = "test-clock")]
pub fn set(offset: Option<i64>, fixed: Option<u64>) {
    if let Some(offset) = offset {
        OFFSET.store(offset, Ordering::SeqCst);
    }
    if let Some(fixed) = fixed {
        FIXED.store(fixed, Ordering::SeqCst);
    }
}
