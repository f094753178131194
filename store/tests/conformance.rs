//! The conformance suite on every store this crate opens.

use watchword_core::service::MemoryStore;
use watchword_store::conformance;

#[test]
fn memory_store_conforms() {
    let (files, steps) = conformance::run_all(MemoryStore::new);
    println!("memory: {files} scenarios, {steps} steps");
}

#[test]
fn memory_url_conforms() {
    let (files, steps) = conformance::run_all(|| watchword_store::open("memory:").unwrap());
    println!("memory: {files} scenarios, {steps} steps");
}
