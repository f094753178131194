//! Backoff after failed authentication: a client address that failed to authenticate
//! `LIMIT` times within `WINDOW` is answered 429 (with `Retry-After`) until the window ends,
//! whatever credentials it presents meanwhile, so credentials cannot be guessed at speed.
//! Counted per IP address (behind a proxy every client shares the proxy's address: the limit
//! then holds for all of them together).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed authentications allowed per address and window.
pub const LIMIT: u32 = 10;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered before old windows are dropped.
const MAX_ADDRESSES: usize = 10_000;

/// Failed authentications by client address.
#[derive(Default)]
pub struct Failures {
    by_address: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    /// Whether an address may have reached the limit: until one has, no request needs the
    /// lock to learn that it is not blocked.
    reached: AtomicBool,
}

impl Failures {
    /// How long `address` must wait before authenticating again, if it must.
    pub fn blocked(&self, address: IpAddr) -> Option<Duration> {
        if !self.reached.load(Ordering::Acquire) {
            return None;
        }
        let map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        let (start, count) = map.get(&address)?;
        let elapsed = start.elapsed();
        (*count >= LIMIT && elapsed < WINDOW).then(|| WINDOW - elapsed)
    }

    /// Counts a failed authentication of `address`.
    pub fn failed(&self, address: IpAddr) {
        let mut map = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ADDRESSES {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
            self.reached.store(map.values().any(|(_, count)| *count >= LIMIT), Ordering::Release);
        }
        let entry = map.entry(address).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 >= LIMIT {
            self.reached.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_per_address() {
        let failures = Failures::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..LIMIT - 1 {
            failures.failed(a);
        }
        assert_eq!(failures.blocked(a), None);
        failures.failed(a);
        assert!(failures.blocked(a).is_some_and(|d| d <= WINDOW));
        assert_eq!(failures.blocked(b), None);
    }
}
