//! Random bytes for sids and nonces, read from the operating system in batches.
//!
//! A sid needs 16 unpredictable bytes; asking the kernel for each is a costly system call per
//! challenge. Each thread keeps a batch read from the operating system and hands it out 16
//! bytes at a time. A `fork()` copies the batch into the child, so that parent and child would
//! hand out the same sids: a batch is stamped with the id of the process that read it, and a
//! process never uses a batch it did not read — a forked child reads a fresh one. Secrets are
//! not drawn here: they come from the operating system directly.

use core::cell::RefCell;

use rand_core::{OsRng, RngCore};

/// Bytes read from the operating system at once (256 sids): one system call per 256 sids.
const BATCH: usize = 4096;

struct Batch {
    bytes: [u8; BATCH],
    used: usize,
    /// The process that read `bytes`.
    process: u32,
}

std::thread_local! {
    static BATCH_OF_THREAD: RefCell<Batch> = const { RefCell::new(Batch { bytes: [0; BATCH], used: BATCH, process: 0 }) };
}

/// 16 random bytes for a sid.
pub(crate) fn random16() -> [u8; 16] {
    random()
}

/// `N` random bytes (at most a batch): a sid, or a sealed record's nonce.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    BATCH_OF_THREAD.with(|cell| {
        let mut batch = cell.borrow_mut();
        let process = std::process::id();
        if batch.used + out.len() > BATCH || batch.process != process {
            OsRng.fill_bytes(&mut batch.bytes);
            batch.used = 0;
            batch.process = process;
        }
        let start = batch.used;
        out.copy_from_slice(&batch.bytes[start..start + N]);
        // A handed-out sid or nonce is public; the bytes are cleared so that the batch holds
        // only those still to come.
        batch.bytes[start..start + N].fill(0);
        batch.used += N;
    });
    out
}

#[cfg(test)]
mod tests {
    use super::random16;
    use alloc::vec::Vec;

    #[test]
    fn draws_differ() {
        let mut drawn: Vec<[u8; 16]> = (0..100).map(|_| random16()).collect();
        drawn.sort_unstable();
        drawn.dedup();
        assert_eq!(drawn.len(), 100);
    }
}
