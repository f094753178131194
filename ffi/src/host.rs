//! `ww_host_store`: a store the C program writes over its own database, given to
//! `ww_service_new_with_store` as a table of callbacks and a user pointer.
//!
//! The callbacks answer through a `ww_host_reply` (records and error messages are copied), so no
//! buffer ever changes hands: watchword owns what it passes in, the program owns what it passes
//! back. Everything a callback answers is checked in `watchword_store::host` (unreadable records,
//! another key or identity, listings out of place); what only C can get wrong (text that is not
//! UTF-8, a NULL pointer, a status that is not a `WW_HOST_*`) is checked here. Either way the
//! operation fails with `WW_STATUS_STORAGE` and changes nothing.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

use watchword_core::service::{Cursor, Kind, ServiceConfig, Verify, DEFAULT_STORE};
use watchword_store::{Host, HostStore, HostWrite};

use crate::boundary::{arg_ref, arg_str, arg_text, static_c_str, Out};
use crate::error::Failure;
use crate::service::ww_service;
use crate::status::ww_status;

/// A callback succeeded: `get`, `list` and `scan` answered (with `ww_host_reply_record`, zero or
/// more times), `commit` applied every write.
pub const WW_HOST_OK: c_int = 0;
/// `commit` only: a stored version differs from a write's `expected_version` (or a record with
/// `expected_version` 0 exists); nothing was applied. watchword retries the operation.
pub const WW_HOST_CONFLICT: c_int = 1;
/// The callback failed (its database is unreachable …); nothing was applied. Say why with
/// `ww_host_reply_error` first: the operation fails with `WW_STATUS_STORAGE` and that message.
pub const WW_HOST_ERROR: c_int = 2;

/// Where the previous page of a listing ended: the `date_created` and key of its last record.
/// A listing answers the records that come after it in listing order, by (`created`, `key`).
#[repr(C)]
#[derive(Debug)]
pub struct ww_host_cursor {
    /// The `date_created` (Unix seconds) of the last record of the previous page.
    pub created: u64,
    /// Its key (NUL-terminated, owned by watchword, valid during the callback only).
    pub key: *const c_char,
}

/// One write of a commit. Strings are NUL-terminated UTF-8 owned by watchword and valid during
/// the `commit` callback only: copy what you keep.
#[repr(C)]
#[derive(Debug)]
pub struct ww_host_write {
    /// The service namespace (the `service` setting).
    pub service: *const c_char,
    /// `"entity"`, `"factor"`, `"challenge"`, `"tombstone"`, `"service"`, or any kind a later version adds:
    /// store it as text, never refuse an unknown one.
    pub kind: *const c_char,
    /// The record's key: the identity for entities, the sid otherwise. A row is found by
    /// (`service`, `kind`, `key`).
    pub key: *const c_char,
    /// The identity the record belongs to, for `list`; `""` for a delete.
    pub identity: *const c_char,
    /// The record's `date_created` (Unix seconds), its place in listings with `key`; 0 for a
    /// delete.
    pub created: u64,
    /// The version the row must hold now: 0 means no row may exist.
    pub expected_version: u64,
    /// The row's new version; for a delete, the version removed (`expected_version`).
    pub version: u64,
    /// The new stored record, JSON text (`record_len` bytes and a NUL); NULL to delete the row.
    pub record: *const c_char,
    /// The length of `record` in bytes, without the NUL; 0 for a delete.
    pub record_len: usize,
}

/// How a callback answers: passed to every callback, valid until it returns. Answer with
/// `ww_host_reply_record` and `ww_host_reply_error`; never keep it, never free it.
#[derive(Debug)]
pub struct ww_host_reply {
    /// How many records the callback may answer (1 for `get`, none for `commit`).
    most: usize,
    records: Vec<String>,
    error: Option<String>,
    /// What the callback did wrong (a record that is not UTF-8 …), which fails the operation.
    fault: Option<String>,
}

/// `get`: the stored record of (`service`, `kind`, `key`). Answer it with one
/// `ww_host_reply_record` and return `WW_HOST_OK`; return `WW_HOST_OK` without a record when
/// there is none. `service`, `kind` and `key` are NUL-terminated, owned by watchword and valid
/// during the call only.
pub type ww_host_get_callback = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        service: *const c_char,
        kind: *const c_char,
        key: *const c_char,
        reply: *mut ww_host_reply,
    ) -> c_int,
>;

/// `list`: the records of `kind` that belong to `identity`, in listing order — by their
/// `created` and then their key — starting after `after` (NULL: from the first), at least the
/// first `limit` of them (`SIZE_MAX`: all). Answer each with `ww_host_reply_record`, then return
/// `WW_HOST_OK`.
/// More than `limit` records, in any order, may be answered (watchword sorts and cuts), so a
/// simple store may ignore `limit` and the order; a record of another identity or one that does
/// not come after `after` fails the operation. Every pointer is owned by watchword and valid
/// during the call only.
pub type ww_host_list_callback = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        service: *const c_char,
        identity: *const c_char,
        kind: *const c_char,
        after: *const ww_host_cursor,
        limit: usize,
        reply: *mut ww_host_reply,
    ) -> c_int,
>;

/// `scan`: every record of `kind` in the service, answered as `list` answers.
pub type ww_host_scan_callback = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        service: *const c_char,
        kind: *const c_char,
        after: *const ww_host_cursor,
        limit: usize,
        reply: *mut ww_host_reply,
    ) -> c_int,
>;

/// `commit`: applies the `count` writes of `writes` all together (one transaction) or none.
/// Each write is a compare-and-set on the version of the row (`service`, `kind`, `key`): it
/// applies only when the row's version is `expected_version` (0: no row). When every write
/// agrees, apply them all and return `WW_HOST_OK`; when any does not, apply nothing and return
/// `WW_HOST_CONFLICT`. A commit never answers records. `writes` and its strings are owned by
/// watchword and valid during the call only.
pub type ww_host_commit_callback = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        writes: *const ww_host_write,
        count: usize,
        reply: *mut ww_host_reply,
    ) -> c_int,
>;

/// Releases the user pointer when the service is freed (may be NULL: nothing is called).
pub type ww_host_free_user_callback = Option<unsafe extern "C" fn(user: *mut c_void)>;

/// A store the program implements over its own database: four callbacks and the pointer they
/// receive as `user` (SPEC §9's store contract over the stored JSON text of each record).
///
/// A database table for it holds one row per record: `service`, `kind`, `key` (the three
/// together unique), `identity`, `created`, `version` and the record's text. Records cross as
/// their stored JSON text, exactly as written: keep it byte for byte.
///
/// Threads: the callbacks are called on the threads that call the service, several at once
/// when several threads use it, so they must be thread-safe. They must not call functions of
/// the service they belong to.
///
/// Answers: each callback returns `WW_HOST_OK`, `WW_HOST_ERROR` or (commit) `WW_HOST_CONFLICT`
/// and hands its records and error message through `reply`, which copies them. Any other
/// number, a record that is not UTF-8, a record that cannot be read or belongs to another key
/// or identity fails the operation with `WW_STATUS_STORAGE`, and nothing changes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ww_host_store {
    /// Passed to every callback as it is; watchword never reads it. It must stay valid until
    /// `ww_service_free` (which calls `free_user` with it, when set).
    pub user: *mut c_void,
    /// Reads one record. Required.
    pub get: ww_host_get_callback,
    /// Lists an identity's records of a kind. Required.
    pub list: ww_host_list_callback,
    /// Lists a service's records of a kind. Required.
    pub scan: ww_host_scan_callback,
    /// Applies writes all or nothing. Required.
    pub commit: ww_host_commit_callback,
    /// Called once with `user` by `ww_service_free`; NULL: nothing is called.
    pub free_user: ww_host_free_user_callback,
}

/// The table of callbacks as the `Host` of a `HostStore` (its required callbacks checked).
struct CHost(ww_host_store);

// SAFETY: the header requires the callbacks to be callable from any thread, concurrently, with
// `user`; watchword itself never touches `user`.
unsafe impl Send for CHost {}
// SAFETY: as above.
unsafe impl Sync for CHost {}

impl CHost {
    /// Checks the table: every required callback is set.
    fn new(table: &ww_host_store) -> Result<CHost, Failure> {
        const SET: &str = "a callback (not NULL)";
        let required = [
            ("store.get", table.get.is_some()),
            ("store.list", table.list.is_some()),
            ("store.scan", table.scan.is_some()),
            ("store.commit", table.commit.is_some()),
        ];
        match required.into_iter().find(|(_, set)| !set) {
            Some((name, _)) => Err(Failure::invalid(name, SET)),
            None => Ok(CHost(*table)),
        }
    }

    /// Runs `callback` with a fresh reply that takes at most `most` records; `Ok(conflict,
    /// records)` or the message of the `storage` error.
    fn ask(
        name: &str,
        most: usize,
        callback: impl FnOnce(*mut ww_host_reply) -> c_int,
    ) -> Result<(bool, Vec<String>), String> {
        let mut reply = ww_host_reply { most, records: Vec::new(), error: None, fault: None };
        let status = callback(&mut reply);
        if let Some(fault) = reply.fault {
            return Err(format!("its {name} callback {fault}"));
        }
        match status {
            WW_HOST_OK if reply.error.is_some() => {
                Err(format!("its {name} callback returned WW_HOST_OK after answering an error"))
            }
            WW_HOST_OK => Ok((false, reply.records)),
            WW_HOST_CONFLICT if name == "commit" && reply.error.is_none() => Ok((true, Vec::new())),
            WW_HOST_ERROR => Err(reply.error.unwrap_or_else(|| {
                format!("its {name} callback returned WW_HOST_ERROR without a message (ww_host_reply_error)")
            })),
            other => Err(format!("its {name} callback returned {other}, which is not a status it may return")),
        }
    }
}

impl Drop for CHost {
    fn drop(&mut self) {
        if let Some(free_user) = self.0.free_user {
            // SAFETY: the program gave this callback to be called once with `user`, here.
            unsafe { free_user(self.0.user) };
        }
    }
}

/// A NUL-terminated copy of text watchword passes to a callback (never holding a NUL: service
/// names, keys, identities and JSON text cannot).
fn c_text(text: &str) -> Result<CString, String> {
    CString::new(text).map_err(|_| String::from("cannot be given a text that holds a NUL byte"))
}

/// Runs `call` with `after` as the callback reads it: NULL, or a cursor alive during the call.
fn with_cursor<R>(after: Option<&Cursor>, call: impl FnOnce(*const ww_host_cursor) -> R) -> Result<R, String> {
    let Some(after) = after else { return Ok(call(std::ptr::null())) };
    let key = c_text(&after.key)?;
    let cursor = ww_host_cursor { created: after.created, key: key.as_ptr() };
    Ok(call(&cursor))
}

/// A required callback of the table (`CHost::new` checked that it is set).
fn required<F>(callback: Option<F>, name: &str) -> Result<F, String> {
    callback.ok_or_else(|| format!("its {name} callback is NULL"))
}

/// The kind's name as the callbacks read it.
fn kind_name(kind: &'static str) -> &'static CStr {
    match kind {
        "entity" => c"entity",
        "factor" => c"factor",
        "challenge" => c"challenge",
        "tombstone" => c"tombstone",
        "service" => c"service",
        other => static_c_str(other),
    }
}

impl Host for CHost {
    fn get(&self, service: &str, kind: Kind, key: &str) -> Result<Option<String>, String> {
        let get = required(self.0.get, "get")?;
        let (service, key) = (c_text(service)?, c_text(key)?);
        let kind = kind_name(kind.as_str());
        let (_, mut records) = CHost::ask("get", 1, |reply| {
            // SAFETY: a callback the program set, with its `user` and NUL-terminated strings that
            // live until it returns.
            unsafe { get(self.0.user, service.as_ptr(), kind.as_ptr(), key.as_ptr(), reply) }
        })?;
        Ok(records.pop())
    }

    fn list(
        &self,
        service: &str,
        identity: &str,
        kind: Kind,
        after: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<String>, String> {
        let list = required(self.0.list, "list")?;
        let (service, identity) = (c_text(service)?, c_text(identity)?);
        let kind = kind_name(kind.as_str());
        with_cursor(after, |after| {
            CHost::ask("list", usize::MAX, |reply| {
                // SAFETY: as in `get`; `after` is NULL or a cursor alive until the call returns.
                unsafe { list(self.0.user, service.as_ptr(), identity.as_ptr(), kind.as_ptr(), after, limit, reply) }
            })
        })?
        .map(|(_, records)| records)
    }

    fn scan(&self, service: &str, kind: Kind, after: Option<&Cursor>, limit: usize) -> Result<Vec<String>, String> {
        let scan = required(self.0.scan, "scan")?;
        let service = c_text(service)?;
        let kind = kind_name(kind.as_str());
        with_cursor(after, |after| {
            CHost::ask("scan", usize::MAX, |reply| {
                // SAFETY: as in `list`.
                unsafe { scan(self.0.user, service.as_ptr(), kind.as_ptr(), after, limit, reply) }
            })
        })?
        .map(|(_, records)| records)
    }

    fn commit(&self, writes: &[HostWrite]) -> Result<bool, String> {
        let commit = required(self.0.commit, "commit")?;
        // The strings first, then the structs that point into them.
        let mut texts = Vec::with_capacity(writes.len());
        for w in writes {
            let record = w.record.as_deref().map(c_text).transpose()?;
            texts.push((c_text(&w.service)?, c_text(&w.key)?, c_text(&w.identity)?, record));
        }
        let c_writes: Vec<ww_host_write> = writes
            .iter()
            .zip(&texts)
            .map(|(w, (service, key, identity, record))| ww_host_write {
                service: service.as_ptr(),
                kind: kind_name(w.kind).as_ptr(),
                key: key.as_ptr(),
                identity: identity.as_ptr(),
                created: w.created,
                expected_version: w.expected_version,
                version: w.version,
                record: record.as_ref().map_or(std::ptr::null(), |r| r.as_ptr()),
                record_len: record.as_ref().map_or(0, |r| r.as_bytes().len()),
            })
            .collect();
        let (conflict, _) = CHost::ask("commit", 0, |reply| {
            // SAFETY: as in `get`; `c_writes` and the strings it points into live until the call
            // returns.
            unsafe { commit(self.0.user, c_writes.as_ptr(), c_writes.len(), reply) }
        })?;
        Ok(!conflict)
    }
}

/// Creates a service over a store the program implements (`store`, see `ww_host_store`),
/// instead of the store its `store` setting names. `settings_json` is read as by
/// `ww_service_new`, without a `store` setting (`WW_STATUS_INVALID_PARAMETER` naming `store`);
/// `service` still names the namespace of the records.
///
/// `*store` is copied: the table itself may be freed or reused once the call returns, but its
/// `user` pointer must stay valid until `ww_service_free`, which calls `store->free_user(user)`
/// when it is set. On failure nothing is kept, `free_user` is not called and the program still
/// owns `user`. A NULL `get`, `list`, `scan` or `commit` is `WW_STATUS_INVALID_PARAMETER` (detail
/// `parameter`, naming `store.get` …). On success `*out_service` receives the handle, used and
/// freed like any other.
#[no_mangle]
pub extern "C" fn ww_service_new_with_store(
    settings_json: *const c_char,
    store: *const ww_host_store,
    out_service: *mut *mut ww_service,
) -> ww_status {
    ffi_boundary!({
        // SAFETY: `settings_json` is NUL-terminated; `store` points to a table; `out_service` is
        // writable.
        let settings = unsafe { arg_str(settings_json, "settings_json") }?;
        let table = unsafe { arg_ref(store, "store") }?;
        let out = unsafe { Out::new(out_service, "out_service") }?;
        let config = ServiceConfig::from_json(settings)?;
        if config.store != DEFAULT_STORE {
            return Err(Failure::invalid("store", "no store URL: the service keeps its records in the host store"));
        }
        let host = CHost::new(table)?;
        let inner: watchword_store::AnyStore = Box::new(HostStore(host));
        out.write(Box::into_raw(Box::new(ww_service::from(Verify::new(config, inner)))));
        Ok(())
    })
}

impl ww_host_reply {
    /// Notes what the callback did wrong and hands the failure back to it.
    fn refuse(&mut self, fault: String, failure: Failure) -> Result<(), Failure> {
        self.fault.get_or_insert(fault);
        Err(failure)
    }
}

/// # Safety
/// `reply` must be NULL or the reply a running callback was given.
unsafe fn reply_arg<'a>(reply: *mut ww_host_reply) -> Result<&'a mut ww_host_reply, Failure> {
    // SAFETY: forwarded promise; a callback's reply is used by one thread at a time.
    unsafe { reply.as_mut() }.ok_or(Failure::NullArgument("reply"))
}

/// Answers a record to `get`, `list` or `scan`: the stored JSON text, `len` bytes (no NUL
/// needed). watchword copies it before returning: the buffer stays the caller's. `get` answers
/// at most one record (none: not found); `commit` none.
///
/// A text that is not UTF-8 (`WW_STATUS_INVALID_UTF8`), a NULL text (`WW_STATUS_NULL_ARGUMENT`)
/// or a record too many (`WW_STATUS_INVALID_PARAMETER`) is refused and fails the operation with
/// `WW_STATUS_STORAGE`, whatever the callback returns. `reply` is the one the running callback
/// was given; call this only before the callback returns.
#[no_mangle]
pub extern "C" fn ww_host_reply_record(reply: *mut ww_host_reply, text: *const c_char, len: usize) -> ww_status {
    ffi_boundary!({
        // SAFETY: `reply` is the running callback's; `text` points to `len` readable bytes.
        let reply = unsafe { reply_arg(reply) }?;
        let text = match unsafe { arg_text(text, len, "text") } {
            Ok(text) => text,
            Err(failure) => {
                let fault = match &failure {
                    Failure::InvalidUtf8 { position, .. } => {
                        format!("answered a record that is not UTF-8 (byte {position} is the first bad one)")
                    }
                    Failure::NullArgument(_) => String::from("answered a record through a NULL pointer"),
                    _ => String::from("answered a record longer than 2^63 bytes"),
                };
                return reply.refuse(fault, failure);
            }
        };
        if reply.records.len() >= reply.most {
            let fault = match reply.most {
                0 => String::from("answered a record (a commit answers none)"),
                _ => String::from("answered more than one record (a get answers one at most)"),
            };
            return reply.refuse(fault, Failure::invalid("text", "no record more than the callback may answer"));
        }
        reply.records.push(String::from(text));
        Ok(())
    })
}

/// Says why a callback fails, before it returns `WW_HOST_ERROR`: the operation fails with
/// `WW_STATUS_STORAGE` and a message that carries `message` (NUL-terminated; watchword copies
/// it, the buffer stays the caller's; bytes that are not UTF-8 are replaced). Keep passwords
/// out of it: it reaches the program's error messages. A second call replaces the message.
/// `reply` is the one the running callback was given; call this only before it returns.
#[no_mangle]
pub extern "C" fn ww_host_reply_error(reply: *mut ww_host_reply, message: *const c_char) -> ww_status {
    ffi_boundary!({
        // SAFETY: `reply` is the running callback's; `message` is NUL-terminated.
        let reply = unsafe { reply_arg(reply) }?;
        if message.is_null() {
            return reply
                .refuse(String::from("answered an error without a message (NULL)"), Failure::NullArgument("message"));
        }
        // SAFETY: non-NULL and NUL-terminated by the caller's promise.
        let message = unsafe { CStr::from_ptr(message) }.to_string_lossy();
        reply.error = Some(message.into_owned());
        Ok(())
    })
}

#[cfg(test)]
mod tests;
