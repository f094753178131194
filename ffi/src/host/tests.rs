//! `CHost` — the glue between `ww_host_store` callbacks and core's `Store` — through the whole
//! store conformance suite (compare-and-set, listings page by page, every scenario, the replay
//! race), with callbacks written against the C ABI as a C program writes them: a table of rows
//! behind a mutex, answered through `ww_host_reply_record`.
//!
//! (This file sits below `src/host/` so that `tests/boundary.rs`, which reads `src/*.rs` for
//! exports, does not take its callbacks for exports.)

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use watchword_core::service::{ServiceConfig, Store, Verify};
use watchword_store::conformance;

use super::*;

type Id = (String, String, String);

struct Row {
    identity: String,
    created: u64,
    version: u64,
    text: String,
}

#[derive(Default)]
struct Table(Mutex<BTreeMap<Id, Row>>);

static MADE: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

/// A string watchword passed in.
fn text(ptr: *const c_char) -> String {
    // SAFETY: watchword passes NUL-terminated UTF-8 that lives for the call.
    unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned()
}

fn rows(user: *mut c_void) -> std::sync::MutexGuard<'static, BTreeMap<Id, Row>> {
    // SAFETY: `user` is the table `store` made, alive until `free_table`.
    unsafe { &*(user as *const Table) }.0.lock().unwrap()
}

fn reply_text(reply: *mut ww_host_reply, text: &str) {
    assert_eq!(ww_host_reply_record(reply, text.as_ptr().cast(), text.len()), ww_status::Ok);
}

unsafe extern "C" fn get(
    user: *mut c_void,
    service: *const c_char,
    kind: *const c_char,
    key: *const c_char,
    reply: *mut ww_host_reply,
) -> c_int {
    if let Some(row) = rows(user).get(&(text(service), text(kind), text(key))) {
        reply_text(reply, &row.text);
    }
    WW_HOST_OK
}

fn listing(
    user: *mut c_void,
    service: *const c_char,
    identity: Option<String>,
    kind: *const c_char,
    after: *const ww_host_cursor,
    limit: usize,
    reply: *mut ww_host_reply,
) -> c_int {
    // SAFETY: NULL or a cursor alive for the call.
    let after = unsafe { after.as_ref() }.map(|c| (c.created, text(c.key)));
    let (service, kind) = (text(service), text(kind));
    let rows = rows(user);
    let mut found: Vec<(u64, &str, &str)> = rows
        .iter()
        .filter(|((s, k, _), row)| *s == service && *k == kind && identity.as_ref().is_none_or(|i| *i == row.identity))
        .map(|((_, _, key), row)| (row.created, key.as_str(), row.text.as_str()))
        .filter(|(created, key, _)| after.as_ref().is_none_or(|(c, k)| (*c, k.as_str()) < (*created, *key)))
        .collect();
    found.sort();
    for (_, _, text) in found.into_iter().take(limit) {
        reply_text(reply, text);
    }
    WW_HOST_OK
}

unsafe extern "C" fn list(
    user: *mut c_void,
    service: *const c_char,
    identity: *const c_char,
    kind: *const c_char,
    after: *const ww_host_cursor,
    limit: usize,
    reply: *mut ww_host_reply,
) -> c_int {
    listing(user, service, Some(text(identity)), kind, after, limit, reply)
}

unsafe extern "C" fn scan(
    user: *mut c_void,
    service: *const c_char,
    kind: *const c_char,
    after: *const ww_host_cursor,
    limit: usize,
    reply: *mut ww_host_reply,
) -> c_int {
    listing(user, service, None, kind, after, limit, reply)
}

unsafe extern "C" fn commit(
    user: *mut c_void,
    writes: *const ww_host_write,
    count: usize,
    _reply: *mut ww_host_reply,
) -> c_int {
    // SAFETY: `count` writes alive for the call.
    let writes = unsafe { std::slice::from_raw_parts(writes, count) };
    let mut rows = rows(user);
    let id = |w: &ww_host_write| (text(w.service), text(w.kind), text(w.key));
    if writes.iter().any(|w| rows.get(&id(w)).map_or(0, |r| r.version) != w.expected_version) {
        return WW_HOST_CONFLICT;
    }
    for w in writes {
        if w.record.is_null() {
            assert_eq!((w.record_len, w.created, text(w.identity).as_str()), (0, 0, ""));
            rows.remove(&id(w));
        } else {
            // The record is `record_len` bytes and a NUL.
            let record = text(w.record);
            assert_eq!(record.len(), w.record_len);
            let row = Row { identity: text(w.identity), created: w.created, version: w.version, text: record };
            rows.insert(id(w), row);
        }
    }
    WW_HOST_OK
}

unsafe extern "C" fn free_table(user: *mut c_void) {
    // SAFETY: made by `Box::into_raw` in `store`, freed once.
    drop(unsafe { Box::from_raw(user.cast::<Table>()) });
    FREED.fetch_add(1, Ordering::SeqCst);
}

fn store() -> HostStore<CHost> {
    MADE.fetch_add(1, Ordering::SeqCst);
    let user = Box::into_raw(Box::<Table>::default()).cast();
    let table = ww_host_store {
        user,
        get: Some(get),
        list: Some(list),
        scan: Some(scan),
        commit: Some(commit),
        free_user: Some(free_table),
    };
    HostStore(CHost::new(&table).unwrap())
}

#[test]
fn the_conformance_suite_through_c_callbacks() {
    let (files, steps) = conformance::run_all(store);
    assert!(files >= 10 && steps > 100, "{files} files, {steps} steps");

    // Sixteen presentations of one code through four services over one host store.
    let shared: Arc<dyn Store> = Arc::new(store());
    let mut config = ServiceConfig::new("Acme").unwrap();
    config.set("lockout_threshold", 20).unwrap();
    let services: Vec<_> = (0..4).map(|_| Verify::new(config.clone(), Arc::clone(&shared))).collect();
    conformance::one_approval_per_code(&services, 16, 50).unwrap();
    drop(services);
    drop(shared);
    // Every table was freed, once, with its store.
    assert_eq!(FREED.load(Ordering::SeqCst), MADE.load(Ordering::SeqCst));
}
