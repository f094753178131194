//! Any operation with any arguments at any time: an answer or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use watchword_core::service::{MemoryStore, ServiceConfig, Verify, OPERATIONS};

fuzz_target!(|input: (u8, u64, &str)| {
    let (op, now, args) = input;
    let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    let op = OPERATIONS[usize::from(op) % OPERATIONS.len()];
    let _ = verify.call(op, args, now);
    let _ = watchword_core::qr::terminal(args, watchword_core::qr::Background::Light);
});
