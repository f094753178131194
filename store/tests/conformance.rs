//! The conformance suite on every store this crate opens.

use watchword_core::service::MemoryStore;
use watchword_store::conformance;

#[test]
fn memory_store_conforms() {
    let (files, steps) = conformance::run_all(MemoryStore::new);
    println!("memory: {files} scenarios, {steps} steps");
}

/// Every scenario again with each operation run as sans-I/O steps answered by the store: the
/// steps are `Verify`'s rules, not a copy of them.
#[test]
fn memory_store_conforms_as_steps() {
    let (files, steps) =
        conformance::scenarios_by(conformance::Driver::Steps, &conformance::scenario_dir(), MemoryStore::new)
            .unwrap_or_else(|failures| panic!("{} failure(s):\n{}", failures.len(), failures.join("\n")));
    assert!(files > 10 && steps > 100, "{files} scenarios, {steps} steps");
}

#[test]
fn memory_url_conforms() {
    let (files, steps) = conformance::run_all(|| watchword_store::open("memory:").unwrap());
    println!("memory: {files} scenarios, {steps} steps");
}

/// A fresh database file in a fresh directory (removed at the end of the test).
fn sqlite_url(dir: &std::path::Path, query: &str) -> String {
    format!("sqlite:///{}{query}", dir.join("watchword.db").display())
}

#[test]
fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "");
    let (files, steps) = conformance::run_all(|| watchword_store::open(&url).unwrap());
    println!("sqlite: {files} scenarios, {steps} steps");
}

#[test]
fn sqlite_store_conforms_as_steps() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "");
    let (files, steps) = conformance::scenarios_by(conformance::Driver::Steps, &conformance::scenario_dir(), || {
        watchword_store::open(&url).unwrap()
    })
    .unwrap_or_else(|failures| panic!("{} failure(s):\n{}", failures.len(), failures.join("\n")));
    assert!(files > 10 && steps > 100, "{files} scenarios, {steps} steps");
}

#[test]
fn sqlite_store_conforms_with_normal_sync_and_a_table_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path(), "?synchronous=normal&table_prefix=ww_");
    let (files, steps) = conformance::run_all(|| watchword_store::open(&url).unwrap());
    println!("sqlite (normal, prefixed): {files} scenarios, {steps} steps");
}
