//! Random bytes for sids and nonces, from a per-thread ChaCha12 generator seeded by the
//! operating system.
//!
//! A sid needs 16 unpredictable bytes; asking the kernel for each is a system call per
//! challenge, and so was checking the process id for a `fork()`. Each thread keeps a ChaCha12
//! generator (rand's `StdRng`, a cryptographically secure generator) seeded from the operating
//! system, and reseeds it from the operating system after every 64 KiB drawn and after every
//! `fork()`: rand's `ReseedingRng` counts forks with a `pthread_atfork` handler, so that noticing
//! one costs an atomic read, not a system call.
//!
//! `ReseedingRng` checks for a fork only when its buffer runs dry, and its buffer here is one
//! 16-byte draw: every draw takes the whole buffer, so a forked child never hands out bytes its
//! parent had buffered — parent and child both reseed before their next draw. Secrets are not
//! drawn here: they come from the operating system directly.

use core::cell::RefCell;

use rand::rngs::adapter::ReseedingRng;
use rand::rngs::StdRng;
use rand_core::block::BlockRngCore;
use rand_core::{OsRng, RngCore, SeedableRng};

/// Bytes drawn between two reseeds from the operating system (rand's `ThreadRng` uses as many).
const RESEED_AFTER: u64 = 64 * 1024;

/// A draw: the generator's whole buffer, so that each draw passes the fork check.
const DRAW: usize = 16;

/// `StdRng` handing out one draw per block, for `ReseedingRng`.
struct Draws(StdRng);

impl BlockRngCore for Draws {
    type Item = u32;
    type Results = [u32; DRAW / 4];

    fn generate(&mut self, results: &mut Self::Results) {
        for word in results.iter_mut() {
            *word = self.0.next_u32();
        }
    }
}

impl SeedableRng for Draws {
    type Seed = <StdRng as SeedableRng>::Seed;

    fn from_seed(seed: Self::Seed) -> Draws {
        Draws(StdRng::from_seed(seed))
    }
}

std::thread_local! {
    static DRAWS_OF_THREAD: RefCell<ReseedingRng<Draws, OsRng>> = RefCell::new({
        let mut seed = <Draws as SeedableRng>::Seed::default();
        OsRng.fill_bytes(&mut seed);
        ReseedingRng::new(Draws::from_seed(seed), RESEED_AFTER, OsRng)
    });
}

/// 16 random bytes for a sid.
pub(crate) fn random16() -> [u8; 16] {
    random()
}

/// `N` random bytes: a sid, or a sealed record's nonce.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    DRAWS_OF_THREAD.with(|cell| {
        let mut rng = cell.borrow_mut();
        let mut draw = [0u8; DRAW];
        for chunk in out.chunks_mut(DRAW) {
            rng.fill_bytes(&mut draw);
            chunk.copy_from_slice(&draw[..chunk.len()]);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::{random, random16};
    use alloc::vec::Vec;

    #[test]
    fn draws_differ() {
        let mut drawn: Vec<[u8; 16]> = (0..100).map(|_| random16()).collect();
        drawn.sort_unstable();
        drawn.dedup();
        assert_eq!(drawn.len(), 100);
    }

    #[test]
    fn draws_longer_than_a_block_differ_in_each_part() {
        let nonces: Vec<[u8; 24]> = (0..100).map(|_| random()).collect();
        let mut tails: Vec<&[u8]> = nonces.iter().map(|n| &n[16..]).collect();
        tails.sort_unstable();
        tails.dedup();
        assert_eq!(tails.len(), 100, "the last 8 bytes of a 24-byte draw are drawn too");
    }
}
