//! The server's clock: the system clock. Builds with the `test-clock` feature (never release
//! builds) add an offset that tests set through `POST /watchword/v1/test-clock`, so expiry and
//! lockout can be tested without waiting.

#[cfg(feature = "test-clock")]
use std::sync::atomic::{AtomicI64, Ordering};

#[cfg(feature = "test-clock")]
static OFFSET: AtomicI64 = AtomicI64::new(0);

/// Now, in Unix seconds.
pub fn now() -> u64 {
    let now = watchword_core::service::unix_now();
    #[cfg(feature = "test-clock")]
    {
        now.saturating_add_signed(OFFSET.load(Ordering::SeqCst))
    }
    #[cfg(not(feature = "test-clock"))]
    {
        now
    }
}

/// Sets the clock's offset from the system clock, in seconds (test builds only).
#[cfg(feature = "test-clock")]
pub fn set_offset(seconds: i64) {
    OFFSET.store(seconds, Ordering::SeqCst);
}
